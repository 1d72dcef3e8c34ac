/*
 * libFuzzer target for bundle reading (core/tar.c, core/oci.c, verify/):
 * the input is written to a temporary file and verified against the fixed
 * trusted key, the report rendered as text and JSON, and the bundle
 * inspected as text and JSON.  Invariants:
 *   - the status agrees with the report (MS_OK: no failed check and a
 *     VERIFIED verdict; MS_E_REJECTED: at least one failed check);
 *   - a verified bundle also inspects;
 *   - text renderings hold no control byte but newlines (untrusted names
 *     are sanitized before they reach a terminal);
 *   - JSON renderings parse with ms_json_parse();
 *   - every refusal carries a sanitized message;
 *   - replaying the checked-in corpus, a seed named valid-* verifies (MS_OK).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "fuzz_common.h"
#include "fuzz_key.h"
#include "fuzz_tmp.h"
#include "modelseal/bundle.h"

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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_tmp_write("fuzz_bundle", data, size);
    ms_public_key *trusted[1] = {fuzz_trusted_key()};
    ms_verify_options opt = {.bundle_path = path, .trusted = trusted, .trusted_count = 1};

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
        if ((vst == MS_OK) != (strstr(text, "result: VERIFIED") != NULL))
            abort();
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

    fuzz_tmp_remove(path);
    return 0;
}
