/* test_output.c: the Zeek writer's escaping and layout, checked against the rules and
 * samples in shared/FORMATS.md §1 (escape-binary.log, escape-set-separator.log,
 * ascii-escape-notset-str, json-utf8-hex-escape). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/zeeklog.h"

static const struct zl_field fields[] = {
    {"ts", ZL_TIME}, {"s", ZL_STRING}, {"n", ZL_COUNT}, {"set", ZL_SET_STRING},
    {"b", ZL_BOOL},  {"a", ZL_ADDR},   {"d", ZL_INTERVAL},
};
static const struct zl_schema schema = {"t", fields, 7};

/* Write one record and return the file's data line (TSV) or line (JSON). */
static char *one_line(bool json, const char *s, size_t n, const char **set, int nset)
{
    char dir[] = "/tmp/lw-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct zlog_options o = {.dir = dir, .json = json};
    struct zlog *l = zlog_new(&o, &schema);
    zl_begin(l);
    zl_time(l, 1692161648308191LL);
    zl_str(l, s, n);
    zl_count(l, 42);
    zl_set_begin(l);
    for (int i = 0; i < nset; i++)
        zl_set_item(l, set[i], strlen(set[i]));
    zl_set_end(l);
    zl_unset(l);
    struct lw_addr a;
    addr_parse("2001:db8:0:0:0:0:0:1", &a);
    zl_addr(l, &a);
    zl_interval(l, 3600000000LL);
    zl_end(l);
    assert_true(zlog_close(l));

    char path[256], buf[4096];
    snprintf(path, sizeof(path), "%s/t.log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    while (fgets(buf, sizeof(buf), f))
        if (buf[0] != '#') {
            buf[strcspn(buf, "\n")] = '\0';
            line = strdup(buf);
        }
    fclose(f);
    unlink(path);
    rmdir(dir);
    assert_non_null(line);
    return line;
}

static void tsv_is(const char *in, size_t n, const char *want_field)
{
    char *line = one_line(false, in, n, NULL, 0);
    char want[1024];
    snprintf(want, sizeof(want), "1692161648.308191\t%s\t42\t(empty)\t-\t2001:db8::1\t3600.000000",
             want_field);
    assert_string_equal(line, want);
    free(line);
}

static void test_tsv_escaping(void **state)
{
    tsv_is("AB\xff" "CD\0", 6, "AB\\xffCD\\x00");          /* escape-binary.log */
    tsv_is("AB\\xffCD", 8, "AB\\\\xffCD");                   /* a literal backslash */
    tsv_is("-", 1, "\\x2d");                                 /* not the unset marker */
    tsv_is("(empty)", 7, "\\x28empty)");                     /* not the empty marker */
    tsv_is("", 0, "(empty)");
    tsv_is("tab\there", 8, "tab\\x09here");
    tsv_is("caf\xc3\xa9", 5, "caf\xc3\xa9");                 /* valid UTF-8 passes */
    tsv_is("caf\xc3\xa9\xff", 6, "caf\\xc3\\xa9\\xff");      /* invalid: all non-ASCII */
}

static void test_set_escaping(void **state)
{
    const char *items[] = {",", "CC", ",,", "AA"};
    char *line = one_line(false, "x", 1, items, 4);
    assert_non_null(strstr(line, "\t\\x2c,CC,\\x2c\\x2c,AA\t")); /* escape-set-separator.log */
    free(line);
}

static void test_json(void **state)
{
    const char *items[] = {"a\"b"};
    char *line = one_line(true, "bell\x07 \"q\" \\", 11, items, 1);
    assert_string_equal(line, "{\"ts\":1692161648.308191,\"s\":\"bell\\\\x07 \\\"q\\\" \\\\\","
                              "\"n\":42,\"set\":[\"a\\\"b\"],\"a\":\"2001:db8::1\",\"d\":3600.0}");
    free(line);
}

static void test_header_layout(void **state)
{
    char dir[] = "/tmp/lw-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct zlog_options o = {.dir = dir};
    struct zlog *l = zlog_new(&o, &schema);
    zl_begin(l);
    zl_end(l); /* all unset */
    assert_true(zlog_close(l));
    char path[256], buf[512];
    snprintf(path, sizeof(path), "%s/t.log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    const char *want[] = {"#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
                          "#unset_field\t-", "#path\tt"};
    for (int i = 0; i < 5; i++) {
        assert_non_null(fgets(buf, sizeof(buf), f));
        buf[strcspn(buf, "\n")] = '\0';
        assert_string_equal(buf, want[i]);
    }
    assert_non_null(fgets(buf, sizeof(buf), f));
    assert_memory_equal(buf, "#open\t", 6);
    assert_non_null(fgets(buf, sizeof(buf), f));
    assert_string_equal(buf, "#fields\tts\ts\tn\tset\tb\ta\td\n");
    assert_non_null(fgets(buf, sizeof(buf), f));
    assert_string_equal(buf, "#types\ttime\tstring\tcount\tset[string]\tbool\taddr\tinterval\n");
    assert_non_null(fgets(buf, sizeof(buf), f));
    assert_string_equal(buf, "-\t-\t-\t-\t-\t-\t-\n");
    assert_non_null(fgets(buf, sizeof(buf), f));
    assert_memory_equal(buf, "#close\t", 7);
    assert_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    unlink(path);
    rmdir(dir);
}

static void test_unwritable_dir_reported(void **state)
{
    struct zlog_options o = {.dir = "/nonexistent/lolwire-test"};
    struct zlog *l = zlog_new(&o, &schema);
    zl_begin(l);
    zl_end(l);
    assert_non_null(zlog_error(l));
    assert_false(zlog_close(l));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv_escaping), cmocka_unit_test(test_set_escaping),
        cmocka_unit_test(test_json),         cmocka_unit_test(test_header_layout),
        cmocka_unit_test(test_unwritable_dir_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
