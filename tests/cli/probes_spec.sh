#!/usr/bin/env bash
# The probe generator and outputs, recomputed by an independent implementation of
# docs/compression.md section 8 (Python: cryptography's ChaCha20, math, struct).
. "$MS_SRC/tests/cli/lib.sh"
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
run 0 "$M" compress wide/model.safetensors -o c.safetensors --quantize q4_k --probes p.safetensors --probe-rows 3
"$PY" - <<'PY'
import hashlib, json, math, struct
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

def read_st(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    return h, raw[8 + n:]

def tensor(h, data, name):
    e = h[name]
    b, t = e["data_offsets"]
    fmt = {"F32": "f", "BF16": None}[e["dtype"]]
    if e["dtype"] == "BF16":
        vals = [struct.unpack("<f", b"\0\0" + data[i:i + 2])[0] for i in range(b, t, 2)]
    else:
        vals = list(struct.unpack("<%d%s" % ((t - b) // 4, fmt), data[b:t]))
    return e["shape"], vals

ph, pdata = read_st("p.safetensors")
meta = ph["__metadata__"]
assert meta["modelseal.probes.generator"] == "chacha20-box-muller-v1"
assert meta["modelseal.probes.version"] == "2"
# Each probe is bound to the one file that holds its tensor (the base name, as in the report).
assert json.loads(meta["modelseal.probes.files"]) == {
    n: "model.safetensors"
    for n in ("layers.0.attn.weight", "layers.0.mlp.weight", "embed.weight")}, meta
k = int(meta["modelseal.probes.rows"])
assert k == 3
seed = bytes.fromhex(meta["modelseal.probes.seed"])
# compress's seed: SHA-256 of "modelseal-probe-seed-v2:" and the input's header as
# stored (the 8-byte length field and the header bytes it counts).
src = open("wide/model.safetensors", "rb").read()
hlen = struct.unpack("<Q", src[:8])[0]
assert seed == hashlib.sha256(b"modelseal-probe-seed-v2:" + src[:8 + hlen]).digest()

def inputs(name, k, n):
    nonce = hashlib.sha256(b"modelseal-probe-v1:" + name.encode()).digest()[:12]
    # cryptography's ChaCha20 takes a 16-byte nonce: 32-bit counter (LE) then the 96-bit nonce.
    enc = Cipher(algorithms.ChaCha20(seed, b"\0\0\0\0" + nonce), mode=None).encryptor()
    pairs = (k * n + 1) // 2
    ks = enc.update(b"\0" * (8 * pairs))
    out = []
    for p in range(pairs):
        a, b = struct.unpack("<II", ks[8 * p:8 * p + 8])
        u1, u2 = (a + 0.5) / 2**32, (b + 0.5) / 2**32
        r = math.sqrt(-2 * math.log(u1))
        out.append(struct.unpack("<f", struct.pack("<f", r * math.cos(2 * math.pi * u2)))[0])
        out.append(struct.unpack("<f", struct.pack("<f", r * math.sin(2 * math.pi * u2)))[0])
    return out[:k * n]

h, data = read_st("wide/model.safetensors")
checked = 0
for name in ("layers.0.attn.weight", "layers.0.mlp.weight", "embed.weight"):
    (out, n), w = tensor(h, data, name)
    x = inputs(name, k, n)
    pshape, yorig = tensor(ph, pdata, name + "@orig")
    assert pshape == [k, out], pshape
    for j in range(k):
        for r in range(out):
            want = math.fsum(x[j * n + i] * w[r * n + i] for i in range(n))
            got = yorig[j * out + r]
            assert abs(got - want) <= 1e-5 * max(1.0, abs(want)), (name, j, r, got, want)
    checked += 1
assert checked == 3
# Norms, biases and integer tensors are not probed.
assert sorted(k for k in ph if k != "__metadata__") == sorted(
    n + s for n in ("layers.0.attn.weight", "layers.0.mlp.weight", "embed.weight")
    for s in ("@orig", "@comp"))
PY
echo "probes spec: ok"
