/* capture.c: libpcap-backed packet sources (files, stdin, live interfaces). */
#define _GNU_SOURCE
#include "capture/capture.h"

#include "core/config.h"

#include <dirent.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define LIVE_IDLE_MS 200 /* a quiet live source reports idle this often */

struct capture {
    pcap_t *pcap;
    char *name;
    bool live;
    int fd;                     /* live: the selectable descriptor, or -1 */
    char *iobuf;                /* a file's stdio buffer (freed after pcap_close) */
    char err[PCAP_ERRBUF_SIZE + 64];
};

/* Install the filter; on failure close the source and return NULL. */
static struct capture *finish_open(struct capture *c, const char *bpf, bool *bad_filter,
                                   char *err, size_t errlen);

static bool apply_filter(struct capture *c, const char *bpf, bool *bad_filter, char *err,
                         size_t errlen)
{
    struct bpf_program prog;
    if (!bpf || !*bpf)
        return true;
    if (pcap_compile(c->pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad capture filter '%s': %s", bpf, pcap_geterr(c->pcap));
        *bad_filter = true;
        return false;
    }
    int rc = pcap_setfilter(c->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, errlen, "cannot set capture filter: %s", pcap_geterr(c->pcap));
        *bad_filter = true;
        return false;
    }
    return true;
}

/* gzip-compressed captures (foo.pcap.gz) are read through zlib, via a stdio cookie. */
static ssize_t gz_read(void *cookie, char *buf, size_t n)
{
    int r = gzread((gzFile)cookie, buf, n > INT32_MAX ? INT32_MAX : (unsigned)n);
    return r < 0 ? -1 : r;
}

static int gz_close(void *cookie)
{
    return gzclose((gzFile)cookie) == Z_OK ? 0 : -1;
}

static bool is_gzip(const char *path)
{
    uint8_t m[2];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool gz = fread(m, 1, 2, f) == 2 && m[0] == 0x1f && m[1] == 0x8b;
    fclose(f);
    return gz;
}

/* A capture file, read through stdio with a CAPTURE_READ_BUFFER buffer (`*iobuf`, to be
 * freed after pcap_close) instead of the 4 KiB default: a read(2) per megabyte, not per
 * page.  Standard input and gzip files keep their own paths. */
