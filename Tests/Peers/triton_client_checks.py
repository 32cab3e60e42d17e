"""tritonclient.grpc against our server; prints one JSON object of observations.

usage: triton_client_checks.py PORT
"""
import json
import sys

import tritonclient.grpc as triton

client = triton.InferenceServerClient(url=f"127.0.0.1:{sys.argv[1]}")
meta = client.get_server_metadata()
print(json.dumps({
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "name": meta.name,
    "version": meta.version,
    "extensions": list(meta.extensions),
}))
