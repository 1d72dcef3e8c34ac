/*
 * Fidelity figures of a reconstructed tensor (compress/fidelity.h).
 *
 * Every sum is a double.  Within one call of ms_fidelity_acc_add() it is
 * taken as eight interleaved partial sums, each in index order, combined in
 * a fixed order (below); chunks are combined with ms_fidelity_acc_merge() in
 * the caller's fixed order.  Products of two floats are exact in double, so
 * the only rounding is in the additions (and in (x - x')^2).  Merging chunk
 * sums gives the single-pass result up to that rounding: callers that want
 * the same figures whatever the thread count must use chunk boundaries that
 * do not depend on it (one accumulator per tensor row range of fixed size,
 * merged in index order).
 *
 * NaN policy: inputs are finite.  Callers check with
 * ms_scheme_needs_finite() before quantizing; the figures of non-finite
 * input are not specified (they are computed without undefined behaviour,
 * but a NaN difference is skipped by the max and poisons the sums).
 *
 * Contraction of a*b + c into a fused multiply-add would change the sums on
 * some machines; the library is built as ISO C11, where GCC does not
 * contract, and clang is told so below.
 */
#include <math.h>
#include <string.h>

#include "compress/fidelity.h"
#include "compress/simd.h"
#ifdef MS_X86_KERNELS
#include <immintrin.h>
#endif

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

void ms_fidelity_acc_init(ms_fidelity_acc *a)
{
    a->sum_x2 = 0.0;
    a->sum_y2 = 0.0;
    a->sum_xy = 0.0;
    a->sum_d2 = 0.0;
    a->max_abs = 0.0;
    a->count = 0;
    a->zeros = 0;
}

/*
 * Eight partial sums per figure: value i goes to partial i mod 8 (two
 * vectors of 4 doubles), so the eight chains of additions do not wait on
 * each other.  Each partial adds in index order, and the partials are
 * combined in a fixed order, ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 +
 * p7)), so the result depends only on x, y and n.
 */
#define LANES 8

static double combine(const double p[LANES])
{
    return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

/* The eight partial sums of each figure, lane l holding values i = l mod 8. */
typedef struct ms_fidelity_lanes {
    double x2[LANES], y2[LANES], xy[LANES], d2[LANES], mx[LANES];
    uint64_t zeros;
} ms_fidelity_lanes;

/* The eight-lane loop over the whole groups of eight: the portable form. */
MS_CLONES
static void lanes_portable(const float *x, const float *y, size_t groups, ms_fidelity_lanes *L)
{
    const ms_v4d zero = {0};
    const ms_v4l abs_mask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    ms_v4d sx[2] = {zero, zero}, sy[2] = {zero, zero}, sxy[2] = {zero, zero},
           sd[2] = {zero, zero}, mx[2] = {zero, zero};
    ms_v4l nz[2] = {{0}, {0}};
    for (size_t i = 0; i < groups * LANES; i += LANES) {
        for (int h = 0; h < 2; h++) {
            ms_v4f xf, yf;
            memcpy(&xf, x + i + 4 * h, sizeof xf);
            memcpy(&yf, y + i + 4 * h, sizeof yf);
            ms_v4d dx = __builtin_convertvector(xf, ms_v4d);
            ms_v4d dy = __builtin_convertvector(yf, ms_v4d);
            ms_v4d d = dx - dy;
            ms_v4d ad = (ms_v4d)((ms_v4l)d & abs_mask);
            sx[h] += dx * dx;
            sy[h] += dy * dy;
            sxy[h] += dx * dy;
            sd[h] += d * d;
            ms_v4l gt = ad > mx[h]; /* false for NaN: skipped */
            mx[h] = (ms_v4d)(((ms_v4l)ad & gt) | ((ms_v4l)mx[h] & ~gt));
            nz[h] -= dy == 0.0; /* +0 and -0; a true comparison is -1 */
        }
    }
    L->zeros = 0;
    for (int l = 0; l < LANES; l++) {
        L->x2[l] = sx[l / 4][l % 4];
        L->y2[l] = sy[l / 4][l % 4];
        L->xy[l] = sxy[l / 4][l % 4];
        L->d2[l] = sd[l / 4][l % 4];
        L->mx[l] = mx[l / 4][l % 4];
        L->zeros += (uint64_t)nz[l / 4][l % 4];
    }
}

#ifdef MS_X86_KERNELS
/*
 * The same loop with AVX2 intrinsics.  x^2, x'^2 and x x' are products of
 * two floats, exact in double, so adding them with a fused multiply-add
 * rounds exactly as the separate multiply and add do; (x - x')^2 is not
 * exact and keeps its own multiply.  The maximum is MAXPD(|d|, m), which is
 * "|d| > m ? |d| : m", NaN skipped, as above.
 */
MS_TARGET_X86 static void lanes_x86(const float *x, const float *y, size_t groups,
                                    ms_fidelity_lanes *L)
{
    const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(INT64_MAX));
    const __m256d zero = _mm256_setzero_pd();
    __m256d sx[2] = {zero, zero}, sy[2] = {zero, zero}, sxy[2] = {zero, zero},
            sd[2] = {zero, zero}, mx[2] = {zero, zero};
    __m256i nz[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (size_t i = 0; i < groups * LANES; i += LANES) {
        for (int h = 0; h < 2; h++) {
            __m256d dx = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * h));
            __m256d dy = _mm256_cvtps_pd(_mm_loadu_ps(y + i + 4 * h));
            __m256d d = _mm256_sub_pd(dx, dy);
            sx[h] = _mm256_fmadd_pd(dx, dx, sx[h]);
            sy[h] = _mm256_fmadd_pd(dy, dy, sy[h]);
            sxy[h] = _mm256_fmadd_pd(dx, dy, sxy[h]);
            sd[h] = _mm256_add_pd(sd[h], _mm256_mul_pd(d, d));
            mx[h] = _mm256_max_pd(_mm256_and_pd(d, abs_mask), mx[h]);
            nz[h] = _mm256_sub_epi64(nz[h],
                                     _mm256_castpd_si256(_mm256_cmp_pd(dy, zero, _CMP_EQ_OQ)));
        }
    }
    L->zeros = 0;
    for (int h = 0; h < 2; h++) {
        _mm256_storeu_pd(L->x2 + 4 * h, sx[h]);
        _mm256_storeu_pd(L->y2 + 4 * h, sy[h]);
        _mm256_storeu_pd(L->xy + 4 * h, sxy[h]);
        _mm256_storeu_pd(L->d2 + 4 * h, sd[h]);
        _mm256_storeu_pd(L->mx + 4 * h, mx[h]);
        int64_t z[4];
        _mm256_storeu_si256((__m256i *)(void *)z, nz[h]);
        L->zeros += (uint64_t)(z[0] + z[1] + z[2] + z[3]);
    }
}
#endif

