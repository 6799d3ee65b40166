/* gen_pcap.c: deterministic synthetic captures for benchmarks: HTTP downloads over TCP plus
 * DNS over UDP, and (--tls, --dns, --mix) TLS-heavy, DNS-heavy and mixed traffic.
 *
 * Standalone, C11 + libc only:   cc -O2 -o gen_pcap bench/gen_pcap.c
 *
 * Writes a classic little-endian pcap (magic a1b2c3d4, version 2.4, microsecond timestamps,
 * linktype 1 Ethernet).  Every TCP connection is protocol-valid: 3-way handshake (MSS option),
 * one HTTP/1.1 GET request (Host, User-Agent), a "200 OK" response with Content-Length whose
 * body goes out in MSS-sized (1448-byte) segments, ACKed by the client every second segment,
 * then FIN/ACK from the server, FIN/ACK from the client, final ACK.  Sequence and
 * acknowledgement numbers, IPv4 header checksums and TCP/UDP checksums are all correct.
 * About CONCURRENT connections are in progress at any time: each packet belongs to a
 * connection chosen at random among the open ones, and a finished connection's place is
 * taken by the next one.  UDP flows are DNS A-record queries with their answers, spread
 * evenly through the capture.  The output depends only on the options (and the seed).
 *
 * Clients live in 10.0.0.0/8 with ephemeral ports 49152-65535; web servers in 192.0.2.0/24
 * and 198.51.100.0/24 on port 80; resolvers 192.0.2.53 and 198.51.100.53 on port 53.
 * Timestamps start at 2024-01-01 00:00:00 UTC and advance 10 us (-t) per packet.
 *
 * The mixes (see "mixes" below and -h) put TLS connections, richer DNS exchanges, plain TCP
 * request/response flows and the HTTP downloads in one table of CONCURRENT flows, drawn by
 * weight, up to -f flows or --size-mb MiB of file.  The HTTP mode's output is unchanged by
 * them (same options, same bytes as before they existed).
 *
 * On success one summary line goes to stderr:
 *   gen_pcap: packets=N bytes=B file_bytes=F tcp_flows=T tcp_packets=P udp_flows=U udp_packets=Q
 * where bytes is the sum of the frame lengths (what a sensor sees) and file_bytes the size of
 * the pcap file; the mixes add http_flows=, tls_flows=, dns_flows= and plain_flows=.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSS 1448u
#define ETH_LEN 14u
#define IP_LEN 20u
#define TCP_LEN 20u
#define UDP_LEN 8u
#define SNAPLEN 65535u
#define TS_START 1704067200u /* 2024-01-01T00:00:00Z */
#define CLIENT_HOSTS 4096u
#define PATTERN_LEN 65536u

/* ---------------------------------------------------------------- random numbers */

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t n) /* n > 0; bias is irrelevant here */
{
    return (uint32_t)(rng_next() % n);
}

/* ---------------------------------------------------------------- output */

static FILE *out;
static uint64_t n_packets, n_bytes, n_tcp_packets, n_udp_packets;
static uint64_t ts_us;           /* microseconds since TS_START */
static uint32_t ts_step_us = 10; /* -t */

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void write_or_die(const void *buf, size_t len)
{
    if (fwrite(buf, 1, len, out) != len) {
        fprintf(stderr, "gen_pcap: write failed: %s\n", strerror(errno));
        exit(1);
    }
}

static void write_global_header(void)
{
    uint8_t h[24];
    put_le32(h, 0xa1b2c3d4u);
    h[4] = 2, h[5] = 0; /* version 2.4, little-endian u16s */
    h[6] = 4, h[7] = 0;
    put_le32(h + 8, 0);  /* thiszone */
    put_le32(h + 12, 0); /* sigfigs */
    put_le32(h + 16, SNAPLEN);
    put_le32(h + 20, 1); /* LINKTYPE_ETHERNET */
    write_or_die(h, sizeof h);
}

static void write_frame(const uint8_t *frame, uint32_t len)
{
    uint8_t rec[16];
    put_le32(rec, TS_START + (uint32_t)(ts_us / 1000000u));
    put_le32(rec + 4, (uint32_t)(ts_us % 1000000u));
    put_le32(rec + 8, len);
    put_le32(rec + 12, len);
    write_or_die(rec, sizeof rec);
    write_or_die(frame, len);
    ts_us += ts_step_us;
    n_packets++;
    n_bytes += len;
}

/* ---------------------------------------------------------------- checksums */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc)
{
    uint64_t s = acc;
    while (len >= 8) {
        s += ((uint32_t)p[0] << 8 | p[1]) + ((uint32_t)p[2] << 8 | p[3]) +
             ((uint32_t)p[4] << 8 | p[5]) + ((uint32_t)p[6] << 8 | p[7]);
        p += 8, len -= 8;
    }
    while (len >= 2) {
        s += (uint32_t)p[0] << 8 | p[1];
        p += 2, len -= 2;
    }
    if (len)
        s += (uint32_t)p[0] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint32_t)s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* ---------------------------------------------------------------- packet building */

static uint8_t frame[ETH_LEN + IP_LEN + 60 + 65536];

/* Ethernet + IPv4 header for a payload (L4 header + data) of l4_len bytes; returns the L4
 * pointer.  Client MACs are derived from the client address, the other side is the gateway. */
static uint8_t *build_eth_ip(uint32_t src, uint32_t dst, bool from_client, uint8_t proto,
                             uint16_t ip_id, uint8_t ttl, uint32_t l4_len)
{
    static const uint8_t gw_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};
    uint32_t client = from_client ? src : dst;
    uint8_t cmac[6] = {0x02,
                       0x00,
                       (uint8_t)(client >> 24),
                       (uint8_t)(client >> 16),
                       (uint8_t)(client >> 8),
                       (uint8_t)client};
    memcpy(frame, from_client ? gw_mac : cmac, 6);
    memcpy(frame + 6, from_client ? cmac : gw_mac, 6);
    put_be16(frame + 12, 0x0800);

    uint8_t *ip = frame + ETH_LEN;
    ip[0] = 0x45;
    ip[1] = 0;
    put_be16(ip + 2, IP_LEN + l4_len);
    put_be16(ip + 4, ip_id);
    put_be16(ip + 6, 0x4000); /* DF */
    ip[8] = ttl;
    ip[9] = proto;
    ip[10] = ip[11] = 0;
    put_be32(ip + 12, src);
    put_be32(ip + 16, dst);
    put_be16(ip + 10, fold(sum16(ip, IP_LEN, 0)));
    return ip + IP_LEN;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4_len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + l4_len;
}

enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10 };

/* Emits one TCP segment; the payload must already be at frame + ETH_LEN + IP_LEN + hdr len. */
static void emit_tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, bool from_client,
                     uint16_t ip_id, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                     bool mss_opt, uint32_t payload_len)
{
    uint32_t hlen = TCP_LEN + (mss_opt ? 4u : 0u);
    uint32_t l4_len = hlen + payload_len;
    uint8_t *t = build_eth_ip(src, dst, from_client, 6, ip_id, from_client ? 64 : 52, l4_len);
    put_be16(t, sport);
    put_be16(t + 2, dport);
    put_be32(t + 4, seq);
    put_be32(t + 8, ack);
    t[12] = (uint8_t)((hlen / 4) << 4);
    t[13] = flags;
    put_be16(t + 14, win);
    t[16] = t[17] = 0; /* checksum */
    t[18] = t[19] = 0; /* urgent pointer */
    if (mss_opt) {
        t[20] = 2, t[21] = 4;
        put_be16(t + 22, 1460);
    }
    put_be16(t + 16, fold(sum16(t, l4_len, pseudo_sum(src, dst, 6, l4_len))));
    write_frame(frame, ETH_LEN + IP_LEN + l4_len);
    n_tcp_packets++;
}

static void emit_udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, bool from_client,
                     uint16_t ip_id, uint32_t payload_len)
{
    uint32_t l4_len = UDP_LEN + payload_len;
    uint8_t *u = build_eth_ip(src, dst, from_client, 17, ip_id, from_client ? 64 : 52, l4_len);
    put_be16(u, sport);
    put_be16(u + 2, dport);
    put_be16(u + 4, l4_len);
    u[6] = u[7] = 0;
    uint16_t c = fold(sum16(u, l4_len, pseudo_sum(src, dst, 17, l4_len)));
    put_be16(u + 6, c ? c : 0xffff);
    write_frame(frame, ETH_LEN + IP_LEN + l4_len);
    n_udp_packets++;
}

/* ---------------------------------------------------------------- the traffic's vocabulary */

#define N_SERVERS 508u /* 192.0.2.1-254, 198.51.100.1-254 */

static uint32_t server_addr(uint32_t i)
{
    return i < 254 ? (0xc0000200u | (i + 1)) : (0xc6336400u | (i - 254 + 1));
}

static const char *const host_words[] = {"download", "cdn", "update", "www", "static", "files"};
static const char *const host_tlds[] = {"example.com", "example.net", "example.org"};

static int server_name(uint32_t i, char *buf, size_t size)
{
    return snprintf(buf, size, "%s%u.%s", host_words[i % 6], i, host_tlds[(i / 6) % 3]);
}

static const char *const user_agents[] = {
    "Windows Installer",
    "Microsoft-CryptoAPI/10.0",
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36"),
    "Microsoft BITS/7.8",
    "curl/7.88.1",
};
#define N_UAS (sizeof user_agents / sizeof user_agents[0])

struct file_kind {
    const char *ext, *dir, *stem, *ctype;
    bool text;          /* middle from the text pattern, else the binary one */
    bool fixed_middle;  /* middle always starts at pattern offset 0 (the PNG's CRC covers it) */
    uint8_t prefix[64]; /* body = prefix, middle (pattern bytes), suffix; built by init_bodies */
    uint8_t suffix[32];
    uint32_t prefix_len, suffix_len;
};

static struct file_kind kinds[] = {
    {"msi", "packages", "setup", "application/x-msi", false, false, {0}, {0}, 0, 0},
    {"exe", "download", "installer", "application/x-msdownload", false, false, {0}, {0}, 0, 0},
    {"png", "images", "logo", "image/png", false, true, {0}, {0}, 0, 0},
    {"html", "docs", "index", "text/html; charset=utf-8", true, false, {0}, {0}, 0, 0},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])
enum { K_MSI, K_EXE, K_PNG, K_HTML };

/* Middle bytes come from one of two fixed patterns (pseudo-random binary, or HTML-ish text),
 * repeated; each connection starts at its own offset.  MSS spare bytes (a copy of the first
 * ones) let a segment's copy run straight on. */
static uint8_t pattern_bin[PATTERN_LEN + MSS], pattern_txt[PATTERN_LEN + MSS];

