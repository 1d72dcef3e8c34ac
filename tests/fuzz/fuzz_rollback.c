/*
 * libFuzzer target for rollback state files (verify/rollback.c,
 * docs/trust.md "Rollback protection"): the input is the state file
 * STATE/tiny.json, and ms_rollback_check() runs for a bundle of the model
 * "tiny", version 1.2.0, that supersedes a fixed release, with commit set.
 * Invariants:
 *   - the status is MS_OK exactly when an independent reading finds a state
 *     (a JSON object of at most 64 KiB with stateVersion 1, name "tiny", a
 *     valid semantic version and a manifestDigest of "sha256:" and 64
 *     lower-case hex digits); otherwise
 *     MS_E_FORMAT or MS_E_LIMIT, with a sanitized message "corrupt state
 *     file ...", and the file is left as it was;
 *   - on MS_OK the report holds exactly one "rollback" check, failed exactly
 *     when 1.2.0 is older than the recorded version or equal to it with
 *     another manifest digest, and one passed "supersedes" check;
 *   - the state is rewritten (stateVersion 1, name, version 1.2.0, this
 *     manifest digest, acceptedAt the verification time) exactly when the
 *     check passed and 1.2.0 is newer; else its bytes are unchanged;
 *   - checking the same bundle again gives the same status, and after an
 *     accepted check, a passed "rollback" check.
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

#include "core/fsutil.h"
#include "core/json.h"
#include "core/timefmt.h"
#include "fuzz_common.h"
#include "modelseal/bundle.h"
#include "verify/report.h"
#include "verify/rollback.h"
#include "verify/view.h"

#define AT 1700000000
#define VERSION "1.2.0"
#define HEX "abababababababababababababababababababababababababababababababab"
#define SUPERSEDES "sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static char *g_dir, *g_state;

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

static void setup(void)
{
    if (g_dir != NULL)
        return;
    const char *tmp = getenv("TMPDIR");
    char t[4096];
    snprintf(t, sizeof t, "%s/fuzz-rollback.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(t) == NULL)
        abort();
    g_dir = strdup(t);
    atexit(cleanup);
    size_t n = strlen(g_dir) + 16;
    g_state = malloc(n);
    snprintf(g_state, n, "%s/tiny.json", g_dir);
}

static void write_state(const uint8_t *data, size_t size)
{
    int fd = open(g_state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        abort();
}

static uint8_t *read_state(size_t *len)
{
    FILE *f = fopen(g_state, "rb");
    if (f == NULL)
        abort();
    size_t cap = 1 << 17, n = 0;
    uint8_t *b = malloc(cap);
    if (b == NULL)
        abort();
    for (size_t r; (r = fread(b + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap && (b = realloc(b, cap *= 2)) == NULL)
            abort();
    }
    fclose(f);
    *len = n;
    return b;
}

/* The recorded version and digest by an independent reading, or 0 when corrupt. */
static int ref_state(const uint8_t *data, size_t size, char **version, char **digest)
{
    if (size > (64u << 10))
        return 0;
    cJSON *j = NULL;
    ms_error err;
    ms_error_clear(&err);
    if (ms_json_parse((const char *)data, size, "ref", &j, &err) != MS_OK)
        return 0;
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "stateVersion");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
    const cJSON *dg = cJSON_GetObjectItemCaseSensitive(j, "manifestDigest");
    uint64_t v = 0;
    int ok = cJSON_IsObject(j) && sv != NULL && ms_json_number_u64(sv, &v) == 0 && v == 1 &&
             cJSON_IsString(name) && strcmp(name->valuestring, "tiny") == 0 &&
             cJSON_IsString(ver) && ms_semver_problem(ver->valuestring) == NULL &&
             cJSON_IsString(dg) && strncmp(dg->valuestring, "sha256:", 7) == 0 &&
             strlen(dg->valuestring) == 71 &&
             strspn(dg->valuestring + 7, "0123456789abcdef") == 64;
    if (ok) {
        *version = strdup(ver->valuestring);
        *digest = strdup(dg->valuestring);
    }
    cJSON_Delete(j);
    return ok;
}

