/* tls.c: the TLS record and handshake parser (see tls.h). */
#include "dissect/tls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/config.h"
#include "core/cursor.h"
#include "core/stats.h"
#include "core/util.h"
#include "dissect/flow.h"
#include "dissect/weird.h"

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };

struct tls_dir {
    uint8_t hdr[5];
    uint8_t hlen;            /* record header bytes collected */
    uint8_t rtype;           /* type of the record being read */
    uint32_t rleft;          /* bytes of its body still to come */
    uint8_t *hs;             /* handshake bytes not yet parsed into messages */
    size_t hs_len, hs_cap;
    uint32_t hs_skip;        /* bytes left of a message too large to hold */
    uint8_t alert[2];        /* an alert split across records */
    uint8_t alert_len;
    bool encrypted;          /* after its ChangeCipherSpec (or TLS 1.3's ServerHello) */
    bool seen_record;
    bool dead;               /* not TLS any more (or lost): bytes are ignored */
};

struct tls_conn {
    struct flow *flow;
    struct tls_dir d[2];     /* [0] client, [1] server */
    struct tls_info info;
    bool reported;
    bool any;                /* a TLS message was parsed: worth a log line */
    uint8_t sid[32];         /* the client's session id (resumption) */
    uint8_t sid_len;
    int64_t ts;
};

static _Thread_local tls_sink_fn sink;
static _Thread_local void *sink_ctx;

void tls_set_sink(tls_sink_fn fn, void *ctx)
{
    sink = fn;
    sink_ctx = ctx;
}

/* ---- names ----------------------------------------------------------------------------- */

struct code_name {
    uint16_t code;
    const char *name;
};

static const struct code_name ciphers[] = {
#include "dissect/tls_ciphers.inc"
};

static const char *find_name(const struct code_name *t, size_t n, uint16_t code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid].code == code)
            return t[mid].name;
        if (t[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The name of `code` in table `t`, or "unknown-N" written into `buf`. */
static const char *name_or_unknown(const struct code_name *t, size_t n, uint16_t code,
                                   char *buf, size_t len)
{
    const char *s = find_name(t, n, code);
    if (s)
        return s;
    snprintf(buf, len, "unknown-%u", code);
    return buf;
}

static bool is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *tls_version_name(uint16_t v, char *buf, size_t n)
{
    switch (v) {
    case 0x0002: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv10";
    case 0x0302: return "TLSv11";
    case 0x0303: return "TLSv12";
    case 0x0304: return "TLSv13";
    case 0xfeff: return "DTLSv10";
    case 0xfefd: return "DTLSv12";
    case 0xfefc: return "DTLSv13";
    }
    if ((v >> 8) == 0x7f)
        snprintf(buf, n, "TLSv13-draft%u", v & 0xff);
    else
        snprintf(buf, n, "unknown-%u", v);
    return buf;
}

const char *tls_cipher_name(uint16_t c, char *buf, size_t n)
{
    /* The pre-standard ChaCha20 suites: Zeek's names (the registry reassigned them). */
    switch (c) {
    case 0xcc13: return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD";
    case 0xcc14: return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256_OLD";
    case 0xcc15: return "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD";
    }
    return name_or_unknown(ciphers, sizeof(ciphers) / sizeof(ciphers[0]), c, buf, n);
}

static const struct code_name group_names[] = {
    {1, "sect163k1"},        {2, "sect163r1"},        {3, "sect163r2"},
    {4, "sect193r1"},        {5, "sect193r2"},        {6, "sect233k1"},
    {7, "sect233r1"},        {8, "sect239k1"},        {9, "sect283k1"},
    {10, "sect283r1"},       {11, "sect409k1"},       {12, "sect409r1"},
    {13, "sect571k1"},       {14, "sect571r1"},       {15, "secp160k1"},
    {16, "secp160r1"},       {17, "secp160r2"},       {18, "secp192k1"},
    {19, "secp192r1"},       {20, "secp224k1"},       {21, "secp224r1"},
    {22, "secp256k1"},       {23, "secp256r1"},       {24, "secp384r1"},
    {25, "secp521r1"},       {26, "brainpoolP256r1"}, {27, "brainpoolP384r1"},
    {28, "brainpoolP512r1"}, {29, "x25519"},          {30, "x448"},
    {256, "ffdhe2048"},      {257, "ffdhe3072"},      {258, "ffdhe4096"},
    {259, "ffdhe6144"},      {260, "ffdhe8192"},      {0x11ec, "X25519MLKEM768"},
    {0x6399, "X25519Kyber768Draft00"}, {0xff01, "arbitrary_explicit_prime_curves"},
    {0xff02, "arbitrary_explicit_char2_curves"},
};

const char *tls_group_name(uint16_t g, char *buf, size_t n)
{
    return name_or_unknown(group_names, sizeof(group_names) / sizeof(group_names[0]), g, buf, n);
}

static const struct code_name alerts[] = {
    {0, "close_notify"},          {1, "end_of_early_data"},
    {10, "unexpected_message"},   {20, "bad_record_mac"},
    {21, "decryption_failed"},    {22, "record_overflow"},
    {30, "decompression_failure"}, {40, "handshake_failure"},
    {41, "no_certificate"},       {42, "bad_certificate"},
    {43, "unsupported_certificate"}, {44, "certificate_revoked"},
    {45, "certificate_expired"},  {46, "certificate_unknown"},
    {47, "illegal_parameter"},    {48, "unknown_ca"},
    {49, "access_denied"},        {50, "decode_error"},
    {51, "decrypt_error"},        {60, "export_restriction"},
    {70, "protocol_version"},     {71, "insufficient_security"},
    {80, "internal_error"},       {86, "inappropriate_fallback"},
    {90, "user_canceled"},        {100, "no_renegotiation"},
    {109, "missing_extension"},   {110, "unsupported_extension"},
    {111, "certificate_unobtainable"}, {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"}, {114, "bad_certificate_hash_value"},
    {115, "unknown_psk_identity"}, {116, "certificate_required"},
    {120, "no_application_protocol"}, {121, "ech_required"},
};

const char *tls_alert_name(int a, char *buf, size_t n)
{
    return name_or_unknown(alerts, sizeof(alerts) / sizeof(alerts[0]), (uint16_t)a, buf, n);
}

/* ---- fingerprints ---------------------------------------------------------------------- */

/* Hex digest of `n` bytes into `out` (2 * the digest size + 1 bytes; "" on failure). */
static void hex_digest(const EVP_MD *md, const void *p, size_t n, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_Digest(p, n, d, &dl, md, NULL))
        dl = 0;
    hex_encode(d, dl, out);
}

/* A growing string for fingerprint inputs (bounded by the hello's own size). */
struct sbuf {
    char *p;
    size_t len, cap;
    bool bad;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->bad)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->bad = true;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_dec(struct sbuf *b, unsigned v)
{
    char t[24];
    sb_add(b, t, fmt_u64(t, v));
}

/* The non-GREASE values joined by `sep`: decimal (JA3's "a-b-c") or 4-digit hex
 * (JA4's "002f,1301"). */
static void sb_list(struct sbuf *b, const uint16_t *v, size_t n, char sep, bool hex)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (is_grease(v[i]))
            continue;
        if (!first)
            sb_add(b, &sep, 1);
        char t[24];
        if (hex) {
            fmt_hex4(t, v[i]);
            sb_add(b, t, 4);
        } else {
            sb_add(b, t, fmt_u64(t, v[i]));
        }
        first = false;
    }
}

