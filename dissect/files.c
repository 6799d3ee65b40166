/* files.c: file analysis: content decoding (zlib), typing by bytes, hashes, sizes.
 *
 * Markers: shared/detection/NOTES.md §4 (libmagic's tests and real samples): OLE2 root
 * entry CLSIDs for MSI/MST/MSP/Office, PE by MZ + "PE\0\0" at e_lfanew, CAB, ZIP (and
 * OOXML by member names), LNK, ISO 9660 ("CD001" at 32769), images, PDF, and the script
 * payloads (HTA, SCT scriptlets, XSL with a Microsoft script block, MSBuild inline tasks,
 * PowerShell) by their markers in the first 4 KB.
 */
#include "dissect/files.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <lzma.h>
#include <math.h>
#include <zlib.h>

#include "core/config.h"
#include "core/stats.h"
#include "core/util.h"
#include "dissect/flow.h"
#include "dissect/weird.h"

/* Bytes wanted beyond the head (an OLE root entry, a PE header, an ISO descriptor). */
struct probe {
    uint64_t off;
    uint8_t len, have;
    uint8_t buf[16];
    bool active;
};

/* A content-decoding layer (allocated only for bodies with a Content-Encoding: most have
 * none, and a layer holds its zlib and lzma state and a 1 KiB passthrough buffer). */
struct codec {
    enum { CODEC_ZLIB, CODEC_LZMA } kind;
    z_stream z;
    lzma_stream lz;
    bool init, raw_tried, ended;
    bool passthrough; /* the bytes were not in this coding: passed on as they are */
    uint64_t in, out;
    uint8_t pre[1024]; /* the first input, while nothing decoded: to pass on if the */
    size_t pre_len;    /* bytes turn out not to be in this coding at all */
};

struct file_state {
    struct file_info info;
    uint8_t head[FILE_HEAD_BYTES];
    size_t head_len;
    struct probe probe;
    const char *mime;
    bool typed;
    EVP_MD_CTX *md[3];
    bool hashing;
    /* content decoding: codec[0] undoes the last coding applied, and so on inwards */
    struct codec *codec; /* ncodec layers, or NULL */
    bool coding_ignored; /* some declared coding was not applied to the bytes */
    int ncodec;
    bool inflating;
    uint64_t in_bytes, out_bytes; /* transferred bytes in, decoded bytes out (last level) */
};

static _Thread_local file_sink_fn sink;
static _Thread_local void *sink_ctx;
static uint64_t fuid_seed; /* set once before the workers start */
static uint64_t keep_max;  /* --extract: bytes of a body kept (0: none), set once */
static _Thread_local uint64_t keep_held; /* bytes of bodies this worker holds */

void files_keep_bodies(uint64_t max)
{
    keep_max = max;
}

void files_body_free(uint8_t *p, size_t cap)
{
    if (!p)
        return;
    keep_held -= cap;
    free(p);
}

/* Keep body bytes at position `pos` (decoded): only a body whole from its start. */
static void keep(struct file_state *fs, uint64_t pos, const uint8_t *p, size_t n)
{
    struct file_body *b = fs->info.body;
    if (b->cut)
        return;
    if (pos != b->len || fs->info.missing_bytes) {
        b->cut = true; /* a gap: the stored file would not be the one sent */
        lw_stats.files_bodies_cut++;
        return;
    }
    size_t room = keep_max - b->len;
    size_t k = n < room ? n : room;
    if (b->len + k > b->cap) {
        size_t nc = b->cap ? b->cap : 16384;
        while (nc < b->len + k)
            nc *= 2;
        if (nc > keep_max)
            nc = keep_max;
        uint8_t *np = keep_held + (nc - b->cap) <= FILES_KEEP_MEMORY ? realloc(b->p, nc) : NULL;
        if (!np) {
            b->cut = true;
            lw_stats.files_bodies_cut++;
            return;
        }
        keep_held += nc - b->cap;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, p, k);
    b->len += k;
    if (k < n) {
        b->cut = true; /* over --extract-max-size */
        lw_stats.files_bodies_cut++;
    }
}

void files_set_sink(file_sink_fn fn, void *ctx)
{
    sink = fn;
    sink_ctx = ctx;
}

void files_seed(uint64_t seed)
{
    fuid_seed = seed ^ 0x46494c45ULL; /* differ from connection uids */
}

/* ---- typing ------------------------------------------------------------------------- */

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Case-insensitive search for `needle` in the first `n` bytes of `h`. */
/* ASCII case folding (the markers are ASCII; tolower() would consult the locale). */
static inline uint8_t fold(uint8_t c)
{
    return (uint8_t)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
}

/* First occurrence of `needle` in h[0..n), ASCII case-insensitive.  Candidates are found
 * with memchr (vectorised in glibc) on the first byte's two cases, then compared: the
 * head of every body is searched for a few dozen markers, so this is on the hot path. */
static const uint8_t *find_ci(const uint8_t *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0 || n < k)
        return NULL;
    uint8_t lo = fold((uint8_t)needle[0]);
    uint8_t up = (unsigned)(lo - 'a') < 26u ? (uint8_t)(lo & ~0x20) : lo;
    const uint8_t *p = h, *end = h + n - k + 1; /* candidates start before end */
    /* The next occurrence of each case at or after p, or end when there is none. */
    const uint8_t *next_lo = memchr(h, lo, (size_t)(end - h));
    const uint8_t *next_up = up != lo ? memchr(h, up, (size_t)(end - h)) : NULL;
    next_lo = next_lo ? next_lo : end;
    next_up = next_up ? next_up : end;
    while (p < end) {
        if (next_lo < p) {
            next_lo = memchr(p, lo, (size_t)(end - p));
            next_lo = next_lo ? next_lo : end;
        }
        if (next_up < p) {
            next_up = memchr(p, up, (size_t)(end - p));
            next_up = next_up ? next_up : end;
        }
        const uint8_t *c = next_lo < next_up ? next_lo : next_up;
        if (c >= end)
            return NULL;
        size_t j = 1;
        while (j < k && fold(c[j]) == fold((uint8_t)needle[j]))
            j++;
        if (j == k)
            return c;
        p = c + 1;
    }
    return NULL;
}

