/*
 * Compression recipes: which scheme each tensor gets.
 *
 * A recipe (schemas/recipe-v1.schema.json, docs/compression.md) is
 *   {"recipeVersion": 1,
 *    "default": "q8_0",                       scheme for 2-D weights no rule matches
 *    "prune": "none" | "magnitude:0.5" | "2:4", optional default pruning
 *    "rules": [{"match": "GLOB", "scheme": "q4_k", "prune": "..."}, ...]}
 * Rules are tried in order, the first whose glob matches the tensor name
 * wins.  Globs: '*' any run of characters (including '.'), '?' one character,
 * '[...]' a class; matched against the whole name.  Tensors that are not
 * 2-D, or whose name marks a norm or a bias (ms_recipe_is_norm_or_bias()),
 * get "none" unless a rule matches them: any matching rule, "*" included,
 * overrides this automatic choice (a block scheme on a 1-D tensor is then
 * the caller's to refuse).  `--quantize S` is the recipe {"default": S}.
 *
 * recipeVersion is required; default and prune are "none" when absent; a
 * rule needs match and scheme, and its prune is "none" when absent (rules do
 * not inherit the top-level prune, which applies only to tensors no rule
 * matches).  compress/recipe.c lists the exact glob syntax and the status
 * codes; rules are numbered from 0 in messages.
 */
#ifndef MS_COMPRESS_RECIPE_H
#define MS_COMPRESS_RECIPE_H

#include <stddef.h>
#include <stdint.h>

#include "compress/quant.h"
#include "modelseal/error.h"

typedef enum ms_prune_kind {
    MS_PRUNE_NONE = 0,
    MS_PRUNE_MAGNITUDE,
    MS_PRUNE_2_4,
} ms_prune_kind;

typedef struct ms_prune_spec {
    ms_prune_kind kind;
    double fraction; /* magnitude only */
} ms_prune_spec;

/* Parse "none", "magnitude:S" (0 <= S <= 1), "2:4".  MS_E_USAGE naming the text. */
ms_status ms_prune_parse(const char *text, ms_prune_spec *out, ms_error *err);
/* Canonical text of a prune spec ("none", "magnitude:0.5", "2:4") into buf[32]. */
void ms_prune_format(const ms_prune_spec *p, char buf[32]);

typedef struct ms_recipe ms_recipe;

#define MS_RECIPE_MAX_RULES 1024 /* rules in one recipe */
#define MS_RECIPE_MAX_GLOB 1024  /* bytes of one rule's match */

/* A recipe from a JSON document (`what` names it in messages). */
ms_status ms_recipe_parse(const char *json, size_t len, const char *what, ms_recipe **out,
                          ms_error *err);
/* The recipe for `--quantize SCHEME [--prune P]`. */
ms_status ms_recipe_simple(ms_scheme scheme, const ms_prune_spec *prune, ms_recipe **out,
                           ms_error *err);
void ms_recipe_free(ms_recipe *r);

typedef struct ms_recipe_choice {
    ms_scheme scheme;
    ms_prune_spec prune;
    int rule;             /* index of the matching rule, -1 for the default/auto rule */
} ms_recipe_choice;

/*
 * The choice for one tensor, given its name and number of dimensions.
 * Marks the matching rule as used (so calls on one recipe must not overlap).
 */
void ms_recipe_choose(ms_recipe *r, const char *name, size_t ndim, ms_recipe_choice *out);
/* After all tensors: MS_E_USAGE naming the first rule that matched nothing. */
ms_status ms_recipe_check_unused(const ms_recipe *r, ms_error *err);
/* The recipe as canonical JSON (for the signed statement); malloc'd. */
char *ms_recipe_to_json(const ms_recipe *r);

/*
 * 1 when the name marks a norm or a bias (kept unquantized by default).
 * The name is split at '.'; ASCII letters compare case-insensitively.  A
 * norm or bias has its last component equal to "bias" or ending in "_bias",
 * or a component containing "norm", or a component equal to "ln", starting
 * with "ln_" or ending with "_ln" (ln_1, ln_f, attn_ln).
 */
int ms_recipe_is_norm_or_bias(const char *name);

/* 1 when the glob matches the whole name (the syntax of recipe rules). */
int ms_recipe_glob_match(const char *glob, const char *name);

#endif
