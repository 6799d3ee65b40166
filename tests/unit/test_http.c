/* test_http.c: the HTTP/1.x parser.  Every exchange is fed whole, then re-fed in every
 * chunk size from 1 byte up, and must give identical transactions; every prefix of the
 * request stream, then end of stream, must end cleanly.  Expected results are written
 * out explicitly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lzma.h>
#include <zlib.h>

#include "dissect/files.h"
#include "dissect/flow.h"
#include "dissect/http.h"

static char summary[8192];
static size_t slen;
static double last_entropy; /* of the last transaction's response body, or -1 */
static char last_ctype[64];  /* the last transaction's response Content-Type */

static void on_txn(void *ctx, const struct flow *f, const struct http_txn *t)
{
    last_entropy = t->nfiles[1] && t->files[1][0].sum ? t->files[1][0].sum->entropy : -1;
    snprintf(last_ctype, sizeof(last_ctype), "%s",
             t->resp_content_type ? t->resp_content_type : "-");
    slen += (size_t)snprintf(summary + slen, sizeof(summary) - slen,
                             "%u %s %s %s %s %d %llu %llu %s|", t->depth,
                             t->method ? t->method : "-", t->uri ? t->uri : "-",
                             t->host ? t->host : "-", t->user_agent ? t->user_agent : "-",
                             t->has_status ? t->status_code : -1,
                             (unsigned long long)t->req_body_len,
                             (unsigned long long)t->resp_body_len,
                             t->nfiles[1] && t->files[1][0].mime ? t->files[1][0].mime : "-");
}

/* Feed `req` then `resp` in chunks of `chunk` bytes (0: whole) and return the summary.
 * (On the wire a response never precedes the request it answers.) */
/* A fresh connection whose transactions are summarised into `summary`. */
static struct http_conn *begin(void)
{
    static struct flow f;
    memset(&f, 0, sizeof(f));
    slen = 0;
    summary[0] = '\0';
    http_set_sink(on_txn, NULL);
    return http_new(&f);
}

static const char *run(const char *req, size_t rq, const char *resp, size_t rs, size_t chunk)
{
    struct http_conn *h = begin();
    size_t step = chunk ? chunk : (rq > rs ? rq : rs) + 1;
    for (size_t i = 0; i < rq; i += step)
        http_data(h, true, (const uint8_t *)req + i, rq - i < step ? rq - i : step, 1);
    for (size_t j = 0; j < rs; j += step)
        http_data(h, false, (const uint8_t *)resp + j, rs - j < step ? rs - j : step, 2);
    http_free(h, 3);
    return summary;
}

static void sweep(const char *req, size_t rq, const char *resp, size_t rs, const char *want)
{
    char whole[8192];
    snprintf(whole, sizeof(whole), "%s", run(req, rq, resp, rs, 0));
    assert_string_equal(whole, want);
    size_t max = rq > rs ? rq : rs;
    for (size_t c = 1; c <= max; c++) {
        const char *got = run(req, rq, resp, rs, c);
        if (strcmp(got, want) != 0)
            fail_msg("chunk size %zu: %s\n   want %s", c, got, want);
    }
    /* Every prefix of the requests, then the end: no crash, no over-read (ASan), and no
     * more transactions than the whole exchange has. */
    int whole_n = 0;
    for (const char *p = want; *p; p++)
        whole_n += *p == '|';
    for (size_t k = 0; k <= rq; k++) {
        const char *got = run(req, k, "", 0, 0);
        int n = 0;
        for (const char *p = got; *p; p++)
            n += *p == '|';
        assert_true(n <= whole_n);
    }
}

static void test_pipelining(void **state)
{
    static const char req[] = "GET /a%20b HTTP/1.1\r\nHost: h.example\r\nUser-Agent: UA/1\r\n\r\n"
                              "GET /c HTTP/1.1\r\nHost: h.example\r\n\r\n"
                              "HEAD /d HTTP/1.1\r\nHost: h.example\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                               "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n";
    sweep(req, sizeof(req) - 1, resp, sizeof(resp) - 1,
          "1 GET /a b h.example UA/1 200 0 5 text/plain|"
          "2 GET /c h.example - 404 0 0 -|"
          "3 HEAD /d h.example - 200 0 0 -|");
}

