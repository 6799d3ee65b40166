#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: lolwire's throughput and memory benchmark (see bench/README.md).
#
# Builds bench/gen_pcap.c into BUILD_DIR/bench/, generates nine synthetic captures there (once:
# they are kept and reused while the generator and its parameters stay the same), runs
# BUILD_DIR/lolwire and nDPI's ndpiReader (Debian libndpi-bin) on each under /usr/bin/time -v
# and prints two tables: lolwire's figures, then lolwire against ndpiReader (Gbit/s, Mpps,
# peak RSS, the throughput ratio, lolwire with N workers when it has --threads) and the
# targets of issue 12.  Every command that matters is printed before it runs.  Exits
# non-zero if lolwire or ndpiReader fails.
#
# Environment: BENCH_RUNS (runs per capture and program, median wall time taken; default 3),
# CC (default cc).
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

# need PROGRAM PACKAGE: installs the Debian PACKAGE when PROGRAM (a full path) is missing.
need() {
    [[ -x $1 ]] && return
    echo "bench: $1 missing, installing the Debian package '$2'" >&2
    if [[ $(id -u) -eq 0 ]]; then
        run apt-get install -y -qq "$2" >/dev/null || { apt-get update -qq && run apt-get install -y -qq "$2" >/dev/null; }
    else
        run sudo apt-get install -y -qq "$2" >/dev/null
    fi
    [[ -x $1 ]] || die "could not install $1 (apt-get install $2)"
}
need /usr/bin/time time
need /usr/bin/ndpiReader libndpi-bin

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
TLS_ARGS=(--tls --size-mb 200 -c 1000 -s 1)
DNS_ARGS=(--dns --size-mb 100 -c 1000 -s 1)
MIXED_100M_ARGS=(--mix --size-mb 100 -c 1000 -s 1) # mixed-1g's first flows (same bytes to 54 MB)
MIXED_1G_ARGS=(--mix --size-mb 1024 -c 1000 -s 1)
# The same mix paced at 600 us a packet (about 11 Mbit/s of packet time): the 100 MB one
# lasts 74 s, past the longest timeout (UDP, 60 s), so both show the steady state, where
# connections end as fast as they start.  The mixed captures above are bursts (1 GB in 13 s
# of packet time): every connection they hold is still within its timeouts at the end.
# 200 flows at once, not 1000: at this pace a flow's next packet would otherwise now and
# then come over 5 s later, and a SYN-ACK that late starts a new connection (Zeek's too).
STEADY_100M_ARGS=(--mix --size-mb 100 -c 200 -s 1 -t 600)
STEADY_1G_ARGS=(--mix --size-mb 1024 -c 200 -s 1 -t 600)
# A SYN flood / 1M-flow scan: a million single unanswered SYNs; lolwire runs with a cap.
SYN_ARGS=(--syn -f 1000000 -t 1 -s 1)
SYN_MAX_FLOWS=100000
CAPTURES=(throughput unfinished tls dns mixed-100m mixed-1g steady-100m steady-1g syn-1m)
declare -A LW_ARGS=([syn-1m]="--max-flows $SYN_MAX_FLOWS")
gen throughput "${THROUGHPUT_ARGS[@]}"
gen unfinished "${UNFINISHED_ARGS[@]}"
gen tls "${TLS_ARGS[@]}"
gen dns "${DNS_ARGS[@]}"
gen mixed-100m "${MIXED_100M_ARGS[@]}"
gen mixed-1g "${MIXED_1G_ARGS[@]}"
gen steady-100m "${STEADY_100M_ARGS[@]}"
gen steady-1g "${STEADY_1G_ARGS[@]}"
gen syn-1m "${SYN_ARGS[@]}"

# lolwire with N workers: only once it has --threads (issue 12); until then the column is "-".
NPROC=$(nproc)
THREADS=no
HELP=$("$LOLWIRE" --help 2>&1 || true)
if [[ $HELP == *--threads* ]]; then
    THREADS=yes
