/* stream.h: the TCP payload path: reassembly of both directions, recognition of the
 * application protocol by its first bytes (any port), and delivery to its parser.
 * Gaps found here feed conn.log's missed_bytes and the G/g history letters, by Zeek's
 * rule (only while both sides are established). */
#ifndef LW_DISSECT_STREAM_H
#define LW_DISSECT_STREAM_H

#include <stdbool.h>

#include "dissect/packet.h"

struct flow;

/* Run one TCP packet's payload, SYN, FIN and ACK through the connection's streams.
 * Called by tcp.c after its state machine, with the packet's direction. */
void stream_packet(struct flow *f, const struct l4pkt *p, bool is_orig);

/* The connection ends: deliver what is held, finish the parser, free the streams. */
void stream_end(struct flow *f);

#endif
