/* carve.h: --carve: each connection's captured frames, held until its verdict.
 *
 * While carving is on, every frame of a connection is copied into a list it owns, up to
 * the per-connection cap and the worker's CARVE_MEMORY (past either, the connection is
 * marked cut and counted).  A notice at or above the carving severity marks the
 * connection kept; when it ends, a kept connection's frames go to the carve sink (a pcap
 * named by its uid), and the list is freed either way.
 */
#ifndef LW_DISSECT_CARVE_H
#define LW_DISSECT_CARVE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"

struct flow;

struct carve_frame {
    struct carve_frame *next;
    int64_t ts_us;
    uint32_t caplen, wirelen;
    int linktype;
    uint8_t data[];
};

struct carve_hold {
    struct carve_frame *head, *tail;
    uint64_t bytes;
    bool cut;                       /* frames were left out (a cap) */
    bool keep;                      /* a notice asked for it */
};

/* Hold up to `max_bytes` of frames per connection (0: carving off).  Before the workers
 * start. */
void carve_enable(uint64_t max_bytes);
bool carve_enabled(void);

/* A frame of `f` (in the worker that owns `f`). */
void carve_frame(struct flow *f, const struct packet *pk);

/* A notice wants `f`'s frames written when it ends. */
void carve_keep(struct flow *f);

/* Where kept connections go; per worker thread. */
typedef void (*carve_sink_fn)(void *ctx, const struct flow *f, const struct carve_hold *h);
void carve_set_sink(carve_sink_fn fn, void *ctx);

/* `f` ended: its frames to the sink if kept, then freed. */
void carve_end(struct flow *f);

#endif
