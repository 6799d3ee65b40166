/* test_detect.c: the rule language (errors name FILE:LINE), the built-in rules on HTTP
 * exchanges fed through the real parser, allowlists, one notice per note, GeoIP with
 * MaxMind's test databases, and the EVE timestamp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "detect/detect.h"
#include "detect/geo.h"
#include "detect/hostctx.h"
#include "detect/rules.h"
#include "detect/site.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "output/eve.h"

#ifndef SHARED_DIR
#define SHARED_DIR "../shared"
#endif

/* ---- the language ---------------------------------------------------------------------- */

static const char *load_error(const char *text)
{
    static char err[512];
    struct ruleset *rs = ruleset_new();
    bool ok = ruleset_load_text(rs, "t.rules", text, err, sizeof(err)) &&
              ruleset_finish(rs, err, sizeof(err));
    ruleset_free(rs);
    return ok ? NULL : err;
}

#define RULE_HEAD "rule R1\n sid 1\n note A::B\n msg m\n technique T1105\n severity low\n"

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"\n\nbogus line\n", "t.rules:3: expected rule, list, allow or disable"},
        {RULE_HEAD " match http.nope is x\nend\n", "t.rules:7: unknown field 'http.nope'"},
        {RULE_HEAD " match http.user_agent frob x\nend\n", "t.rules:7: unknown operator 'frob'"},
        {RULE_HEAD " match http.status > many\nend\n", "t.rules:7: 'many' is not a number"},
        {RULE_HEAD " match http.uri matches \"(\"\nend\n", "t.rules:7: bad regular expression"},
        {RULE_HEAD " match tls.sni is x\nend\n", "t.rules:7: field tls.sni does not exist in http"},
        {RULE_HEAD " match http.uri is \"open\nend\n", "t.rules:7: unterminated quoted string"},
        {RULE_HEAD " match http.uri in @nolist\nend\n", "t.rules:7: no list named 'nolist'"},
        {RULE_HEAD " match server.ip in 10.0.0.0/33\nend\n", "t.rules:7: '10.0.0.0/33' is not"},
        {RULE_HEAD " match http.uri is a b\nend\n", "t.rules:7: operator 'is' takes one value"},
        {RULE_HEAD " severity huge\nend\n", "t.rules:7: severity is info, low, medium or high"},
        {RULE_HEAD " technique X12\nend\n", "t.rules:7: 'X12' is not an ATT&CK technique id"},
        {RULE_HEAD "end\n", "t.rules:7: rule R1 has no 'match' line"},
        {RULE_HEAD " match http.uri is x\n", "t.rules:1: block opened here has no 'end'"},
        {"rule R1\n note A::B\n msg m\n technique T1105\n severity low\n match http.uri is x\nend\n",
         "t.rules:7: rule R1 has no sid"},
        {RULE_HEAD " match http.uri is x\nend\n" RULE_HEAD " match http.uri is y\nend\n",
         "t.rules:9: rule id R1 is already defined"},
        {"list L frob\nend\n", "t.rules:1: unknown list kind 'frob'"},
        {"list L cidr\n 10.0.0.0/8\n nonsense\nend\n", "t.rules:3: 'nonsense' is not an address"},
        {"allow host\n", "t.rules:1: allow wants KIND VALUE"},
        {"allow color blue\n", "t.rules:1: allow wants host, sni, ua, cidr"},
        {"allow host x.example for LW-NOPE\n", "t.rules:1: allow allow-host-1: 'for LW-NOPE' names no"},
        {"\ndisable LW-NOPE\n", "t.rules:2: disable: no rule with id LW-NOPE"},
        {"end\n", "t.rules:1: 'end' without an open rule"},
        {RULE_HEAD " match http.uri is x\n rule R2\nend\n", "t.rules:8: 'rule' inside the block"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *e = load_error(cases[i].text);
        if (!e || strncmp(e, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: want '%s...', got '%s'", i, cases[i].want, e ? e : "(no error)");
    }
    /* A valid file: lists (extended twice), allow shorthands and blocks, disable. */
    assert_null(load_error("list L domain\n a.example\nend\nlist L domain\n *.b.example\nend\n"
                           RULE_HEAD " on http tls\n match server.name in @L\nend\n"
                           "allow host x.example for R1\nallow cidr 10.0.0.0/8\n"
                           "allow blk\n match http.user_agent prefix \"Foo/\"\n for A::B\nend\n"
                           "disable R1\n"));
}

static void test_builtin_rules_load(void **state)
{
    (void)state;
    char err[512];
    struct ruleset *rs = ruleset_new();
    assert_true(ruleset_load_builtin(rs, err, sizeof(err)));
    assert_true(ruleset_finish(rs, err, sizeof(err)));
    size_t detections = 0;
    for (size_t i = 0; i < ruleset_count(rs); i++) {
        const struct rule *r = ruleset_rule(rs, i);
        if (r->allow)
            continue;
        detections++;
        assert_true(r->sid >= 9100000 && r->sid <= 9199999);
        assert_non_null(strstr(r->note, "LOLBin::"));
        assert_true(r->techniques[0] == 'T');
    }
    assert_true(detections >= 40);
    ruleset_free(rs);
}

/* ---- the built-in rules on real parser output ------------------------------------------ */

static char notices[4096];
static size_t nlen;
static int count;

static void on_notice(void *ctx, const struct notice *n)
{
    (void)ctx;
    count++;
    nlen += (size_t)snprintf(notices + nlen, sizeof(notices) - nlen, "%s %s %s|", n->rule->id,
                             severity_name(n->rule->severity), n->rule->techniques);
}

/* Feed one exchange between 10.1.1.1 (the site is 10.0.0.0/8) and `server`:80 through
 * the HTTP parser into a detector with the built-in rules (plus `extra_rules`); returns
 * "RULE severity techniques|" per notice. */
static const char *exchange(const char *extra_rules, const char *server, const char *req,
                            const char *resp, size_t resp_len)
{
    char err[512];
    struct ruleset *rs = ruleset_new();
    assert_true(ruleset_load_builtin(rs, err, sizeof(err)));
    if (extra_rules && !ruleset_load_text(rs, "extra.rules", extra_rules, err, sizeof(err)))
        fail_msg("%s", err);
    assert_true(ruleset_finish(rs, err, sizeof(err)));
    struct site site;
    memset(&site, 0, sizeof(site));
    assert_true(site_add_nets(&site, "10.0.0.0/8", err, sizeof(err)));
    struct detect_config dc = {.rules = rs, .site = &site, .geo = NULL,
                               .min_severity = SEV_LOW};
    struct detector *d = detector_new(&dc);
    assert_non_null(d);
    detector_add_sink(d, on_notice, NULL);
    static struct flow f;
    memset(&f, 0, sizeof(f));
    assert_true(addr_parse("10.1.1.1", &f.orig_h));
    assert_true(addr_parse(server, &f.resp_h));
    f.orig_p = 50000;
    f.resp_p = 80;
    f.proto = 6;
    strcpy(f.uid, "CTest");
    nlen = 0;
    count = 0;
    notices[0] = '\0';
    http_set_sink(detect_http, d);
    struct http_conn *h = http_new(&f);
    http_data(h, true, (const uint8_t *)req, strlen(req), 1000000);
    http_data(h, false, (const uint8_t *)resp, resp_len, 2000000);
    http_free(h, 3000000);
    http_set_sink(NULL, NULL);
    detector_free(d);
    ruleset_free(rs);
    return notices;
}

static const char *text_exchange(const char *extra, const char *server, const char *req,
                                 const char *resp)
{
    return exchange(extra, server, req, resp, strlen(resp));
}

#define MSI_HEAD                                                                          \
    "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

/* A 1 KB compound file whose root entry (sector 0 at 0x200, CFB v3) has the MSI CLSID. */
static char *msi_response(const char *ctype, size_t *len)
{
    static char buf[2048];
    uint8_t body[1024];
    memset(body, 0, sizeof(body));
    memcpy(body, MSI_HEAD, 8);
    body[0x1a] = 3;
    body[0x1c] = 0xfe;
    body[0x1d] = 0xff;
    body[0x1e] = 9;                 /* 512-byte sectors */
    /* first directory sector 0: root entry at 0x200, CLSID at 0x250 */
    static const uint8_t clsid[16] = {0x84, 0x10, 0x0c, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46};
    memcpy(body + 0x250, clsid, 16);
    int k = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n\r\n", ctype, sizeof(body));
    memcpy(buf + k, body, sizeof(body));
    *len = (size_t)k + sizeof(body);
    return buf;
}

static const char *msi_exchange(const char *extra, const char *server, const char *req,
                                const char *ctype)
{
    size_t n;
    char *resp = msi_response(ctype, &n);
    return exchange(extra, server, req, resp, n);
}

static void test_msiexec_disguised(void **state)
{
    (void)state;
    const char *req = "GET /img/x.jpg HTTP/1.1\r\nHost: cdn.example.com\r\n"
                      "User-Agent: Windows Installer\r\n\r\n";
    const char *got = msi_exchange(NULL, "198.51.100.7", req, "image/jpeg");
    /* msiexec: the non-.msi rule (high) wins over the UA rule (medium), one notice per
     * note; the disguise is a second finding. */
    assert_string_equal(got, "LW-MSIEXEC-NONMSI high T1218.007|"
                             "LW-DISGUISE-BINARY high T1036.008|");
    /* Allowlisted by host for the msiexec family only. */
    got = msi_exchange("allow host cdn.example.com for LOLBin::Msiexec_Download\n",
                       "198.51.100.7", req, "image/jpeg");
    assert_string_equal(got, "LW-DISGUISE-BINARY high T1036.008|");
    /* Allowlisted by server network for everything. */
    got = msi_exchange("allow server 198.51.100.0/24\n", "198.51.100.7", req, "image/jpeg");
    assert_string_equal(got, "");
    /* A plain .msi fetched by msiexec from a named host on port 80: medium only. */
    got = msi_exchange(NULL, "198.51.100.7",
                       "GET /a.msi HTTP/1.1\r\nHost: cdn.example.com\r\n"
                       "User-Agent: Windows Installer\r\n\r\n", "application/x-msi");
    assert_string_equal(got, "LW-MSIEXEC-UA medium T1218.007|");
    /* The same bytes from a raw internet IP: high. */
    got = msi_exchange(NULL, "198.51.100.7",
                       "GET /a.msi HTTP/1.1\r\nHost: 198.51.100.7\r\n"
                       "User-Agent: Windows Installer\r\n\r\n", "application/x-msi");
    assert_string_equal(got, "LW-MSIEXEC-ODD-SOURCE high T1218.007|"
                             "LW-HOST-RAWIP-PAYLOAD medium T1105|");
    /* A disabled rule is skipped; the next most severe of the note is kept. */
    got = msi_exchange("disable LW-MSIEXEC-ODD-SOURCE\n", "198.51.100.7",
                       "GET /a.msi HTTP/1.1\r\nHost: 198.51.100.7\r\n"
                       "User-Agent: Windows Installer\r\n\r\n", "application/x-msi");
    assert_string_equal(got, "LW-MSIEXEC-UA medium T1218.007|"
                             "LW-HOST-RAWIP-PAYLOAD medium T1105|");
}

static void test_hta_gzip_chunked_and_benign(void **state)
{
    (void)state;
    /* HTA bytes sent as text/plain under .txt, chunked: the bytes decide. */
    const char *got = text_exchange(
        NULL, "198.51.100.9",
        "GET /invoice.txt HTTP/1.1\r\nHost: a.example.com\r\nUser-Agent: Mozilla/5.0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        "10\r\n<html><head><HTA\r\n"
        "32\r\n:APPLICATION ID=\"x\"/></head><body>hi</body></html>\r\n0\r\n\r\n");
    assert_string_equal(got, "LW-HTA-BYTES high T1218.005|");
    /* CryptoAPI fetching a CRL: nothing at the default minimum (the info rule is below). */
    got = text_exchange(NULL, "198.51.100.9",
                   "GET /pki/ca.crl HTTP/1.1\r\nHost: crl.example.com\r\n"
                   "User-Agent: Microsoft-CryptoAPI/10.0\r\n\r\n",
                   "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\n"
                   "Content-Length: 5\r\n\r\nhello");
    assert_string_equal(got, "");
    /* The IE7-compatible user agent alone is info (not written at the default level). */
    got = text_exchange(NULL, "198.51.100.9",
                   "POST /gate.php HTTP/1.1\r\nHost: c2.example.com\r\nUser-Agent: Mozilla/4.0 "
                   "(compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; .NET4.0C; "
                   ".NET4.0E)\r\nContent-Length: 2\r\n\r\nhi",
                   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_string_equal(got, "");
    /* No User-Agent, a PE: the WebClient cradle; also from a raw IP on the internet. */
    got = text_exchange(NULL, "198.51.100.9", "GET /m HTTP/1.1\r\nHost: 198.51.100.9\r\n\r\n",
                   "HTTP/1.1 200 OK\r\nContent-Length: 68\r\n\r\n"
                   "MZ\x90\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                   "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
                   "\x20\x21\x22\x23\x24\x25\x26\x27\x28\x29\x2a\x2b\x2c\x2d\x2e\x2f"
                   "\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x3a\x3b\x40\x01\x01\x01"
                   "PE\x01\x01");
    /* The bytes contain no NUL, so "PE\0\0" is not there: not a PE, no notice. */
    assert_string_equal(got, "");
}

static void test_geoip_test_databases(void **state)
{
    (void)state;
    char err[256];
    const char *paths[] = {SHARED_DIR "/corpus/mmdb/GeoIP2-City-Test.mmdb",
                           SHARED_DIR "/corpus/mmdb/GeoLite2-ASN-Test.mmdb"};
    struct geo *g = geo_open(paths, 2, false, err, sizeof(err));
    if (!g)
        fail_msg("%s", err);
    assert_int_equal(geo_count(g), 2);
    struct geo_info gi;
    struct lw_addr a;
    assert_true(addr_parse("81.2.69.142", &a));
    assert_true(geo_lookup(g, &a, &gi));
    assert_string_equal(gi.country_code, "GB");
    assert_string_equal(gi.city, "London");
    assert_true(gi.has_location);
    assert_true(addr_parse("89.160.20.112", &a));
    assert_true(geo_lookup(g, &a, &gi));
    assert_string_equal(gi.country_code, "SE");
    assert_int_equal(gi.asn, 29518);
    assert_string_equal(gi.as_org, "Bredband2 AB");
    assert_true(addr_parse("2001:218::1", &a));
    assert_true(geo_lookup(g, &a, &gi));
    assert_string_equal(gi.country_code, "JP");
    assert_true(addr_parse("8.8.8.8", &a));
    assert_false(geo_lookup(g, &a, &gi));
    assert_true(addr_parse("10.1.2.3", &a));
    assert_false(geo_lookup(g, &a, &gi));
    geo_close(g);
    /* A database that is not there is an error naming the file. */
    const char *bad[] = {"/nonexistent/x.mmdb"};
    assert_null(geo_open(bad, 1, false, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/x.mmdb"));
}

/* The store keeps its newest events: past its cap the oldest go (indexes with them), and
 * an attribution made before stays intact (its strings are its own). */
static void test_hostctx_eviction(void **state)
{
    (void)state;
    struct hostctx *h = hostctx_new_capped(4);
    assert_non_null(h);
    static struct flow f[6];
    const struct attribution *first = NULL;
    for (int i = 0; i < 6; i++) {
        struct hostev e;
        memset(&e, 0, sizeof(e));
        e.kind = HEV_NETCONN;
        e.has_tuple = e.initiated = true;
        e.proto = 6;
        assert_true(addr_parse("10.1.1.1", &e.src));
        assert_true(addr_parse("198.51.100.7", &e.dst));
        e.sport = (uint16_t)(40000 + i);
        e.dport = 80;
        e.ts = 1000000;
        char img[64];
        snprintf(img, sizeof(img), "C:\\img%d.exe", i);
        e.image = strdup(img);
        e.computer = strdup("WS-1");
        hostctx_add(h, &e);
        hostev_clear(&e);
        memset(&f[i], 0, sizeof(f[i]));
        f[i].proto = 6;
        f[i].orig_h = e.src;
        assert_true(addr_parse("10.1.1.1", &f[i].orig_h));
        assert_true(addr_parse("198.51.100.7", &f[i].resp_h));
        f[i].orig_p = (uint16_t)(40000 + i);
        f[i].resp_p = 80;
        f[i].first_ts = 1000000;
        snprintf(f[i].uid, sizeof(f[i].uid), "C%d", i);
        if (i == 0) {
            first = hostctx_attribute(h, &f[0], NULL, NULL);
            assert_non_null(first);
            assert_string_equal(first->image, "C:\\img0.exe");
        }
    }
    assert_int_equal(hostctx_events(h), 4);
    /* events 0 and 1 were evicted; the attribution made before still reads fine */
    assert_string_equal(first->image, "C:\\img0.exe");
    assert_null(hostctx_attribute(h, &f[1], NULL, NULL));
    const struct attribution *a = hostctx_attribute(h, &f[5], NULL, NULL);
    assert_non_null(a);
    assert_string_equal(a->image, "C:\\img5.exe");
    assert_string_equal(a->match, "tuple");
    /* Eight days of packet time later, every event has expired. */
    static struct flow later;
    later = f[5];
    strcpy(later.uid, "Clater");
    later.first_ts = later.last_ts = 1000000 + 8LL * 86400 * 1000000;
    uint64_t expired = lw_stats.hostctx_expired;
    assert_null(hostctx_attribute(h, &later, NULL, NULL));
    assert_int_equal(lw_stats.hostctx_expired - expired, 4);
    assert_int_equal(hostctx_attribute(h, &f[5], NULL, NULL) != NULL, 1); /* kept: cached */
    hostctx_forget(h, &later);
    for (int i = 0; i < 6; i++)
        hostctx_forget(h, &f[i]);
    hostctx_free(h);
}

static void test_eve_timestamp(void **state)
{
    (void)state;
    char ts[40];
    eve_timestamp(1692161648308191LL, ts);
    assert_string_equal(ts, "2023-08-16T04:54:08.308191+0000");
    eve_timestamp(0, ts);
    assert_string_equal(ts, "1970-01-01T00:00:00.000000+0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_builtin_rules_load),
        cmocka_unit_test(test_msiexec_disguised),
        cmocka_unit_test(test_hta_gzip_chunked_and_benign),
        cmocka_unit_test(test_geoip_test_databases),
        cmocka_unit_test(test_hostctx_eviction),
        cmocka_unit_test(test_eve_timestamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
