/*
 * Quantizer tests: byte-exactness against ggml's reference vectors
 * (vectors/README.md), SQNR figures, the f16/bf16 conversions, int8 error
 * bounds, special values for every scheme, ms_to_f32, and the scheme table.
 *
 * usage: test_compress_quant VECTORS_DIR
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compress/quant.h"

static const char *vec_dir;

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Whole file into a malloc'd buffer; *len receives its size.  NULL on error. */
static void *read_vec(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", vec_dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A deterministic N(0, 1) source: xorshift64* and Box-Muller. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545f4914f6cdd1dull;
    return ((double)(r >> 11) + 0.5) / 9007199254740992.0;
}

static float gauss(void)
{
    double u1 = uniform01(), u2 = uniform01();
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static double sqnr_db(const float *x, const float *y, size_t n)
{
    double s = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - (double)y[i];
        s += (double)x[i] * x[i];
        e += d * d;
    }
    return 10.0 * log10(s / e);
}

/* ----------------------------------------------------------- ggml vectors */

struct vec_input {
    const char *name;
    size_t rows;
    double sqnr[4];         /* README table, q8_0 q4_0 q4_K q6_K */
    double sqnr_inliers[4]; /* gauss_outliers without columns 7 and 130; 0: none */
};

static const struct vec_input inputs[] = {
    {"gauss_outliers_64x256", 64, {39.12, 16.49, 20.34, 30.01}, {33.56, 10.93, 14.79, 24.46}},
    {"special_32x256", 32, {77.90, 69.34, 66.14, 71.71}, {0, 0, 0, 0}},
};

static const ms_scheme vec_schemes[4] = {MS_SCHEME_Q8_0, MS_SCHEME_Q4_0, MS_SCHEME_Q4_K,
                                         MS_SCHEME_Q6_K};
static const char *const vec_types[4] = {"q8_0", "q4_0", "q4_K", "q6_K"};

#define COLS 256

/* q8_0/q4_0 blocks whose reference codes are undefined (README caveat 2). */
static int undefined_block(const struct vec_input *in, int t, size_t row, size_t block)
{
    if (strcmp(in->name, "special_32x256") != 0 || t > 1)
        return 0;
    return row == 12 || (row == 13 && block == 0);
}

