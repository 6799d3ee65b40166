#!/usr/bin/env bash
# make-demo.sh: record pcaps/demo.pcap, a small real capture of real clients talking to
# real servers, for `make demo` and the tests.
#
# Two network namespaces joined by one veth pair, nothing else:
#
#   lw-client  lw-c0  10.99.0.2/24  <---- veth ---->  lw-s0  10.99.0.1/24  lw-server
#
# tcpdump listens on lw-c0 inside lw-client while the client namespace runs, in order:
#   1. ping -c 3 10.99.0.1                                   (ICMP echo x3)
#   2. dig @10.99.0.1 updates.example.test A                 (dnsmasq answers 10.99.0.1)
#   3. curl against a Python HTTP/1.1 file server on :80      (MSI, HTA, CRL, PE, HTML, PNG)
#   4. openssl s_client against openssl s_server on :443     (SNI cdn.example.test, ALPN http/1.1)
#   5. curl to 10.99.0.1:8443, where nothing listens         (SYN answered by RST)
#
# Needs root (namespaces, tcpdump).  Installs missing Debian packages with apt-get.
# Idempotent: removes any namespaces left over from an earlier run, writes the capture to
# a temporary file and moves it into place only once it is complete and verified.  The
# served files, keys and logs live in a temporary directory that is removed on exit.
# No packet leaves the two namespaces.
#
# Usage: sudo bash pcaps/make-demo.sh [OUTPUT.pcap]     (default: pcaps/demo.pcap)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/demo.pcap}"

NS_C=lw-client
NS_S=lw-server
IF_C=lw-c0
IF_S=lw-s0
IP_C=10.99.0.2
IP_S=10.99.0.1
MAC_C=02:10:99:00:00:02
MAC_S=02:10:99:00:00:01
DNS_NAME=updates.example.test
TLS_NAME=cdn.example.test
CLOSED_PORT=8443

UA_BROWSER='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0'
UA_MSI='Windows Installer'
UA_HTA='Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; .NET4.0C; .NET4.0E)'
UA_CRYPTOAPI='Microsoft-CryptoAPI/10.0'
UA_CERTUTIL='CertUtil URL Agent'

# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"

# ---------------------------------------------------------------------------------------
# Tools.  command -> Debian package; install whatever is missing.
# ---------------------------------------------------------------------------------------
declare -A PKG_OF=(
    [ip]=iproute2 [ss]=iproute2 [ethtool]=ethtool [tcpdump]=tcpdump [python3]=python3
    [curl]=curl [openssl]=openssl [msibuild]=msitools [dnsmasq]=dnsmasq-base
    [dig]=dnsutils [ping]=iputils-ping
)
mapfile -t missing < <(lw_missing_commands)
lw_install "${missing[@]}"
HAVE_TSHARK=0
command -v tshark >/dev/null 2>&1 && HAVE_TSHARK=1

# Namespaces left by an interrupted run go first; netns-lib.sh cleans up on exit.
lw_remove_leftovers

TMP="$(mktemp -d /tmp/lolwire-demo.XXXXXX)"
WWW="$TMP/www"
mkdir -p "$WWW" "$TMP/tls" "$TMP/ca"

# ---------------------------------------------------------------------------------------
# Server-side content.
# ---------------------------------------------------------------------------------------
log "building served files in $TMP"

# index.html and the HTML Application.
cat >"$WWW/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Example Updates</title></head>
<body>
<h1><img src="logo.png" alt=""> Example Updates</h1>
<ul>
<li><a href="setup.msi">setup.msi</a></li>
<li><a href="payload.hta">payload.hta</a></li>
</ul>
</body>
</html>
EOF
printf '%s\n' '<html><head><hta:application id="x"/></head><body><script>/*demo*/</script></body></html>' \
    >"$WWW/payload.hta"

# logo.png (16x16 RGB) and payload.exe (a tiny fake PE: MZ, e_lfanew = 0x80, "PE\0\0").
python3 - "$WWW" <<'EOF'
import struct, sys, zlib
www = sys.argv[1]

def chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

w = h = 16
rows = b"".join(b"\x00" + b"".join(bytes((16 * x, 16 * y, 0xA0)) for x in range(w))
                for y in range(h))
png = (b"\x89PNG\r\n\x1a\n"
       + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows, 9))
       + chunk(b"IEND", b""))
open(f"{www}/logo.png", "wb").write(png)

pe = bytearray(512)
pe[0:2] = b"MZ"
struct.pack_into("<HHHH", pe, 2, 0x90, 3, 0, 4)           # e_cblp, e_cp, e_crlc, e_cparhdr
struct.pack_into("<I", pe, 0x3C, 0x80)                     # e_lfanew
stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21" \
       b"This program cannot be run in DOS mode.\r\r\n$"
pe[0x40:0x40 + len(stub)] = stub
pe[0x80:0x84] = b"PE\0\0"
# COFF header: AMD64, no sections, a timestamp, no symbols, PE32+ optional header, EXE flags.
struct.pack_into("<HHIIIHH", pe, 0x84, 0x8664, 0, 0x65000000, 0, 0, 0xF0, 0x0022)
opt = 0x98                                                 # PE32+ optional header
struct.pack_into("<H", pe, opt, 0x20B)                     # Magic
struct.pack_into("<Q", pe, opt + 24, 0x140000000)          # ImageBase
struct.pack_into("<II", pe, opt + 32, 0x1000, 0x200)       # Section/FileAlignment
struct.pack_into("<HH", pe, opt + 48, 6, 0)                # MajorSubsystemVersion 6.0
struct.pack_into("<II", pe, opt + 56, 0x1000, 0x200)       # SizeOfImage, SizeOfHeaders
struct.pack_into("<H", pe, opt + 68, 3)                    # Subsystem: Windows console
struct.pack_into("<I", pe, opt + 108, 16)                  # NumberOfRvaAndSizes
open(f"{www}/payload.exe", "wb").write(bytes(pe))
EOF

# setup.msi: a minimal Windows Installer database built with msitools' msibuild.
msi="$WWW/setup.msi"
msibuild "$msi" -s "Example Updater" "Example Corp" "x64;1033" "{3F2504E0-4F89-41D3-9A0C-0305E82C3301}"
msibuild "$msi" -q 'CREATE TABLE `Property` (`Property` CHAR(72) NOT NULL, `Value` LONGCHAR NOT NULL LOCALIZABLE PRIMARY KEY `Property`)'
for kv in "ProductName=Example Updater" "ProductVersion=1.0.0" "Manufacturer=Example Corp" \
          "ProductLanguage=1033" "ProductCode={8B1D5C36-7C0E-4E8A-9F3B-2D4A6E1C9B70}" \
          "UpgradeCode={C4A3F0B2-51D7-4B9E-8E2A-7F60D3B1A845}"; do
    msibuild "$msi" -q "INSERT INTO \`Property\` (\`Property\`, \`Value\`) VALUES ('${kv%%=*}', '${kv#*=}')"
done
msiinfo export "$msi" Property >/dev/null || die "msibuild produced an unreadable MSI"

# crl.crl: a DER CRL signed by a throw-away CA, via openssl ca -gencrl.
CA="$TMP/ca"
: >"$CA/index.txt"
echo 01 >"$CA/crlnumber"
cat >"$CA/ca.cnf" <<EOF
[ ca ]
default_ca = demo_ca
[ demo_ca ]
database         = $CA/index.txt
crlnumber        = $CA/crlnumber
default_md       = sha256
default_crl_days = 30
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj "/CN=Example Demo Root CA" -keyout "$CA/ca.key" -out "$CA/ca.crt" 2>/dev/null
openssl ca -batch -gencrl -config "$CA/ca.cnf" -keyfile "$CA/ca.key" -cert "$CA/ca.crt" \
    -out "$CA/crl.pem" 2>/dev/null
