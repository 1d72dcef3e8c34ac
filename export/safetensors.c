/*
 * export --format safetensors: plain safetensors any framework loads.
 *
 * Every float tensor (compressed by modelseal or stored plainly) is decoded
 * with ms_tensor_to_f32, exactly as the library decodes it everywhere, then
 * written as the requested dtype (f16 and bf16 by the library's own round
 * to nearest even); integer tensors are copied as stored.  Shapes are the
 * original ones; the modelseal.compression record is dropped and
 * "modelseal.exported_from" names the bundle's manifest digest.  A shard
 * index gets its metadata.total_size recomputed; other files (config.json,
 * tokenizer files, the model card) are copied byte for byte.
 *
 * Files are written beneath the output directory (never through a
 * symbolic link), each nameless until complete.  Memory: one tensor as
 * floats, plus the shard index.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "compress/compress.h"
#include "compress/quant.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/outfile.h"
#include "export/export_internal.h"
#include "modelseal/compress.h"
#include "modelseal/safetensors.h"

#define MAX_INDEX (64u << 20)
#define PROVENANCE_KEY "modelseal.exported_from"

typedef struct st_ctx {
    const ms_export_options *opt;
    const ms_view *v;
    ms_export_result *res;
    int dirfd;
    ms_dtype dtype;
    uint64_t total_size; /* tensor bytes of every shard written */
    char *index;         /* a shard index, written last */
    size_t index_len;
    const ms_view_file *index_file;
} st_ctx;

static int is_float(ms_dtype d)
{
    return d == MS_DTYPE_F32 || d == MS_DTYPE_F16 || d == MS_DTYPE_BF16 || d == MS_DTYPE_F64;
}

/* Refuse an existing output (unless force) or a symbolic link before anything is written. */
static ms_status precheck(int dirfd, const char *filepath, int force, ms_error *err)
{
    int parent = -1;
    const char *leaf;
    ms_status st = ms_open_parent_beneath(dirfd, filepath, &parent, &leaf, err);
    if (st != MS_OK)
        return st;
    struct stat sb;
    if (fstatat(parent, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(sb.st_mode))
            st = ms_fail(err, MS_E_UNSAFE_PATH,
                         "'%s' is a symbolic link in the target directory; refusing to write "
                         "through it", filepath);
        else if (S_ISDIR(sb.st_mode))
            st = ms_fail(err, MS_E_EXISTS, "'%s': a directory is in the way", filepath);
        else if (!force)
            st = ms_fail(err, MS_E_EXISTS, "'%s': already exists (use --force to replace)",
                         filepath);
    }
    close(parent);
    return st;
}

static ms_status open_out(st_ctx *c, const char *filepath, ms_outfile **o, ms_error *err)
{
    int parent = -1;
    const char *leaf;
    ms_status st = ms_open_parent_beneath(c->dirfd, filepath, &parent, &leaf, err);
    if (st != MS_OK)
        return st;
    char what[4200];
    snprintf(what, sizeof what, "%s/%s", c->opt->output, filepath);
    st = ms_outfile_openat(parent, leaf, what, 0644, o, err);
    close(parent);
    return st;
}

static ms_status copy_file(st_ctx *c, const ms_view_file *f, const uint8_t *data, size_t len,
                           ms_error *err)
{
    ms_outfile *o = NULL;
    ms_status st = open_out(c, f->filepath, &o, err);
    if (st == MS_OK)
        st = ms_export_write(ms_outfile_fd(o), data, len, f->filepath, err);
    if (st == MS_OK)
        st = ms_outfile_commit(o, c->opt->force, err);
    ms_outfile_free(o);
    if (st == MS_OK)
        c->res->files++;
    return st;
}

