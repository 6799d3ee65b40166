/* kafka_mock.c: run a command against a Kafka cluster held in this process (librdkafka's
 * mock cluster), then write out every message the cluster received.
 *
 *     kafka_mock [--brokers N] OUT_FILE -- COMMAND [ARGS...]
 *     kafka_mock --down OUT_FILE -- COMMAND [ARGS...]
 *
 * Every "{brokers}" in COMMAND's arguments becomes the cluster's bootstrap list
 * ("127.0.0.1:port,..."; N brokers, default 3).  After COMMAND exits, every partition of
 * every topic is read from its beginning to its end and OUT_FILE gets one line per
 * message: TOPIC <TAB> PAYLOAD (payloads are single-line JSON; one with a newline is an
 * error).  With --down, "{brokers}" is a port on 127.0.0.1 that nothing listens on (a
 * broker that is away) and OUT_FILE stays empty.
 *
 * Exit status: COMMAND's if it is not 0 (128 + signal if killed), else 0, or 1 (with a
 * "kafka_mock: ..." line) when the cluster could not be set up or read.  Every wait is
 * bounded, so a test never hangs.  Used by tests/kafka_check.py.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* COMMAND is killed after this long (a replay of the test captures takes seconds). */
#define MOCK_COMMAND_TIMEOUT_S 600
/* Reading the cluster back: the whole step, and the longest wait with nothing new. */
#define MOCK_CONSUME_TIMEOUT_S 60
#define MOCK_CONSUME_IDLE_S 10
/* Metadata request timeout. */
#define MOCK_METADATA_TIMEOUT_MS 10000
#define MOCK_PLACEHOLDER "{brokers}"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* librdkafka's own log lines: only errors, with our prefix (the mock cluster's chatter
 * about clients coming and going is not a test failure). */
static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= LOG_ERR)
        fprintf(stderr, "kafka_mock: librdkafka: %s: %s\n", fac, buf);
}

/* A configuration from `kv`: name, value, name, value, ..., NULL. */
static rd_kafka_conf_t *conf_or_die(const char *const *kv)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char why[256];
    for (; kv[0]; kv += 2) {
        if (rd_kafka_conf_set(conf, kv[0], kv[1], why, sizeof(why)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "kafka_mock: %s=%s: %s\n", kv[0], kv[1], why);
            exit(1);
        }
    }
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    return conf;
}

/* "127.0.0.1:PORT" of a port nothing listens on: bound, read, closed.  (Another process
 * could take it meanwhile; on a test machine that is unlikely and would only make the
 * "broker away" test fail loudly.) */
static void unused_port(char *out, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("kafka_mock: finding an unused port on 127.0.0.1");
        exit(1);
    }
    close(fd);
    snprintf(out, len, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
}

/* `arg` with every MOCK_PLACEHOLDER replaced by `brokers` (malloc'd). */
static char *substitute(const char *arg, const char *brokers)
{
    size_t plen = strlen(MOCK_PLACEHOLDER), blen = strlen(brokers), n = 0;
    for (const char *p = strstr(arg, MOCK_PLACEHOLDER); p; p = strstr(p + plen, MOCK_PLACEHOLDER))
        n++;
    char *out = malloc(strlen(arg) + n * blen + 1), *o = out;
    if (!out) {
        fprintf(stderr, "kafka_mock: out of memory\n");
        exit(1);
    }
    const char *rest = arg;
    for (const char *hit; (hit = strstr(rest, MOCK_PLACEHOLDER)); rest = hit + plen) {
        memcpy(o, rest, (size_t)(hit - rest));
        o += hit - rest;
        memcpy(o, brokers, blen);
        o += blen;
    }
    strcpy(o, rest);
    return out;
}

/* Run argv (already substituted) to its end; its exit status, 128 + signal when killed,
 * 127 when it could not be started. */
static int run(char **argv)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("kafka_mock: fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "kafka_mock: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    double deadline = now_s() + MOCK_COMMAND_TIMEOUT_S;
    bool killed = false;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0) {
            perror("kafka_mock: waitpid");
            return 1;
        }
        if (!killed && now_s() > deadline) {
            fprintf(stderr, "kafka_mock: %s still running after %d s, killed\n", argv[0],
                    MOCK_COMMAND_TIMEOUT_S);
            kill(pid, SIGKILL);
            killed = true;
        }
        usleep(20000);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

