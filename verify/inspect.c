/* inspect: describe a bundle.  No trust decision is made or implied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/json.h"
#include "core/text.h"
#include "verify/view.h"

static const char *kind_of(const char *media_type)
{
    if (strcmp(media_type, MS_MT_MODEL_WEIGHT) == 0)
        return "weights";
    if (strcmp(media_type, MS_MT_MODEL_WEIGHT_CONFIG) == 0)
        return "config";
    if (strcmp(media_type, MS_MT_MODEL_DOC) == 0)
        return "doc";
    if (strcmp(media_type, MS_MT_MODEL_CODE) == 0)
        return "code";
    return "other";
}

static void add_opt(cJSON *o, const char *k, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, k, v);
}

static char *render_json(const ms_view *v, const char *path, char **problems, size_t np)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    ms_json_add_u64(o, "inspectVersion", 1);
    cJSON_AddStringToObject(o, "bundle", path);
    add_opt(o, "name", v->name);
    add_opt(o, "version", v->version);
    add_opt(o, "formatVersion", v->format_version);
    if (v->manifest_hex[0]) {
        char dg[80];
        snprintf(dg, sizeof dg, "sha256:%s", v->manifest_hex);
        cJSON_AddStringToObject(o, "manifestDigest", dg);
    }
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
    if (meta != NULL) {
        add_opt(meta, "license", v->license);
        add_opt(meta, "description", v->description);
    }
    if (v->compression != NULL) {
        /* The signed report as it is: totals, worst tensor, per-tensor figures. */
        cJSON *c = cJSON_Duplicate(v->compression, 1);
        if (c != NULL)
            cJSON_AddItemToObject(o, "compression", c);
        cJSON_AddBoolToObject(o, "probes", v->has_probes_layer);
    }
    cJSON *files = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; files != NULL && i < v->file_count; i++) {
        cJSON *f = cJSON_CreateObject();
        char dg[80];
        snprintf(dg, sizeof dg, "sha256:%s", v->files[i].hex);
        cJSON_AddStringToObject(f, "path", v->files[i].filepath);
        cJSON_AddStringToObject(f, "kind", kind_of(v->files[i].media_type));
        cJSON_AddStringToObject(f, "mediaType", v->files[i].media_type);
        ms_json_add_u64(f, "size", v->files[i].size);
        cJSON_AddStringToObject(f, "digest", dg);
        cJSON_AddItemToArray(files, f);
    }
    cJSON *sigs = cJSON_AddArrayToObject(o, "signatures");
    for (size_t i = 0; sigs != NULL && i < v->envelope_count; i++) {
        const ms_view_envelope *e = &v->envelopes[i];
        for (size_t s = 0; e->env != NULL && s < e->env->signature_count; s++) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "keyid", e->env->signatures[s].keyid);
            add_opt(j, "algorithm", e->algorithm);
            char dg[80];
            snprintf(dg, sizeof dg, "sha256:%s", e->hex);
            cJSON_AddStringToObject(j, "envelope", dg);
            add_opt(j, "role", e->role);
            cJSON_AddItemToArray(sigs, j);
        }
    }
    cJSON *pr = cJSON_AddArrayToObject(o, "problems");
    for (size_t i = 0; pr != NULL && i < np; i++)
        cJSON_AddItemToArray(pr, cJSON_CreateString(problems[i]));
    char *s = ms_json_print_pretty(o);
    cJSON_Delete(o);
    return s;
}

