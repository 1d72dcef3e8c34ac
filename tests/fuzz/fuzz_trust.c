/*
 * libFuzzer target for trust files (verify/trust.c, docs/trust.md).  The
 * input is written to a temporary file and loaded with ms_trust_load(), alone
 * and then beside the fixed fuzz key and beside itself.  Invariants:
 *   - the status is MS_OK or a refusal of the input (MS_E_FORMAT,
 *     MS_E_UNSUPPORTED, MS_E_LIMIT, MS_E_KEY), with a sanitized message;
 *   - the input counts as a trust file exactly when its first non-blank
 *     byte is '{'; a plain key file gives one key trusted for every role;
 *   - an accepted trust file: at most MS_TRUST_MAX_KEYS keys, each with a
 *     64-hex-digit id found by ms_trust_find(), no id twice, 1 to 64 valid
 *     roles each, a reason exactly when revoked; thresholds name valid,
 *     distinct roles and ask for 1 to 1024 signatures;
 *   - ms_trust_key_problem() agrees with the key's validity window and
 *     revocation, at times before, inside and after them;
 *   - adding the fuzz key succeeds exactly when the set does not hold it
 *     yet; giving the input twice is refused (a second trust file is a
 *     usage error, a key listed twice a format error);
 *   - replaying the checked-in corpus, a seed named valid-* loads.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_key.h"
#include "fuzz_tmp.h"
#include "modelseal/trust.h"
#include "verify/trust_internal.h"

static void check_keyid(const char *id)
{
    if (id == NULL || strlen(id) != MS_KEYID_HEX_LEN)
        abort();
    for (const char *c = id; *c != '\0'; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            abort();
}

static int refusal(ms_status st)
{
    return st == MS_E_FORMAT || st == MS_E_UNSUPPORTED || st == MS_E_LIMIT || st == MS_E_KEY;
}

/* What ms_trust_key_problem() must say at time `at`, by the documented rules. */
static const char *expected_verdict(const ms_trust_key *k, int64_t at)
{
    if (k->revoked && (k->revoked_at == INT64_MIN || at >= k->revoked_at))
        return "revoked";
    if (at < k->not_before)
        return "not-yet-valid";
    if (at > k->not_after)
        return "expired";
    return NULL;
}

static void check_problem(const ms_trust_key *k, int64_t at)
{
    const char *verdict = NULL;
    char buf[512];
    const char *p = ms_trust_key_problem(k, at, &verdict, buf, sizeof buf);
    const char *want = expected_verdict(k, at);
    if ((p == NULL) != (want == NULL))
        abort();
    if (p != NULL && (verdict == NULL || strcmp(verdict, want) != 0 || p[0] == '\0'))
        abort();
}

static void check_set(const ms_trust *t, int is_file)
{
    if (t->has_file != is_file || t->nkeys > MS_TRUST_MAX_KEYS ||
        ms_trust_key_count(t) != t->nkeys)
        abort();
    if (!is_file && (t->nkeys != 1 || t->nthresholds != 0))
        abort();
    for (size_t i = 0; i < t->nkeys; i++) {
        const ms_trust_key *k = &t->keys[i];
        const char *id = ms_public_key_id(k->pk);
        check_keyid(id);
        if (ms_trust_find(t, id) != k)
            abort(); /* a duplicate id would find the first copy */
        if (ms_key_algorithm_name(ms_public_key_algorithm(k->pk)) == NULL)
            abort();
        if (!is_file) {
            if (k->roles != NULL || k->revoked || k->not_before != INT64_MIN ||
                k->not_after != INT64_MAX)
                abort();
        } else {
            if (k->roles == NULL || k->nroles < 1 || k->nroles > MS_TRUST_MAX_ROLES)
                abort();
            for (size_t r = 0; r < k->nroles; r++) {
                if (ms_role_problem(k->roles[r]) != NULL || !ms_trust_key_has_role(k, k->roles[r]))
                    abort();
            }
        }
        if ((k->revoked_reason != NULL) != (k->revoked != 0))
            abort();
        int64_t times[] = {INT64_MIN, 0, 1700000000, INT64_MAX, k->not_before, k->not_after,
                           k->revoked_at};
        for (size_t n = 0; n < sizeof times / sizeof times[0]; n++) {
            check_problem(k, times[n]);
            if (times[n] > INT64_MIN)
                check_problem(k, times[n] - 1);
            if (times[n] < INT64_MAX)
                check_problem(k, times[n] + 1);
        }
    }
    for (size_t i = 0; i < t->nthresholds; i++) {
        const ms_trust_threshold *th = &t->thresholds[i];
        if (th->role == NULL || ms_role_problem(th->role) != NULL || th->required < 1 ||
            th->required > 1024)
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->thresholds[j].role, th->role) == 0)
                abort();
    }
}

