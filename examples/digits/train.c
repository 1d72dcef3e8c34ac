/*
 * modelseal digits example: train a 64-128-10 MLP on the UCI handwritten
 * digits and write it as safetensors with a config and a model card.
 *
 *   train DIGITS_CSV_GZ OUTDIR [--seed N] [--epochs N]
 *
 * Writes OUTDIR/model.safetensors, OUTDIR/config.json, OUTDIR/README.md.
 *
 * Training: inputs scaled by 1/16; Linear(64,128) - ReLU - Linear(128,10);
 * softmax cross-entropy (mean over the batch); Adam (lr 1e-3, beta1 0.9,
 * beta2 0.999, eps 1e-8); mini-batches of 32 drawn from a per-epoch
 * Fisher-Yates shuffle of the training rows.  Weights start He-normal
 * (std sqrt(2/fan_in)), biases at zero.  Every random number comes from
 * splitmix64 seeded with --seed (default 1), and OpenBLAS is limited to one
 * thread, so the same inputs give byte-identical outputs on one machine.
 * (Different CPUs may pick different sgemm kernels and round differently.)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cblas.h>

#include "digits_data.h"
#include "modelseal/safetensors.h"

#define BATCH 32
#define LR 1e-3f
#define BETA1 0.9f
#define BETA2 0.999f
#define EPS 1e-8f
#define DEFAULT_EPOCHS 50
#define DEFAULT_SEED 1

#define N_PARAMS (DIGITS_HIDDEN * DIGITS_FEATURES + DIGITS_HIDDEN + \
                  DIGITS_CLASSES * DIGITS_HIDDEN + DIGITS_CLASSES)

static void usage(FILE *f)
{
    fprintf(f, "usage: train DIGITS_CSV_GZ OUTDIR [--seed N] [--epochs N]\n"
               "Trains a 64-128-10 MLP on the digits data and writes\n"
               "OUTDIR/model.safetensors, OUTDIR/config.json and OUTDIR/README.md.\n");
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -1;
            buf[i] = c;
        }
    }
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static float *param_ptr(digits_mlp *m, size_t i)
{
    /* digits_mlp is four float arrays back to back; index them as one. */
    if (i < sizeof m->w1 / sizeof(float))
        return &m->w1[i];
    i -= sizeof m->w1 / sizeof(float);
    if (i < DIGITS_HIDDEN)
        return &m->b1[i];
    i -= DIGITS_HIDDEN;
    if (i < sizeof m->w2 / sizeof(float))
        return &m->w2[i];
    i -= sizeof m->w2 / sizeof(float);
    return &m->b2[i];
}

static void init_params(digits_mlp *m, digits_rng *r)
{
    int have = 0;
    double spare = 0.0;
    double s1 = sqrt(2.0 / DIGITS_FEATURES), s2 = sqrt(2.0 / DIGITS_HIDDEN);
    for (size_t i = 0; i < sizeof m->w1 / sizeof(float); i++)
        m->w1[i] = (float)(s1 * digits_rng_normal(r, &have, &spare));
    for (size_t i = 0; i < sizeof m->w2 / sizeof(float); i++)
        m->w2[i] = (float)(s2 * digits_rng_normal(r, &have, &spare));
    memset(m->b1, 0, sizeof m->b1);
    memset(m->b2, 0, sizeof m->b2);
}

typedef struct trainer {
    digits_mlp p, g, m, v;     /* parameters, gradients, Adam moments */
    float x[BATCH * DIGITS_FEATURES];
    int y[BATCH];
    float h[BATCH * DIGITS_HIDDEN];
    float dh[BATCH * DIGITS_HIDDEN];
    float logits[BATCH * DIGITS_CLASSES];
    float dz[BATCH * DIGITS_CLASSES];
    unsigned long long step;
} trainer;

