/*
 * modelseal: compression of safetensors models (quantization, pruning),
 * with a fidelity report and integrity probes.  docs/compression.md
 * specifies the schemes, how compressed tensors are stored, the recipe and
 * report formats and the probe generator.
 */
#ifndef MODELSEAL_COMPRESS_H
#define MODELSEAL_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_compress_options {
    const char *quantize;      /* scheme for 2-D weights ("q8_0", ...), or NULL */
    const char *prune;         /* "none", "magnitude:S" or "2:4", or NULL */
    const char *recipe_path;   /* JSON recipe instead of quantize/prune, or NULL */
    int probes;                /* compute integrity probes */
    size_t probe_rows;         /* k; 0 means MS_PROBE_DEFAULT_ROWS (4) */
    const uint8_t *probe_seed; /* 32 bytes; NULL: from the input's safetensors header (docs/compression.md section 8) */
    int threads;               /* 0: all online CPUs */
    ms_progress_fn progress;   /* NULL: no progress calls (modelseal/progress.h) */
    void *progress_user;       /* handed to progress */
} ms_compress_options;

/* What a compression did: per tensor and in total.  Opaque. */
typedef struct ms_compress_report ms_compress_report;

/*
 * Compress one safetensors file into another (written atomically).  With
 * probes_path, the probe outputs are written there as a safetensors file.
 * The report (always set on MS_OK) is released with ms_compress_report_free.
 */
ms_status ms_compress_file(const char *input, const char *output, const char *probes_path,
                           const ms_compress_options *opt, ms_compress_report **report,
                           ms_error *err);

/*
 * The values of one tensor as floats, whether stored plainly (F32, F16,
 * BF16, F64) or compressed by modelseal (dequantized per the file's
 * "modelseal.compression" metadata).  *out is malloc'd (caller frees);
 * ndim/shape receive the tensor's logical shape.  MS_E_UNSUPPORTED for
 * integer tensors; MS_E_FORMAT naming the tensor when the stored bytes do not
 * match the compression record.
 */
struct ms_safetensors;
ms_status ms_tensor_to_f32(const struct ms_safetensors *st, const char *name, float **out,
                           size_t *ndim, uint64_t shape[8], ms_error *err);

/* Text table (json == 0), the JSON compression report v1 indented (1) or compact (2,
 * as stored in bundles); malloc'd. */
char *ms_compress_report_render(const ms_compress_report *r, int json);
void ms_compress_report_free(ms_compress_report *r);

/*
 * modelseal runs BLAS (verify's probe check) on the calling thread only.
 * OpenBLAS starts a pool of worker threads when it loads, and they spin for
 * about 2^28 processor cycles (some 0.1 s of a CPU, taken from the work on
 * a small machine) before they sleep.  A program that does not use
 * OpenBLAS's threads itself can call this first thing to end them at once;
 * the modelseal command does.  BLAS calls made afterwards run on the
 * caller's thread.  Safe to call more than once.
 */
void ms_blas_single_thread(void);

#ifdef __cplusplus
}
#endif
#endif
