/*
 * libFuzzer target for the safetensors reader.  Besides not crashing, an
 * accepted image must satisfy the reader's promises: tensors sorted and
 * findable by name, spans inside the data section and tiling it exactly,
 * metadata sorted; a refusal carries a message free of control bytes.  A
 * broken promise aborts, so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_safetensors *st = NULL;
    ms_error err;
    if (ms_safetensors_open_memory(data, size, "fuzz", &st, &err) != MS_OK) {
        if (st != NULL || err.message[0] == '\0')
            abort();
        /* Messages quote names from the input; they must stay free of control bytes. */
        for (const char *c = err.message; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
                abort();
        return 0;
    }
    uint64_t data_size = ms_safetensors_data_size(st);
    if (ms_safetensors_file_size(st) != size || data_size > size - 8)
        abort();
    uint64_t total = 0;
    volatile uint8_t sink = 0;
    size_t n = ms_safetensors_count(st);
    for (size_t i = 0; i < n; i++) {
        const ms_tensor_info *t = ms_safetensors_tensor(st, i);
        if (t == NULL || t->begin > t->end || t->end > data_size)
            abort();
        if (i > 0 && strcmp(ms_safetensors_tensor(st, i - 1)->name, t->name) >= 0)
            abort();
        if (ms_safetensors_find(st, t->name) != t || ms_dtype_name(t->dtype) == NULL ||
            t->ndim > MS_SAFETENSORS_MAX_DIMS)
            abort();
        const uint8_t *p = ms_safetensors_data(st, t);
        if (p == NULL || p < data || p + (t->end - t->begin) > data + size)
            abort();
        if (t->end > t->begin)
            sink ^= p[0] ^ p[t->end - t->begin - 1];
        total += t->end - t->begin;
    }
    /* Tiling: the spans add up to the data section exactly. */
    if (total != data_size)
        abort();
    size_t nm = ms_safetensors_metadata_count(st);
    for (size_t i = 0; i < nm; i++) {
        const char *k = ms_safetensors_metadata_key(st, i);
        if (k == NULL || ms_safetensors_metadata_get(st, k) != ms_safetensors_metadata_value(st, i))
            abort();
        if (i > 0 && strcmp(ms_safetensors_metadata_key(st, i - 1), k) >= 0)
            abort();
    }
    (void)sink;
    ms_safetensors_close(st);
    return 0;
}
