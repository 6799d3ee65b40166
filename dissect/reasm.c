/* reasm.c: per-direction TCP reassembly (RFC 793 sequence space, RFC 1982 arithmetic). */
#include "dissect/reasm.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/stats.h"

struct reasm_seg {
    struct reasm_seg *next;
    uint64_t seq;     /* relative sequence of the first byte */
    uint32_t len;     /* bytes of sequence space */
    uint32_t caplen;  /* of which held in data[] (the rest was cut by the snap length) */
    bool nodata;      /* a range only (the stream keeps no payload) */
    uint8_t data[];
};

static _Thread_local uint64_t total_held; /* per worker: each has its own cap */

void reasm_init(struct reasm *r, reasm_deliver_fn fn, void *ctx, int dir, bool keep_data)
{
    memset(r, 0, sizeof(*r));
    r->deliver = fn;
    r->ctx = ctx;
    r->dir = dir;
    r->keep_data = keep_data;
    r->fin = UINT64_MAX;
    r->hole_since = -1;
}

static void seg_free(struct reasm *r, struct reasm_seg *s)
{
    r->held_bytes -= s->caplen;
    total_held -= s->caplen;
    free(s);
}

void reasm_free(struct reasm *r)
{
    while (r->held) {
        struct reasm_seg *s = r->held;
        r->held = s->next;
        seg_free(r, s);
    }
}

void reasm_drop_data(struct reasm *r)
{
    /* Held payload becomes plain ranges: nothing is delivered for it any more. */
    for (struct reasm_seg *s = r->held; s; s = s->next) {
        s->nodata = true;
    }
    r->keep_data = false;
}

/* Relative position of absolute `seq`, taken as the nearest one to `next`. */
static int64_t rel_of(const struct reasm *r, uint32_t seq)
{
    uint32_t expect = r->isn + (uint32_t)r->next;
    return (int64_t)r->next + (int32_t)(seq - expect);
}

static void emit_gap(struct reasm *r, uint64_t len)
{
    lw_stats.tcp_gap_events += len > 0; /* capture_loss.log's gaps */
    while (len) {
        uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        r->gap_bytes += n;
        lw_stats.reasm_gap_bytes += n;
        r->deliver(r->ctx, r->dir, NULL, n);
        len -= n;
    }
}

/* Deliver bytes [r->next, seq+len) of a piece starting at `seq` whose first `caplen`
 * bytes are at `data` (NULL for a range without data). */
static void emit_piece(struct reasm *r, uint64_t seq, const uint8_t *data, uint32_t len,
                       uint32_t caplen, bool nodata)
{
    uint64_t end = seq + len;
    if (end <= r->next)
        return;
    uint64_t skip = r->next > seq ? r->next - seq : 0;
    if (!nodata) {
        /* Captured bytes go to the reader (when it keeps data); a snap-length cut is a gap
         * either way. */
        if (r->keep_data && skip < caplen)
            r->deliver(r->ctx, r->dir, data + skip, caplen - (uint32_t)skip);
        uint64_t have_end = seq + caplen;
        uint64_t gap_from = have_end > r->next ? have_end : r->next;
        if (end > gap_from)
            emit_gap(r, end - gap_from);
    }
    r->next = end;
}

static void check_eof(struct reasm *r)
{
    if (!r->eof && r->fin != UINT64_MAX && r->next >= r->fin) {
        r->eof = true;
        r->deliver(r->ctx, r->dir, NULL, 0);
    }
}

/* Deliver held segments that have become in order. */
static void drain(struct reasm *r)
{
    while (r->held && r->held->seq <= r->next) {
        struct reasm_seg *s = r->held;
        r->held = s->next;
        emit_piece(r, s->seq, s->data, s->len, s->caplen, s->nodata);
        seg_free(r, s);
    }
    check_eof(r);
}

/* Give up on the hole before the first held segment (a cap was reached). */
static void skip_hole(struct reasm *r)
{
    if (!r->held)
        return;
    lw_stats.reasm_cap_gaps++;
    emit_gap(r, r->held->seq - r->next);
    r->next = r->held->seq;
    drain(r);
}

