/*
 * libFuzzer target for the GGUF reader (gguf/read.c) and, through it, the
 * writer.  An accepted image must keep the reader's promises: every pair
 * and tensor findable by its name, tensor data inside the image, rows
 * whole blocks, no two tensors overlapping.  It is then written again
 * (pairs copied, tensors re-laid) and the copy must read back with the
 * same pairs, tensor infos and tensor bytes.  A refusal carries a
 * sanitized message.  Seeds named valid-* must be accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "gguf/gguf.h"

typedef struct membuf {
    uint8_t *p;
    size_t len, cap;
} membuf;

static ms_status sink(void *ctx, const void *p, size_t n, ms_error *err)
{
    (void)err;
    membuf *b = ctx;
    if (n > b->cap - b->len)
        abort(); /* the writer promised a size and overran it */
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return MS_OK;
}

static void rewrite(const ms_gguf *g)
{
    ms_gguf_writer *w = NULL;
    ms_error err;
    if (ms_gguf_writer_new(ms_gguf_alignment(g), &w, &err) != MS_OK)
        abort();
    for (size_t i = 0; i < ms_gguf_kv_count(g); i++) {
        const ms_gguf_kv *kv = ms_gguf_kv_at(g, i);
        if (strcmp(kv->key, "general.alignment") == 0)
            continue;
        if (ms_gguf_writer_add_kv(w, kv, &err) != MS_OK)
            abort();
    }
    for (size_t i = 0; i < ms_gguf_tensor_count(g); i++) {
        const ms_gguf_tensor *t = ms_gguf_tensor_at(g, i);
        if (ms_gguf_writer_add_tensor(w, t->name, t->ndim, t->dims, t->type, &err) != MS_OK)
            abort();
    }
    uint64_t size = ms_gguf_writer_file_size(w);
    if (size > (64u << 20)) { /* large alignments times many tensors: not worth the memory */
        ms_gguf_writer_free(w);
        return;
    }
    membuf b = {malloc(size ? size : 1), 0, (size_t)size};
    if (b.p == NULL)
        abort();
    if (ms_gguf_writer_begin(w, sink, &b, &err) != MS_OK)
        abort();
    for (size_t i = 0; i < ms_gguf_tensor_count(g); i++) {
        const ms_gguf_tensor *t = ms_gguf_tensor_at(g, i);
        if (ms_gguf_writer_put(w, ms_gguf_tensor_data(g, t), t->nbytes, &err) != MS_OK)
            abort();
    }
    if (ms_gguf_writer_end(w, &err) != MS_OK || b.len != size)
        abort();
    ms_gguf_writer_free(w);
    ms_gguf *h = NULL;
    if (ms_gguf_open_memory(b.p, b.len, "copy", &h, &err) != MS_OK)
        abort();
    if (ms_gguf_kv_count(h) != ms_gguf_kv_count(g) || ms_gguf_tensor_count(h) != ms_gguf_tensor_count(g))
        abort();
    for (size_t i = 0; i < ms_gguf_kv_count(g); i++) {
        const ms_gguf_kv *a = ms_gguf_kv_at(g, i);
        const ms_gguf_kv *c = ms_gguf_find_kv(h, a->key);
        if (c == NULL || c->type != a->type || c->raw_len != a->raw_len ||
            memcmp(c->raw, a->raw, a->raw_len) != 0)
            abort();
    }
    for (size_t i = 0; i < ms_gguf_tensor_count(g); i++) {
        const ms_gguf_tensor *a = ms_gguf_tensor_at(g, i), *c = ms_gguf_tensor_at(h, i);
        if (strcmp(a->name, c->name) != 0 || a->type != c->type || a->ndim != c->ndim ||
            memcmp(a->dims, c->dims, sizeof a->dims) != 0 || a->nbytes != c->nbytes ||
            memcmp(ms_gguf_tensor_data(g, a), ms_gguf_tensor_data(h, c), a->nbytes) != 0)
            abort();
    }
    ms_gguf_close(h);
    free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_gguf *g = NULL;
    ms_error err;
    ms_status st = ms_gguf_open_memory(data, size, "fuzz", &g, &err);
    if (st != MS_OK) {
        if (g != NULL || fuzz_input_is_valid_seed())
            abort();
        fuzz_check_error(st, &err);
        return 0;
    }
    uint64_t data_off = ms_gguf_data_offset(g);
    for (size_t i = 0; i < ms_gguf_kv_count(g); i++) {
        const ms_gguf_kv *kv = ms_gguf_kv_at(g, i);
        if (ms_gguf_find_kv(g, kv->key) != kv || ms_gguf_key_check(kv->key, strlen(kv->key)) != 0)
            abort();
        if (kv->raw < data || kv->raw + kv->raw_len > data + size)
            abort();
        size_t pos = 0, n;
        const char *s;
        while (ms_gguf_array_string(kv, &pos, &s, &n) == 0)
            if ((const uint8_t *)s < data || (const uint8_t *)s + n > data + size)
                abort();
    }
    volatile uint8_t sink_byte = 0;
    for (size_t i = 0; i < ms_gguf_tensor_count(g); i++) {
        const ms_gguf_tensor *t = ms_gguf_tensor_at(g, i);
        if (ms_gguf_find_tensor(g, t->name) != t || t->dims[0] % ms_ggml_block_size(t->type) != 0)
            abort();
        const uint8_t *p = ms_gguf_tensor_data(g, t);
        if (p < data + data_off || t->nbytes > size || p + t->nbytes > data + size)
            abort();
        sink_byte ^= p[0] ^ p[t->nbytes - 1];
        for (size_t j = 0; j < ms_gguf_tensor_count(g); j++) {
            const ms_gguf_tensor *u = ms_gguf_tensor_at(g, j);
            if (j != i && t->offset < u->offset + u->nbytes && u->offset < t->offset + t->nbytes)
                abort();
        }
    }
    (void)sink_byte;
    rewrite(g);
    ms_gguf_close(g);
    return 0;
}
