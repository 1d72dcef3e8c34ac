#!/usr/bin/env bash
# modelseal audit: the text, JSON and DOT renderings of a bundle's lineage and
# license picture, exit statuses for bad input, and determinism.
. "$MS_SRC/tests/cli/lib.sh"
make_model model
"$M" keygen -o alice >/dev/null
"$M" keygen -o mallory >/dev/null

# A parent bundle, then a child: MIT declared, trained on CC-BY-NC-4.0 data
# (a conflict), evaluated on CC-BY-4.0 data, finetuned from an Apache-2.0 parent.
run 0 "$M" pack model -o parent.mseal --key alice.key --name parent --version 1.0.0 \
  --license Apache-2.0
parent=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
printf 'training data\n' >train.csv
printf 'evaluation data\n' >eval.csv
train_hex=$(sha256sum train.csv | cut -c1-64)
cat >spec.json <<JSON
{"specVersion": 1, "name": "child", "version": "2.0.0", "license": "MIT",
 "description": "a child model", "authors": ["Ada", "Grace"],
 "card": {"intendedUse": "tests", "limitations": "tiny"},
 "baseModels": [{"name": "parent", "bundle": "parent.mseal", "relation": "finetune",
                 "license": "Apache-2.0", "uri": "https://example.org/parent"}],
 "datasets": [
   {"name": "nc-data", "path": "train.csv", "license": "CC-BY-NC-4.0", "role": "training",
    "records": 1},
   {"name": "eval-data", "path": "eval.csv", "license": "CC-BY-4.0", "role": "evaluation"}
 ]}
JSON
run 0 "$M" pack model -o child.mseal --key alice.key --spec spec.json
child=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
bundle_hex=$(sha256sum child.mseal | cut -c1-64)

# Text.
run 0 "$M" audit child.mseal
expect_in out "bundle:      child.mseal"
expect_in out "             sha256:$bundle_hex, $(stat -c %s child.mseal) bytes"
expect_in out "model:       child 2.0.0"
expect_in out "manifest:    sha256:$child"
expect_in out "authors:     Ada"
expect_in out "signers:     1 signature, not verified (pass --trust to verify them)"
expect_in out "lineage:     1 base model, 2 datasets"
expect_in out "  |-- base model parent (finetune)"
expect_in out "  |       digest  sha256:$parent"
expect_in out "  |-- dataset nc-data (training, 1 record)"
expect_in out "  |       digest  sha256:$train_hex"
expect_in out "  \`-- dataset eval-data (evaluation)"
expect_in out "  declared:    MIT"
expect_in out "  concluded:   NOASSERTION"
expect_in out "  inherited:   noncommercial from dataset 'nc-data' (CC-BY-NC-4.0)"
expect_in out "  conflicts: 1"
expect_in out "    [noncommercial] "
expect_in out "compression: none (weights as packed)"
expect_in out "  intended use:     tests"
# Exit 0: conflicts are findings, not failures.

# With a trust set: verified signers.
run 0 "$M" audit child.mseal --trust alice.pub
expect_in out "signers:     1 signature, verified against the trust set"
expect_in out "  valid"
# A key that did not sign: rejected, the reason on stderr, nothing on stdout.
run 1 "$M" audit child.mseal --trust mallory.pub
expect_in err "no valid signature by a trusted key"
expect_in err "modelseal audit: child.mseal: rejected"
[ ! -s "$WORK/.out" ] || fail "a rejected bundle was audited"

# JSON, validated against schemas/audit-v1.schema.json, with the facts checked.
run 0 "$M" audit child.mseal --format json
cp "$WORK/.out" audit.json
"$PY" - "$MS_SRC/schemas/audit-v1.schema.json" audit.json "$parent" "$train_hex" "$bundle_hex" <<'PY'
import json, sys
import jsonschema
schema, doc, parent, train, bundle = sys.argv[1:6]
s = json.load(open(schema))
jsonschema.Draft202012Validator.check_schema(s)
d = json.load(open(doc))
jsonschema.Draft202012Validator(s).validate(d)
assert d["auditedAt"] == "2023-11-14T22:13:20Z", d["auditedAt"]  # SOURCE_DATE_EPOCH
assert d["bundle"]["digest"] == "sha256:" + bundle
assert d["model"]["name"] == "child" and d["model"]["authors"] == ["Ada", "Grace"]
assert d["signatures"] == {"verified": False, "signers": d["signatures"]["signers"]}
assert len(d["signatures"]["signers"]) == 1 and "verdict" not in d["signatures"]["signers"][0]
b = d["lineage"]["baseModels"]
assert [(x["name"], x["relation"], x["digest"], x["license"]) for x in b] == \
    [("parent", "finetune", "sha256:" + parent, "Apache-2.0")], b
ds = d["lineage"]["datasets"]
assert [(x["name"], x["role"]) for x in ds] == [("nc-data", "training"), ("eval-data", "evaluation")]
assert ds[0]["digest"] == "sha256:" + train and ds[0]["records"] == 1
assert ds[0]["licensing"]["flags"] == ["noncommercial", "attribution"], ds[0]["licensing"]
assert ds[1]["licensing"]["propagates"] is False
lic = d["licenses"]
assert lic["declared"] == "MIT" and lic["concluded"] is None
assert [(c["rule"], c["from"]) for c in lic["conflicts"]] == \
    [("noncommercial", {"kind": "dataset", "index": 0, "name": "nc-data"})], lic["conflicts"]
