/* two_way.h: the input format shared by the stream-parser fuzz targets (fuzz_http,
 * fuzz_tls).  The first byte chooses a slice size (and, with its top bit, gaps); the rest
 * is split at the first 0xff byte into the client's and the server's streams, fed
 * alternately in slices, with a gap now and then in the server's. */
#ifndef LW_FUZZ_TWO_WAY_H
#define LW_FUZZ_TWO_WAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dissect/flow.h"

struct two_way_ops {
    void *(*open)(struct flow *f);
    void (*data)(void *p, bool is_orig, const uint8_t *d, size_t n, int64_t ts);
    void (*gap)(void *p, bool is_orig, uint64_t n);
    void (*close)(void *p, int64_t ts);
};

static inline int two_way_run(const uint8_t *data, size_t size, const struct two_way_ops *ops)
{
    if (size < 2)
        return 0;
    size_t slice = (size_t)(data[0] % 64) + 1;
    bool gaps = data[0] & 0x80;
    data++, size--;
    const uint8_t *sep = memchr(data, 0xff, size);
    size_t rq = sep ? (size_t)(sep - data) : size;
    const uint8_t *resp = sep ? sep + 1 : data + size;
    size_t rs = sep ? size - rq - 1 : 0;
    static struct flow f;
    memset(&f, 0, sizeof(f));
    void *p = ops->open(&f);
    if (!p)
        return 0;
    size_t i = 0, j = 0;
    int64_t ts = 1;
    while (i < rq || j < rs) {
        if (i < rq) {
            size_t k = rq - i < slice ? rq - i : slice;
            ops->data(p, true, data + i, k, ts++);
            i += k;
        }
        if (j < rs) {
            size_t k = rs - j < slice ? rs - j : slice;
            if (gaps && (resp[j] & 0x3f) == 0x3f)
                ops->gap(p, false, k);
            else
                ops->data(p, false, resp + j, k, ts++);
            j += k;
        }
    }
    ops->close(p, ts);
    return 0;
}

#endif
