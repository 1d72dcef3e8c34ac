/*
 * Pruning (compress/fidelity.h).
 *
 * Magnitudes are compared through the bits of |w|: for non-negative floats
 * the order of the bit patterns (sign bit cleared) is the numeric order,
 * +0 and -0 have the same magnitude, and infinity is the largest.  Inputs
 * are finite (callers check); a NaN is ordered above every number (kept
 * first), so even then the result is deterministic.
 * Pruned values become +0.0f.
 *
 * Magnitude pruning finds the k-th smallest key (|w|, index) without sorting
 * and without a per-value buffer: a two-pass radix selection on the 31 bits
 * of |w| (high 15 bits, then low 16 bits inside the chosen bucket) finds the
 * threshold magnitude t, then one pass zeroes every value below t and the
 * first (lowest-index) values equal to t until exactly k are zeroed.  Three
 * reads of the tensor, O(n) whatever the data, 512 KiB of counters.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compress/fidelity.h"

#define MS_PRUNE_MILLION 1000000u
#define MS_PRUNE_BUCKETS 65536u

static uint32_t mag_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u & 0x7fffffffu;
}

/*
 * The number of values to zero: S is taken in millionths (the precision a
 * recipe can write, rounded to nearest) and floor(S * count + 0.5) is then
 * computed exactly in integers, so "magnitude:0.3" on 5 values zeroes 2
 * (1.5 rounds up) on every machine.
 */
static size_t prune_count(size_t count, double fraction)
{
    uint64_t m = (uint64_t)floor(fraction * 1e6 + 0.5); /* 0 ... 1000000 */
    if (m > MS_PRUNE_MILLION)
        m = MS_PRUNE_MILLION;
    uint64_t n = (uint64_t)count;
    uint64_t q = n / MS_PRUNE_MILLION, r = n % MS_PRUNE_MILLION;
    /* m * q <= n, and m * r + 500000 < 2^40: no overflow. */
    return (size_t)(m * q + (m * r + MS_PRUNE_MILLION / 2) / MS_PRUNE_MILLION);
}

int ms_prune_magnitude(float *w, size_t count, double fraction)
{
    if (!(fraction >= 0.0 && fraction <= 1.0)) /* NaN too */
        return -1;
    if (count == 0)
        return 0;
    if (w == NULL)
        return -1;
    size_t k = prune_count(count, fraction);
    if (k == 0)
        return 0;
    if (k == count) {
        for (size_t i = 0; i < count; i++)
            w[i] = 0.0f;
        return 0;
    }

    uint64_t *hist = calloc(MS_PRUNE_BUCKETS, sizeof *hist);
    if (hist == NULL)
        return -1;

    /* Pass 1: the bucket of high bits holding the k-th smallest magnitude. */
    for (size_t i = 0; i < count; i++)
        hist[mag_bits(w[i]) >> 16]++;
    uint64_t below = 0; /* values in lower buckets */
    uint32_t hi = 0;
    for (;; hi++) {
        if (below + hist[hi] >= (uint64_t)k)
            break;
        below += hist[hi];
    }

    /* Pass 2: within that bucket, the low bits. */
    memset(hist, 0, MS_PRUNE_BUCKETS * sizeof *hist);
    for (size_t i = 0; i < count; i++) {
        uint32_t u = mag_bits(w[i]);
        if ((u >> 16) == hi)
            hist[u & 0xffffu]++;
    }
    uint32_t lo = 0;
    for (;; lo++) {
        if (below + hist[lo] >= (uint64_t)k)
            break;
        below += hist[lo];
    }
    free(hist);
    uint32_t t = (hi << 16) | lo;
    uint64_t ties = (uint64_t)k - below; /* values equal to t to zero, >= 1 */

    /* Pass 3: everything below t, and the first `ties` values equal to t. */
    for (size_t i = 0; i < count; i++) {
        uint32_t u = mag_bits(w[i]);
        if (u < t) {
            w[i] = 0.0f;
        } else if (u == t && ties > 0) {
            w[i] = 0.0f;
            ties--;
        }
    }
    return 0;
}

int ms_prune_2_4(float *w, size_t rows, size_t cols)
{
    if (cols % 4 != 0)
        return -1;
    if (rows == 0 || cols == 0)
        return 0;
    if (w == NULL || rows > SIZE_MAX / cols)
        return -1;
    size_t n = rows * cols; /* rows are contiguous and cols % 4 == 0: groups never straddle */
    for (size_t g = 0; g < n; g += 4) {
        uint32_t key[4];
        for (int i = 0; i < 4; i++)
            key[i] = mag_bits(w[g + (size_t)i]);
        int drop[4];
        for (int i = 0; i < 4; i++) {
            /* Values that rank before i: larger, or as large at a lower index. */
            int ahead = 0;
            for (int j = 0; j < 4; j++)
                if (j != i && (key[j] > key[i] || (key[j] == key[i] && j < i)))
                    ahead++;
            drop[i] = ahead >= 2;
        }
        for (int i = 0; i < 4; i++)
            if (drop[i])
                w[g + (size_t)i] = 0.0f;
    }
    return 0;
}