void tls_ja3(const struct tls_hello_view *h, char *out)
{
    struct sbuf b = {0};
    sb_dec(&b, h->version);
    sb_add(&b, ",", 1);
    sb_list(&b, h->ciphers, h->nciphers, '-', false);
    sb_add(&b, ",", 1);
    sb_list(&b, h->exts, h->nexts, '-', false);
    sb_add(&b, ",", 1);
    sb_list(&b, h->groups, h->ngroups, '-', false);
    sb_add(&b, ",", 1);
    for (size_t i = 0; i < h->nformats; i++) {
        if (i)
            sb_add(&b, "-", 1);
        sb_dec(&b, h->formats[i]);
    }
    if (b.bad)
        out[0] = '\0';
    else
        hex_digest(EVP_md5(), b.p, b.len, out);
    free(b.p);
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* First 12 hex digits of SHA-256 over the non-GREASE values as sorted 4-digit hex,
 * skipping `skip`; then "_" + `tail` if given. */
static void ja4_hash(const uint16_t *v, size_t n, const uint16_t *skip, size_t nskip,
                     const struct sbuf *tail, char *out)
{
    uint16_t *w = malloc((n ? n : 1) * sizeof(*w));
    size_t k = 0;
    if (w) {
        for (size_t i = 0; i < n; i++) {
            bool drop = is_grease(v[i]);
            for (size_t j = 0; j < nskip && !drop; j++)
                drop = v[i] == skip[j];
            if (!drop)
                w[k++] = v[i];
        }
        qsort(w, k, sizeof(*w), cmp_u16);
    }
    if (!w || k == 0) {
        memcpy(out, "000000000000", 13);
        free(w);
        return;
    }
    struct sbuf b = {0};
    sb_list(&b, w, k, ',', true);
    if (tail && tail->len) {
        sb_add(&b, "_", 1);
        sb_add(&b, tail->p, tail->len);
    }
    char full[65];
    if (b.bad)
        memcpy(out, "000000000000", 13);
    else {
        hex_digest(EVP_sha256(), b.p, b.len, full);
        memcpy(out, full, 12);
        out[12] = '\0';
    }
    free(b.p);
    free(w);
}

static size_t count_non_grease(const uint16_t *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !is_grease(v[i]);
    return k;
}

/* JA4 (FoxIO, https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4.md). */
void tls_ja4(const struct tls_hello_view *h, char proto, char *out)
{
    uint16_t ver = h->version;
    bool have = false;
    for (size_t i = 0; i < h->nversions; i++)
        if (!is_grease(h->versions[i]) && (!have || h->versions[i] > ver)) {
            ver = h->versions[i];
            have = true;
        }
    const char *vs;
    switch (ver) {
    case 0x0304: vs = "13"; break;
    case 0x0303: vs = "12"; break;
    case 0x0302: vs = "11"; break;
    case 0x0301: vs = "10"; break;
    case 0x0300: vs = "s3"; break;
    case 0x0002: vs = "s2"; break;
    case 0xfeff: vs = "d1"; break;
    case 0xfefd: vs = "d2"; break;
    case 0xfefc: vs = "d3"; break;
    default: vs = "00"; break;
    }
    size_t nc = count_non_grease(h->ciphers, h->nciphers);
    size_t ne = count_non_grease(h->exts, h->nexts);
    char alpn[3] = "00";
    if (h->alpn && h->alpn_len) {
        uint8_t a = h->alpn[0], z = h->alpn[h->alpn_len - 1];
        if (isalnum(a) && isalnum(z) && a < 0x80 && z < 0x80) {
            alpn[0] = (char)a;
            alpn[1] = (char)z;
        } else {
            static const char hx[] = "0123456789abcdef";
            alpn[0] = hx[a >> 4];
            alpn[1] = hx[z & 15];
        }
    }
    char b[13], c[13];
    ja4_hash(h->ciphers, h->nciphers, NULL, 0, NULL, b);
    struct sbuf sig = {0}; /* signature algorithms in their order */
    sb_list(&sig, h->sigalgs, h->nsigalgs, ',', true);
    static const uint16_t skip[] = {0x0000, 0x0010}; /* SNI and ALPN: counted, not hashed */
    ja4_hash(h->exts, h->nexts, skip, 2, &sig, c);
    free(sig.p);
    snprintf(out, 40, "%c%s%c%02u%02u%s_%s_%s", proto, vs, h->has_sni ? 'd' : 'i',
             (unsigned)(nc > 99 ? 99 : nc), (unsigned)(ne > 99 ? 99 : ne), alpn, b, c);
}

/* ---- handshake messages ---------------------------------------------------------------- */

static void history(struct tls_conn *c, bool is_orig, char letter)
{
    struct tls_info *t = &c->info;
    if (c->reported || t->hist_len >= TLS_HISTORY_MAX)
        return;
    t->history[t->hist_len++] = is_orig ? (char)toupper(letter) : (char)tolower(letter);
    t->history[t->hist_len] = '\0';
}

static char hs_letter(uint8_t type)
{
    switch (type) {
    case 0: return 'H';
    case 1: return 'C';
    case 2: return 'S';
    case 3: return 'V';
    case 4: return 'T';
    case 5: return 'E';
    case 6: return 'J';
    case 8: return 'O';
    case 11: return 'X';
    case 12: return 'K';
    case 13: return 'R';
    case 14: return 'N';
    case 15: return 'Y';
    case 16: return 'G';
    case 20: return 'F';
    case 21: return 'W';
    case 22: return 'U';
    case 23: return 'A';
    case 24: return 'P';
    case 254: return 'M';
    default: return 'Z';
    }
}

static void note_first(struct tls_conn *c)
{
    if (!c->any) {
        c->any = true;
        c->info.ts = c->ts;
    }
}

static const uint8_t *take(struct cursor *c, size_t n)
{
    if (!cur_need(c, n))
        return NULL;
    const uint8_t *p = c->p;
    c->p += n;
    return p;
}

/* u16 list of `len` bytes into a fresh array (NULL when empty or odd). */
static uint16_t *u16_list(struct cursor *cu, size_t len, size_t *n)
{
    *n = 0;
    if (len < 2 || (len & 1) || cur_left(cu) < len) {
        cur_skip(cu, len);
        return NULL;
    }
    uint16_t *v = malloc(len / 2 * sizeof(*v));
    if (!v) {
        cur_skip(cu, len);
        return NULL;
    }
    for (size_t i = 0; i < len / 2; i++)
        v[i] = cur_be16(cu);
    *n = len / 2;
    return v;
}

static void client_hello(struct tls_conn *c, const uint8_t *p, size_t n)
{
    struct tls_info *t = &c->info;
    struct cursor cu = cur_make(p, n);
    uint16_t ver = cur_be16(&cu);
    cur_skip(&cu, 32);
    size_t sl = cur_u8(&cu);
    const uint8_t *sid = take(&cu, sl);
    if (cu.err)
        return;
    bool first = !t->client_hello;
    if (first) {
        t->client_hello = true;
        t->client_version = ver;
        if (sid && sl && sl <= sizeof(c->sid)) {
            memcpy(c->sid, sid, sl);
            c->sid_len = (uint8_t)sl;
        }
    }
    struct tls_hello_view h = {.version = ver};
    uint16_t *cs = u16_list(&cu, cur_be16(&cu), &h.nciphers);
    h.ciphers = cs;
    cur_skip(&cu, cur_u8(&cu)); /* compression methods */
    uint16_t exts[256], *groups = NULL, *sigalgs = NULL, *versions = NULL;
    if (!cu.err && cur_left(&cu) >= 2) {
        size_t el = cur_be16(&cu);
        struct cursor ec = cur_sub(&cu, el);
        while (!ec.err && cur_left(&ec) >= 4) {
            uint16_t type = cur_be16(&ec);
            size_t len = cur_be16(&ec);
            const uint8_t *d = take(&ec, len);
            if (ec.err)
                break;
            if (h.nexts < sizeof(exts) / sizeof(exts[0]))
                exts[h.nexts++] = type;
            struct cursor x = cur_make(d, len);
            switch (type) {
            case 0: { /* server_name: the first host_name */
                h.has_sni = true;
                size_t ll = cur_be16(&x);
                struct cursor l = cur_sub(&x, ll);
                while (!l.err && cur_left(&l) >= 3) {
                    uint8_t nt = cur_u8(&l);
                    size_t nl = cur_be16(&l);
                    const uint8_t *name = take(&l, nl);
                    if (l.err)
                        break;
                    if (nt == 0 && first && !t->server_name && nl) {
                        t->server_name = mem_dup_cap(name, nl, 255);
                        break;
                    }
                }
                break;
            }
            case 10:
                if (!groups)
                    groups = u16_list(&x, cur_be16(&x), &h.ngroups);
                break;
            case 11: {
                size_t fl = cur_u8(&x);
                h.formats = take(&x, fl);
                h.nformats = x.err ? 0 : fl;
                break;
            }
            case 13:
                if (!sigalgs)
                    sigalgs = u16_list(&x, cur_be16(&x), &h.nsigalgs);
                break;
            case 16: { /* ALPN: the list, and its first value (JA4) */
                size_t ll = cur_be16(&x);
                struct cursor l = cur_sub(&x, ll);
                while (!l.err && cur_left(&l) >= 1) {
                    size_t pl = cur_u8(&l);
                    const uint8_t *pr = take(&l, pl);
                    if (l.err)
                        break;
                    if (!h.alpn) {
                        h.alpn = pr;
                        h.alpn_len = pl;
                    }
                    if (first && pl) {
                        size_t old = t->alpn_offered ? strlen(t->alpn_offered) : 0;
                        if (old + pl + 2 < 512) {
                            char *q = realloc(t->alpn_offered, old + pl + 2);
                            if (q) {
                                if (old)
                                    q[old++] = ',';
                                memcpy(q + old, pr, pl);
                                q[old + pl] = '\0';
                                t->alpn_offered = q;
                            }
                        }
                    }
                }
                break;
            }
            case 43:
                if (!versions)
                    versions = u16_list(&x, cur_u8(&x), &h.nversions);
                break;
            }
        }
    }
    h.exts = exts;
    h.groups = groups;
    h.sigalgs = sigalgs;
    h.versions = versions;
    if (first) {
        tls_ja3(&h, t->ja3);
        tls_ja4(&h, 't', t->ja4);
    }
    free(cs);
    free(groups);
    free(sigalgs);
    free(versions);
}

static bool is_tls13(uint16_t v)
{
    return v == 0x0304 || (v >> 8) == 0x7f;
}

static void server_hello(struct tls_conn *c, const uint8_t *p, size_t n)
{
    struct tls_info *t = &c->info;
    struct cursor cu = cur_make(p, n);
    uint16_t ver = cur_be16(&cu);
    cur_skip(&cu, 32);
    /* TLS 1.3 drafts before 22 name themselves here and have neither a session id nor a
     * compression method. */
    bool early_draft = ((ver >> 8) == 0x7f && (ver & 0xff) < 22) || ver == 0x0304;
    size_t sl = early_draft ? 0 : cur_u8(&cu);
    const uint8_t *sid = take(&cu, sl);
    uint16_t cipher = cur_be16(&cu);
    if (!early_draft)
        cur_skip(&cu, 1); /* compression */
    if (cu.err)
        return;
    bool first = !t->server_hello;
    uint16_t exts[256];
    size_t nexts = 0;
    uint16_t chosen = 0, share = 0;
    bool psk = false;
    if (cur_left(&cu) >= 2) {
        size_t el = cur_be16(&cu);
        struct cursor ec = cur_sub(&cu, el);
        while (!ec.err && cur_left(&ec) >= 4) {
            uint16_t type = cur_be16(&ec);
            size_t len = cur_be16(&ec);
            const uint8_t *d = take(&ec, len);
            if (ec.err)
                break;
            if (nexts < sizeof(exts) / sizeof(exts[0]))
                exts[nexts++] = type;
            struct cursor x = cur_make(d, len);
            if (type == 43 && len >= 2)
                chosen = cur_be16(&x);
            else if ((type == 51 || type == 40) && len >= 2)
                share = cur_be16(&x); /* key_share (40 in TLS 1.3 drafts before 23) */
            else if (type == 41)
                psk = true;
            else if (type == 16 && first && !t->next_protocol) {
                cur_skip(&x, 2);
                size_t pl = cur_u8(&x);
                const uint8_t *pr = take(&x, pl);
                if (!x.err && pl)
                    t->next_protocol = mem_dup_cap(pr, pl, 255);
            }
        }
    }
    if (!first)
        return;
    t->server_hello = true;
    t->version = chosen ? chosen : ver;
    t->cipher = cipher;
    t->has_cipher = true;
    if (share) {
        t->curve = share;
        t->has_curve = true;
    }
    if (is_tls13(t->version)) {
        /* Everything after the ServerHello is encrypted (the server's side at once, the
         * client's after its Finished): records from here are ciphertext. */
        t->resumed = psk;
        c->d[1].encrypted = true;
    } else if (c->sid_len && sid && sl == c->sid_len && memcmp(sid, c->sid, sl) == 0) {
        t->resumed = true;
    }
    /* JA3S: version,cipher,extensions (https://github.com/salesforce/ja3) */
    struct sbuf b = {0};
    sb_dec(&b, ver);
    sb_add(&b, ",", 1);
    sb_dec(&b, cipher);
    sb_add(&b, ",", 1);
    sb_list(&b, exts, nexts, '-', false);
    if (!b.bad)
        hex_digest(EVP_md5(), b.p, b.len, t->ja3s);
    free(b.p);
}

/* RFC 6125-style match of a host name against a certificate name (one leftmost '*'). */
static bool name_matches(const char *host, const char *pat)
{
    if (strcasecmp(host, pat) == 0)
        return true;
    if (pat[0] != '*' || pat[1] != '.')
        return false;
    const char *dot = strchr(host, '.');
    return dot && dot != host && strcasecmp(dot + 1, pat + 2) == 0;
}

static char *name_string(X509_NAME *nm)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return NULL;
    X509_NAME_print_ex(bio, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *s = NULL;
    if (len > 0 && data)
        s = mem_dup_cap((const uint8_t *)data, (size_t)len, 1024);
    BIO_free(bio);
    return s;
}

/* Decoded leaf certificates, by SHA-256 fingerprint, per worker thread.  Servers show
 * the same certificate to every client, and OpenSSL 3 spends most of a decode on the
 * public key, which lolwire does not use: as Zeek caches certificates it sees often,
 * a certificate is decoded once while it stays in this direct-mapped cache. */
struct cert_entry {
    char fp[65];                        /* "" when the slot is empty */
    bool bad;                           /* did not decode */
    char *subject, *issuer;
    char *names[TLS_MAX_CERT_NAMES];
    uint8_t nnames;
};
static _Thread_local struct cert_entry *cert_cache; /* TLS_CERT_CACHE slots */

static void cert_entry_clear(struct cert_entry *e)
{
    free(e->subject);
    free(e->issuer);
    for (unsigned i = 0; i < e->nnames; i++)
        free(e->names[i]);
    memset(e, 0, sizeof(*e));
}

void tls_forget_certs(void)
{
    if (!cert_cache)
        return;
    for (unsigned i = 0; i < TLS_CERT_CACHE; i++)
        cert_entry_clear(&cert_cache[i]);
    free(cert_cache);
    cert_cache = NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Copy a cache entry's fields into `t` (which owns its strings). */
static void cert_from_entry(struct tls_info *t, const struct cert_entry *e)
{
    if (e->bad) {
        lw_stats.tls_bad_certs++;
        return;
    }
    t->subject = dup_or_null(e->subject);
    t->issuer = dup_or_null(e->issuer);
    for (unsigned i = 0; i < e->nnames; i++)
        t->cert_names[t->ncert_names++] = dup_or_null(e->names[i]);
}

static bool decode_leaf(struct tls_info *t, const uint8_t *der, size_t n);

/* The server's leaf certificate: subject, issuer, DNS names; `fp` its SHA-256. */
static void leaf_certificate(struct tls_info *t, const char *fp, const uint8_t *der, size_t n)
{
    if (!cert_cache)
        cert_cache = calloc(TLS_CERT_CACHE, sizeof(*cert_cache));
    struct cert_entry *e = NULL;
    if (cert_cache) {
        e = &cert_cache[hash_bytes(fp, 64, 0) % TLS_CERT_CACHE];
        if (strcmp(e->fp, fp) == 0) {
            lw_stats.tls_certs_cached++;
            cert_from_entry(t, e);
            return;
        }
    }
    bool ok = decode_leaf(t, der, n);
    if (!e)
        return;
    cert_entry_clear(e);
    memcpy(e->fp, fp, sizeof(e->fp));
    e->bad = !ok;
    e->subject = dup_or_null(t->subject);
    e->issuer = dup_or_null(t->issuer);
    for (unsigned i = 0; i < t->ncert_names; i++)
        e->names[e->nnames++] = dup_or_null(t->cert_names[i]);
}

static bool decode_leaf(struct tls_info *t, const uint8_t *der, size_t n)
{
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)n);
    if (!x) {
        lw_stats.tls_bad_certs++;
        return false;
    }
    t->subject = name_string(X509_get_subject_name(x));
    t->issuer = name_string(X509_get_issuer_name(x));
    GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int ns = sans ? sk_GENERAL_NAME_num(sans) : 0;
    for (int i = 0; i < ns && t->ncert_names < TLS_MAX_CERT_NAMES; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_DNS)
            continue;
        const unsigned char *s = ASN1_STRING_get0_data(g->d.dNSName);
        int sl = ASN1_STRING_length(g->d.dNSName);
        if (s && sl > 0)
            t->cert_names[t->ncert_names++] = mem_dup_cap(s, (size_t)sl, 255);
    }
    GENERAL_NAMES_free(sans);
    if (t->ncert_names == 0) { /* no DNS names: the subject's CN stands in */
        X509_NAME *nm = X509_get_subject_name(x);
        int idx = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
        ASN1_STRING *cn = idx >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, idx))
                                   : NULL;
        if (cn && ASN1_STRING_length(cn) > 0)
            t->cert_names[t->ncert_names++] =
                mem_dup_cap(ASN1_STRING_get0_data(cn), (size_t)ASN1_STRING_length(cn), 255);
    }
    X509_free(x);
    return true;
}

