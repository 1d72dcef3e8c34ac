#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "core/error_internal.h"
#include "core/safeopen.h"

/* As many links as the kernel follows in one path resolution. */
#define BENEATH_MAX_LINKS 40
/* Directory levels of a resolved path; PATH_MAX allows no more than this anyway. */
#define BENEATH_MAX_DEPTH 2048

const char *ms_file_type_name(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "an unknown kind of file";
}

/* fd was opened O_NONBLOCK: keep it only if it is a regular file, then clear the flag. */
static ms_status keep_regular(int f, const char *display, ms_status not_regular, int *fd,
                              struct stat *sb, ms_error *err)
{
    struct stat s;
    if (fstat(f, &s) != 0) {
        int e = errno;
        close(f);
        return ms_fail(err, MS_E_IO, "%s: cannot stat: %s", display, strerror(e));
    }
    if (!S_ISREG(s.st_mode)) {
        close(f);
        return ms_fail(err, not_regular, "%s: not a regular file (%s)", display,
                       ms_file_type_name(s.st_mode));
    }
    int fl = fcntl(f, F_GETFL);
    if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(f);
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", display, strerror(e));
    }
    if (sb != NULL)
        *sb = s;
    *fd = f;
    return MS_OK;
}

static ms_status open_regular(int dirfd, const char *name, const char *display, int extra_flags,
                              ms_status not_regular, int *fd, struct stat *sb, ms_error *err)
{
    *fd = -1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat refuses it. */
    int f = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | extra_flags);
    if (f < 0) {
        int e = errno;
        if (e == ELOOP && (extra_flags & O_NOFOLLOW))
            return ms_fail(err, MS_E_IO, "%s: cannot open: a symbolic link", display);
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", display, strerror(e));
    }
    return keep_regular(f, display, not_regular, fd, sb, err);
}

ms_status ms_open_regular_at(int dirfd, const char *name, const char *display, int extra_flags,
                             int *fd, struct stat *sb, ms_error *err)
{
    return open_regular(dirfd, name, display, extra_flags, MS_E_IO, fd, sb, err);
}

ms_status ms_open_regular(const char *path, int extra_flags, int *fd, struct stat *sb,
                          ms_error *err)
{
    return open_regular(AT_FDCWD, path, path, extra_flags, MS_E_IO, fd, sb, err);
}

ms_status ms_open_regular_as(const char *path, ms_status not_regular, int *fd, struct stat *sb,
                             ms_error *err)
{
    return open_regular(AT_FDCWD, path, path, 0, not_regular, fd, sb, err);
}

void ms_beneath_diag_free(ms_beneath_diag *d)
{
    if (d == NULL)
        return;
    free(d->link);
    free(d->target);
    d->link = d->target = NULL;
}

/* s[0..n) + '/' + t, malloc'd; the '/' is left out when either side is empty. */
static char *concat(const char *s, size_t n, const char *t)
{
    size_t lt = strlen(t);
    int sep = n > 0 && lt > 0;
    char *r = malloc(n + (size_t)sep + lt + 1);
    if (r == NULL)
        return NULL;
    memcpy(r, s, n);
    if (sep)
        r[n] = '/';
    memcpy(r + n + (size_t)sep, t, lt + 1);
    return r;
}

/*
 * The component-by-component walk behind ms_beneath_resolve and the
 * fallback of ms_openat_beneath.  Directories are held open (O_PATH) while
 * the walk goes on, so each step is taken relative to the directory just
 * checked, and ".." is applied to the resolved path, never handed to the
 * kernel.  With out_fd, the last component is opened with flags and
 * O_NOFOLLOW.
 */
