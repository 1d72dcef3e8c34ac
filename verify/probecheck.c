/*
 * The streaming half of the probe check: each weights blob of a compressed
 * bundle is read as it streams past, its header checked against its
 * compression record, and every probed tensor re-run (probebind.c then
 * decides which results count).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "compress/probes.h"
#include "compress/quant.h"
#include "core/digest.h"
#include "core/json.h"
#include "verify/probecheck_internal.h"

ms_probe_checker *ms_probe_checker_new(void)
{
    return calloc(1, sizeof(ms_probe_checker));
}

void ms_probe_checker_free(ms_probe_checker *pc)
{
    if (pc == NULL)
        return;
    for (size_t i = 0; i < pc->nresults; i++) {
        free(pc->results[i].name);
        free(pc->results[i].problem);
    }
    free(pc->results);
    for (size_t i = 0; i < pc->nfiles; i++) {
        cJSON_Delete(pc->files[i].record);
        free(pc->files[i].rec);
        for (size_t j = 0; j < pc->files[i].nproblems; j++)
            free(pc->files[i].problems[j]);
        free(pc->files[i].problems);
    }
    free(pc->files);
    free(pc->by_path);
    free(pc->weights);
    free(pc->setup_problem);
    cJSON_Delete(pc->bindings);
    ms_safetensors_close(pc->probes);
    free(pc);
}

static void setup_fail(ms_probe_checker *pc, const char *msg)
{
    if (pc->setup_problem == NULL)
        pc->setup_problem = strdup(msg);
}

const char *ms_probe_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Find the model manifest, its weight layers and its probes layer, from documents read so far. */
static void setup(ms_probe_checker *pc, const ms_layout *l)
{
    pc->initialized = 1;
    if (l->index == NULL)
        return;
    cJSON *idx = NULL, *man = NULL;
    if (ms_json_parse(l->index, l->index_len, "index.json", &idx, NULL) != MS_OK)
        return;
    const cJSON *d;
    const char *mdigest = NULL;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
    {
        const char *at = ms_probe_str(d, "artifactType");
        if (at != NULL && strcmp(at, MS_MT_MODEL_MANIFEST) == 0)
            mdigest = ms_probe_str(d, "digest");
    }
    const ms_blob *mb = mdigest != NULL && strncmp(mdigest, "sha256:", 7) == 0
                            ? ms_layout_find_unsorted(l, mdigest + 7)
                            : NULL;
    if (mb == NULL || mb->data == NULL ||
        ms_json_parse((const char *)mb->data, mb->size, "manifest", &man, NULL) != MS_OK) {
        cJSON_Delete(idx);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(man, "layers"));
    pc->weights = calloc(n ? n : 1, sizeof *pc->weights);
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(man, "layers"))
    {
        const char *mt = ms_probe_str(d, "mediaType"), *dg = ms_probe_str(d, "digest");
        if (mt == NULL || dg == NULL || strncmp(dg, "sha256:", 7) != 0 ||
            !ms_is_sha256_hex(dg + 7))
            continue;
        if (strcmp(mt, MS_MT_MODEL_WEIGHT) == 0 && pc->weights != NULL)
            memcpy(pc->weights[pc->nweights++], dg + 7, MS_SHA256_HEX_LEN + 1);
        else if (strcmp(mt, MS_MT_PROBES) == 0)
            memcpy(pc->probes_hex, dg + 7, MS_SHA256_HEX_LEN + 1);
        else if (strcmp(mt, MS_MT_COMPRESSION_REPORT) == 0)
            pc->compressed = 1;
    }
    pc->ready = 1;
    cJSON_Delete(man);
    cJSON_Delete(idx);
    if (pc->probes_hex[0] == '\0')
        return;
    const ms_blob *pb = ms_layout_find_unsorted(l, pc->probes_hex);
    if (pb == NULL || pb->data == NULL) {
        setup_fail(pc, "the probes layer must come before every model file in the archive and "
                       "be at most 16 MiB");
        return;
    }
    /* Its digest is checked once it has been read whole; bytes here are only used if it holds. */
    if (!pb->digest_ok) {
        setup_fail(pc, "the probes layer fails its digest");
        return;
    }
    ms_error e;
    if (ms_safetensors_open_memory(pb->data, pb->size, "probes layer", &pc->probes, &e) !=
        MS_OK) {
        setup_fail(pc, e.message);
        return;
    }
    const char *gen = ms_safetensors_metadata_get(pc->probes, "modelseal.probes.generator");
    const char *seed = ms_safetensors_metadata_get(pc->probes, "modelseal.probes.seed");
    const char *rows = ms_safetensors_metadata_get(pc->probes, "modelseal.probes.rows");
    char *end = NULL;
    unsigned long k = rows != NULL ? strtoul(rows, &end, 10) : 0;
    const char *ver = ms_safetensors_metadata_get(pc->probes, MS_PROBES_META_VERSION);
    if (ver == NULL || (strcmp(ver, "1") != 0 && strcmp(ver, "2") != 0))
        setup_fail(pc, "probes layer: unknown or missing version (" MS_PROBES_META_VERSION
                       " must be 1 or 2)");
    else if (gen == NULL || strcmp(gen, MS_PROBE_GENERATOR) != 0)
        setup_fail(pc, "probes layer: unknown or missing generator");
    else if (seed == NULL || ms_hex_decode(seed, 32, pc->seed) != 0)
        setup_fail(pc, "probes layer: missing or malformed seed");
    else if (rows == NULL || *end != '\0' || k < 1 || k > MS_PROBE_MAX_ROWS)
        setup_fail(pc, "probes layer: missing or invalid row count");
    else
        pc->k = k;
    /* Version 2 binds each probe to the file that holds its tensor; version 1
     * (format 1.0) leaves that to the compression report. */
    const char *files = ms_safetensors_metadata_get(pc->probes, MS_PROBES_META_FILES);
    if (files != NULL &&
        (ms_json_parse(files, strlen(files), "probes layer: " MS_PROBES_META_FILES,
                       &pc->bindings, &e) != MS_OK ||
         !cJSON_IsObject(pc->bindings)))
        setup_fail(pc, cJSON_IsObject(pc->bindings) || pc->bindings == NULL
                           ? e.message
                           : "probes layer: " MS_PROBES_META_FILES " is not a JSON object");
}

