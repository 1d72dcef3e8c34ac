# Shared helpers for the CLI tests.  Each test runs in a fresh scratch
# directory and uses the real modelseal binary ($MODELSEAL).
set -euo pipefail

PY=/usr/bin/python3
HERE="$MS_SRC/tests/cli"
M="$MODELSEAL"
export SOURCE_DATE_EPOCH=1700000000
export MODELSEAL_PASSPHRASE=test-passphrase # keys are encrypted by default (docs/keys.md)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ms-cli.XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# run EXPECTED_STATUS CMD...: run, keep stdout/stderr in $WORK/.out, $WORK/.err, both in .all.
run() {
  local want=$1
  shift
  set +e
  "$@" >"$WORK/.out" 2>"$WORK/.err"
  local got=$?
  set -e
  cat "$WORK/.out" "$WORK/.err" >"$WORK/.all"
  if [ "$got" -ne "$want" ]; then
    echo "--- stdout" >&2; cat "$WORK/.out" >&2
    echo "--- stderr" >&2; cat "$WORK/.err" >&2
    fail "'$*' exited $got, expected $want"
  fi
}

# expect_in FILE TEXT: FILE (out or err) contains TEXT literally.
expect_in() {
  grep -qF -- "$2" "$WORK/.$1" || {
    echo "--- $1:" >&2; cat "$WORK/.$1" >&2
    fail "$1 does not contain: $2"
  }
}

expect_not_in() {
  if grep -qF -- "$2" "$WORK/.$1"; then
    echo "--- $1:" >&2; cat "$WORK/.$1" >&2
    fail "$1 contains: $2"
  fi
}

# make_model DIR: a small model directory with weights, config, tokenizer and card.
make_model() {
  "$PY" "$HERE/bundle_tool.py" make-model "$1"
}

# A key pair and a packed bundle of a small model: alice.key/.pub, model/, b.mseal
setup_bundle() {
  make_model model
  "$M" keygen -o alice >/dev/null
  "$M" pack model -o b.mseal --key alice.key --name tiny --version 1.0.0 \
    --license Apache-2.0 --description "a tiny test model" >/dev/null
}
