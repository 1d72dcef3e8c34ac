/*
 * modelseal: signing keys.
 *
 * Key files are self-describing UTF-8 text, one "field: value" per line
 * after a format line:
 *
 *   modelseal-key v1
 *   type: secret | public
 *   algorithm: ed25519
 *   keyid: <64 hex digits: SHA-256 of the raw public key>
 *   encryption: none                (secret keys only)
 *   key: <standard base64 of the raw key>
 *
 * For Ed25519 the public key is the 32-byte point and the secret key the
 * 32-byte seed.  Unknown fields are refused; the key id is recomputed on
 * load and must match.  Later versions add ECDSA algorithms and encrypted
 * secret keys as new values of `algorithm` and `encryption`.
 *
 * Secret key files are created with mode 0600 and refused on load when group
 * or others may read them.  Secret material lives in sodium_malloc() memory
 * and is wiped with sodium_memzero() on every path.
 */
#ifndef MODELSEAL_KEYS_H
#define MODELSEAL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_KEYID_HEX_LEN 64

typedef enum ms_key_algorithm {
    MS_ALG_ED25519 = 1,
} ms_key_algorithm;

/* "ed25519"; NULL for an unknown value. */
const char *ms_key_algorithm_name(ms_key_algorithm alg);

typedef struct ms_secret_key ms_secret_key;
typedef struct ms_public_key ms_public_key;

/* Make a new key pair (libsodium's CSPRNG). */
ms_status ms_key_generate(ms_key_algorithm alg, ms_secret_key **sk, ms_error *err);

/*
 * Write NAME.key (mode 0600, O_EXCL) and NAME.pub (mode 0644, O_EXCL) for sk.
 * Refuses to overwrite existing files (MS_E_EXISTS).
 */
ms_status ms_key_write_pair(const ms_secret_key *sk, const char *name, ms_error *err);

ms_status ms_secret_key_load(const char *path, ms_secret_key **out, ms_error *err);
ms_status ms_public_key_load(const char *path, ms_public_key **out, ms_error *err);
/* Parse a public key file image held in memory (`what` names it in messages). */
ms_status ms_public_key_parse(const char *text, size_t len, const char *what,
                              ms_public_key **out, ms_error *err);

/* The public half of a secret key (a new object). */
ms_status ms_secret_key_public(const ms_secret_key *sk, ms_public_key **out, ms_error *err);

void ms_secret_key_free(ms_secret_key *sk);   /* wipes; accepts NULL */
void ms_public_key_free(ms_public_key *pk);   /* accepts NULL */

ms_key_algorithm ms_secret_key_algorithm(const ms_secret_key *sk);
ms_key_algorithm ms_public_key_algorithm(const ms_public_key *pk);
/* 64 lower-case hex digits, NUL-terminated; owned by the key. */
const char *ms_secret_key_id(const ms_secret_key *sk);
const char *ms_public_key_id(const ms_public_key *pk);

/*
 * Sign msg.  *sig is malloc'd (caller frees), *sig_len its length.
 * Ed25519 signatures are 64 bytes and deterministic.
 */
ms_status ms_key_sign(const ms_secret_key *sk, const uint8_t *msg, size_t len, uint8_t **sig,
                      size_t *sig_len, ms_error *err);
/* MS_OK if sig is a valid signature of msg under pk, MS_E_REJECTED if not. */
ms_status ms_key_verify(const ms_public_key *pk, const uint8_t *msg, size_t len,
                        const uint8_t *sig, size_t sig_len, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
