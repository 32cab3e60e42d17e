#!/usr/bin/env python3
"""Writes the scikit-learn oracle fixtures of ONNXEngineTests (fixed seeds, deterministic).

For each model: NAME.onnx (exported by skl2onnx with zipmap=False) and NAME.json holding the test
inputs and onnxruntime's outputs. Run from anywhere with the project's venv:
    .venv/bin/python Tests/ONNXEngineTests/Fixtures/make_models.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Binarizer, Normalizer, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
# Pinned so the fixtures use the classic TreeEnsembleRegressor/Classifier of ai.onnx.ml opset 3.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def tensor_json(array):
    array = np.asarray(array)
    if array.dtype.kind in "OUS":
        dtype = "string"
    else:
        dtype = {"f4": "float32", "f8": "float64", "i8": "int64", "b1": "bool"}[array.dtype.kind + str(array.dtype.itemsize)]
    data = [str(v) for v in array.ravel()] if dtype == "string" else array.ravel().tolist()
    if dtype.startswith("float"):
        # JSON has no NaN or infinity: write them as the strings "NaN", "Infinity", "-Infinity".
        data = [v if np.isfinite(v) else str(float(v)).replace("nan", "NaN").replace("inf", "Infinity") for v in data]
    return {"dtype": dtype, "shape": list(array.shape), "data": data}


def export(name, model, x_train, x_test, classifier):
    options = {id(model): {"zipmap": False}} if classifier else None
    onx = to_onnx(model, x_train[:1], options=options, target_opset=TARGET_OPSET)
    data = onx.SerializeToString()
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(data)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    outputs = session.run(None, {input_name: x_test})
    fixture = {
        "inputs": {input_name: tensor_json(x_test)},
        "outputs": {o.name: tensor_json(v) for o, v in zip(session.get_outputs(), outputs)},
    }
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    ops = sorted({(n.domain or "ai.onnx") + "." + n.op_type for n in onx.graph.node})
    print(f"{name}: {len(data)} bytes, ops {ops}")


def write_handmade(name, nodes, inputs, outputs, initializers=(), ml=False, feeds=None):
    """Writes a hand-built graph; with `feeds`, also its onnxruntime outputs as NAME.json."""
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("ai.onnx.ml", 3)] if ml else [])
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="make_models.py")
    model.ir_version = 8
    data = model.SerializeToString()
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(data)
    if feeds is not None:
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        results = session.run(None, feeds)
        fixture = {
            "inputs": {k: tensor_json(v) for k, v in feeds.items()},
            "outputs": {o.name: tensor_json(v) for o, v in zip(session.get_outputs(), results)},
        }
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
    print(f"{name}: {len(data)} bytes")


def handmade_models():
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    index = helper.make_tensor("index", TensorProto.INT64, [2], [3, 1])
    feeds = {"X": np.arange(12, dtype=np.float32).reshape(3, 4)}
    write_handmade("array_feature_extractor", [helper.make_node("ArrayFeatureExtractor", ["X", "index"], ["Y"], domain="ai.onnx.ml")],
                   [x], [y], [index], ml=True, feeds=feeds)
    # Loader error cases: never run, only loaded.
    write_handmade("error_unknown_op", [helper.make_node("FancyOp", ["X"], ["Y"], name="fancy", domain="com.example")],
                   [x], [y])
    write_handmade("error_cycle", [helper.make_node("Relu", ["B"], ["A"], name="first"),
                                   helper.make_node("Relu", ["A"], ["B"], name="second"),
                                   helper.make_node("Add", ["X", "B"], ["Y"], name="third")], [x], [y])
    write_handmade("error_missing_initializer", [helper.make_node("Add", ["X", "bias"], ["Y"], name="add_bias")], [x], [y])
    labels = helper.make_tensor_value_info("label", TensorProto.INT64, None)
    write_handmade("error_zipmap", [helper.make_node("ZipMap", ["X"], ["Y"], name="zipper", domain="ai.onnx.ml",
                                                     classlabels_int64s=[0, 1, 2, 3])], [x], [labels], ml=True)


def main():
    handmade_models()
    rng = np.random.RandomState(0)
    iris_x, iris_y = load_iris(return_X_y=True)
    iris_x = iris_x.astype(np.float32)
    iris_test = iris_x[rng.choice(len(iris_x), 20, replace=False)]
    cancer_x, cancer_y = load_breast_cancer(return_X_y=True)
    cancer_x = cancer_x[:, :8].astype(np.float32)
    cancer_test = cancer_x[rng.choice(len(cancer_x), 20, replace=False)]
    diabetes_x, diabetes_y = load_diabetes(return_X_y=True)
    diabetes_x = diabetes_x.astype(np.float32)
    diabetes_test = diabetes_x[rng.choice(len(diabetes_x), 20, replace=False)]
    iris_names = np.array(["setosa", "versicolor", "virginica"])[iris_y]

    export("logreg_iris", LogisticRegression(max_iter=500).fit(iris_x, iris_y), iris_x, iris_test, True)
    export("logreg_iris_strings", LogisticRegression(max_iter=500).fit(iris_x, iris_names), iris_x, iris_test, True)
    export("logreg_binary", LogisticRegression(max_iter=2000).fit(cancer_x, cancer_y), cancer_x, cancer_test, True)
    export("scaler_logreg_iris", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(iris_x, iris_y),
           iris_x, iris_test, True)
    export("linreg_diabetes", LinearRegression().fit(diabetes_x, diabetes_y), diabetes_x, diabetes_test, False)
    export("ridge_diabetes", Ridge(alpha=0.5).fit(diabetes_x, diabetes_y), diabetes_x, diabetes_test, False)
    export("tree_iris", DecisionTreeClassifier(max_depth=4, random_state=0).fit(iris_x, iris_y), iris_x, iris_test, True)
    export("forest_iris", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(iris_x, iris_y),
           iris_x, iris_test, True)
    export("tree_diabetes", DecisionTreeRegressor(max_depth=5, random_state=0).fit(diabetes_x, diabetes_y),
           diabetes_x, diabetes_test, False)
    export("forest_diabetes", RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(diabetes_x, diabetes_y),
           diabetes_x, diabetes_test, False)
    export("gboost_binary", GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0).fit(cancer_x, cancer_y),
           cancer_x, cancer_test, True)
    export("gboost_iris", GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0).fit(iris_x, iris_y),
           iris_x, iris_test, True)
    export("gboost_diabetes", GradientBoostingRegressor(n_estimators=10, max_depth=2, random_state=0).fit(diabetes_x, diabetes_y),
           diabetes_x, diabetes_test, False)

    holes = iris_x.copy()
    holes[rng.rand(*holes.shape) < 0.2] = np.nan
    holes_test = holes[:20]
    export("imputer_normalizer_linreg", make_pipeline(SimpleImputer(strategy="mean"), Normalizer(norm="l2"), LinearRegression())
           .fit(holes, iris_x[:, 0] * 2), holes, holes_test, False)
    export("binarizer_logreg", make_pipeline(Binarizer(threshold=3.0), LogisticRegression(max_iter=500)).fit(iris_x, iris_y),
           iris_x, iris_test, True)


if __name__ == "__main__":
    main()
