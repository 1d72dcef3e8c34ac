/*
 * Structural verification of a bundle: archive entries, blob digests, the
 * manifest graph, the ModelPack config and modelseal metadata.  Every
 * problem becomes a failed check; reading continues so the report lists
 * them all.  Documents whose blob fails its digest are not parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/progress.h"
#include "modelseal/bundle.h"
#include "verify/probecheck.h"
#include "verify/view.h"

void ms_view_free(ms_view *v)
{
    if (v == NULL)
        return;
    cJSON_Delete(v->index);
    cJSON_Delete(v->manifest);
    cJSON_Delete(v->config);
    cJSON_Delete(v->metadata);
    cJSON_Delete(v->sigmanifest);
    cJSON_Delete(v->compression);
    for (size_t i = 0; i < v->envelope_count; i++)
        ms_dsse_free(v->envelopes[i].env);
    free(v->envelopes);
    free(v->files);
    ms_layout_free(v->layout);
    free(v);
}

/* Resolve a descriptor to its blob, checking presence, size and digest. */
static ms_blob *resolve(const ms_view *v, const ms_descriptor *d, const char *what, ms_report *r)
{
    ms_blob *b = ms_layout_find(v->layout, d->hex);
    if (b == NULL) {
        ms_report_check(r, "descriptor", 0, "%s: blob sha256:%s is missing from the bundle", what,
                        d->hex);
        return NULL;
    }
    b->referenced = 1;
    if (b->size != d->size) {
        ms_report_check(r, "descriptor", 0,
                        "%s: blob sha256:%s is %llu bytes but its descriptor says %llu", what,
                        d->hex, (unsigned long long)b->size, (unsigned long long)d->size);
        return NULL;
    }
    if (b->hashed && !b->digest_ok)
        return NULL; /* reported once by the digest pass */
    return b;
}

/* Parse a retained JSON blob. */
static cJSON *blob_json(const ms_view *v, const ms_descriptor *d, const char *what, ms_report *r)
{
    ms_blob *b = resolve(v, d, what, r);
    if (b == NULL)
        return NULL;
    if (b->data == NULL || b->size > MS_OCI_MAX_DOCUMENT) {
        if (b->size > MS_OCI_MAX_DOCUMENT)
            ms_report_check(r, "document", 0, "%s: %llu bytes is over the %u-byte document "
                            "limit", what, (unsigned long long)b->size, MS_OCI_MAX_DOCUMENT);
        else
            ms_report_check(r, "document", 0, "%s: blob sha256:%s comes before the manifest "
                            "that references it (documents must follow their manifest in the "
                            "archive)", what, b->hex);
        return NULL;
    }
    cJSON *j = NULL;
    ms_error e;
    if (ms_json_parse((const char *)b->data, b->size, what, &j, &e) != MS_OK) {
        ms_report_check(r, "document", 0, "%s", e.message);
        return NULL;
    }
    return j;
}

static const char *str_field(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * The lineage part of the metadata (schemas/metadata-v1.schema.json): the
 * right types, known relations and roles, digests as "sha256:<64 lower-case
 * hex>", bounded counts.  Audit and --verify-parents read these fields, so a
 * bundle whose lineage does not follow the schema is refused rather than
 * half-read.  Unknown members are ignored, as everywhere (bundle-format.md
 * section 6.2: a minor format version may add optional members).  Returns 1
 * when it holds.
 */
#define MS_LINEAGE_MAX_ENTRIES 1024
#define MS_LINEAGE_MAX_TEXT 65536

static int lineage_text(ms_report *r, const cJSON *o, const char *key, const char *at, int need)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    if (f == NULL) {
        if (need)
            return ms_report_check(r, "metadata", 0, "metadata: %s: missing field '%s'", at, key);
        return 1;
    }
    if (!cJSON_IsString(f) || f->valuestring[0] == '\0' ||
        strlen(f->valuestring) > MS_LINEAGE_MAX_TEXT)
        return ms_report_check(r, "metadata", 0,
                               "metadata: %s%s%s must be a non-empty string of at most %d bytes",
                               at, at[0] ? "." : "", key, MS_LINEAGE_MAX_TEXT);
    return 1;
}

