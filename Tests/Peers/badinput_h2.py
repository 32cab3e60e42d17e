"""Sends the frame-level rows of the bad input matrix to a running model-worker: hand-made HTTP/2
frames (HPACK from python-hpack), which python-h2 (h2_probe.py, used for the gRPC-level rows)
refuses to write. After each, a good ModelInfer on a new connection proves the server still
serves. Prints one JSON object per case:
{"case", "goaway" (error code or null), "closed", "grpc_status", "reset" (RST_STREAM code),
 "streams" ({outcome: count}), "good_after"}.

usage: badinput_h2.py PORT CASE...
"""
import json
import socket
import struct
import sys
import time

import hpack
import numpy as np
from tritonclient.grpc import service_pb2 as inf

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
METHOD = "/inference.GRPCInferenceService/ModelInfer"

port, cases = int(sys.argv[1]), sys.argv[2:]


def infer_message():
    message = inf.ModelInferRequest(model_name="iris")
    message.inputs.add(name="X", datatype="FP32", shape=[1, 4])
    message.raw_input_contents.append(np.array([[5.1, 3.5, 1.4, 0.2]], np.float32).tobytes())
    return message.SerializeToString()


MESSAGE = infer_message()


def framed(message=MESSAGE):
    return b"\x00" + struct.pack(">I", len(message)) + message


class Connection:
    """One HTTP/2 connection: frames out as written, frames in decoded into per-stream results."""

    def __init__(self, preface=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.encoder, self.decoder = hpack.Encoder(), hpack.Decoder()
        self.streams, self.goaway, self.closed = {}, None, False
        self.pending = b""
        self.header_block = None
        if preface:
            self.send_raw(PREFACE + self.frame(SETTINGS, 0, 0, b"") + self.frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 30)))

    @staticmethod
    def frame(kind, flags, stream, payload):
        return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def send(self, kind, flags, stream, payload):
        self.send_raw(self.frame(kind, flags, stream, payload))

    def headers(self, path=METHOD, extra=()):
        return self.encoder.encode([(":method", "POST"), (":scheme", "http"), (":path", path),
                                    (":authority", f"127.0.0.1:{port}"), ("content-type", "application/grpc"),
                                    ("te", "trailers"), *extra])

    def request(self, stream):
        """A whole ModelInfer call: HEADERS, then the framed message in one DATA frame."""
        self.streams.setdefault(stream, {})
        self.send(HEADERS, END_HEADERS, stream, self.headers())
        self.send(DATA, END_STREAM, stream, framed())

    def pump(self, seconds, until=lambda: False):
        """Reads frames for up to `seconds`, or until `until()` or the connection closes."""
        deadline = time.time() + seconds
        while not self.closed and not until() and time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            self.pending += data
            while len(self.pending) >= 9:
                length = int.from_bytes(self.pending[:3], "big")
                if len(self.pending) < 9 + length:
                    break
                kind, flags = self.pending[3], self.pending[4]
                stream = int.from_bytes(self.pending[5:9], "big") & 0x7FFFFFFF
                payload = self.pending[9:9 + length]
                self.pending = self.pending[9 + length:]
                self.handle(kind, flags, stream, payload)

    def handle(self, kind, flags, stream, payload):
        result = self.streams.setdefault(stream, {}) if stream else None
        if kind == SETTINGS and not flags & ACK:
            self.send(SETTINGS, ACK, 0, b"")
        elif kind == PING and not flags & ACK:
            self.send(PING, ACK, 0, payload)
        elif kind == GOAWAY:
            self.goaway = struct.unpack(">I", payload[4:8])[0]
        elif kind == RST_STREAM:
            result["reset"] = struct.unpack(">I", payload)[0]
            result["done"] = True
        elif kind in (HEADERS, CONTINUATION):
            self.header_block = (self.header_block or b"") + payload
            if flags & END_HEADERS:
                for name, value in self.decoder.decode(self.header_block):
                    if name in (":status", "grpc-status", "grpc-message"):
                        result[name] = value
                self.header_block = None
            if flags & END_STREAM:
                result["done"] = True
        elif kind == DATA:
            if payload:
                self.send(WINDOW_UPDATE, 0, stream, struct.pack(">I", len(payload)))
            if flags & END_STREAM:
                result["done"] = True

    def close(self):
        self.sock.close()


def status_counts(connection, streams):
    counts = {}
    for stream in streams:
        result = connection.streams.get(stream, {})
        key = (f"grpc-status {result['grpc-status']}" if "grpc-status" in result
               else f"reset {result['reset']}" if "reset" in result else "no answer")
        counts[key] = counts.get(key, 0) + 1
    return counts


def connection_error(setup, seconds=3):
    """Runs `setup(connection)` on a fresh connection and reports how the server ended it."""
    connection = Connection()
    setup(connection)
    connection.pump(seconds)
    report = {"goaway": connection.goaway, "closed": connection.closed}
    connection.close()
    return report


def good_call():
    """Whether a plain ModelInfer on a new connection succeeds."""
    connection = Connection()
    connection.request(1)
    connection.pump(10, until=lambda: connection.streams[1].get("done"))
    connection.close()
    return connection.streams[1].get("grpc-status") == "0"


