"""SmolML programs, written the way SmolML's guides and tests write them, run unchanged
on both backends; an independent oracle (NumPy or scikit-learn closed forms, plain
Python) checks what they compute."""
import random

import numpy as np
import pytest

import smolml.utils.activation as activation
import smolml.utils.losses as losses
import smolml.utils.optimizers as optimizers
from smolml.core.ml_array import MLArray, zeros
from smolml.core.value import Value
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.models.regression import LinearRegression
from smolml.models.svm import SVM
from smolml.models.tree import DecisionTree, RandomForest
from smolml.models.unsupervised import KMeans
from smolml.preprocessing import StandardScaler


def test_core_program(backend):
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a ** 2
    c.backward()
    assert c == -2.0 and a.grad == b.data + 2 * a.data and b.grad == a.data
    m = MLArray([[1.0, 6.0], [3.0, 2.0]])
    assert m.max().data == 6.0 and m.min().data == 1.0
    assert m.unflatten([v.data for v in m.flatten(m.data)], (4,)) == [1.0, 6.0, 3.0, 2.0]
    total = (m * m).sum()
    total.backward()
    np.testing.assert_array_equal(m.grad().to_list(), 2 * np.array(m.to_list()))


def test_hand_written_regression_loop_converges(backend):
    # SmolML's regression guide: targets of shape (n, 1), predictions X @ w + b of (n,)
    random.seed(0)
    rows = [[random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(40)]
    X = MLArray(rows)
    y = MLArray([[3.0 * x1 - 2.0 * x2 + 0.5] for x1, x2 in rows])
    weights = MLArray([0.0, 0.0])
    bias = MLArray([0.0])
    for _ in range(300):
        y_pred = X @ weights + bias
        loss = losses.mse_loss(y_pred, y)
        loss.backward()
        weights = MLArray((weights.numpy() - 0.2 * weights.grad().numpy()).tolist())
        bias = MLArray((bias.numpy() - 0.2 * bias.grad().numpy()).tolist())
        X.restart()
        y.restart()
    design = np.hstack([np.array(rows), np.ones((40, 1))])       # closed form: least squares
    solution = np.linalg.lstsq(design, np.array(y.to_list())[:, 0], rcond=None)[0]
    np.testing.assert_allclose(weights.to_list() + bias.to_list(), solution, atol=1e-3)


def test_linear_regression_model_with_column_targets(backend):
    random.seed(1)
    rows = [[random.uniform(-1, 1)] for _ in range(30)]
    y = [[2.0 * x[0] - 1.0] for x in rows]
    model = LinearRegression(1, optimizer=optimizers.SGD(learning_rate=0.3))
    model.fit(MLArray(rows), MLArray(y), iterations=200, verbose=False)
    assert model.weights.to_list()[0] == pytest.approx(2.0, abs=1e-3)
    assert model.bias.to_list()[0] == pytest.approx(-1.0, abs=1e-3)


def test_neural_network_program_counts_accuracy_with_value_equality(backend):
    random.seed(42)
    X = MLArray([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = MLArray([[0.0], [1.0], [1.0], [0.0]])
    network = NeuralNetwork([DenseLayer(2, 8, activation.tanh),
                             DenseLayer(8, 1, activation.sigmoid)],
                            losses.binary_cross_entropy, optimizers.Adam(learning_rate=0.1))
    network.train(X, y, epochs=300, verbose=False)
    predictions = [Value(1.0 if p[0] > 0.5 else 0.0) for p in network.forward(X).to_list()]
    targets = [t[0] for t in y.to_list()]
    correct = sum(p == t for p, t in zip(predictions, targets))
    assert correct == sum(int(p.data == t) for p, t in zip(predictions, targets)) == 4


def test_tree_forest_and_kmeans_programs(backend):
    random.seed(7)
    X = [[random.gauss(c, 0.3), random.gauss(c, 0.3)] for c in (0.0, 3.0) for _ in range(30)]
    y = [0.0] * 30 + [1.0] * 30
    tree = DecisionTree(max_depth=3)
    tree.fit(MLArray(X), MLArray(y))
    forest = RandomForest(n_trees=5, max_depth=3)
    forest.fit(MLArray(X), MLArray(y))
    sklearn_tree = pytest.importorskip("sklearn.tree")
    oracle = sklearn_tree.DecisionTreeClassifier(max_depth=3).fit(X, y)
    assert tree.predict(MLArray(X)).to_list() == oracle.predict(X).tolist()
    assert np.mean(np.array(forest.predict(MLArray(X)).to_list()) == y) >= 0.95
    kmeans = KMeans(2)
    kmeans.fit(MLArray(X))
    centers = sorted(MLArray(kmeans.centroids).to_list())
    np.testing.assert_allclose(centers, [np.mean(X[:30], axis=0), np.mean(X[30:], axis=0)],
                               atol=1e-9)


def test_scaler_program(backend):
    data = MLArray([[1.0, 10.0], [2.0, 20.0], [3.0, 60.0]])
    scaled = StandardScaler().fit_transform(data)
    raw = np.array(data.to_list())
    np.testing.assert_allclose(scaled.to_list(), (raw - raw.mean(0)) / raw.std(0), atol=1e-12)


def test_svm_program(backend):
    X = MLArray([[1.0, 2.0], [2.0, 3.0], [3.0, 3.0], [6.0, 5.0], [7.0, 8.0], [8.0, 8.0]])
    y = MLArray([-1, -1, -1, 1, 1, 1])
    model = SVM(C=10.0, kernel="linear")
    model.fit(X, y)
    assert model.predict(X).to_list() == y.to_list() and model.score(X, y) == 1.0
    sklearn_svm = pytest.importorskip("sklearn.svm")
    oracle = sklearn_svm.SVC(C=10.0, kernel="linear").fit(X.to_list(), y.to_list())
    np.testing.assert_allclose(model.decision_function(X).to_list(),
                               oracle.decision_function(X.to_list()), atol=1e-3)
    assert zeros(2).to_list() == [0.0, 0.0]
