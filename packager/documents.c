#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/oci.h"
#include "core/timefmt.h"
#include "modelseal/trust.h"
#include "compress/quant.h"
#include "packager/documents.h"

static int add_str(cJSON *o, const char *k, const char *v)
{
    return v == NULL || cJSON_AddStringToObject(o, k, v) != NULL;
}

static cJSON *digest_obj(const char *hex)
{
    cJSON *d = cJSON_CreateObject();
    if (d != NULL && cJSON_AddStringToObject(d, "sha256", hex) == NULL) {
        cJSON_Delete(d);
        return NULL;
    }
    return d;
}

static cJSON *fail(cJSON *o)
{
    cJSON_Delete(o);
    return NULL;
}

static int add_digest_str(cJSON *o, const char *k, const char *hex)
{
    char d[8 + MS_SHA256_HEX_LEN];
    if (hex == NULL || hex[0] == '\0')
        return 1;
    snprintf(d, sizeof d, "sha256:%s", hex);
    return add_str(o, k, d);
}

/* authors, card, baseModels, datasets of the metadata document (schemas/metadata-v1). */
static int add_lineage(cJSON *m, const ms_spec *sp)
{
    if (sp->author_count > 0) {
        cJSON *a = cJSON_AddArrayToObject(m, "authors");
        if (a == NULL)
            return 0;
        for (size_t i = 0; i < sp->author_count; i++)
            if (!cJSON_AddItemToArray(a, cJSON_CreateString(sp->authors[i])))
                return 0;
    }
    if (sp->intended_use != NULL || sp->out_of_scope_use != NULL || sp->limitations != NULL) {
        cJSON *c = cJSON_AddObjectToObject(m, "card");
        if (c == NULL || !add_str(c, "intendedUse", sp->intended_use) ||
            !add_str(c, "outOfScopeUse", sp->out_of_scope_use) ||
            !add_str(c, "limitations", sp->limitations))
            return 0;
    }
    if (sp->base_model_count > 0) {
        cJSON *a = cJSON_AddArrayToObject(m, "baseModels");
        if (a == NULL)
            return 0;
        for (size_t i = 0; i < sp->base_model_count; i++) {
            const ms_spec_base_model *b = &sp->base_models[i];
            cJSON *e = cJSON_CreateObject();
            if (e == NULL || !cJSON_AddItemToArray(a, e) || !add_str(e, "name", b->name) ||
                !add_str(e, "uri", b->uri) || !add_digest_str(e, "digest", b->hex) ||
                !add_str(e, "license", b->license) || !add_str(e, "relation", b->relation))
                return 0;
        }
    }
    if (sp->dataset_count > 0) {
        cJSON *a = cJSON_AddArrayToObject(m, "datasets");
        if (a == NULL)
            return 0;
        for (size_t i = 0; i < sp->dataset_count; i++) {
            const ms_spec_dataset *d = &sp->datasets[i];
            cJSON *e = cJSON_CreateObject();
            if (e == NULL || !cJSON_AddItemToArray(a, e) || !add_str(e, "name", d->name) ||
                !add_str(e, "uri", d->uri) || !add_digest_str(e, "digest", d->hex) ||
                !add_str(e, "license", d->license) || !add_str(e, "role", d->role) ||
                (d->has_records && ms_json_add_u64(e, "records", d->records) == NULL))
                return 0;
        }
    }
    return 1;
}

const char *ms_doc_format_version(const ms_pack_facts *f)
{
    /* Format 1.1 adds the probe bindings of compressed bundles; a bundle
     * without compression is what every 1.x verifier has always read. */
    return f->report_hex != NULL ? MS_BUNDLE_FORMAT_VERSION : MS_BUNDLE_FORMAT_VERSION_PLAIN;
}

