"""tritonclient.grpc and grpcio against a running model-worker serving MODEL (an iris classifier
with input X [-1, 4] FP32 and outputs label, probabilities); predictions are compared with
onnxruntime run here on the same model file. Prints one JSON object of observations.

usage: worker_client_checks.py PORT MODEL MODEL_FILE
"""
import json
import sys

import grpc
import numpy as np
import onnxruntime as ort
import tritonclient.grpc as triton
# Triton's own generated stubs for the raw grpcio calls: our proto/ declares the same
# `inference` package, and one process cannot load both.
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc
from tritonclient.utils import InferenceServerException

import protos

port, model, model_file = sys.argv[1], sys.argv[2], sys.argv[3]
((health, health_grpc),) = protos.load("health")
results = {}

client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
results["live"] = client.is_server_live()
results["ready"] = client.is_server_ready()
results["model_ready"] = client.is_model_ready(model)
server = client.get_server_metadata()
results["server"] = {"name": server.name, "version": server.version, "extensions": list(server.extensions)}
meta = client.get_model_metadata(model)
results["metadata"] = {
    "name": meta.name, "versions": list(meta.versions), "platform": meta.platform,
    "inputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in meta.inputs],
    "outputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in meta.outputs],
}

# The oracle: onnxruntime on the same file and the same rows.
rng = np.random.default_rng(7)
x = (rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(64, 4))).astype(np.float32)
session = ort.InferenceSession(model_file, providers=["CPUExecutionProvider"])
expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"X": x})))

infer_input = triton.InferInput("X", list(x.shape), "FP32")
infer_input.set_data_from_numpy(x)
reply = client.infer(model, [infer_input], request_id="req-42")
response = reply.get_response()
results["id"] = response.id
results["model_name"] = response.model_name
results["model_version"] = response.model_version
results["labels_equal"] = bool(np.array_equal(reply.as_numpy("label"), expected["label"]))
results["probabilities_close"] = bool(np.allclose(reply.as_numpy("probabilities"), expected["probabilities"],
                                                  rtol=1e-5, atol=1e-6))
results["rows"] = int(reply.as_numpy("label").shape[0])

# Only the requested output comes back.
subset = client.infer(model, [infer_input], outputs=[triton.InferRequestedOutput("probabilities")])
results["subset_outputs"] = [o.name for o in subset.get_response().outputs]

# Many concurrent single-row calls, each must get its own row back.
futures = []
import concurrent.futures
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    def one(i):
        row = triton.InferInput("X", [1, 4], "FP32")
        row.set_data_from_numpy(x[i:i + 1])
        return client.infer(model, [row]).as_numpy("label")[0]
    labels = list(pool.map(one, range(len(x))))
results["concurrent_rows_ok"] = bool(np.array_equal(np.array(labels), expected["label"]))


def status_of(call):
    try:
        call()
        return "OK"
    except InferenceServerException as error:
        return f"{error.status()}|{error.message()}"


results["unknown_model"] = status_of(lambda: client.infer("no-such-model", [infer_input]))
results["unknown_version"] = status_of(lambda: client.infer(model, [infer_input], model_version="99"))
wrong_type = triton.InferInput("X", [2, 4], "FP64")
wrong_type.set_data_from_numpy(x[:2].astype(np.float64))
results["wrong_datatype"] = status_of(lambda: client.infer(model, [wrong_type]))
wrong_shape = triton.InferInput("X", [2, 3], "FP32")
wrong_shape.set_data_from_numpy(x[:2, :3].copy())
results["wrong_shape"] = status_of(lambda: client.infer(model, [wrong_shape]))

# grpcio with typed contents (not raw), and the health service.
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
stub = inf_grpc.GRPCInferenceServiceStub(channel)
request = inf.ModelInferRequest(model_name=model)
tensor = request.inputs.add(name="X", datatype="FP32", shape=[3, 4])
tensor.contents.fp32_contents.extend(x[:3].ravel().tolist())
typed = stub.ModelInfer(request, timeout=10)
labels = np.frombuffer(typed.raw_output_contents[[o.name for o in typed.outputs].index("label")], dtype=np.int64)
results["typed_contents_ok"] = bool(np.array_equal(labels, expected["label"][:3]))
hstub = health_grpc.HealthStub(channel)
results["health"] = health.HealthCheckResponse.ServingStatus.Name(
    hstub.Check(health.HealthCheckRequest(service=""), timeout=10).status)

print(json.dumps(results))
