#!/usr/bin/env python3
"""The project's own HTTP capture set (pcaps/http-*.pcap, made by pcaps/make-http-set.sh
with real clients and servers): every payload is typed by its bytes as expected, and every
body transferred whole from byte 0 has the SHA-256 listed in pcaps/http-set.sha256 (which
the capture script computed from the bodies the client received).

Usage: http_set_check.py LOLWIRE
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from zeek_conn_compare import run_lolwire_logs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (capture, uri) -> the MIME type the body's bytes must give, whatever the Content-Type,
# extension or encoding.
EXPECT_MIME = {
    ("http-lolbin-payloads.pcap", "/setup.msi"): "application/x-msi",
    ("http-lolbin-payloads.pcap", "/doc.doc"): "application/x-ole-storage",  # OLE, not MSI
    ("http-lolbin-payloads.pcap", "/run.hta"): "application/hta",
    ("http-lolbin-payloads.pcap", "/page.html"): "application/hta",  # served as text/html
    ("http-lolbin-payloads.pcap", "/file.sct"): "text/scriptlet",    # served as text/plain
    ("http-lolbin-payloads.pcap", "/style.xsl"): "application/xslt+xml",
    ("http-lolbin-payloads.pcap", "/other.xsl"): "application/xslt+xml",  # other prefix
    ("http-lolbin-payloads.pcap", "/build.csproj"): "application/x-msbuild",
    ("http-lolbin-payloads.pcap", "/payload.exe"): "application/x-dosexec",
    ("http-lolbin-payloads.pcap", "/update.cab"): "application/vnd.ms-cab-compressed",
    ("http-lolbin-payloads.pcap", "/archive.zip"): "application/zip",
    ("http-lolbin-payloads.pcap", "/image.png"): "application/x-dosexec",   # PE as image/png
    ("http-lolbin-payloads.pcap", "/disguised.jpg"): "application/x-msi",   # MSI as image/jpeg
    ("http-chunked-gzip.pcap", "/update.html"): "application/hta",          # chunked + gzip
    ("http-chunked-gzip.pcap", "/a.ps1"): "text/x-powershell",              # deflate
    ("http-pipelining.pcap", "/logo.png"): "image/png",
    ("demo.pcap", "/setup.msi"): "application/x-msi",
}


def main():
    lolwire = sys.argv[1]
    failures, checked = [], 0
    caps = sorted({c for c, _ in EXPECT_MIME} | {ln.split()[1] for ln in
                  open(os.path.join(ROOT, "pcaps/http-set.sha256")) if ln.strip()})
    results = {}
    for cap in caps:
        with tempfile.TemporaryDirectory() as td:
            results[cap] = run_lolwire_logs(lolwire, os.path.join(ROOT, "pcaps", cap), None, td,
                                            ("http.log", "files.log", "conn.log"), ok_codes=(0,))
    for (cap, uri), want in EXPECT_MIME.items():
        rows = [r for r in results[cap]["http.log"] if r.get("uri") == uri]
        got = rows[0].get("resp_mime_types") if rows else None
        checked += 1
        if got != want:
            failures.append(f"{cap} {uri}: resp_mime_types {got}, want {want}")
    for ln in open(os.path.join(ROOT, "pcaps/http-set.sha256")):
        if not ln.strip():
            continue
        sha, cap, uri = ln.split()
        hashes = {r.get("sha256") for r in results[cap]["files.log"]}
        # Whole files are hashed; a range of a larger file (a 206 body, a part of a
        # multipart/byteranges body) is not, by policy, nor is the multipart wrapper.
        whole = "#" not in uri or uri.endswith("#request")
        if uri == "/files/tool.exe":
            whole = False  # transferred only in ranges: never one body
        checked += 1
        if whole and sha not in hashes:
            failures.append(f"{cap} {uri}: sha256 {sha} not in files.log")
        if not whole and sha in hashes:
            failures.append(f"{cap} {uri}: a body not starting at byte 0 was hashed")
    # Non-HTTP bytes on port 80 are abandoned; HTTP on 8080 is found.
    conns = results.get("http-nonhttp-port80.pcap", {}).get("conn.log", [])
    svc = {r["id.resp_p"]: r.get("service") for r in conns}
    checked += 1
    if svc.get("80") not in (None, "-") or svc.get("8080") != "http":
        failures.append(f"http-nonhttp-port80.pcap: services {svc}, want 80: -, 8080: http")
    for f in failures:
        print("  " + f)
    print(f"http capture set: {checked} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