void ms_fidelity_acc_add(ms_fidelity_acc *a, const float *x, const float *y, size_t n)
{
    ms_fidelity_lanes L;
    size_t groups = n / LANES;
#ifdef MS_X86_KERNELS
    if (ms_x86_kernels())
        lanes_x86(x, y, groups, &L);
    else
#endif
        lanes_portable(x, y, groups, &L);
    for (size_t i = groups * LANES, l = 0; i < n; i++, l++) {
        double dx = (double)x[i];
        double dy = (double)y[i];
        double d = dx - dy;
        double ad = fabs(d);
        L.x2[l] += dx * dx;
        L.y2[l] += dy * dy;
        L.xy[l] += dx * dy;
        L.d2[l] += d * d;
        if (ad > L.mx[l])
            L.mx[l] = ad;
        if (y[i] == 0.0f)
            L.zeros++;
    }
    double m = a->max_abs;
    for (int l = 0; l < LANES; l++)
        if (L.mx[l] > m)
            m = L.mx[l];
    a->sum_x2 += combine(L.x2);
    a->sum_y2 += combine(L.y2);
    a->sum_xy += combine(L.xy);
    a->sum_d2 += combine(L.d2);
    a->max_abs = m;
    a->count += (uint64_t)n;
    a->zeros += L.zeros;
}

void ms_fidelity_acc_merge(ms_fidelity_acc *a, const ms_fidelity_acc *b)
{
    a->sum_x2 += b->sum_x2;
    a->sum_y2 += b->sum_y2;
    a->sum_xy += b->sum_xy;
    a->sum_d2 += b->sum_d2;
    if (b->max_abs > a->max_abs)
        a->max_abs = b->max_abs;
    a->count += b->count;
    a->zeros += b->zeros;
}

/*
 * No overflow or underflow is possible in the products below: a float
 * squared is at most 1.2e77, a sum of at most 2^64 of them at most 2.1e96,
 * and the product of two such sums stays below 4.5e192; the smallest
 * non-zero square is 2e-90, and products of two sums stay above 4e-180.
 */
void ms_fidelity_finish(const ms_fidelity_acc *a, double bits_per_weight, ms_fidelity *out)
{
    out->bits_per_weight = bits_per_weight;
    out->count = a->count;
    out->max_abs_error = a->max_abs;
    out->sparsity = a->count != 0 ? (double)a->zeros / (double)a->count : 0.0;

    if (a->sum_d2 == 0.0) {
        out->sqnr_db = INFINITY;   /* exact (also: nothing at all) */
        out->rel_rmse = 0.0;
    } else if (a->sum_x2 == 0.0) {
        out->sqnr_db = -INFINITY;  /* zero signal, non-zero error */
        out->rel_rmse = INFINITY;
    } else {
        out->sqnr_db = 10.0 * log10(a->sum_x2 / a->sum_d2);
        out->rel_rmse = sqrt(a->sum_d2 / a->sum_x2);
    }

    if (a->sum_x2 == 0.0 && a->sum_y2 == 0.0) {
        out->cosine = 1.0;
    } else if (a->sum_x2 == 0.0 || a->sum_y2 == 0.0) {
        out->cosine = 0.0;
    } else {
        double c = a->sum_xy / sqrt(a->sum_x2 * a->sum_y2);
        /* Rounding may step just outside [-1, 1] for (anti)parallel vectors. */
        if (c > 1.0)
            c = 1.0;
        else if (c < -1.0)
            c = -1.0;
        out->cosine = c;
    }
}
