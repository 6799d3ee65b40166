/* geo.c: MaxMind lookups: country, region, city, location, ASN. */
#include "detect/geo.h"

#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "core/stats.h"

struct geo {
    MMDB_s db[GEO_MAX_DBS];
    char *path[GEO_MAX_DBS];
    size_t n;
};

static bool open_one(struct geo *g, const char *path, char *err, size_t errlen)
{
    if (g->n == GEO_MAX_DBS) {
        snprintf(err, errlen, "too many GeoIP databases (at most %d)", GEO_MAX_DBS);
        return false;
    }
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db[g->n]);
    if (rc != MMDB_SUCCESS) {
        snprintf(err, errlen, "GeoIP database %s: %s", path, MMDB_strerror(rc));
        return false;
    }
    g->path[g->n] = strdup(path);
    if (!g->path[g->n]) {
        MMDB_close(&g->db[g->n]);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    g->n++;
    return true;
}

struct geo *geo_open(const char *const *paths, size_t n, bool search, char *err, size_t errlen)
{
    struct geo *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!open_one(g, paths[i], err, errlen)) {
            geo_close(g);
            return NULL;
        }
    }
    if (n == 0 && search) {
        static const char *const dirs[] = {"/usr/share/GeoIP", "/var/lib/GeoIP",
                                           "/usr/local/share/GeoIP", "/usr/local/var/GeoIP"};
        /* A City database makes a Country one redundant; take the first of each kind. */
        static const char *const names[][4] = {
            {"GeoLite2-City.mmdb", "GeoIP2-City.mmdb", "GeoLite2-Country.mmdb", "GeoIP2-Country.mmdb"},
            {"GeoLite2-ASN.mmdb", "GeoIP2-ISP.mmdb", NULL, NULL},
        };
        for (size_t k = 0; k < 2; k++) {
            bool found = false;
            for (size_t j = 0; j < 4 && !found && names[k][j]; j++) {
                for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]) && !found; d++) {
                    char path[512];
                    snprintf(path, sizeof(path), "%s/%s", dirs[d], names[k][j]);
                    if (access(path, R_OK) == 0) {
                        char e[256];
                        found = open_one(g, path, e, sizeof(e));
                        if (!found)
                            fprintf(stderr, "lolwire: %s (skipped)\n", e);
                    }
                }
            }
        }
    }
    return g;
}

size_t geo_count(const struct geo *g)
{
    return g ? g->n : 0;
}

const char *geo_path(const struct geo *g, size_t i)
{
    return g && i < g->n ? g->path[i] : NULL;
}

static bool get_str(MMDB_entry_s *e, char *out, size_t n, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return false;
    size_t k = d.data_size < n - 1 ? d.data_size : n - 1;
    memcpy(out, d.utf8_string, k);
    out[k] = '\0';
    return true;
}

static bool get_double(MMDB_entry_s *e, double *out, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
        return false;
    if (d.type == MMDB_DATA_TYPE_DOUBLE)
        *out = d.double_value;
    else if (d.type == MMDB_DATA_TYPE_FLOAT)
        *out = d.float_value;
    else
        return false;
    return true;
}

static bool get_u32(MMDB_entry_s *e, uint32_t *out, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
        return false;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16: *out = d.uint16; return true;
    case MMDB_DATA_TYPE_UINT32: *out = d.uint32; return true;
    case MMDB_DATA_TYPE_INT32: *out = (uint32_t)d.int32; return true;
    case MMDB_DATA_TYPE_UINT64: *out = (uint32_t)d.uint64; return true;
    default: return false;
    }
}

bool geo_lookup(const struct geo *g, const struct lw_addr *a, struct geo_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!g || g->n == 0)
        return false;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (addr_is_v4(a)) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a->b + 12, 4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, a->b, 16);
    }
    static const char *const p_cc[] = {"country", "iso_code", NULL};
    static const char *const p_cc_reg[] = {"registered_country", "iso_code", NULL};
    static const char *const p_cc_flat[] = {"country_code", NULL};
    static const char *const p_region[] = {"subdivisions", "0", "iso_code", NULL};
    static const char *const p_city[] = {"city", "names", "en", NULL};
    static const char *const p_lat[] = {"location", "latitude", NULL};
    static const char *const p_lon[] = {"location", "longitude", NULL};
    static const char *const p_asn[] = {"autonomous_system_number", NULL};
    static const char *const p_org[] = {"autonomous_system_organization", NULL};
    for (size_t i = 0; i < g->n; i++) {
        int mmerr;
        MMDB_lookup_result_s r = MMDB_lookup_sockaddr((MMDB_s *)&g->db[i],
                                                      (const struct sockaddr *)&ss, &mmerr);
        if (mmerr != MMDB_SUCCESS || !r.found_entry)
            continue;
        out->found = true;
        if (!out->country_code[0] &&
            !get_str(&r.entry, out->country_code, sizeof(out->country_code), p_cc) &&
            !get_str(&r.entry, out->country_code, sizeof(out->country_code), p_cc_reg))
            get_str(&r.entry, out->country_code, sizeof(out->country_code), p_cc_flat);
        if (!out->region[0])
            get_str(&r.entry, out->region, sizeof(out->region), p_region);
        if (!out->city[0])
            get_str(&r.entry, out->city, sizeof(out->city), p_city);
        if (!out->has_location && get_double(&r.entry, &out->latitude, p_lat) &&
            get_double(&r.entry, &out->longitude, p_lon))
            out->has_location = true;
        if (!out->asn)
            get_u32(&r.entry, &out->asn, p_asn);
        if (!out->as_org[0])
            get_str(&r.entry, out->as_org, sizeof(out->as_org), p_org);
    }
    if (!out->found)
        lw_stats.geo_misses++;
    return out->found;
}

void geo_close(struct geo *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        MMDB_close(&g->db[i]);
        free(g->path[i]);
    }
    free(g);
}
