/*
 * The compression pipeline: for each tensor, in the output file's order,
 * read the rows as floats (in place from the input mapping for F32,
 * converted a few rows at a time otherwise), prune, quantize, dequantize
 * again to measure fidelity and probe outputs, and hand the stored bytes
 * to a writer thread, which appends them to the output file while the
 * next tensor is computed.
 *
 * Rows are split over threads; every per-row result (stored bytes, fidelity
 * sums, probe columns) is independent of the split, and row sums are merged
 * in row order, so output and report are identical for any thread count.
 * Memory: the stored bytes of two tensors (the one computed, the one being
 * written), and with pruning the tensor's float copy and pruned copy;
 * nothing else scales with the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compress/compress.h"
#include "compress/fidelity.h"
#include "compress/probes.h"
#include "compress/quant.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/safeopen.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/text.h"

typedef struct tensor_record {
    char *file;
    char *name;
    ms_dtype dtype;
    size_t ndim;
    uint64_t shape[MS_SAFETENSORS_MAX_DIMS];
    ms_scheme requested, scheme;
    ms_prune_spec prune;
    char *fallback;        /* why the scheme differs from the request, or NULL */
    ms_fidelity fid;
    ms_fidelity_acc acc;
    int probed;
    size_t out;            /* rows (outputs) when probed */
    float *y_orig, *y_comp;
    double probe_sqnr;
} tensor_record;

struct ms_compress_report {
    ms_compress_options opt;
    ms_recipe *recipe;
    uint8_t seed[32];
    size_t probe_rows;
    int threads;
    tensor_record *t;
    size_t n, cap;
    ms_fidelity total;
    double total_bits;
    uint64_t total_weights;
    size_t worst;          /* index of the worst tensor by SQNR, or n when none */
};

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

ms_status ms_compress_report_new(const ms_compress_options *opt, ms_recipe *recipe,
                                 const uint8_t seed[32], ms_compress_report **out, ms_error *err)
{
    *out = NULL;
    ms_compress_report *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    r->opt = *opt;
    r->recipe = recipe;
    memcpy(r->seed, seed, 32);
    r->probe_rows = opt->probe_rows ? opt->probe_rows : MS_PROBE_DEFAULT_ROWS;
    if (r->probe_rows > MS_PROBE_MAX_ROWS) {
        free(r);
        return ms_fail(err, MS_E_USAGE, "at most %d probe rows", MS_PROBE_MAX_ROWS);
    }
    r->threads = opt->threads > 0 ? opt->threads : cpu_count();
    *out = r;
    return MS_OK;
}

void ms_compress_report_free(ms_compress_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->t[i].file);
        free(r->t[i].name);
        free(r->t[i].fallback);
        free(r->t[i].y_orig);
        free(r->t[i].y_comp);
    }
    free(r->t);
    ms_recipe_free(r->recipe);
    free(r);
}

size_t ms_stored_row_bytes(ms_scheme s, size_t cols)
{
    /* int8 rows carry their scale: 4 bytes of little-endian float, then the codes. */
    return s == MS_SCHEME_INT8 ? 4 + cols : ms_scheme_row_bytes(s, cols);
}

void ms_stored_quantize_row(ms_scheme s, const float *x, size_t n, uint8_t *out)
{
    if (s != MS_SCHEME_INT8) {
        ms_quantize_row(s, x, n, out, NULL);
        return;
    }
    float scale = 0;
    ms_quantize_row(s, x, n, out + 4, &scale);
    uint32_t bits;
    memcpy(&bits, &scale, 4);
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(bits >> (8 * i));
}

void ms_stored_dequantize_row(ms_scheme s, const uint8_t *q, size_t n, float *y)
{
    if (s != MS_SCHEME_INT8) {
        ms_dequantize_row(s, q, n, 0.0f, y);
        return;
    }
    uint32_t bits = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                    (uint32_t)q[3] << 24;
    float scale;
    memcpy(&scale, &bits, 4);
    ms_dequantize_row(s, q + 4, n, scale, y);
}

static int is_float_dtype(ms_dtype d)
{
    return d == MS_DTYPE_F32 || d == MS_DTYPE_F16 || d == MS_DTYPE_BF16 || d == MS_DTYPE_F64;
}

/* The scheme a tensor can take: the request, or the documented fallback. */
static ms_scheme settle_scheme(ms_scheme want, size_t cols, char *why, size_t whylen)
{
    ms_scheme s = want;
    while (s != MS_SCHEME_NONE && cols % ms_scheme_block(s) != 0) {
        ms_scheme next;
        switch (s) {
        case MS_SCHEME_Q4_K: next = MS_SCHEME_Q4_0; break;
        case MS_SCHEME_Q6_K: next = MS_SCHEME_Q8_0; break;
        default: next = MS_SCHEME_INT8; break;
        }
        size_t len = strlen(why);
        snprintf(why + len, whylen - len, "%s%s needs rows of a multiple of %zu values, rows "
                 "have %zu", len ? "; " : "", ms_scheme_name(s), ms_scheme_block(s), cols);
        s = next;
    }
    if (s != want) {
        size_t len = strlen(why);
        snprintf(why + len, whylen - len, ": stored as %s", ms_scheme_name(s));
    }
    return s;
}

typedef struct job {
    const tensor_record *rec;
    const uint8_t *src;    /* source bytes (the tensor in the input mapping) */
    int direct;            /* src rows are floats usable in place (aligned F32, little-endian) */
    float *w;              /* float copy of the original values (pruning), or NULL: rows from src */
    const float *p;        /* pruned values, or NULL: quantize the original values */
    uint8_t *stored;       /* output bytes */
    size_t rows, cols, row_bytes;
    ms_fidelity_acc *row_acc;
    const double *xd;      /* probe inputs (ms_probe_transpose), or NULL */
    size_t k;
    float *y_orig, *y_comp;
    int phase;             /* 0: convert into w, 1: quantize and measure */
    size_t *next;          /* shared: the next chunk of rows to take */
    size_t chunk;          /* rows per chunk, a multiple of MS_PROBE_BLOCK_ROWS */
    /* rows read with pread from fd into a buffer per thread, or (fd < 0) from src */
    const ms_safetensors *in;
    const ms_tensor_info *ti;
    int fd;
    ms_error ioerr;        /* when bad == 3 */
    int bad;               /* 1: non-finite value found, 2: out of memory, 3: read failed */
    size_t bad_index;
    int bad_nan;
} job;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0
#endif

/* Index of the first non-finite value of row, or n. */
static size_t first_non_finite(const float *row, size_t n)
{
    /* An exponent of all ones plus one carries into the sign bit: integer
     * and, add and or, which vectorize on any SIMD unit; the position is
     * searched only when there is one. */
    uint32_t m = 0;
    for (size_t c = 0; c < n; c++) {
        uint32_t u;
        memcpy(&u, &row[c], 4);
        m |= (u & 0x7f800000u) + 0x00800000u;
    }
    if (!(m & 0x80000000u))
        return n;
    size_t c = 0;
    while (isfinite(row[c]))
        c++;
    return c;
}

/*
 * Phase 0 on rows [begin, end), whose bytes start at src: convert into w,
 * noting the first bad value.
 */
