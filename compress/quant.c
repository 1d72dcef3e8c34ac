/*
 * Quantization schemes: names, sizes, dispatch, and the input conversion
 * to float.  The kernels live in quant_float.c (f16, bf16, int8) and
 * quant_ggml.c (q8_0, q4_0, q4_k, q6_k); all three files are built with
 * -ffp-contract=off (compress/meson.build).
 */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include "compress/quant.h"
#include "compress/simd.h"

#include <float.h>
#include <math.h>
#include <string.h>
#ifdef MS_X86_KERNELS
#include <cpuid.h>
#endif

static int x86_disabled;

int ms_x86_kernels(void)
{
#ifdef MS_X86_KERNELS
    /* -1: not asked yet; every thread that asks finds the same answer */
    static int have = -1;
    int h = __atomic_load_n(&have, __ATOMIC_RELAXED);
    if (h < 0) {
        /* F16C from CPUID itself: clang 14's __builtin_cpu_supports lacks
         * it; the AVX2 test already covers the OS saving YMM state */
        unsigned a, b, c = 0, d;
        h = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
            __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
        __atomic_store_n(&have, h, __ATOMIC_RELAXED);
    }
    return h && !__atomic_load_n(&x86_disabled, __ATOMIC_RELAXED);
#else
    return 0;
#endif
}

void ms_x86_kernels_disable(int off)
{
    __atomic_store_n(&x86_disabled, off != 0, __ATOMIC_RELAXED);
}

static const char *const scheme_names[MS_SCHEME_COUNT] = {
    [MS_SCHEME_NONE] = "none", [MS_SCHEME_F16] = "f16",   [MS_SCHEME_BF16] = "bf16",
    [MS_SCHEME_INT8] = "int8", [MS_SCHEME_Q8_0] = "q8_0", [MS_SCHEME_Q4_0] = "q4_0",
    [MS_SCHEME_Q4_K] = "q4_k", [MS_SCHEME_Q6_K] = "q6_k",
};

const char *ms_scheme_name(ms_scheme s)
{
    if ((unsigned)s >= MS_SCHEME_COUNT)
        return NULL;
    return scheme_names[s];
}

int ms_scheme_parse(const char *name, ms_scheme *out)
{
    if (name == NULL)
        return -1;
    for (unsigned i = 0; i < MS_SCHEME_COUNT; i++) {
        if (strcmp(name, scheme_names[i]) == 0) {
            if (out != NULL)
                *out = (ms_scheme)i;
            return 0;
        }
    }
    /* ggml spells the K types with a capital K. */
    ms_scheme s;
    if (strcmp(name, "q4_K") == 0)
        s = MS_SCHEME_Q4_K;
    else if (strcmp(name, "q6_K") == 0)
        s = MS_SCHEME_Q6_K;
    else
        return -1;
    if (out != NULL)
        *out = s;
    return 0;
}

size_t ms_scheme_block(ms_scheme s)
{
    switch (s) {
    case MS_SCHEME_NONE:
    case MS_SCHEME_F16:
    case MS_SCHEME_BF16:
    case MS_SCHEME_INT8:
        return 1;
    case MS_SCHEME_Q8_0:
    case MS_SCHEME_Q4_0:
        return 32;
    case MS_SCHEME_Q4_K:
    case MS_SCHEME_Q6_K:
        return 256;
    default:
        return 0;
    }
}

size_t ms_scheme_row_bytes(ms_scheme s, size_t n)
{
    switch (s) {
    case MS_SCHEME_NONE:
        return 4 * n;
    case MS_SCHEME_F16:
    case MS_SCHEME_BF16:
        return 2 * n;
    case MS_SCHEME_INT8:
        return n;
    case MS_SCHEME_Q8_0:
        return n / 32 * 34;
    case MS_SCHEME_Q4_0:
        return n / 32 * 18;
    case MS_SCHEME_Q4_K:
        return n / 256 * 144;
    case MS_SCHEME_Q6_K:
        return n / 256 * 210;
    default:
        return 0;
    }
}

ms_dtype ms_scheme_storage_dtype(ms_scheme s)
{
    switch (s) {
    case MS_SCHEME_F16:
        return MS_DTYPE_F16;
    case MS_SCHEME_BF16:
        return MS_DTYPE_BF16;
    case MS_SCHEME_INT8:
        return MS_DTYPE_I8;
    case MS_SCHEME_Q8_0:
    case MS_SCHEME_Q4_0:
    case MS_SCHEME_Q4_K:
    case MS_SCHEME_Q6_K:
        return MS_DTYPE_U8;
    default:
        return MS_DTYPE_COUNT;
    }
}