fi

TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/lolwire-bench.XXXXXX")
trap 'rm -rf "$TMPROOT"' EXIT

# median "A B C": the median of whitespace-separated numbers.
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure NAME RUNS TOOL: runs TOOL (lolwire, lolwire-n: lolwire --threads $(nproc), or ndpi:
# ndpiReader) RUNS times on NAME.pcap; sets WALL (median seconds), RSS_KB (largest maximum RSS
# over the runs), RUNLIST (wall and CPU seconds of every run), and for lolwire CONNS and
# WEIRDS (log lines, last run).
measure() {
    local name=$1 runs=$2 tool=$3 pcap=$BENCH/$1.pcap i walls=() list=() rss=0
    for ((i = 1; i <= runs; i++)); do
        local out=$TMPROOT/$name-$tool-$i tfile=$TMPROOT/$name-$tool-$i.time efile=$TMPROOT/$name-$tool-$i.err
        local t0 t1 rc=0 cmd extra=()
        read -r -a extra <<<"${LW_ARGS[$name]:-}"
        case $tool in
        lolwire) cmd=("$LOLWIRE" -q "${extra[@]}" -r "$pcap" -o "$out") ;;
        lolwire-n) cmd=("$LOLWIRE" -q "${extra[@]}" --threads "$NPROC" -r "$pcap" -o "$out") ;;
        ndpi) cmd=(ndpiReader -q -i "$pcap") ;; # stdout (its report) to /dev/null
        esac
        t0=$(date +%s%N)
        if [[ $tool == ndpi ]]; then
            show /usr/bin/time -v -o "$tfile" "${cmd[@]}" '>/dev/null'
            /usr/bin/time -v -o "$tfile" ndpiReader -q -i "$pcap" >/dev/null 2>"$efile" || rc=$?
        else
            show /usr/bin/time -v -o "$tfile" "${cmd[@]}"
            /usr/bin/time -v -o "$tfile" "${cmd[@]}" 2>"$efile" || rc=$?
        fi
        t1=$(date +%s%N)
        if [[ $rc -ne 0 ]]; then
            echo "bench: ${cmd[0]} failed (exit $rc) on $pcap; its stderr:" >&2
            cat "$efile" >&2
            grep -E 'Command (exited|terminated)|Exit status' "$tfile" >&2 || true
            exit 1
        fi
        if [[ -s $efile && $tool != ndpi ]]; then
            echo "bench: lolwire wrote to stderr on $pcap (run $i):" >&2
            sed 's/^/  | /' "$efile" >&2
        fi
        walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
        list+=("${walls[-1]} s (cpu $(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$tfile") s)")
        local r
        r=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tfile")
        r=${r:-0}
        ((r > rss)) && rss=$r
        if [[ $tool != ndpi ]]; then
            CONNS=$(grep -vc '^#' "$out/conn.log" 2>/dev/null || true)
            WEIRDS=$(grep -vc '^#' "$out/weird.log" 2>/dev/null || true)
        fi
        rm -rf "$out"
    done
    RUNLIST=$(IFS=,; echo "${list[*]}")
    RUNLIST=${RUNLIST//,/, }
    WALL=$(median "${walls[*]}")
    RSS_KB=$rss
}

