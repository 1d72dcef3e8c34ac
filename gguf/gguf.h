/*
 * GGUF (ggml's model file format, version 3): a strict, bounded reader and a
 * deterministic writer, from the GGUF specification (ggml docs/gguf.md).
 *
 * Layout, all little-endian: "GGUF", u32 version (3), u64 tensor count,
 * u64 key/value count, the key/value pairs (string key, u32 value type,
 * value), the tensor infos (string name, u32 ndim, u64 dims[ndim] innermost
 * first, u32 ggml type, u64 offset into the data section), zero padding to
 * the alignment (general.alignment, default 32), then the data section.
 *
 * The reader never copies tensor data: it validates the whole header of an
 * image held in memory (or mapped from a file) and hands out pointers into
 * it.  Every count, length, nesting depth, offset and type is checked
 * before it is used; a refusal names the key, tensor or offset.
 */
#ifndef MS_GGUF_GGUF_H
#define MS_GGUF_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"

#define MS_GGUF_VERSION 3
#define MS_GGUF_DEFAULT_ALIGNMENT 32
#define MS_GGUF_MAX_ALIGNMENT (1u << 20)
#define MS_GGUF_MAX_DIMS 4
#define MS_GGUF_MAX_NAME 63          /* ggml's GGML_MAX_NAME less its NUL */
#define MS_GGUF_MAX_KEY 65535        /* the specification's key limit */
#define MS_GGUF_MAX_STRING (1u << 24) /* one string value */
#define MS_GGUF_MAX_ARRAY (1u << 24)  /* elements of one array */
#define MS_GGUF_MAX_DEPTH 2          /* an array of arrays, no deeper */
#define MS_GGUF_MAX_TENSORS (1u << 20)
#define MS_GGUF_MAX_KVS (1u << 20)

typedef enum ms_gguf_vtype {
    MS_GGUF_U8 = 0,
    MS_GGUF_I8 = 1,
    MS_GGUF_U16 = 2,
    MS_GGUF_I16 = 3,
    MS_GGUF_U32 = 4,
    MS_GGUF_I32 = 5,
    MS_GGUF_F32 = 6,
    MS_GGUF_BOOL = 7,
    MS_GGUF_STRING = 8,
    MS_GGUF_ARRAY = 9,
    MS_GGUF_U64 = 10,
    MS_GGUF_I64 = 11,
    MS_GGUF_F64 = 12,
    MS_GGUF_VTYPE_COUNT
} ms_gguf_vtype;

/* ggml tensor types this reader knows the block size of (ggml's ids). */
typedef enum ms_ggml_type {
    MS_GGML_F32 = 0,
    MS_GGML_F16 = 1,
    MS_GGML_Q4_0 = 2,
    MS_GGML_Q4_1 = 3,
    MS_GGML_Q5_0 = 6,
    MS_GGML_Q5_1 = 7,
    MS_GGML_Q8_0 = 8,
    MS_GGML_Q8_1 = 9,
    MS_GGML_Q2_K = 10,
    MS_GGML_Q3_K = 11,
    MS_GGML_Q4_K = 12,
    MS_GGML_Q5_K = 13,
    MS_GGML_Q6_K = 14,
    MS_GGML_Q8_K = 15,
    MS_GGML_I8 = 24,
    MS_GGML_I16 = 25,
    MS_GGML_I32 = 26,
    MS_GGML_I64 = 27,
    MS_GGML_F64 = 28,
    MS_GGML_BF16 = 30,
} ms_ggml_type;

/* Name ("q4_K", "f32", ...) of a known type, NULL for others. */
const char *ms_ggml_type_name(uint32_t type);
/* Values per block and bytes per block of a known type; 0 for others. */
size_t ms_ggml_block_size(uint32_t type);
size_t ms_ggml_type_size(uint32_t type);
/* Name of a value type ("uint32", "array", ...), "?" for others. */
const char *ms_gguf_vtype_name(uint32_t vtype);
/*
 * 0 when key is a valid GGUF key: ASCII, at most MS_GGUF_MAX_KEY bytes,
 * non-empty segments of [a-z0-9_] separated by '.'; else -1.
 */
int ms_gguf_key_check(const char *key, size_t len);

typedef struct ms_gguf_kv {
    const char *key;        /* NUL-terminated copy */
    uint32_t type;          /* ms_gguf_vtype */
    uint32_t elem_type;     /* arrays: element type */
    uint64_t count;         /* arrays: elements */
    const uint8_t *raw;     /* encoded value (arrays: from the element type on) */
    size_t raw_len;
    union {
        uint64_t u;         /* U8..U64, BOOL */
        int64_t i;          /* I8..I64 */
        double f;           /* F32, F64 */
    } num;
    const char *str;        /* STRING: pointer into the image, not terminated */
    size_t str_len;
} ms_gguf_kv;

