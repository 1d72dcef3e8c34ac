/*
 * A model on disk: one .safetensors file, or a directory walked and
 * classified by file name (see include/modelseal/model.h).
 *
 * Directory entries are read, sorted and then visited, so the walk, and the
 * first error reported, do not depend on readdir order.  Directories are
 * opened relative to their parent without following links; a symbolic link
 * is resolved beneath the link root (core/safeopen.c) and what it leads to
 * stands under the link's name.  Weight files are validated by the
 * safetensors reader; then model_shards.c checks each directory's weight
 * files against its index files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/model_internal.h"
#include "core/safeopen.h"
#include "modelseal/model.h"

/* Defined in safetensors.c: escapes control bytes of names quoted in err->message. */

#define WEIGHTS_SUFFIX ".safetensors"
/* Deep enough for any real model layout; stops runaway symlink chains. */
#define MODEL_MAX_DEPTH 32

struct ms_model {
    ms_model_file *files;
    size_t nfiles;
    size_t cap;
    size_t ntensors;
    int sharded;
    ms_model_link *links;
    size_t nlinks;
    size_t caplinks;
};

/* A directory already walked, and the path (in the model) it was walked as. */
typedef struct seen_dir {
    dev_t dev;
    ino_t ino;
    char *rel;
} seen_dir;

typedef struct walk {
    ms_model *m;
    const char *root;       /* the model directory as given */
    int rootfd;             /* the directory links must stay beneath */
    const char *links_root; /* its path as given, for messages and paths */
    dev_t dev[MODEL_MAX_DEPTH + 1]; /* the directories from the root to here */
    ino_t ino[MODEL_MAX_DEPTH + 1];
    size_t depth;
    seen_dir *seen;
    size_t nseen;
    size_t capseen;
} walk;

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* a + sep + b, malloc'd; sep omitted when a is empty or already ends with '/'. */
static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int sep = la > 0 && a[la - 1] != '/';
    char *s = malloc(la + (size_t)sep + lb + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, a, la);
    if (sep)
        s[la] = '/';
    memcpy(s + la + (size_t)sep, b, lb + 1);
    return s;
}

static int ends_with(const char *s, const char *suffix, int nocase)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    if (ls < lx)
        return 0;
    return nocase ? strcasecmp(s + ls - lx, suffix) == 0 : strcmp(s + ls - lx, suffix) == 0;
}

static int starts_with_nocase(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static const char *base_name(const char *relpath)
{
    const char *slash = strrchr(relpath, '/');
    return slash != NULL ? slash + 1 : relpath;
}

/* The kind of a file by its name, or -1 when it is not one modelseal knows. */
static int classify(const char *name)
{
    if (ends_with(name, WEIGHTS_SUFFIX, 0))
        return MS_FILE_WEIGHTS;
    if (ends_with(name, ".md", 1) || starts_with_nocase(name, "LICENSE") ||
        starts_with_nocase(name, "NOTICE") || starts_with_nocase(name, "COPYING"))
        return MS_FILE_DOC;
    if (ends_with(name, ".py", 0))
        return MS_FILE_CODE;
    static const char *const config_suffixes[] = {".json",  ".txt",  ".model", ".tiktoken",
                                                  ".jinja", ".yaml", ".yml"};
    for (size_t i = 0; i < sizeof config_suffixes / sizeof *config_suffixes; i++)
        if (ends_with(name, config_suffixes[i], 0))
            return MS_FILE_CONFIG;
    return -1;
}

static ms_status add_file(ms_model *m, const char *relpath, const char *path, ms_file_kind kind,
                          const struct stat *sb, const char *root, ms_error *err)
{
    if (m->nfiles >= MS_MODEL_MAX_FILES)
        return ms_fail(err, MS_E_LIMIT, "%s: more than %d files in the model", root,
                       MS_MODEL_MAX_FILES);
    if (m->nfiles == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        ms_model_file *f = realloc(m->files, cap * sizeof *f);
        if (f == NULL)
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", root);
        m->files = f;
        m->cap = cap;
    }
    ms_model_file *f = &m->files[m->nfiles];
    memset(f, 0, sizeof *f);
    char *r = xstrdup(relpath), *p = xstrdup(path);
    if (r == NULL || p == NULL) {
        free(r);
        free(p);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", root);
    }
    f->relpath = r;
    f->path = p;
    f->kind = kind;
    f->size = (uint64_t)sb->st_size;
    f->dev = (uint64_t)sb->st_dev;
    f->ino = (uint64_t)sb->st_ino;
    m->nfiles++;
    return MS_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Sorted names of the entries of the directory dirfd, dot-entries left out. */
static ms_status list_dir(int dirfd, const char *path, char ***out, size_t *count, ms_error *err)
{
    *out = NULL;
    *count = 0;
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ms_fail(err, MS_E_IO, "%s: cannot open directory: %s", path, strerror(e));
    }
    rewinddir(d);
    char **names = NULL;
    size_t n = 0, cap = 0;
    ms_status s = MS_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            if (errno != 0)
                s = ms_fail(err, MS_E_IO, "%s: cannot read directory: %s", path, strerror(errno));
            break;
        }
        /* Dot-files (.git, .cache, .gitattributes, ...) are not part of the model. */
        if (de->d_name[0] == '.')
            continue;
        if (n >= MS_MODEL_MAX_FILES) {
            s = ms_fail(err, MS_E_LIMIT, "%s: more than %d entries", path, MS_MODEL_MAX_FILES);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (nn == NULL) {
                s = ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
                break;
            }
            names = nn;
            cap = ncap;
        }
        if ((names[n] = xstrdup(de->d_name)) == NULL) {
            s = ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
            break;
        }
        n++;
    }
    closedir(d);
    if (s != MS_OK) {
        free_names(names, n);
        return s;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *count = n;
    return MS_OK;
}

