/* packet.h: a packet as the flow layer sees it, after link, tunnel and IP decoding.
 *
 * Byte counts keep two views: what the headers say was on the wire (`*_len`), which
 * drives sequence arithmetic and byte accounting, and what was captured (`*_caplen`),
 * which bounds every content read.  A capture cut by its snap length still counts
 * right.
 */
#ifndef LW_DISSECT_PACKET_H
#define LW_DISSECT_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"
#include "core/addr.h"

struct flow;

/* TCP flag bits, as on the wire. */
enum {
    TH_FIN = 0x01,
    TH_SYN = 0x02,
    TH_RST = 0x04,
    TH_PUSH = 0x08,
    TH_ACK = 0x10,
    TH_URG = 0x20,
    TH_ECE = 0x40,
    TH_CWR = 0x80,
};

struct l4pkt {
    int64_t ts;               /* packet time, microseconds */
    struct lw_addr src, dst;
    uint8_t ip_version;       /* 4 or 6 */
    uint8_t proto;            /* IP protocol number of the transport */
    uint16_t sport, dport;    /* TCP/UDP ports; ICMP type and code */
    uint16_t vlan, inner_vlan; /* 802.1Q / QinQ ids, 0 when absent */
    uint32_t ip_len;          /* IP datagram length per its header(s) */
    uint32_t l4_len;          /* transport header + payload, per the IP header */
    uint32_t l4_caplen;       /* of which captured */
    const uint8_t *l4;        /* transport header */
    const uint8_t *ip;        /* the IP header (for nDPI), and its captured length */
    uint32_t ip_caplen;

    /* Filled by the transport decoders. */
    uint32_t payload_len;     /* application bytes, per the headers */
    uint32_t payload_caplen;  /* of which captured */
    const uint8_t *payload;
    uint32_t seq, ack;        /* TCP */
    uint16_t win;             /* TCP */
    uint8_t tcp_flags;        /* TCP */
    uint8_t icmp_type, icmp_code;

    bool header_only;         /* transport header unusable: create the connection only */
    const struct packet *frame; /* the captured frame it came in (--carve keeps it) */
    struct flow *tunnel;      /* the connection this packet was tunnelled in, or NULL */
};

#endif
