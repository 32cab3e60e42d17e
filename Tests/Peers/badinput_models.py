"""Writes the hostile ONNX files of the bad input matrix into a model repository.

usage: badinput_models.py REPOSITORY MODEL

  MODEL/4/model.onnx  deeply nested: If nodes whose then_branch graph holds an If node, 10,000
                      levels (30,000 nested messages, about 318 KB)
  MODEL/5/model.onnx  huge: a 1-element file declaring a [2^20, 2^20] FP32 initializer (4 TiB)
  MODEL/6/model.onnx  long: a valid 50,000-node chain of Identity nodes (X [-1, 4] → Y)
Prints {"written": [paths]}.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

repository, model = sys.argv[1], sys.argv[2]


def varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def number(field_number, value):
    return varint(field_number << 3) + varint(value)


def nested(levels):
    # Hand-written wire format: the onnx package cannot build (or check) a model this deep.
    graph = b""
    for _ in range(levels):
        attribute = field(1, b"then_branch") + number(20, 5) + field(6, graph)  # name, type GRAPH, g
        node = field(4, b"If") + field(5, attribute)  # op_type, attribute
        graph = field(1, node)  # GraphProto.node
    return number(1, 8) + field(8, field(1, b"") + number(2, 13)) + field(7, graph)


def huge_declared():
    # make_tensor checks the element count, so the dims are set after it.
    weights = helper.make_tensor("W", TensorProto.FLOAT, [1], [0.0])
    weights.dims[:] = [1 << 20, 1 << 20]
    graph = helper.make_graph(
        [helper.make_node("Add", ["X", "W"], ["Y"])], "huge",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [-1, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [-1, 4])], initializer=[weights])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def long_chain(length):
    names = ["X"] + [f"t{i}" for i in range(length - 1)] + ["Y"]
    nodes = [helper.make_node("Identity", [names[i]], [names[i + 1]]) for i in range(length)]
    graph = helper.make_graph(
        nodes, "chain", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["n", 4])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


written = []
for version, data in [(4, nested(10_000)), (5, huge_declared()), (6, long_chain(50_000))]:
    directory = os.path.join(repository, model, str(version))
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "model.onnx")
    with open(path, "wb") as out:
        out.write(data)
    written.append(path)
print(json.dumps({"written": written}))
