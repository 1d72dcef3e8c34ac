#!/usr/bin/env bash
# Usage errors: exit 2 with one line naming the problem; --help: exit 0 on stdout.
. "$MS_SRC/tests/cli/lib.sh"

run 2 "$M"
expect_in err "usage: modelseal COMMAND"
run 0 "$M" --help
expect_in out "commands:"
run 0 "$M" --version
expect_in out "modelseal 0.1.0 (bundle format 1.1)"
run 2 "$M" frobnicate
expect_in err "unknown command 'frobnicate'"

for c in keygen pack verify inspect unpack compress; do
  run 0 "$M" "$c" --help
  expect_in out "usage: modelseal $c"
  [ ! -s "$WORK/.err" ] || fail "$c --help wrote to stderr"
  run 2 "$M" "$c" --no-such-option
  expect_in err "modelseal $c: unknown option '--no-such-option'"
  [ "$(wc -l <"$WORK/.err")" -eq 1 ] || fail "$c usage error is not one line"
done

run 2 "$M" keygen
expect_in err "missing -o NAME"
run 2 "$M" keygen -o k --algorithm rsa
expect_in err "unknown algorithm 'rsa' (available: ed25519, ecdsa-p256, ecdsa-p384)"
run 2 "$M" keygen -o
expect_in err "option '-o' needs a value"

make_model model
"$M" keygen -o k >/dev/null
run 2 "$M" pack model --key k.key --name a --version 1.0.0
expect_in err "missing -o BUNDLE"
run 2 "$M" pack model -o b.mseal --name a --version 1.0.0
expect_in err "missing --key FILE"
run 2 "$M" pack model -o b.mseal --key k.key --version 1.0.0
expect_in err "missing --name"
run 2 "$M" pack model -o b.mseal --key k.key --name a
expect_in err "missing --version"
run 2 "$M" pack -o b.mseal --key k.key --name a --version 1.0.0
expect_in err "missing MODEL"
run 2 "$M" pack model extra -o b.mseal --key k.key --name a --version 1.0.0
expect_in err "unexpected argument 'extra'"
run 2 "$M" pack model -o b.mseal --key k.key --name a --version 1.0.0 --quantize q3_x
expect_in err "unknown scheme 'q3_x' for --quantize (available: none, f16, bf16, int8, q8_0, q4_0, q4_k, q6_k)"
run 2 "$M" pack model -o b.mseal --key k.key --name a --version 1.0.0 --quantize q8_0 --recipe r.json
expect_in err "--recipe excludes --quantize and --prune"
run 2 "$M" pack model -o b.mseal --key k.key --name a --version 1.0.0 --probe-rows 0
expect_in err "--probe-rows must be 1 to 64"
run 2 "$M" pack model -o b.mseal --key k.key --name a --version v1.0.0
expect_in err "invalid --version 'v1.0.0': a semantic version has no leading 'v'"
run 2 "$M" pack model -o b.mseal --key k.key --name a --version 1.0
expect_in err "invalid --version '1.0': a version needs MAJOR.MINOR.PATCH"
run 2 "$M" pack model -o b.mseal --key k.key --name a --version 01.0.0
expect_in err "must not have leading zeros"
run 2 "$M" pack model -o b.mseal --key k.key --name Big --version 1.0.0
expect_in err "invalid --name 'Big'"
SOURCE_DATE_EPOCH=yesterday run 2 "$M" pack model -o b.mseal --key k.key --name a --version 1.0.0
expect_in err "SOURCE_DATE_EPOCH 'yesterday' is not a Unix time"
[ ! -e b.mseal ] || fail "a usage error left a bundle behind"

run 2 "$M" verify b.mseal
expect_in err "missing --trust FILE (a trust file or a public key)"
run 2 "$M" verify --trust k.pub
expect_in err "missing BUNDLE"
run 2 "$M" unpack b.mseal --trust k.pub
expect_in err "missing -o DIR"
run 2 "$M" inspect b.mseal --trust k.pub
expect_in err "unknown option '--trust'"
echo "usage: ok"
