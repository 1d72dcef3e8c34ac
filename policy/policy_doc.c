/*
 * Policy documents: strict parsing and validation (docs/policy.md,
 * schemas/policy-v1.schema.json).
 *
 * A policy decides whether a bundle may ship, so a misspelt rule must not
 * silently turn into no rule: unknown fields are refused with the nearest
 * known name, and every mistake is collected so a user fixes them in one
 * pass.  "$comment" members are allowed in every object.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "modelseal/bundle.h"
#include "policy/policy.h"

typedef struct ctx {
    ms_strbuf out;
    size_t count;
    char first[1024];
} ctx;

static void problem(ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(ctx *c, const char *path, const char *fmt, ...)
{
    c->count++;
    if (c->count > MS_POLICY_MAX_PROBLEMS)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char line[1024];
    snprintf(line, sizeof line, "%s: %s", path[0] ? path : "(top level)", msg);
    ms_text_sanitize(line, sizeof line);
    if (c->count == 1)
        snprintf(c->first, sizeof c->first, "%s", line);
    ms_strbuf_printf(&c->out, "%s\n", line);
}

/* path + "." + key, or path + "[i]", into a caller buffer. */
static const char *join(char *buf, size_t cap, const char *path, const char *key)
{
    snprintf(buf, cap, "%s%s%s", path, path[0] ? "." : "", key);
    return buf;
}

static const char *index_path(char *buf, size_t cap, const char *path, size_t i)
{
    snprintf(buf, cap, "%s[%zu]", path, i);
    return buf;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* A number's value or the value's type, for messages (a static or thread-local buffer). */
static const char *num_or_type(const cJSON *v)
{
    static _Thread_local char buf[40];
    if (!cJSON_IsNumber(v))
        return type_name(v);
    snprintf(buf, sizeof buf, "%g", v->valuedouble);
    return buf;
}

/* Refuse members not in known[] (except "$comment", which must be a string). */
static void check_fields(ctx *c, const cJSON *obj, const char *path, const char *const *known,
                         size_t n)
{
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        char p[512];
        join(p, sizeof p, path, m->string);
        if (strcmp(m->string, "$comment") == 0) {
            if (!cJSON_IsString(m))
                problem(c, p, "expected a string, found %s", type_name(m));
            continue;
        }
        size_t i;
        for (i = 0; i < n && strcmp(known[i], m->string) != 0; i++)
            ;
        if (i < n)
            continue;
        const char *near = ms_nearest_name(m->string, known, n);
        if (near != NULL)
            problem(c, p, "unknown field (did you mean '%s'?)", near);
        else
            problem(c, p, "unknown field (known: %s%s%s%s%s%s)", known[0], n > 1 ? ", " : "",
                    n > 1 ? known[1] : "", n > 2 ? ", " : "", n > 2 ? known[2] : "",
                    n > 3 ? ", ..." : "");
    }
}

/* The member, or NULL when absent. */
static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static const cJSON *get_object(ctx *c, const cJSON *obj, const char *key, const char *path)
{
    const cJSON *v = member(obj, key);
    if (v == NULL)
        return NULL;
    if (!cJSON_IsObject(v)) {
        char p[512];
        problem(c, join(p, sizeof p, path, key), "expected an object, found %s", type_name(v));
        return NULL;
    }
    return v;
}

/* 1 and *out when present and a boolean; 0 when absent or wrong (reported). */
static int get_bool(ctx *c, const cJSON *obj, const char *key, const char *path, int *out)
{
    const cJSON *v = member(obj, key);
    if (v == NULL)
        return 0;
    if (!cJSON_IsBool(v)) {
        char p[512];
        problem(c, join(p, sizeof p, path, key), "expected true or false, found %s",
                type_name(v));
        return 0;
    }
    *out = cJSON_IsTrue(v);
    return 1;
}

static int get_u64(ctx *c, const cJSON *obj, const char *key, const char *path, uint64_t min,
                   uint64_t *out)
{
    const cJSON *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    join(p, sizeof p, path, key);
    if (ms_json_number_u64(v, out) != 0) {
        problem(c, p, "expected a non-negative integer, found %s", type_name(v));
        return 0;
    }
    if (*out < min) {
        problem(c, p, "expected an integer of at least %llu, found %llu",
                (unsigned long long)min, (unsigned long long)*out);
        return 0;
    }
    return 1;
}

