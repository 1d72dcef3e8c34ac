/*
 * q4_k and q6_k against a plain scalar transcription of ggml's reference
 * quantizers (make_qkx2_quants, make_qx_quants and the block code, one
 * sub-block at a time, as described in docs/compression.md and
 * compress/quant_ggml.c), on a few thousand varied rows.
 *
 * The library runs the sub-blocks of a super-block in vector lanes and, on
 * AVX2 machines, in a second build of the same code (compress/simd.h).
 * The ggml vectors (test_quant.c) pin the bytes on 96 rows; this test
 * checks the lanes against straightforward code on many more, including
 * flat, zero, subnormal, huge and mixed-scale sub-blocks.  Built with
 * -ffp-contract=off like the library.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compress/quant.h"

/* ggml's rounding helper, bit for bit (NaN: 0, as the library defines it). */
static int nearest_int(float fval)
{
    float val = fval + 12582912.f;
    int32_t i;
    memcpy(&i, &val, sizeof i);
    return isnan(fval) ? 0 : (i & 0x007fffff) - 0x00400000;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static float make_qkx2_quants(int n, int nmax, const float *x, const float *weights, uint8_t *L,
                              float *the_min, uint8_t *Laux, float rmin, float rdelta, int nstep)
{
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min)
            min = x[i];
        if (x[i] > max)
            max = x[i];
        float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0)
        min = 0;
    if (max == min) {
        for (int i = 0; i < n; ++i)
            L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = (float)nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)imax(0, imin(nmax, l));
        float diff = scale * (float)L[i] + min - x[i];
        diff = diff * diff;
        best_error += weights[i] * diff;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * (x[i] - min));
            l = imax(0, imin(nmax, l));
            Laux[i] = (uint8_t)l;
            float w = weights[i];
            sum_l += w * (float)l;
            sum_l2 += w * (float)l * (float)l;
            sum_xl += w * (float)l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * (float)Laux[i] + this_min - x[i];
                diff = diff * diff;
                cur_error += weights[i] * diff;
            }
            if (cur_error < best_error) {
                memcpy(L, Laux, (size_t)n);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

static void put16(uint8_t *p, float f)
{
    uint16_t h = ms_f32_to_f16(f);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

static float get16(const uint8_t *p)
{
    return ms_f16_to_f32((uint16_t)(p[0] | p[1] << 8));
}

static void ref_q4_k_block(const float *x, uint8_t *y)
{
    uint8_t L[256], Laux[32], sc[12] = {0};
    float weights[32], mins[8], scales[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l)
            sum_x2 += x[32 * j + l] * x[32 * j + l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; ++l)
            weights[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
                                     -1.f, 0.1f, 20);
        if (scales[j] > max_scale)
            max_scale = scales[j];
        if (mins[j] > max_min)
            max_min = mins[j];
    }
    float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    uint8_t lsv[8], lmv[8];
    for (int j = 0; j < 8; ++j) {
        uint8_t ls = (uint8_t)nearest_int(inv_scale * scales[j]);
        uint8_t lm = (uint8_t)nearest_int(inv_min * mins[j]);
        ls = ls < 63 ? ls : 63;
        lm = lm < 63 ? lm : 63;
        lsv[j] = ls;
        lmv[j] = lm;
        if (j < 4) {
            sc[j] = ls;
            sc[j + 4] = lm;
        } else {
            sc[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            sc[j - 4] |= (uint8_t)((ls >> 4) << 6);
            sc[j - 0] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    put16(y, max_scale / 63.f);
    put16(y + 2, max_min / 63.f);
    memcpy(y + 4, sc, 12);
    for (int j = 0; j < 8; ++j) {
        const float d = get16(y) * (float)lsv[j];
        if (d == 0.0f)
            continue;
        const float dm = get16(y + 2) * (float)lmv[j];
        for (int ii = 0; ii < 32; ++ii) {
            int l = nearest_int((x[32 * j + ii] + dm) / d);
            L[32 * j + ii] = (uint8_t)imax(0, imin(15, l));
        }
    }
    uint8_t *q = y + 16;
    for (int j = 0; j < 256; j += 64) {
        for (int l = 0; l < 32; ++l)
            q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
        q += 32;
    }
}

static float make_qx_quants(int n, int nmax, const float *x, int8_t *L)
{
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < 1e-15f) {
        for (int i = 0; i < n; ++i)
            L[i] = 0;
        return 0.f;
    }
    float iscale = (float)-nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = imax(-nmax, imin(nmax - 1, l));
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0)
            continue;
        iscale = -((float)nmax + 0.1f * (float)is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            l = imax(-nmax, imin(nmax - 1, l));
            float w = x[i] * x[i];
            sumlx += w * x[i] * (float)l;
            suml2 += w * (float)l * (float)l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                int l = nearest_int(iscale * x[i]);
                L[i] = (int8_t)(nmax + imax(-nmax, imin(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

static void ref_q6_k_block(const float *x, uint8_t *y)
{
    int8_t L[256];
    float scales[16];
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < 16; ++ib) {
        const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
        scales[ib] = scale;
        const float abs_scale = fabsf(scale);
        if (abs_scale > max_abs_scale) {
            max_abs_scale = abs_scale;
            max_scale = scale;
        }
    }
    memset(y, 0, 210);
    if (max_abs_scale < 1e-15f)
        return;
    float iscale = -128.f / max_scale;
    put16(y + 208, 1 / iscale);
    int8_t *sc = (int8_t *)(y + 192);
    for (int ib = 0; ib < 16; ++ib)
        sc[ib] = (int8_t)imin(127, nearest_int(iscale * scales[ib]));
    for (int j = 0; j < 16; ++j) {
        float d = get16(y + 208) * (float)sc[j];
        if (d == 0.0f)
            continue;
        for (int ii = 0; ii < 16; ++ii) {
            int l = nearest_int(x[16 * j + ii] / d);
            l = imax(-32, imin(31, l));
            L[16 * j + ii] = (int8_t)(l + 32);
        }
    }
    uint8_t *ql = y, *qh = y + 128;
    for (int j = 0; j < 256; j += 128) {
        for (int l = 0; l < 32; ++l) {
            const uint8_t q1 = (uint8_t)(L[j + l + 0] & 0xF);
            const uint8_t q2 = (uint8_t)(L[j + l + 32] & 0xF);
            const uint8_t q3 = (uint8_t)(L[j + l + 64] & 0xF);
            const uint8_t q4 = (uint8_t)(L[j + l + 96] & 0xF);
            ql[l + 0] = (uint8_t)(q1 | (q3 << 4));
            ql[l + 32] = (uint8_t)(q2 | (q4 << 4));
            qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
                              ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
        }
        ql += 64;
        qh += 32;
    }
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static double u01(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return ((double)((rng * 0x2545f4914f6cdd1dull) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
    return sqrt(-2.0 * log(u01())) * cos(6.283185307179586 * u01());
}

/* Value i of a row of kind k: the cases the searches treat specially. */
static float value(int k, size_t i)
{
    switch (k) {
    case 0: return (float)(0.02 * gauss());
    case 1: return (float)(2.0 * u01() - 1.0);
    case 2: return (float)(fabs(gauss()) + 0.5);             /* all positive: min 0 */
    case 3: return (float)(-fabs(gauss()) - 0.1);            /* all negative */
    case 4: return 0.25f;                                    /* flat */
    case 5: return 0.0f;
    case 6: return (float)(gauss() * 1e-40);                 /* f32 subnormals */
    case 7: return u01() < 0.03 ? (float)(gauss() * 100) : (float)(gauss() * 0.01);
    case 8: return (float)(gauss() * pow(10.0, floor(u01() * 20) - 10));
    case 9: return (float)(floor(u01() * 31) - 15);          /* small integers: ties */
    case 10: return u01() < 0.25 ? 0.0f : (float)gauss();
    case 11: return (float)(gauss() * 1e30);
    case 12: return (i % 32 == 0) ? 5.0f : (float)(1e-3 * gauss());
    case 13: return (float)(gauss() * 1e-20);
    case 14: return -0.0f;
    default: return (float)((int)(i % 7) - 3) * 0.125f;
    }
}

int main(void)
{
    enum { COLS = 512, ROWS = 2400 };
    float x[COLS];
    uint8_t got[COLS / 256 * 210], want[COLS / 256 * 210];
    int bad4 = 0, bad6 = 0;
    for (int r = 0; r < ROWS; r++) {
        int kind = r % 16, mix = (r / 16) % 3;
        for (size_t i = 0; i < COLS; i++) {
            int k = kind;
            if (mix == 1)
                k = (int)((size_t)kind + i / 32) % 16; /* a kind per q4_k sub-block */
            else if (mix == 2)
                k = (int)((size_t)kind * 7 + i / 16) % 16; /* a kind per q6_k sub-block */
            x[i] = value(k, i);
        }
        ms_quantize_row(MS_SCHEME_Q4_K, x, COLS, got, NULL);
        for (int b = 0; b < COLS / 256; b++)
            ref_q4_k_block(x + 256 * b, want + 144 * b);
        if (memcmp(got, want, COLS / 256 * 144) != 0 && bad4++ < 5)
            fprintf(stderr, "q4_k row %d (kind %d, mix %d) differs from the reference\n", r,
                    kind, mix);
        ms_quantize_row(MS_SCHEME_Q6_K, x, COLS, got, NULL);
        for (int b = 0; b < COLS / 256; b++)
            ref_q6_k_block(x + 256 * b, want + 210 * b);
        if (memcmp(got, want, COLS / 256 * 210) != 0 && bad6++ < 5)
            fprintf(stderr, "q6_k row %d (kind %d, mix %d) differs from the reference\n", r,
                    kind, mix);
    }
    CHECK_INT(bad4, 0);
    CHECK_INT(bad6, 0);
    return check_finish("compress-quant-ref");
}
