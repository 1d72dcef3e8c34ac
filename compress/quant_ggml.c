/*
 * The ggml block formats q8_0, q4_0, q4_k and q6_k, written from the format
 * description in docs/compression.md and the published description of
 * ggml's reference (no importance matrix) quantizers.  The output is byte
 * for byte what ggml commit d99724f2 writes when built without FMA
 * contraction, so every float operation below happens in the reference's
 * order, with its rounding, and this file is compiled with
 * -ffp-contract=off (a fused multiply-add would change q4_k and q6_k).
 *
 * Speed: the K-quant scale searches are run for all sub-blocks of a
 * super-block at once, one sub-block per vector lane (8 lanes; q6_k's 16
 * sub-blocks in two groups of 8).  Each lane still accumulates its sums in
 * the reference's element order, so the results are unchanged, but the
 * sums stay in vector registers (see "Lanes" below).
 */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "compress/half.h"
#include "compress/quant.h"
#include "compress/simd.h"

#include <float.h>
#include <math.h>
#include <string.h>
#ifdef MS_X86_KERNELS
#include <immintrin.h>
#endif

#define QK 32   /* q8_0 / q4_0 block */
#define QK_K 256 /* q4_k / q6_k super-block */
#define Q8_0_BYTES 34
#define Q4_0_BYTES 18
#define Q4_K_BYTES 144
#define Q6_K_BYTES 210

/* 1.5 * 2^23: for |v| < 2^22, v + ROUND_MAGIC has an ulp of 1, so the addition
 * rounds v to an integer (nearest, ties to even) held in the low mantissa bits. */
#define ROUND_MAGIC 12582912.0f

static inline uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void put_f16(uint8_t *p, float f)
{
    uint16_t h = f32_to_f16(f);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

static inline float get_f16(const uint8_t *p)
{
    return f16_to_f32((uint16_t)(p[0] | p[1] << 8));
}

/*
 * The reference's rounding helper: add 1.5 * 2^23 and read the low mantissa
 * bits back.  For |f| <= 4194303 that is round to nearest, ties to even.
 * Outside that range the reference only has a debug assertion; its release
 * build returns what the same bit arithmetic gives, which is reproduced here
 * without any float-to-int conversion: +-Inf gives -4194304 (q4_k rows of
 * f32 subnormals get there: tests/compress/vectors/README.md, caveat 3), and NaN is defined as 0, the
 * value for the default NaN that IEEE hardware produces (x86 and Arm alike).
 */
static inline int nearest_int(float f)
{
    /* branch-free, NaN masked with integer arithmetic: loops using it then
     * vectorize (gcc will not if-convert a select on it here) */
    uint32_t u = f2u(f + ROUND_MAGIC);
    int l = (int)(u & 0x007fffffu) - 0x00400000;
    int not_nan = (f2u(f) & 0x7fffffffu) <= 0x7f800000u;
    return l & -not_nan;
}

/* |x| as bits orders like |x| (non-NaN), and an integer max vectorizes. */
static inline uint32_t abs_bits_max(const float *restrict x, int n)
{
    uint32_t m = 0;
    for (int j = 0; j < n; j++) {
        uint32_t a = f2u(x[j]) & 0x7fffffffu;
        m = a > m ? a : m;
    }
    return m;
}

/* ------------------------------------------------------------------ q8_0 */

/*
 * d = amax / 127, id = 1/d (0 when d == 0), q = roundf(x * id): round half
 * away from zero, done as truncation plus a correction (|x * id| <= 127).
 */
/* One q8_0 block, as the reference does it: the rare cases and the tail. */
static inline void q8_0_block(const float *restrict x, uint8_t *restrict o)
{
    uint32_t amax_bits = abs_bits_max(x, QK);
    float d = u2f(amax_bits) / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    put_f16(o, d);
    int8_t *restrict qs = (int8_t *)(o + 2);
    /* f32-subnormal blocks: 1/d overflows and the reference's codes are
     * undefined; codes 0 (what its x86-64 build wrote).  Non-finite
     * input (outside the contract) also gets codes 0. */
    if (!(id <= FLT_MAX) || amax_bits >= 0x7f800000u) {
        memset(qs, 0, QK);
        return;
    }
    /* |x * id| <= amax * id <= 127 * (1 + 2^-21) here (a subnormal d
     * that still has a finite reciprocal is at least 2^-128, so its
     * rounding error is tiny too): the conversion is defined and the
     * result within [-127, 127] */
    for (int j = 0; j < QK; j++) {
        float v = x[j] * id;
        int t = (int)v;
        float r = v - (float)t; /* exact */
        t += (r >= 0.5f) - (r <= -0.5f);
        qs[j] = (int8_t)t;
    }
}

#ifdef MS_X86_KERNELS

/*
 * A block of 32 values for the x86 kernels: the values (v), their bit
 * patterns without the sign (a), and the largest of those, which is
 * abs_bits_max's result.
 */
MS_TARGET_X86 static inline uint32_t block_abs_max_x86(const float *restrict x, __m256 v[4],
                                                       __m256i a[4])
{
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
    __m256i m = _mm256_setzero_si256();
    for (int c = 0; c < 4; c++) {
        v[c] = _mm256_loadu_ps(x + 8 * c);
        a[c] = _mm256_and_si256(_mm256_castps_si256(v[c]), abs_mask);
        m = _mm256_max_epu32(m, a[c]);
    }
    __m128i h = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(h);
}

/* put_f16 with the hardware's conversion (round to nearest even, like f32_to_f16). */
MS_TARGET_X86 static inline void put_f16_x86(uint8_t *p, float f)
{
    uint16_t h = (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), 0), 0);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

