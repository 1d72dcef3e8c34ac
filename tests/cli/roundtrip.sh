#!/usr/bin/env bash
# pack -> verify -> inspect -> unpack; the unpacked files equal the input.
. "$MS_SRC/tests/cli/lib.sh"

make_model model
run 0 "$M" keygen -o alice
expect_in out "wrote alice.key (secret, mode 0600) and alice.pub"
[ "$(stat -c %a alice.key)" = 600 ] || fail "alice.key mode is $(stat -c %a alice.key)"
keyid=$(sed -n 's/^keyid: //p' alice.pub)

run 0 "$M" pack model -o tiny-1.0.0.mseal --key alice.key --name tiny --version 1.0.0 \
  --license Apache-2.0 --description "a tiny test model"
expect_in out "packed tiny 1.0.0: 4 files"
expect_in out "bundle:   tiny-1.0.0.mseal"
manifest=$(sed -n 's/^manifest: //p' "$WORK/.out")

run 0 "$M" verify tiny-1.0.0.mseal --trust alice.pub
expect_in out "signature: ed25519 $keyid as packager: valid"
expect_in out "role:      packager: 1 valid"
expect_in out "result: VERIFIED"
expect_in out "manifest:  $manifest"
expect_not_in out "FAIL"

run 0 "$M" verify tiny-1.0.0.mseal --trust alice.pub --json
"$PY" - "$WORK/.out" "$manifest" "$keyid" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["reportVersion"] == 2, r
assert r["verified"] is True and r["status"] == "verified" and r["failures"] == 0, r
assert r["model"] == {"name": "tiny", "version": "1.0.0", "manifestDigest": sys.argv[2],
                      "formatVersion": "1"}, r["model"]
assert r["signatures"] == [{"keyid": sys.argv[3], "algorithm": "ed25519", "role": "packager",
                            "trusted": True, "valid": True, "verdict": "valid"}], r["signatures"]
assert r["roles"] == [{"role": "packager", "required": 0, "valid": 1}], r["roles"]
names = {c["check"] for c in r["checks"]}
for want in ("blob-digest", "model-manifest", "format-version", "statement", "signature",
             "unreferenced", "signature-manifest", "metadata", "config", "oci-layout"):
    assert want in names, (want, names)
assert all(c["ok"] for c in r["checks"])
PY

run 0 "$M" inspect tiny-1.0.0.mseal
expect_in out "name:        tiny"
expect_in out "version:     1.0.0"
expect_in out "license:     Apache-2.0"
expect_in out "description: a tiny test model"
expect_in out "files:       4"
expect_in out "ed25519 keyid $keyid"
for f in model.safetensors config.json tokenizer.json README.md; do
  h=$(sha256sum "model/$f" | cut -c1-64)
  s=$(stat -c %s "model/$f")
  grep -qE " $s  sha256:$h  $f\$" "$WORK/.out" || fail "inspect does not list $f ($s bytes, $h)"
done
run 0 "$M" inspect tiny-1.0.0.mseal --json
"$PY" - "$WORK/.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["name"] == "tiny" and r["version"] == "1.0.0" and r["formatVersion"] == "1"
kinds = {f["path"]: f["kind"] for f in r["files"]}
assert kinds == {"model.safetensors": "weights", "config.json": "config",
                 "tokenizer.json": "config", "README.md": "doc"}, kinds
assert r["metadata"] == {"license": "Apache-2.0", "description": "a tiny test model"}
assert len(r["signatures"]) == 1 and r["signatures"][0]["algorithm"] == "ed25519"
assert r["problems"] == []
PY

run 0 "$M" unpack tiny-1.0.0.mseal -o out --trust alice.pub
expect_in out "verified and unpacked tiny-1.0.0.mseal into out"
diff -r model out || fail "unpacked files differ from the input"

# A single .safetensors file is a model too.
run 0 "$M" pack model/model.safetensors -o single.mseal --key alice.key --name single --version 0.1.0
expect_in out "packed single 0.1.0: 1 file,"
run 0 "$M" verify single.mseal --trust alice.pub
run 0 "$M" unpack single.mseal -o single --trust alice.pub
cmp single/model.safetensors model/model.safetensors

# The statement carries SLSA provenance of the inputs.
"$PY" "$HERE/bundle_tool.py" statement tiny-1.0.0.mseal >statement.json
"$PY" - statement.json "$manifest" <<'PY'
import hashlib, json, sys
s = json.load(open(sys.argv[1]))
assert s["_type"] == "https://in-toto.io/Statement/v1"
assert s["predicateType"] == "https://slsa.dev/provenance/v1"
assert s["subject"][0] == {"name": "tiny:1.0.0", "digest": {"sha256": sys.argv[2][7:]}}
files = {x["name"]: x["digest"]["sha256"] for x in s["subject"][1:]}
for f in ("model.safetensors", "config.json", "tokenizer.json", "README.md"):
    assert files[f] == hashlib.sha256(open("model/" + f, "rb").read()).hexdigest(), f
p = s["predicate"]
bd = p["buildDefinition"]
assert bd["buildType"] == "urn:modelseal:build-type:pack:v1"
assert bd["externalParameters"]["quantize"] == "none"
assert bd["externalParameters"]["license"] == "Apache-2.0"
assert {d["name"]: d["digest"]["sha256"] for d in bd["resolvedDependencies"]} == files
assert p["runDetails"]["builder"]["id"] == "urn:modelseal:builder:modelseal-cli"
assert p["runDetails"]["builder"]["version"]["modelseal"] == "0.1.0"
assert p["runDetails"]["metadata"]["startedOn"] == "2023-11-14T22:13:20Z"
assert p["runDetails"]["metadata"]["finishedOn"] == "2023-11-14T22:13:20Z"
assert p["runDetails"]["metadata"]["invocationId"].startswith("urn:modelseal:invocation:")
assert bd["internalParameters"] == {"modelsealVersion": "0.1.0", "formatVersion": "1"}
PY
echo "roundtrip: ok"
