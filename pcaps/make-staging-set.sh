#!/usr/bin/env bash
# make-staging-set.sh: record pcaps/detect-staging.pcap, a real capture of encrypted or
# encoded payload staging over HTTP (issue 11: high-entropy bytes of no known type served
# under an image or document Content-Type) and of benign look-alikes that must stay quiet
# (real PNG/JPEG/WebP, gzip-encoded HTML and SVG, ranged video fetches), plus its manifest,
# pcaps/detect-staging.tsv (same columns as detect-set.tsv; tests/detect_check.py reads
# every pcaps/detect-*.tsv), and pcaps/detect-staging.sha256 (SHA-256 of every body).
#
# Real clients talk to a real server: curl (with each client's User-Agent and headers; no
# User-Agent via -H 'User-Agent:'), and a python3 raw socket where curl cannot send the
# exact request (.NET WebClient: no User-Agent and no Accept), against an HTTP/1.1 server
# written here in python3 that does its own framing (the design of make-detect-set.sh).
#
# Two network namespaces joined by one veth pair, nothing else (the approach of
# make-detect-set.sh, with other names and addresses so the scripts never collide).  The
# server namespace also holds one "internet" address on its loopback, which the client
# reaches through 10.97.41.1; the client namespace has no default route:
#
#   lwstg-c  lwstg-c0  10.97.41.2/24  <---- veth ---->  lwstg-s0  10.97.41.1/24  lwstg-s
#            route 198.51.100.77/32 via 10.97.41.1                lo: 198.51.100.77/32 ("media CDN")
#
# Host names are mapped with curl --resolve (the capture holds no DNS).  One table (ROWS in
# lws.py below) drives the clients, the server, the checks and the manifest.  Every served
# body is deterministic (seeded random bytes, python-written PNG, cjpeg and cwebp of a
# seeded noise image, gzip with mtime 0), so its SHA-256 is the same on every run; the
# capture itself is not byte-reproducible (ports, times, Date headers).
#
# Needs root (namespaces, tcpdump).  Installs missing Debian packages with apt-get.
# Idempotent: removes namespaces left over from an earlier run, writes the capture to a
# temporary file and moves it (with the manifest and hashes) into place only when it is
# verified.  The served files and logs live in a temporary directory that is removed on
# exit.  No packet leaves the two namespaces.
#
# Usage: sudo bash pcaps/make-staging-set.sh [OUTPUT-DIR]     (default: pcaps/)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="$(cd "${1:-$HERE}" && pwd)"

NS_C=lwstg-c
NS_S=lwstg-s
IF_C=lwstg-c0
IF_S=lwstg-s0
IP_C=10.97.41.2
IP_S=10.97.41.1
MAC_C=02:10:97:41:00:02
MAC_S=02:10:97:41:00:01
EXT_ADDRS=(198.51.100.77)    # on lo in lwstg-s, routed via $IP_S
PY=/usr/bin/python3
CAPTURE=detect-staging
export LWS_NS_C=$NS_C LWS_NS_S=$NS_S LWS_IP_C=$IP_C LWS_IP_S=$IP_S

# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"

# ---------------------------------------------------------------------------------------
# Tools.  command -> Debian package; install whatever is missing.
# ---------------------------------------------------------------------------------------
declare -A PKG_OF=(
    [ip]=iproute2 [ss]=iproute2 [ethtool]=ethtool [tcpdump]=tcpdump [tshark]=tshark
    [curl]=curl [file]=file [sha256sum]=coreutils [taskset]=util-linux [cjpeg]=libjpeg-turbo-progs [cwebp]=webp
)
mapfile -t missing < <(lw_missing_commands)
[ -x "$PY" ] || missing+=(python3)
lw_install "${missing[@]}"

# Namespaces left by an interrupted run go first; netns-lib.sh cleans up on exit.
lw_remove_leftovers

TMP="$(mktemp -d /tmp/lolwire-staging.XXXXXX)"
WWW="$TMP/www"      # what the server serves
PC="$TMP/pcap"      # the capture before it is moved into place
mkdir -p "$WWW" "$TMP/got" "$PC"

