#!/usr/bin/env bash
# modelseal benchmark: time and peak memory of `pack` and `verify` on a
# ~1 GiB F32 safetensors model, with `openssl dgst -sha256` over the same
# files as the reference speed.  See bench/README.md.
#
#   bench/pack_verify.sh [--dir DIR] [--build DIR] [--runs N] [--tensors N] [--dim D]
#
#   --dir DIR     scratch directory (default out/bench); needs ~2.2 GiB free
#   --build DIR   meson build directory (default build-bench, set up with
#                 --buildtype=release if it does not exist)
#   --runs N      runs of each command (default 3); the table shows the
#                 median wall and CPU (user + system) time and the largest
#                 peak RSS
#   --tensors N, --dim D   model shape passed to gen_model (default 16, 4096)
#
# Needs GNU time (/usr/bin/time, Debian package `time`) and openssl.
# Files are read from the page cache (the model was just written): the
# figures measure modelseal's own cost, not the disk.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

dir="out/bench"
build="build-bench"
runs=3
tensors=16
dim=4096
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --tensors) tensors=$2; shift 2 ;;
        --dim) dim=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "pack_verify.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$runs" in ''|*[!0-9]*|0) echo "pack_verify.sh: --runs: expected a positive integer" >&2; exit 2 ;; esac

[ -x /usr/bin/time ] || { echo "pack_verify.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "pack_verify.sh: openssl missing" >&2; exit 1; }

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
export LC_ALL=C

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" >/dev/null
modelseal=$build/cli/modelseal
gen=$build/bench/gen_model

mkdir -p "$dir"
model="$dir/model.safetensors"
bundle="$dir/bench.mseal"
key="$dir/bench"
timing="$dir/time.txt"

echo "generating $model ($tensors x [$dim, $dim] F32)"
"$gen" "$model" --tensors "$tensors" --dim "$dim"
rm -f "$key.key" "$key.pub" "$bundle"
"$modelseal" keygen -o "$key" --unencrypted >/dev/null

size_of() { stat -c %s "$1"; }

# measure LABEL INPUT_FILE PRE_COMMAND -- COMMAND...
# Runs COMMAND $runs times under /usr/bin/time -v (PRE_COMMAND before each,
# untimed) and appends "label wall_s mib_s rss_mib" to $results.
results=()
measure() {
    local label=$1 input=$2 pre=$3
    shift 4
    local walls=() cpus=() rss_max=0 i
    for ((i = 0; i < runs; i++)); do
        eval "$pre"
        if ! /usr/bin/time -v -o "$timing" "$@" >/dev/null 2>"$dir/stderr.txt"; then
            echo "pack_verify.sh: failed: $*" >&2
            cat "$dir/stderr.txt" >&2
            exit 1
        fi
        local wall rss
        # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23"
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
                   n = split($2, p, ":"); s = 0
                   for (k = 1; k <= n; k++) s = s * 60 + p[k]
                   printf "%.2f", s }' "$timing")
        rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$timing")
        walls+=("$wall")
        cpus+=("$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$timing")")
        [ "$rss" -gt "$rss_max" ] && rss_max=$rss
    done
    local median cpu
    median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    local bytes
    bytes=$(size_of "$input")
    results+=("$(awk -v l="$label" -v w="$median" -v c="$cpu" -v b="$bytes" -v r="$rss_max" 'BEGIN {
        mibs = (w > 0) ? sprintf("%.0f", b / 1048576 / w) : "inf"
        printf "%s|%.2f|%.2f|%s|%.1f", l, w, c, mibs, r / 1024 }')")
}

# Warm the page cache so the first timed run is not penalised.
cat "$model" >/dev/null

# shellcheck disable=SC2016  # $bundle is expanded by eval inside measure
measure "modelseal pack (--quantize none)" "$model" 'rm -f "$bundle"' -- \
    "$modelseal" pack "$model" -o "$bundle" --key "$key.key" \
    --name bench --version 1.0.0 --quantize none
measure "modelseal verify" "$bundle" ':' -- \
    "$modelseal" verify "$bundle" --trust "$key.pub"
measure "openssl dgst -sha256 (model)" "$model" ':' -- \
    openssl dgst -sha256 "$model"
measure "openssl dgst -sha256 (bundle)" "$bundle" ':' -- \
    openssl dgst -sha256 "$bundle"

echo
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(date -u +%Y-%m-%d)"
echo "model:   $model, $(size_of "$model") bytes"
echo "bundle:  $bundle, $(size_of "$bundle") bytes"
echo "runs:    $runs per command (median wall and CPU time, largest peak RSS)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the runs"
echo
printf '| %-32s | %8s | %8s | %8s | %13s |\n' "command" "wall s" "CPU s" "MiB/s" "peak RSS MiB"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..34})" "$(printf -- '-%.0s' {1..10})" \
    "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..15})"
for r in "${results[@]}"; do
    IFS='|' read -r l w c m s <<<"$r"
    printf '| %-32s | %8s | %8s | %8s | %13s |\n' "$l" "$w" "$c" "$m" "$s"
done
rm -f "$timing" "$dir/stderr.txt"
