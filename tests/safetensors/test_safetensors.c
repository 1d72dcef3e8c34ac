/*
 * safetensors reader and writer.  Every malformed file is built here, byte
 * by byte, and must be refused with the right status and a message naming
 * the file and the rule.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/check.h"
#include "core/error_internal.h"
#include "modelseal/safetensors.h"

#define WHAT "x.safetensors"

static char tmpdir[256];

/* 8-byte little-endian length, the header, then data_len bytes (i & 0xff). */
static unsigned char *image_n(const char *header, size_t hlen, size_t data_len, size_t *len)
{
    *len = 8 + hlen + data_len;
    unsigned char *b = malloc(*len + 1);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    memcpy(b + 8, header, hlen);
    for (size_t i = 0; i < data_len; i++)
        b[8 + hlen + i] = (unsigned char)i;
    return b;
}

static unsigned char *image(const char *header, size_t data_len, size_t *len)
{
    return image_n(header, strlen(header), data_len, len);
}

/* Opens an image built from header and data_len; the image is freed with the reader. */
typedef struct opened {
    ms_safetensors *st;
    unsigned char *buf;
} opened;

static ms_status open_img(const char *header, size_t data_len, opened *o, ms_error *err)
{
    size_t len;
    o->buf = image(header, data_len, &len);
    ms_error_clear(err);
    ms_status s = ms_safetensors_open_memory(o->buf, len, WHAT, &o->st, err);
    if (s != MS_OK) {
        CHECK(o->st == NULL);
        free(o->buf);
        o->buf = NULL;
    }
    return s;
}

static void close_img(opened *o)
{
    ms_safetensors_close(o->st);
    free(o->buf);
}

/* The header must be refused with status and a message holding fragment and the file name. */
#define REFUSE(header, data_len, want, fragment)                                                   \
    do {                                                                                           \
        opened o_;                                                                                 \
        ms_error e_;                                                                               \
        CHECK_INT(open_img((header), (data_len), &o_, &e_), (want));                               \
        CHECK_INT(e_.status, (want));                                                              \
        CHECK_CONTAINS(e_.message, (fragment));                                                    \
        CHECK_CONTAINS(e_.message, WHAT ": ");                                                     \
        if (o_.buf != NULL)                                                                        \
            close_img(&o_);                                                                        \
    } while (0)

#define ACCEPT(header, data_len)                                                                   \
    do {                                                                                           \
        opened o_;                                                                                 \
        ms_error e_;                                                                               \
        ms_status s_ = open_img((header), (data_len), &o_, &e_);                                   \
        CHECK_INT(s_, MS_OK);                                                                      \
        if (s_ != MS_OK)                                                                           \
            fprintf(stderr, "  unexpected refusal: %s\n", e_.message);                             \
        else                                                                                       \
            close_img(&o_);                                                                        \
    } while (0)

static void refuse_raw(const unsigned char *buf, size_t len, ms_status status, const char *fragment)
{
    ms_safetensors *st = NULL;
    ms_error err;
    ms_error_clear(&err);
    CHECK_INT(ms_safetensors_open_memory(buf, len, WHAT, &st, &err), status);
    CHECK(st == NULL);
    CHECK_CONTAINS(err.message, fragment);
    CHECK_CONTAINS(err.message, WHAT ": ");
}

static char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK_INT(fwrite(data, 1, len, f), len);
    fclose(f);
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* ------------------------------------------------------------------ dtypes */

static void test_dtypes(void)
{
    static const char *names[] = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
                                  "BF16", "I32", "U32", "F32",     "I64",     "U64", "F64"};
    static const size_t sizes[] = {1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8};
    CHECK_INT(sizeof names / sizeof *names, MS_DTYPE_COUNT);
    for (int i = 0; i < MS_DTYPE_COUNT; i++) {
        ms_dtype d;
        CHECK_STR(ms_dtype_name((ms_dtype)i), names[i]);
        CHECK_INT(ms_dtype_size((ms_dtype)i), sizes[i]);
        CHECK_INT(ms_dtype_parse(names[i], &d), 0);
        CHECK_INT(d, i);
    }
    ms_dtype d;
    CHECK(ms_dtype_name(MS_DTYPE_COUNT) == NULL);
    CHECK(ms_dtype_name((ms_dtype)-1) == NULL);
    CHECK_INT(ms_dtype_size(MS_DTYPE_COUNT), 0);
    CHECK_INT(ms_dtype_parse("f32", &d), -1);
    CHECK_INT(ms_dtype_parse("F128", &d), -1);
    CHECK_INT(ms_dtype_parse("", &d), -1);
    CHECK_INT(ms_dtype_parse(NULL, &d), -1);
}

/* ------------------------------------------------------------ length field */

