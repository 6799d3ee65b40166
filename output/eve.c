/* eve.c: Suricata-EVE-style alerts. */
#include "output/eve.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/stats.h"
#include "core/util.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "dissect/tls.h"
#include "output/recfile.h"
#include "output/zeeklog.h"

struct eve {
    struct recfile rf;          /* appended to; full disks: recfile.h */
    bool open;
    char *path;
    bool failed;
    struct zl_buf b;
    pthread_mutex_t lock;       /* workers share the file: one alert at a time */
    zl_tap_fn tap;              /* a copy of every line (Kafka), or NULL */
    void *tap_ctx;
};

void eve_set_tap(struct eve *e, zl_tap_fn tap, void *ctx)
{
    if (!e)
        return;
    e->tap = tap;
    e->tap_ctx = ctx;
}

struct eve *eve_open(const char *path, char *err, size_t errlen)
{
    struct eve *e = calloc(1, sizeof(*e));
    if (!e || !(e->path = strdup(path))) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->open = recfile_open(&e->rf, path, true, NULL, 0);
    if (!e->open) {
        snprintf(err, errlen, "cannot open EVE file '%s': %s", path, strerror(errno));
        free(e->path);
        free(e);
        return NULL;
    }
    pthread_mutex_init(&e->lock, NULL);
    return e;
}

void eve_timestamp(int64_t us, char out[40])
{
    time_t sec = (time_t)(us / 1000000);
    int64_t frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t k = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, 40 - k, ".%06" PRId64 "+0000", frac);
}

static void put(struct zl_buf *b, const char *s)
{
    zl_buf_put(b, s, strlen(s));
}

static void put_key(struct zl_buf *b, bool *first, const char *key)
{
    if (!*first)
        put(b, ",");
    *first = false;
    put(b, "\"");
    put(b, key);
    put(b, "\":");
}

static void put_str(struct zl_buf *b, bool *first, const char *key, const char *v)
{
    if (!v)
        return;
    put_key(b, first, key);
    zl_escape_json(b, v, strlen(v)); /* quotes included */
}

static void put_num(struct zl_buf *b, bool *first, const char *key, int64_t v)
{
    char tmp[32];
    put_key(b, first, key);
    snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    put(b, tmp);
}

/* "key":["a","b"] from a separated list (sep ',' or '\n'); nothing when empty. */
static void put_list(struct zl_buf *b, bool *first, const char *key, const char *list, char sep)
{
    if (!list || !*list)
        return;
    put_key(b, first, key);
    put(b, "[");
    bool one = true;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, sep);
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k) {
            if (!one)
                put(b, ",");
            one = false;
            zl_escape_json(b, p, k);
        }
        p += k + (e != NULL);
    }
    put(b, "]");
}

/* "key":{"hash":"..."} (Suricata's ja3/ja3s objects); nothing when empty. */
static void put_hash(struct zl_buf *b, bool *first, const char *key, const char *hash)
{
    if (!hash[0])
        return;
    put_key(b, first, key);
    bool one = true;
    put(b, "{");
    put_str(b, &one, "hash", hash);
    put(b, "}");
}

static int eve_severity(enum severity s)
{
    switch (s) {
    case SEV_HIGH: return 1;
    case SEV_MEDIUM: return 2;
    case SEV_LOW: return 3;
    default: return 4;
    }
}

/* Suricata's flow_id: a 51-bit integer, the same for every record of a flow. */
static int64_t flow_id(const struct flow *f)
{
    uint64_t h = hash_bytes(f->uid, strlen(f->uid), 0x65766521u) & ((1ull << 51) - 1);
    return (int64_t)(h ? h : 1);
}

