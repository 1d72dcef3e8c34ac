#!/usr/bin/env bash
# Integrity probes are bound to one file and tensor (bundle-format.md 8.11): an
# attacker who changes the weights after packing and signs again with a trusted key,
# keeping the probes and the report, cannot steer the re-check to a decoy, strip
# the record that decodes a file, or relabel a tensor's dtype in its header.
# Also the format's evolution rules (section 14): 1.0 bundles, newer minors.
. "$MS_SRC/tests/cli/lib.sh"
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
"$M" keygen -o k >/dev/null
forge() { "$PY" "$HERE/bundle_tool.py" forge "$1" t.mseal k.key "${@:2}"; }

# rejected BUNDLE LINE...: verify exits 1 and prints every LINE; unpack writes nothing.
rejected() {
  local b=$1
  shift
  run 1 "$M" verify "$b" --trust k.pub
  for line in "$@"; do expect_in out "$line"; done
  expect_in out "result: REJECTED"
  run 1 "$M" unpack "$b" -o dest --trust k.pub
  [ ! -e dest ] || fail "unpack of a rejected bundle created its target"
}

run 0 "$M" pack wide -o q.mseal --key k.key --name wide --version 1.0.0 --quantize q8_0
run 0 "$M" verify q.mseal --trust k.pub
expect_in out "ok    format-version: bundle format version 1.1"
expect_in out "ok    probes: 3 weights reproduce their recorded probe outputs"

# A decoy: the altered file relabelled as configuration (never probed), the untouched
# one added as a second weights file that the probes would otherwise find.
forge q.mseal alter decoy relabel
rejected t.mseal \
  "FAIL  compression: 'model.safetensors' was compressed (compression report) but its layer has media type application/vnd.cncf.model.weight.config.v1.raw, not application/vnd.cncf.model.weight.v1.raw" \
  "FAIL  compression: weights file 'decoy.safetensors' is not in the compression report" \
  "FAIL  probes: tensor 'embed.weight' of 'model.safetensors': not re-checked: 'model.safetensors' is not a weights layer of the bundle"

# The same with the altered file kept as weights but its compression record stripped.
forge q.mseal alter decoy strip-record
rejected t.mseal \
  "FAIL  compression: weights file 'model.safetensors' has no modelseal.compression record, but the compression report says it was compressed" \
  "FAIL  compression: weights file 'decoy.safetensors' is not in the compression report" \
  "FAIL  probes: tensor 'embed.weight' of 'model.safetensors': not re-checked: the file has no compression record"

# A weights file whose header cannot be read is named as such.
forge q.mseal bad-header
rejected t.mseal \
  "FAIL  compression: weights file 'model.safetensors': its safetensors header could not be read" \
  "FAIL  probes: tensor 'embed.weight' of 'model.safetensors': not re-checked: its safetensors header could not be read"

# Without probes the record still has to be there and match.
run 0 "$M" pack wide -o np.mseal --key k.key --name wide --version 1.0.0 --quantize q8_0 --no-probes
run 0 "$M" verify np.mseal --trust k.pub
expect_in out "ok    probes: no integrity probes recorded (packed with --no-probes)"
forge np.mseal strip-record
rejected t.mseal \
  "FAIL  compression: weights file 'model.safetensors' has no modelseal.compression record, but the compression report says it was compressed"

# A relabelled header dtype: same size, same bytes, decoded by the record as f16, but
# every safetensors reader would load it as BF16.
run 0 "$M" pack wide -o f.mseal --key k.key --name wide --version 1.0.0 --quantize f16
run 0 "$M" verify f.mseal --trust k.pub
forge f.mseal bf16-header
rejected t.mseal \
  "FAIL  compression: weights file 'model.safetensors': tensor 'embed.weight' is stored as BF16 [16, 256], but its compression record (f16 of BF16 [16, 256]) implies F16 [16, 256]"

# A compressed tensor without a probe fails, as does a 1.1 probes layer without bindings.
forge q.mseal drop-probe=layers.0.mlp.weight
rejected t.mseal \
  "FAIL  probes: tensor 'layers.0.mlp.weight' of 'model.safetensors' was compressed but the probes layer holds no outputs for it"
forge q.mseal probes-v1
rejected t.mseal \
  "FAIL  probes: probes layer: no modelseal.probes.files (format 1.1 binds every probe to its file)"

# Format 1.0 (bundles packed before the bindings): verified by the same rules, the
# binding taken from the compression report, and said so.  Relabelling a 1.1 bundle
# as 1.0 therefore gains nothing.
forge q.mseal probes-v1 format=1
run 0 "$M" verify t.mseal --trust k.pub
expect_in out "ok    format-version: bundle format version 1"
expect_in out "reproduce their recorded probe outputs (largest relative error"
expect_in out "; format 1.0 probes, bound to their files by the compression report"
forge q.mseal alter decoy relabel probes-v1 format=1
rejected t.mseal \
  "FAIL  compression: 'model.safetensors' was compressed (compression report) but its layer has media type application/vnd.cncf.model.weight.config.v1.raw, not application/vnd.cncf.model.weight.v1.raw"

# A newer minor is checked by every rule this verifier knows, and said so; a layer
# media type it does not know there cannot be judged: could not check.
forge q.mseal format=1.2
run 0 "$M" verify t.mseal --trust k.pub
expect_in out "ok    format-version: bundle format version 1.2, newer than 1.1: checked by the rules of 1.1; what later versions add is not checked"
forge q.mseal format=1.2 add-layer=application/vnd.modelseal.watermark.v1+json
run 3 "$M" verify t.mseal --trust k.pub
expect_in out "FAIL  format-version: model manifest layers[5]: layer media type 'application/vnd.modelseal.watermark.v1+json' is not defined by format 1.1 (the bundle is format 1.2)"
expect_in err "unsupported bundle format version '1.2' (this modelseal reads major version 1, up to 1.1)"
# In a version this verifier implements, an unknown layer is simply wrong.
forge q.mseal add-layer=application/vnd.modelseal.watermark.v1+json
rejected t.mseal \
  "FAIL  model-manifest: model manifest layers[5]: unknown layer media type 'application/vnd.modelseal.watermark.v1+json'"

# A bundle without compression records format 1, as before 1.1 existed.
make_model plain
run 0 "$M" pack plain -o p.mseal --key k.key --name plain --version 1.0.0
run 0 "$M" verify p.mseal --trust k.pub
expect_in out "ok    format-version: bundle format version 1"
expect_not_in out "format version 1.1"
echo "probes bind: ok"