static pcap_t *open_offline(const char *path, char *ebuf, char **iobuf)
{
    *iobuf = NULL;
    if (strcmp(path, "-") != 0 && is_gzip(path)) {
        gzFile gz = gzopen(path, "rb");
        if (!gz) {
            snprintf(ebuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
            return NULL;
        }
        gzbuffer(gz, 1 << 17);
        cookie_io_functions_t io = {.read = gz_read, .close = gz_close};
        FILE *f = fopencookie(gz, "r", io);
        if (!f) {
            gzclose(gz);
            snprintf(ebuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
            return NULL;
        }
        pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
        if (!p)
            fclose(f);
        return p;
    }
    if (strcmp(path, "-") == 0)
        return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(ebuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
        return NULL;
    }
    *iobuf = malloc(CAPTURE_READ_BUFFER);
    if (*iobuf)
        setvbuf(f, *iobuf, _IOFBF, CAPTURE_READ_BUFFER);
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (!p) {
        fclose(f);
        free(*iobuf);
        *iobuf = NULL;
    }
    return p;
}

struct capture *capture_open_file(const char *path, const char *bpf, bool *bad_filter,
                                  char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    *bad_filter = false;
    struct capture *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->name = strdup(path);
    c->pcap = open_offline(path, ebuf, &c->iobuf);
    if (!c->pcap) {
        snprintf(err, errlen, "cannot read capture '%s': %s", path, ebuf);
        capture_close(c);
        return NULL;
    }
    return finish_open(c, bpf, bad_filter, err, errlen);
}

struct capture *capture_open_live(const char *iface, const char *bpf, int snaplen,
                                  bool *bad_filter, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    *bad_filter = false;
    struct capture *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->name = strdup(iface);
    c->live = true;
    c->fd = -1;
    c->pcap = pcap_create(iface, ebuf);
    if (!c->pcap) {
        snprintf(err, errlen, "cannot open interface '%s': %s", iface, ebuf);
        capture_close(c);
        return NULL;
    }
    pcap_set_snaplen(c->pcap, snaplen);
    pcap_set_promisc(c->pcap, 1);
    pcap_set_timeout(c->pcap, LIVE_IDLE_MS);
    pcap_set_buffer_size(c->pcap, 64 << 20);
    pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(c->pcap);
    if (rc < 0) {
        const char *why = pcap_geterr(c->pcap);
        if (rc == PCAP_ERROR_PERM_DENIED)
            snprintf(err, errlen, "no permission to capture on '%s' (run as root or grant "
                     "CAP_NET_RAW): %s", iface, why);
        else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            snprintf(err, errlen, "no such interface '%s': %s", iface, why);
        else
            snprintf(err, errlen, "cannot capture on '%s': %s", iface, why);
        capture_close(c);
        return NULL;
    }
    /* Non-blocking with our own poll(): with TPACKET_V3, a blocking read on a quiet
     * interface does not return at the timeout, and idle time must still reach the flow
     * timers and the --follow reader. */
    c->fd = pcap_get_selectable_fd(c->pcap);
    if (c->fd >= 0 && pcap_setnonblock(c->pcap, 1, ebuf) != 0)
        c->fd = -1;
    return finish_open(c, bpf, bad_filter, err, errlen);
}

static struct capture *finish_open(struct capture *c, const char *bpf, bool *bad_filter,
                                   char *err, size_t errlen)
{
    if (!apply_filter(c, bpf, bad_filter, err, errlen)) {
        capture_close(c);
        return NULL;
    }
    return c;
}

static void discard_one(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    (void)h, (void)bytes;
    (*(uint64_t *)(void *)user)++;
}

bool capture_join_fanout(struct capture *c, uint16_t group, uint64_t *discarded, char *err,
                         size_t errlen)
{
    *discarded = 0;
    int fd = c->live ? pcap_fileno(c->pcap) : -1;
    int arg = group | (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
    if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
        snprintf(err, errlen, "cannot join PACKET_FANOUT group %u on '%s': %s", group, c->name,
                 fd < 0 ? "not a live socket" : strerror(errno));
        return false;
    }
    while (pcap_dispatch(c->pcap, -1, discard_one, (u_char *)(void *)discarded) > 0)
        ;
    return true;
}

enum capture_status capture_next(struct capture *c, struct packet *pkt)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(c->pcap, &h, &data);
    if (rc == 0 && c->live && c->fd >= 0) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (poll(&pfd, 1, LIVE_IDLE_MS) > 0)
            rc = pcap_next_ex(c->pcap, &h, &data);
    }
    switch (rc) {
    case 1:
        pkt->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        pkt->caplen = h->caplen;
        pkt->wirelen = h->len;
        pkt->data = data;
        pkt->linktype = pcap_datalink(c->pcap);
        return CAPTURE_PACKET;
    case 0:
        return CAPTURE_IDLE;
    case PCAP_ERROR_BREAK:
        return CAPTURE_END;
    default:
        snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->pcap));
        return CAPTURE_ERROR;
    }
}

bool capture_position(struct capture *c, uint64_t *pos, uint64_t *size)
{
    FILE *f = c->live ? NULL : pcap_file(c->pcap);
    struct stat st;
    long at;
    if (!f || fileno(f) < 0 || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (at = ftell(f)) < 0)
        return false;
    *pos = (uint64_t)at;
    *size = (uint64_t)st.st_size;
    return true;
}

void capture_break(struct capture *c)
{
    if (c && c->pcap)
        pcap_breakloop(c->pcap);
}

const char *capture_error(const struct capture *c)
{
    return c->err;
}

int capture_linktype(const struct capture *c)
{
    return pcap_datalink(c->pcap);
}

const char *capture_linktype_name(const struct capture *c)
{
    const char *n = pcap_datalink_val_to_name(pcap_datalink(c->pcap));
    return n ? n : "unknown";
}

const char *capture_name(const struct capture *c)
{
    return c->name;
}

