/*
 * The in-toto statement of an OMS signature: its subject and the predicate
 * listing every file of the model with its SHA-256 (the resources) and how
 * they were gathered (the serialization).  Parsing refuses unsafe or
 * duplicate names; writing lists the files in path order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "oms/oms_internal.h"

void ms_oms_statement_free(ms_oms_statement *s)
{
    if (s == NULL)
        return;
    free(s->subject_name);
    free(s->method);
    free(s->hash_type);
    for (size_t i = 0; i < s->ignore_count; i++)
        free(s->ignore_paths[i]);
    free(s->ignore_paths);
    for (size_t i = 0; i < s->resource_count; i++)
        free(s->resources[i].name);
    free(s->resources);
    free(s);
}

static ms_status parse_subject(const cJSON *root, const char *what, ms_oms_statement *s,
                               ms_error *err)
{
    const cJSON *subj;
    ms_status st = ms_json_get_array(root, "subject", what, &subj, err);
    if (st != MS_OK)
        return st;
    int n = cJSON_GetArraySize(subj);
    if (n != 1)
        return ms_fail(err, MS_E_FORMAT, "%s: %d subjects; an OMS statement has exactly one",
                       what, n);
    char w[MS_ERROR_MESSAGE_MAX];
    snprintf(w, sizeof w, "%s: subject[0]", what);
    const cJSON *one = cJSON_GetArrayItem(subj, 0), *digest;
    const char *name, *hex;
    if (!cJSON_IsObject(one))
        return ms_fail(err, MS_E_FORMAT, "%s: not an object", w);
    if ((st = ms_json_get_string(one, "name", w, &name, err)) != MS_OK ||
        (st = ms_json_get_object(one, "digest", w, &digest, err)) != MS_OK)
        return st;
    snprintf(w, sizeof w, "%s: subject[0].digest", what);
    if ((st = ms_json_get_string(digest, "sha256", w, &hex, err)) != MS_OK)
        return st;
    if (ms_oms_hex64_decode(hex, s->subject_digest) != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'sha256' is not 64 hex digits", w);
    if ((s->subject_name = strdup(name)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    return MS_OK;
}

static ms_status parse_serialization(const cJSON *pred, const char *what, ms_oms_statement *s,
                                     ms_error *err)
{
    char w[MS_ERROR_MESSAGE_MAX], q[MS_OMS_QUOTE_MAX + 4];
    snprintf(w, sizeof w, "%s: predicate", what);
    const cJSON *ser;
    ms_status st = ms_json_get_object(pred, "serialization", w, &ser, err);
    if (st != MS_OK)
        return st;
    snprintf(w, sizeof w, "%s: predicate.serialization", what);
    const char *method, *hash_type;
    if ((st = ms_json_get_string(ser, "method", w, &method, err)) != MS_OK)
        return st;
    if (strcmp(method, "files") != 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: serialization method '%s' is not supported (only 'files')", w,
                       ms_oms_excerpt(method, q));
    if ((st = ms_json_get_string(ser, "hash_type", w, &hash_type, err)) != MS_OK)
        return st;
    if (strcmp(hash_type, "sha256") != 0)
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: hash_type '%s' is not supported (only 'sha256')",
                       w, ms_oms_excerpt(hash_type, q));
    const cJSON *sym = cJSON_GetObjectItemCaseSensitive(ser, "allow_symlinks");
    if (sym == NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: missing field 'allow_symlinks'", w);
    if (!cJSON_IsBool(sym))
        return ms_fail(err, MS_E_FORMAT, "%s: field 'allow_symlinks' is not true or false", w);
    s->allow_symlinks = cJSON_IsTrue(sym) ? 1 : 0;
    if ((s->method = strdup(method)) == NULL || (s->hash_type = strdup(hash_type)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    const cJSON *ign = cJSON_GetObjectItemCaseSensitive(ser, "ignore_paths");
    if (ign == NULL)
        return MS_OK;
    if (!cJSON_IsArray(ign))
        return ms_fail(err, MS_E_FORMAT, "%s: field 'ignore_paths' is not an array", w);
    s->has_ignore_paths = 1;
    size_t n = (size_t)cJSON_GetArraySize(ign);
    if (n == 0)
        return MS_OK;
    if ((s->ignore_paths = calloc(n, sizeof *s->ignore_paths)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, ign)
    {
        if (!cJSON_IsString(it) || it->valuestring == NULL)
            return ms_fail(err, MS_E_FORMAT, "%s: ignore_paths[%zu] is not a string", w, i);
        const char *problem = ms_path_problem(it->valuestring);
        if (problem != NULL)
            return ms_fail(err, MS_E_FORMAT, "%s: ignore_paths[%zu] '%s': %s", w, i,
                           ms_oms_excerpt(it->valuestring, q), problem);
        if ((s->ignore_paths[i] = strdup(it->valuestring)) == NULL)
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
        s->ignore_count = ++i;
    }
    return MS_OK;
}

static ms_status parse_resources(const cJSON *pred, const char *what, ms_oms_statement *s,
                                 ms_error *err)
{
    char w[MS_ERROR_MESSAGE_MAX], q[MS_OMS_QUOTE_MAX + 4];
    snprintf(w, sizeof w, "%s: predicate", what);
    const cJSON *res;
    ms_status st = ms_json_get_array(pred, "resources", w, &res, err);
    if (st != MS_OK)
        return st;
    size_t n = (size_t)cJSON_GetArraySize(res);
    if (n == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'resources' is empty", w);
    if ((s->resources = calloc(n, sizeof *s->resources)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    ms_sha256 *h = ms_sha256_new();
    if (h == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, res)
    {
        snprintf(w, sizeof w, "%s: predicate.resources[%zu]", what, i);
        const char *name, *alg, *hex;
        if (!cJSON_IsObject(it))
            st = ms_fail(err, MS_E_FORMAT, "%s: not an object", w);
        else if ((st = ms_json_get_string(it, "name", w, &name, err)) != MS_OK ||
                 (st = ms_json_get_string(it, "algorithm", w, &alg, err)) != MS_OK ||
                 (st = ms_json_get_string(it, "digest", w, &hex, err)) != MS_OK)
            ;
        else if (strcmp(alg, "sha256") != 0)
            st = ms_fail(err, MS_E_UNSUPPORTED,
                         "%s: algorithm '%s' is not supported (only "
                         "'sha256')",
                         w, ms_oms_excerpt(alg, q));
        else if (ms_oms_hex64_decode(hex, s->resources[i].digest) != 0)
            st = ms_fail(err, MS_E_FORMAT, "%s: field 'digest' is not 64 hex digits", w);
        else if (strcmp(name, ".") != 0 && ms_path_problem(name) != NULL)
            st = ms_fail(err, MS_E_FORMAT, "%s: name '%s': %s", w, ms_oms_excerpt(name, q),
                         ms_path_problem(name));
        else if ((s->resources[i].name = strdup(name)) == NULL)
            st = ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
        if (st != MS_OK) {
            ms_sha256_free(h);
            return st;
        }
        ms_sha256_update(h, s->resources[i].digest, 32);
        s->resource_count = ++i;
    }
    ms_sha256_final(h, s->resources_digest);
    ms_sha256_free(h);

    /* "." (the model is one file) only alone; no name twice. */
    for (i = 0; i < n; i++)
        if (strcmp(s->resources[i].name, ".") == 0 && n != 1)
            return ms_fail(err, MS_E_FORMAT,
                           "%s: predicate.resources: '.' (a single-file model) next to other "
                           "resources", what);
    s->single_file = n == 1 && strcmp(s->resources[0].name, ".") == 0;
    const ms_oms_resource **sorted = malloc(n * sizeof *sorted);
    if (sorted == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    for (i = 0; i < n; i++)
        sorted[i] = &s->resources[i];
    qsort(sorted, n, sizeof *sorted, ms_oms_cmp_resource_ptr);
    st = MS_OK;
    for (i = 1; i < n && st == MS_OK; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
            st = ms_fail(err, MS_E_FORMAT, "%s: predicate.resources: '%s' is listed twice", what,
                         ms_oms_excerpt(sorted[i]->name, q));
        else if (ms_oms_path_under(sorted[i]->name, sorted[i - 1]->name))
            st = ms_fail(err, MS_E_FORMAT,
                         "%s: predicate.resources: '%s' is a file and also a directory of '%s'",
                         what, ms_oms_excerpt(sorted[i - 1]->name, q), sorted[i]->name);
    }
    free(sorted);
    return st;
}