static void init_patterns(void)
{
    uint64_t saved = rng_state;
    rng_state = 0x6c6f6c77697265ull; /* independent of the seed */
    for (uint32_t i = 0; i < PATTERN_LEN; i += 8) {
        uint64_t r = rng_next();
        for (uint32_t k = 0; k < 8; k++)
            pattern_bin[i + k] = (uint8_t)(r >> (8 * k));
    }
    static const char *const words[] = {"<p>",  "lorem", "ipsum",       "dolor",
                                        "sit",  "amet",  "</p>\n",      "<a href=\"/docs/\">",
                                        "docs", "</a>",  "consectetur", "adipiscing",
                                        "elit", "sed"};
    uint32_t n = 0;
    while (n < PATTERN_LEN) {
        const char *w = words[rng_next() % (sizeof words / sizeof words[0])];
        for (; *w && n < PATTERN_LEN; w++)
            pattern_txt[n++] = (uint8_t)*w;
        if (n < PATTERN_LEN)
            pattern_txt[n++] = ' ';
    }
    /* the spare bytes repeat the start, so byte i of a middle is always pattern[i % PATTERN_LEN] */
    memcpy(pattern_bin + PATTERN_LEN, pattern_bin, MSS);
    memcpy(pattern_txt + PATTERN_LEN, pattern_txt, MSS);
    rng_state = saved;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t len) /* PNG's CRC-32 */
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    while (len--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

static void set_bytes(uint8_t *dst, uint32_t *len, const void *src, uint32_t n)
{
    memcpy(dst, src, n);
    *len = n;
}

/* Fills every kind's prefix and suffix for bodies of body_len bytes.  The files are recognisable
 * by their magic numbers; the PNG is a whole well-formed one (IHDR, one IDAT holding the
 * middle, IEND, correct CRCs), so dissectors that parse PNG find nothing malformed. */
static void init_bodies(uint32_t body_len)
{
    static const uint8_t msi[] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
    static const uint8_t exe[] = {'M',  'Z',  0x90, 0x00, 0x03, 0x00, 0x00, 0x00,
                                  0x04, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00};
    static const char html_head[] =
        "<!DOCTYPE html>\n<html><head><title>Index</title></head><body>\n";
    static const char html_tail[] = "\n</body></html>\n";
    set_bytes(kinds[K_MSI].prefix, &kinds[K_MSI].prefix_len, msi, sizeof msi);
    set_bytes(kinds[K_EXE].prefix, &kinds[K_EXE].prefix_len, exe, sizeof exe);
    set_bytes(kinds[K_HTML].prefix, &kinds[K_HTML].prefix_len, html_head, sizeof html_head - 1);
    set_bytes(kinds[K_HTML].suffix, &kinds[K_HTML].suffix_len, html_tail, sizeof html_tail - 1);

    /* PNG: signature, IHDR (64x64 RGB), IDAT header | middle | IDAT CRC, IEND */
    struct file_kind *png = &kinds[K_PNG];
    uint8_t *p = png->prefix;
    static const uint8_t sig[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    memcpy(p, sig, 8);
    put_be32(p + 8, 13);
    memcpy(p + 12, "IHDR", 4);
    put_be32(p + 16, 64);
    put_be32(p + 20, 64);
    p[24] = 8, p[25] = 2, p[26] = 0, p[27] = 0, p[28] = 0; /* depth, colour, methods */
    put_be32(p + 29, ~crc32_update(0xffffffffu, p + 12, 17));
    png->prefix_len = 33 + 8;
    png->suffix_len = 4 + 12;
    uint32_t idat_len = body_len >= png->prefix_len + png->suffix_len
                            ? body_len - png->prefix_len - png->suffix_len
                            : 0;
    put_be32(p + 33, idat_len);
    memcpy(p + 37, "IDAT", 4);
    uint32_t crc = crc32_update(0xffffffffu, p + 37, 4);
    for (uint32_t done = 0; done < idat_len;) {
        uint32_t n = idat_len - done < PATTERN_LEN ? idat_len - done : PATTERN_LEN;
        crc = crc32_update(crc, pattern_bin, n); /* fixed_middle: offset 0, wrapping */
        done += n;
    }
    uint8_t *s = png->suffix;
    put_be32(s, ~crc);
    put_be32(s + 4, 0);
    memcpy(s + 8, "IEND", 4);
    put_be32(s + 12, ~crc32_update(0xffffffffu, s + 8, 4));

    /* a body too short for prefix and suffix is just the start of the prefix */
    for (uint32_t i = 0; i < N_KINDS; i++)
        if (body_len < kinds[i].prefix_len + kinds[i].suffix_len) {
            kinds[i].suffix_len = 0;
            if (kinds[i].prefix_len > body_len)
                kinds[i].prefix_len = body_len;
        }
}

/* ---------------------------------------------------------------- connections */

enum state { S_SYN, S_SYNACK, S_ACK, S_REQ, S_DATA, S_DATAACK, S_FIN1, S_FIN2, S_LASTACK, S_DONE };

struct conn {
    uint32_t cip, sip;
    uint16_t cport;
    uint16_t cid, sid; /* IP ids, per direction */
    uint8_t state, kind, unacked;
    uint32_t cisn, sisn;
    uint32_t sent;    /* response bytes (header + body) sent so far */
    uint32_t total;   /* response bytes in all */
    uint32_t pat_off; /* where this body starts in its pattern */
    uint16_t req_len, hdr_len;
    char req[320], hdr[224];
};

static uint32_t client_addr(uint32_t h) /* distinct 10.x.y.z for each h < 2^24 - 1 */
{
    uint32_t v = ((h + 1) * 2654435761u) & 0xffffffu;
    if (v == 0 || v == 0xffffffu)
        v = 0x000101u; /* 10.0.1.1: the two reserved ones map here (cannot happen below 4096) */
    return 0x0a000000u | v;
}

static uint16_t client_next_port[CLIENT_HOSTS];

static void pick_client(uint32_t *addr, uint16_t *port)
{
    uint32_t h = rng_below(CLIENT_HOSTS);
    *addr = client_addr(h);
    /* per-host counter: a port comes back only after 16384 connections from that host */
    *port = (uint16_t)(49152u + client_next_port[h]);
    client_next_port[h] = (uint16_t)((client_next_port[h] + 1u) & 0x3fffu);
}

static uint32_t body_len; /* -b */

static void conn_start(struct conn *c)
{
    pick_client(&c->cip, &c->cport);
    uint32_t srv = rng_below(N_SERVERS);
    c->sip = server_addr(srv);
    c->cisn = (uint32_t)rng_next();
    c->sisn = (uint32_t)rng_next();
    c->cid = (uint16_t)rng_next();
    c->sid = (uint16_t)rng_next();
    c->kind = (uint8_t)rng_below(N_KINDS);
    c->state = S_SYN;
    c->unacked = 0;
    c->sent = 0;
    c->pat_off = rng_below(PATTERN_LEN);
    if (kinds[c->kind].fixed_middle)
        c->pat_off = 0;

    const struct file_kind *k = &kinds[c->kind];
    char host[64];
    server_name(srv, host, sizeof host);
    int n =
        snprintf(c->req, sizeof c->req,
                 "GET /%s/%s%u.%s HTTP/1.1\r\n"
                 "Host: %s\r\n"
                 "User-Agent: %s\r\n"
                 "Accept: */*\r\n"
                 "Connection: close\r\n"
                 "\r\n",
                 k->dir, k->stem, rng_below(100000), k->ext, host, user_agents[rng_below(N_UAS)]);
    c->req_len = (uint16_t)n;
    /* a fixed Date keeps the output independent of when it was made */
    n = snprintf(c->hdr, sizeof c->hdr,
                 "HTTP/1.1 200 OK\r\n"
                 "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                 "Server: nginx/1.22.1\r\n"
                 "Content-Type: %s\r\n"
                 "Content-Length: %" PRIu32 "\r\n"
                 "Connection: close\r\n"
                 "\r\n",
                 k->ctype, body_len);
    c->hdr_len = (uint16_t)n;
    c->total = c->hdr_len + body_len;
}

/* Copies response bytes [off, off + len) into dst (len <= MSS): header, then the body's prefix,
 * middle and suffix. */
static void response_bytes(const struct conn *c, uint32_t off, uint32_t len, uint8_t *dst)
{
    const struct file_kind *k = &kinds[c->kind];
    uint32_t mid_start = c->hdr_len + k->prefix_len;
    uint32_t suf_start = c->total - k->suffix_len;
    while (len) {
        uint32_t n, end;
        if (off < c->hdr_len) {
            end = c->hdr_len;
        } else if (off < mid_start) {
            end = mid_start;
        } else if (off < suf_start) {
            end = suf_start;
        } else {
            end = c->total;
        }
        n = end - off < len ? end - off : len;
        if (off < c->hdr_len) {
            memcpy(dst, c->hdr + off, n);
        } else if (off < mid_start) {
            memcpy(dst, k->prefix + (off - c->hdr_len), n);
        } else if (off < suf_start) {
            uint32_t p = (c->pat_off + (off - mid_start)) % PATTERN_LEN; /* n <= MSS: no wrap */
            memcpy(dst, (k->text ? pattern_txt : pattern_bin) + p, n);
        } else {
            memcpy(dst, k->suffix + (off - suf_start), n);
        }
        dst += n, off += n, len -= n;
    }
}

static bool unfinished; /* --unfinished */
static bool syn_only;   /* --syn */

/* Emits the next packet of c and advances it. */
static void conn_step(struct conn *c)
{
    uint8_t *payload_tcp = frame + ETH_LEN + IP_LEN + TCP_LEN;
    uint32_t c_next = c->cisn + 1 + c->req_len; /* client seq after the request */
    uint32_t s_base = c->sisn + 1;
    switch (c->state) {
    case S_SYN:
        emit_tcp(c->cip, c->sip, c->cport, 80, true, c->cid++, c->cisn, 0, F_SYN, 64240, true, 0);
        c->state = S_SYNACK;
        break;
    case S_SYNACK:
        emit_tcp(c->sip, c->cip, 80, c->cport, false, c->sid++, c->sisn, c->cisn + 1, F_SYN | F_ACK,
                 65535, true, 0);
        c->state = S_ACK;
        break;
    case S_ACK:
        emit_tcp(c->cip, c->sip, c->cport, 80, true, c->cid++, c->cisn + 1, s_base, F_ACK, 64240,
                 false, 0);
        c->state = S_REQ;
        break;
    case S_REQ:
        memcpy(payload_tcp, c->req, c->req_len);
        emit_tcp(c->cip, c->sip, c->cport, 80, true, c->cid++, c->cisn + 1, s_base, F_PSH | F_ACK,
                 64240, false, c->req_len);
        c->state = S_DATA;
        break;
    case S_DATA: {
        uint32_t n = c->total - c->sent;
        if (n > MSS)
            n = MSS;
        response_bytes(c, c->sent, n, payload_tcp);
        bool last = c->sent + n == c->total;
        emit_tcp(c->sip, c->cip, 80, c->cport, false, c->sid++, s_base + c->sent, c_next,
                 (uint8_t)(F_ACK | (last ? F_PSH : 0)), 65535, false, n);
        c->sent += n;
        if (++c->unacked == 2 || last)
            c->state = S_DATAACK;
        break;
    }
    case S_DATAACK:
        emit_tcp(c->cip, c->sip, c->cport, 80, true, c->cid++, c_next, s_base + c->sent, F_ACK,
                 64240, false, 0);
        c->unacked = 0;
        if (c->sent < c->total)
            c->state = S_DATA;
        else
            c->state = unfinished ? S_DONE : S_FIN1;
        break;
    case S_FIN1:
        emit_tcp(c->sip, c->cip, 80, c->cport, false, c->sid++, s_base + c->total, c_next,
                 F_FIN | F_ACK, 65535, false, 0);
        c->state = S_FIN2;
        break;
    case S_FIN2:
        emit_tcp(c->cip, c->sip, c->cport, 80, true, c->cid++, c_next, s_base + c->total + 1,
                 F_FIN | F_ACK, 64240, false, 0);
        c->state = S_LASTACK;
        break;
    case S_LASTACK:
        emit_tcp(c->sip, c->cip, 80, c->cport, false, c->sid++, s_base + c->total + 1, c_next + 1,
                 F_ACK, 65535, false, 0);
        c->state = S_DONE;
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- DNS over UDP */

static uint32_t dns_name(uint8_t *p, const char *name) /* wire-format QNAME */
{
    uint32_t n = 0;
    while (*name) {
        const char *dot = strchr(name, '.');
        uint32_t l = dot ? (uint32_t)(dot - name) : (uint32_t)strlen(name);
        p[n++] = (uint8_t)l;
        memcpy(p + n, name, l);
        n += l;
        name += l + (dot ? 1 : 0);
    }
    p[n++] = 0;
    return n;
}

static void emit_dns_flow(void)
{
    uint32_t cip, rip = (rng_below(2) ? 0xc0000235u : 0xc6336435u); /* x.x.x.53 */
    uint16_t cport;
    pick_client(&cip, &cport);
    uint32_t srv = rng_below(N_SERVERS);
    uint16_t id = (uint16_t)rng_next(), cid = (uint16_t)rng_next(), rid = (uint16_t)rng_next();
    char name[64];
    server_name(srv, name, sizeof name);

    uint8_t *d = frame + ETH_LEN + IP_LEN + UDP_LEN;
    put_be16(d, id);
    put_be16(d + 2, 0x0100); /* standard query, RD */
    put_be16(d + 4, 1);      /* QDCOUNT */
    put_be16(d + 6, 0);
    put_be16(d + 8, 0);
    put_be16(d + 10, 0);
    uint32_t n = 12 + dns_name(d + 12, name);
    put_be16(d + n, 1);     /* QTYPE A */
    put_be16(d + n + 2, 1); /* QCLASS IN */
    n += 4;
    emit_udp(cip, rip, cport, 53, true, cid, n);

    /* the answer: same question, then one A record pointing back at the question's name */
    d = frame + ETH_LEN + IP_LEN + UDP_LEN; /* rebuilt: the frame buffer was reused */
    put_be16(d, id);
    put_be16(d + 2, 0x8180); /* response, RD, RA, NOERROR */
    put_be16(d + 4, 1);
    put_be16(d + 6, 1); /* ANCOUNT */
    put_be16(d + 8, 0);
    put_be16(d + 10, 0);
    n = 12 + dns_name(d + 12, name);
    put_be16(d + n, 1);
    put_be16(d + n + 2, 1);
    n += 4;
    put_be16(d + n, 0xc00c); /* name: pointer to offset 12 */
    put_be16(d + n + 2, 1);
    put_be16(d + n + 4, 1);
    put_be32(d + n + 6, 300); /* TTL */
    put_be16(d + n + 10, 4);
    put_be32(d + n + 12, server_addr(srv));
    n += 16;
    emit_udp(rip, cip, 53, cport, false, rid, n);
}

/* ---------------------------------------------------------------- mixes: TLS, DNS, plain TCP
 *
 * The mixes (--tls, --dns, --mix) run every flow through one table of CONCURRENT slots, like
 * the HTTP mode: each packet comes from a slot chosen at random, and a finished flow's slot is
 * taken by a new flow whose kind is drawn by the weights (--weights).  HTTP flows are the
 * downloads above; TLS, plain TCP and DNS flows are built here.  A TCP flow other than HTTP
 * is a list of messages, each a few pieces (bytes of the flow's own buffer, a fixed blob,
 * TLS records whose payload is pattern bytes, raw pattern bytes), sent in MSS segments after
 * a 3-way handshake; the receiver ACKs every second segment and the end of a message unless
 * its reply follows, and the flow ends FIN/ACK, FIN/ACK, ACK.
 */

/* A self-made chain (RSA-2048 leaf for *.example.com, example.com, *.example.net and
 * *.example.org, valid 2023-06-01 to 2025-09-03, signed by "Lolwire Bench Root CA"), DER.
 * Made once with openssl (faketime 2023-06-01); fixed here so the output never changes. */
static const uint8_t cert_leaf[957] = {
    0x30, 0x82, 0x03, 0xb9, 0x30, 0x82, 0x02, 0xa1, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x02, 0x10,
    0x01, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
    0x30, 0x45, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31,
    0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0d, 0x4c, 0x6f, 0x6c, 0x77, 0x69, 0x72,
    0x65, 0x20, 0x42, 0x65, 0x6e, 0x63, 0x68, 0x31, 0x1e, 0x30, 0x1c, 0x06, 0x03, 0x55, 0x04, 0x03,
    0x0c, 0x15, 0x4c, 0x6f, 0x6c, 0x77, 0x69, 0x72, 0x65, 0x20, 0x42, 0x65, 0x6e, 0x63, 0x68, 0x20,
    0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x33, 0x30, 0x36, 0x30,
    0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a, 0x17, 0x0d, 0x32, 0x35, 0x30, 0x39, 0x30, 0x33,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a, 0x30, 0x3f, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55,
    0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x18, 0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c,
    0x0f, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x20, 0x48, 0x6f, 0x73, 0x74, 0x69, 0x6e, 0x67,
    0x31, 0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0d, 0x2a, 0x2e, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09,
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00,
    0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xd8, 0xf3, 0x5c, 0x16, 0x08, 0x03, 0x48,
    0x5e, 0xd7, 0xca, 0x6d, 0xe6, 0x71, 0xe9, 0x67, 0x7a, 0xa6, 0xad, 0xf1, 0xe4, 0x10, 0x25, 0x90,
    0x58, 0x43, 0xb3, 0x97, 0x5a, 0x8f, 0x9e, 0x8b, 0xc8, 0xc6, 0x3e, 0xde, 0xd4, 0x5b, 0xbb, 0x0b,
    0x53, 0xbd, 0x1b, 0x08, 0x2a, 0x74, 0x91, 0x96, 0xeb, 0x96, 0x0d, 0x20, 0x49, 0x0f, 0xe9, 0xd1,
    0x04, 0xcb, 0x84, 0x3b, 0x12, 0xc1, 0x8d, 0x50, 0x67, 0x45, 0x03, 0xfc, 0xf8, 0xfe, 0x25, 0x20,
    0x8e, 0xa2, 0xc7, 0xac, 0xa4, 0x87, 0x87, 0x20, 0xa5, 0x6c, 0x7c, 0x65, 0xe6, 0xd5, 0xe8, 0xff,
    0x02, 0xf8, 0x11, 0x07, 0xd1, 0x5f, 0x1b, 0x22, 0x0f, 0xb6, 0x83, 0xc4, 0x0f, 0xcb, 0x03, 0x81,
    0xf4, 0xa7, 0x98, 0x95, 0xa0, 0xa7, 0xe7, 0x23, 0x79, 0x03, 0xc3, 0x21, 0x06, 0x04, 0x8b, 0x2a,
    0x8b, 0x57, 0x93, 0xe0, 0x31, 0x98, 0x5b, 0xe5, 0x77, 0x8b, 0x75, 0x0e, 0xd5, 0x6a, 0xa6, 0xa2,
    0x3e, 0x0b, 0x0f, 0x3c, 0xd5, 0xa7, 0x90, 0x5b, 0xdd, 0x72, 0x05, 0x59, 0xe2, 0xce, 0x2d, 0xd1,
    0x6b, 0x2c, 0x1e, 0x31, 0xaf, 0x3e, 0xf9, 0xcd, 0xfd, 0x96, 0xf6, 0x7a, 0xb0, 0x06, 0xa7, 0xad,
    0xfe, 0xe7, 0xce, 0x0f, 0x79, 0x94, 0x92, 0x6e, 0x0c, 0xe1, 0xd2, 0x49, 0x0f, 0x69, 0x75, 0x55,
    0x02, 0x37, 0x73, 0xdd, 0x8f, 0x0a, 0xd5, 0x35, 0x71, 0x6d, 0x23, 0xe1, 0x4f, 0x47, 0x62, 0xd1,
    0x8c, 0x6b, 0x5b, 0xc3, 0x74, 0x1f, 0x72, 0xef, 0xb4, 0x84, 0xb6, 0x60, 0x36, 0xb1, 0x02, 0x55,
    0xcf, 0xdd, 0x36, 0x4f, 0x56, 0x8a, 0x35, 0x89, 0x15, 0xd2, 0x06, 0xed, 0xf1, 0x67, 0x98, 0xdf,
    0x11, 0x0f, 0xf1, 0x69, 0xda, 0xa6, 0xd4, 0x80, 0xd9, 0xb9, 0x3e, 0x66, 0x0e, 0xaf, 0x1f, 0x0b,
    0x91, 0x3b, 0xa6, 0x5f, 0xbe, 0xf6, 0x6e, 0x9e, 0x85, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x81,
    0xb8, 0x30, 0x81, 0xb5, 0x30, 0x43, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x3c, 0x30, 0x3a, 0x82,
    0x0d, 0x2a, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x82, 0x0b,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x82, 0x0d, 0x2a, 0x2e, 0x65,
    0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6e, 0x65, 0x74, 0x82, 0x0d, 0x2a, 0x2e, 0x65, 0x78,
    0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x30, 0x09, 0x06, 0x03, 0x55, 0x1d, 0x13,
    0x04, 0x02, 0x30, 0x00, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04,
    0x03, 0x02, 0x05, 0xa0, 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x0c, 0x30, 0x0a, 0x06,
    0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e,
    0x04, 0x16, 0x04, 0x14, 0x18, 0xe1, 0x79, 0x8d, 0x69, 0xf3, 0x31, 0xdb, 0x93, 0x25, 0xf6, 0x9c,
    0x37, 0x52, 0x01, 0xc6, 0x40, 0x5c, 0x45, 0x90, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04,
    0x18, 0x30, 0x16, 0x80, 0x14, 0x5f, 0x76, 0x28, 0x5d, 0x17, 0x84, 0x81, 0xb6, 0x6d, 0xf8, 0x97,
    0x81, 0x62, 0xd4, 0x1c, 0xc9, 0x5a, 0xdc, 0xe1, 0x8b, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
    0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x03, 0x82, 0x01, 0x01, 0x00, 0x48, 0x21, 0xa6,
    0x51, 0x75, 0xb5, 0xfe, 0xc3, 0x62, 0x5a, 0x50, 0x07, 0x4c, 0x1b, 0x49, 0x60, 0xc1, 0xcb, 0x6e,
    0xb5, 0x34, 0x81, 0x8f, 0x3a, 0xae, 0xa9, 0x4f, 0x7a, 0x71, 0xab, 0x73, 0xad, 0xb4, 0x1b, 0x23,
    0x27, 0xd3, 0x0c, 0xbe, 0xfb, 0x0c, 0x9c, 0x82, 0x14, 0x01, 0x9c, 0x5a, 0xf8, 0x02, 0x0f, 0x15,
    0xb3, 0x16, 0x34, 0x29, 0xe6, 0x0f, 0x4e, 0x22, 0x36, 0x05, 0xf9, 0xc4, 0xdb, 0x99, 0x5b, 0x1b,
    0xf0, 0xa6, 0x4d, 0x79, 0x68, 0x18, 0x86, 0xe8, 0xee, 0xea, 0x83, 0xfb, 0xcf, 0x01, 0xb8, 0xc9,
    0xd7, 0x90, 0x18, 0x61, 0xf6, 0xa0, 0xa3, 0x5b, 0x4d, 0xbb, 0x14, 0x4d, 0x27, 0xab, 0x31, 0xea,
    0x43, 0x7d, 0xef, 0x5d, 0x44, 0x6d, 0x1c, 0x00, 0xb9, 0x29, 0x72, 0xff, 0x0d, 0xaf, 0x73, 0xdd,
    0xd2, 0x8a, 0x2a, 0x05, 0xe7, 0x77, 0xdc, 0xf1, 0xd2, 0x8e, 0xa6, 0x2b, 0x47, 0x7f, 0xfb, 0xb1,
    0x16, 0x0b, 0xd1, 0xd1, 0x9a, 0x54, 0xfc, 0xfb, 0x74, 0xf6, 0xda, 0xfd, 0x10, 0xc1, 0x10, 0x83,
    0xa9, 0xc0, 0xfc, 0x59, 0xc8, 0x32, 0x9b, 0xc7, 0x25, 0x6f, 0xaf, 0x8b, 0x55, 0x83, 0xdc, 0x01,
    0x70, 0xd1, 0xfe, 0x17, 0xd8, 0x87, 0xe6, 0x4b, 0x6e, 0xe1, 0xd6, 0x5a, 0x56, 0x17, 0xba, 0x86,
    0x17, 0xb9, 0x86, 0xd9, 0xe1, 0xc1, 0x74, 0x95, 0xbc, 0xf8, 0xbc, 0x42, 0xea, 0x14, 0x3e, 0xb4,
    0xa1, 0x8f, 0x7e, 0xe2, 0x49, 0xd0, 0x0f, 0x1f, 0xda, 0xc2, 0x8e, 0xf2, 0x6f, 0xe5, 0x76, 0xc8,
    0x2b, 0x93, 0x42, 0x16, 0xe7, 0xa0, 0x55, 0x68, 0x45, 0x59, 0x39, 0x59, 0x8d, 0x7e, 0x7f, 0x42,
    0x89, 0x0e, 0xcf, 0x23, 0x45, 0xf8, 0x23, 0x85, 0xae, 0x09, 0x1c, 0x28, 0x3e, 0xc6, 0x21, 0x7a,
    0xa8, 0xb5, 0xbe, 0xa7, 0x27, 0x43, 0x25, 0x0e, 0x0c, 0xf8, 0x35, 0xd4, 0xb6,
};
static const uint8_t cert_ca[895] = {
    0x30, 0x82, 0x03, 0x7b, 0x30, 0x82, 0x02, 0x63, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x7d,
    0x71, 0x49, 0xdd, 0x4e, 0x6b, 0xec, 0xf5, 0x97, 0xd7, 0xac, 0x7d, 0x85, 0x64, 0x0b, 0xd7, 0x37,
    0x8d, 0x3e, 0xe3, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
    0x05, 0x00, 0x30, 0x45, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55,
    0x53, 0x31, 0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0d, 0x4c, 0x6f, 0x6c, 0x77,
    0x69, 0x72, 0x65, 0x20, 0x42, 0x65, 0x6e, 0x63, 0x68, 0x31, 0x1e, 0x30, 0x1c, 0x06, 0x03, 0x55,
    0x04, 0x03, 0x0c, 0x15, 0x4c, 0x6f, 0x6c, 0x77, 0x69, 0x72, 0x65, 0x20, 0x42, 0x65, 0x6e, 0x63,
    0x68, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x33, 0x30,
    0x36, 0x30, 0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a, 0x17, 0x0d, 0x34, 0x33, 0x30, 0x35,
    0x32, 0x37, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a, 0x30, 0x45, 0x31, 0x0b, 0x30, 0x09, 0x06,
    0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04,
    0x0a, 0x0c, 0x0d, 0x4c, 0x6f, 0x6c, 0x77, 0x69, 0x72, 0x65, 0x20, 0x42, 0x65, 0x6e, 0x63, 0x68,
    0x31, 0x1e, 0x30, 0x1c, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x15, 0x4c, 0x6f, 0x6c, 0x77, 0x69,
    0x72, 0x65, 0x20, 0x42, 0x65, 0x6e, 0x63, 0x68, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41,
    0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
    0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01,
    0x00, 0x90, 0x66, 0x9c, 0x02, 0x6c, 0xa7, 0x6c, 0x69, 0xcc, 0x4b, 0x4f, 0x00, 0x2b, 0xc9, 0x78,
    0xd6, 0xb8, 0x13, 0xd4, 0xe1, 0xf7, 0xaa, 0xb0, 0x2a, 0x3c, 0xc2, 0x36, 0xfa, 0xb7, 0xfd, 0xbb,
    0xf6, 0xf1, 0x83, 0xc8, 0xa9, 0xb5, 0x7f, 0xcb, 0x24, 0xd4, 0xbe, 0xe3, 0xfd, 0xbb, 0xc3, 0x74,
    0x63, 0x8f, 0xc0, 0x7f, 0xc0, 0xae, 0xaf, 0xe6, 0xc0, 0x80, 0x90, 0xd1, 0xa3, 0xe8, 0xe6, 0x12,
    0xb0, 0xff, 0xe5, 0xae, 0x52, 0x06, 0xd7, 0x99, 0xa4, 0xc9, 0xde, 0x92, 0xcc, 0x7c, 0x6a, 0x0d,
    0x63, 0xd4, 0x4e, 0xb3, 0x69, 0x2a, 0xfb, 0x44, 0x7d, 0x27, 0x94, 0xb1, 0x4a, 0xc5, 0xf8, 0xca,
    0x66, 0x5b, 0x67, 0x67, 0x93, 0x55, 0xb0, 0x29, 0x07, 0x7a, 0x1c, 0x33, 0xf4, 0x43, 0x3f, 0xde,
    0x5b, 0xb9, 0xd3, 0x37, 0x93, 0x9e, 0xf4, 0x3f, 0x38, 0xe5, 0x00, 0xc9, 0x2f, 0xbc, 0x1a, 0xd1,
    0x89, 0xa6, 0xdc, 0xc0, 0x91, 0x4f, 0xeb, 0x56, 0x17, 0x8a, 0x02, 0x01, 0x28, 0x15, 0x49, 0xdd,
    0x71, 0xff, 0x7e, 0x64, 0x83, 0x87, 0x81, 0x46, 0x64, 0x30, 0x24, 0x58, 0xb7, 0xfc, 0x40, 0xf2,
    0x2c, 0x03, 0xc1, 0xd3, 0x38, 0x67, 0x7c, 0xc3, 0x01, 0x72, 0x29, 0x5c, 0x15, 0x46, 0xc0, 0x97,
    0x61, 0x65, 0x0f, 0xd7, 0x54, 0xf7, 0x52, 0x03, 0x43, 0x5b, 0x68, 0xad, 0x6f, 0x52, 0xf6, 0x45,
    0x15, 0x8c, 0xbb, 0x1b, 0xc3, 0x4a, 0xc2, 0x6b, 0x7c, 0xcc, 0x0b, 0xfe, 0xb5, 0xcd, 0x93, 0x62,
    0x9a, 0x7c, 0xb7, 0x0d, 0x0c, 0x4c, 0xbc, 0x48, 0x11, 0x69, 0x92, 0x13, 0xd0, 0x4d, 0x98, 0x59,
    0x0a, 0x6c, 0x45, 0xc4, 0x47, 0x6b, 0xc8, 0x5f, 0xa3, 0x32, 0xfb, 0x8d, 0xe6, 0xda, 0xc2, 0xb9,
    0xe8, 0x75, 0x3f, 0x52, 0x7d, 0xee, 0xb0, 0x02, 0xe4, 0xea, 0xa0, 0xd2, 0xee, 0x07, 0xfa, 0x3b,
    0x8b, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x63, 0x30, 0x61, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d,
    0x0e, 0x04, 0x16, 0x04, 0x14, 0x5f, 0x76, 0x28, 0x5d, 0x17, 0x84, 0x81, 0xb6, 0x6d, 0xf8, 0x97,
    0x81, 0x62, 0xd4, 0x1c, 0xc9, 0x5a, 0xdc, 0xe1, 0x8b, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23,
    0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x5f, 0x76, 0x28, 0x5d, 0x17, 0x84, 0x81, 0xb6, 0x6d, 0xf8,
    0x97, 0x81, 0x62, 0xd4, 0x1c, 0xc9, 0x5a, 0xdc, 0xe1, 0x8b, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
    0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0e, 0x06, 0x03, 0x55,
    0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x06, 0x30, 0x0d, 0x06, 0x09, 0x2a,
    0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x03, 0x82, 0x01, 0x01, 0x00, 0x17,
    0xe7, 0x59, 0x6d, 0x7f, 0xb9, 0xe8, 0xa0, 0xea, 0x0d, 0x57, 0xf4, 0x17, 0xaf, 0xf8, 0xae, 0x83,
    0x45, 0xe3, 0x53, 0x65, 0xa7, 0x00, 0xdf, 0x61, 0x29, 0x40, 0x61, 0xa6, 0x9e, 0xf9, 0x97, 0x6b,
    0x8c, 0x20, 0x26, 0xa9, 0x7a, 0x12, 0xdf, 0xb0, 0x5a, 0x75, 0x9c, 0x2e, 0xca, 0xe2, 0xb4, 0x3b,
    0x2c, 0x5f, 0xcf, 0xaa, 0x9d, 0xdc, 0x75, 0x67, 0xc6, 0x93, 0xa0, 0x6b, 0x1d, 0x73, 0xa9, 0x0c,
    0x64, 0x74, 0xb5, 0xe2, 0x51, 0x2a, 0x47, 0x43, 0xae, 0x66, 0x01, 0x9b, 0x19, 0xea, 0xd8, 0x9b,
    0x91, 0x6c, 0x87, 0xf3, 0xf6, 0x00, 0xef, 0xb6, 0x0e, 0xc1, 0xda, 0x2a, 0x02, 0x33, 0x74, 0x89,
    0x50, 0x37, 0x8f, 0xfe, 0x31, 0x70, 0x9c, 0x42, 0x04, 0x3b, 0xe2, 0xa2, 0x6b, 0x80, 0x7b, 0xdd,
    0xd8, 0x0c, 0x4b, 0x60, 0x72, 0xe7, 0xf0, 0x3f, 0xb4, 0xc6, 0x9e, 0x59, 0x68, 0x8f, 0x44, 0xad,
    0xee, 0xf5, 0x9d, 0xdd, 0xca, 0xd8, 0x7d, 0x66, 0x19, 0xf1, 0x49, 0xc9, 0x43, 0xb9, 0x69, 0x4f,
    0x4d, 0x0d, 0xa0, 0xe9, 0x9d, 0xe8, 0xb3, 0x93, 0x62, 0x23, 0x58, 0x99, 0x1f, 0x1d, 0x24, 0x36,
    0x1d, 0xbc, 0x06, 0xc4, 0xae, 0x5a, 0xa6, 0xc7, 0xcb, 0x9b, 0x79, 0xbb, 0xd3, 0x22, 0x8a, 0xe4,
    0xcc, 0xb3, 0x38, 0x6e, 0x2c, 0xe4, 0x97, 0x45, 0x9e, 0x6e, 0x4c, 0x9f, 0x25, 0x16, 0xfe, 0x70,
    0x69, 0x43, 0x13, 0x25, 0xd6, 0x8d, 0x5c, 0x7a, 0x7e, 0x88, 0x79, 0xd9, 0x15, 0xf5, 0xd3, 0x20,
    0x04, 0x8d, 0x38, 0xe4, 0x61, 0x6b, 0x10, 0xd3, 0x63, 0xc6, 0x1b, 0xc5, 0xca, 0x61, 0xee, 0x83,
    0xb5, 0xed, 0x8b, 0x8f, 0x7c, 0xc5, 0xcd, 0xb9, 0xbd, 0xab, 0x76, 0x67, 0xe8, 0x20, 0xa0, 0xb5,
    0x47, 0xce, 0x46, 0xe0, 0x2e, 0x7d, 0x8d, 0x63, 0xa7, 0x79, 0x92, 0x5a, 0x95, 0x4a, 0x38,
};

enum mode { MODE_HTTP, MODE_TLS, MODE_DNS, MODE_MIX };
enum flow_kind { FK_HTTP, FK_TLS, FK_DNS, FK_PLAIN, FK_N };
static const char *const kind_names[FK_N] = {"http", "tls", "dns", "plain"};

#define REC_MAX 16401u   /* TLS record payload cap: 2^14 plaintext + type byte + 16-byte tag */
#define MC_BUF 1536u     /* a flow's own bytes: hellos, key exchanges, DNS messages */
#define MC_PIECES 24u
#define MC_MSGS 16u
#define TLS_NAMES 20000u /* distinct SNIs: server_name(0 .. TLS_NAMES-1) */
#define DNS_NAMES 1000000u

enum piece_type { PC_BUF, PC_STATIC, PC_RECS, PC_PAT };

struct piece {
    uint8_t type, ctype; /* ctype: the TLS content type of PC_RECS */
    uint16_t off;        /* PC_BUF: where in the flow's buffer */
    uint32_t len;        /* bytes on the wire */
    uint32_t payload;    /* PC_RECS: record payload bytes in all (len adds 5 per record) */
    uint32_t pat;        /* PC_RECS, PC_PAT: where the pattern bytes start */
    const uint8_t *ptr;  /* PC_STATIC */
};

struct msg {
    bool from_server;
    uint8_t first, npieces;
    uint32_t len;
};

enum mstate { M_SYN, M_SYNACK, M_ACK, M_DATA, M_DACK, M_FIN1, M_FIN2, M_LASTACK, M_DONE };

struct mconn { /* a TLS or plain TCP flow, or a DNS exchange (buf: query, then answer) */
    uint32_t cip, sip;
    uint16_t cport, sport;
    uint16_t cid, sid;
    uint32_t cisn, sisn;
    uint32_t csent, ssent; /* stream bytes sent by each side */
    uint32_t moff;         /* bytes of message cur sent */
    uint8_t state, nmsgs, cur, unacked, npieces;
    bool server_closes, ack_from_server;
    uint16_t buf_len, qlen; /* DNS: the query is buf[0, qlen), the answer the rest */
    struct msg msgs[MC_MSGS];
    struct piece pieces[MC_PIECES];
    uint8_t buf[MC_BUF];
};

struct slot {
    uint8_t kind;
    union {
        struct conn h;
        struct mconn m;
    } u;
};

static uint8_t tls_cert_msg[5 + 4 + 3 + 3 + sizeof cert_leaf + 3 + sizeof cert_ca];
static const uint8_t tls_ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
static const uint8_t tls_shd[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00};

static void init_tls(void) /* the Certificate record: leaf, then the CA */
{
    uint8_t *p = tls_cert_msg;
    uint32_t certs = 3 + (uint32_t)sizeof cert_leaf + 3 + (uint32_t)sizeof cert_ca;
    p[0] = 0x16, p[1] = 3, p[2] = 3;
    put_be16(p + 3, 4 + 3 + certs);
    p[5] = 11; /* certificate */
    p[6] = 0, put_be16(p + 7, 3 + certs);
    p[9] = 0, put_be16(p + 10, certs);
    p += 12;
    p[0] = 0, put_be16(p + 1, sizeof cert_leaf);
    memcpy(p + 3, cert_leaf, sizeof cert_leaf);
    p += 3 + sizeof cert_leaf;
    p[0] = 0, put_be16(p + 1, sizeof cert_ca);
    memcpy(p + 3, cert_ca, sizeof cert_ca);
}

/* ---- building a flow's bytes */

static void b8(struct mconn *m, uint32_t v)
{
    if (m->buf_len >= MC_BUF) {
        fprintf(stderr, "gen_pcap: internal error: flow buffer full\n");
        exit(1);
    }
    m->buf[m->buf_len++] = (uint8_t)v;
}

static void b16(struct mconn *m, uint32_t v)
{
    b8(m, v >> 8);
    b8(m, v);
}

static void b32(struct mconn *m, uint32_t v)
{
    b16(m, v >> 16);
    b16(m, v);
}

static void bmem(struct mconn *m, const void *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        b8(m, ((const uint8_t *)p)[i]);
}

static void brand(struct mconn *m, uint32_t n)
{
    while (n) {
        uint64_t r = rng_next();
        for (uint32_t k = 0; k < 8 && n; k++, n--)
            b8(m, (uint32_t)(r >> (8 * k)));
    }
}

static uint32_t bmark16(struct mconn *m) /* a 16-bit length to fill in by bfill16 */
{
    uint32_t at = m->buf_len;
    b16(m, 0);
    return at;
}

static void bfill16(struct mconn *m, uint32_t at)
{
    put_be16(m->buf + at, m->buf_len - at - 2);
}

static uint32_t bmark24(struct mconn *m)
{
    uint32_t at = m->buf_len;
    b8(m, 0);
    b16(m, 0);
    return at;
}

static void bfill24(struct mconn *m, uint32_t at)
{
    uint32_t n = m->buf_len - at - 3;
    m->buf[at] = (uint8_t)(n >> 16);
    put_be16(m->buf + at + 1, n);
}

static struct piece *add_piece(struct mconn *m, uint8_t type, uint32_t len)
{
    if (m->npieces >= MC_PIECES) {
        fprintf(stderr, "gen_pcap: internal error: too many pieces\n");
        exit(1);
    }
    struct piece *p = &m->pieces[m->npieces++];
    memset(p, 0, sizeof *p);
    p->type = type;
    p->len = len;
    return p;
}

static void add_buf(struct mconn *m, uint32_t from) /* buf[from, buf_len) */
{
    add_piece(m, PC_BUF, m->buf_len - from)->off = (uint16_t)from;
}

static void add_static(struct mconn *m, const uint8_t *ptr, uint32_t len)
{
    add_piece(m, PC_STATIC, len)->ptr = ptr;
}

static void add_recs(struct mconn *m, uint8_t ctype, uint32_t payload) /* payload > 0 */
{
    uint32_t nrec = (payload + REC_MAX - 1) / REC_MAX;
    struct piece *p = add_piece(m, PC_RECS, payload + 5 * nrec);
    p->ctype = ctype;
    p->payload = payload;
    p->pat = rng_below(PATTERN_LEN);
}

static void add_pat(struct mconn *m, uint32_t len)
{
    add_piece(m, PC_PAT, len)->pat = rng_below(PATTERN_LEN);
}

static void begin_msg(struct mconn *m, bool from_server)
{
    if (m->nmsgs >= MC_MSGS) {
        fprintf(stderr, "gen_pcap: internal error: too many messages\n");
        exit(1);
    }
    struct msg *g = &m->msgs[m->nmsgs];
    g->from_server = from_server;
    g->first = m->npieces;
}

static void end_msg(struct mconn *m)
{
    struct msg *g = &m->msgs[m->nmsgs++];
    g->npieces = (uint8_t)(m->npieces - g->first);
    g->len = 0;
    for (uint32_t i = g->first; i < m->npieces; i++)
        g->len += m->pieces[i].len;
}

/* Copies bytes [off, off + len) of message g into dst (len <= MSS). */
static void msg_bytes(const struct mconn *m, const struct msg *g, uint32_t off, uint32_t len,
                      uint8_t *dst)
{
    const struct piece *p = &m->pieces[g->first];
    while (off >= p->len)
        off -= p->len, p++;
    while (len) {
        uint32_t n = p->len - off < len ? p->len - off : len;
        switch (p->type) {
        case PC_BUF:
            memcpy(dst, m->buf + p->off + off, n);
            break;
        case PC_STATIC:
            memcpy(dst, p->ptr + off, n);
            break;
        case PC_PAT:
            memcpy(dst, pattern_bin + (p->pat + off) % PATTERN_LEN, n); /* n <= MSS: no wrap */
            break;
        case PC_RECS: {
            uint32_t o = off, left = n;
            uint8_t *d = dst;
            while (left) {
                uint32_t k = o / (REC_MAX + 5), w = o % (REC_MAX + 5), c;
                if (w < 5) {
                    uint32_t rl = p->payload - k * REC_MAX;
                    uint8_t h[5] = {p->ctype, 3, 3, 0, 0};
                    put_be16(h + 3, rl < REC_MAX ? rl : REC_MAX);
                    c = 5 - w < left ? 5 - w : left;
                    memcpy(d, h + w, c);
                } else {
                    c = REC_MAX + 5 - w < left ? REC_MAX + 5 - w : left;
                    uint32_t at = (p->pat + k * REC_MAX + (w - 5)) % PATTERN_LEN;
                    memcpy(d, pattern_bin + at, c);
                }
                d += c, o += c, left -= c;
            }
            break;
        }
        }
        dst += n, len -= n, off = 0, p++;
    }
}

/* ---- TLS */

static uint16_t grease(uint32_t i) /* one of the 16 GREASE values 0x0a0a .. 0xfafa */
{
    return (uint16_t)(((i & 15) << 12) | 0x0a00 | ((i & 15) << 4) | 0x0a);
}

static void ext_begin(struct mconn *m, uint32_t type, uint32_t *at)
{
    b16(m, type);
    *at = bmark16(m);
}

static void ext_alpn(struct mconn *m, bool h2_only_http11)
{
    uint32_t e, l;
    ext_begin(m, 16, &e);
    l = bmark16(m);
    if (!h2_only_http11) {
        b8(m, 2);
        bmem(m, "h2", 2);
    }
    b8(m, 8);
    bmem(m, "http/1.1", 8);
    bfill16(m, l);
    bfill16(m, e);
}

static void ext_sni(struct mconn *m, const char *sni)
{
    uint32_t e, l, n = (uint32_t)strlen(sni);
    ext_begin(m, 0, &e);
    l = bmark16(m);
    b8(m, 0);
    b16(m, n);
    bmem(m, sni, n);
    bfill16(m, l);
    bfill16(m, e);
}

static void ext_u16s(struct mconn *m, uint32_t type, const uint16_t *v, uint32_t n, uint16_t first)
{
    uint32_t e, l;
    ext_begin(m, type, &e);
    l = bmark16(m);
    if (first)
        b16(m, first);
    for (uint32_t i = 0; i < n; i++)
        b16(m, v[i]);
    bfill16(m, l);
    bfill16(m, e);
}

/* A ClientHello record.  Template 0 is Chrome 120's (GREASE, padded to 512 bytes), template 1
 * OpenSSL 3.0's as curl sends it.  *sid_at: where the 32-byte session id is. */
static void client_hello(struct mconn *m, int tmpl, const char *sni, uint32_t *sid_at)
{
    static const uint16_t chrome_cs[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
                                         0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
                                         0x009d, 0x002f, 0x0035};
    static const uint16_t openssl_cs[] = {
        0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f,
        0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009,
        0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
    static const uint16_t chrome_sig[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                          0x0805, 0x0501, 0x0806, 0x0601};
    static const uint16_t openssl_sig[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809,
                                           0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401,
                                           0x0501, 0x0601, 0x0303, 0x0203, 0x0301, 0x0201,
                                           0x0302, 0x0202, 0x0402, 0x0502, 0x0602};
    static const uint16_t chrome_groups[] = {0x001d, 0x0017, 0x0018};
    static const uint16_t openssl_groups[] = {0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
                                              0x0100, 0x0101, 0x0102, 0x0103, 0x0104};
    uint32_t g = rng_below(16), g2 = (g + 1 + rng_below(15)) & 15; /* two different GREASEs */
    uint32_t rl, hl, el, e, l;

    b8(m, 0x16);
    b16(m, 0x0301);
    rl = bmark16(m);
    b8(m, 1);
    hl = bmark24(m);
    b16(m, 0x0303);
    brand(m, 32);
    b8(m, 32);
    *sid_at = m->buf_len;
    brand(m, 32);
    if (tmpl == 0) {
        b16(m, 2 * (1 + sizeof chrome_cs / 2));
        b16(m, grease(g));
        for (uint32_t i = 0; i < sizeof chrome_cs / 2; i++)
            b16(m, chrome_cs[i]);
    } else {
        b16(m, sizeof openssl_cs);
        for (uint32_t i = 0; i < sizeof openssl_cs / 2; i++)
            b16(m, openssl_cs[i]);
    }
    b8(m, 1), b8(m, 0); /* compression: null */
    el = bmark16(m);
    if (tmpl == 0) {
        b16(m, grease(g)), b16(m, 0);
        ext_sni(m, sni);
        b16(m, 0x0017), b16(m, 0);               /* extended_master_secret */
        b16(m, 0xff01), b16(m, 1), b8(m, 0);     /* renegotiation_info */
        ext_u16s(m, 0x000a, chrome_groups, 3, grease(g)); /* supported_groups */
        b16(m, 0x000b), b16(m, 2), b8(m, 1), b8(m, 0);    /* ec_point_formats */
        b16(m, 0x0023), b16(m, 0);               /* session_ticket */
        ext_alpn(m, false);
        b16(m, 0x0005), b16(m, 5), b8(m, 1), b32(m, 0); /* status_request */
        ext_u16s(m, 0x000d, chrome_sig, sizeof chrome_sig / 2, 0);
        b16(m, 0x0012), b16(m, 0);               /* signed_certificate_timestamp */
        ext_begin(m, 0x0033, &e);                /* key_share: GREASE, x25519 */
        l = bmark16(m);
        b16(m, grease(g)), b16(m, 1), b8(m, 0);
        b16(m, 0x001d), b16(m, 32), brand(m, 32);
        bfill16(m, l);
        bfill16(m, e);
        b16(m, 0x002d), b16(m, 2), b8(m, 1), b8(m, 1); /* psk_key_exchange_modes */
        b16(m, 0x002b), b16(m, 7), b8(m, 6);           /* supported_versions */
        b16(m, grease(g2)), b16(m, 0x0304), b16(m, 0x0303);
        b16(m, 0x001b), b16(m, 3), b8(m, 2), b16(m, 2); /* compress_certificate: brotli */
        b16(m, 0x4469), b16(m, 5), b16(m, 3), b8(m, 2), bmem(m, "h2", 2); /* ALPS */
        b16(m, grease(g2)), b16(m, 1), b8(m, 0);
        uint32_t have = m->buf_len - (hl - 1); /* the handshake message so far */
        if (have + 4 < 512) {
            uint32_t pad = 512 - have - 4;
            b16(m, 0x0015), b16(m, pad);
            for (uint32_t i = 0; i < pad; i++)
                b8(m, 0);
        }
    } else {
        ext_sni(m, sni);
        b16(m, 0x000b), b16(m, 4), b8(m, 3), b8(m, 0), b8(m, 1), b8(m, 2);
        ext_u16s(m, 0x000a, openssl_groups, sizeof openssl_groups / 2, 0);
        b16(m, 0x0023), b16(m, 0);
        ext_alpn(m, false);
        b16(m, 0x0016), b16(m, 0); /* encrypt_then_mac */
        b16(m, 0x0017), b16(m, 0);
        ext_u16s(m, 0x000d, openssl_sig, sizeof openssl_sig / 2, 0);
        b16(m, 0x002b), b16(m, 5), b8(m, 4), b16(m, 0x0304), b16(m, 0x0303);
        b16(m, 0x002d), b16(m, 2), b8(m, 1), b8(m, 1);
        ext_begin(m, 0x0033, &e);
        l = bmark16(m);
        b16(m, 0x001d), b16(m, 32), brand(m, 32);
        bfill16(m, l);
        bfill16(m, e);
    }
    bfill16(m, el);
    bfill24(m, hl);
    bfill16(m, rl);
}

/* log-uniform-ish sizes: lo << e for e < k, plus up to as much again */
static uint32_t log_size(uint32_t lo, uint32_t k)
{
    uint32_t s = lo << rng_below(k);
    return s + rng_below(s);
}

static uint32_t tls_size_k = 10; /* response sizes: 128 B .. 128 KiB (--tls: 7, to 16 KiB) */

static void mconn_init(struct mconn *m, uint32_t sip, uint16_t sport)
{
    m->npieces = m->nmsgs = 0;
    m->buf_len = m->qlen = 0;
    pick_client(&m->cip, &m->cport);
    m->sip = sip;
    m->sport = sport;
    m->cisn = (uint32_t)rng_next();
    m->sisn = (uint32_t)rng_next();
    m->cid = (uint16_t)rng_next();
    m->sid = (uint16_t)rng_next();
    m->csent = m->ssent = m->moff = 0;
    m->cur = m->unacked = 0;
    m->state = M_SYN;
    m->server_closes = false;
}

/* A TLS connection to port 443: 70% TLS 1.3 (ServerHello, then everything encrypted), 30%
 * TLS 1.2 (ServerHello, Certificate, ServerKeyExchange, ServerHelloDone in clear, then
 * ClientKeyExchange, ChangeCipherSpec, Finished each way), then 1-3 requests and responses
 * in application data records and the client's close_notify. */
static void tls_start(struct mconn *m)
{
    uint32_t name = rng_below(TLS_NAMES);
    char sni[64];
    server_name(name, sni, sizeof sni);
    mconn_init(m, server_addr(name % N_SERVERS), 443);
    bool v13 = rng_below(10) < 7;
    int tmpl = rng_below(10) < 7 ? 0 : 1;
    bool h2 = rng_below(10) < 8;
    uint32_t rounds = 1 + (rng_below(100) < 40) + (rng_below(100) < 15);
    uint32_t sid_at, from;

    begin_msg(m, false);
    client_hello(m, tmpl, sni, &sid_at);
    add_buf(m, 0);
    end_msg(m);

    /* ServerHello */
    begin_msg(m, true);
    from = m->buf_len;
    uint32_t rl, hl, el, e, l;
    b8(m, 0x16), b16(m, 0x0303);
    rl = bmark16(m);
    b8(m, 2);
    hl = bmark24(m);
    b16(m, 0x0303);
    brand(m, 32);
    b8(m, 32);
    if (v13) {
        bmem(m, m->buf + sid_at, 32);
        static const uint16_t cs13[] = {0x1301, 0x1301, 0x1301, 0x1302, 0x1303};
        b16(m, cs13[rng_below(5)]);
        b8(m, 0);
        el = bmark16(m);
        b16(m, 0x002b), b16(m, 2), b16(m, 0x0304);
        b16(m, 0x0033), b16(m, 36), b16(m, 0x001d), b16(m, 32), brand(m, 32);
    } else {
        brand(m, 32); /* a new session id */
        b16(m, rng_below(4) ? 0xc02f : 0xc030);
        b8(m, 0);
        el = bmark16(m);
        b16(m, 0xff01), b16(m, 1), b8(m, 0);
        b16(m, 0x0000), b16(m, 0);
        b16(m, 0x000b), b16(m, 4), b8(m, 3), b8(m, 0), b8(m, 1), b8(m, 2);
        b16(m, 0x0023), b16(m, 0);
        ext_begin(m, 16, &e);
        l = bmark16(m);
        if (h2)
            b8(m, 2), bmem(m, "h2", 2);
        else
            b8(m, 8), bmem(m, "http/1.1", 8);
        bfill16(m, l);
        bfill16(m, e);
        b16(m, 0x0017), b16(m, 0);
    }
    bfill16(m, el);
    bfill24(m, hl);
    bfill16(m, rl);
    add_buf(m, from);
    if (v13) {
        /* compatibility CCS, then EncryptedExtensions, Certificate, CertificateVerify and
         * Finished in one encrypted record */
        add_static(m, tls_ccs, sizeof tls_ccs);
        add_recs(m, 0x17, (uint32_t)sizeof tls_cert_msg + 330);
    } else {
        add_static(m, tls_cert_msg, sizeof tls_cert_msg);
        from = m->buf_len; /* ServerKeyExchange: x25519, RSA-PSS signature */
        b8(m, 0x16), b16(m, 0x0303), b16(m, 300);
        b8(m, 12), b8(m, 0), b16(m, 296);
        b8(m, 3), b16(m, 0x001d), b8(m, 32), brand(m, 32);
        b16(m, 0x0804), b16(m, 256), brand(m, 256);
        add_buf(m, from);
        add_static(m, tls_shd, sizeof tls_shd);
    }
    end_msg(m);

    /* the client's Finished (1.2: ClientKeyExchange first) and for 1.3 its first request */
    begin_msg(m, false);
    if (!v13) {
        from = m->buf_len;
        b8(m, 0x16), b16(m, 0x0303), b16(m, 37);
        b8(m, 16), b8(m, 0), b16(m, 33), b8(m, 32), brand(m, 32);
        add_buf(m, from);
    }
    add_static(m, tls_ccs, sizeof tls_ccs);
    if (v13) {
        add_recs(m, 0x17, 53);
        add_recs(m, 0x17, 60 + log_size(48, 4));
    } else {
        add_recs(m, 0x16, 40);
    }
    end_msg(m);

    if (!v13) { /* NewSessionTicket, ChangeCipherSpec, Finished; then the first request */
        begin_msg(m, true);
        from = m->buf_len;
        b8(m, 0x16), b16(m, 0x0303), b16(m, 4 + 4 + 2 + 176);
        b8(m, 4), b8(m, 0), b16(m, 4 + 2 + 176);
        b32(m, 7200), b16(m, 176), brand(m, 176);
        add_buf(m, from);
        add_static(m, tls_ccs, sizeof tls_ccs);
        add_recs(m, 0x16, 40);
        end_msg(m);
        begin_msg(m, false);
        add_recs(m, 0x17, 60 + log_size(48, 4));
        end_msg(m);
    }
    for (uint32_t r = 0; r < rounds; r++) {
        if (r > 0) {
            begin_msg(m, false);
            add_recs(m, 0x17, 60 + log_size(48, 4));
            end_msg(m);
        }
        begin_msg(m, true);
        if (v13 && r == 0) { /* two NewSessionTickets */
            add_recs(m, 0x17, 233);
            add_recs(m, 0x17, 233);
        }
        add_recs(m, 0x17, log_size(128, tls_size_k) + 24);
        end_msg(m);
    }
    begin_msg(m, false); /* close_notify */
    if (v13)
        add_recs(m, 0x17, 19);
    else
        add_recs(m, 0x15, 26);
    end_msg(m);
}

/* Plain TCP: a binary request/response protocol on an unregistered port, 1-3 rounds of a
 * short request and a response of 256 B .. 256 KiB; the server closes a third of them. */
static void plain_start(struct mconn *m)
{
    static const uint16_t ports[] = {9000, 8765, 15000, 24000};
    uint32_t srv = rng_below(N_SERVERS);
    mconn_init(m, server_addr(srv), ports[rng_below(4)]);
    uint32_t rounds = 1 + rng_below(3);
    for (uint32_t r = 0; r < rounds; r++) {
        begin_msg(m, false);
        add_pat(m, 32 + rng_below(480));
        end_msg(m);
        begin_msg(m, true);
        add_pat(m, log_size(256, 10));
        end_msg(m);
    }
    m->server_closes = rng_below(3) == 0;
}

/* ---- DNS */

static const char *const dns_words[] = {"www",   "api",       "cdn",    "mail",
                                        "static", "img",      "login",  "telemetry",
                                        "update", "edge",     "assets", "ws"};
static const char *const dns_zones[] = {"example.com",      "example.net",  "example.org",
                                        "corp.example",     "svc.example.com",
                                        "cloud.example.net", "test",        "eu.example.org"};

static void dns_name_of(uint32_t i, char *buf, size_t size) /* distinct for distinct i */
{
    snprintf(buf, size, "%s%u.%s", dns_words[i % 12], i / 12, dns_zones[(i / 12) % 8]);
}

static void bname(struct mconn *m, const char *name)
{
    uint8_t tmp[256];
    uint32_t n = dns_name(tmp, name);
    bmem(m, tmp, n);
}

/* One DNS exchange over UDP, as a slot of two packets: the query, and some packets later
 * its answer.  Queries: A 60%, AAAA 35%, HTTPS 5%, EDNS0 on 70%; answers: NXDOMAIN 4%, no
 * data for HTTPS, else a CNAME (30%) and 1-4 A or AAAA records. */
static void dns_start(struct mconn *m)
{
    uint32_t rip = rng_below(2) ? 0xc0000235u : 0xc6336435u;
    mconn_init(m, rip, 53);
    uint32_t idx = rng_below(DNS_NAMES), t = rng_below(100);
    uint16_t qtype = t < 60 ? 1 : t < 95 ? 28 : 65;
    bool edns = rng_below(10) < 7, nx = rng_below(100) < 4, cname = !nx && rng_below(10) < 3;
    uint16_t id = (uint16_t)rng_next();
    char name[96], target[96];
    dns_name_of(idx, name, sizeof name);

    b16(m, id), b16(m, 0x0100), b16(m, 1), b16(m, 0), b16(m, 0), b16(m, edns);
    bname(m, name);
    b16(m, qtype), b16(m, 1);
    if (edns)
        b8(m, 0), b16(m, 41), b16(m, 1232), b32(m, 0), b16(m, 0);
    m->qlen = m->buf_len;

    uint32_t base = m->buf_len, nans = 0;
    uint32_t nrec = nx || qtype == 65 ? 0 : 1 + rng_below(4);
    b16(m, id), b16(m, nx ? 0x8183 : 0x8180), b16(m, 1);
    uint32_t an_at = bmark16(m);
    b16(m, 0), b16(m, edns);
    bname(m, name);
    b16(m, qtype), b16(m, 1);
    uint32_t owner = 0xc00c; /* pointer to the question's name */
    if (cname && nrec) {
        snprintf(target, sizeof target, "%s%u.edge.example.net", dns_words[idx % 12], idx % 977);
        b16(m, 0xc00c), b16(m, 5), b16(m, 1), b32(m, 300 + rng_below(3300));
        uint32_t rd = bmark16(m);
        owner = 0xc000 | (m->buf_len - base);
        bname(m, target);
        bfill16(m, rd);
        nans++;
    }
    uint32_t ttl = 30 + rng_below(600);
    for (uint32_t k = 0; k < nrec; k++, nans++) {
        b16(m, owner), b16(m, qtype), b16(m, 1), b32(m, ttl);
        if (qtype == 1) {
            b16(m, 4), b32(m, server_addr((idx + k) % N_SERVERS));
        } else {
            b16(m, 16), b32(m, 0x20010db8u), b32(m, idx), b32(m, k), b32(m, 0x1);
        }
    }
    if (edns)
        b8(m, 0), b16(m, 41), b16(m, 1232), b32(m, 0), b16(m, 0);
    put_be16(m->buf + an_at, nans);
}

static void dns_step(struct mconn *m)
{
    uint8_t *d = frame + ETH_LEN + IP_LEN + UDP_LEN;
    if (m->state == M_SYN) {
        memcpy(d, m->buf, m->qlen);
        emit_udp(m->cip, m->sip, m->cport, 53, true, m->cid, m->qlen);
        m->state = M_SYNACK;
    } else {
        memcpy(d, m->buf + m->qlen, m->buf_len - m->qlen);
        emit_udp(m->sip, m->cip, 53, m->cport, false, m->sid, m->buf_len - m->qlen);
        m->state = M_DONE;
    }
}

/* ---- the TCP state machine of a message flow */

static void mc_emit(struct mconn *m, bool from_server, uint32_t seq, uint32_t ack, uint8_t flags,
                    bool mss, uint32_t len)
{
    if (from_server)
        emit_tcp(m->sip, m->cip, m->sport, m->cport, false, m->sid++, seq, ack, flags, 65535, mss,
                 len);
    else
        emit_tcp(m->cip, m->sip, m->cport, m->sport, true, m->cid++, seq, ack, flags, 64240, mss,
                 len);
}

static void mconn_step(struct mconn *m)
{
    uint32_t cnext = m->cisn + 1 + m->csent, snext = m->sisn + 1 + m->ssent;
    bool closer = m->server_closes;
    switch (m->state) {
    case M_SYN:
        mc_emit(m, false, m->cisn, 0, F_SYN, true, 0);
        m->state = M_SYNACK;
        break;
    case M_SYNACK:
        mc_emit(m, true, m->sisn, m->cisn + 1, F_SYN | F_ACK, true, 0);
        m->state = M_ACK;
        break;
    case M_ACK:
        mc_emit(m, false, cnext, snext, F_ACK, false, 0);
        m->state = M_DATA;
        break;
    case M_DATA: {
        const struct msg *g = &m->msgs[m->cur];
        uint32_t n = g->len - m->moff < MSS ? g->len - m->moff : MSS;
        msg_bytes(m, g, m->moff, n, frame + ETH_LEN + IP_LEN + TCP_LEN);
        bool last = m->moff + n == g->len;
        uint8_t fl = (uint8_t)(F_ACK | (last ? F_PSH : 0));
        if (g->from_server) {
            mc_emit(m, true, snext, cnext, fl, false, n);
            m->ssent += n;
        } else {
            mc_emit(m, false, cnext, snext, fl, false, n);
            m->csent += n;
        }
        m->moff += n;
        m->unacked++;
        m->ack_from_server = !g->from_server;
        if (last) {
            m->cur++;
            m->moff = 0;
            if (m->cur < m->nmsgs && m->msgs[m->cur].from_server != g->from_server)
                m->unacked = 0; /* the reply carries the ACK */
            else
                m->state = M_DACK;
        } else if (m->unacked == 2) {
            m->state = M_DACK;
        }
        break;
    }
    case M_DACK:
        if (m->ack_from_server)
            mc_emit(m, true, snext, cnext, F_ACK, false, 0);
        else
            mc_emit(m, false, cnext, snext, F_ACK, false, 0);
        m->unacked = 0;
        m->state = m->cur < m->nmsgs ? M_DATA : unfinished ? M_DONE : M_FIN1;
        break;
    case M_FIN1:
        if (closer)
            mc_emit(m, true, snext, cnext, F_FIN | F_ACK, false, 0);
        else
            mc_emit(m, false, cnext, snext, F_FIN | F_ACK, false, 0);
        m->state = M_FIN2;
        break;
    case M_FIN2:
        if (closer)
            mc_emit(m, false, cnext, snext + 1, F_FIN | F_ACK, false, 0);
        else
            mc_emit(m, true, snext, cnext + 1, F_FIN | F_ACK, false, 0);
        m->state = M_LASTACK;
        break;
    case M_LASTACK:
        if (closer)
            mc_emit(m, true, snext + 1, cnext + 1, F_ACK, false, 0);
        else
            mc_emit(m, false, cnext + 1, snext + 1, F_ACK, false, 0);
        m->state = M_DONE;
        break;
    default:
        break;
    }
}

/* ---- the mixed table */

#define REC_OVERHEAD (16u + ETH_LEN + IP_LEN) /* pcap record header + Ethernet + IPv4 */

/* File bytes a flow will take, nearly exactly (for --size-mb). */
static uint64_t flow_estimate(const struct slot *s)
{
    if (s->kind == FK_HTTP) {
        const struct conn *c = &s->u.h;
        uint64_t segs = (c->total + MSS - 1) / MSS;
        uint64_t pk = 4 + segs + (segs + 1) / 2 + (unfinished ? 0 : 3);
        return pk * (REC_OVERHEAD + TCP_LEN) + 8 + c->req_len + c->total;
    }
    const struct mconn *m = &s->u.m;
    if (s->kind == FK_DNS)
        return 2 * (REC_OVERHEAD + UDP_LEN) + m->buf_len;
    uint64_t pk = 3 + (unfinished ? 0 : 3), bytes = 8;
    for (uint32_t i = 0; i < m->nmsgs; i++) {
        uint64_t segs = (m->msgs[i].len + MSS - 1) / MSS;
        pk += segs + segs / 2 + 1;
        bytes += m->msgs[i].len;
    }
    return pk * (REC_OVERHEAD + TCP_LEN) + bytes;
}

static uint32_t weights[FK_N];
static uint64_t kind_flows[FK_N];

static void slot_start(struct slot *s)
{
    uint32_t sum = 0, i;
    for (i = 0; i < FK_N; i++)
        sum += weights[i];
    uint32_t r = rng_below(sum);
    for (i = 0; r >= weights[i]; i++)
        r -= weights[i];
    s->kind = (uint8_t)i;
    kind_flows[i]++;
    switch (s->kind) {
    case FK_HTTP:
        conn_start(&s->u.h);
        break;
    case FK_TLS:
        tls_start(&s->u.m);
        break;
    case FK_DNS:
        dns_start(&s->u.m);
        break;
    default:
        plain_start(&s->u.m);
        break;
    }
}

/* Emits the next packet of s; true when the flow is over. */
static bool slot_step(struct slot *s)
{
    switch (s->kind) {
    case FK_HTTP:
        conn_step(&s->u.h);
        return s->u.h.state == S_DONE;
    case FK_DNS:
        dns_step(&s->u.m);
        break;
    default:
        mconn_step(&s->u.m);
        break;
    }
    return s->u.m.state == M_DONE;
}

/* The mixes: flows drawn by weight until `flows` have started or their estimated size
 * reaches `size_limit` file bytes (0: no limit); returns false when out of memory. */
static bool run_mix(uint64_t flows, uint32_t concurrent, uint64_t size_limit)
{
    struct slot *slots = calloc(concurrent, sizeof *slots);
    if (!slots)
        return false;
    uint64_t started = 0, planned = 24;
    uint32_t active = 0;
#define CAN_START() (started < flows && (!size_limit || planned < size_limit))
    while (active < concurrent && CAN_START()) {
        slot_start(&slots[active]);
        planned += flow_estimate(&slots[active]);
        active++, started++;
    }
    while (active) {
        uint32_t i = rng_below(active);
        if (slot_step(&slots[i])) {
            if (CAN_START()) {
                slot_start(&slots[i]);
                planned += flow_estimate(&slots[i]);
                started++;
            } else {
                slots[i] = slots[--active];
            }
        }
    }
#undef CAN_START
    free(slots);
    return true;
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gen_pcap -o FILE [-f FLOWS] [-c CONCURRENT] [-b BYTES] [-s SEED] [-u UDP]\n"
            "                [-t USEC] [--unfinished]\n"
            "       gen_pcap -o FILE --tls|--dns|--mix [--weights H,T,D,P] [--size-mb MB]\n"
            "                [-f FLOWS] [-c CONCURRENT] [-b BYTES] [-s SEED] [-t USEC] [--unfinished]\n"
            "\n"
            "Writes a deterministic synthetic pcap (Ethernet, microsecond timestamps).  By default:\n"
            "HTTP/1.1 downloads over TCP plus DNS A-record exchanges over UDP.\n"
            "\n"
            "  -o FILE        output file ('-' for stdout)\n"
            "  -f FLOWS       TCP connections (default 20000); with a mix: flows of every kind\n"
            "                 (default 20000, no limit with --size-mb)\n"
            "  -c CONCURRENT  connections in progress at once (default 1000)\n"
            "  -b BYTES       HTTP response body bytes per connection (default 20000)\n"
            "  -s SEED        seed (default 1)\n"
            "  -u UDP         DNS-like UDP flows, query + answer each (default 2000; HTTP mode only)\n"
            "  -t USEC        microseconds between packets (default 10)\n"
            "  --unfinished   connections never close (no FIN/RST), for memory tests\n"
            "  --syn          a SYN flood / scan: FLOWS single unanswered SYNs from spoofed\n"
            "                 sources to any port (every packet a new connection)\n"
            "\n"
            "Mixes (flows of several kinds interleaved in one table of CONCURRENT slots):\n"
            "  --tls          TLS-heavy: short TLS 1.3 and 1.2 connections to port 443 (full\n"
            "                 handshakes with SNI, a two-certificate chain for 1.2, 1-3 requests,\n"
            "                 responses of 128 B to 16 KiB); weights 0,1,0,0\n"
            "  --dns          DNS-heavy: UDP queries and answers (A, AAAA, HTTPS; CNAMEs,\n"
            "                 NXDOMAIN, EDNS0), 1,000,000 possible names; weights 0,0,1,0\n"
            "  --mix          everything: weights 10,35,45,10; TLS responses up to 128 KiB\n"
            "  --weights H,T,D,P  relative numbers of HTTP, TLS, DNS and plain TCP flows (plain:\n"
            "                 a binary request/response protocol on ports 9000, 8765, 15000, 24000)\n"
            "  --size-mb MB   stop starting flows when the file would pass MB MiB (the flows\n"
            "                 in progress then finish: the file ends within about 1%% of it)\n");
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *v)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end || x > max)
        return false;
    *v = (uint32_t)x;
    return true;
}

static bool parse_weights(const char *s, uint32_t w[FK_N])
{
    uint32_t sum = 0;
    for (int i = 0; i < FK_N; i++) {
        char num[16];
        size_t n = strcspn(s, ",");
        if (n == 0 || n >= sizeof num)
            return false;
        memcpy(num, s, n);
        num[n] = 0;
        if (!parse_u32(num, 1000000, &w[i]))
            return false;
        sum += w[i];
        s += n;
        if (i < FK_N - 1 && *s++ != ',')
            return false;
    }
    return !*s && sum > 0;
}

/* Flushes and closes the output, then prints the summary line bench/run.sh keeps in NAME.meta
 * (the mixes add their flows per kind).  Returns main's exit status. */
static int finish(uint64_t tcp_flows, uint64_t udp_flows, bool per_kind)
{
    if (fflush(out) != 0 || (out != stdout && fclose(out) != 0)) {
        fprintf(stderr, "gen_pcap: write failed: %s\n", strerror(errno));
        return 1;
    }
    fprintf(stderr,
            "gen_pcap: packets=%" PRIu64 " bytes=%" PRIu64 " file_bytes=%" PRIu64
            " tcp_flows=%" PRIu64 " tcp_packets=%" PRIu64 " udp_flows=%" PRIu64
            " udp_packets=%" PRIu64,
            n_packets, n_bytes, 24 + 16 * n_packets + n_bytes, tcp_flows, n_tcp_packets,
            udp_flows, n_udp_packets);
    for (int k = 0; per_kind && k < FK_N; k++)
        fprintf(stderr, " %s_flows=%" PRIu64, kind_names[k], kind_flows[k]);
    fprintf(stderr, "\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    uint32_t flows = 20000, concurrent = 1000, udp = 2000, seed = 1, size_mb = 0;
    bool flows_set = false, udp_set = false, weights_set = false;
    enum mode mode = MODE_HTTP;
    body_len = 20000;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--unfinished")) {
            unfinished = true;
            continue;
        }
        if (!strcmp(a, "--syn")) {
            syn_only = true;
            continue;
        }
        if (!strcmp(a, "--tls") || !strcmp(a, "--dns") || !strcmp(a, "--mix")) {
            mode = a[2] == 't' ? MODE_TLS : a[2] == 'd' ? MODE_DNS : MODE_MIX;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        bool long_opt = !strcmp(a, "--weights") || !strcmp(a, "--size-mb");
        if (!long_opt && (a[0] != '-' || !a[1] || a[2] || !strchr("ofcbsut", a[1]))) {
            fprintf(stderr, "gen_pcap: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gen_pcap: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        bool ok = true;
        if (!strcmp(a, "--weights")) {
            ok = parse_weights(v, weights);
            weights_set = true;
        } else if (!strcmp(a, "--size-mb")) {
            ok = parse_u32(v, 1000000, &size_mb) && size_mb > 0;
        } else {
            switch (a[1]) {
            case 'o':
                path = v;
                break;
            case 'f':
                ok = parse_u32(v, UINT32_MAX, &flows);
                flows_set = true;
                break;
            case 'c':
                ok = parse_u32(v, 10000000, &concurrent) && concurrent > 0;
                break;
            case 'b':
                ok = parse_u32(v, 1000000000, &body_len);
                break; /* keeps seq space sane */
            case 's':
                ok = parse_u32(v, UINT32_MAX, &seed);
                break;
            case 'u':
                ok = parse_u32(v, UINT32_MAX, &udp);
                udp_set = true;
                break;
            case 't':
                ok = parse_u32(v, 1000000, &ts_step_us);
                break;
            }
        }
        if (!ok) {
            fprintf(stderr, "gen_pcap: bad value '%s' for %s\n", v, a);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "gen_pcap: -o FILE is required\n");
        usage(stderr);
        return 2;
    }
    if (mode == MODE_HTTP && (weights_set || size_mb)) {
        fprintf(stderr, "gen_pcap: --weights and --size-mb need --tls, --dns or --mix\n");
        return 2;
    }
    if (mode != MODE_HTTP && udp_set) {
        fprintf(stderr, "gen_pcap: -u is for the HTTP mode; a mix's DNS share is in --weights\n");
        return 2;
    }
    if (mode != MODE_HTTP && !weights_set) {
        static const uint32_t w[][FK_N] = {{0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {10, 35, 45, 10}};
        memcpy(weights, w[mode], sizeof weights);
    }
    if (mode == MODE_TLS)
        tls_size_k = 7;

    out = strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "gen_pcap: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    static char iobuf[8u << 20];
    setvbuf(out, iobuf, _IOFBF, sizeof iobuf);

    rng_state = 0x243f6a8885a308d3ull ^ ((uint64_t)seed * 0x9e3779b97f4a7c15ull);
    init_patterns();
    init_bodies(body_len);
    init_tls();
    for (uint32_t h = 0; h < CLIENT_HOSTS; h++) /* each host's ports start somewhere else */
        client_next_port[h] = (uint16_t)rng_below(16384);
    write_global_header();

    if (syn_only) {
        /* A SYN flood or scan: every flow one SYN, never answered, from spoofed sources in
         * 10.0.0.0/8 to any port of the servers: FLOWS distinct connections. */
        for (uint32_t i = 0; i < flows; i++) {
            uint32_t src = 0x0a000000u | (uint32_t)rng_below(1u << 24);
            uint32_t dst = server_addr(rng_below(N_SERVERS));
            uint16_t sport = (uint16_t)(1024 + rng_below(64512));
            uint16_t dport = (uint16_t)(1 + rng_below(65535));
            emit_tcp(src, dst, sport, dport, true, (uint16_t)i, (uint32_t)rng_next(), 0, F_SYN,
                     64240, true, 0);
        }
        return finish(flows, 0, false);
    }

    if (mode != MODE_HTTP) {
        uint64_t limit = (uint64_t)size_mb << 20;
        uint64_t nflows = flows_set || !size_mb ? flows : UINT64_MAX;
        if (!run_mix(nflows, concurrent, limit)) {
            fprintf(stderr, "gen_pcap: out of memory for %" PRIu32 " connections\n", concurrent);
            return 1;
        }
        return finish(kind_flows[FK_HTTP] + kind_flows[FK_TLS] + kind_flows[FK_PLAIN],
                      kind_flows[FK_DNS], true);
    }

    if (concurrent > flows)
        concurrent = flows;
    struct conn *slots = calloc(concurrent ? concurrent : 1, sizeof *slots);
    if (!slots) {
        fprintf(stderr, "gen_pcap: out of memory for %" PRIu32 " connections\n", concurrent);
        return 1;
    }

    /* Spread the UDP flows evenly over the TCP packets: estimate how many there will be
     * (header length varies a little with content type), one DNS exchange every `gap`. */
    uint64_t est_stream = 150ull + body_len;
    uint64_t est_segs = (est_stream + MSS - 1) / MSS;
    uint64_t est_per_conn = 4 + est_segs + (est_segs + 1) / 2 + (unfinished ? 0 : 3);
    uint64_t est_tcp = est_per_conn * flows;
    uint64_t gap = udp ? est_tcp / ((uint64_t)udp + 1) : 0;
    if (udp && gap == 0)
        gap = 1;
    uint64_t udp_left = udp, since_udp = 0;

    uint32_t started = 0, active = 0;
    for (; active < concurrent; active++, started++)
        conn_start(&slots[active]);

    while (active) {
        uint32_t i = rng_below(active);
        struct conn *c = &slots[i];
        conn_step(c);
        if (c->state == S_DONE) {
            if (started < flows) {
                conn_start(c);
                started++;
            } else {
                slots[i] = slots[--active];
            }
        }
        if (udp_left && ++since_udp >= gap) {
            emit_dns_flow();
            udp_left--;
            since_udp = 0;
        }
    }
    while (udp_left--)
        emit_dns_flow();

    free(slots);
    return finish(flows, udp, false);
}