/* Every partition of every topic on the cluster, from its beginning (internal topics
 * such as __consumer_offsets left out).  NULL on failure (message printed). */
static rd_kafka_topic_partition_list_t *all_partitions(rd_kafka_t *rk)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, MOCK_METADATA_TIMEOUT_MS);
    if (e) {
        fprintf(stderr, "kafka_mock: reading the cluster's topics: %s\n", rd_kafka_err2str(e));
        return NULL;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < md->topic_cnt; t++) {
        const struct rd_kafka_metadata_topic *mt = &md->topics[t];
        if (strncmp(mt->topic, "__", 2) == 0)
            continue;
        if (mt->err)
            fprintf(stderr, "kafka_mock: topic %s: %s\n", mt->topic, rd_kafka_err2str(mt->err));
        for (int p = 0; p < mt->partition_cnt; p++)
            rd_kafka_topic_partition_list_add(parts, mt->topic, mt->partitions[p].id)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(md);
    return parts;
}

/* Count the messages `parts` hold into *total; false if a partition lost its oldest
 * messages: the mock cluster keeps a bounded log per partition (about 100000 messages),
 * and a test must not pass on a partial read. */
static bool count_messages(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts, long long *total)
{
    bool ok = true;
    *total = 0;
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int64_t lo, hi;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, tp->topic, tp->partition, &lo,
                                                                 &hi, MOCK_METADATA_TIMEOUT_MS);
        if (e) {
            fprintf(stderr, "kafka_mock: offsets of %s [%d]: %s\n", tp->topic, tp->partition,
                    rd_kafka_err2str(e));
            ok = false;
        } else if (lo > 0) {
            fprintf(stderr,
                    "kafka_mock: %s [%d] lost its first %lld messages (the mock "
                    "cluster's log per partition is bounded)\n",
                    tp->topic, tp->partition, (long long)lo);
            ok = false;
        }
        if (!e)
            *total += hi - lo;
    }
    return ok;
}

/* Mark the partition of `m` as read to its end (`left` counts those not yet). */
static void mark_eof(rd_kafka_topic_partition_list_t *parts, bool *eof, int *left,
                     const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    for (int i = 0; i < parts->cnt; i++) {
        if (!eof[i] && parts->elems[i].partition == m->partition &&
            strcmp(parts->elems[i].topic, topic) == 0) {
            eof[i] = true;
            (*left)--;
        }
    }
}

/* Write one message as TOPIC <TAB> PAYLOAD; false if the payload is not a single line. */
static bool write_message(FILE *out, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    fprintf(out, "%s\t", topic);
    fwrite(m->payload, 1, m->len, out);
    fputc('\n', out);
    if (m->len && memchr(m->payload, '\n', m->len)) {
        fprintf(stderr, "kafka_mock: a message on %s holds a newline\n", topic);
        return false;
    }
    return true;
}

/* Read `parts` to their ends into `out`; false on any error or timeout (message printed).
 * *written counts the messages written. */
static bool drain(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts, FILE *out,
                  long long *written)
{
    bool ok = true;
    *written = 0;
    int left = parts->cnt;
    bool *eof = calloc((size_t)parts->cnt + 1, sizeof(*eof));
    if (!eof) {
        fprintf(stderr, "kafka_mock: out of memory\n");
        return false;
    }
    double start = now_s(), last = start;
    while (left > 0) {
        double t = now_s();
        if (t - start > MOCK_CONSUME_TIMEOUT_S || t - last > MOCK_CONSUME_IDLE_S) {
            fprintf(stderr,
                    "kafka_mock: timed out reading the cluster: %d of %d partitions "
                    "not read to their end\n",
                    left, parts->cnt);
            ok = false;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        last = now_s();
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            mark_eof(parts, eof, &left, m);
        } else if (m->err) {
            fprintf(stderr, "kafka_mock: consuming: %s\n", rd_kafka_message_errstr(m));
            ok = false;
        } else {
            ok &= write_message(out, m);
            (*written)++;
        }
        rd_kafka_message_destroy(m);
    }
    free(eof);
    return ok;
}