static void test_vectors(void)
{
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
        const struct vec_input *in = &inputs[k];
        char name[256];
        size_t xlen;
        snprintf(name, sizeof name, "%s.f32", in->name);
        float *x = read_vec(name, &xlen);
        CHECK(x != NULL);
        if (x == NULL)
            continue;
        CHECK_INT(xlen, in->rows * COLS * 4);
        for (int t = 0; t < 4; t++) {
            ms_scheme s = vec_schemes[t];
            size_t rb = ms_scheme_row_bytes(s, COLS), blen, dlen;
            snprintf(name, sizeof name, "%s.%s.bin", in->name, vec_types[t]);
            uint8_t *ref = read_vec(name, &blen);
            snprintf(name, sizeof name, "%s.%s.dequant.f32", in->name, vec_types[t]);
            float *ref_dq = read_vec(name, &dlen);
            CHECK(ref != NULL && ref_dq != NULL);
            if (ref == NULL || ref_dq == NULL) {
                free(ref);
                free(ref_dq);
                continue;
            }
            CHECK_INT(blen, in->rows * rb);
            CHECK_INT(dlen, in->rows * COLS * 4);
            uint8_t *q = malloc(in->rows * rb);
            float *dq = malloc(in->rows * COLS * sizeof *dq);
            size_t bad_rows = 0, bad_bytes = 0, undefined = 0;
            size_t block = ms_scheme_block(s), bb = rb / (COLS / block);
            for (size_t r = 0; r < in->rows; r++) {
                ms_quantize_row(s, x + r * COLS, COLS, q + r * rb, NULL);
                int row_bad = 0;
                for (size_t b = 0; b < COLS / block; b++) {
                    const uint8_t *mine = q + r * rb + b * bb, *theirs = ref + r * rb + b * bb;
                    if (undefined_block(in, t, r, b)) {
                        /* codes undefined in the reference: compare the
                         * scale and the dequantized values instead */
                        undefined++;
                        float a[32], c[32];
                        ms_dequantize_row(s, mine, block, 0, a);
                        ms_dequantize_row(s, theirs, block, 0, c);
                        CHECK_MEM(mine, theirs, 2);
                        CHECK_MEM(a, c, sizeof a);
                        continue;
                    }
                    for (size_t i = 0; i < bb; i++)
                        if (mine[i] != theirs[i]) {
                            bad_bytes++;
                            row_bad = 1;
                        }
                }
                if (row_bad) {
                    bad_rows++;
                    fprintf(stderr, "%s %s row %zu differs\n", in->name, vec_types[t], r);
                }
            }
            CHECK_INT(bad_bytes, 0);
            if (k == 1 && t <= 1)
                CHECK_INT(undefined, 9);
            printf("%-22s %-5s bytes: %zu of %zu rows differ (%zu bytes)\n", in->name,
                   vec_types[t], bad_rows, in->rows, bad_bytes);

            /* Dequantizing the reference bytes gives ggml's floats exactly. */
            for (size_t r = 0; r < in->rows; r++)
                ms_dequantize_row(s, ref + r * rb, COLS, 0, dq + r * COLS);
            CHECK_MEM(dq, ref_dq, in->rows * COLS * sizeof *dq);

            /* Our own bytes, dequantized: the README's SQNR. */
            for (size_t r = 0; r < in->rows; r++)
                ms_dequantize_row(s, q + r * rb, COLS, 0, dq + r * COLS);
            CHECK_MEM(dq, ref_dq, in->rows * COLS * sizeof *dq);
            double db = sqnr_db(x, dq, in->rows * COLS);
            printf("%-22s %-5s SQNR %.4f dB (README %.2f)\n", in->name, vec_types[t], db,
                   in->sqnr[t]);
            CHECK(fabs(db - in->sqnr[t]) < 0.01);
            if (in->sqnr_inliers[t] != 0) {
                double s2 = 0, e2 = 0;
                for (size_t r = 0; r < in->rows; r++)
                    for (size_t c = 0; c < COLS; c++) {
                        if (c == 7 || c == 130)
                            continue;
                        double v = x[r * COLS + c], d = v - dq[r * COLS + c];
                        s2 += v * v;
                        e2 += d * d;
                    }
                double di = 10.0 * log10(s2 / e2);
                CHECK(fabs(di - in->sqnr_inliers[t]) < 0.01);
            }

            /* Two rows quantized as one row of 512 give the same bytes. */
            if (in->rows >= 2) {
                uint8_t *q2 = malloc(2 * rb);
                ms_quantize_row(s, x, 2 * COLS, q2, NULL);
                CHECK_MEM(q2, q, 2 * rb);
                float *d2 = malloc(2 * COLS * sizeof *d2);
                ms_dequantize_row(s, q2, 2 * COLS, 0, d2);
                CHECK_MEM(d2, ref_dq, 2 * COLS * sizeof *d2);
                free(d2);
                free(q2);
            }
            free(q);
            free(dq);
            free(ref);
            free(ref_dq);
        }
        free(x);
    }
}

/* ---------------------------------------------------------------- f16/bf16 */

