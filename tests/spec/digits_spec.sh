#!/usr/bin/env bash
# The shipped spec, examples/digits/modelseal.json: it packs the trained digits
# model, verifies, and records the dataset with the digest of digits.csv.gz.
. "$MS_SRC/tests/cli/lib.sh"
train=$1
spec="$MS_SRC/examples/digits/modelseal.json"
data="$MS_SRC/examples/digits/digits.csv.gz"
run 0 "$train" "$data" model
"$M" keygen -o alice >/dev/null
run 0 "$M" pack model -o digits.mseal --key alice.key --spec "$spec"
expect_in out "packed digits-mlp 1.0.0: 3 files"
expect_not_in err "warning"
run 0 "$M" verify digits.mseal --trust alice.pub
# Packed again: the same bytes.
run 0 "$M" pack model -o again.mseal --key alice.key --spec "$spec"
cmp digits.mseal again.mseal || fail "packing with a spec is not reproducible"
"$PY" "$HERE/bundle_tool.py" statement digits.mseal >statement.json
"$PY" - "$MS_SRC/schemas" "$spec" digits.mseal <<'PY'
import hashlib, json, sys, tarfile
import jsonschema
schemas, spec, bundle = sys.argv[1:4]
st = json.load(open("statement.json"))
bd = st["predicate"]["buildDefinition"]
want = "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"
ds = [d for d in bd["resolvedDependencies"] if "annotations" in d]
assert [(d["annotations"]["role"], d["digest"]["sha256"]) for d in ds] == \
    [("training", want), ("evaluation", want)], ds
assert all(d["annotations"]["license"] == "CC-BY-4.0" for d in ds)
assert ds[0]["uri"] == "https://archive.ics.uci.edu/dataset/80"
assert bd["externalParameters"]["spec"]["digest"]["sha256"] == \
    hashlib.sha256(open(spec, "rb").read()).hexdigest()
assert bd["externalParameters"]["license"] == "CC-BY-4.0"
with tarfile.open(bundle) as t:
    blobs = {m.name: t.extractfile(m).read() for m in t.getmembers()}
idx = json.loads(blobs["index.json"])
man = json.loads(blobs["blobs/sha256/" + idx["manifests"][0]["digest"][7:]])
meta = [l for l in man["layers"] if l["mediaType"] == "application/vnd.modelseal.metadata.v1+json"]
doc = json.loads(blobs["blobs/sha256/" + meta[0]["digest"][7:]])
s = json.load(open(f"{schemas}/metadata-v1.schema.json"))
jsonschema.Draft202012Validator.check_schema(s)
jsonschema.Draft202012Validator(s).validate(doc)
assert [d["records"] for d in doc["datasets"]] == [1438, 359]
assert doc["card"]["intendedUse"].startswith("Demonstrating")
# The spec itself validates against its schema.
s = json.load(open(f"{schemas}/spec-v1.schema.json"))
jsonschema.Draft202012Validator.check_schema(s)
jsonschema.Draft202012Validator(s).validate(json.load(open(spec)))
PY
echo "digits spec: ok"
