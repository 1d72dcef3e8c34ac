#!/usr/bin/env bash
# unpack refuses unsafe paths in signed bundles, planted symlinks and overwrites.
. "$MS_SRC/tests/cli/lib.sh"
setup_bundle
mkdir outside

# Signed bundles whose file paths try to leave the target: refused by verify and unpack.
for p in "../escape.md" "/tmp/abs.md" "docs/../../x.md" "a//b.md" 'back\slash.md'; do
  "$PY" "$HERE/bundle_tool.py" tamper b.mseal evil.mseal "filepath=$p" key=alice.key
  run 1 "$M" verify evil.mseal --trust alice.pub
  expect_in out "unsafe file path"
  run 1 "$M" unpack evil.mseal -o dest --trust alice.pub
  [ ! -e dest ] || fail "unpack created its target for path $p"
done
[ ! -e escape.md ] && [ ! -e x.md ] || fail "a file escaped"

# A nested path is fine.
"$PY" "$HERE/bundle_tool.py" tamper b.mseal nested.mseal "filepath=docs/card/README.md" key=alice.key
run 0 "$M" unpack nested.mseal -o n --trust alice.pub
cmp n/docs/card/README.md model/README.md

# A symbolic link already in the target is never followed.
mkdir t1
ln -s "$WORK/outside" t1/docs
run 1 "$M" unpack nested.mseal -o t1 --trust alice.pub
expect_in err "'docs' is a symbolic link in the target directory"
[ -z "$(ls -A outside)" ] || fail "wrote through a symlink"
[ ! -e t1/model.safetensors ] || fail "wrote some files before refusing"
mkdir t2
ln -s "$WORK/outside/README.md" t2/README.md
run 1 "$M" unpack b.mseal -o t2 --trust alice.pub --force
expect_in err "'README.md' is a symbolic link"
[ ! -e outside/README.md ] || fail "wrote through a symlinked file"

# Existing files are kept unless --force.
run 0 "$M" unpack b.mseal -o t3 --trust alice.pub
echo "local edit" >t3/config.json
run 3 "$M" unpack b.mseal -o t3 --trust alice.pub
expect_in err "t3: 'README.md': already exists (use --force to replace)"
[ "$(cat t3/config.json)" = "local edit" ] || fail "existing file was overwritten"
run 0 "$M" unpack b.mseal -o t3 --trust alice.pub --force
cmp t3/config.json model/config.json
[ -z "$(find t3 -name '.modelseal-unpack-*')" ] || fail "temporary files left behind"
echo "unpack safety: ok"

# When writing fails after verification, the JSON report says so.
mkdir t4 && echo keep >t4/README.md
run 3 "$M" unpack b.mseal -o t4 --trust alice.pub --json
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"]=="error" and not r["verified"] and "already exists" in r["error"], r' "$WORK/.out"
echo "unpack safety (json): ok"
