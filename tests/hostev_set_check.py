#!/usr/bin/env python3
"""The host-event capture set (pcaps/make-hostev-set.sh, manifest pcaps/hostev/manifest.tsv):
three hosts with clock offsets +2 s, -30 s and +3 days, each host's Sysmon, MsiInstaller
and BITS events in three formats (ECS JSON, flat JSON, one-line event XML).

For every capture and every format of its host's events:
- every row is attributed to the process the manifest names (BITS transfers: svchost.exe
  by the 5-tuple, or the bitsadmin.exe that asked for the URL), TLS rows with only the SNI
  visible included;
- every LOLBin row raises a notice (LOLBin::Process_Download, severity medium or above)
  naming the process; decoys (Edge, svchost's CryptSvc) are attributed and raise nothing
  above info;
- the three formats give the same attributions.
And pcaps/hostev/garbage.jsonl: its 20 events are read and its 7 bad lines skipped; the
empty one is ignored (blank lines are not garbage), the other 6 are counted.

    hostev_set_check.py LOLWIRE
"""
import csv
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zeek_conn_compare import log_rows as rows  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEV = {"info": 1, "low": 2, "medium": 3, "high": 4}



def base(path):
    return re.split(r"[\\/]", path.replace("\\\\", "\\"))[-1].lower()


def main():
    lolwire = sys.argv[1]
    problems = []
    with open(os.path.join(ROOT, "pcaps", "hostev", "manifest.tsv"), newline="") as f:
        manifest = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    checked = lol = decoys = 0
    with tempfile.TemporaryDirectory() as td:
        for cap in sorted({r["capture"] for r in manifest}):
            mine = [r for r in manifest if r["capture"] == cap]
            host = mine[0]["host"]
            seen = {}
            for fmt in ("ecs.jsonl", "flat.jsonl", "splunk.xml"):
                d = os.path.join(td, f"{cap}-{fmt}")
                feed = os.path.join(ROOT, "pcaps", "hostev", f"{host}.{fmt}")
                p = subprocess.run([lolwire, "-q", "--seed", "1", "-r",
                                    os.path.join(ROOT, "pcaps", cap), "--host-events", feed,
                                    "-o", d, "--min-severity", "info"],
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    problems.append(f"{cap} {fmt}: exit {p.returncode}: {p.stderr[-300:]}")
                    continue
                http, ssl, notices = rows(d, "http.log"), rows(d, "ssl.log"), rows(d, "notice.log")
                got = []
                for r in mine:
                    what = f"{cap} {fmt} {r['method']} {r['server_name']}{r['uri'] if r['uri'] != '-' else ''}"
                    if r["method"] == "TLS":
                        hit = [s for s in ssl if s["server_name"] == r["server_name"]]
                    else:
                        hit = [h for h in http if h["method"] == r["method"] and
                               h["uri"] == r["uri"] and h["host"].split(":")[0] == r["server_name"]
                               and h["user_agent"] == r["user_agent"]]
                    if not hit:
                        problems.append(f"{what}: not in the logs")
                        continue
                    checked += 1
                    for h in hit:
                        img = base(h["proc.image"]) if h["proc.image"] != "-" else "-"
                        want = base(r["process_image"])
                        ok = img == want
                        if want == "svchost.exe" and "bitsadmin" in r["description"].lower():
                            ok = ok or (img == "bitsadmin.exe" and h["proc.match"] in ("url", "bits-url"))
                        if not ok:
                            problems.append(f"{what}: attributed to {img} ({h['proc.match']}), "
                                            f"want {want}")
                        got.append((r["method"], r["server_name"], r["uri"], img, h["proc.match"]))
                        ns = [n for n in notices if n["uid"] == h["uid"] and
                              (r["method"] == "TLS" or n["trans_depth"] == h["trans_depth"])]
                        top = max((SEV[n["severity"]] for n in ns), default=0)
                        if r["expect"] == "lolbin":
                            lol += 1
                            if not any(n["note"] == "LOLBin::Process_Download" and
                                       SEV[n["severity"]] >= SEV["medium"] and
                                       n["proc.image"] == h["proc.image"] for n in ns):
                                problems.append(f"{what}: no Process_Download notice: "
                                                f"{[n['rule'] for n in ns]}")
                        elif r["expect"] == "decoy":
                            decoys += 1
                            if top > SEV["info"]:
                                problems.append(f"{what}: decoy raised "
                                                f"{[n['rule'] + '/' + n['severity'] for n in ns]}")
                seen[fmt] = got
            if len({tuple(v) for v in seen.values()}) > 1:
                problems.append(f"{cap}: the three formats attribute differently")
        # garbage feed
        d = os.path.join(td, "garbage")
        p = subprocess.run([lolwire, "-v", "-o", d, "--host-events",
                            os.path.join(ROOT, "pcaps", "hostev", "garbage.jsonl")],
                           capture_output=True, text=True, errors="replace")
        n = len(rows(d, "host_events.log"))
        if p.returncode != 0 or n != 20 or not re.search(r"hostev_garbage\s+6\b", p.stderr):
            problems.append(f"garbage.jsonl: exit {p.returncode}, {n} events (want 20); "
                            f"{p.stderr[-400:]}")
    for pr in problems:
        print("  " + pr)
    print(f"hostev set: {checked} rows x formats checked ({lol} LOLBin, {decoys} decoy "
          f"transactions); {len(problems)} problems")
    return 1 if problems or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
