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

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress/compress.h"
#include "compress/quant.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "core/json.h"
#include "core/oci.h"
#include "core/progress.h"
#include "core/tar.h"
#include "modelseal/bundle.h"
#include "modelseal/dsse.h"
#include "modelseal/model.h"
#include "packager/documents.h"
#include "packager/modelcard.h"
#include "packager/spec.h"

typedef struct file_entry {
    const ms_model_file *f;
    char src_hex[MS_SHA256_HEX_LEN + 1]; /* the input file */
    char hex[MS_SHA256_HEX_LEN + 1];     /* the file as packed (compressed or not) */
    uint64_t size;
    int packed;  /* 1 when pack_fd holds a compressed copy to pack instead of the input */
    int pack_fd; /* a nameless scratch file beside the output (core/outfile.h) */
} file_entry;

/* Compression state of one pack: scratch files that vanish with the process. */
typedef struct pack_compression {
    ms_compress_report *report;
    char *recipe_json;
    int probes_fd; /* valid when probes_hex is set */
    char probes_hex[MS_SHA256_HEX_LEN + 1];
    uint64_t probes_size;
} pack_compression;

static int wants_compression(const ms_pack_options *o, const char *spec_recipe)
{
    return (o->quantize != NULL && strcmp(o->quantize, "none") != 0) ||
           (o->prune != NULL && strcmp(o->prune, "none") != 0) || o->recipe_path != NULL ||
           spec_recipe != NULL;
}

static void compression_cleanup(pack_compression *c, file_entry *files, size_t n)
{
    for (size_t i = 0; files != NULL && i < n; i++)
        if (files[i].packed)
            close(files[i].pack_fd);
    if (c->probes_hex[0])
        close(c->probes_fd);
    free(c->recipe_json);
    ms_compress_report_free(c->report);
}

/*
 * Compress every weight file into the private directory and record what the
 * bundle will hold instead of the input.  The probe seed is the SHA-256 of
 * the input files' digests, so the same inputs give the same bundle.
 */
