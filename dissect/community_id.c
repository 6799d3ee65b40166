/* community_id.c: Community ID v1 flow hashing.
 *
 * Spec: corelight/community-id-spec.  SHA-1 over
 *   seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1) [sport(2) dport(2)]
 * in network byte order, endpoints ordered so the numerically smaller (address, then
 * port) comes first; ICMP types stand in for ports (see icmp_counterpart()).  Output is
 * "1:" + base64 of the digest.
 */
#include "dissect/flow.h"

#include <openssl/evp.h>
#include <string.h>

uint16_t icmp_counterpart(bool v6, uint8_t type, bool *one_way)
{
    static const uint8_t v4[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
                                    {10, 9}, {9, 10}, {17, 18}, {18, 17}};
    static const uint8_t v6pairs[][2] = {{128, 129}, {129, 128}, {133, 134}, {134, 133},
                                         {135, 136}, {136, 135}, {130, 131}, {131, 130},
                                         {139, 140}, {140, 139}, {144, 145}, {145, 144}};
    const uint8_t(*tbl)[2] = v6 ? v6pairs : v4;
    size_t n = v6 ? sizeof(v6pairs) / sizeof(v6pairs[0]) : sizeof(v4) / sizeof(v4[0]);
    for (size_t i = 0; i < n; i++)
        if (tbl[i][0] == type) {
            *one_way = false;
            return tbl[i][1];
        }
    *one_way = true;
    return 0;
}

void community_id_v1(uint16_t seed, const struct lw_addr *saddr, const struct lw_addr *daddr,
                     uint8_t proto, uint16_t sport, uint16_t dport, bool has_ports, bool one_way,
                     char *out)
{
    bool v4 = addr_is_v4(saddr) && addr_is_v4(daddr);
    size_t alen = v4 ? 4 : 16;
    const uint8_t *a = v4 ? saddr->b + 12 : saddr->b;
    const uint8_t *b = v4 ? daddr->b + 12 : daddr->b;

    /* Order the endpoints: smaller address first, ports break ties.  ICMP types without
     * a counterpart ("one-way") keep the packet's order, as the spec says. */
    int c = memcmp(a, b, alen);
    if (!one_way && (c > 0 || (c == 0 && sport > dport))) {
        const uint8_t *t = a;
        a = b;
        b = t;
        uint16_t tp = sport;
        sport = dport;
        dport = tp;
    }

    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, a, alen);
    n += alen;
    memcpy(buf + n, b, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (has_ports) {
        buf[n++] = (uint8_t)(sport >> 8);
        buf[n++] = (uint8_t)sport;
        buf[n++] = (uint8_t)(dport >> 8);
        buf[n++] = (uint8_t)dport;
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(buf, n, md, &mdlen, EVP_sha1(), NULL);
    out[0] = '1';
    out[1] = ':';
    base64_encode(md, mdlen, out + 2);
}