static void certificate(struct tls_conn *c, bool is_orig, const uint8_t *p, size_t n)
{
    struct tls_info *t = &c->info;
    if (is_tls13(t->version))
        return; /* TLS 1.3 certificates are encrypted; a clear one would be a forgery */
    char (*fps)[65] = is_orig ? t->client_cert_fps : t->cert_fps;
    uint8_t *nfps = is_orig ? &t->nclient_certs : &t->ncerts;
    if (*nfps)
        return; /* the first chain of each side only */
    struct cursor cu = cur_make(p, n);
    size_t total = cur_be24(&cu);
    struct cursor l = cur_sub(&cu, total);
    while (!l.err && cur_left(&l) >= 3) {
        size_t cl = cur_be24(&l);
        const uint8_t *der = take(&l, cl);
        if (l.err || !cl)
            break;
        if (*nfps < TLS_MAX_CERTS)
            hex_digest(EVP_sha256(), der, cl, fps[(*nfps)++]);
        if (!is_orig && *nfps == 1)
            leaf_certificate(t, fps[0], der, cl);
    }
    if (!is_orig && t->server_name && t->ncerts) {
        t->sni_matches_cert = 0;
        for (unsigned i = 0; i < t->ncert_names; i++)
            if (t->cert_names[i] && name_matches(t->server_name, t->cert_names[i]))
                t->sni_matches_cert = 1;
    }
}

