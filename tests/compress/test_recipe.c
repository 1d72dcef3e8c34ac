/* Unit tests for compress/recipe.c: parsing, messages, globs, choices, canonical JSON. */
#include <math.h>

#include "check.h"
#include "compress/recipe.h"

/* Parse from an exact-size heap copy (no NUL after it) so sanitizers see overreads. */
static ms_status parse(const char *text, ms_recipe **out, ms_error *err)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, text, len);
    ms_error_clear(err);
    ms_status st = ms_recipe_parse(copy, len, "recipe.json", out, err);
    free(copy);
    return st;
}

#define SCHEMES "(available: none, f16, bf16, int8, q8_0, q4_0, q4_k, q6_k)"
#define PRUNE_HELP "(expected none, 2:4, or magnitude:S with 0 <= S <= 1 and at most 6 decimals)"

/* The parse fails with this status and exactly this message. */
#define CHECK_REFUSED(text, want_st, want_msg)                                                     \
    do {                                                                                           \
        ms_recipe *refused_r_ = (ms_recipe *)1;                                                    \
        ms_error refused_e_;                                                                       \
        CHECK_INT(parse((text), &refused_r_, &refused_e_), (want_st));                             \
        CHECK(refused_r_ == NULL);                                                                 \
        CHECK_INT(refused_e_.status, (want_st));                                                   \
        CHECK_STR(refused_e_.message, (want_msg));                                                 \
    } while (0)

