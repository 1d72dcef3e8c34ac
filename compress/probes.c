#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>

#include "modelseal/compress.h"

/* OpenBLAS's own prototype (not in cblas.h). */
void openblas_set_num_threads(int num_threads);

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void one_blas_thread(void)
{
    openblas_set_num_threads(1);
}

/*
 * OpenBLAS's worker pool is ended through blas_thread_shutdown_, which
 * OpenBLAS exports for fork handling; looked up at run time, because a
 * build without threads need not have it.  With one BLAS thread set first,
 * later BLAS calls run on the caller and start no pool again.
 */
void ms_blas_single_thread(void)
{
    pthread_once(&blas_once, one_blas_thread);
    int (*shutdown)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown != NULL)
        (void)shutdown();
}

#include "compress/probes.h"
#include "compress/simd.h"
#ifdef MS_X86_KERNELS
#include <immintrin.h>
#endif
#include "core/digest.h"
#include "core/prng.h"

int ms_probe_inputs(const uint8_t seed[32], const char *tensor, size_t k, size_t in, float *x)
{
    size_t n = k * in;
    size_t pairs = (n + 1) / 2;
    uint8_t *ks = malloc(pairs * 8 + 8);
    if (ks == NULL)
        return -1;
    static const char prefix[] = "modelseal-probe-v1:";
    size_t tl = strlen(tensor);
    uint8_t *label = malloc(sizeof prefix + tl);
    if (label == NULL) {
        free(ks);
        return -1;
    }
    memcpy(label, prefix, sizeof prefix - 1);
    memcpy(label + sizeof prefix - 1, tensor, tl);
    uint8_t digest[MS_SHA256_LEN];
    ms_sha256_buf(label, sizeof prefix - 1 + tl, digest);
    free(label);
    if (ms_chacha20_stream(seed, digest, ks, pairs * 8) != 0) {
        free(ks);
        return -1;
    }
    const double two_pi = 6.283185307179586476925286766559;
    for (size_t p = 0; p < pairs; p++) {
        const uint8_t *b = ks + 8 * p;
        uint32_t a0 = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                      (uint32_t)b[3] << 24;
        uint32_t a1 = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
                      (uint32_t)b[7] << 24;
        double u1 = ((double)a0 + 0.5) / 4294967296.0;
        double u2 = ((double)a1 + 0.5) / 4294967296.0;
        double r = sqrt(-2.0 * log(u1));
        x[2 * p] = (float)(r * cos(two_pi * u2));
        if (2 * p + 1 < n)
            x[2 * p + 1] = (float)(r * sin(two_pi * u2));
    }
    free(ks);
    return 0;
}

void ms_probe_row(const float *x, size_t k, size_t in, const float *w, size_t out, size_t r,
                  float *y)
{
    for (size_t j = 0; j < k; j++) {
        const float *xr = x + j * in;
        double acc = 0.0;
        /* float * float is exact in double, so the order of additions alone fixes the result. */
        for (size_t i = 0; i < in; i++)
            acc += (double)xr[i] * (double)w[i];
        y[j * out + r] = (float)acc;
    }
}

void ms_probe_row_pair(const float *x, size_t k, size_t in, const float *w1, const float *w2,
                       size_t out, size_t r, float *y1, float *y2)
{
    double a1[MS_PROBE_MAX_ROWS], a2[MS_PROBE_MAX_ROWS];
    for (size_t j = 0; j < k; j++)
        a1[j] = a2[j] = 0.0;
    for (size_t i = 0; i < in; i++) {
        double u = w1[i], v = w2[i];
        for (size_t j = 0; j < k; j++) {
            double xv = x[j * in + i];
            a1[j] += xv * u;
            a2[j] += xv * v;
        }
    }
    for (size_t j = 0; j < k; j++) {
        y1[j * out + r] = (float)a1[j];
        y2[j * out + r] = (float)a2[j];
    }
}