openssl crl -in "$CA/crl.pem" -outform DER -out "$WWW/crl.crl"

# TLS server certificate: self-signed, CN cdn.example.test.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj "/CN=$TLS_NAME" -addext "subjectAltName=DNS:$TLS_NAME" \
    -keyout "$TMP/tls/server.key" -out "$TMP/tls/server.crt" 2>/dev/null

# HTTP/1.1 file server (python's -m http.server speaks HTTP/1.0, so no keep-alive).
cat >"$TMP/httpd.py" <<'EOF'
import functools, http.server, sys
addr, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    extensions_map = {
        "": "application/octet-stream",
        ".html": "text/html",
        ".png": "image/png",
        ".msi": "application/x-msi",
        ".hta": "application/hta",
        ".crl": "application/pkix-crl",
        ".exe": "application/x-msdownload",
    }

http.server.ThreadingHTTPServer.allow_reuse_address = True
srv = http.server.ThreadingHTTPServer((addr, port), functools.partial(Handler, directory=root))
srv.serve_forever()
EOF

# ---------------------------------------------------------------------------------------
# Namespaces and the veth pair.
# ---------------------------------------------------------------------------------------
lw_make_namespaces

# ---------------------------------------------------------------------------------------
# Servers (started before the capture, so their start-up is not in it).
# ---------------------------------------------------------------------------------------
log "starting dnsmasq, HTTP server, openssl s_server in $NS_S"
ip netns exec "$NS_S" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --bind-interfaces --listen-address="$IP_S" --port=53 --user=root \
    --address="/$DNS_NAME/$IP_S" --address="/$TLS_NAME/$IP_S" \
    --pid-file="$TMP/dnsmasq.pid" --log-facility="$TMP/dnsmasq.log" --log-queries \
    2>>"$TMP/dnsmasq.log" &
PIDS+=($!)
ip netns exec "$NS_S" python3 "$TMP/httpd.py" "$IP_S" 80 "$WWW" 2>"$TMP/httpd.log" &
PIDS+=($!)
# -rev: reply to each line with it reversed, so no terminal is needed; -naccept 1: exit after one client.
ip netns exec "$NS_S" openssl s_server -accept "$IP_S:443" -cert "$TMP/tls/server.crt" -key "$TMP/tls/server.key" \
    -alpn http/1.1 -rev -naccept 1 </dev/null >"$TMP/s_server.log" 2>&1 &
PIDS+=($!)

wait_listen() {  # wait_listen PROTO(t|u) PORT
    for _ in $(seq 100); do
        [ -n "$(ins ss -Hln"$1" "sport = :$2")" ] && return 0
        sleep 0.1
    done
    die "nothing listening on $1 port $2 in $NS_S"
}
wait_listen u 53
wait_listen t 80
wait_listen t 443
[ -z "$(ins ss -Hlnt "sport = :$CLOSED_PORT")" ] || die "port $CLOSED_PORT is open in $NS_S"

# ---------------------------------------------------------------------------------------
# Capture.
# ---------------------------------------------------------------------------------------
PCAP_TMP="$TMP/demo.pcap"
log "capturing on $IF_C in $NS_C"
ip netns exec "$NS_C" tcpdump -i "$IF_C" -w "$PCAP_TMP" -s 0 -U -nn -Z root 2>"$TMP/tcpdump.log" &
TCPDUMP_PID=$!
PIDS+=("$TCPDUMP_PID")
for _ in $(seq 100); do
    grep -q "listening on" "$TMP/tcpdump.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "listening on" "$TMP/tcpdump.log" || die "tcpdump did not start: $(cat "$TMP/tcpdump.log")"
sleep 0.5

URL="http://$DNS_NAME"
CURL=(curl -sS --fail --resolve "$DNS_NAME:80:$IP_S" -o /dev/null)

log "1. ping"
inc ping -c 3 -i 0.5 -n "$IP_S" >/dev/null
sleep 0.5