ROWS=()
NOTES=()
CMP=()
NDPI_NOTES=()
declare -A LW_RSS LW_WALL NW_WALL NW_RSS ND_WALL
for name in "${CAPTURES[@]}"; do
    pcap=$BENCH/$name.pcap
    show cat "$pcap" '>/dev/null'
    cat "$pcap" >/dev/null # into the page cache, so every run reads from memory
    # Runs interleave (lolwire, lolwire --threads, ndpiReader, then again): on a shared
    # machine a slow minute then slows every program alike, not one of them.
    TOOLS=(lolwire)
    [[ $THREADS == yes ]] && TOOLS+=(lolwire-n)
    TOOLS+=(ndpi)
    declare -A T_WALLS=() T_LIST=() T_RSS=()
    for ((run = 1; run <= RUNS; run++)); do
        for tool in "${TOOLS[@]}"; do
            measure "$name" 1 "$tool"
            T_WALLS[$tool]+="$WALL "
            T_LIST[$tool]+="${T_LIST[$tool]:+, }$RUNLIST"
            ((RSS_KB > ${T_RSS[$tool]:-0})) && T_RSS[$tool]=$RSS_KB
        done
    done
    lw_wall=$(median "${T_WALLS[lolwire]}") lw_rss=${T_RSS[lolwire]} lw_runs=${T_LIST[lolwire]}
    LW_RSS[$name]=$lw_rss
    LW_WALL[$name]=$lw_wall
    nw=-
    if [[ $THREADS == yes ]]; then
        nw=$(median "${T_WALLS[lolwire-n]}")
        NW_WALL[$name]=$nw
        NW_RSS[$name]=${T_RSS[lolwire-n]}
        NOTES+=("$name.pcap: --threads $NPROC runs ${T_LIST[lolwire-n]}, max RSS $((NW_RSS[$name] / 1024)) MB")
    fi
    nd_wall=$(median "${T_WALLS[ndpi]}") nd_rss=${T_RSS[ndpi]}
    ND_WALL[$name]=$nd_wall
    NDPI_NOTES+=("$name.pcap: ndpiReader runs ${T_LIST[ndpi]}")
    pkts=$(meta "$name" packets)
    bytes=$(meta "$name" bytes)
    fbytes=$(meta "$name" file_bytes)
    flows=$(($(meta "$name" tcp_flows) + $(meta "$name" udp_flows)))
    ROWS+=("$(awk -v n="$name.pcap" -v p="$pkts" -v b="$bytes" -v w="$lw_wall" -v r="$lw_rss" 'BEGIN {
        printf "%-16s %10d %12d %8.3f %12.0f %9.1f %12.1f", n, p, b, w, p / w, b * 8 / w / 1e6, r / 1024 }')")
    NOTES+=("$name.pcap: runs $lw_runs; conn.log ${CONNS:-0} lines (capture has $flows flows), weird.log ${WEIRDS:-0} lines")
    CMP+=("$(awk -v n="$name.pcap" -v f="$fbytes" -v p="$pkts" -v b="$bytes" -v w="$lw_wall" -v r="$lw_rss" \
        -v nw="$nd_wall" -v nr="$nd_rss" -v tw="$nw" 'BEGIN {
        tn = tw == "-" ? "-" : sprintf("%.2f", b * 8 / tw / 1e9)
        printf "%-16s %7.0f %9d | %7.3f %6.2f %6.3f %7.1f | %7.3f %6.2f %7.1f | %6.2fx | %12s",
            n, f / 1048576, p, w, b * 8 / w / 1e9, p / w / 1e6, r / 1024,
            nw, b * 8 / nw / 1e9, nr / 1024, nw / w, tn }')")
done

echo
echo "lolwire benchmark: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "captures in $BENCH (bytes = frame bytes; wall = median of $RUNS runs, RSS = largest)"
echo
printf '%-16s %10s %12s %8s %12s %9s %12s\n' capture packets bytes 'wall s' 'packets/s' 'Mbit/s' 'max RSS MB'
printf '%s\n' "${ROWS[@]}"
echo
printf '%s\n' "${NOTES[@]}"
echo
NDPI_VERSION="$(ndpiReader -h 2>/dev/null | sed -n 's/^Welcome to \(nDPI [0-9.]*\).*/\1/p' | head -1) (libndpi-bin $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null))"
echo "lolwire (1 worker) against ndpiReader -q -i FILE, $NDPI_VERSION: same captures, same run"
echo "(Gbit/s and Mpps from frame bytes and packets over the median wall time; ratio = lolwire"
echo "throughput / ndpiReader throughput = ndpiReader wall / lolwire wall)"
echo
printf '%-16s %7s %9s | %-29s | %-23s | %7s | %12s\n' '' '' '' 'lolwire, 1 worker' ndpiReader '' lolwire
printf '%-16s %7s %9s | %7s %6s %6s %7s | %7s %6s %7s | %7s | %12s\n' capture 'size MB' packets \
    'wall s' Gbit/s Mpps 'RSS MB' 'wall s' Gbit/s 'RSS MB' ratio "$NPROC wkr Gbit/s"
