/* test_tls.c: the TLS parser.  A TLS 1.3 handshake (ClientHello with GREASE, SNI, ALPN,
 * groups, signature algorithms, supported_versions; ServerHello; ChangeCipherSpec;
 * application data) is fed whole, in every chunk size from 1 byte, with the ClientHello
 * spread over two records and three TCP segments, and cut at every length: the report
 * must be identical (or, cut short, never claim what was not seen).  The expected JA3
 * and JA4 were computed independently (Python's hashlib over strings written out from
 * the published definitions), and are spelled out below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dissect/flow.h"
#include "dissect/tls.h"

/* The ClientHello handshake message (137 bytes): legacy version 0x0303, ciphers
 * {GREASE 0x2a2a, 0x1301, 0xc02b, 0x002f}, extensions GREASE, server_name
 * "www.example.test", supported_groups {GREASE, x25519, secp256r1}, ec_point_formats {0},
 * signature_algorithms {0x0403, 0x0804}, ALPN {h2, http/1.1}, supported_versions
 * {1.3, 1.2}. */
static const uint8_t ch[] = {
    0x01, 0x00, 0x00, 0x85, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x2a, 0x2a, 0x13, 0x01,
    0xc0, 0x2b, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x54, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x15, 0x00, 0x13, 0x00, 0x00, 0x10, 0x77, 0x77, 0x77, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70,
    0x6c, 0x65, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x1a, 0x1a,
    0x00, 0x1d, 0x00, 0x17, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x0d, 0x00, 0x06, 0x00,
    0x04, 0x04, 0x03, 0x08, 0x04, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08,
    0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04,
    0x03, 0x03,
};

/* JA3 string "771,4865-49195-47,0-10-11-13-16-43,29-23,0" */
#define WANT_JA3 "0f92d7a0e8b92db0367a29764a06d32a"
/* JA4: t 13 d 03 ciphers 06 extensions h2; sha256("002f,1301,c02b")[:12];
 * sha256("000a,000b,000d,002b_0403,0804")[:12] */
#define WANT_JA4 "t13d0306h2_58a34ed92d94_fb71836bce29"

static uint8_t cbuf[512], sbuf[512];
static size_t clen, slen;

static void put(uint8_t *b, size_t *n, const uint8_t *p, size_t k)
{
    memcpy(b + *n, p, k);
    *n += k;
}

static void record(uint8_t *b, size_t *n, uint8_t type, const uint8_t *p, size_t k)
{
    uint8_t h[5] = {type, 3, 3, (uint8_t)(k >> 8), (uint8_t)k};
    put(b, n, h, 5);
    put(b, n, p, k);
}

/* Client: the hello in `split` records (1 or 2), then ChangeCipherSpec and a record of
 * application data.  Server: ServerHello (TLS 1.3, TLS_AES_128_GCM_SHA256, x25519, ALPN
 * h2), ChangeCipherSpec, application data. */
static void build(int split)
{
    clen = slen = 0;
    if (split == 1) {
        record(cbuf, &clen, 22, ch, sizeof(ch));
    } else {
        record(cbuf, &clen, 22, ch, 50);
        record(cbuf, &clen, 22, ch + 50, sizeof(ch) - 50);
    }
    static const uint8_t ccs[] = {1}, app[] = {0xde, 0xad, 0xbe, 0xef};
    record(cbuf, &clen, 20, ccs, 1);
    record(cbuf, &clen, 23, app, sizeof(app));
    uint8_t sh[128];
    size_t n = 0;
    static const uint8_t head[] = {2, 0, 0, 0, 3, 3};
    put(sh, &n, head, sizeof(head));
    memset(sh + n, 0x11, 32);
    n += 32;
    static const uint8_t rest[] = {
        0,                                   /* session id */
        0x13, 0x01, 0,                       /* cipher, compression */
        0, 55,                               /* extensions */
        0, 43, 0, 2, 3, 4,                   /* supported_versions: 1.3 */
        0, 16, 0, 5, 0, 3, 2, 'h', '2',      /* ALPN h2 */
        0, 51, 0, 36, 0, 29, 0, 32,          /* key_share x25519 + 32 bytes */
    };
    put(sh, &n, rest, sizeof(rest));
    memset(sh + n, 0x22, 32);
    n += 32;
    sh[3] = (uint8_t)(n - 4);
    record(sbuf, &slen, 22, sh, n);
    record(sbuf, &slen, 20, ccs, 1);
    record(sbuf, &slen, 23, app, sizeof(app));
}

static char summary[1024];
static int reports;

static void on_tls(void *ctx, const struct flow *f, const struct tls_info *t)
{
    char vb[32], cb[32], gb[32];
    reports++;
    snprintf(summary, sizeof(summary), "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s",
             t->server_name ? t->server_name : "-",
             t->version ? tls_version_name(t->version, vb, sizeof(vb)) : "-",
             t->has_cipher ? tls_cipher_name(t->cipher, cb, sizeof(cb)) : "-",
             t->has_curve ? tls_group_name(t->curve, gb, sizeof(gb)) : "-",
             t->next_protocol ? t->next_protocol : "-", t->alpn_offered ? t->alpn_offered : "-",
             t->established ? "T" : "F", t->history, t->ja3[0] ? t->ja3 : "-",
             t->ja3s[0] ? "ja3s" : "-", t->ja4[0] ? t->ja4 : "-");
}

/* Feed the client's bytes cut at `cuts` (sorted offsets), then the server's in `chunk`
 * byte pieces (0: whole), then the client's CCS/app data, as a real exchange interleaves
 * them; return the summary. */
