/*
 * libFuzzer target for DSSE envelopes (core/dsse.c) and base64
 * (core/base64.c).  An accepted envelope must be well formed (1 to
 * MS_DSSE_MAX_SIGNATURES non-empty signatures) and every signature is
 * checked against the fixed trusted key: the result is a verdict, never
 * anything else.  Independently, the input itself goes through the base64
 * decoder, whose output must re-encode to the canonical form of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "fuzz_common.h"
#include "fuzz_key.h"
#include "modelseal/dsse.h"

static void check_envelope(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_error_clear(&err);
    ms_dsse_envelope *env = NULL;
    ms_status st = ms_dsse_parse((const char *)data, size, &env, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK) {
        if (env != NULL)
            abort();
        if (fuzz_input_is_valid_seed())
            abort(); /* a valid-* seed must parse */
        return;
    }
    if (env == NULL || env->payload_type == NULL || env->payload == NULL ||
        env->signature_count == 0 || env->signature_count > MS_DSSE_MAX_SIGNATURES ||
        env->signatures == NULL)
        abort();
    const ms_public_key *pk = fuzz_trusted_key();
    size_t valid = 0;
    for (size_t i = 0; i < env->signature_count; i++) {
        const ms_dsse_signature *s = &env->signatures[i];
        if (s->keyid == NULL || s->sig == NULL || s->sig_len == 0)
            abort();
        st = ms_dsse_verify_signature(env, i, pk, &err);
        fuzz_check_error(st, &err);
        if (st == MS_OK) {
            if (s->sig_len != 64)
                abort();
            valid++;
        } else if (st != MS_E_REJECTED) {
            abort();
        }
    }
    /* Out of range is a usage error, not a read past the array. */
    st = ms_dsse_verify_signature(env, env->signature_count, pk, &err);
    fuzz_check_error(st, &err);
    if (st != MS_E_USAGE)
        abort();
    /* A valid-* seed carries at least one good signature by the fixed key. */
    if (fuzz_input_is_valid_seed() && valid == 0)
        abort();
    ms_dsse_free(env);
}

static void check_base64(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int rc = ms_base64_decode(in, size, &out, &out_len);
    if (rc != 0) {
        if (rc != MS_B64_INVALID || out != NULL)
            abort();
        return;
    }
    if (out == NULL || out_len > ms_base64_decoded_max(size))
        abort();

    /* Canonical form of the input: standard alphabet, padded. */
    size_t pad = size % 4 != 0 ? 4 - size % 4 : 0;
    char *canon = malloc(size + pad + 1);
    if (canon == NULL)
        abort();
    for (size_t i = 0; i < size; i++)
        canon[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    memset(canon + size, '=', pad);
    canon[size + pad] = '\0';

    char *enc = ms_base64_encode(out, out_len);
    size_t enc_len = 0;
    if (enc == NULL || ms_base64_encoded_len(out_len, &enc_len) != 0 ||
        strlen(enc) != enc_len || enc_len != size + pad || memcmp(enc, canon, enc_len) != 0)
        abort();

    /* The buffer variant: an exact-size buffer works, one byte less is refused. */
    uint8_t *exact = malloc(out_len > 0 ? out_len : 1);
    size_t got = 0;
    if (exact == NULL || ms_base64_decode_into(in, size, exact, out_len, &got) != 0 ||
        got != out_len || memcmp(exact, out, out_len) != 0)
        abort();
    if (out_len > 0 && ms_base64_decode_into(in, size, exact, out_len - 1, &got) != MS_B64_SPACE)
        abort();
    free(exact);
    free(enc);
    free(canon);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_envelope(data, size);
    check_base64(data, size);
    return 0;
}
