/* ports.h: ports that "look like" servers (Zeek's likely_server_ports). */
#ifndef LW_DISSECT_PORTS_H
#define LW_DISSECT_PORTS_H

#include <stdbool.h>
#include <stdint.h>

/* True if `port` is a well-known server port for `proto` (6 TCP, 17 UDP). */
bool likely_server_port(uint16_t port, uint8_t proto);

#endif