/*
 * q8_0 with AVX2 and F16C (compress/simd.h), block by block, the same float operations as
 * q8_0_block, so the same bytes:
 *   - the maximum of |x| is taken on the bits, as abs_bits_max does;
 *   - d = amax / 127 and 1/d are scalar divisions, d's binary16 is the
 *     hardware's round-to-nearest-even conversion, which is f32_to_f16's;
 *   - roundf(v) for |v| <= 127 is trunc(v + copysign(0.5 - 2^-25, v)):
 *     the addition rounds up to the next integer exactly when the fraction
 *     of |v| is at least one half (0.5 - 2^-25 is the float just below a
 *     half; |v| below a half stays below 1, and a fraction just below a
 *     half stays below the next integer, whatever the binade);
 *   - the 32 codes are packed with saturation (they are within [-127, 127]
 *     already) and put back in order.
 * A block of the special case goes through q8_0_block.
 */
MS_TARGET_X86 static void q8_0_row_x86(const float *restrict x, size_t nb, uint8_t *restrict o)
{
    const __m256 sign_mask = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
    const __m256 half = _mm256_set1_ps(0x1.fffffep-2f); /* 0.5 - 2^-25 */
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (size_t b = 0; b < nb; b++, x += QK, o += Q8_0_BYTES) {
        __m256 v[4];
        __m256i a[4];
        uint32_t amax_bits = block_abs_max_x86(x, v, a);
        float d = u2f(amax_bits) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        if (!(id <= FLT_MAX) || amax_bits >= 0x7f800000u) {
            q8_0_block(x, o);
            continue;
        }
        put_f16_x86(o, d);
        const __m256 idv = _mm256_set1_ps(id);
        __m256i q[4];
        for (int c = 0; c < 4; c++) {
            __m256 t = _mm256_mul_ps(v[c], idv);
            __m256 r = _mm256_or_ps(_mm256_and_ps(t, sign_mask), half);
            q[c] = _mm256_cvttps_epi32(_mm256_add_ps(t, r));
        }
        __m256i w01 = _mm256_packs_epi32(q[0], q[1]); /* in-lane: q0 0-3, q1 0-3 | q0 4-7, q1 4-7 */
        __m256i w23 = _mm256_packs_epi32(q[2], q[3]);
        __m256i bytes = _mm256_packs_epi16(w01, w23); /* groups of 4: q0 q1 q2 q3 | q0 q1 q2 q3 */
        bytes = _mm256_permutevar8x32_epi32(bytes, order);
        _mm256_storeu_si256((__m256i *)(void *)(o + 2), bytes);
    }
}
#endif

void ms_quant_q8_0_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
#ifdef MS_X86_KERNELS
    if (ms_x86_kernels()) {
        q8_0_row_x86(x, n / QK, o);
        return;
    }
