/*
 * safetensors reader and writer.
 *
 * The reader trusts nothing in the file: every length and offset is checked
 * against the mapping before use, every product is overflow-checked, and the
 * spans must tile the data section exactly, so each byte of the file belongs
 * to the header or to exactly one tensor.  The header is parsed with cJSON
 * through ms_json_parse, which also refuses what cJSON accepts but JSON and
 * the reference reader do not (duplicate keys, control bytes, escaped NULs,
 * invalid UTF-8, leading zeros), and numbers must be plain integer literals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/safeopen.h"
#include "core/fsutil.h"
#include "core/outfile.h"
#include "core/text.h"
#include "core/json.h"
#include "modelseal/safetensors.h"

#define METADATA_KEY "__metadata__"

/* ------------------------------------------------------------------ dtypes */

static const struct {
    const char *name;
    size_t size;
} dtype_table[MS_DTYPE_COUNT] = {
    [MS_DTYPE_BOOL] = {"BOOL", 1},       [MS_DTYPE_U8] = {"U8", 1},
    [MS_DTYPE_I8] = {"I8", 1},           [MS_DTYPE_F8_E5M2] = {"F8_E5M2", 1},
    [MS_DTYPE_F8_E4M3] = {"F8_E4M3", 1}, [MS_DTYPE_I16] = {"I16", 2},
    [MS_DTYPE_U16] = {"U16", 2},         [MS_DTYPE_F16] = {"F16", 2},
    [MS_DTYPE_BF16] = {"BF16", 2},       [MS_DTYPE_I32] = {"I32", 4},
    [MS_DTYPE_U32] = {"U32", 4},         [MS_DTYPE_F32] = {"F32", 4},
    [MS_DTYPE_I64] = {"I64", 8},         [MS_DTYPE_U64] = {"U64", 8},
    [MS_DTYPE_F64] = {"F64", 8},
};

const char *ms_dtype_name(ms_dtype dtype)
{
    if ((unsigned)dtype >= MS_DTYPE_COUNT)
        return NULL;
    return dtype_table[dtype].name;
}

size_t ms_dtype_size(ms_dtype dtype)
{
    if ((unsigned)dtype >= MS_DTYPE_COUNT)
        return 0;
    return dtype_table[dtype].size;
}

int ms_dtype_parse(const char *name, ms_dtype *out)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < MS_DTYPE_COUNT; i++) {
        if (strcmp(name, dtype_table[i].name) == 0) {
            if (out != NULL)
                *out = (ms_dtype)i;
            return 0;
        }
    }
    return -1;
}

/* Bytes of a tensor; -1 when the element count or byte size overflows 64 bits. */
static int tensor_nbytes(ms_dtype dtype, size_t ndim, const uint64_t *shape, uint64_t *out)
{
    uint64_t n = 1;
    for (size_t i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(n, shape[i], &n))
            return -1;
    if (__builtin_mul_overflow(n, (uint64_t)ms_dtype_size(dtype), &n))
        return -1;
    *out = n;
    return 0;
}

/* ------------------------------------------------------------------ reader */

typedef struct st_meta {
    char *key;
    char *value;
} st_meta;

