/*
 * License propagation (docs/licenses.md, "Propagation"): what a model
 * inherits from the licenses of its base models and datasets, and where that
 * conflicts with the license it declares.
 *
 * Each expression is parsed (policy/spdx.c) and expanded into its
 * OR-alternatives, each a set of license terms that all apply.  The
 * expansion works on the tree: runs of the same operator are flattened with
 * an explicit stack, so recursion only happens where AND and OR alternate,
 * which the parser bounds by its parenthesis depth.  At most
 * MS_PROPAGATE_MAX_ALTERNATIVES alternatives are kept; more make the
 * expression "too complex", treated as an unknown license.
 *
 * Work is bounded for hostile input (4096 parents, each with a 4096-byte
 * expression): checks of a parent's license against the declared
 * alternatives are memoized per license id (only licenses with conditions
 * are checked, and the list has few of them), and the pairwise check of
 * rule "incompatible-parents" compares per-parent summaries in constant
 * time and lists at most MS_PROPAGATE_MAX_PARENTS pairs.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/text.h"
#include "policy/propagate.h"
#include "policy/spdx.h"

#define NONE ((size_t)-1)
#define NAME_QUOTE_MAX 64  /* bytes of a parent name quoted in a message */
#define TEXT_QUOTE_MAX 200 /* bytes of an expression quoted in a message */
#define PAIR_FINDINGS_MAX MS_PROPAGATE_MAX_PARENTS
/* AND and OR alternate at most twice per parenthesis level. */
#define EXPAND_DEPTH_MAX (2 * MS_SPDX_MAX_DEPTH + 8)

/* Rule ids, in the order findings of one parent and severity are listed. */
enum rule {
    R_NO_DECLARED,
    R_DECLARED_MALFORMED,
    R_DECLARED_UNKNOWN,
    R_TOO_COMPLEX,
    R_PARENT_MISSING,
    R_PARENT_MALFORMED,
    R_PARENT_UNKNOWN,
    R_ALTERNATIVE_CHOSEN,
    R_EVALUATION_ONLY,
    R_NONCOMMERCIAL,
    R_NO_DERIVATIVES,
    R_SHAREALIKE,
    R_COPYLEFT,
    R_COPYLEFT_NETWORK,
    R_COPYLEFT_WEAK,
    R_USE_RESTRICTED,
    R_USE_RESTRICTED_OTHER,
    R_INCOMPATIBLE,
    R_COUNT
};

static const char *const rule_ids[R_COUNT] = {
    "no-declared-license",
    "declared-malformed",
    "declared-unknown",
    "too-complex",
    "parent-license-missing",
    "parent-license-malformed",
    "parent-license-unknown",
    "alternative-chosen",
    "evaluation-only",
    "noncommercial",
    "no-derivatives",
    "sharealike",
    "copyleft",
    "copyleft-network",
    "copyleft-weak",
    "use-restricted",
    "use-restricted-other",
    "incompatible-parents",
};

/* Inherited conditions, in the order they are listed for one parent. */
enum cond { C_NONCOMMERCIAL, C_NO_DERIVATIVES, C_SHAREALIKE, C_COPYLEFT, C_COPYLEFT_NETWORK,
            C_COPYLEFT_WEAK, C_USE_RESTRICTED, C_COUNT };

static const char *const cond_names[C_COUNT] = {
    "noncommercial", "no-derivatives", "sharealike", "copyleft",
    "copyleft-network", "copyleft-weak", "use-restricted",
};

const char *ms_finding_severity_name(ms_finding_severity s)
{
    switch (s) {
    case MS_FINDING_CONFLICT: return "conflict";
    case MS_FINDING_WARNING: return "warning";
    case MS_FINDING_NOTE: return "note";
    }
    return "unknown";
}

/* ------------------------------------------------------------ licenses */

static int is_strong(int f)
{
    return (f & MS_LICENSE_COPYLEFT) != 0 && (f & MS_LICENSE_COPYLEFT_WEAK) == 0;
}

/* Does a license term with these flags carry condition c? */
static int has_cond(int f, int c)
{
    switch (c) {
    case C_NONCOMMERCIAL: return (f & MS_LICENSE_NONCOMMERCIAL) != 0;
    case C_NO_DERIVATIVES: return (f & MS_LICENSE_NO_DERIVATIVES) != 0;
    case C_SHAREALIKE: return (f & MS_LICENSE_SHAREALIKE) != 0;
    case C_COPYLEFT: return is_strong(f);
    case C_COPYLEFT_NETWORK: return is_strong(f) && (f & MS_LICENSE_COPYLEFT_NETWORK) != 0;
    case C_COPYLEFT_WEAK: return (f & MS_LICENSE_COPYLEFT_WEAK) != 0;
    case C_USE_RESTRICTED: return (f & MS_LICENSE_USE_RESTRICTED) != 0;
    }
    return 0;
}

/* One license term: an id (or LicenseRef-) with its "+" and WITH exception. */
typedef struct term {
    const char *id;
    int or_later;
    const char *exception;
    int flags;
    size_t first; /* index of the first term with the same text */
    char *text;   /* "id", "id+", "id WITH exception" */
} term;

/* An alternative: indexes of terms (first occurrences), in expression order, no repeats. */
typedef struct alt {
    size_t *t;
    size_t n;
} alt;

typedef struct altlist {
    alt *v;
    size_t n, cap;
} altlist;

/* An evaluated expression. */
typedef struct evaluated {
    int present;     /* text given */
    int malformed;   /* the parser refused it: msg */
    char msg[MS_ERROR_MESSAGE_MAX];
    ms_spdx_expr *expr;
    term *terms;     /* leaves in expression order */
    size_t nterms;
    altlist alts;    /* empty when too complex */
    int too_complex;
    int *alt_flags;  /* union of the terms' flags */
    int *alt_score;
    size_t chosen;   /* the alternative with the lowest score, first on a tie */
    size_t *stamp;   /* per term, for set operations */
    size_t gen;
} evaluated;

static void altlist_free(altlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].t);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static void eval_free(evaluated *ev)
{
    for (size_t i = 0; i < ev->nterms; i++)
        free(ev->terms[i].text);
    free(ev->terms);
    altlist_free(&ev->alts);
    free(ev->alt_flags);
    free(ev->alt_score);
    free(ev->stamp);
    ms_spdx_free(ev->expr);
    memset(ev, 0, sizeof *ev);
}

enum { EX_OK = 0, EX_COMPLEX = 1, EX_NOMEM = -1 };

