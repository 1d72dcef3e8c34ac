/*
 * audit: the lineage and license picture of a bundle (verify/audit.h,
 * docs/audit.md): the facts, and their text, JSON and DOT renderings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error_internal.h"
#include "core/json.h"
#include "core/oci.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "policy/spdx.h"
#include "verify/audit.h"
#include "verify/policy_check.h"

#define AUDIT_VERSION 1

static const char *str_at(const cJSON *o, const char *k)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

void ms_audit_free(ms_audit *a)
{
    if (a == NULL)
        return;
    free(a->authors);
    free(a->bases);
    free(a->datasets);
    free(a->signers);
    ms_license_picture_free(a->licenses);
    free(a);
}

static ms_status build_signers(ms_audit *a, const ms_view *v, const ms_report *r)
{
    size_t n = 0;
    if (r != NULL) {
        n = ms_report_signature_count(r);
    } else {
        for (size_t i = 0; i < v->envelope_count; i++)
            n += v->envelopes[i].env != NULL ? v->envelopes[i].env->signature_count : 0;
    }
    if (n == 0)
        return MS_OK;
    a->signers = calloc(n, sizeof *a->signers);
    if (a->signers == NULL)
        return MS_E_NOMEM;
    if (r != NULL) {
        for (size_t i = 0; i < n; i++) {
            ms_report_sig s;
            if (!ms_report_signature_get(r, i, &s))
                continue;
            ms_audit_signer *g = &a->signers[a->signer_count++];
            g->keyid = s.keyid;
            g->algorithm = s.algorithm;
            g->role = s.role;
            g->checked = 1;
            g->valid = s.trusted && s.valid && strcmp(s.verdict, "valid") == 0;
            g->verdict = s.verdict;
        }
        a->signatures_checked = 1;
        return MS_OK;
    }
    for (size_t i = 0; i < v->envelope_count; i++) {
        const ms_view_envelope *e = &v->envelopes[i];
        for (size_t s = 0; e->env != NULL && s < e->env->signature_count; s++) {
            ms_audit_signer *g = &a->signers[a->signer_count++];
            g->keyid = e->env->signatures[s].keyid;
            g->algorithm = e->algorithm;
            g->role = e->role;
        }
    }
    return MS_OK;
}

static ms_status build_lineage(ms_audit *a, const cJSON *md)
{
    const cJSON *e;
    const cJSON *authors = cJSON_GetObjectItemCaseSensitive(md, "authors");
    int n = cJSON_IsArray(authors) ? cJSON_GetArraySize(authors) : 0;
    if (n > 0 && (a->authors = calloc((size_t)n, sizeof *a->authors)) == NULL)
        return MS_E_NOMEM;
    cJSON_ArrayForEach(e, (n > 0 ? authors : NULL))
        if (cJSON_IsString(e))
            a->authors[a->author_count++] = e->valuestring;
    const cJSON *card = cJSON_GetObjectItemCaseSensitive(md, "card");
    a->intended_use = str_at(card, "intendedUse");
    a->out_of_scope_use = str_at(card, "outOfScopeUse");
    a->limitations = str_at(card, "limitations");

    const cJSON *bases = cJSON_GetObjectItemCaseSensitive(md, "baseModels");
    n = cJSON_IsArray(bases) ? cJSON_GetArraySize(bases) : 0;
    if (n > 0 && (a->bases = calloc((size_t)n, sizeof *a->bases)) == NULL)
        return MS_E_NOMEM;
    cJSON_ArrayForEach(e, (n > 0 ? bases : NULL))
    {
        if (str_at(e, "name") == NULL)
            return MS_E_FORMAT;
        ms_audit_base *b = &a->bases[a->base_count++];
        b->name = str_at(e, "name");
        b->uri = str_at(e, "uri");
        b->digest = str_at(e, "digest");
        b->license = str_at(e, "license");
        b->relation = str_at(e, "relation");
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(md, "datasets");
    n = cJSON_IsArray(data) ? cJSON_GetArraySize(data) : 0;
    if (n > 0 && (a->datasets = calloc((size_t)n, sizeof *a->datasets)) == NULL)
        return MS_E_NOMEM;
    cJSON_ArrayForEach(e, (n > 0 ? data : NULL))
    {
        if (str_at(e, "name") == NULL || str_at(e, "role") == NULL)
            return MS_E_FORMAT;
        ms_audit_dataset *d = &a->datasets[a->dataset_count++];
        d->name = str_at(e, "name");
        d->uri = str_at(e, "uri");
        d->digest = str_at(e, "digest");
        d->license = str_at(e, "license");
        d->role = str_at(e, "role");
        const cJSON *rc = cJSON_GetObjectItemCaseSensitive(e, "records");
        d->has_records = rc != NULL && ms_json_number_u64(rc, &d->records) == 0;
    }
    return MS_OK;
}

ms_status ms_audit_build(const ms_view *v, const char *bundle_path, const ms_report *r,
                         int64_t doc_time, ms_audit **out, ms_error *err)
{
    *out = NULL;
    ms_audit *a = calloc(1, sizeof *a);
    if (a == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    a->view = v;
    a->bundle_path = bundle_path;
    a->tool_version = ms_version();
    ms_rfc3339_format(doc_time, a->doc_time);
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(v->manifest, "annotations");
    a->created = str_at(ann, MS_ANN_CREATED);

    /* Hashed while the bundle was read and checked: the file is read once.
     * verify --policy reads without the file hash unless a rule needs the
     * bundle's size; it never renders, so the hash may stay empty there. */
    ms_status st;
    if (v->layout == NULL) {
        ms_audit_free(a);
        return ms_fail(err, MS_E_USAGE, "%s: audit needs a view read with every blob hashed",
                       bundle_path);
    }
    memcpy(a->bundle_hex, v->layout->file_hex, sizeof a->bundle_hex);
    a->bundle_size = v->layout->file_size;

    if ((st = build_signers(a, v, r)) != MS_OK || (st = build_lineage(a, v->metadata)) != MS_OK) {
        ms_audit_free(a);
        return st == MS_E_NOMEM ? ms_fail(err, st, "out of memory")
                                : ms_fail(err, st, "%s: the metadata's lineage is malformed",
                                          bundle_path);
    }
    size_t np = a->base_count + a->dataset_count;
    ms_license_parent *pp = np > 0 ? calloc(np, sizeof *pp) : NULL;
    if (np > 0 && pp == NULL) {
        ms_audit_free(a);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < a->base_count; i++)
        pp[i] = (ms_license_parent){MS_PARENT_BASE_MODEL, a->bases[i].name, a->bases[i].license,
                                    a->bases[i].relation};
    for (size_t i = 0; i < a->dataset_count; i++)
        pp[a->base_count + i] = (ms_license_parent){MS_PARENT_DATASET, a->datasets[i].name,
                                                    a->datasets[i].license, a->datasets[i].role};
    st = ms_license_propagate(v->license, pp, np, &a->licenses, err);
    free(pp);
    if (st != MS_OK) {
        ms_audit_free(a);
        return st;
    }
    *out = a;
    return MS_OK;
}

