/* logs.c: conn.log and weird.log, in Zeek's field order (shared/FORMATS.md §1.3). */
#include "output/logs.h"

#include <stdio.h>
#include <string.h>

#include "dissect/conn.h"

static const struct zl_field conn_fields[] = {
    {"ts", ZL_TIME},           {"uid", ZL_STRING},         {"id.orig_h", ZL_ADDR},
    {"id.orig_p", ZL_PORT},    {"id.resp_h", ZL_ADDR},     {"id.resp_p", ZL_PORT},
    {"proto", ZL_ENUM},        {"service", ZL_STRING},     {"duration", ZL_INTERVAL},
    {"orig_bytes", ZL_COUNT},  {"resp_bytes", ZL_COUNT},   {"conn_state", ZL_STRING},
    {"local_orig", ZL_BOOL},   {"local_resp", ZL_BOOL},    {"missed_bytes", ZL_COUNT},
    {"history", ZL_STRING},    {"orig_pkts", ZL_COUNT},    {"orig_ip_bytes", ZL_COUNT},
    {"resp_pkts", ZL_COUNT},   {"resp_ip_bytes", ZL_COUNT}, {"tunnel_parents", ZL_SET_STRING},
    {"ip_proto", ZL_COUNT},    {"community_id", ZL_STRING},  {"app", ZL_STRING},
    {"app_risks", ZL_SET_STRING}, {"orig_cc", ZL_STRING},     {"orig_asn", ZL_COUNT},
    {"resp_cc", ZL_STRING},    {"resp_asn", ZL_COUNT},
    {"proc.host", ZL_STRING},  {"proc.image", ZL_STRING},  {"proc.pid", ZL_COUNT},
    {"proc.guid", ZL_STRING},  {"proc.cmdline", ZL_STRING}, {"proc.parent", ZL_STRING},
    {"proc.user", ZL_STRING},  {"proc.match", ZL_STRING},  {"proc.file", ZL_STRING},
};
static const struct zl_schema conn_schema = {"conn", conn_fields, ARRAY_LEN(conn_fields)};

static const struct zl_field weird_fields[] = {
    {"ts", ZL_TIME},        {"uid", ZL_STRING},   {"id.orig_h", ZL_ADDR}, {"id.orig_p", ZL_PORT},
    {"id.resp_h", ZL_ADDR}, {"id.resp_p", ZL_PORT}, {"name", ZL_STRING},  {"addl", ZL_STRING},
    {"notice", ZL_BOOL},    {"peer", ZL_STRING},  {"source", ZL_STRING},
};
static const struct zl_schema weird_schema = {"weird", weird_fields, ARRAY_LEN(weird_fields)};

static const struct zl_field http_fields[] = {
    {"ts", ZL_TIME},           {"uid", ZL_STRING},          {"id.orig_h", ZL_ADDR},
    {"id.orig_p", ZL_PORT},    {"id.resp_h", ZL_ADDR},      {"id.resp_p", ZL_PORT},
    {"trans_depth", ZL_COUNT}, {"method", ZL_STRING},       {"host", ZL_STRING},
    {"uri", ZL_STRING},        {"referrer", ZL_STRING},     {"version", ZL_STRING},
    {"user_agent", ZL_STRING}, {"origin", ZL_STRING},       {"request_body_len", ZL_COUNT},
    {"response_body_len", ZL_COUNT}, {"status_code", ZL_COUNT}, {"status_msg", ZL_STRING},
    {"info_code", ZL_COUNT},   {"info_msg", ZL_STRING},     {"tags", ZL_SET_STRING},
    {"username", ZL_STRING},   {"password", ZL_STRING},     {"proxied", ZL_SET_STRING},
    {"orig_fuids", ZL_VECTOR_STRING}, {"orig_filenames", ZL_VECTOR_STRING},
    {"orig_mime_types", ZL_VECTOR_STRING}, {"resp_fuids", ZL_VECTOR_STRING},
    {"resp_filenames", ZL_VECTOR_STRING}, {"resp_mime_types", ZL_VECTOR_STRING},
    {"community_id", ZL_STRING},
    {"proc.host", ZL_STRING},  {"proc.image", ZL_STRING},  {"proc.pid", ZL_COUNT},
    {"proc.guid", ZL_STRING},  {"proc.cmdline", ZL_STRING}, {"proc.parent", ZL_STRING},
    {"proc.user", ZL_STRING},  {"proc.match", ZL_STRING},  {"proc.file", ZL_STRING},
};
static const struct zl_schema http_schema = {"http", http_fields, ARRAY_LEN(http_fields)};

