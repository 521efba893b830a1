"""Activations: values and gradients against NumPy closed forms, on every backend."""
import numpy as np
import pytest

import smolml
from smolml import MLArray, Value
from smolml.utils import activation

# Inputs kept away from 0, where relu-based functions have a kink.
X = np.array([[-2.5, -1.0, -0.3, 0.4],
              [0.7, 1.9, -0.05, 3.2],
              [-4.0, 0.15, 2.2, -0.6]])
WEIGHTS = np.array([[0.3, -1.2, 0.8, 2.0],
                    [-0.7, 0.5, 1.1, -0.4],
                    [1.5, -0.9, 0.2, 0.6]])


def np_sigmoid(x):
    with np.errstate(over="ignore"):   # exp(1000) = inf gives the right limit, 0
        return 1.0 / (1.0 + np.exp(-x))


# name -> (function, closed-form value, closed-form derivative)
ELEMENTWISE = {
    "relu": (activation.relu, lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (activation.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x),
                   lambda x: np.where(x > 0, 1.0, 0.01)),
    "elu": (activation.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1.0),
            lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "sigmoid": (activation.sigmoid, np_sigmoid, lambda x: np_sigmoid(x) * (1.0 - np_sigmoid(x))),
    "tanh": (activation.tanh, np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "linear": (activation.linear, lambda x: x, lambda x: np.ones_like(x)),
}


def weighted_grad(function, x_values, weights, **kwargs):
    """(f(x), d/dx Σ w·f(x)) computed by smolml."""
    x = MLArray(x_values)
    out = function(x, **kwargs)
    (out * MLArray(weights, requires_grad=False)).sum().backward()
    return out.numpy(), x.grad().numpy()


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_values_and_gradients(backend, name):
    function, value, derivative = ELEMENTWISE[name]
    out, grad = weighted_grad(function, X, WEIGHTS)
    np.testing.assert_allclose(out, value(X), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad, WEIGHTS * derivative(X), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("alpha", [0.2, 3.0])
def test_leaky_relu_alpha(backend, alpha):
    out, grad = weighted_grad(activation.leaky_relu, X, WEIGHTS, alpha=alpha)
    np.testing.assert_allclose(out, np.where(X > 0, X, alpha * X), rtol=1e-12)
    np.testing.assert_allclose(grad, WEIGHTS * np.where(X > 0, 1.0, alpha), rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_elu_alpha(backend, alpha):
    out, grad = weighted_grad(activation.elu, X, WEIGHTS, alpha=alpha)
    np.testing.assert_allclose(out, np.where(X > 0, X, alpha * (np.exp(X) - 1.0)), rtol=1e-12)
    np.testing.assert_allclose(grad, WEIGHTS * np.where(X > 0, 1.0, alpha * np.exp(X)), rtol=1e-12)


def test_extreme_inputs_stay_finite(backend):
    x = np.array([-1000.0, -50.0, 50.0, 1000.0])
    np.testing.assert_allclose(activation.elu(MLArray(x)).numpy(),
                               [-1.0, np.exp(-50.0) - 1.0, 50.0, 1000.0])
    np.testing.assert_allclose(activation.sigmoid(MLArray(x)).numpy(), np_sigmoid(x), rtol=1e-12)
    np.testing.assert_allclose(activation.tanh(MLArray(x)).numpy(), np.tanh(x))


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape, axis", [((5,), -1), ((3, 4), -1), ((3, 4), 0),
                                         ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), 0)])
def test_softmax_values_and_gradient(backend, shape, axis):
    generator = np.random.default_rng(7)
    x = generator.normal(size=shape) * 3.0
    w = generator.normal(size=shape)
    out, grad = weighted_grad(activation.softmax, x, w, axis=axis)
    s = np_softmax(x, axis)
    np.testing.assert_allclose(out, s, rtol=1e-12)
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, rtol=1e-12)
    # d/dx Σ w·s = s ⊙ (w − Σ_axis w·s)
    expected = s * (w - (w * s).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-14)


def test_softmax_default_axis_is_last(backend):
    x = np.arange(6.0).reshape(2, 3)
    out = activation.softmax(MLArray(x)).numpy()
    np.testing.assert_allclose(out, np_softmax(x, -1), rtol=1e-12)


def test_softmax_is_stable_for_huge_inputs(backend):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    out = activation.softmax(MLArray(x)).numpy()
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, np_softmax(x, -1), rtol=1e-12)


def test_softmax_of_a_scalar_is_one(backend):
    assert float(activation.softmax(MLArray(3.0))) == pytest.approx(1.0)


def test_softmax_shift_adds_no_gradient_path(backend):
    # Σ softmax = 1 whatever x is, so its gradient is exactly 0 everywhere.
    x = MLArray([[2.0, -1.0, 0.5]])
    activation.softmax(x).sum().backward()
    np.testing.assert_allclose(x.grad().numpy(), 0.0, atol=1e-15)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "sigmoid", "tanh"])
def test_value_inputs(backend, name):
    function, value, derivative = ELEMENTWISE[name]
    for point in (-1.3, 0.8):
        v = Value(point)
        out = function(v)
        assert isinstance(out, Value)
        out.backward()
        assert out.data == pytest.approx(float(value(np.array(point))), rel=1e-12)
        assert v.grad == pytest.approx(float(derivative(np.array(point))), rel=1e-12)


def test_lists_are_accepted(backend):
    np.testing.assert_allclose(activation.relu([[-1.0, 2.0]]).numpy(), [[0.0, 2.0]])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "sigmoid", "softmax", "tanh",
                                  "linear"])
def test_names_are_kept(name):
    assert getattr(activation, name).__name__ == name


def test_activations_build_no_graph_under_no_grad(backend):
    x = MLArray([[1.0, -1.0]])
    with smolml.no_grad():
        out = activation.elu(x)
    assert not out.requires_grad
