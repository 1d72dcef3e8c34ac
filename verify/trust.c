#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/timefmt.h"
#include "verify/trust_internal.h"

#define MS_TRUST_MAX_FILE (4u << 20)

const char *ms_role_problem(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return "a role is 1 to 64 characters";
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
              s[i] == '-'))
            return "a role may only hold a-z, 0-9, '_' and '-'";
    return NULL;
}

void ms_trust_free(ms_trust *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nkeys; i++) {
        ms_public_key_free(t->keys[i].pk);
        for (size_t r = 0; r < t->keys[i].nroles; r++)
            free(t->keys[i].roles[r]);
        free(t->keys[i].roles);
        free(t->keys[i].revoked_reason);
    }
    for (size_t i = 0; i < t->nthresholds; i++)
        free(t->thresholds[i].role);
    free(t->keys);
    free(t->thresholds);
    free(t);
}

size_t ms_trust_key_count(const ms_trust *t)
{
    return t->nkeys;
}

const ms_trust_key *ms_trust_find(const ms_trust *t, const char *keyid)
{
    for (size_t i = 0; i < t->nkeys; i++)
        if (strcmp(ms_public_key_id(t->keys[i].pk), keyid) == 0)
            return &t->keys[i];
    return NULL;
}

int ms_trust_key_has_role(const ms_trust_key *k, const char *role)
{
    if (k->roles == NULL)
        return 1;
    for (size_t i = 0; i < k->nroles; i++)
        if (strcmp(k->roles[i], role) == 0)
            return 1;
    return 0;
}

const char *ms_trust_key_problem(const ms_trust_key *k, int64_t at, const char **verdict,
                                 char *buf, size_t len)
{
    char t[32];
    if (k->revoked && (k->revoked_at == INT64_MIN || at >= k->revoked_at)) {
        *verdict = "revoked";
        if (k->revoked_at == INT64_MIN)
            snprintf(buf, len, "key revoked: %s", k->revoked_reason ? k->revoked_reason : "");
        else {
            ms_rfc3339_format(k->revoked_at, t);
            snprintf(buf, len, "key revoked on %s: %s", t,
                     k->revoked_reason ? k->revoked_reason : "");
        }
        return buf;
    }
    if (at < k->not_before) {
        *verdict = "not-yet-valid";
        ms_rfc3339_format(k->not_before, t);
        snprintf(buf, len, "key not valid before %s", t);
        return buf;
    }
    if (at > k->not_after) {
        *verdict = "expired";
        ms_rfc3339_format(k->not_after, t);
        snprintf(buf, len, "key expired on %s", t);
        return buf;
    }
    return NULL;
}

