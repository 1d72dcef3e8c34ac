/*
 * Compression recipes (compress/recipe.h, schemas/recipe-v1.schema.json).
 *
 * Document: {"recipeVersion": 1, "default": SCHEME, "prune": PRUNE,
 *            "rules": [{"match": GLOB, "scheme": SCHEME, "prune": PRUNE}]}
 *   recipeVersion  required, the integer 1.
 *   default        optional, "none" when absent: the scheme of tensors no rule
 *                  matches that are 2-D and not a norm or a bias.
 *   prune          optional, "none" when absent: the pruning of those same
 *                  tensors (and of no other).
 *   rules          optional, empty when absent; at most MS_RECIPE_MAX_RULES.
 *     match        required, a glob of 1 to MS_RECIPE_MAX_GLOB bytes.
 *     scheme       required.
 *     prune        optional, "none" when absent: a rule does not inherit the
 *                  top-level prune, it says everything its tensors get.
 * Every other field is refused, naming it and the nearest known field.
 *
 * Status codes: malformed JSON (syntax, duplicate keys, ...) is MS_E_FORMAT
 * from ms_json_parse(); a recipeVersion other than 1 is MS_E_UNSUPPORTED;
 * exceeding a limit is MS_E_LIMIT; everything else (unknown field, wrong
 * type, unknown scheme, bad prune text, bad glob, rule matching nothing) is
 * MS_E_USAGE.  Rules are numbered from 0 in messages, as in JSON and in
 * ms_recipe_choice.rule.
 *
 * Globs, matched against the whole tensor name, by Unicode code point (bytes
 * that are not UTF-8 are single characters of their own):
 *   '*'      any run of characters, '.' included, possibly empty;
 *   '?'      exactly one character;
 *   '[...]'  one character of a class: single characters and ranges a-z;
 *            '[!...]' or '[^...]' negates; a ']' first in the class (after
 *            the negation) is literal, so is a '-' first or last;
 *   others   match themselves.  There is no escape character: '\' is an
 *            ordinary character; a literal '*', '?' or '[' is written [*],
 *            [?], [[].
 * A '[' without its ']' or a reversed range ([z-a]) is refused when the
 * recipe is parsed.  Matching is iterative (one backtrack point for the last
 * '*'), O(len(glob) * len(name)) at worst, no recursion, no fnmatch(3).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/recipe.h"
#include "core/error_internal.h"
#include "core/json.h"
#include "core/text.h"

typedef struct ms_recipe_rule {
    char *match;
    ms_scheme scheme;
    ms_prune_spec prune;
    uint64_t hits; /* tensors this rule was chosen for */
} ms_recipe_rule;

struct ms_recipe {
    char *what;
    ms_scheme def;
    ms_prune_spec prune;
    size_t nrules;
    ms_recipe_rule *rules;
};

static const char *const top_fields[] = {"recipeVersion", "default", "prune", "rules"};
static const char *const rule_fields[] = {"match", "scheme", "prune"};
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small text helpers ---------------------------------------------------------------- */

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* A glob or a value for a message: at most ~60 bytes, cut on a UTF-8 boundary. */
static const char *short_text(const char *s, char buf[80])
{
    size_t n = strlen(s);
    if (n <= 64)
        return s;
    size_t cut = 60;
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    memcpy(buf, s, cut);
    memcpy(buf + cut, "...", 4);
    return buf;
}

static int contains_ci(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && ascii_lower(hay[i + k]) == needle[k])
            k++;
        if (k == m)
            return 1;
    }
    return 0;
}

/* Refuse fields outside `known`; ctx is "recipe.json" or "recipe.json: rule 2 ('*')". */
static ms_status check_fields(const cJSON *obj, const char *const *known, size_t n,
                              const char *ctx, ms_error *err)
{
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        int ok = 0;
        for (size_t i = 0; i < n && !ok; i++)
            ok = strcmp(c->string, known[i]) == 0;
        if (ok)
            continue;
        char sb[80];
        const char *shown = short_text(c->string, sb);
        const char *near = ms_nearest_name(c->string, known, n);
        if (near != NULL)
            return ms_fail(err, MS_E_USAGE, "%s: unknown field '%s' (did you mean '%s'?)", ctx,
                           shown, near);
        char list[128] = "";
        for (size_t i = 0; i < n; i++) {
            strcat(list, known[i]);
            if (i + 1 < n)
                strcat(list, ", ");
        }
        return ms_fail(err, MS_E_USAGE, "%s: unknown field '%s' (known fields: %s)", ctx, shown,
                       list);
    }
    return MS_OK;
}

