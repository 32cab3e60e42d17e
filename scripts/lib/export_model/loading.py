"""Reading FITTED: model files of each framework, else joblib or pickle."""
import os
import pickle

from errors import Refused


def load(path):
    extension = os.path.splitext(path)[1].lower()
    if extension in (".json", ".ubj"):
        import xgboost
        booster = xgboost.Booster()
        try:
            booster.load_model(path)
        except Exception as error:  # noqa: BLE001 - xgboost raises its own error types
            raise Refused(f"cannot load {path} as an XGBoost model: {first_line(error)}")
        return booster
    if extension == ".txt":
        import lightgbm
        try:
            return lightgbm.Booster(model_file=path)
        except Exception as error:  # noqa: BLE001
            raise Refused(f"cannot load {path} as a LightGBM model: {first_line(error)}")
    if extension == ".cbm":
        import catboost
        model = catboost.CatBoost()
        try:
            model.load_model(path, format="cbm")
        except Exception as error:  # noqa: BLE001
            raise Refused(f"cannot load {path} as a CatBoost model: {first_line(error)}")
        return model
    try:
        import joblib
        return joblib.load(path)
    except ModuleNotFoundError:
        raise
    except Exception:  # noqa: BLE001 - not a joblib file: try a plain pickle
        pass
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except ModuleNotFoundError:
        raise
    except Exception as error:  # noqa: BLE001
        raise Refused(f"cannot load {path}: not a joblib or pickle file, nor an XGBoost (.json, .ubj), "
                      f"LightGBM (.txt) or CatBoost (.cbm) model file ({first_line(error)})")


def first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
