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
#  5. ECDSA P-256 and P-384: modelseal's key files (DER SPKI, PKCS#8) and
#     envelopes (DER signatures over SHA-256/384 of the PAE) are checked by
#     Python's `cryptography` and by securesystemslib's ECDSA verifier.
#  6. Key pairs made by `openssl genpkey` (Ed25519, P-256, P-384): modelseal
#     signs with the PEM key, Python and modelseal verify; Python signs,
#     modelseal verifies with the PEM public key and with a modelseal .pub
#     that Python wrote from it.
#  7. Encrypted secret key files (Argon2id + XChaCha20-Poly1305): PyNaCl
#     decrypts modelseal's and writes one that modelseal loads.
#
# Usage: dsse_interop.sh PATH/TO/dsse_sign_tool
set -euo pipefail

tool=$1
# The helper encrypts key files when this is set; the checks here choose.
unset MODELSEAL_PASSPHRASE
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

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

CURVES = {"ecdsa-p256": (ec.SECP256R1, hashes.SHA256, "ecdsa-sha2-nistp256"),
          "ecdsa-p384": (ec.SECP384R1, hashes.SHA384, "ecdsa-sha2-nistp384")}

def spki_der(pk):
    return pk.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)

def load_any_public(path):
    """(algorithm, public key object) from a modelseal .pub or a PEM file."""
    data = open(path, "rb").read()
    if data.startswith(b"-----BEGIN"):
        pk = serialization.load_pem_public_key(data)
    else:
        f = read_key(path)
        raw = base64.b64decode(f["key"], validate=True)
        if f["algorithm"] == "ed25519":
            return "ed25519", Ed25519PublicKey.from_public_bytes(raw)
        pk = serialization.load_der_public_key(raw)
    if isinstance(pk, Ed25519PublicKey):
        return "ed25519", pk
    for name, (curve, _, _) in CURVES.items():
        if isinstance(pk.curve, curve):
            return name, pk
    raise ValueError("unexpected key type")

def verify_with(alg, pk, sig, data):
    if alg == "ed25519":
        pk.verify(sig, data)
    else:
        # Strict DER: the signature re-encodes to the same bytes.
        r, s = decode_dss_signature(sig)
        assert encode_dss_signature(r, s) == sig, "signature is not canonical DER"
        pk.verify(sig, data, ec.ECDSA(CURVES[alg][1]()))

def sign_with(sk, data):
    if isinstance(sk, Ed25519PrivateKey):
        return sk.sign(data)
    return sk.sign(data, ec.ECDSA(CURVES["ecdsa-p256" if sk.curve.key_size == 256
                                         else "ecdsa-p384"][1]()))

def keyid_of(alg, pk):
    if alg == "ed25519":
        return hashlib.sha256(raw_public(pk)).hexdigest()
    return hashlib.sha256(spki_der(pk)).hexdigest()

def pem_of_der(der):
    b = base64.b64encode(der).decode()
    return ("-----BEGIN PUBLIC KEY-----\n" +
            "".join(b[i:i + 64] + "\n" for i in range(0, len(b), 64)) +
            "-----END PUBLIC KEY-----\n")

ENC = "argon2id-xchacha20poly1305"
ORDER = ["type", "algorithm", "keyid", "encryption", "kdf-opslimit", "kdf-memlimit", "salt",
         "nonce"]

def header(fields):
    return ("modelseal-key v1\n" +
            "".join("%s: %s\n" % (k, fields[k]) for k in ORDER if k in fields)).encode()

