/*
 * libFuzzer target for compression recipes (compress/recipe.c,
 * docs/compression.md): ms_recipe_parse(), ms_recipe_to_json(),
 * ms_recipe_choose(), ms_recipe_check_unused(), ms_recipe_glob_match() and
 * ms_prune_parse()/ms_prune_format().  Invariants:
 *   - parsing gives MS_OK or MS_E_FORMAT, MS_E_USAGE, MS_E_UNSUPPORTED,
 *     MS_E_LIMIT, with a sanitized message;
 *   - an accepted recipe prints as canonical JSON that parses again and
 *     prints to the same bytes, and both recipes choose the same scheme,
 *     pruning and rule for every test name;
 *   - the rule ms_recipe_choose() picks is the first whose glob matches by an
 *     independent reading of the glob syntax (below); without one, 2-D
 *     tensors that are not norms or biases get the default, the rest "none";
 *     ms_recipe_check_unused() fails exactly when a rule was never chosen;
 *   - the input, split at its first NUL byte (else in the middle) into a glob
 *     and a name: a one-rule recipe with that glob is accepted exactly when
 *     the glob is 1 to 1024 bytes of UTF-8 and well-formed by the
 *     reference, and then matches the name exactly when the reference does;
 *   - a prune text parses exactly when it is in the documented grammar, to
 *     its value, and formats to a text that parses to the same
 *     specification and formats to itself;
 *   - replaying the checked-in corpus, a seed named valid-* parses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compress/recipe.h"
#include "core/json.h"
#include "fuzz_common.h"

/* ---- a reference reading of the glob syntax ------------------------------ */

#define REF_MAX 1100

