/*
 * Walking a model directory in model_signing's path order, without
 * following links to directories, and hashing its files; the default
 * ignore list (git paths).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "oms/oms_internal.h"

#define HASH_CHUNK (1u << 20)

/* Left out by default, as model_signing does. */
static const char *const git_paths[] = {".git", ".gitattributes", ".github", ".gitignore"};

void ms_oms_walk_free(ms_oms_walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i].rel);
    free(w->v);
    ms_oms_strlist_free(&w->ignored);
}

static int walk_add(ms_oms_walk *w, const char *rel, ms_oms_entry_kind k)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        ms_oms_entry *v = realloc(w->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        w->v = v;
        w->cap = cap;
    }
    if ((w->v[w->n].rel = strdup(rel)) == NULL)
        return -1;
    w->v[w->n++].kind = k;
    return 0;
}

static ms_status walk_dir(ms_oms_walk *w, int dfd, const char *prefix, int depth, ms_error *err)
{
    if (depth > MS_OMS_MAX_DEPTH)
        return ms_fail(err, MS_E_LIMIT, "%s/%s: directories nested deeper than %d", w->root,
                       prefix, MS_OMS_MAX_DEPTH);
    int fd2 = dup(dfd);
    DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
    if (d == NULL) {
        int e = errno;
        if (fd2 >= 0)
            close(fd2);
        return ms_fail(err, MS_E_IO, "%s%s%s: cannot list: %s", w->root, prefix[0] ? "/" : "",
                       prefix, strerror(e));
    }
    ms_oms_strlist names = {0};
    ms_status st = MS_OK;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (ms_oms_strlist_add(&names, de->d_name) != 0) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        errno = 0;
    }
    if (st == MS_OK && errno != 0)
        st = ms_fail(err, MS_E_IO, "%s%s%s: cannot list: %s", w->root, prefix[0] ? "/" : "",
                     prefix, strerror(errno));
    closedir(d);
    if (names.n > 1)
        qsort(names.v, names.n, sizeof *names.v, ms_oms_cmp_name);
    for (size_t i = 0; i < names.n && st == MS_OK; i++) {
        const char *name = names.v[i];
        size_t plen = strlen(prefix), nlen = strlen(name);
        if (plen + nlen + 2 > 4097) {
            st = ms_fail(err, MS_E_LIMIT, "%s/%s/%s: path longer than 4096 bytes", w->root,
                         prefix, name);
            break;
        }
        char rel[4098];
        size_t o = 0;
        if (plen) {
            memcpy(rel, prefix, plen);
            rel[plen] = '/';
            o = plen + 1;
        }
        memcpy(rel + o, name, nlen + 1);
        if (ms_oms_ignored_by(w->ign, rel) != NULL) {
            if (ms_oms_strlist_add(&w->ignored, rel) != 0)
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
            continue;
        }
        struct stat sb;
        if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            st = ms_fail(err, MS_E_IO, "%s/%s: %s", w->root, rel, strerror(errno));
            break;
        }
        ms_oms_entry_kind k;
        if (S_ISDIR(sb.st_mode)) {
            int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                st = ms_fail(err, MS_E_IO, "%s/%s: cannot open: %s", w->root, rel,
                             strerror(errno));
                break;
            }
            st = walk_dir(w, sub, rel, depth + 1, err);
            close(sub);
            continue;
        } else if (S_ISREG(sb.st_mode)) {
            k = MS_OMS_ENTRY_FILE;
        } else if (S_ISLNK(sb.st_mode)) {
            struct stat tb;
            if (!w->allow_symlinks)
                k = MS_OMS_ENTRY_LINK;
            else if (fstatat(dfd, name, &tb, 0) == 0 && S_ISREG(tb.st_mode))
                k = MS_OMS_ENTRY_LINK_FILE;
            else
                k = MS_OMS_ENTRY_LINK_OTHER;
        } else {
            k = MS_OMS_ENTRY_SPECIAL;
        }
        if (walk_add(w, rel, k) != 0)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    ms_oms_strlist_free(&names);
    return st;
}

/* Sorted entries of a model directory (ignored paths left out and recorded). */
ms_status ms_oms_walk_model(ms_oms_walk *w, const char *model, ms_error *err)
{
    int fd = open(model, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", model, strerror(errno));
    ms_status st = walk_dir(w, fd, "", 0, err);
    close(fd);
    /* walk_dir sorts each directory; component order makes the whole list sorted. */
    return st;
}

static ms_status hash_fd(int fd, const char *what, uint8_t out[32], ms_error *err)
{
    uint8_t *buf = malloc(HASH_CHUNK);
    ms_sha256 *h = ms_sha256_new();
    if (buf == NULL || h == NULL) {
        free(buf);
        ms_sha256_free(h);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    ms_status st = MS_OK;
    for (;;) {
        ssize_t r = read(fd, buf, HASH_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = ms_fail(err, MS_E_IO, "%s: read error: %s", what, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        ms_sha256_update(h, buf, (size_t)r);
    }
    if (st == MS_OK)
        ms_sha256_final(h, out);
    ms_sha256_free(h);
    free(buf);
    return st;
}

/*
 * Hash a model file: rel under dirfd (follow: a symbolic link allowed to be
 * followed), or path itself when rel is NULL.  *not_regular is set (and
 * MS_OK returned) when it turns out not to be a regular file.
 */
ms_status ms_oms_hash_entry(int dirfd, const char *rel, const char *display, int follow,
                            uint8_t out[32], int *not_regular, ms_error *err)
{
    *not_regular = 0;
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW);
    int fd = rel ? openat(dirfd, rel, flags) : open(display, flags);
    if (fd < 0) {
        if (errno == ELOOP) {
            *not_regular = 1;
            return MS_OK;
        }
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", display, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        *not_regular = 1;
        return MS_OK;
    }
    /* Back to blocking reads for a regular file. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    ms_status st = hash_fd(fd, display, out, err);
    close(fd);
    return st;
}

/* The ignore list: the caller's entries, git paths, more (already relative). */
ms_status ms_oms_ignores_build(ms_oms_strlist *ign, const char *const *paths, size_t n, int no_git,
                               ms_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!ms_oms_strlist_has(ign, paths[i]) && ms_oms_strlist_add(ign, paths[i]) != 0)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
    if (!no_git)
        for (size_t i = 0; i < sizeof git_paths / sizeof git_paths[0]; i++)
            if (!ms_oms_strlist_has(ign, git_paths[i]) &&
                ms_oms_strlist_add(ign, git_paths[i]) != 0)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}
