# Progress of long commands (docs/cli.md, "Progress"): a live line on a
# terminal, one line per phase with --progress plain, nothing with --quiet,
# --progress none, or by default when stderr is not a terminal.
. "$MS_SRC/tests/cli/lib.sh"

command -v script >/dev/null || fail "script(1) (util-linux) is needed to run under a terminal"

make_model model
"$M" keygen -o alice >/dev/null
FILES_BYTES=$(cat model/* | wc -c)

# on_tty OUT WANT CMD...: run CMD with stdout and stderr on a pseudo-terminal,
# keep what the terminal received in OUT, and check the exit status.
on_tty() {
  local out=$1 want=$2
  shift 2
  local cmd
  printf -v cmd '%q ' "$@"
  set +e
  script -qfec "$cmd" /dev/null </dev/null >"$out"
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || { cat -v "$out" >&2; fail "'$*' on a terminal exited $got, expected $want"; }
}

# check_live OUT PHASE...: the terminal shows the live line for each phase, in order,
# each ending in its final state (100%, "done in"), and every line drawn is erased
# before any other output; nothing is left on the line at the end.
check_live() {
  "$PY" - "$@" <<'PY'
import os, re, sys
out, phases = sys.argv[1], sys.argv[2:]
data = open(out, "rb").read().decode()
tokens = re.findall(r"\r([^\r\n\x1b]*)\x1b\[K|(.)", data, re.S)
drawn, lines, clears = False, [], 0
for text, other in tokens:
    if other:
        if drawn:
            sys.exit("output %r while the progress line is drawn:\n%r" % (other, data))
        continue
    if text:
        lines.append(text)
        drawn = True
    else:
        drawn = False
        clears += 1
if drawn:
    sys.exit("the progress line is left on the terminal:\n%r" % data)
if not lines or clears == 0:
    sys.exit("no live progress line:\n%r" % data)
order = []
for l in lines:
    words = l.split("  ")[0]
    if not order or order[-1] != words:
        order.append(words)
if order != phases:
    sys.exit("phases shown %r, expected %r" % (order, phases))
for p in phases:
    if os.environ.get("UNFINISHED"):
        break  # the command failed: no phase is finished
    final = [l for l in lines if l.startswith(p + "  ") and "done in" in l]
    if len(final) != 1 or " 100%" not in final[0] and p != "reading the bundle":
        sys.exit("phase %r has no final state: %r" % (p, [l for l in lines if l.startswith(p)]))
    if not re.fullmatch(re.escape(p) + r"  [0-9.]+( [KMG]i)?B?(/[0-9.]+ ([KMG]i)?B)? +[0-9]+%  "
                        r"[0-9]+(/[0-9]+)? (files|tensors|blobs)  done in [0-9]+s", final[0]):
        sys.exit("unexpected final line %r" % final[0])
PY
}

# pack: three phases, the live line, then the summary on stdout.
on_tty pack.tty 0 "$M" pack model -o b.mseal --key alice.key --name tiny --version 1.0.0 --quantize q8_0
check_live pack.tty "hashing the model" "compressing" "writing the bundle" || fail "pack on a terminal"
grep -qF "packed tiny 1.0.0" pack.tty || fail "pack's summary is missing"
grep -qF "hashing the model  $FILES_BYTES/$FILES_BYTES B 100%  4/4 files  done in" pack.tty ||
  { cat -v pack.tty >&2; fail "pack: the hashing phase does not end at the model's $FILES_BYTES bytes"; }

on_tty verify.tty 0 "$M" verify b.mseal --trust alice.pub
check_live verify.tty "reading the bundle" || fail "verify on a terminal"
grep -qF "result: VERIFIED" verify.tty || fail "verify's report is missing"

on_tty unpack.tty 0 "$M" unpack b.mseal -o out --trust alice.pub
check_live unpack.tty "reading the bundle" "writing files" || fail "unpack on a terminal"

on_tty audit.tty 0 "$M" audit b.mseal --trust alice.pub
check_live audit.tty "reading the bundle" || fail "audit on a terminal"

on_tty sign.tty 0 "$M" sign b.mseal --key alice.key --role approver -o s.mseal
check_live sign.tty "reading the bundle" "writing the bundle" || fail "sign on a terminal"

on_tty compress.tty 0 "$M" compress model/model.safetensors -o c.safetensors --quantize q8_0
check_live compress.tty "compressing" || fail "compress on a terminal"

# An error is printed on a clean line: the live line is erased before the report and it.
head -c 20000 b.mseal >cut.mseal
on_tty cut.tty 3 "$M" verify cut.mseal --trust alice.pub
UNFINISHED=1 check_live cut.tty "reading the bundle" || fail "verify's error on a terminal"
grep -qF "modelseal verify: cut.mseal: truncated" cut.tty || fail "verify's error is missing"

# --quiet and --progress none: nothing but the commands' own output, even on a terminal.
for opt in --quiet "--progress none"; do
  # shellcheck disable=SC2086
  on_tty q.tty 0 "$M" verify b.mseal --trust alice.pub $opt
  if grep -q $'\e\[K' q.tty || grep -qF "reading the bundle" q.tty; then
    cat -v q.tty >&2; fail "verify $opt drew progress"
  fi
  grep -qF "result: VERIFIED" q.tty || fail "verify $opt: the report is missing"
  # shellcheck disable=SC2086
  on_tty q.tty 0 "$M" pack model -o q.mseal --key alice.key --name tiny --version 1.0.0 $opt
  if grep -q $'\e\[K' q.tty; then cat -v q.tty >&2; fail "pack $opt drew progress"; fi
done

# stderr not a terminal: stderr is exactly what it always was (empty on success).
rm -rf out
run 0 "$M" pack model -o f.mseal --key alice.key --name tiny --version 1.0.0 --quantize q8_0
[ ! -s .err ] || { cat .err >&2; fail "pack wrote to a non-terminal stderr"; }
cmp -s f.mseal b.mseal || fail "the bundle differs with progress on"
run 0 "$M" verify b.mseal --trust alice.pub
[ ! -s .err ] || { cat .err >&2; fail "verify wrote to a non-terminal stderr"; }
run 0 "$M" unpack b.mseal -o out --trust alice.pub
[ ! -s .err ] || { cat .err >&2; fail "unpack wrote to a non-terminal stderr"; }
run 0 "$M" audit b.mseal --trust alice.pub
[ ! -s .err ] || { cat .err >&2; fail "audit wrote to a non-terminal stderr"; }
run 0 "$M" sign b.mseal --key alice.key --role approver -o s2.mseal
[ ! -s .err ] || { cat .err >&2; fail "sign wrote to a non-terminal stderr"; }
cmp -s s.mseal s2.mseal || fail "the co-signed bundle differs with progress on"
run 0 "$M" compress model/model.safetensors -o c2.safetensors --quantize q8_0
[ ! -s .err ] || { cat .err >&2; fail "compress wrote to a non-terminal stderr"; }
run 3 "$M" verify cut.mseal --trust alice.pub
[ "$(cat .err)" = "modelseal verify: cut.mseal: truncated" ] ||
  [ "$(grep -c . .err)" -eq 1 ] || { cat .err >&2; fail "verify's error gained lines"; }

# --progress plain: one line per phase, with its final bytes and time, for logs.
BUNDLE_BYTES=$(wc -c <b.mseal)
run 0 "$M" verify b.mseal --trust alice.pub --progress plain
[ "$(grep -c . .err)" -eq 1 ] || { cat .err >&2; fail "verify --progress plain: not one line"; }
grep -Eq "^modelseal verify: reading the bundle: $BUNDLE_BYTES bytes \([0-9.]+ KiB\), 12 blobs in [0-9]+\.[0-9]{2} s( \([0-9.]+ [KMG]?i?B/s\))?$" .err ||
  { cat .err >&2; fail "verify --progress plain: unexpected line"; }
run 0 "$M" pack model -o p.mseal --key alice.key --name tiny --version 1.0.0 --quantize q8_0 --progress plain
cut -d: -f1-2 .err >phases
printf 'modelseal pack: hashing the model\nmodelseal pack: compressing\nmodelseal pack: writing the bundle\n' >want
cmp -s phases want || { cat .err >&2; fail "pack --progress plain: not one line per phase"; }
grep -Eq "^modelseal pack: hashing the model: $FILES_BYTES bytes \([0-9]+ B\), 4 files in " .err ||
  { cat .err >&2; fail "pack --progress plain: hashing line"; }
grep -Eq "^modelseal pack: compressing: [0-9]+ bytes \([0-9]+ B\), 2 tensors in " .err ||
  { cat .err >&2; fail "pack --progress plain: compressing line"; }
run 0 "$M" unpack b.mseal -o out2 --trust alice.pub --progress plain
cut -d: -f1-2 .err >phases
printf 'modelseal unpack: reading the bundle\nmodelseal unpack: writing files\n' >want
cmp -s phases want || { cat .err >&2; fail "unpack --progress plain: not one line per phase"; }
grep -Eq "^modelseal unpack: writing files: [0-9]+ bytes \([0-9]+ B\), 4 files in " .err ||
  { cat .err >&2; fail "unpack --progress plain: files line"; }
run 0 "$M" export b.mseal --format safetensors --dtype f32 -o exported --trust alice.pub \
  --progress plain
cut -d: -f1-2 .err >phases
printf 'modelseal export: reading the bundle\nmodelseal export: writing files\n' >want
cmp -s phases want || { cat .err >&2; fail "export --progress plain: not one line per phase"; }
run 0 "$M" export b.mseal --format gguf -o e.gguf --trust alice.pub --quiet
[ ! -s .err ] || { cat .err >&2; fail "export --quiet printed on stderr"; }

# Usage: a bad mode is refused; inspect has no progress.
run 2 "$M" verify b.mseal --trust alice.pub --progress fancy
expect_in err "unknown --progress 'fancy' (auto, live, plain or none)"
run 2 "$M" inspect b.mseal --progress plain
expect_in err "unknown option '--progress'"
run 0 "$M" sign b.mseal --key alice.key --role approver -o s3.mseal --progress plain
cut -d: -f1-2 .err >phases
printf 'modelseal sign: reading the bundle\nmodelseal sign: writing the bundle\n' >want
cmp -s phases want || { cat .err >&2; fail "sign --progress plain: not one line per phase"; }
grep -Eq "^modelseal sign: writing the bundle: $BUNDLE_BYTES bytes \([0-9.]+ KiB\), 4 files in " .err ||
  { cat .err >&2; fail "sign --progress plain: writing line"; }
for c in pack compress sign verify unpack audit; do
  run 0 "$M" "$c" --help
  expect_in out "--progress MODE"
  expect_in out "--quiet"
done
echo ok
