"""Known traffic for the metrics test: against a running model-worker serving MODEL (iris: input
X [-1, 4] FP32), sends 4 ServerLive, 3 good ModelInfer of 2 rows each, 2 ModelInfer for an unknown
model, 1 with the wrong datatype, 1 of 4800 bytes (run the worker with --max-message-bytes 4096)
and 1 call of a method the server does not have, and prints the status codes seen.

usage: ops_traffic.py PORT MODEL
"""
import json
import sys

import grpc
import numpy as np
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc

port, model = sys.argv[1], sys.argv[2]
stub = inf_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))


def infer_request(name, datatype="FP32", count=2):
    rows = np.tile([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], (count // 2, 1))
    rows = rows.astype(np.float32 if datatype == "FP32" else np.float64)
    request = inf.ModelInferRequest(model_name=name)
    request.inputs.add(name="X", datatype=datatype, shape=[count, 4])
    request.raw_input_contents.append(rows.tobytes())
    return request


codes = {}


def call(label, method, request):
    try:
        method(request, timeout=10)
        code = "OK"
    except grpc.RpcError as error:
        code = error.code().name
    codes.setdefault(label, []).append(code)


for _ in range(4):
    call("live", stub.ServerLive, inf.ServerLiveRequest())
for _ in range(3):
    call("infer", stub.ModelInfer, infer_request(model))
for _ in range(2):
    call("unknown", stub.ModelInfer, infer_request("no-such-model"))
call("wrong_type", stub.ModelInfer, infer_request(model, "FP64"))
call("too_large", stub.ModelInfer, infer_request(model, count=300))
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
call("no_method", channel.unary_unary("/inference.GRPCInferenceService/NoSuchMethod"), b"")
print(json.dumps(codes))
