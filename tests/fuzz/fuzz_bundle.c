/*
 * libFuzzer target for bundle reading (core/tar.c, core/oci.c, verify/):
 * the input is written to a temporary file and verified against the fixed
 * trusted key, the report rendered as text and JSON, and the bundle
 * inspected as text and JSON, and audited (without a trust set) in every
 * format.  Invariants:
 *   - the status agrees with the report (MS_OK: no failed check and a
 *     VERIFIED verdict; MS_E_REJECTED: at least one failed check), and the
 *     text report has exactly one verdict line, its last;
 *   - a verified bundle also inspects and audits, in every format;
 *   - text renderings (DOT included) hold no control byte but newlines
 *     and are valid UTF-8 (untrusted names are sanitized before they reach
 *     a terminal, and never cut inside a character);
 *   - JSON renderings parse with ms_json_parse();
 *   - every refusal carries a sanitized message;
 *   - replaying the checked-in corpus, a seed named valid-* verifies (MS_OK).
 *
 * Under libFuzzer (run_fuzz.sh defines MS_FUZZ_LIBFUZZER) a custom mutator
 * keeps mutants past the first checks: it mutates inside one tar entry,
 * then renames every blob whose content no longer matches its name and
 * rewrites the old digest wherever it appears (the descriptors in the
 * manifests and index.json, same length), and fixes the header checksums.
 * Only the signature stays broken, so the structural checks of verify/ see
 * well-formed archives with arbitrary documents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/json.h"
#include "core/text.h"
#include "fuzz_common.h"
#include "fuzz_key.h"
#include "fuzz_tmp.h"
#include "modelseal/bundle.h"

#ifdef MS_FUZZ_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define TAR_BLOCK 512u
#define BLOB_PREFIX "blobs/sha256/"

typedef struct tar_ent {
    size_t header, data, len;
} tar_ent;

static uint64_t octal_field(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && p[i] == ' ')
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
        v = v * 8 + (uint64_t)(p[i] - '0');
    return v;
}

/* The entries of a ustar stream, up to the first malformed header. */
static size_t tar_walk(const uint8_t *d, size_t size, tar_ent *ents, size_t max)
{
    size_t n = 0, off = 0;
    while (n < max && size - off >= TAR_BLOCK && off <= size) {
        const uint8_t *h = d + off;
        if (h[0] == 0 || memcmp(h + 257, "ustar", 5) != 0)
            break;
        uint64_t len = octal_field(h + 124, 12);
        if (len > size - off - TAR_BLOCK)
            len = size - off - TAR_BLOCK;
        ents[n].header = off;
        ents[n].data = off + TAR_BLOCK;
        ents[n].len = (size_t)len;
        n++;
        off += TAR_BLOCK + ((size_t)len + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    }
    return n;
}

static void tar_fix_checksum(uint8_t *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++)
        sum += h[i];
    char f[9];
    snprintf(f, sizeof f, "%06o", sum & 0777777u);
    memcpy(h + 148, f, 6);
    h[154] = '\0';
    h[155] = ' ';
}

/* Replace every occurrence of old (64 hex digits) in the buffer by new. */
static void replace_hex(uint8_t *d, size_t size, const char *old, const char *new)
{
    for (size_t i = 0; i + MS_SHA256_HEX_LEN <= size; i++)
        if (d[i] == (uint8_t)old[0] && memcmp(d + i, old, MS_SHA256_HEX_LEN) == 0) {
            memcpy(d + i, new, MS_SHA256_HEX_LEN);
            i += MS_SHA256_HEX_LEN - 1;
        }
}