static char *render_text(const ms_view *v, const char *path, char **problems, size_t np)
{
    ms_strbuf b = {0};
    ms_strbuf_printf(&b, "bundle:      %s\n", ms_text_clean(path));
    ms_strbuf_printf(&b, "name:        %s\n", v->name ? ms_text_clean(v->name) : "(unknown)");
    ms_strbuf_printf(&b, "version:     %s\n", v->version ? ms_text_clean(v->version) : "(unknown)");
    ms_strbuf_printf(&b, "format:      %s\n", v->format_version ? ms_text_clean(v->format_version) : "?");
    if (v->manifest_hex[0])
        ms_strbuf_printf(&b, "manifest:    sha256:%s\n", v->manifest_hex);
    if (v->license)
        ms_strbuf_printf(&b, "license:     %s\n", ms_text_clean(v->license));
    if (v->description)
        ms_strbuf_printf(&b, "description: %s\n", ms_text_clean(v->description));
    ms_strbuf_printf(&b, "files:       %zu\n", v->file_count);
    for (size_t i = 0; i < v->file_count; i++)
        ms_strbuf_printf(&b, "  %-8s %12llu  sha256:%s  %s\n", kind_of(v->files[i].media_type),
                       (unsigned long long)v->files[i].size, v->files[i].hex,
                       ms_text_clean(v->files[i].filepath));
    if (v->compression != NULL) {
        const cJSON *tot = cJSON_GetObjectItemCaseSensitive(v->compression, "total");
        const cJSON *bpw = cJSON_GetObjectItemCaseSensitive(tot, "bitsPerWeight");
        const cJSON *sq = cJSON_GetObjectItemCaseSensitive(tot, "sqnrDb");
        const cJSON *worst = cJSON_GetObjectItemCaseSensitive(v->compression, "worst");
        const cJSON *wn = cJSON_GetObjectItemCaseSensitive(worst, "name");
        const cJSON *wsq = cJSON_GetObjectItemCaseSensitive(worst, "sqnrDb");
        char sqs[32] = "exact";
        if (cJSON_IsNumber(sq))
            snprintf(sqs, sizeof sqs, "%.2f dB", sq->valuedouble);
        ms_strbuf_printf(&b, "compression: %.3f bits/weight, SQNR %s, probes %s\n",
                       cJSON_IsNumber(bpw) ? bpw->valuedouble : 0.0, sqs,
                       v->has_probes_layer ? "recorded" : "none");
        if (cJSON_IsString(wn) && cJSON_IsNumber(wsq))
            ms_strbuf_printf(&b, "  worst tensor: %s (%.2f dB)\n", ms_text_clean(wn->valuestring),
                           wsq->valuedouble);
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(v->compression, "tensors"))
        {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(t, "name");
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(t, "scheme");
            const cJSON *tb = cJSON_GetObjectItemCaseSensitive(t, "bitsPerWeight");
            const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "sqnrDb");
            if (!cJSON_IsString(nm) || !cJSON_IsString(sc))
                continue;
            char sqs[32] = "exact";
            if (cJSON_IsNumber(ts))
                snprintf(sqs, sizeof sqs, "%.2f dB", ts->valuedouble);
            ms_strbuf_printf(&b, "  %-6s %7.3f b/w  %10s  %s\n", ms_text_clean(sc->valuestring),
                           cJSON_IsNumber(tb) ? tb->valuedouble : 0.0, sqs,
                           ms_text_clean(nm->valuestring));
        }
    }
    size_t sigs = 0;
    for (size_t i = 0; i < v->envelope_count; i++)
        sigs += v->envelopes[i].env != NULL ? v->envelopes[i].env->signature_count : 0;
    ms_strbuf_printf(&b, "signatures:  %zu (not checked: inspect makes no trust decision)\n",
                   sigs);
    for (size_t i = 0; i < v->envelope_count; i++) {
        const ms_view_envelope *e = &v->envelopes[i];
        for (size_t s = 0; e->env != NULL && s < e->env->signature_count; s++)
            ms_strbuf_printf(&b, "  %s%s%s keyid %s\n",
                           e->role ? ms_text_clean(e->role) : "",
                           e->role ? " (unverified role), " : "",
                           e->algorithm ? ms_text_clean(e->algorithm) : "?",
                           e->env->signatures[s].keyid[0]
                               ? ms_text_clean(e->env->signatures[s].keyid)
                               : "(none)");
    }
    if (np > 0) {
        ms_strbuf_printf(&b, "problems:    %zu (run verify for a full check)\n", np);
        for (size_t i = 0; i < np; i++)
            ms_strbuf_printf(&b, "  %s\n", ms_text_clean(problems[i]));
    }
    return ms_strbuf_take(&b);
}

ms_status ms_inspect(const char *bundle_path, int json, char **out, ms_error *err)
{
    *out = NULL;
    ms_report *r = ms_report_new(bundle_path);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_view *v = NULL;
    ms_status st = ms_view_load(bundle_path, 0, r, &v, err);
    if (st != MS_OK) {
        ms_report_free(r);
        return st;
    }
    char **problems = NULL;
    size_t np = ms_report_failed_details(r, &problems);
    *out = json ? render_json(v, bundle_path, problems, np)
                : render_text(v, bundle_path, problems, np);
    for (size_t i = 0; i < np; i++)
        free(problems[i]);
    free(problems);
    ms_view_free(v);
    ms_report_free(r);
    if (*out == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}
