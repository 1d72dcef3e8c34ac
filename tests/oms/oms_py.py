#!/usr/bin/env python3
"""An independent OMS (OpenSSF Model Signing v1.0) signer and checker.

Written from the format description (docs/oms.md) with Python's standard
library and `cryptography`; it shares no code with modelseal.

  oms_py.py keygen PREFIX CURVE          PREFIX.key.pem (PKCS#8), PREFIX.pub.pem
  oms_py.py check MODEL SIG (--pub PEM | --modelseal-pub FILE) [--layout 1.0|1.1]
  oms_py.py sign MODEL SIG KEY.pem [--style v1.1|v1.0] [--subject-digest HEX]
                 [--reverse] [--method M] [--predicate-type T] [--bad-pae]
"""
import argparse
import base64
import hashlib
import json
import os
import pathlib
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
GIT_PATHS = [".git", ".gitattributes", ".github", ".gitignore"]


def pae(payload_type: str, body: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def hash_for(key) -> hashes.HashAlgorithm:
    return {256: hashes.SHA256(), 384: hashes.SHA384()}[key.curve.key_size]


def spki_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def spki_pem(key) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def file_digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_ignored(rel: pathlib.PurePosixPath, ignored) -> bool:
    return any(rel == i or i in rel.parents for i in ignored)


def model_files(model: pathlib.Path, ignored):
    """{relative name: sha256 hex} of the model, as model_signing hashes it."""
    if model.is_file():
        return {".": file_digest(model)}
    out = {}
    for p in model.rglob("*"):
        rel = pathlib.PurePosixPath(p.relative_to(model).as_posix())
        if is_ignored(rel, ignored):
            continue
        if p.is_symlink():
            raise SystemExit(f"symlink in the model: {rel}")
        if p.is_file():
            out[str(rel)] = file_digest(p)
    return out


def inside(model: pathlib.Path, path: pathlib.Path):
    try:
        return pathlib.PurePosixPath(path.resolve().relative_to(model.resolve()).as_posix())
    except ValueError:
        return None


def cmd_keygen(a):
    curve = {"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1()}[a.curve]
    k = ec.generate_private_key(curve)
    key_path = a.prefix + ".key.pem"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    with open(a.prefix + ".pub.pem", "wb") as f:
        f.write(spki_pem(k.public_key()))


def cmd_check(a):
    model, sig_path = pathlib.Path(a.model), pathlib.Path(a.signature)
    b = json.loads(sig_path.read_text())
    assert b["mediaType"] == BUNDLE_TYPE, b["mediaType"]
    env = b["dsseEnvelope"]
    assert env["payloadType"] == PAYLOAD_TYPE
    assert len(env["signatures"]) == 1
    payload = base64.b64decode(env["payload"], validate=True)
    sig = base64.b64decode(env["signatures"][0]["sig"], validate=True)

    # The trusted key: a PEM file, or the `key:` line of a modelseal .pub file.
    if a.pub:
        trusted = serialization.load_pem_public_key(pathlib.Path(a.pub).read_bytes())
    else:
        line = [l for l in pathlib.Path(a.modelseal_pub).read_text().splitlines()
                if l.startswith("key: ")][0]
        trusted = serialization.load_der_public_key(base64.b64decode(line[5:]))
    assert isinstance(trusted, ec.EllipticCurvePublicKey)

    # The key the bundle names, in either layout (a.layout: what it must be).
    vm = b["verificationMaterial"]
    pk = vm["publicKey"]
    keyid = env["signatures"][0]["keyid"]
    if "hint" in pk:
        # model_signing 1.1: the SHA-256 of the PEM, and nothing else.
        assert a.layout in (None, "1.1"), "1.1 layout, expected " + a.layout
        assert list(vm) == ["publicKey", "tlogEntries"] and vm["tlogEntries"] == [], vm
        assert list(pk) == ["hint"], pk
        assert pk["hint"] == hashlib.sha256(spki_pem(trusted)).hexdigest(), "hint is not the key's"
        assert keyid == "", keyid
    else:
        # model_signing 1.0.x: the PEM itself, and its details.
        assert a.layout in (None, "1.0"), "1.0 layout, expected " + a.layout
        assert list(vm) == ["publicKey"] and list(pk) == ["rawBytes", "keyDetails"], vm
        raw_pem = base64.b64decode(pk["rawBytes"], validate=True)
        key = serialization.load_pem_public_key(raw_pem)
        assert isinstance(key, ec.EllipticCurvePublicKey)
        assert raw_pem == spki_pem(key), "rawBytes is not the canonical PEM"
        want_details = {256: "PKIX_ECDSA_P256_SHA_256", 384: "PKIX_ECDSA_P384_SHA_384"}
        assert pk["keyDetails"] == want_details[key.curve.key_size], pk["keyDetails"]
        assert spki_der(trusted) == spki_der(key), "rawBytes is not the trusted key"
        assert keyid is None, keyid
    key = trusted
    key.verify(sig, pae(env["payloadType"], payload), ec.ECDSA(hash_for(key)))

    st = json.loads(payload)
    assert st["_type"] == STATEMENT_TYPE and st["predicateType"] == PREDICATE_TYPE
    assert len(st["subject"]) == 1
    ser = st["predicate"]["serialization"]
    assert ser["method"] == "files" and ser["hash_type"] == "sha256"
    res = st["predicate"]["resources"]
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in res)).hexdigest()
    assert st["subject"][0]["digest"]["sha256"] == root, "inconsistent subject"
    names = [r["name"] for r in res]
    assert names == [str(p) for p in sorted(pathlib.PurePosixPath(n) for n in names)], names
    if model.is_dir():
        assert st["subject"][0]["name"] == model.resolve().name

    ignored = [pathlib.PurePosixPath(p) for p in ser.get("ignore_paths", [])]
    ignored += [pathlib.PurePosixPath(p) for p in GIT_PATHS]
    s = inside(model, sig_path)
    if s is not None:
        ignored.append(s)
    found = model_files(model, ignored)
    signed = {r["name"]: r["digest"] for r in res}
    bad = sorted(set(found) ^ set(signed)) + sorted(
        n for n in set(found) & set(signed) if found[n] != signed[n])
    if bad:
        print("python: MISMATCH " + " ".join(bad), file=sys.stderr)
        sys.exit(1)
    print(f"python: OK ({len(found)} files, {key.curve.name})")


