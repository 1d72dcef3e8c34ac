/*
 * Base64 (RFC 4648) for DSSE envelopes and key files.
 *
 * The public entry points (ms_base64_encode, ms_base64_decode) are declared in
 * modelseal/dsse.h and allocate with malloc().  These internal variants write
 * into a caller-supplied buffer so keys.c can keep secret bytes in
 * sodium_malloc() memory.  Both directions avoid table lookups and branches
 * on the data bytes, so encoding or decoding a secret seed does not leak it
 * through cache or branch timing.
 */
#ifndef MS_CORE_BASE64_H
#define MS_CORE_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/dsse.h" /* ms_base64_encode(), ms_base64_decode() */

/* Return values of the decoders. */
#define MS_B64_INVALID (-1) /* not base64: bad character, length, padding or trailing bits */
#define MS_B64_NOMEM (-2)   /* ms_base64_decode() could not allocate */
#define MS_B64_SPACE (-3)   /* ms_base64_decode_into(): out_cap too small */

/*
 * Length of the padded standard encoding of n bytes (excluding a NUL) in
 * *out; -1 if it would not fit in a size_t with room for the NUL.
 */
int ms_base64_encoded_len(size_t n, size_t *out);

/* Encode n bytes into out, which holds ms_base64_encoded_len(n) + 1 bytes; NUL-terminates. */
void ms_base64_encode_into(const uint8_t *in, size_t n, char *out);

/* An upper bound on the bytes that in_len characters decode to. */
size_t ms_base64_decoded_max(size_t in_len);

/*
 * Decode in_len characters into out (out_cap bytes).  Accepts the standard
 * or the URL-safe alphabet (not both in one string), with or without
 * padding.  Refuses any other character (whitespace included), a length
 * that is 1 mod 4, misplaced or excess padding and non-zero trailing bits
 * (so each byte string has exactly one accepted encoding per alphabet and
 * padding choice).  Returns 0 or an MS_B64_* code; out may hold partial
 * output after a failure, and the caller wipes it if it matters.
 */
int ms_base64_decode_into(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                          size_t *out_len);

#endif
