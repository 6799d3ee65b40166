#!/usr/bin/env python3
"""Write docs/detections.md, the detection catalogue, from rules/builtin.rules.

The rules file is the single source: each rule's id, sid, note, ATT&CK techniques,
severity, message, description (desc), evidence (its match lines), known false
positives (fp) and references (ref).  `make test` checks the document is current:

    scripts/gen-detections-doc.py            rewrite docs/detections.md
    scripts/gen-detections-doc.py --check    exit 1 if it is out of date
"""
import os
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = os.path.join(ROOT, "rules", "builtin.rules")
DOC = os.path.join(ROOT, "docs", "detections.md")

TECHNIQUES = {
    "T1105": "Ingress Tool Transfer",
    "T1197": "BITS Jobs",
    "T1218": "System Binary Proxy Execution",
    "T1218.005": "System Binary Proxy Execution: Mshta",
    "T1218.007": "System Binary Proxy Execution: Msiexec",
    "T1218.010": "System Binary Proxy Execution: Regsvr32",
    "T1220": "XSL Script Processing",
    "T1127.001": "Trusted Developer Utilities Proxy Execution: MSBuild",
    "T1059.001": "Command and Scripting Interpreter: PowerShell",
    "T1036.008": "Masquerading: Masquerade File Type",
    "T1568.002": "Dynamic Resolution: Domain Generation Algorithms / dynamic DNS",
    "T1102": "Web Service",
    "T1204.002": "User Execution: Malicious File",
}

INTRO = """# Detection catalogue

Generated from [`rules/builtin.rules`](../rules/builtin.rules) by
`scripts/gen-detections-doc.py`; do not edit by hand (`make test` checks it is current).
The rule language is in [rules.md](rules.md); notices and alerts in [logs.md](logs.md).

**How to read it.** Each rule belongs to a *note* (a finding's family, Zeek's `note`
field). When several rules of one note match one HTTP transaction or TLS connection, only
the most severe is written: one notice per finding per transaction. Severity reflects the
evidence combined: a LOLBin user agent together with a matching payload is `high`; one
weak signal alone is `low` or `info`. `info` rules are for hunting and are written only
with `--min-severity info`. Payload types come from the bytes of the decoded body
(de-chunked, decompressed), never from the name or the Content-Type, which are evidence
for the mismatch rules. Raw-IP rules ignore private, loopback and link-local addresses and
the site's own networks (`--local-nets`).

**Benign look-alikes the rules stay quiet on** (checked by `tests/detect_check.py` on
real captures): Windows Update over BITS with ranged downloads
(`Microsoft BITS/6.6`, `7.0`, windowsupdate.com hosts), CryptoAPI fetching CRLs,
certificates, OCSP responses and authroot CTL cabinets, Delivery Optimization from
raw-IP caches (allowlisted by user agent), browsers downloading ZIP, PNG, HTML and RSS,
an OLE document that is not an MSI, curl fetching an ISO from localhost.
"""


def parse(path):
    rules, lists, cur = [], {}, None
    for lineno, raw in enumerate(open(path), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line, comments=True, posix=True)
        if cur is None:
            if words[0] == "rule":
                cur = {"id": words[1], "match": [], "ref": [], "fp": [], "desc": []}
        elif words == ["end"]:
            rules.append(cur)
            cur = None
        elif words[0] == "match":
            cur["match"].append(line[len("match"):].strip())
        elif words[0] in ("ref", "fp", "desc"):
            cur[words[0]].append(" ".join(words[1:]))
        else:
            cur[words[0]] = " ".join(words[1:])
    return rules


def md(s):
    return s.replace("|", "\\|")


def render(rules):
    out = [INTRO]
    notes = []
    for r in rules:
        if r["note"] not in notes:
            notes.append(r["note"])
    out.append("\n## Summary\n\n| rule | sid | severity | ATT&CK | note |\n|---|---|---|---|---|\n")
    for r in rules:
        out.append(f"| [{r['id']}](#{r['id'].lower()}) | {r['sid']} | {r['severity']} | "
                   f"{r['technique']} | `{r['note']}` |\n")
    for note in notes:
        group = [r for r in rules if r["note"] == note]
        techs = sorted({t for r in group for t in r["technique"].split()})
        out.append(f"\n## {note}\n\nATT&CK: " + ", ".join(
            f"{t} ({TECHNIQUES.get(t, '')})" for t in techs) + "\n")
        for r in group:
            out.append(f"\n### {r['id']}\n\n**{md(r['msg'])}.** sid {r['sid']}, severity "
                       f"`{r['severity']}`, technique {r['technique']}.\n")
            if r["desc"]:
                out.append("\n" + " ".join(r["desc"]) + "\n")
            out.append("\nEvidence (all must hold; `or` within a line):\n\n")
            for m in r["match"]:
                out.append(f"- `{m}`\n")
            out.append("\nKnown false positives: " + (" ".join(r["fp"]) or "none documented") + "\n")
            if r["ref"]:
                out.append("\nReferences: " + "; ".join(r["ref"]) + "\n")
    return "".join(out)


def main():
    text = render(parse(RULES))
    if "--check" in sys.argv:
        cur = open(DOC).read() if os.path.exists(DOC) else ""
        if cur != text:
            print("docs/detections.md is out of date: run scripts/gen-detections-doc.py")
            return 1
        print("docs/detections.md is current")
        return 0
    open(DOC, "w").write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
