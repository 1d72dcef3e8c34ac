/*
 * The Sigstore bundle v0.3 of an OMS signature: parsing (one DSSE
 * signature and the verification material, nothing trusted yet), checking
 * the signature under a given key, and writing one (docs/oms.md).
 *
 * The public key a bundle carries (publicKey.rawBytes or .hint) is only
 * recorded here; verify.c compares it with the trusted key and never uses
 * it.  The DSSE signature is checked over the payload bytes exactly as
 * decoded, before anything in the payload is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/json.h"
#include "modelseal/dsse.h"
#include "oms/oms_internal.h"

void ms_oms_bundle_free(ms_oms_bundle *b)
{
    if (b == NULL)
        return;
    free(b->payload_type);
    free(b->payload);
    free(b->sig);
    free(b->key_pem);
    free(b->key_hint);
    free(b->key_details);
    free(b);
}

/* A string member, or NULL if absent; MS_E_FORMAT if present with another type. */
static ms_status opt_string(const cJSON *obj, const char *key, const char *what,
                            const char **out, ms_error *err)
{
    *out = NULL;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (it == NULL)
        return MS_OK;
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: field '%s' is not a string", what, key);
    *out = it->valuestring;
    return MS_OK;
}

static ms_status b64_field(const char *s, const char *what, const char *field, uint8_t **out,
                           size_t *out_len, ms_error *err)
{
    int r = ms_base64_decode(s, strlen(s), out, out_len);
    if (r == MS_B64_NOMEM)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    if (r != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field '%s' is not valid base64", what, field);
    return MS_OK;
}

static ms_status parse_material(const cJSON *root, const char *what, ms_oms_bundle *b,
                                ms_error *err)
{
    const cJSON *vm = cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial");
    if (vm == NULL)
        return MS_OK;
    char w[MS_ERROR_MESSAGE_MAX];
    snprintf(w, sizeof w, "%s: verificationMaterial", what);
    if (!cJSON_IsObject(vm))
        return ms_fail(err, MS_E_FORMAT, "%s: field 'verificationMaterial' is not an object", what);
    b->has_certificate = cJSON_GetObjectItemCaseSensitive(vm, "x509CertificateChain") != NULL ||
                         cJSON_GetObjectItemCaseSensitive(vm, "certificate") != NULL;
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(vm, "publicKey");
    if (pk == NULL)
        return MS_OK;
    if (!cJSON_IsObject(pk))
        return ms_fail(err, MS_E_FORMAT, "%s: field 'publicKey' is not an object", w);
    snprintf(w, sizeof w, "%s: verificationMaterial.publicKey", what);
    const char *raw, *hint, *details;
    ms_status st;
    if ((st = opt_string(pk, "rawBytes", w, &raw, err)) != MS_OK ||
        (st = opt_string(pk, "hint", w, &hint, err)) != MS_OK ||
        (st = opt_string(pk, "keyDetails", w, &details, err)) != MS_OK)
        return st;
    if (raw != NULL) {
        uint8_t *pem;
        size_t pem_len;
        if ((st = b64_field(raw, w, "rawBytes", &pem, &pem_len, err)) != MS_OK)
            return st;
        /* Keep it NUL-terminated text. */
        char *t = realloc(pem, pem_len + 1);
        if (t == NULL) {
            free(pem);
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
        }
        t[pem_len] = '\0';
        b->key_pem = t;
        b->key_pem_len = pem_len;
    }
    if (hint != NULL && (b->key_hint = strdup(hint)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    if (details != NULL && (b->key_details = strdup(details)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    return MS_OK;
}

static ms_status parse_envelope(const cJSON *root, const char *what, ms_oms_bundle *b,
                                ms_error *err)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope");
    if (env == NULL) {
        if (cJSON_GetObjectItemCaseSensitive(root, "messageSignature") != NULL)
            return ms_fail(err, MS_E_UNSUPPORTED,
                           "%s: the bundle holds a messageSignature, not a dsseEnvelope: not an "
                           "OMS model signature",
                           what);
        return ms_fail(err, MS_E_FORMAT, "%s: missing field 'dsseEnvelope'", what);
    }
    if (!cJSON_IsObject(env))
        return ms_fail(err, MS_E_FORMAT, "%s: field 'dsseEnvelope' is not an object", what);
    char w[MS_ERROR_MESSAGE_MAX];
    snprintf(w, sizeof w, "%s: dsseEnvelope", what);
    const char *type, *payload;
    const cJSON *sigs;
    ms_status st;
    if ((st = ms_json_get_string(env, "payloadType", w, &type, err)) != MS_OK ||
        (st = ms_json_get_string(env, "payload", w, &payload, err)) != MS_OK ||
        (st = ms_json_get_array(env, "signatures", w, &sigs, err)) != MS_OK)
        return st;
    if ((b->payload_type = strdup(type)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    if ((st = b64_field(payload, w, "payload", &b->payload, &b->payload_len, err)) != MS_OK)
        return st;
    if (b->payload_len == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'payload' is empty", w);
    int n = cJSON_GetArraySize(sigs);
    if (n == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'signatures' is empty", w);
    if (n > 1)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: %d signatures; an OMS signature holds exactly one", w, n);
    const cJSON *s = cJSON_GetArrayItem(sigs, 0);
    snprintf(w, sizeof w, "%s: dsseEnvelope.signatures[0]", what);
    if (!cJSON_IsObject(s))
        return ms_fail(err, MS_E_FORMAT, "%s: not an object", w);
    const char *sig;
    if ((st = ms_json_get_string(s, "sig", w, &sig, err)) != MS_OK)
        return st;
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(s, "keyid");
    if (kid != NULL && !cJSON_IsNull(kid) && !cJSON_IsString(kid))
        return ms_fail(err, MS_E_FORMAT, "%s: field 'keyid' is not a string", w);
    if ((st = b64_field(sig, w, "sig", &b->sig, &b->sig_len, err)) != MS_OK)
        return st;
    if (b->sig_len == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'sig' is empty", w);
    return MS_OK;
}

ms_status ms_oms_bundle_parse(const char *json, size_t len, const char *what, ms_oms_bundle **out,
                              ms_error *err)
{
    *out = NULL;
    if (len > MS_OMS_MAX_BUNDLE)
        return ms_fail(err, MS_E_LIMIT, "%s: %zu bytes exceeds the limit of %u", what, len,
                       MS_OMS_MAX_BUNDLE);
    cJSON *root;
    ms_status st = ms_json_parse(json, len, what, &root, err);
    if (st != MS_OK)
        return st;
    ms_oms_bundle *b = calloc(1, sizeof *b);
    if (b == NULL) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    char q[MS_OMS_QUOTE_MAX + 4];
    const char *mt;
    if (!cJSON_IsObject(root)) {
        st = ms_fail(err, MS_E_FORMAT, "%s: not a JSON object (a Sigstore bundle)", what);
    } else if ((st = ms_json_get_string(root, "mediaType", what, &mt, err)) != MS_OK) {
        /* message set */
    } else if (strcmp(mt, MS_OMS_BUNDLE_MEDIA_TYPE) != 0) {
        if (strncmp(mt, "application/vnd.dev.sigstore.bundle", 35) == 0)
            st = ms_fail(err, MS_E_UNSUPPORTED,
                         "%s: Sigstore bundle media type '%s' is not supported (expected '%s')",
                         what, ms_oms_excerpt(mt, q), MS_OMS_BUNDLE_MEDIA_TYPE);
        else
            st = ms_fail(err, MS_E_FORMAT, "%s: mediaType '%s' is not a Sigstore bundle", what,
                         ms_oms_excerpt(mt, q));
    } else if ((st = parse_envelope(root, what, b, err)) == MS_OK) {
        st = parse_material(root, what, b, err);
    }
    cJSON_Delete(root);
    if (st != MS_OK) {
        ms_oms_bundle_free(b);
        return st;
    }
    *out = b;
    return MS_OK;
}

ms_status ms_oms_bundle_verify(const ms_oms_bundle *b, const ms_public_key *pk, ms_error *err)
{
    if (!ms_oms_ecdsa_alg(ms_public_key_algorithm(pk)))
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "OMS signatures are ECDSA (P-256 or P-384); the key is %s",
                       ms_key_algorithm_name(ms_public_key_algorithm(pk)));
    uint8_t *pae;
    size_t pae_len;
    ms_status st = ms_dsse_pae(b->payload_type, b->payload, b->payload_len, &pae, &pae_len, err);
    if (st != MS_OK)
        return st;
    st = ms_key_verify(pk, pae, pae_len, b->sig, b->sig_len, err);
    free(pae);
    return st;
}

/*
 * The bundle, member for member as model_signing writes it: the key as a
 * hint (1.1) or as the PEM itself (1.0.x), and that version's keyid.
 */
char *ms_oms_bundle_json(const char *payload_b64, const char *sig_b64, const char *pem,
                         size_t pem_len, ms_key_algorithm alg, ms_oms_material material)
{
    cJSON *b = cJSON_CreateObject(), *vm, *pk, *env, *sigs, *one;
    char *pem_b64 = NULL;
    int ok = b != NULL;
    ok = ok && ms_oms_json_add_str(b, "mediaType", MS_OMS_BUNDLE_MEDIA_TYPE);
    ok = ok && (vm = cJSON_AddObjectToObject(b, "verificationMaterial")) != NULL;
    ok = ok && (pk = cJSON_AddObjectToObject(vm, "publicKey")) != NULL;
    if (ok && material == MS_OMS_MATERIAL_1_0) {
        ok = (pem_b64 = ms_base64_encode((const uint8_t *)pem, pem_len)) != NULL;
        ok = ok && ms_oms_json_add_str(pk, "rawBytes", pem_b64);
        ok = ok && ms_oms_json_add_str(pk, "keyDetails",
                                       alg == MS_ALG_ECDSA_P384 ? "PKIX_ECDSA_P384_SHA_384"
                                                                : "PKIX_ECDSA_P256_SHA_256");
    } else if (ok) {
        uint8_t d[32];
        char hint[65];
        ms_sha256_buf(pem, pem_len, d);
        ms_hex_encode(d, 32, hint);
        ok = ms_oms_json_add_str(pk, "hint", hint) != NULL;
        ok = ok && cJSON_AddArrayToObject(vm, "tlogEntries") != NULL;
    }
    ok = ok && (env = cJSON_AddObjectToObject(b, "dsseEnvelope")) != NULL;
    ok = ok && ms_oms_json_add_str(env, "payload", payload_b64);
    ok = ok && ms_oms_json_add_str(env, "payloadType", MS_OMS_PAYLOAD_TYPE);
    ok = ok && (sigs = cJSON_AddArrayToObject(env, "signatures")) != NULL;
    ok = ok && (one = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(sigs, one);
    ok = ok && ms_oms_json_add_str(one, "sig", sig_b64);
    if (ok)
        ok = (material == MS_OMS_MATERIAL_1_0 ? cJSON_AddNullToObject(one, "keyid")
                                              : cJSON_AddStringToObject(one, "keyid", "")) != NULL;
    char *out = ok ? ms_json_print(b, NULL) : NULL;
    cJSON_Delete(b);
    free(pem_b64);
    return out;
}
