"""Writes the fuzzers' seed corpora under Fuzz/corpus/<Target>/: small valid inputs that start
each fuzzer deep in the code it targets. Run from the repository root with the project's venv:

    .venv/bin/python Fuzz/make_seeds.py

The seeds are committed; rerun this only to change them.
"""
import math
import pathlib
import shutil
import struct

import numpy as np
from tritonclient.grpc import service_pb2 as pb

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
FIXTURES = ROOT / "Tests" / "ONNXEngineTests" / "Fixtures"
NODE_TESTS = pathlib.Path("/usr/share/libonnx-testdata/data/node")


def target(name):
    directory = CORPUS / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


def frame(message, flag=0, length=None):
    return bytes([flag]) + struct.pack(">I", len(message) if length is None else length) + message


def fp32_request(model, rows, version="", typed=False, values=None):
    request = pb.ModelInferRequest(model_name=model, model_version=version, id="seed")
    data = np.asarray(values if values is not None else np.linspace(0.1, 7.9, rows * 4), dtype=np.float32)
    tensor = request.inputs.add(name="X", datatype="FP32", shape=[rows, 4])
    if typed:
        tensor.contents.fp32_contents.extend(data.tolist())
    else:
        request.raw_input_contents.append(data.tobytes())
    return request


def grpc_framing():
    out = target("GRPCFraming")
    # Byte 0: chunk size selector, byte 1: limit selector (255 = 4 MiB), then the DATA bytes.
    (out / "one_message").write_bytes(b"\x03\xff" + frame(b"hello"))
    (out / "two_messages_and_empty").write_bytes(b"\x00\xff" + frame(b"a" * 40) + frame(b"") + frame(b"xyz"))
    (out / "partial").write_bytes(b"\x07\xff" + frame(b"abc", length=10))
    (out / "over_limit").write_bytes(b"\x01\x01" + frame(b"z" * 20))
    (out / "compressed").write_bytes(b"\x02\xff" + frame(b"q", flag=1))
    (out / "timeout_header").write_bytes(b"\x00\x00" + b"99999999H")
    (out / "percent_header").write_bytes(b"\x00\x00" + "bad %41 %zz \u00e9t\u00e9%".encode())


def infer_request():
    out = target("InferRequest")
    (out / "fp32_raw").write_bytes(fp32_request("iris", 2).SerializeToString())
    (out / "fp32_typed").write_bytes(fp32_request("iris", 2, typed=True).SerializeToString())
    request = pb.ModelInferRequest(model_name="m", model_version="1", id="r")
    request.parameters["sticky"].string_param = "k"
    request.parameters["n"].int64_param = 3
    request.parameters["d"].double_param = 0.5
    request.parameters["b"].bool_param = True
    strings = request.inputs.add(name="city", datatype="BYTES", shape=[2])
    strings.contents.bytes_contents.extend([b"paris", b""])
    ints = request.inputs.add(name="n", datatype="INT64", shape=[2, 1])
    ints.contents.int64_contents.extend([1, -2])
    flags = request.inputs.add(name="f", datatype="BOOL", shape=[1])
    flags.contents.bool_contents.append(True)
    request.outputs.add(name="probabilities").parameters["binary_data"].bool_param = True
    (out / "typed_mixed").write_bytes(request.SerializeToString())
    raw = pb.ModelInferRequest(model_name="m")
    raw.inputs.add(name="h", datatype="FP16", shape=[2])
    raw.inputs.add(name="s", datatype="BYTES", shape=[1])
    raw.raw_input_contents.extend([b"\x00\x3c\x00\xbc", struct.pack("<I", 3) + b"abc"])
    (out / "fp16_bytes_raw").write_bytes(raw.SerializeToString())
    response = pb.ModelInferResponse(model_name="iris", model_version="1", id="seed")
    response.outputs.add(name="label", datatype="INT64", shape=[2])
    response.outputs.add(name="probabilities", datatype="FP32", shape=[2, 3])
    response.raw_output_contents.extend([np.array([0, 2], np.int64).tobytes(), np.ones(6, np.float32).tobytes()])
    (out / "response_raw").write_bytes(response.SerializeToString())


def model_infer():
    out = target("ModelInfer")
    (out / "iris_latest").write_bytes(fp32_request("iris", 3).SerializeToString())
    (out / "iris_v1_typed").write_bytes(fp32_request("iris", 1, version="1", typed=True).SerializeToString())
    (out / "iris_v2").write_bytes(fp32_request("iris", 2, version="2").SerializeToString())
    (out / "iris_nan_inf").write_bytes(
        fp32_request("iris", 2, values=[math.nan, math.inf, -math.inf, 0, 1, 2, 3, 4]).SerializeToString())
    (out / "iris_zero_rows").write_bytes(fp32_request("iris", 0).SerializeToString())
    (out / "batched").write_bytes(fp32_request("batched", 4).SerializeToString())
    subset = fp32_request("strings", 2)
    subset.outputs.add(name="label")
    (out / "strings_label_only").write_bytes(subset.SerializeToString())


