/*
 * Unit tests for verify/report.c: counting checks, the text rendering and
 * the JSON report (version 1), errors and signature verdicts.
 */
#include "check.h"
#include "core/json.h"
#include "verify/report.h"

#define MANIFEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

/* Render as JSON and parse strictly (duplicate keys refused). */
static cJSON *render_json(const ms_report *r)
{
    char *s = ms_report_render(r, 1);
    CHECK(s != NULL);
    if (s == NULL)
        return NULL;
    size_t n = strlen(s);
    CHECK(n > 0 && s[n - 1] == '\n');
    cJSON *root = NULL;
    ms_error err;
    CHECK_INT(ms_json_parse(s, n, "report", &root, &err), MS_OK);
    free(s);
    return root;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 true, 0 false, -1 absent or not a boolean. */
static int jbool(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

/* The value of an integer field, or -1. */
static long long jint(const cJSON *o, const char *key)
{
    uint64_t v;
    if (ms_json_number_u64(cJSON_GetObjectItemCaseSensitive(o, key), &v) != 0)
        return -1;
    return (long long)v;
}

/* Number of lines in s that start with prefix. */
static int lines_starting(const char *s, const char *prefix)
{
    int n = 0;
    size_t k = strlen(prefix);
    for (const char *p = s; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, k) == 0)
            n++;
    return n;
}

static void test_rejected(void)
{
    ms_report *r = ms_report_new("bundles/model.tar");
    CHECK(r != NULL);
    CHECK_INT(ms_report_failures(r), 0);
    CHECK_INT(ms_report_check(r, "manifest-digest", 1, "%s matches", "sha256:abc"), 1);
    CHECK_INT(ms_report_check(r, "blob-digest", 0, "blob %s: %d bytes differ", "sha256:def", 3), 0);
    CHECK_INT(ms_report_failures(r), 1);
    ms_report_set_model(r, "llama", "1.2.3", MANIFEST, "1");

    char *t = ms_report_render(r, 0);
    CHECK(t != NULL);
    CHECK_CONTAINS(t, "bundle:    bundles/model.tar\n");
    CHECK_CONTAINS(t, "model:     llama 1.2.3\n");
    CHECK_CONTAINS(t, "manifest:  " MANIFEST "\n");
    CHECK_CONTAINS(t, "ok    manifest-digest: sha256:abc matches\n");
    CHECK_CONTAINS(t, "FAIL  blob-digest: blob sha256:def: 3 bytes differ\n");
    CHECK_CONTAINS(t, "result: REJECTED (1 of 2 checks failed)\n");
    CHECK_INT(lines_starting(t, "FAIL"), 1);
    CHECK_INT(lines_starting(t, "ok "), 1);
    CHECK_INT(lines_starting(t, "result:"), 1);
    CHECK(strstr(t, "VERIFIED") == NULL);
    CHECK(strstr(t, "could not check") == NULL);
    /* Checks are listed in the order they were made, before the result. */
    const char *a = strstr(t, "manifest-digest"), *b = strstr(t, "blob-digest"),
               *c = strstr(t, "result:");
    CHECK(a != NULL && b != NULL && c != NULL && a < b && b < c);
    free(t);

    cJSON *j = render_json(r);
    CHECK(j != NULL);
    if (j != NULL) {
        CHECK_INT(jint(j, "reportVersion"), 2);
        CHECK_STR(jstr(j, "tool"), "modelseal");
        CHECK_STR(jstr(j, "toolVersion"), ms_version());
        CHECK_STR(jstr(j, "bundle"), "bundles/model.tar");
        CHECK_STR(jstr(j, "status"), "rejected");
        CHECK_INT(jbool(j, "verified"), 0);
        CHECK_INT(jint(j, "failures"), 1);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "error") == NULL);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "model");
        CHECK(cJSON_IsObject(m));
        CHECK_STR(jstr(m, "name"), "llama");
        CHECK_STR(jstr(m, "version"), "1.2.3");
        CHECK_STR(jstr(m, "manifestDigest"), MANIFEST);
        CHECK_STR(jstr(m, "formatVersion"), "1");
        const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(j, "signatures");
        CHECK(cJSON_IsArray(sigs) && cJSON_GetArraySize(sigs) == 0);
        const cJSON *checks = cJSON_GetObjectItemCaseSensitive(j, "checks");
        CHECK(cJSON_IsArray(checks));
        CHECK_INT(cJSON_GetArraySize(checks), 2);
        const cJSON *c0 = cJSON_GetArrayItem(checks, 0), *c1 = cJSON_GetArrayItem(checks, 1);
        CHECK_STR(jstr(c0, "check"), "manifest-digest");
        CHECK_INT(jbool(c0, "ok"), 1);
        CHECK_STR(jstr(c0, "detail"), "sha256:abc matches");
        CHECK_STR(jstr(c1, "check"), "blob-digest");
        CHECK_INT(jbool(c1, "ok"), 0);
        CHECK_STR(jstr(c1, "detail"), "blob sha256:def: 3 bytes differ");
        CHECK_STR(jstr(c1, "state"), "failed");
        CHECK_STR(jstr(c0, "state"), "passed");
        CHECK_INT(cJSON_GetArraySize(c1), 4);
        CHECK_INT(jint(j, "exitStatus"), 1);
        cJSON_Delete(j);
    }
    /* A check not run is neither passed nor failed. */
    ms_report_not_run(r, "policy", "not run: the bundle failed verification");
    CHECK_INT(ms_report_failures(r), 1);
    char *nr = ms_report_render(r, 1);
    CHECK_CONTAINS(nr, "\"state\":\t\"not-run\"");
    free(nr);
    nr = ms_report_render(r, 0);
    CHECK_CONTAINS(nr, "skip  policy: not run: the bundle failed verification\n");
    free(nr);
    ms_report_set_exit_status(r, 3);
    nr = ms_report_render(r, 1);
    CHECK_CONTAINS(nr, "\"exitStatus\":\t3");
    free(nr);
    /* The report of a run that never read a bundle. */
    char *ej = ms_report_error_json(NULL, 2, "unknown option '--x'");
    cJSON *e = ej != NULL ? cJSON_Parse(ej) : NULL;
    CHECK(e != NULL);
    if (e != NULL) {
        CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "bundle")));
        CHECK_STR(jstr(e, "status"), "error");
        CHECK_INT(jint(e, "exitStatus"), 2);
        CHECK_STR(jstr(e, "error"), "unknown option '--x'");
        CHECK_INT(jint(e, "reportVersion"), 2);
        cJSON_Delete(e);
    }
    free(ej);

    char **details = NULL;
    CHECK_INT(ms_report_failed_details(r, &details), 1);
    CHECK(details != NULL);
    if (details != NULL) {
        CHECK_STR(details[0], "blob sha256:def: 3 bytes differ");
        free(details[0]);
        free(details);
    }
    ms_report_free(r);
}