/* Takes ownership of a.t. */
static int altlist_push(altlist *l, alt a)
{
    if (l->n == l->cap) {
        size_t cap = l->cap != 0 ? l->cap * 2 : 4;
        alt *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            free(a.t);
            return EX_NOMEM;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = a;
    return EX_OK;
}

static int alt_equal(evaluated *ev, const alt *a, const alt *b)
{
    if (a->n != b->n)
        return 0;
    ev->gen++;
    for (size_t k = 0; k < b->n; k++)
        ev->stamp[b->t[k]] = ev->gen;
    for (size_t k = 0; k < a->n; k++)
        if (ev->stamp[a->t[k]] != ev->gen)
            return 0;
    return 1;
}

/* Add a unless an equal set is there; takes ownership of a.t. */
static int add_unique(evaluated *ev, altlist *l, alt a)
{
    for (size_t i = 0; i < l->n; i++)
        if (alt_equal(ev, &l->v[i], &a)) {
            free(a.t);
            return EX_OK;
        }
    if (l->n >= MS_PROPAGATE_MAX_ALTERNATIVES) {
        free(a.t);
        return EX_COMPLEX;
    }
    return altlist_push(l, a);
}

typedef struct nodevec {
    const ms_spdx_node **v;
    size_t n, cap;
} nodevec;

static int nodevec_push(nodevec *s, const ms_spdx_node *x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap != 0 ? s->cap * 2 : 16;
        const ms_spdx_node **v = realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return 0;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return 1;
}

static int is_leaf(const ms_spdx_node *x)
{
    return x->kind == MS_SPDX_LICENSE || x->kind == MS_SPDX_WITH;
}

/* The operands of the run of node->kind operators under node, in expression order. */
static int flatten(const ms_spdx_node *node, nodevec *out)
{
    nodevec st = {0};
    int ok = nodevec_push(&st, node);
    while (ok && st.n > 0) {
        const ms_spdx_node *x = st.v[--st.n];
        if (x->kind == node->kind)
            ok = nodevec_push(&st, x->right) && nodevec_push(&st, x->left);
        else
            ok = nodevec_push(out, x);
    }
    free(st.v);
    return ok;
}

static int expand(evaluated *ev, const ms_spdx_node *node, size_t *leaf, altlist *out, int depth)
{
    if (depth > EXPAND_DEPTH_MAX)
        return EX_COMPLEX;
    if (is_leaf(node)) {
        if (*leaf >= ev->nterms)
            return EX_COMPLEX; /* cannot happen: the leaves were counted in the same order */
        alt a = {malloc(sizeof(size_t)), 1};
        if (a.t == NULL)
            return EX_NOMEM;
        a.t[0] = ev->terms[(*leaf)++].first;
        return altlist_push(out, a);
    }
    nodevec ops = {0};
    if (!flatten(node, &ops)) {
        free(ops.v);
        return EX_NOMEM;
    }
    int rc = EX_OK;
    if (node->kind == MS_SPDX_OR) {
        for (size_t i = 0; rc == EX_OK && i < ops.n; i++) {
            altlist sub = {0};
            rc = expand(ev, ops.v[i], leaf, &sub, depth + 1);
            size_t k = 0;
            for (; rc == EX_OK && k < sub.n; k++)
                rc = add_unique(ev, out, sub.v[k]);
            for (; k < sub.n; k++)
                free(sub.v[k].t);
            free(sub.v);
        }
    } else {
        altlist cur = {0};
        rc = expand(ev, ops.v[0], leaf, &cur, depth + 1);
        for (size_t i = 1; rc == EX_OK && i < ops.n; i++) {
            altlist sub = {0}, prod = {0};
            rc = expand(ev, ops.v[i], leaf, &sub, depth + 1);
            for (size_t a = 0; rc == EX_OK && a < cur.n; a++)
                for (size_t b = 0; rc == EX_OK && b < sub.n; b++) {
                    const alt *x = &cur.v[a], *y = &sub.v[b];
                    alt c = {malloc((x->n + y->n) * sizeof(size_t)), 0};
                    if (c.t == NULL) {
                        rc = EX_NOMEM;
                        break;
                    }
                    ev->gen++;
                    for (size_t k = 0; k < x->n; k++) {
                        ev->stamp[x->t[k]] = ev->gen;
                        c.t[c.n++] = x->t[k];
                    }
                    for (size_t k = 0; k < y->n; k++)
                        if (ev->stamp[y->t[k]] != ev->gen)
                            c.t[c.n++] = y->t[k];
                    rc = add_unique(ev, &prod, c);
                }
            altlist_free(&cur);
            altlist_free(&sub);
            cur = prod;
        }
        if (rc == EX_OK)
            *out = cur;
        else
            altlist_free(&cur);
    }
    free(ops.v);
    return rc;
}

typedef struct sortkey {
    const char *text;
    size_t idx;
} sortkey;

static int sortkey_cmp(const void *a, const void *b)
{
    const sortkey *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    if (c != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static char *term_text(const char *id, int or_later, const char *exception)
{
    size_t n = strlen(id) + (or_later ? 1 : 0) + (exception ? 6 + strlen(exception) : 0);
    char *s = malloc(n + 1);
    if (s != NULL)
        snprintf(s, n + 1, "%s%s%s%s", id, or_later ? "+" : "", exception ? " WITH " : "",
                 exception ? exception : "");
    return s;
}

/* The terms of the expression in order; each points to its first repeat. */
static int collect_terms(evaluated *ev)
{
    nodevec st = {0}, leaves = {0};
    int ok = nodevec_push(&st, ms_spdx_root(ev->expr));
    while (ok && st.n > 0) {
        const ms_spdx_node *x = st.v[--st.n];
        if (is_leaf(x))
            ok = nodevec_push(&leaves, x);
        else
            ok = nodevec_push(&st, x->right) && nodevec_push(&st, x->left);
    }
    free(st.v);
    if (ok && leaves.n > 0) {
        ev->terms = calloc(leaves.n, sizeof *ev->terms);
        ok = ev->terms != NULL;
    }
    for (size_t i = 0; ok && i < leaves.n; i++) {
        const ms_spdx_node *x = leaves.v[i];
        const ms_spdx_node *lic = x->kind == MS_SPDX_WITH ? x->left : x;
        term *t = &ev->terms[i];
        t->id = lic->id;
        t->or_later = lic->or_later;
        t->exception = x->kind == MS_SPDX_WITH ? x->exception : NULL;
        /* A WITH exception keeps the license's flags (conservative). */
        t->flags = ms_spdx_license_flags(lic->id);
        t->first = i;
        t->text = term_text(t->id, t->or_later, t->exception);
        ok = t->text != NULL;
        ev->nterms = i + 1;
    }
    free(leaves.v);
    if (!ok)
        return 0;
    sortkey *keys = malloc((ev->nterms + 1) * sizeof *keys);
    if (keys == NULL)
        return 0;
    for (size_t i = 0; i < ev->nterms; i++)
        keys[i] = (sortkey){ev->terms[i].text, i};
    qsort(keys, ev->nterms, sizeof *keys, sortkey_cmp);
    for (size_t i = 1; i < ev->nterms; i++)
        if (strcmp(keys[i].text, keys[i - 1].text) == 0)
            ev->terms[keys[i].idx].first = ev->terms[keys[i - 1].idx].first;
    free(keys);
    return 1;
}

static int alt_score(const evaluated *ev, const alt *a, int *flags)
{
    int u = 0, strong = 0, weak = 0;
    for (size_t k = 0; k < a->n; k++) {
        int f = ev->terms[a->t[k]].flags;
        u |= f;
        strong |= is_strong(f);
        weak |= (f & MS_LICENSE_COPYLEFT_WEAK) != 0;
    }
    *flags = u;
    return ((u & MS_LICENSE_UNKNOWN) ? 256 : 0) + ((u & MS_LICENSE_NONCOMMERCIAL) ? 128 : 0) +
           ((u & MS_LICENSE_NO_DERIVATIVES) ? 64 : 0) + ((u & MS_LICENSE_USE_RESTRICTED) ? 32 : 0) +
           (strong ? 16 : 0) + ((u & MS_LICENSE_COPYLEFT_NETWORK) ? 8 : 0) +
           ((u & MS_LICENSE_SHAREALIKE) ? 16 : 0) + (weak ? 4 : 0) +
           ((u & MS_LICENSE_ATTRIBUTION) ? 1 : 0);
}

/* Parse and expand text (NULL: absent).  Only running out of memory fails. */
static ms_status evaluate(const char *text, evaluated *ev)
{
    memset(ev, 0, sizeof *ev);
    if (text == NULL)
        return MS_OK;
    ev->present = 1;
    ms_error perr;
    ms_error_clear(&perr);
    ms_status st = ms_spdx_parse(text, &ev->expr, &perr);
    if (st == MS_E_NOMEM)
        return st;
    if (st != MS_OK) {
        ev->malformed = 1;
        snprintf(ev->msg, sizeof ev->msg, "%s", perr.message);
        return MS_OK;
    }
    if (!collect_terms(ev))
        return MS_E_NOMEM;
    ev->stamp = calloc(ev->nterms + 1, sizeof *ev->stamp);
    if (ev->stamp == NULL)
        return MS_E_NOMEM;
    size_t leaf = 0;
    int rc = expand(ev, ms_spdx_root(ev->expr), &leaf, &ev->alts, 0);
    if (rc == EX_NOMEM)
        return MS_E_NOMEM;
    if (rc == EX_COMPLEX || ev->alts.n == 0) {
        altlist_free(&ev->alts);
        ev->too_complex = 1;
        return MS_OK;
    }
    ev->alt_flags = calloc(ev->alts.n, sizeof *ev->alt_flags);
    ev->alt_score = calloc(ev->alts.n, sizeof *ev->alt_score);
    if (ev->alt_flags == NULL || ev->alt_score == NULL)
        return MS_E_NOMEM;
    ev->chosen = 0;
    for (size_t i = 0; i < ev->alts.n; i++) {
        ev->alt_score[i] = alt_score(ev, &ev->alts.v[i], &ev->alt_flags[i]);
        if (ev->alt_score[i] < ev->alt_score[ev->chosen])
            ev->chosen = i;
    }
    return MS_OK;
}

/* The alternative's terms joined with " AND ", in expression order. */
static char *alt_text(const evaluated *ev, const alt *a)
{
    size_t n = 1;
    for (size_t k = 0; k < a->n; k++)
        n += strlen(ev->terms[a->t[k]].text) + 5;
    char *s = malloc(n);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    for (size_t k = 0; k < a->n; k++) {
        const char *t = ev->terms[a->t[k]].text;
        size_t l = strlen(t);
        if (k > 0) {
            memcpy(s + o, " AND ", 5);
            o += 5;
        }
        memcpy(s + o, t, l);
        o += l;
    }
    s[o] = '\0';
    return s;
}

/* -------------------------------------------------- license compatibility */

/*
 * What a share-alike or copyleft license requires of the license of a
 * derived work (docs/licenses.md, "Compatible licenses"):
 *   REQ_CC: Creative Commons, the same elements at an equal or later version;
 *   REQ_VERSIONED: FAMILY-VERSION[-only|-or-later|+]: the same family at the
 *     same version, or at least that version when "or later";
 *   REQ_EXACT: the same id.
 */
enum { REQ_EXACT, REQ_VERSIONED, REQ_CC };

typedef struct req {
    const char *text; /* the term, for messages */
    const char *id;   /* a prefix of text */
    size_t idlen;
    int kind;
    size_t famlen;
    unsigned mask;
    unsigned ver[4];
    size_t verpos, verlen;
    int min; /* this version or later */
} req;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_version(const char *s, size_t n, unsigned ver[4])
{
    size_t comp = 0, digits = 0;
    memset(ver, 0, 4 * sizeof ver[0]);
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i])) {
            if (++digits > 6)
                return 0;
            ver[comp] = ver[comp] * 10 + (unsigned)(s[i] - '0');
        } else if (s[i] == '.' && digits > 0 && comp < 3) {
            comp++;
            digits = 0;
        } else {
            return 0;
        }
    }
    return digits > 0;
}