#endif
    for (size_t b = 0; b < n / QK; b++, x += QK, o += Q8_0_BYTES)
        q8_0_block(x, o);
}

MS_CLONES
void ms_dequant_q8_0_row(const void *q, size_t n, float *restrict y)
{
    const uint8_t *restrict p = q;
    for (size_t b = 0; b < n / QK; b++, p += Q8_0_BYTES, y += QK) {
        float d = get_f16(p);
        const int8_t *restrict qs = (const int8_t *)(p + 2);
        for (int j = 0; j < QK; j++)
            y[j] = (float)qs[j] * d;
    }
}

/* ------------------------------------------------------------------ q4_0 */

/*
 * max = the first value of largest magnitude (with its sign), d = max / -8,
 * id = 1/d (0 when d == 0), code = min(15, trunc(x * id + 8.5)); value j in
 * the low nibble of byte j, value j + 16 in its high nibble.
 */
static inline void q4_0_block(const float *restrict x, uint8_t *restrict o)
{
    uint32_t amax_bits = abs_bits_max(x, QK);
    float max = 0.0f;
    if (amax_bits != 0) {
        int j = 0;
        while ((f2u(x[j]) & 0x7fffffffu) != amax_bits)
            j++;
        max = x[j];
    }
    float d = max / -8.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    put_f16(o, d);
    uint8_t *restrict qs = o + 2;
    if (!(fabsf(id) <= FLT_MAX) || amax_bits >= 0x7f800000u) {
        memset(qs, 0, QK / 2); /* as for q8_0 */
        return;
    }
    /* x * id lies within -8 * (1 +- 2^-21), so t is in [0.49, 16.51]
     * and the truncation defined */
    for (int j = 0; j < QK / 2; j++) {
        int c0 = (int)(x[j] * id + 8.5f);
        int c1 = (int)(x[j + QK / 2] * id + 8.5f);
        c0 = c0 < 15 ? c0 : 15;
        c1 = c1 < 15 ? c1 : 15;
        qs[j] = (uint8_t)(c0 | c1 << 4);
    }
}

#ifdef MS_X86_KERNELS
/*
 * q4_0 with AVX2 and F16C, block by block, the same float operations as
 * q4_0_block: the maximum of |x| on the bits, the first value with that
 * magnitude found with a mask of equal lanes, scalar divisions, the
 * hardware's round-to-nearest-even binary16, then x * id + 8.5 (a multiply
 * and an add, rounded separately), truncation and the clamp to 15 on 8
 * lanes at a time.  A block of the special case goes through q4_0_block.
 */
MS_TARGET_X86 static void q4_0_row_x86(const float *restrict x, size_t nb, uint8_t *restrict o)
{
    const __m256 half8 = _mm256_set1_ps(8.5f);
    const __m256i fifteen = _mm256_set1_epi32(15);
    for (size_t b = 0; b < nb; b++, x += QK, o += Q4_0_BYTES) {
        __m256 v[4];
        __m256i a[4];
        uint32_t amax_bits = block_abs_max_x86(x, v, a);
        if (amax_bits >= 0x7f800000u) {
            q4_0_block(x, o);
            continue;
        }
        float max = 0.0f;
        if (amax_bits != 0) {
            __m256i am = _mm256_set1_epi32((int)amax_bits);
            uint32_t eq = 0;
            for (int c = 0; c < 4; c++)
                eq |= (uint32_t)_mm256_movemask_ps(
                          _mm256_castsi256_ps(_mm256_cmpeq_epi32(a[c], am)))
                      << (8 * c);
            max = x[__builtin_ctz(eq)];
        }
        float d = max / -8.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        if (!(fabsf(id) <= FLT_MAX)) {
            q4_0_block(x, o);
            continue;
        }
        put_f16_x86(o, d);
        const __m256 idv = _mm256_set1_ps(id);
        __m256i t[4];
        for (int c = 0; c < 4; c++) {
            __m256 u = _mm256_add_ps(_mm256_mul_ps(v[c], idv), half8);
            t[c] = _mm256_min_epi32(_mm256_cvttps_epi32(u), fifteen);
        }
        /* byte j: value j low, value j + 16 high */
        __m256i b0 = _mm256_or_si256(t[0], _mm256_slli_epi32(t[2], 4)); /* j 0-7 */
        __m256i b1 = _mm256_or_si256(t[1], _mm256_slli_epi32(t[3], 4)); /* j 8-15 */
        __m128i w0 = _mm_packus_epi32(_mm256_castsi256_si128(b0), _mm256_extracti128_si256(b0, 1));
        __m128i w1 = _mm_packus_epi32(_mm256_castsi256_si128(b1), _mm256_extracti128_si256(b1, 1));
        _mm_storeu_si128((__m128i *)(void *)(o + 2), _mm_packus_epi16(w0, w1));
    }
}
#endif

