/* decode.c: from a captured frame down to transport headers, through tunnels.
 *
 * Specs: IEEE 802.3/802.1Q/802.1ad/802.1ah, RFC 3032 (MPLS), RFC 2516 (PPPoE),
 * RFC 791 (IPv4), RFC 8200 (IPv6), RFC 2784/2890 (GRE), RFC 2637 (PPTP GRE),
 * RFC 7348 (VXLAN), RFC 8926 (Geneve), RFC 4380 (Teredo), draft-massar-v6ops-ayiya
 * (AYIYA), 3GPP TS 29.281 (GTP-U), RFC 8086 (GRE-in-UDP), ERSPAN (Cisco draft),
 * radiotap.org, 802.11-2016 §9.2, libpcap's linktype pages (SLL, SLL2, NFLOG, NULL).
 *
 * Each layer takes (data, caplen, wirelen): `caplen` bytes are readable, `wirelen` is
 * how long the layer was on the wire.  Every read goes through a cursor.
 */
#include "dissect/decode.h"

#include <string.h>

#include "core/config.h"
#include "core/cursor.h"
#include "core/stats.h"
#include "core/util.h"
#include "dissect/conn.h"
#include "dissect/flow.h"
#include "dissect/frag.h"
#include "dissect/weird.h"

/* Per-frame decoding state, carried down through the layers and into tunnels. */
struct dstate {
    struct decoder *d;
    const struct packet *frame;
    int64_t ts;
    uint16_t vlan, inner_vlan;
    int depth;             /* tunnel nesting */
    struct flow *tunnel;   /* innermost enclosing tunnel connection */
    bool spread;           /* decode_spread_hash(): stop at the first IP header */
    uint64_t spread_hash;  /* its address pair, hashed both ways alike (0: no IP) */
};

static void decode_ether(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen);
static void decode_ethertype(struct dstate *s, uint16_t type, const uint8_t *p, uint32_t caplen,
                             uint32_t wirelen);
static void decode_ip(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen);
static void decode_l4(struct dstate *s, struct l4pkt *l);
static void decode_gre(struct dstate *s, struct flow *tun, const uint8_t *p, uint32_t len);

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Link layers are also walked by the reader thread to spread packets over the workers
 * (decode_spread_hash): that walk counts and reports nothing, the worker's does. */
#define LINK_COUNT(s, name)                                                                    \
    do {                                                                                       \
        if (!(s)->spread)                                                                      \
            lw_stats.name++;                                                                   \
    } while (0)

static void link_weird(struct dstate *s, const char *name, const char *addl, const char *source)
{
    if (!s->spread)
        weird_report(s->ts, s->tunnel, name, addl, source);
}

static void truncated(struct dstate *s, const char *name)
{
    LINK_COUNT(s, pkts_truncated);
    link_weird(s, name, NULL, NULL);
}

/* ---- link layers -------------------------------------------------------------------- */

enum {
    ETH_IPV4 = 0x0800,
    ETH_ARP = 0x0806,
    ETH_VLAN = 0x8100,
    ETH_IPV6 = 0x86dd,
    ETH_PPP = 0x880b,
    ETH_MPLS = 0x8847,
    ETH_MPLS_MC = 0x8848,
    ETH_PPPOE_DISC = 0x8863,
    ETH_PPPOE_SESS = 0x8864,
    ETH_QINQ = 0x88a8,
    ETH_ERSPAN2 = 0x88be,
    ETH_PBB = 0x88e7,
    ETH_FABRICPATH = 0x8903,
    ETH_VNTAG = 0x8926,
    ETH_QINQ_OLD = 0x9100,
    ETH_QINQ_OLD2 = 0x9200,
    ETH_TEB = 0x6558,      /* transparent Ethernet bridging (GRE, Geneve) */
    ETH_ERSPAN3 = 0x22eb,
};

static void decode_ether(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    if (caplen < 14) {
        truncated(s, "truncated_ethernet_frame");
        return;
    }
    uint16_t type = load_be16(p + 12);
    decode_ethertype(s, type, p + 14, caplen - 14, wirelen >= 14 ? wirelen - 14 : 0);
}

/* 802.3 length field: LLC, and SNAP behind it. */
static void decode_llc(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    struct cursor c = cur_make(p, caplen);
    uint8_t dsap = cur_u8(&c), ssap = cur_u8(&c), ctl = cur_u8(&c);
    if (c.err) {
        truncated(s, "truncated_LLC_header");
        return;
    }
    if (dsap == 0xaa && ssap == 0xaa && ctl == 0x03) {
        cur_skip(&c, 3); /* OUI */
        uint16_t type = cur_be16(&c);
        if (c.err) {
            truncated(s, "truncated_LLC_header");
            return;
        }
        decode_ethertype(s, type, p + 8, caplen - 8, wirelen >= 8 ? wirelen - 8 : 0);
        return;
    }
    LINK_COUNT(s, pkts_non_ip); /* STP, NetBIOS, IPX... */
}

