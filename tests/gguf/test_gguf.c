/*
 * GGUF reader and writer (gguf/): what the writer writes reads back, the
 * same calls give the same bytes, and every malformed image is refused
 * with the status and a message naming the key, tensor or offset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "compress/quant.h"
#include "gguf/gguf.h"

typedef struct buf {
    uint8_t p[8192];
    size_t len;
} buf;

static void b_le(buf *b, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b->p[b->len++] = (uint8_t)(v >> (8 * i));
}
static void b_u32(buf *b, uint32_t v) { b_le(b, v, 4); }
static void b_u64(buf *b, uint64_t v) { b_le(b, v, 8); }
static void b_raw(buf *b, const void *p, size_t n)
{
    memcpy(b->p + b->len, p, n);
    b->len += n;
}
static void b_str(buf *b, const char *s)
{
    b_u64(b, strlen(s));
    b_raw(b, s, strlen(s));
}
static void b_head(buf *b, uint64_t nt, uint64_t nkv)
{
    b->len = 0;
    b_raw(b, "GGUF", 4);
    b_u32(b, 3);
    b_u64(b, nt);
    b_u64(b, nkv);
}
static void b_kv_u32(buf *b, const char *k, uint32_t v)
{
    b_str(b, k);
    b_u32(b, MS_GGUF_U32);
    b_u32(b, v);
}
static void b_tensor(buf *b, const char *name, uint32_t ndim, const uint64_t *dims, uint32_t type,
                     uint64_t off)
{
    b_str(b, name);
    b_u32(b, ndim);
    for (uint32_t i = 0; i < ndim; i++)
        b_u64(b, dims[i]);
    b_u32(b, type);
    b_u64(b, off);
}
static void b_pad(buf *b, size_t align, size_t data)
{
    while (b->len % align)
        b->p[b->len++] = 0;
    memset(b->p + b->len, 0x5a, data);
    b->len += data;
}

/* Open must fail with status st and a message containing frag. */
static void refused(const buf *b, ms_status st, const char *frag, int line)
{
    ms_gguf *g = (ms_gguf *)1;
    ms_error err;
    ms_status got = ms_gguf_open_memory(b->p, b->len, "m.gguf", &g, &err);
    if (got != st || g != NULL || strstr(err.message, frag) == NULL) {
        check_failures++;
        fprintf(stderr, "line %d: status %d (want %d), message \"%s\" (want \"%s\")\n", line,
                (int)got, (int)st, got == MS_OK ? "" : err.message, frag);
        if (got == MS_OK)
            ms_gguf_close(g);
    }
    check_count++;
}
#define REFUSED(b, st, frag) refused((b), (st), (frag), __LINE__)

static const uint64_t d4[1] = {4};

static void test_header(void)
{
    buf b;
    b_head(&b, 0, 0);
    b.p[3] = 'X';
    REFUSED(&b, MS_E_FORMAT, "offset 0: not a GGUF file");
    b_head(&b, 0, 0);
    b.p[4] = 2;
    REFUSED(&b, MS_E_UNSUPPORTED, "GGUF version 2 is not supported");
    b_head(&b, 0, 0);
    b.p[4] = 0;
    b.p[7] = 3;
    REFUSED(&b, MS_E_UNSUPPORTED, "big-endian GGUF");
    b_head(&b, 0, 0);
    b.len = 12;
    REFUSED(&b, MS_E_FORMAT, "m.gguf: offset 8: header runs past the end of the file");
    b_head(&b, 0, UINT64_MAX);
    REFUSED(&b, MS_E_LIMIT, "18446744073709551615 key/value pairs cannot fit");
    b_head(&b, 1u << 30, 0);
    b_pad(&b, 32, 0);
    REFUSED(&b, MS_E_LIMIT, "1073741824 tensor infos cannot fit");
    b.len = 0;
    REFUSED(&b, MS_E_FORMAT, "not a GGUF file");
}