def unknown_frame_type():
    """A frame of type 0xEE (which receivers must ignore), then a call on the same connection."""
    connection = Connection()
    connection.send(0xEE, 0, 0, b"??")
    connection.request(1)
    connection.pump(5, until=lambda: connection.streams[1].get("done"))
    result = connection.streams[1]
    report = {"goaway": connection.goaway, "closed": connection.closed,
              "grpc_status": int(result["grpc-status"]) if "grpc-status" in result else None}
    connection.close()
    return report


def bad_preface():
    connection = Connection(preface=False)
    connection.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\x00\xff" * 64)
    connection.pump(3)
    report = {"goaway": connection.goaway, "closed": connection.closed}
    connection.close()
    return report


def header_flood():
    """One request whose header list is 1,000 headers (about 80 KB) over CONTINUATION frames."""
    connection = Connection()
    block = connection.headers(extra=[(f"x-flood-{i}", "v" * 64) for i in range(1000)])
    chunks = [block[i:i + 16384] for i in range(0, len(block), 16384)]
    connection.send(HEADERS, END_HEADERS if len(chunks) == 1 else 0, 1, chunks[0])
    for index, chunk in enumerate(chunks[1:], start=1):
        connection.send(CONTINUATION, END_HEADERS if index == len(chunks) - 1 else 0, 1, chunk)
    connection.send(DATA, END_STREAM, 1, framed())
    connection.pump(5, until=lambda: connection.streams.get(1, {}).get("done"))
    result = connection.streams.get(1, {})
    report = {"goaway": connection.goaway, "closed": connection.closed,
              "grpc_status": int(result["grpc-status"]) if "grpc-status" in result else None,
              "reset": result.get("reset")}
    connection.close()
    return report


def continuation_flood():
    """HEADERS without END_HEADERS, then 10,000 CONTINUATION frames of 1 KB that never end it."""
    connection = Connection()
    connection.send(HEADERS, 0, 1, connection.headers())
    filler = connection.frame(CONTINUATION, 0, 1, hpack.Encoder().encode([("x-c", "v" * 1000)]))
    for _ in range(100):
        connection.send_raw(filler * 100)
        if connection.closed:
            break
    connection.pump(3)
    report = {"goaway": connection.goaway, "closed": connection.closed}
    connection.close()
    return report


def too_many_streams(count=300):
    """`count` requests opened at once (past the advertised 256), each completed afterwards."""
    connection = Connection()
    streams = [1 + 2 * i for i in range(count)]
    block = connection.headers()
    connection.send_raw(b"".join(connection.frame(HEADERS, END_HEADERS, s, block) for s in streams))
    connection.pump(0.5)
    connection.send_raw(b"".join(connection.frame(DATA, END_STREAM, s, framed()) for s in streams))
    connection.pump(15, until=lambda: all(connection.streams.get(s, {}).get("done") for s in streams))
    report = {"goaway": connection.goaway, "closed": connection.closed, "streams": status_counts(connection, streams)}
    connection.close()
    return report


def rapid_reset(count=2000):
    """`count` streams each opened and at once cancelled (CVE-2023-44487), then one real call."""
    connection = Connection()
    block = connection.headers()
    connection.send_raw(b"".join(
        connection.frame(HEADERS, END_HEADERS, 1 + 2 * i, block) + connection.frame(RST_STREAM, 0, 1 + 2 * i, struct.pack(">I", 8))
        for i in range(count)))
    last = 1 + 2 * count
    connection.request(last)
    connection.pump(10, until=lambda: connection.streams[last].get("done"))
    result = connection.streams[last]
    report = {"goaway": connection.goaway, "closed": connection.closed,
              "grpc_status": int(result["grpc-status"]) if "grpc-status" in result else None}
    connection.close()
    return report


def flood(kind, flags, payload, count):
    """`count` copies of one frame, written without reading the server's answers."""
    def setup(connection):
        frame = connection.frame(kind, flags, 0, payload)
        for _ in range(count // 1000):
            connection.send_raw(frame * 1000)
            if connection.closed:
                break
    return connection_error(setup)


CASES = {
    "bad_preface": bad_preface,
    "settings_frame_bad_length": lambda: connection_error(lambda c: c.send(SETTINGS, 0, 0, b"\x00" * 5)),
    "data_on_stream_zero": lambda: connection_error(lambda c: c.send(DATA, 0, 0, b"abc")),
    "headers_on_even_stream": lambda: connection_error(lambda c: c.send(HEADERS, END_HEADERS, 2, c.headers())),
    "garbage_hpack": lambda: connection_error(lambda c: c.send(HEADERS, END_HEADERS, 1, b"\xff\xff\xff\xff\xff")),
    "frame_over_max_size": lambda: connection_error(
        lambda c: (c.send(HEADERS, END_HEADERS, 1, c.headers()), c.send(DATA, 0, 1, b"\x00" * 20000))),
    "window_update_overflow": lambda: connection_error(
        lambda c: c.send(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0x7FFFFFFF))),
    "unknown_frame_type": unknown_frame_type,
    "header_flood": header_flood,
    "continuation_flood": continuation_flood,
    "ping_flood": lambda: flood(PING, 0, b"\x00" * 8, 100_000),
    "settings_flood": lambda: flood(SETTINGS, 0, b"", 100_000),
    "too_many_streams": too_many_streams,
    "rapid_reset": rapid_reset,
    "resets_under_the_rate_limit": lambda: rapid_reset(500),
}

for case in cases:
    report = CASES[case]()
    print(json.dumps({"case": case, **report, "good_after": good_call()}), flush=True)