static int is_nan16(uint16_t h)
{
    return (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0;
}

static void test_f16(void)
{
    /* Every pattern survives f16 -> f32 -> f16; a signalling NaN comes back
     * quiet (bit 9 set), the documented canonicalization. */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = ms_f16_to_f32((uint16_t)h);
        uint16_t back = ms_f32_to_f16(f);
        uint16_t want = (uint16_t)h;
        if (is_nan16((uint16_t)h)) {
            want |= 0x0200;
            if (!isnan(f))
                bad++;
        }
        if (back != want)
            bad++;
        /* the f32 value is exact: compare with a computed value */
        if (!is_nan16((uint16_t)h)) {
            int e = (h >> 10) & 0x1f, m = h & 0x3ff;
            double v = e == 0 ? ldexp(m, -24) : e == 31 ? INFINITY : ldexp(1024 + m, e - 25);
            if (h & 0x8000)
                v = -v;
            if ((double)f != v || !!signbit(f) != (int)((h >> 15) & 1))
                bad++;
        }
    }
    CHECK_INT(bad, 0);

    /* round to nearest, ties to even */
    CHECK_INT(ms_f32_to_f16(1.0f), 0x3c00);
    CHECK_INT(ms_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);              /* tie, even below */
    CHECK_INT(ms_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);          /* tie, even above */
    CHECK_INT(ms_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);   /* past the tie */
    CHECK_INT(ms_f32_to_f16(1.0f + 0x1p-11f - 0x1p-23f), 0x3c00);   /* below the tie */
    CHECK_INT(ms_f32_to_f16(-(1.0f + 3 * 0x1p-11f)), 0xbc02);
    CHECK_INT(ms_f32_to_f16(0.1f), 0x2e66);
    CHECK_INT(ms_f32_to_f16(-2.0f), 0xc000);
    CHECK_INT(ms_f32_to_f16(0.0f), 0x0000);
    CHECK_INT(ms_f32_to_f16(-0.0f), 0x8000);
    /* overflow */
    CHECK_INT(ms_f32_to_f16(65504.0f), 0x7bff);
    CHECK_INT(ms_f32_to_f16(65519.996f), 0x7bff);
    CHECK_INT(ms_f32_to_f16(65520.0f), 0x7c00); /* tie: even neighbour is 2^16 = Inf */
    CHECK_INT(ms_f32_to_f16(-65520.0f), 0xfc00);
    CHECK_INT(ms_f32_to_f16(1e10f), 0x7c00);
    CHECK_INT(ms_f32_to_f16(FLT_MAX), 0x7c00);
    CHECK_INT(ms_f32_to_f16(INFINITY), 0x7c00);
    CHECK_INT(ms_f32_to_f16(-INFINITY), 0xfc00);
    /* subnormals */
    CHECK_INT(ms_f32_to_f16(0x1p-24f), 0x0001);
    CHECK_INT(ms_f32_to_f16(0x1p-25f), 0x0000);                 /* tie to even: 0 */
    CHECK_INT(ms_f32_to_f16(0x1p-25f + 0x1p-40f), 0x0001);
    CHECK_INT(ms_f32_to_f16(3 * 0x1p-25f), 0x0002);             /* 1.5 steps: 2 */
    CHECK_INT(ms_f32_to_f16(5 * 0x1p-25f), 0x0002);             /* 2.5 steps: 2 */
    CHECK_INT(ms_f32_to_f16(-0x1p-24f), 0x8001);
    CHECK_INT(ms_f32_to_f16(1023 * 0x1p-24f), 0x03ff);          /* largest subnormal */
    CHECK_INT(ms_f32_to_f16(1023.5f * 0x1p-24f), 0x0400);       /* tie into the normals */
    CHECK_INT(ms_f32_to_f16(0x1p-14f), 0x0400);
    CHECK_INT(ms_f32_to_f16(1e-40f), 0x0000);                   /* f32 subnormal */
    CHECK_INT(ms_f32_to_f16(-1e-40f), 0x8000);
    CHECK(ms_f16_to_f32(0x0001) == 0x1p-24f);
    CHECK(ms_f16_to_f32(0x03ff) == 1023 * 0x1p-24f);
    /* NaN: quiet, sign kept */
    CHECK_INT(ms_f32_to_f16(NAN), 0x7e00);
    CHECK_INT(ms_f32_to_f16(-NAN), 0xfe00);
    CHECK_INT(ms_f32_to_f16(u2f(0x7f800001)), 0x7e00); /* signalling, low payload */
    CHECK_INT(ms_f32_to_f16(u2f(0xffa02000)), 0xff01);  /* payload bits 22..13 kept */
    CHECK(isnan(ms_f16_to_f32(0x7e00)) && !signbit(ms_f16_to_f32(0x7e00)));
    CHECK(isnan(ms_f16_to_f32(0xfc01)) && signbit(ms_f16_to_f32(0xfc01)));
    CHECK(isinf(ms_f16_to_f32(0x7c00)) && ms_f16_to_f32(0xfc00) < 0);
}

