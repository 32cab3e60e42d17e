"""Starts N concurrent ModelInfer calls to MODEL on a running model-worker (iris: input X [-1, 4]
FP32) and waits for all of them, however long the server takes; prints each call's status code
and the seconds it took. Used to check that calls in flight at SIGTERM still complete.

usage: ops_inflight.py PORT MODEL N
"""
import json
import sys
import time

import grpc
import numpy as np
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc

port, model, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
stub = inf_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
request = inf.ModelInferRequest(model_name=model)
request.inputs.add(name="X", datatype="FP32", shape=[1, 4])
request.raw_input_contents.append(np.array([[5.1, 3.5, 1.4, 0.2]], dtype=np.float32).tobytes())

start = time.monotonic()
futures = [stub.ModelInfer.future(request, timeout=60) for _ in range(count)]
results = []
for future in futures:
    try:
        future.result()
        results.append("OK")
    except grpc.RpcError as error:
        results.append(f"{error.code().name}: {error.details()}")
print(json.dumps({"codes": results, "seconds": time.monotonic() - start}))
