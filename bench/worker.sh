#!/usr/bin/env bash
# Benchmarks the model-worker on the example iris random forest (version 2), all in one run:
# h2load ModelInfer with 1 row and with 64 rows against the worker and against two Python
# servers running onnxruntime on the same file (a bare grpcio server, and a KServe ModelServer,
# the reference issue 4 names, installed on first use into .venv-kserve), nghttpd serving a
# 100-byte file as the HTTP/2 reference, plus the worker's start-up time (exec to ready) and
# resident memory after the load.
#   bench/worker.sh [REQUESTS]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
requests=${1:-100000}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

scripts/setup >/dev/null
swift build -c release --product model-worker >/dev/null
bin=$(swift build -c release --show-bin-path)
py=.venv/bin/python
model="$PWD/examples/models/iris/2/model.onnx"
mkdir -p "$work/models/iris"
ln -s "$PWD/examples/models/iris/2" "$work/models/iris/2"

started=$($py -c 'import time; print(time.monotonic())')
"$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
  --log-level warning > "$work/worker.out" 2>&1 &
worker_pid=$!
pids+=($worker_pid)
for _ in $(seq 400); do grep -q "^listening on" "$work/worker.out" && break; sleep 0.005; done
ready=$($py -c 'import time; print(time.monotonic())')
worker_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/worker.out" | head -1)

$py bench/py_ort_server.py iris "$model" > "$work/py.out" &
pids+=($!)
for _ in $(seq 400); do grep -q "^PORT" "$work/py.out" 2>/dev/null && break; sleep 0.05; done
py_port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$work/py.out")

# KServe pins its own grpcio and protobuf, so it gets a venv of its own.
kserve_py=.venv-kserve/bin/python
if [ ! -x "$kserve_py" ]; then
  echo "installing kserve into .venv-kserve (first run only)"
  python3 -m venv .venv-kserve
  .venv-kserve/bin/pip install -q kserve onnxruntime numpy > /dev/null
fi
kserve_port=$(free_port)
"$kserve_py" bench/kserve_ort_server.py iris "$model" "$kserve_port" "$(free_port)" > "$work/kserve.out" 2>&1 &
pids+=($!)
for _ in $(seq 600); do grep -qs "Application startup complete" "$work/kserve.out" && break; sleep 0.1; done

mkdir -p "$work/www"; head -c 100 /dev/urandom > "$work/www/file"
ng_port=$(free_port)
nghttpd --no-tls -d "$work/www" "$ng_port" > /dev/null 2>&1 &
pids+=($!)
sleep 0.5

# Request frames, checked against onnxruntime on both servers first (h2load counts any HTTP 200).
$py - "$work" "$model" "$worker_port" "$py_port" "$kserve_port" <<'PY'
import struct, sys
import grpc, numpy as np, onnxruntime as ort
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc
work, model, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
session = ort.InferenceSession(model)
rng = np.random.default_rng(3)
for rows in (1, 64):
    x = rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(rows, 4)).astype(np.float32)
    request = inf.ModelInferRequest(model_name="iris", raw_input_contents=[x.tobytes()])
    request.inputs.add(name="X", datatype="FP32", shape=[rows, 4])
    body = request.SerializeToString()
    open(f"{work}/frame{rows}.bin", "wb").write(b"\0" + struct.pack(">I", len(body)) + body)
    expected = session.run(None, {"X": x})[0]
    for port in ports:
        reply = inf_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}")).ModelInfer(request, timeout=5)
        labels = np.frombuffer(reply.raw_output_contents[0], np.int64)
        assert np.array_equal(labels, expected), f"port {port} disagrees with onnxruntime"
PY

run() {  # name url [extra h2load args...]
  local name=$1 url=$2; shift 2
  h2load -n "$requests" -c 8 -m 8 -t 1 --log-file="$work/$name.log" "$@" "$url" > "$work/$name.txt"
  local rps; rps=$(sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$work/$name.txt")
  read -r p50 p99 count ok < <(python3 bench/latency.py "$work/$name.log")
  printf '%-30s %9.0f req/s   p50 %6d us   p99 %6d us\n' "$name" "$rps" "$p50" "$p99"
  echo "$rps" > "$work/$name.rps"
}
infer=/inference.GRPCInferenceService/ModelInfer
grpc1=(-d "$work/frame1.bin" -H 'content-type: application/grpc' -H 'te: trailers')
grpc64=(-d "$work/frame64.bin" -H 'content-type: application/grpc' -H 'te: trailers')
echo "h2load -n $requests -c 8 -m 8 -t 1, unpinned, $(nproc) cores"
run nghttpd-static-100B "http://127.0.0.1:$ng_port/file"
run worker-1row "http://127.0.0.1:$worker_port$infer" "${grpc1[@]}"
run python-onnxruntime-1row "http://127.0.0.1:$py_port$infer" "${grpc1[@]}"
run kserve-onnxruntime-1row "http://127.0.0.1:$kserve_port$infer" "${grpc1[@]}"
run worker-64rows "http://127.0.0.1:$worker_port$infer" "${grpc64[@]}"
run python-onnxruntime-64rows "http://127.0.0.1:$py_port$infer" "${grpc64[@]}"
run kserve-onnxruntime-64rows "http://127.0.0.1:$kserve_port$infer" "${grpc64[@]}"

rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$worker_pid/status")
py_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$(pgrep -f py_ort_server.py | head -1)/status")
kserve_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$(pgrep -f kserve_ort_server.py | head -1)/status")
$py - "$work" "$started" "$ready" "$rss_kib" "$py_rss_kib" "$kserve_rss_kib" <<'PY'
import sys
work, started, ready = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rss, py_rss, kserve_rss = (int(value) / 1024 for value in sys.argv[4:7])
rps = lambda name: float(open(f"{work}/{name}.rps").read())
for reference in ("python-onnxruntime", "kserve-onnxruntime"):
    print(f"worker / {reference}: 1 row {rps('worker-1row') / rps(reference + '-1row'):.1f}x,"
          f" 64 rows {rps('worker-64rows') / rps(reference + '-64rows'):.1f}x")
print(f"worker 1 row / nghttpd {rps('worker-1row') / rps('nghttpd-static-100B'):.2f}")
print(f"worker start-up (exec to listening, model loaded) {1000 * (ready - started):.0f} ms; resident memory after"
      f" the load: worker {rss:.1f} MiB, python-onnxruntime {py_rss:.1f} MiB, kserve-onnxruntime {kserve_rss:.1f} MiB")
PY
