#!/usr/bin/env bash
# Latency-versus-load curves, all in one run, for ModelInfer on the example iris random forest
# (version 2) with 1-row and 64-row requests along four paths:
#   worker            load-client -> model-worker
#   gateway           load-client -> gateway -> model-worker
#   pipeline          load-client -> gateway -> feature-preprocessor (iris-features, raw columns) -> model-worker
#   python-ort        load-client -> Python grpcio + onnxruntime server (bench/py_ort_server.py)
# For each path and size: the maximum throughput (closed loop), then open-loop runs offered at
# LOADS percent of it, percentiles from the calls' due times. References in the same run: h2load
# against nghttpd serving a 100-byte file, and h2load against the worker (a C client, to show
# whether load-client itself is the limit).
# Writes bench/results/curves.csv and curves-run.txt, then bench/results/latency-vs-load.png.
#   bench/curves.sh                           (about 8 minutes)
#   DURATION=1 WARMUP=0.3 LOADS="50 100" SIZES=1 bench/curves.sh      (a smoke run)
# Environment: DURATION seconds per point (5), WARMUP (1), LOADS (10 30 50 70 90 100), SIZES
# (1 64), PATHS (worker gateway pipeline python-ort), CONNECTIONS (8), CLOSED_IN_FLIGHT (64),
# SCRATCH (.build-bench), BUILD (1; 0 skips building), OUT (bench/results).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
duration=${DURATION:-5}
warmup=${WARMUP:-1}
loads=${LOADS:-10 30 50 70 90 100}
sizes=${SIZES:-1 64}
paths=${PATHS:-worker gateway pipeline python-ort}
connections=${CONNECTIONS:-8}
closed_in_flight=${CLOSED_IN_FLIGHT:-64}
scratch=${SCRATCH:-.build-bench}
out=${OUT:-bench/results}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/setup >/dev/null
# BUILD=0 uses the binaries already in SCRATCH (while others edit the tree, a build can fail).
if [ "${BUILD:-1}" != 0 ]; then
  for product in model-worker gateway feature-preprocessor load-client; do
    swift build -c release --scratch-path "$scratch" --product "$product" >/dev/null
  done
fi
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
py=.venv/bin/python
mkdir -p "$out"


model="$PWD/examples/models/iris/2/model.onnx"
mkdir -p "$work/models/iris"
ln -s "$PWD/examples/models/iris/2" "$work/models/iris/2"
"$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
  --log-level warning > "$work/worker.out" 2>&1 &
pids+=($!)
worker_port=$(port_of "$work/worker.out")
"$bin/feature-preprocessor" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --pipelines examples/pipelines \
  --log-level warning > "$work/pre.out" 2>&1 &
pids+=($!)
pre_port=$(port_of "$work/pre.out")
# One gateway, two routed names: iris straight to the worker, iris-raw through the pipeline.
cat > "$work/routes.yaml" <<ROUTES
models:
  iris:
    versions:
      "2": {endpoints: ["127.0.0.1:$worker_port"]}
  iris-raw:
    pipeline: {model: iris-features, endpoints: ["127.0.0.1:$pre_port"]}
    versions:
      "2": {endpoints: ["127.0.0.1:$worker_port"], model: iris}
ROUTES
"$bin/gateway" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --routes "$work/routes.yaml" --canary-state "" \
  --log-level warning > "$work/gateway.out" 2>&1 &
pids+=($!)
gateway_port=$(port_of "$work/gateway.out")
$py bench/py_ort_server.py iris "$model" > "$work/py.out" 2>&1 &
pids+=($!)
py_port=$(port_of "$work/py.out")
mkdir -p "$work/www"; head -c 100 /dev/urandom > "$work/www/file"
ng_port=$(free_port)
nghttpd --no-tls -d "$work/www" "$ng_port" > /dev/null 2>&1 &
pids+=($!)
sleep 0.5