static const struct zl_field files_fields[] = {
    {"ts", ZL_TIME},          {"fuid", ZL_STRING},        {"uid", ZL_STRING},
    {"id.orig_h", ZL_ADDR},   {"id.orig_p", ZL_PORT},     {"id.resp_h", ZL_ADDR},
    {"id.resp_p", ZL_PORT},   {"source", ZL_STRING},      {"depth", ZL_COUNT},
    {"analyzers", ZL_SET_STRING}, {"mime_type", ZL_STRING}, {"filename", ZL_STRING},
    {"duration", ZL_INTERVAL}, {"local_orig", ZL_BOOL},   {"is_orig", ZL_BOOL},
    {"seen_bytes", ZL_COUNT}, {"total_bytes", ZL_COUNT},  {"missing_bytes", ZL_COUNT},
    {"overflow_bytes", ZL_COUNT}, {"timedout", ZL_BOOL},  {"parent_fuid", ZL_STRING},
    {"md5", ZL_STRING},       {"sha1", ZL_STRING},        {"sha256", ZL_STRING},
    {"extracted", ZL_STRING}, {"extracted_cutoff", ZL_BOOL}, {"extracted_size", ZL_COUNT},
    {"community_id", ZL_STRING}, {"entropy", ZL_DOUBLE},
};
static const struct zl_schema files_schema = {"files", files_fields, ARRAY_LEN(files_fields)};

static const struct zl_field ssl_fields[] = {
    {"ts", ZL_TIME},            {"uid", ZL_STRING},         {"id.orig_h", ZL_ADDR},
    {"id.orig_p", ZL_PORT},     {"id.resp_h", ZL_ADDR},     {"id.resp_p", ZL_PORT},
    {"version", ZL_STRING},     {"cipher", ZL_STRING},      {"curve", ZL_STRING},
    {"server_name", ZL_STRING}, {"resumed", ZL_BOOL},       {"last_alert", ZL_STRING},
    {"next_protocol", ZL_STRING}, {"established", ZL_BOOL}, {"ssl_history", ZL_STRING},
    {"cert_chain_fps", ZL_VECTOR_STRING}, {"client_cert_chain_fps", ZL_VECTOR_STRING},
    {"sni_matches_cert", ZL_BOOL}, {"subject", ZL_STRING},  {"issuer", ZL_STRING},
    {"ja3", ZL_STRING},         {"ja3s", ZL_STRING},        {"ja4", ZL_STRING},
    {"community_id", ZL_STRING},
    {"proc.host", ZL_STRING},  {"proc.image", ZL_STRING},  {"proc.pid", ZL_COUNT},
    {"proc.guid", ZL_STRING},  {"proc.cmdline", ZL_STRING}, {"proc.parent", ZL_STRING},
    {"proc.user", ZL_STRING},  {"proc.match", ZL_STRING},  {"proc.file", ZL_STRING},
};
static const struct zl_schema ssl_schema = {"ssl", ssl_fields, ARRAY_LEN(ssl_fields)};

static const struct zl_field quic_fields[] = {
    {"ts", ZL_TIME},            {"uid", ZL_STRING},       {"id.orig_h", ZL_ADDR},
    {"id.orig_p", ZL_PORT},     {"id.resp_h", ZL_ADDR},   {"id.resp_p", ZL_PORT},
    {"version", ZL_STRING},     {"server_name", ZL_STRING}, {"client_protocol", ZL_STRING},
    {"community_id", ZL_STRING},
};
static const struct zl_schema quic_schema = {"quic", quic_fields, ARRAY_LEN(quic_fields)};

/* Zeek's notice.log (policy/frameworks/notice + community-id), then lolwire's rule
 * fields and the server's AS. */
