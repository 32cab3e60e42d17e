"""A Python grpcio server for our client's interop tests: the standard health servicer, the
echo service, and /rpctest.BidiEcho/Chat, a bidirectional method on raw bytes. Prints "PORT <n>" once serving, then runs until killed.

usage: grpc_server.py
"""
import signal
import sys
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

import protos

((echo, echo_grpc),) = protos.load("echo")


class Echo(echo_grpc.EchoServicer):
    def Get(self, request, context):
        if request.delay_ms:
            time.sleep(request.delay_ms / 1000)
        if request.payload == b"fail":
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "asked to fail: caf\u00e9 100%")
        context.set_trailing_metadata((("x-python-trailer", "yes"),))
        return echo.EchoResponse(payload=request.payload)

    def Expand(self, request, context):
        for index in range(request.count):
            yield echo.EchoResponse(payload=request.payload, index=index)


def chat(requests, context):
    """Answers each message with itself as it arrives; b"fail" ends the call with
    FAILED_PRECONDITION, b"count" answers with the number of messages so far."""
    seen = 0
    for request in requests:
        seen += 1
        if request == b"fail":
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"asked to fail after {seen} messages")
        yield str(seen).encode() if request == b"count" else request
    context.set_trailing_metadata((("x-chat-messages", str(seen)),))


bidi = grpc.method_handlers_generic_handler(
    "rpctest.BidiEcho", {"Chat": grpc.stream_stream_rpc_method_handler(chat)})

server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                     options=[("grpc.max_receive_message_length", 16 << 20),
                              ("grpc.max_send_message_length", 16 << 20)])
servicer = health.HealthServicer()
servicer.set("", health_pb2.HealthCheckResponse.SERVING)
servicer.set("echo", health_pb2.HealthCheckResponse.NOT_SERVING)
health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
echo_grpc.add_EchoServicer_to_server(Echo(), server)
server.add_generic_rpc_handlers((bidi,))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
signal.signal(signal.SIGTERM, lambda *_: (server.stop(0), sys.exit(0)))
print(f"PORT {port}", flush=True)
server.wait_for_termination()
