/* http.c: HTTP/1.x message parsing (RFC 9112), resumable per direction.
 *
 *   request:  method SP target SP HTTP/x.y CRLF *(field CRLF) CRLF [body]
 *   response: HTTP/x.y SP status [SP reason] CRLF *(field CRLF) CRLF [body]
 *   body:     Content-Length | chunked (RFC 9112 §7.1, with trailers) | until close
 *
 * Header blocks are collected in a per-direction buffer (bounded by HTTP_MAX_HEADER_BYTES)
 * and parsed once complete; bodies are never buffered: they stream to file analysis.
 */
#define _GNU_SOURCE
#include "dissect/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/stats.h"
#include "dissect/files.h"
#include "dissect/flow.h"
#include "dissect/weird.h"

enum hstate {
    ST_START = 0,  /* collecting a start line and header block */
    ST_BODY_CL,    /* `left` bytes of body to go */
    ST_CHUNK_SIZE, /* collecting a chunk-size line */
    ST_CHUNK_DATA, /* `left` bytes of chunk data to go */
    ST_CHUNK_CRLF, /* the CRLF after chunk data */
    ST_TRAILERS,   /* collecting trailer fields after the last chunk */
    ST_BODY_EOF,   /* body until the end of the stream */
    ST_RESYNC,     /* lost: looking for the next start line */
    ST_TUNNEL,     /* CONNECT or Upgrade: no more HTTP */
    ST_DEAD,       /* not HTTP, or gave up */
};

/* A multipart body (RFC 2046 §5.1): parts split at "\r\n--boundary", found by a KMP
 * matcher so a delimiter may straddle any number of slices. */
enum mpstate { MP_PREAMBLE = 0, MP_AFTER_DELIM, MP_HEADERS, MP_BODY, MP_EPILOGUE };

struct multipart {
    enum mpstate st;
    uint8_t delim[4 + 72];       /* "\r\n--" + boundary (RFC 2046: at most 70) */
    uint8_t fail[4 + 72];        /* KMP failure function of delim */
    size_t dlen, m;              /* delimiter length, bytes of it matched */
    char hdr[HTTP_MAX_PART_HEADER];
    size_t hlen;
    bool first_dash;             /* after a delimiter: saw one '-' (of the closing "--") */
};

struct http_dir {
    enum hstate st;
    char *buf;           /* header block / line being collected */
    size_t len, cap;
    size_t scan;         /* where the search for the block's end resumes */
    uint64_t left;
    bool chunk_crlf_cr;  /* saw the CR of a chunk's CRLF */
    struct http_txn *txn;
    struct file_state *file;
    int file_idx;        /* the file's slot in txn->files[dir], or -1 */
    struct multipart *mp; /* the body is multipart: parts become files */
    uint64_t body_len;
    uint8_t last_body_byte; /* of a multipart body: did it end with a line break? */
    uint64_t decoded_len;
    bool decoded_len_valid;
    int64_t ts;
};

struct http_conn {
    struct flow *flow;
    struct http_dir d[2]; /* [0] requests, [1] responses */
    struct http_txn *head, *tail; /* transactions in order, not yet reported */
    uint32_t depth;
    int64_t last_ts;
};

static http_sink_fn sink;
static void *sink_ctx;

void http_set_sink(http_sink_fn fn, void *ctx)
{
    sink = fn;
    sink_ctx = ctx;
}

/* ---- small helpers -------------------------------------------------------------------- */

static void set_field(char **field, const char *v, size_t n, size_t cap)
{
    free(*field);
    *field = mem_dup_cap(v, n, cap);
}

static void append_field(char **field, const char *sep, const char *v, size_t n, size_t cap)
{
    size_t old = *field ? strlen(*field) : 0, sl = old ? strlen(sep) : 0;
    if (old + sl >= cap)
        return;
    if (n > cap - old - sl)
        n = cap - old - sl;
    char *d = realloc(*field, old + sl + n + 1);
    if (!d)
        return;
    memcpy(d + old, sep, sl);
    memcpy(d + old + sl, v, n);
    d[old + sl + n] = '\0';
    *field = d;
}

static int hexval(int c)
{
    c = tolower(c);
    return isdigit(c) ? c - '0' : c - 'a' + 10;
}

/* Percent-decode a request target for the log, as Zeek's unescape_URI does (a '%' not
 * followed by two hex digits stays as it is). */
static char *unescape_uri(const char *p, size_t n, size_t cap)
{
    if (n > cap)
        n = cap;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%' && i + 2 < n && isxdigit((unsigned char)p[i + 1]) &&
            isxdigit((unsigned char)p[i + 2])) {
            d[o++] = (char)(hexval((unsigned char)p[i + 1]) * 16 + hexval((unsigned char)p[i + 2]));
            i += 2;
        } else {
            d[o++] = p[i];
        }
    }
    d[o] = '\0';
    return d;
}

static bool is_tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void txn_free(struct http_txn *t)
{
    char **strs[] = {&t->method, &t->uri, &t->version, &t->host, &t->referrer, &t->user_agent,
                     &t->origin, &t->username, &t->req_content_type, &t->resp_content_type,
                     &t->content_encoding, &t->req_filename, &t->resp_filename, &t->proxied,
                     &t->status_msg, &t->info_msg, &t->header_names};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < t->nfiles[d]; i++) {
            free(t->files[d][i].filename);
            free(t->files[d][i].sum);
        }
    free(t);
}

const char *http_txn_url(const struct http_txn *t, const struct lw_addr *server, char *buf,
                         size_t n)
{
    if (!t->uri)
        return NULL;
    char addr[LW_ADDR_STRLEN];
    const char *host = t->host;
    if (!host || !*host) {
        addr_format(server, addr);
        host = addr;
    }
    if (strncasecmp(t->uri, "http://", 7) == 0 || strncasecmp(t->uri, "https://", 8) == 0)
        snprintf(buf, n, "%s", t->uri);   /* absolute form (proxy requests) */
    else
        snprintf(buf, n, "http://%s%s%s", host, t->uri[0] == '/' ? "" : "/", t->uri);
    return buf;
}

