#define _GNU_SOURCE /* memmem */
/* reader.c: host event sources: files (EVTX or lines of JSON/XML), directories, stdin. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/stats.h"
#include "core/util.h"
#include "hostev/hostev.h"

#define HOSTEV_MAX_LINE (1u << 20)  /* a longer line is skipped whole (counted) */
#define HOSTEV_QUOTED 5             /* skipped lines quoted per file */

bool hostev_parse_json(const char *line, size_t len, struct hostev *out, const char **why);
bool hostev_read_evtx(const char *path, hostev_sink_fn sink, void *ctx, char *err,
                      size_t errlen);

bool hostev_parse_line(const char *line, size_t len, struct hostev *out, const char **why)
{
    hostev_clear(out);
    size_t i = 0;
    if (len >= 3 && (uint8_t)line[0] == 0xef && (uint8_t)line[1] == 0xbb && (uint8_t)line[2] == 0xbf)
        i = 3;   /* UTF-8 byte order mark */
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i < len && line[i] == '{')
        return hostev_parse_json(line + i, len - i, out, why);
    if (i < len && line[i] == '<')
        return hostev_parse_xml(line + i, len - i, out, why);
    *why = i == len ? "empty line" : "neither a JSON object nor an XML event";
    return false;
}

/* Quote the start of a skipped line: printable ASCII as is, other bytes as \xNN. */
static void quote(const char *s, size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, outlen - k, "\\x%02x", c);
    }
    out[k] = '\0';
}

/* Is the line (n bytes) only the start tag of an <Event> element (pretty-printed XML, as
 * evtxexport writes it)?  Then the lines up to </Event> form one event.  A line holding
 * more than the start tag is an event of its own (or garbage), never a start. */
static bool opens_event(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    while (n > i && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n - i >= 7 && memcmp(p + i, "<Event", 6) == 0 && (p[i + 6] == ' ' || p[i + 6] == '>') &&
           p[n - 1] == '>' && p[n - 2] != '/' && !memchr(p + i + 1, '<', n - i - 1);
}

/* Where skipped lines are reported: the file, and how many it has had. */
struct line_log {
    const char *name;
    uint64_t skipped;
};

/* One line (or one event over lines, starting at `lineno`): pass the event on, or count
 * the line and quote it (the first HOSTEV_QUOTED of a file).  `cut`: why the line was not
 * read whole, or NULL.  Blank lines are ignored.  Returns true for an event. */
static bool take_line(struct line_log *lg, const char *buf, size_t len, uint64_t lineno,
                      const char *cut, hostev_sink_fn sink, void *ctx)
{
    struct hostev ev;
    memset(&ev, 0, sizeof(ev));
    const char *why = cut;
    bool ok = !cut && hostev_parse_line(buf, len, &ev, &why);
    if (ok) {
        lw_stats.hostev_events++;
        sink(ctx, &ev);
    } else if (len || cut) {
        lw_stats.hostev_garbage++;
        if (lg->skipped++ < HOSTEV_QUOTED) {
            char q[100];
            quote(buf, len < 60 ? len : 60, q, sizeof(q));
            fprintf(stderr, "lolwire: host events: %s:%llu: skipped (%s): '%s'\n", lg->name,
                    (unsigned long long)lineno, why, q);
        }
    }
    hostev_clear(&ev);
    return ok;
}

/* The file is done (or closed): say how many skipped lines were not quoted. */
static void line_log_end(const struct line_log *lg)
{
    if (lg->skipped > HOSTEV_QUOTED)
        fprintf(stderr, "lolwire: host events: %s: %llu more lines skipped\n", lg->name,
                (unsigned long long)(lg->skipped - HOSTEV_QUOTED));
}

static void read_lines(FILE *f, const char *name, hostev_sink_fn sink, void *ctx)
{
    char *buf = malloc(HOSTEV_MAX_LINE + 1);
    if (!buf) {
        fprintf(stderr, "lolwire: host events: %s: out of memory\n", name);
        return;
    }
    struct line_log lg = {name, 0};
    uint64_t lineno = 0, first = 0;
    size_t len = 0, start = 0;  /* start: where the current line begins in buf */
    bool too_long = false, in_event = false;
    int c;
    for (;;) {
        c = getc(f);
        if (c != EOF && c != '\n') {
            if (len < HOSTEV_MAX_LINE)
                buf[len++] = (char)c;
            else
                too_long = true;
            continue;
        }
        if (c == EOF && len == 0 && !too_long)
            break;
        lineno++;
        if (len > start && buf[len - 1] == '\r')
            len--;
        if (!in_event && !too_long && opens_event(buf, len)) {
            in_event = true;
            first = lineno;
        }
        if (in_event && !too_long && c != EOF && !memmem(buf + start, len - start, "</Event>", 8)) {
            if (len < HOSTEV_MAX_LINE)
                buf[len++] = '\n';
            start = len;
            continue;           /* the event goes on */
        }
        const char *cut = !too_long ? NULL
                          : in_event ? "event longer than 1 MiB" : "line longer than 1 MiB";
        take_line(&lg, buf, len, in_event ? first : lineno, cut, sink, ctx);
        len = start = 0;
        too_long = in_event = false;
        if (c == EOF)
            break;
    }
    if (ferror(f))
        fprintf(stderr, "lolwire: host events: %s: read error: %s\n", name, strerror(errno));
    line_log_end(&lg);
    free(buf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool read_dir(const char *path, hostev_sink_fn sink, void *ctx, char *err,
                     size_t errlen, int depth)
{
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = realloc(names, nc * sizeof(*names));
            if (!nn)
                break;
            names = nn;
            cap = nc;
        }
        names[n] = strdup(de->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", path, names[i]);
        struct stat st;
        char e2[512];
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (depth < 8 && !read_dir(full, sink, ctx, e2, sizeof(e2), depth + 1))
                fprintf(stderr, "lolwire: host events: %s\n", e2);
        } else if (!hostev_read_path(full, sink, ctx, e2, sizeof(e2))) {
            fprintf(stderr, "lolwire: host events: %s (skipped)\n", e2);
        }
        free(names[i]);
    }
    free(names);
    return true;
}

bool hostev_read_path(const char *path, hostev_sink_fn sink, void *ctx, char *err,
                      size_t errlen)
{
    if (strcmp(path, "-") == 0) {
        read_lines(stdin, "(stdin)", sink, ctx);
        return true;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode))
        return read_dir(path, sink, ctx, err, errlen, 0);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    char sig[8] = {0};
    size_t k = fread(sig, 1, sizeof(sig), f);
    lw_stats.hostev_files++;
    if (k == 8 && memcmp(sig, "ElfFile", 8) == 0) {
        fclose(f);
        return hostev_read_evtx(path, sink, ctx, err, errlen);
    }
    rewind(f);
    read_lines(f, path, sink, ctx);
    fclose(f);
    return true;
}

