/*
 * libFuzzer target for key files (core/keys.c).  The input is parsed as a
 * public key image in memory, then written to a mode-0600 temporary file and
 * loaded as a public and as a secret key (the secret key parser has no
 * in-memory entry point).  Invariants:
 *   - loading the file gives the same status (and key id) as parsing it;
 *   - an accepted public key has a 64-hex-digit id;
 *   - an accepted secret key signs, and its public half verifies that
 *     signature (and refuses it for another message);
 *   - ms_secret_key_file_is_encrypted() never calls a file encrypted (or
 *     unreadable) that loads without a passphrase;
 *   - with the passphrase of the seeds (tried only when the file asks for a
 *     cheap Argon2id), an unencrypted file loads the same key, and what
 *     decrypts is a working key;
 *   - once the file is group-readable, the secret key loader never accepts it;
 *   - replaying the checked-in corpus, a seed named valid-* loads (as a
 *     public key, a secret key, or a secret key with the passphrase);
 *   - every refusal carries a sanitized message.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "fuzz_tmp.h"
#include "modelseal/keys.h"

static void check_keyid(const char *id)
{
    if (id == NULL || strlen(id) != MS_KEYID_HEX_LEN)
        abort();
    for (const char *c = id; *c != '\0'; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            abort();
}

static void check_secret(ms_secret_key *sk)
{
    ms_error err;
    ms_error_clear(&err);
    check_keyid(ms_secret_key_id(sk));
    ms_key_algorithm alg = ms_secret_key_algorithm(sk);
    if (ms_key_algorithm_name(alg) == NULL)
        abort();
    ms_public_key *pk = NULL;
    if (ms_secret_key_public(sk, &pk, &err) != MS_OK || pk == NULL ||
        strcmp(ms_public_key_id(pk), ms_secret_key_id(sk)) != 0)
        abort();
    static const uint8_t msg[] = "modelseal fuzz";
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    if (ms_key_sign(sk, msg, sizeof msg, &sig, &sig_len, &err) != MS_OK ||
        (alg == MS_ALG_ED25519 && sig_len != 64))
        abort();
    if (ms_key_verify(pk, msg, sizeof msg, sig, sig_len, &err) != MS_OK)
        abort();
    ms_status st = ms_key_verify(pk, msg, sizeof msg - 1, sig, sig_len, &err);
    fuzz_check_error(st, &err);
    if (st != MS_E_REJECTED)
        abort();
    free(sig);
    ms_public_key_free(pk);
}

#define FUZZ_PASSPHRASE "fuzz"

/* Value of the line "name: N" as a number; ULLONG_MAX when absent or not decimal. */
static unsigned long long field_number(const char *t, size_t n, const char *name)
{
    size_t k = strlen(name);
    for (size_t i = 0; i < n; i++) {
        if ((i == 0 || t[i - 1] == '\n') && n - i > k + 2 && memcmp(t + i, name, k) == 0 &&
            t[i + k] == ':' && t[i + k + 1] == ' ') {
            unsigned long long v = 0;
            size_t j = i + k + 2, digits = 0;
            for (; j < n && t[j] >= '0' && t[j] <= '9'; j++, digits++)
                if (digits < 12)
                    v = v * 10 + (unsigned long long)(t[j] - '0');
            return digits > 0 && digits <= 12 ? v : ULLONG_MAX;
        }
    }
    return ULLONG_MAX;
}

static int cheap_kdf(const char *t, size_t n)
{
    unsigned long long mem = field_number(t, n, "kdf-memlimit");
    unsigned long long ops = field_number(t, n, "kdf-opslimit");
    return (mem == ULLONG_MAX && ops == ULLONG_MAX) || (mem <= 65536 && ops <= 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_error_clear(&err);

    ms_public_key *pk = NULL;
    ms_status pst = ms_public_key_parse((const char *)data, size, "fuzz.pub", &pk, &err);
    fuzz_check_error(pst, &err);
    if ((pst == MS_OK) != (pk != NULL))
        abort();
    if (pk != NULL) {
        check_keyid(ms_public_key_id(pk));
        if (ms_key_algorithm_name(ms_public_key_algorithm(pk)) == NULL)
            abort();
    }

    char *path = fuzz_tmp_write("fuzz_keyfile", data, size);

    ms_public_key *pk2 = NULL;
    ms_status lst = ms_public_key_load(path, &pk2, &err);
    fuzz_check_error(lst, &err);
    if (lst != pst || (pk == NULL) != (pk2 == NULL) ||
        (pk != NULL && strcmp(ms_public_key_id(pk), ms_public_key_id(pk2)) != 0))
        abort();

    ms_secret_key *sk = NULL;
    ms_status sst = ms_secret_key_load(path, NULL, &sk, &err);
    fuzz_check_error(sst, &err);
    if ((sst == MS_OK) != (sk != NULL))
        abort();
    /* One text is never both a public and a secret key file. */
    if (sk != NULL && pk != NULL)
        abort();
    if (sk != NULL)
        check_secret(sk);

    /* The cheap encryption probe agrees with the loader. */
    int enc = ms_secret_key_file_is_encrypted(path);
    if (enc < -1 || enc > 1 || (enc != 0 && sst == MS_OK))
        abort();

    /*
     * With the passphrase of the encrypted seeds, when the file asks for a
     * cheap key derivation only (Argon2id at up to 64 KiB and 3 passes;
     * the seeds use 8 KiB and 1): unencrypted files load as without one,
     * and whatever decrypts is a working key.
     */
    ms_status est = MS_E_USAGE;
    if (cheap_kdf((const char *)data, size)) {
        ms_secret_key *sk3 = NULL;
        est = ms_secret_key_load(path, FUZZ_PASSPHRASE, &sk3, &err);
        fuzz_check_error(est, &err);
        if ((est == MS_OK) != (sk3 != NULL))
            abort();
        if (sst == MS_OK && (est != MS_OK || strcmp(ms_secret_key_id(sk), ms_secret_key_id(sk3)) != 0))
            abort();
        if (sk3 != NULL)
            check_secret(sk3);
        ms_secret_key_free(sk3);
    }

    /* Replaying the corpus, a valid-* seed is a usable key of some kind. */
    if (fuzz_input_is_valid_seed() && pst != MS_OK && sst != MS_OK && est != MS_OK)
        abort();

    /* Exposed to the group: refused whatever the contents. */
    if (chmod(path, 0640) != 0)
        abort();
    ms_secret_key *sk2 = NULL;
    ms_status xst = ms_secret_key_load(path, NULL, &sk2, &err);
    fuzz_check_error(xst, &err);
    if (xst == MS_OK || sk2 != NULL)
        abort();
    if (sst == MS_OK && xst != MS_E_PERMISSION)
        abort();

    fuzz_tmp_remove(path);
    ms_secret_key_free(sk);
    ms_public_key_free(pk);
    ms_public_key_free(pk2);
    return 0;
}
