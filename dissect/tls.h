/* tls.h: TLS (SSL 3.0 to TLS 1.3) handshakes over TCP, incremental, both directions.
 *
 * Fed in-order slices of each direction by the stream layer, like the HTTP parser: the
 * record layer is reassembled across TCP segments, handshake messages across records
 * (several messages per record, one message over many records), as long as the
 * direction is in clear text.  From the ClientHello: SNI, ALPN offered, versions,
 * ciphers, extensions, groups, signature algorithms (GREASE ignored), JA3 and JA4; from
 * the ServerHello: the version chosen (supported_versions for TLS 1.3), cipher, ALPN,
 * key share, resumption, JA3S; from the server's Certificate (TLS <= 1.2): the chain's
 * SHA-256 fingerprints, the leaf's subject, issuer and names; alerts, ChangeCipherSpec,
 * encrypted records.  An SSLv2-compatible ClientHello is accepted.  Bytes that are not
 * TLS stop the parse of their direction (a weird); every limit is counted.
 *
 * The connection is reported (ssl.log) when the handshake is established, or when the
 * connection ends without it.
 */
#ifndef LW_DISSECT_TLS_H
#define LW_DISSECT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flow;

#define TLS_MAX_CERTS 10      /* certificate fingerprints kept per chain */
#define TLS_MAX_CERT_NAMES 16 /* names (SAN dNSName, else CN) kept of the leaf */
#define TLS_HISTORY_MAX 100   /* ssl_history letters (Zeek: SSL::max_ssl_history_length) */

struct tls_info {
    int64_t ts;                 /* the first handshake message */
    uint16_t version;           /* negotiated (ServerHello); 0 when not seen */
    uint16_t client_version;    /* ClientHello's legacy version */
    uint16_t cipher;
    uint16_t curve;
    bool has_cipher, has_curve, resumed, established, client_hello, server_hello;
    int16_t last_alert;         /* description of the last clear-text alert, or -1 */
    char *server_name;          /* SNI */
    char *alpn_offered;         /* client's ALPN list, comma-joined */
    char *next_protocol;        /* ALPN the server chose */
    char history[TLS_HISTORY_MAX + 1];
    uint8_t hist_len;
    char cert_fps[TLS_MAX_CERTS][65];
    uint8_t ncerts;
    char client_cert_fps[TLS_MAX_CERTS][65];
    uint8_t nclient_certs;
    char *subject, *issuer;     /* of the server's leaf certificate (RFC 2253) */
    char *cert_names[TLS_MAX_CERT_NAMES];
    uint8_t ncert_names;
    int8_t sni_matches_cert;    /* -1 unknown, 0 no, 1 yes */
    char ja3[33], ja3s[33];     /* "" when not seen */
    char ja4[40];
};

typedef void (*tls_sink_fn)(void *ctx, const struct flow *f, const struct tls_info *t);
/* Free the calling thread's cache of decoded certificates (a worker that stops). */
void tls_forget_certs(void);

/* The calling thread's sink (each worker sets its own). */
void tls_set_sink(tls_sink_fn fn, void *ctx);

struct tls_conn;

struct tls_conn *tls_new(struct flow *f);
void tls_data(struct tls_conn *c, bool is_orig, const uint8_t *data, size_t len, int64_t ts);
void tls_gap(struct tls_conn *c, bool is_orig, uint64_t len);
/* The connection is over: report it if it was not yet, and free everything. */
void tls_free(struct tls_conn *c, int64_t ts);

/* A deep copy of a connection's summary (for re-evaluation later), and its release.
 * NULL when out of memory (strdup failures leave NULL, never a partial copy). */
struct tls_info *tls_info_copy(const struct tls_info *t);
void tls_info_free(struct tls_info *t);

/* True when `p` begins like a TLS ClientHello (from the originator) or a TLS handshake or
 * alert record (from the responder); `*need_more` when `len` is too short to tell. */
bool tls_sniff(const uint8_t *p, size_t len, bool is_orig, bool *need_more);

/* Zeek's names: "TLSv12", "TLS_AES_128_GCM_SHA256", "x25519", "handshake_failure".
 * Unknown values are written "unknown-N" into `buf`. */
const char *tls_version_name(uint16_t v, char *buf, size_t n);
const char *tls_cipher_name(uint16_t c, char *buf, size_t n);
const char *tls_group_name(uint16_t g, char *buf, size_t n);
const char *tls_alert_name(int a, char *buf, size_t n);

/* JA4 of a ClientHello's parts (exposed for unit tests); `out` holds 40 bytes. */
struct tls_hello_view {
    uint16_t version;           /* legacy version */
    const uint16_t *ciphers, *exts, *groups, *sigalgs, *versions;
    size_t nciphers, nexts, ngroups, nsigalgs, nversions;
    const uint8_t *formats;
    size_t nformats;
    const uint8_t *alpn;        /* first ALPN value, or NULL */
    size_t alpn_len;
    bool has_sni;
};
void tls_ja4(const struct tls_hello_view *h, char proto, char *out);
void tls_ja3(const struct tls_hello_view *h, char *out);

#endif
