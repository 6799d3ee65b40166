/* lolwire.c: the sensor's entry point: parse options, wire the pipeline, run sources.
 *
 *   capture (files, dirs, live) -> worker(s): decode -> flow table -> dissectors ->
 *   detection -> logs.  Workers: app/worker.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/monitor.h"
#include "app/options.h"
#include "app/service.h"
#include "app/worker.h"
#include "capture/capture.h"
#include "core/stats.h"
#include "core/util.h"
#include "dissect/carve.h"
#include "dissect/decode.h"
#include "dissect/files.h"
#include "dissect/flow.h"
#include "dissect/frag.h"
#include "detect/detect.h"
#include "detect/geo.h"
#include "detect/rules.h"
#include "hostev/hostev.h"
#include "output/eve.h"
#include "output/kafka.h"
#include "output/logs.h"
#include "output/store.h"

/* Lock-free atomics are safe in a signal handler and read by every worker. */
static atomic_int stop_requested;               /* SIGINT and SIGTERM seen */
static atomic_int stop_threshold = 1;           /* --monitor: 2 while a capture is read */
static struct capture *_Atomic current_capture; /* the main thread's live source */

static void on_signal(int sig)
{
    (void)sig;
    if (atomic_fetch_add(&stop_requested, 1) + 1 >= atomic_load(&stop_threshold))
        capture_break(atomic_load(&current_capture));
}

static atomic_int reopen_requested; /* SIGHUP */

static void on_hup(int sig)
{
    (void)sig;
    atomic_store(&reopen_requested, 1);
}

static bool stopping(void)
{
    return atomic_load_explicit(&stop_requested, memory_order_relaxed) >=
           atomic_load_explicit(&stop_threshold, memory_order_relaxed);
}

static void on_hostev(void *ctx, const struct hostev *e)
{
    struct worker_env *env = ctx;
    logs_hostev(env->logs, e);
    hostctx_add(env->hctx, e);
}

/* Built-in rules, then each --rules file; NULL (message printed) on an error. */
static struct ruleset *load_rules(const struct options *o)
{
    char err[1024];
    struct ruleset *rs = ruleset_new();
    if (!rs) {
        fprintf(stderr, "lolwire: out of memory\n");
        return NULL;
    }
    bool ok = o->no_builtin_rules || ruleset_load_builtin(rs, err, sizeof(err));
    for (int i = 0; ok && i < o->nrules; i++)
        ok = ruleset_load_file(rs, o->rules[i], err, sizeof(err));
    if (ok)
        ok = ruleset_finish(rs, err, sizeof(err));
    if (!ok) {
        fprintf(stderr, "lolwire: %s\n", err);
        ruleset_free(rs);
        return NULL;
    }
    return rs;
}

/* --list-rules: one line per rule and allowlist entry, tab-separated. */
static void list_rules(const struct ruleset *rs)
{
    printf("#id\tsid\tseverity\ton\ttechnique\tnote\tmsg\tsource\n");
    for (size_t i = 0; i < ruleset_count(rs); i++) {
        const struct rule *r = ruleset_rule(rs, i);
        const char *on = r->kind == (EV_HTTP | EV_TLS) ? "http,tls"
                         : r->kind == EV_TLS          ? "tls"
                                                      : "http";
        if (r->allow)
            printf("%s\t-\tallow\t%s\t-\t-\t-\t%s:%d\n", r->id, on, r->file, r->line);
        else
            printf("%s\t%u\t%s\t%s\t%s\t%s\t%s\t%s:%d%s\n", r->id, r->sid,
                   severity_name(r->severity), on, r->techniques, r->note, r->msg, r->file,
                   r->line, r->disabled ? "\t(disabled)" : "");
    }
}

/* mkdir -p, then prove we can create a file there: better to fail now than after an
 * hour of capture. */
