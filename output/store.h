/* store.h: what --carve and --extract write: a connection's frames as a pcap named by its
 * uid, and a body named by its SHA-256.  Each file appears whole (written under a
 * temporary name, then renamed) or not at all. */
#ifndef LW_OUTPUT_STORE_H
#define LW_OUTPUT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/carve.h"

struct flow;

/* DIR/<uid>.pcap with the held frames (those of the first frame's link type).  False
 * (counted, message once) if it could not be written. */
bool store_pcap(const char *dir, const struct flow *f, const struct carve_hold *h);

/* --extract's limit on the bytes stored in all, shared by every worker. */
void store_set_total(uint64_t total);

/* DIR/<sha256> with `len` bytes (the name says what they are: computed here when `sha256`
 * is NULL), unless that file exists already (the same bytes).  `name` gets the file's
 * name (65 bytes).  False when --extract-total is reached or the write fails. */
bool store_body(const char *dir, const uint8_t *p, size_t len, const char *sha256,
                char name[65]);

#endif
