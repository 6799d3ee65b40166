/* detect.c: match events against the rules, apply allowlists, fold by note, notify. */
#include "detect/detect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "core/util.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "dissect/tls.h"

#define DETECT_MAX_SINKS 4
#define DETECT_MAX_FINDINGS 32  /* distinct notes per event */
#define DETECT_SUB_MAX 1024
#define DETECT_VALUE_MAX 160    /* characters of one value in the evidence text */

#define DETECT_MAX_PENDING 10000 /* events waiting for host context */

/* An event kept for a second look when host context arrives (copies: the originals are
 * freed once logged). */
struct pending {
    struct flow flow;           /* the key, ids and classification; no stream state */
    struct http_txn *http;
    struct tls_info *tls;
    int64_t ts;
    struct {
        const char *note;
        enum severity sev;
    } done[DETECT_MAX_FINDINGS]; /* findings already written */
    size_t ndone;
};

struct detector {
    struct detect_config cfg;
    struct pending **pending;   /* a ring, oldest first */
    size_t npending, phead;
    int64_t now;                /* the latest event time seen */
    struct {
        notice_sink_fn fn;
        void *ctx;
    } sinks[DETECT_MAX_SINKS];
    int nsinks;
    int8_t *allow_state;        /* per rule: -1 not evaluated, 0 no, 1 yes (this event) */
};

struct detector *detector_new(const struct detect_config *cfg)
{
    struct detector *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->cfg = *cfg;
    size_t n = ruleset_count(cfg->rules);
    d->allow_state = malloc(n ? n : 1);
    if (!d->allow_state) {
        free(d);
        return NULL;
    }
    return d;
}

static void pending_free(struct pending *p)
{
    if (!p)
        return;
    http_txn_free(p->http);
    tls_info_free(p->tls);
    free(p);
}

void detector_free(struct detector *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->npending; i++) {
        struct pending *p = d->pending[(d->phead + i) % DETECT_MAX_PENDING];
        if (p)
            hostctx_forget(d->cfg.hostctx, &p->flow);
        pending_free(p);
    }
    free(d->pending);
    free(d->allow_state);
    free(d);
}

bool detector_add_sink(struct detector *d, notice_sink_fn fn, void *ctx)
{
    if (d->nsinks == DETECT_MAX_SINKS)
        return false;
    d->sinks[d->nsinks].fn = fn;
    d->sinks[d->nsinks].ctx = ctx;
    d->nsinks++;
    return true;
}

/* Does an enabled allowlist entry cover rule `r` for this event? */
static bool allowlisted(struct detector *d, struct evidence *ev, const struct rule *r)
{
    const struct ruleset *rs = d->cfg.rules;
    for (size_t i = 0; i < ruleset_count(rs); i++) {
        const struct rule *a = ruleset_rule(rs, i);
        if (!a->allow || a->disabled || !(a->kind & ev->kind) || !rule_in_scope(a, r))
            continue;
        if (d->allow_state[i] < 0)
            d->allow_state[i] = rule_matches(a, ev) ? 1 : 0;
        if (d->allow_state[i])
            return true;
    }
    return false;
}

