/* Unit tests for compress/fidelity.c: the figures on hand-computed inputs. */
#include <math.h>

#include "check.h"
#include "compress/fidelity.h"

/* Doubles compared exactly (the same operations as the library) and to a literal. */
#define CHECK_DBL(a, b) CHECK((a) == (b))
#define CHECK_NEAR(a, b, tol) CHECK(fabs((a) - (b)) <= (tol))

static void figures(const float *x, const float *y, size_t n, ms_fidelity *f)
{
    ms_fidelity_acc a;
    ms_fidelity_acc_init(&a);
    ms_fidelity_acc_add(&a, x, y, n);
    ms_fidelity_finish(&a, 4.5, f);
}

static void test_hand_computed(void)
{
    /* sum x^2 = 30, sum y^2 = 39, sum xy = 34, sum d^2 = 1, max |d| = 1 */
    const float x[] = {1, 2, 3, 4}, y[] = {1, 2, 3, 5};
    ms_fidelity_acc a;
    ms_fidelity_acc_init(&a);
    ms_fidelity_acc_add(&a, x, y, 4);
    CHECK_DBL(a.sum_x2, 30.0);
    CHECK_DBL(a.sum_y2, 39.0);
    CHECK_DBL(a.sum_xy, 34.0);
    CHECK_DBL(a.sum_d2, 1.0);
    CHECK_DBL(a.max_abs, 1.0);
    CHECK_INT(a.count, 4);
    CHECK_INT(a.zeros, 0);

    ms_fidelity f;
    ms_fidelity_finish(&a, 8.5, &f);
    CHECK_DBL(f.bits_per_weight, 8.5);
    CHECK_DBL(f.sqnr_db, 10.0 * log10(30.0));
    CHECK_NEAR(f.sqnr_db, 14.771212547196624, 1e-12);
    CHECK_DBL(f.cosine, 34.0 / sqrt(30.0 * 39.0));
    CHECK_NEAR(f.cosine, 0.9939990885479664, 1e-15);
    CHECK_DBL(f.rel_rmse, sqrt(1.0 / 30.0));
    CHECK_NEAR(f.rel_rmse, 0.18257418583505536, 1e-15);
    CHECK_DBL(f.max_abs_error, 1.0);
    CHECK_DBL(f.sparsity, 0.0);
    CHECK_INT(f.count, 4);
}

static void test_exact_and_zero(void)
{
    ms_fidelity f;
    const float x[] = {0.5f, -2.0f, 0.0f, 3.25f};
    figures(x, x, 4, &f);
    CHECK(isinf(f.sqnr_db) && f.sqnr_db > 0);
    CHECK_DBL(f.rel_rmse, 0.0);
    CHECK_DBL(f.cosine, 1.0);
    CHECK_DBL(f.max_abs_error, 0.0);
    CHECK_DBL(f.sparsity, 0.25);

    /* Both all zero (-0 counts as zero): exact, cosine 1, fully sparse. */
    const float z[] = {0.0f, -0.0f, 0.0f}, zz[] = {0.0f, 0.0f, -0.0f};
    figures(z, zz, 3, &f);
    CHECK(isinf(f.sqnr_db) && f.sqnr_db > 0);
    CHECK_DBL(f.cosine, 1.0);
    CHECK_DBL(f.rel_rmse, 0.0);
    CHECK_DBL(f.sparsity, 1.0);

    /* Zero original, non-zero reconstruction. */
    const float nz[] = {0.0f, 1.0f, 0.0f};
    figures(z, nz, 3, &f);
    CHECK(isinf(f.sqnr_db) && f.sqnr_db < 0);
    CHECK(isinf(f.rel_rmse));
    CHECK_DBL(f.cosine, 0.0);
    CHECK_DBL(f.max_abs_error, 1.0);
    CHECK_DBL(f.sparsity, 2.0 / 3.0);

    /* Non-zero original, all-zero reconstruction: 0 dB, cosine 0, rel_rmse 1. */
    figures(nz, z, 3, &f);
    CHECK_DBL(f.sqnr_db, 0.0);
    CHECK_DBL(f.cosine, 0.0);
    CHECK_DBL(f.rel_rmse, 1.0);
    CHECK_DBL(f.sparsity, 1.0);

    /* Nothing at all. */
    ms_fidelity_acc a;
    ms_fidelity_acc_init(&a);
    ms_fidelity_acc_add(&a, NULL, NULL, 0);
    ms_fidelity_finish(&a, 0.0, &f);
    CHECK_INT(f.count, 0);
    CHECK(isinf(f.sqnr_db) && f.sqnr_db > 0);
    CHECK_DBL(f.cosine, 1.0);
    CHECK_DBL(f.sparsity, 0.0);
}