static void convert_rows(job *j, size_t begin, size_t end, const uint8_t *src)
{
    size_t esize = ms_dtype_size(j->rec->dtype);
    size_t cols = j->cols;
    for (size_t r = begin; r < end; r++) {
        float *row = j->w + r * cols;
        ms_to_f32(j->rec->dtype, src + (r - begin) * cols * esize, cols, row);
        size_t c;
        if (!j->bad && (c = first_non_finite(row, cols)) < cols) {
            j->bad = 1;
            j->bad_index = r * cols + c;
            j->bad_nan = isnan(row[c]);
        }
    }
}

/*
 * Phase 1 on rows [begin, end), whose bytes start at src (unless phase 0
 * made the float copy w), MS_PROBE_BLOCK_ROWS rows at a time: each row is
 * converted (unless it can be read in place), quantized, dequantized and
 * measured (which also checks it); then the block's probe outputs.  Every
 * result belongs to one row, so how the rows are split changes nothing.
 * Returns 1 when a bad value makes the rest pointless.
 */
static int measure_rows(job *j, size_t begin, size_t end, const uint8_t *src, float *deq,
                        float *conv)
{
    enum { B = MS_PROBE_BLOCK_ROWS };
    size_t esize = ms_dtype_size(j->rec->dtype);
    size_t cols = j->cols;
    ms_scheme scheme = j->rec->scheme;
    int needs_finite = ms_scheme_needs_finite(scheme);
    for (size_t r0 = begin; r0 < end; r0 += B) {
        size_t nr = end - r0 < B ? end - r0 : B;
        const float *orig[B], *dq[B];
        for (size_t q = 0; q < nr; q++) {
            size_t r = r0 + q;
            const float *o;
            if (j->w != NULL) {
                o = j->w + r * cols;
            } else if (j->direct) {
                o = (const float *)(const void *)(src + (r - begin) * cols * 4);
            } else {
                ms_to_f32(j->rec->dtype, src + (r - begin) * cols * esize, cols,
                          conv + q * cols);
                o = conv + q * cols;
            }
            uint8_t *dst = j->stored + r * j->row_bytes;
            ms_stored_quantize_row(scheme, j->p != NULL ? j->p + r * cols : o, cols, dst);
            float *d = deq + q * cols;
            ms_stored_dequantize_row(scheme, dst, cols, d);
            ms_fidelity_acc_init(&j->row_acc[r]);
            ms_fidelity_acc_add(&j->row_acc[r], o, d, cols);
            /*
             * Rows not seen by phase 0 are checked here.  The quantizers are
             * defined for any input, and the sum of squares of a row of
             * floats is finite exactly when every value is (a float squared
             * is below 2^256), so the fidelity pass doubles as the check and
             * a row with a bad value is thrown away with the tensor.
             */
            if (j->w == NULL && !isfinite(j->row_acc[r].sum_x2)) {
                size_t c = first_non_finite(o, cols);
                if (!j->bad) {
                    j->bad = 1;
                    j->bad_index = r * cols + c;
                    j->bad_nan = isnan(o[c]);
                }
                if (needs_finite)
                    return 1;
            }
            orig[q] = o;
            dq[q] = d;
        }
        if (j->xd != NULL)
            ms_probe_rows_pair(j->xd, j->k, cols, nr, orig, dq, j->rows, r0, j->y_orig,
                               j->y_comp);
    }
    return 0;
}

/*
 * A thread's part: chunks of rows taken in increasing order from the
 * shared counter until none is left, so threads that run faster (or get a
 * CPU sooner) take more.  A job's chunks rise, so the first bad value it
 * notes is its lowest; the caller takes the lowest over the jobs.  With a
 * file descriptor, each chunk's bytes are read into a buffer of the
 * thread's, which stays in the CPU cache for the passes over its rows.
 */
static void *run_job(void *arg)
{
    job *j = arg;
    size_t cols = j->cols;
    size_t row_in = cols * ms_dtype_size(j->rec->dtype);
    enum { B = MS_PROBE_BLOCK_ROWS };
    float *deq = NULL, *conv = NULL;
    uint8_t *raw = NULL;
    int convert = j->w == NULL && !j->direct;
    /* the input is read here unless phase 1 works on phase 0's float copy */
    int reads = j->fd >= 0 && (j->phase == 0 || j->w == NULL);
    if (j->phase == 1) {
        deq = malloc(B * cols * sizeof *deq);
        conv = convert ? malloc(B * cols * sizeof *conv) : NULL;
    }
    /* 64-byte aligned: the floats of any row are aligned as floats */
    size_t raw_bytes = j->chunk * row_in > 0 ? j->chunk * row_in : 1;
    if (reads && posix_memalign((void **)&raw, 64, raw_bytes) != 0)
        raw = NULL;
    if ((j->phase == 1 && (deq == NULL || (convert && conv == NULL))) || (reads && raw == NULL)) {
        j->bad = 2;
        goto done;
    }
    for (;;) {
        size_t begin = __atomic_fetch_add(j->next, 1, __ATOMIC_RELAXED) * j->chunk;
        if (begin >= j->rows)
            break;
        size_t end = j->rows - begin < j->chunk ? j->rows : begin + j->chunk;
        const uint8_t *src = j->src + begin * row_in;
        if (raw != NULL) {
            if (ms_safetensors_pread(j->in, j->fd, j->ti, (uint64_t)begin * row_in, raw,
                                     (end - begin) * row_in, &j->ioerr) != MS_OK) {
                j->bad = 3;
                break;
            }
            src = raw;
        }
        if (j->phase == 0)
            convert_rows(j, begin, end, src);
        else if (measure_rows(j, begin, end, src, deq, conv))
            break; /* later chunks cannot hold a lower index */
    }
done:
    free(deq);
    free(conv);
    free(raw);
    return NULL;
}

/* Run phase over rows on up to `threads` threads: 0, -1 out of memory, -2 read failed (ioerr). */
static int run_rows(job *proto, int threads)
{
    size_t rows = proto->rows;
    int nt = threads;
    if ((size_t)nt > rows)
        nt = rows > 0 ? (int)rows : 1;
    job *jobs = calloc((size_t)nt, sizeof *jobs);
    pthread_t *tids = calloc((size_t)nt, sizeof *tids);
    if (jobs == NULL || tids == NULL) {
        free(jobs);
        free(tids);
        return -1;
    }
    /* Chunks of about 1 MiB of floats, at least one probe block: small
     * enough to even out the threads, large enough to cost nothing. */
    size_t next = 0;
    size_t chunk = ((size_t)1 << 18) / (proto->cols ? proto->cols : 1);
    chunk = (chunk + MS_PROBE_BLOCK_ROWS - 1) / MS_PROBE_BLOCK_ROWS * MS_PROBE_BLOCK_ROWS;
    if (chunk == 0)
        chunk = MS_PROBE_BLOCK_ROWS;
    for (int t = 0; t < nt; t++) {
        jobs[t] = *proto;
        jobs[t].next = &next;
        jobs[t].chunk = chunk;
    }
    int started = 0;
    for (int t = 1; t < nt; t++)
        if (pthread_create(&tids[t], NULL, run_job, &jobs[t]) == 0)
            started = t;
        else
            break;
    run_job(&jobs[0]);
    /* Threads that could not start: do their share here. */
    for (int t = started + 1; t < nt; t++)
        run_job(&jobs[t]);
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    int status = 0;
    proto->bad = 0;
    for (int t = 0; t < nt; t++) {
        if (jobs[t].bad == 2)
            status = -1;
        if (jobs[t].bad == 3 && status == 0) {
            status = -2;
            proto->ioerr = jobs[t].ioerr;
        }
        /* the lowest index over the jobs */
        if (jobs[t].bad == 1 && (!proto->bad || jobs[t].bad_index < proto->bad_index)) {
            proto->bad = 1;
            proto->bad_index = jobs[t].bad_index;
            proto->bad_nan = jobs[t].bad_nan;
        }
    }
    free(jobs);
    free(tids);
    return status;
}

