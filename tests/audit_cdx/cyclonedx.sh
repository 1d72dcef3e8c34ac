#!/usr/bin/env bash
# modelseal audit --format cyclonedx: real bundles (lineage of every kind, none
# at all, compressed or not, a license conflict, hostile names) give CycloneDX
# 1.6 BOMs that validate against the official schema and pass check_cdx.py's
# rules (docs/audit.md, "CycloneDX 1.6 export"); the output is deterministic;
# and check_cdx.py rejects broken BOMs, so it cannot pass vacuously.
. "$MS_SRC/tests/cli/lib.sh"
CDX="$MS_SRC/tests/audit_cdx"
check() { "$PY" "$CDX/check_cdx.py" "$@"; }
# bom BUNDLE OUT [audit options]: the BOM, plus OUT.audit.json, the JSON audit.
bom() {
  local b=$1 o=$2
  shift 2
  run 0 "$M" audit "$b" --format cyclonedx "$@"
  cp "$WORK/.out" "$o"
  run 0 "$M" audit "$b" --format json "$@"
  cp "$WORK/.out" "$o.audit.json"
}

make_model model
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
"$M" keygen -o alice >/dev/null

# --- 1. Full lineage, q8_0: a base model (from its bundle), datasets of each role,
# a license conflict (CC-BY-NC-4.0 training data under a CC-BY-4.0 model).
run 0 "$M" pack model -o base.mseal --key alice.key --name tiny-base --version 1.0.0 \
  --license Apache-2.0
base_hex=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
printf 'x,y\n1,2\n3,4\n' >train.csv
train_hex=$(sha256sum train.csv | cut -c1-64)
cat >full.json <<JSON
{"specVersion": 1, "name": "wide-ft", "version": "1.2.0-rc.1+build.7",
 "description": "a wide test model", "authors": ["Ada", "Grace"], "license": "CC-BY-4.0",
 "card": {"intendedUse": "Testing exports.", "outOfScopeUse": "Anything real.",
          "limitations": "Random weights."},
 "baseModels": [{"name": "tiny-base", "bundle": "base.mseal", "relation": "finetune",
                 "license": "Apache-2.0", "uri": "https://example.org/tiny-base"}],
 "datasets": [
   {"name": "train-nc", "path": "train.csv", "license": "CC-BY-NC-4.0", "role": "training",
    "records": 2},
   {"name": "eval", "uri": "https://example.org/eval", "license": "MIT", "role": "evaluation",
    "digest": "sha256:46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a",
    "records": 359},
   {"name": "calib", "uri": "https://example.org/calib", "license": "CC0-1.0",
    "role": "calibration"}
 ]}
JSON
run 0 "$M" pack wide -o full.mseal --key alice.key --spec full.json --quantize q8_0
full_hex=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
bom full.mseal full.cdx.json
check full.cdx.json --audit full.cdx.json.audit.json --datasets 3 --base-models 1 --files 2 \
  --compressed yes --conflicts 1
"$PY" - full.cdx.json "$base_hex" "$train_hex" "$full_hex" "$(sha256sum full.mseal | cut -c1-64)" <<'PY'
import json, sys
bom, base, train, man, bundle = sys.argv[1:6]
d = json.load(open(bom))
m = d["metadata"]["component"]
P = lambda o: {p["name"]: p["value"] for p in o.get("properties", [])}
assert m["name"] == "wide-ft" and m["version"] == "1.2.0-rc.1+build.7", m
assert m["hashes"] == [{"alg": "SHA-256", "content": man}]
assert m["purl"] == f"pkg:oci/wide-ft@sha256%3A{man}", m["purl"]
assert m["externalReferences"] == [{"url": "full.mseal", "type": "distribution",
                                    "hashes": [{"alg": "SHA-256", "content": bundle}]}]
