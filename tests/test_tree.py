"""Decision trees and random forests: splits checked against a brute-force search,
accuracy on held-out digits, regression against the mean predictor."""
import inspect
import sys

import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.datasets import load_digits
from smolml.models.tree import DecisionNode, DecisionTree, RandomForest
from smolml.utils.memory import calculate_decision_tree_size


def entropy(y):
    _, counts = np.unique(y, return_counts=True)
    p = counts / len(y)
    return -np.sum(p * np.log2(p))


def mse(y):
    return np.mean((y - y.mean()) ** 2)


def brute_force_best_gain(X, y, impurity, min_samples_leaf=1):
    """Try every feature and every observed value as a `<=` threshold."""
    best = -np.inf
    for j in range(X.shape[1]):
        for t in np.unique(X[:, j]):
            left = X[:, j] <= t
            n_left, n_right = left.sum(), (~left).sum()
            if n_left < min_samples_leaf or n_right < min_samples_leaf:
                continue
            children = (n_left * impurity(y[left]) + n_right * impurity(y[~left])) / len(y)
            best = max(best, impurity(y) - children)
    return best


def route(node, x):
    """The leaf x reaches, walking DecisionNodes one by one."""
    while node.value is None:
        node = node.left if x[node.feature_idx] <= node.threshold else node.right
    return node


