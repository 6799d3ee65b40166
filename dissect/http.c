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
    size_t start;        /* offset of the start line in buf (after junk lines) */
    size_t fields_end;   /* where the line ending the block starts */
    unsigned junk_lines; /* lines before a response's status line */
    bool start_found;
    bool line_over;      /* the line being collected outgrew its cap */
    bool chunks_seen;    /* a chunk-size line of this body parsed */
    uint64_t cl_after_chunked; /* Content-Length for that fallback, or UINT64_MAX */
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

static _Thread_local http_sink_fn sink;
static _Thread_local void *sink_ctx;

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
    d->start = 0;
    d->junk_lines = 0;
    d->start_found = false;
    d->line_over = false;
    if (d->cap) { /* most connections carry one message: do not keep the buffer */
        lw_stats.http_header_bytes_held -= d->cap;
        free(d->buf);
        d->buf = NULL;
        d->cap = 0;
    }
}

struct line {
    const char *p;
    size_t n;
};

/* How a physical line ended.  Responses also end a line at a lone CR (a CR followed by
 * neither LF nor CR): browsers and libhtp do, and HTTP Evader hides fields behind one;
 * there "LF CR" (not followed by LF) is one line end, and a CR before a CR belongs to
 * the line. */
enum term { TERM_NONE, TERM_LF, TERM_CRLF, TERM_CR };

/* The physical line at `pos` of [pos, end), without its terminator; `*next` is where the
 * following line starts.  TERM_NONE: no terminator yet (the line runs to `end`), or one
 * that the next bytes decide. */
static enum term phys_line(const char *buf, size_t pos, size_t end, bool lenient,
                           struct line *l, size_t *next)
{
    l->p = buf + pos;
    for (size_t i = pos; i < end; i++) {
        if (buf[i] == '\n') {
            l->n = i - pos;
            *next = i + 1;
            if (lenient && (i + 1 >= end || buf[i + 1] == '\r')) {
                if (i + 2 >= end)
                    break; /* "LF CR" or "LF" then "CR LF": the next bytes tell */
                if (buf[i + 2] != '\n')
                    *next = i + 2;
            }
            return TERM_LF;
        }
        if (buf[i] != '\r')
            continue;
        if (i + 1 >= end)
            break;
        if (buf[i + 1] == '\n') {
            l->n = i - pos;
            *next = i + 2;
            return TERM_CRLF;
        }
        if (lenient && buf[i + 1] != '\r') {
            l->n = i - pos;
            *next = i + 1;
            return TERM_CR;
        }
    }
    l->n = end - pos;
    *next = end;
    return TERM_NONE;
}

/* Header whitespace as the lenient readers take it: SP, HT, VT, FF, CR, NUL, NBSP. */
static bool hws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\0' ||
           c == 0xa0;
}

/* How many bytes of header whitespace the line starts with. */
static size_t lead_hws(const struct line *l)
{
    size_t i = 0;
    while (i < l->n && hws((unsigned char)l->p[i]))
        i++;
    return i;
}

static bool blank_line(const struct line *l)
{
    return lead_hws(l) == l->n;
}

/* Does this line start a status line ("HTTP/", any case, after leading whitespace)? */
static bool status_line_start(const struct line *l)
{
    size_t i = lead_hws(l);
    return l->n - i >= 5 && strncasecmp(l->p + i, "HTTP/", 5) == 0;
}

static bool only_cr(const struct line *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i] != '\r')
            return false;
    return true;
}

/* The end of a header block in d->buf: index just past the line that ends it, or 0;
 * d->fields_end is where that line starts.  The block ends at an empty line (LF or
 * CRLF; a line of only CRs, or one ended by a lone CR, is nothing).  A response's block
 * also ends at a line of only whitespace ended by a bare LF, when no LF follows it at
 * once (libhtp's reading; "Name: v\n \n\n" ends at the second line).
 * A response's start line is the first line that begins with "HTTP/": up to
 * HTTP_MAX_JUNK_LINES lines before it are junk, skipped (d->start is set); more, and
 * *no_start is set: the answer has no status line. */
