#!/usr/bin/env bash
# The shipped example end to end: train the digits model, pack, verify, unpack,
# and evaluate the unpacked copy (its measured accuracy must match training's).
. "$MS_SRC/tests/cli/lib.sh"
train=$1
evaluate=$2
data="$MS_SRC/examples/digits/digits.csv.gz"
echo "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a  $data" | sha256sum -c --quiet
run 0 "$train" "$data" model
expect_in out "test accuracy"
"$M" keygen -o alice >/dev/null
run 0 "$M" pack model -o digits.mseal --key alice.key --name digits-mlp --version 1.0.0 --license CC-BY-4.0
run 0 "$M" verify digits.mseal --trust alice.pub
run 0 "$M" unpack digits.mseal -o deployed --trust alice.pub
diff -r model deployed
run 0 "$evaluate" "$data" deployed
expect_in out "accuracy"
echo "example: ok"
