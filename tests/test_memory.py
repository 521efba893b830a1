"""Memory utilities: sizes built from sys.getsizeof and MLArray.nbytes, on every backend."""
import sys

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, memory, optimizers


@pytest.mark.parametrize("size, text", [(0, "0.00 B"), (512, "512.00 B"), (1023, "1023.00 B"),
                                        (1024, "1.00 KB"), (1536, "1.50 KB"),
                                        (5 * 1024 ** 2, "5.00 MB"), (3 * 1024 ** 3, "3.00 GB"),
                                        (2 * 1024 ** 4, "2.00 TB")])
def test_format_size(size, text):
    assert memory.format_size(size) == text


def test_value_size(backend):
    v = Value(1.5)
    size = memory.calculate_value_size(v)
    assert size >= sys.getsizeof(v) + 2 * sys.getsizeof(1.5)
    child = v * 2.0
    assert memory.calculate_value_size(child) > size      # it also holds its parents' tuple


def test_mlarray_size_is_object_plus_nbytes(backend):
    arr = MLArray(np.ones((20, 30)))
    assert memory.calculate_mlarray_size(arr) == sys.getsizeof(arr) + arr.nbytes
    # at least a float64 per element on either backend (the engine adds its gradient
    # buffer once a backward pass needs it)
    assert arr.nbytes >= 8 * arr.size()
    small = MLArray(np.ones((2, 3)))
    assert memory.calculate_mlarray_size(arr) > memory.calculate_mlarray_size(small)


def network(optimizer):
    smolml.manual_seed(0)
    return NeuralNetwork([DenseLayer(4, 8, activation.relu), DenseLayer(8, 3, activation.softmax)],
                         losses.categorical_cross_entropy, optimizer)


def test_network_size_adds_up(backend):
    model = network(optimizers.Adam(0.01))
    info = memory.calculate_neural_network_size(model)
    assert len(info["layers"]) == 2
    for layer, layer_info in zip(model.layers, info["layers"]):
        assert layer_info["weights_size"] == memory.calculate_mlarray_size(layer.weights)
        assert layer_info["biases_size"] == memory.calculate_mlarray_size(layer.biases)
        assert layer_info["total"] == layer_info["weights_size"] + layer_info["biases_size"]
    assert info["optimizer"]["state"] == {"gradients_momentum": 0, "squared_gradients_momentum": 0}
    assert info["total"] == sum(layer["total"] for layer in info["layers"]) + info["base"]


def test_optimizer_state_is_counted_after_training(backend):
    X = np.eye(4)[:3]
    y = np.eye(3)
    model = network(optimizers.Adam(0.01))
    model.train(X, y, epochs=1, verbose=False)
    info = memory.calculate_neural_network_size(model)
    state = info["optimizer"]["state"]
    # one moment array per parameter, each at least as large as its parameter's numbers
    parameter_bytes = sum(layer.weights.nbytes + layer.biases.nbytes for layer in model.layers)
    assert state["gradients_momentum"] >= parameter_bytes
    assert state["squared_gradients_momentum"] >= parameter_bytes
    assert info["total"] == (sum(layer["total"] for layer in info["layers"])
                             + sum(state.values()) + info["base"])

    sgd_model = network(optimizers.SGD(0.1))
    sgd_model.train(X, y, epochs=1, verbose=False)
    assert memory.calculate_neural_network_size(sgd_model)["optimizer"]["state"] == {}
    momentum_model = network(optimizers.SGDMomentum(0.1))
    momentum_model.train(X, y, epochs=1, verbose=False)
    assert set(memory.calculate_optimizer_state_size(momentum_model.optimizer)) == {"velocities"}


def test_sizes_grow_with_the_network(backend):
    smolml.manual_seed(0)
    small = NeuralNetwork([DenseLayer(4, 2)], losses.mse_loss)
    large = NeuralNetwork([DenseLayer(40, 20)], losses.mse_loss)
    assert memory.calculate_neural_network_size(large)["total"] > \
        memory.calculate_neural_network_size(small)["total"]
