/*
 * modelseal: output files and what an interrupted command leaves behind.
 *
 * Every file modelseal writes (bundles, compressed models, unpacked model
 * files, reports, key files, rollback state) appears whole or not at all:
 * it is written to a file with no name (O_TMPFILE) in the target's
 * directory and linked into place when complete.  A process that dies at
 * any point, even by SIGKILL, leaves nothing, because the kernel frees a
 * nameless file when its last descriptor closes.
 *
 * Where the file system cannot make nameless files, modelseal uses a
 * hidden name, `.modelseal-tmp-` followed by 16 hex digits, beside the
 * target, and keeps it on a list until the file is committed or removed.
 * The library installs no signal handlers: a program that wants Ctrl-C or
 * SIGTERM to leave nothing behind in that case installs its own and calls
 * ms_temporaries_remove() from it, as the modelseal tool does.  Setting
 * MODELSEAL_TMPFILE=named in the environment makes modelseal use names
 * even where nameless files work (for testing that path).
 */
#ifndef MODELSEAL_FILES_H
#define MODELSEAL_FILES_H

#include <stddef.h>

#include "modelseal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Remove every named temporary file this process has open right now.
 * Async-signal-safe (atomics and unlinkat only); call it from a handler,
 * then let the signal take its default action.
 * WARNING: the files' descriptors stay open; after it returns the program
 * must not go on writing outputs, only exit.
 */
void ms_temporaries_remove(void);

/*
 * Write len bytes to path atomically (mode 0644): a report, an export.
 * An existing file is replaced; a symbolic link at path is replaced by the
 * file, never written through.  On failure path is unchanged.
 */
ms_status ms_file_write_atomic(const char *path, const void *data, size_t len, ms_error *err);

#ifdef __cplusplus
}
#endif

#endif
