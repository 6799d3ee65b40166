/* test_frag.c: IPv4 and IPv6 fragment reassembly: order, overlaps (same and different
 * bytes), duplicates, timeouts, and the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"
#include "pkt_build.h"

/* A UDP datagram 10.0.0.1:1111 -> 10.0.0.2:2222 with `n` payload bytes, split into
 * IPv4 fragments at 8-byte multiples.  `data` receives the datagram's IP payload. */
static size_t udp_payload(uint8_t *data, size_t n)
{
    data[0] = 0x04, data[1] = 0x57, data[2] = 0x08, data[3] = 0xae; /* ports */
    data[4] = (uint8_t)((n + 8) >> 8), data[5] = (uint8_t)(n + 8);
    data[6] = data[7] = 0;
    for (size_t i = 0; i < n; i++)
        data[8 + i] = (uint8_t)('a' + i % 26);
    return n + 8;
}

static void frag4(struct tb *b, const uint8_t *payload, size_t off, size_t len, bool more)
{
    tb_reset(b);
    size_t ip = tb_ipv4(b, "10.0.0.1", "10.0.0.2", 17, 0x4242,
                        (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
    tb_bytes(b, payload + off, len);
    tb_ipv4_finish(b, ip);
}

static void feed(struct harness *h, struct tb *b, int64_t ts)
{
    harness_feed(h, LT_RAW, b->buf, (uint32_t)b->len, (uint32_t)b->len, ts);
}

static void check_one_udp(struct harness *h, size_t payload)
{
    assert_int_equal(harness_finish(h), 1);
    const struct flow *f = &h->out.flows[0];
    assert_int_equal(f->proto, 17);
    assert_int_equal(f->orig_p, 1111);
    assert_int_equal(f->resp_p, 2222);
    assert_int_equal(f->ep[0].pkts, 1);          /* the datagram counts once */
    assert_int_equal(f->ep[0].bytes, payload);   /* UDP length field - 8 */
    assert_int_equal(f->ep[0].ip_bytes, 20 + payload + 8);
}

static void test_in_order_and_reversed(void **state)
{
    uint8_t p[2048];
    size_t n = udp_payload(p, 1000);
    struct tb b;
    for (int rev = 0; rev < 2; rev++) {
        struct harness h;
        harness_init(&h);
        uint64_t before = lw_stats.frag_reassembled;
        size_t offs[3] = {0, 400, 800};
        for (int i = 0; i < 3; i++) {
            int k = rev ? 2 - i : i;
            size_t len = k == 2 ? n - 800 : 400;
            frag4(&b, p, offs[k], len, k != 2);
            feed(&h, &b, 1000000 + i);
        }
        assert_int_equal(lw_stats.frag_reassembled, before + 1);
        check_one_udp(&h, 1000);
    }
}

static void test_overlap_same_and_different(void **state)
{
    uint8_t p[2048];
    size_t n = udp_payload(p, 1000);
    struct tb b;
    struct harness h;
    harness_init(&h);
    uint64_t overlaps = lw_stats.frag_overlaps;
    frag4(&b, p, 0, 416, true);
    feed(&h, &b, 1);
    frag4(&b, p, 400, 400, true); /* overlaps 16 identical bytes */
    feed(&h, &b, 2);
    assert_int_equal(lw_stats.frag_overlaps, overlaps + 1);
    /* A conflicting rewrite of bytes 400..800: first data wins, so the datagram is
     * unchanged and the UDP length still checks out. */
    uint8_t evil[2048];
    memcpy(evil, p, n);
    memset(evil + 400, 'X', 400);
    uint64_t weirds = lw_stats.weirds;
    frag4(&b, evil, 400, 400, true);
    feed(&h, &b, 3);
    assert_true(lw_stats.weirds > weirds); /* fragment_inconsistency */
    frag4(&b, p, 800, n - 800, false);
    feed(&h, &b, 4);
    check_one_udp(&h, 1000);
}

static void test_incomplete_times_out(void **state)
{
    uint8_t p[2048];
    udp_payload(p, 1000);
    struct tb b;
    struct harness h;
    harness_init(&h);
    uint64_t timeouts = lw_stats.frag_timeouts;
    frag4(&b, p, 0, 400, true);
    feed(&h, &b, 1000000);
    /* A later packet past the timeout expires the pending datagram. */
    frag4(&b, p, 400, 400, true);
    feed(&h, &b, 1000000 + FRAG_TIMEOUT_US + 1);
    assert_int_equal(lw_stats.frag_timeouts, timeouts + 1);
    assert_int_equal(harness_finish(&h), 0);
}

static void test_truncated_fragment_dropped(void **state)
{
    uint8_t p[2048];
    udp_payload(p, 1000);
    struct tb b;
    struct harness h;
    harness_init(&h);
    frag4(&b, p, 0, 400, true);
    /* captured only in part: cannot be reassembled */
    harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len - 100, (uint32_t)b.len, 1);
    frag4(&b, p, 400, 600 + 8, false);
    feed(&h, &b, 2);
    assert_int_equal(harness_finish(&h), 0);
    /* every prefix of a fragment is handled without reading past it */
    frag4(&b, p, 0, 400, true);
    for (size_t k = 0; k < b.len; k++)
        assert_int_equal(run_frame(&h, LT_RAW, b.buf, (uint32_t)k, (uint32_t)b.len), 0);
}

static void test_ipv6_fragments(void **state)
{
    uint8_t p[2048];
    size_t n = udp_payload(p, 600);
    struct harness h;
    harness_init(&h);
    size_t cut = 304;
    for (int i = 0; i < 2; i++) {
        struct tb b = {0};
        size_t ip = tb_ipv6(&b, "2001:db8::1", "2001:db8::2", 44);
        tb_u8(&b, 17); /* next header: UDP */
        tb_u8(&b, 0);
        size_t off = i ? cut : 0;
        tb_be16(&b, (uint16_t)(off | (i ? 0 : 1)));
        tb_be32(&b, 0xabcdef);
        tb_bytes(&b, p + off, i ? n - cut : cut);
        tb_ipv6_finish(&b, ip);
        harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len, 10 + i);
    }
    assert_int_equal(harness_finish(&h), 1);
    assert_int_equal(h.out.flows[0].proto, 17);
    assert_int_equal(h.out.flows[0].ep[0].bytes, 600);
}

static void test_fragment_flood_is_capped(void **state)
{
    uint8_t p[64];
    udp_payload(p, 40);
    struct harness h;
    harness_init(&h);
    uint64_t evicted = lw_stats.frag_evicted;
    struct tb b;
    /* More pending datagrams than the table holds: the oldest are evicted, counted. */
    for (int i = 0; i < FRAG_MAX_DATAGRAMS + 100; i++) {
        tb_reset(&b);
        size_t ip = tb_ipv4(&b, "10.0.0.1", "10.0.0.2", 17, (uint16_t)i, 0x2000);
        tb_bytes(&b, p, 16);
        tb_ipv4_finish(&b, ip);
        harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len, 1000 + i);
    }
    assert_true(lw_stats.frag_evicted >= evicted + 100);
    harness_finish(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_and_reversed),
        cmocka_unit_test(test_overlap_same_and_different),
        cmocka_unit_test(test_incomplete_times_out),
        cmocka_unit_test(test_truncated_fragment_dropped),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_fragment_flood_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
