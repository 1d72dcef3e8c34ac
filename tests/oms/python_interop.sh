#!/usr/bin/env bash
# An independent implementation (Python `cryptography`, standard library
# otherwise) checks what sign-oms writes, and signs OMS bundles the way
# model_signing 1.0 and 1.1 do for verify-oms.  Skipped without it.
. "$MS_SRC/tests/oms/lib.sh"
if ! "$PY" -c 'import cryptography.hazmat.primitives.asymmetric.ec' 2>/dev/null; then
  echo "python3 has no cryptography module: skipped"
  exit 77
fi
T="$HERE/oms_py.py"

mkdir -p model/sub model/a-b
printf 'weights' >model/w.bin
printf 'x' >model/sub/x
printf 'y' >model/a-b/y
printf 'ignored' >model/.gitignore

# Ours, checked by Python: P-384 and P-256 modelseal keys, and a PKCS#8 PEM
# key made by Python; the 1.1 key material (the default) and the 1.0 one.
for alg in ecdsa-p384 ecdsa-p256; do
  "$M" keygen -o "$alg" --algorithm "$alg" --unencrypted >/dev/null
  run 0 "$M" sign-oms model --key "$alg.key" -o model/model.sig
  run 0 "$PY" "$T" check model model/model.sig --modelseal-pub "$alg.pub" --layout 1.1
  expect_in out "python: OK"
  run 0 "$M" sign-oms model --key "$alg.key" -o model/model.sig --material-format 1.0
  run 0 "$PY" "$T" check model model/model.sig --modelseal-pub "$alg.pub" --layout 1.0
  expect_in out "python: OK"
done
run 0 "$PY" "$T" keygen py384 secp384r1
for layout in 1.1 1.0; do
  run 0 "$M" sign-oms model --key py384.key.pem --public-key py384.pub.pem -o pem.sig \
    --material-format "$layout"
  run 0 "$PY" "$T" check model pem.sig --pub py384.pub.pem --layout "$layout"
  run 0 "$M" verify-oms model --signature pem.sig --key py384.pub.pem
  expect_in out "(the bundle names the same key)"
done
# The Python check reads the key material: another key's hint fails it.
run 0 "$PY" "$T" keygen other384 secp384r1
run 0 "$M" sign-oms model --key py384.key.pem --public-key py384.pub.pem -o hint.sig
run 1 "$PY" "$T" check model hint.sig --pub other384.pub.pem
expect_in err "hint is not the key's"
# A single file.
run 0 "$M" sign-oms model/w.bin --key py384.key.pem --public-key py384.pub.pem -o one.sig
run 0 "$PY" "$T" check model/w.bin one.sig --pub py384.pub.pem
# The Python check is a real one: it notices a change too.
printf 'changed' >model/sub/x
run 1 "$PY" "$T" check model pem.sig --pub py384.pub.pem
expect_in err "sub/x"
printf 'x' >model/sub/x

# Signed by Python as model_signing 1.1 writes it (publicKey.hint, indented
# payload, keyid ""), and as 1.0 does (publicKey.rawBytes, keyid null).
run 0 "$PY" "$T" keygen py256 secp256r1
for style in v1.1 v1.0; do
  run 0 "$PY" "$T" sign model "py-$style.sig" py256.key.pem --style "$style"
  run 0 "$M" verify-oms model --signature "py-$style.sig" --key py256.pub.pem
  expect_in out "(the bundle names the same key)"
  expect_in out "OK: model matches"
  run 1 "$M" verify-oms model --signature "py-$style.sig" --key py384.pub.pem
  expect_in all "signature: not valid under --key"
  expect_in all "the bundle names another public key"
done
# What no honest signer writes: a subject digest not over the resources ...
run 0 "$PY" "$T" sign model bad-subject.sig py256.key.pem \
  --subject-digest 0000000000000000000000000000000000000000000000000000000000000000
run 1 "$M" verify-oms model --signature bad-subject.sig --key py256.pub.pem
expect_in all "the statement is inconsistent"
# ... resources out of order (the subject digest follows the listed order) ...
run 0 "$PY" "$T" sign model reversed.sig py256.key.pem --reverse
run 0 "$M" verify-oms model --signature reversed.sig --key py256.pub.pem
# ... the shards method and a pre-1.0 predicate: signed, but not readable here.
run 0 "$PY" "$T" sign model shards.sig py256.key.pem --method shards
run 3 "$M" verify-oms model --signature shards.sig --key py256.pub.pem
expect_in err "serialization method 'shards' is not supported (only 'files')"
run 0 "$PY" "$T" sign model old.sig py256.key.pem --predicate-type https://model_signing/Digests/v0.1
run 3 "$M" verify-oms model --signature old.sig --key py256.pub.pem
expect_in err "pre-1.0 model_signing signatures are not read"
# A PAE over other bytes (the pre-1.0 escaping bug) does not verify.
run 0 "$PY" "$T" sign model pae.sig py256.key.pem --bad-pae
run 1 "$M" verify-oms model --signature pae.sig --key py256.pub.pem
echo "oms python interop: ok"
