/* gen_pcap.c: deterministic synthetic HTTP-over-TCP (plus DNS-over-UDP) capture for benchmarks.
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
 * On success one summary line goes to stderr:
 *   gen_pcap: packets=N bytes=B file_bytes=F tcp_flows=T tcp_packets=P udp_flows=U udp_packets=Q
 * where bytes is the sum of the frame lengths (what a sensor sees) and file_bytes the size of
 * the pcap file.
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

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gen_pcap -o FILE [-f FLOWS] [-c CONCURRENT] [-b BYTES] [-s SEED] [-u UDP]\n"
            "                [-t USEC] [--unfinished]\n"
            "\n"
            "Writes a deterministic synthetic pcap (Ethernet, microsecond timestamps) of HTTP/1.1\n"
            "downloads over TCP plus DNS-like UDP exchanges.\n"
            "\n"
            "  -o FILE        output file ('-' for stdout)\n"
            "  -f FLOWS       TCP connections (default 20000)\n"
            "  -c CONCURRENT  connections in progress at once (default 1000)\n"
            "  -b BYTES       response body bytes per connection (default 20000)\n"
            "  -s SEED        seed (default 1)\n"
            "  -u UDP         DNS-like UDP flows, query + answer each (default 2000)\n"
            "  -t USEC        microseconds between packets (default 10)\n"
            "  --unfinished   connections never close (no FIN/RST), for memory tests\n");
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

int main(int argc, char **argv)
{
    const char *path = NULL;
    uint32_t flows = 20000, concurrent = 1000, udp = 2000, seed = 1;
    body_len = 20000;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--unfinished")) {
            unfinished = true;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (a[0] != '-' || !a[1] || a[2] || !strchr("ofcbsut", a[1])) {
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
        switch (a[1]) {
        case 'o':
            path = v;
            break;
        case 'f':
            ok = parse_u32(v, UINT32_MAX, &flows);
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
            break;
        case 't':
            ok = parse_u32(v, 1000000, &ts_step_us);
            break;
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
    for (uint32_t h = 0; h < CLIENT_HOSTS; h++) /* each host's ports start somewhere else */
        client_next_port[h] = (uint16_t)rng_below(16384);
    write_global_header();

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
    if (fflush(out) != 0 || (out != stdout && fclose(out) != 0)) {
        fprintf(stderr, "gen_pcap: write failed: %s\n", strerror(errno));
        return 1;
    }
    fprintf(stderr,
            "gen_pcap: packets=%" PRIu64 " bytes=%" PRIu64 " file_bytes=%" PRIu64
            " tcp_flows=%" PRIu32 " tcp_packets=%" PRIu64 " udp_flows=%" PRIu32
            " udp_packets=%" PRIu64 "\n",
            n_packets, n_bytes, 24 + 16 * n_packets + n_bytes, flows, n_tcp_packets, udp,
            n_udp_packets);
    return 0;
}
