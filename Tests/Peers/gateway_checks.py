"""Drives a running gateway with unmodified tritonclient / grpcio clients and prints one JSON
object of observations. Modes:

  split PORT V1_MODEL V2_MODEL   calls under a fixed split; answers checked against onnxruntime
                                 on the model file of the version that answered
  load PORT SECONDS CONCURRENCY MARKER
                                 steady load for SECONDS; counts failures by status and versions;
                                 creates the file MARKER once the first calls succeeded
  versions PORT CALLS            CALLS weighted calls; how many each version answered
  explicit PORT VERSION CALLS    CALLS calls asking for VERSION; how many failed, by status
  deadline PORT TIMEOUT_MS       one call with a deadline (0: none); the status and how long it took
  status PORT                    the admin service's routes and canaries
  auth PORT MODEL_TOKEN ADMIN_TOKEN  calls with no, wrong, limited and admin bearer tokens
  pipeline PORT MODEL_FILE SPEC  raw columns with missing values through the route's preprocessor;
                                 answers checked against the spec's imputation + onnxruntime
  admin PORT MODEL               the admin service through grpcio stubs generated from proto/admin.proto
"""
import collections
import json
import sys
import threading
import time

import grpc
import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

mode, port = sys.argv[1], sys.argv[2]
url = f"127.0.0.1:{port}"
rng = np.random.default_rng(11)


def iris_rows(n):
    return rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(n, 4)).astype(np.float32)


