/*
 * Output files that appear whole or not at all, and scratch files that
 * never appear.
 *
 * An output is written to an unnamed file in its target directory
 * (O_TMPFILE) and linked into place on commit: a command that is killed,
 * even by SIGKILL, leaves nothing behind, because the kernel frees an
 * unnamed file when its last descriptor closes.  Where the file system
 * has no O_TMPFILE (or MODELSEAL_TMPFILE=named asks for it, for tests),
 * the file gets a random hidden name beside the target instead, and that
 * name is kept in a process-wide list until it is committed or removed:
 * ms_temporaries_remove() (include/modelseal/files.h), called from a
 * signal handler the program installs, removes every name on it.
 *
 * A scratch file (pack's compressed copies) is never linked: O_TMPFILE,
 * or a named file removed right after it is created.
 */
#ifndef MS_CORE_OUTFILE_H
#define MS_CORE_OUTFILE_H

#include <sys/types.h>

#include "modelseal/error.h"

typedef struct ms_outfile ms_outfile;

/*
 * Begin writing path (mode `mode`).  Fails with MS_E_IO naming path (the
 * name the caller gave, never a temporary's) when its directory is missing
 * or not writable, so a command can find out before it does any work.
 */
ms_status ms_outfile_open(const char *path, mode_t mode, ms_outfile **out, ms_error *err);
/* The same for the entry `leaf` of directory dirfd; `display` names it in messages. */
ms_status ms_outfile_openat(int dirfd, const char *leaf, const char *display, mode_t mode,
                            ms_outfile **out, ms_error *err);
/* The descriptor to write to (O_RDWR); owned by the outfile. */
int ms_outfile_fd(const ms_outfile *o);
/* 1 when the file has no name until commit (O_TMPFILE). */
int ms_outfile_unnamed(const ms_outfile *o);
/*
 * fsync, put the file in place (replacing an existing file when replace is
 * non-zero, else MS_E_EXISTS), fsync the directory, close.  The outfile
 * must still be freed; after a failed commit nothing is left in place.
 */
ms_status ms_outfile_commit(ms_outfile *o, int replace, ms_error *err);
/* Discard an uncommitted file (nothing remains) and release.  Accepts NULL. */
void ms_outfile_free(ms_outfile *o);

/*
 * A read-write file in the directory of near_path that no other process
 * can find and that vanishes when *fd is closed or the process dies.
 */
ms_status ms_scratch_open(const char *near_path, int *fd, ms_error *err);

#endif