static const struct zl_field notice_fields[] = {
    {"ts", ZL_TIME},            {"uid", ZL_STRING},         {"id.orig_h", ZL_ADDR},
    {"id.orig_p", ZL_PORT},     {"id.resp_h", ZL_ADDR},     {"id.resp_p", ZL_PORT},
    {"fuid", ZL_STRING},        {"file_mime_type", ZL_STRING}, {"file_desc", ZL_STRING},
    {"proto", ZL_ENUM},         {"note", ZL_ENUM},          {"msg", ZL_STRING},
    {"sub", ZL_STRING},         {"src", ZL_ADDR},           {"dst", ZL_ADDR},
    {"p", ZL_PORT},             {"n", ZL_COUNT},            {"peer_descr", ZL_STRING},
    {"actions", ZL_SET_STRING}, {"email_dest", ZL_SET_STRING}, {"suppress_for", ZL_INTERVAL},
    {"remote_location.country_code", ZL_STRING}, {"remote_location.region", ZL_STRING},
    {"remote_location.city", ZL_STRING}, {"remote_location.latitude", ZL_DOUBLE},
    {"remote_location.longitude", ZL_DOUBLE}, {"community_id", ZL_STRING},
    {"rule", ZL_STRING},        {"sid", ZL_COUNT},          {"severity", ZL_STRING},
    {"technique", ZL_SET_STRING}, {"trans_depth", ZL_COUNT}, {"remote_asn", ZL_COUNT},
    {"remote_as_org", ZL_STRING},
    {"proc.host", ZL_STRING},  {"proc.image", ZL_STRING},  {"proc.pid", ZL_COUNT},
    {"proc.guid", ZL_STRING},  {"proc.cmdline", ZL_STRING}, {"proc.parent", ZL_STRING},
    {"proc.user", ZL_STRING},  {"proc.match", ZL_STRING},  {"proc.file", ZL_STRING},
};
static const struct zl_schema notice_schema = {"notice", notice_fields,
                                               ARRAY_LEN(notice_fields)};

/* host_events.log: every host event read, normalised (docs/host-events.md). */
static const struct zl_field hostev_fields[] = {
    {"ts", ZL_TIME},             {"host", ZL_STRING},        {"event_id", ZL_COUNT},
    {"kind", ZL_STRING},         {"format", ZL_STRING},      {"image", ZL_STRING},
    {"pid", ZL_COUNT},           {"guid", ZL_STRING},        {"command_line", ZL_STRING},
    {"user", ZL_STRING},         {"parent_image", ZL_STRING}, {"parent_guid", ZL_STRING},
    {"proto", ZL_ENUM},          {"src_h", ZL_ADDR},         {"src_p", ZL_PORT},
    {"dst_h", ZL_ADDR},          {"dst_p", ZL_PORT},         {"query", ZL_STRING},
    {"answers", ZL_SET_STRING},  {"target", ZL_STRING},      {"sha256", ZL_STRING},
    {"host_url", ZL_STRING},     {"url", ZL_STRING},
};
static const struct zl_schema hostev_schema = {"host_events", hostev_fields,
                                               ARRAY_LEN(hostev_fields)};

/* stats.log: Zeek's (policy/misc/stats) idea, counts over the interval, with lolwire's
 * stage drops: every place a packet, byte or event can be given up has a column. */
static const struct zl_field stats_fields[] = {
    {"ts", ZL_TIME},              {"peer", ZL_STRING},          {"mem", ZL_COUNT},
    {"pkts_proc", ZL_COUNT},      {"bytes_recv", ZL_COUNT},     {"pkts_dropped", ZL_COUNT},
    {"pkts_link", ZL_COUNT},      {"pkt_lag", ZL_INTERVAL},     {"active_conns", ZL_COUNT},
    {"conns", ZL_COUNT},          {"files", ZL_COUNT},          {"notices", ZL_COUNT},
    {"weirds", ZL_COUNT},         {"evicted_conns", ZL_COUNT},  {"frag_dropped", ZL_COUNT},
    {"reassem_dropped", ZL_COUNT}, {"http_limits", ZL_COUNT},   {"tls_limits", ZL_COUNT},
    {"pending_dropped", ZL_COUNT}, {"hostev_dropped", ZL_COUNT}, {"export_dropped", ZL_COUNT},
};
static const struct zl_schema stats_schema = {"stats", stats_fields, ARRAY_LEN(stats_fields)};

/* capture_loss.log: Zeek's (policy/misc/capture-loss): ACKs that acknowledged data the
 * sensor never saw, against all ACKs. */