static bool prepare_dir(const char *dir, const char *what)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path) - 32) {
        fprintf(stderr, "lolwire: bad %s '%s'\n", what, dir);
        return false;
    }
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "lolwire: cannot create %s '%s': %s\n", what, path,
                    strerror(errno));
            return false;
        }
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "lolwire: cannot create %s '%s': %s\n", what, dir,
                strerror(errno));
        return false;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "lolwire: %s '%s' is not a directory\n", what, dir);
        return false;
    }
    snprintf(path, sizeof(path), "%s/.lolwire-write-test.%d", dir, (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "lolwire: cannot write to %s '%s': %s\n", what, dir,
                strerror(errno));
        return false;
    }
    fclose(f);
    unlink(path);
    return true;
}

struct run {
    const struct options *opt;
    struct worker_env *env;
    struct worker solo;               /* --threads 1: the main thread is the worker */
    struct spread *spread;            /* --threads N: the reader feeds N worker threads */
    struct hostev_follow *follow[64]; /* --follow */
    int nfollow;
    uint64_t since_poll;
    int64_t last_poll_ts;
    int failures; /* sources that could not be read completely */
    bool usage_error;
    struct lw_stats each[WORKERS_MAX]; /* each worker's counters, once it stopped */
    struct logs *logs;
    struct eve *eve;
    int64_t period;                   /* --rotate: the current period's start, 0 = none yet */
    struct kafka *kafka;              /* --kafka, or NULL */
    int64_t kafka_polled;             /* when delivery reports were last served */
    int64_t flushed;                  /* when the logs were last written out */
    struct worker *live;              /* live with N workers */
    int nlive;
    int64_t last_ts;                  /* the main thread's last packet time */
    /* --stats-interval */
    int64_t stats_at, stats_next;     /* the interval's start and end (0: none yet) */
    struct worker_snapshot prev;      /* the figures at the interval's start */
    char peer[256];                   /* this host's name */
    /* the progress line (replays, stderr a terminal) */
    bool progress;
    int64_t progress_at, file_started;
    uint64_t file_pkts;
};

static void human_bytes(char *out, size_t n, uint64_t v)
{
    const char *unit = "KMGTP";
    double d = (double)v;
    int u = -1;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(out, n, "%llu B", (unsigned long long)v);
    else
        snprintf(out, n, "%.1f %ciB", d, unit[u]);
}

/* "\rlolwire: FILE  43%  1.1 GiB of 2.6 GiB  850k pkt/s  ETA 0:12", twice a second. */
static void show_progress(struct run *r, struct capture *c)
{
    int64_t now = wall_clock_us();
    if (now - r->progress_at < 500000)
        return;
    r->progress_at = now;
    double secs = (double)(now - r->file_started) / 1e6;
    double pps = secs > 0 ? (double)r->file_pkts / secs : 0;
    uint64_t pos, size;
    char a[32], b[32], eta[32] = "";
    if (capture_position(c, &pos, &size) && size && pos <= size && secs > 0 && pos) {
        human_bytes(a, sizeof(a), pos);
        human_bytes(b, sizeof(b), size);
        uint64_t left = (uint64_t)((double)(size - pos) * secs / (double)pos);
        snprintf(eta, sizeof(eta), "  ETA %llu:%02llu", (unsigned long long)(left / 60),
                 (unsigned long long)(left % 60));
        fprintf(stderr, "\rlolwire: %s  %3d%%  %s of %s  %.0fk pkt/s%s\033[K", capture_name(c),
                (int)(100 * pos / size), a, b, pps / 1000, eta);
    } else {
        fprintf(stderr, "\rlolwire: %s  %llu packets  %.0fk pkt/s\033[K", capture_name(c),
                (unsigned long long)r->file_pkts, pps / 1000);
    }
}

/* What every worker published, summed (the main thread's own counters are its lw_stats:
 * the reader's, and worker 0's or the only worker's). */