static void test_signs(void)
{
    ms_fidelity f;
    /* Opposite vectors: cosine exactly -1, |d| up to 2. */
    const float x[] = {1, -1, 2}, y[] = {-1, 1, -2};
    figures(x, y, 3, &f);
    CHECK_DBL(f.cosine, -1.0);
    CHECK_DBL(f.max_abs_error, 4.0);
    /* sum x^2 = 6, sum d^2 = 4 + 4 + 16 = 24 */
    CHECK_DBL(f.sqnr_db, 10.0 * log10(6.0 / 24.0));
    CHECK_DBL(f.rel_rmse, 2.0);

    /* Parallel but scaled: cosine 1 (clamped if rounding overshoots). */
    const float a[] = {0.1f, 0.2f, 0.3f}, b[] = {0.2f, 0.4f, 0.6f};
    figures(a, b, 3, &f);
    CHECK(f.cosine <= 1.0);
    CHECK_NEAR(f.cosine, 1.0, 1e-15);

    /* max |x - x'| is taken in double: 1e8 - (1e8 + 8) in float is exact, 8. */
    const float big[] = {1e8f, -3.0f}, bigr[] = {100000008.0f, -2.5f};
    figures(big, bigr, 2, &f);
    CHECK_DBL(f.max_abs_error, 8.0);
}

static void test_merge(void)
{
    /* Small integers: every sum is exact, so chunked and single-pass agree bit for bit. */
    enum { N = 1000 };
    static float x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)((i * 37) % 19 - 9);
        y[i] = (float)((i * 37) % 19 - 9 + (i % 7 == 0 ? 1 : 0) - (i % 11 == 0 ? 2 : 0));
    }
    ms_fidelity_acc one, parts, chunk;
    ms_fidelity_acc_init(&one);
    ms_fidelity_acc_add(&one, x, y, N);
    ms_fidelity_acc_init(&parts);
    for (int start = 0; start < N; start += 128) {
        int n = N - start < 128 ? N - start : 128;
        ms_fidelity_acc_init(&chunk);
        ms_fidelity_acc_add(&chunk, x + start, y + start, (size_t)n);
        ms_fidelity_acc_merge(&parts, &chunk);
    }
    CHECK_DBL(parts.sum_x2, one.sum_x2);
    CHECK_DBL(parts.sum_y2, one.sum_y2);
    CHECK_DBL(parts.sum_xy, one.sum_xy);
    CHECK_DBL(parts.sum_d2, one.sum_d2);
    CHECK_DBL(parts.max_abs, one.max_abs);
    CHECK_INT(parts.count, one.count);
    CHECK_INT(parts.zeros, one.zeros);
    CHECK_DBL(one.max_abs, 2.0); /* d = -1 at multiples of 7, +2 at multiples of 11 */

    ms_fidelity f1, f2;
    ms_fidelity_finish(&one, 2.0, &f1);
    ms_fidelity_finish(&parts, 2.0, &f2);
    CHECK(memcmp(&f1, &f2, sizeof f1) == 0);

    /* Adding in two calls on one accumulator is the same as one call. */
    ms_fidelity_acc two;
    ms_fidelity_acc_init(&two);
    ms_fidelity_acc_add(&two, x, y, 500);
    ms_fidelity_acc_add(&two, x + 500, y + 500, N - 500);
    CHECK(memcmp(&two, &one, sizeof one) == 0);

    /* Merging an empty accumulator changes nothing. */
    ms_fidelity_acc empty, copy = one;
    ms_fidelity_acc_init(&empty);
    ms_fidelity_acc_merge(&copy, &empty);
    CHECK(memcmp(&copy, &one, sizeof one) == 0);
}

int main(void)
{
    test_hand_computed();
    test_exact_and_zero();
    test_signs();
    test_merge();
    return check_finish("test_fidelity");
}
