/* detect.h: rules over HTTP transactions and TLS connections, producing notices.
 *
 * Each event (a finished HTTP transaction with its files, a TLS connection once its
 * handshake is known) is matched against every enabled rule of its kind.  A match that
 * an allowlist entry covers is dropped (counted).  Of the matches sharing a note (the
 * finding's family, e.g. LOLBin::Msiexec_Download), only the most severe is kept: one
 * notice per finding per transaction.  Notices under the minimum severity are counted,
 * not written.
 */
#ifndef LW_DETECT_DETECT_H
#define LW_DETECT_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/evidence.h"
#include "detect/geo.h"
#include "detect/hostctx.h"
#include "detect/rules.h"

struct flow;
struct http_txn;
struct tls_info;
struct site;

struct notice {
    int64_t ts;
    const struct flow *flow;
    const struct rule *rule;
    struct evidence *ev;          /* the event, for writers that show protocol fields */
    const char *app_proto;        /* "http" or "tls" */
    const char *fuid;             /* the response file, or NULL */
    const char *file_mime;
    const char *file_desc;        /* the URL of an HTTP transaction */
    const char *sub;              /* evidence: the fields the rule looked at, and values */
    uint32_t trans_depth;         /* 0 when not HTTP */
    const struct geo_info *remote; /* the server's location (found == false: unknown) */
    const struct attribution *proc; /* the process behind the connection, or NULL */
    bool followup;                /* written when host context arrived after the event */
};

typedef void (*notice_sink_fn)(void *ctx, const struct notice *n);

struct detect_config {
    const struct ruleset *rules;
    const struct site *site;
    const struct geo *geo;
    enum severity min_severity;   /* notices below are counted, not written */
    struct hostctx *hostctx;      /* host events, or NULL */
    int64_t host_wait;            /* > 0: keep events with no process this long (packet
                                   * time) and write follow-up notices if host events
                                   * arrive (--follow) */
};

struct detector;

struct detector *detector_new(const struct detect_config *cfg);
void detector_free(struct detector *d);

/* Where notices go (up to 4 sinks, called in order). */
bool detector_add_sink(struct detector *d, notice_sink_fn fn, void *ctx);

/* Host events arrived: look again at the events still waiting for a process, and write
 * follow-up notices for what the process context adds.  Waits longer than host_wait
 * (packet time) end. */
void detector_retry(struct detector *d);

/* Events (http_sink_fn / tls_sink_fn shaped; ctx is the detector). */
void detect_http(void *ctx, const struct flow *f, const struct http_txn *t);
void detect_tls(void *ctx, const struct flow *f, const struct tls_info *t);

#endif