static void gather(struct run *r, struct worker_snapshot *sum)
{
    memset(sum, 0, sizeof(*sum));
    sum->st = lw_stats;
    sum->last_ts = r->last_ts;
    if (r->spread)
        spread_snapshot_add(r->spread, sum);
    for (int i = 0; i < r->nlive; i++)
        worker_snapshot_add(&r->live[i], sum);
    if (r->solo.dec.flows)
        sum->active = flow_table_count(r->solo.dec.flows);
    struct capture *c = atomic_load(&current_capture);
    uint64_t recv, drop;
    if (c && capture_stats(c, &recv, &drop)) {
        sum->kernel_recv += recv;
        sum->kernel_drop += drop;
    }
    if (r->kafka) {
        struct kafka_counts k;
        kafka_counts(r->kafka, &k);
        sum->st.export_dropped += k.dropped + k.failed;
    }
    /* sockets closed so far left their counts in the counters */
    sum->kernel_recv += sum->st.capture_received;
    sum->kernel_drop += sum->st.capture_drops;
}

/* One stats.log and capture_loss.log record for [r->stats_at, now). */
static void write_stats(struct run *r, int64_t now)
{
    struct worker_snapshot s;
    gather(r, &s);
    const struct lw_stats *a = &s.st, *b = &r->prev.st;
#define D(field) (a->field - b->field)
    struct stats_record rec = {
        .ts = now,
        .interval_us = now - r->stats_at,
        .peer = r->peer,
        .mem_mb = resident_mib(),
        .pkts_proc = D(packets),
        .bytes_recv = D(bytes),
        .live = r->opt->iface != NULL,
        .pkts_dropped = s.kernel_drop - r->prev.kernel_drop,
        .pkts_link = s.kernel_recv - r->prev.kernel_recv,
        .pkt_lag_us = s.last_ts && now > s.last_ts ? now - s.last_ts : 0,
        .active_conns = s.active,
        .conns = D(flows_created),
        .files = D(files_seen),
        .notices = D(notices),
        .weirds = D(weirds),
        .evicted_conns = D(flows_evicted),
        .frag_dropped = D(frag_evicted) + D(frag_timeouts),
        .reassem_dropped = D(reasm_cap_gaps) + D(reasm_alloc_failures),
        .http_limits = D(http_limits) + D(http_files_not_logged),
        .tls_limits = D(tls_limits),
        .pending_dropped = D(detect_pending_dropped),
        .hostev_dropped = D(hostctx_dropped) + D(hostctx_evicted),
        .export_dropped = D(export_dropped),
        .gaps = D(tcp_gap_events),
        .acks = D(tcp_ack_events),
    };
#undef D
    logs_stats(r->logs, &rec);
    r->prev = s;
    r->stats_at = now;
}

/* Close the period [start, end): every log renamed with it (UTC, Zeek's date form). */
static void rotate_period(struct run *r, int64_t start, int64_t end)
{
    char stamp[2][32], suffix[80];
    int64_t at[2] = {start, end};
    for (int i = 0; i < 2; i++) {
        struct tm tm;
        time_t t = (time_t)(at[i] / US_PER_SEC);
        gmtime_r(&t, &tm);
        strftime(stamp[i], sizeof(stamp[i]), "%Y-%m-%d-%H-%M-%S", &tm);
    }
    snprintf(suffix, sizeof(suffix), "%s_%s", stamp[0], stamp[1]);
    if (!logs_rotate(r->logs, suffix))
        r->failures++;
}

/* SIGHUP's reopen, and --rotate at the interval boundaries of `now` (packet time when
 * reading files, the clock when live); cheap enough for every packet. */
