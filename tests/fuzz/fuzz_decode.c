/* fuzz_decode.c: libFuzzer target for the packet path (link layers, tunnels, IP,
 * fragments, transport, flows, reassembly, HTTP, files).  The input is a sequence of
 * frames: [link type byte][2-byte length][frame], so one input can build up fragment,
 * flow and stream state across packets. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/decode.h"
#include "dissect/conn.h"
#include "dissect/flow.h"
#include "dissect/frag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {LT_ETHERNET, LT_RAW,  LT_NULL,      LT_LOOP,
                                LT_LINUX_SLL, LT_LINUX_SLL2, LT_IEEE802_11_RADIOTAP, LT_NFLOG};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_config fc = {.uid_seed = 1, .max_flows = 64};
    struct decoder d = {conn_table_new(&fc), frag_table_new()};
    int64_t ts = 1000000;
    size_t i = 0;
    while (i + 3 <= size) {
        int lt = linktypes[data[i] % (sizeof(linktypes) / sizeof(linktypes[0]))];
        size_t n = (size_t)data[i + 1] << 8 | data[i + 2];
        i += 3;
        if (n > size - i)
            n = size - i;
        uint8_t *frame = malloc(n ? n : 1); /* exactly n bytes: over-reads are caught */
        memcpy(frame, data + i, n);
        struct packet p = {ts, (uint32_t)n, (uint32_t)n + (data[i - 3] & 0x80 ? 100 : 0), frame,
                           lt};
        decode_packet(&d, &p);
        free(frame);
        i += n;
        ts += (data[i - 1 < size ? i - 1 : 0] & 0x0f) * 1000000LL; /* sometimes jump: timeouts */
    }
    flow_flush(d.flows);
    conn_table_free(d.flows);
    frag_table_free(d.frags);
    return 0;
}