static void decode_mpls(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    struct cursor c = cur_make(p, caplen);
    for (int i = 0; i < DECODE_MAX_LABELS; i++) {
        uint32_t label = cur_be32(&c);
        if (c.err) {
            truncated(s, "truncated_MPLS_header");
            return;
        }
        if (label & 0x100) { /* bottom of stack */
            uint32_t off = (uint32_t)(c.p - p);
            int nib = cur_peek(&c, 0);
            if (nib < 0) {
                truncated(s, "truncated_MPLS_header");
                return;
            }
            nib >>= 4;
            if (nib == 4 || nib == 6) {
                decode_ip(s, c.p, caplen - off, wirelen > off ? wirelen - off : 0);
            } else if (nib == 0 && caplen - off >= 4 + 14) {
                /* Pseudowire control word, then an Ethernet frame (RFC 4448). */
                decode_ether(s, c.p + 4, caplen - off - 4, wirelen > off + 4 ? wirelen - off - 4 : 0);
            } else {
                LINK_COUNT(s, pkts_ethertype_unknown);
                link_weird(s, "unknown_MPLS_payload", NULL, "MPLS");
            }
            return;
        }
    }
    LINK_COUNT(s, pkts_ethertype_unknown);
    link_weird(s, "too_many_MPLS_labels", NULL, "MPLS");
}

/* PPP protocol numbers to the IP versions we decode. */
static void decode_ppp_proto(struct dstate *s, uint16_t proto, const uint8_t *p, uint32_t caplen,
                             uint32_t wirelen)
{
    if (proto == 0x0021 || proto == 0x0057)
        decode_ip(s, p, caplen, wirelen);
    else
        LINK_COUNT(s, pkts_non_ip); /* LCP, IPCP, CHAP... */
}

/* PPP in HDLC-like framing (RFC 1662): optional FF 03, then a 1- or 2-byte protocol. */
static void decode_ppp(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    struct cursor c = cur_make(p, caplen);
    if (cur_peek(&c, 0) == 0xff && cur_peek(&c, 1) == 0x03)
        cur_skip(&c, 2);
    uint16_t proto = cur_u8(&c);
    if (!(proto & 1)) /* protocol field not compressed */
        proto = (uint16_t)(proto << 8 | cur_u8(&c));
    if (c.err) {
        truncated(s, "truncated_PPP_header");
        return;
    }
    uint32_t off = (uint32_t)(c.p - p);
    decode_ppp_proto(s, proto, c.p, caplen - off, wirelen > off ? wirelen - off : 0);
}

static void decode_ethertype(struct dstate *s, uint16_t type, const uint8_t *p, uint32_t caplen,
                             uint32_t wirelen)
{
    for (int labels = 0; labels < DECODE_MAX_LABELS; labels++) {
        if (type < 1536) { /* an 802.3 length */
            decode_llc(s, p, caplen, wirelen);
            return;
        }
        switch (type) {
        case ETH_IPV4:
        case ETH_IPV6:
            decode_ip(s, p, caplen, wirelen);
            return;
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD:
        case ETH_QINQ_OLD2: {
            if (caplen < 4) {
                truncated(s, "truncated_VLAN_header");
                return;
            }
            uint16_t vid = load_be16(p) & 0x0fff;
            if (!s->vlan)
                s->vlan = vid;
            else if (!s->inner_vlan)
                s->inner_vlan = vid;
            type = load_be16(p + 2);
            p += 4, caplen -= 4, wirelen = wirelen >= 4 ? wirelen - 4 : 0;
            continue;
        }
        case ETH_VNTAG:
            if (caplen < 6) {
                truncated(s, "truncated_VNTag_header");
                return;
            }
            type = load_be16(p + 4);
            p += 6, caplen -= 6, wirelen = wirelen >= 6 ? wirelen - 6 : 0;
            continue;
        case ETH_PBB: /* I-TAG, then the customer's DA, SA and EtherType */
            if (caplen < 4 + 14) {
                truncated(s, "truncated_PBB_header");
                return;
            }
            decode_ether(s, p + 4, caplen - 4, wirelen >= 4 ? wirelen - 4 : 0);
            return;
        case ETH_FABRICPATH: /* FP tag (2 bytes after the type), then the classic frame */
            if (caplen < 2 + 14) {
                truncated(s, "truncated_FabricPath_header");
                return;
            }
            decode_ether(s, p + 2, caplen - 2, wirelen >= 2 ? wirelen - 2 : 0);
            return;
        case ETH_MPLS:
        case ETH_MPLS_MC:
            decode_mpls(s, p, caplen, wirelen);
            return;
        case ETH_PPPOE_SESS: {
            struct cursor c = cur_make(p, caplen);
            cur_skip(&c, 6); /* ver/type, code, session id, length */
            uint16_t proto = cur_be16(&c);
            if (c.err) {
                truncated(s, "truncated_PPPoE_header");
                return;
            }
            decode_ppp_proto(s, proto, p + 8, caplen - 8, wirelen >= 8 ? wirelen - 8 : 0);
            return;
        }
        case ETH_PPP:
            decode_ppp(s, p, caplen, wirelen);
            return;
        case ETH_TEB:
            decode_ether(s, p, caplen, wirelen);
            return;
        case ETH_ARP:
        case ETH_PPPOE_DISC:
            LINK_COUNT(s, pkts_non_ip);
            return;
        default:
            LINK_COUNT(s, pkts_ethertype_unknown);
            return;
        }
    }
    LINK_COUNT(s, pkts_ethertype_unknown);
    link_weird(s, "too_many_VLAN_tags", NULL, NULL);
}

