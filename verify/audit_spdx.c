/*
 * SPDX 3.0.1 JSON-LD export of an audit (docs/audit.md, "SPDX 3.0.1 export").
 *
 * One document, one "@graph": a CreationInfo blank node, the modelseal
 * SoftwareAgent (createdBy) and Tool (createdUsing), the SpdxDocument whose
 * root element is the model, the model as an ai_AIPackage with its files
 * (software_File), its authors (Agent), each base model (ai_AIPackage) and
 * dataset (dataset_DatasetPackage), one simplelicensing_LicenseExpression per
 * distinct canonical expression, the relationships (contains, trainedOn,
 * testedOn, ancestorOf, and exactly one hasDeclaredLicense and one
 * hasConcludedLicense per package), and one Annotation per license finding.
 *
 * Identifiers are IRIs under "urn:modelseal:bundle:sha256:<bundle hex>",
 * numbered in the order of the audit, so the same audit gives the same
 * bytes.  Text from the bundle is copied whole (never truncated); cJSON
 * escapes it, and a string that is not well-formed UTF-8 (the view refuses
 * such documents, so only a hand-made audit has one) gets U+FFFD for each
 * ill-formed byte so the output stays valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/json.h"
#include "core/oci.h"
#include "core/text.h"
#include "policy/spdx.h"
#include "verify/audit.h"

#define SPDX_CONTEXT "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
#define SPDX_VERSION "3.0.1"
#define CREATION_INFO "_:creationinfo"
/* The SPDX individual for "no assertion" as a license (compact JSON-LD term of
 * https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense). */
#define NOASSERTION_LICENSE "expandedlicensing_NoAssertionLicense"

typedef struct spdx_doc {
    const ms_audit *a;
    char ns[128];          /* "urn:modelseal:bundle:sha256:<hex>" */
    cJSON *graph;          /* the document's "@graph" */
    cJSON *licenses;       /* LicenseExpression elements, appended after the packages */
    cJSON *relationships;  /* Relationship elements */
    cJSON *annotations;    /* Annotation elements */
    size_t rel_count;
    int bad;               /* out of memory somewhere */
} spdx_doc;

/* ---- text helpers ---- */

/* A growable string; bad on allocation failure. */
typedef struct tbuf {
    char *p;
    size_t n, cap;
    int bad;
} tbuf;