void ms_quant_q4_0_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
#ifdef MS_X86_KERNELS
    if (ms_x86_kernels()) {
        q4_0_row_x86(x, n / QK, o);
        return;
    }
#endif
    for (size_t b = 0; b < n / QK; b++, x += QK, o += Q4_0_BYTES)
        q4_0_block(x, o);
}

void ms_dequant_q4_0_row(const void *q, size_t n, float *restrict y)
{
    const uint8_t *restrict p = q;
    for (size_t b = 0; b < n / QK; b++, p += Q4_0_BYTES, y += QK) {
        float d = get_f16(p);
        const uint8_t *restrict qs = p + 2;
        for (int j = 0; j < QK / 2; j++) {
            y[j] = (float)((qs[j] & 0x0f) - 8) * d;
            y[j + QK / 2] = (float)((qs[j] >> 4) - 8) * d;
        }
    }
}

/* ------------------------------------------------------------------ q4_k */

/*
 * Lanes (compress/simd.h).  The K-quant scale searches run all sub-blocks
 * of a super-block at once, one sub-block per lane of a vector of 8 floats
 * (q6_k's 16 sub-blocks in two groups of 8: gcc splits wider vectors into
 * scalar code without AVX-512).  Every lane performs exactly the
 * reference's scalar operations in the reference's order, so the bytes are
 * unchanged; the vector types only keep gcc from falling back to scalar
 * sums with lane shuffles.  Selects are bit masks (vector comparisons give
 * -1 or 0 per lane), so no lane's choice depends on another's.
 */
typedef ms_v8f v8f;
typedef ms_v8i v8i;
#define ALWAYS_INLINE MS_ALWAYS_INLINE

/* Per lane: m ? a : b, m being -1 or 0 (arguments without side effects). */
#define SEL8(m, a, b) ((v8f)(((v8i)(a) & (m)) | ((v8i)(b) & ~(m))))

/* nearest_int and then clamp_int to [lo, hi], per lane, as a float. */
static ALWAYS_INLINE void code8(v8f *out, const v8f *f, int lo, int hi)
{
    v8i u = (v8i)(*f + ROUND_MAGIC);
    v8i l = (u & 0x007fffff) - 0x00400000;
    l &= ((v8i)*f & 0x7fffffff) <= 0x7f800000;
    v8i mlo = l < lo, mhi = l > hi;
    l = (l & ~mlo) | (lo & mlo);
    l = (l & ~mhi) | (hi & mhi);
    *out = __builtin_convertvector(l, v8f);
}

/* iscale numerator of search step is: rmin + rdelta * is + nmax, in float. */
static inline float q4k_step_num(int is)
{
    return (-1.0f + 0.1f * (float)is) + 15.0f;
}

static inline int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/*
 * For the 8 sub-blocks of 32 values (lane j = sub-block j, xt[i][j] = its
 * value i, wt the weights): the weighted min/scale fit of ggml's
 * make_qkx2_quants with nmax 15, rmin -1, rdelta 0.1, 20 steps, squared
 * error.  Per sub-block:
 *   min = min(0, min x), max = max x; max == min: codes 0, scale 0;
 *   start with iscale = 15 / (max - min), scale = 1 / iscale,
 *     codes l = clamp(nearest(iscale * (x - min)), 0, 15),
 *     error = sum w * (scale * l + min - x)^2;
 *   for is = 0..20: iscale = (-1 + 0.1 is + 15) / (max - min), codes as
 *     above, a weighted least-squares (scale, min) for those codes (min
 *     forced to 0 if positive, scale then sum w l x / sum w l^2); taken if
 *     its error is strictly smaller -- and then, as in the reference, min
 *     is that fitted min in the following steps' iscale and codes.
 * Returns the scales and the negated mins, and the codes in L[32 j + i].
 * Rounding is nearest_int itself, so even the reference's odd results for
 * arguments past 2^22 (an infinite iscale, a fitted min far off) carry over.
 */