static void test_length_rules(void)
{
    unsigned char tiny[7] = {2, 0, 0, 0, 0, 0, 0};
    refuse_raw(tiny, 0, MS_E_FORMAT, "file is 0 bytes, shorter than the 8-byte header length");
    refuse_raw(tiny, 7, MS_E_FORMAT, "file is 7 bytes, shorter than the 8-byte header length");

    /* 2^32: above the limit. */
    unsigned char big[16] = {0, 0, 0, 0, 1, 0, 0, 0, '{', '}'};
    refuse_raw(big, sizeof big, MS_E_LIMIT,
               "x.safetensors: header length 4294967296 exceeds limit 100000000");
    /* The limit itself is allowed by the limit rule, then fails the file-size rule. */
    unsigned char at[10] = {0x00, 0xe1, 0xf5, 0x05, 0, 0, 0, 0, '{', '}'};
    refuse_raw(at, sizeof at, MS_E_FORMAT, "header length 100000000 runs past end of file");
    unsigned char over[10] = {0x01, 0xe1, 0xf5, 0x05, 0, 0, 0, 0, '{', '}'};
    refuse_raw(over, sizeof over, MS_E_LIMIT, "header length 100000001 exceeds limit");
    unsigned char all[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
    refuse_raw(all, sizeof all, MS_E_LIMIT, "header length 18446744073709551615 exceeds");

    unsigned char past[10] = {3, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    refuse_raw(past, sizeof past, MS_E_FORMAT,
               "header length 3 runs past end of file (2 bytes after the length field)");
    unsigned char zero[8] = {0};
    refuse_raw(zero, sizeof zero, MS_E_FORMAT, "empty document");

    /* A length exactly reaching the end of file is fine. */
    unsigned char exact[10] = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    ms_safetensors *st = NULL;
    ms_error err;
    CHECK_INT(ms_safetensors_open_memory(exact, sizeof exact, WHAT, &st, &err), MS_OK);
    CHECK_INT(ms_safetensors_count(st), 0);
    CHECK_INT(ms_safetensors_data_size(st), 0);
    CHECK_INT(ms_safetensors_file_size(st), 10);
    ms_safetensors_close(st);

    CHECK_INT(ms_safetensors_open_memory(NULL, 5, WHAT, &st, &err), MS_E_USAGE);
    CHECK_INT(ms_safetensors_open_memory(NULL, 0, WHAT, &st, &err), MS_E_FORMAT);
}

/* -------------------------------------------------------------- JSON rules */

static void test_json_rules(void)
{
    REFUSE("{", 0, MS_E_FORMAT, "x.safetensors: header: invalid JSON");
    REFUSE("[]", 0, MS_E_FORMAT, "x.safetensors: header is not a JSON object");
    REFUSE("\"w\"", 0, MS_E_FORMAT, "header is not a JSON object");
    REFUSE("{}x", 0, MS_E_FORMAT, "trailing data after JSON value");
    REFUSE("{}{}", 0, MS_E_FORMAT, "trailing data");
    /* cJSON alone keeps both entries; the reader must refuse the repeat. */
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
           "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
           2, MS_E_FORMAT, "x.safetensors: header: duplicate key 'w'");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
           MS_E_FORMAT, "duplicate key 'dtype'");
    REFUSE("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0, MS_E_FORMAT, "duplicate key 'a'");
    REFUSE("{\"__metadata__\":{},\"__metadata__\":{}}", 0, MS_E_FORMAT,
           "duplicate key '__metadata__'");

    /* The writer pads with spaces; any JSON whitespace after the object is fine. */
    ACCEPT("{}      ", 0);
    ACCEPT("{} \t\r\n", 0);
    ACCEPT(" {}", 0);
    ACCEPT("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}   ", 2);
}

/* Lexical rules cJSON itself does not enforce. */
static void test_lexical_rules(void)
{
    /* Exact-valued non-integer literals: refused by the JSON layer or the lexical scan. */
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[2.0],\"data_offsets\":[0,2]}}", 2, MS_E_FORMAT,
           "non-negative integer");
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2e0]}}", 2, MS_E_FORMAT,
           "non-negative integer");
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[02],\"data_offsets\":[0,2]}}", 2, MS_E_FORMAT,
           "number '02'");
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[-0],\"data_offsets\":[0,0]}}", 0, MS_E_FORMAT,
           "shape[0] is not a non-negative integer");
    ACCEPT("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0);
    ACCEPT("{\"a\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[0,10]}}", 10);

    /* cJSON skips any byte <= 0x20 as whitespace. */
    REFUSE("{\x01}", 0, MS_E_FORMAT, "x.safetensors: header: control byte 0x01 at byte 1");
    REFUSE("{}\x0b", 0, MS_E_FORMAT, "trailing data after JSON value at byte 2");
    REFUSE("{\"a\":\x7f{}}", 0, MS_E_FORMAT, "invalid JSON");
    REFUSE("{\"__metadata__\":{\"k\":\"a\tb\"}}", 0, MS_E_FORMAT,
           "control byte 0x09 inside a string");
    REFUSE("{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, MS_E_FORMAT,
           "escaped NUL (\\u0000) at byte");
    ACCEPT("{\"__metadata__\":{\"k\":\"a\\u0001b\\t\\\"\\\\\"}}", 0);
    REFUSE("{\"__metadata__\":{\"k\":\"\xff\"}}", 0, MS_E_FORMAT, "invalid UTF-8 at byte 22");
    REFUSE("{\"__metadata__\":{\"k\":\"\xc0\xaf\"}}", 0, MS_E_FORMAT, "invalid UTF-8");
    REFUSE("{\"__metadata__\":{\"k\":\"\xed\xa0\x80\"}}", 0, MS_E_FORMAT, "invalid UTF-8");
    REFUSE("{\"__metadata__\":{\"k\":\"\xe2\x82\"}}", 0, MS_E_FORMAT, "invalid UTF-8");
    ACCEPT("{\"__metadata__\":{\"k\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}}", 0);

    /* An embedded NUL byte in the header (not escaped). */
    size_t len;
    unsigned char *b = image_n("{\"a\0\":{}}", 9, 0, &len);
    refuse_raw(b, len, MS_E_FORMAT, "contains a NUL byte");
    free(b);
}

