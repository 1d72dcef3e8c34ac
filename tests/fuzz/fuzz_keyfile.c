/*
 * libFuzzer target for key files (core/keys.c).  The input is parsed as a
 * public key image in memory, then written to a mode-0600 temporary file and
 * loaded as a public and as a secret key (the secret key parser has no
 * in-memory entry point).  Invariants:
 *   - loading the file gives the same status (and key id) as parsing it;
 *   - an accepted public key has a 64-hex-digit id;
 *   - an accepted secret key signs, and its public half verifies that
 *     signature (and refuses it for another message);
 *   - once the file is group-readable, the secret key loader never accepts it;
 *   - every refusal carries a sanitized message.
 */
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
    if (ms_secret_key_algorithm(sk) != MS_ALG_ED25519)
        abort();
    ms_public_key *pk = NULL;
    if (ms_secret_key_public(sk, &pk, &err) != MS_OK || pk == NULL ||
        strcmp(ms_public_key_id(pk), ms_secret_key_id(sk)) != 0)
        abort();
    static const uint8_t msg[] = "modelseal fuzz";
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    if (ms_key_sign(sk, msg, sizeof msg, &sig, &sig_len, &err) != MS_OK || sig_len != 64)
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
        if (ms_public_key_algorithm(pk) != MS_ALG_ED25519)
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
    ms_status sst = ms_secret_key_load(path, &sk, &err);
    fuzz_check_error(sst, &err);
    if ((sst == MS_OK) != (sk != NULL))
        abort();
    /* One text is never both a public and a secret key file. */
    if (sk != NULL && pk != NULL)
        abort();
    if (sk != NULL)
        check_secret(sk);

    /* Exposed to the group: refused whatever the contents. */
    if (chmod(path, 0640) != 0)
        abort();
    ms_secret_key *sk2 = NULL;
    ms_status xst = ms_secret_key_load(path, &sk2, &err);
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