cJSON *ms_doc_metadata(const ms_pack_facts *f)
{
    const ms_pack_options *o = f->opt;
    cJSON *m = cJSON_CreateObject();
    if (m == NULL || ms_json_add_u64(m, "metadataVersion", 1) == NULL ||
        !add_str(m, "name", o->name) || !add_str(m, "version", o->version) ||
        !add_str(m, "license", o->license) || !add_str(m, "description", o->description))
        return fail(m);
    if (f->spec != NULL && !add_lineage(m, f->spec))
        return fail(m);
    return m;
}

cJSON *ms_doc_config(const ms_pack_facts *f, const cJSON *layers)
{
    const ms_pack_options *o = f->opt;
    cJSON *c = cJSON_CreateObject();
    cJSON *desc = cJSON_AddObjectToObject(c, "descriptor");
    if (desc == NULL)
        return fail(c);
    if (o->source_date_epoch >= 0) {
        char t[32];
        ms_rfc3339_format(o->source_date_epoch, t);
        if (!add_str(desc, "createdAt", t))
            return fail(c);
    }
    if (!add_str(desc, "name", o->name) || !add_str(desc, "version", o->version) ||
        !add_str(desc, "description", o->description))
        return fail(c);
    if (o->license != NULL) {
        cJSON *lic = cJSON_AddArrayToObject(desc, "licenses");
        if (lic == NULL || !cJSON_AddItemToArray(lic, cJSON_CreateString(o->license)))
            return fail(c);
    }
    cJSON *cfg = cJSON_AddObjectToObject(c, "config");
    char params[32];
    snprintf(params, sizeof params, "%" PRIu64, f->param_count);
    if (cfg == NULL || !add_str(cfg, "format", "safetensors") ||
        !add_str(cfg, "paramSize", params))
        return fail(c);
    if (f->recipe_json != NULL && o->quantize != NULL) {
        ms_scheme sch;
        if (ms_scheme_parse(o->quantize, &sch) != 0 ||
            !add_str(cfg, "quantization", ms_scheme_name(sch)))
            return fail(c);
    }
    cJSON *fs = cJSON_AddObjectToObject(c, "modelfs");
    cJSON *ids = cJSON_AddArrayToObject(fs, "diffIds");
    if (fs == NULL || ids == NULL)
        return fail(c);
    /* Insert "type" before "diffIds" for readability. */
    cJSON_DetachItemFromObject(fs, "diffIds");
    if (!add_str(fs, "type", "layers") || !cJSON_AddItemToObject(fs, "diffIds", ids))
        return fail(c);
    /* Raw (untarred) layers: the diffId is the layer digest itself. */
    const cJSON *l;
    cJSON_ArrayForEach(l, layers)
    {
        const cJSON *dg = cJSON_GetObjectItemCaseSensitive(l, "digest");
        if (!cJSON_IsString(dg) || !cJSON_AddItemToArray(ids, cJSON_CreateString(dg->valuestring)))
            return fail(c);
    }
    return c;
}

cJSON *ms_doc_manifest(const ms_pack_facts *f, const ms_doc *config, cJSON *layers)
{
    const ms_pack_options *o = f->opt;
    cJSON *m = cJSON_CreateObject();
    if (m == NULL || ms_json_add_u64(m, "schemaVersion", 2) == NULL ||
        !add_str(m, "mediaType", MS_MT_OCI_MANIFEST) ||
        !add_str(m, "artifactType", MS_MT_MODEL_MANIFEST)) {
        cJSON_Delete(layers);
        return fail(m);
    }
    cJSON *cd = ms_descriptor_build(MS_MT_MODEL_CONFIG, NULL, config->hex, config->len, NULL);
    if (cd == NULL || !cJSON_AddItemToObject(m, "config", cd)) {
        cJSON_Delete(layers);
        return fail(m);
    }
    if (!cJSON_AddItemToObject(m, "layers", layers)) {
        cJSON_Delete(layers);
        return fail(m);
    }
    cJSON *ann = cJSON_AddObjectToObject(m, "annotations");
    if (ann == NULL || !add_str(ann, MS_ANN_FORMAT, ms_doc_format_version(f)) ||
        !add_str(ann, MS_ANN_TITLE, o->name) || !add_str(ann, MS_ANN_VERSION, o->version) ||
        !add_str(ann, MS_ANN_SUPERSEDES, o->supersedes))
        return fail(m);
    if (o->source_date_epoch >= 0) {
        char t[32];
        ms_rfc3339_format(o->source_date_epoch, t);
        if (!add_str(ann, MS_ANN_CREATED, t))
            return fail(m);
    }
    return m;
}