static void scheme_list(char buf[160])
{
    buf[0] = '\0';
    for (int s = 0; s < MS_SCHEME_COUNT; s++) {
        strcat(buf, ms_scheme_name((ms_scheme)s));
        if (s + 1 < MS_SCHEME_COUNT)
            strcat(buf, ", ");
    }
}

/* A scheme field: a string naming a known scheme. */
static ms_status get_scheme(const cJSON *item, const char *field, const char *ctx,
                            ms_scheme *out, ms_error *err)
{
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: %s must be a string naming a scheme", ctx, field);
    if (ms_scheme_parse(item->valuestring, out) != 0) {
        char list[160], sb[80];
        scheme_list(list);
        return ms_fail(err, MS_E_USAGE, "%s: %s: unknown scheme '%s' (available: %s)", ctx, field,
                       short_text(item->valuestring, sb), list);
    }
    return MS_OK;
}

static ms_status get_prune(const cJSON *item, const char *ctx, ms_prune_spec *out,
                           ms_error *err)
{
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: prune must be a string", ctx);
    ms_status st = ms_prune_parse(item->valuestring, out, err);
    if (st != MS_OK)
        return ms_fail_prefix(err, "%s: prune", ctx);
    return MS_OK;
}

/* ---- prune specs -------------------------------------------------------------------------- */

#define PRUNE_EXPECTED "expected none, 2:4, or magnitude:S with 0 <= S <= 1 and at most 6 decimals"

ms_status ms_prune_parse(const char *text, ms_prune_spec *out, ms_error *err)
{
    if (text == NULL)
        return ms_fail(err, MS_E_USAGE, "missing prune specification (" PRUNE_EXPECTED ")");
    ms_prune_spec p = {MS_PRUNE_NONE, 0.0};
    if (strcmp(text, "none") == 0) {
        *out = p;
        return MS_OK;
    }
    if (strcmp(text, "2:4") == 0) {
        p.kind = MS_PRUNE_2_4;
        *out = p;
        return MS_OK;
    }
    static const char prefix[] = "magnitude:";
    if (strncmp(text, prefix, sizeof prefix - 1) == 0) {
        /* (0|1)(.D{1,6})?, value <= 1, kept in millionths */
        const char *s = text + sizeof prefix - 1;
        uint32_t m = 0;
        int ok = s[0] == '0' || s[0] == '1';
        if (ok) {
            uint32_t units = (uint32_t)(s[0] - '0');
            s++;
            uint32_t frac = 0, scale = 100000;
            if (*s == '.') {
                s++;
                int digits = 0;
                while (*s >= '0' && *s <= '9' && digits < 7) {
                    frac += (uint32_t)(*s - '0') * scale;
                    scale /= 10;
                    digits++;
                    s++;
                }
                ok = digits >= 1 && digits <= 6;
            }
            m = units * 1000000u + frac;
            ok = ok && *s == '\0' && m <= 1000000u;
        }
        if (ok) {
            p.kind = MS_PRUNE_MAGNITUDE;
            p.fraction = (double)m / 1e6;
            *out = p;
            return MS_OK;
        }
    }
    char sb[80];
    return ms_fail(err, MS_E_USAGE, "invalid prune '%s' (" PRUNE_EXPECTED ")",
                   short_text(text, sb));
}