/* One Adam step on a batch of n rows; returns the summed cross-entropy. */
static double train_batch(trainer *t, size_t n)
{
    const int b = (int)n;
    digits_mlp_forward(&t->p, t->x, n, t->h, t->logits);

    /* dz = (softmax(logits) - onehot(y)) / n */
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *l = t->logits + i * DIGITS_CLASSES;
        float *d = t->dz + i * DIGITS_CLASSES;
        float mx = l[0];
        for (int k = 1; k < DIGITS_CLASSES; k++)
            if (l[k] > mx)
                mx = l[k];
        float sum = 0.0f;
        for (int k = 0; k < DIGITS_CLASSES; k++) {
            d[k] = expf(l[k] - mx);
            sum += d[k];
        }
        loss += (double)(logf(sum) - (l[t->y[i]] - mx));
        for (int k = 0; k < DIGITS_CLASSES; k++)
            d[k] = (d[k] / sum - (k == t->y[i] ? 1.0f : 0.0f)) / (float)n;
    }

    /* dW2 = dz^T . h ; db2 = column sums of dz */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, DIGITS_CLASSES, DIGITS_HIDDEN, b,
                1.0f, t->dz, DIGITS_CLASSES, t->h, DIGITS_HIDDEN, 0.0f, t->g.w2,
                DIGITS_HIDDEN);
    for (int k = 0; k < DIGITS_CLASSES; k++) {
        float s = 0.0f;
        for (size_t i = 0; i < n; i++)
            s += t->dz[i * DIGITS_CLASSES + (size_t)k];
        t->g.b2[k] = s;
    }
    /* dh = dz . W2, masked by the ReLU */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, DIGITS_HIDDEN, DIGITS_CLASSES,
                1.0f, t->dz, DIGITS_CLASSES, t->p.w2, DIGITS_HIDDEN, 0.0f, t->dh,
                DIGITS_HIDDEN);
    for (size_t i = 0; i < n * DIGITS_HIDDEN; i++)
        if (!(t->h[i] > 0.0f))
            t->dh[i] = 0.0f;
    /* dW1 = dh^T . x ; db1 = column sums of dh */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, DIGITS_HIDDEN, DIGITS_FEATURES, b,
                1.0f, t->dh, DIGITS_HIDDEN, t->x, DIGITS_FEATURES, 0.0f, t->g.w1,
                DIGITS_FEATURES);
    for (int j = 0; j < DIGITS_HIDDEN; j++) {
        float s = 0.0f;
        for (size_t i = 0; i < n; i++)
            s += t->dh[i * DIGITS_HIDDEN + (size_t)j];
        t->g.b1[j] = s;
    }

    /* Adam */
    t->step++;
    float c1 = 1.0f - powf(BETA1, (float)t->step);
    float c2 = 1.0f - powf(BETA2, (float)t->step);
    for (size_t i = 0; i < N_PARAMS; i++) {
        float g = *param_ptr(&t->g, i);
        float *m = param_ptr(&t->m, i), *v = param_ptr(&t->v, i);
        *m = BETA1 * *m + (1.0f - BETA1) * g;
        *v = BETA2 * *v + (1.0f - BETA2) * g * g;
        float mhat = *m / c1, vhat = *v / c2;
        *param_ptr(&t->p, i) -= LR * mhat / (sqrtf(vhat) + EPS);
    }
    return loss;
}

/* Little-endian bytes of a float array (safetensors is little-endian). */
static unsigned char *le_bytes(const float *src, size_t n)
{
    unsigned char *out = malloc(n * 4);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        out[4 * i] = (unsigned char)u;
        out[4 * i + 1] = (unsigned char)(u >> 8);
        out[4 * i + 2] = (unsigned char)(u >> 16);
        out[4 * i + 3] = (unsigned char)(u >> 24);
    }
    return out;
}

static int write_safetensors(const digits_mlp *p, const char *path, const char *accuracy)
{
    static const struct {
        const char *name;
        size_t ndim;
        uint64_t shape[2];
    } spec[4] = {
        {"fc1.weight", 2, {DIGITS_HIDDEN, DIGITS_FEATURES}},
        {"fc1.bias", 1, {DIGITS_HIDDEN, 0}},
        {"fc2.weight", 2, {DIGITS_CLASSES, DIGITS_HIDDEN}},
        {"fc2.bias", 1, {DIGITS_CLASSES, 0}},
    };
    const float *src[4] = {p->w1, p->b1, p->w2, p->b2};
    size_t count[4] = {DIGITS_HIDDEN * DIGITS_FEATURES, DIGITS_HIDDEN,
                       DIGITS_CLASSES * DIGITS_HIDDEN, DIGITS_CLASSES};
    unsigned char *bytes[4] = {NULL, NULL, NULL, NULL};
    ms_error err;
    ms_error_clear(&err);
    ms_st_writer *w = NULL;
    int rc = -1;

    if (ms_st_writer_new(&w, &err) != MS_OK)
        goto out;
    for (int i = 0; i < 4; i++) {
        bytes[i] = le_bytes(src[i], count[i]);
        if (bytes[i] == NULL) {
            snprintf(err.message, sizeof err.message, "out of memory");
            goto out;
        }
        if (ms_st_writer_add(w, spec[i].name, MS_DTYPE_F32, spec[i].ndim, spec[i].shape,
                             bytes[i], &err) != MS_OK)
            goto out;
    }
    if (ms_st_writer_set_metadata(w, "modelseal.example", "digits-mlp", &err) != MS_OK ||
        ms_st_writer_set_metadata(w, "test_accuracy", accuracy, &err) != MS_OK ||
        ms_st_writer_write(w, path, &err) != MS_OK)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "train: %s: %s\n", path, err.message);
    ms_st_writer_free(w);
    for (int i = 0; i < 4; i++)
        free(bytes[i]);
    return rc;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "train: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, f) != len;
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "train: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

