/*
 * Policy evaluation (docs/policy.md): every configured rule against the
 * facts the verifier gathered.  Each rule gives its own result; none stops
 * the others, so one run shows everything a release must fix.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error_internal.h"
#include "core/text.h"
#include "modelseal/bundle.h"
#include "policy/policy_judge.h"

static const char *const rule_ids[] = {
    "licenses.allowed",      "licenses.unknown",      "licenses.inherited",
    "licenses.conflicts",    "datasets.digests",      "datasets.denied",
    "datasets.roles",        "datasets.records",      "baseModels.digests",
    "baseModels.depth",      "baseModels.verified",   "signers.roles",
    "signers.algorithms",    "metadata.required",     "compression.schemes",
    "compression.worstSqnr", "compression.modelSqnr", "compression.probeSqnr",
    "compression.bitsPerWeight", "compression.sparsity", "compression.fallbacks",
    "integrity.probes",      "release.minVersion",    "release.rollbackState",
    "release.maxAge",        "bundle.maxSize",        "bundle.formatVersion",
};

const char *const *ms_policy_rule_ids(size_t *n)
{
    *n = sizeof rule_ids / sizeof rule_ids[0];
    return rule_ids;
}

const char *ms_policy_verdict_name(ms_policy_verdict v)
{
    switch (v) {
    case MS_VERDICT_PASS: return "pass";
    case MS_VERDICT_FAIL: return "fail";
    case MS_VERDICT_WARN: return "warn";
    case MS_VERDICT_NOT_EVALUATED: return "not-evaluated";
    }
    return "?";
}

static int is_optional(const ms_policy *p, const char *rule)
{
    for (size_t i = 0; i < p->optional.n; i++)
        if (strcmp(p->optional.v[i], rule) == 0)
            return 1;
    return 0;
}

void ms_policy_evidence(judge *j, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ms_strbuf_printf(&j->ev, "%s%s", j->ev.len ? "; " : "", buf);
}

/* Record the rule's result; a not-evaluated rule fails in enforce mode unless optional. */
void ms_policy_record(judge *j, const char *rule, ms_policy_verdict v, const char *fmt, ...)
{
    char msg[1024], m1[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m1, sizeof m1, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s", m1);
    int unevaluated = v == MS_VERDICT_NOT_EVALUATED;
    if (v == MS_VERDICT_NOT_EVALUATED && j->p->mode == MS_POLICY_ENFORCE &&
        !is_optional(j->p, rule)) {
        v = MS_VERDICT_FAIL;
        snprintf(msg, sizeof msg, "could not be evaluated: %s (list '%s' in \"optional\" to "
                 "allow that)", m1, rule);
    }
    char *ev = ms_strbuf_take(&j->ev);
    memset(&j->ev, 0, sizeof j->ev);
    ms_policy_result *res = &j->r->v[j->r->n];
    res->rule = rule;
    res->verdict = v;
    res->unevaluated = unevaluated;
    res->evidence = ev;
    res->message = strdup(msg);
    if (ev == NULL || res->message == NULL) {
        j->oom = 1;
        free(ev);
        free(res->message);
        return;
    }
    ms_text_sanitize(res->evidence, strlen(res->evidence) + 1);
    j->r->n++;
    switch (v) {
    case MS_VERDICT_PASS: j->r->pass++; break;
    case MS_VERDICT_FAIL: j->r->fail++; break;
    case MS_VERDICT_WARN: j->r->warn++; break;
    case MS_VERDICT_NOT_EVALUATED: j->r->not_evaluated++; break;
    }
}

int ms_policy_in_list(const ms_policy_list *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], id) == 0)
            return 1;
    return 0;
}

const char *ms_policy_q(const char *s)
{
    return s != NULL ? ms_text_clean(s) : "";
}

/* ---- datasets, base models ---- */

