#!/bin/bash
# DSSE interop check against an independent implementation: Debian's Python
# with the `cryptography` module (OpenSSL's Ed25519), PAE computed in Python.
#
#  1. modelseal makes a key pair and an envelope; Python parses the key files
#     itself, recomputes the key id and PAE and verifies the signature.
#  2. Python makes a key and an envelope; the raw key is converted to the
#     modelseal key file format here (coreutils), and modelseal verifies.
#  3. Both sign the same payload with the same seed: Ed25519 is deterministic,
#     so the envelopes must be byte-identical.
#  4. Tampered envelopes are refused by both sides.
#
# Usage: dsse_interop.sh PATH/TO/dsse_sign_tool
set -euo pipefail

tool=$1
# Debian's interpreter, not whatever python3 comes first on PATH: that is
# where python3-cryptography is installed.
py=/usr/bin/python3
if ! "$py" -c 'import cryptography' 2>/dev/null; then
    echo "SKIP: $py cannot import cryptography (apt-get install python3-cryptography)"
    exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Expect the tool to exit with a given status.
expect() {
    local want=$1 what=$2
    shift 2
    local got=0
    "$@" >out.txt 2>err.txt || got=$?
    if [ "$got" -eq "$want" ]; then
        pass "$what"
    else
        fail "$what: exit $got, expected $want: $(cat err.txt)"
    fi
}

type=application/vnd.in-toto+json
# Non-ASCII bytes and a newline inside: the signature covers the exact bytes.
{
    printf '{"_type":"https://in-toto.io/Statement/v1",\n'
    printf '"subject":[{"name":"m\303\251\\u00e9","digest":{}}]}\n'
} >payload.json

# A small, independent DSSE/key-file implementation in Python.
cat >dsse_check.py <<'EOF'
import base64, hashlib, json, os, stat, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)
from cryptography.hazmat.primitives import serialization
from cryptography.exceptions import InvalidSignature

def pae(t: bytes, body: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)

def b64d(s: str) -> bytes:
    s = s.replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)

def read_key(path):
    lines = open(path, "rb").read().decode("utf-8").split("\n")
    assert lines[0] == "modelseal-key v1", lines[0]
    assert lines[-1] == "", "no final newline"
    fields = {}
    for line in lines[1:-1]:
        k, v = line.split(": ", 1)
        assert k not in fields
        fields[k] = v
    return fields

def raw_public(pk):
    return pk.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

def verify(env_path, pub_raw, want_payload=None, want_type=None):
    env = json.load(open(env_path, "rb"))
    body = b64d(env["payload"])
    sig = b64d(env["signatures"][0]["sig"])
    if want_payload is not None:
        assert body == want_payload, "payload differs"
    if want_type is not None:
        assert env["payloadType"] == want_type
    Ed25519PublicKey.from_public_bytes(pub_raw).verify(
        sig, pae(env["payloadType"].encode("utf-8"), body))
    return env

def raw_pub_of(path):
    return base64.b64decode(read_key(path)["key"], validate=True)

def envelope(t, body, sk, keyid, urlsafe=False):
    sig = sk.sign(pae(t.encode("utf-8"), body))
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    strip = (lambda s: s.rstrip("=")) if urlsafe else (lambda s: s)
    return json.dumps({"payloadType": t,
                       "payload": strip(enc(body).decode()),
                       "signatures": [{"keyid": keyid, "sig": strip(enc(sig).decode())}]},
                      separators=(",", ":"))

