"""`NeuralNetwork.train` checks its inputs before the first step: finite data,
integer epochs and batch sizes, and a loss that depends on the parameters."""
import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers

X = np.linspace(-1.0, 1.0, 8).reshape(-1, 2)
Y = X.sum(axis=1, keepdims=True)


def network(loss=losses.mse_loss, hidden=activation.tanh):
    smolml.manual_seed(0)
    return NeuralNetwork([DenseLayer(2, 3, hidden), DenseLayer(3, 1)], loss,
                         optimizers.SGD(0.1))


def parameters(net):
    return [(layer.weights.numpy(), layer.biases.numpy()) for layer in net.layers]


@pytest.mark.parametrize("where, bad, count, first", [
    ("X", np.inf, 1, "inf at X[2, 1]"), ("X", np.nan, 1, "nan at X[2, 1]"),
    ("y", np.nan, 1, "nan at y[2, 0]"), ("both", -np.inf, 2, "-inf at X[0, 0]")])
def test_non_finite_data_is_rejected_before_any_step(backend, where, bad, count, first):
    net = network()
    before = parameters(net)
    X_bad, Y_bad = X.copy(), Y.copy()
    if where == "X":
        X_bad[2, 1] = bad
    elif where == "y":
        Y_bad[2, 0] = bad
    else:
        X_bad[0, 0] = X_bad[3, 1] = bad
    with pytest.raises(ValueError) as info:
        net.train(X_bad, Y_bad, epochs=2, verbose=False)
    message = str(info.value)
    assert f"{count} non-finite entr" in message and first in message
    for (w, b), (w0, b0) in zip(parameters(net), before):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)


def test_non_finite_validation_data(backend):
    X_val = X.copy()
    X_val[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"X_val has 1 non-finite entry.*X_val\[1, 0\]"):
        network().train(X, Y, epochs=1, verbose=False, validation_data=(X_val, Y))


@pytest.mark.parametrize("epochs, error", [(-3, ValueError), (None, TypeError),
                                           (True, TypeError), (2.0, TypeError),
                                           ("3", TypeError)])
def test_bad_epochs(backend, epochs, error):
    with pytest.raises(error, match="epochs must be"):
        network().train(X, Y, epochs=epochs, verbose=False)


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-1, ValueError),
                                               (True, TypeError), (2.5, TypeError),
                                               (np.float64(2), TypeError)])
def test_bad_batch_size(backend, batch_size, error):
    with pytest.raises(error, match="batch_size must be"):
        network().train(X, Y, epochs=1, batch_size=batch_size, verbose=False)


def test_numpy_integers_are_integers(backend):
    numpy_run = network().train(X, Y, epochs=np.int64(3), batch_size=np.int64(2),
                                shuffle=False, verbose=False)
    python_run = network().train(X, Y, epochs=3, batch_size=2, shuffle=False, verbose=False)
    assert numpy_run == python_run and len(numpy_run) == 3


def loss_under_no_grad(y_pred, y_true):
    with smolml.no_grad():
        return losses.mse_loss(y_pred, y_true)


def test_loss_that_needs_no_gradient_is_a_runtime_error(backend):
    net = network(loss=loss_under_no_grad)
    before = parameters(net)
    with pytest.raises(RuntimeError, match="does not depend on any parameter"):
        net.train(X, Y, epochs=3, verbose=False)
    np.testing.assert_array_equal(parameters(net)[0][0], before[0][0])


def test_loss_returning_a_float_is_a_type_error(backend):
    net = network(loss=lambda p, t: float(losses.mse_loss(p, t)))
    with pytest.raises(TypeError, match="returned float"):
        net.train(X, Y, epochs=1, verbose=False)


def numpy_tanh(z):
    return np.tanh(z.numpy())


@pytest.mark.parametrize("position", [0, 1])
def test_activation_returning_numpy_is_a_type_error(backend, position):
    smolml.manual_seed(0)
    layers = [DenseLayer(2, 3, activation.tanh), DenseLayer(3, 1)]
    layers[position].activation_function = numpy_tanh
    net = NeuralNetwork(layers, losses.mse_loss)
    with pytest.raises(TypeError, match="numpy_tanh returned ndarray"):
        net.train(X, Y, epochs=2, verbose=False)