static void housekeeping(struct run *r, int64_t now)
{
    if (atomic_load_explicit(&reopen_requested, memory_order_relaxed)) {
        atomic_store(&reopen_requested, 0);
        if (!logs_rotate(r->logs, NULL) || !eve_reopen(r->eve))
            r->failures++;
    }
    if (now - r->flushed >= 1000000 || now < r->flushed) {
        logs_flush(r->logs); /* a quiet sensor's lines do not wait for a full buffer */
        eve_flush(r->eve);
        r->flushed = now;
    }
    if (r->kafka && (now - r->kafka_polled >= 1000000 || now < r->kafka_polled)) {
        kafka_poll(r->kafka); /* delivery reports: a second of packet time or the clock */
        r->kafka_polled = now;
    }
    /* stats first: a period's last record goes into the period's file */
    int64_t sv = r->opt->stats_us;
    if (sv && now > 0) {
        if (!r->stats_next) {
            r->stats_at = now;
            r->stats_next = now - now % sv + sv;
        } else if (now >= r->stats_next) {
            write_stats(r, now);
            r->stats_next = now - now % sv + sv;
        }
    }
    int64_t iv = r->opt->rotate_us;
    if (!iv || now <= 0)
        return;
    if (!r->period) {
        r->period = now - now % iv;
    } else if (now >= r->period + iv) { /* one compare a packet; divide only at a turn */
        int64_t start = now - now % iv;
        rotate_period(r, r->period, start);
        r->period = start;
    }
}

/* --follow: what the host event files gained.  Workers notice the store's new generation
 * (worker_hosts) and write follow-up notices for what waited. */
static void poll_follow(struct run *r)
{
    size_t got = 0;
    for (int i = 0; i < r->nfollow; i++)
        got += hostev_follow_poll(r->follow[i], on_hostev, r->env);
    if (got && r->spread)
        spread_flush(r->spread);      /* the workers look at batch ends */
    else if (got && r->solo.det)
        worker_hosts(&r->solo);
    r->since_poll = 0;
}

/* Read one source to its end. */
static void run_capture(struct run *r, struct capture *c)
{
    struct packet pkt;
    atomic_store(&current_capture, c);
    while (!stopping()) {
        enum capture_status st = capture_next(c, &pkt);
        if (st == CAPTURE_PACKET) {
            r->last_ts = pkt.ts_us;
            housekeeping(r, pkt.ts_us);
            if (r->spread)
                spread_packet(r->spread, &pkt);
            else
                decode_packet(&r->solo.dec, &pkt);
            if (r->progress && (++r->file_pkts & 4095) == 0)
                show_progress(r, c);
            /* a busy link never idles: read the host events every 4096 packets or
             * every second of packet time */
            if (r->nfollow && (++r->since_poll == 4096 || pkt.ts_us - r->last_poll_ts >= 1000000)) {
                r->last_poll_ts = pkt.ts_us;
                poll_follow(r);
            }
        } else if (st == CAPTURE_IDLE) {
            if (r->nfollow)
                poll_follow(r);
            /* Live and quiet: let wall-clock time expire idle connections. */
            int64_t now = wall_clock_us();
            housekeeping(r, now);
            flow_advance_time(r->solo.dec.flows, now);
        } else if (st == CAPTURE_END) {
            break;
        } else {
            fprintf(stderr, "lolwire: %s: %s (packets before it were processed)\n",
                    capture_name(c), capture_error(c));
            lw_stats.capture_errors++;
            r->failures++;
            break;
        }
    }
    uint64_t recv, drop;
    atomic_store(&current_capture, NULL);
    if (capture_stats(c, &recv, &drop)) {
        lw_stats.capture_drops += drop;
        lw_stats.capture_received += recv;
    }
}

/* A source that did not open: a bad filter is the user's mistake (exit 2), anything else a
 * runtime failure (exit 1). */
static void open_failed(struct run *r, const char *err, bool bad_filter)
{
    fprintf(stderr, "lolwire: %s\n", err);
    if (bad_filter)
        r->usage_error = true;
    else
        r->failures++;
}

/* -u: once every source that needs root is open. */
static bool become_user(struct run *r)
{
    const struct options *o = r->opt;
    if (!o->user)
        return true;
    const char *dirs[] = {o->logdir, o->carve, o->extract, o->eve};
    if (!drop_privileges(o->user, dirs, (int)ARRAY_LEN(dirs))) {
        r->failures++;
        return false;
    }
    if (o->verbose)
        fprintf(stderr, "lolwire: running as %s\n", o->user);
    return true;
}

