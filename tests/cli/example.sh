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
expect_in out "matches the accuracy recorded at training time"

# Compressed: pack, verify (probes re-run), unpack, and measure what compression cost.
for s in q8_0 q4_k; do
  run 0 "$M" pack model -o "digits-$s.mseal" --key alice.key --name digits-mlp --version 1.0.0 --quantize "$s"
  expect_in out "worst tensor by SQNR:"
  run 0 "$M" verify "digits-$s.mseal" --trust alice.pub
  expect_in out "ok    probes: 2 weights reproduce their recorded probe outputs"
  run 0 "$M" unpack "digits-$s.mseal" -o "dep-$s" --trust alice.pub
  run 0 "$evaluate" "$data" "dep-$s"
  expect_in out "compressed model; the original measured"
  acc=$(sed -n 's/^test accuracy: \([0-9.]*\) .*/\1/p' "$WORK/.out")
  # Measured, and still a working classifier: at least 95% on the held-out digits.
  awk -v a="$acc" 'BEGIN { exit !(a >= 0.95) }' || fail "$s accuracy $acc"
done
echo "example: ok"