static void get_num(ctx *c, const cJSON *obj, const char *key, const char *path, double lo,
                    double hi, ms_policy_num *out)
{
    const cJSON *v = member(obj, key);
    if (v == NULL)
        return;
    char p[512];
    join(p, sizeof p, path, key);
    if (!cJSON_IsNumber(v)) {
        problem(c, p, "expected a number, found %s", type_name(v));
        return;
    }
    if (!(v->valuedouble >= lo && v->valuedouble <= hi)) {
        problem(c, p, "expected a number from %g to %g, found %g", lo, hi, v->valuedouble);
        return;
    }
    out->has = 1;
    out->v = v->valuedouble;
}

/* A string member; NULL when absent or wrong (reported). */
static const char *get_string(ctx *c, const cJSON *obj, const char *key, const char *path)
{
    const cJSON *v = member(obj, key);
    if (v == NULL)
        return NULL;
    char p[512];
    join(p, sizeof p, path, key);
    if (!cJSON_IsString(v)) {
        problem(c, p, "expected a string, found %s", type_name(v));
        return NULL;
    }
    if (v->valuestring[0] == '\0' || strlen(v->valuestring) > 1024) {
        problem(c, p, "expected a string of 1 to 1024 bytes");
        return NULL;
    }
    return v->valuestring;
}

/* One of choices[]; -1 when absent or wrong (reported). */
static int get_enum(ctx *c, const cJSON *obj, const char *key, const char *path,
                    const char *const *choices, size_t n)
{
    const char *s = get_string(c, obj, key, path);
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, choices[i]) == 0)
            return (int)i;
    char p[512], list[256] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i ? ", " : "",
                 choices[i]);
    const char *near = ms_nearest_name(s, choices, n);
    if (near != NULL)
        problem(c, join(p, sizeof p, path, key), "'%s' is not one of %s (did you mean '%s'?)", s,
                list, near);
    else
        problem(c, join(p, sizeof p, path, key), "'%s' is not one of %s", s, list);
    return -1;
}

/* Validates one list item; returns 1 when it is acceptable (else it reported). */
typedef int (*item_check)(ctx *c, const char *path, const char *s);

static int get_list(ctx *c, const cJSON *obj, const char *key, const char *path,
                    item_check check, ms_policy_list *out)
{
    const cJSON *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    join(p, sizeof p, path, key);
    if (!cJSON_IsArray(v)) {
        problem(c, p, "expected an array of strings, found %s", type_name(v));
        return 0;
    }
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n > MS_POLICY_MAX_LIST) {
        problem(c, p, "more than %d entries", MS_POLICY_MAX_LIST);
        return 0;
    }
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (out->v == NULL) {
        c->out.oom = 1;
        return 0;
    }
    size_t i = 0;
    for (const cJSON *it = v->child; it != NULL; it = it->next, i++) {
        char ip[560];
        index_path(ip, sizeof ip, p, i);
        if (!cJSON_IsString(it)) {
            problem(c, ip, "expected a string, found %s", type_name(it));
            continue;
        }
        if (it->valuestring[0] == '\0' || strlen(it->valuestring) > 1024) {
            problem(c, ip, "expected a string of 1 to 1024 bytes");
            continue;
        }
        if (check != NULL && !check(c, ip, it->valuestring))
            continue;
        char *d = strdup(it->valuestring);
        if (d == NULL) {
            c->out.oom = 1;
            return 0;
        }
        out->v[out->n++] = d;
    }
    return 1;
}

