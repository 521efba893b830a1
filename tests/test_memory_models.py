"""Memory of the classic models: totals add up, counts match the trees' shapes."""
import sys

import numpy as np

import smolml
from smolml.models.regression import LinearRegression
from smolml.models.tree import DecisionNode, DecisionTree, RandomForest
from smolml.utils.memory import (
    calculate_decision_node_size, calculate_decision_tree_size, calculate_mlarray_size,
    calculate_random_forest_size, calculate_regression_size)
from smolml.utils.optimizers import Adam


def walk(root):
    nodes, stack = [], [(root, 0)]
    while stack:
        node, depth = stack.pop()
        nodes.append((node, depth))
        if node.value is None:
            stack += [(node.left, depth + 1), (node.right, depth + 1)]
    return nodes


def own_size(node):
    return sys.getsizeof(node) + sum(
        sys.getsizeof(v) for v in (node.feature_idx, node.threshold, node.value) if v is not None)


def fitted_tree(max_depth=4):
    rs = np.random.RandomState(0)
    X = rs.randn(300, 5)
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    return DecisionTree(max_depth=max_depth).fit(X, y)


def test_regression_size(backend):
    model = LinearRegression(4, optimizer=Adam(learning_rate=0.1))
    before = calculate_regression_size(model)
    assert before["optimizer"]["state"] == {"gradients_momentum": 0,
                                            "squared_gradients_momentum": 0}
    rs = np.random.RandomState(1)
    model.fit(rs.randn(10, 4), rs.randn(10), iterations=2, verbose=False)
    size = calculate_regression_size(model)
    parameters = size["parameters"]
    assert parameters["weights_size"] == calculate_mlarray_size(model.weights)
    assert parameters["total"] == parameters["weights_size"] + parameters["bias_size"]
    state = size["optimizer"]["state"]
    # Adam keeps two arrays per parameter, under the model's class name
    moments = model.optimizer.gradients_momentum["LinearRegression"]
    assert set(moments) == {"weights", "bias"}
    assert state["gradients_momentum"] == sum(calculate_mlarray_size(a) for a in moments.values())
    assert state["gradients_momentum"] > 0
    assert size["total"] == parameters["total"] + sum(state.values()) + size["base"]
    assert calculate_regression_size(LinearRegression(40))["parameters"]["weights_size"] \
        > parameters["weights_size"]


def test_decision_node_size_sums_the_subtree():
    tree = fitted_tree()
    size = calculate_decision_node_size(tree.root)
    nodes = walk(tree.root)
    assert size["total"] == sum(own_size(node) for node, _ in nodes)
    assert size["node_size"] == own_size(tree.root)
    assert size["children"]["left"] + size["children"]["right"] + size["node_size"] \
        == size["total"]
    assert size["node_type"] == "internal"
    leaf = calculate_decision_node_size(DecisionNode(value=2.0))
    assert leaf["node_type"] == "leaf" and leaf["children"] == {"left": 0, "right": 0}


def test_decision_tree_size_counts_the_structure():
    tree = fitted_tree(max_depth=4)
    size = calculate_decision_tree_size(tree)
    structure = size["tree_structure"]
    nodes = walk(tree.root)
    leaves = [depth for node, depth in nodes if node.value is not None]
    assert structure["leaf_nodes"] == len(leaves)
    assert structure["internal_nodes"] == len(nodes) - len(leaves) == len(leaves) - 1
    assert structure["max_depth"] == max(leaves) <= 4
    assert size["total"] == size["base_size"] + structure["total"]
    empty = calculate_decision_tree_size(DecisionTree())
    assert empty["tree_structure"]["total"] == 0 and empty["total"] == empty["base_size"]


def test_random_forest_size_adds_its_trees():
    rs = np.random.RandomState(2)
    X = rs.randn(120, 4)
    y = (X[:, 0] > 0).astype(int)
    smolml.manual_seed(0)
    forest = RandomForest(n_trees=4, max_depth=3).fit(X, y)
    size = calculate_random_forest_size(forest)
    trees = [calculate_decision_tree_size(tree) for tree in forest.trees]
    assert size["trees"]["total"] == sum(t["total"] for t in trees)
    assert size["total"] == size["base_size"] + size["trees"]["total"]
    stats = size["forest_stats"]
    assert stats["n_trees"] == 4
    assert stats["avg_tree_nodes"] == np.mean([len(walk(t.root)) for t in forest.trees])
    assert stats["avg_tree_depth"] <= 3
    assert "Random Forest (Classification)" in repr(forest)
    assert calculate_random_forest_size(RandomForest())["trees"]["total"] == 0
