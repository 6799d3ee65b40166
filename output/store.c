/* store.c: --carve pcaps and --extract bodies (store.h). */
#include "output/store.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/util.h"
#include "dissect/flow.h"

static uint64_t total_limit = UINT64_MAX;
static atomic_uint_fast64_t total_stored;
static atomic_int warned;                    /* write failures: one message a run */

static void warn_once(const char *what, const char *path)
{
    if (atomic_exchange(&warned, 1) == 0)
        fprintf(stderr, "lolwire: cannot write %s '%s': %s (further failures counted only)\n",
                what, path, strerror(errno));
}

bool store_pcap(const char *dir, const struct flow *f, const struct carve_hold *h)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/%.*s.pcap", dir, (int)sizeof(f->uid), f->uid);
    snprintf(tmp, sizeof(tmp), "%s/.%.*s.pcap.tmp", dir, (int)sizeof(f->uid), f->uid);
    int linktype = h->head->linktype;
    pcap_t *dead = pcap_open_dead(linktype, 262144);
    FILE *out = dead ? fopen(tmp, "wb") : NULL;
    pcap_dumper_t *d = out ? pcap_dump_fopen(dead, out) : NULL;
    if (!d) {
        if (out)
            fclose(out);
        if (dead)
            pcap_close(dead);
        warn_once("carved pcap", tmp);
        unlink(tmp);
        lw_stats.carve_failed++;
        return false;
    }
    for (const struct carve_frame *fr = h->head; fr; fr = fr->next) {
        if (fr->linktype != linktype)
            continue;
        struct pcap_pkthdr ph = {
            .ts = {.tv_sec = fr->ts_us / 1000000, .tv_usec = fr->ts_us % 1000000},
            .caplen = fr->caplen,
            .len = fr->wirelen,
        };
        pcap_dump((u_char *)d, &ph, fr->data);
    }
    bool ok = pcap_dump_flush(d) == 0 && !ferror(out);
    pcap_dump_close(d);
    pcap_close(dead);
    if (!ok || rename(tmp, path) != 0) {
        warn_once("carved pcap", path);
        unlink(tmp);
        lw_stats.carve_failed++;
        return false;
    }
    lw_stats.carve_pcaps++;
    return true;
}

void store_set_total(uint64_t total)
{
    total_limit = total;
}

bool store_body(const char *dir, const uint8_t *p, size_t len, const char *sha256,
                char name[65])
{
    if (!sha256) {
        uint8_t md[32];
        unsigned n = 0;
        if (!EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) || n != 32)
            return false;
        hex_encode(md, 32, name);
    } else {
        memcpy(name, sha256, 65);
    }
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (access(path, F_OK) == 0)
        return true; /* the same bytes, stored before */
    /* reserve the room first: workers store at once */
    uint64_t before = atomic_fetch_add(&total_stored, len);
    if (before + len > total_limit) {
        atomic_fetch_sub(&total_stored, len);
        return false;
    }
    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name); /* workers may race */
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fd >= 0 && !f)
        close(fd);
    bool ok = f && fwrite(p, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        warn_once("extracted file", tmp);
        unlink(tmp);
        atomic_fetch_sub(&total_stored, len);
        return false;
    }
    lw_stats.files_extracted++;
    return true;
}
