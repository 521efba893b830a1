"""Test helpers: central finite differences for Values and MLArrays, and IEEE-aware
float comparison. Oracles only: nothing here calls the op under test to get an
expected value."""
import math

import numpy as np

import smolml
from smolml import MLArray

EPS = 1e-6


def same_float(actual, expected, rel=1e-12, abs_tol=0.0):
    """Equal as IEEE floats: nan matches nan, infinities match by sign, finite values
    within rel/abs tolerance."""
    actual = float(actual)
    expected = float(expected)
    if math.isnan(expected):
        return math.isnan(actual)
    if math.isinf(expected):
        return actual == expected
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_tol)


def assert_close(actual, expected, rtol=1e-9, atol=1e-12):
    """Arrays (MLArray, list or ndarray) equal in shape and value, nan matching nan."""
    if isinstance(actual, MLArray):
        actual = actual.numpy()
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


def value_numeric_grad(f, x, eps=EPS):
    """d f(x) / dx for a float function f, by central differences."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def output_weights(shape):
    """Fixed, distinct weights for each output element, so that a wrong routing of
    gradients between elements changes the checked number (a plain sum would not)."""
    count = int(np.prod(shape, dtype=np.int64))
    return (np.arange(count, dtype=np.float64).reshape(shape) % 7 - 3.0) / 4.0 + 0.1


def weighted_loss(out):
    """L = Σ w ⊙ out, a scalar, with w from output_weights."""
    weights = MLArray(output_weights(out.shape), requires_grad=False)
    return (out * weights).sum()


def numeric_grads(f, inputs, eps=EPS):
    """dL/dx for each MLArray x in inputs, L = weighted_loss(f(*inputs)), by central
    differences: each element is moved by ±eps with update_values, through NumPy."""
    grads = []
    for x in inputs:
        base = x.numpy()
        grad = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            values = []
            for step in (eps, -eps):
                moved = base.copy()
                moved[index] += step
                x.update_values(moved)
                with smolml.no_grad():
                    values.append(float(weighted_loss(f(*inputs)).numpy()))
            grad[index] = (values[0] - values[1]) / (2 * eps)
        x.update_values(base)
        grads.append(grad)
    return grads


def analytic_grads(f, inputs):
    for x in inputs:
        x.zero_grad()
    weighted_loss(f(*inputs)).backward()
    return [x.grad().numpy() for x in inputs]


def check_grads(f, *inputs, rtol=1e-5, atol=1e-6, eps=EPS):
    """Backward's gradient of weighted_loss(f(*inputs)) matches finite differences."""
    expected = numeric_grads(f, inputs, eps)
    actual = analytic_grads(f, inputs)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"input {i}: grad shape {a.shape} != {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def array(shape, low=-2.0, high=2.0, seed=0, avoid_zero=False):
    """An MLArray of reproducible values of `shape` (numbers from a NumPy generator)."""
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    if avoid_zero:
        values = np.where(np.abs(values) < 0.2, values + 0.5, values)
    return MLArray(values)


def adam_rule(lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam's update written out in NumPy (the seed's formulas), as an independent oracle:
    rule(theta, g, state, t) -> new theta, with t the training step (1, 2, ...)."""
    def rule(theta, g, state, t):
        state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
        state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g ** 2
        m_hat = state["m"] / (1 - beta1 ** t)
        v_hat = state["v"] / (1 - beta2 ** t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return rule
