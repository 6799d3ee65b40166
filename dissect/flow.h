/* flow.h: the connection table.
 *
 * A connection is keyed by its bidirectional 5-tuple plus VLAN ids (ICMP types stand in
 * for ports, as in Zeek and Community ID).  The table hashes a canonical ordering of the
 * two endpoints with a per-run seed, so both directions land in one bucket and crafted
 * keys cannot aim at one chain.  Connections come from a pool; the table never holds
 * more than its cap: past it the least recently active connection is ended, logged and
 * counted as evicted.  Timeouts run on packet time, per protocol and TCP state.
 *
 * When a connection ends (timeout, eviction, TCP close delay, reuse, or the end of
 * input) the `on_end` callback sees it once, then it is freed.
 *
 * The table stores connections and knows nothing of what runs over them: conn.c drives
 * each packet through the table, the transport state (tcp.c), the streams and parsers
 * (stream.c) and classification (classify.c), and ends them the same way.
 */
#ifndef LW_DISSECT_FLOW_H
#define LW_DISSECT_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

#include "core/addr.h"
#include "core/util.h"
#include "dissect/classify.h"
#include "dissect/packet.h"

/* TCP endpoint states, as Zeek's TCP_Endpoint. */
enum tcp_state {
    TCPS_INACTIVE = 0,
    TCPS_SYN_SENT,
    TCPS_SYN_ACK_SENT,
    TCPS_PARTIAL,
    TCPS_ESTABLISHED,
    TCPS_CLOSED,
    TCPS_RESET,
};

/* One direction of a connection. */
struct flow_ep {
    uint64_t pkts;
    uint64_t ip_bytes;      /* IP datagram bytes, headers included */
    uint64_t bytes;         /* UDP/ICMP/other: payload bytes */

    /* TCP sequence tracking (absolute 32-bit numbers, wraps counted). */
    uint8_t state, prev_state;
    bool seq_init;
    uint32_t start_seq;     /* ISN (or first seq - 1 for a partial connection) */
    uint32_t last_seq;      /* one past the highest sequence number sent */
    uint32_t ack_seq;       /* highest sequence number the peer acknowledged */
    uint32_t seq_wraps;     /* times last_seq wrapped past 2^32 */
    uint32_t ack_wraps;
    uint32_t fin_seq;
    uint32_t fin_cnt, rst_cnt;
    uint32_t hist_last_syn, hist_last_fin, hist_last_rst;
    uint32_t hist_seen;     /* history letters already logged (bit per kind) */
    uint32_t rxmit_cnt, gap_cnt, zero_win_cnt;
    uint32_t rxmit_thresh, gap_thresh, zero_win_thresh;
    uint64_t missed_bytes;  /* bytes never seen in gaps (content gaps) */
    bool did_close;         /* this side finished (FIN or RST processed) */
};

#define FLOW_UID_LEN 24
#define FLOW_CID_LEN 32
#define FLOW_HISTORY_MAX 32
#define FLOW_WEIRDS_TRACKED 8
#define FLOW_TUNNEL_PARENTS 6
/* Tunnel changes recorded before history gets an 'X' (Tunnel::max_changes_per_connection). */
#define FLOW_MAX_TUNNEL_CHANGES 5
/* Services (Zeek analyzer names) a connection can carry: "smtp,ssl", "http,ssl"... */
#define FLOW_MAX_SERVICES 4

struct ndpi_flow_struct;

/* The tunnels a connection was seen in (innermost uid each time it changed), as Zeek's
 * tunnel_parents set; `encap` is the current one ("" when no longer tunnelled).  Kept out
 * of struct flow: most connections are never tunnelled, and a table holds a million. */
struct flow_tunnels {
    char parents[FLOW_TUNNEL_PARENTS][FLOW_UID_LEN];
    uint8_t nparents;
    uint8_t changes;
    char encap[FLOW_UID_LEN];
};

struct flow {
    /* table links */
    struct flow *hnext;
    struct flow *lprev, *lnext;     /* activity list of its timeout class */
    uint64_t hash;
    uint8_t tclass;                 /* timeout class (flow.c) */

    /* key, oriented originator -> responder */
    struct lw_addr orig_h, resp_h;
    uint16_t orig_p, resp_p;
    uint16_t vlan, inner_vlan;
    uint8_t proto;
    uint8_t ip_version;

    int64_t first_ts, last_ts;
    struct flow_ep ep[2];           /* [0] originator, [1] responder */
    char history[FLOW_HISTORY_MAX + 1];
    uint8_t hist_len;
    bool attempt_armed, close_armed; /* TCP timers (Zeek's attempt and close delay) */
    int64_t attempt_at, close_at;    /* when they were armed */
    bool tcp_active;                 /* left the handshake: TCP inactivity timeout applies */
    uint8_t end_reason;              /* why it ended (enum flow_end_reason), once it has */

    char uid[FLOW_UID_LEN];
    char community_id[FLOW_CID_LEN];
    struct flow_tunnels *tun;       /* tunnels it was seen in, or NULL (most connections) */
    const char *services[FLOW_MAX_SERVICES]; /* Zeek service names (string literals) */
    uint8_t nservices;
    bool is_tunnel;                 /* an IP-in-IP / GRE tunnel: tunnel, not conn, row */
    uint8_t tunnel_ok;              /* directions that sent valid tunnel packets (bits) */

