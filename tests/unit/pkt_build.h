/* pkt_build.h: build test frames (Ethernet/IPv4/IPv6/TCP/UDP/ICMP) in memory. */
#ifndef LW_TEST_PKT_BUILD_H
#define LW_TEST_PKT_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct tb {
    uint8_t buf[2048];
    size_t len;
};

void tb_reset(struct tb *b);
void tb_bytes(struct tb *b, const void *p, size_t n);
void tb_u8(struct tb *b, uint8_t v);
void tb_be16(struct tb *b, uint16_t v);
void tb_be32(struct tb *b, uint32_t v);

/* Ethernet header with the given EtherType (MACs fixed). */
void tb_ether(struct tb *b, uint16_t type);
/* IPv4 header; returns its offset so the length can be patched by tb_ipv4_finish(). */
size_t tb_ipv4(struct tb *b, const char *src, const char *dst, uint8_t proto, uint16_t id,
               uint16_t frag);
void tb_ipv4_finish(struct tb *b, size_t off);
size_t tb_ipv6(struct tb *b, const char *src, const char *dst, uint8_t nh);
void tb_ipv6_finish(struct tb *b, size_t off);
void tb_tcp(struct tb *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
            uint8_t flags, const char *payload);
void tb_udp(struct tb *b, uint16_t sport, uint16_t dport, const char *payload);
void tb_icmp(struct tb *b, uint8_t type, uint8_t code, const char *payload);

#endif
