"""tritonclient.http over TLS (HTTP/1.1) against a REST port started with --tls-cert/--tls-key
(and --tls-client-ca): infer and statistics with a client certificate, refused without one.
Prints one JSON object.

usage: rest_tls_checks.py PORT CA CLIENT_CERT CLIENT_KEY
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient

port, ca, cert, key = sys.argv[1:5]
result = {}


def client(with_certificate):
    options = {"ca_certs": ca}
    if with_certificate:
        options.update(certfile=cert, keyfile=key)
    return httpclient.InferenceServerClient(f"localhost:{port}", ssl=True, ssl_options=options)


c = client(True)
x = httpclient.InferInput("X", [2, 4], "FP32")
x.set_data_from_numpy(np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32), binary_data=True)
result["labels"] = c.infer("iris", [x]).as_numpy("label").tolist()
result["success_count"] = int(c.get_inference_statistics("iris")["model_stats"][0]["inference_stats"]["success"]["count"])
try:
    client(False).is_server_ready()
    result["without_certificate"] = "accepted"
except Exception as error:  # the handshake fails; the exact exception depends on gevent's ssl
    result["without_certificate"] = "refused"
print(json.dumps(result))
