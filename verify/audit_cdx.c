/*
 * CycloneDX 1.6 JSON export of an audit (verify/audit.h; the mapping is in
 * docs/audit.md, "CycloneDX 1.6 export").
 *
 * The BOM describes one machine-learning-model component (metadata.component):
 * its files as nested file components, its base models as pedigree
 * ancestors, its datasets as top-level data components, the model card and
 * compression fidelity as its modelCard, and modelseal's license picture as
 * declared licenses, properties and annotations.
 *
 * Every string comes from an untrusted bundle: cJSON escapes it, ill-formed
 * UTF-8 (which the bundle reader already refuses) is replaced by U+FFFD,
 * values with a format constraint (hashes, URLs, purls) are emitted only
 * when they satisfy it (else as a property, verbatim), and bom-refs are made
 * from indexes, never from names.  The output depends only on the audit:
 * the same audit gives the same bytes.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/digest.h"
#include "core/json.h"
#include "core/text.h"
#include "verify/audit.h"

#define NS "dev.modelseal:"
#define MODEL_REF "model"
/* The serial number is computed over the BOM holding this placeholder. */
#define SERIAL_PLACEHOLDER "urn:uuid:00000000-0000-0000-0000-000000000000"

typedef struct cdx {
    const ms_audit *a;
    int oom;
} cdx;

/* ---- building blocks that record running out of memory ---- */

/* A JSON string of s; ill-formed UTF-8 sequences become U+FFFD. */
static cJSON *jstr(cdx *c, const char *s)
{
    cJSON *j;
    if (ms_utf8_valid(s)) {
        j = cJSON_CreateString(s);
    } else {
        size_t n = strlen(s);
        char *t = malloc(3 * n + 1);
        if (t == NULL) {
            c->oom = 1;
            return NULL;
        }
        size_t o = 0;
        for (size_t i = 0; i < n;) {
            size_t l = ms_utf8_seq_len((const unsigned char *)s + i, n - i);
            if (l == 0) {
                memcpy(t + o, "\xef\xbf\xbd", 3);
                o += 3;
                i++;
            } else {
                memcpy(t + o, s + i, l);
                o += l;
                i += l;
            }
        }
        t[o] = '\0';
        j = cJSON_CreateString(t);
        free(t);
    }
    if (j == NULL)
        c->oom = 1;
    return j;
}

static void add_item(cdx *c, cJSON *o, const char *k, cJSON *item)
{
    if (item == NULL) {
        c->oom = 1;
        return;
    }
    if (o == NULL || !cJSON_AddItemToObject(o, k, item)) {
        cJSON_Delete(item);
        c->oom = 1;
    }
}

static void push(cdx *c, cJSON *arr, cJSON *item)
{
    if (item == NULL) {
        c->oom = 1;
        return;
    }
    if (arr == NULL || !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        c->oom = 1;
    }
}

/* Add k: s when s is not NULL. */
static void add_str(cdx *c, cJSON *o, const char *k, const char *s)
{
    if (s != NULL)
        add_item(c, o, k, jstr(c, s));
}

static cJSON *new_obj(cdx *c)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        c->oom = 1;
    return o;
}

static cJSON *add_obj(cdx *c, cJSON *o, const char *k)
{
    cJSON *j = new_obj(c);
    add_item(c, o, k, j);
    return c->oom ? NULL : j;
}

static cJSON *add_arr(cdx *c, cJSON *o, const char *k)
{
    cJSON *j = cJSON_CreateArray();
    add_item(c, o, k, j);
    return c->oom ? NULL : j;
}

/* Remove o[k] when it is an empty array or object. */
static void drop_if_empty(cJSON *o, const char *k)
{
    cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
    if (j != NULL && j->child == NULL && (cJSON_IsArray(j) || cJSON_IsObject(j)))
        cJSON_DeleteItemFromObjectCaseSensitive(o, k);
}

