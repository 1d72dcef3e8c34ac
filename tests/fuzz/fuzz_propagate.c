/*
 * libFuzzer target for license propagation (policy/propagate.c,
 * docs/licenses.md "Propagation"): the input is split into a declared
 * expression and parents, ms_license_propagate() is called, and the
 * picture is checked against the promises of policy/propagate.h.
 *
 * Input: records separated by '\n'.  Every record starts with a control
 * byte (an empty record reads as control byte 0).
 *   record 0, the declared license: control bit 0 set: NULL; else the rest
 *     of the record is the expression.
 *   records 1.., the parents, control byte c:
 *     bit 0      kind: 0 base model, 1 dataset;
 *     bits 1-3   relation/role: NULL, "finetune", "training", "evaluation",
 *                "calibration", "merge", "Evaluation", "";
 *     bit 4      license NULL (the whole body is then the name);
 *     bit 5      name NULL;
 *     bits 6-7   copies of the parent: 1, 2, 16, or (3) 1 + the next
 *                byte, 4096 when that byte is 0xff;
 *   then the body: NAME '\t' LICENSE, or without a tab LICENSE alone (name
 *   ""), each cut at a NUL byte.  (A control byte cannot be '\n': a bare
 *   base model with relation "merge" needs a copy count.)  At most
 *   MS_PROPAGATE_MAX_PARENTS parents in all (128 under libFuzzer, see
 *   FUZZ_MAX_PARENTS); further records are ignored.
 *
 * Invariants (abort() when broken):
 *   - MS_OK and a picture for any input (valid kinds, n <= 4096); the
 *     usage errors (NULL result pointer, NULL parents, an invalid kind, 4097
 *     parents) fail with their status, a sanitized message and no picture;
 *   - every message is non-empty, NUL-terminated, shorter than
 *     MS_ERROR_MESSAGE_MAX, free of control bytes and DEL, valid UTF-8;
 *   - findings: known rule ids, each with its severity (no-derivatives: a
 *     conflict for a base model, a warning for a dataset) and its name from
 *     ms_finding_severity_name(); conflicts before warnings before notes,
 *     then MS_NO_PARENT first, then by parent, then by rule
 *     (docs/licenses.md order); conflict_count and warning_count match;
 *     model-level rules (no-declared-license, declared-malformed,
 *     declared-unknown) only with MS_NO_PARENT, parent rules only with a
 *     parent; an evaluation dataset only gets evaluation-only;
 *     no-declared-license exactly when no declared license is given,
 *     declared-malformed exactly when it does not parse;
 *   - every parent index (findings, inherited, attributions) is < n or
 *     MS_NO_PARENT (findings only);
 *   - declared and each parent's canonical expression agree with
 *     ms_spdx_parse(); a chosen alternative, an inherited license and an
 *     attribution's license parse to themselves; no chosen alternative
 *     means flags MS_LICENSE_UNKNOWN; parent_propagates follows the table of
 *     docs/licenses.md;
 *   - inherited: from propagating parents with a classified chosen
 *     alternative, in parent order, then condition order; inherited_flags
 *     is the union of those parents' flags; attributions: exactly the
 *     propagating classified parents with ATTRIBUTION, in order, with their
 *     chosen text;
 *   - concluded is NULL whenever conflict_count > 0, equals declared when
 *     there is no conflict and a declared license, is otherwise the AND of
 *     the distinct inherited licenses that pass on a concluded condition
 *     (NULL when none, or longer than MS_SPDX_MAX_LEN), and when non-NULL
 *     parses to itself (canonical);
 *   - deterministic: a second call gives the same picture, string for
 *     string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "fuzz_common.h"
#include "policy/propagate.h"
#include "policy/spdx.h"

/*
 * Under libFuzzer's comparison tracing the pairwise rule (n^2 / 2 pairs)
 * and the parser's "did you mean" search for an unknown id (per parent)
 * take seconds at 4096 parents, against milliseconds in a normal build.
 * The campaign explores up to 128 parents, enough to pass the 4096-pair
 * listing cap (92 parents whose own terms clash conflict pairwise); the
 * corpus replay covers the full range.
 */
#ifdef MS_FUZZ_LIBFUZZER
#define FUZZ_MAX_PARENTS 128
#else
#define FUZZ_MAX_PARENTS MS_PROPAGATE_MAX_PARENTS
#endif

static const char *const relations[8] = {NULL,          "finetune", "training",   "evaluation",
                                         "calibration", "merge",    "Evaluation", ""};

