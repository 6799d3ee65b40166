/* fuzz_tls.c: libFuzzer target for the TLS parser.  The first byte
 * chooses a slice size; the rest is split at the first 0xff byte into the client's and
 * the server's streams, fed alternately in slices, with a gap now and then. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dissect/flow.h"
#include "dissect/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
    struct tls_conn *h = tls_new(&f);
    size_t i = 0, j = 0;
    int64_t ts = 1;
    while (i < rq || j < rs) {
        if (i < rq) {
            size_t k = rq - i < slice ? rq - i : slice;
            tls_data(h, true, data + i, k, ts++);
            i += k;
        }
        if (j < rs) {
            size_t k = rs - j < slice ? rs - j : slice;
            if (gaps && (resp[j] & 0x3f) == 0x3f)
                tls_gap(h, false, k);
            else
                tls_data(h, false, resp + j, k, ts++);
            j += k;
        }
    }
    tls_free(h, ts);
    return 0;
}
