#!/usr/bin/env bash
# Key handling through the CLI: permissions, overwrites, wrong key kinds.
. "$MS_SRC/tests/cli/lib.sh"
make_model model
run 0 "$M" keygen -o alice
run 3 "$M" keygen -o alice
expect_in err "alice.key: already exists"

chmod 644 alice.key
run 3 "$M" pack model -o b.mseal --key alice.key --name t --version 1.0.0
expect_in err "alice.key: secret key file is readable by group or others (mode 0644)"
[ ! -e b.mseal ] || fail "pack wrote a bundle with a refused key"
chmod 600 alice.key

run 3 "$M" pack model -o b.mseal --key alice.pub --name t --version 1.0.0
expect_in err "alice.pub"
run 3 "$M" pack model -o b.mseal --key missing.key --name t --version 1.0.0
expect_in err "missing.key"
run 0 "$M" pack model -o b.mseal --key alice.key --name t --version 1.0.0
run 3 "$M" verify b.mseal --trust alice.key
expect_in err "alice.key"
run 3 "$M" verify b.mseal --trust nothing.pub
expect_in err "nothing.pub"
echo "not a key" >junk.pub
run 3 "$M" verify b.mseal --trust junk.pub
expect_in err "junk.pub"

# Two trusted keys, one of them the signer: verified; only others: rejected.
"$M" keygen -o bob >/dev/null
run 0 "$M" verify b.mseal --trust bob.pub --trust alice.pub
expect_in out "result: VERIFIED"
run 1 "$M" verify b.mseal --trust bob.pub
expect_in out "untrusted-key"
expect_in out "no valid signature by a trusted key (1 trusted key(s) given)"
echo "keys: ok"