static ALWAYS_INLINE void q4k_search(const v8f xt[32], const v8f wt[32], float scale_out[8],
                                     float min_out[8], uint8_t L[QK_K])
{
    const v8f zero = {0}, one = zero + 1.0f;
    v8f mn = xt[0], mx = xt[0], sum_w = wt[0], sum_x = wt[0] * xt[0];
    for (int i = 1; i < 32; i++) {
        v8f x = xt[i];
        mn = SEL8(x < mn, x, mn);
        mx = SEL8(x > mx, x, mx);
        sum_w += wt[i];
        sum_x += wt[i] * x;
    }
    mn = SEL8(mn > 0.0f, zero, mn);
    /* flat lanes: results discarded, a range of 1 keeps them tame */
    v8i flat = mx == mn;
    v8f range = mx - mn;
    range = SEL8(flat, one, range);
    /* cur_min: the min the next step uses; best_isc/best_off: how the
     * winning codes were made (codes = nearest(best_isc * (x - best_off))) */
    v8f best_isc = 15.0f / range;
    v8f scale0 = 1.0f / best_isc;
    v8f best_off = mn, cur_min = mn, best_err = zero, best_scale = scale0;
    for (int i = 0; i < 32; i++) {
        v8f a = best_isc * (xt[i] - mn), l;
        code8(&l, &a, 0, 15);
        v8f diff = scale0 * l + mn - xt[i];
        best_err += wt[i] * (diff * diff);
    }

    for (int is = 0; is <= 20; is++) {
        float num = q4k_step_num(is);
        v8f la[32];
        range = mx - cur_min;
        range = SEL8(flat, one, range);
        v8f iscale = num / range;
        v8f sum_l = zero, sum_l2 = zero, sum_xl = zero;
        for (int i = 0; i < 32; i++) {
            v8f a = iscale * (xt[i] - cur_min), l;
            code8(&l, &a, 0, 15);
            la[i] = l;
            v8f wl = wt[i] * l;
            sum_l += wl;
            sum_l2 += wl * l;
            sum_xl += wl * xt[i];
        }
        v8f D = sum_w * sum_l2 - sum_l * sum_l;
        v8i ok = D > 0.0f;
        v8f s = (sum_w * sum_xl - sum_x * sum_l) / D;
        v8f m = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        v8i mpos = m > 0.0f;
        v8f s0 = sum_xl / sum_l2; /* used only where m > 0, as in the reference */
        m = SEL8(mpos, zero, m);
        s = SEL8(mpos, s0, s);
        v8f err = zero;
        for (int i = 0; i < 32; i++) {
            v8f diff = s * la[i] + m - xt[i];
            err += wt[i] * (diff * diff);
        }
        v8i take = ok & (err < best_err);
        best_err = SEL8(take, err, best_err);
        best_scale = SEL8(take, s, best_scale);
        best_isc = SEL8(take, iscale, best_isc);
        best_off = SEL8(take, cur_min, best_off);
        cur_min = SEL8(take, m, cur_min);
    }

    v8f lv[32];
    for (int i = 0; i < 32; i++) {
        v8f a = best_isc * (xt[i] - best_off);
        code8(&lv[i], &a, 0, 15);
    }
    for (int j = 0; j < 8; j++) {
        uint8_t *restrict lj = L + 32 * j;
        if (flat[j]) {
            memset(lj, 0, 32);
            scale_out[j] = 0.0f;
            min_out[j] = -mn[j];
            continue;
        }
        for (int i = 0; i < 32; i++)
            lj[i] = (uint8_t)lv[i][j];
        scale_out[j] = best_scale[j];
        min_out[j] = -cur_min[j];
    }
}

/*
 * One q4_k super-block: weights w = sqrt(sum x^2 / 32) + |x| per sub-block,
 * the search above, then the sub-block scales and mins quantized to 6 bits
 * against their maxima (d = max_scale / 63, dmin = max_min / 63 in fp16), and
 * the codes recomputed against the quantized values:
 * clamp(nearest((x + dmin * m) / (d * sc)), 0, 15), except where d * sc == 0.
 */