static ms_status add_link(ms_model *m, const char *link, const char *target, ms_error *err)
{
    if (m->nlinks == m->caplinks) {
        size_t cap = m->caplinks ? m->caplinks * 2 : 8;
        ms_model_link *l = realloc(m->links, cap * sizeof *l);
        if (l == NULL)
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", link);
        m->links = l;
        m->caplinks = cap;
    }
    char *a = xstrdup(link), *b = xstrdup(target);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", link);
    }
    m->links[m->nlinks++] = (ms_model_link){a, b};
    return MS_OK;
}

/*
 * Every directory is walked once: a second way into one (a link to an
 * enclosing directory, or two links to the same directory) is refused, so
 * links cannot multiply the work or the files.
 */
static ms_status enter_dir(walk *w, const struct stat *sb, const char *rel, const char *path,
                           ms_error *err)
{
    for (size_t i = 0; i <= w->depth; i++)
        if (w->dev[i] == sb->st_dev && w->ino[i] == sb->st_ino)
            return ms_fail(err, MS_E_FORMAT,
                           "%s: directory loop (links back to an enclosing directory)", path);
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].dev == sb->st_dev && w->seen[i].ino == sb->st_ino)
            return ms_fail(err, MS_E_FORMAT,
                           "%s: the directory is already in the model as '%s' (each directory "
                           "is walked once; remove the extra link)",
                           path, w->seen[i].rel);
    if (w->depth >= MODEL_MAX_DEPTH)
        return ms_fail(err, MS_E_LIMIT, "%s: directories nested deeper than %d", path,
                       MODEL_MAX_DEPTH);
    if (w->nseen >= MS_MODEL_MAX_FILES)
        return ms_fail(err, MS_E_LIMIT, "%s: more than %d directories in the model", w->root,
                       MS_MODEL_MAX_FILES);
    if (w->nseen == w->capseen) {
        size_t cap = w->capseen ? w->capseen * 2 : 16;
        seen_dir *n = realloc(w->seen, cap * sizeof *n);
        if (n == NULL)
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
        w->seen = n;
        w->capseen = cap;
    }
    char *r = xstrdup(rel);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    w->seen[w->nseen++] = (seen_dir){sb->st_dev, sb->st_ino, r};
    w->depth++;
    w->dev[w->depth] = sb->st_dev;
    w->ino[w->depth] = sb->st_ino;
    return MS_OK;
}

static ms_status walk_dir(walk *w, int dirfd, const char *rel, const char *rootrel,
                          const char *path, ms_error *err);

/*
 * One directory entry.  rel is its path in the model, rootrel its path
 * beneath w->rootfd (through real directories only), path the path that
 * names it on disk.  A symbolic link is followed only beneath w->rootfd;
 * what it leads to then stands in its place, named by the link.
 */