static void rule_datasets(judge *j)
{
    const ms_policy *p = j->p;
    const ms_policy_facts *f = j->f;
    if (p->ds_require_digests) {
        size_t bad = 0;
        for (size_t i = 0; i < f->dataset_count; i++)
            if (f->datasets[i].digest == NULL && bad++ < 8)
                ms_policy_evidence(j, "dataset '%s' has no digest (metadata datasets[%zu])",
                         ms_policy_q(f->datasets[i].name), i);
        if (bad == 0)
            ms_policy_evidence(j, "%zu dataset%s, each with a digest", f->dataset_count,
                     f->dataset_count == 1 ? "" : "s");
        ms_policy_record(j, "datasets.digests", bad ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                bad ? "record each dataset's sha256 digest in the spec file's datasets"
                    : "every dataset is pinned by digest");
    }
    if (p->ds_deny_n > 0) {
        size_t bad = 0;
        for (size_t i = 0; i < f->dataset_count; i++) {
            const ms_policy_dataset_fact *d = &f->datasets[i];
            for (size_t k = 0; k < p->ds_deny_n; k++) {
                const ms_policy_dataset_match *m = &p->ds_deny[k];
                if ((m->name && (d->name == NULL || strcmp(m->name, d->name) != 0)) ||
                    (m->uri && (d->uri == NULL || fnmatch(m->uri, d->uri, 0) != 0)) ||
                    (m->digest && (d->digest == NULL || strcmp(m->digest, d->digest) != 0)) ||
                    (m->license && !ms_policy_license_mentions(d->license, m->license)))
                    continue;
                if (bad++ < 8)
                    ms_policy_evidence(j, "dataset '%s' matches datasets.deny[%zu] (metadata datasets[%zu])",
                             ms_policy_q(d->name), k, i);
                break;
            }
        }
        if (bad == 0)
            ms_policy_evidence(j, "%zu dataset%s, none denied", f->dataset_count,
                     f->dataset_count == 1 ? "" : "s");
        ms_policy_record(j, "datasets.denied", bad ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                bad ? "the model was built from a denied dataset: retrain without it"
                    : "no denied dataset in the lineage");
    }
    if (p->ds_roles.n > 0) {
        size_t missing = 0;
        for (size_t r = 0; r < p->ds_roles.n; r++) {
            size_t i;
            for (i = 0; i < f->dataset_count; i++)
                if (f->datasets[i].role != NULL && strcmp(f->datasets[i].role, p->ds_roles.v[r]) == 0)
                    break;
            if (i == f->dataset_count) {
                missing++;
                ms_policy_evidence(j, "no %s dataset declared (metadata datasets)", p->ds_roles.v[r]);
            } else {
                ms_policy_evidence(j, "%s: '%s'", p->ds_roles.v[r], ms_policy_q(f->datasets[i].name));
            }
        }
        ms_policy_record(j, "datasets.roles", missing ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                missing ? "declare the missing dataset roles in the spec file's datasets"
                        : "every required dataset role is declared");
    }
    if (p->ds_has_min_records) {
        size_t bad = 0, unknown = 0;
        for (size_t i = 0; i < f->dataset_count; i++) {
            const ms_policy_dataset_fact *d = &f->datasets[i];
            if (!d->has_records) {
                unknown++;
                ms_policy_evidence(j, "dataset '%s' records not recorded", ms_policy_q(d->name));
            } else if (d->records < p->ds_min_records) {
                bad++;
                ms_policy_evidence(j, "dataset '%s' has %llu records", ms_policy_q(d->name),
                         (unsigned long long)d->records);
            }
        }
        if (bad + unknown == 0)
            ms_policy_evidence(j, "%zu dataset%s with at least %llu records", f->dataset_count,
                     f->dataset_count == 1 ? "" : "s", (unsigned long long)p->ds_min_records);
        if (bad > 0)
            ms_policy_record(j, "datasets.records", MS_VERDICT_FAIL, "datasets smaller than %llu records",
                    (unsigned long long)p->ds_min_records);
        else if (unknown > 0)
            ms_policy_record(j, "datasets.records", MS_VERDICT_NOT_EVALUATED,
                    "record counts are missing: add records to the spec file's datasets");
        else
            ms_policy_record(j, "datasets.records", MS_VERDICT_PASS, "every dataset is large enough");
    }
    if (p->bm_require_digests) {
        size_t bad = 0;
        for (size_t i = 0; i < f->base_count; i++)
            if (f->bases[i].digest == NULL && bad++ < 8)
                ms_policy_evidence(j, "base model '%s' has no digest (metadata baseModels[%zu])",
                         ms_policy_q(f->bases[i].name), i);
        if (bad == 0)
            ms_policy_evidence(j, "%zu base model%s, each with a digest", f->base_count,
                     f->base_count == 1 ? "" : "s");
        ms_policy_record(j, "baseModels.digests", bad ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                bad ? "record each base model's manifest digest in the spec file"
                    : "every base model is pinned by digest");
    }
    if (p->bm_has_max_depth) {
        /* A bundle records its direct parents only: its own depth is 0 or 1. */
        uint64_t depth = f->base_count > 0 ? 1 : 0;
        ms_policy_evidence(j, "lineage depth %llu (%zu base model%s in metadata)", (unsigned long long)depth,
                 f->base_count, f->base_count == 1 ? "" : "s");
        ms_policy_record(j, "baseModels.depth", depth > p->bm_max_depth ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                depth > p->bm_max_depth ? "the lineage is deeper than the policy allows"
                                        : "the lineage is within the allowed depth");
    }
    if (p->bm_require_verified) {
        if (!f->parents_checked) {
            ms_policy_evidence(j, "%zu base model%s", f->base_count, f->base_count == 1 ? "" : "s");
            ms_policy_record(j, "baseModels.verified", f->base_count ? MS_VERDICT_NOT_EVALUATED
                                                            : MS_VERDICT_PASS,
                    f->base_count ? "parents were not checked: verify with --verify-parents PATH"
                                  : "the model has no base models");
        } else {
            size_t bad = 0;
            for (size_t i = 0; i < f->base_count; i++)
                if (!f->bases[i].verified && bad++ < 8)
                    ms_policy_evidence(j, "base model '%s' not verified", ms_policy_q(f->bases[i].name));
            if (bad == 0)
                ms_policy_evidence(j, "%zu base model%s verified (--verify-parents)", f->base_count,
                         f->base_count == 1 ? "" : "s");
            ms_policy_record(j, "baseModels.verified", bad ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                    bad ? "every parent must be a verified bundle: give it a digest and its bundle"
                        : "every parent is a verified bundle");
        }
    }
}