static void test_refusals(void)
{
    CHECK_REFUSED("[1]", MS_E_USAGE, "recipe.json: a recipe must be a JSON object");
    CHECK_REFUSED("{\"default\":\"q8_0\"}", MS_E_USAGE,
                  "recipe.json: missing field 'recipeVersion'");
    CHECK_REFUSED("{\"recipeVersion\":2}", MS_E_UNSUPPORTED,
                  "recipe.json: recipeVersion 2 is not supported (this modelseal reads 1)");
    CHECK_REFUSED("{\"recipeVersion\":\"1\"}", MS_E_USAGE,
                  "recipe.json: recipeVersion must be the integer 1");
    CHECK_REFUSED("{\"recipeVersion\":1.0}", MS_E_USAGE,
                  "recipe.json: recipeVersion must be the integer 1");
    CHECK_REFUSED("{\"recipeVersion\":-1}", MS_E_USAGE,
                  "recipe.json: recipeVersion must be the integer 1");

    /* Unknown fields: the nearest known one, or the list. */
    CHECK_REFUSED("{\"recipeVersion\":1,\"defualt\":\"q8_0\"}", MS_E_USAGE,
                  "recipe.json: unknown field 'defualt' (did you mean 'default'?)");
    CHECK_REFUSED("{\"recipeversion\":1}", MS_E_USAGE,
                  "recipe.json: unknown field 'recipeversion' (did you mean 'recipeVersion'?)");
    CHECK_REFUSED("{\"recipeVersion\":1,\"version\":1}", MS_E_USAGE,
                  "recipe.json: unknown field 'version' (did you mean 'recipeVersion'?)");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rule\":[]}", MS_E_USAGE,
                  "recipe.json: unknown field 'rule' (did you mean 'rules'?)");
    CHECK_REFUSED("{\"recipeVersion\":1,\"quantize\":\"q8_0\"}", MS_E_USAGE,
                  "recipe.json: unknown field 'quantize' (known fields: recipeVersion, default, "
                  "prune, rules)");
    /* Reported before a missing recipeVersion: the likely cause is the typo. */
    CHECK_REFUSED("{\"recipe_version\":1}", MS_E_USAGE,
                  "recipe.json: unknown field 'recipe_version' (did you mean 'recipeVersion'?)");

    CHECK_REFUSED("{\"recipeVersion\":1,\"default\":\"q3_k\"}", MS_E_USAGE,
                  "recipe.json: default: unknown scheme 'q3_k' " SCHEMES);
    CHECK_REFUSED("{\"recipeVersion\":1,\"default\":\"Q8_0\"}", MS_E_USAGE,
                  "recipe.json: default: unknown scheme 'Q8_0' " SCHEMES);
    CHECK_REFUSED("{\"recipeVersion\":1,\"default\":8}", MS_E_USAGE,
                  "recipe.json: default must be a string naming a scheme");
    CHECK_REFUSED("{\"recipeVersion\":1,\"prune\":\"magnitude:1.5\"}", MS_E_USAGE,
                  "recipe.json: prune: invalid prune 'magnitude:1.5' " PRUNE_HELP);
    CHECK_REFUSED("{\"recipeVersion\":1,\"prune\":0.5}", MS_E_USAGE,
                  "recipe.json: prune must be a string");

    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":{}}", MS_E_USAGE,
                  "recipe.json: rules must be an array");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[\"*\"]}", MS_E_USAGE,
                  "recipe.json: rule 0 must be an object");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"scheme\":\"q8_0\"}]}", MS_E_USAGE,
                  "recipe.json: rule 0: missing field 'match'");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*\",\"scheme\":\"q8_0\"},"
                  "{\"mtach\":\"x\",\"scheme\":\"q8_0\"}]}",
                  MS_E_USAGE, "recipe.json: rule 1: unknown field 'mtach' (did you mean 'match'?)");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*\",\"shceme\":\"q8_0\"}]}",
                  MS_E_USAGE,
                  "recipe.json: rule 0 ('*'): unknown field 'shceme' (did you mean 'scheme'?)");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*\",\"scheme\":\"q8_0\","
                  "\"bits\":4}]}",
                  MS_E_USAGE,
                  "recipe.json: rule 0 ('*'): unknown field 'bits' (known fields: match, "
                  "scheme, prune)");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*.attn.*\",\"scheme\":\"q8_0\"},"
                  "{\"match\":\"*.mlp.*\",\"scheme\":\"q3_k\"}]}",
                  MS_E_USAGE,
                  "recipe.json: rule 1 ('*.mlp.*'): scheme: unknown scheme 'q3_k' " SCHEMES);
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*\"}]}", MS_E_USAGE,
                  "recipe.json: rule 0 ('*'): missing field 'scheme'");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*\",\"scheme\":null}]}",
                  MS_E_USAGE, "recipe.json: rule 0 ('*'): scheme must be a string naming a scheme");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*\",\"scheme\":\"q8_0\","
                  "\"prune\":\"3:4\"}]}",
                  MS_E_USAGE, "recipe.json: rule 0 ('*'): prune: invalid prune '3:4' " PRUNE_HELP);
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"*\",\"scheme\":\"q8_0\","
                  "\"prune\":true}]}",
                  MS_E_USAGE, "recipe.json: rule 0 ('*'): prune must be a string");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"\",\"scheme\":\"q8_0\"}]}",
                  MS_E_USAGE, "recipe.json: rule 0: match is empty");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":7,\"scheme\":\"q8_0\"}]}",
                  MS_E_USAGE, "recipe.json: rule 0: match must be a string");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"a[bc\",\"scheme\":\"q8_0\"}]}",
                  MS_E_USAGE, "recipe.json: rule 0 ('a[bc'): match: '[' at byte 1 has no closing ']'");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"[]\",\"scheme\":\"q8_0\"}]}",
                  MS_E_USAGE, "recipe.json: rule 0 ('[]'): match: '[' at byte 0 has no closing ']'");
    CHECK_REFUSED("{\"recipeVersion\":1,\"rules\":[{\"match\":\"x[z-a]\",\"scheme\":\"q8_0\"}]}",
                  MS_E_USAGE,
                  "recipe.json: rule 0 ('x[z-a]'): match: reversed range 'z-a' in the class at byte 1");

    /* JSON-level problems come from the strict JSON reader, as MS_E_FORMAT. */
    ms_recipe *r = NULL;
    ms_error err;
    CHECK_INT(parse("{\"recipeVersion\":1,\"recipeVersion\":1}", &r, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "recipe.json");
    CHECK_INT(parse("{\"recipeVersion\":1,}", &r, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "recipe.json");
    CHECK_INT(parse("", &r, &err), MS_E_FORMAT);
    CHECK(r == NULL);

    /* An unnamed recipe is "recipe" in messages. */
    CHECK_INT(ms_recipe_parse("{}", 2, NULL, &r, &err), MS_E_USAGE);
    CHECK_STR(err.message, "recipe: missing field 'recipeVersion'");
}

static char *rules_doc(size_t nrules, size_t glob_len)
{
    size_t cap = 64 + nrules * (glob_len + 40);
    char *s = malloc(cap);
    if (s == NULL)
        abort();
    size_t k = (size_t)sprintf(s, "{\"recipeVersion\":1,\"rules\":[");
    for (size_t i = 0; i < nrules; i++) {
        k += (size_t)sprintf(s + k, "%s{\"match\":\"", i ? "," : "");
        for (size_t j = 0; j < glob_len; j++)
            s[k++] = j == 0 ? '*' : 'a';
        k += (size_t)sprintf(s + k, "\",\"scheme\":\"q8_0\"}");
    }
    sprintf(s + k, "]}");
    return s;
}

static void test_limits(void)
{
    ms_recipe *r;
    ms_error err;
    char *doc = rules_doc(MS_RECIPE_MAX_RULES, 3);
    CHECK_INT(parse(doc, &r, &err), MS_OK);
    ms_recipe_free(r);
    free(doc);
    doc = rules_doc(MS_RECIPE_MAX_RULES + 1, 3);
    CHECK_REFUSED(doc, MS_E_LIMIT, "recipe.json: 1025 rules, the limit is 1024");
    free(doc);

    doc = rules_doc(1, MS_RECIPE_MAX_GLOB);
    CHECK_INT(parse(doc, &r, &err), MS_OK);
    /* Long globs are cut in messages. */
    ms_recipe_choice ch;
    ms_recipe_choose(r, "b", 2, &ch);
    CHECK_INT(ms_recipe_check_unused(r, &err), MS_E_USAGE);
    char want[200];
    char as[60];
    memset(as, 'a', 59);
    as[59] = '\0';
    snprintf(want, sizeof want, "recipe.json: rule 0 ('*%s...'): matches no tensor", as);
    CHECK_STR(err.message, want);
    ms_recipe_free(r);
    free(doc);
    doc = rules_doc(1, MS_RECIPE_MAX_GLOB + 1);
    CHECK_REFUSED(doc, MS_E_LIMIT, "recipe.json: rule 0: match is 1025 bytes long, the limit is 1024");
    free(doc);

    /* Empty rules, or none at all. */
    CHECK_INT(parse("{\"recipeVersion\":1,\"rules\":[]}", &r, &err), MS_OK);
    CHECK_INT(ms_recipe_check_unused(r, &err), MS_OK);
    ms_recipe_free(r);
    CHECK_INT(parse("{\"recipeVersion\":1}", &r, &err), MS_OK);
    ms_recipe_free(r);
    ms_recipe_free(NULL);
}

static void test_prune_text(void)
{
    static const struct {
        const char *text;
        ms_prune_kind kind;
        double fraction;
        const char *canon;
    } good[] = {
        {"none", MS_PRUNE_NONE, 0, "none"},
        {"2:4", MS_PRUNE_2_4, 0, "2:4"},
        {"magnitude:0", MS_PRUNE_MAGNITUDE, 0, "magnitude:0"},
        {"magnitude:0.0", MS_PRUNE_MAGNITUDE, 0, "magnitude:0"},
        {"magnitude:1", MS_PRUNE_MAGNITUDE, 1, "magnitude:1"},
        {"magnitude:1.000000", MS_PRUNE_MAGNITUDE, 1, "magnitude:1"},
        {"magnitude:0.5", MS_PRUNE_MAGNITUDE, 0.5, "magnitude:0.5"},
        {"magnitude:0.50", MS_PRUNE_MAGNITUDE, 0.5, "magnitude:0.5"},
        {"magnitude:0.3", MS_PRUNE_MAGNITUDE, 0.3, "magnitude:0.3"},
        {"magnitude:0.123456", MS_PRUNE_MAGNITUDE, 0.123456, "magnitude:0.123456"},
        {"magnitude:0.000001", MS_PRUNE_MAGNITUDE, 0.000001, "magnitude:0.000001"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ms_prune_spec p;
        ms_error err;
        CHECK_INT(ms_prune_parse(good[i].text, &p, &err), MS_OK);
        CHECK_INT(p.kind, good[i].kind);
        CHECK(p.fraction == good[i].fraction);
        char buf[32];
        ms_prune_format(&p, buf);
        CHECK_STR(buf, good[i].canon);
    }
    static const char *const bad[] = {
        "", "None", "2:4 ", " 2:4", "1:4", "4:8", "magnitude", "magnitude:", "magnitude:.5",
        "magnitude:0.", "magnitude:+0.5", "magnitude:-0", "magnitude:5e-1", "magnitude:0.5 ",
        "magnitude:1.5", "magnitude:1.000001", "magnitude:01", "magnitude:0.1234567",
        "magnitude:2", "magnitude:nan", "Magnitude:0.5", "magnitude=0.5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ms_prune_spec p;
        ms_error err;
        CHECK_INT(ms_prune_parse(bad[i], &p, &err), MS_E_USAGE);
        char want[200];
        snprintf(want, sizeof want, "invalid prune '%s' " PRUNE_HELP, bad[i]);
        CHECK_STR(err.message, want);
    }
    ms_error err;
    ms_prune_spec p;
    CHECK_INT(ms_prune_parse(NULL, &p, &err), MS_E_USAGE);

    /* Formatting rounds to millionths. */
    ms_prune_spec q = {MS_PRUNE_MAGNITUDE, 0.1234564};
    char buf[32];
    ms_prune_format(&q, buf);
    CHECK_STR(buf, "magnitude:0.123456");
    q.fraction = 0.9999996;
    ms_prune_format(&q, buf);
    CHECK_STR(buf, "magnitude:1");
}

static void test_globs(void)
{
    static const struct {
        const char *glob, *name;
        int match;
    } t[] = {
        {"*", "", 1},
        {"*", "model.layers.0.attn.q_proj.weight", 1},
        {"**", "a", 1},
        {"a", "a", 1},
        {"a", "ab", 0},
        {"ab", "a", 0},
        {"a*", "a", 1},
        {"*a", "ba", 1},
        {"*a", "ab", 0},
        {"*.weight", "x.y.weight", 1},
        {"*.weight", "weight", 0},
        {"*.weight", "x.weight.bias", 0},
        {"*.attn.*", "model.layers.3.attn.o.weight", 1},
        {"*.attn.*", "model.layers.3.attn", 0},
        {"a*b*c", "aXbYc", 1},
        {"a*b*c", "abcbc", 1},
        {"a*b*c", "acb", 0},
        {"*ab", "aaab", 1},
        {"*a*b", "xxaxxb", 1},
        {"a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
        {"?", "a", 1},
        {"?", "", 0},
        {"?", "ab", 0},
        {"?", "\xc3\xa9", 1},       /* one character, two bytes */
        {"??", "\xc3\xa9", 0},
        {"?", "\xff", 1},           /* a stray byte is one character */
        {"layers.?.w", "layers.1.w", 1},
        {"layers.?.w", "layers.10.w", 0},
        {"layers.[0-9]*.attn", "layers.12.attn", 1},
        {"*.[0-9][0-9].*", "h.10.x", 1},
        {"*.[0-9][0-9].*", "h.1.x", 0},
        {"[abc]", "b", 1},
        {"[abc]", "d", 0},
        {"[a-c]x", "bx", 1},
        {"[a-c]x", "dx", 0},
        {"[!a-c]", "d", 1},
        {"[!a-c]", "b", 0},
        {"[^x]", "y", 1},
        {"[^x]", "x", 0},
        {"[!a-c]", "", 0},
        {"[]]", "]", 1},
        {"[]a]", "a", 1},
        {"[!]]", "a", 1},
        {"[!]]", "]", 0},
        {"[a-]", "-", 1},
        {"[-a]", "-", 1},
        {"[a-c-e]", "-", 1},
        {"[*]", "*", 1},
        {"[*]", "a", 0},
        {"[?]", "?", 1},
        {"[?]", "a", 0},
        {"[[]", "[", 1},
        {"[\xc3\xa0-\xc3\xbf]", "\xc3\xa9", 1}, /* code point ranges: U+00E0..U+00FF */
        {"[\xc3\xa0-\xc3\xbf]", "e", 0},
        {"\\*", "\\x", 1},  /* no escapes: a backslash is a literal character */
        {"\\*", "*", 0},
        {"\\?", "\\a", 1},
        {"*.Weight", "x.weight", 0}, /* case-sensitive */
        {"a[b", "a[b", 1},   /* malformed class: literal '[' (parse refuses these) */
        {"", "", 1},
        {"", "a", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = ms_recipe_glob_match(t[i].glob, t[i].name);
        if (got != t[i].match)
            fprintf(stderr, "glob '%s' on '%s': got %d\n", t[i].glob, t[i].name, got);
        CHECK_INT(got, t[i].match);
    }
}

static void test_norm_bias(void)
{
    static const char *const yes[] = {
        "model.layers.0.input_layernorm.weight",
        "model.layers.0.post_attention_layernorm.weight",
        "model.norm.weight",
        "bert.encoder.layer.0.attention.output.LayerNorm.weight",
        "transformer.h.0.ln_1.weight",
        "transformer.ln_f.weight",
        "transformer.h.0.ln_attn.weight",
        "encoder.blocks.0.attn_ln.weight",
        "ln.weight",
        "model.layers.0.self_attn.q_norm.weight",
        "backbone.norm_f.weight",
        "x.RMSNorm.scale",
        "blk.0.attn_norm.weight",
        "encoder.final_layer_norm.weight",
        "h.0.attn.c_attn.bias",
        "h.0.attn.c_attn.BIAS",
        "fc1_bias",
        "layer.out_bias",
        "bias",
    };
    static const char *const no[] = {
        "model.layers.0.mlp.down_proj.weight",
        "lm_head.weight",
        "model.embed_tokens.weight",
        "linear.weight",
        "bias.weight",      /* "bias" only counts as the last component */
        "x.biases",
        "x.unbias",
        "biased",
        "kiln.weight",      /* not "ln", "ln_..." or "..._ln" */
        "x.ln1.weight",
        "lnx.weight",
        "x.nor.weight",
        "",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!ms_recipe_is_norm_or_bias(yes[i]))
            fprintf(stderr, "expected a norm or bias: %s\n", yes[i]);
        CHECK(ms_recipe_is_norm_or_bias(yes[i]));
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (ms_recipe_is_norm_or_bias(no[i]))
            fprintf(stderr, "expected neither norm nor bias: %s\n", no[i]);
        CHECK(!ms_recipe_is_norm_or_bias(no[i]));
    }
}

static const char example[] =
    "{ \"rules\": [\n"
    "    {\"scheme\": \"q8_0\", \"match\": \"*.attn.*\", \"prune\": \"none\"},\n"
    "    {\"match\": \"model.layers.0.*\", \"scheme\": \"int8\", \"prune\": \"magnitude:0.50\"},\n"
    "    {\"match\": \"lm_head.weight\", \"scheme\": \"none\"},\n"
    "    {\"match\": \"*.attn.q_proj.weight\", \"scheme\": \"q6_K\"}\n"
    "  ],\n"
    "  \"prune\": \"2:4\", \"default\": \"q4_K\", \"recipeVersion\": 1 }";

static const char example_canon[] =
    "{\"recipeVersion\":1,\"default\":\"q4_k\",\"prune\":\"2:4\",\"rules\":["
    "{\"match\":\"*.attn.*\",\"scheme\":\"q8_0\"},"
    "{\"match\":\"model.layers.0.*\",\"scheme\":\"int8\",\"prune\":\"magnitude:0.5\"},"
    "{\"match\":\"lm_head.weight\",\"scheme\":\"none\"},"
    "{\"match\":\"*.attn.q_proj.weight\",\"scheme\":\"q6_k\"}]}";

#define CHECK_CHOICE(r, name, ndim, want_scheme, want_kind, want_rule)                             \
    do {                                                                                           \
        ms_recipe_choice ch_;                                                                      \
        ms_recipe_choose((r), (name), (ndim), &ch_);                                               \
        CHECK_INT(ch_.scheme, (want_scheme));                                                      \
        CHECK_INT(ch_.prune.kind, (want_kind));                                                    \
        CHECK_INT(ch_.rule, (want_rule));                                                          \
    } while (0)

static void test_choose(void)
{
    ms_recipe *r;
    ms_error err;
    CHECK_INT(parse(example, &r, &err), MS_OK);
    if (r == NULL)
        return;
    /* First match wins: rule 0 before rules 1 and 3. */
    CHECK_CHOICE(r, "model.layers.0.attn.q_proj.weight", 2, MS_SCHEME_Q8_0, MS_PRUNE_NONE, 0);
    CHECK_CHOICE(r, "model.layers.0.mlp.up.weight", 2, MS_SCHEME_INT8, MS_PRUNE_MAGNITUDE, 1);
    ms_recipe_choice ch;
    ms_recipe_choose(r, "model.layers.0.mlp.up.weight", 2, &ch);
    CHECK(ch.prune.fraction == 0.5);
    /* The default rule: 2-D, neither norm nor bias. */
    CHECK_CHOICE(r, "model.layers.1.mlp.up.weight", 2, MS_SCHEME_Q4_K, MS_PRUNE_2_4, -1);
    CHECK_CHOICE(r, "model.layers.1.input_layernorm.weight", 1, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    CHECK_CHOICE(r, "model.layers.1.input_layernorm.weight", 2, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    CHECK_CHOICE(r, "model.layers.1.mlp.up.bias", 1, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    CHECK_CHOICE(r, "model.layers.1.mlp.up.bias", 2, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    CHECK_CHOICE(r, "conv.weight", 4, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    CHECK_CHOICE(r, "scalar", 0, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    CHECK_CHOICE(r, "vector", 1, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    /* An explicit rule beats the automatic choice, even for a 1-D norm. */
    CHECK_CHOICE(r, "model.layers.0.input_layernorm.weight", 1, MS_SCHEME_INT8,
                 MS_PRUNE_MAGNITUDE, 1);
    CHECK_CHOICE(r, "lm_head.weight", 2, MS_SCHEME_NONE, MS_PRUNE_NONE, 2);

    /* Rule 3 is shadowed by rule 0: it matched nothing. */
    CHECK_INT(ms_recipe_check_unused(r, &err), MS_E_USAGE);
    CHECK_STR(err.message, "recipe.json: rule 3 ('*.attn.q_proj.weight'): matches no tensor");

    char *json = ms_recipe_to_json(r);
    CHECK_STR(json, example_canon);
    ms_recipe_free(r);

    /* The canonical form parses back to itself. */
    CHECK_INT(parse(json, &r, &err), MS_OK);
    char *again = ms_recipe_to_json(r);
    CHECK_STR(again, example_canon);
    free(again);
    free(json);
    ms_recipe_free(r);

    /* Minimal recipe: default "none", nothing pruned, empty rules in the canonical form. */
    CHECK_INT(parse("{\"recipeVersion\":1}", &r, &err), MS_OK);
    CHECK_CHOICE(r, "w", 2, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    json = ms_recipe_to_json(r);
    CHECK_STR(json, "{\"recipeVersion\":1,\"default\":\"none\",\"rules\":[]}");
    free(json);
    ms_recipe_free(r);

    /* A catch-all rule matches everything, 1-D biases included. */
    CHECK_INT(parse("{\"recipeVersion\":1,\"default\":\"q8_0\",\"rules\":[{\"match\":\"*.bias\","
                    "\"scheme\":\"f16\"},{\"match\":\"*\",\"scheme\":\"q4_0\"}]}",
                    &r, &err),
              MS_OK);
    CHECK_CHOICE(r, "a.bias", 1, MS_SCHEME_F16, MS_PRUNE_NONE, 0);
    CHECK_CHOICE(r, "a.norm.weight", 1, MS_SCHEME_Q4_0, MS_PRUNE_NONE, 1);
    CHECK_INT(ms_recipe_check_unused(r, &err), MS_OK);
    ms_recipe_free(r);

    /* Names and globs are kept byte for byte (UTF-8, escapes resolved). */
    CHECK_INT(parse("{\"recipeVersion\":1,\"rules\":[{\"match\":\"\\u00fc*\\\"\","
                    "\"scheme\":\"bf16\"}]}",
                    &r, &err),
              MS_OK);
    CHECK_CHOICE(r, "\xc3\xbc.x\"", 2, MS_SCHEME_BF16, MS_PRUNE_NONE, 0);
    json = ms_recipe_to_json(r);
    CHECK_STR(json, "{\"recipeVersion\":1,\"default\":\"none\",\"rules\":[{\"match\":"
                    "\"\xc3\xbc*\\\"\",\"scheme\":\"bf16\"}]}");
    free(json);
    ms_recipe_free(r);
}

static void test_simple(void)
{
    ms_recipe *r;
    ms_error err;
    CHECK_INT(ms_recipe_simple(MS_SCHEME_Q8_0, NULL, &r, &err), MS_OK);
    char *json = ms_recipe_to_json(r);
    CHECK_STR(json, "{\"recipeVersion\":1,\"default\":\"q8_0\",\"rules\":[]}");
    free(json);
    CHECK_CHOICE(r, "w", 2, MS_SCHEME_Q8_0, MS_PRUNE_NONE, -1);
    CHECK_CHOICE(r, "ln_f.weight", 2, MS_SCHEME_NONE, MS_PRUNE_NONE, -1);
    CHECK_INT(ms_recipe_check_unused(r, &err), MS_OK);
    ms_recipe_free(r);

    ms_prune_spec p = {MS_PRUNE_MAGNITUDE, 0.3};
    CHECK_INT(ms_recipe_simple(MS_SCHEME_Q4_K, &p, &r, &err), MS_OK);
    json = ms_recipe_to_json(r);
    CHECK_STR(json, "{\"recipeVersion\":1,\"default\":\"q4_k\",\"prune\":\"magnitude:0.3\","
                    "\"rules\":[]}");
    free(json);
    CHECK_CHOICE(r, "w", 2, MS_SCHEME_Q4_K, MS_PRUNE_MAGNITUDE, -1);
    ms_recipe_free(r);

    p.kind = MS_PRUNE_2_4;
    CHECK_INT(ms_recipe_simple(MS_SCHEME_NONE, &p, &r, &err), MS_OK);
    json = ms_recipe_to_json(r);
    CHECK_STR(json, "{\"recipeVersion\":1,\"default\":\"none\",\"prune\":\"2:4\",\"rules\":[]}");
    free(json);
    ms_recipe_free(r);

    p.kind = MS_PRUNE_MAGNITUDE;
    p.fraction = 1.5;
    r = (ms_recipe *)1;
    CHECK_INT(ms_recipe_simple(MS_SCHEME_Q8_0, &p, &r, &err), MS_E_USAGE);
    CHECK(r == NULL);
    CHECK_INT(ms_recipe_simple(MS_SCHEME_COUNT, NULL, &r, &err), MS_E_USAGE);
    CHECK(r == NULL);
}

int main(void)
{
    test_refusals();
    test_limits();
    test_prune_text();
    test_globs();
    test_norm_bias();
    test_choose();
    test_simple();
    return check_finish("test_recipe");
}
