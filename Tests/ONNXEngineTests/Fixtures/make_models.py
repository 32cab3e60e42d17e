#!/usr/bin/env python3
"""Writes the scikit-learn oracle fixtures of ONNXEngineTests (fixed seeds, deterministic).

For each model: NAME.onnx (exported by skl2onnx with zipmap=False) and NAME.json holding the test
inputs and onnxruntime's outputs. Run from anywhere with the project's venv:
    .venv/bin/python Tests/ONNXEngineTests/Fixtures/make_models.py
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Binarizer, Normalizer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
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


def convert(model, x_train, classifier, initial_types=None):
    """The skl2onnx export every fixture (and scripts/train-examples) uses: zipmap=False for classifiers."""
    options = {id(model): {"zipmap": False}} if classifier else None
    if initial_types is None:
        return to_onnx(model, x_train[:1], options=options, target_opset=TARGET_OPSET)
    return to_onnx(model, initial_types=initial_types, options=options, target_opset=TARGET_OPSET)


def iris_float32():
    """Iris features as float32 (the models' input type) and labels."""
    x, y = load_iris(return_X_y=True)
    return x.astype(np.float32), y


def iris_logistic(x, y):
    """examples/models/iris/1 and the logreg_iris fixture."""
    return LogisticRegression(max_iter=500).fit(x, y)


def iris_forest(x, y):
    """examples/models/iris/2 and the forest_iris fixture."""
    return RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(x, y)


def export(name, model, x_train, x_test, classifier, initial_types=None):
    """Exports `model`; `x_test` is one array, or a dict of arrays by input name with `initial_types`."""
    onx = convert(model, x_train, classifier, initial_types)
    data = onx.SerializeToString()
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(data)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = x_test if isinstance(x_test, dict) else {session.get_inputs()[0].name: x_test}
    outputs = session.run(None, feeds)
    fixture = {
        "inputs": {k: tensor_json(v) for k, v in feeds.items()},
        "outputs": {o.name: tensor_json(v) for o, v in zip(session.get_outputs(), outputs)},
    }
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    ops = sorted({(n.domain or "ai.onnx") + "." + n.op_type for n in onx.graph.node})
    print(f"{name}: {len(data)} bytes, ops {ops}")


def write_handmade(name, nodes, inputs, outputs, initializers=(), ml=False, feeds=None, ml_opset=3):
    """Writes a hand-built graph; with `feeds`, also its onnxruntime outputs as NAME.json."""
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("ai.onnx.ml", ml_opset)] if ml else [])
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
    encoder_models()
    write_handmade("error_zipmap", [helper.make_node("ZipMap", ["X"], ["Y"], name="zipper", domain="ai.onnx.ml",
                                                     classlabels_int64s=[0, 1, 2, 3])], [x], [labels], ml=True)


