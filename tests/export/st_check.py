#!/usr/bin/env python3
"""st_check.py EXPORT_DIR ORIGINAL_DIR DTYPE MANIFEST_DIGEST

Reads an exported directory by the safetensors specification alone (standard
library only): 8-byte little-endian header length, a JSON header, data
offsets that tile the data section; every float tensor in DTYPE with the
original shape, integer tensors as stored; no modelseal.compression record;
modelseal.exported_from naming the bundle; the shard index's weight_map kept
and metadata.total_size equal to the exported tensor bytes; other files
identical to the original ones.
"""
import json
import os
import struct
import sys

out, orig, dtype, digest = sys.argv[1:5]
SIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "U8": 1, "I8": 1}
want = dtype.upper()


def read_header(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    assert n % 8 == 0 and 8 + n <= len(data), path
    head = json.loads(data[8:8 + n].decode("utf-8"))
    return head, len(data) - 8 - n


total = 0
names = sorted(os.listdir(orig))
assert sorted(os.listdir(out)) == names, (os.listdir(out), names)
for name in names:
    o, e = os.path.join(orig, name), os.path.join(out, name)
    if name.endswith(".safetensors"):
        head, data_len = read_header(e)
        ohead, _ = read_header(o)
        meta = head.pop("__metadata__")
        ometa = ohead.pop("__metadata__", {})
        assert "modelseal.compression" not in meta, meta
        assert meta["modelseal.exported_from"] == digest, meta
        for k, v in ometa.items():
            if k != "modelseal.compression":
                assert meta[k] == v, (k, meta)
        assert sorted(head) == sorted(ohead), name
        spans = []
        for t, info in head.items():
            oinfo = ohead[t]
            assert set(info) == {"dtype", "shape", "data_offsets"}, info
            b, en = info["data_offsets"]
            spans.append((b, en))
            count = 1
            for d in info["shape"]:
                count *= d
            if oinfo["dtype"] in ("I64", "I32", "I8") or (oinfo["dtype"] == "U8" and info["dtype"] == "U8"):
                assert info["dtype"] == oinfo["dtype"] and info["shape"] == oinfo["shape"], t
            else:
                assert info["dtype"] == want, (t, info)
            assert en - b == count * SIZE[info["dtype"]], (t, info)
        spans.sort()
        pos = 0
        for b, en in spans:
            assert b == pos, (name, spans)
            pos = en
        assert pos == data_len, (name, pos, data_len)
        total += data_len
    elif name.endswith(".safetensors.index.json"):
        continue
    else:
        with open(o, "rb") as f1, open(e, "rb") as f2:
            assert f1.read() == f2.read(), name
for name in names:
    if name.endswith(".safetensors.index.json"):
        idx = json.load(open(os.path.join(out, name)))
        oidx = json.load(open(os.path.join(orig, name)))
        assert idx["weight_map"] == oidx["weight_map"], name
        assert idx["metadata"]["total_size"] == total, (idx["metadata"], total)
print("export of %d files reads by the safetensors spec (%s)" % (len(names), dtype))