static int lineage_enum(ms_report *r, const cJSON *o, const char *key, const char *at,
                        const char *const *values, size_t n, int need)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    if (f == NULL && !need)
        return 1;
    for (size_t k = 0; cJSON_IsString(f) && k < n; k++)
        if (strcmp(f->valuestring, values[k]) == 0)
            return 1;
    if (f == NULL)
        return ms_report_check(r, "metadata", 0, "metadata: %s: missing field '%s'", at, key);
    return ms_report_check(r, "metadata", 0, "metadata: %s.%s: '%.100s' is not one of the known "
                           "values", at, key, cJSON_IsString(f) ? f->valuestring : "(not a string)");
}

static int lineage_digest(ms_report *r, const cJSON *o, const char *at)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "digest");
    if (f == NULL)
        return 1;
    if (cJSON_IsString(f) && strncmp(f->valuestring, "sha256:", 7) == 0 &&
        ms_is_sha256_hex(f->valuestring + 7))
        return 1;
    return ms_report_check(r, "metadata", 0, "metadata: %s.digest must be sha256:<64 lower-case "
                           "hex digits>", at);
}

static int lineage_array(ms_report *r, const cJSON *md, const char *key, const cJSON **out)
{
    *out = cJSON_GetObjectItemCaseSensitive(md, key);
    if (*out == NULL)
        return 1;
    int n = cJSON_IsArray(*out) ? cJSON_GetArraySize(*out) : -1;
    if (n < 1 || n > MS_LINEAGE_MAX_ENTRIES) {
        *out = NULL;
        return ms_report_check(r, "metadata", 0, "metadata: %s must be an array of 1 to %d "
                               "entries", key, MS_LINEAGE_MAX_ENTRIES);
    }
    return 1;
}

/* The members every lineage entry has; 0 (and *ok = 0) when e is not an object. */
static int lineage_entry(ms_report *r, const cJSON *e, const char *at, int *ok)
{
    if (!cJSON_IsObject(e)) {
        *ok = ms_report_check(r, "metadata", 0, "metadata: %s must be an object", at);
        return 0;
    }
    *ok &= lineage_text(r, e, "name", at, 1) & lineage_text(r, e, "uri", at, 0) &
           lineage_text(r, e, "license", at, 0) & lineage_digest(r, e, at);
    return 1;
}

static int check_lineage(const cJSON *md, ms_report *r)
{
    static const char *const card[] = {"intendedUse", "outOfScopeUse", "limitations"};
    static const char *const relations[] = {"finetune", "quantized", "merge", "adapter",
                                            "distilled"};
    static const char *const roles[] = {"training", "evaluation", "calibration"};
    int ok = lineage_text(r, md, "license", "", 0) & lineage_text(r, md, "description", "", 0);
    const cJSON *a, *e;
    char at[64];
    if (!lineage_array(r, md, "authors", &a))
        ok = 0;
    int i = 0;
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0' ||
            strlen(e->valuestring) > MS_LINEAGE_MAX_TEXT)
            ok = ms_report_check(r, "metadata", 0, "metadata: authors[%d] must be a non-empty "
                                 "string", i);
        i++;
    }
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(md, "card");
    if (c != NULL && (!cJSON_IsObject(c) || c->child == NULL)) {
        ok = ms_report_check(r, "metadata", 0, "metadata: card must be a non-empty object");
    } else if (c != NULL) {
        for (size_t k = 0; k < 3; k++)
            ok &= lineage_text(r, c, card[k], "card", 0);
    }
    if (!lineage_array(r, md, "baseModels", &a))
        ok = 0;
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        snprintf(at, sizeof at, "baseModels[%d]", i++);
        if (lineage_entry(r, e, at, &ok))
            ok &= lineage_enum(r, e, "relation", at, relations, 5, 0);
    }
    if (!lineage_array(r, md, "datasets", &a))
        ok = 0;
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        snprintf(at, sizeof at, "datasets[%d]", i++);
        if (!lineage_entry(r, e, at, &ok))
            continue;
        ok &= lineage_enum(r, e, "role", at, roles, 3, 1);
        const cJSON *rc = cJSON_GetObjectItemCaseSensitive(e, "records");
        uint64_t nrec;
        if (rc != NULL && ms_json_number_u64(rc, &nrec) != 0)
            ok = ms_report_check(r, "metadata", 0, "metadata: %s.records must be a "
                                 "non-negative integer", at);
    }
    return ok;
}

static int check_string_field(ms_report *r, const char *check, const cJSON *o, const char *key,
                              const char *want, const char *what)
{
    const char *got = str_field(o, key);
    if (got == NULL)
        return ms_report_check(r, check, 0, "%s: missing field '%s'", what, key);
    if (strcmp(got, want) != 0)
        return ms_report_check(r, check, 0, "%s: %s is '%.200s', expected '%s'", what, key, got,
                               want);
    return 1;
}