size_t ms_probe_lanes(size_t k)
{
    return (k + 3) / 4 * 4;
}

void ms_probe_transpose(const float *x, size_t k, size_t in, double *xd)
{
    size_t lanes = ms_probe_lanes(k);
    for (size_t i = 0; i < in; i++)
        for (size_t j = 0; j < lanes; j++)
            xd[i * lanes + j] = j < k ? (double)x[j * in + i] : 0.0;
}

/*
 * Four weight rows against up to 4 probe rows (one vector of lanes): 8
 * independent vector sums.  A product of two floats is exact in double, so
 * each lane's result depends only on the order of its additions, which is
 * the index order.
 */
static MS_ALWAYS_INLINE void rows4_lanes4(const double *restrict xd, size_t in,
                                          const float *const *w1, const float *const *w2,
                                          ms_v4d acc[8])
{
    const float *restrict u0 = w1[0], *restrict u1 = w1[1], *restrict u2 = w1[2],
                          *restrict u3 = w1[3];
    const float *restrict v0 = w2[0], *restrict v1 = w2[1], *restrict v2 = w2[2],
                          *restrict v3 = w2[3];
    ms_v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
    for (size_t i = 0; i < in; i++) {
        ms_v4d x;
        memcpy(&x, xd + 4 * i, sizeof x);
        a0 += x * (double)u0[i];
        a1 += x * (double)u1[i];
        a2 += x * (double)u2[i];
        a3 += x * (double)u3[i];
        b0 += x * (double)v0[i];
        b1 += x * (double)v1[i];
        b2 += x * (double)v2[i];
        b3 += x * (double)v3[i];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = b0;
    acc[5] = b1;
    acc[6] = b2;
    acc[7] = b3;
}

#ifdef MS_X86_KERNELS
/*
 * rows4_lanes4 turned around, for AVX2 and FMA: a vector holds one probe
 * row's sums for the four weight rows (lane q: row q), so each weight is
 * converted to double once per four, by a 4 x 4 transpose of the rows, and
 * each probe input is broadcast once for both matrices.  Every one of the
 * 32 sums still adds x[j][i] w[q][i] (exact in double, so fused or not the
 * same) in index order from 0: the same bits as rows4_lanes4.
 */
MS_TARGET_X86 static void rows4_probes4_x86(const double *restrict xd, size_t in,
                                            const float *const *w1, const float *const *w2,
                                            float *y1, float *y2, size_t out, size_t r)
{
    __m256d a[4], b[4];
    for (int j = 0; j < 4; j++)
        a[j] = b[j] = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 4 <= in; i += 4) {
        __m128 u0 = _mm_loadu_ps(w1[0] + i), u1 = _mm_loadu_ps(w1[1] + i),
               u2 = _mm_loadu_ps(w1[2] + i), u3 = _mm_loadu_ps(w1[3] + i);
        __m128 v0 = _mm_loadu_ps(w2[0] + i), v1 = _mm_loadu_ps(w2[1] + i),
               v2 = _mm_loadu_ps(w2[2] + i), v3 = _mm_loadu_ps(w2[3] + i);
        _MM_TRANSPOSE4_PS(u0, u1, u2, u3); /* u_t = (w[0][i+t], ..., w[3][i+t]) */
        _MM_TRANSPOSE4_PS(v0, v1, v2, v3);
        __m256d du[4] = {_mm256_cvtps_pd(u0), _mm256_cvtps_pd(u1), _mm256_cvtps_pd(u2),
                         _mm256_cvtps_pd(u3)};
        __m256d dv[4] = {_mm256_cvtps_pd(v0), _mm256_cvtps_pd(v1), _mm256_cvtps_pd(v2),
                         _mm256_cvtps_pd(v3)};
        for (int t = 0; t < 4; t++) {
            for (int j = 0; j < 4; j++) {
                __m256d xj = _mm256_broadcast_sd(xd + 4 * (i + t) + j);
                a[j] = _mm256_fmadd_pd(xj, du[t], a[j]);
                b[j] = _mm256_fmadd_pd(xj, dv[t], b[j]);
            }
        }
    }
    for (; i < in; i++) {
        __m256d du = _mm256_setr_pd(w1[0][i], w1[1][i], w1[2][i], w1[3][i]);
        __m256d dv = _mm256_setr_pd(w2[0][i], w2[1][i], w2[2][i], w2[3][i]);
        for (int j = 0; j < 4; j++) {
            __m256d xj = _mm256_broadcast_sd(xd + 4 * i + j);
            a[j] = _mm256_fmadd_pd(xj, du, a[j]);
            b[j] = _mm256_fmadd_pd(xj, dv, b[j]);
        }
    }
    for (int j = 0; j < 4; j++) {
        _mm_storeu_ps(y1 + j * out + r, _mm256_cvtpd_ps(a[j]));
        _mm_storeu_ps(y2 + j * out + r, _mm256_cvtpd_ps(b[j]));
    }
}
#endif

