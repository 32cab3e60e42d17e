"""Generates Python stubs from the project's proto/ files at test time (grpcio-tools)."""
import importlib
import os
import sys
import tempfile

from grpc_tools import protoc

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def load(*names):
    """Compiles proto/<name>.proto for each name and returns the (pb2, pb2_grpc) module pairs."""
    out = tempfile.mkdtemp(prefix="pystubs-")
    files = [os.path.join(PROTO_DIR, f"{name}.proto") for name in names]
    grpc_tools_include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main(["protoc", f"-I{PROTO_DIR}", f"-I{grpc_tools_include}", f"--python_out={out}",
                      f"--grpc_python_out={out}", *files])
    if rc != 0:
        raise SystemExit(f"protoc failed ({rc}) for {files}")
    sys.path.insert(0, out)
    return [(importlib.import_module(f"{n}_pb2"), importlib.import_module(f"{n}_pb2_grpc")) for n in names]