static void check_archive(ms_view *v, ms_report *r)
{
    ms_layout *l = v->layout;
    for (size_t i = 0; i < l->problem_count; i++)
        ms_report_check(r, "archive", 0, "%s", l->problems[i]);
    if (l->oci_layout == NULL) {
        ms_report_check(r, "oci-layout", 0, "the bundle has no oci-layout file");
    } else {
        cJSON *j = NULL;
        ms_error e;
        if (ms_json_parse(l->oci_layout, l->oci_layout_len, "oci-layout", &j, &e) != MS_OK)
            ms_report_check(r, "oci-layout", 0, "%s", e.message);
        else if (check_string_field(r, "oci-layout", j, "imageLayoutVersion", "1.0.0",
                                    "oci-layout"))
            ms_report_check(r, "oci-layout", 1, "image layout version 1.0.0");
        cJSON_Delete(j);
    }
    size_t hashed = 0, bad = 0;
    for (size_t i = 0; i < l->blob_count; i++) {
        ms_blob *b = &l->blobs[i];
        if (!b->hashed)
            continue;
        hashed++;
        if (!b->digest_ok) {
            bad++;
            ms_report_check(r, "blob-digest", 0,
                            "blobs/sha256/%s: content hashes to sha256:%s (tampered or corrupt)",
                            b->hex, b->actual_hex);
        }
    }
    if (bad == 0 && hashed > 0)
        ms_report_check(r, "blob-digest", 1, "%zu blobs re-hashed, all match their names",
                        hashed);
}

/* Find the model manifest and signature manifests in index.json. */
static void walk_index(ms_view *v, ms_report *r, ms_descriptor *model, int *have_model,
                       ms_descriptor *sig, int *have_sig)
{
    *have_model = *have_sig = 0;
    ms_layout *l = v->layout;
    if (l->index == NULL) {
        ms_report_check(r, "index", 0, "the bundle has no index.json");
        return;
    }
    ms_error e;
    if (ms_json_parse(l->index, l->index_len, "index.json", &v->index, &e) != MS_OK) {
        ms_report_check(r, "index", 0, "%s", e.message);
        return;
    }
    const cJSON *list = NULL;
    if (!cJSON_IsObject(v->index) ||
        ms_json_get_array(v->index, "manifests", "index.json", &list, &e) != MS_OK) {
        ms_report_check(r, "index", 0, "%s",
                        cJSON_IsObject(v->index) ? e.message : "index.json: not an object");
        return;
    }
    uint64_t sv = 0;
    if (ms_json_get_u64(v->index, "schemaVersion", "index.json", &sv, &e) != MS_OK || sv != 2)
        ms_report_check(r, "index", 0, "index.json: schemaVersion must be 2");
    check_string_field(r, "index", v->index, "mediaType", MS_MT_OCI_INDEX, "index.json");
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        char what[64];
        snprintf(what, sizeof what, "index.json manifests[%zu]", i++);
        ms_descriptor d;
        if (ms_descriptor_parse(item, what, &d, &e) != MS_OK) {
            ms_report_check(r, "index", 0, "%s", e.message);
            continue;
        }
        const char *at = d.artifact_type != NULL ? d.artifact_type : "";
        if (strcmp(d.media_type, MS_MT_OCI_MANIFEST) != 0) {
            ms_report_check(r, "index", 0, "%s: unexpected media type '%.100s'", what,
                            d.media_type);
        } else if (strcmp(at, MS_MT_MODEL_MANIFEST) == 0 && !*have_model) {
            *model = d;
            *have_model = 1;
        } else if (strcmp(at, MS_MT_SIGNATURE_ARTIFACT) == 0 && !*have_sig) {
            *sig = d;
            *have_sig = 1;
        } else {
            ms_report_check(r, "index", 0, "%s: unexpected or repeated manifest (artifactType "
                            "'%.100s')", what, at);
        }
    }
    if (!*have_model)
        ms_report_check(r, "index", 0, "index.json lists no model manifest");
    if (!*have_sig)
        ms_report_check(r, "index", 0, "index.json lists no signature manifest");
    if (*have_model) {
        v->ref_name = ms_descriptor_annotation(model, MS_ANN_REF_NAME);
        if (v->ref_name == NULL)
            ms_report_check(r, "index", 0, "model manifest descriptor has no %s annotation",
                            MS_ANN_REF_NAME);
    }
}

