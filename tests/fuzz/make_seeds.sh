#!/usr/bin/env bash
# make_seeds.sh BUILD-DIR: regenerate the hand-made seed inputs of the fuzz
# corpora (tests/fuzz/corpus/<target>/) from the checked-in test key pair
# (tests/fuzz/keys/) and the modelseal binary built in BUILD-DIR.
#
# The output is deterministic: packing uses SOURCE_DATE_EPOCH=1700000000,
# Ed25519 signatures are deterministic and bundle_tool.py writes fixed tar
# headers, so rerunning this rewrites byte-identical files.  Inputs found by
# fuzzing (named fz-*) are not touched.  Seeds named valid-* carry an
# expectation checked by the replay: they must parse / verify.
#
# Key generation is random, so the key pair is never regenerated here; a new
# key would also have to replace the key embedded in tests/fuzz/fuzz_key.h.
# The keyfile seeds named keygen-* and pem-* (ECDSA and encrypted key files
# from `modelseal keygen`, PEM files from `openssl genpkey`) are random keys
# made once; this script leaves them alone.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD-DIR" >&2
  exit 2
fi
M="$(cd "$1" && pwd)/cli/modelseal"
[ -x "$M" ] || { echo "$M: not built" >&2; exit 1; }
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../.." && pwd)"
PY=/usr/bin/python3
TOOL="$SRC/tests/cli/bundle_tool.py"
C="$HERE/corpus"
KEY="$HERE/keys/fuzz.key"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C

# git does not keep mode 0600, and the loader refuses a group-readable secret key.
chmod 600 "$KEY"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ms-seeds.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$C"/{bundle,dsse,keyfile,json,semver,path}

# ---- bundles --------------------------------------------------------------
B="$C/bundle"
"$PY" "$TOOL" make-model "$WORK/model"
"$M" pack "$WORK/model" -o "$B/valid-tiny.mseal" --key "$KEY" --name tiny --version 1.0.0 \
  --license Apache-2.0 --description "fuzz seed" >/dev/null
mkdir "$WORK/single"
cp "$WORK/model/model.safetensors" "$WORK/single/"
"$M" pack "$WORK/single/model.safetensors" -o "$B/valid-single-file.mseal" --key "$KEY" \
  --name single --version 2.0.0-rc.1+build.5 >/dev/null
# With lineage: a base model, datasets of every role, licenses that conflict.
printf 'train\n' >"$WORK/train.csv"
cat >"$WORK/lineage.json" <<JSON
{"specVersion": 1, "name": "lineage", "version": "1.0.0", "license": "MIT OR Apache-2.0",
 "authors": ["Ada"], "card": {"intendedUse": "fuzzing", "limitations": "none"},
 "baseModels": [{"name": "tiny", "bundle": "$B/valid-tiny.mseal", "relation": "finetune",
                 "license": "LicenseRef-Llama-3-Community"}],
 "datasets": [
   {"name": "nc", "path": "train.csv", "license": "CC-BY-NC-SA-4.0", "role": "training", "records": 1},
   {"name": "gpl", "uri": "https://example.org/gpl", "license": "GPL-3.0-or-later", "role": "calibration"},
   {"name": "eval", "uri": "https://example.org/eval", "role": "evaluation"}]}
JSON
"$M" pack "$WORK/model" -o "$B/valid-lineage.mseal" --key "$KEY" --spec "$WORK/lineage.json" \
  >/dev/null

for c in weights manifest duplicate-entry envelope index-version drop-blob add-blob \
         sparse-weights trailing-tar \
         rehash-weights; do
  "$PY" "$TOOL" tamper "$B/valid-tiny.mseal" "$B/tamper-$c.mseal" "$c"
done
# Re-signed by the trusted key: the signature holds, the contents are refused.
for c in no-format format-2 resign-extra-subject 'filepath=../escape.md:dotdot' \
         'filepath=/abs/README.md:absolute'; do
  case "$c" in
    filepath=*) name=resign-filepath-${c##*:} c=${c%:*} ;;
    *) name=$c ;;
  esac
  "$PY" "$TOOL" tamper "$B/valid-tiny.mseal" "$B/tamper-$name.mseal" "$c" key="$KEY"
done
"$PY" "$TOOL" tamper "$B/valid-tiny.mseal" "$B/tamper-foreign-signature.mseal" \
  foreign-signature other="$B/valid-single-file.mseal"
