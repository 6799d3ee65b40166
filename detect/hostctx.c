/* hostctx.c: the correlation store (see hostctx.h). */
#define _GNU_SOURCE /* strcasestr */
#include "detect/hostctx.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/stats.h"
#include "core/util.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "dissect/tls.h"

#define NONE UINT32_MAX

/* ---- string-keyed map: key -> event index (the newest wins) --------------------------- */

struct ment {
    struct ment *next;
    uint64_t h;
    uint32_t idx;
    char key[];
};

struct smap {
    struct ment **b;
    size_t nb, n;
};

static uint64_t hkey(const char *k)
{
    return hash_bytes(k, strlen(k), 0x686f7374u);
}

static void smap_put(struct smap *m, const char *key, uint32_t idx)
{
    if (m->n >= m->nb) {
        size_t nb = m->nb ? m->nb * 2 : 1024;
        struct ment **b = calloc(nb, sizeof(*b));
        if (!b)
            return;
        for (size_t i = 0; i < m->nb; i++)
            for (struct ment *e = m->b[i], *nx; e; e = nx) {
                nx = e->next;
                e->next = b[e->h & (nb - 1)];
                b[e->h & (nb - 1)] = e;
            }
        free(m->b);
        m->b = b;
        m->nb = nb;
    }
    uint64_t h = hkey(key);
    for (struct ment *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->h == h && strcmp(e->key, key) == 0) {
            e->idx = idx;
            return;
        }
    size_t kl = strlen(key);
    struct ment *e = malloc(sizeof(*e) + kl + 1);
    if (!e)
        return;
    e->h = h;
    e->idx = idx;
    memcpy(e->key, key, kl + 1);
    e->next = m->b[h & (m->nb - 1)];
    m->b[h & (m->nb - 1)] = e;
    m->n++;
}

static uint32_t smap_get(const struct smap *m, const char *key)
{
    if (!m->nb)
        return NONE;
    uint64_t h = hkey(key);
    for (struct ment *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->h == h && strcmp(e->key, key) == 0)
            return e->idx;
    return NONE;
}

static void smap_del(struct smap *m, const char *key)
{
    if (!m->nb)
        return;
    uint64_t h = hkey(key);
    for (struct ment **pp = &m->b[h & (m->nb - 1)]; *pp; pp = &(*pp)->next)
        if ((*pp)->h == h && strcmp((*pp)->key, key) == 0) {
            struct ment *e = *pp;
            *pp = e->next;
            free(e);
            m->n--;
            return;
        }
}

/* Remove `key` only if it still names event `idx` (a newer event may own it now). */
static void smap_del_if(struct smap *m, const char *key, uint32_t idx)
{
    if (smap_get(m, key) == idx)
        smap_del(m, key);
}

static void smap_free(struct smap *m)
{
    for (size_t i = 0; i < m->nb; i++)
        for (struct ment *e = m->b[i], *nx; e; e = nx) {
            nx = e->next;
            free(e);
        }
    free(m->b);
    memset(m, 0, sizeof(*m));
}

/* ---- the store ------------------------------------------------------------------------- */

struct hostclock {
    bool known;
    int64_t offset;             /* host clock - packet clock */
    uint32_t samples;
};

struct flowattr {
    bool found;
    uint64_t tried_at;          /* the store's generation when the 5-tuple was last tried */
    struct attribution a;       /* its strings are the copies below */
    char *own[10];
};

static void flowattr_free(struct flowattr *fa);

struct hostctx {
    /* The reader thread adds (--follow) while workers ask: every public function holds
     * the lock.  Attributions hand out their own copies, so a caller reads them after
     * the lock is released; only the connection's worker forgets them. */
    pthread_mutex_t lock;
    _Atomic uint64_t added;     /* events added, for hostctx_generation() */
    struct hostev *ev;
    uint32_t n, cap;
    uint32_t max;               /* events kept (HOSTCTX_MAX_EVENTS) */
    uint32_t oldest;            /* once full: the slot the next event replaces */
    uint32_t expired;           /* not yet full: slots before this one have expired */
    uint64_t generation;        /* events added (the store changes when it grows) */
    int64_t *read_at;           /* per slot: packet time when the event was read (0: before
                                 * any traffic) */
    int64_t now, first_now;     /* latest and first packet time seen */
    struct smap procs;          /* "host|guid" -> process start */
    struct smap tuples;         /* "proto|src|sport|dst|dport" -> network connect */
    struct smap urls;           /* URL -> process start / installer / BITS event */
    struct smap host_urls;      /* URL -> file stream event (Zone.Identifier HostUrl) */
    struct smap hashes;         /* sha256 -> file stream event */
    struct smap ran;            /* sha256 of a process image -> process start */
    struct smap dns;            /* "answer|name" -> DNS query */
    struct smap host_ips;       /* client address -> an event of that host */
    struct smap clocks;         /* host -> index into clock[] */
    struct hostclock *clock;
    uint32_t nclock, clockcap;
    struct smap flows;          /* uid -> index into fa[] */
    struct flowattr **fa;
    uint32_t nfa, facap;
    uint32_t *free_slots;       /* slots of fa[] released by hostctx_forget */
    uint32_t nfree;
};

