#!/usr/bin/env bash
# pack --spec end to end: lineage in the metadata and the signed statement,
# dataset directory hashing, parent bundles, flags overriding the spec,
# messages naming fields, and model card front matter.
. "$MS_SRC/tests/cli/lib.sh"
make_model model
"$M" keygen -o alice >/dev/null

# A parent bundle; its model manifest digest is what the child records.
run 0 "$M" pack model -o parent.mseal --key alice.key --name parent --version 1.0.0
parent=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
[ ${#parent} -eq 64 ] || fail "no manifest digest in the pack output"

# A dataset directory: nested, a dot-file, names whose order is bytewise.
mkdir -p ds/a ds/empty
printf 'ab\n' >ds/a/b
printf 'a.b\n' >ds/a.b
printf 'B\n' >ds/B
printf 'h\n' >ds/.hidden
# The documented digest, recomputed with coreutils.
ds_hex=$(cd ds && find . -type f -printf '%P\n' | LC_ALL=C sort | while IFS= read -r f; do
  printf '%s  %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"
done | sha256sum | cut -d' ' -f1)
calib=$(printf 'calibration' | sha256sum | cut -d' ' -f1)

mkdir specs
cat >specs/child.json <<JSON
{"specVersion": 1, "name": "child", "version": "2.0.0", "license": "mit",
 "description": "a child model", "authors": ["Ada", "Grace"],
 "card": {"intendedUse": "tests", "limitations": "tiny"},
 "baseModels": [{"name": "parent", "bundle": "../parent.mseal", "relation": "finetune",
                 "license": "Apache-2.0", "uri": "https://example.org/parent"}],
 "datasets": [{"name": "ds", "path": "../ds", "role": "training", "license": "CC-BY-4.0",
               "records": 4},
              {"name": "calib", "uri": "https://example.org/calib",
               "digest": "sha256:$calib", "role": "calibration"}]}
JSON
run 0 "$M" pack model -o child.mseal --key alice.key --spec specs/child.json
expect_in out "packed child 2.0.0: 4 files"
expect_not_in err "warning"
run 0 "$M" verify child.mseal --trust alice.pub
"$PY" "$HERE/bundle_tool.py" statement child.mseal >statement.json

# check.py BUNDLE NAME VERSION LICENSE DESCRIPTION [RECIPE_DEFAULT]
cat >check.py <<'PY'
import hashlib, json, sys, tarfile
import jsonschema
schemas, bundle, name, version, lic, desc = sys.argv[1:7]
want_recipe = sys.argv[7] if len(sys.argv) > 7 else None
ds_hex, calib, parent = open("digests").read().split()
st = json.load(open("statement.json"))
bd = st["predicate"]["buildDefinition"]
ext = bd["externalParameters"]
assert (ext["name"], ext["version"], ext["license"], ext["description"]) == \
    (name, version, lic, desc), ext
assert ext["spec"] == {"digest": {"sha256": hashlib.sha256(
    open("specs/child.json" if not want_recipe else "specs/recipe.json", "rb").read()).hexdigest()}}
if want_recipe:
    assert ext["recipe"]["default"] == want_recipe, ext["recipe"]
deps = bd["resolvedDependencies"]
files = [d for d in deps if "annotations" not in d]
assert sorted(d["name"] for d in files) == ["README.md", "config.json", "model.safetensors",
                                           "tokenizer.json"], files
lineage = [d for d in deps if "annotations" in d]
assert lineage == [
    {"name": "ds", "digest": {"sha256": ds_hex},
     "annotations": {"role": "training", "license": "CC-BY-4.0"}},
    {"name": "calib", "uri": "https://example.org/calib", "digest": {"sha256": calib},
     "annotations": {"role": "calibration"}},
    {"name": "parent", "uri": "https://example.org/parent", "digest": {"sha256": parent},
     "annotations": {"relation": "finetune", "license": "Apache-2.0"}},
], lineage
with tarfile.open(bundle) as t:
    blobs = {m.name: t.extractfile(m).read() for m in t.getmembers()}
idx = json.loads(blobs["index.json"])
man = json.loads(blobs["blobs/sha256/" + idx["manifests"][0]["digest"][7:]])
meta = [l for l in man["layers"] if l["mediaType"] == "application/vnd.modelseal.metadata.v1+json"]
doc = json.loads(blobs["blobs/sha256/" + meta[0]["digest"][7:]])
s = json.load(open(f"{schemas}/metadata-v1.schema.json"))
jsonschema.Draft202012Validator.check_schema(s)
jsonschema.Draft202012Validator(s).validate(doc)
assert (doc["name"], doc["version"], doc["license"]) == (name, version, lic)
assert doc["authors"] == ["Ada", "Grace"]
assert doc["card"] == {"intendedUse": "tests", "limitations": "tiny"}
assert doc["baseModels"] == [{"name": "parent", "uri": "https://example.org/parent",
                              "digest": "sha256:" + parent, "license": "Apache-2.0",
                              "relation": "finetune"}], doc["baseModels"]
assert doc["datasets"][0] == {"name": "ds", "digest": "sha256:" + ds_hex,
                              "license": "CC-BY-4.0", "role": "training", "records": 4}
# The spec validates against its own schema.
s = json.load(open(f"{schemas}/spec-v1.schema.json"))
jsonschema.Draft202012Validator.check_schema(s)
jsonschema.Draft202012Validator(s).validate(json.load(open("specs/child.json")))
print("checked", bundle)
PY
echo "$ds_hex $calib $parent" >digests
"$PY" check.py "$MS_SRC/schemas" child.mseal child 2.0.0 MIT "a child model"

# Flags override the spec.
run 0 "$M" pack model -o over.mseal --key alice.key --spec specs/child.json --name other \
  --version 3.0.0 --license Apache-2.0 --description "from the flags"
expect_in out "packed other 3.0.0"
"$PY" "$HERE/bundle_tool.py" statement over.mseal >statement.json
"$PY" check.py "$MS_SRC/schemas" over.mseal other 3.0.0 Apache-2.0 "from the flags"

# The spec's recipe, and --quantize replacing it.
"$PY" - <<'PY'
import json
d = json.load(open("specs/child.json"))
d["recipe"] = {"recipeVersion": 1, "default": "int8"}
json.dump(d, open("specs/recipe.json", "w"))
PY
run 0 "$M" pack model -o r1.mseal --key alice.key --spec specs/recipe.json
expect_in out "int8"
"$PY" "$HERE/bundle_tool.py" statement r1.mseal >statement.json
"$PY" check.py "$MS_SRC/schemas" r1.mseal child 2.0.0 MIT "a child model" int8
run 0 "$M" verify r1.mseal --trust alice.pub
run 0 "$M" pack model -o r2.mseal --key alice.key --spec specs/recipe.json --quantize q8_0
"$PY" "$HERE/bundle_tool.py" statement r2.mseal >statement.json
"$PY" check.py "$MS_SRC/schemas" r2.mseal child 2.0.0 MIT "a child model" q8_0

# Reproducible.
run 0 "$M" pack model -o child2.mseal --key alice.key --spec specs/child.json
cmp child.mseal child2.mseal || fail "packing with a spec is not reproducible"

# Errors name the file and the field.
spec_err() { # spec_err STATUS JSON MESSAGE
  printf '%s' "$2" >specs/bad.json
  run "$1" "$M" pack model -o bad.mseal --key alice.key --spec specs/bad.json
  expect_in err "modelseal pack: specs/bad.json: $3"
  [ ! -e bad.mseal ] || fail "a bundle was written"
}
spec_err 2 '{"specVersion":1,"name":"x","version":"1.0.0","datasets":[{"name":"d","uri":"u","role":"training","lisence":"MIT"}]}' \
  "datasets[0]: unknown field 'lisence' (did you mean 'license'?)"
spec_err 2 '{"specVersion":1,"nmae":"x"}' "unknown field 'nmae' (did you mean 'name'?)"
spec_err 2 '{"specVersion":1,"datasets":[{"name":"d","uri":"u","role":"qqq"}]}' \
  "datasets[0].role: unknown role 'qqq' (known: training, evaluation, calibration)"
spec_err 2 '{"specVersion":1,"baseModels":[{"name":"p","relation":"finetune","bundle":"../parent.mseal","digest":"sha256:'"$calib"'"}]}' \
  "baseModels[0]: digest sha256:$calib differs from the bundle's model manifest digest sha256:$parent"
spec_err 2 '{"specVersion":1,"datasets":[{"name":"d","path":"../ds","role":"training","digest":"sha256:'"$calib"'"}]}' \
  "datasets[0]: digest sha256:$calib differs from the content of 'path', sha256:$ds_hex"
spec_err 2 '{"specVersion":1,"license":"Apache-2"}' "license: "
spec_err 3 '{"specVersion":1,"datasets":[{"name":"d","path":"nope","role":"training"}]}' \
  "datasets[0].path: "
spec_err 3 '{"specVersion":1,' ""
# Name and version: from one source or the other.
printf '{"specVersion":1,"version":"1.0.0"}' >specs/noname.json
run 2 "$M" pack model -o bad.mseal --key alice.key --spec specs/noname.json
expect_in err "pack needs a model name: --name or \"name\" in specs/noname.json"
run 0 "$M" pack model -o named.mseal --key alice.key --spec specs/noname.json --name named
expect_in out "packed named 1.0.0"
run 2 "$M" pack model -o bad.mseal --key alice.key --version 1.0.0
expect_in err "missing --name"
run 2 "$M" pack model -o bad.mseal --key alice.key --spec specs/noname.json --name "Bad Name"
expect_in err "invalid --name 'Bad Name'"
run 0 "$M" pack --help
expect_in out "--spec FILE"

# Model card front matter: license, datasets and base model when nothing else says.
cp -r model carded
cat >carded/README.md <<'MD'
---
license: apache-2.0
datasets:
  - squad
  - "org/set"
base_model: org/base
base_model_relation: finetune
tags: [a, b]
oops no colon
---
# carded
MD
run 0 "$M" pack carded -o carded.mseal --key alice.key --name carded --version 1.0.0
expect_in err "modelseal pack: warning: README.md: line 9: expected 'key: value'; skipped"
run 0 "$M" verify carded.mseal --trust alice.pub
"$PY" "$HERE/bundle_tool.py" statement carded.mseal >statement.json
"$PY" - <<'PY'
import json
bd = json.load(open("statement.json"))["predicate"]["buildDefinition"]
assert bd["externalParameters"]["license"] == "Apache-2.0", bd["externalParameters"]
assert "spec" not in bd["externalParameters"]
lineage = [d for d in bd["resolvedDependencies"] if "annotations" in d]
assert lineage == [
    {"name": "squad", "uri": "https://huggingface.co/datasets/squad",
     "annotations": {"role": "training"}},
    {"name": "org/set", "uri": "https://huggingface.co/datasets/org/set",
     "annotations": {"role": "training"}},
    {"name": "org/base", "uri": "https://huggingface.co/org/base",
     "annotations": {"relation": "finetune"}},
], lineage
PY
# The spec wins over the card; the flags win over both.
run 0 "$M" pack carded -o carded2.mseal --key alice.key --spec specs/child.json --license BSD-3-Clause
"$PY" "$HERE/bundle_tool.py" statement carded2.mseal >statement.json
"$PY" - <<'PY'
import json
bd = json.load(open("statement.json"))["predicate"]["buildDefinition"]
assert bd["externalParameters"]["license"] == "BSD-3-Clause"
names = [d["name"] for d in bd["resolvedDependencies"] if "annotations" in d]
assert names == ["ds", "calib", "parent"], names
PY
echo "pack --spec: ok"
