/* Shared pieces of the exporters (export.c), used by safetensors.c and gguf.c. */
#ifndef MS_EXPORT_INTERNAL_H
#define MS_EXPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/export.h"
#include "verify/view.h"

/*
 * Called once per model file with the file's verified bytes (mapped,
 * read-only, valid during the call).  Files sharing one blob each get
 * their call.
 */
typedef ms_status (*ms_export_file_fn)(void *ctx, const ms_view_file *f, const uint8_t *data,
                                       size_t len, ms_error *err);

/*
 * Read every blob that holds a model file from the bundle once more, into
 * a nameless scratch file beside near_path, re-hashing it: a blob whose
 * digest is not the verified one stops the export (MS_E_REJECTED) before
 * any of its bytes is used.  Every model file must be seen.
 */
ms_status ms_export_each_file(const char *bundle, const ms_view *v, const char *near_path,
                              ms_export_file_fn fn, void *ctx, ms_error *err);

/* Write n bytes to fd; the message names `what`. */
ms_status ms_export_write(int fd, const void *p, size_t n, const char *what, ms_error *err);

/* A file ends with suffix. */
int ms_export_ends_with(const char *s, const char *suffix);

ms_status ms_export_safetensors(const ms_export_options *opt, const ms_view *v,
                                ms_export_result *res, ms_error *err);
ms_status ms_export_gguf(const ms_export_options *opt, const ms_view *v, const ms_report *r,
                         ms_export_result *res, ms_error *err);

#endif