static void tb_put(tbuf *b, const char *s, size_t len)
{
    if (b->bad)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (q == NULL) {
            b->bad = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void tb_str(tbuf *b, const char *s)
{
    tb_put(b, s, strlen(s));
}

static void tb_u64(tbuf *b, unsigned long long v)
{
    char num[32];
    int k = snprintf(num, sizeof num, "%llu", v);
    tb_put(b, num, (size_t)k);
}

static void tb_free(tbuf *b)
{
    free(b->p);
    *b = (tbuf){0};
}

/* Untrusted text as a JSON string: copied whole; each ill-formed UTF-8 byte
 * becomes U+FFFD (cJSON escapes quotes, backslashes and control bytes). */
static cJSON *text_item(const char *s)
{
    if (ms_utf8_valid(s))
        return cJSON_CreateString(s);
    tbuf b = {0};
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t l = ms_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (l == 0) {
            tb_str(&b, "\xef\xbf\xbd");
            i++;
        } else {
            tb_put(&b, s + i, l);
            i += l;
        }
    }
    cJSON *item = b.bad ? NULL : cJSON_CreateString(b.p != NULL ? b.p : "");
    tb_free(&b);
    return item;
}

static void add_item(spdx_doc *d, cJSON *o, const char *key, cJSON *item)
{
    if (item == NULL || o == NULL) {
        cJSON_Delete(item);
        d->bad = 1;
        return;
    }
    cJSON_AddItemToObject(o, key, item);
}

static void add_text(spdx_doc *d, cJSON *o, const char *key, const char *s)
{
    if (s != NULL)
        add_item(d, o, key, text_item(s));
}

static void add_str(spdx_doc *d, cJSON *o, const char *key, const char *s)
{
    add_item(d, o, key, cJSON_CreateString(s));
}

static void append(spdx_doc *d, cJSON *arr, cJSON *item)
{
    if (item == NULL || arr == NULL) {
        cJSON_Delete(item);
        d->bad = 1;
        return;
    }
    cJSON_AddItemToArray(arr, item);
}

static cJSON *add_array(spdx_doc *d, cJSON *o, const char *key)
{
    cJSON *arr = cJSON_CreateArray();
    add_item(d, o, key, arr);
    return d->bad ? NULL : arr;
}

/* The comment item of a tbuf (which it frees), when it holds text. */
static void add_comment(spdx_doc *d, cJSON *o, tbuf *b)
{
    if (b->bad)
        d->bad = 1;
    else if (b->n > 0)
        add_text(d, o, "comment", b->p);
    tb_free(b);
}

/* 1 when s is "sha256:" and 64 lower-case hex digits; *hex points at the digits. */
static int sha256_digest(const char *s, const char **hex)
{
    if (s == NULL || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + MS_SHA256_HEX_LEN)
        return 0;
    for (size_t i = 7; i < 7 + MS_SHA256_HEX_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    *hex = s + 7;
    return 1;
}

/* 1 when t is exactly "YYYY-MM-DDTHH:MM:SSZ" (the only form SPDX 3 DateTime allows). */
static int spdx_datetime(const char *t)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
    if (t == NULL || strlen(t) != sizeof pat - 1)
        return 0;
    for (size_t i = 0; i < sizeof pat - 1; i++) {
        if (pat[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != pat[i])
            return 0;
    }
    return 1;
}

/* A modelseal model name (docs/spec-file.md): 1-128 of a-z 0-9 . _ -, first a letter or digit.
 * Only such a name goes into a purl unencoded; the oci purl type wants lower case. */
static int purl_name_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

/* "pkg:oci/NAME@sha256%3A<hex>" into buf, or 0 when NAME cannot be used as is. */
static int oci_purl(const char *name, const char *hex, char *buf, size_t cap)
{
    if (!purl_name_ok(name))
        return 0;
    int k = snprintf(buf, cap, "pkg:oci/%s@sha256%%3A%s", name, hex);
    return k > 0 && (size_t)k < cap;
}

/* ---- elements ---- */

static void make_id(const spdx_doc *d, const char *frag, size_t idx, int numbered, char *buf,
                    size_t cap)
{
    if (numbered)
        snprintf(buf, cap, "%s#%s-%zu", d->ns, frag, idx);
    else
        snprintf(buf, cap, "%s#%s", d->ns, frag);
}

/* A new element of type `type` with the id `id`, appended to arr. */
static cJSON *element(spdx_doc *d, cJSON *arr, const char *type, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) {
        d->bad = 1;
        return NULL;
    }
    add_str(d, o, "type", type);
    add_str(d, o, "spdxId", id);
    add_str(d, o, "creationInfo", CREATION_INFO);
    append(d, arr, o);
    return d->bad ? NULL : o;
}

static cJSON *sha256_hash(spdx_doc *d, const char *hex, const char *comment)
{
    cJSON *h = cJSON_CreateObject();
    if (h == NULL) {
        d->bad = 1;
        return NULL;
    }
    add_str(d, h, "type", "Hash");
    add_str(d, h, "algorithm", "sha256");
    add_str(d, h, "hashValue", hex);
    if (comment != NULL)
        add_str(d, h, "comment", comment);
    return h;
}

static void verified_using(spdx_doc *d, cJSON *o, const char *hex, const char *comment)
{
    cJSON *arr = add_array(d, o, "verifiedUsing");
    append(d, arr, sha256_hash(d, hex, comment));
}

/* A Relationship from -> to[0..nto) of type `type`; returns it for a comment. */
static cJSON *relationship(spdx_doc *d, const char *from, const char *type,
                           const char *const *to, size_t nto)
{
    char id[192];
    make_id(d, "relationship", d->rel_count++, 1, id, sizeof id);
    cJSON *r = element(d, d->relationships, "Relationship", id);
    if (r == NULL)
        return NULL;
    add_str(d, r, "from", from);
    add_str(d, r, "relationshipType", type);
    cJSON *arr = add_array(d, r, "to");
    for (size_t i = 0; arr != NULL && i < nto; i++)
        append(d, arr, cJSON_CreateString(to[i]));
    return r;
}

static cJSON *relationship1(spdx_doc *d, const char *from, const char *type, const char *to)
{
    return relationship(d, from, type, &to, 1);
}

/* Each built-in LicenseRef- of a canonical expression (tokens are separated by
 * spaces and parentheses) mapped to the URL of its text. */
static void custom_ids(spdx_doc *d, cJSON *lic, const char *expr)
{
    cJSON *map = NULL;
    const char *seen[64];
    size_t nseen = 0;
    for (const char *p = expr; *p;) {
        size_t n = strcspn(p, " ()");
        if (n > 11 && strncmp(p, "LicenseRef-", 11) == 0 && n < 256) {
            char tok[256];
            memcpy(tok, p, n);
            tok[n] = '\0';
            const ms_spdx_ref_info *ri = ms_spdx_ref_lookup(tok);
            int dup = 0;
            for (size_t i = 0; ri != NULL && i < nseen; i++)
                dup |= seen[i] == ri->id;
            if (ri != NULL && !dup && nseen < sizeof seen / sizeof seen[0]) {
                seen[nseen++] = ri->id;
                if (map == NULL)
                    map = add_array(d, lic, "simplelicensing_customIdToUri");
                cJSON *e = cJSON_CreateObject();
                if (e != NULL) {
                    add_str(d, e, "type", "DictionaryEntry");
                    add_str(d, e, "key", ri->id);
                    add_str(d, e, "value", ri->url);
                }
                append(d, map, e);
            }
        }
        p += n;
        p += strspn(p, " ()");
    }
}

/* The id of the LicenseExpression element for a canonical expression (created
 * on first use, one per distinct text), or the NoAssertionLicense individual
 * for NULL.  buf receives the id. */
static const char *license_ref(spdx_doc *d, const char *expr, char *buf, size_t cap)
{
    if (expr == NULL)
        return NOASSERTION_LICENSE;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, d->licenses)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "simplelicensing_licenseExpression");
        if (cJSON_IsString(t) && strcmp(t->valuestring, expr) == 0) {
            make_id(d, "license", i, 1, buf, cap);
            return buf;
        }
        i++;
    }
    make_id(d, "license", i, 1, buf, cap);
    cJSON *lic = element(d, d->licenses, "simplelicensing_LicenseExpression", buf);
    if (lic != NULL) {
        add_text(d, lic, "simplelicensing_licenseExpression", expr);
        add_str(d, lic, "simplelicensing_licenseListVersion", ms_spdx_list_version());
        custom_ids(d, lic, expr);
    }
    return buf;
}

