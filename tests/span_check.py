#!/usr/bin/env python3
"""SPAN-port captures (issue 11, acceptance 2): pcaps/span-clean.pcap is a real capture
(pcaps/make-span-set.sh); span-reordered.pcap, span-duplicated.pcap and span-both.pcap are
the same bytes as a SPAN port shows them (pcaps/span-rewrite.py: ACKs ahead of their data,
pairs swapped, exact retransmissions, overlapping and boundary-crossing re-segmentations,
FINs ahead of the last data; every frame twice).  lolwire must log the same thing for all
four.

1. The clean capture has the expected content: 8 HTTP transactions on 6 connections, every
   body typed by its bytes as listed in EXPECT and hashed as in pcaps/span-set.sha256,
   nothing missing, the msiexec, certutil/CryptoAPI and dynamic-DNS notices.
2. Each variant against the clean capture:
   http.log    rows by (4-tuple, trans_depth): every column equal except uid and the file
               ids (ts within 0.5 s; orig_fuids/resp_fuids compared through files.log as
               the (mime_type, sha256) of the files they name);
   files.log   rows by (4-tuple, is_orig, depth, n-th): mime_type, md5, sha1, sha256,
               seen_bytes, total_bytes, missing_bytes equal, missing_bytes 0, same count;
   notice.log  the same rows, every column but ts, uid and fuid;
   conn.log    by 4-tuple: orig_bytes, resp_bytes, missed_bytes equal; no connection more
               or less; span-duplicated.pcap also orig_pkts, resp_pkts, orig_ip_bytes,
               resp_ip_bytes and history equal (every duplicate frame dropped);
   weird.log   no rexmit_inconsistency (every overlap in the variants carries the same
               bytes); other weirds the clean capture has not are listed, not failed.

Prints the mismatches diff-style (- clean, + variant) and exits 1 if there are any.

A variant missing from the directory is made from span-clean.pcap with
pcaps/span-rewrite.py (deterministic: the same bytes as the committed one) in a temporary
directory.

Usage: span_check.py LOLWIRE [--pcaps DIR] [-v]
"""
import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zeek_conn_compare import log_rows, print_problems  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = ("http.log", "files.log", "notice.log", "conn.log", "weird.log")
CLEAN = "span-clean.pcap"
VARIANTS = ("span-reordered.pcap", "span-duplicated.pcap", "span-both.pcap")
DEDUP = {"span-duplicated.pcap"}     # compared packet for packet with the clean capture
TS_TOLERANCE = 0.5

# uri -> (host, user agent, resp_mime_types as lolwire types the bytes)
EXPECT = {
    "/pkg/setup.msi": ("cdn.softupd.example.net", "Windows Installer", "application/x-msi"),
    "/tools/nc.exe": ("softupd.ddns.net", "CertUtil URL Agent", "application/x-dosexec"),
    "/a.ps1": ("crl.softupd.example.net", "Microsoft-CryptoAPI/10.0", "text/x-powershell"),
    "/portal/index.html": ("www.softupd.example.net", None, "text/html"),
    "/portal/updates.txt": ("www.softupd.example.net", None, "text/plain"),       # chunked
    "/portal/logo.png": ("www.softupd.example.net", None, "image/png"),
    "/downloads/softupd-data.tar.gz": ("cdn.softupd.example.net", None, "application/x-gzip"),
    "/index.html": ("www.softupd.example.net", None, "text/html"),
}
KEEPALIVE = ("/portal/index.html", "/portal/updates.txt", "/portal/logo.png")
# uri -> (note, rule) notices the clean capture must raise (at --min-severity info).
EXPECT_NOTICES = {
    "/pkg/setup.msi": [("LOLBin::Msiexec_Download", "LW-MSIEXEC-UA")],
    "/tools/nc.exe": [("LOLBin::Certutil_Download", "LW-CERTUTIL-UA"),
                      ("LOLBin::Suspicious_Host", "LW-HOST-DYNDNS-PAYLOAD")],
    "/a.ps1": [("LOLBin::Certutil_Download", "LW-CRYPTOAPI-PAYLOAD")],
}
FILE_FIELDS = ("mime_type", "md5", "sha1", "sha256", "seen_bytes", "total_bytes",
               "missing_bytes")
