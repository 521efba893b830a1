"""DenseLayer and NeuralNetwork: training against a NumPy re-derivation of backprop,
minibatches, Ctrl-C, non-finite losses, save/load, repr, and the digits on the engine."""
import math
import os
import random
import re
import signal

import numpy as np
import pytest

import smolml
from helpers import adam_rule
from smolml import MLArray, _backend
from smolml._random import rng
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, initializers, losses, optimizers

X_DATA = np.array([[0.5, -1.0, 0.3], [1.2, 0.4, -0.7], [-0.3, 0.8, 0.9],
                   [0.0, -0.5, 1.5], [0.9, 0.9, -0.2], [-1.1, 0.2, 0.4]])
Y_DATA = np.array([[0.3, -0.1], [0.8, 0.5], [-0.4, 0.2], [0.1, 0.9], [0.6, -0.6], [-0.9, 0.0]])


def tiny_network(optimizer=None, seed=0, hidden_activation=activation.tanh):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(3, 4, hidden_activation), DenseLayer(4, 2)],
                         losses.mse_loss, optimizer)


def parameters(network):
    return [(layer.weights.numpy(), layer.biases.numpy()) for layer in network.layers]


# ---- a NumPy re-derivation of the same network: tanh hidden layer, linear output, MSE

def numpy_loss_and_grads(params, X, Y):
    (W1, b1), (W2, b2) = params
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    loss = np.mean((out - Y) ** 2)
    d_out = 2 * (out - Y) / out.size
    d_h = d_out @ W2.T
    d_z = d_h * (1 - h ** 2)
    return loss, [(X.T @ d_z, d_z.sum(axis=0, keepdims=True)),
                  (h.T @ d_out, d_out.sum(axis=0, keepdims=True))]


def sgd(lr):
    return lambda theta, g, state, t: theta - lr * g


def numpy_train(params, batches_per_epoch, rule):
    """batches_per_epoch: list (one per epoch) of lists of row-index arrays.
    Returns (per-epoch mean batch loss, final params)."""
    params = [[w.copy(), b.copy()] for w, b in params]
    state = [[{}, {}] for _ in params]
    history, t = [], 0
    for batches in batches_per_epoch:
        batch_losses = []
        for rows in batches:
            t += 1
            loss, grads = numpy_loss_and_grads(params, X_DATA[rows], Y_DATA[rows])
            batch_losses.append(loss)
            for k, layer_grads in enumerate(grads):
                for j, g in enumerate(layer_grads):
                    params[k][j] = rule(params[k][j], g, state[k][j], t)
        history.append(np.mean(batch_losses))
    return history, params


def assert_parameters_close(got, expected, rtol=1e-9):
    for (w, b), (w_ref, b_ref) in zip(got, expected):
        np.testing.assert_allclose(w, w_ref, rtol=rtol, atol=1e-12)
        np.testing.assert_allclose(b, b_ref, rtol=rtol, atol=1e-12)


ALL_ROWS = np.arange(len(X_DATA))


# ---- DenseLayer