cmd = sys.argv[1]
if cmd == "check-ours-ec":
    # check-ours-ec NAME ENVELOPE PAYLOAD TYPE ALG
    name, env_path, payload_path, t, alg = sys.argv[2:7]
    pub, sec = read_key(name + ".pub"), read_key(name + ".key")
    assert list(pub) == ["type", "algorithm", "keyid", "key"], list(pub)
    assert list(sec) == ["type", "algorithm", "keyid", "encryption", "key"], list(sec)
    assert pub["algorithm"] == sec["algorithm"] == alg
    der = base64.b64decode(pub["key"], validate=True)
    pk = serialization.load_der_public_key(der)
    curve, hasher, scheme = CURVES[alg]
    assert isinstance(pk.curve, curve), pk.curve.name
    # Canonical SPKI: named curve, uncompressed point; the key id hashes it.
    assert spki_der(pk) == der, "SPKI is not canonical"
    keyid = hashlib.sha256(der).hexdigest()
    assert pub["keyid"] == sec["keyid"] == keyid, "key id is not sha256(SPKI)"
    assert sec["encryption"] == "none"
    sk = serialization.load_der_private_key(base64.b64decode(sec["key"], validate=True), None)
    assert spki_der(sk.public_key()) == der, "PKCS#8 does not match the public key"
    assert stat.S_IMODE(os.stat(name + ".key").st_mode) == 0o600
    body = open(payload_path, "rb").read()
    env = json.load(open(env_path, "rb"))
    assert list(env) == ["payloadType", "payload", "signatures"], list(env)
    assert env["payloadType"] == t and b64d(env["payload"]) == body
    assert env["signatures"][0]["keyid"] == keyid
    sig = b64d(env["signatures"][0]["sig"])
    data = pae(t.encode(), body)
    verify_with(alg, pk, sig, data)
    # securesystemslib's ECDSA verifier, given the SPKI as PEM.
    from securesystemslib import ecdsa_keys
    assert ecdsa_keys.verify_signature(pem_of_der(der), scheme, sig, data) is True
    assert ecdsa_keys.verify_signature(pem_of_der(der), scheme, sig, data + b"x") is False
elif cmd == "verify-any":
    # verify-any PUBFILE ENVELOPE: our .pub or PEM, any algorithm; exit 10 if invalid
    alg, pk = load_any_public(sys.argv[2])
    env = json.load(open(sys.argv[3], "rb"))
    try:
        verify_with(alg, pk, b64d(env["signatures"][0]["sig"]),
                    pae(env["payloadType"].encode(), b64d(env["payload"])))
    except InvalidSignature:
        sys.exit(10)
elif cmd == "make-pem":
    # make-pem KEYPEM PAYLOAD TYPE OUT: an envelope signed by a PEM private key
    sk = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
    body = open(sys.argv[3], "rb").read()
    t = sys.argv[4]
    sig = sign_with(sk, pae(t.encode(), body))
    open(sys.argv[5], "w").write(json.dumps(
        {"payloadType": t, "payload": base64.b64encode(body).decode(),
         "signatures": [{"keyid": "python", "sig": base64.b64encode(sig).decode()}]}))
elif cmd == "to-ours":
    # to-ours PUBPEM OUT: the modelseal .pub of a PEM public key, written independently
    alg, pk = load_any_public(sys.argv[2])
    key = raw_public(pk) if alg == "ed25519" else spki_der(pk)
    open(sys.argv[3], "w").write(
        "modelseal-key v1\ntype: public\nalgorithm: %s\nkeyid: %s\nkey: %s\n"
        % (alg, keyid_of(alg, pk), base64.b64encode(key).decode()))
