/*
 * libFuzzer target for spec files, modelseal.json (packager/spec.c,
 * docs/spec-file.md).  The input is written as modelseal.json into a
 * scratch directory that also holds a small dataset file and a dataset
 * directory, then read with ms_spec_load() and parsed from memory with
 * ms_spec_parse() (relative paths start from that directory).  Invariants:
 *   - loading the file and parsing the bytes give the same status, message
 *     and result; the status is MS_OK or a refusal (MS_E_USAGE, MS_E_FORMAT,
 *     MS_E_UNSUPPORTED, MS_E_LIMIT, MS_E_IO, MS_E_REJECTED) with a
 *     sanitized message;
 *   - an accepted spec: its digest is the SHA-256 of the input; name and
 *     version pass ms_name_problem() and ms_semver_problem(); every text is
 *     non-empty UTF-8 of at most MS_SPEC_MAX_TEXT bytes; every license is
 *     canonical (ms_spdx_parse() gives it back unchanged); at most
 *     MS_SPEC_MAX_ENTRIES authors, base models and datasets; each base model
 *     has a digest and a known relation, each dataset a known role and a
 *     digest or a URI; a digest the spec states is the one recorded, and
 *     that of a dataset path is the file's or directory's; a recipe parses as a recipe; warnings are sanitized lines;
 *   - replaying the checked-in corpus, a seed named valid-* parses.
 * Inputs naming a dataset path or parent bundle that is absolute or holds a
 * ".." component are skipped: the spec's author may name any local file,
 * and the target must not hash the machine it runs on.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "compress/recipe.h"
#include "core/digest.h"
#include "core/json.h"
#include "core/text.h"
#include "fuzz_common.h"
#include "modelseal/bundle.h"
#include "packager/spec.h"
#include "policy/spdx.h"

static char *g_dir, *g_spec_path;

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void cleanup(void)
{
    if (g_dir != NULL)
        nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_at(const char *rel, const void *data, size_t len)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", g_dir, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (len > 0 && write(fd, data, len) != (ssize_t)len) || close(fd) != 0)
        abort();
}

/* The scratch directory: modelseal.json (the input), data.csv, data/{a.txt,sub/b.txt}. */
static void setup(void)
{
    if (g_dir != NULL)
        return;
    const char *tmp = getenv("TMPDIR");
    char t[4096];
    snprintf(t, sizeof t, "%s/fuzz-spec.XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(t) == NULL)
        abort();
    g_dir = strdup(t);
    atexit(cleanup);
    char p[4200];
    snprintf(p, sizeof p, "%s/data", g_dir);
    if (mkdir(p, 0700) != 0)
        abort();
    snprintf(p, sizeof p, "%s/data/sub", g_dir);
    if (mkdir(p, 0700) != 0)
        abort();
    write_at("data.csv", "x,y\n1,2\n", 8);
    write_at("data/a.txt", "a\n", 2);
    write_at("data/sub/b.txt", "b\n", 2);
    snprintf(p, sizeof p, "%s/modelseal.json", g_dir);
    g_spec_path = strdup(p);
}

/* 1 when every local path the spec names stays inside the scratch directory. */
static int paths_contained(const cJSON *root)
{
    static const char *const arrays[] = {"baseModels", "datasets"};
    static const char *const keys[] = {"bundle", "path"};
    for (size_t a = 0; a < 2; a++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, arrays[a]), *it;
        if (!cJSON_IsArray(arr))
            continue;
        cJSON_ArrayForEach(it, arr)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, keys[a]);
            if (!cJSON_IsString(v))
                continue;
            const char *s = v->valuestring;
            if (s[0] == '/' || strcmp(s, "..") == 0 || strncmp(s, "../", 3) == 0 ||
                strstr(s, "/../") != NULL ||
                (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0))
                return 0;
        }
    }
    return 1;
}

static int refusal(ms_status st)
{
    return st == MS_E_USAGE || st == MS_E_FORMAT || st == MS_E_UNSUPPORTED ||
           st == MS_E_LIMIT || st == MS_E_IO || st == MS_E_REJECTED;
}

static void check_text(const char *s, int required)
{
    if (s == NULL) {
        if (required)
            abort();
        return;
    }
    if (s[0] == '\0' || strlen(s) > MS_SPEC_MAX_TEXT || !ms_utf8_valid(s))
        abort();
}

static void check_license(const char *lic)
{
    if (lic == NULL)
        return;
    check_text(lic, 1);
    ms_spdx_expr *e = NULL;
    ms_error err;
    ms_error_clear(&err);
    if (ms_spdx_parse(lic, &e, &err) != MS_OK || strcmp(ms_spdx_canonical(e), lic) != 0)
        abort();
    ms_spdx_free(e);
}

static int is_hex64(const char *h)
{
    return strlen(h) == MS_SHA256_HEX_LEN && ms_is_sha256_hex(h);
}

