/* addr.h: IPv4/IPv6 addresses in one 16-byte form, and CIDR prefixes.
 *
 * IPv4 is held as an IPv4-mapped IPv6 address (::ffff:a.b.c.d) so that flow keys,
 * hashing and comparison need no branches on the family.
 */
#ifndef LW_ADDR_H
#define LW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_addr {
    uint8_t b[16];
};

/* Room for the longest text form, with a NUL. */
#define LW_ADDR_STRLEN 46

void addr_from_v4(struct lw_addr *a, const uint8_t v4[4]);
void addr_from_v6(struct lw_addr *a, const uint8_t v6[16]);
bool addr_is_v4(const struct lw_addr *a);
int addr_cmp(const struct lw_addr *x, const struct lw_addr *y);

/* Write the text form (dotted quad, or compressed IPv6) into `out`, which holds at
 * least LW_ADDR_STRLEN bytes.  Returns the length. */
size_t addr_format(const struct lw_addr *a, char *out);

/* Parse "a.b.c.d" or an IPv6 text form (also uncompressed, as Sysmon writes it).
 * Returns false on anything else. */
bool addr_parse(const char *s, struct lw_addr *a);

struct lw_prefix {
    struct lw_addr addr; /* masked to `bits` */
    unsigned bits;       /* 0..128, counted in the 16-byte form (IPv4 /24 = 120) */
};

/* Parse "10.0.0.0/8", "2001:db8::/32" or a bare address (host prefix).  False on error. */
bool prefix_parse(const char *s, struct lw_prefix *p);
bool prefix_contains(const struct lw_prefix *p, const struct lw_addr *a);

#endif
