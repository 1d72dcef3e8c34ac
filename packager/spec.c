/*
 * The spec file, modelseal.json (packager/spec.h, docs/spec-file.md).
 *
 * Document (schemas/spec-v1.schema.json):
 *   specVersion   required, the integer 1.
 *   name, version optional here: pack needs them from the spec or the command line.
 *   description, license (an SPDX expression, canonicalized), authors (strings),
 *   card {intendedUse, outOfScopeUse, limitations}: optional.
 *   baseModels[]  name and relation required; digest or bundle required; uri, license.
 *   datasets[]    name and role required; digest, path or uri required; license, records.
 *   recipe        optional compression recipe (compress/recipe.h), checked here.
 * Entries are numbered from 0 in messages.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compress/recipe.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/text.h"
#include "modelseal/bundle.h"
#include "packager/spec.h"
#include "policy/spdx.h"
#include "verify/report.h"
#include "verify/view.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const top_fields[] = {"specVersion", "name",       "version",
                                         "description", "authors",    "license",
                                         "card",        "baseModels", "datasets",
                                         "recipe"};
static const char *const card_fields[] = {"intendedUse", "outOfScopeUse", "limitations"};
static const char *const base_fields[] = {"name",    "uri",      "digest",
                                          "license", "relation", "bundle"};
static const char *const dataset_fields[] = {"name",    "uri",  "digest",  "path",
                                             "license", "role", "records"};
static const char *const relations[] = {"finetune", "quantized", "merge", "adapter",
                                        "distilled"};
static const char *const roles[] = {"training", "evaluation", "calibration"};

/* A parse in progress: the document name, the base directory, the result. */
typedef struct spec_ctx {
    const char *what;
    const char *base_dir;
    ms_spec *spec;
    ms_error *err;
} spec_ctx;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

int ms_text_append_line(char **text, const char *line)
{
    size_t old = *text != NULL ? strlen(*text) : 0, add = strlen(line);
    char *p = realloc(*text, old + add + 2);
    if (p == NULL)
        return -1;
    memcpy(p + old, line, add);
    p[old + add] = '\n';
    p[old + add + 1] = '\0';
    *text = p;
    return 0;
}

/* "datasets[0]" + "." + "role", or just the key at the top level. */
static void field_path(char out[96], const char *at, const char *key)
{
    if (at[0] == '\0')
        snprintf(out, 96, "%s", key);
    else
        snprintf(out, 96, "%s.%s", at, key);
}

/* A value for a message: at most ~60 bytes, cut on a UTF-8 boundary. */
static const char *short_text(const char *s, char buf[80])
{
    size_t n = strlen(s);
    if (n <= 64)
        return s;
    size_t cut = 60;
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    memcpy(buf, s, cut);
    memcpy(buf + cut, "...", 4);
    return buf;
}

static ms_status check_fields(spec_ctx *c, const cJSON *obj, const char *const *known,
                              size_t n, const char *at)
{
    char prefix[100];
    if (at[0] == '\0')
        prefix[0] = '\0';
    else
        snprintf(prefix, sizeof prefix, "%s: ", at);
    for (const cJSON *f = obj->child; f != NULL; f = f->next) {
        int ok = 0;
        for (size_t i = 0; i < n && !ok; i++)
            ok = strcmp(f->string, known[i]) == 0;
        if (ok)
            continue;
        char sb[80];
        const char *near = ms_nearest_name(f->string, known, n);
        if (near != NULL)
            return ms_fail(c->err, MS_E_USAGE, "%s: %sunknown field '%s' (did you mean '%s'?)",
                           c->what, prefix, short_text(f->string, sb), near);
        char list[200] = "";
        for (size_t i = 0; i < n; i++) {
            strcat(list, known[i]);
            if (i + 1 < n)
                strcat(list, ", ");
        }
        return ms_fail(c->err, MS_E_USAGE, "%s: %sunknown field '%s' (known fields: %s)",
                       c->what, prefix, short_text(f->string, sb), list);
    }
    return MS_OK;
}