printf '%s\n' "${CMP[@]}"
if [[ $THREADS == no ]]; then
    echo "($NPROC workers: --threads not implemented yet: $LOLWIRE --help does not mention it)"
fi
echo
printf '%s\n' "${NDPI_NOTES[@]}"
echo

# The targets of issue 12, on the 1 GB mixed capture: 1 worker >= 2x ndpiReader, N workers
# >= 1.7x one worker, peak RSS <= 256 MB; RSS flat (within 10%) from 100 MB to 1 GB in the
# steady state; bounded under a SYN flood / 1M-flow scan with --max-flows.
verdict() { if [[ $1 == 1 ]]; then echo met; else echo "NOT met"; fi; }
mb() { awk -v r="$1" 'BEGIN { printf "%.1f", r / 1024 }'; }
ratio=$(awk -v a="${ND_WALL[mixed-1g]}" -v b="${LW_WALL[mixed-1g]}" 'BEGIN { printf "%.2f", a / b }')
echo "targets (issue 12, on mixed-1g.pcap unless named):"
echo "  1 worker >= 2x ndpiReader:      ${ratio}x: $(verdict "$(awk -v r="$ratio" 'BEGIN { print (r >= 2) }')")"
if [[ $THREADS == yes ]]; then
    speedup=$(awk -v a="${LW_WALL[mixed-1g]}" -v b="${NW_WALL[mixed-1g]}" 'BEGIN { printf "%.2f", a / b }')
    echo "  $NPROC workers >= 1.7x 1 worker:    ${speedup}x: $(verdict "$(awk -v r="$speedup" 'BEGIN { print (r >= 1.7) }')")"
else
    echo "  $NPROC workers >= 1.7x 1 worker:    no --threads: NOT met"
fi
peak=${LW_RSS[mixed-1g]}
[[ $THREADS == yes ]] && ((NW_RSS[mixed-1g] > peak)) && peak=${NW_RSS[mixed-1g]}
echo "  peak RSS <= 256 MB:             $(mb "$peak") MB: $(verdict "$((peak <= 262144))")"
a=${LW_RSS[steady-100m]} b=${LW_RSS[steady-1g]}
echo "  RSS flat within 10% (steady):   steady-100m $(mb "$a") MB, steady-1g $(mb "$b") MB ($(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.0f%%", (b - a) * 100 / a }')): $(verdict "$(awk -v a="$a" -v b="$b" 'BEGIN { print (b <= a * 1.1 && b >= a * 0.9) }')")"
echo "                                  (bursts, every connection still within its timeouts: mixed-100m $(mb "${LW_RSS[mixed-100m]}") MB, mixed-1g $(mb "${LW_RSS[mixed-1g]}") MB)"
s1=${LW_RSS[syn-1m]}
[[ $THREADS == yes ]] && ((NW_RSS[syn-1m] > s1)) && s1=${NW_RSS[syn-1m]}
echo "  SYN flood / 1M-flow scan:       --max-flows $SYN_MAX_FLOWS: $(mb "$s1") MB: $(verdict "$((s1 <= 262144))") (bounded: <= 256 MB)"
echo "  other captures, 1 worker / ndpiReader:"
for name in "${CAPTURES[@]}"; do
    [[ $name == mixed-1g ]] && continue
    awk -v n="$name" -v a="${ND_WALL[$name]}" -v b="${LW_WALL[$name]}" 'BEGIN { printf "    %-14s %.2fx\n", n, a / b }'
done