static void test_chunked_post_continue(void **state)
{
    static const char req[] = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                              "Expect: 100-continue\r\n\r\nabcd"
                              "GET /ch HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /nm HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char resp[] = "HTTP/1.1 100 Continue\r\n\r\n"
                               "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "4;ext=1\r\n<htm\r\n0a\r\nl>hi</html\r\n1\r\n>\r\n0\r\n"
                               "X-Trailer: t\r\n\r\n"
                               "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n";
    sweep(req, sizeof(req) - 1, resp, sizeof(resp) - 1,
          "1 POST /up x - 201 4 2 text/plain|"
          "2 GET /ch x - 200 0 15 text/html|"
          "3 GET /nm x - 304 0 0 -|");
}

static void test_close_delimited(void **state)
{
    static const char req[] = "GET /old HTTP/1.0\r\n\r\n";
    static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
                               "<html><head><HTA:APPLICATION ID=\"x\"/></head></html>";
    sweep(req, sizeof(req) - 1, resp, sizeof(resp) - 1,
          "1 GET /old - - 200 0 51 application/hta|");
}

static void test_gzip_body(void **state)
{
    /* A gzip-encoded, chunked HTA: typed by its decoded bytes; length after decoding. */
    static const char html[] = "<html><head><hta:application id=\"a\"></head>"
                               "<body><script>var x=1;</script></body></html>";
    uint8_t gz[512];
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)html;
    z.avail_in = sizeof(html) - 1;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gzlen = sizeof(gz) - z.avail_out;
    deflateEnd(&z);
    char resp[1024];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", gzlen);
    memcpy(resp + n, gz, gzlen);
    n += (int)gzlen;
    n += snprintf(resp + n, sizeof(resp) - (size_t)n, "\r\n0\r\n\r\n");
    static const char req[] = "GET /p.txt HTTP/1.1\r\nHost: e\r\nUser-Agent: Mozilla/4.0 "
                              "(compatible; MSIE 7.0)\r\n\r\n";
    char want[256];
    snprintf(want, sizeof(want), "1 GET /p.txt e Mozilla/4.0 (compatible; MSIE 7.0) 200 0 %zu "
                                 "application/hta|", sizeof(html) - 1);
    sweep(req, sizeof(req) - 1, resp, (size_t)n, want);
}

/* HTTP Evader's ambiguities, read as browsers and libhtp read them (docs/logs.md):
 * every answer must deliver the 12-byte body, in every slicing. */
