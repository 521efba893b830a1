"""How much memory smolml objects hold, in bytes, on either backend.

Sizes come from the public API only: `sys.getsizeof(obj)` for an object itself, plus
`MLArray.nbytes` for the numbers an array holds. On the engine, `nbytes` is the
array's value buffer, plus its gradient buffer once a backward pass has made one; on
the pure backend it is every element `Value` with its floats, plus the nested lists
that hold them. So the same network reports a much larger size on `pure` than on
`engine`, which is the truth about the two.

Model-specific functions return dicts whose "total" entry is the whole size.
"""
import sys

from smolml._memory import format_size
from smolml.core.ml_array import MLArray


def calculate_value_size(value):
    """Bytes held by one scalar `Value`: the object, its data and grad floats, and its
    tuple of parents when it has any (the empty tuple is shared by all leaves)."""
    total = sys.getsizeof(value) + sys.getsizeof(value.data) + sys.getsizeof(value.grad)
    if value._prev:
        total += sys.getsizeof(value._prev)
    return total


def calculate_mlarray_size(arr):
    """Bytes held by an `MLArray`: the object plus the numbers it stores (`nbytes`)."""
    return sys.getsizeof(arr) + arr.nbytes


def calculate_optimizer_state_size(optimizer):
    """{state name: bytes} of an optimizer's per-parameter state arrays.

    Reads `optimizer.state` ({name: {key: {param name: MLArray}}}, see
    `utils.optimizers`); an optimizer without state gives {}.
    """
    sizes = {}
    for name, per_object in getattr(optimizer, "state", {}).items():
        sizes[name] = sum(_nested_array_size(arrays) for arrays in per_object.values())
    return sizes


def _nested_array_size(item):
    if isinstance(item, MLArray):
        return calculate_mlarray_size(item)
    if isinstance(item, dict):
        return sum(_nested_array_size(value) for value in item.values())
    return sys.getsizeof(item)


def calculate_neural_network_size(model):
    """Memory of a `NeuralNetwork`:

    {'total': bytes,
     'layers': [{'weights_size', 'biases_size', 'total'} per layer],
     'optimizer': {'size': the optimizer object, 'state': {state name: bytes}},
     'base': the network, its layer list, loss function and optimizer objects}
    """
    layers = []
    for layer in model.layers:
        # a layer without parameters (Dropout) counts 0 for both
        weights = getattr(layer, "weights", None)
        biases = getattr(layer, "biases", None)
        weights_size = calculate_mlarray_size(weights) if weights is not None else 0
        biases_size = calculate_mlarray_size(biases) if biases is not None else 0
        layers.append({"weights_size": weights_size, "biases_size": biases_size,
                       "total": weights_size + biases_size})
    optimizer = {"size": sys.getsizeof(model.optimizer),
                 "state": calculate_optimizer_state_size(model.optimizer)}
    base = (sys.getsizeof(model) + sys.getsizeof(model.layers)
            + sum(sys.getsizeof(layer) for layer in model.layers)
            + sys.getsizeof(model.loss_function) + optimizer["size"])
    total = sum(layer["total"] for layer in layers) + sum(optimizer["state"].values()) + base
    return {"total": total, "layers": layers, "optimizer": optimizer, "base": base}


def calculate_regression_size(model):
    """Memory of a `Regression` model (linear or polynomial):

    {'total': bytes,
     'parameters': {'weights_size', 'bias_size', 'total'},
     'optimizer': {'size': the optimizer object, 'state': {state name: bytes}},
     'base': the model, its loss function and optimizer objects}
    """
    weights_size = calculate_mlarray_size(model.weights)
    bias_size = calculate_mlarray_size(model.bias)
    parameters = {"weights_size": weights_size, "bias_size": bias_size,
                  "total": weights_size + bias_size}
    optimizer = {"size": sys.getsizeof(model.optimizer),
                 "state": calculate_optimizer_state_size(model.optimizer)}
    base = sys.getsizeof(model) + sys.getsizeof(model.loss_function) + optimizer["size"]
    total = parameters["total"] + sum(optimizer["state"].values()) + base
    return {"total": total, "parameters": parameters, "optimizer": optimizer, "base": base}


def _decision_node_own_size(node):
    """Bytes of one node object and the numbers it holds (not its children)."""
    size = sys.getsizeof(node)
    for field in (node.feature_idx, node.threshold, node.value):
        if field is not None:
            size += sys.getsizeof(field)
    return size