def test_dense_layer_shapes_and_forward(backend):
    smolml.manual_seed(1)
    layer = DenseLayer(3, 4, activation.relu)
    assert layer.weights.shape == (3, 4) and layer.biases.shape == (1, 4)
    np.testing.assert_array_equal(layer.biases.numpy(), np.zeros((1, 4)))
    layer.biases.update_values([[0.1, -0.2, 0.3, 0.0]])
    out = layer.forward(MLArray(X_DATA, requires_grad=False))
    expected = np.maximum(X_DATA @ layer.weights.numpy() + layer.biases.numpy(), 0.0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert (layer.input_size, layer.output_size) == (3, 4)


def seeded_numpy_generator(seed):
    """The generator smolml documents for array draws after manual_seed(seed)."""
    return np.random.Generator(np.random.PCG64(random.Random(seed).getrandbits(128)))


def test_dense_layer_defaults(backend):
    smolml.manual_seed(4)
    layer = DenseLayer(5, 2)
    assert layer.activation_function is activation.linear
    limit = math.sqrt(6 / 7)
    expected = seeded_numpy_generator(4).uniform(-limit, limit, 10)
    np.testing.assert_array_equal(layer.weights.numpy().ravel(), expected)


def test_dense_layer_takes_an_initializer(backend):
    smolml.manual_seed(4)
    layer = DenseLayer(5, 2, weight_initializer=initializers.HeInitialization)
    expected = seeded_numpy_generator(4).normal(0.0, math.sqrt(2 / 5), 10)
    np.testing.assert_array_equal(layer.weights.numpy().ravel(), expected)


# ---- training against NumPy

def test_seed_training_loop_runs_as_written(backend):
    # The loop of SmolML's neural-network guide, step by step.
    network = tiny_network(optimizers.SGD(learning_rate=0.1))
    expected_history, expected_params = numpy_train(parameters(network), [[ALL_ROWS]] * 25,
                                                    sgd(0.1))
    X = MLArray(X_DATA)
    y = MLArray(Y_DATA)
    history = []
    for epoch in range(25):
        y_pred = network.forward(X)
        loss = network.loss_function(y_pred, y)
        history.append(loss.data.data)
        loss.backward()
        for idx, layer in enumerate(network.layers):
            layer.update(network.optimizer, idx)
        X.restart()
        y.restart()
        for layer in network.layers:
            layer.weights.restart()
            layer.biases.restart()
    np.testing.assert_allclose(history, expected_history, rtol=1e-9)
    assert_parameters_close(parameters(network), expected_params)
    assert history[-1] < history[0]


@pytest.mark.parametrize("make_optimizer, rule", [(lambda: optimizers.SGD(0.1), sgd(0.1)),
                                                  (lambda: optimizers.Adam(0.02), adam_rule(0.02))])
def test_train_full_batch_matches_numpy(backend, make_optimizer, rule):
    network = tiny_network(make_optimizer())
    expected_history, expected_params = numpy_train(parameters(network), [[ALL_ROWS]] * 30, rule)
    history = network.train(X_DATA, Y_DATA, epochs=30, verbose=False)
    assert len(history) == 30 and all(isinstance(x, float) for x in history)
    np.testing.assert_allclose(history, expected_history, rtol=1e-9)
    assert_parameters_close(parameters(network), expected_params)
    assert network.history["loss"] == history


def test_train_minibatches_in_order(backend):
    network = tiny_network(optimizers.Adam(0.05))
    batches = [np.arange(0, 4), np.arange(4, 6)]
    expected_history, expected_params = numpy_train(parameters(network), [batches] * 6, adam_rule(0.05))
    history = network.train(X_DATA, Y_DATA, epochs=6, batch_size=4, shuffle=False, verbose=False)
    np.testing.assert_allclose(history, expected_history, rtol=1e-9)
    assert_parameters_close(parameters(network), expected_params)
    assert network.optimizer.step_count == 12


def test_train_shuffles_with_smolml_rng(backend):
    network = tiny_network(optimizers.SGD(0.2))
    oracle = random.Random()
    oracle.setstate(rng.getstate())
    epochs = []
    for _ in range(5):
        order = list(range(len(X_DATA)))
        oracle.shuffle(order)
        epochs.append([np.array(order[i:i + 2]) for i in range(0, len(order), 2)])
    expected_history, expected_params = numpy_train(parameters(network), epochs, sgd(0.2))
    history = network.train(X_DATA, Y_DATA, epochs=5, batch_size=2, verbose=False)
    np.testing.assert_allclose(history, expected_history, rtol=1e-9)
    assert_parameters_close(parameters(network), expected_params)


class Frozen(optimizers.SGD):
    """An optimizer that leaves every parameter as it is (a learning rate must be > 0)."""

    def step_parameter(self, param, grad, idx, name):
        pass


def test_epoch_loss_is_mean_of_batch_losses(backend):
    # the parameters stay put, so every batch loss is known in advance
    network = tiny_network(Frozen())
    initial = parameters(network)
    batch_losses = [numpy_loss_and_grads(initial, X_DATA[rows], Y_DATA[rows])[0]
                    for rows in (np.arange(0, 4), np.arange(4, 6))]
    history = network.train(X_DATA, Y_DATA, epochs=2, batch_size=4, shuffle=False, verbose=False,
                            validation_data=(X_DATA[:3], Y_DATA[:3]))
    np.testing.assert_allclose(history, [np.mean(batch_losses)] * 2, rtol=1e-12)
    full_set_loss = numpy_loss_and_grads(initial, X_DATA, Y_DATA)[0]
    assert history[0] != pytest.approx(full_set_loss)
    val_loss = numpy_loss_and_grads(initial, X_DATA[:3], Y_DATA[:3])[0]
    np.testing.assert_allclose(network.history["val_loss"], [val_loss] * 2, rtol=1e-12)


@pytest.mark.parametrize("kind", ["list", "numpy", "mlarray"])
def test_train_accepts_lists_numpy_and_mlarrays(backend, kind):
    convert = {"list": lambda a: a.tolist(), "numpy": lambda a: a,
               "mlarray": lambda a: MLArray(a)}[kind]
    network = tiny_network(optimizers.SGD(0.1))
    expected_history, _ = numpy_train(parameters(network), [[ALL_ROWS]] * 3, sgd(0.1))
    history = network.train(convert(X_DATA), convert(Y_DATA), epochs=3, verbose=False)
    np.testing.assert_allclose(history, expected_history, rtol=1e-9)


def test_train_rejects_mismatched_data(backend):
    network = tiny_network()
    with pytest.raises(ValueError, match="6 samples but y has 5"):
        network.train(X_DATA, Y_DATA[:5], epochs=1, verbose=False)
    with pytest.raises(ValueError, match="batch_size"):
        network.train(X_DATA, Y_DATA, epochs=1, batch_size=0, verbose=False)


def test_default_optimizer_is_a_fresh_sgd(backend):
    a, b = tiny_network(), tiny_network()
    assert isinstance(a.optimizer, optimizers.SGD) and a.optimizer is not b.optimizer


def test_same_seed_same_training_on_both_backends(both_backends):
    results = {}
    for name in both_backends:
        with smolml.use_backend(name):
            network = tiny_network(optimizers.Adam(0.05), seed=11)
            initial = parameters(network)
            history = network.train(X_DATA, Y_DATA, epochs=4, batch_size=4, verbose=False)
            results[name] = (initial, history, parameters(network))
    (init_a, hist_a, final_a), (init_b, hist_b, final_b) = results.values()
    for (w, b), (w2, b2) in zip(init_a, init_b):
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(b, b2)
    np.testing.assert_allclose(hist_a, hist_b, rtol=1e-9)
    assert_parameters_close(final_a, final_b)


# ---- progress output

def test_verbose_prints_progress(backend, capsys):
    network = tiny_network(optimizers.SGD(0.1))
    network.train(X_DATA, Y_DATA, epochs=4, print_every=2, verbose=True)
    out, err = capsys.readouterr()
    assert "Epoch 2/4, Loss: " in out and "Epoch 4/4, Loss: " in out
    assert "Epoch 1/4" not in out and "Epoch 3/4" not in out
    assert "epoch 4/4" in err and "4/4" in err


def test_quiet_prints_nothing(backend, capsys):
    tiny_network().train(X_DATA, Y_DATA, epochs=2, verbose=False)
    assert capsys.readouterr() == ("", "")


# ---- Ctrl-C and non-finite losses

def interrupting_loss(at_call, interrupt):
    calls = {"n": 0}

    def mse_loss(y_pred, y_true):
        calls["n"] += 1
        if calls["n"] == at_call:
            interrupt()
        return losses.mse_loss(y_pred, y_true)
    return mse_loss


def raise_keyboard_interrupt():
    raise KeyboardInterrupt


def trained_for(steps, batch_size=None):
    network = tiny_network(optimizers.Adam(0.05))
    epochs = steps if batch_size is None else steps // math.ceil(len(X_DATA) / batch_size)
    network.train(X_DATA, Y_DATA, epochs=epochs, batch_size=batch_size, shuffle=False,
                  verbose=False)
    return parameters(network)


def test_keyboard_interrupt_in_a_step_returns_history(backend):
    network = tiny_network(optimizers.Adam(0.05))
    network.loss_function = interrupting_loss(4, raise_keyboard_interrupt)
    history = network.train(X_DATA, Y_DATA, epochs=10, verbose=False)
    assert len(history) == 3
    # the interrupted step changed nothing: the model is the one after 3 steps
    assert_parameters_close(parameters(network), trained_for(3))
    # the abandoned step did not count as an optimizer step, and training goes on
    # exactly as if it had never been tried
    assert network.optimizer.step_count == 3
    network.loss_function = losses.mse_loss
    assert len(network.train(X_DATA, Y_DATA, epochs=2, verbose=False)) == 2
    assert_parameters_close(parameters(network), trained_for(5))


def test_keyboard_interrupt_mid_epoch_keeps_partial_mean(backend):
    network = tiny_network(Frozen())
    network.loss_function = interrupting_loss(5, raise_keyboard_interrupt)
    history = network.train(X_DATA, Y_DATA, epochs=10, batch_size=2, shuffle=False, verbose=False)
    assert len(history) == 2
    initial = parameters(network)
    first_batch = numpy_loss_and_grads(initial, X_DATA[:2], Y_DATA[:2])[0]
    assert history[1] == pytest.approx(first_batch, rel=1e-12)


def test_ctrl_c_stops_after_the_current_step(backend, capsys):
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        network = tiny_network(optimizers.Adam(0.05))
        network.loss_function = interrupting_loss(3, lambda: os.kill(os.getpid(), signal.SIGINT))
        history = network.train(X_DATA, Y_DATA, epochs=10, verbose=True)
        # the step during which Ctrl-C came was completed, then training stopped
        assert len(history) == 3
        assert_parameters_close(parameters(network), trained_for(3))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert "stopped by the user in epoch 3/10" in capsys.readouterr().out
    finally:
        signal.signal(signal.SIGINT, previous)


def test_non_finite_loss_stops_with_the_epoch(backend):
    network = tiny_network(optimizers.Adam(0.05))
    calls = {"n": 0}

    def mse_loss(y_pred, y_true):
        calls["n"] += 1
        loss = losses.mse_loss(y_pred, y_true)
        return loss * math.nan if calls["n"] == 3 else loss
    network.loss_function = mse_loss
    with pytest.raises(FloatingPointError, match="epoch 3"):
        network.train(X_DATA, Y_DATA, epochs=10, verbose=False)
    assert_parameters_close(parameters(network), trained_for(2))
    assert len(network.history["loss"]) == 2


def test_diverging_training_raises(backend):
    network = tiny_network(optimizers.SGD(1e6))
    with pytest.raises(FloatingPointError, match=r"epoch \d+"):
        network.train(X_DATA, Y_DATA * 1e6, epochs=200, verbose=False)


# ---- save and load

def classifier(seed=3):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(3, 5, activation.relu),
                          DenseLayer(5, 4, activation.leaky_relu),
                          DenseLayer(4, 2, activation.softmax)],
                         losses.categorical_cross_entropy, optimizers.Adam(0.01))


