#!/usr/bin/env bash
# Compares our model-worker and gateway per call with reference servers measured in the same run
# (issue 20): CPU µs per call and req/s, h2load 8 connections x 8 streams, one h2load thread.
#   ServerLive            ours, grpc-go, grpc++ async CQ, nghttpd --trailer 'grpc-status: 0'
#                         serving the reply as a static file (the limit: no gRPC at all)
#   ModelInfer (2 rows)   ours (ONNX Gemm), grpc-go, grpc++ (both hard-code the same 3x4 model)
#   gateway ModelInfer    ours, haproxy (h2 both sides), nginx grpc_pass, in front of one worker;
#                         only the proxy process's CPU is counted
# The measured server is alone on the last core (taskset), h2load and the proxies' upstream
# worker on the first. CPU time is utime+stime (all threads) from /proc/PID/stat before and
# after a fixed number of calls. Rounds alternate the servers; medians and ratios to ours.
# The reference servers are built from Debian packages on first use (bench/references/build.sh).
# Our release binaries are used as they are; they are built only when missing (run
# `swift build -c release` first to measure the current sources).
#   bench/references.sh [REQUESTS] [ROUNDS]   (defaults 100000 and 5)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
requests=${1:-100000} rounds=${2:-5}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
measured_cpu=$(( $(nproc) - 1 ))
tick=$(getconf CLK_TCK)

bench/references/build.sh
refs=bench/references/build
for product in model-worker gateway; do
  [ -x ".build/release/$product" ] || swift build -c release --product "$product" >/dev/null
done
bin=.build/release
.venv/bin/python bench/references/linear_model.py "$work/models"

declare -A port pid
started() {  # name pid (log file with 'listening on' | port)
  pid[$1]=$2; pids+=("$2")
  if [ -f "$3" ]; then port[$1]=$(port_of "$3"); else port[$1]=$3; fi
}
pinned=(taskset -c "$measured_cpu")  # not a function: $! must be the server's own pid

touch "$work"/{ours,grpc-go,grpc++,upstream,gateway}.out
# Servers under test, each alone on the measured core while it is loaded.
"${pinned[@]}" "$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
  --log-level warning > "$work/ours.out" 2>&1 &
started ours $! "$work/ours.out"
"${pinned[@]}" "$refs/grpc-go-server" > "$work/grpc-go.out" 2>&1 &
started grpc-go $! "$work/grpc-go.out"
"${pinned[@]}" "$refs/grpcpp-server" > "$work/grpc++.out" 2>&1 &
started grpc++ $! "$work/grpc++.out"
# nghttpd answers ServerLive from a file holding the gRPC-framed ServerLiveResponse{live: true}.
mkdir -p "$work/www/inference.GRPCInferenceService"
printf '\x00\x00\x00\x00\x02\x08\x01' > "$work/www/inference.GRPCInferenceService/ServerLive"
nghttpd_port=$(free_port)
"${pinned[@]}" nghttpd --no-tls --trailer 'grpc-status: 0' -d "$work/www" "$nghttpd_port" > "$work/nghttpd.out" 2>&1 &
started nghttpd $! "$nghttpd_port"

# Proxies on the measured core in front of one worker on the first core.
taskset -c 0 "$bin/model-worker" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --model-repository "$work/models" \
  --log-level warning > "$work/upstream.out" 2>&1 &
started upstream $! "$work/upstream.out"
upstream=127.0.0.1:${port[upstream]}
cat > "$work/routes.yaml" <<ROUTES
models:
  linear:
    versions:
      "1": {endpoints: ["$upstream"]}
ROUTES
"${pinned[@]}" "$bin/gateway" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --routes "$work/routes.yaml" --canary-state "" \
  --log-level warning > "$work/gateway.out" 2>&1 &
started gateway $! "$work/gateway.out"
haproxy_port=$(free_port)
cat > "$work/haproxy.cfg" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend grpc
  bind 127.0.0.1:$haproxy_port proto h2
  default_backend worker
backend worker
  server worker $upstream proto h2
CFG
"${pinned[@]}" haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.out" 2>&1 &
started haproxy $! "$haproxy_port"
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CFG
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 1000000000;
  upstream worker { server $upstream; keepalive 64; keepalive_requests 1000000000; }
  server {
    listen 127.0.0.1:$nginx_port http2;
    location / { grpc_pass grpc://worker; }
  }
}
CFG
"${pinned[@]}" nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx.conf" > "$work/nginx.out" 2>&1 &
started nginx $! "$nginx_port"
sleep 0.5

