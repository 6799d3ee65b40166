/* kafka.c: the Kafka forwarder (kafka.h), a librdkafka producer.
 *
 * Messages are produced by topic name (rd_kafka_producev with RD_KAFKA_V_TOPIC), so no
 * topic handle table is kept here; librdkafka caches the handles itself.  The payload is
 * copied, so the caller's line buffer can be reused at once.
 *
 * Accounting: kafka_send counts a message `queued` when librdkafka accepts it and
 * `dropped` when it does not; the delivery report callback then moves it to `delivered` or
 * `failed`; kafka_close counts whatever is still unsettled at its timeout as `failed`.  So
 * at the end queued == delivered + failed, and dropped counts the rest.
 *
 * librdkafka logs to stderr by itself; here its log lines and error events go through one
 * reporter that prints at most one "lolwire: kafka: ..." line a minute, so that a broker
 * away for hours does not flood stderr.
 */
#include "output/kafka.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* Kafka's limit on a topic name's length (249 characters). */
#define KAFKA_TOPIC_MAX 249

/* Room kept after the prefix for a log name ("host_events" is the longest, 11). */
#define KAFKA_LOG_NAME_MAX 16

/* librdkafka configuration.  The local queue is what carries the sensor through a broker
 * restart or a network cut: at a few thousand log lines a second, a million messages are
 * several minutes of logs; 512 MiB caps its memory (1 million lines of 512 bytes, a long
 * http.log line).  Whichever limit is reached first makes kafka_send drop (and count). */
#define KAFKA_QUEUE_MESSAGES "1000000"
#define KAFKA_QUEUE_KBYTES "524288"
/* How long a message waits for a broker that is away before it counts as failed. */
#define KAFKA_MESSAGE_TIMEOUT_MS "300000"
/* Batch for at most 100 ms: cheap batching, yet a short replay does not wait at exit. */
#define KAFKA_LINGER_MS "100"
/* After kafka_close's flush timeout, how long to wait for the reports of purged
 * messages (they come from librdkafka's own threads, without any broker). */
#define KAFKA_PURGE_WAIT_MS 1000
/* At most one stderr line per this many seconds. */
#define KAFKA_REPORT_INTERVAL_S 60
/* Longest error text kept or printed. */
#define KAFKA_ERROR_MAX 512

struct kafka {
    rd_kafka_t *rk;
    char prefix[KAFKA_TOPIC_MAX + 1];
    size_t prefix_len;
    _Atomic uint64_t queued;
    _Atomic uint64_t delivered;
    _Atomic uint64_t failed;
    _Atomic uint64_t dropped;
    /* The reporter: librdkafka calls it from its own threads as well as from ours. */
    pthread_mutex_t report_lock;
    char last_error[KAFKA_ERROR_MAX];
    bool printed_any;
    time_t printed_at;   /* CLOCK_MONOTONIC seconds of the last line printed */
    uint64_t suppressed; /* messages not printed since that line */
};

static time_t monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Remember `msg` as the last error and print it unless a line was printed less than
 * KAFKA_REPORT_INTERVAL_S ago (then it is only counted, and the next line says how many
 * were held back). */
static void report(struct kafka *k, const char *msg)
{
    pthread_mutex_lock(&k->report_lock);
    snprintf(k->last_error, sizeof(k->last_error), "%s", msg);
    time_t now = monotonic_seconds();
    if (k->printed_any && now - k->printed_at < KAFKA_REPORT_INTERVAL_S) {
        k->suppressed++;
    } else {
        if (k->suppressed)
            fprintf(stderr, "lolwire: kafka: %s (and %llu more since the last line)\n", msg,
                    (unsigned long long)k->suppressed);
        else
            fprintf(stderr, "lolwire: kafka: %s\n", msg);
        k->printed_any = true;
        k->printed_at = now;
        k->suppressed = 0;
    }
    pthread_mutex_unlock(&k->report_lock);
}

/* librdkafka's error events: mostly transient (a broker away, a connection reset);
 * librdkafka retries by itself, the operator needs to know. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    char msg[KAFKA_ERROR_MAX];
    snprintf(msg, sizeof(msg), "%s (%s)", reason, rd_kafka_err2name((rd_kafka_resp_err_t)err));
    report(opaque, msg);
}

/* librdkafka's log lines: warnings and worse go to the reporter, the rest is dropped
 * (without this callback librdkafka prints every one of them to stderr). */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)fac;
    void *k = rk ? rd_kafka_opaque(rk) : NULL;
    if (level > LOG_WARNING || !k)
        return;
    /* "[thrd:host:port/id]: text": the thread name says nothing the text does not. */
    const char *text = strstr(buf, "]: ");
    report(k, strncmp(buf, "[thrd:", 6) == 0 && text ? text + 3 : buf);
}

/* Delivery reports, served by kafka_poll and kafka_close. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct kafka *k = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        atomic_fetch_add(&k->delivered, 1);
        return;
    }
    atomic_fetch_add(&k->failed, 1);
    /* Purges are kafka_close's own doing at its timeout; it reports the total. */
    if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        return;
    char msg[KAFKA_ERROR_MAX];
    snprintf(msg, sizeof(msg), "delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
             rd_kafka_err2str(m->err));
    report(k, msg);
}

/* Kafka topic names are made of ASCII letters, digits, '.', '_' and '-'. */
static bool topic_chars_ok(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static bool conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                     size_t errlen)
{
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) == RD_KAFKA_CONF_OK)
        return true;
    snprintf(err, errlen, "cannot set %s=%s: %s", name, value, why);
    return false;
}

