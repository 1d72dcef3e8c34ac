/*
 * modelseal: a model on disk, as given to `pack`.
 *
 * A model is either one .safetensors file or a directory.  A directory is
 * walked recursively (entries whose name starts with '.' are skipped) and
 * every regular file (symbolic links are followed: the directory is the
 * user's own input) is classified by name:
 *   weights  *.safetensors
 *   doc      *.md, LICENSE*, NOTICE*, COPYING* (case-insensitive)
 *   code     *.py
 *   config   *.json, *.txt, *.model, *.tiktoken, *.jinja, *.yaml, *.yml
 * Any other file (and anything that is not a regular file or directory) is
 * refused with a message naming it, so nothing is dropped silently.  Each
 * .safetensors file is opened and validated.  A directory that holds no
 * .safetensors file anywhere is refused, as are more than
 * MS_MODEL_MAX_FILES files and symbolic links that loop back to an
 * enclosing directory.
 *
 * Cross-file rules apply per directory, so that components kept in their
 * own subdirectories (text_encoder/, vae/, ...) may reuse tensor names.
 * When a directory holds an index, *.safetensors.index.json such as
 * model.safetensors.index.json (a sharded model), its weight_map must name
 * exactly the tensors of the shards it references, each in the shard that
 * holds it; shards are plain file names in the index's own directory; no
 * tensor may appear in two shards; every .safetensors file of the directory
 * must be referenced by an index; and metadata.total_size, when given, must
 * equal the sum of the tensors' byte sizes.  Without an index, no tensor
 * name may appear in two .safetensors files of the same directory.
 */
#ifndef MODELSEAL_MODEL_H
#define MODELSEAL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_MODEL_MAX_FILES 4096

typedef enum ms_file_kind {
    MS_FILE_WEIGHTS,
    MS_FILE_CONFIG,
    MS_FILE_DOC,
    MS_FILE_CODE,
} ms_file_kind;

typedef struct ms_model_file {
    const char *relpath;    /* '/'-separated path relative to the model root */
    const char *path;       /* path to open on disk */
    ms_file_kind kind;
    uint64_t size;
    ms_safetensors *st;     /* validated reader for MS_FILE_WEIGHTS, else NULL */
} ms_model_file;

typedef struct ms_model ms_model;

/*
 * Open path (a .safetensors file or a directory).  A single file is a model
 * of one MS_FILE_WEIGHTS file whose relpath is its base name.  Statuses:
 * MS_E_IO (cannot read), MS_E_FORMAT (malformed file, index or cross-file
 * rule), MS_E_LIMIT, MS_E_UNSUPPORTED (unknown file kind), MS_E_USAGE (a
 * path that is neither a .safetensors file nor a directory).
 */
ms_status ms_model_open(const char *path, ms_model **out, ms_error *err);
void ms_model_close(ms_model *m);
/* Files sorted by relpath (byte order). */
size_t ms_model_file_count(const ms_model *m);
const ms_model_file *ms_model_file_at(const ms_model *m, size_t i);
/* Total tensors across all weight files. */
size_t ms_model_tensor_count(const ms_model *m);
/* 1 when the model is sharded (an index file was found and checked). */
int ms_model_is_sharded(const ms_model *m);

#ifdef __cplusplus
}
#endif
#endif