ms_status ms_oms_statement_parse(const uint8_t *payload, size_t len, const char *what,
                                 ms_oms_statement **out, ms_error *err)
{
    *out = NULL;
    /* cJSON would cut a string at an escaped NUL: refuse those outright. */
    for (size_t i = 0; i + 6 <= len; i++)
        if (payload[i] == '\\' && payload[i + 1] == 'u' && memcmp(payload + i + 2, "0000", 4) == 0)
            return ms_fail(err, MS_E_FORMAT, "%s: a string holds an escaped NUL (\\u0000)", what);
    cJSON *root;
    ms_status st = ms_json_parse((const char *)payload, len, what, &root, err);
    if (st != MS_OK)
        return st;
    ms_oms_statement *s = calloc(1, sizeof *s);
    if (s == NULL) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    char q[MS_OMS_QUOTE_MAX + 4];
    const char *type, *ptype;
    const cJSON *pred;
    if (!cJSON_IsObject(root))
        st = ms_fail(err, MS_E_FORMAT, "%s: not a JSON object (an in-toto statement)", what);
    else if ((st = ms_json_get_string(root, "_type", what, &type, err)) != MS_OK)
        ;
    else if (strcmp(type, MS_OMS_STATEMENT_TYPE) != 0)
        st = ms_fail(err, MS_E_UNSUPPORTED, "%s: _type '%s' is not supported (expected '%s')", what,
                     ms_oms_excerpt(type, q), MS_OMS_STATEMENT_TYPE);
    else if ((st = ms_json_get_string(root, "predicateType", what, &ptype, err)) != MS_OK)
        ;
    else if (strcmp(ptype, MS_OMS_PREDICATE_TYPE) != 0)
        st = ms_fail(err, MS_E_UNSUPPORTED,
                     "%s: predicateType '%s' is not supported (expected '%s'%s)", what,
                     ms_oms_excerpt(ptype, q), MS_OMS_PREDICATE_TYPE,
                     strcmp(ptype, "https://model_signing/Digests/v0.1") == 0
                         ? "; pre-1.0 model_signing signatures are not read"
                         : "");
    else if ((st = parse_subject(root, what, s, err)) != MS_OK)
        ;
    else if ((st = ms_json_get_object(root, "predicate", what, &pred, err)) != MS_OK)
        ;
    else if ((st = parse_serialization(pred, what, s, err)) != MS_OK)
        ;
    else
        st = parse_resources(pred, what, s, err);
    cJSON_Delete(root);
    if (st != MS_OK) {
        ms_oms_statement_free(s);
        return st;
    }
    *out = s;
    return MS_OK;
}