typedef struct wstream {
    ms_probe_checker *pc;
    char hex[MS_SHA256_HEX_LEN + 1];
    uint64_t size, pos;
    uint8_t *head;
    size_t head_len, head_need;
    ms_safetensors *hdr;
    size_t file;          /* index in pc->files */
    const cJSON *cmeta;   /* its usable compression record (owned by pc->files), or NULL */
    const ms_tensor_info **order;
    size_t norder, cur;
    uint8_t *buf;
    uint64_t buf_len;
    int want;
    int broken;
} wstream;

static void add_result(ms_probe_checker *pc, const char *blob, const char *name, double rel,
                       int ok, const char *problem)
{
    result *r = realloc(pc->results, (pc->nresults + 1) * sizeof *r);
    if (r == NULL)
        return;
    pc->results = r;
    r += pc->nresults++;
    r->name = strdup(name);
    snprintf(r->blob, sizeof r->blob, "%s", blob);
    r->rel = rel;
    r->ok = ok;
    r->problem = problem != NULL ? strdup(problem) : NULL;
}

const ms_tensor_info *ms_probe_output(const ms_probe_checker *pc, const char *name)
{
    if (pc->probes == NULL || pc->setup_problem != NULL)
        return NULL;
    size_t n = strlen(name);
    char *key = malloc(n + 6);
    if (key == NULL)
        return NULL;
    memcpy(key, name, n);
    memcpy(key + n, "@comp", 6);
    const ms_tensor_info *t = ms_safetensors_find(pc->probes, key);
    free(key);
    return t;
}