/* Live with N workers: a socket each in one PACKET_FANOUT group (all opened before -u
 * gives up root), a thread each; the main thread reads the --follow files and keeps the
 * logs' time until a signal or until every worker has stopped. */
static void run_live_workers(struct run *r, struct worker *w, int n)
{
    const struct options *o = r->opt;
    char err[512];
    uint16_t group = (uint16_t)(getpid() & 0xffff);
    int opened = 0, started = 0;
    for (int i = 0; i < n; i++, opened++) {
        bool bad_filter;
        w[i].stop = &stop_requested;
        w[i].cap = capture_open_live(o->iface, o->filter, o->snaplen, &bad_filter, err,
                                     sizeof(err));
        uint64_t discarded = 0;
        if (!w[i].cap || !capture_join_fanout(w[i].cap, group, &discarded, err, sizeof(err))) {
            open_failed(r, err, !w[i].cap && bad_filter);
            break;
        }
        lw_stats.capture_fanout_discarded += discarded;
    }
    bool ready = opened == n && become_user(r);
    for (int i = 0; ready && i < n; i++, started++)
        if (!worker_spawn(&w[i], r->env, i)) {
            r->failures++;
            break;
        }
    r->live = w;
    r->nlive = started;
    if (started == n && !o->quiet)
        fprintf(stderr, "lolwire: capturing on %s with %d workers; logs in %s\n", o->iface, n,
                o->logdir);
    while (started == n && !stopping()) {
        int done = 0;
        for (int i = 0; i < n; i++)
            done += atomic_load(&w[i].done);
        if (done == n)
            break;
        if (r->nfollow)
            poll_follow(r);
        housekeeping(r, wall_clock_us());
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop_requested, 1);
    for (int i = 0; i < started; i++) {
        capture_break(w[i].cap);
        pthread_join(w[i].thread, NULL);
        r->each[i] = w[i].stats;
    }
    r->live = NULL;
    r->nlive = 0;
    for (int i = 0; i < n; i++)
        if (w[i].cap)
            capture_close(w[i].cap);
}

static void run_file(struct run *r, const char *path)
{
    char err[512];
    bool bad_filter;
    struct capture *c = capture_open_file(path, r->opt->filter, &bad_filter, err, sizeof(err));
    if (!c) {
        open_failed(r, err, bad_filter);
        lw_stats.capture_errors += !bad_filter;
        return;
    }
    if (r->opt->verbose)
        fprintf(stderr, "lolwire: reading %s\n", path);
    if (!decode_linktype_supported(capture_linktype(c))) {
        fprintf(stderr, "lolwire: %s: link type %d (%s) is not supported; file skipped\n",
                path, capture_linktype(c), capture_linktype_name(c));
        r->failures++;
        lw_stats.capture_errors++;
        capture_close(c);
        return;
    }
    r->file_pkts = 0;
    r->file_started = wall_clock_us();
    run_capture(r, c);
    if (r->progress && r->progress_at)
        fputs("\r\033[K", stderr); /* the line is cleared when the file ends */
    r->progress_at = 0;
    capture_close(c);
}

/* Live with one worker: open, give up root (-u), read until stopped. */
static void run_live(struct run *r)
{
    const struct options *o = r->opt;
    char err[512];
    bool bad_filter;
    struct capture *c =
        capture_open_live(o->iface, o->filter, o->snaplen, &bad_filter, err, sizeof(err));
    if (!c) {
        open_failed(r, err, bad_filter);
        return;
    }
    if (become_user(r)) {
        if (!o->quiet)
            fprintf(stderr, "lolwire: capturing on %s; logs in %s\n", o->iface, o->logdir);
        run_capture(r, c);
    }
    capture_close(c);
}