static void test_verified(void)
{
    ms_report *r = ms_report_new("ok.tar");
    ms_report_check(r, "a", 1, "fine");
    ms_report_check(r, "b", 7, "also fine"); /* any non-zero is a pass */
    CHECK_INT(ms_report_failures(r), 0);
    char *t = ms_report_render(r, 0);
    CHECK_CONTAINS(t, "result: VERIFIED (2 checks passed)\n");
    CHECK_CONTAINS(t, "ok    b: also fine\n");
    CHECK(t != NULL && strstr(t, "FAIL") == NULL);
    CHECK(t != NULL && strstr(t, "model:") == NULL); /* no model set */
    free(t);
    cJSON *j = render_json(r);
    if (j != NULL) {
        CHECK_STR(jstr(j, "status"), "verified");
        CHECK_INT(jbool(j, "verified"), 1);
        CHECK_INT(jint(j, "failures"), 0);
        const cJSON *checks = cJSON_GetObjectItemCaseSensitive(j, "checks");
        CHECK_INT(jbool(cJSON_GetArrayItem(checks, 1), "ok"), 1);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "model");
        CHECK(cJSON_IsObject(m) && cJSON_GetArraySize(m) == 0);
        cJSON_Delete(j);
    }
    char **details = (char **)1;
    CHECK_INT(ms_report_failed_details(r, &details), 0);
    CHECK(details == NULL);
    ms_report_free(r);

    /* Several failures are all counted. */
    r = ms_report_new("bad.tar");
    for (int i = 0; i < 5; i++)
        ms_report_check(r, "c", i % 2, "check %d", i);
    CHECK_INT(ms_report_failures(r), 3);
    t = ms_report_render(r, 0);
    CHECK_CONTAINS(t, "result: REJECTED (3 of 5 checks failed)\n");
    CHECK_INT(lines_starting(t, "FAIL  c: check "), 3);
    free(t);
    details = NULL;
    CHECK_INT(ms_report_failed_details(r, &details), 3);
    if (details != NULL) {
        CHECK_STR(details[0], "check 0");
        CHECK_STR(details[1], "check 2");
        CHECK_STR(details[2], "check 4");
        for (int i = 0; i < 3; i++)
            free(details[i]);
        free(details);
    }
    ms_report_free(r);
}

