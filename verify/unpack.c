/*
 * unpack: verify, then write each model file under the target directory.
 *
 * The archive is read a second time for the file contents; every byte is
 * re-hashed on the way and a file is put in place (core/outfile.h: it has
 * no name until then) only when its digest matches the verified manifest, so swapping the bundle between
 * the two reads cannot smuggle in other content.  Paths are opened one
 * component at a time with O_NOFOLLOW, so neither the bundle nor a symbolic
 * link already present in the target can lead a write outside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/outfile.h"
#include "core/progress.h"
#include "core/tar.h"
#include "verify/view.h"

/* Refuse existing targets and symbolic links before anything is written. */
static ms_status precheck(int dirfd, const ms_view_file *f, int force, ms_error *err)
{
    char path[4097];
    snprintf(path, sizeof path, "%s", f->filepath);
    int cur = dup(dirfd);
    if (cur < 0)
        return ms_fail(err, MS_E_IO, "%s", strerror(errno));
    char *s = path;
    for (;;) {
        char *slash = strchr(s, '/');
        if (slash != NULL)
            *slash = '\0';
        struct stat sb;
        int rc = fstatat(cur, s, &sb, AT_SYMLINK_NOFOLLOW);
        if (rc != 0) {
            close(cur);
            if (errno == ENOENT)
                return MS_OK; /* the rest will be created */
            return ms_fail(err, MS_E_IO, "'%s': %s", f->filepath, strerror(errno));
        }
        if (S_ISLNK(sb.st_mode)) {
            close(cur);
            return ms_fail(err, MS_E_UNSAFE_PATH,
                           "'%s': '%s' is a symbolic link in the target directory; refusing to "
                           "write through it", f->filepath, s);
        }
        if (slash == NULL) {
            close(cur);
            if (S_ISDIR(sb.st_mode))
                return ms_fail(err, MS_E_EXISTS, "'%s': a directory is in the way", f->filepath);
            if (!force)
                return ms_fail(err, MS_E_EXISTS, "'%s': already exists (use --force to replace)",
                               f->filepath);
            return MS_OK;
        }
        if (!S_ISDIR(sb.st_mode)) {
            close(cur);
            return ms_fail(err, MS_E_UNSAFE_PATH, "'%s': '%s' is not a directory", f->filepath, s);
        }
        int next = openat(cur, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(cur);
        if (next < 0)
            return ms_fail(err, MS_E_UNSAFE_PATH, "'%s': cannot open '%s': %s", f->filepath, s,
                           strerror(errno));
        cur = next;
        s = slash + 1;
    }
}

typedef struct target {
    const ms_view_file *f;
    int parent;
    const char *leaf;
    ms_outfile *out; /* nameless until committed (core/outfile.h) */
    int fd;          /* its descriptor while open, else -1 */
    int done;
} target;

static void target_abort(target *t)
{
    ms_outfile_free(t->out);
    t->out = NULL;
    t->fd = -1;
    if (t->parent >= 0) {
        close(t->parent);
        t->parent = -1;
    }
}

/*
 * Directories already cleared of what interrupted runs left: by device and
 * inode, so each is read once.
 */
typedef struct swept {
    dev_t *dev;
    ino_t *ino;
    size_t n, cap;
} swept;

/*
 * Remove temporaries an earlier run could not (killed while a file system
 * without nameless files was in use, or by a release that named them
 * ".modelseal-unpack-PID-N"): regular files with modelseal's temporary
 * prefixes only.  Safe because the target is locked (ms_unpack): no live
 * unpack owns them.
 */
static void sweep_stale(int parent, swept *sw)
{
    struct stat sb;
    if (fstat(parent, &sb) != 0)
        return;
    for (size_t i = 0; i < sw->n; i++)
        if (sw->dev[i] == sb.st_dev && sw->ino[i] == sb.st_ino)
            return;
    if (sw->n == sw->cap) {
        size_t cap = sw->cap ? sw->cap * 2 : 8;
        dev_t *d = realloc(sw->dev, cap * sizeof *d);
        if (d != NULL)
            sw->dev = d;
        ino_t *n = realloc(sw->ino, cap * sizeof *n);
        if (n != NULL)
            sw->ino = n;
        if (d == NULL || n == NULL)
            return;
        sw->cap = cap;
    }
    sw->dev[sw->n] = sb.st_dev;
    sw->ino[sw->n++] = sb.st_ino;
    int fd = fcntl(parent, F_DUPFD_CLOEXEC, 0);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, ".modelseal-unpack-", 18) != 0 &&
            strncmp(e->d_name, ".modelseal-tmp-", 15) != 0)
            continue;
        struct stat eb;
        if (fstatat(parent, e->d_name, &eb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(eb.st_mode))
            unlinkat(parent, e->d_name, 0);
    }
    closedir(d);
}

