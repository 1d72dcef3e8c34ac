/*
 * Replays every file of a corpus directory (argv[1]) through
 * LLVMFuzzerTestOneInput, so the corpus runs as a plain test without
 * libFuzzer.  Fails if the directory cannot be read or holds no inputs.
 * The name of the input being run is published in fuzz_replay_input_name
 * (targets that care declare it weak: it does not exist under libFuzzer).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const char *fuzz_replay_input_name;
const char *fuzz_replay_input_name;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (d == NULL) {
        perror(argv[1]);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (grown == NULL || (grown[n] = strdup(de->d_name)) == NULL) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        names = grown;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    size_t ran = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        struct stat sb;
        FILE *f = NULL;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            f = fopen(path, "rb");
        if (f != NULL) {
            /* A fresh heap copy of exactly the input size, so ASan sees any overread. */
            uint8_t *buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
            if (buf == NULL) {
                fprintf(stderr, "%s: out of memory\n", path);
                return 1;
            }
            size_t len = fread(buf, 1, (size_t)sb.st_size, f);
            fclose(f);
            /* Named first, so a crash or abort in the log shows which input did it. */
            printf("%s (%zu bytes)\n", names[i], len);
            fflush(stdout);
            fuzz_replay_input_name = names[i];
            LLVMFuzzerTestOneInput(buf, len);
            fuzz_replay_input_name = NULL;
            free(buf);
            ran++;
        }
        free(names[i]);
    }
    free(names);
    printf("replayed %zu inputs from %s\n", ran, argv[1]);
    return ran > 0 ? 0 : 1;
}
