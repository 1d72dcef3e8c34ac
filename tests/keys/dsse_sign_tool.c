/*
 * Test helper for the DSSE interop check (dsse_interop.sh).  Uses only the
 * public library API.
 *
 *   dsse_sign_tool keygen-sign NAME PAYLOAD TYPE OUT [ALG]
 *       make NAME.key/NAME.pub (ALG: ed25519, the default, ecdsa-p256 or
 *       ecdsa-p384), sign the PAYLOAD file as TYPE, write the envelope to OUT
 *   dsse_sign_tool sign KEYFILE PAYLOAD TYPE OUT
 *       the same with an existing secret key file (ours or PEM)
 *
 * The secret key file is written encrypted, and an encrypted one is
 * loaded, with the passphrase in the environment variable
 * MODELSEAL_PASSPHRASE when it is set.
 *   dsse_sign_tool verify PUBFILE ENVELOPE [PAYLOAD_OUT]
 *       check signature 0 of ENVELOPE; write the decoded payload to
 *       PAYLOAD_OUT when given
 *
 * Exit status: 0 success or valid, 1 signature rejected, 2 any other error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/dsse.h"
#include "modelseal/keys.h"

static int fail(const ms_error *err)
{
    fprintf(stderr, "dsse_sign_tool: %s\n", err->message);
    return err->status == MS_E_REJECTED ? 1 : 2;
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL)
            break;
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (cap > (size_t)MS_DSSE_MAX_ENVELOPE * 2) {
            free(buf);
            buf = NULL;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    int ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "%s: write failed\n", path);
        return -1;
    }
    return 0;
}

static int sign_with(ms_secret_key *sk, const char *payload_path, const char *type,
                     const char *out_path)
{
    ms_error err;
    char *body = NULL, *json = NULL;
    size_t body_len = 0, json_len = 0;
    if (read_file(payload_path, &body, &body_len) != 0)
        return 2;
    ms_status st = ms_dsse_sign(type, (const uint8_t *)body, body_len, sk, &json, &json_len, &err);
    free(body);
    if (st != MS_OK)
        return fail(&err);
    int rc = write_file(out_path, json, json_len) == 0 ? 0 : 2;
    free(json);
    return rc;
}

static const char *passphrase(void)
{
    const char *p = getenv("MODELSEAL_PASSPHRASE");
    return p != NULL && p[0] != '\0' ? p : NULL;
}

static int cmd_keygen_sign(int argc, char **argv)
{
    ms_error err;
    ms_secret_key *sk = NULL;
    ms_key_algorithm alg = ms_key_algorithm_from_name(argc > 4 ? argv[4] : "ed25519");
    if (alg == 0) {
        fprintf(stderr, "dsse_sign_tool: unknown algorithm '%s'\n", argv[4]);
        return 2;
    }
    if (ms_key_generate(alg, &sk, &err) != MS_OK ||
        ms_key_write_pair(sk, argv[0], passphrase(), &err) != MS_OK) {
        ms_secret_key_free(sk);
        return fail(&err);
    }
    int rc = sign_with(sk, argv[1], argv[2], argv[3]);
    ms_secret_key_free(sk);
    return rc;
}

static int cmd_sign(char **argv)
{
    ms_error err;
    ms_secret_key *sk = NULL;
    if (ms_secret_key_load(argv[0], passphrase(), &sk, &err) != MS_OK)
        return fail(&err);
    int rc = sign_with(sk, argv[1], argv[2], argv[3]);
    ms_secret_key_free(sk);
    return rc;
}

static int cmd_verify(int argc, char **argv)
{
    ms_error err;
    ms_public_key *pk = NULL;
    ms_dsse_envelope *env = NULL;
    char *json = NULL;
    size_t len = 0;
    if (ms_public_key_load(argv[0], &pk, &err) != MS_OK)
        return fail(&err);
    if (read_file(argv[1], &json, &len) != 0) {
        ms_public_key_free(pk);
        return 2;
    }
    int rc;
    if (ms_dsse_parse(json, len, &env, &err) != MS_OK ||
        ms_dsse_verify_signature(env, 0, pk, &err) != MS_OK) {
        rc = fail(&err);
    } else {
        printf("verified: payloadType=%s keyid=%s\n", env->payload_type, ms_public_key_id(pk));
        rc = 0;
        if (argc > 2 && write_file(argv[2], env->payload, env->payload_len) != 0)
            rc = 2;
    }
    ms_dsse_free(env);
    free(json);
    ms_public_key_free(pk);
    return rc;
}

int main(int argc, char **argv)
{
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "keygen-sign") == 0)
        return cmd_keygen_sign(argc - 2, argv + 2);
    if (argc == 6 && strcmp(argv[1], "sign") == 0)
        return cmd_sign(argv + 2);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    fprintf(stderr, "usage: dsse_sign_tool keygen-sign NAME PAYLOAD TYPE OUT [ALG]\n"
                    "       dsse_sign_tool sign KEYFILE PAYLOAD TYPE OUT\n"
                    "       dsse_sign_tool verify PUBFILE ENVELOPE [PAYLOAD_OUT]\n");
    return 2;
}
