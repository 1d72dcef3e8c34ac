/* Deterministic keystreams (ChaCha20, RFC 8439 variant, through libsodium). */
#ifndef MS_CORE_PRNG_H
#define MS_CORE_PRNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fill out with len bytes of the ChaCha20 (IETF: 96-bit nonce, 32-bit
 * counter starting at 0) keystream for key and nonce.  Returns 0, or -1 if
 * the library cannot be initialized or len exceeds the 256 GiB stream.
 */
int ms_chacha20_stream(const uint8_t key[32], const uint8_t nonce[12], uint8_t *out, size_t len);

#endif
