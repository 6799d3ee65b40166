#!/usr/bin/env python3
"""lolwire as a service: the configuration file, -u, --tag, stats.log and capture-loss
figures, --monitor, and a restarted daemon keeping its earlier logs.

Usage: daemon_check.py LOLWIRE SHARED_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import cli_check as cc  # noqa: E402
from cli_check import check, run, log_rows  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "pcaps", "demo.pcap")


def tsv_rows(d, name):
    return log_rows(d, name) if os.path.exists(os.path.join(d, name)) else []


def config_file(lw, wiki, tmp):
    """-c: every long option is a key, the command line wins, errors name FILE:LINE."""
    out = os.path.join(tmp, "conf-logs")
    conf = os.path.join(tmp, "lolwire.conf")
    with open(conf, "w") as f:
        f.write(f"# a comment\nread = {wiki}\nlog-dir = {out}   # trailing comment\n"
                "json = yes\nseed = 1\nno-geoip = true\nfilter = tcp\n"
                "tag = sensor-7\n")
    r = run([lw, "-q", "-c", conf])
    rows = [json.loads(x) for x in open(os.path.join(out, "conn.log"))] if r.returncode == 0 else []
    check("-c: the file's read, log-dir, json, filter and tag are used",
          r.returncode == 0 and rows and all(x["proto"] == "tcp" for x in rows) and
          all(x.get("_tag") == "sensor-7" for x in rows), r.stderr)
    out2 = os.path.join(tmp, "conf-logs2")
    r = run([lw, "-q", "-c", conf, "-o", out2, "-r", DEMO, "--tag", "cli", "udp or icmp"])
    rows2 = [json.loads(x) for x in open(os.path.join(out2, "conn.log"))] if r.returncode == 0 else []
    demo_only = all(x["id.orig_h"].startswith("10.99.") for x in rows2)
    check("-c: the command line wins (log dir, filter, tag; -r replaces the file's list)",
          r.returncode == 0 and rows2 and demo_only and
          all(x["proto"] != "tcp" and x["_tag"] == "cli" for x in rows2),
          f"{r.stderr} {rows2[:2]}")
    bad = os.path.join(tmp, "bad.conf")
    for text, want in (("rotat = 5\n", "bad.conf:1: unknown key 'rotat'"),
                       ("# x\njson = maybe\n", "bad.conf:2: json takes yes or no"),
                       ("rotate = 0\n", "bad.conf:1: --rotate wants"),
                       ("config = other.conf\n", "bad.conf:1:"),
                       ("threads\n", "bad.conf:1: threads needs a value")):
        open(bad, "w").write(text)
        r = run([lw, "-c", bad, "-r", DEMO, "-o", os.path.join(tmp, "x")])
        check(f"-c: a bad line ({text.strip()!r}) is a usage error naming FILE:LINE",
              r.returncode == 2 and want in r.stderr, r.stderr)
    r = run([lw, "-c", os.path.join(tmp, "none.conf"), "-r", DEMO])
    check("-c: a missing file is a usage error naming it",
          r.returncode == 2 and "none.conf" in r.stderr, r.stderr)


def tag_and_stats(lw, wiki, tmp):
    out = os.path.join(tmp, "tag")
    r = run([lw, "-q", "-r", wiki, "-o", out, "--tag", "case-42", "--stats-interval", "5"])
    ok = r.returncode == 0
    tagged = True
    for name in ("conn.log", "http.log", "stats.log", "capture_loss.log"):
        lines = open(os.path.join(out, name)).read().splitlines() if ok else []
        fields = next((ln.split("\t")[1:] for ln in lines if ln.startswith("#fields")), [])
        data = [ln.split("\t") for ln in lines if not ln.startswith("#")]
        tagged &= bool(fields) and fields[-1] == "_tag" and bool(data) and \
            all(d[-1] == "case-42" for d in data) and all(len(d) == len(fields) for d in data)
    check("--tag: a last _tag column in every log, on every line", ok and tagged, r.stderr)
    stats = tsv_rows(out, "stats.log")
    conns = tsv_rows(out, "conn.log")
    total_pkts = sum(int(s["pkts_proc"]) for s in stats)
    m = __import__("re").search(r"lolwire: (\d+) packets", run([lw, "-r", wiki, "-o",
                                                            os.path.join(tmp, "t2")]).stderr)
    check("stats.log: records every interval of packet time whose packets add up to the run's",
          len(stats) >= 2 and m is not None and total_pkts == int(m.group(1)) and
          sum(int(s["conns"]) for s in stats) >= len(conns) and
          all(s["pkts_dropped"] == "-" for s in stats), f"{len(stats)} records, {total_pkts}")
    loss = tsv_rows(out, "capture_loss.log")
    check("capture_loss.log: one record per interval with gaps, acks and percent_lost",
          len(loss) == len(stats) and sum(int(x["acks"]) for x in loss) > 0 and
          all(float(x["percent_lost"]) >= 0 for x in loss), str(loss[:2]))
    # a capture with content gaps: the loss must show
    gappy = os.path.join(os.path.dirname(wiki), "http", "content-range-gap.pcap")
    if os.path.exists(gappy):
        out3 = os.path.join(tmp, "gaps")
        run([lw, "-q", "-r", gappy, "-o", out3])
        loss3 = tsv_rows(out3, "capture_loss.log")
        check("capture_loss.log counts the gaps of a capture that missed data",
              sum(int(x["gaps"]) for x in loss3) > 0, str(loss3))


def live_user_and_stats(lw, tmp):
    """-u nobody on a live veth: the process runs as nobody with no capabilities once the
    socket is open, still logs (also after SIGHUP) and writes stats.log with the kernel's
    figures."""
    if not cc.can_netns("-u nobody live"):
        return
    with cc.web_lab("u", tmp, {"u.bin": os.urandom(20000)}) as (sh, ns_a, ns_b, procs):
        out = os.path.join(tmp, "user")
        p = subprocess.Popen(["ip", "netns", "exec", ns_a, lw, "-i", "lwu0", "-o", out,
                              "-u", "nobody", "--stats-interval", "1", "tcp port 8000"],
                             stderr=subprocess.PIPE, text=True)
        procs.append(p)
        time.sleep(1.5)
        status = {}
        try:
            # `ip netns exec` execs lolwire: the same pid
            for line in open(f"/proc/{p.pid}/status"):
                k, _, v = line.partition(":")
                status[k] = v.split()
        except OSError as e:
            status = {"error": str(e)}
        nobody = subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True).stdout.strip()
        check("-u nobody: the process runs as nobody (real, effective, saved uid)",
              status.get("Uid", [])[:3] == [nobody] * 3, str(status.get("Uid")))
        check("-u nobody: no capability left (cannot open a raw socket)",
              status.get("CapEff") == ["0000000000000000"] and
              status.get("CapPrm") == ["0000000000000000"], str(status.get("CapEff")))
        for i in range(4):
            sh("ip", "netns", "exec", ns_b, "curl", "-s", "-o", "/dev/null",
               f"http://192.0.2.1:8000/u.bin?{i}")
        time.sleep(0.3)
        os.rename(os.path.join(out, "http.log"), os.path.join(out, "http.moved"))
        p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        sh("ip", "netns", "exec", ns_b, "curl", "-s", "-o", "/dev/null",
           "http://192.0.2.1:8000/u.bin?last")
        time.sleep(2.5)
        err = cc.stop_sensor(p, "-u nobody")
        if err is None:
            return
        check("-u nobody: exits 0", p.returncode == 0, err[-400:])
        moved = log_rows(out, "http.moved") if os.path.exists(os.path.join(out, "http.moved")) else []
        http = tsv_rows(out, "http.log")
        check("-u nobody: logs written as nobody, and reopened after SIGHUP",
              len(moved) == 4 and len(http) == 1, f"{len(moved)} + {len(http)}")
        stats = tsv_rows(out, "stats.log")
        check("live stats.log: a record a second with the kernel's counts and the lag",
              len(stats) >= 3 and all(s["pkts_link"] != "-" and s["pkt_lag"] != "-"
                                      for s in stats) and
              sum(int(s["pkts_proc"]) for s in stats) > 0, str(stats[:2]))


def write_slowly(path, data, pause):
    """A writer that keeps the file open: half, a pause, the rest."""
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
        f.flush()
        time.sleep(pause)
        f.write(data[len(data) // 2:])


def monitor(lw, wiki, tmp):
    """--monitor: captures dropped in while it runs are each read once, a half-written one
    only when complete, none again after a restart."""
    watch = os.path.join(tmp, "watch")
    out = os.path.join(tmp, "monitor-logs")
    os.makedirs(watch)
    third = os.path.join(ROOT, "pcaps", "detect-certutil.pcap")
    slow = open(third, "rb").read()
    wikidata = open(wiki, "rb").read()
    shutil.copy(DEMO, os.path.join(watch, "a.pcap"))   # there before the start
    open(os.path.join(watch, "notes.txt"), "w").write("not a capture\n")

    # as nobody (when root): the writer's open file is then invisible in /proc, and only
    # inotify tells that it is still being written
    user = ["-u", "nobody"] if os.geteuid() == 0 else []

    def start():
        return subprocess.Popen([lw, "--monitor", watch, "-o", out, "-v", "--no-geoip"] + user,
                                stderr=subprocess.PIPE, text=True)
    p = start()
    time.sleep(1.0)
    shutil.copy(wiki, os.path.join(watch, "b.pcap"))
    # half written, held open for 4 s (longer than the settle time)
    write_slowly(os.path.join(watch, "c.pcap"), slow, 4.0)
    time.sleep(4.0)
    err1 = cc.stop_sensor(p, "--monitor")
    if err1 is None:
        return
    check("--monitor: exits 0 on SIGTERM", p.returncode == 0, err1[-400:])
    reads1 = [ln.rsplit("/", 1)[-1] for ln in err1.splitlines() if "lolwire: reading" in ln]
    check("--monitor: each capture read once, the oldest first; the text file skipped",
          sorted(reads1) == ["a.pcap", "b.pcap", "c.pcap"] and reads1[0] == "a.pcap" and
          "notes.txt is not a pcap" in err1, err1[-600:])
    # the same as reading the three in that order: a read of half of c.pcap would show
    # fewer connections, a read before completion and again after more
    ref = os.path.join(tmp, "monitor-ref")
    run([lw, "-q", "--no-geoip", "-o", ref, "-r", DEMO, "-r", wiki, "-r", third])
    rows1 = tsv_rows(out, "conn.log")
    http1 = tsv_rows(out, "http.log")
    check("--monitor: the half-written capture read whole, once (the same logs as -r of "
          "the three)", len(rows1) == len(tsv_rows(ref, "conn.log")) and
          len(http1) == len(tsv_rows(ref, "http.log")),
          f"{len(rows1)} vs {len(tsv_rows(ref, 'conn.log'))} rows")
    # restart: a new file dropped while it was down; nothing read twice
    open(os.path.join(watch, "d.pcap"), "wb").write(wikidata)
    p = start()
    time.sleep(4.0)
    err2 = cc.stop_sensor(p, "--monitor restart")
    if err2 is None:
        return
    reads2 = [ln.rsplit("/", 1)[-1] for ln in err2.splitlines() if "lolwire: reading" in ln]
    check("--monitor: after a restart only the new capture is read", reads2 == ["d.pcap"],
          err2[-600:])
    kept = [f for f in os.listdir(out) if f.startswith("conn.") and f != "conn.log"]
    check("a restarted daemon keeps its earlier logs (conn.<time>.log), not overwritten",
          len(kept) == 1 and len(log_rows(out, kept[0])) == len(rows1), str(os.listdir(out)))
    # a capture replaced under the same name (a ring buffer) is new
    os.remove(os.path.join(watch, "a.pcap"))
    shutil.copy(wiki, os.path.join(watch, "a.pcap"))
    p = start()
    time.sleep(4.0)
    err3 = cc.stop_sensor(p, "--monitor ring")
    reads3 = [ln.rsplit("/", 1)[-1] for ln in (err3 or "").splitlines()
              if "lolwire: reading" in ln]
    check("--monitor: a file replaced under an old name is read as new", reads3 == ["a.pcap"],
          (err3 or "")[-600:])


def carve_extract(lw, tmp):
    """--carve: each alerted connection's pcap, read back, gives the same http.log row;
    --extract: each stored file's SHA-256 is files.log's, and only notice-worthy ones."""
    import hashlib
    for cap in ("detect-msiexec.pcap", "detect-certutil.pcap", "detect-mshta.pcap"):
        pcap = os.path.join(ROOT, "pcaps", cap)
        d = os.path.join(tmp, "carve-" + cap)
        logs, carve, ext = (os.path.join(d, x) for x in ("logs", "carve", "ext"))
        r = run([lw, "-q", "-r", pcap, "-o", logs, "--seed", "1", "--no-geoip",
                 "--carve", carve, "--carve-severity", "low", "--extract", ext])
        notices = tsv_rows(logs, "notice.log")
        alerted = {n["uid"] for n in notices if n["severity"] in ("low", "medium", "high")}
        pcaps = sorted(f[:-5] for f in os.listdir(carve)) if r.returncode == 0 else []
        check(f"--carve {cap}: one pcap per alerted connection, named by its uid",
              r.returncode == 0 and alerted and pcaps == sorted(alerted),
              f"{r.stderr} {pcaps} {sorted(alerted)}")
        http = {h["uid"]: h for h in tsv_rows(logs, "http.log")}
        same = True
        for uid in pcaps:
            back = os.path.join(d, "back-" + uid)
            run([lw, "-q", "-r", os.path.join(carve, uid + ".pcap"), "-o", back, "--seed", "1",
                 "--no-geoip"])
            rows = tsv_rows(back, "http.log")
            same &= len(rows) >= 1 and all(
                {k: v for k, v in row.items()} == http.get(row["uid"]) for row in rows) and \
                rows[0]["uid"] == uid
        check(f"--carve {cap}: the carved pcap read back gives the same http.log rows", same,
              str(pcaps))
        files = tsv_rows(logs, "files.log")
        stored = [f for f in files if f["extracted"] != "-"]
        ok = bool(stored)
        for f in stored:
            path = os.path.join(ext, f["extracted"])
            data = open(path, "rb").read() if os.path.exists(path) else b""
            ok &= hashlib.sha256(data).hexdigest() == f["sha256"] == f["extracted"] and \
                f["extracted_cutoff"] == "F" and int(f["extracted_size"]) == len(data) and \
                f["uid"] in alerted
        # every response body of an alerted transaction, and nothing else, is stored
        check(f"--extract {cap}: stored files named by files.log's SHA-256, only for notices",
              ok and len(os.listdir(ext)) == len({f["sha256"] for f in stored}),
              f"{len(stored)} stored of {len(files)}")
    # caps: --extract-max-size cuts (extracted_cutoff T), --extract-total stops storing
    pcap = os.path.join(ROOT, "pcaps", "detect-msiexec.pcap")
    d = os.path.join(tmp, "extract-caps")
    r = run([lw, "-q", "-r", pcap, "-o", d, "--extract", os.path.join(d, "x"),
             "--extract-max-size", "1000", "--seed", "1"])
    stored = [f for f in tsv_rows(d, "files.log") if f["extracted"] != "-"]
    check("--extract-max-size: the first N bytes stored, extracted_cutoff T",
          stored and all(f["extracted_cutoff"] == "T" and f["extracted_size"] == "1000" and
                         os.path.getsize(os.path.join(d, "x", f["extracted"])) == 1000
                         for f in stored), str(stored[:1]))
    d = os.path.join(tmp, "extract-total")
    r = run([lw, "-v", "-r", pcap, "-o", d, "--extract", os.path.join(d, "x"),
             "--extract-total", "10000", "--seed", "1"])
    n = len(os.listdir(os.path.join(d, "x")))
    check("--extract-total: storing stops at the total, the rest counted",
          n == 1 and "files_extract_skipped" in r.stderr, f"{n} stored; {r.stderr[-300:]}")
    r = run([lw, "-q", "-r", pcap, "-o", os.path.join(tmp, "cx"), "--carve", "/proc/nope"])
    check("--carve into a directory that cannot be made: exit 1 naming it",
          r.returncode == 1 and "--carve directory" in r.stderr, r.stderr)


def main():
    lw, shared = sys.argv[1], sys.argv[2]
    traces = os.path.join(shared, "corpus/zeek/testing/btest/Traces")
    wiki = os.path.join(traces, "wikipedia.pcap")
    tmp = tempfile.mkdtemp(prefix="lw-daemon-")
    os.chmod(tmp, 0o755)  # -u nobody must reach its log directory
    try:
        config_file(lw, wiki, tmp)
        tag_and_stats(lw, wiki, tmp)
        monitor(lw, wiki, tmp)
        carve_extract(lw, tmp)
        live_user_and_stats(lw, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = [r for r in cc.results if not r[1]]
    for name, ok, detail in cc.results:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}" + (f"\n        {detail[:600]}" if not ok else ""))
    print(f"daemon: {len(cc.results) - len(failed)} of {len(cc.results)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
