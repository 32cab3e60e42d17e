#!/usr/bin/env bash
# Benchmarks the feature-preprocessor on a realistic ColumnTransformer (10 numeric columns with
# imputation and scaling + 5 one-hot categorical columns), all in one run:
#   rows/s at batch 1 and 1024 through the running preprocessor (Python grpcio client, one call
#   per batch) against scikit-learn's transform in process on the same rows;
#   h2load req/s for 1-row calls against nghttpd serving a 100-byte file.
#   bench/preprocessor.sh [REQUESTS]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-100000}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

scripts/setup >/dev/null
swift build -c release --product feature-preprocessor >/dev/null
bin=$(swift build -c release --show-bin-path)
py=.venv/bin/python

mkdir -p "$work/pipelines"
$py bench/pipeline_bench.py make "$work"
$py scripts/export-pipeline "$work/mixed.joblib" --name mixed --output "$work/pipelines/mixed.yaml" >/dev/null
"$bin/feature-preprocessor" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --pipelines "$work/pipelines" \
  --log-level warning > "$work/pre.out" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q "^listening on" "$work/pre.out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/pre.out" | head -1)

echo "rows/s, one call per batch (Python grpcio client) vs scikit-learn transform in process:"
$py bench/pipeline_bench.py measure "$work" "$port"

mkdir -p "$work/www"; head -c 100 /dev/urandom > "$work/www/file"
ng_port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nghttpd --no-tls -d "$work/www" "$ng_port" > /dev/null 2>&1 &
pids+=($!)
sleep 0.5
$py bench/pipeline_bench.py frame "$work" "$work/frame.bin"
h2() { h2load -n "$requests" -c 8 -m 8 -t 1 "$@" | sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p'; }
ours=$(h2 -d "$work/frame.bin" -H 'content-type: application/grpc' -H 'te: trailers' "http://127.0.0.1:$port/inference.GRPCInferenceService/ModelInfer")
ref=$(h2 "http://127.0.0.1:$ng_port/file")
$py -c "print(f'h2load 1-row ModelInfer: {$ours:.0f} req/s   nghttpd static: {$ref:.0f} req/s   ratio {$ours/$ref:.2f}')"
