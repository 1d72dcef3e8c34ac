#!/usr/bin/env python3
"""make_parser_seeds.py: regenerate the hand-made seeds of the fuzz corpora
for trust files, spec files, recipes, model-card front matter, OMS signature
bundles and rollback state files (tests/fuzz/corpus/<target>/).

Deterministic: it reads the checked-in test keys (tests/fuzz/keys/fuzz.pub,
the keyfile seeds keygen-ecdsa-*.pub and pem-p256-public.pem) and the OMS
vectors (tests/oms/vectors/), and rewrites identical files.  Inputs found by
fuzzing (fz-*) are not touched.  Seeds named valid-* carry an expectation
checked by the replay (see each target in docs/fuzzing.md).
"""
import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, bytes):
        data = json.dumps(data, separators=(",", ":")).encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def key_fields(text):
    out = {}
    for line in text.splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k] = v
    return out


# ---- trust files ------------------------------------------------------------
FUZZ_PUB = read(os.path.join(HERE, "keys", "fuzz.pub")).decode()
P256_PUB = read(os.path.join(CORPUS, "keyfile", "keygen-ecdsa-p256.pub")).decode()
P384_PUB = read(os.path.join(CORPUS, "keyfile", "keygen-ecdsa-p384.pub")).decode()
PEM_PUB = read(os.path.join(CORPUS, "keyfile", "pem-p256-public.pem")).decode()


def tkey(text, **extra):
    f = key_fields(text)
    k = {"keyid": f["keyid"], "algorithm": f["algorithm"], "publicKey": text,
         "roles": ["packager"]}
    k.update(extra)
    return k


def trust(keys, **extra):
    t = {"trustVersion": 1, "keys": keys}
    t.update(extra)
    return t


T = "trust"
write(T, "valid-one-key.json", trust([tkey(FUZZ_PUB)], thresholds={"packager": 1}))
write(T, "valid-full.json", trust([
    tkey(FUZZ_PUB, roles=["packager", "approver"], notBefore="2023-01-01T00:00:00Z",
         notAfter="2030-12-31T23:59:59Z"),
    tkey(P256_PUB, roles=["approver", "security_team-2"],
         revoked={"at": "2024-06-01T12:00:00+02:00", "reason": "laptop stolen"}),
    tkey(P384_PUB, roles=["release"], revoked={"reason": "retired"}),
], thresholds={"packager": 1, "approver": 2, "release": 1}))
write(T, "valid-no-keys.json", trust([]))
write(T, "valid-plain-key.pub", FUZZ_PUB)
write(T, "valid-pem-key.pem", PEM_PUB)
write(T, "valid-leading-blank.json", "\n \t" + json.dumps(trust([tkey(P256_PUB)])))
write(T, "unknown-top-field.json", trust([tkey(FUZZ_PUB)], trustVersoin=1))
write(T, "unknown-key-field.json", trust([tkey(FUZZ_PUB, role=["x"])]))
write(T, "keyid-mismatch.json", trust([tkey(FUZZ_PUB, keyid=key_fields(P256_PUB)["keyid"])]))
write(T, "algorithm-mismatch.json", trust([tkey(FUZZ_PUB, algorithm="ecdsa-p256")]))
write(T, "key-listed-twice.json", trust([tkey(FUZZ_PUB), tkey(FUZZ_PUB, roles=["a"])]))
write(T, "role-uppercase.json", trust([tkey(FUZZ_PUB, roles=["Packager"])]))
write(T, "role-empty.json", trust([tkey(FUZZ_PUB, roles=[""])]))
write(T, "role-not-string.json", trust([tkey(FUZZ_PUB, roles=[1])]))
write(T, "roles-empty.json", trust([tkey(FUZZ_PUB, roles=[])]))
write(T, "roles-65.json", trust([tkey(FUZZ_PUB, roles=["r%d" % i for i in range(65)])]))
write(T, "role-65-chars.json", trust([tkey(FUZZ_PUB, roles=["r" * 65])]))
write(T, "time-malformed.json", trust([tkey(FUZZ_PUB, notBefore="2026-02-30T00:00:00Z")]))
write(T, "time-not-string.json", trust([tkey(FUZZ_PUB, notAfter=1700000000)]))
write(T, "time-extremes.json", trust([tkey(FUZZ_PUB, notBefore="0000-01-01T00:00:00Z",
                                           notAfter="9999-12-31T23:59:60Z")]))
