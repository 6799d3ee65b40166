/* ports.c: well-known server ports, for orienting connections seen mid-stream. */
#include "dissect/ports.h"

#include <stddef.h>

/* Ports that "look like" servers: a connection seen without its SYN is oriented so that
 * one of these is the responder's (Zeek's likely_server_ports, as its analyzers register
 * them). */
bool likely_server_port(uint16_t port, uint8_t proto)
{
    static const uint16_t tcp_ports[] = {
        21,   22,   23,   25,   53,   80,   81,   88,   110,  111,  135,  139,  143,  179,
        389,  443,  445,  465,  502,  513,  514,  563,  585,  587,  614,  636,  989,  990,
        992,  993,  994,  995,  1080, 1723, 2049, 2811, 3128, 3306, 3389, 5222, 5269, 5432,
        5900, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8443, 8888, 9200, 11211, 1883, 8883,
    };
    static const uint16_t udp_ports[] = {
        53,  67,  69,  88,   123,  137,  138,  161,  162,  500,  514,  1812, 1813,
        1900, 2123, 2152, 3478, 3544, 4500, 4789, 5060, 5072, 5353, 5355, 6081, 443,
    };
    const uint16_t *v = proto == 6 ? tcp_ports : udp_ports;
    size_t n = proto == 6 ? sizeof(tcp_ports) / 2 : sizeof(udp_ports) / 2;
    for (size_t i = 0; i < n; i++)
        if (v[i] == port)
            return true;
    return false;
}

