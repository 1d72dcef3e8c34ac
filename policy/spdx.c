/*
 * SPDX license expressions: a tokenizer and a recursive-descent parser over
 * the compiled-in SPDX license list (policy/spdx_data.c), canonical
 * printing and deprecation warnings.  docs/licenses.md describes the
 * grammar, canonical form and every message.
 *
 * Bounds: the text is at most MS_SPDX_MAX_LEN bytes; the parser recurses
 * only into parentheses (at most MS_SPDX_MAX_DEPTH deep, three frames a
 * level) and builds AND/OR chains in loops, so a long chain makes a deep
 * tree but no deep recursion; printing walks the tree with an explicit
 * stack and freeing releases node blocks, never recursing over the tree.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "policy/spdx.h"
#include "policy/spdx_internal.h"

/* Nodes live in blocks so that pointers stay put and freeing is a list walk. */
#define NODE_BLOCK 64

typedef struct node_block {
    struct node_block *next;
    size_t used;
    ms_spdx_node nodes[NODE_BLOCK];
} node_block;

typedef struct strbuf {
    char *data;
    size_t len, cap;
    int failed; /* out of memory */
} strbuf;

struct ms_spdx_expr {
    ms_spdx_node *root;
    node_block *blocks;
    size_t node_count;
    char *refs; /* canonical LicenseRef-/DocumentRef- texts, each NUL-terminated */
    size_t refs_used, refs_cap;
    char *canonical;
    strbuf warnings;
};

/* ---------------------------------------------------------------- strings */

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap != 0 ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int prefix_ci(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (lower(s[i]) != prefix[i])
            return 0;
    return 1;
}

