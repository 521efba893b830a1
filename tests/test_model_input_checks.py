"""Regression models and scalers reject empty, NaN and infinite input as the trees and
k-means do; PolynomialRegression counts its features in closed form and refuses more
than its limit. Oracle for the count: itertools' enumeration on small cases."""
import itertools
import math

import numpy as np
import pytest

from smolml import MLArray
from smolml.models.regression import LinearRegression, PolynomialRegression
from smolml.preprocessing import MinMaxScaler, StandardScaler

X = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0], [3.0, 5.0]])
Y = np.array([1.0, 2.0, 3.0, 4.0])


def models():
    return [LinearRegression(2), PolynomialRegression(2, 2)]


def with_bad(array, index, value):
    array = array.copy()
    array[index] = value
    return array


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_regression_fit_rejects_non_finite(backend, bad):
    for model in models():
        before = model.weights.numpy()
        with pytest.raises(ValueError, match=r"X has 1 non-finite entry.*X\[2, 1\]"):
            model.fit(with_bad(X, (2, 1), bad), Y, iterations=2, verbose=False)
        with pytest.raises(ValueError, match=r"y has 1 non-finite entry.*y\[3\]"):
            model.fit(X, with_bad(Y, 3, bad), iterations=2, verbose=False)
        np.testing.assert_array_equal(model.weights.numpy(), before)
        with pytest.raises(ValueError, match="non-finite"):
            model.predict(with_bad(X, (0, 0), bad))
        with pytest.raises(ValueError, match="non-finite"):
            model.predict(MLArray(with_bad(X, (0, 0), bad)))


@pytest.mark.parametrize("empty", [np.zeros((0, 2)), []])
def test_regression_rejects_empty_input(backend, empty):
    for model in models():
        with pytest.raises(ValueError, match="no samples|shape"):
            model.fit(empty, [], iterations=1, verbose=False)
        with pytest.raises(ValueError, match="no samples|shape"):
            model.predict(empty)


@pytest.mark.parametrize("scaler_class", [StandardScaler, MinMaxScaler])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_scalers_reject_non_finite(backend, scaler_class, bad):
    scaler = scaler_class()
    with pytest.raises(ValueError, match=r"X has 1 non-finite entry.*X\[1, 0\]"):
        scaler.fit(with_bad(X, (1, 0), bad))
    scaler.fit(X)
    for method in (scaler.transform, scaler.inverse_transform):
        with pytest.raises(ValueError, match="non-finite"):
            method(with_bad(X, (0, 1), bad))
        with pytest.raises(ValueError, match="non-finite"):
            method(MLArray(with_bad(X, (0, 1), bad)))


@pytest.mark.parametrize("scaler_class", [StandardScaler, MinMaxScaler])
def test_scalers_reject_empty_input(backend, scaler_class):
    with pytest.raises(ValueError, match="no samples"):
        scaler_class().fit(np.zeros((0, 2)))
    scaler = scaler_class().fit(X)
    with pytest.raises(ValueError, match="no samples"):
        scaler.transform(np.zeros((0, 2)))


@pytest.mark.parametrize("n, degree", [(1, 1), (1, 5), (2, 2), (3, 3), (5, 4), (7, 2)])
def test_feature_count_is_the_enumeration(backend, n, degree):
    enumerated = sum(1 for d in range(1, degree + 1)
                     for _ in itertools.combinations_with_replacement(range(n), d))
    model = PolynomialRegression(n, degree)
    assert model.input_size == enumerated == model.weights.shape[0]


class NoEnumeration:
    """Stands in for itertools while a model is built: counting must not list."""

    @staticmethod
    def combinations_with_replacement(*args):
        raise AssertionError("the features were enumerated to count them")


def test_too_many_features_is_refused_at_once(backend, monkeypatch):
    from smolml.models.regression import regression
    count = math.comb(100 + 8, 8) - 1
    with monkeypatch.context() as patch:
        patch.setattr(regression, "itertools", NoEnumeration)
        with pytest.raises(ValueError) as info:
            PolynomialRegression(100, 8)
    message = str(info.value)
    assert f"{count:,}" in message and "MAX_FEATURES" in message
    limit = PolynomialRegression.MAX_FEATURES
    # the largest degree-2 model within the limit is built; one input more is refused
    n = max(k for k in range(1, 200) if math.comb(k + 2, 2) - 1 <= limit)
    assert PolynomialRegression(n, 2).input_size == math.comb(n + 2, 2) - 1
    with pytest.raises(ValueError, match="MAX_FEATURES"):
        PolynomialRegression(n + 1, 2)


@pytest.mark.parametrize("keyword, value, error", [
    ("iterations", -1, ValueError), ("iterations", True, TypeError),
    ("iterations", 2.0, TypeError), ("print_every", 0, ValueError),
    ("print_every", False, TypeError)])
def test_fit_counts_are_integers(backend, keyword, value, error):
    with pytest.raises(error, match=f"{keyword} must be"):
        LinearRegression(2).fit(X, Y, verbose=False, **{keyword: value})