# ---------------------------------------------------------------------------------------
# lws.py: the table, content builder, HTTP server, clients, checks, manifest.
# ---------------------------------------------------------------------------------------
cat >"$TMP/lws.py" <<'PYEOF'
"""Helper for make-staging-set.sh.  One table (ROWS) drives the clients, the server, the
checks and the manifest, so they cannot drift apart.

  lws.py check-table                  consistency checks of the table
  lws.py build TMP                    write the served files (and the noise image for cjpeg/cwebp)
  lws.py check-bodies TMP             entropy and type expectations of what is served
  lws.py manifest                     print detect-staging.tsv
  lws.py hashes TMP                   print detect-staging.sha256
  lws.py serve TMP PORT               HTTP/1.1 server with hand-made framing (server namespace)
  lws.py run TMP                      the clients (root namespace; each runs through `ip netns exec`)
  lws.py raw TMP CONN                 raw-socket client for one connection (client namespace)
  lws.py verify PCAP TMP              check the capture with tshark against the table
  lws.py summary TMP                  print the rows
"""
import collections, email.utils, gzip, hashlib, math, os, random, re, socket, socketserver
import struct, subprocess, sys, time, zlib

NS_C = os.environ.get("LWS_NS_C", "lwstg-c")
NS_S = os.environ.get("LWS_NS_S", "lwstg-s")
IP_C = os.environ.get("LWS_IP_C", "10.97.41.2")
IP_S = os.environ.get("LWS_IP_S", "10.97.41.1")
CDN = "198.51.100.77"      # "media CDN" on the internet
SERVER_ADDRS = (IP_S, CDN)
PY = sys.executable or "/usr/bin/python3"
CAP = "detect-staging"
MAX_PCAP = 4 * 1024 * 1024
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
SERVER = "lolwire-testd/1.0 Python/" + ".".join(map(str, sys.version_info[:3]))
KB = 1024

UA_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.0.0 Safari/537.36")
UA_WINHTTP = "Mozilla/4.0 (compatible; Win32; WinHttp.WinHttpRequest.5)"
UA_PYREQ = "python-requests/2.31.0"
UA_CURL = "curl/8.4.0"
UA_OKHTTP = "okhttp/4.12.0"
UA_VLC = "VLC/3.0.18 LibVLC/3.0.18"
ACCEPT_IMG = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

# Client profiles: (User-Agent or None for no header at all, request headers, client).
# curl adds Host (and Accept: */*, which "Accept:" removes); a header given per row replaces
# the profile's header of the same name.
PROFILES = {
    "webclient": (None, ["Connection: Keep-Alive"], "raw"),      # .NET WebClient: raw socket
    "noua":      (None, ["Accept: */*"], "curl"),                 # curl -H 'User-Agent:'
    "winhttp":   (UA_WINHTTP, ["Accept: */*", "Connection: Keep-Alive"], "curl"),
    "pyreq":     (UA_PYREQ, ["Accept-Encoding: gzip, deflate", "Accept: */*",
                             "Connection: keep-alive"], "curl"),
    "curl":      (UA_CURL, ["Accept: */*"], "curl"),
    "chrome":    (UA_CHROME, ["Accept: " + ACCEPT_IMG, "Accept-Language: en-US,en;q=0.9",
                              "Accept-Encoding: gzip, deflate", "Connection: keep-alive"], "curl"),
    "okhttp":    (UA_OKHTTP, ["Connection: Keep-Alive", "Accept-Encoding: gzip"], "curl"),
    "vlc":       (UA_VLC, ["Accept: */*", "Accept-Language: en_US"], "curl"),
}

# Host name -> server address.
IP_OF = {h: CDN for h in ("static.example-media.net", "img.example-media.net",
                          "docs.example-files.net", "www.example-news.com",
                          "video.example-stream.net")}


class Row:
    def __init__(self, conn, method, host, uri, prof, expect, note, tech, desc, body,
                 ctype, enc=None, rng=None, hdrs=()):
        self.conn, self.method, self.host, self.uri = conn, method, host, uri
        self.prof, self.expect, self.note, self.tech, self.desc = prof, expect, note, tech, desc
        self.ua, _, self.client = PROFILES[prof]
        self.body, self.ctype, self.enc, self.rng, self.hdrs = body, ctype, enc, rng, list(hdrs)
        self.status = 206 if rng else 200
        self.ip = IP_OF.get(host, host)
        self.port = 80

    def key(self):
        return (self.method, self.host, self.uri, self.ua or "-")

    def url(self):
        return "http://%s%s" % (self.host, self.uri)


ROWS = []


def add(*a, **kw):
    ROWS.append(Row(*a, **kw))


A, STG, TECH = "alert", "LOLBin::Encrypted_Staging", "T1027.013"
S = "static.example-media.net"
MOVIE = "/v/movie.mp4"
MOVIE_SIZE = 5 * 1024 * KB

# ---- staging: random bytes of no known type under a media or document Content-Type -------
add(1, "GET", S, "/x/Abc.png", "webclient", A, STG, TECH,
    "no User-Agent (.NET WebClient, raw socket): 512 KB of random bytes (no magic) as image/png",
    body="abc.png", ctype="image/png")
