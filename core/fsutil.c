#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/outfile.h"
#include "modelseal/files.h"
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

int ms_write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

ms_status ms_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                               ms_error *err)
{
    ms_outfile *o;
    ms_status st = ms_outfile_open(path, mode, &o, err);
    if (st != MS_OK)
        return st;
    if (ms_write_all(ms_outfile_fd(o), data, len) != 0) {
        st = ms_fail(err, MS_E_IO, "%s: write failed: %s", path, strerror(errno));
        ms_outfile_free(o);
        return st;
    }
    st = ms_outfile_commit(o, 1, err);
    ms_outfile_free(o);
    return st;
}

ms_status ms_file_write_atomic(const char *path, const void *data, size_t len, ms_error *err)
{
    if (path == NULL || (data == NULL && len > 0))
        return ms_fail(err, MS_E_USAGE, "ms_file_write_atomic: NULL argument");
    return ms_write_file_atomic(path, data, len, 0644, err);
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
