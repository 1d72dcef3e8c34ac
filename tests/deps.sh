#!/usr/bin/env bash
# scripts/deps names every Debian package the build and the tests use, so a
# minimal Debian 12 root (no build-essential, apt without recommends) gets
# them all: the C runtime files the compiler links, each third-party Python
# module the tests import, and each tool they run.  Each is traced to the
# package that owns it (dpkg -S) and that package must be in the list.
set -uo pipefail
command -v dpkg >/dev/null || { echo "SKIP: not a Debian system"; exit 77; }
listed=$(sed -n '/^packages=(/,/^)/p' "$MS_SRC/scripts/deps" | tr -s ' \t()' '\n\n\n\n' |
         grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -v '^packages=' | sort -u)
[ -n "$listed" ] || { echo "FAIL: no package list in scripts/deps"; exit 1; }
fails=0
owner() { dpkg -S "$1" 2>/dev/null | head -1 | cut -d: -f1; } # "pkgconf:amd64: /usr/bin/..." -> pkgconf
need() { # what, file
  local pkg
  pkg=$(owner "$2")
  if [ -z "$pkg" ]; then
    echo "FAIL: $1: $2 belongs to no Debian package"; fails=$((fails + 1)); return
  fi
  if ! grep -qx "$pkg" <<<"$listed"; then
    echo "FAIL: $1 comes from $pkg, which scripts/deps does not install"; fails=$((fails + 1))
  fi
}
# The C runtime a program links against (libc6-dev, not a recommends of gcc).
for f in Scrt1.o crti.o crtn.o libc.so; do
  need "linking ($f)" "$(realpath "$(cc -print-file-name=$f)")"
done
# Third-party Python modules the tests import, through /usr/bin/python3.
mods=$(grep -rhoE '^\s*(import|from) [A-Za-z_][A-Za-z0-9_]*' "$MS_SRC/tests" --include='*.py' |
       awk '{print $2}' | sort -u)
for m in $mods; do
  file=$(/usr/bin/python3 -c "import $m, sys; print(getattr($m, '__file__', '') or '')" 2>/dev/null) || {
    echo "FAIL: python module $m does not import"; fails=$((fails + 1)); continue; }
  [ -n "$file" ] || continue # built into the interpreter
  file=$(realpath "$file")
  pkg=$(owner "$file")
  case "$pkg" in
    libpython3*-stdlib|libpython3*-minimal|python3*-minimal|python3.*) continue ;; # the standard library
  esac
  need "python module $m" "$file"
done
# Tools the tests and the demo run.
for t in openssl skopeo dot meson ninja pkg-config /usr/bin/time; do
  p=$(type -P "$t") || { echo "FAIL: $t is not installed"; fails=$((fails + 1)); continue; }
  need "tool $t" "$p"
done
[ "$fails" -eq 0 ] && echo "every package used is named in scripts/deps"
exit $((fails > 0))
