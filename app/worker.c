/* worker.c: the per-thread pipelines, and the reader that spreads packets over them
 * (see worker.h). */
#include "app/worker.h"

#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "dissect/classify.h"
#include "dissect/files.h"
#include "dissect/conn.h"
#include "dissect/flow.h"
#include "dissect/frag.h"
#include "dissect/http.h"
#include "dissect/tls.h"
#include "dissect/weird.h"
#include "output/eve.h"
#include "output/logs.h"
#include "output/store.h"

/* ---- one pipeline --------------------------------------------------------------------- */

/* ---- --extract: files wait for their transaction's verdict ---------------------------- */

struct pending_file {
    const struct flow *flow;
    struct file_info fi;            /* its own copy of the filename */
    struct file_body body;          /* taken from the file */
};

/* The file sink with --extract: keep the file (and its bytes) until on_http. */
static void on_file(void *ctx, const struct flow *f, const struct file_info *fi)
{
    struct worker *w = ctx;
    if (w->npending == w->cap_pending) {
        size_t nc = w->cap_pending ? w->cap_pending * 2 : 8;
        struct pending_file *np = realloc(w->pending, nc * sizeof(*np));
        if (!np) {
            logs_file(w->env->logs, f, fi); /* no room to wait: logged, not extracted */
            return;
        }
        w->pending = np;
        w->cap_pending = nc;
    }
    struct pending_file *p = &w->pending[w->npending++];
    p->flow = f;
    p->fi = *fi;
    p->fi.filename = fi->filename ? strdup(fi->filename) : NULL;
    p->fi.body = NULL;
    memset(&p->body, 0, sizeof(p->body));
    if (fi->body) {
        p->body = *fi->body;
        fi->body->p = NULL; /* taken: freed in the worker (files_body_free) */
        fi->body->cap = 0;
    }
}

/* Store the body of a file whose transaction raised a notice. */
static void extract(struct worker *w, struct pending_file *p, char name[65])
{
    bool cut = p->body.cut || p->fi.missing_bytes;
    if (!p->body.p || !p->body.len) {
        lw_stats.files_extract_skipped++;
        return;
    }
    bool named = !cut && p->fi.hashed && p->fi.sha256[0];
    if (!store_body(w->env->extract_dir, p->body.p, p->body.len,
                    named ? p->fi.sha256 : NULL, name)) {
        lw_stats.files_extract_skipped++;
        return;
    }
    p->fi.extracted = name;
    p->fi.extracted_cutoff = cut;
    p->fi.extracted_size = p->body.len;
}

/* Log (and with `notice`, store) the waiting files of `f` up to transaction `depth`
 * (every one with depth 0: the connection ended). */
static void release_files(struct worker *w, const struct flow *f, uint32_t depth, bool notice)
{
    size_t keep = 0;
    for (size_t i = 0; i < w->npending; i++) {
        struct pending_file *p = &w->pending[i];
        if (p->flow != f || (depth && p->fi.depth > depth)) {
            w->pending[keep++] = *p;
            continue;
        }
        char name[65];
        if (notice && p->fi.depth == depth && !p->fi.is_orig)
            extract(w, p, name);
        logs_file(w->env->logs, f, &p->fi);
        files_body_free(p->body.p, p->body.cap);
        free(p->fi.filename);
    }
    w->npending = keep;
}

/* A notice: --carve keeps the connection's frames, --extract the transaction's body. */
static void on_notice(void *ctx, const struct notice *n)
{
    struct worker *w = ctx;
    if (n->followup || !n->flow)
        return; /* the traffic has passed */
    if (w->env->carve_dir && n->rule->severity >= w->env->carve_severity)
        carve_keep((struct flow *)n->flow); /* the worker's own connection */
    if (n->flow == w->txn_flow && n->trans_depth == w->txn_depth)
        w->txn_notice = true;
}