static void test_keys(void)
{
    buf b;
    b_head(&b, 0, 1);
    b_kv_u32(&b, "General.name", 1);
    REFUSED(&b, MS_E_FORMAT, "key 0 'General.name': not a GGUF key");
    b_head(&b, 0, 1);
    b_kv_u32(&b, "general..name", 1);
    REFUSED(&b, MS_E_FORMAT, "not a GGUF key");
    b_head(&b, 0, 1);
    b_kv_u32(&b, "general.", 1);
    REFUSED(&b, MS_E_FORMAT, "not a GGUF key");
    b_head(&b, 0, 2);
    b_kv_u32(&b, "a.b", 1);
    b_kv_u32(&b, "a.b", 2);
    REFUSED(&b, MS_E_FORMAT, "key 'a.b' appears twice");
    b_head(&b, 0, 1);
    b_u64(&b, 70000);
    b_pad(&b, 1, 64);
    REFUSED(&b, MS_E_LIMIT, "offset 24: key 0: length 70000 exceeds the limit of 65535");
    b_head(&b, 0, 1);
    b_u64(&b, 20);
    b_raw(&b, "abcdefghij", 10);
    REFUSED(&b, MS_E_FORMAT, "key 0: 20 bytes run past the end of the file");
}

static void test_values(void)
{
    buf b;
    b_head(&b, 0, 1);
    b_str(&b, "a.t");
    b_u32(&b, 13);
    REFUSED(&b, MS_E_FORMAT, "key 'a.t': unknown value type 13");
    b_head(&b, 0, 1);
    b_str(&b, "a.b");
    b_u32(&b, MS_GGUF_BOOL);
    b.p[b.len++] = 2;
    REFUSED(&b, MS_E_FORMAT, "key 'a.b': bool value 2 is neither 0 nor 1");
    b_head(&b, 0, 1);
    b_str(&b, "a.u");
    b_u32(&b, MS_GGUF_U64);
    b_u32(&b, 7);
    REFUSED(&b, MS_E_FORMAT, "key 'a.u': uint64 value runs past the end of the file");
    b_head(&b, 0, 1);
    b_str(&b, "a.s");
    b_u32(&b, MS_GGUF_STRING);
    b_u64(&b, (1u << 24) + 1);
    REFUSED(&b, MS_E_LIMIT, "key 'a.s': string: length 16777217 exceeds the limit");
    b_head(&b, 0, 1);
    b_str(&b, "a.s");
    b_u32(&b, MS_GGUF_STRING);
    b_u64(&b, 2);
    b_raw(&b, "\xc3\x28", 2);
    REFUSED(&b, MS_E_FORMAT, "key 'a.s': string is not UTF-8");
    /* arrays: element count, nesting, element bounds */
    b_head(&b, 0, 1);
    b_str(&b, "a.a");
    b_u32(&b, MS_GGUF_ARRAY);
    b_u32(&b, MS_GGUF_U8);
    b_u64(&b, (1u << 24) + 1);
    REFUSED(&b, MS_E_LIMIT, "key 'a.a': array of 16777217 elements exceeds the limit");
    b_head(&b, 0, 1);
    b_str(&b, "a.a");
    b_u32(&b, MS_GGUF_ARRAY);
    b_u32(&b, MS_GGUF_U32);
    b_u64(&b, 3);
    b_u32(&b, 1);
    REFUSED(&b, MS_E_FORMAT, "key 'a.a': array of 3 uint32 runs past the end of the file");
    b_head(&b, 0, 1);
    b_str(&b, "a.a");
    b_u32(&b, MS_GGUF_ARRAY);
    b_u32(&b, 77);
    b_u64(&b, 1);
    REFUSED(&b, MS_E_FORMAT, "key 'a.a': unknown array element type 77");
    b_head(&b, 0, 1);
    b_str(&b, "a.a");
    b_u32(&b, MS_GGUF_ARRAY);
    b_u32(&b, MS_GGUF_ARRAY);
    b_u64(&b, 1);
    b_u32(&b, MS_GGUF_ARRAY);
    b_u64(&b, 1);
    b_u32(&b, MS_GGUF_U8);
    b_u64(&b, 1);
    b.p[b.len++] = 1;
    REFUSED(&b, MS_E_LIMIT, "key 'a.a': arrays nested deeper than 2");
    b_head(&b, 0, 1);
    b_str(&b, "a.a");
    b_u32(&b, MS_GGUF_ARRAY);
    b_u32(&b, MS_GGUF_BOOL);
    b_u64(&b, 2);
    b.p[b.len++] = 1;
    b.p[b.len++] = 9;
    REFUSED(&b, MS_E_FORMAT, "key 'a.a': array element 1: bool value 9");
    b_head(&b, 0, 1);
    b_str(&b, "a.a");
    b_u32(&b, MS_GGUF_ARRAY);
    b_u32(&b, MS_GGUF_STRING);
    b_u64(&b, 2);
    b_str(&b, "ok");
    b_u64(&b, 100);
    REFUSED(&b, MS_E_FORMAT, "key 'a.a': string: 100 bytes run past the end of the file");
    /* general.alignment */
    b_head(&b, 0, 1);
    b_str(&b, "general.alignment");
    b_u32(&b, MS_GGUF_U64);
    b_u64(&b, 64);
    REFUSED(&b, MS_E_FORMAT, "key 'general.alignment': type uint64, not uint32");
    b_head(&b, 0, 1);
    b_kv_u32(&b, "general.alignment", 12);
    REFUSED(&b, MS_E_FORMAT, "key 'general.alignment': 12 is not a power of two");
    b_head(&b, 0, 1);
    b_kv_u32(&b, "general.alignment", 4);
    REFUSED(&b, MS_E_FORMAT, "key 'general.alignment': 4 is not a power of two");
}

