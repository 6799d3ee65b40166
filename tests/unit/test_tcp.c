/* test_tcp.c: TCP connection tracking against what Zeek logs for the same exchanges:
 * conn_state, history, sizes from sequence numbers, timers, reuse, wraparound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"
#include "pkt_build.h"

#define C "10.0.0.1"
#define S "10.0.0.2"
#define CP 40000
#define SP 80

static struct harness h;
static int64_t now;

static void seg_data(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
                     const char *data)
{
    struct tb b = {0};
    size_t ip = tb_ipv4(&b, from_client ? C : S, from_client ? S : C, 6, 1, 0);
    tb_tcp(&b, from_client ? CP : SP, from_client ? SP : CP, seq, ack, flags, data);
    tb_ipv4_finish(&b, ip);
    now += 1000;
    harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len, now);
}

static void seg(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags, size_t len)
{
    static char data[4096];
    memset(data, 'x', sizeof(data));
    data[len] = '\0';
    seg_data(from_client, seq, ack, flags, len ? data : NULL);
}

static void start(void)
{
    now = 1000000000;
    harness_init(&h);
}

static const struct flow *only(void)
{
    assert_int_equal(harness_finish(&h), 1);
    return &h.out.flows[0];
}

static void expect(const struct flow *f, const char *state, const char *history, uint64_t ob,
                   uint64_t rb)
{
    assert_string_equal(conn_state(f), state);
    assert_string_equal(f->history, history);
    assert_int_equal(conn_orig_bytes(f), ob);
    assert_int_equal(conn_resp_bytes(f), rb);
}

static void test_complete_exchange(void **state)
{
    start();
    seg(true, 100, 0, TH_SYN, 0);
    seg(false, 500, 101, TH_SYN | TH_ACK, 0);
    seg(true, 101, 501, TH_ACK, 0);
    seg(true, 101, 501, TH_ACK | TH_PUSH, 120);
    seg(false, 501, 221, TH_ACK | TH_PUSH, 1000);
    seg(true, 221, 1501, TH_ACK | TH_FIN, 0);
    seg(false, 1501, 222, TH_ACK | TH_FIN, 0);
    seg(true, 222, 1502, TH_ACK, 0);
    const struct flow *f = only();
    /* the server never sends a bare ACK, so no "a" (Zeek adds A/a only for those) */
    expect(f, "SF", "ShADdFf", 120, 1000);
    assert_int_equal(f->ep[0].pkts, 5);
    assert_int_equal(f->ep[1].pkts, 3);
}

static void test_rejected(void **state)
{
    start();
    seg(true, 100, 0, TH_SYN, 0);
    seg(false, 0, 101, TH_RST | TH_ACK, 0);
    expect(only(), "REJ", "Sr", 0, 0);
}

static void test_unanswered_and_retried(void **state)
{
    start();
    seg(true, 100, 0, TH_SYN, 0);
    expect(only(), "S0", "S", 0, 0);

    /* A retry after tcp_attempt_delay is a new attempt (Zeek logs two S0 lines); one
     * within it is a retransmission of the same attempt. */
    start();
    seg(true, 100, 0, TH_SYN, 0);
    now += 1000000;
    seg(true, 100, 0, TH_SYN, 0);
    now += 6000000;
    seg(true, 100, 0, TH_SYN, 0);
    assert_int_equal(harness_finish(&h), 2);
    assert_int_equal(h.out.flows[0].ep[0].pkts, 2);
    assert_int_equal(h.out.flows[1].ep[0].pkts, 1);
}

static void test_originator_resets(void **state)
{
    start();
    seg(true, 100, 0, TH_SYN, 0);
    seg(false, 500, 101, TH_SYN | TH_ACK, 0);
    seg(true, 101, 0, TH_RST, 0);
    expect(only(), "RSTO", "ShR", 0, 0);

    start();
    seg(true, 100, 0, TH_SYN, 0);
    seg(true, 101, 0, TH_RST, 0);
    expect(only(), "RSTOS0", "SR", 0, 0);
}

static void test_midstream_and_flips(void **state)
{
    /* Data from the server side first: the server port decides who is the responder. */
    start();
    seg(false, 5000, 900, TH_ACK | TH_PUSH, 100);
    seg(true, 900, 5100, TH_ACK | TH_PUSH, 10);
    const struct flow *f = only();
    assert_int_equal(f->orig_p, CP);
    expect(f, "OTH", "^dD", 10, 100);

    /* A SYN-ACK first: its sender is the responder. */
    start();
    seg(false, 500, 101, TH_SYN | TH_ACK, 0);
    seg(true, 101, 501, TH_ACK, 0);
    f = only();
    assert_int_equal(f->resp_p, SP);
    assert_string_equal(f->history, "^hA");
}

static void test_missed_data_counts_when_acked(void **state)
{
    /* The server's 2000 bytes are never seen, but the client acknowledges them. */
    start();
    seg(true, 100, 0, TH_SYN, 0);
    seg(false, 500, 101, TH_SYN | TH_ACK, 0);
    seg(true, 101, 501, TH_ACK | TH_PUSH, 50);
    seg(true, 151, 2501, TH_ACK, 0);
    const struct flow *f = only();
    assert_int_equal(conn_orig_bytes(f), 50);
    assert_int_equal(conn_resp_bytes(f), 2000);
}

