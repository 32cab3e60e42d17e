"""The reference issue 4 names for bench/worker.sh: a KServe ModelServer (the `kserve` PyPI
package) serving one ONNX file with onnxruntime over the V2 gRPC protocol, the way its docs
show a custom model. Answers like bench/py_ort_server.py: outputs as raw little-endian bytes.

usage: kserve_ort_server.py MODEL_NAME MODEL_FILE GRPC_PORT HTTP_PORT
"""
import logging
import sys

name, path, grpc_port, http_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.argv = sys.argv[:1]  # kserve parses the command line when it is imported

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer  # noqa: E402

wire_types = {np.dtype(np.float32): "FP32", np.dtype(np.float64): "FP64",
              np.dtype(np.int64): "INT64", np.dtype(np.int32): "INT32"}


class OnnxModel(Model):
    def __init__(self):
        super().__init__(name)
        self.session = ort.InferenceSession(path)
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.ready = True

    def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        feeds = {tensor.name: tensor.as_numpy() for tensor in payload.inputs}
        outputs = []
        for output_name, value in zip(self.output_names, self.session.run(self.output_names, feeds)):
            output = InferOutput(name=output_name, shape=list(value.shape), datatype=wire_types[value.dtype])
            output.set_data_from_numpy(value, binary_data=True)
            outputs.append(output)
        return InferResponse(response_id=payload.id, model_name=name, infer_outputs=outputs, use_binary_outputs=True)


if __name__ == "__main__":
    server = ModelServer(grpc_port=grpc_port, http_port=http_port, enable_docs_url=False, enable_latency_logging=False)
    # A stricter reference than the defaults: no log line per request (KServe logs each gRPC
    # method at INFO, and each request's latencies unless told not to).
    logging.getLogger("kserve").setLevel(logging.WARNING)
    logging.getLogger("kserve.trace").setLevel(logging.WARNING)
    server.start([OnnxModel()])
