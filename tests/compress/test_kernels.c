/*
 * The hand-written x86 kernels (compress/simd.h) against the portable code
 * they stand in for: q8_0, q4_0 and f16 quantization, the fidelity sums and the
 * probe outputs must come out the same, bit for bit, on varied and on awkward
 * input (rounding ties, values a hair either side of a tie, zero,
 * subnormal and non-finite blocks, lengths that leave tails).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __x86_64__
#include <cpuid.h>
#endif

#include "check.h"
#include "compress/fidelity.h"
#include "compress/probes.h"
#include "compress/quant.h"
#include "compress/simd.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next_u32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static float uniform(float lo, float hi)
{
    return lo + (hi - lo) * (float)(next_u32() >> 8) * 0x1p-24f;
}

/* Run f with the x86 kernels on (when the CPU has them) and off. */
#define BOTH(on_stmt, off_stmt)                                                            \
    do {                                                                                   \
        ms_x86_kernels_disable(0);                                                         \
        on_stmt;                                                                           \
        ms_x86_kernels_disable(1);                                                         \
        off_stmt;                                                                          \
        ms_x86_kernels_disable(0);                                                         \
    } while (0)

enum { Q8_BLOCK = 32, Q8_BYTES = 34, Q4_BYTES = 18 };

typedef void (*row_fn)(const float *x, size_t n, void *out);

static int rows_same(row_fn fn, size_t block_bytes, const float *x, size_t n)
{
    size_t bytes = n / Q8_BLOCK * block_bytes;
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    int same = 0;
    if (a != NULL && b != NULL) {
        memset(a, 0xAA, bytes);
        memset(b, 0x55, bytes);
        BOTH(fn(x, n, a), fn(x, n, b));
        same = memcmp(a, b, bytes) == 0;
    }
    free(a);
    free(b);
    return same;
}

static int q8_0_same(const float *x, size_t n)
{
    return rows_same(ms_quant_q8_0_row, Q8_BYTES, x, n);
}

static int q4_0_same(const float *x, size_t n)
{
    return rows_same(ms_quant_q4_0_row, Q4_BYTES, x, n);
}

static void test_q8_0(void)
{
    enum { N = 32 * 64 };
    float x[N];
    /* Blocks whose largest value is 127 have d = 1 and 1/d = 1: the values
     * themselves are rounded, so every tie and its neighbours can be set. */
    size_t i = 0;
    for (int k = -127; k <= 126 && i + 3 <= N; k++) {
        float t = (float)k + 0.5f;
        if (i % Q8_BLOCK == 0)
            x[i++] = 127.0f;
        x[i++] = t;
        if (i % Q8_BLOCK == 0)
            x[i++] = 127.0f;
        x[i++] = nextafterf(t, 0.0f);
        if (i % Q8_BLOCK == 0)
            x[i++] = 127.0f;
        x[i++] = nextafterf(t, t > 0 ? INFINITY : -INFINITY);
    }
    const float edge[] = {0.5f, -0.5f, 0x1.fffffep-2f, -0x1.fffffep-2f, 0x1.000002p-1f,
                          1.5f, -1.5f, 0.0f, -0.0f, 126.5f, -126.5f, 127.0f, -127.0f};
    for (size_t e = 0; i < N; i++, e++)
        x[i] = i % Q8_BLOCK == 0 ? -127.0f : edge[e % (sizeof edge / sizeof edge[0])];
    CHECK(q8_0_same(x, N));

    /* Random blocks over many scales, one with a lone huge value. */
    for (int round = 0; round < 50; round++) {
        float scale = ldexpf(1.0f, (int)(next_u32() % 200) - 100);
        for (size_t j = 0; j < N; j++)
            x[j] = uniform(-1.0f, 1.0f) * scale;
        x[next_u32() % N] = 3e4f * scale;
        CHECK(q8_0_same(x, N));
    }

    /* Special blocks: all zero, f32 subnormal (1/d overflows), Inf, NaN,
     * and a mix; the x86 kernel hands these to the portable block code. */
    for (size_t j = 0; j < N; j++)
        x[j] = uniform(-3.0f, 3.0f);
    for (int j = 0; j < Q8_BLOCK; j++) {
        x[0 * Q8_BLOCK + j] = 0.0f;
        x[1 * Q8_BLOCK + j] = (float)(j + 1) * 0x1p-140f;
        x[3 * Q8_BLOCK + j] = (float)j * 0x1p-120f;
    }
    x[2 * Q8_BLOCK + 5] = INFINITY;
    x[4 * Q8_BLOCK + 7] = NAN;
    x[5 * Q8_BLOCK + 1] = -INFINITY;
    x[6 * Q8_BLOCK] = FLT_MAX;
    x[7 * Q8_BLOCK] = FLT_MIN;
    CHECK(q8_0_same(x, N));
}

