#!/usr/bin/env bash
# verify --policy, audit --policy and policy check: the table of cases in
# policy_cases.py, run on bundles built here (a plain one, one with lineage,
# compression and a co-signer, and variants for the failing rules).
. "$MS_SRC/tests/cli/lib.sh"

"$M" keygen -o alice >/dev/null
"$M" keygen -o bob >/dev/null
"$M" keygen -o carol --algorithm ecdsa-p256 >/dev/null

make_model model
"$M" pack model -o plain.mseal --key alice.key --name plain --version 1.0.0 \
  --license Apache-2.0 --description "a tiny test model" >/dev/null

"$PY" "$HERE/bundle_tool.py" make-model-wide wide
d2=2222222222222222222222222222222222222222222222222222222222222222
d3=3333333333333333333333333333333333333333333333333333333333333333
cat >rich.json <<JSON
{
  "specVersion": 1, "name": "rich", "version": "2.1.0",
  "description": "a model with lineage", "authors": ["Test Author"], "license": "MIT",
  "card": {"intendedUse": "Tests.", "limitations": "None known."},
  "baseModels": [{"name": "base-a", "relation": "finetune", "license": "Apache-2.0",
                  "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}],
  "datasets": [
    {"name": "train-set", "uri": "https://data.example/train", "license": "CC-BY-4.0",
     "role": "training", "records": 5000, "digest": "sha256:$d2"},
    {"name": "eval-set", "uri": "https://data.example/eval", "license": "CC0-1.0",
     "role": "evaluation", "records": 500, "digest": "sha256:$d3"}
  ]
}
JSON
# rich: q4_0 with probes, co-signed by bob as approver.
"$M" pack wide -o rich.mseal --key alice.key --spec rich.json --quantize q4_0 >/dev/null
"$M" sign rich.mseal --key bob.key --role approver >/dev/null
# fine: the same at q8_0, no probes, signed with an ECDSA key only.
"$M" pack wide -o fine.mseal --key carol.key --spec rich.json --quantize q8_0 --no-probes >/dev/null
# edge: q4_k, magnitude-pruned; one weight's rows do not fit q4_k and fall back to q4_0.
"$M" pack wide -o edge.mseal --key alice.key --spec rich.json --quantize q4_k \
  --prune magnitude:0.5 >/dev/null
# release: q8_0 with probes, co-signed by bob as approver.
"$M" pack wide -o release.mseal --key alice.key --spec rich.json --quantize q8_0 >/dev/null
"$M" sign release.mseal --key bob.key --role approver >/dev/null
# nc: a non-commercial dataset without digest, a use-restricted base model, declared MIT.
cat >nc.json <<JSON
{
  "specVersion": 1, "name": "nc", "version": "0.9.0", "license": "MIT",
  "baseModels": [{"name": "llama-base", "relation": "finetune",
                  "license": "LicenseRef-Llama-3-Community",
                  "digest": "sha256:4444444444444444444444444444444444444444444444444444444444444444"}],
  "datasets": [{"name": "nc-data", "uri": "https://scraped.example/nc", "license": "CC-BY-NC-4.0",
                "role": "training"}]
}
JSON
"$M" pack model -o nc.mseal --key alice.key --spec nc.json >/dev/null
"$M" pack model -o unknown.mseal --key alice.key --name unk --version 1.0.0 \
  --license LicenseRef-Acme-Internal >/dev/null
"$M" pack model -o nolicense.mseal --key alice.key --name nolic --version 1.0.0 >/dev/null

# policy init: a valid starting policy, on stdout or into a file, every rule explained.
run 0 "$M" policy init
cp "$WORK/.out" init-stdout.json
run 0 "$M" policy init -o init.json
cmp init.json init-stdout.json || fail "policy init -o differs from its standard output"
run 0 "$M" policy check init.json
expect_in out "init.json: valid policy 'my-release-policy' (enforce mode)"
"$PY" - "$MS_SRC/schemas/policy-v1.schema.json" init.json <<'PY'
import json, sys
import jsonschema
doc = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(doc)
sections = ["licenses", "datasets", "baseModels", "signers", "metadata", "compression",
            "integrity", "release", "bundle"]
for s in sections:
    assert "$comment" in doc[s], s
PY
run 2 "$M" policy init extra
run 2 "$M" policy frobnicate
expect_in err "unknown subcommand 'frobnicate' (check, init or sign)"

"$PY" "$HERE/policy_cases.py" "$M" "$MS_SRC/schemas"
