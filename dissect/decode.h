/* decode.h: link, tunnel, IP and transport decoding, from a captured frame to the
 * flow table.
 *
 * Link types: Ethernet II (802.1Q, 802.1ad/QinQ, MPLS, PPPoE session, PBB, VN-Tag,
 * Cisco FabricPath, LLC/SNAP), Linux SLL and SLL2, raw IPv4/IPv6, BSD null/loopback,
 * 802.11 with or without radiotap, NFLOG.  Network: IPv4 with fragment reassembly,
 * IPv6 with extension headers and fragments.  Tunnels: GRE (incl. ERSPAN I/II/III and
 * PPTP), IP-in-IP, VXLAN, Geneve, Teredo, AYIYA, GTPv1-U, GRE-in-UDP.  Transport: TCP,
 * UDP, ICMP, ICMPv6; other IP protocols are tracked by address pair.
 *
 * Anything else is counted (core/stats.h) and, where it is an anomaly, reported as a
 * weird; nothing is fatal.  Checksums are not verified (capture offload).
 */
#ifndef LW_DISSECT_DECODE_H
#define LW_DISSECT_DECODE_H

#include <stdbool.h>

#include "capture/capture.h"
#include "dissect/packet.h"

struct flow_table;
struct frag_table;

struct decoder {
    struct flow_table *flows;
    struct frag_table *frags;
};

/* Decode one captured frame and feed the result to `d->flows`.  Never fails: malformed
 * input is counted and reported. */
void decode_packet(struct decoder *d, const struct packet *pkt);

/* Which worker a frame goes to: a hash of its outermost IP address pair, equal both ways,
 * so that a connection, its fragments and whatever it tunnels stay in one worker.  0 when
 * the frame holds no IP header (it goes to the first worker).  Counts nothing. */
uint64_t decode_spread_hash(const struct packet *pkt);

/* True if frames of link type `linktype` can be decoded. */
bool decode_linktype_supported(int linktype);

/* Link-type values (LINKTYPE_* as stored in files; DLT_* where they differ). */
enum {
    LT_NULL = 0,
    LT_ETHERNET = 1,
    LT_PPP = 9,
    LT_RAW_DLT = 12,
    LT_RAW_DLT_OPENBSD = 14,
    LT_PPP_SERIAL = 50,
    LT_RAW = 101,
    LT_IEEE802_11 = 105,
    LT_LOOP = 108,
    LT_LINUX_SLL = 113,
    LT_IEEE802_11_RADIOTAP = 127,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_NFLOG = 239,
    LT_LINUX_SLL2 = 276,
};

#endif