static int one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s != NULL && strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int eq_opt(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_spec(const ms_spec *s, const uint8_t *data, size_t size)
{
    static const char *const relations[] = {"finetune", "quantized", "merge", "adapter",
                                            "distilled"};
    static const char *const roles[] = {"training", "evaluation", "calibration"};
    uint8_t dg[MS_SHA256_LEN];
    char hex[MS_SHA256_HEX_LEN + 1];
    ms_sha256_buf(data, size, dg);
    ms_hex_encode(dg, MS_SHA256_LEN, hex);
    if (strcmp(s->hex, hex) != 0)
        abort();
    if ((s->name != NULL && ms_name_problem(s->name) != NULL) ||
        (s->version != NULL && ms_semver_problem(s->version) != NULL))
        abort();
    check_text(s->description, 0);
    check_text(s->intended_use, 0);
    check_text(s->out_of_scope_use, 0);
    check_text(s->limitations, 0);
    check_license(s->license);
    if (s->author_count > MS_SPEC_MAX_ENTRIES || s->base_model_count > MS_SPEC_MAX_ENTRIES ||
        s->dataset_count > MS_SPEC_MAX_ENTRIES)
        abort();
    for (size_t i = 0; i < s->author_count; i++)
        check_text(s->authors[i], 1);
    if (!s->has_base_models && s->base_model_count != 0)
        abort();
    for (size_t i = 0; i < s->base_model_count; i++) {
        const ms_spec_base_model *b = &s->base_models[i];
        check_text(b->name, 1);
        check_text(b->uri, 0);
        check_license(b->license);
        if (!is_hex64(b->hex) || !one_of(b->relation, relations, 5))
            abort();
    }
    if (!s->has_datasets && s->dataset_count != 0)
        abort();
    for (size_t i = 0; i < s->dataset_count; i++) {
        const ms_spec_dataset *d = &s->datasets[i];
        check_text(d->name, 1);
        check_text(d->uri, 0);
        check_license(d->license);
        if (!one_of(d->role, roles, 3) || (d->hex[0] != '\0' && !is_hex64(d->hex)) ||
            (d->hex[0] == '\0' && d->uri == NULL) || (!d->has_records && d->records != 0))
            abort();
    }
    if (s->recipe_json != NULL) {
        ms_recipe *r = NULL;
        ms_error err;
        ms_error_clear(&err);
        if (ms_recipe_parse(s->recipe_json, strlen(s->recipe_json), "recipe", &r, &err) != MS_OK)
            abort();
        ms_recipe_free(r);
    }
    if (s->warnings != NULL) {
        size_t n = strlen(s->warnings);
        if (n == 0 || s->warnings[n - 1] != '\n')
            abort();
        for (const unsigned char *c = (const unsigned char *)s->warnings; *c != '\0'; c++)
            if ((*c < 0x20 && *c != '\n') || *c == 0x7f)
                abort();
    }
}

/* A digest the document states is the one recorded: "sha256:" + hex. */
static void check_stated_digest(const cJSON *item, const char *hex)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(item, "digest");
    if (d != NULL && (!cJSON_IsString(d) || strncmp(d->valuestring, "sha256:", 7) != 0 ||
                      strcmp(d->valuestring + 7, hex) != 0))
        abort();
}

/*
 * Digests: those stated are the ones recorded, and a dataset path's is the
 * one ms_dataset_digest() gives.
 */
static void check_digests(const ms_spec *s, const cJSON *root)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "baseModels"), *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, arr)
    {
        if (i >= s->base_model_count)
            abort();
        check_stated_digest(it, s->base_models[i++].hex);
    }
    arr = cJSON_GetObjectItemCaseSensitive(root, "datasets");
    i = 0;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "path");
        if (i >= s->dataset_count)
            abort();
        check_stated_digest(it, s->datasets[i].hex);
        if (cJSON_IsString(p)) {
            char full[4200], hex[MS_SHA256_HEX_LEN + 1];
            snprintf(full, sizeof full, "%s/%s", g_dir, p->valuestring);
            ms_error err;
            ms_error_clear(&err);
            if (ms_dataset_digest(full, "dataset", hex, &err) != MS_OK ||
                strcmp(hex, s->datasets[i].hex) != 0)
                abort();
        }
        i++;
    }
}

static void same_spec(const ms_spec *a, const ms_spec *b)
{
    if (strcmp(a->hex, b->hex) != 0 || !eq_opt(a->name, b->name) ||
        !eq_opt(a->version, b->version) || !eq_opt(a->license, b->license) ||
        !eq_opt(a->description, b->description) || !eq_opt(a->warnings, b->warnings) ||
        !eq_opt(a->recipe_json, b->recipe_json) || a->author_count != b->author_count ||
        a->base_model_count != b->base_model_count || a->dataset_count != b->dataset_count)
        abort();
    for (size_t i = 0; i < a->base_model_count; i++)
        if (strcmp(a->base_models[i].hex, b->base_models[i].hex) != 0 ||
            !eq_opt(a->base_models[i].license, b->base_models[i].license))
            abort();
    for (size_t i = 0; i < a->dataset_count; i++)
        if (strcmp(a->datasets[i].hex, b->datasets[i].hex) != 0 ||
            a->datasets[i].records != b->datasets[i].records)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    cJSON *root = NULL;
    ms_error err;
    ms_error_clear(&err);
    if (ms_json_parse((const char *)data, size, "probe", &root, &err) == MS_OK &&
        !paths_contained(root)) {
        cJSON_Delete(root);
        return 0;
    }
    write_at("modelseal.json", data, size);

    ms_spec *loaded = NULL, *parsed = NULL;
    ms_error lerr, perr;
    ms_error_clear(&lerr);
    ms_error_clear(&perr);
    ms_status ls = ms_spec_load(g_spec_path, &loaded, &lerr);
    ms_status ps = ms_spec_parse((const char *)data, size, g_spec_path, g_dir, &parsed, &perr);
    fuzz_check_error(ls, &lerr);
    fuzz_check_error(ps, &perr);
    if (ls != ps || (size <= MS_SPEC_MAX_BYTES && strcmp(lerr.message, perr.message) != 0))
        abort();
    if (ps != MS_OK) {
        if (!refusal(ps) || parsed != NULL || loaded != NULL || fuzz_input_is_valid_seed())
            abort();
    } else {
        if (parsed == NULL || loaded == NULL)
            abort();
        check_spec(parsed, data, size);
        check_digests(parsed, root);
        same_spec(parsed, loaded);
    }
    ms_spec_free(loaded);
    ms_spec_free(parsed);
    cJSON_Delete(root);
    return 0;
}