static void check_format(ms_view *v, ms_report *r, const cJSON *ann)
{
    const char *fv = ann != NULL ? str_field(ann, MS_ANN_FORMAT) : NULL;
    v->format_version = fv;
    if (fv == NULL) {
        ms_report_check(r, "format-version", 0, "model manifest has no %s annotation",
                        MS_ANN_FORMAT);
        return;
    }
    /* "MAJOR" or "MAJOR.MINOR", decimal without leading zeros; this reader knows major 1. */
    size_t n = strspn(fv, "0123456789");
    int well_formed = n > 0 && !(n > 1 && fv[0] == '0') &&
                      (fv[n] == '\0' ||
                       (fv[n] == '.' && strspn(fv + n + 1, "0123456789") > 0 &&
                        fv[n + 1 + strspn(fv + n + 1, "0123456789")] == '\0' &&
                        !(fv[n + 1] == '0' && fv[n + 2] != '\0')));
    if (!well_formed) {
        ms_report_check(r, "format-version", 0,
                        "format version '%.40s' is not MAJOR or MAJOR.MINOR", fv);
        return;
    }
    if (n == 1 && fv[0] == '1') {
        /* A newer minor is read by this version's rules, all of them (section 14). */
        unsigned long minor = fv[1] == '.' ? strtoul(fv + 2, NULL, 10) : 0;
        if (minor <= MS_BUNDLE_FORMAT_MINOR) {
            ms_report_check(r, "format-version", 1, "bundle format version %s", fv);
            return;
        }
        v->newer_minor = 1;
        ms_report_check(r, "format-version", 1, "bundle format version %.40s, newer than %s: "
                        "checked by the rules of %s; what later versions add is not checked",
                        fv, MS_BUNDLE_FORMAT_VERSION, MS_BUNDLE_FORMAT_VERSION);
        return;
    }
    v->unsupported = 1;
    ms_report_check(r, "format-version", 0, "unsupported bundle format version '%.40s' (this "
                    "modelseal reads major version 1, up to %s)", fv, MS_BUNDLE_FORMAT_VERSION);
}

static int known_file_media_type(const char *mt)
{
    return strcmp(mt, MS_MT_MODEL_WEIGHT) == 0 || strcmp(mt, MS_MT_MODEL_WEIGHT_CONFIG) == 0 ||
           strcmp(mt, MS_MT_MODEL_DOC) == 0 || strcmp(mt, MS_MT_MODEL_CODE) == 0;
}

static int cmp_filepath(const void *a, const void *b)
{
    const ms_view_file *x = a, *y = b;
    return strcmp(x->filepath, y->filepath);
}

