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

#include "core/stats.h"
#include "dissect/weird.h"
#include "dissect/ports.h"

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
};

/* Sequence jumps larger than this on SYN/RST are not trusted (Zeek's TOO_LARGE_SEQ_DELTA). */
#define TOO_LARGE_SEQ_DELTA 1048576

static inline int32_t seq_delta(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
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

/* Take `seq` as the endpoint's initial sequence number (a SYN seen, or seen again). */
static void reinit_seq(struct flow_ep *e, uint32_t seq, uint32_t last_seq)
{
    e->start_seq = e->ack_seq = seq;
    e->last_seq = last_seq;
    e->seq_wraps = e->ack_wraps = 0;
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
            reinit_seq(e, seq, last_seq);
        }
        break;
    case TCPS_ESTABLISHED:
    case TCPS_PARTIAL:
        if (syn) {
            if (seq != e->start_seq)
                weird_report(f->last_ts, f, "SYN_seq_jump", NULL, "TCP");
            reinit_seq(e, seq, last_seq);
        }
        break;
    case TCPS_RESET:
        if (syn && e->prev_state == TCPS_INACTIVE)
            reinit_seq(e, seq, last_seq);
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
        lw_stats.tcp_ack_events++; /* capture_loss.log's acks */
    }
}

/* ---- the state machine (Zeek's UpdateStateMachine and friends) ------------------------ */

struct tcp_step {
    bool do_close;
};

static void update_inactive(struct flow *f, struct flow_ep *e, struct flow_ep *peer,
                            bool *is_orig, uint8_t flags, uint32_t seq, uint32_t len,
                            struct tcp_step *st)
{
    bool syn = flags & TH_SYN, ack = flags & TH_ACK, fin = flags & TH_FIN,
         rst = flags & TH_RST;
    if (syn) {
        if (*is_orig) {
            if (ack)
                weird_report(f->last_ts, f, "connection_originator_SYN_ack", NULL, "TCP");
            set_state(e, ack ? TCPS_SYN_ACK_SENT : TCPS_SYN_SENT);
            if (!f->attempt_armed) {
                f->attempt_armed = true;
                f->attempt_at = f->last_ts;
            }
        } else {
            if (ack) {
                /* a SYN-ACK: the handshake's second step */
            } else if (peer->state == TCPS_SYN_ACK_SENT && seq == e->start_seq) {
                /* SYN and SYN-ACK seen in reverse order: turn the connection around. */
                flow_flip(f);
                flow_history_add(f, true, '^');
                *is_orig = !*is_orig;
                set_state(peer, TCPS_ESTABLISHED);
            } else {
                weird_report(f->last_ts, f, "simultaneous_open", NULL, "TCP");
            }
            if (peer->state == TCPS_SYN_SENT)
                set_state(peer, TCPS_ESTABLISHED);
            else if (peer->state == TCPS_INACTIVE)
                weird_report(f->last_ts, f, "unsolicited_SYN_response", NULL, "TCP");
            set_state(e, TCPS_ESTABLISHED);
        }
    }
    if (fin) {
        set_state(e, TCPS_CLOSED);
        st->do_close = true;
        if (peer->state != TCPS_PARTIAL && !syn)
            weird_report(f->last_ts, f, "spontaneous_FIN", NULL, "TCP");
    }
    if (rst) {
        set_state(e, TCPS_RESET);
        st->do_close = true;
    }
    if (e->state == TCPS_INACTIVE) {
        /* No SYN, FIN or RST.  A bare ACK before the SYN-ACK (some stacks send one) keeps
         * the responder inactive; an ACK after a SYN-ACK whose SYN we missed establishes. */
        if (!*is_orig && len == 0 && f->ep[0].state == TCPS_SYN_SENT)
            ;
        else if (ack && peer->state == TCPS_ESTABLISHED)
            set_state(e, TCPS_ESTABLISHED);
        else
            set_state(e, TCPS_PARTIAL);
    }
}

static void update_syn_sent(struct flow *f, struct flow_ep *e, struct flow_ep *peer,
                            uint8_t flags, uint32_t len, struct tcp_step *st)
{
    if (flags & TH_FIN) {
        if (peer->state == TCPS_INACTIVE || peer->state == TCPS_SYN_SENT)
            weird_report(f->last_ts, f, "inappropriate_FIN", NULL, "TCP");
        set_state(e, TCPS_CLOSED);
        st->do_close = true;
    }
    if (flags & TH_RST) {
        set_state(e, TCPS_RESET);
        st->do_close = true;
    } else if (len > 0) {
        weird_report(f->last_ts, f, "data_before_established", NULL, "TCP");
    }
}