struct ms_safetensors {
    char *what; /* file name used in messages */
    void *map;  /* mmap'd image, or NULL for open_memory */
    size_t map_len;
    const unsigned char *base;
    uint64_t file_size;
    uint64_t header_len;
    const unsigned char *data;
    uint64_t data_size;
    ms_tensor_info *tensors;
    size_t ntensors;
    st_meta *meta;
    size_t nmeta;
    dev_t dev; /* the mapped file, for ms_safetensors_reopen */
    ino_t ino;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static ms_status nomem(ms_error *err, const char *what)
{
    return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
}

/* "WHAT: tensor 'NAME': <fmt>" */
static ms_status tensor_fail(ms_error *err, ms_status status, const char *what, const char *name,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static ms_status tensor_fail(ms_error *err, ms_status status, const char *what, const char *name,
                             const char *fmt, ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ms_fail(err, status, "%s: tensor '%s': %s", what, name, msg);
}

static ms_status parse_metadata(ms_safetensors *st, const cJSON *m, ms_error *err)
{
    if (!cJSON_IsObject(m))
        return ms_fail(err, MS_E_FORMAT, "%s: " METADATA_KEY " is not an object", st->what);
    size_t n = 0;
    for (const cJSON *c = m->child; c != NULL; c = c->next)
        n++;
    if (n == 0)
        return MS_OK;
    st->meta = calloc(n, sizeof *st->meta);
    if (st->meta == NULL)
        return nomem(err, st->what);
    for (const cJSON *c = m->child; c != NULL; c = c->next) {
        if (!cJSON_IsString(c) || c->valuestring == NULL)
            return ms_fail(err, MS_E_FORMAT, "%s: " METADATA_KEY " value for '%s' is not a string",
                           st->what, c->string);
        st_meta *e = &st->meta[st->nmeta];
        e->key = xstrdup(c->string);
        e->value = xstrdup(c->valuestring);
        if (e->key == NULL || e->value == NULL) {
            free(e->key);
            free(e->value);
            return nomem(err, st->what);
        }
        st->nmeta++;
    }
    return MS_OK;
}

static ms_status parse_u64_array(const char *what, const char *name, const char *field,
                                 const cJSON *arr, uint64_t *vals, size_t max, size_t *count,
                                 ms_error *err)
{
    if (!cJSON_IsArray(arr))
        return tensor_fail(err, MS_E_FORMAT, what, name, "%s is not an array", field);
    size_t n = 0;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, n++) {
        if (n >= max)
            return tensor_fail(err, MS_E_LIMIT, what, name, "%s has more than %zu entries", field,
                               max);
        if (ms_json_number_u64(c, &vals[n]) != 0)
            return tensor_fail(err, MS_E_FORMAT, what, name,
                               "%s[%zu] is not a non-negative integer below 2^53", field, n);
    }
    *count = n;
    return MS_OK;
}

static ms_status parse_tensor(ms_safetensors *st, const cJSON *e, ms_tensor_info *t, ms_error *err)
{
    const char *name = e->string;
    if (!cJSON_IsObject(e))
        return tensor_fail(err, MS_E_FORMAT, st->what, name, "entry is not an object");
    const cJSON *dtype = NULL, *shape = NULL, *offsets = NULL;
    for (const cJSON *c = e->child; c != NULL; c = c->next) {
        if (strcmp(c->string, "dtype") == 0)
            dtype = c;
        else if (strcmp(c->string, "shape") == 0)
            shape = c;
        else if (strcmp(c->string, "data_offsets") == 0)
            offsets = c;
        else
            return tensor_fail(err, MS_E_FORMAT, st->what, name, "unknown field '%s'", c->string);
    }
    if (dtype == NULL)
        return tensor_fail(err, MS_E_FORMAT, st->what, name, "missing field 'dtype'");
    if (shape == NULL)
        return tensor_fail(err, MS_E_FORMAT, st->what, name, "missing field 'shape'");
    if (offsets == NULL)
        return tensor_fail(err, MS_E_FORMAT, st->what, name, "missing field 'data_offsets'");

    if (!cJSON_IsString(dtype) || dtype->valuestring == NULL)
        return tensor_fail(err, MS_E_FORMAT, st->what, name, "dtype is not a string");
    if (ms_dtype_parse(dtype->valuestring, &t->dtype) != 0)
        return tensor_fail(err, MS_E_FORMAT, st->what, name, "unknown dtype '%s'",
                           dtype->valuestring);

    ms_status s = parse_u64_array(st->what, name, "shape", shape, t->shape, MS_SAFETENSORS_MAX_DIMS,
                                  &t->ndim, err);
    if (s != MS_OK)
        return s;

    uint64_t off[3];
    size_t noff = 0;
    /* Room for a third entry so "too many" is reported as a format error. */
    s = parse_u64_array(st->what, name, "data_offsets", offsets, off, 3, &noff, err);
    if (s == MS_E_LIMIT || (s == MS_OK && noff != 2))
        return tensor_fail(err, MS_E_FORMAT, st->what, name,
                           "data_offsets must be exactly 2 integers [begin, end]");
    if (s != MS_OK)
        return s;
    t->begin = off[0];
    t->end = off[1];
    if (t->begin > t->end)
        return tensor_fail(err, MS_E_FORMAT, st->what, name,
                           "data_offsets begin %llu is after end %llu",
                           (unsigned long long)t->begin, (unsigned long long)t->end);
    if (t->end > st->data_size)
        return tensor_fail(err, MS_E_FORMAT, st->what, name,
                           "data_offsets end %llu past end of data %llu",
                           (unsigned long long)t->end, (unsigned long long)st->data_size);

    uint64_t nbytes;
    if (tensor_nbytes(t->dtype, t->ndim, t->shape, &nbytes) != 0)
        return tensor_fail(err, MS_E_FORMAT, st->what, name,
                           "element count x dtype size overflows 64 bits");
    if (nbytes != t->end - t->begin)
        return tensor_fail(err, MS_E_FORMAT, st->what, name,
                           "shape and dtype %s give %llu bytes but data_offsets span %llu",
                           ms_dtype_name(t->dtype), (unsigned long long)nbytes,
                           (unsigned long long)(t->end - t->begin));
    return MS_OK;
}

static int cmp_by_span(const void *a, const void *b)
{
    const ms_tensor_info *x = *(const ms_tensor_info *const *)a;
    const ms_tensor_info *y = *(const ms_tensor_info *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    /* Zero-sized tensors first at the same offset, so they chain cleanly. */
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_by_name(const void *a, const void *b)
{
    return strcmp(((const ms_tensor_info *)a)->name, ((const ms_tensor_info *)b)->name);
}

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const st_meta *)a)->key, ((const st_meta *)b)->key);
}