# The request bodies, and every server checked with a real gRPC client first (h2load counts any
# HTTP 200 as a success).
.venv/bin/python bench/references/frames.py "$work" "ours=${port[ours]}:live,infer,health" \
  "grpc-go=${port[grpc-go]}:live,infer,fp32,health" "grpc++=${port[grpc++]}:live,infer,fp32,health" \
  "nghttpd=${port[nghttpd]}:live" "gateway=${port[gateway]}:infer" "haproxy=${port[haproxy]}:infer" \
  "nginx=${port[nginx]}:infer"

# name  server  method  body
cases=(
  "live/ours ours ServerLive live" "live/grpc-go grpc-go ServerLive live" "live/grpc++ grpc++ ServerLive live"
  "live/nghttpd-trailer nghttpd ServerLive live"
  "infer/ours ours ModelInfer infer" "infer/grpc-go grpc-go ModelInfer infer" "infer/grpc++ grpc++ ModelInfer infer"
  "proxy/ours-gateway gateway ModelInfer infer" "proxy/haproxy haproxy ModelInfer infer"
  "proxy/nginx-grpc_pass nginx ModelInfer infer"
)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() {  # server method body count
  taskset -c 0 h2load -n "$4" -c 8 -m 8 -t 1 -d "$work/$3.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:${port[$1]}/inference.GRPCInferenceService/$2" > "$work/h2load.txt"
  grep -q " $4 succeeded, 0 failed, 0 errored" "$work/h2load.txt" && grep -q "^status codes: $4 2xx" "$work/h2load.txt" \
    || { echo "bench: h2load against $1 $2 did not succeed" >&2; cat "$work/h2load.txt" >&2; exit 1; }
}
for c in "${cases[@]}"; do read -r _ server method body <<< "$c"; load "$server" "$method" "$body" 10000; done  # warm-up
echo "h2load -n $requests -c 8 -m 8 -t 1 on cpu 0; measured server alone on cpu $measured_cpu; $rounds rounds"
for round in $(seq "$rounds"); do
  for c in "${cases[@]}"; do
    read -r name server method body <<< "$c"
    ticks=$(cpu_ticks "${pid[$server]}")
    load "$server" "$method" "$body" "$requests"
    used=$(( $(cpu_ticks "${pid[$server]}") - ticks ))
    rps=$(sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$work/h2load.txt")
    us=$(python3 -c "print(f'{$used * 1e6 / $tick / $requests:.2f}')")
    printf 'round %d  %-24s %9.0f req/s %8s us CPU per call\n' "$round" "$name" "$rps" "$us"
    echo "$us $rps" >> "$work/${name//\//_}.result"
  done
done
python3 - "$work" "${cases[@]}" <<'PY'
import statistics, sys
work, names = sys.argv[1], [c.split()[0] for c in sys.argv[2:]]
median = {}
for name in names:
    rows = [list(map(float, line.split())) for line in open(f"{work}/{name.replace('/', '_')}.result")]
    median[name] = (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows),
                    min(r[0] for r in rows), max(r[0] for r in rows))
ours = {"live": "live/ours", "infer": "infer/ours", "proxy": "proxy/ours-gateway"}
titles = {"live": "ServerLive", "infer": "ModelInfer, 2 rows, linear 3x4", "proxy": "ModelInfer through a proxy (proxy CPU only)"}
print(f"\n{'medians':34s} {'us CPU/call':>11s} {'(min-max)':>13s} {'x ours':>7s} {'req/s':>9s} {'x ours':>7s}")
for group in ("live", "infer", "proxy"):
    print(titles[group])
    base_us, base_rps = median[ours[group]][:2]
    for name in (n for n in names if n.startswith(group + "/")):
        us, rps, low, high = median[name]
        ratio = lambda a, b: f"{a / b:7.2f}" if b else f"{'-':>7s}"
        print(f"  {name.split('/', 1)[1]:32s} {us:11.2f} {f'({low:.1f}-{high:.1f})':>13s} {ratio(us, base_us)}"
              f" {rps:9.0f} {ratio(rps, base_rps)}")
PY
