"""Calls for the access-log test, against a running model-worker or gateway serving MODEL (iris:
input X [-1, 4] FP32): one good ModelInfer with request id "req-7" and a caller's traceparent,
one good ModelInfer with request id "req-8" and no traceparent, one ModelInfer for an unknown
model, and one grpc.health.v1 Check. Prints the status codes seen, in that order.

usage: access_log_calls.py PORT MODEL TRACEPARENT
"""
import json
import sys

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc

port, model, traceparent = sys.argv[1], sys.argv[2], sys.argv[3]
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
stub = inf_grpc.GRPCInferenceServiceStub(channel)


def infer_request(name, request_id):
    request = inf.ModelInferRequest(model_name=name, id=request_id)
    request.inputs.add(name="X", datatype="FP32", shape=[1, 4])
    request.raw_input_contents.append(np.array([[5.1, 3.5, 1.4, 0.2]], dtype=np.float32).tobytes())
    return request


def outcome(call):
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


codes = [
    outcome(lambda: stub.ModelInfer(infer_request(model, "req-7"), metadata=[("traceparent", traceparent)], timeout=10)),
    outcome(lambda: stub.ModelInfer(infer_request(model, "req-8"), timeout=10)),
    outcome(lambda: stub.ModelInfer(infer_request("no-such-model", "req-9"), timeout=10)),
    outcome(lambda: health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)),
]
print(json.dumps({"codes": codes}))
