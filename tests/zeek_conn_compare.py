#!/usr/bin/env python3
"""Compare lolwire's conn.log with Zeek's btest baselines.

For every test in shared/corpus/zeek/TESTS.tsv that reads one trace and has a conn.log
baseline, run lolwire on the trace and match rows by (id.orig_h, id.orig_p, id.resp_h,
id.resp_p, proto), as shared/corpus/PEERS.md prescribes (uids and ts are masked in the
baselines).  Two scores:

  found   baseline rows for which lolwire logged the same connection      (>= 98%)
  agree   of those, rows whose conn_state, history, orig/resp bytes and
          orig/resp packet counts all equal Zeek's                        (>= 95%)

One deliberate difference: lolwire keys and logs SCTP (ip_proto 132) with its ports, as
Suricata and the Community ID spec do, where Zeek logs it as unknown_transport with ports
0.  SCTP rows are therefore matched on addresses and ip_proto only.

A connection logged in the other orientation counts as found (the same connection) but
is compared field by field as oriented, so a wrong orientation shows up as disagreement.

Usage: zeek_conn_compare.py LOLWIRE SHARED_DIR [--verbose] [--min-found 98] [--min-agree 95]
"""
import argparse
import csv
import ipaddress
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections import defaultdict

KEY_FIELDS = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"]
FIELDS = ["conn_state", "history", "orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts"]


def read_zeek_log(path):
    """Parse a Zeek TSV log by zeek-cut's rules; returns a list of dicts."""
    rows, fields, sep = [], None, "\t"
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        if not line:
            continue
        if line.startswith("#separator "):
            v = line[len("#separator "):]
            sep = bytes(v, "ascii").decode("unicode_escape") if v.startswith("\\x") else v[0]
            continue
        if line.startswith("#fields"):
            fields = line.split(sep)[1:]
            if i + 1 >= len(lines) or not lines[i + 1].startswith("#types"):
                raise ValueError(f"{path}: #fields not followed by #types")
            continue
        if line.startswith("#"):
            continue
        if fields is None:
            # A zeek-cut extract: the first line names the columns.
            fields = line.split(sep)
            continue
        vals = line.split(sep)
        rows.append(dict(zip(fields, vals)))
    return rows


def log_rows(directory, name):
    """The rows of log `name` in `directory` (lolwire writes a log only when it has a
    record: a missing file is an empty log)."""
    path = os.path.join(directory, name)
    return read_zeek_log(path) if os.path.exists(path) else []