static void test_retransmission_and_wraparound(void **state)
{
    start();
    uint32_t isn = 0xffffff00u; /* the sequence space wraps during the transfer */
    seg(true, isn, 0, TH_SYN, 0);
    seg(false, 500, isn + 1, TH_SYN | TH_ACK, 0);
    seg(true, isn + 1, 501, TH_ACK, 0);
    uint32_t seq = isn + 1;
    for (int i = 0; i < 100; i++) {
        seg(true, seq, 501, TH_ACK, 1000);
        seq += 1000;
    }
    now += 200000; /* a retransmission, after the RTO (a copy 1 ms later is a SPAN duplicate) */
    seg(true, seq - 1000, 501, TH_ACK, 1000);
    seg(false, 501, seq, TH_ACK, 0);
    const struct flow *f = only();
    assert_int_equal(conn_orig_bytes(f), 100000);
    assert_string_equal(f->history, "ShADTa");
}

/* A SPAN session mirroring both the ingress and the egress port: every frame twice, the
 * copy a few microseconds later.  Dropped, counted, weird once: conn.log as if once. */
static void feed_twice(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags, size_t len)
{
    seg(from_client, seq, ack, flags, len);
    now -= 1000 - 3; /* the copy 3 µs after the original */
    seg(from_client, seq, ack, flags, len);
}

static void span_session(void)
{
    feed_twice(true, 100, 0, TH_SYN, 0);
    feed_twice(false, 500, 101, TH_SYN | TH_ACK, 0);
    feed_twice(true, 101, 501, TH_ACK, 0);
    feed_twice(true, 101, 501, TH_ACK | TH_PUSH, 100);
    feed_twice(false, 501, 201, TH_ACK | TH_PUSH, 300);
    feed_twice(true, 201, 801, TH_ACK | TH_FIN, 0);
    feed_twice(false, 801, 202, TH_ACK | TH_FIN, 0);
    feed_twice(true, 202, 802, TH_ACK, 0);
}

static void test_span_duplicates(void **state)
{
    start();
    uint64_t before = lw_stats.span_duplicates;
    span_session();
    const struct flow *f = only();
    expect(f, "SF", "ShADdFf", 100, 300);
    assert_int_equal(f->ep[0].pkts, 5);
    assert_int_equal(f->ep[1].pkts, 3);
    assert_int_equal(lw_stats.span_duplicates, before + 8);
    /* --keep-duplicates: Zeek's reading, every copy counted (retransmissions). */
    now = 1000000000;
    harness_init_opts(&h, 0, true);
    span_session();
    f = only();
    assert_int_equal(f->ep[0].pkts, 10);
    assert_int_equal(conn_orig_bytes(f), 100);
    assert_true(strchr(f->history, 'T') != NULL);
}

/* IRC is named from a server greeting (":prefix 001 ..."), read within its bytes: a
 * greeting cut right after the numeric ends the payload (and the frame: the harness's
 * exact-size copy makes ASan catch a read past it). */
static void test_irc_greeting(void **state)
{
    static const char *const cases[][2] = {
        {":irc.example.net 001 nick :Welcome\r\n", "irc"},
        {":irc.example.net NOTICE * :hello\r\n", "irc"},
        {":ab 001", "-"},  /* no space after the numeric, and nothing past it */
        {":\x01\x02 \xff\xfe", "-"}, /* binary that starts with ':' */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start();
        seg(true, 100, 0, TH_SYN, 0);
        seg(false, 500, 101, TH_SYN | TH_ACK, 0);
        seg(true, 101, 501, TH_ACK, 0);
        seg_data(false, 501, 101, TH_ACK | TH_PUSH, cases[i][0]);
        const struct flow *f = only();
        char buf[64];
        const char *svc = flow_services(f, buf, sizeof(buf));
        assert_string_equal(*svc ? svc : "-", cases[i][1]);
    }
}

static void test_reuse_after_close(void **state)
{
    start();
    seg(true, 100, 0, TH_SYN, 0);
    seg(false, 500, 101, TH_SYN | TH_ACK, 0);
    seg(true, 101, 501, TH_ACK | TH_FIN, 0);
    seg(false, 501, 102, TH_ACK | TH_FIN, 0);
    seg(true, 9000, 0, TH_SYN, 0); /* same ports, new ISN: a new connection */
    assert_int_equal(harness_finish(&h), 2);
    assert_string_equal(conn_state(&h.out.flows[0]), "SF");
    assert_string_equal(conn_state(&h.out.flows[1]), "S0");
}

static void test_close_delay_splits_late_packets(void **state)
{
    start();
    seg(true, 100, 0, TH_SYN, 0);
    seg(false, 500, 101, TH_SYN | TH_ACK, 0);
    seg(true, 101, 501, TH_ACK | TH_FIN, 0);
    seg(false, 501, 102, TH_ACK | TH_FIN, 0);
    now += 10 * 1000000; /* past tcp_close_delay */
    seg(true, 102, 502, TH_ACK, 0);
    assert_int_equal(harness_finish(&h), 2);
    assert_string_equal(h.out.flows[1].history, "A");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_exchange),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_unanswered_and_retried),
        cmocka_unit_test(test_originator_resets),
        cmocka_unit_test(test_midstream_and_flips),
        cmocka_unit_test(test_missed_data_counts_when_acked),
        cmocka_unit_test(test_retransmission_and_wraparound),
        cmocka_unit_test(test_span_duplicates),
        cmocka_unit_test(test_irc_greeting),
        cmocka_unit_test(test_reuse_after_close),
        cmocka_unit_test(test_close_delay_splits_late_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
