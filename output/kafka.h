/* kafka.h: forward log records to Kafka, one JSON line per message (librdkafka producer).
 *
 * Each log goes to its own topic, `<prefix><log>` (e.g. "lolwire.conn", "lolwire.eve").
 * Sending never blocks a packet thread: messages wait in librdkafka's local queue while a
 * broker is away (up to the message timeout) and are counted as dropped when that queue is
 * full.  Every message ends up in exactly one count: delivered, failed or dropped.
 */
#ifndef LW_OUTPUT_KAFKA_H
#define LW_OUTPUT_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kafka;

struct kafka_counts {
    uint64_t queued;    /* messages handed to librdkafka */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failed;    /* delivery failed (broker away past the message timeout, ...) */
    uint64_t dropped;   /* not queued: the local buffer was full (or produce failed) */
};

/* Connect lazily to `brokers` ("host:port,..."); topics are `<prefix><log>` (e.g.
 * "lolwire.conn").  Returns NULL with a message in err on a bad configuration (empty
 * broker list, a prefix with characters Kafka does not allow in topic names, ...). */
struct kafka *kafka_new(const char *brokers, const char *topic_prefix, char *err, size_t errlen);

/* Send one JSON line (no newline) of log `log` ("conn", "http", "eve", ...).  Thread-safe,
 * never blocks: when the local buffer is full the message is counted as dropped.  The
 * payload is copied; `kafka` is a struct kafka (void * so that this is a log sink). */
void kafka_send(void *kafka, const char *log, const char *json, size_t len);

/* Serve delivery reports (call now and then, e.g. once a second; cheap).  Until they are
 * served, delivered messages still occupy the local buffer. */
void kafka_poll(struct kafka *k);

/* Current counts (thread-safe snapshot). */
void kafka_counts(struct kafka *k, struct kafka_counts *out);

/* Flush for at most timeout_ms, then free.  Fills `out` with the final counts (messages
 * still unflushed at the timeout count as failed).  Returns true if every message queued was
 * delivered and none was dropped; when it returns false and librdkafka reported an error,
 * that last error is printed once on stderr ("lolwire: kafka: last error: ..."), the
 * counts are the caller's to print.  NULL `k` is a no-op returning true. */
bool kafka_close(struct kafka *k, int timeout_ms, struct kafka_counts *out);

#endif
