/*
 * modelseal digits example: score a trained model on the held-out split.
 *
 *   evaluate DIGITS_CSV_GZ MODEL_DIR_OR_SAFETENSORS
 *
 * Loads model.safetensors (or the given .safetensors file) with the
 * modelseal reader, reads the four tensors of the 64-128-10 MLP as floats
 * (dequantizing them when the file was compressed by modelseal), and prints
 * the accuracy on the same test rows train used.  For an uncompressed model
 * whose __metadata__ records "test_accuracy", the two are compared: exit 0 if
 * they agree, 1 if not (or on any error), 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cblas.h>

#include "digits_data.h"
#include "modelseal/compress.h"
#include "modelseal/safetensors.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: evaluate DIGITS_CSV_GZ MODEL_DIR_OR_SAFETENSORS\n"
               "Prints the test accuracy of a digits MLP on the held-out split.\n");
}

/* Any stored form (F32, F16, ..., or compressed by modelseal) is read back as floats. */
static int load_tensor(const ms_safetensors *st, const char *path, const char *name,
                       size_t ndim, uint64_t d0, uint64_t d1, float *dst)
{
    float *f = NULL;
    size_t nd = 0;
    uint64_t shape[8] = {0};
    ms_error err;
    if (ms_tensor_to_f32(st, name, &f, &nd, shape, &err) != MS_OK) {
        fprintf(stderr, "evaluate: %s: %s\n", path, err.message);
        return -1;
    }
    if (nd != ndim || shape[0] != d0 || (ndim == 2 && shape[1] != d1)) {
        fprintf(stderr, "evaluate: %s: tensor %s has the wrong shape\n", path, name);
        free(f);
        return -1;
    }
    memcpy(dst, f, (size_t)(d0 * (ndim == 2 ? d1 : 1)) * sizeof *f);
    free(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 3) {
        usage(stderr);
        return 2;
    }
    const char *data_path = argv[1];
    char model_path[4096];
    struct stat sb;
    if (stat(argv[2], &sb) != 0) {
        fprintf(stderr, "evaluate: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    if (S_ISDIR(sb.st_mode))
        snprintf(model_path, sizeof model_path, "%s/model.safetensors", argv[2]);
    else
        snprintf(model_path, sizeof model_path, "%s", argv[2]);

    openblas_set_num_threads(1);

    ms_error err;
    ms_error_clear(&err);
    ms_safetensors *st = NULL;
    if (ms_safetensors_open(model_path, &st, &err) != MS_OK) {
        fprintf(stderr, "evaluate: %s\n", err.message);
        return 1;
    }
    digits_mlp *m = calloc(1, sizeof *m);
    if (m == NULL) {
        fprintf(stderr, "evaluate: out of memory\n");
        return 1;
    }
    /* A compressed model is measured, not expected to match the original's figure. */
    int compressed = ms_safetensors_metadata_get(st, "modelseal.compression") != NULL;
    if (ms_safetensors_count(st) != 4) {
        fprintf(stderr, "evaluate: %s: expected 4 tensors, found %zu\n", model_path,
                ms_safetensors_count(st));
        return 1;
    }
    if (load_tensor(st, model_path, "fc1.weight", 2, DIGITS_HIDDEN, DIGITS_FEATURES, m->w1) ||
        load_tensor(st, model_path, "fc1.bias", 1, DIGITS_HIDDEN, 0, m->b1) ||
        load_tensor(st, model_path, "fc2.weight", 2, DIGITS_CLASSES, DIGITS_HIDDEN, m->w2) ||
        load_tensor(st, model_path, "fc2.bias", 1, DIGITS_CLASSES, 0, m->b2))
        return 1;
    char recorded[64] = "";
    const char *meta = ms_safetensors_metadata_get(st, "test_accuracy");
    if (meta != NULL)
        snprintf(recorded, sizeof recorded, "%s", meta);

    ms_safetensors_close(st);

    char msg[512];
    digits_set all, train, test;
    if (digits_load(data_path, &all, msg, sizeof msg) != 0) {
        fprintf(stderr, "evaluate: %s\n", msg);
        return 1;
    }
    if (digits_split(&all, &train, &test) != 0) {
        fprintf(stderr, "evaluate: out of memory\n");
        return 1;
    }
    size_t correct = digits_mlp_correct(m, &test);
    char accuracy[32];
    snprintf(accuracy, sizeof accuracy, "%.4f", (double)correct / (double)test.n);
    printf("model: %s\n", model_path);
    printf("test accuracy: %s (%zu/%zu)\n", accuracy, correct, test.n);

    int rc = 0;
    if (compressed && recorded[0] != '\0') {
        printf("compressed model; the original measured %s at training time\n", recorded);
    } else if (recorded[0] != '\0') {
        if (strcmp(recorded, accuracy) == 0) {
            printf("matches the accuracy recorded at training time\n");
        } else {
            printf("DIFFERS from the accuracy recorded at training time (%s)\n", recorded);
            rc = 1;
        }
    }
    free(m);
    digits_set_free(&all);
    digits_set_free(&train);
    digits_set_free(&test);
    return rc;
}