static int beneath_walk(int rootfd, const char *relpath, int flags, int *out_fd, char **resolved,
                        ms_beneath_diag *d)
{
    int *fds = malloc((BENEATH_MAX_DEPTH + 1) * sizeof *fds);
    size_t *offs = malloc((BENEATH_MAX_DEPTH + 1) * sizeof *offs);
    char *rest = strdup(relpath);
    char *phys = malloc(PATH_MAX + 1);
    char *target = malloc(PATH_MAX + 1);
    size_t depth = 0, plen = 0;
    int links = 0, rc = 0;
    if (out_fd != NULL)
        *out_fd = -1;
    if (resolved != NULL)
        *resolved = NULL;
    if (fds == NULL || offs == NULL || rest == NULL || phys == NULL || target == NULL) {
        rc = ENOMEM;
        goto out;
    }
    fds[0] = rootfd;
    phys[0] = '\0';
    const char *p = rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (*p == '\0') {
            /* The path names a directory already walked into (or the root). */
            if (out_fd != NULL && (*out_fd = openat(fds[depth], ".", flags | O_CLOEXEC)) < 0)
                rc = errno;
            break;
        }
        size_t len = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX) {
            rc = ENAMETOOLONG;
            break;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        const char *after = p + len;
        const char *q = after;
        while (*q == '/')
            q++;
        int last = *q == '\0';
        if (strcmp(comp, ".") == 0) {
            p = after;
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            if (depth == 0) {
                rc = EXDEV;
                break;
            }
            close(fds[depth]);
            plen = offs[depth];
            phys[plen] = '\0';
            depth--;
            p = after;
            continue;
        }
        struct stat sb;
        if (fstatat(fds[depth], comp, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = errno;
            break;
        }
        if (S_ISLNK(sb.st_mode)) {
            if (++links > BENEATH_MAX_LINKS) {
                rc = ELOOP;
                break;
            }
            ssize_t n = readlinkat(fds[depth], comp, target, PATH_MAX);
            if (n < 0) {
                rc = errno;
                break;
            }
            target[n] = '\0';
            if (d != NULL) {
                ms_beneath_diag_free(d);
                d->link = concat(phys, plen, comp);
                d->target = strdup(target);
            }
            if (target[0] == '/') {
                rc = EXDEV;
                break;
            }
            /* The rest of the path now continues from the link's target. */
            char *nrest = concat(target, (size_t)n, after[0] == '/' ? after + 1 : after);
            if (nrest == NULL) {
                rc = ENOMEM;
                break;
            }
            free(rest);
            rest = nrest;
            p = rest;
            continue;
        }
        size_t need = plen + 1 + len;
        if (need > PATH_MAX) {
            rc = ENAMETOOLONG;
            break;
        }
        if (last) {
            if (out_fd != NULL &&
                (*out_fd = openat(fds[depth], comp, flags | O_NOFOLLOW | O_CLOEXEC)) < 0) {
                rc = errno;
                break;
            }
            if (plen > 0)
                phys[plen++] = '/';
            memcpy(phys + plen, comp, len + 1);
            plen += len;
            break;
        }
        if (!S_ISDIR(sb.st_mode)) {
            rc = ENOTDIR;
            break;
        }
        if (depth == BENEATH_MAX_DEPTH) {
            rc = ENAMETOOLONG;
            break;
        }
        int nfd = openat(fds[depth], comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0) {
            rc = errno;
            break;
        }
        depth++;
        fds[depth] = nfd;
        offs[depth] = plen;
        if (plen > 0)
            phys[plen++] = '/';
        memcpy(phys + plen, comp, len + 1);
        plen += len;
        p = after;
    }
    if (rc == 0 && resolved != NULL && (*resolved = strdup(phys)) == NULL)
        rc = ENOMEM;
    if (rc != 0 && out_fd != NULL && *out_fd >= 0) {
        close(*out_fd);
        *out_fd = -1;
    }
out:
    while (fds != NULL && depth > 0)
        close(fds[depth--]);
    if (rc == 0 && d != NULL)
        ms_beneath_diag_free(d);
    free(fds);
    free(offs);
    free(rest);
    free(phys);
    free(target);
    return rc;
}

int ms_beneath_resolve(int rootfd, const char *relpath, char **resolved, ms_beneath_diag *d)
{
    if (d != NULL)
        d->link = d->target = NULL;
    return beneath_walk(rootfd, relpath, 0, NULL, resolved, d);
}

/* -1 not yet known, 0 no openat2 (or MODELSEAL_NO_OPENAT2 is set), 1 openat2. */
static int have_openat2 = -1;

int ms_beneath_uses_openat2(void)
{
    if (have_openat2 < 0) {
        const char *e = getenv("MODELSEAL_NO_OPENAT2");
        have_openat2 = e != NULL && strcmp(e, "1") == 0 ? 0 : 1;
    }
    return have_openat2;
}

void ms_beneath_set_openat2(int on)
{
    have_openat2 = on ? 1 : 0;
}

int ms_openat_beneath(int rootfd, const char *relpath, int flags)
{
    const char *p = relpath[0] != '\0' ? relpath : ".";
    if (ms_beneath_uses_openat2()) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (uint64_t)(flags | O_CLOEXEC);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        /* Kernels before 5.6 lack it; some sandboxes refuse unknown calls with EPERM. */
        if (errno != ENOSYS && errno != EPERM)
            return -1;
        have_openat2 = 0;
    }
    int fd = -1;
    int rc = beneath_walk(rootfd, p, flags, &fd, NULL, NULL);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return fd;
}