static const char *run(const size_t *cuts, int ncuts, size_t chunk, size_t client_limit)
{
    static struct flow f;
    memset(&f, 0, sizeof(f));
    summary[0] = '\0';
    reports = 0;
    tls_set_sink(on_tls, NULL);
    struct tls_conn *c = tls_new(&f);
    /* The hello records end where the CCS record begins. */
    size_t hello_end = clen - 6 - 9;
    if (client_limit < hello_end)
        hello_end = client_limit;
    size_t at = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts && cuts[i] < hello_end ? cuts[i] : hello_end;
        if (to > at) {
            if (chunk) {
                for (size_t j = at; j < to; j += chunk)
                    tls_data(c, true, cbuf + j, to - j < chunk ? to - j : chunk, 1);
            } else {
                tls_data(c, true, cbuf + at, to - at, 1);
            }
        }
        at = to;
    }
    if (client_limit >= clen) {
        size_t step = chunk ? chunk : slen;
        for (size_t j = 0; j < slen; j += step)
            tls_data(c, false, sbuf + j, slen - j < step ? slen - j : step, 2);
        tls_data(c, true, cbuf + at, clen - at, 3);
    }
    tls_free(c, 4);
    tls_set_sink(NULL, NULL);
    return summary;
}

static const char *want = "www.example.test|TLSv13|TLS_AES_128_GCM_SHA256|x25519|h2|h2,http/1.1|"
                          "T|CsiI|" WANT_JA3 "|ja3s|" WANT_JA4;

static void test_whole_and_every_chunk(void **state)
{
    build(1);
    assert_string_equal(run(NULL, 0, 0, SIZE_MAX), want);
    assert_int_equal(reports, 1);
    for (size_t k = 1; k <= slen; k++) {
        const char *got = run(NULL, 0, k, SIZE_MAX);
        if (strcmp(got, want) != 0)
            fail_msg("chunk %zu: %s\n   want %s", k, got, want);
        assert_int_equal(reports, 1);
    }
}

static void test_hello_over_records_and_segments(void **state)
{
    /* The hello in two records (the message split at byte 50), the records cut into
     * three TCP segments at every pair of points. */
    build(2);
    size_t end = clen - 15;
    for (size_t a = 1; a < end; a += 7)
        for (size_t b = a + 1; b < end; b += 11) {
            size_t cuts[2] = {a, b};
            const char *got = run(cuts, 2, 0, SIZE_MAX);
            if (strcmp(got, want) != 0)
                fail_msg("cuts %zu,%zu: %s\n   want %s", a, b, got, want);
        }
}

static void test_truncated(void **state)
{
    /* Every prefix of the client's hello alone: a report only once the ClientHello is
     * whole, and then with its fingerprints; never more than one. */
    build(1);
    size_t hello = 5 + sizeof(ch);
    for (size_t k = 0; k <= hello; k++) {
        const char *got = run(NULL, 0, 0, k);
        if (k < hello) {
            assert_int_equal(reports, 0);
        } else {
            assert_int_equal(reports, 1);
            assert_non_null(strstr(got, WANT_JA3));
            assert_non_null(strstr(got, "|F|C|"));
        }
    }
}

static void test_garbage_and_sniff(void **state)
{
    bool more;
    build(1);
    assert_true(tls_sniff(cbuf, clen, true, &more));
    assert_false(tls_sniff(sbuf, slen, true, &more)); /* a ServerHello is not a client's */
    assert_true(tls_sniff(sbuf, slen, false, &more));
    assert_false(tls_sniff(cbuf, 3, true, &more));
    assert_true(more);
    static const uint8_t get[] = "GET / HTTP/1.1\r\n";
    assert_false(tls_sniff(get, sizeof(get) - 1, true, &more));
    assert_false(more);
    /* A valid hello, then bytes that are not a record: reported as far as it went. */
    static struct flow f;
    memset(&f, 0, sizeof(f));
    reports = 0;
    tls_set_sink(on_tls, NULL);
    struct tls_conn *c = tls_new(&f);
    tls_data(c, true, cbuf, 5 + sizeof(ch), 1);
    tls_data(c, true, get, sizeof(get) - 1, 2);
    tls_data(c, false, sbuf, slen, 3);
    tls_free(c, 4);
    tls_set_sink(NULL, NULL);
    assert_int_equal(reports, 1);
    /* the garbage stopped both directions: the ServerHello was not read */
    assert_non_null(strstr(summary, "|-|-|-|-|h2,http/1.1|F|C|"));
}

static void test_names(void **state)
{
    char b[32];
    assert_string_equal(tls_version_name(0x7f17, b, sizeof(b)), "TLSv13-draft23");
    assert_string_equal(tls_version_name(0x7e01, b, sizeof(b)), "unknown-32257");
    assert_string_equal(tls_cipher_name(0x0004, b, sizeof(b)), "TLS_RSA_WITH_RC4_128_MD5");
    assert_string_equal(tls_cipher_name(0xcca9, b, sizeof(b)),
                        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_string_equal(tls_cipher_name(0x5678, b, sizeof(b)), "unknown-22136");
    assert_string_equal(tls_group_name(23, b, sizeof(b)), "secp256r1");
    assert_string_equal(tls_alert_name(40, b, sizeof(b)), "handshake_failure");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_and_every_chunk),
        cmocka_unit_test(test_hello_over_records_and_segments),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage_and_sniff),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
