/*
 * DSSE envelopes: PAE, signing, parsing and checking one signature.
 *
 * Unknown members of the envelope object and of signature objects are
 * ignored, as the DSSE specification lets producers extend the format; they
 * are never signed, so they cannot change what a valid signature means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error_internal.h"
#include "core/json.h"
#include "modelseal/dsse.h"

#define WHAT "DSSE envelope"
#define PAE_PREFIX "DSSEv1"

/* Longest quoted excerpt of envelope contents put into an error message. */
#define QUOTE_MAX 80

/* Printable-ASCII excerpt of untrusted text (no terminal escapes in messages). */
static const char *quote(const char *s, char buf[QUOTE_MAX + 4])
{
    size_t n = strlen(s), k = n < QUOTE_MAX ? n : QUOTE_MAX;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (k < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

ms_status ms_dsse_pae(const char *type, const uint8_t *body, size_t body_len, uint8_t **out,
                      size_t *out_len, ms_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (type == NULL)
        return ms_fail(err, MS_E_USAGE, "DSSE PAE: no payload type given");
    if (body == NULL && body_len > 0)
        return ms_fail(err, MS_E_USAGE, "DSSE PAE: no payload given");
    size_t type_len = strlen(type);
    char tl[24], bl[24];
    int tn = snprintf(tl, sizeof tl, "%zu", type_len);
    int bn = snprintf(bl, sizeof bl, "%zu", body_len);
    if (tn < 0 || bn < 0)
        return ms_fail(err, MS_E_INTERNAL, "DSSE PAE: cannot format lengths");
    /* "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body */
    size_t fixed = strlen(PAE_PREFIX) + 4 + (size_t)tn + (size_t)bn;
    if (type_len > SIZE_MAX - fixed || body_len > SIZE_MAX - fixed - type_len)
        return ms_fail(err, MS_E_LIMIT, "DSSE PAE: payload too large");
    size_t total = fixed + type_len + body_len;
    uint8_t *buf = malloc(total);
    if (buf == NULL)
        return ms_fail(err, MS_E_NOMEM, "DSSE PAE: out of memory for %zu bytes", total);
    size_t o = 0;
    memcpy(buf + o, PAE_PREFIX " ", strlen(PAE_PREFIX) + 1);
    o += strlen(PAE_PREFIX) + 1;
    memcpy(buf + o, tl, (size_t)tn);
    o += (size_t)tn;
    buf[o++] = ' ';
    memcpy(buf + o, type, type_len);
    o += type_len;
    buf[o++] = ' ';
    memcpy(buf + o, bl, (size_t)bn);
    o += (size_t)bn;
    buf[o++] = ' ';
    if (body_len > 0)
        memcpy(buf + o, body, body_len);
    o += body_len;
    *out = buf;
    *out_len = o;
    return MS_OK;
}

void ms_dsse_free(ms_dsse_envelope *env)
{
    if (env == NULL)
        return;
    free(env->payload_type);
    free(env->payload);
    for (size_t i = 0; i < env->signature_count; i++) {
        free(env->signatures[i].keyid);
        free(env->signatures[i].sig);
    }
    free(env->signatures);
    free(env);
}

/*
 * 1 if some string in the (already validated) JSON text contains the escape
 * \u0000.  cJSON stores strings NUL-terminated, so such a string would be
 * silently cut short: a payloadType of "T\u0000x" would be read as "T" here
 * and as something else by other DSSE implementations.
 */
static int has_escaped_nul(const char *s, size_t n)
{
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!in_string) {
            in_string = c == '"';
            continue;
        }
        if (c == '"') {
            in_string = 0;
        } else if (c == '\\') {
            if (n - i > 5 && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
                return 1;
            i++; /* skip the escaped character */
        }
    }
    return 0;
}

static ms_status parse_signature(const cJSON *item, size_t i, ms_dsse_signature *out, ms_error *err)
{
    char what[64];
    snprintf(what, sizeof what, WHAT ": signatures[%zu]", i);
    if (!cJSON_IsObject(item))
        return ms_fail(err, MS_E_FORMAT, "%s is not an object", what);

    const char *sig_b64 = NULL;
    ms_status st = ms_json_get_string(item, "sig", what, &sig_b64, err);
    if (st != MS_OK)
        return st;
    int rc = ms_base64_decode(sig_b64, strlen(sig_b64), &out->sig, &out->sig_len);
    if (rc == MS_B64_NOMEM)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    if (rc != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'sig' is not valid base64", what);
    if (out->sig_len == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'sig' is empty", what);

    /* keyid is optional in DSSE; absent means empty. */
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(item, "keyid");
    const char *keyid = "";
    if (kid != NULL) {
        if (!cJSON_IsString(kid) || kid->valuestring == NULL)
            return ms_fail(err, MS_E_FORMAT, "%s: field 'keyid' is not a string", what);
        keyid = kid->valuestring;
    }
    out->keyid = strdup(keyid);
    if (out->keyid == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    return MS_OK;
}

static ms_status parse_envelope(const cJSON *root, ms_dsse_envelope *env, ms_error *err)
{
    if (!cJSON_IsObject(root))
        return ms_fail(err, MS_E_FORMAT, WHAT ": not a JSON object");

    const char *type = NULL;
    ms_status st = ms_json_get_string(root, "payloadType", WHAT, &type, err);
    if (st != MS_OK)
        return st;
    env->payload_type = strdup(type);
    if (env->payload_type == NULL)
        return ms_fail(err, MS_E_NOMEM, WHAT ": out of memory");

    const char *payload = NULL;
    if ((st = ms_json_get_string(root, "payload", WHAT, &payload, err)) != MS_OK)
        return st;
    int rc = ms_base64_decode(payload, strlen(payload), &env->payload, &env->payload_len);
    if (rc == MS_B64_NOMEM)
        return ms_fail(err, MS_E_NOMEM, WHAT ": out of memory");
    if (rc != 0)
        return ms_fail(err, MS_E_FORMAT, WHAT ": field 'payload' is not valid base64");

    const cJSON *sigs = NULL;
    if ((st = ms_json_get_array(root, "signatures", WHAT, &sigs, err)) != MS_OK)
        return st;
    size_t n = 0;
    for (const cJSON *c = sigs->child; c != NULL && n <= MS_DSSE_MAX_SIGNATURES; c = c->next)
        n++;
    if (n == 0)
        return ms_fail(err, MS_E_FORMAT, WHAT ": field 'signatures' is empty");
    if (n > MS_DSSE_MAX_SIGNATURES)
        return ms_fail(err, MS_E_LIMIT, WHAT ": field 'signatures' has more than %d entries",
                       MS_DSSE_MAX_SIGNATURES);
    env->signatures = calloc(n, sizeof *env->signatures);
    if (env->signatures == NULL)
        return ms_fail(err, MS_E_NOMEM, WHAT ": out of memory");
    size_t i = 0;
    for (const cJSON *c = sigs->child; c != NULL; c = c->next, i++) {
        /* Counted before parsing so ms_dsse_free() releases a half-filled entry. */
        env->signature_count = i + 1;
        if ((st = parse_signature(c, i, &env->signatures[i], err)) != MS_OK)
            return st;
    }
    return MS_OK;
}

ms_status ms_dsse_parse(const char *json, size_t len, ms_dsse_envelope **out, ms_error *err)
{
    *out = NULL;
    if (json == NULL && len > 0)
        return ms_fail(err, MS_E_USAGE, WHAT ": no text given");
    if (len > MS_DSSE_MAX_ENVELOPE)
        return ms_fail(err, MS_E_LIMIT, WHAT ": %zu bytes exceeds the limit of %u bytes", len,
                       MS_DSSE_MAX_ENVELOPE);
    cJSON *root = NULL;
    ms_status st = ms_json_parse(json != NULL ? json : "", len, WHAT, &root, err);
    if (st != MS_OK)
        return st;
    if (has_escaped_nul(json, len)) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_FORMAT, WHAT ": a string contains an escaped NUL (\\u0000)");
    }
    ms_dsse_envelope *env = calloc(1, sizeof *env);
    if (env == NULL) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_NOMEM, WHAT ": out of memory");
    }
    st = parse_envelope(root, env, err);
    cJSON_Delete(root);
    if (st != MS_OK) {
        ms_dsse_free(env);
        return st;
    }
    *out = env;
    return MS_OK;
}