cmd = sys.argv[1]
if cmd == "check-ours":
    # check-ours NAME ENVELOPE PAYLOAD TYPE
    name, env_path, payload_path, t = sys.argv[2:6]
    pub, sec = read_key(name + ".pub"), read_key(name + ".key")
    assert list(pub) == ["type", "algorithm", "keyid", "key"], list(pub)
    assert list(sec) == ["type", "algorithm", "keyid", "encryption", "key"], list(sec)
    assert pub["type"] == "public" and sec["type"] == "secret"
    assert pub["algorithm"] == sec["algorithm"] == "ed25519"
    assert sec["encryption"] == "none"
    raw = base64.b64decode(pub["key"], validate=True)
    assert len(raw) == 32
    keyid = hashlib.sha256(raw).hexdigest()
    assert pub["keyid"] == sec["keyid"] == keyid, "key id is not sha256(raw public key)"
    assert stat.S_IMODE(os.stat(name + ".key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(name + ".pub").st_mode) == 0o644
    seed = base64.b64decode(sec["key"], validate=True)
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    assert raw_public(sk.public_key()) == raw, "seed does not match the public key"
    body = open(payload_path, "rb").read()
    env = verify(env_path, raw, body, t)
    assert env["signatures"][0]["keyid"] == keyid
    assert list(env) == ["payloadType", "payload", "signatures"], list(env)
    # Standard padded base64, compact JSON: exactly what Python writes.
    assert open(env_path).read() == envelope(t, body, sk, keyid), "envelope bytes differ"
elif cmd == "verify":
    # verify PUBFILE ENVELOPE: exit 10 if the signature is invalid (an
    # uncaught exception, meaning a broken check, exits 1)
    try:
        verify(sys.argv[3], raw_pub_of(sys.argv[2]))
    except InvalidSignature:
        sys.exit(10)
elif cmd == "make":
    # make SEEDFILE RAWPUBFILE PAYLOAD TYPE OUT [urlsafe]: SEEDFILE is reused if present
    seed_path, pub_path, payload_path, t, out = sys.argv[2:7]
    if os.path.exists(seed_path):
        sk = Ed25519PrivateKey.from_private_bytes(open(seed_path, "rb").read())
    else:
        sk = Ed25519PrivateKey.generate()
        seed = sk.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
        open(seed_path, "wb").write(seed)
    open(pub_path, "wb").write(raw_public(sk.public_key()))
    body = open(payload_path, "rb").read()
    keyid = "python-key"
    open(out, "w").write(envelope(t, body, sk, keyid, urlsafe=len(sys.argv) > 7))
elif cmd == "tamper":
    # tamper IN OUT FIELD: change one signed part (payload byte, type, sig bit)
    env = json.load(open(sys.argv[2], "rb"))
    field = sys.argv[4]
    if field == "payload":
        b = bytearray(b64d(env["payload"])); b[0] ^= 1
        env["payload"] = base64.b64encode(bytes(b)).decode()
    elif field == "payloadType":
        env["payloadType"] = env["payloadType"] + "x"
    elif field == "sig":
        b = bytearray(b64d(env["signatures"][0]["sig"])); b[31] ^= 0x80
        env["signatures"][0]["sig"] = base64.b64encode(bytes(b)).decode()
    open(sys.argv[3], "w").write(json.dumps(env))
else:
    sys.exit("unknown command " + cmd)
EOF

# 1. Ours, checked by Python.
expect 0 "modelseal makes a key pair and an envelope" \
    "$tool" keygen-sign alice payload.json "$type" alice.env
if "$py" dsse_check.py check-ours alice alice.env payload.json "$type"; then
    pass "Python verifies the modelseal envelope and key files"
else
    fail "Python does not accept the modelseal envelope or key files"
fi
expect 0 "modelseal verifies its own envelope" "$tool" verify alice.pub alice.env

# 4a. Tampered modelseal envelopes: refused by both.
for field in payload payloadType sig; do
    "$py" dsse_check.py tamper alice.env "alice-$field.env" "$field"
    expect 10 "Python refuses a modelseal envelope with $field changed" \
        "$py" dsse_check.py verify alice.pub "alice-$field.env"
    expect 1 "modelseal refuses its envelope with $field changed" \
        "$tool" verify alice.pub "alice-$field.env"
done

# 2. Python's, converted and checked by modelseal.
to_keyfiles() { # NAME SEED RAWPUB: write NAME.key and NAME.pub with coreutils
    local id
    id=$(sha256sum "$3" | cut -c1-64)
    printf 'modelseal-key v1\ntype: public\nalgorithm: ed25519\nkeyid: %s\nkey: %s\n' \
        "$id" "$(base64 -w0 "$3")" >"$1.pub"
    (umask 077 &&
        printf 'modelseal-key v1\ntype: secret\nalgorithm: ed25519\nkeyid: %s\n%s\nkey: %s\n' \
            "$id" "encryption: none" "$(base64 -w0 "$2")" >"$1.key")
}
for variant in standard urlsafe; do
    extra=()
    [ "$variant" = urlsafe ] && extra=(urlsafe)
    "$py" dsse_check.py make bob.seed bob.raw payload.json "$type" "bob-$variant.env" \
        "${extra[@]}"
    rm -f bob.key bob.pub
    to_keyfiles bob bob.seed bob.raw
    expect 0 "modelseal verifies a Python envelope ($variant base64)" \
        "$tool" verify bob.pub "bob-$variant.env" bob-payload.out
    if cmp -s bob-payload.out payload.json; then
        pass "payload decoded from the Python envelope ($variant) is byte-identical"
    else
        fail "payload decoded from the Python envelope ($variant) differs"
    fi
    expect 1 "the Python envelope ($variant) does not verify with another key" \
        "$tool" verify alice.pub "bob-$variant.env"
    for field in payload payloadType sig; do
        "$py" dsse_check.py tamper "bob-$variant.env" "bob-$field.env" "$field"
        expect 1 "modelseal refuses a Python envelope ($variant) with $field changed" \
            "$tool" verify bob.pub "bob-$field.env"
    done
done

# 3. Same seed, same payload: identical envelopes (keyid aside, which differs
#    by design: Python's test key id is a label).
expect 0 "modelseal signs with the converted Python seed" \
    "$tool" sign bob.key payload.json "$type" bob-ours.env
keyid=$(sha256sum bob.raw | cut -c1-64)
sed "s/\"keyid\":\"python-key\"/\"keyid\":\"$keyid\"/" bob-standard.env >bob-python.env
if cmp -s bob-ours.env bob-python.env; then
    pass "modelseal and Python make byte-identical envelopes from the same seed"
else
    fail "envelopes from the same seed differ: $(cat bob-ours.env) vs $(cat bob-python.env)"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails interop check(s) failed"
    exit 1
fi
echo "all interop checks passed"
