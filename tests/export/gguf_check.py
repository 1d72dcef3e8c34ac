#!/usr/bin/env python3
"""gguf_check.py FILE.gguf UNPACKED_DIR MANIFEST_DIGEST KEYID ARCH

Reads an exported GGUF with the independent reader of tests/gguf/gguf_tool.py
(written from the GGUF specification, standard library only) and checks it
against the bundle's stored files (as unpacked): version 3, 32-byte alignment
of the data section and of every tensor, the general.* and modelseal.* keys,
one tensor per stored tensor with its name, its logical shape reversed
(innermost first) and the ggml type of its scheme, and tensor bytes equal to
the stored blocks (per-row int8, which ggml lacks: the f16 of q * scale).
Prints one line per tensor: NAME TYPE DIMS.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gguf"))
parse = __import__("gguf_tool").parse  # a sibling script, not an installed module

path, udir, digest, keyid, arch = sys.argv[1:6]
data = open(path, "rb").read()
g = parse(data)
assert data[:4] == b"GGUF" and g["version"] == 3
assert g["alignment"] == 32 and "general.alignment" not in g["kv"]
assert g["data_offset"] % 32 == 0
kv = g["kv"]
assert kv["general.architecture"] == arch, kv
assert kv["general.name"] == "m" and kv["general.version"] == "1.0.0", kv
assert kv["general.license"] == "Apache-2.0", kv
assert kv["modelseal.bundle.manifest_digest"] == digest, kv
assert kv["modelseal.bundle.signers"] == [keyid], kv
assert kv["modelseal.bundle.statement_digest"].startswith("sha256:"), kv
assert kv["general.base_model.count"] == 1 and kv["general.base_model.0.name"] == "base-model", kv
assert kv["general.dataset.count"] == 1 and kv["general.dataset.0.name"] == "corpus", kv
assert kv["general.dataset.0.repo_url"] == "https://example.org/corpus", kv
assert g["kv_types"]["general.file_type"] == 4 and g["kv_types"]["modelseal.bundle.signers"] == 9

GGML = {"q8_0": "Q8_0", "q4_0": "Q4_0", "q4_k": "Q4_K", "q6_k": "Q6_K", "f16": "F16", "bf16": "BF16"}
DT = {"F32": "F32", "F16": "F16", "BF16": "BF16", "F64": "F64", "I64": "I64", "I32": "I32"}
stored = {}
for name in sorted(os.listdir(udir)):
    if not name.endswith(".safetensors"):
        continue
    raw = open(os.path.join(udir, name), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    meta = head.pop("__metadata__", {})
    rec = json.loads(meta.get("modelseal.compression", "{}")).get("tensors", {})
    for t, info in head.items():
        b, e = info["data_offsets"]
        stored[t] = (info, rec.get(t), raw[8 + n + b:8 + n + e])
by_name = {t["name"]: t for t in g["tensors"]}
assert sorted(by_name) == sorted(stored), (sorted(by_name), sorted(stored))
quantized = any(t["type_name"] in ("Q8_0", "Q4_0", "Q4_K", "Q6_K") for t in g["tensors"])
assert ("general.quantization_version" in kv) == quantized, kv
for t in g["tensors"]:
    info, rec, blob = stored[t["name"]]
    assert t["file_offset"] % 32 == 0 and t["offset"] % 32 == 0, t
    shape = rec["shape"] if rec else info["shape"]
    assert t["dims"] == list(reversed(shape)) or (shape == [] and t["dims"] == [1]), (t, shape)
    body = data[t["file_offset"]:t["file_offset"] + t["nbytes"]]
    scheme = rec["scheme"] if rec else "none"
    if scheme == "int8":
        assert t["type_name"] == "F16", t
        cols = shape[-1]
        want = b""
        for r in range(len(blob) // (4 + cols)):
            row = blob[r * (4 + cols):(r + 1) * (4 + cols)]
            scale = struct.unpack("<f", row[:4])[0]
            for q in struct.unpack("<%db" % cols, row[4:]):
                x = struct.unpack("<f", struct.pack("<f", q * scale))[0]
                want += struct.pack("<e", x)
        assert body == want, t["name"]
    else:
        want_type = GGML[scheme] if scheme != "none" else DT[(rec or info)["dtype"]]
        assert t["type_name"] == want_type, (t, scheme)
        assert body == blob, t["name"]
    print(t["name"], t["type_name"], "x".join(map(str, t["dims"])))
