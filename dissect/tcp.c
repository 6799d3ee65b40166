/* tcp.c: TCP connection tracking with Zeek's semantics.
 *
 * Follows Zeek's TCPSessionAdapter / TCP_Endpoint (src/packet_analysis/protocol/tcp/)
 * and base/protocols/conn/main.zeek: per-endpoint states, the history string, sizes from
 * sequence numbers (so a capture that misses data still counts what the peers
 * exchanged), and conn_state.  RFC 793 for the wire format; RFC 1982 for sequence
 * arithmetic.
 */
#include "dissect/tcp.h"

#include <string.h>

#include "dissect/weird.h"

/* History bits (per endpoint), as Zeek's HIST_* flags. */
enum {
    HIST_SYN = 1u << 0,
    HIST_FIN = 1u << 1,
    HIST_RST = 1u << 2,
    HIST_FIN_RST = 1u << 3,
    HIST_DATA = 1u << 4,
    HIST_ACK = 1u << 5,
    HIST_MULTI = 1u << 6,
    HIST_CORRUPT = 1u << 7,
    HIST_UDP_DATA = 1u << 3, /* flow.c uses this bit for UDP 'D' */
};

/* Sequence jumps larger than this on SYN/RST are not trusted (Zeek's TOO_LARGE_SEQ_DELTA). */
#define TOO_LARGE_SEQ_DELTA 1048576