/* ---- signers, metadata ---- */

static void rule_signers(judge *j)
{
    const ms_policy *p = j->p;
    const ms_policy_facts *f = j->f;
    if (p->role_n > 0) {
        if (!f->signatures_checked) {
            ms_policy_record(j, "signers.roles", MS_VERDICT_NOT_EVALUATED,
                    "signatures were not checked against a trust set");
        } else {
            size_t short_roles = 0;
            for (size_t r = 0; r < p->role_n; r++) {
                size_t count = 0;
                for (size_t i = 0; i < f->signer_count; i++) {
                    const ms_policy_signer_fact *s = &f->signers[i];
                    if (!s->valid || s->role == NULL || strcmp(s->role, p->roles[r].role) != 0)
                        continue;
                    size_t k;
                    for (k = 0; k < i; k++)
                        if (f->signers[k].valid && f->signers[k].role != NULL &&
                            strcmp(f->signers[k].role, s->role) == 0 &&
                            strcmp(f->signers[k].keyid, s->keyid) == 0)
                            break;
                    count += k == i;
                }
                ms_policy_evidence(j, "%s: %zu of %llu (signatures)", ms_policy_q(p->roles[r].role), count,
                         (unsigned long long)p->roles[r].threshold);
                short_roles += count < p->roles[r].threshold;
            }
            ms_policy_record(j, "signers.roles", short_roles ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                    short_roles ? "too few valid signatures in a required role: have the bundle "
                                  "co-signed (modelseal sign --role ROLE)"
                                : "every required role has enough valid signatures");
        }
    }
    if (p->algorithms.n > 0) {
        size_t bad = 0, valid = 0;
        for (size_t i = 0; i < f->signer_count; i++) {
            const ms_policy_signer_fact *s = &f->signers[i];
            if (!s->valid)
                continue;
            valid++;
            int ok = s->algorithm != NULL && ms_policy_in_list(&p->algorithms, s->algorithm);
            ms_policy_evidence(j, "key %.16s: %s", ms_policy_q(s->keyid), s->algorithm ? ms_policy_q(s->algorithm) : "unknown");
            bad += !ok;
        }
        if (!f->signatures_checked || valid == 0)
            ms_policy_record(j, "signers.algorithms", MS_VERDICT_NOT_EVALUATED,
                    "no valid signature by a trusted key to judge");
        else
            ms_policy_record(j, "signers.algorithms", bad ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                    bad ? "a signature uses an algorithm the policy does not allow: re-sign with "
                          "an allowed key type"
                        : "every valid signature uses an allowed algorithm");
    }
}