struct http_txn *http_txn_copy(const struct http_txn *t)
{
    struct http_txn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    *c = *t;
    c->next = NULL;
    char **strs[] = {&c->method, &c->uri, &c->version, &c->host, &c->referrer, &c->user_agent,
                     &c->origin, &c->username, &c->req_content_type, &c->resp_content_type,
                     &c->content_encoding, &c->req_filename, &c->resp_filename, &c->proxied,
                     &c->status_msg, &c->info_msg, &c->header_names};
    bool ok = true;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (*strs[i] && !(*strs[i] = strdup(*strs[i])))
            ok = false;
    /* Only the response's first file is kept (what rules look at). */
    memset(c->files, 0, sizeof(c->files));
    c->nfiles[0] = 0;
    c->nfiles[1] = t->nfiles[1] ? 1 : 0;
    if (c->nfiles[1]) {
        const struct http_file_ref *r = &t->files[1][0];
        struct http_file_ref *d = &c->files[1][0];
        memcpy(d->fuid, r->fuid, sizeof(d->fuid));
        d->mime = r->mime;
        if (r->filename && !(d->filename = strdup(r->filename)))
            ok = false;
        if (r->sum && (d->sum = malloc(sizeof(*d->sum))))
            *d->sum = *r->sum;
        else if (r->sum)
            ok = false;
    }
    if (!ok) {
        http_txn_free(c);
        return NULL;
    }
    return c;
}

void http_txn_free(struct http_txn *t)
{
    if (t)
        txn_free(t);
}

static struct http_txn *txn_new(struct http_conn *h, int64_t ts)
{
    struct http_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ts = ts;
    t->depth = ++h->depth;
    if (h->tail)
        h->tail->next = t;
    else
        h->head = t;
    h->tail = t;
    lw_stats.http_transactions++;
    return t;
}

/* Report finished transactions, in order. */
static void report_done(struct http_conn *h, bool all)
{
    while (h->head && (all || h->head->resp_done)) {
        struct http_txn *t = h->head;
        if (t == h->d[0].txn || t == h->d[1].txn) {
            if (!all)
                break;
        }
        h->head = t->next;
        if (!h->head)
            h->tail = NULL;
        if (h->d[0].txn == t)
            h->d[0].txn = NULL;
        if (h->d[1].txn == t)
            h->d[1].txn = NULL;
        if (sink)
            sink(sink_ctx, h->flow, t);
        txn_free(t);
    }
}

/* ---- sniffing ------------------------------------------------------------------------- */

bool http_sniff(const uint8_t *p, size_t len, bool is_orig, bool *need_more)
{
    *need_more = false;
    if (!is_orig) {
        static const char v[] = "http/";
        size_t k = len < 5 ? len : 5;
        if (strncasecmp((const char *)p, v, k) != 0)
            return false;
        *need_more = len < 5;
        return len >= 5;
    }
    /* A method token (letters, '_', '-') of at most 24 characters, then a space. */
    size_t i = 0;
    while (i < len && i < 25 && (isupper(p[i]) || p[i] == '_' || p[i] == '-'))
        i++;
    if (i == len && i < 25) {
        *need_more = true;
        return false;
    }
    return i >= 3 && i <= 24 && p[i] == ' ';
}

/* ---- header blocks -------------------------------------------------------------------- */