void ms_prune_format(const ms_prune_spec *p, char buf[32])
{
    switch (p->kind) {
    case MS_PRUNE_2_4:
        strcpy(buf, "2:4");
        return;
    case MS_PRUNE_MAGNITUDE: {
        double f = p->fraction;
        if (!(f >= 0.0))
            f = 0.0;
        if (f > 1.0)
            f = 1.0;
        unsigned m = (unsigned)floor(f * 1e6 + 0.5);
        if (m == 0 || m == 1000000u) {
            snprintf(buf, 32, "magnitude:%u", m / 1000000u);
            return;
        }
        char digits[12];
        snprintf(digits, sizeof digits, "%06u", m);
        size_t n = 6;
        while (n > 1 && digits[n - 1] == '0')
            n--;
        digits[n] = '\0';
        snprintf(buf, 32, "magnitude:0.%s", digits);
        return;
    }
    case MS_PRUNE_NONE:
    default:
        strcpy(buf, "none");
        return;
    }
}

/* ---- globs -------------------------------------------------------------------------------- */

/* The character at s (NUL-terminated, non-empty): its code point, or 0x110000 + byte. */
static uint32_t next_char(const unsigned char *s, size_t *len)
{
    /* ms_utf8_seq_len stops at the first byte that is not a continuation
     * byte, so the terminating NUL keeps it inside the string. */
    size_t n = ms_utf8_seq_len(s, 4);
    if (n == 0) {
        *len = 1;
        return 0x110000u + s[0];
    }
    *len = n;
    if (n == 1)
        return s[0];
    uint32_t c = s[0] & (n == 2 ? 0x1fu : n == 3 ? 0x0fu : 0x07u);
    for (size_t i = 1; i < n; i++)
        c = (c << 6) | (s[i] & 0x3fu);
    return c;
}

/*
 * A class starting after its '['.  Returns 1 and sets *end past the ']' and
 * *hit; 0 when malformed (no ']', reversed range), with *bad_at set to the
 * offending range start (or NULL for a missing ']').
 */
static int glob_class(const unsigned char *p, uint32_t c, const unsigned char **end, int *hit,
                      const unsigned char **bad_at)
{
    int neg = 0, found = 0, first = 1;
    const unsigned char *bad = NULL;
    if (*p == '!' || *p == '^') {
        neg = 1;
        p++;
    }
    for (;;) {
        if (*p == '\0') {
            if (bad_at != NULL)
                *bad_at = NULL;
            return 0;
        }
        if (*p == ']' && !first)
            break;
        first = 0;
        const unsigned char *start = p;
        size_t l;
        uint32_t lo = next_char(p, &l), hi = lo;
        p += l;
        if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
            hi = next_char(p + 1, &l);
            p += 1 + l;
            if (hi < lo && bad == NULL)
                bad = start;
        }
        if (lo <= c && c <= hi)
            found = 1;
    }
    if (bad != NULL) {
        if (bad_at != NULL)
            *bad_at = bad;
        return 0;
    }
    *end = p + 1;
    *hit = found != neg;
    return 1;
}