/* malloc'd printf, or NULL (and oom) */
static char *fmt(cdx *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(cdx *c, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s == NULL) {
        c->oom = 1;
        return NULL;
    }
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

/* A property {name, value} appended to props (value not NULL). */
static void prop(cdx *c, cJSON *props, const char *name, const char *value)
{
    if (value == NULL)
        return;
    cJSON *p = new_obj(c);
    if (p == NULL)
        return;
    add_str(c, p, "name", name);
    add_str(c, p, "value", value);
    push(c, props, p);
}

/* prop() with a malloc'd value it frees. */
static void prop_take(cdx *c, cJSON *props, const char *name, char *value)
{
    prop(c, props, name, value);
    free(value);
}

/* s, or "" for NULL (for text built with fmt) */
static const char *nz(const char *s)
{
    return s != NULL ? s : "";
}

/* ---- value checks and encodings ---- */

/* The hex of "sha256:<64 lower-case hex>", else NULL. */
static const char *sha256_hex(const char *digest)
{
    if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || !ms_is_sha256_hex(digest + 7))
        return NULL;
    return digest + 7;
}

/* "hashes": [{"alg": "SHA-256", "content": hex}] */
static void add_hash(cdx *c, cJSON *o, const char *hex)
{
    cJSON *arr = add_arr(c, o, "hashes");
    cJSON *h = new_obj(c);
    if (h == NULL)
        return;
    add_str(c, h, "alg", "SHA-256");
    add_str(c, h, "content", hex);
    push(c, arr, h);
}

/*
 * A URI usable as an iri-reference: non-empty, no space, control byte, or
 * one of the characters RFC 3987 excludes ("<>\^`{|}).  Non-ASCII UTF-8 is
 * allowed (IRIs).  A value that fails is kept as a property instead.
 */
static int iri_ok(const char *s)
{
    if (s == NULL || *s == '\0' || !ms_utf8_valid(s))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("\"<>\\^`{|}", *p) != NULL)
            return 0;
    return 1;
}

/* Percent-encode every byte but A-Z a-z 0-9 . - _ ~ (lowercasing first if lower). */
static char *pct_encode(cdx *c, const char *s, int lower)
{
    size_t n = strlen(s);
    char *t = malloc(3 * n + 1);
    if (t == NULL) {
        c->oom = 1;
        return NULL;
    }
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if (lower && ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '.' || ch == '-' || ch == '_' || ch == '~') {
            t[o++] = (char)ch;
        } else {
            static const char hx[] = "0123456789ABCDEF";
            t[o++] = '%';
            t[o++] = hx[ch >> 4];
            t[o++] = hx[ch & 15];
        }
    }
    t[o] = '\0';
    return t;
}

/* purl of an OCI artifact: pkg:oci/<name, lower-cased and encoded>@sha256%3A<hex>. */
static void add_purl(cdx *c, cJSON *o, const char *name, const char *hex)
{
    char *n = pct_encode(c, name, 1);
    if (n == NULL)
        return;
    char *p = fmt(c, "pkg:oci/%s@sha256%%3A%s", n, hex);
    free(n);
    add_str(c, o, "purl", p);
    free(p);
}

/*
 * licenses: the canonical expression as a one-element expression choice,
 * or, when the recorded text is not a valid expression, a named license
 * holding it verbatim.  Nothing when neither is known.
 */
static void add_licenses(cdx *c, cJSON *o, const char *canonical, const char *raw)
{
    if (canonical == NULL && raw == NULL)
        return;
    cJSON *arr = add_arr(c, o, "licenses");
    cJSON *l = new_obj(c);
    if (l == NULL)
        return;
    if (canonical != NULL) {
        add_str(c, l, "expression", canonical);
        add_str(c, l, "acknowledgement", "declared");
    } else {
        cJSON *lic = add_obj(c, l, "license");
        add_str(c, lic, "name", raw);
        add_str(c, lic, "acknowledgement", "declared");
    }
    push(c, arr, l);
}

