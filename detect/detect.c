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

struct detector {
    struct detect_config cfg;
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

void detector_free(struct detector *d)
{
    if (!d)
        return;
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

/* "field=value; field=value" for the fields the rule looked at. */
static void evidence_text(struct evidence *ev, const struct rule *r, char *buf)
{
    size_t len = 0;
    buf[0] = '\0';
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

static void run(struct detector *d, struct evidence *ev)
{
    const struct ruleset *rs = d->cfg.rules;
    const struct rule *found[DETECT_MAX_FINDINGS];
    size_t nfound = 0;
    lw_stats.detect_events++;
    memset(d->allow_state, 0xff, ruleset_count(rs) ? ruleset_count(rs) : 1);
    for (size_t i = 0; i < ruleset_count(rs); i++) {
        const struct rule *r = ruleset_rule(rs, i);
        if (r->allow || r->disabled || !(r->kind & ev->kind) || !rule_matches(r, ev))
            continue;
        lw_stats.detect_matches++;
        if (allowlisted(d, ev, r)) {
            lw_stats.notices_allowlisted++;
            continue;
        }
        size_t k = 0;
        while (k < nfound && strcmp(found[k]->note, r->note) != 0)
            k++;
        if (k < nfound) {
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
            lw_stats.notices_below_min++;
            continue;
        }
        evidence_text(ev, r, sub);
        struct notice n = {
            .ts = ev->ts,
            .flow = ev->flow,
            .rule = r,
            .ev = ev,
            .app_proto = ev->kind == EV_HTTP ? "http" : "tls",
            .sub = sub,
            .remote = evidence_geo(ev, true),
            .proc = evidence_proc(ev),
        };
        if (ev->kind == EV_HTTP) {
            n.trans_depth = ev->http->depth;
            n.file_desc = evidence_url(ev, url, sizeof(url));
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

void detect_http(void *ctx, const struct flow *f, const struct http_txn *t)
{
    struct detector *d = ctx;
    struct evidence ev;
    evidence_init_http(&ev, f, t, d->cfg.site, d->cfg.geo, d->cfg.hostctx);
    run(d, &ev);
    evidence_done(&ev);
}

void detect_tls(void *ctx, const struct flow *f, const struct tls_info *t)
{
    struct detector *d = ctx;
    struct evidence ev;
    evidence_init_tls(&ev, f, t, d->cfg.site, d->cfg.geo, d->cfg.hostctx);
    run(d, &ev);
    evidence_done(&ev);
}