static void on_carve(void *ctx, const struct flow *f, const struct carve_hold *h)
{
    struct worker *w = ctx;
    store_pcap(w->env->carve_dir, f, h);
}

static void on_flow_end(void *ctx, struct flow *f)
{
    struct worker *w = ctx;
    if (w->npending)
        release_files(w, f, 0, false);
    logs_conn(w->env->logs, f);
}

static void on_http(void *ctx, const struct flow *f, const struct http_txn *t)
{
    struct worker *w = ctx;
    logs_http(w->env->logs, f, t);
    w->txn_flow = f;
    w->txn_depth = t->depth;
    w->txn_notice = false;
    detect_http(w->det, f, t);
    w->txn_flow = NULL;
    if (w->npending)
        release_files(w, f, t->depth, w->txn_notice);
}

static void on_tls(void *ctx, const struct flow *f, const struct tls_info *t)
{
    struct worker *w = ctx;
    logs_ssl(w->env->logs, f, t);
    detect_tls(w->det, f, t);
}

bool worker_attach(struct worker *w, const struct worker_env *env, int id)
{
    pthread_mutex_init(&w->pub_lock, NULL);
    w->id = id;
    w->env = env;
    if (!classify_init())
        return false;
    w->det = detector_new(&env->dc);
    struct flow_config fc = {
        .max_flows = env->max_flows,
        .keep_duplicates = env->keep_duplicates,
        .uid_seed = env->uid_seed,
        .community_id_seed = env->community_id_seed,
        .on_end = on_flow_end,
        .ctx = w,
    };
    w->dec.flows = conn_table_new(&fc);
    w->dec.frags = frag_table_new();
    if (!w->det || !w->dec.flows || !w->dec.frags) {
        fprintf(stderr, "lolwire: out of memory for worker %d (try --max-flows)\n", id);
        conn_table_free(w->dec.flows);
        frag_table_free(w->dec.frags);
        detector_free(w->det);
        classify_shutdown();
        return false;
    }
    detector_add_sink(w->det, logs_notice, env->logs);
    if (env->eve)
        detector_add_sink(w->det, eve_alert, env->eve);
    if (env->carve_dir || env->extract_dir)
        detector_add_sink(w->det, on_notice, w);
    carve_set_sink(env->carve_dir ? on_carve : NULL, w);
    weird_set_sink(logs_weird, env->logs);
    http_set_sink(on_http, w);
    if (env->extract_dir)
        files_set_sink(on_file, w);
    else
        files_set_sink(logs_file, env->logs);
    tls_set_sink(on_tls, w);
    classify_set_quic_sink(logs_quic, env->logs);
    w->host_gen = hostctx_generation(env->hctx);
    return true;
}

void worker_hosts(struct worker *w)
{
    uint64_t gen = hostctx_generation(w->env->hctx);
    if (gen == w->host_gen)
        return;
    w->host_gen = gen;
    detector_retry(w->det); /* follow-up notices for what waited */
}

void worker_detach(struct worker *w)
{
    worker_hosts(w);
    flow_flush(w->dec.flows);
    conn_table_free(w->dec.flows);
    frag_table_free(w->dec.frags);
    detector_free(w->det);
    weird_set_sink(NULL, NULL);
    http_set_sink(NULL, NULL);
    files_set_sink(NULL, NULL);
    carve_set_sink(NULL, NULL);
    free(w->pending);
    w->pending = NULL;
    w->npending = w->cap_pending = 0;
    tls_set_sink(NULL, NULL);
    classify_set_quic_sink(NULL, NULL);
    classify_shutdown();
    tls_forget_certs();
    w->dec.flows = NULL;
    w->dec.frags = NULL;
    w->det = NULL;
    w->stats = lw_stats;
    memset(&lw_stats, 0, sizeof(lw_stats));
    /* its final figures: the kernel's drops are in them now (worker_run_live) */
    pthread_mutex_lock(&w->pub_lock);
    w->pub = (struct worker_snapshot){.st = w->stats};
    pthread_mutex_unlock(&w->pub_lock);
}