/* ---- small helpers shared by the renderers ---- */

/* The MS_LICENSE_* bits set in flags, by name, lowest bit first. */
static cJSON *flags_json(int flags)
{
    cJSON *arr = cJSON_CreateArray();
    for (int bit = 1; arr != NULL && bit <= MS_LICENSE_UNKNOWN; bit <<= 1)
        if (flags & bit)
            cJSON_AddItemToArray(arr, cJSON_CreateString(ms_spdx_license_flag_name(bit)));
    return arr;
}

static size_t flags_text(int flags, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int bit = 1; bit <= MS_LICENSE_UNKNOWN; bit <<= 1)
        if (flags & bit)
            n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? ", " : "",
                                  ms_spdx_license_flag_name(bit));
    return n;
}

static const char *parent_kind(const ms_audit *a, size_t p)
{
    return p < a->base_count ? "base model" : "dataset";
}

static const char *parent_name(const ms_audit *a, size_t p)
{
    if (p < a->base_count)
        return a->bases[p].name;
    return a->datasets[p - a->base_count].name;
}

/* ---- compression summary ---- */

/*
 * Scheme names and how many tensors use each, "q8_0 x12, none x3".  The
 * names come from the (signed, but not otherwise checked) compression
 * report: only whole items are written, then "..." when the rest does not
 * fit, so a long name is never cut inside a UTF-8 character.  cap >= 6.
 */
