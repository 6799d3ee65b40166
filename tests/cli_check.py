#!/usr/bin/env python3
"""The command line as users meet it: sources, filters, output, exit codes, live capture.

Exit codes: 0 success, 1 runtime failure (unreadable file, no such interface, unwritable
log directory), 2 usage error (bad option or value, bad capture filter).

Usage: cli_check.py LOLWIRE SHARED_DIR
"""
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from zeek_conn_compare import log_rows, read_zeek_log  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def conn_rows(d):
    return log_rows(d, "conn.log")


def netns_pair(ns_a, ns_b, if_a, if_b):
    """Two namespaces joined by a veth pair: ns_a has 192.0.2.1, ns_b 192.0.2.2 (up, with
    lo).  Returns a runner for commands."""
    sh = lambda *a: subprocess.run(a, capture_output=True, text=True)  # noqa: E731
    for ns in (ns_a, ns_b):
        sh("ip", "netns", "del", ns)
    sh("ip", "netns", "add", ns_a)
    sh("ip", "netns", "add", ns_b)
    sh("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
       "netns", ns_b)
    sh("ip", "-n", ns_a, "addr", "add", "192.0.2.1/24", "dev", if_a)
    sh("ip", "-n", ns_b, "addr", "add", "192.0.2.2/24", "dev", if_b)
    for ns, dev in ((ns_a, if_a), (ns_b, if_b)):
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    return sh


