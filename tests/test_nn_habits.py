"""PyTorch habits of layers and networks: calling them, predict, parameters,
zero_grad, state_dict / load_state_dict, a hand-written PyTorch-style loop (against the
NumPy re-derivation of test_nn), and metrics.accuracy (against NumPy)."""
import numpy as np
import pytest

import smolml
from helpers import adam_rule
from smolml import MLArray
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, metrics, optimizers
from test_nn import ALL_ROWS, X_DATA, Y_DATA, numpy_train, parameters, sgd, tiny_network


def numpy_forward(network, X):
    (W1, b1), (W2, b2) = parameters(network)
    return np.tanh(X @ W1 + b1) @ W2 + b2


def test_calling_a_layer_and_a_network_is_forward(backend):
    network = tiny_network()
    np.testing.assert_allclose(network(X_DATA).numpy(), numpy_forward(network, X_DATA),
                               rtol=1e-12)
    layer = network.layers[0]
    W, b = layer.weights.numpy(), layer.biases.numpy()
    np.testing.assert_allclose(layer(MLArray(X_DATA)).numpy(), np.tanh(X_DATA @ W + b),
                               rtol=1e-12)


@pytest.mark.parametrize("batch_size", [None, 1, 4, 6, 100])
def test_predict_in_batches_matches_numpy(backend, batch_size):
    network = tiny_network()
    result = network.predict(X_DATA, batch_size=batch_size)
    assert isinstance(result, MLArray) and not result.requires_grad
    np.testing.assert_allclose(result.numpy(), numpy_forward(network, X_DATA), rtol=1e-12)


def test_predict_makes_no_graph_and_keeps_the_dtype(backend):
    smolml.manual_seed(1)
    network = NeuralNetwork([DenseLayer(3, 2, dtype=smolml.float32)], losses.mse_loss)
    out = network.predict(MLArray(X_DATA), batch_size=4)
    assert out.dtype == smolml.float32 and out.shape == (6, 2)
    assert network.layers[0].weights.grad().numpy().sum() == 0.0
    one = network.predict(X_DATA[0])                  # a 1-D X is one sample
    np.testing.assert_allclose(one.numpy().ravel(), out.numpy()[0], rtol=1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        network.predict(X_DATA, batch_size=0)


def test_parameters_are_the_arrays_the_optimizer_updates(backend):
    network = tiny_network(optimizers.Adam(0.01))
    before = network.parameters()
    assert [name for name, _ in network.named_parameters()] == [
        "layers.0.weights", "layers.0.biases", "layers.1.weights", "layers.1.biases"]
    expected = [p for layer in network.layers for p in (layer.weights, layer.biases)]
    assert all(a is b for a, b in zip(before, expected))
    assert network.layers[0].parameters()[0] is network.layers[0].weights
    values = [p.numpy() for p in before]
    network.train(X_DATA, Y_DATA, epochs=2, verbose=False)
    after = network.parameters()
    assert all(a is b for a, b in zip(before, after))
    assert all(not np.array_equal(v, p.numpy()) for v, p in zip(values, after))


def test_zero_grad(backend):
    network = tiny_network()
    losses.mse_loss(network(X_DATA), Y_DATA).backward()
    assert any(np.abs(p.grad().numpy()).sum() > 0 for p in network.parameters())
    network.zero_grad()
    assert all(np.abs(p.grad().numpy()).sum() == 0 for p in network.parameters())


@pytest.mark.parametrize("make_optimizer, rule", [(lambda: optimizers.SGD(0.1), sgd(0.1)),
                                                  (lambda: optimizers.Adam(0.02), adam_rule(0.02))])
def test_pytorch_style_loop_matches_numpy(backend, make_optimizer, rule):
    network = tiny_network()
    optimizer = make_optimizer()
    expected_history, expected_params = numpy_train(parameters(network), [[ALL_ROWS]] * 20,
                                                    rule)
    history = []
    for _ in range(20):
        network.zero_grad()
        loss = losses.mse_loss(network(X_DATA), Y_DATA)
        loss.backward()
        optimizer.step(network.parameters())
        history.append(loss.item())
    np.testing.assert_allclose(history, expected_history, rtol=1e-9)
    for (w, b), (w_ref, b_ref) in zip(parameters(network), expected_params):
        np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b, b_ref, rtol=1e-9, atol=1e-12)


def test_step_rejects_other_objects(backend):
    with pytest.raises(TypeError, match="MLArrays"):
        optimizers.SGD(0.1).step([np.zeros(3)])


# ---------------------------------------------------------------- state dicts

