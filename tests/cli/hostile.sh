#!/usr/bin/env bash
# hostile.sh CASE: archives with links, devices and escaping names never write outside.
. "$MS_SRC/tests/cli/lib.sh"
export ESCAPE="$WORK/escape"
mkdir -p "$ESCAPE"
"$M" keygen -o alice >/dev/null
"$PY" "$HERE/bundle_tool.py" hostile h.mseal "$1"

run 1 "$M" verify h.mseal --trust alice.pub
case "$1" in
  absolute|dotdot) expect_in out "unexpected archive entry" ;;
  symlink) expect_in out "symbolic link 'blobs/sha256/link' in archive" ;;
  hardlink) expect_in out "hard link 'blobs/sha256/aaaa" ;;
  device) expect_in out "special file 'blobs/sha256/bbbb" ;;
  sparse) expect_in out "sparse file 'blobs/sha256/$(printf 'c%.0s' {1..64})' in archive (only regular files are allowed)" ;;
  typeflag) expect_in out "special file 'blobs/sha256/$(printf 'd%.0s' {1..64})' in archive" ;;
esac
mkdir dest
cd dest
run 1 "$M" unpack ../h.mseal -o . --trust ../alice.pub
cd ..
[ -z "$(ls -A dest)" ] || fail "unpack wrote into the target: $(ls -A dest)"
[ -z "$(ls -A "$ESCAPE")" ] || fail "something was written outside: $(ls -A "$ESCAPE")"
run 0 "$M" inspect h.mseal
expect_in out "problems:"
echo "hostile $1: ok"