static cJSON *resource(const char *name, const char *hex)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *d = digest_obj(hex);
    if (r == NULL || d == NULL || !add_str(r, "name", name) ||
        !cJSON_AddItemToObject(r, "digest", d)) {
        cJSON_Delete(d);
        return fail(r);
    }
    return r;
}

/*
 * A dataset or base model as an in-toto ResourceDescriptor: name, uri when
 * known, digest when known, annotations {kind_key: kind, "license": ...}.
 */
static cJSON *lineage_resource(const char *name, const char *uri, const char *hex,
                               const char *kind_key, const char *kind, const char *license)
{
    cJSON *r = cJSON_CreateObject();
    if (r == NULL || !add_str(r, "name", name) || !add_str(r, "uri", uri))
        return fail(r);
    if (hex != NULL && hex[0] != '\0') {
        cJSON *d = digest_obj(hex);
        if (d == NULL || !cJSON_AddItemToObject(r, "digest", d)) {
            cJSON_Delete(d);
            return fail(r);
        }
    }
    if (kind != NULL || license != NULL) {
        cJSON *a = cJSON_AddObjectToObject(r, "annotations");
        if (a == NULL || !add_str(a, kind_key, kind) || !add_str(a, "license", license))
            return fail(r);
    }
    return r;
}

