/* zeeklog.c: Zeek ASCII and JSON log writers.
 *
 * Rules from Zeek's src/logging/writers/ascii/Ascii.cc, src/threading/formatters/
 * {Ascii,JSON}.cc and src/util.cc (escape_utf8), as gathered in shared/FORMATS.md §1.
 */
#include "output/zeeklog.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/util.h"
#include "output/recfile.h"

struct zlog {
    struct zlog_options opt;
    const struct zl_schema *schema;
    char *dir;
    char *tag;
    struct recfile rf;  /* the file, when open (full disks: recfile.h) */
    bool open;
    bool opened;     /* a file was opened before (keep_old applies to the first only) */
    bool lost;       /* lines were lost (recfile said so on stderr) */
    bool failed;
    char err[256];
    uint64_t records;

    /* Workers share a log: zl_begin() takes the lock and zl_end() releases it, so a record
     * is built and written whole.  Records are few next to packets; the lock is cheap. */
    pthread_mutex_t lock;

    /* the record being built: in the file's format, and as JSON for the tap if the file is
     * TSV */
    struct render {
        struct zl_buf line;
        bool json;
        bool any_json; /* a JSON member was written (comma needed) */
    } r[2];
    int nr;
    size_t field;      /* index of the next field */
    size_t set_items;  /* items in the open set */
};

/* ---- buffers and escaping ----------------------------------------------------------- */

static void buf_reserve(struct zl_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < b->len + more)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np)
        abort(); /* out of memory while formatting a log line: nothing sane to do */
    b->p = np;
    b->cap = nc;
}