void worker_publish(struct worker *w)
{
    uint64_t recv = 0, drop = 0;
    if (w->cap)
        capture_stats(w->cap, &recv, &drop);
    pthread_mutex_lock(&w->pub_lock);
    w->pub.st = lw_stats;
    w->pub.active = w->dec.flows ? flow_table_count(w->dec.flows) : 0;
    w->pub.kernel_recv = recv;
    w->pub.kernel_drop = drop;
    w->pub.last_ts = w->last_ts;
    pthread_mutex_unlock(&w->pub_lock);
}

void worker_snapshot_add(struct worker *w, struct worker_snapshot *sum)
{
    pthread_mutex_lock(&w->pub_lock);
    stats_add(&sum->st, &w->pub.st);
    sum->active += w->pub.active;
    sum->kernel_recv += w->pub.kernel_recv;
    sum->kernel_drop += w->pub.kernel_drop;
    if (w->pub.last_ts > sum->last_ts)
        sum->last_ts = w->pub.last_ts;
    pthread_mutex_unlock(&w->pub_lock);
}

/* Live: publish once a second of the clock (checked every 1024 packets and when idle). */
static void publish_live(struct worker *w)
{
    int64_t now = wall_clock_us();
    if (now - w->pub_at >= 1000000) {
        w->pub_at = now;
        worker_publish(w);
    }
}

static void worker_run_live(struct worker *w)
{
    struct packet pkt;
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        enum capture_status st = capture_next(w->cap, &pkt);
        if (st == CAPTURE_PACKET) {
            decode_packet(&w->dec, &pkt);
            w->last_ts = pkt.ts_us;
            if ((++w->since_hosts & 1023) == 0) {
                worker_hosts(w); /* a busy link never idles */
                publish_live(w);
            }
            continue;
        }
        if (st != CAPTURE_IDLE) {
            if (st == CAPTURE_ERROR) {
                fprintf(stderr, "lolwire: %s: %s (worker %d stops)\n", capture_name(w->cap),
                        capture_error(w->cap), w->id);
                lw_stats.capture_errors++;
            }
            break;
        }
        /* quiet: wall-clock time expires idle connections; host events may have come */
        flow_advance_time(w->dec.flows, wall_clock_us());
        worker_hosts(w);
        publish_live(w);
    }
    uint64_t recv, drop;
    if (capture_stats(w->cap, &recv, &drop)) {
        lw_stats.capture_drops += drop;
        lw_stats.capture_received += recv;
    }
}

/* ---- the reader's rings --------------------------------------------------------------- */

/* A batch holds any packet libpcap hands out (its largest snap length is 256 KiB). */
_Static_assert(SPREAD_BATCH_BYTES >= 262144, "a batch must hold the largest packet");

/* A batch of packets copied out of libpcap's buffer. */
struct batch {
    uint32_t n;                     /* packets */
    uint32_t used;                  /* bytes of data[] */
    int64_t now;                    /* the reader's packet time when handed over */
    bool last;                      /* the input ended: flush and stop */
    struct {
        int64_t ts_us;
        uint32_t caplen, wirelen, off;
        int linktype;
    } pk[SPREAD_BATCH_PACKETS];
    uint8_t data[SPREAD_BATCH_BYTES];
};

/* Single producer (the reader), single consumer (the worker): slots go round; `ready`
 * counts batches handed over, `room` free slots. */
struct ring {
    struct batch *slot[SPREAD_RING_BATCHES];
    sem_t ready, room;
    unsigned put, take;             /* the producer's and the consumer's slot counters */
    struct batch *cur;              /* the reader's batch being filled, or NULL */
};

