#!/usr/bin/env bash
# schemas/recipe-v1.schema.json accepts the recipes modelseal accepts and
# refuses the ones it refuses (as far as a schema can say), checked with
# python3-jsonschema, an independent implementation.
set -euo pipefail
/usr/bin/python3 - "$MS_SRC/schemas/recipe-v1.schema.json" <<'PY'
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)

good = [
    {"recipeVersion": 1},
    {"recipeVersion": 1, "rules": []},
    {"recipeVersion": 1, "default": "q8_0"},
    {"recipeVersion": 1, "default": "q4_K", "prune": "2:4"},
    {"recipeVersion": 1, "default": "none", "prune": "magnitude:0.5"},
    {"recipeVersion": 1, "prune": "magnitude:0"},
    {"recipeVersion": 1, "prune": "magnitude:1"},
    {"recipeVersion": 1, "prune": "magnitude:1.000000"},
    {"recipeVersion": 1, "prune": "magnitude:0.123456"},
    {"recipeVersion": 1, "prune": "none"},
    # The canonical form of tests/compress/test_recipe.c's example.
    {"recipeVersion": 1, "default": "q4_k", "prune": "2:4", "rules": [
        {"match": "*.attn.*", "scheme": "q8_0"},
        {"match": "model.layers.0.*", "scheme": "int8", "prune": "magnitude:0.5"},
        {"match": "lm_head.weight", "scheme": "none"},
        {"match": "*.attn.q_proj.weight", "scheme": "q6_k"}]},
    {"recipeVersion": 1, "rules": [{"match": "*", "scheme": s} for s in
        ["none", "f16", "bf16", "int8", "q8_0", "q4_0", "q4_k", "q6_k", "q6_K"]]},
    {"recipeVersion": 1, "rules": [{"match": "*", "scheme": "q8_0"}] * 1024},
    {"recipeVersion": 1, "rules": [{"match": "a" * 1024, "scheme": "q8_0"}]},
]
bad = [
    ({}, "recipeVersion is required"),
    ({"recipeVersion": 2}, "version"),
    ({"recipeVersion": "1"}, "version type"),
    ({"recipeVersion": 1, "defualt": "q8_0"}, "unknown top-level field"),
    ({"recipeVersion": 1, "default": "q3_k"}, "unknown scheme"),
    ({"recipeVersion": 1, "default": "Q8_0"}, "scheme case"),
    ({"recipeVersion": 1, "default": 8}, "scheme type"),
    ({"recipeVersion": 1, "prune": "magnitude:1.5"}, "fraction above 1"),
    ({"recipeVersion": 1, "prune": "magnitude:.5"}, "no leading digit"),
    ({"recipeVersion": 1, "prune": "magnitude:0.1234567"}, "7 decimals"),
    ({"recipeVersion": 1, "prune": "magnitude:1.5e-1"}, "exponent"),
    ({"recipeVersion": 1, "prune": "3:4"}, "other N:M"),
    ({"recipeVersion": 1, "prune": " 2:4"}, "leading space"),
    ({"recipeVersion": 1, "prune": 0.5}, "prune type"),
    ({"recipeVersion": 1, "rules": {}}, "rules type"),
    ({"recipeVersion": 1, "rules": ["*"]}, "rule type"),
    ({"recipeVersion": 1, "rules": [{"scheme": "q8_0"}]}, "rule without match"),
    ({"recipeVersion": 1, "rules": [{"match": "*"}]}, "rule without scheme"),
    ({"recipeVersion": 1, "rules": [{"match": "", "scheme": "q8_0"}]}, "empty match"),
    ({"recipeVersion": 1, "rules": [{"match": "*", "scheme": "q8_0", "shceme": "x"}]},
     "unknown rule field"),
    ({"recipeVersion": 1, "rules": [{"match": "*", "scheme": "q8_0", "prune": "2:8"}]},
     "rule prune"),
    ({"recipeVersion": 1, "rules": [{"match": "*", "scheme": "q8_0"}] * 1025}, "1025 rules"),
    ({"recipeVersion": 1, "rules": [{"match": "a" * 1025, "scheme": "q8_0"}]}, "long match"),
]
failed = 0
for doc in good:
    errors = [e.message for e in v.iter_errors(doc)]
    if errors:
        print("refused a good recipe:", json.dumps(doc)[:200], errors[:3])
        failed += 1
for doc, why in bad:
    if v.is_valid(doc):
        print("accepted a bad recipe (%s):" % why, json.dumps(doc)[:200])
        failed += 1
if failed:
    sys.exit(1)
print("recipe schema: %d good and %d bad recipes checked" % (len(good), len(bad)))
PY
