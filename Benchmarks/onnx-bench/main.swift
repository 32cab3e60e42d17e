print("onnx-bench: under construction")