static void rule_metadata(judge *j)
{
    const ms_policy_list *req = &j->p->required_fields;
    if (req->n == 0)
        return;
    size_t missing = 0;
    for (size_t r = 0; r < req->n; r++) {
        size_t i;
        for (i = 0; i < j->f->metadata_field_count; i++)
            if (strcmp(j->f->metadata_fields[i], req->v[r]) == 0)
                break;
        if (i == j->f->metadata_field_count) {
            missing++;
            ms_policy_evidence(j, "%s missing (metadata)", req->v[r]);
        }
    }
    if (missing == 0)
        ms_policy_evidence(j, "%zu required field%s present (metadata)", req->n, req->n == 1 ? "" : "s");
    ms_policy_record(j, "metadata.required", missing ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
            missing ? "add the missing fields to the model card or spec file and repack"
                    : "every required metadata field is present");
}

/* ---- compression, integrity, release, bundle ---- */

static int compression_known(judge *j, const char *rule)
{
    if (j->f->has_compression)
        return 1;
    ms_policy_evidence(j, "no compression report layer");
    ms_policy_record(j, rule, MS_VERDICT_NOT_EVALUATED,
            "the bundle carries no compression report (pack with --quantize or --recipe)");
    return 0;
}

static void rule_compression(judge *j)
{
    const ms_policy *p = j->p;
    const ms_policy_facts *f = j->f;
    if (p->schemes.n > 0 && compression_known(j, "compression.schemes")) {
        size_t bad = 0;
        for (size_t i = 0; i < f->tensor_count; i++)
            if (!ms_policy_in_list(&p->schemes, f->tensors[i].scheme) && bad++ < 8)
                ms_policy_evidence(j, "tensor '%s' uses %s (compression report)", ms_policy_q(f->tensors[i].name),
                         ms_policy_q(f->tensors[i].scheme));
        if (bad == 0)
            ms_policy_evidence(j, "%zu tensor%s, all in allowed schemes", f->tensor_count,
                     f->tensor_count == 1 ? "" : "s");
        ms_policy_record(j, "compression.schemes", bad ? MS_VERDICT_FAIL : MS_VERDICT_PASS,
                bad ? "recompress with an allowed scheme" : "every tensor uses an allowed scheme");
    }
    if (p->min_worst_sqnr.has && compression_known(j, "compression.worstSqnr")) {
        const ms_policy_tensor_fact *w = NULL;
        for (size_t i = 0; i < f->tensor_count; i++)
            if (f->tensors[i].has_sqnr && (w == NULL || f->tensors[i].sqnr_db < w->sqnr_db))
                w = &f->tensors[i];
        if (w == NULL) {
            ms_policy_evidence(j, "every tensor reconstructs exactly (compression report)");
            ms_policy_record(j, "compression.worstSqnr", MS_VERDICT_PASS, "no lossy tensor");
        } else {
            int ok = w->sqnr_db >= p->min_worst_sqnr.v;
            ms_policy_evidence(j, "worst tensor '%s' %.2f dB, floor %.2f dB (compression report)",
                     ms_policy_q(w->name), w->sqnr_db, p->min_worst_sqnr.v);
            ms_policy_record(j, "compression.worstSqnr", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                    ok ? "every tensor is above the SQNR floor"
                       : "a tensor is below the SQNR floor: use more bits for it (a recipe rule)");
        }
    }
    if (p->min_model_sqnr.has && compression_known(j, "compression.modelSqnr")) {
        if (!f->has_model_sqnr) {
            ms_policy_evidence(j, "model reconstructs exactly (compression report total)");
            ms_policy_record(j, "compression.modelSqnr", MS_VERDICT_PASS, "no loss");
        } else {
            int ok = f->model_sqnr_db >= p->min_model_sqnr.v;
            ms_policy_evidence(j, "model SQNR %.2f dB, floor %.2f dB (compression report total)",
                     f->model_sqnr_db, p->min_model_sqnr.v);
            ms_policy_record(j, "compression.modelSqnr", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                    ok ? "the model is above the SQNR floor"
                       : "the model is below the SQNR floor: use a finer scheme");
        }
    }
    if (p->min_probe_sqnr.has && compression_known(j, "compression.probeSqnr")) {
        const ms_policy_tensor_fact *w = NULL;
        for (size_t i = 0; i < f->tensor_count; i++)
            if (f->tensors[i].has_probe_sqnr &&
                (w == NULL || f->tensors[i].probe_sqnr_db < w->probe_sqnr_db))
                w = &f->tensors[i];
        if (w == NULL) {
            ms_policy_evidence(j, "no probe SQNR in the compression report");
            ms_policy_record(j, "compression.probeSqnr", MS_VERDICT_NOT_EVALUATED,
                    "pack with probes (not --no-probes) so output fidelity is measured");
        } else {
            int ok = w->probe_sqnr_db >= p->min_probe_sqnr.v;
            ms_policy_evidence(j, "worst probe '%s' %.2f dB, floor %.2f dB (compression report)", ms_policy_q(w->name),
                     w->probe_sqnr_db, p->min_probe_sqnr.v);
            ms_policy_record(j, "compression.probeSqnr", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                    ok ? "every probe output is above the floor"
                       : "a layer's outputs drift below the floor: use more bits for it");
        }
    }
    if (p->max_bpw.has && compression_known(j, "compression.bitsPerWeight")) {
        int ok = f->model_bpw <= p->max_bpw.v;
        ms_policy_evidence(j, "%.3f bits per weight, limit %.3f (compression report total)", f->model_bpw,
                 p->max_bpw.v);
        ms_policy_record(j, "compression.bitsPerWeight", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                ok ? "the model is small enough" : "the model uses too many bits per weight: "
                "choose a smaller scheme");
    }
    if (p->max_sparsity.has && compression_known(j, "compression.sparsity")) {
        double sp = f->has_model_sparsity ? f->model_sparsity : 0;
        int ok = sp <= p->max_sparsity.v;
        ms_policy_evidence(j, "sparsity %.4f, limit %.4f (compression report total)", sp, p->max_sparsity.v);
        ms_policy_record(j, "compression.sparsity", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                ok ? "pruning is within the limit" : "the model is pruned more than allowed");
    }
    if (p->has_fallbacks && compression_known(j, "compression.fallbacks")) {
        size_t fb = 0;
        for (size_t i = 0; i < f->tensor_count; i++) {
            const ms_policy_tensor_fact *t = &f->tensors[i];
            if (t->requested != NULL && strcmp(t->scheme, t->requested) != 0 && fb++ < 8)
                ms_policy_evidence(j, "tensor '%s' asked %s, got %s (compression report)", ms_policy_q(t->name),
                         ms_policy_q(t->requested), ms_policy_q(t->scheme));
        }
        if (fb == 0)
            ms_policy_evidence(j, "every tensor got its requested scheme");
        int ok = fb == 0 || p->allow_fallbacks;
        ms_policy_record(j, "compression.fallbacks", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                ok ? (fb ? "fallbacks are allowed" : "no fallbacks")
                   : "tensors fell back to another scheme: fix their shapes or the recipe");
    }
    if (p->require_probes) {
        ms_policy_evidence(j, "%s", f->has_probes ? (f->probes_checked ? "probes recomputed and matched"
                                                             : "probes present, not checked")
                                        : "no probes layer");
        int ok = f->has_probes && f->probes_checked;
        ms_policy_record(j, "integrity.probes", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                ok ? "integrity probes were checked"
                   : "the bundle has no checked integrity probes: pack with --quantize or --recipe, without --no-probes");
    }
}

