/* zeeklog.h: Zeek-format log writer (ASCII/TSV and JSON lines).
 *
 * Follows Zeek's logging writers exactly (shared/FORMATS.md §1): the TSV header
 * (#separator \x09, #set_separator, #empty_field, #unset_field, #path, #open, #fields,
 * #types), `#close` at the end, 6-decimal times, `-` for unset, `(empty)` for empty,
 * `\xNN` for bytes that are not printable (valid UTF-8 passes), and JSON with flat dotted
 * names and unset fields left out.
 *
 * A record is written by calling the typed setters in the schema's field order between
 * zl_begin() and zl_end(); threads may share a log (zl_begin() locks it until zl_end()).
 * A log file is created when its first record is written, as
 * Zeek does.  Formatting happens here and nowhere else.
 */
#ifndef LW_OUTPUT_ZEEKLOG_H
#define LW_OUTPUT_ZEEKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

enum zl_type {
    ZL_TIME = 1,
    ZL_INTERVAL,
    ZL_COUNT,
    ZL_INT,
    ZL_DOUBLE,
    ZL_BOOL,
    ZL_STRING,
    ZL_ENUM,
    ZL_ADDR,
    ZL_PORT,
    ZL_SET_STRING,
    ZL_VECTOR_STRING,
};

struct zl_field {
    const char *name;
    enum zl_type type;
};

struct zl_schema {
    const char *path; /* "conn", "weird", ... */
    const struct zl_field *fields;
    size_t nfields;
};

/* A copy of every record as one JSON line (no newline), whatever the file's format: for a
 * forwarder such as Kafka.  Called under the log's lock. */
typedef void (*zl_tap_fn)(void *ctx, const char *path, const char *json, size_t len);

struct zlog_options {
    const char *dir; /* log directory (must exist and be writable) */
    bool json;       /* JSON lines instead of TSV */
    const char *tag; /* --tag: an extra last column `_tag` in every record, or NULL */
    bool keep_old;   /* a log left by an earlier run is renamed aside, not overwritten */
    zl_tap_fn tap;   /* or NULL */
    void *tap_ctx;
};

struct zlog;

/* Prepare a log; the file `<dir>/<path>.log` is created on the first record. */
struct zlog *zlog_new(const struct zlog_options *opt, const struct zl_schema *schema);

/* Close the current file (with `#close`); with `suffix`, rename it `<path>.<suffix>.log`
 * (interval rotation); without (SIGHUP), only when the file was moved or removed
 * (logrotate): a file still in place is kept and written on.  The next record opens a new
 * file with its header.  Under the log's lock: no record is split or lost. */
bool zlog_rotate(struct zlog *l, const char *suffix);

/* Write out what is buffered (records are gathered up to RECFILE_BUFFER bytes); false
 * when lines were lost (a full disk: recfile.h). */
bool zlog_flush(struct zlog *l);

/* Write `#close` (TSV), flush and free.  Returns false if any write failed. */
bool zlog_close(struct zlog *l);

/* Records written, and write failures (e.g. disk full), so far. */
uint64_t zlog_records(const struct zlog *l);
const char *zlog_error(const struct zlog *l);

void zl_begin(struct zlog *l);
void zl_time(struct zlog *l, int64_t us);
void zl_interval(struct zlog *l, int64_t us);
void zl_count(struct zlog *l, uint64_t v);
void zl_int(struct zlog *l, int64_t v);
void zl_double(struct zlog *l, double v);
void zl_bool(struct zlog *l, bool v);
void zl_str(struct zlog *l, const char *s, size_t n);
void zl_cstr(struct zlog *l, const char *s); /* NULL means unset */
void zl_addr(struct zlog *l, const struct lw_addr *a);
void zl_port(struct zlog *l, uint16_t port);
void zl_unset(struct zlog *l);
/* Sets and vectors of strings: begin, items, end.  No items gives an empty set. */
void zl_set_begin(struct zlog *l);
void zl_set_item(struct zlog *l, const char *s, size_t n);
void zl_set_end(struct zlog *l);
/* Finish the record and write it out. */
void zl_end(struct zlog *l);

/* Helpers shared with other writers (EVE): append `s` escaped the Zeek way. */
struct zl_buf {
    char *p;
    size_t len, cap;
};
void zl_buf_put(struct zl_buf *b, const char *s, size_t n);
void zl_escape_tsv(struct zl_buf *b, const char *s, size_t n, bool in_set);
void zl_escape_json(struct zl_buf *b, const char *s, size_t n);

#endif
