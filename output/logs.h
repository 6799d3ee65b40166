/* logs.h: the connection-level logs lolwire writes (conn.log, weird.log), on top of the
 * Zeek writer.  One `struct logs` holds every open log of a run. */
#ifndef LW_OUTPUT_LOGS_H
#define LW_OUTPUT_LOGS_H

#include <stdbool.h>

#include "detect/detect.h"
#include "detect/geo.h"
#include "detect/hostctx.h"
#include "detect/site.h"
#include "dissect/files.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "dissect/tls.h"
#include "dissect/weird.h"
#include "hostev/hostev.h"
#include "output/zeeklog.h"

#define LOGS_N 10

struct logs {
    union {
        struct {
            struct zlog *conn;
            struct zlog *weird;
            struct zlog *http;
            struct zlog *files;
            struct zlog *ssl;
            struct zlog *quic;
            struct zlog *notice;
            struct zlog *hostev;
            struct zlog *stats;
            struct zlog *capture_loss;
        };
        struct zlog *all[LOGS_N];
    };
    const struct site *site;
    const struct geo *geo;          /* conn.log's country and AS columns, or NULL */
    struct hostctx *hctx;           /* host events: the proc.* columns, or NULL */
};

/* Open every log under `opt->dir` (files appear with their first record). */
bool logs_open(struct logs *lg, const struct zlog_options *opt, const struct site *site,
               const struct geo *geo);

/* One interval's figures for stats.log and capture_loss.log: counts are over the
 * interval, as in Zeek. */
struct stats_record {
    int64_t ts, interval_us;
    const char *peer;
    uint64_t mem_mb;                /* resident memory */
    uint64_t pkts_proc, bytes_recv;
    bool live;                      /* the kernel's figures and the lag mean something */
    uint64_t pkts_dropped, pkts_link;
    int64_t pkt_lag_us;             /* the clock minus the last packet's time */
    uint64_t active_conns, conns, files, notices, weirds;
    /* given up by a stage: the connection cap, IP reassembly, TCP reassembly, HTTP and
     * TLS limits, detection's wait for host events, the host event store, the export */
    uint64_t evicted_conns, frag_dropped, reassem_dropped, http_limits, tls_limits,
        pending_dropped, hostev_dropped, export_dropped;
    uint64_t gaps, acks;            /* capture loss */
};

/* Write one record to stats.log and one to capture_loss.log. */
void logs_stats(struct logs *lg, const struct stats_record *s);

/* Write `f` to conn.log. */
void logs_conn(struct logs *lg, const struct flow *f);

/* Write a weird event to weird.log (a weird_sink_fn; ctx is the struct logs). */
void logs_weird(void *ctx, const struct weird_event *ev);

/* Write an HTTP transaction to http.log (an http_sink_fn). */
void logs_http(void *ctx, const struct flow *f, const struct http_txn *t);

/* Write a finished file to files.log (a file_sink_fn). */
void logs_file(void *ctx, const struct flow *f, const struct file_info *fi);

/* Write a TLS connection to ssl.log (a tls_sink_fn). */
void logs_ssl(void *ctx, const struct flow *f, const struct tls_info *t);

/* Write a QUIC connection to quic.log (a quic_sink_fn). */
void logs_quic(void *ctx, const struct flow *f);

/* Write a notice to notice.log (a notice_sink_fn). */
void logs_notice(void *ctx, const struct notice *n);

/* Write a host event to host_events.log (a hostev_sink_fn). */
void logs_hostev(void *ctx, const struct hostev *e);

/* Rotate every log (zlog_rotate): `suffix` names the period
 * ("2026-12-02-17-00-00_2026-12-02-18-00-00", UTC), or NULL to reopen after logrotate
 * moved the files (SIGHUP). */
bool logs_rotate(struct logs *lg, const char *suffix);

/* Write out what every log has buffered (once a second: a quiet sensor's lines do not
 * wait for the buffer to fill). */
bool logs_flush(struct logs *lg);

/* Close every log; returns false (with a message on stderr) if a write failed. */
bool logs_close(struct logs *lg);

#endif