/* docs/licenses.md, "Order and messages". */
static const char *const rule_order[] = {
    "no-declared-license", "declared-malformed", "declared-unknown", "too-complex",
    "parent-license-missing", "parent-license-malformed", "parent-license-unknown",
    "alternative-chosen", "evaluation-only", "noncommercial", "no-derivatives", "sharealike",
    "copyleft", "copyleft-network", "copyleft-weak", "use-restricted", "use-restricted-other",
    "incompatible-parents",
};
#define RULE_COUNT (sizeof rule_order / sizeof rule_order[0])

/* The severity of each rule: C conflict, W warning, N note, D conflict for a
 * base model and warning for a dataset (no-derivatives). */
static const char rule_severity[] = "WWWWWWWNNCDCCNNCNC";

static const char *const cond_order[] = {"noncommercial",    "no-derivatives", "sharealike",
                                         "copyleft",         "copyleft-network",
                                         "copyleft-weak",    "use-restricted"};
#define COND_COUNT (sizeof cond_order / sizeof cond_order[0])

static size_t index_of(const char *s, const char *const *v, size_t n)
{
    if (s == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return i;
    abort();
}

static void check_message(const char *m)
{
    if (m == NULL || m[0] == '\0')
        abort();
    if (strnlen(m, MS_ERROR_MESSAGE_MAX) >= MS_ERROR_MESSAGE_MAX)
        abort();
    fuzz_check_text(m);
    if (!ms_utf8_valid(m))
        abort();
}

/* text parses and its canonical form is text itself. */
static void check_canonical(const char *text)
{
    ms_spdx_expr *e = NULL;
    ms_error err;
    if (text == NULL || ms_spdx_parse(text, &e, &err) != MS_OK ||
        strcmp(ms_spdx_canonical(e), text) != 0)
        abort();
    ms_spdx_free(e);
}

/* The canonical text of an expression, NULL when absent or refused. */
static char *canonical_of(const char *text)
{
    if (text == NULL)
        return NULL;
    ms_spdx_expr *e = NULL;
    ms_error err;
    if (ms_spdx_parse(text, &e, &err) != MS_OK)
        return NULL;
    char *c = strdup(ms_spdx_canonical(e));
    if (c == NULL)
        abort();
    ms_spdx_free(e);
    return c;
}

static int same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static int propagates(const ms_license_parent *pp)
{
    return pp->kind == MS_PARENT_BASE_MODEL || pp->relation == NULL ||
           strcmp(pp->relation, "evaluation") != 0;
}

/*
 * Without a conflict or a declared license, the concluded license is the AND
 * of the distinct inherited licenses passing on noncommercial,
 * no-derivatives, sharealike, copyleft or use-restricted, in first-appearance
 * order; NULL when there are none or the AND would exceed MS_SPDX_MAX_LEN.
 */
static void check_concluded_from_parents(const ms_license_picture *p)
{
    size_t cap = 1, len = 0;
    for (size_t k = 0; k < p->inherited_count; k++)
        cap += strlen(p->inherited[k].license) + 5;
    char *want = malloc(cap);
    const char **seen = malloc((p->inherited_count + 1) * sizeof *seen);
    if (want == NULL || seen == NULL)
        abort();
    want[0] = '\0';
    size_t nseen = 0;
    for (size_t k = 0; k < p->inherited_count; k++) {
        const ms_license_inherited *h = &p->inherited[k];
        if (strcmp(h->condition, "copyleft-weak") == 0 ||
            strcmp(h->condition, "copyleft-network") == 0)
            continue;
        size_t j = 0;
        while (j < nseen && strcmp(seen[j], h->license) != 0)
            j++;
        if (j < nseen)
            continue;
        seen[nseen++] = h->license;
        len += (size_t)snprintf(want + len, cap - len, "%s%s", len > 0 ? " AND " : "",
                                h->license);
    }
    free(seen);
    if (len == 0 || len > MS_SPDX_MAX_LEN) {
        if (p->concluded != NULL)
            abort();
    } else {
        char *c = canonical_of(want);
        if (c == NULL || !same_str(c, p->concluded))
            abort();
        free(c);
    }
    free(want);
}

static void check_picture(const char *declared, const ms_license_parent *parents, size_t n,
                          const ms_license_picture *p)
{
    if (p == NULL || p->parent_count != n)
        abort();
    if (n > 0 && (p->parent_canonical == NULL || p->parent_chosen == NULL ||
                  p->parent_flags == NULL || p->parent_propagates == NULL))
        abort();

    /* The declared license. */
    char *dc = canonical_of(declared);
    if (!same_str(dc, p->declared))
        abort();
    free(dc);
    if (p->declared != NULL)
        check_canonical(p->declared);

    /* Per parent. */
    int inh_flags = 0;
    for (size_t i = 0; i < n; i++) {
        const ms_license_parent *pp = &parents[i];
        if (p->parent_propagates[i] != propagates(pp))
            abort();
        /* Repeated parents share their strings: compare with the previous copy. */
        if (i > 0 && parents[i - 1].license == pp->license && pp->license != NULL) {
            if (!same_str(p->parent_canonical[i], p->parent_canonical[i - 1]) ||
                !same_str(p->parent_chosen[i], p->parent_chosen[i - 1]) ||
                p->parent_flags[i] != p->parent_flags[i - 1])
                abort();
        } else {
            char *pc = canonical_of(pp->license);
            if (!same_str(pc, p->parent_canonical[i]))
                abort();
            free(pc);
            if (p->parent_chosen[i] != NULL)
                check_canonical(p->parent_chosen[i]);
        }
        if (p->parent_chosen[i] != NULL && p->parent_canonical[i] == NULL)
            abort();
        if (p->parent_chosen[i] == NULL && p->parent_flags[i] != MS_LICENSE_UNKNOWN)
            abort();
        if (p->parent_propagates[i] && p->parent_chosen[i] != NULL &&
            !(p->parent_flags[i] & MS_LICENSE_UNKNOWN))
            inh_flags |= p->parent_flags[i];
    }
    if (p->inherited_flags != inh_flags)
        abort();

    /* Inherited conditions: in parent order, then condition order. */
    if (p->inherited_count > 0 && p->inherited == NULL)
        abort();
    for (size_t k = 0; k < p->inherited_count; k++) {
        const ms_license_inherited *h = &p->inherited[k];
        if (h->parent >= n || !p->parent_propagates[h->parent] ||
            p->parent_chosen[h->parent] == NULL ||
            (p->parent_flags[h->parent] & MS_LICENSE_UNKNOWN))
            abort();
        size_t c = index_of(h->condition, cond_order, COND_COUNT);
        if (h->license == NULL || h->license[0] == '\0')
            abort();
        if (k > 0) {
            const ms_license_inherited *g = &p->inherited[k - 1];
            if (g->parent > h->parent)
                abort();
            if (g->parent == h->parent && index_of(g->condition, cond_order, COND_COUNT) > c)
                abort();
        }
        /* Only check each license text once per run of the same text. */
        if (k == 0 || strcmp(p->inherited[k - 1].license, h->license) != 0)
            check_canonical(h->license);
    }

    /* Attributions: exactly the propagating, classified parents with ATTRIBUTION. */
    if (p->attribution_count > 0 && p->attributions == NULL)
        abort();
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        int owed = p->parent_propagates[i] && p->parent_chosen[i] != NULL &&
                   !(p->parent_flags[i] & MS_LICENSE_UNKNOWN) &&
                   (p->parent_flags[i] & MS_LICENSE_ATTRIBUTION);
        if (!owed)
            continue;
        if (a >= p->attribution_count || p->attributions[a].parent != i ||
            !same_str(p->attributions[a].license, p->parent_chosen[i]))
            abort();
        a++;
    }
    if (a != p->attribution_count)
        abort();

    /* Findings. */
    if (p->finding_count > 0 && p->findings == NULL)
        abort();
    size_t conflicts = 0, warnings = 0, no_declared = 0, declared_malformed = 0;
    for (size_t k = 0; k < p->finding_count; k++) {
        const ms_license_finding *f = &p->findings[k];
        if (f->severity != MS_FINDING_CONFLICT && f->severity != MS_FINDING_WARNING &&
            f->severity != MS_FINDING_NOTE)
            abort();
        size_t r = index_of(f->rule, rule_order, RULE_COUNT);
        check_message(f->message);
        char sev = rule_severity[r];
        if (sev == 'D')
            sev = f->parent < n && parents[f->parent].kind == MS_PARENT_BASE_MODEL ? 'C' : 'W';
        if (sev != "CWN"[f->severity] ||
            strcmp(ms_finding_severity_name(f->severity),
                   f->severity == MS_FINDING_CONFLICT  ? "conflict"
                   : f->severity == MS_FINDING_WARNING ? "warning"
                                                       : "note") != 0)
            abort();
        conflicts += f->severity == MS_FINDING_CONFLICT;
        warnings += f->severity == MS_FINDING_WARNING;
        no_declared += r == 0;
        declared_malformed += r == 1;
        if (f->parent != MS_NO_PARENT && f->parent >= n)
            abort();
        if (r <= 2 && f->parent != MS_NO_PARENT)
            abort(); /* about the model itself */
        if (r > 3 && r < RULE_COUNT - 1 && f->parent == MS_NO_PARENT)
            abort(); /* about one parent */
        if (f->parent != MS_NO_PARENT && !p->parent_propagates[f->parent] &&
            strcmp(f->rule, "evaluation-only") != 0)
            abort();
        if (k > 0) {
            const ms_license_finding *g = &p->findings[k - 1];
            if (g->severity != f->severity) {
                if (g->severity > f->severity)
                    abort();
                continue;
            }
            size_t pg = g->parent == MS_NO_PARENT ? 0 : g->parent + 1;
            size_t pf = f->parent == MS_NO_PARENT ? 0 : f->parent + 1;
            if (pg > pf)
                abort();
            if (pg == pf && index_of(g->rule, rule_order, RULE_COUNT) > r)
                abort();
        }
    }
    if (conflicts != p->conflict_count || warnings != p->warning_count)
        abort();
    if (no_declared != (declared == NULL))
        abort();
    if (declared_malformed != (declared != NULL && p->declared == NULL))
        abort();

    /* The concluded license. */
    if (p->conflict_count > 0 && p->concluded != NULL)
        abort();
    if (p->conflict_count == 0 && p->declared != NULL && !same_str(p->concluded, p->declared))
        abort();
    if (p->concluded != NULL)
        check_canonical(p->concluded);
    if (p->conflict_count == 0 && p->declared == NULL)
        check_concluded_from_parents(p);
}