/* The spans, sorted, must tile [0, data_size) exactly. */
static ms_status check_spans(ms_safetensors *st, ms_error *err)
{
    if (st->ntensors == 0) {
        if (st->data_size != 0)
            return ms_fail(err, MS_E_FORMAT, "%s: no tensors but the data section holds %llu bytes",
                           st->what, (unsigned long long)st->data_size);
        return MS_OK;
    }
    const ms_tensor_info **order = malloc(st->ntensors * sizeof *order);
    if (order == NULL)
        return nomem(err, st->what);
    for (size_t i = 0; i < st->ntensors; i++)
        order[i] = &st->tensors[i];
    qsort(order, st->ntensors, sizeof *order, cmp_by_span);

    ms_status s = MS_OK;
    const ms_tensor_info *prev = NULL;
    uint64_t pos = 0;
    for (size_t i = 0; i < st->ntensors && s == MS_OK; i++) {
        const ms_tensor_info *t = order[i];
        if (prev == NULL && t->begin != 0)
            s = ms_fail(err, MS_E_FORMAT,
                        "%s: gap at start of data: first tensor '%s' begins at %llu, not 0",
                        st->what, t->name, (unsigned long long)t->begin);
        else if (t->begin > pos)
            s = ms_fail(err, MS_E_FORMAT,
                        "%s: gap between tensor '%s' (ends at %llu) and tensor '%s' "
                        "(begins at %llu)",
                        st->what, prev->name, (unsigned long long)pos, t->name,
                        (unsigned long long)t->begin);
        else if (t->begin < pos)
            s = ms_fail(err, MS_E_FORMAT,
                        "%s: overlap between tensor '%s' (ends at %llu) and tensor '%s' "
                        "(begins at %llu)",
                        st->what, prev->name, (unsigned long long)pos, t->name,
                        (unsigned long long)t->begin);
        prev = t;
        pos = t->end;
    }
    if (s == MS_OK && pos != st->data_size)
        s = ms_fail(err, MS_E_FORMAT,
                    "%s: last tensor '%s' ends at %llu, not at end of data %llu "
                    "(%llu unclaimed bytes)",
                    st->what, prev->name, (unsigned long long)pos,
                    (unsigned long long)st->data_size, (unsigned long long)(st->data_size - pos));
    free(order);
    return s;
}

static ms_status parse_header(ms_safetensors *st, ms_error *err)
{
    const char *hdr = (const char *)st->base + 8;
    size_t n = (size_t)st->header_len;

    size_t wlen = strlen(st->what) + sizeof ": header";
    char *hwhat = malloc(wlen);
    if (hwhat == NULL)
        return nomem(err, st->what);
    snprintf(hwhat, wlen, "%s: header", st->what);
    cJSON *root = NULL;
    ms_status s = ms_json_parse(hdr, n, hwhat, &root, err);
    free(hwhat);
    if (s != MS_OK)
        return s;
    if (!cJSON_IsObject(root)) {
        s = ms_fail(err, MS_E_FORMAT, "%s: header is not a JSON object", st->what);
        goto out;
    }

    size_t count = 0;
    for (const cJSON *c = root->child; c != NULL; c = c->next)
        if (strcmp(c->string, METADATA_KEY) != 0)
            count++;
    if (count > 0) {
        st->tensors = calloc(count, sizeof *st->tensors);
        if (st->tensors == NULL) {
            s = nomem(err, st->what);
            goto out;
        }
    }
    for (const cJSON *c = root->child; c != NULL; c = c->next) {
        if (strcmp(c->string, METADATA_KEY) == 0) {
            s = parse_metadata(st, c, err);
            if (s != MS_OK)
                goto out;
            continue;
        }
        ms_tensor_info *t = &st->tensors[st->ntensors];
        s = parse_tensor(st, c, t, err);
        if (s != MS_OK)
            goto out;
        char *name = xstrdup(c->string);
        if (name == NULL) {
            s = nomem(err, st->what);
            goto out;
        }
        t->name = name;
        st->ntensors++;
    }
    s = check_spans(st, err);
    if (s != MS_OK)
        goto out;
    /* Names are unique (ms_json_parse refuses duplicate keys), so the order is total. */
    if (st->ntensors > 1)
        qsort(st->tensors, st->ntensors, sizeof *st->tensors, cmp_by_name);
    if (st->nmeta > 1)
        qsort(st->meta, st->nmeta, sizeof *st->meta, cmp_meta);
out:
    cJSON_Delete(root);
    return s;
}

/* Validate the image at st->base / st->file_size. */
static ms_status validate(ms_safetensors *st, ms_error *err)
{
    if (st->file_size < 8)
        return ms_fail(err, MS_E_FORMAT,
                       "%s: file is %llu bytes, shorter than the 8-byte header length", st->what,
                       (unsigned long long)st->file_size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | st->base[i];
    if (n > MS_SAFETENSORS_MAX_HEADER)
        return ms_fail(err, MS_E_LIMIT, "%s: header length %llu exceeds limit %llu", st->what,
                       (unsigned long long)n, (unsigned long long)MS_SAFETENSORS_MAX_HEADER);
    if (n > st->file_size - 8)
        return ms_fail(err, MS_E_FORMAT,
                       "%s: header length %llu runs past end of file (%llu bytes after the "
                       "length field)",
                       st->what, (unsigned long long)n, (unsigned long long)(st->file_size - 8));
    st->header_len = n;
    st->data = st->base + 8 + n;
    st->data_size = st->file_size - 8 - n;
    return parse_header(st, err);
}

static ms_safetensors *st_new(const char *what)
{
    ms_safetensors *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    st->what = xstrdup(what != NULL ? what : "(memory)");
    if (st->what == NULL) {
        free(st);
        return NULL;
    }
    return st;
}

static ms_status open_memory(const void *buf, size_t len, const char *what, ms_safetensors **out,
                             ms_error *err)
{
    if (out == NULL)
        return ms_fail(err, MS_E_USAGE, "ms_safetensors_open_memory: out is NULL");
    *out = NULL;
    if (buf == NULL && len != 0)
        return ms_fail(err, MS_E_USAGE, "ms_safetensors_open_memory: buf is NULL");
    ms_safetensors *st = st_new(what);
    if (st == NULL)
        return nomem(err, what != NULL ? what : "(memory)");
    st->base = buf;
    st->file_size = len;
    ms_status s = validate(st, err);
    if (s != MS_OK) {
        ms_safetensors_close(st);
        return s;
    }
    *out = st;
    return MS_OK;
}

static ms_status open_path(const char *path, ms_safetensors **out, ms_error *err)
{
    if (out == NULL || path == NULL)
        return ms_fail(err, MS_E_USAGE, "ms_safetensors_open: NULL argument");
    *out = NULL;
    int fd;
    struct stat sb;
    ms_status ost = ms_open_regular(path, 0, &fd, &sb, err);
    if (ost != MS_OK)
        return ost;
    ms_safetensors *st = st_new(path);
    if (st == NULL) {
        close(fd);
        return nomem(err, path);
    }
    uint64_t size = (uint64_t)sb.st_size;
    st->file_size = size;
    st->dev = sb.st_dev;
    st->ino = sb.st_ino;
    if (size > SIZE_MAX) {
        close(fd);
        ms_safetensors_close(st);
        return ms_fail(err, MS_E_LIMIT, "%s: file of %llu bytes cannot be mapped", path,
                       (unsigned long long)size);
    }
    if (size >= 8) {
        /* Mapping is lazy: only the header pages are touched here. */
        void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            ms_safetensors_close(st);
            return ms_fail(err, MS_E_IO, "%s: cannot map: %s", path, strerror(e));
        }
        st->map = map;
        st->map_len = (size_t)size;
        st->base = map;
    }
    close(fd);
    ms_status s = validate(st, err);
    if (s != MS_OK) {
        ms_safetensors_close(st);
        return s;
    }
    *out = st;
    return MS_OK;
}