static void list_free(ms_policy_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* ---- item validators ---- */

static const char *const class_names[] = {
    "noncommercial", "no-derivatives", "sharealike",     "copyleft", "copyleft-weak",
    "copyleft-network", "attribution",  "use-restricted", "permissive",
};

int ms_policy_class_bit(const char *name)
{
    static const int bits[] = {
        MS_LICENSE_NONCOMMERCIAL,    MS_LICENSE_NO_DERIVATIVES, MS_LICENSE_SHAREALIKE,
        MS_LICENSE_COPYLEFT,         MS_LICENSE_COPYLEFT_WEAK,  MS_LICENSE_COPYLEFT_NETWORK,
        MS_LICENSE_ATTRIBUTION,      MS_LICENSE_USE_RESTRICTED, MS_POLICY_CLASS_PERMISSIVE,
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (strcmp(name, class_names[i]) == 0)
            return bits[i];
    return 0;
}

static int check_class(ctx *c, const char *path, const char *s)
{
    if (ms_policy_class_bit(s) != 0)
        return 1;
    const char *near = ms_nearest_name(s, class_names, sizeof class_names / sizeof *class_names);
    if (near != NULL)
        problem(c, path, "unknown license class '%s' (did you mean '%s'?)", s, near);
    else
        problem(c, path, "unknown license class '%s' (classes: noncommercial, no-derivatives, "
                "sharealike, copyleft, copyleft-weak, copyleft-network, attribution, "
                "use-restricted, permissive)", s);
    return 0;
}

/* One license id (from the SPDX list, or a LicenseRef-), not an expression. */
static int check_license_id(ctx *c, const char *path, const char *s)
{
    ms_spdx_expr *e = NULL;
    ms_error err;
    if (ms_spdx_parse(s, &e, &err) != MS_OK) {
        problem(c, path, "%s", err.message);
        return 0;
    }
    const ms_spdx_node *r = ms_spdx_root(e);
    int ok = r->kind == MS_SPDX_LICENSE;
    ms_spdx_free(e);
    if (!ok)
        problem(c, path, "'%s' is an expression; list single license ids", s);
    return ok;
}

static const char *const role_names[] = {"training", "evaluation", "calibration"};
static int check_dataset_role(ctx *c, const char *path, const char *s)
{
    for (size_t i = 0; i < 3; i++)
        if (strcmp(s, role_names[i]) == 0)
            return 1;
    const char *near = ms_nearest_name(s, role_names, 3);
    problem(c, path, "unknown dataset role '%s' (%s%s%s)", s, near ? "did you mean '" : "roles: "
            "training, evaluation, calibration", near ? near : "", near ? "'?" : "");
    return 0;
}

static const char *const algorithm_names[] = {"ed25519", "ecdsa-p256", "ecdsa-p384"};
static int check_algorithm(ctx *c, const char *path, const char *s)
{
    for (size_t i = 0; i < 3; i++)
        if (strcmp(s, algorithm_names[i]) == 0)
            return 1;
    const char *near = ms_nearest_name(s, algorithm_names, 3);
    problem(c, path, "unknown algorithm '%s' (%s%s%s)", s,
            near ? "did you mean '" : "algorithms: ed25519, ecdsa-p256, ecdsa-p384",
            near ? near : "", near ? "'?" : "");
    return 0;
}

static const char *const metadata_names[] = {
    "description", "authors",  "license",     "intendedUse",
    "outOfScopeUse", "limitations", "baseModels", "datasets",
};
static int check_metadata_field(ctx *c, const char *path, const char *s)
{
    size_t n = sizeof metadata_names / sizeof *metadata_names;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, metadata_names[i]) == 0)
            return 1;
    const char *near = ms_nearest_name(s, metadata_names, n);
    if (near != NULL)
        problem(c, path, "unknown metadata field '%s' (did you mean '%s'?)", s, near);
    else
        problem(c, path, "unknown metadata field '%s' (fields: description, authors, license, "
                "intendedUse, outOfScopeUse, limitations, baseModels, datasets)", s);
    return 0;
}

static const char *const scheme_names[] = {"none", "f16",  "bf16", "int8",
                                           "q8_0", "q4_0", "q4_k", "q6_k"};
static int check_scheme(ctx *c, const char *path, const char *s)
{
    size_t n = sizeof scheme_names / sizeof *scheme_names;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, scheme_names[i]) == 0)
            return 1;
    const char *near = ms_nearest_name(s, scheme_names, n);
    if (near != NULL)
        problem(c, path, "unknown scheme '%s' (did you mean '%s'?)", s, near);
    else
        problem(c, path, "unknown scheme '%s' (schemes: none, f16, bf16, int8, q8_0, q4_0, "
                "q4_k, q6_k)", s);
    return 0;
}

