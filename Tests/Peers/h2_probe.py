"""Sends hand-made HTTP/2 requests (python-h2) to probe our server's edge cases; prints one JSON
object per line, one per stream: {"stream", "http_status", "grpc_status", "grpc_message",
"messages", "reset"}.

usage: h2_probe.py PORT PATH [options]
  --content-type T     (default application/grpc)
  --payload-hex H      message payload (default empty)
  --flag N             compressed-flag byte of the prefix (default 0)
  --declared-length N  length written in the prefix (default: the payload's)
  --chunk N            split the framed body into DATA frames of N bytes (default: one frame)
  --no-end             do not end the request stream after the body
  --body none          send no body at all
  --streams N          open N identical streams at once on one connection
  --rst-after-ms N     reset every stream with CANCEL N ms after sending
  --header K=V         extra request header (repeatable)
  --garbage            send garbage instead of the connection preface; print {"closed": bool}
  --timeout S          seconds to wait for all streams (default 10)
"""
import argparse
import json
import socket
import struct
import time

import h2.config
import h2.connection
import h2.events

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("path")
parser.add_argument("--content-type", default="application/grpc")
parser.add_argument("--payload-hex", default="")
parser.add_argument("--flag", type=int, default=0)
parser.add_argument("--declared-length", type=int)
parser.add_argument("--chunk", type=int)
parser.add_argument("--no-end", action="store_true")
parser.add_argument("--body", default="framed")
parser.add_argument("--streams", type=int, default=1)
parser.add_argument("--rst-after-ms", type=int)
parser.add_argument("--header", action="append", default=[])
parser.add_argument("--garbage", action="store_true")
parser.add_argument("--timeout", type=float, default=10)
args = parser.parse_args()

sock = socket.create_connection(("127.0.0.1", args.port))
sock.settimeout(args.timeout)

if args.garbage:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\x00\xff" * 64)
    closed = False
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
    except (ConnectionResetError, socket.timeout):
        closed = True
    print(json.dumps({"closed": closed}))
    raise SystemExit(0)

conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
conn.initiate_connection()
conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 16 << 20})
conn.increment_flow_control_window(16 << 20)
sock.sendall(conn.data_to_send())

payload = bytes.fromhex(args.payload_hex)
length = len(payload) if args.declared_length is None else args.declared_length
body = bytes([args.flag]) + struct.pack(">I", length) + payload
headers = [(":method", "POST"), (":scheme", "http"), (":path", args.path), (":authority", f"127.0.0.1:{args.port}"),
           ("content-type", args.content_type), ("te", "trailers")]
for header in args.header:
    name, _, value = header.partition("=")
    headers.append((name, value))

results = {}
for _ in range(args.streams):
    stream = conn.get_next_available_stream_id()
    results[stream] = {"stream": stream, "http_status": None, "grpc_status": None, "grpc_message": None,
                       "messages": 0, "reset": None, "data": b""}
    if args.body == "none":
        conn.send_headers(stream, headers, end_stream=not args.no_end)
    else:
        conn.send_headers(stream, headers)
        chunk = args.chunk or len(body)
        for start in range(0, len(body), chunk):
            last = start + chunk >= len(body)
            conn.send_data(stream, body[start:start + chunk], end_stream=last and not args.no_end)
            sock.sendall(conn.data_to_send())
sock.sendall(conn.data_to_send())

reset_at = time.time() + args.rst_after_ms / 1000 if args.rst_after_ms is not None else None
open_streams = set(results)
deadline = time.time() + args.timeout
while open_streams and time.time() < deadline:
    if reset_at is not None and time.time() >= reset_at:
        for stream in list(open_streams):
            conn.reset_stream(stream, error_code=8)
            results[stream]["reset"] = "sent"
            open_streams.discard(stream)
        sock.sendall(conn.data_to_send())
        reset_at = None
        break
    sock.settimeout(0.05 if reset_at is not None else max(0.05, deadline - time.time()))
    try:
        data = sock.recv(1 << 20)
    except socket.timeout:
        continue
    if not data:
        break
    for event in conn.receive_data(data):
        if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
            for name, value in event.headers:
                if name == ":status":
                    results[event.stream_id]["http_status"] = int(value)
                elif name == "grpc-status":
                    results[event.stream_id]["grpc_status"] = int(value)
                elif name == "grpc-message":
                    results[event.stream_id]["grpc_message"] = value
        elif isinstance(event, h2.events.DataReceived):
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            results[event.stream_id]["data"] += event.data
        elif isinstance(event, h2.events.StreamReset):
            results[event.stream_id]["reset"] = event.error_code
            open_streams.discard(event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            open_streams.discard(event.stream_id)
    sock.sendall(conn.data_to_send())

# Give the server a moment to see our resets before we hang up.
if any(r["reset"] == "sent" for r in results.values()):
    time.sleep(0.3)
for result in results.values():
    data = result.pop("data")
    lengths = []
    while len(data) >= 5:
        size = struct.unpack(">I", data[1:5])[0]
        lengths.append(size)
        data = data[5 + size:]
    result["messages"] = len(lengths)
    result["message_lengths"] = lengths
    print(json.dumps(result))