int ms_recipe_glob_match(const char *glob, const char *name)
{
    const unsigned char *p = (const unsigned char *)glob, *s = (const unsigned char *)name;
    const unsigned char *star_p = NULL, *star_s = NULL;
    while (*s != '\0') {
        if (*p == '*') {
            while (*p == '*')
                p++;
            star_p = p;
            star_s = s;
            continue;
        }
        if (*p != '\0') {
            size_t sl, pl = 1;
            uint32_t c = next_char(s, &sl);
            int hit;
            if (*p == '?') {
                hit = 1;
            } else if (*p == '[') {
                const unsigned char *end;
                if (glob_class(p + 1, c, &end, &hit, NULL))
                    pl = (size_t)(end - p);
                else
                    hit = c == '['; /* malformed: a literal '[' (parse refuses these) */
            } else {
                hit = next_char(p, &pl) == c;
            }
            if (hit) {
                p += pl;
                s += sl;
                continue;
            }
        }
        if (star_p == NULL)
            return 0;
        size_t sl;
        (void)next_char(star_s, &sl);
        star_s += sl;
        s = star_s;
        p = star_p;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* NULL when the glob is well-formed, else what is wrong (into buf). */
static const char *glob_problem(const char *glob, char buf[128])
{
    if (!ms_utf8_valid(glob))
        return "not valid UTF-8";
    const unsigned char *p = (const unsigned char *)glob;
    while (*p != '\0') {
        if (*p != '[') {
            p++;
            continue;
        }
        const unsigned char *end, *bad;
        int hit;
        if (glob_class(p + 1, 0, &end, &hit, &bad)) {
            p = end;
            continue;
        }
        size_t at = (size_t)(p - (const unsigned char *)glob);
        if (bad == NULL) {
            snprintf(buf, 128, "'[' at byte %zu has no closing ']'", at);
        } else {
            size_t l1, l2;
            (void)next_char(bad, &l1);
            (void)next_char(bad + l1 + 1, &l2);
            snprintf(buf, 128, "reversed range '%.*s' in the class at byte %zu",
                     (int)(l1 + 1 + l2), (const char *)bad, at);
        }
        return buf;
    }
    return NULL;
}

/* ---- norms and biases --------------------------------------------------------------------- */

static int eq_ci(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(s[i]) != lit[i])
            return 0;
    return 1;
}

/*
 * The name is split at '.' into components; ASCII letters compare case
 * folded.  It is a norm or a bias when
 *   - its last component is "bias" or ends with "_bias", or
 *   - any component contains "norm" (layernorm, LayerNorm, rmsnorm,
 *     layer_norm, norm_f, attn_norm, q_norm, ...), or
 *   - any component is "ln", starts with "ln_" or ends with "_ln"
 *     (GPT-2 ln_1, ln_2, ln_f; Falcon ln_attn, ln_mlp; Whisper attn_ln).
 */
int ms_recipe_is_norm_or_bias(const char *name)
{
    const char *c = name;
    for (;;) {
        const char *dot = strchr(c, '.');
        size_t n = dot != NULL ? (size_t)(dot - c) : strlen(c);
        if (contains_ci(c, n, "norm"))
            return 1;
        if (eq_ci(c, n, "ln") || (n >= 3 && eq_ci(c, 3, "ln_")) ||
            (n >= 3 && eq_ci(c + n - 3, 3, "_ln")))
            return 1;
        if (dot == NULL)
            return eq_ci(c, n, "bias") || (n >= 5 && eq_ci(c + n - 5, 5, "_bias"));
        c = dot + 1;
    }
}

/* ---- recipes ------------------------------------------------------------------------------ */

static ms_recipe *recipe_new(const char *what)
{
    ms_recipe *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->what = dup_str(what);
    if (r->what == NULL) {
        free(r);
        return NULL;
    }
    r->def = MS_SCHEME_NONE;
    r->prune.kind = MS_PRUNE_NONE;
    r->prune.fraction = 0.0;
    return r;
}

void ms_recipe_free(ms_recipe *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nrules; i++)
        free(r->rules[i].match);
    free(r->rules);
    free(r->what);
    free(r);
}

