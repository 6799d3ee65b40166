/* site.c: local network membership. */
#include "detect/site.h"

#include <stdio.h>
#include <string.h>

bool site_add_nets(struct site *s, const char *list, char *err, size_t errlen)
{
    char item[128];
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0 || n >= sizeof(item)) {
            snprintf(err, errlen, "bad network '%.*s'", (int)(n < 64 ? n : 64), p);
            return false;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        if (s->n == SITE_MAX_NETS) {
            snprintf(err, errlen, "too many local networks (at most %d)", SITE_MAX_NETS);
            return false;
        }
        if (!prefix_parse(item, &s->nets[s->n])) {
            snprintf(err, errlen, "bad network '%s' (want a CIDR such as 10.0.0.0/8)", item);
            return false;
        }
        s->n++;
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

bool site_is_local(const struct site *s, const struct lw_addr *a)
{
    for (size_t i = 0; i < s->n; i++)
        if (prefix_contains(&s->nets[i], a))
            return true;
    return false;
}
