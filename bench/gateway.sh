#!/usr/bin/env bash
# Benchmarks one hop of the gateway with h2load: ModelInfer (iris, 1 row) sent straight to a
# model-worker, the same call through the gateway to that worker, and nghttpd serving a
# 100-byte file, all in one run. Throughput runs use 8 connections x 8 streams; latency runs
# use 1 connection and 1 stream, so p50 differences are the per-hop overhead. The throughput
# runs repeat ROUNDS times, alternating the paths, and the ratios are reported per round and
# as the median, because one run on a noisy 2-core machine can be off by a quarter.
#   bench/gateway.sh [REQUESTS] [ROUNDS]   (defaults 100000 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
requests=${1:-100000}
rounds=${2:-3}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

scripts/setup >/dev/null
for product in model-worker gateway; do swift build -c release --product "$product" >/dev/null; done
bin=$(swift build -c release --show-bin-path)


mkdir -p "$work/models/iris"
ln -s "$PWD/examples/models/iris/1" "$work/models/iris/1"
"$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
  --log-level warning > "$work/worker.out" 2>&1 &
pids+=($!)
worker_port=$(port_of "$work/worker.out")
cat > "$work/routes.yaml" <<ROUTES
models:
  iris:
    versions:
      "1": {endpoints: ["127.0.0.1:$worker_port"]}
ROUTES
"$bin/gateway" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --routes "$work/routes.yaml" --canary-state "" \
  --log-level warning > "$work/gateway.out" 2>&1 &
pids+=($!)
gateway_port=$(port_of "$work/gateway.out")

mkdir -p "$work/www"
head -c 100 /dev/urandom > "$work/www/file"
nghttpd_port=$(free_port)
nghttpd --no-tls -d "$work/www" "$nghttpd_port" > /dev/null 2>&1 &
pids+=($!)
sleep 0.5

# The request frame (gRPC prefix + ModelInferRequest), checked with a real client on both paths
# first, because h2load counts any HTTP 200 as a success.
.venv/bin/python - "$work/frame.bin" "$worker_port" "$gateway_port" <<'PY'
import struct, sys
import grpc, numpy as np
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc
request = inf.ModelInferRequest(model_name="iris", raw_input_contents=[np.array([[5.9, 3.0, 5.1, 1.8]], np.float32).tobytes()])
request.inputs.add(name="X", datatype="FP32", shape=[1, 4])
body = request.SerializeToString()
open(sys.argv[1], "wb").write(b"\0" + struct.pack(">I", len(body)) + body)
for port in sys.argv[2:]:
    stub = inf_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    assert stub.ModelInfer(request, timeout=5).outputs[0].name == "label"
PY

run() {  # name url connections streams [extra h2load args...]
  local name=$1 url=$2 connections=$3 streams=$4; shift 4
  h2load -n "$requests" -c "$connections" -m "$streams" -t 1 --log-file="$work/$name.log" "$@" "$url" > "$work/$name.txt"
  local rps; rps=$(sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$work/$name.txt")
  read -r p50 p99 count ok < <(python3 bench/latency.py "$work/$name.log")
  printf '%-34s %9.0f req/s   p50 %6d us   p99 %6d us   (%s done)\n' "$name" "$rps" "$p50" "$p99" "$count"
  echo "$rps $p50 $p99" > "$work/$name.result"
}

grpc=(-d "$work/frame.bin" -H 'content-type: application/grpc' -H 'te: trailers')
infer=/inference.GRPCInferenceService/ModelInfer
echo "h2load -n $requests -t 1, unpinned, $(nproc) cores, $rounds rounds"
for round in $(seq "$rounds"); do
  run "nghttpd-static-100B (8x8) #$round" "http://127.0.0.1:$nghttpd_port/file" 8 8
  run "worker-direct ModelInfer (8x8) #$round" "http://127.0.0.1:$worker_port$infer" 8 8 "${grpc[@]}"
  run "gateway->worker ModelInfer (8x8) #$round" "http://127.0.0.1:$gateway_port$infer" 8 8 "${grpc[@]}"
done
requests=$((requests / 5))
run "worker-direct ModelInfer (1x1)" "http://127.0.0.1:$worker_port$infer" 1 1 "${grpc[@]}"
run "gateway->worker ModelInfer (1x1)" "http://127.0.0.1:$gateway_port$infer" 1 1 "${grpc[@]}"

python3 - "$work" "$rounds" <<'PY'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
read = lambda name: [float(x) for x in open(f"{work}/{name}.result").read().split()]
ratios, direct_ratios = [], []
for r in range(1, rounds + 1):
    nghttpd = read(f"nghttpd-static-100B (8x8) #{r}")
    direct = read(f"worker-direct ModelInfer (8x8) #{r}")
    gateway = read(f"gateway->worker ModelInfer (8x8) #{r}")
    ratios.append(gateway[0] / direct[0])
    direct_ratios.append(direct[0] / nghttpd[0])
print("gateway / direct throughput per round = " + ", ".join(f"{x:.2f}" for x in ratios)
      + f"   median {statistics.median(ratios):.2f}")
print("direct / nghttpd per round = " + ", ".join(f"{x:.2f}" for x in direct_ratios)
      + f"   median {statistics.median(direct_ratios):.2f}")
direct1, gateway1 = read("worker-direct ModelInfer (1x1)"), read("gateway->worker ModelInfer (1x1)")
print(f"added p50 at 1x1 = {(gateway1[1] - direct1[1]) / 1000:.3f} ms   added p99 at 1x1 = {(gateway1[2] - direct1[2]) / 1000:.3f} ms")
PY
