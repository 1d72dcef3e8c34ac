#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/tar.h"

#define MS_TAR_CHUNK (1u << 20)

struct ms_tar_writer {
    struct archive *a;
    char *path;
    char *tmp;
    int fd;
    int64_t mtime;
    int committed;
    uint8_t *buf;
};

static ms_status archive_fail(ms_error *err, struct archive *a, ms_status st, const char *what)
{
    const char *msg = archive_error_string(a);
    return ms_fail(err, st, "%s: %s", what, msg != NULL ? msg : "archive error");
}

ms_status ms_tar_writer_open(const char *path, int64_t mtime, ms_tar_writer **out, ms_error *err)
{
    *out = NULL;
    ms_tar_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    w->fd = -1;
    w->mtime = mtime;
    w->path = strdup(path);
    /* page-aligned, so that direct reads (MS_TAR_READ_DIRECT) can land in it */
    if (posix_memalign((void **)&w->buf, 4096, MS_TAR_CHUNK) != 0)
        w->buf = NULL;
    if (w->path == NULL || w->buf == NULL) {
        ms_tar_writer_free(w);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    ms_status st = ms_tempfile_beside(path, 0644, &w->fd, &w->tmp, err);
    if (st != MS_OK) {
        ms_tar_writer_free(w);
        return st;
    }
    w->a = archive_write_new();
    if (w->a == NULL) {
        ms_tar_writer_free(w);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    /* pax_restricted: plain ustar headers unless a field needs an extension. */
    if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_add_filter_none(w->a) != ARCHIVE_OK ||
        /* Bigger writes than tar's 10 KiB records; with no padding of the last block
         * the bytes are the same whatever the block size. */
        archive_write_set_bytes_per_block(w->a, 1 << 20) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(w->a, w->fd) != ARCHIVE_OK) {
        st = archive_fail(err, w->a, MS_E_IO, path);
        ms_tar_writer_free(w);
        return st;
    }
    *out = w;
    return MS_OK;
}

static struct archive_entry *make_entry(const ms_tar_writer *w, const char *name, uint64_t size)
{
    struct archive_entry *e = archive_entry_new();
    if (e == NULL)
        return NULL;
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, (time_t)w->mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    return e;
}

ms_status ms_tar_writer_add_bytes(ms_tar_writer *w, const char *name, const void *data,
                                  size_t len, ms_error *err)
{
    struct archive_entry *e = make_entry(w, name, len);
    if (e == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", w->path);
    ms_status st = MS_OK;
    if (archive_write_header(w->a, e) != ARCHIVE_OK)
        st = archive_fail(err, w->a, MS_E_IO, w->path);
    else if (len > 0 && archive_write_data(w->a, data, len) != (la_ssize_t)len)
        st = archive_fail(err, w->a, MS_E_IO, w->path);
    archive_entry_free(e);
    return st;
}

/* read(), turning O_DIRECT off (and retrying) where the file system refuses it. */
static ssize_t read_some(int fd, void *buf, size_t want, int *direct)
{
    for (;;) {
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EINVAL && *direct && ms_direct_off(fd) == 0) {
            *direct = 0;
            continue;
        }
        return r;
    }
}

ms_status ms_tar_writer_add_file(ms_tar_writer *w, const char *name, const char *src,
                                 uint64_t size, const uint8_t sha256[MS_SHA256_LEN], unsigned flags,
                                 ms_error *err)
{
    int direct = (flags & MS_TAR_READ_DIRECT) != 0;
    int fd = direct ? open(src, O_RDONLY | O_CLOEXEC | O_DIRECT) : -1;
    if (fd < 0) {
        direct = 0;
        fd = open(src, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", src, strerror(errno));
    ms_sha256 *h = ms_sha256_new();
    struct archive_entry *e = make_entry(w, name, size);
    ms_status st = MS_OK;
    if (h == NULL || e == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "%s: out of memory", src);
        goto out;
    }
    if (archive_write_header(w->a, e) != ARCHIVE_OK) {
        st = archive_fail(err, w->a, MS_E_IO, w->path);
        goto out;
    }
    /*
     * Direct reads ask for whole chunks (lengths and offsets stay aligned)
     * until a read returns nothing; buffered reads ask for what is left,
     * then for one byte more.  Either way a file longer than size shows up
     * as bytes past it, and one shorter as an end before size.
     */
    uint64_t done = 0;
    int longer = 0;
    for (;;) {
        size_t want = size - done < MS_TAR_CHUNK ? (size_t)(size - done) : MS_TAR_CHUNK;
        if (direct)
            want = MS_TAR_CHUNK;
        else if (want == 0)
            want = 1; /* probing for bytes past size */
        ssize_t r = read_some(fd, w->buf, want, &direct);
        if (r < 0) {
            st = ms_fail(err, MS_E_IO, "%s: read failed: %s", src, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        if ((uint64_t)r > size - done) {
            longer = 1;
            break;
        }
        ms_sha256_update(h, w->buf, (size_t)r);
        if (archive_write_data(w->a, w->buf, (size_t)r) != r) {
            st = archive_fail(err, w->a, MS_E_IO, w->path);
            goto out;
        }
        done += (uint64_t)r;
        ms_prog_add((uint64_t)r, 0);
    }
    if (!longer && done < size) {
        st = ms_fail(err, MS_E_IO, "%s: file shrank while packing (%llu of %llu bytes)", src,
                     (unsigned long long)done, (unsigned long long)size);
        goto out;
    }
    uint8_t got[MS_SHA256_LEN];
    ms_sha256_final(h, got);
    if (longer || memcmp(got, sha256, MS_SHA256_LEN) != 0)
        st = ms_fail(err, MS_E_IO, "%s: file changed while packing", src);
out:
    archive_entry_free(e);
    ms_sha256_free(h);
    close(fd);
    return st;
}

ms_status ms_tar_writer_add_from(ms_tar_writer *w, const char *name, ms_tar_reader *r,
                                 uint64_t size, const uint8_t *want_sha256, ms_error *err)
{
    struct archive_entry *e = make_entry(w, name, size);
    ms_sha256 *h = ms_sha256_new();
    ms_status st = MS_OK;
    if (e == NULL || h == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "%s: out of memory", w->path);
        goto out;
    }
    if (archive_write_header(w->a, e) != ARCHIVE_OK) {
        st = archive_fail(err, w->a, MS_E_IO, w->path);
        goto out;
    }
    uint64_t done = 0;
    for (;;) {
        const void *block;
        size_t len;
        if ((st = ms_tar_reader_block(r, &block, &len, err)) != MS_OK)
            goto out;
        if (len == 0)
            break;
        if (len > size - done) {
            st = ms_fail(err, MS_E_FORMAT, "%s: entry longer than its header says", name);
            goto out;
        }
        ms_sha256_update(h, block, len);
        if (archive_write_data(w->a, block, len) != (la_ssize_t)len) {
            st = archive_fail(err, w->a, MS_E_IO, w->path);
            goto out;
        }
        done += len;
        ms_prog_add(len, 0);
    }
    uint8_t got[MS_SHA256_LEN];
    ms_sha256_final(h, got);
    if (done != size)
        st = ms_fail(err, MS_E_FORMAT, "%s: entry shorter than its header says", name);
    else if (want_sha256 != NULL && memcmp(got, want_sha256, MS_SHA256_LEN) != 0)
        st = ms_fail(err, MS_E_IO, "%s: changed while being copied", name);
out:
    archive_entry_free(e);
    ms_sha256_free(h);
    return st;
}

ms_status ms_tar_writer_commit(ms_tar_writer *w, ms_error *err)
{
    if (archive_write_close(w->a) != ARCHIVE_OK)
        return archive_fail(err, w->a, MS_E_IO, w->path);
    ms_status st = ms_commit_tempfile(w->fd, w->tmp, w->path, 1, err);
    w->fd = -1;
    if (st == MS_OK)
        w->committed = 1;
    return st;
}

void ms_tar_writer_free(ms_tar_writer *w)
{
    if (w == NULL)
        return;
    if (w->a != NULL)
        archive_write_free(w->a);
    if (w->fd >= 0)
        close(w->fd);
    if (!w->committed && w->tmp != NULL)
        unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w->buf);
    free(w);
}

#define MS_TAR_READ_BLOCK (1u << 20)

struct ms_tar_reader {
    struct archive *a;
    char *path;
    int fd;
    ms_sha256 *file_hash;  /* the whole file's SHA-256 as it is read, or NULL */
    unsigned char *buf;    /* read buffer when hashing */
    uint64_t file_bytes;
};

/* libarchive read callback when hashing: every byte passes through here once. */
static la_ssize_t hashed_read(struct archive *a, void *data, const void **buf)
{
    ms_tar_reader *r = data;
    ssize_t n;
    do
        n = read(r->fd, r->buf, MS_TAR_READ_BLOCK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "read error");
        return -1;
    }
    ms_sha256_update(r->file_hash, r->buf, (size_t)n);
    r->file_bytes += (uint64_t)n;
    *buf = r->buf;
    return n;
}

static ms_status reader_open(const char *path, int hash_file, ms_tar_reader **out,
                             ms_error *err)
{
    *out = NULL;
    ms_tar_reader *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = strdup(path)) == NULL) {
        free(r);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    r->fd = -1;
    /* One open, then fstat: a FIFO or device swapped in after a check cannot block us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        ms_tar_reader_free(r);
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        ms_tar_reader_free(r);
        return ms_fail(err, MS_E_IO, "%s: not a regular file", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        ms_tar_reader_free(r);
        return ms_fail(err, MS_E_FORMAT, "%s: empty file, not a bundle", path);
    }
    unsigned char magic[2] = {0, 0};
    if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        close(fd);
        ms_tar_reader_free(r);
        return ms_fail(err, MS_E_FORMAT,
                       "%s: gzip-compressed; a bundle is an uncompressed tar archive", path);
    }
    /* Back to blocking reads for libarchive. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    r->fd = fd;
    r->a = archive_read_new();
    if (r->a == NULL) {
        ms_tar_reader_free(r);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    archive_read_support_format_tar(r->a);
    int rc;
    if (hash_file) {
        /* No skip callback: libarchive reads what it skips, and it is hashed. */
        r->file_hash = ms_sha256_new();
        r->buf = malloc(MS_TAR_READ_BLOCK);
        if (r->file_hash == NULL || r->buf == NULL) {
            ms_tar_reader_free(r);
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
        }
        rc = archive_read_open(r->a, r, NULL, hashed_read, NULL);
    } else {
        rc = archive_read_open_fd(r->a, r->fd, MS_TAR_READ_BLOCK);
    }
    if (rc != ARCHIVE_OK) {
        const char *msg = archive_error_string(r->a);
        ms_status st = ms_fail(err, MS_E_FORMAT, "%s: not a tar archive (%s)", path,
                               msg != NULL ? msg : "unreadable");
        ms_tar_reader_free(r);
        return st;
    }
    *out = r;
    return MS_OK;
}