def encoder_models():
    """LabelEncoder (opsets 1, 2 and 4) and OneHotEncoder graphs, which skl2onnx rarely writes alone."""
    def tensor(name, kind):
        return helper.make_tensor_value_info(name, kind, None)

    def encoder(name, x_kind, y_kind, feeds, ml_opset=2, **attributes):
        node = helper.make_node("LabelEncoder", ["X"], ["Y"], name=name, domain="ai.onnx.ml", **attributes)
        write_handmade(name, [node], [tensor("X", x_kind)], [tensor("Y", y_kind)], ml=True, feeds=feeds, ml_opset=ml_opset)

    words = np.array([["cat", "dog"], ["emu", "cow"], ["dog", "cat"]], dtype=object)
    encoder("label_encoder_string_int", TensorProto.STRING, TensorProto.INT64, {"X": words},
            keys_strings=["cat", "dog", "emu"], values_int64s=[7, 8, 9], default_int64=-5)
    encoder("label_encoder_int_string", TensorProto.INT64, TensorProto.STRING, {"X": np.array([3, 1, 4, 1, 5], dtype=np.int64)},
            keys_int64s=[1, 3, 5], values_strings=["one", "three", "five"])
    encoder("label_encoder_float_float", TensorProto.FLOAT, TensorProto.FLOAT,
            {"X": np.array([[0.5, 1.5], [2.5, -0.0]], dtype=np.float32)},
            keys_floats=[0.5, 2.5, 0.0], values_floats=[10.0, 20.0, 30.0], default_float=-1.0)
    encoder("label_encoder_v1_strings", TensorProto.STRING, TensorProto.INT64, {"X": np.array(["b", "z", "a"], dtype=object)},
            ml_opset=1, classes_strings=["a", "b", "c"])
    encoder("label_encoder_v1_ints", TensorProto.INT64, TensorProto.STRING, {"X": np.array([2, 0, 9], dtype=np.int64)},
            ml_opset=1, classes_strings=["a", "b", "c"], default_string="none")
    encoder("label_encoder_tensors", TensorProto.DOUBLE, TensorProto.STRING, {"X": np.array([1.0, np.nan, 7.0, 2.0])},
            ml_opset=4, keys_tensor=helper.make_tensor("keys", TensorProto.DOUBLE, [3], [1.0, 2.0, np.nan]),
            values_tensor=helper.make_tensor("values", TensorProto.STRING, [3], [b"one", b"two", b"nan"]),
            default_tensor=helper.make_tensor("default", TensorProto.STRING, [1], [b"other"]))

    def one_hot(name, x_kind, feeds, zeros=1, **attributes):
        node = helper.make_node("OneHotEncoder", ["X"], ["Y"], name=name, domain="ai.onnx.ml", zeros=zeros, **attributes)
        write_handmade(name, [node], [tensor("X", x_kind)], [tensor("Y", TensorProto.FLOAT)], ml=True, feeds=feeds)

    one_hot("one_hot_strings", TensorProto.STRING, {"X": np.array([["red"], ["blue"], ["mauve"]], dtype=object)},
            cats_strings=["red", "green", "blue"])
    one_hot("one_hot_doubles", TensorProto.DOUBLE, {"X": np.array([[2.0, 7.9], [5.2, 9.0]])}, cats_int64s=[5, 7, 2])
    # Loaded and run by the tests, which expect the unknown category to be refused.
    one_hot("one_hot_refuse_unknown", TensorProto.INT64, None, zeros=0, cats_int64s=[1, 2])
    svm_handmade()
    write_handmade("error_svm_kernel", [helper.make_node("SVMRegressor", ["X"], ["Y"], name="svr", domain="ai.onnx.ml",
                                                         kernel_type="LAPLACE", coefficients=[1.0], n_supports=1,
                                                         support_vectors=[1.0], rho=[0.0])],
                   [tensor("X", TensorProto.FLOAT)], [tensor("Y", TensorProto.FLOAT)], ml=True)
    write_handmade("error_label_encoder_tensor", [helper.make_node(
        "LabelEncoder", ["X"], ["Y"], name="encode", domain="ai.onnx.ml",
        keys_tensor=helper.make_tensor("keys", TensorProto.INT32, [2], [1, 2]),
        values_tensor=helper.make_tensor("values", TensorProto.INT64, [2], [1, 2]))],
        [tensor("X", TensorProto.INT32)], [tensor("Y", TensorProto.INT64)], ml=True, ml_opset=4)


def svm_handmade():
    """SVMClassifier corners skl2onnx does not write: liblinear mode, and post transforms."""
    x_info = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])
    outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, None),
               helper.make_tensor_value_info("scores", TensorProto.FLOAT, None)]
    feeds = {"X": np.array([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0], [0.0, 0.0], [1.0, 1.0]], dtype=np.float32)}
    support = dict(vectors_per_class=[2, 1, 2], support_vectors=[0.0, 1.0, 1.0, 0.5, -1.0, 0.0, 2.0, 2.0, 0.5, -0.5],
                   coefficients=[0.7, -0.3, 0.5, 0.9, -0.4, 0.2, -0.6, 0.8, 0.3, -0.5], rho=[0.1, -0.2, 0.05],
                   kernel_type="RBF", kernel_params=[0.5, 0.0, 3.0])
    cases = {
        "svm_linear_softmax": dict(classlabels_ints=[4, 5, 6], coefficients=[1.0, -0.5, 0.3, 0.8, -1.2, 0.1], rho=[0.1], kernel_params=[0.0, 0.0, 0.0],
                                   post_transform="SOFTMAX"),
        "svm_linear_binary": dict(classlabels_ints=[0, 1], coefficients=[0.6, -0.4, -0.2, 0.3], rho=[0.05], kernel_params=[0.0, 0.0, 0.0]),
        "svm_rbf_softmax_zero": dict(classlabels_ints=[0, 1, 2], post_transform="SOFTMAX_ZERO", **support),
        "svm_poly_binary_logistic": dict(classlabels_ints=[3, 7], vectors_per_class=[2, 1],
                                        support_vectors=[0.0, 1.0, 1.0, 0.5, -1.0, 0.0], coefficients=[0.7, -0.3, -0.4],
                                        rho=[0.2], kernel_type="POLY", kernel_params=[0.5, 1.0, 2.0], post_transform="LOGISTIC"),
    }
    cases["svm_poly_binary_softmax"] = dict(cases["svm_poly_binary_logistic"], post_transform="SOFTMAX")
    for name, attributes in cases.items():
        node = helper.make_node("SVMClassifier", ["X"], ["label", "scores"], name=name, domain="ai.onnx.ml", **attributes)
        write_handmade(name, [node], [x_info], outputs, ml=True, feeds=feeds)


