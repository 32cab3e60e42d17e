#!/usr/bin/env python3
"""onnxruntime on random FP32 rows, printing the same line as onnx-bench (rows/s, p50 of one run).

    engine_ort.py MODEL.onnx [--batch N] [--seconds S] [--threads T]   (T=0: onnxruntime's default)
"""
import argparse
import time

import numpy as np
import onnxruntime as ort


def random_rows(count):
    """The same xorshift sequence as onnx-bench, so both engines see identical inputs."""
    state = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    out = np.empty(count, dtype=np.float32)
    for i in range(count):
        state ^= (state << 13) & mask
        state ^= state >> 7
        state ^= (state << 17) & mask
        out[i] = np.float32((state >> 40) / float(1 << 24) * 8)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads; 0 lets onnxruntime choose")
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1 if args.threads == 1 else 0
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    info = session.get_inputs()[0]
    width = info.shape[1]
    feeds = {info.name: random_rows(args.batch * width).reshape(args.batch, width)}
    for _ in range(10):
        session.run(None, feeds)

    durations = []
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < args.seconds:
        before = time.perf_counter()
        session.run(None, feeds)
        after = time.perf_counter()
        durations.append(after - before)
        elapsed = after - start
    durations.sort()
    rows_per_s = len(durations) * args.batch / elapsed
    median = durations[len(durations) // 2] * 1e6
    label = "ort-1thread" if args.threads == 1 else f"ort-{args.threads or 'default'}threads"
    print(f"engine={label} batch={args.batch} runs={len(durations)} rows_per_s={int(rows_per_s)} p50_us={median:.1f}")


if __name__ == "__main__":
    main()