def calculate_decision_node_size(node):
    """Memory of a `DecisionNode` and the subtree below it:

    {'total': bytes of the subtree, 'node_size': bytes of this node alone,
     'children': {'left': bytes, 'right': bytes}, 'node_type': 'leaf' or 'internal'}

    Walks the subtree with a stack (post-order), so any depth works.
    """
    subtree = {}
    stack = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        children = [c for c in (current.left, current.right) if c is not None]
        if children and not children_done:
            stack.append((current, True))
            stack.extend((child, False) for child in children)
        else:
            subtree[id(current)] = (_decision_node_own_size(current)
                                    + sum(subtree[id(child)] for child in children))
    return {
        "total": subtree[id(node)],
        "node_size": _decision_node_own_size(node),
        "children": {"left": subtree[id(node.left)] if node.left is not None else 0,
                     "right": subtree[id(node.right)] if node.right is not None else 0},
        "node_type": "leaf" if node.value is not None else "internal",
    }


def _tree_structure(root):
    """Counts of internal nodes and leaves, and the depth of the deepest leaf (in
    splits: a lone root leaf has depth 0, like `DecisionTree.max_depth`)."""
    internal = leaves = max_depth = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node.value is not None:
            leaves += 1
            max_depth = max(max_depth, depth)
            continue
        internal += 1
        stack.extend((child, depth + 1) for child in (node.left, node.right) if child is not None)
    return {"internal_nodes": internal, "leaf_nodes": leaves, "max_depth": max_depth}


def calculate_decision_tree_size(model):
    """Memory of a `DecisionTree`::

        {'total': bytes,
         'base_size': the tree object, its settings and its class labels,
         'tree_structure': {'total': bytes of all nodes, 'internal_nodes', 'leaf_nodes',
                            'max_depth'}}

    An unfitted tree has a structure of zeros.
    """
    base_size = (sys.getsizeof(model) + sys.getsizeof(model.max_depth)
                 + sys.getsizeof(model.min_samples_split) + sys.getsizeof(model.min_samples_leaf)
                 + sys.getsizeof(model.task))
    classes = getattr(model, "classes_", None)
    if classes is not None:
        base_size += sys.getsizeof(classes)
    structure = {"total": 0, "internal_nodes": 0, "leaf_nodes": 0, "max_depth": 0}
    if model.root is not None:
        structure.update(_tree_structure(model.root))
        structure["total"] = calculate_decision_node_size(model.root)["total"]
    return {"total": base_size + structure["total"], "base_size": base_size,
            "tree_structure": structure}


def calculate_random_forest_size(model):
    """Memory of a `RandomForest`:

    {'total': bytes,
     'base_size': the forest object, its settings and its list of trees,
     'trees': {'total': bytes, 'individual': [calculate_decision_tree_size per tree]},
     'forest_stats': {'n_trees', 'max_features', 'avg_tree_depth', 'avg_tree_nodes'}}
    """
    base_size = (sys.getsizeof(model) + sys.getsizeof(model.n_trees)
                 + sys.getsizeof(model.max_features) + sys.getsizeof(model.bootstrap)
                 + sys.getsizeof(model.task) + sys.getsizeof(model.trees))
    classes = getattr(model, "classes_", None)
    if classes is not None:
        base_size += sys.getsizeof(classes)
    individual = [calculate_decision_tree_size(tree) for tree in model.trees]
    trees_total = sum(tree["total"] for tree in individual)
    n_built = len(individual)
    depth = sum(tree["tree_structure"]["max_depth"] for tree in individual)
    nodes = sum(tree["tree_structure"]["internal_nodes"] + tree["tree_structure"]["leaf_nodes"]
                for tree in individual)
    stats = {"n_trees": model.n_trees, "max_features": model.max_features,
             "avg_tree_depth": depth / n_built if n_built else 0.0,
             "avg_tree_nodes": nodes / n_built if n_built else 0.0}
    return {"total": base_size + trees_total, "base_size": base_size,
            "trees": {"total": trees_total, "individual": individual},
            "forest_stats": stats}


def calculate_svm_size(model):
    """Memory of an `SVM`, `SVR` or `SVMMulticlass`::

        {'total': bytes,
         'base_size': the model object,
         'alphas': bytes of the dual coefficients (α, and α* for SVR),
         'training_data': bytes of the stored training samples X (the kernel needs them),
         'classifiers': [calculate_svm_size per class] (SVMMulticlass only)}

    An unfitted model has zeros besides its base size.
    """
    base_size = sys.getsizeof(model)
    classifiers = getattr(model, "classifiers", None)
    if classifiers is not None:
        individual = [calculate_svm_size(machine) for machine in classifiers.values()]
        return {"total": base_size + sum(part["total"] for part in individual),
                "base_size": base_size, "alphas": 0, "training_data": 0,
                "classifiers": individual}
    arrays = (model.alphas, getattr(model, "alphas_star", None))
    alphas = sum(calculate_mlarray_size(a) for a in arrays if a is not None)
    training = 0 if model.X_train is None else int(model.X_train.nbytes)
    return {"total": base_size + alphas + training, "base_size": base_size, "alphas": alphas,
            "training_data": training}