static void test_error(void)
{
    ms_report *r = ms_report_new("cut.tar");
    ms_report_check(r, "oci-layout", 1, "image layout version 1.0.0");
    ms_report_set_error(r, "first reason");
    ms_report_set_error(r, "cut.tar: Truncated tar archive");
    CHECK_INT(ms_report_failures(r), 0);
    char *t = ms_report_render(r, 0);
    CHECK_CONTAINS(t, "could not check: cut.tar: Truncated tar archive\n");
    CHECK_CONTAINS(t, "result: ERROR (bundle could not be fully checked)\n");
    CHECK(t != NULL && strstr(t, "VERIFIED") == NULL);
    CHECK(t != NULL && strstr(t, "first reason") == NULL);
    free(t);
    cJSON *j = render_json(r);
    if (j != NULL) {
        CHECK_STR(jstr(j, "status"), "error");
        CHECK_INT(jbool(j, "verified"), 0);
        CHECK_STR(jstr(j, "error"), "cut.tar: Truncated tar archive");
        CHECK_INT(jint(j, "failures"), 0);
        cJSON_Delete(j);
    }
    /* An error wins over failed checks too. */
    ms_report_check(r, "blob-digest", 0, "mismatch");
    t = ms_report_render(r, 0);
    CHECK_CONTAINS(t, "result: ERROR");
    CHECK_CONTAINS(t, "FAIL  blob-digest: mismatch\n");
    CHECK(t != NULL && strstr(t, "REJECTED") == NULL);
    free(t);
    j = render_json(r);
    if (j != NULL) {
        CHECK_STR(jstr(j, "status"), "error");
        CHECK_INT(jint(j, "failures"), 1);
        cJSON_Delete(j);
    }
    ms_report_free(r);
}

static void test_signatures(void)
{
    ms_report *r = ms_report_new("s.tar");
    ms_report_signature(r, "k1", "ed25519", NULL, 1, 1, "valid", NULL);
    ms_report_signature(r, "k2", "ecdsa-p256", NULL, 1, 0, "invalid", "signature does not verify");
    ms_report_signature(r, "k3", NULL, NULL, 0, 0, "untrusted-key", "no trusted key");
    ms_report_signature(r, NULL, NULL, NULL, 0, 1, "valid", NULL); /* valid but untrusted */
    ms_report_signature(r, "k5", "ed25519", NULL, 1, 1, "valid", NULL);
    CHECK_INT(ms_report_valid_signatures(r), 2);
    ms_report_check(r, "signature", 1, "%zu valid signature(s) by trusted keys",
                    ms_report_valid_signatures(r));

    char *t = ms_report_render(r, 0);
    CHECK_CONTAINS(t, "signature: ed25519 k1: valid\n");
    CHECK_CONTAINS(t, "signature: ecdsa-p256 k2: invalid - signature does not verify\n");
    CHECK_CONTAINS(t, "signature: ? k3: untrusted-key - no trusted key\n");
    CHECK_CONTAINS(t, "signature: ? (no keyid): valid\n");
    CHECK_CONTAINS(t, "ok    signature: 2 valid signature(s) by trusted keys\n");
    CHECK_INT(lines_starting(t, "signature: "), 5);
    free(t);

    cJSON *j = render_json(r);
    if (j != NULL) {
        const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(j, "signatures");
        CHECK_INT(cJSON_GetArraySize(sigs), 5);
        const cJSON *s0 = cJSON_GetArrayItem(sigs, 0), *s1 = cJSON_GetArrayItem(sigs, 1),
                    *s2 = cJSON_GetArrayItem(sigs, 2), *s3 = cJSON_GetArrayItem(sigs, 3);
        CHECK_STR(jstr(s0, "keyid"), "k1");
        CHECK_STR(jstr(s0, "algorithm"), "ed25519");
        CHECK_INT(jbool(s0, "trusted"), 1);
        CHECK_INT(jbool(s0, "valid"), 1);
        CHECK_STR(jstr(s0, "verdict"), "valid");
        CHECK(cJSON_GetObjectItemCaseSensitive(s0, "detail") == NULL);
        CHECK_STR(jstr(s1, "verdict"), "invalid");
        CHECK_INT(jbool(s1, "trusted"), 1);
        CHECK_INT(jbool(s1, "valid"), 0);
        CHECK_STR(jstr(s1, "detail"), "signature does not verify");
        CHECK(cJSON_GetObjectItemCaseSensitive(s2, "algorithm") == NULL);
        CHECK_INT(jbool(s2, "trusted"), 0);
        CHECK_STR(jstr(s2, "verdict"), "untrusted-key");
        CHECK_STR(jstr(s3, "keyid"), "");
        CHECK_STR(jstr(j, "status"), "verified");
        cJSON_Delete(j);
    }
    ms_report_free(r);
}

