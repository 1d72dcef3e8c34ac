#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/json.h"
#include "core/text.h"
#include "policy/policy.h"
#include "verify/report.h"

typedef struct check {
    char *name;
    char *detail;
    int ok;
    int not_run; /* skipped because of an earlier failure: neither passed nor failed */
} check;

typedef struct roleline {
    char *role;
    uint64_t required;
    size_t valid;
} roleline;

typedef struct sigverdict {
    char *keyid;
    char *role;
    char *algorithm;
    char *verdict;
    char *detail;
    int trusted;
    int valid;
} sigverdict;

struct ms_report {
    char *bundle;
    char *name, *version, *manifest_digest, *format_version;
    char *error;
    check *checks;
    size_t check_count;
    sigverdict *sigs;
    size_t sig_count;
    roleline *roles;
    size_t role_count;
    int oom;
    ms_policy_results *policy; /* verify --policy: owned */
    char *policy_skipped;      /* why the policy was not run, or NULL */
    int exit_status;           /* set by the caller, or -1: derived from the status */
    cJSON *summary;            /* structured facts of a verified bundle, or NULL */
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

ms_report *ms_report_new(const char *bundle_path)
{
    ms_report *r = calloc(1, sizeof *r);
    if (r != NULL && (r->bundle = dup_or_null(bundle_path)) == NULL && bundle_path != NULL) {
        free(r);
        return NULL;
    }
    if (r != NULL)
        r->exit_status = -1;
    return r;
}

void ms_report_free(ms_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->check_count; i++) {
        free(r->checks[i].name);
        free(r->checks[i].detail);
    }
    for (size_t i = 0; i < r->sig_count; i++) {
        free(r->sigs[i].keyid);
        free(r->sigs[i].role);
        free(r->sigs[i].algorithm);
        free(r->sigs[i].verdict);
        free(r->sigs[i].detail);
    }
    for (size_t i = 0; i < r->role_count; i++)
        free(r->roles[i].role);
    free(r->roles);
    free(r->checks);
    free(r->sigs);
    free(r->bundle);
    free(r->name);
    free(r->version);
    free(r->manifest_digest);
    free(r->format_version);
    free(r->error);
    ms_policy_results_free(r->policy);
    free(r->policy_skipped);
    cJSON_Delete(r->summary);
    free(r);
}

void ms_report_set_exit_status(ms_report *r, int status)
{
    if (r != NULL)
        r->exit_status = status;
}

void ms_report_set_summary(ms_report *r, cJSON *summary)
{
    cJSON_Delete(r->summary);
    r->summary = summary;
}

void ms_report_not_run(ms_report *r, const char *name, const char *why)
{
    size_t before = r->check_count;
    ms_report_check(r, name, 0, "%s", why);
    if (r->check_count > before)
        r->checks[before].not_run = 1;
}

void ms_report_set_policy(ms_report *r, ms_policy_results *res)
{
    ms_policy_results_free(r->policy);
    r->policy = res;
}

void ms_report_policy_skipped(ms_report *r, const char *why)
{
    free(r->policy_skipped);
    if ((r->policy_skipped = strdup(why)) == NULL)
        r->oom = 1;
}

const ms_policy_results *ms_report_policy(const ms_report *r)
{
    return r != NULL ? r->policy : NULL;
}

int ms_report_check(ms_report *r, const char *name, int ok, const char *fmt, ...)
{
    if (r == NULL)
        return ok;
    check *c = realloc(r->checks, (r->check_count + 1) * sizeof *c);
    if (c == NULL) {
        r->oom = 1;
        return ok;
    }
    r->checks = c;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Details quote archive entry names, which are raw bytes (and the cut
     * above may split a character): keep them valid UTF-8 without control
     * bytes, as JSON output and terminals need. */
    ms_text_sanitize(buf, sizeof buf);
    c[r->check_count].name = strdup(name);
    c[r->check_count].detail = strdup(buf);
    c[r->check_count].ok = ok != 0;
    c[r->check_count].not_run = 0;
    if (c[r->check_count].name == NULL || c[r->check_count].detail == NULL)
        r->oom = 1;
    r->check_count++;
    return ok;
}