cJSON *ms_doc_statement(const ms_pack_facts *f, const ms_doc *manifest, const char **paths,
                        const char **hexes)
{
    const ms_pack_options *o = f->opt;
    cJSON *s = cJSON_CreateObject();
    if (s == NULL || !add_str(s, "_type", "https://in-toto.io/Statement/v1"))
        return fail(s);
    cJSON *subj = cJSON_AddArrayToObject(s, "subject");
    char ref[400];
    snprintf(ref, sizeof ref, "%s:%s", o->name, o->version);
    if (subj == NULL || !cJSON_AddItemToArray(subj, resource(ref, manifest->hex)))
        return fail(s);
    for (size_t i = 0; i < f->file_count; i++)
        if (!cJSON_AddItemToArray(subj, resource(paths[i], hexes[i])))
            return fail(s);
    if (!add_str(s, "predicateType", "https://slsa.dev/provenance/v1"))
        return fail(s);
    cJSON *pred = cJSON_AddObjectToObject(s, "predicate");
    cJSON *bd = cJSON_AddObjectToObject(pred, "buildDefinition");
    if (bd == NULL || !add_str(bd, "buildType", MS_BUILD_TYPE))
        return fail(s);
    cJSON *ext = cJSON_AddObjectToObject(bd, "externalParameters");
    if (ext == NULL || !add_str(ext, "name", o->name) || !add_str(ext, "version", o->version) ||
        !add_str(ext, "license", o->license) || !add_str(ext, "description", o->description))
        return fail(s);
    if (f->recipe_json != NULL) {
        /* The recipe says exactly which scheme and pruning each tensor got. */
        cJSON *recipe = cJSON_Parse(f->recipe_json);
        if (recipe == NULL || !cJSON_AddItemToObject(ext, "recipe", recipe)) {
            cJSON_Delete(recipe);
            return fail(s);
        }
        if (!add_str(ext, "probes", f->probes_hex != NULL ? MS_PROBES_PARAM : "none"))
            return fail(s);
    } else if (!add_str(ext, "quantize", "none")) {
        return fail(s);
    }
    if (f->spec != NULL && f->spec->hex[0] != '\0') {
        cJSON *sp = cJSON_AddObjectToObject(ext, "spec");
        cJSON *d = digest_obj(f->spec->hex);
        if (sp == NULL || d == NULL || !cJSON_AddItemToObject(sp, "digest", d)) {
            cJSON_Delete(d);
            return fail(s);
        }
    }
    if (f->model != NULL && ms_model_link_count(f->model) > 0) {
        /* Which files came through links, relative to the directory links may lead into:
         * never absolute, so packing stays reproducible and names no home directory. */
        cJSON *links = cJSON_AddArrayToObject(ext, "followedLinks");
        if (links == NULL)
            return fail(s);
        for (size_t i = 0; i < ms_model_link_count(f->model); i++) {
            const ms_model_link *l = ms_model_link_at(f->model, i);
            cJSON *e = cJSON_CreateObject();
            if (e == NULL || !cJSON_AddItemToArray(links, e) || !add_str(e, "link", l->link) ||
                !add_str(e, "target", l->target))
                return fail(s);
        }
    }
    cJSON *internal = cJSON_AddObjectToObject(bd, "internalParameters");
    if (internal == NULL || !add_str(internal, "modelsealVersion", ms_version()) ||
        !add_str(internal, "formatVersion", ms_doc_format_version(f)))
        return fail(s);
    cJSON *deps = cJSON_AddArrayToObject(bd, "resolvedDependencies");
    if (deps == NULL)
        return fail(s);
    for (size_t i = 0; i < f->file_count; i++)
        if (!cJSON_AddItemToArray(deps, resource(paths[i], f->src_hexes != NULL
                                                               ? f->src_hexes[i]
                                                               : hexes[i])))
            return fail(s);
    for (size_t i = 0; f->spec != NULL && i < f->spec->dataset_count; i++) {
        const ms_spec_dataset *d = &f->spec->datasets[i];
        if (!cJSON_AddItemToArray(deps, lineage_resource(d->name, d->uri, d->hex, "role",
                                                         d->role, d->license)))
            return fail(s);
    }
    for (size_t i = 0; f->spec != NULL && i < f->spec->base_model_count; i++) {
        const ms_spec_base_model *b = &f->spec->base_models[i];
        if (!cJSON_AddItemToArray(deps, lineage_resource(b->name, b->uri, b->hex, "relation",
                                                         b->relation, b->license)))
            return fail(s);
    }
    cJSON *rd = cJSON_AddObjectToObject(pred, "runDetails");
    cJSON *builder = cJSON_AddObjectToObject(rd, "builder");
    if (builder == NULL ||
        !add_str(builder, "id", o->builder_id != NULL ? o->builder_id : MS_DEFAULT_BUILDER_ID))
        return fail(s);
    cJSON *bv = cJSON_AddObjectToObject(builder, "version");
    if (bv == NULL || !add_str(bv, "modelseal", ms_version()))
        return fail(s);
    /* invocationId is derived, not random, so packing stays reproducible: the same
     * manifest packed at the same SOURCE_DATE_EPOCH is the same invocation. */
    char t[32] = "", seed[128], id[96];
    uint8_t dg[MS_SHA256_LEN];
    char hex[MS_SHA256_HEX_LEN + 1];
    if (o->source_date_epoch >= 0)
        ms_rfc3339_format(o->source_date_epoch, t);
    snprintf(seed, sizeof seed, "%s@%s", manifest->hex, t);
    ms_sha256_buf(seed, strlen(seed), dg);
    ms_hex_encode(dg, MS_SHA256_LEN, hex);
    snprintf(id, sizeof id, "urn:modelseal:invocation:%.32s", hex);
    cJSON *meta = cJSON_AddObjectToObject(rd, "metadata");
    if (meta == NULL || !add_str(meta, "invocationId", id))
        return fail(s);
    if (o->source_date_epoch >= 0 &&
        (!add_str(meta, "startedOn", t) || !add_str(meta, "finishedOn", t)))
        return fail(s);
    if (f->report_hex != NULL || f->probes_hex != NULL) {
        cJSON *by = cJSON_AddArrayToObject(rd, "byproducts");
        if (by == NULL ||
            (f->report_hex != NULL &&
             !cJSON_AddItemToArray(by, resource("compression-report.json", f->report_hex))) ||
            (f->probes_hex != NULL &&
             !cJSON_AddItemToArray(by, resource("probes.safetensors", f->probes_hex))))
            return fail(s);
    }
    return s;
}