static tensor_record *new_record(ms_compress_report *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        tensor_record *t = realloc(r->t, cap * sizeof *t);
        if (t == NULL)
            return NULL;
        r->t = t;
        r->cap = cap;
    }
    tensor_record *t = &r->t[r->n++];
    memset(t, 0, sizeof *t);
    return t;
}

/* Decide scheme and storage for every tensor, declare the output layout. */
static ms_status plan(ms_compress_report *r, const ms_safetensors *in, const char *label,
                      size_t first, ms_st_writer *w, ms_error *err)
{
    size_t n = ms_safetensors_count(in);
    for (size_t i = 0; i < n; i++) {
        const ms_tensor_info *ti = ms_safetensors_tensor(in, i);
        tensor_record *t = new_record(r);
        if (t == NULL || (t->name = strdup(ti->name)) == NULL ||
            (t->file = strdup(label)) == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        t->dtype = ti->dtype;
        t->ndim = ti->ndim;
        memcpy(t->shape, ti->shape, sizeof t->shape);
        ms_recipe_choice ch;
        ms_recipe_choose(r->recipe, ti->name, ti->ndim, &ch);
        t->requested = ch.scheme;
        t->prune = ch.prune;
        size_t cols = ti->ndim ? (size_t)ti->shape[ti->ndim - 1] : 1;
        char why[400] = "";
        if ((t->requested != MS_SCHEME_NONE || t->prune.kind != MS_PRUNE_NONE) &&
            !is_float_dtype(ti->dtype)) {
            snprintf(why, sizeof why, "dtype %s is not a float type: stored unchanged",
                     ms_dtype_name(ti->dtype));
            t->scheme = MS_SCHEME_NONE;
            t->prune.kind = MS_PRUNE_NONE;
        } else {
            t->scheme = settle_scheme(t->requested, cols, why, sizeof why);
        }
        if (t->prune.kind == MS_PRUNE_2_4 && cols % 4 != 0) {
            size_t len = strlen(why);
            snprintf(why + len, sizeof why - len, "%s2:4 pruning needs rows of a multiple of 4: "
                     "not pruned", len ? "; " : "");
            t->prune.kind = MS_PRUNE_NONE;
        }
        if (why[0] != '\0' && (t->fallback = strdup(why)) == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        /* Declare the stored tensor(s). */
        ms_status st;
        if (t->scheme == MS_SCHEME_NONE) {
            st = ms_st_writer_add(w, ti->name, ti->dtype, ti->ndim, ti->shape, NULL, err);
        } else if (t->scheme == MS_SCHEME_F16 || t->scheme == MS_SCHEME_BF16) {
            st = ms_st_writer_add(w, ti->name, ms_scheme_storage_dtype(t->scheme), ti->ndim,
                                  ti->shape, NULL, err);
        } else {
            uint64_t rows = 1;
            for (size_t d = 0; d + 1 < ti->ndim; d++)
                rows *= ti->shape[d];
            uint64_t shape[2] = {rows, ms_stored_row_bytes(t->scheme, cols)};
            st = ms_st_writer_add(w, ti->name, MS_DTYPE_U8, 2, shape, NULL, err);
        }
        if (st != MS_OK)
            return st;
        t->probed = r->opt.probes && ti->ndim == 2 && is_float_dtype(ti->dtype) &&
                    (t->scheme != MS_SCHEME_NONE || t->prune.kind != MS_PRUNE_NONE);
    }
    (void)first;
    return MS_OK;
}

static const char *record_meta_json(const ms_compress_report *r, size_t first, size_t last)
{
    cJSON *o = cJSON_CreateObject();
    ms_json_add_u64(o, "version", 1);
    cJSON *ts = cJSON_AddObjectToObject(o, "tensors");
    for (size_t i = first; i < last && ts != NULL; i++) {
        const tensor_record *t = &r->t[i];
        if (t->scheme == MS_SCHEME_NONE && t->prune.kind == MS_PRUNE_NONE)
            continue;
        cJSON *e = cJSON_AddObjectToObject(ts, t->name);
        if (e == NULL)
            break;
        cJSON_AddStringToObject(e, "scheme", ms_scheme_name(t->scheme));
        cJSON_AddStringToObject(e, "dtype", ms_dtype_name(t->dtype));
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (size_t d = 0; shape != NULL && d < t->ndim; d++)
            cJSON_AddItemToArray(shape, ms_json_u64(t->shape[d]));
        char p[32];
        ms_prune_format(&t->prune, p);
        cJSON_AddStringToObject(e, "prune", p);
    }
    char *s = ms_json_print(o, NULL);
    cJSON_Delete(o);
    return s;
}

/*
 * The output side.  A writer thread appends each tensor's stored bytes to
 * the file while the next tensor is computed; at most one tensor waits for
 * it (ms_compress_tensors alternates between two output buffers), so memory
 * stays at two stored tensors.  Without the thread (it could not start),
 * the bytes are written on the spot.
 */
typedef struct out_item {
    const void *data;
    size_t len;
    const ms_tensor_info *drop;  /* input pages to drop once written (data is them), or NULL */
    const ms_tensor_info *ahead; /* a tensor to ask the kernel for, or NULL */
} out_item;

typedef struct out_queue {
    ms_st_writer *w;
    const ms_safetensors *in;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t tid;
    int started;
    int pending;                 /* a write is queued or running */
    int quit;
    out_item item;
    ms_status st;                /* the first failure */
    ms_error err;
} out_queue;

static void prefetch(const ms_safetensors *in, const ms_tensor_info *ti);

/*
 * The writer's part of a tensor: ask for a later tensor's pages, write, and
 * drop the input pages written from (a tensor stored unchanged).  The page
 * work runs here, not between tensors on the computing threads, which would
 * wait for it.  Compressed tensors were read with pread (or from memory):
 * none of their pages are mapped.
 */
static void out_write(out_queue *q, const out_item *it)
{
    if (it->ahead != NULL)
        prefetch(q->in, it->ahead);
    if (q->st == MS_OK)
        q->st = ms_st_writer_put(q->w, it->data, it->len, &q->err);
    if (it->drop != NULL)
        ms_safetensors_drop(q->in, it->drop);
}

static void *out_thread(void *arg)
{
    out_queue *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->pending && !q->quit)
            pthread_cond_wait(&q->cv, &q->mu);
        if (!q->pending)
            break;
        out_item it = q->item;
        pthread_mutex_unlock(&q->mu);
        out_write(q, &it);
        pthread_mutex_lock(&q->mu);
        q->pending = 0;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void out_start(out_queue *q, ms_st_writer *w, const ms_safetensors *in)
{
    memset(q, 0, sizeof *q);
    q->w = w;
    q->in = in;
    q->st = MS_OK;
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return;
    }
    if (pthread_create(&q->tid, NULL, out_thread, q) == 0) {
        q->started = 1;
    } else {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
    }
}

/* Wait until nothing is being written; the status of every write so far. */
static ms_status out_wait(out_queue *q, ms_error *err)
{
    if (q->started) {
        pthread_mutex_lock(&q->mu);
        while (q->pending)
            pthread_cond_wait(&q->cv, &q->mu);
        pthread_mutex_unlock(&q->mu);
    }
    if (q->st != MS_OK && err != NULL)
        *err = q->err;
    return q->st;
}

/* Queue an item (its data must stay valid until the next out_wait or out_put). */
static ms_status out_put(out_queue *q, const out_item *it, ms_error *err)
{
    ms_status st = out_wait(q, err);
    if (st != MS_OK)
        return st;
    if (!q->started) {
        out_write(q, it);
        return out_wait(q, err);
    }
    pthread_mutex_lock(&q->mu);
    q->item = *it;
    q->pending = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return MS_OK;
}

static void out_stop(out_queue *q)
{
    if (!q->started)
        return;
    pthread_mutex_lock(&q->mu);
    q->quit = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->tid, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    q->started = 0;
}

/* Buffers reused from tensor to tensor of one file. */
typedef struct pipeline {
    out_queue out;
    uint8_t *buf[2];       /* stored bytes, alternately */
    size_t cap;            /* bytes of each buffer: the largest stored tensor */
    int next;              /* buffer for the next tensor */
    ms_fidelity_acc *accs; /* per-row sums */
    size_t accs_cap;
    double *xd;            /* transposed probe inputs */
    size_t xd_cap;
    const ms_tensor_info *ahead; /* the tensor two after the one being processed */
    int fd;                      /* the input, for pread; -1: read through the mapping */
} pipeline;

/* Stored bytes of a tensor processed here (not copied through). */
static size_t stored_bytes(const tensor_record *t, size_t *rows_out, size_t *cols_out,
                           size_t *row_bytes_out)
{
    uint64_t count = 1;
    for (size_t d = 0; d < t->ndim; d++)
        count *= t->shape[d];
    size_t cols = t->ndim ? (size_t)t->shape[t->ndim - 1] : 1;
    size_t rows = cols ? (size_t)(count / cols) : 0;
    size_t row_bytes = t->scheme == MS_SCHEME_NONE ? cols * ms_dtype_size(t->dtype)
                                                   : ms_stored_row_bytes(t->scheme, cols);
    if (rows_out != NULL) {
        *rows_out = rows;
        *cols_out = cols;
        *row_bytes_out = row_bytes;
    }
    return rows * row_bytes;
}

/* Grow *p to n elements of size sz (contents not kept).  0 or -1. */
static int reserve(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap && *p != NULL)
        return 0;
    free(*p);
    *p = malloc((n ? n : 1) * sz);
    *cap = *p != NULL ? n : 0;
    return *p != NULL ? 0 : -1;
}