/* Strict UTF-8 (RFC 3629); a byte that starts no valid sequence is 0x110000 + byte. */
static size_t ref_decode(const unsigned char *s, uint32_t *out, size_t max)
{
    size_t n = 0;
    while (*s != '\0' && n < max) {
        unsigned c = s[0];
        size_t len = 0;
        uint32_t cp = 0, min = 0;
        if (c < 0x80) {
            len = 1;
            cp = c;
        } else if (c >= 0xc0 && c < 0xe0) {
            len = 2;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c < 0xf0) {
            len = 3;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c < 0xf8) {
            len = 4;
            cp = c & 0x07;
            min = 0x10000;
        }
        size_t i = 1;
        for (; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                break;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (len == 0 || i < len || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            out[n++] = 0x110000u + c;
            s++;
        } else {
            out[n++] = cp;
            s += len;
        }
    }
    return n;
}

enum { TOK_LIT, TOK_ANY, TOK_STAR, TOK_CLASS };

typedef struct ref_tok {
    int kind;
    uint32_t lit;
    int neg;
    size_t nranges;
    uint32_t lo[REF_MAX], hi[REF_MAX];
} ref_tok;

static ref_tok g_toks[REF_MAX];

/* Tokens of a glob; -1 when malformed (a '[' without ']', a reversed range). */
static long ref_compile(const uint32_t *g, size_t n)
{
    size_t nt = 0;
    for (size_t i = 0; i < n;) {
        ref_tok *t = &g_toks[nt++];
        t->nranges = 0;
        if (g[i] == '*') {
            t->kind = TOK_STAR;
            i++;
        } else if (g[i] == '?') {
            t->kind = TOK_ANY;
            i++;
        } else if (g[i] == '[') {
            size_t j = i + 1;
            t->kind = TOK_CLASS;
            t->neg = 0;
            if (j < n && (g[j] == '!' || g[j] == '^')) {
                t->neg = 1;
                j++;
            }
            int first = 1, bad = 0;
            for (;;) {
                if (j >= n)
                    return -1;
                if (g[j] == ']' && !first)
                    break;
                first = 0;
                uint32_t lo = g[j], hi = lo;
                j++;
                /* "x-y" is a range unless the '-' is last ("x-]") */
                if (j + 1 < n && g[j] == '-' && g[j + 1] != ']') {
                    hi = g[j + 1];
                    j += 2;
                    if (hi < lo)
                        bad = 1;
                }
                t->lo[t->nranges] = lo;
                t->hi[t->nranges++] = hi;
            }
            if (bad)
                return -1;
            i = j + 1;
        } else {
            t->kind = TOK_LIT;
            t->lit = g[i++];
        }
    }
    return (long)nt;
}

static int tok_hits(const ref_tok *t, uint32_t c)
{
    if (t->kind == TOK_ANY)
        return 1;
    if (t->kind == TOK_LIT)
        return t->lit == c;
    int in = 0;
    for (size_t r = 0; r < t->nranges; r++)
        if (t->lo[r] <= c && c <= t->hi[r])
            in = 1;
    return in != t->neg;
}

/* Dynamic programming over (token, character): no backtracking shortcuts. */
static int ref_match(size_t nt, const uint32_t *s, size_t ns)
{
    static unsigned char row[REF_MAX + 1], next[REF_MAX + 1];
    /* row[j]: the first i tokens match the first j characters */
    memset(row, 0, ns + 1);
    row[0] = 1;
    for (size_t i = 0; i < nt; i++) {
        const ref_tok *t = &g_toks[i];
        memset(next, 0, ns + 1);
        for (size_t j = 0; j <= ns; j++) {
            if (t->kind == TOK_STAR)
                next[j] = row[j] || (j > 0 && next[j - 1]);
            else
                next[j] = j > 0 && row[j - 1] && tok_hits(t, s[j - 1]);
        }
        memcpy(row, next, ns + 1);
    }
    return row[ns];
}

/* 1 match, 0 no match, -1 malformed glob. */
static int ref_glob(const char *glob, const char *name)
{
    static uint32_t g[REF_MAX], s[REF_MAX];
    size_t ng = ref_decode((const unsigned char *)glob, g, REF_MAX);
    size_t ns = ref_decode((const unsigned char *)name, s, REF_MAX);
    if (ng >= REF_MAX || ns >= REF_MAX)
        abort(); /* callers bound both */
    long nt = ref_compile(g, ng);
    return nt < 0 ? -1 : ref_match((size_t)nt, s, ns);
}

static int utf8_ok(const char *s)
{
    static uint32_t cps[REF_MAX * 4];
    size_t n = ref_decode((const unsigned char *)s, cps, sizeof cps / sizeof cps[0]);
    for (size_t i = 0; i < n; i++)
        if (cps[i] >= 0x110000u)
            return 0;
    return 1;
}

/* ---- checks --------------------------------------------------------------- */

static int refusal(ms_status st)
{
    return st == MS_E_FORMAT || st == MS_E_USAGE || st == MS_E_UNSUPPORTED || st == MS_E_LIMIT;
}

/*
 * The prune grammar of docs/compression.md: none, 2:4, or magnitude:S with
 * S one of 0, 1, 0.D to 0.DDDDDD, 1.0 to 1.000000.  Returns -1 when the text
 * is not in it, else the fraction in millionths.
 */
static long ref_prune(const char *t, int *kind)
{
    *kind = MS_PRUNE_NONE;
    if (strcmp(t, "none") == 0)
        return 0;
    *kind = MS_PRUNE_2_4;
    if (strcmp(t, "2:4") == 0)
        return 0;
    *kind = MS_PRUNE_MAGNITUDE;
    if (strncmp(t, "magnitude:", 10) != 0)
        return -1;
    t += 10;
    if (t[0] != '0' && t[0] != '1')
        return -1;
    long units = t[0] - '0', frac = 0, scale = 100000;
    t++;
    if (*t == '.') {
        size_t digits = strspn(t + 1, "0123456789");
        if (digits < 1 || digits > 6 || t[1 + digits] != '\0')
            return -1;
        for (size_t i = 0; i < digits; i++, scale /= 10)
            frac += (t[1 + i] - '0') * scale;
    } else if (*t != '\0') {
        return -1;
    }
    long m = units * 1000000 + frac;
    return m <= 1000000 ? m : -1;
}

static void check_prune_text(const char *text)
{
    ms_error err;
    ms_error_clear(&err);
    ms_prune_spec p, q;
    ms_status st = ms_prune_parse(text, &p, &err);
    fuzz_check_error(st, &err);
    int kind;
    long want = ref_prune(text, &kind);
    if ((st == MS_OK) != (want >= 0))
        abort();
    if (st != MS_OK) {
        if (st != MS_E_USAGE)
            abort();
        return;
    }
    if ((int)p.kind != kind || (kind == MS_PRUNE_MAGNITUDE && p.fraction != (double)want / 1e6))
        abort();
    if (p.kind == MS_PRUNE_MAGNITUDE && !(p.fraction >= 0.0 && p.fraction <= 1.0))
        abort();
    char a[32], b[32];
    ms_prune_format(&p, a);
    if (ms_prune_parse(a, &q, &err) != MS_OK || q.kind != p.kind || q.fraction != p.fraction)
        abort();
    ms_prune_format(&q, b);
    if (strcmp(a, b) != 0)
        abort();
}

static const char *const fixed_names[] = {
    "model.layers.0.self_attn.q_proj.weight", "model.layers.11.mlp.down_proj.weight",
    "model.norm.weight", "lm_head.weight", "transformer.h.0.ln_1.bias", "embed_tokens.weight",
    "", "a", "[", "*", "\xc3\xa9", "\xff\xfe",
};

/* Test names for the rules' globs: each glob literally, and with wildcards filled in. */
static char **test_names(const cJSON *rules, size_t *count)
{
    size_t nfixed = sizeof fixed_names / sizeof fixed_names[0];
    size_t nrules = (size_t)cJSON_GetArraySize(rules);
    size_t cap = nfixed + 3 * (nrules < 64 ? nrules : 64);
    char **names = calloc(cap, sizeof *names);
    if (names == NULL)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < nfixed; i++)
        names[n++] = strdup(fixed_names[i]);
    const cJSON *rule;
    size_t r = 0;
    cJSON_ArrayForEach(rule, rules)
    {
        if (r++ >= 64)
            break;
        const char *g = cJSON_GetObjectItemCaseSensitive(rule, "match")->valuestring;
        size_t len = strlen(g);
        char *a = malloc(len + 1), *b = malloc(len + 1);
        if (a == NULL || b == NULL)
            abort();
        size_t na = 0, nb = 0;
        for (size_t k = 0; k < len; k++) {
            if (g[k] == '*')
                continue;
            a[na++] = g[k] == '?' ? 'x' : g[k];
            b[nb++] = g[k] == '?' || g[k] == '*' ? '.' : g[k];
        }
        a[na] = b[nb] = '\0';
        names[n++] = strdup(g);
        names[n++] = a;
        names[n++] = b;
    }
    for (size_t i = 0; i < n; i++)
        if (names[i] == NULL)
            abort();
    *count = n;
    return names;
}