void ms_report_set_model(ms_report *r, const char *name, const char *version,
                         const char *manifest_digest, const char *format_version)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->version);
    free(r->manifest_digest);
    free(r->format_version);
    r->name = dup_or_null(name);
    r->version = dup_or_null(version);
    r->manifest_digest = dup_or_null(manifest_digest);
    r->format_version = dup_or_null(format_version);
}

void ms_report_role(ms_report *r, const char *role, uint64_t required, size_t valid)
{
    if (r == NULL)
        return;
    roleline *n = realloc(r->roles, (r->role_count + 1) * sizeof *n);
    if (n == NULL) {
        r->oom = 1;
        return;
    }
    r->roles = n;
    n[r->role_count].role = strdup(role);
    n[r->role_count].required = required;
    n[r->role_count++].valid = valid;
}

void ms_report_signature(ms_report *r, const char *keyid, const char *algorithm,
                         const char *role, int trusted, int valid, const char *verdict,
                         const char *detail)
{
    if (r == NULL)
        return;
    sigverdict *s = realloc(r->sigs, (r->sig_count + 1) * sizeof *s);
    if (s == NULL) {
        r->oom = 1;
        return;
    }
    r->sigs = s;
    s += r->sig_count++;
    s->keyid = strdup(keyid != NULL ? keyid : "");
    s->algorithm = dup_or_null(algorithm);
    s->role = dup_or_null(role);
    s->verdict = strdup(verdict);
    s->detail = dup_or_null(detail);
    s->trusted = trusted;
    s->valid = valid;
}

void ms_report_set_error(ms_report *r, const char *message)
{
    if (r == NULL)
        return;
    free(r->error);
    r->error = dup_or_null(message);
}

size_t ms_report_failures(const ms_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->check_count; i++)
        n += !r->checks[i].ok && !r->checks[i].not_run;
    return n;
}

size_t ms_report_valid_signatures(const ms_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->sig_count; i++)
        n += r->sigs[i].trusted && r->sigs[i].valid && strcmp(r->sigs[i].verdict, "valid") == 0;
    return n;
}

size_t ms_report_signature_count(const ms_report *r)
{
    return r != NULL ? r->sig_count : 0;
}

int ms_report_signature_get(const ms_report *r, size_t i, ms_report_sig *out)
{
    if (r == NULL || i >= r->sig_count)
        return 0;
    const sigverdict *s = &r->sigs[i];
    out->keyid = s->keyid;
    out->algorithm = s->algorithm;
    out->role = s->role;
    out->verdict = s->verdict;
    out->trusted = s->trusted;
    out->valid = s->valid;
    return 1;
}

static const char *status_word(const ms_report *r)
{
    if (r->error != NULL)
        return "error";
    return ms_report_failures(r) == 0 && !ms_policy_results_blocking(r->policy) ? "verified"
                                                                               : "rejected";
}

/* The exit status that goes with the report, unless the caller set one. */
static int report_exit_status(const ms_report *r)
{
    if (r->exit_status >= 0)
        return r->exit_status;
    const char *w = status_word(r);
    return strcmp(w, "verified") == 0 ? 0 : strcmp(w, "rejected") == 0 ? 1 : 3;
}