static void test_q4_0(void)
{
    enum { N = 32 * 64 };
    float x[N];
    /* Blocks whose value of largest magnitude is -8 have d = 1 and 1/d = 1:
     * x + 8.5 then lands on every integer and a hair either side. */
    for (size_t i = 0; i < N; i++) {
        if (i % Q8_BLOCK == 0) {
            x[i] = -8.0f;
            continue;
        }
        float t = (float)(int)(i % 17) - 8.5f; /* x + 8.5 = 0 .. 16 */
        switch (i % 3) {
        case 0: x[i] = t; break;
        case 1: x[i] = nextafterf(t, 0.0f); break;
        default: x[i] = nextafterf(t, t > 0 ? INFINITY : -INFINITY); break;
        }
        if (x[i] < -8.0f || x[i] > 8.0f)
            x[i] = 0.0f;
    }
    CHECK(q4_0_same(x, N));
    /* Ties for the largest magnitude: the first one's sign decides. */
    for (size_t i = 0; i < N; i++)
        x[i] = uniform(-1.0f, 1.0f);
    for (int b = 0; b < 64; b++) {
        x[b * Q8_BLOCK + (b % 32)] = (b & 1) ? 2.0f : -2.0f;
        x[b * Q8_BLOCK + 31 - (b % 32)] = (b & 1) ? -2.0f : 2.0f;
    }
    CHECK(q4_0_same(x, N));
    for (int round = 0; round < 50; round++) {
        float scale = ldexpf(1.0f, (int)(next_u32() % 200) - 100);
        for (size_t j = 0; j < N; j++)
            x[j] = uniform(-1.0f, 1.0f) * scale;
        CHECK(q4_0_same(x, N));
    }
    for (int j = 0; j < Q8_BLOCK; j++) {
        x[0 * Q8_BLOCK + j] = 0.0f;
        x[1 * Q8_BLOCK + j] = (float)(j + 1) * 0x1p-140f;
        x[3 * Q8_BLOCK + j] = -(float)j * 0x1p-124f;
    }
    x[2 * Q8_BLOCK + 5] = INFINITY;
    x[4 * Q8_BLOCK + 7] = NAN;
    x[5 * Q8_BLOCK] = -FLT_MAX;
    x[6 * Q8_BLOCK] = FLT_MIN;
    CHECK(q4_0_same(x, N));
}

static void test_f16(void)
{
    /* A sweep of all float bit patterns (every 4093rd, plus every NaN
     * pattern class and the edges), 4096 at a time. */
    enum { N = 4096 };
    static float x[N];
    static uint8_t a[2 * N], b[2 * N];
    const uint32_t edges[] = {0x00000000u, 0x80000000u, 0x00000001u, 0x33000000u, 0x33000001u,
                              0x387fc000u, 0x387fe000u, 0x38800000u, 0x477fe000u, 0x477fefffu,
                              0x477ff000u, 0x7f7fffffu, 0x7f800000u, 0xff800000u, 0x7f800001u,
                              0x7fc00000u, 0xffffffffu, 0x7fbfffffu, 0x7f802000u, 0xff801fffu};
    size_t n = 0;
    for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++)
        memcpy(&x[n++], &edges[e], 4);
    int same = 1;
    for (uint64_t u = 0; u <= 0xffffffffu; u += 4093) {
        uint32_t v = (uint32_t)u;
        memcpy(&x[n++], &v, 4);
        if (n == N || u + 4093 > 0xffffffffu) {
            /* odd lengths: the vector loop and its scalar tail */
            size_t len = n == N ? N - (u % 7) : n;
            BOTH(ms_quant_f16_row(x, len, a), ms_quant_f16_row(x, len, b));
            same &= memcmp(a, b, 2 * len) == 0;
            n = 0;
        }
    }
    CHECK(same);
}

static int acc_same(const ms_fidelity_acc *a, const ms_fidelity_acc *b)
{
    return memcmp(&a->sum_x2, &b->sum_x2, sizeof(double)) == 0 &&
           memcmp(&a->sum_y2, &b->sum_y2, sizeof(double)) == 0 &&
           memcmp(&a->sum_xy, &b->sum_xy, sizeof(double)) == 0 &&
           memcmp(&a->sum_d2, &b->sum_d2, sizeof(double)) == 0 &&
           memcmp(&a->max_abs, &b->max_abs, sizeof(double)) == 0 && a->count == b->count &&
           a->zeros == b->zeros;
}