ms_status ms_safetensors_open_memory(const void *buf, size_t len, const char *what,
                                     ms_safetensors **out, ms_error *err)
{
    return open_memory(buf, len, what, out, err);
}

ms_status ms_safetensors_open(const char *path, ms_safetensors **out, ms_error *err)
{
    return open_path(path, out, err);
}

void ms_safetensors_close(ms_safetensors *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->ntensors; i++)
        free((char *)st->tensors[i].name);
    free(st->tensors);
    for (size_t i = 0; i < st->nmeta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->meta);
    if (st->map != NULL)
        munmap(st->map, st->map_len);
    free(st->what);
    free(st);
}

size_t ms_safetensors_count(const ms_safetensors *st)
{
    return st != NULL ? st->ntensors : 0;
}

const ms_tensor_info *ms_safetensors_tensor(const ms_safetensors *st, size_t i)
{
    if (st == NULL || i >= st->ntensors)
        return NULL;
    return &st->tensors[i];
}

const ms_tensor_info *ms_safetensors_find(const ms_safetensors *st, const char *name)
{
    if (st == NULL || name == NULL)
        return NULL;
    size_t lo = 0, hi = st->ntensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, st->tensors[mid].name);
        if (c == 0)
            return &st->tensors[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const void *ms_safetensors_data(const ms_safetensors *st, const ms_tensor_info *t)
{
    if (st == NULL || t == NULL || st->data == NULL || t->end > st->data_size)
        return NULL;
    return st->data + t->begin;
}

ms_status ms_safetensors_reopen(const ms_safetensors *st, int *fd, ms_error *err)
{
    *fd = -1;
    if (st == NULL || st->map == NULL)
        return ms_fail(err, MS_E_USAGE, "ms_safetensors_reopen: not a file opened by path");
    int f;
    struct stat sb;
    ms_status ost = ms_open_regular(st->what, 0, &f, &sb, err);
    if (ost != MS_OK)
        return ost;
    if (sb.st_dev != st->dev || sb.st_ino != st->ino ||
        (uint64_t)sb.st_size != st->file_size) {
        close(f);
        return ms_fail(err, MS_E_IO, "%s: replaced or changed while being read", st->what);
    }
    *fd = f;
    return MS_OK;
}

ms_status ms_safetensors_pread(const ms_safetensors *st, int fd, const ms_tensor_info *t,
                               uint64_t off, void *buf, size_t len, ms_error *err)
{
    if (st == NULL || t == NULL || st->data == NULL || off > t->end - t->begin ||
        len > t->end - t->begin - off)
        return ms_fail(err, MS_E_USAGE, "ms_safetensors_pread: range outside the tensor");
    uint64_t pos = (uint64_t)(st->data - st->base) + t->begin + off;
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ms_fail(err, MS_E_IO, "%s: read failed: %s", st->what, strerror(errno));
        if (r == 0)
            return ms_fail(err, MS_E_IO, "%s: file shrank while being read", st->what);
        p += r;
        pos += (uint64_t)r;
        len -= (size_t)r;
    }
    return MS_OK;
}

void ms_safetensors_drop(const ms_safetensors *st, const ms_tensor_info *t)
{
    if (st == NULL || t == NULL || st->map == NULL || st->data == NULL || t->end <= t->begin)
        return;
    /* Whole pages inside the tensor's span only: neighbours may still be in use. */
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t lo = (uintptr_t)(st->data + t->begin), hi = (uintptr_t)(st->data + t->end);
    uintptr_t a = (lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t b = hi & ~((uintptr_t)page - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, MADV_DONTNEED);
}

uint64_t ms_safetensors_header_size(const uint8_t first8[8])
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | first8[i];
    return n;
}