static int cmp_begin(const void *a, const void *b)
{
    const ms_tensor_info *x = *(const ms_tensor_info *const *)a;
    const ms_tensor_info *y = *(const ms_tensor_info *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* A stored tensor is complete: recompute and compare its probe outputs. */
static void check_tensor(wstream *s, const ms_tensor_info *t)
{
    ms_probe_checker *pc = s->pc;
    const ms_tensor_info *pt = ms_probe_output(pc, t->name);
    const cJSON *e = ms_probe_record(&pc->files[s->file], t->name);
    const char *scheme_name = ms_probe_str(e, "scheme"), *dtype_name = ms_probe_str(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    ms_scheme scheme;
    ms_dtype dtype;
    uint64_t out = 0, in = 0;
    if (scheme_name == NULL || ms_scheme_parse(scheme_name, &scheme) != 0 || dtype_name == NULL ||
        ms_dtype_parse(dtype_name, &dtype) != 0 || cJSON_GetArraySize(shape) != 2 ||
        ms_json_number_u64(cJSON_GetArrayItem(shape, 0), &out) != 0 ||
        ms_json_number_u64(cJSON_GetArrayItem(shape, 1), &in) != 0 || out == 0 || in == 0) {
        add_result(pc, s->hex, t->name, NAN, 0, "no usable compression record for this tensor");
        return;
    }
    if (pt->dtype != MS_DTYPE_F32 || pt->ndim != 2 || pt->shape[0] != pc->k ||
        pt->shape[1] != out) {
        add_result(pc, s->hex, t->name, NAN, 0, "recorded probe outputs have the wrong shape");
        return;
    }
    uint64_t want_bytes = scheme == MS_SCHEME_NONE ? out * in * ms_dtype_size(dtype)
                                                    : out * ms_stored_row_bytes(scheme, in);
    if (s->buf_len != want_bytes || (uint64_t)(size_t)(out * in) != out * in) {
        add_result(pc, s->hex, t->name, NAN, 0, "stored size does not match its compression record");
        return;
    }
    /* Decode and multiply a block of rows at a time: memory stays a few MiB
     * whatever the tensor's size. */
    size_t block = (size_t)(out < 256 ? out : 256);
    float *w = malloc(block * in * sizeof *w);
    float *x = malloc(pc->k * in * sizeof *x);
    float *y = malloc(pc->k * out * sizeof *y);
    if (w == NULL || x == NULL || y == NULL ||
        ms_probe_inputs(pc->seed, t->name, pc->k, in, x) != 0) {
        add_result(pc, s->hex, t->name, NAN, 0, "out of memory");
    } else {
        size_t row_bytes = scheme == MS_SCHEME_NONE ? in * ms_dtype_size(dtype)
                                                    : ms_stored_row_bytes(scheme, in);
        for (uint64_t r0 = 0; r0 < out; r0 += block) {
            size_t nb = (size_t)(out - r0 < block ? out - r0 : block);
            const uint8_t *src = s->buf + r0 * row_bytes;
            if (scheme == MS_SCHEME_NONE)
                ms_to_f32(dtype, src, nb * in, w);
            else
                for (size_t r = 0; r < nb; r++)
                    ms_stored_dequantize_row(scheme, src + r * row_bytes, in, w + r * in);
            ms_probe_blas_block(x, pc->k, in, w, nb, y + r0, out);
        }
        const uint8_t *rec = (const uint8_t *)ms_safetensors_data(pc->probes, pt);
        float *yc = malloc(pc->k * out * sizeof *yc);
        if (yc == NULL) {
            add_result(pc, s->hex, t->name, NAN, 0, "out of memory");
        } else {
            for (size_t i = 0; i < pc->k * out; i++) {
                uint32_t bits = (uint32_t)rec[4 * i] | (uint32_t)rec[4 * i + 1] << 8 |
                                (uint32_t)rec[4 * i + 2] << 16 | (uint32_t)rec[4 * i + 3] << 24;
                memcpy(&yc[i], &bits, 4);
            }
            double rel = ms_probe_rel_error(y, yc, pc->k * out);
            add_result(pc, s->hex, t->name, rel, rel <= MS_PROBE_TOLERANCE, NULL);
            free(yc);
        }
    }
    free(w);
    free(x);
    free(y);
}

static void *sink_open(void *ctx, const ms_layout *l, const char *hex, uint64_t size)
{
    ms_probe_checker *pc = ctx;
    if (!pc->initialized)
        setup(pc, l);
    /* Every weights file of a compressed bundle is read: its header is
     * checked against its compression record even without probes. */
    if (!pc->compressed && pc->probes == NULL)
        return NULL;
    int is_weight = 0;
    for (size_t i = 0; i < pc->nweights && !is_weight; i++)
        is_weight = strcmp(pc->weights[i], hex) == 0;
    if (!is_weight)
        return NULL;
    wfile *f = realloc(pc->files, (pc->nfiles + 1) * sizeof *f);
    if (f == NULL)
        return NULL;
    pc->files = f;
    wstream *s = calloc(1, sizeof *s);
    if (s != NULL) {
        memset(&f[pc->nfiles], 0, sizeof *f);
        snprintf(f[pc->nfiles].hex, sizeof f->hex, "%s", hex);
        s->file = pc->nfiles++;
        s->pc = pc;
        snprintf(s->hex, sizeof s->hex, "%s", hex);
        s->size = size;
        s->head_need = 8;
    }
    return s;
}

static void file_problem(wfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void file_problem(wfile *f, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char **p = realloc(f->problems, (f->nproblems + 1) * sizeof *p);
    if (p == NULL)
        return;
    f->problems = p;
    if ((p[f->nproblems] = strdup(msg)) != NULL)
        f->nproblems++;
}

static void shape_text(char *buf, size_t len, size_t ndim, const uint64_t *shape)
{
    size_t at = (size_t)snprintf(buf, len, "[");
    for (size_t d = 0; d < ndim && at < len; d++)
        at += (size_t)snprintf(buf + at, len - at, "%s%llu", d ? ", " : "",
                               (unsigned long long)shape[d]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
}

/*
 * A record entry's scheme, original dtype and shape, and the dtype and shape
 * the stored tensor must then have (compression.md section 3).  0 when the
 * entry cannot be used.
 */
static int record_entry(const cJSON *e, ms_scheme *scheme, ms_dtype *dtype, size_t *ndim,
                        uint64_t *shape, ms_dtype *sdtype, size_t *sndim, uint64_t *sshape)
{
    const char *sn = ms_probe_str(e, "scheme"), *dn = ms_probe_str(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    int n = cJSON_IsArray(sh) ? cJSON_GetArraySize(sh) : -1;
    if (sn == NULL || ms_scheme_parse(sn, scheme) != 0 || dn == NULL ||
        ms_dtype_parse(dn, dtype) != 0 || n < 0 || n > MS_SAFETENSORS_MAX_DIMS)
        return 0;
    *ndim = (size_t)n;
    uint64_t rows = 1;
    for (int d = 0; d < n; d++) {
        if (ms_json_number_u64(cJSON_GetArrayItem(sh, d), &shape[d]) != 0)
            return 0;
        if (d + 1 < n) {
            if (shape[d] != 0 && rows > UINT64_MAX / shape[d])
                return 0;
            rows *= shape[d];
        }
    }
    if (*scheme == MS_SCHEME_NONE || *scheme == MS_SCHEME_F16 || *scheme == MS_SCHEME_BF16) {
        *sdtype = *scheme == MS_SCHEME_NONE ? *dtype : ms_scheme_storage_dtype(*scheme);
        *sndim = *ndim;
        memcpy(sshape, shape, *ndim * sizeof *shape);
    } else {
        /* Block schemes store each row of the last dimension as bytes. */
        uint64_t cols = n > 0 ? shape[n - 1] : 1;
        *sdtype = MS_DTYPE_U8;
        *sndim = 2;
        sshape[0] = rows;
        sshape[1] = cols > SIZE_MAX ? 0 : ms_stored_row_bytes(*scheme, (size_t)cols);
    }
    return 1;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

const cJSON *ms_probe_record(const wfile *f, const char *name)
{
    cJSON key = {.string = (char *)name};
    const cJSON *kp = &key;
    const cJSON **hit = f->rec != NULL ? bsearch(&kp, f->rec, f->nrec, sizeof *f->rec, cmp_entry)
                                       : NULL;
    return hit != NULL ? *hit : NULL;
}

/* Every tensor the record lists must be stored as the record implies. */
static void check_record(wfile *f, const ms_safetensors *hdr)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(f->record, "tensors");
    uint64_t version = 0;
    if (!cJSON_IsObject(f->record) || !cJSON_IsObject(ts) ||
        ms_json_number_u64(cJSON_GetObjectItemCaseSensitive(f->record, "version"), &version) != 0 ||
        version != 1) {
        file_problem(f, "its %s record is not a version 1 record with a tensors object",
                     MS_META_COMPRESSION);
        return;
    }
    /* Names are unique: ms_json_parse refuses duplicate keys. */
    f->rec = calloc((size_t)cJSON_GetArraySize(ts) + 1, sizeof *f->rec);
    if (f->rec == NULL) {
        file_problem(f, "out of memory");
        return;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, ts)
        f->rec[f->nrec++] = e;
    qsort(f->rec, f->nrec, sizeof *f->rec, cmp_entry);
    cJSON_ArrayForEach(e, ts)
    {
        ms_scheme scheme;
        ms_dtype dtype, sdtype;
        size_t ndim, sndim;
        uint64_t shape[MS_SAFETENSORS_MAX_DIMS], sshape[MS_SAFETENSORS_MAX_DIMS];
        const ms_tensor_info *t = ms_safetensors_find(hdr, e->string);
        if (!record_entry(e, &scheme, &dtype, &ndim, shape, &sdtype, &sndim, sshape)) {
            file_problem(f, "tensor '%.200s': unusable compression record", e->string);
            continue;
        }
        if (t == NULL) {
            file_problem(f, "tensor '%.200s' is in its compression record but not in the file",
                         e->string);
            continue;
        }
        if (t->dtype == sdtype && t->ndim == sndim &&
            memcmp(t->shape, sshape, sndim * sizeof *sshape) == 0)
            continue;
        char got[200], rec[200], want[200];
        shape_text(got, sizeof got, t->ndim, t->shape);
        shape_text(rec, sizeof rec, ndim, shape);
        shape_text(want, sizeof want, sndim, sshape);
        file_problem(f, "tensor '%.200s' is stored as %s %s, but its compression record "
                     "(%s of %s %s) implies %s %s", e->string, ms_dtype_name(t->dtype), got,
                     ms_scheme_name(scheme), ms_dtype_name(dtype), rec, ms_dtype_name(sdtype),
                     want);
    }
}

static void start_data(wstream *s)
{
    ms_error e;
    wfile *f = &s->pc->files[s->file];
    if (ms_safetensors_open_header(s->head, s->head_len, s->size, "weights", &s->hdr, &e) !=
        MS_OK) {
        s->broken = 1;
        return;
    }
    f->header_ok = 1;
    f->ntensors = ms_safetensors_count(s->hdr);
    const char *meta = ms_safetensors_metadata_get(s->hdr, MS_META_COMPRESSION);
    if (meta != NULL) {
        if (ms_json_parse(meta, strlen(meta), MS_META_COMPRESSION, &f->record, &e) != MS_OK) {
            file_problem(f, "%s", e.message);
            f->record = cJSON_CreateNull(); /* present, but unusable */
        } else {
            check_record(f, s->hdr);
        }
        if (f->nproblems == 0)
            s->cmeta = f->record;
    }
    s->norder = ms_safetensors_count(s->hdr);
    s->order = calloc(s->norder + 1, sizeof *s->order);
    if (s->order == NULL) {
        s->broken = 1;
        return;
    }
    for (size_t i = 0; i < s->norder; i++)
        s->order[i] = ms_safetensors_tensor(s->hdr, i);
    qsort(s->order, s->norder, sizeof *s->order, cmp_begin);
}

static void sink_data(void *state, const void *data, size_t len)
{
    wstream *s = state;
    const uint8_t *p = data;
    while (len > 0 && !s->broken) {
        if (s->hdr == NULL) {
            size_t take = s->head_need - s->head_len < len ? s->head_need - s->head_len : len;
            if (s->head == NULL && (s->head = malloc(8)) == NULL) {
                s->broken = 1;
                return;
            }
            memcpy(s->head + s->head_len, p, take);
            s->head_len += take;
            s->pos += take;
            p += take;
            len -= take;
            if (s->head_len == 8 && s->head_need == 8) {
                uint64_t n = ms_safetensors_header_size(s->head);
                if (n == 0 || n > MS_SAFETENSORS_MAX_HEADER || n > s->size - 8) {
                    s->broken = 1;
                    return;
                }
                uint8_t *h = realloc(s->head, 8 + n);
                if (h == NULL) {
                    s->broken = 1;
                    return;
                }
                s->head = h;
                s->head_need = 8 + n;
            }
            if (s->head_len == s->head_need && s->head_need > 8)
                start_data(s);
            continue;
        }
        uint64_t off = s->pos - s->head_len; /* offset within the data section */
        while (s->cur < s->norder && s->order[s->cur]->end <= off) {
            s->cur++;
            s->want = 0;
        }
        if (s->cur >= s->norder)
            return;
        const ms_tensor_info *t = s->order[s->cur];
        if (off == t->begin && s->buf_len == 0) {
            s->want = s->cmeta != NULL && ms_probe_output(s->pc, t->name) != NULL;
            free(s->buf);
            s->buf = NULL;
            if (s->want && (s->buf = malloc(t->end - t->begin + 1)) == NULL)
                s->broken = 1;
        }
        uint64_t left = t->end - off;
        size_t take = left < len ? (size_t)left : len;
        if (s->want && s->buf != NULL) {
            memcpy(s->buf + s->buf_len, p, take);
            s->buf_len += take;
        }
        s->pos += take;
        p += take;
        len -= take;
        if (s->pos - s->head_len == t->end) {
            if (s->want && s->buf != NULL)
                check_tensor(s, t);
            free(s->buf);
            s->buf = NULL;
            s->buf_len = 0;
            s->want = 0;
            s->cur++;
        }
    }
}

static void sink_close(void *state, int complete)
{
    wstream *s = state;
    (void)complete;
    free(s->head);
    free(s->buf);
    free(s->order);
    ms_safetensors_close(s->hdr);
    free(s);
}

void ms_probe_checker_sink(ms_probe_checker *pc, ms_blob_sink *sink)
{
    sink->ctx = pc;
    sink->open = sink_open;
    sink->data = sink_data;
    sink->close = sink_close;
}
