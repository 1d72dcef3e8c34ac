/*
 * Fidelity of a compressed tensor against its original, and pruning.
 * All sums are taken in double precision in a fixed order (eight interleaved
 * partial sums per call, fidelity.c), so results do not depend on thread
 * counts (given chunk boundaries that do not depend on them: merging chunk
 * sums rounds differently from one pass over the same values).
 * Inputs are finite: callers check before quantizing or pruning; with NaN or
 * infinite input the figures are unspecified (no undefined behaviour), and
 * pruning orders NaN above every magnitude.
 */
#ifndef MS_COMPRESS_FIDELITY_H
#define MS_COMPRESS_FIDELITY_H

#include <stddef.h>
#include <stdint.h>

/* Running sums for one tensor (or, merged, for a whole model). */
typedef struct ms_fidelity_acc {
    double sum_x2;      /* sum x^2 */
    double sum_y2;      /* sum x'^2 */
    double sum_xy;      /* sum x x' */
    double sum_d2;      /* sum (x - x')^2 */
    double max_abs;     /* max |x - x'| */
    uint64_t count;     /* values */
    uint64_t zeros;     /* x' == 0 (after pruning and quantization) */
} ms_fidelity_acc;

typedef struct ms_fidelity {
    double bits_per_weight;
    double sqnr_db;        /* 10 log10(sum x^2 / sum d^2); +inf when exact, see below */
    double cosine;         /* sum xx' / sqrt(sum x^2 sum x'^2); 1 when both are all zero */
    double rel_rmse;       /* sqrt(sum d^2 / sum x^2); 0 when exact */
    double max_abs_error;
    double sparsity;       /* zeros / count */
    uint64_t count;
} ms_fidelity;

void ms_fidelity_acc_init(ms_fidelity_acc *a);
/* Add n pairs (original x, reconstructed y). */
void ms_fidelity_acc_add(ms_fidelity_acc *a, const float *x, const float *y, size_t n);
/* a += b (for merging chunks in a fixed order, and whole-model totals). */
void ms_fidelity_acc_merge(ms_fidelity_acc *a, const ms_fidelity_acc *b);
/*
 * Final figures.  Exact reconstruction gives sqnr_db = INFINITY (reported as
 * "exact"/null in JSON by the caller); an all-zero original with a non-zero
 * reconstruction gives -INFINITY.
 */
void ms_fidelity_finish(const ms_fidelity_acc *a, double bits_per_weight, ms_fidelity *out);

/*
 * Pruning, in place on a row-major [rows x cols] tensor (1-D: rows = 1).
 * Magnitude: in the whole tensor, exactly floor(S * count + 0.5) values with
 * the smallest magnitude are set to zero (ties broken by lower index first,
 * so the result is deterministic); S in [0, 1].  S is taken in millionths
 * (rounded to nearest; recipes write at most 6 decimals) and the count is
 * computed exactly in integers: halves round up (S = 0.5 on 5 values zeroes
 * 3).  Values already zero count among the smallest.  Pruned values become
 * +0.0f; +0 and -0 have the same magnitude.
 * 2:4: in each group of 4 consecutive values along a row, the 2 of largest
 * magnitude are kept (ties: lower index kept); cols must be a multiple of 4.
 * Returns 0, or -1 on invalid arguments or allocation failure.
 */
int ms_prune_magnitude(float *w, size_t count, double fraction);
int ms_prune_2_4(float *w, size_t rows, size_t cols);

#endif
