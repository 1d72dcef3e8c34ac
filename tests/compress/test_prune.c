/* Unit tests for compress/prune.c: exact masks on hand-built tensors. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "compress/fidelity.h"

/* w equals want value for value, and zeros are +0 where want has 0. */
static int same(const float *w, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (w[i] != want[i])
            return 0;
        if (want[i] == 0.0f && signbit(w[i]) && !signbit(want[i]))
            return 0;
    }
    return 1;
}

#define CHECK_SAME(w, want) CHECK(same((w), (want), sizeof(want) / sizeof((want)[0])))

static size_t zeros(const float *w, size_t n)
{
    size_t z = 0;
    for (size_t i = 0; i < n; i++)
        z += w[i] == 0.0f;
    return z;
}

static void test_magnitude_small(void)
{
    /* k = floor(0.5 * 6 + 0.5) = 3: 0.5 (index 5), then two of the three 1s, lowest index first. */
    float w[] = {3, -1, 1, 2, -1, 0.5f};
    const float want[] = {3, 0, 0, 2, -1, 0};
    CHECK_INT(ms_prune_magnitude(w, 6, 0.5), 0);
    CHECK_SAME(w, want);

    /* S = 0: untouched; S = 1: all zero, -0 included, written as +0. */
    float a[] = {1, -2, -0.0f, 4};
    const float a0[] = {1, -2, -0.0f, 4};
    CHECK_INT(ms_prune_magnitude(a, 4, 0.0), 0);
    CHECK(memcmp(a, a0, sizeof a) == 0);
    const float a1[] = {0, 0, 0, 0};
    CHECK_INT(ms_prune_magnitude(a, 4, 1.0), 0);
    CHECK_SAME(a, a1);
    CHECK(!signbit(a[2]));

    /* Odd counts with S = 0.5: halves round up. */
    float b1[] = {7};
    const float b1w[] = {0};
    CHECK_INT(ms_prune_magnitude(b1, 1, 0.5), 0);
    CHECK_SAME(b1, b1w);
    float b3[] = {-3, 1, 2};
    const float b3w[] = {-3, 0, 0};
    CHECK_INT(ms_prune_magnitude(b3, 3, 0.5), 0);
    CHECK_SAME(b3, b3w);
    float b5[] = {5, -4, 3, -2, 1};
    const float b5w[] = {5, -4, 0, 0, 0};
    CHECK_INT(ms_prune_magnitude(b5, 5, 0.5), 0);
    CHECK_SAME(b5, b5w);
    float b7[] = {1, 1, 1, 1, 1, 1, 1};
    const float b7w[] = {0, 0, 0, 0, 1, 1, 1};
    CHECK_INT(ms_prune_magnitude(b7, 7, 0.5), 0);
    CHECK_SAME(b7, b7w);

    /* 0.3 * 5 = 1.5 exactly in decimal: 2 values, whatever 0.3 is in binary. */
    float c[] = {5, 4, 3, 2, 1};
    const float cw[] = {5, 4, 3, 0, 0};
    CHECK_INT(ms_prune_magnitude(c, 5, 0.3), 0);
    CHECK_SAME(c, cw);
    /* 0.29 * 5 = 1.45: 1 value. */
    float d[] = {5, 4, 3, 2, 1};
    const float dw[] = {5, 4, 3, 2, 0};
    CHECK_INT(ms_prune_magnitude(d, 5, 0.29), 0);
    CHECK_SAME(d, dw);
    /* 0.1 * 4 + 0.5 = 0.9: nothing. */
    float e[] = {5, 4, 3, 2};
    const float ew[] = {5, 4, 3, 2};
    CHECK_INT(ms_prune_magnitude(e, 4, 0.1), 0);
    CHECK_SAME(e, ew);

    /* +0 and -0 tie: lower index first; existing zeros count among the smallest. */
    float z[] = {2, -0.0f, 0.0f, -1};
    const float zw[] = {2, 0, 0, -1};
    CHECK_INT(ms_prune_magnitude(z, 4, 0.25), 0);
    CHECK(z[1] == 0.0f && !signbit(z[1]) && z[2] == 0.0f && z[3] == -1.0f);
    CHECK_INT(ms_prune_magnitude(z, 4, 0.5), 0);
    CHECK_SAME(z, zw);

    /* Infinity is the largest magnitude; subnormals are smaller than normals. */
    float f[] = {INFINITY, 1e-40f, -1e-30f, 1.0f};
    CHECK_INT(ms_prune_magnitude(f, 4, 0.75), 0);
    CHECK(f[0] == INFINITY && f[1] == 0.0f && f[2] == 0.0f && f[3] == 0.0f);

    /* Invalid fractions leave the tensor alone. */
    float g[] = {1, 2};
    CHECK_INT(ms_prune_magnitude(g, 2, -0.1), -1);
    CHECK_INT(ms_prune_magnitude(g, 2, 1.5), -1);
    CHECK_INT(ms_prune_magnitude(g, 2, NAN), -1);
    CHECK(g[0] == 1.0f && g[1] == 2.0f);
    CHECK_INT(ms_prune_magnitude(NULL, 0, 0.5), 0);
    CHECK_INT(ms_prune_magnitude(NULL, 3, 0.5), -1);
}

