"""What export-model needs of each framework's model: kind, classes, feature count and names,
the refusals checked before conversion, and its own predictions to compare with."""
import json

import numpy as np

from errors import Refused


def root_module(obj):
    return type(obj).__module__.split(".")[0]


def adapter(model):
    framework = root_module(model)
    if framework == "sklearn":
        return ScikitLearn(model)
    if framework == "xgboost":
        return XGBoost(model)
    if framework == "lightgbm":
        return LightGBM(model)
    if framework == "catboost":
        return CatBoost(model)
    raise Refused(f"{type(model).__module__}.{type(model).__name__} is not a scikit-learn, XGBoost, LightGBM or "
                  "CatBoost model")


class Adapter:
    framework = ""
    converter = ""
    kind = ""           # "classifier" or "regressor"
    classes = []        # class labels in probability column order
    n_features = 0
    feature_names = None
    class_name = ""

    def frame(self, x):
        """The rows as the framework wants them: a DataFrame when the model knows column names."""
        if self.feature_names is None:
            return x
        import pandas as pd
        return pd.DataFrame(x, columns=self.feature_names)

    def mismatch_hint(self):
        """A setting known to make the converter's graph answer differently, if the model has one."""
        return ""

    def probabilities(self, x):
        """[rows, classes] or None when the model has no probabilities."""
        return np.asarray(self.model.predict_proba(self.frame(x)), dtype=np.float64)

    def labels(self, x):
        return np.asarray(self.model.predict(self.frame(x))).ravel()

    def values(self, x):
        return np.asarray(self.model.predict(self.frame(x)), dtype=np.float64).reshape(len(x), -1)


class ScikitLearn(Adapter):
    framework = "scikit-learn"
    converter = "skl2onnx"

    def __init__(self, model):
        from sklearn.base import is_classifier, is_regressor
        from sklearn.pipeline import Pipeline
        self.model = model
        self.final = model
        if isinstance(model, Pipeline):
            steps = [s for _, s in model.steps if s not in (None, "passthrough")]
            if not steps:
                raise Refused("the Pipeline has no steps")
            self.final = steps[-1]
        self.class_name = type(model).__name__ + (f" ending in {type(self.final).__name__}" if self.final is not model else "")
        if not hasattr(self.final, "predict"):
            where = "the Pipeline ends in" if self.final is not model else "the model is"
            raise Refused(f"{where} {type(self.final).__name__}, a preprocessing step: serve it with "
                          "scripts/export-pipeline (feature-preprocessor), and export only a model with export-model")
        self.boosted = root_module(self.final) if root_module(self.final) in ("xgboost", "lightgbm") else None
        if root_module(self.final) not in ("sklearn", "xgboost", "lightgbm") or \
                (self.boosted and not is_classifier(self.final)):
            # skl2onnx with onnxmltools' boosted regressors registered answers differently (checked on 1.20/1.16).
            raise Refused(f"the Pipeline ends in {type(self.final).__module__}.{type(self.final).__name__}, which "
                          "skl2onnx cannot convert faithfully inside a Pipeline: export the preprocessing with "
                          "scripts/export-pipeline and the final model on its own with export-model")
        if is_classifier(model):
            self.kind = "classifier"
            self.classes = list(self.final.classes_)
        elif is_regressor(model):
            self.kind = "regressor"
        else:
            raise Refused(f"{type(self.final).__name__} is neither a classifier nor a regressor")
        self.n_features = int(getattr(model, "n_features_in_", 0))
        if not self.n_features:
            raise Refused(f"{self.class_name} is not fitted (no n_features_in_)")
        names = getattr(model, "feature_names_in_", None)
        self.feature_names = None if names is None else [str(n) for n in names]
        self.has_probabilities = self.kind == "classifier" and hasattr(model, "predict_proba")
        if self.has_probabilities:
            try:
                model.predict_proba  # noqa: B018 - SVC(probability=False) raises here
            except AttributeError:
                self.has_probabilities = False

    def probabilities(self, x):
        return super().probabilities(x) if self.has_probabilities else None


class XGBoost(Adapter):
    framework = "XGBoost"
    converter = "onnxmltools"

    def __init__(self, model):
        import xgboost
        self.model = model
        self.class_name = type(model).__name__
        self.wrapper = not isinstance(model, xgboost.Booster)
        booster = model.get_booster() if self.wrapper else model
        self.booster = booster
        types = booster.feature_types or []
        if "c" in types:
            raise Refused("the XGBoost model has categorical features (enable_categorical=True, feature_types 'c'): "
                          "onnxmltools does not convert categorical splits; encode them as numbers before training")
        missing = getattr(model, "missing", np.nan) if self.wrapper else np.nan
        if missing is not None and not (isinstance(missing, float) and np.isnan(missing)):
            raise Refused(f"the XGBoost model treats {missing!r} as missing (missing={missing!r}): the exported graph "
                          "treats only NaN as missing")
        self.objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
        self.n_features = booster.num_features()
        self.feature_names = list(booster.feature_names) if booster.feature_names else None
        if self.objective.startswith(("binary:", "multi:")):
            if self.objective not in ("binary:logistic", "multi:softprob", "multi:softmax"):
                raise Refused(f"XGBoost objective '{self.objective}' (supported classifiers: binary:logistic, "
                              "multi:softprob, multi:softmax)")
            self.kind = "classifier"
            count = int(json.loads(booster.save_config())["learner"]["learner_model_param"]["num_class"])
            self.classes = list(getattr(model, "classes_", range(max(count, 2))))
        elif self.objective.startswith(("rank:", "survival:")):
            raise Refused(f"XGBoost objective '{self.objective}': only classifiers and regressors are exported")
        else:
            self.kind = "regressor"

    def mismatch_hint(self):
        if self.objective in ("reg:logistic", "binary:logitraw"):
            return f"objective '{self.objective}': onnxmltools does not reproduce its transform and base score"
        return ""

    def dmatrix(self, x):
        import xgboost
        return xgboost.DMatrix(self.frame(x), missing=np.nan)

    def probabilities(self, x):
        if self.wrapper:
            return super().probabilities(x)
        if self.objective == "multi:softmax":
            return None
        p = np.asarray(self.booster.predict(self.dmatrix(x)), dtype=np.float64)
        return np.column_stack([1 - p, p]) if p.ndim == 1 else p

    def labels(self, x):
        if self.wrapper:
            return super().labels(x)
        p = np.asarray(self.booster.predict(self.dmatrix(x)))
        if self.objective == "multi:softmax":
            return p.astype(np.int64)
        return (p > 0.5).astype(np.int64) if p.ndim == 1 else p.argmax(axis=1)

    def values(self, x):
        if self.wrapper:
            return super().values(x)
        return np.asarray(self.booster.predict(self.dmatrix(x)), dtype=np.float64).reshape(len(x), -1)


