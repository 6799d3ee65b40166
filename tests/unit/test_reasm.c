/* test_reasm.c: TCP reassembly: order, duplicates, overlaps with the same and with
 * different bytes (first data wins), gaps from acknowledgements, snap-length cuts,
 * sequence wraparound, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/config.h"
#include "core/stats.h"
#include "dissect/reasm.h"

struct sink {
    char out[8192];
    size_t len;
    uint64_t gaps, total;       /* gap bytes; data bytes delivered (out[] keeps the first) */
    int eofs, inconsistent;
};

static void on(void *ctx, int dir, const uint8_t *d, uint32_t n)
{
    struct sink *s = ctx;
    if (dir & REASM_INCONSISTENT) {
        s->inconsistent++;
        return;
    }
    if (!d && !n) {
        s->eofs++;
        return;
    }
    if (!d) {
        s->gaps += n;
        for (uint32_t i = 0; i < n && s->len < sizeof(s->out); i++)
            s->out[s->len++] = '?'; /* mark the hole's place */
        return;
    }
    s->total += n;
    size_t k = n < sizeof(s->out) - s->len ? n : sizeof(s->out) - s->len;
    memcpy(s->out + s->len, d, k);
    s->len += k;
}

static const char text[] = "The quick brown fox jumps over the lazy dog, again and again.";

static void seg(struct reasm *r, uint32_t isn, size_t off, size_t n)
{
    reasm_segment(r, isn + 1 + (uint32_t)off, (const uint8_t *)text + off, (uint32_t)n,
                  (uint32_t)n);
}

static void run_order(const size_t (*segs)[2], size_t nsegs, uint32_t isn)
{
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, true);
    reasm_syn(&r, isn);
    for (size_t i = 0; i < nsegs; i++)
        seg(&r, isn, segs[i][0], segs[i][1]);
    reasm_fin(&r, isn + 1 + (uint32_t)(sizeof(text) - 1));
    assert_int_equal(s.len, sizeof(text) - 1);
    assert_memory_equal(s.out, text, sizeof(text) - 1);
    assert_int_equal(s.gaps, 0);
    assert_int_equal(s.eofs, 1);
    reasm_free(&r);
}

static void test_orders(void **state)
{
    size_t n = sizeof(text) - 1;
    const size_t inorder[][2] = {{0, 10}, {10, 20}, {30, n - 30}};
    const size_t reversed[][2] = {{30, n - 30}, {10, 20}, {0, 10}};
    const size_t dups[][2] = {{0, 10}, {0, 10}, {10, 20}, {5, 20}, {30, n - 30}, {30, n - 30}};
    const size_t overlaps[][2] = {{20, 30}, {0, 25}, {15, n - 15}};
    run_order(inorder, 3, 1000);
    run_order(reversed, 3, 1000);
    run_order(dups, 6, 1000);
    run_order(overlaps, 3, 1000);
    /* The same across the 2^32 wrap of the sequence space. */
    run_order(reversed, 3, 0xfffffff0u);
    run_order(overlaps, 3, 0xffffffe0u);
    /* One byte at a time, last to first. */
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, true);
    reasm_syn(&r, 7);
    for (size_t i = n; i-- > 0;)
        seg(&r, 7, i, 1);
    assert_int_equal(s.len, n);
    assert_memory_equal(s.out, text, n);
    reasm_free(&r);
}

static void test_overlap_different_bytes_first_wins(void **state)
{
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, true);
    reasm_syn(&r, 100);
    seg(&r, 100, 10, 20);                                      /* early: held */
    reasm_segment(&r, 101 + 15, (const uint8_t *)"XXXXXXXXXX", 10, 10); /* differs */
    assert_int_equal(s.inconsistent, 1);
    seg(&r, 100, 0, 10);
    seg(&r, 100, 30, sizeof(text) - 1 - 30);
    assert_memory_equal(s.out, text, sizeof(text) - 1); /* the first copy won */
    reasm_free(&r);
}