/*
 * Does the policy's entry a admit the bundle's version b?  A bare major
 * ("1") admits every minor of it (1, 1.0, 1.1: bundle-format.md section 14
 * keeps minors readable); "MAJOR.MINOR" admits that version only, and a
 * bundle's bare "1" is "1.0".
 */
static int same_format_version(const char *a, const char *b)
{
    size_t la = strcspn(a, "."), lb = strcspn(b, ".");
    if (la != lb || strncmp(a, b, la) != 0)
        return 0;
    if (a[la] == '\0')
        return 1;
    const char *ma = a + la + 1, *mb = b[lb] ? b + lb + 1 : "0";
    return strcmp(ma, mb) == 0;
}

static void rule_release(judge *j)
{
    const ms_policy *p = j->p;
    const ms_policy_facts *f = j->f;
    if (p->min_version != NULL) {
        if (f->version == NULL || ms_semver_problem(f->version) != NULL) {
            ms_policy_record(j, "release.minVersion", MS_VERDICT_NOT_EVALUATED, "no valid version recorded");
        } else {
            int ok = ms_semver_compare(f->version, p->min_version) >= 0;
            ms_policy_evidence(j, "version %s, minimum %s (metadata version)", ms_policy_q(f->version), p->min_version);
            ms_policy_record(j, "release.minVersion", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                    ok ? "the version is recent enough"
                       : "the version is older than the policy allows: ship a newer release");
        }
    }
    if (p->require_rollback) {
        ms_policy_evidence(j, "%s", f->rollback_used ? "rollback state checked (--state)"
                                           : "no rollback state given");
        ms_policy_record(j, "release.rollbackState", f->rollback_used ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                f->rollback_used ? "rollback protection was applied"
                                 : "verify with --state DIR so an older release cannot replace a "
                                   "newer one");
    }
    if (p->has_max_age) {
        if (!f->has_build_time) {
            ms_policy_evidence(j, "no build time recorded");
            ms_policy_record(j, "release.maxAge", MS_VERDICT_NOT_EVALUATED,
                    "the manifest records no creation time");
        } else {
            int64_t age = f->now - f->build_time;
            int64_t days = age > 0 ? age / 86400 : 0;
            int ok = age <= (int64_t)p->max_age_days * 86400;
            ms_policy_evidence(j, "built %lld day%s ago, limit %llu (manifest created)", (long long)days,
                     days == 1 ? "" : "s", (unsigned long long)p->max_age_days);
            ms_policy_record(j, "release.maxAge", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                    ok ? "the build is recent enough" : "the build is too old: rebuild and repack");
        }
    }
    if (p->has_max_size) {
        int ok = f->bundle_size <= p->max_size;
        ms_policy_evidence(j, "%llu bytes, limit %llu (bundle file)", (unsigned long long)f->bundle_size,
                 (unsigned long long)p->max_size);
        ms_policy_record(j, "bundle.maxSize", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                ok ? "the bundle is small enough"
                   : "the bundle is too large: compress the model further");
    }
    if (p->format_versions.n > 0) {
        const char *fv = f->format_version;
        int ok = 0;
        for (size_t i = 0; fv != NULL && i < p->format_versions.n && !ok; i++)
            ok = same_format_version(p->format_versions.v[i], fv);
        ms_policy_evidence(j, "format version %s (manifest)", fv ? ms_policy_q(fv) : "unknown");
        ms_policy_record(j, "bundle.formatVersion", ok ? MS_VERDICT_PASS : MS_VERDICT_FAIL,
                ok ? "the bundle format version is allowed"
                   : "the bundle format version is not allowed: repack with a current modelseal");
    }
}