write(T, "time-offset-extremes.json", trust([tkey(FUZZ_PUB, notBefore="0000-01-01T00:00:00+23:59",
                                                  notAfter="9999-12-31T23:59:59-23:59")]))
write(T, "revoked-not-object.json", trust([tkey(FUZZ_PUB, revoked=True)]))
write(T, "revoked-no-reason.json", trust([tkey(FUZZ_PUB, revoked={"at": "2024-01-01T00:00:00Z"})]))
write(T, "revoked-unknown-field.json", trust([tkey(FUZZ_PUB, revoked={"reason": "x", "when": 1})]))
write(T, "revoked-bad-time.json", trust([tkey(FUZZ_PUB, revoked={"reason": "x", "at": "yesterday"})]))
write(T, "thresholds-not-object.json", trust([tkey(FUZZ_PUB)], thresholds=[1]))
write(T, "threshold-zero.json", trust([tkey(FUZZ_PUB)], thresholds={"packager": 0}))
write(T, "threshold-1025.json", trust([tkey(FUZZ_PUB)], thresholds={"packager": 1025}))
write(T, "threshold-fraction.json", trust([tkey(FUZZ_PUB)], thresholds={"packager": 1.5}))
write(T, "threshold-bad-role.json", trust([tkey(FUZZ_PUB)], thresholds={"Pack ager": 1}))
write(T, "threshold-empty-role.json", trust([tkey(FUZZ_PUB)], thresholds={"": 1}))
write(T, "version-2.json", trust([tkey(FUZZ_PUB)], trustVersion=2))
write(T, "version-missing.json", {"keys": []})
write(T, "version-string.json", {"trustVersion": "1", "keys": []})
write(T, "keys-not-array.json", {"trustVersion": 1, "keys": {}})
write(T, "key-not-object.json", trust(["x"]))
write(T, "public-key-broken.json", trust([tkey(FUZZ_PUB, publicKey=FUZZ_PUB.replace("zsHT", "zsH"))]))
write(T, "public-key-nul.json", trust([tkey(FUZZ_PUB, publicKey=FUZZ_PUB + "\u0000x")]))
write(T, "duplicate-json-key.json",
      '{"trustVersion":1,"trustVersion":1,"keys":[]}')
write(T, "array-top.json", "[]")
write(T, "truncated.json", json.dumps(trust([tkey(FUZZ_PUB)]))[:120])
write(T, "empty", "")
write(T, "blank", " \n\t\n")

# ---- compression recipes ----------------------------------------------------
R = "recipe"
write(R, "valid-default-only.json", {"recipeVersion": 1, "default": "q8_0"})
write(R, "valid-minimal.json", {"recipeVersion": 1})
write(R, "valid-full.json", {
    "recipeVersion": 1, "default": "q4_k", "prune": "magnitude:0.25",
    "rules": [{"match": "*.self_attn.[qkv]_proj.weight", "scheme": "q8_0"},
              {"match": "lm_head.weight", "scheme": "f16", "prune": "none"},
              {"match": "model.layers.?.mlp.*", "scheme": "q6_k", "prune": "2:4"},
              {"match": "*[!0-9]_bias", "scheme": "none"},
              {"match": "[]-]x[^a-c-]", "scheme": "int8", "prune": "magnitude:1"},
              {"match": "*", "scheme": "bf16", "prune": "magnitude:0.000001"}]})
