#!/usr/bin/env python3
"""make_sharded.py DIR: a small Hugging Face-style model in two safetensors
shards with their index, config.json and tokenizer.json; float tensors of
every input dtype (F32, BF16, F16), rows of 256 (k-quants) and of 96
(fallbacks), 1-D norms and biases, and an integer tensor."""
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
safetensors = __import__("bundle_tool").safetensors  # a sibling script, not an installed module

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
rnd = random.Random(11)


def gauss(n, scale=0.02):
    return [rnd.gauss(0.0, scale) for _ in range(n)]


def f32(v):
    return struct.pack("<%df" % len(v), *v)


def bf16(v):
    return b"".join(struct.pack("<f", x)[2:] for x in v)


def f16(v):
    return struct.pack("<%de" % len(v), *v)


q = gauss(64 * 256)
for r in range(64):
    q[r * 256 + 3] *= 25
shards = {
    "model-00001-of-00002.safetensors": [
        ("model.embed_tokens.weight", "BF16", [16, 256], bf16(gauss(4096))),
        ("model.layers.0.self_attn.q_proj.weight", "F32", [64, 256], f32(q)),
    ],
    "model-00002-of-00002.safetensors": [
        ("model.layers.0.mlp.down_proj.weight", "F32", [32, 96], f32(gauss(3072))),
        ("model.layers.0.mlp.down_proj.bias", "F32", [32], f32(gauss(32))),
        ("model.norm.weight", "F32", [256], f32([1.0 + x for x in gauss(256)])),
        ("lm_head.weight", "F16", [8, 256], f16(gauss(2048))),
        ("position_ids", "I64", [8], struct.pack("<8q", *range(8))),
    ],
}
weight_map = {}
total = 0
for name, tensors in shards.items():
    with open(os.path.join(d, name), "wb") as f:
        f.write(safetensors(tensors, {"format": "pt"}))
    for t in tensors:
        weight_map[t[0]] = name
        total += len(t[3])
with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
with open(os.path.join(d, "config.json"), "w") as f:
    json.dump({"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 256,
               "num_hidden_layers": 1, "vocab_size": 16}, f)
with open(os.path.join(d, "tokenizer.json"), "w") as f:
    json.dump({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}}, f)