def test_state_dict_is_a_copy_of_every_parameter(backend):
    network = tiny_network()
    state = network.state_dict()
    assert list(state) == [name for name, _ in network.named_parameters()]
    for (w, b), i in zip(parameters(network), range(2)):
        np.testing.assert_array_equal(state[f"layers.{i}.weights"], w)
        np.testing.assert_array_equal(state[f"layers.{i}.biases"], b)
    state["layers.0.weights"][0, 0] = 1e6
    assert network.layers[0].weights.numpy()[0, 0] != 1e6


def test_load_state_dict_round_trip(backend):
    source, target = tiny_network(seed=1), tiny_network(seed=2)
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for got, expected in zip(parameters(target), parameters(source)):
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_allclose(target.predict(X_DATA).numpy(), numpy_forward(source, X_DATA),
                               rtol=1e-12)
    # MLArrays and nested lists are accepted as values too
    state = {name: MLArray(array) for name, array in tiny_network(seed=3).state_dict().items()}
    state["layers.1.biases"] = state["layers.1.biases"].tolist()
    target.load_state_dict(state)
    assert target.layers[1].biases.tolist() == state["layers.1.biases"]


def test_load_state_dict_checks_names_and_shapes(backend):
    network = tiny_network()
    before = network.state_dict()
    state = tiny_network(seed=5).state_dict()
    with pytest.raises(ValueError, match=r"missing \['layers.1.biases'\]"):
        network.load_state_dict({k: v for k, v in state.items() if k != "layers.1.biases"})
    with pytest.raises(ValueError, match="unexpected.*'extra'"):
        network.load_state_dict({**state, "extra": np.zeros(1)})
    result = network.load_state_dict({"layers.0.biases": state["layers.0.biases"],
                                      "extra": np.zeros(1)}, strict=False)
    assert result.unexpected_keys == ["extra"]
    assert "layers.0.weights" in result.missing_keys
    np.testing.assert_array_equal(network.layers[0].biases.numpy(), state["layers.0.biases"])
    network.load_state_dict(before)
    bad = {**state, "layers.1.weights": state["layers.1.weights"].T}
    with pytest.raises(ValueError, match=r"layers.1.weights has shape \(2, 4\).*transpose"):
        network.load_state_dict(bad)
    with pytest.raises(TypeError, match="real numbers"):
        network.load_state_dict({**state, "layers.0.biases": np.array(["a"] * 4)})
    with pytest.raises(TypeError, match="mapping"):
        network.load_state_dict([("layers.0.weights", state["layers.0.weights"])])
    # nothing was written by the calls that failed
    for name, array in network.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


def test_load_state_dict_keeps_the_parameter_dtype(backend):
    smolml.manual_seed(0)
    network = NeuralNetwork([DenseLayer(2, 2, dtype=smolml.float32)], losses.mse_loss)
    weights = np.array([[0.1, 0.2], [0.3, 0.4]])
    network.load_state_dict({"layers.0.weights": weights, "layers.0.biases": np.zeros((1, 2))})
    assert network.layers[0].weights.dtype == smolml.float32
    np.testing.assert_array_equal(network.layers[0].weights.numpy(), weights.astype(np.float32))


# ---------------------------------------------------------------- accuracy

def test_accuracy_matches_numpy(backend):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(40, 5))
    labels = rng.integers(0, 5, size=40)
    expected = np.mean(scores.argmax(axis=1) == labels)
    one_hot = np.eye(5)[labels]
    assert metrics.accuracy(scores, labels) == expected
    assert metrics.accuracy(MLArray(scores), MLArray(one_hot)) == expected
    assert metrics.accuracy(scores.argmax(axis=1), labels.reshape(-1, 1)) == expected
    assert metrics.accuracy(scores.tolist(), one_hot.tolist()) == expected


def test_accuracy_of_binary_probabilities(backend):
    p = np.array([[0.9], [0.2], [0.6], [0.4]])
    y = np.array([1, 0, 0, 0])
    assert metrics.accuracy(MLArray(p), y) == np.mean((p[:, 0] >= 0.5) == y)


def test_accuracy_errors(backend):
    with pytest.raises(ValueError, match="3 samples but y_true has 2"):
        metrics.accuracy(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="whole numbers"):
        metrics.accuracy([0, 1], [0.5, 1.0])
    with pytest.raises(ValueError, match="one-hot over 3"):
        metrics.accuracy(np.zeros((2, 2)), np.eye(3)[:2])
    with pytest.raises(ValueError, match="no samples"):
        metrics.accuracy(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="shape"):
        metrics.accuracy(np.zeros((2, 2, 2)), [0, 1])
    with pytest.raises(TypeError, match="real numbers"):
        metrics.accuracy(["a", "b"], [0, 1])


def test_layer_repr_names_a_partial_activation(backend):
    import functools
    layer = DenseLayer(2, 3, functools.partial(activation.leaky_relu, alpha=0.2))
    assert "activation=functools.partial(<function leaky_relu" in repr(layer)