static void check_same(const ms_license_picture *a, const ms_license_picture *b)
{
    if (!same_str(a->declared, b->declared) || a->declared_flags != b->declared_flags ||
        !same_str(a->concluded, b->concluded) || a->inherited_flags != b->inherited_flags ||
        a->parent_count != b->parent_count || a->inherited_count != b->inherited_count ||
        a->attribution_count != b->attribution_count || a->finding_count != b->finding_count ||
        a->conflict_count != b->conflict_count || a->warning_count != b->warning_count)
        abort();
    for (size_t i = 0; i < a->parent_count; i++)
        if (!same_str(a->parent_canonical[i], b->parent_canonical[i]) ||
            !same_str(a->parent_chosen[i], b->parent_chosen[i]) ||
            a->parent_flags[i] != b->parent_flags[i] ||
            a->parent_propagates[i] != b->parent_propagates[i])
            abort();
    for (size_t i = 0; i < a->inherited_count; i++)
        if (!same_str(a->inherited[i].condition, b->inherited[i].condition) ||
            !same_str(a->inherited[i].license, b->inherited[i].license) ||
            a->inherited[i].parent != b->inherited[i].parent)
            abort();
    for (size_t i = 0; i < a->attribution_count; i++)
        if (!same_str(a->attributions[i].license, b->attributions[i].license) ||
            a->attributions[i].parent != b->attributions[i].parent)
            abort();
    for (size_t i = 0; i < a->finding_count; i++)
        if (a->findings[i].severity != b->findings[i].severity ||
            !same_str(a->findings[i].rule, b->findings[i].rule) ||
            a->findings[i].parent != b->findings[i].parent ||
            !same_str(a->findings[i].message, b->findings[i].message))
            abort();
}

