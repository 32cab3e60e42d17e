"""The KServe V2 HTTP/REST protocol against a running service's --http-listen port, with real
clients: tritonclient.http (JSON and binary tensors), plain HTTP (urllib, as curl would), and
the bad inputs of the gRPC matrix. Predictions are compared with onnxruntime on MODEL_FILE when
one is given (an iris classifier: input X [-1, 4] FP32, outputs label and probabilities).
Prints one JSON object of observations.

usage: rest_checks.py worker HTTP_PORT MODEL MODEL_FILE MAX_BODY_BYTES
       rest_checks.py gateway HTTP_PORT MODEL TOKEN
"""
import json
import sys
import urllib.error
import urllib.request

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

mode, port, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = f"http://127.0.0.1:{port}"
results = {}


def http(method, path, body=None, headers=None):
    """(status, headers, body) of one plain HTTP exchange, errors included."""
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def error_of(status, body):
    try:
        return [status, json.loads(body).get("error", "")]
    except ValueError:
        return [status, body.decode("utf-8", "replace")]


rng = np.random.default_rng(11)
x = rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(16, 4)).astype(np.float32)

if mode == "worker":
    model_file, max_body = sys.argv[4], int(sys.argv[5])
    import onnxruntime as ort
    session = ort.InferenceSession(model_file, providers=["CPUExecutionProvider"])
    expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"X": x})))

    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    results["live"] = client.is_server_live()
    results["ready"] = client.is_server_ready()
    results["model_ready"] = client.is_model_ready(model)
    results["server"] = client.get_server_metadata()
    results["metadata"] = client.get_model_metadata(model)
    for binary in (False, True):
        tensor = triton.InferInput("X", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x, binary_data=binary)
        outputs = [triton.InferRequestedOutput("label", binary_data=binary),
                   triton.InferRequestedOutput("probabilities", binary_data=binary)]
        reply = client.infer(model, [tensor], outputs=outputs, request_id="rest-1")
        key = "binary" if binary else "json"
        results[key] = {
            "id": reply.get_response()["id"],
            "labels_equal": bool(np.array_equal(reply.as_numpy("label"), expected["label"])),
            "probabilities_close": bool(np.allclose(reply.as_numpy("probabilities"), expected["probabilities"],
                                                    rtol=1e-5, atol=1e-6)),
        }
    # A nested data array, as curl users write it, and only one output asked for.
    body = json.dumps({"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": x[:2].tolist()}],
                       "outputs": [{"name": "label"}]}).encode()
    status, _, raw = http("POST", f"/v2/models/{model}/infer", body)
    answer = json.loads(raw)
    results["nested"] = {"status": status, "outputs": [o["name"] for o in answer["outputs"]],
                         "labels": answer["outputs"][0]["data"], "expected": expected["label"][:2].tolist()}
    # A version in the path.
    status, _, raw = http("GET", f"/v2/models/{model}/versions/1/ready")
    results["version_ready"] = status
    # Bad inputs, each a clear status and message; the server keeps serving.
    truncated_header = json.dumps({"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32",
                                               "parameters": {"binary_data_size": 16}}]}).encode()
    bad = {
        "bad_json": http("POST", f"/v2/models/{model}/infer", b"{not json"),
        "no_inputs": http("POST", f"/v2/models/{model}/infer", b'{"inputs": []}'),
        "wrong_count": http("POST", f"/v2/models/{model}/infer",
                            b'{"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3]}]}'),
        "wrong_type": http("POST", f"/v2/models/{model}/infer",
                           b'{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": ["a", 2, 3, 4]}]}'),
        "unknown_datatype": http("POST", f"/v2/models/{model}/infer",
                                 b'{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP31", "data": [1, 2, 3, 4]}]}'),
        "wrong_input_type": http("POST", f"/v2/models/{model}/infer",
                                 b'{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]}]}'),
        "unknown_model": http("POST", "/v2/models/nope/infer",
                              b'{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}'),
        "truncated_binary": http("POST", f"/v2/models/{model}/infer", truncated_header + bytes(8),
                                 {"Inference-Header-Content-Length": str(len(truncated_header))}),
        "header_length_too_big": http("POST", f"/v2/models/{model}/infer", b"{}",
                                      {"Inference-Header-Content-Length": "999"}),
        "oversized": http("POST", f"/v2/models/{model}/infer", bytes(max_body + 1)),
        "unknown_path": http("GET", "/v2/nothing/here"),
    }
    results["bad"] = {name: error_of(status, body) for name, (status, _, body) in bad.items()}
    results["ready_after"] = client.is_server_ready()
else:
    token = sys.argv[4]
    auth = {"Authorization": f"Bearer {token}"}
    body = json.dumps({"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": x[:2].flatten().tolist()}]}).encode()
    status, _, raw = http("POST", f"/v2/models/{model}/infer", body)
    results["no_token"] = error_of(status, raw)
    versions = {}
    for index in range(40):
        status, headers, raw = http("POST", f"/v2/models/{model}/infer", body,
                                    dict(auth, **{"x-routing-key": f"user-{index % 4}"}))
        answer = json.loads(raw)
        versions.setdefault(f"user-{index % 4}", set()).add(answer.get("model_version"))
        results["status"] = status
        results["header_version"] = headers.get("x-model-version")
        results["model_name"] = answer.get("model_name")
    results["sticky"] = all(len(seen) == 1 for seen in versions.values())
    results["versions"] = sorted(set().union(*versions.values()))
    status, _, raw = http("POST", f"/v2/models/{model}/versions/1/infer", body, auth)
    results["explicit_version"] = json.loads(raw).get("model_version")
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    tensor = triton.InferInput("X", [2, 4], "FP32")
    tensor.set_data_from_numpy(x[:2], binary_data=True)
    reply = client.infer(model, [tensor], headers=auth)
    results["triton_labels"] = reply.as_numpy("label").tolist()
    status, _, raw = http("GET", "/v2/models/unrouted", headers=auth)
    results["unrouted"] = error_of(status, raw)


def plain(value):
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return str(value)


print(json.dumps(plain(results)))
