/*
 * f16, bf16 and per-row int8: the float-format conversions and their row
 * kernels.  Everything is integer bit manipulation or exact float
 * arithmetic written as selects, so the loops vectorize and give the same
 * bits on every IEEE-754 host.  Built with -ffp-contract=off.
 */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "compress/half.h"
#include "compress/quant.h"
#include "compress/simd.h"

#include <float.h>
#include <string.h>
#ifdef MS_X86_KERNELS
#include <immintrin.h>
#endif

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

/* f32 -> bfloat16, round to nearest even (overflow rounds to Inf); NaN: quiet, sign and
 * payload bits 22..16 kept. */
static inline uint16_t f32_to_bf16(float f)
{
    uint32_t u = f2u(f);
    uint32_t rne = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    uint32_t nan = (u >> 16) | 0x0040u;
    uint32_t m_nan = -(uint32_t)((u & 0x7fffffffu) > 0x7f800000u);
    return (uint16_t)((nan & m_nan) | (rne & ~m_nan));
}

static inline float bf16_to_f32(uint16_t h)
{
    return u2f((uint32_t)h << 16);
}

uint16_t ms_f32_to_f16(float f)
{
    return f32_to_f16(f);
}

float ms_f16_to_f32(uint16_t h)
{
    return f16_to_f32(h);
}

uint16_t ms_f32_to_bf16(float f)
{
    return f32_to_bf16(f);
}

float ms_bf16_to_f32(uint16_t h)
{
    return bf16_to_f32(h);
}

/*
 * Rows go in chunks of CHUNK with a fixed trip count (which gcc vectorizes
 * even at -O2) plus a scalar tail; 16-bit values are stored little-endian.
 */
#define CHUNK 64

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0
#endif

static inline void store_le16(uint8_t *restrict o, const uint16_t *restrict h, size_t n)
{
    if (HOST_LE) {
        memcpy(o, h, 2 * n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = (uint8_t)h[i];
        o[2 * i + 1] = (uint8_t)(h[i] >> 8);
    }
}

static inline void load_le16(uint16_t *restrict h, const uint8_t *restrict b, size_t n)
{
    if (HOST_LE) {
        memcpy(h, b, 2 * n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        h[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
}

#ifdef MS_X86_KERNELS
/*
 * F16C's conversion with round to nearest even is f32_to_f16 on every
 * input: the same rounding of normal and subnormal results, Inf from
 * 65520 up, and NaN made quiet with the top ten payload bits kept
 * (compared over a sweep of all float bit patterns in test_kernels.c).
 * x86 is little-endian, so the halves are stored as they are.
 */
MS_TARGET_X86 static size_t f16_row_x86(const float *restrict x, size_t n, uint8_t *restrict o)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(void *)(o + 2 * i), h);
    }
    return i;
}
#endif

MS_CLONES
void ms_quant_f16_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
#ifdef MS_X86_KERNELS
    if (ms_x86_kernels()) {
        size_t done = f16_row_x86(x, n, o);
        x += done;
        o += 2 * done;
        n -= done;
    }
#endif
    uint16_t h[CHUNK];
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
        for (int k = 0; k < CHUNK; k++)
            h[k] = f32_to_f16(x[i + k]);
        store_le16(o + 2 * i, h, CHUNK);
    }
    for (; i < n; i++) {
        h[0] = f32_to_f16(x[i]);
        store_le16(o + 2 * i, h, 1);
    }
}

MS_CLONES
void ms_quant_bf16_row(const float *restrict x, size_t n, void *out)
{
    uint8_t *restrict o = out;
    uint16_t h[CHUNK];
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
        for (int k = 0; k < CHUNK; k++)
            h[k] = f32_to_bf16(x[i + k]);
        store_le16(o + 2 * i, h, CHUNK);
    }
    for (; i < n; i++) {
        h[0] = f32_to_bf16(x[i]);
        store_le16(o + 2 * i, h, 1);
    }
}

MS_CLONES
void ms_dequant_f16_row(const void *q, size_t n, float *restrict y)
{
    const uint8_t *restrict b = q;
    uint16_t h[CHUNK];
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
        load_le16(h, b + 2 * i, CHUNK);
        for (int k = 0; k < CHUNK; k++)
            y[i + k] = f16_to_f32(h[k]);
    }
    for (; i < n; i++) {
        load_le16(h, b + 2 * i, 1);
        y[i] = f16_to_f32(h[0]);
    }
}

void ms_dequant_bf16_row(const void *q, size_t n, float *restrict y)
{
    const uint8_t *restrict b = q;
    uint16_t h[CHUNK];
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
        load_le16(h, b + 2 * i, CHUNK);
        for (int k = 0; k < CHUNK; k++)
            y[i + k] = bf16_to_f32(h[k]);
    }
    for (; i < n; i++) {
        load_le16(h, b + 2 * i, 1);
        y[i] = bf16_to_f32(h[0]);
    }
}

/*
 * int8, symmetric per row:
 *   amax  = max_i |x_i|
 *   scale = amax / 127.0f                        (float division)
 *   q_i   = clamp(round_half_away_from_zero(x_i / scale), -127, 127)
 * where x_i / scale is a float division.  scale == 0 (all-zero row, or amax
 * so small that amax / 127 underflows) gives scale 0 and every q_i = 0.  A
 * subnormal scale is coarse, so its codes may stay below 127 in magnitude.
 * Non-finite input (outside the contract) gives scale 0 and codes 0.
 */
static inline int8_t int8_code(float x, float scale)
{
    float v = x / scale;
    int t = (int)v;
    float r = v - (float)t; /* exact */
    t += (r >= 0.5f) - (r <= -0.5f);
    t = t > 127 ? 127 : t;
    t = t < -127 ? -127 : t;
    return (int8_t)t;
}

MS_CLONES
float ms_quant_int8_row(const float *restrict x, size_t n, void *out)
{
    int8_t *restrict q = out;
    /* max of |x| as bits (same order as the values), CHUNK lanes at once */
    uint32_t lane[CHUNK] = {0};
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
        for (int k = 0; k < CHUNK; k++) {
            uint32_t a = f2u(x[i + k]) & 0x7fffffffu, m = lane[k];
            lane[k] = a > m ? a : m;
        }
    }
    for (; i < n; i++) {
        uint32_t a = f2u(x[i]) & 0x7fffffffu;
        lane[0] = a > lane[0] ? a : lane[0];
    }
    uint32_t amax_bits = 0;
    for (int k = 0; k < CHUNK; k++)
        amax_bits = lane[k] > amax_bits ? lane[k] : amax_bits;
    float scale = u2f(amax_bits) / 127.0f;
    if (!(scale > 0.0f && scale <= FLT_MAX)) {
        if (n > 0)
            memset(q, 0, n);
        return 0.0f;
    }
    /* |x / scale| <= amax / scale, at most ~191 (a subnormal scale is
     * coarse: amax / 127 >= 2^-150 rounds to no less than 2^-149), so the
     * truncation is defined; clamp after rounding */
    for (i = 0; i + CHUNK <= n; i += CHUNK)
        for (int k = 0; k < CHUNK; k++)
            q[i + k] = int8_code(x[i + k], scale);
    for (; i < n; i++)
        q[i] = int8_code(x[i], scale);
    return scale;
}

MS_CLONES
void ms_dequant_int8_row(const void *q, size_t n, float scale, float *restrict y)
{
    const int8_t *restrict c = q;
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK)
        for (int k = 0; k < CHUNK; k++)
            y[i + k] = (float)c[i + k] * scale;
    for (; i < n; i++)
        y[i] = (float)c[i] * scale;
}