static void walk_model_manifest(ms_view *v, ms_report *r, const ms_descriptor *md)
{
    snprintf(v->manifest_hex, sizeof v->manifest_hex, "%s", md->hex);
    v->manifest_size = md->size;
    v->manifest = blob_json(v, md, "model manifest", r);
    if (v->manifest == NULL)
        return;
    const cJSON *m = v->manifest;
    int ok = check_string_field(r, "model-manifest", m, "mediaType", MS_MT_OCI_MANIFEST,
                                "model manifest");
    ok &= check_string_field(r, "model-manifest", m, "artifactType", MS_MT_MODEL_MANIFEST,
                             "model manifest");
    uint64_t sv = 0;
    ms_error se;
    if (ms_json_get_u64(m, "schemaVersion", "model manifest", &sv, &se) != MS_OK || sv != 2)
        ok = ms_report_check(r, "model-manifest", 0, "model manifest: schemaVersion must be 2");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
    check_format(v, r, cJSON_IsObject(ann) ? ann : NULL);
    if (cJSON_IsObject(ann) && (v->supersedes = str_field(ann, MS_ANN_SUPERSEDES)) != NULL &&
        (strncmp(v->supersedes, "sha256:", 7) != 0 || !ms_is_sha256_hex(v->supersedes + 7)))
        ok = ms_report_check(r, "model-manifest", 0, "%s is not a sha256 digest",
                             MS_ANN_SUPERSEDES);
    if (v->unsupported)
        return;
    ms_error e;
    ms_descriptor cd;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(m, "config");
    if (ms_descriptor_parse(cfg, "model manifest config", &cd, &e) != MS_OK) {
        ok = ms_report_check(r, "model-manifest", 0, "%s", e.message);
    } else if (strcmp(cd.media_type, MS_MT_MODEL_CONFIG) != 0) {
        ok = ms_report_check(r, "model-manifest", 0, "config media type is '%.100s', expected %s",
                             cd.media_type, MS_MT_MODEL_CONFIG);
    } else {
        v->config = blob_json(v, &cd, "model config", r);
    }
    const cJSON *layers = NULL;
    if (ms_json_get_array(m, "layers", "model manifest", &layers, &e) != MS_OK) {
        ms_report_check(r, "model-manifest", 0, "%s", e.message);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(layers);
    v->files = calloc(n ? n : 1, sizeof *v->files);
    if (v->files == NULL) {
        ms_report_check(r, "model-manifest", 0, "out of memory");
        return;
    }
    size_t i = 0, metadata_layers = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, layers)
    {
        char what[48];
        snprintf(what, sizeof what, "model manifest layers[%zu]", i++);
        ms_descriptor d;
        if (ms_descriptor_parse(item, what, &d, &e) != MS_OK) {
            ok = ms_report_check(r, "model-manifest", 0, "%s", e.message);
            continue;
        }
        if (strcmp(d.media_type, MS_MT_COMPRESSION_REPORT) == 0) {
            if (v->compression == NULL)
                v->compression = blob_json(v, &d, "compression report", r);
            else
                ok = ms_report_check(r, "model-manifest", 0, "%s: a second compression report",
                                     what);
            continue;
        }
        if (strcmp(d.media_type, MS_MT_PROBES) == 0) {
            if (v->has_probes_layer++)
                ok = ms_report_check(r, "model-manifest", 0, "%s: a second probes layer", what);
            resolve(v, &d, what, r);
            continue;
        }
        if (strcmp(d.media_type, MS_MT_METADATA) == 0) {
            if (metadata_layers++ == 0)
                v->metadata = blob_json(v, &d, "metadata", r);
            else
                ok = ms_report_check(r, "model-manifest", 0, "%s: a second metadata layer",
                                     what);
            continue;
        }
        if (!known_file_media_type(d.media_type) && v->newer_minor) {
            /* Added by a minor version this reader predates: it cannot judge the layer. */
            v->unsupported = 1;
            ms_report_check(r, "format-version", 0, "%s: layer media type '%.100s' is not "
                            "defined by format %s (the bundle is format %.40s)", what,
                            d.media_type, MS_BUNDLE_FORMAT_VERSION, v->format_version);
            continue;
        }
        if (!known_file_media_type(d.media_type)) {
            ok = ms_report_check(r, "model-manifest", 0, "%s: unknown layer media type '%.100s'",
                                 what, d.media_type);
            resolve(v, &d, what, r);
            continue;
        }
        const char *fp = ms_descriptor_annotation(&d, MS_ANN_FILEPATH);
        resolve(v, &d, what, r);
        if (fp == NULL) {
            ok = ms_report_check(r, "file-path", 0, "%s: no %s annotation", what, MS_ANN_FILEPATH);
            continue;
        }
        const char *problem = ms_path_problem(fp);
        if (problem != NULL) {
            ok = ms_report_check(r, "file-path", 0, "%s: unsafe file path '%.200s': %s", what, fp,
                                 problem);
            continue;
        }
        ms_view_file *f = &v->files[v->file_count++];
        f->filepath = fp;
        f->media_type = d.media_type;
        memcpy(f->hex, d.hex, sizeof f->hex);
        f->size = d.size;
    }
    if (metadata_layers == 0)
        ok = ms_report_check(r, "model-manifest", 0, "no modelseal metadata layer (%s)",
                             MS_MT_METADATA);
    if (v->file_count == 0)
        ok = ms_report_check(r, "model-manifest", 0, "no model file layers");
    if (v->file_count > 1) {
        ms_view_file *sorted = malloc(v->file_count * sizeof *sorted);
        if (sorted != NULL) {
            memcpy(sorted, v->files, v->file_count * sizeof *sorted);
            qsort(sorted, v->file_count, sizeof *sorted, cmp_filepath);
            for (size_t k = 1; k < v->file_count; k++)
                if (strcmp(sorted[k - 1].filepath, sorted[k].filepath) == 0)
                    ok = ms_report_check(r, "file-path", 0, "file path '%.200s' appears twice",
                                         sorted[k].filepath);
            /* A file may not also be a directory of another ("a" and "a/b"). */
            char prefix[4097];
            for (size_t k = 0; k < v->file_count; k++) {
                const char *p = sorted[k].filepath;
                for (const char *sl = strchr(p, '/'); sl != NULL; sl = strchr(sl + 1, '/')) {
                    size_t len = (size_t)(sl - p);
                    if (len >= sizeof prefix)
                        break;
                    memcpy(prefix, p, len);
                    prefix[len] = '\0';
                    ms_view_file key = {.filepath = prefix};
                    if (bsearch(&key, sorted, v->file_count, sizeof *sorted, cmp_filepath)) {
                        ok = ms_report_check(r, "file-path", 0,
                                             "file path '%.200s' is also a directory of "
                                             "'%.200s'", prefix, p);
                        break;
                    }
                }
            }
            free(sorted);
        }
    }
    if (ok)
        ms_report_check(r, "model-manifest", 1, "sha256:%s: %zu model file%s", md->hex,
                        v->file_count, v->file_count == 1 ? "" : "s");

    /* ModelPack config: modelfs.diffIds must list the layers in order. */
    if (v->config != NULL) {
        const cJSON *fs = cJSON_GetObjectItemCaseSensitive(v->config, "modelfs");
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(fs, "diffIds");
        int cfg_ok = cJSON_IsArray(ids) && cJSON_GetArraySize(ids) == cJSON_GetArraySize(layers);
        for (int k = 0; cfg_ok && k < cJSON_GetArraySize(ids); k++) {
            const cJSON *idv = cJSON_GetArrayItem(ids, k);
            const char *ld = str_field(cJSON_GetArrayItem(layers, k), "digest");
            cfg_ok = cJSON_IsString(idv) && ld != NULL && strcmp(idv->valuestring, ld) == 0;
        }
        ms_report_check(r, "config", cfg_ok, "%s",
                        cfg_ok ? "modelfs.diffIds match the layers"
                               : "model config: modelfs.diffIds do not match the manifest layers");
    }
    if (v->metadata != NULL) {
        v->name = str_field(v->metadata, "name");
        v->version = str_field(v->metadata, "version");
        v->license = str_field(v->metadata, "license");
        v->description = str_field(v->metadata, "description");
        int md_ok = 1;
        uint64_t mdv = 0;
        ms_error me;
        const char *problem;
        if (ms_json_get_u64(v->metadata, "metadataVersion", "metadata", &mdv, &me) != MS_OK ||
            mdv != 1)
            md_ok = ms_report_check(r, "metadata", 0, "metadata: metadataVersion must be 1");
        if (v->name == NULL || v->version == NULL) {
            md_ok = ms_report_check(r, "metadata", 0, "metadata: name and version are required");
        } else if ((problem = ms_name_problem(v->name)) != NULL) {
            md_ok = ms_report_check(r, "metadata", 0, "metadata: invalid name '%.200s': %s",
                                    v->name, problem);
        } else if ((problem = ms_semver_problem(v->version)) != NULL) {
            md_ok = ms_report_check(r, "metadata", 0, "metadata: invalid version '%.200s': %s",
                                    v->version, problem);
        } else {
            const char *title = ann != NULL ? str_field(ann, MS_ANN_TITLE) : NULL;
            if (title == NULL || strcmp(title, v->name) != 0)
                md_ok = ms_report_check(r, "metadata", 0,
                                        "metadata name '%.200s' differs from the manifest's %s "
                                        "'%.200s'", v->name, MS_ANN_TITLE,
                                        title != NULL ? title : "(none)");
            const char *mv = ann != NULL ? str_field(ann, MS_ANN_VERSION) : NULL;
            if (mv == NULL || strcmp(mv, v->version) != 0)
                md_ok = ms_report_check(r, "metadata", 0,
                                        "metadata version '%.100s' differs from the manifest's "
                                        "%s '%.100s'", v->version, MS_ANN_VERSION,
                                        mv != NULL ? mv : "(none)");
            if (v->ref_name != NULL && strcmp(v->ref_name, v->version) != 0)
                md_ok = ms_report_check(r, "metadata", 0,
                                        "index.json names the model version '%.100s' but the "
                                        "signed metadata says '%.100s'", v->ref_name, v->version);
        }
        md_ok &= check_lineage(v->metadata, r);
        if (md_ok)
            ms_report_check(r, "metadata", 1, "%s %s", v->name, v->version);
    }
}

