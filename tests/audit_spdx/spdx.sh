#!/usr/bin/env bash
# modelseal audit --format spdx: SPDX 3.0.1 JSON-LD documents for bundles
# packed from specs (every dataset role, base models, no lineage, a license
# conflict, hostile text), validated by check_spdx.py against the official
# schema and the rules it does not express; determinism; and the checker
# itself must reject broken documents.
. "$MS_SRC/tests/cli/lib.sh"
SPDX_DIR="$MS_SRC/tests/audit_spdx"
SCHEMA="$SPDX_DIR/schema"
check() { # check DOC [EXPECT]: the checker must accept
  if [ $# -eq 2 ]; then
    run 0 "$PY" "$SPDX_DIR/check_spdx.py" "$SCHEMA" "$1" --expect "$2"
  else
    run 0 "$PY" "$SPDX_DIR/check_spdx.py" "$SCHEMA" "$1"
  fi
  expect_in out "ok: $1"
}
reject() { # reject DOC MESSAGE [EXPECT]: the checker must refuse, saying MESSAGE
  if [ $# -eq 3 ]; then
    run 1 "$PY" "$SPDX_DIR/check_spdx.py" "$SCHEMA" "$1" --expect "$3"
  else
    run 1 "$PY" "$SPDX_DIR/check_spdx.py" "$SCHEMA" "$1"
  fi
  expect_in err "$2"
}

make_model model
"$M" keygen -o alice >/dev/null

# ---- 1. Full lineage and a license conflict --------------------------------
# A parent bundle; an MIT child fine-tuned from it, trained on CC-BY-NC-4.0
# data (a conflict), evaluated on CC-BY-4.0 data, calibrated on unlicensed
# data; a second, quantized base model known by digest only, under a model
# license (a LicenseRef- with a known text URL).
run 0 "$M" pack model -o parent.mseal --key alice.key --name parent --version 1.0.0 \
  --license Apache-2.0
parent=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
[ ${#parent} -eq 64 ] || fail "no manifest digest in the pack output"
printf 'training data\n' >train.csv
printf 'evaluation data\n' >eval.csv
train_hex=$(sha256sum train.csv | cut -c1-64)
eval_hex=$(sha256sum eval.csv | cut -c1-64)
calib_hex=$(printf 'calibration' | sha256sum | cut -c1-64)
other_hex=$(printf 'other parent' | sha256sum | cut -c1-64)
cat >full.json <<JSON
{"specVersion": 1, "name": "child", "version": "2.0.0-rc.1+build.5", "license": "mit",
 "description": "a child model", "authors": ["Ada", "Grace"],
 "card": {"intendedUse": "tests", "outOfScopeUse": "production", "limitations": "tiny"},
 "baseModels": [
   {"name": "parent", "bundle": "parent.mseal", "relation": "finetune",
    "license": "Apache-2.0", "uri": "https://example.org/parent"},
   {"name": "llama-ish", "digest": "sha256:$other_hex", "relation": "quantized",
    "license": "LicenseRef-Llama-3-Community"}],
 "datasets": [
   {"name": "nc-data", "path": "train.csv", "license": "CC-BY-NC-4.0", "role": "training",
    "records": 1438, "uri": "https://example.org/train"},
   {"name": "eval-data", "path": "eval.csv", "license": "CC-BY-4.0", "role": "evaluation",
    "records": 359},
   {"name": "calib-data", "uri": "https://example.org/calib", "digest": "sha256:$calib_hex",
    "role": "calibration"}]}
JSON
run 0 "$M" pack model -o full.mseal --key alice.key --spec full.json
child=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
full_hex=$(sha256sum full.mseal | cut -c1-64)
run 0 "$M" audit full.mseal --format spdx
cp "$WORK/.out" full.spdx.json
cat >full.expect.json <<JSON
{"model": {"name": "child", "version": "2.0.0-rc.1+build.5", "description": "a child model",
           "limitation": "tiny", "bundle_sha256": "$full_hex", "manifest": "$child",
           "purl": "pkg:oci/child@sha256%3A$child", "authors": ["Ada", "Grace"],
           "declared": "MIT", "concluded": null,
           "comment_contains": ["Declared license: MIT; concluded license: NOASSERTION",
                                "noncommercial from dataset 'nc-data' (CC-BY-NC-4.0)",
                                "Signatures: 1, not verified"]},
 "bases": [
   {"name": "parent", "sha256": "$parent", "uri": "https://example.org/parent",
    "declared": "Apache-2.0", "concluded": null, "rel": "ancestorOf",
    "rel_comment_contains": ["finetune"]},
   {"name": "llama-ish", "sha256": "$other_hex", "declared": "LicenseRef-Llama-3-Community",
    "concluded": null, "rel": "ancestorOf", "rel_comment_contains": ["quantized"]}],
 "datasets": [
   {"name": "nc-data", "sha256": "$train_hex", "uri": "https://example.org/train",
    "declared": "CC-BY-NC-4.0", "concluded": null, "rel": "trainedOn",
    "comment_contains": ["role 'training', 1438 records"]},
   {"name": "eval-data", "sha256": "$eval_hex", "declared": "CC-BY-4.0", "concluded": null,
    "rel": "testedOn", "comment_contains": ["role 'evaluation', 359 records"]},
   {"name": "calib-data", "sha256": "$calib_hex", "uri": "https://example.org/calib",
    "declared": null, "concluded": null, "rel": "trainedOn",
    "rel_comment_contains": ["calibration data"]}],
 "files": 4,
 "statements": ["license conflict [noncommercial] (dataset 'nc-data')"]}
JSON
check full.spdx.json full.expect.json
# The whole document in one schema pass gives the same verdict (slower).
run 0 "$PY" "$SPDX_DIR/check_spdx.py" --whole "$SCHEMA" full.spdx.json
# The facts the generic checker does not look at.
"$PY" - full.spdx.json <<'PY' || fail "full: document facts"
import json, sys
doc = json.load(open(sys.argv[1]))
g = {o.get("spdxId", o.get("@id")): o for o in doc["@graph"]}
ci = g["_:creationinfo"]
assert ci["created"] == "2023-11-14T22:13:20Z", ci            # SOURCE_DATE_EPOCH=1700000000
assert g[ci["createdBy"][0]]["type"] == "SoftwareAgent"
assert g[ci["createdUsing"][0]]["name"].startswith("modelseal "), ci
ids = [o["spdxId"] for o in doc["@graph"] if "spdxId" in o]
assert all(i.startswith("urn:modelseal:bundle:sha256:") for i in ids), ids
model = [o for o in doc["@graph"] if o["type"] == "SpdxDocument"][0]["rootElement"][0]
m = g[model]
assert m["software_primaryPurpose"] == "model"
assert m["ai_informationAboutApplication"] == "Intended use: tests\nOut-of-scope use: production"
assert "builtTime" in m and m["builtTime"] == "2023-11-14T22:13:20Z", m
# One LicenseExpression per distinct expression; the LicenseRef maps to its text.
exprs = [o["simplelicensing_licenseExpression"] for o in doc["@graph"]
         if o["type"] == "simplelicensing_LicenseExpression"]
assert len(exprs) == len(set(exprs)), exprs
llama = [o for o in doc["@graph"] if o.get("simplelicensing_licenseExpression")
         == "LicenseRef-Llama-3-Community"][0]
assert llama["simplelicensing_customIdToUri"] == [
    {"type": "DictionaryEntry", "key": "LicenseRef-Llama-3-Community",
     "value": "https://github.com/meta-llama/llama3/blob/main/LICENSE"}], llama
assert all(o["simplelicensing_licenseListVersion"] == "3.27.0" for o in doc["@graph"]
           if o["type"] == "simplelicensing_LicenseExpression")
# Findings: conflicts and warnings are review annotations, notes "other".
anns = [o for o in doc["@graph"] if o["type"] == "Annotation"]
assert anns and all(a["subject"] == model for a in anns)
for a in anns:
    kind = a["statement"].split(" ")[1]
    assert a["annotationType"] == ("other" if kind == "note" else "review"), a
# pack recorded the canonical spelling ("mit" became "MIT"): nothing to note.
decl = [o for o in doc["@graph"] if o["type"] == "Relationship"
        and o["relationshipType"] == "hasDeclaredLicense" and o["from"] == model][0]
assert "comment" not in decl, decl
# Datasets: the data type is not known to modelseal.
for o in doc["@graph"]:
    if o["type"] == "dataset_DatasetPackage":
        assert o["dataset_datasetType"] == ["noAssertion"] and o["software_primaryPurpose"] == "data"
PY

# Determinism: the same bundle and time give the same bytes; another time
# changes only the creation time.
run 0 "$M" audit full.mseal --format spdx
cmp -s "$WORK/.out" full.spdx.json || fail "two audits of one bundle differ"
run 0 "$M" pack model -o full2.mseal --key alice.key --spec full.json
cmp -s full.mseal full2.mseal || fail "packing is not deterministic"
run 0 "$M" audit full2.mseal --format spdx
cmp -s "$WORK/.out" full.spdx.json || fail "audits of identical bundles differ"
SOURCE_DATE_EPOCH=1800000000 run 0 "$M" audit full.mseal --format spdx
cp "$WORK/.out" later.json
"$PY" - full.spdx.json later.json <<'PY' || fail "a later audit differs in more than its creation time"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["@graph"][0]["created"] == "2027-01-15T08:00:00Z", b["@graph"][0]
b["@graph"][0]["created"] = a["@graph"][0]["created"]
assert a == b
PY
# -o writes the same document.
run 0 "$M" audit full.mseal --format spdx -o written.json
cmp -s written.json full.spdx.json || fail "-o wrote a different document"

# Verified signatures are reported as such.
run 0 "$M" audit full.mseal --format spdx --trust alice.pub
cp "$WORK/.out" verified.json
check verified.json
grep -qF 'Signatures: 1, verified against a trust set: 1 valid by a trusted key.' verified.json ||
  fail "verified signatures not in the model comment"

# ---- 2. No lineage at all; compressed weights ------------------------------
run 0 "$M" pack model -o plain.mseal --key alice.key --name plain --version 1.0.0 \
  --license Apache-2.0 --quantize q8_0
run 0 "$M" audit plain.mseal --format spdx
cp "$WORK/.out" plain.json
cat >plain.expect.json <<JSON
{"model": {"name": "plain", "version": "1.0.0", "declared": "Apache-2.0",
           "concluded": "Apache-2.0", "comment_contains": ["Compression: weights stored compressed",
           "0 conflicts, 0 warnings"]},
 "bases": [], "datasets": [], "annotations": {"review": 0}}
JSON
check plain.json plain.expect.json

# No license anywhere: NoAssertion, declared and concluded.
run 0 "$M" pack model -o bare.mseal --key alice.key --name bare --version 0.0.1
run 0 "$M" audit bare.mseal --format spdx
cp "$WORK/.out" bare.json
cat >bare.expect.json <<JSON
{"model": {"name": "bare", "declared": null, "concluded": null},
 "bases": [], "datasets": []}
JSON
check bare.json bare.expect.json
grep -qF '"to": ["expandedlicensing_NoAssertionLicense"]' bare.json ||
  grep -qF '"expandedlicensing_NoAssertionLicense"' bare.json || fail "no NoAssertionLicense"

# ---- 3. Hostile text: quotes, backslashes, control bytes, unicode ----------
# Every string must come out exactly as recorded (JSON-escaped, never cut).
"$PY" - <<'PY'
import json
weird = 'q"uo\\te \u0001\u001b[2J\t\n\u007f é中文🙂 \u202egnp.exe \ufeff </script>'
long_desc = "long " * 13000  # 65,000 bytes: kept whole
spec = {"specVersion": 1, "name": "hostile", "version": "1.0.0", "license": "MIT",
        "description": long_desc, "authors": [weird, "\"quoted\" author"],
        "card": {"limitations": weird, "intendedUse": "a \u0008 backspace"},
        "baseModels": [{"name": weird, "digest": "sha256:" + "ab" * 32, "relation": "merge",
                        "uri": "https://example.org/a b\"c"}],
        "datasets": [{"name": weird + " train", "digest": "sha256:" + "cd" * 32,
                      "role": "training", "license": "CC-BY-SA-4.0",
                      "uri": "file:///\u0007bell"},
                     {"name": "\u2028line sep", "digest": "sha256:" + "ef" * 32,
                      "role": "evaluation"}]}
json.dump(spec, open("hostile.json", "w"), ensure_ascii=False)
json.dump({"model": {"name": "hostile", "description": long_desc, "limitation": weird,
                     "authors": [weird, "\"quoted\" author"], "declared": "MIT"},
           "bases": [{"name": weird, "sha256": "ab" * 32, "uri": "https://example.org/a b\"c",
                      "declared": None, "rel": "ancestorOf", "rel_comment_contains": ["merge"]}],
           "datasets": [{"name": weird + " train", "sha256": "cd" * 32, "uri": "file:///\u0007bell",
                         "declared": "CC-BY-SA-4.0", "rel": "trainedOn"},
                        {"name": "\u2028line sep", "sha256": "ef" * 32, "rel": "testedOn"}]},
          open("hostile.expect.json", "w"))
PY
run 0 "$M" pack model -o hostile.mseal --key alice.key --spec hostile.json
run 0 "$M" audit hostile.mseal --format spdx
cp "$WORK/.out" hostile.spdx.json
check hostile.spdx.json hostile.expect.json
# No raw control byte reaches the output (cJSON escapes them).
if LC_ALL=C grep -q "$(printf '[\001-\010\013\014\016-\037]')" hostile.spdx.json; then
  fail "a raw control byte in the SPDX output"
fi

# ---- 4. The checker rejects broken documents --------------------------------
mutate() { # mutate OUT PYTHON-STATEMENTS: edit full.spdx.json as `doc`, `g` (by id), `rels`
  "$PY" - "$1" "$2" <<'PY'
import json, sys
out, code = sys.argv[1], sys.argv[2]
doc = json.load(open("full.spdx.json"))
g = {o.get("spdxId", o.get("@id")): o for o in doc["@graph"]}
rels = [o for o in doc["@graph"] if o["type"] == "Relationship"]
model = [o for o in doc["@graph"] if o["type"] == "SpdxDocument"][0]["rootElement"][0]
datasets = [o for o in doc["@graph"] if o["type"] == "dataset_DatasetPackage"]
exec(code)
open(out, "w").write(json.dumps(doc, indent=2) + "\n")
PY
}
mutate bad1.json 'doc["@graph"].remove([r for r in rels if r["relationshipType"] == "hasConcludedLicense" and r["from"] == model][0])'
reject bad1.json "0 hasConcludedLicense relationships, expected exactly 1"
mutate bad2.json 'r = dict([r for r in rels if r["relationshipType"] == "hasDeclaredLicense"][-1]); r["spdxId"] += "x"; doc["@graph"].append(r)'
reject bad2.json "2 hasDeclaredLicense relationships, expected exactly 1"
mutate bad3.json 'datasets[1]["spdxId"] = datasets[0]["spdxId"]'
reject bad3.json "is not unique"
mutate bad4.json '[r for r in rels if r["relationshipType"] == "trainedOn"][0]["to"] = ["urn:nowhere:x"]'
reject bad4.json "to 'urn:nowhere:x' is not a dataset_DatasetPackage of the graph"
mutate bad5.json '[o for o in doc["@graph"] if o["type"] == "SpdxDocument"][0]["rootElement"] = [datasets[0]["spdxId"]]'
reject bad5.json "is not exactly one ai_AIPackage of the graph"
mutate bad6.json 'datasets[0]["verifiedUsing"][0]["hashValue"] = datasets[0]["verifiedUsing"][0]["hashValue"].upper()'
reject bad6.json "is not 64 lower-case hex digits"
mutate bad7.json 'del datasets[0]["dataset_datasetType"]'
reject bad7.json "schema: at /@graph/"
run 1 "$PY" "$SPDX_DIR/check_spdx.py" --whole "$SCHEMA" bad7.json
expect_in err "schema: at /"
mutate bad8.json 'g[model]["modelseal_extra"] = "x"'
reject bad8.json "key 'modelseal_extra' is not an SPDX 3.0.1 term"
mutate bad9.json 'datasets[0]["creationInfo"] = "_:elsewhere"'
reject bad9.json "creationInfo '_:elsewhere' is not a CreationInfo of the graph"
mutate bad10.json '[r for r in rels if r["relationshipType"] == "ancestorOf"][0]["relationshipType"] = "descendantOf"'
reject bad10.json "unexpected relationship type 'descendantOf'"
mutate bad11.json 'lic = [o for o in doc["@graph"] if o["type"] == "simplelicensing_LicenseExpression"][0]; lic["simplelicensing_licenseExpression"] = "MIT OR NOASSERTION"'
reject bad11.json "NOASSERTION/NONE inside a license expression"
mutate bad12.json 'g[model]["verifiedUsing"] = []'
reject bad12.json "the model has no verifiedUsing hash"
mutate bad13.json 'g["_:creationinfo"]["created"] = "2023-11-14T22:13:20+01:00"'
reject bad13.json "schema: at /@graph/0"
# The scenario expectations bite too: a training set declared as tested on.
mutate bad14.json '[r for r in rels if r["relationshipType"] == "trainedOn"][0]["relationshipType"] = "testedOn"'
reject bad14.json "no trainedOn relationship with the model" full.expect.json
mutate bad15.json 'datasets[0]["name"] = "other"'
reject bad15.json "name 'other', expected 'nc-data'" full.expect.json
# Unchanged, the document still passes: the mutations are what failed.
mutate same.json 'pass'
check same.json full.expect.json
printf '%s' "$(cat same.json)" >nonl.json
reject nonl.json "does not end with a newline"
echo "audit-spdx: ok"