static int check_rule_id(ctx *c, const char *path, const char *s)
{
    size_t n;
    const char *const *ids = ms_policy_rule_ids(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, ids[i]) == 0)
            return 1;
    const char *near = ms_nearest_name(s, ids, n);
    if (near != NULL)
        problem(c, path, "unknown rule id '%s' (did you mean '%s'?)", s, near);
    else
        problem(c, path, "unknown rule id '%s' (docs/policy.md lists them)", s);
    return 0;
}

static int check_format_version(ctx *c, const char *path, const char *s)
{
    const char *d = s;
    size_t dots = 0;
    for (; *d != '\0'; d++) {
        if (*d == '.')
            dots++;
        else if (*d < '0' || *d > '9')
            break;
    }
    if (*d != '\0' || dots > 1 || s[0] == '.' || d[-1] == '.' || strstr(s, "..") != NULL) {
        problem(c, path, "'%s' is not a format version like '1' or '1.0'", s);
        return 0;
    }
    return 1;
}

static int class_bits(const ms_policy_list *l, int *permissive)
{
    int bits = 0;
    for (size_t i = 0; i < l->n; i++) {
        int b = ms_policy_class_bit(l->v[i]);
        if (b == MS_POLICY_CLASS_PERMISSIVE && permissive != NULL)
            *permissive = 1;
        else if (b != MS_POLICY_CLASS_PERMISSIVE)
            bits |= b;
    }
    return bits;
}

/* ---- sections ---- */

static void parse_licenses(ctx *c, const cJSON *s, ms_policy *p)
{
    static const char *const known[] = {"allow", "deny", "allowClasses", "denyClasses",
                                        "unknown", "denyInherited", "conflicts"};
    check_fields(c, s, "licenses", known, sizeof known / sizeof *known);
    int a = get_list(c, s, "allow", "licenses", check_license_id, &p->lic_allow);
    get_list(c, s, "deny", "licenses", check_license_id, &p->lic_deny);
    ms_policy_list l = {0};
    if (get_list(c, s, "allowClasses", "licenses", check_class, &l)) {
        a = 1;
        p->lic_allow_classes = class_bits(&l, &p->lic_allow_permissive);
    }
    list_free(&l);
    if (get_list(c, s, "denyClasses", "licenses", check_class, &l)) {
        int perm = 0;
        p->lic_deny_classes = class_bits(&l, &perm);
        if (perm)
            problem(c, "licenses.denyClasses", "'permissive' can only be allowed");
    }
    list_free(&l);
    p->lic_has_allow = a;
    static const char *const actions[] = {"allow", "warn", "deny"};
    int u = get_enum(c, s, "unknown", "licenses", actions, 3);
    if (u >= 0)
        p->lic_unknown = (ms_policy_action)(MS_POLICY_ALLOW + u);
    if (get_list(c, s, "denyInherited", "licenses", check_class, &l)) {
        int perm = 0;
        p->lic_has_inherited = 1;
        p->lic_inherited_deny = class_bits(&l, &perm);
        if (perm)
            problem(c, "licenses.denyInherited", "'permissive' is not a condition to deny");
    }
    list_free(&l);
    static const char *const conf[] = {"warn", "fail"};
    int k = get_enum(c, s, "conflicts", "licenses", conf, 2);
    if (k >= 0)
        p->lic_conflicts = k == 0 ? MS_POLICY_WARN : MS_POLICY_DENY;
}

