#!/usr/bin/env bash
# modelseal benchmark: speed, peak memory and fidelity of `compress` for every
# quantization scheme on a ~1 GiB F32 safetensors model, one thread and all
# cores, then `pack --quantize q8_0` and `verify` of that bundle.  See
# bench/README.md.
#
#   bench/compress.sh [--dir DIR] [--build DIR] [--runs N] [--schemes "S ..."]
#                     [--threads "N ..."] [--tensors N] [--dim D] [--keep]
#                     [--no-quant-speed] [--no-pack] [--no-build]
#
#   --dir DIR        scratch directory (default out/bench); needs ~2 GiB free
#   --build DIR      meson build directory (default build-bench, set up with
#                    --buildtype=release if it does not exist)
#   --runs N         runs of each command (default 1); the table shows the
#                    median wall and CPU time and the largest peak memory
#   --schemes LIST   schemes to time (default "f16 bf16 int8 q8_0 q4_0 q4_k q6_k")
#   --threads LIST   thread counts for compress (default "1 $(nproc)")
#   --tensors N, --dim D   model shape passed to gen_model (default 16, 4096)
#   --keep           keep the model (and the bundle and key) afterwards; a
#                    later run with the same shape reuses the model
#   --no-quant-speed skip the quantizer-alone timing (tests/compress/quant_speed)
#   --no-pack        skip pack and verify
#   --no-build       use the build directory's programs as they are
#   --idle-wait S    before each timed run, wait up to S seconds (default 0)
#                    for the machine to be idle: less than 5 % of its CPU
#                    busy over half a second (other jobs skew multi-thread
#                    timings most: the kernel shares CPUs between sessions)
#   --max-other P    redo a run (at most 5 times) when other processes used
#                    more than P % of the machine's CPU while it ran
#
# Needs GNU time (/usr/bin/time, Debian package `time`) and python3 (to read
# the JSON reports).  The model is read from the page cache (it is read once
# before timing), so the figures measure modelseal's cost, not the disk's.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

dir="out/bench"
build="build-bench"
runs=1
schemes="f16 bf16 int8 q8_0 q4_0 q4_k q6_k"
ncpu=$(nproc)
threads="1"
[ "$ncpu" -gt 1 ] && threads="1 $ncpu"
tensors=16
dim=4096
keep=0
quant_speed=1
do_pack=1
do_build=1
idle_wait=0
max_other=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --schemes) schemes=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --tensors) tensors=$2; shift 2 ;;
        --dim) dim=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        --no-quant-speed) quant_speed=0; shift ;;
        --no-pack) do_pack=0; shift ;;
        --no-build) do_build=0; shift ;;
        --idle-wait) idle_wait=$2; shift 2 ;;
        --max-other) max_other=$2; shift 2 ;;
        -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compress.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$runs" in ''|*[!0-9]*|0) echo "compress.sh: --runs: expected a positive integer" >&2; exit 2 ;; esac
case "$idle_wait" in ''|*[!0-9]*) echo "compress.sh: --idle-wait: expected seconds" >&2; exit 2 ;; esac
case "$max_other" in *[!0-9]*) echo "compress.sh: --max-other: expected a percentage" >&2; exit 2 ;; esac
for t in $threads; do
    case "$t" in ''|*[!0-9]*|0) echo "compress.sh: --threads: expected positive integers" >&2; exit 2 ;; esac
done

