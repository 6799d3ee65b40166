#!/usr/bin/env python3
"""Golden logs: run lolwire on each capture made by this project (pcaps/*.pcap) and
compare its logs, byte for byte, with tests/golden/<capture>/<log>, after masking what
changes from run to run (#open and #close stamps).  uids and fuids are fixed by --seed.

    golden_check.py LOLWIRE               compare (exit 1 on any difference)
    golden_check.py LOLWIRE --bless       rewrite the golden files (review the diff!)

Each capture runs with --seed 1 and --no-geoip (a GeoIP database on the machine must not
change the logs); tests/golden/<capture>/args, when present, adds options (one per line,
"@ROOT@" standing for the repository and "@LAB_MMDB@" for the lab GeoIP database that
tests/geo/write-lab-mmdb.pl builds), e.g. --local-nets and --geoip-db.

Golden logs are reviewed like code: `git diff tests/golden` after a bless is the change.
"""
import difflib
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
LOGS = ("conn.log", "http.log", "files.log", "ssl.log", "weird.log", "notice.log",
        "host_events.log")
STAMP = re.compile(r"^#(open|close)\t.*$", re.M)


def masked(text):
    return STAMP.sub(r"#\1\tXXXX-XX-XX-XX-XX-XX", text)


def main():
    lolwire = sys.argv[1]
    bless = "--bless" in sys.argv
    caps = sorted(glob.glob(os.path.join(ROOT, "pcaps", "*.pcap")))
    failures, compared = [], 0
    labdir = tempfile.TemporaryDirectory()
    lab_mmdb = os.path.join(labdir.name, "lab.mmdb")
    subprocess.run(["perl", os.path.join(ROOT, "tests", "geo", "write-lab-mmdb.pl"), lab_mmdb],
                   check=True)
    for cap in caps:
        name = os.path.basename(cap)
        gdir = os.path.join(GOLDEN, name)
        extra = []
        argfile = os.path.join(gdir, "args")
        if os.path.exists(argfile):
            extra = [a.strip().replace("@ROOT@", ROOT).replace("@LAB_MMDB@", lab_mmdb)
                     for a in open(argfile)
                     if a.strip() and not a.startswith("#")]
        with tempfile.TemporaryDirectory() as td:
            geo = [] if "--geoip-db" in extra else ["--no-geoip"]
            p = subprocess.run([lolwire, "-q", "--seed", "1", *geo, *extra,
                                "-r", cap, "-o", td], capture_output=True, text=True)
            if p.returncode != 0:
                failures.append(f"{name}: exit {p.returncode}: {p.stderr.strip()}")
                continue
            for log in LOGS:
                path = os.path.join(td, log)
                got = masked(open(path).read()) if os.path.exists(path) else None
                gpath = os.path.join(gdir, log)
                if bless:
                    os.makedirs(gdir, exist_ok=True)
                    if got is None:
                        if os.path.exists(gpath):
                            os.remove(gpath)
                    else:
                        open(gpath, "w").write(got)
                    continue
                want = open(gpath).read() if os.path.exists(gpath) else None
                compared += 1
                if got != want:
                    diff = "".join(difflib.unified_diff(
                        (want or "").splitlines(True), (got or "").splitlines(True),
                        f"golden/{name}/{log}", f"lolwire/{name}/{log}", n=1))
                    failures.append(f"{name} {log} differs:\n{diff[:4000]}")
    if bless:
        print(f"golden: blessed {len(caps)} captures into {GOLDEN}; review `git diff tests/golden`")
        return 0
    for f in failures:
        print("  " + f)
    print(f"golden: {compared} logs of {len(caps)} captures compared, {len(failures)} differ")
    return 1 if failures or not caps else 0


if __name__ == "__main__":
    sys.exit(main())