static void server_key_exchange(struct tls_conn *c, const uint8_t *p, size_t n)
{
    struct tls_info *t = &c->info;
    char buf[16];
    /* ECDHE parameters begin with curve_type named_curve (3) and the group. */
    if (!t->has_cipher || !strstr(tls_cipher_name(t->cipher, buf, sizeof(buf)), "_ECDH"))
        return;
    if (n >= 3 && p[0] == 3) {
        t->curve = (uint16_t)(p[1] << 8 | p[2]);
        t->has_curve = true;
    }
}

static void handshake_message(struct tls_conn *c, bool is_orig, uint8_t type, const uint8_t *p,
                              size_t n)
{
    note_first(c);
    history(c, is_orig, hs_letter(type));
    switch (type) {
    case 1:
        if (is_orig)
            client_hello(c, p, n);
        break;
    case 2:
        if (!is_orig)
            server_hello(c, p, n);
        break;
    case 11:
        certificate(c, is_orig, p, n);
        break;
    case 12:
        if (!is_orig)
            server_key_exchange(c, p, n);
        break;
    }
}

/* ---- records --------------------------------------------------------------------------- */

static void report(struct tls_conn *c)
{
    if (c->reported || !c->any)
        return;
    c->reported = true;
    if (sink)
        sink(sink_ctx, c->flow, &c->info);
}