double ms_scheme_bits_per_weight(ms_scheme s, size_t n)
{
    switch (s) {
    case MS_SCHEME_NONE:
        return 32.0;
    case MS_SCHEME_F16:
    case MS_SCHEME_BF16:
        return 16.0;
    case MS_SCHEME_INT8:
        return n == 0 ? 8.0 : 8.0 + 32.0 / (double)n;
    case MS_SCHEME_Q8_0:
        return 34.0 * 8.0 / 32.0;
    case MS_SCHEME_Q4_0:
        return 18.0 * 8.0 / 32.0;
    case MS_SCHEME_Q4_K:
        return 144.0 * 8.0 / 256.0;
    case MS_SCHEME_Q6_K:
        return 210.0 * 8.0 / 256.0;
    default:
        return 0.0;
    }
}

int ms_scheme_needs_finite(ms_scheme s)
{
    return s == MS_SCHEME_INT8 || s == MS_SCHEME_Q8_0 || s == MS_SCHEME_Q4_0 ||
           s == MS_SCHEME_Q4_K || s == MS_SCHEME_Q6_K;
}

void ms_quantize_row(ms_scheme s, const float *x, size_t n, void *out, float *scale)
{
    switch (s) {
    case MS_SCHEME_NONE:
        if (n > 0)
            memcpy(out, x, n * sizeof *x);
        break;
    case MS_SCHEME_F16:
        ms_quant_f16_row(x, n, out);
        break;
    case MS_SCHEME_BF16:
        ms_quant_bf16_row(x, n, out);
        break;
    case MS_SCHEME_INT8: {
        float sc = ms_quant_int8_row(x, n, out);
        if (scale != NULL)
            *scale = sc;
        break;
    }
    case MS_SCHEME_Q8_0:
        ms_quant_q8_0_row(x, n, out);
        break;
    case MS_SCHEME_Q4_0:
        ms_quant_q4_0_row(x, n, out);
        break;
    case MS_SCHEME_Q4_K:
        ms_quant_q4_k_row(x, n, out);
        break;
    case MS_SCHEME_Q6_K:
        ms_quant_q6_k_row(x, n, out);
        break;
    default:
        break;
    }
}

void ms_dequantize_row(ms_scheme s, const void *q, size_t n, float scale, float *y)
{
    switch (s) {
    case MS_SCHEME_NONE:
        if (n > 0)
            memcpy(y, q, n * sizeof *y);
        break;
    case MS_SCHEME_F16:
        ms_dequant_f16_row(q, n, y);
        break;
    case MS_SCHEME_BF16:
        ms_dequant_bf16_row(q, n, y);
        break;
    case MS_SCHEME_INT8:
        ms_dequant_int8_row(q, n, scale, y);
        break;
    case MS_SCHEME_Q8_0:
        ms_dequant_q8_0_row(q, n, y);
        break;
    case MS_SCHEME_Q4_0:
        ms_dequant_q4_0_row(q, n, y);
        break;
    case MS_SCHEME_Q4_K:
        ms_dequant_q4_k_row(q, n, y);
        break;
    case MS_SCHEME_Q6_K:
        ms_dequant_q6_k_row(q, n, y);
        break;
    default:
        break;
    }
}

/*
 * Tensor bytes are little-endian (safetensors) and need not be aligned:
 * copied with memcpy on little-endian hosts, assembled from bytes elsewhere.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0
#endif

static inline float f64_to_f32(double d)
{
    /* The C cast rounds to nearest, ties to even.  Magnitudes past FLT_MAX
     * are spelled out rather than left to the cast (C leaves out-of-range
     * conversions undefined): from FLT_MAX + half an ulp (0x1.ffffffp127;
     * FLT_MAX's last bit is odd, so the tie goes up) they are +-Inf, below
     * that FLT_MAX.  NaN stays NaN. */
    double a = fabs(d);
    if (a > (double)FLT_MAX && a <= DBL_MAX) {
        float v = a >= 0x1.ffffffp127 ? INFINITY : FLT_MAX;
        return d < 0 ? -v : v;
    }
    return (float)d;
}

int ms_to_f32(ms_dtype dtype, const void *src, size_t n, float *dst)
{
    const uint8_t *restrict b = src;
    switch (dtype) {
    case MS_DTYPE_F32:
        if (HOST_LE) {
            if (n > 0)
                memcpy(dst, src, 4 * n);
            return 0;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
                         (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
            memcpy(&dst[i], &u, 4);
        }
        return 0;
    case MS_DTYPE_F16:
        ms_dequant_f16_row(src, n, dst);
        return 0;
    case MS_DTYPE_BF16:
        ms_dequant_bf16_row(src, n, dst);
        return 0;
    case MS_DTYPE_F64:
        for (size_t i = 0; i < n; i++) {
            uint64_t u = 0;
            if (HOST_LE)
                memcpy(&u, b + 8 * i, 8);
            else
                for (int k = 7; k >= 0; k--)
                    u = u << 8 | b[8 * i + (size_t)k];
            double d;
            memcpy(&d, &u, 8);
            dst[i] = f64_to_f32(d);
        }
        return 0;
    default:
        return -1;
    }
}