/* Append `s` (n bytes) to the evidence text, cut at DETECT_VALUE_MAX. */
static void put(char *buf, size_t *len, const char *s, size_t n)
{
    if (n > DETECT_VALUE_MAX)
        n = DETECT_VALUE_MAX;
    size_t room = DETECT_SUB_MAX - 1 - *len;
    if (n > room)
        n = room;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* "field=value; field=value" for the fields the rule looked at ("follow-up; " first for
 * a notice written when host context arrived later). */
static void evidence_text(struct evidence *ev, const struct rule *r, char *buf, bool followup)
{
    size_t len = 0;
    buf[0] = '\0';
    if (followup)
        put(buf, &len, "follow-up", 9);
    for (size_t i = 0; i < ARRAY_LEN(r->fields_used) && r->fields_used[i] >= 0; i++) {
        int fi = r->fields_used[i];
        const struct ev_field *fd = ev_field((size_t)fi);
        const struct ev_val *v = evidence_get(ev, fi);
        if (len)
            put(buf, &len, "; ", 2);
        put(buf, &len, fd->name, strlen(fd->name));
        put(buf, &len, "=", 1);
        char tmp[LW_ADDR_STRLEN + 32];
        if (!v->present) {
            put(buf, &len, "-", 1);
            continue;
        }
        switch (fd->type) {
        case EVT_STR: put(buf, &len, v->s, strlen(v->s)); break;
        case EVT_NUM:
            snprintf(tmp, sizeof(tmp), "%" PRId64, v->num);
            put(buf, &len, tmp, strlen(tmp));
            break;
        case EVT_BOOL: put(buf, &len, v->b ? "true" : "false", v->b ? 4 : 5); break;
        case EVT_ADDR: put(buf, &len, tmp, addr_format(v->addr, tmp)); break;
        case EVT_SET:
            if (!v->nitems)
                put(buf, &len, "(empty)", 7);
            for (size_t k = 0; k < v->nitems; k++) {
                if (k)
                    put(buf, &len, ",", 1);
                put(buf, &len, v->items[k], v->item_len[k]);
            }
            break;
        }
    }
}

/* Match `ev`, write its notices; with `p` (a second look), only findings that are new or
 * more severe than what `p` already wrote, as follow-ups.  Records what was written in
 * `rec` when not NULL. */
static void run(struct detector *d, struct evidence *ev, struct pending *p, struct pending *rec)
{
    const struct ruleset *rs = d->cfg.rules;
    const struct rule *found[DETECT_MAX_FINDINGS];
    size_t nfound = 0;
    if (!p)
        lw_stats.detect_events++;
    memset(d->allow_state, 0xff, ruleset_count(rs) ? ruleset_count(rs) : 1);
    for (size_t i = 0; i < ruleset_count(rs); i++) {
        const struct rule *r = ruleset_rule(rs, i);
        if (r->allow || r->disabled || !(r->kind & ev->kind) || !rule_matches(r, ev))
            continue;
        if (!p)
            lw_stats.detect_matches++;
        if (allowlisted(d, ev, r)) {
            if (!p)
                lw_stats.notices_allowlisted++;
            continue;
        }
        size_t k = 0;
        while (k < nfound && strcmp(found[k]->note, r->note) != 0)
            k++;
        if (k < nfound) {
            if (!p)
                lw_stats.notices_merged++;
            if (r->severity > found[k]->severity)
                found[k] = r;
        } else if (nfound < DETECT_MAX_FINDINGS) {
            found[nfound++] = r;
        }
    }
    char sub[DETECT_SUB_MAX], url[2048];
    for (size_t k = 0; k < nfound; k++) {
        const struct rule *r = found[k];
        if (r->severity < d->cfg.min_severity) {
            if (!p)
                lw_stats.notices_below_min++;
            continue;
        }
        if (p) {
            bool seen = false;
            for (size_t i = 0; i < p->ndone && !seen; i++)
                seen = strcmp(p->done[i].note, r->note) == 0 && p->done[i].sev >= r->severity;
            if (seen)
                continue;
        }
        if (rec && rec->ndone < DETECT_MAX_FINDINGS) {
            rec->done[rec->ndone].note = r->note;
            rec->done[rec->ndone++].sev = r->severity;
        }
        evidence_text(ev, r, sub, p != NULL);
        struct notice n = {
            .ts = ev->ts,
            .flow = ev->flow,
            .rule = r,
            .ev = ev,
            .app_proto = ev->kind == EV_HTTP ? "http" : "tls",
            .sub = sub,
            .remote = evidence_geo(ev, true),
            .proc = evidence_proc(ev),
            .followup = p != NULL,
        };
        if (p)
            lw_stats.notices_followup++;
        if (ev->kind == EV_HTTP) {
            n.trans_depth = ev->http->depth;
            n.file_desc = http_txn_url(ev->http, &ev->flow->resp_h, url, sizeof(url));
            if (ev->file) {
                n.fuid = ev->file->fuid;
                n.file_mime = ev->file->mime;
            }
        }
        lw_stats.notices++;
        for (int s = 0; s < d->nsinks; s++)
            d->sinks[s].fn(d->sinks[s].ctx, &n);
    }
}

/* Waits are kept oldest first: end those past host_wait. */
static void expire_old(struct detector *d)
{
    while (d->npending) {
        struct pending *p = d->pending[d->phead];
        if (d->now - p->ts <= d->cfg.host_wait)
            break;
        hostctx_forget(d->cfg.hostctx, &p->flow);
        pending_free(p);
        d->pending[d->phead] = NULL;
        d->phead = (d->phead + 1) % DETECT_MAX_PENDING;
        d->npending--;
        lw_stats.detect_pending_expired++;
    }
}

/* Keep the event for a second look if host context may still come. */
static void keep(struct detector *d, struct evidence *ev, struct pending *rec)
{
    if (d->cfg.host_wait <= 0 || !d->cfg.hostctx)
        return;
    expire_old(d);
    if (evidence_proc(ev))
        return;
    if (!d->pending && !(d->pending = calloc(DETECT_MAX_PENDING, sizeof(*d->pending))))
        return;
    struct pending *p = malloc(sizeof(*p));
    if (!p)
        return;
    *p = *rec;
    p->flow = *ev->flow;
    p->flow.stream = NULL;
    p->flow.ndpi = NULL;
    p->flow.cls.quic_sni = p->flow.cls.quic_alpn = NULL;
    p->ts = ev->ts;
    p->http = ev->http ? http_txn_copy(ev->http) : NULL;
    p->tls = ev->tls ? tls_info_copy(ev->tls) : NULL;
    if ((ev->http && !p->http) || (ev->tls && !p->tls)) {
        pending_free(p);
        return;
    }
    if (d->npending == DETECT_MAX_PENDING) {      /* full: the oldest stops waiting */
        struct pending *old = d->pending[d->phead];
        hostctx_forget(d->cfg.hostctx, &old->flow);
        pending_free(old);
        d->phead = (d->phead + 1) % DETECT_MAX_PENDING;
        d->npending--;
        lw_stats.detect_pending_dropped++;
    }
    d->pending[(d->phead + d->npending++) % DETECT_MAX_PENDING] = p;
}

/* One event: match, write, keep for a second look if its process is unknown. */
static void detect_event(struct detector *d, struct evidence *ev)
{
    struct pending rec = {.ndone = 0};
    if (ev->ts > d->now)
        d->now = ev->ts;
    run(d, ev, NULL, &rec);
    keep(d, ev, &rec);
    evidence_done(ev);
}

void detect_http(void *ctx, const struct flow *f, const struct http_txn *t)
{
    struct detector *d = ctx;
    struct evidence ev;
    evidence_init_http(&ev, f, t, d->cfg.site, d->cfg.geo, d->cfg.hostctx);
    detect_event(d, &ev);
}

void detect_tls(void *ctx, const struct flow *f, const struct tls_info *t)
{
    struct detector *d = ctx;
    struct evidence ev;
    evidence_init_tls(&ev, f, t, d->cfg.site, d->cfg.geo, d->cfg.hostctx);
    detect_event(d, &ev);
}

void detector_retry(struct detector *d)
{
    size_t n = d->npending, kept = 0;
    struct pending **ring = d->pending;
    for (size_t i = 0; i < n; i++) {
        struct pending *p = ring[(d->phead + i) % DETECT_MAX_PENDING];
        ring[(d->phead + i) % DETECT_MAX_PENDING] = NULL;
        bool expired = d->now - p->ts > d->cfg.host_wait;
        struct evidence ev;
        if (p->http)
            evidence_init_http(&ev, &p->flow, p->http, d->cfg.site, d->cfg.geo, d->cfg.hostctx);
        else
            evidence_init_tls(&ev, &p->flow, p->tls, d->cfg.site, d->cfg.geo, d->cfg.hostctx);
        bool found = evidence_proc(&ev) != NULL;
        if (found)
            run(d, &ev, p, NULL);
        evidence_done(&ev);
        if (found || expired) {
            hostctx_forget(d->cfg.hostctx, &p->flow);
            pending_free(p);
            if (!found)
                lw_stats.detect_pending_expired++;
        } else {
            ring[(d->phead + kept++) % DETECT_MAX_PENDING] = p;
        }
    }
    d->npending = kept;
}
