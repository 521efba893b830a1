"""smolml's public API as an editor and a type checker see it through the stubs.

`scripts/check_types.sh` runs mypy on this file (each `assert_type` is checked there);
tests/test_stubs.py runs it, so it stays a working program too.
"""
from typing import assert_type

import numpy as np

import smolml
from smolml import MLArray, Value
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.models.regression import LinearRegression
from smolml.models.tree import DecisionTree, RandomForest
from smolml.models.unsupervised import KMeans
from smolml.preprocessing import StandardScaler
from smolml.utils import activation, losses, optimizers


def scalar_graph() -> float:
    a, b = Value(2.0), Value(-3.0)
    c = (a * b + 1.0).tanh()
    assert_type(c, Value)
    c.backward()
    assert_type(a.grad, float)
    return a.grad


def array_graph() -> MLArray:
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    w = smolml.randn(2, 1)
    loss = (x @ w).relu().sum()
    assert_type(loss, MLArray)
    loss.backward()
    assert_type(loss.item(), float)
    assert_type(x.shape, tuple[int, ...])
    assert_type(w.grad().numpy(), np.ndarray)
    return w.grad()


def network() -> list[float]:
    X = np.random.default_rng(0).normal(size=(16, 3))
    y = np.eye(2)[(X[:, 0] > 0).astype(int)]
    model = NeuralNetwork([DenseLayer(3, 8, activation.relu),
                           DenseLayer(8, 2, activation.softmax)],
                          losses.categorical_cross_entropy, optimizers.Adam(learning_rate=0.01))
    history = model.train(X, y, epochs=3, verbose=False)
    assert_type(history, list[float])
    assert_type(model.predict(X), MLArray)
    assert_type(model.parameters(), list[MLArray])
    return history


def classic_models() -> None:
    X = np.random.default_rng(1).normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(float)
    assert_type(DecisionTree(max_depth=2).fit(X, y), DecisionTree)
    assert_type(RandomForest(n_trees=3).fit(X, y).predict(X), MLArray)
    assert_type(KMeans(2).fit(X), KMeans)
    assert_type(StandardScaler().fit_transform(X), MLArray)
    regression = LinearRegression(2)
    assert_type(regression.fit(X, y, iterations=2, verbose=False), list[float])


if __name__ == "__main__":
    print(scalar_graph(), array_graph().shape, network()[-1])
    classic_models()
