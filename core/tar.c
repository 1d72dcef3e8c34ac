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
#include "core/safeopen.h"
#include "core/fsutil.h"
#include "core/outfile.h"
#include "core/progress.h"
#include "core/tar.h"

#define MS_TAR_CHUNK (1u << 20)

struct ms_tar_writer {
    struct archive *a;
    char *path;
    ms_outfile *out;
    int fd;
    int64_t mtime;
    int committed;
    uint8_t *buf;
};

static ms_status archive_fail(ms_error *err, struct archive *a, ms_status st, const char *what)
{
    const char *msg = archive_error_string(a);
    int e = archive_errno(a);
    /* libarchive's "Write error" alone does not say that the disk is full. */
    if (e > 0 && (msg == NULL || strstr(msg, strerror(e)) == NULL))
        return ms_fail(err, st, "%s: %s: %s", what, msg != NULL ? msg : "archive error",
                       strerror(e));
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
    ms_status st = ms_outfile_open(path, 0644, &w->out, err);
    if (st != MS_OK) {
        ms_tar_writer_free(w);
        return st;
    }
    w->fd = ms_outfile_fd(w->out);
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

/* Copy fd (from its current offset) into entry name; src names it in messages. */
static ms_status add_fd(ms_tar_writer *w, const char *name, int fd, int direct, const char *src,
                        uint64_t size, const uint8_t sha256[MS_SHA256_LEN], ms_error *err)
{
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
    return st;
}

ms_status ms_tar_writer_add_file(ms_tar_writer *w, const char *name, const char *src,
                                 uint64_t size, const uint8_t sha256[MS_SHA256_LEN], unsigned flags,
                                 ms_error *err)
{
    int direct = (flags & MS_TAR_READ_DIRECT) != 0;
    int fd = -1;
    ms_status ost = MS_E_IO;
    if (direct) {
        ms_error derr;
        ost = ms_open_regular(src, O_DIRECT, &fd, NULL, &derr);
    }
    if (ost != MS_OK) {
        /* Without direct I/O (tmpfs refuses it): the check then says why, if anything. */
        direct = 0;
        if ((ost = ms_open_regular(src, 0, &fd, NULL, err)) != MS_OK)
            return ost;
    }
    ms_status st = add_fd(w, name, fd, direct, src, size, sha256, err);
    close(fd);
    return st;
}

ms_status ms_tar_writer_add_fd(ms_tar_writer *w, const char *name, int fd, const char *label,
                               uint64_t size, const uint8_t sha256[MS_SHA256_LEN], unsigned flags,
                               ms_error *err)
{
    if (lseek(fd, 0, SEEK_SET) != 0)
        return ms_fail(err, MS_E_IO, "%s: cannot seek: %s", label, strerror(errno));
    int direct = 0;
    int fl = fcntl(fd, F_GETFL);
    if ((flags & MS_TAR_READ_DIRECT) && fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0)
        direct = 1;
    ms_status st = add_fd(w, name, fd, direct, label, size, sha256, err);
    if (direct)
        (void)ms_direct_off(fd);
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
    ms_status st = ms_outfile_commit(w->out, 1, err);
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
    ms_outfile_free(w->out); /* an uncommitted bundle leaves nothing */
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
    uint64_t data_offset;  /* where the next data block of the entry must start */
    int at_end;            /* ms_tar_reader_next has reported the end */
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

static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : (ssize_t)got;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* A ustar numeric field: octal digits (leading spaces, ending at a space or NUL) or
 * GNU base-256.  -1 when it is neither or too large to be a size. */
static int64_t header_number(const unsigned char *f, size_t len)
{
    uint64_t v = 0;
    if (f[0] & 0x80) {
        if (f[0] != 0x80)
            return -1; /* negative, or more than 2^56: no real size */
        for (size_t i = 1; i < len; i++) {
            if (v >> 55)
                return -1;
            v = v << 8 | f[i];
        }
        return (int64_t)v;
    }
    size_t i = 0;
    while (i < len && f[i] == ' ')
        i++;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60)
            return -1;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    return i == len || f[i] == ' ' || f[i] == '\0' ? (int64_t)v : -1;
}

/* Does a pax extended header hold a GNU.sparse.* record?  1 yes, 0 no, -1 when
 * its records are malformed (libarchive then ignores some of them, and other
 * readers may not). */
static int pax_names_sparse(const char *p, size_t len)
{
    static const char key[] = "GNU.sparse.";
    size_t i = 0;
    while (i < len) {
        size_t n = 0, j = i;
        while (j < len && p[j] >= '0' && p[j] <= '9' && n < len)
            n = n * 10 + (size_t)(p[j++] - '0');
        if (j >= len || p[j] != ' ' || n <= j - i + 1 || n > len - i || p[i + n - 1] != '\n')
            return -1;
        j++;
        if (i + n - j >= sizeof key - 1 && memcmp(p + j, key, sizeof key - 1) == 0)
            return 1;
        i += n;
    }
    return 0;
}

#define MS_TAR_MAX_PAX (1u << 20)

/*
 * Walk the raw headers of the entry libarchive just read: the pax and GNU
 * long-name headers that precede it, then its own.  libarchive reads any
 * unknown typeflag as a regular file and applies GNU sparse maps, where other
 * tar programs place the same bytes differently; the raw typeflag and pax
 * keywords settle what the entry is.
 */
static ms_status raw_entry_type(ms_tar_reader *r, const char *name, ms_tar_type *type,
                                ms_error *err)
{
    int64_t hp = archive_read_header_position(r->a);
    if (hp < 0)
        return ms_fail(err, MS_E_FORMAT, "%s: entry '%s': header position unknown", r->path,
                       name);
    uint64_t pos = (uint64_t)hp;
    unsigned char h[512];
    for (int depth = 0;; depth++) {
        if (depth > 16)
            return ms_fail(err, MS_E_FORMAT, "%s: entry '%s': more than 16 extension headers",
                           r->path, name);
        if (pread_full(r->fd, h, sizeof h, pos) != (ssize_t)sizeof h)
            return ms_fail(err, MS_E_FORMAT, "%s: entry '%s': cannot read its header at "
                           "offset %llu", r->path, name, (unsigned long long)pos);
        unsigned char t = h[156];
        int64_t size = header_number(h + 124, 12);
        if (t != 'x' && t != 'X' && t != 'g' && t != 'L' && t != 'K')
            break;
        if (size < 0 || (uint64_t)size > (1ull << 40))
            return ms_fail(err, MS_E_FORMAT, "%s: entry '%s': extension header at offset %llu "
                           "has no valid size", r->path, name, (unsigned long long)pos);
        if (t == 'x' || t == 'X' || t == 'g') {
            if ((uint64_t)size > MS_TAR_MAX_PAX)
                return ms_fail(err, MS_E_LIMIT, "%s: entry '%s': pax header of %lld bytes "
                               "(limit %u)", r->path, name, (long long)size, MS_TAR_MAX_PAX);
            char *pax = malloc((size_t)size + 1);
            if (pax == NULL)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
            ssize_t got = pread_full(r->fd, pax, (size_t)size, pos + 512);
            int sparse = got == (ssize_t)size ? pax_names_sparse(pax, (size_t)size) : 0;
            free(pax);
            if (got != (ssize_t)size)
                return ms_fail(err, MS_E_FORMAT, "%s: entry '%s': truncated pax header",
                               r->path, name);
            if (sparse < 0)
                return ms_fail(err, MS_E_FORMAT, "%s: entry '%s': malformed pax header at "
                               "offset %llu", r->path, name, (unsigned long long)pos);
            if (sparse) {
                *type = MS_TAR_SPARSE;
                return MS_OK;
            }
        }
        pos += 512 + (((uint64_t)size + 511) & ~(uint64_t)511);
    }
    switch (h[156]) {
    case '0': case '\0': case '7':
        break; /* regular: libarchive's own reading stands */
    case '1': case '2': case '3': case '4': case '5': case '6':
        break;
    case 'S':
        *type = MS_TAR_SPARSE;
        break;
    default:
        *type = MS_TAR_OTHER;
        break;
    }
    return MS_OK;
}

ms_status ms_tar_reader_next(ms_tar_reader *r, ms_tar_entry *e, int *done, ms_error *err)
{
    struct archive_entry *ae = NULL;
    *done = 0;
    int rc = archive_read_next_header(r->a, &ae);
    if (rc == ARCHIVE_EOF) {
        *done = 1;
        r->at_end = 1;
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
    r->data_offset = 0;
    if (archive_entry_sparse_count(ae) > 0)
        e->type = MS_TAR_SPARSE;
    return raw_entry_type(r, e->name, &e->type, err);
}

const char *ms_tar_type_name(ms_tar_type t)
{
    switch (t) {
    case MS_TAR_REGULAR: return "regular file";
    case MS_TAR_DIRECTORY: return "directory";
    case MS_TAR_SYMLINK: return "symbolic link";
    case MS_TAR_HARDLINK: return "hard link";
    case MS_TAR_SPARSE: return "sparse file";
    case MS_TAR_OTHER: break;
    }
    return "special file";
}

ms_status ms_tar_reader_trailing(ms_tar_reader *r, uint64_t *end, int64_t *junk_at,
                                 ms_error *err)
{
    *end = 0;
    *junk_at = -1;
    if (!r->at_end)
        return ms_fail(err, MS_E_USAGE, "%s: the archive has not been read to its end",
                       r->path);
    la_int64_t consumed = archive_filter_bytes(r->a, 0);
    struct stat sb;
    if (consumed < 0 || fstat(r->fd, &sb) != 0)
        return ms_fail(err, MS_E_IO, "%s: cannot tell where the archive ends", r->path);
    *end = (uint64_t)consumed;
    unsigned char buf[65536];
    uint64_t pos = (uint64_t)consumed;
    while (pos < (uint64_t)sb.st_size) {
        size_t want = (uint64_t)sb.st_size - pos < sizeof buf ? (size_t)((uint64_t)sb.st_size - pos)
                                                               : sizeof buf;
        ssize_t n = pread_full(r->fd, buf, want, pos);
        if (n < 0)
            return ms_fail(err, MS_E_IO, "%s: read error: %s", r->path, strerror(errno));
        if (n == 0)
            break; /* the file shrank: nothing more follows */
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != 0) {
                *junk_at = (int64_t)(pos + (uint64_t)i);
                return MS_OK;
            }
        pos += (uint64_t)n;
    }
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
    if (offset < 0 || (uint64_t)offset != r->data_offset) {
        *len = 0;
        return ms_fail(err, MS_E_FORMAT, "%s: entry data at offset %lld where %llu was due "
                       "(holes and reordered data are not allowed)", r->path,
                       (long long)offset, (unsigned long long)r->data_offset);
    }
    r->data_offset += *len;
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