static ms_status compress_files(const ms_pack_options *o, const char *spec_recipe,
                                file_entry *files, size_t n, pack_compression *c, ms_error *err)
{
    ms_compress_options co = {.quantize = o->quantize,
                              .prune = o->prune,
                              .recipe_path = o->recipe_path,
                              .probes = !o->no_probes,
                              .probe_rows = o->probe_rows,
                              .threads = o->threads};
    ms_recipe *recipe = NULL;
    ms_status st;
    if (spec_recipe != NULL) {
        /* The spec's recipe object (already checked when the spec was read). */
        char what[300];
        snprintf(what, sizeof what, "%s: recipe", o->spec_path != NULL ? o->spec_path : "spec");
        st = ms_recipe_parse(spec_recipe, strlen(spec_recipe), what, &recipe, err);
    } else {
        st = ms_compress_recipe_from(&co, &recipe, err);
    }
    if (st != MS_OK)
        return st;
    ms_sha256 *h = ms_sha256_new();
    uint8_t seed[MS_SHA256_LEN];
    if (h == NULL) {
        ms_recipe_free(recipe);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t dg[MS_SHA256_LEN];
        ms_hex_decode(files[i].src_hex, MS_SHA256_LEN, dg);
        ms_sha256_update(h, dg, sizeof dg);
    }
    ms_sha256_final(h, seed);
    ms_sha256_free(h);
    if ((st = ms_compress_report_new(&co, recipe, seed, &c->report, err)) != MS_OK) {
        ms_recipe_free(recipe);
        return st;
    }
    uint64_t tensor_bytes = 0, tensors = 0;
    for (size_t i = 0; i < n; i++) {
        const ms_safetensors *sf = files[i].f->kind == MS_FILE_WEIGHTS ? files[i].f->st : NULL;
        for (size_t t = 0; sf != NULL && t < ms_safetensors_count(sf); t++, tensors++)
            tensor_bytes += ms_safetensors_tensor(sf, t)->end - ms_safetensors_tensor(sf, t)->begin;
    }
    ms_prog_begin(MS_PROGRESS_COMPRESS, tensor_bytes, tensors);
    for (size_t i = 0; i < n; i++) {
        if (files[i].f->kind != MS_FILE_WEIGHTS)
            continue;
        /* A nameless scratch file beside the output, written around the page
         * cache and hashed on the way: read once more, directly, when it is
         * copied into the bundle (and hashed again). */
        uint8_t dg[MS_SHA256_LEN];
        if ((st = ms_compress_tensors(c->report, files[i].f->st, files[i].f->relpath,
                                      o->output_path,
                                      MS_COMPRESS_OUT_DIRECT | MS_COMPRESS_OUT_SCRATCH,
                                      &files[i].pack_fd, dg, &files[i].size, err)) != MS_OK)
            return st;
        files[i].packed = 1;
        ms_hex_encode(dg, MS_SHA256_LEN, files[i].hex);
    }
    if ((st = ms_compress_report_finish(c->report, err)) != MS_OK)
        return st;
    ms_prog_finish();
    if ((c->recipe_json = ms_compress_recipe_json(c->report)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    if (!o->no_probes && ms_compress_has_probes(c->report)) {
        uint8_t dg[MS_SHA256_LEN];
        if ((st = ms_compress_write_probes_scratch(c->report, o->output_path, &c->probes_fd, dg,
                                                   &c->probes_size, err)) != MS_OK)
            return st;
        ms_hex_encode(dg, MS_SHA256_LEN, c->probes_hex);
        if (c->probes_size > MS_OCI_MAX_PROBES)
            return ms_fail(err, MS_E_LIMIT, "the probes layer would be %llu bytes, over the %u-byte "
                           "limit: use fewer probe rows", (unsigned long long)c->probes_size,
                           MS_OCI_MAX_PROBES);
    }
    return MS_OK;
}

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
    if (o->name == NULL && o->spec_path != NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a model name: --name or \"name\" in %s",
                       o->spec_path);
    if (o->name == NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a model name (--name)");
    if ((p = ms_name_problem(o->name)) != NULL)
        return ms_fail(err, MS_E_USAGE, "invalid name '%s': %s", o->name, p);
    if (o->version == NULL && o->spec_path != NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a version: --version or \"version\" in %s",
                       o->spec_path);
    if (o->version == NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a version (--version)");
    if ((p = ms_semver_problem(o->version)) != NULL)
        return ms_fail(err, MS_E_USAGE, "invalid version '%s': %s", o->version, p);
    ms_scheme scheme;
    if (o->quantize != NULL && ms_scheme_parse(o->quantize, &scheme) != 0)
        return ms_fail(err, MS_E_USAGE, "unknown quantization scheme '%s' (available: none, f16, "
                       "bf16, int8, q8_0, q4_0, q4_k, q6_k)", o->quantize);
    if (o->recipe_path != NULL && (o->quantize != NULL || o->prune != NULL))
        return ms_fail(err, MS_E_USAGE, "a recipe excludes --quantize and --prune");
    if (o->license != NULL && (o->license[0] == '\0' || strlen(o->license) > 1024))
        return ms_fail(err, MS_E_USAGE, "a license expression must be 1-1024 bytes");
    if (o->license != NULL && !ms_utf8_valid(o->license))
        return ms_fail(err, MS_E_USAGE, "the license is not valid UTF-8");
    if (o->description != NULL && strlen(o->description) > 65536)
        return ms_fail(err, MS_E_USAGE, "a description must be at most 65536 bytes");
    if (o->description != NULL && !ms_utf8_valid(o->description))
        return ms_fail(err, MS_E_USAGE, "the description is not valid UTF-8");
    if (o->supersedes != NULL &&
        (strncmp(o->supersedes, "sha256:", 7) != 0 || !ms_is_sha256_hex(o->supersedes + 7)))
        return ms_fail(err, MS_E_USAGE, "--supersedes needs a manifest digest like sha256:<64 "
                       "lower-case hex digits>, not '%.80s'", o->supersedes);
    if (o->builder_id != NULL && (o->builder_id[0] == '\0' || !ms_utf8_valid(o->builder_id)))
        return ms_fail(err, MS_E_USAGE, "the builder id must be non-empty UTF-8");
    return MS_OK;
}

/* Followed links are recorded in the signed provenance: their paths obey the bundle's rules. */
static ms_status check_links(const ms_model *m, ms_error *err)
{
    for (size_t i = 0; i < ms_model_link_count(m); i++) {
        const ms_model_link *l = ms_model_link_at(m, i);
        const char *paths[2] = {l->link, l->target};
        for (size_t k = 0; k < 2; k++) {
            const char *problem = ms_path_problem(paths[k]);
            if (problem == NULL && !ms_utf8_valid(paths[k]))
                problem = "not valid UTF-8";
            if (problem != NULL)
                return ms_fail(err, MS_E_UNSUPPORTED,
                               "symbolic link '%s' -> '%s': %s cannot be recorded: %s", l->link,
                               l->target, k == 0 ? "its path" : "its target", problem);
        }
    }
    return MS_OK;
}

static char *links_text(const ms_model *m)
{
    if (ms_model_link_count(m) == 0)
        return NULL;
    ms_strbuf b = {0};
    for (size_t i = 0; i < ms_model_link_count(m); i++)
        ms_strbuf_printf(&b, "%s -> %s\n", ms_model_link_at(m, i)->link,
                         ms_model_link_at(m, i)->target);
    return ms_strbuf_take(&b);
}

static void doc_free(ms_doc *d)
{
    free(d->bytes);
    d->bytes = NULL;
}

/*
 * The spec file and the model card front matter: lineage for the documents,
 * and what the options leave NULL (the command line wins, then the spec,
 * then the card).  *recipe is the spec's recipe when no option asks for
 * compression.  eff borrows strings from *spec.
 */
static ms_status load_lineage(const ms_pack_options *o, ms_pack_options *eff, ms_spec **spec,
                              const char **recipe, ms_error *err)
{
    ms_status st;
    *eff = *o;
    *recipe = NULL;
    if (o->model_path == NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs a model, an output path and a key");
    if (o->spec_path != NULL) {
        if ((st = ms_spec_load(o->spec_path, spec, err)) != MS_OK)
            return st;
    } else if ((*spec = calloc(1, sizeof **spec)) == NULL) {
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    /* --license is validated and canonicalized as a spec file's license is. */
    if (o->license != NULL &&
        (st = ms_spec_set_license(*spec, o->license, "--license", err)) != MS_OK)
        return st;
    struct stat sb;
    if (stat(o->model_path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        ms_card_meta *card = NULL;
        if ((st = ms_card_load(o->model_path, o->follow_links_under, &card, err)) != MS_OK)
            return st;
        st = ms_card_merge(*spec, card, "README.md", err);
        if (st == MS_OK)
            st = ms_card_check_license(*spec, card, "README.md", err);
        ms_card_free(card);
        if (st != MS_OK)
            return st;
    }
    const ms_spec *s = *spec;
    if (eff->name == NULL)
        eff->name = s->name;
    if (eff->version == NULL)
        eff->version = s->version;
    eff->license = s->license;
    if (eff->description == NULL)
        eff->description = s->description;
    if (o->quantize == NULL && o->prune == NULL && o->recipe_path == NULL)
        *recipe = s->recipe_json;
    return MS_OK;
}

static ms_status pack(const ms_pack_options *opt_in, ms_pack_result *res, ms_error *err)
{
    ms_pack_options eff;
    const ms_pack_options *opt = &eff;
    ms_spec *spec = NULL;
    const char *spec_recipe = NULL;
    ms_status st = load_lineage(opt_in, &eff, &spec, &spec_recipe, err);
    if (st == MS_OK)
        st = check_options(opt, err);
    if (st != MS_OK) {
        ms_spec_free(spec);
        return st;
    }
    ms_model *model = NULL;
    file_entry *files = NULL;
    ms_doc metadata = {0}, config = {0}, manifest = {0}, statement = {0}, envelope = {0},
           sigmanifest = {0}, index = {0}, report = {0};
    pack_compression comp = {0};
    const char **src_hexes = NULL;
    size_t n = 0;
    ms_tar_writer *w = NULL;

    /* The output first: an unwritable place is found before any hashing. */
    int64_t mtime = opt->source_date_epoch >= 0 ? opt->source_date_epoch : 0;
    if ((st = ms_tar_writer_open(opt->output_path, mtime, &w, err)) != MS_OK)
        goto out;
    if ((st = ms_model_open_under(opt->model_path, opt->follow_links_under, &model, err)) !=
            MS_OK ||
        (st = check_links(model, err)) != MS_OK)
        goto out;
    n = ms_model_file_count(model);
    /* A signed bundle of no weights would vouch for nothing. */
    for (size_t i = 0; i < n; i++) {
        const ms_model_file *mf = ms_model_file_at(model, i);
        if (mf->kind == MS_FILE_WEIGHTS && mf->st != NULL && ms_safetensors_count(mf->st) == 0) {
            st = ms_fail(err, MS_E_FORMAT, "%s: holds no tensors: there is no model to seal",
                         mf->path);
            goto out;
        }
    }
    files = calloc(n, sizeof *files);
    if (files == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ms_model_file_at(model, i)->size;
    ms_prog_begin(MS_PROGRESS_HASH_MODEL, total, n);
    total = 0;
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
        /* The file the walk checked, not whatever the path names now; the tar writer then
         * checks the bytes it stores against this digest. */
        if ((st = ms_sha256_file_same(files[i].f->path, files[i].f->dev, files[i].f->ino, dg,
                                      &files[i].size, err)) != MS_OK)
            goto out;
        ms_prog_add(0, 1);
        ms_hex_encode(dg, MS_SHA256_LEN, files[i].src_hex);
        memcpy(files[i].hex, files[i].src_hex, sizeof files[i].hex);
    }
    ms_prog_finish();
    if (wants_compression(opt, spec_recipe) &&
        (st = compress_files(opt, spec_recipe, files, n, &comp, err)) != MS_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        total += files[i].size;
    if (comp.report != NULL) {
        report.bytes = ms_compress_report_render(comp.report, 2);
        if (report.bytes == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
        report.len = strlen(report.bytes);
        if (report.len > MS_OCI_MAX_DOCUMENT) {
            st = ms_fail(err, MS_E_LIMIT, "the compression report would be %zu bytes, over "
                         "the %u-byte document limit", report.len, MS_OCI_MAX_DOCUMENT);
            goto out;
        }
        uint8_t rdg[MS_SHA256_LEN];
        ms_sha256_buf(report.bytes, report.len, rdg);
        ms_hex_encode(rdg, MS_SHA256_LEN, report.hex);
    }

    src_hexes = calloc(n ? n : 1, sizeof *src_hexes);
    if (src_hexes == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        src_hexes[i] = files[i].src_hex;
    ms_pack_facts facts = {
        .opt = opt,
        .model = model,
        .file_count = n,
        .param_count = 0,
        .src_hexes = src_hexes,
        .recipe_json = comp.recipe_json,
        .report_hex = report.bytes != NULL ? report.hex : NULL,
        .probes_hex = comp.probes_hex[0] ? comp.probes_hex : NULL,
        .spec = spec,
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
    cJSON *rd = report.bytes == NULL ? NULL
                                     : ms_descriptor_build(MS_MT_COMPRESSION_REPORT, NULL,
                                                           report.hex, report.len, NULL);
    cJSON *pd = comp.probes_hex[0] == '\0' ? NULL
                                            : ms_descriptor_build(MS_MT_PROBES, NULL, comp.probes_hex,
                                                                  comp.probes_size, NULL);
    if (md == NULL || !cJSON_AddItemToArray(layers, md) ||
        (report.bytes != NULL && (rd == NULL || !cJSON_AddItemToArray(layers, rd))) ||
        (comp.probes_hex[0] && (pd == NULL || !cJSON_AddItemToArray(layers, pd)))) {
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

    ms_prog_begin(MS_PROGRESS_WRITE_BUNDLE, total + comp.probes_size, n);
    const char layout[] = MS_OCI_LAYOUT_CONTENT;
    if ((st = ms_tar_writer_add_bytes(w, "oci-layout", layout, strlen(layout), err)) != MS_OK ||
        (st = ms_tar_writer_add_bytes(w, "index.json", index.bytes, index.len, err)) != MS_OK)
        goto out;
    /* Documents first, so a streaming reader meets every JSON blob before the weights. */
    const ms_doc *docs[] = {&manifest, &sigmanifest, &config, &metadata, &envelope, &report};
    size_t ndocs = report.bytes != NULL ? 6 : 5;
    char name[96];
    for (size_t i = 0; i < ndocs; i++) {
        snprintf(name, sizeof name, "blobs/sha256/%s", docs[i]->hex);
        if ((st = ms_tar_writer_add_bytes(w, name, docs[i]->bytes, docs[i]->len, err)) != MS_OK)
            goto out;
    }
    snprintf(name, sizeof name, "blobs/sha256/%s", MS_EMPTY_DIGEST_HEX);
    if ((st = ms_tar_writer_add_bytes(w, name, MS_EMPTY_BLOB, 2, err)) != MS_OK)
        goto out;
    /* The probes come before the weights: verify needs them while the weights stream past. */
    if (comp.probes_hex[0]) {
        snprintf(name, sizeof name, "blobs/sha256/%s", comp.probes_hex);
        uint8_t want[MS_SHA256_LEN];
        ms_hex_decode(comp.probes_hex, MS_SHA256_LEN, want);
        if ((st = ms_tar_writer_add_fd(w, name, comp.probes_fd, "integrity probes",
                                       comp.probes_size, want, 0, err)) != MS_OK)
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(files[j].hex, files[i].hex) == 0;
        for (size_t j = 0; j < ndocs && !seen; j++)
            seen = strcmp(docs[j]->hex, files[i].hex) == 0;
        seen = seen || strcmp(comp.probes_hex, files[i].hex) == 0;
        seen = seen || strcmp(files[i].hex, MS_EMPTY_DIGEST_HEX) == 0;
        if (seen) {
            ms_prog_add(files[i].size, 1);
            continue; /* identical content is one blob */
        }
        snprintf(name, sizeof name, "blobs/sha256/%s", files[i].hex);
        uint8_t want[MS_SHA256_LEN];
        ms_hex_decode(files[i].hex, MS_SHA256_LEN, want);
        /* A compressed file was written around the page cache and is read once more. */
        if (files[i].packed)
            st = ms_tar_writer_add_fd(w, name, files[i].pack_fd, files[i].f->relpath,
                                      files[i].size, want, MS_TAR_READ_DIRECT, err);
        else
            st = ms_tar_writer_add_file(w, name, files[i].f->path, files[i].size, want, 0, err);
        if (st != MS_OK)
            goto out;
        ms_prog_add(0, 1);
    }
    if ((st = ms_tar_writer_commit(w, err)) != MS_OK)
        goto out;
    ms_prog_finish();
    if (res != NULL) {
        snprintf(res->manifest_digest, sizeof res->manifest_digest, "sha256:%s", manifest.hex);
        res->file_count = n;
        res->model_bytes = total;
        res->compressed = comp.report != NULL;
        res->report_text = comp.report != NULL ? ms_compress_report_render(comp.report, 0) : NULL;
        snprintf(res->name, sizeof res->name, "%s", opt->name);
        snprintf(res->version, sizeof res->version, "%s", opt->version);
        res->warnings = spec->warnings;
        spec->warnings = NULL;
        res->links = links_text(model);
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
    doc_free(&report);
    free(src_hexes);
    compression_cleanup(&comp, files, n);
    free(files);
    ms_model_close(model);
    ms_spec_free(spec);
    return st;
}

ms_status ms_pack(const ms_pack_options *opt, ms_pack_result *res, ms_error *err)
{
    if (opt == NULL)
        return ms_fail(err, MS_E_USAGE, "pack needs options");
    ms_prog pg;
    ms_prog_enter(&pg, opt->progress, opt->progress_user);
    ms_status st = pack(opt, res, err);
    ms_prog_leave(&pg);
    return st;
}
