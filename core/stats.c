/* stats.c: the process-wide counters. */
#include "core/stats.h"

#include <inttypes.h>

struct lw_stats lw_stats;

void stats_print(FILE *out, const struct lw_stats *s)
{
#define LW_STATS_PRINT(name, desc)                                                             \
    if (s->name)                                                                               \
        fprintf(out, "  %-24s %12" PRIu64 "  %s\n", #name, s->name, desc);
    LW_COUNTERS(LW_STATS_PRINT)
#undef LW_STATS_PRINT
}
