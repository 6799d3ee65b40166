/* harness.h: run frames through the real pipeline (decode -> flow table) and keep the
 * connections it ends, for unit tests. */
#ifndef LW_TEST_HARNESS_H
#define LW_TEST_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/stats.h"
#include "dissect/decode.h"
#include "dissect/conn.h"
#include "dissect/flow.h"
#include "dissect/frag.h"

#define HARNESS_MAX_FLOWS 64

struct captured {
    struct flow flows[HARNESS_MAX_FLOWS];
    struct flow_tunnels tuns[HARNESS_MAX_FLOWS]; /* copies: the table frees its own */
    int n;
};

static void harness_on_end(void *ctx, struct flow *f)
{
    struct captured *c = ctx;
    if (c->n < HARNESS_MAX_FLOWS) {
        c->flows[c->n] = *f;
        if (f->tun) {
            c->tuns[c->n] = *f->tun;
            c->flows[c->n].tun = &c->tuns[c->n];
        }
        c->n++;
    }
}

struct harness {
    struct decoder dec;
    struct captured out;
};

static inline void harness_init_opts(struct harness *h, uint32_t max_flows, bool keep_dups)
{
    memset(h, 0, sizeof(*h));
    struct flow_config fc = {.uid_seed = 1, .on_end = harness_on_end, .ctx = &h->out,
                             .max_flows = max_flows, .keep_duplicates = keep_dups};
    h->dec.flows = conn_table_new(&fc);
    h->dec.frags = frag_table_new();
}

static inline void harness_init_cap(struct harness *h, uint32_t max_flows)
{
    harness_init_opts(h, max_flows, false);
}

static inline void harness_init(struct harness *h)
{
    harness_init_cap(h, 0);
}

/* Feed one frame.  The bytes are copied into an allocation of exactly `caplen` bytes so
 * that AddressSanitizer catches any read past what was captured. */
static inline void harness_feed(struct harness *h, int linktype, const uint8_t *data,
                                uint32_t caplen, uint32_t wirelen, int64_t ts)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    memcpy(copy, data, caplen);
    struct packet p = {ts, caplen, wirelen, copy, linktype};
    decode_packet(&h->dec, &p);
    free(copy);
}

/* End everything and return how many connections were logged. */
static inline int harness_finish(struct harness *h)
{
    flow_flush(h->dec.flows);
    conn_table_free(h->dec.flows);
    frag_table_free(h->dec.frags);
    h->dec.flows = NULL;
    h->dec.frags = NULL;
    return h->out.n;
}

/* One frame, start to finish. */
static inline int run_frame(struct harness *h, int linktype, const uint8_t *data, uint32_t caplen,
                            uint32_t wirelen)
{
    harness_init(h);
    harness_feed(h, linktype, data, caplen, wirelen, 1000000);
    return harness_finish(h);
}

#endif
