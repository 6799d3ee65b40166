/* test_decode.c: every link layer, encapsulation and transport decoder, each with a
 * truncation sweep: every prefix of a valid frame is fed (in an allocation of exactly
 * that size), and the connections logged must be exactly what the captured bytes allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"
#include "pkt_build.h"

/* What a frame must yield: connections logged when cut before `need` bytes (none), when
 * cut at or after `need` (partial), and whole (full). */
struct expect {
    size_t need;
    int partial;
    int full;
};

static void sweep(int linktype, const struct tb *b, struct expect e)
{
    struct harness h;
    for (size_t n = 0; n <= b->len; n++) {
        int got = run_frame(&h, linktype, b->buf, (uint32_t)n, (uint32_t)b->len);
        int want = n < e.need ? 0 : (n < b->len ? e.partial : e.full);
        if (got != want)
            fail_msg("linktype %d, prefix %zu of %zu: %d connections, want %d", linktype, n,
                     b->len, got, want);
    }
}

/* IPv4 10.0.0.1:40000 -> 10.0.0.2:80, TCP PSH|ACK with an HTTP request line. */
static size_t add_ipv4_tcp(struct tb *b)
{
    size_t ip = tb_ipv4(b, "10.0.0.1", "10.0.0.2", 6, 1, 0);
    tb_tcp(b, 40000, 80, 1000, 2000, TH_PUSH | TH_ACK, "GET / HTTP/1.1\r\n\r\n");
    tb_ipv4_finish(b, ip);
    return ip + 40; /* end of the TCP header */
}

static size_t add_ipv4_udp(struct tb *b, const char *src, const char *dst, uint16_t sp,
                           uint16_t dp, const char *payload)
{
    size_t ip = tb_ipv4(b, src, dst, 17, 2, 0);
    tb_udp(b, sp, dp, payload);
    tb_ipv4_finish(b, ip);
    return ip + 28;
}

static void check_tcp_flow(const struct flow *f)
{
    char a[LW_ADDR_STRLEN], r[LW_ADDR_STRLEN];
    addr_format(&f->orig_h, a);
    addr_format(&f->resp_h, r);
    assert_string_equal(a, "10.0.0.1");
    assert_string_equal(r, "10.0.0.2");
    assert_int_equal(f->orig_p, 40000);
    assert_int_equal(f->resp_p, 80);
    assert_int_equal(f->proto, 6);
    assert_int_equal(f->ep[0].pkts, 1);
    assert_int_equal(f->ep[0].ip_bytes, 20 + 20 + 18);
}

static void test_ethernet(void **state)
{
    struct tb b = {0};
    tb_ether(&b, 0x0800);
    size_t need = add_ipv4_tcp(&b);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_ETHERNET, b.buf, (uint32_t)b.len, (uint32_t)b.len), 1);
    check_tcp_flow(&h.out.flows[0]);
    assert_string_equal(h.out.flows[0].history, "D");
    sweep(LT_ETHERNET, &b, (struct expect){need, 1, 1});
}

static void test_vlan_qinq(void **state)
{
    struct tb b = {0};
    tb_ether(&b, 0x88a8);
    tb_be16(&b, 100);
    tb_be16(&b, 0x8100);
    tb_be16(&b, 200);
    tb_be16(&b, 0x0800);
    size_t need = add_ipv4_tcp(&b);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_ETHERNET, b.buf, (uint32_t)b.len, (uint32_t)b.len), 1);
    check_tcp_flow(&h.out.flows[0]);
    assert_int_equal(h.out.flows[0].vlan, 100);
    assert_int_equal(h.out.flows[0].inner_vlan, 200);
    sweep(LT_ETHERNET, &b, (struct expect){need, 1, 1});
}

static void test_mpls(void **state)
{
    struct tb b = {0};
    tb_ether(&b, 0x8847);
    tb_be32(&b, (16u << 12) | 64);        /* label 16, not bottom */
    tb_be32(&b, (17u << 12) | 0x100 | 64); /* label 17, bottom of stack */
    size_t need = add_ipv4_tcp(&b);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_ETHERNET, b.buf, (uint32_t)b.len, (uint32_t)b.len), 1);
    check_tcp_flow(&h.out.flows[0]);
    sweep(LT_ETHERNET, &b, (struct expect){need, 1, 1});
}