# load-client arguments per path (the pipeline path sends the four raw iris columns).
path_args() {
  case $1 in
    worker) echo "--target 127.0.0.1:$worker_port --model iris" ;;
    gateway) echo "--target 127.0.0.1:$gateway_port --model iris" ;;
    pipeline) echo "--target 127.0.0.1:$gateway_port --model iris-raw --columns sepal_length,sepal_width,petal_length,petal_width" ;;
    python-ort) echo "--target 127.0.0.1:$py_port --model iris" ;;
  esac
}
csv="$out/curves.csv"
echo "path,rows,load_pct,offered_rps,achieved_rps,sent,ok,failed,dropped,p50_ms,p90_ms,p99_ms,p999_ms,max_ms" > "$csv"
# Appends one CSV row from load-client's JSON on stdin; prints the achieved rate.
append() {  # path rows load_pct
  python3 -c '
import json, sys
path, rows, pct, csv = sys.argv[1:]
r = json.load(sys.stdin)
row = [path, rows, pct, r.get("offered_rps") or "", round(r["achieved_rps"], 1), r["sent"], r["ok"], r["failed"], r["dropped"],
       r["p50_ms"], r["p90_ms"], r["p99_ms"], r["p999_ms"], r["max_ms"]]
open(csv, "a").write(",".join(str(x) for x in row) + "\n")
print(round(r["achieved_rps"]))' "$1" "$2" "$3" "$csv"
}
client() { "$bin/load-client" --json --duration "$duration" --warmup "$warmup" --connections "$connections" "$@"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
printf '%-11s %5s %6s %10s %10s %8s %8s %8s %8s %10s\n' path rows load offered achieved p50_ms p90_ms p99_ms p99.9_ms failed+drop
for rows in $sizes; do
  for path in $paths; do
    # shellcheck disable=SC2046  # path_args is a word list on purpose
    max=$(client $(path_args "$path") --rows "$rows" --rate 0 --max-in-flight "$closed_in_flight" | append "$path" "$rows" max)
    tail -1 "$csv" | awk -F, '{printf "%-11s %5s %6s %10s %10.0f %8.3f %8.3f %8.3f %8.3f %10d\n", $1, $2, $3, "closed", $5, $10, $11, $12, $13, $8}'
    for pct in $loads; do
      rate=$((max * pct / 100)); [ "$rate" -gt 0 ] || rate=1
      # shellcheck disable=SC2046
      client $(path_args "$path") --rows "$rows" --rate "$rate" | append "$path" "$rows" "$pct" >/dev/null
      tail -1 "$csv" | awk -F, '{printf "%-11s %5s %5s%% %10s %10.0f %8.3f %8.3f %8.3f %8.3f %10d\n", $1, $2, $3, $4, $5, $10, $11, $12, $13, $8 + $9}'
    done
  done
done

# References: h2load (8 connections x 8 streams, one thread) on nghttpd's static file and on the
# worker with the same requests load-client sends (which load-client's probe saw succeed).
$py - "$work" <<'PY'
import struct, sys
import numpy as np
from tritonclient.grpc import service_pb2 as inf
for rows in (1, 64):
    values = np.array([1 + (i % 4) + (i % 7) * 0.1 for i in range(rows * 4)], np.float32)  # load-client's rows
    request = inf.ModelInferRequest(model_name="iris", raw_input_contents=[values.tobytes()])
    request.inputs.add(name="X", datatype="FP32", shape=[rows, 4])
    body = request.SerializeToString()
    open(f"{sys.argv[1]}/frame{rows}.bin", "wb").write(b"\0" + struct.pack(">I", len(body)) + body)
PY
h2() {  # name rows url [h2load args...]
  local name=$1 rows=$2 url=$3; shift 3
  local requests; requests=$(python3 -c "print(max(20000, int($duration * 30000)))")
  h2load -n "$requests" -c 8 -m 8 -t 1 --log-file="$work/$name.log" "$@" "$url" > "$work/$name.txt"
  local rps; rps=$(sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$work/$name.txt")
  python3 - "$work/$name.log" "$name" "$rows" "$rps" "$csv" <<'PY'
import sys
log, name, rows, rps, csv = sys.argv[1:]
calls = [line.split() for line in open(log) if len(line.split()) >= 3]  # start, HTTP status, latency us
lat = sorted(int(c[2]) for c in calls)
ok = sum(c[1] == "200" for c in calls)
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000 if lat else 0
row = [name, rows, "max", "", round(float(rps), 1), len(calls), ok, len(calls) - ok, 0,
       pick(.5), pick(.9), pick(.99), pick(.999), lat[-1] / 1000 if lat else 0]
open(csv, "a").write(",".join(str(x) for x in row) + "\n")
PY
  tail -1 "$csv" | awk -F, '{printf "%-11s %5s %6s %10s %10.0f %8.3f %8.3f %8.3f %8.3f %10d\n", $1, $2, $3, "h2load", $5, $10, $11, $12, $13, $8}'
}
h2 nghttpd-static 0 "http://127.0.0.1:$ng_port/file"
for rows in $sizes; do
  h2 h2load-worker "$rows" "http://127.0.0.1:$worker_port/inference.GRPCInferenceService/ModelInfer" \
    -d "$work/frame$rows.bin" -H 'content-type: application/grpc' -H 'te: trailers'
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat > "$out/curves-run.txt" <<META
bench/curves.sh run $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, unpinned (client and servers share them)
commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' with uncommitted changes in Sources'), $(swift --version 2>&1 | head -1)
DURATION=$duration WARMUP=$warmup LOADS="$loads" SIZES="$sizes" CONNECTIONS=$connections CLOSED_IN_FLIGHT=$closed_in_flight
load average before: $load_before   after: $load_after   wall time: $(( $(date +%s) - started )) s
META
python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
best = {(r["path"], r["rows"]): float(r["achieved_rps"]) for r in rows if r["load_pct"] == "max"}
nghttpd = best.get(("nghttpd-static", "0"))
print("max throughput (closed loop), and ratios to the same run's references:")
for (path, n), rps in best.items():
    ratios = []
    if nghttpd: ratios.append(f"{rps / nghttpd:.3f} of nghttpd")
    python = best.get(("python-ort", n))
    if python and path != "python-ort": ratios.append(f"{rps / python:.1f}x python-ort")
    print(f"  {path:15} {n:>3} rows {rps:10.0f} req/s   " + ", ".join(ratios))
PY
cat "$out/curves-run.txt"
$py bench/plot_curves.py "$csv" "$out/latency-vs-load.png"
