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

# A corrupt state file is an error, never silently reset.
cp st/tiny.json saved.json
echo '{"stateVersion":1,"name":"tiny"' >st/tiny.json
run 3 "$M" verify v15.mseal --trust k.pub --state st
expect_in err "corrupt state file"
cmp <(echo '{"stateVersion":1,"name":"tiny"') st/tiny.json || fail "a corrupt state file was changed"
echo '{"stateVersion":2,"name":"tiny","version":"1.0.0","manifestDigest":"x"}' >st/tiny.json
run 3 "$M" verify v15.mseal --trust k.pub --state st
expect_in err "corrupt state file"
# Another model's name in the file: corrupt too.
sed 's/"tiny"/"other"/' saved.json >st/tiny.json
run 3 "$M" verify v15.mseal --trust k.pub --state st
expect_in err "corrupt state file st/tiny.json: it is not this model's state"
echo "rollback: ok"
