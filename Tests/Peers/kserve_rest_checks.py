"""The KServe Python SDK's REST client (kserve.InferenceRESTClient, V2 protocol) against a
REST port: liveness, readiness, model readiness and inference, answers checked against
onnxruntime. Runs in the separate .venv-kserve (KServe pins its own grpcio and protobuf).
Prints one JSON object.

usage: kserve_rest_checks.py PORT MODEL MODEL_FILE
"""
import asyncio
import json
import sys

import numpy as np
import onnxruntime as ort
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

port, model, model_file = sys.argv[1], sys.argv[2], sys.argv[3]
base = f"http://127.0.0.1:{port}"


async def main():
    client = InferenceRESTClient(RESTConfig(protocol="v2", timeout=10))
    result = {
        "live": await client.is_server_live(base),
        "ready": await client.is_server_ready(base),
        "model_ready": await client.is_model_ready(base, model),
    }
    x = np.random.default_rng(11).uniform(0.5, 7.0, size=(3, 4)).astype(np.float32)
    expected = ort.InferenceSession(model_file, providers=["CPUExecutionProvider"]).run(None, {"X": x})[0]
    request = InferRequest(
        model_name=model, infer_inputs=[InferInput(name="X", shape=[3, 4], datatype="FP32", data=x.flatten().tolist())])
    response = await client.infer(base, request, model_name=model)
    labels = next(o for o in response.outputs if o.name == "label")
    result["model_name"] = response.model_name
    result["labels_equal"] = bool(np.array_equal(np.array(labels.data, dtype=np.int64), expected))
    try:
        await client.infer(base, InferRequest(model_name="nope", infer_inputs=request.inputs), model_name="nope")
        result["unknown_model"] = "accepted"
    except Exception as error:  # kserve raises httpx's HTTPStatusError for non-2xx answers
        result["unknown_model"] = str(getattr(getattr(error, "response", None), "status_code", type(error).__name__))
    await client.close()
    print(json.dumps(result))


asyncio.run(main())