static const struct zl_field capture_loss_fields[] = {
    {"ts", ZL_TIME},    {"ts_delta", ZL_INTERVAL}, {"peer", ZL_STRING},
    {"gaps", ZL_COUNT}, {"acks", ZL_COUNT},        {"percent_lost", ZL_DOUBLE},
};
static const struct zl_schema capture_loss_schema = {"capture_loss", capture_loss_fields,
                                                     ARRAY_LEN(capture_loss_fields)};

bool logs_open(struct logs *lg, const struct zlog_options *opt, const struct site *site,
               const struct geo *geo)
{
    const struct zlog_options *o = opt;
    memset(lg, 0, sizeof(*lg));
    lg->site = site;
    lg->geo = geo;
    const struct zl_schema *schemas[LOGS_N] = {
        &conn_schema, &weird_schema, &http_schema, &files_schema, &ssl_schema,
        &quic_schema, &notice_schema, &hostev_schema, &stats_schema, &capture_loss_schema,
    };
    bool ok = true;
    for (int i = 0; i < LOGS_N; i++)
        ok &= (lg->all[i] = zlog_new(o, schemas[i])) != NULL;
    return ok;
}

void logs_stats(struct logs *lg, const struct stats_record *s)
{
    struct zlog *l = lg->stats;
    zl_begin(l);
    zl_time(l, s->ts);
    zl_cstr(l, s->peer);
    zl_count(l, s->mem_mb);
    zl_count(l, s->pkts_proc);
    zl_count(l, s->bytes_recv);
    if (s->live) {
        zl_count(l, s->pkts_dropped);
        zl_count(l, s->pkts_link);
        zl_interval(l, s->pkt_lag_us);
    } else {
        zl_unset(l); /* no kernel, no lag: a replay */
        zl_unset(l);
        zl_unset(l);
    }
    zl_count(l, s->active_conns);
    zl_count(l, s->conns);
    zl_count(l, s->files);
    zl_count(l, s->notices);
    zl_count(l, s->weirds);
    zl_count(l, s->evicted_conns);
    zl_count(l, s->frag_dropped);
    zl_count(l, s->reassem_dropped);
    zl_count(l, s->http_limits);
    zl_count(l, s->tls_limits);
    zl_count(l, s->pending_dropped);
    zl_count(l, s->hostev_dropped);
    zl_count(l, s->export_dropped);
    zl_end(l);

    l = lg->capture_loss;
    zl_begin(l);
    zl_time(l, s->ts);
    zl_interval(l, s->interval_us);
    zl_cstr(l, s->peer);
    zl_count(l, s->gaps);
    zl_count(l, s->acks);
    zl_double(l, s->acks ? 100.0 * (double)s->gaps / (double)s->acks : 0.0);
    zl_end(l);
}

static const char *proto_name(uint8_t proto)
{
    switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1:
    case 58: return "icmp";
    default: return "unknown_transport";
    }
}

/* local_orig / local_resp: known only when the site's networks are configured. */
static void put_locality(struct zlog *l, const struct site *site, const struct lw_addr *a)
{
    if (site_known(site))
        zl_bool(l, site_is_local(site, a));
    else
        zl_unset(l);
}

/* The proc.* columns: the process behind the connection (host events), or unset. */
static void put_proc(struct zlog *l, const struct attribution *a)
{
    if (!a) {
        for (int i = 0; i < 9; i++)
            zl_unset(l);
        return;
    }
    zl_cstr(l, a->host);
    zl_cstr(l, a->image);
    if (a->pid)
        zl_count(l, a->pid);
    else
        zl_unset(l);
    zl_cstr(l, a->guid);
    zl_cstr(l, a->command_line);
    zl_cstr(l, a->parent_image);
    zl_cstr(l, a->user);
    zl_cstr(l, a->match);
    zl_cstr(l, a->file);
}