/* The package's one hasDeclaredLicense and one hasConcludedLicense. recorded:
 * the license text as recorded in the bundle (or NULL); canonical: its
 * canonical form (NULL when absent or not a valid expression). */
static void license_pair(spdx_doc *d, const char *pkg, const char *recorded, const char *canonical,
                         const char *concluded, const char *concluded_comment)
{
    char buf[192];
    tbuf c = {0};
    cJSON *r = relationship1(d, pkg, "hasDeclaredLicense", license_ref(d, canonical, buf, sizeof buf));
    if (recorded == NULL) {
        tb_str(&c, "No license is recorded in the bundle.");
    } else if (canonical == NULL) {
        tb_str(&c, "The recorded license '");
        tb_str(&c, recorded);
        tb_str(&c, "' is not a valid SPDX license expression.");
    } else if (strcmp(recorded, canonical) != 0) {
        tb_str(&c, "Recorded as '");
        tb_str(&c, recorded);
        tb_str(&c, "'; canonical form.");
    }
    if (r != NULL)
        add_comment(d, r, &c);
    else
        tb_free(&c);
    r = relationship1(d, pkg, "hasConcludedLicense", license_ref(d, concluded, buf, sizeof buf));
    if (r != NULL && concluded_comment != NULL)
        add_str(d, r, "comment", concluded_comment);
}

/* ---- the model ---- */

static const char *file_purpose(const char *media_type)
{
    if (media_type == NULL)
        return NULL;
    if (strcmp(media_type, MS_MT_MODEL_WEIGHT) == 0)
        return "model";
    if (strcmp(media_type, MS_MT_MODEL_WEIGHT_CONFIG) == 0)
        return "configuration";
    if (strcmp(media_type, MS_MT_MODEL_DOC) == 0)
        return "documentation";
    if (strcmp(media_type, MS_MT_MODEL_CODE) == 0)
        return "source";
    return NULL;
}

/* A media type SPDX accepts as contentType: "x/y", neither part empty nor holding '/'. */
static int content_type_ok(const char *s)
{
    const char *slash = s != NULL ? strchr(s, '/') : NULL;
    return slash != NULL && slash != s && slash[1] != '\0' && strchr(slash + 1, '/') == NULL;
}

static const char *parent_label(const ms_audit *a, size_t p)
{
    return p < a->base_count ? "base model" : "dataset";
}

