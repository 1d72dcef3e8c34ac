/*
 * modelseal digits example: data loading, the deterministic train/test
 * split, the PRNG, and the MLP forward pass shared by train.c and
 * evaluate.c.
 *
 * Data: digits.csv.gz, 1,797 lines of 65 comma-separated integers: 64 pixel
 * counts in 0..16 (an 8x8 image, row by row) and the label 0..9.  Inputs
 * are scaled by 1/16 to [0, 1].
 *
 * Split: a Fisher-Yates shuffle of the indices 0..n-1 driven by splitmix64
 * seeded with DIGITS_SPLIT_SEED (independent of the training seed, so every
 * model trained from this file is scored on the same images).  The first
 * n/5 shuffled indices (359 of 1,797) are the test set, the remaining 1,438
 * the training set; both keep the shuffled order.
 */
#ifndef DIGITS_DATA_H
#define DIGITS_DATA_H

#include <stddef.h>
#include <stdint.h>

#define DIGITS_FEATURES 64
#define DIGITS_HIDDEN 128
#define DIGITS_CLASSES 10
#define DIGITS_SPLIT_SEED UINT64_C(20240917)

/*
 * splitmix64 (Steele, Lea, Flood 2014; the constants of Vigna's public
 * domain reference implementation).  The state is a plain counter, so the
 * stream depends on the seed only: identical on every platform.
 */
typedef struct digits_rng {
    uint64_t state;
} digits_rng;

void digits_rng_seed(digits_rng *r, uint64_t seed);
uint64_t digits_rng_next(digits_rng *r);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
uint64_t digits_rng_below(digits_rng *r, uint64_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double digits_rng_uniform(digits_rng *r);
/* Standard normal variate (Box-Muller; both values of a pair are used). */
double digits_rng_normal(digits_rng *r, int *have_spare, double *spare);
/* Fisher-Yates shuffle of idx[0..n). */
void digits_shuffle(digits_rng *r, size_t *idx, size_t n);

typedef struct digits_set {
    size_t n;
    float *x;      /* n x DIGITS_FEATURES, row-major, values in [0, 1] */
    int *y;        /* n labels 0..9 */
} digits_set;

/*
 * Read and validate digits.csv.gz (gzip through libarchive).  Returns 0, or
 * -1 with a message in err.
 */
int digits_load(const char *path, digits_set *out, char *err, size_t errlen);

/* Split all into train and test as described above.  Returns 0 or -1 (no memory). */
int digits_split(const digits_set *all, digits_set *train, digits_set *test);

void digits_set_free(digits_set *s);

/* MLP 64-128-10 parameters, PyTorch Linear layout (out x in, row-major). */
typedef struct digits_mlp {
    float w1[DIGITS_HIDDEN * DIGITS_FEATURES];
    float b1[DIGITS_HIDDEN];
    float w2[DIGITS_CLASSES * DIGITS_HIDDEN];
    float b2[DIGITS_CLASSES];
} digits_mlp;

/*
 * Forward pass over rows [0, n) of x (cblas_sgemm): logits, n x 10, into out.
 * hidden is scratch of n x DIGITS_HIDDEN floats.
 */
void digits_mlp_forward(const digits_mlp *m, const float *x, size_t n, float *hidden,
                        float *logits);

/* Number of rows of set classified correctly (argmax, first index on ties). */
size_t digits_mlp_correct(const digits_mlp *m, const digits_set *set);

#endif