void logs_conn(struct logs *lg, const struct flow *f)
{
    struct zlog *l = lg->conn;
    bool ports = f->proto == 6 || f->proto == 17 || f->proto == 1 || f->proto == 58 ||
                 f->proto == 132;
    zl_begin(l);
    zl_time(l, f->first_ts);
    zl_cstr(l, f->uid);
    zl_addr(l, &f->orig_h);
    zl_port(l, ports ? f->orig_p : 0);
    zl_addr(l, &f->resp_h);
    zl_port(l, ports ? f->resp_p : 0);
    zl_cstr(l, proto_name(f->proto));
    char svc[64];
    zl_cstr(l, f->nservices ? flow_services(f, svc, sizeof(svc)) : NULL);
    /* Zeek logs duration and sizes only when the duration is positive. */
    if (f->last_ts <= f->first_ts) {
        zl_unset(l);
        zl_unset(l);
        zl_unset(l);
    } else {
        zl_interval(l, f->last_ts - f->first_ts);
        zl_count(l, conn_orig_bytes(f));
        zl_count(l, conn_resp_bytes(f));
    }
    zl_cstr(l, conn_state(f));
    put_locality(l, lg->site, &f->orig_h);
    put_locality(l, lg->site, &f->resp_h);
    zl_count(l, f->ep[0].missed_bytes + f->ep[1].missed_bytes);
    if (f->hist_len)
        zl_str(l, f->history, f->hist_len);
    else
        zl_unset(l);
    zl_count(l, f->ep[0].pkts);
    zl_count(l, f->ep[0].ip_bytes);
    zl_count(l, f->ep[1].pkts);
    zl_count(l, f->ep[1].ip_bytes);
    if (f->tun && f->tun->nparents) {
        zl_set_begin(l);
        for (unsigned i = 0; i < f->tun->nparents; i++)
            zl_set_item(l, f->tun->parents[i], strlen(f->tun->parents[i]));
        zl_set_end(l);
    } else {
        zl_unset(l);
    }
    zl_count(l, f->proto);
    zl_cstr(l, f->community_id);
    char app[64];
    zl_cstr(l, classify_name(f, app, sizeof(app)));
    if (f->cls.risk) {
        zl_set_begin(l);
        for (unsigned bit = 0; bit < 64; bit++) {
            const char *name = (f->cls.risk >> bit) & 1 ? classify_risk_name(bit) : NULL;
            if (name)
                zl_set_item(l, name, strlen(name));
        }
        zl_set_end(l);
    } else {
        zl_unset(l);
    }
    /* Country and AS of each end, when a GeoIP database is loaded. */
    for (int side = 0; side < 2; side++) {
        struct geo_info g;
        if (geo_count(lg->geo) && geo_lookup(lg->geo, side ? &f->resp_h : &f->orig_h, &g)) {
            zl_cstr(l, g.country_code[0] ? g.country_code : NULL);
            if (g.asn)
                zl_count(l, g.asn);
            else
                zl_unset(l);
        } else {
            zl_unset(l);
            zl_unset(l);
        }
    }
    put_proc(l, hostctx_attribute(lg->hctx, f, NULL, NULL));
    hostctx_forget(lg->hctx, f);
    zl_end(l);
}

static void put_id(struct zlog *l, const struct flow *f)
{
    zl_cstr(l, f->uid);
    zl_addr(l, &f->orig_h);
    zl_port(l, f->orig_p);
    zl_addr(l, &f->resp_h);
    zl_port(l, f->resp_p);
}

/* A vector with one element, or empty. */
static void put_one(struct zlog *l, const char *v)
{
    zl_set_begin(l);
    if (v && *v)
        zl_set_item(l, v, strlen(v));
    zl_set_end(l);
}

/* A vector of the non-NULL strings among `v[0..n)`; unset when there are none. */
static void put_strings(struct zlog *l, const char *const *v, int n)
{
    int present = 0;
    for (int i = 0; i < n; i++)
        present += v[i] != NULL;
    if (!present) {
        zl_unset(l);
        return;
    }
    zl_set_begin(l);
    for (int i = 0; i < n; i++)
        if (v[i])
            zl_set_item(l, v[i], strlen(v[i]));
    zl_set_end(l);
}