void eve_alert(void *ctx, const struct notice *n)
{
    struct eve *e = ctx;
    const struct flow *f = n->flow;
    const struct rule *r = n->rule;
    struct zl_buf *b = &e->b;
    pthread_mutex_lock(&e->lock);
    b->len = 0;
    bool first = true;
    char ts[40], addr[LW_ADDR_STRLEN];
    eve_timestamp(n->ts, ts);
    put(b, "{");
    put_str(b, &first, "timestamp", ts);
    put_num(b, &first, "flow_id", flow_id(f));
    put_str(b, &first, "event_type", "alert");
    addr_format(&f->orig_h, addr);
    put_str(b, &first, "src_ip", addr);
    put_num(b, &first, "src_port", f->orig_p);
    addr_format(&f->resp_h, addr);
    put_str(b, &first, "dest_ip", addr);
    put_num(b, &first, "dest_port", f->resp_p);
    put_str(b, &first, "proto", f->proto == 6 ? "TCP" : f->proto == 17 ? "UDP" : "ICMP");
    put_str(b, &first, "community_id", f->community_id[0] ? f->community_id : NULL);
    put_str(b, &first, "app_proto", n->app_proto);
    if (n->trans_depth)
        put_num(b, &first, "tx_id", (int64_t)n->trans_depth - 1);

    put_key(b, &first, "alert");
    bool a = true;
    put(b, "{");
    put_str(b, &a, "action", "allowed");
    put_num(b, &a, "gid", 1);
    put_num(b, &a, "signature_id", r->sid);
    put_num(b, &a, "rev", r->rev);
    char sig[512];
    snprintf(sig, sizeof(sig), "LOLWIRE %s", r->msg);
    put_str(b, &a, "signature", sig);
    put_str(b, &a, "category", r->severity >= SEV_MEDIUM ? "Potentially Bad Traffic"
                                                         : "Misc activity");
    put_num(b, &a, "severity", eve_severity(r->severity));
    put_list(b, &a, "references", r->refs, '\n');
    put_key(b, &a, "metadata");
    bool m = true;
    put(b, "{");
    put_list(b, &m, "mitre_technique_id", r->techniques, ',');
    put_list(b, &m, "lolwire_rule", r->id, '\n');
    put_list(b, &m, "lolwire_note", r->note, '\n');
    put_list(b, &m, "signature_severity", severity_name(r->severity), '\n');
    put_list(b, &m, "uid", f->uid, '\n');
    put_list(b, &m, "fuid", n->fuid, '\n');
    const struct http_file_ref *fr = n->ev->file;
    if (fr && fr->sum && fr->sum->hashed)
        put_list(b, &m, "file_sha256", fr->sum->sha256, '\n');
    put_list(b, &m, "file_mime_type", n->file_mime, '\n');
    put_list(b, &m, "evidence", n->sub, '\n');
    if (n->remote && n->remote->found && n->remote->country_code[0])
        put_list(b, &m, "dest_country", n->remote->country_code, '\n');
    if (n->remote && n->remote->asn) {
        char as[16];
        snprintf(as, sizeof(as), "%u", n->remote->asn);
        put_list(b, &m, "dest_asn", as, '\n');
    }
    put(b, "}}");

    const struct http_txn *t = n->ev->http;
    const struct tls_info *tl = n->ev->tls;
    if (t) {
        put_key(b, &first, "http");
        bool h = true;
        put(b, "{");
        put_str(b, &h, "hostname", t->host);
        put_str(b, &h, "url", t->uri);
        put_str(b, &h, "http_user_agent", t->user_agent);
        put_str(b, &h, "http_content_type", t->resp_content_type);
        put_str(b, &h, "http_refer", t->referrer);
        put_str(b, &h, "http_method", t->method);
        put_str(b, &h, "protocol", t->version);
        if (t->has_status)
            put_num(b, &h, "status", t->status_code);
        if (t->resp_seen)
            put_num(b, &h, "length", (int64_t)t->resp_body_len);
        put(b, "}");
    } else if (tl) {
        put_key(b, &first, "tls");
        bool h = true;
        put(b, "{");
        put_str(b, &h, "sni", tl->server_name);
        put_str(b, &h, "subject", tl->subject);
        put_str(b, &h, "issuerdn", tl->issuer);
        if (tl->version) {
            char v[32];
            const char *name = tls_version_name(tl->version, v, sizeof(v));
            /* Suricata writes "TLS 1.2"; Zeek's names are "TLSv12". */
            char sv[32];
            if (strncmp(name, "TLSv1", 5) == 0 && name[5])
                snprintf(sv, sizeof(sv), "TLS 1.%s", name + 5);
            else
                snprintf(sv, sizeof(sv), "%s", name);
            put_str(b, &h, "version", sv);
        }
        put_hash(b, &h, "ja3", tl->ja3);
        put_hash(b, &h, "ja3s", tl->ja3s);
        put_str(b, &h, "ja4", tl->ja4[0] ? tl->ja4 : NULL);
        put_list(b, &h, "client_alpns", tl->alpn_offered, ',');
        put(b, "}");
    }
    put(b, "}\n");
    if (e->open)
        recfile_put(&e->rf, b->p, b->len);
    else
        lw_stats.log_lines_lost++; /* the reopen failed (said on stderr) */
    if (e->tap)
        e->tap(e->tap_ctx, "eve", b->p, b->len - 1);
    pthread_mutex_unlock(&e->lock);
}

bool eve_flush(struct eve *e)
{
    if (!e)
        return true;
    pthread_mutex_lock(&e->lock);
    bool ok = !e->open || recfile_flush(&e->rf);
    pthread_mutex_unlock(&e->lock);
    return ok;
}

bool eve_reopen(struct eve *e)
{
    if (!e)
        return true;
    pthread_mutex_lock(&e->lock);
    if (e->open && !recfile_close(&e->rf, NULL))
        e->failed = true;
    e->open = recfile_open(&e->rf, e->path, true, NULL, 0);
    if (!e->open && !e->failed) {
        e->failed = true;
        fprintf(stderr, "lolwire: reopening %s: %s\n", e->path, strerror(errno));
    }
    pthread_mutex_unlock(&e->lock);
    return e->open;
}

bool eve_close(struct eve *e)
{
    if (!e)
        return true;
    bool ok = !e->failed && (!e->open || recfile_close(&e->rf, NULL));
    free(e->b.p);
    free(e->path);
    pthread_mutex_destroy(&e->lock);
    free(e);
    return ok;
}
