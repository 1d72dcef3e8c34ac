/*
 * The GGUF reader: one pass over the header of an image in memory, every
 * field bounds-checked before use, nothing copied but keys and tensor
 * names.  Time and memory are linear in the image size: counts are
 * checked against the bytes that remain before anything is allocated, and
 * every element of every array consumes at least one byte.
 *
 * Refused: a wrong magic, a version other than 3 (a big-endian file reads
 * as version 0x03000000 and is named as such), counts past the limits in
 * gguf.h, keys that break the key syntax, duplicate keys or tensor names,
 * unknown value types, bools other than 0 and 1, strings that are not
 * UTF-8, arrays nested deeper than MS_GGUF_MAX_DEPTH, a general.alignment
 * that is not a uint32 power of two from 8 to 1 MiB, tensor names empty,
 * longer than 63 bytes or holding NUL, 0 or more than 4 dimensions, zero
 * or overflowing dimensions, unknown ggml types, rows that are not whole
 * blocks, offsets that are unaligned, run past the end of the file or
 * overlap another tensor.
 */
#include "gguf/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/text.h"

struct ms_gguf {
    const uint8_t *base;
    size_t len;
    void *map;
    size_t map_len;
    char *what;
    uint32_t alignment;
    uint64_t data_off;
    ms_gguf_kv *kvs;
    size_t nkv;
    ms_gguf_tensor *tensors;
    size_t nt;
    const ms_gguf_kv **kv_by_key;
    const ms_gguf_tensor **t_by_name;
};

typedef struct cursor {
    const uint8_t *p;
    size_t len;
    size_t pos;
} cursor;