def can_netns(what):
    """Root and iproute2, for the tests on a veth between namespaces (a failed check if not)."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        check(f"{what} (needs root and iproute2)", False, "not root or no ip")
        return False
    return True


def web_pair(ns_a, ns_b, if_a, if_b, www, files, procs):
    """netns_pair, and a web server on 192.0.2.1:8000 in ns_a serving `files` ({name:
    bytes}) from the directory `www` (its process joins `procs`).  Returns the runner."""
    sh = netns_pair(ns_a, ns_b, if_a, if_b)
    os.makedirs(www)
    for name, data in files.items():
        open(os.path.join(www, name), "wb").write(data)
    procs.append(subprocess.Popen(["ip", "netns", "exec", ns_a, sys.executable, "-m",
                                   "http.server", "8000", "--bind", "192.0.2.1",
                                   "--directory", www], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL))
    return sh


def stop_sensor(p, what):
    """SIGTERM the sensor `p`; its stderr, or None (a failed check) if it did not exit
    within 20 s."""
    p.send_signal(signal.SIGTERM)
    try:
        return p.communicate(timeout=20)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        check(f"{what}: stops on SIGTERM", False, "did not exit within 20 s")
        return None


def teardown(procs, namespaces):
    for pr in procs:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    for ns in namespaces:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@contextlib.contextmanager
def web_lab(tag, tmp, files):
    """web_pair in namespaces lwtest-<tag>a/b joined by lw<tag>0/1, torn down after."""
    ns_a, ns_b = f"lwtest-{tag}a", f"lwtest-{tag}b"
    procs = []
    try:
        yield web_pair(ns_a, ns_b, f"lw{tag}0", f"lw{tag}1", os.path.join(tmp, "www-" + tag),
                       files, procs), ns_a, ns_b, procs
    finally:
        teardown(procs, (ns_a, ns_b))


def live_capture(lw, tmp):
    """Capture live on a veth inside network namespaces made here, while a ping runs."""
    if not can_netns("live capture on a veth"):
        return
    ns_a, ns_b = "lwtest-a", "lwtest-b"
    try:
        sh = netns_pair(ns_a, ns_b, "lwt0", "lwt1")
        out = os.path.join(tmp, "live")
        p = subprocess.Popen(["ip", "netns", "exec", ns_a, lw, "-i", "lwt0", "-o", out,
                              "--seed", "1", "icmp"], stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        ping = sh("ip", "netns", "exec", ns_b, "ping", "-c", "3", "-i", "0.2", "192.0.2.1")
        time.sleep(0.5)
        err = stop_sensor(p, "live capture")
        if err is None:
            return
        check("live capture exits 0 on SIGTERM", p.returncode == 0, err)
        rows = conn_rows(out)
        icmp = [r for r in rows if r["proto"] == "icmp"]
        check("live capture logs the ping as one ICMP connection",
              len(icmp) == 1 and icmp[0]["orig_pkts"] == "3" and icmp[0]["resp_pkts"] == "3",
              f"ping rc={ping.returncode}; rows={rows}")
        check("live capture applies the filter (only ICMP)", len(rows) == len(icmp), str(rows))
        check("live capture prints a summary with drops", "dropped" in err, err)
    finally:
        for ns in (ns_a, ns_b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def live_workers(lw, tmp):
    """--threads 2 live: two sockets in one PACKET_FANOUT group on a veth.  16 HTTP
    connections must each be logged once, whole (SF, both sides' bytes), and both workers
    must have had packets."""
    if not can_netns("live capture with --threads 2"):
        return
    with web_lab("w", tmp, {"f.bin": os.urandom(50000)}) as (sh, ns_a, ns_b, procs):
        out = os.path.join(tmp, "live-workers")
        p = subprocess.Popen(["ip", "netns", "exec", ns_a, lw, "-i", "lww0", "-o", out, "-v",
                              "--seed", "1", "--threads", "2", "tcp port 8000"],
                             stderr=subprocess.PIPE, text=True)
        procs.append(p)
        time.sleep(1.5)
        for i in range(16):
            sh("ip", "netns", "exec", ns_b, "curl", "-s", "-o", "/dev/null",
               f"http://192.0.2.1:8000/f.bin?{i}")
        time.sleep(1.0)
        err = stop_sensor(p, "--threads 2 live")
        if err is None:
            return
        check("--threads 2 live: exits 0 on SIGTERM", p.returncode == 0, err[-500:])
        rows = [r for r in conn_rows(out) if r["id.resp_p"] == "8000"]
        whole = [r for r in rows if r["conn_state"] == "SF" and int(r["resp_bytes"]) >= 50000]
        ports = {r["id.orig_p"] for r in rows}
        check("--threads 2 live: each of 16 connections logged once and whole",
              len(rows) == 16 and len(whole) == 16 and len(ports) == 16,
              f"{len(rows)} rows, {len(whole)} whole, {len(ports)} ports")
        http = log_rows(out, "http.log")
        check("--threads 2 live: 16 HTTP transactions with their 50000-byte bodies",
              len(http) == 16 and all(h["response_body_len"] == "50000" for h in http),
              f"{len(http)} rows")
        m = re.search(r"packets per worker: (\d+) (\d+)", err)
        check("--threads 2 live: both workers had packets (fanout spreads connections)",
              m is not None and int(m.group(1)) > 0 and int(m.group(2)) > 0, err[-500:])


def live_rotation(lw, tmp):
    """--rotate 2 live while 12 downloads run one every 0.5 s, and a SIGHUP after
    http.log was moved away (as logrotate does), conn.log left in place: every transaction
    and every connection appears exactly once across the files, and every file has a
    header and #close."""
    import glob
    if not can_netns("--rotate and SIGHUP live"):
        return
    with web_lab("r", tmp, {"r.bin": os.urandom(3000)}) as (sh, ns_a, ns_b, procs):
        out = os.path.join(tmp, "rotate")
        p = subprocess.Popen(["ip", "netns", "exec", ns_a, lw, "-i", "lwr0", "-o", out,
                              "--seed", "1", "--rotate", "2", "--threads", "2",
                              "tcp port 8000"], stderr=subprocess.PIPE, text=True)
        procs.append(p)
        time.sleep(1.5)
        moved = False
        for i in range(12):
            sh("ip", "netns", "exec", ns_b, "curl", "-s", "-o", "/dev/null",
               f"http://192.0.2.1:8000/r.bin?{i}")
            time.sleep(0.5)
            # from the 7th on, as soon as http.log exists (a rotation may just have
            # renamed it): move it away and send SIGHUP, as logrotate does
            if i >= 6 and not moved and os.path.exists(os.path.join(out, "http.log")):
                try:
                    os.rename(os.path.join(out, "http.log"), os.path.join(out, "http.moved"))
                    moved = True
                    p.send_signal(signal.SIGHUP)
                except FileNotFoundError:
                    pass  # the sensor rotated it first: try after the next download
        time.sleep(1.0)
        err = stop_sensor(p, "--rotate live")
        if err is None:
            return
        files = sorted(glob.glob(os.path.join(out, "http*")))
        uris = []
        bad = []
        for f in files:
            text = open(f, encoding="utf-8", errors="replace").read()
            if not text.startswith("#separator") or not text.rstrip("\n").split("\n")[-1].startswith("#close"):
                bad.append(os.path.basename(f))
            uris += [line.split("\t")[9] for line in text.splitlines()
                     if line and not line.startswith("#")]
        conns = []
        for f in glob.glob(os.path.join(out, "conn*")):
            conns += [r["id.orig_p"] for r in read_zeek_log(f) if r["id.resp_p"] == "8000"]
        check("--rotate 2 and SIGHUP live: each of 12 connections once across the conn files "
              "(a SIGHUP keeps a file that was not moved)",
              len(conns) == 12 and len(set(conns)) == 12, str(sorted(conns)))
        rotated = [f for f in files if re.search(r"http\.\d{4}(-\d\d){5}_\d{4}(-\d\d){5}\.log$", f)]
        check("--rotate 2 and SIGHUP live: exits 0", p.returncode == 0, err[-300:])
        check("--rotate 2 and SIGHUP live: each of 12 transactions once across the files",
              sorted(uris) == sorted(f"/r.bin?{i}" for i in range(12)),
              f"{sorted(uris)} in {[os.path.basename(f) for f in files]}")
        check("--rotate 2 and SIGHUP live: periods rotated, the moved file closed, every "
              "file with a header and #close",
              len(rotated) >= 2 and moved and os.path.join(out, "http.moved") in files and not bad,
              f"moved={moved} {[os.path.basename(f) for f in files]} bad={bad}")


def live_follow(lw, tmp):
    """--follow on a live capture: host events appended while the sensor runs attribute
    flows seen after them (certutil's URL in a command line) and flows already open before
    them (a keep-alive connection whose Sysmon network event is written between its two
    requests)."""
    import json
    import socket
    if not can_netns("--follow live"):
        return
    with web_lab("f", tmp, {"tool.exe": b"MZ" + b"\0" * 200, "a.txt": b"a\n"}) as (sh, ns_a, ns_b, procs):
        feed = os.path.join(tmp, "sysmon.jsonl")
        open(feed, "w").close()
        out = os.path.join(tmp, "follow")
        p = subprocess.Popen(["ip", "netns", "exec", ns_a, lw, "-i", "lwf0", "-o", out,
                              "--seed", "1", "--host-events", feed, "--follow", "tcp"],
                             stderr=subprocess.PIPE, text=True)
        procs.append(p)
        time.sleep(1.5)
        now = time.strftime("%Y-%m-%d %H:%M:%S.000", time.gmtime())

        def event(**kw):
            e = {"SourceName": "Microsoft-Windows-Sysmon", "Hostname": "WS-LIVE",
                 "UtcTime": now, "User": "LAB\\live"}
            e.update(kw)
            with open(feed, "a") as fh:
                fh.write(json.dumps(e) + "\n")

        event(EventID=1, ProcessGuid="{bbbb0001-0000-0000-0000-000000000001}", ProcessId="4100",
              Image="C:\\Windows\\System32\\certutil.exe",
              CommandLine="certutil.exe -urlcache -f http://192.0.2.1:8000/tool.exe t.exe")
        time.sleep(1.0)
        sh("ip", "netns", "exec", ns_b, "curl", "-s", "-o", "/dev/null", "-A",
           "CertUtil URL Agent", "http://192.0.2.1:8000/tool.exe")
        # A keep-alive connection from a fixed port: request, then the Sysmon network
        # event, then a second request on the same connection.
        client = subprocess.Popen(
            ["ip", "netns", "exec", ns_b, sys.executable, "-c",
             "import socket,time,sys\n"
             "s=socket.socket();s.bind(('192.0.2.2',45678));s.connect(('192.0.2.1',8000))\n"
             "r=b'GET /a.txt HTTP/1.1\\r\\nHost: 192.0.2.1:8000\\r\\nUser-Agent: x\\r\\n\\r\\n'\n"
             "s.sendall(r);time.sleep(0.5);s.recv(65536);time.sleep(2.5)\n"
             "s.sendall(r);time.sleep(0.5);s.recv(65536);s.close()\n"])
        time.sleep(1.2)
        event(EventID=3, ProcessGuid="{bbbb0002-0000-0000-0000-000000000002}", ProcessId="4200",
              Image="C:\\Windows\\System32\\mshta.exe", Protocol="tcp", Initiated="true",
              SourceIp="192.0.2.2", SourcePort="45678", DestinationIp="192.0.2.1",
              DestinationPort="8000")
        client.wait(timeout=20)
        # Traffic first, its host event afterwards: a follow-up notice.
        sh("ip", "netns", "exec", ns_b, "curl", "-s", "-o", "/dev/null", "-A",
           "Windows Installer", "http://192.0.2.1:8000/a.txt?late")
        time.sleep(1.0)
        event(EventID=1, ProcessGuid="{bbbb0003-0000-0000-0000-000000000003}", ProcessId="4300",
              Image="C:\\Windows\\System32\\msiexec.exe",
              CommandLine="msiexec /i http://192.0.2.1:8000/a.txt?late /qn")
        time.sleep(1.0)
        err = stop_sensor(p, "--follow")
        if err is None:
            return
        http = log_rows(out, "http.log")
        tool = [h for h in http if h["uri"] == "/tool.exe"]
        check("--follow: an event appended after start attributes a later flow (URL)",
              p.returncode == 0 and tool and tool[0]["proc.image"].endswith("certutil.exe")
              and tool[0]["proc.match"] == "url", f"{err[-300:]} {tool}")
        ka = [h for h in http if h["id.orig_p"] == "45678"]
        conns = [c for c in conn_rows(out) if c["id.orig_p"] == "45678"]
        check("--follow: an event written after a connection opened attributes its later "
              "requests and its conn.log row (5-tuple)",
              len(ka) == 2 and ka[1]["proc.image"].endswith("mshta.exe") and conns and
              conns[0]["proc.image"].endswith("mshta.exe") and conns[0]["proc.match"] == "tuple",
              f"{[(h['trans_depth'], h['proc.image']) for h in ka]} {conns}")
        notices = log_rows(out, "notice.log")
        late = [n for n in notices if n["file_desc"].endswith("/a.txt?late")]
        check("--follow: host events after the traffic give a follow-up notice with the process",
              any(n["rule"] == "LW-PROC-MSIEXEC" and n["sub"].startswith("follow-up") and
                  n["proc.image"].endswith("msiexec.exe") for n in late) and
              any(not n["sub"].startswith("follow-up") for n in late),
              str([(n["rule"], n["sub"][:40]) for n in late]))


def main():
    lw, shared = sys.argv[1], sys.argv[2]
    traces = os.path.join(shared, "corpus/zeek/testing/btest/Traces")
    wiki = os.path.join(traces, "wikipedia.pcap")
    tmp = tempfile.mkdtemp(prefix="lw-cli-")
    try:
        r = run([lw])
        check("no source: exit 2 with a hint", r.returncode == 2 and "-r FILE" in r.stderr,
              r.stderr)
        r = run([lw, "--bogus"])
        check("unknown option: exit 2", r.returncode == 2 and "--bogus" in r.stderr, r.stderr)
        r = run([lw, "-r", wiki, "--seed", "x"])
        check("bad option value: exit 2", r.returncode == 2 and "--seed" in r.stderr, r.stderr)
        r = run([lw, "-r", wiki, "--local-nets", "10.0.0/8"])
        check("bad CIDR: exit 2 naming it", r.returncode == 2 and "10.0.0/8" in r.stderr,
              r.stderr)
        r = run([lw, "-r", wiki, "-i", "lo"])
        check("-i with -r: exit 2", r.returncode == 2, r.stderr)
        # The certificate cache: google-cert-repeat.pcap shows 2 leaves in 8 connections;
        # each is decoded once, the other 6 come from the cache with the same fields.
        out = os.path.join(tmp, "certs")
        r = run([lw, "-v", "-r", os.path.join(traces, "tls", "google-cert-repeat.pcap"), "-o",
                 out])
        ssl = log_rows(out, "ssl.log")
        by_fp = {}
        for s in ssl:
            by_fp.setdefault(s["cert_chain_fps"].split(",")[0], set()).add(
                (s["subject"], s["issuer"]))
        cached = re.search(r"tls_certs_cached\s+(\d+)", r.stderr)
        check("certificate cache: 8 connections, 2 leaves decoded once each, 6 from the cache "
              "with the same subject and issuer",
              len(ssl) == 8 and len(by_fp) == 2 and cached is not None and cached.group(1) == "6"
              and all(len(v) == 1 and "-" not in next(iter(v)) for v in by_fp.values()),
              f"{by_fp} {r.stderr[-300:]}")
        for bad in ("0", "-5", "soon"):
            r = run([lw, "-r", wiki, "--rotate", bad])
            check(f"--rotate {bad}: exit 2 naming it",
                  r.returncode == 2 and f"'{bad}'" in r.stderr, r.stderr)
        for bad in ("0", "65", "two"):
            r = run([lw, "-r", wiki, "--threads", bad])
            check(f"--threads {bad}: exit 2 naming it",
                  r.returncode == 2 and f"'{bad}'" in r.stderr, r.stderr)
        r = run([lw, "-r", wiki, "--hashes", "sha512"])
        check("bad --hashes: exit 2 naming it", r.returncode == 2 and "sha512" in r.stderr,
              r.stderr)
        # --hashes: by default an image keeps SHA-256 only, an executable all three; "all"
        # and a list apply to every body.
        payloads = os.path.join(ROOT, "pcaps", "http-lolbin-payloads.pcap")
        benign = os.path.join(ROOT, "pcaps", "detect-benign.pcap")  # PNG, HTML, ZIP, ...
        kinds = {}
        for policy in ("auto", "all", "sha1"):
            out = os.path.join(tmp, "hashes-" + policy)
            run([lw, "-q", "--hashes", policy, "-r", payloads, "-r", benign, "-o", out])
            kinds[policy] = {(f["mime_type"], f["md5"] != "-", f["sha1"] != "-",
                              f["sha256"] != "-") for f in log_rows(out, "files.log")}
        check("--hashes auto: images and HTML SHA-256 only, payloads all three",
              any(k[0].startswith(("image/", "text/html")) and k[1:] == (False, False, True)
                  for k in kinds["auto"]) and
              ("application/x-dosexec", True, True, True) in kinds["auto"] and
              not any(k[0].startswith(("image/", "text/html")) and k[1] for k in kinds["auto"]),
              str(kinds["auto"]))
        # (ranges of a larger file get no hash under any policy)
        hashed = {p: [k for k in kinds[p] if any(k[1:])] for p in kinds}
        check("--hashes all: every hashed body all three, images too",
              len(hashed["all"]) >= 5 and any(k[0] == "image/png" for k in hashed["all"]) and
              all(k[1:] == (True, True, True) for k in hashed["all"]), str(kinds["all"]))
        check("--hashes sha1: SHA-1 only",
              len(hashed["sha1"]) >= 5 and
              all(k[1:] == (False, True, False) for k in hashed["sha1"]), str(kinds["sha1"]))
        r = run([lw, "--version"])
        check("--version: exit 0", r.returncode == 0 and r.stdout.startswith("lolwire "), r.stdout)
        r = run([lw, "--help"])
        check("--help: exit 0 and usage", r.returncode == 0 and "usage:" in r.stdout, r.stdout)
        r = run([lw, "-r", os.path.join(tmp, "missing.pcap"), "-o", tmp])
        check("missing file: exit 1 naming it", r.returncode == 1 and "missing.pcap" in r.stderr,
              r.stderr)
        r = run([lw, "-r", wiki, "-o", tmp, "tcp port and"])
        check("bad capture filter: exit 2", r.returncode == 2 and "filter" in r.stderr, r.stderr)
        blocker = os.path.join(tmp, "a-file")
        open(blocker, "w").close()
        r = run([lw, "-r", wiki, "-o", os.path.join(blocker, "logs")])
        check("log directory under a file: exit 1", r.returncode == 1 and "log directory" in
              r.stderr, r.stderr)
        r = run([lw, "-i", "lw-no-such-if0", "-o", tmp])
        check("no such interface: exit 1", r.returncode == 1 and "lw-no-such-if0" in r.stderr,
              r.stderr)

        # Reading: a file, the same from stdin, a filter, a directory in time order.
        d1 = os.path.join(tmp, "file")
        r = run([lw, "-q", "--seed", "3", "-r", wiki, "-o", d1])
        base = conn_rows(d1)
        check("-r: exit 0 and connections", r.returncode == 0 and len(base) > 10, r.stderr)
        d2 = os.path.join(tmp, "stdin")
        with open(wiki, "rb") as f:
            r = run([lw, "-q", "--seed", "3", "-r", "-", "-o", d2], stdin=f)
        check("-r - reads stdin, same result", r.returncode == 0 and conn_rows(d2) == base,
              r.stderr)
        d3 = os.path.join(tmp, "filter")
        r = run([lw, "-q", "-r", wiki, "-o", d3, "udp", "port", "53"])
        rows = conn_rows(d3)
        check("trailing filter applied", r.returncode == 0 and rows and all(
            r_["proto"] == "udp" and "53" in (r_["id.orig_p"], r_["id.resp_p"]) for r_ in rows),
            str(rows[:3]))
        capdir = os.path.join(tmp, "caps", "sub")
        os.makedirs(capdir)
        shutil.copy(os.path.join(traces, "http/get.pcap"), os.path.join(capdir, "a.pcap"))
        shutil.copy(os.path.join(traces, "wikipedia.pcap"), os.path.join(tmp, "caps", "b.pcap"))
        open(os.path.join(tmp, "caps", "notes.txt"), "w").write("not a capture\n")
        d4 = os.path.join(tmp, "dir")
        r = run([lw, "-v", "-R", os.path.join(tmp, "caps"), "-o", d4])
        rows = conn_rows(d4)
        order = [ln.split("/")[-1] for ln in r.stderr.splitlines() if "reading " in ln]
        n_get = len(conn_rows_of(lw, os.path.join(traces, "http/get.pcap"), tmp))
        check("-R reads every capture below DIR (recursively, skipping non-captures)",
              r.returncode == 0 and len(rows) == len(base) + n_get, f"{len(rows)} rows; "
              f"{r.stderr}")
        # wikipedia.pcap (as b.pcap, 2011) is older than get.pcap (as sub/a.pcap, 2013):
        # name order and time order disagree, and time order must win.
        check("-R reads the oldest capture first", order == ["b.pcap", "a.pcap"], str(order))
        d5 = os.path.join(tmp, "json")
        r = run([lw, "-q", "--json", "-r", wiki, "-o", d5])
        check("--json writes JSON lines", r.returncode == 0 and open(
            os.path.join(d5, "conn.log")).read(1) == "{", r.stderr)
        r = run([lw, "-r", wiki, "-o", os.path.join(tmp, "sum")])
        check("summary line at exit", "packets" in r.stderr and "connections" in r.stderr and
              "weirds" in r.stderr, r.stderr)

        detection_options(lw, wiki, shared, tmp)
        live_capture(lw, tmp)
        live_workers(lw, tmp)
        live_rotation(lw, tmp)
        live_follow(lw, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    failed = [r for r in results if not r[1]]
    for name, ok, detail in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}" + (f"\n        {detail[:400]}" if not ok else ""))
    print(f"cli: {len(results) - len(failed)} of {len(results)} checks passed")
    return 1 if failed else 0


def detection_options(lw, wiki, shared, tmp):
    """Rules files, the rule listing, severity, GeoIP and EVE options."""
    bad = os.path.join(tmp, "bad.rules")
    open(bad, "w").write("# my rules\n\nrule MY-1\n    sid 9900001\n    note My::Note\n"
                         "    msg \"x\"\n    technique T1105\n    severity high\n"
                         "    match http.user_agnet is curl\nend\n")
    r = run([lw, "-r", wiki, "-o", tmp, "--rules", bad])
    check("rules file with an error on line 9: FILE:9: message, exit 2",
          r.returncode == 2 and f"{bad}:9: unknown field 'http.user_agnet'" in r.stderr, r.stderr)
    r = run([lw, "-r", wiki, "-o", tmp, "--rules", os.path.join(tmp, "none.rules")])
    check("missing rules file: exit 2 naming it", r.returncode == 2 and "none.rules" in r.stderr,
          r.stderr)
    good = os.path.join(tmp, "good.rules")
    open(good, "w").write("rule MY-1\n    sid 9900001\n    note My::Wikipedia\n"
                          "    msg \"wikipedia visited\"\n    technique T1105\n"
                          "    severity medium\n    on http tls\n"
                          "    match server.name domain wikipedia.org\nend\n"
                          "disable LW-IE7-UA\n")
    r = run([lw, "--list-rules", "--rules", good])
    lines = r.stdout.splitlines()
    check("--list-rules lists built-in and user rules, marks disabled ones",
          r.returncode == 0 and any(l.startswith("MY-1\t9900001\tmedium\thttp,tls") for l in lines)
          and any(l.startswith("LW-IE7-UA\t") and l.endswith("(disabled)") for l in lines)
          and sum(1 for l in lines if l.startswith("LW-")) >= 40, r.stdout[-400:])
    r = run([lw, "--list-rules", "--no-builtin-rules", "--rules", good])
    check("--no-builtin-rules: disable of a built-in rule is then an error (exit 2)",
          r.returncode == 2 and "LW-IE7-UA" in r.stderr, r.stderr)
    d = os.path.join(tmp, "userrule")
    eve = os.path.join(tmp, "user.eve.json")
    r = run([lw, "-q", "--seed", "1", "-r", wiki, "-o", d, "--rules", good, "--eve", eve,
             "--no-geoip"])
    notices = log_rows(d, "notice.log") if r.returncode == 0 else []
    check("a user rule raises notices (notice.log and eve.json, one line each)",
          notices and all(n["rule"] == "MY-1" and n["note"] == "My::Wikipedia" for n in notices)
          and len(open(eve).read().splitlines()) == len(notices), r.stderr)
    allow = os.path.join(tmp, "allow.rules")
    open(allow, "w").write("allow host wikipedia.org for MY-1\n")
    d = os.path.join(tmp, "allowed")
    r = run([lw, "-q", "-r", wiki, "-o", d, "--rules", good, "--rules", allow])
    check("an allowlist entry silences the rule",
          r.returncode == 0 and not os.path.exists(os.path.join(d, "notice.log")), r.stderr)
    r = run([lw, "-r", wiki, "-o", tmp, "--min-severity", "loud"])
    check("bad --min-severity: exit 2", r.returncode == 2 and "loud" in r.stderr, r.stderr)
    r = run([lw, "-r", wiki, "-o", tmp, "--geoip-db", os.path.join(tmp, "no.mmdb")])
    check("missing GeoIP database: exit 2 naming it", r.returncode == 2 and "no.mmdb" in r.stderr,
          r.stderr)
    r = run([lw, "-r", wiki, "-o", tmp, "--geoip-db", wiki])
    check("a file that is not a MaxMind database: exit 2", r.returncode == 2 and
          "wikipedia.pcap" in r.stderr, r.stderr)
    r = run([lw, "-r", wiki, "-o", tmp, "--no-geoip", "--geoip-db", wiki])
    check("--no-geoip with --geoip-db: exit 2", r.returncode == 2, r.stderr)
    r = run([lw, "-r", wiki, "-o", os.path.join(tmp, "e"), "--eve",
             os.path.join(tmp, "no-dir", "eve.json")])
    check("unwritable --eve file: exit 1 naming it", r.returncode == 1 and "eve.json" in r.stderr,
          r.stderr)


def conn_rows_of(lw, pcap, tmp):
    d = tempfile.mkdtemp(dir=tmp)
    run([lw, "-q", "-r", pcap, "-o", d])
    return conn_rows(d)


if __name__ == "__main__":
    sys.exit(main())