static void check_choices(ms_recipe *r, ms_recipe *again, const cJSON *doc)
{
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "rules");
    const char *def = cJSON_GetObjectItemCaseSensitive(doc, "default")->valuestring;
    size_t nrules = (size_t)cJSON_GetArraySize(rules);
    const char **globs = calloc(nrules + 1, sizeof *globs);
    uint8_t *used = calloc(nrules + 1, 1);
    if (globs == NULL || used == NULL)
        abort();
    const cJSON *rule;
    size_t i = 0;
    cJSON_ArrayForEach(rule, rules)
    {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(rule, "match");
        if (!cJSON_IsString(m) || m->valuestring[0] == '\0' ||
            strlen(m->valuestring) > MS_RECIPE_MAX_GLOB || !utf8_ok(m->valuestring))
            abort();
        globs[i++] = m->valuestring;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(rule, "prune");
        if (p != NULL)
            check_prune_text(p->valuestring);
    }
    size_t nnames;
    char **names = test_names(rules, &nnames);
    for (size_t k = 0; k < nnames; k++) {
        for (size_t ndim = 1; ndim <= 2; ndim++) {
            ms_recipe_choice c1, c2;
            ms_recipe_choose(r, names[k], ndim, &c1);
            ms_recipe_choose(again, names[k], ndim, &c2);
            if (c1.rule != c2.rule || c1.scheme != c2.scheme || c1.prune.kind != c2.prune.kind ||
                c1.prune.fraction != c2.prune.fraction)
                abort();
            int want = -1;
            for (size_t g = 0; g < nrules && want < 0; g++) {
                int m = ref_glob(globs[g], names[k]);
                if (m < 0)
                    abort(); /* an accepted glob the reference calls malformed */
                if (m)
                    want = (int)g;
            }
            if (c1.rule != want)
                abort();
            if (want >= 0) {
                used[want] = 1;
            } else if (ndim == 1 || ms_recipe_is_norm_or_bias(names[k])) {
                if (c1.scheme != MS_SCHEME_NONE || c1.prune.kind != MS_PRUNE_NONE)
                    abort();
            } else if (strcmp(ms_scheme_name(c1.scheme), def) != 0) {
                abort();
            }
            if ((int)c1.scheme < 0 || c1.scheme >= MS_SCHEME_COUNT)
                abort();
        }
    }
    size_t unused = 0;
    for (size_t g = 0; g < nrules; g++)
        unused += !used[g];
    ms_error err;
    ms_error_clear(&err);
    ms_status st = ms_recipe_check_unused(r, &err);
    fuzz_check_error(st, &err);
    if ((st == MS_OK) != (unused == 0) || (st != MS_OK && st != MS_E_USAGE))
        abort();
    for (size_t k = 0; k < nnames; k++)
        free(names[k]);
    free(names);
    free(globs);
    free(used);
}

