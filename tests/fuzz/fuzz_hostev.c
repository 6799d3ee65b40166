/* fuzz_hostev.c: libFuzzer target for host event lines (JSON of both shapes, event XML)
 * through the normaliser and into the correlation store. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/hostctx.h"
#include "hostev/hostev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hostctx *h = hostctx_new();
    struct hostev ev;
    memset(&ev, 0, sizeof(ev));
    /* One event per line, as the reader feeds them. */
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        const char *why = NULL;
        if (hostev_parse_line((const char *)data + start, i - start, &ev, &why))
            hostctx_add(h, &ev);
        hostev_clear(&ev);
        start = i + 1;
    }
    hostctx_free(h);
    return 0;
}