static int ver_cmp(const req *a, const req *b)
{
    for (int i = 0; i < 4; i++)
        if (a->ver[i] != b->ver[i])
            return a->ver[i] < b->ver[i] ? -1 : 1;
    return 0;
}

static void req_parse(const char *text, const char *id, int or_later, req *r)
{
    memset(r, 0, sizeof *r);
    r->text = text;
    r->id = id;
    r->idlen = strlen(id);
    r->kind = REQ_EXACT;
    size_t len = r->idlen;
    if (len > 0 && id[len - 1] == '+') {
        or_later = 1;
        len--;
    }
    if (strncmp(id, "LicenseRef-", 11) == 0 || strncmp(id, "DocumentRef-", 12) == 0)
        return;
    if (len > 3 && memcmp(id, "CC-", 3) == 0) {
        unsigned mask = 0;
        for (size_t p = 3; p < len;) {
            size_t q = p;
            while (q < len && id[q] != '-')
                q++;
            const char *tok = id + p;
            size_t tl = q - p;
            if (tl == 2 && memcmp(tok, "BY", 2) == 0) {
                mask |= 1;
            } else if (tl == 2 && memcmp(tok, "NC", 2) == 0) {
                mask |= 2;
            } else if (tl == 2 && memcmp(tok, "SA", 2) == 0) {
                mask |= 4;
            } else if (tl == 2 && memcmp(tok, "ND", 2) == 0) {
                mask |= 8;
            } else {
                /* The version; a jurisdiction port may follow (ignored). */
                if (mask != 0 && tl > 0 && is_digit(tok[0]) && parse_version(tok, tl, r->ver)) {
                    r->kind = REQ_CC;
                    r->mask = mask;
                    r->verpos = p;
                    r->verlen = tl;
                    r->min = 1;
                    return;
                }
                break;
            }
            p = q + 1;
        }
    }
    for (size_t k = 1; k + 1 < len; k++) {
        if (id[k] != '-' || !is_digit(id[k + 1]))
            continue;
        size_t v = k + 1, e = v;
        while (e < len && id[e] != '-')
            e++;
        if (!parse_version(id + v, e - v, r->ver))
            return;
        size_t rest = len - e;
        int later;
        if (rest == 0)
            later = 0;
        else if (rest == 5 && memcmp(id + e, "-only", 5) == 0)
            later = 0;
        else if (rest == 9 && memcmp(id + e, "-or-later", 9) == 0)
            later = 1;
        else
            return;
        r->kind = REQ_VERSIONED;
        r->famlen = k;
        r->verpos = v;
        r->verlen = e - v;
        r->min = later || or_later;
        return;
    }
}

static int same_group(const req *a, const req *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case REQ_CC: return a->mask == b->mask;
    case REQ_VERSIONED: return a->famlen == b->famlen && memcmp(a->id, b->id, a->famlen) == 0;
    default: return a->idlen == b->idlen && memcmp(a->id, b->id, a->idlen) == 0;
    }
}

/* Does the declared term d meet the requirement of the parent's term p? */
static int satisfies(const req *p, const req *d)
{
    if (!same_group(p, d))
        return 0;
    if (p->kind == REQ_EXACT)
        return 1;
    int c = ver_cmp(d, p);
    return p->min ? c >= 0 : c == 0;
}