static ms_status visit(walk *w, int dirfd, const char *name, const char *rel, const char *rootrel,
                       const char *path, ms_error *err)
{
    struct stat sb;
    if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return ms_fail(err, MS_E_IO, "%s: cannot stat: %s", path, strerror(errno));
    char *resolved = NULL, *rpath = NULL;
    ms_status s = MS_OK;
    if (S_ISLNK(sb.st_mode)) {
        s = ms_beneath_follow(w->rootfd, rootrel, path, w->links_root, &resolved, &sb, err);
        if (s == MS_OK)
            s = add_link(w->m, rootrel, resolved, err);
        if (s == MS_OK && (rpath = join(w->links_root, resolved)) == NULL)
            s = ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
        if (s != MS_OK)
            goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        int fd = resolved != NULL
                     ? ms_openat_beneath(w->rootfd, resolved, O_RDONLY | O_DIRECTORY)
                     : openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat now;
        if (fd < 0 || fstat(fd, &now) != 0 || now.st_dev != sb.st_dev || now.st_ino != sb.st_ino) {
            s = ms_fail(err, MS_E_IO, "%s: cannot open directory: %s", path,
                        fd < 0 ? strerror(errno) : "it changed while being walked");
            if (fd >= 0)
                close(fd);
            goto out;
        }
        if ((s = enter_dir(w, &sb, rel, path, err)) == MS_OK) {
            s = walk_dir(w, fd, rel, resolved != NULL ? resolved : rootrel,
                         rpath != NULL ? rpath : path, err);
            w->depth--;
        }
        close(fd);
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        s = ms_fail(err, MS_E_UNSUPPORTED, "%s: not a regular file or directory (%s)", path,
                    ms_file_type_name(sb.st_mode));
        goto out;
    }
    int kind = classify(base_name(rel));
    if (kind < 0)
        s = ms_fail(err, MS_E_UNSUPPORTED,
                    "%s: unknown file kind (not weights, config, doc or code); move it out "
                    "of the model directory",
                    path);
    else
        s = add_file(w->m, rel, rpath != NULL ? rpath : path, (ms_file_kind)kind, &sb, w->root,
                     err);
out:
    free(resolved);
    free(rpath);
    return s;
}

static ms_status walk_dir(walk *w, int dirfd, const char *rel, const char *rootrel,
                          const char *path, ms_error *err)
{
    char **names;
    size_t n;
    ms_status s = list_dir(dirfd, path, &names, &n, err);
    if (s != MS_OK)
        return s;
    for (size_t i = 0; i < n && s == MS_OK; i++) {
        char *crel = join(rel, names[i]);
        char *croot = join(rootrel, names[i]);
        char *cpath = join(path, names[i]);
        if (crel == NULL || croot == NULL || cpath == NULL)
            s = ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
        else
            s = visit(w, dirfd, names[i], crel, croot, cpath, err);
        free(crel);
        free(croot);
        free(cpath);
    }
    free_names(names, n);
    return s;
}

static int cmp_link(const void *a, const void *b)
{
    return strcmp(((const ms_model_link *)a)->link, ((const ms_model_link *)b)->link);
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const ms_model_file *)a)->relpath, ((const ms_model_file *)b)->relpath);
}

/* ------------------------------------------------------------------ public */

void ms_model_close(ms_model *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nfiles; i++) {
        free((char *)m->files[i].relpath);
        free((char *)m->files[i].path);
        ms_safetensors_close(m->files[i].st);
    }
    free(m->files);
    for (size_t i = 0; i < m->nlinks; i++) {
        free((char *)m->links[i].link);
        free((char *)m->links[i].target);
    }
    free(m->links);
    free(m);
}

/* The reader mapped the file the walk found (compression reads weights through it). */
static ms_status same_file(const ms_model_file *f, ms_error *err)
{
    int fd = -1;
    ms_status s = ms_safetensors_reopen(f->st, &fd, err);
    if (s != MS_OK)
        return s;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_dev != f->dev || (uint64_t)sb.st_ino != f->ino)
        s = ms_fail(err, MS_E_IO, "%s: replaced by another file since it was first found",
                    f->path);
    close(fd);
    return s;
}