/* Start reading a tensor's pages into the page cache ahead of use (readahead
 * of the file: for pread and the mapping alike). */
static void prefetch(const ms_safetensors *in, const ms_tensor_info *ti)
{
    const uint8_t *p = ti != NULL ? ms_safetensors_data(in, ti) : NULL;
    if (p == NULL || ti->end <= ti->begin)
        return;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t lo = (uintptr_t)p & ~((uintptr_t)page - 1);
    uintptr_t hi = (uintptr_t)p + (size_t)(ti->end - ti->begin);
    (void)madvise((void *)lo, hi - lo, MADV_WILLNEED);
}

/* run_rows's result as a status. */
static ms_status rows_status(int rc, const job *j, const tensor_record *t, ms_error *err)
{
    if (rc == -2) {
        if (err != NULL)
            *err = j->ioerr;
        return j->ioerr.status;
    }
    if (rc != 0)
        return ms_fail(err, MS_E_NOMEM, "tensor '%s': out of memory", t->name);
    return MS_OK;
}

/*
 * Fidelity sums of a tensor stored unchanged (x' = x: no error), in fixed
 * chunks so the sums do not depend on anything but the values.
 */
static int unchanged_signal(ms_dtype dtype, const uint8_t *src, uint64_t count,
                            ms_fidelity_acc *acc)
{
    enum { CHUNK = 1 << 16 };
    float *buf = malloc(CHUNK * sizeof *buf);
    if (buf == NULL)
        return -1;
    size_t esize = ms_dtype_size(dtype);
    for (uint64_t done = 0; done < count;) {
        size_t n = count - done < CHUNK ? (size_t)(count - done) : CHUNK;
        if (ms_to_f32(dtype, src + done * esize, n, buf) != 0)
            break; /* not a float type: nothing to add */
        ms_fidelity_acc part;
        ms_fidelity_acc_init(&part);
        ms_fidelity_acc_add(&part, buf, buf, n);
        acc->sum_x2 += part.sum_x2;
        acc->sum_y2 += part.sum_y2;
        acc->sum_xy += part.sum_xy;
        acc->zeros += part.zeros;
        done += n;
    }
    free(buf);
    return 0;
}

