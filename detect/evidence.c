/* evidence.c: the named fields rules match on, computed lazily per event. */
#include "detect/evidence.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "detect/hostctx.h"
#include "detect/site.h"
#include "dissect/classify.h"
#include "dissect/flow.h"
#include "dissect/http.h"
#include "dissect/tls.h"

enum {
    F_HTTP_METHOD, F_HTTP_HOST, F_HTTP_URI, F_HTTP_PATH, F_HTTP_QUERY, F_HTTP_EXT,
    F_HTTP_UA, F_HTTP_REFERRER, F_HTTP_HEADERS, F_HTTP_STATUS, F_HTTP_CTYPE,
    F_HTTP_REQ_CTYPE, F_HTTP_FILENAME, F_HTTP_FILENAME_EXT, F_HTTP_REQ_LEN, F_HTTP_RESP_LEN,
    F_FILE_TYPE, F_FILE_SIZE, F_FILE_MD5, F_FILE_SHA256, F_FILE_MARKERS, F_FILE_FROM_START,
    F_FILE_ENTROPY, F_FILE_RANDOM,
    F_TLS_SNI, F_TLS_JA3, F_TLS_JA3S, F_TLS_JA4, F_TLS_ALPN, F_TLS_VERSION, F_TLS_CERT_NAMES,
    F_TLS_SUBJECT, F_TLS_ISSUER, F_TLS_ESTABLISHED, F_TLS_SNI_MATCHES_CERT,
    F_SERVER_NAME, F_SERVER_NAME_IS_IP, F_SERVER_IP, F_SERVER_PORT, F_SERVER_LOCAL,
    F_SERVER_COUNTRY, F_SERVER_ASN, F_SERVER_AS_ORG,
    F_CLIENT_IP, F_CLIENT_PORT, F_CLIENT_LOCAL, F_CLIENT_COUNTRY,
    F_CONN_SERVICE, F_CONN_APP, F_CONN_RISKS,
    F_PROC_FOUND, F_PROC_IMAGE, F_PROC_NAME, F_PROC_CMDLINE, F_PROC_PARENT, F_PROC_PARENT_NAME,
    F_PROC_USER, F_PROC_MATCH, F_PROC_FILE, F_PROC_FILE_IMAGE, F_PROC_RAN, F_PROC_RAN_PARENT,
    F_COUNT
};