static void scheme_counts(const cJSON *report, char *buf, size_t cap)
{
    static const char more[] = ", ...";
    const char *names[16];
    size_t counts[16], k = 0, n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(report, "tensors"))
    {
        const char *sc = str_at(t, "scheme");
        if (sc == NULL)
            continue;
        size_t i = 0;
        while (i < k && strcmp(names[i], sc) != 0)
            i++;
        if (i == k) {
            if (k == 16)
                continue;
            names[k] = sc;
            counts[k++] = 0;
        }
        counts[i]++;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        const char *name = ms_text_clean(names[i]);
        const char *sep = i > 0 ? ", " : "";
        int len = snprintf(NULL, 0, "%s%s x%zu", sep, name, counts[i]);
        /* Room for this item and "..." after it is always kept. */
        if (len < 0 || (size_t)len + sizeof more > cap - n) {
            snprintf(buf + n, cap - n, "%s", i > 0 ? more : more + 2);
            return;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s%s x%zu", sep, name, counts[i]);
    }
}

static double num_at(const cJSON *o, const char *k, int *ok)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, k);
    *ok = cJSON_IsNumber(f);
    return *ok ? f->valuedouble : 0.0;
}

/* ---- text ---- */

static void text_license_line(ms_strbuf *b, const char *label, const char *expr)
{
    ms_strbuf_printf(b, "  %-12s %s\n", label, expr != NULL ? ms_text_clean(expr) : "NOASSERTION");
}

static void text_findings(ms_strbuf *b, const ms_audit *a, ms_finding_severity sev, const char *title)
{
    const ms_license_picture *lp = a->licenses;
    size_t n = 0;
    for (size_t i = 0; i < lp->finding_count; i++)
        n += lp->findings[i].severity == sev;
    if (n == 0)
        return;
    ms_strbuf_printf(b, "  %s: %zu\n", title, n);
    for (size_t i = 0; i < lp->finding_count; i++)
        if (lp->findings[i].severity == sev)
            ms_strbuf_printf(b, "    [%s] %s\n", lp->findings[i].rule, ms_text_clean(lp->findings[i].message));
}

