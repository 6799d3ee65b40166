/* config.h: every limit lolwire enforces, with what it protects.
 *
 * Each is a default; the ones users tune have a command-line flag (see docs/user-guide.md).
 * When a limit is reached the event is counted (see core/stats.h) and, where it concerns a
 * connection, written to weird.log: never silently.
 */
#ifndef LW_CONFIG_H
#define LW_CONFIG_H

/* Flow table: connections tracked at once.  Protects memory against scans and floods;
 * beyond it the least recently active connection is logged and evicted. */
#define FLOW_MAX_DEFAULT (1u << 20)
/* Its hash buckets: from FLOW_BUCKETS_MIN, doubled whenever connections outnumber them. */
#define FLOW_BUCKETS_MIN 4096u
#define FLOW_BUCKETS_MAX (1u << 24)

/* Capture files are read through a stdio buffer of this size (one read(2) per buffer). */
#define CAPTURE_READ_BUFFER (1u << 20)

/* Workers (app/worker.c): at most WORKERS_MAX threads; the reader hands each a ring of
 * SPREAD_RING_BATCHES batches of up to SPREAD_BATCH_PACKETS packets or SPREAD_BATCH_BYTES
 * bytes (16 MiB a worker: slack for uneven load), and every worker hears the time once per
 * SPREAD_TICK_USEC of packet time. */
#define WORKERS_MAX 64
#define SPREAD_RING_BATCHES 32
#define SPREAD_BATCH_PACKETS 512
#define SPREAD_BATCH_BYTES (512u << 10)
#define SPREAD_TICK_USEC 1000000
/* The reading thread is worker 0 and also reads, hashes and copies for the others: it
 * takes this percentage of a fair share of the connections. */
#define SPREAD_READER_SHARE 75

/* SPAN duplicates: a session mirroring both the ingress and the egress port shows every
 * frame twice.  A packet identical to one of the connection's last FLOW_DUP_SLOTS
 * packets (TTL and IP checksum aside: a routed copy differs there) within
 * FLOW_DUP_USEC of packet time is dropped (span_duplicates; --keep-duplicates). */
#define FLOW_DUP_SLOTS 4
#define FLOW_DUP_USEC 10000

/* Inactivity timeouts in packet time (microseconds), as Zeek's defaults. */
#define FLOW_TCP_TIMEOUT_US (300LL * 1000000)     /* tcp_inactivity_timeout */
#define FLOW_UDP_TIMEOUT_US (60LL * 1000000)      /* udp_inactivity_timeout */
#define FLOW_ICMP_TIMEOUT_US (60LL * 1000000)     /* icmp_inactivity_timeout */
#define FLOW_OTHER_TIMEOUT_US (60LL * 1000000)    /* non TCP/UDP/ICMP IP protocols */
#define FLOW_TCP_CLOSED_US (5LL * 1000000)        /* tcp_close_delay, tcp_reset_delay */
#define FLOW_TCP_ATTEMPT_US (5LL * 1000000)       /* tcp_attempt_delay for S0 */

/* IP fragment reassembly: datagrams pending at once (protects memory against
 * fragment floods), bytes buffered across all of them, fragments per datagram
 * (protects CPU against tiny-fragment attacks), and how long a datagram may wait. */
#define FRAG_MAX_DATAGRAMS 4096
#define FRAG_MAX_BYTES (64u << 20)
#define FRAG_MAX_PER_DATAGRAM 256
#define FRAG_TIMEOUT_US (60LL * 1000000)

/* Tunnel nesting depth: protects the stack against crafted recursive encapsulation. */
#define DECODE_MAX_TUNNEL_DEPTH 4
/* VLAN / MPLS labels taken before a packet is called malformed. */
#define DECODE_MAX_LABELS 16

/* TCP reassembly: out-of-order bytes held per direction (protects memory against a
 * stream that never fills its hole), across all streams (the global cap), and how far
 * past the delivered data an acknowledgement may reach before it is not trusted.  At a
 * cap the oldest hole of the stream is given up as a gap (counted: reasm_cap_gaps). */
