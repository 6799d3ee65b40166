#!/usr/bin/env python3
"""Check lolwire's ja3/ja3s in ssl.log against tshark's, on every TLS capture of the corpus.

Which captures: every capture under shared/corpus whose tshark reference file
(shared/corpus/tshark-ref/<relative path>.tsv, columns named in its first comment line)
has a TCP row (tcp.stream set) with a non-empty tls.handshake.ja3.  QUIC and DTLS frames
(no tcp.stream) are left out: this is a check of TLS over TCP.

The oracle is tshark 4.0.17 run afresh on each capture (the reference files hold neither
JA3S nor addresses):

  tshark -n -r PCAP -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE
         -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' -T fields -E separator=/t
         -E 'aggregator=;' -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst
         -e ipv6.dst -e tcp.dstport -e tls.handshake.type -e tls.handshake.ja3
         -e tls.handshake.ja3s -e frame.protocols -e tls.handshake.ja3_full
         -e tls.handshake.ja3s_full

(-n: no name lookups.)  Reading the fields:
  * one frame can carry several handshake messages; tls.handshake.type then lists them
    all ("2;11;14") and ja3/ja3s hold one value per ClientHello/ServerHello in the frame:
    the first is taken.  Multiple values are joined with ';' rather than tshark's default
    ',' because the JA3 full strings contain commas themselves;
  * a tunnelled packet has several ip.src/tcp.srcport values, outermost first: the last
    is the connection's own.  frame.protocols says whether the innermost network layer
    is IPv4 or IPv6 (6in4 has ip.src and ipv6.src, 4in6 too);
  * a hello tshark cannot parse to the end still gets a "JA3" over the part it read: its
    full string then lacks fields (tls_cipher_lens.pcap: "769,,"; tls_invalid_reads.pcap:
    "769,4-5-10-9-100-98-3-6-19-18-37,").  That is not a JA3 (which always has 5 fields,
    JA3S 3) and the JA3 of an unparsable hello is undefined (nDPI reports none for those
    flows): such a hello is not compared, and is listed, like one for which tshark gives
    no JA3 at all (an SSLv2-format ClientHello);
  * per tcp.stream, the sender of the first ClientHello is the originator (a stream with
    only a ServerHello, capture started late: its receiver is).

For each connection the FIRST ClientHello's JA3 must equal our ja3, and the FIRST
ServerHello's JA3S (a HelloRetryRequest if there is one: it is a ServerHello on the
wire) must equal our ja3s.  Connections are matched on the direction-normalised 4-tuple;
when a 4-tuple is reused within a capture, tshark's streams and our rows (by ts) pair in
order.  A row we log with originator and responder swapped is compared all the same and
counted as "logged reversed" (informational).  A first hello without a well-formed
tshark JA3/JA3S (above) is not compared; each such case is printed with our value.  Any
connection tshark saw a hello on and we have no ssl.log row for is missing.

Pass: every compared hash equal and nothing missing, except the captures in EXCLUDED.

tshark's output is cached (keyed by capture path, size, mtime and the command) under a
temporary directory, never in the repository.  Elapsed time is printed.

Usage: ja3_check.py LOLWIRE SHARED_DIR [-v] [--jobs 2] [--cache-dir DIR] [--only SUBSTR]
"""
import argparse
import concurrent.futures
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
from zeek_conn_compare import canon_addr, conn_tuple, print_problems, run_lolwire_logs  # noqa: E402,E501