char *ms_audit_render_text(const ms_audit *a)
{
    const ms_view *v = a->view;
    const ms_license_picture *lp = a->licenses;
    ms_strbuf b = {0};
    ms_strbuf_printf(&b, "bundle:      %s\n", ms_text_clean(a->bundle_path));
    ms_strbuf_printf(&b, "             sha256:%s, %llu bytes\n", a->bundle_hex,
       (unsigned long long)a->bundle_size);
    ms_strbuf_printf(&b, "model:       %s %s\n", ms_text_clean(v->name), ms_text_clean(v->version));
    ms_strbuf_printf(&b, "manifest:    sha256:%s\n", v->manifest_hex);
    if (a->created != NULL)
        ms_strbuf_printf(&b, "created:     %s\n", ms_text_clean(a->created));
    if (v->description != NULL)
        ms_strbuf_printf(&b, "description: %s\n", ms_text_clean(v->description));
    for (size_t i = 0; i < a->author_count; i++)
        ms_strbuf_printf(&b, "%s %s\n", i == 0 ? "authors:    " : "            ", ms_text_clean(a->authors[i]));
    if (a->signatures_checked)
        ms_strbuf_printf(&b, "signers:     %zu signature%s, verified against the trust set\n", a->signer_count,
           a->signer_count == 1 ? "" : "s");
    else
        ms_strbuf_printf(&b, "signers:     %zu signature%s, not verified (pass --trust to verify them)\n",
           a->signer_count, a->signer_count == 1 ? "" : "s");
    for (size_t i = 0; i < a->signer_count; i++) {
        const ms_audit_signer *g = &a->signers[i];
        ms_strbuf_printf(&b, "  %-10s %-16s keyid %s%s%s\n", g->role ? ms_text_clean(g->role) : "-",
           g->algorithm ? ms_text_clean(g->algorithm) : "?",
           g->keyid[0] ? ms_text_clean(g->keyid) : "(none)", g->checked ? "  " : "",
           g->checked ? ms_text_clean(g->verdict) : "");
    }

    size_t np = a->base_count + a->dataset_count;
    ms_strbuf_printf(&b, "lineage:     %zu base model%s, %zu dataset%s\n", a->base_count,
       a->base_count == 1 ? "" : "s", a->dataset_count, a->dataset_count == 1 ? "" : "s");
    ms_strbuf_printf(&b, "  %s %s\n", ms_text_clean(v->name), ms_text_clean(v->version));
    for (size_t p = 0; p < np; p++) {
        const char *branch = p + 1 == np ? "`--" : "|--";
        const char *cont = p + 1 == np ? "   " : "|  ";
        if (p < a->base_count) {
            const ms_audit_base *m = &a->bases[p];
            ms_strbuf_printf(&b, "  %s base model %s (%s)\n", branch, ms_text_clean(m->name),
               m->relation ? m->relation : "relation not given");
            ms_strbuf_printf(&b, "  %s     license %s\n", cont,
               m->license ? ms_text_clean(m->license) : "(not given)");
            ms_strbuf_printf(&b, "  %s     digest  %s\n", cont,
               m->digest ? m->digest : "(none: a claim, not checkable)");
            if (m->uri != NULL)
                ms_strbuf_printf(&b, "  %s     uri     %s\n", cont, ms_text_clean(m->uri));
        } else {
            const ms_audit_dataset *d = &a->datasets[p - a->base_count];
            char rec[48] = "";
            if (d->has_records)
                snprintf(rec, sizeof rec, ", %llu record%s", (unsigned long long)d->records,
                         d->records == 1 ? "" : "s");
            ms_strbuf_printf(&b, "  %s dataset %s (%s%s)\n", branch, ms_text_clean(d->name), d->role, rec);
            ms_strbuf_printf(&b, "  %s     license %s\n", cont,
               d->license ? ms_text_clean(d->license) : "(not given)");
            ms_strbuf_printf(&b, "  %s     digest  %s\n", cont,
               d->digest ? d->digest : "(none: a claim, not checkable)");
            if (d->uri != NULL)
                ms_strbuf_printf(&b, "  %s     uri     %s\n", cont, ms_text_clean(d->uri));
        }
    }

    char fl[256];
    ms_strbuf_printf(&b, "licenses:\n");
    if (lp->declared != NULL && flags_text(lp->declared_flags, fl, sizeof fl) > 0)
        ms_strbuf_printf(&b, "  %-12s %s (%s)\n", "declared:", ms_text_clean(lp->declared), fl);
    else
        text_license_line(&b, "declared:", lp->declared);
    text_license_line(&b, "concluded:", lp->concluded);
    if (lp->inherited_count == 0) {
        ms_strbuf_printf(&b, "  %-12s nothing beyond attribution\n", "inherited:");
    } else {
        for (size_t i = 0; i < lp->inherited_count; i++) {
            const ms_license_inherited *h = &lp->inherited[i];
            ms_strbuf_printf(&b, "  %-12s %s from %s '%s' (%s)\n", i == 0 ? "inherited:" : "", h->condition,
               parent_kind(a, h->parent), ms_text_clean(parent_name(a, h->parent)),
               ms_text_clean(h->license));
        }
    }
    for (size_t i = 0; i < lp->attribution_count; i++) {
        const ms_license_attribution *t = &lp->attributions[i];
        ms_strbuf_printf(&b, "  %-12s %s '%s' (%s)\n", i == 0 ? "attribution:" : "", parent_kind(a, t->parent),
           ms_text_clean(parent_name(a, t->parent)), ms_text_clean(t->license));
    }
    text_findings(&b, a, MS_FINDING_CONFLICT, "conflicts");
    text_findings(&b, a, MS_FINDING_WARNING, "warnings");
    text_findings(&b, a, MS_FINDING_NOTE, "notes");
    if (lp->conflict_count == 0 && lp->warning_count == 0)
        ms_strbuf_printf(&b, "  no conflicts, no warnings\n");

    if (v->compression != NULL) {
        const cJSON *tot = cJSON_GetObjectItemCaseSensitive(v->compression, "total");
        const cJSON *worst = cJSON_GetObjectItemCaseSensitive(v->compression, "worst");
        int ok1, ok2, ok3;
        double bpw = num_at(tot, "bitsPerWeight", &ok1);
        double sq = num_at(tot, "sqnrDb", &ok2);
        double wsq = num_at(worst, "sqnrDb", &ok3);
        char schemes[512];
        scheme_counts(v->compression, schemes, sizeof schemes);
        ms_strbuf_printf(&b, "compression: %s\n", schemes);
        if (ok1)
            ms_strbuf_printf(&b, "  %.3f bits/weight, SQNR %s", bpw, ok2 ? "" : "exact");
        if (ok1 && ok2)
            ms_strbuf_printf(&b, "%.2f dB", sq);
        if (ok1)
            ms_strbuf_printf(&b, "\n");
        if (ok3 && str_at(worst, "name") != NULL)
            ms_strbuf_printf(&b, "  worst tensor %s (%.2f dB)\n", ms_text_clean(str_at(worst, "name")), wsq);
        ms_strbuf_printf(&b, "  integrity probes: %s\n", v->has_probes_layer ? "recorded" : "none");
    } else {
        ms_strbuf_printf(&b, "compression: none (weights as packed)\n");
    }
    if (a->intended_use || a->out_of_scope_use || a->limitations) {
        ms_strbuf_printf(&b, "model card:\n");
        if (a->intended_use)
            ms_strbuf_printf(&b, "  intended use:     %s\n", ms_text_clean(a->intended_use));
        if (a->out_of_scope_use)
            ms_strbuf_printf(&b, "  out-of-scope use: %s\n", ms_text_clean(a->out_of_scope_use));
        if (a->limitations)
            ms_strbuf_printf(&b, "  limitations:      %s\n", ms_text_clean(a->limitations));
    }
    return ms_strbuf_take(&b);
}

