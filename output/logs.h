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

struct logs {
    struct zlog *conn;
    struct zlog *weird;
    struct zlog *http;
    struct zlog *files;
    struct zlog *ssl;
    struct zlog *quic;
    struct zlog *notice;
    struct zlog *hostev;
    const struct site *site;
    const struct geo *geo;          /* conn.log's country and AS columns, or NULL */
    struct hostctx *hctx;           /* host events: the proc.* columns, or NULL */
};

/* Open every log under `dir` (files appear with their first record). */
bool logs_open(struct logs *lg, const char *dir, bool json, const struct site *site,
               const struct geo *geo);

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

/* Close every log; returns false (with a message on stderr) if a write failed. */
bool logs_close(struct logs *lg);

#endif