def predictions(network):
    with smolml.no_grad():
        return network.forward(X_DATA).numpy()


def test_save_load_round_trip(backend, tmp_path):
    network = classifier()
    network.train(X_DATA, np.eye(2)[[0, 1, 1, 0, 1, 0]], epochs=3, verbose=False)
    path = network.save(tmp_path / "model")
    assert path.endswith("model.npz") and os.path.exists(path)
    for name in (path, tmp_path / "model"):
        loaded = NeuralNetwork.load(name)
        np.testing.assert_array_equal(predictions(loaded), predictions(network))
        assert [layer.activation_function for layer in loaded.layers] == \
            [activation.relu, activation.leaky_relu, activation.softmax]
        assert loaded.loss_function is losses.categorical_cross_entropy
        assert isinstance(loaded.optimizer, optimizers.SGD)
        assert all(layer.weights.requires_grad for layer in loaded.layers)
    # a loaded network trains
    assert len(loaded.train(X_DATA, np.eye(2)[[0, 1, 1, 0, 1, 0]], epochs=1, verbose=False)) == 1


def test_loading_draws_no_random_numbers(backend, tmp_path):
    path = classifier().save(tmp_path / "model.npz")
    state = rng.getstate()
    NeuralNetwork.load(path)
    assert rng.getstate() == state