void zl_buf_put(struct zl_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void buf_putc(struct zl_buf *b, char c)
{
    buf_reserve(b, 1);
    b->p[b->len++] = c;
}

static void buf_hex(struct zl_buf *b, uint8_t c)
{
    static const char hex[] = "0123456789abcdef";
    char t[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
    zl_buf_put(b, t, 4);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    uint32_t cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

void zl_escape_tsv(struct zl_buf *b, const char *str, size_t n, bool in_set)
{
    const uint8_t *s = (const uint8_t *)str;
    /* Zeek falls back to escaping every non-ASCII byte when the value is not valid UTF-8. */
    bool utf8_ok = utf8_valid(s, n);
    buf_reserve(b, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '\\') {
            zl_buf_put(b, "\\\\", 2);
        } else if (c < 0x20 || c == 0x7f || (in_set && c == ',')) {
            buf_hex(b, c);
        } else if (c >= 0x80) {
            if (utf8_ok) {
                size_t k = utf8_seq(s + i, n - i);
                zl_buf_put(b, (const char *)s + i, k);
                i += k - 1;
            } else {
                buf_hex(b, c);
            }
        } else {
            buf_putc(b, (char)c);
        }
    }
}

void zl_escape_json(struct zl_buf *b, const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"') {
            zl_buf_put(b, "\\\"", 2);
        } else if (c == '\\') {
            zl_buf_put(b, "\\\\", 2);
        } else if (c < 0x20 || c == 0x7f) {
            /* Zeek writes the 4-character text \xNN, whose backslash JSON escapes. */
            static const char hex[] = "0123456789abcdef";
            char t[5] = {'\\', '\\', 'x', hex[c >> 4], hex[c & 15]};
            zl_buf_put(b, t, 5);
        } else if (c >= 0x80) {
            size_t k = utf8_seq(s + i, n - i);
            if (k) {
                zl_buf_put(b, (const char *)s + i, k);
                i += k - 1;
            } else {
                static const char hex[] = "0123456789abcdef";
                char t[5] = {'\\', '\\', 'x', hex[c >> 4], hex[c & 15]};
                zl_buf_put(b, t, 5);
            }
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

/* ---- files -------------------------------------------------------------------------- */

struct zlog *zlog_new(const struct zlog_options *opt, const struct zl_schema *schema)
{
    struct zlog *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->opt = *opt;
    l->dir = strdup(opt->dir);
    l->opt.dir = l->dir;
    l->schema = schema;
    l->r[0].json = opt->json;
    l->nr = 1;
    if (opt->tap && !opt->json)
        l->r[l->nr++].json = true;
    if (opt->tag && !(l->tag = strdup(opt->tag))) {
        free(l->dir);
        free(l);
        return NULL;
    }
    l->opt.tag = l->tag;
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

static void stamp(char *out, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(out, n, "%Y-%m-%d-%H-%M-%S", &tm);
}

static const char *type_name(enum zl_type t)
{
    switch (t) {
    case ZL_TIME: return "time";
    case ZL_INTERVAL: return "interval";
    case ZL_COUNT: return "count";
    case ZL_INT: return "int";
    case ZL_DOUBLE: return "double";
    case ZL_BOOL: return "bool";
    case ZL_STRING: return "string";
    case ZL_ENUM: return "enum";
    case ZL_ADDR: return "addr";
    case ZL_PORT: return "port";
    case ZL_SET_STRING: return "set[string]";
    case ZL_VECTOR_STRING: return "vector[string]";
    }
    return "string";
}

static void fail(struct zlog *l, const char *what)
{
    if (!l->failed)
        snprintf(l->err, sizeof(l->err), "%s/%s.%s: %s: %s", l->dir, l->schema->path,
                 l->opt.json ? "log" : "log", what, strerror(errno));
    l->failed = true;
}

/* `<dir>/<path>.log`, the file a log writes. */
static void file_path(const struct zlog *l, char *out, size_t n)
{
    snprintf(out, n, "%s/%s.log", l->dir, l->schema->path);
}

/* A log an earlier run left (a daemon restarted): renamed `<path>.<its mtime>.log`, as a
 * rotation would have, instead of being overwritten. */
static bool keep_old(struct zlog *l, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size == 0)
        return true;
    struct tm tm;
    char stamp[32], to[4200];
    gmtime_r(&st.st_mtime, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H-%M-%S", &tm);
    for (int i = 0; i < 100; i++) {
        if (i)
            snprintf(to, sizeof(to), "%s/%s.%s-%d.log", l->dir, l->schema->path, stamp, i);
        else
            snprintf(to, sizeof(to), "%s/%s.%s.log", l->dir, l->schema->path, stamp);
        if (access(to, F_OK) != 0) {
            if (rename(path, to) == 0)
                return true;
            break;
        }
    }
    fail(l, "cannot move the earlier run's log aside");
    return false;
}

/* Zeek's TSV header, for this log. */
static void header(const struct zlog *l, struct zl_buf *h)
{
    char ts[32], t[256];
    stamp(ts, sizeof(ts));
    int n = snprintf(t, sizeof(t),
                     "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                     "#unset_field\t-\n#path\t%s\n#open\t%s\n#fields",
                     l->schema->path, ts);
    zl_buf_put(h, t, (size_t)n);
    for (size_t i = 0; i < l->schema->nfields; i++) {
        buf_putc(h, '\t');
        zl_buf_put(h, l->schema->fields[i].name, strlen(l->schema->fields[i].name));
    }
    if (l->opt.tag)
        zl_buf_put(h, "\t_tag", 5);
    zl_buf_put(h, "\n#types", 7);
    for (size_t i = 0; i < l->schema->nfields; i++) {
        const char *name = type_name(l->schema->fields[i].type);
        buf_putc(h, '\t');
        zl_buf_put(h, name, strlen(name));
    }
    if (l->opt.tag)
        zl_buf_put(h, "\tstring", 7);
    buf_putc(h, '\n');
}

static bool open_file(struct zlog *l)
{
    char path[4096];
    file_path(l, path, sizeof(path));
    if (l->opt.keep_old && !l->opened && !keep_old(l, path))
        return false; /* not overwritten: the record is counted lost */
    l->opened = true;
    struct zl_buf h = {0};
    if (!l->opt.json)
        header(l, &h);
    l->open = recfile_open(&l->rf, path, false, h.p, h.len);
    free(h.p);
    if (!l->open)
        fail(l, "cannot create"); /* tried again at the next record */
    return l->open;
}

/* Write #close and close the file (the log's lock held). */
static void close_file(struct zlog *l)
{
    if (!l->open)
        return;
    char tail[64] = "";
    if (!l->opt.json) {
        char ts[32];
        stamp(ts, sizeof(ts));
        snprintf(tail, sizeof(tail), "#close\t%s\n", ts);
    }
    if (!recfile_close(&l->rf, tail[0] ? tail : NULL))
        l->lost = true;
    l->open = false;
}

bool zlog_flush(struct zlog *l)
{
    pthread_mutex_lock(&l->lock);
    bool ok = !l->open || recfile_flush(&l->rf);
    pthread_mutex_unlock(&l->lock);
    return ok;
}

bool zlog_rotate(struct zlog *l, const char *suffix)
{
    bool ok = true;
    pthread_mutex_lock(&l->lock);
    char path[4096];
    file_path(l, path, sizeof(path));
    struct stat now, open_st;
    if (l->open && !suffix && stat(path, &now) == 0 && fstat(l->rf.fd, &open_st) == 0 &&
        now.st_ino == open_st.st_ino && now.st_dev == open_st.st_dev) {
        /* a reopen, but the file was not moved: keep writing it (reopening would
         * truncate it) */
    } else if (l->open) {
        close_file(l);
        if (suffix) {
            char to[4200];
            snprintf(to, sizeof(to), "%s/%s.%s.log", l->dir, l->schema->path, suffix);
            /* ENOENT: logrotate moved it away meanwhile; its records are safe there */
            if (rename(path, to) != 0 && errno != ENOENT) {
                fail(l, "cannot rename for rotation");
                ok = false;
            }
        }
    }
    pthread_mutex_unlock(&l->lock);
    return ok;
}

bool zlog_close(struct zlog *l)
{
    if (!l)
        return true;
    close_file(l);
    bool ok = !l->failed && !l->lost;
    for (int i = 0; i < l->nr; i++)
        free(l->r[i].line.p);
    free(l->dir);
    free(l->tag);
    pthread_mutex_destroy(&l->lock);
    free(l);
    return ok;
}

uint64_t zlog_records(const struct zlog *l)
{
    return l->records;
}

const char *zlog_error(const struct zlog *l)
{
    return l->failed ? l->err : NULL;
}

/* ---- records ------------------------------------------------------------------------ */

/* A record is rendered once in the file's format and, for a tap when the file is TSV, once
 * more as JSON: each setter below writes its value into every rendering. */
#define EACH(l, r) for (struct render *r = (l)->r; r < (l)->r + (l)->nr; r++)

void zl_begin(struct zlog *l)
{
    pthread_mutex_lock(&l->lock);
    l->field = 0;
    EACH(l, r) {
        r->line.len = 0;
        r->any_json = false;
        if (r->json)
            buf_putc(&r->line, '{');
    }
}

/* Start the next field's value: a separator (TSV) or `"name":` (JSON). */
static void field_start(struct zlog *l, struct render *r, const char *name)
{
    if (r->json) {
        if (r->any_json)
            buf_putc(&r->line, ',');
        r->any_json = true;
        buf_putc(&r->line, '"');
        zl_buf_put(&r->line, name, strlen(name));
        zl_buf_put(&r->line, "\":", 2);
    } else if (l->field > 0) {
        buf_putc(&r->line, '\t');
    }
}

static const char *field_name(const struct zlog *l)
{
    return l->field < l->schema->nfields ? l->schema->fields[l->field].name : "_tag";
}

static void field_end(struct zlog *l)
{
    if (l->field < l->schema->nfields)
        l->field++;
}

/* `tsv` in TSV renderings, `json` in JSON ones. */
static void put_raw2(struct zlog *l, const char *tsv, size_t tn, const char *json, size_t jn)
{
    const char *name = field_name(l);
    EACH(l, r) {
        field_start(l, r, name);
        if (r->json)
            zl_buf_put(&r->line, json, jn);
        else
            zl_buf_put(&r->line, tsv, tn);
    }
    field_end(l);
}

static void put_raw(struct zlog *l, const char *s, size_t n)
{
    put_raw2(l, s, n, s, n);
}

static void put_fixed6(struct zlog *l, int64_t us)
{
    char t[32];
    uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    size_t n = 0;
    if (us < 0)
        t[n++] = '-';
    n += fmt_u64(t + n, a / 1000000);
    t[n++] = '.';
    uint64_t frac = a % 1000000;
    for (int i = 5; i >= 0; i--, frac /= 10)
        t[n + (size_t)i] = (char)('0' + frac % 10);
    n += 6;
    /* JSON numbers in Zeek are the shortest round-trip form: drop trailing zeros. */
    size_t jn = n;
    while (jn > 2 && t[jn - 1] == '0' && t[jn - 2] != '.')
        jn--;
    put_raw2(l, t, n, t, jn);
}

void zl_time(struct zlog *l, int64_t us)
{
    put_fixed6(l, us);
}

void zl_interval(struct zlog *l, int64_t us)
{
    put_fixed6(l, us);
}

void zl_count(struct zlog *l, uint64_t v)
{
    char t[24];
    put_raw(l, t, fmt_u64(t, v));
}

void zl_int(struct zlog *l, int64_t v)
{
    char t[24];
    size_t n = 0;
    if (v < 0)
        t[n++] = '-';
    n += fmt_u64(t + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    put_raw(l, t, n);
}

void zl_double(struct zlog *l, double v)
{
    char t[40];
    int n = snprintf(t, sizeof(t), "%.17g", v);
    /* shortest form that round-trips */
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(t, sizeof(t), "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    if (!strpbrk(t, ".eEn")) {
        t[n++] = '.';
        t[n++] = '0';
        t[n] = '\0';
    }
    put_raw(l, t, (size_t)n);
}

void zl_bool(struct zlog *l, bool v)
{
    put_raw2(l, v ? "T" : "F", 1, v ? "true" : "false", v ? 4 : 5);
}

void zl_str(struct zlog *l, const char *s, size_t n)
{
    const char *name = field_name(l);
    EACH(l, r) {
        field_start(l, r, name);
        if (r->json) {
            zl_escape_json(&r->line, s, n);
        } else if (n == 0) {
            zl_buf_put(&r->line, "(empty)", 7);
        } else if ((n == 1 && s[0] == '-') || (n == 7 && memcmp(s, "(empty)", 7) == 0) ||
                   (l->field == 0 && s[0] == '#')) {
            /* A value that reads as a marker gets its first byte escaped. */
            buf_hex(&r->line, (uint8_t)s[0]);
            zl_escape_tsv(&r->line, s + 1, n - 1, false);
        } else {
            zl_escape_tsv(&r->line, s, n, false);
        }
    }
    field_end(l);
}

void zl_cstr(struct zlog *l, const char *s)
{
    if (!s)
        zl_unset(l);
    else
        zl_str(l, s, strlen(s));
}

void zl_addr(struct zlog *l, const struct lw_addr *a)
{
    char t[LW_ADDR_STRLEN + 2];
    t[0] = '"';
    size_t n = addr_format(a, t + 1);
    t[n + 1] = '"';
    put_raw2(l, t + 1, n, t, n + 2);
}

void zl_port(struct zlog *l, uint16_t port)
{
    zl_count(l, port);
}

void zl_unset(struct zlog *l)
{
    const char *name = field_name(l);
    EACH(l, r) {
        if (r->json)
            continue; /* unset fields are left out */
        field_start(l, r, name);
        buf_putc(&r->line, '-');
    }
    field_end(l);
}

void zl_set_begin(struct zlog *l)
{
    const char *name = field_name(l);
    l->set_items = 0;
    EACH(l, r) {
        field_start(l, r, name);
        if (r->json)
            buf_putc(&r->line, '[');
    }
}

void zl_set_item(struct zlog *l, const char *s, size_t n)
{
    bool first = l->set_items++ == 0;
    EACH(l, r) {
        if (!first)
            buf_putc(&r->line, ',');
        if (r->json) {
            zl_escape_json(&r->line, s, n);
        } else if (n == 0) {
            zl_buf_put(&r->line, "(empty)", 7);
        } else if (n == 1 && s[0] == '-') {
            buf_hex(&r->line, '-');
        } else {
            zl_escape_tsv(&r->line, s, n, true);
        }
    }
}

void zl_set_end(struct zlog *l)
{
    EACH(l, r) {
        if (r->json)
            buf_putc(&r->line, ']');
        else if (l->set_items == 0)
            zl_buf_put(&r->line, "(empty)", 7);
    }
    field_end(l);
}

void zl_end(struct zlog *l)
{
    /* Fields the caller did not fill are unset. */
    while (l->field < l->schema->nfields)
        zl_unset(l);
    if (l->opt.tag)
        zl_cstr(l, l->opt.tag); /* the extra _tag column */
    EACH(l, r) {
        if (r->json)
            buf_putc(&r->line, '}');
    }
    struct render *file = &l->r[0];
    buf_putc(&file->line, '\n');
    if (l->open || open_file(l)) {
        recfile_put(&l->rf, file->line.p, file->line.len);
        l->records++;
    } else {
        lw_stats.log_lines_lost++; /* the file could not be created (counted, retried) */
        l->lost = true;
    }
    if (l->opt.tap) {
        struct render *json = &l->r[l->nr - 1]; /* the file's line when it is JSON */
        l->opt.tap(l->opt.tap_ctx, l->schema->path, json->line.p,
                   json->line.len - (json == file));
    }
    pthread_mutex_unlock(&l->lock);
}