log "2. DNS"
answer="$(inc dig +short +tries=1 +time=3 @"$IP_S" "$DNS_NAME" A)"
[ "$answer" = "$IP_S" ] || die "DNS answer was '$answer', expected $IP_S"
sleep 0.5

log "3. HTTP"
inc "${CURL[@]}" -A "$UA_BROWSER" "$URL/index.html"
sleep 0.3
inc "${CURL[@]}" -A "$UA_BROWSER" -e "$URL/index.html" "$URL/logo.png"
sleep 0.3
inc "${CURL[@]}" -A "$UA_MSI" "$URL/setup.msi"
sleep 0.3
inc "${CURL[@]}" -A "$UA_HTA" "$URL/payload.hta"
sleep 0.3
inc "${CURL[@]}" -A "$UA_CRYPTOAPI" "$URL/crl.crl"
sleep 0.3
# Keep-alive: two requests on one connection.
inc curl -sS --fail --resolve "$DNS_NAME:80:$IP_S" -A "$UA_BROWSER" \
    -o /dev/null "$URL/index.html" -o /dev/null "$URL/logo.png"
sleep 0.3
inc "${CURL[@]}" -A "$UA_CERTUTIL" -H 'Cache-Control: no-cache' -H 'Pragma: no-cache' "$URL/payload.exe"
sleep 0.5

log "4. TLS"
{ printf 'hello %s\n' "$TLS_NAME"; sleep 1; } |
    inc openssl s_client -connect "$IP_S:443" -servername "$TLS_NAME" -alpn http/1.1 \
        >"$TMP/s_client.log" 2>&1
grep -q "ALPN protocol: http/1.1" "$TMP/s_client.log" || die "TLS: no ALPN http/1.1 (see s_client output)"
sleep 0.5

log "5. TCP to closed port $CLOSED_PORT"
rc=0
inc curl -sS -o /dev/null --connect-timeout 3 "http://$IP_S:$CLOSED_PORT/" 2>/dev/null || rc=$?
[ "$rc" -eq 7 ] || die "connection to closed port: curl exit $rc, expected 7 (refused)"

sleep 1   # trailing FIN/ACKs
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || die "tcpdump exited with $?: $(cat "$TMP/tcpdump.log")"
grep -E "packets (captured|dropped)" "$TMP/tcpdump.log" | sed 's/^/make-demo: tcpdump: /' >&2

# ---------------------------------------------------------------------------------------
# Verify.
# ---------------------------------------------------------------------------------------
log "verifying"
fail=0
check() {  # check DESCRIPTION COUNT MIN
    if [ "$2" -ge "$3" ]; then printf '  ok    %-58s %s\n' "$1" "$2"
    else printf '  FAIL  %-58s %s (want >= %s)\n' "$1" "$2" "$3"; fail=1; fi
}
count_bpf() { tcpdump -nn -r "$PCAP_TMP" "$1" 2>/dev/null | wc -l; }

size=$(stat -c %s "$PCAP_TMP")
npkts=$(tcpdump -nn -r "$PCAP_TMP" 2>/dev/null | wc -l)
# Link-level frame lengths: with -e every line starts "... ethertype X (0x....), length N: ...".
frame_lens() { tcpdump -nn -e -r "$PCAP_TMP" 2>/dev/null | grep -o 'ethertype [^,]*, length [0-9]*' | awk '{print $NF}'; }
maxlen=$(frame_lens | sort -n | tail -1)

