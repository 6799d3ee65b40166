#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: lolwire's throughput and memory benchmark (see bench/README.md).
#
# Builds bench/gen_pcap.c into BUILD_DIR/bench/, generates two synthetic captures there (once:
# they are kept and reused while the generator and its parameters stay the same), runs
# BUILD_DIR/lolwire on each under /usr/bin/time -v and prints a table.  Every command that
# matters is printed before it runs.  Exits non-zero if lolwire fails.
#
# Environment: BENCH_RUNS (runs per capture, median wall time taken; default 3), CC (default cc).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: bash bench/run.sh BUILD_DIR" >&2
    exit 2
fi
BUILD=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOLWIRE=$BUILD/lolwire
BENCH=$BUILD/bench
GEN=$BENCH/gen_pcap
RUNS=${BENCH_RUNS:-3}
CC=${CC:-cc}

die() { echo "bench: $*" >&2; exit 1; }

# show CMD...: prints a command, shell-quoted so it can be pasted, on stdout.
show() {
    printf '+'
    printf ' %q' "$@"
    printf '\n'
}

# run CMD...: shows a command and runs it.
run() {
    show "$@"
    "$@"
}

[[ -x $LOLWIRE ]] || die "$LOLWIRE not found: build it first (make build)"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
mkdir -p "$BENCH"

if [[ ! -x /usr/bin/time ]]; then
    echo "bench: /usr/bin/time missing, installing the Debian package 'time'" >&2
    if [[ $(id -u) -eq 0 ]]; then
        run apt-get install -y -qq time >/dev/null || { apt-get update -qq && run apt-get install -y -qq time >/dev/null; }
    else
        run sudo apt-get install -y -qq time >/dev/null
    fi
    [[ -x /usr/bin/time ]] || die "could not install /usr/bin/time (apt-get install time)"
fi

if [[ ! -x $GEN || $HERE/gen_pcap.c -nt $GEN ]]; then
    run "$CC" -O2 -std=c11 -o "$GEN" "$HERE/gen_pcap.c"
fi

# gen NAME ARGS...: BENCH/NAME.pcap made by gen_pcap ARGS, reused while NAME.key (the arguments
# and the generator source's hash) still matches.  NAME.meta keeps the generator's summary line.
gen() {
    local name=$1; shift
    local pcap=$BENCH/$name.pcap key
    key="gen_pcap $* | $(sha256sum "$HERE/gen_pcap.c" | cut -d' ' -f1)"
    if [[ -f $pcap && -f $BENCH/$name.meta && -f $BENCH/$name.key && $(cat "$BENCH/$name.key") == "$key" ]]; then
        echo "bench: reusing $pcap ($*)" >&2
        return
    fi
    rm -f "$pcap" "$BENCH/$name.key" "$BENCH/$name.meta"
    show "$GEN" "$@" -o "$pcap.tmp"
    "$GEN" "$@" -o "$pcap.tmp" 2>"$BENCH/$name.meta.tmp" \
        || { cat "$BENCH/$name.meta.tmp" >&2; die "gen_pcap failed"; }
    mv "$pcap.tmp" "$pcap"
    mv "$BENCH/$name.meta.tmp" "$BENCH/$name.meta"
    printf '%s\n' "$key" >"$BENCH/$name.key"
    sync # no write-back of the fresh capture competing with the measured runs
}

# meta NAME FIELD: a value from the generator's summary line.
meta() {
    tr ' ' '\n' <"$BENCH/$1.meta" | sed -n "s/^$2=//p"
}

THROUGHPUT_ARGS=(-f 20000 -c 1000 -b 20000 -u 2000 -s 1)
UNFINISHED_ARGS=(--unfinished -f 10000 -c 10000 -b 4000 -u 2000 -s 1)
gen throughput "${THROUGHPUT_ARGS[@]}"
gen unfinished "${UNFINISHED_ARGS[@]}"

TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/lolwire-bench.XXXXXX")
trap 'rm -rf "$TMPROOT"' EXIT

# measure NAME RUNS: runs lolwire RUNS times on NAME.pcap; sets WALL (median seconds), RSS_KB
# (largest maximum RSS over the runs), RUNLIST (wall and CPU seconds of every run), CONNS and
# WEIRDS (log lines, last run).
measure() {
    local name=$1 runs=$2 pcap=$BENCH/$1.pcap i walls=() list=() rss=0
    show cat "$pcap" '>/dev/null'
    cat "$pcap" >/dev/null # into the page cache, so every run reads from memory
    for ((i = 1; i <= runs; i++)); do
        local out=$TMPROOT/$name-$i tfile=$TMPROOT/$name-$i.time efile=$TMPROOT/$name-$i.err
        local t0 t1 rc=0
        t0=$(date +%s%N)
        show /usr/bin/time -v -o "$tfile" "$LOLWIRE" -q -r "$pcap" -o "$out"
        /usr/bin/time -v -o "$tfile" "$LOLWIRE" -q -r "$pcap" -o "$out" 2>"$efile" || rc=$?
        t1=$(date +%s%N)
        if [[ $rc -ne 0 ]]; then
            echo "bench: lolwire failed (exit $rc) on $pcap; its stderr:" >&2
            cat "$efile" >&2
            grep -E 'Command (exited|terminated)|Exit status' "$tfile" >&2 || true
            exit 1
        fi
        if [[ -s $efile ]]; then
            echo "bench: lolwire wrote to stderr on $pcap (run $i):" >&2
            sed 's/^/  | /' "$efile" >&2
        fi
        walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
        list+=("${walls[-1]} s (cpu $(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$tfile") s)")
        local r
        r=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tfile")
        r=${r:-0}
        ((r > rss)) && rss=$r
        CONNS=$(grep -vc '^#' "$out/conn.log" 2>/dev/null || true)
        WEIRDS=$(grep -vc '^#' "$out/weird.log" 2>/dev/null || true)
        if ((i < runs)); then rm -rf "$out"; fi
    done
    RUNLIST=$(IFS=,; echo "${list[*]}")
    RUNLIST=${RUNLIST//,/, }
    WALL=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    RSS_KB=$rss
}

ROWS=()
NOTES=()
for spec in "throughput $RUNS" "unfinished $RUNS"; do
    read -r name runs <<<"$spec"
    measure "$name" "$runs"
    pkts=$(meta "$name" packets)
    bytes=$(meta "$name" bytes)
    flows=$(($(meta "$name" tcp_flows) + $(meta "$name" udp_flows)))
    ROWS+=("$(awk -v n="$name.pcap" -v p="$pkts" -v b="$bytes" -v w="$WALL" -v r="$RSS_KB" 'BEGIN {
        printf "%-16s %10d %12d %8.3f %12.0f %9.1f %12.1f", n, p, b, w, p / w, b * 8 / w / 1e6, r / 1024 }')")
    NOTES+=("$name.pcap: runs $RUNLIST; conn.log ${CONNS:-0} lines (capture has $flows flows), weird.log ${WEIRDS:-0} lines")
done

echo
echo "lolwire benchmark: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "captures in $BENCH (bytes = frame bytes; wall = median of $RUNS runs, RSS = largest)"
echo
printf '%-16s %10s %12s %8s %12s %9s %12s\n' capture packets bytes 'wall s' 'packets/s' 'Mbit/s' 'max RSS MB'
printf '%s\n' "${ROWS[@]}"
echo
printf '%s\n' "${NOTES[@]}"
