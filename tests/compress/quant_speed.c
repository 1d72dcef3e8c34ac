/*
 * Quantizer timing, one thread: quantize (and dequantize) a Gaussian
 * ROWS x COLS matrix (default 4096 x 4096, std 0.02) with every scheme and
 * print millions of weights per wall second and per CPU second of this
 * thread (the steadier figure when other jobs share the machine).
 *
 * usage: quant_speed [ROWS COLS [SCHEME]]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compress/quant.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* This thread's CPU time: steadier than the wall clock when other jobs run. */
static double cpu_now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static uint64_t state = 0x853c49e6748fea9bull;

static double uniform01(void)
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return ((double)((state * 0x2545f4914f6cdd1dull) >> 11) + 0.5) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
    size_t rows = 4096, cols = 4096;
    const char *only = NULL;
    if (argc >= 3) {
        rows = strtoul(argv[1], NULL, 10);
        cols = strtoul(argv[2], NULL, 10);
    }
    if (argc >= 4)
        only = argv[3];
    if (rows == 0 || cols == 0 || cols % 256 != 0) {
        fprintf(stderr, "COLS must be a positive multiple of 256\n");
        return 2;
    }
    size_t n = rows * cols;
    float *x = malloc(n * sizeof *x), *y = malloc(cols * sizeof *y);
    uint8_t *q = malloc(n * 4);
    if (x == NULL || y == NULL || q == NULL)
        return 1;
    for (size_t i = 0; i < n; i += 2) {
        double u1 = uniform01(), u2 = uniform01(), r = sqrt(-2.0 * log(u1));
        x[i] = (float)(0.02 * r * cos(6.283185307179586 * u2));
        if (i + 1 < n)
            x[i + 1] = (float)(0.02 * r * sin(6.283185307179586 * u2));
    }
    printf("%zu x %zu Gaussian, 1 thread\n", rows, cols);
    printf("%-6s %14s %14s %14s %14s\n", "scheme", "quant Mw/s", "dequant Mw/s",
           "quant Mw/CPU-s", "deq Mw/CPU-s");
    for (int s = 1; s < MS_SCHEME_COUNT; s++) {
        if (only != NULL && strcmp(only, ms_scheme_name((ms_scheme)s)) != 0)
            continue;
        size_t rb = ms_scheme_row_bytes((ms_scheme)s, cols);
        float scale = 0;
        double t0 = now(), c0 = cpu_now();
        for (size_t r = 0; r < rows; r++)
            ms_quantize_row((ms_scheme)s, x + r * cols, cols, q + r * rb, &scale);
        double t1 = now(), c1 = cpu_now();
        double sink = 0;
        for (size_t r = 0; r < rows; r++) {
            ms_dequantize_row((ms_scheme)s, q + r * rb, cols, scale, y);
            sink += y[r % cols];
        }
        double t2 = now(), c2 = cpu_now();
        printf("%-6s %14.1f %14.1f %14.1f %14.1f%s\n", ms_scheme_name((ms_scheme)s),
               (double)n / (t1 - t0) / 1e6, (double)n / (t2 - t1) / 1e6,
               (double)n / (c1 - c0) / 1e6, (double)n / (c2 - c1) / 1e6,
               sink == 12345.678 ? " " : "");
    }
    free(x);
    free(y);
    free(q);
    return 0;
}