#define H EV_HTTP
#define T EV_TLS
static const struct ev_field fields[F_COUNT] = {
    [F_HTTP_METHOD] = {"http.method", EVT_STR, H, "request method"},
    [F_HTTP_HOST] = {"http.host", EVT_STR, H, "Host header as sent (with any :port)"},
    [F_HTTP_URI] = {"http.uri", EVT_STR, H, "request target as sent"},
    [F_HTTP_PATH] = {"http.path", EVT_STR, H, "request target up to '?' or '#'"},
    [F_HTTP_QUERY] = {"http.query", EVT_STR, H, "request target after '?'"},
    [F_HTTP_EXT] = {"http.ext", EVT_STR, H,
                    "extension of the path's last segment, lower case, no dot (\"\" if none)"},
    [F_HTTP_UA] = {"http.user_agent", EVT_STR, H, "User-Agent (absent: not present)"},
    [F_HTTP_REFERRER] = {"http.referrer", EVT_STR, H, "Referer"},
    [F_HTTP_HEADERS] = {"http.headers", EVT_SET, H, "request header names, upper case"},
    [F_HTTP_STATUS] = {"http.status", EVT_NUM, H, "response status code"},
    [F_HTTP_CTYPE] = {"http.content_type", EVT_STR, H,
                      "response Content-Type media type, lower case, without parameters"},
    [F_HTTP_REQ_CTYPE] = {"http.request_content_type", EVT_STR, H, "request Content-Type"},
    [F_HTTP_FILENAME] = {"http.filename", EVT_STR, H, "response Content-Disposition filename"},
    [F_HTTP_FILENAME_EXT] = {"http.filename_ext", EVT_STR, H, "extension of http.filename"},
    [F_HTTP_REQ_LEN] = {"http.request_body_len", EVT_NUM, H, "request body length"},
    [F_HTTP_RESP_LEN] = {"http.response_body_len", EVT_NUM, H, "response body length"},
    [F_FILE_TYPE] = {"file.type", EVT_STR, H, "MIME type of the response body, from its bytes"},
    [F_FILE_SIZE] = {"file.size", EVT_NUM, H, "response body bytes seen (decoded)"},
    [F_FILE_MD5] = {"file.md5", EVT_STR, H, "MD5 of the whole body"},
    [F_FILE_SHA256] = {"file.sha256", EVT_STR, H, "SHA-256 of the whole body"},
    [F_FILE_MARKERS] = {"file.markers", EVT_SET, H,
                        "content markers: shell-exec downloader encoded activex dll dotnet "
                        "xsl-script inline-task"},
    [F_FILE_FROM_START] = {"file.from_start", EVT_BOOL, H,
                           "the body starts at byte 0 of the file (not a later range)"},
    [F_FILE_ENTROPY] = {"file.entropy", EVT_NUM, H,
                        "entropy of the body's first 4 KiB, in hundredths of a bit per byte "
                        "(0-800: text 400-500, compressed or encrypted near 800)"},
    [F_FILE_RANDOM] = {"file.random", EVT_BOOL, H,
                       "the body, from byte 0, is of no known type and looks random "
                       "(entropy of its first 4 KiB at least 7.2 bits per byte, 1 KiB or more "
                       "seen): encrypted or compressed data"},
    [F_TLS_SNI] = {"tls.sni", EVT_STR, T, "server name indication"},
    [F_TLS_JA3] = {"tls.ja3", EVT_STR, T, "JA3 of the ClientHello"},
    [F_TLS_JA3S] = {"tls.ja3s", EVT_STR, T, "JA3S of the ServerHello"},
    [F_TLS_JA4] = {"tls.ja4", EVT_STR, T, "JA4 of the ClientHello"},
    [F_TLS_ALPN] = {"tls.alpn", EVT_SET, T, "ALPN protocols the client offered"},
    [F_TLS_VERSION] = {"tls.version", EVT_STR, T, "negotiated version (TLSv12, TLSv13, ...)"},
    [F_TLS_CERT_NAMES] = {"tls.cert_names", EVT_SET, T, "DNS names of the server certificate"},
    [F_TLS_SUBJECT] = {"tls.subject", EVT_STR, T, "server certificate subject"},
    [F_TLS_ISSUER] = {"tls.issuer", EVT_STR, T, "server certificate issuer"},
    [F_TLS_ESTABLISHED] = {"tls.established", EVT_BOOL, T, "the handshake completed"},
    [F_TLS_SNI_MATCHES_CERT] = {"tls.sni_matches_cert", EVT_BOOL, T,
                                "the SNI is one of the certificate's names"},
    [F_SERVER_NAME] = {"server.name", EVT_STR, H | T,
                       "HTTP Host without port, or TLS SNI; lower case"},
    [F_SERVER_NAME_IS_IP] = {"server.name_is_ip", EVT_BOOL, H | T,
                             "server.name is an IPv4 or IPv6 address"},
    [F_SERVER_IP] = {"server.ip", EVT_ADDR, H | T, "responder address"},
    [F_SERVER_PORT] = {"server.port", EVT_NUM, H | T, "responder port"},
    [F_SERVER_LOCAL] = {"server.local", EVT_BOOL, H | T, "responder is in --local-nets"},
    [F_SERVER_COUNTRY] = {"server.country", EVT_STR, H | T, "responder country (GeoIP)"},
    [F_SERVER_ASN] = {"server.asn", EVT_NUM, H | T, "responder AS number (GeoIP ASN)"},
    [F_SERVER_AS_ORG] = {"server.as_org", EVT_STR, H | T, "responder AS organisation"},
    [F_CLIENT_IP] = {"client.ip", EVT_ADDR, H | T, "originator address"},
    [F_CLIENT_PORT] = {"client.port", EVT_NUM, H | T, "originator port"},
    [F_CLIENT_LOCAL] = {"client.local", EVT_BOOL, H | T, "originator is in --local-nets"},
    [F_CLIENT_COUNTRY] = {"client.country", EVT_STR, H | T, "originator country (GeoIP)"},
    [F_CONN_SERVICE] = {"conn.service", EVT_SET, H | T, "services recognised (http, ssl, ...)"},
    [F_CONN_APP] = {"conn.app", EVT_STR, H | T, "nDPI's protocol name (TLS.Google, ...)"},
    [F_CONN_RISKS] = {"conn.risks", EVT_SET, H | T, "nDPI risk names"},
    [F_PROC_FOUND] = {"proc.found", EVT_BOOL, H | T,
                      "host events name the process behind the connection"},
    [F_PROC_IMAGE] = {"proc.image", EVT_STR, H | T, "that process's image path"},
    [F_PROC_NAME] = {"proc.name", EVT_STR, H | T, "its file name, lower case (msiexec.exe)"},
    [F_PROC_CMDLINE] = {"proc.cmdline", EVT_STR, H | T, "its command line"},
    [F_PROC_PARENT] = {"proc.parent", EVT_STR, H | T, "its parent's image path"},
    [F_PROC_PARENT_NAME] = {"proc.parent_name", EVT_STR, H | T, "its parent's file name, lower case"},
    [F_PROC_USER] = {"proc.user", EVT_STR, H | T, "its user"},
    [F_PROC_MATCH] = {"proc.match", EVT_STR, H | T,
                      "how it was found: tuple, url, installer-url, bits-url, dns, file"},
    [F_PROC_FILE] = {"proc.file", EVT_STR, H, "a file written from this download (path)"},
    [F_PROC_FILE_IMAGE] = {"proc.file_image", EVT_STR, H, "the process that wrote it"},
    [F_PROC_RAN] = {"proc.ran", EVT_STR, H,
                    "a process whose image has the download's SHA-256 (the file was run)"},
    [F_PROC_RAN_PARENT] = {"proc.ran_parent", EVT_STR, H, "that process's parent image"},
};
#undef H
#undef T

