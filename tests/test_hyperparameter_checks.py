"""Optimizers check their hyperparameters at construction; an optimizer class stands
for an instance with its defaults; activations and losses may be given by name."""
import math

import numpy as np
import pytest

import smolml
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.models.regression import LinearRegression
from smolml.utils import activation, losses, optimizers

OPTIMIZERS = [optimizers.SGD, optimizers.SGDMomentum, optimizers.AdaGrad, optimizers.Adam]


@pytest.mark.parametrize("cls", OPTIMIZERS)
@pytest.mark.parametrize("rate, error, words", [
    (math.nan, ValueError, "must be finite"), (math.inf, ValueError, "must be finite"),
    (-0.1, ValueError, "must be > 0"), (0.0, ValueError, "must be > 0"),
    (True, TypeError, "must be a real number"), ([0.1], TypeError, "must be a real number"),
    ("0.1", TypeError, "must be a real number"), (None, TypeError, "must be a real number")])
def test_bad_learning_rate(cls, rate, error, words):
    with pytest.raises(error, match=f"{cls.__name__} learning_rate {words}"):
        cls(rate)


@pytest.mark.parametrize("make, name", [
    (lambda v: optimizers.SGDMomentum(0.1, momentum_coefficient=v), "momentum_coefficient"),
    (lambda v: optimizers.Adam(0.1, exp_decay_gradients=v), "exp_decay_gradients"),
    (lambda v: optimizers.Adam(0.1, exp_decay_squared=v), "exp_decay_squared")])
@pytest.mark.parametrize("value", [1.0, -0.1, 1.5, math.nan])
def test_decay_rates_in_zero_one(make, name, value):
    with pytest.raises(ValueError, match=name):
        make(value)


@pytest.mark.parametrize("make", [lambda e: optimizers.AdaGrad(0.1, epsilon=e),
                                  lambda e: optimizers.Adam(0.1, epsilon=e)])
@pytest.mark.parametrize("value", [0.0, -1e-8, math.inf])
def test_epsilon_positive(make, value):
    with pytest.raises(ValueError, match="epsilon must be"):
        make(value)


def test_numpy_numbers_and_edges_are_accepted():
    assert optimizers.SGD(np.float32(0.5)).learning_rate == 0.5
    assert optimizers.SGD(np.int64(1)).learning_rate == 1.0
    assert optimizers.SGDMomentum(0.1, momentum_coefficient=0.0).momentum_coefficient == 0.0
    assert optimizers.Adam(0.1, exp_decay_gradients=0.0).exp_decay_gradients == 0.0


def test_the_checker_is_reusable_by_new_optimizers():
    class Clipped(optimizers.SGD):
        def __init__(self, learning_rate=0.01, limit=1.0):
            super().__init__(learning_rate)
            self.limit = optimizers.hyperparameter(self, limit, "limit", "epsilon")

    with pytest.raises(ValueError, match="Clipped limit must be > 0; got -1.0"):
        Clipped(0.1, limit=-1)


def xor_network(optimizer):
    smolml.manual_seed(0)
    return NeuralNetwork([DenseLayer(2, 3, "tanh"), DenseLayer(3, 1, "sigmoid")],
                         "binary_cross_entropy", optimizer)


XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [[0.0], [1.0], [1.0], [0.0]]


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_an_optimizer_class_means_its_defaults(backend, cls):
    from_class = xor_network(cls)
    assert type(from_class.optimizer) is cls
    from_instance = xor_network(cls())
    assert from_class.train(XOR_X, XOR_Y, epochs=5, verbose=False) == \
        from_instance.train(XOR_X, XOR_Y, epochs=5, verbose=False)


@pytest.mark.parametrize("bad", [int, "adam", 0.1, object()])
def test_other_optimizers_are_a_type_error(backend, bad):
    with pytest.raises(TypeError, match="optimizer must be an Optimizer"):
        xor_network(bad)
    with pytest.raises(TypeError, match="optimizer must be an Optimizer"):
        LinearRegression(1, optimizer=bad)


def test_regression_takes_an_optimizer_class(backend):
    model = LinearRegression(1, optimizer=optimizers.Adam)
    assert type(model.optimizer) is optimizers.Adam


def test_activation_and_loss_names(backend):
    network = xor_network(optimizers.Adam(0.05))
    assert network.layers[0].activation_function is activation.tanh
    assert network.loss_function is losses.binary_cross_entropy
    by_function = NeuralNetwork([DenseLayer(2, 3, activation.tanh),
                                 DenseLayer(3, 1, activation.sigmoid)],
                                losses.binary_cross_entropy, optimizers.Adam(0.05))
    smolml.manual_seed(0)
    by_function.layers[0].weights.update_values(network.layers[0].weights.numpy())
    by_function.layers[1].weights.update_values(network.layers[1].weights.numpy())
    assert network.train(XOR_X, XOR_Y, epochs=5, verbose=False) == \
        by_function.train(XOR_X, XOR_Y, epochs=5, verbose=False)


def test_unknown_activation_lists_the_valid_ones(backend):
    with pytest.raises(ValueError) as info:
        DenseLayer(2, 3, "ReLU")
    assert "'ReLU'" in str(info.value)
    for name in ("relu", "leaky_relu", "elu", "sigmoid", "softmax", "tanh", "linear"):
        assert name in str(info.value)
    for private in ("MLArray", "no_grad", "_as_node", "resolve"):
        with pytest.raises(ValueError, match="unknown activation"):
            DenseLayer(2, 3, private)
    with pytest.raises(TypeError, match="an activation must be a function"):
        DenseLayer(2, 3, 3.0)


def test_unknown_loss_lists_the_valid_ones(backend):
    with pytest.raises(ValueError, match="unknown loss 'mse'.*mse_loss"):
        NeuralNetwork([DenseLayer(2, 1)], "mse")
    with pytest.raises(TypeError, match="loss_function must be a function"):
        NeuralNetwork([DenseLayer(2, 1)], 42)