ms_status ms_safetensors_open_header(const void *buf, size_t len, uint64_t file_size,
                                     const char *what, ms_safetensors **out, ms_error *err)
{
    *out = NULL;
    if (buf == NULL || len < 8 || len > file_size)
        return ms_fail(err, MS_E_USAGE, "ms_safetensors_open_header: bad arguments");
    uint64_t n = ms_safetensors_header_size(buf);
    if (n <= MS_SAFETENSORS_MAX_HEADER && n <= file_size - 8 && len < 8 + n)
        return ms_fail(err, MS_E_USAGE, "ms_safetensors_open_header: %zu bytes given, the header "
                       "needs %llu", len, (unsigned long long)(8 + n));
    ms_safetensors *st = st_new(what);
    if (st == NULL)
        return nomem(err, what != NULL ? what : "(memory)");
    st->base = buf;
    st->file_size = file_size;
    ms_status s = validate(st, err);
    if (s != MS_OK) {
        ms_safetensors_close(st);
        return s;
    }
    /* Only the header is in memory: no tensor bytes can be handed out. */
    st->data = NULL;
    st->base = NULL;
    *out = st;
    return MS_OK;
}

uint64_t ms_safetensors_data_size(const ms_safetensors *st)
{
    return st != NULL ? st->data_size : 0;
}

uint64_t ms_safetensors_file_size(const ms_safetensors *st)
{
    return st != NULL ? st->file_size : 0;
}

size_t ms_safetensors_metadata_count(const ms_safetensors *st)
{
    return st != NULL ? st->nmeta : 0;
}

const char *ms_safetensors_metadata_key(const ms_safetensors *st, size_t i)
{
    if (st == NULL || i >= st->nmeta)
        return NULL;
    return st->meta[i].key;
}

const char *ms_safetensors_metadata_value(const ms_safetensors *st, size_t i)
{
    if (st == NULL || i >= st->nmeta)
        return NULL;
    return st->meta[i].value;
}

const char *ms_safetensors_metadata_get(const ms_safetensors *st, const char *key)
{
    if (st == NULL || key == NULL)
        return NULL;
    size_t lo = 0, hi = st->nmeta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, st->meta[mid].key);
        if (c == 0)
            return st->meta[mid].value;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------------ writer */

typedef struct st_wentry {
    char *name;
    ms_dtype dtype;
    size_t ndim;
    uint64_t shape[MS_SAFETENSORS_MAX_DIMS];
    const void *data;
    uint64_t nbytes;
} st_wentry;

#define MS_ST_FLUSH_STEP ((uint64_t)8 << 20)
/* Staging buffer of direct output: a multiple of any direct-I/O alignment. */
#define MS_ST_STAGE_BYTES ((size_t)4 << 20)

struct ms_st_writer {
    st_wentry **ents; /* sorted by name; pointers keep insertion cheap */
    size_t n, cap;
    st_meta *meta; /* sorted by key */
    size_t nmeta, metacap;
    uint64_t total; /* data bytes so far */
    /* streaming state */
    int fd;         /* the output being written, -1 when not begun */
    ms_outfile *out; /* where fd goes on commit; NULL for a scratch file */
    int want_scratch;
    int scratch_fd; /* a committed scratch file, until taken */
    char *path;
    uint64_t written;
    uint64_t flushed; /* data bytes whose writeback has been started */
    uint64_t head;    /* 8 + header length: bytes before the data */
    /*
     * Direct output (ms_st_writer_set_direct): the file is opened with
     * O_DIRECT and written in whole aligned blocks from `stage`; the last
     * block is padded and the file cut back to its length at commit.
     */
    int want_direct;
    int direct;         /* O_DIRECT is on for fd */
    unsigned char *stage;
    size_t stage_len;
    size_t align;       /* file offset and length alignment */
    /* ms_st_writer_set_sha256: the digest of every byte written */
    int want_sha256;
    ms_sha256 *hash;
    int have_digest;
    uint8_t digest[32];
};

ms_status ms_st_writer_new(ms_st_writer **out, ms_error *err)
{
    if (out == NULL)
        return ms_fail(err, MS_E_USAGE, "ms_st_writer_new: out is NULL");
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return ms_fail(err, MS_E_NOMEM, "safetensors writer: out of memory");
    (*out)->fd = -1;
    (*out)->scratch_fd = -1;
    return MS_OK;
}

void ms_st_writer_free(ms_st_writer *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->ents[i]->name);
        free(w->ents[i]);
    }
    free(w->ents);
    for (size_t i = 0; i < w->nmeta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->meta);
    if (w->out == NULL && w->fd >= 0)
        close(w->fd);
    if (w->scratch_fd >= 0)
        close(w->scratch_fd);
    ms_outfile_free(w->out); /* an uncommitted file leaves nothing */
    free(w->path);
    free(w->stage);
    ms_sha256_free(w->hash);
    free(w);
}

