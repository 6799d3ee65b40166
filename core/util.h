/* util.h: small shared helpers: random ids, hashing, base64, time. */
#ifndef LW_UTIL_H
#define LW_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Packet time in microseconds since the epoch. */
#define US_PER_SEC 1000000LL

/* The wall clock, in the same unit (live capture's idle time, log rotation). */
int64_t wall_clock_us(void);

/* Deterministic pseudo-random generator (xoshiro256**), seeded explicitly for tests
 * (`--seed`) or from the kernel otherwise.  Not for cryptography. */
struct lw_rng {
    uint64_t s[4];
};
void rng_seed(struct lw_rng *r, uint64_t seed);
void rng_seed_random(struct lw_rng *r);
uint64_t rng_next(struct lw_rng *r);

/* Zeek-style unique id: `prefix` ('C' for connections, 'F' for files) followed by the
 * base62 digits of 96 bits (32 + 64), least significant digit first, no padding, as
 * Zeek's UID.cc writes them.  `out` holds at least 24 bytes.  Returns the length.
 *
 * Zeek draws the bits at random; lolwire derives them from `len` bytes that identify the
 * object (a connection's key, first packet time and first header; a file's connection
 * and ordinal) under `seed` (random per run, or --seed).  The same input gives the same
 * id whichever worker thread sees it, so logs do not depend on the number of workers;
 * without the seed nobody can predict or forge one. */
size_t uid_derive(uint64_t seed, char prefix, const void *data, size_t len, char *out);

/* Seeded 64-bit hash of a byte string (for hash tables; not cryptographic but mixes
 * every input bit so that crafted keys cannot predict buckets without the seed). */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);

/* Standard base64 with padding.  `out` holds 4*((len+2)/3)+1 bytes.  Returns length. */
size_t base64_encode(const uint8_t *in, size_t len, char *out);

/* Decimal digits of `v` into `out` (at least 21 bytes; not NUL-terminated): the length.
 * The formatting of every number in the logs, without printf's parsing. */
size_t fmt_u64(char *out, uint64_t v);
/* `v` as exactly four lower-case hex digits (not NUL-terminated). */
void fmt_hex4(char *out, uint16_t v);

/* Lower-case hex of `len` bytes; `out` holds 2*len+1 bytes. */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* A NUL-terminated copy of at most `cap` of the `n` bytes at `p` (which may hold any
 * byte), or NULL when out of memory. */
char *mem_dup_cap(const void *p, size_t n, size_t cap);

#endif
