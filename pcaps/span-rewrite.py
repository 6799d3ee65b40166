#!/usr/bin/env python3
"""span-rewrite.py: turn a clean capture into what a SPAN port shows of the same traffic.

  span-rewrite.py CLEAN.pcap OUTDIR

writes into OUTDIR:

  span-reordered.pcap   per TCP connection with data (a fixed seed picks the segments):
                        - pure ACKs moved ahead of the data segment whose last byte they
                          acknowledge (ack == seq + len), in both directions where the
                          capture has such ACKs; always for the first data segment of each
                          direction and the last one before the FIN;
                        - adjacent data segments of one direction swapped in pairs;
                        - exact retransmissions: a byte-identical copy 2-5 frames later;
                        - overlapping re-segmentations: one segment replaced by two or three
                          whose byte ranges overlap (same bytes in the overlap);
                        - boundary-crossing re-segmentations: two adjacent segments replaced
                          by three whose boundaries differ from the originals;
                        - FINs moved ahead of the last data segment of their direction (in
                          every connection the server closes, and in about half of the
                          others).
  span-duplicated.pcap  every frame of the clean capture twice, the copy 1-20 us later
                        (never later than the next frame), byte-identical.
  span-both.pcap        span-reordered.pcap with every frame twice, the same way.

Every variant carries exactly the TCP payload bytes of the clean capture, per connection
and direction, and every frame it writes has valid IPv4 and TCP checksums: the script
checks both before it exits, and prints per connection what it did.  Timestamps stay
monotonic in the output order and close to the original ones: a packet moved ahead takes
the time of the packet it now precedes, and each packet is at least 1 us after the one
before it.  Deterministic: the same input always gives byte-identical outputs.

Input: classic pcap (either byte order, microsecond or nanosecond timestamps), Ethernet,
IPv4, TCP without IP options being changed.  Frames that are not IPv4/TCP pass unchanged.
Python 3 standard library only.
"""
import os
import random
import struct
import sys

SEED = 0x5350414E            # "SPAN"
DUP_SEED = 0x44555031        # "DUP1"
USEC = 1                     # ticks per microsecond (timestamps are integer ticks of the file)

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# Share of the remaining data segments (after the forced ones) that get each operation.
P_SWAP, P_RETRANS, P_OVERLAP, P_CROSS = 0.10, 0.08, 0.05, 0.05
P_ACKMOVE = 0.30             # of the data segments that have an ACK ending exactly at them


# ---------------------------------------------------------------------------- pcap I/O
def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        sys.exit(f"{path}: not a classic pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: link type {linktype}, want 1 (Ethernet)")
    tick = 1_000_000_000 if nano else 1_000_000
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        if len(frame) != incl:
            sys.exit(f"{path}: truncated record at offset {off}")
        if incl != orig:
            sys.exit(f"{path}: a frame was cut by the snap length (run tcpdump with -s 0)")
        recs.append((sec * tick + frac, frame))
        off += 16 + incl
    return data[:24], e, tick, recs