/* A refusal: the status asked for, a sanitized message, no picture. */
static void check_refused(ms_status got, ms_status want, const ms_license_picture *p,
                          const ms_error *err)
{
    if (got != want || p != NULL)
        abort();
    fuzz_check_error(got, err);
}

static void check_usage_errors(const char *declared, const ms_license_parent *parents, size_t n,
                               uint8_t salt)
{
    ms_error err;
    ms_license_picture *p = (ms_license_picture *)&p;
    if (ms_license_propagate(declared, parents, n, NULL, &err) != MS_E_USAGE)
        abort();
    fuzz_check_error(MS_E_USAGE, &err);
    p = (ms_license_picture *)&p;
    ms_status st = ms_license_propagate(declared, NULL, 1, &p, &err);
    check_refused(st, MS_E_USAGE, p, &err);

    /* One parent of an unknown kind, anywhere. */
    if (n > 0) {
        ms_license_parent *bad = malloc(n * sizeof *bad);
        if (bad == NULL)
            abort();
        memcpy(bad, parents, n * sizeof *bad);
        bad[salt % n].kind = (salt & 0x80) ? (ms_parent_kind)-1 : (ms_parent_kind)(2 + (salt & 3));
        p = (ms_license_picture *)&p;
        st = ms_license_propagate(declared, bad, n, &p, &err);
        check_refused(st, MS_E_USAGE, p, &err);
        free(bad);
    }

    /* One parent too many (once per process: it needs a 4097-entry array). */
    static int limit_checked;
    if (!limit_checked) {
        limit_checked = 1;
        size_t m = MS_PROPAGATE_MAX_PARENTS + 1;
        ms_license_parent *many = calloc(m, sizeof *many);
        if (many == NULL)
            abort();
        for (size_t i = 0; i < m; i++)
            many[i] = (ms_license_parent){MS_PARENT_DATASET, "d", "MIT", "training"};
        p = (ms_license_picture *)&p;
        st = ms_license_propagate(declared, many, m, &p, &err);
        check_refused(st, MS_E_LIMIT, p, &err);
        free(many);
    }
}

