"""Load for fault-injection tests; prints one JSON object. Modes:

  load PORT[,PORT...] CONCURRENCY TIMEOUT_MS DIR [MAX_SECONDS]
      steady ModelInfer load through a gateway (or several: thread i calls port i mod n)
      while the test injects faults (below)
  stall PORT STREAMS PAYLOAD_BYTES COUNT HOW DIR
      a client that never reads: opens STREAMS rpctest.Echo/Expand calls on one HTTP/2
      connection, each asking for COUNT replies of PAYLOAD_BYTES, and then
        HOW=zero-window     keeps reading the socket but advertises a receive window of 0
                            and never opens it
        HOW=stalled-socket  advertises the largest windows but never reads the socket
      creates DIR/started once the requests are sent and holds the connection until
      DIR/stop appears (at most 60 s). Output: {"answered": streams whose reply headers came,
      "data_bytes": reply bytes received} (zero-window only; a stalled socket sees nothing)

load mode:

Each of CONCURRENCY threads calls `iris` back to back with tritonclient, each call with a
TIMEOUT_MS deadline. The test steers the run through files in DIR:
  DIR/started   created here once the first 20 calls succeeded (the test may inject its fault)
  DIR/phase     written by the test: the name of the phase calls started from now belong to
  DIR/stop      created by the test: threads finish their call and stop
  DIR/progress  written here every 50 ms: {"streaks": [per thread: calls succeeded since its
                last failure]}, so the test can wait until every client gets through again
MAX_SECONDS (default 120) ends the run if the test never asks.

Output: {"calls", "failures", "errors": {status: n}, "versions": {v: n},
         "phases": {name: {"calls", "failures", "errors", "versions"}}, "phase_order": [names],
         "ports": {port: {phase: {"calls", "failures"}}}}
A call counts in the phase that was in effect when it started.
"""
import collections
import json
import os
import sys
import threading
import time

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException



def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def stall(port, streams, payload_bytes, count, how, directory):
    import socket
    import struct

    import h2.config
    import h2.connection
    import h2.events
    import h2.settings

    stop_path = os.path.join(directory, "stop")
    sock = socket.create_connection(("127.0.0.1", port))
    if how == "stalled-socket":
        # A small kernel buffer, so the server's bytes pile up on its side, not in ours.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    window = 0 if how == "zero-window" else (1 << 31) - 1
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
    if how == "stalled-socket":
        conn.increment_flow_control_window((1 << 31) - 1 - 65535)
    # EchoRequest {payload = 1 (bytes), count = 2 (uint32)}
    message = b"\x0a" + varint(payload_bytes) + bytes(payload_bytes) + b"\x10" + varint(count)
    body = b"\x00" + struct.pack(">I", len(message)) + message
    headers = [(":method", "POST"), (":scheme", "http"), (":path", "/rpctest.Echo/Expand"),
               (":authority", f"127.0.0.1:{port}"), ("content-type", "application/grpc"), ("te", "trailers")]
    sock.sendall(conn.data_to_send())
    answered, data_bytes = set(), 0

    def read_once(timeout):
        nonlocal data_bytes
        sock.settimeout(timeout)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return True
        if not chunk:
            return False
        for event in conn.receive_data(chunk):
            if isinstance(event, h2.events.ResponseReceived):
                answered.add(event.stream_id)
            elif isinstance(event, h2.events.DataReceived):
                data_bytes += len(event.data)  # never acknowledged: the window stays shut
        sock.sendall(conn.data_to_send())
        return True

    # The server's SETTINGS and window updates, so its limits are known before the bodies go
    # (a stalled socket reads only this once).
    read_once(1)
    for _ in range(streams):
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, headers)
        sent = 0
        while sent < len(body):
            size = min(len(body) - sent, conn.max_outbound_frame_size, conn.local_flow_control_window(stream))
            if size <= 0:
                raise SystemExit("the server's receive window is shut")
            conn.send_data(stream, body[sent:sent + size], end_stream=sent + size == len(body))
            sent += size
        sock.sendall(conn.data_to_send())
    open(os.path.join(directory, "started"), "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(stop_path) and time.monotonic() < deadline:
        if how == "zero-window":
            if not read_once(0.05):
                break
        else:
            time.sleep(0.05)
    sock.close()
    print(json.dumps({"answered": len(answered), "data_bytes": data_bytes}))


if sys.argv[1] == "stall":
    stall(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7])
    raise SystemExit(0)