static struct reasm_seg *seg_new(uint64_t seq, const uint8_t *data, uint32_t len,
                                 uint32_t caplen, bool nodata)
{
    uint32_t keep = nodata ? 0 : caplen;
    struct reasm_seg *s = malloc(sizeof(*s) + keep);
    if (!s)
        return NULL;
    s->next = NULL;
    s->seq = seq;
    s->len = len;
    s->caplen = keep;
    s->nodata = nodata;
    if (keep)
        memcpy(s->data, data, keep);
    return s;
}

/* Hold [seq, seq+len) (first `caplen` bytes at `data`), keeping the bytes already held
 * where pieces overlap; returns whether overlapping bytes differed. */
static bool hold(struct reasm *r, uint64_t seq, const uint8_t *data, uint32_t len,
                 uint32_t caplen)
{
    bool differ = false;
    bool nodata = !r->keep_data;
    struct reasm_seg **pp = &r->held;
    uint64_t a = seq, b = seq + len;
    while (a < b) {
        while (*pp && (*pp)->seq + (*pp)->len <= a)
            pp = &(*pp)->next;
        struct reasm_seg *h = *pp;
        uint64_t piece_end = h && h->seq < b ? (h->seq > a ? h->seq : a) : b;
        if (piece_end > a) {
            /* [a, piece_end) is new: hold it before h. */
            uint32_t off = (uint32_t)(a - seq);
            uint32_t plen = (uint32_t)(piece_end - a);
            uint32_t pcap = off < caplen ? caplen - off : 0;
            if (pcap > plen)
                pcap = plen;
            struct reasm_seg *s = seg_new(a, data + (off < caplen ? off : 0), plen, pcap, nodata);
            if (!s) {
                lw_stats.reasm_alloc_failures++;
                return differ;
            }
            r->held_bytes += s->caplen;
            total_held += s->caplen;
            s->next = h;
            *pp = s;
            pp = &s->next;
            a = piece_end;
            continue;
        }
        /* a is inside h: compare the overlap, keep h's bytes. */
        uint64_t ov_end = h->seq + h->len < b ? h->seq + h->len : b;
        if (!nodata && !h->nodata) {
            for (uint64_t i = a; i < ov_end; i++) {
                uint64_t in_new = i - seq, in_old = i - h->seq;
                if (in_new < caplen && in_old < h->caplen && data[in_new] != h->data[in_old]) {
                    differ = true;
                    break;
                }
            }
        }
        a = ov_end;
        pp = &h->next;
    }
    return differ;
}

void reasm_syn(struct reasm *r, uint32_t isn)
{
    if (!r->started || (r->next == 0 && !r->held)) {
        r->isn = isn + 1;
        r->started = true;
    }
}

void reasm_segment(struct reasm *r, uint32_t seq, const uint8_t *data, uint32_t len,
                   uint32_t caplen)
{
    if (len == 0)
        return;
    if (caplen > len)
        caplen = len;
    if (!r->started) {
        r->isn = seq; /* picked up mid-stream: start here */
        r->started = true;
    }
    int64_t rel = rel_of(r, seq);
    int64_t end = rel + len;
    if (end <= (int64_t)r->next) {
        lw_stats.reasm_retransmitted++;
        return; /* all delivered already: a retransmission */
    }
    if (rel < (int64_t)r->next) {
        uint32_t skip = (uint32_t)((int64_t)r->next - rel);
        data += skip < caplen ? skip : caplen;
        caplen = skip < caplen ? caplen - skip : 0;
        len -= skip;
        rel = (int64_t)r->next;
    }
    if ((uint64_t)rel == r->next) {
        emit_piece(r, (uint64_t)rel, data, len, caplen, false);
        drain(r);
        if (r->hole_since >= 0)
            reasm_ack_holes(r, false);
        return;
    }
    /* Early: hold it, within the caps. */
    uint32_t need = r->keep_data ? caplen : 0;
    while (r->held && (r->held_bytes + need > REASM_MAX_STREAM_HELD ||
                       total_held + need > REASM_MAX_TOTAL_HELD)) {
        skip_hole(r);
        if ((uint64_t)rel <= r->next) {
            reasm_segment(r, seq, data, len, caplen); /* now in order (or old) */
            return;
        }
    }
    if (need > REASM_MAX_STREAM_HELD || total_held + need > REASM_MAX_TOTAL_HELD) {
        /* Even alone it does not fit: give up the hole before it and take it in order. */
        lw_stats.reasm_cap_gaps++;
        emit_gap(r, (uint64_t)rel - r->next);
        r->next = (uint64_t)rel;
        emit_piece(r, (uint64_t)rel, data, len, caplen, false);
        drain(r);
        return;
    }
    if (hold(r, (uint64_t)rel, data, len, caplen)) {
        lw_stats.reasm_inconsistent++;
        r->deliver(r->ctx, r->dir | REASM_INCONSISTENT, NULL, 0);
    }
    if (r->hole_since >= 0)
        reasm_ack_holes(r, false); /* held bytes count against the window */
}