_Static_assert(F_COUNT <= 64, "evidence cache bits");

size_t ev_field_count(void)
{
    return F_COUNT;
}

const struct ev_field *ev_field(size_t i)
{
    return i < F_COUNT ? &fields[i] : NULL;
}

int ev_field_find(const char *name)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0)
            return i;
    return -1;
}

static void init_common(struct evidence *ev, const struct flow *f, const struct site *site,
                        const struct geo *geo)
{
    /* Not the value cache (36 KB): an entry is cleared when its field is first asked for
     * (evidence_get), and `have` says which are valid. */
    memset(ev, 0, offsetof(struct evidence, cache));
    ev->flow = f;
    ev->site = site;
    ev->geo = geo;
}

void evidence_init_http(struct evidence *ev, const struct flow *f, const struct http_txn *t,
                        const struct site *site, const struct geo *geo, struct hostctx *hc)
{
    init_common(ev, f, site, geo);
    ev->hostctx = hc;
    ev->kind = EV_HTTP;
    ev->ts = t->ts;
    ev->http = t;
    if (t->nfiles[1])
        ev->file = &t->files[1][0];
}

void evidence_init_tls(struct evidence *ev, const struct flow *f, const struct tls_info *t,
                       const struct site *site, const struct geo *geo, struct hostctx *hc)
{
    init_common(ev, f, site, geo);
    ev->hostctx = hc;
    ev->kind = EV_TLS;
    ev->ts = t->ts;
    ev->tls = t;
}

void evidence_done(struct evidence *ev)
{
    for (size_t i = 0; i < ev->nowned; i++)
        free(ev->owned[i]);
    free(ev->owned);
    ev->owned = NULL;
    ev->nowned = ev->owned_cap = 0;
}

/* Keep a derived string for the event's lifetime; NULL when out of memory. */
static const char *own(struct evidence *ev, const char *s, size_t n)
{
    if (ev->nowned == ev->owned_cap) {
        size_t nc = ev->owned_cap ? ev->owned_cap * 2 : 16;
        char **no = realloc(ev->owned, nc * sizeof(*no));
        if (!no)
            return NULL;
        ev->owned = no;
        ev->owned_cap = nc;
    }
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    ev->owned[ev->nowned++] = p;
    return p;
}

static const char *own_lower(struct evidence *ev, const char *s, size_t n)
{
    const char *p = own(ev, s, n);
    if (p)
        for (char *q = (char *)p; *q; q++)
            *q = (char)tolower((unsigned char)*q);
    return p;
}