/*
 * An optional non-empty UTF-8 string field of at most MS_SPEC_MAX_TEXT bytes
 * (*out NULL when absent); required makes absence an error.
 */
static ms_status get_text(spec_ctx *c, const cJSON *obj, const char *key, const char *at,
                          int required, char **out)
{
    char fp[96];
    field_path(fp, at, key);
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        if (!required)
            return MS_OK;
        if (at[0] == '\0')
            return ms_fail(c->err, MS_E_USAGE, "%s: missing field '%s'", c->what, key);
        return ms_fail(c->err, MS_E_USAGE, "%s: %s: missing field '%s'", c->what, at, key);
    }
    if (!cJSON_IsString(v))
        return ms_fail(c->err, MS_E_USAGE, "%s: %s must be a string", c->what, fp);
    if (v->valuestring[0] == '\0')
        return ms_fail(c->err, MS_E_USAGE, "%s: %s must not be empty", c->what, fp);
    if (strlen(v->valuestring) > MS_SPEC_MAX_TEXT)
        return ms_fail(c->err, MS_E_LIMIT, "%s: %s is over %u bytes", c->what, fp,
                       MS_SPEC_MAX_TEXT);
    if (!ms_utf8_valid(v->valuestring))
        return ms_fail(c->err, MS_E_USAGE, "%s: %s is not valid UTF-8", c->what, fp);
    if ((*out = dup_str(v->valuestring)) == NULL)
        return ms_fail(c->err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}

/* Validate and canonicalize an SPDX expression in *lic (replaced by its canonical text). */
static ms_status canon_license(spec_ctx *c, char **lic, const char *fp)
{
    if (*lic == NULL)
        return MS_OK;
    ms_spdx_expr *e = NULL;
    ms_error le;
    ms_error_clear(&le);
    if (ms_spdx_parse(*lic, &e, &le) != MS_OK) {
        if (le.status == MS_E_NOMEM)
            return ms_fail(c->err, MS_E_NOMEM, "out of memory");
        return ms_fail(c->err, MS_E_USAGE, "%s: %s: %s", c->what, fp, le.message);
    }
    char *canon = dup_str(ms_spdx_canonical(e));
    const char *w = ms_spdx_warnings(e);
    ms_status st = MS_OK;
    if (canon == NULL) {
        st = ms_fail(c->err, MS_E_NOMEM, "out of memory");
    } else {
        free(*lic);
        *lic = canon;
    }
    /* One warning line per deprecated id, each naming the field. */
    while (st == MS_OK && w != NULL && *w != '\0') {
        const char *nl = strchr(w, '\n');
        size_t n = nl != NULL ? (size_t)(nl - w) : strlen(w);
        char line[600];
        snprintf(line, sizeof line, "%s: %s: %.*s", c->what, fp, (int)(n > 400 ? 400 : n), w);
        ms_text_sanitize(line, sizeof line);
        if (n > 0 && ms_text_append_line(&c->spec->warnings, line) != 0)
            st = ms_fail(c->err, MS_E_NOMEM, "out of memory");
        w = nl != NULL ? nl + 1 : w + n;
    }
    ms_spdx_free(e);
    return st;
}

/* "sha256:<64 lower-case hex>" into hex. */
static ms_status get_digest(spec_ctx *c, const cJSON *obj, const char *at, char hex[65])
{
    char *d = NULL;
    ms_status st = get_text(c, obj, "digest", at, 0, &d);
    if (st != MS_OK || d == NULL)
        return st;
    char fp[96], sb[80];
    field_path(fp, at, "digest");
    if (strncmp(d, "sha256:", 7) != 0 || !ms_is_sha256_hex(d + 7)) {
        st = ms_fail(c->err, MS_E_USAGE, "%s: %s must be sha256:<64 lower-case hex digits>, "
                     "not '%s'", c->what, fp, short_text(d, sb));
        free(d);
        return st;
    }
    memcpy(hex, d + 7, MS_SHA256_HEX_LEN + 1);
    free(d);
    return MS_OK;
}