static void parse_datasets(ctx *c, const cJSON *s, ms_policy *p)
{
    static const char *const known[] = {"requireDigests", "deny", "requiredRoles", "minRecords"};
    check_fields(c, s, "datasets", known, sizeof known / sizeof *known);
    get_bool(c, s, "requireDigests", "datasets", &p->ds_require_digests);
    const cJSON *d = member(s, "deny");
    if (d != NULL && !cJSON_IsArray(d)) {
        problem(c, "datasets.deny", "expected an array of objects, found %s", type_name(d));
    } else if (d != NULL) {
        size_t n = (size_t)cJSON_GetArraySize(d);
        if (n > MS_POLICY_MAX_LIST) {
            problem(c, "datasets.deny", "more than %d entries", MS_POLICY_MAX_LIST);
            n = 0;
        }
        p->ds_deny = calloc(n ? n : 1, sizeof *p->ds_deny);
        if (p->ds_deny == NULL) {
            c->out.oom = 1;
            return;
        }
        size_t i = 0;
        for (const cJSON *it = d->child; it != NULL && i < n; it = it->next, i++) {
            char ip[64];
            index_path(ip, sizeof ip, "datasets.deny", i);
            if (!cJSON_IsObject(it)) {
                problem(c, ip, "expected an object, found %s", type_name(it));
                continue;
            }
            static const char *const mk[] = {"name", "uri", "digest", "license"};
            check_fields(c, it, ip, mk, 4);
            const char *v[4];
            int any = 0;
            for (size_t k = 0; k < 4; k++)
                any |= (v[k] = get_string(c, it, mk[k], ip)) != NULL;
            if (!any) {
                problem(c, ip, "needs at least one of name, uri, digest, license");
                continue;
            }
            ms_policy_dataset_match *m = &p->ds_deny[p->ds_deny_n++];
            char **dst[4] = {&m->name, &m->uri, &m->digest, &m->license};
            for (size_t k = 0; k < 4; k++)
                if (v[k] != NULL && (*dst[k] = strdup(v[k])) == NULL)
                    c->out.oom = 1;
        }
    }
    get_list(c, s, "requiredRoles", "datasets", check_dataset_role, &p->ds_roles);
    p->ds_has_min_records = get_u64(c, s, "minRecords", "datasets", 1, &p->ds_min_records);
}

static void parse_signers(ctx *c, const cJSON *s, ms_policy *p)
{
    static const char *const known[] = {"requiredRoles", "algorithms"};
    check_fields(c, s, "signers", known, 2);
    const cJSON *r = get_object(c, s, "requiredRoles", "signers");
    if (r != NULL) {
        size_t n = (size_t)cJSON_GetArraySize(r);
        p->roles = calloc(n ? n : 1, sizeof *p->roles);
        if (p->roles == NULL) {
            c->out.oom = 1;
            return;
        }
        for (const cJSON *it = r->child; it != NULL; it = it->next) {
            if (strcmp(it->string, "$comment") == 0)
                continue;
            char ip[512];
            join(ip, sizeof ip, "signers.requiredRoles", it->string);
            uint64_t t;
            if (it->string[0] == '\0' || strlen(it->string) > 64) {
                problem(c, ip, "a role name has 1 to 64 bytes");
                continue;
            }
            if (ms_json_number_u64(it, &t) != 0 || t < 1 || t > 1000) {
                problem(c, ip, "expected a threshold from 1 to 1000, found %s", num_or_type(it));
                continue;
            }
            ms_policy_role *ro = &p->roles[p->role_n++];
            ro->threshold = t;
            if ((ro->role = strdup(it->string)) == NULL)
                c->out.oom = 1;
        }
    }
    get_list(c, s, "algorithms", "signers", check_algorithm, &p->algorithms);
}

static void parse_compression(ctx *c, const cJSON *s, ms_policy *p)
{
    static const char *const known[] = {"schemes",        "minWorstSqnrDb",   "minModelSqnrDb",
                                        "minProbeSqnrDb", "maxBitsPerWeight", "maxSparsity",
                                        "allowFallbacks"};
    check_fields(c, s, "compression", known, sizeof known / sizeof *known);
    get_list(c, s, "schemes", "compression", check_scheme, &p->schemes);
    get_num(c, s, "minWorstSqnrDb", "compression", -1000, 1000, &p->min_worst_sqnr);
    get_num(c, s, "minModelSqnrDb", "compression", -1000, 1000, &p->min_model_sqnr);
    get_num(c, s, "minProbeSqnrDb", "compression", -1000, 1000, &p->min_probe_sqnr);
    get_num(c, s, "maxBitsPerWeight", "compression", 0, 64, &p->max_bpw);
    get_num(c, s, "maxSparsity", "compression", 0, 1, &p->max_sparsity);
    p->has_fallbacks = get_bool(c, s, "allowFallbacks", "compression", &p->allow_fallbacks);
}

