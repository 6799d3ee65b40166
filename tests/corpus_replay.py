#!/usr/bin/env python3
"""Replay every capture in shared/corpus through a sanitizer build of lolwire.

Each capture must finish within the time limit, exit 0 (or 1 with a message on stderr
for a file that cannot be read completely), and leave no AddressSanitizer or
UndefinedBehaviorSanitizer report.  Then garbage and truncated files made here must be
refused or read as far as they go with a clear message naming the file: never a crash.

Usage: corpus_replay.py LOLWIRE SHARED_DIR [--jobs N] [--timeout S]
"""
import argparse
import concurrent.futures
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zeek_conn_compare import corpus_captures  # noqa: E402

SAN_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
               "SUMMARY: UndefinedBehaviorSanitizer")


def run(lolwire, path, timeout, extra=()):
    with tempfile.TemporaryDirectory() as td:
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=1")
        try:
            p = subprocess.run([lolwire, "-q", "-r", path, "-o", td, *extra],
                               capture_output=True, text=True, errors="replace",
                               timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return path, None, "timed out (hang?)"
        return path, p.returncode, p.stderr


def verdict(path, rc, err):
    if rc is None:
        return f"{path}: {err}"
    for m in SAN_MARKERS:
        if m in err:
            return f"{path}: sanitizer report:\n{err[-3000:]}"
    if rc == 0:
        return None
    if rc == 1 and err.strip():
        return None  # unreadable or truncated: reported, not a crash
    return f"{path}: exit {rc}: {err.strip()[-500:]}"


def make_bad_files(d):
    """Files a user may point the sensor at by mistake, or that broke in transit."""
    hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    rec = struct.pack("<IIII", 1, 0, 60, 60)
    frame = bytes(range(60))
    files = {
        "empty.pcap": b"",
        "garbage.pcap": os.urandom(4096),
        "text.pcap": b"this is not a capture file\n" * 10,
        "short-header.pcap": hdr[:10],
        "header-only.pcap": hdr,
        "cut-record.pcap": hdr + rec + frame[:20],
        "huge-caplen.pcap": hdr + struct.pack("<IIII", 1, 0, 0x7FFFFFFF, 0x7FFFFFFF) + frame,
        "bad-linktype.pcap": struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 4242)
        + rec + frame,
        "pcapng-garbage.pcapng": b"\x0a\x0d\x0d\x0a" + os.urandom(200),
        "gzip-garbage.pcap.gz": b"\x1f\x8b\x08\x00" + os.urandom(100),
    }
    paths = []
    for name, data in files.items():
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(data)
        paths.append(p)
    return paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("shared")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()

    caps = corpus_captures(a.shared)
    failures = []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for path, rc, err in ex.map(lambda c: run(a.lolwire, c, a.timeout), caps):
            v = verdict(path, rc, err)
            if v:
                failures.append(v)

    bad_checked = 0
    with tempfile.TemporaryDirectory() as td:
        for path in make_bad_files(td):
            _, rc, err = run(a.lolwire, path, a.timeout)
            bad_checked += 1
            name = os.path.basename(path)
            if rc is None or any(m in err for m in SAN_MARKERS):
                failures.append(f"{name}: {err[-2000:]}")
            elif name == "header-only.pcap":
                if rc != 0:
                    failures.append(f"{name}: an empty but valid capture should exit 0, got {rc}")
            elif rc != 1 or name not in err:
                failures.append(f"{name}: want exit 1 and a message naming the file, got "
                                f"exit {rc}: {err.strip()!r}")

    for f in failures:
        print("  " + f)
    print(f"corpus replay: {len(caps)} captures and {bad_checked} broken files replayed, "
          f"{len(failures)} failures")
    return 1 if failures or not caps else 0


if __name__ == "__main__":
    sys.exit(main())
