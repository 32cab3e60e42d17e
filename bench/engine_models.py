#!/usr/bin/env python3
"""The boosted models bench/engine.sh adds: XGBoost and LightGBM classifiers (100 trees each) on
breast cancer, trained here and exported with scripts/export-model into DIR.

    engine_models.py DIR ONNX_CHECK   prints "NAME PATH" lines
"""
import os
import subprocess
import sys
import tempfile
import warnings

import joblib
import lightgbm
import xgboost
from sklearn.datasets import load_breast_cancer

warnings.filterwarnings("ignore")


def main():
    directory, onnx_check = sys.argv[1], sys.argv[2]
    x, y = load_breast_cancer(return_X_y=True)
    models = {
        "xgboost-cancer": xgboost.XGBClassifier(n_estimators=100, max_depth=6, random_state=0),
        "lightgbm-cancer": lightgbm.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1, random_state=0),
    }
    root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    with tempfile.TemporaryDirectory() as work:
        for name, model in models.items():
            fitted = os.path.join(work, f"{name}.joblib")
            joblib.dump(model.fit(x.astype("float32"), y), fitted)
            subprocess.run([sys.executable, os.path.join(root, "scripts/export-model"), fitted, "--name", name,
                            "--version", "1", "--repository", directory, "--onnx-check", onnx_check],
                           check=True, stdout=subprocess.DEVNULL)
            print(name, os.path.join(directory, name, "1", "model.onnx"))


if __name__ == "__main__":
    main()