static ms_status add_key(ms_trust *t, ms_public_key *pk, const char *what, ms_error *err)
{
    if (t->nkeys >= MS_TRUST_MAX_KEYS) {
        ms_public_key_free(pk);
        return ms_fail(err, MS_E_LIMIT, "%s: more than %d trusted keys", what, MS_TRUST_MAX_KEYS);
    }
    if (ms_trust_find(t, ms_public_key_id(pk)) != NULL) {
        ms_status st = ms_fail(err, MS_E_FORMAT, "%s: key %s is listed twice", what,
                               ms_public_key_id(pk));
        ms_public_key_free(pk);
        return st;
    }
    ms_trust_key *k = realloc(t->keys, (t->nkeys + 1) * sizeof *k);
    if (k == NULL) {
        ms_public_key_free(pk);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    t->keys = k;
    k += t->nkeys++;
    memset(k, 0, sizeof *k);
    k->pk = pk;
    k->not_before = INT64_MIN;
    k->not_after = INT64_MAX;
    return MS_OK;
}

static ms_status time_field(const cJSON *o, const char *key, const char *what, int64_t *out,
                            ms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v == NULL)
        return MS_OK;
    if (!cJSON_IsString(v) || ms_rfc3339_parse(v->valuestring, out) != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: %s is not an RFC 3339 time (like "
                       "2026-01-31T12:00:00Z)", what, key);
    return MS_OK;
}

static ms_status only_fields(const cJSON *o, const char *const *known, const char *what,
                             ms_error *err)
{
    for (const cJSON *c = o->child; c != NULL; c = c->next) {
        int ok = 0;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(c->string, known[i]) == 0;
        if (!ok)
            return ms_fail(err, MS_E_FORMAT, "%s: unknown field '%s'", what, c->string);
    }
    return MS_OK;
}

static ms_status parse_trust_file(ms_trust *t, const char *path, const char *text, size_t len,
                                  ms_error *err)
{
    cJSON *j = NULL;
    ms_status st = ms_json_parse(text, len, path, &j, err);
    if (st != MS_OK)
        return st;
    static const char *const top[] = {"trustVersion", "keys", "thresholds", NULL};
    static const char *const keyf[] = {"keyid",     "algorithm", "publicKey", "roles",
                                       "notBefore", "notAfter",  "revoked",   NULL};
    uint64_t version = 0;
    const cJSON *keys = NULL, *item;
    if (!cJSON_IsObject(j)) {
        st = ms_fail(err, MS_E_FORMAT, "%s: not a JSON object", path);
        goto out;
    }
    if ((st = only_fields(j, top, path, err)) != MS_OK ||
        (st = ms_json_get_u64(j, "trustVersion", path, &version, err)) != MS_OK)
        goto out;
    if (version != 1) {
        st = ms_fail(err, MS_E_UNSUPPORTED, "%s: trustVersion %llu (this modelseal reads 1)",
                     path, (unsigned long long)version);
        goto out;
    }
    if ((st = ms_json_get_array(j, "keys", path, &keys, err)) != MS_OK)
        goto out;
    size_t i = 0;
    cJSON_ArrayForEach(item, keys)
    {
        char what[300];
        snprintf(what, sizeof what, "%s: keys[%zu]", path, i++);
        const char *keyid, *alg, *text_key;
        if (!cJSON_IsObject(item)) {
            st = ms_fail(err, MS_E_FORMAT, "%s: not an object", what);
            goto out;
        }
        if ((st = only_fields(item, keyf, what, err)) != MS_OK ||
            (st = ms_json_get_string(item, "keyid", what, &keyid, err)) != MS_OK ||
            (st = ms_json_get_string(item, "algorithm", what, &alg, err)) != MS_OK ||
            (st = ms_json_get_string(item, "publicKey", what, &text_key, err)) != MS_OK)
            goto out;
        ms_public_key *pk = NULL;
        if ((st = ms_public_key_parse(text_key, strlen(text_key), what, &pk, err)) != MS_OK)
            goto out;
        if (strcmp(ms_public_key_id(pk), keyid) != 0 ||
            strcmp(ms_key_algorithm_name(ms_public_key_algorithm(pk)), alg) != 0) {
            st = ms_fail(err, MS_E_FORMAT, "%s: keyid or algorithm does not match publicKey "
                         "(the key is %s %s)", what,
                         ms_key_algorithm_name(ms_public_key_algorithm(pk)),
                         ms_public_key_id(pk));
            ms_public_key_free(pk);
            goto out;
        }
        if ((st = add_key(t, pk, what, err)) != MS_OK)
            goto out;
        ms_trust_key *k = &t->keys[t->nkeys - 1];
        const cJSON *roles = cJSON_GetObjectItemCaseSensitive(item, "roles");
        if (!cJSON_IsArray(roles) || cJSON_GetArraySize(roles) < 1 ||
            cJSON_GetArraySize(roles) > MS_TRUST_MAX_ROLES) {
            st = ms_fail(err, MS_E_FORMAT, "%s: roles must be an array of 1 to %d roles", what,
                         MS_TRUST_MAX_ROLES);
            goto out;
        }
        k->roles = calloc((size_t)cJSON_GetArraySize(roles), sizeof *k->roles);
        if (k->roles == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
        const cJSON *rv;
        cJSON_ArrayForEach(rv, roles)
        {
            const char *p = cJSON_IsString(rv) ? ms_role_problem(rv->valuestring) : "not a string";
            if (p != NULL) {
                st = ms_fail(err, MS_E_FORMAT, "%s: invalid role: %s", what, p);
                goto out;
            }
            if ((k->roles[k->nroles++] = strdup(rv->valuestring)) == NULL) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                goto out;
            }
        }
        if ((st = time_field(item, "notBefore", what, &k->not_before, err)) != MS_OK ||
            (st = time_field(item, "notAfter", what, &k->not_after, err)) != MS_OK)
            goto out;
        const cJSON *rev = cJSON_GetObjectItemCaseSensitive(item, "revoked");
        if (rev != NULL) {
            static const char *const revf[] = {"at", "reason", NULL};
            const char *reason;
            if (!cJSON_IsObject(rev) || (st = only_fields(rev, revf, what, err)) != MS_OK ||
                (st = ms_json_get_string(rev, "reason", what, &reason, err)) != MS_OK) {
                if (st == MS_OK)
                    st = ms_fail(err, MS_E_FORMAT, "%s: revoked must be an object", what);
                goto out;
            }
            k->revoked = 1;
            k->revoked_at = INT64_MIN;
            if ((st = time_field(rev, "at", what, &k->revoked_at, err)) != MS_OK)
                goto out;
            if ((k->revoked_reason = strdup(reason)) == NULL) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                goto out;
            }
        }
    }
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(j, "thresholds");
    if (th != NULL) {
        if (!cJSON_IsObject(th)) {
            st = ms_fail(err, MS_E_FORMAT, "%s: thresholds must map roles to counts", path);
            goto out;
        }
        cJSON_ArrayForEach(item, th)
        {
            uint64_t need;
            const char *p = ms_role_problem(item->string);
            if (p != NULL || ms_json_number_u64(item, &need) != 0 || need < 1 || need > 1024) {
                st = ms_fail(err, MS_E_FORMAT, "%s: thresholds.%s must be a role with a count "
                             "of 1 to 1024", path, item->string);
                goto out;
            }
            ms_trust_threshold *n = realloc(t->thresholds, (t->nthresholds + 1) * sizeof *n);
            if (n == NULL) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                goto out;
            }
            t->thresholds = n;
            n[t->nthresholds].role = strdup(item->string);
            n[t->nthresholds++].required = need;
        }
    }