struct hostctx *hostctx_new_capped(uint32_t max_events)
{
    struct hostctx *h = calloc(1, sizeof(struct hostctx));
    if (h) {
        h->max = max_events ? max_events : 1;
        pthread_mutex_init(&h->lock, NULL);
    }
    return h;
}

struct hostctx *hostctx_new(void)
{
    return hostctx_new_capped(HOSTCTX_MAX_EVENTS);
}

void hostctx_free(struct hostctx *h)
{
    if (!h)
        return;
    for (uint32_t i = 0; i < h->n; i++)
        hostev_clear(&h->ev[i]);
    free(h->ev);
    struct smap *maps[] = {&h->procs, &h->tuples, &h->urls, &h->host_urls, &h->hashes, &h->ran,
                           &h->dns, &h->host_ips, &h->clocks, &h->flows};
    for (size_t i = 0; i < ARRAY_LEN(maps); i++)
        smap_free(maps[i]);
    free(h->clock);
    free(h->read_at);
    for (uint32_t i = 0; i < h->nfa; i++)
        flowattr_free(h->fa[i]);
    free(h->fa);
    free(h->free_slots);
    free(h);
}

size_t hostctx_events(struct hostctx *h)
{
    if (!h)
        return 0;
    pthread_mutex_lock(&h->lock);
    size_t n = h->n;
    pthread_mutex_unlock(&h->lock);
    return n;
}

uint64_t hostctx_generation(struct hostctx *h)
{
    return h ? atomic_load_explicit(&h->added, memory_order_acquire) : 0;
}

static void tuple_key(char *out, size_t n, uint8_t proto, const struct lw_addr *s,
                      uint16_t sp, const struct lw_addr *d, uint16_t dp)
{
    char a[LW_ADDR_STRLEN], b[LW_ADDR_STRLEN];
    addr_format(s, a);
    addr_format(d, b);
    snprintf(out, n, "%u|%s|%u|%s|%u", proto, a, sp, b, dp);
}

/* "answer|name" for the DNS index, the name lower-cased. */
static void dns_key(char *out, size_t n, const struct lw_addr *answer, const char *name)
{
    char a[LW_ADDR_STRLEN];
    addr_format(answer, a);
    snprintf(out, n, "%s|%s", a, name);
    for (char *q = strchr(out, '|'); q && *q; q++)
        *q = (char)tolower((unsigned char)*q);
}