/* externalReferences: [{"url": uri, "type": type}] when uri is a usable IRI reference. */
static void add_ext_ref(cdx *c, cJSON *o, const char *uri, const char *type, const char *hash)
{
    if (!iri_ok(uri))
        return;
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "externalReferences");
    if (arr == NULL)
        arr = add_arr(c, o, "externalReferences");
    cJSON *r = new_obj(c);
    if (r == NULL)
        return;
    add_str(c, r, "url", uri);
    add_str(c, r, "type", type);
    if (hash != NULL)
        add_hash(c, r, hash);
    push(c, arr, r);
}

/*
 * A number as text: the shortest of %.15g and %.17g that reads back to the
 * same double (as cJSON prints the report), so the value matches the
 * bundle's compression report.  0 for a non-finite number.
 */
static int num_text(double d, char buf[32])
{
    if (!isfinite(d))
        return 0;
    snprintf(buf, 32, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, 32, "%.17g", d);
    return 1;
}

/* ---- identifiers ---- */

static char *ref_of(cdx *c, size_t parent)
{
    const ms_audit *a = c->a;
    if (parent < a->base_count)
        return fmt(c, "base-model-%zu", parent);
    return fmt(c, "dataset-%zu", parent - a->base_count);
}

/* ---- the model component ---- */

static void add_metric(cdx *c, cJSON *arr, const char *type, const char *value,
                       const char *slice)
{
    cJSON *m = new_obj(c);
    if (m == NULL)
        return;
    add_str(c, m, "type", type);
    add_str(c, m, "value", value);
    add_str(c, m, "slice", slice);
    push(c, arr, m);
}

/*
 * A metric from report[key]: a finite number as text, or exact_text for
 * null (decibel figures are null where the reconstruction is exact);
 * nothing when the field is absent or mistyped.
 */
static void metric_from(cdx *c, cJSON *arr, const cJSON *o, const char *key, const char *type,
                        const char *exact_text, const char *slice)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    char buf[32];
    if (cJSON_IsNumber(f) && num_text(f->valuedouble, buf))
        add_metric(c, arr, type, buf, slice);
    else if (cJSON_IsNull(f) && exact_text != NULL)
        add_metric(c, arr, type, exact_text, slice);
}

/* modelCard.quantitativeAnalysis.performanceMetrics from the compression report. */
static void add_fidelity(cdx *c, cJSON *card, const cJSON *report)
{
    if (!cJSON_IsObject(report))
        return;
    cJSON *qa = add_obj(c, card, "quantitativeAnalysis");
    cJSON *pm = add_arr(c, qa, "performanceMetrics");
    if (pm == NULL)
        return;
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(report, "total");
    if (cJSON_IsObject(tot)) {
        uint64_t w = 0;
        const cJSON *wf = cJSON_GetObjectItemCaseSensitive(tot, "weights");
        char *slice = ms_json_number_u64(wf, &w) == 0
                          ? fmt(c, "all float tensors (%llu weights)", (unsigned long long)w)
                          : fmt(c, "all float tensors");
        if (slice == NULL)
            return;
        metric_from(c, pm, tot, "bitsPerWeight", "bits per weight", NULL, slice);
        metric_from(c, pm, tot, "sqnrDb", "SQNR (dB)", "exact", slice);
        metric_from(c, pm, tot, "cosine", "cosine similarity", NULL, slice);
        metric_from(c, pm, tot, "relRmse", "relative RMSE", NULL, slice);
        metric_from(c, pm, tot, "maxAbsError", "max absolute error", NULL, slice);
        metric_from(c, pm, tot, "sparsity", "sparsity", NULL, slice);
        free(slice);
    }
    const cJSON *worst = cJSON_GetObjectItemCaseSensitive(report, "worst");
    const cJSON *wname = cJSON_GetObjectItemCaseSensitive(worst, "name");
    if (cJSON_IsObject(worst) && cJSON_IsString(wname)) {
        char *slice = fmt(c, "worst tensor: %s", wname->valuestring);
        if (slice != NULL)
            metric_from(c, pm, worst, "sqnrDb", "SQNR (dB)", "exact", slice);
        free(slice);
    }
    /* Probe SQNR: the lowest over the probed tensors (null = exact counts as highest). */
    size_t probed = 0;
    const cJSON *low = NULL, *t;
    const char *low_name = NULL;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(report, "tensors"))
    {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(t, "probeSqnrDb");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(t, "name");
        if (!cJSON_IsString(nm) || !(cJSON_IsNull(p) || (cJSON_IsNumber(p) &&
                                                         isfinite(p->valuedouble))))
            continue;
        probed++;
        if (cJSON_IsNumber(p) && (low == NULL || p->valuedouble < low->valuedouble)) {
            low = p;
            low_name = nm->valuestring;
        }
    }
    if (probed > 0) {
        char buf[32];
        char *slice;
        if (low != NULL && num_text(low->valuedouble, buf)) {
            slice = fmt(c, "worst probed tensor (of %zu): %s", probed, nz(low_name));
            add_metric(c, pm, "probe SQNR (dB)", buf, slice);
        } else {
            slice = fmt(c, "all %zu probed tensors", probed);
            add_metric(c, pm, "probe SQNR (dB)", "exact", slice);
        }
        free(slice);
    }
    drop_if_empty(qa, "performanceMetrics");
    drop_if_empty(card, "quantitativeAnalysis");
}