static ms_status walk_model(ms_model *m, const char *path, const char *links_root,
                            ms_error *err)
{
    walk w = {.m = m, .root = path, .links_root = links_root != NULL ? links_root : path};
    char *model_rel = NULL;
    ms_status s = ms_links_root_open(path, links_root, &w.rootfd, &model_rel, err);
    if (s != MS_OK)
        return s;
    int fd = ms_openat_beneath(w.rootfd, model_rel, O_RDONLY | O_DIRECTORY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        s = ms_fail(err, MS_E_IO, "%s: cannot open directory: %s", path, strerror(errno));
    } else {
        w.dev[0] = sb.st_dev;
        w.ino[0] = sb.st_ino;
        s = walk_dir(&w, fd, "", model_rel, path, err);
    }
    if (fd >= 0)
        close(fd);
    close(w.rootfd);
    free(model_rel);
    for (size_t i = 0; i < w.nseen; i++)
        free(w.seen[i].rel);
    free(w.seen);
    if (s == MS_OK && m->nfiles > 1)
        qsort(m->files, m->nfiles, sizeof *m->files, cmp_file);
    if (s == MS_OK && m->nlinks > 1)
        qsort(m->links, m->nlinks, sizeof *m->links, cmp_link);
    return s;
}

static ms_status model_open(const char *path, const char *links_root, ms_model **out,
                            ms_error *err)
{
    if (out == NULL || path == NULL)
        return ms_fail(err, MS_E_USAGE, "ms_model_open: NULL argument");
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ms_fail(err, MS_E_IO, "%s: cannot stat: %s", path, strerror(errno));
    ms_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    ms_status s = MS_OK;
    if (S_ISDIR(sb.st_mode)) {
        s = walk_model(m, path, links_root, err);
    } else if (S_ISREG(sb.st_mode)) {
        /* Basename of the path as given, trailing slashes are impossible for a file. */
        const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
        if (!ends_with(base, WEIGHTS_SUFFIX, 0))
            s = ms_fail(err, MS_E_USAGE, "%s: a model is a .safetensors file or a directory", path);
        else
            s = add_file(m, base, path, MS_FILE_WEIGHTS, &sb, path, err);
    } else {
        s = ms_fail(err, MS_E_USAGE, "%s: not a regular file or directory", path);
    }

    size_t nweights = 0;
    for (size_t i = 0; s == MS_OK && i < m->nfiles; i++) {
        ms_model_file *f = &m->files[i];
        if (f->kind != MS_FILE_WEIGHTS)
            continue;
        nweights++;
        s = ms_safetensors_open(f->path, &f->st, err);
        if (s == MS_OK)
            s = same_file(f, err);
        if (s == MS_OK) {
            /* The size the reader validated, not the earlier stat. */
            f->size = ms_safetensors_file_size(f->st);
            m->ntensors += ms_safetensors_count(f->st);
        }
    }
    if (s == MS_OK && nweights == 0)
        s = ms_fail(err, MS_E_FORMAT, "no .safetensors file in %s", path);
    if (s == MS_OK)
        s = ms_model_check_shards(m->files, m->nfiles, &m->sharded, err);
    if (s != MS_OK) {
        ms_model_close(m);
        return s;
    }
    *out = m;
    return MS_OK;
}

ms_status ms_model_open(const char *path, ms_model **out, ms_error *err)
{
    return model_open(path, NULL, out, err);
}

ms_status ms_model_open_under(const char *path, const char *links_root, ms_model **out,
                              ms_error *err)
{
    return model_open(path, links_root, out, err);
}

size_t ms_model_link_count(const ms_model *m)
{
    return m != NULL ? m->nlinks : 0;
}

const ms_model_link *ms_model_link_at(const ms_model *m, size_t i)
{
    if (m == NULL || i >= m->nlinks)
        return NULL;
    return &m->links[i];
}

size_t ms_model_file_count(const ms_model *m)
{
    return m != NULL ? m->nfiles : 0;
}

const ms_model_file *ms_model_file_at(const ms_model *m, size_t i)
{
    if (m == NULL || i >= m->nfiles)
        return NULL;
    return &m->files[i];
}

size_t ms_model_tensor_count(const ms_model *m)
{
    return m != NULL ? m->ntensors : 0;
}

int ms_model_is_sharded(const ms_model *m)
{
    return m != NULL ? m->sharded : 0;
}
