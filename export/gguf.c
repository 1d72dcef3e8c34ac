/*
 * export --format gguf: one GGUF v3 file whose quantized tensors are the
 * stored blocks byte for byte.
 *
 * modelseal's q8_0, q4_0, q4_k and q6_k rows are ggml's block layouts
 * (compress/quant_ggml.c), and f16/bf16 tensors are stored as themselves,
 * so those tensors are copied unchanged; plain F32/F16/BF16/F64 and integer
 * tensors likewise.  Per-row int8 has no ggml type: it is decoded as
 * ms_tensor_to_f32 decodes it and written as F16 (F32 when a value lies
 * beyond the f16 range), and counted so the command can say so.
 *
 * GGUF puts every tensor info before the data, so the bundle's weights are
 * read twice (each time re-hashed against the verified digests,
 * export.c): once to plan the tensors and read config.json, once to
 * stream the data.  Memory: the plan and the GGUF header, plus one int8
 * tensor as floats when one is converted.  Generic mapping only: tensors
 * keep their names, general.architecture comes from config.json's
 * model_type (docs/export.md section 3).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "compress/compress.h"
#include "compress/quant.h"
#include "core/error_internal.h"
#include "core/json.h"
#include "core/outfile.h"
#include "export/export_internal.h"
#include "export/gguf_meta.h"
#include "gguf/gguf.h"
#include "modelseal/compress.h"
#include "modelseal/safetensors.h"

enum { HOW_COPY, HOW_INT8_F16, HOW_INT8_F32 };

typedef struct plan_t {
    char *name;
    const char *shard;  /* filepath of its file (owned by the view) */
    uint32_t ndim;
    uint64_t dims[MS_GGUF_MAX_DIMS];
    uint32_t type;
    int how;
    uint64_t elems;
} plan_t;

typedef struct gg_ctx {
    const ms_export_options *opt;
    ms_export_result *res;
    plan_t *t;
    size_t nt, cap;
    char *config;       /* config.json, when the model has one */
    size_t config_len;
    int pass;
    size_t next;        /* pass 2: next tensor to write */
    ms_gguf_writer *w;
    int fd;
} gg_ctx;

static int ggml_of_dtype(ms_dtype d, uint32_t *type)
{
    switch (d) {
    case MS_DTYPE_F32: *type = MS_GGML_F32; return 0;
    case MS_DTYPE_F16: *type = MS_GGML_F16; return 0;
    case MS_DTYPE_BF16: *type = MS_GGML_BF16; return 0;
    case MS_DTYPE_F64: *type = MS_GGML_F64; return 0;
    case MS_DTYPE_I8: *type = MS_GGML_I8; return 0;
    case MS_DTYPE_I16: *type = MS_GGML_I16; return 0;
    case MS_DTYPE_I32: *type = MS_GGML_I32; return 0;
    case MS_DTYPE_I64: *type = MS_GGML_I64; return 0;
    default: return -1;
    }
}

static int ggml_of_scheme(ms_scheme s, uint32_t *type)
{
    switch (s) {
    case MS_SCHEME_F16: *type = MS_GGML_F16; return 0;
    case MS_SCHEME_BF16: *type = MS_GGML_BF16; return 0;
    case MS_SCHEME_Q8_0: *type = MS_GGML_Q8_0; return 0;
    case MS_SCHEME_Q4_0: *type = MS_GGML_Q4_0; return 0;
    case MS_SCHEME_Q4_K: *type = MS_GGML_Q4_K; return 0;
    case MS_SCHEME_Q6_K: *type = MS_GGML_Q6_K; return 0;
    default: return -1;
    }
}

