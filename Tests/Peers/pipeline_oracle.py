"""Oracle for the feature-preprocessor: scikit-learn fits transformers, scripts/export-pipeline
writes their specs, and a running feature-preprocessor must reproduce `transform(X)`.

usage: pipeline_oracle.py prepare DIR
         fits every case, writes DIR/pipelines/<case>.yaml (through scripts/export-pipeline),
         DIR/cases/<case>.pkl (test rows and expected output), and the end-to-end model
         DIR/models/mixed-clf/1/model.onnx; prints one JSON object (cases, refused exports)
       pipeline_oracle.py check PREPROCESSOR_PORT WORKER_PORT DIR
         sends every case's raw columns, compares, runs the end-to-end check and the malformed
         requests; prints one JSON object of observations
"""
import json
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXPORTER = os.path.join(ROOT, "scripts", "export-pipeline")


def mixed_frame(rows, seed):
    """Numbers and categories with missing values, as callers' raw records look."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.normal(40, 12, rows).round(1),
        "income": rng.lognormal(10, 0.6, rows),
        "visits": rng.integers(0, 20, rows).astype(np.int64),
        "city": rng.choice(["paris", "lyon", "nice", "lille", "brest"], rows, p=[0.4, 0.3, 0.2, 0.07, 0.03]),
        "plan": rng.choice(["free", "pro", "team"], rows),
        "device": rng.choice(["ios", "android"], rows),
    })
    frame["city"] = frame["city"].astype(object)
    frame["plan"] = frame["plan"].astype(object)
    for column, share in [("age", 0.1), ("income", 0.05), ("city", 0.08), ("plan", 0.05)]:
        frame.loc[rng.random(rows) < share, column] = np.nan
    return frame


def bundled(loader):
    data = loader(as_frame=True)
    return data.frame.drop(columns=["target"]), data.target


def cases():
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (Binarizer, FunctionTransformer, KBinsDiscretizer, MaxAbsScaler, MinMaxScaler,
                                       Normalizer, OneHotEncoder, OrdinalEncoder, PolynomialFeatures, RobustScaler,
                                       StandardScaler)
    iris, _ = bundled(load_iris)
    wine, _ = bundled(load_wine)
    diabetes, _ = bundled(load_diabetes)
    cancer, _ = bundled(load_breast_cancer)
    iris.columns = [c.replace(" (cm)", "").replace(" ", "_") for c in iris.columns]
    train, test = mixed_frame(400, 1), mixed_frame(60, 2)
    test.loc[3, "city"] = "marseille"  # unknown category
    test.loc[5, "plan"] = "enterprise"
    wide = wine.sample(frac=1.0, random_state=0) * 1.3 - 0.1  # beyond the fitted range, for clipping
    numeric = ["age", "income", "visits"]
    text = ["city", "plan", "device"]

    def ct(*transformers, **kw):
        return ColumnTransformer(list(transformers), sparse_threshold=0, **kw)

    yield "standard_scaler", StandardScaler(), wine, wine
    yield "standard_scaler_no_mean", StandardScaler(with_mean=False), diabetes, diabetes
    yield "standard_scaler_no_std", StandardScaler(with_std=False), cancer, cancer
    yield "min_max_scaler_clip", MinMaxScaler(feature_range=(-1, 2), clip=True), wine, wide
    yield "min_max_scaler", MinMaxScaler(), wine, wide
    yield "robust_scaler", RobustScaler(quantile_range=(10, 90)), cancer, cancer
    yield "max_abs_scaler", MaxAbsScaler(), diabetes, diabetes
    for norm in ["l1", "l2", "max"]:
        yield f"normalizer_{norm}", Normalizer(norm=norm), iris, iris
    for strategy in ["mean", "median", "most_frequent"]:
        yield f"imputer_{strategy}", SimpleImputer(strategy=strategy, add_indicator=True), train[numeric], test[numeric]
    yield "imputer_constant", SimpleImputer(strategy="constant", fill_value=-1.5), train[numeric], test[numeric]
    yield "imputer_text", ct(("t", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                                 OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
                              ["city", "plan"])), train, test
    yield "one_hot_ignore_drop_first", ct(("c", OneHotEncoder(handle_unknown="ignore", drop="first",
                                                              sparse_output=False), text)), train, test
    yield "one_hot_if_binary", ct(("c", OneHotEncoder(drop="if_binary", sparse_output=False), ["device", "visits"])), \
        train, test
    yield "one_hot_infrequent", ct(("c", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=30,
                                                       sparse_output=False), ["city", "plan"])), train, test
    yield "one_hot_missing_category", ct(("c", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                                          ["city"])), train, test
    yield "ordinal_encoder", ct(("o", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                                     encoded_missing_value=-2), text)), train, test
    yield "binarizer", Binarizer(threshold=3.0), iris, iris
    yield "log1p", FunctionTransformer(np.log1p), wine, wine
    yield "sqrt", FunctionTransformer(np.sqrt), cancer, cancer
    yield "clip", FunctionTransformer(np.clip, kw_args={"a_min": -0.02, "a_max": 0.05}), diabetes, diabetes
    yield "kbins_ordinal_quantile", KBinsDiscretizer(n_bins=4, encode="ordinal", strategy="quantile",
                                                     quantile_method="averaged_inverted_cdf"), iris, iris
    yield "kbins_onehot_uniform", KBinsDiscretizer(n_bins=5, encode="onehot-dense", strategy="uniform"), wine, wide
    yield "polynomial_degree2", PolynomialFeatures(degree=2), iris, iris
    yield "polynomial_interactions", PolynomialFeatures(degree=2, interaction_only=True, include_bias=False), iris, iris
    yield "polynomial_degree3", ct(("p", PolynomialFeatures(degree=3), ["alcohol", "ash", "hue"])), wine, wine
    yield "feature_hasher", ct(("h", make_pipeline(SimpleImputer(strategy="constant", fill_value="none"),
                                                   FeatureHasher(n_features=16, input_type="string")),
                                ["city", "plan", "device"])), train, test
    yield "column_transformer_mixed", ct(
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "income"]),
        ("log", make_pipeline(FunctionTransformer(np.log1p), MinMaxScaler()), ["visits"]),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="unknown"),
                              OneHotEncoder(handle_unknown="ignore", sparse_output=False)), ["city", "plan"]),
        ("drop_device", "drop", ["device"])), train, test
    yield "column_transformer_remainder", ct(
        ("scaled", RobustScaler(), ["alcohol", "malic_acid"]),
        ("bins", KBinsDiscretizer(n_bins=3, encode="onehot-dense", strategy="kmeans"), ["proline"]),
        remainder="passthrough"), wine, wide
    yield "column_transformer_selector_then_steps", make_pipeline(
        ct(("num", SimpleImputer(), make_column_selector(dtype_include="number")),
           ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(sparse_output=False,
                                                                                       handle_unknown="ignore")),
            make_column_selector(dtype_exclude="number"))),
        StandardScaler(), Normalizer()), train, test
    yield "nested_column_transformer", make_pipeline(
        ct(("num", make_pipeline(SimpleImputer(), MaxAbsScaler()), numeric), remainder="drop"),
        ct(("pair", PolynomialFeatures(2, include_bias=False), [0, 1]), ("rest", "passthrough", [2]))), train, test


def load_exporter():
    from importlib.machinery import SourceFileLoader
    return SourceFileLoader("export_pipeline", EXPORTER).load_module()


EXPORT = load_exporter()


def export(fitted, name, directory, subprocess_run=False):
    """Dumps `fitted` with joblib and runs scripts/export-pipeline on it: in this process (its
    main function, as the command line calls it) to save interpreter start-ups, or as a real
    command when `subprocess_run` is set."""
    import contextlib
    import io
    import joblib
    path = os.path.join(directory, "fitted", f"{name}.joblib")
    joblib.dump(fitted, path)
    arguments = [path, "--name", name, "--output", os.path.join(directory, "pipelines", f"{name}.yaml")]
    if subprocess_run:
        done = subprocess.run([sys.executable, EXPORTER] + arguments, capture_output=True, text=True)
        return done.returncode, done.stderr.strip()
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = EXPORT.main(arguments)
    return status, errors.getvalue().strip()


def prepare(directory):
    for sub in ["fitted", "pipelines", "cases", "models/mixed-clf/1"]:
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    names, failures = [], {}
    for name, transformer, train, test in cases():
        transformer.fit(train)
        expected = transformer.transform(test)
        if hasattr(expected, "toarray"):
            expected = expected.toarray()
        status, error = export(transformer, name, directory)
        if status != 0:
            failures[name] = error
            continue
        with open(os.path.join(directory, "cases", f"{name}.pkl"), "wb") as handle:
            pickle.dump({"test": test, "expected": np.asarray(expected, dtype=np.float64)}, handle)
        names.append(name)

    # Exports that must be refused with a clear message.
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    iris = load_iris_frame()
    refused = {}
    for name, fitted in [("refused_pca", make_pipeline(StandardScaler(), PCA(2)).fit(iris[0])),
                         ("refused_model", make_pipeline(StandardScaler(), LogisticRegression()).fit(*iris)),
                         ("refused_numpy", StandardScaler().fit(iris[0].to_numpy()))]:
        status, error = export(fitted, name, directory, subprocess_run=name == "refused_pca")
        refused[name] = {"status": status, "error": error,
                         "written": os.path.exists(os.path.join(directory, "pipelines", f"{name}.yaml"))}
    prepare_end_to_end(directory)
    print(json.dumps({"cases": names, "export_failures": failures, "refused": refused}))


def load_iris_frame():
    from sklearn.datasets import load_iris
    return bundled(load_iris)


def prepare_end_to_end(directory):
    """A scikit-learn Pipeline (ColumnTransformer + classifier) split into a spec and an ONNX model."""
    from skl2onnx import to_onnx
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    train, test = mixed_frame(500, 3), mixed_frame(80, 4)
    target = ((train["age"].fillna(40) > 42) ^ (train["city"] == "paris")).astype(int) + (train["plan"] == "pro")
    model = make_pipeline(
        ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "income", "visits"]),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OneHotEncoder(handle_unknown="ignore", sparse_output=False)), ["city", "plan", "device"]),
        ], sparse_threshold=0),
        LogisticRegression(max_iter=1000))
    model.fit(train, target)
    status, error = export(model[:-1], "mixed-e2e", directory)
    if status != 0:
        raise SystemExit(f"export of the end-to-end preprocessing failed: {error}")
    features = model[:-1].transform(test[:1]).astype(np.float32)
    onnx = to_onnx(model[-1], features, options={id(model[-1]): {"zipmap": False}})
    with open(os.path.join(directory, "models", "mixed-clf", "1", "model.onnx"), "wb") as handle:
        handle.write(onnx.SerializeToString())
    with open(os.path.join(directory, "cases", "mixed-e2e.pkl"), "wb") as handle:
        pickle.dump({"test": test, "labels": model.predict(test), "probabilities": model.predict_proba(test)}, handle)


def column_inputs(triton, frame):
    """One tensor per raw column: BYTES for text (empty = missing), FP64 or INT64 for numbers."""
    inputs = []
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            data = np.array([b"" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v).encode()
                             for v in values], dtype=object)
            tensor = triton.InferInput(str(column), [len(frame)], "BYTES")
        elif pd.api.types.is_integer_dtype(values):
            data = values.to_numpy().astype(np.int64)
            tensor = triton.InferInput(str(column), [len(frame)], "INT64")
        else:
            data = values.to_numpy().astype(np.float64)
            tensor = triton.InferInput(str(column), [len(frame)], "FP64")
        tensor.set_data_from_numpy(data)
        inputs.append(tensor)
    return inputs


def records_input(triton, frame):
    rows = json.loads(frame.to_json(orient="records"))
    data = np.array([json.dumps(rows).encode()], dtype=object)
    tensor = triton.InferInput("records", [1], "BYTES")
    tensor.set_data_from_numpy(data)
    return tensor


def close(got, expected):
    return bool(got.shape == expected.shape and np.allclose(got, expected, rtol=1e-6, atol=1e-6, equal_nan=True))


def status_of(call):
    from tritonclient.utils import InferenceServerException
    try:
        call()
        return "OK"
    except InferenceServerException as error:
        return f"{error.status()}|{error.message()}"


def check(port, worker_port, directory):
    import tritonclient.grpc as triton
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    results = {"server_ready": client.is_server_ready(), "cases": {}}
    for file in sorted(os.listdir(os.path.join(directory, "cases"))):
        name = file[:-4]
        if name == "mixed-e2e":
            continue
        with open(os.path.join(directory, "cases", file), "rb") as handle:
            case = pickle.load(handle)
        test, expected = case["test"], case["expected"]
        observed = {}
        try:
            got = client.infer(name, column_inputs(triton, test)).as_numpy("X")
            observed["columns_ok"] = close(got, expected)
            observed["max_abs_error"] = float(np.nanmax(np.abs(got - expected))) if got.shape == expected.shape else None
            observed["shape"] = list(got.shape)
            got = client.infer(name, [records_input(triton, test)]).as_numpy("X")
            observed["records_ok"] = close(got, expected)
        except Exception as error:  # noqa: BLE001 - report, do not stop the other cases
            observed["error"] = str(error)
        observed["expected_shape"] = list(expected.shape)
        results["cases"][name] = observed

    # Malformed requests: each gets its status, and the process keeps serving.
    with open(os.path.join(directory, "cases", "ordinal_encoder.pkl"), "rb") as handle:
        mixed = pickle.load(handle)["test"]
    one_hot_error_frame = mixed.copy()
    one_hot_error_frame.loc[2, "device"] = "windows"
    wrong_type = column_inputs(triton, mixed)
    city = list(mixed.columns).index("city")
    wrong_type[city] = triton.InferInput("city", [len(mixed)], "FP64")
    wrong_type[city].set_data_from_numpy(np.zeros(len(mixed)))
    bad_json = triton.InferInput("records", [1], "BYTES")
    bad_json.set_data_from_numpy(np.array([b"{not json"], dtype=object))
    bad_record = triton.InferInput("records", [1], "BYTES")
    bad_record.set_data_from_numpy(np.array([b'[{"city": "paris", "plan": "pro", "device": "ios"}, '
                                             b'{"city": 3, "plan": "pro", "device": "ios"}]'], dtype=object))
    results["errors"] = {
        "unknown_pipeline": status_of(lambda: client.infer("no-such-pipeline", column_inputs(triton, mixed))),
        "unknown_category": status_of(lambda: client.infer("one_hot_if_binary", column_inputs(triton, one_hot_error_frame))),
        "wrong_datatype": status_of(lambda: client.infer("ordinal_encoder", wrong_type)),
        "missing_column": status_of(lambda: client.infer("ordinal_encoder", column_inputs(triton, mixed.drop(columns=["city"])))),
        "bad_json": status_of(lambda: client.infer("ordinal_encoder", [bad_json])),
        "bad_record": status_of(lambda: client.infer("ordinal_encoder", [bad_record])),
        "unknown_version": status_of(lambda: client.infer("ordinal_encoder", column_inputs(triton, mixed), model_version="7")),
    }
    results["still_serving"] = status_of(lambda: client.infer("ordinal_encoder", column_inputs(triton, mixed)))
    metadata = client.get_model_metadata("column_transformer_mixed")
    results["metadata"] = {"inputs": [[t.name, t.datatype] for t in metadata.inputs],
                           "outputs": [[t.name, t.datatype, list(t.shape)] for t in metadata.outputs]}
    if worker_port != "0":
        results["end_to_end"] = end_to_end(triton, client, worker_port, directory)
    print(json.dumps(results))


def end_to_end(triton, preprocessor, worker_port, directory):
    with open(os.path.join(directory, "cases", "mixed-e2e.pkl"), "rb") as handle:
        case = pickle.load(handle)
    features = preprocessor.infer("mixed-e2e", column_inputs(triton, case["test"])).as_numpy("X")
    worker = triton.InferenceServerClient(url=f"127.0.0.1:{worker_port}")
    x = triton.InferInput("X", list(features.shape), "FP32")
    x.set_data_from_numpy(features)
    reply = worker.infer("mixed-clf", [x])
    return {
        "rows": int(features.shape[0]),
        "labels_equal": bool(np.array_equal(reply.as_numpy("label"), case["labels"])),
        "probabilities_close": bool(np.allclose(reply.as_numpy("probabilities"), case["probabilities"],
                                                rtol=1e-4, atol=1e-5)),
    }


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