static void update_established(struct flow_ep *e, struct flow_ep *peer, uint8_t flags,
                               struct tcp_step *st)
{
    bool syn = flags & TH_SYN, ack = flags & TH_ACK, fin = flags & TH_FIN,
         rst = flags & TH_RST;
    if (syn && e->state == TCPS_PARTIAL && peer->state == TCPS_INACTIVE && !ack)
        set_state(e, TCPS_SYN_SENT);
    if (fin && !rst) {
        set_state(e, TCPS_CLOSED);
        if (peer->state == TCPS_RESET && peer->prev_state == TCPS_CLOSED)
            set_state(peer, TCPS_CLOSED); /* the peer's FIN then RST: a normal close */
        st->do_close = true;
    }
    if (rst) {
        set_state(e, TCPS_RESET);
        st->do_close = true;
    }
}

static void update_closed(struct flow *f, struct flow_ep *e, struct flow_ep *peer,
                          uint8_t flags, int32_t delta_last, struct tcp_step *st)
{
    if (flags & TH_SYN)
        weird_report(f->last_ts, f, "SYN_after_close", NULL, "TCP");
    if ((flags & TH_FIN) && delta_last > 0)
        weird_report(f->last_ts, f, "FIN_advanced_last_seq", NULL, "TCP");
    /* A RST after both FINs leaves the connection closed (it stays SF). */
    if ((flags & TH_RST) && peer->state != TCPS_CLOSED) {
        set_state(e, TCPS_RESET);
        if (!e->did_close)
            st->do_close = true;
    }
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

/* Zeek's ConnectionClosed(): the endpoint is done; when both are (or one reset, or the
 * peer never spoke) the connection lingers tcp_close_delay and is removed. */
static void connection_closed(struct flow *f, struct flow_ep *e, struct flow_ep *peer)
{
    if (e->did_close)
        return;
    e->did_close = true;
    if (e->state == TCPS_RESET || peer->did_close || peer->state == TCPS_INACTIVE) {
        if (!f->close_armed) {
            f->close_armed = true;
            f->close_at = f->last_ts;
        }
    }
}

/* Relative sequence number of `cur` in `e`'s space (Zeek's get_relative_seq). */
static uint64_t relative_seq(const struct flow_ep *e, uint32_t cur, uint32_t last,
                             uint32_t *wraps, bool *underflow)
{
    int32_t d = seq_delta(cur, last);
    if (d < 0 && *wraps && cur > last)
        (*wraps)--;
    else if (d > 0 && cur < last)
        (*wraps)++;
    *underflow = false;
    if (*wraps == 0) {
        int32_t r = seq_delta(cur, e->start_seq);
        *underflow = r < 0;
        return (uint64_t)(int64_t)r;
    }
    return ((uint64_t)*wraps << 32) + cur - e->start_seq;
}

/* ---- entry points ---------------------------------------------------------------------- */

void tcp_gap_history(struct flow *f, bool is_orig, struct flow_ep *e)
{
    scaled_history(f, is_orig, 'G', &e->gap_cnt, &e->gap_thresh);
}

bool tcp_wants_flip(const struct l4pkt *p)
{
    bool syn = p->tcp_flags & TH_SYN, ack = p->tcp_flags & TH_ACK;
    if (syn && !ack)
        return false; /* a pure SYN is the originator's */
    if (syn && ack)
        return true; /* a SYN-ACK is the responder's (Zeek's baselines: "^h...") */
    if (!likely_server_port(p->sport, 6))
        return false;
    if (likely_server_port(p->dport, 6))
        return p->sport < p->dport;
    return true;
}

void tcp_packet(struct flow *f, const struct l4pkt *p, bool is_orig)
{
    uint8_t flags = p->tcp_flags;
    bool syn = flags & TH_SYN, ack = flags & TH_ACK, fin = flags & TH_FIN,
         rst = flags & TH_RST;
    struct flow_ep *e = ep_of(f, is_orig), *peer = ep_of(f, !is_orig);

    uint32_t len = p->payload_len;
    uint32_t seg_len = len + (syn ? 1 : 0) + (fin ? 1 : 0);
    if (rst)
        seg_len -= len; /* a RST's payload is not in sequence space */
    uint32_t seq = p->seq, end = seq + seg_len;

    init_endpoint(f, e, flags, seq, end);
    bool underflow;
    uint32_t wraps = e->seq_wraps;
    uint64_t rel_seq = relative_seq(e, seq, e->last_seq, &wraps, &underflow);

    update_history(f, e, is_orig, flags, (uint32_t)rel_seq, len);

    /* Zero windows: W/w, scaled (Zeek's update_window). */
    if (p->win == 0 && !rst && peer->state != TCPS_CLOSED && e->state != TCPS_RESET)
        scaled_history(f, is_orig, 'W', &e->zero_win_cnt, &e->zero_win_thresh);

    if (!f->ep[0].did_close || !f->ep[1].did_close)
        f->last_ts = p->ts;

    if (fin) {
        e->fin_cnt++;
        e->fin_seq = (uint32_t)rel_seq + seg_len;
    }
    if (rst)
        e->rst_cnt++;
    if (ack) {
        if (peer->state == TCPS_INACTIVE) {
            /* What the silent side has sent, as far as this ACK tells. */
            peer->start_seq = peer->ack_seq = peer->last_seq = p->ack - 1;
            peer->seq_init = true;
        } else if (!rst) {
            update_ack_seq(peer, p->ack);
        }
    }

    int32_t delta_last = update_last_seq(f, e, is_orig, end, flags, len);

    struct tcp_step st = {false};
    switch (e->state) {
    case TCPS_INACTIVE:
        update_inactive(f, e, peer, &is_orig, flags, seq, len, &st);
        /* a flip swapped the endpoints */
        e = ep_of(f, is_orig);
        peer = ep_of(f, !is_orig);
        break;
    case TCPS_SYN_SENT:
    case TCPS_SYN_ACK_SENT:
        update_syn_sent(f, e, peer, flags, len, &st);
        break;
    case TCPS_ESTABLISHED:
    case TCPS_PARTIAL:
        update_established(e, peer, flags, &st);
        break;
    case TCPS_CLOSED:
        update_closed(f, e, peer, flags, delta_last, &st);
        break;
    case TCPS_RESET:
        update_reset(f, flags, len);
        break;
    }
    if (st.do_close)
        connection_closed(f, e, peer);

    /* Packet counters last, so that a flip above is already applied. */
    e->pkts++;
    e->ip_bytes += p->ip_len;
}

bool tcp_is_reuse(const struct flow *f, const struct l4pkt *p)
{
    if (!(p->tcp_flags & TH_SYN))
        return false;
    const struct flow_ep *conn_orig = &f->ep[0];
    if (p->tcp_flags & TH_ACK) {
        if (f->ep[0].state != TCPS_INACTIVE)
            return false;
        conn_orig = &f->ep[1];
    }
    if (!(f->ep[0].did_close || f->ep[1].did_close)) {
        if (p->seq == conn_orig->start_seq)
            return false; /* a retransmitted SYN */
        if (!(p->tcp_flags & TH_ACK) && conn_orig->state == TCPS_SYN_ACK_SENT &&
            f->ep[1].state == TCPS_INACTIVE && p->seq == f->ep[1].start_seq)
            return false; /* SYN and SYN-ACK reversed */
        return true;
    }
    return true;
}

/* Does the history match /^\^?S[^HAFGIQ]*R.*$/ (a SYN, then the originator's RST with
 * no handshake, data or close in between)? */
static bool history_is_rstos0(const struct flow *f)
{
    const char *h = f->history;
    if (*h == '^')
        h++;
    if (*h++ != 'S')
        return false;
    for (; *h; h++) {
        if (*h == 'R')
            return true;
        if (strchr("HAFGIQ", *h))
            return false;
    }
    return false;
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
    if (os == TCPS_RESET) {
        if (!r_inactive)
            return "RSTO";
        return history_is_rstos0(f) ? "RSTOS0" : "OTH";
    }
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
    /* A half-open attempt that was reset before any data was acknowledged. */
    bool no_data_acked = e->ack_wraps == 0 &&
                         (e->ack_seq == e->start_seq || e->ack_seq == e->start_seq + 1);
    if (e->prev_state == TCPS_SYN_SENT && e->state == TCPS_RESET &&
        peer->state == TCPS_INACTIVE && !no_data_acked)
        return 0;
    uint64_t last = ((uint64_t)e->seq_wraps << 32) + e->last_seq;
    uint64_t acked = ((uint64_t)e->ack_wraps << 32) + e->ack_seq;
    uint64_t start = e->start_seq;
    /* The peer may acknowledge data the capture missed: that counts too. */
    uint64_t top = acked > last ? acked : last;
    uint64_t size = top > start ? top - start : 0;
    if (size)
        size--; /* the SYN (or, for partial connections, its stand-in) */
    if (e->fin_cnt && size)
        size--;
    return size;
}