/* ---- JSON (schemas/audit-v1.schema.json) ---- */

static void add_opt(cJSON *o, const char *k, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, k, v);
}

static cJSON *parent_ref(const ms_audit *a, size_t p)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "kind", p < a->base_count ? "baseModel" : "dataset");
    ms_json_add_u64(o, "index", p < a->base_count ? p : p - a->base_count);
    cJSON_AddStringToObject(o, "name", parent_name(a, p));
    return o;
}

static cJSON *parent_licensing(const ms_audit *a, size_t p)
{
    const ms_license_picture *lp = a->licenses;
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    add_opt(o, "canonical", lp->parent_canonical[p]);
    add_opt(o, "chosen", lp->parent_chosen[p]);
    cJSON_AddItemToObject(o, "flags", flags_json(lp->parent_flags[p]));
    cJSON_AddBoolToObject(o, "propagates", lp->parent_propagates[p]);
    return o;
}

char *ms_audit_render_json(const ms_audit *a)
{
    const ms_view *v = a->view;
    const ms_license_picture *lp = a->licenses;
    char dg[80];
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    ms_json_add_u64(o, "auditVersion", AUDIT_VERSION);
    cJSON_AddStringToObject(o, "auditedAt", a->doc_time);
    cJSON *bu = cJSON_AddObjectToObject(o, "bundle");
    if (bu != NULL) {
        cJSON_AddStringToObject(bu, "path", a->bundle_path);
        snprintf(dg, sizeof dg, "sha256:%s", a->bundle_hex);
        cJSON_AddStringToObject(bu, "digest", dg);
        ms_json_add_u64(bu, "size", a->bundle_size);
    }
    cJSON *m = cJSON_AddObjectToObject(o, "model");
    if (m != NULL) {
        cJSON_AddStringToObject(m, "name", v->name);
        cJSON_AddStringToObject(m, "version", v->version);
        snprintf(dg, sizeof dg, "sha256:%s", v->manifest_hex);
        cJSON_AddStringToObject(m, "manifestDigest", dg);
        add_opt(m, "created", a->created);
        add_opt(m, "description", v->description);
        if (a->author_count > 0) {
            cJSON *au = cJSON_AddArrayToObject(m, "authors");
            for (size_t i = 0; au != NULL && i < a->author_count; i++)
                cJSON_AddItemToArray(au, cJSON_CreateString(a->authors[i]));
        }
        if (a->intended_use || a->out_of_scope_use || a->limitations) {
            cJSON *c = cJSON_AddObjectToObject(m, "card");
            if (c != NULL) {
                add_opt(c, "intendedUse", a->intended_use);
                add_opt(c, "outOfScopeUse", a->out_of_scope_use);
                add_opt(c, "limitations", a->limitations);
            }
        }
    }
    cJSON *sg = cJSON_AddObjectToObject(o, "signatures");
    if (sg != NULL) {
        cJSON_AddBoolToObject(sg, "verified", a->signatures_checked);
        cJSON *arr = cJSON_AddArrayToObject(sg, "signers");
        for (size_t i = 0; arr != NULL && i < a->signer_count; i++) {
            const ms_audit_signer *g = &a->signers[i];
            cJSON *j = cJSON_CreateObject();
            if (j == NULL)
                break;
            cJSON_AddStringToObject(j, "keyid", g->keyid);
            add_opt(j, "algorithm", g->algorithm);
            add_opt(j, "role", g->role);
            if (g->checked) {
                cJSON_AddStringToObject(j, "verdict", g->verdict);
                cJSON_AddBoolToObject(j, "valid", g->valid);
            }
            cJSON_AddItemToArray(arr, j);
        }
    }
    cJSON *lin = cJSON_AddObjectToObject(o, "lineage");
    cJSON *bases = lin != NULL ? cJSON_AddArrayToObject(lin, "baseModels") : NULL;
    for (size_t i = 0; bases != NULL && i < a->base_count; i++) {
        const ms_audit_base *b = &a->bases[i];
        cJSON *j = cJSON_CreateObject();
        if (j == NULL)
            break;
        cJSON_AddStringToObject(j, "name", b->name);
        add_opt(j, "relation", b->relation);
        add_opt(j, "license", b->license);
        add_opt(j, "digest", b->digest);
        add_opt(j, "uri", b->uri);
        cJSON_AddItemToObject(j, "licensing", parent_licensing(a, ms_audit_base_parent(a, i)));
        cJSON_AddItemToArray(bases, j);
    }
    cJSON *ds = lin != NULL ? cJSON_AddArrayToObject(lin, "datasets") : NULL;
    for (size_t i = 0; ds != NULL && i < a->dataset_count; i++) {
        const ms_audit_dataset *d = &a->datasets[i];
        cJSON *j = cJSON_CreateObject();
        if (j == NULL)
            break;
        cJSON_AddStringToObject(j, "name", d->name);
        cJSON_AddStringToObject(j, "role", d->role);
        add_opt(j, "license", d->license);
        add_opt(j, "digest", d->digest);
        add_opt(j, "uri", d->uri);
        if (d->has_records)
            ms_json_add_u64(j, "records", d->records);
        cJSON_AddItemToObject(j, "licensing",
                              parent_licensing(a, ms_audit_dataset_parent(a, i)));
        cJSON_AddItemToArray(ds, j);
    }
    cJSON *li = cJSON_AddObjectToObject(o, "licenses");
    if (li != NULL) {
        cJSON_AddItemToObject(li, "declared", lp->declared ? cJSON_CreateString(lp->declared)
                                                           : cJSON_CreateNull());
        cJSON_AddItemToObject(li, "declaredFlags", flags_json(lp->declared ? lp->declared_flags : 0));
        cJSON_AddItemToObject(li, "concluded", lp->concluded ? cJSON_CreateString(lp->concluded)
                                                             : cJSON_CreateNull());
        cJSON_AddItemToObject(li, "inheritedFlags", flags_json(lp->inherited_flags));
        cJSON *inh = cJSON_AddArrayToObject(li, "inherited");
        for (size_t i = 0; inh != NULL && i < lp->inherited_count; i++) {
            cJSON *j = cJSON_CreateObject();
            if (j == NULL)
                break;
            cJSON_AddStringToObject(j, "condition", lp->inherited[i].condition);
            cJSON_AddStringToObject(j, "license", lp->inherited[i].license);
            cJSON_AddItemToObject(j, "from", parent_ref(a, lp->inherited[i].parent));
            cJSON_AddItemToArray(inh, j);
        }
        cJSON *att = cJSON_AddArrayToObject(li, "attributions");
        for (size_t i = 0; att != NULL && i < lp->attribution_count; i++) {
            cJSON *j = cJSON_CreateObject();
            if (j == NULL)
                break;
            cJSON_AddStringToObject(j, "license", lp->attributions[i].license);
            cJSON_AddItemToObject(j, "from", parent_ref(a, lp->attributions[i].parent));
            cJSON_AddItemToArray(att, j);
        }
        static const char *const keys[] = {"conflicts", "warnings", "notes"};
        for (int s = 0; s < 3; s++) {
            cJSON *arr = cJSON_AddArrayToObject(li, keys[s]);
            for (size_t i = 0; arr != NULL && i < lp->finding_count; i++) {
                const ms_license_finding *f = &lp->findings[i];
                if ((int)f->severity != s)
                    continue;
                cJSON *j = cJSON_CreateObject();
                if (j == NULL)
                    break;
                cJSON_AddStringToObject(j, "rule", f->rule);
                if (f->parent != MS_NO_PARENT)
                    cJSON_AddItemToObject(j, "from", parent_ref(a, f->parent));
                cJSON_AddStringToObject(j, "message", f->message);
                cJSON_AddItemToArray(arr, j);
            }
        }
    }
    if (v->compression != NULL) {
        cJSON *c = cJSON_AddObjectToObject(o, "compression");
        if (c != NULL) {
            const cJSON *tot = cJSON_GetObjectItemCaseSensitive(v->compression, "total");
            const cJSON *worst = cJSON_GetObjectItemCaseSensitive(v->compression, "worst");
            if (tot != NULL)
                cJSON_AddItemToObject(c, "total", cJSON_Duplicate(tot, 1));
            if (worst != NULL)
                cJSON_AddItemToObject(c, "worst", cJSON_Duplicate(worst, 1));
            cJSON_AddBoolToObject(c, "probes", v->has_probes_layer);
        }
    } else {
        cJSON_AddNullToObject(o, "compression");
    }
    char *s = ms_json_print_pretty(o);
    cJSON_Delete(o);
    return s;
}

