#!/usr/bin/env python3
"""HTTP Evader (suricata-verify's http-evader-*): 501 captures of the EICAR test file
delivered with evasions that browsers still accept (odd chunking, stacked or malformed
content encodings, broken status lines, conflicting lengths).  For each, lolwire's
files.log must hold the decoded EICAR file (by its SHA-1).

Usage: evader_check.py LOLWIRE SHARED_DIR [--min N]
The target is all 501; --min is the regression floor while the remaining evasions are
worked through (the failing cases are printed).
"""
import argparse
import concurrent.futures
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from zeek_conn_compare import run_lolwire_logs  # noqa: E402

EICAR_SHA1 = "3395856ce81f2b7382dee72602f798b642f14140"


def one(lolwire, pcap):
    with tempfile.TemporaryDirectory() as td:
        rows = run_lolwire_logs(lolwire, pcap, None, td, ("files.log",))["files.log"]
    return any(r.get("sha1") == EICAR_SHA1 for r in rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lolwire")
    ap.add_argument("shared")
    ap.add_argument("--min", type=int, default=501)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    base = os.path.join(a.shared, "corpus/suricata-verify/tests/http-evader")
    cases = sorted(os.listdir(base))
    pcaps = [os.path.join(base, c, "input.pcap") for c in cases]
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        found = list(ex.map(lambda p: one(a.lolwire, p), pcaps))
    ok = sum(found)
    if a.verbose or ok < a.min:
        for c, f in zip(cases, found):
            if not f:
                print("  not decoded: " + c)
    print(f"http-evader: EICAR recovered in {ok} of {len(cases)} cases (floor {a.min})")
    return 0 if ok >= a.min and cases else 1


if __name__ == "__main__":
    sys.exit(main())