# A compressed bundle (format 1.1, probes bound to their files) and forgeries
# of it, re-signed: a decoy weights file, a stripped compression record.
"$PY" "$TOOL" make-model-wide "$WORK/wide"
"$M" pack "$WORK/wide" -o "$B/valid-compressed.mseal" --key "$KEY" --name wide --version 1.0.0 \
  --quantize q4_0 >/dev/null
"$PY" "$TOOL" forge "$B/valid-compressed.mseal" "$B/forge-decoy.mseal" "$KEY" alter decoy relabel
"$PY" "$TOOL" forge "$B/valid-compressed.mseal" "$B/forge-strip-record.mseal" "$KEY" strip-record
size=$(stat -c %s "$B/valid-tiny.mseal")
head -c $((size / 2)) "$B/valid-tiny.mseal" >"$B/truncate-half.mseal"
head -c 700 "$B/valid-tiny.mseal" >"$B/truncate-header.mseal"
: >"$B/empty.mseal"
cp "$WORK/model/config.json" "$B/not-a-tar.mseal"
for c in absolute dotdot symlink hardlink device sparse typeflag; do
  ESCAPE=/nonexistent/escape "$PY" "$TOOL" hostile "$B/hostile-$c.mseal" "$c"
done

# ---- DSSE envelopes, base64 -----------------------------------------------
"$PY" - "$B/valid-tiny.mseal" "$C/dsse" "$TOOL" <<'PY'
import base64, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("bundle_tool", sys.argv[3])
bt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bt)
b = bt.Bundle(sys.argv[1])
sm = b.doc(b.manifest_desc(bt.AT_SIG))
raw = b.blob(sm["layers"][0]["digest"][7:])
env = json.loads(raw)
out = sys.argv[2]