/* ---- following growing files -------------------------------------------------------- */

struct hostev_follow {
    char *path;
    FILE *f;
    ino_t ino;
    off_t pos;
    char *buf;                  /* the incomplete last line */
    size_t len, cap;
    uint64_t lineno;
    struct line_log lg;
};

static bool follow_reopen(struct hostev_follow *fw)
{
    if (fw->f)
        fclose(fw->f);
    fw->f = fopen(fw->path, "rb");
    fw->pos = 0;
    fw->len = 0;
    fw->lineno = 0;
    struct stat st;
    if (!fw->f || fstat(fileno(fw->f), &st) != 0)
        return false;
    fw->ino = st.st_ino;
    return true;
}

struct hostev_follow *hostev_follow_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s", path,
                 stat(path, &st) != 0 ? strerror(errno) : "--follow wants a regular file");
        return NULL;
    }
    struct hostev_follow *fw = calloc(1, sizeof(*fw));
    if (!fw || !(fw->path = strdup(path))) {
        free(fw);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fw->lg.name = fw->path;
    if (!follow_reopen(fw)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        hostev_follow_close(fw);
        return NULL;
    }
    lw_stats.hostev_files++;
    return fw;
}

static size_t follow_line(struct hostev_follow *fw, hostev_sink_fn sink, void *ctx)
{
    size_t n = fw->len;
    fw->len = 0;
    fw->lineno++;
    if (n > HOSTEV_MAX_LINE)
        return take_line(&fw->lg, fw->buf, fw->cap, fw->lineno, /* the bytes held */
                         "line longer than 1 MiB", sink, ctx);
    if (n && fw->buf[n - 1] == '\r')
        n--;
    return take_line(&fw->lg, fw->buf, n, fw->lineno, NULL, sink, ctx);
}

size_t hostev_follow_poll(struct hostev_follow *fw, hostev_sink_fn sink, void *ctx)
{
    if (!fw)
        return 0;
    struct stat st;
    if (stat(fw->path, &st) == 0 && (st.st_ino != fw->ino || st.st_size < fw->pos)) {
        if (!follow_reopen(fw))   /* rotated or truncated: start over */
            return 0;
    }
    if (!fw->f)
        return 0;
    size_t events = 0;
    char chunk[65536];
    size_t k;
    clearerr(fw->f);
    while ((k = fread(chunk, 1, sizeof(chunk), fw->f)) > 0) {
        fw->pos += (off_t)k;
        for (size_t i = 0; i < k; i++) {
            if (chunk[i] == '\n') {
                events += follow_line(fw, sink, ctx);
                continue;
            }
            if (fw->len == fw->cap) {
                size_t nc = fw->cap ? fw->cap * 2 : 4096;
                if (nc > HOSTEV_MAX_LINE + 1) {
                    fw->len = HOSTEV_MAX_LINE + 1;   /* over the limit: counted at its end */
                    continue;
                }
                char *nb = realloc(fw->buf, nc);
                if (!nb)
                    continue;
                fw->buf = nb;
                fw->cap = nc;
            }
            if (fw->len < fw->cap)
                fw->buf[fw->len++] = chunk[i];
        }
    }
    return events;
}

void hostev_follow_close(struct hostev_follow *fw)
{
    if (!fw)
        return;
    if (fw->f)
        fclose(fw->f);
    line_log_end(&fw->lg);
    free(fw->buf);
    free(fw->path);
    free(fw);
}
