/* normalise.h (internal): the one normaliser every host event format goes through.
 * A format supplies `get`, which answers Sysmon's field names (EventData names such as
 * "Image", "SourceIp", plus "EventID", "Computer", "Provider", "TimeCreated" and
 * "Data0" for the first unnamed EventData value) from its own shape. */
#ifndef LW_HOSTEV_NORMALISE_H
#define LW_HOSTEV_NORMALISE_H

#include "hostev/hostev.h"

struct hev_source {
    /* The value of `name` (NUL-terminated, valid until the next call), or NULL. */
    const char *(*get)(void *ctx, const char *name);
    void *ctx;
    enum hostev_format format;
};

/* Fill `e` from `src`; false with `why` when there is no event id. */
bool hev_normalise(struct hostev *e, const struct hev_source *src, const char **why);

#endif
