/* evidence.h: what the rules can look at, by name.
 *
 * An evidence record is built for each event the rules see (an HTTP transaction with
 * its files, a TLS connection) and exposes named fields ("http.user_agent", "file.type",
 * "server.asn", ...).  Values are computed when a rule first asks for them (GeoIP lookups
 * included) and kept for the other rules of the same event.
 */
#ifndef LW_DETECT_EVIDENCE_H
#define LW_DETECT_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "detect/geo.h"

struct flow;
struct http_txn;
struct http_file_ref;
struct tls_info;
struct site;
struct hostctx;
struct attribution;

enum ev_kind { EV_HTTP = 1, EV_TLS = 2 };

enum ev_type { EVT_STR = 1, EVT_NUM, EVT_BOOL, EVT_ADDR, EVT_SET };

#define EV_MAX_ITEMS 32

/* One field's value for one event. */
struct ev_val {
    bool present;               /* false: the event has no such value (e.g. no User-Agent) */
    const char *s;              /* EVT_STR (NUL-terminated) */
    int64_t num;                /* EVT_NUM */
    bool b;                     /* EVT_BOOL */
    const struct lw_addr *addr; /* EVT_ADDR */
    size_t nitems;              /* EVT_SET */
    const char *items[EV_MAX_ITEMS];
    size_t item_len[EV_MAX_ITEMS];
};

struct ev_field {
    const char *name;
    enum ev_type type;
    unsigned kinds;             /* EV_HTTP | EV_TLS: events that have it */
    const char *doc;
};

/* The field table (for the rules compiler and the docs). */
size_t ev_field_count(void);
const struct ev_field *ev_field(size_t i);
/* Index of `name`, or -1. */
int ev_field_find(const char *name);

struct evidence {
    enum ev_kind kind;
    int64_t ts;
    const struct flow *flow;
    const struct http_txn *http;        /* EV_HTTP */
    const struct http_file_ref *file;   /* EV_HTTP: the response's first file, or NULL */
    const struct tls_info *tls;         /* EV_TLS */
    const struct site *site;
    const struct geo *geo;
    struct hostctx *hostctx;
    /* Filled on demand. */
    bool proc_done;
    const struct attribution *proc;
    bool geo_done[2];
    struct geo_info geo_info[2];        /* [0] client, [1] server */
    char **owned;                       /* derived strings, freed by evidence_done */
    size_t nowned, owned_cap;
    uint64_t have;                      /* cached fields (bits) */
    struct ev_val cache[64];
};

void evidence_init_http(struct evidence *ev, const struct flow *f, const struct http_txn *t,
                        const struct site *site, const struct geo *geo, struct hostctx *hc);
void evidence_init_tls(struct evidence *ev, const struct flow *f, const struct tls_info *t,
                       const struct site *site, const struct geo *geo, struct hostctx *hc);
void evidence_done(struct evidence *ev);

/* The value of field `idx` (from ev_field_find) for this event. */
const struct ev_val *evidence_get(struct evidence *ev, int idx);

/* The process behind the connection (host events), or NULL. */
const struct attribution *evidence_proc(struct evidence *ev);

/* The server's (responder's) and client's location. */
const struct geo_info *evidence_geo(struct evidence *ev, bool server);

/* Client and server address/port (the flow's originator and responder). */
void evidence_endpoints(const struct evidence *ev, const struct lw_addr **client,
                        uint16_t *cport, const struct lw_addr **server, uint16_t *sport);

#endif
