/* fuzz_http.c: libFuzzer target for the HTTP parser and file analysis (input format:
 * two_way.h). */
#include "dissect/http.h"
#include "two_way.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *open_http(struct flow *f)
{
    return http_new(f);
}

static void data_http(void *p, bool is_orig, const uint8_t *d, size_t n, int64_t ts)
{
    http_data(p, is_orig, d, n, ts);
}

static void gap_http(void *p, bool is_orig, uint64_t n)
{
    http_gap(p, is_orig, n);
}

static void close_http(void *p, int64_t ts)
{
    http_eof(p, true, ts);
    http_free(p, ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct two_way_ops ops = {open_http, data_http, gap_http, close_http};
    return two_way_run(data, size, &ops);
}
