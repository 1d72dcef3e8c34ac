/*
 * modelseal: safetensors reader and writer.
 *
 * File layout (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON header, then the data
 * section.  The header maps tensor names to {dtype, shape, data_offsets}
 * and may hold "__metadata__", a string-to-string map.
 *
 * ms_safetensors_open() maps the file read-only and refuses, with a message
 * naming the file and the rule:
 *   - a header length above MS_SAFETENSORS_MAX_HEADER or past the end of file;
 *   - a header that is not one JSON object, or that repeats a key;
 *   - an unknown dtype, a shape that is not an array of non-negative
 *     integers, data_offsets that are not [begin, end] with begin <= end;
 *   - element count x dtype size (overflow-checked) != end - begin;
 *   - spans that, sorted, do not start at 0, leave a gap, overlap, or do not
 *     end exactly at the end of the file;
 *   - __metadata__ that is not an object of strings;
 *   - what JSON forbids but cJSON lets through: raw control bytes,
 *     ill-formed UTF-8, numbers such as 1.0, 1e2, 01 or -0; and \u0000
 *     escapes, which C strings would silently truncate.
 * Tensor entries must hold exactly dtype, shape and data_offsets.  Spaces
 * may pad the header; "{}" over an empty data section is a valid file with
 * no tensors, and zero-sized tensors (begin == end) are allowed where they
 * fit the chain of spans.  Names quoted in error messages are escaped
 * (\xNN) so that a hostile file cannot put control sequences on a terminal.
 * Only the header is read at open time; tensor bytes are paged in on use
 * (a file truncated by someone else while mapped raises SIGBUS on access).
 */
#ifndef MODELSEAL_SAFETENSORS_H
#define MODELSEAL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_SAFETENSORS_MAX_HEADER 100000000ULL
#define MS_SAFETENSORS_MAX_DIMS 8

typedef enum ms_dtype {
    MS_DTYPE_BOOL,
    MS_DTYPE_U8,
    MS_DTYPE_I8,
    MS_DTYPE_F8_E5M2,
    MS_DTYPE_F8_E4M3,
    MS_DTYPE_I16,
    MS_DTYPE_U16,
    MS_DTYPE_F16,
    MS_DTYPE_BF16,
    MS_DTYPE_I32,
    MS_DTYPE_U32,
    MS_DTYPE_F32,
    MS_DTYPE_I64,
    MS_DTYPE_U64,
    MS_DTYPE_F64,
    MS_DTYPE_COUNT
} ms_dtype;

/* The safetensors dtype string ("F32", "BF16", ...); NULL for an invalid value. */
const char *ms_dtype_name(ms_dtype dtype);
/* Bytes per element; 0 for an invalid value. */
size_t ms_dtype_size(ms_dtype dtype);
/* Parse a dtype string (exact, case-sensitive).  Returns 0 on success, -1 if unknown. */
int ms_dtype_parse(const char *name, ms_dtype *out);

typedef struct ms_tensor_info {
    const char *name;                          /* owned by the reader */
    ms_dtype dtype;
    size_t ndim;                               /* 0 for a scalar */
    uint64_t shape[MS_SAFETENSORS_MAX_DIMS];
    uint64_t begin, end;                       /* offsets within the data section */
} ms_tensor_info;

typedef struct ms_safetensors ms_safetensors;

/* Map and validate path.  *out is released with ms_safetensors_close(). */
ms_status ms_safetensors_open(const char *path, ms_safetensors **out, ms_error *err);

/*
 * Validate a complete file image in memory (same rules as open; `what`
 * names it in messages).  The buffer must outlive the reader.  Used by the
 * fuzz target and tests.
 */
ms_status ms_safetensors_open_memory(const void *buf, size_t len, const char *what,
                                     ms_safetensors **out, ms_error *err);

/*
 * Validate a file known only by its first len bytes (which must hold the
 * whole header, 8 + ms_safetensors_header_size() bytes) and its total size,
 * for readers that stream the data: the span rules are checked against
 * file_size.  ms_safetensors_data() returns NULL for such a reader.
 */
ms_status ms_safetensors_open_header(const void *buf, size_t len, uint64_t file_size,
                                     const char *what, ms_safetensors **out, ms_error *err);
/* The header length field in a file's first 8 bytes (little-endian). */
uint64_t ms_safetensors_header_size(const uint8_t first8[8]);

void ms_safetensors_close(ms_safetensors *st);

/* Tensors, sorted by name (byte order). */
size_t ms_safetensors_count(const ms_safetensors *st);
const ms_tensor_info *ms_safetensors_tensor(const ms_safetensors *st, size_t i);
/* NULL when absent. */
const ms_tensor_info *ms_safetensors_find(const ms_safetensors *st, const char *name);
/* Pointer to the tensor's bytes inside the mapping (end - begin bytes). */
const void *ms_safetensors_data(const ms_safetensors *st, const ms_tensor_info *t);

/*
 * Reading tensor bytes with pread(2) instead of through the mapping, to
 * stream a large tensor through a small buffer that stays in the CPU
 * cache (no page faults, no file pages in the resident set).
 * ms_safetensors_reopen() opens the file again, by the path it was opened
 * with, and checks that it is the same file (device, inode and size);
 * the caller closes the descriptor.  ms_safetensors_pread() reads len
 * bytes at offset off of tensor t; a file that got shorter is MS_E_IO.
 * Readers opened from memory have no file: MS_E_USAGE.
 */