typedef struct ms_gguf_tensor {
    const char *name;       /* NUL-terminated copy */
    uint32_t ndim;
    uint64_t dims[MS_GGUF_MAX_DIMS]; /* dims[0] innermost (the row); unused ones 1 */
    uint32_t type;          /* ms_ggml_type */
    uint64_t offset;        /* within the data section */
    uint64_t nbytes;
} ms_gguf_tensor;

typedef struct ms_gguf ms_gguf;

/* Validate an image of len bytes (kept by the caller while the reader lives). */
ms_status ms_gguf_open_memory(const void *buf, size_t len, const char *what, ms_gguf **out,
                              ms_error *err);
/* Map and validate a file. */
ms_status ms_gguf_open(const char *path, ms_gguf **out, ms_error *err);
void ms_gguf_close(ms_gguf *g);

uint32_t ms_gguf_alignment(const ms_gguf *g);
/* Offset of the data section from the start of the file. */
uint64_t ms_gguf_data_offset(const ms_gguf *g);
size_t ms_gguf_kv_count(const ms_gguf *g);
const ms_gguf_kv *ms_gguf_kv_at(const ms_gguf *g, size_t i); /* file order */
const ms_gguf_kv *ms_gguf_find_kv(const ms_gguf *g, const char *key);
size_t ms_gguf_tensor_count(const ms_gguf *g);
const ms_gguf_tensor *ms_gguf_tensor_at(const ms_gguf *g, size_t i); /* file order */
const ms_gguf_tensor *ms_gguf_find_tensor(const ms_gguf *g, const char *name);
const uint8_t *ms_gguf_tensor_data(const ms_gguf *g, const ms_gguf_tensor *t);

/*
 * Element *pos of a string array (0 on the first call; advanced past the
 * element): 0 with *s and *len set, -1 when kv is not an array of strings
 * or the array is exhausted.
 */
int ms_gguf_array_string(const ms_gguf_kv *kv, size_t *pos, const char **s, size_t *len);

/*
 * The writer.  Key/value pairs and tensor infos are written in the order
 * they are added, tensors laid out in that order at aligned offsets, and
 * padding is zeros, so the same calls give the same bytes.  The header is
 * built in memory; tensor data is streamed through a sink, in order.
 */
typedef ms_status (*ms_gguf_sink)(void *ctx, const void *p, size_t n, ms_error *err);
typedef struct ms_gguf_writer ms_gguf_writer;

/* alignment: a power of two, 8 to MS_GGUF_MAX_ALIGNMENT; written as
 * general.alignment when it is not the default. */
ms_status ms_gguf_writer_new(uint32_t alignment, ms_gguf_writer **out, ms_error *err);
void ms_gguf_writer_free(ms_gguf_writer *w);
ms_status ms_gguf_writer_add_u32(ms_gguf_writer *w, const char *key, uint32_t v, ms_error *err);
ms_status ms_gguf_writer_add_u64(ms_gguf_writer *w, const char *key, uint64_t v, ms_error *err);
ms_status ms_gguf_writer_add_i32(ms_gguf_writer *w, const char *key, int32_t v, ms_error *err);
ms_status ms_gguf_writer_add_f32(ms_gguf_writer *w, const char *key, float v, ms_error *err);
ms_status ms_gguf_writer_add_bool(ms_gguf_writer *w, const char *key, int v, ms_error *err);
ms_status ms_gguf_writer_add_string(ms_gguf_writer *w, const char *key, const char *s,
                                    ms_error *err);
ms_status ms_gguf_writer_add_string_array(ms_gguf_writer *w, const char *key,
                                          const char *const *v, size_t n, ms_error *err);
ms_status ms_gguf_writer_add_i32_array(ms_gguf_writer *w, const char *key, const int32_t *v,
                                       size_t n, ms_error *err);
/* A pair read by ms_gguf (any type, arrays included), copied as it is. */
ms_status ms_gguf_writer_add_kv(ms_gguf_writer *w, const ms_gguf_kv *kv, ms_error *err);
/* dims[0] innermost; dims[0] a multiple of the type's block. */
ms_status ms_gguf_writer_add_tensor(ms_gguf_writer *w, const char *name, uint32_t ndim,
                                    const uint64_t *dims, uint32_t type, ms_error *err);
/* Bytes the whole file will take (header, padding and data). */
uint64_t ms_gguf_writer_file_size(const ms_gguf_writer *w);
/* Write the header and its padding; no pair or tensor may be added after. */
ms_status ms_gguf_writer_begin(ms_gguf_writer *w, ms_gguf_sink sink, void *ctx, ms_error *err);
/* The next bytes of tensor data, in tensor order, in pieces of any size. */
ms_status ms_gguf_writer_put(ms_gguf_writer *w, const void *p, size_t n, ms_error *err);
/* Check every tensor is complete. */
ms_status ms_gguf_writer_end(ms_gguf_writer *w, ms_error *err);

#endif