def key(r):
    if r.get("ip_proto") == "132":  # SCTP: see the module comment
        return (r["id.orig_h"], "-", r["id.resp_h"], "-", "sctp")
    return (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"], r["proto"])


def rkey(r):
    k = key(r)
    return (k[2], k[3], k[0], k[1], k[4])


def norm(field, v):
    # Zeek leaves sizes unset on one-packet connections; treat "-" and absent alike.
    return v if v not in (None, "") else "-"


def canon_addr(a):
    """An address in its canonical text form (so that 2001:0:: equals 2001::)."""
    try:
        return ipaddress.ip_address(a).compressed
    except ValueError:
        return a


def conn_tuple(r):
    """(orig_h, orig_p, resp_h, resp_p) of a log row, addresses canonical."""
    return (canon_addr(r["id.orig_h"]), r["id.orig_p"], canon_addr(r["id.resp_h"]), r["id.resp_p"])


def print_problems(problems, verbose, limit=40):
    """Every problem with -v, else the first `limit` and how many more there are."""
    listed = problems if verbose else problems[:limit]
    for p in listed:
        print("  " + p)
    if len(listed) < len(problems):
        print(f"  ... and {len(problems) - len(listed)} more (-v lists all)")


def single_trace_tests(shared, logs=("conn.log",)):
    """Tests with one trace; yields (test, trace, baseline files of `logs`, bpf)."""
    tsv = os.path.join(shared, "corpus/zeek/TESTS.tsv")
    with open(tsv, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            traces = [t for t in r["traces"].split(",") if t]
            # The list can name other tests' files (a prefix artefact): take this test's own.
            bases = [b for b in r["baseline_files"].split(",")
                     if any(b == f"{r['test']}/{lg}" for lg in logs)]
            if len(traces) != 1 or not bases:
                continue
            cmd = r["zeek_commands"].split(";;")[0]
            m = re.search(r"-f\s+(\"[^\"]*\"|'[^']*')", cmd)
            bpf = shlex.split(m.group(1))[0] if m else None
            yield r["test"], traces[0], bases if len(logs) > 1 else bases[0], bpf


CAPTURE_EXTS = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz")


def corpus_captures(shared):
    """Every capture file under SHARED/corpus, sorted."""
    return sorted(os.path.join(root, f) for root, _, files in
                  os.walk(os.path.join(shared, "corpus")) for f in files
                  if f.endswith(CAPTURE_EXTS))


# Zeek counts every copy of a frame a SPAN port duplicated (several corpus captures hold
# such copies); lolwire drops them by default.  Zeek hashes every file with MD5 and SHA-1;
# lolwire keeps only SHA-256 of images and HTML by default.  Comparisons run in Zeek's mode.
ZEEK_MODE = ("--keep-duplicates", "--hashes", "all")


def run_lolwire_logs(lolwire, trace, bpf, outdir, logs, extra=(), ok_codes=(0, 1)):
    """Run lolwire (--seed 1) on `trace` into `outdir`; return {log: rows} for `logs`
    (missing logs give no rows).  An exit status outside `ok_codes` raises."""
    cmd = [lolwire, "-q", "--seed", "1", "-r", trace, "-o", outdir, *extra]
    if bpf:
        cmd.append(bpf)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    out = {}
    for lg in logs:
        path = os.path.join(outdir, lg)
        out[lg] = read_zeek_log(path) if os.path.exists(path) else []
    return out


def run_lolwire(lolwire, trace, bpf, outdir, extra=ZEEK_MODE):
    return run_lolwire_logs(lolwire, trace, bpf, outdir, ("conn.log",), extra)["conn.log"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("shared")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--min-found", type=float, default=98.0)
    ap.add_argument("--min-agree", type=float, default=95.0)
    ap.add_argument("--min-service", type=float, default=95.0,
                    help="service agrees for this share of the rows Zeek labels")
    ap.add_argument("--drop-duplicates", action="store_true",
                    help="run in lolwire's default mode (SPAN duplicates dropped), not Zeek's")
    a = ap.parse_args()

    traces_dir = os.path.join(a.shared, "corpus/zeek/testing/btest/Traces")
    base_dir = os.path.join(a.shared, "corpus/zeek/testing/btest/Baseline")
    total = found = agree = 0
    per_field = defaultdict(int)
    problems = []
    ntests = 0
    skipped = []
    svc_total = svc_agree = 0
    svc_problems = []
    for test, trace, base, bpf in single_trace_tests(a.shared):
        ntests += 1
        expected = read_zeek_log(os.path.join(base_dir, base))
        if expected and not all(k in expected[0] for k in KEY_FIELDS):
            skipped.append(f"{test}: baseline has no 5-tuple columns ({', '.join(expected[0])})")
            continue
        with tempfile.TemporaryDirectory() as td:
            got = run_lolwire(a.lolwire, os.path.join(traces_dir, trace), bpf, td,
                              () if a.drop_duplicates else ZEEK_MODE)
        pool = defaultdict(list)
        for r in got:
            pool[key(r)].append(r)
        for e in expected:
            total += 1
            cands = pool.get(key(e)) or pool.get(rkey(e))
            if not cands:
                problems.append(f"{test} [{trace}]: missing {key(e)}")
                continue
            g = cands.pop(0)
            found += 1
            es = e.get("service", "-")
            if es not in ("-", None):
                svc_total += 1
                gs = g.get("service", "-")
                if sorted(es.split(",")) == sorted((gs or "-").split(",")):
                    svc_agree += 1
                else:
                    svc_problems.append(f"{test} [{trace}]: {key(e)} service: zeek={es} ours={gs}")
            bad = [f for f in FIELDS if norm(f, g.get(f)) != norm(f, e.get(f))]
            for f in bad:
                per_field[f] += 1
            if bad:
                diffs = ", ".join(f"{f}: zeek={e.get(f)} ours={g.get(f)}" for f in bad)
                problems.append(f"{test} [{trace}]: {key(e)} {diffs}")
            else:
                agree += 1

    for sk in skipped:
        print("  not comparable: " + sk)
    if total == 0:
        print("zeek_conn_compare: no baseline rows found (is the shared corpus there?)")
        return 1
    fpct = 100.0 * found / total
    apct = 100.0 * agree / found if found else 0.0
    if a.verbose or fpct < a.min_found or apct < a.min_agree:
        for p in problems:
            print("  " + p)
    print(f"zeek conn.log: {ntests} tests, {total} baseline rows; found {found} ({fpct:.1f}%), "
          f"fields agree on {agree} ({apct:.1f}%); disagreements by field: "
          f"{dict(per_field) or 'none'}")
    spct = 100.0 * svc_agree / svc_total if svc_total else 0.0
    if a.verbose or spct < a.min_service:
        for p in svc_problems:
            print("  " + p)
    print(f"zeek conn.log service: {svc_total} rows Zeek labels, {svc_agree} agree ({spct:.1f}%)")
    ok = fpct >= a.min_found and apct >= a.min_agree and spct >= a.min_service
    print(("PASS" if ok else "FAIL") + f": need found >= {a.min_found}%, agree >= {a.min_agree}%"
          f" and service agree >= {a.min_service}%")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