/* Give up the acknowledged holes: when `force`, or once the reorder window has passed
 * (counted: reasm_reorder_expired).  Bytes that arrive within the window fill them. */
void reasm_ack_holes(struct reasm *r, bool force)
{
    if (r->acked <= r->next) {
        if (r->hole_since >= 0)
            lw_stats.reasm_acked_ahead_filled++; /* the data came after its ACK: reordering */
        r->hole_since = -1;
        return;
    }
    if (r->hole_since < 0)
        r->hole_since = r->now;
    if (!force && r->now - r->hole_since < REASM_REORDER_USEC &&
        r->held_bytes < REASM_REORDER_BYTES)
        return;
    if (!force)
        lw_stats.reasm_reorder_expired++;
    while (r->next < r->acked) {
        if (r->held && r->held->seq <= r->next) {
            drain(r);
            continue;
        }
        uint64_t stop = r->held && r->held->seq < r->acked ? r->held->seq : r->acked;
        emit_gap(r, stop - r->next);
        r->next = stop;
    }
    r->hole_since = -1;
    drain(r);
}

void reasm_ack(struct reasm *r, uint32_t ack)
{
    if (!r->started)
        return;
    int64_t rel = rel_of(r, ack);
    /* The receiver acknowledged the FIN too: the sender is done, and the receiver had
     * every byte before it; the holes are given up now. */
    bool fin_acked = r->fin != UINT64_MAX && rel > (int64_t)r->fin;
    if (fin_acked)
        rel = (int64_t)r->fin; /* the FIN takes one sequence number, carries no byte */
    if (rel <= (int64_t)r->next || ((uint64_t)rel <= r->acked && !fin_acked))
        return;
    if ((uint64_t)rel - r->next > REASM_MAX_ACK_JUMP) {
        lw_stats.reasm_bogus_acks++;
        return; /* an acknowledgement far past anything plausible: not trusted */
    }
    if ((uint64_t)rel > r->acked)
        r->acked = (uint64_t)rel;
    reasm_ack_holes(r, fin_acked);
}

void reasm_fin(struct reasm *r, uint32_t seq)
{
    if (!r->started) {
        r->isn = seq;
        r->started = true;
    }
    int64_t rel = rel_of(r, seq);
    if (rel < 0)
        rel = 0;
    if (r->fin == UINT64_MAX || (uint64_t)rel > r->fin)
        r->fin = (uint64_t)rel;
    check_eof(r);
}

void reasm_flush(struct reasm *r)
{
    reasm_ack_holes(r, true);
    while (r->held) {
        if (r->held->seq > r->next) {
            emit_gap(r, r->held->seq - r->next);
            r->next = r->held->seq;
        }
        drain(r);
    }
    if (!r->eof) {
        r->eof = true;
        r->deliver(r->ctx, r->dir, NULL, 0);
    }
}
