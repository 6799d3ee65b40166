/* lolwire.c: the sensor's entry point: parse options, wire the pipeline, run sources.
 *
 *   capture (files, dirs, live) -> decode -> flow table -> logs (conn, weird)
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "app/options.h"
#include "capture/capture.h"
#include "core/stats.h"
#include "dissect/decode.h"
#include "dissect/flow.h"
#include "dissect/frag.h"
#include "detect/detect.h"
#include "detect/geo.h"
#include "detect/rules.h"
#include "hostev/hostev.h"
#include "output/eve.h"
#include "output/logs.h"

static volatile sig_atomic_t stop_requested;
static struct capture *volatile current_capture;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    capture_break(current_capture);
}

struct sinks {
    struct logs *logs;
    struct detector *det;
    struct hostctx *hctx;
};

static void on_hostev(void *ctx, const struct hostev *e)
{
    struct sinks *s = ctx;
    logs_hostev(s->logs, e);
    hostctx_add(s->hctx, e);
}

static void on_flow_end(void *ctx, struct flow *f)
{
    logs_conn(((struct sinks *)ctx)->logs, f);
}

static void on_http(void *ctx, const struct flow *f, const struct http_txn *t)
{
    struct sinks *s = ctx;
    logs_http(s->logs, f, t);
    detect_http(s->det, f, t);
}

static void on_tls(void *ctx, const struct flow *f, const struct tls_info *t)
{
    struct sinks *s = ctx;
    logs_ssl(s->logs, f, t);
    detect_tls(s->det, f, t);
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
static bool prepare_logdir(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path) - 32) {
        fprintf(stderr, "lolwire: bad log directory '%s'\n", dir);
        return false;
    }
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "lolwire: cannot create log directory '%s': %s\n", path,
                    strerror(errno));
            return false;
        }
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "lolwire: cannot create log directory '%s': %s\n", dir, strerror(errno));
        return false;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "lolwire: log directory '%s' is not a directory\n", dir);
        return false;
    }
    snprintf(path, sizeof(path), "%s/.lolwire-write-test.%d", dir, (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "lolwire: cannot write to log directory '%s': %s\n", dir,
                strerror(errno));
        return false;
    }
    fclose(f);
    unlink(path);
    return true;
}

struct run {
    struct decoder dec;
    const struct options *opt;
    struct hostev_follow *follow[64]; /* --follow */
    int nfollow;
    struct sinks *sinks;
    uint64_t since_poll;
    int64_t last_poll_ts;
    int failures; /* sources that could not be read completely */
    bool usage_error;
};

/* --follow: what the host event files gained. */
static void poll_follow(struct run *r)
{
    size_t got = 0;
    for (int i = 0; i < r->nfollow; i++)
        got += hostev_follow_poll(r->follow[i], on_hostev, r->sinks);
    if (got)
        detector_retry(r->sinks->det);   /* follow-up notices for what waited */
    r->since_poll = 0;
}

