/*
 * pack: model files -> documents -> statement -> signature -> bundle tar.
 *
 * Every input file is hashed once up front (names of blobs are their
 * digests, and the signed statement must exist before the archive is
 * written), then streamed into the archive, re-hashed on the way so a file
 * that changed in between is caught.  Memory holds the documents only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "core/json.h"
#include "core/oci.h"
#include "core/tar.h"
#include "modelseal/bundle.h"
#include "modelseal/dsse.h"
#include "modelseal/model.h"
#include "packager/documents.h"

typedef struct file_entry {
    const ms_model_file *f;
    char hex[MS_SHA256_HEX_LEN + 1];
    uint64_t size;
} file_entry;

static ms_status doc_from_json(cJSON *j, ms_doc *d, const char *what, ms_error *err)
{
    memset(d, 0, sizeof *d);
    if (j == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    d->bytes = ms_json_print(j, &d->len);
    cJSON_Delete(j);
    if (d->bytes == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    /* Never write a bundle that a verifier must refuse. */
    if (d->len > MS_OCI_MAX_DOCUMENT)
        return ms_fail(err, MS_E_LIMIT,
                       "the %s would be %zu bytes, over the %u-byte document limit (too many "
                       "files or too long paths)", what, d->len, MS_OCI_MAX_DOCUMENT);
    uint8_t dg[MS_SHA256_LEN];
    ms_sha256_buf(d->bytes, d->len, dg);
    ms_hex_encode(dg, MS_SHA256_LEN, d->hex);
    return MS_OK;
}

static const char *layer_media_type(ms_file_kind k)
{
    switch (k) {
    case MS_FILE_WEIGHTS: return MS_MT_MODEL_WEIGHT;
    case MS_FILE_CONFIG: return MS_MT_MODEL_WEIGHT_CONFIG;
    case MS_FILE_DOC: return MS_MT_MODEL_DOC;
    case MS_FILE_CODE: return MS_MT_MODEL_CODE;
    }
    return MS_MT_MODEL_WEIGHT_CONFIG;
}

