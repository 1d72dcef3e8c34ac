/*
 * The GGUF writer.  Pairs and tensor infos are encoded into an in-memory
 * header as they are added (in the caller's order, so the output is a
 * function of the calls alone); tensor data is then streamed through the
 * caller's sink in tensor order, each tensor padded with zeros to the
 * alignment.  Memory: the header only.  What the writer accepts, the
 * reader (read.c) accepts: the same key syntax, name and dimension limits.
 */
#include "gguf/gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"

typedef struct wtensor {
    char *name;
    uint64_t offset, nbytes;
} wtensor;

struct ms_gguf_writer {
    uint32_t alignment;
    uint8_t *kv;          /* encoded pairs */
    size_t kv_len, kv_cap;
    uint64_t nkv;
    uint8_t *ti;          /* encoded tensor infos */
    size_t ti_len, ti_cap;
    wtensor *t;
    size_t nt, t_cap;
    char **keys;          /* for the duplicate check */
    uint64_t data_len;    /* data section so far, aligned */
    int begun, failed;
    ms_gguf_sink sink;
    void *ctx;
    size_t cur;           /* tensor being written */
    uint64_t cur_done;
};

static int grow(uint8_t **b, size_t *cap, size_t len, size_t more)
{
    if (more > SIZE_MAX / 2 - len)
        return -1;
    if (len + more <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < len + more)
        c *= 2;
    uint8_t *p = realloc(*b, c);
    if (p == NULL)
        return -1;
    *b = p;
    *cap = c;
    return 0;
}

static int put(uint8_t **b, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (grow(b, cap, *len, n) != 0)
        return -1;
    if (n > 0)
        memcpy(*b + *len, p, n);
    *len += n;
    return 0;
}

static int put_le(uint8_t **b, size_t *len, size_t *cap, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    return put(b, len, cap, tmp, n);
}

static int put_str(uint8_t **b, size_t *len, size_t *cap, const char *s, size_t n)
{
    return put_le(b, len, cap, n, 8) != 0 || put(b, len, cap, s, n) != 0 ? -1 : 0;
}

ms_status ms_gguf_writer_new(uint32_t alignment, ms_gguf_writer **out, ms_error *err)
{
    *out = NULL;
    if (alignment < 8 || alignment > MS_GGUF_MAX_ALIGNMENT || (alignment & (alignment - 1)) != 0)
        return ms_fail(err, MS_E_USAGE, "GGUF alignment %u is not a power of two from 8 to %u",
                       alignment, MS_GGUF_MAX_ALIGNMENT);
    ms_gguf_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    w->alignment = alignment;
    if (alignment != MS_GGUF_DEFAULT_ALIGNMENT) {
        ms_status st = ms_gguf_writer_add_u32(w, "general.alignment", alignment, err);
        if (st != MS_OK) {
            ms_gguf_writer_free(w);
            return st;
        }
    }
    *out = w;
    return MS_OK;
}

void ms_gguf_writer_free(ms_gguf_writer *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->nkv; i++)
        free(w->keys[i]);
    for (size_t i = 0; i < w->nt; i++)
        free(w->t[i].name);
    free(w->keys);
    free(w->t);
    free(w->kv);
    free(w->ti);
    free(w);
}