static void parse_release(ctx *c, const cJSON *s, ms_policy *p)
{
    static const char *const known[] = {"minVersion", "requireRollbackState", "maxAgeDays"};
    check_fields(c, s, "release", known, 3);
    const char *v = get_string(c, s, "minVersion", "release");
    if (v != NULL) {
        const char *why = ms_semver_problem(v);
        if (why != NULL)
            problem(c, "release.minVersion", "'%s' is not a semantic version: %s", v, why);
        else if ((p->min_version = strdup(v)) == NULL)
            c->out.oom = 1;
    }
    get_bool(c, s, "requireRollbackState", "release", &p->require_rollback);
    p->has_max_age = get_u64(c, s, "maxAgeDays", "release", 1, &p->max_age_days);
    if (p->has_max_age && p->max_age_days > 36500) {
        problem(c, "release.maxAgeDays", "expected at most 36500 days");
        p->has_max_age = 0;
    }
}

static void parse_top(ctx *c, const cJSON *root, ms_policy *p)
{
    static const char *const known[] = {
        "policyVersion", "name",     "mode",     "expires",     "optional",
        "licenses",      "datasets", "baseModels", "signers",   "metadata",
        "compression",   "integrity", "release",  "bundle",
    };
    check_fields(c, root, "", known, sizeof known / sizeof *known);
    const cJSON *pv = member(root, "policyVersion");
    uint64_t ver;
    if (pv == NULL)
        problem(c, "policyVersion", "missing (this modelseal reads policyVersion 1)");
    else if (ms_json_number_u64(pv, &ver) != 0 || ver != 1)
        problem(c, "policyVersion", "expected 1, found %s%s", num_or_type(pv),
                cJSON_IsNumber(pv) ? " (this modelseal reads policyVersion 1)" : "");
    static const char *const modes[] = {"enforce", "audit"};
    if (member(root, "mode") == NULL)
        problem(c, "mode", "missing (expected 'enforce' or 'audit')");
    int m = get_enum(c, root, "mode", "", modes, 2);
    p->mode = m == 1 ? MS_POLICY_AUDIT : MS_POLICY_ENFORCE;
    const char *name = get_string(c, root, "name", "");
    if (name != NULL && (p->name = strdup(name)) == NULL)
        c->out.oom = 1;
    const char *exp = get_string(c, root, "expires", "");
    if (exp != NULL) {
        if (ms_rfc3339_parse(exp, &p->expires) != 0)
            problem(c, "expires", "'%s' is not an RFC 3339 time like 2027-01-31T00:00:00Z", exp);
        else
            p->has_expires = 1;
    }
    get_list(c, root, "optional", "", check_rule_id, &p->optional);

    const cJSON *s;
    if ((s = get_object(c, root, "licenses", "")) != NULL)
        parse_licenses(c, s, p);
    if ((s = get_object(c, root, "datasets", "")) != NULL)
        parse_datasets(c, s, p);
    if ((s = get_object(c, root, "baseModels", "")) != NULL) {
        static const char *const known_b[] = {"requireDigests", "maxDepth", "requireVerified"};
        check_fields(c, s, "baseModels", known_b, 3);
        get_bool(c, s, "requireDigests", "baseModels", &p->bm_require_digests);
        p->bm_has_max_depth = get_u64(c, s, "maxDepth", "baseModels", 0, &p->bm_max_depth);
        get_bool(c, s, "requireVerified", "baseModels", &p->bm_require_verified);
    }
    if ((s = get_object(c, root, "signers", "")) != NULL)
        parse_signers(c, s, p);
    if ((s = get_object(c, root, "metadata", "")) != NULL) {
        static const char *const known_m[] = {"required"};
        check_fields(c, s, "metadata", known_m, 1);
        get_list(c, s, "required", "metadata", check_metadata_field, &p->required_fields);
    }
    if ((s = get_object(c, root, "compression", "")) != NULL)
        parse_compression(c, s, p);
    if ((s = get_object(c, root, "integrity", "")) != NULL) {
        static const char *const known_i[] = {"requireProbes"};
        check_fields(c, s, "integrity", known_i, 1);
        get_bool(c, s, "requireProbes", "integrity", &p->require_probes);
    }
    if ((s = get_object(c, root, "release", "")) != NULL)
        parse_release(c, s, p);
    if ((s = get_object(c, root, "bundle", "")) != NULL) {
        static const char *const known_z[] = {"maxSizeBytes", "formatVersions"};
        check_fields(c, s, "bundle", known_z, 2);
        p->has_max_size = get_u64(c, s, "maxSizeBytes", "bundle", 1, &p->max_size);
        get_list(c, s, "formatVersions", "bundle", check_format_version, &p->format_versions);
    }
}