/* 802.11 data frames: skip the MAC header (and QoS/HT fields), then LLC/SNAP. */
static void decode_80211(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    struct cursor c = cur_make(p, caplen);
    uint16_t fc = cur_le16(&c);
    if (c.err) {
        truncated(s, "truncated_802_11_header");
        return;
    }
    unsigned ftype = (fc >> 2) & 3, subtype = (fc >> 4) & 0xf;
    if (ftype != 2) { /* management or control */
        LINK_COUNT(s, pkts_non_ip);
        return;
    }
    if (subtype & 0x4) { /* null data: no body */
        LINK_COUNT(s, pkts_non_ip);
        return;
    }
    bool to_ds = fc & 0x0100, from_ds = fc & 0x0200, protected_frame = fc & 0x4000;
    uint32_t hdr = 24;
    if (to_ds && from_ds)
        hdr += 6;
    if (subtype & 0x8) { /* QoS data */
        hdr += 2;
        if (fc & 0x8000) /* +HTC */
            hdr += 4;
    }
    if (protected_frame) { /* encrypted: nothing to see */
        LINK_COUNT(s, pkts_non_ip);
        return;
    }
    if (caplen < hdr) {
        truncated(s, "truncated_802_11_header");
        return;
    }
    decode_llc(s, p + hdr, caplen - hdr, wirelen > hdr ? wirelen - hdr : 0);
}

static void decode_radiotap(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    struct cursor c = cur_make(p, caplen);
    cur_skip(&c, 2);
    uint16_t len = cur_le16(&c);
    if (c.err || len < 8 || len > caplen) {
        truncated(s, "truncated_radiotap_header");
        return;
    }
    /* The FCS flag (flags field, bit 0x10) leaves 4 trailing bytes; the IP length
     * bounds what the upper layers read, so they need no trimming here. */
    decode_80211(s, p + len, caplen - len, wirelen > len ? wirelen - len : 0);
}

/* NFLOG (libpcap LINKTYPE_NFLOG): a 4-byte header, then host-order TLVs; the payload
 * TLV (type 9) holds the IP packet. */
static void decode_nflog(struct dstate *s, const uint8_t *p, uint32_t caplen)
{
    struct cursor c = cur_make(p, caplen);
    cur_skip(&c, 4);
    while (cur_left(&c) >= 4) {
        uint16_t tlen = cur_le16(&c), ttype = cur_le16(&c);
        if (tlen < 4)
            break;
        uint32_t vlen = tlen - 4u;
        if (vlen > cur_left(&c)) {
            truncated(s, "truncated_NFLOG_TLV");
            return;
        }
        if ((ttype & 0x7fff) == 9) {
            decode_ip(s, c.p, vlen, vlen);
            return;
        }
        uint32_t padded = (tlen + 3u) & ~3u;
        cur_skip(&c, padded - 4);
    }
    LINK_COUNT(s, pkts_non_ip);
}

/* BSD loopback: a 4-byte address family, host order for DLT_NULL, network for LOOP. */
static void decode_null(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen,
                        bool network_order)
{
    if (caplen < 4) {
        truncated(s, "truncated_link_header");
        return;
    }
    uint32_t be = load_be32(p), le = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t fam = network_order ? be : (le < 256 ? le : be);
    switch (fam) {
    case 2:                               /* AF_INET */
    case 24: case 28: case 30: case 10: /* AF_INET6: NetBSD/OpenBSD, FreeBSD, Darwin, Linux */
        decode_ip(s, p + 4, caplen - 4, wirelen >= 4 ? wirelen - 4 : 0);
        return;
    default:
        LINK_COUNT(s, pkts_non_ip);
    }
}

bool decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case LT_ETHERNET: case LT_RAW: case LT_RAW_DLT: case LT_RAW_DLT_OPENBSD: case LT_IPV4:
    case LT_IPV6: case LT_NULL: case LT_LOOP: case LT_LINUX_SLL: case LT_LINUX_SLL2:
    case LT_IEEE802_11: case LT_IEEE802_11_RADIOTAP: case LT_NFLOG: case LT_PPP:
    case LT_PPP_SERIAL:
        return true;
    default:
        return false;
    }
}

/* The link layer of a frame, down to decode_ip(). */
static void decode_link(struct dstate *s, const struct packet *pkt)
{
    const uint8_t *p = pkt->data;
    uint32_t cap = pkt->caplen, wire = pkt->wirelen < cap ? cap : pkt->wirelen;

    switch (pkt->linktype) {
    case LT_ETHERNET:
        decode_ether(s, p, cap, wire);
        break;
    case LT_RAW:
    case LT_RAW_DLT:
    case LT_RAW_DLT_OPENBSD:
    case LT_IPV4:
    case LT_IPV6:
        decode_ip(s, p, cap, wire);
        break;
    case LT_NULL:
        decode_null(s, p, cap, wire, false);
        break;
    case LT_LOOP:
        decode_null(s, p, cap, wire, true);
        break;
    case LT_LINUX_SLL:
        if (cap < 16) {
            truncated(s, "truncated_link_header");
            break;
        }
        decode_ethertype(s, load_be16(p + 14), p + 16, cap - 16, wire - 16);
        break;
    case LT_LINUX_SLL2:
        if (cap < 20) {
            truncated(s, "truncated_link_header");
            break;
        }
        decode_ethertype(s, load_be16(p), p + 20, cap - 20, wire - 20);
        break;
    case LT_IEEE802_11:
        decode_80211(s, p, cap, wire);
        break;
    case LT_IEEE802_11_RADIOTAP:
        decode_radiotap(s, p, cap, wire);
        break;
    case LT_NFLOG:
        decode_nflog(s, p, cap);
        break;
    case LT_PPP:
    case LT_PPP_SERIAL:
        decode_ppp(s, p, cap, wire);
        break;
    default:
        LINK_COUNT(s, pkts_linktype_unknown);
        break;
    }
}

