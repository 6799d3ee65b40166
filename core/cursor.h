/* cursor.h: bounds-checked reader over untrusted bytes.
 *
 * Every byte a decoder takes from the wire goes through a cursor.  A read past the
 * end sets the sticky `err` flag and returns zero, so a decoder may read a whole
 * header and check `err` once.  Multi-byte reads are assembled by shifts: never by
 * casting a pointer.  Sub-cursors bound a length-prefixed field to its container.
 */
#ifndef LW_CURSOR_H
#define LW_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
    const uint8_t *p;   /* next byte to read */
    const uint8_t *end; /* one past the last readable byte */
    bool err;           /* sticky: set by any read past `end` */
};

static inline struct cursor cur_make(const uint8_t *p, size_t len)
{
    struct cursor c = {p, p + len, false};
    return c;
}

static inline size_t cur_left(const struct cursor *c)
{
    return c->err ? 0 : (size_t)(c->end - c->p);
}

/* Make sure `n` bytes are available; on failure set the error flag. */
static inline bool cur_need(struct cursor *c, size_t n)
{
    if (c->err || (size_t)(c->end - c->p) < n) {
        c->err = true;
        return false;
    }
    return true;
}

static inline uint8_t cur_u8(struct cursor *c)
{
    if (!cur_need(c, 1))
        return 0;
    return *c->p++;
}

static inline uint16_t cur_be16(struct cursor *c)
{
    if (!cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    return v;
}

static inline uint16_t cur_le16(struct cursor *c)
{
    if (!cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((c->p[1] << 8) | c->p[0]);
    c->p += 2;
    return v;
}

static inline uint32_t cur_be24(struct cursor *c)
{
    if (!cur_need(c, 3))
        return 0;
    uint32_t v = ((uint32_t)c->p[0] << 16) | ((uint32_t)c->p[1] << 8) | c->p[2];
    c->p += 3;
    return v;
}

static inline uint32_t cur_be32(struct cursor *c)
{
    if (!cur_need(c, 4))
        return 0;
    uint32_t v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
                 ((uint32_t)c->p[2] << 8) | c->p[3];
    c->p += 4;
    return v;
}

static inline uint32_t cur_le32(struct cursor *c)
{
    if (!cur_need(c, 4))
        return 0;
    uint32_t v = ((uint32_t)c->p[3] << 24) | ((uint32_t)c->p[2] << 16) |
                 ((uint32_t)c->p[1] << 8) | c->p[0];
    c->p += 4;
    return v;
}

static inline void cur_skip(struct cursor *c, size_t n)
{
    if (cur_need(c, n))
        c->p += n;
}

/* Copy `n` bytes out; on failure the destination is zeroed. */
static inline void cur_copy(struct cursor *c, void *dst, size_t n)
{
    uint8_t *d = dst;
    if (!cur_need(c, n)) {
        for (size_t i = 0; i < n; i++)
            d[i] = 0;
        return;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = c->p[i];
    c->p += n;
}

/* Take the next `n` bytes as a cursor of their own and advance past them. */
static inline struct cursor cur_sub(struct cursor *c, size_t n)
{
    struct cursor s = {c->p, c->p, true};
    if (cur_need(c, n)) {
        s.end = c->p + n;
        s.err = false;
        c->p += n;
    }
    return s;
}

/* Peek without consuming: byte at offset `off`, or -1 when out of range. */
static inline int cur_peek(const struct cursor *c, size_t off)
{
    if (c->err || (size_t)(c->end - c->p) <= off)
        return -1;
    return c->p[off];
}

/* Big-endian loads from a buffer the caller has already bounds-checked. */
static inline uint16_t load_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif
