#!/usr/bin/env python3
"""Compare lolwire's ssl.log with Zeek's btest baselines.

For every test in shared/corpus/zeek/TESTS.tsv that reads one trace and has an ssl.log
baseline, run lolwire on the trace and match rows on id.orig_h, id.orig_p, id.resp_h,
id.resp_p, as shared/corpus/PEERS.md prescribes (uids and ts are masked in the
baselines).  DTLS over UDP (webrtc-stun) counts like TLS: no row of ours is a missing row.

A baseline row agrees when server_name, version, cipher, next_protocol and established
are all equal (the acceptance criterion: these are what PEERS.md calls stable and what
an analyst reads).  Disagreements are also counted per field, for those five and,
informationally (outside the pass criterion), for curve, resumed, last_alert,
ssl_history, cert_chain_fps and sni_matches_cert: ssl_history is Zeek-specific and
cert_chain_fps depends on certificate extraction, so they are reported, not enforced.

Each test counts its connections once: a connection that appears in several tests (the
same trace read by several tests) counts once per test; a repeated 4-tuple inside one
baseline would count once.  A connection we log with originator and responder swapped is
found (the same connection) and its fields compared; it is listed as "logged reversed".
Baselines that are zeek-cut extracts without the 4-tuple columns cannot be matched and
are listed as not comparable.

Usage: zeek_ssl_compare.py LOLWIRE SHARED_DIR [-v] [--min-agree 97]
"""
import argparse
import os
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
from zeek_conn_compare import (ZEEK_MODE, conn_tuple, print_problems, read_zeek_log,  # noqa: E402
                               run_lolwire_logs, single_trace_tests)

KEY = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
FIELDS = ["server_name", "version", "cipher", "next_protocol", "established"]
INFO_FIELDS = ["curve", "resumed", "last_alert", "ssl_history", "cert_chain_fps",
               "sni_matches_cert"]
MAX_LISTED = 40


def rkey(k):
    return (k[2], k[3], k[0], k[1])


def norm(v):
    # Unset and absent are the same thing; an empty string would be a format error
    # elsewhere (log_format_check), here it means "nothing".
    return v if v not in (None, "") else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("shared")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--min-agree", type=float, default=97.0)
    a = ap.parse_args()
    traces = os.path.join(a.shared, "corpus/zeek/testing/btest/Traces")
    bdir = os.path.join(a.shared, "corpus/zeek/testing/btest/Baseline")
    total = found = agree = dups = reversed_ = 0
    per_field = defaultdict(int)
    per_info = defaultdict(int)
    problems = []
    skipped = []
    ntests = 0
    for test, trace, base, bpf in single_trace_tests(a.shared, ("ssl.log",)):
        expected = read_zeek_log(os.path.join(bdir, base))
        if not expected:
            continue
        if not all(k in expected[0] for k in KEY):
            skipped.append(f"{test} [{trace}]: baseline has no 4-tuple columns "
                           f"({', '.join(expected[0])})")
            continue
        ntests += 1
        try:
            with tempfile.TemporaryDirectory() as td:
                got = run_lolwire_logs(a.lolwire, os.path.join(traces, trace), bpf, td,
                                       ("ssl.log",), ZEEK_MODE)["ssl.log"]
        except (RuntimeError, OSError) as ex:
            problems.append(f"{test} [{trace}]: lolwire failed: {ex}")
            got = []
        pool = defaultdict(list)
        for r in got:
            if all(k in r for k in KEY):
                pool[conn_tuple(r)].append(r)
        seen = set()
        for e in expected:
            k = conn_tuple(e)
            if k in seen:
                dups += 1
                continue
            seen.add(k)
            total += 1
            how = ""
            if pool.get(k):
                g = pool[k].pop(0)
            elif pool.get(rkey(k)):
                g = pool[rkey(k)].pop(0)
                reversed_ += 1
                how = " (logged reversed)"
            else:
                problems.append(f"{test} [{trace}]: missing {k} "
                                f"{e.get('version')} {e.get('server_name')}")
                continue
            found += 1
            bad = [f for f in FIELDS if norm(e.get(f)) != norm(g.get(f))]
            info = [f for f in INFO_FIELDS if f in e and norm(e.get(f)) != norm(g.get(f))]
            for f in bad:
                per_field[f] += 1
            for f in info:
                per_info[f] += 1
            if bad:
                problems.append(f"{test} [{trace}] {k}{how}: " + ", ".join(
                    f"{f}: zeek={e.get(f)} ours={g.get(f)}" for f in bad)
                    + (f" (also {', '.join(info)})" if info else ""))
            else:
                agree += 1
                if how:
                    problems.append(f"{test} [{trace}] {k}: fields agree but logged reversed")
                if a.verbose and info:
                    problems.append(f"{test} [{trace}] {k}{how}: agrees; informational: " +
                                    ", ".join(f"{f}: zeek={e.get(f)} ours={g.get(f)}"
                                              for f in info))

    for sk in skipped:
        print("  not comparable: " + sk)
    print_problems(problems, a.verbose, MAX_LISTED)
    pct = 100.0 * agree / total if total else 0.0
    print(f"zeek ssl.log: {ntests} tests ({len(skipped)} not comparable), {total} baseline "
          f"rows{f' ({dups} repeated 4-tuples counted once)' if dups else ''}; found {found}"
          f"{f' ({reversed_} logged reversed)' if reversed_ else ''}, {agree} agree "
          f"({pct:.1f}%); disagreements by field: {dict(per_field) or 'none'}; "
          f"informational: {dict(per_info) or 'none'}")
    ok = total > 0 and pct >= a.min_agree
    print(("PASS" if ok else "FAIL") + f": need >= {a.min_agree}% of rows agreeing on "
          f"{', '.join(FIELDS)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