/* Read every message on the cluster at `brokers` into `path`; false on failure. */
static bool consume_all(const char *brokers, const char *path)
{
    /* Partitions are assigned, not subscribed: no group rebalance to wait for; the
     * group id is only there because a consumer needs one.  (Name, value pairs.) */
    /* clang-format off */
    const char *const kv[] = {"bootstrap.servers", brokers, "group.id", "kafka_mock",
                              "enable.auto.commit", "false", "auto.offset.reset", "earliest",
                              "enable.partition.eof", "true", NULL};
    /* clang-format on */
    rd_kafka_conf_t *conf = conf_or_die(kv);
    char why[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!rk) {
        fprintf(stderr, "kafka_mock: consumer: %s\n", why);
        return false;
    }
    FILE *out = fopen(path, "w");
    rd_kafka_topic_partition_list_t *parts = all_partitions(rk);
    bool ok = out && parts;
    if (!out)
        fprintf(stderr, "kafka_mock: cannot write %s: %s\n", path, strerror(errno));
    long long expected = 0, written = 0;
    if (ok && parts->cnt > 0) {
        ok = count_messages(rk, parts, &expected);
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
        if (e) {
            fprintf(stderr, "kafka_mock: assign: %s\n", rd_kafka_err2str(e));
            ok = false;
        } else {
            ok &= drain(rk, parts, out, &written);
        }
    }
    if (written != expected) {
        fprintf(stderr, "kafka_mock: read %lld messages of the %lld on the cluster\n", written,
                expected);
        ok = false;
    }
    if (out && fclose(out) != 0) {
        fprintf(stderr, "kafka_mock: writing %s: %s\n", path, strerror(errno));
        ok = false;
    }
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return ok;
}

static void usage(void)
{
    fprintf(stderr, "usage: kafka_mock [--brokers N] OUT_FILE -- COMMAND [ARGS...]\n"
                    "       kafka_mock --down OUT_FILE -- COMMAND [ARGS...]\n"
                    "\"{brokers}\" in the arguments becomes the cluster's bootstrap list.\n");
    exit(1);
}

int main(int argc, char **argv)
{
    bool down = false;
    int nbrokers = 3, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2]; i++) {
        if (strcmp(argv[i], "--down") == 0)
            down = true;
        else if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc)
            nbrokers = atoi(argv[++i]);
        else
            usage();
    }
    if (i + 2 >= argc || strcmp(argv[i + 1], "--") != 0 || nbrokers < 1 || nbrokers > 16)
        usage();
    const char *out_path = argv[i];
    char **cmd = &argv[i + 2];
    int ncmd = argc - (i + 2);

    char down_addr[64];
    rd_kafka_t *owner = NULL; /* the handle that holds the mock cluster */
    rd_kafka_mock_cluster_t *mc = NULL;
    const char *brokers;
    if (down) {
        unused_port(down_addr, sizeof(down_addr));
        brokers = down_addr;
    } else {
        const char *const kv[] = {"client.id", "kafka_mock", NULL};
        char why[256];
        owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf_or_die(kv), why, sizeof(why));
        if (!owner) {
            fprintf(stderr, "kafka_mock: %s\n", why);
            return 1;
        }
        mc = rd_kafka_mock_cluster_new(owner, nbrokers);
        if (!mc) {
            fprintf(stderr, "kafka_mock: cannot create a mock cluster of %d brokers\n", nbrokers);
            return 1;
        }
        brokers = rd_kafka_mock_cluster_bootstraps(mc);
    }

    char **sub = calloc((size_t)ncmd + 1, sizeof(*sub));
    if (!sub) {
        fprintf(stderr, "kafka_mock: out of memory\n");
        return 1;
    }
    for (int a = 0; a < ncmd; a++)
        sub[a] = substitute(cmd[a], brokers);
    int status = run(sub);

    bool ok;
    if (down) {
        FILE *f = fopen(out_path, "w");
        ok = f && fclose(f) == 0;
        if (!ok)
            fprintf(stderr, "kafka_mock: cannot write %s: %s\n", out_path, strerror(errno));
    } else {
        ok = consume_all(brokers, out_path);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(owner);
    }
    for (int a = 0; a < ncmd; a++)
        free(sub[a]);
    free(sub);
    if (status != 0)
        return status;
    return ok ? 0 : 1;
}
