"""Data sets: the shipped digits, the toy generators and the seeded split."""
import math

import numpy as np
import pytest

import smolml
from smolml.datasets import load_digits, make_moons, make_spirals, make_xor, train_test_split


def test_digits():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 16.0 and np.all(X == np.round(X))
    np.testing.assert_array_equal(np.bincount(y),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # the first image is a zero: a ring of ink around an empty middle
    first = X[0].reshape(8, 8)
    assert y[0] == 0
    np.testing.assert_array_equal(first[0], [0, 0, 5, 13, 9, 1, 0, 0])
    assert first[3:5, 3:5].sum() == 0 and first[3:5, [1, 6]].min() > 0


def test_moons_without_noise_lie_on_the_half_circles():
    smolml.manual_seed(0)
    X, y = make_moons(n_samples=101)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert np.bincount(y).tolist() == [50, 51]
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0)
    assert np.all(outer[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert np.all(inner[:, 1] <= 0.5 + 1e-12)
    # shuffled: the labels are not sorted
    assert np.any(np.diff(y) < 0)


def test_moons_noise_and_seed():
    smolml.manual_seed(4)
    X1, y1 = make_moons(200, noise=0.1)
    smolml.manual_seed(4)
    X2, y2 = make_moons(200, noise=0.1)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    radius = np.hypot(X1[y1 == 0, 0], X1[y1 == 0, 1])
    assert 0.03 < np.std(radius - 1.0) < 0.2


def test_xor():
    X, y = make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    smolml.manual_seed(1)
    X, y = make_xor(n_samples=400, noise=0.05)
    assert X.shape == (400, 2)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5))


def test_spirals():
    smolml.manual_seed(2)
    X, y = make_spirals(n_samples=101, n_classes=3)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [34, 34, 33]
    assert np.hypot(X[:, 0], X[:, 1]).max() == pytest.approx(1.0)
    # each arm is one curve: angle minus 3π·radius is that arm's constant offset
    for k in range(3):
        arm = X[(y == k) & (np.hypot(X[:, 0], X[:, 1]) > 1e-9)]
        radius = np.hypot(arm[:, 0], arm[:, 1])
        offset = np.angle(np.exp(1j * (np.arctan2(arm[:, 1], arm[:, 0]) - 3 * math.pi * radius)))
        np.testing.assert_allclose(offset, np.angle(np.exp(1j * 2 * math.pi * k / 3)), atol=1e-9)


def test_train_test_split():
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    smolml.manual_seed(0)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    assert len(X_test) == 5 and len(X_train) == 15
    assert sorted(np.concatenate([y_train, y_test])) == list(range(20))
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    smolml.manual_seed(0)
    again = train_test_split(X, y)
    np.testing.assert_array_equal(again[3], y_test)
    assert list(y_train) != sorted(y_train)


def test_train_test_split_sizes_and_order():
    X, y = np.zeros((10, 1)), np.arange(10)
    assert len(train_test_split(X, y, test_size=0.33)[1]) == 4      # ceil(3.3)
    assert len(train_test_split(X, y, test_size=3)[1]) == 3
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, shuffle=False)
    assert y_test.tolist() == [8, 9] and y_train.tolist() == list(range(8))
    for bad in (0.0, 1.0, 0, 10, "0.2"):
        with pytest.raises(ValueError, match="test_size"):
            train_test_split(X, y, test_size=bad)
    with pytest.raises(ValueError, match="10 samples but y has 9"):
        train_test_split(X, y[:9])


def test_lists_are_accepted():
    X_train, X_test, y_train, y_test = train_test_split([[1], [2], [3], [4]], [0, 1, 0, 1],
                                                        test_size=1)
    assert X_train.shape == (3, 1) and y_test.shape == (1,)
