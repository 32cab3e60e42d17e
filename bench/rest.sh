#!/usr/bin/env bash
# REST against gRPC on the same model-worker, CPU time per call: the worker (example iris random
# forest, version 2) pinned to core 1, h2load pinned to core 0, CPU from utime+stime in
# /proc/PID/stat over a fixed number of calls. ModelInfer with 1 and 64 rows as gRPC (h2c,
# 8 connections x 8 streams), as REST JSON and as REST with binary tensors over HTTP/1.1
# keep-alive (64 connections) and over HTTP/2 (h2c, 8 connections x 8 streams, like gRPC), in
# alternating rounds; prints each round and the medians, with each REST cost as a ratio of
# gRPC's measured in the same round.
#   bench/rest.sh [REQUESTS] [ROUNDS]   (defaults 40000, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
requests=${1:-40000}
rounds=${2:-3}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

scripts/setup >/dev/null
swift build -c release --product model-worker >/dev/null
bin=$(swift build -c release --show-bin-path)
py=.venv/bin/python
mkdir -p "$work/models/iris"
ln -s "$PWD/examples/models/iris/2" "$work/models/iris/2"

http_port=$(free_port)
taskset -c 1 "$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --http-listen "127.0.0.1:$http_port" \
  --model-repository "$work/models" --log-level warning > "$work/worker.out" 2>&1 &
worker_pid=$!
pids+=($worker_pid)
grpc_port=$(port_of "$work/worker.out")
for _ in $(seq 200); do grep -q "^http listening" "$work/worker.out" && break; sleep 0.05; done

# The same rows in every form, each answer checked against onnxruntime first (h2load counts
# any HTTP 200 as a success).
$py - "$work" "$PWD/examples/models/iris/2/model.onnx" "$grpc_port" "$http_port" <<'PY'
import json, struct, sys, urllib.request
import grpc, numpy as np, onnxruntime as ort
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc
work, model, grpc_port, http_port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
session = ort.InferenceSession(model)
rng = np.random.default_rng(3)
for rows in (1, 64):
    x = rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(rows, 4)).astype(np.float32)
    expected = session.run(None, {"X": x})[0]
    request = inf.ModelInferRequest(model_name="iris", raw_input_contents=[x.tobytes()])
    request.inputs.add(name="X", datatype="FP32", shape=[rows, 4])
    body = request.SerializeToString()
    open(f"{work}/grpc{rows}.bin", "wb").write(b"\0" + struct.pack(">I", len(body)) + body)
    reply = inf_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{grpc_port}")).ModelInfer(request, timeout=5)
    assert np.array_equal(np.frombuffer(reply.raw_output_contents[0], np.int64), expected), "gRPC disagrees"

    document = {"inputs": [{"name": "X", "shape": [rows, 4], "datatype": "FP32", "data": x.flatten().tolist()}]}
    open(f"{work}/json{rows}.bin", "wb").write(json.dumps(document).encode())
    header = json.dumps({"inputs": [{"name": "X", "shape": [rows, 4], "datatype": "FP32",
                                     "parameters": {"binary_data_size": x.nbytes}}],
                         "parameters": {"binary_data_output": True}}).encode()
    open(f"{work}/binary{rows}.bin", "wb").write(header + x.tobytes())
    open(f"{work}/binary{rows}.length", "w").write(str(len(header)))
    for kind in ("json", "binary"):
        data = open(f"{work}/{kind}{rows}.bin", "rb").read()
        headers = {"Inference-Header-Content-Length": str(len(header))} if kind == "binary" else {}
        with urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{http_port}/v2/models/iris/infer", data=data, headers=headers)) as response:
            answer = response.read()
            if kind == "json":
                labels = json.loads(answer)["outputs"][0]["data"]
            else:
                length = int(response.headers["Inference-Header-Content-Length"])
                labels = np.frombuffer(answer[length:length + 8 * rows], np.int64).tolist()
            assert labels == expected.tolist(), f"REST {kind} disagrees"
PY

ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$worker_pid/stat"; }
# Runs one h2load pass; prints CPU microseconds per call of the worker.
measure() {  # args for h2load...
  local before after
  before=$(cpu)
  taskset -c 0 h2load -n "$requests" -t 1 "$@" > "$work/h2load.txt"
  grep -q " 0 failed, 0 errored" "$work/h2load.txt" || { echo "bench: h2load saw failures" >&2; cat "$work/h2load.txt" >&2; exit 1; }
  after=$(cpu)
  awk -v a="$after" -v b="$before" -v t="$ticks" -v n="$requests" 'BEGIN { printf "%.2f", (a - b) * 1e6 / t / n }'
}
grpc_url="http://127.0.0.1:$grpc_port/inference.GRPCInferenceService/ModelInfer"
rest_url="http://127.0.0.1:$http_port/v2/models/iris/infer"
echo "worker pinned to core 1, h2load to core 0; $requests calls per pass, $rounds rounds"
printf '%-6s %-5s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n' round rows grpc_us json_us bin_us json2_us bin2_us \
  json/g bin/g json2/g bin2/g
for round in $(seq "$rounds"); do
  for rows in 1 64; do
    g=$(measure -c 8 -m 8 -d "$work/grpc$rows.bin" -H 'content-type: application/grpc' -H 'te: trailers' "$grpc_url")
    j=$(measure --h1 -c 64 -m 1 -d "$work/json$rows.bin" -H 'content-type: application/json' "$rest_url")
    b=$(measure --h1 -c 64 -m 1 -d "$work/binary$rows.bin" \
      -H "Inference-Header-Content-Length: $(cat "$work/binary$rows.length")" "$rest_url")
    j2=$(measure -c 8 -m 8 -d "$work/json$rows.bin" -H 'content-type: application/json' "$rest_url")
    b2=$(measure -c 8 -m 8 -d "$work/binary$rows.bin" \
      -H "Inference-Header-Content-Length: $(cat "$work/binary$rows.length")" "$rest_url")
    echo "$round $rows $g $j $b $j2 $b2" >> "$work/results"
    awk -v r="$round" -v n="$rows" -v g="$g" -v j="$j" -v b="$b" -v j2="$j2" -v b2="$b2" \
      'BEGIN { printf "%-6s %-5s %9s %9s %9s %9s %9s %9.2f %9.2f %9.2f %9.2f\n", r, n, g, j, b, j2, b2, j / g, b / g, j2 / g, b2 / g }'
  done
done
$py - "$work/results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for size in ("1", "64"):
    picked = [[float(v) for v in row[2:]] for row in rows if row[1] == size]
    ratio = lambda i: statistics.median(p[i] / p[0] for p in picked)
    print(f"{size:>2} rows: median CPU per call gRPC {statistics.median(p[0] for p in picked)} us; REST ÷ gRPC: "
          f"HTTP/1.1 JSON {ratio(1):.2f}x, binary {ratio(2):.2f}x; HTTP/2 JSON {ratio(3):.2f}x, binary {ratio(4):.2f}x")
PY