assert "noncommercial" in lic["inheritedFlags"]
assert {(a["from"]["name"], a["license"]) for a in lic["attributions"]} == \
    {("parent", "Apache-2.0"), ("nc-data", "CC-BY-NC-4.0")}, lic["attributions"]
assert d["compression"] is None
# The schema is not vacuous.
bad = dict(d); bad["licenses"] = dict(lic); bad["licenses"]["inherited"] = [{"condition": "x"}]
try:
    jsonschema.Draft202012Validator(s).validate(bad)
except jsonschema.ValidationError:
    pass
else:
    raise SystemExit("schema accepted a broken report")
PY

# JSON with --trust carries the verdicts.
run 0 "$M" audit child.mseal --format json --trust alice.pub
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["signatures"]; assert s["verified"] and s["signers"][0]["valid"] and s["signers"][0]["verdict"]=="valid", s' "$WORK/.out"

# DOT: the graph, escaped; rendered by graphviz when it is installed.
run 0 "$M" audit child.mseal --format dot
cp "$WORK/.out" lineage.dot
expect_in out "digraph lineage {"
expect_in out "  model [shape=box, color=red, label=\"child 2.0.0\\ndeclared: MIT\\nconcluded: NOASSERTION\\n1 license conflict\\nsha256:${child:0:12}\"];"
expect_in out "  base0 -> model [label=\"finetune\"];"
expect_in out "  data0 [shape=cylinder, color=red, label=\"nc-data\\nCC-BY-NC-4.0\\nsha256:${train_hex:0:12}\"];"
expect_in out "  data1 -> model [label=\"evaluation\", style=dashed];"
if command -v dot >/dev/null; then
  dot -Tsvg lineage.dot >lineage.svg || fail "graphviz refused the DOT output"
fi

# -o FILE writes the same bytes; two runs give the same bytes.
run 0 "$M" audit child.mseal --format json -o out.json
cmp out.json audit.json || fail "-o and standard output differ"
run 0 "$M" audit child.mseal --format json -o again.json
cmp again.json audit.json || fail "audit is not deterministic"

# A bundle without lineage or license: warnings, no conflicts.
run 0 "$M" pack model -o bare.mseal --key alice.key --name bare --version 0.1.0
run 0 "$M" audit bare.mseal
expect_in out "lineage:     0 base models, 0 datasets"
expect_in out "  declared:    NOASSERTION"
expect_in out "    [no-declared-license] "
expect_not_in out "conflicts:"

# A compressed bundle: the compression summary.
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
run 0 "$M" pack wide -o q.mseal --key alice.key --name q --version 1.0.0 --license MIT \
  --quantize q8_0
run 0 "$M" audit q.mseal
expect_in out "compression: "
expect_in out "q8_0 x"
expect_in out "  integrity probes: recorded"
run 0 "$M" audit q.mseal --format json
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["compression"]; assert c["probes"] is True and c["total"]["bitsPerWeight"] > 8, c' "$WORK/.out"

# Hostile names from a bundle never reach the terminal or the DOT file raw.
cat >hostile.json <<'JSON'
{"specVersion": 1, "name": "hostile", "version": "1.0.0", "license": "MIT",
 "datasets": [{"name": "evil\u001b[2J\u202e\u0085\"}; x -> y; {\"", "uri": "u", "license": "MIT",
               "role": "training"}]}
JSON
run 0 "$M" pack model -o hostile.mseal --key alice.key --spec hostile.json
run 0 "$M" audit hostile.mseal
expect_not_in out $'\033'
expect_in out 'dataset evil\x1b[2J\u202e\u0085"}; x -> y; {" (training)'
run 0 "$M" audit hostile.mseal --format dot
expect_not_in out $'\033'
expect_not_in out $'\xe2\x80\xae'
expect_not_in out $'\xc2\x85'
expect_in out 'label="evil[2J\"}; x -> y; {\"\nMIT"'
run 0 "$M" audit hostile.mseal --format json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["lineage"]["datasets"][0]["name"].startswith("evil\x1b[2J")' "$WORK/.out"

# Damaged input: named, never audited.
"$PY" "$HERE/bundle_tool.py" tamper child.mseal t.mseal weights
run 1 "$M" audit t.mseal
expect_in err "content hashes to sha256:"
head -c 2000 child.mseal >trunc.mseal
run 3 "$M" audit trunc.mseal
expect_in err "modelseal audit: trunc.mseal: truncated"
run 3 "$M" audit missing.mseal
expect_in err "missing.mseal"

# Usage errors.
run 2 "$M" audit child.mseal --format xml
expect_in err "modelseal audit: unknown format 'xml' (text, json, spdx, cyclonedx or dot)"
run 2 "$M" audit
expect_in err "modelseal audit: missing BUNDLE"
run 2 "$M" audit child.mseal --at 2026-01-01T00:00:00Z
expect_in err "--at needs --trust"
run 2 "$M" audit child.mseal extra
expect_in err "unexpected argument 'extra'"
run 0 "$M" audit --help
expect_in out "usage: modelseal audit BUNDLE"
run 3 "$M" audit child.mseal -o no/such/dir/out.txt
expect_in err "modelseal audit: no/such/dir/out.txt: cannot create: No such file or directory"
echo "audit: ok"
