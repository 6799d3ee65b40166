#!/usr/bin/env python3
"""Community ID v1 against the spec's official vectors.

Runs lolwire on every capture in shared/corpus/community-id/pcaps with seed 0 and seed 1
and checks that every connection it logs has the community_id the spec's baseline
(baseline_deflt.json, baseline_seed1.json) gives for that tuple.  A connection without
a vector, or a vector tuple that lolwire never logged, is a failure too.

Usage: community_id_check.py LOLWIRE SHARED_DIR
"""
import glob
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from zeek_conn_compare import run_lolwire_logs  # noqa: E402


def tuples(vectors):
    out = {}
    for v in vectors:
        k = (v["proto"], v["saddr"], v.get("sport"), v["daddr"], v.get("dport"))
        out[k] = v["communityid"]
    return out


def main():
    lolwire, shared = sys.argv[1], sys.argv[2]
    base = os.path.join(shared, "corpus/community-id")
    pcaps = sorted(glob.glob(os.path.join(base, "pcaps/*.pcap*")))
    failures, checked = [], 0
    for seed, fname in ((0, "baseline_deflt.json"), (1, "baseline_seed1.json")):
        with open(os.path.join(base, fname)) as f:
            vec = tuples(json.load(f))
        seen = set()
        for pcap in pcaps:
            with tempfile.TemporaryDirectory() as td:
                rows = run_lolwire_logs(lolwire, pcap, None, td, ("conn.log",),
                                        ["--community-id-seed", str(seed)], (0,))["conn.log"]
            for r in rows:
                proto = int(r["ip_proto"])
                ports = proto in (1, 6, 17, 58, 132)
                sp = int(r["id.orig_p"]) if ports else None
                dp = int(r["id.resp_p"]) if ports else None
                fwd = (proto, r["id.orig_h"], sp, r["id.resp_h"], dp)
                rev = (proto, r["id.resp_h"], dp, r["id.orig_h"], sp)
                want = vec.get(fwd) or vec.get(rev)
                checked += 1
                if want is None:
                    failures.append(f"seed {seed} {os.path.basename(pcap)}: no vector for {fwd}")
                elif r["community_id"] != want:
                    failures.append(f"seed {seed} {os.path.basename(pcap)}: {fwd} "
                                    f"got {r['community_id']} want {want}")
                seen.add(fwd)
                seen.add(rev)
        for k in vec:
            if k not in seen:
                failures.append(f"seed {seed}: vector {k} matched no logged connection")
    for f in failures:
        print("  " + f)
    print(f"community_id: {checked} connections checked against the spec's vectors, "
          f"{len(failures)} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
