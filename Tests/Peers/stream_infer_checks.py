"""tritonclient.grpc's ModelStreamInfer (start_stream, async_stream_infer, stop_stream) against a
model-worker or a gateway serving MODEL (an iris classifier: input X [-1, 4] FP32, outputs label
and probabilities). Sends COUNT requests of 1 to 5 rows on one stream, the one at --bad-at with
a wrong shape, and compares every streamed answer with a ModelInfer call of the same rows to
the version that answered, and with onnxruntime when --oracle names that version's file.
With --bad-model the request at --bad-at names that model instead of having a wrong shape;
--token sends a bearer token with the stream.
Prints one JSON object of observations.

usage: stream_infer_checks.py PORT MODEL [--count N] [--bad-at I] [--version V]
       [--routing-key KEY] [--header-key KEY] [--oracle VERSION=MODEL_FILE ...]
       [--bad-model NAME] [--token TOKEN]
"""
import argparse
import json
import queue

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

parser = argparse.ArgumentParser()
parser.add_argument("port")
parser.add_argument("model")
parser.add_argument("--count", type=int, default=200)
parser.add_argument("--bad-at", type=int, default=-1)
parser.add_argument("--version", default="")
parser.add_argument("--routing-key", help="sent as the routing_key request parameter")
parser.add_argument("--header-key", help="sent as the x-routing-key header of the stream")
parser.add_argument("--oracle", action="append", default=[], help="VERSION=MODEL_FILE")
parser.add_argument("--bad-model")
parser.add_argument("--token")
args = parser.parse_args()

client = triton.InferenceServerClient(url=f"127.0.0.1:{args.port}")
rng = np.random.default_rng(11)


def rows(index):
    if index == args.bad_at and not args.bad_model:
        return np.zeros((2, 3), np.float32)
    return rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(index % 5 + 1, 4)).astype(np.float32)


def inputs(x):
    tensor = triton.InferInput("X", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    return [tensor]


requests = [rows(i) for i in range(args.count)]
replies = queue.Queue()
headers = {}
if args.header_key:
    headers["x-routing-key"] = args.header_key
if args.token:
    headers["authorization"] = f"Bearer {args.token}"
client.start_stream(callback=lambda result, error: replies.put((result, error)), headers=headers or None)
parameters = {"routing_key": args.routing_key} if args.routing_key else None
for index, x in enumerate(requests):
    model = args.bad_model if index == args.bad_at and args.bad_model else args.model
    try:
        client.async_stream_infer(
            model, inputs(x), model_version=args.version, request_id=str(index), parameters=parameters)
    except InferenceServerException:
        break  # the server ended the stream; the callback has its status
client.stop_stream()  # waits for the server to end the stream, after every answer

answers = []
while not replies.empty():
    answers.append(replies.get())

sessions = {}
for entry in args.oracle:
    version, path = entry.split("=", 1)
    import onnxruntime as ort
    sessions[version] = ort.InferenceSession(path, providers=["CPUExecutionProvider"])

order, errors, versions = [], [], {}
model_infer_mismatches, oracle_mismatches, oracle_checked = 0, 0, 0
for result, error in answers:
    if error is not None:
        order.append("error")
        errors.append(error.message())
        continue
    response = result.get_response()
    order.append(response.id)
    versions[response.model_version] = versions.get(response.model_version, 0) + 1
    x = requests[int(response.id)]
    unary = client.infer(args.model, inputs(x), model_version=response.model_version, request_id=response.id,
                         headers={"authorization": f"Bearer {args.token}"} if args.token else None)
    if not (np.array_equal(result.as_numpy("label"), unary.as_numpy("label"))
            and np.array_equal(result.as_numpy("probabilities"), unary.as_numpy("probabilities"))):
        model_infer_mismatches += 1
    session = sessions.get(response.model_version)
    if session is not None:
        oracle_checked += 1
        label, probabilities = session.run(None, {"X": x})
        if not np.array_equal(result.as_numpy("label"), label) or \
                not np.allclose(result.as_numpy("probabilities"), probabilities, rtol=1e-5, atol=1e-6):
            oracle_mismatches += 1

expected_order = ["error" if i == args.bad_at else str(i) for i in range(args.count)]
print(json.dumps({
    "answers": len(answers),
    "in_order": order == expected_order,
    "first_out_of_order": next((i for i, (a, b) in enumerate(zip(order, expected_order)) if a != b), None),
    "errors": errors,
    "versions": versions,
    "model_infer_mismatches": model_infer_mismatches,
    "oracle_checked": oracle_checked,
    "oracle_mismatches": oracle_mismatches,
}))
