#!/usr/bin/env bash
# pack --quantize: report and probes layers, signed byproducts, verify re-runs the probes.
. "$MS_SRC/tests/cli/lib.sh"
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
"$M" keygen -o k >/dev/null

run 0 "$M" pack wide -o q.mseal --key k.key --name wide --version 1.0.0 --quantize q4_k
expect_in out "worst tensor by SQNR:"
run 0 "$M" verify q.mseal --trust k.pub
expect_in out "ok    probes: 3 weights reproduce their recorded probe outputs"
expect_in out "ok    compression: "
expect_in out "result: VERIFIED"
run 0 "$M" inspect q.mseal
expect_in out "compression: "
expect_in out "probes recorded"
expect_in out "q4_k     4.500 b/w"
run 0 "$M" inspect q.mseal --json
cp "$WORK/.out" inspect.json

# Deterministic, whatever the thread count.
run 0 "$M" pack wide -o q1.mseal --key k.key --name wide --version 1.0.0 --quantize q4_k --threads 1
cmp q.mseal q1.mseal
[ -z "$(ls -d q.mseal.work-* 2>/dev/null)" ] || fail "pack left its work directory"

"$PY" - "$MS_SRC/schemas" q.mseal <<'PY'
import hashlib, json, sys, tarfile
import jsonschema
d = sys.argv[1]
store = {}
for name in ("compression-report-v1", "recipe-v1", "inspect-v1"):
    s = json.load(open(f"{d}/{name}.schema.json"))
    store[s["$id"]] = s
schema = store["urn:modelseal:schema:inspect:v1"]
v = jsonschema.Draft202012Validator(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=store))
doc = json.load(open("inspect.json"))
errors = [e.message for e in v.iter_errors(doc)]
assert not errors, errors
cs = store["urn:modelseal:schema:compression-report:v1"]
cv = jsonschema.Draft202012Validator(cs, resolver=jsonschema.RefResolver.from_schema(cs, store=store))
errors = [e.message for e in cv.iter_errors(doc["compression"])]
assert not errors, errors
assert doc["probes"] is True and doc["compression"]["total"]["bitsPerWeight"] < 6
with tarfile.open(sys.argv[2]) as t:
    names = [m.name for m in t.getmembers()]
    blobs = {m.name: t.extractfile(m).read() for m in t.getmembers()}
idx = json.loads(blobs["index.json"])
man = json.loads(blobs["blobs/sha256/" + idx["manifests"][0]["digest"][7:]])
by_type = {l["mediaType"]: l["digest"][7:] for l in man["layers"]}
rep = by_type["application/vnd.modelseal.compression-report.v1+json"]
probes = by_type["application/vnd.modelseal.probes.v1.raw"]
weights = by_type["application/vnd.cncf.model.weight.v1.raw"]
# The probes come before the weights in the archive (verify needs them first).
assert names.index("blobs/sha256/" + probes) < names.index("blobs/sha256/" + weights)
sm = json.loads(blobs["blobs/sha256/" + idx["manifests"][1]["digest"][7:]])
import base64
env = json.loads(blobs["blobs/sha256/" + sm["layers"][0]["digest"][7:]])
st = json.loads(base64.b64decode(env["payload"]))
pred = st["predicate"]
by = {b["name"]: b["digest"]["sha256"] for b in pred["runDetails"]["byproducts"]}
assert by == {"compression-report.json": rep, "probes.safetensors": probes}, by
ext = pred["buildDefinition"]["externalParameters"]
assert ext["recipe"] == {"recipeVersion": 1, "default": "q4_k", "rules": []}, ext["recipe"]
# resolvedDependencies name the input; the subject is the compressed file.
src = hashlib.sha256(open("wide/model.safetensors", "rb").read()).hexdigest()
deps = {x["name"]: x["digest"]["sha256"] for x in pred["buildDefinition"]["resolvedDependencies"]}
subj = {x["name"]: x["digest"]["sha256"] for x in st["subject"][1:]}
assert deps["model.safetensors"] == src and subj["model.safetensors"] == weights != src
# A compressed bundle is format 1.1 (bundle-format.md 14), in both places that say so.
assert man["annotations"]["dev.modelseal.format.version"] == "1.1"
assert pred["buildDefinition"]["internalParameters"]["formatVersion"] == "1.1"
PY

# Weights altered after packing, every digest fixed and the statement signed again with the
# same key: only the probes can tell, and they do.
"$PY" "$HERE/bundle_tool.py" tamper q.mseal t.mseal resign-weights-data key=k.key
run 1 "$M" verify t.mseal --trust k.pub
expect_in out "FAIL  probes: tensor 'embed.weight': recomputed outputs differ from the recorded ones"
expect_in out "ok    signature:"
run 1 "$M" unpack t.mseal -o dest --trust k.pub
[ ! -e dest ] || fail "unpack wrote a bundle whose probes fail"

# The archive order is not signed: moving the model files or the probes around must not
# switch the re-check off.
for order in weights-first probes-early; do
  "$PY" "$HERE/bundle_tool.py" tamper q.mseal r.mseal "resign-weights-data+$order" key=k.key
  run 1 "$M" verify r.mseal --trust k.pub
  expect_in out "FAIL  probes:"
  expect_not_in out "result: VERIFIED"
done

# Compressing an already compressed file would lose the record that decodes it.
"$M" compress wide/model.safetensors -o once.safetensors --quantize q8_0 >/dev/null
run 3 "$M" compress once.safetensors -o twice.safetensors --quantize q4_k
expect_in err "already compressed by modelseal; compress the original model instead"

# Without probes: verify says so and still verifies digests and signatures.
run 0 "$M" pack wide -o np.mseal --key k.key --name wide --version 1.0.0 --quantize q8_0 --no-probes
run 0 "$M" verify np.mseal --trust k.pub
expect_in out "ok    probes: no integrity probes recorded (packed with --no-probes)"
run 0 "$M" inspect np.mseal
expect_in out "probes none"

# The unpacked compressed model reads back as floats through the library (evaluate uses this).
run 0 "$M" unpack q.mseal -o out --trust k.pub
cmp out/config.json wide/config.json
echo "pack compressed: ok"

# A weights blob that fails its digest: its probe results do not count.
"$PY" "$HERE/bundle_tool.py" tamper q.mseal d.mseal weights
run 1 "$M" verify d.mseal --trust k.pub
expect_in out "content hashes to sha256:"
expect_in out "not re-checked: its weights blob fails its digest"
echo "pack compressed (digest): ok"