static void hs_release(struct tls_dir *d)
{
    lw_stats.tls_handshake_bytes_held -= d->hs_cap;
    free(d->hs);
    d->hs = NULL;
    d->hs_len = d->hs_cap = 0;
}

static void lose(struct tls_conn *c, struct tls_dir *d, const char *weird)
{
    if (weird) {
        lw_stats.tls_bad_records++;
        weird_report(c->ts, c->flow, weird, NULL, "SSL");
    }
    d->dead = true;
    hs_release(d);
}

static void ciphertext(struct tls_conn *c, bool is_orig)
{
    struct tls_dir *d = &c->d[is_orig ? 0 : 1];
    if (is_orig && !d->encrypted && is_tls13(c->info.version))
        d->encrypted = true; /* TLS 1.3 client without a compatibility ChangeCipherSpec */
    if (c->d[0].encrypted && c->d[1].encrypted && !c->info.established) {
        c->info.established = true;
        report(c);
    }
}

/* Handshake bytes of a clear-text record: split into messages.  A message is parsed
 * once whole; one larger than TLS_MAX_HANDSHAKE (or than the global budget allows) gets
 * its history letter and is skipped without being held. */
static void handshake_bytes(struct tls_conn *c, bool is_orig, const uint8_t *p, size_t n)
{
    struct tls_dir *d = &c->d[is_orig ? 0 : 1];
    for (;;) {
        if (d->hs_skip) {
            size_t k = n < d->hs_skip ? n : d->hs_skip;
            d->hs_skip -= (uint32_t)k;
            p += k;
            n -= k;
        }
        if (d->hs_len == 0) {
            /* The common case: whole messages in this slice, parsed in place. */
            while (n >= 4) {
                size_t ml = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
                if (4 + ml > n)
                    break;
                handshake_message(c, is_orig, p[0], p + 4, ml);
                p += 4 + ml;
                n -= 4 + ml;
                if (d->dead)
                    return;
            }
        }
        if (n == 0)
            return;
        /* Hold what is left until its message is whole: first its 4-byte header. */
        size_t have = d->hs_len;
        uint8_t hdr[4];
        size_t hk = 0;
        for (; hk < 4 && hk < have; hk++)
            hdr[hk] = d->hs[hk];
        for (size_t i = 0; hk < 4 && i < n; i++)
            hdr[hk++] = p[i];
        if (hk == 4) {
            size_t ml = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
            if (have < 4 && (4 + ml > TLS_MAX_HANDSHAKE ||
                              lw_stats.tls_handshake_bytes_held + 4 + ml > TLS_MAX_TOTAL_HELD)) {
                lw_stats.tls_limits++;
                weird_report(c->ts, c->flow, "SSL_handshake_too_large", NULL, "SSL");
                note_first(c);
                history(c, is_orig, hs_letter(hdr[0]));
                size_t used = 4 - have; /* bytes of this slice in the header */
                d->hs_len = 0;
                d->hs_skip = (uint32_t)ml;
                p += used;
                n -= used;
                continue;
            }
            if (4 + ml > d->hs_cap) {
                uint8_t *q = realloc(d->hs, 4 + ml);
                if (!q) {
                    lose(c, d, NULL);
                    return;
                }
                lw_stats.tls_handshake_bytes_held += 4 + ml - d->hs_cap;
                d->hs = q;
                d->hs_cap = 4 + ml;
            }
            size_t k = 4 + ml - have < n ? 4 + ml - have : n;
            memcpy(d->hs + have, p, k);
            d->hs_len += k;
            p += k;
            n -= k;
            if (d->hs_len < 4 + ml)
                return;
            d->hs_len = 0;
            handshake_message(c, is_orig, d->hs[0], d->hs + 4, ml);
            if (d->dead)
                return;
            if (d->hs_cap > 64 * 1024)
                hs_release(d); /* a large message was held: give its memory back */
            continue;
        }
        /* Fewer than 4 header bytes: keep them. */
        if (d->hs_cap < 4) {
            uint8_t *q = realloc(d->hs, 4096);
            if (!q) {
                lose(c, d, NULL);
                return;
            }
            lw_stats.tls_handshake_bytes_held += 4096 - d->hs_cap;
            d->hs = q;
            d->hs_cap = 4096;
        }
        memcpy(d->hs + have, p, n);
        d->hs_len += n;
        return;
    }
}