write(R, "valid-unicode-glob.json", {"recipeVersion": 1, "rules": [
    {"match": "caf\u00e9.*.[\u00e0-\u00ff\U0001f600]", "scheme": "q4_0"}]})
write(R, "valid-literal-specials.json", {"recipeVersion": 1, "rules": [
    {"match": "[*][?][[]", "scheme": "q8_0"}, {"match": "a\\b", "scheme": "q8_0"}]})
write(R, "valid-many-stars.json", {"recipeVersion": 1, "rules": [
    {"match": "*a*a*a*a*a*a*a*a*a*a*b", "scheme": "q8_0"}]})
write(R, "unknown-field.json", {"recipeVersion": 1, "defualt": "q8_0"})
write(R, "unknown-rule-field.json", {"recipeVersion": 1, "rules": [{"match": "*", "scheme": "q8_0", "schema": 1}]})
write(R, "unknown-scheme.json", {"recipeVersion": 1, "default": "q3_k"})
write(R, "scheme-not-string.json", {"recipeVersion": 1, "default": 8})
write(R, "version-2.json", {"recipeVersion": 2})
write(R, "version-missing.json", {"default": "q8_0"})
write(R, "version-fraction.json", {"recipeVersion": 1.0})
write(R, "version-huge.json", '{"recipeVersion": 18446744073709551616}')
for i, p in enumerate(["magnitude:1.5", "magnitude:0.1234567", "magnitude:.5", "magnitude:0.",
                       "magnitude:-0", "2:8", "", "magnitude:1.000000", "none "]):
    write(R, "prune-bad-%d.json" % i, {"recipeVersion": 1, "prune": p})
write(R, "prune-not-string.json", {"recipeVersion": 1, "prune": 0.5})
write(R, "rules-not-array.json", {"recipeVersion": 1, "rules": {}})
write(R, "rule-not-object.json", {"recipeVersion": 1, "rules": ["*"]})
write(R, "rule-no-match.json", {"recipeVersion": 1, "rules": [{"scheme": "q8_0"}]})
write(R, "rule-no-scheme.json", {"recipeVersion": 1, "rules": [{"match": "*"}]})
write(R, "rule-empty-match.json", {"recipeVersion": 1, "rules": [{"match": "", "scheme": "q8_0"}]})
write(R, "rule-match-1025.json", {"recipeVersion": 1, "rules": [{"match": "a" * 1025, "scheme": "q8_0"}]})
write(R, "rule-unclosed-class.json", {"recipeVersion": 1, "rules": [{"match": "a[bc", "scheme": "q8_0"}]})
write(R, "rule-reversed-range.json", {"recipeVersion": 1, "rules": [{"match": "[z-a]", "scheme": "q8_0"}]})
write(R, "rule-class-only-bracket.json", {"recipeVersion": 1, "rules": [{"match": "[]", "scheme": "q8_0"}]})
write(R, "rules-1025.json", {"recipeVersion": 1, "rules": [{"match": "r%d" % i, "scheme": "q8_0"} for i in range(1025)]})
write(R, "not-object.json", "[1]")
write(R, "duplicate-key.json", '{"recipeVersion":1,"default":"q8_0","default":"f16"}')
write(R, "truncated.json", '{"recipeVersion":1,"rules":[{"match":"*.w')
write(R, "glob-pair-star", b"*.weight\0model.layers.0.weight")
write(R, "glob-pair-class", b"[!a-c]?[x-]\0dz-")
write(R, "glob-pair-utf8", "[\u00e9-\u00ff]*\0\u00e9t\u00e9".encode())
write(R, "glob-pair-invalid-utf8-name", b"?\0\xff")
write(R, "prune-text", "magnitude:0.500000")