static ALWAYS_INLINE void q4k_block(const float *restrict x, uint8_t *restrict y)
{
    v8f xt[32], wt[32];
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 8; j++)
            xt[i][j] = x[32 * j + i];
    v8f sum_x2 = {0};
    for (int i = 0; i < 32; i++)
        sum_x2 += xt[i] * xt[i];
    v8f av_x = {0};
    for (int j = 0; j < 8; j++)
        av_x[j] = sqrtf(sum_x2[j] / 32.0f);
    for (int i = 0; i < 32; i++)
        wt[i] = av_x + (v8f)((v8i)xt[i] & 0x7fffffff); /* fabsf */

    float scales[8], mins[8];
    uint8_t L[QK_K];
    q4k_search(xt, wt, scales, mins, L);

    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; j++) {
        if (scales[j] > max_scale)
            max_scale = scales[j];
        if (mins[j] > max_min)
            max_min = mins[j];
    }
    float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
    float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    uint8_t ls[8], lm[8];
    uint8_t *restrict sc = y + 4;
    for (int j = 0; j < 8; j++) {
        /* the reference stores the int in a uint8_t: modulo 256 */
        uint8_t a = (uint8_t)nearest_int(inv_scale * scales[j]);
        uint8_t m = (uint8_t)nearest_int(inv_min * mins[j]);
        ls[j] = a < 63 ? a : 63;
        lm[j] = m < 63 ? m : 63;
    }
    for (int j = 0; j < 4; j++) {
        sc[j] = (uint8_t)(ls[j] | (ls[j + 4] >> 4) << 6);
        sc[j + 4] = (uint8_t)(lm[j] | (lm[j + 4] >> 4) << 6);
        sc[j + 8] = (uint8_t)((ls[j + 4] & 0x0f) | (lm[j + 4] & 0x0f) << 4);
    }
    put_f16(y, max_scale / 63.0f);
    put_f16(y + 2, max_min / 63.0f);

    float d_all = get_f16(y), dmin_all = get_f16(y + 2);
    for (int j = 0; j < 8; j++) {
        float d = d_all * (float)ls[j];
        if (d == 0.0f)
            continue; /* keep the search's codes */
        float dm = dmin_all * (float)lm[j];
        const float *restrict xj = x + 32 * j;
        uint8_t *restrict lj = L + 32 * j;
        for (int i = 0; i < 32; i++) {
            int l = nearest_int((xj[i] + dm) / d);
            l = clamp_int(l, 0, 15);
            lj[i] = (uint8_t)l;
        }
    }

    uint8_t *restrict qs = y + 16;
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++)
            qs[32 * c + l] = (uint8_t)(L[64 * c + l] | L[64 * c + 32 + l] << 4);
}

MS_CLONES
void ms_quant_q4_k_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
    for (size_t b = 0; b < n / QK_K; b++)
        q4k_block(x + b * QK_K, o + b * Q4_K_BYTES);
}

/* The 6-bit scale and min of sub-block j from the packed 12 bytes. */
static inline void q4k_scale_min(const uint8_t *restrict s, int j, int *sc, int *m)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0x0f) | (s[j - 4] >> 6) << 4;
        *m = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

MS_CLONES
void ms_dequant_q4_k_row(const void *q, size_t n, float *restrict y)
{
    const uint8_t *restrict p = q;
    for (size_t b = 0; b < n / QK_K; b++, p += Q4_K_BYTES, y += QK_K) {
        float d = get_f16(p), dmin = get_f16(p + 2);
        const uint8_t *restrict qs = p + 16;
        for (int c = 0; c < 4; c++) {
            int sc1, m1, sc2, m2;
            q4k_scale_min(p + 4, 2 * c, &sc1, &m1);
            q4k_scale_min(p + 4, 2 * c + 1, &sc2, &m2);
            float d1 = d * (float)sc1, mm1 = dmin * (float)m1;
            float d2 = d * (float)sc2, mm2 = dmin * (float)m2;
            float *restrict yc = y + 64 * c;
            for (int l = 0; l < 32; l++) {
                yc[l] = d1 * (float)(qs[32 * c + l] & 0x0f) - mm1;
                yc[32 + l] = d2 * (float)(qs[32 * c + l] >> 4) - mm2;
            }
        }
    }
}