void decode_packet(struct decoder *d, const struct packet *pkt)
{
    struct dstate s = {.d = d, .frame = pkt, .ts = pkt->ts_us};
    lw_stats.packets++;
    lw_stats.bytes += pkt->wirelen;
    flow_advance_time(d->flows, pkt->ts_us);
    frag_expire(d->frags, pkt->ts_us);
    decode_link(&s, pkt);
}

uint64_t decode_spread_hash(const struct packet *pkt)
{
    struct dstate s = {.spread = true, .ts = pkt->ts_us};
    decode_link(&s, pkt);
    return s.spread_hash;
}

/* ---- IP ----------------------------------------------------------------------------- */

/* Hand the transport part of a datagram to decode_l4.  `src`/`dst` point at the 4- or
 * 16-byte addresses; lengths are the transport's, on the wire and captured. */
static void deliver_l4(struct dstate *s, uint8_t version, const uint8_t *src, const uint8_t *dst,
                       uint8_t proto, uint32_t ip_len, const uint8_t *l4, uint32_t l4_len,
                       uint32_t l4_caplen, const uint8_t *ip)
{
    struct l4pkt l = {0};
    l.frame = s->frame;
    l.ip = ip;
    l.ip_caplen = ip ? (uint32_t)(l4 - ip) + min_u32(l4_caplen, l4_len) : 0;
    l.ts = s->ts;
    if (version == 4) {
        addr_from_v4(&l.src, src);
        addr_from_v4(&l.dst, dst);
    } else {
        addr_from_v6(&l.src, src);
        addr_from_v6(&l.dst, dst);
    }
    l.ip_version = version;
    l.proto = proto;
    l.vlan = s->vlan;
    l.inner_vlan = s->inner_vlan;
    l.ip_len = ip_len;
    l.l4 = l4;
    l.l4_len = l4_len;
    l.l4_caplen = min_u32(l4_caplen, l4_len);
    l.tunnel = s->tunnel;
    decode_l4(s, &l);
}

/* Deliver a complete (or reassembled) IPv4 datagram's transport part. */
static void ipv4_deliver(struct dstate *s, const uint8_t *ip, uint32_t hlen, uint32_t total,
                         uint32_t caplen, uint8_t proto)
{
    deliver_l4(s, 4, ip + 12, ip + 16, proto, total, ip + hlen, total - hlen,
               caplen > hlen ? caplen - hlen : 0, ip);
}

static void decode_ipv4(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    if (caplen < 20) {
        truncated(s, "truncated_IP");
        return;
    }
    uint32_t hlen = (p[0] & 0x0f) * 4u;
    uint32_t total = load_be16(p + 2);
    if (hlen < 20) {
        lw_stats.pkts_ip_bad++;
        weird_report(s->ts, s->tunnel, "bogus_IP_header_lengths", NULL, "IP");
        return;
    }
    if (hlen > caplen) {
        truncated(s, "internally_truncated_header");
        return;
    }
    if (total == 0 && wirelen >= hlen) {
        /* TSO / "big TCP" super-packets carry a zero total length. */
        total = wirelen;
    }
    if (total < hlen) {
        lw_stats.pkts_ip_bad++;
        weird_report(s->ts, s->tunnel, "bogus_IP_header_lengths", NULL, "IP");
        return;
    }
    if (total > wirelen) {
        /* The frame is shorter than the datagram says: a real anomaly, not a snaplen cut. */
        lw_stats.pkts_ip_bad++;
        weird_report(s->ts, s->tunnel, "truncated_IP", NULL, "IP");
        total = wirelen;
        if (total < hlen)
            return;
    }
    if (caplen < total)
        lw_stats.pkts_truncated++; /* snaplen: headers count, content is partial */
    uint32_t cap = min_u32(caplen, total);

    uint16_t frag = load_be16(p + 6);
    uint8_t proto = p[9];
    if (frag & 0x3fff) { /* MF set or a non-zero offset */
        struct frag_key key;
        frag_key_v4(&key, p);
        const uint8_t *dgram;
        uint32_t dlen, dhlen;
        if (frag_add(s->d->frags, &key, s->ts, p, hlen, (frag & 0x1fff) * 8u,
                     (frag & 0x2000) != 0, p + hlen, total - hlen, cap - hlen, &dgram, &dlen,
                     &dhlen) == FRAG_COMPLETE)
            ipv4_deliver(s, dgram, dhlen, dlen, dlen, proto);
        return;
    }
    ipv4_deliver(s, p, hlen, total, cap, proto);
}

static bool ipv6_ext_header(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140 || nh == 253 ||
           nh == 254;
}