if sys.argv[1] != "load":
    raise SystemExit(f"unknown mode {sys.argv[1]}")
ports, concurrency, timeout_ms, directory = sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
max_seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 120.0
started_path, phase_path, stop_path, progress_path = (
    os.path.join(directory, name) for name in ("started", "phase", "stop", "progress"))

lock = threading.Lock()
phase = ["start"]
phase_order = ["start"]
stopping = threading.Event()
successes = [0]
streaks = [0] * concurrency


def new_counts():
    return {"calls": 0, "failures": 0, "errors": collections.Counter(), "versions": collections.Counter()}


phases = collections.defaultdict(new_counts)
by_port = {port: collections.defaultdict(lambda: {"calls": 0, "failures": 0}) for port in ports}


def watch():
    """Follows the phase file and the stop file (polling: the test writes them atomically)."""
    deadline = time.monotonic() + max_seconds
    while not stopping.is_set():
        if os.path.exists(stop_path) or time.monotonic() > deadline:
            stopping.set()
            return
        try:
            with open(phase_path) as handle:
                name = handle.read().strip()
        except FileNotFoundError:
            name = ""
        if name and name != phase[0]:
            with lock:
                phase[0] = name
                phase_order.append(name)
        time.sleep(0.01)


def report_progress():
    while not stopping.wait(0.05):
        with lock:
            text = json.dumps({"streaks": list(streaks)})
        with open(progress_path + ".tmp", "w") as handle:
            handle.write(text)
        os.replace(progress_path + ".tmp", progress_path)


def worker(seed):
    rng = np.random.default_rng(seed)
    port = ports[seed % len(ports)]
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    tensor = triton.InferInput("X", [2, 4], "FP32")
    while not stopping.is_set():
        x = rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(2, 4)).astype(np.float32)
        tensor.set_data_from_numpy(x)
        with lock:
            current = phases[phase[0]]
            at_port = by_port[port][phase[0]]
        try:
            result = client.infer("iris", [tensor], client_timeout=timeout_ms / 1000)
            version = result.get_response().model_version
            with lock:
                current["calls"] += 1
                at_port["calls"] += 1
                current["versions"][version] += 1
                successes[0] += 1
                streaks[seed] += 1
        except InferenceServerException as error:
            with lock:
                current["calls"] += 1
                current["failures"] += 1
                at_port["calls"] += 1
                at_port["failures"] += 1
                streaks[seed] = 0
                current["errors"][f"{error.status()}|{error.message()}"[:160]] += 1


watcher = threading.Thread(target=watch)
watcher.start()
reporter = threading.Thread(target=report_progress)
reporter.start()
threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(concurrency)]
for thread in threads:
    thread.start()
# Tell the test the load is running, so it can inject its fault while calls flow.
while successes[0] < 20 and not stopping.is_set():
    time.sleep(0.01)
open(started_path, "w").close()
for thread in threads:
    thread.join()
stopping.set()
watcher.join()
reporter.join()

total = new_counts()
out_phases = {}
for name, counts in phases.items():
    out_phases[name] = {"calls": counts["calls"], "failures": counts["failures"],
                        "errors": dict(counts["errors"]), "versions": dict(counts["versions"])}
    total["calls"] += counts["calls"]
    total["failures"] += counts["failures"]
    total["errors"].update(counts["errors"])
    total["versions"].update(counts["versions"])
print(json.dumps({"calls": total["calls"], "failures": total["failures"], "errors": dict(total["errors"]),
                  "versions": dict(total["versions"]), "phases": out_phases, "phase_order": phase_order,
                  "ports": {port: dict(counts) for port, counts in by_port.items()}}))
