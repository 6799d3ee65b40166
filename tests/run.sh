#!/usr/bin/env bash
# run.sh: every test lolwire has, in one go (called by `make test`).
#
#   tests/run.sh BUILD_DIR SANITIZER_BUILD_DIR TSAN_BUILD_DIR
#
# Each suite prints its own findings; the last line counts suites passed and failed.
# The shared corpus is expected beside the repository (../shared), or in $LOLWIRE_SHARED.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SAN=${2:-build-san}
TSAN=${3:-build-tsan}
SHARED=${LOLWIRE_SHARED:-$(cd .. && pwd)/shared}
if [ ! -d "$SHARED/corpus" ]; then
    echo "tests: the shared corpus is missing at $SHARED (set LOLWIRE_SHARED)" >&2
    exit 1
fi

passed=0
failed=0
failed_names=()
suite() {
    local name=$1
    shift
    echo "=== $name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "--- $name: ok ($((SECONDS - start))s)"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        echo "--- $name: FAILED ($((SECONDS - start))s)"
    fi
}

TRACES="$SHARED/corpus/zeek/testing/btest/Traces"
FORMAT_CAPTURES=(
    pcaps/demo.pcap
    "$TRACES/wikipedia.pcap" "$TRACES/tunnels/Teredo.pcap" "$TRACES/tunnels/gre-sample.pcap"
    "$TRACES/ipv6-fragmented-dns.pcap" "$TRACES/tunnels/vxlan.pcap" "$TRACES/pppoe.pcap"
    "$TRACES/trunc/ip4-trunc.pcap" "$TRACES/cisco-fabric-path.pcap"
)

suite "unit tests" ctest --test-dir "$BUILD" --output-on-failure --no-tests=error
suite "unit tests (ASan+UBSan)" ctest --test-dir "$SAN" --output-on-failure --no-tests=error
suite "commands used by tests and scripts come from packages install-deps names" python3 tests/commands_check.py
suite "zeek conn.log baselines (state, history, sizes; service >= 95%)" \
    python3 tests/zeek_conn_compare.py "$BUILD/lolwire" "$SHARED"
suite "zeek http.log baselines (>= 97% agree, every hash)" \
    python3 tests/zeek_http_compare.py "$BUILD/lolwire" "$SHARED" --min-agree 97
suite "zeek ssl.log baselines (>= 97% agree)" \
    python3 tests/zeek_ssl_compare.py "$BUILD/lolwire" "$SHARED" --min-agree 97
suite "JA3 and JA3S against tshark (every hello in the corpus)" \
    python3 tests/ja3_check.py "$BUILD/lolwire" "$SHARED"
suite "JA4 against the JA4 project's expected values" \
    python3 tests/ja4_check.py "$BUILD/lolwire" "$SHARED"
suite "golden logs of pcaps/ (tests/golden)" python3 tests/golden_check.py "$BUILD/lolwire"
suite "http capture set (types by bytes, hashes)" python3 tests/http_set_check.py "$BUILD/lolwire"
suite "http-evader (EICAR recovered in at least 495 of 501)" \
    python3 tests/evader_check.py "$BUILD/lolwire" "$SHARED" --min 495
suite "SPAN captures: reordered, re-segmented, duplicated = clean (http, files, notices, sizes)" \
    python3 tests/span_check.py "$BUILD/lolwire"
suite "detections: capture set, corpus look-alikes (staging on every corpus capture), EVE, GeoIP" \
    python3 tests/detect_check.py "$BUILD/lolwire" "$SHARED"
suite "host events: EVTX vs evtxexport, three formats, OTRF attribution, garbage" \
    python3 tests/hostev_check.py "$BUILD/lolwire" "$SHARED"
suite "host-event capture set: attribution in three formats, clock offsets, decoys" \
    python3 tests/hostev_set_check.py "$BUILD/lolwire"
suite "docs/detections.md generated from rules/builtin.rules" \
    python3 scripts/gen-detections-doc.py --check
suite "community id vectors" python3 tests/community_id_check.py "$BUILD/lolwire" "$SHARED"
suite "log format (zeek-cut rules, JSON)" \
    python3 tests/log_format_check.py "$BUILD/lolwire" "${FORMAT_CAPTURES[@]}"
suite "command line and live capture" python3 tests/cli_check.py "$BUILD/lolwire" "$SHARED"
suite "faults: full disk, signals at random moments, hostile bytes in every text field" \
    python3 tests/faults_check.py "$BUILD/lolwire"
suite "Kafka: every log line of a replay at librdkafka's mock cluster, as JSON, once" \
    python3 tests/kafka_check.py "$BUILD"
suite "installation: make install, systemd unit, man page, example config" \
    bash tests/service_check.sh "$BUILD"
suite "as a service: config file, -u, --tag, stats.log, capture loss, --monitor" \
    python3 tests/daemon_check.py "$BUILD/lolwire" "$SHARED"
suite "corpus replay (ASan+UBSan)" python3 tests/corpus_replay.py "$SAN/lolwire" "$SHARED"
suite "workers: --threads 1 and 2 write the same logs (corpus, pcaps/, host-event set)" \
    python3 tests/threads_check.py "$BUILD/lolwire" "$SHARED" --threads 2
suite "workers under ThreadSanitizer: --threads 3 on every 5th corpus capture, pcaps/, host events" \
    python3 tests/threads_check.py "$BUILD/lolwire" "$SHARED" --threads 3 --tsan "$TSAN/lolwire" --sample 5

echo
[ "$failed" -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
