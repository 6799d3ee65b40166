/* stream.c: per-connection reassembly and application-protocol dispatch. */
#include "dissect/stream.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/stats.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "dissect/reasm.h"
#include "dissect/tcp.h"
#include "dissect/tls.h"
#include "dissect/weird.h"

enum app { APP_UNDECIDED = 0, APP_HTTP, APP_TLS, APP_PROBE, APP_NONE };

#define SNIFF_BYTES 32

struct stream {
    struct flow *f;
    struct reasm r[2];         /* [0] originator's bytes, [1] responder's */
    enum app app;
    struct http_conn *http;
    struct tls_conn *tls;
    uint8_t sniff[2][SNIFF_BYTES];
    uint8_t sniff_len[2];
    bool orig_unknown;         /* the client's first bytes were not recognised */
    uint32_t probed;           /* bytes watched for a STARTTLS upgrade */
    uint8_t line_state;        /* line protocol clues (see line_protocol) */
    uint8_t line_seen;         /* directions whose first bytes line_protocol has seen */
    int64_t ts;                /* time of the packet being processed */
    bool flushing;
};

static bool clean(const struct flow_ep *e)
{
    return e->state == TCPS_ESTABLISHED ||
           (e->state == TCPS_CLOSED && e->prev_state == TCPS_ESTABLISHED);
}

static bool start_app(struct stream *s, enum app app);

static void app_data(struct stream *s, int dir, const uint8_t *data, uint32_t len)
{
    bool more;
    if (s->app == APP_HTTP && dir == 0 && !s->tls && http_between_messages(s->http, true) &&
        tls_sniff(data, len, true, &more)) {
        /* A ClientHello where the next request should be (a protocol that looked like
         * HTTP, as Gnutella's handshake does, upgrading to TLS): TLS from here on. */
        if (start_app(s, APP_TLS)) {
            tls_data(s->tls, true, data, len, s->ts);
            return;
        }
    }
    if (s->app == APP_HTTP) {
        http_data(s->http, dir == 0, data, len, s->ts);
        if (http_is_tunnel(s->http) && !s->tls) {
            /* CONNECT or Upgrade: what follows is another protocol, recognised afresh
             * (TLS through a proxy, SMTP through a CONNECT...). */
            s->app = APP_UNDECIDED;
            s->sniff_len[0] = s->sniff_len[1] = 0;
            s->orig_unknown = false;
        }
    } else if (s->app == APP_TLS) {
        tls_data(s->tls, dir == 0, data, len, s->ts);
    }
}

/* Line-based protocols Zeek names in conn.log, by their first lines (what its DPD
 * signatures look for): the server's greeting, confirmed by the client's first command
 * where greetings are shared (SMTP and FTP both say 220). */
enum { LP_220 = 1, LP_DONE = 2 };

static bool starts(const uint8_t *p, uint32_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && strncasecmp((const char *)p, s, k) == 0;
}

/* An IRC server line: ":prefix COMMAND" or ":prefix 001" (a numeric reply). */
static bool irc_server_line(const uint8_t *p, uint32_t n)
{
    uint32_t i = 1;
    while (i < n && p[i] != ' ' && p[i] > 0x20 && p[i] < 0x7f)
        i++;
    if (i == 1 || i + 4 > n || p[i] != ' ')
        return false;
    const uint8_t *c = p + i + 1; /* c[0..2] are within n; c[3] only when i + 5 <= n */
    bool numeric = i + 5 <= n && c[0] >= '0' && c[0] <= '9' && c[1] >= '0' && c[1] <= '9' &&
                   c[2] >= '0' && c[2] <= '9' && c[3] == ' ';
    bool word = c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' &&
                c[2] <= 'Z';
    return numeric || word;
}

/* Only the first bytes of each direction are looked at: a greeting starts a stream (a
 * later segment of binary data that happens to start with ':' is no IRC server). */
static void line_protocol(struct stream *s, int dir, const uint8_t *p, uint32_t n)
{
    if (s->line_state & LP_DONE || (s->line_seen & (1u << dir)))
        return;
    s->line_seen |= (uint8_t)(1u << dir);
    const char *svc = NULL;
    if (dir == 1) {
        if (starts(p, n, "+OK"))
            svc = "pop3";
        else if (starts(p, n, "* OK") || starts(p, n, "* PREAUTH"))
            svc = "imap";
        else if (starts(p, n, "220"))
            s->line_state |= LP_220;
        else if (n > 1 && p[0] == ':' && irc_server_line(p, n))
            svc = "irc";
    } else {
        if ((s->line_state & LP_220) && (starts(p, n, "EHLO ") || starts(p, n, "HELO ")))
            svc = "smtp";
        else if ((s->line_state & LP_220) && (starts(p, n, "USER ") || starts(p, n, "AUTH ") ||
                                              starts(p, n, "FEAT") || starts(p, n, "SYST")))
            svc = "ftp";
        else if (starts(p, n, "<?xml") || starts(p, n, "<stream:stream"))
            svc = "xmpp";
    }
    if (svc) {
        flow_add_service(s->f, svc);
        s->line_state |= LP_DONE;
    }
}

