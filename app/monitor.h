/* monitor.h: --monitor DIR, captures read as they appear (Arkime's capture --monitor idea).
 *
 * A capture is read once it is complete: a file inotify saw created or modified has been
 * closed (or moved in), no process we can see has it open for writing, and its size and
 * modification time have not changed for MONITOR_SETTLE_USEC.  Ready
 * captures are read oldest (modification time) first.  Each one read is remembered in a
 * state file (device, inode, size, mtime, path), so a restart reads none twice; a file
 * replaced under the same name (a tcpdump -W ring) is a new capture.
 */
#ifndef LW_APP_MONITOR_H
#define LW_APP_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONITOR_SETTLE_USEC (2 * 1000000LL)

struct monitor;

/* Watch `dir` (and below); `state` is the file of captures already read (created when
 * missing).  NULL with a message in err. */
struct monitor *monitor_open(const char *dir, const char *state, char *err, size_t errlen);

/* The oldest complete capture not read yet, or NULL when there is none now (scan again
 * later).  The path stays valid until the next call. */
const char *monitor_next(struct monitor *m);

/* The capture monitor_next() returned has been read: remember it (state file synced).
 * False with a message on stderr when the state file cannot be written. */
bool monitor_done(struct monitor *m);

/* Files seen that are not captures (skipped, each reported once). */
uint64_t monitor_not_captures(const struct monitor *m);

void monitor_close(struct monitor *m);

#endif