/* Read one source to its end; returns false on a usage error (bad filter). */
static void run_capture(struct run *r, struct capture *c)
{
    struct packet pkt;
    current_capture = c;
    while (!stop_requested) {
        enum capture_status st = capture_next(c, &pkt);
        if (st == CAPTURE_PACKET) {
            decode_packet(&r->dec, &pkt);
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
            struct timeval tv;
            gettimeofday(&tv, NULL);
            flow_advance_time(r->dec.flows, (int64_t)tv.tv_sec * 1000000 + tv.tv_usec);
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
    if (capture_stats(c, &recv, &drop))
        lw_stats.capture_drops += drop;
    current_capture = NULL;
}

static void run_file(struct run *r, const char *path)
{
    char err[512];
    bool bad_filter;
    struct capture *c = capture_open_file(path, r->opt->filter, &bad_filter, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "lolwire: %s\n", err);
        if (bad_filter)
            r->usage_error = true;
        else
            r->failures++;
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
    run_capture(r, c);
    capture_close(c);
}

static void print_summary(const struct options *o, int64_t wall_us)
{
    fprintf(stderr,
            "lolwire: %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " connections (%" PRIu64
            " evicted), %" PRIu64 " weirds, %" PRIu64 " dropped; logs in %s (%.2fs)\n",
            lw_stats.packets, lw_stats.bytes, lw_stats.flows_logged, lw_stats.flows_evicted,
            lw_stats.weirds, lw_stats.capture_drops, o->logdir, (double)wall_us / 1e6);
    if (o->verbose)
        stats_print(stderr, &lw_stats);
}

static int64_t wall_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
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
    int64_t started = wall_now();
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
    if (!prepare_logdir(opt.logdir)) {
        geo_close(geo);
        ruleset_free(rules);
        options_free(&opt);
        return 1;
    }

    struct logs logs;
    if (!logs_open(&logs, opt.logdir, opt.json, &opt.site, geo)) {
        fprintf(stderr, "lolwire: out of memory\n");
        return 1;
    }
    struct hostctx *hctx = opt.nhost_events ? hostctx_new() : NULL;
    logs.hctx = hctx;
    struct detect_config dc = {
        .hostctx = hctx,
        .host_wait = opt.follow ? opt.host_wait_us : 0,
        .rules = rules,
        .site = &opt.site,
        .geo = geo,
        .min_severity = (enum severity)opt.min_severity,
    };
    struct detector *det = detector_new(&dc);
    if (!det) {
        fprintf(stderr, "lolwire: out of memory\n");
        return 1;
    }
    detector_add_sink(det, logs_notice, &logs);
    struct eve *eve = NULL;
    int r_failures_hostev = 0;
    if (opt.eve) {
        eve = eve_open(opt.eve, err, sizeof(err));
        if (!eve) {
            fprintf(stderr, "lolwire: %s\n", err);
            logs_close(&logs);
            return 1;
        }
        detector_add_sink(det, eve_alert, eve);
    }
    struct sinks sinks = {&logs, det, hctx};
    /* Host events first: a replay's host logs are complete before its traffic.  With
     * --follow the files stay open and are read again as they grow. */
    struct hostev_follow *follow[64];
    int nfollow = 0;
    for (int i = 0; i < opt.nhost_events; i++) {
        bool ok;
        if (opt.follow) {
            follow[nfollow] = hostev_follow_open(opt.host_events[i], err, sizeof(err));
            ok = follow[nfollow] != NULL;
            if (ok)
                hostev_follow_poll(follow[nfollow++], on_hostev, &sinks);
        } else {
            ok = hostev_read_path(opt.host_events[i], on_hostev, &sinks, err, sizeof(err));
        }
        if (!ok) {
            fprintf(stderr, "lolwire: host events: %s\n", err);
            r_failures_hostev++;
        }
    }
    weird_set_sink(logs_weird, &logs);
    http_set_sink(on_http, &sinks);
    files_set_sink(logs_file, &logs);
    tls_set_sink(on_tls, &sinks);
    classify_set_quic_sink(logs_quic, &logs);
    if (!classify_init()) {
        logs_close(&logs);
        options_free(&opt);
        return 1;
    }
    files_seed(opt.seed, opt.seeded);
    files_set_hashes(opt.hash_payload, opt.hash_display);

    struct flow_config fc = {
        .max_flows = opt.max_flows,
        .keep_duplicates = opt.keep_duplicates,
        .seed = opt.seed,
        .seeded = opt.seeded,
        .community_id_seed = opt.community_id_seed,
        .on_end = on_flow_end,
        .ctx = &sinks,
    };
    struct run r = {.opt = &opt, .failures = r_failures_hostev, .sinks = &sinks,
                    .nfollow = nfollow};
    memcpy(r.follow, follow, sizeof(follow[0]) * (size_t)nfollow);
    r.dec.flows = flow_table_new(&fc);
    r.dec.frags = frag_table_new();
    if (!r.dec.flows || !r.dec.frags) {
        fprintf(stderr, "lolwire: out of memory for the flow table (try --max-flows)\n");
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (opt.iface) {
        bool bad_filter;
        struct capture *c =
            capture_open_live(opt.iface, opt.filter, opt.snaplen, &bad_filter, err, sizeof(err));
        if (!c) {
            fprintf(stderr, "lolwire: %s\n", err);
            if (bad_filter)
                r.usage_error = true;
            else
                r.failures++;
        } else {
            if (!opt.quiet)
                fprintf(stderr, "lolwire: capturing on %s; logs in %s\n", opt.iface, opt.logdir);
            run_capture(&r, c);
            capture_close(c);
        }
    }
    for (int i = 0; i < opt.nfiles && !stop_requested && !r.usage_error; i++)
        run_file(&r, opt.files[i]);
    for (int i = 0; i < opt.ndirs && !stop_requested && !r.usage_error; i++) {
        char **paths, *skipped;
        long n = capture_list_dir(opt.dirs[i], &paths, &skipped, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "lolwire: %s\n", err);
            r.failures++;
            continue;
        }
        if (skipped) {
            fprintf(stderr, "lolwire: skipped unreadable files under %s:\n%s", opt.dirs[i],
                    skipped);
            free(skipped);
        }
        if (n == 0)
            fprintf(stderr, "lolwire: no pcap or pcapng files under %s\n", opt.dirs[i]);
        for (long j = 0; j < n && !stop_requested && !r.usage_error; j++)
            run_file(&r, paths[j]);
        capture_free_list(paths, n);
    }

    if (r.nfollow)
        poll_follow(&r);          /* what arrived while the last packets were read */
    flow_flush(r.dec.flows);
    for (int i = 0; i < r.nfollow; i++)
        hostev_follow_close(r.follow[i]);
    flow_table_free(r.dec.flows);
    frag_table_free(r.dec.frags);
    weird_set_sink(NULL, NULL);
    http_set_sink(NULL, NULL);
    files_set_sink(NULL, NULL);
    tls_set_sink(NULL, NULL);
    classify_set_quic_sink(NULL, NULL);
    classify_shutdown();
    bool logs_ok = logs_close(&logs);
    if (!eve_close(eve))
        logs_ok = false;
    detector_free(det);
    hostctx_free(hctx);
    geo_close(geo);
    ruleset_free(rules);

    if (!opt.quiet)
        print_summary(&opt, wall_now() - started);
    options_free(&opt);
    if (r.usage_error)
        return 2;
    return (r.failures || !logs_ok) ? 1 : 0;
}
