/* stats.c: the counters, one set per thread, summed at exit. */
#include "core/stats.h"

#include <inttypes.h>

_Thread_local struct lw_stats lw_stats;

void stats_add(struct lw_stats *sum, const struct lw_stats *s)
{
#define LW_STATS_ADD(name, desc) sum->name += s->name;
    LW_COUNTERS(LW_STATS_ADD)
#undef LW_STATS_ADD
}

void stats_print(FILE *out, const struct lw_stats *s)
{
#define LW_STATS_PRINT(name, desc)                                                             \
    if (s->name)                                                                               \
        fprintf(out, "  %-24s %12" PRIu64 "  %s\n", #name, s->name, desc);
    LW_COUNTERS(LW_STATS_PRINT)
#undef LW_STATS_PRINT
}
