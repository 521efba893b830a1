"""Losses: values against NumPy formulas, gradients against central finite
differences of those NumPy formulas, on every backend."""
import numpy as np
import pytest

from smolml import MLArray
from smolml.utils import losses

EPS = 1e-15


def np_mse(p, t):
    return np.mean((p - t) ** 2)


def np_mae(p, t):
    return np.mean(np.abs(p - t))


def np_bce(p, t):
    p = np.clip(p, EPS, 1 - EPS)
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))


def np_cce(p, t):
    p = np.maximum(p, EPS)
    return -np.mean(np.sum(t * np.log(p), axis=-1))


def np_huber(p, t, delta=1.0):
    d = np.abs(p - t)
    return np.mean(np.where(d <= delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)))


def finite_difference_grad(f, p, h=1e-6):
    grad = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def smolml_loss_and_grad(loss, p, t, **kwargs):
    y_pred = MLArray(p)
    result = loss(y_pred, MLArray(t, requires_grad=False), **kwargs)
    assert isinstance(result, MLArray) and result.shape == ()
    assert isinstance(result.data.data, float)
    result.backward()
    return result.data.data, y_pred.grad().numpy()


GENERATOR = np.random.default_rng(3)
REGRESSION_PRED = GENERATOR.normal(size=(6, 3))
REGRESSION_TRUE = GENERATOR.normal(size=(6, 3))
PROBABILITIES = GENERATOR.uniform(0.05, 0.95, size=(5, 1))
LABELS = np.array([[1.0], [0.0], [1.0], [1.0], [0.0]])
LOGITS = GENERATOR.normal(size=(4, 3))
SOFTMAX = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
ONE_HOT = np.eye(3)[[0, 2, 1, 2]]

CASES = {
    "mse": (losses.mse_loss, np_mse, REGRESSION_PRED, REGRESSION_TRUE),
    "mae": (losses.mae_loss, np_mae, REGRESSION_PRED, REGRESSION_TRUE),
    "bce": (losses.binary_cross_entropy, np_bce, PROBABILITIES, LABELS),
    "cce": (losses.categorical_cross_entropy, np_cce, SOFTMAX, ONE_HOT),
    "huber": (losses.huber_loss, np_huber, REGRESSION_PRED * 2.0, REGRESSION_TRUE),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient(backend, name):
    loss, reference, p, t = CASES[name]
    value, grad = smolml_loss_and_grad(loss, p, t)
    assert value == pytest.approx(reference(p, t), rel=1e-12)
    np.testing.assert_allclose(grad, finite_difference_grad(lambda q: reference(q, t), p),
                               rtol=1e-6, atol=1e-9)


def test_closed_form_gradients(backend):
    p, t = REGRESSION_PRED, REGRESSION_TRUE
    _, grad = smolml_loss_and_grad(losses.mse_loss, p, t)
    np.testing.assert_allclose(grad, 2 * (p - t) / p.size, rtol=1e-12)
    _, grad = smolml_loss_and_grad(losses.mae_loss, p, t)
    np.testing.assert_allclose(grad, np.sign(p - t) / p.size, rtol=1e-12)
    _, grad = smolml_loss_and_grad(losses.binary_cross_entropy, PROBABILITIES, LABELS)
    q, y = PROBABILITIES, LABELS
    np.testing.assert_allclose(grad, (q - y) / (q * (1 - q)) / q.size, rtol=1e-10)
    _, grad = smolml_loss_and_grad(losses.categorical_cross_entropy, SOFTMAX, ONE_HOT)
    np.testing.assert_allclose(grad, -ONE_HOT / SOFTMAX / len(SOFTMAX), rtol=1e-12)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_delta(backend, delta):
    p, t = REGRESSION_PRED * 2.0, REGRESSION_TRUE
    value, grad = smolml_loss_and_grad(losses.huber_loss, p, t, delta=delta)
    assert value == pytest.approx(np_huber(p, t, delta), rel=1e-12)
    d = p - t
    expected = np.where(np.abs(d) <= delta, d, delta * np.sign(d)) / p.size
    np.testing.assert_allclose(grad, expected, rtol=1e-12)
    # both regimes occur in this data
    assert (np.abs(d) <= delta).any() and (np.abs(d) > delta).any()


def test_cross_entropy_clips_certain_predictions(backend):
    p = np.array([[0.0], [1.0], [0.5]])
    t = np.array([[1.0], [0.0], [1.0]])
    value, grad = smolml_loss_and_grad(losses.binary_cross_entropy, p, t)
    assert value == pytest.approx(np_bce(p, t), rel=1e-12)
    assert np.isfinite(value) and value > 10
    # outside [ε, 1 − ε] the clip passes no gradient (NumPy's clip has none there either)
    np.testing.assert_allclose(grad[:2], 0.0)
    assert grad[2, 0] == pytest.approx(-1 / 0.5 / 3)

    probabilities = np.array([[0.0, 1.0], [0.3, 0.7]])
    one_hot = np.array([[1.0, 0.0], [0.0, 1.0]])
    value, grad = smolml_loss_and_grad(losses.categorical_cross_entropy, probabilities, one_hot)
    assert value == pytest.approx(np_cce(probabilities, one_hot), rel=1e-12)
    assert np.all(np.isfinite(grad)) and grad[0, 0] == 0.0


def test_categorical_sums_classes_then_averages_samples(backend):
    # one sample per row: 2 samples → mean of two per-sample sums (not a mean over 6 elements)
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    value, _ = smolml_loss_and_grad(losses.categorical_cross_entropy, p, t)
    assert value == pytest.approx(-(np.log(0.5) + np.log(0.6)) / 2, rel=1e-12)


@pytest.mark.parametrize("target", ["list", "numpy"])
def test_targets_may_be_lists_or_numpy(backend, target):
    t = LABELS.tolist() if target == "list" else LABELS
    y_pred = MLArray(PROBABILITIES)
    result = losses.binary_cross_entropy(y_pred, t)
    assert result.data.data == pytest.approx(np_bce(PROBABILITIES, LABELS), rel=1e-12)
    result.backward()
    assert np.any(y_pred.grad().numpy() != 0)


def test_loss_names():
    for name in ("mse_loss", "mae_loss", "binary_cross_entropy", "categorical_cross_entropy",
                 "huber_loss"):
        assert getattr(losses, name).__name__ == name
