/*
 * libFuzzer target for model names and semantic versions (core/names.c).
 * The input is split in two strings A and B (at its first NUL byte, else in
 * the middle).  Each is checked by ms_semver_problem() and ms_name_problem()
 * and, independently, by a straightforward reference reading of semver.org
 * 2.0.0 (with modelseal's limits: at most 256 characters, numbers of at most
 * 18 digits) and of the name rule; the two must agree.  For two valid
 * versions ms_semver_compare() must be antisymmetric, reflexive, blind to
 * build metadata and agree in sign with the reference precedence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "modelseal/bundle.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static int ref_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = is_digit(c) || (c >= 'a' && c <= 'z');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

/* A parsed version: the three numbers, and the pre-release span (may be empty). */
typedef struct ref_version {
    uint64_t num[3];
    const char *pre;
    size_t pre_len;
    int has_pre;
} ref_version;

/* Dot-separated non-empty identifiers over [0-9A-Za-z-] in s[0..n). */
static int ref_idents_ok(const char *s, size_t n, int prerelease)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            if (!is_ident_char(s[i]))
                return 0;
            continue;
        }
        if (i == start)
            return 0;
        if (prerelease) {
            int digits = 1;
            for (size_t k = start; k < i; k++)
                digits &= is_digit(s[k]);
            if (digits && i - start > 1 && s[start] == '0')
                return 0;
        }
        start = i + 1;
    }
    return 1;
}

static int ref_parse(const char *s, ref_version *v)
{
    size_t n = strlen(s), i = 0;
    memset(v, 0, sizeof *v);
    if (n == 0 || n > 256)
        return 0;
    for (int part = 0; part < 3; part++) {
        size_t start = i;
        uint64_t x = 0;
        while (i < n && is_digit(s[i])) {
            if (i - start >= 18)
                return 0;
            x = x * 10 + (uint64_t)(s[i] - '0');
            i++;
        }
        if (i == start || (i - start > 1 && s[start] == '0'))
            return 0;
        v->num[part] = x;
        if (part < 2) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    if (i < n && s[i] == '-') {
        i++;
        size_t start = i;
        while (i < n && s[i] != '+')
            i++;
        if (!ref_idents_ok(s + start, i - start, 1))
            return 0;
        v->has_pre = 1;
        v->pre = s + start;
        v->pre_len = i - start;
    }
    if (i < n && s[i] == '+') {
        i++;
        if (!ref_idents_ok(s + i, n - i, 0))
            return 0;
        i = n;
    }
    return i == n;
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* Precedence per semver.org item 11. */
static int ref_compare(const ref_version *a, const ref_version *b)
{
    for (int k = 0; k < 3; k++)
        if (a->num[k] != b->num[k])
            return a->num[k] < b->num[k] ? -1 : 1;
    if (!a->has_pre || !b->has_pre)
        return a->has_pre == b->has_pre ? 0 : (a->has_pre ? -1 : 1);
    size_t i = 0, j = 0;
    for (;;) {
        if (i > a->pre_len && j > b->pre_len)
            return 0;
        if (i > a->pre_len)
            return -1; /* fewer identifiers sort first */
        if (j > b->pre_len)
            return 1;
        size_t ie = i, je = j;
        while (ie < a->pre_len && a->pre[ie] != '.')
            ie++;
        while (je < b->pre_len && b->pre[je] != '.')
            je++;
        const char *x = a->pre + i, *y = b->pre + j;
        size_t nx = ie - i, ny = je - j;
        int dx = 1, dy = 1;
        for (size_t k = 0; k < nx; k++)
            dx &= is_digit(x[k]);
        for (size_t k = 0; k < ny; k++)
            dy &= is_digit(y[k]);
        int c;
        if (dx && dy) /* no leading zeros: longer is larger */
            c = nx != ny ? (nx < ny ? -1 : 1) : sign(memcmp(x, y, nx));
        else if (dx != dy)
            c = dx ? -1 : 1;
        else {
            size_t m = nx < ny ? nx : ny;
            c = sign(memcmp(x, y, m));
            if (c == 0 && nx != ny)
                c = nx < ny ? -1 : 1;
        }
        if (c != 0)
            return c;
        i = ie + 1;
        j = je + 1;
    }
}

static void check_one(const char *s, ref_version *v, int *valid)
{
    const char *np = ms_name_problem(s);
    if (np != NULL)
        fuzz_check_text(np);
    if ((np == NULL) != ref_name_ok(s))
        abort();
    const char *vp = ms_semver_problem(s);
    if (vp != NULL)
        fuzz_check_text(vp);
    *valid = ref_parse(s, v);
    if ((vp == NULL) != *valid)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t split = nul != NULL ? (size_t)(nul - data) : size / 2;
    size_t rest = nul != NULL ? split + 1 : split;
    char *a = fuzz_cstr(data, split);
    char *b = fuzz_cstr(data + rest, size - rest); /* as a string, ends at a second NUL */

    ref_version va, vb;
    int ok_a, ok_b;
    check_one(a, &va, &ok_a);
    check_one(b, &vb, &ok_b);
    if (ok_a && ok_b) {
        int ab = ms_semver_compare(a, b), ba = ms_semver_compare(b, a);
        if (sign(ab) != -sign(ba))
            abort();
        if (ms_semver_compare(a, a) != 0 || ms_semver_compare(b, b) != 0)
            abort();
        if (sign(ab) != ref_compare(&va, &vb))
            abort();
        /* Build metadata does not take part in precedence. */
        size_t la = strcspn(a, "+");
        char *a_core = fuzz_cstr((const uint8_t *)a, la);
        if (ms_semver_problem(a_core) != NULL || ms_semver_compare(a, a_core) != 0 ||
            ms_semver_compare(a_core, a) != 0)
            abort();
        free(a_core);
    }
    free(a);
    free(b);
    return 0;
}
