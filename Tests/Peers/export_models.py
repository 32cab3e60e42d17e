"""Models for the export-model tests, trained at run time on scikit-learn's bundled datasets with
10% of the feature values removed (NaN), and the checks of a served export.

    export_models.py train DIR FRAMEWORK   fits binary, multiclass and regression models; prints
                                           {"models": [{"name", "fitted", "sample", "kind"}]}
    export_models.py refusals DIR          fits models export-model must refuse; prints
                                           {"models": [{"name", "fitted", "sample"?, "expect"}]}
    export_models.py check PORT NAME FITTED SAMPLE ONNX KIND
                                           calls the worker with tritonclient on the sample rows and
                                           compares with the framework's predict/predict_proba and with
                                           onnxruntime on the same graph; prints one JSON object
"""
import json
import os
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
MISSING = 0.1


def with_missing(x, seed):
    x = np.array(x, dtype=np.float32)
    x[np.random.default_rng(seed).random(x.shape) < MISSING] = np.nan
    return x


def dataset(kind, seed=0):
    """(train frame, sample frame, target) with column names f0, f1, ..."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    loader = {"binary": load_breast_cancer, "multiclass": load_iris, "regression": load_diabetes}[kind]
    x, y = loader(return_X_y=True)
    x = with_missing(x, seed)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    columns = [f"f{i}" for i in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=columns)
    cut = int(len(x) * 0.75)
    return frame.iloc[:cut], frame.iloc[cut:], y[:cut]


def save(obj, path):
    import joblib
    joblib.dump(obj, path)
    return path


def write_sample(frame, path, extra_column=True):
    frame = frame.copy()
    if extra_column:
        frame.insert(0, "row_id", range(len(frame)))  # a column the model does not read
    frame.to_csv(path, index=False)
    return path


def train_sklearn(directory):
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    models = []
    x, sample, y = dataset("binary")
    pipe = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    models.append(("binary", pipe, x, sample))
    x, sample, y = dataset("multiclass")
    forest = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0).fit(x, y)
    models.append(("multiclass", forest, x, sample))
    x, sample, y = dataset("regression")
    boosted = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(x, y)
    models.append(("regression", boosted, x, sample))
    out = [entry(directory, "sklearn", kind, save(m, os.path.join(directory, f"sklearn-{kind}.joblib")), s)
           for kind, m, _, s in models]
    # A Pipeline ending in an XGBoost classifier: skl2onnx with onnxmltools' converter registered.
    # (Not after a StandardScaler: its float32 arithmetic in the graph moves values that sit on
    # XGBoost's split points by one ulp; export-model refuses that on the sample rows.)
    import xgboost
    x, sample, y = dataset("multiclass")
    pipe = make_pipeline(SimpleImputer(strategy="median"), xgboost.XGBClassifier(n_estimators=10, max_depth=3, random_state=0)).fit(x, y)
    out.append(entry(directory, "sklearn-xgboost", "multiclass", save(pipe, os.path.join(directory, "sklearn-xgboost.joblib")), sample))
    return out


def train_xgboost(directory):
    import xgboost
    out = []
    x, sample, y = dataset("binary")
    clf = xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0).fit(x, y)
    out.append(entry(directory, "xgboost", "binary", save(clf, os.path.join(directory, "xgboost-binary.joblib")), sample))
    x, sample, y = dataset("multiclass")
    clf = xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0).fit(x.to_numpy(), y)
    path = os.path.join(directory, "xgboost-multiclass.ubj")
    clf.get_booster().save_model(path)  # a bare Booster in UBJSON, trained without column names
    out.append(entry(directory, "xgboost", "multiclass", path, sample, named=False))
    x, sample, y = dataset("regression")
    reg = xgboost.XGBRegressor(n_estimators=30, max_depth=3, random_state=0).fit(x, y)
    path = os.path.join(directory, "xgboost-regression.json")
    reg.save_model(path)
    out.append(entry(directory, "xgboost", "regression", path, sample))
    return out


def train_lightgbm(directory):
    import lightgbm
    out = []
    x, sample, y = dataset("binary")
    clf = lightgbm.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1, random_state=0).fit(x, y)
    out.append(entry(directory, "lightgbm", "binary", save(clf, os.path.join(directory, "lightgbm-binary.joblib")), sample))
    x, sample, y = dataset("multiclass")
    clf = lightgbm.LGBMClassifier(n_estimators=20, num_leaves=8, min_child_samples=5, verbose=-1, random_state=0).fit(x, y)
    path = os.path.join(directory, "lightgbm-multiclass.txt")
    clf.booster_.save_model(path)
    out.append(entry(directory, "lightgbm", "multiclass", path, sample))
    x, sample, y = dataset("regression")
    reg = lightgbm.LGBMRegressor(n_estimators=30, num_leaves=8, verbose=-1, random_state=0).fit(x, y)
    out.append(entry(directory, "lightgbm", "regression", save(reg, os.path.join(directory, "lightgbm-regression.joblib")), sample))
    return out


def train_catboost(directory):
    import catboost
    out = []
    x, sample, y = dataset("binary")
    clf = catboost.CatBoostClassifier(iterations=20, depth=4, verbose=0, random_seed=0, allow_writing_files=False).fit(x, y)
    path = os.path.join(directory, "catboost-binary.cbm")
    clf.save_model(path)
    out.append(entry(directory, "catboost", "binary", path, sample))
    x, sample, y = dataset("multiclass")
    clf = catboost.CatBoostClassifier(iterations=20, depth=3, verbose=0, random_seed=0, allow_writing_files=False).fit(x, y)
    out.append(entry(directory, "catboost", "multiclass", save(clf, os.path.join(directory, "catboost-multiclass.joblib")), sample))
    x, sample, y = dataset("regression")
    reg = catboost.CatBoostRegressor(iterations=30, depth=4, verbose=0, random_seed=0, allow_writing_files=False).fit(x, y)
    out.append(entry(directory, "catboost", "regression", save(reg, os.path.join(directory, "catboost-regression.joblib")), sample))
    return out


def entry(directory, framework, kind, fitted, sample, named=True):
    """A model trained with column names gets a sample with an extra column it must ignore."""
    name = f"{framework}-{kind}"
    return {"name": name, "fitted": fitted, "kind": "regressor" if kind == "regression" else "classifier",
            "sample": write_sample(sample, os.path.join(directory, f"{name}.csv"), extra_column=named)}


def refusals(directory):
    import catboost
    import lightgbm
    import xgboost
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler
    out = []
    x, sample, y = dataset("multiclass")
    path = os.path.join(directory, "refuse-transformer.joblib")
    save(make_pipeline(SimpleImputer(), StandardScaler()).fit(x), path)
    out.append({"name": "pipeline-ends-in-transformer", "fitted": path, "expect": "scripts/export-pipeline"})

    path = os.path.join(directory, "refuse-pipeline-lightgbm-regressor.joblib")
    xr, _, yr = dataset("regression")
    save(make_pipeline(StandardScaler(), lightgbm.LGBMRegressor(n_estimators=5, verbose=-1)).fit(xr, yr), path)
    out.append({"name": "pipeline-ends-in-boosted-regressor", "fitted": path, "expect": "cannot convert faithfully inside a Pipeline"})

    # A StandardScaler's float32 arithmetic in the graph moves sample values off XGBoost's split points.
    path = os.path.join(directory, "refuse-scaler-xgboost.joblib")
    xm, sm, ym = dataset("multiclass")
    save(make_pipeline(StandardScaler(), xgboost.XGBClassifier(n_estimators=10, max_depth=3, random_state=0)).fit(xm, ym), path)
    out.append({"name": "scaler-then-xgboost-differs", "fitted": path,
                "sample": write_sample(sm, os.path.join(directory, "scaler-xgboost.csv")),
                "expect": "differs from Pipeline ending in XGBClassifier"})

    path = os.path.join(directory, "refuse-knn.joblib")
    save(KNeighborsClassifier(n_neighbors=3).fit(x.fillna(0), y), path)
    out.append({"name": "unsupported-operator", "fitted": path, "expect": "our engine cannot run the exported graph"})

    categorical = x.copy()
    categorical["colour"] = pd.Categorical(np.array(["red", "green", "blue"])[np.arange(len(x)) % 3])
    path = os.path.join(directory, "refuse-lightgbm-categorical.txt")
    lightgbm.LGBMClassifier(n_estimators=5, verbose=-1, min_child_samples=5).fit(categorical, y).booster_.save_model(path)
    out.append({"name": "lightgbm-categorical", "fitted": path, "expect": "categorical features"})

    path = os.path.join(directory, "refuse-xgboost-categorical.json")
    xgboost.XGBClassifier(n_estimators=5, enable_categorical=True, tree_method="hist").fit(categorical, y).save_model(path)
    out.append({"name": "xgboost-categorical", "fitted": path, "expect": "categorical features"})

    path = os.path.join(directory, "refuse-catboost-categorical.cbm")
    frame = x.fillna(0).copy()
    frame["colour"] = np.array(["red", "green", "blue"])[np.arange(len(x)) % 3]
    catboost.CatBoostClassifier(iterations=5, verbose=0, cat_features=["colour"], allow_writing_files=False).fit(frame, y).save_model(path)
    out.append({"name": "catboost-categorical", "fitted": path, "expect": "cat_features"})

    # onnxmltools ignores the linear models in LightGBM's linear_tree leaves: only verification sees it.
    x, sample, y = dataset("regression")
    path = os.path.join(directory, "refuse-lightgbm-linear-tree.joblib")
    save(lightgbm.LGBMRegressor(n_estimators=10, verbose=-1, linear_tree=True).fit(x.fillna(0), y), path)
    out.append({"name": "answers-differ", "fitted": path, "sample": write_sample(sample, os.path.join(directory, "linear.csv")),
                "expect": "differs from LGBMRegressor"})
    return out


def load(path):
    extension = os.path.splitext(path)[1]
    if extension in (".json", ".ubj"):
        import xgboost
        booster = xgboost.Booster()
        booster.load_model(path)
        return booster
    if extension == ".txt":
        import lightgbm
        return lightgbm.Booster(model_file=path)
    if extension == ".cbm":
        import catboost
        model = catboost.CatBoostClassifier()
        model.load_model(path)
        return model
    import joblib
    return joblib.load(path)


def framework_answers(model, frame):
    """(labels, probabilities) or (None, values) from the framework's own API."""
    x = frame.to_numpy(dtype=np.float32)
    module = type(model).__module__.split(".")[0]
    if module == "xgboost" and type(model).__name__ == "Booster":
        import xgboost
        data = pd.DataFrame(x, columns=model.feature_names) if model.feature_names else x
        p = model.predict(xgboost.DMatrix(data, missing=np.nan))
        if p.ndim == 2:
            return p.argmax(axis=1), p
        objective = json.loads(model.save_config())["learner"]["objective"]["name"]
        if objective.startswith("binary"):
            return (p > 0.5).astype(int), np.column_stack([1 - p, p])
        return None, p.reshape(-1, 1)
    if module == "lightgbm" and type(model).__name__ == "Booster":
        p = model.predict(x)
        return (p.argmax(axis=1), p) if p.ndim == 2 else (None, p.reshape(-1, 1))
    frame = pd.DataFrame(x, columns=frame.columns)
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict(frame)).ravel(), model.predict_proba(frame)
    return None, np.asarray(model.predict(frame), dtype=np.float64).reshape(-1, 1)


