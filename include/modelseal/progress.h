/*
 * modelseal: progress of long operations.
 *
 * Packing, compressing, co-signing, verifying, unpacking and auditing a large
 * model take seconds to minutes.  Their options structs (ms_pack_options,
 * ms_compress_options, ms_sign_options, ms_verify_options,
 * ms_unpack_options, ms_audit_options) carry a progress callback and a user pointer; with a
 * NULL callback nothing is called.  The library itself never prints: how
 * progress is shown is the caller's business (the modelseal command draws
 * one line on a terminal, docs/cli.md).
 *
 * An operation runs through one or more phases, in order; each phase is
 * announced by a call with everything done at 0, then reported at coarse
 * points (per MiB-sized chunk read or written, per tensor, per file), and
 * closed by a call with `finished` set.  A phase that fails is not
 * finished: the operation returns its error instead.
 *
 * WARNING: the callback runs on the thread that called the operation, never
 * on a worker thread (compression computes on several threads, but reports
 * from the calling one), and it runs inside the operation's hot loops:
 * it must return quickly (take a clock reading, draw at most a few times a
 * second) and must not call back into modelseal.
 */
#ifndef MODELSEAL_PROGRESS_H
#define MODELSEAL_PROGRESS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Phases, with stable values and names (ms_progress_phase_name). */
typedef enum ms_progress_phase {
    /* "hash-model", pack: every model file is hashed; items are files. */
    MS_PROGRESS_HASH_MODEL = 1,
    /* "compress", pack and compress: tensors are compressed and written;
     * bytes are the tensors' input bytes; items are tensors. */
    MS_PROGRESS_COMPRESS = 2,
    /* "write-bundle", pack and sign: the model files (and probes) are copied
     * into the bundle and hashed again; items are model files.  sign copies
     * the whole bundle: bytes_total is its size. */
    MS_PROGRESS_WRITE_BUNDLE = 3,
    /* "read-bundle", verify, unpack, audit and sign: every blob of the bundle is
     * read and hashed, and integrity probes are re-checked as the weights
     * stream past; bytes_total is the bundle's size; items are blobs
     * (items_total 0: not known in advance). */
    MS_PROGRESS_READ_BUNDLE = 4,
    /* "write-files", unpack: the verified model files are written under the
     * target directory; items are files. */
    MS_PROGRESS_WRITE_FILES = 5,
} ms_progress_phase;

typedef struct ms_progress {
    ms_progress_phase phase;
    uint64_t bytes_done;
    uint64_t bytes_total; /* 0: not known */
    uint64_t items_done;  /* tensors, files or blobs: see the phase */
    uint64_t items_total; /* 0: not known */
    int finished;         /* 1 on the phase's last call */
} ms_progress;

/* user is the options' progress_user; p is valid during the call only. */
typedef void (*ms_progress_fn)(void *user, const ms_progress *p);

/* The phase's stable name ("hash-model", ...), or "unknown". */
const char *ms_progress_phase_name(ms_progress_phase phase);

#ifdef __cplusplus
}
#endif
#endif