static const char *ole_by_clsid(const uint8_t c[16])
{
    static const uint8_t tail[8] = {0xc0, 0, 0, 0, 0, 0, 0, 0x46};
    if (memcmp(c + 8, tail, 8) == 0 && c[2] == 0x0c && c[3] == 0 && le32(c + 4) == 0) {
        if (c[0] == 0x84 && c[1] == 0x10)
            return "application/x-msi";
        if (c[0] == 0x82 && c[1] == 0x10)
            return "application/x-ms-mst";
        if (c[0] == 0x86 && c[1] == 0x10)
            return "application/x-ms-msp";
    }
    if (memcmp(c + 8, tail, 8) == 0 && le32(c + 4) == 0) {
        uint32_t d1 = le32(c);
        if (d1 == 0x00020906 || d1 == 0x00020900)
            return "application/msword";
        if (d1 == 0x00020820 || d1 == 0x00020810)
            return "application/vnd.ms-excel";
    }
    static const uint8_t ppt[16] = {0x10, 0x8d, 0x81, 0x64, 0x9b, 0x4f, 0xcf, 0x11,
                                    0x86, 0xea, 0x00, 0xaa, 0x00, 0xb9, 0x29, 0xe8};
    if (memcmp(c, ppt, 16) == 0)
        return "application/vnd.ms-powerpoint";
    return "application/x-ole-storage";
}

/* XSL with a script block: the Microsoft XSLT namespace bound to any prefix, and
 * <prefix:script in the document. */
static bool xsl_with_script(const uint8_t *h, size_t n)
{
    const uint8_t *ns = find_ci(h, n, "urn:schemas-microsoft-com:xslt");
    if (!ns)
        return false;
    /* Walk back from the namespace to `xmlns:PREFIX=` */
    const uint8_t *q = ns;
    while (q > h && q[-1] != '=')
        q--;
    if (q <= h)
        return false;
    const uint8_t *eq = q - 1, *p = eq;
    while (p > h && (isalnum(p[-1]) || p[-1] == '_' || p[-1] == '-' || p[-1] == '.'))
        p--;
    if (p - h < 6 || p[-1] != ':' || strncasecmp((const char *)p - 6, "xmlns:", 6) != 0)
        return false;
    size_t plen = (size_t)(eq - p);
    if (plen == 0 || plen > 32)
        return false;
    char tag[48];
    tag[0] = '<';
    memcpy(tag + 1, p, plen);
    memcpy(tag + 1 + plen, ":script", 8);
    return find_ci(h, n, tag) != NULL;
}

