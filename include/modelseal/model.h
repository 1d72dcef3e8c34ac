/*
 * modelseal: a model on disk, as given to `pack`.
 *
 * A model is either one .safetensors file or a directory.  A directory is
 * walked recursively (entries whose name starts with '.' are skipped) and
 * every regular file is classified by name:
 *   weights  *.safetensors
 *   doc      *.md, LICENSE*, NOTICE*, COPYING* (case-insensitive)
 *   code     *.py
 *   config   *.json, *.txt, *.model, *.tiktoken, *.jinja, *.yaml, *.yml
 * Any other file (and anything that is not a regular file or directory) is
 * refused with a message naming it, so nothing is dropped silently.  Each
 * .safetensors file is opened and validated.  A directory that holds no
 * .safetensors file anywhere is refused, as are more than
 * MS_MODEL_MAX_FILES files or directories.
 *
 * Symbolic links are followed only while they stay beneath the model
 * directory, or beneath links_root with ms_model_open_under (a Hugging Face
 * cache, whose snapshots link into ../../blobs).  They are resolved one
 * component at a time there, never through /proc's magic links; a link
 * that is absolute or leads outside is refused (MS_E_UNSAFE_PATH) with the
 * link and its target in the message.  What a link leads to takes the
 * link's name in the model.  Each directory is walked once: a link back to
 * an enclosing directory, or a second way into a directory already walked,
 * is refused (MS_E_FORMAT).  Every link followed is listed, as paths
 * relative to the directory links may lead into.
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
    const char *path;       /* path to open on disk; through a link, the resolved one */
    ms_file_kind kind;
    uint64_t size;
    ms_safetensors *st;     /* validated reader for MS_FILE_WEIGHTS, else NULL */
    uint64_t dev, ino;      /* the file the walk found (st_dev, st_ino): whoever reads path
                               again checks it is still that file */
} ms_model_file;

/* A symbolic link followed by the walk; both paths relative to the link root. */
typedef struct ms_model_link {
    const char *link;
    const char *target;
} ms_model_link;

typedef struct ms_model ms_model;

/*
 * Open path (a .safetensors file or a directory).  A single file is a model
 * of one MS_FILE_WEIGHTS file whose relpath is its base name.  Statuses:
 * MS_E_IO (cannot read), MS_E_FORMAT (malformed file, index or cross-file
 * rule), MS_E_LIMIT, MS_E_UNSUPPORTED (unknown file kind), MS_E_USAGE (a
 * path that is neither a .safetensors file nor a directory), MS_E_UNSAFE_PATH
 * (a link leading outside the model directory).
 */
ms_status ms_model_open(const char *path, ms_model **out, ms_error *err);
/*
 * ms_model_open, with the links of a model directory allowed to lead
 * anywhere beneath links_root, a directory that holds the model directory
 * (MS_E_USAGE when it does not).  links_root NULL: the model directory.
 */
ms_status ms_model_open_under(const char *path, const char *links_root, ms_model **out,
                              ms_error *err);
void ms_model_close(ms_model *m);
/* Files sorted by relpath (byte order). */
size_t ms_model_file_count(const ms_model *m);
const ms_model_file *ms_model_file_at(const ms_model *m, size_t i);
/* Total tensors across all weight files. */
size_t ms_model_tensor_count(const ms_model *m);
/* 1 when the model is sharded (an index file was found and checked). */
int ms_model_is_sharded(const ms_model *m);
/* The symbolic links followed, sorted by link path (byte order). */
size_t ms_model_link_count(const ms_model *m);
const ms_model_link *ms_model_link_at(const ms_model *m, size_t i);

#ifdef __cplusplus
}
#endif
#endif
