"""Triton's statistics and model repository extensions driven with tritonclient, over gRPC or
HTTP, against a model-worker under explicit model control (or a gateway in front of workers).
Prints one JSON object of observations; the Swift test asserts on them.

usage: triton_extensions.py worker grpc|http PORT MODEL_FILE
       triton_extensions.py gateway grpc|http PORT MODEL_FILE ADMIN_TOKEN USER_TOKEN
       triton_extensions.py poll grpc|http PORT
"""
import json
import sys
import threading

import numpy as np
import onnxruntime as ort
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

mode, transport, port = sys.argv[1], sys.argv[2], sys.argv[3]
module = grpcclient if transport == "grpc" else httpclient


def client(token=None):
    headers = {"authorization": f"Bearer {token}"} if token else None
    return module.InferenceServerClient(f"127.0.0.1:{port}"), headers


def status(error):
    """The gRPC status name or HTTP status of a failed call, and its message."""
    text = error.status() or ""
    return [str(text).replace("StatusCode.", ""), error.message()]


def attempt(call):
    try:
        call()
        return "OK"
    except InferenceServerException as error:
        return status(error)


def rows(n):
    return np.random.default_rng(n).uniform(0.5, 7.0, size=(n, 4)).astype(np.float32)


def infer(c, model, x, headers=None):
    entry = module.InferInput("X", list(x.shape), "FP32")
    entry.set_data_from_numpy(x)
    return c.infer(model, [entry], headers=headers).as_numpy("label")


def stats(c, model, headers=None, version=""):
    reply = c.get_inference_statistics(model, version, headers=headers, **({"as_json": True} if transport == "grpc" else {}))
    out = []
    for entry in reply.get("model_stats", []):
        s = entry.get("inference_stats", {})
        pick = lambda key: [int(s.get(key, {}).get("count", 0)), int(s.get(key, {}).get("ns", 0))]
        out.append({
            "name": entry["name"], "version": entry["version"],
            "last_inference": int(entry.get("last_inference", 0)),
            "inference_count": int(entry.get("inference_count", 0)),
            "execution_count": int(entry.get("execution_count", 0)),
            "success": pick("success"), "fail": pick("fail"), "queue": pick("queue"),
            "compute_input": pick("compute_input"), "compute_infer": pick("compute_infer"),
            "compute_output": pick("compute_output"),
            "batch_stats": [[int(b["batch_size"]), int(b.get("compute_infer", {}).get("count", 0))]
                            for b in entry.get("batch_stats", [])],
        })
    return out


def index(c, headers=None, ready=False):
    reply = c.get_model_repository_index(headers=headers, **({"as_json": True} if transport == "grpc" else {}))
    models = reply.get("models", []) if transport == "grpc" else reply
    return sorted([[m["name"], m.get("version", ""), m.get("state", ""), m.get("reason", "")] for m in models])


result = {}
if mode == "poll":
    c, _ = client()
    result["load"] = attempt(lambda: c.load_model("iris"))
    result["index"] = index(c)
elif mode == "worker":
    model_file = sys.argv[4]
    session = ort.InferenceSession(model_file, providers=["CPUExecutionProvider"])
    c, _ = client()
    result["extensions"] = sorted(c.get_server_metadata(**({"as_json": True} if transport == "grpc" else {}))["extensions"])
    result["index_before"] = index(c)
    result["ready_before"] = c.is_model_ready("other")
    result["load"] = attempt(lambda: c.load_model("other"))
    result["ready_after_load"] = c.is_model_ready("other")
    x = rows(2)
    expected = session.run(None, {"X": x})[0]
    result["labels_equal"] = all(np.array_equal(infer(c, "other", x), expected) for _ in range(5))
    result["bad_input"] = attempt(lambda: infer(c, "other", rows(2)[:, :3].copy()))
    result["stats"] = stats(c, "other")
    result["stats_all_models"] = sorted({entry["name"] for entry in stats(c, "")})
    result["index_loaded"] = index(c, ready=True)
    result["override"] = attempt(lambda: c.load_model("other", config='{"max_batch_size": 8}'))
    config = c.get_model_config("other", **({"as_json": True} if transport == "grpc" else {}))
    result["override_max_batch_size"] = int(config.get("config", config).get("max_batch_size", 0))
    result["bad_override"] = attempt(lambda: c.load_model("other", config='{"max_batch_size": "eight"}'))
    result["serves_after_bad_override"] = bool(np.array_equal(infer(c, "other", x), expected))
    result["load_unknown"] = attempt(lambda: c.load_model("nope"))
    # Unload while calls are in flight: each call succeeds or is refused cleanly.
    outcomes = []
    stop = threading.Event()

    def hammer():
        cc, _ = client()
        while not stop.is_set():
            try:
                infer(cc, "other", rows(4))
                outcomes.append("OK")
            except InferenceServerException as error:
                outcomes.append(status(error)[0])

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    import time
    time.sleep(0.3)
    result["unload"] = attempt(lambda: c.unload_model("other"))
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    result["outcomes_during_unload"] = sorted(set(outcomes))
    result["ok_before_unload"] = outcomes.count("OK") > 0
    result["ready_after_unload"] = c.is_model_ready("other")
    result["infer_after_unload"] = attempt(lambda: infer(c, "other", x))
    result["unload_again"] = attempt(lambda: c.unload_model("other"))
    result["index_after"] = index(c)
elif mode == "gateway":
    model_file, admin, user = sys.argv[4], sys.argv[5], sys.argv[6]
    c, user_headers = client(user)
    _, admin_headers = client(admin)
    x = rows(3)
    for _ in range(6):
        infer(c, "iris", x, user_headers)
    result["stats"] = stats(c, "iris", user_headers)
    result["index"] = index(c, user_headers)
    result["load_as_user"] = attempt(lambda: c.load_model("iris", headers=user_headers))
    result["unload_as_admin"] = attempt(lambda: c.unload_model("iris", headers=admin_headers))
    result["infer_after_unload"] = attempt(lambda: infer(c, "iris", x, user_headers))
    result["load_as_admin"] = attempt(lambda: c.load_model("iris", headers=admin_headers))
    result["infer_after_load"] = attempt(lambda: infer(c, "iris", x, user_headers))
print(json.dumps(result))