/* Lower-case extension of the last segment of `path` (n bytes), without the dot. */
static const char *extension(struct evidence *ev, const char *path, size_t n)
{
    size_t slash = 0;
    for (size_t i = 0; i < n; i++)
        if (path[i] == '/' || path[i] == '\\')
            slash = i + 1;
    const char *dot = NULL;
    for (size_t i = slash; i < n; i++)
        if (path[i] == '.')
            dot = path + i;
    if (!dot || (size_t)(path + n - dot - 1) > 16)
        return own(ev, "", 0);
    return own_lower(ev, dot + 1, (size_t)(path + n - dot - 1));
}

static size_t path_len(const char *uri)
{
    return strcspn(uri, "?#");
}

/* Host without the port (and without IPv6 brackets). */
static const char *host_name(struct evidence *ev, const char *host)
{
    size_t n = strlen(host);
    if (n && host[0] == '[') {
        const char *close = strchr(host, ']');
        if (close)
            return own_lower(ev, host + 1, (size_t)(close - host - 1));
    }
    const char *colon = strchr(host, ':');
    if (colon && !strchr(colon + 1, ':'))
        n = (size_t)(colon - host);
    while (n && host[n - 1] == '.')
        n--;                       /* "example.com." is example.com */
    return own_lower(ev, host, n);
}

static void set_from_list(struct ev_val *v, const char *list)
{
    v->present = list != NULL;
    v->nitems = 0;
    if (!list)
        return;
    const char *p = list;
    while (*p && v->nitems < EV_MAX_ITEMS) {
        size_t k = strcspn(p, ",");
        if (k) {
            v->items[v->nitems] = p;
            v->item_len[v->nitems++] = k;
        }
        p += k;
        if (*p == ',')
            p++;
    }
}

static void set_str(struct ev_val *v, const char *s)
{
    v->present = s != NULL;
    v->s = s;
}

const struct attribution *evidence_proc(struct evidence *ev)
{
    if (!ev->proc_done) {
        ev->proc = hostctx_attribute(ev->hostctx, ev->flow, ev->http, ev->tls);
        ev->proc_done = true;
    }
    return ev->proc;
}

/* The file name of a Windows path, lower case. */
static const char *base_name(struct evidence *ev, const char *path)
{
    if (!path)
        return NULL;
    const char *b = hostctx_file_name(path);
    return own_lower(ev, b, strlen(b));
}

const struct geo_info *evidence_geo(struct evidence *ev, bool server)
{
    int i = server ? 1 : 0;
    if (!ev->geo_done[i]) {
        geo_lookup(ev->geo, server ? &ev->flow->resp_h : &ev->flow->orig_h, &ev->geo_info[i]);
        ev->geo_done[i] = true;
    }
    return &ev->geo_info[i];
}

void evidence_endpoints(const struct evidence *ev, const struct lw_addr **client,
                        uint16_t *cport, const struct lw_addr **server, uint16_t *sport)
{
    *client = &ev->flow->orig_h;
    *cport = ev->flow->orig_p;
    *server = &ev->flow->resp_h;
    *sport = ev->flow->resp_p;
}

static bool is_ip_literal(const char *s)
{
    struct lw_addr a;
    return s && *s && addr_parse(s, &a);
}

static const char *media_type(struct evidence *ev, const char *ct)
{
    if (!ct)
        return NULL;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    while (n && (*ct == ' ' || *ct == '\t'))
        ct++, n--;
    return own_lower(ev, ct, n);
}

