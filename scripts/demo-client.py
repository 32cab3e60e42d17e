"""Sample calls to a running server with stock clients: tritonclient and grpcio."""
import sys

import grpc
import tritonclient.grpc as triton

sys.path.insert(0, "Tests/Peers")
import protos  # noqa: E402  (generates stubs from proto/ at run time)

address = sys.argv[1]
client = triton.InferenceServerClient(url=address)
print(f"tritonclient is_server_live:  {client.is_server_live()}")
print(f"tritonclient is_server_ready: {client.is_server_ready()}")
meta = client.get_server_metadata()
print(f"tritonclient server metadata: name={meta.name} version={meta.version}")

((health, health_grpc), (echo, echo_grpc)) = protos.load("health", "echo")
channel = grpc.insecure_channel(address)
status = health_grpc.HealthStub(channel).Check(health.HealthCheckRequest(service=""), timeout=5)
print(f"grpcio health check:          {health.HealthCheckResponse.ServingStatus.Name(status.status)}")
reply = echo_grpc.EchoStub(channel).Get(echo.EchoRequest(payload=b"hello, mesh"), timeout=5)
print(f"grpcio echo:                  {reply.payload.decode()}")
try:
    client.get_model_metadata("iris")
except Exception as error:  # the model worker is not part of this demo yet
    print(f"tritonclient model metadata:  {error}")