ms_status ms_safetensors_reopen(const ms_safetensors *st, int *fd, ms_error *err);
ms_status ms_safetensors_pread(const ms_safetensors *st, int fd, const ms_tensor_info *t,
                               uint64_t off, void *buf, size_t len, ms_error *err);
/*
 * Let the kernel drop a tensor's pages from this process's memory once they
 * are no longer needed (a file mapping: they are read again if touched).
 * Keeps a reader's resident memory bounded by the tensors in use.
 */
void ms_safetensors_drop(const ms_safetensors *st, const ms_tensor_info *t);

/* Size of the data section and of the whole file. */
uint64_t ms_safetensors_data_size(const ms_safetensors *st);
uint64_t ms_safetensors_file_size(const ms_safetensors *st);

/* __metadata__ entries, sorted by key.  Returns NULL past the end. */
size_t ms_safetensors_metadata_count(const ms_safetensors *st);
const char *ms_safetensors_metadata_key(const ms_safetensors *st, size_t i);
const char *ms_safetensors_metadata_value(const ms_safetensors *st, size_t i);
/* Value for key, or NULL. */
const char *ms_safetensors_metadata_get(const ms_safetensors *st, const char *key);

/*
 * Writer.  Tensors are written in byte order of their names, each data
 * section packed without gaps; the header JSON is padded with spaces to a
 * multiple of 8 bytes.  Data pointers are borrowed until ms_st_writer_write()
 * returns.  The file is written to a temporary name beside path and renamed
 * into place, so a failure never leaves a partial file at path.  The same
 * tensors and metadata always give the same bytes, whatever the order of
 * the calls.  ms_st_writer_add() refuses (MS_E_USAGE) a repeated name, the
 * name "__metadata__", names that are not UTF-8, a NULL shape or data for a
 * non-empty tensor; and (MS_E_LIMIT) more than MS_SAFETENSORS_MAX_DIMS
 * dimensions or sizes past 2^53 bytes.  Setting a metadata key again
 * replaces its value.
 */
typedef struct ms_st_writer ms_st_writer;

ms_status ms_st_writer_new(ms_st_writer **out, ms_error *err);
void ms_st_writer_free(ms_st_writer *w);
ms_status ms_st_writer_add(ms_st_writer *w, const char *name, ms_dtype dtype, size_t ndim,
                           const uint64_t *shape, const void *data, ms_error *err);
ms_status ms_st_writer_set_metadata(ms_st_writer *w, const char *key, const char *value,
                                    ms_error *err);
ms_status ms_st_writer_write(ms_st_writer *w, const char *path, ms_error *err);

/*
 * Streaming: for files larger than memory.  Declare every tensor with
 * ms_st_writer_add(..., data = NULL), set the metadata, then
 * ms_st_writer_begin() writes the header to a temporary file beside path,
 * ms_st_writer_put() appends tensor bytes in the declared tensors' name
 * order (any chunking; the writer counts bytes and refuses overruns), and
 * ms_st_writer_commit() checks every byte arrived, fsyncs and renames the
 * file into place.  ms_st_writer_free() before commit removes the
 * temporary file.
 */
ms_status ms_st_writer_begin(ms_st_writer *w, const char *path, ms_error *err);
ms_status ms_st_writer_put(ms_st_writer *w, const void *data, size_t len, ms_error *err);
ms_status ms_st_writer_commit(ms_st_writer *w, ms_error *err);

/*
 * Direct output, for a large file nobody reads back soon (set before
 * ms_st_writer_begin): the data goes to the disk around the page cache
 * (O_DIRECT, through a 4 MiB aligned staging buffer), which costs far less
 * CPU than filling the page cache and leaves the cache to other files.
 * Where the file system does not take it the writer quietly writes through
 * the page cache; the file's bytes are the same either way.
 * ms_st_writer_direct() tells whether the last file was written directly.
 */
void ms_st_writer_set_direct(ms_st_writer *w, int on);
/*
 * Scratch output (set before ms_st_writer_begin): the file is written
 * where path's directory is but never gets a name, so nothing of it can
 * outlive the process; commit keeps it open and ms_st_writer_take_fd()
 * hands its descriptor to the caller (who closes it), -1 when there is
 * none.  For a copy that is read once more and then thrown away.
 */
void ms_st_writer_set_scratch(ms_st_writer *w, int on);
int ms_st_writer_take_fd(ms_st_writer *w);
int ms_st_writer_direct(const ms_st_writer *w);
/*
 * SHA-256 of the streamed file, computed as it is written (set before
 * ms_st_writer_begin), so that a caller who needs the digest does not read
 * the file again.  ms_st_writer_sha256() gives the digest and the file's
 * length after a successful commit and returns 0; -1 otherwise.
 */
void ms_st_writer_set_sha256(ms_st_writer *w, int on);
int ms_st_writer_sha256(const ms_st_writer *w, uint8_t out[32], uint64_t *size);

#ifdef __cplusplus
}
#endif
#endif