static int write_config(const char *path, unsigned long long seed, unsigned long long epochs,
                        size_t n_train, size_t n_test, const char *accuracy)
{
    char buf[4096];
    snprintf(buf, sizeof buf,
             "{\n"
             "  \"model_type\": \"mlp\",\n"
             "  \"architecture\": \"Linear(64,128) -> ReLU -> Linear(128,10)\",\n"
             "  \"input_size\": %d,\n"
             "  \"input_shape\": [8, 8],\n"
             "  \"input_scale\": 0.0625,\n"
             "  \"hidden_size\": %d,\n"
             "  \"hidden_activation\": \"relu\",\n"
             "  \"num_classes\": %d,\n"
             "  \"labels\": [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\"],\n"
             "  \"output\": \"logits\",\n"
             "  \"tensors\": {\n"
             "    \"fc1.weight\": [%d, %d],\n"
             "    \"fc1.bias\": [%d],\n"
             "    \"fc2.weight\": [%d, %d],\n"
             "    \"fc2.bias\": [%d]\n"
             "  },\n"
             "  \"dtype\": \"float32\",\n"
             "  \"training\": {\n"
             "    \"dataset\": \"UCI Optical Recognition of Handwritten Digits (1,797-image test set)\",\n"
             "    \"split\": \"splitmix64 Fisher-Yates shuffle, seed %llu; first n/5 rows test\",\n"
             "    \"train_rows\": %zu,\n"
             "    \"test_rows\": %zu,\n"
             "    \"loss\": \"softmax cross-entropy\",\n"
             "    \"optimizer\": \"adam\",\n"
             "    \"learning_rate\": 0.001,\n"
             "    \"batch_size\": %d,\n"
             "    \"epochs\": %llu,\n"
             "    \"seed\": %llu\n"
             "  },\n"
             "  \"test_accuracy\": %s\n"
             "}\n",
             DIGITS_FEATURES, DIGITS_HIDDEN, DIGITS_CLASSES, DIGITS_HIDDEN, DIGITS_FEATURES,
             DIGITS_HIDDEN, DIGITS_CLASSES, DIGITS_HIDDEN, DIGITS_CLASSES,
             (unsigned long long)DIGITS_SPLIT_SEED, n_train, n_test, BATCH, epochs, seed,
             accuracy);
    return write_text(path, buf);
}

static int write_card(const char *path, unsigned long long seed, unsigned long long epochs,
                      size_t n_train, size_t n_test, size_t correct, const char *accuracy)
{
    char buf[8192];
    snprintf(buf, sizeof buf,
             "# digits-mlp\n"
             "\n"
             "A small multilayer perceptron that classifies 8x8 images of handwritten\n"
             "digits (0-9).  It is the example model of modelseal: a real, small model\n"
             "to pack, sign, verify and unpack, not a state-of-the-art classifier.\n"
             "\n"
             "## Model\n"
             "\n"
             "- Input: 64 pixel counts in 0..16 (an 8x8 image, row by row), divided by 16.\n"
             "- Linear(64, 128) -> ReLU -> Linear(128, 10); the output is 10 logits, one\n"
             "  per digit; the prediction is the argmax.\n"
             "- `model.safetensors`: `fc1.weight` [128, 64], `fc1.bias` [128],\n"
             "  `fc2.weight` [10, 128], `fc2.bias` [10], all F32, PyTorch `nn.Linear`\n"
             "  layout (out x in).  `config.json` repeats the sizes.\n"
             "\n"
             "## Data and license\n"
             "\n"
             "UCI Machine Learning Repository, \"Optical Recognition of Handwritten\n"
             "Digits\" (E. Alpaydin, C. Kaynak, 1998), https://archive.ics.uci.edu/dataset/80,\n"
             "licensed CC BY 4.0; the 1,797-image copy distributed with scikit-learn,\n"
             "which is the UCI test set, written by 13 people.  Scanned 32x32 bitmaps\n"
             "were reduced to 8x8 blocks of on-pixel counts.  The model weights are\n"
             "derived from this data and are offered under the same license, CC BY 4.0.\n"
             "\n"
             "## Training\n"
             "\n"
             "- Split: the 1,797 rows are shuffled (Fisher-Yates, splitmix64, seed %llu);\n"
             "  the first %zu form the test set, the other %zu the training set.\n"
             "- Softmax cross-entropy, Adam (learning rate 0.001), mini-batches of %d,\n"
             "  %llu epochs, He-normal initialisation, seed %llu.\n"
             "- Trained by `examples/digits/train.c` in the modelseal repository; the\n"
             "  run is deterministic on a given machine.\n"
             "\n"
             "## Evaluation\n"
             "\n"
             "Test accuracy on the %zu held-out images: **%s** (%zu correct).\n"
             "\n"
             "## Intended use\n"
             "\n"
             "Demonstrating and testing model packaging, signing and verification;\n"
             "teaching.  Not for recognising real-world handwriting.\n"
             "\n"
             "## Limitations\n"
             "\n"
             "- Trained on %zu images from 13 writers, and the test images come from\n"
             "  the same writers, so the accuracy above overstates accuracy on new\n"
             "  handwriting.  Expect less on other writers, other scanners, or images\n"
             "  not preprocessed exactly like the UCI data (32x32 binary bitmap, 4x4\n"
             "  block counts).\n"
             "- The test set is small (%zu images): one error moves accuracy by about\n"
             "  0.3 points.\n"
             "- No calibration: the softmax of the logits is not a reliable probability.\n",
             (unsigned long long)DIGITS_SPLIT_SEED, n_test, n_train, BATCH, epochs, seed,
             n_test, accuracy, correct, n_train, n_test);
    return write_text(path, buf);
}