struct spread {
    int n;                          /* workers: 0 is the reading thread itself */
    struct worker *w;
    struct ring *rings;             /* rings[i] feeds w[i], i >= 1 */
    uint8_t slice[256];             /* the worker of each 256th of the hash space */
    int64_t now;                    /* latest packet time read */
    int64_t flushed_at;             /* packet time of the last spread_flush */
    bool started[WORKERS_MAX];
};

static struct batch *ring_claim(struct ring *r)
{
    if (!r->cur) {
        sem_wait(&r->room);
        r->cur = r->slot[r->put % SPREAD_RING_BATCHES];
        r->cur->n = r->cur->used = 0;
        r->cur->last = false;
    }
    return r->cur;
}

static void ring_hand_over(struct ring *r, int64_t now, bool last)
{
    struct batch *b = ring_claim(r);
    b->now = now;
    b->last = last;
    r->cur = NULL;
    r->put++;
    sem_post(&r->ready);
}

/* Take batches from the ring until the last one. */
static void worker_run_ring(struct worker *w)
{
    struct ring *r = w->ring;
    for (;;) {
        sem_wait(&r->ready);
        struct batch *b = r->slot[r->take % SPREAD_RING_BATCHES];
        for (uint32_t i = 0; i < b->n; i++) {
            struct packet p = {
                .ts_us = b->pk[i].ts_us,
                .caplen = b->pk[i].caplen,
                .wirelen = b->pk[i].wirelen,
                .data = b->data + b->pk[i].off,
                .linktype = b->pk[i].linktype,
            };
            decode_packet(&w->dec, &p);
        }
        if (b->now)
            flow_advance_time(w->dec.flows, b->now);
        worker_hosts(w);
        worker_publish(w);
        bool last = b->last;
        r->take++;
        sem_post(&r->room);
        if (last)
            break;
    }
}

/* Thread start: attach in the worker's own thread (nDPI and sinks are per thread), tell
 * the starter how it went, run, detach. */
struct start {
    struct worker *w;
    const struct worker_env *env;
    sem_t done;
    bool ok;
};

static void *worker_thread(void *arg)
{
    struct start *st = arg;
    struct worker *w = st->w;
    st->ok = worker_attach(w, st->env, w->id);
    bool ok = st->ok;
    sem_post(&st->done); /* `st` is the starter's: not touched after this */
    if (!ok)
        return NULL;
    if (w->cap)
        worker_run_live(w);
    else
        worker_run_ring(w);
    worker_detach(w);
    atomic_store(&w->done, 1);
    return NULL;
}

bool worker_spawn(struct worker *w, const struct worker_env *env, int id)
{
    struct start st = {.w = w, .env = env};
    w->id = id;
    sem_init(&st.done, 0, 0);
    if (pthread_create(&w->thread, NULL, worker_thread, &st) != 0) {
        fprintf(stderr, "lolwire: cannot start worker thread %d\n", id);
        sem_destroy(&st.done);
        return false;
    }
    sem_wait(&st.done);
    sem_destroy(&st.done);
    if (!st.ok)
        pthread_join(w->thread, NULL);
    return st.ok;
}

static void spread_free(struct spread *s)
{
    for (int i = 1; i < s->n; i++) {
        struct ring *r = &s->rings[i];
        for (int k = 0; k < SPREAD_RING_BATCHES; k++)
            free(r->slot[k]);
        sem_destroy(&r->ready);
        sem_destroy(&r->room);
    }
    free(s->rings);
    free(s->w);
    free(s);
}

/* Share the hash space out: the reading thread (worker 0) also reads and copies, so it
 * takes SPREAD_READER_SHARE percent of a fair share; the others split the rest. */
static void make_slices(struct spread *s)
{
    unsigned own = (256u * SPREAD_READER_SHARE / 100u) / (unsigned)s->n, k = 0;
    for (; k < own; k++)
        s->slice[k] = 0;
    for (unsigned i = 0; k < 256; k++, i++)
        s->slice[k] = (uint8_t)(1 + i % (unsigned)(s->n - 1));
}