/* Rename blobs after their content until names and references are consistent. */
static void tar_fix_digests(uint8_t *d, size_t size)
{
    tar_ent ents[256];
    for (int round = 0; round < 8; round++) {
        size_t n = tar_walk(d, size, ents, 256);
        int changed = 0;
        for (size_t i = 0; i < n; i++) {
            const char *name = (const char *)d + ents[i].header;
            size_t pl = strlen(BLOB_PREFIX);
            if (strncmp(name, BLOB_PREFIX, pl) != 0)
                continue;
            char old[MS_SHA256_HEX_LEN + 1], now[MS_SHA256_HEX_LEN + 1];
            memcpy(old, name + pl, MS_SHA256_HEX_LEN);
            old[MS_SHA256_HEX_LEN] = '\0';
            if (!ms_is_sha256_hex(old))
                continue;
            uint8_t dg[MS_SHA256_LEN];
            ms_sha256_buf(d + ents[i].data, ents[i].len, dg);
            ms_hex_encode(dg, sizeof dg, now);
            if (strcmp(old, now) != 0) {
                replace_hex(d, size, old, now);
                changed = 1;
            }
        }
        if (!changed)
            break;
    }
    size_t n = tar_walk(d, size, ents, 256);
    for (size_t i = 0; i < n; i++)
        tar_fix_checksum(d + ents[i].header);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    unsigned mode = seed % 4;
    if (mode == 0) /* plain byte-level mutation */
        return LLVMFuzzerMutate(data, size, max_size);
    if (mode == 1) { /* byte-level, then valid header checksums */
        size = LLVMFuzzerMutate(data, size, max_size);
        tar_ent ents[256];
        size_t n = tar_walk(data, size, ents, 256);
        for (size_t i = 0; i < n; i++)
            tar_fix_checksum(data + ents[i].header);
        return size;
    }
    /* Inside one entry (size kept), then consistent digests and checksums. */
    tar_ent ents[256];
    size_t n = tar_walk(data, size, ents, 256);
    if (n == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    const tar_ent *e = &ents[(seed / 4) % n];
    if (e->len > 0) {
        uint8_t *copy = malloc(e->len);
        if (copy == NULL)
            abort();
        memcpy(copy, data + e->data, e->len);
        size_t got = LLVMFuzzerMutate(copy, e->len, e->len);
        memcpy(data + e->data, copy, got);
        free(copy);
    }
    tar_fix_digests(data, size);
    return size;
}
#endif

static void check_rendering(const char *s, int json)
{
    if (s == NULL)
        abort();
    if (json) {
        cJSON *doc = NULL;
        ms_error err;
        if (ms_json_parse(s, strlen(s), "rendering", &doc, &err) != MS_OK)
            abort();
        cJSON_Delete(doc);
        return;
    }
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++)
        if ((*c < 0x20 && *c != '\n') || *c == 0x7f)
            abort();
    if (!ms_utf8_valid(s))
        abort();
}

/*
 * The text report ends with exactly one verdict line, and no other line
 * starts like one: names quoted from the bundle (newlines escaped) cannot
 * forge "result: VERIFIED" at the start of a line.
 */
static void check_verdict_line(const char *text, int verified)
{
    size_t n = strlen(text);
    if (n == 0 || text[n - 1] != '\n')
        abort();
    size_t verdicts = 0;
    const char *last = NULL;
    for (const char *line = text; *line != '\0'; line = strchr(line, '\n') + 1) {
        if (strncmp(line, "result: ", 8) == 0)
            verdicts++;
        last = line;
    }
    if (verdicts != 1 || strncmp(last, "result: ", 8) != 0)
        abort();
    if (verified != (strncmp(last, "result: VERIFIED", 16) == 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_tmp_write("fuzz_bundle", data, size);
    ms_trust *trust = NULL;
    if (ms_trust_new(&trust, NULL) != MS_OK ||
        ms_trust_add_public_key(trust, fuzz_pub_text, strlen(fuzz_pub_text), "fuzz.pub", NULL) !=
            MS_OK)
        abort();
    /* A fixed time: key validity must not depend on the clock. */
    ms_verify_options opt = {.bundle_path = path, .trust = trust, .at = 1700000000};

    ms_error err;
    ms_error_clear(&err);
    ms_report *report = NULL;
    ms_status vst = ms_verify(&opt, &report, &err);
    fuzz_check_error(vst, &err);
    if (fuzz_input_is_valid_seed() && vst != MS_OK)
        abort();
    if ((vst == MS_OK || vst == MS_E_REJECTED) && report == NULL)
        abort();
    if (report != NULL) {
        size_t failures = ms_report_failures(report);
        if (vst == MS_OK && failures != 0)
            abort();
        if (vst == MS_E_REJECTED && failures == 0)
            abort();
        char *text = ms_report_render(report, 0);
        check_rendering(text, 0);
        check_verdict_line(text, vst == MS_OK);
        char *json = ms_report_render(report, 1);
        check_rendering(json, 1);
        free(text);
        free(json);
        ms_report_free(report);
    }

    for (int json = 0; json <= 1; json++) {
        char *out = NULL;
        ms_status ist = ms_inspect(path, json, &out, &err);
        fuzz_check_error(ist, &err);
        if ((ist == MS_OK) != (out != NULL))
            abort();
        if (vst == MS_OK && ist != MS_OK)
            abort();
        if (out != NULL)
            check_rendering(out, json);
        free(out);
    }

    /* Audit, every format; the license picture of hostile lineage included. */
    for (int f = MS_AUDIT_TEXT; f <= MS_AUDIT_DOT; f++) {
        ms_audit_options ao = {.bundle_path = path, .format = (ms_audit_format)f,
                               .doc_time = 1700000000};
        char *out = NULL;
        ms_report *ar = NULL;
        ms_status ast = ms_audit_bundle(&ao, &out, &ar, &err);
        fuzz_check_error(ast, &err);
        if ((ast == MS_OK) != (out != NULL))
            abort();
        if (vst == MS_OK && ast != MS_OK)
            abort();
        if (out != NULL)
            check_rendering(out, f == MS_AUDIT_JSON || f == MS_AUDIT_SPDX ||
                                     f == MS_AUDIT_CYCLONEDX);
        free(out);
        ms_report_free(ar);
    }

    ms_trust_free(trust);
    fuzz_tmp_remove(path);
    return 0;
}
