#!/usr/bin/env bash
# verify --verify-parents: parent bundles at hand are verified with the same
# trust set and must be the ones the lineage names.
. "$MS_SRC/tests/cli/lib.sh"
make_model model
"$M" keygen -o alice >/dev/null
"$M" keygen -o mallory >/dev/null

pack_spec() { # pack_spec OUT NAME VERSION LICENSE BASES_JSON [KEY]
  printf '{"specVersion":1,"name":"%s","version":"%s","license":"%s","baseModels":%s}' \
    "$2" "$3" "$4" "$5" >"$1.json"
  run 0 "$M" pack model -o "$1" --key "${6:-alice.key}" --spec "$1.json"
  sed -n 's/^manifest: sha256://p' "$WORK/.out"
}
# grand <- parent <- child, and an unrelated bundle.
run 0 "$M" pack model -o grand.mseal --key alice.key --name grand --version 1.0.0 --license MIT
grand=$(sed -n 's/^manifest: sha256://p' "$WORK/.out")
parent=$(pack_spec parent.mseal parent 1.0.0 Apache-2.0 \
  '[{"name":"grand","bundle":"grand.mseal","relation":"finetune","license":"MIT"}]')
child=$(pack_spec child.mseal child 2.0.0 Apache-2.0 \
  '[{"name":"parent","bundle":"parent.mseal","relation":"quantized","license":"Apache-2.0"}]')
run 0 "$M" pack model -o other.mseal --key alice.key --name other --version 1.0.0

# All at hand in a directory (with an unrelated bundle, ignored there).
mkdir dir && cp grand.mseal parent.mseal other.mseal dir/
run 0 "$M" verify child.mseal --trust alice.pub --verify-parents dir
expect_in out "ok    parents: base model 'parent' of child: dir/parent.mseal verified (parent 1.0.0, sha256:$parent)"
expect_in out "ok    parents: base model 'grand' of dir/parent.mseal: dir/grand.mseal verified (grand 1.0.0, sha256:$grand)"
expect_in out "result: VERIFIED"
# The JSON report carries the same checks.
run 0 "$M" verify child.mseal --trust alice.pub --verify-parents dir --json
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = [c for c in d["checks"] if c["check"] == "parents"]
assert len(p) == 2 and all(c["ok"] for c in p), p
' "$WORK/.out"

# Files named one by one; the grandparent not at hand is noted, not failed.
run 0 "$M" verify child.mseal --trust alice.pub --verify-parents parent.mseal
expect_in out "ok    parents: base model 'grand' of parent.mseal (sha256:$grand) is not at hand: not checked"

# A direct parent missing: rejected.
mkdir empty
run 1 "$M" verify child.mseal --trust alice.pub --verify-parents empty
expect_in out "FAIL  parents: base model 'parent' of child (sha256:$parent): no bundle with this model manifest digest among --verify-parents"

# A file that is no ancestor: rejected.
run 1 "$M" verify child.mseal --trust alice.pub --verify-parents parent.mseal \
  --verify-parents other.mseal
expect_in out "FAIL  parents: other.mseal is not a parent of this model: its model manifest sha256:"

# A parent that does not verify (signed by a key not trusted; tampered): rejected.
mkdir m && cp grand.mseal m/
run 0 "$M" pack model -o m/parent.mseal --key mallory.key --spec parent.mseal.json
run 1 "$M" verify child.mseal --trust alice.pub --verify-parents m
expect_in out "FAIL  parents: base model 'parent' of child: m/parent.mseal does not verify: "
expect_in out "no valid signature by a trusted key"
"$PY" "$HERE/bundle_tool.py" tamper parent.mseal t.mseal weights
mkdir t && mv t.mseal t/parent.mseal
run 1 "$M" verify child.mseal --trust alice.pub --verify-parents t
expect_in out "FAIL  parents: base model 'parent' of child: t/parent.mseal does not verify: "
expect_in out "content hashes to sha256:"

# The lineage's license for a parent must be what the parent declares.
bad=$(pack_spec bad.mseal bad 1.0.0 MIT \
  '[{"name":"parent","bundle":"parent.mseal","relation":"finetune","license":"MIT"}]')
run 1 "$M" verify bad.mseal --trust alice.pub --verify-parents parent.mseal
expect_in out "FAIL  parents: base model 'parent' of bad is recorded under license 'MIT' but its bundle parent.mseal declares 'Apache-2.0'"

# Without base models: a passing note.
run 0 "$M" verify grand.mseal --trust alice.pub --verify-parents dir
expect_in out "ok    parents: the lineage names no base models"

# Not a bundle, a path that does not exist.
cp model/config.json junk.mseal
run 1 "$M" verify child.mseal --trust alice.pub --verify-parents parent.mseal \
  --verify-parents junk.mseal
expect_in out "FAIL  parents: junk.mseal: not a readable modelseal bundle"
run 3 "$M" verify child.mseal --trust alice.pub --verify-parents nowhere
expect_in err "--verify-parents: cannot read 'nowhere': No such file or directory"
# Only verify takes it.
run 2 "$M" unpack child.mseal -o x --trust alice.pub --verify-parents dir
expect_in err "unknown option '--verify-parents'"
echo "parents: ok"