# ---- spec files (modelseal.json) --------------------------------------------
# fuzz_spec runs in a directory holding data.csv ("x,y\n1,2\n") and data/.
S = "spec"
H = "sha256:" + "ab" * 32
full_spec = {
    "specVersion": 1, "name": "digits-mlp", "version": "1.0.0-rc.1+build.7",
    "description": "MLP \u00e9", "authors": ["Ada", "\u738b"], "license": "apache-2.0 or mit",
    "card": {"intendedUse": "Teaching.", "outOfScopeUse": "Real handwriting.",
             "limitations": "13 writers."},
    "baseModels": [{"name": "base", "uri": "https://example.org/base", "digest": H,
                    "relation": "finetune", "license": "Apache-2.0"},
                   {"name": "other", "digest": H, "relation": "distilled"}],
    "datasets": [{"name": "csv", "path": "data.csv", "license": "CC-BY-4.0", "role": "training",
                  "records": 2},
                 {"name": "dir", "path": "data", "role": "evaluation"},
                 {"name": "remote", "uri": "https://example.org/d", "role": "calibration",
                  "digest": H, "records": 0}],
    "recipe": {"recipeVersion": 1, "default": "q8_0",
               "rules": [{"match": "*.bias", "scheme": "none"}]}}
write(S, "valid-full.json", full_spec)
write(S, "valid-minimal.json", {"specVersion": 1})
write(S, "valid-deprecated-license.json", {"specVersion": 1, "license": "GPL-2.0+ AND LGPL-2.1"})
write(S, "valid-empty-lists.json", {"specVersion": 1, "authors": [], "baseModels": [], "datasets": []})
write(S, "valid-dataset-dir-dot.json", {"specVersion": 1, "datasets": [
    {"name": "all", "path": ".", "role": "training"}, {"name": "sub", "path": "data/sub/", "role": "training"}]})
def spec(**kw):
    d = {"specVersion": 1}
    d.update(kw)
    return d
write(S, "unknown-field-near.json", spec(lisence="MIT"))
write(S, "unknown-field-far.json", spec(zzzzzzzzzz=1))
write(S, "unknown-dataset-field.json", spec(datasets=[{"name": "d", "uri": "u", "role": "training", "rol": "x"}]))
write(S, "version-2.json", spec(specVersion=2))
write(S, "version-missing.json", {"name": "x"})
write(S, "version-negative.json", spec(specVersion=-1))
write(S, "name-invalid.json", spec(name="Bad Name"))
write(S, "name-long.json", spec(name="a" * 200))
write(S, "version-invalid.json", spec(version="1.0"))
write(S, "version-leading-zero.json", spec(version="01.0.0"))
write(S, "license-unknown.json", spec(license="Apache-3.0"))
write(S, "license-syntax.json", spec(license="MIT AND (GPL-2.0-only"))
write(S, "text-empty.json", spec(description=""))
write(S, "text-not-string.json", spec(description=1))
write(S, "text-over-limit.json", spec(description="x" * 65537))
write(S, "authors-not-array.json", spec(authors="Ada"))
write(S, "authors-empty-string.json", spec(authors=[""]))
write(S, "authors-1025.json", spec(authors=["a"] * 1025))
write(S, "card-not-object.json", spec(card=[]))
write(S, "card-unknown.json", spec(card={"intendedUses": "x"}))
write(S, "base-not-object.json", spec(baseModels=[1]))
write(S, "base-no-digest.json", spec(baseModels=[{"name": "b", "relation": "merge"}]))
write(S, "base-bad-relation.json", spec(baseModels=[{"name": "b", "relation": "finetuned", "digest": H}]))
write(S, "base-bad-digest.json", spec(baseModels=[{"name": "b", "relation": "merge", "digest": "sha256:AB"}]))
write(S, "base-digest-upper.json", spec(baseModels=[{"name": "b", "relation": "merge", "digest": "sha256:" + "AB" * 32}]))
write(S, "base-bundle-missing.json", spec(baseModels=[{"name": "b", "relation": "merge", "bundle": "parent.mseal"}]))
write(S, "base-bundle-not-tar.json", spec(baseModels=[{"name": "b", "relation": "merge", "bundle": "data.csv"}]))
write(S, "base-bundle-directory.json", spec(baseModels=[{"name": "b", "relation": "merge", "bundle": "data"}]))
write(S, "dataset-no-source.json", spec(datasets=[{"name": "d", "role": "training"}]))
write(S, "dataset-bad-role.json", spec(datasets=[{"name": "d", "uri": "u", "role": "train"}]))
write(S, "dataset-path-missing.json", spec(datasets=[{"name": "d", "path": "nope.csv", "role": "training"}]))
write(S, "dataset-digest-differs.json", spec(datasets=[{"name": "d", "path": "data.csv", "digest": H, "role": "training"}]))
write(S, "dataset-records-negative.json", spec(datasets=[{"name": "d", "uri": "u", "role": "training", "records": -1}]))
write(S, "dataset-records-fraction.json", spec(datasets=[{"name": "d", "uri": "u", "role": "training", "records": 1.5}]))
write(S, "dataset-records-2p53.json", spec(datasets=[{"name": "d", "uri": "u", "role": "training", "records": 9007199254740993}]))
write(S, "datasets-1025.json", spec(datasets=[{"name": "d", "uri": "u", "role": "training"}] * 1025))
write(S, "recipe-not-object.json", spec(recipe="q8_0"))
write(S, "recipe-bad.json", spec(recipe={"recipeVersion": 1, "default": "q9"}))
write(S, "not-object.json", "[]")
write(S, "duplicate-key.json", '{"specVersion":1,"name":"a","name":"b"}')
write(S, "invalid-utf8.json", b'{"specVersion":1,"description":"\xc3\x28"}')
write(S, "escaped-nul.json", '{"specVersion":1,"description":"a\\u0000b"}')
write(S, "truncated.json", json.dumps(full_spec)[:300])
write(S, "empty", "")

