/* worker.h: one worker owns one pipeline: decoder, connection table, fragment and TCP
 * reassembly, nDPI, detection and counters, all touched by its thread alone.
 *
 *   files:  main thread: read, spread hash --> its own share: worker 0, in place
 *                                          --> ring of packet batches --> worker thread 1..N-1
 *   live:   one socket per worker in a PACKET_FANOUT (hash) group  --> worker thread (xN)
 *   --threads 1: the main thread reads and is the only worker, with no ring.
 *
 * What workers share is written under a lock and seldom: the logs (a record at a time),
 * the EVE file, the host event store and the flowless weird sample.  Connections are
 * pinned to a worker by their outermost address pair (decode_spread_hash), so a
 * connection, its fragments and what it tunnels meet in one worker; uids derive from the
 * connection, so the logs are the same, up to line order, for any number of workers.
 */
#ifndef LW_APP_WORKER_H
#define LW_APP_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"
#include "core/stats.h"
#include "dissect/decode.h"
#include "detect/detect.h"

struct logs;
struct eve;
struct hostctx;
struct ring;

/* What every worker reads; fixed while they run. */
struct worker_env {
    struct logs *logs;
    struct eve *eve;                /* or NULL */
    struct hostctx *hctx;           /* or NULL */
    struct detect_config dc;
    uint64_t uid_seed;
    uint32_t max_flows;             /* each worker's share of --max-flows */
    bool keep_duplicates;
    uint16_t community_id_seed;
    const char *carve_dir;          /* --carve, or NULL */
    enum severity carve_severity;
    const char *extract_dir;        /* --extract, or NULL */
};

struct pending_file;

/* A worker's figures as of its last publication, for stats.log (any thread may read). */
struct worker_snapshot {
    struct lw_stats st;
    uint64_t active;                /* connections in its table */
    uint64_t kernel_recv, kernel_drop; /* live: its socket's counts so far */
    int64_t last_ts;                /* live: its last packet's time */
};

struct worker {
    int id;
    const struct worker_env *env;
    struct decoder dec;
    struct detector *det;
    uint64_t host_gen;              /* the host event store's generation last seen */
    uint64_t since_hosts;           /* live: packets since it last looked */
    struct lw_stats stats;          /* its counters, taken when it stops */
    pthread_t thread;
    struct ring *ring;              /* files: the packets the reader hands it */
    struct capture *cap;            /* live: its socket */
    const atomic_int *stop;         /* live: set when the sensor stops */
    atomic_int done;                /* its thread has finished its loop */
    /* --extract: files whose transaction has no verdict yet (files.log waits with them) */
    struct pending_file *pending;
    size_t npending, cap_pending;
    const struct flow *txn_flow;    /* the transaction being judged (on_http) */
    uint32_t txn_depth;
    bool txn_notice;                /* it raised a notice */
    pthread_mutex_t pub_lock;       /* guards pub */
    struct worker_snapshot pub;     /* published by its thread now and then */
    int64_t pub_at;                 /* live: the clock at the last publication */
    int64_t last_ts;                /* live: its last packet's time */
};

/* Set up `w`'s pipeline in the calling thread (nDPI and the dissectors' sinks are per
 * thread).  False with a message on stderr when memory or nDPI fails. */
bool worker_attach(struct worker *w, const struct worker_env *env, int id);

/* Publish the calling worker's figures (its own thread). */
void worker_publish(struct worker *w);
/* Add `w`'s last published figures to `sum` (any thread). */
void worker_snapshot_add(struct worker *w, struct worker_snapshot *sum);

/* Host events arrived (the store's generation moved): retry what waited for them. */
void worker_hosts(struct worker *w);

/* End every connection, free the pipeline and take the thread's counters into
 * `w->stats`.  In the thread that attached. */
void worker_detach(struct worker *w);

/* Start a thread that attaches `w`, reads its socket (`w->cap`, until *w->stop) or its
 * ring (`w->ring`, until the last batch), and detaches; `w->done` is set at its end.
 * False (message printed) if the thread or its pipeline could not start. */
bool worker_spawn(struct worker *w, const struct worker_env *env, int id);

/* ---- files: one reader spreads packets over N worker threads ---- */

struct spread;

/* `n` >= 2 workers: the calling thread (it reads) is worker 0, and n - 1 threads fed by
 * rings.  NULL with a message when they cannot start. */
struct spread *spread_start(const struct worker_env *env, int n);
/* Run one packet in worker 0, or copy it into its worker's batch. */
void spread_packet(struct spread *s, const struct packet *p);
/* Add the figures of workers 1..n-1 (as last published) and worker 0's connections to
 * `sum`; worker 0's counters are the calling thread's own lw_stats. */
void spread_snapshot_add(struct spread *s, struct worker_snapshot *sum);
/* Send every worker its batch so far (time moves on for workers with no packets). */
void spread_flush(struct spread *s);
/* Hand out the last batches, wait for the workers to end, and copy worker i's counters
 * to each[i] (when `each` is not NULL); then free. */
void spread_stop(struct spread *s, struct lw_stats *each);

#endif