static char *render_json(const ms_report *r)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    ms_json_add_u64(o, "reportVersion", MS_REPORT_VERSION);
    cJSON_AddStringToObject(o, "tool", "modelseal");
    cJSON_AddStringToObject(o, "toolVersion", ms_version());
    if (r->bundle != NULL)
        cJSON_AddStringToObject(o, "bundle", r->bundle);
    else
        cJSON_AddNullToObject(o, "bundle");
    cJSON_AddStringToObject(o, "status", status_word(r));
    cJSON_AddBoolToObject(o, "verified", strcmp(status_word(r), "verified") == 0);
    ms_json_add_u64(o, "exitStatus", (uint64_t)report_exit_status(r));
    if (r->error != NULL)
        cJSON_AddStringToObject(o, "error", r->error);
    cJSON *m = cJSON_AddObjectToObject(o, "model");
    if (m != NULL) {
        if (r->name != NULL)
            cJSON_AddStringToObject(m, "name", r->name);
        if (r->version != NULL)
            cJSON_AddStringToObject(m, "version", r->version);
        if (r->manifest_digest != NULL)
            cJSON_AddStringToObject(m, "manifestDigest", r->manifest_digest);
        if (r->format_version != NULL)
            cJSON_AddStringToObject(m, "formatVersion", r->format_version);
    }
    cJSON *sigs = cJSON_AddArrayToObject(o, "signatures");
    for (size_t i = 0; sigs != NULL && i < r->sig_count; i++) {
        cJSON *s = cJSON_CreateObject();
        if (s == NULL)
            break;
        cJSON_AddStringToObject(s, "keyid", r->sigs[i].keyid);
        if (r->sigs[i].algorithm != NULL)
            cJSON_AddStringToObject(s, "algorithm", r->sigs[i].algorithm);
        if (r->sigs[i].role != NULL)
            cJSON_AddStringToObject(s, "role", r->sigs[i].role);
        cJSON_AddBoolToObject(s, "trusted", r->sigs[i].trusted);
        cJSON_AddBoolToObject(s, "valid", r->sigs[i].valid);
        cJSON_AddStringToObject(s, "verdict", r->sigs[i].verdict);
        if (r->sigs[i].detail != NULL)
            cJSON_AddStringToObject(s, "detail", r->sigs[i].detail);
        cJSON_AddItemToArray(sigs, s);
    }
    cJSON *roles = cJSON_AddArrayToObject(o, "roles");
    for (size_t i = 0; roles != NULL && i < r->role_count; i++) {
        cJSON *x = cJSON_CreateObject();
        if (x == NULL)
            break;
        cJSON_AddStringToObject(x, "role", r->roles[i].role);
        ms_json_add_u64(x, "required", r->roles[i].required);
        ms_json_add_u64(x, "valid", r->roles[i].valid);
        cJSON_AddItemToArray(roles, x);
    }
    cJSON *checks = cJSON_AddArrayToObject(o, "checks");
    for (size_t i = 0; checks != NULL && i < r->check_count; i++) {
        cJSON *c = cJSON_CreateObject();
        if (c == NULL)
            break;
        cJSON_AddStringToObject(c, "check", r->checks[i].name);
        cJSON_AddStringToObject(c, "state", r->checks[i].not_run ? "not-run"
                                            : r->checks[i].ok   ? "passed"
                                                                : "failed");
        cJSON_AddBoolToObject(c, "ok", r->checks[i].ok);
        cJSON_AddStringToObject(c, "detail", r->checks[i].detail);
        cJSON_AddItemToArray(checks, c);
    }
    ms_json_add_u64(o, "failures", ms_report_failures(r));
    if (r->summary != NULL) {
        cJSON *dup = cJSON_Duplicate(r->summary, 1);
        if (dup == NULL || !cJSON_AddItemToObject(o, "summary", dup)) {
            cJSON_Delete(dup);
            cJSON_Delete(o);
            return NULL;
        }
    }
    if (r->policy != NULL) {
        cJSON *p = ms_policy_results_json(r->policy);
        if (p == NULL || !cJSON_AddItemToObject(o, "policy", p)) {
            cJSON_Delete(p);
            cJSON_Delete(o);
            return NULL;
        }
    } else if (r->policy_skipped != NULL) {
        cJSON *p = cJSON_AddObjectToObject(o, "policy");
        if (p != NULL) {
            cJSON_AddStringToObject(p, "state", "not-run");
            cJSON_AddStringToObject(p, "reason", r->policy_skipped);
        }
    }
    char *s = ms_json_print_pretty(o);
    cJSON_Delete(o);
    return s;
}