static ms_status bad(const ms_gguf *g, ms_error *err, ms_status st, size_t pos, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

static ms_status bad(const ms_gguf *g, ms_error *err, ms_status st, size_t pos, const char *fmt,
                     ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ms_fail(err, st, "%s: offset %zu: %s", g->what, pos, msg);
}

static int need(const cursor *c, size_t n)
{
    return c->len - c->pos >= n ? 0 : -1;
}

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static int rd(cursor *c, size_t n, uint64_t *v)
{
    if (need(c, n) != 0)
        return -1;
    *v = le(c->p + c->pos, n);
    c->pos += n;
    return 0;
}

static int utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = ms_utf8_seq_len(s + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

static size_t scalar_size(uint32_t t)
{
    switch (t) {
    case MS_GGUF_U8: case MS_GGUF_I8: case MS_GGUF_BOOL: return 1;
    case MS_GGUF_U16: case MS_GGUF_I16: return 2;
    case MS_GGUF_U32: case MS_GGUF_I32: case MS_GGUF_F32: return 4;
    case MS_GGUF_U64: case MS_GGUF_I64: case MS_GGUF_F64: return 8;
    default: return 0;
    }
}

/* A string at the cursor: its bytes stay in the image. */
static ms_status read_string(const ms_gguf *g, cursor *c, const char *what, uint64_t max,
                             const uint8_t **s, size_t *n, ms_error *err)
{
    size_t at = c->pos;
    uint64_t len;
    if (rd(c, 8, &len) != 0)
        return bad(g, err, MS_E_FORMAT, at, "%s: length runs past the end of the file", what);
    if (len > max)
        return bad(g, err, MS_E_LIMIT, at, "%s: length %llu exceeds the limit of %llu bytes",
                   what, (unsigned long long)len, (unsigned long long)max);
    if (need(c, (size_t)len) != 0)
        return bad(g, err, MS_E_FORMAT, at, "%s: %llu bytes run past the end of the file", what,
                   (unsigned long long)len);
    *s = c->p + c->pos;
    *n = (size_t)len;
    c->pos += (size_t)len;
    return MS_OK;
}

/* A value of type t for key `key`; scalars and strings land in kv when it is non-NULL. */
static ms_status read_value(const ms_gguf *g, cursor *c, const char *key, uint32_t t, int depth,
                            ms_gguf_kv *kv, ms_error *err)
{
    size_t at = c->pos;
    size_t sz = scalar_size(t);
    if (sz != 0) {
        uint64_t v;
        if (rd(c, sz, &v) != 0)
            return bad(g, err, MS_E_FORMAT, at, "key '%s': %s value runs past the end of the file",
                       key, ms_gguf_vtype_name(t));
        if (t == MS_GGUF_BOOL && v > 1)
            return bad(g, err, MS_E_FORMAT, at, "key '%s': bool value %llu is neither 0 nor 1",
                       key, (unsigned long long)v);
        if (kv != NULL) {
            switch (t) {
            case MS_GGUF_I8: kv->num.i = (int8_t)v; break;
            case MS_GGUF_I16: kv->num.i = (int16_t)v; break;
            case MS_GGUF_I32: kv->num.i = (int32_t)v; break;
            case MS_GGUF_I64: kv->num.i = (int64_t)v; break;
            case MS_GGUF_F32: {
                uint32_t u = (uint32_t)v;
                float f;
                memcpy(&f, &u, sizeof f);
                kv->num.f = f;
                break;
            }
            case MS_GGUF_F64: memcpy(&kv->num.f, &v, sizeof v); break;
            default: kv->num.u = v; break;
            }
        }
        return MS_OK;
    }
    if (t == MS_GGUF_STRING) {
        const uint8_t *s;
        size_t n;
        char what[96];
        snprintf(what, sizeof what, "key '%s': string", key);
        ms_status st = read_string(g, c, what, MS_GGUF_MAX_STRING, &s, &n, err);
        if (st != MS_OK)
            return st;
        if (!utf8_ok(s, n))
            return bad(g, err, MS_E_FORMAT, at, "key '%s': string is not UTF-8", key);
        if (kv != NULL) {
            kv->str = (const char *)s;
            kv->str_len = n;
        }
        return MS_OK;
    }
    if (t != MS_GGUF_ARRAY)
        return bad(g, err, MS_E_FORMAT, at, "key '%s': unknown value type %u", key, t);
    if (depth >= MS_GGUF_MAX_DEPTH)
        return bad(g, err, MS_E_LIMIT, at, "key '%s': arrays nested deeper than %d", key,
                   MS_GGUF_MAX_DEPTH);
    uint64_t et, count;
    if (rd(c, 4, &et) != 0 || rd(c, 8, &count) != 0)
        return bad(g, err, MS_E_FORMAT, at, "key '%s': array header runs past the end of the file",
                   key);
    if (et >= MS_GGUF_VTYPE_COUNT)
        return bad(g, err, MS_E_FORMAT, at, "key '%s': unknown array element type %llu", key,
                   (unsigned long long)et);
    if (count > MS_GGUF_MAX_ARRAY)
        return bad(g, err, MS_E_LIMIT, at, "key '%s': array of %llu elements exceeds the limit of %u",
                   key, (unsigned long long)count, MS_GGUF_MAX_ARRAY);
    if (kv != NULL) {
        kv->elem_type = (uint32_t)et;
        kv->count = count;
    }
    size_t esz = scalar_size((uint32_t)et);
    if (esz != 0) {
        if (need(c, (size_t)count * esz) != 0)
            return bad(g, err, MS_E_FORMAT, at,
                       "key '%s': array of %llu %s runs past the end of the file", key,
                       (unsigned long long)count, ms_gguf_vtype_name((uint32_t)et));
        if (et == MS_GGUF_BOOL)
            for (size_t i = 0; i < count; i++)
                if (c->p[c->pos + i] > 1)
                    return bad(g, err, MS_E_FORMAT, c->pos + i,
                               "key '%s': array element %zu: bool value %u is neither 0 nor 1",
                               key, i, c->p[c->pos + i]);
        c->pos += (size_t)count * esz;
        return MS_OK;
    }
    for (uint64_t i = 0; i < count; i++) {
        ms_status st = read_value(g, c, key, (uint32_t)et, depth + 1, NULL, err);
        if (st != MS_OK)
            return st;
    }
    return MS_OK;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp((*(const ms_gguf_kv *const *)a)->key, (*(const ms_gguf_kv *const *)b)->key);
}

static int cmp_tname(const void *a, const void *b)
{
    return strcmp((*(const ms_gguf_tensor *const *)a)->name,
                  (*(const ms_gguf_tensor *const *)b)->name);
}

static int cmp_toff(const void *a, const void *b)
{
    const ms_gguf_tensor *x = *(const ms_gguf_tensor *const *)a;
    const ms_gguf_tensor *y = *(const ms_gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static ms_status nomem(const ms_gguf *g, ms_error *err)
{
    return ms_fail(err, MS_E_NOMEM, "%s: out of memory", g->what);
}

static ms_status read_kvs(ms_gguf *g, cursor *c, uint64_t count, ms_error *err)
{
    /* key length, key byte, type, one value byte */
    if (count > MS_GGUF_MAX_KVS || count > (c->len - c->pos) / 14)
        return bad(g, err, MS_E_LIMIT, 16, "%llu key/value pairs cannot fit in the file",
                   (unsigned long long)count);
    g->kvs = calloc(count ? count : 1, sizeof *g->kvs);
    g->kv_by_key = calloc(count ? count : 1, sizeof *g->kv_by_key);
    if (g->kvs == NULL || g->kv_by_key == NULL)
        return nomem(g, err);
    for (size_t i = 0; i < count; i++) {
        size_t at = c->pos;
        const uint8_t *k;
        size_t klen;
        char what[48];
        snprintf(what, sizeof what, "key %zu", i);
        ms_status st = read_string(g, c, what, MS_GGUF_MAX_KEY, &k, &klen, err);
        if (st != MS_OK)
            return st;
        if (ms_gguf_key_check((const char *)k, klen) != 0)
            return bad(g, err, MS_E_FORMAT, at,
                       "key %zu '%.*s': not a GGUF key (lower_snake_case segments joined by '.')",
                       i, (int)(klen > 80 ? 80 : klen), (const char *)k);
        ms_gguf_kv *kv = &g->kvs[i];
        char *key = malloc(klen + 1);
        if (key == NULL)
            return nomem(g, err);
        memcpy(key, k, klen);
        key[klen] = '\0';
        kv->key = key;
        g->nkv = i + 1;
        uint64_t t;
        size_t tat = c->pos;
        if (rd(c, 4, &t) != 0)
            return bad(g, err, MS_E_FORMAT, tat, "key '%s': value type runs past the end of the file",
                       key);
        if (t >= MS_GGUF_VTYPE_COUNT)
            return bad(g, err, MS_E_FORMAT, tat, "key '%s': unknown value type %llu", key,
                       (unsigned long long)t);
        kv->type = (uint32_t)t;
        kv->raw = c->p + c->pos;
        size_t vat = c->pos;
        st = read_value(g, c, key, kv->type, 0, kv, err);
        if (st != MS_OK)
            return st;
        kv->raw_len = c->pos - vat;
        g->kv_by_key[i] = kv;
    }
    qsort(g->kv_by_key, g->nkv, sizeof *g->kv_by_key, cmp_kv);
    for (size_t i = 1; i < g->nkv; i++)
        if (strcmp(g->kv_by_key[i - 1]->key, g->kv_by_key[i]->key) == 0)
            return bad(g, err, MS_E_FORMAT, (size_t)(g->kv_by_key[i]->raw - g->base),
                       "key '%s' appears twice", g->kv_by_key[i]->key);
    const ms_gguf_kv *al = ms_gguf_find_kv(g, "general.alignment");
    g->alignment = MS_GGUF_DEFAULT_ALIGNMENT;
    if (al != NULL) {
        size_t at = (size_t)(al->raw - g->base);
        if (al->type != MS_GGUF_U32)
            return bad(g, err, MS_E_FORMAT, at, "key 'general.alignment': type %s, not uint32",
                       ms_gguf_vtype_name(al->type));
        uint64_t a = al->num.u;
        if (a < 8 || a > MS_GGUF_MAX_ALIGNMENT || (a & (a - 1)) != 0)
            return bad(g, err, MS_E_FORMAT, at,
                       "key 'general.alignment': %llu is not a power of two from 8 to %u",
                       (unsigned long long)a, MS_GGUF_MAX_ALIGNMENT);
        g->alignment = (uint32_t)a;
    }
    return MS_OK;
}

static ms_status read_tensor(ms_gguf *g, cursor *c, size_t i, ms_error *err)
{
    size_t at = c->pos;
    const uint8_t *s;
    size_t n;
    char what[48];
    snprintf(what, sizeof what, "tensor %zu: name", i);
    ms_status st = read_string(g, c, what, MS_GGUF_MAX_NAME, &s, &n, err);
    if (st != MS_OK)
        return st;
    if (n == 0 || memchr(s, 0, n) != NULL || !utf8_ok(s, n))
        return bad(g, err, MS_E_FORMAT, at, "tensor %zu: name '%.*s' is empty, holds NUL or is not UTF-8",
                   i, (int)n, (const char *)s);
    ms_gguf_tensor *t = &g->tensors[i];
    char *name = malloc(n + 1);
    if (name == NULL)
        return nomem(g, err);
    memcpy(name, s, n);
    name[n] = '\0';
    t->name = name;
    g->nt = i + 1;
    uint64_t ndim;
    at = c->pos;
    if (rd(c, 4, &ndim) != 0)
        return bad(g, err, MS_E_FORMAT, at, "tensor '%s': runs past the end of the file", name);
    if (ndim == 0 || ndim > MS_GGUF_MAX_DIMS)
        return bad(g, err, MS_E_FORMAT, at, "tensor '%s': %llu dimensions, not 1 to %d", name,
                   (unsigned long long)ndim, MS_GGUF_MAX_DIMS);
    t->ndim = (uint32_t)ndim;
    uint64_t elems = 1;
    for (uint32_t d = 0; d < MS_GGUF_MAX_DIMS; d++)
        t->dims[d] = 1;
    for (uint32_t d = 0; d < t->ndim; d++) {
        at = c->pos;
        if (rd(c, 8, &t->dims[d]) != 0)
            return bad(g, err, MS_E_FORMAT, at, "tensor '%s': runs past the end of the file", name);
        if (t->dims[d] == 0 || t->dims[d] > INT64_MAX / elems)
            return bad(g, err, MS_E_FORMAT, at, "tensor '%s': dimension %u of %llu is zero or overflows",
                       name, d, (unsigned long long)t->dims[d]);
        elems *= t->dims[d];
    }
    uint64_t type, off;
    at = c->pos;
    if (rd(c, 4, &type) != 0 || rd(c, 8, &off) != 0)
        return bad(g, err, MS_E_FORMAT, at, "tensor '%s': runs past the end of the file", name);
    size_t blk = ms_ggml_block_size((uint32_t)type);
    if (type > UINT32_MAX || blk == 0)
        return bad(g, err, MS_E_UNSUPPORTED, at, "tensor '%s': unknown ggml type %llu", name,
                   (unsigned long long)type);
    t->type = (uint32_t)type;
    if (t->dims[0] % blk != 0)
        return bad(g, err, MS_E_FORMAT, at,
                   "tensor '%s': row of %llu values is not a whole number of %s blocks of %zu",
                   name, (unsigned long long)t->dims[0], ms_ggml_type_name(t->type), blk);
    uint64_t blocks = elems / blk, tsz = ms_ggml_type_size(t->type);
    if (blocks > UINT64_MAX / tsz)
        return bad(g, err, MS_E_FORMAT, at, "tensor '%s': size overflows", name);
    t->nbytes = blocks * tsz;
    if (off % g->alignment != 0)
        return bad(g, err, MS_E_FORMAT, at + 4, "tensor '%s': data offset %llu is not a multiple of the alignment %u",
                   name, (unsigned long long)off, g->alignment);
    t->offset = off;
    return MS_OK;
}

static ms_status read_tensors(ms_gguf *g, cursor *c, uint64_t count, ms_error *err)
{
    /* name length, one name byte, ndim, one dim, type, offset */
    if (count > MS_GGUF_MAX_TENSORS || count > (c->len - c->pos) / 33)
        return bad(g, err, MS_E_LIMIT, 8, "%llu tensor infos cannot fit in the file",
                   (unsigned long long)count);
    g->tensors = calloc(count ? count : 1, sizeof *g->tensors);
    g->t_by_name = calloc(count ? count : 1, sizeof *g->t_by_name);
    if (g->tensors == NULL || g->t_by_name == NULL)
        return nomem(g, err);
    for (size_t i = 0; i < count; i++) {
        ms_status st = read_tensor(g, c, i, err);
        if (st != MS_OK)
            return st;
        g->t_by_name[i] = &g->tensors[i];
    }
    uint64_t data = ((uint64_t)c->pos + g->alignment - 1) / g->alignment * g->alignment;
    g->data_off = data;
    if (count == 0)
        return MS_OK;
    if (data > g->len)
        return bad(g, err, MS_E_FORMAT, c->pos, "data section at %llu starts past the end of the file",
                   (unsigned long long)data);
    for (size_t i = c->pos; i < data; i++)
        if (g->base[i] != 0)
            return bad(g, err, MS_E_FORMAT, i, "padding before the data section is not zero");
    uint64_t room = g->len - data;
    qsort(g->t_by_name, g->nt, sizeof *g->t_by_name, cmp_tname);
    for (size_t i = 1; i < g->nt; i++)
        if (strcmp(g->t_by_name[i - 1]->name, g->t_by_name[i]->name) == 0)
            return ms_fail(err, MS_E_FORMAT, "%s: tensor '%s' appears twice", g->what,
                           g->t_by_name[i]->name);
    /* Overlap: in offset order each tensor must start at or after the previous end. */
    const ms_gguf_tensor **by_off = malloc(g->nt * sizeof *by_off);
    if (by_off == NULL)
        return nomem(g, err);
    for (size_t i = 0; i < g->nt; i++)
        by_off[i] = &g->tensors[i];
    qsort(by_off, g->nt, sizeof *by_off, cmp_toff);
    ms_status st = MS_OK;
    for (size_t i = 0; i < g->nt && st == MS_OK; i++) {
        const ms_gguf_tensor *t = by_off[i];
        if (t->offset > room || t->nbytes > room - t->offset)
            st = ms_fail(err, MS_E_FORMAT,
                         "%s: tensor '%s': data at offset %llu + %llu bytes runs past the end of "
                         "the data section (%llu bytes at file offset %llu)",
                         g->what, t->name, (unsigned long long)t->offset,
                         (unsigned long long)t->nbytes, (unsigned long long)room,
                         (unsigned long long)data);
        else if (i > 0 && t->offset < by_off[i - 1]->offset + by_off[i - 1]->nbytes)
            st = ms_fail(err, MS_E_FORMAT,
                         "%s: tensor '%s': data at offset %llu overlaps tensor '%s' (%llu + %llu)",
                         g->what, t->name, (unsigned long long)t->offset, by_off[i - 1]->name,
                         (unsigned long long)by_off[i - 1]->offset,
                         (unsigned long long)by_off[i - 1]->nbytes);
    }
    free(by_off);
    return st;
}

static ms_status validate(ms_gguf *g, ms_error *err)
{
    cursor c = {g->base, g->len, 0};
    uint64_t magic, version, nt, nkv;
    if (rd(&c, 4, &magic) != 0 || magic != 0x46554747u)
        return bad(g, err, MS_E_FORMAT, 0, "not a GGUF file (no \"GGUF\" magic)");
    if (rd(&c, 4, &version) != 0)
        return bad(g, err, MS_E_FORMAT, 4, "header runs past the end of the file");
    if (version == 0x03000000u)
        return bad(g, err, MS_E_UNSUPPORTED, 4, "big-endian GGUF is not supported");
    if (version != MS_GGUF_VERSION)
        return bad(g, err, MS_E_UNSUPPORTED, 4, "GGUF version %llu is not supported (only 3)",
                   (unsigned long long)version);
    if (rd(&c, 8, &nt) != 0 || rd(&c, 8, &nkv) != 0)
        return bad(g, err, MS_E_FORMAT, 8, "header runs past the end of the file");
    ms_status st = read_kvs(g, &c, nkv, err);
    if (st != MS_OK)
        return st;
    return read_tensors(g, &c, nt, err);
}

static ms_gguf *gguf_new(const char *what)
{
    ms_gguf *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    g->what = strdup(what != NULL ? what : "GGUF");
    if (g->what == NULL) {
        free(g);
        return NULL;
    }
    return g;
}

ms_status ms_gguf_open_memory(const void *buf, size_t len, const char *what, ms_gguf **out,
                              ms_error *err)
{
    *out = NULL;
    ms_gguf *g = gguf_new(what);
    if (g == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what != NULL ? what : "GGUF");
    g->base = buf;
    g->len = len;
    ms_status st = validate(g, err);
    if (st != MS_OK) {
        ms_gguf_close(g);
        return st;
    }
    *out = g;
    return MS_OK;
}

ms_status ms_gguf_open(const char *path, ms_gguf **out, ms_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ms_fail(err, MS_E_IO, "%s: not a regular file", path);
    }
    ms_gguf *g = gguf_new(path);
    if (g == NULL) {
        close(fd);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        ms_gguf_close(g);
        return ms_fail(err, MS_E_LIMIT, "%s: too large to map", path);
    }
    if (sb.st_size > 0) {
        void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            ms_gguf_close(g);
            return ms_fail(err, MS_E_IO, "%s: cannot map: %s", path, strerror(e));
        }
        g->map = map;
        g->map_len = (size_t)sb.st_size;
        g->base = map;
        g->len = (size_t)sb.st_size;
    }
    close(fd);
    ms_status st = validate(g, err);
    if (st != MS_OK) {
        ms_gguf_close(g);
        return st;
    }
    *out = g;
    return MS_OK;
}

void ms_gguf_close(ms_gguf *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->nkv; i++)
        free((char *)g->kvs[i].key);
    for (size_t i = 0; i < g->nt; i++)
        free((char *)g->tensors[i].name);
    free(g->kvs);
    free(g->tensors);
    free(g->kv_by_key);
    free(g->t_by_name);
    if (g->map != NULL)
        munmap(g->map, g->map_len);
    free(g->what);
    free(g);
}

uint32_t ms_gguf_alignment(const ms_gguf *g) { return g->alignment; }
uint64_t ms_gguf_data_offset(const ms_gguf *g) { return g->data_off; }
size_t ms_gguf_kv_count(const ms_gguf *g) { return g->nkv; }
size_t ms_gguf_tensor_count(const ms_gguf *g) { return g->nt; }

const ms_gguf_kv *ms_gguf_kv_at(const ms_gguf *g, size_t i)
{
    return i < g->nkv ? &g->kvs[i] : NULL;
}

const ms_gguf_tensor *ms_gguf_tensor_at(const ms_gguf *g, size_t i)
{
    return i < g->nt ? &g->tensors[i] : NULL;
}

const ms_gguf_kv *ms_gguf_find_kv(const ms_gguf *g, const char *key)
{
    ms_gguf_kv probe = {.key = key};
    const ms_gguf_kv *pp = &probe;
    const ms_gguf_kv **hit = bsearch(&pp, g->kv_by_key, g->nkv, sizeof *g->kv_by_key, cmp_kv);
    return hit != NULL ? *hit : NULL;
}

const ms_gguf_tensor *ms_gguf_find_tensor(const ms_gguf *g, const char *name)
{
    ms_gguf_tensor probe = {.name = name};
    const ms_gguf_tensor *pp = &probe;
    const ms_gguf_tensor **hit =
        bsearch(&pp, g->t_by_name, g->nt, sizeof *g->t_by_name, cmp_tname);
    return hit != NULL ? *hit : NULL;
}

const uint8_t *ms_gguf_tensor_data(const ms_gguf *g, const ms_gguf_tensor *t)
{
    return g->base + g->data_off + t->offset;
}

int ms_gguf_array_string(const ms_gguf_kv *kv, size_t *pos, const char **s, size_t *len)
{
    if (kv->type != MS_GGUF_ARRAY || kv->elem_type != MS_GGUF_STRING)
        return -1;
    /* raw: element type (4), count (8), then strings, all validated by the reader */
    size_t p = *pos == 0 ? 12 : *pos;
    if (p + 8 > kv->raw_len)
        return -1;
    uint64_t n = le(kv->raw + p, 8);
    *s = (const char *)kv->raw + p + 8;
    *len = (size_t)n;
    *pos = p + 8 + (size_t)n;
    return 0;
}