/* ------------------------------------------------------------------ q6_k */

static inline float q6k_step_num(int is)
{
    return -(32.0f + 0.1f * (float)is);
}

/*
 * ggml's make_qx_quants with nmax 32 and weights x^2, for the 16 sub-blocks
 * of 16 values (lane j = sub-block j, xt[i][j] = its value i):
 *   max = the first value of largest magnitude; |max| < 1e-15: codes 0
 *     (stored as 0, not 32), scale 0;
 *   iscale = -32 / max, l = clamp(nearest(iscale x), -32, 31),
 *   scale = sum w x l / sum w l^2 (0 if the denominator is 0),
 *   best = scale * sum w x l;
 *   for is = -9..9 except 0: iscale = -(32 + 0.1 is) / max, sums as above,
 *     taken when sum w l^2 > 0 and (sum w x l)^2 > best * sum w l^2.
 * Codes l + 32 go to L[16 j + i].
 */
static ALWAYS_INLINE void q6k_search(const v8f xt[16], float scale_out[8], uint8_t L[128])
{
    const v8f fzero = {0};
    v8f amax = fzero, max = fzero;
    for (int i = 0; i < 16; i++) {
        v8f x = xt[i], ax = (v8f)((v8i)x & 0x7fffffff); /* fabsf */
        v8i gt = ax > amax;
        amax = SEL8(gt, ax, amax);
        max = SEL8(gt, x, max);
    }
    v8i zero = amax < 1e-15f;
    const v8f one = fzero + 1.0f;
    max = SEL8(zero, one, max); /* results discarded; keeps the lane's arithmetic tame */
    v8f iscale0 = -32.0f / max;
    v8f wt[16], wx[16];
    for (int i = 0; i < 16; i++) {
        wt[i] = xt[i] * xt[i];
        wx[i] = wt[i] * xt[i];
    }
    v8f sumlx = fzero, suml2 = fzero;
    for (int i = 0; i < 16; i++) {
        v8f a = iscale0 * xt[i], l;
        code8(&l, &a, -32, 31);
        sumlx += wx[i] * l;
        suml2 += (wt[i] * l) * l;
    }
    v8f scale = sumlx / suml2;
    scale = SEL8(suml2 != 0.0f, scale, fzero);
    v8f best = scale * sumlx;
    v8f best_isc = iscale0; /* the iscale of the best step so far */
    for (int is = -9; is <= 9; is++) {
        if (is == 0)
            continue;
        float num = q6k_step_num(is);
        v8f iscale = num / max;
        v8f slx = fzero, sl2 = fzero;
        for (int i = 0; i < 16; i++) {
            v8f a = iscale * xt[i], l;
            code8(&l, &a, -32, 31);
            slx += wx[i] * l;
            sl2 += (wt[i] * l) * l;
        }
        v8i take = (sl2 > 0.0f) & (slx * slx > best * sl2);
        v8f s = slx / sl2;
        v8f b = s * slx;
        scale = SEL8(take, s, scale);
        best = SEL8(take, b, best);
        best_isc = SEL8(take, iscale, best_isc);
    }
    v8f lv[16];
    for (int i = 0; i < 16; i++) {
        v8f a = best_isc * xt[i];
        code8(&lv[i], &a, -32, 31);
    }
    for (int j = 0; j < 8; j++) {
        uint8_t *restrict lj = L + 16 * j;
        if (zero[j]) {
            memset(lj, 0, 16);
            scale_out[j] = 0.0f;
            continue;
        }
        for (int i = 0; i < 16; i++)
            lj[i] = (uint8_t)(32 + (int)lv[i][j]);
        scale_out[j] = scale[j];
    }
}

/*
 * One q6_k super-block: the search above per sub-block of 16; the scale of
 * largest magnitude (first one wins) sets iscale = -128 / max_scale and
 * d = 1 / iscale in fp16; sub-block scales min(127, nearest(iscale * s))
 * as int8; codes recomputed as clamp(nearest(x / (d * sc)), -32, 31) + 32
 * except where d * sc == 0.  All scales below 1e-15: an all-zero block.
 */