/* Reference: zero the k smallest (|w|, index) by a full sort. */
typedef struct key {
    float mag;
    uint32_t index;
} key;

static int cmp_key(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    if (a->mag != b->mag)
        return a->mag < b->mag ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static uint32_t rng_state = 12345u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_magnitude_reference(void)
{
    enum { N = 100003 };
    float *w = malloc(N * sizeof *w), *ref = malloc(N * sizeof *ref);
    key *keys = malloc(N * sizeof *keys);
    if (w == NULL || ref == NULL || keys == NULL)
        abort();
    const double fractions[] = {0.37, 0.5, 0.999999, 0.000001, 0.9};
    for (int round = 0; round < 5; round++) {
        for (size_t i = 0; i < N; i++) {
            uint32_t r = rng();
            if (round % 2 == 0) /* many exact ties, both signs */
                w[i] = (float)((int)(r % 41) - 20) * 0.25f;
            else /* magnitudes spread over many exponents (radix buckets) */
                w[i] = ldexpf((float)(r % 1000) / 1000.0f + 1.0f, (int)(r >> 20) % 60 - 30) *
                       ((r & 1) ? -1.0f : 1.0f);
        }
        memcpy(ref, w, N * sizeof *w);
        for (size_t i = 0; i < N; i++) {
            keys[i].mag = fabsf(ref[i]);
            keys[i].index = (uint32_t)i;
        }
        qsort(keys, N, sizeof *keys, cmp_key);
        double s = fractions[round];
        size_t k = (size_t)floor(s * N + 0.5); /* no decimal half-way cases here */
        for (size_t i = 0; i < k; i++)
            ref[keys[i].index] = 0.0f;
        CHECK_INT(ms_prune_magnitude(w, N, s), 0);
        CHECK(memcmp(w, ref, N * sizeof *w) == 0);
    }
    /* Exactly k newly zeroed values when none were zero before. */
    for (size_t i = 0; i < N; i++)
        w[i] = (float)(i % 13) + 1.0f;
    CHECK_INT(ms_prune_magnitude(w, N, 0.123456), 0);
    CHECK_INT(zeros(w, N), 12346); /* floor(0.123456 * 100003 + 0.5) = floor(12346.47) */
    free(w);
    free(ref);
    free(keys);
}

static void test_2_4(void)
{
    /* Keep the two largest |w| of each group of 4; ties keep the lower index. */
    float w[] = {1, -4, 3, 2,      /* -4, 3 */
                 2, 2, 2, 2,       /* first two */
                 -1, 1, -1, 1,     /* first two */
                 2, -2, 1, 2,      /* 2, -2 */
                 0, 0, 0, 5,       /* 0 (index 0) and 5 */
                 -3, 1, 3, -1,     /* -3, 3 */
                 0.5f, -0.25f, 0.5f, -0.75f}; /* -0.75, first 0.5 */
    const float want[] = {0, -4, 3, 0,  2, 2, 0, 0,  -1, 1, 0, 0,  2, -2, 0, 0,
                          0, 0, 0, 5,   -3, 0, 3, 0, 0.5f, 0, 0, -0.75f};
    CHECK_INT(ms_prune_2_4(w, 1, 28), 0);
    CHECK_SAME(w, want);
}

static void test_2_4_rows(void)
{
    float w[] = {1, -4, 3, 2,   2, 2, 2, 2,
                 -1, 1, -1, 1,  2, -2, 1, 2,
                 0, 0, 0, 5,    -3, 1, 3, -1,
                 0.5f, -0.25f, 0.5f, -0.75f, 9, 8, 7, 6};
    const float want[] = {0, -4, 3, 0,  2, 2, 0, 0,
                          -1, 1, 0, 0,  2, -2, 0, 0,
                          0, 0, 0, 5,   -3, 0, 3, 0,
                          0.5f, 0, 0, -0.75f, 9, 8, 0, 0};
    CHECK_INT(ms_prune_2_4(w, 4, 8), 0);
    CHECK_SAME(w, want);
    /* Every group keeps exactly two non-zero values when it had no zeros. */
    float v[16];
    for (int i = 0; i < 16; i++)
        v[i] = (float)((i * 7) % 5) - 2.5f;
    CHECK_INT(ms_prune_2_4(v, 2, 8), 0);
    for (int g = 0; g < 4; g++)
        CHECK_INT(zeros(v + 4 * g, 4), 2);

    /* cols % 4 != 0 is refused and the tensor untouched. */
    float u[] = {1, 2, 3, 4, 5, 6};
    const float uw[] = {1, 2, 3, 4, 5, 6};
    CHECK_INT(ms_prune_2_4(u, 1, 6), -1);
    CHECK_INT(ms_prune_2_4(u, 3, 2), -1);
    CHECK_SAME(u, uw);
    CHECK_INT(ms_prune_2_4(NULL, 0, 4), 0);
    CHECK_INT(ms_prune_2_4(NULL, 3, 0), 0);
    CHECK_INT(ms_prune_2_4(u, SIZE_MAX / 2, 8), -1);
}

int main(void)
{
    test_magnitude_small();
    test_magnitude_reference();
    test_2_4();
    test_2_4_rows();
    return check_finish("test_prune");
}