/* Checks every prune text of the input document; 0 when one is outside the grammar. */
static int input_prunes_ok(const uint8_t *data, size_t size)
{
    cJSON *doc = NULL;
    ms_error err;
    ms_error_clear(&err);
    if (ms_json_parse((const char *)data, size, "input", &doc, &err) != MS_OK)
        return 1;
    int ok = 1, kind;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "prune"), *rule;
    if (cJSON_IsString(p)) {
        check_prune_text(p->valuestring);
        ok &= ref_prune(p->valuestring, &kind) >= 0;
    }
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(doc, "rules"))
    {
        p = cJSON_GetObjectItemCaseSensitive(rule, "prune");
        if (cJSON_IsString(p)) {
            check_prune_text(p->valuestring);
            ok &= ref_prune(p->valuestring, &kind) >= 0;
        }
    }
    cJSON_Delete(doc);
    return ok;
}

static void check_recipe(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_error_clear(&err);
    ms_recipe *r = NULL;
    int prunes_ok = input_prunes_ok(data, size);
    ms_status st = ms_recipe_parse((const char *)data, size, "recipe.json", &r, &err);
    fuzz_check_error(st, &err);
    if (st == MS_OK && !prunes_ok)
        abort();
    if (st != MS_OK) {
        if (!refusal(st) || r != NULL || fuzz_input_is_valid_seed())
            abort();
        return;
    }
    char *text = ms_recipe_to_json(r);
    if (text == NULL)
        abort();
    ms_recipe *again = NULL;
    if (ms_recipe_parse(text, strlen(text), "canonical", &again, &err) != MS_OK)
        abort();
    char *text2 = ms_recipe_to_json(again);
    if (text2 == NULL || strcmp(text, text2) != 0)
        abort();
    cJSON *doc = NULL;
    if (ms_json_parse(text, strlen(text), "canonical", &doc, &err) != MS_OK)
        abort();
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "prune");
    if (p != NULL)
        check_prune_text(p->valuestring);
    check_choices(r, again, doc);
    cJSON_Delete(doc);
    free(text);
    free(text2);
    ms_recipe_free(r);
    ms_recipe_free(again);
}

/* The input as a glob and a name, through a one-rule recipe. */
static void check_glob_pair(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t glen = nul != NULL ? (size_t)(nul - data) : size / 2;
    const uint8_t *rest = nul != NULL ? nul + 1 : data + glen;
    size_t nlen = size - (size_t)(rest - data);
    if (glen > MS_RECIPE_MAX_GLOB + 8 || nlen > 256)
        return;
    char *glob = fuzz_cstr(data, glen), *name = fuzz_cstr(rest, nlen);
    if (strlen(glob) != glen) {
        free(glob);
        free(name);
        return; /* a NUL inside the glob: the string would be cut */
    }
    cJSON *doc = cJSON_CreateObject(), *rules, *rule;
    if (doc == NULL || ms_json_add_u64(doc, "recipeVersion", 1) == NULL ||
        (rules = cJSON_AddArrayToObject(doc, "rules")) == NULL ||
        (rule = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(rules, rule) ||
        cJSON_AddStringToObject(rule, "match", glob) == NULL ||
        cJSON_AddStringToObject(rule, "scheme", "q8_0") == NULL)
        abort();
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (text == NULL)
        abort();
    ms_error err;
    ms_error_clear(&err);
    ms_recipe *r = NULL;
    ms_status st = ms_recipe_parse(text, strlen(text), "glob", &r, &err);
    fuzz_check_error(st, &err);
    int ok_len = glen >= 1 && glen <= MS_RECIPE_MAX_GLOB;
    int want_ok = ok_len && utf8_ok(glob) && ref_glob(glob, "") >= 0;
    if ((st == MS_OK) != want_ok)
        abort();
    /* ill-formed UTF-8 is refused already by the JSON parser */
    ms_status want_st = !utf8_ok(glob) ? MS_E_FORMAT
                        : glen > MS_RECIPE_MAX_GLOB ? MS_E_LIMIT
                                                    : MS_E_USAGE;
    if (st != MS_OK && st != want_st)
        abort();
    if (st == MS_OK) {
        ms_recipe_choice c;
        ms_recipe_choose(r, name, 2, &c);
        int m = ref_glob(glob, name);
        if ((c.rule == 0) != (m == 1) || ms_recipe_glob_match(glob, name) != m)
            abort();
        ms_error_clear(&err);
        if ((ms_recipe_check_unused(r, &err) == MS_OK) != (m == 1))
            abort();
    }
    ms_recipe_free(r);
    free(text);
    free(glob);
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_recipe(data, size);
    check_glob_pair(data, size);
    if (size <= 64) {
        char *s = fuzz_cstr(data, size);
        check_prune_text(s);
        free(s);
    }
    return 0;
}
