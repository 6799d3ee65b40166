/* addr.c: address text forms and prefixes. */
#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void addr_from_v4(struct lw_addr *a, const uint8_t v4[4])
{
    memcpy(a->b, v4_mapped_prefix, 12);
    memcpy(a->b + 12, v4, 4);
}

void addr_from_v6(struct lw_addr *a, const uint8_t v6[16])
{
    memcpy(a->b, v6, 16);
}

bool addr_is_v4(const struct lw_addr *a)
{
    return memcmp(a->b, v4_mapped_prefix, 12) == 0;
}

int addr_cmp(const struct lw_addr *x, const struct lw_addr *y)
{
    return memcmp(x->b, y->b, 16);
}

size_t addr_format(const struct lw_addr *a, char *out)
{
    const char *r;
    if (addr_is_v4(a))
        r = inet_ntop(AF_INET, a->b + 12, out, LW_ADDR_STRLEN);
    else
        r = inet_ntop(AF_INET6, a->b, out, LW_ADDR_STRLEN);
    if (!r) {
        out[0] = '\0';
        return 0;
    }
    return strlen(out);
}

bool addr_parse(const char *s, struct lw_addr *a)
{
    uint8_t buf[16];
    if (inet_pton(AF_INET, s, buf) == 1) {
        addr_from_v4(a, buf);
        return true;
    }
    if (inet_pton(AF_INET6, s, buf) == 1) {
        addr_from_v6(a, buf);
        return true;
    }
    return false;
}

static void prefix_mask(struct lw_prefix *p)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned lo = i * 8;
        if (p->bits >= lo + 8)
            continue;
        if (p->bits <= lo)
            p->addr.b[i] = 0;
        else
            p->addr.b[i] &= (uint8_t)(0xff << (8 - (p->bits - lo)));
    }
}

bool prefix_parse(const char *s, struct lw_prefix *p)
{
    char tmp[LW_ADDR_STRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= LW_ADDR_STRLEN)
        return false;
    memcpy(tmp, s, alen);
    tmp[alen] = '\0';
    if (!addr_parse(tmp, &p->addr))
        return false;
    bool v4 = addr_is_v4(&p->addr) && strchr(tmp, ':') == NULL;
    unsigned max = v4 ? 32 : 128;
    unsigned bits = max;
    if (slash) {
        char *end;
        if (!slash[1])
            return false;
        unsigned long n = strtoul(slash + 1, &end, 10);
        if (*end || n > max)
            return false;
        bits = (unsigned)n;
    }
    p->bits = v4 ? bits + 96 : bits;
    prefix_mask(p);
    return true;
}

bool prefix_contains(const struct lw_prefix *p, const struct lw_addr *a)
{
    struct lw_prefix t = {*a, p->bits};
    prefix_mask(&t);
    return memcmp(t.addr.b, p->addr.b, 16) == 0;
}
