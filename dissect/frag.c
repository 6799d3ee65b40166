/* frag.c: fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5), first-wins on overlap. */
#include "dissect/frag.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/stats.h"
#include "core/util.h"
#include "dissect/weird.h"

#define FRAG_BUCKETS 8192 /* power of two */
#define FRAG_MAX_PAYLOAD 65535u

struct frag_range {
    uint32_t start, end; /* [start, end) of payload received */
};

struct frag_dgram {
    struct frag_key key;
    struct frag_dgram *hnext;       /* bucket chain */
    struct frag_dgram *prev, *next; /* age list, oldest first */
    int64_t first_ts;
    uint8_t hdr[128];               /* unfragmentable part from the offset-0 fragment */
    uint32_t hdr_len;               /* 0 until the first fragment arrives */
    uint32_t total;                 /* payload length once the last fragment is seen */
    bool have_last;
    uint8_t *buf;                   /* payload, `cap` bytes allocated */
    uint32_t cap;
    struct frag_range r[FRAG_MAX_PER_DATAGRAM];
    unsigned nr;
};

struct frag_table {
    struct frag_dgram *bucket[FRAG_BUCKETS];
    struct frag_dgram *oldest, *newest;
    size_t count, bytes;
    uint64_t seed;
    uint8_t *done; /* the last completed datagram, freed on the next call */
};

void frag_key_v4(struct frag_key *k, const uint8_t *ip)
{
    memset(k, 0, sizeof(*k));
    addr_from_v4(&k->src, ip + 12);
    addr_from_v4(&k->dst, ip + 16);
    k->id = (uint32_t)ip[4] << 8 | ip[5];
    k->version = 4;
    k->next_proto = ip[9];
}

void frag_key_v6(struct frag_key *k, const uint8_t *ip6, uint32_t id, uint8_t next_proto)
{
    memset(k, 0, sizeof(*k));
    addr_from_v6(&k->src, ip6 + 8);
    addr_from_v6(&k->dst, ip6 + 24);
    k->id = id;
    k->version = 6;
    k->next_proto = next_proto;
}

struct frag_table *frag_table_new(void)
{
    struct frag_table *t = calloc(1, sizeof(*t));
    if (t) {
        struct lw_rng r;
        rng_seed_random(&r);
        t->seed = rng_next(&r);
    }
    return t;
}

static struct frag_dgram **find_slot(struct frag_table *t, const struct frag_key *k)
{
    size_t b = hash_bytes(k, sizeof(*k), t->seed) & (FRAG_BUCKETS - 1);
    struct frag_dgram **pp = &t->bucket[b];
    while (*pp && memcmp(&(*pp)->key, k, sizeof(*k)) != 0)
        pp = &(*pp)->hnext;
    return pp;
}

static void dgram_free(struct frag_table *t, struct frag_dgram *g, bool keep_buf)
{
    struct frag_dgram **pp = find_slot(t, &g->key);
    if (*pp == g)
        *pp = g->hnext;
    if (g->prev)
        g->prev->next = g->next;
    else
        t->oldest = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        t->newest = g->prev;
    t->count--;
    t->bytes -= g->cap + sizeof(*g);
    if (!keep_buf)
        free(g->buf);
    free(g);
}

void frag_table_free(struct frag_table *t)
{
    if (!t)
        return;
    while (t->oldest)
        dgram_free(t, t->oldest, false);
    free(t->done);
    free(t);
}

void frag_expire(struct frag_table *t, int64_t now)
{
    while (t->oldest && now - t->oldest->first_ts > FRAG_TIMEOUT_US) {
        lw_stats.frag_timeouts++;
        dgram_free(t, t->oldest, false);
    }
}

/* Insert [start,end) into the sorted, disjoint range list, merging neighbours. */
static bool add_range(struct frag_dgram *g, uint32_t start, uint32_t end)
{
    unsigned i = 0;
    while (i < g->nr && g->r[i].end < start)
        i++;
    if (i < g->nr && g->r[i].start <= end) {
        /* Overlaps or touches range i: extend it, then absorb the ones it now reaches. */
        if (start < g->r[i].start)
            g->r[i].start = start;
        if (end > g->r[i].end)
            g->r[i].end = end;
        unsigned j = i + 1;
        while (j < g->nr && g->r[j].start <= g->r[i].end) {
            if (g->r[j].end > g->r[i].end)
                g->r[i].end = g->r[j].end;
            j++;
        }
        memmove(&g->r[i + 1], &g->r[j], (g->nr - j) * sizeof(g->r[0]));
        g->nr -= j - i - 1;
        return true;
    }
    if (g->nr == FRAG_MAX_PER_DATAGRAM)
        return false;
    memmove(&g->r[i + 1], &g->r[i], (g->nr - i) * sizeof(g->r[0]));
    g->r[i].start = start;
    g->r[i].end = end;
    g->nr++;
    return true;
}