static void run_dir(struct run *r, const char *dir)
{
    char err[512], **paths, *skipped;
    long n = capture_list_dir(dir, &paths, &skipped, err, sizeof(err));
    if (n < 0) {
        fprintf(stderr, "lolwire: %s\n", err);
        r->failures++;
        return;
    }
    if (skipped) {
        fprintf(stderr, "lolwire: skipped unreadable files under %s:\n%s", dir, skipped);
        free(skipped);
    }
    if (n == 0)
        fprintf(stderr, "lolwire: no pcap or pcapng files under %s\n", dir);
    for (long j = 0; j < n && !stopping() && !r->usage_error; j++)
        run_file(r, paths[j]);
    capture_free_list(paths, n);
}

/* --monitor: read each complete capture as it appears, until a signal.  A signal while a
 * capture is read lets it finish (so that it is remembered whole); a second one stops at
 * once, and the capture is read again after a restart. */
static void run_monitor(struct run *r)
{
    const struct options *o = r->opt;
    char err[512], state[4200];
    snprintf(state, sizeof(state), "%s/.lolwire-monitor.state", o->logdir);
    struct monitor *m = monitor_open(o->monitor, state, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "lolwire: %s\n", err);
        r->failures++;
        return;
    }
    if (!o->quiet)
        fprintf(stderr, "lolwire: monitoring %s; logs in %s\n", o->monitor, o->logdir);
    while (!stopping() && !r->usage_error) {
        const char *path = monitor_next(m);
        if (!path) {
            if (r->nfollow)
                poll_follow(r);
            housekeeping(r, 0); /* SIGHUP; rotation keeps to packet time */
            struct timespec ts = {0, 500 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        uint64_t errors = lw_stats.capture_errors;
        atomic_store(&stop_threshold, 2);
        run_file(r, path);
        atomic_store(&stop_threshold, 1);
        bool whole = atomic_load(&stop_requested) < 2;
        if (whole && !monitor_done(m))
            r->failures++;
        if (!whole)
            fprintf(stderr, "lolwire: stopped in the middle of %s; it will be read again\n",
                    path);
        else if (lw_stats.capture_errors != errors)
            fprintf(stderr, "lolwire: %s was read as far as it goes; not read again\n", path);
    }
    monitor_close(m);
}

/* Every source but live capture with several workers (run_live_workers). */
static void run_sources(struct run *r)
{
    const struct options *o = r->opt;
    if (o->iface) {
        run_live(r);
        return;
    }
    if (!become_user(r))
        return;
    for (int i = 0; i < o->nfiles && !stopping() && !r->usage_error; i++)
        run_file(r, o->files[i]);
    for (int i = 0; i < o->ndirs && !stopping() && !r->usage_error; i++)
        run_dir(r, o->dirs[i]);
    if (o->monitor && !stopping() && !r->usage_error)
        run_monitor(r);
}

static void print_summary(const struct options *o, const struct lw_stats *each,
                          int64_t wall_us)
{
    fprintf(stderr,
            "lolwire: %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " connections (%" PRIu64
            " evicted), %" PRIu64 " weirds, %" PRIu64 " dropped; logs in %s (%.2fs)\n",
            lw_stats.packets, lw_stats.bytes, lw_stats.flows_logged, lw_stats.flows_evicted,
            lw_stats.weirds, lw_stats.capture_drops, o->logdir, (double)wall_us / 1e6);
    if (o->verbose && o->threads > 1) {
        /* how evenly the connections spread */
        fprintf(stderr, "lolwire: packets per worker:");
        for (int i = 0; i < o->threads; i++)
            fprintf(stderr, " %" PRIu64, each[i].packets);
        fprintf(stderr, "\n");
    }
    if (o->verbose)
        stats_print(stderr, &lw_stats);
}

int main(int argc, char **argv)
{
    struct options opt;
    switch (options_parse(&opt, argc, argv)) {
    case OPT_EXIT_OK:
        return 0;
    case OPT_USAGE_ERROR:
        options_free(&opt);
        return 2;
    case OPT_RUN:
        break;
    }
    int64_t started_at = wall_clock_us();
    /* From the start: a signal at any moment is a clean stop (logs closed and whole). */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct ruleset *rules = load_rules(&opt);
    if (!rules) {
        options_free(&opt);
        return 2;
    }
    if (opt.list_rules) {
        list_rules(rules);
        ruleset_free(rules);
        options_free(&opt);
        return 0;
    }
    char err[512];
    struct geo *geo = geo_open(opt.geoip, (size_t)opt.ngeoip, !opt.no_geoip, err, sizeof(err));
    if (!geo) {
        fprintf(stderr, "lolwire: %s\n", err);
        ruleset_free(rules);
        options_free(&opt);
        return 2;
    }
    for (size_t i = 0; opt.verbose && i < geo_count(geo); i++)
        fprintf(stderr, "lolwire: GeoIP database %s\n", geo_path(geo, i));
    if (!prepare_dir(opt.logdir, "log directory") ||
        (opt.carve && !prepare_dir(opt.carve, "--carve directory")) ||
        (opt.extract && !prepare_dir(opt.extract, "--extract directory"))) {
        geo_close(geo);
        ruleset_free(rules);
        options_free(&opt);
        return 1;
    }

    struct kafka *kafka = NULL;
    if (opt.kafka) {
        kafka = kafka_new(opt.kafka, opt.kafka_prefix, err, sizeof(err));
        if (!kafka) {
            fprintf(stderr, "lolwire: --kafka: %s\n", err);
            geo_close(geo);
            ruleset_free(rules);
            options_free(&opt);
            return 2;
        }
    }
    struct logs logs;
    /* a daemon (live, --monitor) restarted keeps the logs of its earlier run; with
     * --kafka every record also goes out as JSON */
    struct zlog_options zo = {.dir = opt.logdir, .json = opt.json, .tag = opt.tag,
                              .keep_old = opt.iface || opt.monitor,
                              .tap = kafka ? kafka_send : NULL, .tap_ctx = kafka};
    if (!logs_open(&logs, &zo, &opt.site, geo)) {
        fprintf(stderr, "lolwire: out of memory\n");
        return 1;
    }
    struct hostctx *hctx = opt.nhost_events ? hostctx_new() : NULL;
    logs.hctx = hctx;
    struct eve *eve = NULL;
    if (opt.eve) {
        eve = eve_open(opt.eve, err, sizeof(err));
        if (!eve) {
            fprintf(stderr, "lolwire: %s\n", err);
            logs_close(&logs);
            struct kafka_counts kc;
            kafka_close(kafka, 0, &kc);
            return 1;
        }
        eve_set_tap(eve, kafka ? kafka_send : NULL, kafka);
    }
    /* uids derive from the connection under one seed for every worker (util.h) */
    uint64_t uid_seed = opt.seed;
    if (!opt.seeded) {
        struct lw_rng rng;
        rng_seed_random(&rng);
        uid_seed = rng_next(&rng);
    }
    files_seed(uid_seed);
    files_set_hashes(opt.hash_payload, opt.hash_display);
    uint32_t max_flows = (opt.max_flows ? opt.max_flows : FLOW_MAX_DEFAULT) / (uint32_t)opt.threads;
    struct worker_env env = {
        .logs = &logs,
        .eve = eve,
        .hctx = hctx,
        .dc = {
            .hostctx = hctx,
            .host_wait = opt.follow ? opt.host_wait_us : 0,
            .rules = rules,
            .site = &opt.site,
            .geo = geo,
            .min_severity = (enum severity)opt.min_severity,
        },
        .uid_seed = uid_seed,
        .max_flows = max_flows < 16 ? 16 : max_flows,
        .keep_duplicates = opt.keep_duplicates,
        .community_id_seed = opt.community_id_seed,
        .carve_dir = opt.carve,
        .carve_severity = (enum severity)opt.carve_severity,
        .extract_dir = opt.extract,
    };
    if (opt.carve)
        carve_enable(opt.carve_max_bytes);
    if (opt.extract) {
        files_keep_bodies(opt.extract_max_size);
        store_set_total(opt.extract_total);
    }
    struct run r = {.opt = &opt, .env = &env, .logs = &logs, .eve = eve, .kafka = kafka,
                    .progress = !opt.quiet && !opt.iface && isatty(STDERR_FILENO)};
    if (gethostname(r.peer, sizeof(r.peer) - 1) != 0)
        snprintf(r.peer, sizeof(r.peer), "lolwire");

    /* Host events first: a replay's host logs are complete before its traffic.  With
     * --follow the files stay open and are read again as they grow. */
    for (int i = 0; i < opt.nhost_events; i++) {
        bool ok;
        if (opt.follow) {
            r.follow[r.nfollow] = hostev_follow_open(opt.host_events[i], err, sizeof(err));
            ok = r.follow[r.nfollow] != NULL;
            if (ok)
                hostev_follow_poll(r.follow[r.nfollow++], on_hostev, &env);
        } else {
            ok = hostev_read_path(opt.host_events[i], on_hostev, &env, err, sizeof(err));
        }
        if (!ok) {
            fprintf(stderr, "lolwire: host events: %s\n", err);
            r.failures++;
        }
    }

    struct worker *live_workers = NULL;
    bool live_n = opt.threads > 1 && opt.iface, started;
    if (live_n) {
        live_workers = calloc((size_t)opt.threads, sizeof(*live_workers));
        started = live_workers != NULL;
    } else if (opt.threads > 1) {
        r.spread = spread_start(&env, opt.threads);
        started = r.spread != NULL;
    } else {
        started = worker_attach(&r.solo, &env, 0);
    }
    if (!started) {
        logs_close(&logs);
        return 1;
    }

    if (live_n) {
        run_live_workers(&r, live_workers, opt.threads);
        free(live_workers);
    } else {
        run_sources(&r);
    }

    if (r.nfollow)
        poll_follow(&r);          /* what arrived while the last packets were read */
    if (r.spread) {
        spread_stop(r.spread, r.each);
        r.spread = NULL;
    } else if (!live_n) {
        worker_detach(&r.solo);
        r.each[0] = r.solo.stats;
    }
    for (int i = 0; i < opt.threads; i++)
        stats_add(&lw_stats, &r.each[i]);
    if (opt.stats_us && r.stats_next) /* the last interval, cut short */
        write_stats(&r, opt.iface ? wall_clock_us() : r.last_ts);
    if (r.period) /* the last period, cut short by the end of input or a signal */
        rotate_period(&r, r.period, r.period + opt.rotate_us);
    for (int i = 0; i < r.nfollow; i++)
        hostev_follow_close(r.follow[i]);
    bool logs_ok = logs_close(&logs);
    if (!eve_close(eve))
        logs_ok = false;
    if (kafka) {
        struct kafka_counts kc;
        if (!kafka_close(kafka, opt.kafka_timeout_s * 1000, &kc)) {
            fprintf(stderr, "lolwire: kafka: %" PRIu64 " of %" PRIu64 " log lines not "
                            "delivered (%" PRIu64 " failed or timed out, %" PRIu64 " dropped: "
                            "local buffer full); the log files have them all\n",
                    kc.failed + kc.dropped, kc.queued + kc.dropped, kc.failed, kc.dropped);
            r.failures++;
        }
        lw_stats.export_dropped += kc.failed + kc.dropped;
    }
    hostctx_free(hctx);
    geo_close(geo);
    ruleset_free(rules);

    if (!opt.quiet)
        print_summary(&opt, r.each, wall_clock_us() - started_at);
    options_free(&opt);
    if (r.usage_error)
        return 2;
    return (r.failures || !logs_ok) ? 1 : 0;
}