static void test_gap_from_ack_and_snaplen(void **state)
{
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, true);
    reasm_syn(&r, 0);
    seg(&r, 0, 0, 10);
    seg(&r, 0, 20, 10);            /* bytes 10..19 never captured */
    assert_int_equal(s.len, 10);
    reasm_tick(&r, 1000);
    reasm_ack(&r, 1 + 30);         /* the receiver had them: a gap of 10 ... */
    assert_int_equal(s.gaps, 0);   /* ... once the reorder window has passed */
    reasm_tick(&r, 1000 + REASM_REORDER_USEC - 1);
    assert_int_equal(s.gaps, 0);
    uint64_t expired = lw_stats.reasm_reorder_expired;
    reasm_tick(&r, 1000 + REASM_REORDER_USEC);
    assert_int_equal(s.gaps, 10);
    assert_int_equal(lw_stats.reasm_reorder_expired, expired + 1);
    assert_int_equal(s.len, 30);
    assert_memory_equal(s.out + 20, text + 20, 10);
    /* A segment cut by the snap length: its prefix, then a gap. */
    reasm_segment(&r, 1 + 30, (const uint8_t *)text + 30, 20, 5);
    assert_int_equal(s.gaps, 25);
    assert_int_equal(s.len, 50);
    assert_memory_equal(s.out + 30, text + 30, 5);
    reasm_free(&r);
}

static void test_flush_reports_holes(void **state)
{
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, true);
    reasm_syn(&r, 50);
    seg(&r, 50, 0, 5);
    seg(&r, 50, 40, 10);
    reasm_flush(&r);
    assert_int_equal(s.gaps, 35);
    assert_int_equal(s.len, 50);
    assert_int_equal(s.eofs, 1);
    reasm_free(&r);
}

static void test_midstream_and_no_data(void **state)
{
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, false); /* ranges only */
    reasm_segment(&r, 123456, (const uint8_t *)text, 10, 10); /* no SYN: starts here */
    reasm_segment(&r, 123476, (const uint8_t *)text, 10, 10);
    reasm_ack(&r, 123486);
    reasm_ack_holes(&r, true); /* the connection ends */
    assert_int_equal(s.len, 10);   /* only the hole is reported, as a gap */
    assert_int_equal(s.gaps, 10);
    reasm_free(&r);
}

/* A SPAN port: the receiver's ACK is captured before the data it acknowledges, and data
 * segments come swapped.  Within the reorder window nothing is lost. */
static void test_ack_before_data(void **state)
{
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, true);
    reasm_syn(&r, 0);
    uint64_t filled = lw_stats.reasm_acked_ahead_filled;
    reasm_tick(&r, 5000);
    reasm_ack(&r, 1 + 20);         /* ACK of bytes 0..19, before any of them */
    reasm_tick(&r, 5100);
    seg(&r, 0, 10, 10);            /* swapped pair: the second segment first */
    reasm_tick(&r, 5200);
    seg(&r, 0, 0, 10);
    assert_int_equal(s.gaps, 0);
    assert_int_equal(s.len, 20);
    assert_memory_equal(s.out, text, 20);
    assert_int_equal(lw_stats.reasm_acked_ahead_filled, filled + 1);
    /* Bytes held behind an acknowledged hole count against the window too. */
    static uint8_t big[REASM_REORDER_BYTES / 2];
    reasm_ack(&r, 1 + 30);
    reasm_segment(&r, 1 + 30, big, sizeof(big), sizeof(big));
    assert_int_equal(s.gaps, 0);
    reasm_segment(&r, 1 + 30 + (uint32_t)sizeof(big), big, sizeof(big), sizeof(big));
    assert_int_equal(s.gaps, 10);
    assert_int_equal(s.total, 20 + 2 * sizeof(big));
    /* An acknowledged FIN: the sender is done, holes are given up at once. */
    uint32_t end = 1 + 30 + 2 * (uint32_t)sizeof(big);
    reasm_fin(&r, end + 5);
    reasm_ack(&r, end + 6);
    assert_int_equal(s.gaps, 15);
    assert_int_equal(s.eofs, 1);
    reasm_free(&r);
}

static void test_cap_gives_up_hole(void **state)
{
    static uint8_t big[REASM_MAX_STREAM_HELD / 4];
    struct sink s = {0};
    struct reasm r;
    reasm_init(&r, on, &s, 0, true);
    reasm_syn(&r, 0);
    uint64_t before = lw_stats.reasm_cap_gaps;
    /* A hole at 0..99, then more early data than one stream may hold. */
    for (uint32_t i = 0; i < 6; i++)
        reasm_segment(&r, 1 + 100 + i * (uint32_t)sizeof(big), big, sizeof(big), sizeof(big));
    assert_true(lw_stats.reasm_cap_gaps > before);
    assert_int_equal(s.gaps, 100);
    assert_true(r.held_bytes <= REASM_MAX_STREAM_HELD);
    reasm_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_overlap_different_bytes_first_wins),
        cmocka_unit_test(test_gap_from_ack_and_snaplen),
        cmocka_unit_test(test_flush_reports_holes),
        cmocka_unit_test(test_midstream_and_no_data),
        cmocka_unit_test(test_cap_gives_up_hole),
        cmocka_unit_test(test_ack_before_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
