/* eve.h: Suricata-EVE-style alert lines (eve.json) for notices.
 *
 * One JSON object per line, as Suricata writes them and as Arkime's Suricata plugin,
 * EveBox and Security Onion read them (shared/FORMATS.md §4, §5): `timestamp` with
 * microseconds and a +0000 offset, a 51-bit `flow_id` stable for the connection,
 * `event_type` "alert", src/dest oriented client -> server, `proto` "TCP", community_id,
 * app_proto, the `alert` object (signature_id in lolwire's private range, ATT&CK ids in
 * metadata) and the protocol object (`http` or `tls`).  The file is opened for appending
 * so that a tailing reader keeps its place across runs.
 */
#ifndef LW_OUTPUT_EVE_H
#define LW_OUTPUT_EVE_H

#include <stdbool.h>
#include <stddef.h>

#include "detect/detect.h"
#include "output/zeeklog.h"

struct eve;

/* Open (append) `path`; NULL with a message in `err` on failure. */
struct eve *eve_open(const char *path, char *err, size_t errlen);

/* Also hand every alert line (no newline) to `tap` as log "eve" (Kafka); before alerts
 * are written. */
void eve_set_tap(struct eve *e, zl_tap_fn tap, void *ctx);

/* Write one alert (a notice_sink_fn; ctx is the struct eve). */
void eve_alert(void *ctx, const struct notice *n);

/* Write out buffered alerts; false when lines were lost. */
bool eve_flush(struct eve *e);

/* Close; false (with a message on stderr) if a write failed. */
bool eve_close(struct eve *e);
/* Close and open the file again (SIGHUP, after logrotate moved it); false on failure (the
 * message printed, later alerts are lost and the exit status says so). */
bool eve_reopen(struct eve *e);

/* Suricata's timestamp form of `us` (UTC): 2023-08-16T04:54:08.308191+0000. */
void eve_timestamp(int64_t us, char out[40]);

#endif