static void test_pppoe(void **state)
{
    struct tb b = {0};
    tb_ether(&b, 0x8864);
    tb_u8(&b, 0x11);
    tb_u8(&b, 0);
    tb_be16(&b, 0x1234);
    tb_be16(&b, 60); /* length */
    tb_be16(&b, 0x0021);
    size_t need = add_ipv4_tcp(&b);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_ETHERNET, b.buf, (uint32_t)b.len, (uint32_t)b.len), 1);
    check_tcp_flow(&h.out.flows[0]);
    sweep(LT_ETHERNET, &b, (struct expect){need, 1, 1});
}

static void test_pbb_vntag_fabricpath(void **state)
{
    /* PBB: I-TAG then a customer Ethernet header. */
    struct tb b = {0};
    tb_ether(&b, 0x88e7);
    tb_be32(&b, 0x00000100);
    tb_ether(&b, 0x0800);
    size_t need = add_ipv4_tcp(&b);
    sweep(LT_ETHERNET, &b, (struct expect){need, 1, 1});

    /* VN-Tag then 802.1Q. */
    struct tb v = {0};
    tb_ether(&v, 0x8926);
    tb_be32(&v, 0);
    tb_be16(&v, 0x8100);
    tb_be16(&v, 11);
    tb_be16(&v, 0x0800);
    need = add_ipv4_tcp(&v);
    sweep(LT_ETHERNET, &v, (struct expect){need, 1, 1});

    /* Cisco FabricPath: 16-byte outer header, then the classic frame. */
    struct tb fp = {0};
    tb_ether(&fp, 0x8903);
    tb_be16(&fp, 0x0001);
    tb_ether(&fp, 0x0800);
    need = add_ipv4_tcp(&fp);
    sweep(LT_ETHERNET, &fp, (struct expect){need, 1, 1});
}

static void test_sll_sll2(void **state)
{
    struct tb b = {0};
    tb_be16(&b, 0);    /* packet type */
    tb_be16(&b, 1);    /* ARPHRD_ETHER */
    tb_be16(&b, 6);    /* address length */
    tb_be32(&b, 0);
    tb_be32(&b, 0);    /* address, 8 bytes */
    tb_be16(&b, 0x0800);
    size_t need = add_ipv4_tcp(&b);
    sweep(LT_LINUX_SLL, &b, (struct expect){need, 1, 1});

    struct tb c = {0};
    tb_be16(&c, 0x0800); /* protocol first in SLL2 */
    tb_be16(&c, 0);
    tb_be32(&c, 3);      /* ifindex */
    tb_be16(&c, 1);
    tb_u8(&c, 0);
    tb_u8(&c, 6);
    tb_be32(&c, 0);
    tb_be32(&c, 0);
    need = add_ipv4_tcp(&c);
    sweep(LT_LINUX_SLL2, &c, (struct expect){need, 1, 1});
}

static void test_null_loop_raw(void **state)
{
    struct tb b = {0};
    tb_bytes(&b, "\x02\x00\x00\x00", 4); /* AF_INET, little-endian host */
    size_t need = add_ipv4_tcp(&b);
    sweep(LT_NULL, &b, (struct expect){need, 1, 1});

    struct tb l = {0};
    tb_be32(&l, 2); /* DLT_LOOP: network order */
    need = add_ipv4_tcp(&l);
    sweep(LT_LOOP, &l, (struct expect){need, 1, 1});

    struct tb r = {0};
    need = add_ipv4_tcp(&r);
    sweep(LT_RAW, &r, (struct expect){need, 1, 1});
}

static void test_ipv6_ext_headers(void **state)
{
    struct tb b = {0};
    size_t ip = tb_ipv6(&b, "2001:db8::1", "2001:db8::2", 0); /* hop-by-hop first */
    tb_u8(&b, 60);                                             /* next: destination options */
    tb_u8(&b, 0);
    tb_bytes(&b, "\x01\x04\x00\x00\x00\x00", 6); /* PadN */
    tb_u8(&b, 17);                               /* next: UDP */
    tb_u8(&b, 0);
    tb_bytes(&b, "\x01\x04\x00\x00\x00\x00", 6);
    tb_udp(&b, 5353, 53, "query");
    tb_ipv6_finish(&b, ip);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len), 1);
    const struct flow *f = &h.out.flows[0];
    assert_int_equal(f->proto, 17);
    assert_int_equal(f->orig_p, 5353);
    assert_int_equal(f->resp_p, 53);
    assert_int_equal(f->ep[0].bytes, 5);
    assert_int_equal(f->ep[0].ip_bytes, b.len);
    sweep(LT_RAW, &b, (struct expect){40 + 16 + 8, 1, 1});
}