struct spread *spread_start(const struct worker_env *env, int n)
{
    struct spread *s = calloc(1, sizeof(*s));
    if (!s || n < 2 || n > WORKERS_MAX)
        goto nomem;
    s->n = n;
    s->w = calloc((size_t)n, sizeof(*s->w));
    s->rings = calloc((size_t)n, sizeof(*s->rings));
    if (!s->w || !s->rings)
        goto nomem;
    for (int i = 1; i < n; i++) {
        struct ring *r = &s->rings[i];
        sem_init(&r->ready, 0, 0);
        sem_init(&r->room, 0, SPREAD_RING_BATCHES);
        for (int k = 0; k < SPREAD_RING_BATCHES; k++)
            if (!(r->slot[k] = malloc(sizeof(struct batch))))
                goto nomem;
    }
    make_slices(s);
    if (!worker_attach(&s->w[0], env, 0)) {
        spread_free(s);
        return NULL;
    }
    s->started[0] = true;
    for (int i = 1; i < n; i++) {
        s->w[i].ring = &s->rings[i];
        if (!worker_spawn(&s->w[i], env, i)) {
            spread_stop(s, NULL);
            return NULL;
        }
        s->started[i] = true;
    }
    return s;
nomem:
    fprintf(stderr, "lolwire: out of memory for %d workers\n", n);
    if (s)
        spread_free(s);
    return NULL;
}

void spread_packet(struct spread *s, const struct packet *p)
{
    uint64_t h = decode_spread_hash(p);
    int i = s->slice[h >> 56];
    if (p->ts_us > s->now)
        s->now = p->ts_us;
    if (i == 0) {
        decode_packet(&s->w[0].dec, p); /* the reading thread's own share: no copy */
    } else {
        struct ring *r = &s->rings[i];
        struct batch *b = ring_claim(r);
        uint32_t len = p->caplen;
        if (b->n == SPREAD_BATCH_PACKETS || b->used + len > SPREAD_BATCH_BYTES) {
            ring_hand_over(r, s->now, false);
            b = ring_claim(r);
        }
        b->pk[b->n].ts_us = p->ts_us;
        b->pk[b->n].caplen = len;
        b->pk[b->n].wirelen = p->wirelen;
        b->pk[b->n].off = b->used;
        b->pk[b->n].linktype = p->linktype;
        memcpy(b->data + b->used, p->data, len);
        b->used += len;
        b->n++;
    }
    /* once a second of packet time, every worker hears the time, so that a worker
     * without packets still ends its idle connections */
    if (s->now - s->flushed_at >= SPREAD_TICK_USEC)
        spread_flush(s);
}

void spread_snapshot_add(struct spread *s, struct worker_snapshot *sum)
{
    sum->active += s->w[0].dec.flows ? flow_table_count(s->w[0].dec.flows) : 0;
    for (int i = 1; i < s->n; i++)
        if (s->started[i])
            worker_snapshot_add(&s->w[i], sum);
}

void spread_flush(struct spread *s)
{
    for (int i = 1; i < s->n; i++)
        ring_hand_over(&s->rings[i], s->now, false);
    flow_advance_time(s->w[0].dec.flows, s->now);
    worker_hosts(&s->w[0]);
    s->flushed_at = s->now;
}

void spread_stop(struct spread *s, struct lw_stats *each)
{
    for (int i = 1; i < s->n; i++)
        if (s->started[i])
            ring_hand_over(&s->rings[i], s->now, true);
    if (s->started[0]) {
        worker_detach(&s->w[0]); /* while the others finish theirs */
        if (each)
            each[0] = s->w[0].stats;
    }
    for (int i = 1; i < s->n; i++) {
        if (!s->started[i])
            continue;
        pthread_join(s->w[i].thread, NULL);
        if (each)
            each[i] = s->w[i].stats;
    }
    spread_free(s);
}