/* ------------------------------------------------------------ tensor rules */

static void test_entry_rules(void)
{
    REFUSE("{\"w\":[]}", 0, MS_E_FORMAT, "x.safetensors: tensor 'w': entry is not an object");
    REFUSE("{\"w\":\"F32\"}", 0, MS_E_FORMAT, "tensor 'w': entry is not an object");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"foo\":1}}", 1,
           MS_E_FORMAT, "x.safetensors: tensor 'w': unknown field 'foo'");
    REFUSE("{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1, MS_E_FORMAT,
           "tensor 'w': missing field 'dtype'");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1, MS_E_FORMAT,
           "tensor 'w': missing field 'shape'");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1, MS_E_FORMAT,
           "tensor 'w': missing field 'data_offsets'");
    REFUSE("{\"w\":{}}", 0, MS_E_FORMAT, "tensor 'w': missing field 'dtype'");
}

static void test_dtype_rules(void)
{
    REFUSE("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16, MS_E_FORMAT,
           "x.safetensors: tensor 'w': unknown dtype 'F128'");
    REFUSE("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MS_E_FORMAT,
           "unknown dtype 'f32'");
    REFUSE("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MS_E_FORMAT,
           "tensor 'w': dtype is not a string");
    REFUSE("{\"w\":{\"dtype\":null,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MS_E_FORMAT,
           "dtype is not a string");
}

static void test_shape_rules(void)
{
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":3,\"data_offsets\":[0,3]}}", 3, MS_E_FORMAT,
           "tensor 'w': shape is not an array");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":{},\"data_offsets\":[0,3]}}", 3, MS_E_FORMAT,
           "shape is not an array");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,3]}}", 3, MS_E_FORMAT,
           "tensor 'w': shape[0] is not a non-negative integer");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[3,1.5],\"data_offsets\":[0,3]}}", 3, MS_E_FORMAT,
           "shape[1] is not a non-negative integer");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[\"3\"],\"data_offsets\":[0,3]}}", 3, MS_E_FORMAT,
           "shape[0] is not a non-negative integer");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[[3]],\"data_offsets\":[0,3]}}", 3, MS_E_FORMAT,
           "shape[0] is not");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[true],\"data_offsets\":[0,1]}}", 1, MS_E_FORMAT,
           "shape[0] is not");
    /* Above 2^53 a JSON number is no longer exact. */
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[18014398509481984],\"data_offsets\":[0,1]}}", 1,
           MS_E_FORMAT, "shape[0] is not a non-negative integer below 2^53");
    /* MS_SAFETENSORS_MAX_DIMS (8) dims are fine, 9 are not. */
    ACCEPT("{\"w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,2],\"data_offsets\":[0,2]}}", 2);
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,2]}}", 2,
           MS_E_LIMIT, "tensor 'w': shape has more than 8 entries");
    /* A scalar has shape [] and one element. */
    ACCEPT("{\"w\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}", 8);
    REFUSE("{\"w\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,0]}}", 0, MS_E_FORMAT,
           "shape and dtype F64 give 8 bytes but data_offsets span 0");
}

static void test_offset_rules(void)
{
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":1}}", 1, MS_E_FORMAT,
           "tensor 'w': data_offsets is not an array");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1]}}", 1, MS_E_FORMAT,
           "tensor 'w': data_offsets must be exactly 2 integers [begin, end]");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[]}}", 1, MS_E_FORMAT,
           "data_offsets must be exactly 2 integers");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1, MS_E_FORMAT,
           "data_offsets must be exactly 2 integers");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2,3,4]}}", 1, MS_E_FORMAT,
           "data_offsets must be exactly 2 integers");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,-1]}}", 1, MS_E_FORMAT,
           "tensor 'w': data_offsets[1] is not a non-negative integer");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[null,1]}}", 1, MS_E_FORMAT,
           "data_offsets[0] is not a non-negative integer");
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8, MS_E_FORMAT,
           "tensor 'w': data_offsets begin 8 is after end 4");
    /* The message from the brief, byte for byte. */
    {
        size_t len;
        unsigned char *b = image("{\"l1.weight\":{\"dtype\":\"F32\",\"shape\":[100353],"
                                 "\"data_offsets\":[0,401409]}}",
                                 401408, &len);
        ms_safetensors *st = NULL;
        ms_error err;
        CHECK_INT(ms_safetensors_open_memory(b, len, "model.safetensors", &st, &err), MS_E_FORMAT);
        CHECK_STR(err.message, "model.safetensors: tensor 'l1.weight': data_offsets end 401409 "
                               "past end of data 401408");
        free(b);
    }
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[5,5]}}", 4, MS_E_FORMAT,
           "data_offsets end 5 past end of data 4");
}