# ---- model-card front matter (README.md) -----------------------------------
C = "modelcard"
write(C, "valid-hf-card.md", """---
language:
- en
license: apache-2.0
library_name: transformers
tags:
  - text-generation
datasets:
- HuggingFaceFW/fineweb-edu
- "allenai/c4"
base_model: meta-llama/Llama-3.1-8B  # the parent
base_model_relation: finetune
model-index:
  - name: x
    results: []
---

# My model

Some prose.
""")
write(C, "valid-other-license.md", "---\nlicense: other\nlicense_name: llama3.1\nbase_model: [a/b, 'c/d', \"e\\tf\"]\n...\n")
write(C, "valid-bom-crlf.md", "\ufeff---\r\nlicense: mit\r\ndatasets: []\r\n---\r\n")
write(C, "valid-quotes.md", "---\nlicense: 'it''s \"mine\"'\nlicense_name: \"a\\\\b\\/c\\t\"\nbase_model_relation: merge\n---\n")
write(C, "valid-unknown-license.md", "---\nlicense: not-a-license\nbase_model_relation: remix\ndatasets:\n  - bad id!\n  - ok/id\n  - a/b/c\n  - ../x\n---\n")
write(C, "valid-nested-skipped.md", "---\ncard:\n  license: skipped\n  datasets:\n    - x\nlicense: cc-by-4.0\n---\n")
write(C, "no-front-matter.md", "# Title\n\nlicense: mit\n")
write(C, "unclosed.md", "---\nlicense: mit\n")
write(C, "empty", "")
write(C, "only-dashes", "---")
write(C, "tab-indent.md", "---\ndatasets:\n\t- a\nlicense: mit\n---\n")
write(C, "invalid-utf8.md", b"---\nlicense: \xff\xfe\ndatasets:\n- \xc3\x28\n---\n")
write(C, "nul-byte.md", b"---\nlicense: m\x00it\n---\n")
write(C, "duplicate-key.md", "---\nlicense: mit\nlicense: gpl-3.0\n---\n")
write(C, "block-scalar.md", "---\nlicense: |\n  mit\nbase_model: &a x\ndatasets: {a: b}\n---\n")
write(C, "bad-escape.md", "---\nlicense: \"\\x41\"\nlicense_name: \"abc\\\n---\n")
write(C, "unclosed-quote.md", "---\nlicense: \"mit\nbase_model: 'x\n---\n")
write(C, "text-after-quote.md", "---\nlicense: \"mit\" extra\ndatasets: [a, b] c\nbase_model: [a, b\n---\n")
write(C, "list-for-scalar.md", "---\nlicense: [mit, apache-2.0]\nbase_model_relation:\n- merge\n---\n")
write(C, "list-bad-separator.md", "---\ndatasets: [a b; c]\nbase_model: [\"a\" \"b\"]\n---\n")
write(C, "empty-values.md", "---\nlicense: ''\ndatasets:\n-\n- \"\"\nbase_model: []\n---\n")
write(C, "long-value.md", "---\nlicense: " + "x" * 1025 + "\n---\n")
write(C, "multiline-value.md", "---\nlicense: \"a\\nb\"\n---\n")
write(C, "list-257.md", "---\ndatasets:\n" + "".join("- d%d\n" % i for i in range(257)) + "---\n")
write(C, "flow-list-258.md", "---\nbase_model: [" + ", ".join("m%d" % i for i in range(258)) + "]\n---\n")
write(C, "many-warnings.md", "---\n" + "".join("bad line %d\n" % i for i in range(30)) + "---\n")
write(C, "lines-4097.md", "---\n" + "# c\n" * 4097 + "---\n")
write(C, "cut-at-64k.md", "---\nlicense: mit\n" + "x: y\n" * 13200)
write(C, "key-forms.md", "---\n\"quoted\": 1\n? complex\nno-colon\nlicense:mit\n:\nbase_model :x\n---\n")
write(C, "indented-continuation.md", "---\ndatasets:\n  not-an-item\n  - a\nlicense: mit\n  continued\n---\n")
write(C, "comment-forms.md", "---\nlicense: mit#not-a-comment\nlicense_name: a # comment\ndatasets: # list follows\n  - x # c\n---\n")

