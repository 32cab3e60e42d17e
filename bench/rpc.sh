#!/usr/bin/env bash
# Benchmarks the RPC layer with h2load (8 connections x 8 streams, one h2load thread) against,
# in the same run: our server's unary inference ServerLive, nghttpd serving a 100-byte file,
# and a Python grpcio server answering the same ServerLive. Prints req/s, p50/p99 and ratios.
# Every server is pinned to the last core and h2load to the first (taskset), so each server gets
# one whole core and none competes with the load generator: a per-core comparison.
#   bench/rpc.sh [REQUESTS]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
requests=${1:-200000}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

scripts/setup >/dev/null
swift build -c release --product rpc-echo-server >/dev/null

wait_for() { for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "bench: $1 never said $2" >&2; exit 1; }

# Our server.
server_cpu=$(( $(nproc) - 1 ))
pin() { taskset -c "$server_cpu" "$@"; }
pin .build/release/rpc-echo-server --listen 127.0.0.1:0 --threads 1 --log-level warning > "$work/ours.out" &
pids+=($!)
wait_for "$work/ours.out" "listening on"
ours_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/ours.out")

# nghttpd with a 100-byte file.
mkdir -p "$work/www"
head -c 100 /dev/urandom > "$work/www/file"
nghttpd_port=$(free_port)
pin nghttpd --no-tls -d "$work/www" "$nghttpd_port" > /dev/null 2>&1 &
pids+=($!)
sleep 0.5

# Python grpcio.
pin .venv/bin/python bench/py_server_live.py > "$work/py.out" &
pids+=($!)
wait_for "$work/py.out" "PORT"
py_port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$work/py.out")

# The request: gRPC prefix + an empty ServerLiveRequest. Check it with a real client first,
# because h2load counts any HTTP 200 as a success.
printf '\x00\x00\x00\x00\x00' > "$work/frame.bin"
.venv/bin/python - "$ours_port" <<'PY'
import sys, grpc
sys.path.insert(0, "Tests/Peers")
import protos
((inf, inf_grpc),) = protos.load("grpc_predict_v2")
channel = grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}")
assert inf_grpc.GRPCInferenceServiceStub(channel).ServerLive(inf.ServerLiveRequest(), timeout=5).live
PY

run() {  # name url [extra h2load args...]
  local name=$1 url=$2; shift 2
  taskset -c 0 h2load -n "$requests" -c 8 -m 8 -t 1 --log-file="$work/$name.log" "$@" "$url" > "$work/$name.txt"
  local rps; rps=$(sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$work/$name.txt")
  local failed; failed=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' "$work/$name.txt")
  read -r p50 p99 count ok < <(python3 bench/latency.py "$work/$name.log")
  printf '%-28s %10.0f req/s   p50 %6d us   p99 %6d us   (%s done, %s failed)\n' "$name" "$rps" "$p50" "$p99" "$count" "$failed"
  echo "$rps" > "$work/$name.rps"
}

grpc_args=(-d "$work/frame.bin" -H 'content-type: application/grpc' -H 'te: trailers')
echo "h2load -n $requests -c 8 -m 8 -t 1 on cpu 0; each server alone on cpu $server_cpu"
run nghttpd-static-100B "http://127.0.0.1:$nghttpd_port/file"
run ours-ServerLive "http://127.0.0.1:$ours_port/inference.GRPCInferenceService/ServerLive" "${grpc_args[@]}"
run python-grpcio-ServerLive "http://127.0.0.1:$py_port/inference.GRPCInferenceService/ServerLive" "${grpc_args[@]}"

ours=$(cat "$work/ours-ServerLive.rps"); ref=$(cat "$work/nghttpd-static-100B.rps"); py=$(cat "$work/python-grpcio-ServerLive.rps")
python3 -c "print(f'ours / nghttpd = {$ours/$ref:.2f}   ours / python grpcio = {$ours/$py:.1f}')"