/* Process one tensor and queue its stored bytes (and int8 scales) for the output. */
static ms_status process(ms_compress_report *r, tensor_record *t, const ms_safetensors *in,
                         pipeline *pl, ms_error *err)
{
    const ms_tensor_info *ti = ms_safetensors_find(in, t->name);
    const uint8_t *src = ms_safetensors_data(in, ti);
    uint64_t count = 1;
    for (size_t d = 0; d < t->ndim; d++)
        count *= t->shape[d];
    if (t->scheme == MS_SCHEME_NONE && t->prune.kind == MS_PRUNE_NONE) {
        ms_fidelity_acc_init(&t->acc);
        t->acc.count = count;
        /* Stored unchanged, it still carries signal: the model-wide SQNR,
         * cosine and sparsity count it as the weights and bits do. */
        if (is_float_dtype(t->dtype) && unchanged_signal(ti->dtype, src, count, &t->acc) != 0)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        out_item it = {.data = src, .len = (size_t)(ti->end - ti->begin), .drop = ti,
                       .ahead = pl->ahead};
        return out_put(&pl->out, &it, err);
    }
    size_t rows, cols, row_bytes;
    size_t nbytes = stored_bytes(t, &rows, &cols, &row_bytes);
    ms_status st = MS_OK;
    float *wf = NULL, *pruned = NULL, *x = NULL;
    /* The buffer the writer is not using (it writes at most one). */
    uint8_t *stored = pl->buf[pl->next];
    if (stored == NULL && (stored = pl->buf[pl->next] = malloc(pl->cap ? pl->cap : 1)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "tensor '%s': out of memory", t->name);
    if (reserve((void **)&pl->accs, &pl->accs_cap, rows, sizeof *pl->accs) != 0)
        return ms_fail(err, MS_E_NOMEM, "tensor '%s': out of memory", t->name);
    ms_fidelity_acc *accs = pl->accs;
    int pruning = t->prune.kind != MS_PRUNE_NONE;
    job j = {.rec = t, .src = src, .stored = stored, .rows = rows, .cols = cols,
             .row_bytes = row_bytes, .row_acc = accs, .k = r->probe_rows,
             .in = in, .ti = ti, .fd = pl->fd};
    /* F32 rows are used where they are read (in the mapping, or the aligned
     * buffer of pread) when the host and the alignment allow. */
    j.direct = HOST_LE && t->dtype == MS_DTYPE_F32 &&
               (pl->fd >= 0 || (uintptr_t)src % _Alignof(float) == 0);
    if (pruning) {
        /* Pruning needs the whole tensor first: a float copy, checked. */
        if ((wf = malloc((count ? count : 1) * sizeof *wf)) == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "tensor '%s': out of memory", t->name);
            goto out;
        }
        j.w = wf;
        j.phase = 0;
        if ((st = rows_status(run_rows(&j, r->threads), &j, t, err)) != MS_OK)
            goto out;
        if (j.bad && ms_scheme_needs_finite(t->scheme))
            goto bad_value;
        pruned = malloc((count ? count : 1) * sizeof *pruned);
        if (pruned == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "tensor '%s': out of memory", t->name);
            goto out;
        }
        memcpy(pruned, wf, count * sizeof *pruned);
        int rc = t->prune.kind == MS_PRUNE_2_4 ? ms_prune_2_4(pruned, rows, cols)
                                               : ms_prune_magnitude(pruned, count,
                                                                    t->prune.fraction);
        if (rc != 0) {
            st = ms_fail(err, MS_E_NOMEM, "tensor '%s': pruning failed", t->name);
            goto out;
        }
        j.p = pruned;
    }
    if (t->probed) {
        x = malloc(r->probe_rows * cols * sizeof *x);
        t->out = rows;
        t->y_orig = calloc(r->probe_rows * rows, sizeof(float));
        t->y_comp = calloc(r->probe_rows * rows, sizeof(float));
        size_t lanes = ms_probe_lanes(r->probe_rows);
        if (x == NULL || t->y_orig == NULL || t->y_comp == NULL ||
            ms_probe_inputs(r->seed, t->name, r->probe_rows, cols, x) != 0 ||
            reserve((void **)&pl->xd, &pl->xd_cap, lanes * cols, sizeof *pl->xd) != 0) {
            st = ms_fail(err, MS_E_NOMEM, "tensor '%s': out of memory", t->name);
            goto out;
        }
        ms_probe_transpose(x, r->probe_rows, cols, pl->xd);
        j.xd = pl->xd;
        j.y_orig = t->y_orig;
        j.y_comp = t->y_comp;
    }
    if (t->scheme == MS_SCHEME_NONE) {
        /* Pruning alone: zero the pruned positions in the source bytes, dtype unchanged. */
        size_t es = ms_dtype_size(t->dtype);
        memcpy(stored, src, count * es);
        for (uint64_t i = 0; i < count; i++)
            if (j.p[i] == 0.0f && wf[i] != 0.0f)
                memset(stored + i * es, 0, es);
        ms_fidelity_acc_init(&t->acc);
        ms_fidelity_acc_add(&t->acc, wf, j.p, count);
        for (size_t rr = 0; t->probed && rr < rows; rr++) {
            ms_probe_row(x, r->probe_rows, cols, wf + rr * cols, rows, rr, t->y_orig);
            ms_probe_row(x, r->probe_rows, cols, j.p + rr * cols, rows, rr, t->y_comp);
        }
    } else {
        j.phase = 1;
        if ((st = rows_status(run_rows(&j, r->threads), &j, t, err)) != MS_OK)
            goto out;
        if (j.bad && ms_scheme_needs_finite(t->scheme))
            goto bad_value;
        ms_fidelity_acc_init(&t->acc);
        for (size_t rr = 0; rr < rows; rr++)
            ms_fidelity_acc_merge(&t->acc, &accs[rr]);
    }
    if (t->probed)
        t->probe_sqnr = ms_probe_sqnr(t->y_comp, t->y_orig, r->probe_rows * rows);
    /* The output goes to the writer. */
    out_item it = {.data = stored, .len = nbytes, .ahead = pl->ahead};
    st = out_put(&pl->out, &it, err);
    pl->next ^= 1;
    goto out;
bad_value:
    st = ms_fail(err, MS_E_UNSUPPORTED, "%s: tensor '%s': value %zu is %s; %s needs finite "
                 "values", t->file, t->name, j.bad_index, j.bad_nan ? "NaN" : "infinite",
                 ms_scheme_name(t->scheme));
out:
    free(wf);
    free(pruned);
    free(x);
    return st;
}

ms_status ms_compress_tensors(ms_compress_report *r, const ms_safetensors *in, const char *label,
                              const char *out_path, unsigned flags, int *out_fd, uint8_t *sha256,
                              uint64_t *size, ms_error *err)
{
    if (((flags & MS_COMPRESS_OUT_SCRATCH) != 0) != (out_fd != NULL))
        return ms_fail(err, MS_E_USAGE, "ms_compress_tensors: out_fd goes with a scratch output");
    if (out_fd != NULL)
        *out_fd = -1;
    ms_st_writer *w = NULL;
    /* Compressing again would lose the record that decodes the stored tensors. */
    if (ms_safetensors_metadata_get(in, MS_META_COMPRESSION) != NULL)
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: already compressed by modelseal; compress "
                       "the original model instead", label);
    ms_status st = ms_st_writer_new(&w, err);
    if (st != MS_OK)
        return st;
    pipeline pl;
    memset(&pl, 0, sizeof pl);
    /* Rows are read with pread (section 10 of compression.md); a reader
     * without a file is read through its mapping.  A file that is no
     * longer the one that was opened (replaced, or its size changed) is an
     * error: reading a mapping past a shrunken file's end would crash. */
    ms_error rerr;
    ms_status rs = ms_safetensors_reopen(in, &pl.fd, &rerr);
    if (rs == MS_E_USAGE) {
        pl.fd = -1;
    } else if (rs != MS_OK) {
        pl.fd = -1;
        if (err != NULL)
            *err = rerr;
        st = rs;
        goto out;
    }
    size_t first = r->n;
    if ((st = plan(r, in, label, first, w, err)) != MS_OK)
        goto out;
    size_t last = r->n;
    for (size_t i = 0; i < ms_safetensors_metadata_count(in); i++)
        if ((st = ms_st_writer_set_metadata(w, ms_safetensors_metadata_key(in, i),
                                            ms_safetensors_metadata_value(in, i), err)) != MS_OK)
            goto out;
    const char *meta = record_meta_json(r, first, last);
    if (meta == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    st = ms_st_writer_set_metadata(w, MS_META_COMPRESSION, meta, err);
    free((void *)meta);
    ms_st_writer_set_direct(w, (flags & MS_COMPRESS_OUT_DIRECT) != 0);
    ms_st_writer_set_scratch(w, out_fd != NULL);
    ms_st_writer_set_sha256(w, sha256 != NULL && size != NULL);
    if (st != MS_OK || (st = ms_st_writer_begin(w, out_path, err)) != MS_OK)
        goto out;
    for (size_t i = first; i < last; i++) {
        const tensor_record *t = &r->t[i];
        if (t->scheme != MS_SCHEME_NONE || t->prune.kind != MS_PRUNE_NONE) {
            size_t b = stored_bytes(t, NULL, NULL, NULL);
            pl.cap = b > pl.cap ? b : pl.cap;
        }
    }
    out_start(&pl.out, w, in);
    /* Records are in name order, the order the writer lays out the data. */
    /* Each tensor's pages are asked for one tensor ahead: the first two
     * here, then each by the writer as it takes the tensor two before. */
    for (size_t i = first; i < last && i < first + 2; i++)
        prefetch(in, ms_safetensors_find(in, r->t[i].name));
    for (size_t i = first; i < last && st == MS_OK; i++) {
        pl.ahead = i + 2 < last ? ms_safetensors_find(in, r->t[i + 2].name) : NULL;
        st = process(r, &r->t[i], in, &pl, err);
        const ms_tensor_info *ti = ms_safetensors_find(in, r->t[i].name);
        if (st == MS_OK && ti != NULL)
            ms_prog_add(ti->end - ti->begin, 1);
    }
    if (st == MS_OK)
        st = out_wait(&pl.out, err);
    out_stop(&pl.out);
    if (st == MS_OK)
        st = ms_st_writer_commit(w, err);
    if (st == MS_OK && sha256 != NULL && size != NULL)
        ms_st_writer_sha256(w, sha256, size);
    if (st == MS_OK && out_fd != NULL)
        *out_fd = ms_st_writer_take_fd(w);
out:
    out_stop(&pl.out);
    free(pl.buf[0]);
    free(pl.buf[1]);
    free(pl.accs);
    free(pl.xd);
    if (pl.fd >= 0)
        close(pl.fd);
    ms_st_writer_free(w);
    return st;
}

