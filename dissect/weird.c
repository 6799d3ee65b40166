/* weird.c: anomaly reporting with per-connection de-duplication and flowless sampling. */
#include "dissect/weird.h"

#include <pthread.h>
#include <string.h>

#include "core/config.h"
#include "core/stats.h"
#include "dissect/flow.h"

static _Thread_local weird_sink_fn sink;
static _Thread_local void *sink_ctx;

/* Flowless sampling: counts per name, by pointer (names are literals), shared by the
 * workers so that the sample is per name for the whole sensor.  Flowless weirds are rare
 * (malformed frames): a lock is cheap here. */
#define WEIRD_NAMES_TRACKED 128
static pthread_mutex_t flowless_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const char *name;
    uint64_t count;
} flowless[WEIRD_NAMES_TRACKED];

void weird_set_sink(weird_sink_fn fn, void *ctx)
{
    sink = fn;
    sink_ctx = ctx;
}

static uint64_t flowless_count(const char *name)
{
    uint64_t n = 1; /* table full: log it (rare; names are a small fixed set) */
    pthread_mutex_lock(&flowless_lock);
    for (size_t i = 0; i < WEIRD_NAMES_TRACKED; i++) {
        if (flowless[i].name == name || (flowless[i].name && !strcmp(flowless[i].name, name))) {
            n = ++flowless[i].count;
            break;
        }
        if (!flowless[i].name) {
            flowless[i].name = name;
            n = ++flowless[i].count;
            break;
        }
    }
    pthread_mutex_unlock(&flowless_lock);
    return n;
}

void weird_report(int64_t ts, struct flow *flow, const char *name, const char *addl,
                  const char *source)
{
    lw_stats.weirds++;
    if (flow) {
        if (!flow_weird_first(flow, name)) {
            lw_stats.weirds_suppressed++;
            return;
        }
    } else {
        uint64_t n = flowless_count(name);
        if (n > WEIRD_FLOWLESS_SAMPLE && n % 1000 != 0) {
            lw_stats.weirds_suppressed++;
            return;
        }
    }
    if (!sink)
        return;
    struct weird_event ev = {ts, flow, name, addl, source};
    sink(sink_ctx, &ev);
}