/* Can one license meet both requirements? */
static int compatible(const req *a, const req *b)
{
    if (!same_group(a, b))
        return 0;
    if (a->kind != REQ_VERSIONED)
        return 1;
    int c = ver_cmp(a, b);
    if (!a->min && !b->min)
        return c == 0;
    if (!a->min)
        return c >= 0;
    if (!b->min)
        return c <= 0;
    return 1;
}

/* "CC-BY-SA-3.0 or a later version of it", "GPL version 2.0 or later", "ODbL-1.0". */
static void need_text(char *buf, size_t cap, const req *r)
{
    if (r->kind == REQ_CC)
        snprintf(buf, cap, "%.*s or a later version of it", (int)r->idlen, r->id);
    else if (r->kind == REQ_VERSIONED)
        snprintf(buf, cap, "%.*s version %.*s%s", (int)r->famlen, r->id, (int)r->verlen,
                 r->id + r->verpos, r->min ? " or later" : "");
    else
        snprintf(buf, cap, "%.*s", (int)r->idlen, r->id);
}

/* All share-alike and strong-copyleft requirements of one parent, merged. */
enum { SUM_NONE, SUM_ONE, SUM_MULTI };

typedef struct summary {
    int state;
    req r;
} summary;

static void merge_req(summary *s, const req *q)
{
    if (s->state == SUM_MULTI)
        return;
    if (s->state == SUM_NONE) {
        s->state = SUM_ONE;
        s->r = *q;
        return;
    }
    if (!compatible(&s->r, q)) {
        s->state = SUM_MULTI;
        return;
    }
    if (s->r.kind != REQ_EXACT) {
        int c = ver_cmp(&s->r, q);
        /* Keep the tighter one: a fixed version over "or later", the higher minimum. */
        if ((s->r.min && !q->min) || (s->r.min && q->min && c < 0))
            s->r = *q;
    }
}

static int summaries_conflict(const summary *a, const summary *b)
{
    if (a->state == SUM_NONE || b->state == SUM_NONE)
        return 0;
    if (a->state == SUM_MULTI || b->state == SUM_MULTI)
        return 1;
    summary m = *a;
    merge_req(&m, &b->r);
    return m.state == SUM_MULTI;
}

/* ------------------------------------------------------------- context */

typedef struct finding_rec {
    ms_finding_severity severity;
    int rule;
    size_t parent;
    size_t seq;
    char *message;
} finding_rec;

/* What rule "incompatible-parents" needs of each parent. */
typedef struct pinfo {
    req *reqs; /* share-alike and strong-copyleft terms of the chosen alternative */
    size_t nreqs;
    summary sum;
    char *restrictive; /* first NONCOMMERCIAL or USE_RESTRICTED term, or NULL */
    int restrictive_nc;
    char *strong; /* first strong-copyleft term, or NULL */
} pinfo;

typedef struct memo_entry {
    int rule;
    char *key; /* term text */
    size_t result;
} memo_entry;

typedef struct ctx {
    ms_license_picture *p;
    const ms_license_parent *parents;
    finding_rec *f;
    size_t nf, capf;
    size_t ninh, capinh;
    size_t natt, capatt;
    memo_entry *memo;
    size_t nmemo, capmemo;
    pinfo *info;
    int nomem;
    /* the declared license */
    evaluated decl;
    int checkable; /* valid, not too complex: parents are checked against it */
    int *alt_known;
    char **alt_texts;
    req *decl_reqs; /* per declared term */
    size_t no_nc, no_ur; /* first checked alternative without NONCOMMERCIAL / USE_RESTRICTED */
} ctx;

static void *grow(ctx *c, void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap != 0 ? *cap * 2 : 8;
    void *w = realloc(v, nc * size);
    if (w == NULL) {
        c->nomem = 1;
        return NULL;
    }
    *cap = nc;
    return w;
}

static char *xdup(ctx *c, const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        c->nomem = 1;
    return d;
}