static void test_icmp_pairs(void **state)
{
    struct harness h;
    harness_init(&h);
    struct tb b = {0};
    size_t ip = tb_ipv4(&b, "10.0.0.1", "10.0.0.2", 1, 3, 0);
    tb_icmp(&b, 8, 0, "ping");
    tb_ipv4_finish(&b, ip);
    harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len, 1000000);
    tb_reset(&b);
    ip = tb_ipv4(&b, "10.0.0.2", "10.0.0.1", 1, 4, 0);
    tb_icmp(&b, 0, 0, "ping");
    tb_ipv4_finish(&b, ip);
    harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len, 1000100);
    /* A one-way type (port unreachable) is its own connection: type/code as ports. */
    tb_reset(&b);
    ip = tb_ipv4(&b, "10.0.0.2", "10.0.0.1", 1, 5, 0);
    tb_icmp(&b, 3, 3, "xxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    tb_ipv4_finish(&b, ip);
    harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len, 1000200);
    assert_int_equal(harness_finish(&h), 2);
    const struct flow *echo = &h.out.flows[0], *unreach = &h.out.flows[1];
    assert_int_equal(echo->orig_p, 8);
    assert_int_equal(echo->resp_p, 0);
    assert_int_equal(echo->ep[0].pkts, 1);
    assert_int_equal(echo->ep[1].pkts, 1);
    assert_int_equal(echo->ep[0].bytes, 4); /* ICMP payload after the 8-byte header */
    assert_int_equal(unreach->orig_p, 3);
    assert_int_equal(unreach->resp_p, 3);
    assert_string_equal(conn_state(echo), "OTH");
    sweep(LT_RAW, &b, (struct expect){20 + 8, 1, 1});
}

static void test_radiotap_80211(void **state)
{
    struct tb b = {0};
    tb_bytes(&b, "\x00\x00\x08\x00\x00\x00\x00\x00", 8); /* radiotap, 8 bytes, no fields */
    tb_bytes(&b, "\x88\x01", 2); /* QoS data, to DS */
    tb_be16(&b, 0);
    for (int i = 0; i < 18; i++)
        tb_u8(&b, (uint8_t)i);  /* three addresses */
    tb_be16(&b, 0);             /* sequence control */
    tb_be16(&b, 0);             /* QoS control */
    tb_bytes(&b, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8); /* LLC/SNAP, IPv4 */
    size_t need = add_ipv4_udp(&b, "10.0.0.1", "10.0.0.2", 1234, 53, "q");
    sweep(LT_IEEE802_11_RADIOTAP, &b, (struct expect){need, 1, 1});
}

static void test_nflog(void **state)
{
    struct tb b = {0};
    tb_bytes(&b, "\x02\x00\x00\x01", 4);      /* AF_INET, version 0, resource id */
    tb_bytes(&b, "\x08\x00\x01\x00", 4);      /* TLV len 8, type 1 (packet header) */
    tb_be32(&b, 0);
    struct tb ip = {0};
    add_ipv4_udp(&ip, "10.0.0.1", "10.0.0.2", 1234, 53, "q");
    uint16_t tlen = (uint16_t)(4 + ip.len);
    tb_u8(&b, (uint8_t)tlen);
    tb_u8(&b, (uint8_t)(tlen >> 8));
    tb_bytes(&b, "\x09\x00", 2);              /* payload */
    size_t start = b.len;
    tb_bytes(&b, ip.buf, ip.len);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_NFLOG, b.buf, (uint32_t)b.len, (uint32_t)b.len), 1);
    /* A cut TLV is refused whole, so only the complete frame yields the connection. */
    sweep(LT_NFLOG, &b, (struct expect){b.len, 0, 1});
    (void)start;
}

/* GRE with a key, carrying IPv4/TCP: the GRE outer is a tunnel, not a conn.log row. */
static void test_gre(void **state)
{
    struct tb b = {0};
    tb_ether(&b, 0x0800);
    size_t outer = tb_ipv4(&b, "192.0.2.1", "192.0.2.2", 47, 9, 0);
    tb_be16(&b, 0x2000); /* K bit */
    tb_be16(&b, 0x0800);
    tb_be32(&b, 42);     /* key */
    add_ipv4_tcp(&b);
    tb_ipv4_finish(&b, outer);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_ETHERNET, b.buf, (uint32_t)b.len, (uint32_t)b.len), 1);
    check_tcp_flow(&h.out.flows[0]);
    assert_int_equal(h.out.flows[0].tun->nparents, 1);
    assert_true(h.out.flows[0].tun->parents[0][0] == 'C');
    sweep(LT_ETHERNET, &b, (struct expect){b.len, 0, 1});
}