/* Hop-by-hop: find a jumbo payload option (RFC 2675), for super-packets. */
static uint32_t ipv6_jumbo(const uint8_t *opt, uint32_t len)
{
    uint32_t i = 2;
    while (i < len) {
        uint8_t t = opt[i];
        if (t == 0) { /* Pad1 */
            i++;
            continue;
        }
        if (i + 1 >= len)
            break;
        uint8_t olen = opt[i + 1];
        if (t == 0xc2 && olen == 4 && i + 6 <= len)
            return load_be32(opt + i + 2);
        i += 2u + olen;
    }
    return 0;
}

static void decode_ipv6(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    if (caplen < 40) {
        truncated(s, "truncated_IPv6");
        return;
    }
    uint32_t plen = load_be16(p + 4);
    uint8_t nh = p[6];
    uint32_t off = 40;
    bool jumbo_possible = plen == 0;
    if (plen == 0 && nh != 0)
        plen = wirelen >= 40 ? wirelen - 40 : 0; /* no HBH: a TSO super-packet */
    uint32_t total = 40 + plen;
    uint32_t frag_off = 0, frag_id = 0;
    bool is_frag = false, more = false;
    uint32_t frag_hdr_end = 0;

    for (int n = 0; n < DECODE_MAX_LABELS; n++) {
        if (ipv6_ext_header(nh)) {
            if (caplen < off + 8) {
                truncated(s, "truncated_IPv6_ext_header");
                return;
            }
            uint32_t elen = (p[off + 1] + 1u) * 8;
            if (caplen < off + elen) {
                truncated(s, "truncated_IPv6_ext_header");
                return;
            }
            if (nh == 0 && jumbo_possible) {
                uint32_t j = ipv6_jumbo(p + off, elen);
                plen = j ? j : (wirelen >= 40 ? wirelen - 40 : 0);
                total = 40 + plen;
                jumbo_possible = false;
            }
            nh = p[off];
            off += elen;
            continue;
        }
        if (nh == 51) { /* AH: length in 4-byte units, minus 2 */
            if (caplen < off + 8) {
                truncated(s, "truncated_IPv6_ext_header");
                return;
            }
            uint32_t elen = (p[off + 1] + 2u) * 4;
            if (caplen < off + elen) {
                truncated(s, "truncated_IPv6_ext_header");
                return;
            }
            nh = p[off];
            off += elen;
            continue;
        }
        if (nh == 44) { /* fragment */
            if (caplen < off + 8) {
                truncated(s, "truncated_IPv6_ext_header");
                return;
            }
            uint16_t fo = load_be16(p + off + 2);
            frag_off = (fo & 0xfff8u);
            more = fo & 1;
            frag_id = load_be32(p + off + 4);
            is_frag = true;
            nh = p[off];
            off += 8;
            frag_hdr_end = off;
            /* An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946). */
            if (frag_off == 0 && !more)
                is_frag = false;
            if (is_frag)
                break;
            continue;
        }
        break;
    }
    if (total > wirelen) {
        lw_stats.pkts_ip_bad++;
        weird_report(s->ts, s->tunnel, "truncated_IPv6", NULL, "IP");
        total = wirelen;
    }
    if (off > total) {
        lw_stats.pkts_ip_bad++;
        weird_report(s->ts, s->tunnel, "bogus_IPv6_header_lengths", NULL, "IP");
        return;
    }
    if (caplen < total)
        lw_stats.pkts_truncated++;
    uint32_t cap = min_u32(caplen, total);

    if (is_frag) {
        struct frag_key key;
        frag_key_v6(&key, p, frag_id, nh);
        const uint8_t *dgram;
        uint32_t dlen, dhlen;
        if (frag_add(s->d->frags, &key, s->ts, p, frag_hdr_end, frag_off, more, p + off,
                     total - off, cap - off, &dgram, &dlen, &dhlen) != FRAG_COMPLETE)
            return;
        /* Reassembled: the first fragment's headers through the fragment header, then
         * the payload; the upper-layer protocol comes from the fragment header. */
        deliver_l4(s, 6, dgram + 8, dgram + 24, key.next_proto, dlen, dgram + dhlen,
                   dlen - dhlen, dlen - dhlen, NULL); /* reassembled: not shown to nDPI */
        return;
    }

    deliver_l4(s, 6, p + 8, p + 24, nh, total, p + off, total - off, cap - off, p);
}

/* The outermost address pair, the same both ways (decode_spread_hash). */
static void spread_ip(struct dstate *s, const uint8_t *p, uint32_t caplen)
{
    uint32_t alen = (p[0] >> 4) == 6 ? 16 : 4, off = alen == 16 ? 8 : 12;
    if ((p[0] >> 4 != 4 && p[0] >> 4 != 6) || caplen < off + 2 * alen)
        return; /* the worker that gets it (the first) reports what is wrong */
    const uint8_t *a = p + off, *b = a + alen;
    if (memcmp(a, b, alen) > 0) {
        const uint8_t *t = a;
        a = b, b = t;
    }
    uint8_t pair[32];
    memcpy(pair, a, alen);
    memcpy(pair + alen, b, alen);
    s->spread_hash = hash_bytes(pair, 2 * alen, 0x9e3779b97f4a7c15ULL) | 1;
}