def infer(client, x, **kwargs):
    tensor = triton.InferInput("X", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    return client.infer("iris", [tensor], **kwargs)


def status_of(error):
    return f"{error.status()}|{error.message()}"


if mode == "split":
    import onnxruntime as ort
    sessions = {"1": ort.InferenceSession(sys.argv[3]), "2": ort.InferenceSession(sys.argv[4])}
    client = triton.InferenceServerClient(url=url)
    out = {"ready": client.is_server_ready(), "model_ready": client.is_model_ready("iris")}
    meta = client.get_model_metadata("iris")
    out["metadata"] = {"name": meta.name, "versions": list(meta.versions),
                       "inputs": [t.name for t in meta.inputs]}
    versions = collections.Counter()
    mismatches = 0
    for i in range(200):
        x = iris_rows(3)
        result = infer(client, x, request_id=f"call-{i}")
        response = result.get_response()
        version = response.model_version
        versions[version] += 1
        expected = sessions[version].run(None, {"X": x})
        if not np.array_equal(result.as_numpy("label"), expected[0]) or \
                not np.allclose(result.as_numpy("probabilities"), expected[1], rtol=1e-5, atol=1e-6):
            mismatches += 1
        if response.id != f"call-{i}" or response.model_name != "iris":
            mismatches += 1
    out["versions"] = dict(versions)
    out["mismatches"] = mismatches
    # Sticky keys: each key keeps its version over repeated calls.
    sticky = {}
    for key in [f"user-{k}" for k in range(40)]:
        seen = {infer(client, iris_rows(1), parameters={"routing_key": key}).get_response().model_version
                for _ in range(5)}
        sticky[key] = sorted(seen)
    out["sticky_consistent"] = all(len(v) == 1 for v in sticky.values())
    out["sticky_versions"] = dict(collections.Counter(v[0] for v in sticky.values()))
    out["explicit"] = [infer(client, iris_rows(1), model_version=v).get_response().model_version for v in ("1", "2")]
    for name, call in [("unknown_version", lambda: infer(client, iris_rows(1), model_version="9")),
                       ("unknown_model", lambda: client.infer("nope", [])),
                       ("bad_input", lambda: infer(client, np.zeros((2, 3), dtype=np.float32)))]:
        try:
            call()
            out[name] = "OK"
        except InferenceServerException as error:
            out[name] = status_of(error)
    # The answering version also comes back as a response header (grpcio shows headers).
    from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc
    channel = grpc.insecure_channel(url)
    stub = inf_grpc.GRPCInferenceServiceStub(channel)
    x = iris_rows(1)
    request = inf.ModelInferRequest(model_name="iris", model_version="2", raw_input_contents=[x.tobytes()])
    request.inputs.add(name="X", datatype="FP32", shape=[1, 4])
    _, call = stub.ModelInfer.with_call(request, metadata=[("x-routing-key", "abc")])
    out["version_header"] = dict(call.initial_metadata()).get("x-model-version")
    print(json.dumps(out))

elif mode == "versions":
    client = triton.InferenceServerClient(url=url)
    versions = collections.Counter()
    for _ in range(int(sys.argv[3])):
        versions[infer(client, iris_rows(1)).get_response().model_version] += 1
    print(json.dumps({"versions": dict(versions)}))

elif mode == "explicit":
    client = triton.InferenceServerClient(url=url)
    failures = collections.Counter()
    for _ in range(int(sys.argv[4])):
        try:
            infer(client, iris_rows(1), model_version=sys.argv[3])
        except InferenceServerException as error:
            failures[str(error.status())] += 1
    print(json.dumps({"failures": dict(failures)}))

elif mode == "load":
    seconds, concurrency = float(sys.argv[3]), int(sys.argv[4])
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    calls, failures, versions, errors = [0], [0], collections.Counter(), collections.Counter()

    def worker():
        client = triton.InferenceServerClient(url=url)
        while time.monotonic() < deadline:
            try:
                result = infer(client, iris_rows(2), client_timeout=5)
                with lock:
                    calls[0] += 1
                    versions[result.get_response().model_version] += 1
            except InferenceServerException as error:
                with lock:
                    calls[0] += 1
                    failures[0] += 1
                    errors[status_of(error)[:160]] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    # Tell the test the load is running, so it can inject its fault while calls flow.
    while calls[0] < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    open(sys.argv[5], "w").close()
    for thread in threads:
        thread.join()
    print(json.dumps({"calls": calls[0], "failures": failures[0], "versions": dict(versions), "errors": dict(errors)}))

elif mode == "deadline":
    timeout_ms = int(sys.argv[3])
    client = triton.InferenceServerClient(url=url)
    started = time.monotonic()
    try:
        infer(client, iris_rows(1), client_timeout=timeout_ms / 1000 if timeout_ms > 0 else None)
        status = "OK"
    except InferenceServerException as error:
        status = status_of(error)
    print(json.dumps({"status": status, "elapsed_ms": (time.monotonic() - started) * 1000}))

elif mode == "pipeline":
    import onnxruntime as ort
    import yaml
    session = ort.InferenceSession(sys.argv[3])
    with open(sys.argv[4]) as spec_file:
        spec = yaml.safe_load(spec_file)
    means = np.array(spec["steps"][0]["statistics"])
    columns = [column["name"] for column in spec["inputs"]]
    client = triton.InferenceServerClient(url=url)
    raw = iris_rows(8).astype(np.float64)
    raw[1, 0] = np.nan
    raw[3, 2] = np.nan
    raw[5, :] = np.nan
    inputs = []
    for index, name in enumerate(columns):
        tensor = triton.InferInput(name, [8], "FP64")
        tensor.set_data_from_numpy(raw[:, index].copy())
        inputs.append(tensor)
    result = client.infer("iris", inputs, request_id="raw-rows")
    expected_x = np.where(np.isnan(raw), means, raw).astype(np.float32)
    expected = session.run(None, {"X": expected_x})
    out = {"version": result.get_response().model_version, "id": result.get_response().id,
           "labels_equal": bool(np.array_equal(result.as_numpy("label"), expected[0])),
           "probabilities_close": bool(np.allclose(result.as_numpy("probabilities"), expected[1], rtol=1e-5, atol=1e-6))}
    bad = triton.InferInput("sepal_length", [1], "BYTES")
    bad.set_data_from_numpy(np.array([b"wide"], dtype=np.object_))
    try:
        client.infer("iris", [bad])
        out["bad_column"] = "OK"
    except InferenceServerException as error:
        out["bad_column"] = status_of(error)
    print(json.dumps(out))

elif mode == "auth":
    import protos
    ((admin, admin_grpc),) = protos.load("admin")
    from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc
    channel = grpc.insecure_channel(url)
    stub = inf_grpc.GRPCInferenceServiceStub(channel)
    admin_stub = admin_grpc.GatewayAdminStub(channel)
    request = inf.ModelInferRequest(model_name="iris", raw_input_contents=[iris_rows(1).tobytes()])
    request.inputs.add(name="X", datatype="FP32", shape=[1, 4])

    def outcome(call):
        try:
            call()
            return "OK"
        except grpc.RpcError as error:
            return f"{error.code().name}|{error.details()}"

    def bearer(token):
        return [("authorization", f"Bearer {token}")]

    out = {
        "no_token": outcome(lambda: stub.ModelInfer(request)),
        "wrong_token": outcome(lambda: stub.ModelInfer(request, metadata=bearer("guess"))),
        "allowed": outcome(lambda: stub.ModelInfer(request, metadata=bearer(sys.argv[3]))),
        "other_model": outcome(lambda: stub.ModelMetadata(inf.ModelMetadataRequest(name="wine"), metadata=bearer(sys.argv[3]))),
        "admin_without_right": outcome(lambda: admin_stub.ListRoutes(admin.ListRoutesRequest(), metadata=bearer(sys.argv[3]))),
        "admin": outcome(lambda: admin_stub.ListRoutes(admin.ListRoutesRequest(), metadata=bearer(sys.argv[4]))),
        "ready_without_token": outcome(lambda: stub.ServerReady(inf.ServerReadyRequest())),
    }
    print(json.dumps(out))

elif mode == "status":
    import protos
    ((admin, admin_grpc),) = protos.load("admin")
    stub = admin_grpc.GatewayAdminStub(grpc.insecure_channel(url))
    routes = stub.ListRoutes(admin.ListRoutesRequest())
    print(json.dumps({"routes": [{"model": r.model, "versions": {v.version: v.weight for v in r.versions},
                                  "phase": r.canary_phase} for r in routes.routes]}))

elif mode == "admin":
    import protos
    ((admin, admin_grpc),) = protos.load("admin")
    model = sys.argv[3]
    stub = admin_grpc.GatewayAdminStub(grpc.insecure_channel(url))
    out = {}
    routes = stub.ListRoutes(admin.ListRoutesRequest())
    out["routes"] = [{"model": r.model, "versions": {v.version: v.weight for v in r.versions},
                      "phase": r.canary_phase} for r in routes.routes]
    out["yaml_has_model"] = f"{model}:" in routes.yaml
    out["canaries"] = [{"model": c.model, "phase": c.phase, "weight": c.weight, "history": len(c.history)}
                       for c in stub.CanaryStatusList(admin.CanaryStatusRequest()).canaries]
    out["endpoints"] = [{"version": e.version, "state": e.state, "address": e.address}
                        for e in stub.EndpointHealth(admin.EndpointHealthRequest(model=model)).endpoints]
    out["hints"] = [{"version": h.version, "desired": h.desired_replicas, "ready": h.ready_replicas}
                    for h in stub.AutoscalingHints(admin.AutoscalingHintsRequest()).hints]
    action = admin.CanaryActionRequest
    out["pause"] = stub.CanaryAction(action(model=model, action=action.PAUSE)).phase
    out["set_weight"] = stub.CanaryAction(action(model=model, action=action.SET_WEIGHT, weight=30)).weight
    out["resume"] = stub.CanaryAction(action(model=model, action=action.RESUME)).phase
    out["promote"] = stub.CanaryAction(action(model=model, action=action.PROMOTE)).phase
    try:
        stub.CanaryAction(action(model=model, action=action.PAUSE))
        out["pause_after_promote"] = "OK"
    except grpc.RpcError as error:
        out["pause_after_promote"] = f"{error.code().name}|{error.details()}"
    out["restart"] = stub.CanaryAction(action(model=model, action=action.START)).phase
    out["abort"] = stub.CanaryAction(action(model=model, action=action.ABORT)).phase
    try:
        stub.SetRoute(admin.SetRouteRequest(model=model, yaml="versions: {}\n"))
        out["bad_route"] = "OK"
    except grpc.RpcError as error:
        out["bad_route"] = f"{error.code().name}|{error.details()}"
    route = stub.GetRoute(admin.GetRouteRequest(model=model)).yaml
    out["get_route_has_versions"] = "versions:" in route
    print(json.dumps(out))
else:
    raise SystemExit(f"unknown mode {mode}")