static void record_body(struct tls_conn *c, bool is_orig, const uint8_t *p, size_t n)
{
    struct tls_dir *d = &c->d[is_orig ? 0 : 1];
    switch (d->rtype) {
    case CT_HANDSHAKE:
        if (d->encrypted)
            ciphertext(c, is_orig);
        else
            handshake_bytes(c, is_orig, p, n);
        break;
    case CT_ALERT:
        if (d->encrypted) {
            ciphertext(c, is_orig);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            d->alert[d->alert_len++] = p[i];
            if (d->alert_len == 2) {
                note_first(c);
                history(c, is_orig, 'L');
                c->info.last_alert = d->alert[1];
                d->alert_len = 0;
            }
        }
        break;
    case CT_APPDATA:
        ciphertext(c, is_orig);
        break;
    default:
        break;
    }
}

/* A record begins: its header is complete in d->hdr. */
static bool record_start(struct tls_conn *c, bool is_orig)
{
    struct tls_dir *d = &c->d[is_orig ? 0 : 1];
    uint8_t type = d->hdr[0];
    uint16_t len = (uint16_t)(d->hdr[3] << 8 | d->hdr[4]);
    if (type < CT_CCS || type > CT_HEARTBEAT || d->hdr[1] != 3 || len > 16384 + 2048) {
        /* Not TLS: neither direction is trusted any more (Zeek removes its analyzer). */
        lose(c, d, d->seen_record ? "SSL_invalid_record" : NULL);
        lose(c, &c->d[is_orig ? 1 : 0], NULL);
        return false;
    }
    d->seen_record = true;
    d->rtype = type;
    d->rleft = len;
    if (type == CT_CCS) {
        note_first(c);
        history(c, is_orig, 'I');
        d->encrypted = true;
        d->hs_len = 0; /* what follows is encrypted */
        d->hs_skip = 0;
    } else if (type == CT_HEARTBEAT) {
        history(c, is_orig, 'B');
    } else if (type != CT_ALERT) {
        d->alert_len = 0;
    }
    if (len == 0 && type == CT_APPDATA)
        ciphertext(c, is_orig);
    return true;
}

