/*
 * GGUF metadata of an export: the standard general.* keys from the
 * bundle's signed metadata document, and modelseal.* keys that trace the
 * file back to its bundle (docs/export.md section 3 lists them all).  Only
 * verified documents are read here: ms_export runs after ms_verify_view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error_internal.h"
#include "core/json.h"
#include "core/oci.h"
#include "core/text.h"
#include "export/gguf_meta.h"
#include "modelseal/bundle.h"

#define GGML_QNT_VERSION 2 /* ggml's quantization version of the q*_0 and K-quant layouts */

/* general.architecture: config.json's model_type, lower case, [a-z0-9] only; else "unknown". */
static void architecture(const char *config, size_t len, char *arch, size_t cap)
{
    snprintf(arch, cap, "unknown");
    if (config == NULL)
        return;
    cJSON *doc = NULL;
    ms_error ignored;
    if (ms_json_parse(config, len, "config.json", &doc, &ignored) != MS_OK)
        return;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(doc, "model_type");
    if (cJSON_IsString(mt)) {
        size_t n = 0;
        for (const char *p = mt->valuestring; *p != '\0' && n + 1 < cap; p++) {
            char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
            if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
                arch[n++] = ch;
        }
        if (n > 0)
            arch[n] = '\0';
    }
    cJSON_Delete(doc);
}

static ms_status add_str(ms_gguf_writer *w, const char *key, const cJSON *obj, const char *member,
                         ms_error *err)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, member);
    if (!cJSON_IsString(s))
        return MS_OK;
    return ms_gguf_writer_add_string(w, key, s->valuestring, err);
}

/* general.base_model.* or general.dataset.*: count, then name and repo_url per entry. */
static ms_status add_parents(ms_gguf_writer *w, const cJSON *arr, const char *prefix,
                             ms_error *err)
{
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    if (n == 0)
        return MS_OK;
    char key[96];
    snprintf(key, sizeof key, "%s.count", prefix);
    ms_status s = ms_gguf_writer_add_u32(w, key, (uint32_t)n, err);
    for (int i = 0; s == MS_OK && i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(arr, i);
        snprintf(key, sizeof key, "%s.%d.name", prefix, i);
        s = add_str(w, key, e, "name", err);
        snprintf(key, sizeof key, "%s.%d.repo_url", prefix, i);
        if (s == MS_OK)
            s = add_str(w, key, e, "uri", err);
    }
    return s;
}

static ms_status add_modelseal(ms_gguf_writer *w, const ms_view *v, const ms_report *r,
                               ms_error *err)
{
    char d[80];
    snprintf(d, sizeof d, "sha256:%s", v->manifest_hex);
    ms_status s = ms_gguf_writer_add_string(w, "modelseal.bundle.manifest_digest", d, err);
    char hex[MS_SHA256_HEX_LEN + 1];
    if (s == MS_OK && ms_view_provenance(v, hex) != NULL) {
        snprintf(d, sizeof d, "sha256:%s", hex);
        s = ms_gguf_writer_add_string(w, "modelseal.bundle.statement_digest", d, err);
    }
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(v->manifest, "layers");
    const cJSON *l;
    cJSON_ArrayForEach(l, layers)
    {
        const cJSON *mt = cJSON_GetObjectItemCaseSensitive(l, "mediaType");
        const cJSON *dg = cJSON_GetObjectItemCaseSensitive(l, "digest");
        if (s == MS_OK && cJSON_IsString(mt) && cJSON_IsString(dg) &&
            strcmp(mt->valuestring, MS_MT_COMPRESSION_REPORT) == 0) {
            s = ms_gguf_writer_add_string(w, "modelseal.bundle.compression_report_digest",
                                          dg->valuestring, err);
            break;
        }
    }
    size_t ns = ms_report_signature_count(r), k = 0;
    const char **ids = calloc(ns ? ns : 1, sizeof *ids);
    if (ids == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < ns; i++) {
        ms_report_sig sig;
        if (ms_report_signature_get(r, i, &sig) && sig.trusted && sig.valid && sig.keyid != NULL)
            ids[k++] = sig.keyid;
    }
    if (s == MS_OK && k > 0)
        s = ms_gguf_writer_add_string_array(w, "modelseal.bundle.signers", ids, k, err);
    free(ids);
    if (s == MS_OK)
        s = ms_gguf_writer_add_string(w, "modelseal.export.version", ms_version(), err);
    return s;
}