# ---- OMS signature bundles (model.sig) --------------------------------------
O = "oms"
V = os.path.join(SRC, "tests", "oms", "vectors")
vec = {}
for v in ["v1.0.0", "v1.0.1", "v1.1.0"]:
    raw = read(os.path.join(V, v + "-elliptic-key", "model.sig"))
    write(O, "valid-%s.sig" % v, raw)
    vec[v] = json.loads(raw)


def b64(b):
    return base64.b64encode(b).decode()


def variant(v, fn):
    d = json.loads(json.dumps(vec[v]))
    fn(d)
    return d


def with_statement(v, fn):
    def f(d):
        st = json.loads(base64.b64decode(d["dsseEnvelope"]["payload"]))
        fn(st)
        d["dsseEnvelope"]["payload"] = b64(json.dumps(st).encode())
    return variant(v, f)


stmt = json.loads(base64.b64decode(vec["v1.1.0"]["dsseEnvelope"]["payload"]))
write(O, "statement-v1.1.0.json", json.dumps(stmt, indent=2))
write(O, "statement-single-file.json",
      base64.b64decode(vec["v1.0.0"]["dsseEnvelope"]["payload"]))


def st_variant(fn):
    s = json.loads(json.dumps(stmt))
    fn(s)
    return s


res = stmt["predicate"]["resources"]
write(O, "statement-name-dotdot.json", st_variant(lambda s: s["predicate"]["resources"][0].update(name="../x")))
write(O, "statement-name-absolute.json", st_variant(lambda s: s["predicate"]["resources"][0].update(name="/etc/passwd")))
write(O, "statement-name-twice.json", st_variant(lambda s: s["predicate"]["resources"][1].update(name="signme-1")))
write(O, "statement-file-and-dir.json", st_variant(lambda s: s["predicate"]["resources"].append(dict(res[0], name="signme-1/x"))))
write(O, "statement-dir-order.json", st_variant(lambda s: s["predicate"].update(resources=[
    dict(res[0], name="a"), dict(res[0], name="a-b"), dict(res[0], name="a/c")])))