void tls_data(struct tls_conn *c, bool is_orig, const uint8_t *p, size_t n, int64_t ts)
{
    struct tls_dir *d = &c->d[is_orig ? 0 : 1];
    c->ts = ts;
    if (is_orig && !d->seen_record && d->hlen == 0 && n >= 2 && (p[0] & 0x80)) {
        /* An SSLv2-compatible ClientHello (RFC 5246 E.2): a 2-byte header, the record is
         * the message.  History 'C'; its contents are skipped (no JA3 for it). */
        note_first(c);
        history(c, true, 'C');
        c->info.client_hello = true;
        d->seen_record = true;
        d->rtype = 0;
        d->rleft = (uint32_t)((p[0] & 0x7f) << 8 | p[1]);
        p += 2;
        n -= 2;
    }
    while (n > 0 && !d->dead) {
        if (d->rleft == 0 && d->hlen < 5) {
            size_t want = 5u - d->hlen, k = want < n ? want : n;
            memcpy(d->hdr + d->hlen, p, k);
            d->hlen = (uint8_t)(d->hlen + k);
            p += k;
            n -= k;
            if (d->hlen < 5)
                return;
            if (!record_start(c, is_orig))
                return;
            d->hlen = 0;
            continue;
        }
        size_t k = n < d->rleft ? n : d->rleft;
        record_body(c, is_orig, p, k);
        d->rleft -= (uint32_t)k;
        p += k;
        n -= k;
    }
}

