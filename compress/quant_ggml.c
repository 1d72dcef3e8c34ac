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
 * super-block at once, one sub-block per lane (8 lanes for q4_k, 16 for
 * q6_k).  Each lane still accumulates its sums in the reference's element
 * order, so the results are unchanged, but the loops vectorize.
 */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "compress/quant.h"

#include <float.h>
#include <math.h>
#include <string.h>

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
    uint16_t h = ms_f32_to_f16(f);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

static inline float get_f16(const uint8_t *p)
{
    return ms_f16_to_f32((uint16_t)(p[0] | p[1] << 8));
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
void ms_quant_q8_0_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
    for (size_t b = 0; b < n / QK; b++, x += QK, o += Q8_0_BYTES) {
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
            continue;
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
}

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
void ms_quant_q4_0_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
    for (size_t b = 0; b < n / QK; b++, x += QK, o += Q4_0_BYTES) {
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
            continue;
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
static void q4k_search(const float xt[32][8], const float wt[32][8], float scale_out[8],
                       float min_out[8], uint8_t L[QK_K])
{
    float mn[8], mx[8], sum_w[8], sum_x[8];
    for (int j = 0; j < 8; j++) {
        mn[j] = xt[0][j];
        mx[j] = xt[0][j];
        sum_w[j] = wt[0][j];
        sum_x[j] = wt[0][j] * xt[0][j];
    }
    for (int i = 1; i < 32; i++) {
        for (int j = 0; j < 8; j++) {
            /* selects on locals, stored unconditionally: a conditional
             * store would keep gcc from vectorizing */
            float x = xt[i][j], w = wt[i][j], lo = mn[j], hi = mx[j];
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            mn[j] = lo;
            mx[j] = hi;
            sum_w[j] += w;
            sum_x[j] += w * x;
        }
    }
    /* cur_min: the min the next step uses; best_isc/best_off: how the
     * winning codes were made (codes = nearest(best_isc * (x - best_off))) */
    float cur_min[8], scale0[8], best_err[8], best_scale[8], best_isc[8], best_off[8];
    int flat[8];
    for (int j = 0; j < 8; j++) {
        if (mn[j] > 0.0f)
            mn[j] = 0.0f;
        flat[j] = mx[j] == mn[j];
        /* flat lanes: results discarded, a range of 1 keeps them tame */
        float range = flat[j] ? 1.0f : mx[j] - mn[j];
        best_isc[j] = 15.0f / range;
        scale0[j] = 1.0f / best_isc[j];
        best_off[j] = mn[j];
        cur_min[j] = mn[j];
        best_err[j] = 0.0f;
        best_scale[j] = scale0[j];
    }
    for (int i = 0; i < 32; i++) {
        for (int j = 0; j < 8; j++) {
            int l = clamp_int(nearest_int(best_isc[j] * (xt[i][j] - mn[j])), 0, 15);
            float diff = scale0[j] * (float)l + mn[j] - xt[i][j];
            best_err[j] += wt[i][j] * (diff * diff);
        }
    }

    for (int is = 0; is <= 20; is++) {
        float num = q4k_step_num(is);
        float iscale[8], sum_l[8], sum_l2[8], sum_xl[8];
        float la[32][8];
        for (int j = 0; j < 8; j++) {
            float range = flat[j] ? 1.0f : mx[j] - cur_min[j];
            iscale[j] = num / range;
            sum_l[j] = 0.0f;
            sum_l2[j] = 0.0f;
            sum_xl[j] = 0.0f;
        }
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 8; j++) {
                int li = clamp_int(nearest_int(iscale[j] * (xt[i][j] - cur_min[j])), 0, 15);
                float l = (float)li;
                la[i][j] = l;
                float wl = wt[i][j] * l;
                sum_l[j] += wl;
                sum_l2[j] += wl * l;
                sum_xl[j] += wl * xt[i][j];
            }
        }
        float ts[8], tm[8], err[8];
        int ok[8];
        for (int j = 0; j < 8; j++) {
            float D = sum_w[j] * sum_l2[j] - sum_l[j] * sum_l[j];
            ok[j] = D > 0.0f;
            float s = (sum_w[j] * sum_xl[j] - sum_x[j] * sum_l[j]) / D;
            float m = (sum_l2[j] * sum_x[j] - sum_l[j] * sum_xl[j]) / D;
            if (m > 0.0f) {
                m = 0.0f;
                s = sum_xl[j] / sum_l2[j];
            }
            ts[j] = s;
            tm[j] = m;
            err[j] = 0.0f;
        }
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 8; j++) {
                float diff = ts[j] * la[i][j] + tm[j] - xt[i][j];
                err[j] += wt[i][j] * (diff * diff);
            }
        }
        for (int j = 0; j < 8; j++) {
            if (ok[j] && err[j] < best_err[j]) {
                best_err[j] = err[j];
                best_scale[j] = ts[j];
                best_isc[j] = iscale[j];
                best_off[j] = cur_min[j];
                cur_min[j] = tm[j];
            }
        }
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
            lj[i] = (uint8_t)clamp_int(nearest_int(best_isc[j] * (xt[i][j] - best_off[j])), 0, 15);
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
static void q4k_block(const float *restrict x, uint8_t *restrict y)
{
    float xt[32][8], wt[32][8];
    float sum_x2[8], av_x[8];
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 8; j++)
            xt[i][j] = x[32 * j + i];
    for (int j = 0; j < 8; j++)
        sum_x2[j] = 0.0f;
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 8; j++)
            sum_x2[j] += xt[i][j] * xt[i][j];
    for (int j = 0; j < 8; j++)
        av_x[j] = sqrtf(sum_x2[j] / 32.0f);
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 8; j++)
            wt[i][j] = av_x[j] + fabsf(xt[i][j]);

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
static void q6k_search(const float xt[16][16], float scale_out[16], uint8_t L[QK_K])
{
    float amax[16], max[16];
    for (int j = 0; j < 16; j++) {
        amax[j] = 0.0f;
        max[j] = 0.0f;
    }
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            float x = xt[i][j], ax = fabsf(x), a = amax[j], m = max[j];
            int gt = ax > a;
            a = gt ? ax : a;
            m = gt ? x : m;
            amax[j] = a;
            max[j] = m;
        }
    }
    int zero[16], best_is[16];
    float iscale0[16], sumlx[16], suml2[16], scale[16], best[16];
    for (int j = 0; j < 16; j++) {
        zero[j] = amax[j] < 1e-15f;
        if (zero[j])
            max[j] = 1.0f; /* results discarded; keeps the lane's arithmetic tame */
        iscale0[j] = -32.0f / max[j];
        sumlx[j] = 0.0f;
        suml2[j] = 0.0f;
    }
    float wt[16][16], wx[16][16];
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            float x = xt[i][j];
            wt[i][j] = x * x;
            wx[i][j] = wt[i][j] * x;
        }
    }
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            float l = (float)clamp_int(nearest_int(iscale0[j] * xt[i][j]), -32, 31);
            sumlx[j] += wx[i][j] * l;
            suml2[j] += (wt[i][j] * l) * l;
        }
    }
    for (int j = 0; j < 16; j++) {
        scale[j] = suml2[j] != 0.0f ? sumlx[j] / suml2[j] : 0.0f;
        best[j] = scale[j] * sumlx[j];
        best_is[j] = 0;
    }
    for (int is = -9; is <= 9; is++) {
        if (is == 0)
            continue;
        float num = q6k_step_num(is);
        float iscale[16], slx[16], sl2[16];
        for (int j = 0; j < 16; j++) {
            iscale[j] = num / max[j];
            slx[j] = 0.0f;
            sl2[j] = 0.0f;
        }
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 16; j++) {
                float l = (float)clamp_int(nearest_int(iscale[j] * xt[i][j]), -32, 31);
                slx[j] += wx[i][j] * l;
                sl2[j] += (wt[i][j] * l) * l;
            }
        }
        for (int j = 0; j < 16; j++) {
            if (sl2[j] > 0.0f && slx[j] * slx[j] > best[j] * sl2[j]) {
                scale[j] = slx[j] / sl2[j];
                best[j] = scale[j] * slx[j];
                best_is[j] = is;
            }
        }
    }
    for (int j = 0; j < 16; j++) {
        uint8_t *restrict lj = L + 16 * j;
        if (zero[j]) {
            memset(lj, 0, 16);
            scale_out[j] = 0.0f;
            continue;
        }
        float isc = best_is[j] == 0 ? iscale0[j] : q6k_step_num(best_is[j]) / max[j];
        for (int i = 0; i < 16; i++)
            lj[i] = (uint8_t)(32 + clamp_int(nearest_int(isc * xt[i][j]), -32, 31));
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
static void q6k_block(const float *restrict x, uint8_t *restrict y)
{
    float xt[16][16];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            xt[i][j] = x[16 * j + i];
    float scales[16];
    uint8_t L[QK_K];
    q6k_search(xt, scales, L);

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

void ms_quant_q6_k_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
    for (size_t b = 0; b < n / QK_K; b++)
        q6k_block(x + b * QK_K, o + b * Q6_K_BYTES);
}

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
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int c1 = ((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32;
                int c2 = ((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32;
                int c3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                int c4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                yh[l] = (d * (float)sh[is]) * (float)c1;
                yh[l + 32] = (d * (float)sh[is + 2]) * (float)c2;
                yh[l + 64] = (d * (float)sh[is + 4]) * (float)c3;
                yh[l + 96] = (d * (float)sh[is + 6]) * (float)c4;
            }
        }
    }
}

float ms_quant_contract_probe(float a, float b, float c)
{
    return a * b + c;
}
