#!/usr/bin/env bash
# What shared rollouts (--coordination) cost, with three gateway replicas on one etcd member:
#   1. etcd requests and bytes per second per gateway replica, 10 routed models each with a
#      canary policy (from etcd's own /metrics: grpc_server_handled_total and the client gRPC byte
#      counters), idle and under load;
#   2. state-apply lag p50/p99: ROUNDS set-weight actions sent to one replica, the other two
#      polled for the new weight every 2 ms (the figure includes up to ~2 ms of polling);
#   3. leader failover time after kill -9 of the leader (default lease TTL 5 s), FAILOVERS times;
#   4. the gateway's CPU time per call (h2load, 1 row, the gateway alone on the last core) with
#      coordination on and off, in alternating rounds, median reported.
#   bench/coordination.sh BIN_DIR [REQUESTS] [ROUNDS] [FAILOVERS]  (defaults 50000, 5, 3)
# BIN_DIR holds release builds of model-worker and gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bin=$1 requests=${2:-50000} rounds=${3:-5} failovers=${4:-3}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
measured_cpu=$(( $(nproc) - 1 ))
tick=$(getconf CLK_TCK)

etcd_port=$(free_port) peer_port=$(free_port)
etcd --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" --initial-cluster "default=http://127.0.0.1:$peer_port" \
  > "$work/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$etcd_port/health" > /dev/null && break; sleep 0.1; done

mkdir -p "$work/models/iris" "$work/models/iris-forest"
ln -s "$PWD/examples/models/iris/1" "$work/models/iris/1"
ln -s "$PWD/examples/models/iris/2" "$work/models/iris-forest/2"
taskset -c 0 "$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
  --log-level warning > "$work/worker.out" 2>&1 &
pids+=($!); worker=$(port_of "$work/worker.out")
{
  echo "models:"
  for i in $(seq 0 9); do
    cat <<ROUTE
  iris$i:
    versions:
      "1": {endpoints: ["127.0.0.1:$worker"], model: iris}
      "2": {endpoints: ["127.0.0.1:$worker"], model: iris-forest}
    canary: {stable: "1", candidate: "2", steps: [10, 50, 100], interval: 1h, min_calls: 100000}
ROUTE
  done
} > "$work/routes.yaml"

declare -A gpid gport
start_gateway() {  # name cpu coordination-flags...
  local name=$1 cpu=$2; shift 2
  taskset -c "$cpu" "$bin/gateway" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --routes "$work/routes.yaml" \
    --canary-state "" --log-level warning "$@" > "$work/$name.out" 2>&1 &
  gpid[$name]=$!; pids+=($!); gport[$name]=$(port_of "$work/$name.out")
}
coordination=(--coordination "etcd://127.0.0.1:$etcd_port/bench")
for name in g0 g1 g2; do start_gateway "$name" 0 "${coordination[@]}"; done
sleep 3

etcd_counters() {  # requests bytes
  curl -sf "http://127.0.0.1:$etcd_port/metrics" | python3 -c '
import sys
requests = bytes_ = 0.0
for line in sys.stdin:
    if line.startswith("#"): continue
    name, _, value = line.rpartition(" ")
    if name.startswith("grpc_server_handled_total"): requests += float(value)
    if name.startswith(("etcd_network_client_grpc_received_bytes_total", "etcd_network_client_grpc_sent_bytes_total")): bytes_ += float(value)
print(int(requests), int(bytes_))'
}
rate() {  # label seconds
  read -r r0 b0 < <(etcd_counters); sleep "$2"; read -r r1 b1 < <(etcd_counters)
  python3 -c "print(f'$1: {($r1 - $r0) / $2 / 3:.1f} etcd requests/s and {($b1 - $b0) / $2 / 3 / 1024:.1f} KiB/s per gateway replica')"
}
echo "== 1. etcd traffic, 3 gateway replicas x 10 models with canaries"
rate "idle" 20

# The request frame, checked with a real client first (h2load counts any HTTP 200).
.venv/bin/python - "$work/frame.bin" "${gport[g0]}" <<'PY'
import struct, sys
import grpc, numpy as np
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc
request = inf.ModelInferRequest(model_name="iris0", raw_input_contents=[np.array([[5.9, 3.0, 5.1, 1.8]], np.float32).tobytes()])
request.inputs.add(name="X", datatype="FP32", shape=[1, 4])
body = request.SerializeToString()
open(sys.argv[1], "wb").write(b"\0" + struct.pack(">I", len(body)) + body)
stub = inf_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{sys.argv[2]}"))
assert stub.ModelInfer(request, timeout=5).outputs[0].name == "label"
PY
load() {  # port count
  taskset -c 0 h2load -n "$2" -c 8 -m 8 -t 1 -d "$work/frame.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$1/inference.GRPCInferenceService/ModelInfer" > "$work/h2load.txt"
  grep -q " $2 succeeded, 0 failed, 0 errored" "$work/h2load.txt" \
    || { echo "bench: h2load against port $1 did not succeed" >&2; cat "$work/h2load.txt" >&2; exit 1; }
}
( for name in g0 g1 g2; do load "${gport[$name]}" 30000 & done; wait ) &
loader=$!
rate "under load (h2load through all three)" 5
wait "$loader"

