/* pkt_build.c: in-memory frame builder for unit tests. */
#include "pkt_build.h"

#include <arpa/inet.h>
#include <string.h>

void tb_reset(struct tb *b)
{
    b->len = 0;
}

void tb_bytes(struct tb *b, const void *p, size_t n)
{
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

void tb_u8(struct tb *b, uint8_t v)
{
    b->buf[b->len++] = v;
}

void tb_be16(struct tb *b, uint16_t v)
{
    tb_u8(b, (uint8_t)(v >> 8));
    tb_u8(b, (uint8_t)v);
}

void tb_be32(struct tb *b, uint32_t v)
{
    tb_be16(b, (uint16_t)(v >> 16));
    tb_be16(b, (uint16_t)v);
}

void tb_ether(struct tb *b, uint16_t type)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
    tb_bytes(b, macs, 12);
    tb_be16(b, type);
}

size_t tb_ipv4(struct tb *b, const char *src, const char *dst, uint8_t proto, uint16_t id,
               uint16_t frag)
{
    size_t off = b->len;
    uint8_t a[4];
    tb_u8(b, 0x45);
    tb_u8(b, 0);
    tb_be16(b, 0); /* patched */
    tb_be16(b, id);
    tb_be16(b, frag);
    tb_u8(b, 64);
    tb_u8(b, proto);
    tb_be16(b, 0);
    inet_pton(AF_INET, src, a);
    tb_bytes(b, a, 4);
    inet_pton(AF_INET, dst, a);
    tb_bytes(b, a, 4);
    return off;
}

void tb_ipv4_finish(struct tb *b, size_t off)
{
    uint16_t total = (uint16_t)(b->len - off);
    b->buf[off + 2] = (uint8_t)(total >> 8);
    b->buf[off + 3] = (uint8_t)total;
}

size_t tb_ipv6(struct tb *b, const char *src, const char *dst, uint8_t nh)
{
    size_t off = b->len;
    uint8_t a[16];
    tb_be32(b, 0x60000000);
    tb_be16(b, 0); /* patched */
    tb_u8(b, nh);
    tb_u8(b, 64);
    inet_pton(AF_INET6, src, a);
    tb_bytes(b, a, 16);
    inet_pton(AF_INET6, dst, a);
    tb_bytes(b, a, 16);
    return off;
}

void tb_ipv6_finish(struct tb *b, size_t off)
{
    uint16_t plen = (uint16_t)(b->len - off - 40);
    b->buf[off + 4] = (uint8_t)(plen >> 8);
    b->buf[off + 5] = (uint8_t)plen;
}

void tb_tcp(struct tb *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
            uint8_t flags, const char *payload)
{
    tb_be16(b, sport);
    tb_be16(b, dport);
    tb_be32(b, seq);
    tb_be32(b, ack);
    tb_u8(b, 5 << 4);
    tb_u8(b, flags);
    tb_be16(b, 65535);
    tb_be16(b, 0);
    tb_be16(b, 0);
    if (payload)
        tb_bytes(b, payload, strlen(payload));
}

void tb_udp(struct tb *b, uint16_t sport, uint16_t dport, const char *payload)
{
    size_t n = payload ? strlen(payload) : 0;
    tb_be16(b, sport);
    tb_be16(b, dport);
    tb_be16(b, (uint16_t)(8 + n));
    tb_be16(b, 0);
    if (n)
        tb_bytes(b, payload, n);
}

void tb_icmp(struct tb *b, uint8_t type, uint8_t code, const char *payload)
{
    tb_u8(b, type);
    tb_u8(b, code);
    tb_be16(b, 0);
    tb_be32(b, 0x00010001);
    if (payload)
        tb_bytes(b, payload, strlen(payload));
}