elif cmd == "decrypt-ours":
    # decrypt-ours NAME PASSPHRASE: decrypt NAME.key with PyNaCl, match it to NAME.pub
    import nacl.bindings as nb
    import nacl.pwhash
    raw = open(sys.argv[2] + ".key", "rb").read()
    f = read_key(sys.argv[2] + ".key")
    assert f["encryption"] == ENC
    assert list(f) == ORDER + ["key"], list(f)
    # The additional data is every byte before the key line.
    ad = raw[:raw.index(b"\nkey: ") + 1]
    assert ad == header(f)
    kdf = nacl.pwhash.argon2id.kdf(32, sys.argv[3].encode(), base64.b64decode(f["salt"]),
                                   opslimit=int(f["kdf-opslimit"]),
                                   memlimit=int(f["kdf-memlimit"]))
    plain = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(
        base64.b64decode(f["key"]), ad, base64.b64decode(f["nonce"]), kdf)
    if f["algorithm"] == "ed25519":
        pk = Ed25519PrivateKey.from_private_bytes(plain).public_key()
    else:
        pk = serialization.load_der_private_key(plain, None).public_key()
    alg, want = load_any_public(sys.argv[2] + ".pub")
    assert alg == f["algorithm"]
    assert keyid_of(alg, pk) == keyid_of(alg, want) == f["keyid"]
elif cmd == "encrypt-ours":
    # encrypt-ours IN.key OUT.key PASSPHRASE: an unencrypted modelseal key, encrypted by PyNaCl
    import nacl.bindings as nb
    import nacl.pwhash
    import nacl.utils
    f = read_key(sys.argv[2])
    assert f["encryption"] == "none"
    plain = base64.b64decode(f["key"])
    f.update({"encryption": ENC, "kdf-opslimit": "1", "kdf-memlimit": "65536",
              "salt": base64.b64encode(nacl.utils.random(16)).decode(),
              "nonce": base64.b64encode(nacl.utils.random(24)).decode()})
    ad = header(f)
    kdf = nacl.pwhash.argon2id.kdf(32, sys.argv[4].encode(), base64.b64decode(f["salt"]),
                                   opslimit=1, memlimit=65536)
    ct = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, base64.b64decode(f["nonce"]),
                                                       kdf)
    fd = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, ad + b"key: " + base64.b64encode(ct) + b"\n")
    os.close(fd)
elif cmd == "check-ours":
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

# 5. ECDSA: ours, checked by Python (cryptography and securesystemslib).
for alg in ecdsa-p256 ecdsa-p384; do
    expect 0 "modelseal makes an $alg key pair and envelope" \
        "$tool" keygen-sign "carol-$alg" payload.json "$type" "carol-$alg.env" "$alg"
    if "$py" dsse_check.py check-ours-ec "carol-$alg" "carol-$alg.env" payload.json "$type" \
        "$alg"; then
        pass "Python and securesystemslib verify the $alg envelope and key files"
    else
        fail "Python does not accept the $alg envelope or key files"
    fi
    expect 0 "modelseal verifies its own $alg envelope" \
        "$tool" verify "carol-$alg.pub" "carol-$alg.env"
    expect 1 "the $alg envelope does not verify with an ed25519 key" \
        "$tool" verify alice.pub "carol-$alg.env"
    for field in payload payloadType sig; do
        "$py" dsse_check.py tamper "carol-$alg.env" "carol-$alg-$field.env" "$field"
        expect 10 "Python refuses the $alg envelope with $field changed" \
            "$py" dsse_check.py verify-any "carol-$alg.pub" "carol-$alg-$field.env"
        expect 1 "modelseal refuses the $alg envelope with $field changed" \
            "$tool" verify "carol-$alg.pub" "carol-$alg-$field.env"
    done
done

