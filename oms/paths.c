/*
 * Paths the user gives (--ignore-paths, the signature file) located inside
 * the model: lexically, then through the real paths of the directories.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "oms/oms_internal.h"

/*
 * Lexically normalized absolute form of path ("." and ".." resolved, no
 * repeated or trailing '/'); malloc'd, NULL if out of memory or too long.
 */
static char *abs_lexical(const char *path)
{
    char cwd[PATH_MAX];
    char *joined;
    if (path[0] == '/') {
        joined = strdup(path);
    } else {
        if (getcwd(cwd, sizeof cwd) == NULL)
            return NULL;
        if (asprintf(&joined, "%s/%s", cwd, path) < 0)
            joined = NULL;
    }
    if (joined == NULL)
        return NULL;
    char *out = malloc(strlen(joined) + 2);
    if (out == NULL) {
        free(joined);
        return NULL;
    }
    size_t o = 0;
    const char *s = joined;
    while (*s) {
        while (*s == '/')
            s++;
        if (*s == '\0')
            break;
        const char *e = strchr(s, '/');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        if (k == 1 && s[0] == '.') {
            /* nothing */
        } else if (k == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            out[o++] = '/';
            memcpy(out + o, s, k);
            o += k;
        }
        s += k;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    free(joined);
    return out;
}

/* realpath of path's parent directory plus its last component; NULL if the parent is missing. */
static char *real_parent(const char *abs)
{
    const char *slash = strrchr(abs, '/');
    if (slash == NULL || slash[1] == '\0')
        return realpath(abs, NULL);
    char *parent = strndup(abs, (size_t)(slash - abs));
    if (parent == NULL)
        return NULL;
    char *rp = realpath(parent[0] ? parent : "/", NULL);
    free(parent);
    if (rp == NULL)
        return NULL;
    char *out;
    if (asprintf(&out, "%s%s", strcmp(rp, "/") == 0 ? "" : rp, slash) < 0)
        out = NULL;
    free(rp);
    return out;
}

/* The part of p below dir: NULL if not below, "" if equal. */
static const char *below(const char *p, const char *dir)
{
    if (p == NULL || dir == NULL)
        return NULL;
    if (strcmp(dir, "/") == 0)
        return p + 1;
    size_t n = strlen(dir);
    if (strncmp(p, dir, n) != 0)
        return NULL;
    if (p[n] == '\0')
        return p + n;
    return p[n] == '/' ? p + n + 1 : NULL;
}

/* See oms_internal.h. */
ms_status ms_oms_locate_in_model(const char *model, const char *path, int model_relative,
                                 char **rel, ms_error *err)
{
    *rel = NULL;
    if (path[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "empty path");
    char *mreal = realpath(model, NULL), *mlex = abs_lexical(model);
    char *plex = abs_lexical(path), *preal = plex ? real_parent(plex) : NULL;
    ms_status st = MS_OK;
    if (mreal == NULL) {
        st = ms_fail(err, MS_E_IO, "%s: %s", model, strerror(errno));
        goto out;
    }
    if (mlex == NULL || plex == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory (or the current directory is unreadable)");
        goto out;
    }
    const char *r = below(plex, mlex);
    if (r == NULL)
        r = below(plex, mreal);
    if (r == NULL)
        r = below(preal, mreal);
    if (r != NULL && r[0] == '\0') {
        st = ms_fail(err, MS_E_USAGE, "'%s' is the model itself", path);
        goto out;
    }
    if (r == NULL && model_relative && path[0] != '/') {
        /* Relative to the model, lexically: must stay inside. */
        char *fake;
        if (asprintf(&fake, "/m/%s", path) < 0) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
        char *n = abs_lexical(fake);
        free(fake);
        if (n == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
        const char *in = below(n, "/m");
        if (in == NULL || in[0] == '\0')
            st = ms_fail(err, MS_E_USAGE, "'%s' is not inside the model '%s'", path, model);
        else if ((*rel = strdup(in)) == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        free(n);
        goto out;
    }
    if (r != NULL && (*rel = strdup(r)) == NULL)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
out:
    free(mreal);
    free(mlex);
    free(plex);
    free(preal);
    return st;
}

ms_status ms_oms_path_in_model(const char *model, const char *path, int model_relative,
                               char **rel, ms_error *err)
{
    ms_status st = ms_oms_locate_in_model(model, path, model_relative, rel, err);
    if (st == MS_OK && *rel == NULL)
        st = ms_fail(err, MS_E_USAGE, "'%s' is not inside the model '%s'", path, model);
    return st;
}
