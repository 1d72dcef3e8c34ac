/*
 * modelseal benchmark: write a large synthetic F32 safetensors file.
 *
 *   gen_model OUT.safetensors [--tensors N] [--dim D] [--seed S]
 *
 * Writes N tensors "layers.NN.weight" of shape [D, D], F32 (defaults: 16 of
 * 4096 x 4096, 64 MiB each, 1 GiB of data).  Values are standard normal
 * times 0.02 (Box-Muller over splitmix64 seeded with S, default 1); in each
 * tensor 8 columns picked by the same generator are scaled by 50, the kind
 * of outlier features real transformer weights have.  The output depends on
 * the arguments only.
 *
 * The header is written by hand (8-byte little-endian length, JSON padded
 * with spaces to a multiple of 8, then the data in name order) and each
 * tensor is streamed through a 1 MiB buffer, so memory stays small whatever
 * the file size.  The file is written to OUT.tmp and renamed into place.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTLIER_COLS 8
#define OUTLIER_SCALE 50.0
#define WEIGHT_STD 0.02

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* splitmix64 (Steele, Lea, Flood 2014) */
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Two independent standard normal variates (Box-Muller). */
static void rng_normal2(double *a, double *b)
{
    double u1 = ((double)(rng_next() >> 11) + 0.5) * 0x1.0p-53; /* (0, 1) */
    double u2 = (double)(rng_next() >> 11) * 0x1.0p-53;
    double r = sqrt(-2.0 * log(u1));
    double t = 6.283185307179586 * u2;
    *a = r * cos(t);
    *b = r * sin(t);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: gen_model OUT.safetensors [--tensors N] [--dim D] [--seed S]\n"
               "Writes N F32 tensors of D x D (default 16 x 4096 x 4096 = 1 GiB).\n");
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void put_le32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    p[0] = (unsigned char)u;
    p[1] = (unsigned char)(u >> 8);
    p[2] = (unsigned char)(u >> 16);
    p[3] = (unsigned char)(u >> 24);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    uint64_t ntensors = 16, dim = 4096, seed = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--tensors") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], 1, 1000, &ntensors) != 0) {
                fprintf(stderr, "gen_model: --tensors: expected 1..1000\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--dim") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], OUTLIER_COLS, 65536, &dim) != 0) {
                fprintf(stderr, "gen_model: --dim: expected %d..65536\n", OUTLIER_COLS);
                return 2;
            }
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], 0, UINT64_MAX, &seed) != 0) {
                fprintf(stderr, "gen_model: --seed: expected a non-negative integer\n");
                return 2;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "gen_model: unknown or incomplete option %s\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (out == NULL) {
            out = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (out == NULL) {
        usage(stderr);
        return 2;
    }

    const uint64_t tensor_bytes = dim * dim * 4;

    /* Header: names "layers.NN.weight" sort in index order (fixed width). */
    size_t cap = 256 + (size_t)ntensors * 160;
    char *hdr = malloc(cap + 8);
    unsigned char *buf = malloc(1u << 20);
    if (hdr == NULL || buf == NULL) {
        fprintf(stderr, "gen_model: out of memory\n");
        return 1;
    }
    size_t len = (size_t)snprintf(hdr, cap,
                                  "{\"__metadata__\":{\"generator\":\"modelseal bench/gen_model\","
                                  "\"seed\":\"%" PRIu64 "\"}",
                                  seed);
    for (uint64_t t = 0; t < ntensors; t++)
        len += (size_t)snprintf(hdr + len, cap - len,
                                ",\"layers.%03" PRIu64 ".weight\":{\"dtype\":\"F32\","
                                "\"shape\":[%" PRIu64 ",%" PRIu64 "],"
                                "\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}",
                                t, dim, dim, t * tensor_bytes, (t + 1) * tensor_bytes);
    hdr[len++] = '}';
    while (len % 8 != 0)
        hdr[len++] = ' ';

    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", out) >= sizeof tmp) {
        fprintf(stderr, "gen_model: path too long\n");
        return 2;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "gen_model: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    unsigned char lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (unsigned char)((uint64_t)len >> (8 * i));
    int bad = fwrite(lenbuf, 1, 8, f) != 8 || fwrite(hdr, 1, len, f) != len;

    rng_state = seed;
    double *scale = malloc(dim * sizeof *scale);
    if (scale == NULL) {
        fprintf(stderr, "gen_model: out of memory\n");
        return 1;
    }
    const size_t buf_floats = (1u << 20) / 4;
    for (uint64_t t = 0; t < ntensors && !bad; t++) {
        for (uint64_t c = 0; c < dim; c++)
            scale[c] = WEIGHT_STD;
        for (int k = 0; k < OUTLIER_COLS; k++)
            scale[rng_next() % dim] = WEIGHT_STD * OUTLIER_SCALE;
        uint64_t total = dim * dim;
        size_t used = 0;
        for (uint64_t e = 0; e < total; e += 2) {
            double a, b;
            rng_normal2(&a, &b);
            put_le32(buf + 4 * used++, (float)(a * scale[e % dim]));
            if (e + 1 < total)
                put_le32(buf + 4 * used++, (float)(b * scale[(e + 1) % dim]));
            if (used >= buf_floats - 1 || e + 2 >= total) {
                if (fwrite(buf, 4, used, f) != used) {
                    bad = 1;
                    break;
                }
                used = 0;
            }
        }
    }
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "gen_model: %s: write failed: %s\n", tmp, strerror(errno));
        remove(tmp);
        return 1;
    }
    if (rename(tmp, out) != 0) {
        fprintf(stderr, "gen_model: rename %s to %s: %s\n", tmp, out, strerror(errno));
        remove(tmp);
        return 1;
    }
    printf("%s: %" PRIu64 " tensors of [%" PRIu64 ", %" PRIu64 "] F32, %" PRIu64
           " bytes\n",
           out, ntensors, dim, dim, 8 + (uint64_t)len + ntensors * tensor_bytes);
    free(scale);
    free(buf);
    free(hdr);
    return 0;
}
