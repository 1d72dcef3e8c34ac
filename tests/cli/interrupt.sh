#!/usr/bin/env bash
# A command interrupted by SIGINT, SIGTERM or SIGHUP leaves every directory
# it writes to exactly as it was, and its exit status says the signal.
# Each command is stopped where all its temporaries exist: the shim
# block_commit.so ($MS_BLOCK_SHIM) holds it at its first commit (linkat or
# rename) and tells us through a file; no guessed sleeps.  Both ways of
# making temporaries are tested: nameless files (O_TMPFILE) and named ones
# (MODELSEAL_TMPFILE=named), which the tool's signal handler removes.
. "$MS_SRC/tests/cli/lib.sh"
set -m # background jobs get SIGINT like foreground ones (no job control: ignored)
[ -n "${MS_BLOCK_SHIM:-}" ] || fail "MS_BLOCK_SHIM is not set"
# The ASan runtime must come first among preloaded libraries unless told otherwise.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

make_model model
"$M" keygen -o alice >/dev/null
"$M" pack model -o b.mseal --key alice.key --name tiny --version 1.0.0 --license MIT >/dev/null
"$PY" "$HERE/bundle_tool.py" make-model-wide wide
mkdir out target
echo previous >out/keep.txt
echo mine >target/notes.txt

listing() { (cd "$1" && find . -printf '%p %y %s\n' | LC_ALL=C sort); }

# interrupt SIGNAL MODE DIR CMD...: start CMD held at its first commit, check
# that its temporary is there, send SIGNAL, and compare DIR with before.
interrupt() {
  local sig=$1 mode=$2 dir=$3
  shift 3
  local before ready="$WORK/ready" pid status n
  before=$(listing "$dir")
  rm -f "$ready"
  if [ "$mode" = named ]; then
    MODELSEAL_TMPFILE=named MS_TEST_BLOCK_READY="$ready" LD_PRELOAD="$MS_BLOCK_SHIM" \
      "$@" >"$WORK/.out" 2>"$WORK/.err" &
  else
    MS_TEST_BLOCK_READY="$ready" LD_PRELOAD="$MS_BLOCK_SHIM" "$@" >"$WORK/.out" 2>"$WORK/.err" &
  fi
  pid=$!
  for n in $(seq 1 600); do
    [ -e "$ready" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -e "$ready" ] || { cat "$WORK/.err" >&2; kill -KILL "$pid" 2>/dev/null || true; fail "$*: never reached its commit"; }
  # The temporary exists now: a hidden name, or a nameless file held open.
  if [ "$mode" = named ]; then
    [ -n "$(find "$dir" -name '.modelseal-tmp-*' -print -quit)" ] ||
      fail "$*: no named temporary in $dir while it runs"
  else
    ls -l "/proc/$pid/fd" | grep -q "$(realpath "$dir").* (deleted)" ||
      fail "$*: no nameless file in $dir while it runs"
    [ -z "$(find "$dir" -name '.modelseal-tmp-*' -print -quit)" ] ||
      fail "$*: a named temporary although the file system has O_TMPFILE"
  fi
  kill -s "$sig" "$pid"
  set +e
  wait "$pid"
  status=$?
  set -e
  local want=$((128 + $(kill -l "$sig")))
  [ "$status" -eq "$want" ] || { cat "$WORK/.err" >&2; fail "$* on SIG$sig: exit $status, expected $want"; }
  [ "$(listing "$dir")" = "$before" ] || {
    diff <(echo "$before") <(listing "$dir") >&2; fail "$* on SIG$sig ($mode): $dir changed"; }
}

for mode in nameless named; do
  for sig in INT TERM HUP; do
    interrupt "$sig" "$mode" out "$M" pack model -o out/p.mseal --key alice.key --name tiny \
      --version 1.0.0 --license MIT
    interrupt "$sig" "$mode" out "$M" pack wide -o out/q.mseal --key alice.key --name wide \
      --version 1.0.0 --license MIT --quantize q8_0
    interrupt "$sig" "$mode" out "$M" compress wide/model.safetensors -o out/c.safetensors \
      --quantize q4_k
    interrupt "$sig" "$mode" target "$M" unpack b.mseal -o target --trust alice.pub
  done
done
# Replacing an existing file (unpack --force) keeps the old one whole.
cp model/config.json target/config.json
interrupt TERM nameless target "$M" unpack b.mseal -o target --trust alice.pub --force
interrupt TERM named target "$M" unpack b.mseal -o target --trust alice.pub --force
rm target/config.json

# SIGKILL cannot be handled: nameless temporaries still vanish with the process.
before=$(listing target)
MS_TEST_BLOCK_READY="$WORK/ready-k" LD_PRELOAD="$MS_BLOCK_SHIM" \
  "$M" unpack b.mseal -o target --trust alice.pub >/dev/null 2>&1 &
pid=$!
for n in $(seq 1 600); do [ -e "$WORK/ready-k" ] && break; sleep 0.05; done
[ -e "$WORK/ready-k" ] || fail "unpack never reached its commit"
# While it holds the target, a second unpack into it is refused.
run 3 "$M" unpack b.mseal -o target --trust alice.pub
expect_in err "modelseal unpack: target: another modelseal unpack is writing into it"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
[ "$(listing target)" = "$before" ] || fail "SIGKILL left something in target"

# A killed run on a file system without nameless files leaves a hidden
# temporary (as releases before this one did, under .modelseal-unpack-*):
# the next unpack into the target removes them and deploys only the model.
echo stale >target/.modelseal-tmp-0123456789abcdef
echo stale >target/.modelseal-unpack-4242-0
run 0 "$M" unpack b.mseal -o target --trust alice.pub
[ ! -e target/.modelseal-tmp-0123456789abcdef ] || fail "a stale temporary survived unpack"
[ ! -e target/.modelseal-unpack-4242-0 ] || fail "an old-style stale temporary survived unpack"
cmp model/config.json target/config.json
[ "$(cd target && ls -A | LC_ALL=C sort | tr '\n' ' ')" = "README.md config.json model.safetensors notes.txt tokenizer.json " ] ||
  fail "target holds: $(ls -A target)"
echo "ok: interrupted commands leave their directories as they were"
