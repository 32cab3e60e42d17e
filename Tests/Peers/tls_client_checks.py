"""grpcio over TLS (or deliberately without it) against a model-worker or gateway serving the
iris example: ServerLive, then one ModelInfer of MODEL. Prints one JSON object: "live" and
"infer" hold the result, or "CODE|details" when the call failed.

With --peer-certificate NAME=FILE (repeatable) it makes no call: it completes one TLS handshake
with Python's ssl module (ALPN h2, verifying against --ca only) and prints {"peer": NAME} for
the FILE whose certificate the server presented, {"peer": "unknown"} for another, or
{"peer": "error: ..."} when the handshake failed.

usage: tls_client_checks.py PORT MODEL [--ca FILE] [--cert FILE --key FILE]
                             [--server-name NAME] [--plaintext] [--peer-certificate NAME=FILE ...]
"""
import argparse
import json
import socket
import ssl

import grpc
import numpy as np
# Triton's generated stubs of the KServe V2 service (the same wire names as our proto/).
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc

parser = argparse.ArgumentParser()
parser.add_argument("port")
parser.add_argument("model")
parser.add_argument("--ca")
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--server-name")
parser.add_argument("--plaintext", action="store_true")
parser.add_argument("--peer-certificate", action="append", default=[])
args = parser.parse_args()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def peer_certificate():
    """Which of the --peer-certificate files the server presents to a new connection."""
    known = {}
    for entry in args.peer_certificate:
        name, path = entry.split("=", 1)
        known[ssl.PEM_cert_to_DER_cert(read(path).decode())] = name
    context = ssl.create_default_context(cafile=args.ca)
    context.set_alpn_protocols(["h2"])
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    try:
        with socket.create_connection(("127.0.0.1", int(args.port)), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=args.server_name or "127.0.0.1") as tls:
                der = tls.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError) as error:
        return {"peer": f"error: {error}"}
    return {"peer": known.get(der, "unknown")}


if args.peer_certificate:
    print(json.dumps(peer_certificate()))
    raise SystemExit(0)


target = f"127.0.0.1:{args.port}"
if args.plaintext:
    channel = grpc.insecure_channel(target)
else:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca) if args.ca else None,
        private_key=read(args.key) if args.key else None,
        certificate_chain=read(args.cert) if args.cert else None)
    options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
    channel = grpc.secure_channel(target, credentials, options=options)
stub = inf_grpc.GRPCInferenceServiceStub(channel)


def outcome(call):
    try:
        return call()
    except grpc.RpcError as error:
        return f"{error.code()}|{error.details()}"


def infer():
    request = inf.ModelInferRequest(model_name=args.model)
    request.inputs.add(name="X", datatype="FP32", shape=[2, 4])
    # The rows travel as raw little-endian bytes.
    rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32)
    request.raw_input_contents.append(rows.tobytes())
    reply = stub.ModelInfer(request, timeout=10)
    labels = np.frombuffer(reply.raw_output_contents[[o.name for o in reply.outputs].index("label")], dtype=np.int64)
    return {"model_name": reply.model_name, "labels": labels.tolist()}


results = {"live": outcome(lambda: stub.ServerLive(inf.ServerLiveRequest(), timeout=10).live)}
if not isinstance(results["live"], str):
    results["infer"] = outcome(infer)
channel.close()
print(json.dumps(results))