static void walk_signature_manifest(ms_view *v, ms_report *r, const ms_descriptor *sd)
{
    v->sigmanifest = blob_json(v, sd, "signature manifest", r);
    if (v->sigmanifest == NULL)
        return;
    const cJSON *m = v->sigmanifest;
    int ok = check_string_field(r, "signature-manifest", m, "artifactType",
                                MS_MT_SIGNATURE_ARTIFACT, "signature manifest");
    ok &= check_string_field(r, "signature-manifest", m, "mediaType", MS_MT_OCI_MANIFEST,
                             "signature manifest");
    ms_error e;
    uint64_t sv = 0;
    if (ms_json_get_u64(m, "schemaVersion", "signature manifest", &sv, &e) != MS_OK || sv != 2)
        ok = ms_report_check(r, "signature-manifest", 0,
                             "signature manifest: schemaVersion must be 2");
    ms_descriptor d;
    if (ms_descriptor_parse(cJSON_GetObjectItemCaseSensitive(m, "config"),
                            "signature manifest config", &d, &e) != MS_OK)
        ok = ms_report_check(r, "signature-manifest", 0, "%s", e.message);
    else if (strcmp(d.media_type, MS_MT_OCI_EMPTY) != 0)
        ok = ms_report_check(r, "signature-manifest", 0,
                             "signature manifest config media type is '%.100s', expected %s",
                             d.media_type, MS_MT_OCI_EMPTY);
    else
        resolve(v, &d, "signature manifest config", r);
    if (ms_descriptor_parse(cJSON_GetObjectItemCaseSensitive(m, "subject"),
                            "signature manifest subject", &d, &e) != MS_OK)
        ok = ms_report_check(r, "signature-manifest", 0, "%s", e.message);
    else if (strcmp(d.media_type, MS_MT_OCI_MANIFEST) != 0 || d.artifact_type == NULL ||
             strcmp(d.artifact_type, MS_MT_MODEL_MANIFEST) != 0)
        ok = ms_report_check(r, "signature-manifest", 0,
                             "signature manifest subject must be a %s of artifactType %s",
                             MS_MT_OCI_MANIFEST, MS_MT_MODEL_MANIFEST);
    else if (strcmp(d.hex, v->manifest_hex) != 0 || d.size != v->manifest_size)
        ok = ms_report_check(r, "signature-manifest", 0,
                             "subject sha256:%s is not the model manifest sha256:%s", d.hex,
                             v->manifest_hex);
    const cJSON *layers = NULL;
    if (ms_json_get_array(m, "layers", "signature manifest", &layers, &e) != MS_OK) {
        ms_report_check(r, "signature-manifest", 0, "%s", e.message);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(layers);
    if (n == 0 || n > MS_DSSE_MAX_SIGNATURES) {
        ms_report_check(r, "signature-manifest", 0, "signature manifest holds %zu envelopes "
                        "(1 to %d allowed)", n, MS_DSSE_MAX_SIGNATURES);
        return;
    }
    v->envelopes = calloc(n, sizeof *v->envelopes);
    if (v->envelopes == NULL)
        return;
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, layers)
    {
        char what[48];
        snprintf(what, sizeof what, "signature manifest layers[%zu]", i++);
        if (ms_descriptor_parse(item, what, &d, &e) != MS_OK) {
            ok = ms_report_check(r, "signature-manifest", 0, "%s", e.message);
            continue;
        }
        if (strcmp(d.media_type, MS_MT_DSSE) != 0) {
            ok = ms_report_check(r, "signature-manifest", 0, "%s: media type '%.100s', expected %s",
                                 what, d.media_type, MS_MT_DSSE);
            resolve(v, &d, what, r);
            continue;
        }
        ms_blob *b = resolve(v, &d, what, r);
        if (b == NULL)
            continue;
        ms_view_envelope *ve = &v->envelopes[v->envelope_count++];
        memcpy(ve->hex, d.hex, sizeof ve->hex);
        ve->keyid_hint = ms_descriptor_annotation(&d, MS_ANN_KEYID);
        ve->algorithm = ms_descriptor_annotation(&d, MS_ANN_ALGORITHM);
        ve->role = ms_descriptor_annotation(&d, MS_ANN_ROLE);
        if (b->data == NULL) {
            if (b->size > MS_OCI_MAX_DOCUMENT)
                ok = ms_report_check(r, "envelope", 0, "%s: envelope of %llu bytes is over the "
                                     "%u-byte document limit", what, (unsigned long long)b->size,
                                     MS_OCI_MAX_DOCUMENT);
            else
                ok = ms_report_check(r, "envelope", 0, "%s: envelope sha256:%s comes before the "
                                     "signature manifest that references it", what, b->hex);
            continue;
        }
        if (ms_dsse_parse((const char *)b->data, b->size, &ve->env, &e) != MS_OK)
            ok = ms_report_check(r, "envelope", 0, "%s: %s", what, e.message);
    }
    if (ok)
        ms_report_check(r, "signature-manifest", 1, "%zu signature envelope(s) for the model "
                        "manifest", v->envelope_count);
}