ms_status ms_gguf_meta_new(const ms_view *v, const ms_report *r, const char *config,
                           size_t config_len, char *arch, size_t arch_cap, ms_gguf_writer **out,
                           ms_error *err)
{
    *out = NULL;
    architecture(config, config_len, arch, arch_cap);
    ms_gguf_writer *w = NULL;
    ms_status s = ms_gguf_writer_new(MS_GGUF_DEFAULT_ALIGNMENT, &w, err);
    if (s == MS_OK)
        s = ms_gguf_writer_add_string(w, "general.architecture", arch, err);
    const cJSON *m = v->metadata;
    if (s == MS_OK)
        s = add_str(w, "general.name", m, "name", err);
    if (s == MS_OK)
        s = add_str(w, "general.version", m, "version", err);
    if (s == MS_OK)
        s = add_str(w, "general.description", m, "description", err);
    if (s == MS_OK)
        s = add_str(w, "general.license", m, "license", err);
    const cJSON *authors = cJSON_GetObjectItemCaseSensitive(m, "authors");
    if (s == MS_OK && cJSON_IsArray(authors) && cJSON_GetArraySize(authors) > 0) {
        ms_strbuf b = {0};
        const cJSON *a;
        int first = 1;
        cJSON_ArrayForEach(a, authors)
        {
            if (cJSON_IsString(a)) {
                ms_strbuf_printf(&b, "%s%s", first ? "" : ", ", a->valuestring);
                first = 0;
            }
        }
        char *text = ms_strbuf_take(&b);
        if (text == NULL)
            s = ms_fail(err, MS_E_NOMEM, "out of memory");
        else if (text[0] != '\0')
            s = ms_gguf_writer_add_string(w, "general.author", text, err);
        free(text);
    }
    if (s == MS_OK)
        s = add_parents(w, cJSON_GetObjectItemCaseSensitive(m, "baseModels"), "general.base_model",
                        err);
    if (s == MS_OK)
        s = add_parents(w, cJSON_GetObjectItemCaseSensitive(m, "datasets"), "general.dataset",
                        err);
    if (s == MS_OK)
        s = add_modelseal(w, v, r, err);
    if (s != MS_OK) {
        ms_gguf_writer_free(w);
        return s;
    }
    *out = w;
    return MS_OK;
}

ms_status ms_gguf_meta_types(ms_gguf_writer *w, const uint32_t *types, const uint64_t *elems,
                             const uint32_t *ndims, size_t n, ms_error *err)
{
    /* llama.cpp's llama_ftype values for the types modelseal writes */
    static const struct {
        uint32_t type, ftype;
    } ftypes[] = {{MS_GGML_F32, 0},   {MS_GGML_F16, 1},   {MS_GGML_Q4_0, 2}, {MS_GGML_Q8_0, 7},
                  {MS_GGML_Q4_K, 14}, {MS_GGML_Q6_K, 18}, {MS_GGML_BF16, 32}};
    uint64_t total[sizeof ftypes / sizeof ftypes[0]] = {0};
    int quantized = 0;
    for (size_t i = 0; i < n; i++) {
        quantized |= ms_ggml_block_size(types[i]) > 1;
        for (size_t k = 0; k < sizeof ftypes / sizeof ftypes[0]; k++)
            if (ftypes[k].type == types[i] && ndims[i] >= 2)
                total[k] += elems[i];
    }
    size_t best = 0;
    for (size_t k = 1; k < sizeof ftypes / sizeof ftypes[0]; k++)
        if (total[k] > total[best])
            best = k;
    ms_status s = ms_gguf_writer_add_u32(w, "general.file_type", ftypes[best].ftype, err);
    if (s == MS_OK && quantized)
        s = ms_gguf_writer_add_u32(w, "general.quantization_version", GGML_QNT_VERSION, err);
    return s;
}