void tls_gap(struct tls_conn *c, bool is_orig, uint64_t len)
{
    struct tls_dir *d = &c->d[is_orig ? 0 : 1];
    if (d->dead)
        return;
    if (d->hlen == 0 && len <= d->rleft && (d->rtype != CT_HANDSHAKE || d->encrypted)) {
        d->rleft -= (uint32_t)len; /* inside a record we do not read: nothing lost */
        return;
    }
    lose(c, d, NULL); /* framing lost */
}

struct tls_conn *tls_new(struct flow *f)
{
    struct tls_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->flow = f;
    c->info.last_alert = -1;
    c->info.sni_matches_cert = -1;
    flow_add_service(f, "ssl");
    lw_stats.tls_connections++;
    return c;
}

static void info_strings_free(struct tls_info *t)
{
    free(t->server_name);
    free(t->alpn_offered);
    free(t->next_protocol);
    free(t->subject);
    free(t->issuer);
    for (unsigned i = 0; i < t->ncert_names; i++)
        free(t->cert_names[i]);
}

struct tls_info *tls_info_copy(const struct tls_info *t)
{
    struct tls_info *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    *c = *t;
    char **strs[] = {&c->server_name, &c->alpn_offered, &c->next_protocol, &c->subject,
                     &c->issuer};
    bool ok = true;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (*strs[i] && !(*strs[i] = strdup(*strs[i])))
            ok = false;
    for (unsigned i = 0; i < c->ncert_names; i++)
        if (!(c->cert_names[i] = strdup(t->cert_names[i])))
            ok = false;
    if (!ok) {
        tls_info_free(c);
        return NULL;
    }
    return c;
}

void tls_info_free(struct tls_info *t)
{
    if (!t)
        return;
    info_strings_free(t);
    free(t);
}

void tls_free(struct tls_conn *c, int64_t ts)
{
    if (!c)
        return;
    c->ts = ts;
    report(c);
    info_strings_free(&c->info);
    hs_release(&c->d[0]);
    hs_release(&c->d[1]);
    free(c);
}

bool tls_sniff(const uint8_t *p, size_t len, bool is_orig, bool *need_more)
{
    *need_more = false;
    if (len == 0) {
        *need_more = true;
        return false;
    }
    if (is_orig && (p[0] & 0x80)) {
        /* SSLv2-compatible ClientHello: length, type 1, version 2.0 or 3.x */
        if (len < 5) {
            *need_more = true;
            return false;
        }
        return p[2] == 1 && ((p[3] == 0 && p[4] == 2) || (p[3] == 3 && p[4] <= 4));
    }
    if (p[0] != CT_HANDSHAKE && !(p[0] == CT_ALERT && !is_orig))
        return false;
    if ((len >= 2 && p[1] != 3) || (len >= 3 && p[2] > 4))
        return false;
    if (len < 6) {
        *need_more = true;
        return false;
    }
    size_t rl = (size_t)p[3] << 8 | p[4];
    if (rl == 0 || rl > 16384 + 2048)
        return false;
    if (p[0] == CT_ALERT)
        return rl == 2;
    return is_orig ? p[5] == 1 : (p[5] == 2 || p[5] == 0);
}