static void compute(struct evidence *ev, int idx, struct ev_val *v)
{
    const struct http_txn *t = ev->http;
    const struct http_file_ref *fr = ev->file;
    const struct file_summary *fs = fr ? fr->sum : NULL;
    const struct tls_info *tl = ev->tls;
    const struct flow *f = ev->flow;
    switch (idx) {
    case F_HTTP_METHOD: set_str(v, t->method); break;
    case F_HTTP_HOST: set_str(v, t->host); break;
    case F_HTTP_URI: set_str(v, t->uri); break;
    case F_HTTP_PATH:
        if (t->uri)
            set_str(v, own(ev, t->uri, path_len(t->uri)));
        break;
    case F_HTTP_QUERY:
        if (t->uri && strchr(t->uri, '?'))
            set_str(v, strchr(t->uri, '?') + 1);
        break;
    case F_HTTP_EXT:
        if (t->uri)
            set_str(v, extension(ev, t->uri, path_len(t->uri)));
        break;
    case F_HTTP_UA: set_str(v, t->user_agent); break;
    case F_HTTP_REFERRER: set_str(v, t->referrer); break;
    case F_HTTP_HEADERS: set_from_list(v, t->header_names ? t->header_names : ""); break;
    case F_HTTP_STATUS:
        v->present = t->has_status;
        v->num = t->status_code;
        break;
    case F_HTTP_CTYPE: set_str(v, media_type(ev, t->resp_content_type)); break;
    case F_HTTP_REQ_CTYPE: set_str(v, media_type(ev, t->req_content_type)); break;
    case F_HTTP_FILENAME: set_str(v, t->resp_filename); break;
    case F_HTTP_FILENAME_EXT:
        if (t->resp_filename)
            set_str(v, extension(ev, t->resp_filename, strlen(t->resp_filename)));
        break;
    case F_HTTP_REQ_LEN:
        v->present = t->req_seen;
        v->num = (int64_t)t->req_body_len;
        break;
    case F_HTTP_RESP_LEN:
        v->present = t->resp_seen;
        v->num = (int64_t)t->resp_body_len;
        break;
    case F_FILE_TYPE: set_str(v, fs ? fs->mime : NULL); break;
    case F_FILE_SIZE:
        v->present = fs != NULL;
        v->num = fs ? (int64_t)fs->size : 0;
        break;
    case F_FILE_MD5: set_str(v, fs && fs->hashed && fs->md5[0] ? fs->md5 : NULL); break;
    case F_FILE_SHA256: set_str(v, fs && fs->hashed && fs->sha256[0] ? fs->sha256 : NULL); break;
    case F_FILE_MARKERS:
        v->present = fs != NULL;
        for (unsigned i = 0; fs && i < FILE_MARK_COUNT; i++)
            if (fs->markers & (1u << i)) {
                v->items[v->nitems] = file_marker_name(i);
                v->item_len[v->nitems++] = strlen(file_marker_name(i));
            }
        break;
    case F_FILE_FROM_START:
        v->present = fs != NULL;
        v->b = fs && fs->offset == 0;
        break;
    case F_FILE_ENTROPY:
        v->present = fs && fs->entropy >= 0;
        v->num = v->present ? (int64_t)(fs->entropy * 100 + 0.5) : 0;
        break;
    case F_FILE_RANDOM:
        v->present = fs != NULL;
        v->b = fs && fs->offset == 0 && !fs->mime && fs->head_len >= FILE_RANDOM_MIN_BYTES &&
               fs->entropy >= FILE_RANDOM_ENTROPY;
        break;
    case F_TLS_SNI: set_str(v, tl->server_name); break;
    case F_TLS_JA3: set_str(v, tl->ja3[0] ? tl->ja3 : NULL); break;
    case F_TLS_JA3S: set_str(v, tl->ja3s[0] ? tl->ja3s : NULL); break;
    case F_TLS_JA4: set_str(v, tl->ja4[0] ? tl->ja4 : NULL); break;
    case F_TLS_ALPN: set_from_list(v, tl->alpn_offered); break;
    case F_TLS_VERSION:
        if (tl->version) {
            char b[32];
            const char *nm = tls_version_name(tl->version, b, sizeof(b));
            set_str(v, own(ev, nm, strlen(nm)));
        }
        break;
    case F_TLS_CERT_NAMES:
        v->present = tl->ncert_names > 0;
        for (unsigned i = 0; i < tl->ncert_names && v->nitems < EV_MAX_ITEMS; i++) {
            v->items[v->nitems] = tl->cert_names[i];
            v->item_len[v->nitems++] = strlen(tl->cert_names[i]);
        }
        break;
    case F_TLS_SUBJECT: set_str(v, tl->subject); break;
    case F_TLS_ISSUER: set_str(v, tl->issuer); break;
    case F_TLS_ESTABLISHED:
        v->present = true;
        v->b = tl->established;
        break;
    case F_TLS_SNI_MATCHES_CERT:
        v->present = tl->sni_matches_cert >= 0;
        v->b = tl->sni_matches_cert == 1;
        break;
    case F_SERVER_NAME:
        if (ev->kind == EV_HTTP && t->host && *t->host)
            set_str(v, host_name(ev, t->host));
        else if (ev->kind == EV_TLS && tl->server_name)
            set_str(v, own_lower(ev, tl->server_name, strlen(tl->server_name)));
        break;
    case F_SERVER_NAME_IS_IP: {
        const struct ev_val *n = evidence_get(ev, F_SERVER_NAME);
        v->present = n->present;
        v->b = n->present && is_ip_literal(n->s);
        break;
    }
    case F_SERVER_IP:
        v->present = true;
        v->addr = &f->resp_h;
        break;
    case F_SERVER_PORT:
        v->present = true;
        v->num = f->resp_p;
        break;
    case F_CLIENT_IP:
        v->present = true;
        v->addr = &f->orig_h;
        break;
    case F_CLIENT_PORT:
        v->present = true;
        v->num = f->orig_p;
        break;
    case F_SERVER_LOCAL:
    case F_CLIENT_LOCAL:
        v->present = site_known(ev->site);
        v->b = v->present && site_is_local(ev->site, idx == F_SERVER_LOCAL ? &f->resp_h : &f->orig_h);
        break;
    case F_SERVER_COUNTRY:
    case F_CLIENT_COUNTRY: {
        const struct geo_info *g = evidence_geo(ev, idx == F_SERVER_COUNTRY);
        set_str(v, g->country_code[0] ? g->country_code : NULL);
        break;
    }
    case F_SERVER_ASN: {
        const struct geo_info *g = evidence_geo(ev, true);
        v->present = g->asn != 0;
        v->num = g->asn;
        break;
    }
    case F_SERVER_AS_ORG: {
        const struct geo_info *g = evidence_geo(ev, true);
        set_str(v, g->as_org[0] ? g->as_org : NULL);
        break;
    }
    case F_CONN_SERVICE:
        v->present = true;
        for (unsigned i = 0; i < f->nservices && v->nitems < EV_MAX_ITEMS; i++) {
            v->items[v->nitems] = f->services[i];
            v->item_len[v->nitems++] = strlen(f->services[i]);
        }
        break;
    case F_CONN_APP: {
        char b[128];
        const char *nm = classify_name(f, b, sizeof(b));
        set_str(v, nm ? own(ev, nm, strlen(nm)) : NULL);
        break;
    }
    case F_CONN_RISKS:
        v->present = true;
        for (unsigned i = 0; i < 64 && v->nitems < EV_MAX_ITEMS; i++) {
            const char *nm = (f->cls.risk >> i) & 1 ? classify_risk_name(i) : NULL;
            if (nm) {
                v->items[v->nitems] = nm;
                v->item_len[v->nitems++] = strlen(nm);
            }
        }
        break;
    case F_PROC_FOUND:
        v->present = true;
        v->b = evidence_proc(ev) != NULL;
        break;
    case F_PROC_IMAGE:
    case F_PROC_NAME:
    case F_PROC_CMDLINE:
    case F_PROC_PARENT:
    case F_PROC_PARENT_NAME:
    case F_PROC_USER:
    case F_PROC_MATCH:
    case F_PROC_FILE:
    case F_PROC_FILE_IMAGE:
    case F_PROC_RAN:
    case F_PROC_RAN_PARENT: {
        const struct attribution *a = evidence_proc(ev);
        if (!a)
            break;
        const char *val = idx == F_PROC_IMAGE         ? a->image
                          : idx == F_PROC_NAME        ? base_name(ev, a->image)
                          : idx == F_PROC_CMDLINE     ? a->command_line
                          : idx == F_PROC_PARENT      ? a->parent_image
                          : idx == F_PROC_PARENT_NAME ? base_name(ev, a->parent_image)
                          : idx == F_PROC_USER        ? a->user
                          : idx == F_PROC_MATCH       ? a->match
                          : idx == F_PROC_FILE        ? a->file
                          : idx == F_PROC_RAN         ? a->ran_image
                          : idx == F_PROC_RAN_PARENT  ? a->ran_parent
                                                      : a->file_image;
        set_str(v, val);
        break;
    }
    default:
        break;
    }
}

const struct ev_val *evidence_get(struct evidence *ev, int idx)
{
    static const struct ev_val absent;
    if (idx < 0 || idx >= F_COUNT || !(fields[idx].kinds & ev->kind))
        return &absent;
    struct ev_val *v = &ev->cache[idx];
    if (!(ev->have & (1ull << idx))) {
        memset(v, 0, sizeof(*v));
        ev->have |= 1ull << idx;
        compute(ev, idx, v);
        if (v->present && fields[idx].type == EVT_STR && !v->s)
            v->present = false;
    }
    return v;
}