def svm_models(iris_x, iris_y, iris_test, iris_names, cancer_x, cancer_y, cancer_test, diabetes_x, diabetes_y, diabetes_test):
    export("svc_iris", SVC(kernel="rbf", random_state=0).fit(iris_x, iris_y), iris_x, iris_test, True)
    export("svc_iris_proba", SVC(kernel="rbf", probability=True, random_state=0).fit(iris_x, iris_y), iris_x, iris_test, True)
    export("svc_iris_strings_proba", SVC(kernel="rbf", probability=True, random_state=0).fit(iris_x, iris_names),
           iris_x, iris_test, True)
    export("svc_iris_poly", SVC(kernel="poly", degree=3, random_state=0).fit(iris_x, iris_y), iris_x, iris_test, True)
    export("svc_iris_linear_proba", SVC(kernel="linear", probability=True, random_state=0).fit(iris_x, iris_y),
           iris_x, iris_test, True)
    scaled = make_pipeline(StandardScaler(), SVC(kernel="sigmoid", gamma=0.05, random_state=0)).fit(iris_x, iris_y)
    export("svc_iris_sigmoid", scaled, iris_x, iris_test, True)
    export("svc_binary", make_pipeline(StandardScaler(), SVC(kernel="rbf", random_state=0)).fit(cancer_x, cancer_y),
           cancer_x, cancer_test, True)
    export("svc_binary_proba", make_pipeline(StandardScaler(), SVC(kernel="rbf", probability=True, random_state=0))
           .fit(cancer_x, cancer_y), cancer_x, cancer_test, True)
    export("svr_diabetes", SVR(kernel="rbf", C=50.0).fit(diabetes_x, diabetes_y), diabetes_x, diabetes_test, False)
    export("svr_diabetes_linear", SVR(kernel="linear", C=50.0).fit(diabetes_x, diabetes_y), diabetes_x, diabetes_test, False)


def one_hot_pipelines(rng, iris_x, iris_y):
    # A categorical first column (integer codes stored as float) beside three numeric ones.
    codes = np.floor(iris_x[:, 0] * 2) % 5
    mixed = np.c_[codes, iris_x[:, 1:]].astype(np.float32)
    mixed_test = mixed[rng.choice(len(mixed), 20, replace=False)].copy()
    mixed_test[0, 0] = 9  # a category not seen in training: all zeros
    columns = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), [0]), ("num", StandardScaler(), [1, 2, 3])])
    export("onehot_pipeline", make_pipeline(columns, LogisticRegression(max_iter=500)).fit(mixed, iris_y), mixed, mixed_test, True)

    # The same with a string column, as a second input.
    colours = np.array(["red", "green", "blue", "grey", "teal"], dtype=object)[codes.astype(int)].reshape(-1, 1)
    numbers = iris_x[:, 1:]
    frame = pd.DataFrame({"colour": colours[:, 0], "a": numbers[:, 0], "b": numbers[:, 1], "c": numbers[:, 2]})
    model = make_pipeline(ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
                                             ("num", StandardScaler(), ["a", "b", "c"])]),
                          LogisticRegression(max_iter=500)).fit(frame, iris_y)
    pick = rng.choice(len(frame), 20, replace=False)
    feeds = {"colour": colours[pick].copy(), "a": numbers[pick, :1].copy(), "b": numbers[pick, 1:2].copy(), "c": numbers[pick, 2:3].copy()}
    feeds["colour"][0, 0] = "purple"
    types = [("colour", StringTensorType([None, 1]))] + [(n, FloatTensorType([None, 1])) for n in "abc"]
    export("onehot_strings_pipeline", model, None, feeds, True, initial_types=types)


