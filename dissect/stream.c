/* stream.c: per-connection reassembly and application-protocol dispatch. */
#include "dissect/stream.h"

#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "dissect/reasm.h"
#include "dissect/tcp.h"
#include "dissect/weird.h"

enum app { APP_UNDECIDED = 0, APP_HTTP, APP_NONE };

#define SNIFF_BYTES 32

struct stream {
    struct flow *f;
    struct reasm r[2];         /* [0] originator's bytes, [1] responder's */
    enum app app;
    struct http_conn *http;
    uint8_t sniff[2][SNIFF_BYTES];
    uint8_t sniff_len[2];
    bool orig_not_http;        /* the client's first bytes were not HTTP */
    int64_t ts;                /* time of the packet being processed */
    bool flushing;
};

static bool clean(const struct flow_ep *e)
{
    return e->state == TCPS_ESTABLISHED ||
           (e->state == TCPS_CLOSED && e->prev_state == TCPS_ESTABLISHED);
}

static void app_data(struct stream *s, int dir, const uint8_t *data, uint32_t len)
{
    if (s->app == APP_HTTP)
        http_data(s->http, dir == 0, data, len, s->ts);
}

/* Decide the protocol from the first bytes of either side. */
static void decide(struct stream *s, int dir, const uint8_t *data, uint32_t len)
{
    uint8_t *sb = s->sniff[dir];
    uint8_t have = s->sniff_len[dir];
    uint32_t k = len < (uint32_t)(SNIFF_BYTES - have) ? len : (uint32_t)(SNIFF_BYTES - have);
    memcpy(sb + have, data, k);
    have = (uint8_t)(have + k);
    s->sniff_len[dir] = have;
    bool more;
    bool is_http = http_sniff(sb, have, dir == 0, &more);
    if (more && have < SNIFF_BYTES)
        return; /* wait for a few more bytes (they are kept in sniff[]) */
    if (!is_http && dir == 0 && !s->orig_not_http && s->sniff_len[1] == 0) {
        /* A client that does not speak HTTP may still get an HTTP answer (a malformed
         * request to a web server): let the server's first bytes decide. */
        s->orig_not_http = true;
        reasm_drop_data(&s->r[0]);
        return;
    }
    if (!is_http) {
        s->app = APP_NONE;
        reasm_drop_data(&s->r[0]);
        reasm_drop_data(&s->r[1]);
        return;
    }
    s->app = APP_HTTP;
    s->http = http_new(s->f);
    if (!s->http) {
        s->app = APP_NONE;
        return;
    }
    /* Replay the bytes held while deciding (they include this slice's first k bytes). */
    http_data(s->http, dir == 0, sb, have, s->ts);
    if (len > k)
        http_data(s->http, dir == 0, data + k, len - k, s->ts);
}

static void on_bytes(void *ctx, int dir, const uint8_t *data, uint32_t len)
{
    struct stream *s = ctx;
    struct flow *f = s->f;
    if (dir & REASM_INCONSISTENT) {
        weird_report(s->ts, f, "rexmit_inconsistency", NULL, "TCP");
        return;
    }
    if (data == NULL && len == 0) { /* end of this direction */
        if (s->app == APP_HTTP)
            http_eof(s->http, dir == 0, s->ts);
        return;
    }
    if (data == NULL) { /* a gap */
        if (!s->flushing && clean(&f->ep[0]) && clean(&f->ep[1])) {
            struct flow_ep *e = &f->ep[dir];
            e->missed_bytes += len;
            tcp_gap_history(f, dir == 0, e);
        }
        if (s->app == APP_HTTP)
            http_gap(s->http, dir == 0, len);
        return;
    }
    if (s->app == APP_UNDECIDED) {
        if (dir == 0 && s->orig_not_http)
            return; /* waiting for the server to decide */
        decide(s, dir, data, len);
        if (s->app == APP_HTTP && s->orig_not_http)
            http_skip_requests(s->http);
        return;
    }
    app_data(s, dir, data, len);
}

static struct stream *stream_get(struct flow *f)
{
    if (f->stream)
        return f->stream;
    struct stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->f = f;
    reasm_init(&s->r[0], on_bytes, s, 0, true);
    reasm_init(&s->r[1], on_bytes, s, 1, true);
    f->stream = s;
    lw_stats.streams++;
    return s;
}

void stream_packet(struct flow *f, const struct l4pkt *p, bool is_orig)
{
    uint8_t fl = p->tcp_flags;
    bool syn = fl & TH_SYN, fin = fl & TH_FIN, rst = fl & TH_RST, ack = fl & TH_ACK;
    uint32_t len = p->payload_len;
    if (!f->stream && len == 0 && !syn)
        return; /* nothing to reassemble yet: no stream state for pure ACKs */
    struct stream *s = stream_get(f);
    if (!s)
        return;
    s->ts = p->ts;
    int dir = is_orig ? 0 : 1;
    if (ack)
        reasm_ack(&s->r[!dir], p->ack);
    if (syn)
        reasm_syn(&s->r[dir], p->seq);
    uint32_t seq = p->seq + (syn ? 1 : 0);
    if (len > 0 && !rst)
        reasm_segment(&s->r[dir], seq, p->payload, len, p->payload_caplen);
    if (fin)
        reasm_fin(&s->r[dir], seq + (rst ? 0 : len));
}

void stream_end(struct flow *f)
{
    struct stream *s = f->stream;
    if (!s)
        return;
    s->flushing = true;
    s->ts = f->last_ts;
    reasm_flush(&s->r[0]);
    reasm_flush(&s->r[1]);
    reasm_free(&s->r[0]);
    reasm_free(&s->r[1]);
    if (s->http)
        http_free(s->http, f->last_ts);
    free(s);
    f->stream = NULL;
}
