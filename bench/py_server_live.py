"""The reference for bench/rpc.sh: a Python grpcio server answering inference ServerLive.
Prints "PORT <n>" once serving."""
import os
import signal
import sys
from concurrent import futures

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Peers"))
import protos  # noqa: E402

((inf, inf_grpc),) = protos.load("grpc_predict_v2")


class Inference(inf_grpc.GRPCInferenceServiceServicer):
    def ServerLive(self, request, context):
        return inf.ServerLiveResponse(live=True)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
inf_grpc.add_GRPCInferenceServiceServicer_to_server(Inference(), server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
signal.signal(signal.SIGTERM, lambda *_: (server.stop(0), sys.exit(0)))
print(f"PORT {port}", flush=True)
server.wait_for_termination()
