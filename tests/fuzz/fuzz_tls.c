/* fuzz_tls.c: libFuzzer target for the TLS parser (input format: two_way.h). */
#include "dissect/tls.h"
#include "two_way.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *open_tls(struct flow *f)
{
    return tls_new(f);
}

static void data_tls(void *p, bool is_orig, const uint8_t *d, size_t n, int64_t ts)
{
    tls_data(p, is_orig, d, n, ts);
}

static void gap_tls(void *p, bool is_orig, uint64_t n)
{
    tls_gap(p, is_orig, n);
}

static void close_tls(void *p, int64_t ts)
{
    tls_free(p, ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct two_way_ops ops = {open_tls, data_tls, gap_tls, close_tls};
    return two_way_run(data, size, &ops);
}