static const char *parent_name(const ms_audit *a, size_t p)
{
    return p < a->base_count ? a->bases[p].name : a->datasets[p - a->base_count].name;
}

static void tb_parent(tbuf *b, const ms_audit *a, size_t p)
{
    tb_str(b, parent_label(a, p));
    tb_str(b, " '");
    tb_str(b, parent_name(a, p));
    tb_str(b, "'");
}

/* The license picture, signatures and compression as the model's comment. */
static void model_comment(spdx_doc *d, cJSON *model)
{
    const ms_audit *a = d->a;
    const ms_license_picture *lp = a->licenses;
    tbuf c = {0};
    tb_str(&c, "Audited by modelseal. Declared license: ");
    tb_str(&c, lp != NULL && lp->declared ? lp->declared : "NOASSERTION");
    tb_str(&c, "; concluded license: ");
    tb_str(&c, lp != NULL && lp->concluded ? lp->concluded : "NOASSERTION");
    tb_str(&c, ".");
    if (lp != NULL) {
        tb_str(&c, " License findings: ");
        tb_u64(&c, lp->conflict_count);
        tb_str(&c, lp->conflict_count == 1 ? " conflict, " : " conflicts, ");
        tb_u64(&c, lp->warning_count);
        tb_str(&c, lp->warning_count == 1 ? " warning, " : " warnings, ");
        size_t notes = lp->finding_count - lp->conflict_count - lp->warning_count;
        tb_u64(&c, notes);
        tb_str(&c, notes == 1 ? " note" : " notes");
        tb_str(&c, lp->finding_count > 0 ? " (one Annotation each)." : ".");
        for (size_t i = 0; i < lp->inherited_count; i++) {
            const ms_license_inherited *h = &lp->inherited[i];
            tb_str(&c, i == 0 ? "\nInherited conditions: " : "; ");
            tb_str(&c, h->condition);
            tb_str(&c, " from ");
            tb_parent(&c, a, h->parent);
            tb_str(&c, " (");
            tb_str(&c, h->license);
            tb_str(&c, ")");
        }
        if (lp->inherited_count > 0)
            tb_str(&c, ".");
        for (size_t i = 0; i < lp->attribution_count; i++) {
            const ms_license_attribution *t = &lp->attributions[i];
            tb_str(&c, i == 0 ? "\nAttribution owed to: " : "; ");
            tb_parent(&c, a, t->parent);
            tb_str(&c, " (");
            tb_str(&c, t->license);
            tb_str(&c, ")");
        }
        if (lp->attribution_count > 0)
            tb_str(&c, ".");
    }
    tb_str(&c, "\nSignatures: ");
    tb_u64(&c, a->signer_count);
    if (a->signatures_checked) {
        size_t valid = 0;
        for (size_t i = 0; i < a->signer_count; i++)
            valid += a->signers[i].valid != 0;
        tb_str(&c, ", verified against a trust set: ");
        tb_u64(&c, valid);
        tb_str(&c, " valid by a trusted key.");
    } else {
        tb_str(&c, ", not verified by this audit.");
    }
    const cJSON *comp = a->view->compression;
    if (comp != NULL) {
        /* Scheme names and how many tensors use each, in order of first use. */
        const char *names[16];
        size_t counts[16], k = 0, others = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(comp, "tensors"))
        {
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(t, "scheme");
            if (!cJSON_IsString(sc))
                continue;
            size_t i = 0;
            while (i < k && strcmp(names[i], sc->valuestring) != 0)
                i++;
            if (i == k) {
                if (k == 16) {
                    others++;
                    continue;
                }
                names[k] = sc->valuestring;
                counts[k++] = 0;
            }
            counts[i]++;
        }
        tb_str(&c, "\nCompression: weights stored compressed (tensors by scheme: ");
        for (size_t i = 0; i < k; i++) {
            if (i > 0)
                tb_str(&c, ", ");
            tb_str(&c, names[i]);
            tb_str(&c, " x");
            tb_u64(&c, counts[i]);
        }
        if (k == 0)
            tb_str(&c, "none listed");
        if (others > 0) {
            tb_str(&c, ", and ");
            tb_u64(&c, others);
            tb_str(&c, " tensors in further schemes");
        }
        tb_str(&c, "); the bundle carries a fidelity report");
        tb_str(&c, a->view->has_probes_layer ? " and integrity probes." : ".");
    }
    add_comment(d, model, &c);
}

