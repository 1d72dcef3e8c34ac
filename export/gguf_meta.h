/* The metadata of an exported GGUF: general.* from the signed metadata, modelseal.* provenance. */
#ifndef MS_EXPORT_GGUF_META_H
#define MS_EXPORT_GGUF_META_H

#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf.h"
#include "verify/view.h"

/*
 * A writer holding general.architecture (from config.json's model_type,
 * config may be NULL; written into arch too), the general.* keys of the
 * bundle's signed metadata and the modelseal.* keys that trace the file to
 * the bundle (docs/export.md section 3).
 */
ms_status ms_gguf_meta_new(const ms_view *v, const ms_report *r, const char *config,
                           size_t config_len, char *arch, size_t arch_cap, ms_gguf_writer **out,
                           ms_error *err);
/* general.file_type (the type holding most elements of the tensors of 2 or more
 * dimensions) and general.quantization_version when a tensor is quantized. */
ms_status ms_gguf_meta_types(ms_gguf_writer *w, const uint32_t *types, const uint64_t *elems,
                             const uint32_t *ndims, size_t n, ms_error *err);

#endif