static void decode_ip(struct dstate *s, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
    if (caplen < 1) {
        truncated(s, "truncated_IP");
        return;
    }
    if (s->spread) {
        spread_ip(s, p, caplen);
        return;
    }
    switch (p[0] >> 4) {
    case 4:
        decode_ipv4(s, p, caplen, wirelen);
        return;
    case 6:
        decode_ipv6(s, p, caplen, wirelen);
        return;
    default:
        lw_stats.pkts_ip_bad++;
        weird_report(s->ts, s->tunnel, "unknown_IP_version", NULL, "IP");
    }
}

/* ---- tunnels ------------------------------------------------------------------------ */

/* Enter a tunnel: the packet `outer` (already accounted to connection `tun`) carries
 * another packet.  `kind` picks the decoder for the inner bytes. */
enum inner_kind { INNER_IP, INNER_ETHER, INNER_GRE, INNER_PPP };

static void tunnel_enter(struct dstate *s, struct flow *tun, enum inner_kind kind,
                         const uint8_t *p, uint32_t len)
{
    if (s->depth >= DECODE_MAX_TUNNEL_DEPTH) {
        lw_stats.pkts_tunnel_too_deep++;
        weird_report(s->ts, tun, "exceeded_tunnel_max_depth", NULL, NULL);
        return;
    }
    struct dstate in = *s;
    in.depth++;
    in.tunnel = tun;
    in.vlan = in.inner_vlan = 0;
    lw_stats.pkts_tunnel++;
    switch (kind) {
    case INNER_IP:
        decode_ip(&in, p, len, len);
        break;
    case INNER_ETHER:
        decode_ether(&in, p, len, len);
        break;
    case INNER_PPP:
        decode_ppp(&in, p, len, len);
        break;
    case INNER_GRE:
        decode_gre(&in, tun, p, len);
        break;
    }
}

/* GRE (RFC 2784/2890, PPTP's enhanced GRE): hands the payload on. */
static void decode_gre(struct dstate *s, struct flow *tun, const uint8_t *p, uint32_t len)
{
    struct cursor c = cur_make(p, len);
    uint16_t flags = cur_be16(&c);
    uint16_t proto = cur_be16(&c);
    unsigned version = flags & 7;
    if (flags & 0xc000) /* checksum present (and routing offset) */
        cur_skip(&c, 4);
    if (flags & 0x2000) /* key */
        cur_skip(&c, 4);
    if (flags & 0x1000) /* sequence number */
        cur_skip(&c, 4);
    if (version == 1 && (flags & 0x0080)) /* PPTP acknowledgement */
        cur_skip(&c, 4);
    if (flags & 0x4000 && version == 0) {
        /* Source routing (RFC 1701): not seen in practice; give up cleanly. */
        weird_report(s->ts, tun, "gre_source_routing", NULL, "GRE");
        return;
    }
    if (c.err) {
        truncated(s, "truncated_GRE");
        return;
    }
    if (version > 1) {
        weird_report(s->ts, tun, "unknown_gre_version", NULL, "GRE");
        return;
    }
    uint32_t off = (uint32_t)(c.p - p);
    const uint8_t *in = c.p;
    uint32_t inlen = len - off;
    switch (proto) {
    case ETH_IPV4:
    case ETH_IPV6:
        decode_ip(s, in, inlen, inlen);
        return;
    case ETH_TEB:
        decode_ether(s, in, inlen, inlen);
        return;
    case ETH_PPP:
        decode_ppp(s, in, inlen, inlen);
        return;
    case ETH_ERSPAN2:
        /* Type I has no sequence number and no ERSPAN header; type II has 8 bytes. */
        if (flags & 0x1000) {
            if (inlen < 8) {
                truncated(s, "truncated_ERSPAN");
                return;
            }
            in += 8, inlen -= 8;
        }
        decode_ether(s, in, inlen, inlen);
        return;
    case ETH_ERSPAN3: {
        if (inlen < 12) {
            truncated(s, "truncated_ERSPAN");
            return;
        }
        uint32_t h = 12 + ((in[11] & 1) ? 8 : 0); /* optional platform sub-header */
        if (inlen < h) {
            truncated(s, "truncated_ERSPAN");
            return;
        }
        decode_ether(s, in + h, inlen - h, inlen - h);
        return;
    }
    default:
        if (proto >= 0x8200 && proto <= 0x82ff) {
            /* Aruba's 802.11 over GRE (mobility controller traffic). */
            decode_80211(s, in, inlen, inlen);
            return;
        }
        lw_stats.pkts_ethertype_unknown++;
        weird_report(s->ts, tun, "unknown_gre_protocol", NULL, "GRE");
    }
}

/* Teredo (RFC 4380): optional authentication and origin-indication headers, then an
 * IPv6 packet whose length fills the datagram.  Returns false when it is not Teredo. */
static bool teredo_payload(const uint8_t *p, uint32_t len, uint32_t *off)
{
    struct cursor c = cur_make(p, len);
    if (cur_peek(&c, 0) == 0x00 && cur_peek(&c, 1) == 0x01) { /* authentication */
        cur_skip(&c, 2);
        uint8_t idlen = cur_u8(&c), aulen = cur_u8(&c);
        cur_skip(&c, (size_t)idlen + aulen + 8 + 1);
    }
    if (cur_peek(&c, 0) == 0x00 && cur_peek(&c, 1) == 0x00) /* origin indication */
        cur_skip(&c, 8);
    if (c.err || cur_left(&c) < 40 || (c.p[0] >> 4) != 6)
        return false;
    uint32_t plen = load_be16(c.p + 4);
    uint8_t nh = c.p[6];
    /* A bubble (no next header, empty) may carry trailing bytes. */
    if (40 + plen != cur_left(&c) && !(nh == 59 && plen == 0 && 40 + plen < cur_left(&c)))
        return false;
    *off = (uint32_t)(c.p - p);
    return true;
}