static ms_status parse_rule(const cJSON *item, size_t index, const char *what,
                            ms_recipe_rule *rule, ms_error *err)
{
    char ctx[MS_ERROR_MESSAGE_MAX];
    snprintf(ctx, sizeof ctx, "%s: rule %zu", what, index);
    if (!cJSON_IsObject(item))
        return ms_fail(err, MS_E_USAGE, "%s must be an object", ctx);

    const cJSON *match = cJSON_GetObjectItemCaseSensitive(item, "match");
    int match_ok = cJSON_IsString(match) && match->valuestring != NULL &&
                   match->valuestring[0] != '\0' &&
                   strlen(match->valuestring) <= MS_RECIPE_MAX_GLOB;
    if (match_ok) {
        char sb[80];
        snprintf(ctx, sizeof ctx, "%s: rule %zu ('%s')", what, index,
                 short_text(match->valuestring, sb));
    }

    ms_status st = check_fields(item, rule_fields, NFIELDS(rule_fields), ctx, err);
    if (st != MS_OK)
        return st;

    if (match == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: missing field 'match'", ctx);
    if (!cJSON_IsString(match) || match->valuestring == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: match must be a string", ctx);
    size_t glen = strlen(match->valuestring);
    if (glen == 0)
        return ms_fail(err, MS_E_USAGE, "%s: match is empty", ctx);
    if (glen > MS_RECIPE_MAX_GLOB)
        return ms_fail(err, MS_E_LIMIT, "%s: match is %zu bytes long, the limit is %d", ctx,
                       glen, MS_RECIPE_MAX_GLOB);
    char pb[128];
    const char *problem = glob_problem(match->valuestring, pb);
    if (problem != NULL)
        return ms_fail(err, MS_E_USAGE, "%s: match: %s", ctx, problem);

    const cJSON *scheme = cJSON_GetObjectItemCaseSensitive(item, "scheme");
    if (scheme == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: missing field 'scheme'", ctx);
    st = get_scheme(scheme, "scheme", ctx, &rule->scheme, err);
    if (st != MS_OK)
        return st;

    rule->prune.kind = MS_PRUNE_NONE;
    rule->prune.fraction = 0.0;
    const cJSON *prune = cJSON_GetObjectItemCaseSensitive(item, "prune");
    if (prune != NULL) {
        st = get_prune(prune, ctx, &rule->prune, err);
        if (st != MS_OK)
            return st;
    }

    rule->match = dup_str(match->valuestring);
    if (rule->match == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", ctx);
    return MS_OK;
}

static ms_status parse_doc(const cJSON *root, ms_recipe *r, ms_error *err)
{
    const char *what = r->what;
    if (!cJSON_IsObject(root))
        return ms_fail(err, MS_E_USAGE, "%s: a recipe must be a JSON object", what);
    ms_status st = check_fields(root, top_fields, NFIELDS(top_fields), what, err);
    if (st != MS_OK)
        return st;

    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "recipeVersion");
    if (version == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: missing field 'recipeVersion'", what);
    uint64_t v;
    if (ms_json_number_u64(version, &v) != 0)
        return ms_fail(err, MS_E_USAGE, "%s: recipeVersion must be the integer 1", what);
    if (v != 1)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: recipeVersion %llu is not supported (this modelseal reads 1)", what,
                       (unsigned long long)v);

    const cJSON *def = cJSON_GetObjectItemCaseSensitive(root, "default");
    if (def != NULL) {
        st = get_scheme(def, "default", what, &r->def, err);
        if (st != MS_OK)
            return st;
    }
    const cJSON *prune = cJSON_GetObjectItemCaseSensitive(root, "prune");
    if (prune != NULL) {
        st = get_prune(prune, what, &r->prune, err);
        if (st != MS_OK)
            return st;
    }

    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
    if (rules == NULL)
        return MS_OK;
    if (!cJSON_IsArray(rules))
        return ms_fail(err, MS_E_USAGE, "%s: rules must be an array", what);
    size_t n = 0;
    for (const cJSON *c = rules->child; c != NULL; c = c->next)
        n++;
    if (n > MS_RECIPE_MAX_RULES)
        return ms_fail(err, MS_E_LIMIT, "%s: %zu rules, the limit is %d", what, n,
                       MS_RECIPE_MAX_RULES);
    if (n == 0)
        return MS_OK;
    r->rules = calloc(n, sizeof *r->rules);
    if (r->rules == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    size_t i = 0;
    for (const cJSON *c = rules->child; c != NULL; c = c->next, i++) {
        st = parse_rule(c, i, what, &r->rules[i], err);
        if (st != MS_OK)
            return st;
        r->nrules = i + 1;
    }
    return MS_OK;
}

ms_status ms_recipe_parse(const char *json, size_t len, const char *what, ms_recipe **out,
                          ms_error *err)
{
    *out = NULL;
    if (what == NULL)
        what = "recipe";
    if (json == NULL)
        return ms_fail(err, MS_E_USAGE, "%s: no recipe text", what);
    cJSON *root = NULL;
    ms_status st = ms_json_parse(json, len, what, &root, err);
    if (st != MS_OK)
        return st;
    ms_recipe *r = recipe_new(what);
    if (r == NULL) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    st = parse_doc(root, r, err);
    cJSON_Delete(root);
    if (st != MS_OK) {
        ms_recipe_free(r);
        return st;
    }
    *out = r;
    return MS_OK;
}

ms_status ms_recipe_simple(ms_scheme scheme, const ms_prune_spec *prune, ms_recipe **out,
                           ms_error *err)
{
    *out = NULL;
    if ((int)scheme < 0 || scheme >= MS_SCHEME_COUNT)
        return ms_fail(err, MS_E_USAGE, "--quantize: unknown scheme number %d", (int)scheme);
    ms_prune_spec p = {MS_PRUNE_NONE, 0.0};
    if (prune != NULL) {
        switch (prune->kind) {
        case MS_PRUNE_NONE:
            break;
        case MS_PRUNE_2_4:
            p.kind = MS_PRUNE_2_4;
            break;
        case MS_PRUNE_MAGNITUDE:
            if (!(prune->fraction >= 0.0 && prune->fraction <= 1.0))
                return ms_fail(err, MS_E_USAGE,
                               "--prune: magnitude fraction %g is outside [0, 1]",
                               prune->fraction);
            p.kind = MS_PRUNE_MAGNITUDE;
            /* the precision a recipe can state, so the signed text says what was done */
            p.fraction = floor(prune->fraction * 1e6 + 0.5) / 1e6;
            break;
        default:
            return ms_fail(err, MS_E_USAGE, "--prune: unknown prune kind %d", (int)prune->kind);
        }
    }
    ms_recipe *r = recipe_new("command line");
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    r->def = scheme;
    r->prune = p;
    *out = r;
    return MS_OK;
}

void ms_recipe_choose(ms_recipe *r, const char *name, size_t ndim, ms_recipe_choice *out)
{
    for (size_t i = 0; i < r->nrules; i++) {
        if (ms_recipe_glob_match(r->rules[i].match, name)) {
            r->rules[i].hits++;
            out->scheme = r->rules[i].scheme;
            out->prune = r->rules[i].prune;
            out->rule = (int)i;
            return;
        }
    }
    out->rule = -1;
    if (ndim == 2 && !ms_recipe_is_norm_or_bias(name)) {
        out->scheme = r->def;
        out->prune = r->prune;
    } else {
        out->scheme = MS_SCHEME_NONE;
        out->prune.kind = MS_PRUNE_NONE;
        out->prune.fraction = 0.0;
    }
}

ms_status ms_recipe_check_unused(const ms_recipe *r, ms_error *err)
{
    for (size_t i = 0; i < r->nrules; i++) {
        if (r->rules[i].hits == 0) {
            char sb[80];
            return ms_fail(err, MS_E_USAGE, "%s: rule %zu ('%s'): matches no tensor", r->what, i,
                           short_text(r->rules[i].match, sb));
        }
    }
    return MS_OK;
}

static int add_prune(cJSON *obj, const ms_prune_spec *p)
{
    if (p->kind == MS_PRUNE_NONE)
        return 1;
    char buf[32];
    ms_prune_format(p, buf);
    return cJSON_AddStringToObject(obj, "prune", buf) != NULL;
}

char *ms_recipe_to_json(const ms_recipe *r)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    char *text = NULL;
    cJSON *rules;
    if (ms_json_add_u64(root, "recipeVersion", 1) == NULL ||
        cJSON_AddStringToObject(root, "default", ms_scheme_name(r->def)) == NULL ||
        !add_prune(root, &r->prune) || (rules = cJSON_AddArrayToObject(root, "rules")) == NULL)
        goto done;
    for (size_t i = 0; i < r->nrules; i++) {
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            goto done;
        if (!cJSON_AddItemToArray(rules, o)) {
            cJSON_Delete(o);
            goto done;
        }
        if (cJSON_AddStringToObject(o, "match", r->rules[i].match) == NULL ||
            cJSON_AddStringToObject(o, "scheme", ms_scheme_name(r->rules[i].scheme)) == NULL ||
            !add_prune(o, &r->rules[i].prune))
            goto done;
    }
    text = ms_json_print(root, NULL);
done:
    cJSON_Delete(root);
    return text;
}