out:
    cJSON_Delete(j);
    return st;
}

ms_status ms_trust_new(ms_trust **out, ms_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out == NULL ? ms_fail(err, MS_E_NOMEM, "out of memory") : MS_OK;
}

ms_status ms_trust_add_public_key(ms_trust *t, const char *text, size_t len, const char *what,
                                  ms_error *err)
{
    ms_public_key *pk = NULL;
    ms_status st = ms_public_key_parse(text, len, what, &pk, err);
    return st == MS_OK ? add_key(t, pk, what, err) : st;
}

ms_status ms_trust_load(const char *const *paths, size_t n, ms_trust **out, ms_error *err)
{
    *out = NULL;
    ms_trust *t = calloc(1, sizeof *t);
    if (t == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char *text = NULL;
        size_t len = 0;
        ms_status st = ms_read_file(paths[i], MS_TRUST_MAX_FILE, &text, &len, err);
        if (st != MS_OK) {
            ms_trust_free(t);
            return st;
        }
        size_t k = 0;
        while (k < len && isspace((unsigned char)text[k]))
            k++;
        if (k < len && text[k] == '{') {
            if (t->has_file) {
                free(text);
                ms_trust_free(t);
                return ms_fail(err, MS_E_USAGE, "%s: only one trust file may be given",
                               paths[i]);
            }
            t->has_file = 1;
            st = parse_trust_file(t, paths[i], text, len, err);
        } else {
            ms_public_key *pk = NULL;
            st = ms_public_key_parse(text, len, paths[i], &pk, err);
            if (st == MS_OK)
                st = add_key(t, pk, paths[i], err);
        }
        free(text);
        if (st != MS_OK) {
            ms_trust_free(t);
            return st;
        }
    }
    *out = t;
    return MS_OK;
}
