#!/usr/bin/env bash
# modelseal compress: every scheme, fallbacks, reports, determinism, refusals.
. "$MS_SRC/tests/cli/lib.sh"
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
in=wide/model.safetensors

for s in f16 bf16 int8 q8_0 q4_0 q4_k q6_k; do
  run 0 "$M" compress "$in" -o "c-$s.safetensors" --quantize "$s" --report "r-$s.json"
  expect_in out "wrote c-$s.safetensors"
  expect_in out "layers.0.norm.weight                     none    32.000     exact"
  expect_in out "worst tensor by SQNR:"
done
# Rows of 96 values cannot take 256-value blocks: the documented fallbacks, said in the table.
run 0 "$M" compress "$in" -o x.safetensors --quantize q4_k
expect_in out "note: q4_k needs rows of a multiple of 256 values, rows have 96: stored as q4_0"
run 0 "$M" compress "$in" -o x.safetensors --quantize q6_k
expect_in out "note: q6_k needs rows of a multiple of 256 values, rows have 96: stored as q8_0"

# The reports: schema, figures that make sense for each scheme, the stored layout.
"$PY" - "$MS_SRC/schemas" <<'PY'
import json, struct, sys
import jsonschema
d = sys.argv[1]
store = {}
for name in ("compression-report-v1", "recipe-v1"):
    s = json.load(open(f"{d}/{name}.schema.json"))
    store[s["$id"]] = s
schema = store["urn:modelseal:schema:compression-report:v1"]
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
v = jsonschema.Draft202012Validator(schema, resolver=resolver)
want_bpw = {"f16": 16, "bf16": 16, "int8": 8 + 32 / 256, "q8_0": 8.5, "q4_0": 4.5, "q4_k": 4.5,
            "q6_k": 6.5625}
