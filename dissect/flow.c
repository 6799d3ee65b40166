/* flow.c: the connection table: keys, hashing, pool, timeouts, eviction, tunnels,
 * SPAN duplicates.  It stores connections; conn.c drives a packet through them. */
#include "dissect/flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/stats.h"

/* Timeout classes.  Connections in one class share a rule, and each class's list is kept
 * in deadline order, so expiry looks only at list heads.  "Inactivity" classes expire
 * `timeout` after the last packet (a packet moves the connection to the tail); "fixed"
 * classes expire `timeout` after the moment the connection entered them (Zeek's TCP
 * attempt and close-delay timers), and packets do not move them. */
enum {
    TC_TCP_ATTEMPT = 0, /* orig sent a SYN, no answer: tcp_attempt_delay after the SYN */
    TC_TCP_CLOSED,      /* close complete: tcp_close_delay after the close */
    TC_TCP_HANDSHAKE,   /* both sides still in handshake states: Zeek uses the UDP timeout */
    TC_TCP,
    TC_UDP,
    TC_ICMP,
    TC_OTHER,
    TC_COUNT,
};

static const struct {
    int64_t timeout;
    bool fixed;
} class_rule[TC_COUNT] = {
    [TC_TCP_ATTEMPT] = {FLOW_TCP_ATTEMPT_US, true},
    [TC_TCP_CLOSED] = {FLOW_TCP_CLOSED_US, true},
    [TC_TCP_HANDSHAKE] = {FLOW_UDP_TIMEOUT_US, false},
    [TC_TCP] = {FLOW_TCP_TIMEOUT_US, false},
    [TC_UDP] = {FLOW_UDP_TIMEOUT_US, false},
    [TC_ICMP] = {FLOW_ICMP_TIMEOUT_US, false},
    [TC_OTHER] = {FLOW_OTHER_TIMEOUT_US, false},
};

struct flow_list {
    struct flow *head, *tail; /* head: least recently active */
};

#define FLOW_SLAB 1024

struct flow_slab {
    struct flow_slab *next;
    struct flow flows[FLOW_SLAB];
};

struct flow_table {
    struct flow_config cfg;
    struct flow **bucket;
    uint64_t nbuckets; /* power of two */
    uint64_t count;
    uint64_t hash_seed;
    struct flow_list cls[TC_COUNT];
    struct flow *free_list;
    struct flow_slab *slabs;
    int64_t now;
};

/* ---- keys ----------------------------------------------------------------------------- */

static void make_key(struct flow_key *k, const struct lw_addr *src, uint16_t sp,
                     const struct lw_addr *dst, uint16_t dp, uint8_t proto, uint16_t vlan,
                     uint16_t ivlan)
{
    memset(k, 0, sizeof(*k));
    int c = addr_cmp(src, dst);
    if (c < 0 || (c == 0 && sp <= dp)) {
        k->a = *src, k->pa = sp, k->b = *dst, k->pb = dp;
    } else {
        k->a = *dst, k->pa = dp, k->b = *src, k->pb = sp;
    }
    k->proto = proto;
    k->vlan = vlan;
    k->inner_vlan = ivlan;
}

static void flow_key_of(const struct flow *f, struct flow_key *k)
{
    make_key(k, &f->orig_h, f->orig_p, &f->resp_h, f->resp_p, f->proto, f->vlan, f->inner_vlan);
}

/* "Ports" of a packet: TCP/UDP ports, ICMP type and counterpart (or code), 0 otherwise. */
static void packet_ports(const struct l4pkt *p, uint16_t *sp, uint16_t *dp, bool *one_way)
{
    *one_way = false;
    switch (p->proto) {
    case 6:
    case 17:
    case 132:
        *sp = p->sport;
        *dp = p->dport;
        return;
    case 1:
    case 58: {
        *sp = p->icmp_type;
        *dp = icmp_counterpart(p->proto == 58, p->icmp_type, one_way);
        if (*one_way)
            *dp = p->icmp_code;
        return;
    }
    default:
        *sp = *dp = 0;
    }
}

/* ---- lists and pool --------------------------------------------------------------------- */

static void list_remove(struct flow_list *l, struct flow *f)
{
    if (f->lprev)
        f->lprev->lnext = f->lnext;
    else
        l->head = f->lnext;
    if (f->lnext)
        f->lnext->lprev = f->lprev;
    else
        l->tail = f->lprev;
    f->lprev = f->lnext = NULL;
}