assert m["licenses"] == [{"expression": "CC-BY-4.0", "acknowledgement": "declared"}]
assert m["authors"] == [{"name": "Ada"}, {"name": "Grace"}]
assert d["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"   # SOURCE_DATE_EPOCH
assert P(m)["dev.modelseal:license.concluded"] == "NOASSERTION"
assert P(m)["dev.modelseal:license.inherited"] == "noncommercial: CC-BY-NC-4.0 (dataset-0)"
assert P(m)["dev.modelseal:license.conflict"].startswith("noncommercial: dataset 'train-nc'")
card = m["modelCard"]
assert card["considerations"] == {"useCases": ["Testing exports."],
    "technicalLimitations": ["Random weights.", "Out-of-scope use: Anything real."]}
metrics = {(x["type"], x["slice"].split(":")[0]): x["value"]
           for x in card["quantitativeAnalysis"]["performanceMetrics"]}
assert metrics[("bits per weight", "all float tensors (23840 weights)")], metrics
assert float(metrics[("SQNR (dB)", "worst tensor")]) > 30, metrics
assert float(metrics[("probe SQNR (dB)", "worst probed tensor (of 3)")]) > 30, metrics
(anc,) = m["pedigree"]["ancestors"]
assert anc["hashes"][0]["content"] == base and anc["purl"].endswith("%3A" + base)
assert P(anc)["dev.modelseal:relation"] == "finetune"
assert anc["externalReferences"] == [{"url": "https://example.org/tiny-base",
                                      "type": "distribution"}]
data = d["components"]
assert [c["name"] for c in data] == ["train-nc", "eval", "calib"]
assert [P(c)["dev.modelseal:role"] for c in data] == ["training", "evaluation", "calibration"]
assert data[0]["hashes"][0]["content"] == train and P(data[0])["dev.modelseal:records"] == "2"
assert data[0]["data"][0]["description"] == "training data, 2 records"
assert data[1]["data"][0]["contents"] == {"url": "https://example.org/eval"}
assert "hashes" not in data[2]                  # a uri only: a claim, nothing to hash
assert data[2]["licenses"] == [{"expression": "CC0-1.0", "acknowledgement": "declared"}]
assert d["dependencies"] == [{"ref": "model", "dependsOn": ["dataset-0", "dataset-1", "dataset-2"]}]
assert [a["subjects"] for a in d["annotations"]] == [["model", "dataset-0"]]
assert [f["name"] for f in m["components"]] == ["config.json", "model.safetensors"]
PY

# --- 2. Deterministic: the same bundle and time give the same bytes (-o too); another
# time changes the timestamp and the serial number, nothing else.
run 0 "$M" audit full.mseal --format cyclonedx -o again.json
cmp full.cdx.json again.json || fail "two audits of one bundle differ"
cp full.mseal elsewhere.mseal
SOURCE_DATE_EPOCH=1800000000 "$M" audit elsewhere.mseal --format cyclonedx >later.json
"$PY" - full.cdx.json later.json <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["serialNumber"] != b["serialNumber"]
assert b["metadata"]["timestamp"] == "2027-01-15T08:00:00Z", b["metadata"]["timestamp"]
for d in (a, b):
    d.pop("serialNumber"); d["metadata"].pop("timestamp")
    for x in d.get("annotations", []):
        x.pop("timestamp")
    d["metadata"]["component"]["externalReferences"][0].pop("url")
assert a == b, "the BOM depends on more than the bundle and the time"
PY

# --- 3. No lineage at all, no license, uncompressed: no data components, no
# ancestors, no dependencies, no fidelity figures.
run 0 "$M" pack model -o bare.mseal --key alice.key --name bare --version 0.1.0
bom bare.mseal bare.cdx.json
check bare.cdx.json --audit bare.cdx.json.audit.json --datasets 0 --base-models 0 --files 4 \
  --compressed no --conflicts 0
"$PY" - bare.cdx.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["metadata"]["component"]
for k in ("components", "dependencies"):
    assert k not in d, k
# no license: one warning, as a property and an annotation on the model alone
assert [(a["subjects"], a["text"].split(":")[0]) for a in d["annotations"]] == [
    (["model"], "license warning [no-declared-license]")], d["annotations"]
for k in ("licenses", "pedigree", "modelCard", "authors", "description"):
    assert k not in m, k
P = {p["name"]: p["value"] for p in m["properties"]}
assert P["dev.modelseal:compression"] == "none"
assert P["dev.modelseal:license.declared"] == "NOASSERTION"
assert [f["type"] for f in m["components"]] == ["file"] * 4
PY

# --- 4. Uncompressed with lineage and no conflict; an adapter's base is a
# dependency; a base model known by digest only; signers verified with --trust.
cat >clean.json <<JSON
{"specVersion": 1, "name": "adapted", "version": "2.0.0", "license": "Apache-2.0",
 "baseModels": [
   {"name": "tiny-base", "digest": "sha256:$base_hex", "relation": "adapter", "license": "MIT"},
   {"name": "other", "digest": "sha256:$(printf '%064d' 7)", "relation": "merge"}],
 "datasets": [{"name": "eval", "digest": "sha256:$train_hex", "role": "evaluation",
               "license": "CC-BY-NC-4.0"}]}
JSON
run 0 "$M" pack model -o clean.mseal --key alice.key --spec clean.json
bom clean.mseal clean.cdx.json --trust alice.pub
check clean.cdx.json --audit clean.cdx.json.audit.json --datasets 1 --base-models 2 \
  --compressed no --conflicts 0
"$PY" - clean.cdx.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["metadata"]["component"]
assert d["dependencies"] == [{"ref": "model", "dependsOn": ["dataset-0", "base-model-0"]}]
assert [a["name"] for a in m["pedigree"]["ancestors"]] == ["tiny-base", "other"]
assert "licenses" not in m["pedigree"]["ancestors"][1]
P = {}
for p in m["properties"]:
    P.setdefault(p["name"], []).append(p["value"])
assert P["dev.modelseal:signatures.verified"] == ["true"]
assert len(P["dev.modelseal:signer"]) == 1 and P["dev.modelseal:signer"][0].endswith(" verdict=valid")
assert "modelParameters" in m["modelCard"] and "quantitativeAnalysis" not in m["modelCard"]
PY

# --- 5. Hostile names: quotes, backslashes, control bytes, bidi overrides, a
# would-be "urn:cdx:" ref, "</script>", two datasets with one name; a base
# model name that needs percent-encoding in its purl; a URI with spaces.
"$PY" - "$base_hex" "$train_hex" >hostile.json <<'PY'
import json, sys
base, train = sys.argv[1:3]
evil = 'x"\\\n\t\u001b[2J\u202e\u0007 urn:cdx:model </script> \u00e9\U0001F600'
print(json.dumps({"specVersion": 1, "name": "hostile", "version": "1.0.0",
    "description": evil, "authors": [evil, "model"], "license": "MIT",
    "card": {"intendedUse": evil, "outOfScopeUse": evil, "limitations": evil},
    "baseModels": [{"name": "Org/Model Name+1 " + evil, "digest": "sha256:" + base,
                    "relation": "quantized", "uri": "https://example.org/a b"}],
    "datasets": [
        {"name": evil, "digest": "sha256:" + train, "role": "training", "license": "MIT"},
        {"name": evil, "digest": "sha256:" + train, "role": "training", "license": "MIT"},
        {"name": "dataset-0", "uri": "javascript:alert(1)", "role": "evaluation"}]}))
PY
run 0 "$M" pack wide -o hostile.mseal --key alice.key --spec hostile.json --quantize q8_0
bom hostile.mseal hostile.cdx.json
check hostile.cdx.json --audit hostile.cdx.json.audit.json --datasets 3 --base-models 1 \
  --compressed yes
"$PY" - hostile.cdx.json hostile.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
spec = json.load(open(sys.argv[2]))
m = d["metadata"]["component"]
evil = spec["description"]
assert m["description"] == evil and m["authors"][0]["name"] == evil
assert [c["name"] for c in d["components"]] == [evil, evil, "dataset-0"]
assert [c["bom-ref"] for c in d["components"]] == ["dataset-0", "dataset-1", "dataset-2"]
(anc,) = m["pedigree"]["ancestors"]
assert anc["name"] == spec["baseModels"][0]["name"]
assert anc["purl"].startswith("pkg:oci/org%2Fmodel%20name%2B1%20x%22%5C%0A%09%1B"), anc["purl"]
assert "externalReferences" not in anc       # "a b" is no IRI: kept as a property
assert {"name": "dev.modelseal:uri", "value": "https://example.org/a b"} in anc["properties"]
raw = open(sys.argv[1], "rb").read()
assert b"\x1b" not in raw and b"\x07" not in raw and b"</script>" in raw
PY
# A malformed license in the bundle (written by another tool and re-signed): a
# named license holding the text verbatim, never an "expression".
"$PY" "$HERE/bundle_tool.py" tamper bare.mseal badlic.mseal \
  'metadata=license:"Apache-2.0 OR (broken"' key=alice.key
"$PY" "$HERE/bundle_tool.py" tamper full.mseal badlic2.mseal \
  "metadata=datasets:[{\"name\":\"d\",\"role\":\"training\",\"license\":\"NOT A LICENSE\",\"uri\":\"http://x y\",\"digest\":\"sha256:$train_hex\"}]" \
  key=alice.key
bom badlic.mseal badlic.cdx.json
check badlic.cdx.json --audit badlic.cdx.json.audit.json --datasets 0 --compressed no
bom badlic2.mseal badlic2.cdx.json
check badlic2.cdx.json --audit badlic2.cdx.json.audit.json --datasets 1 --compressed yes
"$PY" - badlic.cdx.json badlic2.cdx.json <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
m = a["metadata"]["component"]
assert m["licenses"] == [{"license": {"name": "Apache-2.0 OR (broken",
                                      "acknowledgement": "declared"}}], m["licenses"]
assert {"name": "dev.modelseal:license.declared", "value": "NOASSERTION"} in m["properties"]
(c,) = b["components"]
assert c["licenses"] == [{"license": {"name": "NOT A LICENSE", "acknowledgement": "declared"}}]
assert "externalReferences" not in c and "contents" not in c["data"][0]
PY

# --- 6. The checker is not vacuous: each broken copy of a good BOM is rejected
# with the reason.
"$PY" - full.cdx.json "$CDX/check_cdx.py" <<'PY'
import copy, json, subprocess, sys
good = json.load(open(sys.argv[1]))
def broken(what, expect, edit, *opts):
    d = copy.deepcopy(good)
    edit(d)
    with open("broken.json", "w") as f:
        f.write(json.dumps(d, indent=1) + "\n")
    r = subprocess.run([sys.executable, sys.argv[2], "broken.json", *opts],
                       capture_output=True, text=True)
    assert r.returncode == 1, (what, r.returncode, r.stdout, r.stderr)
    assert expect in r.stdout, (what, expect, r.stdout)
m = lambda d: d["metadata"]["component"]
broken("dangling dependency", "reference 'dataset-9' matches no bom-ref",
       lambda d: d["dependencies"][0]["dependsOn"].append("dataset-9"))
broken("dangling dataset ref", "reference 'nowhere' matches no bom-ref",
       lambda d: m(d)["modelCard"]["modelParameters"]["datasets"].append({"ref": "nowhere"}))
broken("wrong model type", "has type 'library', not machine-learning-model",
       lambda d: m(d).__setitem__("type", "library"))
broken("duplicate bom-ref", "bom-ref 'dataset-0' also at",
       lambda d: d["components"][1].__setitem__("bom-ref", "dataset-0"))
broken("upper-case hash", "not SHA-256 as 64 lower-case hex digits",
       lambda d: d["components"][0]["hashes"][0].update(content=d["components"][0]["hashes"][0]["content"].upper()))
broken("unknown field (schema)", "schema: metadata/component",
       lambda d: m(d).__setitem__("lineage", []))
broken("bad enum (schema)", "schema: components/0/type",
       lambda d: d["components"][0].__setitem__("type", "dataset"))
broken("bad license id (schema, spdx.schema.json)", "schema: components/0/licenses",
       lambda d: d["components"][0].__setitem__("licenses", [{"license": {"id": "No-Such-License"}}]))
broken("broken expression", "license expression 'MIT AND (Apache-2.0'",
       lambda d: d["components"][0]["licenses"][0].__setitem__("expression", "MIT AND (Apache-2.0"))
broken("unknown license in expression", "unknown license id 'MITT'",
       lambda d: d["components"][0]["licenses"][0].__setitem__("expression", "MITT"))
broken("missing data component", "2 data components, expected one per dataset: 3",
       lambda d: d["components"].pop(), "--datasets", "3")
broken("missing ancestor", "0 pedigree ancestors, expected one per base model: 1",
       lambda d: m(d)["pedigree"].__setitem__("ancestors", []), "--base-models", "1")
broken("serial not version 8", "is not a version-8 RFC 9562 UUID URN",
       lambda d: d.__setitem__("serialNumber", "urn:uuid:00000000-0000-4000-8000-000000000000"))
broken("fidelity dropped", "compressed bundle without quantitativeAnalysis",
       lambda d: m(d)["modelCard"].pop("quantitativeAnalysis"), "--compressed", "yes")
broken("model hash not the manifest", "are not its manifest digest",
       lambda d: m(d)["hashes"][0].__setitem__("content", "0" * 64))
PY
echo "audit-cyclonedx: ok"