static double tensor_bits(const tensor_record *t)
{
    size_t cols = t->ndim ? (size_t)t->shape[t->ndim - 1] : 1;
    if (t->scheme == MS_SCHEME_NONE)
        return 8.0 * (double)ms_dtype_size(t->dtype);
    return ms_scheme_bits_per_weight(t->scheme, cols);
}

ms_status ms_compress_report_finish(ms_compress_report *r, ms_error *err)
{
    ms_status st = ms_recipe_check_unused(r->recipe, err);
    if (st != MS_OK)
        return st;
    ms_fidelity_acc total;
    ms_fidelity_acc_init(&total);
    double bits = 0;
    r->worst = r->n;
    for (size_t i = 0; i < r->n; i++) {
        tensor_record *t = &r->t[i];
        double b = tensor_bits(t);
        ms_fidelity_finish(&t->acc, b, &t->fid);
        if (!is_float_dtype(t->dtype))
            continue; /* integer tensors (ids, masks) are not weights */
        ms_fidelity_acc_merge(&total, &t->acc);
        bits += b * (double)t->acc.count;
        if (t->scheme == MS_SCHEME_NONE && t->prune.kind == MS_PRUNE_NONE)
            continue;
        if (r->worst == r->n || t->fid.sqnr_db < r->t[r->worst].fid.sqnr_db)
            r->worst = i;
    }
    r->total_weights = total.count;
    r->total_bits = bits;
    ms_fidelity_finish(&total, total.count ? bits / (double)total.count : 0, &r->total);
    return MS_OK;
}

int ms_compress_has_probes(const ms_compress_report *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->t[i].probed)
            return 1;
    return 0;
}

char *ms_compress_recipe_json(const ms_compress_report *r)
{
    return ms_recipe_to_json(r->recipe);
}

/* {"TENSOR": "FILE", ...} for every probed tensor, in report order. */
static char *probe_files_json(const ms_compress_report *r)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o != NULL && i < r->n; i++)
        if (r->t[i].probed && cJSON_AddStringToObject(o, r->t[i].name, r->t[i].file) == NULL) {
            cJSON_Delete(o);
            return NULL;
        }
    char *s = o != NULL ? ms_json_print(o, NULL) : NULL;
    cJSON_Delete(o);
    return s;
}

static ms_status write_probes(const ms_compress_report *r, const char *path, int *scratch_fd,
                              uint8_t *sha256, uint64_t *size, ms_error *err)
{
    ms_st_writer *w = NULL;
    ms_status st = ms_st_writer_new(&w, err);
    char seed_hex[65], rows[16];
    ms_hex_encode(r->seed, 32, seed_hex);
    snprintf(rows, sizeof rows, "%zu", r->probe_rows);
    /* Each probe names the one file that holds its tensor (probes version 2). */
    char *files = probe_files_json(r);
    if (st == MS_OK && files == NULL)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    if (st == MS_OK)
        st = ms_st_writer_set_metadata(w, MS_PROBES_META_VERSION, "2", err);
    if (st == MS_OK)
        st = ms_st_writer_set_metadata(w, "modelseal.probes.generator", MS_PROBE_GENERATOR, err);
    if (st == MS_OK)
        st = ms_st_writer_set_metadata(w, "modelseal.probes.seed", seed_hex, err);
    if (st == MS_OK)
        st = ms_st_writer_set_metadata(w, "modelseal.probes.rows", rows, err);
    if (st == MS_OK)
        st = ms_st_writer_set_metadata(w, MS_PROBES_META_FILES, files, err);
    free(files);
    for (size_t i = 0; st == MS_OK && i < r->n; i++) {
        const tensor_record *t = &r->t[i];
        if (!t->probed)
            continue;
        char name[1100];
        uint64_t shape[2] = {r->probe_rows, t->out};
        snprintf(name, sizeof name, "%s@orig", t->name);
        st = ms_st_writer_add(w, name, MS_DTYPE_F32, 2, shape, t->y_orig, err);
        snprintf(name, sizeof name, "%s@comp", t->name);
        if (st == MS_OK)
            st = ms_st_writer_add(w, name, MS_DTYPE_F32, 2, shape, t->y_comp, err);
    }
    if (st == MS_OK && scratch_fd != NULL) {
        ms_st_writer_set_scratch(w, 1);
        ms_st_writer_set_sha256(w, 1);
    }
    if (st == MS_OK)
        st = ms_st_writer_write(w, path, err);
    if (st == MS_OK && scratch_fd != NULL) {
        ms_st_writer_sha256(w, sha256, size);
        *scratch_fd = ms_st_writer_take_fd(w);
    }
    ms_st_writer_free(w);
    return st;
}

ms_status ms_compress_write_probes(const ms_compress_report *r, const char *path, ms_error *err)
{
    return write_probes(r, path, NULL, NULL, NULL, err);
}

ms_status ms_compress_write_probes_scratch(const ms_compress_report *r, const char *near_path,
                                           int *fd, uint8_t sha256[32], uint64_t *size,
                                           ms_error *err)
{
    *fd = -1;
    return write_probes(r, near_path, fd, sha256, size, err);
}

/* JSON number, or null for the infinities of exact reconstruction. */
static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void add_fidelity(cJSON *o, const ms_fidelity *f)
{
    cJSON_AddItemToObject(o, "bitsPerWeight", num(f->bits_per_weight));
    cJSON_AddItemToObject(o, "sqnrDb", num(f->sqnr_db));
    cJSON_AddItemToObject(o, "cosine", num(f->cosine));
    cJSON_AddItemToObject(o, "relRmse", num(f->rel_rmse));
    cJSON_AddItemToObject(o, "maxAbsError", num(f->max_abs_error));
    cJSON_AddItemToObject(o, "sparsity", num(f->sparsity));
}