add(2, "GET", "img.example-media.net", "/img/banner.jpg", "winhttp", A, STG, TECH,
    "WinHttp.WinHttpRequest.5.1: 300 KB of random bytes (no magic) as image/jpeg",
    body="banner.jpg", ctype="image/jpeg")
add(3, "GET", "docs.example-files.net", "/docs/invoice.pdf", "pyreq", A, STG, TECH,
    "python-requests: 200 KB of random bytes (no %PDF- header) as application/pdf",
    body="invoice.pdf", ctype="application/pdf")
add(4, "GET", S, "/media/clip.gif", "curl", A, STG, TECH,
    "curl: 150 KB of random bytes (no GIF8 header) as image/gif", body="clip.gif", ctype="image/gif")
add(5, "GET", S, "/x/photo.png", "chrome", "low-max", "-", "-",
    "Chrome UA: 256 KB of random bytes (no magic) as image/png (at most low with a browser UA)",
    body="photo.png", ctype="image/png", hdrs=["Referer: http://static.example-media.net/"])

# ---- look-alikes that must stay quiet -----------------------------------------------------
G = "/gallery/"
add(6, "GET", S, G + "texture.png", "webclient", "quiet", "-", "-",
    "no User-Agent: real PNG (python zlib, 256x192 RGB noise, valid CRCs), high-entropy IDAT",
    body="texture.png", ctype="image/png")
add(6, "GET", S, G + "noise.jpg", "webclient", "quiet", "-", "-",
    "no User-Agent, same connection: real JPEG (cjpeg -quality 85 of 512x384 RGB noise), high entropy",
    body="noise.jpg", ctype="image/jpeg")
add(7, "GET", "img.example-media.net", "/thumbs/card.webp", "okhttp", "quiet", "-", "-",
    "okhttp (non-browser): real WebP (cwebp -q 80 of 512x384 RGB noise, RIFF/WEBP/VP8), high entropy",
    body="card.webp", ctype="image/webp")
add(8, "GET", "www.example-news.com", "/news/index.html", "pyreq", "quiet", "-", "-",
    "python-requests: HTML page, Content-Encoding gzip (high-entropy on the wire, text once decoded)",
    body="index.html", ctype="text/html; charset=utf-8", enc="gzip")
add(9, "GET", S, "/icons/sprite.svg", "noua", "quiet", "-", "-",
    "no User-Agent (curl): SVG sprite as image/svg+xml, Content-Encoding gzip (text once decoded)",
    body="sprite.svg", ctype="image/svg+xml", enc="gzip", hdrs=["Accept-Encoding: gzip"])
add(10, "GET", "video.example-stream.net", MOVIE, "vlc", "quiet", "-", "-",
    "VLC probe: Range bytes=0-65535 of a 5 MB MP4 (ftyp isom box, then mdat), 206",
    body="movie.mp4", ctype="video/mp4", rng=(0, 65535))
add(10, "GET", "video.example-stream.net", MOVIE, "vlc", "quiet", "-", "-",
    "VLC seek, same connection: Range bytes=1048576-1310719, 206, 256 KB from inside mdat (no magic)",
    body="movie.mp4", ctype="video/mp4", rng=(1048576, 1310719))
add(11, "GET", "video.example-stream.net", MOVIE, "noua", "quiet", "-", "-",
    "no User-Agent (curl): Range bytes=2097152-2359295, 206, 256 KB from inside mdat (no magic)",
    body="movie.mp4", ctype="video/mp4", rng=(2097152, 2359295))

# ---- not declared media: other rules may speak, Encrypted_Staging must not ---------------
add(12, "GET", "docs.example-files.net", "/dl/update.bin", "webclient", "any", "-", "-",
    "no User-Agent: 300 KB of random bytes as application/octet-stream (not declared media: "
    "no Encrypted_Staging)", body="update.bin", ctype="application/octet-stream")

# Rows whose bodies are random bytes of no known type (high entropy, no magic), and the
# rows that must never raise Encrypted_Staging (every row not expecting it).
RANDOM_BODIES = {"abc.png": ("abc", 512 * KB), "banner.jpg": ("banner", 300 * KB),
                 "invoice.pdf": ("invoice", 200 * KB), "clip.gif": ("clip", 150 * KB),
                 "photo.png": ("photo", 256 * KB), "update.bin": ("update", 300 * KB)}