[ -x /usr/bin/time ] || { echo "compress.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "compress.sh: python3 missing" >&2; exit 1; }

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
export LC_ALL=C

if [ "$do_build" = 1 ]; then
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" --buildtype=release >/dev/null
    fi
    if ! log=$(ninja -C "$build" 2>&1); then
        printf '%s\n' "$log" | tail -n 30 >&2
        echo "compress.sh: the build failed" >&2
        exit 1
    fi
fi
modelseal=$build/cli/modelseal
gen=$build/bench/gen_model
qspeed=$build/tests/compress/quant_speed

mkdir -p "$dir"
model="$dir/model.safetensors"
stamp="$dir/model.shape"
out="$dir/compressed.safetensors"
report="$dir/report.json"
bundle="$dir/bench-q8_0.mseal"
key="$dir/bench"
timing="$dir/time.txt"
pidfile="$dir/pid.txt"

cleanup() {
    rm -f "$out" "$report" "$timing" "$pidfile" "$dir/stderr.txt" "$dir/stdout.txt"
    # what an interrupted compress or pack leaves behind
    rm -rf "$out".tmp-* "$bundle".tmp* "$bundle".work-*
    if [ "$keep" = 0 ]; then
        rm -f "$model" "$stamp" "$bundle" "$key.key" "$key.pub"
    fi
}
# On a signal, stop the command being timed too (the shell only runs the
# trap between commands, and /usr/bin/time does not pass signals on).
running=""
on_signal() {
    # shellcheck disable=SC2086  # two pids
    [ -n "$running" ] && kill $running 2>/dev/null
    wait 2>/dev/null
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

# Generate the model, or reuse one of the same shape (gen_model's output
# depends only on its arguments).
shape="tensors=$tensors dim=$dim seed=1"
if [ -f "$model" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$shape" ]; then
    echo "reusing $model ($tensors x [$dim, $dim] F32)"
else
    rm -f "$stamp"
    echo "generating $model ($tensors x [$dim, $dim] F32)"
    "$gen" "$model" --tensors "$tensors" --dim "$dim" --seed 1 >/dev/null
    echo "$shape" >"$stamp"
fi
weights=$((tensors * dim * dim))
tensor_mib=$(awk -v d="$dim" 'BEGIN { printf "%.0f", d * d * 4 / 1048576 }')

loadavg() { cut -d' ' -f1 /proc/loadavg; }

# Percentage of all CPUs busy over half a second (from /proc/stat).
cpu_busy() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    sleep 0.5
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
        busy = y[1] - x[1]; idle = y[2] - x[2]
        printf "%d", (busy + idle > 0 ? 100 * busy / (busy + idle) : 0) }'
}

# Wait (up to --idle-wait seconds) until other jobs leave the CPUs alone.
wait_idle() {
    local end=$((SECONDS + idle_wait))
    while [ "$idle_wait" -gt 0 ] && [ "$(cpu_busy)" -ge 5 ] && [ "$SECONDS" -lt "$end" ]; do
        sleep 1
    done
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Busy CPU time of the whole machine so far, in clock ticks.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
ticks=$(getconf CLK_TCK)

# run_timed CMD...: run CMD under /usr/bin/time -v with stdout and stderr in
# $dir, sampling the process's anonymous resident memory (RssAnon: heap and
# buffers, without the pages of the memory-mapped input) every 50 ms.
# Sets t_wall, t_cpu (user + system seconds), t_rss and t_anon (MiB),
# t_load (1-minute load average when it started), t_other (percentage of
# the machine's CPU that other processes used meanwhile, this script's
# memory sampling included).
run_timed() {
    rm -f "$pidfile"
    t_load=$(loadavg)
    local busy0
    busy0=$(busy_ticks)
    # The shell writes its pid and execs the command, so the pid is the
    # command's own and /usr/bin/time measures it.
    # shellcheck disable=SC2016  # $$ is the inner shell's
    /usr/bin/time -v -o "$timing" sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$pidfile" "$@" \
        >"$dir/stdout.txt" 2>"$dir/stderr.txt" &
    local tpid=$! pid="" peak=0 kb
    running=$tpid
    while [ -z "$pid" ] && kill -0 "$tpid" 2>/dev/null; do
        [ -s "$pidfile" ] && pid=$(cat "$pidfile")
        [ -z "$pid" ] && sleep 0.01
    done
    running="$tpid $pid"
    while [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; do
        kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
        [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
        sleep 0.05
    done
    local rc=0
    wait "$tpid" || rc=$?
    local busy1
    busy1=$(busy_ticks)
    running=""
    if [ "$rc" != 0 ]; then
        echo "compress.sh: failed: $*" >&2
        cat "$dir/stderr.txt" >&2
        return 1
    fi
    t_wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
               n = split($2, p, ":"); s = 0
               for (k = 1; k <= n; k++) s = s * 60 + p[k]
               printf "%.2f", s }' "$timing")
    t_cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$timing")
    t_rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$timing")
    t_anon=$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')
    t_other=$(awk -v b0="$busy0" -v b1="$busy1" -v hz="$ticks" -v c="$t_cpu" -v w="$t_wall" \
                  -v n="$ncpu" 'BEGIN { o = (b1 - b0) / hz - c; if (o < 0 || w <= 0) o = 0
                                        printf "%.0f", 100 * o / (w * n) }')
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxof() { sort -n | tail -n 1; }

# measure LABEL THREADS PRE -- CMD...: $runs timed runs (PRE before each,
# untimed); appends a row "label|threads|wall|cpu|rss|anon|load|sqnr|bits".
# When CMD writes $report, its total SQNR and bits per weight are shown.
rows=()
measure() {
    local label=$1 thr=$2 pre=$3
    shift 4
    local walls=() cpus=() rsss=() anons=() loads=() others=() i try sqnr="-" bits="-"
    for ((i = 0; i < runs; i++)); do
        for ((try = 0; try < 6; try++)); do
            eval "$pre"
            wait_idle
            run_timed "$@" || return 1
            [ -z "$max_other" ] || [ "$t_other" -le "$max_other" ] && break
            echo "  (other processes used $t_other % of the CPUs: again)"
        done
        walls+=("$t_wall"); cpus+=("$t_cpu"); rsss+=("$t_rss"); anons+=("$t_anon"); loads+=("$t_load")
        others+=("$t_other")
    done
    if [ -s "$report" ]; then
        read -r sqnr bits < <(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["total"]
print("%.2f %.3f" % (t["sqnrDb"], t["bitsPerWeight"]))' "$report")
    fi
    rows+=("$label|$thr|$(printf '%s\n' "${walls[@]}" | median)|$(printf '%s\n' "${cpus[@]}" | median)|$(printf '%s\n' "${rsss[@]}" | maxof)|$(printf '%s\n' "${anons[@]}" | maxof)|$(printf '%s\n' "${loads[@]}" | maxof)|$(printf '%s\n' "${others[@]}" | maxof)|$sqnr|$bits")
}

# Warm the page cache so the first timed run is not penalised.
cat "$model" >/dev/null

for s in $schemes; do
    for t in $threads; do
        echo "compress --quantize $s --threads $t"
        # shellcheck disable=SC2016  # expanded by eval inside measure
        measure "compress $s" "$t" 'rm -f "$out" "$report"' -- \
            "$modelseal" compress "$model" -o "$out" --quantize "$s" --threads "$t" \
            --report "$report" || rows+=("compress $s (failed)|$t|-|-|-|-|-|-|-|-")
        rm -f "$out" "$report"
    done
done

if [ "$do_pack" = 1 ]; then
    rm -f "$key.key" "$key.pub"
    # Unencrypted: no passphrase, and no key derivation inside the timings.
    "$modelseal" keygen -o "$key" --unencrypted >/dev/null
    echo "pack --quantize q8_0 (default threads: $ncpu)"
    # shellcheck disable=SC2016
    if measure "pack q8_0" "$ncpu" 'rm -f "$bundle"' -- \
        "$modelseal" pack "$model" -o "$bundle" --key "$key.key" --name bench \
        --version 1.0.0 --quantize q8_0; then
        bundle_bytes=$(stat -c %s "$bundle")
        echo "verify"
        measure "verify (q8_0 bundle)" 1 ':' -- "$modelseal" verify "$bundle" --trust "$key.pub" ||
            rows+=("verify (failed)|1|-|-|-|-|-|-|-|-")
    else
        rows+=("pack q8_0 (failed)|$ncpu|-|-|-|-|-|-|-|-")
        do_pack=0
    fi
fi

qs_out=""
if [ "$quant_speed" = 1 ]; then
    if [ ! -x "$qspeed" ]; then
        echo "compress.sh: $qspeed not built (tests disabled?): skipping the quantizer alone" >&2
    else
        echo "quantizer alone: quant_speed $dim $dim ($runs runs)"
        qs_all="$dir/quant_speed.txt"
        : >"$qs_all"
        for ((i = 0; i < runs; i++)); do
            "$qspeed" "$dim" "$dim" | awk 'NR > 2 { print $1, $2, $3, $4, $5 }' >>"$qs_all"
        done
        qs_out=$(for s in $schemes; do
            q=$(awk -v s="$s" '$1 == s { print $2 }' "$qs_all" | maxof)
            d=$(awk -v s="$s" '$1 == s { print $3 }' "$qs_all" | maxof)
            qc=$(awk -v s="$s" '$1 == s { print $4 }' "$qs_all" | maxof)
            dc=$(awk -v s="$s" '$1 == s { print $5 }' "$qs_all" | maxof)
            printf '%s|%s|%s|%s|%s\n' "$s" "$q" "$d" "$qc" "$dc"
        done)
        rm -f "$qs_all"
    fi
fi

echo
echo "machine: $ncpu CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(date -u +%Y-%m-%d)"
echo "model:   $model, $tensors x [$dim, $dim] F32, $weights weights, $(stat -c %s "$model") bytes (largest tensor $tensor_mib MiB)"
[ "$do_pack" = 1 ] && echo "bundle:  $bundle, $bundle_bytes bytes"
echo "runs:    $runs per command (median wall and CPU time, largest peak memory)"
echo "load:    $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min)"
echo
echo "M w/s = million weights / wall second; /thr = that divided by the threads;"
echo "M w/CPU-s = million weights / CPU (user + system) second, steadier on a busy machine;"
echo "RSS = peak resident set (includes the mapped input); anon = peak RssAnon (heap only);"
echo "load = 1-minute load average when the command started; other = largest share of"
echo "the machine's CPU that other processes used during a run (%)."
echo
hdr='| %-22s | %3s | %7s | %7s | %7s | %7s | %9s | %8s | %8s | %5s | %5s | %7s | %6s |\n'
# shellcheck disable=SC2059
printf "$hdr" "command" "thr" "wall s" "CPU s" "M w/s" "/thr" "M w/CPU-s" "RSS MiB" "anon MiB" \
    "load" "other" "SQNR dB" "bits/w"
# shellcheck disable=SC2059
printf "$hdr" "$(printf -- '-%.0s' {1..22})" "---" "-------" "-------" "-------" "-------" \
    "---------" "--------" "--------" "-----" "-----" "-------" "------" | tr ' ' '-' |
    sed 's/^-/|/; s/-$/|/'
for r in "${rows[@]}"; do
    IFS='|' read -r l t w c rss anon ld ot sq b <<<"$r"
    mws=-; mwt=-; mwc=-
    [ "$w" != - ] && read -r mws mwt mwc < <(awk -v n="$weights" -v w="$w" -v c="$c" -v t="$t" 'BEGIN {
        printf "%.1f %.1f %.1f\n", n / 1e6 / w, n / 1e6 / w / t, n / 1e6 / c }')
    # shellcheck disable=SC2059
    printf "$hdr" "$l" "$t" "$w" "$c" "$mws" "$mwt" "$mwc" "$rss" "$anon" "$ld" "$ot" "$sq" "$b"
done
if [ -n "$qs_out" ]; then
    echo
    echo "quantizer alone (quant_speed $dim $dim: one thread, quantize and dequantize only;"
    echo "per wall second and per CPU second of the thread, best of $runs runs, since"
    echo "other jobs only ever slow it down)"
    echo
    printf '| %-6s | %14s | %14s | %14s | %14s |\n' "scheme" "quant M w/s" "dequant M w/s" \
        "quant M w/CPU-s" "deq M w/CPU-s"
    printf '|%s|%s|%s|%s|%s|\n' "--------" "----------------" "----------------" \
        "----------------" "----------------"
    while IFS='|' read -r s q d qc dc; do
        printf '| %-6s | %14s | %14s | %14s | %14s |\n' "$s" "$q" "$d" "$qc" "$dc"
    done <<<"$qs_out"
fi