/* UDP tunnels: the outer UDP connection is logged too, and is the inner's parent. */
static void check_udp_tunnel(const struct tb *b, size_t outer_need)
{
    struct harness h;
    assert_int_equal(run_frame(&h, LT_ETHERNET, b->buf, (uint32_t)b->len, (uint32_t)b->len), 2);
    const struct flow *outer = NULL, *inner = NULL;
    for (int i = 0; i < 2; i++) {
        if (h.out.flows[i].proto == 17 && !h.out.flows[i].tun)
            outer = &h.out.flows[i];
        else
            inner = &h.out.flows[i];
    }
    assert_non_null(outer);
    assert_non_null(inner);
    assert_string_equal(inner->tun->parents[0], outer->uid);
    assert_true(outer->nservices > 0);
    sweep(LT_ETHERNET, b, (struct expect){outer_need, 1, 2});
}

static void test_vxlan_geneve(void **state)
{
    struct tb b = {0};
    tb_ether(&b, 0x0800);
    size_t outer = tb_ipv4(&b, "192.0.2.1", "192.0.2.2", 17, 9, 0);
    size_t udp = b.len;
    tb_udp(&b, 50000, 4789, NULL);
    tb_bytes(&b, "\x08\x00\x00\x00\x00\x00\x2a\x00", 8); /* VXLAN, VNI 42 */
    tb_ether(&b, 0x0800);
    add_ipv4_tcp(&b);
    b.buf[udp + 4] = (uint8_t)((b.len - udp) >> 8);
    b.buf[udp + 5] = (uint8_t)(b.len - udp);
    tb_ipv4_finish(&b, outer);
    check_udp_tunnel(&b, udp + 8);

    struct tb g = {0};
    tb_ether(&g, 0x0800);
    outer = tb_ipv4(&g, "192.0.2.1", "192.0.2.2", 17, 9, 0);
    udp = g.len;
    tb_udp(&g, 50000, 6081, NULL);
    tb_bytes(&g, "\x01\x00\x65\x58\x00\x00\x2a\x00", 8); /* 4 option bytes, TEB */
    tb_be32(&g, 0x01020304);
    tb_ether(&g, 0x0800);
    add_ipv4_tcp(&g);
    g.buf[udp + 4] = (uint8_t)((g.len - udp) >> 8);
    g.buf[udp + 5] = (uint8_t)(g.len - udp);
    tb_ipv4_finish(&g, outer);
    check_udp_tunnel(&g, udp + 8);
}

static void test_gtp_teredo_ayiya(void **state)
{
    /* GTPv1-U G-PDU carrying IPv4/TCP. */
    struct tb b = {0};
    tb_ether(&b, 0x0800);
    size_t outer = tb_ipv4(&b, "192.0.2.1", "192.0.2.2", 17, 9, 0);
    size_t udp = b.len;
    tb_udp(&b, 2152, 2152, NULL);
    struct tb in = {0};
    add_ipv4_tcp(&in);
    tb_u8(&b, 0x30);
    tb_u8(&b, 0xff);
    tb_be16(&b, (uint16_t)in.len);
    tb_be32(&b, 7);
    tb_bytes(&b, in.buf, in.len);
    b.buf[udp + 4] = (uint8_t)((b.len - udp) >> 8);
    b.buf[udp + 5] = (uint8_t)(b.len - udp);
    tb_ipv4_finish(&b, outer);
    check_udp_tunnel(&b, udp + 8);

    /* Teredo: IPv6 (a 2001:0::/32 address) in UDP 3544, seen from both sides. */
    struct tb t = {0};
    tb_ether(&t, 0x0800);
    outer = tb_ipv4(&t, "192.0.2.1", "192.0.2.2", 17, 9, 0);
    udp = t.len;
    tb_udp(&t, 40000, 3544, NULL);
    size_t ip6 = tb_ipv6(&t, "2001:0:4137:9e50::1", "2001:db8::2", 58);
    tb_icmp(&t, 128, 0, "ping");
    tb_ipv6_finish(&t, ip6);
    t.buf[udp + 4] = (uint8_t)((t.len - udp) >> 8);
    t.buf[udp + 5] = (uint8_t)(t.len - udp);
    tb_ipv4_finish(&t, outer);
    struct harness h;
    assert_int_equal(run_frame(&h, LT_ETHERNET, t.buf, (uint32_t)t.len, (uint32_t)t.len), 2);
    sweep(LT_ETHERNET, &t, (struct expect){udp + 8, 1, 2});

    /* AYIYA: 16-byte identity, 20-byte signature, opcode forward, IPv6 inside. */
    struct tb a = {0};
    tb_ether(&a, 0x0800);
    outer = tb_ipv4(&a, "192.0.2.1", "192.0.2.2", 17, 9, 0);
    udp = a.len;
    tb_udp(&a, 40000, 5072, NULL);
    tb_bytes(&a, "\x41\x52\x11\x29", 4);
    tb_be32(&a, 0);
    for (int i = 0; i < 36; i++)
        tb_u8(&a, 0);
    ip6 = tb_ipv6(&a, "2001:db8::1", "2001:db8::2", 58);
    tb_icmp(&a, 128, 0, "ping");
    tb_ipv6_finish(&a, ip6);
    a.buf[udp + 4] = (uint8_t)((a.len - udp) >> 8);
    a.buf[udp + 5] = (uint8_t)(a.len - udp);
    tb_ipv4_finish(&a, outer);
    check_udp_tunnel(&a, udp + 8);
}

