"""Missing values in scikit-learn's trees: since 1.3 a fitted tree knows, per split, which side a
missing value goes to (`tree_.missing_go_to_left`); skl2onnx does not copy that into the graph, so
NaN would take the false branch everywhere. This writes it into nodes_missing_value_tracks_true."""
import onnx


def estimators(final):
    """The fitted trees in the order skl2onnx numbers them (tree id = position)."""
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
    from sklearn.tree import BaseDecisionTree
    if isinstance(final, BaseDecisionTree):
        return [final]
    if isinstance(final, (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)):
        return list(final.estimators_)
    return []


def add_missing_tracking(graph, final):
    trees = estimators(final)
    if not trees or not all(hasattr(t.tree_, "missing_go_to_left") for t in trees):
        return
    for node in graph.graph.node:
        if node.op_type not in ("TreeEnsembleClassifier", "TreeEnsembleRegressor"):
            continue
        attributes = {a.name: a for a in node.attribute}
        tree_ids = list(attributes["nodes_treeids"].ints)
        node_ids = list(attributes["nodes_nodeids"].ints)
        tracks = [int(trees[t].tree_.missing_go_to_left[n]) if t < len(trees) else 0 for t, n in zip(tree_ids, node_ids)]
        if not any(tracks):
            continue
        if "nodes_missing_value_tracks_true" in attributes:
            node.attribute.remove(attributes["nodes_missing_value_tracks_true"])
        node.attribute.append(onnx.helper.make_attribute("nodes_missing_value_tracks_true", tracks))