def rows_of_conn():
    g = collections.OrderedDict()
    for r in ROWS:
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
        if "%" in r.uri or " " in r.uri:
            problems.append("URI %r has %% or space (http.log decodes percent escapes)" % r.uri)
        if r.expect not in ("alert", "quiet", "low-max", "any"):
            problems.append("bad expect %r" % r.expect)
        if (r.expect == "alert") != (r.note != "-") or (r.note == "-") != (r.tech == "-"):
            problems.append("note/technique must be set exactly on alert rows: %r" % (r.key(),))
        if r.ip not in SERVER_ADDRS:
            problems.append("host %r maps to %r, not a server address" % (r.host, r.ip))
    for k, rs in by_key.items():
        # A key repeats only where one client really asks twice (VLC's probe and seek).
        if len({(r.conn, r.expect, r.note, r.tech) for r in rs}) > 1:
            problems.append("rows with key %r differ in connection/expectation" % (k,))
    for p in problems:
        print("table: " + p, file=sys.stderr)
    return not problems


# --------------------------------------------------------------------------- content
def sha(b):
    return hashlib.sha256(b).hexdigest()


def stream(seed, n):
    return random.Random("lolwire-staging:" + seed).randbytes(n)


def entropy(b):
    """Shannon entropy in bits per byte."""
    if not b:
        return 0.0
    n = len(b)
    return -sum(c / n * math.log2(c / n) for c in collections.Counter(b).values())


def png_noise(w, h, seed):
    """A real PNG: 8-bit RGB, filter 0 on every row, pixels of seeded noise (so the deflate
    stream in IDAT is close to 8 bits per byte), valid CRCs, split in 64 KB IDAT chunks."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rnd = random.Random("lolwire-staging:" + seed)
    raw = b"".join(b"\x00" + rnd.randbytes(3 * w) for _ in range(h))
    z = zlib.compress(raw, 9)
    idat = b"".join(chunk(b"IDAT", z[i:i + 65536]) for i in range(0, len(z), 65536))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00lolwire staging test set: noise texture")
            + idat + chunk(b"IEND", b""))


def ppm_noise(w, h, seed):
    return b"P6\n%d %d\n255\n" % (w, h) + stream(seed, 3 * w * h)


WORDS = ("market council weather station river harbour festival library museum report season "
         "election budget school bridge railway airport hospital garden theatre concert "
         "match league village county minister police traffic housing energy climate water "
         "plan vote record crowd summer winter spring autumn north south east west").split()


def html_page(seed):
    rnd = random.Random("lolwire-staging:" + seed)
    out = ['<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
           '<title>Example News - Today</title>\n'
           '<link rel="icon" href="http://static.example-media.net/icons/sprite.svg"></head>\n'
           '<body>\n<h1>Example News</h1>\n']
    for i in range(240):
        words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(40, 70)))
        out.append('<article id="a%d" data-id="%s" data-ts="%d">\n<h2>%s</h2>\n<p>%s.</p>\n'
                   '<img src="http://static.example-media.net/gallery/%s.jpg" alt="%s">\n</article>\n'
                   % (i, "%032x" % rnd.getrandbits(128), 1704067200 + rnd.randrange(86400),
                      " ".join(rnd.choice(WORDS) for _ in range(6)).capitalize(),
                      words.capitalize(), "%016x" % rnd.getrandbits(64), rnd.choice(WORDS)))
    out.append("</body>\n</html>\n")
    return "".join(out).encode()


def svg_sprite(seed):
    rnd = random.Random("lolwire-staging:" + seed)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1024 1024">\n']
    for i in range(400):
        pts = " ".join("L%d.%02d %d.%02d" % (rnd.randrange(1024), rnd.randrange(100),
                                            rnd.randrange(1024), rnd.randrange(100))
                       for _ in range(rnd.randrange(8, 24)))
        out.append('<symbol id="i%d" viewBox="0 0 24 24"><path fill="#%06x" d="M%d %d %sZ"/>'
                   '</symbol>\n' % (i, rnd.getrandbits(24), rnd.randrange(1024), rnd.randrange(1024), pts))
    out.append("</svg>\n")
    return "".join(out).encode()


def mp4_like(size, seed):
    """5 MB that start like an MP4 file: an ftyp box (isom), a free box, then one mdat box
    holding seeded random bytes to the end (there is no moov: nothing plays it, but every
    range a player asks for is what it would be on the wire)."""
    ftyp = struct.pack(">I4s4sI4s4s4s4s", 32, b"ftyp", b"isom", 0x200, b"isom", b"iso2", b"avc1", b"mp41")
    free = struct.pack(">I4s", 8, b"free")
    head = ftyp + free + struct.pack(">I4s", size - 40, b"mdat")
    return head + stream(seed, size - len(head))


def build(tmp):
    www = os.path.join(tmp, "www")

    def put(name, data):
        with open(os.path.join(www, name), "wb") as f:
            f.write(data)

    for name, (seed, n) in RANDOM_BODIES.items():
        put(name, stream(seed, n))
    put("texture.png", png_noise(256, 192, "texture"))
    with open(os.path.join(tmp, "noise.ppm"), "wb") as f:      # for cjpeg and cwebp
        f.write(ppm_noise(512, 384, "noise"))
    put("index.html", html_page("news"))
    put("sprite.svg", svg_sprite("sprite"))
    put("movie.mp4", mp4_like(MOVIE_SIZE, "movie"))


def www_file(tmp, name):
    with open(os.path.join(tmp, "www", name), "rb") as f:
        return f.read()


def expected_body(tmp, r):
    """The response body the client receives (decoded)."""
    data = www_file(tmp, r.body)
    return data[r.rng[0]:r.rng[1] + 1] if r.rng else data


def wire_body(tmp, r):
    """The response body as it is on the wire (after framing, before content decoding)."""
    b = expected_body(tmp, r)
    return gzip.compress(b, compresslevel=9, mtime=0) if r.enc == "gzip" else b


def check_bodies(tmp):
    """What the rows are about: the staging bodies are random bytes of no known type; the
    look-alikes are just as high-entropy on the wire but are real media or compressed text."""
    bad = []

    def file_b(data):
        return subprocess.run(["file", "-b", "-"], input=data, capture_output=True).stdout.decode().strip()

    for r in ROWS:
        wire, body = wire_body(tmp, r), expected_body(tmp, r)
        ew, eb, kind = entropy(wire), entropy(body), file_b(body)
        if r.body in RANDOM_BODIES or (r.rng and r.rng[0] > 0):
            good = ew > 7.99 and kind == "data" and body[:16] != bytes(16)
        elif r.enc == "gzip":
            good = ew > 7.9 and eb < 6.0 and kind.startswith(("HTML document", "SVG Scalable"))
        else:
            want = {"image/png": "PNG image data", "image/jpeg": "JPEG image data",
                    "image/webp": "RIFF (little-endian) data, Web/P image", "video/mp4": "ISO Media"}
            good = ew > 7.9 and kind.startswith(want[r.ctype])
        print("  %-4s %-22s %7d B on the wire, %.4f bits/byte (decoded %7d B, %.4f): %s"
              % ("ok" if good else "FAIL", r.uri[-22:], len(wire), ew, len(body), eb, kind[:60]))
        if not good:
            bad.append(r.uri)
    return not bad


def hash_lines(tmp):
    """<sha256>  <capture>  <METHOD> http://host/uri[#bytes=A-B] of the decoded bodies."""
    seen, out = set(), []
    for r in ROWS:
        line = "%s  %s.pcap  %s %s%s" % (sha(expected_body(tmp, r)), CAP, r.method, r.url(),
                                         "#bytes=%d-%d" % r.rng if r.rng else "")
        if line not in seen:
            seen.add(line)
            out.append(line)
    return out


