#!/usr/bin/env python3
"""Workers do not change what lolwire writes: every capture of the shared corpus, every
capture under pcaps/ and the host-event set (with each host's events in three formats) is
replayed with --threads 1 and with --threads N (2 by default); every log must hold the
same records, line order aside, and the connection, packet, weird and notice counters must
agree.  With --tsan BIN, BIN (a ThreadSanitizer build) replays the threaded side of a
sample instead, and any ThreadSanitizer report fails the check.

    threads_check.py LOLWIRE SHARED [--threads N] [--tsan BIN --sample K] [--jobs J]
"""
import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zeek_conn_compare import corpus_captures  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTERS = ("packets", "flows_logged", "flows_created", "weirds", "notices",
            "http_transactions", "files_seen", "tls_connections", "hostctx_attributed")
TSAN_MARK = "WARNING: ThreadSanitizer"

# Captures whose logs may differ, and why (docs/architecture.md, "Workers").  Only
# differences are excused, never a sanitizer report or a failed run.
EXPECTED = {
    # nDPI's caches across connections (STUN peers) are per worker: the worker with these
    # flows did not see the earlier ones that named the STUN service.
    "corpus/ndpi/tests/cfgs/default/pcap/stun_google_meet.pcapng": "nDPI cross-connection cache",
}
# And by rule: a connection seen through two or more tunnels (conn.log tunnel_parents
# with 2+ uids), e.g. one exchange relayed by several Teredo servers, has packets with
# different outer address pairs, which may go to different workers, each logging a
# connection (as a Zeek cluster behind PACKET_FANOUT does).  Such captures may differ in
# conn.log and its counters only.
MULTI_TUNNEL = "a connection seen through several tunnels"


def multi_tunnel(outdir):
    """True when conn.log has a row whose tunnel_parents holds two or more uids."""
    path = os.path.join(outdir, "conn.log")
    if not os.path.exists(path):
        return False
    fields = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#fields"):
                fields = line.rstrip("\n").split("\t")[1:]
            elif not line.startswith("#") and "tunnel_parents" in fields:
                v = line.rstrip("\n").split("\t")[fields.index("tunnel_parents")]
                if "," in v:
                    return True
    return False


def run(binary, args, outdir, threads, env=None):
    # stats.log is left out: its counts per interval depend on when each worker last
    # published (tests/daemon_check.py checks it)
    cmd = [binary, "-v", "--seed", "1", "--threads", str(threads), "-o", outdir,
           "--stats-interval", "0", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600,
                       env=env)
    counters = {}
    for m in re.finditer(r"^\s+(\w+)\s+(\d+)\s", p.stderr, re.M):
        counters[m.group(1)] = int(m.group(2))
    return p.returncode, p.stderr, counters


def records(outdir):
    """{log name: sorted record lines}, the #open/#close stamps left out."""
    out = {}
    for path in glob.glob(os.path.join(outdir, "*.log")):
        with open(path, encoding="utf-8", errors="replace") as f:
            out[os.path.basename(path)] = sorted(
                line for line in f if not line.startswith(("#open", "#close")))
    return out


def compare(name, args, binary, threaded_binary, threads, env):
    with tempfile.TemporaryDirectory() as td:
        one, many = os.path.join(td, "1"), os.path.join(td, "n")
        rc1, err1, c1 = run(binary, args, one, 1)
        rcn, errn, cn = run(threaded_binary, args, many, threads, env)
        problems = []
        if TSAN_MARK in errn:
            i = errn.index(TSAN_MARK)
            problems.append(f"{name}: ThreadSanitizer report:\n{errn[i:i + 3000]}")
        if rc1 != rcn:
            problems.append(f"{name}: exit {rc1} with 1 thread, {rcn} with {threads}: "
                            f"{errn.strip()[-300:]}")
        tunnels = multi_tunnel(one)
        for k in COUNTERS:
            if c1.get(k, 0) != cn.get(k, 0) and not (k.startswith("flows_") and tunnels):
                problems.append(f"{name}: counter {k}: {c1.get(k, 0)} with 1 thread, "
                                f"{cn.get(k, 0)} with {threads}")
        r1, rn = records(one), records(many)
        for log in sorted(set(r1) | set(rn)):
            a, b = r1.get(log, []), rn.get(log, [])
            if a != b and tunnels and log == "conn.log":
                problems.append(f"{name}: {MULTI_TUNNEL}: conn.log")
            elif a != b:
                only1 = sorted(set(a) - set(b))[:2]
                onlyn = sorted(set(b) - set(a))[:2]
                problems.append(f"{name}: {log}: {len(a)} records with 1 thread, {len(b)} "
                                f"with {threads}; only with 1: {only1}; only with "
                                f"{threads}: {onlyn}")
        return name, problems, sum(len(v) for v in r1.values())


def cases(shared):
    out = [(os.path.relpath(p, shared), ["-r", p]) for p in corpus_captures(shared)]
    out += [(os.path.relpath(p, ROOT), ["-r", p])
            for p in sorted(glob.glob(os.path.join(ROOT, "pcaps", "*.pcap")))]
    hostev = os.path.join(ROOT, "pcaps", "hostev")
    for cap, host in (("hostev-alice.pcap", "WS-ALICE"), ("hostev-bob.pcap", "WS-BOB"),
                      ("hostev-carol.pcap", "WS-CAROL")):
        for fmt in ("ecs.jsonl", "flat.jsonl", "splunk.xml"):
            out.append((f"{cap} + {host}.{fmt}",
                        ["-r", os.path.join(ROOT, "pcaps", cap), "--min-severity", "info",
                         "--host-events", os.path.join(hostev, f"{host}.{fmt}")]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("shared")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tsan")
    ap.add_argument("--sample", type=int, default=0,
                    help="every K-th corpus capture only (the pcaps/ and host-event "
                         "cases always)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    todo = cases(a.shared)
    if a.sample > 1:
        todo = [c for i, c in enumerate(todo)
                if not c[0].startswith("corpus") or i % a.sample == 0]
    threaded = a.tsan or a.lolwire
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1")
    problems, excused, checked, lines = [], [], 0, 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = [ex.submit(compare, n, args, a.lolwire, threaded, a.threads, env)
                for n, args in todo]
        for fut in concurrent.futures.as_completed(futs):
            name, probs, nrec = fut.result()
            excused += [p for p in probs if MULTI_TUNNEL in p]
            probs = [p for p in probs if MULTI_TUNNEL not in p]
            if name in EXPECTED:
                real = [p for p in probs if TSAN_MARK in p or "exit" in p.split(":")[1]]
                excused += [f"{name}: {EXPECTED[name]}" for p in probs if p not in real][:1]
                probs = real
            problems += probs
            checked += 1
            lines += nrec
    for p in sorted(problems)[:40]:
        print("  " + p)
    for e in sorted(excused):
        print("  expected difference: " + e)
    what = "ThreadSanitizer build, " if a.tsan else ""
    print(f"{checked} replays ({what}--threads 1 vs {a.threads}), {lines} log records "
          f"compared, {len(problems)} differences")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