static ms_status get_enum(spec_ctx *c, const cJSON *obj, const char *key, const char *at,
                          const char *const *known, size_t n, const char *kind, char **out)
{
    ms_status st = get_text(c, obj, key, at, 1, out);
    if (st != MS_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (strcmp(*out, known[i]) == 0)
            return MS_OK;
    char fp[96], sb[80], list[160] = "";
    field_path(fp, at, key);
    for (size_t i = 0; i < n; i++) {
        strcat(list, known[i]);
        if (i + 1 < n)
            strcat(list, ", ");
    }
    const char *near = ms_nearest_name(*out, known, n);
    if (near != NULL)
        st = ms_fail(c->err, MS_E_USAGE, "%s: %s: unknown %s '%s' (did you mean '%s'?)",
                     c->what, fp, kind, short_text(*out, sb), near);
    else
        st = ms_fail(c->err, MS_E_USAGE, "%s: %s: unknown %s '%s' (known: %s)", c->what, fp,
                     kind, short_text(*out, sb), list);
    free(*out);
    *out = NULL;
    return st;
}

/* base_dir/rel, or rel itself when absolute or base_dir is empty; malloc'd. */
static char *resolve(const char *base_dir, const char *rel)
{
    if (rel[0] == '/' || base_dir == NULL || base_dir[0] == '\0')
        return dup_str(rel);
    size_t n = strlen(base_dir) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", base_dir, rel);
    return p;
}

static ms_status parse_base(spec_ctx *c, const cJSON *item, size_t i, ms_spec_base_model *b)
{
    char at[64], fp[96];
    snprintf(at, sizeof at, "baseModels[%zu]", i);
    if (!cJSON_IsObject(item))
        return ms_fail(c->err, MS_E_USAGE, "%s: %s must be an object", c->what, at);
    ms_status st;
    char *bundle = NULL;
    if ((st = check_fields(c, item, base_fields, NFIELDS(base_fields), at)) != MS_OK ||
        (st = get_text(c, item, "name", at, 1, &b->name)) != MS_OK ||
        (st = get_text(c, item, "uri", at, 0, &b->uri)) != MS_OK ||
        (st = get_digest(c, item, at, b->hex)) != MS_OK ||
        (st = get_text(c, item, "license", at, 0, &b->license)) != MS_OK ||
        (st = get_enum(c, item, "relation", at, relations, NFIELDS(relations), "relation",
                       &b->relation)) != MS_OK ||
        (st = get_text(c, item, "bundle", at, 0, &bundle)) != MS_OK)
        return st;
    field_path(fp, at, "license");
    if ((st = canon_license(c, &b->license, fp)) != MS_OK) {
        free(bundle);
        return st;
    }
    if (bundle == NULL) {
        if (b->hex[0] == '\0')
            return ms_fail(c->err, MS_E_USAGE, "%s: %s: needs 'digest' or 'bundle' (the parent "
                           "model's manifest digest)", c->what, at);
        return MS_OK;
    }
    char *path = resolve(c->base_dir, bundle);
    free(bundle);
    if (path == NULL)
        return ms_fail(c->err, MS_E_NOMEM, "out of memory");
    char what[200], hex[MS_SHA256_HEX_LEN + 1];
    field_path(fp, at, "bundle");
    snprintf(what, sizeof what, "%s: %s", c->what, fp);
    st = ms_bundle_manifest_hex(path, what, hex, c->err);
    free(path);
    if (st != MS_OK)
        return st;
    if (b->hex[0] != '\0' && strcmp(b->hex, hex) != 0)
        return ms_fail(c->err, MS_E_USAGE, "%s: %s: digest sha256:%s differs from the bundle's "
                       "model manifest digest sha256:%s", c->what, at, b->hex, hex);
    memcpy(b->hex, hex, sizeof hex);
    return MS_OK;
}

static ms_status parse_dataset(spec_ctx *c, const cJSON *item, size_t i, ms_spec_dataset *d)
{
    char at[64], fp[96];
    snprintf(at, sizeof at, "datasets[%zu]", i);
    if (!cJSON_IsObject(item))
        return ms_fail(c->err, MS_E_USAGE, "%s: %s must be an object", c->what, at);
    ms_status st;
    char *path = NULL;
    if ((st = check_fields(c, item, dataset_fields, NFIELDS(dataset_fields), at)) != MS_OK ||
        (st = get_text(c, item, "name", at, 1, &d->name)) != MS_OK ||
        (st = get_text(c, item, "uri", at, 0, &d->uri)) != MS_OK ||
        (st = get_digest(c, item, at, d->hex)) != MS_OK ||
        (st = get_text(c, item, "license", at, 0, &d->license)) != MS_OK ||
        (st = get_enum(c, item, "role", at, roles, NFIELDS(roles), "role", &d->role)) !=
            MS_OK)
        return st;
    field_path(fp, at, "license");
    if ((st = canon_license(c, &d->license, fp)) != MS_OK)
        return st;
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(item, "records");
    if (rec != NULL) {
        field_path(fp, at, "records");
        if (ms_json_number_u64(rec, &d->records) != 0)
            return ms_fail(c->err, MS_E_USAGE, "%s: %s must be a non-negative integer", c->what,
                           fp);
        d->has_records = 1;
    }
    if ((st = get_text(c, item, "path", at, 0, &path)) != MS_OK)
        return st;
    if (path == NULL) {
        if (d->hex[0] == '\0' && d->uri == NULL)
            return ms_fail(c->err, MS_E_USAGE, "%s: %s: needs 'digest', 'path' or 'uri'",
                           c->what, at);
        return MS_OK;
    }
    char *full = resolve(c->base_dir, path);
    free(path);
    if (full == NULL)
        return ms_fail(c->err, MS_E_NOMEM, "out of memory");
    char what[200], hex[MS_SHA256_HEX_LEN + 1];
    field_path(fp, at, "path");
    snprintf(what, sizeof what, "%s: %s", c->what, fp);
    st = ms_dataset_digest(full, what, hex, c->err);
    free(full);
    if (st != MS_OK)
        return st;
    if (d->hex[0] != '\0' && strcmp(d->hex, hex) != 0)
        return ms_fail(c->err, MS_E_USAGE, "%s: %s: digest sha256:%s differs from the "
                       "content of 'path', sha256:%s", c->what, at, d->hex, hex);
    memcpy(d->hex, hex, sizeof hex);
    return MS_OK;
}

static ms_status parse_doc(spec_ctx *c, const cJSON *root)
{
    ms_spec *s = c->spec;
    ms_status st;
    if (!cJSON_IsObject(root))
        return ms_fail(c->err, MS_E_USAGE, "%s: must be a JSON object", c->what);
    if ((st = check_fields(c, root, top_fields, NFIELDS(top_fields), "")) != MS_OK)
        return st;
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "specVersion");
    uint64_t ver;
    if (sv == NULL)
        return ms_fail(c->err, MS_E_USAGE, "%s: missing field 'specVersion'", c->what);
    if (ms_json_number_u64(sv, &ver) != 0)
        return ms_fail(c->err, MS_E_USAGE, "%s: specVersion must be an integer", c->what);
    if (ver != 1)
        return ms_fail(c->err, MS_E_UNSUPPORTED, "%s: unsupported specVersion %llu (this "
                       "modelseal reads version 1)", c->what, (unsigned long long)ver);
    const char *p;
    char sb[80];
    if ((st = get_text(c, root, "name", "", 0, &s->name)) != MS_OK)
        return st;
    if (s->name != NULL && (p = ms_name_problem(s->name)) != NULL)
        return ms_fail(c->err, MS_E_USAGE, "%s: name: invalid name '%s': %s", c->what,
                       short_text(s->name, sb), p);
    if ((st = get_text(c, root, "version", "", 0, &s->version)) != MS_OK)
        return st;
    if (s->version != NULL && (p = ms_semver_problem(s->version)) != NULL)
        return ms_fail(c->err, MS_E_USAGE, "%s: version: invalid version '%s': %s", c->what,
                       short_text(s->version, sb), p);
    if ((st = get_text(c, root, "description", "", 0, &s->description)) != MS_OK ||
        (st = get_text(c, root, "license", "", 0, &s->license)) != MS_OK ||
        (st = canon_license(c, &s->license, "license")) != MS_OK)
        return st;

    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "authors");
    if (a != NULL) {
        if (!cJSON_IsArray(a))
            return ms_fail(c->err, MS_E_USAGE, "%s: authors must be an array of strings",
                           c->what);
        size_t n = (size_t)cJSON_GetArraySize(a);
        if (n > MS_SPEC_MAX_ENTRIES)
            return ms_fail(c->err, MS_E_LIMIT, "%s: authors: more than %d entries", c->what,
                           MS_SPEC_MAX_ENTRIES);
        if (n > 0 && (s->authors = calloc(n, sizeof *s->authors)) == NULL)
            return ms_fail(c->err, MS_E_NOMEM, "out of memory");
        const cJSON *x;
        cJSON_ArrayForEach(x, a)
        {
            char fp[32];
            snprintf(fp, sizeof fp, "authors[%zu]", s->author_count);
            if (!cJSON_IsString(x) || x->valuestring[0] == '\0' ||
                strlen(x->valuestring) > MS_SPEC_MAX_TEXT || !ms_utf8_valid(x->valuestring))
                return ms_fail(c->err, MS_E_USAGE, "%s: %s must be a non-empty UTF-8 string",
                               c->what, fp);
            if ((s->authors[s->author_count] = dup_str(x->valuestring)) == NULL)
                return ms_fail(c->err, MS_E_NOMEM, "out of memory");
            s->author_count++;
        }
    }

    const cJSON *card = cJSON_GetObjectItemCaseSensitive(root, "card");
    if (card != NULL) {
        if (!cJSON_IsObject(card))
            return ms_fail(c->err, MS_E_USAGE, "%s: card must be an object", c->what);
        if ((st = check_fields(c, card, card_fields, NFIELDS(card_fields), "card")) != MS_OK ||
            (st = get_text(c, card, "intendedUse", "card", 0, &s->intended_use)) != MS_OK ||
            (st = get_text(c, card, "outOfScopeUse", "card", 0, &s->out_of_scope_use)) !=
                MS_OK ||
            (st = get_text(c, card, "limitations", "card", 0, &s->limitations)) != MS_OK)
            return st;
    }

    const cJSON *bm = cJSON_GetObjectItemCaseSensitive(root, "baseModels");
    if (bm != NULL) {
        if (!cJSON_IsArray(bm))
            return ms_fail(c->err, MS_E_USAGE, "%s: baseModels must be an array", c->what);
        size_t n = (size_t)cJSON_GetArraySize(bm);
        if (n > MS_SPEC_MAX_ENTRIES)
            return ms_fail(c->err, MS_E_LIMIT, "%s: baseModels: more than %d entries", c->what,
                           MS_SPEC_MAX_ENTRIES);
        s->has_base_models = 1;
        if (n > 0 && (s->base_models = calloc(n, sizeof *s->base_models)) == NULL)
            return ms_fail(c->err, MS_E_NOMEM, "out of memory");
        const cJSON *x;
        cJSON_ArrayForEach(x, bm)
        {
            size_t i = s->base_model_count++;
            if ((st = parse_base(c, x, i, &s->base_models[i])) != MS_OK)
                return st;
        }
    }

    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(root, "datasets");
    if (ds != NULL) {
        if (!cJSON_IsArray(ds))
            return ms_fail(c->err, MS_E_USAGE, "%s: datasets must be an array", c->what);
        size_t n = (size_t)cJSON_GetArraySize(ds);
        if (n > MS_SPEC_MAX_ENTRIES)
            return ms_fail(c->err, MS_E_LIMIT, "%s: datasets: more than %d entries", c->what,
                           MS_SPEC_MAX_ENTRIES);
        s->has_datasets = 1;
        if (n > 0 && (s->datasets = calloc(n, sizeof *s->datasets)) == NULL)
            return ms_fail(c->err, MS_E_NOMEM, "out of memory");
        const cJSON *x;
        cJSON_ArrayForEach(x, ds)
        {
            size_t i = s->dataset_count++;
            if ((st = parse_dataset(c, x, i, &s->datasets[i])) != MS_OK)
                return st;
        }
    }

    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(root, "recipe");
    if (rc != NULL) {
        if (!cJSON_IsObject(rc))
            return ms_fail(c->err, MS_E_USAGE, "%s: recipe must be an object", c->what);
        size_t len;
        if ((s->recipe_json = ms_json_print(rc, &len)) == NULL)
            return ms_fail(c->err, MS_E_NOMEM, "out of memory");
        /* Checked now, so a bad recipe is reported before any work. */
        char what[200];
        snprintf(what, sizeof what, "%s: recipe", c->what);
        ms_recipe *r = NULL;
        if ((st = ms_recipe_parse(s->recipe_json, len, what, &r, c->err)) != MS_OK)
            return st;
        ms_recipe_free(r);
    }
    return MS_OK;
}

