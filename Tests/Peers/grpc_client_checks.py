"""A grpcio client exercising our server; prints one JSON object of observations.

usage: grpc_client_checks.py PORT
"""
import json
import sys

import grpc

import protos

(inf, inf_grpc), (health, health_grpc), (echo, echo_grpc) = protos.load("grpc_predict_v2", "health", "echo")

port = int(sys.argv[1])
options = [("grpc.max_receive_message_length", 16 << 20), ("grpc.max_send_message_length", 16 << 20)]
channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
grpc.channel_ready_future(channel).result(timeout=10)
results = {}

stub = inf_grpc.GRPCInferenceServiceStub(channel)
results["live"] = stub.ServerLive(inf.ServerLiveRequest(), timeout=10).live
results["ready"] = stub.ServerReady(inf.ServerReadyRequest(), timeout=10).ready
meta = stub.ServerMetadata(inf.ServerMetadataRequest(), timeout=10)
results["metadata"] = {"name": meta.name, "version": meta.version, "extensions": list(meta.extensions)}

hstub = health_grpc.HealthStub(channel)
results["health"] = health.HealthCheckResponse.ServingStatus.Name(
    hstub.Check(health.HealthCheckRequest(service=""), timeout=10).status)
try:
    hstub.Check(health.HealthCheckRequest(service="no.such.Service"), timeout=10)
    results["health_unknown"] = "OK"
except grpc.RpcError as error:
    results["health_unknown"] = error.code().name
watch = hstub.Watch(health.HealthCheckRequest(service=""), timeout=10)
results["watch_first"] = health.HealthCheckResponse.ServingStatus.Name(next(watch).status)
watch.cancel()

estub = echo_grpc.EchoStub(channel)
big = bytes(range(256)) * (3 * 4096)  # 3 MiB
reply = estub.Get(echo.EchoRequest(payload=big), timeout=30)
results["big_echo_ok"] = reply.payload == big
results["big_echo_len"] = len(reply.payload)
replies = list(estub.Expand(echo.EchoRequest(payload=b"x" * 100, count=1000), timeout=30))
results["expand_count"] = len(replies)
results["expand_indices_ok"] = [r.index for r in replies] == list(range(1000))
# Many unary calls multiplexed at once on the one channel.
futures = [estub.Get.future(echo.EchoRequest(payload=str(i).encode()), timeout=30) for i in range(200)]
results["concurrent_ok"] = all(f.result().payload == str(i).encode() for i, f in enumerate(futures))
try:
    stub.ModelInfer(inf.ModelInferRequest(model_name="x"), timeout=10)
    results["unimplemented"] = "OK"
except grpc.RpcError as error:
    results["unimplemented"] = error.code().name
try:
    estub.Get(echo.EchoRequest(payload=b"slow", delay_ms=5000), timeout=0.2)
    results["deadline"] = "OK"
except grpc.RpcError as error:
    results["deadline"] = error.code().name

print(json.dumps(results))
