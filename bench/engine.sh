#!/usr/bin/env bash
# The native ONNX engine against onnxruntime on the same models and the same random FP32 rows:
# rows/s and the median time of one run at batch 1 and batch 256, onnxruntime with one intra-op
# thread (like the engine) and with its default threads. Ratios are engine rows/s ÷ onnxruntime's.
#   bench/engine.sh [SECONDS]   (default 3 per measurement)
# Models: the iris examples (v1 logistic regression, v2 random forest), an MLP on digits
# (64 → 128 → 64 → 10) and gradient boosting on breast cancer (100 trees), the last two made by
# Tests/ONNXEngineTests/Fixtures/make_models.py; XGBoost (100 trees, depth 6) and LightGBM (100
# trees, 31 leaves) classifiers on breast cancer, trained and exported by scripts/export-model
# (bench/engine_models.py).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
py=.venv/bin/python
swift build -c release --scratch-path .build-onnx-release --product onnx-bench >/dev/null
swift build -c release --scratch-path .build-onnx-release --product onnx-check >/dev/null
bench=.build-onnx-release/release/onnx-bench
fixtures=Tests/ONNXEngineTests/Fixtures
boosted=$(mktemp -d)
trap 'rm -rf "$boosted"' EXIT
models=(
  "iris-v1-logreg examples/models/iris/1/model.onnx"
  "iris-v2-forest examples/models/iris/2/model.onnx"
  "mlp-digits $fixtures/mlp_digits.onnx"
  "gboost-cancer $fixtures/gboost_cancer.onnx"
)
while read -r name path; do models+=("$name $path"); done < <($py bench/engine_models.py "$boosted" .build-onnx-release/release/onnx-check)
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-15s %5s | %12s %9s | %12s %9s | %12s %9s | %7s %7s\n' model batch \
  "swift rows/s" "p50 µs" "ort1 rows/s" "p50 µs" "ortN rows/s" "p50 µs" "÷ort1" "÷ortN"
for entry in "${models[@]}"; do
  read -r name path <<< "$entry"
  for batch in 1 256; do
    swift=$("$bench" "$path" --batch "$batch" --seconds "$seconds")
    ort1=$($py bench/engine_ort.py "$path" --batch "$batch" --seconds "$seconds" --threads 1 2>/dev/null)
    ortn=$($py bench/engine_ort.py "$path" --batch "$batch" --seconds "$seconds" --threads 0 2>/dev/null)
    s=$(field rows_per_s <<< "$swift"); o1=$(field rows_per_s <<< "$ort1"); on=$(field rows_per_s <<< "$ortn")
    printf '%-15s %5s | %12s %9s | %12s %9s | %12s %9s | %7s %7s\n' "$name" "$batch" \
      "$s" "$(field p50_us <<< "$swift")" "$o1" "$(field p50_us <<< "$ort1")" "$on" "$(field p50_us <<< "$ortn")" \
      "$(awk -v a="$s" -v b="$o1" 'BEGIN { printf "%.2f", a / b }')" "$(awk -v a="$s" -v b="$on" 'BEGIN { printf "%.2f", a / b }')"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