/* Copy s cut to max bytes on a UTF-8 boundary, with "..." when cut. */
static const char *cut(char *buf, size_t cap, const char *s, size_t max)
{
    if (s == NULL)
        s = "";
    size_t n = strlen(s);
    if (n <= max) {
        snprintf(buf, cap, "%s", s);
        return buf;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    snprintf(buf, cap, "%.*s...", (int)max, s);
    return buf;
}

#define NAME_BUF (NAME_QUOTE_MAX + 32)
#define TEXT_BUF (TEXT_QUOTE_MAX + 4)

/* "base model 'llama-3-8b'", "dataset 'digits'" */
static const char *label(char *buf, size_t cap, const ms_license_parent *pp)
{
    char nb[NAME_QUOTE_MAX + 4];
    snprintf(buf, cap, "%s '%s'", pp->kind == MS_PARENT_BASE_MODEL ? "base model" : "dataset",
             cut(nb, sizeof nb, pp->name, NAME_QUOTE_MAX));
    return buf;
}

static const char *qtext(char *buf, const char *s)
{
    return cut(buf, TEXT_BUF, s, TEXT_QUOTE_MAX);
}

static void add_finding(ctx *c, ms_finding_severity sev, int rule, size_t parent, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add_finding(ctx *c, ms_finding_severity sev, int rule, size_t parent, const char *fmt, ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Names come from untrusted bundles. */
    ms_text_sanitize(msg, sizeof msg);
    finding_rec *f = grow(c, c->f, &c->capf, c->nf, sizeof *f);
    if (f == NULL)
        return;
    c->f = f;
    char *m = xdup(c, msg);
    if (m == NULL)
        return;
    c->f[c->nf] = (finding_rec){sev, rule, parent, c->nf, m};
    c->nf++;
}

static void add_inherited(ctx *c, int cond, const char *license, size_t parent)
{
    ms_license_inherited *v = grow(c, c->p->inherited, &c->capinh, c->ninh, sizeof *v);
    if (v == NULL)
        return;
    c->p->inherited = v;
    char *l = xdup(c, license);
    if (l == NULL)
        return;
    v[c->ninh++] = (ms_license_inherited){cond_names[cond], l, parent};
    c->p->inherited_count = c->ninh;
}

static void add_attribution(ctx *c, const char *license, size_t parent)
{
    ms_license_attribution *v = grow(c, c->p->attributions, &c->capatt, c->natt, sizeof *v);
    if (v == NULL)
        return;
    c->p->attributions = v;
    char *l = xdup(c, license);
    if (l == NULL)
        return;
    v[c->natt++] = (ms_license_attribution){parent, l};
    c->p->attribution_count = c->natt;
}

/* ------------------------------------------------- the declared license */

static int alt_has_flag(const evaluated *ev, const alt *a, int flag)
{
    for (size_t k = 0; k < a->n; k++)
        if (ev->terms[a->t[k]].flags & flag)
            return 1;
    return 0;
}

static ms_status setup_declared(ctx *c, const char *declared)
{
    evaluated *ev = &c->decl;
    ms_status st = evaluate(declared, ev);
    if (st != MS_OK)
        return st;
    c->no_nc = c->no_ur = NONE;
    char qb[TEXT_BUF];
    if (!ev->present) {
        add_finding(c, MS_FINDING_WARNING, R_NO_DECLARED, MS_NO_PARENT,
                    "the model declares no license, so its license can only be concluded from its "
                    "parents");
        return MS_OK;
    }
    if (ev->malformed) {
        char nb[NAME_QUOTE_MAX + 4];
        add_finding(c, MS_FINDING_WARNING, R_DECLARED_MALFORMED, MS_NO_PARENT,
                    "the declared license '%s' is not a valid SPDX expression (%s), so it is "
                    "treated as absent",
                    cut(nb, sizeof nb, declared, NAME_QUOTE_MAX), ev->msg);
        return MS_OK;
    }
    c->p->declared = xdup(c, ms_spdx_canonical(ev->expr));
    if (ev->too_complex) {
        c->p->declared_flags = MS_LICENSE_UNKNOWN;
        add_finding(c, MS_FINDING_WARNING, R_TOO_COMPLEX, MS_NO_PARENT,
                    "the declared license expands to more than %d alternatives, too many to check "
                    "against the parents: review it by hand",
                    MS_PROPAGATE_MAX_ALTERNATIVES);
        return MS_OK;
    }
    size_t na = ev->alts.n;
    c->checkable = 1;
    c->alt_known = calloc(na, sizeof *c->alt_known);
    c->alt_texts = calloc(na, sizeof *c->alt_texts);
    c->decl_reqs = calloc(ev->nterms + 1, sizeof *c->decl_reqs);
    if (c->alt_known == NULL || c->alt_texts == NULL || c->decl_reqs == NULL)
        return MS_E_NOMEM;
    for (size_t i = 0; i < ev->nterms; i++)
        req_parse(ev->terms[i].text, ev->terms[i].id, ev->terms[i].or_later, &c->decl_reqs[i]);
    for (size_t i = 0; i < na; i++) {
        const alt *a = &ev->alts.v[i];
        c->p->declared_flags |= ev->alt_flags[i];
        c->alt_known[i] = (ev->alt_flags[i] & MS_LICENSE_UNKNOWN) == 0;
        if ((c->alt_texts[i] = alt_text(ev, a)) == NULL)
            return MS_E_NOMEM;
        if (!c->alt_known[i])
            continue;
        if (c->no_nc == NONE && !alt_has_flag(ev, a, MS_LICENSE_NONCOMMERCIAL))
            c->no_nc = i;
        if (c->no_ur == NONE && !alt_has_flag(ev, a, MS_LICENSE_USE_RESTRICTED))
            c->no_ur = i;
    }
    for (size_t i = 0; i < ev->nterms; i++)
        if (ev->terms[i].flags & MS_LICENSE_UNKNOWN) {
            add_finding(c, MS_FINDING_WARNING, R_DECLARED_UNKNOWN, MS_NO_PARENT,
                        "the declared license includes %s, which modelseal does not classify, so "
                        "the alternatives containing it are not checked against the parents: "
                        "review it by hand",
                        qtext(qb, ev->terms[i].text));
            break;
        }
    return MS_OK;
}

/* Memoized per rule and term: the first checked declared alternative failing it, or NONE. */
static int memo_get(ctx *c, int rule, const char *key, size_t *result)
{
    for (size_t i = 0; i < c->nmemo; i++)
        if (c->memo[i].rule == rule && strcmp(c->memo[i].key, key) == 0) {
            *result = c->memo[i].result;
            return 1;
        }
    return 0;
}

static void memo_put(ctx *c, int rule, const char *key, size_t result)
{
    memo_entry *m = grow(c, c->memo, &c->capmemo, c->nmemo, sizeof *m);
    if (m == NULL)
        return;
    c->memo = m;
    char *k = xdup(c, key);
    if (k == NULL)
        return;
    m[c->nmemo++] = (memo_entry){rule, k, result};
}

/* The first checked declared alternative with no term meeting requirement r. */
static size_t find_unsatisfied(ctx *c, int rule, const term *t, const req *r)
{
    /* The result depends on the id and its "+" only (exceptions are not compared). */
    char key[MS_SPDX_MAX_LEN + 2];
    snprintf(key, sizeof key, "%s%s", t->id, t->or_later ? "+" : "");
    size_t res;
    if (memo_get(c, rule, key, &res))
        return res;
    res = NONE;
    const evaluated *ev = &c->decl;
    for (size_t i = 0; res == NONE && i < ev->alts.n; i++) {
        if (!c->alt_known[i])
            continue;
        const alt *a = &ev->alts.v[i];
        int ok = 0;
        for (size_t k = 0; !ok && k < a->n; k++)
            ok = satisfies(r, &c->decl_reqs[a->t[k]]);
        if (!ok)
            res = i;
    }
    memo_put(c, rule, key, res);
    return res;
}

/* The first checked declared alternative with use restrictions but without the license id. */
static size_t find_ur_other(ctx *c, const term *t)
{
    size_t res;
    if (memo_get(c, R_USE_RESTRICTED_OTHER, t->id, &res))
        return res;
    res = NONE;
    const evaluated *ev = &c->decl;
    for (size_t i = 0; res == NONE && i < ev->alts.n; i++) {
        const alt *a = &ev->alts.v[i];
        if (!c->alt_known[i] || !alt_has_flag(ev, a, MS_LICENSE_USE_RESTRICTED))
            continue;
        int same = 0;
        for (size_t k = 0; !same && k < a->n; k++)
            same = strcmp(ev->terms[a->t[k]].id, t->id) == 0;
        if (!same)
            res = i;
    }
    memo_put(c, R_USE_RESTRICTED_OTHER, t->id, res);
    return res;
}

/* --------------------------------------------------------------- parents */

/* A propagating parent with a classified chosen alternative passes its conditions on. */
static ms_status contribute(ctx *c, size_t i, const evaluated *ev, const char *chosen_text)
{
    const ms_license_parent *pp = &c->parents[i];
    const alt *a = &ev->alts.v[ev->chosen];
    int flags = ev->alt_flags[ev->chosen];
    int base = pp->kind == MS_PARENT_BASE_MODEL;
    char lb[NAME_BUF], qa[TEXT_BUF], qb[TEXT_BUF], need[TEXT_BUF + 64];
    const char *L = label(lb, sizeof lb, pp);
    c->p->inherited_flags |= flags;

    if (ev->alts.n > 1)
        add_finding(c, MS_FINDING_NOTE, R_ALTERNATIVE_CHOSEN, i,
                    "%s is offered under '%s', and modelseal assumes its least restrictive "
                    "alternative '%s'",
                    L, qtext(qa, ms_spdx_canonical(ev->expr)), qtext(qb, chosen_text));

    for (int cond = 0; cond < C_COUNT; cond++)
        for (size_t k = 0; k < a->n; k++)
            if (has_cond(ev->terms[a->t[k]].flags, cond))
                add_inherited(c, cond, ev->terms[a->t[k]].text, i);

    /* The first term carrying each condition names it in messages. */
    const term *first[C_COUNT] = {0};
    for (size_t k = 0; k < a->n; k++)
        for (int cond = 0; cond < C_COUNT; cond++)
            if (first[cond] == NULL && has_cond(ev->terms[a->t[k]].flags, cond))
                first[cond] = &ev->terms[a->t[k]];

    if (first[C_NONCOMMERCIAL] != NULL && c->checkable && c->no_nc != NONE)
        add_finding(c, MS_FINDING_CONFLICT, R_NONCOMMERCIAL, i,
                    "%s is under %s, which forbids commercial use, but the declared license offers "
                    "'%s', which allows it",
                    L, qtext(qa, first[C_NONCOMMERCIAL]->text), qtext(qb, c->alt_texts[c->no_nc]));

    if (first[C_NO_DERIVATIVES] != NULL) {
        if (base)
            add_finding(c, MS_FINDING_CONFLICT, R_NO_DERIVATIVES, i,
                        "%s is under %s, which forbids sharing adaptations, and this model is an "
                        "adaptation of it",
                        L, qtext(qa, first[C_NO_DERIVATIVES]->text));
        else
            add_finding(c, MS_FINDING_WARNING, R_NO_DERIVATIVES, i,
                        "%s is under %s, which forbids sharing adaptations, and whether a model "
                        "trained on the data is an adaptation of it is unsettled",
                        L, qtext(qa, first[C_NO_DERIVATIVES]->text));
    }

    /* Share-alike and strong copyleft: the declared license must carry a compatible license. */
    pinfo *pi = &c->info[i];
    for (size_t k = 0; k < a->n; k++) {
        const term *t = &ev->terms[a->t[k]];
        if ((t->flags & MS_LICENSE_SHAREALIKE) || is_strong(t->flags))
            pi->nreqs++;
    }
    if (pi->nreqs > 0 && (pi->reqs = calloc(pi->nreqs, sizeof *pi->reqs)) == NULL)
        return MS_E_NOMEM;
    size_t nr = 0;
    int done_sa = 0, done_cl = 0;
    for (size_t k = 0; k < a->n; k++) {
        const term *t = &ev->terms[a->t[k]];
        int sa = (t->flags & MS_LICENSE_SHAREALIKE) != 0, cl = is_strong(t->flags);
        if (!sa && !cl)
            continue;
        char *text = xdup(c, t->text);
        if (text == NULL)
            return MS_E_NOMEM;
        req r;
        req_parse(text, t->id, t->or_later, &r);
        r.id = text; /* the id is a prefix of the term's text */
        pi->reqs[nr++] = r;
        merge_req(&pi->sum, &r);
        int rule = sa ? R_SHAREALIKE : R_COPYLEFT;
        if (!c->checkable || (sa ? done_sa : done_cl))
            continue;
        size_t bad = find_unsatisfied(c, rule, t, &r);
        if (bad == NONE)
            continue;
        need_text(need, sizeof need, &r);
        if (sa) {
            done_sa = 1;
            add_finding(c, MS_FINDING_CONFLICT, R_SHAREALIKE, i,
                        "%s is under %s, which requires adaptations to be shared under the same "
                        "license, but the declared license offers '%s', which does not carry %s",
                        L, qtext(qa, t->text), qtext(qb, c->alt_texts[bad]), need);
        } else {
            done_cl = 1;
            add_finding(c, MS_FINDING_CONFLICT, R_COPYLEFT, i,
                        "%s is under %s, which requires derived works to be licensed as a whole "
                        "under the same terms, but the declared license offers '%s', which does "
                        "not carry %s",
                        L, qtext(qa, t->text), qtext(qb, c->alt_texts[bad]), need);
        }
    }

    if (first[C_COPYLEFT_NETWORK] != NULL)
        add_finding(c, MS_FINDING_NOTE, R_COPYLEFT_NETWORK, i,
                    "%s is under %s, which counts use over a network as distribution: offering "
                    "this model as a service obliges you to share it under the same terms",
                    L, qtext(qa, first[C_COPYLEFT_NETWORK]->text));
    if (first[C_COPYLEFT_WEAK] != NULL)
        add_finding(c, MS_FINDING_NOTE, R_COPYLEFT_WEAK, i,
                    "%s is under %s, a weak copyleft license: changes to the files it covers stay "
                    "under that license",
                    L, qtext(qa, first[C_COPYLEFT_WEAK]->text));

    if (first[C_USE_RESTRICTED] != NULL && c->checkable) {
        if (c->no_ur != NONE)
            add_finding(c, MS_FINDING_CONFLICT, R_USE_RESTRICTED, i,
                        "%s is under %s, which restricts fields of use and requires the "
                        "restrictions to travel with every derivative, but the declared license "
                        "offers '%s', which carries no use restrictions",
                        L, qtext(qa, first[C_USE_RESTRICTED]->text),
                        qtext(qb, c->alt_texts[c->no_ur]));
        for (size_t k = 0; k < a->n; k++) {
            const term *t = &ev->terms[a->t[k]];
            if (!(t->flags & MS_LICENSE_USE_RESTRICTED))
                continue;
            size_t other = find_ur_other(c, t);
            if (other == NONE)
                continue;
            add_finding(c, MS_FINDING_NOTE, R_USE_RESTRICTED_OTHER, i,
                        "%s is under %s, and the declared license offers '%s', which restricts "
                        "use under other terms: check that it carries the restrictions of %s",
                        L, qtext(qa, t->text), qtext(qb, c->alt_texts[other]), t->id);
            break;
        }
    }

    if (flags & MS_LICENSE_ATTRIBUTION)
        add_attribution(c, chosen_text, i);

    const term *r = first[C_NONCOMMERCIAL] != NULL ? first[C_NONCOMMERCIAL] : first[C_USE_RESTRICTED];
    if (r != NULL) {
        pi->restrictive = xdup(c, r->text);
        pi->restrictive_nc = r == first[C_NONCOMMERCIAL];
    }
    if (first[C_COPYLEFT] != NULL)
        pi->strong = xdup(c, first[C_COPYLEFT]->text);
    return c->nomem ? MS_E_NOMEM : MS_OK;
}

static ms_status do_parent(ctx *c, size_t i)
{
    const ms_license_parent *pp = &c->parents[i];
    ms_license_picture *p = c->p;
    int propagates = pp->kind == MS_PARENT_BASE_MODEL || pp->relation == NULL ||
                     strcmp(pp->relation, "evaluation") != 0;
    p->parent_propagates[i] = propagates;
    p->parent_flags[i] = MS_LICENSE_UNKNOWN;
    evaluated ev;
    ms_status st = evaluate(pp->license, &ev);
    if (st != MS_OK) {
        eval_free(&ev);
        return st;
    }
    char *chosen = NULL;
    if (ev.expr != NULL) {
        p->parent_canonical[i] = xdup(c, ms_spdx_canonical(ev.expr));
        if (!ev.too_complex) {
            chosen = p->parent_chosen[i] = alt_text(&ev, &ev.alts.v[ev.chosen]);
            if (chosen == NULL)
                c->nomem = 1;
            p->parent_flags[i] = ev.alt_flags[ev.chosen];
        }
    }
    if (c->nomem) {
        eval_free(&ev);
        return MS_E_NOMEM;
    }
    char lb[NAME_BUF], qa[TEXT_BUF], nb[NAME_QUOTE_MAX + 4];
    const char *L = label(lb, sizeof lb, pp);
    if (!propagates) {
        /* Evaluation data: not inherited; noncommercial data is for a human to check. */
        if (chosen != NULL && (p->parent_flags[i] & MS_LICENSE_NONCOMMERCIAL)) {
            const alt *a = &ev.alts.v[ev.chosen];
            for (size_t k = 0; k < a->n; k++)
                if (ev.terms[a->t[k]].flags & MS_LICENSE_NONCOMMERCIAL) {
                    add_finding(c, MS_FINDING_NOTE, R_EVALUATION_ONLY, i,
                                "%s is used for evaluation only, so the model does not inherit "
                                "its license, but %s forbids commercial use: check by hand that "
                                "evaluating a commercial model on it is allowed",
                                L, qtext(qa, ev.terms[a->t[k]].text));
                    break;
                }
        }
    } else if (!ev.present) {
        add_finding(c, MS_FINDING_WARNING, R_PARENT_MISSING, i,
                    "%s records no license, so the lineage is incomplete and its conditions are "
                    "unknown",
                    L);
    } else if (ev.malformed) {
        add_finding(c, MS_FINDING_WARNING, R_PARENT_MALFORMED, i,
                    "%s has license '%s', which is not a valid SPDX expression (%s), so its "
                    "conditions are unknown",
                    L, cut(nb, sizeof nb, pp->license, NAME_QUOTE_MAX), ev.msg);
    } else if (ev.too_complex) {
        add_finding(c, MS_FINDING_WARNING, R_TOO_COMPLEX, i,
                    "%s has a license expression that expands to more than %d alternatives, too "
                    "many to evaluate, so its conditions are unknown: review it by hand",
                    L, MS_PROPAGATE_MAX_ALTERNATIVES);
    } else if (p->parent_flags[i] & MS_LICENSE_UNKNOWN) {
        const alt *a = &ev.alts.v[ev.chosen];
        for (size_t k = 0; k < a->n; k++)
            if (ev.terms[a->t[k]].flags & MS_LICENSE_UNKNOWN) {
                add_finding(c, MS_FINDING_WARNING, R_PARENT_UNKNOWN, i,
                            "%s is under %s, which modelseal does not classify, so its "
                            "conditions are unknown: review it by hand",
                            L, qtext(qa, ev.terms[a->t[k]].text));
                break;
            }
    } else {
        st = contribute(c, i, &ev, chosen);
    }
    eval_free(&ev);
    if (st == MS_OK && c->nomem)
        st = MS_E_NOMEM;
    return st;
}

/* ------------------------------------------------- incompatible parents */

/* The first requirement of x that no one license meets together with r, else x's first. */
static const req *clashing_with(const pinfo *x, const req *r)
{
    for (size_t m = 0; m < x->nreqs; m++)
        if (!compatible(r, &x->reqs[m]))
            return &x->reqs[m];
    return &x->reqs[0];
}

static void pair_finding(ctx *c, size_t i, size_t j)
{
    const pinfo *a = &c->info[i], *b = &c->info[j];
    char l1[NAME_BUF], l2[NAME_BUF], q1[TEXT_BUF], q2[TEXT_BUF];
    label(l1, sizeof l1, &c->parents[i]);
    label(l2, sizeof l2, &c->parents[j]);
    if (summaries_conflict(&a->sum, &b->sum)) {
        /* Name two terms that clash; linear in the parents' sizes. */
        const req *ra, *rb;
        if (b->sum.state == SUM_ONE) {
            ra = clashing_with(a, &b->sum.r);
            rb = clashing_with(b, ra);
        } else if (a->sum.state == SUM_ONE) {
            rb = clashing_with(b, &a->sum.r);
            ra = clashing_with(a, rb);
        } else {
            ra = &a->reqs[0];
            rb = clashing_with(b, ra);
        }
        add_finding(c, MS_FINDING_CONFLICT, R_INCOMPATIBLE, i,
                    "%s (%s) and %s (%s) each require derived works under their own license, and "
                    "no one license meets both",
                    l1, qtext(q1, ra->text), l2, qtext(q2, rb->text));
        return;
    }
    const char *nc = "forbids commercial use", *ur = "restricts fields of use";
    if (a->restrictive != NULL && b->strong != NULL)
        add_finding(c, MS_FINDING_CONFLICT, R_INCOMPATIBLE, i,
                    "%s (%s) %s, but %s (%s) forbids adding restrictions to derived works, so no "
                    "one license meets both",
                    l1, qtext(q1, a->restrictive), a->restrictive_nc ? nc : ur, l2,
                    qtext(q2, b->strong));
    else
        add_finding(c, MS_FINDING_CONFLICT, R_INCOMPATIBLE, i,
                    "%s (%s) forbids adding restrictions to derived works, but %s (%s) %s, so no "
                    "one license meets both",
                    l1, qtext(q1, a->strong), l2, qtext(q2, b->restrictive),
                    b->restrictive_nc ? nc : ur);
}

static int pair_conflicts(const pinfo *a, const pinfo *b)
{
    return summaries_conflict(&a->sum, &b->sum) || (a->restrictive != NULL && b->strong != NULL) ||
           (a->strong != NULL && b->restrictive != NULL);
}

static ms_status incompatible_parents(ctx *c, size_t n)
{
    size_t *idx = malloc((n + 1) * sizeof *idx), m = 0;
    if (idx == NULL)
        return MS_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (c->info[i].nreqs > 0 || c->info[i].restrictive != NULL || c->info[i].strong != NULL)
            idx[m++] = i;
    size_t listed = 0, more = 0;
    for (size_t x = 0; x < m && !c->nomem; x++)
        for (size_t y = x + 1; y < m; y++) {
            if (!pair_conflicts(&c->info[idx[x]], &c->info[idx[y]]))
                continue;
            if (listed < PAIR_FINDINGS_MAX) {
                pair_finding(c, idx[x], idx[y]);
                listed++;
            } else {
                more++;
            }
        }
    free(idx);
    if (more > 0)
        add_finding(c, MS_FINDING_CONFLICT, R_INCOMPATIBLE, MS_NO_PARENT,
                    "%zu more pairs of parents have requirements that no one license meets (only "
                    "the first %d pairs are listed)",
                    more, PAIR_FINDINGS_MAX);
    return c->nomem ? MS_E_NOMEM : MS_OK;
}

/* ------------------------------------------------------------ concluded */

static int concluded_cond(const char *cond)
{
    return strcmp(cond, "noncommercial") == 0 || strcmp(cond, "sharealike") == 0 ||
           strcmp(cond, "copyleft") == 0 || strcmp(cond, "use-restricted") == 0 ||
           strcmp(cond, "no-derivatives") == 0;
}

/* The AND of the distinct licenses passing conditions on, in first-appearance order. */
static ms_status conclude_from_parents(ctx *c)
{
    ms_license_picture *p = c->p;
    size_t n = 0;
    sortkey *keys = malloc((p->inherited_count + 1) * sizeof *keys);
    if (keys == NULL)
        return MS_E_NOMEM;
    for (size_t i = 0; i < p->inherited_count; i++)
        if (concluded_cond(p->inherited[i].condition))
            keys[n++] = (sortkey){p->inherited[i].license, i};
    if (n == 0) {
        free(keys);
        return MS_OK;
    }
    qsort(keys, n, sizeof *keys, sortkey_cmp);
    /* Keep each text's first appearance, then restore inherited[] order. */
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(keys[i].text, keys[i - 1].text) != 0)
            keys[d++] = keys[i];
    for (size_t i = 0; i < d; i++)
        keys[i].text = "";
    qsort(keys, d, sizeof *keys, sortkey_cmp);
    size_t len = 0;
    for (size_t i = 0; i < d; i++)
        len += strlen(p->inherited[keys[i].idx].license) + (i > 0 ? 5 : 0);
    if (len > MS_SPDX_MAX_LEN) {
        add_finding(c, MS_FINDING_WARNING, R_TOO_COMPLEX, MS_NO_PARENT,
                    "the concluded license, the AND of %zu inherited licenses, would be longer "
                    "than %d bytes, so it is left as NOASSERTION",
                    d, MS_SPDX_MAX_LEN);
        free(keys);
        return c->nomem ? MS_E_NOMEM : MS_OK;
    }
    char *s = malloc(len + 1);
    if (s == NULL) {
        free(keys);
        return MS_E_NOMEM;
    }
    size_t o = 0;
    for (size_t i = 0; i < d; i++) {
        const char *t = p->inherited[keys[i].idx].license;
        o += (size_t)snprintf(s + o, len + 1 - o, "%s%s", i > 0 ? " AND " : "", t);
    }
    free(keys);
    ms_spdx_expr *e = NULL;
    ms_error perr;
    ms_status st = ms_spdx_parse(s, &e, &perr);
    free(s);
    if (st == MS_E_NOMEM)
        return st;
    if (st != MS_OK) {
        add_finding(c, MS_FINDING_WARNING, R_TOO_COMPLEX, MS_NO_PARENT,
                    "the concluded license, the AND of %zu inherited licenses, is not a valid "
                    "SPDX expression (%s), so it is left as NOASSERTION",
                    d, perr.message);
        return c->nomem ? MS_E_NOMEM : MS_OK;
    }
    p->concluded = xdup(c, ms_spdx_canonical(e));
    ms_spdx_free(e);
    return c->nomem ? MS_E_NOMEM : MS_OK;
}

/* ------------------------------------------------------------- findings */

static int finding_cmp(const void *x, const void *y)
{
    const finding_rec *a = x, *b = y;
    if (a->severity != b->severity)
        return a->severity < b->severity ? -1 : 1;
    /* Findings about the model itself (no parent) come first. */
    size_t pa = a->parent == MS_NO_PARENT ? 0 : a->parent + 1;
    size_t pb = b->parent == MS_NO_PARENT ? 0 : b->parent + 1;
    if (pa != pb)
        return pa < pb ? -1 : 1;
    if (a->rule != b->rule)
        return a->rule < b->rule ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static ms_status finish_findings(ctx *c)
{
    ms_license_picture *p = c->p;
    if (c->nf == 0)
        return MS_OK;
    qsort(c->f, c->nf, sizeof *c->f, finding_cmp);
    p->findings = calloc(c->nf, sizeof *p->findings);
    if (p->findings == NULL)
        return MS_E_NOMEM;
    for (size_t i = 0; i < c->nf; i++) {
        finding_rec *f = &c->f[i];
        p->findings[i] = (ms_license_finding){f->severity, rule_ids[f->rule], f->parent, f->message};
        f->message = NULL;
        if (f->severity == MS_FINDING_CONFLICT)
            p->conflict_count++;
        else if (f->severity == MS_FINDING_WARNING)
            p->warning_count++;
    }
    p->finding_count = c->nf;
    return MS_OK;
}

static void ctx_free(ctx *c, size_t n)
{
    for (size_t i = 0; i < c->nf; i++)
        free(c->f[i].message);
    free(c->f);
    for (size_t i = 0; i < c->nmemo; i++)
        free(c->memo[i].key);
    free(c->memo);
    if (c->info != NULL)
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < c->info[i].nreqs; k++)
                free((char *)c->info[i].reqs[k].text);
            free(c->info[i].reqs);
            free(c->info[i].restrictive);
            free(c->info[i].strong);
        }
    free(c->info);
    if (c->alt_texts != NULL)
        for (size_t i = 0; i < c->decl.alts.n; i++)
            free(c->alt_texts[i]);
    free(c->alt_texts);
    free(c->alt_known);
    free(c->decl_reqs);
    eval_free(&c->decl);
}

