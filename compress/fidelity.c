/*
 * Fidelity figures of a reconstructed tensor (compress/fidelity.h).
 *
 * Every sum is a double, accumulated in index order within one call of
 * ms_fidelity_acc_add(); chunks are combined with ms_fidelity_acc_merge() in
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

#include "compress/fidelity.h"

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

void ms_fidelity_acc_add(ms_fidelity_acc *a, const float *x, const float *y, size_t n)
{
    double sx = a->sum_x2, sy = a->sum_y2, sxy = a->sum_xy, sd = a->sum_d2, mx = a->max_abs;
    uint64_t zeros = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = (double)x[i];
        double dy = (double)y[i];
        double d = dx - dy;
        double ad = fabs(d);
        sx += dx * dx;
        sy += dy * dy;
        sxy += dx * dy;
        sd += d * d;
        if (ad > mx)
            mx = ad;
        if (y[i] == 0.0f) /* +0 and -0 */
            zeros++;
    }
    a->sum_x2 = sx;
    a->sum_y2 = sy;
    a->sum_xy = sxy;
    a->sum_d2 = sd;
    a->max_abs = mx;
    a->count += (uint64_t)n;
    a->zeros += zeros;
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