ms_status ms_spec_parse(const char *json, size_t len, const char *what, const char *base_dir,
                        ms_spec **out, ms_error *err)
{
    *out = NULL;
    if (len > MS_SPEC_MAX_BYTES)
        return ms_fail(err, MS_E_LIMIT, "%s: over %u bytes", what, MS_SPEC_MAX_BYTES);
    cJSON *root = NULL;
    ms_status st = ms_json_parse(json, len, what, &root, err);
    if (st != MS_OK)
        return st;
    ms_spec *s = calloc(1, sizeof *s);
    if (s == NULL) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    uint8_t dg[MS_SHA256_LEN];
    ms_sha256_buf(json, len, dg);
    ms_hex_encode(dg, MS_SHA256_LEN, s->hex);
    spec_ctx c = {.what = what, .base_dir = base_dir, .spec = s, .err = err};
    st = parse_doc(&c, root);
    cJSON_Delete(root);
    if (st != MS_OK) {
        ms_spec_free(s);
        return st;
    }
    *out = s;
    return MS_OK;
}

ms_status ms_spec_load(const char *path, ms_spec **out, ms_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    ms_status st = ms_read_file(path, MS_SPEC_MAX_BYTES, &text, &len, err);
    if (st != MS_OK)
        return st;
    char *dir = dup_str(path);
    if (dir == NULL) {
        free(text);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        dir[0] = '\0';
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    st = ms_spec_parse(text, len, path, dir, out, err);
    free(dir);
    free(text);
    return st;
}

void ms_spec_free(ms_spec *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->version);
    free(s->description);
    free(s->license);
    for (size_t i = 0; i < s->author_count; i++)
        free(s->authors[i]);
    free(s->authors);
    free(s->intended_use);
    free(s->out_of_scope_use);
    free(s->limitations);
    for (size_t i = 0; i < s->base_model_count; i++) {
        free(s->base_models[i].name);
        free(s->base_models[i].uri);
        free(s->base_models[i].license);
        free(s->base_models[i].relation);
    }
    free(s->base_models);
    for (size_t i = 0; i < s->dataset_count; i++) {
        free(s->datasets[i].name);
        free(s->datasets[i].uri);
        free(s->datasets[i].license);
        free(s->datasets[i].role);
    }
    free(s->datasets);
    free(s->recipe_json);
    free(s->warnings);
    free(s);
}

