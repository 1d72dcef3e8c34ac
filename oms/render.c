/*
 * The verification result of an OMS signature as text (one line per
 * finding) or as JSON (format modelseal-oms-verify-v1, docs/oms.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/json.h"
#include "core/text.h"
#include "oms/oms_internal.h"

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
