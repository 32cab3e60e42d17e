#!/usr/bin/env bash
# Soak: the mesh under steady load for MINUTES, watching every process for leaks.
#   load-client -> gateway -> feature-preprocessor (iris-features) -> model-worker   (SOAK_PATH=pipeline, default)
#   load-client -> gateway -> model-worker                                           (SOAK_PATH=gateway)
# First the path's maximum throughput is measured (closed loop, 5 s); then load-client offers 70%
# of it (open loop) for MINUTES while every INTERVAL seconds the resident memory (VmRSS) and open
# file descriptors of each process go to bench/results/soak.csv. At the end it prints first,
# after-warm-up, last and max per process and the load-client's counts, and exits non-zero when
# any call failed, or when a server's RSS grew after warm-up (the first sample at WARM seconds) by
# more than max(RSS_BOUND_MIB, 10%), or its fd count by more than FD_BOUND.
#   bench/soak.sh [MINUTES]   (default 10)
#   INTERVAL=2 WARM=4 bench/soak.sh 0.3      (a smoke run)
# The summary also goes to bench/results/soak-summary.txt.
# Environment: SOAK_PATH, LOAD_PCT (70), ROWS (1), CONNECTIONS (8), INTERVAL (10), WARM (60,
# at most a fifth of the run), RSS_BOUND_MIB (8), FD_BOUND (4), SCRATCH (.build-bench), BUILD (1; 0
# skips building), OUT (bench/results).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
minutes=${1:-10}
soak_path=${SOAK_PATH:-pipeline}
load_pct=${LOAD_PCT:-70}
rows=${ROWS:-1}
connections=${CONNECTIONS:-8}
interval=${INTERVAL:-10}
warm=${WARM:-60}
rss_bound_mib=${RSS_BOUND_MIB:-8}
fd_bound=${FD_BOUND:-4}
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
mkdir -p "$out"


mkdir -p "$work/models/iris"
ln -s "$PWD/examples/models/iris/2" "$work/models/iris/2"
"$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
  --log-level warning > "$work/worker.out" 2>&1 &
worker_pid=$!; pids+=($!)
worker_port=$(port_of "$work/worker.out")
"$bin/feature-preprocessor" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --pipelines examples/pipelines \
  --log-level warning > "$work/pre.out" 2>&1 &
pre_pid=$!; pids+=($!)
pre_port=$(port_of "$work/pre.out")
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
gateway_pid=$!; pids+=($!)
gateway_port=$(port_of "$work/gateway.out")

case $soak_path in
  pipeline) target=(--model iris-raw --columns sepal_length,sepal_width,petal_length,petal_width) ;;
  gateway) target=(--model iris) ;;
  *) echo "soak: SOAK_PATH is pipeline or gateway, not '$soak_path'" >&2; exit 2 ;;
esac
client=("$bin/load-client" --target "127.0.0.1:$gateway_port" "${target[@]}" --rows "$rows" --connections "$connections" --json)

"${client[@]}" --rate 0 --duration 5 --warmup 1 > "$work/max.json"
max=$(python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["achieved_rps"]))' "$work/max.json")
rate=$((max * load_pct / 100))
seconds=$(python3 -c "print(round($minutes * 60))")
echo "soak: $soak_path path, $rows row(s), max $max req/s closed loop; offering $rate req/s ($load_pct%) for $seconds s"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "      load average at the start: $load_start"