/* Copy the new bytes in, keeping bytes already held (first wins); report overlaps. */
static void copy_in(struct frag_dgram *g, const uint8_t *data, uint32_t start, uint32_t end,
                    bool *overlap, bool *differ)
{
    for (uint32_t pos = start; pos < end;) {
        const struct frag_range *held = NULL;
        for (unsigned i = 0; i < g->nr; i++)
            if (g->r[i].start <= pos && pos < g->r[i].end) {
                held = &g->r[i];
                break;
            }
        if (held) {
            uint32_t stop = held->end < end ? held->end : end;
            *overlap = true;
            if (memcmp(g->buf + pos, data + (pos - start), stop - pos) != 0)
                *differ = true;
            pos = stop;
        } else {
            uint32_t stop = end;
            for (unsigned i = 0; i < g->nr; i++)
                if (g->r[i].start > pos && g->r[i].start < stop)
                    stop = g->r[i].start;
            memcpy(g->buf + pos, data + (pos - start), stop - pos);
            pos = stop;
        }
    }
}

static bool make_room(struct frag_table *t, size_t want)
{
    while ((t->count >= FRAG_MAX_DATAGRAMS || t->bytes + want > FRAG_MAX_BYTES) && t->oldest) {
        lw_stats.frag_evicted++;
        dgram_free(t, t->oldest, false);
    }
    return t->bytes + want <= FRAG_MAX_BYTES;
}

enum frag_result frag_add(struct frag_table *t, const struct frag_key *key, int64_t ts,
                          const uint8_t *hdr, uint32_t hdr_len, uint32_t off, bool more,
                          const uint8_t *data, uint32_t len, uint32_t caplen,
                          const uint8_t **dgram, uint32_t *dgram_len, uint32_t *dgram_hdr_len)
{
    free(t->done);
    t->done = NULL;
    lw_stats.frag_fragments++;

    if (caplen < len) {
        weird_report(ts, NULL, "incompletely_captured_fragment", NULL, "IP");
        return FRAG_DROPPED;
    }
    uint32_t end = off + len;
    if (end > FRAG_MAX_PAYLOAD || hdr_len > sizeof(((struct frag_dgram *)0)->hdr)) {
        weird_report(ts, NULL, "excessively_large_fragment", NULL, "IP");
        return FRAG_DROPPED;
    }
    if (more && len % 8 != 0) {
        weird_report(ts, NULL, "fragment_size_not_multiple_of_8", NULL, "IP");
    }

    struct frag_dgram **slot = find_slot(t, key);
    struct frag_dgram *g = *slot;
    if (!g) {
        if (!make_room(t, sizeof(*g))) {
            lw_stats.frag_evicted++;
            return FRAG_DROPPED;
        }
        g = calloc(1, sizeof(*g));
        if (!g) {
            lw_stats.frag_evicted++;
            return FRAG_DROPPED;
        }
        g->key = *key;
        g->first_ts = ts;
        slot = find_slot(t, key); /* make_room may have changed the chain */
        g->hnext = *slot;
        *slot = g;
        g->prev = t->newest;
        if (t->newest)
            t->newest->next = g;
        else
            t->oldest = g;
        t->newest = g;
        t->count++;
        t->bytes += sizeof(*g);
    }

    if (end > g->cap) {
        uint32_t ncap = end < 1500 ? 1500 : end;
        if (ncap > FRAG_MAX_PAYLOAD)
            ncap = FRAG_MAX_PAYLOAD;
        uint8_t *nb = realloc(g->buf, ncap);
        if (!nb) {
            lw_stats.frag_evicted++;
            dgram_free(t, g, false);
            return FRAG_DROPPED;
        }
        t->bytes += ncap - g->cap;
        g->buf = nb;
        g->cap = ncap;
    }
    if (g->have_last && end > g->total) {
        weird_report(ts, NULL, "fragment_inconsistency", "past the end of the datagram", "IP");
        return FRAG_DROPPED;
    }
    if (!more) {
        if (g->have_last && g->total != end)
            weird_report(ts, NULL, "fragment_inconsistency", "two different ends", "IP");
        if (!g->have_last) {
            g->have_last = true;
            g->total = end;
        }
    }
    if (off == 0 && g->hdr_len == 0) {
        memcpy(g->hdr, hdr, hdr_len);
        g->hdr_len = hdr_len;
    }

    bool overlap = false, differ = false;
    copy_in(g, data, off, end, &overlap, &differ);
    if (overlap) {
        lw_stats.frag_overlaps++;
        weird_report(ts, NULL, differ ? "fragment_inconsistency" : "fragment_overlap", NULL,
                     "IP");
    }
    if (len && !add_range(g, off, end)) {
        weird_report(ts, NULL, "excessive_fragments", NULL, "IP");
        lw_stats.frag_evicted++;
        dgram_free(t, g, false);
        return FRAG_DROPPED;
    }

    if (!g->have_last || g->hdr_len == 0 || g->nr != 1 || g->r[0].start != 0 ||
        g->r[0].end != g->total)
        return FRAG_HELD;

    /* Complete: lay header + payload out in one buffer the caller reads. */
    uint8_t *out = malloc(g->hdr_len + g->total + 1);
    if (!out) {
        lw_stats.frag_evicted++;
        dgram_free(t, g, false);
        return FRAG_DROPPED;
    }
    memcpy(out, g->hdr, g->hdr_len);
    memcpy(out + g->hdr_len, g->buf, g->total);
    *dgram = out;
    *dgram_len = g->hdr_len + g->total;
    *dgram_hdr_len = g->hdr_len;
    t->done = out;
    lw_stats.frag_reassembled++;
    dgram_free(t, g, false);
    return FRAG_COMPLETE;
}
