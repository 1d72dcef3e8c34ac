/*
 * modelseal: signing keys.
 *
 * Algorithms: Ed25519 (libsodium), ECDSA over NIST P-256 with SHA-256 and
 * over P-384 with SHA-384 (OpenSSL).
 *
 * Key files are self-describing UTF-8 text, one "field: value" per line
 * after a format line:
 *
 *   modelseal-key v1
 *   type: secret | public
 *   algorithm: ed25519 | ecdsa-p256 | ecdsa-p384
 *   keyid: <64 hex digits>
 *   encryption: none | argon2id-xchacha20poly1305      (secret keys only)
 *   kdf-opslimit: N, kdf-memlimit: N, salt: B64, nonce: B64
 *                                               (encrypted secret keys only)
 *   key: <standard base64>
 *
 *   Ed25519: public key = the 32-byte point, secret key = the 32-byte seed,
 *            key id = SHA-256 of the 32-byte public key.
 *   ECDSA:   public key = DER SubjectPublicKeyInfo (named curve,
 *            uncompressed point), secret key = DER PKCS#8 PrivateKeyInfo,
 *            key id = SHA-256 of that SubjectPublicKeyInfo.
 *
 * An encrypted secret key holds the XChaCha20-Poly1305 ciphertext of those
 * secret key bytes under a key derived from a passphrase with Argon2id; the
 * header lines are the additional data (docs/keys.md gives the exact bytes).
 *
 * The loaders also take PEM files as OpenSSL writes them: "PUBLIC KEY"
 * (SubjectPublicKeyInfo) and unencrypted "PRIVATE KEY" (PKCS#8), for
 * Ed25519, P-256 and P-384.  Other algorithms and curves are refused as
 * unsupported, naming them.
 *
 * Unknown fields are refused; the key id is recomputed on load and must
 * match.  Secret key files (PEM included) are created with mode 0600 and
 * refused on load when group or others may access them.  Secret material
 * lives in sodium_malloc() memory and is wiped on every path.
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
    MS_ALG_ECDSA_P256 = 2, /* ECDSA, NIST P-256, SHA-256, DER signatures */
    MS_ALG_ECDSA_P384 = 3, /* ECDSA, NIST P-384, SHA-384, DER signatures */
} ms_key_algorithm;

/* "ed25519", "ecdsa-p256", "ecdsa-p384"; NULL for an unknown value. */
const char *ms_key_algorithm_name(ms_key_algorithm alg);
/* The algorithm with that exact name; 0 for an unknown (or NULL) name. */
ms_key_algorithm ms_key_algorithm_from_name(const char *name);

typedef struct ms_secret_key ms_secret_key;
typedef struct ms_public_key ms_public_key;

/* Make a new key pair (libsodium's CSPRNG for Ed25519, OpenSSL's for ECDSA). */
ms_status ms_key_generate(ms_key_algorithm alg, ms_secret_key **sk, ms_error *err);

/* The encryption of secret key files written with a passphrase. */
#define MS_KEY_ENCRYPTION "argon2id-xchacha20poly1305"
/* Argon2id limits recorded by ms_key_write_pair (libsodium's INTERACTIVE: 2, 64 MiB). */
#define MS_KEY_KDF_OPSLIMIT 2ULL
#define MS_KEY_KDF_MEMLIMIT 67108864ULL
/* The most a key file may ask for on load; more is refused (MS_E_LIMIT). */
#define MS_KEY_KDF_OPSLIMIT_MAX 16ULL
#define MS_KEY_KDF_MEMLIMIT_MAX 1073741824ULL

/*
 * Write NAME.key (mode 0600, O_EXCL) and NAME.pub (mode 0644, O_EXCL) for sk.
 * With a passphrase (NUL-terminated, not empty) the secret key is encrypted
 * (MS_KEY_ENCRYPTION); NULL writes it unencrypted (`encryption: none`).
 * Refuses to overwrite existing files (MS_E_EXISTS).
 */
ms_status ms_key_write_pair(const ms_secret_key *sk, const char *name, const char *passphrase,
                            ms_error *err);

/*
 * Load a secret key file: a modelseal key file or an unencrypted PKCS#8 PEM
 * file.  passphrase (NUL-terminated) decrypts an encrypted key file and is
 * ignored for an unencrypted one; NULL for none.  An encrypted file without
 * a passphrase: MS_E_KEY "PATH: encrypted key: a passphrase is needed".  A
 * wrong passphrase (or an altered header, which the encryption covers):
 * MS_E_KEY "PATH: wrong passphrase".
 */
ms_status ms_secret_key_load(const char *path, const char *passphrase, ms_secret_key **out,
                             ms_error *err);
/*
 * 1 if path is a modelseal secret key file encrypted with
 * MS_KEY_ENCRYPTION (so loading it needs a passphrase), 0 if it is any other
 * key file or one that loading refuses before decrypting anything (group or
 * others may access it), -1 if it cannot be read or is no key file at all.
 * For callers deciding whether to ask for a passphrase; loading then reports
 * the details.
 */
int ms_secret_key_file_is_encrypted(const char *path);

/* A public key file: a modelseal key file or a PEM SubjectPublicKeyInfo. */
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
 * Ed25519 signatures are 64 bytes and deterministic.  ECDSA signatures are
 * DER SEQUENCE { r INTEGER, s INTEGER } over SHA-256 (P-256) or SHA-384
 * (P-384) of msg, randomized, at most 72 (P-256) or 104 (P-384) bytes.
 */
ms_status ms_key_sign(const ms_secret_key *sk, const uint8_t *msg, size_t len, uint8_t **sig,
                      size_t *sig_len, ms_error *err);
/*
 * MS_OK if sig is a valid signature of msg under pk, MS_E_REJECTED if not.
 * ECDSA signatures must be strict DER with nothing after them.
 */
ms_status ms_key_verify(const ms_public_key *pk, const uint8_t *msg, size_t len,
                        const uint8_t *sig, size_t sig_len, ms_error *err);

/*
 * Passphrases for encrypted key files, held in sodium_malloc() memory,
 * NUL-terminated, at most MS_PASSPHRASE_MAX bytes.  Release with
 * ms_passphrase_free(), which wipes.
 */
#define MS_PASSPHRASE_MAX 1024

/*
 * The first line of the file at path, without its line end ("\n" or
 * "\r\n").  The file may be a pipe (`--passphrase-file <(...)`).  An empty
 * first line is refused (MS_E_USAGE), as is a NUL byte (MS_E_FORMAT).
 */
ms_status ms_passphrase_read_file(const char *path, char **out, ms_error *err);
/*
 * One line read from fd (a terminal, say) up to "\n" or end of input,
 * without the line end; may be empty.  Reads one byte at a time so nothing
 * after the line is consumed.  `what` names the source in messages.
 */
ms_status ms_passphrase_read_line(int fd, const char *what, char **out, ms_error *err);
/* A copy of s (an environment variable, say) in secure memory. */
ms_status ms_passphrase_copy(const char *s, char **out, ms_error *err);
void ms_passphrase_free(char *passphrase); /* wipes; accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