void logs_http(void *ctx, const struct flow *f, const struct http_txn *t)
{
    struct logs *lg = ctx;
    struct zlog *l = lg->http;
    zl_begin(l);
    zl_time(l, t->ts);
    put_id(l, f);
    zl_count(l, t->depth);
    zl_cstr(l, t->method);
    zl_cstr(l, t->host);
    zl_cstr(l, t->uri);
    zl_cstr(l, t->referrer);
    zl_cstr(l, t->version);
    zl_cstr(l, t->user_agent);
    zl_cstr(l, t->origin);
    zl_count(l, t->req_body_len);
    zl_count(l, t->resp_body_len);
    if (t->has_status)
        zl_count(l, t->status_code);
    else
        zl_unset(l);
    zl_cstr(l, t->has_status ? t->status_msg : NULL);
    if (t->info_code)
        zl_count(l, t->info_code);
    else
        zl_unset(l);
    zl_cstr(l, t->info_code ? t->info_msg : NULL);
    zl_set_begin(l); /* tags: Zeek's HTTP tags are not used yet */
    zl_set_end(l);
    zl_cstr(l, t->username);
    zl_unset(l); /* password: never logged */
    if (t->proxied)
        put_one(l, t->proxied);
    else
        zl_unset(l);
    for (int dir = 0; dir < 2; dir++) {
        /* fuids of every file; filenames and types of those that have one (Zeek's
         * vectors). */
        const struct http_file_ref *fr = t->files[dir];
        const char *fuids[HTTP_MAX_FILES], *names[HTTP_MAX_FILES], *mimes[HTTP_MAX_FILES];
        int n = t->nfiles[dir];
        for (int i = 0; i < n; i++) {
            fuids[i] = fr[i].fuid;
            names[i] = fr[i].filename;
            mimes[i] = fr[i].mime;
        }
        put_strings(l, fuids, n);
        put_strings(l, names, n);
        put_strings(l, mimes, n);
    }
    zl_cstr(l, f->community_id);
    put_proc(l, hostctx_attribute(lg->hctx, f, t, NULL));
    zl_end(l);
}

void logs_file(void *ctx, const struct flow *f, const struct file_info *fi)
{
    struct logs *lg = ctx;
    struct zlog *l = lg->files;
    zl_begin(l);
    zl_time(l, fi->ts);
    zl_cstr(l, fi->fuid);
    put_id(l, f);
    zl_cstr(l, fi->source);
    zl_count(l, fi->depth);
    zl_set_begin(l);
    if (fi->hashed) {
        if (fi->md5[0])
            zl_set_item(l, "MD5", 3);
        if (fi->sha1[0])
            zl_set_item(l, "SHA1", 4);
        if (fi->sha256[0])
            zl_set_item(l, "SHA256", 6);
    }
    zl_set_end(l);
    zl_cstr(l, fi->mime_type);
    zl_cstr(l, fi->filename);
    zl_interval(l, fi->last_ts - fi->ts);
    put_locality(l, lg->site, &f->orig_h);
    zl_bool(l, fi->is_orig);
    zl_count(l, fi->seen_bytes);
    if (fi->total_bytes != UINT64_MAX)
        zl_count(l, fi->total_bytes);
    else
        zl_unset(l);
    zl_count(l, fi->missing_bytes);
    zl_count(l, fi->overflow_bytes);
    zl_bool(l, fi->timedout);
    zl_unset(l); /* parent_fuid */
    zl_cstr(l, fi->hashed && fi->md5[0] ? fi->md5 : NULL);
    zl_cstr(l, fi->hashed && fi->sha1[0] ? fi->sha1 : NULL);
    zl_cstr(l, fi->hashed && fi->sha256[0] ? fi->sha256 : NULL);
    if (fi->extracted) { /* --extract */
        zl_cstr(l, fi->extracted);
        zl_bool(l, fi->extracted_cutoff);
        zl_count(l, fi->extracted_size);
    } else {
        zl_unset(l);
        zl_unset(l);
        zl_unset(l);
    }
    zl_cstr(l, f->community_id);
    if (fi->entropy >= 0)
        zl_double(l, fi->entropy);
    else
        zl_unset(l);
    zl_end(l);
}

/* A vector of fingerprints; Zeek leaves both unset when no certificate was seen, and
 * writes (empty) for the side without one otherwise. */
static void put_fps(struct zlog *l, const char (*fps)[65], unsigned n, bool any)
{
    if (!any) {
        zl_unset(l);
        return;
    }
    zl_set_begin(l);
    for (unsigned i = 0; i < n; i++)
        zl_set_item(l, fps[i], strlen(fps[i]));
    zl_set_end(l);
}