static void test_size_rules(void)
{
    REFUSE("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20, MS_E_FORMAT,
           "x.safetensors: tensor 'w': shape and dtype F32 give 24 bytes but "
           "data_offsets span 20");
    REFUSE("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,3]}}", 3, MS_E_FORMAT,
           "give 6 bytes but data_offsets span 3");
    /* 2^32 * 2^32 elements overflows 64 bits before the dtype size is applied. */
    REFUSE("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],"
           "\"data_offsets\":[0,0]}}",
           0, MS_E_FORMAT, "tensor 'w': element count x dtype size overflows 64 bits");
    /* 2^62 elements is representable; x 8 bytes is not. */
    REFUSE("{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483648,2147483648],"
           "\"data_offsets\":[0,0]}}",
           0, MS_E_FORMAT, "overflows 64 bits");
    /* A zero dimension makes the product zero whatever the others are. */
    ACCEPT("{\"w\":{\"dtype\":\"F64\",\"shape\":[4294967296,0,4294967296],"
           "\"data_offsets\":[0,0]}}",
           0);
}

static void test_span_rules(void)
{
    const char *ab = "{\"a\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
                     "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[20,24]}}";
    {
        opened o;
        ms_error err;
        CHECK_INT(open_img(ab, 24, &o, &err), MS_E_FORMAT);
        CHECK_STR(err.message, "x.safetensors: gap between tensor 'a' (ends at 16) and tensor "
                               "'b' (begins at 20)");
    }
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
           "\"b\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[12,28]}}",
           28, MS_E_FORMAT,
           "x.safetensors: overlap between tensor 'a' (ends at 16) and tensor 'b' (begins at 12)");
    /* Two tensors on the same bytes. */
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
           "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
           4, MS_E_FORMAT, "overlap between tensor 'a' (ends at 4) and tensor 'b' (begins at 0)");
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8, MS_E_FORMAT,
           "x.safetensors: gap at start of data: first tensor 'a' begins at 4, not 0");
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 6, MS_E_FORMAT,
           "x.safetensors: last tensor 'a' ends at 4, not at end of data 6 (2 unclaimed bytes)");
    REFUSE("{}", 3, MS_E_FORMAT, "x.safetensors: no tensors but the data section holds 3 bytes");
    REFUSE("{\"__metadata__\":{}}", 1, MS_E_FORMAT, "no tensors but the data section holds 1");

    /* Header order does not matter, only the sorted spans. */
    ACCEPT("{\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]},"
           "\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
           8);

    /* Zero-sized tensors at the start, in the middle, at the end, and stacked. */
    ACCEPT("{\"z0\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
           "\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
           "\"z1\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
           "\"z2\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[4,4]},"
           "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]},"
           "\"z3\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[8,8]}}",
           8);
    /* Only zero-sized tensors over an empty data section. */
    ACCEPT("{\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0);
    /* Zero-sized tensors must still fit the chain. */
    REFUSE("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
           "\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]}}",
           8, MS_E_FORMAT, "overlap between tensor 'a' (ends at 8) and tensor 'z' (begins at 4)");
    REFUSE("{\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,2]},"
           "\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
           4, MS_E_FORMAT, "overlap between tensor 'a' (ends at 4) and tensor 'z' (begins at 2)");
    REFUSE("{\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,2]}}", 2, MS_E_FORMAT,
           "first tensor 'z' begins at 2, not 0");
    REFUSE("{\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 2, MS_E_FORMAT,
           "last tensor 'z' ends at 0, not at end of data 2");
}

static void test_metadata_rules(void)
{
    REFUSE("{\"__metadata__\":[]}", 0, MS_E_FORMAT, "x.safetensors: __metadata__ is not an object");
    REFUSE("{\"__metadata__\":\"x\"}", 0, MS_E_FORMAT, "__metadata__ is not an object");
    REFUSE("{\"__metadata__\":{\"format\":\"pt\",\"n\":1}}", 0, MS_E_FORMAT,
           "x.safetensors: __metadata__ value for 'n' is not a string");
    REFUSE("{\"__metadata__\":{\"o\":{}}}", 0, MS_E_FORMAT,
           "__metadata__ value for 'o' is not a string");
    REFUSE("{\"__metadata__\":{\"o\":null}}", 0, MS_E_FORMAT,
           "__metadata__ value for 'o' is not a string");

    opened o;
    ms_error err;
    CHECK_INT(
        open_img("{\"__metadata__\":{\"z\":\"1\",\"format\":\"pt\",\"a\":\"\"}}", 0, &o, &err),
        MS_OK);
    CHECK_INT(ms_safetensors_metadata_count(o.st), 3);
    CHECK_STR(ms_safetensors_metadata_key(o.st, 0), "a");
    CHECK_STR(ms_safetensors_metadata_value(o.st, 0), "");
    CHECK_STR(ms_safetensors_metadata_key(o.st, 1), "format");
    CHECK_STR(ms_safetensors_metadata_key(o.st, 2), "z");
    CHECK(ms_safetensors_metadata_key(o.st, 3) == NULL);
    CHECK(ms_safetensors_metadata_value(o.st, 3) == NULL);
    CHECK_STR(ms_safetensors_metadata_get(o.st, "format"), "pt");
    CHECK_STR(ms_safetensors_metadata_get(o.st, "z"), "1");
    CHECK(ms_safetensors_metadata_get(o.st, "missing") == NULL);
    CHECK_INT(ms_safetensors_count(o.st), 0);
    close_img(&o);
}

/* Names quoted in messages cannot smuggle terminal control sequences. */
static int has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 1;
    return 0;
}