static void test_fidelity(void)
{
    enum { N = 4099 };
    static float x[N], y[N];
    const size_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 100, 4096, 4099};
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < N; i++) {
            x[i] = uniform(-2.0f, 2.0f) * ldexpf(1.0f, (int)(next_u32() % 40) - 20);
            switch (next_u32() % 8) {
            case 0: y[i] = 0.0f; break;
            case 1: y[i] = -0.0f; break;
            case 2: y[i] = x[i]; break;
            /* far from x: x - y has more bits than a double's product keeps */
            case 3: y[i] = uniform(-1.0f, 1.0f) * ldexpf(1.0f, (int)(next_u32() % 60) - 30); break;
            default: y[i] = x[i] * uniform(0.9f, 1.1f); break;
            }
        }
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            ms_fidelity_acc a, b;
            ms_fidelity_acc_init(&a);
            ms_fidelity_acc_init(&b);
            BOTH(ms_fidelity_acc_add(&a, x, y, lengths[l]),
                 ms_fidelity_acc_add(&b, x, y, lengths[l]));
            CHECK(acc_same(&a, &b));
        }
    }
    /* A NaN difference is skipped by the maximum on both paths alike. */
    x[3] = NAN;
    y[12] = NAN;
    ms_fidelity_acc a, b;
    ms_fidelity_acc_init(&a);
    ms_fidelity_acc_init(&b);
    BOTH(ms_fidelity_acc_add(&a, x, y, 64), ms_fidelity_acc_add(&b, x, y, 64));
    CHECK(memcmp(&a.max_abs, &b.max_abs, sizeof(double)) == 0);
    CHECK_INT(a.zeros, b.zeros);
}

static void test_probes(void)
{
    enum { IN = 4101, OUT = 8, K = 4 };
    static float w1[4][IN], w2[4][IN], x[K * IN];
    static double xd[IN * 4];
    const size_t lengths[] = {1, 3, 4, 5, 31, 64, 4096, 4101};
    for (int round = 0; round < 10; round++) {
        for (size_t i = 0; i < (size_t)K * IN; i++)
            x[i] = uniform(-3.0f, 3.0f);
        for (int q = 0; q < 4; q++)
            for (size_t i = 0; i < IN; i++) {
                w1[q][i] = uniform(-1.0f, 1.0f) * ldexpf(1.0f, (int)(next_u32() % 30) - 15);
                w2[q][i] = w1[q][i] * uniform(0.95f, 1.05f);
            }
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            size_t in = lengths[l];
            ms_probe_transpose(x, K, in, xd);
            const float *p1[4] = {w1[0], w1[1], w1[2], w1[3]};
            const float *p2[4] = {w2[0], w2[1], w2[2], w2[3]};
            float ya1[K * OUT], ya2[K * OUT], yb1[K * OUT], yb2[K * OUT];
            memset(ya1, 0, sizeof ya1);
            memset(ya2, 0, sizeof ya2);
            memset(yb1, 0, sizeof yb1);
            memset(yb2, 0, sizeof yb2);
            BOTH(ms_probe_rows_pair(xd, K, in, 4, p1, p2, OUT, 2, ya1, ya2),
                 ms_probe_rows_pair(xd, K, in, 4, p1, p2, OUT, 2, yb1, yb2));
            CHECK_MEM(ya1, yb1, sizeof ya1);
            CHECK_MEM(ya2, yb2, sizeof ya2);
            /* and both are the one-row-at-a-time reference */
            float yr1[K * OUT], yr2[K * OUT];
            memcpy(yr1, ya1, sizeof yr1);
            memcpy(yr2, ya2, sizeof yr2);
            for (int q = 0; q < 4; q++)
                ms_probe_row_pair(x, K, in, w1[q], w2[q], OUT, 2 + (size_t)q, yr1, yr2);
            CHECK_MEM(ya1, yr1, sizeof ya1);
            CHECK_MEM(ya2, yr2, sizeof ya2);
        }
    }
}

int main(void)
{
#ifdef MS_X86_KERNELS
    unsigned a, b, c = 0, d;
    int has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
    /* where the CPU has them, the kernels must be in use */
    CHECK_INT(ms_x86_kernels(), has);
    printf("# x86 kernels: %s\n", has ? "on (compared with the portable code)"
                                     : "off (this CPU lacks AVX2, FMA or F16C)");
#else
    CHECK_INT(ms_x86_kernels(), 0);
    printf("# x86 kernels: not built\n");
#endif
    ms_x86_kernels_disable(1);
    CHECK_INT(ms_x86_kernels(), 0);
    ms_x86_kernels_disable(0);
    test_q8_0();
    test_q4_0();
    test_f16();
    test_fidelity();
    test_probes();
    return check_finish("test_kernels");
}