/* Teredo on a port other than 3544: an IPv6 header (directly or behind an origin
 * indication) with a 2001:0::/32 Teredo address, as Zeek's detector. */
static bool teredo_detect(const uint8_t *p, uint32_t len)
{
    if (len < 40)
        return false;
    if ((p[0] >> 4) == 6) {
        static const uint8_t pfx[4] = {0x20, 0x01, 0x00, 0x00};
        return memcmp(p + 8, pfx, 4) == 0 || memcmp(p + 24, pfx, 4) == 0;
    }
    if (p[0] == 0 && p[1] == 0 && len >= 48)
        return (p[8] >> 4) == 6;
    return false;
}

/* Hand a UDP payload to the tunnel its responder port names (after the connection's
 * orientation is settled, as Zeek dispatches), or to the Teredo/AYIYA detectors. */
static void udp_tunnel(struct dstate *s, struct flow *f, const struct l4pkt *l, bool is_orig)
{
    const uint8_t *p = l->payload;
    uint32_t len = l->payload_caplen;
    if (len < l->payload_len) /* a snaplen-cut tunnel packet cannot be decoded whole */
        return;
    uint16_t port = f->resp_p;

    switch (port) {
    case 4789: /* VXLAN: flags(1) reserved(3) VNI(3) reserved(1) */
        if (len < 8 || !(p[0] & 0x08))
            return;
        flow_add_service(f, "vxlan");
        if (len > 8)
            tunnel_enter(s, f, INNER_ETHER, p + 8, len - 8);
        return;
    case 6081: { /* Geneve */
        if (len < 8 || (p[0] >> 6) != 0)
            return;
        uint32_t h = 8 + (p[0] & 0x3f) * 4u;
        if (len < h)
            return;
        uint16_t type = load_be16(p + 2);
        flow_add_service(f, "geneve");
        if (type == ETH_TEB)
            tunnel_enter(s, f, INNER_ETHER, p + h, len - h);
        else if (type == ETH_IPV4 || type == ETH_IPV6)
            tunnel_enter(s, f, INNER_IP, p + h, len - h);
        return;
    }
    case 2152:
    case 2123: { /* GTPv1 */
        struct cursor c = cur_make(p, len);
        uint8_t fl = cur_u8(&c), type = cur_u8(&c);
        cur_skip(&c, 2);
        cur_skip(&c, 4); /* TEID */
        if (c.err || (fl >> 5) != 1 || !(fl & 0x10))
            return;
        if (fl & 0x07) {
            cur_skip(&c, 3);
            uint8_t next = cur_u8(&c);
            while ((fl & 0x04) && !c.err) {
                uint8_t elen = cur_u8(&c);
                if (elen == 0) {
                    c.err = true;
                    break;
                }
                cur_skip(&c, elen * 4u - 2);
                next = cur_u8(&c);
                if (!next)
                    break;
            }
        }
        if (c.err || type != 0xff) /* only G-PDUs carry user packets */
            return;
        uint32_t off = (uint32_t)(c.p - p);
        if (len - off < 20 || ((p[off] >> 4) != 4 && (p[off] >> 4) != 6))
            return;
        flow_add_service(f, "gtpv1");
        tunnel_enter(s, f, INNER_IP, p + off, len - off);
        return;
    }
    case 4754: { /* GRE-in-UDP: the tunnel is the outer address pair, as for plain GRE */
        struct l4pkt g = *l;
        g.proto = 47;
        g.sport = g.dport = 0;
        struct flow *tf = conn_packet(s->d->flows, &g, NULL);
        if (tf)
            tunnel_enter(s, tf, INNER_GRE, p, len);
        return;
    }
    case 5072:
        break;
    case 3544:
        break;
    default:
        if (len >= 3 && p[1] == 0x52 && p[2] == 0x11)
            port = 5072;
        else if (teredo_detect(p, len))
            port = 3544;
        else
            return;
    }

    if (port == 5072) { /* AYIYA */
        struct cursor c = cur_make(p, len);
        uint8_t id = cur_u8(&c), sig = cur_u8(&c), op = cur_u8(&c), nh = cur_u8(&c);
        cur_skip(&c, 4); /* epoch */
        cur_skip(&c, (size_t)1 << (id >> 4));
        cur_skip(&c, (size_t)(sig >> 4) * 4);
        if (c.err || (op & 0x0f) != 1) /* only "forward" carries packets */
            return;
        flow_add_service(f, "ayiya");
        uint32_t off = (uint32_t)(c.p - p);
        if ((nh == 4 || nh == 41) && len > off)
            tunnel_enter(s, f, INNER_IP, p + off, len - off);
        return;
    }

    /* Teredo: confirmed (service set) once each direction has sent valid Teredo. */
    uint32_t off;
    if (!teredo_payload(p, len, &off))
        return;
    f->tunnel_ok |= is_orig ? 1 : 2;
    if (f->tunnel_ok == 3)
        flow_add_service(f, "teredo");
    tunnel_enter(s, f, INNER_IP, p + off, len - off);
}

