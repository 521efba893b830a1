"""float32 through the neural-network stack: layers, losses, optimizers and networks
keep their dtype, and a float32 training run follows the float64 one (the oracle) to
float32 accuracy, on both backends."""
import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, initializers, losses, optimizers

X_DATA = np.array([[0.5, -1.0, 0.3], [1.2, 0.4, -0.7], [-0.3, 0.8, 0.9],
                   [0.0, -0.5, 1.5], [0.9, 0.9, -0.2], [-1.1, 0.2, 0.4]])
Y_DATA = np.array([[0.3, -0.1], [0.8, 0.5], [-0.4, 0.2], [0.1, 0.9], [0.6, -0.6], [-0.9, 0.0]])

OPTIMIZERS = [
    lambda: optimizers.SGD(learning_rate=0.1),
    lambda: optimizers.SGDMomentum(learning_rate=0.05, momentum_coefficient=0.9),
    lambda: optimizers.AdaGrad(learning_rate=0.1),
    lambda: optimizers.Adam(learning_rate=0.05),
]


@pytest.fixture
def restore_default_dtype():
    previous = smolml.get_default_dtype()
    yield
    smolml.set_default_dtype(previous)


def network(dtype, optimizer, seed=0):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(3, 4, activation.tanh, dtype=dtype),
                          DenseLayer(4, 2, dtype=dtype)],
                         losses.mse_loss, optimizer)


def parameters(net):
    return [p.numpy() for layer in net.layers for p in (layer.weights, layer.biases)]


def test_a_float32_layer_has_float32_parameters_and_output(backend):
    layer = DenseLayer(3, 4, activation.relu, dtype="float32")
    assert layer.weights.dtype == smolml.float32 and layer.biases.dtype == smolml.float32
    out = layer.forward(MLArray(X_DATA, requires_grad=False, dtype="float32"))
    assert out.dtype == smolml.float32
    expected = np.maximum(X_DATA.astype(np.float32) @ layer.weights.numpy()
                          + layer.biases.numpy(), 0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_the_same_seed_gives_the_same_weights_rounded(backend):
    smolml.manual_seed(3)
    w64 = initializers.XavierUniform.initialize(5, 4).numpy()
    smolml.manual_seed(3)
    w32 = initializers.XavierUniform.initialize(5, 4, dtype="float32").numpy()
    assert w32.dtype == np.float32
    np.testing.assert_array_equal(w32, w64.astype(np.float32))


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_float32_training_follows_float64(backend, make_optimizer):
    net32 = network("float32", make_optimizer())
    net64 = network("float64", make_optimizer())
    history32 = net32.train(X_DATA, Y_DATA, epochs=15, verbose=False)
    history64 = net64.train(X_DATA, Y_DATA, epochs=15, verbose=False)
    for p in parameters(net32):
        assert p.dtype == np.float32
    for layer in net32.layers:
        assert layer.weights.requires_grad and layer.biases.requires_grad
    for name in net32.optimizer.state_names:
        for per_layer in getattr(net32.optimizer, name).values():
            for state in per_layer.values():
                assert state.dtype == smolml.float32
    np.testing.assert_allclose(history32, history64, rtol=1e-4)
    for p32, p64 in zip(parameters(net32), parameters(net64)):
        np.testing.assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)
    assert history32[-1] < history32[0]


def test_float32_training_agrees_across_backends(both_backends):
    results = []
    for name in both_backends:
        with smolml.use_backend(name):
            net = network("float32", optimizers.Adam(learning_rate=0.05))
            history = net.train(X_DATA, Y_DATA, epochs=5, batch_size=4, verbose=False)
            results.append((history, parameters(net)))
    (h_engine, p_engine), (h_pure, p_pure) = results
    np.testing.assert_allclose(h_engine, h_pure, rtol=1e-5)
    for a, b in zip(p_engine, p_pure):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_network_converts_data_to_its_dtype(backend):
    net = network("float32", None)
    out = net.forward(X_DATA)                       # a float64 ndarray
    assert out.dtype == smolml.float32
    loss = net.loss_function(out, Y_DATA)
    assert loss.dtype == smolml.float32
    expected = np.mean((out.numpy().astype(np.float64) - Y_DATA) ** 2)
    assert float(loss) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("loss", [losses.mse_loss, losses.mae_loss, losses.huber_loss,
                                  losses.binary_cross_entropy,
                                  losses.categorical_cross_entropy])
def test_a_loss_of_float32_predictions_is_float32(backend, loss):
    probs = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    targets = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    value32 = loss(MLArray(probs, dtype="float32"), targets)
    value64 = loss(MLArray(probs), targets)
    assert value32.dtype == smolml.float32 and value64.dtype == smolml.float64
    assert float(value32) == pytest.approx(float(value64), rel=1e-6)


def test_default_dtype_reaches_layers_and_initializers(backend, restore_default_dtype):
    smolml.set_default_dtype("float32")
    layer = DenseLayer(2, 3)
    assert layer.weights.dtype == smolml.float32 and layer.biases.dtype == smolml.float32
    assert initializers.HeInitialization.initialize(2, 2).dtype == smolml.float32
    assert smolml.zeros(2).dtype == smolml.float32
    smolml.set_default_dtype(smolml.float64)
    assert DenseLayer(2, 3).weights.dtype == smolml.float64


def test_a_layer_of_another_dtype_than_its_initializer(backend):
    class Fixed(initializers.WeightInitializer):          # knows nothing of dtypes
        @staticmethod
        def initialize(*dims):
            return MLArray(np.full(dims, 0.1))
    layer = DenseLayer(2, 3, weight_initializer=Fixed, dtype="float32")
    assert layer.weights.dtype == smolml.float32
    np.testing.assert_array_equal(layer.weights.numpy(), np.full((2, 3), np.float32(0.1)))
    (layer.weights * 3.0).sum().backward()           # a trainable leaf of its own
    np.testing.assert_array_equal(layer.weights.grad().numpy(), np.full((2, 3), 3.0))


def test_save_and_load_keep_float32(backend, tmp_path):
    net = network("float32", None)
    net.train(X_DATA, Y_DATA, epochs=2, verbose=False)
    path = net.save(tmp_path / "net")
    loaded = NeuralNetwork.load(path)
    for a, b in zip(parameters(net), parameters(loaded)):
        assert b.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_sgd_updates_parameters_in_place(backend):
    net = network("float64", optimizers.SGD(learning_rate=0.1))
    weights = net.layers[0].weights
    before = weights.numpy()
    loss = net.loss_function(net.forward(X_DATA), Y_DATA)
    loss.backward()
    grad = weights.grad().numpy()
    net.layers[0].update(net.optimizer, 0)
    assert net.layers[0].weights is weights
    np.testing.assert_allclose(weights.numpy(), before - 0.1 * grad, rtol=1e-12)


def test_a_subclass_rule_is_followed(backend):
    class HalfSGD(optimizers.SGD):
        def new_value(self, param, grad, idx, name):
            return param - 0.5 * self.learning_rate * grad
    net = network("float64", HalfSGD(learning_rate=0.1))
    weights = net.layers[0].weights
    before = weights.numpy()
    net.loss_function(net.forward(X_DATA), Y_DATA).backward()
    grad = weights.grad().numpy()
    net.layers[0].update(net.optimizer, 0)
    np.testing.assert_allclose(weights.numpy(), before - 0.05 * grad, rtol=1e-12)
