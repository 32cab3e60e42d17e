#!/usr/bin/env bash
# Compares the CPU time per call of two builds of the model-worker and the gateway (e.g. before
# and after a change): ModelInfer on the example iris model (1 row), h2load 8 connections x 8
# streams. The server measured is alone on the last core (taskset), h2load and the gateways'
# upstream worker on the first; its CPU time is utime+stime from /proc/PID/stat read before and
# after a fixed number of calls. The rounds alternate the builds; the median per build is printed.
#   bench/call-cpu.sh BEFORE_BIN_DIR AFTER_BIN_DIR [REQUESTS] [ROUNDS]   (defaults 100000 and 5)
# Each directory holds a model-worker and a gateway binary (release builds).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
before=$1 after=$2 requests=${3:-100000} rounds=${4:-5}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
measured_cpu=$(( $(nproc) - 1 ))
tick=$(getconf CLK_TCK)

mkdir -p "$work/models/iris"
ln -s "$PWD/examples/models/iris/2" "$work/models/iris/2"
declare -A port pid
start_worker() {  # name bin cpu
  taskset -c "$3" "$2/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
    --log-level warning > "$work/$1.out" 2>&1 &
  pid[$1]=$!; pids+=($!); port[$1]=$(port_of "$work/$1.out")
}
start_gateway() {  # name bin upstream-port
  cat > "$work/$1.yaml" <<ROUTES
models:
  iris:
    versions:
      "2": {endpoints: ["127.0.0.1:$3"]}
ROUTES
  taskset -c "$measured_cpu" "$2/gateway" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --routes "$work/$1.yaml" \
    --canary-state "" --log-level warning > "$work/$1.out" 2>&1 &
  pid[$1]=$!; pids+=($!); port[$1]=$(port_of "$work/$1.out")
}
start_worker worker-before "$before" "$measured_cpu"
start_worker worker-after "$after" "$measured_cpu"
start_worker upstream "$before" 0
start_gateway gateway-before "$before" "${port[upstream]}"
start_gateway gateway-after "$after" "${port[upstream]}"
names=(worker-before worker-after gateway-before gateway-after)

# The request frame, checked with a real client on every server first (h2load counts any HTTP 200).
ports=(); for name in "${names[@]}"; do ports+=("${port[$name]}"); done
.venv/bin/python - "$work/frame.bin" "${ports[@]}" <<'PY'
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

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() {  # name count
  taskset -c 0 h2load -n "$2" -c 8 -m 8 -t 1 -d "$work/frame.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:${port[$1]}/inference.GRPCInferenceService/ModelInfer" > "$work/h2load.txt"
  grep -q " $2 succeeded, 0 failed, 0 errored" "$work/h2load.txt" && grep -q "^status codes: $2 2xx" "$work/h2load.txt" \
    || { echo "bench: h2load against $1 did not succeed" >&2; cat "$work/h2load.txt" >&2; exit 1; }
}
for name in "${names[@]}"; do load "$name" 20000; done  # warm-up: connections, handles, caches
echo "h2load -n $requests -c 8 -m 8 -t 1 on cpu 0; measured server alone on cpu $measured_cpu; $rounds rounds"
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    ticks=$(cpu_ticks "${pid[$name]}")
    load "$name" "$requests"
    used=$(( $(cpu_ticks "${pid[$name]}") - ticks ))
    us=$(python3 -c "print(f'{$used * 1e6 / $tick / $requests:.2f}')")
    printf 'round %d  %-15s %7s us CPU per call\n' "$round" "$name" "$us"
    echo "$us" >> "$work/$name.us"
  done
done
python3 - "$work" "${names[@]}" <<'PY'
import statistics, sys
work, names = sys.argv[1], sys.argv[2:]
median = {name: statistics.median(float(x) for x in open(f"{work}/{name}.us")) for name in names}
for server in ("worker", "gateway"):
    b, a = median[f"{server}-before"], median[f"{server}-after"]
    print(f"{server:8s} median us/call: before {b:.2f}  after {a:.2f}  change {100 * (a - b) / b:+.1f}%")
PY