def test_saved_file_is_plain_arrays(backend, tmp_path):
    path = classifier().save(tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as stored:
        assert all(stored[key].dtype != object for key in stored.files)
        assert list(stored["activations"]) == ["relu", "leaky_relu", "softmax"]
        assert list(stored["input_sizes"]) == [3, 5, 4]
        assert list(stored["output_sizes"]) == [5, 4, 2]


def test_load_checks_shapes(backend, tmp_path):
    path = classifier().save(tmp_path / "model.npz")
    with np.load(path) as stored:
        contents = dict(stored)
    contents["weights_1"] = np.zeros((5, 3))
    np.savez(tmp_path / "bad.npz", **contents)
    with pytest.raises(ValueError, match=r"weights_1 .* shape \(5, 3\); its layer needs \(5, 4\)"):
        NeuralNetwork.load(tmp_path / "bad.npz")


def test_load_rejects_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", numbers=np.arange(3))
    with pytest.raises(ValueError, match="not a smolml network file"):
        NeuralNetwork.load(tmp_path / "other.npz")
    np.savez(tmp_path / "pickled.npz", activations=np.array([object()], dtype=object))
    with pytest.raises(ValueError):
        NeuralNetwork.load(tmp_path / "pickled.npz")


def test_load_custom_activation_and_loss(backend, tmp_path):
    def swish(x):
        return x * activation.sigmoid(x)

    def my_loss(y_pred, y_true):
        return losses.mse_loss(y_pred, y_true)

    smolml.manual_seed(0)
    network = NeuralNetwork([DenseLayer(3, 2, swish)], my_loss)
    path = network.save(tmp_path / "custom")
    with pytest.raises(ValueError, match="swish"):
        NeuralNetwork.load(path, loss_function=my_loss)
    with pytest.raises(ValueError, match="my_loss"):
        NeuralNetwork.load(path, activations={"swish": swish})
    loaded = NeuralNetwork.load(path, loss_function=my_loss, activations={"swish": swish},
                                optimizer=optimizers.AdaGrad(0.1))
    np.testing.assert_array_equal(predictions(loaded), predictions(network))
    assert isinstance(loaded.optimizer, optimizers.AdaGrad)


def test_load_on_the_other_backend(both_backends, tmp_path):
    with smolml.use_backend(both_backends[0]):
        network = classifier()
        path = network.save(tmp_path / "model")
        expected = predictions(network)
    with smolml.use_backend(both_backends[1]):
        loaded = NeuralNetwork.load(path)
        assert _backend.backend_of(loaded.layers[0].weights) == both_backends[1]
        np.testing.assert_allclose(predictions(loaded), expected, rtol=1e-12)


# ---- repr

def test_repr_summary(backend):
    network = classifier()
    text = repr(network)
    assert "Neural Network Architecture" in text
    assert "Layer 1: Dense(in=3, out=5, activation=relu)" in text
    assert "Parameters: 20 (3×5 weights + 5 biases)" in text
    assert "Layer 3: Dense(in=4, out=2, activation=softmax)" in text
    assert "Optimizer: Adam(learning_rate=0.01)" in text
    assert "Loss Function: categorical_cross_entropy" in text
    assert "Total Parameters: 54" in text
    assert "Memory Usage:" in text and "Total Memory: " in text
    assert "    gradients_momentum: 0.00 B" in text      # Adam's state, empty before training
    network.train(X_DATA, np.eye(2)[[0, 1, 1, 0, 1, 0]], epochs=1, verbose=False)
    text = repr(network)
    assert "    gradients_momentum: 0.00 B" not in text
    assert "    squared_gradients_momentum: " in text and "Optimizer State: " in text
    assert "gradients_momentum" not in repr(tiny_network())          # SGD keeps no state


# ---- the digits

@pytest.mark.skipif(not _backend.engine_available(), reason="the compiled engine is not built")
def test_digits_reach_95_percent_on_the_engine():
    from smolml.datasets import load_digits, train_test_split
    with smolml.use_backend("engine"):
        smolml.manual_seed(0)
        X, y = load_digits()
        X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25)
        network = NeuralNetwork(
            [DenseLayer(64, 128, activation.relu, initializers.HeInitialization),
             DenseLayer(128, 10, activation.softmax)],
            losses.categorical_cross_entropy, optimizers.Adam(0.005))
        history = network.train(X_train, np.eye(10)[y_train], epochs=15, batch_size=32,
                                verbose=False)
        with smolml.no_grad():
            predicted = network.forward(MLArray(X_test, requires_grad=False)).numpy().argmax(axis=1)
    assert history[-1] < history[0]
    assert (predicted == y_test).mean() >= 0.95