write(O, "statement-dot-with-others.json", st_variant(lambda s: s["predicate"]["resources"].append(dict(res[0], name="."))))
write(O, "statement-no-resources.json", st_variant(lambda s: s["predicate"].update(resources=[])))
write(O, "statement-digest-short.json", st_variant(lambda s: s["predicate"]["resources"][0].update(digest="ab")))
write(O, "statement-algorithm-sha512.json", st_variant(lambda s: s["predicate"]["resources"][0].update(algorithm="sha512")))
write(O, "statement-shards.json", st_variant(lambda s: s["predicate"]["serialization"].update(method="shards")))
write(O, "statement-blake3.json", st_variant(lambda s: s["predicate"]["serialization"].update(hash_type="blake3")))
write(O, "statement-symlinks-string.json", st_variant(lambda s: s["predicate"]["serialization"].update(allow_symlinks="no")))
write(O, "statement-ignore-dotdot.json", st_variant(lambda s: s["predicate"]["serialization"].update(ignore_paths=["../x"])))
write(O, "statement-ignore-not-array.json", st_variant(lambda s: s["predicate"]["serialization"].update(ignore_paths="x")))
write(O, "statement-digests-v0.1.json", st_variant(lambda s: s.update(predicateType="https://model_signing/Digests/v0.1")))
write(O, "statement-type-v0.1.json", st_variant(lambda s: s.update(_type="https://in-toto.io/Statement/v0.1")))
write(O, "statement-no-subject.json", st_variant(lambda s: s.pop("subject")))
write(O, "statement-two-subjects.json", st_variant(lambda s: s["subject"].append(s["subject"][0])))
write(O, "statement-escaped-nul.json", json.dumps(stmt).replace("signme-2", "signme\\u0000-2"))
write(O, "changed-payload.sig", with_statement("v1.1.0", lambda s: s["predicate"]["resources"][0].update(digest="00" * 32)))
write(O, "changed-payload-subject.sig", with_statement("v1.0.1", lambda s: s["subject"][0]["digest"].update(sha256="11" * 32)))
write(O, "changed-payload-extra-file.sig", with_statement("v1.1.0", lambda s: s["predicate"]["resources"].append(dict(res[0], name="other"))))
write(O, "signature-flipped.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"]["signatures"][0].update(
    sig=b64(bytes([base64.b64decode(d["dsseEnvelope"]["signatures"][0]["sig"])[0] ^ 1]) +
            base64.b64decode(d["dsseEnvelope"]["signatures"][0]["sig"])[1:]))))
write(O, "signature-not-der.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"]["signatures"][0].update(sig=b64(b"\x30\x02\x02\x00"))))
write(O, "signature-empty.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"]["signatures"][0].update(sig="")))
write(O, "signature-bad-base64.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"]["signatures"][0].update(sig="!!!")))
write(O, "two-signatures.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"]["signatures"].append(d["dsseEnvelope"]["signatures"][0])))
write(O, "no-signatures.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"].update(signatures=[])))
write(O, "payload-type-other.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"].update(payloadType="application/json")))
write(O, "payload-bad-base64.sig", variant("v1.0.1", lambda d: d["dsseEnvelope"].update(payload="e30")))
write(O, "media-type-v0.2.sig", variant("v1.0.1", lambda d: d.update(mediaType="application/vnd.dev.sigstore.bundle+json;version=0.2")))
write(O, "message-signature.sig", variant("v1.0.1", lambda d: (d.pop("dsseEnvelope"), d.update(
    messageSignature={"messageDigest": {"algorithm": "SHA2_256", "digest": b64(b"\0" * 32)}, "signature": b64(b"x")}))))
