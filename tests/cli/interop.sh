#!/usr/bin/env bash
# A bundle rewritten and signed by an independent implementation of the format
# (tests/cli/bundle_tool.py: Python tarfile, hashlib, cryptography) verifies, and
# skopeo reads our bundles as OCI archives.
. "$MS_SRC/tests/cli/lib.sh"
setup_bundle
"$PY" "$HERE/bundle_tool.py" tamper b.mseal py.mseal resign key=alice.key
run 0 "$M" verify py.mseal --trust alice.pub
expect_in out "result: VERIFIED"

command -v skopeo >/dev/null || fail "skopeo is not installed (scripts/deps installs it)"
skopeo copy "oci-archive:b.mseal:1.0.0" "oci:copy:1.0.0" >skopeo.log 2>&1 || { cat skopeo.log; fail "skopeo copy failed"; }
# The model manifest survives byte for byte.
m=$(sed -n 's/^manifest: //p' <("$M" inspect b.mseal) | cut -d: -f2)
[ -f "copy/blobs/sha256/$m" ] || fail "skopeo's copy lacks the model manifest $m"
for f in model/*; do
  h=$(sha256sum "$f" | cut -c1-64)
  cmp "$f" "copy/blobs/sha256/$h" || fail "skopeo's copy lacks $f"
done
# The envelopes inside our bundles verify with securesystemslib (an independent DSSE/PAE
# and signature implementation), for Ed25519 and ECDSA keys.
for alg in ed25519 ecdsa-p256 ecdsa-p384; do
  "$M" keygen -o "k-$alg" --algorithm "$alg" >/dev/null
  "$M" pack model -o "b-$alg.mseal" --key "k-$alg.key" --name tiny --version 1.0.0 >/dev/null
  "$PY" - "b-$alg.mseal" "k-$alg.pub" "$alg" <<'PY'
import base64, json, sys, tarfile
import securesystemslib.keys as ssl_keys
from cryptography.hazmat.primitives import serialization

bundle, pubfile, alg = sys.argv[1:4]
with tarfile.open(bundle) as t:
    blobs = {m.name: t.extractfile(m).read() for m in t.getmembers()}
idx = json.loads(blobs["index.json"])
sm = json.loads(blobs["blobs/sha256/" + idx["manifests"][1]["digest"][7:]])
env = json.loads(blobs["blobs/sha256/" + sm["layers"][0]["digest"][7:]])
payload = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
fields = dict(l.split(": ", 1) for l in open(pubfile).read().splitlines()[1:])
raw = base64.b64decode(fields["key"])
sig = base64.b64decode(env["signatures"][0]["sig"])
if alg == "ed25519":
    key = {"keytype": "ed25519", "scheme": "ed25519", "keyid": fields["keyid"],
           "keyval": {"public": raw.hex()}}
else:
    pem = serialization.load_der_public_key(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    scheme = {"ecdsa-p256": "ecdsa-sha2-nistp256", "ecdsa-p384": "ecdsa-sha2-nistp384"}[alg]
    key = {"keytype": "ecdsa", "scheme": scheme, "keyid": fields["keyid"],
           "keyval": {"public": pem}}
sigobj = {"keyid": fields["keyid"], "sig": sig.hex()}
assert ssl_keys.verify_signature(key, sigobj, pae) is True, alg
assert ssl_keys.verify_signature(key, sigobj, pae + b" ") is False, alg
PY
  run 0 "$M" verify "b-$alg.mseal" --trust "k-$alg.pub"
done
echo "interop: ok"
