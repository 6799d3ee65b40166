/* hostev.h: host event feeds, read and normalised.
 *
 * Sysmon and related Windows events arrive in several shapes: Winlogbeat/ECS JSON lines,
 * flat JSON lines with Sysmon's EventData names at the top (NXLog and similar exports),
 * one-line Windows event XML (Splunk XmlWinEventLog), and EVTX files (libevtx).  Every
 * shape goes through one normaliser that asks a per-format getter for Sysmon's field
 * names (docs/host-events.md), so the kinds below come out the same whatever the source:
 *
 *   process start (Sysmon 1), network connect (3), DNS query (22), file created (11),
 *   file stream with hash / Zone.Identifier (15), installer package URL (MsiInstaller
 *   1040/1042), BITS job URL (Bits-Client 59/60).
 *
 * Times become UTC microseconds (UtcTime "yyyy-MM-dd HH:mm:ss.SSS", ISO with 3 to 9
 * fraction digits); addresses parse uncompressed IPv6; GUIDs are lower-cased in braces.
 * Lines that are not events are counted and skipped, never fatal.
 */
#ifndef LW_HOSTEV_HOSTEV_H
#define LW_HOSTEV_HOSTEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

enum hostev_kind {
    HEV_OTHER = 0,      /* a Windows event of no kind below (counted, not used) */
    HEV_PROCESS,        /* Sysmon 1 */
    HEV_NETCONN,        /* Sysmon 3 */
    HEV_DNS,            /* Sysmon 22 */
    HEV_FILE,           /* Sysmon 11 */
    HEV_FILE_STREAM,    /* Sysmon 15: hash, Zone.Identifier HostUrl */
    HEV_INSTALLER_URL,  /* MsiInstaller 1040/1042 with a URL */
    HEV_BITS_URL,       /* Bits-Client 59/60 */
};
#define HEV_KIND_COUNT 8

enum hostev_format { HEVF_NONE = 0, HEVF_ECS, HEVF_FLAT, HEVF_XML, HEVF_EVTX };

#define HEV_MAX_ANSWERS 8
#define HEV_MAX_STRING 8192   /* a longer value (a command line) is cut and counted */

struct hostev {
    enum hostev_kind kind;
    enum hostev_format format;
    uint32_t event_id;
    int64_t ts;                 /* UTC microseconds, the host's clock; 0 if unknown */
    char *computer;
    char *provider;
    char *image, *command_line, *user;
    char *parent_image, *parent_command_line;
    uint32_t pid, ppid;
    char guid[40], parent_guid[40];   /* "{...}" lower case, "" when absent */
    /* HEV_NETCONN */
    bool has_tuple, initiated;
    uint8_t proto;              /* 6 or 17 */
    struct lw_addr src, dst;
    uint16_t sport, dport;
    /* HEV_DNS */
    char *query;
    struct lw_addr answers[HEV_MAX_ANSWERS];
    uint8_t nanswers;
    /* HEV_FILE, HEV_FILE_STREAM */
    char *target;
    char sha256[65];            /* "" when absent (process: its image's hash) */
    char *host_url;             /* Zone.Identifier HostUrl */
    /* HEV_INSTALLER_URL, HEV_BITS_URL */
    char *url;
};

const char *hostev_kind_name(enum hostev_kind k);
const char *hostev_format_name(enum hostev_format f);

/* A deep copy of `src` into `dst` (which is overwritten); false when out of memory. */
bool hostev_copy(struct hostev *dst, const struct hostev *src);

/* Free the strings of `e` and zero it. */
void hostev_clear(struct hostev *e);

/* One line (JSON or XML) into `out` (cleared first).  Returns false with a short reason
 * in `why` when the line is not a Windows event. */
bool hostev_parse_line(const char *line, size_t len, struct hostev *out, const char **why);

/* One event rendered as Windows event XML (EVTX records go through this). */
bool hostev_parse_xml(const char *xml, size_t len, struct hostev *out, const char **why);

typedef void (*hostev_sink_fn)(void *ctx, const struct hostev *e);

/* Read a file (EVTX by its signature, else lines), a directory (its files, sorted by
 * name, recursively) or "-" (standard input), passing every event to `sink`.  Skipped
 * lines are counted; the first few per file are quoted on stderr.  Returns false, with a
 * message in `err`, only when `path` cannot be read at all. */
bool hostev_read_path(const char *path, hostev_sink_fn sink, void *ctx, char *err,
                      size_t errlen);

/* --follow: files that keep growing (Sysmon shipped to a file, a live export).  Each poll
 * reads what was appended since the last one (complete lines only; the rest waits), and
 * starts over when the file was truncated or replaced (rotation).  One event per line:
 * pretty-printed XML and EVTX are for whole files, not followed. */
struct hostev_follow;
struct hostev_follow *hostev_follow_open(const char *path, char *err, size_t errlen);
/* Read what is new; returns the number of events passed to `sink`. */
size_t hostev_follow_poll(struct hostev_follow *f, hostev_sink_fn sink, void *ctx);
void hostev_follow_close(struct hostev_follow *f);

/* Time text ("2023-08-10 14:39:28.427", "2019-05-12T18:02:05.215197700Z", with an
 * optional +hh:mm offset) to UTC microseconds; false if it does not parse. */
bool hostev_parse_time(const char *s, int64_t *us);

#endif
