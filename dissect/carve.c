/* carve.c: a connection's frames held until its verdict (carve.h). */
#include "dissect/carve.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/stats.h"
#include "dissect/flow.h"

static uint64_t max_per_conn;               /* set once before the workers start */
static _Thread_local uint64_t held;         /* bytes this worker holds */
static _Thread_local carve_sink_fn sink;
static _Thread_local void *sink_ctx;

void carve_enable(uint64_t max_bytes)
{
    max_per_conn = max_bytes;
}

bool carve_enabled(void)
{
    return max_per_conn != 0;
}

void carve_set_sink(carve_sink_fn fn, void *ctx)
{
    sink = fn;
    sink_ctx = ctx;
}

static void cut(struct carve_hold *h)
{
    if (!h->cut)
        lw_stats.carve_cut++;
    h->cut = true;
}

void carve_frame(struct flow *f, const struct packet *pk)
{
    if (!pk)
        return;
    struct carve_hold *h = f->carve;
    if (!h) {
        h = f->carve = calloc(1, sizeof(*h));
        if (!h)
            return;
    }
    if (h->cut)
        return; /* a pcap with a hole in the middle would mislead: keep the start only */
    size_t need = sizeof(struct carve_frame) + pk->caplen;
    if (h->bytes + need > max_per_conn || held + need > CARVE_MEMORY) {
        cut(h);
        return;
    }
    struct carve_frame *fr = malloc(need);
    if (!fr) {
        cut(h);
        return;
    }
    fr->next = NULL;
    fr->ts_us = pk->ts_us;
    fr->caplen = pk->caplen;
    fr->wirelen = pk->wirelen;
    fr->linktype = pk->linktype;
    memcpy(fr->data, pk->data, pk->caplen);
    if (h->tail)
        h->tail->next = fr;
    else
        h->head = fr;
    h->tail = fr;
    h->bytes += need;
    held += need;
}

void carve_keep(struct flow *f)
{
    if (!f->carve)
        f->carve = calloc(1, sizeof(*f->carve));
    if (f->carve)
        f->carve->keep = true;
}

void carve_end(struct flow *f)
{
    struct carve_hold *h = f->carve;
    if (!h)
        return;
    f->carve = NULL;
    if (h->keep && h->head && sink)
        sink(sink_ctx, f, h);
    for (struct carve_frame *fr = h->head, *next; fr; fr = next) {
        next = fr->next;
        free(fr);
    }
    held -= h->bytes;
    free(h);
}
