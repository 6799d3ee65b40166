"""pcapgen.py: classic pcap files of made-up TCP conversations, for tests.

    w = PcapWriter(f)
    conv = TcpConv(w, "10.0.0.1", 40000, "10.0.0.2", 80, ts=1.7e9)
    conv.handshake(); conv.send(True, b"GET / HTTP/1.1\\r\\n\\r\\n"); conv.close()

Ethernet, IPv4 and TCP with correct lengths; checksums are left zero (lolwire does not
check them, as Zeek does not by default).
"""
import socket
import struct

ETH = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


class PcapWriter:
    def __init__(self, f, snaplen=262144):
        self.f = f
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1))

    def packet(self, ts, frame):
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def tcp_frame(src, sport, dst, dport, seq, ack, flags, payload=b"", ident=0):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xffff, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ETH + ip + tcp + payload


class TcpConv:
    """One TCP connection; the client is the originator.  Times advance by `step`."""

    def __init__(self, w, client, cport, server, sport, ts, step=0.0001, isn=(1000, 5000)):
        self.w, self.ts, self.step = w, ts, step
        self.ends = [(client, cport), (server, sport)]
        self.seq = [isn[0], isn[1]]

    def _pkt(self, from_client, flags, payload=b""):
        i = 0 if from_client else 1
        (src, sp), (dst, dp) = self.ends[i], self.ends[1 - i]
        ack = self.seq[1 - i] if flags & ACK else 0
        self.w.packet(self.ts, tcp_frame(src, sp, dst, dp, self.seq[i], ack, flags, payload))
        self.ts += self.step
        self.seq[i] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self):
        self._pkt(True, SYN)
        self._pkt(False, SYN | ACK)
        self._pkt(True, ACK)

    def send(self, from_client, data, mss=1400):
        for off in range(0, len(data), mss):
            self._pkt(from_client, PSH | ACK, data[off:off + mss])
        self._pkt(not from_client, ACK)

    def close(self):
        self._pkt(True, FIN | ACK)
        self._pkt(False, FIN | ACK)
        self._pkt(True, ACK)


def http_exchange(w, client, cport, server, ts, request, response, sport=80):
    """A whole HTTP/1.1 connection: handshake, request, response, close."""
    c = TcpConv(w, client, cport, server, sport, ts)
    c.handshake()
    c.send(True, request)
    c.send(False, response)
    c.close()
    return c.ts