echo "== 2. state-apply lag: set-weight on g0, g1 and g2 polled every 2 ms ($((rounds * 10)) actions)"
.venv/bin/python - "${gport[g0]}" "${gport[g1]}" "${gport[g2]}" "$((rounds * 10))" <<'PY'
import statistics, subprocess, sys, time
import grpc
sys.path.insert(0, "Tests/Peers")
import protos  # stubs generated from proto/admin.proto at run time
((pb, stubs_mod),) = protos.load("admin")
ports, count = sys.argv[1:4], int(sys.argv[4])
stubs = [stubs_mod.GatewayAdminStub(grpc.insecure_channel(f"127.0.0.1:{p}")) for p in ports]
lags = []
for i in range(count):
    weight = 20 + (i % 2) * 10
    sent = time.monotonic()
    stubs[0].CanaryAction(pb.CanaryActionRequest(model="iris0", action=pb.CanaryActionRequest.SET_WEIGHT, weight=weight), timeout=5)
    waiting = {1, 2}
    while waiting and time.monotonic() - sent < 5:
        for j in list(waiting):
            status = stubs[j].CanaryStatusList(pb.CanaryStatusRequest(model="iris0"), timeout=5).canaries[0]
            if status.weight == weight:
                lags.append((time.monotonic() - sent) * 1000)
                waiting.discard(j)
        time.sleep(0.002)
lags.sort()
print(f"apply lag over {len(lags)} replica updates: p50 {statistics.median(lags):.1f} ms, p99 {lags[int(0.99 * (len(lags) - 1))]:.1f} ms, max {lags[-1]:.1f} ms")
PY

echo "== 3. leader failover after kill -9 (lease TTL 5 s), $failovers times"
for attempt in $(seq "$failovers"); do
  .venv/bin/python - "$work" "${gport[g0]}" "${gport[g1]}" "${gport[g2]}" "${gpid[g0]}" "${gpid[g1]}" "${gpid[g2]}" <<'PY' > "$work/failover.txt"
import os, signal, sys, time
import grpc
sys.path.insert(0, "Tests/Peers")
import protos
((pb, stubs_mod),) = protos.load("admin")
ports, pids = sys.argv[2:5], [int(p) for p in sys.argv[5:8]]
def leader(port):
    stub = stubs_mod.GatewayAdminStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    return stub.CanaryStatusList(pb.CanaryStatusRequest(model="iris0"), timeout=2).canaries[0].leader
old = leader(ports[0])
victim = next(i for i, pid in enumerate(pids) if f"-{pid}-" in old)
os.kill(pids[victim], signal.SIGKILL)
killed = time.monotonic()
survivor = ports[(victim + 1) % 3]
while True:
    try:
        now = leader(survivor)
        if now and now != old: break
    except grpc.RpcError:
        pass
    time.sleep(0.01)
print(victim, f"{time.monotonic() - killed:.2f}")
PY
  read -r victim seconds < "$work/failover.txt"
  echo "failover $attempt: new leader after $seconds s"
  start_gateway "g$victim" 0 "${coordination[@]}"
  sleep 2
done

echo "== 4. gateway CPU per call, coordination on vs off (h2load -n $requests, gateway alone on cpu $measured_cpu)"
start_gateway measured-on "$measured_cpu" "${coordination[@]}"
start_gateway measured-off "$measured_cpu"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for name in measured-on measured-off; do load "${gport[$name]}" 20000; done
for round in $(seq "$rounds"); do
  for name in measured-on measured-off; do
    ticks=$(cpu_ticks "${gpid[$name]}")
    load "${gport[$name]}" "$requests"
    used=$(( $(cpu_ticks "${gpid[$name]}") - ticks ))
    us=$(python3 -c "print(f'{$used * 1e6 / $tick / $requests:.2f}')")
    printf 'round %d  %-13s %7s us CPU per call\n' "$round" "$name" "$us"
    echo "$us" >> "$work/$name.us"
  done
done
python3 - "$work" <<'PY'
import statistics, sys
on = statistics.median(float(x) for x in open(f"{sys.argv[1]}/measured-on.us"))
off = statistics.median(float(x) for x in open(f"{sys.argv[1]}/measured-off.us"))
print(f"gateway median us/call: coordination on {on:.2f}, off {off:.2f}, ratio {on / off:.3f}")
PY