static ALWAYS_INLINE void q6k_block(const float *restrict x, uint8_t *restrict y)
{
    /* two groups of 8 sub-blocks, 8 lanes each */
    v8f xt[2][16];
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 8; j++)
                xt[h][i][j] = x[16 * (8 * h + j) + i];
    float scales[16];
    uint8_t L[QK_K];
    q6k_search(xt[0], scales, L);
    q6k_search(xt[1], scales + 8, L + 128);

    float max_scale = 0.0f, max_abs_scale = 0.0f;
    for (int j = 0; j < 16; j++) {
        float a = fabsf(scales[j]);
        if (a > max_abs_scale) {
            max_abs_scale = a;
            max_scale = scales[j];
        }
    }
    if (max_abs_scale < 1e-15f) {
        memset(y, 0, Q6_K_BYTES);
        return;
    }
    float iscale = -128.0f / max_scale;
    uint8_t *restrict ql = y, *restrict qh = y + 128;
    int8_t *restrict sc = (int8_t *)(y + 192);
    put_f16(y + 208, 1.0f / iscale);
    for (int j = 0; j < 16; j++) {
        int v = nearest_int(iscale * scales[j]);
        v = clamp_int(v, -128, 127); /* never below -128 anyway */
        sc[j] = (int8_t)v;
    }
    float d_all = get_f16(y + 208);
    for (int j = 0; j < 16; j++) {
        float d = d_all * (float)sc[j];
        if (d == 0.0f)
            continue; /* keep the search's codes */
        const float *restrict xj = x + 16 * j;
        uint8_t *restrict lj = L + 16 * j;
        for (int i = 0; i < 16; i++) {
            int l = nearest_int(xj[i] / d);
            l = clamp_int(l, -32, 31);
            lj[i] = (uint8_t)(l + 32);
        }
    }
    for (int h = 0; h < 2; h++) {
        const uint8_t *restrict Lh = L + 128 * h;
        uint8_t *restrict qlh = ql + 64 * h, *restrict qhh = qh + 32 * h;
        for (int l = 0; l < 32; l++) {
            uint8_t a = Lh[l], b = Lh[l + 32], c = Lh[l + 64], e = Lh[l + 96];
            qlh[l] = (uint8_t)((a & 0x0f) | (c & 0x0f) << 4);
            qlh[l + 32] = (uint8_t)((b & 0x0f) | (e & 0x0f) << 4);
            qhh[l] = (uint8_t)((a >> 4) | (b >> 4) << 2 | (c >> 4) << 4 | (e >> 4) << 6);
        }
    }
}

MS_CLONES
void ms_quant_q6_k_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
    for (size_t b = 0; b < n / QK_K; b++)
        q6k_block(x + b * QK_K, o + b * Q6_K_BYTES);
}

MS_CLONES
void ms_dequant_q6_k_row(const void *q, size_t n, float *restrict y)
{
    const uint8_t *restrict p = q;
    for (size_t b = 0; b < n / QK_K; b++, p += Q6_K_BYTES, y += QK_K) {
        float d = get_f16(p + 208);
        const int8_t *restrict sc = (const int8_t *)(p + 192);
        for (int h = 0; h < 2; h++) {
            const uint8_t *restrict ql = p + 64 * h, *restrict qh = p + 128 + 32 * h;
            float *restrict yh = y + 128 * h;
            const int8_t *restrict sh = sc + 8 * h;
            /* 16 values share a scale: halves of 16, so the loop vectorizes */
            for (int is = 0; is < 2; is++) {
                float s1 = d * (float)sh[is], s2 = d * (float)sh[is + 2];
                float s3 = d * (float)sh[is + 4], s4 = d * (float)sh[is + 6];
                for (int l = 16 * is; l < 16 * is + 16; l++) {
                    int c1 = ((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32;
                    int c2 = ((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32;
                    int c3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                    int c4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                    yh[l] = s1 * (float)c1;
                    yh[l + 32] = s2 * (float)c2;
                    yh[l + 64] = s3 * (float)c3;
                    yh[l + 96] = s4 * (float)c4;
                }
            }
        }
    }
}

float ms_quant_contract_probe(float a, float b, float c)
{
    return a * b + c;
}
