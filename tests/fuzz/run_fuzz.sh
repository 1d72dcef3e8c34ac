#!/usr/bin/env bash
# run_fuzz.sh TARGET SECONDS [LIBFUZZER-OPTION...]
#
# Build tests/fuzz/fuzz_TARGET.c with the library sources under clang's
# libFuzzer, ASan and UBSan, then fuzz for SECONDS seconds seeded with the
# checked-in corpus tests/fuzz/corpus/TARGET/.  New inputs go to a scratch
# corpus, never to the checked-in one; crashes, leaks and sanitizer reports
# are written as artifacts (crash-*, leak-*, timeout-*, oom-*).
#
# Scratch directory: $FUZZ_OUT/TARGET, FUZZ_OUT defaulting to out/fuzz in the
# source tree.  Environment: CC (default clang), MS_CONFIG_DIR (a directory
# holding ms_config.h, such as a meson build directory; by default one is
# written to the scratch directory), FUZZ_JOBS (parallel compiles).
#
# Targets: safetensors json dsse keyfile bundle semver path.
# Example: tests/fuzz/run_fuzz.sh json 300 -max_len=4096
set -euo pipefail

if [ $# -lt 2 ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
target=$1
seconds=$2
shift 2

HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../.." && pwd)"
CC=${CC:-clang}
[ -f "$HERE/fuzz_$target.c" ] || { echo "no target fuzz_$target.c in $HERE" >&2; exit 2; }
[ -d "$HERE/corpus/$target" ] || { echo "no corpus $HERE/corpus/$target" >&2; exit 2; }

OUT="${FUZZ_OUT:-$SRC/out/fuzz}/$target"
mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/artifacts" "$OUT/tmp"

if [ -z "${MS_CONFIG_DIR:-}" ]; then
  version=$(sed -n "s/^  version: '\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -n 1)
  printf '#define MS_VERSION_STRING "%s"\n' "${version:-0.0.0}" >"$OUT/ms_config.h.new"
  if ! cmp -s "$OUT/ms_config.h.new" "$OUT/ms_config.h" 2>/dev/null; then
    mv "$OUT/ms_config.h.new" "$OUT/ms_config.h"
  else
    rm -f "$OUT/ms_config.h.new"
  fi
  MS_CONFIG_DIR=$OUT
fi

deps="libsodium libcrypto libarchive libcjson openblas"
read -r -a dep_cflags <<<"$(pkg-config --cflags $deps)"
read -r -a dep_libs <<<"$(pkg-config --libs $deps)"
cflags=(-g -O1 -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -fno-omit-frame-pointer -ffp-contract=off -Wall -Wextra
        -I"$SRC/include" -I"$SRC" -I"$MS_CONFIG_DIR" "${dep_cflags[@]}")
# The library itself, instrumented for coverage and the sanitizers.
libsrc=("$SRC"/core/*.c "$SRC"/packager/*.c "$SRC"/verify/*.c)
for d in compress policy; do
  for f in "$SRC/$d"/*.c; do
    [ -e "$f" ] && libsrc+=("$f")
  done
done

# Compile what changed (objects are per source file; headers force a rebuild).
newest_header=$(find "$SRC/include" "$SRC/core" "$SRC/packager" "$SRC/verify" "$SRC/compress" \
                  "$SRC/policy" -name '*.h' \
                  -newer "$OUT/.stamp" 2>/dev/null | head -n 1 || true)
[ -e "$OUT/.stamp" ] || newest_header=all
objs=()
pids=()
for s in "${libsrc[@]}"; do
  rel=${s#"$SRC"/}
  o="$OUT/obj/${rel//\//_}.o"
  objs+=("$o")
  if [ -n "$newest_header" ] || [ ! -e "$o" ] || [ "$s" -nt "$o" ]; then
    "$CC" "${cflags[@]}" -c "$s" -o "$o" &
    pids+=($!)
    if [ ${#pids[@]} -ge "${FUZZ_JOBS:-2}" ]; then
      wait "${pids[0]}"
      pids=("${pids[@]:1}")
    fi
  fi
done
for p in "${pids[@]}"; do
  wait "$p"
done
# An archive, so only what the target reaches is linked (the packer's
# dependencies, say, need not resolve for a reader's target).
rm -f "$OUT/libmodelseal_fuzz.a"
"${AR:-ar}" rcs "$OUT/libmodelseal_fuzz.a" "${objs[@]}"
"$CC" "${cflags[@]}" -DMS_FUZZ_LIBFUZZER "$HERE/fuzz_$target.c" "$OUT/libmodelseal_fuzz.a" \
  "${dep_libs[@]}" -lm -lpthread -o "$OUT/fuzz_$target"
touch "$OUT/.stamp"

echo "fuzzing $target for ${seconds}s; scratch corpus $OUT/corpus, artifacts $OUT/artifacts/"
cd "$OUT"
# Targets that take a path write their temporary files here.
export TMPDIR="$OUT/tmp"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "./fuzz_$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$OUT/artifacts/" "$@" \
  "$OUT/corpus" "$HERE/corpus/$target"
