/* Internal side of compression, shared by ms_compress_file and pack. */
#ifndef MS_COMPRESS_COMPRESS_H
#define MS_COMPRESS_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "compress/recipe.h"
#include "modelseal/compress.h"
#include "modelseal/safetensors.h"

#define MS_META_COMPRESSION "modelseal.compression"

/*
 * Stored rows: the scheme's row, except int8, whose row is its float scale
 * (4 bytes, little-endian) followed by the codes, so each stored tensor is
 * self-contained.
 */
size_t ms_stored_row_bytes(ms_scheme s, size_t cols);
void ms_stored_quantize_row(ms_scheme s, const float *x, size_t n, uint8_t *out);
void ms_stored_dequantize_row(ms_scheme s, const uint8_t *q, size_t n, float *y);

/* The recipe options ask for: a recipe file, or --quantize/--prune. */
ms_status ms_compress_recipe_from(const ms_compress_options *o, ms_recipe **out, ms_error *err);

/* A report being built over one or more files (takes ownership of recipe). */
ms_status ms_compress_report_new(const ms_compress_options *opt, ms_recipe *recipe,
                                 const uint8_t seed[32], ms_compress_report **out,
                                 ms_error *err);
/* out_path is a final product, not read back soon: write it around the page cache. */
#define MS_COMPRESS_OUT_DIRECT 1u
/*
 * A scratch copy (pack): written beside out_path without a name, never put
 * in place; *out_fd receives its descriptor, which the caller closes.
 */
#define MS_COMPRESS_OUT_SCRATCH 2u

/*
 * Compress every tensor of `in` into out_path; `label` names the file in the
 * report (its path inside the model).  Probe outputs are kept in the report.
 * flags: MS_COMPRESS_OUT_* bits.  With sha256 (32 bytes) and size not NULL,
 * the written file's SHA-256 and length, computed as it is written.
 * out_fd: for MS_COMPRESS_OUT_SCRATCH, else NULL.
 */
ms_status ms_compress_tensors(ms_compress_report *r, const ms_safetensors *in, const char *label,
                              const char *out_path, unsigned flags, int *out_fd, uint8_t *sha256,
                              uint64_t *size, ms_error *err);
/* After all files: refuse recipe rules that matched nothing; compute totals. */
ms_status ms_compress_report_finish(ms_compress_report *r, ms_error *err);
/* Write the probes file (safetensors, F32 outputs, generator metadata). */
ms_status ms_compress_write_probes(const ms_compress_report *r, const char *path, ms_error *err);
/* The same as a scratch file beside near_path (*fd, its SHA-256 and size). */
ms_status ms_compress_write_probes_scratch(const ms_compress_report *r, const char *near_path,
                                           int *fd, uint8_t sha256[32], uint64_t *size,
                                           ms_error *err);
/* 1 if any probe was recorded. */
int ms_compress_has_probes(const ms_compress_report *r);
/* The canonical recipe JSON used (malloc'd). */
char *ms_compress_recipe_json(const ms_compress_report *r);

#endif