def onnx_model():
    out = target("ONNXModel")
    for name in ["logreg_iris", "logreg_iris_strings", "scaler_logreg_iris", "tree_iris", "binarizer_logreg",
                 "imputer_normalizer_linreg", "array_feature_extractor", "error_cycle",
                 "error_missing_initializer", "error_unknown_op", "error_zipmap"]:
        shutil.copy(FIXTURES / f"{name}.onnx", out / f"{name}.onnx")
    for test in ["add_bcast", "argmax_default_axis_example", "cast_FLOAT_to_DOUBLE", "concat_1d_axis_0",
                 "constantofshape_int_zeros", "gather_0", "matmul_2d", "reshape_reduced_dims", "softmax_example",
                 "where_example"]:
        model = NODE_TESTS / f"test_{test}" / "model.onnx"
        if model.exists():
            shutil.copy(model, out / f"node_{test}.onnx")


def pipeline_spec():
    out = target("PipelineSpec")
    shutil.copy(ROOT / "examples" / "pipelines" / "iris-features.yaml", out / "iris-features.yaml")
    (out / "column_transformer.yaml").write_text("""\
inputs:
- {name: age, type: float, nullable: true}
- {name: city, type: string, nullable: true}
- {name: plan, type: string}
- {name: n, type: int}
steps:
- type: column_transformer
  transformers:
  - name: num
    columns: [age, n]
    steps:
    - {type: simple_imputer, strategy: median, statistics: [40, 1]}
    - {type: standard_scaler, mean: [40, 1], scale: [12, 2]}
  - name: cat
    columns: [city]
    steps:
    - {type: one_hot_encoder, handle_unknown: infrequent_if_exist, features: [{categories: [a, b, c], infrequent: [c], drop: b}]}
  - name: ord
    columns: [plan]
    steps:
    - {type: ordinal_encoder, categories: [[free, pro]], handle_unknown: use_encoded_value, unknown_value: -1}
  remainder: drop
""")
    (out / "math_steps.yaml").write_text("""\
name: iris-features
version: 2
inputs: [{name: a, type: float, nullable: true}, {name: b, type: float}]
output: {name: features, dtype: FP64}
steps:
- {type: simple_imputer, strategy: constant, statistics: [0, 0]}
- {type: min_max_scaler, scale: [0.5, 2], min: [-1, 0], clip: true}
- {type: normalizer, norm: l2}
- {type: polynomial_features, degree: 2, interaction_only: false, include_bias: true}
- {type: kbins_discretizer, encode: onehot, bin_edges: [[0, 1, 2], [0, 1], [-1, 0, 1], [0, 5], [0, 1], [0, 1]]}
""")
    (out / "hash_and_functions.yaml").write_text("""\
inputs: [{name: city, type: string}, {name: plan, type: string}, {name: x, type: float}, {name: skip, type: any}]
steps:
- type: column_transformer
  transformers:
  - {name: h, columns: [city, plan], steps: [{type: feature_hasher, n_features: 8}]}
  - {name: f, columns: [x], steps: [{type: function_transformer, function: log1p}, {type: clip, min: 0, max: 6}, {type: max_abs_scaler, scale: [5]}]}
  remainder: drop
""")


def routes():
    out = target("Routes")
    (out / "design_example.yaml").write_text("""\
models:
  iris:
    pipeline:
      model: iris-features
      endpoints: ["127.0.0.1:7001"]
    versions:
      "1": {endpoints: ["127.0.0.1:8001", "127.0.0.1:8002"]}
      "2": {endpoints: ["dns:///iris-v2.models.svc.cluster.local:8001"], model: iris-rf}
    canary:
      stable: "1"
      candidate: "2"
      steps: [5, 25, 50, 100]
      interval: 30s
      min_calls: 100
      max_error_rate: 0.01
      max_p99_ratio: 1.5
      fallback: true
    shadow: {version: "2", percent: 10}
    autoscaling: {target_concurrency: 8, min_replicas: 1, max_replicas: 20}
""")
    (out / "traffic_split.yaml").write_text("""\
models:
  wine:
    versions:
      "1": {endpoints: ["10.0.0.1:8001"]}
      "3": {endpoints: ["[::1]:9000", "localhost:9001"]}
    traffic: {"1": 90, "3": 10}
""")


def model_config():
    out = target("ModelConfig")
    (out / "batching.yaml").write_text(
        "version_policy: {latest: 1}\nmax_batch_size: 64\n"
        "dynamic_batching: {max_queue_delay_microseconds: 200, preferred_batch_sizes: [8, 32]}\n")
    (out / "specific.yaml").write_text("version_policy: {specific: [1, 3]}\ninputs: {X: features}\noutputs: {label: class}\n")
    (out / "all.yaml").write_text("version_policy: {all: true}\nmax_batch_size: 0\n")


for make in [grpc_framing, infer_request, model_infer, onnx_model, pipeline_spec, routes, model_config]:
    make()
for directory in sorted(CORPUS.iterdir()):
    print(f"{directory.name}: {len(list(directory.iterdir()))} seeds")