csv="$out/soak.csv"
echo "elapsed_s,process,pid,rss_kib,fds" > "$csv"
started=$(date +%s.%N)
sample() {
  local now; now=$(python3 -c "print(round($(date +%s.%N) - $started, 1))")
  for named in "gateway:$gateway_pid" "feature-preprocessor:$pre_pid" "model-worker:$worker_pid" "load-client:${client_pid:-}"; do
    local name=${named%%:*} pid=${named#*:}
    [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || continue
    local rss fds
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    echo "$now,$name,$pid,$rss,$fds" >> "$csv"
  done
}
"${client[@]}" --rate "$rate" --duration "$seconds" --warmup 0 > "$work/soak.json" &
client_pid=$!; pids+=($!)
sample
while kill -0 "$client_pid" 2>/dev/null; do
  for _ in $(seq $((interval * 10))); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$client_pid" 2>/dev/null && sample
  tail -n 4 "$csv" | awk -F, -v t="$(date +%H:%M:%S)" 'NR == 1 {printf "%s %6.0f s", t, $1} {printf "   %s %.1f MiB %d fds", $2, $4 / 1024, $5} END {print ""}'
done
wait "$client_pid" || { echo "soak: load-client failed" >&2; exit 1; }
sample
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "bench/soak.sh $minutes run $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, unpinned; SOAK_PATH=$soak_path ROWS=$rows CONNECTIONS=$connections"
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' with uncommitted changes in Sources')"
  echo "max $max req/s closed loop at the start; offered $rate req/s ($load_pct%); load average at the start: $load_start"
} > "$out/soak-summary.txt"
(python3 - "$csv" "$work/soak.json" "$warm" "$seconds" "$rss_bound_mib" "$fd_bound" "$load_end" <<'PY'
import csv, json, sys
from collections import defaultdict
path, result, warm, seconds, rss_bound_mib, fd_bound, load_end = sys.argv[1:]
r = json.load(open(result))
warm = min(float(warm), float(seconds) / 5)
samples = defaultdict(list)
for row in csv.DictReader(open(path)):
    samples[row["process"]].append((float(row["elapsed_s"]), int(row["rss_kib"]), int(row["fds"])))
print(f"load-client: offered {r['offered_rps']:.0f} req/s for {r['seconds']:.0f} s, achieved {r['achieved_rps']:.0f} req/s;"
      f" sent {r['sent']}, ok {r['ok']}, failed {r['failed']} {r['failed_by_status'] or ''}, dropped {r['dropped']}")
print(f"latency ms: p50 {r['p50_ms']:.3f}  p90 {r['p90_ms']:.3f}  p99 {r['p99_ms']:.3f}  p99.9 {r['p999_ms']:.3f}  max {r['max_ms']:.3f}")
print(f"load average at the end: {load_end}")
print(f"{'process':22} {'RSS MiB first':>13} {'at warm':>8} {'last':>8} {'max':>8}   {'fds first':>9} {'warm':>5} {'last':>5} {'max':>5}")
problems = []
for name, points in samples.items():
    first, last = points[0], points[-1]
    after = [p for p in points if p[0] >= warm] or [last]
    at_warm = after[0]
    rss = lambda p: p[1] / 1024
    print(f"{name:22} {rss(first):13.1f} {rss(at_warm):8.1f} {rss(last):8.1f} {max(p[1] for p in points) / 1024:8.1f}"
          f"   {first[2]:9d} {at_warm[2]:5d} {last[2]:5d} {max(p[2] for p in points):5d}")
    if name == "load-client":
        continue  # the load generator's histogram and tasks are not under test
    bound = max(float(rss_bound_mib), 0.10 * rss(at_warm))
    if rss(last) - rss(at_warm) > bound:
        problems.append(f"{name} RSS grew {rss(last) - rss(at_warm):.1f} MiB after warm-up (bound {bound:.1f} MiB)")
    if last[2] - at_warm[2] > int(fd_bound):
        problems.append(f"{name} fds grew from {at_warm[2]} to {last[2]} after warm-up (bound {fd_bound})")
if r["failed"] > 0:
    problems.append(f"{r['failed']} calls failed: {r['failed_by_status']}")
print(f"bounds after warm-up (sample at >= {warm:.0f} s): RSS growth <= max({rss_bound_mib} MiB, 10%), fds growth <= {fd_bound}; errors == 0")
for problem in problems:
    print("SOAK FAILED:", problem)
if not problems:
    print("soak passed")
sys.exit(1 if problems else 0)
PY
) | tee -a "$out/soak-summary.txt"
exit "${PIPESTATUS[0]}"