def cmd_sign(a):
    model, sig_path = pathlib.Path(a.model), pathlib.Path(a.signature)
    key = serialization.load_pem_private_key(pathlib.Path(a.key).read_bytes(), None)
    ignored = [pathlib.PurePosixPath(p) for p in GIT_PATHS]
    s = inside(model, sig_path)
    if s is not None:
        ignored.append(s)
    files = model_files(model, ignored)
    names = [str(p) for p in sorted(pathlib.PurePosixPath(n) for n in files)]
    if a.reverse:
        names.reverse()
    res = [{"algorithm": "sha256", "digest": files[n], "name": n} for n in names]
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in res)).hexdigest()
    ser = {"method": a.method, "hash_type": "sha256", "allow_symlinks": False}
    if a.method == "shards":
        ser["shard_size"] = 1000000000
    if a.style == "v1.1" and model.is_dir():
        ser["ignore_paths"] = [str(p) for p in ignored]
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": model.resolve().name,
                     "digest": {"sha256": a.subject_digest or root}}],
        "predicateType": a.predicate_type,
        "predicate": {"serialization": ser, "resources": res},
    }
    payload = json.dumps(statement, indent=2).encode()
    to_sign = pae(PAYLOAD_TYPE, payload)
    if a.bad_pae:
        to_sign = pae(PAYLOAD_TYPE + " ", payload)
    sig = key.sign(to_sign, ec.ECDSA(hash_for(key.public_key())))
    pem = spki_pem(key.public_key())
    if a.style == "v1.1":
        material = {"publicKey": {"hint": hashlib.sha256(pem).hexdigest()}, "tlogEntries": []}
        keyid = ""
    else:
        details = {256: "PKIX_ECDSA_P256_SHA_256", 384: "PKIX_ECDSA_P384_SHA_384"}
        material = {"publicKey": {"rawBytes": base64.b64encode(pem).decode(),
                                  "keyDetails": details[key.curve.key_size]}}
        keyid = None
    bundle = {
        "mediaType": BUNDLE_TYPE,
        "verificationMaterial": material,
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": keyid}],
        },
    }
    sig_path.write_text(json.dumps(bundle))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keygen")
    k.add_argument("prefix")
    k.add_argument("curve")
    c = sub.add_parser("check")
    c.add_argument("model")
    c.add_argument("signature")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--pub")
    g.add_argument("--modelseal-pub")
    c.add_argument("--layout", choices=["1.0", "1.1"])
    s = sub.add_parser("sign")
    s.add_argument("model")
    s.add_argument("signature")
    s.add_argument("key")
    s.add_argument("--style", default="v1.1", choices=["v1.0", "v1.1"])
    s.add_argument("--subject-digest")
    s.add_argument("--reverse", action="store_true")
    s.add_argument("--method", default="files")
    s.add_argument("--predicate-type", default=PREDICATE_TYPE)
    s.add_argument("--bad-pae", action="store_true")
    a = p.parse_args()
    {"keygen": cmd_keygen, "check": cmd_check, "sign": cmd_sign}[a.cmd](a)


if __name__ == "__main__":
    main()