/* One line on what compression cost, from the signed report. */
static void report_compression(const ms_view *v, ms_report *r)
{
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(v->compression, "total");
    const cJSON *bpw = cJSON_GetObjectItemCaseSensitive(tot, "bitsPerWeight");
    const cJSON *sq = cJSON_GetObjectItemCaseSensitive(tot, "sqnrDb");
    const cJSON *worst = cJSON_GetObjectItemCaseSensitive(v->compression, "worst");
    const char *wn = str_field(worst, "name");
    const cJSON *wsq = cJSON_GetObjectItemCaseSensitive(worst, "sqnrDb");
    if (!cJSON_IsNumber(bpw)) {
        ms_report_check(r, "compression", 0, "compression report has no total bitsPerWeight");
        return;
    }
    char total[32] = "exact", w[32] = "exact";
    if (cJSON_IsNumber(sq))
        snprintf(total, sizeof total, "%.2f dB", sq->valuedouble);
    if (cJSON_IsNumber(wsq))
        snprintf(w, sizeof w, "%.2f dB", wsq->valuedouble);
    if (wn != NULL)
        ms_report_check(r, "compression", 1, "%.3f bits per weight, SQNR %s; worst tensor "
                        "'%.200s' at %s", bpw->valuedouble, total, wn, w);
    else
        ms_report_check(r, "compression", 1, "%.3f bits per weight, SQNR %s",
                        bpw->valuedouble, total);
}

