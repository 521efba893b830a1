"""The training toolkit without PyTorch: RMSprop, weight decay and AdamW against their
formulas in NumPy, schedules against their closed forms, clipping, log_softmax and
cross-entropy against NumPy, Dropout's masks and modes, early stopping against a run
stopped by hand, save/load with Dropout, and every bad input."""
import math

import numpy as np
import pytest

import smolml
from helpers import adam_rule
from smolml import MLArray
from smolml.models.nn import DenseLayer, Dropout, NeuralNetwork
from smolml.utils import activation, clip_grad_norm, losses, optimizers, schedulers
from test_optimizers import (W0, B0, Params, adagrad_rule, assert_same_trajectory, momentum_rule,
                             run_numpy, run_smolml, sgd_rule)


def with_decay(rule, decay):
    """PyTorch's L2 weight decay: the rule sees g + λ·θ."""
    return lambda theta, g, state, t: rule(theta, g + decay * theta, state, t)


def rmsprop_rule(lr, rho=0.99, eps=1e-8):
    def rule(theta, g, state, t):
        state["v"] = rho * state.get("v", 0.0) + (1 - rho) * g ** 2
        return theta - lr * g / (np.sqrt(state["v"]) + eps)
    return rule


def adamw_rule(lr, decay, beta1=0.9, beta2=0.999, eps=1e-8):
    adam = adam_rule(lr, beta1, beta2, eps)
    return lambda theta, g, state, t: adam(theta * (1 - lr * decay), g, state, t)