static bool buf_add(struct http_dir *d, const uint8_t *p, size_t n)
{
    if (d->len + n > HTTP_MAX_HEADER_BYTES)
        return false;
    if (d->len + n > d->cap) {
        size_t nc = d->cap ? d->cap : 512;
        while (nc < d->len + n)
            nc *= 2;
        if (nc > HTTP_MAX_HEADER_BYTES)
            nc = HTTP_MAX_HEADER_BYTES;
        char *b = realloc(d->buf, nc);
        if (!b)
            return false;
        lw_stats.http_header_bytes_held += nc - d->cap;
        d->buf = b;
        d->cap = nc;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
    return true;
}

static void buf_reset(struct http_dir *d)
{
    d->len = 0;
    d->scan = 0;
    if (d->cap > 4096) { /* do not keep a large buffer for a long-lived connection */
        lw_stats.http_header_bytes_held -= d->cap;
        free(d->buf);
        d->buf = NULL;
        d->cap = 0;
    }
}

/* The end of a header block in d->buf: index just past the blank line, or 0. */
static size_t block_end(struct http_dir *d)
{
    size_t i = d->scan;
    for (; i < d->len; i++) {
        if (d->buf[i] != '\n')
            continue;
        /* blank line: "\n\n" or "\n\r\n" */
        if (i + 1 < d->len && d->buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < d->len && d->buf[i + 1] == '\r' && d->buf[i + 2] == '\n')
            return i + 3;
        if (i + 2 >= d->len) {
            d->scan = i; /* may complete with the next bytes */
            return 0;
        }
    }
    d->scan = i;
    return 0;
}

struct line {
    const char *p;
    size_t n;
};

/* Next line of [*pos, end): without its CRLF/LF. */
static bool next_line(const char *buf, size_t *pos, size_t end, struct line *l)
{
    if (*pos >= end)
        return false;
    const char *s = buf + *pos;
    const char *nl = memchr(s, '\n', end - *pos);
    size_t n = nl ? (size_t)(nl - s) : end - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n && s[n - 1] == '\r')
        n--;
    l->p = s;
    l->n = n;
    return true;
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t'))
        (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

/* Header facts that decide framing, gathered while fields are parsed. */
struct framing {
    char boundary[73];   /* multipart boundary, or "" */
    bool chunked, has_cl, bad_cl;
    uint64_t cl;
    bool conn_close, upgrade;
    uint64_t range_first, range_total;
    bool has_range, multipart_ranges;
};

static bool parse_u64(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* filename= from a Content-Disposition value. */
static void disposition_filename(const char *v, size_t n, char **out)
{
    const char *end = v + n;
    for (const char *p = v; p + 9 <= end; p++) {
        if (strncasecmp(p, "filename", 8) != 0)
            continue;
        const char *q = p + 8;
        if (q < end && *q == '*')
            continue; /* RFC 5987 form: the plain one, when present, is enough */
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q >= end || *q != '=')
            continue;
        q++;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        const char *s = q, *e;
        if (q < end && *q == '"') {
            s = ++q;
            e = memchr(s, '"', (size_t)(end - s));
            if (!e)
                e = end;
        } else {
            e = s;
            while (e < end && *e != ';' && *e != ' ')
                e++;
        }
        set_field(out, s, (size_t)(e - s), HTTP_MAX_FIELD);
        return;
    }
}

/* Content-Range: "bytes first-last/total" (total may be "*": unknown). */
static void content_range(const char *v, size_t vn, struct framing *fr)
{
    const char *p = v, *e = v + vn;
    while (p < e && !isdigit((unsigned char)*p))
        p++;
    const char *dash = memchr(p, '-', (size_t)(e - p));
    const char *slash = memchr(p, '/', (size_t)(e - p));
    uint64_t first;
    if (dash && parse_u64(p, (size_t)(dash - p), &first)) {
        fr->has_range = true;
        fr->range_first = first;
        fr->range_total = UINT64_MAX;
        if (slash)
            parse_u64(slash + 1, (size_t)(e - slash - 1), &fr->range_total);
    }
}

/* boundary= of a multipart Content-Type (quoted or not). */
static void multipart_boundary(const char *v, size_t n, char *out, size_t outlen)
{
    const char *end = v + n;
    for (const char *p = v; p + 9 <= end; p++) {
        if (strncasecmp(p, "boundary=", 9) != 0)
            continue;
        const char *b = p + 9, *e;
        if (b < end && *b == '"') {
            b++;
            e = memchr(b, '"', (size_t)(end - b));
            if (!e)
                e = end;
        } else {
            e = b;
            while (e < end && *e != ';' && *e != ' ' && *e != '\t')
                e++;
        }
        size_t k = (size_t)(e - b);
        if (k == 0 || k >= outlen)
            return; /* over 70 characters: not a valid boundary, keep the body whole */
        memcpy(out, b, k);
        out[k] = '\0';
        return;
    }
}

static const char *const proxy_headers[] = {"FORWARDED", "X-FORWARDED-FOR", "X-FORWARDED-FROM",
                                            "CLIENT-IP", "VIA", "XROXY-CONNECTION",
                                            "PROXY-CONNECTION"};

/* Parse the fields of a header block (after the start line). */
static void parse_fields(struct http_conn *h, struct http_txn *t, bool is_req, const char *buf,
                         size_t pos, size_t end, struct framing *fr)
{
    struct line l;
    char **last = NULL; /* field continued by an obsolete line fold */
    unsigned count = 0;
    while (next_line(buf, &pos, end, &l)) {
        if (l.n == 0)
            break;
        if (l.p[0] == ' ' || l.p[0] == '\t') { /* obs-fold */
            const char *v = l.p;
            size_t n = l.n;
            trim(&v, &n);
            if (last)
                append_field(last, " ", v, n, HTTP_MAX_FIELD);
            continue;
        }
        last = NULL;
        if (++count > HTTP_MAX_HEADERS) {
            weird_report(h->last_ts, h->flow, "HTTP_too_many_headers", NULL, "HTTP");
            break;
        }
        const char *colon = memchr(l.p, ':', l.n);
        if (!colon) {
            weird_report(h->last_ts, h->flow, "HTTP_header_without_colon", NULL, "HTTP");
            continue;
        }
        const char *name = l.p;
        size_t nn = (size_t)(colon - l.p);
        const char *v = colon + 1;
        size_t vn = l.n - nn - 1;
        trim(&v, &vn);
        while (nn && (name[nn - 1] == ' ' || name[nn - 1] == '\t'))
            nn--; /* "Name :" is invalid, but seen; accept it */
        if (is_req) {
            char upper[64];
            size_t un = nn < sizeof(upper) - 1 ? nn : sizeof(upper) - 1;
            for (size_t i = 0; i < un; i++)
                upper[i] = (char)toupper((unsigned char)name[i]);
            append_field(&t->header_names, ",", upper, un, HTTP_MAX_HEADER_NAMES);
        }
#define IS(s) (nn == sizeof(s) - 1 && strncasecmp(name, s, nn) == 0)
        if (IS("Content-Length")) {
            uint64_t cl;
            if (!parse_u64(v, vn, &cl)) {
                fr->bad_cl = true;
                weird_report(h->last_ts, h->flow, "HTTP_bad_content_length", NULL, "HTTP");
            } else if (fr->has_cl && cl != fr->cl) {
                fr->bad_cl = true;
                weird_report(h->last_ts, h->flow, "HTTP_conflicting_content_length", NULL,
                             "HTTP");
            } else {
                fr->has_cl = true;
                fr->cl = cl;
            }
        } else if (IS("Transfer-Encoding")) {
            /* Browsers honour "chunked" anywhere in the value ("chunkedx", "x-chunked",
             * "chunked;"): so must a sensor, or the body is misread (HTTP Evader). */
            bool ch = false;
            for (size_t i = 0; i + 7 <= vn && !ch; i++)
                ch = strncasecmp(v + i, "chunked", 7) == 0;
            if (ch)
                fr->chunked = true;
            else
                weird_report(h->last_ts, h->flow, "HTTP_unsupported_transfer_encoding", NULL,
                             "HTTP");
        } else if (IS("Content-Type")) {
            char **f = is_req ? &t->req_content_type : &t->resp_content_type;
            set_field(f, v, vn, HTTP_MAX_FIELD);
            last = f;
            if (!is_req && vn >= 20 && strncasecmp(v, "multipart/byteranges", 20) == 0)
                fr->multipart_ranges = true;
            if (vn >= 10 && strncasecmp(v, "multipart/", 10) == 0)
                multipart_boundary(v, vn, fr->boundary, sizeof(fr->boundary));
        } else if (IS("Content-Encoding")) {
            /* Several headers and several codings: all of them, in order. */
            if (!is_req) {
                append_field(&t->content_encoding, ",", v, vn, 256);
                last = &t->content_encoding;
            }
        } else if (IS("Content-Disposition")) {
            disposition_filename(v, vn, is_req ? &t->req_filename : &t->resp_filename);
        } else if (IS("Content-Range") && !is_req) {
            content_range(v, vn, fr);
        } else if (IS("Connection")) {
            if (vn >= 5 && strncasecmp(v, "close", 5) == 0)
                fr->conn_close = true;
        } else if (IS("Upgrade")) {
            fr->upgrade = true;
        } else if (is_req && IS("Host")) {
            set_field(&t->host, v, vn, HTTP_MAX_FIELD);
            last = &t->host;
        } else if (is_req && IS("User-Agent")) {
            set_field(&t->user_agent, v, vn, HTTP_MAX_FIELD);
            last = &t->user_agent;
        } else if (is_req && IS("Referer")) {
            set_field(&t->referrer, v, vn, HTTP_MAX_URI);
            last = &t->referrer;
        } else if (is_req && IS("Origin")) {
            set_field(&t->origin, v, vn, HTTP_MAX_FIELD);
        } else if (is_req && IS("Authorization")) {
            if (vn > 6 && strncasecmp(v, "Basic ", 6) == 0)
                set_field(&t->username, "<basic>", 7, 16); /* decoded below */
        }
        if (is_req) {
            for (size_t i = 0; i < sizeof(proxy_headers) / sizeof(proxy_headers[0]); i++) {
                size_t pl = strlen(proxy_headers[i]);
                if (nn == pl && strncasecmp(name, proxy_headers[i], pl) == 0) {
                    t->tags |= HTTP_TAG_PROXIED;
                    char item[HTTP_MAX_FIELD];
                    int k = snprintf(item, sizeof(item), "%s -> %.*s", proxy_headers[i],
                                     (int)(vn < 512 ? vn : 512), v);
                    append_field(&t->proxied, ",", item, (size_t)k, HTTP_MAX_FIELD);
                }
            }
        }
#undef IS
    }
}

/* ---- messages ------------------------------------------------------------------------- */

/* Begin a file in direction `d` (the whole body, or one multipart part). */
static void start_file(struct http_conn *h, struct http_dir *d, bool is_req, uint64_t total,
                       uint64_t offset, bool is_range, const char *filename,
                       const char *encoding)
{
    struct http_txn *t = d->txn;
    int dir = is_req ? 0 : 1;
    d->file = file_begin(h->flow, is_req, d->ts, t->depth, filename, total, offset, is_range,
                         encoding);
    d->file_idx = -1;
    if (!d->file)
        return;
    if (t->nfiles[dir] < HTTP_MAX_FILES) {
        struct http_file_ref *r = &t->files[dir][t->nfiles[dir]];
        memcpy(r->fuid, file_fuid(d->file), sizeof(r->fuid));
        r->filename = filename ? strdup(filename) : NULL;
        d->file_idx = t->nfiles[dir]++;
    } else {
        lw_stats.http_files_not_logged++;
    }
}

static void end_file(struct http_conn *h, struct http_dir *d, bool is_req)
{
    if (!d->file)
        return;
    struct http_file_ref *r = d->txn && d->file_idx >= 0
                                  ? &d->txn->files[is_req ? 0 : 1][d->file_idx] : NULL;
    struct file_summary *sum = r ? malloc(sizeof(*sum)) : NULL;
    const char *mime = file_end(d->file, h->flow, h->last_ts, sum);
    if (r) {
        r->mime = mime;
        free(r->sum);
        r->sum = sum;
    }
    d->file = NULL;
    d->file_idx = -1;
}

/* ---- multipart bodies ------------------------------------------------------------------- */

static struct multipart *mp_new(const char *boundary)
{
    struct multipart *mp = calloc(1, sizeof(*mp));
    if (!mp)
        return NULL;
    size_t bl = strlen(boundary);
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, bl);
    mp->dlen = 4 + bl;
    /* KMP failure function */
    mp->fail[0] = 0;
    for (size_t i = 1, k = 0; i < mp->dlen; i++) {
        while (k && mp->delim[i] != mp->delim[k])
            k = mp->fail[k - 1];
        if (mp->delim[i] == mp->delim[k])
            k++;
        mp->fail[i] = (uint8_t)k;
    }
    mp->m = 2; /* the first delimiter may open the body without the CRLF */
    return mp;
}

/* Part headers are complete: start the part's file. */
static void mp_part_begin(struct http_conn *h, struct http_dir *d, bool is_req)
{
    struct multipart *mp = d->mp;
    char *filename = NULL;
    struct framing pf = {0};
    size_t pos = 0;
    struct line l;
    while (next_line(mp->hdr, &pos, mp->hlen, &l)) {
        const char *colon = memchr(l.p, ':', l.n);
        if (!colon)
            continue;
        size_t nn = (size_t)(colon - l.p);
        const char *v = colon + 1;
        size_t vn = l.n - nn - 1;
        trim(&v, &vn);
        if (nn == 19 && strncasecmp(l.p, "Content-Disposition", 19) == 0)
            disposition_filename(v, vn, &filename);
        else if (nn == 13 && strncasecmp(l.p, "Content-Range", 13) == 0)
            content_range(v, vn, &pf);
    }
    start_file(h, d, is_req, pf.has_range ? pf.range_total : UINT64_MAX,
               pf.has_range ? pf.range_first : 0, pf.has_range, filename, NULL);
    free(filename);
}

/* Body bytes of a multipart message. */
static void mp_feed(struct http_conn *h, struct http_dir *d, bool is_req, const uint8_t *p,
                    size_t n, int64_t ts)
{
    struct multipart *mp = d->mp;
    size_t i = 0;
    while (i < n) {
        switch (mp->st) {
        case MP_PREAMBLE:
        case MP_BODY: {
            /* Byte by byte through a KMP matcher: a byte that cannot continue the
             * delimiter releases the matched prefix (it equals delim[0..m)) as data. */
            uint8_t out[4096];
            size_t on = 0;
            bool keep = mp->st == MP_BODY && d->file;
            bool found = false;
            for (; i < n && !found; i++) {
                uint8_t c = p[i];
                while (mp->m && c != mp->delim[mp->m]) {
                    size_t k = mp->fail[mp->m - 1];
                    for (size_t j = 0; j < mp->m - k; j++) {
                        if (on == sizeof(out)) {
                            if (keep)
                                file_data(d->file, out, on, ts);
                            on = 0;
                        }
                        out[on++] = mp->delim[j];
                    }
                    mp->m = k;
                }
                if (c == mp->delim[mp->m]) {
                    if (++mp->m == mp->dlen)
                        found = true;
                    continue;
                }
                if (on == sizeof(out)) {
                    if (keep)
                        file_data(d->file, out, on, ts);
                    on = 0;
                }
                out[on++] = c;
            }
            if (keep && on)
                file_data(d->file, out, on, ts);
            if (found) {
                if (mp->st == MP_BODY)
                    end_file(h, d, is_req);
                mp->st = MP_AFTER_DELIM;
                mp->m = 0;
                mp->first_dash = false;
            }
            break;
        }
        case MP_AFTER_DELIM:
            /* "--" closes the body; otherwise skip padding to the end of the line. */
            if (p[i] == '-') {
                if (mp->first_dash) {
                    mp->st = MP_EPILOGUE;
                } else {
                    mp->first_dash = true;
                }
            } else if (p[i] == '\n') {
                mp->st = MP_HEADERS;
                mp->hlen = 0;
            }
            i++;
            break;
        case MP_HEADERS: {
            uint8_t c = p[i++];
            if (mp->hlen < sizeof(mp->hdr))
                mp->hdr[mp->hlen++] = (char)c;
            bool end = c == '\n' && (mp->hlen == 1 || (mp->hlen == 2 && mp->hdr[0] == '\r') ||
                                     (mp->hlen >= 2 && mp->hdr[mp->hlen - 2] == '\n') ||
                                     (mp->hlen >= 3 && mp->hdr[mp->hlen - 2] == '\r' &&
                                      mp->hdr[mp->hlen - 3] == '\n'));
            if (end) {
                mp_part_begin(h, d, is_req);
                mp->st = MP_BODY;
                mp->m = 0;
            }
            break;
        }
        case MP_EPILOGUE:
            return;
        }
    }
}

/* The message of direction `d` is complete. */
static void message_done(struct http_conn *h, struct http_dir *d, bool is_req)
{
    struct http_txn *t = d->txn;
    if (t) {
        if (d->file)
            d->decoded_len_valid = file_decoded_len(d->file, &d->decoded_len);
        end_file(h, d, is_req);
        /* Zeek counts the body after content decoding. */
        uint64_t len = d->body_len;
        if (d->decoded_len_valid)
            len = d->decoded_len;
        /* Zeek reads a multipart body as MIME lines and counts each with its CRLF, so a
         * body whose last line has no line break counts 2 bytes more; so do we, for logs
         * that compare equal. */
        if (d->mp && len && d->last_body_byte != '\n')
            len += 2;
        if (is_req)
            t->req_body_len = len;
        else {
            t->resp_body_len = len;
            t->resp_done = true;
        }
        d->decoded_len_valid = false;
    }
    free(d->mp);
    d->mp = NULL;
    d->txn = NULL;
    d->body_len = 0;
    d->st = ST_START;
    buf_reset(d);
    if (!is_req)
        report_done(h, false);
}

/* Body framing after a complete header block. */
static void begin_body(struct http_conn *h, struct http_dir *d, bool is_req, struct framing *fr,
                       bool no_body, bool until_close)
{
    struct http_txn *t = d->txn;
    if (no_body) {
        message_done(h, d, is_req);
        return;
    }
    uint64_t offset = 0, total = fr->has_cl ? fr->cl : UINT64_MAX;
    if (fr->has_range) {
        offset = fr->range_first;
        total = fr->range_total;
    }
    d->body_len = 0;
    const char *fname = is_req ? t->req_filename : t->resp_filename;
    const char *enc = is_req ? NULL : t->content_encoding;
    if (enc || (fr->chunked && !fr->has_range))
        total = UINT64_MAX; /* Content-Length counts encoded bytes, or is overridden by chunked */
    if (fr->boundary[0] && !enc) {
        /* Each part is a file of its own (byteranges: each part's own range). */
        d->mp = mp_new(fr->boundary);
    } else if (fr->multipart_ranges) {
        offset = UINT64_MAX; /* ranges we cannot split: not a file from offset 0 */
    }
    if (fr->chunked) {
        d->st = ST_CHUNK_SIZE;
        if (!d->mp)
            start_file(h, d, is_req, total, offset, fr->has_range, fname, enc);
        return;
    }
    if (fr->has_cl && !fr->bad_cl) {
        if (fr->cl == 0) {
            message_done(h, d, is_req);
            return;
        }
        d->st = ST_BODY_CL;
        d->left = fr->cl;
        if (!d->mp)
            start_file(h, d, is_req, total, offset, fr->has_range, fname, enc);
        return;
    }
    if (until_close) {
        d->st = ST_BODY_EOF;
        if (!d->mp)
            start_file(h, d, is_req, UINT64_MAX, offset, fr->has_range, fname, enc);
        return;
    }
    message_done(h, d, is_req);
}

static bool parse_request(struct http_conn *h, struct http_dir *d, size_t end)
{
    size_t pos = 0;
    struct line l;
    next_line(d->buf, &pos, end, &l);
    /* method SP target [SP version] */
    const char *sp1 = memchr(l.p, ' ', l.n);
    if (!sp1 || sp1 == l.p) {
        lw_stats.http_bad_messages++;
        weird_report(h->last_ts, h->flow, "bad_HTTP_request", NULL, "HTTP");
        return false;
    }
    for (const char *c = l.p; c < sp1; c++)
        if (!is_tchar((unsigned char)*c)) {
            lw_stats.http_bad_messages++;
            weird_report(h->last_ts, h->flow, "bad_HTTP_request", NULL, "HTTP");
            return false;
        }
    const char *target = sp1 + 1, *lend = l.p + l.n;
    while (target < lend && *target == ' ')
        target++;
    const char *sp2 = lend;
    while (sp2 > target && sp2[-1] != ' ')
        sp2--;
    const char *version = NULL;
    size_t tn;
    if (sp2 > target && (size_t)(lend - sp2) >= 5 && strncmp(sp2, "HTTP/", 5) == 0) {
        version = sp2 + 5;
        tn = (size_t)(sp2 - 1 - target);
        while (tn && target[tn - 1] == ' ')
            tn--;
    } else if ((size_t)(lend - target) >= 5 && strncmp(target, "HTTP/", 5) == 0 &&
               !memchr(target, ' ', (size_t)(lend - target))) {
        version = target + 5; /* "GET HTTP/1.1": a version and no target */
        tn = 0;
    } else {
        tn = (size_t)(lend - target); /* HTTP/0.9: no version */
    }
    struct http_dir *rd = &h->d[1];
    if (!version && rd->txn && (rd->txn->tags & HTTP_TAG_NO_REQUEST) &&
        (rd->st == ST_BODY_CL || rd->st == ST_BODY_EOF || rd->st == ST_CHUNK_SIZE ||
         rd->st == ST_CHUNK_DATA || rd->st == ST_CHUNK_CRLF)) {
        /* An HTTP/0.9 request while an unrequested response is still in its body: the
         * server's next bytes are the 0.9 answer, which has no framing, not the rest of
         * that body (Zeek: HTTP_version_mismatch). */
        weird_report(h->last_ts, h->flow, "HTTP_version_mismatch", NULL, "HTTP");
        message_done(h, rd, false);
    }
    struct http_txn *t = txn_new(h, d->ts);
    if (!t)
        return false;
    flow_add_service(h->flow, "http");
    t->req_seen = true;
    d->txn = t;
    t->method = mem_dup_cap(l.p, (size_t)(sp1 - l.p), 64);
    /* "GET HTTP/1.1": no target at all */
    t->uri = unescape_uri(target, tn, HTTP_MAX_URI);
    if (tn > HTTP_MAX_URI)
        weird_report(h->last_ts, h->flow, "HTTP_uri_too_long", NULL, "HTTP");
    t->version = version ? mem_dup_cap(version, (size_t)(lend - version), 16) : mem_dup_cap("0.9", 3, 4);
    struct framing fr = {0};
    parse_fields(h, t, true, d->buf, pos, end, &fr);
    /* A request has a body only when it says so (RFC 9112 §6.3). */
    begin_body(h, d, true, &fr, false, false);
    return true;
}

static bool parse_response(struct http_conn *h, struct http_dir *d, size_t end)
{
    size_t pos = 0;
    struct line l;
    next_line(d->buf, &pos, end, &l);
    /* HTTP-version SP status-code [SP reason]; tolerant of what browsers accept
     * ("http/1.1", "HTTP/1.01", extra spaces). */
    if (l.n < 8 || strncasecmp(l.p, "HTTP/", 5) != 0) {
        lw_stats.http_bad_messages++;
        weird_report(h->last_ts, h->flow, "bad_HTTP_reply", NULL, "HTTP");
        return false;
    }
    const char *v = l.p + 5, *lend = l.p + l.n, *q = v;
    while (q < lend && *q != ' ' && *q != '\t')
        q++;
    const char *ver = v;
    size_t vlen = (size_t)(q - v);
    while (q < lend && (*q == ' ' || *q == '\t'))
        q++;
    /* A status line without a valid code is still taken as an answer (browsers do: the
     * headers and body that follow are delivered); the status is then left unset. */
    bool has_code = lend - q >= 3 && isdigit((unsigned char)q[0]) &&
                    isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]);
    if (!has_code)
        weird_report(h->last_ts, h->flow, "HTTP_bad_status_line", NULL, "HTTP");
    if (vlen > 8) /* "1.1foobar": the version is its leading digits */
        vlen = 3;
    unsigned code = has_code ? (unsigned)(q[0] - '0') * 100 + (unsigned)(q[1] - '0') * 10 +
                                   (unsigned)(q[2] - '0')
                             : 200;
    const char *reason = has_code ? q + 3 : lend;
    size_t rn = (size_t)(lend - reason);
    trim(&reason, &rn);

    /* The oldest request still waiting for its final response. */
    struct http_txn *t = h->head;
    while (t && t->resp_done)
        t = t->next;
    if (!t) {
        t = txn_new(h, d->ts);
        if (!t)
            return false;
        t->tags |= HTTP_TAG_NO_REQUEST;
    }
    d->txn = t;
    t->resp_seen = true;
    struct framing fr = {0};
    if (code >= 100 && code < 200 && code != 101) {
        /* Interim: remember it, and wait for the final response. */
        t->info_code = (uint16_t)code;
        set_field(&t->info_msg, reason, rn, HTTP_MAX_FIELD);
        d->txn = NULL;
        d->st = ST_START;
        buf_reset(d);
        return true;
    }
    flow_add_service(h->flow, "http");
    t->status_code = (uint16_t)code;
    t->has_status = has_code;
    set_field(&t->status_msg, reason, rn, HTTP_MAX_FIELD);
    if (!t->version)
        t->version = mem_dup_cap(ver, vlen, 16);
    parse_fields(h, t, false, d->buf, pos, end, &fr);
    bool head = t->method && strcmp(t->method, "HEAD") == 0;
    bool connect = t->method && strcmp(t->method, "CONNECT") == 0;
    if ((connect && code >= 200 && code < 300) || code == 101) {
        /* A tunnel or another protocol from here on. */
        message_done(h, d, false);
        h->d[0].st = h->d[1].st = ST_TUNNEL;
        return true;
    }
    bool no_body = head || code == 204 || code == 304;
    begin_body(h, d, false, &fr, no_body, true);
    return true;
}