static void add_model_card(cdx *c, cJSON *model)
{
    const ms_audit *a = c->a;
    cJSON *card = add_obj(c, model, "modelCard");
    if (card == NULL)
        return;
    if (a->dataset_count > 0) {
        cJSON *mp = add_obj(c, card, "modelParameters");
        cJSON *ds = add_arr(c, mp, "datasets");
        for (size_t i = 0; ds != NULL && i < a->dataset_count; i++) {
            cJSON *r = new_obj(c);
            char *ref = ref_of(c, ms_audit_dataset_parent(a, i));
            add_str(c, r, "ref", ref);
            free(ref);
            push(c, ds, r);
        }
    }
    add_fidelity(c, card, a->view->compression);
    if (a->intended_use != NULL || a->limitations != NULL || a->out_of_scope_use != NULL) {
        cJSON *co = add_obj(c, card, "considerations");
        if (a->intended_use != NULL)
            push(c, add_arr(c, co, "useCases"), jstr(c, a->intended_use));
        cJSON *tl = NULL;
        if (a->limitations != NULL || a->out_of_scope_use != NULL)
            tl = add_arr(c, co, "technicalLimitations");
        if (a->limitations != NULL)
            push(c, tl, jstr(c, a->limitations));
        if (a->out_of_scope_use != NULL) {
            char *s = fmt(c, "Out-of-scope use: %s", a->out_of_scope_use);
            if (s != NULL)
                push(c, tl, jstr(c, s));
            free(s);
            cJSON *props = add_arr(c, card, "properties");
            prop(c, props, NS "card.outOfScopeUse", a->out_of_scope_use);
        }
    }
    if (card->child == NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(model, "modelCard");
}

static const char *severity_key(ms_finding_severity s)
{
    switch (s) {
    case MS_FINDING_CONFLICT:
        return NS "license.conflict";
    case MS_FINDING_WARNING:
        return NS "license.warning";
    default:
        return NS "license.note";
    }
}

static void add_model_properties(cdx *c, cJSON *model)
{
    const ms_audit *a = c->a;
    const ms_view *v = a->view;
    const ms_license_picture *lp = a->licenses;
    cJSON *props = add_arr(c, model, "properties");
    prop_take(c, props, NS "manifestDigest", fmt(c, "sha256:%s", v->manifest_hex));
    prop_take(c, props, NS "bundle.digest", fmt(c, "sha256:%s", a->bundle_hex));
    prop_take(c, props, NS "bundle.size", fmt(c, "%llu", (unsigned long long)a->bundle_size));
    prop(c, props, NS "formatVersion", v->format_version);
    prop(c, props, NS "created", a->created);
    prop(c, props, NS "supersedes", v->supersedes);
    if (v->license != NULL && lp->declared == NULL)
        prop(c, props, NS "license.declared.malformed", v->license);
    prop(c, props, NS "license.declared", lp->declared ? lp->declared : "NOASSERTION");
    prop(c, props, NS "license.concluded", lp->concluded ? lp->concluded : "NOASSERTION");
    for (size_t i = 0; i < lp->inherited_count; i++) {
        const ms_license_inherited *h = &lp->inherited[i];
        char *ref = ref_of(c, h->parent);
        if (ref != NULL)
            prop_take(c, props, NS "license.inherited",
                      fmt(c, "%s: %s (%s)", nz(h->condition), nz(h->license), ref));
        free(ref);
    }
    for (size_t i = 0; i < lp->attribution_count; i++) {
        const ms_license_attribution *t = &lp->attributions[i];
        char *ref = ref_of(c, t->parent);
        if (ref != NULL)
            prop_take(c, props, NS "license.attribution", fmt(c, "%s (%s)", nz(t->license), ref));
        free(ref);
    }
    for (size_t i = 0; i < lp->finding_count; i++) {
        const ms_license_finding *f = &lp->findings[i];
        prop_take(c, props, severity_key(f->severity), fmt(c, "%s: %s", nz(f->rule), nz(f->message)));
    }
    prop(c, props, NS "signatures.verified", a->signatures_checked ? "true" : "false");
    for (size_t i = 0; i < a->signer_count; i++) {
        const ms_audit_signer *g = &a->signers[i];
        prop_take(c, props, NS "signer",
                  fmt(c, "keyid=%s algorithm=%s role=%s verdict=%s",
                      g->keyid && g->keyid[0] ? g->keyid : "(none)",
                      g->algorithm ? g->algorithm : "(unknown)", g->role ? g->role : "(none)",
                      g->checked && g->verdict ? g->verdict : "not-verified"));
    }
    const cJSON *rep = v->compression;
    if (rep == NULL) {
        prop(c, props, NS "compression", "none");
    } else {
        const cJSON *recipe = cJSON_GetObjectItemCaseSensitive(rep, "recipe");
        if (cJSON_IsObject(recipe)) {
            char *r = cJSON_PrintUnformatted(recipe);
            if (r == NULL)
                c->oom = 1;
            prop(c, props, NS "compression.recipe", r);
            free(r);
        }
        prop(c, props, NS "compression.probes", v->has_probes_layer ? "recorded" : "none");
    }
}

/* The model's files as nested file components, in manifest order. */
static void add_files(cdx *c, cJSON *model)
{
    const ms_view *v = c->a->view;
    if (v->file_count == 0)
        return;
    cJSON *arr = add_arr(c, model, "components");
    for (size_t i = 0; arr != NULL && i < v->file_count; i++) {
        const ms_view_file *f = &v->files[i];
        cJSON *fc = new_obj(c);
        if (fc == NULL)
            return;
        add_str(c, fc, "type", "file");
        char *ref = fmt(c, "file-%zu", i);
        add_str(c, fc, "bom-ref", ref);
        free(ref);
        add_str(c, fc, "name", f->filepath ? f->filepath : "(unnamed)");
        if (ms_is_sha256_hex(f->hex))
            add_hash(c, fc, f->hex);
        cJSON *props = add_arr(c, fc, "properties");
        prop(c, props, NS "mediaType", f->media_type);
        prop_take(c, props, NS "size", fmt(c, "%llu", (unsigned long long)f->size));
        push(c, arr, fc);
    }
}

/* Per-parent licensing facts shared by ancestors and data components. */
static void parent_license_props(cdx *c, cJSON *props, size_t p, const char *raw)
{
    const ms_license_picture *lp = c->a->licenses;
    if (raw != NULL && lp->parent_canonical[p] == NULL)
        prop(c, props, NS "license.malformed", raw);
    prop(c, props, NS "license.chosen", lp->parent_chosen[p]);
    prop(c, props, NS "license.propagates", lp->parent_propagates[p] ? "true" : "false");
}

static void add_ancestors(cdx *c, cJSON *model)
{
    const ms_audit *a = c->a;
    if (a->base_count == 0)
        return;
    cJSON *ped = add_obj(c, model, "pedigree");
    cJSON *arr = add_arr(c, ped, "ancestors");
    for (size_t i = 0; arr != NULL && i < a->base_count; i++) {
        const ms_audit_base *b = &a->bases[i];
        size_t p = ms_audit_base_parent(a, i);
        cJSON *o = new_obj(c);
        if (o == NULL)
            return;
        add_str(c, o, "type", "machine-learning-model");
        char *ref = ref_of(c, p);
        add_str(c, o, "bom-ref", ref);
        free(ref);
        add_str(c, o, "name", b->name);
        const char *hex = sha256_hex(b->digest);
        if (hex != NULL)
            add_hash(c, o, hex);
        add_licenses(c, o, a->licenses->parent_canonical[p], b->license);
        if (hex != NULL)
            add_purl(c, o, b->name, hex);
        add_ext_ref(c, o, b->uri, "distribution", NULL);
        cJSON *props = add_arr(c, o, "properties");
        prop(c, props, NS "relation", b->relation ? b->relation : "unspecified");
        if (hex != NULL)
            prop(c, props, NS "manifestDigest", b->digest);
        else
            prop(c, props, NS "digest", b->digest); /* recorded, but not sha256:<hex> */
        if (b->uri != NULL && !iri_ok(b->uri))
            prop(c, props, NS "uri", b->uri);
        parent_license_props(c, props, p, b->license);
        push(c, arr, o);
    }
}

static cJSON *data_component(cdx *c, size_t i)
{
    const ms_audit *a = c->a;
    const ms_audit_dataset *d = &a->datasets[i];
    size_t p = ms_audit_dataset_parent(a, i);
    cJSON *o = new_obj(c);
    if (o == NULL)
        return NULL;
    add_str(c, o, "type", "data");
    char *ref = ref_of(c, p);
    add_str(c, o, "bom-ref", ref);
    free(ref);
    add_str(c, o, "name", d->name);
    const char *hex = sha256_hex(d->digest);
    if (hex != NULL)
        add_hash(c, o, hex);
    add_licenses(c, o, a->licenses->parent_canonical[p], d->license);
    add_ext_ref(c, o, d->uri, "distribution", NULL);
    cJSON *props = add_arr(c, o, "properties");
    prop(c, props, NS "role", d->role);
    if (d->has_records)
        prop_take(c, props, NS "records", fmt(c, "%llu", (unsigned long long)d->records));
    if (hex == NULL)
        prop(c, props, NS "digest", d->digest);
    if (d->uri != NULL && !iri_ok(d->uri))
        prop(c, props, NS "uri", d->uri);
    parent_license_props(c, props, p, d->license);
    cJSON *data = add_arr(c, o, "data");
    cJSON *cd = new_obj(c);
    if (cd == NULL)
        return o;
    add_str(c, cd, "type", "dataset");
    add_str(c, cd, "name", d->name);
    if (iri_ok(d->uri)) {
        cJSON *ct = add_obj(c, cd, "contents");
        add_str(c, ct, "url", d->uri);
    }
    const char *role = d->role ? d->role : "training";
    char *desc = d->has_records ? fmt(c, "%s data, %llu record%s", role,
                                      (unsigned long long)d->records, d->records == 1 ? "" : "s")
                                : fmt(c, "%s data", role);
    add_str(c, cd, "description", desc);
    free(desc);
    push(c, data, cd);
    return o;
}

/* Basename of the bundle path, percent-encoded as a relative IRI reference, or NULL. */
static char *bundle_name(cdx *c)
{
    const char *p = c->a->bundle_path;
    if (p == NULL)
        return NULL;
    const char *s = strrchr(p, '/');
    s = s != NULL ? s + 1 : p;
    if (*s == '\0')
        return NULL;
    return pct_encode(c, s, 0);
}

static cJSON *model_component(cdx *c)
{
    const ms_audit *a = c->a;
    const ms_view *v = a->view;
    cJSON *m = new_obj(c);
    if (m == NULL)
        return NULL;
    add_str(c, m, "type", "machine-learning-model");
    add_str(c, m, "bom-ref", MODEL_REF);
    add_str(c, m, "name", v->name ? v->name : "(unnamed)");
    add_str(c, m, "version", v->version);
    add_str(c, m, "description", v->description);
    if (a->author_count > 0) {
        cJSON *au = add_arr(c, m, "authors");
        for (size_t i = 0; au != NULL && i < a->author_count; i++) {
            cJSON *p = new_obj(c);
            add_str(c, p, "name", a->authors[i]);
            push(c, au, p);
        }
    }
    if (ms_is_sha256_hex(v->manifest_hex))
        add_hash(c, m, v->manifest_hex);
    add_licenses(c, m, a->licenses->declared, v->license);
    if (ms_is_sha256_hex(v->manifest_hex))
        add_purl(c, m, v->name ? v->name : "unnamed", v->manifest_hex);
    char *bn = bundle_name(c);
    if (bn != NULL)
        add_ext_ref(c, m, bn, "distribution", a->bundle_hex);
    add_model_properties(c, m);
    free(bn);
    add_ancestors(c, m);
    add_files(c, m);
    add_model_card(c, m);
    return m;
}

/* ---- the document ---- */

static void add_dependencies(cdx *c, cJSON *bom)
{
    const ms_audit *a = c->a;
    cJSON *on = cJSON_CreateArray();
    if (on == NULL) {
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < a->dataset_count; i++) {
        char *r = ref_of(c, ms_audit_dataset_parent(a, i));
        if (r != NULL)
            push(c, on, jstr(c, r));
        free(r);
    }
    for (size_t i = 0; i < a->base_count; i++) {
        if (a->bases[i].relation == NULL || strcmp(a->bases[i].relation, "adapter") != 0)
            continue;
        char *r = ref_of(c, ms_audit_base_parent(a, i));
        if (r != NULL)
            push(c, on, jstr(c, r));
        free(r);
    }
    if (on->child == NULL) {
        cJSON_Delete(on);
        return;
    }
    cJSON *arr = add_arr(c, bom, "dependencies");
    cJSON *d = new_obj(c);
    if (d == NULL) {
        cJSON_Delete(on);
        return;
    }
    add_str(c, d, "ref", MODEL_REF);
    add_item(c, d, "dependsOn", on);
    push(c, arr, d);
}

static void add_annotations(cdx *c, cJSON *bom)
{
    const ms_audit *a = c->a;
    const ms_license_picture *lp = a->licenses;
    if (lp->finding_count == 0)
        return;
    cJSON *arr = add_arr(c, bom, "annotations");
    for (size_t i = 0; arr != NULL && i < lp->finding_count; i++) {
        const ms_license_finding *f = &lp->findings[i];
        /* annotations are unique items: skip a repeat of an earlier finding */
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++) {
            const ms_license_finding *g = &lp->findings[j];
            dup = g->severity == f->severity && g->parent == f->parent &&
                  strcmp(nz(g->rule), nz(f->rule)) == 0 &&
                  strcmp(nz(g->message), nz(f->message)) == 0;
        }
        if (dup)
            continue;
        cJSON *an = new_obj(c);
        if (an == NULL)
            return;
        cJSON *subj = add_arr(c, an, "subjects");
        push(c, subj, jstr(c, MODEL_REF));
        if (f->parent != MS_NO_PARENT && f->parent < a->base_count + a->dataset_count) {
            char *r = ref_of(c, f->parent);
            if (r != NULL)
                push(c, subj, jstr(c, r));
            free(r);
        }
        cJSON *who = add_obj(c, an, "annotator");
        cJSON *tool = add_obj(c, who, "component");
        add_str(c, tool, "type", "application");
        add_str(c, tool, "name", "modelseal");
        add_str(c, tool, "version", a->tool_version);
        add_str(c, an, "timestamp", a->doc_time);
        char *text = fmt(c, "license %s [%s]: %s", nz(ms_finding_severity_name(f->severity)),
                         nz(f->rule), nz(f->message));
        add_str(c, an, "text", text);
        free(text);
        push(c, arr, an);
    }
}

