/*
 * Opening files from paths a user (or a downloaded model) controls.
 *
 * ms_open_regular: every file modelseal reads from a user path is opened
 * with O_NONBLOCK (so a FIFO cannot block the open), checked with fstat to
 * be a regular file, and only then read, blocking again.
 *
 * ms_beneath_*: resolution of a relative path beneath a root directory, so
 * that no symbolic link can lead outside it (to /proc, /dev, a parent
 * directory or anywhere else).
 */
#ifndef MS_CORE_SAFEOPEN_H
#define MS_CORE_SAFEOPEN_H

#include <stdint.h>
#include <sys/stat.h>

#include "modelseal/error.h"

/*
 * Open path for reading as a regular file.  extra_flags may add O_NOFOLLOW
 * or O_DIRECT.  On success *fd is open (O_NONBLOCK cleared) and *sb, when
 * not NULL, holds its fstat.  A FIFO, device, socket or directory is
 * refused with MS_E_IO and "PATH: not a regular file (a FIFO)" and the like.
 */
ms_status ms_open_regular(const char *path, int extra_flags, int *fd, struct stat *sb,
                          ms_error *err);

/* ms_open_regular with another status than MS_E_IO for what is not a regular file. */
ms_status ms_open_regular_as(const char *path, ms_status not_regular, int *fd, struct stat *sb,
                             ms_error *err);

/* The same relative to dirfd; display names the file in messages. */
ms_status ms_open_regular_at(int dirfd, const char *name, const char *display, int extra_flags,
                             int *fd, struct stat *sb, ms_error *err);

/* "a FIFO", "a directory", ...: the kind of file a mode describes. */
const char *ms_file_type_name(mode_t mode);

/*
 * Where resolving a path beneath a root went wrong (ms_beneath_resolve):
 * the symbolic link, as a path relative to the root, and its target as
 * stored in the link.  Both malloc'd or NULL.
 */
typedef struct ms_beneath_diag {
    char *link;
    char *target;
} ms_beneath_diag;

void ms_beneath_diag_free(ms_beneath_diag *d);

/*
 * Resolve relpath beneath the directory rootfd, following symbolic links
 * one component at a time (at most 40), and return in *resolved the
 * malloc'd path relative to the root with no link left in it ("" for the
 * root itself).  Returns 0, or an errno value: EXDEV when a link is
 * absolute or a ".." leaves the root (d names the last link followed),
 * ELOOP for too many links, ENOENT and others from the file system (d names
 * the link when the missing name came from one).
 */
int ms_beneath_resolve(int rootfd, const char *relpath, char **resolved, ms_beneath_diag *d);

/*
 * Open relpath beneath rootfd with flags (O_PATH, O_DIRECTORY, ... allowed),
 * following symbolic links only while they stay beneath it and never
 * through a /proc "magic" link: openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS), or, where the kernel lacks openat2 or the
 * environment sets MODELSEAL_NO_OPENAT2=1, ms_beneath_resolve and an
 * O_NOFOLLOW walk of the result.  Returns an fd, or -1 with errno (EXDEV:
 * would leave the root).
 */
int ms_openat_beneath(int rootfd, const char *relpath, int flags);

/* 1 when ms_openat_beneath uses openat2. */
int ms_beneath_uses_openat2(void);
/* Tests: 0 forces the component walk, 1 goes back to openat2 where the kernel has it. */
void ms_beneath_set_openat2(int on);

/*
 * The directory the symbolic links of a model directory may lead into:
 * links_root when given (it must hold the model directory), else the model
 * directory itself.  *rootfd is opened on it and *model_rel (malloc'd) is
 * the model directory's path relative to it, "" when they are the same.
 * A model directory outside links_root is MS_E_USAGE.
 */
ms_status ms_links_root_open(const char *model_dir, const char *links_root, int *rootfd,
                             char **model_rel, ms_error *err);

/*
 * Follow the symbolic link relpath beneath rootfd (ms_beneath_resolve, then
 * ms_openat_beneath as the kernel's check of the same path).  On success
 * *resolved (malloc'd, relative to the root) and *sb describe what it leads
 * to.  A link that leads outside is MS_E_UNSAFE_PATH, a dangling one
 * MS_E_IO, a loop MS_E_FORMAT; messages name display (the link as the user
 * sees it), its target and root_display.
 */
ms_status ms_beneath_follow(int rootfd, const char *relpath, const char *display,
                            const char *root_display, char **resolved, struct stat *sb,
                            ms_error *err);

/*
 * ms_open_regular for relpath beneath rootfd, following links that stay
 * beneath it.  With missing != NULL, a name that does not exist is no
 * error: *missing = 1, *fd = -1, MS_OK.
 */
ms_status ms_open_regular_beneath(int rootfd, const char *relpath, const char *display,
                                  const char *root_display, int *fd, struct stat *sb,
                                  int *missing, ms_error *err);

#endif