/* Lower-case scheme and host, no default port, no fragment: "http://h/p?q". */
static void url_norm(char *out, size_t n, const char *url, size_t len)
{
    size_t k = 0, i = 0;
    const char *sep = NULL;
    for (size_t j = 0; j + 2 < len; j++)
        if (url[j] == ':' && url[j + 1] == '/' && url[j + 2] == '/') {
            sep = url + j;
            break;
        }
    if (!sep || n < 16) {
        snprintf(out, n, "%.*s", (int)(len < n - 1 ? len : n - 1), url);
        return;
    }
    size_t slen = (size_t)(sep - url);
    for (; i < slen && k + 1 < n; i++)
        out[k++] = (char)tolower((unsigned char)url[i]);
    bool https = slen == 5;
    i = slen + 3;
    k += (size_t)snprintf(out + k, n - k, "://");
    size_t hs = i;
    while (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
        i++;
    size_t he = i;
    /* strip a default port */
    const char *colon = memchr(url + hs, ':', he - hs);
    if (colon && ((!https && he - (size_t)(colon - url) == 3 && memcmp(colon, ":80", 3) == 0) ||
                  (https && he - (size_t)(colon - url) == 4 && memcmp(colon, ":443", 4) == 0)))
        he = (size_t)(colon - url);
    for (size_t j = hs; j < he && k + 1 < n; j++)
        out[k++] = (char)tolower((unsigned char)url[j]);
    if (i >= len || url[i] != '/')
        if (k + 1 < n)
            out[k++] = '/';
    while (i < len && url[i] != '#' && k + 1 < n)
        out[k++] = url[i++];
    out[k] = '\0';
}

/* Every http(s):// URL in a command line, into (or out of) the URL index. */
static void index_cmdline_urls(struct hostctx *h, const char *cmd, uint32_t idx, bool add)
{
    const char *p = cmd;
    while (p && (p = strcasestr(p, "http"))) {
        if (strncasecmp(p, "http://", 7) != 0 && strncasecmp(p, "https://", 8) != 0) {
            p += 4;
            continue;
        }
        size_t n = strcspn(p, " \t\"'<>|)^`");
        char u[2048];
        url_norm(u, sizeof(u), p, n);
        if (add)
            smap_put(&h->urls, u, idx);
        else
            smap_del_if(&h->urls, u, idx);
        p += n;
    }
}

/* Put event `idx` into its indexes (add) or take it out (before it is evicted). */
static void index_event(struct hostctx *h, uint32_t idx, bool add)
{
    const struct hostev *s = &h->ev[idx];
    const char *host = s->computer ? s->computer : "";
    char key[2200];
#define PUT(map, k) (add ? smap_put(map, k, idx) : smap_del_if(map, k, idx))
    switch (s->kind) {
    case HEV_PROCESS:
        snprintf(key, sizeof(key), "%s|%s", host, s->guid);
        PUT(&h->procs, key);
        if (s->sha256[0])
            PUT(&h->ran, s->sha256);
        if (s->command_line)
            index_cmdline_urls(h, s->command_line, idx, add);
        break;
    case HEV_NETCONN: {
        tuple_key(key, sizeof(key), s->proto, &s->src, s->sport, &s->dst, s->dport);
        PUT(&h->tuples, key);
        char a[LW_ADDR_STRLEN];
        addr_format(&s->src, a);
        PUT(&h->host_ips, a);
        break;
    }
    case HEV_DNS:
        for (unsigned i = 0; s->query && i < s->nanswers; i++) {
            dns_key(key, sizeof(key), &s->answers[i], s->query);
            PUT(&h->dns, key);
        }
        break;
    case HEV_FILE_STREAM:
        if (s->host_url) {
            url_norm(key, sizeof(key), s->host_url, strlen(s->host_url));
            PUT(&h->host_urls, key);
        }
        if (s->sha256[0])
            PUT(&h->hashes, s->sha256);
        break;
    case HEV_INSTALLER_URL:
    case HEV_BITS_URL:
        if (s->url) {
            url_norm(key, sizeof(key), s->url, strlen(s->url));
            if (!add)
                smap_del_if(&h->urls, key, idx);
            else if (smap_get(&h->urls, key) == NONE)   /* a command line says more */
                smap_put(&h->urls, key, idx);
        }
        break;
    default:
        break;
    }
#undef PUT
}

static void add_locked(struct hostctx *h, const struct hostev *e)
{
    if (e->kind == HEV_OTHER || (e->kind == HEV_NETCONN && (!e->has_tuple || !e->initiated)))
        return;
    uint32_t idx;
    if (h->n == h->max) {
        /* Full: the oldest event makes room (attributions keep their own copies). */
        idx = h->oldest;
        index_event(h, idx, false);
        hostev_clear(&h->ev[idx]);
        h->oldest = (h->oldest + 1) % h->max;
        h->generation++;
        lw_stats.hostctx_evicted++;
    } else {
        if (h->n == h->cap) {
            uint32_t nc = h->cap ? h->cap * 2 : 1024;
            if (nc > h->max)
                nc = h->max;
            struct hostev *ne = realloc(h->ev, (size_t)nc * sizeof(*ne));
            if (ne)
                h->ev = ne;
            int64_t *nr = ne ? realloc(h->read_at, (size_t)nc * sizeof(*nr)) : NULL;
            if (nr)
                h->read_at = nr;
            if (!ne || !nr) {
                lw_stats.hostctx_dropped++;
                return;
            }
            h->cap = nc;
        }
        idx = h->n++;
    }
    h->read_at[idx] = h->now;
    if (!hostev_copy(&h->ev[idx], e)) {
        memset(&h->ev[idx], 0, sizeof(h->ev[idx]));
        lw_stats.hostctx_dropped++;
        return;
    }
    index_event(h, idx, true);
}

/* Packet time moved on: events past HOSTCTX_TTL leave, oldest first. */
static void expire(struct hostctx *h, int64_t now)
{
    if (now <= h->now)
        return;
    if (!h->first_now)
        h->first_now = now;
    h->now = now;
    for (uint32_t steps = 0; steps < h->n; steps++) {
        /* the oldest slot: the ring's head once full, else slot 0 onwards */
        uint32_t idx = h->n == h->max ? h->oldest : h->expired;
        if (idx >= h->n)
            break;
        if (h->ev[idx].kind) {
            int64_t at = h->read_at[idx] ? h->read_at[idx] : h->first_now;
            if (now - at <= HOSTCTX_TTL)
                break;
            index_event(h, idx, false);
            hostev_clear(&h->ev[idx]);
            h->generation++;
            lw_stats.hostctx_expired++;
        }
        if (h->n == h->max)
            h->oldest = (h->oldest + 1) % h->max;
        else
            h->expired++;
    }
}

/* ---- attribution ------------------------------------------------------------------------ */

static struct hostclock *clock_of(struct hostctx *h, const char *host)
{
    uint32_t i = smap_get(&h->clocks, host ? host : "");
    if (i != NONE)
        return &h->clock[i];
    if (h->nclock == h->clockcap) {
        uint32_t nc = h->clockcap ? h->clockcap * 2 : 16;
        struct hostclock *c = realloc(h->clock, nc * sizeof(*c));
        if (!c)
            return NULL;
        h->clock = c;
        h->clockcap = nc;
    }
    memset(&h->clock[h->nclock], 0, sizeof(h->clock[0]));
    smap_put(&h->clocks, host ? host : "", h->nclock);
    return &h->clock[h->nclock++];
}

/* Is an event at host time `ts` plausible for a connection at packet time `pkt`? */
static bool in_time(struct hostctx *h, const struct hostev *e, int64_t pkt)
{
    if (!e->ts)
        return true;
    struct hostclock *c = clock_of(h, e->computer);
    int64_t dt = e->ts - pkt;
    if (c && c->known)
        return llabs(dt - c->offset) <= HOSTCTX_OFFSET_SLACK;
    return llabs(dt) <= HOSTCTX_TUPLE_WINDOW;
}

static void learn_clock(struct hostctx *h, const struct hostev *e, int64_t pkt)
{
    struct hostclock *c = e->ts ? clock_of(h, e->computer) : NULL;
    if (!c)
        return;
    int64_t dt = e->ts - pkt;
    if (!c->known) {
        c->known = true;
        c->offset = dt;
    } else {
        /* running mean of the confident matches */
        c->offset += (dt - c->offset) / (int64_t)(c->samples + 1);
    }
    c->samples++;
}

/* The process start of the process that logged `e`, or `e` itself. */
static const struct hostev *process_of(struct hostctx *h, const struct hostev *e)
{
    if (e->kind == HEV_PROCESS || !e->guid[0])
        return e;
    char key[256];
    snprintf(key, sizeof(key), "%s|%s", e->computer ? e->computer : "", e->guid);
    uint32_t i = smap_get(&h->procs, key);
    return i == NONE ? e : &h->ev[i];
}

/* Which host is the client address? (NULL when no network event says) */
static const char *host_of_addr(struct hostctx *h, const struct lw_addr *a)
{
    char s[LW_ADDR_STRLEN];
    addr_format(a, s);
    uint32_t i = smap_get(&h->host_ips, s);
    return i == NONE ? NULL : h->ev[i].computer;
}

static bool same_host(const char *a, const char *b)
{
    return !a || !b || strcasecmp(a, b) == 0;
}

const char *hostctx_file_name(const char *path)
{
    const char *b = strrchr(path, '\\');
    const char *s = strrchr(path, '/');
    if (s > b)
        b = s;
    return b ? b + 1 : path;
}

static bool is_svchost(const char *image)
{
    return image && strcasecmp(hostctx_file_name(image), "svchost.exe") == 0;
}

/* Make the attribution's strings its own (events can be evicted while it lives). */
static void own_strings(struct flowattr *fa)
{
    const char **f[] = {&fa->a.host, &fa->a.image, &fa->a.command_line, &fa->a.parent_image,
                        &fa->a.user, &fa->a.guid, &fa->a.file, &fa->a.file_image,
                        &fa->a.ran_image, &fa->a.ran_parent};
    for (size_t i = 0; i < ARRAY_LEN(f); i++) {
        if (*f[i] == fa->own[i])
            continue;
        char *c = *f[i] ? strdup(*f[i]) : NULL;
        free(fa->own[i]);
        fa->own[i] = c;
        *f[i] = c;
    }
}

static void flowattr_free(struct flowattr *fa)
{
    if (!fa)
        return;
    for (size_t i = 0; i < ARRAY_LEN(fa->own); i++)
        free(fa->own[i]);
    free(fa);
}

static void fill(struct attribution *a, const struct hostev *p, const struct hostev *orig,
                 const char *match, struct hostctx *h)
{
    a->host = p->computer ? p->computer : orig->computer;
    a->image = p->image ? p->image : orig->image;
    a->command_line = p->command_line;
    a->parent_image = p->parent_image;
    a->user = p->user ? p->user : orig->user;
    a->guid = p->guid[0] ? p->guid : orig->guid[0] ? orig->guid : NULL;
    a->pid = p->pid ? p->pid : orig->pid;
    a->match = match;
    struct hostclock *c = clock_of(h, a->host);
    a->clock_offset = c && c->known ? c->offset : 0;
}

static struct flowattr *flow_slot(struct hostctx *h, const struct flow *f, bool *fresh)
{
    uint32_t i = smap_get(&h->flows, f->uid);
    *fresh = i == NONE;
    if (i != NONE && i < h->nfa && h->fa[i])
        return h->fa[i];
    /* reuse a released slot or grow */
    uint32_t slot;
    if (h->nfree) {
        slot = h->free_slots[--h->nfree];
    } else {
        if (h->nfa == h->facap) {
            uint32_t nc = h->facap ? h->facap * 2 : 256;
            struct flowattr **n = realloc(h->fa, nc * sizeof(*n));
            uint32_t *fs = realloc(h->free_slots, nc * sizeof(*fs));
            if (fs)
                h->free_slots = fs;
            if (!n || !fs) {
                if (n)
                    h->fa = n;
                return NULL;
            }
            h->fa = n;
            h->facap = nc;
        }
        slot = h->nfa++;
    }
    h->fa[slot] = calloc(1, sizeof(struct flowattr));
    if (!h->fa[slot])
        return NULL;
    smap_put(&h->flows, f->uid, slot);
    *fresh = true;
    return h->fa[slot];
}

/* The request's URL, normalised as the URL index keys are. */
static void http_url(char *out, size_t n, const struct flow *f, const struct http_txn *t)
{
    char raw[2048];
    http_txn_url(t, &f->resp_h, raw, sizeof(raw));
    url_norm(out, n, raw, strlen(raw));
}

void hostctx_add(void *ctx, const struct hostev *e)
{
    struct hostctx *h = ctx;
    pthread_mutex_lock(&h->lock);
    add_locked(h, e);
    pthread_mutex_unlock(&h->lock);
    atomic_fetch_add_explicit(&h->added, 1, memory_order_release);
}

static const struct attribution *attribute_locked(struct hostctx *h, const struct flow *f,
                                                  const struct http_txn *t,
                                                  const struct tls_info *tls)
{
    if (h->n == 0)
        return NULL;
    expire(h, f->last_ts > f->first_ts ? f->last_ts : f->first_ts);
    bool fresh;
    struct flowattr *fa = flow_slot(h, f, &fresh);
    if (!fa)
        return NULL;
    char key[2200];
    uint64_t gen = h->generation + h->n;
    if (fresh || (!fa->found && fa->tried_at != gen)) {
        /* 1. the 5-tuple (again when events arrived since: host events may come late) */
        fa->tried_at = gen;
        tuple_key(key, sizeof(key), f->proto, &f->orig_h, f->orig_p, &f->resp_h, f->resp_p);
        uint32_t i = smap_get(&h->tuples, key);
        if (i != NONE && in_time(h, &h->ev[i], f->first_ts)) {
            learn_clock(h, &h->ev[i], f->first_ts);
            fill(&fa->a, process_of(h, &h->ev[i]), &h->ev[i], "tuple", h);
            fa->found = true;
            lw_stats.hostctx_attributed++;
        }
    }
    /* 2. the URL (also when the tuple names svchost: BITS jobs run there) */
    if (t && t->uri && (!fa->found || is_svchost(fa->a.image))) {
        http_url(key, sizeof(key), f, t);
        uint32_t i = smap_get(&h->urls, key);
        const struct hostev *e = i == NONE ? NULL : &h->ev[i];
        if (e && in_time(h, e, f->first_ts) &&
            same_host(host_of_addr(h, &f->orig_h), e->computer)) {
            bool had = fa->found;
            const char *m = e->kind == HEV_PROCESS       ? "url"
                            : e->kind == HEV_BITS_URL    ? "bits-url"
                                                         : "installer-url";
            fill(&fa->a, process_of(h, e), e, m, h);
            if (e->kind == HEV_INSTALLER_URL && !fa->a.image)
                fa->a.image = "msiexec.exe";
            fa->found = true;
            if (!had)
                lw_stats.hostctx_attributed++;
        }
    }
    /* 3. TLS: the SNI in a DNS query of the same host, answered with the server address */
    if (!fa->found && tls && tls->server_name) {
        dns_key(key, sizeof(key), &f->resp_h, tls->server_name);
        uint32_t i = smap_get(&h->dns, key);
        const struct hostev *e = i == NONE ? NULL : &h->ev[i];
        if (e && in_time(h, e, f->first_ts) &&
            same_host(host_of_addr(h, &f->orig_h), e->computer)) {
            fill(&fa->a, process_of(h, e), e, "dns", h);
            fa->found = true;
            lw_stats.hostctx_attributed++;
        }
    }
    /* A file written from this download: its Zone.Identifier HostUrl, or its hash. */
    if (t && t->uri && !fa->a.file) {
        http_url(key, sizeof(key), f, t);
        uint32_t i = smap_get(&h->host_urls, key);
        const struct http_file_ref *r = t->nfiles[1] ? &t->files[1][0] : NULL;
        if (i == NONE && r && r->sum && r->sum->hashed)
            i = smap_get(&h->hashes, r->sum->sha256);
        if (i != NONE) {
            fa->a.file = h->ev[i].target;
            fa->a.file_image = h->ev[i].image;
            if (!fa->found) {
                fill(&fa->a, process_of(h, &h->ev[i]), &h->ev[i], "file", h);
                fa->a.file = h->ev[i].target;
                fa->a.file_image = h->ev[i].image;
                fa->found = true;
                lw_stats.hostctx_attributed++;
            }
        }
    }
    /* The download run as a process (its image hash), wherever it was written. */
    if (t && !fa->a.ran_image && t->nfiles[1] && t->files[1][0].sum &&
        t->files[1][0].sum->hashed) {
        uint32_t i = smap_get(&h->ran, t->files[1][0].sum->sha256);
        if (i != NONE) {
            fa->a.ran_image = h->ev[i].image;
            fa->a.ran_parent = h->ev[i].parent_image;
            if (!fa->found) {
                fill(&fa->a, &h->ev[i], &h->ev[i], "ran", h);
                fa->a.ran_image = h->ev[i].image;
                fa->a.ran_parent = h->ev[i].parent_image;
                fa->found = true;
                lw_stats.hostctx_attributed++;
            }
        }
    }
    own_strings(fa);
    return fa->found ? &fa->a : NULL;
}

const struct attribution *hostctx_attribute(struct hostctx *h, const struct flow *f,
                                            const struct http_txn *t,
                                            const struct tls_info *tls)
{
    if (!h)
        return NULL;
    pthread_mutex_lock(&h->lock);
    const struct attribution *a = attribute_locked(h, f, t, tls);
    pthread_mutex_unlock(&h->lock);
    return a;
}

void hostctx_forget(struct hostctx *h, const struct flow *f)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    uint32_t i = h->nfa ? smap_get(&h->flows, f->uid) : NONE;
    if (i != NONE && i < h->nfa && h->fa[i]) {
        flowattr_free(h->fa[i]);
        h->fa[i] = NULL;
        h->free_slots[h->nfree++] = i;
        smap_del(&h->flows, f->uid);
    }
    pthread_mutex_unlock(&h->lock);
}
