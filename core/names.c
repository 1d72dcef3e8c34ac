/* Model names and semantic versions (https://semver.org, 2.0.0). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ms_config.h"
#include "modelseal/bundle.h"

const char *ms_version(void)
{
    return MS_VERSION_STRING;
}

const char *ms_name_problem(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return "a name must not be empty";
    if (n > 128)
        return "a name must be at most 128 characters";
    if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
        return "a name must start with a lower-case letter or a digit";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
            return "a name may only hold a-z, 0-9, '.', '_' and '-'";
    }
    return NULL;
}

/* A numeric identifier: digits without a leading zero (except "0"). */
static const char *numeric(const char *s, size_t n, const char *what)
{
    (void)what;
    if (n == 0)
        return "a version needs MAJOR.MINOR.PATCH with three numbers";
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return "MAJOR, MINOR and PATCH must be numbers (like 1.2.3)";
    if (n > 1 && s[0] == '0')
        return "MAJOR, MINOR and PATCH must not have leading zeros";
    if (n > 18)
        return "a version number is too large";
    return NULL;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading zeros if prerelease. */
static const char *identifiers(const char *s, size_t n, int prerelease)
{
    if (n == 0)
        return prerelease ? "an empty pre-release after '-'" : "empty build metadata after '+'";
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            unsigned char c = (unsigned char)s[i];
            if (!(isalnum(c) || c == '-'))
                return prerelease ? "a pre-release may only hold [0-9A-Za-z-] and dots"
                                  : "build metadata may only hold [0-9A-Za-z-] and dots";
            continue;
        }
        size_t len = i - start;
        if (len == 0)
            return prerelease ? "an empty pre-release identifier" : "an empty build identifier";
        if (prerelease) {
            int all_digits = 1;
            for (size_t k = start; k < i; k++)
                if (!isdigit((unsigned char)s[k]))
                    all_digits = 0;
            if (all_digits && len > 1 && s[start] == '0')
                return "a numeric pre-release identifier must not have leading zeros";
        }
        start = i + 1;
    }
    return NULL;
}

const char *ms_semver_problem(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return "a version must not be empty";
    if (n > 256)
        return "a version must be at most 256 characters";
    if (s[0] == 'v' || s[0] == 'V')
        return "a semantic version has no leading 'v' (write 1.2.3, not v1.2.3)";
    const char *plus = strchr(s, '+');
    const char *core_end = s + strcspn(s, "-+");
    const char *dash = *core_end == '-' ? core_end : NULL;
    const char *p = s;
    for (int part = 0; part < 3; part++) {
        const char *e = p + strcspn(p, ".-+");
        const char *problem = numeric(p, (size_t)(e - p), "");
        if (problem != NULL)
            return problem;
        if (part < 2) {
            if (*e != '.')
                return "a version needs MAJOR.MINOR.PATCH with three numbers";
            p = e + 1;
        } else {
            if (e != core_end)
                return "a version has exactly three numbers, MAJOR.MINOR.PATCH";
        }
    }
    if (dash != NULL) {
        const char *pe = plus != NULL ? plus : s + n;
        const char *problem = identifiers(dash + 1, (size_t)(pe - dash - 1), 1);
        if (problem != NULL)
            return problem;
    }
    if (plus != NULL) {
        const char *problem = identifiers(plus + 1, strlen(plus + 1), 0);
        if (problem != NULL)
            return problem;
    }
    return NULL;
}

static int cmp_num(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb)
        return na < nb ? -1 : 1;
    int c = memcmp(a, b, na);
    return c < 0 ? -1 : c > 0;
}

int ms_semver_compare(const char *a, const char *b)
{
    /* Precedence ignores build metadata (semver 2.0.0, item 10). */
    size_t la = strcspn(a, "+"), lb = strcspn(b, "+");
    const char *pa = a, *pb = b;
    for (int part = 0; part < 3; part++) {
        size_t na = strcspn(pa, ".-+"), nb = strcspn(pb, ".-+");
        int c = cmp_num(pa, na, pb, nb);
        if (c != 0)
            return c;
        pa += na + (part < 2);
        pb += nb + (part < 2);
    }
    int ha = (size_t)(pa - a) < la && *pa == '-';
    int hb = (size_t)(pb - b) < lb && *pb == '-';
    if (!ha || !hb)
        return ha == hb ? 0 : (ha ? -1 : 1); /* a pre-release sorts before the release */
    pa++;
    pb++;
    const char *ea = a + la, *eb = b + lb;
    while (pa < ea && pb < eb) {
        size_t na = strcspn(pa, ".+"), nb = strcspn(pb, ".+");
        if (pa + na > ea)
            na = (size_t)(ea - pa);
        if (pb + nb > eb)
            nb = (size_t)(eb - pb);
        int da = 1, db = 1;
        for (size_t i = 0; i < na; i++)
            da &= isdigit((unsigned char)pa[i]) != 0;
        for (size_t i = 0; i < nb; i++)
            db &= isdigit((unsigned char)pb[i]) != 0;
        int c;
        if (da && db)
            c = cmp_num(pa, na, pb, nb);
        else if (da != db)
            c = da ? -1 : 1; /* numeric identifiers sort before alphanumeric ones */
        else {
            size_t m = na < nb ? na : nb;
            c = memcmp(pa, pb, m);
            c = c != 0 ? (c < 0 ? -1 : 1) : (na == nb ? 0 : (na < nb ? -1 : 1));
        }
        if (c != 0)
            return c;
        pa += na;
        pb += nb;
        if (pa < ea)
            pa++;
        if (pb < eb)
            pb++;
    }
    if (pa >= ea && pb >= eb)
        return 0;
    return pa >= ea ? -1 : 1;
}