/* Plan one tensor of a shard: its GGUF type, dims (innermost first) and how to write it. */
static ms_status plan_tensor(gg_ctx *c, const ms_view_file *f, const ms_safetensors *st,
                             const ms_tensor_info *ti, const cJSON *rec, ms_error *err)
{
    plan_t p = {.shard = f->filepath, .how = HOW_COPY};
    size_t nd = ti->ndim;
    uint64_t shape[MS_SAFETENSORS_MAX_DIMS];
    memcpy(shape, ti->shape, sizeof shape);
    ms_scheme scheme = MS_SCHEME_NONE;
    if (rec != NULL) {
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rec, "scheme");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(rec, "shape");
        int n = cJSON_GetArraySize(sh);
        int ok = cJSON_IsString(sc) && ms_scheme_parse(sc->valuestring, &scheme) == 0 &&
                 cJSON_IsArray(sh) && n >= 1 && n <= MS_SAFETENSORS_MAX_DIMS;
        for (int d = 0; ok && d < n; d++)
            ok = ms_json_number_u64(cJSON_GetArrayItem(sh, d), &shape[d]) == 0;
        if (!ok)
            return ms_fail(err, MS_E_FORMAT, "%s: tensor '%s': malformed compression record",
                           f->filepath, ti->name);
        nd = (size_t)n;
    }
    if (nd > MS_GGUF_MAX_DIMS)
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: tensor '%s': %zu dimensions; GGUF holds at most %d",
                       f->filepath, ti->name, nd, MS_GGUF_MAX_DIMS);
    p.ndim = nd == 0 ? 1 : (uint32_t)nd;
    p.elems = 1;
    for (uint32_t d = 0; d < MS_GGUF_MAX_DIMS; d++)
        p.dims[d] = 1;
    for (size_t d = 0; d < nd; d++) {
        p.dims[d] = shape[nd - 1 - d];
        if (__builtin_mul_overflow(p.elems, p.dims[d], &p.elems))
            return ms_fail(err, MS_E_LIMIT, "%s: tensor '%s': too large", f->filepath, ti->name);
    }
    if (p.elems == 0)
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: tensor '%s' is empty; GGUF has no empty tensors",
                       f->filepath, ti->name);
    if (scheme == MS_SCHEME_INT8) {
        float *x = NULL;
        size_t xn;
        uint64_t xs[8];
        ms_status s = ms_tensor_to_f32(st, ti->name, &x, &xn, xs, err);
        if (s != MS_OK)
            return ms_fail_prefix(err, "%s", f->filepath);
        p.how = HOW_INT8_F16;
        p.type = MS_GGML_F16;
        for (uint64_t i = 0; i < p.elems; i++)
            if (fabsf(x[i]) > 65504.0f) {
                p.how = HOW_INT8_F32;
                p.type = MS_GGML_F32;
                break;
            }
        free(x);
        c->res->converted++;
    } else if (scheme != MS_SCHEME_NONE ? ggml_of_scheme(scheme, &p.type) != 0
                                        : ggml_of_dtype(ti->dtype, &p.type) != 0) {
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: tensor '%s': dtype %s has no ggml type",
                       f->filepath, ti->name, ms_dtype_name(ti->dtype));
    } else {
        uint64_t want = p.elems / ms_ggml_block_size(p.type) * ms_ggml_type_size(p.type);
        if (p.dims[0] % ms_ggml_block_size(p.type) != 0 || want != ti->end - ti->begin)
            return ms_fail(err, MS_E_FORMAT,
                           "%s: tensor '%s': %llu stored bytes are not %s rows of %llu values",
                           f->filepath, ti->name, (unsigned long long)(ti->end - ti->begin),
                           ms_ggml_type_name(p.type), (unsigned long long)p.dims[0]);
    }
    if (c->nt == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        plan_t *t = realloc(c->t, cap * sizeof *t);
        if (t == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        c->t = t;
        c->cap = cap;
    }
    if ((p.name = strdup(ti->name)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    c->t[c->nt++] = p;
    return MS_OK;
}

static ms_status put_tensor(gg_ctx *c, const plan_t *p, const ms_safetensors *st,
                            const ms_tensor_info *ti, ms_error *err)
{
    if (p->how == HOW_COPY)
        return ms_gguf_writer_put(c->w, ms_safetensors_data(st, ti), ti->end - ti->begin, err);
    float *x = NULL;
    size_t nd;
    uint64_t shape[8];
    ms_status s = ms_tensor_to_f32(st, ti->name, &x, &nd, shape, err);
    if (s != MS_OK)
        return ms_fail_prefix(err, "%s", p->shard);
    size_t bytes = (size_t)p->elems * 4;
    if (p->how == HOW_INT8_F16) {
        uint16_t *h = (uint16_t *)(void *)x; /* in place: element i lands at or before it was */
        for (uint64_t i = 0; i < p->elems; i++)
            h[i] = ms_f32_to_f16(x[i]);
        bytes = (size_t)p->elems * 2;
    }
    s = ms_gguf_writer_put(c->w, x, bytes, err);
    free(x);
    return s;
}

static ms_status on_shard(gg_ctx *c, const ms_view_file *f, const uint8_t *data, size_t len,
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
        if (ms_json_parse(m, strlen(m), MS_META_COMPRESSION, &meta, err) != MS_OK) {
            ms_safetensors_close(st);
            return ms_fail_prefix(err, "%s", f->filepath);
        }
        record = cJSON_GetObjectItemCaseSensitive(meta, "tensors");
    }
    for (size_t i = 0; s == MS_OK && i < ms_safetensors_count(st); i++) {
        const ms_tensor_info *ti = ms_safetensors_tensor(st, i);
        if (c->pass == 1) {
            s = plan_tensor(c, f, st, ti, cJSON_GetObjectItemCaseSensitive(record, ti->name), err);
            continue;
        }
        const plan_t *p = c->next < c->nt ? &c->t[c->next] : NULL;
        if (p == NULL || strcmp(p->name, ti->name) != 0 || strcmp(p->shard, f->filepath) != 0) {
            s = ms_fail(err, MS_E_REJECTED, "%s: tensor '%s' not where the first reading put it",
                        f->filepath, ti->name);
            break;
        }
        s = put_tensor(c, p, st, ti, err);
        ms_safetensors_drop(st, ti);
        c->next++;
    }
    cJSON_Delete(meta);
    ms_safetensors_close(st);
    return s;
}

static ms_status on_file(void *ctx, const ms_view_file *f, const uint8_t *data, size_t len,
                         ms_error *err)
{
    gg_ctx *c = ctx;
    if (ms_export_ends_with(f->filepath, ".safetensors"))
        return on_shard(c, f, data, len, err);
    if (c->pass == 1 && strcmp(f->filepath, "config.json") == 0 && len <= (4u << 20)) {
        if ((c->config = malloc(len + 1)) == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        memcpy(c->config, data, len);
        c->config[len] = '\0';
        c->config_len = len;
    }
    return MS_OK; /* other files have no place in a generic GGUF */
}

static ms_status sink(void *ctx, const void *p, size_t n, ms_error *err)
{
    return ms_export_write(((gg_ctx *)ctx)->fd, p, n, "GGUF output", err);
}

ms_status ms_export_gguf(const ms_export_options *opt, const ms_view *v, const ms_report *r,
                         ms_export_result *res, ms_error *err)
{
    gg_ctx c = {.opt = opt, .res = res, .fd = -1, .pass = 1};
    ms_outfile *o = NULL;
    struct stat sb;
    ms_status s = MS_OK;
    if (lstat(opt->output, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            s = ms_fail(err, MS_E_EXISTS, "%s: a directory is in the way", opt->output);
        else if (!opt->force)
            s = ms_fail(err, MS_E_EXISTS, "%s: already exists (use --force to replace)",
                        opt->output);
    }
    if (s == MS_OK)
        s = ms_outfile_open(opt->output, 0644, &o, err); /* fails early on a missing directory */
    if (s == MS_OK)
        s = ms_export_each_file(opt->bundle_path, v, opt->output, on_file, &c, err);
    if (s == MS_OK && c.nt == 0)
        s = ms_fail(err, MS_E_UNSUPPORTED, "%s: the bundle holds no safetensors weights",
                    opt->bundle_path);
    char arch[64];
    if (s == MS_OK)
        s = ms_gguf_meta_new(v, r, c.config, c.config_len, arch, sizeof arch, &c.w, err);
    if (s == MS_OK) {
        uint32_t *types = malloc(c.nt * sizeof *types);
        uint64_t *elems = malloc(c.nt * sizeof *elems);
        uint32_t *ndims = malloc(c.nt * sizeof *ndims);
        if (types == NULL || elems == NULL || ndims == NULL) {
            s = ms_fail(err, MS_E_NOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < c.nt; i++) {
                types[i] = c.t[i].type;
                elems[i] = c.t[i].elems;
                ndims[i] = c.t[i].ndim;
            }
            s = ms_gguf_meta_types(c.w, types, elems, ndims, c.nt, err);
        }
        free(types);
        free(elems);
        free(ndims);
    }
    for (size_t i = 0; s == MS_OK && i < c.nt; i++)
        s = ms_gguf_writer_add_tensor(c.w, c.t[i].name, c.t[i].ndim, c.t[i].dims, c.t[i].type,
                                      err);
    if (s == MS_OK) {
        c.fd = ms_outfile_fd(o);
        s = ms_gguf_writer_begin(c.w, sink, &c, err);
    }
    if (s == MS_OK) {
        c.pass = 2;
        s = ms_export_each_file(opt->bundle_path, v, opt->output, on_file, &c, err);
    }
    if (s == MS_OK && c.next != c.nt)
        s = ms_fail(err, MS_E_REJECTED, "%s: %zu of %zu tensors found on the second reading",
                    opt->bundle_path, c.next, c.nt);
    if (s == MS_OK)
        s = ms_gguf_writer_end(c.w, err);
    if (s == MS_OK)
        s = ms_outfile_commit(o, opt->force, err);
    if (s == MS_OK) {
        res->files = 1;
        res->tensors = c.nt;
        snprintf(res->kind, sizeof res->kind, "generic GGUF (general.architecture '%s')", arch);
    }
    ms_outfile_free(o);
    ms_gguf_writer_free(c.w);
    for (size_t i = 0; i < c.nt; i++)
        free(c.t[i].name);
    free(c.t);
    free(c.config);
    return s;
}