/* Position of name in the sorted entries; *found set when present. */
static size_t writer_find(const ms_st_writer *w, const char *name, int *found)
{
    size_t lo = 0, hi = w->n;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, w->ents[mid]->name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static ms_status writer_add(ms_st_writer *w, const char *name, ms_dtype dtype, size_t ndim,
                            const uint64_t *shape, const void *data, ms_error *err)
{
    if (w == NULL || name == NULL)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: NULL argument");
    if (strcmp(name, METADATA_KEY) == 0)
        return ms_fail(err, MS_E_USAGE,
                       "safetensors writer: tensor name '" METADATA_KEY "' is reserved");
    if (!ms_utf8_valid(name))
        return ms_fail(err, MS_E_USAGE, "safetensors writer: tensor name is not valid UTF-8");
    if (ms_dtype_name(dtype) == NULL)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: tensor '%s': invalid dtype %d", name,
                       (int)dtype);
    if (ndim > MS_SAFETENSORS_MAX_DIMS)
        return ms_fail(err, MS_E_LIMIT,
                       "safetensors writer: tensor '%s': %zu dimensions exceed limit %d", name,
                       ndim, MS_SAFETENSORS_MAX_DIMS);
    if (ndim > 0 && shape == NULL)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: tensor '%s': shape is NULL", name);
    for (size_t i = 0; i < ndim; i++)
        if (shape[i] > MS_JSON_MAX_EXACT_INT)
            return ms_fail(err, MS_E_LIMIT,
                           "safetensors writer: tensor '%s': dimension %zu (%llu) exceeds 2^53",
                           name, i, (unsigned long long)shape[i]);
    uint64_t nbytes, total;
    if (tensor_nbytes(dtype, ndim, shape, &nbytes) != 0 ||
        __builtin_add_overflow(w->total, nbytes, &total) || total > MS_JSON_MAX_EXACT_INT)
        return ms_fail(err, MS_E_LIMIT,
                       "safetensors writer: tensor '%s': size overflows the 2^53-byte data "
                       "section",
                       name);
    int found;
    size_t pos = writer_find(w, name, &found);
    if (found)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: duplicate tensor name '%s'", name);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        st_wentry **ents = realloc(w->ents, cap * sizeof *ents);
        if (ents == NULL)
            return ms_fail(err, MS_E_NOMEM, "safetensors writer: out of memory");
        w->ents = ents;
        w->cap = cap;
    }
    st_wentry *e = calloc(1, sizeof *e);
    if (e == NULL || (e->name = xstrdup(name)) == NULL) {
        free(e);
        return ms_fail(err, MS_E_NOMEM, "safetensors writer: out of memory");
    }
    e->dtype = dtype;
    e->ndim = ndim;
    if (ndim > 0)
        memcpy(e->shape, shape, ndim * sizeof *shape);
    e->data = data;
    e->nbytes = nbytes;
    memmove(&w->ents[pos + 1], &w->ents[pos], (w->n - pos) * sizeof *w->ents);
    w->ents[pos] = e;
    w->n++;
    w->total = total;
    return MS_OK;
}

ms_status ms_st_writer_add(ms_st_writer *w, const char *name, ms_dtype dtype, size_t ndim,
                           const uint64_t *shape, const void *data, ms_error *err)
{
    return writer_add(w, name, dtype, ndim, shape, data, err);
}

ms_status ms_st_writer_set_metadata(ms_st_writer *w, const char *key, const char *value,
                                    ms_error *err)
{
    if (w == NULL || key == NULL || value == NULL)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: NULL argument");
    if (!ms_utf8_valid(key) || !ms_utf8_valid(value))
        return ms_fail(err, MS_E_USAGE,
                       "safetensors writer: metadata key or value is not valid UTF-8");
    size_t lo = 0, hi = w->nmeta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, w->meta[mid].key);
        if (c == 0) {
            /* Setting a key again replaces its value. */
            char *v = xstrdup(value);
            if (v == NULL)
                return ms_fail(err, MS_E_NOMEM, "safetensors writer: out of memory");
            free(w->meta[mid].value);
            w->meta[mid].value = v;
            return MS_OK;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (w->nmeta == w->metacap) {
        size_t cap = w->metacap ? w->metacap * 2 : 8;
        st_meta *m = realloc(w->meta, cap * sizeof *m);
        if (m == NULL)
            return ms_fail(err, MS_E_NOMEM, "safetensors writer: out of memory");
        w->meta = m;
        w->metacap = cap;
    }
    char *k = xstrdup(key), *v = xstrdup(value);
    if (k == NULL || v == NULL) {
        free(k);
        free(v);
        return ms_fail(err, MS_E_NOMEM, "safetensors writer: out of memory");
    }
    memmove(&w->meta[lo + 1], &w->meta[lo], (w->nmeta - lo) * sizeof *w->meta);
    w->meta[lo].key = k;
    w->meta[lo].value = v;
    w->nmeta++;
    return MS_OK;
}

/* Compact header JSON: __metadata__ first, then tensors in name order, packed offsets. */
static char *build_header(const ms_st_writer *w, size_t *len)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    if (w->nmeta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, METADATA_KEY);
        if (m == NULL)
            goto fail;
        for (size_t i = 0; i < w->nmeta; i++)
            if (cJSON_AddStringToObject(m, w->meta[i].key, w->meta[i].value) == NULL)
                goto fail;
    }
    uint64_t off = 0;
    for (size_t i = 0; i < w->n; i++) {
        const st_wentry *e = w->ents[i];
        cJSON *t = cJSON_AddObjectToObject(root, e->name);
        if (t == NULL || cJSON_AddStringToObject(t, "dtype", ms_dtype_name(e->dtype)) == NULL)
            goto fail;
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        if (shape == NULL)
            goto fail;
        for (size_t d = 0; d < e->ndim; d++) {
            cJSON *v = ms_json_u64(e->shape[d]);
            if (v == NULL || !cJSON_AddItemToArray(shape, v)) {
                cJSON_Delete(v);
                goto fail;
            }
        }
        cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
        if (offs == NULL)
            goto fail;
        uint64_t bounds[2] = {off, off + e->nbytes};
        for (int k = 0; k < 2; k++) {
            cJSON *v = ms_json_u64(bounds[k]);
            if (v == NULL || !cJSON_AddItemToArray(offs, v)) {
                cJSON_Delete(v);
                goto fail;
            }
        }
        off += e->nbytes; /* bounded by w->total, checked in add */
    }
    char *s = ms_json_print(root, len);
    cJSON_Delete(root);
    return s;
