/*
 * Tar I/O through libarchive; the only file that calls libarchive.
 *
 * The writer produces a deterministic POSIX (ustar, pax when needed) archive:
 * fixed mtime, owner 0:0 with empty names, mode 0644, entries in call order.
 * It writes to a nameless file in the target's directory (core/outfile.h) and
 * links it into place on commit, so a failed or killed write never leaves a
 * partial bundle.
 *
 * The reader accepts only uncompressed tar and hands out every entry with
 * its type, so callers can refuse links, devices, directories and sparse
 * files.  The type comes from the raw headers as well as from libarchive:
 * a GNU sparse entry, or a typeflag libarchive reads as a regular file but
 * other tar programs do not, is never reported as MS_TAR_REGULAR.
 */
#ifndef MS_CORE_TAR_H
#define MS_CORE_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "modelseal/error.h"

typedef struct ms_tar_writer ms_tar_writer;
struct ms_tar_reader;

ms_status ms_tar_writer_open(const char *path, int64_t mtime, ms_tar_writer **out, ms_error *err);
ms_status ms_tar_writer_add_bytes(ms_tar_writer *w, const char *name, const void *data,
                                  size_t len, ms_error *err);
/*
 * Stream a file from disk into entry `name`.  The file is re-hashed while
 * copied and must still have `size` bytes and digest `sha256` (it may have
 * changed since it was first hashed): a mismatch is MS_E_IO naming the file.
 * MS_TAR_READ_DIRECT reads it around the page cache (O_DIRECT, where the
 * file system allows): for a file of modelseal's own that was written the
 * same way and is not read again.
 */
#define MS_TAR_READ_DIRECT 1u
ms_status ms_tar_writer_add_file(ms_tar_writer *w, const char *name, const char *src,
                                 uint64_t size, const uint8_t sha256[MS_SHA256_LEN], unsigned flags,
                                 ms_error *err);
/* The same from an open file (read from offset 0; label names it in messages). */
ms_status ms_tar_writer_add_fd(ms_tar_writer *w, const char *name, int fd, const char *label,
                               uint64_t size, const uint8_t sha256[MS_SHA256_LEN], unsigned flags,
                               ms_error *err);
/*
 * Copy the current entry of reader r (size bytes) into entry `name`, hashing
 * it on the way; when want_sha256 is non-NULL a different digest is MS_E_IO
 * (the source changed since it was checked).
 */
ms_status ms_tar_writer_add_from(ms_tar_writer *w, const char *name, struct ms_tar_reader *r,
                                 uint64_t size, const uint8_t *want_sha256, ms_error *err);
/* Finish the archive, fsync and rename it to its path. */
ms_status ms_tar_writer_commit(ms_tar_writer *w, ms_error *err);
/* Release; removes the temporary file if not committed.  Accepts NULL. */
void ms_tar_writer_free(ms_tar_writer *w);

typedef enum ms_tar_type {
    MS_TAR_REGULAR,
    MS_TAR_DIRECTORY,
    MS_TAR_SYMLINK,
    MS_TAR_HARDLINK,
    MS_TAR_OTHER,  /* device, fifo, socket, or a typeflag not listed here */
    MS_TAR_SPARSE, /* GNU sparse file (typeflag 'S' or GNU.sparse.* pax records) */
} ms_tar_type;

/* "regular file", "directory", "symbolic link", "hard link", "special file", "sparse file". */
const char *ms_tar_type_name(ms_tar_type t);

typedef struct ms_tar_entry {
    const char *name;     /* valid until the next call to ms_tar_reader_next */
    const char *link;     /* link target for links, else NULL */
    ms_tar_type type;
    uint64_t size;
} ms_tar_entry;

typedef struct ms_tar_reader ms_tar_reader;

ms_status ms_tar_reader_open(const char *path, ms_tar_reader **out, ms_error *err);
/*
 * The same, also hashing the whole file as libarchive reads it (skipped
 * data is read, not seeked over).  After the last entry,
 * ms_tar_reader_file_digest() hashes whatever follows the end-of-archive
 * blocks and gives the file's SHA-256 and size: the file is read once.
 */
ms_status ms_tar_reader_open_hashed(const char *path, ms_tar_reader **out, ms_error *err);
ms_status ms_tar_reader_file_digest(ms_tar_reader *r, uint8_t out[MS_SHA256_LEN],
                                    uint64_t *size, ms_error *err);
/* Next entry header.  *done is set to 1 at the end of the archive. */
ms_status ms_tar_reader_next(ms_tar_reader *r, ms_tar_entry *e, int *done, ms_error *err);
/*
 * After *done: what follows the end of the archive.  *end is the offset just
 * past the end-of-archive marker (or past the last entry, when the marker is
 * missing); *junk_at is the offset of the first byte after it that is not
 * zero, or -1 when only zero padding (or nothing) follows.
 */
ms_status ms_tar_reader_trailing(ms_tar_reader *r, uint64_t *end, int64_t *junk_at,
                                 ms_error *err);
/* Read up to cap bytes of the current entry's data; *got == 0 at its end. */
ms_status ms_tar_reader_read(ms_tar_reader *r, void *buf, size_t cap, size_t *got,
                             ms_error *err);
/*
 * Next block of the current entry's data without copying: *data points into
 * libarchive's buffer until the next call; *len == 0 at the entry's end.
 * Blocks must follow each other from offset 0: a hole or a block placed
 * elsewhere (which only sparse entries have) is MS_E_FORMAT.
 */
ms_status ms_tar_reader_block(ms_tar_reader *r, const void **data, size_t *len, ms_error *err);
/* Skip the rest of the current entry (seeks when the file allows). */
ms_status ms_tar_reader_skip(ms_tar_reader *r, ms_error *err);
void ms_tar_reader_free(ms_tar_reader *r);

#endif