static void add_model(spdx_doc *d, const char *model_id)
{
    const ms_audit *a = d->a;
    const ms_view *v = a->view;
    cJSON *m = element(d, d->graph, "ai_AIPackage", model_id);
    if (m == NULL)
        return;
    add_text(d, m, "name", v->name);
    add_text(d, m, "description", v->description);
    model_comment(d, m);

    char comment[96], bundle_digest[80];
    const char *bundle_hex = NULL;
    snprintf(bundle_digest, sizeof bundle_digest, "sha256:%s", a->bundle_hex);
    if (sha256_digest(bundle_digest, &bundle_hex)) {
        snprintf(comment, sizeof comment, "SHA-256 of the bundle file (%llu bytes)",
                 (unsigned long long)a->bundle_size);
        verified_using(d, m, bundle_hex, comment);
    }

    char digest[80];
    snprintf(digest, sizeof digest, "sha256:%s", v->manifest_hex);
    cJSON *ids = add_array(d, m, "externalIdentifier");
    cJSON *ei = cJSON_CreateObject();
    if (ei != NULL) {
        add_str(d, ei, "type", "ExternalIdentifier");
        add_str(d, ei, "externalIdentifierType", "other");
        add_str(d, ei, "identifier", digest);
        add_str(d, ei, "comment",
                "model manifest digest: the digest of the bundle's OCI image manifest, which "
                "names every model file; unchanged by co-signing");
    }
    append(d, ids, ei);

    if (a->author_count > 0) {
        cJSON *orig = add_array(d, m, "originatedBy");
        for (size_t i = 0; orig != NULL && i < a->author_count; i++) {
            char id[192];
            make_id(d, "author", i, 1, id, sizeof id);
            append(d, orig, cJSON_CreateString(id));
        }
    }
    if (spdx_datetime(a->created))
        add_str(d, m, "builtTime", a->created);
    add_text(d, m, "software_packageVersion", v->version);
    char purl[256];
    if (oci_purl(v->name, v->manifest_hex, purl, sizeof purl))
        add_str(d, m, "software_packageUrl", purl);
    add_str(d, m, "software_primaryPurpose", "model");
    if (a->intended_use != NULL || a->out_of_scope_use != NULL) {
        tbuf c = {0};
        if (a->intended_use != NULL) {
            tb_str(&c, "Intended use: ");
            tb_str(&c, a->intended_use);
        }
        if (a->out_of_scope_use != NULL) {
            tb_str(&c, c.n > 0 ? "\nOut-of-scope use: " : "Out-of-scope use: ");
            tb_str(&c, a->out_of_scope_use);
        }
        if (c.bad)
            d->bad = 1;
        else
            add_text(d, m, "ai_informationAboutApplication", c.p);
        tb_free(&c);
    }
    add_text(d, m, "ai_limitation", a->limitations);
}

static void add_files(spdx_doc *d, const char *model_id)
{
    const ms_view *v = d->a->view;
    if (v->file_count == 0)
        return;
    char **ids = calloc(v->file_count, sizeof *ids);
    if (ids == NULL) {
        d->bad = 1;
        return;
    }
    for (size_t i = 0; i < v->file_count; i++) {
        const ms_view_file *f = &v->files[i];
        char id[192];
        make_id(d, "file", i, 1, id, sizeof id);
        ids[i] = strdup(id);
        if (ids[i] == NULL)
            d->bad = 1;
        cJSON *o = element(d, d->graph, "software_File", id);
        if (o == NULL)
            continue;
        add_text(d, o, "name", f->filepath != NULL ? f->filepath : "");
        char comment[64];
        snprintf(comment, sizeof comment, "%llu bytes", (unsigned long long)f->size);
        add_str(d, o, "comment", comment);
        verified_using(d, o, f->hex, NULL);
        if (file_purpose(f->media_type) != NULL)
            add_str(d, o, "software_primaryPurpose", file_purpose(f->media_type));
        if (content_type_ok(f->media_type) && ms_utf8_valid(f->media_type))
            add_str(d, o, "contentType", f->media_type);
        add_str(d, o, "software_fileKind", "file");
    }
    if (!d->bad) {
        cJSON *r = relationship(d, model_id, "contains", (const char *const *)ids, v->file_count);
        if (r != NULL)
            add_str(d, r, "comment", "the model files named by the model manifest");
    }
    for (size_t i = 0; i < v->file_count; i++)
        free(ids[i]);
    free(ids);
}

