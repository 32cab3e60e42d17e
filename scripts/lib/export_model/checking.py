"""Verification: the exported graph in our engine (onnx-check) against the framework's own answers."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnx

from errors import Refused, Usage

# The stated tolerances (services/model-worker/README.md, "Exported models").
PROBABILITY_ATOL = 1e-4
VALUE_RTOL = 1e-4          # of max(1, |value|)
TIE_MARGIN = 2 * PROBABILITY_ATOL
GENERATED_ROWS = 512
MISSING_FRACTION = 0.1
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))))


def onnx_check_binary(flag):
    """--onnx-check, else $ONNX_CHECK, else a release build in the repository (like scripts/demo)."""
    path = flag or os.environ.get("ONNX_CHECK")
    if path:
        if os.path.isdir(path):
            path = os.path.join(path, "onnx-check")
        if not os.access(path, os.X_OK):
            raise Usage(f"onnx-check executable {path} not found or not executable")
        return path
    if shutil.which("swift") is None:
        raise Usage("swift is not on PATH: build onnx-check (swift build -c release --product onnx-check) and pass "
                    "--onnx-check PATH or set ONNX_CHECK")
    print("export-model: building onnx-check (swift build -c release; the first build takes a few minutes)",
          file=sys.stderr)
    build = subprocess.run(["swift", "build", "-c", "release", "--product", "onnx-check"], cwd=ROOT,
                           capture_output=True, text=True)
    if build.returncode != 0:
        raise Refused(f"building onnx-check failed:\n{build.stdout[-2000:]}{build.stderr[-2000:]}")
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(bin_dir, "onnx-check")


class Rows:
    def __init__(self, x, origin):
        self.x = x
        self.origin = origin


def rows(model, exported, sample, limit):
    if sample:
        return Rows(read_sample(sample, exported.adapter, limit), f"{sample}")
    x = generated(model, exported)
    return Rows(x, "generated rows")


def read_sample(path, adapter, limit):
    import pandas as pd
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        try:
            frame = pd.read_parquet(path)
        except ImportError:  # pandas names no module: it needs pyarrow (or fastparquet)
            raise ModuleNotFoundError(name="pyarrow")
    elif lower.endswith((".csv", ".txt")):
        frame = pd.read_csv(path)
    else:
        raise Usage(f"--sample {path}: expected a .csv or .parquet file")
    if frame.empty:
        raise Usage(f"--sample {path}: no rows")
    names = adapter.feature_names
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if names is not None and all(n in columns for n in names):
        frame = frame[names]
    elif len(columns) == adapter.n_features:
        frame = frame[columns]
    else:
        absent = [n for n in names if n not in columns] if names is not None else []
        detail = f"lacks the model's columns {', '.join(absent[:10])}" if absent else \
            f"has {len(columns)} columns, the model reads {adapter.n_features} (and has no feature names)"
        raise Usage(f"--sample {path} {detail}")
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    if text:
        raise Refused(f"--sample columns {', '.join(text[:10])} are not numbers: the exported graph takes float32 "
                      "features only; encode them with a feature-preprocessor pipeline (scripts/export-pipeline)")
    return frame.head(limit).to_numpy(dtype=np.float32)


def generated(model, exported):
    """Rows around the trees' split thresholds (or a leading scaler's mean +- 3 scales), 10% missing."""
    n = exported.n_features
    rng = np.random.default_rng(0)
    low, high = np.full(n, -3.0), np.full(n, 3.0)
    found = thresholds(exported.graph, n)
    for feature, values in found.items():
        spread = max(values.max() - values.min(), 1e-3)
        low[feature], high[feature] = values.min() - 0.1 * spread, values.max() + 0.1 * spread
    mean, scale = scaler_statistics(model, n)
    if mean is not None:  # a scaler first: the trees' thresholds are in its output's units, not the input's
        low, high = mean - 3 * scale, mean + 3 * scale
    x = rng.uniform(low, high, size=(GENERATED_ROWS, n)).astype(np.float32)
    x[rng.random(x.shape) < MISSING_FRACTION] = np.nan
    return x


def thresholds(graph, n):
    found = {}
    for node in graph.graph.node:
        if not node.op_type.startswith("TreeEnsemble"):
            continue
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        features, values = attributes.get("nodes_featureids", []), attributes.get("nodes_values", [])
        modes = attributes.get("nodes_modes", [])
        for feature, value, mode in zip(features, values, modes):
            # LightGBM writes +-1e300-like thresholds for splits that only separate missing values.
            if mode != b"LEAF" and 0 <= feature < n and abs(value) < 1e30:
                found.setdefault(feature, []).append(value)
    return {f: np.asarray(v, dtype=np.float64) for f, v in found.items()}


def scaler_statistics(model, n):
    steps = getattr(model, "steps", None) or []
    for _, step in steps:
        mean, scale = getattr(step, "mean_", None), getattr(step, "scale_", None)
        if mean is not None and scale is not None and len(mean) == n:
            return np.asarray(mean), np.asarray(scale)
        break
    return None, None


def framework_answers(adapter, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if adapter.kind == "classifier":
            return {"label": adapter.labels(x), "probabilities": adapter.probabilities(x)}
        return {"predictions": adapter.values(x)}


def verify(model, exported, rows, binary):
    adapter = exported.adapter
    x = rows.x
    note = ""
    try:
        expected = framework_answers(adapter, x)
    except Exception as error:  # noqa: BLE001 - a framework refusing NaN raises its own errors
        if not np.isnan(x).any():
            raise Refused(f"{adapter.class_name}.predict fails on the rows: {first_line(error)}")
        if rows.origin != "generated rows":
            raise Refused(f"the sample has missing values and {adapter.class_name} refuses them: {first_line(error)}")
        x = np.nan_to_num(x, nan=0.0)
        expected = framework_answers(adapter, x)
        note = f" without missing values ({adapter.class_name} refuses NaN)"
    actual = engine_answers(exported, x, binary)
    problems, summary = compare(adapter, expected, actual, len(x))
    if problems:
        hint = adapter.mismatch_hint()
        raise Refused(f"the exported graph in our engine differs from {adapter.class_name} on {rows.origin}: "
                      f"{'; '.join(problems)} (tolerances: probabilities {PROBABILITY_ATOL} absolute, values "
                      f"{VALUE_RTOL} x max(1, |value|)){'; ' + hint if hint else ''}; nothing written")
    return f"{len(x)} {rows.origin}{note}: {summary}"


def first_line(error):
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def engine_answers(exported, x, binary):
    with tempfile.TemporaryDirectory() as directory:
        model_path = os.path.join(directory, "model.onnx")
        rows_path = os.path.join(directory, "rows.csv")
        with open(model_path, "wb") as handle:
            handle.write(exported.onnx_bytes)
        with open(rows_path, "w") as handle:
            for row in x:
                handle.write(",".join("nan" if np.isnan(v) else format(float(v), ".9g") for v in row) + "\n")
        run = subprocess.run([binary, model_path, "--rows", rows_path], capture_output=True, text=True)
    if run.returncode != 0:
        message = run.stderr.strip().removeprefix("onnx-check: ").removeprefix(model_path + ": ")
        raise Refused(f"our engine cannot run the exported graph: {message}")
    outputs = {}
    for output in json.loads(run.stdout)["outputs"]:
        data = [float(v) if isinstance(v, str) and output["dtype"].startswith("float") else v for v in output["data"]]
        outputs[output["name"]] = np.asarray(data).reshape(output["shape"])
    return outputs


def label_text(value):
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def compare(adapter, expected, actual, count):
    problems = []
    if adapter.kind == "regressor":
        want = expected["predictions"].reshape(count, -1)
        got = np.asarray(actual["predictions"], dtype=np.float64).reshape(count, -1)
        if want.shape != got.shape:
            return [f"predictions have shape {got.shape}, {adapter.class_name} gives {want.shape}"], ""
        error = np.abs(got - want) / np.maximum(1.0, np.abs(want))
        bad = np.argwhere(~(error <= VALUE_RTOL))
        if len(bad):
            r = bad[0][0]
            problems.append(f"{len(np.unique(bad[:, 0]))} of {count} rows differ (first: row {r}, engine "
                            f"{got[r].tolist()}, framework {want[r].tolist()})")
        return problems, f"largest relative difference {np.nanmax(error):.2e}"
    probabilities = expected["probabilities"]
    got_p = np.asarray(actual["probabilities"], dtype=np.float64)
    summary = []
    if probabilities is not None:
        if got_p.shape != probabilities.shape:
            return [f"probabilities have shape {got_p.shape}, {adapter.class_name} gives {probabilities.shape}"], ""
        difference = np.abs(got_p - probabilities)
        bad = np.argwhere(~(difference <= PROBABILITY_ATOL))
        if len(bad):
            r = bad[0][0]
            problems.append(f"probabilities differ on {len(np.unique(bad[:, 0]))} of {count} rows (first: row {r}, "
                            f"engine {np.round(got_p[r], 6).tolist()}, framework {np.round(probabilities[r], 6).tolist()})")
        summary.append(f"largest probability difference {difference.max():.2e}")
    want_labels = [label_text(v) for v in np.asarray(expected["label"]).ravel()]
    got_labels = [label_text(v) for v in np.asarray(actual["label"]).ravel()]
    ties = 0
    differing = []
    for r, (want, got) in enumerate(zip(want_labels, got_labels)):
        if want == got:
            continue
        if probabilities is not None:
            top = np.sort(probabilities[r])[-2:]
            if top[1] - top[0] <= TIE_MARGIN:
                ties += 1
                continue
        differing.append(r)
    if differing:
        r = differing[0]
        problems.append(f"labels differ on {len(differing)} of {count} rows (first: row {r}, engine {got_labels[r]}, "
                        f"framework {want_labels[r]})")
    summary.insert(0, f"labels equal on {count - len(differing) - ties} of {count} rows"
                      + (f" ({ties} near-ties within {TIE_MARGIN})" if ties else ""))
    return problems, ", ".join(summary)
