/* test_core.c: Community ID (the spec's table vectors), uids, base64, prefixes, cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/addr.h"
#include "core/cursor.h"
#include "core/util.h"
#include "dissect/flow.h"

static void cid(uint16_t seed, const char *s, const char *d, uint8_t proto, uint16_t sp,
                uint16_t dp, bool ports, const char *want)
{
    struct lw_addr a, b;
    assert_true(addr_parse(s, &a));
    assert_true(addr_parse(d, &b));
    bool one_way = false;
    if (proto == 1 || proto == 58) {
        uint16_t other = icmp_counterpart(proto == 58, (uint8_t)sp, &one_way);
        if (!one_way)
            dp = other;
    }
    char out[FLOW_CID_LEN];
    community_id_v1(seed, &a, &b, proto, sp, dp, ports, one_way, out);
    assert_string_equal(out, want);
}

/* shared/corpus/community-id/baseline-README.md, "Default settings" and "seed=1". */
static void test_community_id_table(void **state)
{
    cid(0, "1.2.3.4", "5.6.7.8", 6, 1122, 3344, true, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    cid(0, "5.6.7.8", "1.2.3.4", 6, 3344, 1122, true, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    cid(0, "1.2.3.4", "5.6.7.8", 17, 1122, 3344, true, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
    cid(0, "1.2.3.4", "5.6.7.8", 132, 1122, 3344, true, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
    cid(0, "1.2.3.4", "5.6.7.8", 1, 8, 0, true, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    cid(0, "5.6.7.8", "1.2.3.4", 1, 0, 0, true, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    cid(0, "1.2.3.4", "5.6.7.8", 1, 11, 0, true, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
    cid(0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
        58, 128, 0, true, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
    cid(0, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
        58, 129, 0, true, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
    cid(0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
        58, 146, 0, true, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=");
    cid(0, "1.2.3.4", "5.6.7.8", 46, 0, 0, false, "1:ikv3kmf89luf73WPz1jOs49S768=");
    cid(0, "5.6.7.8", "1.2.3.4", 46, 0, 0, false, "1:ikv3kmf89luf73WPz1jOs49S768=");
    cid(0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
        46, 0, 0, false, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
    cid(1, "1.2.3.4", "5.6.7.8", 6, 1122, 3344, true, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    cid(1, "1.2.3.4", "5.6.7.8", 1, 8, 0, true, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
    cid(1, "1.2.3.4", "5.6.7.8", 1, 11, 0, true, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=");
}

static void test_uids(void **state)
{
    char u1[32], u2[32], prev[32] = "";
    for (uint32_t i = 0; i < 1000; i++) {
        size_t n = uid_derive(42, 'C', &i, sizeof(i), u1);
        uid_derive(42, 'C', &i, sizeof(i), u2);
        assert_string_equal(u1, u2); /* same seed and input, same id */
        assert_string_not_equal(u1, prev); /* another input, another id */
        assert_true(n >= 3 && n <= 18);
        assert_int_equal(u1[0], 'C');
        for (size_t k = 1; k < n; k++)
            assert_non_null(strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                   u1[k]));
        memcpy(prev, u1, sizeof(prev));
    }
    uint32_t x = 7;
    uid_derive(42, 'C', &x, sizeof(x), u1);
    uid_derive(43, 'C', &x, sizeof(x), u2);
    assert_string_not_equal(u1, u2); /* another seed, another id */
}

static void test_fmt(void **state)
{
    char t[32];
    size_t n = fmt_u64(t, 0);
    assert_int_equal(n, 1);
    assert_memory_equal(t, "0", 1);
    n = fmt_u64(t, 10);
    assert_int_equal(n, 2);
    assert_memory_equal(t, "10", 2);
    n = fmt_u64(t, UINT64_MAX);
    assert_int_equal(n, 20);
    assert_memory_equal(t, "18446744073709551615", 20);
    fmt_hex4(t, 0x2f);
    assert_memory_equal(t, "002f", 4);
    fmt_hex4(t, 0xfafa);
    assert_memory_equal(t, "fafa", 4);
}

static void test_base64(void **state)
{
    char out[16];
    base64_encode((const uint8_t *)"f", 1, out);
    assert_string_equal(out, "Zg==");
    base64_encode((const uint8_t *)"fo", 2, out);
    assert_string_equal(out, "Zm8=");
    base64_encode((const uint8_t *)"foobar", 6, out);
    assert_string_equal(out, "Zm9vYmFy");
}

static void test_prefixes(void **state)
{
    struct lw_prefix p;
    struct lw_addr a;
    assert_true(prefix_parse("10.0.0.0/8", &p));
    assert_true(addr_parse("10.200.1.1", &a));
    assert_true(prefix_contains(&p, &a));
    assert_true(addr_parse("11.0.0.1", &a));
    assert_false(prefix_contains(&p, &a));
    assert_true(prefix_parse("2001:db8::/32", &p));
    assert_true(addr_parse("2001:0db8:0:0:0:0:0:1", &a)); /* uncompressed, as Sysmon writes */
    assert_true(prefix_contains(&p, &a));
    assert_false(prefix_parse("10.0.0.0/33", &p));
    assert_false(prefix_parse("10.0.0/8", &p));
    assert_false(prefix_parse("", &p));
    assert_false(prefix_parse("10.0.0.0/", &p));
}

static void test_cursor(void **state)
{
    const uint8_t data[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
    struct cursor c = cur_make(data, sizeof(data));
    assert_int_equal(cur_be16(&c), 0x1234);
    struct cursor sub = cur_sub(&c, 2);
    assert_int_equal(cur_be16(&sub), 0x5678);
    assert_int_equal(cur_u8(&sub), 0); /* past the sub-cursor: error, zero */
    assert_true(sub.err);
    assert_false(c.err);
    assert_int_equal(cur_be32(&c), 0); /* only one byte left */
    assert_true(c.err);
    assert_int_equal(cur_u8(&c), 0);   /* sticky */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_community_id_table), cmocka_unit_test(test_uids),
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_base64),             cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