/* Skip a UTF-8 BOM and leading white space. */
static const uint8_t *text_start(const uint8_t *p, size_t *n)
{
    if (*n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        p += 3, *n -= 3;
    while (*n && isspace(*p))
        p++, (*n)--;
    return p;
}

static bool looks_text(const uint8_t *p, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' && p[i] != '\f')
            bad++;
    return n > 0 && bad * 100 <= n; /* at most 1% control bytes */
}

static const char *classify_text(const uint8_t *h0, size_t n0)
{
    size_t n = n0;
    const uint8_t *h = text_start(h0, &n);
    size_t lim = n < 4096 ? n : 4096;
    if (!looks_text(h, lim))
        return NULL;
    const uint8_t *hta = find_ci(h, lim, "<hta:application");
    if (hta && (size_t)(hta - h) + 16 < lim &&
        (isspace(hta[16]) || hta[16] == '>' || hta[16] == '/'))
        return "application/hta";
    if (find_ci(h, lim, "<scriptlet") && (find_ci(h, lim, "<registration") ||
                                          find_ci(h, lim, "<script")))
        return "text/scriptlet";
    if (xsl_with_script(h, lim))
        return "application/xslt+xml";
    if (find_ci(h, lim, "<UsingTask") && find_ci(h, lim, "TaskFactory") &&
        find_ci(h, lim, "schemas.microsoft.com/developer/msbuild"))
        return "application/x-msbuild";
    if (n >= 5 && (strncasecmp((const char *)h, "<?xml", 5) == 0)) {
        if (find_ci(h, lim, "<xsl:stylesheet") || find_ci(h, lim, "XSL/Transform"))
            return "application/xslt+xml";
        if (find_ci(h, lim, "<html"))
            return "text/html";
        if (find_ci(h, lim, "schemas.microsoft.com/developer/msbuild"))
            return "application/x-msbuild";
        return "application/xml";
    }
    /* HTML: a document that starts (after white space) with an HTML construct. */
    static const char *const html_starts[] = {"<!doctype html", "<html", "<head", "<body",
                                              "<title", "<script", "<meta", "<!--", "<iframe",
                                              "<div", "<p>", "<a href"};
    for (size_t i = 0; i < sizeof(html_starts) / sizeof(html_starts[0]); i++) {
        size_t k = strlen(html_starts[i]);
        if (n >= k && strncasecmp((const char *)h, html_starts[i], k) == 0)
            return "text/html";
    }
    if (n && (h[0] == '{' || h[0] == '[')) {
        size_t k = 1;
        while (k < lim && isspace(h[k]))
            k++;
        if (k < lim && (h[k] == '"' || h[k] == '{' || h[k] == '[' || h[k] == '}' || h[k] == ']'))
            return "text/json";
    }
    /* JavaScript that writes into a page; other script text stays text/plain, as in
     * Zeek's signatures (its baselines type "(function(){" as text/plain). */
    static const char *const js_starts[] = {"document.write"};
    for (size_t i = 0; i < sizeof(js_starts) / sizeof(js_starts[0]); i++) {
        size_t k = strlen(js_starts[i]);
        if (n >= k && strncmp((const char *)h, js_starts[i], k) == 0)
            return "application/javascript";
    }
    if (n >= 2 && h[0] == '#' && h[1] == '!')
        return find_ci(h, 64 < lim ? 64 : lim, "python") ? "text/x-python"
                                                          : "text/x-shellscript";
    /* PowerShell: cmdlets and .NET download cradles. */
    if (find_ci(h, lim, "New-Object") || find_ci(h, lim, "Invoke-Expression") ||
        find_ci(h, lim, "IEX ") || find_ci(h, lim, "IEX(") || find_ci(h, lim, "Invoke-WebRequest") ||
        find_ci(h, lim, "DownloadString(") || find_ci(h, lim, "[System.") ||
        find_ci(h, lim, "Start-Process"))
        return "text/x-powershell";
    if (find_ci(h, lim, "CreateObject(") || find_ci(h, lim, "WScript.") ||
        find_ci(h, lim, "On Error Resume Next"))
        return find_ci(h, lim, "ActiveXObject") ? "application/javascript" : "text/vbscript";
    if (find_ci(h, lim, "@echo off") || find_ci(h, lim < 64 ? lim : 64, "rem "))
        return "text/x-msdos-batch";
    return "text/plain";
}

static const char *classify_zip(const uint8_t *h, size_t n)
{
    if (find_ci(h, n, "[Content_Types].xml") || find_ci(h, n, "_rels/.rels")) {
        if (find_ci(h, n, "word/"))
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        if (find_ci(h, n, "xl/"))
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        if (find_ci(h, n, "ppt/"))
            return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    }
    if (find_ci(h, n, "META-INF/MANIFEST.MF"))
        return "application/java-archive";
    return "application/zip";
}

/* Images, audio, video and fonts by their magic: what a disguised payload is not (the
 * staging rule asks whether "image/png" bytes are any media at all). */
static const char *media_type_of(const uint8_t *h, size_t n)
{
    if (n >= 12 && memcmp(h, "RIFF", 4) == 0) {
        if (memcmp(h + 8, "WEBP", 4) == 0)
            return "image/webp";
        if (memcmp(h + 8, "WAVE", 4) == 0)
            return "audio/x-wav";
        if (memcmp(h + 8, "AVI ", 4) == 0)
            return "video/x-msvideo";
    }
    if (n >= 12 && memcmp(h + 4, "ftyp", 4) == 0) { /* ISO base media: the major brand */
        const uint8_t *b = h + 8;
        if (!memcmp(b, "heic", 4) || !memcmp(b, "heix", 4) || !memcmp(b, "mif1", 4))
            return "image/heic";
        if (!memcmp(b, "avif", 4))
            return "image/avif";
        if (!memcmp(b, "M4A ", 4))
            return "audio/mp4";
        if (!memcmp(b, "qt  ", 4))
            return "video/quicktime";
        return "video/mp4";
    }
    if (n >= 4 && memcmp(h, "\x1a\x45\xdf\xa3", 4) == 0)
        return "video/webm"; /* Matroska / WebM (EBML) */
    if (n >= 4 && memcmp(h, "OggS", 4) == 0)
        return "audio/ogg";
    if (n >= 4 && memcmp(h, "fLaC", 4) == 0)
        return "audio/flac";
    if (n >= 3 && memcmp(h, "ID3", 3) == 0)
        return "audio/mpeg";
    if (n >= 4 && h[0] == 0xff && (h[1] & 0xe0) == 0xe0) {
        /* An MPEG audio frame header with no ID3 tag before it: sync, a valid layer,
         * bitrate and sample rate (ADTS AAC: layer 0, a valid sampling index). */
        unsigned layer = (h[1] >> 1) & 3, rate = h[2] >> 4, freq = (h[2] >> 2) & 3;
        if (layer != 0 && rate != 0xf && freq != 3)
            return "audio/mpeg";
        if (layer == 0 && (h[1] & 0xf6) == 0xf0 && ((h[2] >> 2) & 0xf) < 13)
            return "audio/aac";
    }
    if (n >= 4 && memcmp(h, "wOFF", 4) == 0)
        return "font/woff";
    if (n >= 4 && memcmp(h, "wOF2", 4) == 0)
        return "font/woff2";
    if (n >= 4 && memcmp(h, "OTTO", 4) == 0)
        return "font/otf";
    if (n >= 4 && (memcmp(h, "II*\0", 4) == 0 || memcmp(h, "MM\0*", 4) == 0))
        return "image/tiff";
    if (n >= 14 && h[0] == 'B' && h[1] == 'M' && le32(h + 6) == 0 && le32(h + 10) >= 26 &&
        le32(h + 10) < 4096)
        return "image/bmp"; /* "BM", reserved words 0, a plausible pixel offset */
    if (n >= 22 && le16(h) == 0 && le16(h + 2) == 1 && le16(h + 4) >= 1 && le16(h + 4) <= 64 &&
        h[9] == 0 && le32(h + 18) >= 6 + 16u * le16(h + 4))
        return "image/vnd.microsoft.icon"; /* ICONDIR, then the first entry's offset */
    return NULL;
}

/* Classify from the head (and the probe, once filled).  Returns NULL when undecided;
 * then want_off and want_len say which bytes beyond the head would decide it.  `final`:
 * no more bytes will come. */
static const char *classify(const uint8_t *h, size_t n, const struct probe *pr, bool final,
                            uint64_t *want_off, uint8_t *want_len)
{
    *want_len = 0;
    if (n == 0)
        return NULL;
    static const uint8_t ole[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
    if (n >= 0x34 && memcmp(h, ole, 8) == 0) {
        unsigned shift = le16(h + 0x1e);
        uint32_t sect = le32(h + 0x30);
        if (shift < 7 || shift > 16 || sect >= 0xfffffffa)
            return "application/x-ole-storage";
        uint64_t off = (((uint64_t)sect + 1) << shift) + 0x50;
        if (off + 16 <= n)
            return ole_by_clsid(h + off);
        if (pr->active && pr->off == off && pr->have == 16)
            return ole_by_clsid(pr->buf);
        if (final || off > FILE_PROBE_MAX_OFFSET)
            return "application/x-ole-storage";
        *want_off = off;
        *want_len = 16;
        return NULL;
    }
    if (n >= 2 && h[0] == 'M' && h[1] == 'Z') {
        if (n < 0x40)
            return final ? NULL : NULL;
        uint32_t lfanew = le32(h + 0x3c);
        static const uint8_t pe[4] = {'P', 'E', 0, 0};
        if ((uint64_t)lfanew + 4 <= n)
            return memcmp(h + lfanew, pe, 4) == 0 ? "application/x-dosexec" : NULL;
        if (pr->active && pr->off == lfanew && pr->have == 4)
            return memcmp(pr->buf, pe, 4) == 0 ? "application/x-dosexec" : NULL;
        if (final || lfanew > FILE_PROBE_MAX_OFFSET)
            return NULL;
        *want_off = lfanew;
        *want_len = 4;
        return NULL;
    }
    if (n >= 8 && memcmp(h, "MSCF\0\0\0\0", 8) == 0)
        return "application/vnd.ms-cab-compressed";
    if (n >= 4 && memcmp(h, "PK\x03\x04", 4) == 0)
        return classify_zip(h, n);
    static const uint8_t lnk[20] = {0x4c, 0, 0, 0, 1, 0x14, 2, 0, 0, 0, 0, 0, 0xc0,
                                    0, 0, 0, 0, 0, 0, 0x46};
    if (n >= 20 && memcmp(h, lnk, 20) == 0)
        return "application/x-ms-shortcut";
    if (n >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff)
        return "image/jpeg";
    if (n >= 6 && (memcmp(h, "GIF87a", 6) == 0 || memcmp(h, "GIF89a", 6) == 0))
        return "image/gif";
    const char *media = media_type_of(h, n);
    if (media)
        return media;
    if (n >= 3 && (memcmp(h, "FWS", 3) == 0 || memcmp(h, "CWS", 3) == 0 ||
                   memcmp(h, "ZWS", 3) == 0))
        return "application/x-shockwave-flash";
    if (n >= 5 && memcmp(h, "%PDF-", 5) == 0)
        return "application/pdf";
    if (n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8)
        return "application/x-gzip";
    if (n >= 6 && memcmp(h, "7z\xbc\xaf\x27\x1c", 6) == 0)
        return "application/x-7z-compressed";
    if (n >= 6 && memcmp(h, "Rar!\x1a\x07", 6) == 0)
        return "application/x-rar";
    if (n >= 12 && h[0] == 0x30 && (h[1] == 0x82 || h[1] == 0x81)) {
        /* DER: Certificate or CertificateList (RFC 5280), OCSP response (RFC 6960). */
        size_t i = h[1] == 0x82 ? 4 : 3;
        if (h[i] == 0x0a)
            return "application/ocsp-response";
        if (h[i] == 0x30) {
            uint8_t l = h[i + 1];
            size_t j = i + 2 + (l == 0x82 ? 2 : l == 0x81 ? 1 : 0);
            if (j + 3 <= n && h[j] == 0xa0)
                return "application/x-x509-ca-cert"; /* tbsCertificate opens with [0] version */
            if (j + 3 <= n && h[j] == 0x02 && h[j + 1] == 0x01 && h[j + 2] == 0x01)
                return "application/pkix-crl";       /* tbsCertList: version v2 */
        }
    }
    if (n >= 4 && memcmp(h, "\x7f" "ELF", 4) == 0)
        return "application/x-executable";
    if (n >= 4 && memcmp(h, "\xe4\x52\x5c\x7b", 4) == 0)
        return "application/onenote";
    if (n >= 8 && memcmp(h, "vhdxfile", 8) == 0)
        return "application/x-vhdx";
    if (n >= 16) {
        /* ISO 9660: the first 32 KB are the system area, usually zeros. */
        bool zeros = true;
        for (size_t i = 0; i < 16 && zeros; i++)
            zeros = h[i] == 0;
        if (zeros) {
            if (n >= 32774 && memcmp(h + 32769, "CD001", 5) == 0)
                return "application/x-iso9660-image";
            if (pr->active && pr->off == 32769 && pr->have == 5)
                return memcmp(pr->buf, "CD001", 5) == 0 ? "application/x-iso9660-image" : NULL;
            if (!final) {
                *want_off = 32769;
                *want_len = 5;
            }
            return NULL;
        }
    }
    return classify_text(h, n);
}

/* ---- content markers -------------------------------------------------------------- */

const char *file_marker_name(unsigned i)
{
    static const char *const names[FILE_MARK_COUNT] = {"shell-exec", "downloader", "encoded",
                                                       "activex", "dll", "dotnet",
                                                       "xsl-script", "inline-task"};
    return i < FILE_MARK_COUNT ? names[i] : NULL;
}

static bool any_ci(const uint8_t *h, size_t n, const char *const *needles, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (find_ci(h, n, needles[i]))
            return true;
    return false;
}

/* PE: DLL bit of the COFF characteristics, CLR runtime header (data directory 14). */
static uint32_t pe_markers(const uint8_t *h, size_t n)
{
    if (n < 0x40)
        return 0;
    uint64_t nt = le32(h + 0x3c);
    if (nt + 0x18 + 2 > n || memcmp(h + nt, "PE\0\0", 4) != 0)
        return 0;
    uint32_t m = 0;
    if (le16(h + nt + 0x16) & 0x2000)
        m |= FILE_MARK_DLL;
    uint16_t magic = le16(h + nt + 0x18);
    uint64_t clr = nt + (magic == 0x20b ? 0xf8 : 0xe8);
    if ((magic == 0x10b || magic == 0x20b) && clr + 8 <= n && le32(h + clr) && le32(h + clr + 4))
        m |= FILE_MARK_DOTNET;
    return m;
}

uint32_t file_markers(const uint8_t *p, size_t len, const char *mime)
{
    if (!mime)
        return 0;
    if (strcmp(mime, "application/x-dosexec") == 0)
        return pe_markers(p, len);
    if (strncmp(mime, "text/", 5) != 0 && strcmp(mime, "application/hta") != 0 &&
        strcmp(mime, "application/xslt+xml") != 0 && strcmp(mime, "application/xml") != 0 &&
        strcmp(mime, "application/javascript") != 0 && strcmp(mime, "application/x-msbuild") != 0)
        return 0;
    size_t n = len < FILE_HEAD_BYTES ? len : FILE_HEAD_BYTES;
    static const char *const shell[] = {"WScript.Shell", "Shell.Application", "ShellExecute",
                                        "cmd.exe /c", "cmd /c", "powershell -", "powershell.exe",
                                        "Start-Process", "Process.Start"};
    static const char *const dl[] = {"DownloadString", "DownloadFile", "DownloadData",
                                     "Net.WebClient", "Invoke-WebRequest", "XMLHTTP",
                                     "WinHttpRequest", "Start-BitsTransfer", "bitsadmin",
                                     "certutil", "ADODB.Stream"};
    static const char *const enc[] = {"FromBase64String", "-EncodedCommand", "-enc ", "-e JAB",
                                      "atob("};
    static const char *const ax[] = {"ActiveXObject", "CreateObject(", "GetObject("};
    uint32_t m = 0;
    if (any_ci(p, n, shell, sizeof(shell) / sizeof(shell[0])))
        m |= FILE_MARK_SHELL_EXEC;
    if (any_ci(p, n, dl, sizeof(dl) / sizeof(dl[0])))
        m |= FILE_MARK_DOWNLOADER;
    if (any_ci(p, n, enc, sizeof(enc) / sizeof(enc[0])))
        m |= FILE_MARK_ENCODED;
    if (any_ci(p, n, ax, sizeof(ax) / sizeof(ax[0])))
        m |= FILE_MARK_ACTIVEX;
    if (xsl_with_script(p, n))
        m |= FILE_MARK_XSL_SCRIPT;
    if (find_ci(p, n, "<UsingTask") && find_ci(p, n, "TaskFactory"))
        m |= FILE_MARK_INLINE_TASK;
    return m;
}

const char *file_magic(const uint8_t *p, size_t len)
{
    struct probe pr = {0};
    uint64_t off;
    uint8_t wl;
    return classify(p, len, &pr, true, &off, &wl);
}

/* ---- streaming ---------------------------------------------------------------------- */

/* Which hashes bodies get (files_set_hashes): payloads (executables, scripts, archives,
 * documents, installers, unknown bytes) and display content (images, audio, video,
 * fonts, HTML, CSS), as bits 1 MD5, 2 SHA-1, 4 SHA-256. */
static unsigned hash_payload = FILE_HASH_PAYLOAD_DEFAULT, hash_display = FILE_HASH_DISPLAY_DEFAULT;

void files_set_hashes(unsigned payload, unsigned display)
{
    hash_payload = payload & FILE_HASH_ALL;
    hash_display = display & FILE_HASH_ALL;
}

static bool display_type(const char *m)
{
    static const char *const pre[] = {"image/", "audio/", "video/", "font/"};
    if (!m)
        return false;
    for (size_t i = 0; i < ARRAY_LEN(pre); i++)
        if (strncmp(m, pre[i], strlen(pre[i])) == 0)
            return true;
    return strcmp(m, "text/html") == 0 || strcmp(m, "text/css") == 0;
}

/* The type is known: drop the hashes its class does not call for. */
static void hash_policy(struct file_state *fs)
{
    unsigned keep = display_type(fs->mime) ? hash_display : hash_payload;
    for (int i = 0; i < 3; i++)
        if (fs->md[i] && !(keep & (1u << i))) {
            EVP_MD_CTX_free(fs->md[i]);
            fs->md[i] = NULL;
            lw_stats.files_hashes_skipped++;
        }
    if (!fs->md[0] && !fs->md[1] && !fs->md[2])
        fs->hashing = false;
}

static void try_type(struct file_state *fs, bool final)
{
    if (fs->typed || fs->info.offset != 0)
        return;
    uint64_t off;
    uint8_t wl;
    const char *m = classify(fs->head, fs->head_len, &fs->probe, final, &off, &wl);
    if (m || final || (!wl && fs->head_len == FILE_HEAD_BYTES)) {
        fs->mime = m;
        fs->typed = true;
        hash_policy(fs);
        return;
    }
    if (wl && !(fs->probe.active && fs->probe.off == off)) {
        memset(&fs->probe, 0, sizeof(fs->probe));
        fs->probe.active = true;
        fs->probe.off = off;
        fs->probe.len = wl;
    }
}

/* Decoded bytes of the file, at file position fs->info.seen_bytes (+ offset). */
static void analyse(struct file_state *fs, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    uint64_t pos = fs->info.seen_bytes + fs->info.missing_bytes; /* position in the body */
    if (fs->head_len < FILE_HEAD_BYTES && pos == fs->head_len) {
        size_t k = FILE_HEAD_BYTES - fs->head_len;
        if (k > n)
            k = n;
        memcpy(fs->head + fs->head_len, p, k);
        fs->head_len += k;
    }
    struct probe *pr = &fs->probe;
    if (pr->active && pr->have < pr->len) {
        uint64_t want = pr->off + pr->have;
        if (want >= pos && want < pos + n) {
            size_t k = (size_t)(pos + n - want);
            if (k > (size_t)(pr->len - pr->have))
                k = pr->len - pr->have;
            memcpy(pr->buf + pr->have, p + (want - pos), k);
            pr->have = (uint8_t)(pr->have + k);
        }
    }
    if (fs->hashing)
        for (int i = 0; i < 3; i++)
            if (fs->md[i])
                EVP_DigestUpdate(fs->md[i], p, n);
    if (fs->info.body)
        keep(fs, pos, p, n);
    fs->info.seen_bytes += n;
    if (!fs->typed && (fs->head_len == FILE_HEAD_BYTES || (pr->active && pr->have == pr->len)))
        try_type(fs, false);
}

static void parse_codings(struct file_state *fs, const char *list);

struct file_state *file_begin(struct flow *f, bool is_orig, int64_t ts, uint32_t depth,
                              const char *filename, uint64_t total, uint64_t offset,
                              bool is_range, const char *encoding)
{
    struct file_state *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return NULL;
    /* the fuid: the connection's uid and the file's ordinal in it (util.h) */
    struct {
        char uid[FLOW_UID_LEN];
        uint32_t nth;
    } id;
    memset(&id, 0, sizeof(id));
    if (f) {
        memcpy(id.uid, f->uid, sizeof(id.uid));
        id.nth = f->files_begun++;
    }
    uid_derive(fuid_seed, 'F', &id, sizeof(id), fs->info.fuid);
    fs->info.ts = fs->info.last_ts = ts;
    fs->info.source = "HTTP";
    fs->info.depth = depth;
    fs->info.is_orig = is_orig;
    fs->info.total_bytes = total;
    fs->info.offset = offset;
    fs->info.is_range = is_range;
    if (filename)
        fs->info.filename = strdup(filename);
    /* The type is not known yet: every hash either policy may want is started; those
     * the type does not call for are dropped once it is known (hash_policy). */
    unsigned want = hash_payload | hash_display;
    fs->hashing = offset == 0 && want;
    if (fs->hashing) {
        const EVP_MD *md[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
        for (int i = 0; i < 3; i++) {
            if (!(want & (1u << i)))
                continue;
            fs->md[i] = EVP_MD_CTX_new();
            if (!fs->md[i] || !EVP_DigestInit_ex(fs->md[i], md[i], NULL))
                fs->hashing = false;
        }
    }
    if (encoding)
        parse_codings(fs, encoding);
    if (keep_max && offset == 0)
        fs->info.body = calloc(1, sizeof(*fs->info.body)); /* NULL: not kept, like a cut */
    return fs;
}

static void decode_fail(struct file_state *fs, const char *why)
{
    fs->info.decode_failed = true;
    fs->inflating = false;
    fs->hashing = false;
    lw_stats.files_decode_failed++;
    (void)why;
}

/* The Content-Encoding list ("gzip, deflate", several headers joined by commas), in the
 * order applied; decoding runs it backwards.  Codings are separated by commas, spaces
 * or semicolons ("gzip x", "deflate;"), as lenient readers take them; identity and
 * codings nobody knows ("x", "foo") are skipped, as browsers skip them.  br, compress
 * and zstd are real codings we cannot undo: the body is then not typed or hashed. */
static void parse_codings(struct file_state *fs, const char *list)
{
    int n = 0, kinds[FILE_MAX_CODINGS];
    const char *p = list;
    while (*p) {
        while (*p && strchr(", ;\t\r\n", *p))
            p++;
        const char *e = p;
        while (*e && !strchr(", ;\t\r\n", *e))
            e++;
        size_t k = (size_t)(e - p);
#define TOKEN(s) (k == sizeof(s) - 1 && !strncasecmp(p, s, k))
        if (k == 0) {
            break;
        } else if (TOKEN("gzip") || TOKEN("x-gzip") || TOKEN("deflate") ||
                   TOKEN("x-deflate") || TOKEN("lzma")) {
            if (n == FILE_MAX_CODINGS) {
                decode_fail(fs, "too many codings");
                return;
            }
            /* gzip and deflate share a decoder (zlib, gzip or raw: detected) */
            kinds[n++] = TOKEN("lzma") ? CODEC_LZMA : CODEC_ZLIB;
        } else if (!TOKEN("identity")) {
            lw_stats.files_decode_unsupported++;
            if (TOKEN("br") || TOKEN("compress") || TOKEN("x-compress") || TOKEN("zstd")) {
                fs->info.decode_failed = true;
                fs->hashing = false;
                fs->typed = true; /* compressed bytes: their type says nothing */
                return;
            }
            fs->coding_ignored = true;
        }
#undef TOKEN
        p = e;
    }
    if (n && !(fs->codec = calloc((size_t)n, sizeof(*fs->codec)))) {
        decode_fail(fs, "out of memory");
        return;
    }
    /* The list is in the order applied: codec[0] must undo the last one. */
    for (int i = 0; i < n; i++)
        fs->codec[i].kind = kinds[n - 1 - i];
    fs->ncodec = n;
    fs->inflating = n > 0;
}

bool file_coding_ignored(const struct file_state *fs)
{
    return fs && fs->coding_ignored;
}

static void push(struct file_state *fs, int level, const uint8_t *data, size_t len);

/* Length of a gzip member header (RFC 1952 §2.3) at `p`, or 0 if it does not fit. */
static size_t gzip_header_len(const uint8_t *p, size_t n)
{
    uint8_t flg = p[3];
    size_t i = 10;
    if (flg & 4) { /* FEXTRA */
        if (i + 2 > n)
            return 0;
        i += 2 + (size_t)(p[i] | p[i + 1] << 8);
    }
    for (int bit = 8; bit <= 16; bit <<= 1) /* FNAME, FCOMMENT: zero-terminated */
        if (flg & bit) {
            while (i < n && p[i])
                i++;
            i++;
        }
    if (flg & 2) /* FHCRC */
        i += 2;
    return i <= n ? i : 0;
}

/* Bytes decoded by one level: counted against the bomb caps, then passed inwards. */
static bool level_out(struct file_state *fs, struct codec *c, int level, const uint8_t *out,
                      size_t got)
{
    c->out += got;
    if (c->out > FILE_MAX_DECODED ||
        (c->out > (1u << 20) && c->out / (fs->in_bytes + 1) > FILE_MAX_RATIO)) {
        lw_stats.files_decode_capped++;
        fs->info.overflow_bytes += got;
        decode_fail(fs, "cap");
        return false;
    }
    push(fs, level + 1, out, got);
    return true;
}

/* The bytes are not in the declared coding at all (it fails on its first bytes): pass
 * them on as they are, as browsers and libhtp do ("Content-Encoding: gzip" on a plain
 * body); the HTTP layer names it (HTTP_content_encoding_not_applied). */
static void level_passthrough(struct file_state *fs, struct codec *c, int level)
{
    c->passthrough = true;
    fs->coding_ignored = true;
    lw_stats.files_decode_passthrough++;
    push(fs, level + 1, c->pre, c->pre_len);
}

/* Keep the level's first input (see pre); true while all of it is kept. */
static bool level_keep(struct codec *c, const uint8_t *data, size_t len)
{
    if (c->out == 0 && c->in == c->pre_len && c->pre_len + len <= sizeof(c->pre)) {
        memcpy(c->pre + c->pre_len, data, len);
        c->pre_len += len;
    }
    c->in += len;
    return c->in == c->pre_len;
}

/* Undo one lzma coding (the "alone" format: properties, dictionary size, length). */
static void lzma_level(struct file_state *fs, int level, const uint8_t *data, size_t len)
{
    struct codec *c = &fs->codec[level];
    if (!c->init) {
        c->lz = (lzma_stream)LZMA_STREAM_INIT;
        if (lzma_alone_decoder(&c->lz, FILE_LZMA_MEMLIMIT) != LZMA_OK) {
            decode_fail(fs, "lzma init");
            return;
        }
        c->init = true;
    }
    uint8_t out[16384];
    c->lz.next_in = data;
    c->lz.avail_in = len;
    bool kept = level_keep(c, data, len);
    while (c->lz.avail_in > 0 && fs->inflating) {
        c->lz.next_out = out;
        c->lz.avail_out = sizeof(out);
        lzma_ret rc = lzma_code(&c->lz, LZMA_RUN);
        size_t got = sizeof(out) - c->lz.avail_out;
        if (got && !level_out(fs, c, level, out, got))
            return;
        if (rc == LZMA_STREAM_END) {
            c->ended = true;
            return;
        }
        if (rc != LZMA_OK) {
            if (c->out == 0 && kept)
                level_passthrough(fs, c, level);
            else if (rc == LZMA_MEMLIMIT_ERROR) {
                lw_stats.files_decode_capped++;
                decode_fail(fs, "lzma memory");
            } else if (c->out > 0)
                c->ended = true; /* a truncated or corrupt end: keep what decoded */
            else
                decode_fail(fs, "corrupt");
            return;
        }
    }
}

/* Undo one zlib coding: zlib or gzip headers detected (15+32); "deflate" sent raw (no
 * zlib header, a common server bug) is retried as raw deflate.  A corrupt trailer (CRC
 * or length) after the data is tolerated, as browsers do. */
static void inflate_level(struct file_state *fs, int level, const uint8_t *data, size_t len)
{
    struct codec *c = &fs->codec[level];
    if (!c->init) {
        if (inflateInit2(&c->z, 15 + 32) != Z_OK) {
            decode_fail(fs, "zlib init");
            return;
        }
        c->init = true;
    }
    uint8_t out[16384];
    c->z.next_in = (Bytef *)data;
    c->z.avail_in = (uInt)len;
    bool kept = level_keep(c, data, len);
    while (c->z.avail_in > 0 && fs->inflating) {
        c->z.next_out = out;
        c->z.avail_out = sizeof(out);
        int rc = inflate(&c->z, Z_NO_FLUSH);
        size_t got = sizeof(out) - c->z.avail_out;
        if (got && !level_out(fs, c, level, out, got))
            return;
        if (rc == Z_STREAM_END) {
            c->ended = true;
            return;
        }
        if (rc == Z_DATA_ERROR && !c->raw_tried && c->out == 0 && kept) {
            /* Retry as raw deflate: from the start (a "deflate" body without its zlib
             * header), or past a gzip header zlib refused (reserved flag bits set:
             * browsers ignore them). */
            c->raw_tried = true;
            inflateEnd(&c->z);
            if (inflateInit2(&c->z, -15) != Z_OK) {
                c->init = false;
                decode_fail(fs, "zlib init");
                return;
            }
            const uint8_t *all = c->pre;
            size_t n = c->pre_len;
            size_t skip = n >= 10 && all[0] == 0x1f && all[1] == 0x8b ? gzip_header_len(all, n) : 0;
            c->z.next_in = (Bytef *)all + skip;
            c->z.avail_in = (uInt)(n - skip);
            continue;
        }
        if (rc == Z_DATA_ERROR && c->out > 0 && c->z.msg &&
            (strstr(c->z.msg, "check") || strstr(c->z.msg, "length"))) {
            c->ended = true; /* a bad CRC or length trailer: the data was fine */
            return;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            if (c->out == 0 && kept)
                level_passthrough(fs, c, level);
            else
                decode_fail(fs, "corrupt");
            return;
        }
        if (rc == Z_BUF_ERROR && got == 0)
            break;
    }
}

static void push(struct file_state *fs, int level, const uint8_t *data, size_t len)
{
    if (level >= fs->ncodec) {
        fs->out_bytes += len;
        analyse(fs, data, len);
        return;
    }
    struct codec *c = &fs->codec[level];
    if (c->passthrough)
        push(fs, level + 1, data, len);
    else if (c->ended)
        return; /* trailing bytes after the compressed stream are ignored */
    else if (c->kind == CODEC_LZMA)
        lzma_level(fs, level, data, len);
    else
        inflate_level(fs, level, data, len);
}

void file_data(struct file_state *fs, const uint8_t *data, size_t len, int64_t ts)
{
    if (!fs || !len)
        return;
    fs->info.last_ts = ts;
    if (fs->inflating) {
        fs->in_bytes += len;
        push(fs, 0, data, len);
    } else if (!fs->info.decode_failed) {
        analyse(fs, data, len);
    }
}

void file_gap(struct file_state *fs, uint64_t len)
{
    if (!fs || !len)
        return;
    fs->info.missing_bytes += len;
    fs->hashing = false;
    if (fs->inflating) {
        decode_fail(fs, "gap"); /* a compressed stream cannot resume after a gap */
        return;
    }
    /* A gap inside the head: type what was seen before it. */
    if (!fs->typed && fs->head_len < FILE_HEAD_BYTES)
        try_type(fs, true);
}

bool file_decoded_len(const struct file_state *fs, uint64_t *len)
{
    if (!fs->ncodec)
        return false;
    *len = fs->out_bytes;
    return true;
}

void file_timedout(struct file_state *fs)
{
    if (fs)
        fs->info.timedout = true;
}

const char *file_fuid(const struct file_state *fs)
{
    return fs->info.fuid;
}

/* Shannon entropy of the bytes, in bits per byte (0 to 8): random or encrypted bytes
 * give nearly 8, text 4 to 5. */
static double entropy(const uint8_t *p, size_t n)
{
    uint32_t count[256] = {0};
    for (size_t i = 0; i < n; i++)
        count[p[i]]++;
    double h = 0;
    for (int i = 0; i < 256; i++) {
        if (!count[i])
            continue;
        double q = (double)count[i] / (double)n;
        h -= q * log2(q);
    }
    return round(h * 1e6) / 1e6; /* as Zeek writes doubles: six decimals */
}

const char *file_end(struct file_state *fs, const struct flow *f, int64_t ts,
                     struct file_summary *out)
{
    if (!fs)
        return NULL;
    for (int i = 0; i < fs->ncodec; i++) {
        if (!fs->codec[i].init)
            continue;
        if (fs->codec[i].kind == CODEC_LZMA)
            lzma_end(&fs->codec[i].lz);
        else
            inflateEnd(&fs->codec[i].z);
    }
    try_type(fs, true);
    fs->info.mime_type = fs->mime;
    if (fs->info.offset == 0)
        fs->info.markers = file_markers(fs->head, fs->head_len, fs->mime);
    fs->info.entropy = fs->head_len ? entropy(fs->head, fs->head_len) : -1;
    if (ts > fs->info.last_ts)
        fs->info.last_ts = ts;
    /* A range of a larger file is not hashed: its hash would match nothing anyone can
     * look up.  (A body cut short is, like Zeek: what arrived is what the client has.) */
    bool whole = !fs->info.is_range || fs->info.seen_bytes == fs->info.total_bytes;
    if (fs->hashing && whole && fs->info.seen_bytes > 0 && !fs->info.missing_bytes) {
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned mdlen;
        char *outs[3] = {fs->info.md5, fs->info.sha1, fs->info.sha256};
        for (int i = 0; i < 3; i++) {
            if (!fs->md[i])
                continue; /* not wanted for this type ("" in the log: unset) */
            EVP_DigestFinal_ex(fs->md[i], md, &mdlen);
            hex_encode(md, mdlen, outs[i]);
        }
        fs->info.hashed = true;
    }
    for (int i = 0; i < 3; i++)
        EVP_MD_CTX_free(fs->md[i]);
    lw_stats.files_seen++;
    if (sink)
        sink(sink_ctx, f, &fs->info);
    if (out) {
        out->mime = fs->mime;
        out->size = fs->info.seen_bytes;
        out->offset = fs->info.offset;
        out->markers = fs->info.markers;
        out->entropy = fs->info.entropy;
        out->head_len = (uint32_t)fs->head_len;
        out->hashed = fs->info.hashed;
        memcpy(out->md5, fs->info.md5, sizeof(out->md5));
        memcpy(out->sha1, fs->info.sha1, sizeof(out->sha1));
        memcpy(out->sha256, fs->info.sha256, sizeof(out->sha256));
    }
    const char *mime = fs->mime;
    if (fs->info.body) {
        files_body_free(fs->info.body->p, fs->info.body->cap);
        free(fs->info.body);
    }
    free(fs->info.filename);
    free(fs->codec);
    free(fs);
    return mime;
}
