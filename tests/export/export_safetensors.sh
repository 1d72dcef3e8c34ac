#!/usr/bin/env bash
# export --format safetensors: every scheme decodes to exactly what ms_tensor_to_f32 gives,
# the files read by the safetensors specification, and nothing is written from a bundle
# that does not verify.
. "$MS_SRC/tests/cli/lib.sh"
X="$MS_SRC/tests/export"
"$PY" "$X/make_sharded.py" model
"$M" keygen -o k >/dev/null
"$M" keygen -o other >/dev/null

digest() { "$M" inspect "$1" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["manifestDigest"])'; }

# compare EXPORT_DIR STORED_DIR DTYPE: every shard against ms_tensor_to_f32 of the stored one.
compare() {
  for s in "$2"/*.safetensors; do
    run 0 "$MS_ST_COMPARE" "$s" "$1/$(basename "$s")" "$3"
  done
}

for scheme in plain f16 bf16 int8 q8_0 q4_0 q4_k q6_k; do
  q=(--quantize "$scheme")
  [ "$scheme" = plain ] && q=()
  run 0 "$M" pack model -o "$scheme.mseal" --key k.key --name m --version 1.0.0 "${q[@]}"
  run 0 "$M" export "$scheme.mseal" --format safetensors --dtype f32 -o "x-$scheme" --trust k.pub
  expect_in out "verified $scheme.mseal (manifest $(digest "$scheme.mseal")) and exported 7 tensors in 5 files as safetensors (f32) into x-$scheme"
  run 0 "$M" unpack "$scheme.mseal" -o "u-$scheme" --trust k.pub
  compare "x-$scheme" "u-$scheme" f32
  [ "$scheme" = plain ] || expect_in out "float tensors agree with ms_tensor_to_f32 (compressed input)"
  run 0 "$PY" "$X/st_check.py" "x-$scheme" "u-$scheme" f32 "$(digest "$scheme.mseal")"
done

# f16 and bf16 outputs: the library's own conversions of the decoded values.
for dt in f16 bf16; do
  run 0 "$M" export q4_k.mseal --format safetensors --dtype "$dt" -o "y-$dt" --trust k.pub
  expect_in out "as safetensors ($dt) into y-$dt"
  compare "y-$dt" u-q4_k "$dt"
  run 0 "$PY" "$X/st_check.py" "y-$dt" u-q4_k "$dt" "$(digest q4_k.mseal)"
done

# Deterministic: the same bundle gives the same bytes.
run 0 "$M" export q4_k.mseal --format safetensors --dtype f32 -o again --trust k.pub
diff -r x-q4_k again >/dev/null || fail "two exports differ"

# Existing files are kept unless --force, and checked before anything is written.
run 3 "$M" export q4_k.mseal --format safetensors --dtype f16 -o x-q4_k --trust k.pub
expect_in err "x-q4_k: 'config.json': already exists (use --force to replace)"
diff -r x-q4_k again >/dev/null || fail "a refused export changed the target"
run 0 "$M" export q4_k.mseal --format safetensors --dtype f16 -o x-q4_k --trust k.pub --force
cmp x-q4_k/model-00001-of-00002.safetensors y-f16/model-00001-of-00002.safetensors

# No write through a symbolic link planted in the target.
mkdir -p trap outside
ln -s ../outside/secret trap/tokenizer.json
run 1 "$M" export q8_0.mseal --format safetensors --dtype f32 -o trap --trust k.pub --force
expect_in err "'tokenizer.json' is a symbolic link in the target directory; refusing to write through it"
[ -z "$(ls -A outside)" ] || fail "export wrote through a link"
[ "$(ls -A trap)" = tokenizer.json ] || fail "export wrote beside a refused link: $(ls -A trap)"

# Tampered, untrusted and unsupported bundles: refused, nothing written.
"$PY" "$MS_SRC/tests/cli/bundle_tool.py" tamper q4_k.mseal t-weights.mseal weights
"$PY" "$MS_SRC/tests/cli/bundle_tool.py" tamper q4_k.mseal t-rehash.mseal rehash-weights
"$PY" "$MS_SRC/tests/cli/bundle_tool.py" tamper q4_k.mseal t-resign.mseal resign-weights-data key=k.key
for t in weights rehash resign; do
  run 1 "$M" export "t-$t.mseal" --format safetensors --dtype f32 -o "bad-$t" --trust k.pub
  expect_in out "result: REJECTED"
  [ ! -e "bad-$t" ] || fail "export of a tampered bundle ($t) created its target"
done
run 1 "$M" export q4_k.mseal --format safetensors --dtype f32 -o bad-key --trust other.pub
expect_in out "result: REJECTED"
[ ! -e bad-key ] || fail "export with an untrusted signer created its target"
"$PY" "$MS_SRC/tests/cli/bundle_tool.py" tamper q4_k.mseal t-fmt.mseal format-2
run 3 "$M" export t-fmt.mseal --format safetensors --dtype f32 -o bad-fmt --trust k.pub
[ ! -e bad-fmt ] || fail "export of an unsupported bundle created its target"
export ESCAPE="$WORK/escape"
mkdir -p "$ESCAPE"
for h in symlink dotdot; do
  "$PY" "$MS_SRC/tests/cli/bundle_tool.py" hostile "h-$h.mseal" "$h"
  run 1 "$M" export "h-$h.mseal" --format safetensors --dtype f32 -o "bad-$h" --trust k.pub
  [ ! -e "bad-$h" ] || fail "export of a hostile bundle ($h) created its target"
done
[ -z "$(ls -A "$ESCAPE")" ] || fail "something was written outside: $(ls -A "$ESCAPE")"

# Usage errors.
run 2 "$M" export q4_k.mseal --format safetensors -o u --trust k.pub
expect_in err "missing --dtype f32|f16|bf16"
run 2 "$M" export q4_k.mseal --format safetensors --dtype f64 -o u --trust k.pub
expect_in err "unknown --dtype 'f64' (f32, f16 or bf16)"
run 2 "$M" export q4_k.mseal --format onnx --dtype f32 -o u --trust k.pub
expect_in err "unknown --format 'onnx'"
run 2 "$M" export q4_k.mseal --format safetensors --dtype f32 -o u
expect_in err "missing --trust FILE"
run 0 "$M" export --help
expect_in out "usage: modelseal export BUNDLE"
[ ! -e u ] || fail "a usage error created the target"
echo "export safetensors: ok"