# 6. Keys made by openssl genpkey.
if command -v openssl >/dev/null 2>&1; then
    for spec in "ed25519:-algorithm ed25519" \
                "p256:-algorithm EC -pkeyopt ec_paramgen_curve:P-256" \
                "p384:-algorithm EC -pkeyopt ec_paramgen_curve:P-384"; do
        k=${spec%%:*}
        # shellcheck disable=SC2086
        openssl genpkey ${spec#*:} -out "ossl-$k.pem" 2>/dev/null
        chmod 600 "ossl-$k.pem"
        openssl pkey -in "ossl-$k.pem" -pubout -out "ossl-$k.pub.pem"
        expect 0 "modelseal signs with the openssl $k PEM key" \
            "$tool" sign "ossl-$k.pem" payload.json "$type" "ossl-$k.env"
        expect 0 "Python verifies modelseal's envelope with the openssl $k public key" \
            "$py" dsse_check.py verify-any "ossl-$k.pub.pem" "ossl-$k.env"
        expect 0 "modelseal verifies it with the openssl $k PEM public key" \
            "$tool" verify "ossl-$k.pub.pem" "ossl-$k.env"
        "$py" dsse_check.py make-pem "ossl-$k.pem" payload.json "$type" "ossl-$k-py.env"
        expect 0 "modelseal verifies Python's envelope with the openssl $k PEM public key" \
            "$tool" verify "ossl-$k.pub.pem" "ossl-$k-py.env"
        "$py" dsse_check.py to-ours "ossl-$k.pub.pem" "ossl-$k-conv.pub"
        expect 0 "modelseal verifies it with the .pub Python wrote for the $k key" \
            "$tool" verify "ossl-$k-conv.pub" "ossl-$k-py.env"
        ours_id=$(sed -n 's/.*"keyid":"\([0-9a-f]*\)".*/\1/p' "ossl-$k.env")
        py_id=$(sed -n 's/^keyid: //p' "ossl-$k-conv.pub")
        if [ -n "$ours_id" ] && [ "$ours_id" = "$py_id" ]; then
            pass "the $k key id of the PEM key is the one Python computes"
        else
            fail "the $k key id differs: modelseal $ours_id, Python $py_id"
        fi
        "$py" dsse_check.py tamper "ossl-$k-py.env" "ossl-$k-bad.env" sig
        expect 1 "modelseal refuses Python's $k envelope with sig changed" \
            "$tool" verify "ossl-$k.pub.pem" "ossl-$k-bad.env"
    done
else
    echo "skip: openssl(1) not found: no PEM interop checks"
fi

# 7. Encrypted key files, both ways.
if "$py" -c 'import nacl.pwhash, nacl.bindings' 2>/dev/null; then
    for alg in ed25519 ecdsa-p256; do
        MODELSEAL_PASSPHRASE="pass $alg" expect 0 "modelseal writes an encrypted $alg key" \
            "$tool" keygen-sign "enc-$alg" payload.json "$type" "enc-$alg.env" "$alg"
        if "$py" dsse_check.py decrypt-ours "enc-$alg" "pass $alg"; then
            pass "PyNaCl decrypts modelseal's encrypted $alg key"
        else
            fail "PyNaCl cannot decrypt modelseal's encrypted $alg key"
        fi
        MODELSEAL_PASSPHRASE="pass $alg" expect 0 "modelseal signs with its encrypted $alg key" \
            "$tool" sign "enc-$alg.key" payload.json "$type" "enc-$alg-2.env"
        expect 0 "Python verifies that envelope" \
            "$py" dsse_check.py verify-any "enc-$alg.pub" "enc-$alg-2.env"
    done
    "$py" dsse_check.py encrypt-ours bob.key bob-enc.key "python pass"
    MODELSEAL_PASSPHRASE="python pass" expect 0 "modelseal loads a key file PyNaCl encrypted" \
        "$tool" sign bob-enc.key payload.json "$type" bob-enc.env
    expect 0 "and its envelope verifies" "$tool" verify bob.pub bob-enc.env
    MODELSEAL_PASSPHRASE="python pasS" expect 2 "a wrong passphrase is refused" \
        "$tool" sign bob-enc.key payload.json "$type" bob-enc2.env
    if grep -q "bob-enc.key: wrong passphrase" err.txt; then
        pass "the refusal says: wrong passphrase"
    else
        fail "unexpected message: $(cat err.txt)"
    fi
else
    echo "skip: $py cannot import nacl (python3-nacl): no encrypted key interop checks"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails interop check(s) failed"
    exit 1
fi
echo "all interop checks passed"
