/* frag.h: IPv4 and IPv6 fragment reassembly, bounded.
 *
 * Overlap policy: first data wins (the bytes already held are kept).  An overlap is
 * reported as the weird "fragment_overlap", and as "fragment_inconsistency" when the
 * overlapping bytes differ (the evasion case).  Limits (core/config.h): datagrams pending,
 * bytes held, fragments per datagram, and a timeout in packet time; every datagram
 * dropped by a limit is counted.
 */
#ifndef LW_DISSECT_FRAG_H
#define LW_DISSECT_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"

struct frag_key {
    struct lw_addr src, dst;
    uint32_t id;
    uint8_t version;    /* 4 or 6 */
    uint8_t next_proto; /* IPv4: the protocol field; IPv6: the fragment header's next header */
    uint8_t pad[2];
};

void frag_key_v4(struct frag_key *k, const uint8_t *ip);
void frag_key_v6(struct frag_key *k, const uint8_t *ip6, uint32_t id, uint8_t next_proto);

enum frag_result {
    FRAG_HELD = 0,     /* kept; the datagram is not complete yet */
    FRAG_COMPLETE = 1, /* `*dgram` holds the whole datagram */
    FRAG_DROPPED = -1, /* malformed, or over a limit: counted and reported */
};

struct frag_table;

struct frag_table *frag_table_new(void);
void frag_table_free(struct frag_table *t);

/* Add one fragment.  `hdr`/`hdr_len`: the fragment's unfragmentable part (IPv4 header,
 * or IPv6 header through the fragment header), copied from the offset-0 fragment.
 * `off`: payload offset in bytes; `more`: more fragments follow; `data`: the
 * fragment payload, `len` bytes on the wire of which `caplen` were captured.
 * On FRAG_COMPLETE, `*dgram` is header + payload, `*dgram_len` bytes, `*dgram_hdr_len`
 * of header; valid until the next call on `t`. */
enum frag_result frag_add(struct frag_table *t, const struct frag_key *key, int64_t ts,
                          const uint8_t *hdr, uint32_t hdr_len, uint32_t off, bool more,
                          const uint8_t *data, uint32_t len, uint32_t caplen,
                          const uint8_t **dgram, uint32_t *dgram_len, uint32_t *dgram_hdr_len);

/* Drop datagrams older than FRAG_TIMEOUT_US at packet time `now` (counted). */
void frag_expire(struct frag_table *t, int64_t now);

#endif