static void test_message_escaping(void)
{
    opened o;
    ms_error err;
    CHECK_INT(open_img("{\"\\u001b[2Jx\\ny\":[]}", 0, &o, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "x.safetensors: tensor '\\x1b[2Jx\\x0ay': entry is not an object");
    CHECK(!has_control(err.message));
    CHECK_INT(open_img("{\"a\xff\":[]}", 0, &o, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "x.safetensors: header: invalid UTF-8 at byte 3");
    /* C1 controls and bidirectional overrides are shown as code points. */
    CHECK_INT(open_img("{\"\\u009b1m\\u202egnp.exe\":[]}", 0, &o, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "tensor '\\u009b1m\\u202egnp.exe'");
    /* Printable UTF-8 is kept. */
    CHECK_INT(open_img("{\"caf\xc3\xa9\":[]}", 0, &o, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "tensor 'caf\xc3\xa9'");
    /* Also for messages from the JSON layer. */
    CHECK_INT(open_img("{\"\\u0007\":{},\"\\u0007\":{}}", 0, &o, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "duplicate key '\\x07'");
    CHECK(!has_control(err.message));

    ms_st_writer *w = NULL;
    const uint8_t d[1] = {0};
    const uint64_t shape[1] = {1};
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "a\nb", MS_DTYPE_U8, 1, shape, d, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "a\nb", MS_DTYPE_U8, 1, shape, d, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "duplicate tensor name 'a\\x0ab'");
    ms_st_writer_free(w);
}

/* ------------------------------------------------------------- valid files */

static void test_accessors(void)
{
    /* Header order differs from name order and from span order. */
    const char *h = "{\"m.b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[8,10]},"
                    "\"__metadata__\":{\"format\":\"pt\"},"
                    "\"A\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]},"
                    "\"m.a\":{\"dtype\":\"I16\",\"shape\":[1,2],\"data_offsets\":[0,4]}}";
    opened o;
    ms_error err;
    CHECK_INT(open_img(h, 10, &o, &err), MS_OK);
    if (o.st == NULL)
        return;
    CHECK_INT(ms_safetensors_count(o.st), 3);
    CHECK_INT(ms_safetensors_data_size(o.st), 10);
    CHECK_INT(ms_safetensors_file_size(o.st), 8 + strlen(h) + 10);
    const ms_tensor_info *t0 = ms_safetensors_tensor(o.st, 0);
    const ms_tensor_info *t1 = ms_safetensors_tensor(o.st, 1);
    const ms_tensor_info *t2 = ms_safetensors_tensor(o.st, 2);
    CHECK(ms_safetensors_tensor(o.st, 3) == NULL);
    CHECK_STR(t0->name, "A"); /* byte order: upper case first */
    CHECK_STR(t1->name, "m.a");
    CHECK_STR(t2->name, "m.b");
    CHECK_INT(t0->dtype, MS_DTYPE_F32);
    CHECK_INT(t0->ndim, 0);
    CHECK_INT(t0->begin, 4);
    CHECK_INT(t0->end, 8);
    CHECK_INT(t1->dtype, MS_DTYPE_I16);
    CHECK_INT(t1->ndim, 2);
    CHECK_INT(t1->shape[0], 1);
    CHECK_INT(t1->shape[1], 2);
    CHECK(ms_safetensors_find(o.st, "m.a") == t1);
    CHECK(ms_safetensors_find(o.st, "A") == t0);
    CHECK(ms_safetensors_find(o.st, "m.b") == t2);
    CHECK(ms_safetensors_find(o.st, "m") == NULL);
    CHECK(ms_safetensors_find(o.st, "__metadata__") == NULL);
    CHECK(ms_safetensors_find(o.st, "") == NULL);
    const unsigned char *d = ms_safetensors_data(o.st, t2);
    CHECK(d != NULL);
    if (d != NULL) {
        CHECK_INT(d[0], 8);
        CHECK_INT(d[1], 9);
    }
    CHECK(ms_safetensors_data(o.st, t0) == o.buf + 8 + strlen(h) + 4);
    CHECK_STR(ms_safetensors_metadata_get(o.st, "format"), "pt");
    close_img(&o);

    /* NULL-safe accessors. */
    ms_safetensors_close(NULL);
    CHECK_INT(ms_safetensors_count(NULL), 0);
    CHECK(ms_safetensors_tensor(NULL, 0) == NULL);
    CHECK(ms_safetensors_find(NULL, "a") == NULL);
    CHECK(ms_safetensors_metadata_get(NULL, "a") == NULL);
}

static void test_many_tensors(void)
{
    /* 1000 tensors in reverse name order, spans in header order. */
    size_t cap = 1000 * 80 + 16, n = 0;
    char *h = malloc(cap);
    n += (size_t)snprintf(h + n, cap - n, "{");
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(h + n, cap - n,
                              "%s\"t%04d\":{\"dtype\":\"U16\",\"shape\":[2],"
                              "\"data_offsets\":[%d,%d]}",
                              i ? "," : "", 999 - i, 4 * i, 4 * i + 4);
    snprintf(h + n, cap - n, "}");
    opened o;
    ms_error err;
    CHECK_INT(open_img(h, 4000, &o, &err), MS_OK);
    if (o.st != NULL) {
        CHECK_INT(ms_safetensors_count(o.st), 1000);
        int sorted = 1, found = 1;
        for (size_t i = 1; i < 1000; i++)
            sorted &= strcmp(ms_safetensors_tensor(o.st, i - 1)->name,
                             ms_safetensors_tensor(o.st, i)->name) < 0;
        for (int i = 0; i < 1000; i++) {
            char name[16];
            snprintf(name, sizeof name, "t%04d", i);
            const ms_tensor_info *t = ms_safetensors_find(o.st, name);
            found &= t != NULL && t->begin == (uint64_t)(4 * (999 - i));
        }
        CHECK(sorted);
        CHECK(found);
        close_img(&o);
    }
    free(h);
}

/* -------------------------------------------------------------- disk files */

static void test_open_disk(void)
{
    ms_safetensors *st = NULL;
    ms_error err;
    CHECK_INT(ms_safetensors_open(tmp_path("absent.safetensors"), &st, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "absent.safetensors: cannot open");
    CHECK(st == NULL);
    CHECK_INT(ms_safetensors_open(tmpdir, &st, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "not a regular file");

    write_file(tmp_path("empty.safetensors"), "", 0);
    CHECK_INT(ms_safetensors_open(tmp_path("empty.safetensors"), &st, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "empty.safetensors: file is 0 bytes, shorter than the 8-byte");
    write_file(tmp_path("short.safetensors"), "\x02\0\0", 3);
    CHECK_INT(ms_safetensors_open(tmp_path("short.safetensors"), &st, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "short.safetensors: file is 3 bytes");

    size_t len;
    unsigned char *b =
        image("{\"w\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}", 3, &len);
    write_file(tmp_path("ok.safetensors"), b, len);
    CHECK_INT(ms_safetensors_open(tmp_path("ok.safetensors"), &st, &err), MS_OK);
    if (st != NULL) {
        CHECK_INT(ms_safetensors_file_size(st), len);
        const ms_tensor_info *t = ms_safetensors_find(st, "w");
        CHECK(t != NULL);
        const unsigned char *d = ms_safetensors_data(st, t);
        CHECK(d != NULL && d[0] == 0 && d[1] == 1 && d[2] == 2);
        ms_safetensors_close(st);
    }
    free(b);

    b = image("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16, &len);
    write_file(tmp_path("bad.safetensors"), b, len);
    CHECK_INT(ms_safetensors_open(tmp_path("bad.safetensors"), &st, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "bad.safetensors: tensor 'w': unknown dtype 'F128'");
    free(b);
}

/* ------------------------------------------------------------------ writer */

static void test_writer_exact_bytes(void)
{
    ms_st_writer *w = NULL;
    ms_error err;
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    const unsigned char b[2] = {1, 2};
    const float a = 1.0f;
    const uint64_t shape_b[1] = {2};
    /* Added out of order; written in name order. */
    CHECK_INT(ms_st_writer_add(w, "b", MS_DTYPE_U8, 1, shape_b, b, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "a", MS_DTYPE_F32, 0, NULL, &a, &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w, "k", "v", &err), MS_OK);
    const char *path = tmp_path("exact.safetensors");
    CHECK_INT(ms_st_writer_write(w, path, &err), MS_OK);
    ms_st_writer_free(w);

    /* 130 bytes of JSON + 6 spaces = 136 = 0x88. */
    static const char header[] =
        "{\"__metadata__\":{\"k\":\"v\"},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
        "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}      ";
    unsigned char expect[8 + 136 + 6] = {0x88, 0, 0, 0, 0, 0, 0, 0};
    CHECK_INT(strlen(header), 136);
    memcpy(expect + 8, header, 136);
    memcpy(expect + 144, &a, 4);
    memcpy(expect + 148, b, 2);
    size_t len = 0;
    unsigned char *got = read_file(path, &len);
    CHECK(got != NULL);
    CHECK_INT(len, sizeof expect);
    if (got != NULL && len == sizeof expect)
        CHECK_MEM(got, expect, sizeof expect);
    free(got);

    /* Nothing but the file itself is left in the directory. */
    DIR *d = opendir(tmpdir);
    int leftovers = 0;
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
        leftovers += strstr(de->d_name, ".tmp") != NULL;
    if (d != NULL)
        closedir(d);
    CHECK_INT(leftovers, 0);

    /* An empty model: "{}" padded to 8. */
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_write(w, tmp_path("none.safetensors"), &err), MS_OK);
    ms_st_writer_free(w);
    got = read_file(tmp_path("none.safetensors"), &len);
    CHECK_INT(len, 16);
    if (got != NULL && len == 16)
        CHECK_MEM(got, "\x08\0\0\0\0\0\0\0{}      ", 16);
    free(got);
    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open(tmp_path("none.safetensors"), &st, &err), MS_OK);
    CHECK_INT(ms_safetensors_count(st), 0);
    ms_safetensors_close(st);
}

static void test_writer_round_trip(void)
{
    static uint16_t bf[3 * 5];
    static double f64[2 * 2 * 2];
    static int64_t i64[7];
    static uint8_t flags[9];
    for (size_t i = 0; i < sizeof bf / sizeof *bf; i++)
        bf[i] = (uint16_t)(i * 977);
    for (size_t i = 0; i < sizeof f64 / sizeof *f64; i++)
        f64[i] = (double)i / 3.0;
    for (size_t i = 0; i < sizeof i64 / sizeof *i64; i++)
        i64[i] = -(int64_t)i * 1000000007;
    for (size_t i = 0; i < sizeof flags; i++)
        flags[i] = (uint8_t)(i & 1);
    const uint64_t s_bf[2] = {3, 5}, s_f64[3] = {2, 2, 2}, s_i64[1] = {7}, s_flags[2] = {3, 3},
                   s_empty[2] = {4, 0}, s_eight[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const double one = 1.0;

    ms_st_writer *w = NULL;
    ms_error err;
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "model.layers.0.mlp.weight", MS_DTYPE_BF16, 2, s_bf, bf, &err),
              MS_OK);
    CHECK_INT(ms_st_writer_add(w, "z/\"quoted\"\\name", MS_DTYPE_F64, 3, s_f64, f64, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "caf\xc3\xa9", MS_DTYPE_I64, 1, s_i64, i64, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "flags", MS_DTYPE_BOOL, 2, s_flags, flags, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "empty", MS_DTYPE_F32, 2, s_empty, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "eight", MS_DTYPE_F64, 8, s_eight, &one, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "", MS_DTYPE_F64, 0, NULL, &one, &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w, "format", "pt", &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w, "note", "first", &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w, "note", "tab\there \"q\" \xe2\x82\xac", &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w, "a", "", &err), MS_OK);
    const char *path = tmp_path("rt.safetensors");
    CHECK_INT(ms_st_writer_write(w, path, &err), MS_OK);

    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open(path, &st, &err), MS_OK);
    if (st == NULL) {
        fprintf(stderr, "  round trip refused: %s\n", err.message);
        ms_st_writer_free(w);
        return;
    }
    CHECK_INT(ms_safetensors_count(st), 7);
    static const char *names[] = {"",
                                  "caf\xc3\xa9",
                                  "eight",
                                  "empty",
                                  "flags",
                                  "model.layers.0.mlp.weight",
                                  "z/\"quoted\"\\name"};
    for (size_t i = 0; i < 7; i++)
        CHECK_STR(ms_safetensors_tensor(st, i)->name, names[i]);
    /* Packed in name order. */
    uint64_t pos = 0;
    for (size_t i = 0; i < 7; i++) {
        const ms_tensor_info *t = ms_safetensors_tensor(st, i);
        CHECK_INT(t->begin, pos);
        pos = t->end;
    }
    CHECK_INT(pos, ms_safetensors_data_size(st));
    CHECK_INT((ms_safetensors_file_size(st) - ms_safetensors_data_size(st)) % 8, 0);

    const ms_tensor_info *t = ms_safetensors_find(st, "model.layers.0.mlp.weight");
    CHECK(t != NULL && t->dtype == MS_DTYPE_BF16 && t->ndim == 2 && t->shape[0] == 3 &&
          t->shape[1] == 5 && t->end - t->begin == sizeof bf);
    if (t != NULL)
        CHECK_MEM(ms_safetensors_data(st, t), bf, sizeof bf);
    t = ms_safetensors_find(st, "z/\"quoted\"\\name");
    CHECK(t != NULL && t->ndim == 3);
    if (t != NULL)
        CHECK_MEM(ms_safetensors_data(st, t), f64, sizeof f64);
    t = ms_safetensors_find(st, "caf\xc3\xa9");
    CHECK(t != NULL && t->dtype == MS_DTYPE_I64);
    if (t != NULL)
        CHECK_MEM(ms_safetensors_data(st, t), i64, sizeof i64);
    t = ms_safetensors_find(st, "flags");
    if (t != NULL)
        CHECK_MEM(ms_safetensors_data(st, t), flags, sizeof flags);
    t = ms_safetensors_find(st, "empty");
    CHECK(t != NULL && t->begin == t->end && t->ndim == 2 && t->shape[1] == 0);
    t = ms_safetensors_find(st, "eight");
    CHECK(t != NULL && t->ndim == 8);
    t = ms_safetensors_find(st, "");
    CHECK(t != NULL && t->ndim == 0 && t->end - t->begin == 8);

    CHECK_INT(ms_safetensors_metadata_count(st), 3);
    CHECK_STR(ms_safetensors_metadata_key(st, 0), "a");
    CHECK_STR(ms_safetensors_metadata_get(st, "format"), "pt");
    CHECK_STR(ms_safetensors_metadata_get(st, "note"), "tab\there \"q\" \xe2\x82\xac");
    ms_safetensors_close(st);

    /* Deterministic: the same content added in another order gives the same bytes. */
    ms_st_writer *w2 = NULL;
    CHECK_INT(ms_st_writer_new(&w2, &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w2, "a", "", &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w2, "", MS_DTYPE_F64, 0, NULL, &one, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w2, "eight", MS_DTYPE_F64, 8, s_eight, &one, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w2, "empty", MS_DTYPE_F32, 2, s_empty, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w2, "flags", MS_DTYPE_BOOL, 2, s_flags, flags, &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w2, "note", "tab\there \"q\" \xe2\x82\xac", &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w2, "caf\xc3\xa9", MS_DTYPE_I64, 1, s_i64, i64, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w2, "z/\"quoted\"\\name", MS_DTYPE_F64, 3, s_f64, f64, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w2, "model.layers.0.mlp.weight", MS_DTYPE_BF16, 2, s_bf, bf, &err),
              MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w2, "format", "pt", &err), MS_OK);
    CHECK_INT(ms_st_writer_write(w2, tmp_path("rt2.safetensors"), &err), MS_OK);
    size_t l1 = 0, l2 = 0;
    unsigned char *b1 = read_file(path, &l1), *b2 = read_file(tmp_path("rt2.safetensors"), &l2);
    CHECK(b1 != NULL && b2 != NULL && l1 == l2 && l1 > 0);
    if (b1 != NULL && b2 != NULL && l1 == l2)
        CHECK_MEM(b1, b2, l1);
    /* Writing again over the same path replaces it with the same bytes. */
    CHECK_INT(ms_st_writer_write(w2, path, &err), MS_OK);
    free(b2);
    b2 = read_file(path, &l2);
    CHECK(b2 != NULL && l1 == l2);
    if (b1 != NULL && b2 != NULL && l1 == l2)
        CHECK_MEM(b1, b2, l1);
    free(b1);
    free(b2);
    ms_st_writer_free(w);
    ms_st_writer_free(w2);
}

static void test_writer_refusals(void)
{
    ms_st_writer *w = NULL;
    ms_error err;
    const uint8_t data[16] = {0};
    const uint64_t s1[1] = {4}, s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "w", MS_DTYPE_U8, 1, s1, data, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "w", MS_DTYPE_U8, 1, s1, data, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "duplicate tensor name 'w'");
    CHECK_INT(ms_st_writer_add(w, "__metadata__", MS_DTYPE_U8, 1, s1, data, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "'__metadata__' is reserved");
    CHECK_INT(ms_st_writer_add(w, "bad\xff", MS_DTYPE_U8, 1, s1, data, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "not valid UTF-8");
    CHECK_INT(ms_st_writer_add(w, "x", MS_DTYPE_COUNT, 1, s1, data, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "tensor 'x': invalid dtype");
    CHECK_INT(ms_st_writer_add(w, "x", MS_DTYPE_U8, 9, s9, data, &err), MS_E_LIMIT);
    CHECK_CONTAINS(err.message, "tensor 'x': 9 dimensions exceed limit 8");
    CHECK_INT(ms_st_writer_add(w, "x", MS_DTYPE_U8, 1, NULL, data, &err), MS_E_USAGE);
    /* Data may be NULL at add (streaming declares first); writing it whole refuses. */
    ms_st_writer *wn = NULL;
    CHECK_INT(ms_st_writer_new(&wn, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(wn, "x", MS_DTYPE_U8, 1, s1, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_write(wn, tmp_path("null.safetensors"), &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "tensor 'x': data is NULL");
    ms_st_writer_free(wn);
    const uint64_t huge[1] = {(1ULL << 53) + 1};
    CHECK_INT(ms_st_writer_add(w, "x", MS_DTYPE_U8, 1, huge, data, &err), MS_E_LIMIT);
    CHECK_CONTAINS(err.message, "dimension 0");
    const uint64_t over[3] = {1ULL << 30, 1ULL << 30, 1ULL << 30};
    CHECK_INT(ms_st_writer_add(w, "x", MS_DTYPE_F32, 3, over, data, &err), MS_E_LIMIT);
    CHECK_CONTAINS(err.message, "tensor 'x': size overflows");
    const uint64_t big[2] = {1ULL << 26, 1ULL << 26};
    CHECK_INT(ms_st_writer_add(w, "x", MS_DTYPE_F64, 2, big, data, &err), MS_E_LIMIT);
    CHECK_INT(ms_st_writer_set_metadata(w, "k", "\xc3", &err), MS_E_USAGE);
    CHECK_INT(ms_st_writer_set_metadata(w, NULL, "v", &err), MS_E_USAGE);
    /* The refusals left the writer as it was: one tensor. */
    const char *path = tmp_path("after.safetensors");
    CHECK_INT(ms_st_writer_write(w, path, &err), MS_OK);
    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open(path, &st, &err), MS_OK);
    CHECK_INT(ms_safetensors_count(st), 1);
    ms_safetensors_close(st);

    /* A missing directory: nothing written. */
    CHECK_INT(ms_st_writer_write(w, tmp_path("nodir/w.safetensors"), &err), MS_E_IO);
    /* named as the caller named it, not as a temporary */
    CHECK_CONTAINS(err.message, "nodir/w.safetensors: cannot create: No such file or directory");
    CHECK_CONTAINS(err.message, "cannot create");
    /* Renaming over a directory fails after the data is written: the temporary goes away. */
    mkdir(tmp_path("isdir.safetensors"), 0755);
    CHECK_INT(ms_st_writer_write(w, tmp_path("isdir.safetensors"), &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "isdir.safetensors: cannot rename into place");
    DIR *d = opendir(tmpdir);
    int leftovers = 0;
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
        leftovers += strstr(de->d_name, ".tmp") != NULL;
    if (d != NULL)
        closedir(d);
    CHECK_INT(leftovers, 0);
    rmdir(tmp_path("isdir.safetensors"));

    ms_st_writer_free(w);
    ms_st_writer_free(NULL);
    CHECK_INT(ms_st_writer_add(NULL, "x", MS_DTYPE_U8, 1, s1, data, &err), MS_E_USAGE);
    CHECK_INT(ms_st_writer_write(NULL, "x", &err), MS_E_USAGE);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        unlink(path);
        return;
    }
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        struct stat sb;
        if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-st-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_dtypes();
    test_length_rules();
    test_json_rules();
    test_lexical_rules();
    test_entry_rules();
    test_dtype_rules();
    test_shape_rules();
    test_offset_rules();
    test_size_rules();
    test_span_rules();
    test_metadata_rules();
    test_message_escaping();
    test_accessors();
    test_many_tensors();
    test_open_disk();
    test_writer_exact_bytes();
    test_writer_round_trip();
    test_writer_refusals();
    remove_tree(tmpdir);
    return check_finish("test_safetensors");
}