/* The "rollback" and "supersedes" checks of a report: counts, and the last one's result. */
static void report_checks(const ms_report *r, int *nroll, int *roll_ok, int *nsup, int *sup_ok)
{
    *nroll = *nsup = 0;
    *roll_ok = *sup_ok = -1;
    char *text = ms_report_render(r, 1);
    cJSON *j = NULL;
    ms_error err;
    ms_error_clear(&err);
    if (text == NULL || ms_json_parse(text, strlen(text), "report", &j, &err) != MS_OK)
        abort();
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "checks"))
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(c, "check")->valuestring;
        int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ok"));
        const char *detail = cJSON_GetObjectItemCaseSensitive(c, "detail")->valuestring;
        fuzz_check_text(detail);
        if (strcmp(name, "rollback") == 0) {
            (*nroll)++;
            *roll_ok = ok;
        } else if (strcmp(name, "supersedes") == 0) {
            (*nsup)++;
            *sup_ok = ok;
        } else {
            abort();
        }
    }
    cJSON_Delete(j);
    free(text);
}

static ms_status run_check(const ms_view *v, ms_report **out)
{
    ms_report *r = ms_report_new("tiny.mseal");
    if (r == NULL)
        abort();
    ms_error err;
    ms_error_clear(&err);
    ms_status st = ms_rollback_check(v, g_dir, AT, 1, r, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK && strncmp(err.message, "corrupt state file", 18) != 0)
        abort();
    *out = r;
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    write_state(data, size);
    ms_view v;
    memset(&v, 0, sizeof v);
    v.name = "tiny";
    v.version = VERSION;
    v.supersedes = SUPERSEDES;
    memcpy(v.manifest_hex, HEX, sizeof HEX);

    char *old_version = NULL, *old_digest = NULL;
    int ok = ref_state(data, size, &old_version, &old_digest);
    ms_report *r = NULL;
    ms_status st = run_check(&v, &r);
    size_t after_len;
    uint8_t *after = read_state(&after_len);
    int unchanged = after_len == size && (size == 0 || memcmp(after, data, size) == 0);
    if (!ok) {
        if ((st != MS_E_FORMAT && st != MS_E_LIMIT) || !unchanged)
            abort();
    } else {
        if (st != MS_OK)
            abort();
        int nroll, roll_ok, nsup, sup_ok;
        report_checks(r, &nroll, &roll_ok, &nsup, &sup_ok);
        int c = ms_semver_compare(VERSION, old_version);
        int want_ok = c > 0 || (c == 0 && strcmp(old_digest, "sha256:" HEX) == 0);
        if (nroll != 1 || roll_ok != want_ok || nsup != 1 || sup_ok != 1)
            abort();
        if (want_ok && c > 0) {
            char *nv = NULL, *nd = NULL;
            if (!ref_state(after, after_len, &nv, &nd) || strcmp(nv, VERSION) != 0 ||
                strcmp(nd, "sha256:" HEX) != 0)
                abort();
            cJSON *j = NULL;
            ms_error err;
            char t[32];
            ms_rfc3339_format(AT, t);
            if (ms_json_parse((const char *)after, after_len, "state", &j, &err) != MS_OK)
                abort();
            const cJSON *acc = cJSON_GetObjectItemCaseSensitive(j, "acceptedAt");
            if (!cJSON_IsString(acc) || strcmp(acc->valuestring, t) != 0)
                abort();
            cJSON_Delete(j);
            free(nv);
            free(nd);
        } else if (!unchanged) {
            abort();
        }
    }
    ms_report_free(r);

    /* Once more: the same status; an accepted release stays accepted. */
    ms_report *r2 = NULL;
    ms_status st2 = run_check(&v, &r2);
    if (st2 != st)
        abort();
    if (st2 == MS_OK) {
        int nroll, roll_ok, nsup, sup_ok;
        report_checks(r2, &nroll, &roll_ok, &nsup, &sup_ok);
        int c = ms_semver_compare(VERSION, old_version);
        int first_ok = c > 0 || (c == 0 && strcmp(old_digest, "sha256:" HEX) == 0);
        if (nroll != 1 || roll_ok != first_ok)
            abort();
    }
    ms_report_free(r2);
    free(after);
    free(old_version);
    free(old_digest);
    return 0;
}
