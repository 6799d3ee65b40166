/* conn.h: the packet path.  One place drives a packet from the connection table through
 * the transport state (tcp.c, or UDP/ICMP counting here), the TCP streams and the
 * application parsers (stream.c), and classification (classify.c); and one place ends a
 * connection: streams flushed and parsers finished, then classification, then the log.
 *
 *   decode.c -> conn_packet -> flow.c (find/create) -> tcp.c -> stream.c -> http.c/tls.c
 *                                                   -> classify.c
 */
#ifndef LW_DISSECT_CONN_H
#define LW_DISSECT_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect/flow.h"
#include "dissect/packet.h"

/* A connection table whose ending connections go through their streams, parsers and
 * classification before `cfg->on_end` (which does not see tunnels). */
struct flow_table *conn_table_new(const struct flow_config *cfg);
void conn_table_free(struct flow_table *t);

/* Account one packet to its connection (creating it if needed) and run it through the
 * pipeline.  Returns the connection, or NULL if the packet was not accepted (no memory);
 * `*is_orig` (if not NULL) tells whether the packet came from the originator. */
struct flow *conn_packet(struct flow_table *t, const struct l4pkt *p, bool *is_orig);

/* Zeek's conn_state for the connection as it stands. */
const char *conn_state(const struct flow *f);

/* Bytes each side sent: TCP from sequence numbers, others from payload sizes. */
uint64_t conn_orig_bytes(const struct flow *f);
uint64_t conn_resp_bytes(const struct flow *f);

#endif
