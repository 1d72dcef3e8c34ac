/*
 * modelseal: export a verified bundle for a runtime (docs/export.md).
 *
 * The bundle is verified first, exactly as unpack verifies it; nothing is
 * written unless it verifies.  The model files are then read a second
 * time, every blob re-hashed against the verified digest before any of its
 * bytes is used, and each output file appears whole or not at all.
 */
#ifndef MODELSEAL_EXPORT_H
#define MODELSEAL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/bundle.h"
#include "modelseal/error.h"
#include "modelseal/progress.h"
#include "modelseal/trust.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_export_format {
    MS_EXPORT_SAFETENSORS = 1, /* plain safetensors shards, decoded, in a directory */
    MS_EXPORT_GGUF = 2,        /* one GGUF v3 file, quantized blocks as stored */
} ms_export_format;

typedef struct ms_export_options {
    const char *bundle_path;
    const char *output;        /* safetensors: a directory (created if missing); gguf: a file */
    ms_export_format format;
    const char *dtype;         /* safetensors: "f32", "f16" or "bf16"; gguf: NULL */
    const ms_trust *trust;
    int64_t at;                /* verification time; 0: now, unless at_set */
    int at_set;                /* 1: at is the time even when it is 0 (the epoch) */
    int force;                 /* replace existing files */
    ms_progress_fn progress;   /* NULL: no progress calls (modelseal/progress.h) */
    void *progress_user;       /* handed to progress */
} ms_export_options;

typedef struct ms_export_result {
    size_t files;              /* files written */
    size_t tensors;            /* tensors written */
    size_t converted;          /* gguf: int8 tensors (no ggml type) converted to f16/f32 */
    char kind[128];            /* what was written: "safetensors (f16)", "generic GGUF (...)" */
    char manifest_digest[80];  /* "sha256:..." of the bundle's model manifest */
} ms_export_result;

/*
 * Verify, then export.  *report receives the verification report (also on
 * rejection: MS_E_REJECTED, nothing written).  Existing outputs are
 * refused (MS_E_EXISTS) unless force; paths are opened beneath the output
 * directory and never through a symbolic link (MS_E_UNSAFE_PATH).
 */
ms_status ms_export(const ms_export_options *opt, ms_report **report, ms_export_result *res,
                    ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