static ms_status target_open(int dirfd, target *t, swept *sw, ms_error *err)
{
    ms_status st = ms_open_parent_beneath(dirfd, t->f->filepath, &t->parent, &t->leaf, err);
    if (st != MS_OK)
        return st;
    sweep_stale(t->parent, sw);
    char what[4200];
    snprintf(what, sizeof what, "'%s'", t->f->filepath);
    if ((st = ms_outfile_openat(t->parent, t->leaf, what, 0644, &t->out, err)) != MS_OK)
        return st;
    t->fd = ms_outfile_fd(t->out);
    return MS_OK;
}

static ms_status write_all(int fd, const uint8_t *p, size_t n, const char *what, ms_error *err)
{
    if (ms_write_all(fd, p, n) != 0)
        return ms_fail(err, MS_E_IO, "'%s': write failed: %s", what, strerror(errno));
    return MS_OK;
}

/* Stream one blob into every target that wants it, then commit them. */
static ms_status extract_blob(ms_tar_reader *r, const char *hex, target *ts, size_t nt, int dirfd,
                              int force, uint8_t *buf, size_t cap, ms_sha256 *h, swept *sw,
                              ms_error *err)
{
    ms_status st = MS_OK;
    size_t opened = 0;
    for (size_t i = 0; i < nt && st == MS_OK; i++) {
        if (ts[i].done || strcmp(ts[i].f->hex, hex) != 0)
            continue;
        st = target_open(dirfd, &ts[i], sw, err);
        opened++;
    }
    if (opened == 0)
        return MS_OK;
    for (;;) {
        size_t got = 0;
        if (st == MS_OK)
            st = ms_tar_reader_read(r, buf, cap, &got, err);
        if (st != MS_OK || got == 0)
            break;
        ms_sha256_update(h, buf, got);
        for (size_t i = 0; i < nt && st == MS_OK; i++)
            if (ts[i].fd >= 0)
                st = write_all(ts[i].fd, buf, got, ts[i].f->filepath, err);
        ms_prog_add((uint64_t)got * opened, 0);
    }
    uint8_t dg[MS_SHA256_LEN];
    char got_hex[MS_SHA256_HEX_LEN + 1];
    ms_sha256_final(h, dg);
    ms_hex_encode(dg, MS_SHA256_LEN, got_hex);
    if (st == MS_OK && strcmp(got_hex, hex) != 0)
        st = ms_fail(err, MS_E_REJECTED,
                     "blob sha256:%s changed between verification and extraction", hex);
    for (size_t i = 0; i < nt; i++) {
        target *t = &ts[i];
        if (t->fd < 0)
            continue;
        if (st == MS_OK && (st = ms_outfile_commit(t->out, force, err)) == MS_OK) {
            t->done = 1;
            ms_prog_add(0, 1);
        }
        target_abort(t);
    }
    return st;
}