ms_status ms_policy_evaluate(const ms_policy *p, const ms_policy_facts *f,
                             ms_policy_results **out, ms_error *err)
{
    *out = NULL;
    ms_error_clear(err);
    ms_policy_results *r = calloc(1, sizeof *r);
    size_t nrules;
    ms_policy_rule_ids(&nrules);
    if (r == NULL || (r->v = calloc(nrules, sizeof *r->v)) == NULL ||
        (r->policy_name = strdup(ms_policy_name(p))) == NULL) {
        ms_policy_results_free(r);
        return ms_fail(err, MS_E_NOMEM, "policy evaluation: out of memory");
    }
    r->audit = p->mode == MS_POLICY_AUDIT;
    judge j = {.p = p, .f = f, .r = r};
    ms_policy_rule_allowed(&j);
    ms_policy_rule_unknown(&j);
    ms_policy_rule_inherited(&j);
    ms_policy_rule_conflicts(&j);
    rule_datasets(&j);
    rule_signers(&j);
    rule_metadata(&j);
    rule_compression(&j);
    rule_release(&j);
    free(ms_strbuf_take(&j.ev));
    if (j.oom || j.ev.oom) {
        ms_policy_results_free(r);
        return ms_fail(err, MS_E_NOMEM, "policy evaluation: out of memory");
    }
    *out = r;
    return MS_OK;
}

void ms_policy_results_free(ms_policy_results *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].evidence);
        free(r->v[i].message);
    }
    free(r->v);
    free(r->policy_name);
    free(r);
}

int ms_policy_needs_bundle_size(const ms_policy *p)
{
    return p != NULL && p->has_max_size;
}

size_t ms_policy_results_failed(const ms_policy_results *r)
{
    return r != NULL ? r->fail : 0;
}

int ms_policy_results_blocking(const ms_policy_results *r)
{
    return r != NULL && !r->audit && r->fail > 0;
}