/* Build the statement JSON for the hashed resources (names sorted). */
char *ms_oms_statement_json(const char *name, char **names, uint8_t (*digests)[32], size_t n,
                            const ms_oms_strlist *ign, int allow_symlinks, char subject_hex[65])
{
    uint8_t root[32];
    ms_sha256 *h = ms_sha256_new();
    if (h == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        ms_sha256_update(h, digests[i], 32);
    ms_sha256_final(h, root);
    ms_sha256_free(h);
    ms_hex_encode(root, 32, subject_hex);

    cJSON *st = cJSON_CreateObject(), *subj, *one, *dig, *pred, *ser, *arr, *res;
    int ok = st != NULL;
    ok = ok && ms_oms_json_add_str(st, "_type", MS_OMS_STATEMENT_TYPE);
    ok = ok && (subj = cJSON_AddArrayToObject(st, "subject")) != NULL;
    ok = ok && (one = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(subj, one);
    ok = ok && ms_oms_json_add_str(one, "name", name);
    ok = ok && (dig = cJSON_AddObjectToObject(one, "digest")) != NULL;
    ok = ok && ms_oms_json_add_str(dig, "sha256", subject_hex);
    ok = ok && ms_oms_json_add_str(st, "predicateType", MS_OMS_PREDICATE_TYPE);
    ok = ok && (pred = cJSON_AddObjectToObject(st, "predicate")) != NULL;
    ok = ok && (ser = cJSON_AddObjectToObject(pred, "serialization")) != NULL;
    ok = ok && ms_oms_json_add_str(ser, "method", "files");
    ok = ok && ms_oms_json_add_str(ser, "hash_type", "sha256");
    ok = ok && cJSON_AddBoolToObject(ser, "allow_symlinks", allow_symlinks);
    ok = ok && (arr = cJSON_AddArrayToObject(ser, "ignore_paths")) != NULL;
    for (size_t i = 0; ok && i < ign->n; i++)
        ok = cJSON_AddItemToArray(arr, cJSON_CreateString(ign->v[i]));
    ok = ok && (res = cJSON_AddArrayToObject(pred, "resources")) != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        char hex[65];
        cJSON *r = cJSON_CreateObject();
        ms_hex_encode(digests[i], 32, hex);
        ok = r != NULL && cJSON_AddItemToArray(res, r);
        ok = ok && ms_oms_json_add_str(r, "name", names[i]);
        ok = ok && ms_oms_json_add_str(r, "algorithm", "sha256");
        ok = ok && ms_oms_json_add_str(r, "digest", hex);
    }
    char *out = ok ? ms_json_print(st, NULL) : NULL;
    cJSON_Delete(st);
    return out;
}