static void test_tensors(void)
{
    buf b;
    b_head(&b, 1, 0);
    b_tensor(&b, "", 1, d4, MS_GGML_F32, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "tensor 0: name '' is empty");
    b_head(&b, 1, 0);
    b_tensor(&b, "0123456789012345678901234567890123456789012345678901234567890123", 1, d4,
             MS_GGML_F32, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_LIMIT, "tensor 0: name: length 64 exceeds the limit of 63");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 0, d4, MS_GGML_F32, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': 0 dimensions, not 1 to 4");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 5, (const uint64_t[]){1, 1, 1, 1, 1}, MS_GGML_F32, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': 5 dimensions");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 2, (const uint64_t[]){4, 0}, MS_GGML_F32, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': dimension 1 of 0 is zero or overflows");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 2, (const uint64_t[]){1u << 31, 1ull << 33}, MS_GGML_F32, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': dimension 1 of 8589934592 is zero or overflows");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 2, (const uint64_t[]){1u << 31, 1u << 31}, MS_GGML_F64, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': size overflows");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 1, d4, 99, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_UNSUPPORTED, "tensor 'w': unknown ggml type 99");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 1, (const uint64_t[]){16}, MS_GGML_Q8_0, 0);
    b_pad(&b, 32, 34);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': row of 16 values is not a whole number of q8_0 blocks of 32");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 1, (const uint64_t[]){128}, MS_GGML_Q4_K, 0);
    b_pad(&b, 32, 144);
    REFUSED(&b, MS_E_FORMAT, "not a whole number of q4_K blocks of 256");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 1, d4, MS_GGML_F32, 8);
    b_pad(&b, 32, 64);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': data offset 8 is not a multiple of the alignment 32");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 1, d4, MS_GGML_F32, 0);
    b_pad(&b, 32, 15);
    REFUSED(&b, MS_E_FORMAT, "tensor 'w': data at offset 0 + 16 bytes runs past the end of the data section (15 bytes");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 1, d4, MS_GGML_F32, 1ull << 63);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "runs past the end of the data section");
    b_head(&b, 2, 0);
    b_tensor(&b, "a", 1, (const uint64_t[]){16}, MS_GGML_F32, 0);
    b_tensor(&b, "b", 1, d4, MS_GGML_F32, 32);
    b_pad(&b, 32, 96);
    REFUSED(&b, MS_E_FORMAT, "tensor 'b': data at offset 32 overlaps tensor 'a' (0 + 64)");
    b_head(&b, 2, 0);
    b_tensor(&b, "a", 1, d4, MS_GGML_F32, 0);
    b_tensor(&b, "a", 1, d4, MS_GGML_F32, 32);
    b_pad(&b, 32, 64);
    REFUSED(&b, MS_E_FORMAT, "tensor 'a' appears twice");
    b_head(&b, 1, 0);
    b_tensor(&b, "w", 1, d4, MS_GGML_F32, 0);
    size_t end = b.len;
    b_pad(&b, 32, 16);
    b.p[end] = 1;
    REFUSED(&b, MS_E_FORMAT, "padding before the data section is not zero");
    b_head(&b, 1, 0);
    b_tensor(&b, "wwww", 1, d4, MS_GGML_F32, 0);
    b.len -= 3;
    REFUSED(&b, MS_E_FORMAT, "tensor 'wwww': runs past the end of the file");
    b_head(&b, 1, 0);
    b_str(&b, "w\377x");
    b_pad(&b, 1, 40);
    REFUSED(&b, MS_E_FORMAT, "tensor 0: name 'w\\xffx' is empty, holds NUL or is not UTF-8");
    b_head(&b, 1, 0);
    b_u64(&b, 3);
    b_raw(&b, "a\0b", 3);
    b_u32(&b, 1);
    b_u64(&b, 4);
    b_u32(&b, 0);
    b_u64(&b, 0);
    b_pad(&b, 32, 16);
    REFUSED(&b, MS_E_FORMAT, "tensor 0: name 'a");
}