/* Consume a start line + header block from `p`; returns bytes used. */
static size_t on_start(struct http_conn *h, struct http_dir *d, bool is_req, const uint8_t *p,
                       size_t n, int64_t ts)
{
    size_t used = 0;
    if (!is_req && d->len == 0) {
        /* The answer to an HTTP/0.9 request has no status line: the body runs to the end. */
        struct http_txn *t = h->head;
        while (t && t->resp_done)
            t = t->next;
        if (t && t->version && strcmp(t->version, "0.9") == 0) {
            d->txn = t;
            t->resp_seen = true;
            t->has_status = true; /* Zeek logs status 0 for an HTTP/0.9 answer */
            d->ts = ts;
            struct framing fr = {0};
            begin_body(h, d, false, &fr, false, true);
            return 0;
        }
    }
    if (d->len == 0) {
        /* Empty lines before a message are ignored (RFC 9112 §2.2). */
        while (used < n && (p[used] == '\r' || p[used] == '\n'))
            used++;
        if (used == n)
            return used;
        d->ts = ts;
    }
    size_t before = d->len;
    size_t take = n - used;
    if (!buf_add(d, p + used, take)) {
        lw_stats.http_limits++;
        weird_report(ts, h->flow, "HTTP_header_block_too_large", NULL, "HTTP");
        d->st = ST_RESYNC;
        buf_reset(d);
        return n;
    }
    size_t end = block_end(d);
    if (!end) {
        /* HTTP/0.9 request: a request line without a version ends at its line end. */
        if (is_req && d->len) {
            const char *nl = memchr(d->buf, '\n', d->len);
            if (nl) {
                size_t ll = (size_t)(nl - d->buf);
                const char *rest = nl + 1;
                size_t rn = d->len - ll - 1;
                const char *nl2 = memchr(rest, '\n', rn);
                /* Header lines may follow a versionless request line (Zeek reads them); when
                 * the next line is not one, or nothing follows, the request is complete. */
                bool header_follows = rn && (nl2 ? memchr(rest, ':', (size_t)(nl2 - rest))
                                                 : memchr(rest, ':', rn)) != NULL;
                if (ll >= 5 && memmem(d->buf, ll, " HTTP/", 6) == NULL && !header_follows)
                    end = ll + 1;
            }
        }
        if (!end)
            return n;
    }
    bool ok = is_req ? parse_request(h, d, end) : parse_response(h, d, end);
    if (!ok) {
        d->st = ST_RESYNC;
        buf_reset(d);
        return n;
    }
    /* What followed the block belongs to the body or the next message: hand it back. */
    size_t consumed_new = end - before;
    buf_reset(d);
    return used + consumed_new;
}