class LightGBM(Adapter):
    framework = "LightGBM"
    converter = "onnxmltools"

    def __init__(self, model):
        import lightgbm
        self.model = model
        self.class_name = type(model).__name__
        self.wrapper = not isinstance(model, lightgbm.Booster)
        booster = model.booster_ if self.wrapper else model
        self.booster = booster
        dump = booster.dump_model()
        if booster.pandas_categorical or any(categorical_split(t["tree_structure"]) for t in dump["tree_info"]):
            raise Refused("the LightGBM model has categorical features (categorical_feature or pandas 'category' "
                          "columns): the exported graph takes float32 codes that callers cannot know; encode them as "
                          "numbers before training")
        self.objective = str(dump.get("objective", "")).split(" ")[0]
        self.n_features = booster.num_feature()
        self.feature_names = list(booster.feature_name())
        if self.objective in ("binary", "multiclass"):
            self.kind = "classifier"
            self.classes = list(getattr(model, "classes_", range(max(int(dump.get("num_class", 1)), 2))))
        elif self.objective in ("multiclassova", "lambdarank", "rank_xendcg", "cross_entropy", "cross_entropy_lambda"):
            raise Refused(f"LightGBM objective '{self.objective}' (supported: binary, multiclass and the regression objectives)")
        else:
            self.kind = "regressor"

    def mismatch_hint(self):
        params = self.booster.params or {}
        if str(params.get("linear_tree", "")).lower() in ("true", "1") or \
                any("leaf_coeff" in str(t) for t in self.booster.dump_model()["tree_info"][:1]):
            return "the model uses linear_tree=True, whose leaf models onnxmltools does not convert"
        return ""

    def probabilities(self, x):
        if self.wrapper:
            return super().probabilities(x)
        p = np.asarray(self.booster.predict(x), dtype=np.float64)
        return np.column_stack([1 - p, p]) if p.ndim == 1 else p

    def labels(self, x):
        if self.wrapper:
            return super().labels(x)
        p = self.probabilities(x)
        return p.argmax(axis=1)

    def values(self, x):
        if self.wrapper:
            return super().values(x)
        return np.asarray(self.booster.predict(x), dtype=np.float64).reshape(len(x), -1)


def categorical_split(node):
    if "split_index" not in node:
        return False
    return node.get("decision_type") == "==" or categorical_split(node["left_child"]) or categorical_split(node["right_child"])


class CatBoost(Adapter):
    framework = "CatBoost"
    converter = "catboost (save_model format='onnx')"

    def __init__(self, model):
        self.model = model
        self.class_name = type(model).__name__
        if model.get_cat_feature_indices():
            raise Refused("the CatBoost model has categorical features (cat_features): CatBoost's ONNX export does "
                          "not support them; encode them as numbers before training")
        for getter, what in (("get_text_feature_indices", "text_features"), ("get_embedding_feature_indices", "embedding_features")):
            if getattr(model, getter, lambda: [])():
                raise Refused(f"the CatBoost model has {what}: CatBoost's ONNX export does not support them")
        params = model.get_all_params()
        loss = str(params.get("loss_function", "")).split(":")[0]
        self.n_features = len(model.feature_names_)
        self.feature_names = [str(n) for n in model.feature_names_]
        if loss in ("Logloss", "CrossEntropy", "MultiClass"):
            self.kind = "classifier"
            self.classes = list(model.classes_) if getattr(model, "classes_", None) is not None else []
        elif loss in ("MultiClassOneVsAll",) or loss.startswith(("YetiRank", "PairLogit", "QueryRMSE")):
            raise Refused(f"CatBoost loss_function '{loss}': only Logloss, CrossEntropy, MultiClass and regression losses")
        else:
            self.kind = "regressor"

    def probabilities(self, x):
        return np.asarray(self.model.predict(x, prediction_type="Probability"), dtype=np.float64)

    def labels(self, x):
        return np.asarray(self.model.predict(x, prediction_type="Class")).ravel()

    def values(self, x):
        return np.asarray(self.model.predict(x), dtype=np.float64).reshape(len(x), -1)