static char *render_json(const ms_compress_report *r, int compact)
{
    cJSON *o = cJSON_CreateObject();
    ms_json_add_u64(o, "reportVersion", 1);
    cJSON *recipe = NULL;
    char *rj = ms_recipe_to_json(r->recipe);
    if (rj != NULL && ms_json_parse(rj, strlen(rj), "recipe", &recipe, NULL) == MS_OK)
        cJSON_AddItemToObject(o, "recipe", recipe);
    free(rj);
    if (ms_compress_has_probes(r)) {
        cJSON *p = cJSON_AddObjectToObject(o, "probes");
        char seed_hex[65];
        ms_hex_encode(r->seed, 32, seed_hex);
        cJSON_AddStringToObject(p, "generator", MS_PROBE_GENERATOR);
        cJSON_AddStringToObject(p, "seed", seed_hex);
        ms_json_add_u64(p, "rows", r->probe_rows);
        cJSON_AddNumberToObject(p, "tolerance", MS_PROBE_TOLERANCE);
    } else {
        cJSON_AddNullToObject(o, "probes");
    }
    cJSON *ts = cJSON_AddArrayToObject(o, "tensors");
    for (size_t i = 0; ts != NULL && i < r->n; i++) {
        const tensor_record *t = &r->t[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "file", t->file);
        cJSON_AddStringToObject(e, "name", t->name);
        cJSON_AddStringToObject(e, "dtype", ms_dtype_name(t->dtype));
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (size_t d = 0; d < t->ndim; d++)
            cJSON_AddItemToArray(shape, ms_json_u64(t->shape[d]));
        cJSON_AddStringToObject(e, "scheme", ms_scheme_name(t->scheme));
        cJSON_AddStringToObject(e, "requested", ms_scheme_name(t->requested));
        char p[32];
        ms_prune_format(&t->prune, p);
        cJSON_AddStringToObject(e, "prune", p);
        if (t->fallback != NULL)
            cJSON_AddStringToObject(e, "note", t->fallback);
        ms_json_add_u64(e, "weights", t->acc.count);
        add_fidelity(e, &t->fid);
        if (t->probed)
            cJSON_AddItemToObject(e, "probeSqnrDb", num(t->probe_sqnr));
        cJSON_AddItemToArray(ts, e);
    }
    cJSON *tot = cJSON_AddObjectToObject(o, "total");
    ms_json_add_u64(tot, "weights", r->total_weights);
    add_fidelity(tot, &r->total);
    if (r->worst < r->n) {
        cJSON *wst = cJSON_AddObjectToObject(o, "worst");
        cJSON_AddStringToObject(wst, "name", r->t[r->worst].name);
        cJSON_AddItemToObject(wst, "sqnrDb", num(r->t[r->worst].fid.sqnr_db));
    } else {
        cJSON_AddNullToObject(o, "worst");
    }
    if (compact) {
        char *c = ms_json_print(o, NULL);
        cJSON_Delete(o);
        return c;
    }
    char *s = ms_json_print_pretty(o);
    cJSON_Delete(o);
    return s;
}

static void fmt_db(char *buf, size_t n, double v)
{
    if (isinf(v) && v > 0)
        snprintf(buf, n, "exact");
    else if (isinf(v))
        snprintf(buf, n, "-inf");
    else
        snprintf(buf, n, "%.2f", v);
}

static char *render_text(const ms_compress_report *r)
{
    size_t cap = 4096 + r->n * 300, len = 0;
    char *b = malloc(cap);
    if (b == NULL)
        return NULL;
#define OUT(...) len += (size_t)snprintf(b + len, cap - len, __VA_ARGS__)
    OUT("%-40s %-6s %7s %9s %9s %10s %8s %9s\n", "tensor", "scheme", "bits/w", "SQNR dB",
        "cosine", "max |err|", "sparse", "probe dB");
    for (size_t i = 0; i < r->n && len < cap - 400; i++) {
        const tensor_record *t = &r->t[i];
        char sq[16], pq[16] = "-";
        fmt_db(sq, sizeof sq, t->fid.sqnr_db);
        if (t->probed)
            fmt_db(pq, sizeof pq, t->probe_sqnr);
        OUT("%-40.40s %-6s %7.3f %9s %9.6f %10.3g %7.1f%% %9s\n", ms_text_clean(t->name),
            ms_scheme_name(t->scheme), t->fid.bits_per_weight, sq, t->fid.cosine,
            t->fid.max_abs_error, 100.0 * t->fid.sparsity, pq);
        if (t->fallback != NULL)
            OUT("  note: %.300s\n", ms_text_clean(t->fallback));
    }
    char sq[16];
    fmt_db(sq, sizeof sq, r->total.sqnr_db);
    OUT("%-40s %-6s %7.3f %9s %9.6f %10.3g %7.1f%%\n", "total (weighted by size)", "",
        r->total.bits_per_weight, sq, r->total.cosine, r->total.max_abs_error,
        100.0 * r->total.sparsity);
    if (r->worst < r->n) {
        fmt_db(sq, sizeof sq, r->t[r->worst].fid.sqnr_db);
        OUT("worst tensor by SQNR: %.300s (%s dB)\n", ms_text_clean(r->t[r->worst].name), sq);
    }
#undef OUT
    return b;
}

char *ms_compress_report_render(const ms_compress_report *r, int json)
{
    return json ? render_json(r, json == 2) : render_text(r);
}

ms_status ms_compress_recipe_from(const ms_compress_options *o, ms_recipe **out, ms_error *err)
{
    if (o->recipe_path != NULL) {
        if (o->quantize != NULL || o->prune != NULL)
            return ms_fail(err, MS_E_USAGE, "a recipe excludes --quantize and --prune");
        char *text;
        size_t len;
        ms_status st = ms_read_file(o->recipe_path, 1 << 20, &text, &len, err);
        if (st != MS_OK)
            return st;
        st = ms_recipe_parse(text, len, o->recipe_path, out, err);
        free(text);
        return st;
    }
    ms_scheme s = MS_SCHEME_NONE;
    if (o->quantize != NULL && ms_scheme_parse(o->quantize, &s) != 0)
        return ms_fail(err, MS_E_USAGE, "unknown scheme '%s' (available: none, f16, bf16, int8, "
                       "q8_0, q4_0, q4_k, q6_k)", o->quantize);
    ms_prune_spec p = {MS_PRUNE_NONE, 0};
    if (o->prune != NULL) {
        ms_status st = ms_prune_parse(o->prune, &p, err);
        if (st != MS_OK)
            return st;
    }
    return ms_recipe_simple(s, &p, out, err);
}

/*
 * The probe seed of `compress` (docs/compression.md, section 8): SHA-256 of
 * "modelseal-probe-seed-v2:" followed by the input's safetensors header as
 * stored, its 8-byte length field included.  The header names every tensor
 * with its dtype, shape and offsets, so the same input gives the same seed,
 * without reading the whole file a second time.
 */
#define SEED_PREFIX "modelseal-probe-seed-v2:"

