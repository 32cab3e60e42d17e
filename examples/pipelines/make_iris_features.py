"""Writes iris-features.yaml: a SimpleImputer (mean) fitted on scikit-learn's iris data, whose
columns are the demo model's four inputs in centimetres, exported with scripts/export-pipeline.

usage: .venv/bin/python examples/pipelines/make_iris_features.py
"""
import os
import subprocess
import sys
import tempfile

import joblib
from sklearn.datasets import load_iris
from sklearn.impute import SimpleImputer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

frame = load_iris(as_frame=True).frame.drop(columns=["target"])
frame.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
imputer = SimpleImputer(strategy="mean").fit(frame)

with tempfile.TemporaryDirectory() as scratch:
    fitted = os.path.join(scratch, "iris-features.joblib")
    joblib.dump(imputer, fitted)
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export-pipeline"), fitted,
                    "--name", "iris-features", "--output", os.path.join(HERE, "iris-features.yaml")], check=True)
