/*
 * File-system helpers: whole-file reads with a bound, atomic replacement,
 * and creation of files under a directory without ever following a symbolic
 * link or leaving that directory.
 */
#ifndef MS_CORE_FSUTIL_H
#define MS_CORE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "modelseal/error.h"

/* Read a whole regular file of at most max bytes; *buf is malloc'd and NUL-terminated. */
ms_status ms_read_file(const char *path, size_t max, char **buf, size_t *len, ms_error *err);

/*
 * A read or write on fd failed with EINVAL while O_DIRECT is on: turn it off
 * so the caller can retry through the page cache.  0 when it is off now,
 * -1 (errno EINVAL) when it cannot be.  For file systems that refuse an
 * alignment they did not announce, or direct I/O altogether.
 */
int ms_direct_off(int fd);

/*
 * Write all n bytes to fd, retrying after EINTR and short writes.  0, or -1
 * with errno (ENOSPC when write() stops making progress).
 */
int ms_write_all(int fd, const void *p, size_t n);

/* Write len bytes to path atomically (core/outfile.h: a nameless file linked into place). */
ms_status ms_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                               ms_error *err);

/*
 * Check that a path from an untrusted document is a safe relative path:
 * non-empty, at most 4096 bytes, '/'-separated, no leading '/', no empty,
 * "." or ".." component, no backslash, no control characters.  Returns NULL
 * when safe, else a static description of the problem.
 */
const char *ms_path_problem(const char *relpath);

/*
 * Open (creating missing directories, mode 0755) the parent directory of
 * relpath under the directory dirfd, refusing to traverse any symbolic link
 * or non-directory (MS_E_UNSAFE_PATH).  *parent_fd receives a directory fd and
 * *leaf points into relpath at the last component.
 */
ms_status ms_open_parent_beneath(int dirfd, const char *relpath, int *parent_fd,
                                 const char **leaf, ms_error *err);

#endif
