"""Sample predictions from a running model-worker with a stock tritonclient."""
import sys

import numpy as np
import tritonclient.grpc as triton

client = triton.InferenceServerClient(url=sys.argv[1])
print(f"server live: {client.is_server_live()}  ready: {client.is_server_ready()}")
meta = client.get_model_metadata("iris")
print(f"model iris: versions {list(meta.versions)}, platform {meta.platform}, "
      f"inputs {[(i.name, i.datatype, list(i.shape)) for i in meta.inputs]}")

names = ["setosa", "versicolor", "virginica"]
rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.0, 2.7, 5.1, 1.6], [6.9, 3.1, 5.4, 2.1]], dtype=np.float32)
for version in ["1", "2"]:
    x = triton.InferInput("X", list(rows.shape), "FP32")
    x.set_data_from_numpy(rows)
    result = client.infer("iris", [x], model_version=version)
    labels = result.as_numpy("label")
    probabilities = result.as_numpy("probabilities")
    answered = result.get_response().model_version
    for row, label, p in zip(rows, labels, probabilities):
        features = [round(float(v), 2) for v in row]
        probs = [round(float(v), 3) for v in p]
        print(f"iris v{answered}: {features} -> {names[int(label)]:<10} p={probs}")

bad = triton.InferInput("X", [1, 3], "FP32")
bad.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
try:
    client.infer("iris", [bad], model_version="1")
except Exception as error:
    print(f"a bad request is refused clearly: {error}")
