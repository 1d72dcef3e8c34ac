/*
 * Signed policies (docs/policy.md, "Signed policies"): a policy document
 * wrapped in a DSSE envelope of payload type MS_POLICY_PAYLOAD_TYPE.  With a
 * required key, only a payload carrying a valid signature by that key is
 * used, so a pipeline cannot be steered by an edited policy file.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "modelseal/dsse.h"
#include "policy/policy.h"

ms_status ms_policy_sign(const char *buf, size_t len, const char *what, const ms_secret_key *sk,
                         char **out, char **problems, ms_error *err)
{
    if (out == NULL || sk == NULL)
        return ms_fail(err, MS_E_USAGE, "policy sign needs a key and somewhere to put the envelope");
    *out = NULL;
    /* Only a valid policy is signed: a signature must never bless a typo. */
    ms_policy *p = NULL;
    ms_status st = ms_policy_parse(buf, len, what, &p, problems, err);
    if (st != MS_OK)
        return st;
    ms_policy_free(p);
    size_t n = 0;
    return ms_dsse_sign(MS_POLICY_PAYLOAD_TYPE, (const uint8_t *)buf, len, sk, out, &n, err);
}

ms_status ms_policy_sign_file(const char *path, const ms_secret_key *sk, char **out,
                              char **problems, ms_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (problems != NULL)
        *problems = NULL;
    if (path == NULL)
        return ms_fail(err, MS_E_USAGE, "policy sign needs a policy file");
    char *buf = NULL;
    size_t len = 0;
    ms_status st = ms_read_file(path, MS_POLICY_MAX_BYTES, &buf, &len, err);
    if (st != MS_OK)
        return st;
    st = ms_policy_sign(buf, len, path, sk, out, problems, err);
    free(buf);
    return st;
}

/* 1 when the document is a JSON object with a payloadType member (an envelope). */
static int looks_like_envelope(const char *buf, size_t len)
{
    cJSON *root = NULL;
    ms_error e;
    if (ms_json_parse(buf, len, "policy", &root, &e) != MS_OK)
        return 0;
    int env = cJSON_IsObject(root) &&
              cJSON_GetObjectItemCaseSensitive(root, "payloadType") != NULL;
    cJSON_Delete(root);
    return env;
}

ms_status ms_policy_load_signed(const char *path, const ms_public_key *key, ms_policy **out,
                                char **problems, ms_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (problems != NULL)
        *problems = NULL;
    if (path == NULL || out == NULL)
        return ms_fail(err, MS_E_USAGE, "policy: no file given");
    char *buf = NULL;
    size_t len = 0;
    ms_status st = ms_read_file(path, MS_DSSE_MAX_ENVELOPE, &buf, &len, err);
    if (st != MS_OK)
        return st;
    if (!looks_like_envelope(buf, len)) {
        if (key != NULL) {
            free(buf);
            return ms_fail(err, MS_E_REJECTED,
                           "%s: not a signed policy (a DSSE envelope) but a policy key was given",
                           path);
        }
        if (len > MS_POLICY_MAX_BYTES) {
            free(buf);
            return ms_fail(err, MS_E_LIMIT, "%s: larger than %d bytes", path, MS_POLICY_MAX_BYTES);
        }
        st = ms_policy_parse(buf, len, path, out, problems, err);
        free(buf);
        return st;
    }
    ms_dsse_envelope *env = NULL;
    st = ms_dsse_parse(buf, len, &env, err);
    free(buf);
    if (st != MS_OK)
        return ms_fail_prefix(err, "%s", path);
    if (strcmp(env->payload_type, MS_POLICY_PAYLOAD_TYPE) != 0) {
        ms_dsse_free(env);
        return ms_fail(err, MS_E_REJECTED, "%s: payload type is not %s", path,
                       MS_POLICY_PAYLOAD_TYPE);
    }
    if (key != NULL) {
        int ok = 0;
        for (size_t i = 0; i < env->signature_count && !ok; i++) {
            ms_error e;
            ok = ms_dsse_verify_signature(env, i, key, &e) == MS_OK;
        }
        if (!ok) {
            ms_status r = ms_fail(err, MS_E_REJECTED,
                                  "%s: no valid signature by the policy key %.16s (%zu signature%s "
                                  "checked)", path, ms_public_key_id(key), env->signature_count,
                                  env->signature_count == 1 ? "" : "s");
            ms_dsse_free(env);
            return r;
        }
    }
    st = ms_policy_parse((const char *)env->payload, env->payload_len, path, out, problems, err);
    ms_dsse_free(env);
    return st;
}