void ms_license_picture_free(ms_license_picture *p)
{
    if (p == NULL)
        return;
    free(p->declared);
    free(p->concluded);
    for (size_t i = 0; i < p->parent_count; i++) {
        if (p->parent_canonical != NULL)
            free(p->parent_canonical[i]);
        if (p->parent_chosen != NULL)
            free(p->parent_chosen[i]);
    }
    free(p->parent_canonical);
    free(p->parent_chosen);
    free(p->parent_flags);
    free(p->parent_propagates);
    for (size_t i = 0; i < p->inherited_count; i++)
        free(p->inherited[i].license);
    free(p->inherited);
    for (size_t i = 0; i < p->attribution_count; i++)
        free(p->attributions[i].license);
    free(p->attributions);
    for (size_t i = 0; i < p->finding_count; i++)
        free(p->findings[i].message);
    free(p->findings);
    free(p);
}

ms_status ms_license_propagate(const char *declared, const ms_license_parent *parents, size_t n,
                               ms_license_picture **out, ms_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || (n > 0 && parents == NULL))
        return ms_fail(err, MS_E_USAGE, "license propagation: no %s given",
                       out == NULL ? "result pointer" : "parents");
    if (n > MS_PROPAGATE_MAX_PARENTS)
        return ms_fail(err, MS_E_LIMIT, "license propagation: %zu parents, at most %d are allowed",
                       n, MS_PROPAGATE_MAX_PARENTS);
    for (size_t i = 0; i < n; i++)
        if (parents[i].kind != MS_PARENT_BASE_MODEL && parents[i].kind != MS_PARENT_DATASET)
            return ms_fail(err, MS_E_USAGE, "license propagation: parent %zu has an unknown kind (%d)",
                           i, (int)parents[i].kind);

    ms_license_picture *p = calloc(1, sizeof *p);
    ctx c = {0};
    c.p = p;
    c.parents = parents;
    ms_status st = p != NULL ? MS_OK : MS_E_NOMEM;
    if (st == MS_OK && n > 0) {
        p->parent_count = n;
        p->parent_canonical = calloc(n, sizeof *p->parent_canonical);
        p->parent_chosen = calloc(n, sizeof *p->parent_chosen);
        p->parent_flags = calloc(n, sizeof *p->parent_flags);
        p->parent_propagates = calloc(n, sizeof *p->parent_propagates);
        c.info = calloc(n, sizeof *c.info);
        if (p->parent_canonical == NULL || p->parent_chosen == NULL || p->parent_flags == NULL ||
            p->parent_propagates == NULL || c.info == NULL)
            st = MS_E_NOMEM;
    }
    if (st == MS_OK)
        st = setup_declared(&c, declared);
    if (st == MS_OK && c.nomem)
        st = MS_E_NOMEM;
    for (size_t i = 0; st == MS_OK && i < n; i++)
        st = do_parent(&c, i);
    if (st == MS_OK)
        st = incompatible_parents(&c, n);
    if (st == MS_OK) {
        size_t conflicts = 0;
        for (size_t i = 0; i < c.nf; i++)
            conflicts += c.f[i].severity == MS_FINDING_CONFLICT;
        if (conflicts == 0) {
            if (p->declared != NULL)
                st = (p->concluded = xdup(&c, p->declared)) != NULL ? MS_OK : MS_E_NOMEM;
            else
                st = conclude_from_parents(&c);
        }
    }
    if (st == MS_OK && c.nomem)
        st = MS_E_NOMEM;
    if (st == MS_OK)
        st = finish_findings(&c);
    ctx_free(&c, n);
    if (st != MS_OK) {
        ms_license_picture_free(p);
        return ms_fail(err, st, "out of memory computing the license picture");
    }
    *out = p;
    return MS_OK;
}
