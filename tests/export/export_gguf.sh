#!/usr/bin/env bash
# export --format gguf: the stored blocks byte for byte, provenance in the metadata, read
# back by modelseal's own reader and by an independent one; nothing written from a bundle
# that does not verify.
. "$MS_SRC/tests/cli/lib.sh"
X="$MS_SRC/tests/export"
"$PY" "$X/make_sharded.py" model
"$M" keygen -o k >/dev/null
"$M" keygen -o other >/dev/null
cat >spec.json <<'JSON'
{"specVersion": 1, "name": "m", "version": "1.0.0", "license": "Apache-2.0",
 "description": "a sharded test model", "authors": ["Ada", "Grace"],
 "baseModels": [{"name": "base-model", "uri": "https://example.org/base", "relation": "finetune",
                 "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}],
 "datasets": [{"name": "corpus", "uri": "https://example.org/corpus", "role": "training"}]}
JSON

digest() { "$M" inspect "$1" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["manifestDigest"])'; }
signer() { "$M" inspect "$1" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["signatures"][0]["keyid"])'; }

for scheme in plain f16 bf16 int8 q8_0 q4_0 q4_k q6_k; do
  q=(--quantize "$scheme")
  [ "$scheme" = plain ] && q=()
  run 0 "$M" pack model -o "$scheme.mseal" --key k.key --spec spec.json "${q[@]}"
  run 0 "$M" export "$scheme.mseal" --format gguf -o "$scheme.gguf" --trust k.pub
  expect_in out "verified $scheme.mseal (manifest $(digest "$scheme.mseal")) and wrote $scheme.gguf with 7 tensors: generic GGUF (general.architecture 'llama')"
  if [ "$scheme" = int8 ]; then
    expect_in out "converted 4 int8 tensors to f16"
  else
    expect_not_in out "converted"
  fi
  run 0 "$M" unpack "$scheme.mseal" -o "u-$scheme" --trust k.pub
  run 0 "$PY" "$X/gguf_check.py" "$scheme.gguf" "u-$scheme" "$(digest "$scheme.mseal")" \
    "$(signer "$scheme.mseal")" llama
  cp "$WORK/.out" python.txt
  run 0 "$MS_GGUF_DUMP" "$scheme.gguf"
  sort "$WORK/.out" >ours.txt
  sort python.txt | diff - ours.txt || fail "$scheme: the two readers disagree"
done
run 0 "$PY" "$X/gguf_check.py" q4_k.gguf u-q4_k "$(digest q4_k.mseal)" "$(signer q4_k.mseal)" llama
expect_in out "model.layers.0.self_attn.q_proj.weight Q4_K 256x64"
expect_in out "model.layers.0.mlp.down_proj.weight Q4_0 96x32"
expect_in out "position_ids I64 8"
run 0 "$PY" "$X/gguf_check.py" q6_k.gguf u-q6_k "$(digest q6_k.mseal)" "$(signer q6_k.mseal)" llama
expect_in out "model.embed_tokens.weight Q6_K 256x16"
run 0 "$PY" "$X/gguf_check.py" plain.gguf u-plain "$(digest plain.mseal)" "$(signer plain.mseal)" llama
expect_in out "model.embed_tokens.weight BF16 256x16"
expect_in out "lm_head.weight F16 256x8"

# Deterministic.
run 0 "$M" export q4_k.mseal --format gguf -o again.gguf --trust k.pub
cmp q4_k.gguf again.gguf

# general.architecture: model_type, letters and digits only; "unknown" without one.
mkdir -p nomt
cp model/*.safetensors model/model.safetensors.index.json nomt/
echo '{"hidden_size": 256}' >nomt/config.json
run 0 "$M" pack nomt -o nomt.mseal --key k.key --spec spec.json --quantize q8_0
run 0 "$M" export nomt.mseal --format gguf -o nomt.gguf --trust k.pub
expect_in out "generic GGUF (general.architecture 'unknown')"
echo '{"model_type": "gpt_neox"}' >nomt/config.json
run 0 "$M" pack nomt -o neox.mseal --key k.key --spec spec.json --quantize q8_0
run 0 "$M" export neox.mseal --format gguf -o neox.gguf --trust k.pub
expect_in out "generic GGUF (general.architecture 'gptneox')"
run 0 "$PY" "$X/gguf_check.py" neox.gguf "$(mkdir -p u-neox && "$M" unpack neox.mseal -o u-neox --trust k.pub >/dev/null && echo u-neox)" \
  "$(digest neox.mseal)" "$(signer neox.mseal)" gptneox

# What GGUF cannot hold is refused by name before anything is written: a name past ggml's
# 63 bytes, a dtype with no ggml type.
"$PY" - <<'PY'
import os, struct, sys
sys.path.insert(0, os.path.join(os.environ["MS_SRC"], "tests", "cli"))
safetensors = __import__("bundle_tool").safetensors
os.makedirs("longname", exist_ok=True)
open("longname/model.safetensors", "wb").write(safetensors(
    [("model.layers.0.a_tensor_name_that_is_far_too_long_for_ggml.weight", "F32", [4], bytes(16))], {}))
os.makedirs("u8", exist_ok=True)
open("u8/model.safetensors", "wb").write(safetensors([("mask", "U8", [4], bytes(4))], {}))
PY
run 0 "$M" pack longname -o longname.mseal --key k.key --spec spec.json
run 3 "$M" export longname.mseal --format gguf -o longname.gguf --trust k.pub
expect_in err "tensor 'model.layers.0.a_tensor_name_that_is_far_too_long_for_ggml.weight': a GGUF tensor name has 1 to 63 bytes"
[ ! -e longname.gguf ] || fail "a refused export left its output"
run 0 "$M" pack u8 -o u8.mseal --key k.key --spec spec.json
run 3 "$M" export u8.mseal --format gguf -o u8.gguf --trust k.pub
expect_in err "model.safetensors: tensor 'mask': dtype U8 has no ggml type"
[ ! -e u8.gguf ] || fail "a refused export left its output"

# Existing output kept unless --force; refused before anything is written.
cp q4_k.gguf keep.gguf
run 3 "$M" export q8_0.mseal --format gguf -o keep.gguf --trust k.pub
expect_in err "keep.gguf: already exists (use --force to replace)"
cmp q4_k.gguf keep.gguf
run 0 "$M" export q8_0.mseal --format gguf -o keep.gguf --trust k.pub --force
cmp q8_0.gguf keep.gguf
run 3 "$M" export q8_0.mseal --format gguf -o nodir/x.gguf --trust k.pub
expect_in err "nodir/x.gguf"

# Tampered, untrusted and hostile bundles: refused, nothing written.
"$PY" "$MS_SRC/tests/cli/bundle_tool.py" tamper q4_k.mseal t-weights.mseal weights
"$PY" "$MS_SRC/tests/cli/bundle_tool.py" tamper q4_k.mseal t-resign.mseal resign-weights-data key=k.key
for t in weights resign; do
  run 1 "$M" export "t-$t.mseal" --format gguf -o "bad-$t.gguf" --trust k.pub
  expect_in out "result: REJECTED"
  [ ! -e "bad-$t.gguf" ] || fail "export of a tampered bundle ($t) wrote its output"
done
run 1 "$M" export q4_k.mseal --format gguf -o bad-key.gguf --trust other.pub
[ ! -e bad-key.gguf ] || fail "export with an untrusted signer wrote its output"
export ESCAPE="$WORK/escape"
mkdir -p "$ESCAPE"
"$PY" "$MS_SRC/tests/cli/bundle_tool.py" hostile h.mseal symlink
run 1 "$M" export h.mseal --format gguf -o bad-h.gguf --trust k.pub
[ ! -e bad-h.gguf ] || fail "export of a hostile bundle wrote its output"
[ -z "$(ls -A "$ESCAPE")" ] || fail "something was written outside: $(ls -A "$ESCAPE")"

# Usage errors.
run 2 "$M" export q4_k.mseal --format gguf --dtype f16 -o x.gguf --trust k.pub
expect_in err "--dtype is for safetensors; GGUF keeps the stored types"
run 2 "$M" export q4_k.mseal --format gguf --trust k.pub
expect_in err "missing -o FILE"
run 2 "$M" export q4_k.mseal -o x.gguf --trust k.pub
expect_in err "missing --format safetensors|gguf"
echo "export gguf: ok"