/* ---- DOT ---- */

/*
 * Bytes of the character at p that a DOT string must not carry: ASCII and
 * C1 control characters (U+0080..U+009F) and the bidirectional embeddings,
 * overrides and isolates (U+202A..U+202E, U+2066..U+2069), which could
 * reorder what a terminal or a viewer shows.  0 when it may stay.
 */
static size_t dot_drop(const unsigned char *p)
{
    if (*p < 0x20 || *p == 0x7f)
        return 1;
    if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        return 2;
    if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
                         (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
        return 3;
    return 0;
}

/*
 * A DOT double-quoted string: '"' and '\' escaped, the characters of
 * dot_drop() left out; with lines, '\n' becomes DOT's line break "\n".
 */
static void dot_quoted(ms_strbuf *b, const char *s, int lines)
{
    ms_strbuf_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p;) {
        size_t drop;
        if (lines && *p == '\n')
            ms_strbuf_printf(b, "\\n");
        else if (*p == '"' || *p == '\\')
            ms_strbuf_printf(b, "\\%c", *p);
        else if ((drop = dot_drop(p)) > 0) {
            p += drop;
            continue;
        } else
            ms_strbuf_printf(b, "%c", *p);
        p++;
    }
    ms_strbuf_printf(b, "\"");
}

/* Start a new label line (lines are joined by '\n', written as DOT's "\n"). */
static void dot_line(ms_strbuf *lab)
{
    if (lab->len > 0)
        ms_strbuf_printf(lab, "\n");
}