static void test_not_ip(void **state)
{
    struct tb b = {0};
    tb_ether(&b, 0x0806); /* ARP */
    for (int i = 0; i < 28; i++)
        tb_u8(&b, 0);
    uint64_t before = lw_stats.pkts_non_ip;
    sweep(LT_ETHERNET, &b, (struct expect){b.len + 1, 0, 0});
    assert_true(lw_stats.pkts_non_ip > before);

    struct tb u = {0};
    tb_ether(&u, 0x88b5); /* a local experimental EtherType */
    tb_be32(&u, 0);
    before = lw_stats.pkts_ethertype_unknown;
    sweep(LT_ETHERNET, &u, (struct expect){u.len + 1, 0, 0});
    assert_true(lw_stats.pkts_ethertype_unknown > before);
}

/* A full table evicts the least recently active connection, logs it and counts it. */
static void test_flow_cap_evicts_oldest(void **state)
{
    struct harness h;
    harness_init_cap(&h, 16);
    uint64_t before = lw_stats.flows_evicted;
    for (int i = 0; i < 40; i++) {
        struct tb b = {0};
        add_ipv4_udp(&b, "10.0.0.1", "10.0.0.2", (uint16_t)(20000 + i), 53, "q");
        harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len, 1000 + i);
    }
    assert_int_equal(lw_stats.flows_evicted, before + 24);
    assert_int_equal(h.out.n, 24); /* evicted ones are logged at once... */
    assert_int_equal(h.out.flows[0].orig_p, 20000); /* ...oldest first */
    assert_int_equal(harness_finish(&h), 40); /* and nothing is lost */
}

/* The bucket array doubles as connections outnumber it: every connection is still found
 * (its second packet joins it), none is lost or doubled. */
static void test_flow_table_grows(void **state)
{
    struct harness h;
    harness_init(&h);
    uint64_t grown = lw_stats.flow_table_grown;
    char src[32];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3 * (int)FLOW_BUCKETS_MIN; i++) {
            struct tb b = {0};
            snprintf(src, sizeof(src), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            add_ipv4_udp(&b, src, "10.255.0.1", (uint16_t)(1024 + i % 50000), 53,
                         round ? "answer" : "q");
            harness_feed(&h, LT_RAW, b.buf, (uint32_t)b.len, (uint32_t)b.len,
                         1000 + round * 100000 + i);
        }
    assert_int_equal(lw_stats.flow_table_grown, grown + 2); /* 4096 -> 8192 -> 16384 */
    assert_int_equal(flow_table_count(h.dec.flows), 3 * FLOW_BUCKETS_MIN);
    harness_finish(&h); /* (keeps the first HARNESS_MAX_FLOWS it ends) */
    for (int i = 0; i < h.out.n; i++)
        assert_int_equal(h.out.flows[i].ep[0].pkts, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet),         cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_mpls),             cmocka_unit_test(test_pppoe),
        cmocka_unit_test(test_pbb_vntag_fabricpath), cmocka_unit_test(test_sll_sll2),
        cmocka_unit_test(test_null_loop_raw),    cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_icmp_pairs),       cmocka_unit_test(test_radiotap_80211),
        cmocka_unit_test(test_nflog),            cmocka_unit_test(test_gre),
        cmocka_unit_test(test_vxlan_geneve),     cmocka_unit_test(test_gtp_teredo_ayiya),
        cmocka_unit_test(test_not_ip),           cmocka_unit_test(test_flow_cap_evicts_oldest),
        cmocka_unit_test(test_flow_table_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