static size_t block_end(struct http_dir *d, bool is_req, bool *no_start)
{
    size_t pos = d->scan, next;
    struct line l;
    *no_start = false;
    for (;; pos = next) {
        enum term tm = phys_line(d->buf, pos, d->len, !is_req, &l, &next);
        if (tm == TERM_NONE) {
            d->scan = pos; /* resume at this line's start with more bytes */
            return 0;
        }
        if (!is_req && !d->start_found) {
            if (status_line_start(&l)) {
                d->start_found = true;
                d->start = pos;
            } else if (++d->junk_lines > HTTP_MAX_JUNK_LINES) {
                *no_start = true;
                return 0;
            }
            continue;
        }
        if (is_req && pos == 0)
            continue; /* the request line */
        if (l.n == 0 && tm != TERM_CR) {
            d->fields_end = pos;
            return next;
        }
        if (!is_req && tm == TERM_LF && l.n && blank_line(&l) && !only_cr(&l)) {
            if (next >= d->len) {
                d->scan = pos;
                return 0;
            }
            if (d->buf[next] != '\n') {
                d->fields_end = pos;
                return next;
            }
        }
    }
}

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

/* A decimal length as lenient readers take it: junk before the digits is skipped
 * (",68"), anything after them ignored ("68;", "68.0", "68 A"); *junk says either was
 * there.  False when there are no digits, the number overflows, or a second number
 * follows after whitespace ("34 68", also what a folded "34" + " 68" gives): which one
 * is meant cannot be told, and browsers refuse it. */
static bool lenient_u64(const char *p, size_t n, uint64_t *out, bool *junk)
{
    size_t i = 0;
    *junk = false;
    while (i < n && !isdigit((unsigned char)p[i])) {
        if (!hws((unsigned char)p[i]))
            *junk = true;
        i++;
    }
    size_t s = i;
    while (i < n && isdigit((unsigned char)p[i]))
        i++;
    if (!parse_u64(p + s, i - s, out))
        return false;
    size_t e = i;
    while (i < n && hws((unsigned char)p[i]))
        i++;
    if (i > e && i < n && isdigit((unsigned char)p[i]))
        return false;
    for (; i < n; i++)
        if (!hws((unsigned char)p[i]))
            *junk = true;
    return true;
}

/* Is there a field `name` (lower case) in the block's lines [pos, end)? */
static bool has_field(const char *buf, size_t pos, size_t end, const char *name)
{
    size_t k = strlen(name), next;
    struct line l;
    for (; pos < end; pos = next) {
        phys_line(buf, pos, end, true, &l, &next);
        size_t i = lead_hws(&l);
        if (l.n - i > k && strncasecmp(l.p + i, name, k) == 0 &&
            (l.p[i + k] == ':' || hws((unsigned char)l.p[i + k])))
            return true;
    }
    return false;
}

/* Does this folded-looking line (leading whitespace) carry a field of its own
 * ("  Transfer-Encoding: chunked")?  Browsers take it as one. */
static bool looks_like_field(const struct line *l)
{
    size_t i = lead_hws(l), s = i;
    while (i < l->n && is_tchar((unsigned char)l->p[i]))
        i++;
    return i > s && i < l->n && l->p[i] == ':';
}

static void one_field(struct http_conn *h, struct http_txn *t, bool is_req, char *f, size_t fn,
                      struct framing *fr);

/* Parse the fields of a header block (after the start line).  Physical lines become
 * logical fields first, the way lenient readers (browsers, WinINet, libhtp) see them:
 * a line starting with whitespace continues the field before it (obs-fold, joined by a
 * space) unless it carries a "name:" of its own; a lone-CR line of only whitespace is
 * nothing; NULs are dropped. */
static void parse_fields(struct http_conn *h, struct http_txn *t, bool is_req, const char *buf,
                         size_t pos, size_t end, size_t block, struct framing *fr)
{
    /* [pos, end): the field lines; [end, block): the line that ends the block (its bytes
     * decide how the last field line ends). */
    char *cur = malloc(end - pos + 1);
    if (!cur)
        return;
    size_t cn = 0, next;
    bool have = false;
    unsigned count = 0;
    while (pos < end) {
        struct line l;
        enum term tm = phys_line(buf, pos, block, !is_req, &l, &next);
        pos = next;
        if (tm == TERM_CR)
            weird_report(h->last_ts, h->flow, "HTTP_lone_CR_line_end", NULL, "HTTP");
        if (l.n == 0 || only_cr(&l) || (tm == TERM_CR && blank_line(&l)))
            continue; /* nothing (block_end decided where the block ends) */
        bool folded = hws((unsigned char)l.p[0]) && !looks_like_field(&l);
        if (!folded && hws((unsigned char)l.p[0]))
            weird_report(h->last_ts, h->flow, "HTTP_indented_field", NULL, "HTTP");
        if (folded && have) {
            weird_report(h->last_ts, h->flow, "HTTP_folded_field", NULL, "HTTP");
            cur[cn++] = ' ';
        } else {
            if (have && ++count <= HTTP_MAX_HEADERS)
                one_field(h, t, is_req, cur, cn, fr);
            cn = 0;
            have = true;
        }
        for (size_t i = 0; i < l.n; i++) {
            if (l.p[i] == '\0')
                weird_report(h->last_ts, h->flow, "HTTP_NUL_in_header", NULL, "HTTP");
            else
                cur[cn++] = l.p[i];
        }
    }
    if (have && ++count <= HTTP_MAX_HEADERS)
        one_field(h, t, is_req, cur, cn, fr);
    if (count > HTTP_MAX_HEADERS)
        weird_report(h->last_ts, h->flow, "HTTP_too_many_headers", NULL, "HTTP");
    free(cur);
}