static void add_metadata(cdx *c, cJSON *bom)
{
    const ms_audit *a = c->a;
    cJSON *md = add_obj(c, bom, "metadata");
    add_str(c, md, "timestamp", a->doc_time);
    cJSON *lc = add_arr(c, md, "lifecycles");
    cJSON *ph = new_obj(c);
    add_str(c, ph, "phase", "post-build");
    push(c, lc, ph);
    cJSON *tools = add_obj(c, md, "tools");
    cJSON *tc = add_arr(c, tools, "components");
    cJSON *t = new_obj(c);
    add_str(c, t, "type", "application");
    add_str(c, t, "name", "modelseal");
    add_str(c, t, "version", a->tool_version);
    push(c, tc, t);
    add_item(c, md, "component", model_component(c));
}

/*
 * serialNumber: an RFC 9562 version 8 (custom, here name-based with SHA-256)
 * UUID of the BOM's own content: the first 16 bytes of the SHA-256 of the
 * compact JSON of the BOM whose serialNumber is the all-zero placeholder,
 * with the version nibble set to 8 and the variant bits to 10.  The content
 * holds the bundle's SHA-256 and the audit time, so the serial identifies
 * this BOM of this bundle, and the same audit gives the same serial.
 */
static void set_serial(cdx *c, cJSON *bom)
{
    char *text = cJSON_PrintUnformatted(bom);
    if (text == NULL) {
        c->oom = 1;
        return;
    }
    uint8_t h[MS_SHA256_LEN];
    ms_sha256_buf(text, strlen(text), h);
    free(text);
    h[6] = (uint8_t)((h[6] & 0x0f) | 0x80);
    h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
    char hex[33];
    ms_hex_encode(h, 16, hex);
    char urn[64];
    snprintf(urn, sizeof urn, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    cJSON *s = cJSON_CreateString(urn);
    if (s == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(bom, "serialNumber", s)) {
        cJSON_Delete(s);
        c->oom = 1;
    }
}

char *ms_audit_render_cyclonedx(const ms_audit *a)
{
    if (a == NULL || a->view == NULL || a->licenses == NULL)
        return NULL;
    cdx c = {a, 0};
    cJSON *bom = new_obj(&c);
    if (bom == NULL)
        return NULL;
    add_str(&c, bom, "bomFormat", "CycloneDX");
    add_str(&c, bom, "specVersion", "1.6");
    add_str(&c, bom, "serialNumber", SERIAL_PLACEHOLDER);
    add_item(&c, bom, "version", cJSON_CreateNumber(1));
    add_metadata(&c, bom);
    if (a->dataset_count > 0) {
        cJSON *comps = add_arr(&c, bom, "components");
        for (size_t i = 0; comps != NULL && i < a->dataset_count; i++)
            push(&c, comps, data_component(&c, i));
    }
    add_dependencies(&c, bom);
    add_annotations(&c, bom);
    if (!c.oom)
        set_serial(&c, bom);
    char *s = c.oom ? NULL : ms_json_print_pretty(bom);
    cJSON_Delete(bom);
    return s;
}