static void body_bytes(struct http_conn *h, struct http_dir *d, const uint8_t *p, size_t n,
                       int64_t ts)
{
    d->body_len += n;
    if (d->mp) {
        if (n)
            d->last_body_byte = p[n - 1];
        mp_feed(h, d, d == &h->d[0], p, n, ts);
    }
    else
        file_data(d->file, p, n, ts);
}

/* Collect one line into d->buf (chunk size or trailer); true when complete. */
static bool take_line(struct http_dir *d, const uint8_t *p, size_t n, size_t *used, size_t cap)
{
    const uint8_t *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) + 1 : n;
    if (d->len + k > cap)
        return (*used = k, d->len = cap + 1, true);
    buf_add(d, p, k);
    *used = k;
    return nl != NULL;
}

static void feed(struct http_conn *h, bool is_req, const uint8_t *p, size_t n, int64_t ts)
{
    struct http_dir *d = &h->d[is_req ? 0 : 1];
    while (n > 0) {
        size_t used = 0;
        enum hstate was = d->st;
        switch (d->st) {
        case ST_START:
            used = on_start(h, d, is_req, p, n, ts);
            break;
        case ST_BODY_CL: {
            used = n < d->left ? n : (size_t)d->left;
            body_bytes(h, d, p, used, ts);
            d->left -= used;
            if (d->left == 0)
                message_done(h, d, is_req);
            break;
        }
        case ST_CHUNK_SIZE:
        case ST_TRAILERS: {
            bool complete = take_line(d, p, n, &used, HTTP_MAX_LINE);
            if (d->len > HTTP_MAX_LINE) {
                lw_stats.http_limits++;
                weird_report(ts, h->flow, "HTTP_chunk_line_too_long", NULL, "HTTP");
                message_done(h, d, is_req);
                d->st = ST_RESYNC;
                break;
            }
            if (!complete)
                break;
            size_t ln = d->len;
            while (ln && (d->buf[ln - 1] == '\n' || d->buf[ln - 1] == '\r'))
                ln--;
            if (d->st == ST_TRAILERS) {
                buf_reset(d);
                if (ln == 0)
                    message_done(h, d, is_req);
                break;
            }
            /* chunk-size [; extensions] */
            uint64_t size = 0;
            size_t i = 0, digits = 0;
            while (i < ln && (d->buf[i] == ' ' || d->buf[i] == '\t' || d->buf[i] == '\v' ||
                              d->buf[i] == '\f'))
                i++;
            for (; i < ln && isxdigit((unsigned char)d->buf[i]); i++, digits++) {
                if (size >> 60) {
                    digits = 0; /* overflow */
                    break;
                }
                size = size * 16 + (uint64_t)hexval((unsigned char)d->buf[i]);
            }
            buf_reset(d);
            if (!digits) {
                if (ln == 0)
                    break; /* a stray empty line: tolerated */
                lw_stats.http_bad_messages++;
                weird_report(ts, h->flow, "HTTP_bad_chunk_size", NULL, "HTTP");
                message_done(h, d, is_req);
                d->st = ST_RESYNC;
                break;
            }
            if (size == 0) {
                d->st = ST_TRAILERS;
            } else {
                d->left = size;
                d->st = ST_CHUNK_DATA;
            }
            break;
        }
        case ST_CHUNK_DATA:
            used = n < d->left ? n : (size_t)d->left;
            body_bytes(h, d, p, used, ts);
            d->left -= used;
            if (d->left == 0) {
                d->st = ST_CHUNK_CRLF;
                d->chunk_crlf_cr = false;
            }
            break;
        case ST_CHUNK_CRLF:
            if (p[0] == '\r' && !d->chunk_crlf_cr) {
                d->chunk_crlf_cr = true;
                used = 1;
            } else {
                if (p[0] == '\n')
                    used = 1;
                else
                    weird_report(ts, h->flow, "HTTP_chunk_without_crlf", NULL, "HTTP");
                d->st = ST_CHUNK_SIZE;
            }
            break;
        case ST_BODY_EOF:
            used = n;
            body_bytes(h, d, p, n, ts);
            break;
        case ST_RESYNC: {
            /* Skip to the next line that starts a message. */
            const uint8_t *nl = memchr(p, '\n', n);
            if (!nl)
                return;
            used = (size_t)(nl - p) + 1;
            bool more;
            if (used < n && http_sniff(p + used, n - used, is_req, &more))
                d->st = ST_START;
            break;
        }
        case ST_TUNNEL:
        case ST_DEAD:
            return;
        }
        if (used == 0 && d->st == was)
            used = n; /* never spin: no progress and no change of state */
        p += used;
        n -= used;
    }
}

