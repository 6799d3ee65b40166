/* classify.h: nDPI 4.2 on every connection, whatever its port.
 *
 * Each connection's packets (IP header onwards) are fed to nDPI only until it has
 * decided and has nothing more to extract, as ndpiReader does (or until
 * CLASSIFY_MAX_TCP_PKTS / CLASSIFY_MAX_UDP_PKTS): then its state is freed, and the
 * connection costs nothing more.  What stays on the flow: nDPI's protocol pair
 * ("TLS.Google"), its risk bits, and for QUIC the server name and version.  The
 * protocol names a Zeek analyzer would give are added to conn.log's `service`.
 */
#ifndef LW_DISSECT_CLASSIFY_H
#define LW_DISSECT_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/packet.h"

struct flow;

/* What nDPI said of a connection (kept on the flow). */
struct classify_result {
    uint16_t master, app;     /* nDPI protocol ids; 0 = unknown */
    uint64_t risk;            /* bitmask of ndpi_risk_enum */
    bool done;                /* decided (or given up): no more packets are fed */
    uint16_t pkts;            /* packets fed */
    uint32_t quic_version;    /* QUIC long-header version, 0 when none */
    char *quic_sni;           /* QUIC server name, or NULL */
    char *quic_alpn;          /* QUIC ALPN offered, or NULL */
};

typedef void (*quic_sink_fn)(void *ctx, const struct flow *f);
/* The calling thread's QUIC sink (each worker sets its own). */
void classify_set_quic_sink(quic_sink_fn fn, void *ctx);

/* Set up the calling thread's detection module (each worker has its own); false (with a
 * message) if nDPI cannot start. */
bool classify_init(void);
void classify_shutdown(void);

/* One packet of `f` (after the transport state machine). */
void classify_packet(struct flow *f, const struct l4pkt *p);

/* The connection ends: settle what nDPI knows (no guessing by port), free its state. */
void classify_end(struct flow *f);

/* Free what classification keeps on the flow (after it is logged). */
void classify_free(struct flow *f);

/* nDPI's name for the connection ("TLS.Google", "DNS"), into `buf`; NULL if unknown. */
const char *classify_name(const struct flow *f, char *buf, size_t n);

/* nDPI's name of risk bit `bit` of classify_result.risk, or NULL for no such risk. */
const char *classify_risk_name(unsigned bit);

#endif