    struct stream *stream;          /* TCP payload path (stream.c), or NULL */
    struct carve_hold *carve;       /* --carve: its frames so far (carve.c), or NULL */
    struct ndpi_flow_struct *ndpi;  /* nDPI state while it is deciding, or NULL */
    struct classify_result cls;     /* what nDPI said (classify.c) */
    const char *weirds[FLOW_WEIRDS_TRACKED];
    uint8_t nweirds;
    uint8_t dup_next;               /* next slot of dup[] to fill */
    uint16_t files_begun;           /* files seen so far (their fuids derive from it) */
    struct {
        uint32_t digest;            /* of the IP packet, TTL and checksum left out */
        uint32_t ts;                /* low 32 bits of its packet time (µs) */
    } dup[FLOW_DUP_SLOTS];          /* the last packets: SPAN duplicates (flow.c) */
};

enum flow_end_reason {
    FLOW_END_NONE = 0,
    FLOW_END_CLOSED,   /* TCP close or reset, reuse, or an unanswered attempt */
    FLOW_END_TIMEOUT,  /* inactivity */
    FLOW_END_EVICTED,  /* the table was full */
    FLOW_END_INPUT,    /* the end of the input */
};

typedef void (*flow_end_fn)(void *ctx, struct flow *f);

struct flow_config {
    uint32_t max_flows;       /* cap; 0 = FLOW_MAX_DEFAULT */
    uint64_t uid_seed;        /* uid_derive() seed: random per run, or --seed */
    uint16_t community_id_seed;
    bool keep_duplicates;     /* do not drop SPAN duplicates (--keep-duplicates) */
    flow_end_fn on_end;
    void *ctx;
};

struct flow_table;

/* A table whose `on_end` sees every connection, tunnels included (conn_table_new() is
 * the one the pipeline uses). */
struct flow_table *flow_table_new(const struct flow_config *cfg);
void *flow_table_ctx(const struct flow_table *t);

/* The canonical key: endpoints ordered (address, then port), so both directions of a
 * connection hash and compare alike. */
struct flow_key {
    struct lw_addr a, b;
    uint16_t pa, pb;
    uint16_t vlan, inner_vlan;
    uint8_t proto;
    uint8_t pad[3];
};

/* A packet's place in the table: its key, hash and "ports" (ICMP: type and counterpart). */
struct flow_probe {
    struct flow_key key;
    uint64_t hash;
    uint16_t sp, dp;
    bool one_way;
};

/* The packet's connection, or NULL; fills `pr` for flow_create(). */
struct flow *flow_find(struct flow_table *t, const struct l4pkt *p, struct flow_probe *pr);
/* A new connection oriented by `p` (source = originator); NULL without memory.  At the
 * cap, the least recently active connection is ended first. */
struct flow *flow_create(struct flow_table *t, const struct l4pkt *p, const struct flow_probe *pr);
/* End `f` now (TCP port reuse). */
void flow_close(struct flow_table *t, struct flow *f);
/* Record the tunnel `p` came through (Zeek's tunnel_parents, 'X' past the changes cap). */
void flow_note_encap(struct flow *f, const struct l4pkt *p, bool created);
/* A SPAN copy of one of `f`'s last packets (counted; never with --keep-duplicates)? */
bool flow_duplicate(struct flow_table *t, struct flow *f, const struct l4pkt *p);
/* After a packet: move `f` to the timeout class its state now calls for. */
void flow_touch(struct flow_table *t, struct flow *f);

/* Swap originator and responder (Zeek's FlipRoles). */
void flow_flip(struct flow *f);
/* History letters: upper case for the originator; _once: at most once per direction
 * for the bits of `mask` (Zeek's CheckHistory). */
void flow_history_add(struct flow *f, bool is_orig, char code);
bool flow_history_once(struct flow *f, bool is_orig, uint32_t mask, char code);

/* Move packet time forward; ends connections whose timeouts have passed. */
void flow_advance_time(struct flow_table *t, int64_t now);

/* End every connection (end of input), oldest first. */
void flow_flush(struct flow_table *t);

void flow_table_free(struct flow_table *t);
uint64_t flow_table_count(const struct flow_table *t);

/* Add a service to the connection (Zeek names: "http", "ssl", "dns", "vxlan"...; a
 * string literal, kept by pointer).  Repeats are ignored. */
void flow_add_service(struct flow *f, const char *service);

/* conn.log's `service`: the names sorted and comma-joined into `buf` ("" if none). */
const char *flow_services(const struct flow *f, char *buf, size_t n);

/* True the first time `name` is reported on `f` (weird de-duplication). */
bool flow_weird_first(struct flow *f, const char *name);

/* Community ID v1 (https://github.com/corelight/community-id-spec) of a 5-tuple.
 * `out` holds FLOW_CID_LEN bytes. */
void community_id_v1(uint16_t seed, const struct lw_addr *saddr, const struct lw_addr *daddr,
                     uint8_t proto, uint16_t sport, uint16_t dport, bool has_ports,
                     bool one_way, char *out);

/* ICMP counterpart of `type` ("ports" for keys and Community ID); sets *one_way for
 * types without one (then the code takes the port's place). */
uint16_t icmp_counterpart(bool v6, uint8_t type, bool *one_way);

#endif
