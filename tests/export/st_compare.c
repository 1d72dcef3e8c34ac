/*
 * st_compare STORED.safetensors EXPORTED.safetensors f32|f16|bf16
 *
 * The exported file must hold, for every tensor of the stored (possibly
 * modelseal-compressed) file, exactly what ms_tensor_to_f32() decodes from
 * it, in the requested dtype (f16/bf16 by the library's conversions), with
 * the tensor's logical shape; integer tensors byte for byte.  Prints the
 * first difference and exits 1; 0 when all agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/quant.h"
#include "modelseal/compress.h"
#include "modelseal/safetensors.h"

static int is_float(ms_dtype d)
{
    return d == MS_DTYPE_F32 || d == MS_DTYPE_F16 || d == MS_DTYPE_BF16 || d == MS_DTYPE_F64;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    ms_safetensors *a = NULL, *b = NULL;
    ms_error err;
    if (ms_safetensors_open(argv[1], &a, &err) != MS_OK ||
        ms_safetensors_open(argv[2], &b, &err) != MS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    ms_dtype want = strcmp(argv[3], "f16") == 0    ? MS_DTYPE_F16
                    : strcmp(argv[3], "bf16") == 0 ? MS_DTYPE_BF16
                                                   : MS_DTYPE_F32;
    int compressed = ms_safetensors_metadata_get(a, "modelseal.compression") != NULL;
    if (ms_safetensors_count(a) != ms_safetensors_count(b) ||
        ms_safetensors_metadata_get(b, "modelseal.compression") != NULL) {
        fprintf(stderr, "tensor count or compression record differs\n");
        return 1;
    }
    size_t checked = 0;
    for (size_t i = 0; i < ms_safetensors_count(a); i++) {
        const ms_tensor_info *ta = ms_safetensors_tensor(a, i);
        const ms_tensor_info *tb = ms_safetensors_find(b, ta->name);
        if (tb == NULL) {
            fprintf(stderr, "'%s' missing from the export\n", ta->name);
            return 1;
        }
        const uint8_t *pb = ms_safetensors_data(b, tb);
        float *f = NULL;
        size_t nd = 0;
        uint64_t shape[8];
        ms_status st = ms_tensor_to_f32(a, ta->name, &f, &nd, shape, &err);
        if (st == MS_E_UNSUPPORTED && !is_float(ta->dtype)) {
            if (tb->dtype != ta->dtype || tb->end - tb->begin != ta->end - ta->begin ||
                memcmp(pb, ms_safetensors_data(a, ta), ta->end - ta->begin) != 0) {
                fprintf(stderr, "'%s': integer tensor not copied as stored\n", ta->name);
                return 1;
            }
            continue;
        }
        if (st != MS_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        uint64_t n = 1;
        for (size_t d = 0; d < nd; d++)
            n *= shape[d];
        if (tb->dtype != want || tb->ndim != nd || memcmp(tb->shape, shape, nd * 8) != 0) {
            fprintf(stderr, "'%s': dtype or shape differs\n", ta->name);
            return 1;
        }
        for (uint64_t k = 0; k < n; k++) {
            int same;
            if (want == MS_DTYPE_F32) {
                same = memcmp(pb + 4 * k, &f[k], 4) == 0;
            } else {
                uint16_t h = want == MS_DTYPE_F16 ? ms_f32_to_f16(f[k]) : ms_f32_to_bf16(f[k]);
                same = memcmp(pb + 2 * k, &h, 2) == 0;
            }
            if (!same) {
                fprintf(stderr, "'%s': element %llu differs\n", ta->name, (unsigned long long)k);
                return 1;
            }
        }
        free(f);
        checked++;
    }
    printf("%zu float tensors agree with ms_tensor_to_f32 (%s input)\n", checked,
           compressed ? "compressed" : "plain");
    ms_safetensors_close(a);
    ms_safetensors_close(b);
    return 0;
}