/* The producer's configuration (values above); false with a message in err. */
static bool configure(rd_kafka_conf_t *conf, const char *brokers, char *err, size_t errlen)
{
    static const char *const props[][2] = {
        {"client.id", "lolwire"},
        {"queue.buffering.max.messages", KAFKA_QUEUE_MESSAGES},
        {"queue.buffering.max.kbytes", KAFKA_QUEUE_KBYTES},
        {"message.timeout.ms", KAFKA_MESSAGE_TIMEOUT_MS},
        {"linger.ms", KAFKA_LINGER_MS},
        /* Idempotence would make a broker-side sequence error fatal to the producer; a
         * sensor prefers to keep sending (a retry may then duplicate a line). */
        {"enable.idempotence", "false"},
        {"compression.codec", "none"},
        /* Idle connections closed by the broker are normal, not worth a line. */
        {"log.connection.close", "false"},
    };
    if (!conf_set(conf, "bootstrap.servers", brokers, err, errlen))
        return false;
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        if (!conf_set(conf, props[i][0], props[i][1], err, errlen))
            return false;
    return true;
}

struct kafka *kafka_new(const char *brokers, const char *topic_prefix, char *err, size_t errlen)
{
    if (!brokers || !*brokers) {
        snprintf(err, errlen, "empty broker list (give host:port[,host:port...])");
        return NULL;
    }
    if (!topic_prefix)
        topic_prefix = "";
    if (strlen(topic_prefix) > KAFKA_TOPIC_MAX - KAFKA_LOG_NAME_MAX ||
        !topic_chars_ok(topic_prefix)) {
        snprintf(err, errlen,
                 "bad topic prefix '%s' (at most %d of the characters a-z A-Z 0-9 . _ -)",
                 topic_prefix, KAFKA_TOPIC_MAX - KAFKA_LOG_NAME_MAX);
        return NULL;
    }
    struct kafka *k = calloc(1, sizeof(*k));
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&k->report_lock, NULL);
    snprintf(k->prefix, sizeof(k->prefix), "%s", topic_prefix);
    k->prefix_len = strlen(k->prefix);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!configure(conf, brokers, err, errlen))
        goto fail;
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    char why[256];
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!k->rk) {
        snprintf(err, errlen, "cannot create the producer: %s", why);
        goto fail;
    }
    return k; /* conf now belongs to k->rk */
fail:
    rd_kafka_conf_destroy(conf);
    pthread_mutex_destroy(&k->report_lock);
    free(k);
    return NULL;
}

static rd_kafka_resp_err_t produce(struct kafka *k, const char *topic, const char *json, size_t len)
{
    return rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)json, len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
}

void kafka_send(void *kafka, const char *log, const char *json, size_t len)
{
    struct kafka *k = kafka;
    char topic[KAFKA_TOPIC_MAX + 1];
    size_t loglen = strlen(log);
    if (k->prefix_len + loglen > KAFKA_TOPIC_MAX) {
        atomic_fetch_add(&k->dropped, 1);
        report(k, "log name too long for a topic name; message dropped");
        return;
    }
    memcpy(topic, k->prefix, k->prefix_len);
    memcpy(topic + k->prefix_len, log, loglen + 1);
    /* Counted before producing, so that a delivery report served at once by another
     * thread never makes delivered exceed queued. */
    atomic_fetch_add(&k->queued, 1);
    rd_kafka_resp_err_t e = produce(k, topic, json, len);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        /* Messages whose delivery reports are not served yet still hold their room:
         * serve them (without waiting) and try once more. */
        rd_kafka_poll(k->rk, 0);
        e = produce(k, topic, json, len);
    }
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    atomic_fetch_sub(&k->queued, 1);
    atomic_fetch_add(&k->dropped, 1);
    char msg[KAFKA_ERROR_MAX];
    snprintf(msg, sizeof(msg), "cannot queue a message for %s, dropped: %s", topic,
             e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? "local queue full (broker slow or away)"
                                                : rd_kafka_err2str(e));
    report(k, msg);
}

void kafka_poll(struct kafka *k)
{
    rd_kafka_poll(k->rk, 0);
}

void kafka_counts(struct kafka *k, struct kafka_counts *out)
{
    out->queued = atomic_load(&k->queued);
    out->delivered = atomic_load(&k->delivered);
    out->failed = atomic_load(&k->failed);
    out->dropped = atomic_load(&k->dropped);
}

bool kafka_close(struct kafka *k, int timeout_ms, struct kafka_counts *out)
{
    if (!k) {
        memset(out, 0, sizeof(*out));
        return true;
    }
    if (timeout_ms < 0)
        timeout_ms = 0;
    if (rd_kafka_flush(k->rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* Out of time: purge what is left, so that its delivery reports (failed) come now
         * rather than at the message timeout. */
        rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(k->rk, KAFKA_PURGE_WAIT_MS);
    }
    rd_kafka_poll(k->rk, 0);
    rd_kafka_destroy(k->rk);
    kafka_counts(k, out);
    /* Anything whose report never came was not delivered. */
    uint64_t settled = out->delivered + out->failed;
    if (out->queued > settled)
        out->failed += out->queued - settled;
    bool ok = out->delivered == out->queued && out->dropped == 0;
    if (!ok && k->last_error[0])
        fprintf(stderr, "lolwire: kafka: last error: %s\n", k->last_error);
    pthread_mutex_destroy(&k->report_lock);
    free(k);
    return ok;
}