ms_status ms_tar_reader_open(const char *path, ms_tar_reader **out, ms_error *err)
{
    return reader_open(path, 0, out, err);
}

ms_status ms_tar_reader_open_hashed(const char *path, ms_tar_reader **out, ms_error *err)
{
    return reader_open(path, 1, out, err);
}

ms_status ms_tar_reader_file_digest(ms_tar_reader *r, uint8_t out[MS_SHA256_LEN],
                                    uint64_t *size, ms_error *err)
{
    if (r->file_hash == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: the reader was not opened for hashing", r->path);
    /* libarchive stops at the end-of-archive blocks: hash what follows too. */
    for (;;) {
        ssize_t n = read(r->fd, r->buf, MS_TAR_READ_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ms_fail(err, MS_E_IO, "%s: read error: %s", r->path, strerror(errno));
        if (n == 0)
            break;
        ms_sha256_update(r->file_hash, r->buf, (size_t)n);
        r->file_bytes += (uint64_t)n;
    }
    ms_sha256_final(r->file_hash, out);
    ms_sha256_free(r->file_hash);
    r->file_hash = NULL;
    *size = r->file_bytes;
    return MS_OK;
}

ms_status ms_tar_reader_next(ms_tar_reader *r, ms_tar_entry *e, int *done, ms_error *err)
{
    struct archive_entry *ae = NULL;
    *done = 0;
    int rc = archive_read_next_header(r->a, &ae);
    if (rc == ARCHIVE_EOF) {
        *done = 1;
        return MS_OK;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        const char *msg = archive_error_string(r->a);
        if (msg == NULL)
            msg = "archive error";
        if (strstr(msg, "Truncated") != NULL)
            return ms_fail(err, MS_E_FORMAT, "%s: truncated archive (%s)", r->path, msg);
        return ms_fail(err, MS_E_FORMAT, "%s: not a tar archive (%s)", r->path, msg);
    }
    memset(e, 0, sizeof *e);
    e->name = archive_entry_pathname(ae);
    if (e->name == NULL)
        e->name = "";
    const char *hard = archive_entry_hardlink(ae);
    const char *sym = archive_entry_symlink(ae);
    mode_t t = archive_entry_filetype(ae);
    if (hard != NULL) {
        e->type = MS_TAR_HARDLINK;
        e->link = hard;
    } else if (t == AE_IFLNK) {
        e->type = MS_TAR_SYMLINK;
        e->link = sym;
    } else if (t == AE_IFREG) {
        e->type = MS_TAR_REGULAR;
    } else if (t == AE_IFDIR) {
        e->type = MS_TAR_DIRECTORY;
    } else {
        e->type = MS_TAR_OTHER;
    }
    la_int64_t size = archive_entry_size(ae);
    e->size = size > 0 ? (uint64_t)size : 0;
    return MS_OK;
}

ms_status ms_tar_reader_read(ms_tar_reader *r, void *buf, size_t cap, size_t *got,
                             ms_error *err)
{
    la_ssize_t n = archive_read_data(r->a, buf, cap);
    if (n < 0) {
        *got = 0;
        const char *msg = archive_error_string(r->a);
        return ms_fail(err, MS_E_FORMAT, "%s: truncated or corrupt archive (%s)", r->path,
                       msg != NULL ? msg : "read error");
    }
    *got = (size_t)n;
    return MS_OK;
}

ms_status ms_tar_reader_block(ms_tar_reader *r, const void **data, size_t *len, ms_error *err)
{
    la_int64_t offset = 0;
    int rc = archive_read_data_block(r->a, data, len, &offset);
    if (rc == ARCHIVE_EOF) {
        *len = 0;
        return MS_OK;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        *len = 0;
        const char *msg = archive_error_string(r->a);
        return ms_fail(err, MS_E_FORMAT, "%s: truncated or corrupt archive (%s)", r->path,
                       msg != NULL ? msg : "read error");
    }
    return MS_OK;
}

ms_status ms_tar_reader_skip(ms_tar_reader *r, ms_error *err)
{
    if (archive_read_data_skip(r->a) != ARCHIVE_OK) {
        const char *msg = archive_error_string(r->a);
        return ms_fail(err, MS_E_FORMAT, "%s: truncated or corrupt archive (%s)", r->path,
                       msg != NULL ? msg : "read error");
    }
    return MS_OK;
}

void ms_tar_reader_free(ms_tar_reader *r)
{
    if (r == NULL)
        return;
    if (r->a != NULL)
        archive_read_free(r->a);
    if (r->fd >= 0)
        close(r->fd);
    ms_sha256_free(r->file_hash);
    free(r->buf);
    free(r->path);
    free(r);
}