void logs_ssl(void *ctx, const struct flow *f, const struct tls_info *t)
{
    struct logs *lg = ctx;
    struct zlog *l = lg->ssl;
    char buf[32];
    zl_begin(l);
    zl_time(l, t->ts);
    put_id(l, f);
    zl_cstr(l, t->version ? tls_version_name(t->version, buf, sizeof(buf)) : NULL);
    zl_cstr(l, t->has_cipher ? tls_cipher_name(t->cipher, buf, sizeof(buf)) : NULL);
    zl_cstr(l, t->has_curve ? tls_group_name(t->curve, buf, sizeof(buf)) : NULL);
    zl_cstr(l, t->server_name);
    zl_bool(l, t->resumed);
    zl_cstr(l, t->last_alert >= 0 ? tls_alert_name(t->last_alert, buf, sizeof(buf)) : NULL);
    zl_cstr(l, t->next_protocol);
    zl_bool(l, t->established);
    zl_str(l, t->history, t->hist_len);
    bool certs = t->ncerts || t->nclient_certs;
    put_fps(l, t->cert_fps, t->ncerts, certs);
    put_fps(l, t->client_cert_fps, t->nclient_certs, certs);
    if (t->sni_matches_cert >= 0)
        zl_bool(l, t->sni_matches_cert == 1);
    else
        zl_unset(l);
    zl_cstr(l, t->subject);
    zl_cstr(l, t->issuer);
    zl_cstr(l, t->ja3[0] ? t->ja3 : NULL);
    zl_cstr(l, t->ja3s[0] ? t->ja3s : NULL);
    zl_cstr(l, t->ja4[0] ? t->ja4 : NULL);
    zl_cstr(l, f->community_id);
    put_proc(l, hostctx_attribute(lg->hctx, f, NULL, t));
    zl_end(l);
}

/* QUIC version names as Zeek's quic.log writes them. */
static const char *quic_version_name(uint32_t v, char *buf, size_t n)
{
    switch (v) {
    case 0x00000001: return "1";
    case 0x6b3343cf: return "quicv2";
    case 0x51303433: return "Q043";
    case 0x51303436: return "Q046";
    case 0x51303530: return "Q050";
    case 0x54303530: return "T050";
    case 0x54303531: return "T051";
    }
    if ((v >> 8) == 0xff0000)
        snprintf(buf, n, "draft-%u", v & 0xff);
    else
        snprintf(buf, n, "unknown-%x", v);
    return buf;
}

void logs_quic(void *ctx, const struct flow *f)
{
    struct logs *lg = ctx;
    struct zlog *l = lg->quic;
    char buf[32];
    zl_begin(l);
    zl_time(l, f->first_ts);
    put_id(l, f);
    zl_cstr(l, f->cls.quic_version ? quic_version_name(f->cls.quic_version, buf, sizeof(buf))
                                   : NULL);
    zl_cstr(l, f->cls.quic_sni);
    zl_cstr(l, f->cls.quic_alpn);
    zl_cstr(l, f->community_id);
    zl_end(l);
}

void logs_weird(void *ctx, const struct weird_event *ev)
{
    struct logs *lg = ctx;
    struct zlog *l = lg->weird;
    const struct flow *f = ev->flow;
    zl_begin(l);
    zl_time(l, ev->ts);
    if (f) {
        zl_cstr(l, f->uid);
        zl_addr(l, &f->orig_h);
        zl_port(l, f->orig_p);
        zl_addr(l, &f->resp_h);
        zl_port(l, f->resp_p);
    } else {
        for (int i = 0; i < 5; i++)
            zl_unset(l);
    }
    zl_cstr(l, ev->name);
    zl_cstr(l, ev->addl);
    zl_bool(l, false);
    zl_cstr(l, "lolwire");
    zl_cstr(l, ev->source);
    zl_end(l);
}

bool logs_rotate(struct logs *lg, const char *suffix)
{
    bool ok = true;
    for (int i = 0; i < LOGS_N; i++)
        if (lg->all[i] && !zlog_rotate(lg->all[i], suffix))
            ok = false;
    return ok;
}

bool logs_flush(struct logs *lg)
{
    bool ok = true;
    for (int i = 0; i < LOGS_N; i++)
        if (lg->all[i] && !zlog_flush(lg->all[i]))
            ok = false;
    return ok;
}

bool logs_close(struct logs *lg)
{
    bool ok = true;
    for (int i = 0; i < LOGS_N; i++) {
        if (!lg->all[i])
            continue;
        const char *e = zlog_error(lg->all[i]);
        if (e) {
            fprintf(stderr, "lolwire: %s\n", e);
            ok = false;
        }
        if (!zlog_close(lg->all[i]))
            ok = false;
    }
    memset(lg, 0, sizeof(*lg));
    return ok;
}