static void test_bf16(void)
{
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = ms_bf16_to_f32((uint16_t)h);
        if (f2u(f) != h << 16)
            bad++;
        uint16_t want = (uint16_t)h;
        if ((h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0)
            want |= 0x40;
        if (ms_f32_to_bf16(f) != want)
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(ms_f32_to_bf16(1.0f), 0x3f80);
    CHECK_INT(ms_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);        /* tie, even below */
    CHECK_INT(ms_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);    /* tie, even above */
    CHECK_INT(ms_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
    CHECK_INT(ms_f32_to_bf16(-(1.0f + 3 * 0x1p-8f)), 0xbf82);
    CHECK_INT(ms_f32_to_bf16(-0.0f), 0x8000);
    CHECK_INT(ms_f32_to_bf16(FLT_MAX), 0x7f80);               /* rounds past the max: Inf */
    CHECK_INT(ms_f32_to_bf16(u2f(0x7f7f7fff)), 0x7f7f);       /* just below: the max */
    CHECK_INT(ms_f32_to_bf16(-FLT_MAX), 0xff80);
    CHECK_INT(ms_f32_to_bf16(INFINITY), 0x7f80);
    CHECK_INT(ms_f32_to_bf16(-INFINITY), 0xff80);
    CHECK_INT(ms_f32_to_bf16(u2f(0x00018000)), 0x0002);       /* subnormal tie, even above */
    CHECK_INT(ms_f32_to_bf16(u2f(0x00008000)), 0x0000);       /* subnormal tie, even below */
    CHECK_INT(ms_f32_to_bf16(u2f(0x00008001)), 0x0001);
    CHECK_INT(ms_f32_to_bf16(NAN), 0x7fc0);
    CHECK_INT(ms_f32_to_bf16(-NAN), 0xffc0);
    CHECK_INT(ms_f32_to_bf16(u2f(0x7f800001)), 0x7fc0);       /* signalling -> quiet */
    CHECK_INT(ms_f32_to_bf16(u2f(0xff810000)), 0xffc1);       /* payload kept */
}

/* Row kernels of f16/bf16 match the scalar conversions, unaligned output. */
static void test_float_rows(void)
{
    float x[64];
    for (int i = 0; i < 64; i++)
        x[i] = gauss() * 100.0f;
    x[0] = 70000.0f;
    x[1] = -1e-30f;
    x[2] = NAN;
    x[3] = -INFINITY;
    uint8_t buf[1 + 128];
    float y[64];
    ms_quantize_row(MS_SCHEME_F16, x, 64, buf + 1, NULL);
    ms_dequantize_row(MS_SCHEME_F16, buf + 1, 64, 0, y);
    for (int i = 0; i < 64; i++) {
        uint16_t h = ms_f32_to_f16(x[i]);
        CHECK_INT(buf[1 + 2 * i] | buf[2 + 2 * i] << 8, h);
        CHECK_INT(f2u(y[i]), f2u(ms_f16_to_f32(h)));
    }
    CHECK(isinf(y[0]) && y[0] > 0);
    CHECK(y[1] == 0.0f && signbit(y[1]));
    CHECK(isnan(y[2]));
    ms_quantize_row(MS_SCHEME_BF16, x, 64, buf + 1, NULL);
    ms_dequantize_row(MS_SCHEME_BF16, buf + 1, 64, 0, y);
    for (int i = 0; i < 64; i++) {
        uint16_t h = ms_f32_to_bf16(x[i]);
        CHECK_INT(buf[1 + 2 * i] | buf[2 + 2 * i] << 8, h);
        CHECK_INT(f2u(y[i]), (uint32_t)h << 16);
    }
    CHECK(y[0] == 70144.0f);
    CHECK(isnan(y[2]) && isinf(y[3]) && y[3] < 0);
}

/* -------------------------------------------------------------------- int8 */

static void test_int8(void)
{
    /* Gaussian rows: >= 40 dB */
    size_t n = 4096, rows = 16;
    float *x = malloc(n * rows * sizeof *x), *y = malloc(n * rows * sizeof *y);
    int8_t *q = malloc(n);
    for (size_t i = 0; i < n * rows; i++)
        x[i] = gauss() * 0.02f;
    for (size_t r = 0; r < rows; r++) {
        float scale = -1;
        ms_quantize_row(MS_SCHEME_INT8, x + r * n, n, q, &scale);
        float amax = 0;
        int qmax = 0;
        for (size_t i = 0; i < n; i++) {
            amax = fmaxf(amax, fabsf(x[r * n + i]));
            qmax = abs(q[i]) > qmax ? abs(q[i]) : qmax;
        }
        CHECK(scale == amax / 127.0f);
        CHECK_INT(qmax, 127);
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            /* q = round half away from zero of x / scale */
            float v = x[r * n + i] / scale;
            if (q[i] != (int8_t)roundf(v))
                bad++;
        }
        CHECK_INT(bad, 0);
        ms_dequantize_row(MS_SCHEME_INT8, q, n, scale, y + r * n);
        for (size_t i = 0; i < n; i++)
            if (y[r * n + i] != (float)q[i] * scale)
                bad++;
        CHECK_INT(bad, 0);
    }
    double db = sqnr_db(x, y, n * rows);
    printf("int8 on Gaussian 16x4096: SQNR %.2f dB\n", db);
    CHECK(db >= 40.0);

    /* rounding: exact halves go away from zero, clamp at 127 */
    float h[8] = {127.0f, 0.5f, -0.5f, 1.5f, -2.5f, 0.49999997f, 126.5f, -127.0f};
    float sc = -1;
    int8_t qc[8];
    ms_quantize_row(MS_SCHEME_INT8, h, 8, qc, &sc);
    CHECK(sc == 1.0f);
    int8_t want[8] = {127, 1, -1, 2, -3, 0, 127, -127};
    CHECK_MEM(qc, want, 8);
    free(x);
    free(y);
    free(q);
}

/* --------------------------------------------------------- special values */

static const ms_scheme all_schemes[] = {MS_SCHEME_NONE, MS_SCHEME_F16,  MS_SCHEME_BF16,
                                        MS_SCHEME_INT8, MS_SCHEME_Q8_0, MS_SCHEME_Q4_0,
                                        MS_SCHEME_Q4_K, MS_SCHEME_Q6_K};

/* Quantize and dequantize one row of 512; returns the scale (int8). */
static float roundtrip(ms_scheme s, const float *x, float *y, uint8_t *q)
{
    float scale = 0;
    ms_quantize_row(s, x, 512, q, &scale);
    ms_dequantize_row(s, q, 512, scale, y);
    return scale;
}

static void test_special(void)
{
    float x[512], y[512];
    static uint8_t q[4 * 512];
    for (size_t k = 0; k < sizeof all_schemes / sizeof all_schemes[0]; k++) {
        ms_scheme s = all_schemes[k];
        const char *nm = ms_scheme_name(s);
        size_t rb = ms_scheme_row_bytes(s, 512);
        int bad;

        /* all zero: all zero back, int8 scale 0 */
        memset(x, 0, sizeof x);
        memset(q, 0xa5, sizeof q);
        float scale = roundtrip(s, x, y, q);
        bad = 0;
        for (int i = 0; i < 512; i++)
            bad += y[i] != 0.0f;
        if (bad)
            fprintf(stderr, "%s: all-zero row\n", nm);
        CHECK_INT(bad, 0);
        if (s == MS_SCHEME_INT8)
            CHECK(scale == 0.0f);
        /* nothing written past the row */
        bad = 0;
        for (size_t i = rb; i < sizeof q; i++)
            bad += q[i] != 0xa5;
        CHECK_INT(bad, 0);

        /* all equal (positive and negative constants): within bf16's
         * 2^-8 relative step (q6_k's 6-bit sub-scales do as well) */
        for (int sign = -1; sign <= 1; sign += 2) {
            for (int i = 0; i < 512; i++)
                x[i] = 0.0375f * (float)sign;
            roundtrip(s, x, y, q);
            bad = 0;
            for (int i = 0; i < 512; i++)
                bad += !(fabsf(y[i] - x[i]) <= 0x1p-8f * 0.0375f);
            if (bad)
                fprintf(stderr, "%s: constant %+d row: y[0] = %g\n", nm, sign, y[0]);
            CHECK_INT(bad, 0);
        }

        /* one huge value among Gaussian ones: it survives, the rest stays finite */
        for (int i = 0; i < 512; i++)
            x[i] = gauss() * 0.02f;
        x[300] = 30000.0f;
        roundtrip(s, x, y, q);
        CHECK(fabsf(y[300] - 30000.0f) <= 30000.0f * 0.01f);
        bad = 0;
        for (int i = 0; i < 512; i++)
            bad += !isfinite(y[i]) || (i != 300 && fabsf(y[i]) > 2000.0f);
        CHECK_INT(bad, 0);

        /* f32 subnormals only: no trap, no UB; tiny or zero back */
        for (int i = 0; i < 512; i++)
            x[i] = gauss() * 1e-40f;
        scale = roundtrip(s, x, y, q);
        bad = 0;
        for (int i = 0; i < 512; i++)
            bad += !(fabsf(y[i]) <= 1e-38f);
        CHECK_INT(bad, 0);
        if (s == MS_SCHEME_Q8_0 || s == MS_SCHEME_Q4_0 || s == MS_SCHEME_Q4_K ||
            s == MS_SCHEME_Q6_K || s == MS_SCHEME_F16) {
            bad = 0;
            for (int i = 0; i < 512; i++)
                bad += y[i] != 0.0f;
            CHECK_INT(bad, 0);
        }
        if (s == MS_SCHEME_INT8)
            CHECK(scale > 0.0f && scale < FLT_MIN);

        /* a mix of subnormal and normal blocks */
        for (int i = 0; i < 512; i++)
            x[i] = i < 32 ? gauss() * 1e-40f : gauss() * 0.02f;
        roundtrip(s, x, y, q);
        bad = 0;
        for (int i = 0; i < 512; i++)
            bad += !(fabsf(y[i] - x[i]) <= 0.02f);
        CHECK_INT(bad, 0);
    }

    /* q8_0 / q4_0: reciprocal-overflow blocks get codes 0, scale +-0 */
    for (int i = 0; i < 32; i++)
        x[i] = (i % 2 ? -1 : 1) * 1e-40f;
    ms_quantize_row(MS_SCHEME_Q8_0, x, 32, q, NULL);
    for (int i = 0; i < 34; i++)
        CHECK_INT(q[i], 0);
    ms_quantize_row(MS_SCHEME_Q4_0, x, 32, q, NULL);
    CHECK_INT(q[0] | q[1] << 8, 0x8000); /* d = max / -8 = -0 */
    for (int i = 2; i < 18; i++)
        CHECK_INT(q[i], 0);

    /* Huge values past the fp16 range: the ggml formats then hold an
     * infinite scale; int8, f16, bf16 behave as documented. */
    for (int i = 0; i < 512; i++)
        x[i] = gauss();
    x[7] = 1e30f;
    float sc = roundtrip(MS_SCHEME_INT8, x, y, q);
    CHECK(sc == 1e30f / 127.0f);
    CHECK(y[7] == 127.0f * sc);
    roundtrip(MS_SCHEME_F16, x, y, q);
    CHECK(isinf(y[7]));
    roundtrip(MS_SCHEME_BF16, x, y, q);
    CHECK(fabsf(y[7] - 1e30f) <= 1e30f / 128);

    /* Non-finite input outside the contract: defined, no crash (UBSan). */
    for (size_t k = 0; k < sizeof all_schemes / sizeof all_schemes[0]; k++) {
        for (int i = 0; i < 512; i++)
            x[i] = gauss();
        x[3] = INFINITY;
        x[40] = NAN;
        x[300] = -INFINITY;
        roundtrip(all_schemes[k], x, y, q);
    }
}

/* ------------------------------------------------------------------ to_f32 */

static void test_to_f32(void)
{
    float out[8];
    uint8_t buf[1 + 64];

    /* F32, unaligned */
    float in32[4] = {1.5f, -0.0f, INFINITY, 1e-40f};
    memcpy(buf + 1, in32, sizeof in32);
    CHECK_INT(ms_to_f32(MS_DTYPE_F32, buf + 1, 4, out), 0);
    CHECK_MEM(out, in32, sizeof in32);

    /* F16 little-endian, unaligned */
    uint16_t h[5] = {0x3c00, 0xc000, 0x0001, 0x7c00, 0x8000};
    for (int i = 0; i < 5; i++) {
        buf[1 + 2 * i] = (uint8_t)h[i];
        buf[2 + 2 * i] = (uint8_t)(h[i] >> 8);
    }
    CHECK_INT(ms_to_f32(MS_DTYPE_F16, buf + 1, 5, out), 0);
    CHECK(out[0] == 1.0f && out[1] == -2.0f && out[2] == 0x1p-24f && isinf(out[3]));
    CHECK(out[4] == 0.0f && signbit(out[4]));

    /* BF16 */
    uint16_t b[3] = {0x3f80, 0xc040, 0x7fc0};
    for (int i = 0; i < 3; i++) {
        buf[1 + 2 * i] = (uint8_t)b[i];
        buf[2 + 2 * i] = (uint8_t)(b[i] >> 8);
    }
    CHECK_INT(ms_to_f32(MS_DTYPE_BF16, buf + 1, 3, out), 0);
    CHECK(out[0] == 1.0f && out[1] == -3.0f && isnan(out[2]));

    /* F64: the C cast's rounding (nearest, ties to even) */
    double d[8] = {
        1.0 + 0x1p-24,                   /* tie: even (1.0) */
        1.0 + 3 * 0x1p-24,               /* tie: even (1 + 2^-22) */
        1.0 + 0x1p-24 + 0x1p-40,         /* past the tie */
        (double)FLT_MAX * (1 + 0x1p-25), /* below FLT_MAX + half ulp: FLT_MAX */
        0x1.ffffffp127,                  /* FLT_MAX + half ulp: tie, goes to Inf */
        -1e300,                          /* -Inf */
        1e-40,                           /* f32 subnormal */
        NAN,
    };
    memcpy(buf + 1, d, sizeof d > 64 ? 64 : sizeof d);
    CHECK_INT(ms_to_f32(MS_DTYPE_F64, buf + 1, 8, out), 0);
    CHECK(out[0] == 1.0f);
    CHECK(out[1] == 1.0f + 0x1p-22f);
    CHECK(out[2] == 1.0f + 0x1p-23f);
    CHECK(out[3] == FLT_MAX);
    CHECK(isinf(out[4]) && out[4] > 0);
    CHECK(isinf(out[5]) && out[5] < 0);
    CHECK(out[6] == (float)1e-40 && out[6] > 0 && out[6] < FLT_MIN);
    CHECK(isnan(out[7]));
    for (int i = 0; i < 8; i++)
        if (isfinite(d[i]) && fabs(d[i]) <= FLT_MAX)
            CHECK(f2u(out[i]) == f2u((float)d[i]));

    /* other dtypes refused */
    ms_dtype others[] = {MS_DTYPE_BOOL, MS_DTYPE_U8,  MS_DTYPE_I8,  MS_DTYPE_F8_E5M2,
                         MS_DTYPE_F8_E4M3, MS_DTYPE_I16, MS_DTYPE_U16, MS_DTYPE_I32,
                         MS_DTYPE_U32,  MS_DTYPE_I64, MS_DTYPE_U64, MS_DTYPE_COUNT};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CHECK_INT(ms_to_f32(others[i], buf, 1, out), -1);
}

/* ------------------------------------------------------------ scheme table */

static void test_table(void)
{
    static const char *const names[] = {"none", "f16",  "bf16", "int8",
                                        "q8_0", "q4_0", "q4_k", "q6_k"};
    for (int i = 0; i < MS_SCHEME_COUNT; i++) {
        ms_scheme s = (ms_scheme)-1;
        CHECK_STR(ms_scheme_name((ms_scheme)i), names[i]);
        CHECK_INT(ms_scheme_parse(names[i], &s), 0);
        CHECK_INT(s, i);
        CHECK_INT(ms_scheme_parse(ms_scheme_name((ms_scheme)i), &s), 0);
        CHECK_INT(s, i);
    }
    ms_scheme s = MS_SCHEME_NONE;
    CHECK_INT(ms_scheme_parse("q4_K", &s), 0);
    CHECK_INT(s, MS_SCHEME_Q4_K);
    CHECK_INT(ms_scheme_parse("q6_K", &s), 0);
    CHECK_INT(s, MS_SCHEME_Q6_K);
    const char *bad[] = {"", "Q8_0", "q5_0", "int4", "f32", "q4_k ", "none\n", "q4_KM", "Q4_K"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = MS_SCHEME_Q8_0;
        CHECK_INT(ms_scheme_parse(bad[i], &s), -1);
        CHECK_INT(s, MS_SCHEME_Q8_0);
    }
    CHECK_INT(ms_scheme_parse(NULL, &s), -1);
    CHECK(ms_scheme_name(MS_SCHEME_COUNT) == NULL);

    CHECK_INT(ms_scheme_block(MS_SCHEME_NONE), 1);
    CHECK_INT(ms_scheme_block(MS_SCHEME_INT8), 1);
    CHECK_INT(ms_scheme_block(MS_SCHEME_Q8_0), 32);
    CHECK_INT(ms_scheme_block(MS_SCHEME_Q4_0), 32);
    CHECK_INT(ms_scheme_block(MS_SCHEME_Q4_K), 256);
    CHECK_INT(ms_scheme_block(MS_SCHEME_Q6_K), 256);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_F16, 10), 20);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_BF16, 10), 20);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_INT8, 10), 10);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_NONE, 10), 40);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_Q8_0, 4096), 128 * 34);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_Q4_0, 4096), 128 * 18);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_Q4_K, 4096), 16 * 144);
    CHECK_INT(ms_scheme_row_bytes(MS_SCHEME_Q6_K, 4096), 16 * 210);
    CHECK_INT(ms_scheme_storage_dtype(MS_SCHEME_F16), MS_DTYPE_F16);
    CHECK_INT(ms_scheme_storage_dtype(MS_SCHEME_BF16), MS_DTYPE_BF16);
    CHECK_INT(ms_scheme_storage_dtype(MS_SCHEME_INT8), MS_DTYPE_I8);
    CHECK_INT(ms_scheme_storage_dtype(MS_SCHEME_Q4_K), MS_DTYPE_U8);
    CHECK_INT(ms_scheme_storage_dtype(MS_SCHEME_NONE), MS_DTYPE_COUNT);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_Q8_0, 4096) == 8.5);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_Q4_0, 4096) == 4.5);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_Q4_K, 4096) == 4.5);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_Q6_K, 4096) == 6.5625);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_F16, 4096) == 16);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_BF16, 4096) == 16);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_INT8, 4096) == 8.0078125);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_INT8, 32) == 9);
    CHECK(ms_scheme_bits_per_weight(MS_SCHEME_NONE, 4096) == 32);
    for (int i = 0; i < MS_SCHEME_COUNT; i++) {
        int want = i != MS_SCHEME_NONE && i != MS_SCHEME_F16 && i != MS_SCHEME_BF16;
        CHECK_INT(ms_scheme_needs_finite((ms_scheme)i), want);
    }
}

/* -ffp-contract=off really is in effect for the quantizers. */
static void test_contract(void)
{
    volatile float a = 1.0f + 0x1p-12f, c = -(1.0f + 0x1p-11f);
    /* a*a = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 unfused; fused keeps 2^-24 */
    CHECK(ms_quant_contract_probe(a, a, c) == 0.0f);
    CHECK(fmaf(a, a, c) == 0x1p-24f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
        return 2;
    }
    vec_dir = argv[1];
    test_vectors();
    test_f16();
    test_bf16();
    test_float_rows();
    test_int8();
    test_special();
    test_to_f32();
    test_table();
    test_contract();
    return check_finish("compress-quant");
}
