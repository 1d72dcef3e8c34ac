#!/usr/bin/env bash
# sign-oms then verify-oms: P-384 and P-256 keys, encrypted keys, ignore
# paths, git paths, single files, symbolic links; changes after signing.
. "$MS_SRC/tests/oms/lib.sh"

mkdir -p model/sub/deep model/a-b model/.git
printf 'weights' >model/w.bin
printf '' >model/empty
printf 'x' >model/sub/deep/x
printf 'y' >model/a-b/y
printf 'z' >"model/name with space"
printf '*.bin lfs\n' >model/.gitattributes
printf 'ref\n' >model/.git/HEAD

for alg in ecdsa-p384 ecdsa-p256; do
  "$M" keygen -o "$alg" --algorithm "$alg" --unencrypted >/dev/null
  run 0 "$M" sign-oms model --key "$alg.key" -o model/model.sig
  expect_in out "signed model: 5 files, subject model sha256:"
  expect_in out "$alg key"
  run 0 "$M" verify-oms model --signature model/model.sig --key "$alg.pub"
  expect_in out "$alg"
  expect_in out "(the bundle names the same key)"
  expect_in out "ignored:   .git .gitattributes model.sig"
  expect_in out "OK: model matches model/model.sig: 5 files, signature valid"
  # The other key does not verify it.
  other=ecdsa-p384
  [ "$alg" = ecdsa-p384 ] && other=ecdsa-p256
  if [ -e "$other.pub" ]; then
    run 1 "$M" verify-oms model --signature model/model.sig --key "$other.pub"
    expect_in all "signature: not valid under --key"
  fi
done

# The statement: 1.1 key material, sorted resources, ignore_paths recorded.
# (tests/oms/layouts.sh compares both key layouts with the vectors.)
"$PY" - model/model.sig <<'PYEOF'
import base64, json, sys
b = json.load(open(sys.argv[1]))
assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
vm = b["verificationMaterial"]
assert list(vm) == ["publicKey", "tlogEntries"] and vm["tlogEntries"] == [], vm
assert list(vm["publicKey"]) == ["hint"] and len(vm["publicKey"]["hint"]) == 64, vm
env = b["dsseEnvelope"]
assert env["payloadType"] == "application/vnd.in-toto+json" and len(env["signatures"]) == 1
s = json.loads(base64.b64decode(env["payload"]))
assert s["_type"] == "https://in-toto.io/Statement/v1"
assert s["predicateType"] == "https://model_signing/signature/v1.0"
ser = s["predicate"]["serialization"]
assert ser["method"] == "files" and ser["hash_type"] == "sha256" and ser["allow_symlinks"] is False, ser
assert ser["ignore_paths"] == [".git", ".gitattributes", ".github", ".gitignore", "model.sig"], ser
names = [r["name"] for r in s["predicate"]["resources"]]
assert names == ["a-b/y", "empty", "name with space", "sub/deep/x", "w.bin"], names
assert s["subject"][0]["name"] == "model"
PYEOF

# Changed after signing: named.
printf 'X' >>model/w.bin
run 1 "$M" verify-oms model --signature model/model.sig --key ecdsa-p256.pub
expect_in out "changed:   w.bin (signed sha256:"
printf 'weights' >model/w.bin
run 0 "$M" verify-oms model --signature model/model.sig --key ecdsa-p256.pub

# Signature outside the model; --ignore-paths recorded, so not needed again.
rm model/model.sig
mkdir model/scratch
printf 's' >model/scratch/tmp
printf 'l' >model/log.txt
run 0 "$M" sign-oms model --key ecdsa-p384.key -o out.sig --ignore-paths scratch,model/log.txt
expect_in out "5 files"
run 0 "$M" verify-oms model --signature out.sig --key ecdsa-p384.pub
expect_in out "ignored:   .git .gitattributes log.txt scratch"
printf 'changed' >model/scratch/tmp
run 0 "$M" verify-oms model --signature out.sig --key ecdsa-p384.pub
rm -r model/scratch model/log.txt

# Git paths: signed with --no-ignore-git-paths, they are in the signature.
run 0 "$M" sign-oms model --key ecdsa-p384.key -o git.sig --no-ignore-git-paths
expect_in out "7 files"
run 0 "$M" verify-oms model --signature git.sig --key ecdsa-p384.pub --no-ignore-git-paths
# Verified with the default (git paths ignored), the signed ones are missing.
run 1 "$M" verify-oms model --signature git.sig --key ecdsa-p384.pub
expect_in out "removed:   .git/HEAD (signed, but left out by the ignore path '.git')"

# An encrypted key (the keygen default), passphrase from the environment.
export MODELSEAL_PASSPHRASE=correct-horse
"$M" keygen -o enc --algorithm ecdsa-p384 >/dev/null
run 0 "$M" sign-oms model --key enc.key -o enc.sig
run 0 "$M" verify-oms model --signature enc.sig --key enc.pub
MODELSEAL_PASSPHRASE=wrong run 3 "$M" sign-oms model --key enc.key -o enc2.sig
expect_in err "wrong passphrase"
unset MODELSEAL_PASSPHRASE

# A single file: resource ".", subject the file's name.
run 0 "$M" sign-oms model/w.bin --key ecdsa-p384.key -o w.sig
expect_in out "signed model/w.bin: 1 file, subject w.bin"
run 0 "$M" verify-oms model/w.bin --signature w.sig --key ecdsa-p384.pub
run 1 "$M" verify-oms model --signature w.sig --key ecdsa-p384.pub
expect_in all "pass that file as MODEL"
run 1 "$M" verify-oms model/empty --signature w.sig --key ecdsa-p384.pub
expect_in out "changed:   . (signed sha256:"

# Symbolic links: refused unless allowed; allowed ones are hashed as their target.
ln -s w.bin model/link
run 2 "$M" sign-oms model --key ecdsa-p384.key -o l.sig
expect_in err "model/link: a symbolic link (pass --allow-symlinks"
[ ! -e l.sig ] || fail "a refused signing wrote a signature"
run 1 "$M" verify-oms model --signature out.sig --key ecdsa-p384.pub
expect_in out "refused:   link (a symbolic link, and the signature does not allow symlinks)"
run 0 "$M" sign-oms model --key ecdsa-p384.key -o l.sig --allow-symlinks
run 0 "$M" verify-oms model --signature l.sig --key ecdsa-p384.pub
expect_in out "allow_symlinks true"
printf 'other' >model/w2.bin
ln -sf w2.bin model/link
run 1 "$M" verify-oms model --signature l.sig --key ecdsa-p384.pub
expect_in out "changed:   link"
rm model/link model/w2.bin

# Keys: the public half is needed; ed25519 is not an OMS key.
mkdir keys
cp ecdsa-p384.key keys/only.key
chmod 600 keys/only.key
run 2 "$M" sign-oms model --key keys/only.key -o x.sig
expect_in err "missing --public-key FILE"
run 2 "$M" sign-oms model --key keys/only.key --public-key ecdsa-p256.pub -o x.sig
expect_in err "'ecdsa-p256.pub' is not the public half of 'keys/only.key'"
run 0 "$M" sign-oms model --key keys/only.key --public-key ecdsa-p384.pub -o x.sig
"$M" keygen -o ed --unencrypted >/dev/null
run 3 "$M" sign-oms model --key ed.key -o x.sig
expect_in err "an ed25519 key; OMS signatures use ECDSA keys"

# Nothing to sign.
mkdir emptymodel
run 2 "$M" sign-oms emptymodel --key ecdsa-p384.key -o e.sig
expect_in err "no files to sign"
echo "oms roundtrip: ok"
