/*
 * ggml tensor types and GGUF value types: names, block sizes and the key
 * syntax.  Block geometry from the GGUF specification and ggml's block
 * layouts (q8_0: f16 scale + 32 int8 = 34 bytes per 32 values; q4_k: two
 * f16, 12 bytes of 6-bit scales, 128 bytes of nibbles = 144 per 256, ...).
 */
#include "gguf/gguf.h"

#include <stddef.h>

typedef struct type_info {
    uint32_t id;
    const char *name;
    uint32_t block;
    uint32_t size;
} type_info;

static const type_info types[] = {
    {MS_GGML_F32, "f32", 1, 4},       {MS_GGML_F16, "f16", 1, 2},
    {MS_GGML_Q4_0, "q4_0", 32, 18},   {MS_GGML_Q4_1, "q4_1", 32, 20},
    {MS_GGML_Q5_0, "q5_0", 32, 22},   {MS_GGML_Q5_1, "q5_1", 32, 24},
    {MS_GGML_Q8_0, "q8_0", 32, 34},   {MS_GGML_Q8_1, "q8_1", 32, 36},
    {MS_GGML_Q2_K, "q2_K", 256, 84},  {MS_GGML_Q3_K, "q3_K", 256, 110},
    {MS_GGML_Q4_K, "q4_K", 256, 144}, {MS_GGML_Q5_K, "q5_K", 256, 176},
    {MS_GGML_Q6_K, "q6_K", 256, 210}, {MS_GGML_Q8_K, "q8_K", 256, 292},
    {MS_GGML_I8, "i8", 1, 1},         {MS_GGML_I16, "i16", 1, 2},
    {MS_GGML_I32, "i32", 1, 4},       {MS_GGML_I64, "i64", 1, 8},
    {MS_GGML_F64, "f64", 1, 8},       {MS_GGML_BF16, "bf16", 1, 2},
};

static const type_info *lookup(uint32_t id)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].id == id)
            return &types[i];
    return NULL;
}

const char *ms_ggml_type_name(uint32_t type)
{
    const type_info *t = lookup(type);
    return t != NULL ? t->name : NULL;
}

size_t ms_ggml_block_size(uint32_t type)
{
    const type_info *t = lookup(type);
    return t != NULL ? t->block : 0;
}

size_t ms_ggml_type_size(uint32_t type)
{
    const type_info *t = lookup(type);
    return t != NULL ? t->size : 0;
}

const char *ms_gguf_vtype_name(uint32_t vtype)
{
    static const char *const names[MS_GGUF_VTYPE_COUNT] = {
        "uint8", "int8",   "uint16", "int16", "uint32", "int32",  "float32",
        "bool",  "string", "array",  "uint64", "int64", "float64",
    };
    return vtype < MS_GGUF_VTYPE_COUNT ? names[vtype] : "?";
}

int ms_gguf_key_check(const char *key, size_t len)
{
    if (len == 0 || len > MS_GGUF_MAX_KEY)
        return -1;
    size_t seg = 0;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (c == '.') {
            if (seg == 0)
                return -1;
            seg = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
            seg++;
        } else {
            return -1;
        }
    }
    return seg == 0 ? -1 : 0;
}
