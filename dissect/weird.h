/* weird.h: protocol anomalies, reported as data (weird.log lines and counters).
 *
 * Decoders call weird_report(); the application decides where the events go by
 * installing a sink.  Repeats of one name on one connection are reported once (as Zeek
 * does by default); anomalies without a connection are sampled after
 * WEIRD_FLOWLESS_SAMPLE occurrences of a name.  Every occurrence is counted.
 */
#ifndef LW_DISSECT_WEIRD_H
#define LW_DISSECT_WEIRD_H

#include <stdint.h>

struct flow;

struct weird_event {
    int64_t ts;
    const struct flow *flow; /* NULL when no connection is known */
    const char *name;        /* Zeek-style weird name, e.g. "truncated_IP" */
    const char *addl;        /* extra detail or NULL */
    const char *source;      /* analyzer that saw it, e.g. "IP", "TCP", or NULL */
};

typedef void (*weird_sink_fn)(void *ctx, const struct weird_event *ev);

/* Install the calling thread's sink (NULL to only count); each worker sets its own. */
void weird_set_sink(weird_sink_fn fn, void *ctx);

/* Report an anomaly.  `name` must be a string literal (it is kept by pointer). */
void weird_report(int64_t ts, struct flow *flow, const char *name, const char *addl,
                  const char *source);

#endif