static void test_details(void)
{
    /* Details longer than 1023 bytes are cut, not overflowed. */
    ms_report *r = ms_report_new("long.tar");
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ms_report_check(r, "long", 0, "%s", big);
    char **details = NULL;
    CHECK_INT(ms_report_failed_details(r, &details), 1);
    if (details != NULL) {
        CHECK_INT(strlen(details[0]), 1023);
        free(details[0]);
        free(details);
    }
    ms_report_free(r);

    /* Quotes and backslashes survive the JSON report; control bytes (details can quote raw
     * archive names) are shown as \xNN text, as in every message. */
    r = ms_report_new("q\"uote.tar");
    const char *odd = "path 'a\"b\\c'\ttab\nnewline \x01";
    ms_report_check(r, "file-path", 0, "%s", odd);
    cJSON *j = render_json(r);
    if (j != NULL) {
        CHECK_STR(jstr(j, "bundle"), "q\"uote.tar");
        const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "checks"), 0);
        CHECK_STR(jstr(c0, "detail"), "path 'a\"b\\c'\\x09tab\\x0anewline \\x01");
        cJSON_Delete(j);
    }
    ms_report_free(r);

    /* The text report must not let a detail taken from the bundle (here, an
     * unsafe file path holding a newline and a terminal escape) forge lines
     * such as a second "result:" verdict, or reach the terminal raw. */
    r = ms_report_new("evil.tar");
    ms_report_check(r, "file-path", 0, "layers[1]: unsafe file path '%s': %s",
                    "x\nok    signature: 1 valid signature(s) by trusted keys\n"
                    "result: VERIFIED (9 checks passed)\n\x1b[2K",
                    "control character in path");
    char *t = ms_report_render(r, 0);
    CHECK_CONTAINS(t, "result: REJECTED (1 of 1 checks failed)\n");
    CHECK_INT(lines_starting(t, "result:"), 1);
    CHECK_INT(lines_starting(t, "ok "), 0);
    CHECK(t != NULL && strchr(t, '\x1b') == NULL);
    free(t);
    ms_report_free(r);
}

static void test_null(void)
{
    /* Recording into a NULL report is a no-op that still returns the verdict. */
    CHECK_INT(ms_report_check(NULL, "x", 1, "d"), 1);
    CHECK_INT(ms_report_check(NULL, "x", 0, "d"), 0);
    ms_report_set_model(NULL, "n", "1.0.0", NULL, NULL);
    ms_report_signature(NULL, "k", "a", NULL, 1, 1, "valid", NULL);
    ms_report_set_error(NULL, "e");
    ms_report_free(NULL);

    /* A model with only some fields. */
    ms_report *r = ms_report_new("partial.tar");
    ms_report_set_model(r, "first", "0.1.0", MANIFEST, "1");
    ms_report_set_model(r, "only-name", NULL, NULL, NULL);
    char *t = ms_report_render(r, 0);
    CHECK_CONTAINS(t, "model:     only-name ?\n");
    CHECK(t != NULL && strstr(t, "manifest:") == NULL);
    free(t);
    cJSON *j = render_json(r);
    if (j != NULL) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "model");
        CHECK_STR(jstr(m, "name"), "only-name");
        CHECK(cJSON_GetObjectItemCaseSensitive(m, "version") == NULL);
        CHECK(cJSON_GetObjectItemCaseSensitive(m, "manifestDigest") == NULL);
        CHECK_INT(cJSON_GetArraySize(m), 1);
        cJSON_Delete(j);
    }
    ms_report_free(r);
}

int main(void)
{
    test_rejected();
    test_verified();
    test_error();
    test_signatures();
    test_details();
    test_null();
    return check_finish("test_report");
}