ms_status ms_links_root_open(const char *model_dir, const char *links_root, int *rootfd,
                             char **model_rel, ms_error *err)
{
    *rootfd = -1;
    *model_rel = NULL;
    const char *dir = links_root != NULL ? links_root : model_dir;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ms_fail(err, errno == ENOTDIR ? MS_E_USAGE : MS_E_IO,
                       "%s: cannot open directory: %s", dir, strerror(errno));
    if (links_root == NULL) {
        if ((*model_rel = strdup("")) == NULL) {
            close(fd);
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", model_dir);
        }
        *rootfd = fd;
        return MS_OK;
    }
    char *rm = realpath(model_dir, NULL), *rr = realpath(links_root, NULL);
    ms_status st = MS_OK;
    size_t n = rr != NULL ? strlen(rr) : 0;
    if (rm == NULL || rr == NULL) {
        st = ms_fail(err, MS_E_IO, "%s: cannot resolve: %s", rm == NULL ? model_dir : links_root,
                     strerror(errno));
    } else if (strcmp(rm, rr) == 0) {
        *model_rel = strdup("");
    } else if (n == 1 && rm[0] == '/') {
        *model_rel = strdup(rm + 1);
    } else if (strncmp(rm, rr, n) == 0 && rm[n] == '/') {
        *model_rel = strdup(rm + n + 1);
    } else {
        st = ms_fail(err, MS_E_USAGE,
                     "%s: the model directory is not inside %s, the directory its links may "
                     "lead into",
                     model_dir, links_root);
    }
    if (st == MS_OK && *model_rel == NULL)
        st = ms_fail(err, MS_E_NOMEM, "%s: out of memory", model_dir);
    free(rm);
    free(rr);
    if (st != MS_OK) {
        close(fd);
        return st;
    }
    *rootfd = fd;
    return MS_OK;
}

ms_status ms_beneath_follow(int rootfd, const char *relpath, const char *display,
                            const char *root_display, char **resolved, struct stat *sb,
                            ms_error *err)
{
    *resolved = NULL;
    char own[PATH_MAX + 1];
    ssize_t n = readlinkat(rootfd, relpath, own, PATH_MAX);
    if (n < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot read the symbolic link: %s", display,
                       strerror(errno));
    own[n] = '\0';
    ms_beneath_diag d;
    char *res = NULL;
    int rc = ms_beneath_resolve(rootfd, relpath, &res, &d);
    int fd = -1;
    if (rc == 0) {
        /* The kernel's own check of the same path: it must land on the same file. */
        fd = ms_openat_beneath(rootfd, relpath, O_PATH);
        if (fd < 0)
            rc = errno;
    }
    ms_status st = MS_OK;
    if (rc == EXDEV) {
        /* Name the link that left, when it is not this one. */
        int other = d.link != NULL && strcmp(d.link, relpath) != 0;
        st = ms_fail(err, MS_E_UNSAFE_PATH,
                     "%s: symbolic link to '%s' leads outside %s%s%s%s%s%s", display, own,
                     root_display, other ? " (through '" : "", other ? d.link : "",
                     other ? "' -> '" : "", other ? d.target : "", other ? "')" : "");
    } else if (rc == ELOOP) {
        st = ms_fail(err, MS_E_FORMAT, "%s: symbolic link to '%s': too many levels of links",
                     display, own);
    } else if (rc != 0) {
        st = ms_fail(err, MS_E_IO, "%s: symbolic link to '%s' cannot be followed: %s", display,
                     own, strerror(rc));
    } else {
        struct stat a, b;
        if (fstat(fd, &a) != 0 || fstatat(rootfd, res[0] != '\0' ? res : ".", &b,
                                          AT_SYMLINK_NOFOLLOW) != 0 ||
            a.st_dev != b.st_dev || a.st_ino != b.st_ino)
            st = ms_fail(err, MS_E_IO, "%s: symbolic link to '%s' changed while being followed",
                         display, own);
        else
            *sb = a;
    }
    if (fd >= 0)
        close(fd);
    ms_beneath_diag_free(&d);
    if (st != MS_OK) {
        free(res);
        return st;
    }
    *resolved = res;
    return MS_OK;
}

ms_status ms_open_regular_beneath(int rootfd, const char *relpath, const char *display,
                                  const char *root_display, int *fd, struct stat *sb,
                                  int *missing, ms_error *err)
{
    *fd = -1;
    if (missing != NULL)
        *missing = 0;
    struct stat ls;
    if (fstatat(rootfd, relpath, &ls, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT && missing != NULL) {
            *missing = 1;
            return MS_OK;
        }
        return ms_fail(err, MS_E_IO, "%s: cannot stat: %s", display, strerror(errno));
    }
    char *res = NULL;
    if (S_ISLNK(ls.st_mode)) {
        ms_status st = ms_beneath_follow(rootfd, relpath, display, root_display, &res, &ls, err);
        if (st != MS_OK)
            return st;
    }
    int f = ms_openat_beneath(rootfd, res != NULL ? res : relpath,
                              O_RDONLY | O_NOCTTY | O_NONBLOCK);
    int e = errno;
    free(res);
    if (f < 0)
        return ms_fail(err, e == EXDEV ? MS_E_UNSAFE_PATH : MS_E_IO, "%s: cannot open: %s",
                       display, strerror(e));
    return keep_regular(f, display, MS_E_IO, fd, sb, err);
}