static void test_evasions(void **state)
{
    (void)state;
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    static const char *const ok = "1 GET / a - 200 0 12 text/plain|";
    static const struct {
        const char *resp, *want;
    } cases[] = {
        /* a lone CR ends a line (the field behind it is real) */
        {"HTTP/1.1 200 OK\r\nX: y\rTransfer-Encoding: chunked\r\n\r\nc\r\nhello, world\r\n"
         "0\r\n\r\n", NULL},
        {"HTTP/1.1 200 OK\rTransfer-Encoding: chunked\r\n\r\nc\r\nhello, world\r\n0\r\n\r\n",
         NULL},
        /* an empty line ended by a lone CR, a line of CRs: nothing */
        {"HTTP/1.1 200 OK\r\nX: y\r\n\r\rContent-Length: 12\r\n\r\nhello, world", NULL},
        {"HTTP/1.1 200 OK\r\nX: y\r\n\r\r\nContent-Length: 12\r\n\r\nhello, world", NULL},
        /* "LF CR" as one line end */
        {"HTTP/1.1 200 OK\n\rContent-Length: 12\n\r\r\nhello, world", NULL},
        /* folding, of a value and of a name; a NUL dropped; "Name ::" */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n \r\n chunked\r\n\r\n"
         "c\r\nhello, world\r\n0\r\n\r\n", NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length\r\n :\r\n 12\r\n\r\nhello, world", NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length\v:: 12\r\n\r\nhello, world", NULL},
        /* an indented line with a name of its own is a field */
        {"HTTP/1.1 200 OK\r\nConnection: close\r\n Transfer-Encoding: chunked\r\n\r\n"
         "c\r\nhello, world\r\n0\r\n\r\n", NULL},
        /* "chunked" declared (odd value, HTTP/1.0, with a length), the body plain */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: x chunked\r\n\r\nhello, world", NULL},
        {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 12\r\n\r\n"
         "hello, world", NULL},
        /* lengths with junk; two numbers: to the end; two headers: the first */
        {"HTTP/1.1 200 OK\r\nContent-Length: ,12;\r\n\r\nhello, worldXXXX", NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length: 3 12\r\n\r\nhello, world", NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Length: 16\r\n\r\n"
         "hello, worldXXXX", NULL},
        /* a whitespace line ends the block, unless an LF follows at once */
        {"HTTP/1.1 200 OK\r\nContent-Length: 12\n \nhello, world", NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length: 12\n\t\n\nhello, world", NULL},
        /* junk before the status line; no status line at all after a 100 */
        {"foo\r\n \rSIP/2.0 200 OK\r\n HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"
         "hello, world", NULL},
        {"HTTP/1.1 100 Continue\r\n\r\nhello, world", "1 GET / a - -1 0 12 text/plain|"},
        /* 101 without Upgrade is interim; 204 that declares a body has one */
        {"HTTP/1.1 101 OK\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello, world",
         NULL},
        {"HTTP/1.1 204 OK\r\nContent-Length: 12\r\n\r\nhello, world",
         "1 GET / a - 204 0 12 text/plain|"},
        {"HTTP/1.1 2040 OK\r\nContent-Length: 12\r\n\r\nhello, world",
         "1 GET / a - -1 0 12 text/plain|"},
        /* a coding the bytes are not in, and codings nobody knows: taken as they are */
        {"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, deflate\r\nContent-Length: 12\r\n\r\n"
         "hello, world", NULL},
        {"HTTP/1.1 200 OK\r\nContent-Encoding: x;\r\nContent-Length: 12\r\n\r\nhello, world",
         NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("evasion case %zu\n", i);
        sweep(req, sizeof(req) - 1, cases[i].resp, strlen(cases[i].resp),
              cases[i].want ? cases[i].want : ok);
    }
    /* bare LF line ends: the last field's value ends before its LF */
    static const char lf[] = "HTTP/1.1 200 OK\nContent-Length: 12\nContent-Type: text/plain\n\n"
                             "hello, world";
    sweep(req, sizeof(req) - 1, lf, sizeof(lf) - 1, ok);
    run(req, sizeof(req) - 1, lf, sizeof(lf) - 1, 0);
    assert_string_equal(last_ctype, "text/plain");
    static const char lfcr[] = "HTTP/1.1 200 OK\n\rContent-Length: 12\n\rContent-Type: x/y\n\r"
                               "\r\nhello, world";
    sweep(req, sizeof(req) - 1, lfcr, sizeof(lfcr) - 1, ok);
    run(req, sizeof(req) - 1, lfcr, sizeof(lfcr) - 1, 0);
    assert_string_equal(last_ctype, "x/y");
    /* NULs in a name and in a value are dropped */
    static const char nul[] = "HTTP/1.1 200 OK\r\nTransfer\0-Encoding:chu\0nked\r\n\r\n"
                              "c\r\nhello, world\r\n0\r\n\r\n";
    sweep(req, sizeof(req) - 1, nul, sizeof(nul) - 1, ok);
}

/* lzma (the "alone" format) undone; layers in the order applied. */
static void test_lzma_and_layers(void **state)
{
    (void)state;
    static const char body[] = "hello, world";
    uint8_t lz[256];
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_options_lzma opt;
    assert_false(lzma_lzma_preset(&opt, 1));
    assert_int_equal(lzma_alone_encoder(&s, &opt), LZMA_OK);
    s.next_in = (const uint8_t *)body;
    s.avail_in = sizeof(body) - 1;
    s.next_out = lz;
    s.avail_out = sizeof(lz);
    assert_int_equal(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
    size_t lzlen = sizeof(lz) - s.avail_out;
    lzma_end(&s);
    /* gzip over lzma: "Content-Encoding: lzma, gzip" */
    uint8_t gz[512];
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = lz;
    z.avail_in = (uInt)lzlen;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gzlen = sizeof(gz) - z.avail_out;
    deflateEnd(&z);
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const struct {
        const char *enc;
        const uint8_t *p;
        size_t n;
    } cases[] = {{"lzma", lz, lzlen}, {"lzma, gzip", gz, gzlen}, {"lzma\r\nContent-Encoding: gzip", gz, gzlen}};
    for (size_t i = 0; i < 3; i++) {
        char resp[1024];
        int n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n"
                         "Content-Length: %zu\r\n\r\n", cases[i].enc, cases[i].n);
        memcpy(resp + n, cases[i].p, cases[i].n);
        sweep(req, sizeof(req) - 1, resp, (size_t)n + cases[i].n, "1 GET / a - 200 0 12 text/plain|");
    }
}

/* Media by their magic (what the staging rule asks: "are these image/png bytes any media
 * at all?"), and the entropy of the first bytes. */
static void test_media_types_and_entropy(void **state)
{
    (void)state;
    static const struct {
        const char *magic;
        size_t n;
        const char *mime;
    } cases[] = {
        {"RIFF\x10\0\0\0WEBPVP8 ", 16, "image/webp"},
        {"\0\0\0\x18" "ftypisom", 12, "video/mp4"},
        {"\0\0\0\x18" "ftypheic", 12, "image/heic"},
        {"\xff\xfb\x90\x64", 4, "audio/mpeg"},
        {"ID3\x04\0", 5, "audio/mpeg"},
        {"\x1a\x45\xdf\xa3", 4, "video/webm"},
        {"wOF2", 4, "font/woff2"},
        {"OggS", 4, "audio/ogg"},
        {"\xff\xfb\xf0\x64", 4, "-"}, /* bitrate index 15: no MPEG frame */
    };
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    uint8_t body[4096];
    char resp[8192];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t x = 12345;
        for (size_t k = 0; k < sizeof(body); k++) { /* a linear congruential generator */
            x = x * 1103515245u + 12345u;
            body[k] = (uint8_t)(x >> 23);
        }
        memcpy(body, cases[i].magic, cases[i].n);
        int n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
                         sizeof(body));
        memcpy(resp + n, body, sizeof(body));
        char want[128];
        snprintf(want, sizeof(want), "1 GET / a - 200 0 %zu %s|", sizeof(body), cases[i].mime);
        assert_string_equal(run(req, sizeof(req) - 1, resp, (size_t)n + sizeof(body), 0), want);
        assert_true(last_entropy > 7.9 && last_entropy <= 8.0);
    }
    /* text: about 3 bits per byte for this one */
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\nhello, world hello, world";
    run(req, sizeof(req) - 1, text, sizeof(text) - 2, 0);
    assert_true(last_entropy > 2.5 && last_entropy < 3.5);
}

