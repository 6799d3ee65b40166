/* evtx.c: EVTX files through libevtx: each record rendered as event XML, then parsed
 * like any XML event.  Recovered records (fragments of deleted chunks, which evtxexport
 * does not export either) are counted, not parsed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libevtx.h>

#include "core/stats.h"
#include "hostev/hostev.h"

bool hostev_read_evtx(const char *path, hostev_sink_fn sink, void *ctx, char *err,
                      size_t errlen);

static void evtx_message(libevtx_error_t *e, char *err, size_t errlen, const char *path,
                         const char *what)
{
    char m[256] = "";
    if (e) {
        libevtx_error_sprint(e, m, sizeof(m));
        libevtx_error_free(&e);
    }
    /* libevtx's messages span lines; keep the last one. */
    char *nl;
    while ((nl = strrchr(m, '\n')) && nl[1] == '\0')
        *nl = '\0';
    const char *last = strrchr(m, '\n');
    snprintf(err, errlen, "%s: %s%s%s", path, what, *m ? ": " : "", last ? last + 1 : m);
}

static void one(libevtx_record_t *rec, const char *path, int index, hostev_sink_fn sink,
                void *ctx)
{
    libevtx_error_t *e = NULL;
    size_t size = 0;
    struct hostev ev;
    memset(&ev, 0, sizeof(ev));
    if (libevtx_record_get_utf8_xml_string_size(rec, &size, &e) != 1 || size == 0 ||
        size > (64u << 20)) {
        libevtx_error_free(&e);
        lw_stats.hostev_garbage++;
        fprintf(stderr, "lolwire: host events: %s: record %d has no XML rendering (skipped)\n",
                path, index);
        return;
    }
    uint8_t *xml = malloc(size);
    const char *why = NULL;
    if (xml && libevtx_record_get_utf8_xml_string(rec, xml, size, &e) == 1 &&
        hostev_parse_xml((const char *)xml, strnlen((const char *)xml, size), &ev, &why)) {
        ev.format = HEVF_EVTX;
        lw_stats.hostev_events++;
        sink(ctx, &ev);
    } else {
        libevtx_error_free(&e);
        lw_stats.hostev_garbage++;
        fprintf(stderr, "lolwire: host events: %s: record %d skipped: %s\n", path, index,
                why ? why : "libevtx could not render it");
    }
    hostev_clear(&ev);
    free(xml);
}

bool hostev_read_evtx(const char *path, hostev_sink_fn sink, void *ctx, char *err,
                      size_t errlen)
{
    libevtx_file_t *f = NULL;
    libevtx_error_t *e = NULL;
    if (libevtx_file_initialize(&f, &e) != 1) {
        evtx_message(e, err, errlen, path, "libevtx");
        return false;
    }
    if (libevtx_file_open(f, path, LIBEVTX_OPEN_READ, &e) != 1) {
        evtx_message(e, err, errlen, path, "not a readable EVTX file");
        libevtx_file_free(&f, NULL);
        return false;
    }
    int n = 0, nrec = 0;
    if (libevtx_file_get_number_of_records(f, &n, &e) != 1) {
        libevtx_error_free(&e);
        n = 0;
    }
    if (libevtx_file_get_number_of_recovered_records(f, &nrec, &e) != 1) {
        libevtx_error_free(&e);
        nrec = 0;
    }
    lw_stats.hostev_evtx_recovered += (uint64_t)(nrec > 0 ? nrec : 0);
    for (int i = 0; i < n; i++) {
        libevtx_record_t *rec = NULL;
        if (libevtx_file_get_record_by_index(f, i, &rec, &e) != 1) {
            libevtx_error_free(&e);
            lw_stats.hostev_garbage++;
            fprintf(stderr, "lolwire: host events: %s: record %d unreadable (skipped)\n", path, i);
            continue;
        }
        one(rec, path, i, sink, ctx);
        libevtx_record_free(&rec, NULL);
    }
    libevtx_file_close(f, NULL);
    libevtx_file_free(&f, NULL);
    return true;
}
