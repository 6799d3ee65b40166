/* hostctx.h: the host-event correlation store: which process made a connection.
 *
 * Host events (hostev/) are kept in memory, indexed by the evidence that ties them to
 * traffic, strongest first:
 *   1. the connection's 5-tuple in a Sysmon network event (the client's ephemeral port);
 *   2. the request URL in a process command line (certutil, msiexec, mshta, regsvr32,
 *      bitsadmin, wmic, powershell...), an MsiInstaller 1040/1042 or a BITS job event;
 *   3. for TLS, the SNI in a Sysmon DNS query from the same host whose answers hold the
 *      server address.
 * A file written with the request URL as its Zone.Identifier HostUrl, or with the
 * response body's SHA-256, is linked too.  Host clocks drift (days, in real data): a
 * 5-tuple match is accepted within HOSTCTX_TUPLE_WINDOW of the packet time, and each
 * confident match updates the host's clock offset estimate, which later matches use.
 *
 * Attribution is decided once per connection (the first time evidence is found) and kept
 * until the connection is logged, so its logs agree.  While nothing is found, each later
 * question (a later transaction, the connection's end) tries again if host events have
 * arrived since (--follow).
 *
 * One store serves every worker thread; its functions lock it (the reader thread adds
 * events while workers ask).
 */
#ifndef LW_DETECT_HOSTCTX_H
#define LW_DETECT_HOSTCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostev/hostev.h"

#define HOSTCTX_MAX_EVENTS (1u << 20)            /* events kept; then the oldest go first */
#define HOSTCTX_TUPLE_WINDOW (7LL * 86400 * 1000000) /* 5-tuple match, no offset known */
#define HOSTCTX_OFFSET_SLACK (600LL * 1000000)   /* around a known host clock offset */
#define HOSTCTX_TTL (7LL * 86400 * 1000000)       /* events leave this long (packet time)
                                                   * after they were read (those read before
                                                   * any traffic: after its first packet) */

struct flow;
struct http_txn;
struct tls_info;

struct attribution {
    const char *host;           /* computer name */
    const char *image, *command_line, *parent_image, *user, *guid;
    uint32_t pid;
    const char *match;          /* "tuple", "url", "installer-url", "bits-url", "dns" */
    const char *file;           /* a file written from this download (path), or NULL */
    const char *file_image;     /* the process that wrote it */
    const char *ran_image;      /* a process whose image has the download's SHA-256 */
    const char *ran_parent;     /* and its parent */
    int64_t clock_offset;       /* host clock minus packet clock (microseconds) */
};

struct hostctx;

struct hostctx *hostctx_new(void);
/* The same with room for `max_events` (tests). */
struct hostctx *hostctx_new_capped(uint32_t max_events);
void hostctx_free(struct hostctx *h);

/* Add one host event (a hostev_sink_fn; ctx is the hostctx). */
void hostctx_add(void *ctx, const struct hostev *e);
size_t hostctx_events(struct hostctx *h);
/* Changes when events are added: a worker that sees it move retries what waited. */
uint64_t hostctx_generation(struct hostctx *h);

/* The process behind the connection, using the HTTP transaction or the TLS hello when
 * given (either may be NULL).  NULL when nothing ties it to a process. */
const struct attribution *hostctx_attribute(struct hostctx *h, const struct flow *f,
                                            const struct http_txn *t,
                                            const struct tls_info *tls);

/* The file name in a Windows (or POSIX) path: what follows the last '\\' or '/'. */
const char *hostctx_file_name(const char *path);

/* The connection was logged: forget its attribution. */
void hostctx_forget(struct hostctx *h, const struct flow *f);

#endif