static ms_status check_options(const ms_pack_options *o, ms_error *err)
{
    const char *p;
    if (o->model_path == NULL || o->output_path == NULL || o->key == NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a model, an output path and a key");
    if (o->name == NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a model name (--name)");
    if ((p = ms_name_problem(o->name)) != NULL)
        return ms_fail(err, MS_E_USAGE, "invalid name '%s': %s", o->name, p);
    if (o->version == NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a version (--version)");
    if ((p = ms_semver_problem(o->version)) != NULL)
        return ms_fail(err, MS_E_USAGE, "invalid version '%s': %s", o->version, p);
    if (o->quantize != NULL && strcmp(o->quantize, "none") != 0)
        return ms_fail(err, MS_E_USAGE,
                       "unknown quantization scheme '%s' (available: none)", o->quantize);
    if (o->license != NULL && (o->license[0] == '\0' || strlen(o->license) > 1024))
        return ms_fail(err, MS_E_USAGE, "a license expression must be 1-1024 bytes");
    if (o->license != NULL && !ms_utf8_valid(o->license))
        return ms_fail(err, MS_E_USAGE, "the license is not valid UTF-8");
    if (o->description != NULL && strlen(o->description) > 65536)
        return ms_fail(err, MS_E_USAGE, "a description must be at most 65536 bytes");
    if (o->description != NULL && !ms_utf8_valid(o->description))
        return ms_fail(err, MS_E_USAGE, "the description is not valid UTF-8");
    if (o->builder_id != NULL && (o->builder_id[0] == '\0' || !ms_utf8_valid(o->builder_id)))
        return ms_fail(err, MS_E_USAGE, "the builder id must be non-empty UTF-8");
    return MS_OK;
}

static void doc_free(ms_doc *d)
{
    free(d->bytes);
    d->bytes = NULL;
}

ms_status ms_pack(const ms_pack_options *opt, ms_pack_result *res, ms_error *err)
{
    ms_status st = check_options(opt, err);
    if (st != MS_OK)
        return st;
    ms_model *model = NULL;
    file_entry *files = NULL;
    ms_doc metadata = {0}, config = {0}, manifest = {0}, statement = {0}, envelope = {0},
           sigmanifest = {0}, index = {0};
    ms_tar_writer *w = NULL;

    if ((st = ms_model_open(opt->model_path, &model, err)) != MS_OK)
        goto out;
    size_t n = ms_model_file_count(model);
    files = calloc(n, sizeof *files);
    if (files == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        files[i].f = ms_model_file_at(model, i);
        /* The path rules verify and unpack apply, checked before anything is written. */
        const char *problem = ms_path_problem(files[i].f->relpath);
        if (problem == NULL && !ms_utf8_valid(files[i].f->relpath))
            problem = "not valid UTF-8";
        if (problem != NULL) {
            st = ms_fail(err, MS_E_UNSUPPORTED, "%s: file name cannot go into a bundle: %s",
                         files[i].f->path, problem);
            goto out;
        }
        uint8_t dg[MS_SHA256_LEN];
        if ((st = ms_sha256_file(files[i].f->path, dg, &files[i].size, err)) != MS_OK)
            goto out;
        ms_hex_encode(dg, MS_SHA256_LEN, files[i].hex);
        total += files[i].size;
    }

    ms_pack_facts facts = {
        .opt = opt,
        .model = model,
        .file_count = n,
        .param_count = 0,
    };
    for (size_t i = 0; i < n; i++) {
        const ms_safetensors *st_file = files[i].f->st;
        for (size_t t = 0; st_file != NULL && t < ms_safetensors_count(st_file); t++) {
            const ms_tensor_info *ti = ms_safetensors_tensor(st_file, t);
            uint64_t count = 1;
            for (size_t d = 0; d < ti->ndim; d++)
                count *= ti->shape[d];
            facts.param_count += count;
        }
    }

    /* Layers: model files in path order, then modelseal's own documents. */
    cJSON *layers = cJSON_CreateArray();
    if (layers == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *ann = cJSON_CreateObject();
        if (ann != NULL)
            cJSON_AddStringToObject(ann, MS_ANN_FILEPATH, files[i].f->relpath);
        cJSON *d = ms_descriptor_build(layer_media_type(files[i].f->kind), NULL, files[i].hex,
                                       files[i].size, ann);
        if (d == NULL || !cJSON_AddItemToArray(layers, d)) {
            cJSON_Delete(layers);
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
    }
    if ((st = doc_from_json(ms_doc_metadata(&facts), &metadata, "metadata", err)) != MS_OK) {
        cJSON_Delete(layers);
        goto out;
    }
    cJSON *md = ms_descriptor_build(MS_MT_METADATA, NULL, metadata.hex, metadata.len, NULL);
    if (md == NULL || !cJSON_AddItemToArray(layers, md)) {
        cJSON_Delete(layers);
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    if ((st = doc_from_json(ms_doc_config(&facts, layers), &config, "config", err)) != MS_OK) {
        cJSON_Delete(layers);
        goto out;
    }
    if ((st = doc_from_json(ms_doc_manifest(&facts, &config, layers), &manifest, "manifest",
                            err)) != MS_OK)
        goto out;

    const char **paths = calloc(n ? n : 1, sizeof *paths);
    const char **hexes = calloc(n ? n : 1, sizeof *hexes);
    if (paths == NULL || hexes == NULL) {
        free(paths);
        free(hexes);
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        paths[i] = files[i].f->relpath;
        hexes[i] = files[i].hex;
    }
    st = doc_from_json(ms_doc_statement(&facts, &manifest, paths, hexes), &statement,
                       "statement", err);
    free(paths);
    free(hexes);
    if (st != MS_OK)
        goto out;

    if ((st = ms_dsse_sign(MS_INTOTO_PAYLOAD_TYPE, (const uint8_t *)statement.bytes,
                           statement.len, opt->key, &envelope.bytes, &envelope.len, err)) !=
        MS_OK)
        goto out;
    if (envelope.len > MS_OCI_MAX_DOCUMENT) {
        st = ms_fail(err, MS_E_LIMIT, "the signature envelope would be %zu bytes, over the "
                     "%u-byte document limit", envelope.len, MS_OCI_MAX_DOCUMENT);
        goto out;
    }
    uint8_t dg[MS_SHA256_LEN];
    ms_sha256_buf(envelope.bytes, envelope.len, dg);
    ms_hex_encode(dg, MS_SHA256_LEN, envelope.hex);

    if ((st = doc_from_json(ms_doc_signature_manifest(
                                &manifest, &envelope, ms_secret_key_id(opt->key),
                                ms_key_algorithm_name(ms_secret_key_algorithm(opt->key))),
                            &sigmanifest, "signature manifest", err)) != MS_OK)
        goto out;
    if ((st = doc_from_json(ms_doc_index(opt->version, &manifest, &sigmanifest), &index,
                            "index", err)) != MS_OK)
        goto out;

    int64_t mtime = opt->source_date_epoch >= 0 ? opt->source_date_epoch : 0;
    if ((st = ms_tar_writer_open(opt->output_path, mtime, &w, err)) != MS_OK)
        goto out;
    const char layout[] = MS_OCI_LAYOUT_CONTENT;
    if ((st = ms_tar_writer_add_bytes(w, "oci-layout", layout, strlen(layout), err)) != MS_OK ||
        (st = ms_tar_writer_add_bytes(w, "index.json", index.bytes, index.len, err)) != MS_OK)
        goto out;
    /* Documents first, so a streaming reader meets every JSON blob before the weights. */
    const ms_doc *docs[] = {&manifest, &sigmanifest, &config, &metadata, &envelope};
    char name[96];
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        snprintf(name, sizeof name, "blobs/sha256/%s", docs[i]->hex);
        if ((st = ms_tar_writer_add_bytes(w, name, docs[i]->bytes, docs[i]->len, err)) != MS_OK)
            goto out;
    }
    snprintf(name, sizeof name, "blobs/sha256/%s", MS_EMPTY_DIGEST_HEX);
    if ((st = ms_tar_writer_add_bytes(w, name, MS_EMPTY_BLOB, 2, err)) != MS_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(files[j].hex, files[i].hex) == 0;
        for (size_t j = 0; j < sizeof docs / sizeof docs[0] && !seen; j++)
            seen = strcmp(docs[j]->hex, files[i].hex) == 0;
        seen = seen || strcmp(files[i].hex, MS_EMPTY_DIGEST_HEX) == 0;
        if (seen)
            continue; /* identical content is one blob */
        snprintf(name, sizeof name, "blobs/sha256/%s", files[i].hex);
        uint8_t want[MS_SHA256_LEN];
        ms_hex_decode(files[i].hex, MS_SHA256_LEN, want);
        if ((st = ms_tar_writer_add_file(w, name, files[i].f->path, files[i].size, want,
                                         err)) != MS_OK)
            goto out;
    }
    if ((st = ms_tar_writer_commit(w, err)) != MS_OK)
        goto out;
    if (res != NULL) {
        snprintf(res->manifest_digest, sizeof res->manifest_digest, "sha256:%s", manifest.hex);
        res->file_count = n;
        res->model_bytes = total;
    }
out:
    ms_tar_writer_free(w);
    doc_free(&metadata);
    doc_free(&config);
    doc_free(&manifest);
    doc_free(&statement);
    doc_free(&envelope);
    doc_free(&sigmanifest);
    doc_free(&index);
    free(files);
    ms_model_close(model);
    return st;
}
