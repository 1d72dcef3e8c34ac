/*
 * Quantization schemes, one row at a time.  Rows are independent, so callers
 * split a tensor's rows over threads and get the same bytes whatever the
 * thread count.  The ggml block formats are bit-exact with ggml's reference
 * (no importance matrix) quantizers; docs/compression.md specifies every
 * layout.  This file and its .c files are compiled with -ffp-contract=off.
 */
#ifndef MS_COMPRESS_QUANT_H
#define MS_COMPRESS_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/safetensors.h"

typedef enum ms_scheme {
    MS_SCHEME_NONE = 0, /* stored in its input dtype, untouched */
    MS_SCHEME_F16,
    MS_SCHEME_BF16,
    MS_SCHEME_INT8,     /* per row (output channel), symmetric, one F32 scale per row */
    MS_SCHEME_Q8_0,
    MS_SCHEME_Q4_0,
    MS_SCHEME_Q4_K,
    MS_SCHEME_Q6_K,
    MS_SCHEME_COUNT
} ms_scheme;

/* "none", "f16", "bf16", "int8", "q8_0", "q4_0", "q4_k", "q6_k". */
const char *ms_scheme_name(ms_scheme s);
/* Parse a name (lower case as above; "q4_K"/"q6_K" accepted too).  0 or -1. */
int ms_scheme_parse(const char *name, ms_scheme *out);
/* Values per block: 1 for none/f16/bf16/int8, 32 for q8_0/q4_0, 256 for q4_k/q6_k. */
size_t ms_scheme_block(ms_scheme s);
/* Bytes of one stored row of n values (n a multiple of the block), scales excluded for int8.
 * none: 4 * n, as if stored as F32 (the caller stores none tensors in their own dtype). */
size_t ms_scheme_row_bytes(ms_scheme s, size_t n);
/* dtype of the stored tensor: F16, BF16, I8, or U8 (raw ggml blocks).  NONE (not
 * applicable) and invalid values: MS_DTYPE_COUNT. */
ms_dtype ms_scheme_storage_dtype(ms_scheme s);
/* Bits per weight including scales, for rows of n values: q8_0 8.5, q4_0 4.5,
 * q4_k 4.5, q6_k 6.5625, f16/bf16 16, int8 8 + 32/n (the F32 row scale; 8 for
 * n == 0), none 32 (the F32 case; the caller accounts for none tensors kept in
 * another dtype itself).  0 for an invalid scheme. */
double ms_scheme_bits_per_weight(ms_scheme s, size_t n);
/* 1 when the scheme needs finite input (every scheme but none, f16 and bf16). */
int ms_scheme_needs_finite(ms_scheme s);

/*
 * Quantize one row of n floats (none: copies the n floats, 4 * n bytes).  For
 * int8, *scale receives the row's scale (else it is untouched and may be
 * NULL).  n must be a multiple of the block.
 * Input must be finite when ms_scheme_needs_finite(); behaviour on f32
 * subnormal-only blocks is defined (codes 0), never undefined.
 */
void ms_quantize_row(ms_scheme s, const float *x, size_t n, void *out, float *scale);
/* Inverse: n floats from one stored row (scale used by int8 only). */
void ms_dequantize_row(ms_scheme s, const void *q, size_t n, float scale, float *y);

/*
 * Exact definitions (docs/compression.md has the layouts):
 *
 * f16, bf16  round to nearest, ties to even; f16 subnormals are produced and
 *            kept; values of magnitude >= 65520 (past the f16 maximum 65504 by
 *            half an ulp or more) become +-Inf; Inf stays Inf; NaN becomes a
 *            quiet NaN of the same sign keeping the top payload bits (f16: bit 9
 *            set, payload bits 22..13 of the f32; bf16: bit 6 set, bits 22..16).
 *            So every f16/bf16 pattern survives f16->f32->f16 except the
 *            signalling NaNs, which come back with the quiet bit set.
 * int8       per row: amax = max |x|, scale = amax / 127.0f (float division);
 *            scale == 0 (all-zero row, or amax so small that amax/127
 *            underflows) gives codes 0 and scale 0; otherwise
 *            q = clamp(round_half_away_from_zero(x / scale), -127, 127),
 *            x / scale computed in float; dequantized value q * scale.
 * q8_0, q4_0, q4_k, q6_k
 *            ggml's reference quantizers without importance matrix, byte for
 *            byte (ggml commit d99724f2b141fed9e1a9f402213506c081433465, built
 *            without FMA contraction).  Where the reference is undefined
 *            (q8_0/q4_0 blocks of f32 subnormals, whose reciprocal scale
 *            overflows) the codes are 0, which is what its x86-64 build wrote.
 *            The dequantizers reproduce ggml's to_float bit for bit (signed
 *            zeros included): q8_0 q*d, q4_0 (c-8)*d,
 *            q4_k (d*sc)*c - (dmin*m), q6_k (d*sc)*c, each product rounded
 *            to float separately.
 * Non-finite input to a scheme with ms_scheme_needs_finite() gives
 * unspecified bytes, never undefined behaviour.
 */

/* IEEE binary16 / bfloat16 conversions, round to nearest even; NaN stays NaN (quiet),
 * infinities stay infinite, values past the f16 range become infinite. */
uint16_t ms_f32_to_f16(float f);
float ms_f16_to_f32(uint16_t h);
uint16_t ms_f32_to_bf16(float f);
float ms_bf16_to_f32(uint16_t h);

/* Convert n values of dtype F32, F16, BF16 or F64 to float; -1 for other dtypes. */
int ms_to_f32(ms_dtype dtype, const void *src, size_t n, float *dst);

/*
 * Internal: the per-scheme row kernels behind ms_quantize_row and
 * ms_dequantize_row (quant_float.c, quant_ggml.c).  n is a multiple of the
 * block; stored rows need no alignment (all multi-byte fields little-endian).
 */
void ms_quant_f16_row(const float *x, size_t n, void *out);
void ms_quant_bf16_row(const float *x, size_t n, void *out);
float ms_quant_int8_row(const float *x, size_t n, void *out); /* returns the scale */
void ms_quant_q8_0_row(const float *x, size_t n, void *out);
void ms_quant_q4_0_row(const float *x, size_t n, void *out);
void ms_quant_q4_k_row(const float *x, size_t n, void *out);
void ms_quant_q6_k_row(const float *x, size_t n, void *out);
void ms_dequant_f16_row(const void *q, size_t n, float *y);
void ms_dequant_bf16_row(const void *q, size_t n, float *y);
void ms_dequant_int8_row(const void *q, size_t n, float scale, float *y);
void ms_dequant_q8_0_row(const void *q, size_t n, float *y);
void ms_dequant_q4_0_row(const void *q, size_t n, float *y);
void ms_dequant_q4_k_row(const void *q, size_t n, float *y);
void ms_dequant_q6_k_row(const void *q, size_t n, float *y);
/* a * b + c compiled like the quantizers: two roundings, unless multiply-add
 * contraction were (wrongly) on and fused it; the unit test checks. */
float ms_quant_contract_probe(float a, float b, float c);

#endif