static void list_append(struct flow_list *l, struct flow *f)
{
    f->lnext = NULL;
    f->lprev = l->tail;
    if (l->tail)
        l->tail->lnext = f;
    else
        l->head = f;
    l->tail = f;
}

static struct flow *flow_alloc(struct flow_table *t)
{
    if (!t->free_list) {
        struct flow_slab *s = malloc(sizeof(*s));
        if (!s)
            return NULL;
        s->next = t->slabs;
        t->slabs = s;
        for (int i = FLOW_SLAB - 1; i >= 0; i--) {
            s->flows[i].hnext = t->free_list;
            t->free_list = &s->flows[i];
        }
    }
    struct flow *f = t->free_list;
    t->free_list = f->hnext;
    memset(f, 0, sizeof(*f));
    return f;
}

static void bucket_unlink(struct flow_table *t, struct flow *f)
{
    struct flow **pp = &t->bucket[f->hash & (t->nbuckets - 1)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
}

/* End a connection: report it, unlink it, return it to the pool. */
static void flow_end(struct flow_table *t, struct flow *f)
{
    if (t->cfg.on_end)
        t->cfg.on_end(t->cfg.ctx, f);
    free(f->tun);
    f->tun = NULL;
    lw_stats.flows_logged += !f->is_tunnel;
    bucket_unlink(t, f);
    list_remove(&t->cls[f->tclass], f);
    t->count--;
    f->hnext = t->free_list;
    t->free_list = f;
}

/* ---- table ------------------------------------------------------------------------------ */

struct flow_table *flow_table_new(const struct flow_config *cfg)
{
    struct flow_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cfg = *cfg;
    if (!t->cfg.max_flows)
        t->cfg.max_flows = FLOW_MAX_DEFAULT;
    /* The bucket array starts small and doubles with the table (grow()): sized for
     * max_flows up front it is 8 MB for a million, and every lookup misses the cache. */
    t->nbuckets = FLOW_BUCKETS_MIN;
    t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
    if (!t->bucket) {
        free(t);
        return NULL;
    }
    struct lw_rng seed_rng;
    rng_seed_random(&seed_rng);
    t->hash_seed = rng_next(&seed_rng);
    return t;
}

void *flow_table_ctx(const struct flow_table *t)
{
    return t->cfg.ctx;
}

uint64_t flow_table_count(const struct flow_table *t)
{
    return t->count;
}

static bool tcp_handshaking(uint8_t st)
{
    return st == TCPS_INACTIVE || st == TCPS_SYN_SENT || st == TCPS_SYN_ACK_SENT;
}

static int flow_class(struct flow *f)
{
    switch (f->proto) {
    case 6: {
        const struct flow_ep *o = &f->ep[0], *r = &f->ep[1];
        if (f->close_armed)
            return TC_TCP_CLOSED;
        if (f->attempt_armed && (o->state == TCPS_SYN_SENT || o->state == TCPS_SYN_ACK_SENT) &&
            r->state == TCPS_INACTIVE)
            return TC_TCP_ATTEMPT;
        if (!tcp_handshaking(o->state) || !tcp_handshaking(r->state))
            f->tcp_active = true; /* Zeek switches to the TCP timeout once, for good */
        return f->tcp_active ? TC_TCP : TC_TCP_HANDSHAKE;
    }
    case 17:
        return TC_UDP;
    case 1:
    case 58:
        return TC_ICMP;
    default:
        return TC_OTHER;
    }
}

static int64_t deadline(const struct flow *f)
{
    int64_t base = f->last_ts;
    if (f->tclass == TC_TCP_ATTEMPT)
        base = f->attempt_at;
    else if (f->tclass == TC_TCP_CLOSED)
        base = f->close_at;
    return base + class_rule[f->tclass].timeout;
}

static void expire(struct flow_table *t, int64_t now)
{
    for (int c = 0; c < TC_COUNT; c++) {
        struct flow *f;
        while ((f = t->cls[c].head) && now >= deadline(f)) {
            bool closed = c == TC_TCP_CLOSED || c == TC_TCP_ATTEMPT;
            if (!closed)
                lw_stats.flows_timed_out++;
            f->end_reason = closed ? FLOW_END_CLOSED : FLOW_END_TIMEOUT;
            flow_end(t, f);
        }
    }
}

void flow_advance_time(struct flow_table *t, int64_t now)
{
    if (now <= t->now)
        return; /* time never runs backwards (files out of order, clock steps) */
    t->now = now;
    expire(t, now); /* O(1) unless something is due: only list heads are looked at */
}

/* Evict the least recently active connection across all classes. */
static void evict_one(struct flow_table *t)
{
    struct flow *victim = NULL;
    for (int c = 0; c < TC_COUNT; c++) {
        struct flow *h = t->cls[c].head;
        if (h && (!victim || h->last_ts < victim->last_ts))
            victim = h;
    }
    if (victim) {
        lw_stats.flows_evicted++;
        victim->end_reason = FLOW_END_EVICTED;
        flow_end(t, victim);
    }
}

static struct flow *lookup(struct flow_table *t, const struct flow_key *k, uint64_t h)
{
    for (struct flow *f = t->bucket[h & (t->nbuckets - 1)]; f; f = f->hnext) {
        if (f->hash != h || f->proto != k->proto || f->vlan != k->vlan ||
            f->inner_vlan != k->inner_vlan)
            continue;
        struct flow_key fk;
        flow_key_of(f, &fk);
        if (memcmp(&fk, k, sizeof(fk)) == 0)
            return f;
    }
    return NULL;
}

/* Double the bucket array (more connections than buckets): every connection is rehashed
 * once per doubling.  Without memory for it, the table keeps working with longer chains. */
static void grow(struct flow_table *t)
{
    uint64_t n = t->nbuckets * 2;
    struct flow **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return;
    for (uint64_t i = 0; i < t->nbuckets; i++) {
        struct flow *f = t->bucket[i];
        while (f) {
            struct flow *next = f->hnext;
            struct flow **b = &nb[f->hash & (n - 1)];
            f->hnext = *b;
            *b = f;
            f = next;
        }
    }
    free(t->bucket);
    t->bucket = nb;
    t->nbuckets = n;
    lw_stats.flow_table_grown++;
}

/* The uid: the connection's key as it was first seen, its first packet time, and up to 20
 * bytes of its first transport header (a reused 5-tuple in the same microsecond still
 * differs by its sequence number): the same in any worker, for any number of workers. */
static void make_uid(const struct flow_table *t, struct flow *f, const struct l4pkt *p)
{
    struct {
        struct lw_addr a, b;
        uint16_t pa, pb, vlan, inner_vlan;
        uint8_t proto, hdr_len, pad[6];
        int64_t ts;
        uint8_t hdr[20];
    } id;
    memset(&id, 0, sizeof(id));
    id.a = f->orig_h;
    id.b = f->resp_h;
    id.pa = f->orig_p;
    id.pb = f->resp_p;
    id.vlan = f->vlan;
    id.inner_vlan = f->inner_vlan;
    id.proto = f->proto;
    id.ts = f->first_ts;
    id.hdr_len = (uint8_t)(p->l4_caplen < sizeof(id.hdr) ? p->l4_caplen : sizeof(id.hdr));
    if (p->l4)
        memcpy(id.hdr, p->l4, id.hdr_len);
    uid_derive(t->cfg.uid_seed, 'C', &id, sizeof(id), f->uid);
}

static struct flow *create(struct flow_table *t, const struct l4pkt *p, uint16_t sp, uint16_t dp,
                           bool one_way, uint64_t h)
{
    if (t->count >= t->cfg.max_flows)
        evict_one(t);
    struct flow *f = flow_alloc(t);
    if (!f)
        return NULL;
    f->hash = h;
    f->orig_h = p->src;
    f->resp_h = p->dst;
    f->orig_p = sp;
    f->resp_p = dp;
    f->proto = p->proto;
    f->ip_version = p->ip_version;
    f->vlan = p->vlan;
    f->inner_vlan = p->inner_vlan;
    f->first_ts = f->last_ts = p->ts;
    f->is_tunnel = p->proto == 4 || p->proto == 41 || p->proto == 47;
    make_uid(t, f, p);
    bool ports = p->proto == 6 || p->proto == 17 || p->proto == 1 || p->proto == 58 ||
                 p->proto == 132;
    community_id_v1(t->cfg.community_id_seed, &p->src, &p->dst, p->proto, sp, dp, ports,
                    one_way, f->community_id);

    struct flow **b = &t->bucket[h & (t->nbuckets - 1)];
    f->hnext = *b;
    *b = f;
    f->tclass = (uint8_t)flow_class(f);
    list_append(&t->cls[f->tclass], f);
    t->count++;
    lw_stats.flows_created++;
    if (t->count > t->nbuckets && t->nbuckets < FLOW_BUCKETS_MAX)
        grow(t);
    return f;
}

static void add_tunnel_parent(struct flow_tunnels *t, const char *uid)
{
    for (unsigned i = 0; i < t->nparents; i++)
        if (strcmp(t->parents[i], uid) == 0)
            return;
    if (t->nparents < FLOW_TUNNEL_PARENTS)
        snprintf(t->parents[t->nparents++], FLOW_UID_LEN, "%s", uid);
}

/* Zeek's Connection::CheckEncapsulation: a connection seen through another tunnel (or
 * none) records the change; past FLOW_MAX_TUNNEL_CHANGES only an 'X' in the history. */
void flow_note_encap(struct flow *f, const struct l4pkt *p, bool created)
{
    const char *cur = p->tunnel ? p->tunnel->uid : "";
    const char *was = f->tun ? f->tun->encap : "";
    if (strcmp(cur, was) == 0 && !created)
        return;
    if (!f->tun) {
        if (!*cur)
            return; /* created outside any tunnel: nothing to record */
        f->tun = calloc(1, sizeof(*f->tun));
        if (!f->tun)
            return;
    }
    struct flow_tunnels *t = f->tun;
    bool had = t->encap[0] != '\0';
    snprintf(t->encap, sizeof(t->encap), "%s", cur);
    if (created || !had) {
        if (*cur)
            add_tunnel_parent(t, cur);
        return;
    }
    if (++t->changes > FLOW_MAX_TUNNEL_CHANGES) {
        flow_history_once(f, true, 1u << 30, 'X');
        return;
    }
    if (*cur)
        add_tunnel_parent(t, cur);
}

/* Swap originator and responder (Zeek's FlipRoles). */
void flow_flip(struct flow *f)
{
    struct lw_addr a = f->orig_h;
    f->orig_h = f->resp_h;
    f->resp_h = a;
    uint16_t p = f->orig_p;
    f->orig_p = f->resp_p;
    f->resp_p = p;
    struct flow_ep e = f->ep[0];
    f->ep[0] = f->ep[1];
    f->ep[1] = e;
    /* History letters already written keep their case: Zeek marks the flip with '^'. */
}

/* Append a history letter: upper case for the originator. */
void flow_history_add(struct flow *f, bool is_orig, char code)
{
    if (f->hist_len >= FLOW_HISTORY_MAX)
        return;
    if (code >= 'A' && code <= 'Z' && !is_orig)
        code = (char)(code - 'A' + 'a');
    f->history[f->hist_len++] = code;
    f->history[f->hist_len] = '\0';
}

/* Letters that appear at most once per direction (Zeek's CheckHistory). */
bool flow_history_once(struct flow *f, bool is_orig, uint32_t mask, char code)
{
    struct flow_ep *e = &f->ep[is_orig ? 0 : 1];
    if (e->hist_seen & mask)
        return false;
    e->hist_seen |= mask;
    flow_history_add(f, is_orig, code);
    return true;
}

/* Is this TCP packet a copy of one of the connection's last few (a SPAN port that mirrors
 * both directions of a switch port)?  Compared: the IP header but for what a router
 * changes (TTL / hop limit, the IPv4 header checksum) and the whole TCP header, whose
 * checksum covers the payload; with the lengths, that tells a copy from another packet
 * without reading the payload. */
static bool span_duplicate(struct flow *f, const struct l4pkt *p)
{
    size_t hl = p->ip_version == 4 ? 20 : 40;
    if (!p->ip || !p->l4 || p->ip_caplen < hl || p->l4_caplen < 20)
        return false;
    uint8_t head[40];
    memcpy(head, p->ip, hl);
    if (p->ip_version == 4) {
        head[8] = 0;
        head[10] = head[11] = 0;
    } else {
        head[7] = 0;
    }
    size_t tl = (size_t)(p->l4[12] >> 4) * 4;
    if (tl < 20 || tl > p->l4_caplen)
        tl = 20;
    uint64_t h = hash_bytes(head, hl, ((uint64_t)p->ip_len << 32) | p->l4_len);
    h = hash_bytes(p->l4, tl, h);
    uint32_t digest = (uint32_t)(h ^ (h >> 32));
    uint32_t now = (uint32_t)p->ts;
    for (unsigned i = 0; i < FLOW_DUP_SLOTS; i++)
        if (f->dup[i].digest == digest && (uint32_t)(now - f->dup[i].ts) <= FLOW_DUP_USEC)
            return true;
    f->dup[f->dup_next].digest = digest;
    f->dup[f->dup_next].ts = now;
    f->dup_next = (uint8_t)((f->dup_next + 1) % FLOW_DUP_SLOTS);
    return false;
}

struct flow *flow_find(struct flow_table *t, const struct l4pkt *p, struct flow_probe *pr)
{
    packet_ports(p, &pr->sp, &pr->dp, &pr->one_way);
    make_key(&pr->key, &p->src, pr->sp, &p->dst, pr->dp, p->proto, p->vlan, p->inner_vlan);
    pr->hash = hash_bytes(&pr->key, sizeof(pr->key), t->hash_seed);
    return lookup(t, &pr->key, pr->hash);
}

struct flow *flow_create(struct flow_table *t, const struct l4pkt *p, const struct flow_probe *pr)
{
    return create(t, p, pr->sp, pr->dp, pr->one_way, pr->hash);
}

void flow_close(struct flow_table *t, struct flow *f)
{
    f->end_reason = FLOW_END_CLOSED;
    flow_end(t, f);
}

bool flow_duplicate(struct flow_table *t, struct flow *f, const struct l4pkt *p)
{
    if (t->cfg.keep_duplicates || !span_duplicate(f, p))
        return false;
    lw_stats.span_duplicates++;
    return true;
}

void flow_touch(struct flow_table *t, struct flow *f)
{
    int cls = flow_class(f);
    if (cls != f->tclass || !class_rule[cls].fixed) {
        list_remove(&t->cls[f->tclass], f);
        f->tclass = (uint8_t)cls;
        list_append(&t->cls[cls], f);
    }
}

static int by_first_ts(const void *a, const void *b)
{
    const struct flow *x = *(struct flow *const *)a, *y = *(struct flow *const *)b;
    if (x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    return strcmp(x->uid, y->uid);
}

void flow_flush(struct flow_table *t)
{
    if (!t->count)
        return;
    struct flow **all = malloc(t->count * sizeof(*all));
    size_t n = 0;
    if (!all) { /* degrade: end them in list order */
        for (int c = 0; c < TC_COUNT; c++)
            while (t->cls[c].head) {
                t->cls[c].head->end_reason = FLOW_END_INPUT;
                flow_end(t, t->cls[c].head);
            }
        return;
    }
    for (int c = 0; c < TC_COUNT; c++)
        for (struct flow *f = t->cls[c].head; f; f = f->lnext)
            all[n++] = f;
    qsort(all, n, sizeof(*all), by_first_ts);
    for (size_t i = 0; i < n; i++) {
        all[i]->end_reason = FLOW_END_INPUT;
        flow_end(t, all[i]);
    }
    free(all);
}

void flow_table_free(struct flow_table *t)
{
    if (!t)
        return;
    while (t->slabs) {
        struct flow_slab *s = t->slabs;
        t->slabs = s->next;
        free(s);
    }
    free(t->bucket);
    free(t);
}

void flow_add_service(struct flow *f, const char *service)
{
    for (unsigned i = 0; i < f->nservices; i++)
        if (strcmp(f->services[i], service) == 0)
            return;
    if (f->nservices < FLOW_MAX_SERVICES)
        f->services[f->nservices++] = service;
}

const char *flow_services(const struct flow *f, char *buf, size_t n)
{
    const char *v[FLOW_MAX_SERVICES];
    unsigned k = f->nservices;
    memcpy(v, f->services, k * sizeof(v[0]));
    for (unsigned i = 1; i < k; i++) /* insertion sort: Zeek prints the set sorted */
        for (unsigned j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            const char *x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < k; i++) {
        size_t sl = strlen(v[i]);
        if (len + sl + 2 > n)
            break;
        if (len)
            buf[len++] = ',';
        memcpy(buf + len, v[i], sl + 1);
        len += sl;
    }
    return buf;
}

bool flow_weird_first(struct flow *f, const char *name)
{
    for (unsigned i = 0; i < f->nweirds; i++)
        if (f->weirds[i] == name || strcmp(f->weirds[i], name) == 0)
            return false;
    if (f->nweirds < FLOW_WEIRDS_TRACKED)
        f->weirds[f->nweirds++] = name;
    return true;
}