cJSON *ms_doc_signature_manifest(const ms_doc *manifest, const ms_doc *envelope,
                                 const char *keyid, const char *algorithm)
{
    cJSON *m = cJSON_CreateObject();
    if (m == NULL || ms_json_add_u64(m, "schemaVersion", 2) == NULL ||
        !add_str(m, "mediaType", MS_MT_OCI_MANIFEST) ||
        !add_str(m, "artifactType", MS_MT_SIGNATURE_ARTIFACT))
        return fail(m);
    cJSON *cfg = ms_descriptor_build(MS_MT_OCI_EMPTY, NULL, MS_EMPTY_DIGEST_HEX, 2, NULL);
    if (cfg == NULL || !cJSON_AddItemToObject(m, "config", cfg))
        return fail(m);
    cJSON *layers = cJSON_AddArrayToObject(m, "layers");
    cJSON *ann = cJSON_CreateObject();
    if (ann != NULL && (!add_str(ann, MS_ANN_KEYID, keyid) ||
                        !add_str(ann, MS_ANN_ALGORITHM, algorithm) ||
                        !add_str(ann, MS_ANN_ROLE, MS_ROLE_PACKAGER))) {
        cJSON_Delete(ann);
        ann = NULL;
    }
    cJSON *env = ann != NULL ? ms_descriptor_build(MS_MT_DSSE, NULL, envelope->hex, envelope->len,
                                                   ann)
                             : NULL;
    if (layers == NULL || env == NULL || !cJSON_AddItemToArray(layers, env))
        return fail(m);
    cJSON *subj = ms_descriptor_build(MS_MT_OCI_MANIFEST, MS_MT_MODEL_MANIFEST, manifest->hex,
                                      manifest->len, NULL);
    if (subj == NULL || !cJSON_AddItemToObject(m, "subject", subj))
        return fail(m);
    return m;
}

cJSON *ms_doc_index(const char *version, const ms_doc *manifest, const ms_doc *sigmanifest)
{
    cJSON *x = cJSON_CreateObject();
    if (x == NULL || ms_json_add_u64(x, "schemaVersion", 2) == NULL ||
        !add_str(x, "mediaType", MS_MT_OCI_INDEX))
        return fail(x);
    cJSON *list = cJSON_AddArrayToObject(x, "manifests");
    cJSON *ann = cJSON_CreateObject();
    if (ann != NULL && !add_str(ann, MS_ANN_REF_NAME, version)) {
        cJSON_Delete(ann);
        ann = NULL;
    }
    cJSON *m = ann != NULL ? ms_descriptor_build(MS_MT_OCI_MANIFEST, MS_MT_MODEL_MANIFEST,
                                                 manifest->hex, manifest->len, ann)
                           : NULL;
    if (list == NULL || m == NULL || !cJSON_AddItemToArray(list, m))
        return fail(x);
    cJSON *s = ms_descriptor_build(MS_MT_OCI_MANIFEST, MS_MT_SIGNATURE_ARTIFACT, sigmanifest->hex,
                                   sigmanifest->len, NULL);
    if (s == NULL || !cJSON_AddItemToArray(list, s))
        return fail(x);
    return x;
}
