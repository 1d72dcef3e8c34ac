/*
 * OpenSSF Model Signing (OMS) v1.0 signatures made with a key: parsing,
 * verification of a model against one, and signing (docs/oms.md).
 *
 * Trust comes only from the key the caller passes: the public key a bundle
 * carries (publicKey.rawBytes or .hint) is compared and a difference is
 * reported, never used.  The DSSE signature is checked over the payload
 * bytes exactly as decoded, before anything in the payload is read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/text.h"
#include "modelseal/dsse.h"
#include "modelseal/oms.h"

#define KEY_FILE_MAX (1u << 20)
#define NAME_QUOTE_MAX 200
#define HASH_CHUNK (1u << 20)

static const char *const git_paths[] = {".git", ".gitattributes", ".github", ".gitignore"};

/* ---- small helpers ---------------------------------------------------------- */

/* An excerpt of untrusted text short enough for a message (ms_fail sanitizes it). */
static const char *excerpt(const char *s, char buf[NAME_QUOTE_MAX + 4])
{
    size_t n = strlen(s), k = n < NAME_QUOTE_MAX ? n : NAME_QUOTE_MAX;
    memcpy(buf, s, k);
    if (k < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static int strlist_add_n(strlist *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (c == NULL)
        return -1;
    memcpy(c, s, len);
    c[len] = '\0';
    l->v[l->n++] = c;
    return 0;
}

static int strlist_add(strlist *l, const char *s)
{
    return strlist_add_n(l, s, strlen(s));
}

static int strlist_has(const strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int add_fmt(strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_fmt(strlist *l, const char *fmt, ...)
{
    char buf[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Warnings quote the bundle; a cut may split a character (JSON needs UTF-8). */
    ms_text_sanitize(buf, sizeof buf);
    return strlist_add(l, buf);
}

/*
 * Path order of the resources: component by component, bytes unsigned, a
 * prefix first.  This is byte order with '/' below every other byte, and is
 * the order model_signing lists resources in (sorted pure POSIX paths).
 */
static int path_cmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    for (;; p++, q++) {
        unsigned ca = *p, cb = *q;
        if (ca == cb) {
            if (ca == 0)
                return 0;
            continue;
        }
        if (ca == 0)
            return -1;
        if (cb == 0)
            return 1;
        if (ca == '/')
            return -1;
        if (cb == '/')
            return 1;
        return ca < cb ? -1 : 1;
    }
}

/* path is `prefix` or lies under it. */
static int path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The ignore entry covering path, or NULL. */
static const char *ignored_by(const strlist *ign, const char *path)
{
    for (size_t i = 0; i < ign->n; i++)
        if (path_under(path, ign->v[i]))
            return ign->v[i];
    return NULL;
}

static int hex64_decode(const char *s, uint8_t out[32])
{
    return strlen(s) == 64 && ms_hex_decode(s, 32, out) == 0 ? 0 : -1;
}

/* ---- the bundle ------------------------------------------------------------- */

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
    char q[NAME_QUOTE_MAX + 4];
    const char *mt;
    if (!cJSON_IsObject(root)) {
        st = ms_fail(err, MS_E_FORMAT, "%s: not a JSON object (a Sigstore bundle)", what);
    } else if ((st = ms_json_get_string(root, "mediaType", what, &mt, err)) != MS_OK) {
        /* message set */
    } else if (strcmp(mt, MS_OMS_BUNDLE_MEDIA_TYPE) != 0) {
        if (strncmp(mt, "application/vnd.dev.sigstore.bundle", 35) == 0)
            st = ms_fail(err, MS_E_UNSUPPORTED,
                         "%s: Sigstore bundle media type '%s' is not supported (expected '%s')",
                         what, excerpt(mt, q), MS_OMS_BUNDLE_MEDIA_TYPE);
        else
            st = ms_fail(err, MS_E_FORMAT, "%s: mediaType '%s' is not a Sigstore bundle", what,
                         excerpt(mt, q));
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

static int ecdsa_alg(ms_key_algorithm a)
{
    return a == MS_ALG_ECDSA_P256 || a == MS_ALG_ECDSA_P384;
}

ms_status ms_oms_bundle_verify(const ms_oms_bundle *b, const ms_public_key *pk, ms_error *err)
{
    if (!ecdsa_alg(ms_public_key_algorithm(pk)))
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

/* ---- the statement ---------------------------------------------------------- */

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
    if (hex64_decode(hex, s->subject_digest) != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'sha256' is not 64 hex digits", w);
    if ((s->subject_name = strdup(name)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    return MS_OK;
}

static ms_status parse_serialization(const cJSON *pred, const char *what, ms_oms_statement *s,
                                     ms_error *err)
{
    char w[MS_ERROR_MESSAGE_MAX], q[NAME_QUOTE_MAX + 4];
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
                       excerpt(method, q));
    if ((st = ms_json_get_string(ser, "hash_type", w, &hash_type, err)) != MS_OK)
        return st;
    if (strcmp(hash_type, "sha256") != 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: hash_type '%s' is not supported (only 'sha256')", w,
                       excerpt(hash_type, q));
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
                           excerpt(it->valuestring, q), problem);
        if ((s->ignore_paths[i] = strdup(it->valuestring)) == NULL)
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
        s->ignore_count = ++i;
    }
    return MS_OK;
}

static int cmp_resource_ptr(const void *a, const void *b)
{
    const ms_oms_resource *x = *(const ms_oms_resource *const *)a;
    const ms_oms_resource *y = *(const ms_oms_resource *const *)b;
    return path_cmp(x->name, y->name);
}

static ms_status parse_resources(const cJSON *pred, const char *what, ms_oms_statement *s,
                                 ms_error *err)
{
    char w[MS_ERROR_MESSAGE_MAX], q[NAME_QUOTE_MAX + 4];
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
            st = ms_fail(err, MS_E_UNSUPPORTED, "%s: algorithm '%s' is not supported (only "
                         "'sha256')", w, excerpt(alg, q));
        else if (hex64_decode(hex, s->resources[i].digest) != 0)
            st = ms_fail(err, MS_E_FORMAT, "%s: field 'digest' is not 64 hex digits", w);
        else if (strcmp(name, ".") != 0 && ms_path_problem(name) != NULL)
            st = ms_fail(err, MS_E_FORMAT, "%s: name '%s': %s", w, excerpt(name, q),
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
    qsort(sorted, n, sizeof *sorted, cmp_resource_ptr);
    st = MS_OK;
    for (i = 1; i < n && st == MS_OK; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
            st = ms_fail(err, MS_E_FORMAT, "%s: predicate.resources: '%s' is listed twice", what,
                         excerpt(sorted[i]->name, q));
        else if (path_under(sorted[i]->name, sorted[i - 1]->name))
            st = ms_fail(err, MS_E_FORMAT,
                         "%s: predicate.resources: '%s' is a file and also a directory of '%s'",
                         what, excerpt(sorted[i - 1]->name, q), sorted[i]->name);
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
    char q[NAME_QUOTE_MAX + 4];
    const char *type, *ptype;
    const cJSON *pred;
    if (!cJSON_IsObject(root))
        st = ms_fail(err, MS_E_FORMAT, "%s: not a JSON object (an in-toto statement)", what);
    else if ((st = ms_json_get_string(root, "_type", what, &type, err)) != MS_OK)
        ;
    else if (strcmp(type, MS_OMS_STATEMENT_TYPE) != 0)
        st = ms_fail(err, MS_E_UNSUPPORTED, "%s: _type '%s' is not supported (expected '%s')",
                     what, excerpt(type, q), MS_OMS_STATEMENT_TYPE);
    else if ((st = ms_json_get_string(root, "predicateType", what, &ptype, err)) != MS_OK)
        ;
    else if (strcmp(ptype, MS_OMS_PREDICATE_TYPE) != 0)
        st = ms_fail(err, MS_E_UNSUPPORTED,
                     "%s: predicateType '%s' is not supported (expected '%s'%s)", what,
                     excerpt(ptype, q), MS_OMS_PREDICATE_TYPE,
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

/* ---- keys ------------------------------------------------------------------- */

char *ms_oms_spki_pem(const uint8_t *spki, size_t len, size_t *out_len)
{
    static const char begin[] = "-----BEGIN PUBLIC KEY-----\n";
    static const char end[] = "-----END PUBLIC KEY-----\n";
    char *b64 = ms_base64_encode(spki, len);
    if (b64 == NULL)
        return NULL;
    size_t n = strlen(b64), lines = (n + 63) / 64;
    size_t total = strlen(begin) + n + lines + strlen(end);
    char *pem = malloc(total + 1), *p = pem;
    if (pem != NULL) {
        memcpy(p, begin, strlen(begin));
        p += strlen(begin);
        for (size_t i = 0; i < n; i += 64) {
            size_t k = n - i < 64 ? n - i : 64;
            memcpy(p, b64 + i, k);
            p += k;
            *p++ = '\n';
        }
        memcpy(p, end, strlen(end));
        p += strlen(end);
        *p = '\0';
        if (out_len != NULL)
            *out_len = (size_t)(p - pem);
    }
    free(b64);
    return pem;
}

/* Base64 text of lines [s, e) with line ends removed, decoded; NULL on any problem. */
static uint8_t *decode_lines(const char *s, const char *e, size_t *out_len)
{
    char *buf = malloc((size_t)(e - s) + 1);
    if (buf == NULL)
        return NULL;
    size_t n = 0;
    for (const char *p = s; p < e; p++)
        if (*p != '\n' && *p != '\r')
            buf[n++] = *p;
    uint8_t *der = NULL;
    if (ms_base64_decode(buf, n, &der, out_len) != 0)
        der = NULL;
    free(buf);
    return der;
}

/*
 * The SubjectPublicKeyInfo a key file image holds (PEM body or the `key:`
 * line of a modelseal key file), if it hashes to pk's id; else NULL.
 */
static uint8_t *spki_of_text(const char *text, size_t len, const ms_public_key *pk, size_t *out_len)
{
    const char *end = text + len, *s = NULL, *e = NULL;
    static const char pb[] = "-----BEGIN PUBLIC KEY-----", pe[] = "-----END PUBLIC KEY-----";
    if (len >= strlen(pb) && memcmp(text, pb, strlen(pb)) == 0) {
        s = memchr(text, '\n', len);
        if (s == NULL)
            return NULL;
        s++;
        for (const char *p = s; p + strlen(pe) <= end; p++)
            if ((p == s || p[-1] == '\n') && memcmp(p, pe, strlen(pe)) == 0) {
                e = p;
                break;
            }
    } else {
        for (const char *p = text; p + 5 <= end; p++)
            if ((p == text || p[-1] == '\n') && memcmp(p, "key: ", 5) == 0) {
                s = p + 5;
                e = memchr(s, '\n', (size_t)(end - s));
                if (e == NULL)
                    e = end;
                break;
            }
    }
    if (s == NULL || e == NULL || e < s)
        return NULL;
    size_t n;
    uint8_t *der = decode_lines(s, e, &n);
    if (der == NULL)
        return NULL;
    uint8_t d[32];
    char hex[65];
    ms_sha256_buf(der, n, d);
    ms_hex_encode(d, 32, hex);
    if (strcmp(hex, ms_public_key_id(pk)) != 0) {
        free(der);
        return NULL;
    }
    *out_len = n;
    return der;
}

/*
 * Where the key is in a key file image: the whole text, or, when the file
 * carries a PEM PUBLIC KEY block with other text around it (certtool and
 * `openssl -text` descriptions), just that block.
 */
static void key_range(const char *text, size_t len, size_t *off, size_t *n)
{
    static const char pb[] = "-----BEGIN PUBLIC KEY-----", pe[] = "-----END PUBLIC KEY-----";
    *off = 0;
    *n = len;
    if (len >= 13 && memcmp(text, "modelseal-key", 13) == 0)
        return;
    size_t b = SIZE_MAX;
    for (size_t i = 0; i + strlen(pb) <= len; i++)
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, pb, strlen(pb)) == 0) {
            b = i;
            break;
        }
    if (b == SIZE_MAX)
        return;
    for (size_t i = b + 1; i + strlen(pe) <= len; i++)
        if (text[i - 1] == '\n' && memcmp(text + i, pe, strlen(pe)) == 0) {
            size_t e = i + strlen(pe);
            while (e < len && text[e] != '\n')
                e++;
            if (e < len)
                e++;
            *off = b;
            *n = e - b;
            return;
        }
}

ms_status ms_oms_public_key_load(const char *path, ms_public_key **pk, uint8_t **spki,
                                 size_t *spki_len, ms_error *err)
{
    *pk = NULL;
    if (spki != NULL) {
        *spki = NULL;
        *spki_len = 0;
    }
    char *text;
    size_t len;
    ms_status st = ms_read_file(path, KEY_FILE_MAX, &text, &len, err);
    if (st != MS_OK)
        return st;
    size_t off, n;
    key_range(text, len, &off, &n);
    st = ms_public_key_parse(text + off, n, path, pk, err);
    if (st == MS_OK && !ecdsa_alg(ms_public_key_algorithm(*pk))) {
        st = ms_fail(err, MS_E_UNSUPPORTED,
                     "%s: an %s key; OMS signatures use ECDSA keys (P-256 or P-384)", path,
                     ms_key_algorithm_name(ms_public_key_algorithm(*pk)));
        ms_public_key_free(*pk);
        *pk = NULL;
    }
    if (st == MS_OK && spki != NULL)
        *spki = spki_of_text(text + off, n, *pk, spki_len);
    free(text);
    return st;
}

/* ---- paths ------------------------------------------------------------------ */

/*
 * Lexically normalized absolute form of path ("." and ".." resolved, no
 * repeated or trailing '/'); malloc'd, NULL if out of memory or too long.
 */
static char *abs_lexical(const char *path)
{
    char cwd[PATH_MAX];
    char *joined;
    if (path[0] == '/') {
        joined = strdup(path);
    } else {
        if (getcwd(cwd, sizeof cwd) == NULL)
            return NULL;
        if (asprintf(&joined, "%s/%s", cwd, path) < 0)
            joined = NULL;
    }
    if (joined == NULL)
        return NULL;
    char *out = malloc(strlen(joined) + 2);
    if (out == NULL) {
        free(joined);
        return NULL;
    }
    size_t o = 0;
    const char *s = joined;
    while (*s) {
        while (*s == '/')
            s++;
        if (*s == '\0')
            break;
        const char *e = strchr(s, '/');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        if (k == 1 && s[0] == '.') {
            /* nothing */
        } else if (k == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            out[o++] = '/';
            memcpy(out + o, s, k);
            o += k;
        }
        s += k;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    free(joined);
    return out;
}

/* realpath of path's parent directory plus its last component; NULL if the parent is missing. */
static char *real_parent(const char *abs)
{
    const char *slash = strrchr(abs, '/');
    if (slash == NULL || slash[1] == '\0')
        return realpath(abs, NULL);
    char *parent = strndup(abs, (size_t)(slash - abs));
    if (parent == NULL)
        return NULL;
    char *rp = realpath(parent[0] ? parent : "/", NULL);
    free(parent);
    if (rp == NULL)
        return NULL;
    char *out;
    if (asprintf(&out, "%s%s", strcmp(rp, "/") == 0 ? "" : rp, slash) < 0)
        out = NULL;
    free(rp);
    return out;
}

/* The part of p below dir: NULL if not below, "" if equal. */
static const char *below(const char *p, const char *dir)
{
    if (p == NULL || dir == NULL)
        return NULL;
    if (strcmp(dir, "/") == 0)
        return p + 1;
    size_t n = strlen(dir);
    if (strncmp(p, dir, n) != 0)
        return NULL;
    if (p[n] == '\0')
        return p + n;
    return p[n] == '/' ? p + n + 1 : NULL;
}

ms_status ms_oms_path_in_model(const char *model, const char *path, int model_relative,
                               char **rel, ms_error *err)
{
    *rel = NULL;
    if (path[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "empty path");
    char *mreal = realpath(model, NULL), *mlex = abs_lexical(model);
    char *plex = abs_lexical(path), *preal = plex ? real_parent(plex) : NULL;
    ms_status st = MS_OK;
    if (mreal == NULL) {
        st = ms_fail(err, MS_E_IO, "%s: %s", model, strerror(errno));
        goto out;
    }
    if (mlex == NULL || plex == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory (or the current directory is unreadable)");
        goto out;
    }
    const char *r = below(plex, mlex);
    if (r == NULL)
        r = below(plex, mreal);
    if (r == NULL)
        r = below(preal, mreal);
    if (r != NULL && r[0] == '\0') {
        st = ms_fail(err, MS_E_USAGE, "'%s' is the model itself", path);
        goto out;
    }
    if (r == NULL && model_relative && path[0] != '/') {
        /* Relative to the model, lexically: must stay inside. */
        char *fake;
        if (asprintf(&fake, "/m/%s", path) < 0) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
        char *n = abs_lexical(fake);
        free(fake);
        if (n == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
        const char *in = below(n, "/m");
        if (in == NULL || in[0] == '\0')
            st = ms_fail(err, MS_E_USAGE, "'%s' is not inside the model", path);
        else if ((*rel = strdup(in)) == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        free(n);
        goto out;
    }
    if (r != NULL && (*rel = strdup(r)) == NULL)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
out:
    free(mreal);
    free(mlex);
    free(plex);
    free(preal);
    return st;
}

/* ---- walking a model -------------------------------------------------------- */

typedef enum entry_kind {
    K_FILE,          /* a regular file */
    K_LINK_FILE,     /* a symbolic link to a regular file, allowed */
    K_LINK,          /* a symbolic link, not allowed */
    K_LINK_OTHER,    /* a symbolic link to a directory, special file or nothing */
    K_SPECIAL,       /* a FIFO, socket or device */
} entry_kind;

typedef struct entry {
    char *rel;
    entry_kind kind;
} entry;

typedef struct walk {
    entry *v;
    size_t n, cap;
    strlist ignored; /* ignored paths met */
    const strlist *ign;
    int allow_symlinks;
    const char *root; /* for messages */
} walk;

static void walk_free(walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i].rel);
    free(w->v);
    strlist_free(&w->ignored);
}

static int walk_add(walk *w, const char *rel, entry_kind k)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        entry *v = realloc(w->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        w->v = v;
        w->cap = cap;
    }
    if ((w->v[w->n].rel = strdup(rel)) == NULL)
        return -1;
    w->v[w->n++].kind = k;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return path_cmp(*(char *const *)a, *(char *const *)b);
}

static ms_status walk_dir(walk *w, int dfd, const char *prefix, int depth, ms_error *err)
{
    if (depth > MS_OMS_MAX_DEPTH)
        return ms_fail(err, MS_E_LIMIT, "%s/%s: directories nested deeper than %d", w->root,
                       prefix, MS_OMS_MAX_DEPTH);
    int fd2 = dup(dfd);
    DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
    if (d == NULL) {
        int e = errno;
        if (fd2 >= 0)
            close(fd2);
        return ms_fail(err, MS_E_IO, "%s%s%s: cannot list: %s", w->root, prefix[0] ? "/" : "",
                       prefix, strerror(e));
    }
    strlist names = {0};
    ms_status st = MS_OK;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strlist_add(&names, de->d_name) != 0) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        errno = 0;
    }
    if (st == MS_OK && errno != 0)
        st = ms_fail(err, MS_E_IO, "%s%s%s: cannot list: %s", w->root, prefix[0] ? "/" : "",
                     prefix, strerror(errno));
    closedir(d);
    if (names.n > 1)
        qsort(names.v, names.n, sizeof *names.v, cmp_name);
    for (size_t i = 0; i < names.n && st == MS_OK; i++) {
        const char *name = names.v[i];
        size_t plen = strlen(prefix), nlen = strlen(name);
        if (plen + nlen + 2 > 4097) {
            st = ms_fail(err, MS_E_LIMIT, "%s/%s/%s: path longer than 4096 bytes", w->root,
                         prefix, name);
            break;
        }
        char rel[4098];
        size_t o = 0;
        if (plen) {
            memcpy(rel, prefix, plen);
            rel[plen] = '/';
            o = plen + 1;
        }
        memcpy(rel + o, name, nlen + 1);
        if (ignored_by(w->ign, rel) != NULL) {
            if (strlist_add(&w->ignored, rel) != 0)
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
            continue;
        }
        struct stat sb;
        if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            st = ms_fail(err, MS_E_IO, "%s/%s: %s", w->root, rel, strerror(errno));
            break;
        }
        entry_kind k;
        if (S_ISDIR(sb.st_mode)) {
            int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                st = ms_fail(err, MS_E_IO, "%s/%s: cannot open: %s", w->root, rel,
                             strerror(errno));
                break;
            }
            st = walk_dir(w, sub, rel, depth + 1, err);
            close(sub);
            continue;
        } else if (S_ISREG(sb.st_mode)) {
            k = K_FILE;
        } else if (S_ISLNK(sb.st_mode)) {
            struct stat tb;
            if (!w->allow_symlinks)
                k = K_LINK;
            else if (fstatat(dfd, name, &tb, 0) == 0 && S_ISREG(tb.st_mode))
                k = K_LINK_FILE;
            else
                k = K_LINK_OTHER;
        } else {
            k = K_SPECIAL;
        }
        if (walk_add(w, rel, k) != 0)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    strlist_free(&names);
    return st;
}

/* Sorted entries of a model directory (ignored paths left out and recorded). */
static ms_status walk_model(walk *w, const char *model, ms_error *err)
{
    int fd = open(model, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", model, strerror(errno));
    ms_status st = walk_dir(w, fd, "", 0, err);
    close(fd);
    /* walk_dir sorts each directory; component order makes the whole list sorted. */
    return st;
}

static ms_status hash_fd(int fd, const char *what, uint8_t out[32], ms_error *err)
{
    uint8_t *buf = malloc(HASH_CHUNK);
    ms_sha256 *h = ms_sha256_new();
    if (buf == NULL || h == NULL) {
        free(buf);
        ms_sha256_free(h);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    ms_status st = MS_OK;
    for (;;) {
        ssize_t r = read(fd, buf, HASH_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = ms_fail(err, MS_E_IO, "%s: read error: %s", what, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        ms_sha256_update(h, buf, (size_t)r);
    }
    if (st == MS_OK)
        ms_sha256_final(h, out);
    ms_sha256_free(h);
    free(buf);
    return st;
}

/*
 * Hash a model file: rel under dirfd (follow: a symbolic link allowed to be
 * followed), or path itself when rel is NULL.  *not_regular is set (and
 * MS_OK returned) when it turns out not to be a regular file.
 */
static ms_status hash_entry(int dirfd, const char *rel, const char *display, int follow,
                            uint8_t out[32], int *not_regular, ms_error *err)
{
    *not_regular = 0;
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW);
    int fd = rel ? openat(dirfd, rel, flags) : open(display, flags);
    if (fd < 0) {
        if (errno == ELOOP) {
            *not_regular = 1;
            return MS_OK;
        }
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", display, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        *not_regular = 1;
        return MS_OK;
    }
    /* Back to blocking reads for a regular file. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    ms_status st = hash_fd(fd, display, out, err);
    close(fd);
    return st;
}

/* The ignore list: the caller's entries, git paths, more (already relative). */
static ms_status build_ignores(strlist *ign, const char *const *paths, size_t n, int no_git,
                               ms_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!strlist_has(ign, paths[i]) && strlist_add(ign, paths[i]) != 0)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
    if (!no_git)
        for (size_t i = 0; i < sizeof git_paths / sizeof git_paths[0]; i++)
            if (!strlist_has(ign, git_paths[i]) && strlist_add(ign, git_paths[i]) != 0)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}

/* ---- verification ----------------------------------------------------------- */

const char *ms_oms_file_state_name(ms_oms_file_state s)
{
    switch (s) {
    case MS_OMS_FILE_OK: return "ok";
    case MS_OMS_FILE_CHANGED: return "changed";
    case MS_OMS_FILE_ADDED: return "added";
    case MS_OMS_FILE_REMOVED: return "removed";
    case MS_OMS_FILE_REFUSED: return "refused";
    }
    return "?";
}

void ms_oms_result_free(ms_oms_result *r)
{
    if (r == NULL)
        return;
    free(r->model_path);
    free(r->signature_path);
    ms_oms_statement_free(r->statement);
    for (size_t i = 0; i < r->file_count; i++) {
        free(r->files[i].name);
        free(r->files[i].detail);
    }
    free(r->files);
    for (size_t i = 0; i < r->ignored_count; i++)
        free(r->ignored[i]);
    free(r->ignored);
    for (size_t i = 0; i < r->warning_count; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r);
}

typedef struct filelist {
    ms_oms_file *v;
    size_t n, cap;
} filelist;

static ms_oms_file *file_add(filelist *l, const char *name, ms_oms_file_state state)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ms_oms_file *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    ms_oms_file *f = &l->v[l->n];
    memset(f, 0, sizeof *f);
    if ((f->name = strdup(name)) == NULL)
        return NULL;
    f->state = state;
    l->n++;
    return f;
}

static int set_detail(ms_oms_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_detail(ms_oms_file *f, const char *fmt, ...)
{
    char buf[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(f->detail);
    f->detail = strdup(buf);
    return f->detail ? 0 : -1;
}

/* Compare the bundle's public key (rawBytes or hint) with the trusted one. */
static void compare_key_material(const ms_oms_bundle *b, const ms_oms_verify_options *o,
                                 ms_oms_result *r, strlist *warn)
{
    if (b->key_pem != NULL) {
        ms_public_key *bk = NULL;
        ms_error e2;
        size_t off, n;
        key_range(b->key_pem, b->key_pem_len, &off, &n);
        if (ms_public_key_parse(b->key_pem + off, n,
                                "verificationMaterial.publicKey.rawBytes", &bk, &e2) != MS_OK) {
            r->key_match = MS_OMS_KEY_UNCHECKED;
            add_fmt(warn, "the bundle's publicKey.rawBytes is not a key this tool reads (%s); "
                    "it is not used", e2.message);
        } else {
            r->key_match = strcmp(ms_public_key_id(bk), ms_public_key_id(o->key)) == 0
                               ? MS_OMS_KEY_MATCH
                               : MS_OMS_KEY_MISMATCH;
            if (r->key_match == MS_OMS_KEY_MISMATCH)
                add_fmt(warn, "the bundle's publicKey.rawBytes is another key (id %s), not "
                        "--key; only --key is trusted", ms_public_key_id(bk));
        }
        ms_public_key_free(bk);
    } else if (b->key_hint != NULL) {
        if (o->key_spki == NULL) {
            r->key_match = MS_OMS_KEY_UNCHECKED;
            add_fmt(warn, "the bundle's publicKey.hint could not be compared with --key");
        } else {
            size_t pem_len;
            char *pem = ms_oms_spki_pem(o->key_spki, o->key_spki_len, &pem_len);
            if (pem == NULL) {
                r->key_match = MS_OMS_KEY_UNCHECKED;
                return;
            }
            uint8_t d[32];
            char hex[65];
            ms_sha256_buf(pem, pem_len, d);
            ms_hex_encode(d, 32, hex);
            free(pem);
            r->key_match = strcmp(hex, b->key_hint) == 0 ? MS_OMS_KEY_MATCH : MS_OMS_KEY_MISMATCH;
            if (r->key_match == MS_OMS_KEY_MISMATCH)
                add_fmt(warn, "the bundle's publicKey.hint %s is not the hint of --key (%s); "
                        "only --key is trusted", b->key_hint, hex);
        }
    }
    if (b->key_details != NULL) {
        const char *want = ms_public_key_algorithm(o->key) == MS_ALG_ECDSA_P384
                               ? "PKIX_ECDSA_P384_SHA_384"
                               : "PKIX_ECDSA_P256_SHA_256";
        if (strcmp(b->key_details, want) != 0)
            add_fmt(warn, "the bundle's publicKey.keyDetails is '%s', --key is %s",
                    b->key_details, ms_key_algorithm_name(ms_public_key_algorithm(o->key)));
    }
    if (b->has_certificate)
        add_fmt(warn, "the bundle carries a certificate; it is not checked (only --key is "
                "trusted)");
}

/* Compare the statement's resources with a directory walk. */
static ms_status compare_dir(const ms_oms_statement *s, const char *model, const walk *w,
                             const strlist *ign, filelist *files, ms_error *err)
{
    size_t n = s->resource_count;
    const ms_oms_resource **res = malloc((n ? n : 1) * sizeof *res);
    if (res == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        res[i] = &s->resources[i];
    qsort(res, n, sizeof *res, cmp_resource_ptr);
    int dfd = open(model, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        free(res);
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", model, strerror(errno));
    }
    ms_status st = MS_OK;
    size_t i = 0, j = 0;
    while ((i < n || j < w->n) && st == MS_OK) {
        int c = i >= n ? 1 : j >= w->n ? -1 : path_cmp(res[i]->name, w->v[j].rel);
        ms_oms_file *f;
        if (c < 0) {
            const ms_oms_resource *r = res[i++];
            const char *by = ignored_by(ign, r->name);
            if ((f = file_add(files, r->name, MS_OMS_FILE_REMOVED)) == NULL) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                break;
            }
            ms_hex_encode(r->digest, 32, f->signed_hex);
            if (by != NULL && set_detail(f, "signed, but left out by the ignore path '%s'", by))
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
            continue;
        }
        const entry *e = &w->v[j++];
        const ms_oms_resource *r = c == 0 ? res[i++] : NULL;
        f = file_add(files, e->rel, r ? MS_OMS_FILE_OK : MS_OMS_FILE_ADDED);
        if (f == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        if (r != NULL)
            ms_hex_encode(r->digest, 32, f->signed_hex);
        const char *why = NULL;
        switch (e->kind) {
        case K_LINK: why = "a symbolic link, and the signature does not allow symlinks"; break;
        case K_LINK_OTHER: why = "a symbolic link to something other than a regular file"; break;
        case K_SPECIAL: why = "not a regular file, directory or symbolic link"; break;
        default: break;
        }
        if (why == NULL) {
            uint8_t d[32];
            int odd;
            char *disp;
            if (asprintf(&disp, "%s/%s", model, e->rel) < 0) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                break;
            }
            st = hash_entry(dfd, e->rel, disp, e->kind == K_LINK_FILE, d, &odd, err);
            free(disp);
            if (st != MS_OK)
                break;
            if (odd) {
                why = "changed to something other than a regular file while being read";
            } else {
                ms_hex_encode(d, 32, f->actual_hex);
                if (r != NULL && memcmp(d, r->digest, 32) != 0)
                    f->state = MS_OMS_FILE_CHANGED;
            }
        }
        if (why != NULL) {
            f->state = MS_OMS_FILE_REFUSED;
            if (set_detail(f, "%s", why) != 0)
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
        }
    }
    close(dfd);
    free(res);
    return st;
}

static ms_status compare_file(const ms_oms_statement *s, const char *model, filelist *files,
                              ms_error *err)
{
    ms_oms_file *f = file_add(files, ".", MS_OMS_FILE_OK);
    if (f == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_hex_encode(s->resources[0].digest, 32, f->signed_hex);
    uint8_t d[32];
    int odd;
    ms_status st = hash_entry(-1, NULL, model, 1, d, &odd, err);
    if (st != MS_OK)
        return st;
    if (odd) {
        f->state = MS_OMS_FILE_REFUSED;
        return set_detail(f, "not a regular file") ? ms_fail(err, MS_E_NOMEM, "out of memory")
                                                   : MS_OK;
    }
    ms_hex_encode(d, 32, f->actual_hex);
    if (memcmp(d, s->resources[0].digest, 32) != 0)
        f->state = MS_OMS_FILE_CHANGED;
    return MS_OK;
}

static char **take_list(strlist *l, size_t *n)
{
    char **v = l->v;
    *n = l->n;
    l->v = NULL;
    l->n = l->cap = 0;
    return v;
}

static ms_status verify_inner(const ms_oms_verify_options *o, ms_oms_result *r, strlist *warn,
                              strlist *ignored, filelist *files, ms_error *err)
{
    char q[NAME_QUOTE_MAX + 4];
    if (o->model_path == NULL || o->signature_path == NULL || o->key == NULL)
        return ms_fail(err, MS_E_USAGE, "OMS verify: model, signature and key are required");
    if (!ecdsa_alg(ms_public_key_algorithm(o->key)))
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "OMS signatures use ECDSA keys (P-256 or P-384); the key is %s",
                       ms_key_algorithm_name(ms_public_key_algorithm(o->key)));
    snprintf(r->key_id, sizeof r->key_id, "%s", ms_public_key_id(o->key));
    r->key_algorithm = ms_key_algorithm_name(ms_public_key_algorithm(o->key));

    char *text;
    size_t len;
    ms_status st = ms_read_file(o->signature_path, MS_OMS_MAX_BUNDLE, &text, &len, err);
    if (st != MS_OK)
        return st;
    ms_oms_bundle *b;
    st = ms_oms_bundle_parse(text, len, o->signature_path, &b, err);
    free(text);
    if (st != MS_OK)
        return st;
    compare_key_material(b, o, r, warn);
    if (strcmp(b->payload_type, MS_OMS_PAYLOAD_TYPE) != 0) {
        st = ms_fail(err, MS_E_UNSUPPORTED, "%s: dsseEnvelope: payloadType '%s' is not '%s'",
                     o->signature_path, excerpt(b->payload_type, q), MS_OMS_PAYLOAD_TYPE);
        ms_oms_bundle_free(b);
        return st;
    }
    st = ms_oms_bundle_verify(b, o->key, err);
    r->signature_checked = st == MS_OK || st == MS_E_REJECTED;
    r->signature_valid = st == MS_OK;
    if (st == MS_E_REJECTED) {
        st = ms_fail(err, MS_E_REJECTED,
                     "%s: signature: not valid under --key (%s key %s)%s", o->signature_path,
                     r->key_algorithm, r->key_id,
                     r->key_match == MS_OMS_KEY_MISMATCH
                         ? "; the bundle names another public key: was it signed with "
                           "another key?"
                         : "");
    }
    if (st != MS_OK) {
        ms_oms_bundle_free(b);
        return st;
    }
    char what[MS_ERROR_MESSAGE_MAX];
    snprintf(what, sizeof what, "%s: payload", o->signature_path);
    st = ms_oms_statement_parse(b->payload, b->payload_len, what, &r->statement, err);
    ms_oms_bundle_free(b);
    if (st != MS_OK)
        return st;
    const ms_oms_statement *s = r->statement;

    ms_hex_encode(s->resources_digest, 32, r->subject_hex);
    r->subject_ok = memcmp(s->resources_digest, s->subject_digest, 32) == 0;
    if (!r->subject_ok) {
        char sh[65];
        ms_hex_encode(s->subject_digest, 32, sh);
        return ms_fail(err, MS_E_REJECTED,
                       "%s: subject '%s' has digest sha256:%s, but the signed resources hash to "
                       "sha256:%s: the statement is inconsistent",
                       o->signature_path, excerpt(s->subject_name, q), sh, r->subject_hex);
    }

    struct stat sb;
    if (stat(o->model_path, &sb) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s", o->model_path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        if (s->single_file)
            return ms_fail(err, MS_E_REJECTED,
                           "%s: the signature covers a single file (resource '.', subject '%s'; "
                           "v1.0.0 signatures of one file look like this), but %s is a "
                           "directory: pass that file as MODEL",
                           o->signature_path, excerpt(s->subject_name, q), o->model_path);
        strlist ign = {0};
        st = build_ignores(&ign, o->ignore_paths, o->ignore_count, o->no_git_paths, err);
        for (size_t i = 0; st == MS_OK && i < s->ignore_count; i++)
            if (!strlist_has(&ign, s->ignore_paths[i]) && strlist_add(&ign, s->ignore_paths[i]))
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
        char *sig_rel = NULL;
        if (st == MS_OK)
            st = ms_oms_path_in_model(o->model_path, o->signature_path, 0, &sig_rel, err);
        if (st == MS_OK && sig_rel != NULL && !strlist_has(&ign, sig_rel) &&
            strlist_add(&ign, sig_rel) != 0)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        free(sig_rel);
        walk w = {.ign = &ign, .allow_symlinks = s->allow_symlinks, .root = o->model_path};
        if (st == MS_OK)
            st = walk_model(&w, o->model_path, err);
        if (st == MS_OK)
            st = compare_dir(s, o->model_path, &w, &ign, files, err);
        if (st == MS_OK) {
            *ignored = w.ignored;
            memset(&w.ignored, 0, sizeof w.ignored);
        }
        walk_free(&w);
        strlist_free(&ign);
    } else if (S_ISREG(sb.st_mode)) {
        if (!s->single_file)
            return ms_fail(err, MS_E_REJECTED,
                           "%s: the signature covers a directory of %zu files, but %s is a "
                           "single file",
                           o->signature_path, s->resource_count, o->model_path);
        st = compare_file(s, o->model_path, files, err);
    } else {
        return ms_fail(err, MS_E_IO, "%s: not a directory or regular file", o->model_path);
    }
    if (st != MS_OK)
        return st;
    size_t bad = 0, first = SIZE_MAX;
    for (size_t i = 0; i < files->n; i++)
        if (files->v[i].state != MS_OMS_FILE_OK) {
            bad++;
            if (first == SIZE_MAX)
                first = i;
        }
    r->mismatch_count = bad;
    if (bad != 0) {
        const ms_oms_file *f = &files->v[first];
        return ms_fail(err, MS_E_REJECTED, "%s: %zu file%s differ%s from the signature (first: "
                       "'%s' %s)", o->model_path, bad, bad == 1 ? "" : "s", bad == 1 ? "s" : "",
                       excerpt(f->name, q), ms_oms_file_state_name(f->state));
    }
    snprintf(r->message, sizeof r->message, "%s matches %s: %zu file%s, signature valid",
             o->model_path, o->signature_path, files->n, files->n == 1 ? "" : "s");
    return MS_OK;
}

ms_status ms_oms_verify(const ms_oms_verify_options *o, ms_oms_result **out, ms_error *err)
{
    *out = NULL;
    ms_oms_result *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    r->model_path = strdup(o->model_path ? o->model_path : "");
    r->signature_path = strdup(o->signature_path ? o->signature_path : "");
    if (r->model_path == NULL || r->signature_path == NULL) {
        ms_oms_result_free(r);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    strlist warn = {0}, ignored = {0};
    filelist files = {0};
    ms_error local;
    if (err == NULL)
        err = &local;
    ms_error_clear(err);
    ms_status st = verify_inner(o, r, &warn, &ignored, &files, err);
    r->status = st;
    if (st != MS_OK)
        snprintf(r->message, sizeof r->message, "%s", err->message);
    r->files = files.v;
    r->file_count = files.n;
    r->mismatch_count = 0;
    for (size_t i = 0; i < files.n; i++)
        if (files.v[i].state != MS_OMS_FILE_OK)
            r->mismatch_count++;
    r->warnings = take_list(&warn, &r->warning_count);
    r->ignored = take_list(&ignored, &r->ignored_count);
    *out = r;
    return st;
}

/* ---- rendering -------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->failed = 1;
        return;
    }
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)k + 1;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static const char *key_match_name(ms_oms_key_match m)
{
    switch (m) {
    case MS_OMS_KEY_ABSENT: return "absent";
    case MS_OMS_KEY_MATCH: return "match";
    case MS_OMS_KEY_MISMATCH: return "mismatch";
    case MS_OMS_KEY_UNCHECKED: return "unchecked";
    }
    return "?";
}

static char *render_text(const ms_oms_result *r)
{
    sbuf b = {0};
    const ms_oms_statement *s = r->statement;
    sb_printf(&b, "model:     %s\n", ms_text_clean(r->model_path));
    sb_printf(&b, "signature: %s\n", ms_text_clean(r->signature_path));
    if (r->key_algorithm != NULL)
        sb_printf(&b, "key:       %s %s%s\n", r->key_algorithm, r->key_id,
                  r->key_match == MS_OMS_KEY_MATCH      ? " (the bundle names the same key)"
                  : r->key_match == MS_OMS_KEY_MISMATCH ? " (the bundle names ANOTHER key)"
                                                        : "");
    if (r->signature_checked)
        sb_printf(&b, "dsse:      %s\n", r->signature_valid ? "valid" : "INVALID");
    if (s != NULL) {
        sb_printf(&b, "subject:   %s sha256:%s%s\n", ms_text_clean(s->subject_name),
                  r->subject_hex, r->subject_ok ? "" : " (INCONSISTENT with the resources)");
        sb_printf(&b, "format:    OMS v1.0, method files, sha256, allow_symlinks %s%s\n",
                  s->allow_symlinks ? "true" : "false",
                  s->has_ignore_paths ? ", ignore_paths (v1.1.0 signer)" : "");
    }
    for (size_t i = 0; i < r->file_count; i++) {
        const ms_oms_file *f = &r->files[i];
        const char *name = ms_text_clean(f->name);
        switch (f->state) {
        case MS_OMS_FILE_OK: break;
        case MS_OMS_FILE_CHANGED:
            sb_printf(&b, "changed:   %s (signed sha256:%s, found sha256:%s)\n", name,
                      f->signed_hex, f->actual_hex);
            break;
        case MS_OMS_FILE_ADDED:
            sb_printf(&b, "added:     %s (not in the signature)\n", name);
            break;
        case MS_OMS_FILE_REMOVED:
            sb_printf(&b, "removed:   %s (%s)\n", name,
                      f->detail ? ms_text_clean(f->detail) : "signed, but missing");
            break;
        case MS_OMS_FILE_REFUSED:
            sb_printf(&b, "refused:   %s (%s)\n", name, f->detail ? ms_text_clean(f->detail) : "");
            break;
        }
    }
    if (r->ignored_count > 0) {
        sb_printf(&b, "ignored:  ");
        for (size_t i = 0; i < r->ignored_count; i++)
            sb_printf(&b, " %s", ms_text_clean(r->ignored[i]));
        sb_printf(&b, "\n");
    }
    for (size_t i = 0; i < r->warning_count; i++)
        sb_printf(&b, "warning:   %s\n", ms_text_clean(r->warnings[i]));
    if (r->status == MS_OK)
        sb_printf(&b, "OK: %s\n", ms_text_clean(r->message));
    else if (r->status == MS_E_REJECTED)
        sb_printf(&b, "REJECTED: %s\n", ms_text_clean(r->message));
    else
        sb_printf(&b, "NOT CHECKED: %s\n", ms_text_clean(r->message));
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static char *render_json(const ms_oms_result *r)
{
    cJSON *o = cJSON_CreateObject(), *a, *x;
    if (o == NULL)
        return NULL;
    const ms_oms_statement *s = r->statement;
    int ok = 1;
    const char *result = r->status == MS_OK            ? "ok"
                         : r->status == MS_E_REJECTED ? "rejected"
                                                      : "not-checked";
    ok = ok && cJSON_AddStringToObject(o, "format", "modelseal-oms-verify-v1");
    ok = ok && cJSON_AddStringToObject(o, "result", result);
    ok = ok && cJSON_AddNumberToObject(o, "exit_status", ms_exit_status(r->status));
    ok = ok && cJSON_AddStringToObject(o, "message", r->message);
    ok = ok && cJSON_AddStringToObject(o, "model", r->model_path);
    ok = ok && cJSON_AddStringToObject(o, "signature", r->signature_path);
    if (r->key_algorithm != NULL && ok) {
        ok = (x = cJSON_AddObjectToObject(o, "key")) != NULL;
        ok = ok && cJSON_AddStringToObject(x, "algorithm", r->key_algorithm);
        ok = ok && cJSON_AddStringToObject(x, "keyid", r->key_id);
        ok = ok && cJSON_AddStringToObject(x, "bundle_key", key_match_name(r->key_match));
    }
    if (ok)
        ok = (r->signature_checked ? cJSON_AddBoolToObject(o, "signature_valid",
                                                            r->signature_valid)
                                   : cJSON_AddNullToObject(o, "signature_valid")) != NULL;
    if (s != NULL && ok) {
        char hex[65];
        ms_hex_encode(s->subject_digest, 32, hex);
        ok = (x = cJSON_AddObjectToObject(o, "subject")) != NULL;
        ok = ok && cJSON_AddStringToObject(x, "name", s->subject_name);
        ok = ok && cJSON_AddStringToObject(x, "sha256", hex);
        ok = ok && cJSON_AddBoolToObject(x, "matches_resources", r->subject_ok);
        ok = ok && (x = cJSON_AddObjectToObject(o, "serialization")) != NULL;
        ok = ok && cJSON_AddStringToObject(x, "method", s->method);
        ok = ok && cJSON_AddStringToObject(x, "hash_type", s->hash_type);
        ok = ok && cJSON_AddBoolToObject(x, "allow_symlinks", s->allow_symlinks);
        if (ok && s->has_ignore_paths) {
            ok = (a = cJSON_AddArrayToObject(x, "ignore_paths")) != NULL;
            for (size_t i = 0; ok && i < s->ignore_count; i++)
                ok = cJSON_AddItemToArray(a, cJSON_CreateString(s->ignore_paths[i]));
        }
        ok = ok && cJSON_AddBoolToObject(o, "single_file", s->single_file);
    }
    if (ok)
        ok = (a = cJSON_AddArrayToObject(o, "files")) != NULL;
    for (size_t i = 0; ok && i < r->file_count; i++) {
        const ms_oms_file *f = &r->files[i];
        ok = (x = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(a, x);
        ok = ok && cJSON_AddStringToObject(x, "name", f->name);
        ok = ok && cJSON_AddStringToObject(x, "status", ms_oms_file_state_name(f->state));
        if (ok && f->signed_hex[0])
            ok = cJSON_AddStringToObject(x, "signed_sha256", f->signed_hex) != NULL;
        if (ok && f->actual_hex[0])
            ok = cJSON_AddStringToObject(x, "sha256", f->actual_hex) != NULL;
        if (ok && f->detail)
            ok = cJSON_AddStringToObject(x, "detail", f->detail) != NULL;
    }
    ok = ok && cJSON_AddNumberToObject(o, "mismatches", (double)r->mismatch_count);
    if (ok)
        ok = (a = cJSON_AddArrayToObject(o, "ignored")) != NULL;
    for (size_t i = 0; ok && i < r->ignored_count; i++)
        ok = cJSON_AddItemToArray(a, cJSON_CreateString(r->ignored[i]));
    if (ok)
        ok = (a = cJSON_AddArrayToObject(o, "warnings")) != NULL;
    for (size_t i = 0; ok && i < r->warning_count; i++)
        ok = cJSON_AddItemToArray(a, cJSON_CreateString(r->warnings[i]));
    char *out = NULL;
    if (ok) {
        out = ms_json_print_pretty(o);
    }
    cJSON_Delete(o);
    return out;
}

char *ms_oms_result_render(const ms_oms_result *r, int json)
{
    return json ? render_json(r) : render_text(r);
}

/* ---- signing ---------------------------------------------------------------- */

/* The subject name: the model path's last component (its real one for "." or ".."). */
static int model_name(const char *path, char out[256])
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/')
        s--;
    size_t k = n - s;
    if (k == 0 || (k == 1 && path[s] == '.') || (k == 2 && path[s] == '.' && path[s + 1] == '.')) {
        char *rp = realpath(path, NULL);
        if (rp == NULL)
            return -1;
        const char *b = strrchr(rp, '/');
        snprintf(out, 256, "%s", b && b[1] ? b + 1 : rp);
        free(rp);
        return 0;
    }
    if (k > 255)
        k = 255;
    memcpy(out, path + s, k);
    out[k] = '\0';
    return 0;
}

static cJSON *add_str(cJSON *o, const char *k, const char *v)
{
    return o ? cJSON_AddStringToObject(o, k, v) : NULL;
}

/* Build the statement JSON for the hashed resources (names sorted). */
static char *statement_json(const char *name, char **names, uint8_t (*digests)[32], size_t n,
                            const strlist *ign, int allow_symlinks, char subject_hex[65])
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
    ok = ok && add_str(st, "_type", MS_OMS_STATEMENT_TYPE);
    ok = ok && (subj = cJSON_AddArrayToObject(st, "subject")) != NULL;
    ok = ok && (one = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(subj, one);
    ok = ok && add_str(one, "name", name);
    ok = ok && (dig = cJSON_AddObjectToObject(one, "digest")) != NULL;
    ok = ok && add_str(dig, "sha256", subject_hex);
    ok = ok && add_str(st, "predicateType", MS_OMS_PREDICATE_TYPE);
    ok = ok && (pred = cJSON_AddObjectToObject(st, "predicate")) != NULL;
    ok = ok && (ser = cJSON_AddObjectToObject(pred, "serialization")) != NULL;
    ok = ok && add_str(ser, "method", "files");
    ok = ok && add_str(ser, "hash_type", "sha256");
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
        ok = ok && add_str(r, "name", names[i]);
        ok = ok && add_str(r, "algorithm", "sha256");
        ok = ok && add_str(r, "digest", hex);
    }
    char *out = ok ? ms_json_print(st, NULL) : NULL;
    cJSON_Delete(st);
    return out;
}

static char *bundle_json(const char *payload_b64, const char *sig_b64, const char *pem_b64,
                         const char *details)
{
    cJSON *b = cJSON_CreateObject(), *vm, *pk, *env, *sigs, *one;
    int ok = b != NULL;
    ok = ok && add_str(b, "mediaType", MS_OMS_BUNDLE_MEDIA_TYPE);
    ok = ok && (vm = cJSON_AddObjectToObject(b, "verificationMaterial")) != NULL;
    ok = ok && (pk = cJSON_AddObjectToObject(vm, "publicKey")) != NULL;
    ok = ok && add_str(pk, "rawBytes", pem_b64);
    ok = ok && add_str(pk, "keyDetails", details);
    ok = ok && (env = cJSON_AddObjectToObject(b, "dsseEnvelope")) != NULL;
    ok = ok && add_str(env, "payload", payload_b64);
    ok = ok && add_str(env, "payloadType", MS_OMS_PAYLOAD_TYPE);
    ok = ok && (sigs = cJSON_AddArrayToObject(env, "signatures")) != NULL;
    ok = ok && (one = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(sigs, one);
    ok = ok && add_str(one, "sig", sig_b64);
    ok = ok && add_str(one, "keyid", "");
    char *out = ok ? ms_json_print(b, NULL) : NULL;
    cJSON_Delete(b);
    return out;
}

static ms_status sign_checks(const ms_oms_sign_options *o, ms_error *err)
{
    if (o->model_path == NULL || o->output_path == NULL || o->key == NULL)
        return ms_fail(err, MS_E_USAGE, "OMS sign: model, output and key are required");
    if (!ecdsa_alg(ms_secret_key_algorithm(o->key)))
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "OMS signatures use ECDSA keys (P-256 or P-384); the key is %s",
                       ms_key_algorithm_name(ms_secret_key_algorithm(o->key)));
    if (o->key_spki == NULL || o->key_spki_len == 0)
        return ms_fail(err, MS_E_USAGE, "OMS sign: the key's SubjectPublicKeyInfo is required");
    uint8_t d[32];
    char hex[65];
    ms_sha256_buf(o->key_spki, o->key_spki_len, d);
    ms_hex_encode(d, 32, hex);
    if (strcmp(hex, ms_secret_key_id(o->key)) != 0)
        return ms_fail(err, MS_E_KEY, "OMS sign: the public key given is not the signing key's");
    return MS_OK;
}

/* Hash every file of the model; names and digests in path order. */
static ms_status hash_model(const ms_oms_sign_options *o, const strlist *ign, strlist *names,
                            uint8_t (**digests)[32], ms_error *err)
{
    char q[NAME_QUOTE_MAX + 4];
    struct stat sb;
    if (stat(o->model_path, &sb) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s", o->model_path, strerror(errno));
    if (S_ISREG(sb.st_mode)) {
        if ((*digests = malloc(32)) == NULL || strlist_add(names, ".") != 0)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        int odd;
        ms_status st = hash_entry(-1, NULL, o->model_path, 1, (*digests)[0], &odd, err);
        if (st == MS_OK && odd)
            st = ms_fail(err, MS_E_IO, "%s: not a regular file", o->model_path);
        return st;
    }
    if (!S_ISDIR(sb.st_mode))
        return ms_fail(err, MS_E_USAGE, "%s: not a directory or regular file", o->model_path);
    walk w = {.ign = ign, .allow_symlinks = o->allow_symlinks, .root = o->model_path};
    ms_status st = walk_model(&w, o->model_path, err);
    int dfd = -1;
    if (st == MS_OK && w.n == 0)
        st = ms_fail(err, MS_E_USAGE, "%s: no files to sign (after the ignore paths)",
                     o->model_path);
    if (st == MS_OK && (*digests = calloc(w.n, 32)) == NULL)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    if (st == MS_OK && (dfd = open(o->model_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        st = ms_fail(err, MS_E_IO, "%s: cannot open: %s", o->model_path, strerror(errno));
    for (size_t i = 0; st == MS_OK && i < w.n; i++) {
        const entry *e = &w.v[i];
        char *disp;
        if (asprintf(&disp, "%s/%s", o->model_path, e->rel) < 0) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        const char *problem = ms_path_problem(e->rel);
        if (problem == NULL && !ms_utf8_valid(e->rel))
            problem = "not valid UTF-8";
        if (problem != NULL) {
            st = ms_fail(err, MS_E_USAGE, "%s: cannot sign this name: %s", excerpt(disp, q),
                         problem);
            free(disp);
            break;
        }
        switch (e->kind) {
        case K_LINK:
            st = ms_fail(err, MS_E_USAGE,
                         "%s: a symbolic link (pass --allow-symlinks to hash its target, or "
                         "--ignore-paths to leave it out)", disp);
            break;
        case K_LINK_OTHER:
            st = ms_fail(err, MS_E_USAGE,
                         "%s: a symbolic link to something other than a regular file", disp);
            break;
        case K_SPECIAL:
            st = ms_fail(err, MS_E_USAGE, "%s: not a regular file, directory or symbolic link",
                         disp);
            break;
        default: {
            int odd;
            st = hash_entry(dfd, e->rel, disp, e->kind == K_LINK_FILE, (*digests)[i], &odd, err);
            if (st == MS_OK && odd)
                st = ms_fail(err, MS_E_IO, "%s: changed while being read", disp);
            if (st == MS_OK && strlist_add(names, e->rel) != 0)
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
        }
        }
        free(disp);
    }
    if (dfd >= 0)
        close(dfd);
    walk_free(&w);
    return st;
}

ms_status ms_oms_sign(const ms_oms_sign_options *o, ms_oms_sign_info *info, ms_error *err)
{
    ms_status st = sign_checks(o, err);
    if (st != MS_OK)
        return st;
    if (info != NULL)
        memset(info, 0, sizeof *info);
    char name[256];
    if (model_name(o->model_path, name) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s", o->model_path, strerror(errno));
    if (!ms_utf8_valid(name))
        return ms_fail(err, MS_E_USAGE, "%s: the model's name is not valid UTF-8",
                       o->model_path);

    strlist ign = {0}, names = {0};
    uint8_t(*digests)[32] = NULL;
    char *payload = NULL, *payload_b64 = NULL, *sig_b64 = NULL, *pem = NULL, *pem_b64 = NULL;
    char *bundle = NULL, *out_rel = NULL;
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len, sig_len;
    char subject_hex[65];

    st = build_ignores(&ign, o->ignore_paths, o->ignore_count, o->no_git_paths, err);
    struct stat sb;
    int is_dir = stat(o->model_path, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (st == MS_OK && is_dir)
        st = ms_oms_path_in_model(o->model_path, o->output_path, 0, &out_rel, err);
    if (st == MS_OK && out_rel != NULL && !strlist_has(&ign, out_rel) &&
        strlist_add(&ign, out_rel) != 0)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    if (st == MS_OK && ign.n > 1)
        qsort(ign.v, ign.n, sizeof *ign.v, cmp_name);
    if (st == MS_OK)
        st = hash_model(o, &ign, &names, &digests, err);
    if (st == MS_OK) {
        /* A single-file model has no ignore paths to record. */
        strlist none = {0};
        payload = statement_json(name, names.v, digests, names.n, is_dir ? &ign : &none,
                                 o->allow_symlinks, subject_hex);
        if (payload == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    if (st == MS_OK)
        st = ms_dsse_pae(MS_OMS_PAYLOAD_TYPE, (const uint8_t *)payload, strlen(payload), &pae,
                         &pae_len, err);
    if (st == MS_OK)
        st = ms_key_sign(o->key, pae, pae_len, &sig, &sig_len, err);
    if (st == MS_OK) {
        size_t pem_len = 0;
        payload_b64 = ms_base64_encode((const uint8_t *)payload, strlen(payload));
        sig_b64 = ms_base64_encode(sig, sig_len);
        pem = ms_oms_spki_pem(o->key_spki, o->key_spki_len, &pem_len);
        pem_b64 = pem ? ms_base64_encode((const uint8_t *)pem, pem_len) : NULL;
        const char *details = ms_secret_key_algorithm(o->key) == MS_ALG_ECDSA_P384
                                  ? "PKIX_ECDSA_P384_SHA_384"
                                  : "PKIX_ECDSA_P256_SHA_256";
        if (payload_b64 && sig_b64 && pem_b64)
            bundle = bundle_json(payload_b64, sig_b64, pem_b64, details);
        if (bundle == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    if (st == MS_OK) {
        st = ms_write_file_atomic(o->output_path, bundle, strlen(bundle), 0644, err);
    }
    if (st == MS_OK && info != NULL) {
        info->file_count = names.n;
        snprintf(info->subject_name, sizeof info->subject_name, "%s", name);
        memcpy(info->subject_hex, subject_hex, sizeof subject_hex);
    }
    strlist_free(&ign);
    strlist_free(&names);
    free(digests);
    free(payload);
    free(payload_b64);
    free(sig_b64);
    free(pem);
    free(pem_b64);
    free(bundle);
    free(out_rel);
    free(pae);
    free(sig);
    return st;
}
