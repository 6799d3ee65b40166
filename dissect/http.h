/* http.h: HTTP/1.0 and 1.1 (RFC 9110, 9112), incremental, both directions.
 *
 * Fed in-order slices of each direction by the stream layer (any slicing: the parser
 * keeps its state between calls and never reads past what it was given), plus gaps and
 * end of stream.  Requests and responses are paired in order (pipelining); bodies are
 * framed by Content-Length, chunked transfer coding (with trailers) or the end of the
 * connection, and streamed to file analysis after de-chunking.  Limits (header block
 * size, header count, line length) are reported as weirds and survived.
 *
 * A transaction is reported (http.log) once its response is complete, or when the
 * connection ends.
 */
#ifndef LW_DISSECT_HTTP_H
#define LW_DISSECT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flow;

enum http_tag {
    HTTP_TAG_PROXIED = 1 << 0,   /* a proxy header was present */
    HTTP_TAG_GAP = 1 << 1,       /* part of the transaction was not captured */
    HTTP_TAG_NO_REQUEST = 1 << 2 /* a response whose request was not seen */
};

#define HTTP_MAX_FILES 8 /* files (bodies, multipart parts) logged per direction */

#include "dissect/files.h"

struct http_file_ref {
    char fuid[24];
    const char *mime;           /* from the bytes, set when the file ends */
    char *filename;             /* Content-Disposition of the body or part, or NULL */
    struct file_summary *sum;   /* what the file was, once it ended (else NULL) */
};

struct http_txn {
    struct http_txn *next;
    int64_t ts;                 /* first byte of the request (or response) */
    uint32_t depth;             /* trans_depth: 1 for the first request on the connection */
    char *method, *uri, *version, *host, *referrer, *user_agent, *origin, *username;
    char *req_content_type, *resp_content_type, *content_encoding;
    char *req_filename, *resp_filename;  /* from Content-Disposition */
    char *proxied;              /* "HEADER -> value" of proxy headers, comma-joined */
    char *status_msg, *info_msg;
    char *header_names;         /* request header names in order, comma-joined, upper case */
    uint16_t status_code, info_code;
    uint64_t req_body_len, resp_body_len;
    uint32_t tags;
    struct http_file_ref files[2][HTTP_MAX_FILES]; /* [0] request, [1] response */
    uint8_t nfiles[2];
    bool req_seen, resp_seen, resp_done, has_status;
};

typedef void (*http_sink_fn)(void *ctx, const struct flow *f, const struct http_txn *t);
/* The calling thread's sink (each worker sets its own). */
void http_set_sink(http_sink_fn fn, void *ctx);

struct lw_addr;

/* The request's URL, "http://host/uri" (the absolute form as sent by a proxy client; the
 * server's address when there is no Host), into `buf`.  NULL when there is no URI. */
const char *http_txn_url(const struct http_txn *t, const struct lw_addr *server, char *buf,
                         size_t n);

/* A deep copy of a finished transaction (its response's first file only), for
 * re-evaluation later, and its release.  NULL when out of memory. */
struct http_txn *http_txn_copy(const struct http_txn *t);
void http_txn_free(struct http_txn *t);

struct http_conn;

struct http_conn *http_new(struct flow *f);

/* The requests of this connection are not HTTP (only its responses are parsed). */
void http_skip_requests(struct http_conn *h);

/* In-order bytes of one direction (`is_orig`: from the originator). */
void http_data(struct http_conn *h, bool is_orig, const uint8_t *data, size_t len, int64_t ts);
/* `len` bytes of the direction are missing. */
void http_gap(struct http_conn *h, bool is_orig, uint64_t len);
/* The direction ended (FIN, or the connection is over). */
void http_eof(struct http_conn *h, bool is_orig, int64_t ts);
/* The connection is over: report what is pending and free everything. */
void http_free(struct http_conn *h, int64_t ts);

/* True once a CONNECT (2xx) or an Upgrade (101) made the connection a tunnel: the bytes
 * that follow are another protocol's. */
bool http_is_tunnel(const struct http_conn *h);

/* True when the direction is between messages (or lost, looking for the next one). */
bool http_between_messages(const struct http_conn *h, bool is_orig);

/* True when `p` (at least `len` bytes) begins like an HTTP request or response; used to
 * recognise HTTP on any port.  `*need_more` is set when `len` is too short to tell. */
bool http_sniff(const uint8_t *p, size_t len, bool is_orig, bool *need_more);

#endif
