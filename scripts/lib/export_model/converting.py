"""From a fitted model to an ONNX graph with our naming: one float32 input `X`, outputs `label`
and `probabilities` (classifiers, no ZipMap) or `predictions` (regressors)."""
import contextlib
import os
import tempfile
import warnings

import numpy as np
import onnx

import float_thresholds
import frameworks
import sklearn_trees
from errors import Refused

# skl2onnx: the opsets the engine and the committed fixtures use.
SKLEARN_OPSET = {"": 17, "ai.onnx.ml": 3}
# onnxmltools: the highest default-domain opset its XGBoost and LightGBM converters accept.
ONNXMLTOOLS_OPSET = 15


class Exported:
    """The converted graph plus what checking needs to call the framework."""

    def __init__(self, model, adapter, graph):
        self.model = model
        self.adapter = adapter
        self.graph = graph
        self.onnx_bytes = graph.SerializeToString()
        self.kind = adapter.kind
        self.n_features = adapter.n_features
        ops = sorted({n.op_type for n in graph.graph.node})
        self.description = (f"{adapter.framework} {adapter.class_name} ({adapter.kind}, {adapter.n_features} features"
                            f"{', %d classes' % len(adapter.classes) if adapter.kind == 'classifier' else ''}) "
                            f"converted by {adapter.converter} ({', '.join(ops)})")


def convert(model):
    adapter = frameworks.adapter(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            graph = {"scikit-learn": sklearn_graph, "XGBoost": xgboost_graph, "LightGBM": lightgbm_graph,
                     "CatBoost": catboost_graph}[adapter.framework](adapter)
        except (Refused, ModuleNotFoundError):
            raise
        except Exception as error:  # noqa: BLE001 - the converters raise anything
            raise Refused(f"{adapter.converter} cannot convert {adapter.class_name}: {one_line(error)}")
    return Exported(model, adapter, normalize(graph, adapter))


def one_line(error):
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def float_input(n_features):
    from onnxmltools.convert.common.data_types import FloatTensorType
    return [("X", FloatTensorType([None, n_features]))]


def sklearn_graph(adapter):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    options = {id(adapter.final): {"zipmap": False}} if adapter.kind == "classifier" else None
    if adapter.boosted:
        register_boosted_classifiers()
    with bool_lists_as_ints():
        graph = to_onnx(adapter.model, initial_types=[("X", FloatTensorType([None, adapter.n_features]))],
                        options=options, target_opset=SKLEARN_OPSET)
    sklearn_trees.add_missing_tracking(graph, adapter.final)
    float_thresholds.lower_rounded_up(graph, float_thresholds.sklearn_thresholds(adapter.final))
    if adapter.boosted == "lightgbm":
        float_thresholds.lower_rounded_up(graph, float_thresholds.lightgbm_thresholds(
            adapter.final.booster_.dump_model()["tree_info"]))
    return graph


def register_boosted_classifiers():
    """onnxmltools' converters for XGBClassifier and LGBMClassifier as the last step of a Pipeline,
    registered with skl2onnx the way skl2onnx's documentation shows."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    try:
        import xgboost
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
        update_registered_converter(xgboost.XGBClassifier, "XGBoostXGBClassifier",
                                    calculate_linear_classifier_output_shapes, convert_xgboost, options=options)
    except ModuleNotFoundError:
        pass
    try:
        import lightgbm
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
        update_registered_converter(lightgbm.LGBMClassifier, "LightGbmLGBMClassifier",
                                    calculate_linear_classifier_output_shapes, convert_lightgbm, options=options)
    except ModuleNotFoundError:
        pass


@contextlib.contextmanager
def bool_lists_as_ints():
    """skl2onnx passes HistGradientBoosting's missing-value directions as a list of numpy bools,
    which onnx's INTS attribute refuses: hand them over as 0/1."""
    original = onnx.helper.make_attribute

    def make_attribute(key, value, *args, **kwargs):
        if isinstance(value, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in value):
            value = [int(v) for v in value]
        return original(key, value, *args, **kwargs)

    onnx.helper.make_attribute = make_attribute
    try:
        yield
    finally:
        onnx.helper.make_attribute = original


def xgboost_graph(adapter):
    from onnxmltools import convert_xgboost
    return convert_xgboost(adapter.model, initial_types=float_input(adapter.n_features), target_opset=ONNXMLTOOLS_OPSET)


def lightgbm_graph(adapter):
    from onnxmltools import convert_lightgbm
    graph = convert_lightgbm(adapter.model, initial_types=float_input(adapter.n_features),
                             target_opset=ONNXMLTOOLS_OPSET, zipmap=False)
    float_thresholds.lower_rounded_up(graph, float_thresholds.lightgbm_thresholds(adapter.booster.dump_model()["tree_info"]))
    return graph


def catboost_graph(adapter):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.onnx")
        adapter.model.save_model(path, format="onnx",
                                 export_parameters={"onnx_domain": "ai.catboost", "onnx_model_version": 1})
        return onnx.load(path)


def normalize(graph, adapter):
    """Our names on the graph's input and outputs, and ZipMap (a sequence of maps) removed."""
    g = graph.graph
    initializers = {i.name for i in g.initializer}
    inputs = [i for i in g.input if i.name not in initializers]
    if len(inputs) != 1:
        raise Refused(f"{adapter.converter} wrote {len(inputs)} inputs ({', '.join(i.name for i in inputs)}), expected one")
    if inputs[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise Refused(f"{adapter.converter} wrote input '{inputs[0].name}' of ONNX type "
                      f"{inputs[0].type.tensor_type.elem_type}, expected float32")
    rename(g, inputs[0].name, "X")
    drop_zipmap(g)
    wanted = ["label", "probabilities"] if adapter.kind == "classifier" else ["predictions"]
    if len(g.output) != len(wanted):
        raise Refused(f"{adapter.converter} wrote {len(g.output)} outputs ({', '.join(o.name for o in g.output)}), "
                      f"expected {len(wanted)} for a {adapter.kind}")
    for output, name in zip(list(g.output), wanted):
        if output.name != name:
            rename(g, output.name, name)
    graph.producer_name = graph.producer_name or adapter.converter
    graph.doc_string = f"export-model: {adapter.framework} {adapter.class_name} via {adapter.converter}"
    return graph


def rename(g, old, new):
    if old == new:
        return
    if any(v.name == new for v in list(g.input) + list(g.output) + list(g.value_info)) or \
            any(new in n.output for n in g.node):
        # The new name is taken inside the graph: move that value out of the way first.
        rename(g, new, f"{new}_original")
    for value in list(g.input) + list(g.output) + list(g.value_info):
        if value.name == old:
            value.name = new
    for node in g.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new


def drop_zipmap(g):
    """Makes the tensor a ZipMap reads the graph output in the ZipMap's place."""
    for node in list(g.node):
        if node.op_type != "ZipMap":
            continue
        source, target = node.input[0], node.output[0]
        g.node.remove(node)
        for output in g.output:
            if output.name == target:
                output.CopyFrom(onnx.helper.make_tensor_value_info(source, onnx.TensorProto.FLOAT, [None, None]))
    # A graph output may now be the same value twice; nothing else to fix.