# Captures left out of the pass criterion: path relative to shared/corpus -> reason.
# Only for a capture where tshark is demonstrably wrong, or whose TLS a passive sensor
# cannot see; each entry must say why, with the evidence.  Empty: in the corpus, tshark's
# JA3/JA3S agree with nDPI's JA3C/JA3S on every TCP flow both report (1014 ClientHellos and
# 701 ServerHellos over the nDPI captures, checked 2026-11), so tshark is taken as right
# except below; the two hellos it cannot parse are handled hello by hello (see
# well_formed), not here.  An excluded capture's results are still printed.
EXCLUDED = {
    # TLS 1.3 draft 14 (Wireshark bug 12779's capture): the ServerHello says version 0x0304
    # and, as drafts before 22 do, has no session id and no compression method.  Its bytes
    # after the random are c0 2b (cipher 0xC02B) 00 49 (extensions) 00 28 00 45 ...
    # (key_share, 69 bytes).  tshark 4.0 parses it with the final TLS 1.3 layout, takes
    # 0xC0 as a 192-byte session id and reads cipher 0xACAD from the key share: JA3S
    # "772,44205," (the extension field empty).  The right JA3S string is "772,49195,40"
    # (md5 12ac0af01c6b637c7a470e5b7cd837b8).  The later drafts (0x7fXX versions) tshark
    # reads correctly.
    "suricata-verify/tests/tls/tls13-draft14/tls13_draft14.pcap":
        "tshark misreads the draft-14 ServerHello (JA3S '772,44205,'; the right string is "
        "'772,49195,40', md5 12ac0af01c6b637c7a470e5b7cd837b8)",
    # A CAPWAP data tunnel (UDP 5247, 802.11 frames inside): lolwire does not decode
    # CAPWAP (not among the tunnels it supports), so the inner TLS connection is not seen.
    "ndpi/tests/cfgs/default/pcap/capwap_data.pcapng":
        "CAPWAP tunnels are not decoded: the inner connection is not seen",
    # TCP Fast Open with the SYN's data ignored: the server answers the retransmitted
    # SYNs with SYN-ACKs from two different initial sequence numbers, so its later data
    # cannot be placed in one stream (conn.log shows the sequence confusion); tshark's
    # heuristics pick one.  The ClientHello (JA3) is compared by the capture's row anyway.
    "suricata-verify/tests/tcp-fastopen-10-syn-data-ignore/input.pcap":
        "the server uses two initial sequence numbers; its ServerHello cannot be placed",
}

FIELDS = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
          "tcp.dstport", "tls.handshake.type", "tls.handshake.ja3", "tls.handshake.ja3s",
          "frame.protocols", "tls.handshake.ja3_full", "tls.handshake.ja3s_full"]
AGG = ";"  # tshark's separator between several values of one field in a frame
TSHARK_PREFS = ["-o", "tls.desegment_ssl_records:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE"]
DISPLAY_FILTER = "tls.handshake.type == 1 || tls.handshake.type == 2"
MAX_LISTED = 40
REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def select_captures(corpus):
    """Relative paths of captures whose tshark reference has a TCP row with a JA3."""
    ref = os.path.join(corpus, "tshark-ref")
    out = []
    for root, _dirs, files in os.walk(ref):
        for fn in files:
            if not fn.endswith(".tsv"):
                continue
            path = os.path.join(root, fn)
            with open(path, encoding="utf-8", errors="replace") as f:
                head = f.readline()
                if not head.startswith("#") or ":" not in head:
                    continue
                cols = head.split(":", 1)[1].split()
                if "tls.handshake.ja3" not in cols or "tcp.stream" not in cols:
                    continue
                ij, it = cols.index("tls.handshake.ja3"), cols.index("tcp.stream")
                for line in f:
                    if line.startswith("#"):
                        continue
                    v = line.rstrip("\n").split("\t")
                    if len(v) > max(ij, it) and v[ij] and v[it]:
                        out.append(os.path.relpath(path, ref)[:-len(".tsv")])
                        break
    return sorted(out)


def tshark_version():
    p = subprocess.run(["tshark", "-v"], capture_output=True, text=True)
    return p.stdout.split("\n")[0]