write(O, "hint-other-key.sig", variant("v1.1.0", lambda d: d["verificationMaterial"]["publicKey"].update(hint="00" * 32)))
write(O, "raw-bytes-other-key.sig", variant("v1.0.1", lambda d: d["verificationMaterial"]["publicKey"].update(rawBytes=b64(PEM_PUB.encode()))))
write(O, "raw-bytes-garbage.sig", variant("v1.0.1", lambda d: d["verificationMaterial"]["publicKey"].update(rawBytes=b64(b"garbage"))))
write(O, "certificate.sig", variant("v1.0.1", lambda d: d["verificationMaterial"].update(
    publicKey=None, certificate={"rawBytes": b64(b"\x30\x00")}) or d["verificationMaterial"].pop("publicKey")))
write(O, "no-verification-material.sig", variant("v1.0.1", lambda d: d.pop("verificationMaterial")))
write(O, "not-object.sig", "[]")
write(O, "truncated.sig", read(os.path.join(V, "v1.0.1-elliptic-key", "model.sig"))[:500])
write(O, "empty", "")

# ---- rollback state files (STATE/tiny.json) ---------------------------------
# fuzz_rollback checks a bundle "tiny" 1.2.0 with manifest sha256:abab...ab.
B = "rollback"
D = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


def state(**kw):
    d = {"stateVersion": 1, "name": "tiny", "version": "1.0.0", "manifestDigest": OTHER,
         "acceptedAt": "2023-11-14T22:13:20Z"}
    d.update(kw)
    return d


write(B, "valid-older.json", state())
write(B, "valid-same-release.json", state(version="1.2.0", manifestDigest=D))
write(B, "valid-same-version-other-digest.json", state(version="1.2.0"))
write(B, "valid-newer.json", state(version="2.0.0"))
write(B, "valid-prerelease.json", state(version="1.2.0-rc.1+build.5"))
write(B, "valid-build-metadata.json", state(version="1.2.0+other", manifestDigest=D))
write(B, "valid-no-accepted-at.json", {"stateVersion": 1, "name": "tiny", "version": "0.0.1", "manifestDigest": "x"})
write(B, "valid-extra-field.json", state(note="kept"))
write(B, "state-version-2.json", state(stateVersion=2))
write(B, "state-version-string.json", state(stateVersion="1"))
write(B, "state-version-fraction.json", state(stateVersion=1.0))
write(B, "state-version-missing.json", {"name": "tiny", "version": "1.0.0", "manifestDigest": D})
write(B, "name-other.json", state(name="other"))
write(B, "name-not-string.json", state(name=1))
write(B, "version-invalid.json", state(version="1.0"))
write(B, "version-missing.json", {"stateVersion": 1, "name": "tiny", "manifestDigest": D})
write(B, "digest-not-string.json", state(manifestDigest=None))
write(B, "digest-missing.json", {"stateVersion": 1, "name": "tiny", "version": "1.0.0"})
write(B, "not-object.json", "[1]")
write(B, "duplicate-key.json", '{"stateVersion":1,"name":"tiny","name":"tiny","version":"1.0.0","manifestDigest":"x"}')
write(B, "truncated.json", json.dumps(state())[:50])
write(B, "invalid-utf8.json", b'{"stateVersion":1,"name":"tiny","version":"1.0.0","manifestDigest":"\xff"}')
write(B, "control-in-digest.json", state(manifestDigest="\u001b[2J\u0007"))
write(B, "long-digest.json", state(version="1.2.0", manifestDigest="sha256:" + "e" * 300))
write(B, "over-64k.json", json.dumps(state(pad="x" * 65536)))
write(B, "empty", "")
