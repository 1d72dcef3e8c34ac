#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error_internal.h"
#include "core/outfile.h"
#include "modelseal/files.h"

/* ".modelseal-tmp-" and 16 hex digits */
#define TMP_PREFIX ".modelseal-tmp-"
#define TMP_NAME_MAX 32

struct ms_outfile {
    int fd;
    int dirfd;
    char *leaf;
    char *display;
    char tmpname[TMP_NAME_MAX]; /* named fallback, or a replace-commit's link; else empty */
    int slot;                   /* cleanup slot of tmpname, or -1 */
    int unnamed;
};

/*
 * Names that exist only while a command runs.  A slot is claimed with an
 * atomic exchange, filled, then published with a release store, so a signal
 * handler on any thread sees either nothing or a complete entry.
 */
#define SLOTS 1024
static struct {
    int dirfd;
    char name[TMP_NAME_MAX];
} slot_data[SLOTS];
static int slot_state[SLOTS]; /* 0 free, 1 claimed, 2 published */

static int slot_register(int dirfd, const char *name)
{
    for (int i = 0; i < SLOTS; i++) {
        int expect = 0;
        if (__atomic_compare_exchange_n(&slot_state[i], &expect, 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            slot_data[i].dirfd = dirfd;
            memcpy(slot_data[i].name, name, TMP_NAME_MAX);
            __atomic_store_n(&slot_state[i], 2, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1;
}

static void slot_release(int i)
{
    if (i >= 0)
        __atomic_store_n(&slot_state[i], 0, __ATOMIC_RELEASE);
}

void ms_temporaries_remove(void)
{
    /* Async-signal-safe: atomics and unlinkat only. */
    int saved = errno;
    for (int i = 0; i < SLOTS; i++)
        if (__atomic_load_n(&slot_state[i], __ATOMIC_ACQUIRE) == 2)
            unlinkat(slot_data[i].dirfd, slot_data[i].name, 0);
    errno = saved;
}

static void random_name(char out[TMP_NAME_MAX])
{
    unsigned char r[8];
    if (sodium_init() < 0)
        abort(); /* libsodium cannot start: no random source at all */
    randombytes_buf(r, sizeof r);
    int n = snprintf(out, TMP_NAME_MAX, "%s", TMP_PREFIX);
    for (size_t i = 0; i < sizeof r; i++)
        n += snprintf(out + n, (size_t)(TMP_NAME_MAX - n), "%02x", r[i]);
}

static int named_only(void)
{
    const char *e = getenv("MODELSEAL_TMPFILE");
    return e != NULL && strcmp(e, "named") == 0;
}

/* O_TMPFILE in dirfd, usable for linkat through /proc; -1 with errno otherwise. */
static int open_unnamed(int dirfd, mode_t mode)
{
    if (named_only()) {
        errno = EOPNOTSUPP;
        return -1;
    }
    int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    /* Without /proc it could never be linked into place: use a name instead. */
    if (access(proc, F_OK) != 0) {
        close(fd);
        errno = EOPNOTSUPP;
        return -1;
    }
    return fd;
}

static int unnamed_unsupported(int e)
{
    /* What kernels and file systems without O_TMPFILE answer. */
    return e == EOPNOTSUPP || e == EISDIR || e == EINVAL || e == ENOENT;
}

static ms_status open_in(ms_outfile *o, mode_t mode, ms_error *err)
{
    int fd = open_unnamed(o->dirfd, mode);
    if (fd >= 0) {
        o->unnamed = 1;
    } else if (!unnamed_unsupported(errno)) {
        return ms_fail(err, MS_E_IO, "%s: cannot create: %s", o->display, strerror(errno));
    } else {
        for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
            random_name(o->tmpname);
            /* Registered before it exists, so no instant has it unlisted. */
            if ((o->slot = slot_register(o->dirfd, o->tmpname)) < 0)
                return ms_fail(err, MS_E_LIMIT, "%s: too many temporary files open", o->display);
            fd = openat(o->dirfd, o->tmpname,
                        O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd < 0) {
                int e = errno;
                slot_release(o->slot);
                o->slot = -1;
                if (e != EEXIST)
                    return ms_fail(err, MS_E_IO, "%s: cannot create: %s", o->display,
                                   strerror(e));
            }
        }
        if (fd < 0)
            return ms_fail(err, MS_E_IO, "%s: cannot create a temporary file", o->display);
    }
    /* The mode asked for, whatever the umask (0600 for secrets). */
    if (fchmod(fd, mode) != 0) {
        int e = errno;
        close(fd);
        if (o->slot >= 0)
            unlinkat(o->dirfd, o->tmpname, 0);
        return ms_fail(err, MS_E_IO, "%s: cannot set its mode: %s", o->display, strerror(e));
    }
    o->fd = fd;
    return MS_OK;
}

static ms_outfile *outfile_new(const char *leaf, const char *display)
{
    ms_outfile *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->fd = o->dirfd = -1;
    o->slot = -1;
    o->leaf = strdup(leaf);
    o->display = strdup(display);
    if (o->leaf == NULL || o->display == NULL) {
        ms_outfile_free(o);
        return NULL;
    }
    return o;
}

ms_status ms_outfile_openat(int dirfd, const char *leaf, const char *display, mode_t mode,
                            ms_outfile **out, ms_error *err)
{
    *out = NULL;
    ms_outfile *o = outfile_new(leaf, display);
    if (o == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", display);
    if ((o->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) < 0) {
        ms_status st = ms_fail(err, MS_E_IO, "%s: %s", display, strerror(errno));
        ms_outfile_free(o);
        return st;
    }
    ms_status st = open_in(o, mode, err);
    if (st != MS_OK) {
        ms_outfile_free(o);
        return st;
    }
    *out = o;
    return MS_OK;
}

/* The directory part of path ("." for a bare name) and its last component. */
static int split_path(const char *path, char **dir, const char **leaf)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *dir = strdup(".");
        *leaf = path;
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        *dir = strndup(path, n);
        *leaf = slash + 1;
    }
    return *dir != NULL ? 0 : -1;
}

ms_status ms_outfile_open(const char *path, mode_t mode, ms_outfile **out, ms_error *err)
{
    *out = NULL;
    char *dir;
    const char *leaf;
    if (split_path(path, &dir, &leaf) != 0)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    if (leaf[0] == '\0') {
        free(dir);
        return ms_fail(err, MS_E_IO, "%s: cannot create: Is a directory", path);
    }
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = errno;
    free(dir);
    if (dirfd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot create: %s", path, strerror(e));
    ms_status st = ms_outfile_openat(dirfd, leaf, path, mode, out, err);
    close(dirfd);
    return st;
}

int ms_outfile_fd(const ms_outfile *o)
{
    return o->fd;
}

int ms_outfile_unnamed(const ms_outfile *o)
{
    return o->unnamed;
}

/* Give the unnamed file the name `name` in its directory. */
static int link_unnamed(const ms_outfile *o, const char *name)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
    return linkat(AT_FDCWD, proc, o->dirfd, name, AT_SYMLINK_FOLLOW);
}

static ms_status place(ms_outfile *o, int replace, ms_error *err)
{
    if (o->unnamed) {
        if (link_unnamed(o, o->leaf) == 0)
            return MS_OK;
        if (errno != EEXIST)
            return ms_fail(err, MS_E_IO, "%s: cannot put in place: %s", o->display,
                           strerror(errno));
        if (!replace)
            return ms_fail(err, MS_E_EXISTS, "%s: already exists", o->display);
        /* Replacing is a rename: link under a listed temporary name first. */
        for (int attempt = 0; attempt < 16; attempt++) {
            random_name(o->tmpname);
            if ((o->slot = slot_register(o->dirfd, o->tmpname)) < 0)
                return ms_fail(err, MS_E_LIMIT, "%s: too many temporary files open", o->display);
            if (link_unnamed(o, o->tmpname) == 0)
                break;
            int e = errno;
            slot_release(o->slot);
            o->slot = -1;
            o->tmpname[0] = '\0';
            if (e != EEXIST)
                return ms_fail(err, MS_E_IO, "%s: cannot put in place: %s", o->display,
                               strerror(e));
        }
        if (o->tmpname[0] == '\0')
            return ms_fail(err, MS_E_IO, "%s: cannot put in place", o->display);
    }
    int rc = replace ? renameat(o->dirfd, o->tmpname, o->dirfd, o->leaf)
                     : renameat2(o->dirfd, o->tmpname, o->dirfd, o->leaf, RENAME_NOREPLACE);
    if (rc != 0) {
        int e = errno;
        if (e == EEXIST)
            return ms_fail(err, MS_E_EXISTS, "%s: already exists", o->display);
        return ms_fail(err, MS_E_IO, "%s: cannot rename into place: %s", o->display,
                       strerror(e));
    }
    slot_release(o->slot);
    o->slot = -1;
    o->tmpname[0] = '\0';
    return MS_OK;
}

ms_status ms_outfile_commit(ms_outfile *o, int replace, ms_error *err)
{
    if (o == NULL || o->fd < 0)
        return ms_fail(err, MS_E_USAGE, "outfile: commit without an open file");
    if (fsync(o->fd) != 0)
        return ms_fail(err, MS_E_IO, "%s: fsync failed: %s", o->display, strerror(errno));
    ms_status st = place(o, replace, err);
    if (st != MS_OK)
        return st;
    (void)fsync(o->dirfd);
    int rc = close(o->fd);
    o->fd = -1;
    if (rc != 0)
        return ms_fail(err, MS_E_IO, "%s: close failed: %s", o->display, strerror(errno));
    return MS_OK;
}

void ms_outfile_free(ms_outfile *o)
{
    if (o == NULL)
        return;
    if (o->fd >= 0)
        close(o->fd);
    if (o->slot >= 0) {
        unlinkat(o->dirfd, o->tmpname, 0);
        slot_release(o->slot);
    }
    if (o->dirfd >= 0)
        close(o->dirfd);
    free(o->leaf);
    free(o->display);
    free(o);
}

ms_status ms_scratch_open(const char *near_path, int *fd, ms_error *err)
{
    *fd = -1;
    char *dir;
    const char *leaf;
    if (split_path(near_path, &dir, &leaf) != 0)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = errno;
    if (dirfd < 0) {
        ms_status st = ms_fail(err, MS_E_IO, "%s: cannot create a scratch file: %s", dir,
                               strerror(e));
        free(dir);
        return st;
    }
    int f = named_only() ? -1 : openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (f < 0 && (named_only() || unnamed_unsupported(errno))) {
        char name[TMP_NAME_MAX];
        for (int attempt = 0; attempt < 16 && f < 0; attempt++) {
            random_name(name);
            int slot = slot_register(dirfd, name);
            f = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            int oe = errno;
            if (f >= 0)
                unlinkat(dirfd, name, 0); /* nameless from here on */
            slot_release(slot);
            errno = oe;
            if (f < 0 && errno != EEXIST)
                break;
        }
    }
    e = errno;
    close(dirfd);
    if (f < 0) {
        ms_status st = ms_fail(err, MS_E_IO, "%s: cannot create a scratch file: %s", dir,
                               strerror(e));
        free(dir);
        return st;
    }
    free(dir);
    *fd = f;
    return MS_OK;
}