#define REASM_MAX_STREAM_HELD (1u << 20)
#define REASM_MAX_TOTAL_HELD (256ull << 20)
#define REASM_MAX_ACK_JUMP (64ull << 20)
/* Reorder window: a hole the receiver acknowledged is given up only when its bytes have
 * not come within this much packet time, or while this many bytes are held behind it
 * (a SPAN port merges the two directions through different queues: the ACK is often
 * captured before the data it acknowledges).  Expiries: reasm_reorder_expired. */
#define REASM_REORDER_USEC 100000
#define REASM_REORDER_BYTES (256u << 10)

/* File analysis: how far into a file a type marker is looked for (an OLE root entry, a
 * PE header; libmagic gives up at 1 MiB too), and the content-decoding caps against
 * decompression bombs: bytes decoded per file, and the output/input ratio tolerated
 * once 1 MiB has been decoded.  Past a cap decoding stops (files_decode_capped). */
#define FILE_PROBE_MAX_OFFSET (1u << 20)
#define FILE_MAX_DECODED (512ull << 20)
#define FILE_MAX_RATIO 1000
/* Content codings undone per body (gzip over deflate over gzip...): nesting beyond is
 * refused, so a crafted body cannot stack decoders without end. */
#define FILE_MAX_CODINGS 4
/* "Looks random" (the file.random evidence): entropy of the first bytes kept for typing
 * (FILE_HEAD_BYTES) at least this many bits per byte, over at least this many bytes.
 * Random bytes measure about 7.95 over 4 KiB; text 4 to 5; untyped binaries 5 to 6.5. */
#define FILE_RANDOM_ENTROPY 7.2
#define FILE_RANDOM_MIN_BYTES 1024
/* Memory an lzma decoder may take (its dictionary size comes from the sender). */
#define FILE_LZMA_MEMLIMIT (32ull << 20)

/* HTTP: a header block (start line and fields) is held until complete: its size, the
 * number of fields, a chunk-size or trailer line, and how much of a field value or URI
 * is kept for the logs.  Over a limit: a weird, and the parser resynchronises. */
#define HTTP_MAX_HEADER_BYTES (64u << 10)
#define HTTP_MAX_HEADERS 256
#define HTTP_MAX_LINE 4096
#define HTTP_MAX_FIELD 1024
#define HTTP_MAX_URI 8192
#define HTTP_MAX_HEADER_NAMES 512
/* Lines before a response's status line that are skipped as junk (" \r\n", "foo\r\n",
 * "SIP/2.0 200 OK\r\n"): more, and the answer is taken as one without a status line
 * (HTTP/0.9 style: its bytes to the end of the connection are the body). */
#define HTTP_MAX_JUNK_LINES 8
/* Headers of one multipart part (filename, range): kept up to this size. */
#define HTTP_MAX_PART_HEADER 1024

/* A TCP connection that is neither HTTP nor TLS from its first bytes is watched this
 * long for a STARTTLS upgrade (a ClientHello later in the stream), then let go. */
#define STREAM_PROBE_BYTES (16u << 10)

/* TLS: bytes of one handshake message held until it is whole (a certificate chain is the
 * largest: real ones stay under 20 KiB, test servers send 350 KiB).  A larger message is
 * skipped (its history letter kept, its contents not read: a weird and a count). */
#define TLS_MAX_HANDSHAKE (1u << 20)
/* ...and across all connections: past it, large messages are skipped, not held. */
#define TLS_MAX_TOTAL_HELD (64ull << 20)
/* Decoded server certificates kept per worker (by SHA-256), so a certificate seen again
 * is not decoded again (a few MB at most). */
#define TLS_CERT_CACHE 1024

/* --extract: bytes of bodies one worker keeps at once while their verdicts are pending. */
#define FILES_KEEP_MEMORY (256u << 20)

/* --carve: bytes of packets one worker holds at once for connections without a verdict. */
#define CARVE_MEMORY (256u << 20)

/* nDPI: packets of a connection shown to it before it must decide (ndpiReader's
 * defaults); then its state is freed. */
#define CLASSIFY_MAX_TCP_PKTS 80
#define CLASSIFY_MAX_UDP_PKTS 24

/* Weird log: how many times one weird name is logged without a connection before
 * only every 1000th is (the counter keeps the true total). */
#define WEIRD_FLOWLESS_SAMPLE 100

#endif