typedef struct membuf {
    uint8_t *p;
    size_t len, cap;
} membuf;

static ms_status sink(void *ctx, const void *p, size_t n, ms_error *err)
{
    membuf *m = ctx;
    if (n > m->cap - m->len) {
        err->status = MS_E_IO;
        snprintf(err->message, sizeof err->message, "sink full");
        return MS_E_IO;
    }
    memcpy(m->p + m->len, p, n);
    m->len += n;
    return MS_OK;
}

static uint8_t q8[2 * 34], q4k[144], f32[3 * 4];

static ms_gguf_writer *sample(uint32_t align)
{
    ms_gguf_writer *w = NULL;
    ms_error err;
    CHECK_INT(ms_gguf_writer_new(align, &w, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_string(w, "general.architecture", "llama", &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_u32(w, "general.file_type", 7, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_u64(w, "llama.context_length", 1ull << 40, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_i32(w, "a.neg", -5, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_f32(w, "a.eps", 1e-5f, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_bool(w, "a.flag", 1, &err), MS_OK);
    const char *toks[] = {"<s>", "h\xc3\xa9", ""};
    CHECK_INT(ms_gguf_writer_add_string_array(w, "tokenizer.ggml.tokens", toks, 3, &err), MS_OK);
    const int32_t ty[] = {3, 1, -1};
    CHECK_INT(ms_gguf_writer_add_i32_array(w, "tokenizer.ggml.token_type", ty, 3, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_tensor(w, "blk.0.q", 2, (const uint64_t[]){32, 2}, MS_GGML_Q8_0,
                                        &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_tensor(w, "blk.0.k", 1, (const uint64_t[]){256}, MS_GGML_Q4_K,
                                        &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_tensor(w, "norm", 1, (const uint64_t[]){3}, MS_GGML_F32, &err),
              MS_OK);
    return w;
}

static membuf write_sample(uint32_t align)
{
    ms_error err;
    ms_gguf_writer *w = sample(align);
    uint64_t size = ms_gguf_writer_file_size(w);
    membuf m = {malloc(size), 0, (size_t)size};
    CHECK_INT(ms_gguf_writer_begin(w, sink, &m, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_put(w, q8, 50, &err), MS_OK); /* pieces across tensors */
    CHECK_INT(ms_gguf_writer_put(w, q8 + 50, sizeof q8 - 50, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_put(w, q4k, sizeof q4k, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_put(w, f32, sizeof f32, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_end(w, &err), MS_OK);
    CHECK_INT(m.len, size);
    ms_gguf_writer_free(w);
    return m;
}

static void test_roundtrip(void)
{
    for (size_t i = 0; i < sizeof q8; i++)
        q8[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof q4k; i++)
        q4k[i] = (uint8_t)(i * 13 + 5);
    for (size_t i = 0; i < sizeof f32; i++)
        f32[i] = (uint8_t)(200 + i);
    uint32_t aligns[] = {32, 64, 8};
    for (size_t a = 0; a < 3; a++) {
        membuf m = write_sample(aligns[a]);
        membuf m2 = write_sample(aligns[a]);
        CHECK(m.len == m2.len && memcmp(m.p, m2.p, m.len) == 0); /* deterministic */
        ms_gguf *g = NULL;
        ms_error err;
        CHECK_INT(ms_gguf_open_memory(m.p, m.len, "w.gguf", &g, &err), MS_OK);
        if (g == NULL) {
            fprintf(stderr, "%s\n", err.message);
            continue;
        }
        CHECK_INT(ms_gguf_alignment(g), aligns[a]);
        CHECK_INT(ms_gguf_data_offset(g) % aligns[a], 0);
        CHECK_INT(ms_gguf_kv_count(g), aligns[a] == 32 ? 8 : 9);
        const ms_gguf_kv *kv = ms_gguf_find_kv(g, "general.architecture");
        CHECK(kv != NULL && kv->type == MS_GGUF_STRING && kv->str_len == 5 &&
              memcmp(kv->str, "llama", 5) == 0);
        kv = ms_gguf_find_kv(g, "llama.context_length");
        CHECK(kv != NULL && kv->type == MS_GGUF_U64 && kv->num.u == 1ull << 40);
        kv = ms_gguf_find_kv(g, "a.neg");
        CHECK(kv != NULL && kv->type == MS_GGUF_I32 && kv->num.i == -5);
        kv = ms_gguf_find_kv(g, "a.eps");
        CHECK(kv != NULL && kv->type == MS_GGUF_F32 && kv->num.f == (double)1e-5f);
        kv = ms_gguf_find_kv(g, "a.flag");
        CHECK(kv != NULL && kv->type == MS_GGUF_BOOL && kv->num.u == 1);
        kv = ms_gguf_find_kv(g, "tokenizer.ggml.tokens");
        CHECK(kv != NULL && kv->elem_type == MS_GGUF_STRING && kv->count == 3);
        size_t pos = 0, n;
        const char *s;
        CHECK(ms_gguf_array_string(kv, &pos, &s, &n) == 0 && n == 3 && memcmp(s, "<s>", 3) == 0);
        CHECK(ms_gguf_array_string(kv, &pos, &s, &n) == 0 && n == 3 &&
              memcmp(s, "h\xc3\xa9", 3) == 0);
        CHECK(ms_gguf_array_string(kv, &pos, &s, &n) == 0 && n == 0);
        CHECK(ms_gguf_array_string(kv, &pos, &s, &n) == -1);
        kv = ms_gguf_find_kv(g, "tokenizer.ggml.token_type");
        CHECK(kv != NULL && kv->elem_type == MS_GGUF_I32 && kv->count == 3 &&
              ms_gguf_array_string(kv, &pos, &s, &n) == -1);
        CHECK(ms_gguf_find_kv(g, "no.such") == NULL);
        CHECK_INT(ms_gguf_tensor_count(g), 3);
        const ms_gguf_tensor *t = ms_gguf_find_tensor(g, "blk.0.q");
        CHECK(t != NULL && t->ndim == 2 && t->dims[0] == 32 && t->dims[1] == 2 &&
              t->type == MS_GGML_Q8_0 && t->nbytes == sizeof q8 && t->offset == 0);
        CHECK(t != NULL && memcmp(ms_gguf_tensor_data(g, t), q8, sizeof q8) == 0);
        t = ms_gguf_find_tensor(g, "blk.0.k");
        CHECK(t != NULL && t->nbytes == 144 && t->offset % aligns[a] == 0 &&
              memcmp(ms_gguf_tensor_data(g, t), q4k, 144) == 0);
        t = ms_gguf_find_tensor(g, "norm");
        CHECK(t != NULL && t->nbytes == 12 && memcmp(ms_gguf_tensor_data(g, t), f32, 12) == 0);
        CHECK(ms_gguf_tensor_at(g, 3) == NULL && ms_gguf_find_tensor(g, "x") == NULL);
        /* through a file as well */
        char path[] = "/tmp/test_gguf_XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0 && write(fd, m.p, m.len) == (ssize_t)m.len);
        close(fd);
        ms_gguf *h = NULL;
        CHECK_INT(ms_gguf_open(path, &h, &err), MS_OK);
        CHECK(h != NULL && ms_gguf_tensor_count(h) == 3);
        ms_gguf_close(h);
        unlink(path);
        CHECK_INT(ms_gguf_open(path, &h, &err), MS_E_IO);
        CHECK_CONTAINS(err.message, "cannot open");
        ms_gguf_close(g);
        free(m.p);
        free(m2.p);
    }
}

static void test_writer_refuses(void)
{
    ms_gguf_writer *w = NULL;
    ms_error err;
    CHECK_INT(ms_gguf_writer_new(12, &w, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "alignment 12");
    CHECK(w == NULL);
    CHECK_INT(ms_gguf_writer_new(32, &w, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_u32(w, "Bad.Key", 1, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "'Bad.Key' is not a GGUF key");
    CHECK_INT(ms_gguf_writer_add_u32(w, "a.b", 1, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_string(w, "a.b", "x", &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "GGUF key 'a.b' added twice");
    CHECK_INT(ms_gguf_writer_add_tensor(w, "0123456789012345678901234567890123456789012345678901234567890123",
                                        1, d4, MS_GGML_F32, &err), MS_E_LIMIT);
    CHECK_INT(ms_gguf_writer_add_tensor(w, "w", 1, (const uint64_t[]){100}, MS_GGML_Q6_K, &err),
              MS_E_USAGE);
    CHECK_CONTAINS(err.message, "tensor 'w': row of 100 values is not whole q6_K blocks");
    CHECK_INT(ms_gguf_writer_add_tensor(w, "w", 1, d4, 5, &err), MS_E_UNSUPPORTED);
    CHECK_INT(ms_gguf_writer_add_tensor(w, "w", 2, (const uint64_t[]){4, 0}, MS_GGML_F32, &err),
              MS_E_LIMIT);
    CHECK_INT(ms_gguf_writer_add_tensor(w, "w", 1, d4, MS_GGML_F32, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_tensor(w, "w", 1, d4, MS_GGML_F32, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "GGUF tensor 'w' added twice");
    membuf m = {malloc(4096), 0, 4096};
    CHECK_INT(ms_gguf_writer_put(w, f32, 4, &err), MS_E_INTERNAL);
    CHECK_INT(ms_gguf_writer_begin(w, sink, &m, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_add_u32(w, "a.c", 1, &err), MS_E_INTERNAL);
    CHECK_INT(ms_gguf_writer_put(w, f32, 8, &err), MS_OK);
    CHECK_INT(ms_gguf_writer_end(w, &err), MS_E_INTERNAL);
    CHECK_CONTAINS(err.message, "0 of 1 tensors written");
    CHECK_INT(ms_gguf_writer_put(w, f32, 12, &err), MS_E_INTERNAL);
    CHECK_CONTAINS(err.message, "past the last tensor");
    ms_gguf_writer_free(w);
    ms_gguf_writer_free(NULL);
    ms_gguf_close(NULL);
    free(m.p);
}

/* Our schemes' stored rows are ggml's blocks: the type table must agree with compress/. */
static void test_types(void)
{
    CHECK_INT(ms_ggml_type_size(MS_GGML_Q8_0), ms_scheme_row_bytes(MS_SCHEME_Q8_0, 32));
    CHECK_INT(ms_ggml_type_size(MS_GGML_Q4_0), ms_scheme_row_bytes(MS_SCHEME_Q4_0, 32));
    CHECK_INT(ms_ggml_type_size(MS_GGML_Q4_K), ms_scheme_row_bytes(MS_SCHEME_Q4_K, 256));
    CHECK_INT(ms_ggml_type_size(MS_GGML_Q6_K), ms_scheme_row_bytes(MS_SCHEME_Q6_K, 256));
    CHECK_INT(ms_ggml_block_size(MS_GGML_Q8_0), ms_scheme_block(MS_SCHEME_Q8_0));
    CHECK_INT(ms_ggml_block_size(MS_GGML_Q4_K), ms_scheme_block(MS_SCHEME_Q4_K));
    CHECK_INT(ms_ggml_type_size(MS_GGML_BF16), 2);
    CHECK_INT(ms_ggml_type_size(4), 0);
    CHECK(ms_ggml_type_name(31) == NULL);
    CHECK_STR(ms_ggml_type_name(MS_GGML_Q6_K), "q6_K");
    CHECK_STR(ms_gguf_vtype_name(MS_GGUF_F64), "float64");
    CHECK_STR(ms_gguf_vtype_name(13), "?");
    CHECK_INT(ms_gguf_key_check("general.base_model.0.name", 25), 0);
    CHECK_INT(ms_gguf_key_check("a-b", 3), -1);
    CHECK_INT(ms_gguf_key_check(".a", 2), -1);
    CHECK_INT(ms_gguf_key_check("", 0), -1);
}

int main(void)
{
    test_header();
    test_keys();
    test_values();
    test_tensors();
    test_roundtrip();
    test_writer_refuses();
    test_types();
    return check_finish("test_gguf");
}
