"""LightGBM and scikit-learn's trees split on double thresholds (x <= t, x a float32 value seen as
a double), and the converters write float32(t) rounded to nearest. When that rounds up, a float32
x equal to the rounded value goes left in the graph and right in the framework. The float32 just
below float32(t) gives the same answer as t for every float32 x, so those thresholds are moved
down one step."""
import numpy as np
import onnx


def lightgbm_thresholds(tree_infos):
    """{feature: set of double thresholds} over every numeric split of a LightGBM dump."""
    found = {}
    stack = [t["tree_structure"] for t in tree_infos]
    while stack:
        node = stack.pop()
        if "split_index" not in node:
            continue
        if node.get("decision_type", "<=") == "<=":
            found.setdefault(int(node["split_feature"]), set()).add(float(node["threshold"]))
        stack += [node["left_child"], node["right_child"]]
    return found


def sklearn_thresholds(final):
    """{feature: set of double thresholds} of a scikit-learn tree model, or {} for other models."""
    import sklearn_trees
    found = {}
    for tree in sklearn_trees.estimators(final):
        split = tree.tree_.children_left >= 0
        for feature, threshold in zip(tree.tree_.feature[split], tree.tree_.threshold[split]):
            found.setdefault(int(feature), set()).add(float(threshold))
    for predictors in getattr(final, "_predictors", None) or []:  # HistGradientBoosting*
        for predictor in predictors:
            nodes = predictor.nodes[~predictor.nodes["is_leaf"].astype(bool)]
            for feature, threshold in zip(nodes["feature_idx"], nodes["num_threshold"]):
                found.setdefault(int(feature), set()).add(float(threshold))
    return found


def lower_rounded_up(graph, by_feature):
    if not by_feature:
        return
    for node in graph.graph.node:
        if node.op_type not in ("TreeEnsembleClassifier", "TreeEnsembleRegressor"):
            continue
        attributes = {a.name: a for a in node.attribute}
        if "nodes_values" not in attributes:
            continue
        modes = list(attributes["nodes_modes"].strings)
        features = list(attributes["nodes_featureids"].ints)
        values = np.asarray(attributes["nodes_values"].floats, dtype=np.float32)
        for i, (mode, feature) in enumerate(zip(modes, features)):
            if mode != b"BRANCH_LEQ":
                continue
            candidates = [t for t in by_feature.get(feature, ()) if np.float32(t) == values[i]]
            if candidates and all(t < float(values[i]) for t in candidates):
                values[i] = np.nextafter(values[i], np.float32(-np.inf))
        attributes["nodes_values"].CopyFrom(onnx.helper.make_attribute("nodes_values", values.tolist()))
