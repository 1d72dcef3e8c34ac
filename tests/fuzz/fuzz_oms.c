/*
 * libFuzzer target for OpenSSF Model Signing signature bundles (oms/,
 * docs/oms.md): ms_oms_bundle_parse(), ms_oms_bundle_verify(),
 * ms_oms_statement_parse(), and ms_oms_verify() of a scratch model (the
 * files of tests/oms/vectors: signme-1, signme-2, ignore-me) against the
 * input as its model.sig, trusting the P-384 key that signed the vectors.
 * Invariants:
 *   - every status is MS_OK or a refusal (MS_E_FORMAT, MS_E_UNSUPPORTED,
 *     MS_E_LIMIT; MS_E_REJECTED from verification) with a sanitized message;
 *   - an accepted bundle carries a payload type and a signature; checking it
 *     gives MS_OK or MS_E_REJECTED, and only MS_OK for the vectors' payload
 *     and signature;
 *   - the statement (the bundle's payload, or else the input itself): an
 *     accepted one has method "files" and hash type "sha256", at least one
 *     resource, every name "." alone or a safe relative path, no name twice
 *     and none a directory of another, safe ignore paths, single_file exactly
 *     for the lone ".", and resources_digest the SHA-256 of the digests in
 *     order;
 *   - ms_oms_verify(): the result's status is the one returned, with its
 *     message; MS_OK only with a valid signature, a matching subject and
 *     every file ok; the files listed are sorted, their count of mismatches
 *     right; the text rendering holds no control byte but '\n', and the JSON
 *     rendering parses (so is valid UTF-8);
 *   - replaying the checked-in corpus, a seed named valid-* verifies.
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

#include "core/digest.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "fuzz_common.h"
#include "fuzz_tmp.h"
#include "modelseal/oms.h"

/* tests/oms/vectors/keys/signing-key-pub.pem, the PEM block. */
static const char vector_key_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEsu6rZGBTjxtvRWPMixT+3HyndV0J0Ybt\n"
    "aHZUcO4DEK+OJHO/4e32bb/fbJKSpRgcBsIpKLcVijUomyFOERbd7u+BTPSUjGZD\n"
    "Qq6J7lTvp/EAXQGOKxW9RP0MGX3qAkvi\n"
    "-----END PUBLIC KEY-----\n";

static char *g_dir, *g_single;
static ms_public_key *g_key;
static uint8_t *g_spki;
static size_t g_spki_len;

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

static void write_at(const char *rel, const char *data)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", g_dir, rel);
    size_t n = strlen(data);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (n > 0 && write(fd, data, n) != (ssize_t)n) || close(fd) != 0)
        abort();
}