void logs_notice(void *ctx, const struct notice *n)
{
    struct logs *lg = ctx;
    struct zlog *l = lg->notice;
    const struct flow *f = n->flow;
    const struct rule *r = n->rule;
    zl_begin(l);
    zl_time(l, n->ts);
    put_id(l, f);
    zl_cstr(l, n->fuid);
    zl_cstr(l, n->file_mime);
    zl_cstr(l, n->file_desc);
    zl_cstr(l, proto_name(f->proto));
    zl_cstr(l, r->note);
    zl_cstr(l, r->msg);
    zl_cstr(l, n->sub);
    zl_addr(l, &f->orig_h);
    zl_addr(l, &f->resp_h);
    zl_port(l, f->resp_p);
    zl_unset(l);                              /* n */
    zl_unset(l);                              /* peer_descr */
    const struct geo_info *g = n->remote;
    zl_set_begin(l);
    zl_set_item(l, "Notice::ACTION_LOG", 18);
    if (g && g->found)
        zl_set_item(l, "Notice::ACTION_ADD_GEODATA", 26);
    zl_set_end(l);
    zl_set_begin(l);                          /* email_dest: empty */
    zl_set_end(l);
    zl_unset(l);                              /* suppress_for: lolwire does not suppress */
    bool geo = g && g->found;
    zl_cstr(l, geo && g->country_code[0] ? g->country_code : NULL);
    zl_cstr(l, geo && g->region[0] ? g->region : NULL);
    zl_cstr(l, geo && g->city[0] ? g->city : NULL);
    if (geo && g->has_location) {
        zl_double(l, g->latitude);
        zl_double(l, g->longitude);
    } else {
        zl_unset(l);
        zl_unset(l);
    }
    zl_cstr(l, f->community_id);
    zl_cstr(l, r->id);
    zl_count(l, r->sid);
    zl_cstr(l, severity_name(r->severity));
    zl_set_begin(l);
    for (const char *t = r->techniques; *t;) {
        size_t k = strcspn(t, ",");
        zl_set_item(l, t, k);
        t += k + (t[k] == ',');
    }
    zl_set_end(l);
    if (n->trans_depth)
        zl_count(l, n->trans_depth);
    else
        zl_unset(l);
    if (geo && g->asn)
        zl_count(l, g->asn);
    else
        zl_unset(l);
    zl_cstr(l, geo && g->as_org[0] ? g->as_org : NULL);
    put_proc(l, n->proc);
    zl_end(l);
}

void logs_hostev(void *ctx, const struct hostev *e)
{
    struct logs *lg = ctx;
    struct zlog *l = lg->hostev;
    zl_begin(l);
    if (e->ts)
        zl_time(l, e->ts);
    else
        zl_unset(l);
    zl_cstr(l, e->computer);
    zl_count(l, e->event_id);
    zl_cstr(l, hostev_kind_name(e->kind));
    zl_cstr(l, hostev_format_name(e->format));
    zl_cstr(l, e->image);
    if (e->pid)
        zl_count(l, e->pid);
    else
        zl_unset(l);
    zl_cstr(l, e->guid[0] ? e->guid : NULL);
    zl_cstr(l, e->command_line);
    zl_cstr(l, e->user);
    zl_cstr(l, e->parent_image);
    zl_cstr(l, e->parent_guid[0] ? e->parent_guid : NULL);
    if (e->has_tuple) {
        zl_cstr(l, proto_name(e->proto));
        zl_addr(l, &e->src);
        zl_port(l, e->sport);
        zl_addr(l, &e->dst);
        zl_port(l, e->dport);
    } else {
        for (int i = 0; i < 5; i++)
            zl_unset(l);
    }
    zl_cstr(l, e->query);
    if (e->nanswers) {
        zl_set_begin(l);
        for (unsigned i = 0; i < e->nanswers; i++) {
            char a[LW_ADDR_STRLEN];
            zl_set_item(l, a, addr_format(&e->answers[i], a));
        }
        zl_set_end(l);
    } else {
        zl_unset(l);
    }
    zl_cstr(l, e->target);
    zl_cstr(l, e->sha256[0] ? e->sha256 : NULL);
    zl_cstr(l, e->host_url);
    zl_cstr(l, e->url);
    zl_end(l);
}