def test_demo_command_runs(capsys):
    from smolml.__main__ import main
    status = main(["demo", "--backend", "pure", "--samples", "40", "--epochs", "2", "--hidden", "4",
                   "--quiet"])
    out = capsys.readouterr().out
    assert status == 0
    assert "'pure' backend" in out and "64-4-10" in out
    assert "Held-out accuracy: " in out and "(10 train" not in out


@pytest.mark.skipif(not _backend.engine_available(), reason="the compiled engine is not built")
def test_pure_demo_ends_with_the_engines_time_for_the_same_workload(capsys):
    from smolml.__main__ import main
    status = main(["demo", "--backend", "pure", "--samples", "40", "--epochs", "2",
                   "--hidden", "4", "--quiet"])
    out = capsys.readouterr().out
    assert status == 0
    pure_loss = float(re.search(r"Training: [\d.]+ s for 2 epochs \(final loss ([\d.]+)\)",
                                out).group(1))
    engine = re.search(r"The compiled engine trains the same network on the same batches in "
                       r"([\d.e-]+) s \(final loss ([\d.]+)\): ([\d,]+)x faster", out)
    assert engine, out
    # the same workload: the two backends reach the same loss (parity), to the digits shown
    assert float(engine.group(2)) == pytest.approx(pure_loss, abs=1e-4)
    assert float(engine.group(1)) > 0 and int(engine.group(3).replace(",", "")) >= 1