def leaves_and_depths(root):
    found, stack = [], [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node.value is not None:
            found.append((node, depth))
        else:
            stack += [(node.left, depth + 1), (node.right, depth + 1)]
    return found


def digits_split():
    X, y = load_digits()
    order = np.random.RandomState(0).permutation(len(X))
    train, test = order[:1347], order[1347:]
    return X[train], y[train], X[test], y[test]


def smooth_data(n, seed):
    rs = np.random.RandomState(seed)
    X = rs.uniform(-3, 3, size=(n, 2))
    return X, np.sin(X[:, 0]) + 0.5 * np.cos(2 * X[:, 1])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_root_split_has_the_best_gain(task, seed):
    rs = np.random.RandomState(seed)
    X = rs.randint(0, 6, size=(40, 3)).astype(float)      # repeated values on purpose
    y = rs.randint(0, 3, size=40) if task == "classification" else rs.randn(40)
    impurity = entropy if task == "classification" else mse
    for min_leaf in (1, 5):
        tree = DecisionTree(max_depth=1, min_samples_leaf=min_leaf, task=task).fit(X, y)
        root = tree.root
        left = X[:, root.feature_idx] <= root.threshold
        gain = impurity(y) - (left.sum() * impurity(y[left])
                              + (~left).sum() * impurity(y[~left])) / len(y)
        assert gain == pytest.approx(brute_force_best_gain(X, y, impurity, min_leaf), abs=1e-12)
        assert min(left.sum(), (~left).sum()) >= min_leaf
        # leaves hold the majority class / the mean of the samples that reach them
        for side, child in ((left, root.left), (~left, root.right)):
            if task == "classification":
                counts = np.bincount(y[side], minlength=3)
                assert counts[int(child.value)] == counts.max()
            else:
                assert child.value == pytest.approx(y[side].mean())


def test_grown_tree_respects_limits_and_predicts_by_its_nodes():
    rs = np.random.RandomState(0)
    X = rs.randn(200, 4)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    full = DecisionTree().fit(X, y)
    assert np.array_equal(full.predict(X).numpy(), y)     # distinct rows: fits exactly
    limited = DecisionTree(max_depth=3, min_samples_leaf=7).fit(X, y)
    found = leaves_and_depths(limited.root)
    assert max(depth for _, depth in found) <= 3
    reached = [route(limited.root, x) for x in X]
    for leaf, _ in found:
        assert sum(r is leaf for r in reached) >= 7
    X_new = rs.randn(50, 4)
    expected = [route(limited.root, x).value for x in X_new]
    np.testing.assert_array_equal(limited.predict(X_new).numpy(), expected)


def test_min_samples_split_makes_leaves():
    X = np.arange(10.0).reshape(-1, 1)
    y = np.array([0, 1] * 5)
    tree = DecisionTree(min_samples_split=11).fit(X, y)
    assert tree.root.value is not None and tree.root.left is None


def test_decision_tree_on_digits():
    X_train, y_train, X_test, y_test = digits_split()
    tree = DecisionTree().fit(X_train, y_train)
    accuracy = np.mean(tree.predict(X_test).numpy() == y_test)
    assert accuracy >= 0.80


def test_random_forest_on_digits():
    X_train, y_train, X_test, y_test = digits_split()
    smolml.manual_seed(0)
    forest = RandomForest(n_trees=50).fit(X_train, y_train)
    accuracy = np.mean(forest.predict(X_test).numpy() == y_test)
    assert accuracy >= 0.93
    assert len(forest.trees) == 50


def test_regression_tree_and_forest_beat_the_mean():
    X, y = smooth_data(600, seed=0)
    X_test, y_test = smooth_data(300, seed=1)
    baseline = np.mean((y_test - y.mean()) ** 2)
    tree = DecisionTree(max_depth=8, task="regression").fit(X, y)
    tree_error = np.mean((tree.predict(X_test).numpy() - y_test) ** 2)
    smolml.manual_seed(0)
    forest = RandomForest(n_trees=30, task="regression").fit(X, y)
    forest_error = np.mean((forest.predict(X_test).numpy() - y_test) ** 2)
    assert tree_error < 0.2 * baseline
    assert forest_error < 0.2 * baseline


def test_forest_without_randomness_is_one_tree():
    X, y = smooth_data(200, seed=2)
    labels = (y > 0).astype(int)
    forest = RandomForest(n_trees=3, max_features=2, bootstrap=False).fit(X, labels)
    tree = DecisionTree().fit(X, labels)
    X_new, _ = smooth_data(100, seed=3)
    np.testing.assert_array_equal(forest.predict(X_new).numpy(), tree.predict(X_new).numpy())
    forest = RandomForest(n_trees=3, max_features=2, bootstrap=False, task="regression").fit(X, y)
    tree = DecisionTree(task="regression").fit(X, y)
    np.testing.assert_allclose(forest.predict(X_new).numpy(), tree.predict(X_new).numpy())


def test_forest_majority_vote_and_mean():
    X, y = smooth_data(150, seed=4)
    labels = np.digitize(y, [-0.5, 0.5])                  # three classes
    smolml.manual_seed(1)
    forest = RandomForest(n_trees=7).fit(X, labels)
    X_new, _ = smooth_data(60, seed=5)
    votes = np.stack([tree.predict(X_new).numpy() for tree in forest.trees]).astype(int)
    counts = np.stack([np.bincount(column, minlength=3) for column in votes.T])
    np.testing.assert_array_equal(forest.predict(X_new).numpy(), counts.argmax(axis=1))
    forest = RandomForest(n_trees=7, task="regression").fit(X, y)
    means = np.mean([tree.predict(X_new).numpy() for tree in forest.trees], axis=0)
    np.testing.assert_allclose(forest.predict(X_new).numpy(), means)


def test_forest_is_reproducible_with_manual_seed():
    X, y = smooth_data(200, seed=6)
    labels = (y > 0).astype(int)
    X_new, _ = smooth_data(100, seed=7)
    runs = []
    for seed in (3, 3, 4):
        smolml.manual_seed(seed)
        forest = RandomForest(n_trees=5, task="regression").fit(X, y)
        runs.append(forest.predict(X_new).numpy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    assert RandomForest()._get_max_features(64) == 8
    assert RandomForest(task="regression")._get_max_features(64) == 21
    assert RandomForest(max_features=100).fit(X, labels).trees[0].max_features == 2


def test_inputs_may_be_mlarray_lists_or_numpy(backend):
    X, y = smooth_data(60, seed=8)
    labels = (y > 0).astype(int)
    reference = DecisionTree().fit(X, labels).predict(X).numpy()
    from_lists = DecisionTree().fit(X.tolist(), labels.tolist()).predict(X.tolist())
    from_mlarray = DecisionTree().fit(MLArray(X), MLArray(labels)).predict(MLArray(X))
    assert isinstance(from_mlarray, MLArray)
    np.testing.assert_array_equal(from_lists.numpy(), reference)
    np.testing.assert_array_equal(from_mlarray.numpy(), reference)


def test_deep_trees_need_no_recursion(capsys):
    # Each y dwarfs all before it, so every best split peels off one sample: a chain.
    n = 150
    X = np.arange(n, dtype=float).reshape(-1, 1)
    y = 3.0 ** np.arange(n)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        tree = DecisionTree(task="regression").fit(X, y)
        predictions = tree.predict(X).numpy()
        tree.show_tree()
        size = calculate_decision_tree_size(tree)
    finally:
        sys.setrecursionlimit(limit)
    assert size["tree_structure"]["max_depth"] == n - 1
    np.testing.assert_array_equal(predictions, y)
    assert len(capsys.readouterr().out.splitlines()) == 2 * n - 1


def test_show_tree_draws_the_branches(capsys):
    tree = DecisionTree().fit([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]], [0, 0, 1, 1])
    tree.show_tree(feature_names=["width", "height"])
    assert capsys.readouterr().out.splitlines() == [
        "Root: width <= 1.5000", "├─ Left: Leaf → Class 0", "└─ Right: Leaf → Class 1"]
    assert repr(DecisionNode(value=1)) == "Leaf(value=1)"
    assert "Decision Tree (Classification)" in repr(tree)


def test_bad_input_is_a_clear_error():
    X, y = smooth_data(20, seed=9)
    for model in (DecisionTree(task="regression"), RandomForest(n_trees=2, task="regression")):
        with pytest.raises(ValueError, match="different lengths"):
            model.fit(X, y[:-1])
        with pytest.raises(ValueError, match="not fitted"):
            model.predict(X)
        model.fit(X, y)
        with pytest.raises(ValueError, match="features"):
            model.predict(X[:, :1])
    with pytest.raises(ValueError, match="task"):
        DecisionTree(task="clustering")
    with pytest.raises(ValueError, match="task"):
        RandomForest(task="regression.py")
    with pytest.raises(ValueError, match="NaN"):
        DecisionTree().fit([[np.nan], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="2-D"):
        DecisionTree().fit([1.0, 2.0], [0, 1])
    with pytest.raises(ValueError, match="min_samples_leaf"):
        DecisionTree(min_samples_leaf=0)