static void add_authors(spdx_doc *d)
{
    for (size_t i = 0; i < d->a->author_count; i++) {
        char id[192];
        make_id(d, "author", i, 1, id, sizeof id);
        cJSON *o = element(d, d->graph, "Agent", id);
        if (o == NULL)
            return;
        add_text(d, o, "name", d->a->authors[i]);
        add_str(d, o, "comment", "an author as recorded in the bundle's metadata "
                                 "(a person or an organization: the bundle does not say)");
    }
}

static const char *relation_sentence(const char *rel)
{
    if (rel == NULL)
        return "relation not recorded";
    if (strcmp(rel, "finetune") == 0)
        return "relation finetune: the model is a fine-tune of this base model";
    if (strcmp(rel, "quantized") == 0)
        return "relation quantized: the model is a quantized copy of this base model";
    if (strcmp(rel, "merge") == 0)
        return "relation merge: the model merges this base model with others";
    if (strcmp(rel, "adapter") == 0)
        return "relation adapter: the model is an adapter trained on top of this base model";
    if (strcmp(rel, "distilled") == 0)
        return "relation distilled: the model was distilled from this base model";
    return NULL;
}

static const char *PARENT_CONCLUDED =
    "NoAssertion: modelseal does not audit base models and datasets themselves; their "
    "declared license is the one recorded in this bundle's lineage";

static void add_bases(spdx_doc *d, const char *model_id)
{
    const ms_audit *a = d->a;
    const ms_license_picture *lp = a->licenses;
    for (size_t i = 0; i < a->base_count; i++) {
        const ms_audit_base *b = &a->bases[i];
        char id[192];
        make_id(d, "base", i, 1, id, sizeof id);
        cJSON *o = element(d, d->graph, "ai_AIPackage", id);
        if (o == NULL)
            return;
        add_text(d, o, "name", b->name);
        const char *hex = NULL;
        tbuf c = {0};
        tb_str(&c, "Base model recorded in the bundle's lineage (");
        const char *rs = relation_sentence(b->relation);
        if (rs != NULL) {
            tb_str(&c, rs);
        } else {
            tb_str(&c, "relation '");
            tb_str(&c, b->relation);
            tb_str(&c, "', not one modelseal knows");
        }
        tb_str(&c, ").");
        if (b->digest == NULL)
            tb_str(&c, " No digest is recorded: the lineage entry is a claim that cannot be "
                       "checked.");
        else if (!sha256_digest(b->digest, &hex)) {
            tb_str(&c, " The recorded digest '");
            tb_str(&c, b->digest);
            tb_str(&c, "' is not sha256:<64 hex digits> and is not exported.");
        }
        add_comment(d, o, &c);
        if (hex != NULL) {
            verified_using(d, o, hex,
                           "model manifest digest of the base model (the digest of its OCI "
                           "image manifest), as recorded at packing");
        }
        add_text(d, o, "software_downloadLocation", b->uri);
        char purl[256];
        if (hex != NULL && oci_purl(b->name, hex, purl, sizeof purl))
            add_str(d, o, "software_packageUrl", purl);
        add_str(d, o, "software_primaryPurpose", "model");

        size_t p = ms_audit_base_parent(a, i);
        license_pair(d, id, b->license, lp != NULL ? lp->parent_canonical[p] : NULL, NULL,
                     PARENT_CONCLUDED);
        cJSON *r = relationship1(d, id, "ancestorOf", model_id);
        if (r != NULL) {
            tbuf rc = {0};
            tb_str(&rc, "base model of the audited model; ");
            if (rs != NULL) {
                tb_str(&rc, rs);
            } else {
                tb_str(&rc, "recorded relation '");
                tb_str(&rc, b->relation);
                tb_str(&rc, "'");
            }
            add_comment(d, r, &rc);
        }
    }
}