static ms_status header_seed(const char *path, const ms_safetensors *in, uint8_t seed[32],
                             ms_error *err)
{
    uint64_t hlen = ms_safetensors_file_size(in) - ms_safetensors_data_size(in);
    uint8_t *buf = malloc(hlen ? (size_t)hlen : 1);
    if (buf == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    int fd;
    ms_status ost = ms_open_regular(path, 0, &fd, NULL, err);
    if (ost != MS_OK) {
        free(buf);
        return ost;
    }
    uint64_t got = 0;
    while (got < hlen) {
        ssize_t n = pread(fd, buf + got, (size_t)(hlen - got), (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            free(buf);
            return ms_fail(err, MS_E_IO, "%s: cannot read: %s", path, strerror(e));
        }
        got += (uint64_t)n;
    }
    close(fd);
    ms_sha256 *h = ms_sha256_new();
    if (h == NULL) {
        free(buf);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    ms_sha256_update(h, SEED_PREFIX, sizeof SEED_PREFIX - 1);
    ms_sha256_update(h, buf, (size_t)hlen);
    ms_sha256_final(h, seed);
    ms_sha256_free(h);
    free(buf);
    return MS_OK;
}

static ms_status compress_file(const char *input, const char *output, const char *probes_path,
                               const ms_compress_options *opt, ms_compress_report **report,
                               ms_error *err)
{
    ms_recipe *recipe = NULL;
    ms_status st = ms_compress_recipe_from(opt, &recipe, err);
    if (st != MS_OK)
        return st;
    ms_safetensors *in = NULL;
    if ((st = ms_safetensors_open(input, &in, err)) != MS_OK) {
        ms_recipe_free(recipe);
        return st;
    }
    if (ms_safetensors_count(in) == 0) {
        ms_safetensors_close(in);
        ms_recipe_free(recipe);
        return ms_fail(err, MS_E_FORMAT, "%s: holds no tensors: there is nothing to compress",
                       input);
    }
    uint8_t seed[32];
    if (opt->probe_seed != NULL) {
        memcpy(seed, opt->probe_seed, 32);
    } else if ((st = header_seed(input, in, seed, err)) != MS_OK) {
        ms_safetensors_close(in);
        ms_recipe_free(recipe);
        return st;
    }
    ms_compress_report *r = NULL;
    if ((st = ms_compress_report_new(opt, recipe, seed, &r, err)) != MS_OK) {
        ms_safetensors_close(in);
        ms_recipe_free(recipe);
        return st;
    }
    /* Refuse a recipe rule that matches nothing before anything is written. */
    for (size_t i = 0; i < ms_safetensors_count(in); i++) {
        const ms_tensor_info *ti = ms_safetensors_tensor(in, i);
        ms_recipe_choice ch;
        ms_recipe_choose(recipe, ti->name, ti->ndim, &ch);
    }
    st = ms_recipe_check_unused(recipe, err);
    const char *base = strrchr(input, '/');
    uint64_t bytes = 0;
    for (size_t i = 0; i < ms_safetensors_count(in); i++) {
        const ms_tensor_info *ti = ms_safetensors_tensor(in, i);
        bytes += ti->end - ti->begin;
    }
    if (st == MS_OK) {
        ms_prog_begin(MS_PROGRESS_COMPRESS, bytes, ms_safetensors_count(in));
        st = ms_compress_tensors(r, in, base != NULL ? base + 1 : input, output,
                                 MS_COMPRESS_OUT_DIRECT, NULL, NULL, NULL, err);
    }
    if (st == MS_OK)
        st = ms_compress_report_finish(r, err);
    if (st == MS_OK)
        ms_prog_finish();
    if (st == MS_OK && probes_path != NULL && opt->probes)
        st = ms_compress_write_probes(r, probes_path, err);
    ms_safetensors_close(in);
    if (st != MS_OK) {
        ms_compress_report_free(r);
        return st;
    }
    *report = r;
    return MS_OK;
}

ms_status ms_compress_file(const char *input, const char *output, const char *probes_path,
                           const ms_compress_options *opt, ms_compress_report **report,
                           ms_error *err)
{
    *report = NULL;
    if (opt == NULL)
        return ms_fail(err, MS_E_USAGE, "compress needs options");
    ms_prog pg;
    ms_prog_enter(&pg, opt->progress, opt->progress_user);
    ms_status st = compress_file(input, output, probes_path, opt, report, err);
    ms_prog_leave(&pg);
    return st;
}

ms_status ms_tensor_to_f32(const ms_safetensors *st, const char *name, float **out, size_t *ndim,
                           uint64_t shape[8], ms_error *err)
{
    *out = NULL;
    const ms_tensor_info *t = ms_safetensors_find(st, name);
    if (t == NULL)
        return ms_fail(err, MS_E_FORMAT, "no tensor '%s'", name);
    const uint8_t *data = ms_safetensors_data(st, t);
    if (data == NULL && t->end > t->begin)
        return ms_fail(err, MS_E_USAGE, "tensor '%s': no data in memory", name);
    const char *meta = ms_safetensors_metadata_get(st, MS_META_COMPRESSION);
    cJSON *m = NULL;
    const cJSON *e = NULL;
    if (meta != NULL) {
        if (ms_json_parse(meta, strlen(meta), MS_META_COMPRESSION, &m, err) != MS_OK)
            return err != NULL ? err->status : MS_E_FORMAT;
        e = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "tensors"), name);
    }
    ms_status rc = MS_OK;
    ms_scheme scheme = MS_SCHEME_NONE;
    ms_dtype dtype = t->dtype;
    size_t nd = t->ndim;
    uint64_t dims[MS_SAFETENSORS_MAX_DIMS];
    memcpy(dims, t->shape, sizeof dims);
    if (e != NULL) {
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(e, "scheme");
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
        nd = (size_t)cJSON_GetArraySize(sh);
        int ok = cJSON_IsString(sc) && ms_scheme_parse(sc->valuestring, &scheme) == 0 &&
                 cJSON_IsString(dt) && ms_dtype_parse(dt->valuestring, &dtype) == 0 &&
                 cJSON_IsArray(sh) && nd >= 1 && nd <= MS_SAFETENSORS_MAX_DIMS;
        for (size_t d = 0; ok && d < nd; d++)
            ok = ms_json_number_u64(cJSON_GetArrayItem(sh, (int)d), &dims[d]) == 0;
        if (!ok)
            rc = ms_fail(err, MS_E_FORMAT, "tensor '%s': malformed compression record", name);
    }
    uint64_t count = 1;
    for (size_t d = 0; rc == MS_OK && d < nd; d++)
        if (__builtin_mul_overflow(count, dims[d], &count) || count > ((uint64_t)1 << 40))
            rc = ms_fail(err, MS_E_LIMIT, "tensor '%s': too large", name);
    size_t cols = nd ? (size_t)dims[nd - 1] : 1;
    if (rc == MS_OK && !is_float_dtype(dtype))
        rc = ms_fail(err, MS_E_UNSUPPORTED, "tensor '%s': dtype %s is not a float type", name,
                     ms_dtype_name(dtype));
    uint64_t stored = t->end - t->begin;
    uint64_t want = 0;
    if (rc == MS_OK) {
        if (scheme == MS_SCHEME_NONE || scheme == MS_SCHEME_F16 || scheme == MS_SCHEME_BF16)
            want = count * ms_dtype_size(scheme == MS_SCHEME_F16    ? MS_DTYPE_F16
                                         : scheme == MS_SCHEME_BF16 ? MS_DTYPE_BF16
                                                                    : dtype);
        else if (cols == 0 || cols % ms_scheme_block(scheme) != 0)
            rc = ms_fail(err, MS_E_FORMAT, "tensor '%s': rows of %zu values do not fit %s", name,
                         cols, ms_scheme_name(scheme));
        else
            want = (count / cols) * ms_stored_row_bytes(scheme, cols);
    }
    if (rc == MS_OK && want != stored)
        rc = ms_fail(err, MS_E_FORMAT, "tensor '%s': %llu stored bytes, its compression record "
                     "needs %llu", name, (unsigned long long)stored, (unsigned long long)want);
    float *f = NULL;
    if (rc == MS_OK && (f = malloc((count ? count : 1) * sizeof *f)) == NULL)
        rc = ms_fail(err, MS_E_NOMEM, "tensor '%s': out of memory", name);
    if (rc == MS_OK) {
        if (scheme == MS_SCHEME_NONE)
            ms_to_f32(dtype, data, count, f);
        else if (scheme == MS_SCHEME_F16)
            ms_to_f32(MS_DTYPE_F16, data, count, f);
        else if (scheme == MS_SCHEME_BF16)
            ms_to_f32(MS_DTYPE_BF16, data, count, f);
        else
            for (uint64_t r = 0; r < count / cols; r++)
                ms_stored_dequantize_row(scheme, data + r * ms_stored_row_bytes(scheme, cols),
                                         cols, f + r * cols);
        *out = f;
        if (ndim != NULL)
            *ndim = nd;
        if (shape != NULL)
            memcpy(shape, dims, nd * sizeof *dims);
    }
    cJSON_Delete(m);
    return rc;
}