CONN_SIZES = ("orig_bytes", "resp_bytes", "missed_bytes")
CONN_PACKETS = ("orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "history")
NOTICE_SKIP = {"ts", "uid", "fuid"}
HTTP_SKIP = {"ts", "uid", "orig_fuids", "resp_fuids"}


def tup(r):
    return (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"])


def show(t):
    return "%s:%s > %s:%s" % t


def http_key(r):
    return tup(r) + (r.get("trans_depth", "-"),)


def fields_diff(what, pairs):
    """One entry for a row: '~ what' and a '-'/'+' pair of lines per differing field."""
    return "~ %s\n" % what + "\n".join("      %-18s - %s\n      %-18s + %s" % (f, a, "", b)
                                        for f, a, b in pairs)


def short_files(files):
    return ", ".join("%s %s" % (m, (h or "-")[:16]) for m, h in files) or "(none)"


def file_rows(files):
    """{(4-tuple, is_orig, depth, n): row}, n counting rows of the same key in log order."""
    out, seen = {}, Counter()
    for r in files:
        k = tup(r) + (r.get("is_orig"), r.get("depth"))
        out[k + (seen[k],)] = r
        seen[k] += 1
    return out


def fuid_files(logs, r, col):
    """The (mime_type, sha256) of each file an http.log column names."""
    by_fuid = {f["fuid"]: f for f in logs["files.log"]}
    ids = [] if r.get(col) in (None, "-", "(empty)") else r[col].split(",")
    return [(by_fuid[i].get("mime_type"), by_fuid[i].get("sha256")) if i in by_fuid
            else ("fuid %s not in files.log" % i, "-") for i in ids]


def check_clean(logs, sha_of):
    bad = []
    http = logs["http.log"]
    by_uri = defaultdict(list)
    for r in http:
        by_uri[r.get("uri")].append(r)
    if sorted(by_uri) != sorted(EXPECT) or len(http) != len(EXPECT):
        bad.append("http.log: URIs %s, want each of %s once" % (
            sorted(r.get("uri") for r in http), sorted(EXPECT)))
    for uri, (host, ua, mime) in EXPECT.items():
        rows = by_uri.get(uri, [])
        if len(rows) != 1:
            continue
        r = rows[0]
        if r.get("host") != host or (ua and r.get("user_agent") != ua):
            bad.append(f"{uri}: host {r.get('host')}, UA {r.get('user_agent')}; want {host}, {ua}")
        if r.get("status_code") != "200":
            bad.append(f"{uri}: status {r.get('status_code')}")
        if r.get("resp_mime_types") != mime:
            bad.append(f"{uri}: resp_mime_types {r.get('resp_mime_types')}, want {mime}")
        files = fuid_files(logs, r, "resp_fuids")
        want = [(mime, sha_of.get(uri))]
        if files != want:
            bad.append(f"{uri}: files {files}, want {want}")
    ka = {tup(by_uri[u][0]) for u in KEEPALIVE if len(by_uri.get(u, [])) == 1}
    depths = [by_uri[u][0].get("trans_depth") for u in KEEPALIVE if len(by_uri.get(u, [])) == 1]
    if len(ka) != 1 or depths != ["1", "2", "3"]:
        bad.append(f"keep-alive: {len(ka)} connections, depths {depths}; want 1, [1, 2, 3]")
    for f in logs["files.log"]:
        if f.get("missing_bytes") != "0":
            bad.append(f"files.log {f.get('sha256')}: missing_bytes {f.get('missing_bytes')}")
        if f.get("sha256") not in sha_of.values():
            bad.append(f"files.log: unexpected file {f.get('mime_type')} {f.get('sha256')}")
    if len(logs["files.log"]) != len(EXPECT):
        bad.append(f"files.log: {len(logs['files.log'])} files, want {len(EXPECT)}")
    conns = logs["conn.log"]
    if len(conns) != 6:
        bad.append(f"conn.log: {len(conns)} connections, want 6")
    for c in conns:
        if c.get("missed_bytes") != "0" or c.get("service") != "http" or c.get("conn_state") != "SF":
            bad.append(f"conn.log {show(tup(c))}: missed_bytes {c.get('missed_bytes')}, "
                       f"service {c.get('service')}, state {c.get('conn_state')}; want 0, http, SF")
    notices = Counter((n.get("note"), n.get("rule"), tup(n)) for n in logs["notice.log"])
    for uri, want in EXPECT_NOTICES.items():
        if len(by_uri.get(uri, [])) != 1:
            continue
        t = tup(by_uri[uri][0])
        for note, rule in want:
            if not notices.get((note, rule, t)):
                bad.append(f"{uri}: no notice {note} ({rule}) on {show(t)}")
    for w in logs["weird.log"]:
        bad.append(f"weird.log: {w.get('name')} on {w.get('id.orig_p')}")
    return bad


def compare(clean, var, name):
    """Mismatches of variant `var` against `clean`, as diff-style lines."""
    bad = []

    # http.log
    ch = {http_key(r): r for r in clean["http.log"]}
    vh = {http_key(r): r for r in var["http.log"]}
    for k in sorted(ch.keys() | vh.keys()):
        c, v = ch.get(k), vh.get(k)
        what = "http %s #%s %s" % (show(k[:4]), k[4], (c or v).get("uri"))
        if v is None:
            bad.append(f"- {what}: missing")
            continue
        if c is None:
            bad.append(f"+ {what}: extra row")
            continue
        diffs = [f for f in c if f not in HTTP_SKIP and c.get(f) != v.get(f)]
        try:
            if abs(float(c["ts"]) - float(v["ts"])) > TS_TOLERANCE:
                diffs.append("ts")
        except (KeyError, ValueError):
            diffs.append("ts")
        for col in ("orig_fuids", "resp_fuids"):
            if fuid_files(clean, c, col) != fuid_files(var, v, col):
                diffs.append(col)
        pairs = [(f, short_files(fuid_files(clean, c, f)), short_files(fuid_files(var, v, f)))
                 if f.endswith("fuids") else (f, c.get(f), v.get(f)) for f in diffs]
        if pairs:
            bad.append(fields_diff(what, pairs))

    # files.log
    cf, vf = file_rows(clean["files.log"]), file_rows(var["files.log"])
    if len(cf) != len(vf):
        bad.append(f"~ files.log: {len(vf)} files, clean {len(cf)}")
    for k in sorted(cf.keys() | vf.keys()):
        c, v = cf.get(k), vf.get(k)
        what = "file %s %s depth %s #%d" % (show(k[:4]), "orig" if k[4] == "T" else "resp",
                                             k[5], k[6])
        if v is None:
            bad.append(f"- {what}: missing ({c.get('mime_type')}, sha256 {c.get('sha256')})")
            continue
        if c is None:
            bad.append(f"+ {what}: extra ({v.get('mime_type')}, {v.get('seen_bytes')} bytes, "
                       f"missing {v.get('missing_bytes')}, sha256 {v.get('sha256')})")
            continue
        pairs = [(f, c.get(f), v.get(f)) for f in FILE_FIELDS if c.get(f) != v.get(f)]
        if pairs:
            bad.append(fields_diff(what, pairs))
    for r in var["files.log"]:
        if r.get("missing_bytes") != "0":
            bad.append(f"+ file {show(tup(r))} depth {r.get('depth')}: missing_bytes "
                       f"{r.get('missing_bytes')} (must be 0)")

    # notice.log
    def notice_rows(logs):
        return Counter(tuple((f, r.get(f)) for f in r if f not in NOTICE_SKIP)
                       for r in logs["notice.log"])
    cn, vn = notice_rows(clean), notice_rows(var)
    for row, n in sorted((cn - vn).items()):
        d = dict(row)
        bad.append(f"- notice {show(tup(d))} {d.get('note')} {d.get('rule')} "
                   f"{d.get('severity')}: missing" + (f" (x{n})" if n > 1 else ""))
    for row, n in sorted((vn - cn).items()):
        d = dict(row)
        bad.append(f"+ notice {show(tup(d))} {d.get('note')} {d.get('rule')} "
                   f"{d.get('severity')} ({d.get('file_mime_type')}): extra"
                   + (f" (x{n})" if n > 1 else ""))

    # conn.log
    cc, vc = defaultdict(list), defaultdict(list)
    for r in clean["conn.log"]:
        cc[tup(r)].append(r)
    for r in var["conn.log"]:
        vc[tup(r)].append(r)
    fields = CONN_SIZES + (CONN_PACKETS if name in DEDUP else ())
    for k in sorted(cc.keys() | vc.keys()):
        c, v = cc.get(k, []), vc.get(k, [])
        if len(c) != len(v):
            bad.append(f"~ conn {show(k)}: {len(v)} rows, clean {len(c)}")
            continue
        for x, y in zip(c, v):
            pairs = [(f, x.get(f), y.get(f)) for f in fields if x.get(f) != y.get(f)]
            if pairs:
                bad.append(fields_diff("conn " + show(k), pairs))

    # weird.log
    clean_weirds = {(w.get("name"), tup(w)) for w in clean["weird.log"]}
    for w in var["weird.log"]:
        if w.get("name") == "rexmit_inconsistency":
            bad.append(f"+ weird {show(tup(w))}: rexmit_inconsistency (the bytes are consistent)")
    return bad, [w for w in var["weird.log"] if (w.get("name"), tup(w)) not in clean_weirds]


# What each variant must make lolwire do (its counters, lolwire -v), so that an equal log
# proves the mechanism and not a rewriter that stopped rewriting: (counter, at least).
MECHANISM = {
    "span-reordered.pcap": [("reasm_acked_ahead_filled", 50)],
    "span-duplicated.pcap": [("span_duplicates", 2000)],
    "span-both.pcap": [("reasm_acked_ahead_filled", 50), ("span_duplicates", 2000)],
}


def replay(lolwire, path):
    """One replay (--seed 1, notices from info): its LOGS (name -> rows) and lolwire -v's
    counters (name -> value)."""
    with tempfile.TemporaryDirectory() as td:
        p = subprocess.run([lolwire, "-v", "--seed", "1", "--min-severity", "info", "-r", path,
                            "-o", td], capture_output=True, text=True, check=True)
        logs = {lg: log_rows(td, lg) for lg in LOGS}
    counts = {}
    for ln in p.stderr.splitlines():
        parts = ln.split()
        if len(parts) >= 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return logs, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("--pcaps", default=os.path.join(ROOT, "pcaps"),
                    help="where the span-*.pcap and span-set.sha256 are (default: pcaps/)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    a = ap.parse_args()

    sha_of = {}
    with open(os.path.join(a.pcaps, "span-set.sha256")) as f:
        for ln in f:
            if ln.strip():
                sha, cap, uri = ln.split()
                sha_of[uri] = sha
    logs = {}
    with tempfile.TemporaryDirectory() as made:
        paths = {cap: os.path.join(a.pcaps, cap) for cap in (CLEAN,) + VARIANTS}
        if not all(os.path.exists(p) for p in paths.values()):
            subprocess.run([sys.executable, os.path.join(ROOT, "pcaps/span-rewrite.py"),
                            paths[CLEAN], made], check=True, stdout=subprocess.DEVNULL)
            for cap in VARIANTS:
                if not os.path.exists(paths[cap]):
                    paths[cap] = os.path.join(made, cap)
                    print(f"{cap}: not in {a.pcaps}, made with pcaps/span-rewrite.py")
        stats = {}
        for cap, path in paths.items():
            logs[cap], stats[cap] = replay(a.lolwire, path)
    failed = 0
    clean = logs[CLEAN]
    bad = check_clean(clean, sha_of)
    print(f"{CLEAN}: {len(clean['http.log'])} http, {len(clean['files.log'])} files, "
          f"{len(clean['notice.log'])} notices, {len(clean['conn.log'])} connections: "
          + ("ok" if not bad else f"{len(bad)} problems"))
    print_problems(bad, a.verbose)
    failed += bool(bad)
    for cap in VARIANTS:
        var = logs[cap]
        bad, new_weirds = compare(clean, var, cap)
        summary = (f"{len(var['http.log'])} http, {len(var['files.log'])} files, "
                   f"{len(var['notice.log'])} notices, {len(var['conn.log'])} connections")
        print(f"{cap} vs {CLEAN}: {summary}: " + ("ok" if not bad else f"{len(bad)} mismatches"))
        print_problems(bad, a.verbose)
        if new_weirds:
            names = Counter(w.get("name") for w in new_weirds)
            print("  (weird.log, not in the clean capture's: "
                  + ", ".join(f"{n} x{k}" for n, k in sorted(names.items())) + ")")
        mech = [f"counter {name} is {stats[cap].get(name, 0)}, want at least {least}"
                for name, least in MECHANISM.get(cap, []) if stats[cap].get(name, 0) < least]
        mech += [f"counter {name} is {stats[cap][name]}, want 0"
                 for name in ("reasm_reorder_expired", "reasm_inconsistent")
                 if stats[cap].get(name, 0)]
        print_problems(mech, a.verbose)
        failed += bool(bad or mech)
    print(f"span captures: {1 + len(VARIANTS) - failed} of {1 + len(VARIANTS)} ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
