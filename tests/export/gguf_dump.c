/*
 * gguf_dump FILE: what modelseal's own GGUF reader (gguf/read.c) sees, one
 * line per tensor (NAME TYPE DIMS), the same lines as gguf_check.py prints,
 * so the test can compare the two readers.  Exit 3 and the message when
 * the reader refuses the file.
 */
#include <stdio.h>

#include "gguf/gguf.h"

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    ms_gguf *g = NULL;
    ms_error err;
    if (ms_gguf_open(argv[1], &g, &err) != MS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 3;
    }
    for (size_t i = 0; i < ms_gguf_tensor_count(g); i++) {
        const ms_gguf_tensor *t = ms_gguf_tensor_at(g, i);
        char type[16];
        snprintf(type, sizeof type, "%s", ms_ggml_type_name(t->type));
        for (char *c = type; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        printf("%s %s", t->name, type);
        for (uint32_t d = 0; d < t->ndim; d++)
            printf("%s%llu", d ? "x" : " ", (unsigned long long)t->dims[d]);
        printf("\n");
    }
    ms_gguf_close(g);
    return 0;
}
