/* capture.h: packet sources behind one interface: capture files (pcap and pcapng,
 * through libpcap), directories of them in time order, and live interfaces.
 *
 * Nothing here knows about flows.  A source hands out one packet at a time; the
 * packet's bytes stay valid until the next call on the same source.
 */
#ifndef LW_CAPTURE_H
#define LW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct packet {
    int64_t ts_us;        /* capture time, microseconds since the epoch */
    uint32_t caplen;      /* bytes captured (available at `data`) */
    uint32_t wirelen;     /* bytes on the wire */
    const uint8_t *data;
    int linktype;         /* a LINKTYPE_ / DLT_ value */
};

struct capture;

enum capture_status {
    CAPTURE_PACKET = 1, /* `pkt` filled */
    CAPTURE_IDLE = 0,   /* live only: no packet within the read timeout */
    CAPTURE_END = -1,   /* end of file */
    CAPTURE_ERROR = -2, /* read error: see capture_error() */
};

/* Open a capture file ("-" is standard input).  `bpf` may be NULL.  On failure returns
 * NULL with a message in `err`; `*bad_filter` tells a filter error (a usage error) from
 * an unreadable file (a runtime error). */
struct capture *capture_open_file(const char *path, const char *bpf, bool *bad_filter,
                                  char *err, size_t errlen);

/* Open a live interface in promiscuous mode with the given snap length. */
struct capture *capture_open_live(const char *iface, const char *bpf, int snaplen,
                                  bool *bad_filter, char *err, size_t errlen);

/* Live only: join the socket to PACKET_FANOUT group `group` (hash mode, fragments
 * reassembled for the hash), so that the group's sockets share the interface's packets
 * one connection each, as Suricata, Zeek's af_packet plugin and Arkime do.  What the
 * socket queued before it joined was also delivered to the group: it is read and
 * dropped; `*discarded` tells how many.  False with a message in `err`. */
bool capture_join_fanout(struct capture *c, uint16_t group, uint64_t *discarded, char *err,
                         size_t errlen);

/* Read the next packet. */
enum capture_status capture_next(struct capture *c, struct packet *pkt);

/* Ask a blocking live read to return (safe from a signal handler). */
void capture_break(struct capture *c);

const char *capture_error(const struct capture *c);
/* The link type of the source (a LINKTYPE_ value) and its libpcap name. */
int capture_linktype(const struct capture *c);
const char *capture_linktype_name(const struct capture *c);
const char *capture_name(const struct capture *c);

/* Live only: packets received and dropped so far, as the kernel counts them. */
bool capture_stats(struct capture *c, uint64_t *received, uint64_t *dropped);

/* Files only: how far reading has come, and the file's size, in bytes (false for live
 * sources, pipes and compressed files). */
bool capture_position(struct capture *c, uint64_t *pos, uint64_t *size);

void capture_close(struct capture *c);

/* List every capture file below `dir` (recursively; pcap and pcapng recognised by
 * their magic numbers, not their names), ordered by the time of their first packet.
 * Returns the number of files, or -1 with a message in `err`.  Files that cannot be
 * read are listed in `*skipped` (newline-separated, malloc'd, may be NULL). */
long capture_list_dir(const char *dir, char ***paths, char **skipped, char *err, size_t errlen);
void capture_free_list(char **paths, long n);

#endif