/* Start a pair: check the key and that it is new, encode key and type. */
static ms_status kv_begin(ms_gguf_writer *w, const char *key, uint32_t type, ms_error *err)
{
    if (w->begun)
        return ms_fail(err, MS_E_INTERNAL, "GGUF key '%s' added after the header was written", key);
    size_t n = strlen(key);
    if (ms_gguf_key_check(key, n) != 0)
        return ms_fail(err, MS_E_USAGE, "'%s' is not a GGUF key", key);
    for (size_t i = 0; i < w->nkv; i++)
        if (strcmp(w->keys[i], key) == 0)
            return ms_fail(err, MS_E_USAGE, "GGUF key '%s' added twice", key);
    if (w->nkv >= MS_GGUF_MAX_KVS)
        return ms_fail(err, MS_E_LIMIT, "more than %u GGUF keys", MS_GGUF_MAX_KVS);
    char **k = realloc(w->keys, (w->nkv + 1) * sizeof *k);
    if (k == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    w->keys = k;
    if ((k[w->nkv] = strdup(key)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    w->nkv++;
    if (put_str(&w->kv, &w->kv_len, &w->kv_cap, key, n) != 0 ||
        put_le(&w->kv, &w->kv_len, &w->kv_cap, type, 4) != 0)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}

static ms_status kv_scalar(ms_gguf_writer *w, const char *key, uint32_t type, uint64_t v,
                           size_t n, ms_error *err)
{
    ms_status st = kv_begin(w, key, type, err);
    if (st != MS_OK)
        return st;
    if (put_le(&w->kv, &w->kv_len, &w->kv_cap, v, n) != 0)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}

ms_status ms_gguf_writer_add_u32(ms_gguf_writer *w, const char *key, uint32_t v, ms_error *err)
{
    return kv_scalar(w, key, MS_GGUF_U32, v, 4, err);
}

ms_status ms_gguf_writer_add_u64(ms_gguf_writer *w, const char *key, uint64_t v, ms_error *err)
{
    return kv_scalar(w, key, MS_GGUF_U64, v, 8, err);
}

ms_status ms_gguf_writer_add_i32(ms_gguf_writer *w, const char *key, int32_t v, ms_error *err)
{
    return kv_scalar(w, key, MS_GGUF_I32, (uint32_t)v, 4, err);
}

ms_status ms_gguf_writer_add_f32(ms_gguf_writer *w, const char *key, float v, ms_error *err)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return kv_scalar(w, key, MS_GGUF_F32, u, 4, err);
}

ms_status ms_gguf_writer_add_bool(ms_gguf_writer *w, const char *key, int v, ms_error *err)
{
    return kv_scalar(w, key, MS_GGUF_BOOL, v != 0, 1, err);
}

static ms_status check_string(const char *key, size_t n, ms_error *err)
{
    if (n > MS_GGUF_MAX_STRING)
        return ms_fail(err, MS_E_LIMIT, "GGUF key '%s': string of %zu bytes exceeds the limit",
                       key, n);
    return MS_OK;
}

ms_status ms_gguf_writer_add_string(ms_gguf_writer *w, const char *key, const char *s,
                                    ms_error *err)
{
    size_t n = strlen(s);
    ms_status st = check_string(key, n, err);
    if (st == MS_OK)
        st = kv_begin(w, key, MS_GGUF_STRING, err);
    if (st != MS_OK)
        return st;
    if (put_str(&w->kv, &w->kv_len, &w->kv_cap, s, n) != 0)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}

ms_status ms_gguf_writer_add_string_array(ms_gguf_writer *w, const char *key,
                                          const char *const *v, size_t n, ms_error *err)
{
    if (n > MS_GGUF_MAX_ARRAY)
        return ms_fail(err, MS_E_LIMIT, "GGUF key '%s': array of %zu elements exceeds the limit",
                       key, n);
    for (size_t i = 0; i < n; i++) {
        ms_status st = check_string(key, strlen(v[i]), err);
        if (st != MS_OK)
            return st;
    }
    ms_status st = kv_begin(w, key, MS_GGUF_ARRAY, err);
    if (st != MS_OK)
        return st;
    int bad = put_le(&w->kv, &w->kv_len, &w->kv_cap, MS_GGUF_STRING, 4) != 0 ||
              put_le(&w->kv, &w->kv_len, &w->kv_cap, n, 8) != 0;
    for (size_t i = 0; i < n && !bad; i++)
        bad = put_str(&w->kv, &w->kv_len, &w->kv_cap, v[i], strlen(v[i])) != 0;
    return bad ? ms_fail(err, MS_E_NOMEM, "out of memory") : MS_OK;
}

ms_status ms_gguf_writer_add_i32_array(ms_gguf_writer *w, const char *key, const int32_t *v,
                                       size_t n, ms_error *err)
{
    if (n > MS_GGUF_MAX_ARRAY)
        return ms_fail(err, MS_E_LIMIT, "GGUF key '%s': array of %zu elements exceeds the limit",
                       key, n);
    ms_status st = kv_begin(w, key, MS_GGUF_ARRAY, err);
    if (st != MS_OK)
        return st;
    int bad = put_le(&w->kv, &w->kv_len, &w->kv_cap, MS_GGUF_I32, 4) != 0 ||
              put_le(&w->kv, &w->kv_len, &w->kv_cap, n, 8) != 0;
    for (size_t i = 0; i < n && !bad; i++)
        bad = put_le(&w->kv, &w->kv_len, &w->kv_cap, (uint32_t)v[i], 4) != 0;
    return bad ? ms_fail(err, MS_E_NOMEM, "out of memory") : MS_OK;
}

ms_status ms_gguf_writer_add_kv(ms_gguf_writer *w, const ms_gguf_kv *kv, ms_error *err)
{
    if (strcmp(kv->key, "general.alignment") == 0)
        return ms_fail(err, MS_E_USAGE, "GGUF key 'general.alignment' is the writer's own");
    ms_status st = kv_begin(w, kv->key, kv->type, err);
    if (st != MS_OK)
        return st;
    if (put(&w->kv, &w->kv_len, &w->kv_cap, kv->raw, kv->raw_len) != 0)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}

ms_status ms_gguf_writer_add_tensor(ms_gguf_writer *w, const char *name, uint32_t ndim,
                                    const uint64_t *dims, uint32_t type, ms_error *err)
{
    if (w->begun)
        return ms_fail(err, MS_E_INTERNAL, "GGUF tensor '%s' added after the header was written",
                       name);
    size_t n = strlen(name);
    if (n == 0 || n > MS_GGUF_MAX_NAME)
        return ms_fail(err, MS_E_LIMIT, "tensor '%s': a GGUF tensor name has 1 to %d bytes", name,
                       MS_GGUF_MAX_NAME);
    for (size_t i = 0; i < w->nt; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return ms_fail(err, MS_E_USAGE, "GGUF tensor '%s' added twice", name);
    size_t blk = ms_ggml_block_size(type);
    if (blk == 0)
        return ms_fail(err, MS_E_UNSUPPORTED, "tensor '%s': unknown ggml type %u", name, type);
    if (ndim == 0 || ndim > MS_GGUF_MAX_DIMS)
        return ms_fail(err, MS_E_LIMIT, "tensor '%s': %u dimensions, GGUF holds 1 to %d", name,
                       ndim, MS_GGUF_MAX_DIMS);
    uint64_t elems = 1;
    for (uint32_t d = 0; d < ndim; d++) {
        if (dims[d] == 0 || dims[d] > INT64_MAX / elems)
            return ms_fail(err, MS_E_LIMIT, "tensor '%s': dimension %u is zero or overflows",
                           name, d);
        elems *= dims[d];
    }
    if (dims[0] % blk != 0)
        return ms_fail(err, MS_E_USAGE, "tensor '%s': row of %llu values is not whole %s blocks",
                       name, (unsigned long long)dims[0], ms_ggml_type_name(type));
    uint64_t nbytes = elems / blk * ms_ggml_type_size(type);
    uint64_t padded = (nbytes + w->alignment - 1) / w->alignment * w->alignment;
    if (w->nt >= MS_GGUF_MAX_TENSORS || padded > UINT64_MAX / 2 - w->data_len)
        return ms_fail(err, MS_E_LIMIT, "tensor '%s': too many or too large tensors", name);
    if (w->nt == w->t_cap) {
        size_t c = w->t_cap ? w->t_cap * 2 : 16;
        wtensor *t = realloc(w->t, c * sizeof *t);
        if (t == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        w->t = t;
        w->t_cap = c;
    }
    wtensor *t = &w->t[w->nt];
    if ((t->name = strdup(name)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    t->offset = w->data_len;
    t->nbytes = nbytes;
    w->nt++;
    w->data_len += padded;
    int bad = put_str(&w->ti, &w->ti_len, &w->ti_cap, name, n) != 0 ||
              put_le(&w->ti, &w->ti_len, &w->ti_cap, ndim, 4) != 0;
    for (uint32_t d = 0; d < ndim && !bad; d++)
        bad = put_le(&w->ti, &w->ti_len, &w->ti_cap, dims[d], 8) != 0;
    bad = bad || put_le(&w->ti, &w->ti_len, &w->ti_cap, type, 4) != 0 ||
          put_le(&w->ti, &w->ti_len, &w->ti_cap, t->offset, 8) != 0;
    return bad ? ms_fail(err, MS_E_NOMEM, "out of memory") : MS_OK;
}

static uint64_t header_len(const ms_gguf_writer *w)
{
    uint64_t n = 24 + (uint64_t)w->kv_len + w->ti_len;
    return (n + w->alignment - 1) / w->alignment * w->alignment;
}

uint64_t ms_gguf_writer_file_size(const ms_gguf_writer *w)
{
    return header_len(w) + w->data_len;
}

static ms_status zeros(ms_gguf_writer *w, uint64_t n, ms_error *err)
{
    static const uint8_t z[256];
    while (n > 0) {
        size_t k = n < sizeof z ? (size_t)n : sizeof z;
        ms_status st = w->sink(w->ctx, z, k, err);
        if (st != MS_OK)
            return st;
        n -= k;
    }
    return MS_OK;
}

ms_status ms_gguf_writer_begin(ms_gguf_writer *w, ms_gguf_sink sink, void *ctx, ms_error *err)
{
    if (w->begun)
        return ms_fail(err, MS_E_INTERNAL, "GGUF header written twice");
    uint8_t head[24];
    static const uint8_t magic[4] = {'G', 'G', 'U', 'F'};
    memcpy(head, magic, 4);
    uint64_t f[3] = {MS_GGUF_VERSION, w->nt, w->nkv};
    for (size_t i = 0; i < 4; i++)
        head[4 + i] = (uint8_t)(f[0] >> (8 * i));
    for (size_t i = 0; i < 8; i++) {
        head[8 + i] = (uint8_t)(f[1] >> (8 * i));
        head[16 + i] = (uint8_t)(f[2] >> (8 * i));
    }
    w->begun = 1;
    w->sink = sink;
    w->ctx = ctx;
    ms_status st = sink(ctx, head, sizeof head, err);
    if (st == MS_OK && w->kv_len > 0)
        st = sink(ctx, w->kv, w->kv_len, err);
    if (st == MS_OK && w->ti_len > 0)
        st = sink(ctx, w->ti, w->ti_len, err);
    if (st == MS_OK)
        st = zeros(w, header_len(w) - (24 + (uint64_t)w->kv_len + w->ti_len), err);
    if (st != MS_OK)
        w->failed = 1;
    return st;
}

ms_status ms_gguf_writer_put(ms_gguf_writer *w, const void *p, size_t n, ms_error *err)
{
    if (!w->begun || w->failed)
        return ms_fail(err, MS_E_INTERNAL, "GGUF data written before the header or after a failure");
    const uint8_t *b = p;
    while (n > 0) {
        if (w->cur >= w->nt)
            return ms_fail(err, MS_E_INTERNAL, "GGUF data past the last tensor");
        wtensor *t = &w->t[w->cur];
        uint64_t left = t->nbytes - w->cur_done;
        size_t k = n < left ? n : (size_t)left;
        ms_status st = w->sink(w->ctx, b, k, err);
        if (st != MS_OK) {
            w->failed = 1;
            return st;
        }
        b += k;
        n -= k;
        w->cur_done += k;
        if (w->cur_done == t->nbytes) {
            uint64_t pad = (w->alignment - t->nbytes % w->alignment) % w->alignment;
            st = zeros(w, pad, err);
            if (st != MS_OK) {
                w->failed = 1;
                return st;
            }
            w->cur++;
            w->cur_done = 0;
        }
    }
    return MS_OK;
}

ms_status ms_gguf_writer_end(ms_gguf_writer *w, ms_error *err)
{
    if (!w->begun || w->failed || w->cur != w->nt)
        return ms_fail(err, MS_E_INTERNAL, "GGUF data incomplete: %zu of %zu tensors written",
                       w->cur, w->nt);
    return MS_OK;
}
