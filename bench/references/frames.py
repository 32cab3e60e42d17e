#!/usr/bin/env python3
"""Writes the h2load request bodies for bench/references.sh (5-byte gRPC prefix + serialized
request) and checks every server with a real gRPC client first, because h2load counts any
HTTP 200 as a success: ServerLive, ModelInfer on 2 rows of the linear model (answer compared
with numpy) and, where asked, ModelInfer with contents.fp32_contents and grpc.health Check.

    frames.py WORK NAME=PORT[:live,infer,fp32,health] ...
writes WORK/live.bin and WORK/infer.bin."""
import struct
import sys

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc

W = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 0.0, 2.0], [-1.0, 0.25, 1.0, 0.0]], np.float32)
B = np.array([0.1, 0.2, 0.3], np.float32)
X = np.array([[5.9, 3.0, 5.1, 1.8], [0.5, -1.0, 2.0, 0.0]], np.float32)


def frame(message):
    body = message.SerializeToString()
    return b"\0" + struct.pack(">I", len(body)) + body


def infer_request(fp32=False):
    request = inf.ModelInferRequest(model_name="linear")
    tensor = request.inputs.add(name="X", datatype="FP32", shape=list(X.shape))
    if fp32:
        tensor.contents.fp32_contents.extend(X.flatten().tolist())
    else:
        request.raw_input_contents.append(X.tobytes())
    return request


def main():
    work, targets = sys.argv[1], sys.argv[2:]
    open(f"{work}/live.bin", "wb").write(frame(inf.ServerLiveRequest()))
    open(f"{work}/infer.bin", "wb").write(frame(infer_request()))
    expected = X @ W.T + B
    for target in targets:
        name, rest = target.split("=")
        port, _, checks = rest.partition(":")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = inf_grpc.GRPCInferenceServiceStub(channel)
        for check in (checks or "live,infer").split(","):
            if check == "live":
                assert stub.ServerLive(inf.ServerLiveRequest(), timeout=5).live, name
            elif check in ("infer", "fp32"):
                reply = stub.ModelInfer(infer_request(check == "fp32"), timeout=5)
                got = np.frombuffer(reply.raw_output_contents[0], np.float32).reshape(list(reply.outputs[0].shape))
                assert np.allclose(got, expected, rtol=1e-5, atol=1e-5), (name, got, expected)
            elif check == "health":
                status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status
                assert status == health_pb2.HealthCheckResponse.SERVING, (name, status)
        channel.close()


if __name__ == "__main__":
    main()