def manifest():
    out = ["capture\tmethod\thost\turi\tuser_agent\texpect\tnote\ttechnique\tdescription"]
    for r in ROWS:
        out.append("\t".join((CAP + ".pcap", r.method, r.host, r.uri, r.ua or "-", r.expect,
                              r.note, r.tech, r.desc)))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- server
class Conn:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                if self.buf:
                    raise EOFError
                return None
            self.buf += d
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
                if r is None or not self.dispatch(c, *r):
                    break
        except (EOFError, ConnectionError):
            pass
        finally:
            close_gently(self.request)

    def dispatch(self, c, reqline, h):
        method, target, version = reqline.split(" ", 2)
        conn = h.get("connection", "").lower()
        keep = (version == "HTTP/1.1" and conn != "close") or conn == "keep-alive"
        st = "HTTP/1.1 %d %s"
        r = self.route.get((method, h.get("host", ""), target))
        if r is None or method != "GET":
            msg = b"not found\n"
            c.s.sendall(head_bytes(st % (404, REASON[404]), [("Content-Type", "text/plain"),
                                                             ("Content-Length", len(msg))]) + msg)
            return keep
        data = www_file(self.tmp, r.body)
        common = [("Last-Modified", LAST_MODIFIED), ("ETag", '"%s"' % sha(data)[:16]),
                  ("Accept-Ranges", "bytes")]
        status, out, extra = 200, data, []
        rng = h.get("range", "")
        if rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            a = int(a)
            b = min(int(b) if b else len(data) - 1, len(data) - 1)
            out = data[a:b + 1]
            extra.append(("Content-Range", "bytes %d-%d/%d" % (a, b, len(data))))
            status = 206
        elif r.enc == "gzip" and "gzip" in h.get("accept-encoding", ""):
            out = gzip.compress(data, compresslevel=9, mtime=0)
            extra += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        hdr = head_bytes(st % (status, REASON[status]), [("Content-Type", r.ctype), ("Content-Length", len(out))]
                         + extra + common)
        c.s.sendall(hdr + out)
        return keep


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(tmp, port):
    Handler.tmp = tmp
    for r in ROWS:
        Handler.route.setdefault(r.key()[:3], r)
    Server(("0.0.0.0", int(port)), Handler).serve_forever()