static void give_up(struct stream *s)
{
    s->app = APP_NONE;
    reasm_drop_data(&s->r[0]);
    reasm_drop_data(&s->r[1]);
}

static bool start_app(struct stream *s, enum app app)
{
    s->app = app;
    if (app == APP_HTTP) {
        if (s->http) /* HTTP again inside a CONNECT tunnel: the proxy's part is over */
            http_free(s->http, s->ts);
        s->http = http_new(s->f);
    } else {
        s->tls = tls_new(s->f);
    }
    if ((app == APP_HTTP && !s->http) || (app == APP_TLS && !s->tls)) {
        give_up(s);
        return false;
    }
    return true;
}

/* A connection that is neither HTTP nor TLS from its first bytes may still switch to TLS
 * (STARTTLS in SMTP, IMAP, POP3, XMPP, IRC, LDAP, FTP...): its first STREAM_PROBE_BYTES
 * are watched for a ClientHello at the start of a client slice, then it is let go. */
static void probe(struct stream *s, int dir, const uint8_t *data, uint32_t len)
{
    bool more;
    line_protocol(s, dir, data, len);
    if (dir == 0 && tls_sniff(data, len, true, &more)) {
        if (start_app(s, APP_TLS))
            tls_data(s->tls, true, data, len, s->ts);
        return;
    }
    s->probed += len;
    if (s->probed > STREAM_PROBE_BYTES)
        give_up(s);
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
    bool more_h, more_t;
    bool is_tls = tls_sniff(sb, have, dir == 0, &more_t);
    bool is_http = !is_tls && http_sniff(sb, have, dir == 0, &more_h);
    if (!is_tls && !is_http && (more_t || more_h) && have < SNIFF_BYTES)
        return; /* wait for a few more bytes (they are kept in sniff[]) */
    if (!is_tls && !is_http && dir == 0 && !s->orig_unknown && s->sniff_len[1] == 0) {
        /* A client that does not speak HTTP may still get an HTTP answer (a malformed
         * request to a web server): let the server's first bytes decide. */
        s->orig_unknown = true;
        return;
    }
    if (!is_tls && !is_http) {
        /* Neither: watch for a STARTTLS upgrade for a while. */
        s->app = APP_PROBE;
        probe(s, dir, data, len);
        return;
    }
    if (!start_app(s, is_tls ? APP_TLS : APP_HTTP))
        return;
    if (s->orig_unknown && s->app == APP_HTTP)
        http_skip_requests(s->http);
    /* Replay the bytes held while deciding (they include this slice's first k bytes). */
    app_data(s, dir, sb, have);
    if (len > k)
        app_data(s, dir, data + k, len - k);
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
        else if (s->app == APP_TLS)
            tls_gap(s->tls, dir == 0, len);
        return;
    }
    switch (s->app) {
    case APP_UNDECIDED:
        if (dir == 0 && s->orig_unknown) {
            /* Waiting for the server to decide; meanwhile a ClientHello may still come
             * after some other bytes. */
            probe(s, 0, data, len);
            return;
        }
        decide(s, dir, data, len);
        return;
    case APP_PROBE:
        probe(s, dir, data, len);
        return;
    default:
        app_data(s, dir, data, len);
    }
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
    reasm_tick(&s->r[0], p->ts);
    reasm_tick(&s->r[1], p->ts);
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
    s->ts = f->last_ts;
    /* Acknowledged holes are what the capture missed, as if given up at their ACK (they
     * count in missed_bytes and history); holes at the flush below are not. */
    reasm_ack_holes(&s->r[0], true);
    reasm_ack_holes(&s->r[1], true);
    s->flushing = true;
    reasm_flush(&s->r[0]);
    reasm_flush(&s->r[1]);
    reasm_free(&s->r[0]);
    reasm_free(&s->r[1]);
    if (s->http)
        http_free(s->http, f->last_ts);
    if (s->tls)
        tls_free(s->tls, f->last_ts);
    free(s);
    f->stream = NULL;
}