def main():
    handmade_models()
    rng = np.random.RandomState(0)
    iris_x, iris_y = iris_float32()
    iris_test = iris_x[rng.choice(len(iris_x), 20, replace=False)]
    cancer_x, cancer_y = load_breast_cancer(return_X_y=True)
    cancer_x = cancer_x[:, :8].astype(np.float32)
    cancer_test = cancer_x[rng.choice(len(cancer_x), 20, replace=False)]
    diabetes_x, diabetes_y = load_diabetes(return_X_y=True)
    diabetes_x = diabetes_x.astype(np.float32)
    diabetes_test = diabetes_x[rng.choice(len(diabetes_x), 20, replace=False)]
    iris_names = np.array(["setosa", "versicolor", "virginica"])[iris_y]

    export("logreg_iris", iris_logistic(iris_x, iris_y), iris_x, iris_test, True)
    export("logreg_iris_strings", LogisticRegression(max_iter=500).fit(iris_x, iris_names), iris_x, iris_test, True)
    export("logreg_binary", LogisticRegression(max_iter=2000).fit(cancer_x, cancer_y), cancer_x, cancer_test, True)
    export("scaler_logreg_iris", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(iris_x, iris_y),
           iris_x, iris_test, True)
    export("linreg_diabetes", LinearRegression().fit(diabetes_x, diabetes_y), diabetes_x, diabetes_test, False)
    export("ridge_diabetes", Ridge(alpha=0.5).fit(diabetes_x, diabetes_y), diabetes_x, diabetes_test, False)
    export("tree_iris", DecisionTreeClassifier(max_depth=4, random_state=0).fit(iris_x, iris_y), iris_x, iris_test, True)
    export("forest_iris", iris_forest(iris_x, iris_y), iris_x, iris_test, True)
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
    # Added after the models above so the random draws they use stay the same.
    svm_models(iris_x, iris_y, iris_test, iris_names, cancer_x, cancer_y, cancer_test, diabetes_x, diabetes_y, diabetes_test)
    one_hot_pipelines(rng, iris_x, iris_y)
    neural_and_bench_models(rng, iris_x, iris_y, iris_test, diabetes_x, diabetes_y, diabetes_test)


def neural_and_bench_models(rng, iris_x, iris_y, iris_test, diabetes_x, diabetes_y, diabetes_test):
    """Small MLPs, and the larger models bench/engine.sh times (an MLP on digits, boosting on breast cancer)."""
    export("mlp_iris", MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0).fit(iris_x, iris_y),
           iris_x, iris_test, True)
    scaled_diabetes = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=3000, random_state=0))
    export("mlp_diabetes", scaled_diabetes.fit(diabetes_x, diabetes_y), diabetes_x, diabetes_test, False)
    digits_x, digits_y = load_digits(return_X_y=True)
    digits_x = digits_x.astype(np.float32)
    digits_test = digits_x[rng.choice(len(digits_x), 20, replace=False)]
    export("mlp_digits", MLPClassifier(hidden_layer_sizes=(128, 64), max_iter=300, random_state=0).fit(digits_x, digits_y),
           digits_x, digits_test, True)
    cancer_x, cancer_y = load_breast_cancer(return_X_y=True)
    cancer_x = cancer_x.astype(np.float32)
    cancer_test = cancer_x[rng.choice(len(cancer_x), 20, replace=False)]
    export("gboost_cancer", GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(cancer_x, cancer_y),
           cancer_x, cancer_test, True)


if __name__ == "__main__":
    # skl2onnx lists opset domains in set order, which follows string hashing: fix the seed so the
    # files come out byte-identical on every run.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    main()
