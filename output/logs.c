/* logs.c: conn.log and weird.log, in Zeek's field order (shared/FORMATS.md §1.3). */
#include "output/logs.h"

#include <stdio.h>
#include <string.h>

static const struct zl_field conn_fields[] = {
    {"ts", ZL_TIME},           {"uid", ZL_STRING},         {"id.orig_h", ZL_ADDR},
    {"id.orig_p", ZL_PORT},    {"id.resp_h", ZL_ADDR},     {"id.resp_p", ZL_PORT},
    {"proto", ZL_ENUM},        {"service", ZL_STRING},     {"duration", ZL_INTERVAL},
    {"orig_bytes", ZL_COUNT},  {"resp_bytes", ZL_COUNT},   {"conn_state", ZL_STRING},
    {"local_orig", ZL_BOOL},   {"local_resp", ZL_BOOL},    {"missed_bytes", ZL_COUNT},
    {"history", ZL_STRING},    {"orig_pkts", ZL_COUNT},    {"orig_ip_bytes", ZL_COUNT},
    {"resp_pkts", ZL_COUNT},   {"resp_ip_bytes", ZL_COUNT}, {"tunnel_parents", ZL_SET_STRING},
    {"ip_proto", ZL_COUNT},    {"community_id", ZL_STRING},
};
static const struct zl_schema conn_schema = {"conn", conn_fields, ARRAY_LEN(conn_fields)};

static const struct zl_field weird_fields[] = {
    {"ts", ZL_TIME},        {"uid", ZL_STRING},   {"id.orig_h", ZL_ADDR}, {"id.orig_p", ZL_PORT},
    {"id.resp_h", ZL_ADDR}, {"id.resp_p", ZL_PORT}, {"name", ZL_STRING},  {"addl", ZL_STRING},
    {"notice", ZL_BOOL},    {"peer", ZL_STRING},  {"source", ZL_STRING},
};
static const struct zl_schema weird_schema = {"weird", weird_fields, ARRAY_LEN(weird_fields)};

bool logs_open(struct logs *lg, const char *dir, bool json, const struct site *site)
{
    struct zlog_options o = {dir, json};
    memset(lg, 0, sizeof(*lg));
    lg->site = site;
    lg->conn = zlog_new(&o, &conn_schema);
    lg->weird = zlog_new(&o, &weird_schema);
    return lg->conn && lg->weird;
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

static void put_locality(struct logs *lg, const struct lw_addr *a)
{
    if (site_known(lg->site))
        zl_bool(lg->conn, site_is_local(lg->site, a));
    else
        zl_unset(lg->conn);
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
    zl_cstr(l, f->service);
    /* Zeek logs duration and sizes only when the duration is positive. */
    if (f->last_ts <= f->first_ts) {
        zl_unset(l);
        zl_unset(l);
        zl_unset(l);
    } else {
        zl_interval(l, f->last_ts - f->first_ts);
        zl_count(l, flow_orig_bytes(f));
        zl_count(l, flow_resp_bytes(f));
    }
    zl_cstr(l, flow_conn_state(f));
    put_locality(lg, &f->orig_h);
    put_locality(lg, &f->resp_h);
    zl_count(l, f->ep[0].missed_bytes + f->ep[1].missed_bytes);
    if (f->hist_len)
        zl_str(l, f->history, f->hist_len);
    else
        zl_unset(l);
    zl_count(l, f->ep[0].pkts);
    zl_count(l, f->ep[0].ip_bytes);
    zl_count(l, f->ep[1].pkts);
    zl_count(l, f->ep[1].ip_bytes);
    if (f->ntunnel_parents) {
        zl_set_begin(l);
        for (unsigned i = 0; i < f->ntunnel_parents; i++)
            zl_set_item(l, f->tunnel_parents[i], strlen(f->tunnel_parents[i]));
        zl_set_end(l);
    } else {
        zl_unset(l);
    }
    zl_count(l, f->proto);
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

bool logs_close(struct logs *lg)
{
    bool ok = true;
    struct zlog *all[] = {lg->conn, lg->weird};
    for (size_t i = 0; i < ARRAY_LEN(all); i++) {
        if (!all[i])
            continue;
        const char *e = zlog_error(all[i]);
        if (e) {
            fprintf(stderr, "lolwire: %s\n", e);
            ok = false;
        }
        if (!zlog_close(all[i]))
            ok = false;
    }
    memset(lg, 0, sizeof(*lg));
    return ok;
}
