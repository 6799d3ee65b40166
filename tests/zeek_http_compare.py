#!/usr/bin/env python3
"""Compare lolwire's http.log (and files.log hashes) with Zeek's btest baselines.

For every test in shared/corpus/zeek/TESTS.tsv that reads one trace and has an http.log
baseline with the 5-tuple, rows are matched on id.* and trans_depth.  A baseline row
agrees when method, host, uri, user_agent, status_code, request_body_len and
response_body_len are equal and, where Zeek names a response MIME type, the types agree
on a class (MIME_CLASS below: Zeek's names and libmagic-style names differ, e.g.
application/x-dosexec vs application/vnd.microsoft.portable-executable).  files.log:
wherever the baseline has a sha1/md5/sha256 for a file of a connection, lolwire must
report the same hash for a file of that connection.

Usage: zeek_http_compare.py LOLWIRE SHARED_DIR [-v] [--min-agree 97]
"""
import argparse
import os
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
from zeek_conn_compare import ZEEK_MODE, read_zeek_log, run_lolwire_logs, single_trace_tests  # noqa: E402,E501

FIELDS = ["method", "host", "uri", "user_agent", "status_code", "request_body_len",
          "response_body_len"]
KEY = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth"]

MIME_CLASS = {
    "application/x-dosexec": "pe", "application/vnd.microsoft.portable-executable": "pe",
    "application/x-gzip": "gzip", "application/gzip": "gzip",
    "text/json": "json", "application/json": "json",
    "application/xml": "xml", "text/xml": "xml",
}


def mclass(m):
    return MIME_CLASS.get(m, m)


def first_mime(v):
    if v in (None, "-", "(empty)", ""):
        return None
    return v.split(",")[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("shared")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--min-agree", type=float, default=97.0)
    a = ap.parse_args()
    traces = os.path.join(a.shared, "corpus/zeek/testing/btest/Traces")
    bdir = os.path.join(a.shared, "corpus/zeek/testing/btest/Baseline")
    total = agree = 0
    hashes = hash_ok = 0
    per_field = defaultdict(int)
    problems = []
    ntests = 0
    for test, trace, bases, bpf in single_trace_tests(a.shared, ("http.log", "files.log")):
        if "decryption" in test:
            continue  # HTTP inside TLS, decrypted by Zeek with the session keys: not visible
        http_b = [b for b in bases if b.endswith("/http.log")]
        files_b = [b for b in bases if b.endswith("/files.log")]
        exp_http = read_zeek_log(os.path.join(bdir, http_b[0])) if http_b else []
        exp_files = read_zeek_log(os.path.join(bdir, files_b[0])) if files_b else []
        if exp_http and not all(k in exp_http[0] for k in KEY):
            exp_http = []
        if not exp_http and not exp_files:
            continue
        ntests += 1
        with tempfile.TemporaryDirectory() as td:
            got = run_lolwire_logs(a.lolwire, os.path.join(traces, trace), bpf, td,
                                   ("http.log", "files.log", "conn.log"), ZEEK_MODE)
        pool = {tuple(r[k] for k in KEY): r for r in got["http.log"]}
        for e in exp_http:
            total += 1
            g = pool.get(tuple(e[k] for k in KEY))
            if not g:
                problems.append(f"{test} [{trace}]: missing {tuple(e[k] for k in KEY)}")
                continue
            bad = [f for f in FIELDS if (e.get(f) or "-") != (g.get(f) or "-")]
            zm = first_mime(e.get("resp_mime_types"))
            if zm and mclass(zm) != mclass(first_mime(g.get("resp_mime_types")) or "-"):
                bad.append("resp_mime_types")
            for f in bad:
                per_field[f] += 1
            if bad:
                problems.append(f"{test} [{trace}] depth {e['trans_depth']} {e.get('uri')}: " +
                                ", ".join(f"{f}: zeek={e.get(f if f != 'resp_mime_types' else f)}"
                                          f" ours={g.get(f)}" for f in bad))
            else:
                agree += 1
        # files.log hashes, by connection (uids differ: map through the 4-tuple)
        if exp_files and "sha1" in exp_files[0] or exp_files and "md5" in exp_files[0]:
            ours = defaultdict(set)
            for r in got["files.log"]:
                t = (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"])
                for h in ("md5", "sha1", "sha256"):
                    if r.get(h) not in (None, "-"):
                        ours[t].add(r[h])
            anyhash = set().union(*ours.values()) if ours else set()
            for e in exp_files:
                if e.get("source") not in (None, "HTTP"):
                    continue  # X.509 certificates and others: not HTTP files
                t = (e.get("id.orig_h"), e.get("id.orig_p"), e.get("id.resp_h"), e.get("id.resp_p"))
                for h in ("md5", "sha1", "sha256"):
                    if e.get(h) not in (None, "-"):
                        hashes += 1
                        # Older baselines have no 5-tuple: any of our files may match.
                        if e[h] in (ours[t] if "id.orig_h" in e else anyhash):
                            hash_ok += 1
                        else:
                            problems.append(f"{test} [{trace}]: files.log {h} {e[h]} of {t} "
                                            "not found")
    pct = 100.0 * agree / total if total else 0.0
    if a.verbose or pct < a.min_agree or hash_ok != hashes:
        for p in problems:
            print("  " + p)
    print(f"zeek http.log: {ntests} tests, {total} baseline rows, {agree} agree ({pct:.1f}%); "
          f"by field: {dict(per_field) or 'none'}; files.log hashes: {hash_ok}/{hashes} equal")
    ok = total > 0 and pct >= a.min_agree and hash_ok == hashes
    print(("PASS" if ok else "FAIL") + f": need >= {a.min_agree}% and every hash equal")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
