/* geo.h: GeoIP and ASN enrichment from MaxMind databases (libmaxminddb).
 *
 * Any number of databases: City or Country ones give the country, region, city and
 * location; ASN ones the autonomous system.  Keys are read exactly as Zeek and Arkime
 * read them (shared/FORMATS.md §6), so GeoLite2, GeoIP2, DB-IP lite and the MaxMind
 * test databases all work.
 */
#ifndef LW_DETECT_GEO_H
#define LW_DETECT_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

#define GEO_MAX_DBS 8

struct geo_info {
    bool found;                 /* some database knew the address */
    char country_code[4];       /* "" when unknown */
    char region[16];            /* subdivisions[0].iso_code */
    char city[96];              /* city.names.en */
    bool has_location;
    double latitude, longitude;
    uint32_t asn;               /* 0 when unknown */
    char as_org[128];
};

struct geo;

/* Open the databases at `paths`.  With none given and `search` true, the usual places
 * are searched (/usr/share/GeoIP, /var/lib/GeoIP, /usr/local/share/GeoIP for
 * GeoLite2/GeoIP2 City, Country and ASN); finding nothing there is not an error.
 * Returns NULL with a message in `err` when a named database cannot be opened; a
 * geo with no database when nothing was asked for or found. */
struct geo *geo_open(const char *const *paths, size_t n, bool search, char *err, size_t errlen);

/* Databases in use, and the path of the i-th (for the start-up message). */
size_t geo_count(const struct geo *g);
const char *geo_path(const struct geo *g, size_t i);

/* Look `a` up in every database; false when none knows it. */
bool geo_lookup(const struct geo *g, const struct lw_addr *a, struct geo_info *out);

void geo_close(struct geo *g);

#endif
