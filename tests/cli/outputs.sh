#!/usr/bin/env bash
# Where outputs go: the output is checked before any work, messages name the
# path the user gave, a failed write says why, a planted symbolic link is
# replaced and never written through, and a model with nothing in it is not
# sealed.
. "$MS_SRC/tests/cli/lib.sh"
setup_bundle
"$PY" "$HERE/bundle_tool.py" make-model-wide wide

# The output place is tried first: an unwritable one is reported before the
# model is read (here the model is broken too, and that is not what is said).
mkdir broken && head -c 40 model/model.safetensors >broken/model.safetensors
run 3 "$M" pack broken -o nodir/x.mseal --key alice.key --name t --version 1.0.0
[ "$(cat .err)" = "modelseal pack: nodir/x.mseal: cannot create: No such file or directory" ] ||
  fail "pack: $(cat .err)"
run 3 "$M" compress wide/model.safetensors -o nodir/c.safetensors --quantize q8_0
[ "$(cat .err)" = "modelseal compress: nodir/c.safetensors: cannot create: No such file or directory" ] ||
  fail "compress: $(cat .err)"
[ ! -e nodir ] || fail "a directory was created"

# A write that fails says why (here: over the file size limit, errno EFBIG).
run 3 bash -c "trap '' XFSZ; ulimit -f 8; exec \"\$0\" \"\$@\"" "$M" pack wide -o big.mseal \
  --key alice.key --name t --version 1.0.0
expect_in err "big.mseal: "
expect_in err "File too large"
[ ! -e big.mseal ] || fail "a failed pack left a partial bundle"
run 3 bash -c "trap '' XFSZ; ulimit -f 8; exec \"\$0\" \"\$@\"" "$M" compress \
  wide/model.safetensors -o c.safetensors --quantize f16
expect_in err "c.safetensors: write failed: File too large"
[ ! -e c.safetensors ] || fail "a failed compress left a partial file"
[ -z "$(ls -A | grep -e '\.tmp' -e '^\.modelseal-tmp-' || true)" ] || fail "temporaries left: $(ls -A)"

# audit -o and compress --report replace a planted link instead of writing through it.
echo precious >victim.txt
ln -s victim.txt audit.txt
run 0 "$M" audit b.mseal -o audit.txt
[ "$(cat victim.txt)" = precious ] || fail "audit -o wrote through a symbolic link"
[ ! -L audit.txt ] && grep -q "tiny" audit.txt || fail "audit -o did not write its file"
ln -s victim.txt report.json
run 0 "$M" compress wide/model.safetensors -o c.safetensors --quantize q8_0 --report report.json
[ "$(cat victim.txt)" = precious ] || fail "compress --report wrote through a symbolic link"
[ ! -L report.json ] && grep -q '"scheme"' report.json || fail "compress --report did not write"
# A failed -o leaves the old file whole.
echo old >kept.txt
run 3 bash -c "trap '' XFSZ; ulimit -f 1; exec \"\$0\" \"\$@\"" "$M" audit b.mseal --format spdx -o kept.txt
expect_in err "kept.txt: write failed: File too large"
[ "$(cat kept.txt)" = old ] || fail "a failed audit -o changed the file"

# Nothing to seal: a weights file with no tensors.
mkdir hollow && cp model/config.json hollow/
printf '\x02\x00\x00\x00\x00\x00\x00\x00{}' >hollow/model.safetensors
run 3 "$M" pack hollow -o h.mseal --key alice.key --name t --version 1.0.0
expect_in err "modelseal pack: hollow/model.safetensors: holds no tensors: there is no model to seal"
[ ! -e h.mseal ] || fail "pack sealed a model with no tensors"
run 3 "$M" pack hollow/model.safetensors -o h.mseal --key alice.key --name t --version 1.0.0
expect_in err "holds no tensors: there is no model to seal"
run 3 "$M" compress hollow/model.safetensors -o h.safetensors --quantize q8_0
expect_in err "hollow/model.safetensors: holds no tensors: there is nothing to compress"
echo "outputs: ok"
