#!/usr/bin/env bash
# Same inputs, options and key give byte-identical bundles.
. "$MS_SRC/tests/cli/lib.sh"

make_model model
"$M" keygen -o alice >/dev/null
"$M" pack model -o a.mseal --key alice.key --name tiny --version 1.0.0 >/dev/null
touch model/config.json   # a new mtime on an input must not matter
"$M" pack model -o b.mseal --key alice.key --name tiny --version 1.0.0 >/dev/null
cmp a.mseal b.mseal || fail "two packs with SOURCE_DATE_EPOCH differ"

unset SOURCE_DATE_EPOCH
"$M" pack model -o c.mseal --key alice.key --name tiny --version 1.0.0 >/dev/null
sleep 1
"$M" pack model -o d.mseal --key alice.key --name tiny --version 1.0.0 >/dev/null
cmp c.mseal d.mseal || fail "two packs without SOURCE_DATE_EPOCH differ"
cmp -s a.mseal c.mseal && fail "SOURCE_DATE_EPOCH did not change the recorded times"

# tar headers: owner 0:0, mode 0644, mtime 0 without SOURCE_DATE_EPOCH
tar tvf c.mseal >listing
grep -vqE '^-rw-r--r-- 0/0 .* 1970-01-01 00:00 ' listing && { cat listing; fail "unexpected tar header fields"; }
[ "$(head -2 listing | awk '{print $6}' | tr '\n' ' ')" = "oci-layout index.json " ] || fail "entry order"
echo "determinism: ok"