echo "demo.pcap: $npkts packets, $size bytes, largest frame $maxlen bytes"
check "ICMP echo requests" "$(count_bpf 'icmp[icmptype] == icmp-echo')" 3
check "ICMP echo replies" "$(count_bpf 'icmp[icmptype] == icmp-echoreply')" 3
check "DNS over UDP to :53" "$(count_bpf 'udp dst port 53')" 1
check "DNS over UDP from :53" "$(count_bpf 'udp src port 53')" 1
check "TCP SYN to :80" "$(count_bpf 'tcp dst port 80 and tcp[tcpflags] == tcp-syn')" 7
check "TCP SYN to :443" "$(count_bpf 'tcp dst port 443 and tcp[tcpflags] == tcp-syn')" 1
check "TCP RST from :$CLOSED_PORT" "$(count_bpf "tcp src port $CLOSED_PORT and tcp[tcpflags] & tcp-rst != 0")" 1
over=$(frame_lens | awk '$1 > 1514' | wc -l)
if [ "$over" -eq 0 ]; then echo "  ok    no frame larger than 1514 bytes"; else echo "  FAIL  $over frames larger than 1514 bytes"; fail=1; fi
if [ "$size" -lt 1048576 ]; then echo "  ok    smaller than 1 MB"; else echo "  FAIL  $size bytes, not < 1 MB"; fail=1; fi

if [ "$HAVE_TSHARK" -eq 1 ]; then
    ts() { tshark -n -r "$PCAP_TMP" "$@" 2>/dev/null; }
    check "DNS answer $DNS_NAME -> $IP_S" \
        "$(ts -Y "dns.flags.response == 1 && dns.qry.name == \"$DNS_NAME\" && dns.a == $IP_S" | wc -l)" 1
    for pair in "setup.msi|$UA_MSI" "payload.hta|$UA_HTA" "crl.crl|$UA_CRYPTOAPI" \
                "payload.exe|$UA_CERTUTIL" "index.html|$UA_BROWSER" "logo.png|$UA_BROWSER"; do
        uri="/${pair%%|*}"; ua="${pair#*|}"
        check "GET $uri  UA ${ua:0:40}" \
            "$(ts -Y "http.request.uri == \"$uri\" && http.user_agent == \"$ua\"" | wc -l)" 1
    done
    check "HTTP 200 responses" "$(ts -Y 'http.response.code == 200' | wc -l)" 8
    check "connection with 2 HTTP requests (keep-alive)" \
        "$(ts -Y http.request -T fields -e tcp.stream | sort | uniq -c | awk '$1 >= 2' | wc -l)" 1
    check "TLS ClientHello SNI $TLS_NAME ALPN http/1.1" \
        "$(ts -Y "tls.handshake.extensions_server_name == \"$TLS_NAME\" && tls.handshake.extensions_alpn_str == \"http/1.1\"" | wc -l)" 1
    check "TLS ServerHello" "$(ts -Y 'tls.handshake.type == 2' | wc -l)" 1
    tmax=$(ts -T fields -e frame.len | sort -n | tail -1)
    if [ "$tmax" -le 1514 ]; then echo "  ok    tshark: largest frame $tmax bytes"; else echo "  FAIL  tshark: frame of $tmax bytes"; fail=1; fi
else
    log "tshark not installed: skipping the protocol-level checks"
fi
[ "$fail" -eq 0 ] || die "verification failed; capture left out of place (not written to $OUT)"

mv -f "$PCAP_TMP" "$OUT.tmp.$$"
chmod 0644 "$OUT.tmp.$$"
mv -f "$OUT.tmp.$$" "$OUT"
log "wrote $OUT"

echo
echo "Conversations (client 10.99.0.2 -> server 10.99.0.1):"
if [ "$HAVE_TSHARK" -eq 1 ]; then
    tshark -n -r "$OUT" -q -z conv,tcp -z conv,udp 2>/dev/null | grep -E '<->|Conversations' || true
    echo
    tshark -n -r "$OUT" -Y 'http.request' -T fields -e tcp.srcport -e http.request.method \
        -e http.request.uri -e http.user_agent 2>/dev/null |
        awk -F'\t' '{ printf "  10.99.0.2:%s -> :80  %s %-13s UA: %s\n", $1, $2, $3, $4 }' || true
else
    tcpdump -nn -r "$OUT" 'tcp[tcpflags] & tcp-syn != 0 and not tcp[tcpflags] & tcp-ack != 0' 2>/dev/null
fi