def ready(client, name):
    from tritonclient.utils import InferenceServerException
    try:
        return client.is_model_ready(name)
    except InferenceServerException:  # NOT_FOUND until the scan that finds it
        return False


def check(port, name, fitted, sample, onnx_path, kind):
    import onnxruntime as ort
    import tritonclient.grpc as grpcclient
    frame = pd.read_csv(sample)
    frame = frame.drop(columns=[c for c in ["row_id"] if c in frame.columns])
    x = frame.to_numpy(dtype=np.float32)
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{port}")
    # The worker loads new versions on its next repository scan: wait for it, but give up after
    # two minutes (a version that never loads) instead of hanging the test run.
    give_up = time.monotonic() + 120
    while not ready(client, name):
        if time.monotonic() > give_up:
            sys.exit(f"model '{name}' never became ready on 127.0.0.1:{port}")
        time.sleep(0.05)
    metadata = client.get_model_metadata(name, as_json=True)
    # Calls of at most 32 rows (batched models take up to 64), four at a time so the worker can merge them.
    def call(chunk):
        request = grpcclient.InferInput("X", list(chunk.shape), "FP32")
        request.set_data_from_numpy(chunk)
        response = client.infer(name, [request])
        return {output: response.as_numpy(output) for output in ("label", "probabilities", "predictions")
                if response.get_output(output) is not None}
    with ThreadPoolExecutor(4) as pool:
        parts = list(pool.map(call, [x[i:i + 32] for i in range(0, len(x), 32)]))
    served = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    ort_outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"X": x})))
    labels, values = framework_answers(load(fitted), frame)
    result = {"rows": len(x), "missing": int(np.isnan(x).sum()),
              "inputs": [(i["name"], i["datatype"], [int(d) for d in i["shape"]]) for i in metadata["inputs"]],
              "outputs": [o["name"] for o in metadata["outputs"]]}
    if kind == "classifier":
        served_p = served["probabilities"].astype(np.float64)
        served_l = served["label"].ravel()
        result["max_probability_difference_framework"] = float(np.abs(served_p - values).max())
        result["max_probability_difference_onnxruntime"] = float(np.abs(served_p - ort_outputs["probabilities"]).max())
        top = np.sort(values, axis=1)
        ties = (top[:, -1] - top[:, -2]) <= 2e-4
        same = np.array([str(a) == str(b) for a, b in zip(served_l, labels)])
        result["label_mismatches_framework"] = int((~same & ~ties).sum())
        result["label_mismatches_onnxruntime"] = int((served_l != ort_outputs["label"].ravel()).sum())
    else:
        served = served["predictions"].astype(np.float64).reshape(len(x), -1)
        result["max_relative_difference_framework"] = float((np.abs(served - values) / np.maximum(1, np.abs(values))).max())
        ort_values = ort_outputs["predictions"].astype(np.float64).reshape(len(x), -1)
        result["max_relative_difference_onnxruntime"] = float((np.abs(served - ort_values) / np.maximum(1, np.abs(ort_values))).max())
    return result


def main():
    command = sys.argv[1]
    if command == "train":
        directory, framework = sys.argv[2], sys.argv[3]
        trainers = {"sklearn": train_sklearn, "xgboost": train_xgboost, "lightgbm": train_lightgbm, "catboost": train_catboost}
        print(json.dumps({"models": trainers[framework](directory)}))
    elif command == "refusals":
        print(json.dumps({"models": refusals(sys.argv[2])}))
    elif command == "check":
        port, name, fitted, sample, onnx_path, kind = sys.argv[2:8]
        print(json.dumps(check(int(port), name, fitted, sample, onnx_path, kind)))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
