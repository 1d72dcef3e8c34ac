/*
 * SHA-256 through OpenSSL's EVP interface (SHA-NI/AVX2 code paths).  This is
 * the only file besides keys.c that calls libcrypto.
 */
#ifndef MS_CORE_DIGEST_H
#define MS_CORE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"

#define MS_SHA256_LEN 32
#define MS_SHA256_HEX_LEN 64

typedef struct ms_sha256 ms_sha256;

ms_sha256 *ms_sha256_new(void);
void ms_sha256_free(ms_sha256 *h);
void ms_sha256_update(ms_sha256 *h, const void *data, size_t len);
/* Write the digest and reset the context for reuse. */
void ms_sha256_final(ms_sha256 *h, uint8_t out[MS_SHA256_LEN]);

/* One-shot digest of a buffer. */
void ms_sha256_buf(const void *data, size_t len, uint8_t out[MS_SHA256_LEN]);

/* Digest of a whole file, read in chunks; returns MS_E_IO naming path on failure. */
ms_status ms_sha256_file(const char *path, uint8_t out[MS_SHA256_LEN], uint64_t *size,
                         ms_error *err);
/*
 * The same, checking first that path is still the file (st_dev, st_ino) =
 * (dev, ino), and reporting each chunk's bytes to the current progress
 * phase (core/progress.h): pack's hashing of the model it walked.
 */
ms_status ms_sha256_file_same(const char *path, uint64_t dev, uint64_t ino,
                              uint8_t out[MS_SHA256_LEN], uint64_t *size, ms_error *err);
/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void ms_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parse exactly 2n lower- or upper-case hex digits; returns 0 on success, -1 otherwise. */
int ms_hex_decode(const char *in, size_t n, uint8_t *out);
/* 1 if s is exactly 64 lower-case hex digits. */
int ms_is_sha256_hex(const char *s);

#endif
