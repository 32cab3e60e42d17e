"""Hot reload under load: calls MODEL on a running model-worker from several threads without
pause, installs NEW_MODEL_FILE as version 2 (atomically, by renaming a staged directory) while
they run, and checks that no call fails, that version 2 answers afterwards, and that every
answer equals onnxruntime's for the version it says answered. Prints one JSON object.

usage: worker_reload_checks.py PORT MODEL REPOSITORY OLD_MODEL_FILE NEW_MODEL_FILE
"""
import json
import os
import shutil
import sys
import threading
import time

import numpy as np
import onnxruntime as ort
import tritonclient.grpc as triton

port, model, repository, old_file, new_file = sys.argv[1:6]
rng = np.random.default_rng(11)
x = (rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(8, 4))).astype(np.float32)
oracle = {}
for version, path in (("1", old_file), ("2", new_file)):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    oracle[version] = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"X": x})))

lock = threading.Lock()
stats = {"calls": 0, "failures": 0, "mismatches": 0, "versions": {}, "errors": []}
stop = threading.Event()
installed_at = [None]
first_v2_after = [None]


def caller():
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    data = triton.InferInput("X", list(x.shape), "FP32")
    data.set_data_from_numpy(x)
    while not stop.is_set():
        try:
            reply = client.infer(model, [data], client_timeout=10)
            version = reply.get_response().model_version
            expected = oracle.get(version)
            ok = expected is not None and np.array_equal(reply.as_numpy("label"), expected["label"]) and \
                np.allclose(reply.as_numpy("probabilities"), expected["probabilities"], rtol=1e-5, atol=1e-6)
            with lock:
                stats["calls"] += 1
                stats["versions"][version] = stats["versions"].get(version, 0) + 1
                if not ok:
                    stats["mismatches"] += 1
                if version == "2" and first_v2_after[0] is None and installed_at[0] is not None:
                    first_v2_after[0] = time.monotonic() - installed_at[0]
        except Exception as error:  # noqa: BLE001 - every failure counts
            with lock:
                stats["calls"] += 1
                stats["failures"] += 1
                if len(stats["errors"]) < 5:
                    stats["errors"].append(str(error))


threads = [threading.Thread(target=caller) for _ in range(4)]
for thread in threads:
    thread.start()
time.sleep(0.5)
calls_before = stats["calls"]
staging = os.path.join(repository, model, ".staging-2")
os.makedirs(staging)
shutil.copyfile(new_file, os.path.join(staging, "model.onnx"))
os.rename(staging, os.path.join(repository, model, "2"))
installed_at[0] = time.monotonic()
deadline = time.monotonic() + 15
while first_v2_after[0] is None and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.5)  # keep calling on version 2 for a while
stop.set()
for thread in threads:
    thread.join()

client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
data = triton.InferInput("X", list(x.shape), "FP32")
data.set_data_from_numpy(x)
stats["calls_before_install"] = calls_before
stats["final_version"] = client.infer(model, [data]).get_response().model_version
stats["first_v2_after_s"] = first_v2_after[0]
stats["versions_listed"] = list(client.get_model_metadata(model).versions)
print(json.dumps(stats))