/* The header JSON of the exported shard; *data_len receives its data section size. */
static ms_status build_header(st_ctx *c, const ms_view_file *f, const ms_safetensors *st,
                              const cJSON *record, char **out, size_t *out_len,
                              uint64_t *data_len, ms_error *err)
{
    cJSON *h = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(h, "__metadata__");
    if (h == NULL || meta == NULL)
        goto nomem;
    for (size_t i = 0; i < ms_safetensors_metadata_count(st); i++) {
        const char *k = ms_safetensors_metadata_key(st, i);
        if (strcmp(k, MS_META_COMPRESSION) == 0 || strcmp(k, PROVENANCE_KEY) == 0)
            continue;
        if (cJSON_AddStringToObject(meta, k, ms_safetensors_metadata_value(st, i)) == NULL)
            goto nomem;
    }
    char prov[80];
    snprintf(prov, sizeof prov, "sha256:%s", c->v->manifest_hex);
    if (cJSON_AddStringToObject(meta, PROVENANCE_KEY, prov) == NULL)
        goto nomem;
    uint64_t off = 0;
    for (size_t i = 0; i < ms_safetensors_count(st); i++) {
        const ms_tensor_info *t = ms_safetensors_tensor(st, i);
        const cJSON *rec = cJSON_GetObjectItemCaseSensitive(record, t->name);
        ms_dtype dt = t->dtype;
        size_t nd = t->ndim;
        uint64_t shape[MS_SAFETENSORS_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        if (rec != NULL || is_float(t->dtype)) {
            dt = c->dtype;
            if (rec != NULL) {
                const cJSON *sh = cJSON_GetObjectItemCaseSensitive(rec, "shape");
                int n = cJSON_GetArraySize(sh);
                int ok = cJSON_IsArray(sh) && n >= 1 && n <= MS_SAFETENSORS_MAX_DIMS;
                for (int d = 0; ok && d < n; d++)
                    ok = ms_json_number_u64(cJSON_GetArrayItem(sh, d), &shape[d]) == 0;
                if (!ok) {
                    cJSON_Delete(h);
                    return ms_fail(err, MS_E_FORMAT, "%s: tensor '%s': malformed compression record",
                                   f->filepath, t->name);
                }
                nd = (size_t)n;
            }
        }
        uint64_t bytes = ms_dtype_size(dt);
        for (size_t d = 0; d < nd; d++)
            if (__builtin_mul_overflow(bytes, shape[d], &bytes) || bytes > (1ull << 53)) {
                cJSON_Delete(h);
                return ms_fail(err, MS_E_LIMIT, "%s: tensor '%s': too large", f->filepath, t->name);
            }
        if (rec == NULL && !is_float(t->dtype))
            bytes = t->end - t->begin;
        cJSON *e = cJSON_AddObjectToObject(h, t->name);
        cJSON *sh = cJSON_CreateArray();
        cJSON *offs = cJSON_CreateArray();
        if (e == NULL || sh == NULL || offs == NULL) {
            cJSON_Delete(sh);
            cJSON_Delete(offs);
            goto nomem;
        }
        cJSON_AddStringToObject(e, "dtype", ms_dtype_name(dt));
        for (size_t d = 0; d < nd; d++)
            cJSON_AddItemToArray(sh, ms_json_u64(shape[d]));
        cJSON_AddItemToObject(e, "shape", sh);
        cJSON_AddItemToArray(offs, ms_json_u64(off));
        cJSON_AddItemToArray(offs, ms_json_u64(off + bytes));
        cJSON_AddItemToObject(e, "data_offsets", offs);
        off += bytes;
    }
    size_t n = 0;
    char *json = ms_json_print(h, &n);
    cJSON_Delete(h);
    if (json == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    size_t padded = (n + 7) / 8 * 8;
    char *p = realloc(json, padded + 1);
    if (p == NULL) {
        free(json);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    memset(p + n, ' ', padded - n);
    p[padded] = '\0';
    *out = p;
    *out_len = padded;
    *data_len = off;
    return MS_OK;
nomem:
    cJSON_Delete(h);
    return ms_fail(err, MS_E_NOMEM, "out of memory");
}

static ms_status put_tensor(st_ctx *c, int fd, const ms_view_file *f, const ms_safetensors *st,
                            const ms_tensor_info *t, int decode, ms_error *err)
{
    if (!decode)
        return ms_export_write(fd, ms_safetensors_data(st, t), t->end - t->begin, f->filepath,
                               err);
    float *x = NULL;
    size_t nd = 0;
    uint64_t shape[8];
    ms_status s = ms_tensor_to_f32(st, t->name, &x, &nd, shape, err);
    if (s != MS_OK)
        return ms_fail_prefix(err, "%s", f->filepath);
    uint64_t count = 1;
    for (size_t d = 0; d < nd; d++)
        count *= shape[d];
    size_t bytes = (size_t)count * 4;
    if (c->dtype != MS_DTYPE_F32) {
        /* in place: element i's two bytes land at or before where its float was read */
        uint16_t *h = (uint16_t *)(void *)x;
        for (uint64_t i = 0; i < count; i++) {
            float v = x[i];
            h[i] = c->dtype == MS_DTYPE_F16 ? ms_f32_to_f16(v) : ms_f32_to_bf16(v);
        }
        bytes = (size_t)count * 2;
    }
    s = ms_export_write(fd, x, bytes, f->filepath, err);
    free(x);
    return s;
}

static ms_status export_shard(st_ctx *c, const ms_view_file *f, const uint8_t *data, size_t len,
                              ms_error *err)
{
    ms_safetensors *st = NULL;
    ms_status s = ms_safetensors_open_memory(data, len, f->filepath, &st, err);
    if (s != MS_OK)
        return s;
    cJSON *meta = NULL;
    const cJSON *record = NULL;
    const char *m = ms_safetensors_metadata_get(st, MS_META_COMPRESSION);
    if (m != NULL) {
        if ((s = ms_json_parse(m, strlen(m), MS_META_COMPRESSION, &meta, err)) != MS_OK) {
            ms_safetensors_close(st);
            return ms_fail_prefix(err, "%s", f->filepath);
        }
        record = cJSON_GetObjectItemCaseSensitive(meta, "tensors");
    }
    char *hdr = NULL;
    size_t hlen = 0;
    uint64_t dlen = 0;
    ms_outfile *o = NULL;
    s = build_header(c, f, st, record, &hdr, &hlen, &dlen, err);
    if (s == MS_OK)
        s = open_out(c, f->filepath, &o, err);
    if (s == MS_OK) {
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
        int fd = ms_outfile_fd(o);
        s = ms_export_write(fd, le, 8, f->filepath, err);
        if (s == MS_OK)
            s = ms_export_write(fd, hdr, hlen, f->filepath, err);
        for (size_t i = 0; s == MS_OK && i < ms_safetensors_count(st); i++) {
            const ms_tensor_info *t = ms_safetensors_tensor(st, i);
            int decode = cJSON_GetObjectItemCaseSensitive(record, t->name) != NULL ||
                         is_float(t->dtype);
            s = put_tensor(c, fd, f, st, t, decode, err);
            ms_safetensors_drop(st, t);
            if (s == MS_OK)
                c->res->tensors++;
        }
    }
    if (s == MS_OK)
        s = ms_outfile_commit(o, c->opt->force, err);
    if (s == MS_OK) {
        c->res->files++;
        c->total_size += dlen;
    }
    ms_outfile_free(o);
    free(hdr);
    cJSON_Delete(meta);
    ms_safetensors_close(st);
    return s;
}

static ms_status on_file(void *ctx, const ms_view_file *f, const uint8_t *data, size_t len,
                         ms_error *err)
{
    st_ctx *c = ctx;
    if (ms_export_ends_with(f->filepath, ".safetensors"))
        return export_shard(c, f, data, len, err);
    if (ms_export_ends_with(f->filepath, ".safetensors.index.json")) {
        if (c->index != NULL)
            return ms_fail(err, MS_E_UNSUPPORTED, "'%s': a second shard index ('%s' came first)",
                           f->filepath, c->index_file->filepath);
        if (len > MAX_INDEX)
            return ms_fail(err, MS_E_LIMIT, "'%s': shard index of %zu bytes is too large",
                           f->filepath, len);
        if ((c->index = malloc(len + 1)) == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        memcpy(c->index, data, len);
        c->index[len] = '\0';
        c->index_len = len;
        c->index_file = f;
        return MS_OK;
    }
    return copy_file(c, f, data, len, err);
}

/* The shard index as stored, with metadata.total_size the exported tensor bytes. */
static ms_status write_index(st_ctx *c, ms_error *err)
{
    cJSON *doc = NULL;
    const ms_view_file *f = c->index_file;
    ms_status s = ms_json_parse(c->index, c->index_len, f->filepath, &doc, err);
    if (s != MS_OK)
        return s;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return ms_fail(err, MS_E_FORMAT, "'%s': not a JSON object", f->filepath);
    }
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    if (meta == NULL)
        meta = cJSON_AddObjectToObject(doc, "metadata");
    if (!cJSON_IsObject(meta)) {
        cJSON_Delete(doc);
        return ms_fail(err, MS_E_FORMAT, "'%s': \"metadata\" is not an object", f->filepath);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "total_size");
    ms_json_add_u64(meta, "total_size", c->total_size);
    char *text = ms_json_print_pretty(doc);
    cJSON_Delete(doc);
    if (text == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    s = copy_file(c, f, (const uint8_t *)text, strlen(text), err);
    free(text);
    return s;
}

ms_status ms_export_safetensors(const ms_export_options *opt, const ms_view *v,
                                ms_export_result *res, ms_error *err)
{
    st_ctx c = {.opt = opt, .v = v, .res = res, .dirfd = -1};
    c.dtype = strcmp(opt->dtype, "f16") == 0    ? MS_DTYPE_F16
              : strcmp(opt->dtype, "bf16") == 0 ? MS_DTYPE_BF16
                                                : MS_DTYPE_F32;
    snprintf(res->kind, sizeof res->kind, "safetensors (%s)", opt->dtype);
    if (mkdir(opt->output, 0755) != 0 && errno != EEXIST)
        return ms_fail(err, MS_E_IO, "%s: cannot create: %s", opt->output, strerror(errno));
    c.dirfd = open(opt->output, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c.dirfd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot open directory: %s", opt->output,
                       strerror(errno));
    ms_status s = MS_OK;
    for (size_t i = 0; s == MS_OK && i < v->file_count; i++)
        if ((s = precheck(c.dirfd, v->files[i].filepath, opt->force, err)) != MS_OK)
            ms_fail_prefix(err, "%s", opt->output);
    char near[4200];
    snprintf(near, sizeof near, "%s/.", opt->output);
    if (s == MS_OK)
        s = ms_export_each_file(opt->bundle_path, v, near, on_file, &c, err);
    if (s == MS_OK && c.index != NULL)
        s = write_index(&c, err);
    free(c.index);
    close(c.dirfd);
    return s;
}