struct http_conn *http_new(struct flow *f)
{
    struct http_conn *h = calloc(1, sizeof(*h));
    if (h)
        h->flow = f;
    return h;
}

bool http_between_messages(const struct http_conn *h, bool is_orig)
{
    const struct http_dir *d = &h->d[is_orig ? 0 : 1];
    return (d->st == ST_START && d->len == 0) || d->st == ST_RESYNC;
}

bool http_is_tunnel(const struct http_conn *h)
{
    return h->d[1].st == ST_TUNNEL;
}

void http_skip_requests(struct http_conn *h)
{
    h->d[0].st = ST_DEAD;
}

void http_data(struct http_conn *h, bool is_orig, const uint8_t *data, size_t len, int64_t ts)
{
    h->last_ts = ts;
    feed(h, is_orig, data, len, ts);
}

void http_gap(struct http_conn *h, bool is_orig, uint64_t len)
{
    struct http_dir *d = &h->d[is_orig ? 0 : 1];
    if (d->txn)
        d->txn->tags |= HTTP_TAG_GAP;
    switch (d->st) {
    case ST_BODY_CL:
    case ST_CHUNK_DATA: {
        uint64_t k = len < d->left ? len : d->left;
        d->body_len += k;
        file_gap(d->file, k);
        d->left -= k;
        len -= k;
        if (d->left == 0) {
            if (d->st == ST_BODY_CL)
                message_done(h, d, is_orig);
            else
                d->st = ST_CHUNK_CRLF;
        }
        if (len)
            d->st = ST_RESYNC; /* the gap runs past the message: lost framing */
        return;
    }
    case ST_BODY_EOF:
        d->body_len += len;
        file_gap(d->file, len);
        return;
    case ST_START:
        if (d->len == 0)
            return; /* between messages: nothing lost that we needed */
        /* A gap inside a header block: salvage the start line and fields seen. */
        buf_add(d, (const uint8_t *)"\r\n\r\n", 4);
        {
            size_t end = block_end(d);
            if (end) {
                bool ok = is_orig ? parse_request(h, d, end) : parse_response(h, d, end);
                if (ok && d->txn)
                    d->txn->tags |= HTTP_TAG_GAP;
            }
        }
        if (d->file) {
            file_gap(d->file, len);
            d->body_len += len;
        }
        if (d->st != ST_BODY_EOF) {
            if (d->txn)
                message_done(h, d, is_orig);
            d->st = ST_RESYNC;
        }
        buf_reset(d);
        return;
    default:
        if (d->txn)
            message_done(h, d, is_orig);
        d->st = ST_RESYNC;
        return;
    }
}