static void add_datasets(spdx_doc *d, const char *model_id)
{
    const ms_audit *a = d->a;
    const ms_license_picture *lp = a->licenses;
    for (size_t i = 0; i < a->dataset_count; i++) {
        const ms_audit_dataset *ds = &a->datasets[i];
        char id[192];
        make_id(d, "dataset", i, 1, id, sizeof id);
        cJSON *o = element(d, d->graph, "dataset_DatasetPackage", id);
        if (o == NULL)
            return;
        add_text(d, o, "name", ds->name);
        const char *role = ds->role != NULL ? ds->role : "";
        int training = strcmp(role, "training") == 0, evaluation = strcmp(role, "evaluation") == 0,
            calibration = strcmp(role, "calibration") == 0;
        const char *hex = NULL;
        tbuf c = {0};
        tb_str(&c, "Dataset recorded in the bundle's lineage, role '");
        tb_str(&c, role);
        tb_str(&c, "'");
        if (ds->has_records) {
            tb_str(&c, ", ");
            tb_u64(&c, ds->records);
            tb_str(&c, " records used in this role");
        }
        tb_str(&c, ".");
        if (ds->digest == NULL)
            tb_str(&c, " No digest is recorded: the lineage entry is a claim that cannot be "
                       "checked.");
        else if (!sha256_digest(ds->digest, &hex)) {
            tb_str(&c, " The recorded digest '");
            tb_str(&c, ds->digest);
            tb_str(&c, "' is not sha256:<64 hex digits> and is not exported.");
        }
        add_comment(d, o, &c);
        if (hex != NULL)
            verified_using(d, o, hex,
                           "SHA-256 of the data as recorded at packing (for a directory: of "
                           "its sorted sha256sum listing)");
        add_text(d, o, "software_downloadLocation", ds->uri);
        add_str(d, o, "software_primaryPurpose", "data");
        cJSON *types = add_array(d, o, "dataset_datasetType");
        append(d, types, cJSON_CreateString("noAssertion"));

        size_t p = ms_audit_dataset_parent(a, i);
        license_pair(d, id, ds->license, lp != NULL ? lp->parent_canonical[p] : NULL, NULL,
                     PARENT_CONCLUDED);
        cJSON *r = relationship1(d, model_id, evaluation ? "testedOn" : "trainedOn", id);
        if (r != NULL && !training && !evaluation) {
            if (calibration) {
                add_str(d, r, "comment",
                        "calibration data: used to compute the quantization parameters of the "
                        "stored weights, not for gradient training; SPDX 3.0.1 has no "
                        "calibratedOn, and the data shapes the weights, so trainedOn");
            } else {
                tbuf rc = {0};
                tb_str(&rc, "recorded role '");
                tb_str(&rc, role);
                tb_str(&rc, "' is not one modelseal knows; treated as training, as the license "
                            "audit does");
                add_comment(d, r, &rc);
            }
        }
    }
}

static void add_findings(spdx_doc *d, const char *model_id)
{
    const ms_audit *a = d->a;
    const ms_license_picture *lp = a->licenses;
    for (size_t i = 0; lp != NULL && i < lp->finding_count; i++) {
        const ms_license_finding *f = &lp->findings[i];
        char id[192];
        make_id(d, "finding", i, 1, id, sizeof id);
        cJSON *o = element(d, d->annotations, "Annotation", id);
        if (o == NULL)
            return;
        add_str(d, o, "annotationType", f->severity == MS_FINDING_NOTE ? "other" : "review");
        add_str(d, o, "subject", model_id);
        tbuf s = {0};
        tb_str(&s, "license ");
        tb_str(&s, ms_finding_severity_name(f->severity));
        tb_str(&s, " [");
        tb_str(&s, f->rule);
        tb_str(&s, "]");
        if (f->parent != MS_NO_PARENT && f->parent < a->base_count + a->dataset_count) {
            tb_str(&s, " (");
            tb_parent(&s, a, f->parent);
            tb_str(&s, ")");
        }
        tb_str(&s, ": ");
        tb_str(&s, f->message != NULL ? f->message : "");
        if (s.bad)
            d->bad = 1;
        else
            add_text(d, o, "statement", s.p);
        tb_free(&s);
    }
}

/* ---- the document ---- */

static char *finish(cJSON *doc)
{
    char *s = ms_json_print_pretty(doc);
    cJSON_Delete(doc);
    return s;
}

static void move_all(spdx_doc *d, cJSON *from)
{
    cJSON *e;
    while (from != NULL && (e = cJSON_DetachItemFromArray(from, 0)) != NULL)
        cJSON_AddItemToArray(d->graph, e);
}