static char *render_text(const ms_report *r)
{
    ms_strbuf b = {0};
    ms_strbuf_printf(&b, "bundle:    %s\n", r->bundle ? ms_text_clean(r->bundle) : "(none)");
    if (r->name != NULL)
        ms_strbuf_printf(&b, "model:     %s %s\n", ms_text_clean(r->name),
                  r->version != NULL ? ms_text_clean(r->version) : "?");
    if (r->manifest_digest != NULL)
        ms_strbuf_printf(&b, "manifest:  %s\n", ms_text_clean(r->manifest_digest));
    for (size_t i = 0; i < r->sig_count; i++) {
        const sigverdict *s = &r->sigs[i];
        ms_strbuf_printf(&b, "signature: %s %s%s%s: %s%s%s\n",
                  s->algorithm ? ms_text_clean(s->algorithm) : "?",
                  s->keyid[0] ? ms_text_clean(s->keyid) : "(no keyid)", s->role ? " as " : "",
                  s->role ? ms_text_clean(s->role) : "", s->verdict, s->detail ? " - " : "",
                  s->detail ? ms_text_clean(s->detail) : "");
    }
    for (size_t i = 0; i < r->role_count; i++) {
        if (r->roles[i].required > 0)
            ms_strbuf_printf(&b, "role:      %s: %zu valid of %llu required\n", ms_text_clean(r->roles[i].role),
                      r->roles[i].valid, (unsigned long long)r->roles[i].required);
        else
            ms_strbuf_printf(&b, "role:      %s: %zu valid\n", ms_text_clean(r->roles[i].role),
                      r->roles[i].valid);
    }
    for (size_t i = 0; i < r->check_count; i++)
        ms_strbuf_printf(&b, "%-5s %s: %s\n",
                         r->checks[i].not_run ? "skip" : r->checks[i].ok ? "ok" : "FAIL",
                         r->checks[i].name, ms_text_clean(r->checks[i].detail));
    if (r->error != NULL)
        ms_strbuf_printf(&b, "could not check: %s\n", ms_text_clean(r->error));
    if (r->policy != NULL) {
        char *t = ms_policy_results_text(r->policy);
        if (t == NULL)
            b.oom = 1;
        else
            ms_strbuf_printf(&b, "%s", t);
        free(t);
    } else if (r->policy_skipped != NULL) {
        ms_strbuf_printf(&b, "policy:    not run: %s\n", ms_text_clean(r->policy_skipped));
    }
    size_t f = ms_report_failures(r);
    if (r->error != NULL)
        ms_strbuf_printf(&b, "result: ERROR (bundle could not be fully checked)\n");
    else if (f == 0 && ms_policy_results_blocking(r->policy))
        ms_strbuf_printf(&b, "result: REJECTED (%zu checks passed; %zu policy rule%s failed)\n",
                         r->check_count, r->policy->fail, r->policy->fail == 1 ? "" : "s");
    else if (f == 0)
        ms_strbuf_printf(&b, "result: VERIFIED (%zu checks passed)\n", r->check_count);
    else
        ms_strbuf_printf(&b, "result: REJECTED (%zu of %zu checks failed)\n", f, r->check_count);
    return ms_strbuf_take(&b);
}

char *ms_report_error_json(const char *bundle, int exit_status, const char *message)
{
    ms_report *r = ms_report_new(bundle);
    if (r == NULL)
        return NULL;
    ms_report_set_error(r, message != NULL && message[0] ? message : "could not run");
    r->exit_status = exit_status;
    char *s = render_json(r);
    ms_report_free(r);
    return s;
}

char *ms_report_render(const ms_report *r, int json)
{
    return json ? render_json(r) : render_text(r);
}

size_t ms_report_failed_details(const ms_report *r, char ***out)
{
    *out = NULL;
    size_t n = ms_report_failures(r), k = 0;
    if (n == 0 || (*out = calloc(n, sizeof **out)) == NULL)
        return 0;
    for (size_t i = 0; i < r->check_count; i++)
        if (!r->checks[i].ok && !r->checks[i].not_run && k < n &&
            ((*out)[k] = strdup(r->checks[i].detail)) != NULL)
            k++;
    return k;
}