int main(int argc, char **argv)
{
    const char *data_path = NULL, *outdir = NULL;
    unsigned long long seed = DEFAULT_SEED, epochs = DEFAULT_EPOCHS;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], UINT64_MAX, &seed) != 0) {
                fprintf(stderr, "train: --seed: expected a non-negative integer\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], 100000, &epochs) != 0 || epochs == 0) {
                fprintf(stderr, "train: --epochs: expected an integer in 1..100000\n");
                return 2;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "train: unknown or incomplete option %s\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (data_path == NULL) {
            data_path = argv[i];
        } else if (outdir == NULL) {
            outdir = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (data_path == NULL || outdir == NULL) {
        usage(stderr);
        return 2;
    }

    openblas_set_num_threads(1);

    char err[512];
    digits_set all, train, test;
    if (digits_load(data_path, &all, err, sizeof err) != 0) {
        fprintf(stderr, "train: %s\n", err);
        return 1;
    }
    if (digits_split(&all, &train, &test) != 0) {
        fprintf(stderr, "train: out of memory\n");
        return 1;
    }
    printf("data: %zu images, %zu train, %zu test\n", all.n, train.n, test.n);

    trainer *t = calloc(1, sizeof *t);
    size_t *order = malloc(train.n * sizeof *order);
    if (t == NULL || order == NULL) {
        fprintf(stderr, "train: out of memory\n");
        return 1;
    }
    digits_rng rng;
    digits_rng_seed(&rng, seed);
    init_params(&t->p, &rng);
    for (size_t i = 0; i < train.n; i++)
        order[i] = i;

    for (unsigned long long ep = 1; ep <= epochs; ep++) {
        digits_shuffle(&rng, order, train.n);
        double loss = 0.0;
        for (size_t start = 0; start < train.n; start += BATCH) {
            size_t n = train.n - start < BATCH ? train.n - start : BATCH;
            for (size_t i = 0; i < n; i++) {
                size_t r = order[start + i];
                memcpy(t->x + i * DIGITS_FEATURES, train.x + r * DIGITS_FEATURES,
                       DIGITS_FEATURES * sizeof(float));
                t->y[i] = train.y[r];
            }
            loss += train_batch(t, n);
        }
        if (ep == 1 || ep % 5 == 0 || ep == epochs)
            printf("epoch %3llu  train loss %.4f  train accuracy %.4f\n", ep,
                   loss / (double)train.n,
                   (double)digits_mlp_correct(&t->p, &train) / (double)train.n);
    }

    size_t correct = digits_mlp_correct(&t->p, &test);
    char accuracy[32];
    snprintf(accuracy, sizeof accuracy, "%.4f", (double)correct / (double)test.n);
    printf("test accuracy: %s (%zu/%zu)\n", accuracy, correct, test.n);

    int rc = 0;
    char path[4096];
    if (make_dirs(outdir) != 0) {
        fprintf(stderr, "train: cannot create directory %s: %s\n", outdir, strerror(errno));
        rc = 1;
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/model.safetensors", outdir);
        if (write_safetensors(&t->p, path, accuracy) != 0)
            rc = 1;
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/config.json", outdir);
        if (write_config(path, seed, epochs, train.n, test.n, accuracy) != 0)
            rc = 1;
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/README.md", outdir);
        if (write_card(path, seed, epochs, train.n, test.n, correct, accuracy) != 0)
            rc = 1;
    }
    if (rc == 0)
        printf("wrote %s/model.safetensors, config.json, README.md\n", outdir);

    free(order);
    free(t);
    digits_set_free(&all);
    digits_set_free(&train);
    digits_set_free(&test);
    return rc;
}
