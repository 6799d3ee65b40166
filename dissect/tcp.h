/* tcp.h: TCP connection state as Zeek tracks it: endpoint states, the history string,
 * conn_state, and sizes from sequence numbers (shared with flow.c). */
#ifndef LW_DISSECT_TCP_H
#define LW_DISSECT_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect/flow.h"

/* Run one TCP packet through the connection's state machine (conn.c then hands it to
 * the streams). */
void tcp_packet(struct flow *f, const struct l4pkt *p, bool is_orig);

/* Should a connection whose first packet is `p` have its roles swapped?  (A SYN-ACK, or
 * no SYN and the source port looks like a server's.) */
bool tcp_wants_flip(const struct l4pkt *p);

/* A pure SYN that starts a new connection on the same 5-tuple (Zeek's IsReuse). */
bool tcp_is_reuse(const struct flow *f, const struct l4pkt *p);

const char *tcp_conn_state(const struct flow *f);

/* Bytes endpoint `dir` (0 originator, 1 responder) sent, from its sequence space. */
uint64_t tcp_endpoint_size(const struct flow *f, int dir);

/* A content gap in `e`'s data: the scaled G/g history letter. */
void tcp_gap_history(struct flow *f, bool is_orig, struct flow_ep *e);

#endif