static inline int32_t seq_delta(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

/* Ports that "look like" servers: a connection seen without its SYN is oriented so that
 * one of these is the responder's (Zeek's likely_server_ports, as its analyzers register
 * them). */
static bool likely_server_port(uint16_t port, uint8_t proto)
{
    static const uint16_t tcp_ports[] = {
        21,   22,   23,   25,   53,   80,   81,   88,   110,  111,  135,  139,  143,  179,
        389,  443,  445,  465,  502,  513,  514,  563,  585,  587,  614,  636,  989,  990,
        992,  993,  994,  995,  1080, 1723, 2049, 2811, 3128, 3306, 3389, 5222, 5269, 5432,
        5900, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8443, 8888, 9200, 11211, 1883, 8883,
    };
    static const uint16_t udp_ports[] = {
        53,  67,  69,  88,   123,  137,  138,  161,  162,  500,  514,  1812, 1813,
        1900, 2123, 2152, 3478, 3544, 4500, 4789, 5060, 5072, 5353, 5355, 6081, 443,
    };
    const uint16_t *v = proto == 6 ? tcp_ports : udp_ports;
    size_t n = proto == 6 ? sizeof(tcp_ports) / 2 : sizeof(udp_ports) / 2;
    for (size_t i = 0; i < n; i++)
        if (v[i] == port)
            return true;
    return false;
}

static struct flow_ep *ep_of(struct flow *f, bool is_orig)
{
    return &f->ep[is_orig ? 0 : 1];
}

static void set_state(struct flow_ep *e, uint8_t s)
{
    e->prev_state = e->state;
    e->state = s;
}

/* Scaled history letters (t/T, w/W, g/G...): logged at the 1st, 10th, 100th... time. */
static void scaled_history(struct flow *f, bool is_orig, char code, uint32_t *counter,
                           uint32_t *thresh)
{
    if (*thresh == 0)
        *thresh = 1;
    if (++*counter == *thresh) {
        flow_history_add(f, is_orig, code);
        uint32_t next = *thresh * 10;
        if (next <= *thresh)
            *counter = 0;
        else
            *thresh = next;
    }
}

/* Zeek's update_history(). */
static void update_history(struct flow *f, struct flow_ep *e, bool is_orig, uint8_t flags,
                           uint32_t rel_seq, uint32_t len)
{
    bool syn = flags & TH_SYN, fin = flags & TH_FIN, rst = flags & TH_RST, ack = flags & TH_ACK;
    int bits = syn + fin + rst;
    if (bits > 1) {
        if (fin && rst)
            flow_history_once(f, is_orig, HIST_FIN_RST, 'I');
        else
            flow_history_once(f, is_orig, HIST_MULTI, 'Q');
    } else if (bits == 1) {
        if (syn) {
            char code = ack ? 'H' : 'S';
            if (!flow_history_once(f, is_orig, HIST_SYN, code) && rel_seq != e->hist_last_syn)
                flow_history_add(f, is_orig, code);
            e->hist_last_syn = rel_seq;
        }
        if (fin) {
            /* A FIN's sequence number is at the end of the segment's data. */
            if (!flow_history_once(f, is_orig, HIST_FIN, 'F') &&
                rel_seq + len != e->hist_last_fin)
                flow_history_add(f, is_orig, 'F');
            e->hist_last_fin = rel_seq + len;
        }
        if (rst) {
            if (!flow_history_once(f, is_orig, HIST_RST, 'R') && rel_seq != e->hist_last_rst)
                flow_history_add(f, is_orig, 'R');
            e->hist_last_rst = rel_seq;
        }
    } else {
        if (len)
            flow_history_once(f, is_orig, HIST_DATA, 'D');
        else if (ack)
            flow_history_once(f, is_orig, HIST_ACK, 'A');
    }
}

/* Zeek's init_endpoint(): sequence bases on the first packet, or a SYN later. */
static void init_endpoint(struct flow *f, struct flow_ep *e, uint8_t flags, uint32_t seq,
                          uint32_t last_seq)
{
    bool syn = flags & TH_SYN;
    switch (e->state) {
    case TCPS_INACTIVE:
        if (syn) {
            e->ack_seq = e->start_seq = seq;
        } else {
            /* Partial connection: number bytes as though a SYN had been seen. */
            e->ack_seq = e->start_seq = seq - 1;
            last_seq = seq;
        }
        e->last_seq = last_seq;
        e->seq_init = true;
        break;
    case TCPS_SYN_SENT:
    case TCPS_SYN_ACK_SENT:
        if (syn && seq != e->start_seq) {
            weird_report(f->last_ts, f, "SYN_seq_jump", NULL, "TCP");
            e->start_seq = e->ack_seq = seq;
            e->last_seq = last_seq;
            e->seq_wraps = e->ack_wraps = 0;
        }
        break;
    case TCPS_ESTABLISHED:
    case TCPS_PARTIAL:
        if (syn) {
            if (seq != e->start_seq)
                weird_report(f->last_ts, f, "SYN_seq_jump", NULL, "TCP");
            e->start_seq = e->ack_seq = seq;
            e->last_seq = last_seq;
            e->seq_wraps = e->ack_wraps = 0;
        }
        break;
    case TCPS_RESET:
        if (syn && e->prev_state == TCPS_INACTIVE) {
            e->start_seq = e->ack_seq = seq;
            e->last_seq = last_seq;
            e->seq_wraps = e->ack_wraps = 0;
        }
        break;
    default:
        break;
    }
}

/* Zeek's update_last_seq(); returns the delta to the previous last_seq. */
static int32_t update_last_seq(struct flow *f, struct flow_ep *e, bool is_orig,
                               uint32_t last_seq, uint8_t flags, uint32_t len)
{
    int32_t delta = seq_delta(last_seq, e->last_seq);
    if ((flags & (TH_SYN | TH_RST)) && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
        /* not trusted */
    } else if ((flags & TH_FIN) && e->last_seq == e->start_seq + 1) {
        /* only the SYN and a FIN seen: trust the FIN (> 2 GB connections) */
        if (last_seq < e->last_seq)
            e->seq_wraps++;
        e->last_seq = last_seq;
    } else if (e->state == TCPS_RESET) {
        /* nothing after a reset is trusted */
    } else if (delta > 0) {
        if (last_seq < e->last_seq)
            e->seq_wraps++;
        e->last_seq = last_seq;
    } else if (len > 0) {
        scaled_history(f, is_orig, 'T', &e->rxmit_cnt, &e->rxmit_thresh);
    }
    return delta;
}

static void update_ack_seq(struct flow_ep *peer, uint32_t ack)
{
    int32_t delta = seq_delta(ack, peer->ack_seq);
    if (ack == 0 && delta > TOO_LARGE_SEQ_DELTA)
        return; /* a broken ACK, more likely than a connection that lands on 0 */
    if (delta > 0) {
        if (ack < peer->ack_seq)
            peer->ack_wraps++;
        peer->ack_seq = ack;
    }
}

/* ---- the state machine (Zeek's UpdateStateMachine and friends) ------------------------ */

static void update_inactive(struct flow *f, struct flow_ep *e, struct flow_ep *peer,
                            bool is_orig, uint8_t flags, uint32_t seq, uint32_t len)
{
    bool syn = flags & TH_SYN, ack = flags & TH_ACK, fin = flags & TH_FIN,
         rst = flags & TH_RST;
    if (syn) {
        if (is_orig) {
            if (ack) {
                weird_report(f->last_ts, f, "connection_originator_SYN_ack", NULL, "TCP");
                set_state(e, TCPS_SYN_ACK_SENT);
            } else {
                set_state(e, TCPS_SYN_SENT);
            }
        } else {
            if (!ack && peer->state == TCPS_SYN_ACK_SENT)
                weird_report(f->last_ts, f, "SYN_seq_jump", NULL, "TCP");
            set_state(e, TCPS_SYN_ACK_SENT);
        }
    }
    if (fin) {
        set_state(e, TCPS_CLOSED);
        if (peer->state != TCPS_PARTIAL && !syn)
            weird_report(f->last_ts, f, "spontaneous_FIN", NULL, "TCP");
    }
    if (rst) {
        set_state(e, TCPS_RESET);
        if (is_orig && peer->state == TCPS_ESTABLISHED)
            set_state(peer, TCPS_PARTIAL);
    }
    if (e->state == TCPS_INACTIVE) {
        /* No control flags: a packet of a connection whose start we missed, unless it is
         * an early ACK of the originator's SYN (seen from some stacks). */
        if (is_orig || len != 0 || peer->state != TCPS_SYN_SENT)
            set_state(e, TCPS_PARTIAL);
    }
    (void)seq;
}

static void update_syn_sent(struct flow *f, struct flow_ep *e, struct flow_ep *peer,
                            bool is_orig, uint8_t flags, uint32_t seq, uint32_t len)
{
    bool syn = flags & TH_SYN, ack = flags & TH_ACK, fin = flags & TH_FIN,
         rst = flags & TH_RST;
    if (syn) {
        if (seq != e->start_seq) {
            weird_report(f->last_ts, f, "SYN_seq_jump", NULL, "TCP");
            e->start_seq = e->ack_seq = e->last_seq = seq;
        }
    }
    if (fin) {
        if (peer->state == TCPS_INACTIVE || peer->state == TCPS_SYN_SENT)
            weird_report(f->last_ts, f, "inappropriate_FIN", NULL, "TCP");
        set_state(e, TCPS_CLOSED);
    }
    if (rst) {
        set_state(e, TCPS_RESET);
    } else if (ack && !fin) {
        /* The handshake completes when an endpoint that sent a SYN acknowledges the
         * peer's SYN. */
        if (peer->state == TCPS_SYN_ACK_SENT || peer->state == TCPS_SYN_SENT ||
            peer->state == TCPS_ESTABLISHED) {
            set_state(e, TCPS_ESTABLISHED);
            if (peer->state != TCPS_ESTABLISHED)
                set_state(peer, TCPS_ESTABLISHED);
        } else if (len > 0) {
            weird_report(f->last_ts, f, "data_before_established", NULL, "TCP");
        }
    } else if (len > 0) {
        weird_report(f->last_ts, f, "data_before_established", NULL, "TCP");
    }
    (void)is_orig;
}

static void update_established(struct flow *f, struct flow_ep *e, struct flow_ep *peer,
                               uint8_t flags)
{
    bool syn = flags & TH_SYN, ack = flags & TH_ACK, fin = flags & TH_FIN,
         rst = flags & TH_RST;
    if (syn && e->state == TCPS_PARTIAL && peer->state == TCPS_INACTIVE && !ack) {
        weird_report(f->last_ts, f, "SYN_after_partial", NULL, "TCP");
        set_state(e, TCPS_SYN_SENT);
    }
    if (fin && !rst) {
        set_state(e, TCPS_CLOSED);
        if (peer->state == TCPS_RESET && peer->prev_state == TCPS_CLOSED)
            set_state(peer, TCPS_CLOSED); /* FIN then RST from the peer: a normal end */
    }
    if (rst)
        set_state(e, TCPS_RESET);
}

static void update_closed(struct flow *f, struct flow_ep *e, uint8_t flags, int32_t delta_last)
{
    if (flags & TH_SYN)
        weird_report(f->last_ts, f, "SYN_after_close", NULL, "TCP");
    if ((flags & TH_FIN) && delta_last > 0)
        weird_report(f->last_ts, f, "FIN_advanced_last_seq", NULL, "TCP");
    if (flags & TH_RST)
        set_state(e, TCPS_RESET);
}

static void update_reset(struct flow *f, uint8_t flags, uint32_t len)
{
    if (flags & TH_SYN)
        weird_report(f->last_ts, f, "SYN_after_reset", NULL, "TCP");
    if (flags & TH_FIN)
        weird_report(f->last_ts, f, "FIN_after_reset", NULL, "TCP");
    if (len > 0 && !(flags & TH_RST))
        weird_report(f->last_ts, f, "data_after_reset", NULL, "TCP");
}

/* ---- entry points ---------------------------------------------------------------------- */

void tcp_packet(struct flow *f, const struct l4pkt *p, bool is_orig, bool created)
{
    uint8_t flags = p->tcp_flags;
    bool syn = flags & TH_SYN, ack = flags & TH_ACK;

    if (created) {
        /* A connection seen first without its SYN (or from a SYN-ACK) is oriented by its
         * ports, as Zeek does: the side on a likely server port is the responder. */
        bool flip = false;
        if (!syn || ack) {
            if (syn && ack)
                flip = true; /* a SYN-ACK comes from the responder */
            else
                flip = likely_server_port(p->sport, 6) && !likely_server_port(p->dport, 6);
        }
        if (flip) {
            flow_flip(f);
            flow_history_add(f, true, '^');
            is_orig = !is_orig;
        }
    }

    struct flow_ep *e = ep_of(f, is_orig), *peer = ep_of(f, !is_orig);
    e->pkts++;
    e->ip_bytes += p->ip_len;

    uint32_t len = p->payload_len;
    uint32_t seg_len = len + (syn ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
    uint32_t seq = p->seq, end = seq + seg_len;

    init_endpoint(f, e, flags, seq, end);
    uint32_t rel_seq = seq - e->start_seq;

    update_history(f, e, is_orig, flags, rel_seq, len);

    /* Zero windows (not on RST, not before the connection is up): W/w, scaled. */
    if (p->win == 0 && !(flags & (TH_RST | TH_SYN)) && peer->state != TCPS_RESET &&
        e->state != TCPS_INACTIVE)
        scaled_history(f, is_orig, 'W', &e->zero_win_cnt, &e->zero_win_thresh);

    if (flags & TH_FIN) {
        e->fin_cnt++;
        e->fin_seq = end;
    }
    if (flags & TH_RST)
        e->rst_cnt++;
    if (ack)
        update_ack_seq(peer, p->ack);

    int32_t delta_last = update_last_seq(f, e, is_orig, end, flags, len);

    switch (e->state) {
    case TCPS_INACTIVE:
        update_inactive(f, e, peer, is_orig, flags, seq, len);
        break;
    case TCPS_SYN_SENT:
    case TCPS_SYN_ACK_SENT:
        update_syn_sent(f, e, peer, is_orig, flags, seq, len);
        break;
    case TCPS_ESTABLISHED:
    case TCPS_PARTIAL:
        update_established(f, e, peer, flags);
        break;
    case TCPS_CLOSED:
        update_closed(f, e, flags, delta_last);
        break;
    case TCPS_RESET:
        update_reset(f, flags, len);
        break;
    }
}

bool tcp_is_closed(const struct flow *f)
{
    uint8_t o = f->ep[0].state, r = f->ep[1].state;
    bool oc = o == TCPS_CLOSED || o == TCPS_RESET, rc = r == TCPS_CLOSED || r == TCPS_RESET;
    return (oc && rc) || o == TCPS_RESET || r == TCPS_RESET;
}

bool tcp_is_reuse(const struct flow *f, const struct l4pkt *p)
{
    if (!(p->tcp_flags & TH_SYN) || (p->tcp_flags & TH_ACK))
        return false;
    const struct flow_ep *o = &f->ep[0], *r = &f->ep[1];
    if (!tcp_is_closed(f)) {
        if (p->seq == o->start_seq && o->seq_init)
            return false; /* a retransmitted SYN */
        /* SYN and SYN-ACK seen in swapped order: not a new connection. */
        if (o->state == TCPS_SYN_ACK_SENT && r->state == TCPS_INACTIVE)
            return false;
        if (o->state == TCPS_SYN_SENT || o->state == TCPS_INACTIVE || !o->seq_init)
            return false;
        if (r->state == TCPS_SYN_SENT && addr_cmp(&p->src, &f->resp_h) == 0)
            return false;
        return false;
    }
    return true;
}

/* Zeek's conn_state() from base/protocols/conn/main.zeek. */
const char *tcp_conn_state(const struct flow *f)
{
    uint8_t os = f->ep[0].state, rs = f->ep[1].state;
    bool o_inactive = os == TCPS_INACTIVE || os == TCPS_PARTIAL;
    bool r_inactive = rs == TCPS_INACTIVE || rs == TCPS_PARTIAL;

    if (rs == TCPS_RESET) {
        if (os == TCPS_SYN_SENT || os == TCPS_SYN_ACK_SENT ||
            (os == TCPS_RESET && tcp_endpoint_size(f, 0) == 0 && tcp_endpoint_size(f, 1) == 0))
            return "REJ";
        if (o_inactive)
            return "RSTRH";
        return "RSTR";
    }
    if (os == TCPS_RESET)
        return r_inactive ? "RSTOS0" : "RSTO";
    if (rs == TCPS_CLOSED && os == TCPS_CLOSED)
        return "SF";
    if (os == TCPS_CLOSED)
        return r_inactive ? "SH" : "S2";
    if (rs == TCPS_CLOSED)
        return o_inactive ? "SHR" : "S3";
    if (os == TCPS_SYN_SENT && rs == TCPS_INACTIVE)
        return "S0";
    if (os == TCPS_ESTABLISHED && rs == TCPS_ESTABLISHED)
        return "S1";
    return "OTH";
}

uint64_t tcp_endpoint_size(const struct flow *f, int dir)
{
    const struct flow_ep *e = &f->ep[dir], *peer = &f->ep[!dir];
    if (!e->seq_init)
        return 0;
    /* A half-open attempt that was reset: nothing was exchanged. */
    if (e->prev_state == TCPS_SYN_SENT && e->state == TCPS_RESET && peer->state == TCPS_INACTIVE)
        return 0;
    uint64_t last = ((uint64_t)e->seq_wraps << 32) + e->last_seq;
    uint64_t acked = ((uint64_t)e->ack_wraps << 32) + e->ack_seq;
    uint64_t start = e->start_seq;
    /* The peer may acknowledge data the capture missed: trust the ACK then. */
    uint64_t top = acked > last && acked - last < (1u << 31) ? acked : last;
    uint64_t size = top > start ? top - start : 0;
    if (size)
        size--; /* the SYN (or, for partial connections, its stand-in) */
    if (e->fin_cnt && size)
        size--;
    return size;
}
