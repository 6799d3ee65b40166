/* reasm.h: TCP stream reassembly, one instance per direction.
 *
 * Bytes are delivered in sequence order to a callback, exactly once, as slices of the
 * packet when they arrive in order (zero copy) or of held copies when they arrived early.
 *
 * Policy (documented in docs/architecture.md):
 *  - first data wins: bytes already held or delivered are never replaced; a later
 *    segment whose overlapping bytes differ from held ones is reported (the weird
 *    "rexmit_inconsistency") and its differing bytes are dropped;
 *  - a hole is given up when the receiver acknowledges past it (the peer had the bytes,
 *    the capture did not) and the bytes still have not come after a reorder window
 *    (REASM_REORDER_USEC of packet time or REASM_REORDER_BYTES held behind it: a SPAN
 *    port delivers the ACK before the data it acknowledges), when the end of the stream
 *    is reached, or when held data would exceed a cap: the callback then gets a gap of
 *    the missing length;
 *  - a segment cut by the snap length delivers its captured prefix, then a gap;
 *  - sequence numbers are tracked in 64 bits from the first one seen, so wraparound
 *    is transparent, and a stream picked up mid-way starts where it was picked up.
 */
#ifndef LW_DISSECT_REASM_H
#define LW_DISSECT_REASM_H

#include <stdbool.h>
#include <stdint.h>

struct reasm_seg;

/* Or'ed into `dir` when the callback reports (with data == NULL, len == 0) a segment whose
 * bytes differed from ones already held. */
#define REASM_INCONSISTENT 0x100

/* Called with in-order bytes (`data`, `len`); with data == NULL and len > 0 for a gap of
 * `len` bytes that will never be seen; with data == NULL and len == 0 at the end of the
 * stream.  `ctx`/`dir` are what reasm_init() was given. */
typedef void (*reasm_deliver_fn)(void *ctx, int dir, const uint8_t *data, uint32_t len);

struct reasm {
    bool started;
    uint32_t isn;            /* absolute sequence number of relative 0 */
    uint64_t next;           /* next relative sequence number to deliver */
    uint64_t fin;            /* relative sequence of the FIN (UINT64_MAX until seen) */
    struct reasm_seg *held;  /* early segments, sorted by sequence, disjoint */
    uint32_t held_bytes;
    uint64_t gap_bytes;      /* bytes given up as gaps */
    bool keep_data;          /* false: track sequence ranges only (no analyzer wants bytes) */
    bool eof;                /* the stream ended (FIN reached) */
    uint64_t acked;          /* relative sequence the peer acknowledged up to */
    int64_t hole_since;      /* packet time an acknowledged hole was first seen, or -1 */
    int64_t now;             /* packet time of the packet being processed */
    reasm_deliver_fn deliver;
    void *ctx;
    int dir;
};

/* Prepare a direction.  `keep_data` false tracks sequence space and gaps but holds no
 * payload (for connections no analyzer reads). */
void reasm_init(struct reasm *r, reasm_deliver_fn fn, void *ctx, int dir, bool keep_data);

/* Stop holding payload from now on (an analyzer gave up); held bytes are freed. */
void reasm_drop_data(struct reasm *r);

/* A segment: `seq` of its first payload byte (the SYN's sequence + 1 when it carries
 * the SYN), `len` bytes on the wire of which the first `caplen` are at `data`. */
void reasm_segment(struct reasm *r, uint32_t seq, const uint8_t *data, uint32_t len,
                   uint32_t caplen);

/* Tell the stream its first sequence number (from the SYN): relative 0 is `isn + 1`. */
void reasm_syn(struct reasm *r, uint32_t isn);

/* The peer acknowledged everything before `ack`: holes before it become gaps once the
 * reorder window has passed without their bytes. */
void reasm_ack(struct reasm *r, uint32_t ack);

/* Give up the acknowledged holes: at once when `force` (the connection is ending: no
 * more bytes come), else once the reorder window has passed (reasm_reorder_expired). */
void reasm_ack_holes(struct reasm *r, bool force);

/* The packet time now (µs): an acknowledged hole older than the reorder window is
 * given up.  Called for both directions on every packet of the connection. */
static inline void reasm_tick(struct reasm *r, int64_t now)
{
    r->now = now;
    if (r->hole_since >= 0)
        reasm_ack_holes(r, false);
}

/* The FIN's sequence number: the stream ends there. */
void reasm_fin(struct reasm *r, uint32_t seq);

/* The connection is over: deliver what is held, with gaps for the holes, then free. */
void reasm_flush(struct reasm *r);

/* Free held data without delivering it. */
void reasm_free(struct reasm *r);

#endif