void http_eof(struct http_conn *h, bool is_orig, int64_t ts)
{
    struct http_dir *d = &h->d[is_orig ? 0 : 1];
    h->last_ts = ts > h->last_ts ? ts : h->last_ts;
    if (d->txn) {
        if (d->st == ST_BODY_CL || d->st == ST_CHUNK_DATA || d->st == ST_CHUNK_SIZE) {
            d->txn->tags |= HTTP_TAG_GAP; /* the message was cut short */
            if (h->flow->end_reason == FLOW_END_TIMEOUT || h->flow->end_reason == FLOW_END_EVICTED)
                file_timedout(d->file);
        }
        message_done(h, d, is_orig);
    } else if (d->st == ST_START && d->len) {
        /* An unterminated header block at the end: parse what there is. */
        buf_add(d, (const uint8_t *)"\r\n\r\n", 4);
        size_t end = block_end(d);
        if (end && (is_orig ? parse_request(h, d, end) : parse_response(h, d, end)) && d->txn) {
            d->txn->tags |= HTTP_TAG_GAP;
            message_done(h, d, is_orig);
        }
    }
    d->st = ST_DEAD;
}

void http_free(struct http_conn *h, int64_t ts)
{
    if (!h)
        return;
    for (int i = 0; i < 2; i++) {
        struct http_dir *d = &h->d[i];
        if (d->st != ST_DEAD)
            http_eof(h, i == 0, ts);
        end_file(h, d, i == 0);
        free(d->mp);
        d->mp = NULL;
        if (d->cap)
            lw_stats.http_header_bytes_held -= d->cap;
        free(d->buf);
    }
    report_done(h, true);
    free(h);
}
