/* recfile.c: whole records through a full disk (recfile.h). */
#include "output/recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/util.h"

bool recfile_open(struct recfile *r, const char *path, bool append, const char *head,
                  size_t head_len)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    r->path = strdup(path);
    if (!r->path || (head_len && !(r->head = malloc(head_len)))) {
        free(r->path);
        errno = ENOMEM;
        return false;
    }
    if (head_len)
        memcpy(r->head, head, head_len);
    r->head_len = head_len;
    r->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (r->fd < 0) {
        int e = errno;
        free(r->path);
        free(r->head);
        errno = e;
        return false;
    }
    r->good = append ? lseek(r->fd, 0, SEEK_END) : 0;
    if (r->good < 0)
        r->good = 0;
    return true;
}

/* All of p[0..n) at the end of the file, or false (errno set) with the file left as it
 * was: cut back to `good`. */
static bool write_all(struct recfile *r, const char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(r->fd, p + done, n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k < 0 ? errno : ENOSPC;
            /* no half line: back to the last whole record */
            if (ftruncate(r->fd, r->good) == 0)
                lseek(r->fd, r->good, SEEK_SET);
            errno = e;
            return false;
        }
        done += (size_t)k;
    }
    r->good += (off_t)n;
    return true;
}

static void report(struct recfile *r, bool resumed)
{
    int64_t now = wall_clock_us();
    if (resumed) {
        fprintf(stderr, "lolwire: %s: writing again; %" PRIu64 " lines were lost\n", r->path,
                r->lost);
        r->warned_at = 0;
        r->lost_since_warn = 0;
        return;
    }
    if (r->warned_at && now - r->warned_at < RECFILE_WARN_USEC)
        return;
    fprintf(stderr, "lolwire: %s: %s: %" PRIu64 " lines lost (%" PRIu64 " in all); writing "
                    "resumes when there is room\n",
            r->path, strerror(r->err), r->lost_since_warn, r->lost);
    r->warned_at = now;
    r->lost_since_warn = 0;
}

bool recfile_flush(struct recfile *r)
{
    if (r->fd < 0 || !r->len)
        return true;
    bool ok = (r->good > 0 || !r->head_len || write_all(r, r->head, r->head_len)) &&
              write_all(r, r->buf, r->len);
    if (ok) {
        if (r->warned_at)
            report(r, true);
    } else {
        r->err = errno;
        r->lost += r->buf_records;
        r->lost_since_warn += r->buf_records;
        lw_stats.log_lines_lost += r->buf_records;
        report(r, false);
    }
    r->len = 0;
    r->buf_records = 0;
    return ok;
}

void recfile_put(struct recfile *r, const char *p, size_t n)
{
    if (r->len + n > r->cap) {
        size_t nc = r->cap ? r->cap : RECFILE_BUFFER;
        while (nc < r->len + n)
            nc *= 2;
        char *nb = realloc(r->buf, nc);
        if (!nb) {
            r->lost++;
            lw_stats.log_lines_lost++;
            return;
        }
        r->buf = nb;
        r->cap = nc;
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    r->buf_records++;
    if (r->len >= RECFILE_BUFFER)
        recfile_flush(r);
}

bool recfile_close(struct recfile *r, const char *tail)
{
    if (r->fd < 0)
        return true;
    recfile_flush(r);
    if (tail && r->good > 0)
        write_all(r, tail, strlen(tail)); /* a file without #close still parses */
    if (r->lost)
        fprintf(stderr, "lolwire: %s: %" PRIu64 " lines could not be written (%s)\n", r->path,
                r->lost, strerror(r->err));
    bool ok = close(r->fd) == 0 && !r->lost;
    r->fd = -1;
    free(r->buf);
    free(r->head);
    free(r->path);
    return ok;
}
