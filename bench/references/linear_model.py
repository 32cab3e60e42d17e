#!/usr/bin/env python3
"""Writes the fixed linear model the reference servers hard-code, as ONNX, for our worker:
y = x·Wᵀ + b, FP32 input "X" [rows, 4] -> FP32 output "Y" [rows, 3] (one Gemm node).

    linear_model.py DIR    writes DIR/linear/1/model.onnx
Keep W and B equal to the constants in server.cc and server.go."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

W = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 0.0, 2.0], [-1.0, 0.25, 1.0, 0.0]], np.float32)
B = np.array([0.1, 0.2, 0.3], np.float32)

graph = helper.make_graph(
    [helper.make_node("Gemm", ["X", "W", "B"], ["Y"], transB=1)], "linear",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["rows", 4])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["rows", 3])],
    [onnx.numpy_helper.from_array(W, "W"), onnx.numpy_helper.from_array(B, "B")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
path = os.path.join(sys.argv[1], "linear", "1", "model.onnx")
os.makedirs(os.path.dirname(path), exist_ok=True)
onnx.save(model, path)
