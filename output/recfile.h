/* recfile.h: a file of whole records (log lines) that outlives a full disk.
 *
 * Records are gathered in a buffer and written with write(2).  When a write fails (the
 * disk is full: ENOSPC, EDQUOT, EFBIG; or any other error), the file is cut back to the
 * end of the last record written whole, the records of the failed write are counted as
 * lost (counter log_lines_lost, and `lost` here), and the next flush tries again: writing
 * resumes by itself when there is room.  No line is ever left half-written.  A message
 * goes to stderr when losing starts, at most once a minute while it goes on, and when
 * writing resumes.
 */
#ifndef LW_OUTPUT_RECFILE_H
#define LW_OUTPUT_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RECFILE_BUFFER (64u << 10)       /* bytes gathered before a write */
#define RECFILE_WARN_USEC (60 * 1000000LL) /* one message a minute while losing */

struct recfile {
    int fd;                          /* -1: not open */
    char *path;
    char *head;                      /* written first whenever the file is empty (TSV
                                      * header), or NULL */
    size_t head_len;
    char *buf;                       /* records not written yet */
    size_t len, cap;
    uint64_t buf_records;
    off_t good;                      /* the file ends with a whole record here */
    uint64_t lost;                   /* records lost, all told */
    uint64_t lost_since_warn;
    int64_t warned_at;               /* the clock at the last message, 0: not losing */
    int err;                         /* the last write error */
};

/* Open `path` (truncated, or appended to with `append`); `head` is copied.  False with
 * errno set. */
bool recfile_open(struct recfile *r, const char *path, bool append, const char *head,
                  size_t head_len);

/* Add one record (a whole line, newline included); written when the buffer is full. */
void recfile_put(struct recfile *r, const char *p, size_t n);

/* Write what is buffered.  False when records were lost in this write. */
bool recfile_flush(struct recfile *r);

/* Flush, add `tail` (e.g. "#close ...\n", not counted as a record) to a file that has
 * anything in it, close and free.  False when any record was lost in the file's life. */
bool recfile_close(struct recfile *r, const char *tail);

#endif