ms_status ms_view_load(const char *path, int hash_all, ms_report *r, ms_view **out,
                       ms_error *err)
{
    *out = NULL;
    ms_view *v = calloc(1, sizeof *v);
    if (v == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    /* A full verification re-checks integrity probes while the weights stream past. */
    ms_probe_checker *pc = hash_all ? ms_probe_checker_new() : NULL;
    ms_blob_sink sink;
    if (pc != NULL)
        ms_probe_checker_sink(pc, &sink);
    struct stat sb;
    uint64_t size = hash_all && stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    if (hash_all)
        ms_prog_begin(MS_PROGRESS_READ_BUNDLE, size, 0);
    ms_status st = ms_layout_read_with(path, hash_all, pc != NULL ? &sink : NULL, &v->layout, err);
    if (st == MS_OK && hash_all) {
        /* Every byte up to the end of the archive was read, headers included. */
        ms_prog_set_bytes(size);
        ms_prog_finish();
    }
    if (st != MS_OK) {
        ms_probe_checker_free(pc);
        free(v);
        return st;
    }
    check_archive(v, r);
    ms_descriptor model, sig;
    int have_model, have_sig;
    walk_index(v, r, &model, &have_model, &sig, &have_sig);
    if (have_model)
        walk_model_manifest(v, r, &model);
    if (have_sig && !v->unsupported)
        walk_signature_manifest(v, r, &sig);
    if (!v->unsupported) {
        size_t unref = 0;
        for (size_t i = 0; i < v->layout->blob_count; i++) {
            if (!v->layout->blobs[i].referenced) {
                unref++;
                ms_report_check(r, "unreferenced", 0,
                                "blobs/sha256/%s is not referenced by any manifest",
                                v->layout->blobs[i].hex);
            }
        }
        if (unref == 0)
            ms_report_check(r, "unreferenced", 1, "every blob is referenced");
    }
    if (pc != NULL && !v->unsupported) {
        int held = ms_probe_checker_report(pc, v, r);
        if (v->compression != NULL && held)
            report_compression(v, r);
    }
    ms_probe_checker_free(pc);
    char dg[80];
    snprintf(dg, sizeof dg, "sha256:%s", v->manifest_hex);
    ms_report_set_model(r, v->name, v->version, v->manifest_hex[0] ? dg : NULL,
                        v->format_version);
    *out = v;
    return MS_OK;
}