static void dot_node(ms_strbuf *b, const char *id, const char *shape, const char *color, ms_strbuf *lab)
{
    ms_strbuf_printf(b, "  %s [shape=%s, color=%s, label=", id, shape, color);
    dot_quoted(b, lab->p != NULL ? lab->p : "", 1);
    ms_strbuf_printf(b, "];\n");
}

static int parent_has_conflict(const ms_audit *a, size_t p)
{
    for (size_t i = 0; i < a->licenses->finding_count; i++)
        if (a->licenses->findings[i].parent == p &&
            a->licenses->findings[i].severity == MS_FINDING_CONFLICT)
            return 1;
    return 0;
}

char *ms_audit_render_dot(const ms_audit *a)
{
    const ms_view *v = a->view;
    const ms_license_picture *lp = a->licenses;
    ms_strbuf b = {0};
    ms_strbuf_printf(&b, "digraph lineage {\n");
    ms_strbuf_printf(&b, "  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
           "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    ms_strbuf lab = {0};
    ms_strbuf_printf(&lab, "%s %s", v->name, v->version);
    dot_line(&lab);
    ms_strbuf_printf(&lab, "declared: %s", lp->declared ? lp->declared : "NOASSERTION");
    dot_line(&lab);
    ms_strbuf_printf(&lab, "concluded: %s", lp->concluded ? lp->concluded : "NOASSERTION");
    if (lp->conflict_count > 0) {
        dot_line(&lab);
        ms_strbuf_printf(&lab, "%zu license conflict%s", lp->conflict_count, lp->conflict_count == 1 ? "" : "s");
    }
    dot_line(&lab);
    ms_strbuf_printf(&lab, "sha256:%.12s", v->manifest_hex);
    if (lab.oom)
        b.oom = 1;
    dot_node(&b, "model", "box", lp->conflict_count > 0 ? "red" : "black", &lab);
    free(lab.p);
    size_t np = a->base_count + a->dataset_count;
    for (size_t p = 0; p < np; p++) {
        lab = (ms_strbuf){0};
        const char *name, *lic, *digest, *edge_label;
        int is_base = p < a->base_count;
        if (is_base) {
            name = a->bases[p].name;
            lic = a->bases[p].license;
            digest = a->bases[p].digest;
            edge_label = a->bases[p].relation ? a->bases[p].relation : "derived";
        } else {
            const ms_audit_dataset *d = &a->datasets[p - a->base_count];
            name = d->name;
            lic = d->license;
            digest = d->digest;
            edge_label = d->role;
        }
        ms_strbuf_printf(&lab, "%s", name);
        dot_line(&lab);
        ms_strbuf_printf(&lab, "%s", lic ? lic : "license not given");
        if (digest != NULL) {
            dot_line(&lab);
            ms_strbuf_printf(&lab, "%.19s", digest); /* "sha256:" and 12 hex digits */
        }
        if (lab.oom)
            b.oom = 1;
        char id[32];
        snprintf(id, sizeof id, "%s%zu", is_base ? "base" : "data",
                 is_base ? p : p - a->base_count);
        dot_node(&b, id, is_base ? "box3d" : "cylinder",
                 parent_has_conflict(a, p) ? "red" : "black", &lab);
        free(lab.p);
        ms_strbuf_printf(&b, "  %s -> model [label=", id);
        dot_quoted(&b, edge_label, 0);
        ms_strbuf_printf(&b, "%s];\n", lp->parent_propagates[p] ? "" : ", style=dashed");
    }
    ms_strbuf_printf(&b, "}\n");
    return ms_strbuf_take(&b);
}

/* ---- the entry point ---- */

ms_status ms_audit_bundle(const ms_audit_options *opt, char **out, ms_report **report,
                          ms_error *err)
{
    if (out == NULL || report == NULL)
        return ms_fail(err, MS_E_USAGE, "audit needs somewhere to put its output");
    *out = NULL;
    *report = NULL;
    if (opt == NULL || opt->bundle_path == NULL)
        return ms_fail(err, MS_E_USAGE, "audit needs a bundle path");
    if ((unsigned)opt->format > MS_AUDIT_DOT)
        return ms_fail(err, MS_E_USAGE, "unknown audit format %d", (int)opt->format);
    const char *path = opt->bundle_path;
    ms_view *v = NULL;
    int64_t at = opt->at != 0 || opt->at_set ? opt->at : (int64_t)time(NULL);
    ms_prog pg;
    ms_prog_enter(&pg, opt->progress, opt->progress_user);
    ms_status st = ms_verify_view_read(path, MS_LAYOUT_HASH_BLOBS | MS_LAYOUT_HASH_FILE,
                                       opt->trust, at, NULL, report, &v, err);
    ms_prog_leave(&pg);
    if (st != MS_OK)
        return st;
    if (v->layout == NULL || v->layout->file_hex[0] == '\0') {
        ms_view_free(v);
        return ms_fail(err, MS_E_INTERNAL, "%s: the bundle was read without its file hash", path);
    }
    int64_t t = opt->doc_time >= 0 ? opt->doc_time : (int64_t)time(NULL);
    ms_audit *a = NULL;
    st = ms_audit_build(v, path, opt->trust != NULL ? *report : NULL, t, &a, err);
    if (st != MS_OK) {
        ms_view_free(v);
        return st;
    }
    if (opt->policy != NULL && opt->format != MS_AUDIT_TEXT && opt->format != MS_AUDIT_JSON) {
        ms_audit_free(a);
        ms_view_free(v);
        return ms_fail(err, MS_E_USAGE, "a policy's verdicts are shown in the text and json "
                       "formats only");
    }
    ms_policy_results *pol = NULL;
    if (opt->policy != NULL &&
        (st = ms_policy_check_view(v, path, opt->policy, opt->trust != NULL ? *report : NULL,
                                   at, 0, 0, &pol, err)) != MS_OK) {
        ms_audit_free(a);
        ms_view_free(v);
        return st;
    }
    switch (opt->format) {
    case MS_AUDIT_TEXT: *out = ms_audit_render_text(a); break;
    case MS_AUDIT_JSON: *out = ms_audit_render_json(a); break;
    case MS_AUDIT_SPDX: *out = ms_audit_render_spdx(a); break;
    case MS_AUDIT_CYCLONEDX: *out = ms_audit_render_cyclonedx(a); break;
    case MS_AUDIT_DOT: *out = ms_audit_render_dot(a); break;
    }
    if (pol != NULL && *out != NULL)
        *out = ms_policy_append_to_audit(*out, opt->format == MS_AUDIT_JSON, pol);
    ms_policy_results_free(pol);
    ms_audit_free(a);
    ms_view_free(v);
    if (*out == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    return MS_OK;
}
