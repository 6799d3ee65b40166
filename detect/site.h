/* site.h: the monitored site's own networks (Zeek's Site::local_nets).
 *
 * Fills conn.log's local_orig/local_resp, and later tells rules which side of a
 * connection is "ours".  With no networks configured, locality is unknown (unset).
 */
#ifndef LW_DETECT_SITE_H
#define LW_DETECT_SITE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"

#define SITE_MAX_NETS 256

struct site {
    struct lw_prefix nets[SITE_MAX_NETS];
    size_t n;
};

/* Add comma-separated prefixes ("10.0.0.0/8,2001:db8::/32").  On error returns false
 * and names the bad item in `err`. */
bool site_add_nets(struct site *s, const char *list, char *err, size_t errlen);

/* True when networks are configured (locality is then known for every address). */
static inline bool site_known(const struct site *s)
{
    return s && s->n > 0;
}

bool site_is_local(const struct site *s, const struct lw_addr *a);

#endif