MS_CLONES_EXACT_FMA
void ms_probe_rows_pair(const double *xd, size_t k, size_t in, size_t nr,
                        const float *const *w1, const float *const *w2, size_t out, size_t r,
                        float *y1, float *y2)
{
    size_t nc = ms_probe_lanes(k) / 4;
#ifdef MS_X86_KERNELS
    if (nr == 4 && k == 4 && ms_x86_kernels()) {
        rows4_probes4_x86(xd, in, w1, w2, y1, y2, out, r);
        return;
    }
#endif
    /* acc[q * nc + c]: row q, original; acc[(nr + q) * nc + c]: compressed */
    ms_v4d acc[2 * MS_PROBE_BLOCK_ROWS * (MS_PROBE_MAX_ROWS / 4)];
    if (nr == 4 && nc == 1) {
        rows4_lanes4(xd, in, w1, w2, acc);
    } else {
        for (size_t a = 0; a < 2 * nr * nc; a++)
            acc[a] = (ms_v4d){0};
        for (size_t i = 0; i < in; i++) {
            for (size_t c = 0; c < nc; c++) {
                ms_v4d x;
                memcpy(&x, xd + 4 * (i * nc + c), sizeof x);
                for (size_t q = 0; q < nr; q++) {
                    acc[q * nc + c] += x * (double)w1[q][i];
                    acc[(nr + q) * nc + c] += x * (double)w2[q][i];
                }
            }
        }
    }
    for (size_t q = 0; q < nr; q++) {
        for (size_t j = 0; j < k; j++) {
            y1[j * out + r + q] = (float)acc[q * nc + j / 4][j % 4];
            y2[j * out + r + q] = (float)acc[(nr + q) * nc + j / 4][j % 4];
        }
    }
}

void ms_probe_blas_block(const float *x, size_t k, size_t in, const float *w, size_t nb,
                         float *y, size_t ldy)
{
    pthread_once(&blas_once, one_blas_thread);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)nb, (int)in, 1.0f, x,
                (int)in, w, (int)in, 0.0f, y, (int)ldy);
}

void ms_probe_blas(const float *x, size_t k, size_t in, const float *w, size_t out, float *y)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)out, (int)in, 1.0f, x,
                (int)in, w, (int)in, 0.0f, y, (int)out);
}

double ms_probe_rel_error(const float *a, const float *b, size_t n)
{
    double d2 = 0, b2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        d2 += d * d;
        b2 += (double)b[i] * (double)b[i];
    }
    if (b2 == 0)
        return d2 == 0 ? 0 : INFINITY;
    return sqrt(d2 / b2);
}

double ms_probe_sqnr(const float *a, const float *b, size_t n)
{
    double d2 = 0, b2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        d2 += d * d;
        b2 += (double)b[i] * (double)b[i];
    }
    if (d2 == 0)
        return INFINITY;
    if (b2 == 0)
        return -INFINITY;
    return 10.0 * log10(b2 / d2);
}
