"""Benchmark helper for bench/preprocessor.sh.

  pipeline_bench.py make DIR            fits a ColumnTransformer (10 numeric + 5 categorical columns,
                                         missing values) on synthetic rows, writes DIR/mixed.joblib
                                         and DIR/rows.parquet-free CSV of test rows
  pipeline_bench.py frame DIR OUT       writes a 1-row ModelInfer gRPC frame for h2load
  pipeline_bench.py measure DIR PORT    rows/s of scikit-learn transform (in process) and of the
                                         running feature-preprocessor (one call per batch) at
                                         batch 1 and 1024, one line per batch size
"""
import json
import struct
import sys
import time

import numpy as np
import pandas as pd

NUMERIC = [f"n{i}" for i in range(10)]
CATEGORICAL = [f"c{i}" for i in range(5)]


def rows(count, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(i, 1 + i, count) for i, name in enumerate(NUMERIC)})
    for i, name in enumerate(CATEGORICAL):
        frame[name] = rng.choice([f"v{k}" for k in range(4 + 2 * i)], count)
    frame.loc[rng.random(count) < 0.05, "n3"] = np.nan
    return frame


def make(directory):
    import joblib
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    transformer = ColumnTransformer([
        ("numbers", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), NUMERIC),
        ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ])
    transformer.fit(rows(5000, 1))
    joblib.dump(transformer, f"{directory}/mixed.joblib")


def request(frame):
    from tritonclient.grpc import service_pb2 as inf
    message = inf.ModelInferRequest(model_name="mixed")
    for name in NUMERIC:
        tensor = message.inputs.add(name=name, datatype="FP64", shape=[len(frame)])
        message.raw_input_contents.append(frame[name].to_numpy(np.float64).tobytes())
    for name in CATEGORICAL:
        tensor = message.inputs.add(name=name, datatype="BYTES", shape=[len(frame)])
        message.raw_input_contents.append(b"".join(
            struct.pack("<I", len(v)) + v for v in (s.encode() for s in frame[name])))
    return message


def measure(directory, port):
    import grpc
    import joblib
    from tritonclient.grpc import service_pb2_grpc as inf_grpc
    transformer = joblib.load(f"{directory}/mixed.joblib")
    stub = inf_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    results = {}
    for batch, calls in [(1, 300), (1024, 30)]:
        frame = rows(batch, 2)
        expected = transformer.transform(frame)
        message = request(frame)
        reply = stub.ModelInfer(message)
        got = np.frombuffer(reply.raw_output_contents[0], np.float32).reshape(expected.shape)
        assert np.allclose(got, expected, rtol=1e-5, atol=1e-5), "preprocessor output differs from transform"
        started = time.perf_counter()
        for _ in range(calls):
            transformer.transform(frame)
        sklearn_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(calls):
            stub.ModelInfer(message)
        ours_seconds = time.perf_counter() - started
        results[f"batch_{batch}"] = {
            "sklearn_rows_per_s": batch * calls / sklearn_seconds,
            "preprocessor_rows_per_s": batch * calls / ours_seconds,
            "features": int(expected.shape[1]),
        }
    for batch, r in results.items():
        ratio = r["preprocessor_rows_per_s"] / r["sklearn_rows_per_s"]
        print(f"  {batch:>10}: preprocessor {r['preprocessor_rows_per_s']:>11.0f} rows/s   "
              f"scikit-learn {r['sklearn_rows_per_s']:>11.0f} rows/s   ratio {ratio:.2f}   ({r['features']} features)")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "make":
        make(sys.argv[2])
    elif mode == "frame":
        body = request(rows(1, 3)).SerializeToString()
        open(sys.argv[3], "wb").write(b"\0" + struct.pack(">I", len(body)) + body)
    elif mode == "measure":
        measure(sys.argv[2], sys.argv[3])