/* Add a string member; 0 on allocation failure. */
static int add_string(cJSON *obj, const char *key, const char *value)
{
    return cJSON_AddStringToObject(obj, key, value) != NULL;
}

ms_status ms_dsse_sign(const char *type, const uint8_t *body, size_t body_len,
                       const ms_secret_key *sk, char **json, size_t *json_len, ms_error *err)
{
    *json = NULL;
    *json_len = 0;
    if (sk == NULL)
        return ms_fail(err, MS_E_USAGE, "DSSE sign: no secret key given");
    /* Refuse early what ms_dsse_parse() would refuse: base64 grows by 4/3. */
    if (body_len > MS_DSSE_MAX_ENVELOPE / 4 * 3)
        return ms_fail(err, MS_E_LIMIT,
                       "DSSE sign: a %zu-byte payload would exceed the %u-byte envelope limit",
                       body_len, MS_DSSE_MAX_ENVELOPE);
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len = 0, sig_len = 0;
    ms_status st = ms_dsse_pae(type, body, body_len, &pae, &pae_len, err);
    if (st != MS_OK)
        return st;
    st = ms_key_sign(sk, pae, pae_len, &sig, &sig_len, err);
    free(pae);
    if (st != MS_OK)
        return st;

    char *payload_b64 = ms_base64_encode(body, body_len);
    char *sig_b64 = ms_base64_encode(sig, sig_len);
    free(sig);
    cJSON *root = cJSON_CreateObject();
    cJSON *one = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    int ok = payload_b64 != NULL && sig_b64 != NULL && root != NULL && one != NULL && arr != NULL;
    ok = ok && add_string(root, "payloadType", type) && add_string(root, "payload", payload_b64);
    ok = ok && add_string(one, "keyid", ms_secret_key_id(sk)) && add_string(one, "sig", sig_b64);
    /* Once attached, the object and the array belong to root. */
    if (ok && cJSON_AddItemToArray(arr, one))
        one = NULL;
    else
        ok = 0;
    if (ok && cJSON_AddItemToObject(root, "signatures", arr))
        arr = NULL;
    else
        ok = 0;
    char *text = NULL;
    size_t text_len = 0;
    if (ok)
        text = ms_json_print(root, &text_len);
    cJSON_Delete(one);
    cJSON_Delete(arr);
    cJSON_Delete(root);
    free(payload_b64);
    free(sig_b64);
    if (text == NULL)
        return ms_fail(err, MS_E_NOMEM, "DSSE sign: out of memory");
    if (text_len > MS_DSSE_MAX_ENVELOPE) {
        free(text);
        return ms_fail(err, MS_E_LIMIT, "DSSE sign: envelope of %zu bytes exceeds the limit of %u",
                       text_len, MS_DSSE_MAX_ENVELOPE);
    }
    *json = text;
    *json_len = text_len;
    return MS_OK;
}

