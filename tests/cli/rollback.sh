#!/usr/bin/env bash
# verify --state: refuse older versions and replaced releases; record what is accepted.
. "$MS_SRC/tests/cli/lib.sh"
make_model model
"$M" keygen -o k >/dev/null
pack() { "$M" pack model -o "$1" --key k.key --name tiny --version "$2" "${@:3}" | sed -n 's/^manifest: //p'; }
d13=$(pack v13.mseal 1.3.0)
pack v12.mseal 1.2.0 >/dev/null
pack v13b.mseal 1.3.0 --description "a different build" >/dev/null
d14=$(pack v14.mseal 1.4.0)

run 0 "$M" verify v13.mseal --trust k.pub --state st
expect_in out "ok    rollback: first version of tiny accepted here"
"$PY" -c 'import json,sys; s=json.load(open("st/tiny.json")); assert s["stateVersion"]==1 and s["version"]=="1.3.0" and s["manifestDigest"]==sys.argv[1], s' "$d13"
run 1 "$M" verify v12.mseal --trust k.pub --state st
expect_in out "FAIL  rollback: 1.2.0 is older than accepted 1.3.0"
run 1 "$M" verify v13b.mseal --trust k.pub --state st
expect_in out "FAIL  rollback: version 1.3.0 was accepted as $d13"
# The same release, co-signed later, is still the same release.
"$M" keygen -o ap >/dev/null
"$M" sign v13.mseal --key ap.key --role approver -o v13s.mseal >/dev/null
run 0 "$M" verify v13s.mseal --trust k.pub --state st
expect_in out "tiny 1.3.0 is the version already accepted"
run 0 "$M" verify v14.mseal --trust k.pub --state st
expect_in out "1.4.0 is newer than accepted 1.3.0"
"$PY" -c 'import json; s=json.load(open("st/tiny.json")); assert s["version"]=="1.4.0", s'
run 1 "$M" verify v13.mseal --trust k.pub --state st
expect_in out "rollback: 1.3.0 is older than accepted 1.4.0"

# A release names the one it replaces; verify reports the chain.
pack v15.mseal 1.5.0 --supersedes "$d14" >/dev/null
run 0 "$M" verify v15.mseal --trust k.pub --state st
expect_in out "ok    supersedes: supersedes the accepted 1.4.0 ($d14)"
run 2 "$M" pack model -o x.mseal --key k.key --name tiny --version 1.6.0 --supersedes 1.5.0
expect_in err "--supersedes needs a manifest digest like sha256:"

# A corrupt state file is an error, never silently reset, with the reason in the
# message; the report still lists every check and ends with its result line.
cp st/tiny.json saved.json
corrupt() { # corrupt CONTENT REASON
  printf '%s' "$1" >st/tiny.json
  run 3 "$M" verify v15.mseal --trust k.pub --state st
  expect_in err "modelseal verify: corrupt state file st/tiny.json: $2"
  expect_in out "could not check: corrupt state file st/tiny.json: $2"
  expect_in out "ok    signature: 1 valid signature(s) by trusted keys"
  [ "$(tail -n 1 "$WORK/.out")" = "result: ERROR (bundle could not be fully checked)" ] ||
    fail "the text report does not end with its result line"
  cmp <(printf '%s' "$1") st/tiny.json || fail "a corrupt state file was changed"
  run 3 "$M" verify v15.mseal --trust k.pub --state st --json
  "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "error" and d["verified"] is False, d
assert d["error"].startswith("corrupt state file st/tiny.json: " + sys.argv[2]), d["error"]
assert [c["check"] for c in d["checks"]][-1] == "signature" and d["failures"] == 0, d["checks"]
' "$WORK/.out" "$2"
}
corrupt '{"stateVersion":1,"name":"tiny"' "invalid JSON"
corrupt '{"stateVersion":2,"name":"tiny","version":"1.0.0","manifestDigest":"x"}' \
  "unknown stateVersion 2 (this modelseal reads 1)"
corrupt "$(sed 's/"tiny"/"other"/' saved.json)" "it records model 'other', not 'tiny'"
corrupt "$(sed 's/"version":"1.5.0"/"version":"1.5"/' saved.json)" \
  "accepted version '1.5' is not a semantic version"
corrupt "$(sed 's/"manifestDigest":"sha256:/"manifestDigest":"sha512:/' saved.json)" \
  "manifestDigest 'sha512:"
corrupt '{"stateVersion":1,"name":"tiny","version":"1.5.0"}' "missing field 'manifestDigest'"
cp saved.json st/tiny.json

# The state is written if, and only if, no check failed: a release rejected by a check
# after the signature (parents, probes, rollback itself) never locks out the next one.
stays() { # stays DIR CONTENT: the state directory holds exactly CONTENT for tiny
  if [ -z "$2" ]; then
    [ ! -e "$1/tiny.json" ] || fail "a rejected release was recorded: $(cat "$1/tiny.json")"
  else
    cmp <(printf '%s' "$2") "$1/tiny.json" || fail "a rejected release changed the state"
  fi
}
# Parents: 9.0.0 names a base model that is not at hand.
"$M" pack model -o base.mseal --key k.key --name base --version 1.0.0 >/dev/null
printf '{"specVersion":1,"name":"tiny","version":"9.0.0","baseModels":[{"name":"base","bundle":"base.mseal","relation":"finetune"}]}' >v9.json
"$M" pack model -o v9.mseal --key k.key --spec v9.json >/dev/null
mkdir empty
run 1 "$M" verify v9.mseal --trust k.pub --state fresh --verify-parents empty
expect_in out "FAIL  parents: base model 'base' of tiny"
expect_in out "ok    rollback: first version of tiny accepted here"
stays fresh ""
run 0 "$M" verify v13.mseal --trust k.pub --state fresh
expect_in out "ok    rollback: first version of tiny accepted here"
# With its parent at hand the same release verifies and is recorded.
run 0 "$M" verify v9.mseal --trust k.pub --state fresh --verify-parents base.mseal
"$PY" -c 'import json; s=json.load(open("fresh/tiny.json")); assert s["version"]=="9.0.0", s'

# Probes: a re-signed bundle whose weights no longer match its probes.
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
"$M" pack wide -o w2.mseal --key k.key --name tiny --version 2.0.0 --quantize q8_0 >/dev/null
"$PY" "$HERE/bundle_tool.py" tamper w2.mseal w2bad.mseal resign-weights-data key=k.key
before=$(cat st/tiny.json)
run 1 "$M" verify w2bad.mseal --trust k.pub --state st
expect_in out "FAIL  probes:"
expect_in out "ok    rollback: 2.0.0 is newer than accepted 1.5.0"
stays st "$before"
# Rollback itself, and a signature by an untrusted key.
run 1 "$M" verify v12.mseal --trust k.pub --state st
stays st "$before"
"$M" keygen -o mallory >/dev/null
"$M" pack model -o m3.mseal --key mallory.key --name tiny --version 3.0.0 >/dev/null
run 1 "$M" verify m3.mseal --trust k.pub --state st
expect_in out "FAIL  signature:"
stays st "$before"
run 0 "$M" verify w2.mseal --trust k.pub --state st
expect_in out "ok    rollback: 2.0.0 is newer than accepted 1.5.0"
echo "rollback: ok"
