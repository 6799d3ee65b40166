#!/usr/bin/env python3
"""Make the fuzzers' seed corpora: the project's own captures as frame sequences in
fuzz_decode's input format ([link type index][2-byte length][frame]...), and HTTP
exchanges for fuzz_http ([slice byte][client bytes]0xff[server bytes]).
Run once; the seeds are committed and replayed by `make test`."""
import glob
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LT_INDEX = {1: 0, 101: 1, 12: 1, 0: 2, 108: 3, 113: 4, 276: 5, 127: 6, 239: 7}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    lt = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        yield lt, data[off:off + incl]
        off += incl


def decode_seed(path, limit=60000):
    out = bytearray()
    for lt, fr in frames(path):
        if lt not in LT_INDEX or len(out) + len(fr) + 3 > limit:
            continue
        out += bytes([LT_INDEX[lt]]) + struct.pack(">H", len(fr)) + fr
    return bytes(out)


def main():
    dd = os.path.join(HERE, "corpus", "decode")
    os.makedirs(dd, exist_ok=True)
    caps = sorted(glob.glob(os.path.join(ROOT, "pcaps", "*.pcap")))
    for c in caps:
        seed = decode_seed(c)
        if seed:
            open(os.path.join(dd, os.path.basename(c) + ".seed"), "wb").write(seed)
    hd = os.path.join(HERE, "corpus", "http")
    os.makedirs(hd, exist_ok=True)
    exchanges = {
        "pipelined": (b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
                      b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No\r\n\r\n"),
        "chunked": (b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x\r\nMZ\x90\x00\r\n"
                    b"0\r\nT: 1\r\n\r\n"),
        "multipart": (b"POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                      b"Content-Length: 60\r\n\r\n--B\r\nContent-Disposition: form-data; "
                      b"filename=\"a\"\r\n\r\nabc\r\n--B--\r\n",
                      b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
        "hta": (b"GET /p HTTP/1.0\r\n\r\n",
                b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><hta:application>"),
        "http09": (b"GET /x\r\n", b"raw body until close"),
    }
    for name, (req, resp) in exchanges.items():
        for slice_byte in (0x00, 0x85):
            open(os.path.join(hd, f"{name}-{slice_byte:02x}.seed"), "wb").write(
                bytes([slice_byte]) + req + b"\xff" + resp)


if __name__ == "__main__":
    main()