ms_status ms_dsse_verify_signature(const ms_dsse_envelope *env, size_t i, const ms_public_key *pk,
                                   ms_error *err)
{
    if (env == NULL || pk == NULL)
        return ms_fail(err, MS_E_USAGE, "DSSE verify: no envelope or no key given");
    if (i >= env->signature_count)
        return ms_fail(err, MS_E_USAGE, "DSSE verify: no signature %zu (the envelope has %zu)", i,
                       env->signature_count);
    const ms_dsse_signature *s = &env->signatures[i];
    /* PAE over the payload bytes exactly as decoded: nothing is re-serialized. */
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    ms_status st =
        ms_dsse_pae(env->payload_type, env->payload, env->payload_len, &pae, &pae_len, err);
    if (st != MS_OK)
        return st;
    st = ms_key_verify(pk, pae, pae_len, s->sig, s->sig_len, err);
    free(pae);
    if (st != MS_OK && err != NULL) {
        char q[QUOTE_MAX + 4];
        if (s->keyid == NULL || s->keyid[0] == '\0')
            ms_fail_prefix(err, "DSSE signature %zu (no keyid)", i);
        else
            ms_fail_prefix(err, "DSSE signature %zu (keyid '%s')", i, quote(s->keyid, q));
    }
    return st;
}