char *ms_audit_render_spdx(const ms_audit *a)
{
    if (a == NULL || a->view == NULL)
        return NULL;
    const ms_view *v = a->view;
    spdx_doc d = {.a = a};
    snprintf(d.ns, sizeof d.ns, "urn:modelseal:bundle:sha256:%s",
             a->bundle_hex[0] ? a->bundle_hex : v->manifest_hex);
    cJSON *doc = cJSON_CreateObject();
    d.licenses = cJSON_CreateArray();
    d.relationships = cJSON_CreateArray();
    d.annotations = cJSON_CreateArray();
    if (doc == NULL || d.licenses == NULL || d.relationships == NULL || d.annotations == NULL)
        goto fail;
    add_str(&d, doc, "@context", SPDX_CONTEXT);
    d.graph = add_array(&d, doc, "@graph");
    if (d.graph == NULL)
        goto fail;

    char agent_id[192], tool_id[192], doc_id[192], model_id[192];
    make_id(&d, "modelseal-agent", 0, 0, agent_id, sizeof agent_id);
    make_id(&d, "modelseal-tool", 0, 0, tool_id, sizeof tool_id);
    make_id(&d, "document", 0, 0, doc_id, sizeof doc_id);
    make_id(&d, "model", 0, 0, model_id, sizeof model_id);
    char tool_name[64];
    snprintf(tool_name, sizeof tool_name, "modelseal %s",
             a->tool_version != NULL ? a->tool_version : ms_version());

    cJSON *ci = cJSON_CreateObject();
    append(&d, d.graph, ci);
    if (d.bad)
        goto fail;
    add_str(&d, ci, "type", "CreationInfo");
    add_str(&d, ci, "@id", CREATION_INFO);
    add_str(&d, ci, "created", a->doc_time);
    append(&d, add_array(&d, ci, "createdBy"), cJSON_CreateString(agent_id));
    append(&d, add_array(&d, ci, "createdUsing"), cJSON_CreateString(tool_id));
    add_str(&d, ci, "specVersion", SPDX_VERSION);
    add_str(&d, ci, "comment",
            "written by modelseal audit from one bundle; lineage and licenses of base models "
            "and datasets are as recorded in the bundle's metadata");

    cJSON *agent = element(&d, d.graph, "SoftwareAgent", agent_id);
    add_str(&d, agent, "name", tool_name);
    cJSON *tool = element(&d, d.graph, "Tool", tool_id);
    add_str(&d, tool, "name", tool_name);

    cJSON *sdoc = element(&d, d.graph, "SpdxDocument", doc_id);
    if (sdoc == NULL)
        goto fail;
    {
        tbuf n = {0};
        tb_str(&n, "modelseal audit of ");
        tb_str(&n, v->name != NULL ? v->name : "");
        tb_str(&n, " ");
        tb_str(&n, v->version != NULL ? v->version : "");
        if (n.bad)
            d.bad = 1;
        else
            add_text(&d, sdoc, "name", n.p);
        tb_free(&n);
    }
    static const char *const profiles[] = {"core", "software", "ai", "dataset", "simpleLicensing"};
    cJSON *pc = add_array(&d, sdoc, "profileConformance");
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        append(&d, pc, cJSON_CreateString(profiles[i]));
    append(&d, add_array(&d, sdoc, "rootElement"), cJSON_CreateString(model_id));

    add_model(&d, model_id);
    add_files(&d, model_id);
    add_authors(&d);
    const ms_license_picture *lp = a->licenses;
    license_pair(&d, model_id, v->license, lp != NULL ? lp->declared : NULL,
                 lp != NULL ? lp->concluded : NULL,
                 lp != NULL && lp->concluded != NULL
                     ? "concluded by modelseal's license propagation from the declared license "
                       "and the licenses recorded for the base models and datasets"
                     : "NoAssertion: modelseal's license propagation could not conclude a "
                       "license (see the license findings)");
    add_bases(&d, model_id);
    add_datasets(&d, model_id);
    add_findings(&d, model_id);
    if (d.bad)
        goto fail;
    move_all(&d, d.licenses);
    move_all(&d, d.relationships);
    move_all(&d, d.annotations);

    /* Every element but the document itself belongs to it. */
    cJSON *members = add_array(&d, sdoc, "element");
    const cJSON *e;
    cJSON_ArrayForEach(e, d.graph)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "spdxId");
        if (cJSON_IsString(id) && e != sdoc)
            append(&d, members, cJSON_CreateString(id->valuestring));
    }
    if (d.bad)
        goto fail;
    cJSON_Delete(d.licenses);
    cJSON_Delete(d.relationships);
    cJSON_Delete(d.annotations);
    return finish(doc);

fail:
    cJSON_Delete(doc);
    cJSON_Delete(d.licenses);
    cJSON_Delete(d.relationships);
    cJSON_Delete(d.annotations);
    return NULL;
}