def write_pcap(path, header, e, tick, recs):
    out = bytearray(header)
    for t, frame in recs:
        out += struct.pack(e + "IIII", t // tick, t % tick, len(frame), len(frame)) + frame
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------- packets
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_csum(ip_src, ip_dst, seg):
    return csum(ip_src + ip_dst + struct.pack("!BBH", 0, 6, len(seg)) + seg)


class Pkt:
    """One frame; `tcp` is None unless it is an IPv4/TCP packet."""
    __slots__ = ("ts", "frame", "tcp", "conn", "dir", "seq", "ack", "flags", "plen",
                 "ip_off", "tcp_off", "pay_off", "nominal", "origin")

    def __init__(self, ts, frame):
        self.ts, self.frame, self.tcp, self.conn = ts, frame, None, None
        self.nominal = ts
        self.origin = "orig"
        et_off = 12
        ethertype = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
        while ethertype == 0x8100 and len(frame) >= et_off + 6:
            et_off += 4
            ethertype = struct.unpack("!H", frame[et_off:et_off + 2])[0]
        ip = et_off + 2
        if ethertype != 0x0800 or len(frame) < ip + 20 or frame[ip] >> 4 != 4:
            return
        ihl = (frame[ip] & 0xF) * 4
        total = struct.unpack("!H", frame[ip + 2:ip + 4])[0]
        frag = struct.unpack("!H", frame[ip + 6:ip + 8])[0]
        if frame[ip + 9] != 6 or frag & 0x3FFF or len(frame) < ip + total:
            return
        t = ip + ihl
        doff = (frame[t + 12] >> 4) * 4
        self.ip_off, self.tcp_off, self.pay_off = ip, t, t + doff
        src, dst = frame[ip + 12:ip + 16], frame[ip + 16:ip + 20]
        sport, dport, self.seq, self.ack = struct.unpack("!HHII", frame[t:t + 12])
        self.flags = frame[t + 13]
        self.plen = ip + total - self.pay_off
        self.tcp = ((src, sport), (dst, dport))

    @property
    def payload(self):
        return self.frame[self.pay_off:self.pay_off + self.plen]

    def is_data(self):
        return self.tcp is not None and self.plen > 0 and not self.flags & (SYN | RST)

    def is_pure_ack(self):
        return self.tcp is not None and self.plen == 0 and self.flags == ACK

    def copy(self, origin):
        p = Pkt(self.ts, self.frame)
        p.conn, p.dir, p.nominal, p.origin = self.conn, self.dir, self.nominal, origin
        return p


def make_segment(tpl, seq, payload, flags, ack, ip_id):
    """A new frame from template `tpl` (its headers and TCP options) carrying `payload` at
    `seq`, with both checksums recomputed."""
    f = tpl.frame
    eth_ip = bytearray(f[:tpl.tcp_off])
    tcp = bytearray(f[tpl.tcp_off:tpl.pay_off])
    ip = tpl.ip_off
    total = (tpl.tcp_off - ip) + len(tcp) + len(payload)
    struct.pack_into("!H", eth_ip, ip + 2, total)
    struct.pack_into("!H", eth_ip, ip + 4, ip_id)
    struct.pack_into("!H", eth_ip, ip + 10, 0)
    struct.pack_into("!H", eth_ip, ip + 10, csum(bytes(eth_ip[ip:tpl.tcp_off])))
    struct.pack_into("!II", tcp, 4, seq, ack)
    tcp[13] = flags
    struct.pack_into("!H", tcp, 16, 0)
    struct.pack_into("!H", tcp, 16, tcp_csum(bytes(eth_ip[ip + 12:ip + 16]),
                                             bytes(eth_ip[ip + 16:ip + 20]), bytes(tcp) + payload))
    p = Pkt(tpl.ts, bytes(eth_ip) + bytes(tcp) + payload)
    p.conn, p.dir, p.nominal = tpl.conn, tpl.dir, tpl.nominal
    return p


def ip_id(p):
    return struct.unpack("!H", p.frame[p.ip_off + 4:p.ip_off + 6])[0]


# ---------------------------------------------------------------------------- connections
class Conn:
    def __init__(self, n, first):
        self.n = n
        # The sender of the first packet seen: the SYN's in any capture that holds the
        # handshake, which every capture this script is meant for does.
        self.client, self.server = first.tcp
        self.pkts = []
        self.stats = dict.fromkeys(("ack_before_data", "ack_before_client_data", "swapped_pairs",
                                    "retransmitted", "overlap_reseg", "crossing_reseg",
                                    "fin_before_data"), 0)

    def name(self):
        (ch, cp) = self.client
        srv = self.server
        return "%s:%d > %s:%d" % (".".join(map(str, ch)), cp, ".".join(map(str, srv[0])), srv[1])


def connections(pkts):
    conns, order = {}, []
    for p in pkts:
        if p.tcp is None:
            continue
        k = tuple(sorted(p.tcp))
        c = conns.get(k)
        if c is None:
            c = conns[k] = Conn(len(order), p)
            order.append(c)
        p.conn = c
        p.dir = 0 if p.tcp[0] == c.client else 1
        c.pkts.append(p)
    return order


# ---------------------------------------------------------------------------- reordering
class Plan:
    """What to do to one connection, chosen before the list is touched."""
    def __init__(self):
        self.swaps = []       # (a, b): adjacent data segments of one direction
        self.retrans = []     # (seg, k): copy k frames later
        self.overlap = []     # (seg, [(start, end), ...]) relative to seg.seq
        self.cross = []       # (a, b, cut1, cut2): [a.seq, cut1), [cut1, cut2), [cut2, b.end)
        self.ackmove = []     # (ack_pkt, seg)
        self.finmove = []     # (fin_pkt, seg)


def plan_conn(c, rng):
    pl = Plan()
    # Data segments per direction in capture order; only the first copy of any sequence
    # number (a clean capture has no retransmissions, but do not trust that).
    segs = {0: [], 1: []}
    seen = set()
    for p in c.pkts:
        if p.is_data() and (p.dir, p.seq) not in seen:
            seen.add((p.dir, p.seq))
            segs[p.dir].append(p)
    fins = [p for p in c.pkts if p.flags & FIN]
    if not segs[0] and not segs[1]:
        return pl
    # The ACK from the other side whose ack is exactly a segment's end, first one after it.
    acks = {}
    for p in c.pkts:
        if p.is_pure_ack():
            acks.setdefault((1 - p.dir, p.ack), p)
    used_acks = set()
    order = {id(p): k for k, p in enumerate(c.pkts)}

    def ack_for(s):
        a = acks.get((s.dir, (s.seq + s.plen) & 0xFFFFFFFF))
        if a is None or id(a) in used_acks or order[id(a)] < order[id(s)]:
            return None
        return a

    # FIN ahead of the last data segment of the connection: always when that segment is
    # the FIN sender's own (the server closed after its response: the FIN is out of order
    # in its own stream), and for about half of the other connections (the client's FIN,
    # which acknowledges the response's last byte, ahead of that byte).
    fin_targets = set()
    data = [p for p in c.pkts if p.is_data()]
    if fins and data:
        f, last = fins[0], data[-1]
        own = (last.dir == f.dir and (last.seq + last.plen) & 0xFFFFFFFF == f.seq
               and not last.flags & FIN)
        if (own or (last.dir != f.dir and rng.random() < 0.5)) and order[id(last)] < order[id(f)]:
            pl.finmove.append((f, last))
            fin_targets.add(id(last))

    for d in (0, 1):
        S = segs[d]
        n = len(S)
        # ACK moves, independent of the rest: for every client segment (requests are few)
        # and both ends of each direction, for a share of the others.
        for i, s in enumerate(S):
            a = ack_for(s)
            if a is not None and (d == 0 or i in (0, n - 1) or rng.random() < P_ACKMOVE):
                pl.ackmove.append((a, s))
                used_acks.add(id(a))
        i = 0
        while i < n:
            s = S[i]
            first, last = i == 0, i == n - 1
            nxt = S[i + 1] if i + 1 < n else None
            # Swaps and crossing re-segmentations take two segments that were in flight
            # together: contiguous, and no data the other way between them (a request and
            # the next one on a keep-alive connection are not a pair).
            contiguous = (nxt is not None and (s.seq + s.plen) & 0xFFFFFFFF == nxt.seq
                          and not (s.flags | nxt.flags) & FIN
                          and not any(p.is_data() and p.dir != d
                                      for p in c.pkts[order[id(s)]:order[id(nxt)]]))
            r = rng.random()
            if first and s.plen >= 100:
                # The segment next to the handshake: overlapping pieces for the client's
                # first request, a crossing re-segmentation or a pair swap for a long
                # server response, an overlap for a short one.
                if d == 0:
                    r = 0.0 if c.n % 2 == 0 else r
                elif contiguous and nxt.plen >= 200:
                    r = 1.0 - P_CROSS / 2 if c.n % 2 else P_OVERLAP + P_SWAP / 2
                else:
                    r = 0.0
            if r < P_OVERLAP and s.plen >= 100 and not s.flags & FIN:
                L = s.plen
                if L >= 600 and rng.random() < 0.5:
                    a1 = rng.randrange(L // 4, L // 2)
                    b1 = rng.randrange(L // 8, a1 - 16)
                    a2 = rng.randrange(max(a1 + 16, L // 2), L - 16)
                    b2 = rng.randrange(a1 + 8, a2)
                    ranges = [(0, a1), (b1, a2), (b2, L)]
                else:
                    a1 = rng.randrange(L // 2, L - L // 8)
                    b1 = rng.randrange(L // 8, a1 - 8)
                    ranges = [(0, a1), (b1, L)]
                pl.overlap.append((s, ranges))
                i += 1
                continue
            if r < P_OVERLAP + P_SWAP and contiguous and not last and id(nxt) not in fin_targets:
                pl.swaps.append((s, nxt))
                i += 2
                continue
            if r < P_OVERLAP + P_SWAP + P_RETRANS:
                pl.retrans.append((s, rng.randrange(2, 6)))
                i += 1
                continue
            if (r >= 1.0 - P_CROSS and contiguous and s.plen >= 200 and nxt.plen >= 200
                    and id(nxt) not in fin_targets):
                cut1 = s.seq + rng.randrange(s.plen // 3, 2 * s.plen // 3)
                cut2 = nxt.seq + rng.randrange(nxt.plen // 3, 2 * nxt.plen // 3)
                pl.cross.append((s, nxt, cut1 & 0xFFFFFFFF, cut2 & 0xFFFFFFFF))
                i += 2
                continue
            i += 1
        # The last data segment before the FIN gets something in every direction with
        # data: if neither an ACK nor a FIN was moved ahead of it, retransmit it.
        if S:
            last = S[-1]
            touched = (id(last) in fin_targets or any(s is last for _, s in pl.ackmove)
                       or any(s is last for s, _ in pl.retrans)
                       or any(last in (x, y) for x, y in pl.swaps)
                       or any(s is last for s, _ in pl.overlap)
                       or any(last in (x, y) for x, y, _, _ in pl.cross))
            if not touched:
                pl.retrans.append((last, 2))
    return pl


def rel(a, base):
    return (a - base) & 0xFFFFFFFF


def apply_plans(pkts, plans):
    """The reordered frame list."""
    out = list(pkts)
    pos = lambda p: next(i for i, q in enumerate(out) if q is p)  # noqa: E731
    for c, pl in plans:
        st = c.stats
        for a, b in pl.swaps:
            i, j = pos(a), pos(b)
            out[i], out[j] = b, a
            st["swapped_pairs"] += 1
        # Re-segmentations: the pieces take the first original's place (the last piece of a
        # crossing one takes the second's), each piece a new frame.
        first_piece = {}
        for s, ranges in pl.overlap:
            pay = s.payload
            pieces = []
            for k, (lo, hi) in enumerate(ranges):
                fl = ACK | (s.flags & PSH if hi == s.plen else 0)
                pieces.append(make_segment(s, (s.seq + lo) & 0xFFFFFFFF, pay[lo:hi], fl, s.ack,
                                           (ip_id(s) + 0x8000 * (k > 0) + k) & 0xFFFF))
            i = pos(s)
            out[i:i + 1] = pieces
            first_piece[id(s)] = pieces[0]
            st["overlap_reseg"] += 1
        for a, b, cut1, cut2 in pl.cross:
            both = a.payload + b.payload
            o1, o2 = rel(cut1, a.seq), rel(cut2, a.seq)
            p1 = make_segment(a, a.seq, both[:o1], ACK, a.ack, ip_id(a))
            p2 = make_segment(a, cut1, both[o1:o2], ACK, a.ack, (ip_id(a) + 0x8001) & 0xFFFF)
            p3 = make_segment(b, cut2, both[o2:], ACK | (b.flags & PSH), b.ack, ip_id(b))
            i = pos(a)
            out[i:i + 1] = [p1, p2]
            j = pos(b)
            out[j:j + 1] = [p3]
            first_piece[id(a)] = p1
            first_piece[id(b)] = p3
            st["crossing_reseg"] += 1
        anchor = lambda s: first_piece.get(id(s), s)  # noqa: E731
        for moves, key in ((pl.ackmove, "ack_before_data"), (pl.finmove, "fin_before_data")):
            for a, s in moves:
                t = anchor(s)
                ia, it = pos(a), pos(t)
                if ia < it:
                    continue        # already ahead (a swap carried the segment past it)
                del out[ia]
                it = pos(t)
                out.insert(it, a)
                a.nominal = t.nominal
                st[key] += 1
                if key == "ack_before_data" and s.dir == 0:
                    st["ack_before_client_data"] += 1
        last_of_conn = max(i for i, q in enumerate(out) if q.conn is c)
        for s, k in pl.retrans:
            if id(s) in first_piece:
                continue
            i = pos(s)
            j = min(i + 1 + k, last_of_conn)
            if j <= i:
                continue
            cp = s.copy("retrans")
            out.insert(j, cp)
            cp.nominal = out[j - 1].nominal
            last_of_conn += 1
            st["retransmitted"] += 1
    return out


def monotonic(frames):
    """(time, frame) for each packet: its nominal time, or 1 us after the packet before it
    when that is later."""
    recs, prev = [], None
    for p in frames:
        t = p.nominal if prev is None or p.nominal >= prev else prev + USEC
        recs.append((t, p.frame))
        prev = t
    return recs


def duplicate(recs, rng):
    """Every record twice; the copy 1-20 ticks (us) later but not after the next record."""
    out = []
    for i, (t, frame) in enumerate(recs):
        nxt = recs[i + 1][0] if i + 1 < len(recs) else t + 1000 * USEC
        out.append((t, frame))
        out.append((max(t, min(t + rng.randrange(1, 21) * USEC, nxt)), frame))
    return out


# ---------------------------------------------------------------------------- checks
def streams(recs):
    """{(conn 4-tuple sorted, sender): (isn, bytearray, coverage)} from (t, frame) records;
    raises on a byte seen twice with different values."""
    out = {}
    for _, frame in recs:
        p = Pkt(0, frame)
        if p.tcp is None:
            continue
        key = (tuple(sorted(p.tcp)), p.tcp[0])
        if p.flags & SYN:
            out.setdefault(key, [p.seq, bytearray(), bytearray()])
            continue
        if p.plen == 0:
            continue
        st = out.get(key)
        if st is None:
            raise ValueError("data before the SYN in %r" % (key,))
        off = rel(p.seq, st[0] + 1)
        end = off + p.plen
        data, cov = st[1], st[2]
        if len(data) < end:
            data.extend(bytes(end - len(data)))
            cov.extend(bytes(end - len(cov)))
        pay = p.payload
        seen = cov[off:end]
        if seen == b"\1" * p.plen:
            if data[off:end] != pay:
                raise ValueError("inconsistent bytes at %d in %r" % (off, key))
        elif seen.count(1):
            for k in range(p.plen):
                if seen[k] and data[off + k] != pay[k]:
                    raise ValueError("inconsistent byte at %d in %r" % (off + k, key))
        data[off:end] = pay
        cov[off:end] = b"\1" * p.plen
    return out


def check_checksums(recs, name):
    for n, (_, frame) in enumerate(recs):
        p = Pkt(0, frame)
        if p.tcp is None:
            continue
        ip = p.ip_off
        if csum(frame[ip:p.tcp_off]) != 0:
            sys.exit(f"{name}: frame {n + 1}: bad IPv4 header checksum")
        seg = frame[p.tcp_off:p.pay_off + p.plen]
        if tcp_csum(frame[ip + 12:ip + 16], frame[ip + 16:ip + 20], seg) != 0:
            sys.exit(f"{name}: frame {n + 1}: bad TCP checksum")


def check_same_bytes(clean, other, name):
    a, b = streams(clean), streams(other)
    if a.keys() != b.keys():
        sys.exit(f"{name}: not the clean capture's connections")
    for k in a:
        if bytes(a[k][1]) != bytes(b[k][1]) or bytes(a[k][2]) != bytes(b[k][2]):
            sys.exit(f"{name}: the bytes of {k} differ from the clean capture's")


def measured(recs):
    """Counts seen in the output itself: pure ACKs and FINs that arrive while bytes they
    acknowledge (or, for a FIN, bytes before it) are still missing; data segments that end
    below the highest sequence already seen in their direction (reordered or resent)."""
    def ahead(a, b):                       # sequence a is after sequence b
        return b is not None and 0 < rel(a, b) < 1 << 31
    data_high, seq_high = {}, {}           # per sender: end of data; end incl. SYN/FIN
    acks_early = fins_early = behind = 0
    for _, frame in recs:
        p = Pkt(0, frame)
        if p.tcp is None or p.flags & RST:
            continue
        me, peer = (tuple(sorted(p.tcp)), p.tcp[0]), (tuple(sorted(p.tcp)), p.tcp[1])
        if p.flags & SYN:
            data_high.setdefault(me, (p.seq + 1) & 0xFFFFFFFF)
            seq_high.setdefault(me, (p.seq + 1) & 0xFFFFFFFF)
            continue
        end = (p.seq + p.plen) & 0xFFFFFFFF
        ack_ahead = p.flags & ACK and ahead(p.ack, seq_high.get(peer))
        if p.flags & FIN:
            if ack_ahead or ahead(p.seq, data_high.get(me)):
                fins_early += 1
        elif ack_ahead and p.plen == 0:
            acks_early += 1
        if p.plen:
            h = data_high.get(me)
            if h is not None and ahead(h, end):
                behind += 1
            else:
                data_high[me] = end
        last = (end + (1 if p.flags & FIN else 0)) & 0xFFFFFFFF
        if me not in seq_high or ahead(last, seq_high[me]):
            seq_high[me] = last
    return acks_early, fins_early, behind


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, outdir = sys.argv[1], sys.argv[2]
    header, e, tick, recs = read_pcap(src)
    if tick != 1_000_000:
        global USEC
        USEC = tick // 1_000_000
    pkts = [Pkt(t, f) for t, f in recs]
    conns = connections(pkts)
    rng = random.Random(SEED)
    plans = [(c, plan_conn(c, rng)) for c in conns]
    reordered = monotonic(apply_plans(pkts, plans))
    drng = random.Random(DUP_SEED)
    duplicated = duplicate(recs, drng)
    both = duplicate(reordered, drng)
    outputs = (("span-reordered.pcap", reordered), ("span-duplicated.pcap", duplicated),
               ("span-both.pcap", both))
    for name, out in outputs:
        check_checksums(out, name)
        check_same_bytes(recs, out, name)
        if any(out[i][0] > out[i + 1][0] for i in range(len(out) - 1)):
            sys.exit(f"{name}: timestamps go backwards")
        write_pcap(os.path.join(outdir, name), header, e, tick, out)

    print("span-rewrite: %s: %d frames, %d TCP connections" % (os.path.basename(src), len(recs),
                                                                len(conns)))
    cols = ("ack_before_data", "swapped_pairs", "retransmitted", "overlap_reseg",
            "crossing_reseg", "fin_before_data")
    print("  ackfw: pure ACKs moved ahead of the data segment they end at (of the client's "
          "data + of the server's); swap: pairs swapped; rexmt: exact copies 2-5 frames later; "
          "ovlap: segments cut into 2-3 overlapping pieces; cross: pairs cut into 3 pieces "
          "across their boundary; finfw: FINs moved ahead of the last data segment")
    print("  %-40s %9s %9s %6s %6s %6s %6s %6s" % ("connection (client > server)", "data segs",
                                                   "ackfw", "swap", "rexmt", "ovlap", "cross",
                                                   "finfw"))
    total = dict.fromkeys(list(cols) + ["ack_before_client_data"], 0)

    def row(label, nd, st):
        ackfw = "%d+%d" % (st["ack_before_client_data"],
                           st["ack_before_data"] - st["ack_before_client_data"])
        print("  %-40s %9s %9s %s" % (label, nd, ackfw,
                                       " ".join("%6d" % st[k] for k in cols[1:])))
    for c in conns:
        nd = sum(1 for p in c.pkts if p.is_data())
        if not nd:
            continue
        row(c.name(), nd, c.stats)
        for k in total:
            total[k] += c.stats[k]
    row("total", "", total)
    for name, out in outputs:
        a, f, b = measured(out)
        print("  %-22s %6d frames; in the file: %d pure ACKs and %d FINs ahead of the data, "
              "%d data segments below the highest sequence seen" % (name, len(out), a, f, b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
