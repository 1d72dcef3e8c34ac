#!/usr/bin/env bash
# Every OMS signature made by sigstore/model-transparency verifies, invoked
# the way its own tests invoke `model_signing verify key`.
. "$MS_SRC/tests/oms/lib.sh"

# Straight from the source tree: verification writes nothing.
run 0 "$M" verify-oms "$V/v1.1.0-elliptic-key" --signature "$V/v1.1.0-elliptic-key/model.sig" \
  --key "$V/$K"
expect_in out "OK: $V/v1.1.0-elliptic-key matches"

copy_vectors
cd vectors

# v1.1.0: the signature's ignore_paths leaves out ignore-me and model.sig.
run 0 "$M" verify-oms v1.1.0-elliptic-key --signature v1.1.0-elliptic-key/model.sig --key "$K"
expect_in out "dsse:      valid"
expect_in out "subject:   v1.1.0-elliptic-key sha256:92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"
expect_in out "ignore_paths (v1.1.0 signer)"
expect_in out "ignored:   ignore-me model.sig"
# Its publicKey.hint is the SHA-256 of the key's PEM: the same key.
expect_in out "(the bundle names the same key)"
expect_in out "OK: v1.1.0-elliptic-key matches v1.1.0-elliptic-key/model.sig: 2 files, signature valid"
[ ! -s "$WORK/.err" ] || fail "success wrote to stderr"

# v1.0.1: no ignore_paths in the signature; ignore-me is passed as the
# reference test does (relative to the current directory) ...
run 0 "$M" verify-oms ./v1.0.1-elliptic-key --ignore-paths ./v1.0.1-elliptic-key/ignore-me \
  --signature ./v1.0.1-elliptic-key/model.sig --key "./$K"
expect_in out "ignored:   ignore-me model.sig"
expect_in out "(the bundle names the same key)"
# ... or relative to the model.
run 0 "$M" verify-oms v1.0.1-elliptic-key --signature v1.0.1-elliptic-key/model.sig --key "$K" \
  --ignore-paths ignore-me
# Without it, ignore-me is a file the signature does not cover.
run 1 "$M" verify-oms v1.0.1-elliptic-key --signature v1.0.1-elliptic-key/model.sig --key "$K"
expect_in out "added:     ignore-me (not in the signature)"

# v1.0.0: a signature of one file (resource ".", subject = the file's name).
run 0 "$M" verify-oms v1.0.0-elliptic-key/signme-1 --signature v1.0.0-elliptic-key/model.sig \
  --key "$K"
expect_in out "subject:   signme-1 sha256:afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b"
expect_in out "OK: v1.0.0-elliptic-key/signme-1 matches v1.0.0-elliptic-key/model.sig: 1 file"
# The directory holding it is not what was signed.
run 1 "$M" verify-oms v1.0.0-elliptic-key --signature v1.0.0-elliptic-key/model.sig --key "$K"
expect_in all "the signature covers a single file (resource '.', subject 'signme-1'"
expect_in all "pass that file as MODEL"

# From another directory, absolute paths, the signature outside the model,
# the model named with a trailing slash.
cd "$WORK"
cp vectors/v1.0.1-elliptic-key/model.sig elsewhere.sig
run 0 "$M" verify-oms "$WORK/vectors/v1.0.1-elliptic-key/" --signature elsewhere.sig \
  --key "$WORK/vectors/$K" --ignore-paths "$WORK/vectors/v1.0.1-elliptic-key/ignore-me,model.sig"
expect_in out "ignored:   ignore-me model.sig"

# The JSON report.
cd vectors
run 0 "$M" verify-oms v1.1.0-elliptic-key --signature v1.1.0-elliptic-key/model.sig --key "$K" --json
"$PY" - "$WORK/.out" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "modelseal-oms-verify-v1", r
assert r["result"] == "ok" and r["exit_status"] == 0, r
assert r["signature_valid"] is True, r
assert r["key"]["algorithm"] == "ecdsa-p384" and r["key"]["bundle_key"] == "match", r
assert r["subject"]["name"] == "v1.1.0-elliptic-key" and r["subject"]["matches_resources"], r
assert r["serialization"]["allow_symlinks"] is False, r
assert "ignore-me" in r["serialization"]["ignore_paths"], r
assert [f["name"] for f in r["files"]] == ["signme-1", "signme-2"], r
assert all(f["status"] == "ok" for f in r["files"]), r
assert r["files"][0]["sha256"] == "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc", r
assert r["ignored"] == ["ignore-me", "model.sig"] and r["warnings"] == [] and r["mismatches"] == 0, r
PYEOF
run 1 "$M" verify-oms v1.0.1-elliptic-key --signature v1.0.1-elliptic-key/model.sig --key "$K" --json
"$PY" - "$WORK/.out" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "rejected" and r["exit_status"] == 1, r
assert r["mismatches"] == 1, r
added = [f for f in r["files"] if f["status"] == "added"]
assert [f["name"] for f in added] == ["ignore-me"], r
PYEOF
echo "oms vectors: ok"