def put(name, data):
    with open(out + "/" + name, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def dump(name, obj):
    put(name, bt.dumps(obj))

def urlsafe(s, pad=False):
    s = s.replace("+", "-").replace("/", "_")
    return s if pad else s.rstrip("=")

sig = env["signatures"][0]
put("valid-envelope.json", raw)
dump("valid-urlsafe-unpadded.json", dict(env, payload=urlsafe(env["payload"]),
     signatures=[dict(sig, sig=urlsafe(sig["sig"]))]))
dump("valid-no-keyid.json", dict(env, signatures=[{"sig": sig["sig"]}]))
dump("valid-extension-members.json", dict(env, extra={"x": 1},
     signatures=[dict(sig, note="unsigned")]))
other = base64.b64encode(bytes(64)).decode()
dump("valid-two-signatures.json", dict(env, signatures=[{"keyid": "other", "sig": other}, sig]))
put("valid-pretty.json", json.dumps(env, indent=2))
flipped = bytearray(base64.b64decode(env["payload"])); flipped[10] ^= 1
dump("bad-payload-flipped.json", dict(env, payload=base64.b64encode(bytes(flipped)).decode()))
dump("bad-type-changed.json", dict(env, payloadType="application/json"))
short = base64.b64encode(base64.b64decode(sig["sig"])[:63]).decode()
dump("bad-sig-63-bytes.json", dict(env, signatures=[dict(sig, sig=short)]))
dump("bad-no-signatures.json", dict(env, signatures=[]))
dump("bad-empty-sig.json", dict(env, signatures=[dict(sig, sig="")]))
dump("bad-65-signatures.json", dict(env, signatures=[sig] * 65))
dump("bad-keyid-number.json", dict(env, signatures=[dict(sig, keyid=7)]))
dump("bad-mixed-alphabet.json", dict(env, payload="ab+_"))
dump("bad-payload-not-base64.json", dict(env, payload="not base64!"))
put("bad-escaped-nul.json", bt.dumps(env).replace(b'"payloadType":"',
    b'"payloadType":"x\\u0000', 1))
put("bad-duplicate-key.json", bt.dumps(env)[:-1] + b',"payload":""}')
put("bad-not-object.json", b"[1,2,3]")
put("b64-padded", b"Zm9vYg==")
put("b64-unpadded", b"Zm9vYmE")
put("b64-urlsafe", b"-_-_")
put("b64-noncanonical", b"Zm9vYh==")
put("b64-excess-padding", b"Zm9v====")
put("b64-empty", b"")
PY

# ---- key files ------------------------------------------------------------
K="$C/keyfile"
cp "$HERE/keys/fuzz.pub" "$K/valid-public.pub"
cp "$KEY" "$K/valid-secret.key"
chmod 644 "$K/valid-secret.key"
"$PY" - "$HERE/keys/fuzz.pub" "$KEY" "$K" <<'PY'
import sys
pub = open(sys.argv[1]).read()
sec = open(sys.argv[2]).read()
out = sys.argv[3]

def put(name, text):
    with open(out + "/" + name, "w", newline="") as f:
        f.write(text)

lines = pub.splitlines()
put("crlf.pub", "\r\n".join(lines) + "\r\n")
put("no-final-newline.pub", pub.rstrip("\n"))
put("version-2.pub", pub.replace("modelseal-key v1", "modelseal-key v2", 1))
put("unknown-field.pub", pub + "comment: hello\n")
put("duplicate-field.pub", pub + lines[2] + "\n")
put("wrong-keyid.pub", pub.replace(lines[3][-4:], "0000"))
put("upper-keyid.pub", pub.replace(lines[3], lines[3].upper().replace("KEYID", "keyid")))
put("bad-base64.pub", pub.replace(lines[4], "key: !!!!"))
put("short-key.pub", pub.replace(lines[4], "key: AAAA"))
put("encryption-in-public.pub", pub + "encryption: none\n")
put("type-private.pub", pub.replace("type: public", "type: private"))
put("algorithm-ecdsa.pub", pub.replace("ed25519", "ecdsa-p256"))
put("empty-line.pub", pub.replace("\n", "\n\n", 1))
put("missing-key.pub", "\n".join(lines[:4]) + "\n")
put("secret-encrypted.key", sec.replace("encryption: none", "encryption: scrypt"))
put("secret-no-encryption.key", "\n".join(l for l in sec.splitlines()
                                          if not l.startswith("encryption")) + "\n")
put("secret-wrong-keyid.key", sec.replace(sec.splitlines()[3], "keyid: " + "0" * 64))
put("escape-in-version", "modelseal-key \x1b[2J\n")

# The test key encrypted under the passphrase "fuzz" with the cheapest
# Argon2id (1 pass, 8 KiB; the fuzz target only tries a passphrase on files
# asking for a cheap derivation).  Fixed salt and nonce: deterministic.
import base64
import nacl.bindings
import nacl.pwhash
fields = dict(l.split(": ", 1) for l in sec.splitlines()[1:])
salt, nonce = bytes([0x5a]) * 16, bytes([0xa5]) * 24
header = ("modelseal-key v1\ntype: secret\nalgorithm: ed25519\nkeyid: %s\n"
          "encryption: argon2id-xchacha20poly1305\nkdf-opslimit: 1\nkdf-memlimit: 8192\n"
          "salt: %s\nnonce: %s\n" % (fields["keyid"], base64.b64encode(salt).decode(),
                                      base64.b64encode(nonce).decode()))
key = nacl.pwhash.argon2id.kdf(32, b"fuzz", salt, opslimit=1, memlimit=8192)
ct = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
    base64.b64decode(fields["key"]), header.encode(), nonce, key)
put("valid-encrypted-cheap-kdf.key", header + "key: " + base64.b64encode(ct).decode() + "\n")
put("encrypted-cheap-kdf-header-changed.key",
    header.replace("kdf-opslimit: 1", "kdf-opslimit: 2") + "key: " + base64.b64encode(ct).decode() + "\n")
put("empty", "")
PY

# ---- JSON -----------------------------------------------------------------
J="$C/json"
"$PY" - "$J" <<'PY'
import sys
out = sys.argv[1]
seeds = {
    "object.json": '{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-2.5e-3}',
    "integers.json": '{"zero":0,"max":9007199254740991,"two53":9007199254740992,'
                     '"neg":-1,"frac":1.0,"exp":1e3,"big":1e15,"negzero":-0}',
    "strings.json": '{"esc":"\\"\\\\\\/\\b\\f\\n\\r\\t","u":"\\u00e9\\ud83d\\ude00",'
                    '"raw":"\u00e9","ctl":"\\u001b[2J"}',
    "escaped-nul-key.json": '{"a\\u0000b":1,"a\\u0000c":2}',
    "duplicate-deep.json": '{"a":{"b":1,"b":2}}',
    "leading-zero.json": '[01]',
    "lone-surrogate.json": '["\\ud800"]',
    "trailing.json": '{} x',
    "whitespace.json": ' \t\r\n[ 1 , 2 ]\n ',
    "deep-64.json": '[' * 64 + ']' * 64,
    "deep-65.json": '[' * 65 + ']' * 65,
    "number-forms.json": '[-0.0,1E+2,1e-2,123456789012345678901234567890,1.7976931348623157e308,'
                         '1e400,-1e400,5e-324]',
    "scalar.json": '"just a string"',
    "empty-object-array.json": '[{},[],{"":""}]',
    "nul-byte.json": '{"a":"\x00"}',
    "control-char-in-string.json": '["a\x01b"]',
}
for name, text in seeds.items():
    with open(out + "/" + name, "w", newline="") as f:
        f.write(text)