static ms_status unpack(const ms_unpack_options *opt, ms_report **report, ms_error *err)
{
    if (opt == NULL || opt->bundle_path == NULL || opt->output_dir == NULL || report == NULL)
        return ms_fail(err, MS_E_USAGE, "unpack needs a bundle and an output directory");
    ms_view *v = NULL;
    if (opt->trust == NULL)
        return ms_fail(err, MS_E_USAGE, "unpack needs a trust set");
    int64_t at = opt->at != 0 || opt->at_set ? opt->at : (int64_t)time(NULL);
    ms_status st = ms_verify_view(opt->bundle_path, opt->trust, at, NULL, report, &v,
                                  err);
    if (st != MS_OK)
        return st;
    if (mkdir(opt->output_dir, 0755) != 0 && errno != EEXIST) {
        st = ms_fail(err, MS_E_IO, "%s: cannot create: %s", opt->output_dir, strerror(errno));
        ms_report_set_error(*report, err != NULL ? err->message : ms_strerror(st));
        ms_view_free(v);
        return st;
    }
    int dirfd = open(opt->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        st = ms_fail(err, MS_E_IO, "%s: cannot open directory: %s", opt->output_dir,
                     strerror(errno));
        ms_report_set_error(*report, err != NULL ? err->message : ms_strerror(st));
        ms_view_free(v);
        return st;
    }
    /* One unpack at a time into a target; the lock dies with its holder. */
    if (flock(dirfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            st = ms_fail(err, MS_E_IO, "%s: another modelseal unpack is writing into it",
                         opt->output_dir);
        else
            st = ms_fail(err, MS_E_IO, "%s: cannot lock: %s", opt->output_dir, strerror(e));
        ms_report_set_error(*report, err != NULL ? err->message : ms_strerror(st));
        close(dirfd);
        ms_view_free(v);
        return st;
    }
    target *ts = calloc(v->file_count ? v->file_count : 1, sizeof *ts);
    ms_tar_reader *r = NULL;
    ms_sha256 *h = ms_sha256_new();
    enum { CAP = 1 << 20 };
    uint8_t *buf = malloc(CAP);
    if (ts == NULL || h == NULL || buf == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < v->file_count; i++) {
        ts[i].f = &v->files[i];
        ts[i].fd = ts[i].parent = -1;
    }
    for (size_t i = 0; i < v->file_count; i++) {
        if ((st = precheck(dirfd, ts[i].f, opt->force, err)) != MS_OK) {
            ms_fail_prefix(err, "%s", opt->output_dir);
            goto out;
        }
    }
    uint64_t bytes = 0;
    for (size_t i = 0; i < v->file_count; i++)
        bytes += v->files[i].size;
    ms_prog_begin(MS_PROGRESS_WRITE_FILES, bytes, v->file_count);
    if ((st = ms_tar_reader_open(opt->bundle_path, &r, err)) != MS_OK)
        goto out;
    swept sw = {0};
    for (;;) {
        ms_tar_entry e;
        int done;
        if ((st = ms_tar_reader_next(r, &e, &done, err)) != MS_OK || done)
            break;
        /* The same entry rule as verification: only regular blob entries. */
        char why[700];
        if (ms_layout_entry_kind(&e, why, sizeof why) != MS_ENTRY_BLOB)
            continue;
        char hex[MS_SHA256_HEX_LEN + 1];
        snprintf(hex, sizeof hex, "%s", e.name + strlen("blobs/sha256/"));
        if ((st = extract_blob(r, hex, ts, v->file_count, dirfd, opt->force, buf, CAP, h, &sw,
                               err)) != MS_OK) {
            ms_fail_prefix(err, "%s", opt->output_dir);
            break;
        }
    }
    free(sw.dev);
    free(sw.ino);
    for (size_t i = 0; st == MS_OK && i < v->file_count; i++)
        if (!ts[i].done)
            st = ms_fail(err, MS_E_REJECTED, "'%s': its blob vanished after verification",
                         ts[i].f->filepath);
    if (st == MS_OK)
        ms_prog_finish();
out:
    /* The report said "verified"; say that writing the files did not succeed. */
    if (st != MS_OK && *report != NULL)
        ms_report_set_error(*report, err != NULL ? err->message : ms_strerror(st));
    if (ts != NULL && ts[0].f != NULL)
        for (size_t i = 0; i < v->file_count; i++)
            target_abort(&ts[i]);
    free(ts);
    free(buf);
    ms_sha256_free(h);
    ms_tar_reader_free(r);
    close(dirfd);
    ms_view_free(v);
    return st;
}

ms_status ms_unpack(const ms_unpack_options *opt, ms_report **report, ms_error *err)
{
    if (opt == NULL)
        return ms_fail(err, MS_E_USAGE, "unpack needs a bundle and an output directory");
    ms_prog pg;
    ms_prog_enter(&pg, opt->progress, opt->progress_user);
    ms_status st = unpack(opt, report, err);
    ms_prog_leave(&pg);
    return st;
}
