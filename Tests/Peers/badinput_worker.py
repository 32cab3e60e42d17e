"""Sends the worker-level rows of the bad input matrix to a running model-worker and, after
each, a good call proving the worker still serves. Prints one JSON object per case:
{"case", "code", "message", "good_after", ...details}.

usage: badinput_worker.py PORT IRIS_MODEL_FILE CASE...

The repository must hold: iris/1 (logistic regression, X [-1, 4] FP32 → label, probabilities),
batched/1 (max_batch_size 8), faulty/1 (good) with faulty/2..6 (cycle, missing initializer,
deeply nested, huge declared initializer, 50,000-node Identity chain; version_policy all),
and misconfigured/ (a malformed config.yaml).
"""
import json
import math
import struct
import sys

import grpc
import numpy as np
import onnxruntime as ort
# Triton's generated stubs: our proto/ declares the same `inference` package.
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc

port, iris_file, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
stub = inf_grpc.GRPCInferenceServiceStub(channel)
raw_infer = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer",
                                request_serializer=None, response_deserializer=inf.ModelInferResponse.FromString)
ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32)


def request(model="iris", version="", rows=ROWS, datatype="FP32", shape=None, raw=None):
    """A ModelInferRequest with input X; `raw` overrides the raw contents bytes."""
    message = inf.ModelInferRequest(model_name=model, model_version=version)
    message.inputs.add(name="X", datatype=datatype, shape=list(rows.shape) if shape is None else shape)
    message.raw_input_contents.append(rows.tobytes() if raw is None else raw)
    return message


def call(message, raw=False):
    """(code name, message, response or None)."""
    try:
        response = raw_infer(message, timeout=20) if raw else stub.ModelInfer(message, timeout=20)
        return "OK", "", response
    except grpc.RpcError as error:
        return error.code().name, error.details(), None


def outputs(response):
    """Output name → numpy array, from raw_output_contents."""
    kinds = {"FP32": np.float32, "INT64": np.int64}
    return {o.name: np.frombuffer(data, dtype=kinds[o.datatype]).reshape(o.shape)
            for o, data in zip(response.outputs, response.raw_output_contents)}


def good_after():
    """A plain call to iris and to faulty (which answers from its good version 1)."""
    return all(call(request(model))[0] == "OK" for model in ["iris", "faulty"])


def nan_inf():
    rows = np.array([[math.nan, 3.0, 1.0, 0.5], [math.inf, -math.inf, 2.0, 1.0], [5.0, 3.0, math.inf, 0.1]],
                    dtype=np.float32)
    code, text, response = call(request(rows=rows))
    details = {}
    if response is not None:
        got = outputs(response)
        session = ort.InferenceSession(iris_file, providers=["CPUExecutionProvider"])
        labels, probabilities = session.run(["label", "probabilities"], {"X": rows})
        details = {"labels_match_onnxruntime": bool(np.array_equal(got["label"], labels)),
                   "probabilities_match_onnxruntime": bool(np.allclose(
                       got["probabilities"], probabilities, rtol=1e-5, atol=1e-6, equal_nan=True))}
    return code, text, details


def zero_rows(model):
    code, text, response = call(request(model, rows=np.zeros((0, 4), np.float32)))
    shapes = {o.name: list(o.shape) for o in response.outputs} if response is not None else {}
    return code, text, {"shapes": shapes}


def typed_count_mismatch():
    message = inf.ModelInferRequest(model_name="iris")
    tensor = message.inputs.add(name="X", datatype="FP32", shape=[2, 4])
    tensor.contents.fp32_contents.extend([1.0] * 7)
    return call(message)


def bytes_for_fp32():
    elements = [b"5.1", b"3.5", b"1.4", b"0.2"]
    data = b"".join(struct.pack("<I", len(e)) + e for e in elements)
    return call(request(datatype="BYTES", shape=[1, 4], raw=data))


def long_chain():
    code, text, response = call(request("faulty", "6"))
    same = response is not None and bool(np.array_equal(outputs(response)["Y"], ROWS))
    return code, text, {"output_equals_input": same}


CASES = {
    "invalid_protobuf": lambda: call(b"\x0a\xff\xff\xff\xff\x0f", raw=True),
    "wrong_datatype": lambda: call(request(rows=ROWS.astype(np.float64), datatype="FP64")),
    "bytes_where_fp32_expected": bytes_for_fp32,
    "raw_byte_size_mismatch": lambda: call(request(raw=ROWS.tobytes()[:-4])),
    "typed_count_mismatch": typed_count_mismatch,
    "shape_mismatch": lambda: call(request(rows=ROWS[:, :3])),
    "negative_dimension": lambda: call(request(shape=[-2, 4], raw=b"")),
    "huge_shape": lambda: call(request(shape=[1 << 40, 4], raw=b"")),
    "nan_and_inf_inputs": nan_inf,
    "zero_row_batch": lambda: zero_rows("iris"),
    "zero_row_batch_batching_model": lambda: zero_rows("batched"),
    "rows_over_max_batch_size": lambda: call(request("batched", rows=np.ones((9, 4), np.float32))),
    "unknown_model": lambda: call(request("no-such-model")),
    "unknown_version": lambda: call(request("iris", "99")),
    "malformed_version": lambda: call(request("iris", "one")),
    "onnx_with_cycle": lambda: call(request("faulty", "2")),
    "onnx_missing_initializer": lambda: call(request("faulty", "3")),
    "onnx_deeply_nested": lambda: call(request("faulty", "4")),
    "onnx_huge_declared_tensor": lambda: call(request("faulty", "5")),
    "onnx_50000_node_chain": long_chain,
    "malformed_yaml_config": lambda: call(request("misconfigured")),
}

for case in cases:
    outcome = CASES[case]()
    code, text = outcome[0], outcome[1]
    details = outcome[2] if len(outcome) > 2 and isinstance(outcome[2], dict) else {}
    print(json.dumps({"case": case, "code": code, "message": text, "good_after": good_after(), **details}), flush=True)
