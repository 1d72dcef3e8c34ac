#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/safeopen.h"

ms_status ms_read_file(const char *path, size_t max, char **buf, size_t *len, ms_error *err)
{
    *buf = NULL;
    *len = 0;
    int fd;
    struct stat sb;
    ms_status ost = ms_open_regular(path, 0, &fd, &sb, err);
    if (ost != MS_OK)
        return ost;
    if ((uint64_t)sb.st_size > max) {
        close(fd);
        return ms_fail(err, MS_E_LIMIT, "%s: %lld bytes exceeds the limit of %zu", path,
                       (long long)sb.st_size, max);
    }
    size_t cap = (size_t)sb.st_size;
    char *p = malloc(cap + 1);
    if (p == NULL) {
        close(fd);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, p + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = errno;
            free(p);
            close(fd);
            return ms_fail(err, MS_E_IO, "%s: read failed: %s", path,
                           r == 0 ? "file shrank" : strerror(e));
        }
        got += (size_t)r;
    }
    /* Nothing may follow: /proc and /sys files report size 0 and still hold data. */
    char extra;
    ssize_t more;
    while ((more = read(fd, &extra, 1)) < 0 && errno == EINTR)
        ;
    if (more != 0) {
        int e = errno;
        free(p);
        close(fd);
        return ms_fail(err, MS_E_IO, "%s: %s", path,
                       more < 0 ? strerror(e)
                                : "holds more bytes than its size says (a special file, or one "
                                  "being changed)");
    }
    close(fd);
    p[got] = '\0';
    *buf = p;
    *len = got;
    return MS_OK;
}

int ms_direct_off(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_DIRECT) == 0)
        return 0;
    errno = EINVAL;
    return -1;
}

ms_status ms_tempfile_beside(const char *path, mode_t mode, int *fd, char **tmp, ms_error *err)
{
    *fd = -1;
    *tmp = NULL;
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    /* A random suffix through O_EXCL: never reuses or follows an existing name. */
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)rand() ^ (unsigned)attempt;
        snprintf(t, n, "%s.tmp-%08x", path, r);
        int f = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (f >= 0) {
            fchmod(f, mode);
            *fd = f;
            *tmp = t;
            return MS_OK;
        }
        if (errno != EEXIST) {
            ms_status st = ms_fail(err, MS_E_IO, "%s: cannot create: %s", t, strerror(errno));
            free(t);
            return st;
        }
    }
    free(t);
    return ms_fail(err, MS_E_IO, "%s: cannot create a temporary file", path);
}

static void fsync_parent(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return;
    int d = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        fsync(d);
        close(d);
    }
    free(copy);
}

ms_status ms_commit_tempfile(int fd, const char *tmp, const char *path, int replace,
                             ms_error *err)
{
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return ms_fail(err, MS_E_IO, "%s: fsync failed: %s", path, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return ms_fail(err, MS_E_IO, "%s: close failed: %s", path, strerror(e));
    }
    int rc = replace ? rename(tmp, path) : renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
                                                     RENAME_NOREPLACE);
    if (rc != 0) {
        int e = errno;
        unlink(tmp);
        if (e == EEXIST)
            return ms_fail(err, MS_E_EXISTS, "%s: already exists", path);
        return ms_fail(err, MS_E_IO, "%s: cannot rename into place: %s", path, strerror(e));
    }
    fsync_parent(path);
    return MS_OK;
}

ms_status ms_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                               ms_error *err)
{
    int fd;
    char *tmp;
    ms_status st = ms_tempfile_beside(path, mode, &fd, &tmp, err);
    if (st != MS_OK)
        return st;
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            st = ms_fail(err, MS_E_IO, "%s: write failed: %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return st;
        }
        done += (size_t)w;
    }
    st = ms_commit_tempfile(fd, tmp, path, 1, err);
    free(tmp);
    return st;
}

const char *ms_path_problem(const char *p)
{
    size_t n = strlen(p);
    if (n == 0)
        return "empty path";
    if (n > 4096)
        return "path longer than 4096 bytes";
    if (p[0] == '/')
        return "absolute path";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f)
            return "control character in path";
        if (c == '\\')
            return "backslash in path";
    }
    const char *s = p;
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
        if (len == 0)
            return "empty path component";
        if (len == 1 && s[0] == '.')
            return "'.' path component";
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return "'..' path component";
        if (slash == NULL)
            break;
        s = slash + 1;
    }
    return NULL;
}

ms_status ms_open_parent_beneath(int dirfd, const char *relpath, int *parent_fd,
                                 const char **leaf, ms_error *err)
{
    *parent_fd = -1;
    const char *problem = ms_path_problem(relpath);
    if (problem != NULL)
        return ms_fail(err, MS_E_UNSAFE_PATH, "'%s': %s", relpath, problem);
    int cur = dup(dirfd);
    if (cur < 0)
        return ms_fail(err, MS_E_IO, "'%s': %s", relpath, strerror(errno));
    const char *s = relpath;
    char comp[4097];
    for (;;) {
        const char *slash = strchr(s, '/');
        if (slash == NULL)
            break;
        size_t len = (size_t)(slash - s);
        memcpy(comp, s, len);
        comp[len] = '\0';
        if (mkdirat(cur, comp, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            close(cur);
            return ms_fail(err, MS_E_IO, "'%s': cannot create directory '%s': %s", relpath, comp,
                           strerror(e));
        }
        /* O_NOFOLLOW|O_DIRECTORY: a symlink planted in the target is never traversed. */
        int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int e = errno;
            close(cur);
            if (e == ELOOP || e == ENOTDIR)
                return ms_fail(err, MS_E_UNSAFE_PATH,
                               "'%s': '%s' is a symbolic link or not a directory", relpath, comp);
            return ms_fail(err, MS_E_IO, "'%s': cannot open directory '%s': %s", relpath, comp,
                           strerror(e));
        }
        close(cur);
        cur = next;
        s = slash + 1;
    }
    *parent_fd = cur;
    *leaf = s;
    return MS_OK;
}