static int equal_ci(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && prefix_ci(s, n, word);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int is_id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* ----------------------------------------------------------------- lookups */

const char *ms_spdx_license_id(const char *id_any_case)
{
    if (id_any_case == NULL)
        return NULL;
    const ms_spdx_license_entry *e = ms_spdx_find_license(id_any_case, strlen(id_any_case));
    return e != NULL ? e->id : NULL;
}

const char *ms_spdx_exception_id(const char *id_any_case)
{
    if (id_any_case == NULL)
        return NULL;
    const ms_spdx_exception_entry *e = ms_spdx_find_exception(id_any_case, strlen(id_any_case));
    return e != NULL ? e->id : NULL;
}

int ms_spdx_license_deprecated(const char *canonical_id)
{
    if (canonical_id == NULL)
        return 0;
    const ms_spdx_license_entry *e = ms_spdx_find_license(canonical_id, strlen(canonical_id));
    return e != NULL && e->deprecated;
}

int ms_spdx_license_osi(const char *canonical_id)
{
    if (canonical_id == NULL)
        return 0;
    const ms_spdx_license_entry *e = ms_spdx_find_license(canonical_id, strlen(canonical_id));
    return e != NULL && e->osi;
}

int ms_spdx_exception_deprecated(const char *canonical_id)
{
    if (canonical_id == NULL)
        return 0;
    const ms_spdx_exception_entry *e = ms_spdx_find_exception(canonical_id, strlen(canonical_id));
    return e != NULL && e->deprecated;
}

const char *ms_spdx_list_version(void)
{
    return ms_spdx_version;
}

/* ------------------------------------------------------- nearest-id search */

#define EDIT_MAX 64

static int is_punct(char c)
{
    return c == '-' || c == '.';
}

unsigned ms_spdx_edit_distance(const char *a, size_t na, const char *b, size_t nb, unsigned limit)
{
    if (na > EDIT_MAX || nb > EDIT_MAX)
        return limit + 1;
    if ((na > nb ? na - nb : nb - na) > limit) /* every missing byte costs at least 1 */
        return limit + 1;
    /* Three rows of the optimal-string-alignment matrix, in half edits. */
    unsigned r0[EDIT_MAX + 1], r1[EDIT_MAX + 1], r2[EDIT_MAX + 1];
    unsigned *prev2 = r0, *prev = r1, *cur = r2;
    prev[0] = 0;
    for (size_t j = 1; j <= nb; j++)
        prev[j] = prev[j - 1] + (is_punct(b[j - 1]) ? 1 : 2);
    for (size_t i = 1; i <= na; i++) {
        char x = lower(a[i - 1]);
        unsigned del = is_punct(x) ? 1 : 2;
        cur[0] = prev[0] + del;
        unsigned row_min = cur[0];
        for (size_t j = 1; j <= nb; j++) {
            char y = lower(b[j - 1]);
            unsigned ins = is_punct(y) ? 1 : 2;
            unsigned sub = x == y ? 0 : (is_punct(x) && is_punct(y)) ? 1 : 2;
            unsigned v = prev[j - 1] + sub;
            if (prev[j] + del < v)
                v = prev[j] + del;
            if (cur[j - 1] + ins < v)
                v = cur[j - 1] + ins;
            if (i > 1 && j > 1 && x == lower(b[j - 2]) && lower(a[i - 2]) == y && prev2[j - 2] + 2 < v)
                v = prev2[j - 2] + 2;
            cur[j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > limit)
            return limit + 1;
        unsigned *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] <= limit ? prev[nb] : limit + 1;
}

/*
 * How far a suggestion may be, in half edits: one edit for words of up to 4
 * bytes, two up to 8, else three.  Adding or dropping '-' or '.' is half an
 * edit, so "Apache2" is near "Apache-2.0" but "NONE" is not near "jove".
 */
static unsigned suggest_limit(size_t n)
{
    return n <= 4 ? 2 : n <= 8 ? 4 : 6;
}

/* Letter and digit counts of a word, ignoring case and everything else. */
typedef struct letter_counts {
    unsigned char n[36];
} letter_counts;

static void count_letters(const char *w, size_t n, letter_counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        char x = lower(w[i]);
        if (x >= 'a' && x <= 'z')
            c->n[x - 'a']++;
        else if (x >= '0' && x <= '9')
            c->n[26 + x - '0']++;
    }
}

/*
 * A lower bound of ms_spdx_edit_distance(): an edit costing 2 changes the
 * letter and digit counts by at most 2, a cheap one ('-', '.') not at all,
 * so the distance is at least the sum of the count differences.  Ruling
 * most of the list out this way (with counts precomputed by the generator)
 * keeps a failed parse cheap.
 */
static int counts_within(const letter_counts *word, const unsigned char cand[36], unsigned limit)
{
    unsigned diff = 0;
    for (size_t i = 0; i < 36; i++) {
        diff += word->n[i] > cand[i] ? (unsigned)(word->n[i] - cand[i]) : (unsigned)(cand[i] - word->n[i]);
        if (diff > limit)
            return 0;
    }
    return 1;
}

/* The nearest license id (not one ending in '+': words never do), or NULL. */
static const char *nearest_license(const char *w, size_t n)
{
    if (n > EDIT_MAX)
        return NULL;
    unsigned limit = suggest_limit(n), best_d = limit + 1;
    letter_counts wc;
    count_letters(w, n, &wc);
    const ms_spdx_license_entry *best = NULL;
    for (size_t i = 0; i < ms_spdx_license_count; i++) {
        const ms_spdx_license_entry *e = &ms_spdx_licenses[i];
        if (!counts_within(&wc, ms_spdx_license_letters[i], best_d) || ends_with(e->id, "+"))
            continue;
        unsigned d = ms_spdx_edit_distance(w, n, e->lower, strlen(e->lower), best_d);
        if (d < best_d || (d == best_d && best != NULL && best->deprecated && !e->deprecated)) {
            best_d = d;
            best = e;
        }
    }
    return best != NULL ? best->id : NULL;
}

static const char *nearest_exception(const char *w, size_t n)
{
    if (n > EDIT_MAX)
        return NULL;
    unsigned limit = suggest_limit(n), best_d = limit + 1;
    letter_counts wc;
    count_letters(w, n, &wc);
    const ms_spdx_exception_entry *best = NULL;
    for (size_t i = 0; i < ms_spdx_exception_count; i++) {
        const ms_spdx_exception_entry *e = &ms_spdx_exceptions[i];
        if (!counts_within(&wc, ms_spdx_exception_letters[i], best_d))
            continue;
        unsigned d = ms_spdx_edit_distance(w, n, e->lower, strlen(e->lower), best_d);
        if (d < best_d || (d == best_d && best != NULL && best->deprecated && !e->deprecated)) {
            best_d = d;
            best = e;
        }
    }
    return best != NULL ? best->id : NULL;
}

/* ------------------------------------------------------------------ tokens */

typedef enum tok_kind { T_END, T_LPAREN, T_RPAREN, T_AND, T_OR, T_WITH, T_WORD } tok_kind;

typedef struct token {
    tok_kind kind;
    size_t pos; /* byte offset; the column is pos + 1 */
    size_t len; /* bytes of the token, without a '+' */
    int plus;   /* a word followed directly by '+' */
} token;

typedef struct parser {
    const char *s;
    size_t n;
    size_t pos; /* scanning position */
    token tok;  /* the current token */
    ms_spdx_expr *e;
    ms_error *err;
    ms_status status;
    int depth;
    int last_simple; /* the operand just parsed was a license without WITH */
} parser;

/* Words are quoted in messages up to this many bytes. */
#define QUOTE_MAX 64

static ms_status fail(parser *p, ms_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static ms_status fail(parser *p, ms_status st, const char *fmt, ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->status = st;
    return ms_fail(p->err, st, "%s", msg);
}

/* "'text'" of a word or keyword as written, cut at QUOTE_MAX bytes. */
static void quote_token(const parser *p, const token *t, char *out, size_t cap)
{
    switch (t->kind) {
    case T_END:
        snprintf(out, cap, "end of expression");
        return;
    case T_LPAREN:
        snprintf(out, cap, "'('");
        return;
    case T_RPAREN:
        snprintf(out, cap, "')'");
        return;
    default:
        break;
    }
    size_t n = t->len + (size_t)(t->plus != 0);
    if (n > QUOTE_MAX)
        snprintf(out, cap, "'%.*s...'", QUOTE_MAX, p->s + t->pos);
    else
        snprintf(out, cap, "'%.*s'", (int)n, p->s + t->pos);
}

/* "Apache2.0" quoted: the word without its '+', cut at QUOTE_MAX bytes. */
static int qlen(size_t n)
{
    return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

static const char *qdots(size_t n)
{
    return n > QUOTE_MAX ? "..." : "";
}

/* "expected WHAT at column C, found X" and an optional note. */
static ms_status expected_note(parser *p, const char *what, const char *note)
{
    char found[QUOTE_MAX + 16];
    quote_token(p, &p->tok, found, sizeof found);
    return fail(p, MS_E_FORMAT, "expected %s at column %zu, found %s%s", what, p->tok.pos + 1, found, note);
}

static ms_status expected(parser *p, const char *what)
{
    return expected_note(p, what, "");
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Scan the next token into p->tok. */
static ms_status advance(parser *p)
{
    const char *s = p->s;
    while (p->pos < p->n && is_space(s[p->pos]))
        p->pos++;
    token *t = &p->tok;
    t->pos = p->pos;
    t->len = 0;
    t->plus = 0;
    if (p->pos >= p->n) {
        t->kind = T_END;
        return MS_OK;
    }
    char c = s[p->pos];
    if (c == '(' || c == ')') {
        t->kind = c == '(' ? T_LPAREN : T_RPAREN;
        t->len = 1;
        p->pos++;
        return MS_OK;
    }
    if (c == '+')
        return fail(p, MS_E_FORMAT, "'+' at column %zu must directly follow a license id", p->pos + 1);
    if (!is_id_char(c) && c != ':') {
        unsigned char u = (unsigned char)c;
        if (u > 0x20 && u < 0x7f)
            return fail(p, MS_E_FORMAT,
                        "unexpected character '%c' at column %zu (ids are letters, digits, '.' and '-')",
                        c, p->pos + 1);
        return fail(p, MS_E_FORMAT, "unexpected byte 0x%02X at column %zu", u, p->pos + 1);
    }
    size_t start = p->pos;
    while (p->pos < p->n && (is_id_char(s[p->pos]) || s[p->pos] == ':'))
        p->pos++;
    t->kind = T_WORD;
    t->len = p->pos - start;
    if (p->pos < p->n && s[p->pos] == '+') {
        t->plus = 1;
        p->pos++;
    }
    const char *w = s + start;
    if (equal_ci(w, t->len, "and"))
        t->kind = T_AND;
    else if (equal_ci(w, t->len, "or"))
        t->kind = T_OR;
    else if (equal_ci(w, t->len, "with"))
        t->kind = T_WITH;
    if (t->kind != T_WORD && t->plus)
        return fail(p, MS_E_FORMAT, "'+' at column %zu must directly follow a license id",
                    start + t->len + 1);
    return MS_OK;
}

/* ------------------------------------------------------------------- nodes */

static ms_spdx_node *new_node(parser *p, ms_spdx_kind kind)
{
    ms_spdx_expr *e = p->e;
    if (e->blocks == NULL || e->blocks->used == NODE_BLOCK) {
        node_block *b = calloc(1, sizeof *b);
        if (b == NULL) {
            fail(p, MS_E_NOMEM, "out of memory parsing a license expression");
            return NULL;
        }
        b->next = e->blocks;
        e->blocks = b;
    }
    ms_spdx_node *n = &e->blocks->nodes[e->blocks->used++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    e->node_count++;
    return n;
}

/*
 * A copy of the word w[0..n) with its prefixes in canonical case; colon is
 * the offset of the ':' of a DocumentRef, 0 for a LicenseRef.
 */
static const char *store_ref(parser *p, const char *w, size_t n, size_t colon)
{
    ms_spdx_expr *e = p->e;
    if (e->refs_used + n + 1 > e->refs_cap) { /* cannot happen: see ms_spdx_parse */
        fail(p, MS_E_INTERNAL, "license reference storage exhausted");
        return NULL;
    }
    char *d = e->refs + e->refs_used;
    memcpy(d, w, n);
    d[n] = '\0';
    if (colon > 0) {
        memcpy(d, "DocumentRef-", 12);
        memcpy(d + colon + 1, "LicenseRef-", 11);
    } else {
        memcpy(d, "LicenseRef-", 11);
        /* A built-in model license is printed in the table's case. */
        const ms_spdx_ref_info *info = ms_spdx_ref_lookup(d);
        if (info != NULL)
            memcpy(d, info->id, n);
    }
    e->refs_used += n + 1;
    return d;
}

static void warn(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sb_str(&p->e->warnings, msg);
    sb_str(&p->e->warnings, "\n");
}

/* Length of a LicenseRef-/DocumentRef- idstring at w[0..n): id chars only, at least one. */
static size_t idstring_len(const char *w, size_t n)
{
    size_t i = 0;
    while (i < n && is_id_char(w[i]))
        i++;
    return i;
}

/*
 * A LicenseRef-/DocumentRef-...:LicenseRef- word (or any word holding ':'):
 * checks it and stores the canonical text in *id.  Returns 1 for a
 * reference, 0 for a plain word, -1 on error.
 */
static int parse_ref(parser *p, const token *t, const char **id)
{
    const char *w = p->s + t->pos;
    size_t n = t->len;
    size_t col = t->pos + 1;
    if (prefix_ci(w, n, "documentref-")) {
        size_t doc = idstring_len(w + 12, n - 12);
        if (doc == 0) {
            fail(p, MS_E_FORMAT, "expected letters, digits, '.' or '-' after 'DocumentRef-' at column %zu",
                 col + 12);
            return -1;
        }
        size_t rest = 12 + doc;
        if (rest >= n || w[rest] != ':') {
            fail(p, MS_E_FORMAT,
                 "expected ':LicenseRef-...' after '%.*s%s' at column %zu (DocumentRef-ID:LicenseRef-ID)",
                 qlen(rest), w, qdots(rest), col + rest);
            return -1;
        }
        if (!prefix_ci(w + rest + 1, n - rest - 1, "licenseref-")) {
            fail(p, MS_E_FORMAT, "expected 'LicenseRef-' after ':' at column %zu (DocumentRef-ID:LicenseRef-ID)",
                 col + rest + 1);
            return -1;
        }
        size_t lr = rest + 1 + 11;
        size_t id_len = idstring_len(w + lr, n - lr);
        if (id_len == 0) {
            fail(p, MS_E_FORMAT, "expected letters, digits, '.' or '-' after 'LicenseRef-' at column %zu",
                 col + lr);
            return -1;
        }
        if (lr + id_len < n) { /* a second ':' */
            fail(p, MS_E_FORMAT, "unexpected ':' at column %zu (DocumentRef-ID:LicenseRef-ID has one ':')",
                 col + lr + id_len);
            return -1;
        }
        *id = store_ref(p, w, n, rest);
        return *id != NULL ? 1 : -1;
    }
    if (prefix_ci(w, n, "licenseref-")) {
        size_t id_len = idstring_len(w + 11, n - 11);
        if (id_len == 0) {
            fail(p, MS_E_FORMAT, "expected letters, digits, '.' or '-' after 'LicenseRef-' at column %zu",
                 col + 11);
            return -1;
        }
        if (11 + id_len < n) {
            fail(p, MS_E_FORMAT,
                 "unexpected ':' at column %zu (only DocumentRef-ID:LicenseRef-ID contains ':')",
                 col + 11 + id_len);
            return -1;
        }
        *id = store_ref(p, w, n, 0);
        return *id != NULL ? 1 : -1;
    }
    const char *colon = memchr(w, ':', n);
    if (colon != NULL) {
        fail(p, MS_E_FORMAT, "unexpected ':' at column %zu (only DocumentRef-ID:LicenseRef-ID contains ':')",
             col + (size_t)(colon - w));
        return -1;
    }
    return 0;
}

/* The current token, a word, as a license leaf. */
static ms_spdx_node *parse_license(parser *p)
{
    const token t = p->tok;
    const char *w = p->s + t.pos;
    size_t n = t.len, col = t.pos + 1;
    const char *ref = NULL;
    int r = parse_ref(p, &t, &ref);
    if (r < 0)
        return NULL;
    if (r == 1) {
        if (t.plus) {
            fail(p, MS_E_FORMAT,
                 "'+' at column %zu cannot follow a LicenseRef (only license ids from the list take '+')",
                 col + n);
            return NULL;
        }
        ms_spdx_node *leaf = new_node(p, MS_SPDX_LICENSE);
        if (leaf != NULL) {
            leaf->id = ref;
            leaf->is_ref = 1;
        }
        return leaf;
    }
    const ms_spdx_license_entry *lic = ms_spdx_find_license(w, n);
    if (lic == NULL) {
        if (ms_spdx_find_exception(w, n) != NULL) {
            fail(p, MS_E_FORMAT,
                 "'%s' at column %zu is a license exception, expected a license id (an exception follows WITH)",
                 ms_spdx_find_exception(w, n)->id, col);
            return NULL;
        }
        if (equal_ci(w, n, "none") || equal_ci(w, n, "noassertion")) {
            fail(p, MS_E_FORMAT,
                 "'%.*s' at column %zu is not a license: NONE and NOASSERTION stand alone in SPDX documents, "
                 "not in expressions",
                 (int)n, w, col);
            return NULL;
        }
        const char *near = nearest_license(w, n);
        if (near != NULL)
            fail(p, MS_E_FORMAT, "unknown license '%.*s%s' at column %zu (did you mean '%s'?)", qlen(n), w,
                 qdots(n), col, near);
        else
            fail(p, MS_E_FORMAT, "unknown license '%.*s%s' at column %zu", qlen(n), w, qdots(n), col);
        return NULL;
    }
    ms_spdx_node *leaf = new_node(p, MS_SPDX_LICENSE);
    if (leaf == NULL)
        return NULL;
    leaf->id = lic->id;
    leaf->or_later = t.plus;
    /* "GPL-2.0+" is itself a (deprecated) entry of the list: warn about that one. */
    const ms_spdx_license_entry *plus_entry = NULL;
    if (t.plus && n < 255) {
        char tmp[256];
        memcpy(tmp, w, n);
        tmp[n] = '+';
        plus_entry = ms_spdx_find_license(tmp, n + 1);
    }
    if (plus_entry != NULL) {
        if (plus_entry->deprecated)
            warn(p, "license '%s' at column %zu is deprecated (SPDX license list %s)", plus_entry->id, col,
                 ms_spdx_version);
    } else if (lic->deprecated) {
        warn(p, "license '%s' at column %zu is deprecated (SPDX license list %s)", lic->id, col,
             ms_spdx_version);
    }
    if (t.plus && ends_with(lic->id, "-only"))
        warn(p, "license '%s+' at column %zu: '+' (or later) contradicts '-only'", lic->id, col);
    else if (t.plus && ends_with(lic->id, "-or-later"))
        warn(p, "license '%s+' at column %zu: '+' repeats '-or-later'", lic->id, col);
    return leaf;
}

/* After WITH: the current token must be an exception id. */
static const char *parse_exception(parser *p)
{
    const token t = p->tok;
    if (t.kind != T_WORD) {
        expected(p, "an exception id after WITH");
        return NULL;
    }
    const char *w = p->s + t.pos;
    size_t n = t.len, col = t.pos + 1;
    if (prefix_ci(w, n, "licenseref-") || prefix_ci(w, n, "documentref-") || prefix_ci(w, n, "additionref-") ||
        memchr(w, ':', n) != NULL) {
        fail(p, MS_E_FORMAT, "expected an exception id from the SPDX list at column %zu, found '%.*s%s'", col,
             qlen(n), w, qdots(n));
        return NULL;
    }
    const ms_spdx_exception_entry *x = ms_spdx_find_exception(w, n);
    if (x == NULL) {
        const ms_spdx_license_entry *lic = ms_spdx_find_license(w, n);
        if (lic != NULL) {
            fail(p, MS_E_FORMAT, "'%s' at column %zu is a license, expected an exception id after WITH", lic->id,
                 col);
            return NULL;
        }
        const char *near = nearest_exception(w, n);
        if (near != NULL)
            fail(p, MS_E_FORMAT, "unknown exception '%.*s%s' at column %zu (did you mean '%s'?)", qlen(n), w,
                 qdots(n), col, near);
        else
            fail(p, MS_E_FORMAT, "unknown exception '%.*s%s' at column %zu", qlen(n), w, qdots(n), col);
        return NULL;
    }
    if (t.plus) {
        fail(p, MS_E_FORMAT, "'+' at column %zu cannot follow an exception id", col + n);
        return NULL;
    }
    if (x->deprecated)
        warn(p, "exception '%s' at column %zu is deprecated (SPDX license list %s)", x->id, col,
             ms_spdx_version);
    return x->id;
}

static ms_spdx_node *parse_or(parser *p);

/* term := "(" or-expr ")" | license ["WITH" exception] */
static ms_spdx_node *parse_term(parser *p)
{
    if (p->tok.kind == T_LPAREN) {
        size_t open_col = p->tok.pos + 1;
        if (p->depth >= MS_SPDX_MAX_DEPTH) {
            fail(p, MS_E_LIMIT, "parentheses nested deeper than %d at column %zu", MS_SPDX_MAX_DEPTH, open_col);
            return NULL;
        }
        p->depth++;
        if (advance(p) != MS_OK)
            return NULL;
        ms_spdx_node *inner = parse_or(p);
        if (inner == NULL)
            return NULL;
        if (p->tok.kind != T_RPAREN) {
            char note[64];
            snprintf(note, sizeof note, " (the '(' at column %zu is not closed)", open_col);
            expected_note(p, p->last_simple ? "WITH, AND, OR or ')'" : "AND, OR or ')'", note);
            return NULL;
        }
        p->depth--;
        if (advance(p) != MS_OK)
            return NULL;
        if (p->tok.kind == T_WITH) {
            fail(p, MS_E_FORMAT, "WITH at column %zu must follow a license id, not a parenthesized expression",
                 p->tok.pos + 1);
            return NULL;
        }
        p->last_simple = 0;
        return inner;
    }
    if (p->tok.kind != T_WORD) {
        if (p->tok.kind == T_END && p->e->node_count == 0 && p->depth == 0)
            fail(p, MS_E_FORMAT, "empty license expression");
        else
            expected(p, "a license id or '('");
        return NULL;
    }
    ms_spdx_node *leaf = parse_license(p);
    if (leaf == NULL || advance(p) != MS_OK)
        return NULL;
    if (p->tok.kind != T_WITH) {
        p->last_simple = 1;
        return leaf;
    }
    if (advance(p) != MS_OK)
        return NULL;
    const char *exc = parse_exception(p);
    if (exc == NULL)
        return NULL;
    ms_spdx_node *with = new_node(p, MS_SPDX_WITH);
    if (with == NULL)
        return NULL;
    with->left = leaf;
    with->exception = exc;
    p->last_simple = 0;
    if (advance(p) != MS_OK)
        return NULL;
    return with;
}

/* and-expr := term ("AND" term)*, left-associative, built in a loop. */
static ms_spdx_node *parse_and(parser *p)
{
    ms_spdx_node *left = parse_term(p);
    while (left != NULL && p->tok.kind == T_AND) {
        if (advance(p) != MS_OK)
            return NULL;
        ms_spdx_node *right = parse_term(p);
        if (right == NULL)
            return NULL;
        ms_spdx_node *n = new_node(p, MS_SPDX_AND);
        if (n == NULL)
            return NULL;
        n->left = left;
        n->right = right;
        left = n;
    }
    return left;
}

/* or-expr := and-expr ("OR" and-expr)* */
static ms_spdx_node *parse_or(parser *p)
{
    ms_spdx_node *left = parse_and(p);
    while (left != NULL && p->tok.kind == T_OR) {
        if (advance(p) != MS_OK)
            return NULL;
        ms_spdx_node *right = parse_and(p);
        if (right == NULL)
            return NULL;
        ms_spdx_node *n = new_node(p, MS_SPDX_OR);
        if (n == NULL)
            return NULL;
        n->left = left;
        n->right = right;
        left = n;
    }
    return left;
}

/* ---------------------------------------------------------------- printing */

static int precedence(ms_spdx_kind k)
{
    switch (k) {
    case MS_SPDX_OR: return 1;
    case MS_SPDX_AND: return 2;
    default: return 3;
    }
}

static void print_leaf(strbuf *b, const ms_spdx_node *n)
{
    sb_str(b, n->id);
    if (n->or_later)
        sb_add(b, "+", 1);
}

typedef struct frame {
    const ms_spdx_node *node;
    int parens;
    int state; /* 0: not started, 1: left printed */
} frame;

/*
 * Canonical text with an explicit stack (the tree of a long AND/OR chain is
 * as deep as the chain is long).  A child is parenthesized only when it
 * binds less tightly than its parent: AND and OR are associative, so a
 * same-operator child needs none.
 */
static int print_canonical(const ms_spdx_expr *e, strbuf *b)
{
    frame *stack = malloc((e->node_count + 1) * sizeof *stack);
    if (stack == NULL)
        return 0;
    size_t top = 0;
    stack[top++] = (frame){e->root, 0, 0};
    while (top > 0 && !b->failed) {
        frame *f = &stack[top - 1];
        const ms_spdx_node *n = f->node;
        if (n->kind == MS_SPDX_LICENSE || n->kind == MS_SPDX_WITH) {
            if (n->kind == MS_SPDX_LICENSE) {
                print_leaf(b, n);
            } else {
                print_leaf(b, n->left);
                sb_str(b, " WITH ");
                sb_str(b, n->exception);
            }
            top--;
            continue;
        }
        if (f->state == 0) {
            if (f->parens)
                sb_add(b, "(", 1);
            f->state = 1;
            stack[top++] = (frame){n->left, precedence(n->left->kind) < precedence(n->kind), 0};
        } else if (f->state == 1) {
            sb_str(b, n->kind == MS_SPDX_AND ? " AND " : " OR ");
            f->state = 2;
            stack[top++] = (frame){n->right, precedence(n->right->kind) < precedence(n->kind), 0};
        } else {
            if (f->parens)
                sb_add(b, ")", 1);
            top--;
        }
    }
    free(stack);
    return !b->failed;
}

/* ------------------------------------------------------------------- API */

void ms_spdx_free(ms_spdx_expr *e)
{
    if (e == NULL)
        return;
    node_block *b = e->blocks;
    while (b != NULL) {
        node_block *next = b->next;
        free(b);
        b = next;
    }
    free(e->refs);
    free(e->canonical);
    free(e->warnings.data);
    free(e);
}

ms_status ms_spdx_parse(const char *text, ms_spdx_expr **out, ms_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (text == NULL || out == NULL)
        return ms_fail(err, MS_E_USAGE, "no license expression given");
    size_t n = strnlen(text, MS_SPDX_MAX_LEN + 1);
    if (n > MS_SPDX_MAX_LEN)
        return ms_fail(err, MS_E_LIMIT, "license expression longer than %d bytes", MS_SPDX_MAX_LEN);
    ms_spdx_expr *e = calloc(1, sizeof *e);
    if (e == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory parsing a license expression");
    /*
     * Every reference is a word of the text plus a NUL, and k words need
     * k - 1 separating bytes, so n + 1 bytes hold them all.
     */
    e->refs_cap = n + 1;
    e->refs = malloc(e->refs_cap);
    if (e->refs == NULL) {
        ms_spdx_free(e);
        return ms_fail(err, MS_E_NOMEM, "out of memory parsing a license expression");
    }
    parser p = {.s = text, .n = n, .e = e, .err = err, .status = MS_OK};
    ms_spdx_node *root = NULL;
    if (advance(&p) == MS_OK && (root = parse_or(&p)) != NULL && p.tok.kind != T_END) {
        if (p.tok.kind == T_RPAREN)
            fail(&p, MS_E_FORMAT, "unmatched ')' at column %zu", p.tok.pos + 1);
        else
            expected(&p, p.last_simple ? "WITH, AND, OR or end of expression"
                                       : "AND, OR or end of expression");
        root = NULL;
    }
    if (root == NULL) {
        ms_status st = p.status != MS_OK ? p.status : MS_E_INTERNAL;
        if (p.status == MS_OK)
            ms_fail(err, st, "license expression parser stopped without a reason");
        ms_spdx_free(e);
        return st;
    }
    e->root = root;
    strbuf canon = {0};
    if (!print_canonical(e, &canon) || e->warnings.failed) {
        free(canon.data);
        ms_spdx_free(e);
        return ms_fail(err, MS_E_NOMEM, "out of memory printing a license expression");
    }
    if (canon.len > MS_SPDX_MAX_LEN) {
        free(canon.data);
        ms_spdx_free(e);
        return ms_fail(err, MS_E_LIMIT, "the canonical form of this license expression is longer than %d bytes",
                       MS_SPDX_MAX_LEN);
    }
    e->canonical = canon.data;
    *out = e;
    ms_error_clear(err);
    return MS_OK;
}

const ms_spdx_node *ms_spdx_root(const ms_spdx_expr *e)
{
    return e != NULL ? e->root : NULL;
}

const char *ms_spdx_canonical(const ms_spdx_expr *e)
{
    return e != NULL ? e->canonical : NULL;
}

const char *ms_spdx_warnings(const ms_spdx_expr *e)
{
    return e != NULL && e->warnings.data != NULL ? e->warnings.data : "";
}