/* One logical field "name: value". */
static void one_field(struct http_conn *h, struct http_txn *t, bool is_req, char *f, size_t fn,
                      struct framing *fr)
{
    const char *colon = memchr(f, ':', fn);
    if (!colon) {
        weird_report(h->last_ts, h->flow, "HTTP_header_without_colon", NULL, "HTTP");
        return;
    }
    const char *name = f;
    size_t nn = (size_t)(colon - f);
    while (nn && hws((unsigned char)*name))
        name++, nn--;
    while (nn && hws((unsigned char)name[nn - 1]))
        nn--; /* "Name :" is invalid, but browsers accept it */
    const char *v = colon + 1;
    size_t vn = fn - (size_t)(v - f);
    while (vn && (hws((unsigned char)*v) || *v == ':'))
        v++, vn--; /* "Name:: value" */
    while (vn && hws((unsigned char)v[vn - 1]))
        vn--;
    if (nn == 0)
        return;
#define IS(s) (nn == sizeof(s) - 1 && strncasecmp(name, s, nn) == 0)
        if (IS("Content-Length")) {
            uint64_t cl;
            bool junk;
            if (!lenient_u64(v, vn, &cl, &junk)) {
                fr->bad_cl = true;
                weird_report(h->last_ts, h->flow, "HTTP_bad_content_length", NULL, "HTTP");
            } else {
                if (junk)
                    weird_report(h->last_ts, h->flow, "HTTP_content_length_junk", NULL, "HTTP");
                if (fr->has_cl && cl != fr->cl) /* the first one counts, as in browsers */
                    weird_report(h->last_ts, h->flow, "HTTP_conflicting_content_length", NULL,
                                 "HTTP");
                if (!fr->has_cl) {
                    fr->has_cl = true;
                    fr->cl = cl;
                }
            }
        } else if (IS("Transfer-Encoding")) {
            /* "chunked" anywhere in the value ("x chunked", "chunked x", a second header)
             * is tried: if the body then does not start with a chunk-size line, it is
             * read as identity (the chunked_not_chunked weird), as libhtp and browsers
             * do. */
            bool ch = false;
            for (size_t i = 0; i + 7 <= vn && !ch; i++)
                ch = strncasecmp(v + i, "chunked", 7) == 0;
            if (ch)
                fr->chunked = true;
            if (!ch || vn != 7)
                weird_report(h->last_ts, h->flow,
                             ch ? "HTTP_odd_transfer_encoding"
                                : "HTTP_unsupported_transfer_encoding",
                             NULL, "HTTP");
        } else if (IS("Content-Type")) {
            char **ct = is_req ? &t->req_content_type : &t->resp_content_type;
            set_field(ct, v, vn, HTTP_MAX_FIELD);
            if (!is_req && vn >= 20 && strncasecmp(v, "multipart/byteranges", 20) == 0)
                fr->multipart_ranges = true;
            if (vn >= 10 && strncasecmp(v, "multipart/", 10) == 0)
                multipart_boundary(v, vn, fr->boundary, sizeof(fr->boundary));
        } else if (IS("Content-Encoding")) {
            /* Several headers and several codings: all of them, in order. */
            if (!is_req) {
                append_field(&t->content_encoding, ",", v, vn, 256);
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
        } else if (is_req && IS("User-Agent")) {
            set_field(&t->user_agent, v, vn, HTTP_MAX_FIELD);
        } else if (is_req && IS("Referer")) {
            set_field(&t->referrer, v, vn, HTTP_MAX_URI);
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
    if (file_coding_ignored(d->file))
        weird_report(h->last_ts, h->flow, "HTTP_content_encoding_not_applied", NULL, "HTTP");
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
        d->chunks_seen = false;
        d->cl_after_chunked = fr->has_cl ? fr->cl : UINT64_MAX;
        if (fr->has_cl) /* ambiguous framing: chunked wins (RFC 9112 §6.3) */
            weird_report(h->last_ts, h->flow, "HTTP_chunked_and_content_length", NULL, "HTTP");
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
    parse_fields(h, t, true, d->buf, pos, d->fields_end, end, &fr);
    /* A request has a body only when it says so (RFC 9112 §6.3). */
    begin_body(h, d, true, &fr, false, false);
    return true;
}

static bool parse_response(struct http_conn *h, struct http_dir *d, size_t end)
{
    size_t pos = d->start;
    struct line l;
    phys_line(d->buf, pos, end, true, &l, &pos);
    if (d->start || d->junk_lines)
        weird_report(h->last_ts, h->flow, "HTTP_junk_before_status_line", NULL, "HTTP");
    size_t lead = lead_hws(&l); /* " HTTP/1.1", "\0HTTP/1.1" */
    l.p += lead;
    l.n -= lead;
    /* HTTP-version SP status-code [SP reason]; tolerant of what browsers accept
     * ("http/1.1", "HTTP/1.01", extra spaces, a line ended by a lone CR). */
    if (l.n < 5 || strncasecmp(l.p, "HTTP/", 5) != 0) {
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
                    isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
                    (lend - q == 3 || !isdigit((unsigned char)q[3])); /* not "2040" */
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
    /* 101 switches protocols only when it names one (Upgrade): without, browsers take
     * it as interim, and what follows as the answer. */
    bool switching = code == 101 && has_field(d->buf, pos, end, "upgrade");
    if (code == 101 && !switching)
        weird_report(h->last_ts, h->flow, "HTTP_101_without_upgrade", NULL, "HTTP");
    if (code >= 100 && code < 200 && !switching) {
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
    parse_fields(h, t, false, d->buf, pos, d->fields_end, end, &fr);
    bool head = t->method && strcmp(t->method, "HEAD") == 0;
    bool connect = t->method && strcmp(t->method, "CONNECT") == 0;
    if ((connect && code >= 200 && code < 300) || switching) {
        /* A tunnel or another protocol from here on. */
        message_done(h, d, false);
        h->d[0].st = h->d[1].st = ST_TUNNEL;
        return true;
    }
    /* 204 must not have a body (RFC 9110 §15.3.5), and so must not declare one: when it
     * does, browsers read it.  (304 may carry the Content-Length of the full resource
     * with no body: its framing is not believed.) */
    bool no_body = head || code == 304 || (code == 204 && !fr.chunked && !(fr.has_cl && fr.cl));
    if (code == 204 && !no_body)
        weird_report(h->last_ts, h->flow, "HTTP_body_on_204", NULL, "HTTP");
    begin_body(h, d, false, &fr, no_body, true);
    return true;
}

static void body_bytes(struct http_conn *h, struct http_dir *d, const uint8_t *p, size_t n,
                       int64_t ts);

/* The oldest transaction still waiting for its final response, or NULL. */
static struct http_txn *waiting_txn(struct http_conn *h)
{
    struct http_txn *t = h->head;
    while (t && t->resp_done)
        t = t->next;
    return t;
}

/* The transaction waiting for bytes that follow an interim (1xx) answer with no status
 * line of their own: they are its answer, as browsers show them.  (Bytes with no status
 * line at all are not taken as an answer, as Zeek does not.)  NULL when there is none. */
static struct http_txn *after_interim(struct http_conn *h)
{
    struct http_txn *t = waiting_txn(h);
    return t && t->req_seen && t->info_code ? t : NULL;
}

/* A response without a status line (the answer to an HTTP/0.9 request, or bytes where a
 * final status line should follow an interim one): its bytes to the end of the
 * connection are the body of the request waiting for it.  What is held in d->buf is the
 * body's start. */
static void unframed_response(struct http_conn *h, struct http_dir *d, struct http_txn *t,
                              bool v09)
{
    d->txn = t;
    t->resp_seen = true;
    t->has_status = v09; /* Zeek logs status 0 for an HTTP/0.9 answer */
    if (!v09) {
        lw_stats.http_bad_messages++;
        weird_report(h->last_ts, h->flow, "HTTP_response_without_status_line", NULL, "HTTP");
    }
    struct framing fr = {0};
    begin_body(h, d, false, &fr, false, true);
    if (d->len)
        body_bytes(h, d, (const uint8_t *)d->buf, d->len, d->ts);
    buf_reset(d);
}

/* Consume a start line + header block from `p`; returns bytes used. */
static size_t on_start(struct http_conn *h, struct http_dir *d, bool is_req, const uint8_t *p,
                       size_t n, int64_t ts)
{
    size_t used = 0;
    if (!is_req && d->len == 0) {
        /* The answer to an HTTP/0.9 request has no status line: the body runs to the end. */
        struct http_txn *t = waiting_txn(h);
        if (t && t->version && strcmp(t->version, "0.9") == 0) {
            d->ts = ts;
            unframed_response(h, d, t, true);
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
    bool no_start;
    size_t end = block_end(d, is_req, &no_start);
    if (no_start) {
        struct http_txn *t = after_interim(h);
        if (t) {
            unframed_response(h, d, t, false);
            return n;
        }
        lw_stats.http_bad_messages++;
        weird_report(h->last_ts, h->flow, "bad_HTTP_reply", NULL, "HTTP");
        d->st = ST_RESYNC;
        buf_reset(d);
        return n;
    }
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
                    end = d->fields_end = ll + 1;
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

/* "chunked" was declared, but the body does not start with a chunk-size line: browsers
 * and libhtp then read it as it is (Content-Length bytes, else to the end), so the bytes
 * held as the would-be size line are the body's start. */
static void chunked_not_chunked(struct http_conn *h, struct http_dir *d, bool is_req,
                                int64_t ts)
{
    weird_report(ts, h->flow, "HTTP_chunked_not_chunked", NULL, "HTTP");
    uint64_t cl = d->cl_after_chunked;
    size_t held = d->len;
    if (cl != UINT64_MAX && held > cl)
        held = (size_t)cl;
    if (held)
        body_bytes(h, d, (const uint8_t *)d->buf, held, ts);
    buf_reset(d);
    if (cl == UINT64_MAX) {
        d->st = ST_BODY_EOF;
    } else if (cl > held) {
        d->st = ST_BODY_CL;
        d->left = cl - held;
    } else {
        message_done(h, d, is_req);
    }
}

/* Collect one line into d->buf (chunk size or trailer); true when complete. */
static bool take_line(struct http_dir *d, const uint8_t *p, size_t n, size_t *used, size_t cap)
{
    const uint8_t *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) + 1 : n;
    if (d->len + k > cap) { /* keep what fits: a would-be chunk line may be body bytes */
        size_t room = cap > d->len ? cap - d->len : 0;
        buf_add(d, p, room);
        *used = room;
        d->line_over = true;
        return true;
    }
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
            if (d->line_over && !d->chunks_seen && d->st == ST_CHUNK_SIZE) {
                chunked_not_chunked(h, d, is_req, ts);
                break;
            }
            if (d->line_over) {
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
            while (i < ln && hws((unsigned char)d->buf[i]))
                i++;
            for (; i < ln && isxdigit((unsigned char)d->buf[i]); i++, digits++) {
                if (size >> 60) {
                    digits = 0; /* overflow */
                    break;
                }
                size = size * 16 + (uint64_t)hexval((unsigned char)d->buf[i]);
            }
            while (i < ln && hws((unsigned char)d->buf[i]))
                i++;
            if (!digits && i == ln) {
                buf_reset(d);
                break; /* a stray empty line: tolerated */
            }
            if (!d->chunks_seen && !digits) {
                chunked_not_chunked(h, d, is_req, ts);
                break;
            }
            d->chunks_seen = true;
            buf_reset(d);
            if (!digits) {
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
            bool no_start;
            size_t end = block_end(d, is_orig, &no_start);
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
    if (d->txn && d->st == ST_CHUNK_SIZE && !d->chunks_seen && d->len)
        chunked_not_chunked(h, d, is_orig, ts); /* "chunked", then bytes with no line end */
    if (d->txn) {
        if (d->st == ST_BODY_CL || d->st == ST_CHUNK_DATA || d->st == ST_CHUNK_SIZE) {
            d->txn->tags |= HTTP_TAG_GAP; /* the message was cut short */
            if (h->flow->end_reason == FLOW_END_TIMEOUT || h->flow->end_reason == FLOW_END_EVICTED)
                file_timedout(d->file);
        }
        message_done(h, d, is_orig);
    } else if (d->st == ST_START && d->len) {
        /* An unterminated header block at the end: parse what there is. */
        bool no_start;
        size_t held = d->len;
        buf_add(d, (const uint8_t *)"\r\n\r\n", 4);
        size_t end = block_end(d, is_orig, &no_start);
        struct http_txn *t = is_orig || d->start_found ? NULL : after_interim(h);
        if (t) { /* "HTTP/1.1 100" then the file, to the end */
            d->len = held;
            unframed_response(h, d, t, false);
            message_done(h, d, is_orig);
        } else if (end && (is_orig ? parse_request(h, d, end) : parse_response(h, d, end)) &&
                   d->txn) {
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