/* A NUL-terminated copy of d[0..n), cut at its first NUL byte. */
static char *piece(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    if (n > 0)
        memcpy(s, d, n);
    s[n] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Split into records. */
    size_t nrec = 1;
    for (size_t i = 0; i < size; i++)
        nrec += data[i] == '\n';
    char **owned = calloc(2 * nrec + 1, sizeof *owned);
    size_t nowned = 0;
    ms_license_parent *parents = calloc(FUZZ_MAX_PARENTS, sizeof *parents);
    if (owned == NULL || parents == NULL)
        abort();
    const char *declared = NULL;
    size_t n = 0;
    uint8_t salt = 0;
    size_t off = 0;
    for (size_t r = 0; r < nrec && off <= size; r++) {
        const uint8_t *rec = data + off;
        const uint8_t *nl = memchr(rec, '\n', size - off);
        size_t len = nl != NULL ? (size_t)(nl - rec) : size - off;
        off += len + 1;
        uint8_t c = len > 0 ? rec[0] : 0;
        const uint8_t *body = len > 0 ? rec + 1 : rec;
        size_t blen = len > 0 ? len - 1 : 0;
        salt ^= c;
        if (r == 0) {
            if (!(c & 1))
                declared = owned[nowned++] = piece(body, blen);
            continue;
        }
        if (n == FUZZ_MAX_PARENTS)
            break;
        size_t copies = 1;
        switch (c >> 6) {
        case 1: copies = 2; break;
        case 2: copies = 16; break;
        case 3:
            if (blen > 0) {
                copies = body[0] == 0xff ? MS_PROPAGATE_MAX_PARENTS : 1 + (size_t)body[0];
                body++;
                blen--;
            }
            break;
        }
        if (copies > FUZZ_MAX_PARENTS - n)
            copies = FUZZ_MAX_PARENTS - n;
        const uint8_t *tab = memchr(body, '\t', blen);
        const char *name = "", *license = NULL;
        if (c & 0x10) {
            name = owned[nowned++] = piece(body, blen);
        } else if (tab != NULL) {
            name = owned[nowned++] = piece(body, (size_t)(tab - body));
            license = owned[nowned++] = piece(tab + 1, blen - (size_t)(tab - body) - 1);
        } else {
            license = owned[nowned++] = piece(body, blen);
        }
        if (c & 0x20)
            name = NULL;
        ms_license_parent pp = {(c & 1) ? MS_PARENT_DATASET : MS_PARENT_BASE_MODEL, name, license,
                                relations[(c >> 1) & 7]};
        for (size_t k = 0; k < copies; k++)
            parents[n++] = pp;
    }

    ms_error err;
    ms_error_clear(&err);
    ms_license_picture *p = NULL;
    ms_status st = ms_license_propagate(declared, parents, n, &p, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK || p == NULL)
        abort();
    check_picture(declared, parents, n, p);

    ms_license_picture *q = NULL;
    if (ms_license_propagate(declared, parents, n, &q, &err) != MS_OK || q == NULL)
        abort();
    check_same(p, q);
    ms_license_picture_free(q);
    ms_license_picture_free(p);
    ms_license_picture_free(NULL);

    check_usage_errors(declared, parents, n, salt);

    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(parents);
    return 0;
}