/* ---- transport ---------------------------------------------------------------------- */

static void decode_l4(struct dstate *s, struct l4pkt *l)
{
    struct cursor c = cur_make(l->l4, l->l4_caplen);
    switch (l->proto) {
    case 6: { /* TCP */
        l->sport = cur_be16(&c);
        l->dport = cur_be16(&c);
        l->seq = cur_be32(&c);
        l->ack = cur_be32(&c);
        uint8_t doff = cur_u8(&c) >> 4;
        l->tcp_flags = cur_u8(&c);
        l->win = cur_be16(&c);
        uint32_t hl = doff * 4u;
        if (c.err || l->l4_len < 20 || l->l4_caplen < 20) {
            lw_stats.pkts_l4_bad++;
            weird_report(s->ts, s->tunnel, "truncated_header", "TCP", "TCP");
            return;
        }
        if (hl >= 20 && hl <= l->l4_len && l->l4_caplen < hl) {
            /* Options cut by the snap length: the connection exists (Zeek creates it)
             * but the segment cannot be analysed. */
            lw_stats.pkts_l4_bad++;
            l->header_only = true;
            weird_report(s->ts, conn_packet(s->d->flows, l, NULL), "truncated_header", "TCP",
                         "TCP");
            return;
        }
        if (hl < 20 || hl > l->l4_len) {
            lw_stats.pkts_l4_bad++;
            weird_report(s->ts, s->tunnel, "bad_TCP_header_len", NULL, "TCP");
            return;
        }
        l->payload_len = l->l4_len - hl;
        l->payload_caplen = l->l4_caplen > hl ? l->l4_caplen - hl : 0;
        l->payload = l->l4 + (l->l4_caplen > hl ? hl : l->l4_caplen);
        conn_packet(s->d->flows, l, NULL);
        return;
    }
    case 17: { /* UDP */
        l->sport = cur_be16(&c);
        l->dport = cur_be16(&c);
        uint16_t ulen = cur_be16(&c);
        if (c.err || l->l4_len < 8 || l->l4_caplen < 8) {
            lw_stats.pkts_l4_bad++;
            weird_report(s->ts, s->tunnel, "truncated_header", "UDP", "UDP");
            return;
        }
        uint32_t plen = l->l4_len - 8;
        if (ulen >= 8 && ulen < l->l4_len)
            plen = ulen - 8u; /* trailing padding after the datagram */
        else if (ulen != l->l4_len && ulen != 0)
            weird_report(s->ts, s->tunnel, "UDP_datagram_length_mismatch", NULL, "UDP");
        l->payload_len = plen;
        l->payload_caplen = l->l4_caplen > 8 ? min_u32(l->l4_caplen - 8, plen) : 0;
        l->payload = l->l4 + (l->l4_caplen > 8 ? 8 : l->l4_caplen);
        bool is_orig;
        struct flow *f = conn_packet(s->d->flows, l, &is_orig);
        if (f)
            udp_tunnel(s, f, l, is_orig);
        return;
    }
    case 1:    /* ICMP */
    case 58: { /* ICMPv6 */
        l->icmp_type = cur_u8(&c);
        l->icmp_code = cur_u8(&c);
        if (c.err || l->l4_len < 8 || l->l4_caplen < 8) {
            lw_stats.pkts_l4_bad++;
            weird_report(s->ts, s->tunnel, "truncated_header", "ICMP", "ICMP");
            return;
        }
        uint32_t hl = 8;
        l->payload_len = l->l4_len - hl;
        l->payload_caplen = l->l4_caplen > hl ? l->l4_caplen - hl : 0;
        l->payload = l->l4 + (l->l4_caplen > hl ? hl : l->l4_caplen);
        conn_packet(s->d->flows, l, NULL);
        return;
    }
    case 132: /* SCTP: ports only (they key the flow and its Community ID) */
        l->sport = cur_be16(&c);
        l->dport = cur_be16(&c);
        if (c.err || l->l4_len < 12 || l->l4_caplen < 12) {
            lw_stats.pkts_l4_bad++;
            weird_report(s->ts, s->tunnel, "truncated_header", "SCTP", "SCTP");
            return;
        }
        lw_stats.pkts_ip_other++;
        l->payload = l->l4 + 12;
        l->payload_len = l->l4_len - 12;
        l->payload_caplen = l->l4_caplen > 12 ? l->l4_caplen - 12 : 0;
        conn_packet(s->d->flows, l, NULL);
        return;
    case 4:  /* IP in IP */
    case 41: /* IPv6 in IP */
    case 47: /* GRE */ {
        l->payload = l->l4;
        l->payload_len = l->l4_len;
        l->payload_caplen = l->l4_caplen;
        struct flow *f = conn_packet(s->d->flows, l, NULL);
        if (!f)
            return;
        if (l->l4_caplen < l->l4_len)
            return; /* cut by the snap length: the inner packet is incomplete */
        tunnel_enter(s, f, l->proto == 47 ? INNER_GRE : INNER_IP, l->l4, l->l4_caplen);
        return;
    }
    default:
        lw_stats.pkts_ip_other++;
        l->payload = l->l4;
        l->payload_len = l->l4_len;
        l->payload_caplen = l->l4_caplen;
        conn_packet(s->d->flows, l, NULL);
        return;
    }
}