# --------------------------------------------------------------------------- clients
def headers_of(r):
    """Request headers: the profile's, with the row's replacing same-name ones."""
    base = PROFILES[r.prof][1]
    names = {h.split(":", 1)[0].lower() for h in r.hdrs}
    return [h for h in base if h.split(":", 1)[0].lower() not in names] + r.hdrs


def log(msg):
    print("make-staging-set:   " + msg, file=sys.stderr)


def fail(msg):
    log("error: " + msg)
    sys.exit(1)


def netns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + os.environ.get("LWS_TASKSET", "").split() + list(cmd)


def run_curl(tmp, rs):
    got = os.path.join(tmp, "got")
    args, outs = [], []
    for i, r in enumerate(rs):
        out = os.path.join(got, "%d-%d" % (r.conn, i))
        outs.append(out)
        a = ["-sS", "-o", out, "-w", r"%{http_code}\t%{content_type}\t%{num_connects}\n",
             "--resolve", "%s:%d:%s" % (r.host, r.port, r.ip)]
        a += ["-A", r.ua] if r.ua else ["-H", "User-Agent:"]
        hs = headers_of(r)
        for h in hs:
            a += ["-H", h]
        if any(h.lower().startswith("accept-encoding:") and "gzip" in h for h in hs):
            a.append("--compressed")
        if r.rng:
            a += ["-r", "%d-%d" % r.rng]
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
        if r.ctype != ctype:
            fail("%s %s: Content-Type %r, want %r" % (r.method, r.url(), ctype, r.ctype))
        if i and nconn != "0":
            fail("%s %s: curl opened a new connection" % (r.method, r.url()))
        got_b = open(out, "rb").read() if os.path.exists(out) else b""
        if got_b != expected_body(tmp, r):
            fail("%s %s: received body differs (%d bytes)" % (r.method, r.url(), len(got_b)))
        log("%-4s %-26s %-20.20s %s %s" % (r.method, r.host, r.uri, code, len(got_b)))


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


