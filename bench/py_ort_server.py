"""The reference for bench/worker.sh: what teams run today, a Python grpcio server answering
KServe V2 ModelInfer with onnxruntime on one model. Prints "PORT <n>" once serving.

usage: py_ort_server.py MODEL_NAME MODEL_FILE
"""
import signal
import sys
from concurrent import futures

import grpc
import numpy as np
import onnxruntime as ort
from tritonclient.grpc import service_pb2 as inf, service_pb2_grpc as inf_grpc

name, path = sys.argv[1], sys.argv[2]
session = ort.InferenceSession(path)
output_names = [o.name for o in session.get_outputs()]
numpy_types = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32}
wire_types = {np.dtype(v): k for k, v in numpy_types.items()}


class Inference(inf_grpc.GRPCInferenceServiceServicer):
    def ModelInfer(self, request, context):
        feeds = {}
        for tensor, raw in zip(request.inputs, request.raw_input_contents):
            feeds[tensor.name] = np.frombuffer(raw, numpy_types[tensor.datatype]).reshape(list(tensor.shape))
        outputs = session.run(output_names, feeds)
        reply = inf.ModelInferResponse(model_name=name, model_version="1", id=request.id)
        for output_name, value in zip(output_names, outputs):
            reply.outputs.add(name=output_name, datatype=wire_types[value.dtype], shape=list(value.shape))
            reply.raw_output_contents.append(np.ascontiguousarray(value).tobytes())
        return reply


server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
inf_grpc.add_GRPCInferenceServiceServicer_to_server(Inference(), server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
signal.signal(signal.SIGTERM, lambda *_: (server.stop(0), sys.exit(0)))
print(f"PORT {port}", flush=True)
server.wait_for_termination()