static char *g_pub_path;

static void remove_pub(void)
{
    fuzz_tmp_remove(g_pub_path);
}

/* The fixed key as a file, written once and removed at exit. */
static char *fuzz_pub_path(void)
{
    if (g_pub_path == NULL) {
        g_pub_path = fuzz_tmp_write("fuzz-trust-pub", (const uint8_t *)fuzz_pub_text,
                                    strlen(fuzz_pub_text));
        atexit(remove_pub);
    }
    return g_pub_path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_error_clear(&err);
    char *path = fuzz_tmp_write("fuzz-trust", data, size);
    size_t k = 0;
    while (k < size && isspace(data[k]))
        k++;
    int is_file = k < size && data[k] == '{';

    const char *one[] = {path};
    ms_trust *t = NULL;
    ms_status st = ms_trust_load(one, 1, &t, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK) {
        if (!refusal(st) || t != NULL || fuzz_input_is_valid_seed())
            abort();
    } else {
        if (t == NULL)
            abort();
        check_set(t, is_file);
    }

    /* Beside the fixed key: refused only for holding it already (or a full set). */
    const char *with_key[] = {path, fuzz_pub_path()};
    ms_trust *t2 = NULL;
    ms_error_clear(&err);
    ms_status st2 = ms_trust_load(with_key, 2, &t2, &err);
    fuzz_check_error(st2, &err);
    if (st != MS_OK) {
        if (st2 != st)
            abort();
    } else {
        int holds = ms_trust_find(t, ms_public_key_id(fuzz_trusted_key())) != NULL;
        if (holds) {
            if (st2 != MS_E_FORMAT || strstr(err.message, "listed twice") == NULL)
                abort();
        } else if (t->nkeys == MS_TRUST_MAX_KEYS) {
            if (st2 != MS_E_LIMIT)
                abort();
        } else {
            if (st2 != MS_OK || t2->nkeys != t->nkeys + 1 || t2->nthresholds != t->nthresholds ||
                ms_trust_find(t2, ms_public_key_id(fuzz_trusted_key())) != &t2->keys[t->nkeys] ||
                t2->keys[t->nkeys].roles != NULL)
                abort();
        }
    }
    ms_trust_free(t2);

    /* The same input twice never loads. */
    const char *twice[] = {path, path};
    ms_trust *t3 = NULL;
    ms_error_clear(&err);
    ms_status st3 = ms_trust_load(twice, 2, &t3, &err);
    fuzz_check_error(st3, &err);
    if (st != MS_OK) {
        if (st3 != st)
            abort();
    } else if (is_file) {
        if (st3 != MS_E_USAGE || t3 != NULL)
            abort();
    } else if (st3 != (t->nkeys == MS_TRUST_MAX_KEYS ? MS_E_LIMIT : MS_E_FORMAT) || t3 != NULL) {
        abort();
    }
    ms_trust_free(t);
    fuzz_tmp_remove(path);
    return 0;
}