static void test_malformed_survives(void **state)
{
    /* Garbage request, oversized header, bad chunk size: reported, no crash. */
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    /* "chunked" declared, but the body does not start with a chunk size: read as it is */
    static const char resp[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    const char *got = run(req, sizeof(req) - 1, resp, sizeof(resp) - 1, 0);
    assert_string_equal(got, "1 GET / a - 200 0 4 text/plain|");
    /* a bad chunk size after a good chunk: the body ends there */
    static const char resp2[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\nzz\r\n";
    got = run(req, sizeof(req) - 1, resp2, sizeof(resp2) - 1, 0);
    assert_string_equal(got, "1 GET / a - 200 0 3 text/plain|");

    size_t big = 70000;
    char *huge = malloc(big + 64);
    int k = sprintf(huge, "GET / HTTP/1.1\r\nX: ");
    memset(huge + k, 'a', big);
    memcpy(huge + k + big, "\r\n\r\n", 4);
    got = run(huge, (size_t)k + big + 4, "", 0, 0);
    assert_string_equal(got, ""); /* over HTTP_MAX_HEADER_BYTES: given up, reported */
    free(huge);

    bool more;
    assert_false(http_sniff((const uint8_t *)"\x16\x03\x01\x02\x00", 5, true, &more));
    assert_true(http_sniff((const uint8_t *)"BITS_POST /x", 12, true, &more));
    assert_true(http_sniff((const uint8_t *)"HTTP/1.1 200", 12, false, &more));
}

static bool seen_timedout;
static uint64_t seen_bytes;

static void on_file(void *ctx, const struct flow *f, const struct file_info *fi)
{
    seen_timedout = fi->timedout;
    seen_bytes = fi->seen_bytes;
}

static void test_body_cut_by_timeout(void **state)
{
    /* A download whose connection times out mid-body: the file is marked timed out;
     * ended by the end of the input instead, it is not. */
    static const char req[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
    for (int reason = FLOW_END_TIMEOUT; reason <= FLOW_END_INPUT; reason += 2) {
        static struct flow f;
        memset(&f, 0, sizeof(f));
        files_set_sink(on_file, NULL);
        struct http_conn *h = http_new(&f);
        http_data(h, true, (const uint8_t *)req, sizeof(req) - 1, 1);
        http_data(h, false, (const uint8_t *)resp, sizeof(resp) - 1, 2);
        f.end_reason = (uint8_t)reason;
        seen_timedout = false;
        http_free(h, 3);
        assert_int_equal(seen_bytes, 10);
        assert_int_equal(seen_timedout, reason == FLOW_END_TIMEOUT);
        files_set_sink(NULL, NULL);
    }
}

/* Files seen, in order: "filename:seen_bytes:md5|". */
static char parts[2048];
static size_t plen;

static void on_part(void *ctx, const struct flow *f, const struct file_info *fi)
{
    plen += (size_t)snprintf(parts + plen, sizeof(parts) - plen, "%s:%llu:%s|",
                             fi->filename ? fi->filename : "-",
                             (unsigned long long)fi->seen_bytes, fi->hashed ? fi->md5 : "-");
}

static void test_multipart_every_chunk_size(void **state)
{
    /* An upload of two files in multipart/form-data, the boundary's prefix ("\r\n--")
     * also appearing inside the data: each part is its own file, split right however the
     * body is sliced. */
    static const char body[] =
        "preamble\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"a.txt\"\r\n\r\n"
        "hello\r\n--Xy not yet\r\n-\r\n--X\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"b\"; filename=\"b.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
        "MZ\x00\x01"
        "\r\n--XyZ--\r\nepilogue";
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; "
                     "boundary=XyZ\r\nContent-Length: %zu\r\n\r\n", sizeof(body) - 1);
    memcpy(req + n, body, sizeof(body) - 1);
    size_t rq = (size_t)n + sizeof(body) - 1;
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    /* part 1 is "hello\r\n--Xy not yet\r\n-\r\n--X" (27 bytes), part 2 "MZ\0\1"; the
     * MD5s were computed independently (Python's hashlib) */
    const char *want = "a.txt:27:c6e102321855e6acbbe3865b8b99fc37|"
                       "b.bin:4:62e59bb2bc380dfed440f49bbd56cb2b|";
    char first[2048];
    for (size_t c = 0; c <= rq; c++) {
        plen = 0;
        parts[0] = '\0';
        files_set_sink(on_part, NULL);
        const char *txns = run(req, rq, resp, sizeof(resp) - 1, c);
        /* request_body_len as Zeek counts a multipart body: MIME lines each with its CRLF,
         * so the unterminated "epilogue" line adds 2 */
        char head[64];
        snprintf(head, sizeof(head), "1 POST /up h - 200 %zu 0 ", sizeof(body) - 1 + 2);
        if (!strstr(txns, head))
            fail_msg("chunk size %zu: %s\n   want %s", c, txns, head);
        if (c == 0)
            snprintf(first, sizeof(first), "%s", parts);
        else if (strcmp(parts, first) != 0)
            fail_msg("chunk size %zu: %s\n   want %s", c, parts, first);
    }
    files_set_sink(NULL, NULL);
    assert_string_equal(first, want);
}

static void test_http09_after_unrequested_reply(void **state)
{
    /* A response nobody asked for declares a 4-byte body; before any of it arrives the
     * client sends an HTTP/0.9 request.  What the server sends next answers that request
     * (0.9 answers run to the close), so the first response ends with an empty body. */
    struct http_conn *h = begin();
    static const char r1[] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n";
    static const char q[] = "GET /\r\n\r\n";
    static const char r2[] = "this is too much.\r\n";
    http_data(h, false, (const uint8_t *)r1, sizeof(r1) - 1, 1);
    http_data(h, true, (const uint8_t *)q, sizeof(q) - 1, 2);
    http_data(h, false, (const uint8_t *)r2, sizeof(r2) - 1, 3);
    http_free(h, 4);
    assert_string_equal(summary, "1 - - - - 200 0 0 -|"
                                 "2 GET / - - 0 0 19 text/plain|");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelining),      cmocka_unit_test(test_chunked_post_continue),
        cmocka_unit_test(test_close_delimited), cmocka_unit_test(test_gzip_body),
        cmocka_unit_test(test_evasions), cmocka_unit_test(test_lzma_and_layers),
        cmocka_unit_test(test_media_types_and_entropy),
        cmocka_unit_test(test_malformed_survives), cmocka_unit_test(test_body_cut_by_timeout),
        cmocka_unit_test(test_multipart_every_chunk_size),
        cmocka_unit_test(test_http09_after_unrequested_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
