/*
 * binary16 conversions as inline functions, for the kernels of
 * quant_float.c and quant_ggml.c (the exported ms_f32_to_f16 and
 * ms_f16_to_f32 are the same code; calling them from inside the library
 * would go through the PLT, once per block).  Built with -ffp-contract=off
 * like the kernels.
 */
#ifndef MS_COMPRESS_HALF_H
#define MS_COMPRESS_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t half_f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float half_u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/*
 * f32 -> binary16, round to nearest even.  With a = |f| as bits:
 *   a >  0x7f800000  NaN: quiet NaN, sign and payload bits 22..13 kept;
 *   a >= 0x477ff000  |f| >= 65520 = 65504 + half an ulp (ties go to the even
 *                    neighbour, which is 2^16): Inf (Inf itself included);
 *   a >= 0x38800000  normal: add half an ulp minus one plus the kept lsb, so
 *                    the truncation rounds to nearest even, then rebias the
 *                    exponent (127 - 15 = 112);
 *   below 2^-14      subnormal or zero: |f| + 0.5f has an ulp of 2^-24, the
 *                    f16 subnormal step, so the hardware's rounding of that
 *                    exact-in-range addition yields the count of steps,
 *                    nearest even (1024 means the smallest normal).
 */
static inline uint16_t f32_to_f16(float f)
{
    uint32_t u = half_f2u(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t a = u & 0x7fffffffu;
    uint32_t normal = (a + 0x0fffu + ((a >> 13) & 1u) - 0x38000000u) >> 13;
    uint32_t sub = half_f2u(half_u2f(a) + 0.5f) - 0x3f000000u;
    uint32_t nan = 0x7e00u | ((a >> 13) & 0x3ffu);
    /* selects as masks: gcc vectorizes those, not the ternaries */
    uint32_t m_sub = -(uint32_t)(a < 0x38800000u);
    uint32_t m_inf = -(uint32_t)(a >= 0x477ff000u);
    uint32_t m_nan = -(uint32_t)(a > 0x7f800000u);
    uint32_t r = (sub & m_sub) | (normal & ~m_sub);
    r = (0x7c00u & m_inf) | (r & ~m_inf);
    r = (nan & m_nan) | (r & ~m_nan);
    return (uint16_t)(sign | r);
}

/* binary16 -> f32, exact; NaN payloads (and signalling NaNs) carried over. */
static inline float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x3ffu;
    uint32_t normal = ((e + 112u) << 23) | (m << 13);
    uint32_t special = 0x7f800000u | (m << 13);
    uint32_t sub = half_f2u((float)m * 0x1p-24f); /* exact: m < 2^10 */
    uint32_t m_sub = -(uint32_t)(e == 0);
    uint32_t m_special = -(uint32_t)(e == 31);
    uint32_t r = (special & m_special) | (normal & ~m_special);
    r = (sub & m_sub) | (r & ~m_sub);
    return half_u2f(sign | r);
}

#endif
