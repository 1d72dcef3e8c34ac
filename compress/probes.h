/*
 * Integrity probes: seeded random inputs X (k rows) for each 2-D weight W
 * (out x in), and the outputs X W^T of the original and compressed weights.
 *
 * Generator "chacha20-box-muller-v1" (docs/compression.md):
 *   key   = the 32-byte probe seed recorded in the bundle
 *   nonce = the first 12 bytes of SHA-256("modelseal-probe-v1:" || tensor name)
 *   the ChaCha20 keystream is read as little-endian uint32 pairs (a, b);
 *   u1 = (a + 0.5) / 2^32, u2 = (b + 0.5) / 2^32;
 *   z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2), in
 *   double, each rounded to float; X is filled row-major with z0, z1, z0, ...
 *   (an odd count drops the last z1).
 * Recorded outputs are computed with double accumulation in index order,
 * so they do not depend on threads or BLAS; verify recomputes with OpenBLAS
 * and accepts a relative difference norm of at most MS_PROBE_TOLERANCE.
 */
#ifndef MS_COMPRESS_PROBES_H
#define MS_COMPRESS_PROBES_H

#include <stddef.h>
#include <stdint.h>

#define MS_PROBE_DEFAULT_ROWS 4
#define MS_PROBE_MAX_ROWS 64
#define MS_PROBE_TOLERANCE 1e-4
#define MS_PROBE_GENERATOR "chacha20-box-muller-v1"
/* Probes file metadata: its version, and the file each probed tensor is bound to. */
#define MS_PROBES_META_VERSION "modelseal.probes.version"
#define MS_PROBES_META_FILES "modelseal.probes.files"

/* X: k x in floats.  Returns 0, or -1 on allocation failure. */
int ms_probe_inputs(const uint8_t seed[32], const char *tensor, size_t k, size_t in, float *x);

/*
 * For one weight row w (in values) at output index r, set y[j * out + r] =
 * sum_i x[j * in + i] * w[i] for j < k, accumulated in double.
 */
void ms_probe_row(const float *x, size_t k, size_t in, const float *w, size_t out, size_t r,
                  float *y);

/*
 * ms_probe_row for two rows at once (the original and the compressed one),
 * with the same results bit for bit: every accumulator still adds in index
 * order, but the 2k sums advance together instead of one after another,
 * so they do not wait on each other.  k <= MS_PROBE_MAX_ROWS.
 */
void ms_probe_row_pair(const float *x, size_t k, size_t in, const float *w1, const float *w2,
                       size_t out, size_t r, float *y1, float *y2);

/*
 * The probe inputs of a tensor laid out for ms_probe_rows_pair: lanes =
 * ms_probe_lanes(k) (k rounded up to a multiple of 4), xd[i * lanes + j] =
 * x[j * in + i] as double, 0 for j >= k.  xd holds in * lanes doubles.
 */
size_t ms_probe_lanes(size_t k);
void ms_probe_transpose(const float *x, size_t k, size_t in, double *xd);

/*
 * ms_probe_row_pair for nr <= MS_PROBE_BLOCK_ROWS consecutive weight rows
 * at output indices r .. r + nr - 1 (w1[q] and w2[q]: row r + q, original
 * and compressed), from the transposed inputs xd.  The results are the
 * same bit for bit: each of the 2 k nr sums still adds its products in
 * index order, from 0.  The sums advance together, 4 probe rows to a
 * vector, so no sum waits on another.
 */
#define MS_PROBE_BLOCK_ROWS 4
void ms_probe_rows_pair(const double *xd, size_t k, size_t in, size_t nr,
                        const float *const *w1, const float *const *w2, size_t out, size_t r,
                        float *y1, float *y2);

/*
 * y[j * ldy + r] = (x w^T)[j][r] for a block of nb rows of w, with OpenBLAS
 * on one thread (k is tiny: more threads only spin).
 */
void ms_probe_blas_block(const float *x, size_t k, size_t in, const float *w, size_t nb,
                         float *y, size_t ldy);

/* y = x w^T with OpenBLAS (k x out), for verification. */
void ms_probe_blas(const float *x, size_t k, size_t in, const float *w, size_t out, float *y);

/* ||a - b|| / ||b|| in double (0 when both are zero, +inf when only b is zero). */
double ms_probe_rel_error(const float *a, const float *b, size_t n);

/* 10 log10(sum b^2 / sum (a-b)^2): output SQNR of a against reference b. */
double ms_probe_sqnr(const float *a, const float *b, size_t n);

#endif
