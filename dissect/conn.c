/* conn.c: the packet path through a connection (see conn.h). */
#include "dissect/conn.h"

#include <stdlib.h>

#include "core/stats.h"
#include "dissect/carve.h"
#include "dissect/classify.h"
#include "dissect/ports.h"
#include "dissect/stream.h"
#include "dissect/tcp.h"
#include "dissect/weird.h"

/* What the application asked to hear when a connection ends. */
struct conn_hooks {
    flow_end_fn on_end;
    void *ctx;
};

static void conn_ended(void *ctx, struct flow *f)
{
    struct conn_hooks *h = ctx;
    if (f->stream)
        stream_end(f); /* application logs first, as Zeek writes them before conn.log */
    classify_end(f);
    if (h->on_end && !f->is_tunnel)
        h->on_end(h->ctx, f);
    carve_end(f); /* after the last notice could come (stream_end) */
    classify_free(f);
}

struct flow_table *conn_table_new(const struct flow_config *cfg)
{
    struct conn_hooks *h = malloc(sizeof(*h));
    if (!h)
        return NULL;
    h->on_end = cfg->on_end;
    h->ctx = cfg->ctx;
    struct flow_config c = *cfg;
    c.on_end = conn_ended;
    c.ctx = h;
    struct flow_table *t = flow_table_new(&c);
    if (!t)
        free(h);
    return t;
}

void conn_table_free(struct flow_table *t)
{
    if (!t)
        return;
    void *h = flow_table_ctx(t);
    flow_table_free(t);
    free(h);
}

static bool is_broadcast(const struct lw_addr *a)
{
    if (addr_is_v4(a))
        return a->b[15] == 255 || a->b[12] >= 224; /* limited/directed broadcast, multicast */
    return a->b[0] == 0xff;                         /* IPv6 multicast */
}

/* Zeek orients a connection by its first packet, except when that packet looks like
 * the server's (TCP: SYN-ACK or a server port; UDP: a server source port). */
static bool wants_flip(const struct l4pkt *p)
{
    if (p->proto == 6)
        return tcp_wants_flip(p);
    if (p->proto == 17)
        return likely_server_port(p->sport, 17) && !likely_server_port(p->dport, 17) &&
               !is_broadcast(&p->dst);
    return false;
}

static void udp_packet(struct flow *f, const struct l4pkt *p, bool is_orig)
{
    struct flow_ep *e = &f->ep[is_orig ? 0 : 1];
    e->pkts++;
    e->ip_bytes += p->ip_len;
    e->bytes += p->payload_len;
    /* UDP history: D/d once per direction for any datagram, even an empty one (Zeek's
     * UDPAnalyzer::DeliverPacket). */
    flow_history_once(f, is_orig, 1u << 3, 'D');
}

struct flow *conn_packet(struct flow_table *t, const struct l4pkt *p, bool *is_orig_out)
{
    struct flow_probe pr;
    struct flow *f = flow_find(t, p, &pr);
    if (f && p->proto == 6 && tcp_is_reuse(f, p)) {
        flow_close(t, f);
        f = NULL;
    }
    bool created = false;
    if (!f) {
        f = flow_create(t, p, &pr);
        if (!f)
            return NULL;
        created = true;
    }
    if (is_orig_out)
        *is_orig_out = true;
    if (p->header_only)
        return f; /* Zeek creates the connection, then rejects the segment */
    if (f->stream) /* the streams are the packet's next stop: start loading them now */
        __builtin_prefetch(f->stream, 1);
    flow_note_encap(f, p, created);
    if (created && wants_flip(p)) {
        flow_flip(f);
        flow_history_add(f, true, '^');
    }
    bool is_orig = addr_cmp(&p->src, &f->orig_h) == 0 && pr.sp == f->orig_p;
    if (addr_cmp(&p->src, &p->dst) == 0 && pr.sp == pr.dp)
        is_orig = true; /* a connection to itself: every packet is the originator's */
    if (is_orig_out)
        *is_orig_out = is_orig;

    if (p->proto == 6 && flow_duplicate(t, f, p)) {
        weird_report(p->ts, f, "span_duplicate", NULL, NULL);
        return f;
    }
    if (carve_enabled())
        carve_frame(f, p->frame);
    if (p->proto != 6) /* TCP decides itself (not after both sides closed) */
        f->last_ts = p->ts;

    switch (p->proto) {
    case 6:
        tcp_packet(f, p, is_orig);
        stream_packet(f, p, is_orig);
        break;
    case 17:
        udp_packet(f, p, is_orig);
        break;
    case 1:
    case 58: {
        struct flow_ep *e = &f->ep[is_orig ? 0 : 1];
        e->pkts++;
        e->ip_bytes += p->ip_len;
        e->bytes += p->payload_len;
        break;
    }
    default: {
        /* Other transports: packets and IP bytes only, as Zeek's unknown_transport. */
        struct flow_ep *e = &f->ep[is_orig ? 0 : 1];
        e->pkts++;
        e->ip_bytes += p->ip_len;
        break;
    }
    }
    classify_packet(f, p);
    flow_touch(t, f);
    return f;
}

const char *conn_state(const struct flow *f)
{
    if (f->proto == 6)
        return tcp_conn_state(f);
    if (f->proto == 17) {
        bool o = f->ep[0].pkts > 0, r = f->ep[1].pkts > 0;
        if (o)
            return r ? "SF" : "S0";
        return r ? "SHR" : "OTH";
    }
    return "OTH";
}

uint64_t conn_orig_bytes(const struct flow *f)
{
    return f->proto == 6 ? tcp_endpoint_size(f, 0) : f->ep[0].bytes;
}

uint64_t conn_resp_bytes(const struct flow *f)
{
    return f->proto == 6 ? tcp_endpoint_size(f, 1) : f->ep[1].bytes;
}
