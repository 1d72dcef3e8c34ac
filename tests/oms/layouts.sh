#!/usr/bin/env bash
# The two verification-material layouts sign-oms writes, compared member by
# member with real model_signing signatures (the vectors): the default, as
# 1.1.0 writes it (publicKey.hint, tlogEntries []), and --material-format
# 1.0, as 1.0.1 writes it (publicKey.rawBytes and keyDetails); each verifies.
. "$MS_SRC/tests/oms/lib.sh"
mkdir -p model/sub
printf 'weights' >model/w.bin
printf 'x' >model/sub/x
"$M" keygen -o p384 --algorithm ecdsa-p384 --unencrypted >/dev/null
"$M" keygen -o p256 --algorithm ecdsa-p256 --unencrypted >/dev/null

# shape VECTOR OURS LAYOUT PUB: the same members, in the same order, with the
# same JSON types, in the bundle and in the statement; then the key values.
shape() {
  "$PY" - "$@" <<'PYEOF'
import base64, hashlib, json, sys
vec_path, ours_path, layout, pub_path = sys.argv[1:5]

def kind(v):
    return {dict: "object", list: "array", str: "string", bool: "bool",
            type(None): "null", int: "number", float: "number"}[type(v)]

def shape(v, path="$"):
    """Every member path with its type, object members in order."""
    out = [(path, kind(v))]
    if isinstance(v, dict):
        for k, x in v.items():
            out += shape(x, path + "." + k)
    elif isinstance(v, list):
        # One element stands for all (resources, ignore_paths, signatures).
        if v:
            out += shape(v[0], path + "[]")
    return out

def statement(b):
    return json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))

vec, ours = json.load(open(vec_path)), json.load(open(ours_path))
if shape(vec) != shape(ours):
    print("bundle shape differs:\n vector %s\n ours   %s" % (shape(vec), shape(ours)))
    sys.exit(1)
# Statements: the same members (in any order) and types; the 1.0.1 signer
# records no ignore_paths, which 1.0.x verifiers do not read.
sv, so = dict(shape(statement(vec))), dict(shape(statement(ours)))
if layout == "1.0":
    so.pop("$.predicate.serialization.ignore_paths")
    so.pop("$.predicate.serialization.ignore_paths[]")
if sv != so:
    print("statement shape differs:\n vector %s\n ours   %s" % (sorted(sv.items()), sorted(so.items())))
    sys.exit(1)

# The values: the key named as the vector names it.
line = [l for l in open(pub_path) if l.startswith("key: ")][0]
der = base64.b64decode(line[5:].strip())
b64 = base64.b64encode(der).decode()
pem = ("-----BEGIN PUBLIC KEY-----\n" + "".join(b64[i:i + 64] + "\n" for i in range(0, len(b64), 64))
       + "-----END PUBLIC KEY-----\n").encode()
vm, sig = ours["verificationMaterial"], ours["dsseEnvelope"]["signatures"][0]
if layout == "1.1":
    assert vm == {"publicKey": {"hint": hashlib.sha256(pem).hexdigest()}, "tlogEntries": []}, vm
    assert sig["keyid"] == "", sig
else:
    details = "PKIX_ECDSA_P384_SHA_384" if len(der) > 100 else "PKIX_ECDSA_P256_SHA_256"
    assert vm == {"publicKey": {"rawBytes": base64.b64encode(pem).decode(),
                                "keyDetails": details}}, vm
    assert sig["keyid"] is None, sig
print("shape ok")
PYEOF
}

for alg in p384 p256; do
  # The default is the 1.1 layout.
  run 0 "$M" sign-oms model --key "$alg.key" -o "$alg-default.sig"
  run 0 "$M" sign-oms model --key "$alg.key" -o "$alg-1.1.sig" --material-format 1.1
  # (ECDSA signatures differ from one signing to the next: compare the rest.)
  "$PY" -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for x in (a, b):
    x["dsseEnvelope"]["signatures"][0].pop("sig")
sys.exit(a != b)' "$alg-default.sig" "$alg-1.1.sig" || fail "the default is not the 1.1 layout"
  run 0 "$M" sign-oms model --key "$alg.key" -o "$alg-1.0.sig" --material-format 1.0
  run 0 shape "$V/v1.1.0-elliptic-key/model.sig" "$alg-default.sig" 1.1 "$alg.pub"
  run 0 shape "$V/v1.0.1-elliptic-key/model.sig" "$alg-1.0.sig" 1.0 "$alg.pub"
  # Each verifies, and the key it names is recognised as --key ...
  for l in default 1.0; do
    run 0 "$M" verify-oms model --signature "$alg-$l.sig" --key "$alg.pub"
    expect_in out "(the bundle names the same key)"
    expect_in out "OK: model matches $alg-$l.sig: 2 files, signature valid"
    expect_not_in out "warning:"
    run 0 "$M" verify-oms model --signature "$alg-$l.sig" --key "$alg.pub" --json
    expect_in out '"bundle_key":	"match"'
  done
  # ... and under the other key neither verifies, the difference named.
  other=p256
  [ "$alg" = p256 ] && other=p384
  run 1 "$M" verify-oms model --signature "$alg-default.sig" --key "$other.pub"
  expect_in out "warning:   the bundle's publicKey.hint"
  expect_in err "signature: not valid under --key"
  expect_in err "the bundle names another public key"
  run 1 "$M" verify-oms model --signature "$alg-1.0.sig" --key "$other.pub"
  expect_in out "warning:   the bundle's publicKey.rawBytes is another key"
  expect_in err "the bundle names another public key"
done

# A single file, in both layouts.
run 0 "$M" sign-oms model/w.bin --key p384.key -o one.sig
run 0 "$M" verify-oms model/w.bin --signature one.sig --key p384.pub
run 0 "$M" sign-oms model/w.bin --key p384.key -o one-1.0.sig --material-format 1.0
run 0 "$M" verify-oms model/w.bin --signature one-1.0.sig --key p384.pub
expect_in out "(the bundle names the same key)"

# Anything else is a usage error, and nothing is written.
run 2 "$M" sign-oms model --key p384.key -o bad.sig --material-format 1.2
expect_in err "modelseal sign-oms: --material-format '1.2': expected 1.1 or 1.0"
run 2 "$M" sign-oms model --key p384.key -o bad.sig --material-format
expect_in err "option '--material-format' needs a value"
[ ! -e bad.sig ] || fail "a usage error wrote a signature"
echo "oms layouts: ok"