PY
# The documents of a real bundle (index, manifests, statement).
"$PY" - "$B/valid-tiny.mseal" "$J" "$TOOL" <<'PY'
import base64, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("bundle_tool", sys.argv[3])
bt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bt)
b = bt.Bundle(sys.argv[1])
out = sys.argv[2]
def put(name, data):
    with open(out + "/" + name, "wb") as f:
        f.write(data)
put("bundle-index.json", b.get("index.json"))
md = b.manifest_desc(bt.AT_MODEL)
put("bundle-model-manifest.json", b.blob(md["digest"][7:]))
m = b.doc(md)
put("bundle-modelpack-config.json", b.blob(m["config"]["digest"][7:]))
sm = b.doc(b.manifest_desc(bt.AT_SIG))
env = json.loads(b.blob(sm["layers"][0]["digest"][7:]))
put("bundle-statement.json", base64.b64decode(env["payload"]))
PY

# ---- semantic versions and names (A NUL B) --------------------------------
V="$C/semver"
"$PY" - "$V" <<'PY'
import sys
out = sys.argv[1]
pairs = {
    "release-order": ("1.0.0", "2.0.0"),
    "prerelease-chain": ("1.0.0-alpha", "1.0.0-alpha.1"),
    "prerelease-numeric-vs-alpha": ("1.0.0-alpha.beta", "1.0.0-beta.2"),
    "prerelease-numeric-length": ("1.0.0-rc.9", "1.0.0-rc.10"),
    "prerelease-before-release": ("1.0.0-rc.1", "1.0.0"),
    "build-ignored": ("1.0.0+build.1", "1.0.0+build.2"),
    "build-with-prerelease": ("1.0.0-x.7.z.92+exp.sha.5114f85", "1.0.0-x.7.z.93"),
    "hyphen-identifiers": ("1.0.0-x-y-z.--", "1.0.0-x-y-z.-"),
    "leading-zero": ("01.0.0", "1.0.0-01"),
    "eighteen-digits": ("999999999999999999.0.0", "1000000000000000000.0.0"),
    "leading-v": ("v1.2.3", "V1.2.3"),
    "empty-parts": ("1..3", "1.2.3-"),
    "plus-empty": ("1.2.3+", "1.2.3-a..b"),
    "names": ("tiny-model_v1.0", "-bad"),
    "names-upper": ("Model", "a" * 129),
}
for name, (a, b) in pairs.items():
    with open(out + "/" + name, "wb") as f:
        f.write(a.encode() + b"\0" + b.encode())
with open(out + "/no-nul-halves", "wb") as f:
    f.write(b"1.2.3-a.b1.2.3-a.c")
PY

# ---- relative paths -------------------------------------------------------
P="$C/path"
"$PY" - "$P" <<'PY'
import sys
out = sys.argv[1]
seeds = {
    "ok-nested": "weights/shard-00001.safetensors",
    "ok-dots-in-name": "a/..b/c../...",
    "dotdot-leading": "../etc/passwd",
    "dotdot-inner": "a/../../b",
    "dotdot-trailing": "a/..",
    "dot-component": "a/./b",
    "absolute": "/etc/passwd",
    "double-slash": "a//b",
    "trailing-slash": "a/b/",
    "backslash": "a\\..\\b",
    "control": "a\x1b[2Jb",
    "del": "a\x7fb",
    "utf8": "mod\u00e8le/\u202eexe.txt",
    "long-4096": "a" * 4096,
    "long-4097": "a" * 4097,
    "nul-cut": "ok\x00/../x",
}
for name, text in seeds.items():
    with open(out + "/" + name, "wb") as f:
        f.write(text.encode())
PY

echo "seeds written under $C"
du -sh "$C"