fail:
    cJSON_Delete(root);
    return NULL;
}

void ms_st_writer_set_sha256(ms_st_writer *w, int on)
{
    if (w != NULL)
        w->want_sha256 = on != 0;
}

int ms_st_writer_sha256(const ms_st_writer *w, uint8_t out[32], uint64_t *size)
{
    if (w == NULL || !w->have_digest)
        return -1;
    memcpy(out, w->digest, 32);
    if (size != NULL)
        *size = w->head + w->total;
    return 0;
}

void ms_st_writer_set_scratch(ms_st_writer *w, int on)
{
    if (w != NULL)
        w->want_scratch = on != 0;
}

int ms_st_writer_take_fd(ms_st_writer *w)
{
    if (w == NULL)
        return -1;
    int fd = w->scratch_fd;
    w->scratch_fd = -1;
    return fd;
}

void ms_st_writer_set_direct(ms_st_writer *w, int on)
{
    if (w != NULL)
        w->want_direct = on != 0;
}

int ms_st_writer_direct(const ms_st_writer *w)
{
    return w != NULL && w->direct;
}

/*
 * Turn O_DIRECT on for the temporary file where its file system takes it.
 * The alignment is what statx reports (Linux 6.1 and later), else the page
 * size, which every file system that takes O_DIRECT accepts.
 */
static void direct_on(ms_st_writer *w)
{
    size_t align = 0, mem = 0;
#ifdef STATX_DIOALIGN
    struct statx sx;
    if (statx(w->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
        (sx.stx_mask & STATX_DIOALIGN)) {
        if (sx.stx_dio_offset_align == 0)
            return; /* this file system has no direct I/O */
        align = sx.stx_dio_offset_align;
        mem = sx.stx_dio_mem_align;
    }
#endif
    long page = sysconf(_SC_PAGESIZE);
    size_t pg = page > 0 ? (size_t)page : 4096;
    if (align == 0 || mem == 0)
        align = mem = pg;
    if (align > MS_ST_STAGE_BYTES || MS_ST_STAGE_BYTES % align != 0 || mem > pg)
        return;
    int fl = fcntl(w->fd, F_GETFL);
    if (fl < 0 || posix_memalign((void **)&w->stage, pg, MS_ST_STAGE_BYTES) != 0) {
        w->stage = NULL;
        return;
    }
    if (fcntl(w->fd, F_SETFL, fl | O_DIRECT) != 0) {
        free(w->stage);
        w->stage = NULL;
        return;
    }
    w->direct = 1;
    w->align = align;
    w->stage_len = 0;
}

/*
 * Write the whole buffer.  If the file system refuses a direct write
 * (EINVAL: alignment it did not announce, or no direct I/O after all), the
 * rest goes through the page cache: same bytes, same offsets.
 */
static int out_write_all(ms_st_writer *w, const void *buf, uint64_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
        ssize_t r = write(w->fd, p, chunk);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EINVAL && w->direct && ms_direct_off(w->fd) == 0) {
                w->direct = 0;
                continue;
            }
            return -1;
        }
        if (r == 0) {
            errno = EIO;
            return -1;
        }
        p += r;
        len -= (uint64_t)r;
    }
    return 0;
}

/* Append through the stage when it is in use, else straight to the file. */
static int out_append(ms_st_writer *w, const void *data, uint64_t len)
{
    if (w->hash != NULL)
        ms_sha256_update(w->hash, data, (size_t)len);
    if (w->stage == NULL)
        return out_write_all(w, data, len);
    const unsigned char *p = data;
    while (len > 0) {
        size_t room = MS_ST_STAGE_BYTES - w->stage_len;
        size_t n = len < room ? (size_t)len : room;
        memcpy(w->stage + w->stage_len, p, n);
        w->stage_len += n;
        p += n;
        len -= n;
        if (w->stage_len == MS_ST_STAGE_BYTES) {
            if (out_write_all(w, w->stage, MS_ST_STAGE_BYTES) != 0)
                return -1;
            w->stage_len = 0;
        }
    }
    return 0;
}

/*
 * The stage's last, partial block: padded to the alignment, then cut off.
 * Returns 0, or -1 with errno set and *what naming the step that failed.
 */
static int out_finish(ms_st_writer *w, const char **what)
{
    *what = "write failed";
    if (w->stage == NULL || w->stage_len == 0)
        return 0;
    size_t n = w->stage_len;
    size_t padded = w->direct ? (n + w->align - 1) / w->align * w->align : n;
    memset(w->stage + n, 0, padded - n);
    if (out_write_all(w, w->stage, padded) != 0)
        return -1;
    w->stage_len = 0;
    *what = "cannot cut the file to its length";
    if (padded != n && ftruncate(w->fd, (off_t)(w->head + w->total)) != 0)
        return -1;
    return 0;
}