min_db = {"f16": 60, "bf16": 40, "int8": 28, "q8_0": 35, "q4_0": 14, "q4_k": 16, "q6_k": 25}
for s, bpw in want_bpw.items():
    r = json.load(open(f"r-{s}.json"))
    errors = [e.message for e in v.iter_errors(r)]
    assert not errors, (s, errors)
    t = {x["name"]: x for x in r["tensors"]}
    a = t["layers.0.attn.weight"]
    assert a["scheme"] == s and abs(a["bitsPerWeight"] - bpw) < 1e-9, (s, a)
    assert a["sqnrDb"] > min_db[s], (s, a["sqnrDb"])
    assert a["probeSqnrDb"] is not None and a["probeSqnrDb"] > min_db[s] - 3, (s, a)
    assert t["layers.0.norm.weight"]["scheme"] == "none"
    assert t["layers.0.mlp.bias"]["scheme"] == "none"
    assert t["position_ids"]["scheme"] == "none"
    assert r["worst"]["sqnrDb"] == min(x["sqnrDb"] for x in r["tensors"] if x["sqnrDb"] is not None)
    assert r["total"]["weights"] == 64 * 256 + 32 * 96 + 256 + 32 + 16 * 256
    # The stored file: logical shape and scheme in __metadata__, sizes per docs/compression.md.
    raw = open(f"c-{s}.safetensors", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    comp = json.loads(h["__metadata__"]["modelseal.compression"])
    e = comp["tensors"]["layers.0.attn.weight"]
    assert e["scheme"] == s and e["shape"] == [64, 256] and e["dtype"] == "F32", e
    st = h["layers.0.attn.weight"]
    row = {"int8": 4 + 256, "q8_0": 8 * 34, "q4_0": 8 * 18, "q4_k": 144, "q6_k": 210}
    if s in ("f16", "bf16"):
        assert st["dtype"] == s.upper() and st["shape"] == [64, 256], st
    else:
        assert st["dtype"] == "U8" and st["shape"] == [64, row[s]], st
    assert h["position_ids"]["dtype"] == "I64" and "position_ids" not in comp["tensors"]
PY

# Same bytes and report whatever the thread count, and run to run.
run 0 "$M" compress "$in" -o t1.safetensors --quantize q4_k --threads 1 --report t1.json
run 0 "$M" compress "$in" -o t2.safetensors --quantize q4_k --threads 2 --report t2.json
run 0 "$M" compress "$in" -o t7.safetensors --quantize q4_k --threads 7 --report t7.json
cmp t1.safetensors t2.safetensors && cmp t1.safetensors t7.safetensors && cmp t1.safetensors c-q4_k.safetensors
cmp t1.json t2.json && cmp t1.json t7.json

# Pruning: exact sparsity; prune then quantize.
run 0 "$M" compress "$in" -o p.safetensors --quantize none --prune magnitude:0.5 --report p.json
run 0 "$M" compress "$in" -o p24.safetensors --quantize q8_0 --prune 2:4 --report p24.json
"$PY" - <<'PY'
import json
t = {x["name"]: x for x in json.load(open("p.json"))["tensors"]}
assert t["layers.0.attn.weight"]["sparsity"] == 0.5 and t["layers.0.attn.weight"]["prune"] == "magnitude:0.5"
assert t["layers.0.norm.weight"]["sparsity"] == 0.0
t = {x["name"]: x for x in json.load(open("p24.json"))["tensors"]}
assert t["layers.0.attn.weight"]["sparsity"] >= 0.5 and t["layers.0.attn.weight"]["prune"] == "2:4"
PY

# Recipes: first match wins, unknown schemes and unused rules are errors naming them.
cat >recipe.json <<'J'
{"recipeVersion": 1, "default": "q8_0",
 "rules": [{"match": "*.attn.*", "scheme": "q4_k"}, {"match": "embed.*", "scheme": "f16"}]}
J
run 0 "$M" compress "$in" -o rc.safetensors --recipe recipe.json --report rc.json
"$PY" -c 'import json; t={x["name"]:x["scheme"] for x in json.load(open("rc.json"))["tensors"]}; assert t["layers.0.attn.weight"]=="q4_k" and t["embed.weight"]=="f16" and t["layers.0.mlp.weight"]=="q8_0", t'
echo '{"recipeVersion": 1, "rules": [{"match": "*", "scheme": "q3_x"}]}' >bad.json
run 2 "$M" compress "$in" -o b.safetensors --recipe bad.json
expect_in err "q3_x"
echo '{"recipeVersion": 1, "default": "q8_0", "rules": [{"match": "decoder.*", "scheme": "q4_k"}]}' >unused.json
run 2 "$M" compress "$in" -o b.safetensors --recipe unused.json
expect_in err "matches no tensor"
echo '{"recipeVersion": 1, "defualt": "q8_0"}' >typo.json
run 2 "$M" compress "$in" -o b.safetensors --recipe typo.json
expect_in err "defualt"
[ ! -e b.safetensors ] || fail "a refused compression wrote its output"

# Refusals.
run 2 "$M" compress "$in" -o b.safetensors --quantize q3_x
expect_in err "unknown scheme 'q3_x'"
run 2 "$M" compress "$in" -o b.safetensors
expect_in err "missing --quantize SCHEME or --recipe FILE"
run 2 "$M" compress "$in" -o b.safetensors --quantize q8_0 --prune 3:4
expect_in err "3:4"
mkdir nan && "$PY" "$HERE/bundle_tool.py" make-model-wide nan --nan
run 3 "$M" compress nan/model.safetensors -o b.safetensors --quantize q8_0
expect_in err "tensor 'layers.0.attn.weight': value 5 is NaN; q8_0 needs finite values"
run 0 "$M" compress nan/model.safetensors -o f16nan.safetensors --quantize f16
run 3 "$M" compress missing.safetensors -o b.safetensors --quantize q8_0
expect_in err "missing.safetensors"
[ ! -e b.safetensors ] || fail "a refused compression wrote its output"
# The totals cover every float tensor, the unchanged ones (a norm, a bias)
# too: their signal counts in the model-wide SQNR as their size counts in
# weights and bits per weight.  Recomputed here from the original values
# and each compressed tensor's relative RMSE.
run 0 "$M" compress "$in" -o t.safetensors --quantize q8_0 --report totals.json
"$PY" - "$in" totals.json <<'PY'
import json, math, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n]); data = raw[8 + n:]
def values(t):
    b = data[t["data_offsets"][0]:t["data_offsets"][1]]
    if t["dtype"] == "F32":
        return struct.unpack("<%df" % (len(b) // 4), b)
    if t["dtype"] == "BF16":
        return [struct.unpack("<f", b"\0\0" + b[i:i + 2])[0] for i in range(0, len(b), 2)]
    return None
rep = json.load(open(sys.argv[2]))
x2 = d2 = 0.0
weights = 0
unchanged = 0
for t in rep["tensors"]:
    v = values(hdr[t["name"]])
    if v is None:
        continue  # integer tensors are not weights
    s = sum(float(a) * float(a) for a in v)
    x2 += s
    weights += len(v)
    if t["scheme"] == "none":
        unchanged += 1
    else:
        d2 += (t["relRmse"] ** 2) * s
assert unchanged >= 2, "the model has no unchanged float tensor"
assert rep["total"]["weights"] == weights, (rep["total"]["weights"], weights)
want = 10 * math.log10(x2 / d2)
got = rep["total"]["sqnrDb"]
assert abs(got - want) < 1e-6, "total sqnrDb %r, expected %r" % (got, want)
PY
echo "compress: ok"
