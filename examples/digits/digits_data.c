/* modelseal digits example: shared data, split, PRNG and forward pass. */
#include "digits_data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <cblas.h>

/* ---- PRNG ---------------------------------------------------------------- */

void digits_rng_seed(digits_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t digits_rng_next(digits_rng *r)
{
    uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t digits_rng_below(digits_rng *r, uint64_t bound)
{
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t v;
    do {
        v = digits_rng_next(r);
    } while (v >= limit);
    return v % bound;
}

double digits_rng_uniform(digits_rng *r)
{
    return (double)(digits_rng_next(r) >> 11) * 0x1.0p-53;
}

double digits_rng_normal(digits_rng *r, int *have_spare, double *spare)
{
    if (*have_spare) {
        *have_spare = 0;
        return *spare;
    }
    double u1, u2;
    do {
        u1 = digits_rng_uniform(r);
    } while (u1 <= 0.0);
    u2 = digits_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double th = 2.0 * 3.14159265358979323846 * u2;
    *spare = rad * sin(th);
    *have_spare = 1;
    return rad * cos(th);
}

void digits_shuffle(digits_rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)digits_rng_below(r, (uint64_t)i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* ---- loading ------------------------------------------------------------- */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Decompress the whole gzip file into a NUL-terminated buffer. */
static char *read_gz(const char *path, size_t *len_out, char *err, size_t errlen)
{
    struct archive *a = archive_read_new();
    if (a == NULL) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    archive_read_support_filter_gzip(a);
    archive_read_support_format_raw(a);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    struct archive_entry *entry;
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
        archive_read_next_header(a, &entry) != ARCHIVE_OK) {
        seterr(err, errlen, "%s: %s", path, archive_error_string(a));
        goto fail;
    }
    if (archive_filter_count(a) < 2 || archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
        seterr(err, errlen, "%s: not a gzip file", path);
        goto fail;
    }
    for (;;) {
        if (cap - len < 65536 + 1) {
            size_t ncap = cap ? cap * 2 : 262144;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                seterr(err, errlen, "out of memory");
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        la_ssize_t got = archive_read_data(a, buf + len, cap - len - 1);
        if (got < 0) {
            seterr(err, errlen, "%s: %s", path, archive_error_string(a));
            goto fail;
        }
        if (got == 0)
            break;
        len += (size_t)got;
        if (len > (size_t)64 << 20) {
            seterr(err, errlen, "%s: decompressed data larger than 64 MiB", path);
            goto fail;
        }
    }
    archive_read_free(a);
    buf[len] = '\0';
    *len_out = len;
    return buf;
fail:
    archive_read_free(a);
    free(buf);
    return NULL;
}

int digits_load(const char *path, digits_set *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = read_gz(path, &len, err, errlen);
    if (text == NULL)
        return -1;

    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            lines++;
    if (len > 0 && text[len - 1] != '\n')
        lines++;

    out->x = malloc((lines ? lines : 1) * DIGITS_FEATURES * sizeof *out->x);
    out->y = malloc((lines ? lines : 1) * sizeof *out->y);
    if (out->x == NULL || out->y == NULL) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }

    const char *p = text, *end = text + len;
    size_t row = 0, lineno = 0;
    while (p < end) {
        lineno++;
        if (*p == '\n') {
            seterr(err, errlen, "%s: line %zu: empty line", path, lineno);
            goto fail;
        }
        for (int f = 0; f <= DIGITS_FEATURES; f++) {
            if (*p < '0' || *p > '9') {
                seterr(err, errlen, "%s: line %zu, field %d: expected a digit", path,
                       lineno, f + 1);
                goto fail;
            }
            int v = 0;
            while (p < end && *p >= '0' && *p <= '9' && v <= 100)
                v = v * 10 + (*p++ - '0');
            int last = f == DIGITS_FEATURES;
            int max = last ? DIGITS_CLASSES - 1 : 16;
            if (v > max) {
                seterr(err, errlen, "%s: line %zu, field %d: value out of range 0..%d", path,
                       lineno, f + 1, max);
                goto fail;
            }
            if (last) {
                out->y[row] = v;
                if (p < end && *p == '\r')
                    p++;
                if (p < end && *p != '\n') {
                    seterr(err, errlen, "%s: line %zu: expected %d fields", path, lineno,
                           DIGITS_FEATURES + 1);
                    goto fail;
                }
                if (p < end)
                    p++;
            } else {
                out->x[row * DIGITS_FEATURES + (size_t)f] = (float)v / 16.0f;
                if (p >= end || *p != ',') {
                    seterr(err, errlen, "%s: line %zu: expected %d fields", path, lineno,
                           DIGITS_FEATURES + 1);
                    goto fail;
                }
                p++;
            }
        }
        row++;
    }
    if (row < 10) {
        seterr(err, errlen, "%s: only %zu rows", path, row);
        goto fail;
    }
    out->n = row;
    free(text);
    return 0;
fail:
    free(text);
    digits_set_free(out);
    return -1;
}

void digits_set_free(digits_set *s)
{
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

static int take_rows(const digits_set *all, const size_t *idx, size_t n, digits_set *out)
{
    out->n = n;
    out->x = malloc(n * DIGITS_FEATURES * sizeof *out->x);
    out->y = malloc(n * sizeof *out->y);
    if (out->x == NULL || out->y == NULL) {
        digits_set_free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(out->x + i * DIGITS_FEATURES, all->x + idx[i] * DIGITS_FEATURES,
               DIGITS_FEATURES * sizeof *out->x);
        out->y[i] = all->y[idx[i]];
    }
    return 0;
}

int digits_split(const digits_set *all, digits_set *train, digits_set *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    size_t *idx = malloc(all->n * sizeof *idx);
    if (idx == NULL)
        return -1;
    for (size_t i = 0; i < all->n; i++)
        idx[i] = i;
    digits_rng r;
    digits_rng_seed(&r, DIGITS_SPLIT_SEED);
    digits_shuffle(&r, idx, all->n);
    size_t n_test = all->n / 5;
    int rc = 0;
    if (take_rows(all, idx, n_test, test) != 0 ||
        take_rows(all, idx + n_test, all->n - n_test, train) != 0) {
        digits_set_free(test);
        rc = -1;
    }
    free(idx);
    return rc;
}

/* ---- model --------------------------------------------------------------- */

void digits_mlp_forward(const digits_mlp *m, const float *x, size_t n, float *hidden,
                        float *logits)
{
    const int b = (int)n;
    /* hidden = relu(x . w1^T + b1) */
    for (size_t i = 0; i < n; i++)
        memcpy(hidden + i * DIGITS_HIDDEN, m->b1, sizeof m->b1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, DIGITS_HIDDEN, DIGITS_FEATURES,
                1.0f, x, DIGITS_FEATURES, m->w1, DIGITS_FEATURES, 1.0f, hidden, DIGITS_HIDDEN);
    for (size_t i = 0; i < n * DIGITS_HIDDEN; i++)
        if (!(hidden[i] > 0.0f))
            hidden[i] = 0.0f;
    /* logits = hidden . w2^T + b2 */
    for (size_t i = 0; i < n; i++)
        memcpy(logits + i * DIGITS_CLASSES, m->b2, sizeof m->b2);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, DIGITS_CLASSES, DIGITS_HIDDEN,
                1.0f, hidden, DIGITS_HIDDEN, m->w2, DIGITS_HIDDEN, 1.0f, logits,
                DIGITS_CLASSES);
}

size_t digits_mlp_correct(const digits_mlp *m, const digits_set *set)
{
    float *hidden = malloc((set->n ? set->n : 1) * DIGITS_HIDDEN * sizeof *hidden);
    float *logits = malloc((set->n ? set->n : 1) * DIGITS_CLASSES * sizeof *logits);
    size_t correct = 0;
    if (hidden == NULL || logits == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    digits_mlp_forward(m, set->x, set->n, hidden, logits);
    for (size_t i = 0; i < set->n; i++) {
        const float *l = logits + i * DIGITS_CLASSES;
        int best = 0;
        for (int k = 1; k < DIGITS_CLASSES; k++)
            if (l[k] > l[best])
                best = k;
        if (best == set->y[i])
            correct++;
    }
    free(hidden);
    free(logits);
    return correct;
}