static void setup(void)
{
    if (g_dir != NULL)
        return;
    const char *tmp = getenv("TMPDIR");
    char t[4096];
    snprintf(t, sizeof t, "%s/fuzz-oms.XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(t) == NULL)
        abort();
    g_dir = strdup(t);
    atexit(cleanup);
    write_at("signme-1", "signme-1\n");
    write_at("signme-2", "signme-2");
    write_at("ignore-me", "");
    size_t n = strlen(g_dir) + 16;
    g_single = malloc(n);
    snprintf(g_single, n, "%s/signme-1", g_dir);
    char *kp = fuzz_tmp_write("fuzz-oms-key", (const uint8_t *)vector_key_pem,
                              strlen(vector_key_pem));
    ms_error err;
    ms_error_clear(&err);
    if (ms_oms_public_key_load(kp, &g_key, &g_spki, &g_spki_len, &err) != MS_OK ||
        g_spki == NULL)
        abort();
    fuzz_tmp_remove(kp);
}

static int refusal(ms_status st)
{
    return st == MS_E_FORMAT || st == MS_E_UNSUPPORTED || st == MS_E_LIMIT;
}

static int safe_name(const char *n)
{
    return strcmp(n, ".") == 0 || ms_path_problem(n) == NULL;
}

static int under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static void check_statement(const uint8_t *p, size_t len)
{
    ms_error err;
    ms_error_clear(&err);
    ms_oms_statement *s = NULL;
    ms_status st = ms_oms_statement_parse(p, len, "statement", &s, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK) {
        if (!refusal(st) || s != NULL)
            abort();
        return;
    }
    if (s == NULL || s->method == NULL || strcmp(s->method, "files") != 0 ||
        s->hash_type == NULL || strcmp(s->hash_type, "sha256") != 0 || s->resource_count == 0 ||
        s->subject_name == NULL || (s->allow_symlinks != 0 && s->allow_symlinks != 1))
        abort();
    ms_sha256 *h = ms_sha256_new();
    if (h == NULL)
        abort();
    for (size_t i = 0; i < s->resource_count; i++) {
        const char *n = s->resources[i].name;
        if (n == NULL || !safe_name(n))
            abort();
        if (strcmp(n, ".") == 0 && s->resource_count != 1)
            abort();
        if (s->resource_count <= 512)
            for (size_t j = 0; j < i; j++) {
                const char *m = s->resources[j].name;
                if (strcmp(m, n) == 0 || under(m, n) || under(n, m))
                    abort();
            }
        ms_sha256_update(h, s->resources[i].digest, 32);
    }
    uint8_t dg[32];
    ms_sha256_final(h, dg);
    ms_sha256_free(h);
    if (memcmp(dg, s->resources_digest, 32) != 0)
        abort();
    if (s->single_file != (s->resource_count == 1 && strcmp(s->resources[0].name, ".") == 0))
        abort();
    if (!s->has_ignore_paths && s->ignore_count != 0)
        abort();
    for (size_t i = 0; i < s->ignore_count; i++)
        if (s->ignore_paths[i] == NULL || ms_path_problem(s->ignore_paths[i]) != NULL)
            abort();
    ms_oms_statement_free(s);
}

static void check_rendering(const char *text, int json)
{
    if (text == NULL)
        abort();
    /*
     * Text is sanitized; JSON keeps the file's strings with JSON's own
     * escaping (SECURITY.md), so it must only parse, which also makes it
     * valid UTF-8.
     */
    for (const unsigned char *c = (const unsigned char *)text; !json && *c != '\0'; c++)
        if ((*c < 0x20 && *c != '\n') || *c == 0x7f)
            abort();
    if (json) {
        cJSON *j = NULL;
        ms_error err;
        ms_error_clear(&err);
        if (ms_json_parse(text, strlen(text), "rendering", &j, &err) != MS_OK)
            abort();
        cJSON_Delete(j);
    }
}

static void check_verify(const uint8_t *data, size_t size, int single_file)
{
    char *sig = fuzz_tmp_write("fuzz-oms-sig", data, size);
    const char *ignore[] = {"ignore-me"};
    ms_oms_verify_options o = {
        .model_path = single_file ? g_single : g_dir,
        .signature_path = sig,
        .key = g_key,
        .key_spki = g_spki,
        .key_spki_len = g_spki_len,
        .ignore_paths = single_file ? NULL : ignore,
        .ignore_count = single_file ? 0 : 1,
    };
    ms_oms_result *r = NULL;
    ms_error err;
    ms_error_clear(&err);
    ms_status st = ms_oms_verify(&o, &r, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK && st != MS_E_REJECTED && !refusal(st))
        abort();
    if (fuzz_input_is_valid_seed() && st != MS_OK)
        abort();
    if (r != NULL) {
        if (r->status != st || (st != MS_OK && strcmp(r->message, err.message) != 0))
            abort();
        fuzz_check_text(r->message);
        if (st == MS_OK && (!r->signature_checked || !r->signature_valid || !r->subject_ok ||
                            r->mismatch_count != 0 || r->statement == NULL))
            abort();
        if (r->statement != NULL && !r->signature_valid)
            abort();
        size_t bad = 0;
        for (size_t i = 0; i < r->file_count; i++) {
            bad += r->files[i].state != MS_OMS_FILE_OK;
            if (ms_oms_file_state_name(r->files[i].state) == NULL)
                abort();
        }
        if (bad != r->mismatch_count)
            abort();
        char *text = ms_oms_result_render(r, 0);
        check_rendering(text, 0);
        free(text);
        char *json = ms_oms_result_render(r, 1);
        check_rendering(json, 1);
        free(json);
        ms_oms_result_free(r);
    }
    fuzz_tmp_remove(sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    ms_error err;
    ms_error_clear(&err);
    ms_oms_bundle *b = NULL;
    ms_status st = ms_oms_bundle_parse((const char *)data, size, "model.sig", &b, &err);
    fuzz_check_error(st, &err);
    int single = 0;
    if (st != MS_OK) {
        if (!refusal(st) || b != NULL || fuzz_input_is_valid_seed())
            abort();
        check_statement(data, size);
    } else {
        if (b == NULL || b->payload_type == NULL || b->sig == NULL || b->sig_len == 0)
            abort();
        ms_error_clear(&err);
        ms_status vs = ms_oms_bundle_verify(b, g_key, &err);
        fuzz_check_error(vs, &err);
        if ((vs != MS_OK && vs != MS_E_REJECTED) || (fuzz_input_is_valid_seed() && vs != MS_OK))
            abort();
        check_statement(b->payload, b->payload_len);
        ms_oms_statement *s = NULL;
        if (ms_oms_statement_parse(b->payload, b->payload_len, "s", &s, &err) == MS_OK)
            single = s->single_file;
        ms_oms_statement_free(s);
        ms_oms_bundle_free(b);
    }
    check_verify(data, size, single);
    return 0;
}