bool capture_stats(struct capture *c, uint64_t *received, uint64_t *dropped)
{
    struct pcap_stat st;
    if (!c->live || pcap_stats(c->pcap, &st) != 0)
        return false;
    *received = st.ps_recv;
    *dropped = (uint64_t)st.ps_drop + st.ps_ifdrop;
    return true;
}

void capture_close(struct capture *c)
{
    if (!c)
        return;
    if (c->pcap)
        pcap_close(c->pcap);
    free(c->iobuf);
    free(c->name);
    free(c);
}

/* ---- directories ------------------------------------------------------------------ */

struct dir_entry {
    char *path;
    int64_t first_ts;
};

struct dir_list {
    struct dir_entry *v;
    size_t n, cap;
    char *skipped;
    size_t skipped_len;
};

static void note_skipped(struct dir_list *l, const char *path, const char *why)
{
    size_t add = strlen(path) + strlen(why) + 4;
    char *s = realloc(l->skipped, l->skipped_len + add + 1);
    if (!s)
        return;
    l->skipped = s;
    l->skipped_len += (size_t)sprintf(s + l->skipped_len, "%s: %s\n", path, why);
}

/* Recognise pcap and pcapng by magic; returns true and the first packet time. */
static bool probe_capture(const char *path, int64_t *first_ts, char *why, size_t whylen)
{
    uint8_t magic[4];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "%s", strerror(errno));
        return false;
    }
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    if (got != 4)
        return false;
    uint32_t m = ((uint32_t)magic[0] << 24) | ((uint32_t)magic[1] << 16) |
                 ((uint32_t)magic[2] << 8) | magic[3];
    bool known = m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 ||
                 m == 0x0a0d0d0a || (m >> 16) == 0x1f8b;
    if (!known)
        return false;
    char ebuf[PCAP_ERRBUF_SIZE];
    char *iobuf;
    pcap_t *p = open_offline(path, ebuf, &iobuf);
    if (!p) {
        if ((m >> 16) == 0x1f8b)
            return false; /* some other gzip file */
        snprintf(why, whylen, "%s", ebuf);
        return false;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    *first_ts = INT64_MAX; /* empty captures sort last */
    if (pcap_next_ex(p, &h, &d) == 1)
        *first_ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
    pcap_close(p);
    free(iobuf);
    return true;
}

static int walk(const char *dir, struct dir_list *l, int depth)
{
    if (depth > 32)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
            break;
        struct stat st;
        if (stat(path, &st) != 0) {
            note_skipped(l, path, strerror(errno));
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (walk(path, l, depth + 1) < 0)
                note_skipped(l, path, strerror(errno));
            free(path);
            continue;
        }
        char why[PCAP_ERRBUF_SIZE] = "";
        int64_t ts;
        if (!S_ISREG(st.st_mode) || !probe_capture(path, &ts, why, sizeof(why))) {
            if (why[0])
                note_skipped(l, path, why);
            free(path);
            continue;
        }
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 16;
            struct dir_entry *nv = realloc(l->v, nc * sizeof(*nv));
            if (!nv) {
                free(path);
                break;
            }
            l->v = nv;
            l->cap = nc;
        }
        l->v[l->n].path = path;
        l->v[l->n].first_ts = ts;
        l->n++;
    }
    closedir(d);
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const struct dir_entry *x = a, *y = b;
    if (x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    return strcmp(x->path, y->path);
}

long capture_list_dir(const char *dir, char ***paths, char **skipped, char *err, size_t errlen)
{
    struct dir_list l = {0};
    *paths = NULL;
    *skipped = NULL;
    if (walk(dir, &l, 0) < 0) {
        snprintf(err, errlen, "cannot read directory '%s': %s", dir, strerror(errno));
        free(l.v);
        free(l.skipped);
        return -1;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof(*l.v), by_time);
    char **out = calloc(l.n + 1, sizeof(*out));
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < l.n; i++)
        out[i] = l.v[i].path;
    free(l.v);
    *paths = out;
    *skipped = l.skipped;
    return (long)l.n;
}

void capture_free_list(char **paths, long n)
{
    for (long i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