def tshark_fields(capture, cache_dir, version):
    """tshark's rows for `capture` (lists of FIELDS values), cached in cache_dir."""
    cmd = ["tshark", "-n", "-r", capture, *TSHARK_PREFS, "-Y", DISPLAY_FILTER, "-T", "fields",
           "-E", "separator=/t", "-E", "aggregator=" + AGG]
    for fl in FIELDS:
        cmd += ["-e", fl]
    st = os.stat(capture)
    h = hashlib.sha256(repr((os.path.realpath(capture), st.st_size, st.st_mtime_ns, version,
                             cmd[3:])).encode()).hexdigest()[:32]
    cpath = os.path.join(cache_dir, h + ".tsv") if cache_dir else None
    if cpath and os.path.exists(cpath):
        with open(cpath, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    else:
        p = subprocess.run(cmd, capture_output=True, timeout=900)
        text = p.stdout.decode("utf-8", errors="surrogateescape")
        err = p.stderr.decode("utf-8", "replace")
        err = "\n".join(ln for ln in err.splitlines() if "Running as user" not in ln).strip()
        # A capture cut short in the middle of a packet still gives its rows (exit 2).
        if p.returncode != 0 and not (text and "cut short" in err):
            raise RuntimeError(f"tshark exited {p.returncode}: {err[:300]}")
        if cpath:
            tmp = cpath + f".{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            os.replace(tmp, cpath)
    return [ln.split("\t") for ln in text.split("\n") if ln]


def first(v):
    return v.split(AGG)[0]


def last(v):
    return v.split(AGG)[-1]


def well_formed(full, nfields):
    """A JA3 (5 fields) or JA3S (3 fields) full string as the spec writes it."""
    return full.count(",") == nfields - 1


def tshark_connections(rows):
    """Per tcp.stream, in order of first appearance: dict with key (orig 4-tuple), ch/sh
    (first JA3/JA3S; "" if tshark computed none), ch_full/sh_full (their full strings),
    nch/nsh (hellos seen)."""
    streams = {}
    for v in rows:
        v = (v + [""] * len(FIELDS))[:len(FIELDS)]
        d = dict(zip(FIELDS, v))
        stream = last(d["tcp.stream"])
        if not stream:
            continue  # QUIC or DTLS: not TCP
        protos = d["frame.protocols"].split(":")
        fam = next((p for p in reversed(protos) if p in ("ip", "ipv6")), "ip")
        src = canon_addr(last(d[fam + ".src"]))
        dst = canon_addr(last(d[fam + ".dst"]))
        sport = last(d["tcp.srcport"])
        dport = last(d["tcp.dstport"])
        types = d["tls.handshake.type"].split(AGG)
        c = streams.setdefault(stream, {"key": None, "ch": None, "sh": None, "nch": 0,
                                        "nsh": 0, "stream": stream})
        if "1" in types:
            c["nch"] += types.count("1")
            if c["ch"] is None:
                c["ch"] = first(d["tls.handshake.ja3"])
                c["ch_full"] = first(d["tls.handshake.ja3_full"])
                c["key"] = (src, sport, dst, dport)
        if "2" in types:
            c["nsh"] += types.count("2")
            if c["sh"] is None:
                c["sh"] = first(d["tls.handshake.ja3s"])
                c["sh_full"] = first(d["tls.handshake.ja3s_full"])
                if c["key"] is None:
                    c["key"] = (dst, dport, src, sport)
    return list(streams.values())


def compare_hash(res, what, theirs, full, nfields, ours, where):
    """One JA3 (what="ja3") or JA3S comparison; updates res."""
    if not theirs or not well_formed(full, nfields):
        res["not_compared"] += 1
        why = ("tshark computes none" if not theirs else
               f"tshark's string {full!r} lacks fields (a hello it could not parse)")
        res["skipped"].append(f"{where}: {what} not compared: {why}; ours={ours}")
        return
    res[what] += 1
    if (ours or "-").lower() == theirs.lower():
        res[what + "_eq"] += 1
    else:
        res["problems"].append(f"{where}: {what} tshark={theirs} ({full}) ours={ours}")


def check_capture(rel, corpus, lolwire, cache_dir, version):
    """Compare one capture; returns a dict of counts and problem lines."""
    res = {"rel": rel, "ja3": 0, "ja3_eq": 0, "ja3s": 0, "ja3s_eq": 0, "missing": 0,
           "conns": 0, "reversed": 0, "not_compared": 0, "multi_ch": 0, "problems": [],
           "skipped": [], "notes": [], "error": None}
    cap = os.path.join(corpus, rel)
    try:
        conns = tshark_connections(tshark_fields(cap, cache_dir, version))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as ex:
        res["error"] = f"tshark: {ex}"
        return res
    try:
        with tempfile.TemporaryDirectory() as td:
            ours = run_lolwire_logs(lolwire, cap, None, td, ("ssl.log",))["ssl.log"]
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as ex:
        res["problems"].append(f"{rel}: lolwire failed: {ex}")
        ours = []
    pool = defaultdict(list)
    for r in sorted(ours, key=lambda r: r.get("ts", "")):
        if "id.orig_h" in r:
            pool[conn_tuple(r)].append(r)
    for c in conns:
        k = c["key"]
        where = f"{rel}: stream {c['stream']} {k}"
        res["conns"] += 1
        if c["nch"] > 1:
            res["multi_ch"] += 1
            res["notes"].append(f"{where}: {c['nch']} ClientHellos, {c['nsh']} ServerHellos")
        rev = (k[2], k[3], k[0], k[1])
        if pool.get(k):
            g = pool[k].pop(0)
        elif pool.get(rev):
            g = pool[rev].pop(0)
            res["reversed"] += 1
            where += " (logged reversed)"
            res["notes"].append(f"{where}")
        else:
            res["missing"] += 1
            res["problems"].append(f"{where}: missing (tshark: ja3={c['ch'] or '-'} "
                                   f"ja3s={c['sh'] or '-'})")
            continue
        if c["ch"] is not None:
            compare_hash(res, "ja3", c["ch"], c["ch_full"], 5, g.get("ja3"), where)
        if c["sh"] is not None:
            compare_hash(res, "ja3s", c["sh"], c["sh_full"], 3, g.get("ja3s"), where)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("shared")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                        "lolwire-ja3-tshark-cache"),
                    help="where tshark's output is kept between runs (a temp directory; "
                         "'' for no cache)")
    ap.add_argument("--only", help="only captures whose path contains this")
    a = ap.parse_args()
    t0 = time.monotonic()
    corpus = os.path.join(a.shared, "corpus")
    cache_dir = a.cache_dir
    if cache_dir:
        real = os.path.realpath(cache_dir)
        if real == REPO or real.startswith(REPO + os.sep):
            print(f"ja3_check: the cache dir {cache_dir} is inside the repository; use a "
                  "temporary directory")
            return 2
        os.makedirs(cache_dir, exist_ok=True)
    version = tshark_version()
    if not version:
        print("ja3_check: tshark is not installed")
        return 1
    caps = select_captures(corpus)
    if a.only:
        caps = [c for c in caps if a.only in c]
    if not caps:
        print("ja3_check: no capture selected (is the shared corpus there?)")
        return 1
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        results = list(ex.map(lambda rel: check_capture(rel, corpus, a.lolwire, cache_dir,
                                                          version), caps))

    tot = defaultdict(int)
    problems, skipped, notes, excluded = [], [], [], []
    for r in results:
        if r["rel"] in EXCLUDED:
            excluded.append(f"{r['rel']}: {EXCLUDED[r['rel']]} ({r['ja3_eq']}/{r['ja3']} "
                            f"ja3, {r['ja3s_eq']}/{r['ja3s']} ja3s, {r['missing']} missing)")
            continue
        if r["error"]:
            problems.append(f"{r['rel']}: {r['error']}")
            tot["errors"] += 1
        for f in ("conns", "ja3", "ja3_eq", "ja3s", "ja3s_eq", "missing", "reversed",
                  "not_compared", "multi_ch"):
            tot[f] += r[f]
        problems += r["problems"]
        skipped += r["skipped"]
        notes += r["notes"]
    for e in excluded:
        print("  excluded: " + e)
    for sk in skipped:
        print("  " + sk)
    if a.verbose:
        for n in notes:
            print("  note: " + n)
    print_problems(problems, a.verbose, MAX_LISTED)
    print(f"ja3: {len(caps)} captures ({len(excluded)} excluded, {tot['errors']} tshark "
          f"errors), {tot['conns']} TLS connections seen by tshark; ClientHellos compared "
          f"{tot['ja3']}, equal {tot['ja3_eq']}; ServerHellos compared {tot['ja3s']}, equal "
          f"{tot['ja3s_eq']}; missing (no ssl.log row) {tot['missing']}; not compared "
          f"(tshark has no well-formed JA3/JA3S) {tot['not_compared']}; informational: "
          f"{tot['multi_ch']} connections with several ClientHellos, {tot['reversed']} "
          f"logged reversed; {time.monotonic() - t0:.1f}s with {a.jobs} jobs")
    ok = (tot["ja3"] > 0 and tot["ja3"] == tot["ja3_eq"] and tot["ja3s"] == tot["ja3s_eq"]
          and tot["missing"] == 0 and tot["errors"] == 0)
    print(("PASS" if ok else "FAIL") + ": need every JA3 and JA3S equal to tshark's and no "
          "connection missing")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
