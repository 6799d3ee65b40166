#!/usr/bin/env python3
"""Kafka forwarding: every log line of a replay arrives at the broker, in JSON, once.

    kafka_check.py BUILD_DIR        (BUILD_DIR holds lolwire and kafka_mock)

Each capture is replayed by lolwire against a Kafka cluster held in the kafka_mock
process (librdkafka's mock cluster, 3 brokers), which then writes out every message it
received as TOPIC<TAB>PAYLOAD.

1. --json: for every log file LOGDIR/<log>.log, and eve.json as "eve", the multiset of its
   lines equals the multiset of the payloads on topic lolwire.<log>: every line once, none
   missing, none extra, and no topic without a file.  Every payload is a JSON object.
2. TSV (no --json): Kafka still gets JSON.  Per topic, as many messages as data lines in
   the TSV file, the same (ts, uid) pairs, and the very payloads of run 1 (except for the
   logs that change from run to run: stats, capture_loss).
3. Broker away (kafka_mock --down, --kafka-timeout 2): lolwire exits 1 within 30 s, says on
   stderr how many messages it could not deliver (a line with "kafka" and that number),
   and its log files are the same as run 2's.

The shared corpus is $LOLWIRE_SHARED or <repo>/../shared; its capture is skipped (with a
note) when the corpus is not there.  Exit 0 when every check passes, 1 otherwise.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("LOLWIRE_SHARED") or os.path.join(ROOT, "..", "shared")
PREFIX = "lolwire."
RUN_TIMEOUT_S = 300
# Logs whose records differ from one run to the next (memory in use, how packets were
# shared out among workers): not compared across runs, only within a run.
VOLATILE = {"stats", "capture_loss"}
DOWN_LIMIT_S = 30

# (capture, extra lolwire options).  demo: conn, http, files, ssl, notice and EVE;
# detect-cradles: many notices and alerts; detect-hosts-tls: ssl with notices;
# arkime_synthetic (shared corpus): 225 connections with weird, quic, ssl, files, replayed
# by two workers so that kafka_send is called from several threads.
CAPTURES = [
    (os.path.join(ROOT, "pcaps", "demo.pcap"), []),
    (os.path.join(ROOT, "pcaps", "detect-cradles.pcap"), []),
    (os.path.join(ROOT, "pcaps", "detect-hosts-tls.pcap"), []),
    (os.path.join(SHARED, "corpus", "arkime", "tests", "pcap", "arkime_synthetic.pcap"),
     ["--threads", "2"]),
]

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}", file=sys.stderr)


def lolwire_cmd(build, cap, logdir, extra, json_logs=True, kafka_timeout=None):
    cmd = [os.path.join(build, "lolwire"), "-r", cap, "-o", logdir, "--seed", "1",
           "--no-geoip", "--kafka", "{brokers}", "--kafka-topic-prefix", PREFIX,
           "--eve", os.path.join(logdir, "eve.json"), "-q", *extra]
    if json_logs:
        cmd.append("--json")
    if kafka_timeout is not None:
        cmd += ["--kafka-timeout", str(kafka_timeout)]
    return cmd


def run_mock(build, out, cmd, down=False):
    """Run cmd under kafka_mock; (exit status, stderr, seconds)."""
    mock = [os.path.join(build, "kafka_mock")] + (["--down"] if down else []) + [out, "--"]
    t0 = time.monotonic()
    try:
        p = subprocess.run(mock + cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {RUN_TIMEOUT_S} s", RUN_TIMEOUT_S
    return p.returncode, p.stderr, time.monotonic() - t0


def received(out):
    """Payloads per topic from kafka_mock's OUT_FILE."""
    topics = collections.defaultdict(list)
    with open(out, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            topic, sep, payload = line.rstrip("\n").partition("\t")
            if not sep:
                fail(f"{out}: a line without a tab: {line[:80]!r}")
                continue
            topics[topic].append(payload)
    return topics


def log_files(logdir):
    """{log name: path} for every log of a run; eve.json is the log "eve"."""
    logs = {}
    for name in sorted(os.listdir(logdir)):
        if name.endswith(".log"):
            logs[name[:-4]] = os.path.join(logdir, name)
        elif name == "eve.json":
            logs["eve"] = os.path.join(logdir, name)
    return logs


def read_lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def as_object(payload):
    """The JSON object of a payload; {} if it is none (check_json_payloads says so)."""
    try:
        o = json.loads(payload)
    except ValueError:
        return {}
    return o if isinstance(o, dict) else {}


def check_json_payloads(label, topics):
    for topic, payloads in topics.items():
        for p in payloads:
            try:
                ok = isinstance(json.loads(p), dict)
            except ValueError as e:
                fail(f"{label}: {topic}: payload is not JSON ({e}): {p[:120]}")
                return
            if not ok:
                fail(f"{label}: {topic}: payload is not a JSON object: {p[:120]}")
                return


def compare_multisets(label, topic, want, got):
    """The lines `want` and the payloads `got` hold the same strings, each as often."""
    cw, cg = collections.Counter(want), collections.Counter(got)
    if cw == cg:
        return
    missing, extra = cw - cg, cg - cw
    msg = (f"{label}: {topic}: {len(want)} lines in the file, {len(got)} messages; "
           f"{sum(missing.values())} missing, {sum(extra.values())} extra")
    for line in list(missing)[:2]:
        msg += f"\n    missing: {line[:160]}"
    for line in list(extra)[:2]:
        msg += f"\n    extra:   {line[:160]}"
    fail(msg)


def check_topics_have_files(label, topics, logs):
    for topic in sorted(topics):
        if not topic.startswith(PREFIX) or topic[len(PREFIX):] not in logs:
            fail(f"{label}: {len(topics[topic])} messages on topic {topic}, which has no log file")


def run_json(build, cap, extra, td):
    """Run 1; the payloads per topic (for run 2), or None if the run failed."""
    label = f"{os.path.basename(cap)} --json"
    logdir, out = os.path.join(td, "json"), os.path.join(td, "json.kafka")
    rc, err, _ = run_mock(build, out, lolwire_cmd(build, cap, logdir, extra))
    if rc != 0:
        fail(f"{label}: exit {rc}: {err.strip()[:2000]}")
        return None
    note_stderr(label, err)
    topics = received(out)
    check_json_payloads(label, topics)
    logs = log_files(logdir)
    for log, path in logs.items():
        compare_multisets(label, PREFIX + log, read_lines(path), topics.get(PREFIX + log, []))
    check_topics_have_files(label, topics, logs)
    return topics


def tsv_rows(path):
    """(fields, rows) of a Zeek TSV log."""
    fields, rows = None, []
    for line in read_lines(path):
        if line.startswith("#fields\t"):
            fields = line.split("\t")[1:]
        elif not line.startswith("#"):
            rows.append(line.split("\t"))
    return fields, rows


def as_ts(v):
    """A ts value (TSV text, JSON number or numeric string) rounded to microseconds; a
    ValueError when it is none of these."""
    if v is None or v == "-":
        return -1.0
    return round(float(v), 6)


def ts_uid_pairs(label, topic, records):
    """Sorted (ts, uid) pairs of `records`, dicts; None (failure noted) on a bad ts."""
    try:
        return sorted((as_ts(r.get("ts")), r.get("uid") or "") for r in records)
    except (TypeError, ValueError) as e:
        fail(f"{label}: {topic}: a ts that is not a number of seconds: {e}")
        return None


def check_tsv_log(label, log, path, payloads, json_topics):
    topic = PREFIX + log
    fields, rows = tsv_rows(path)
    if fields is None:
        fail(f"{label}: {path}: no #fields line")
        return
    if len(rows) != len(payloads):
        fail(f"{label}: {topic}: {len(rows)} data lines in {log}.log, {len(payloads)} messages")
    elif "ts" in fields:
        keep = [f for f in ("ts", "uid") if f in fields]
        idx = [fields.index(f) for f in keep]
        want = ts_uid_pairs(label, topic, [{f: (None if r[i] == "-" else r[i])
                                            for f, i in zip(keep, idx)} for r in rows])
        got = ts_uid_pairs(label, topic, [{f: o.get(f) for f in keep}
                                          for o in map(as_object, payloads)])
        if want is not None and got is not None and want != got:
            diff = [(w, g) for w, g in zip(want, got) if w != g][:3]
            fail(f"{label}: {topic}: (ts, uid) of the messages differ from {log}.log's rows; "
                 f"first differences (file, kafka): {diff}")
    if json_topics is not None and log not in VOLATILE:
        compare_multisets(f"{label} vs --json run", topic, json_topics.get(topic, []),
                          payloads)


def run_tsv(build, cap, extra, td, json_topics):
    """Run 2; the log directory, or None if the run failed."""
    label = f"{os.path.basename(cap)} TSV"
    logdir, out = os.path.join(td, "tsv"), os.path.join(td, "tsv.kafka")
    rc, err, _ = run_mock(build, out, lolwire_cmd(build, cap, logdir, extra, json_logs=False))
    if rc != 0:
        fail(f"{label}: exit {rc}: {err.strip()[:2000]}")
        return None
    note_stderr(label, err)
    topics = received(out)
    check_json_payloads(label, topics)
    logs = log_files(logdir)
    for log, path in logs.items():
        payloads = topics.get(PREFIX + log, [])
        if log == "eve":
            compare_multisets(label, PREFIX + log, read_lines(path), payloads)
        else:
            check_tsv_log(label, log, path, payloads, json_topics)
    check_topics_have_files(label, topics, logs)
    return logdir


STAMP = re.compile(r"^#(open|close)\t.*$", re.M)


def masked_logs(logdir):
    out = {}
    for log, path in log_files(logdir).items():
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            out[log] = STAMP.sub(r"#\1\tX", f.read())
    return out


def run_down(build, cap, extra, td, tsv_logdir):
    """Run 3: the broker is away."""
    label = f"{os.path.basename(cap)} broker away"
    logdir, out = os.path.join(td, "down"), os.path.join(td, "down.kafka")
    rc, err, secs = run_mock(build, out, lolwire_cmd(build, cap, logdir, extra, json_logs=False,
                                                     kafka_timeout=2), down=True)
    if rc != 1:
        fail(f"{label}: exit {rc}, want 1 (messages were lost): {err.strip()[:2000]}")
    if secs >= DOWN_LIMIT_S:
        fail(f"{label}: took {secs:.1f} s (limit {DOWN_LIMIT_S} s with --kafka-timeout 2)")
    lines = 0  # data lines of every log: each was a message to send
    if os.path.isdir(logdir):
        lines = sum(1 for p in log_files(logdir).values() for x in read_lines(p)
                    if not x.startswith("#"))
    said = [x for x in err.splitlines() if "kafka" in x.lower() and re.search(rf"\b{lines}\b", x)]
    if not said:
        fail(f"{label}: no stderr line with \"kafka\" and {lines} (the undelivered messages); "
             f"stderr was:\n{err.strip()[:2000]}")
    if tsv_logdir and os.path.isdir(logdir):
        got, want = masked_logs(logdir), masked_logs(tsv_logdir)
        for log in sorted(set(got) | set(want)):
            if log not in VOLATILE and got.get(log) != want.get(log):
                fail(f"{label}: {log} differs from the run with a broker")
    if os.path.exists(out) and os.path.getsize(out):
        fail(f"{label}: kafka_mock --down received messages?")
    return secs, lines


def note_stderr(label, err):
    """Print what a successful run said on stderr (a kafka warning is worth seeing)."""
    for line in err.splitlines():
        if line.strip():
            print(f"  note: {label}: {line}")
    if "kafka_mock:" in err:
        fail(f"{label}: kafka_mock reported a problem")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    for exe in ("lolwire", "kafka_mock"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            print(f"kafka_check: no {exe} in {build}", file=sys.stderr)
            return 1
    for cap, extra in CAPTURES:
        name = os.path.basename(cap)
        if not os.path.exists(cap):
            print(f"{name}: skipped, not found ({cap}; set LOLWIRE_SHARED)")
            continue
        before = len(failures)
        with tempfile.TemporaryDirectory(prefix="kafka_check.") as td:
            topics = run_json(build, cap, extra, td)
            tsv_logdir = run_tsv(build, cap, extra, td, topics)
            down = run_down(build, cap, extra, td, tsv_logdir) if cap == CAPTURES[0][0] else None
        counts = ", ".join(f"{t[len(PREFIX):]} {len(p)}" for t, p in sorted((topics or {}).items()))
        status = "ok" if len(failures) == before else "FAILED"
        print(f"{name}{' ' + ' '.join(extra) if extra else ''}: {status}; messages: {counts}")
        if down:
            print(f"  broker away: {down[1]} messages undelivered, exit 1 after {down[0]:.1f} s")
    if failures:
        print(f"kafka_check: {len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("kafka_check: every log line arrived once, as JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