void ms_policy_free(ms_policy *p)
{
    if (p == NULL)
        return;
    free(p->name);
    list_free(&p->optional);
    list_free(&p->lic_allow);
    list_free(&p->lic_deny);
    for (size_t i = 0; i < p->ds_deny_n; i++) {
        free(p->ds_deny[i].name);
        free(p->ds_deny[i].uri);
        free(p->ds_deny[i].digest);
        free(p->ds_deny[i].license);
    }
    free(p->ds_deny);
    list_free(&p->ds_roles);
    for (size_t i = 0; i < p->role_n; i++)
        free(p->roles[i].role);
    free(p->roles);
    list_free(&p->algorithms);
    list_free(&p->required_fields);
    list_free(&p->schemes);
    free(p->min_version);
    list_free(&p->format_versions);
    free(p);
}

ms_status ms_policy_parse(const char *buf, size_t len, const char *what, ms_policy **out,
                          char **problems, ms_error *err)
{
    if (out == NULL || (buf == NULL && len > 0))
        return ms_fail(err, MS_E_USAGE, "policy: no document given");
    ms_error_clear(err);
    *out = NULL;
    if (problems != NULL)
        *problems = NULL;
    if (what == NULL)
        what = "policy";
    if (len > MS_POLICY_MAX_BYTES)
        return ms_fail(err, MS_E_LIMIT, "%s: larger than %d bytes", what, MS_POLICY_MAX_BYTES);
    cJSON *root = NULL;
    ms_status st = ms_json_parse(buf, len, what, &root, err);
    if (st != MS_OK) {
        if (problems != NULL)
            *problems = strdup(err->message);
        return st;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        if (problems != NULL)
            *problems = strdup("(top level): expected an object");
        return ms_fail(err, MS_E_FORMAT, "%s: expected a JSON object", what);
    }
    ms_policy *p = calloc(1, sizeof *p);
    if (p == NULL) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    ctx c = {0};
    parse_top(&c, root, p);
    cJSON_Delete(root);
    if (c.count > MS_POLICY_MAX_PROBLEMS)
        ms_strbuf_printf(&c.out, "... and %zu more mistakes\n", c.count - MS_POLICY_MAX_PROBLEMS);
    char *text = ms_strbuf_take(&c.out);
    if (text == NULL) {
        ms_policy_free(p);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    if (c.count > 0) {
        ms_policy_free(p);
        if (problems != NULL)
            *problems = text;
        else
            free(text);
        if (c.count == 1)
            return ms_fail(err, MS_E_FORMAT, "%s: %s", what, c.first);
        return ms_fail(err, MS_E_FORMAT, "%s: %s (and %zu more mistakes)", what, c.first,
                       c.count - 1);
    }
    free(text);
    *out = p;
    return MS_OK;
}

ms_status ms_policy_load(const char *path, ms_policy **out, char **problems, ms_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (problems != NULL)
        *problems = NULL;
    if (path == NULL || out == NULL)
        return ms_fail(err, MS_E_USAGE, "policy: no file given");
    char *buf = NULL;
    size_t len = 0;
    ms_status st = ms_read_file(path, MS_POLICY_MAX_BYTES, &buf, &len, err);
    if (st != MS_OK)
        return st;
    st = ms_policy_parse(buf, len, path, out, problems, err);
    free(buf);
    return st;
}

const char *ms_policy_name(const ms_policy *p)
{
    return p != NULL && p->name != NULL ? p->name : "";
}

int ms_policy_is_audit(const ms_policy *p)
{
    return p != NULL && p->mode == MS_POLICY_AUDIT;
}

ms_status ms_policy_check_expiry(const ms_policy *p, int64_t at, ms_error *err)
{
    ms_error_clear(err);
    if (p == NULL || !p->has_expires || at < p->expires)
        return MS_OK;
    char t[32];
    ms_rfc3339_format(p->expires, t);
    return ms_fail(err, MS_E_REJECTED, "policy '%s' expired at %s: renew or replace it",
                   ms_text_clean(ms_policy_name(p)), t);
}