CASES = {
    "rmsprop": (lambda: optimizers.RMSprop(0.01), rmsprop_rule(0.01)),
    "rmsprop_custom": (lambda: optimizers.RMSprop(0.03, rho=0.8, epsilon=1e-5),
                       rmsprop_rule(0.03, 0.8, 1e-5)),
    "sgd_decay": (lambda: optimizers.SGD(0.01, weight_decay=0.5), with_decay(sgd_rule(0.01), 0.5)),
    "momentum_decay": (lambda: optimizers.SGDMomentum(0.005, 0.8, weight_decay=0.3),
                       with_decay(momentum_rule(0.005, 0.8), 0.3)),
    "adagrad_decay": (lambda: optimizers.AdaGrad(0.3, weight_decay=0.2),
                      with_decay(adagrad_rule(0.3), 0.2)),
    "rmsprop_decay": (lambda: optimizers.RMSprop(0.01, weight_decay=0.1),
                      with_decay(rmsprop_rule(0.01), 0.1)),
    "adam_decay": (lambda: optimizers.Adam(0.05, weight_decay=0.1),
                   with_decay(adam_rule(0.05), 0.1)),
    "adamw": (lambda: optimizers.AdamW(0.05), adamw_rule(0.05, 0.01)),
    "adamw_strong": (lambda: optimizers.AdamW(0.02, 0.8, 0.99, 1e-6, weight_decay=2.0),
                     adamw_rule(0.02, 2.0, 0.8, 0.99, 1e-6)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_matches_formula(backend, name):
    make, rule = CASES[name]
    got = run_smolml(make(), n_objects=2)
    assert_same_trajectory(got, run_numpy(rule, n_objects=2))
    assert not np.allclose(got[-1][0][0], W0)


class SlowRMSprop(optimizers.RMSprop):
    """A subclass that redefines new_value: its rule is followed (not the in-place step)."""

    def new_value(self, param, grad, idx, name):
        return super().new_value(param, grad, idx, name)


def test_rmsprop_new_value_and_in_place_step_agree(backend):
    assert_same_trajectory(run_smolml(SlowRMSprop(0.02, weight_decay=0.1)),
                           run_smolml(optimizers.RMSprop(0.02, weight_decay=0.1)))


def test_defaults_and_state():
    rms = optimizers.RMSprop()
    assert (rms.learning_rate, rms.rho, rms.epsilon, rms.weight_decay) == (0.01, 0.99, 1e-8, 0.0)
    assert set(rms.state) == {"squared_gradients"}
    adamw = optimizers.AdamW()
    assert (adamw.learning_rate, adamw.weight_decay, adamw.epsilon) == (0.01, 0.01, 1e-8)
    assert isinstance(adamw, optimizers.Adam)
    for cls in (optimizers.SGD, optimizers.SGDMomentum, optimizers.AdaGrad, optimizers.Adam):
        assert cls().weight_decay == 0.0
    assert repr(optimizers.SGD(0.5)) == "SGD(learning_rate=0.5)"
    assert repr(optimizers.AdamW(0.1)) == "AdamW(learning_rate=0.1, weight_decay=0.01)"


@pytest.mark.parametrize("make, error", [
    (lambda: optimizers.RMSprop(rho=1.0), ValueError),
    (lambda: optimizers.RMSprop(rho=-0.1), ValueError),
    (lambda: optimizers.RMSprop(rho=math.nan), ValueError),
    (lambda: optimizers.RMSprop(rho="0.9"), TypeError),
    (lambda: optimizers.RMSprop(epsilon=0.0), ValueError),
    (lambda: optimizers.RMSprop(epsilon=-1e-8), ValueError),
    (lambda: optimizers.SGD(weight_decay=-0.1), ValueError),
    (lambda: optimizers.SGD(weight_decay=math.inf), ValueError),
    (lambda: optimizers.SGDMomentum(weight_decay=math.nan), ValueError),
    (lambda: optimizers.Adam(weight_decay=True), TypeError),
    (lambda: optimizers.AdamW(weight_decay=[0.1]), TypeError),
    (lambda: optimizers.AdaGrad(weight_decay="0.1"), TypeError),
])
def test_bad_hyperparameters(make, error):
    with pytest.raises(error, match="rho|epsilon|weight_decay"):
        make()


# ---- schedules: PyTorch's sequences have closed forms

def rates(scheduler, optimizer, epochs=40):
    seen = [optimizer.learning_rate]
    for _ in range(epochs):
        scheduler.step()
        assert scheduler.get_last_lr() == [optimizer.learning_rate]
        seen.append(optimizer.learning_rate)
    return seen


def test_step_lr_closed_form():
    optimizer = optimizers.SGD(0.2)
    got = rates(schedulers.StepLR(optimizer, step_size=7, gamma=0.5), optimizer)
    np.testing.assert_allclose(got, [0.2 * 0.5 ** (t // 7) for t in range(41)], rtol=1e-13)


def test_exponential_lr_closed_form():
    optimizer = optimizers.Adam(0.1)
    got = rates(schedulers.ExponentialLR(optimizer, gamma=0.9), optimizer)
    np.testing.assert_allclose(got, [0.1 * 0.9 ** t for t in range(41)], rtol=1e-13)


@pytest.mark.parametrize("T_max, eta_min", [(40, 0.0), (10, 0.0), (13, 0.003)])
def test_cosine_lr_closed_form(T_max, eta_min):
    optimizer = optimizers.SGD(0.1)
    got = rates(schedulers.CosineAnnealingLR(optimizer, T_max, eta_min), optimizer)
    expected = [eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2
                for t in range(41)]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)
    assert got[T_max] == pytest.approx(eta_min, abs=1e-15)


def test_scheduler_state_dict_resumes():
    optimizer = optimizers.SGD(0.1)
    scheduler = schedulers.CosineAnnealingLR(optimizer, 20)
    for _ in range(5):
        scheduler.step()
    saved = scheduler.state_dict()
    other = schedulers.CosineAnnealingLR(optimizers.SGD(0.1), 20)
    other.load_state_dict(saved)
    other.optimizer.learning_rate = optimizer.learning_rate
    scheduler.step()
    other.step()
    assert other.get_last_lr() == scheduler.get_last_lr() and other.last_epoch == 6


@pytest.mark.parametrize("make, error", [
    (lambda o: schedulers.StepLR(o, 0), ValueError),
    (lambda o: schedulers.StepLR(o, 2.5), ValueError),
    (lambda o: schedulers.StepLR(o, True), ValueError),
    (lambda o: schedulers.StepLR(o, 3, gamma=0.0), ValueError),
    (lambda o: schedulers.ExponentialLR(o, gamma=-0.5), ValueError),
    (lambda o: schedulers.ExponentialLR(o, gamma=math.nan), ValueError),
    (lambda o: schedulers.CosineAnnealingLR(o, 0), ValueError),
    (lambda o: schedulers.CosineAnnealingLR(o, 10, eta_min=-1.0), ValueError),
    (lambda o: schedulers.ExponentialLR(optimizers.SGD, 0.9), TypeError),
    (lambda o: schedulers.ExponentialLR(object(), 0.9), TypeError),
])
def test_bad_scheduler_arguments(make, error):
    with pytest.raises(error):
        make(optimizers.SGD(0.1))


# ---- clipping

def test_clip_grad_norm_against_numpy(backend):
    p = Params()
    (p.weights * p.weights * 3.0).sum().backward()
    (p.biases ** 3).sum().backward()
    g_w, g_b = 6.0 * W0, 3.0 * B0 ** 2
    norm = math.sqrt((g_w ** 2).sum() + (g_b ** 2).sum())
    assert clip_grad_norm([p.weights, p.biases], 100.0) == pytest.approx(norm, rel=1e-12)
    np.testing.assert_allclose(p.weights.grad().numpy(), g_w, rtol=1e-12)     # not clipped
    assert clip_grad_norm((x for x in (p.weights, p.biases)), 1.0) == pytest.approx(norm)
    scale = 1.0 / (norm + 1e-6)
    np.testing.assert_allclose(p.weights.grad().numpy(), g_w * scale, rtol=1e-12)
    np.testing.assert_allclose(p.biases.grad().numpy(), g_b * scale, rtol=1e-12)
    assert clip_grad_norm(p.weights, 1.0) <= 1.0
    # the parameters' numbers and leaves are untouched
    np.testing.assert_array_equal(p.weights.numpy(), W0)


def test_clip_grad_norm_of_zero_gradients(backend):
    p = Params()
    assert clip_grad_norm([p.weights, p.biases], 1.0) == 0.0
    np.testing.assert_array_equal(p.weights.grad().numpy(), np.zeros_like(W0))


@pytest.mark.parametrize("parameters, max_norm, error", [
    ([1.0, 2.0], 1.0, TypeError),
    (5, 1.0, TypeError),
    (None, 1.0, TypeError),
    ("params", 1.0, TypeError),
    ([], 0.0, ValueError),
    ([], -1.0, ValueError),
    ([], math.nan, ValueError),
    ([], "1", TypeError),
    ([], None, TypeError),
])
def test_clip_grad_norm_bad_input(backend, parameters, max_norm, error):
    with pytest.raises(error):
        clip_grad_norm(parameters, max_norm)


def test_clip_grad_norm_needs_grad_mode(backend):
    p = Params()
    (p.weights * 100.0).sum().backward()
    with smolml.no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        clip_grad_norm([p.weights], 1.0)


# ---- log_softmax and cross-entropy on logits against NumPy

def numpy_log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_log_softmax_values_and_gradient(backend):
    z = np.random.default_rng(0).normal(scale=50.0, size=(4, 6))
    x = MLArray(z)
    out = activation.log_softmax(x)
    np.testing.assert_allclose(out.numpy(), numpy_log_softmax(z), rtol=1e-12, atol=1e-12)
    weights = np.random.default_rng(1).normal(size=z.shape)
    (out * MLArray(weights, requires_grad=False)).sum().backward()
    softmax = np.exp(numpy_log_softmax(z))
    expected = weights - softmax * weights.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(x.grad().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_log_softmax_axes_and_scalars(backend):
    z = np.random.default_rng(2).normal(size=(3, 4))
    np.testing.assert_allclose(activation.log_softmax(MLArray(z), axis=0).numpy(),
                               numpy_log_softmax(z.T).T, rtol=1e-12)
    assert float(activation.log_softmax(MLArray(3.0))) == 0.0
    assert float(activation.log_softmax(smolml.Value(-2.0))) == 0.0
    np.testing.assert_allclose(activation.log_softmax([1000.0, 0.0]).numpy(), [0.0, -1000.0])


def numpy_cross_entropy(z, one_hot):
    return -(one_hot * numpy_log_softmax(z)).sum(axis=-1).mean()


def test_cross_entropy_from_logits_against_numpy(backend):
    generator = np.random.default_rng(3)
    z = generator.normal(scale=10.0, size=(8, 5))
    labels = generator.integers(0, 5, size=8)
    one_hot = np.eye(5)[labels]
    x = MLArray(z)
    loss = losses.cross_entropy_from_logits(x, labels)
    assert float(loss) == pytest.approx(numpy_cross_entropy(z, one_hot), rel=1e-12)
    loss.backward()
    softmax = np.exp(numpy_log_softmax(z))
    np.testing.assert_allclose(x.grad().numpy(), (softmax - one_hot) / 8, rtol=1e-10,
                               atol=1e-14)
    assert float(losses.cross_entropy_from_logits(MLArray(z), one_hot)) == float(loss)


def test_cross_entropy_from_logits_stays_exact_where_clipping_fails(backend):
    # the right class 80 below the others: softmax rounds its probability to ~1e-35,
    # the clipped loss tops out at -log(1e-15) ≈ 34.5 and its gradient vanishes
    z = np.array([[0.0, 80.0, 80.0]])
    x = MLArray(z)
    loss = losses.cross_entropy_from_logits(x, [0])
    assert float(loss) == pytest.approx(80.0 + math.log(2.0), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad().numpy(), [[-1.0, 0.5, 0.5]], atol=1e-15)
    clipped = MLArray(z)
    via_softmax = losses.categorical_cross_entropy(activation.softmax(clipped), [[1.0, 0, 0]])
    via_softmax.backward()
    assert float(via_softmax) < 35.0
    assert np.abs(clipped.grad().numpy()).max() == 0.0


@pytest.mark.parametrize("logits, targets, error, match", [
    ([[1.0, 2.0]], [2], ValueError, r"\[0, 2\)"),
    ([[1.0, 2.0]], [-1], ValueError, "integers"),
    ([[1.0, 2.0]], [0.5], ValueError, "integers"),
    ([[1.0, 2.0]], [math.nan], ValueError, "integers"),
    ([[1.0, 2.0], [0.0, 1.0]], [0, 1, 1], ValueError, "do not fit"),
    ([[1.0, 2.0]], [[1.0, 0.0, 0.0]], ValueError, "do not fit"),
    ([[[1.0, 2.0]]], [[0]], ValueError, "shape"),
    (1.0, 0, ValueError, "shape"),
    ([[1.0, 2.0]], "a", TypeError, "class indices"),
    ([[1.0, 2.0]], {0: 1}, TypeError, "class indices"),
])
def test_cross_entropy_from_logits_bad_input(backend, logits, targets, error, match):
    with pytest.raises(error, match=match):
        losses.cross_entropy_from_logits(MLArray(logits), targets)


# ---- Dropout

def test_dropout_masks_repeat_and_agree_across_backends(both_backends):
    x = np.random.default_rng(0).normal(size=(30, 20)) + 5.0
    results = []
    for name in both_backends:
        with smolml.use_backend(name):
            smolml.manual_seed(7)
            layer = Dropout(0.4)
            array = MLArray(x)
            out = layer.forward(array)
            (out * out).sum().backward()
            results.append((out.numpy(), array.grad().numpy(), layer.forward(MLArray(x)).numpy()))
    (out_a, grad_a, next_a), (out_b, grad_b, next_b) = results
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_allclose(grad_a, grad_b, rtol=1e-12)
    np.testing.assert_array_equal(next_a, next_b)
    assert not np.array_equal(out_a != 0, next_a != 0)          # a new mask per call
    kept = out_a != 0
    np.testing.assert_allclose(out_a[kept], x[kept] / 0.6, rtol=1e-15)
    np.testing.assert_allclose(grad_a, 2 * out_a / 0.6, rtol=1e-12)     # d(y²)/dx = 2y·m/(1-p)


def test_dropout_identity_when_not_training_or_p_zero(backend):
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    layer = Dropout(0.9)
    layer.training = False
    assert layer.forward(x) is x
    assert Dropout(0.0).forward(x) is x
    assert Dropout().p == 0.5 and Dropout().training
    assert repr(Dropout(0.25)) == "Dropout(p=0.25)"
    out = Dropout(0.5).forward([[1.0] * 10] * 10)              # lists become data
    assert set(np.unique(out.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("p, error", [(1.0, ValueError), (-0.1, ValueError), (1.5, ValueError),
                                      (math.nan, ValueError), ("0.5", TypeError),
                                      (True, TypeError), (None, TypeError)])
def test_dropout_bad_p(p, error):
    with pytest.raises(error, match="p must be"):
        Dropout(p)


def dropout_network(seed=0, p=0.5):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(3, 8, activation.relu), Dropout(p), DenseLayer(8, 2)],
                         losses.mse_loss, optimizers.SGD(0.05))


X_DATA = np.random.default_rng(5).normal(size=(12, 3))
Y_DATA = np.random.default_rng(6).normal(size=(12, 2))


def test_network_mode_follows_training(backend):
    network = dropout_network()
    assert network.training is False
    with smolml.no_grad():
        a = network.forward(X_DATA).numpy()
        b = network.forward(X_DATA).numpy()
    np.testing.assert_array_equal(a, b)                          # evaluation: no dropout
    network.training = True
    with smolml.no_grad():
        c = network.forward(X_DATA).numpy()
    assert not np.array_equal(a, c)
    network.train(X_DATA, Y_DATA, epochs=2, verbose=False, validation_data=(X_DATA, Y_DATA))
    assert network.training is True                              # restored as it was
    network.training = False
    network.train(X_DATA, Y_DATA, epochs=2, verbose=False)
    assert network.training is False


def test_validation_loss_is_computed_without_dropout(backend):
    network = dropout_network(p=0.7)
    network.train(X_DATA, Y_DATA, epochs=1, verbose=False, validation_data=(X_DATA, Y_DATA))
    with smolml.no_grad():
        expected = float(losses.mse_loss(network.forward(X_DATA), Y_DATA))
    assert network.history["val_loss"] == [pytest.approx(expected, rel=1e-12)]


def test_dropout_training_is_repeatable_and_backend_independent(both_backends):
    histories = []
    for name in both_backends:
        with smolml.use_backend(name):
            network = dropout_network(seed=2)
            histories.append(network.train(X_DATA, Y_DATA, epochs=5, batch_size=4,
                                           verbose=False))
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-9)


def test_save_and_load_with_dropout(backend, tmp_path):
    network = dropout_network(p=0.3)
    network.layers.append(Dropout(0.1))
    path = network.save(tmp_path / "net")
    loaded = NeuralNetwork.load(path)
    assert [type(layer).__name__ for layer in loaded.layers] == \
        ["DenseLayer", "Dropout", "DenseLayer", "Dropout"]
    assert [loaded.layers[1].p, loaded.layers[3].p] == [0.3, 0.1]
    with smolml.no_grad():
        np.testing.assert_array_equal(loaded.forward(X_DATA).numpy(),
                                      network.forward(X_DATA).numpy())
    assert "Dropout(p=0.3)" in repr(loaded)


@pytest.mark.parametrize("positions, rates", [([5], [0.3]), ([1, 1], [0.3, 0.2]),
                                              ([1], [1.0]), ([1, 2], [0.3])])
def test_load_rejects_bad_dropout_entries(tmp_path, positions, rates):
    path = dropout_network().save(tmp_path / "net")
    with np.load(path) as stored:
        contents = dict(stored)
    contents["dropout_positions"] = np.array(positions)
    contents["dropout_rates"] = np.array(rates)
    np.savez(path, **contents)
    with pytest.raises(ValueError, match="Dropout|dropout"):
        NeuralNetwork.load(path)


# ---- train's options

def line_network(seed=0, optimizer=None):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(1, 1)], losses.mse_loss, optimizer or optimizers.SGD(0.1))


X_LINE = [[0.0], [1.0], [2.0], [3.0]]
Y_LINE = [[1.0], [3.0], [5.0], [7.0]]


def test_scheduler_in_train(backend):
    network = line_network()
    scheduler = schedulers.StepLR(network.optimizer, step_size=2, gamma=0.5)
    network.train(X_LINE, Y_LINE, epochs=6, verbose=False, scheduler=scheduler)
    assert network.history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert scheduler.last_epoch == 6 and network.optimizer.learning_rate == 0.0125
    # the same as plain SGD run epoch by epoch at those rates
    other = line_network()
    for rate in network.history["lr"]:
        other.optimizer.learning_rate = rate
        other.train(X_LINE, Y_LINE, epochs=1, verbose=False)
    np.testing.assert_allclose(other.layers[0].weights.numpy(),
                               network.layers[0].weights.numpy(), rtol=1e-12)


def test_clip_grad_norm_in_train_caps_every_step(backend):
    # SGD with lr 1: each step moves the parameters by exactly the clipped gradient
    network = line_network(optimizer=optimizers.SGD(1.0))
    before = [p.numpy() for p in network.parameters()]
    network.train(X_LINE, Y_LINE, epochs=1, verbose=False, clip_grad_norm=0.25)
    moved = math.sqrt(sum(((p.numpy() - b) ** 2).sum()
                          for p, b in zip(network.parameters(), before)))
    assert moved == pytest.approx(0.25, rel=1e-5)


def test_early_stopping_restores_the_best_epoch(backend):
    # the validation targets run the other way: the validation loss is lowest early
    # on and then rises while training fits (X, y)
    X_val, y_val = [[0.0], [3.0]], [[1.0], [-5.0]]
    network = line_network()
    network.train(X_LINE, Y_LINE, epochs=50, verbose=False, validation_data=(X_val, y_val),
                  early_stopping=3)
    history = network.history
    best = int(np.argmin(history["val_loss"])) + 1
    assert history["best_epoch"] == best
    assert history["stopped_epoch"] == best + 3 == len(history["loss"]) < 50
    assert all(v >= history["val_loss"][best - 1] for v in history["val_loss"][best:])
    # the parameters are those after epoch `best`: train a twin for exactly that long
    twin = line_network()
    twin.train(X_LINE, Y_LINE, epochs=best, verbose=False)
    np.testing.assert_allclose(network.layers[0].weights.numpy(),
                               twin.layers[0].weights.numpy(), rtol=1e-12)
    np.testing.assert_allclose(network.layers[0].biases.numpy(),
                               twin.layers[0].biases.numpy(), rtol=1e-12)


def test_early_stopping_that_never_triggers(backend):
    network = line_network()
    network.train(X_LINE, Y_LINE, epochs=10, verbose=False, validation_data=(X_LINE, Y_LINE),
                  early_stopping=5)
    assert network.history["stopped_epoch"] is None
    assert network.history["best_epoch"] == 10          # still improving at the end
    plain = line_network()
    plain.train(X_LINE, Y_LINE, epochs=10, verbose=False)
    assert plain.history["best_epoch"] is None and plain.history["stopped_epoch"] is None


@pytest.mark.parametrize("options, error, match", [
    ({"early_stopping": 3}, ValueError, "validation_data"),
    ({"early_stopping": 0, "validation_data": (X_LINE, Y_LINE)}, ValueError, "early_stopping"),
    ({"early_stopping": 2.5, "validation_data": (X_LINE, Y_LINE)}, ValueError, "early_stopping"),
    ({"early_stopping": True, "validation_data": (X_LINE, Y_LINE)}, ValueError,
     "early_stopping"),
    ({"clip_grad_norm": 0.0}, ValueError, "clip_grad_norm"),
    ({"clip_grad_norm": -1.0}, ValueError, "clip_grad_norm"),
    ({"clip_grad_norm": math.nan}, ValueError, "clip_grad_norm"),
    ({"clip_grad_norm": "1"}, TypeError, "clip_grad_norm"),
    ({"scheduler": 0.5}, TypeError, "scheduler"),
    ({"scheduler": schedulers.ExponentialLR(optimizers.SGD(0.1), 0.9)}, ValueError,
     "another optimizer"),
])
def test_bad_training_options(backend, options, error, match):
    network = line_network()
    before = network.layers[0].weights.numpy()
    with pytest.raises(error, match=match):
        network.train(X_LINE, Y_LINE, epochs=3, verbose=False, **options)
    np.testing.assert_array_equal(network.layers[0].weights.numpy(), before)    # no step ran