/* ---- dataset digests ------------------------------------------------------------------- */

#define DS_MAX_FILES 1000000
#define DS_MAX_DEPTH 64

typedef struct ds_walk {
    char **paths; /* relative, '/'-separated */
    size_t n, cap;
    const char *what;
    ms_error *err;
} ds_walk;

static ms_status walk_dir(ds_walk *w, const char *root, const char *rel, int depth)
{
    if (depth > DS_MAX_DEPTH)
        return ms_fail(w->err, MS_E_LIMIT, "%s: directories nested deeper than %d", w->what,
                       DS_MAX_DEPTH);
    size_t dl = strlen(root) + strlen(rel) + 2;
    char *dirpath = malloc(dl);
    if (dirpath == NULL)
        return ms_fail(w->err, MS_E_NOMEM, "out of memory");
    snprintf(dirpath, dl, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dirpath);
    if (d == NULL) {
        ms_status st = ms_fail(w->err, MS_E_IO, "%s: %s: %s", w->what, dirpath, strerror(errno));
        free(dirpath);
        return st;
    }
    ms_status st = MS_OK;
    struct dirent *e;
    while (st == MS_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t rl = strlen(rel) + strlen(e->d_name) + 2;
        char *child = malloc(rl);
        if (child == NULL) {
            st = ms_fail(w->err, MS_E_NOMEM, "out of memory");
            break;
        }
        snprintf(child, rl, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        size_t fl = strlen(root) + rl + 1;
        char *full = malloc(fl);
        struct stat sb;
        if (full == NULL) {
            free(child);
            st = ms_fail(w->err, MS_E_NOMEM, "out of memory");
            break;
        }
        snprintf(full, fl, "%s/%s", root, child);
        if (strchr(e->d_name, '\n') != NULL) {
            st = ms_fail(w->err, MS_E_UNSUPPORTED, "%s: a file name holds a newline", w->what);
        } else if (lstat(full, &sb) != 0) {
            st = ms_fail(w->err, MS_E_IO, "%s: %s: %s", w->what, full, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            st = walk_dir(w, root, child, depth + 1);
        } else if (S_ISREG(sb.st_mode)) {
            if (w->n >= DS_MAX_FILES) {
                st = ms_fail(w->err, MS_E_LIMIT, "%s: more than %d files", w->what,
                             DS_MAX_FILES);
            } else if (w->n == w->cap) {
                size_t nc = w->cap ? w->cap * 2 : 64;
                char **np = realloc(w->paths, nc * sizeof *np);
                if (np == NULL) {
                    st = ms_fail(w->err, MS_E_NOMEM, "out of memory");
                } else {
                    w->paths = np;
                    w->cap = nc;
                }
            }
            if (st == MS_OK) {
                w->paths[w->n++] = child;
                child = NULL;
            }
        } else {
            st = ms_fail(w->err, MS_E_UNSUPPORTED, "%s: '%s' is %s, not a regular file or a "
                         "directory", w->what, child,
                         S_ISLNK(sb.st_mode) ? "a symbolic link" : "a special file");
        }
        free(full);
        free(child);
    }
    closedir(d);
    free(dirpath);
    return st;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

ms_status ms_dataset_digest(const char *path, const char *what,
                            char hex[MS_SHA256_HEX_LEN + 1], ms_error *err)
{
    struct stat sb;
    uint8_t dg[MS_SHA256_LEN];
    if (stat(path, &sb) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s: %s", what, path, strerror(errno));
    if (S_ISREG(sb.st_mode)) {
        uint64_t size;
        ms_status st = ms_sha256_file(path, dg, &size, err);
        if (st != MS_OK)
            return ms_fail_prefix(err, "%s", what);
        ms_hex_encode(dg, MS_SHA256_LEN, hex);
        return MS_OK;
    }
    if (!S_ISDIR(sb.st_mode))
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: %s is not a regular file or a directory",
                       what, path);
    ds_walk w = {.what = what, .err = err};
    ms_status st = walk_dir(&w, path, "", 0);
    ms_sha256 *h = NULL;
    if (st == MS_OK) {
        qsort(w.paths, w.n, sizeof *w.paths, cmp_path);
        if ((h = ms_sha256_new()) == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; st == MS_OK && i < w.n; i++) {
        size_t fl = strlen(path) + strlen(w.paths[i]) + 2;
        char *full = malloc(fl);
        if (full == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        snprintf(full, fl, "%s/%s", path, w.paths[i]);
        uint8_t fd[MS_SHA256_LEN];
        uint64_t size;
        char fhex[MS_SHA256_HEX_LEN + 1];
        st = ms_sha256_file(full, fd, &size, err);
        free(full);
        if (st != MS_OK) {
            ms_fail_prefix(err, "%s", what);
            break;
        }
        ms_hex_encode(fd, MS_SHA256_LEN, fhex);
        ms_sha256_update(h, fhex, MS_SHA256_HEX_LEN);
        ms_sha256_update(h, "  ", 2);
        ms_sha256_update(h, w.paths[i], strlen(w.paths[i]));
        ms_sha256_update(h, "\n", 1);
    }
    if (st == MS_OK) {
        ms_sha256_final(h, dg);
        ms_hex_encode(dg, MS_SHA256_LEN, hex);
    }
    ms_sha256_free(h);
    for (size_t i = 0; i < w.n; i++)
        free(w.paths[i]);
    free(w.paths);
    return st;
}

/* ---- parent bundles -------------------------------------------------------------------- */

ms_status ms_bundle_manifest_hex(const char *path, const char *what,
                                 char hex[MS_SHA256_HEX_LEN + 1], ms_error *err)
{
    ms_report *r = ms_report_new(path);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_view *v = NULL;
    ms_status st = ms_view_load(path, 0, r, &v, err);
    if (st != MS_OK) {
        ms_report_free(r);
        return ms_fail_prefix(err, "%s", what);
    }
    if (ms_report_failures(r) > 0 || v->manifest == NULL || v->manifest_hex[0] == '\0') {
        char **problems = NULL;
        size_t np = ms_report_failed_details(r, &problems);
        st = ms_fail(err, MS_E_REJECTED, "%s: %s is not a well-formed modelseal bundle%s%s",
                     what, path, np > 0 ? ": " : "", np > 0 ? problems[0] : "");
        for (size_t i = 0; i < np; i++)
            free(problems[i]);
        free(problems);
    } else {
        memcpy(hex, v->manifest_hex, MS_SHA256_HEX_LEN + 1);
    }
    ms_view_free(v);
    ms_report_free(r);
    return st;
}

ms_status ms_spec_set_license(ms_spec *spec, const char *text, const char *what, ms_error *err)
{
    if (text[0] == '\0' || strlen(text) > 1024)
        return ms_fail(err, MS_E_USAGE, "%s: a license expression must be 1-1024 bytes", what);
    /* The same parser, list and suggestions as a spec file's license. */
    ms_spdx_expr *e = NULL;
    ms_error le;
    ms_error_clear(&le);
    if (ms_spdx_parse(text, &e, &le) != MS_OK) {
        if (le.status == MS_E_NOMEM)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        return ms_fail(err, MS_E_USAGE, "%s: %s", what, le.message);
    }
    char *canon = dup_str(ms_spdx_canonical(e));
    ms_status st = canon == NULL ? ms_fail(err, MS_E_NOMEM, "out of memory") : MS_OK;
    for (const char *w = ms_spdx_warnings(e); st == MS_OK && *w != '\0';) {
        const char *nl = strchr(w, '\n');
        size_t n = nl != NULL ? (size_t)(nl - w) : strlen(w);
        char line[600];
        snprintf(line, sizeof line, "%s: %.*s", what, (int)(n > 400 ? 400 : n), w);
        ms_text_sanitize(line, sizeof line);
        if (n > 0 && ms_text_append_line(&spec->warnings, line) != 0)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        w = nl != NULL ? nl + 1 : w + n;
    }
    ms_spdx_free(e);
    if (st != MS_OK) {
        free(canon);
        return st;
    }
    free(spec->license);
    spec->license = canon;
    return MS_OK;
}