ms_status ms_st_writer_begin(ms_st_writer *w, const char *path, ms_error *err)
{
    if (w == NULL || path == NULL || w->fd >= 0)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: NULL argument or already begun");
    /* A writer may be written more than once (to several paths). */
    free(w->path);
    w->path = NULL;
    ms_outfile_free(w->out);
    w->out = NULL;
    if (w->scratch_fd >= 0)
        close(w->scratch_fd);
    w->scratch_fd = -1;
    size_t jlen = 0;
    char *json = build_header(w, &jlen);
    if (json == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory building header", path);
    size_t pad = (8 - jlen % 8) % 8;
    uint64_t hlen = (uint64_t)jlen + pad;
    if (hlen > MS_SAFETENSORS_MAX_HEADER) {
        free(json);
        return ms_fail(err, MS_E_LIMIT, "%s: header length %llu exceeds limit %llu", path,
                       (unsigned long long)hlen, (unsigned long long)MS_SAFETENSORS_MAX_HEADER);
    }
    unsigned char *head = malloc(8 + (size_t)hlen);
    if (head == NULL || (w->path = xstrdup(path)) == NULL) {
        free(json);
        free(head);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory building header", path);
    }
    for (int i = 0; i < 8; i++)
        head[i] = (unsigned char)(hlen >> (8 * i));
    memcpy(head + 8, json, jlen);
    memset(head + 8 + jlen, ' ', pad);
    free(json);
    free(w->stage);
    w->stage = NULL;
    w->direct = 0;
    w->written = w->flushed = 0;
    w->head = 8 + hlen;
    ms_sha256_free(w->hash);
    w->hash = NULL;
    w->have_digest = 0;
    if (w->want_sha256 && (w->hash = ms_sha256_new()) == NULL) {
        free(head);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    ms_status s;
    if (w->want_scratch) {
        s = ms_scratch_open(path, &w->fd, err);
    } else if ((s = ms_outfile_open(path, 0644, &w->out, err)) == MS_OK) {
        w->fd = ms_outfile_fd(w->out);
    }
    if (s == MS_OK && w->want_direct)
        direct_on(w);
    if (s == MS_OK && out_append(w, head, 8 + hlen) != 0)
        s = ms_fail(err, MS_E_IO, "%s: write failed: %s", path, strerror(errno));
    free(head);
    return s;
}

ms_status ms_st_writer_put(ms_st_writer *w, const void *data, size_t len, ms_error *err)
{
    if (w == NULL || w->fd < 0)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: put before begin");
    if (len > w->total - w->written)
        return ms_fail(err, MS_E_USAGE, "%s: more tensor bytes than declared (%llu)", w->path,
                       (unsigned long long)w->total);
    if (len > 0 && out_append(w, data, len) != 0)
        return ms_fail(err, MS_E_IO, "%s: write failed: %s", w->path, strerror(errno));
    w->written += len;
    if (w->direct)
        return MS_OK; /* direct output leaves no dirty pages to write back */
    /*
     * Start writeback of what is written every MS_ST_FLUSH_STEP bytes, so
     * the fsync at commit finds little left to wait for and dirty pages do
     * not pile up.  Advisory: a failure here changes nothing (commit's
     * fsync reports real I/O errors).
     */
    if (w->written - w->flushed >= MS_ST_FLUSH_STEP) {
        (void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        w->flushed = w->written;
    }
    return MS_OK;
}

ms_status ms_st_writer_commit(ms_st_writer *w, ms_error *err)
{
    if (w == NULL || w->fd < 0)
        return ms_fail(err, MS_E_USAGE, "safetensors writer: commit before begin");
    if (w->written != w->total)
        return ms_fail(err, MS_E_USAGE, "%s: %llu of %llu tensor bytes written", w->path,
                       (unsigned long long)w->written, (unsigned long long)w->total);
    const char *what;
    if (out_finish(w, &what) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s: %s", w->path, what, strerror(errno));
    int fd = w->fd;
    w->fd = -1;
    free(w->stage);
    w->stage = NULL;
    ms_status s = MS_OK;
    if (w->out == NULL) {
        w->scratch_fd = fd; /* nothing to put in place: kept for ms_st_writer_take_fd */
    } else {
        s = ms_outfile_commit(w->out, 1, err);
        ms_outfile_free(w->out);
        w->out = NULL;
    }
    if (s == MS_OK && w->hash != NULL) {
        ms_sha256_final(w->hash, w->digest);
        w->have_digest = 1;
    }
    ms_sha256_free(w->hash);
    w->hash = NULL;
    return s;
}

static ms_status writer_write(ms_st_writer *w, const char *path, ms_error *err)
{
    for (size_t i = 0; w != NULL && i < w->n; i++)
        if (w->ents[i]->nbytes > 0 && w->ents[i]->data == NULL)
            return ms_fail(err, MS_E_USAGE, "safetensors writer: tensor '%s': data is NULL",
                           w->ents[i]->name);
    ms_status s = ms_st_writer_begin(w, path, err);
    for (size_t i = 0; s == MS_OK && i < w->n; i++)
        s = ms_st_writer_put(w, w->ents[i]->data, w->ents[i]->nbytes, err);
    if (s == MS_OK)
        s = ms_st_writer_commit(w, err);
    return s;
}

ms_status ms_st_writer_write(ms_st_writer *w, const char *path, ms_error *err)
{
    return writer_write(w, path, err);
}