def raw_client(tmp, conn):
    """Byte-exact requests (the .NET WebClient sends no User-Agent and no Accept)."""
    rs = rows_of_conn()[int(conn)]
    s = socket.create_connection((rs[0].ip, rs[0].port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf, ok = b"", True
    for r in rs:
        lines = ["%s %s HTTP/1.1" % (r.method, r.uri), "Host: " + r.host]
        if r.ua:
            lines.append("User-Agent: " + r.ua)
        lines += headers_of(r)
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status, hdrs, body, buf = read_response(s, buf)
        good = (status == "HTTP/1.1 %d %s" % (r.status, REASON[r.status]) and body == expected_body(tmp, r)
                and hdrs.get("content-type") == r.ctype)
        ok &= good
        log("%-4s %-26s %-20.20s %s %d (raw socket)%s" % (r.method, r.host, r.uri, status.split()[1],
                                                         len(body), "" if good else " MISMATCH"))
    close_gently(s)
    sys.exit(0 if ok else 1)


def run(tmp):
    for n, (conn, rs) in enumerate(rows_of_conn().items()):
        if n:
            time.sleep(0.3)
        if rs[0].client == "curl":
            run_curl(tmp, rs)
        else:
            p = subprocess.run(netns(NS_C, PY, os.path.abspath(__file__), "raw", tmp, str(conn)))
            if p.returncode:
                fail("raw client for connection %d failed" % conn)


# --------------------------------------------------------------------------- verify
def wire_requests(pcap):
    """Every HTTP request the client sent, parsed here from the reassembled client-to-server
    TCP payload of each connection (independent of tshark's HTTP dissector):
    [(method, host, uri, user_agent, range, tcp.stream)] in connection order."""
    p = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "ip.src == %s && tcp.len > 0" % IP_C,
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
            out.append((method, hdrs.get("host", ""), uri, hdrs.get("user-agent", ""),
                        hdrs.get("range", ""), st))
    return out


def verify(pcap, tmp):
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
        return subprocess.run(["tshark", "-n", "-r", pcap] + list(args), capture_output=True,
                              text=True).stdout

    def count(flt):
        return len(ts("-Y", flt).splitlines())

    def fields(flt, *names):
        a = ["-Y", flt, "-T", "fields", "-E", "separator=/t"]
        for n in names:
            a += ["-e", n]
        return [tuple(l.split("\t")) for l in ts(*a).splitlines()]

    print(CAP + ".pcap")
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
    wire = wire_requests(pcap)
    exp = [(r.method, r.host, r.uri, r.ua or "", "bytes=%d-%d" % r.rng if r.rng else "") for r in ROWS]
    want("requests on the wire, own parse (method, Host, URI, User-Agent, Range)", [w[:5] for w in wire], exp)
    got = fields("http.request", "http.request.method", "http.host", "http.request.uri", "http.user_agent")
    want("requests as tshark dissects them", got, [e[:4] for e in exp])
    got = fields("http.response", "http.response.code", "http.content_type", "http.content_encoding")
    want("HTTP responses (status, Content-Type, Content-Encoding)", got,
         [(str(r.status), r.ctype, r.enc or "") for r in ROWS])
    cr = ["Content-Range: bytes %d-%d/%d" % (r.rng + (MOVIE_SIZE,)) for r in ROWS if r.rng]
    want("206 responses carrying each Content-Range (tshark has no field for it)",
         [count('http.response.line contains "%s"' % c) for c in cr], [1] * len(cr))
    want("responses with a Content-Range", count('http.response.line contains "Content-Range:"'), len(cr))
    want("TCP connections with HTTP requests", len({w[5] for w in wire}), len({r.conn for r in ROWS}))
    want("UA-less requests carry no User-Agent line",
         count("http.request && !http.user_agent"), sum(1 for r in ROWS if not r.ua))
    # Bodies as tshark reassembles and decodes them.
    eo = os.path.join(tmp, "eo")
    subprocess.run(["rm", "-rf", eo])
    os.makedirs(eo)
    ts("-q", "--export-objects", "http," + eo)
    exported = {sha(open(os.path.join(eo, f), "rb").read()) for f in os.listdir(eo)}
    for line in hash_lines(tmp):
        h, _, what = line.split("  ", 2)
        if h in exported:
            ok("body %s sha256 %s…" % (what[:60], h[:12]))
        else:
            print("  FAIL  body %s: no object exported by tshark has sha256 %s" % (what, h))
            bad.append(what)
    return not bad


def summary(tmp):
    for r in ROWS:
        print("    c%-2d %-4s %-26s %-20s %-7s %-9s %s" % (
            r.conn, r.method, r.host, r.uri, "%dK" % (len(expected_body(tmp, r)) // KB), r.expect,
            r.note if r.note != "-" else ""))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "check-table":
        sys.exit(0 if check_table() else 1)
    elif cmd == "build":
        build(*args)
    elif cmd == "check-bodies":
        sys.exit(0 if check_bodies(*args) else 1)
    elif cmd == "manifest":
        sys.stdout.write(manifest())
    elif cmd == "hashes":
        print("\n".join(hash_lines(*args)))
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

"$PY" "$TMP/lws.py" check-table || die "the table in lws.py is inconsistent"

# ---------------------------------------------------------------------------------------
# Server-side content: python writes the random bodies, the PNG, the HTML, the SVG and the
# MP4-framed movie; cjpeg and cwebp encode one seeded noise image (both are deterministic
# for the same input and version).
# ---------------------------------------------------------------------------------------
log "building served files in $TMP"
"$PY" "$TMP/lws.py" build "$TMP"
cjpeg -quality 85 -optimize -outfile "$WWW/noise.jpg" "$TMP/noise.ppm"
cwebp -quiet -q 80 -metadata none "$TMP/noise.ppm" -o "$WWW/card.webp"
log "what is served (entropy on the wire; libmagic of the decoded body)"
"$PY" "$TMP/lws.py" check-bodies "$TMP" || die "a served body is not what its row is about"

# ---------------------------------------------------------------------------------------
# Namespaces, the veth pair, and the "internet" address behind 10.97.41.1.
# ---------------------------------------------------------------------------------------
lw_make_namespaces
for a in "${EXT_ADDRS[@]}"; do
    ip -n "$NS_S" addr add "$a/32" dev lo
    ip -n "$NS_C" route add "$a/32" via "$IP_S" dev "$IF_C"
done
[ -z "$(ip -n "$NS_C" route show default)" ] || die "$NS_C has a default route"

# Bulk transfers over a veth pair on more than one core can be reordered (each CPU has its
# own backlog queue, and a sender thread that moves between CPUs interleaves them), and a
# small receive window fills up: the server and every client run on CPU 0 (taskset, via
# LWS_TASKSET), and the client namespace starts its receive windows at 4 MB.
export LWS_TASKSET="taskset -c 0"
inc sysctl -qw net.ipv4.tcp_rmem="4096 4194304 8388608"

# The HTTP server (port 80 on every address of lwstg-s), started before the capture.
ip netns exec "$NS_S" taskset -c 0 "$PY" "$TMP/lws.py" serve "$TMP" 80 2>>"$TMP/server.log" &
PIDS+=($!)
for _ in $(seq 100); do
    [ -n "$(ins ss -Hlnt "sport = :80")" ] && break
    sleep 0.1
done
[ -n "$(ins ss -Hlnt "sport = :80")" ] || die "nothing listening on port 80 in $NS_S: $(cat "$TMP/server.log")"

# The capture: tcpdump in the client namespace, a large buffer (-B, KiB) for the bursts.
log "$CAPTURE"
ip -n "$NS_C" neigh flush dev "$IF_C"
ip -n "$NS_S" neigh flush dev "$IF_S"
ip netns exec "$NS_C" tcpdump -i "$IF_C" -w "$PC/$CAPTURE.pcap" -s 0 -B 16384 -U -nn -Z root \
    2>"$TMP/tcpdump.log" &
TCPDUMP_PID=$!
PIDS+=("$TCPDUMP_PID")
for _ in $(seq 100); do
    grep -q "listening on" "$TMP/tcpdump.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "listening on" "$TMP/tcpdump.log" || die "tcpdump did not start: $(cat "$TMP/tcpdump.log")"
sleep 0.5
"$PY" "$TMP/lws.py" run "$TMP" || die "a client failed (server log: $TMP/server.log)"
sleep 1   # trailing FIN/ACKs
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || die "tcpdump exited with $?: $(cat "$TMP/tcpdump.log")"
grep -E "packets captured" "$TMP/tcpdump.log" | sed 's/^/make-staging-set:   tcpdump: /' >&2
grep -Eq '^0 packets dropped by kernel' "$TMP/tcpdump.log" || die "tcpdump dropped packets: $(cat "$TMP/tcpdump.log")"
[ ! -s "$TMP/server.log" ] || { log "server log:"; cat "$TMP/server.log" >&2; die "the HTTP server reported errors"; }

# ---------------------------------------------------------------------------------------
# Verify the capture with tshark against the table, then move it into place.
# ---------------------------------------------------------------------------------------
log "verifying"
if ! "$PY" "$TMP/lws.py" verify "$PC/$CAPTURE.pcap" "$TMP"; then
    if [ -n "${LWS_DEBUG_DIR:-}" ]; then
        cp "$PC/$CAPTURE.pcap" "$LWS_DEBUG_DIR"/ && log "failed capture copied to $LWS_DEBUG_DIR"
    fi
    die "verification failed; capture left out of place (nothing written to $OUTDIR)"
fi

"$PY" "$TMP/lws.py" manifest >"$TMP/$CAPTURE.tsv"
"$PY" "$TMP/lws.py" hashes "$TMP" >"$TMP/$CAPTURE.sha256"
mv -f "$PC/$CAPTURE.pcap" "$TMP/$CAPTURE.pcap"
for f in "$CAPTURE.pcap" "$CAPTURE.tsv" "$CAPTURE.sha256"; do
    chmod 0644 "$TMP/$f"
    mv -f "$TMP/$f" "$OUTDIR/$f.tmp.$$"
    mv -f "$OUTDIR/$f.tmp.$$" "$OUTDIR/$f"
done
log "wrote $CAPTURE.pcap, $CAPTURE.tsv and $CAPTURE.sha256 to $OUTDIR"

# ---------------------------------------------------------------------------------------
# Summary.
# ---------------------------------------------------------------------------------------
P="$OUTDIR/$CAPTURE.pcap"
echo
printf '%s: %d packets, %d bytes; rows alert / quiet / low-max / any: %s\n' "$CAPTURE.pcap" \
    "$(tcpdump -nn -r "$P" 2>/dev/null | wc -l)" "$(stat -c %s "$P")" \
    "$(awk -F'\t' 'NR > 1 { n[$6]++ } END {
        printf "%d / %d / %d / %d", n["alert"], n["quiet"], n["low-max"], n["any"] }' "$OUTDIR/$CAPTURE.tsv")"
"$PY" "$TMP/lws.py" summary "$TMP"
