"""perf_analyzer's call sequence, reproduced with tritonclient (PyPI perf-analyzer 2.x needs
glibc >= 2.38): ModelMetadata, then ModelConfig, then ModelInfer with inputs shaped from the
configuration (a batch dimension added when max_batch_size > 0), over gRPC and over HTTP.
Answers are compared with onnxruntime on MODEL_FILE. Prints one JSON object.

usage: perf_analyzer_sequence.py GRPC_PORT HTTP_PORT MODEL MODEL_FILE
"""
import json
import sys

import numpy as np
import onnxruntime as ort
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

grpc_port, http_port, model, model_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
session = ort.InferenceSession(model_file, providers=["CPUExecutionProvider"])
results = {}
for name, module, url in (("grpc", grpcclient, f"127.0.0.1:{grpc_port}"), ("http", httpclient, f"127.0.0.1:{http_port}")):
    client = module.InferenceServerClient(url=url)
    metadata = client.get_model_metadata(model) if name == "http" else client.get_model_metadata(model, as_json=True)
    config = client.get_model_config(model) if name == "http" else client.get_model_config(model, as_json=True)["config"]
    batch = int(config.get("max_batch_size", 0))
    inputs = []
    feeds = {}
    for tensor in config["input"]:
        dims = [4 if int(d) < 0 else int(d) for d in tensor["dims"]]
        shape = ([2] + dims) if batch > 0 else [2 if i == 0 else d for i, d in enumerate(dims)]
        x = np.random.default_rng(5).uniform(0.5, 7.0, size=shape).astype(np.float32)
        feeds[tensor["name"]] = x
        entry = module.InferInput(tensor["name"], shape, tensor["data_type"].replace("TYPE_", ""))
        entry.set_data_from_numpy(x)
        inputs.append(entry)
    reply = client.infer(model, inputs)
    expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    results[name] = {
        "metadata_name": metadata["name"],
        "config": {"name": config["name"], "platform": config.get("platform"), "max_batch_size": batch,
                   "inputs": [[t["name"], t["data_type"], [int(d) for d in t["dims"]]] for t in config["input"]],
                   "outputs": [[t["name"], t["data_type"]] for t in config["output"]],
                   "version_policy": config.get("version_policy")},
        "labels_equal": bool(np.array_equal(reply.as_numpy("label"), expected["label"])),
    }
print(json.dumps(results))
