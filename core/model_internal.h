/* Shared between the model walk (model.c) and its cross-file checks (model_shards.c). */
#ifndef MS_CORE_MODEL_INTERNAL_H
#define MS_CORE_MODEL_INTERNAL_H

#include <stddef.h>

#include "modelseal/model.h"

/*
 * The per-directory rules for weight and index files; files sorted by
 * relpath.  *sharded is set to 1 when some directory has an index.
 */
ms_status ms_model_check_shards(ms_model_file *files, size_t nfiles, int *sharded, ms_error *err);

#endif
