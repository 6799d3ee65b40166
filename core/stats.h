/* stats.h: the counters every stage bumps, one table, printed at exit.
 *
 * A limit reached, a packet not understood, a file not read: each has a counter here,
 * so nothing is lost silently.  The X-macro keeps the name, the struct field and the
 * description in one place.
 */
#ifndef LW_STATS_H
#define LW_STATS_H

#include <stdint.h>
#include <stdio.h>

#define LW_COUNTERS(X)                                                                         \
    X(packets, "packets read")                                                                 \
    X(bytes, "bytes on the wire")                                                              \
    X(pkts_truncated, "packets shorter than their headers (snaplen or malformed)")             \
    X(pkts_linktype_unknown, "packets of a link type lolwire does not decode")                 \
    X(pkts_ethertype_unknown, "frames whose EtherType / next protocol is not decoded")         \
    X(pkts_non_ip, "ARP and other non-IP frames")                                              \
    X(pkts_ip_bad, "IP headers that are malformed")                                            \
    X(pkts_l4_bad, "TCP/UDP/ICMP headers that are malformed or truncated")                     \
    X(pkts_ip_other, "IP packets of protocols other than TCP/UDP/ICMP")                        \
    X(pkts_tunnel, "packets decapsulated from a tunnel")                                       \
    X(pkts_tunnel_too_deep, "tunnels nested deeper than DECODE_MAX_TUNNEL_DEPTH")              \
    X(frag_fragments, "IP fragments seen")                                                     \
    X(frag_reassembled, "IP datagrams reassembled from fragments")                             \
    X(frag_timeouts, "fragmented datagrams never completed (timed out or flushed)")            \
    X(frag_overlaps, "fragments overlapping earlier ones")                                     \
    X(frag_evicted, "fragmented datagrams dropped by the reassembly caps")                     \
    X(flows_created, "connections created")                                                    \
    X(flow_table_grown, "times the connection table's hash buckets doubled")                   \
    X(flows_logged, "connections logged")                                                      \
    X(flows_evicted, "connections evicted by the flow cap before they ended")                  \
    X(flows_timed_out, "connections ended by inactivity")                                      \
    X(streams, "TCP connections with payload reassembled")                                    \
    X(reasm_gap_bytes, "TCP payload bytes never seen (content gaps)")                          \
    X(tcp_ack_events, "TCP acknowledgements that moved a connection's ACK forward")            \
    X(tcp_gap_events, "content gaps: TCP data acknowledged but never seen (capture loss)")     \
    X(reasm_cap_gaps, "holes given up because a reassembly cap was reached")                   \
    X(reasm_retransmitted, "TCP segments whose bytes were all delivered already")              \
    X(reasm_inconsistent, "retransmissions whose bytes differ from the first copy")            \
    X(reasm_bogus_acks, "acknowledgements too far ahead to be trusted")                        \
    X(span_duplicates, "packets dropped as SPAN duplicates of a packet just seen (--keep-duplicates)") \
    X(reasm_acked_ahead_filled, "holes acknowledged before their data came, then filled (SPAN reordering)") \
    X(reasm_reorder_expired, "acknowledged holes given up after the reorder window (capture loss)") \
    X(reasm_alloc_failures, "out-of-order segments dropped for lack of memory")                \
    X(http_transactions, "HTTP requests and responses paired")                                  \
    X(http_bad_messages, "HTTP start lines or chunk sizes that did not parse")                \
    X(http_limits, "HTTP header blocks or lines over a limit")                                \
    X(http_files_not_logged, "HTTP files past HTTP_MAX_FILES in one message (analysed, not listed)") \
    X(http_header_bytes_held, "bytes of HTTP header buffers allocated now")                   \
    X(tls_connections, "TLS connections parsed")                                              \
    X(tls_bad_records, "TLS streams abandoned at a record that is not TLS")                  \
    X(tls_bad_certs, "server certificates that did not decode")                             \
    X(tls_certs_cached, "server certificates found decoded in the cache (TLS_CERT_CACHE)")                             \
    X(tls_limits, "TLS handshake messages skipped: over TLS_MAX_HANDSHAKE or the global cap") \
    X(tls_handshake_bytes_held, "bytes of TLS handshake buffers allocated now")              \
    X(classify_flows, "connections shown to nDPI")                                           \
    X(classify_decided, "connections nDPI named")                                             \
    X(files_seen, "files (bodies) analysed")                                                   \
    X(files_decode_failed, "bodies whose content encoding could not be decoded")               \
    X(files_decode_unsupported, "bodies in a content encoding lolwire cannot undo (br, lzma...)") \
    X(files_decode_capped, "bodies whose decoding hit a size or ratio cap (bombs)")            \
    X(files_hashes_skipped, "hashes not computed because the body's type does not call for them (--hashes)") \
    X(files_bodies_cut, "--extract: bodies kept only in part (over --extract-max-size, a gap, or FILES_KEEP_MEMORY)") \
    X(files_extracted, "--extract: bodies stored")                                             \
    X(files_extract_skipped, "--extract: bodies with a notice not stored (--extract-total reached, cut, or a write failed)") \
    X(carve_pcaps, "--carve: connections written to a pcap")                                   \
    X(carve_cut, "--carve: connections whose packets were held only in part (--carve-max-bytes or CARVE_MEMORY)") \
    X(carve_failed, "--carve: pcaps that could not be written")                                \
    X(files_decode_passthrough, "declared content codings not applied to the bytes (passed on as they are)") \
    X(detect_events, "HTTP transactions and TLS connections the rules looked at")             \
    X(detect_matches, "rule matches (before allowlists and de-duplication)")                  \
    X(notices, "notices written (notice.log, and eve.json with --eve)")                      \
    X(notices_allowlisted, "rule matches dropped by an allowlist entry")                      \
    X(notices_merged, "rule matches folded into a more severe one of the same note")          \
    X(notices_below_min, "notices under --min-severity, not written")                         \
    X(notices_followup, "follow-up notices: host context arrived after the traffic")          \
    X(detect_pending_expired, "events that waited --host-wait for a process in vain")         \
    X(detect_pending_dropped, "events that stopped waiting: DETECT_MAX_PENDING were waiting") \
    X(geo_misses, "GeoIP lookups no database could answer")                                   \
    X(hostev_files, "host event files read")                                                 \
    X(hostev_events, "host events read (every kind)")                                         \
    X(hostev_garbage, "host event lines or records skipped: not an event")                    \
    X(hostev_values_cut, "host event values cut at HEV_MAX_STRING")                           \
    X(hostev_evtx_recovered, "EVTX recovered records (deleted-chunk fragments), not parsed")  \
    X(hostev_bad_values, "network events whose addresses did not parse")                      \
    X(hostctx_dropped, "host events not kept: out of memory")                                \
    X(hostctx_evicted, "host events evicted, oldest first, past HOSTCTX_MAX_EVENTS")         \
    X(hostctx_expired, "host events expired: older than HOSTCTX_TTL of packet time")         \
    X(hostctx_attributed, "connections attributed to a host process")                        \
    X(weirds, "protocol anomalies (weird.log)")                                                \
    X(weirds_suppressed, "weirds counted but not logged (duplicates or sampling)")             \
    X(capture_drops, "packets dropped by the kernel or interface (live capture)")             \
    X(capture_received, "packets the kernel or interface received (live capture)")            \
    X(export_dropped, "log lines the export (Kafka) could not deliver")                       \
    X(log_lines_lost, "log lines that could not be written (disk full or a write error)")      \
    X(capture_errors, "capture files that could not be read completely")                     \
    X(capture_fanout_discarded, "live packets a worker's socket queued before it joined the fanout group (the group had them)")

struct lw_stats {
#define LW_STATS_FIELD(name, desc) uint64_t name;
    LW_COUNTERS(LW_STATS_FIELD)
#undef LW_STATS_FIELD
};

/* The counters of the calling thread.  Each worker (app/worker.c) counts in its own
 * copy, without a lock or an atomic on the packet path, and hands it over when it stops;
 * the reader thread counts what it reads.  stats_add() sums them for the summary. */
extern _Thread_local struct lw_stats lw_stats;

/* sum += s, counter by counter. */
void stats_add(struct lw_stats *sum, const struct lw_stats *s);

/* Print every non-zero counter as "name value  # description" lines. */
void stats_print(FILE *out, const struct lw_stats *s);

#endif
