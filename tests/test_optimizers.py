"""Optimizers: 40-step trajectories against the update formulas written out in NumPy."""
import numpy as np
import pytest

import smolml
from helpers import adam_rule
from smolml import MLArray
from smolml.utils import optimizers

STEPS = 40
A = np.array([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]])
T = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
U = np.array([[0.5, -0.5, 1.0]])
W0 = np.array([[0.2, -0.1, 0.4], [-0.3, 0.8, 0.0]])
B0 = np.array([[1.5, 0.3, -0.7]])


class Params:
    """Anything with named MLArray parameters can be optimized (SmolML's protocol)."""

    def __init__(self, offset=0.0):
        self.weights = MLArray(W0 + offset)
        self.biases = MLArray(B0 - offset)


def smolml_loss(p):
    # Σ A·(W − T)² + Σ (b − u)⁴: the gradient changes along the way, so the
    # trajectory depends on every detail of the update rule.
    diff = p.weights - MLArray(T, requires_grad=False)
    shifted = p.biases - MLArray(U, requires_grad=False)
    return (MLArray(A, requires_grad=False) * diff * diff).sum() + (shifted ** 4).sum()


def numpy_grads(w, b):
    return 2 * A * (w - T), 4 * (b - U) ** 3


def run_smolml(optimizer, n_objects=1):
    objects = [Params(offset=0.1 * k) for k in range(n_objects)]
    trajectory = []
    for _ in range(STEPS):
        loss = sum((smolml_loss(p) for p in objects[1:]), smolml_loss(objects[0]))
        loss.backward()
        for idx, p in enumerate(objects):
            returned = optimizer.update(p, idx, param_names=("weights", "biases"))
            assert returned[0] is p.weights and returned[1] is p.biases
        for p in objects:
            p.weights.restart()
            p.biases.restart()
        trajectory.append([(p.weights.numpy(), p.biases.numpy()) for p in objects])
    return trajectory


def run_numpy(rule, n_objects=1):
    """rule(params, grads, state, t) -> new params; state is a dict per parameter."""
    params = [[W0 + 0.1 * k, B0 - 0.1 * k] for k in range(n_objects)]
    states = [[{}, {}] for _ in range(n_objects)]
    trajectory = []
    for t in range(1, STEPS + 1):
        grads = [numpy_grads(*p) for p in params]
        for k in range(n_objects):
            for j in range(2):
                params[k][j] = rule(params[k][j], grads[k][j], states[k][j], t)
        trajectory.append([(w.copy(), b.copy()) for w, b in params])
    return trajectory


def sgd_rule(lr):
    def rule(theta, g, state, t):
        return theta - lr * g
    return rule


def momentum_rule(lr, beta):
    def rule(theta, g, state, t):
        state["v"] = beta * state.get("v", 0.0) + lr * g
        return theta - state["v"]
    return rule


def adagrad_rule(lr, eps=1e-8):
    def rule(theta, g, state, t):
        state["G"] = state.get("G", 0.0) + g ** 2
        return theta - lr * g / np.sqrt(state["G"] + eps)
    return rule


CASES = {
    "sgd": (lambda: optimizers.SGD(learning_rate=0.01), sgd_rule(0.01)),
    "momentum": (lambda: optimizers.SGDMomentum(learning_rate=0.005, momentum_coefficient=0.8),
                 momentum_rule(0.005, 0.8)),
    "momentum_default": (lambda: optimizers.SGDMomentum(learning_rate=0.002),
                         momentum_rule(0.002, 0.9)),
    "adagrad": (lambda: optimizers.AdaGrad(learning_rate=0.3), adagrad_rule(0.3)),
    "adam": (lambda: optimizers.Adam(learning_rate=0.05), adam_rule(0.05)),
    "adam_custom": (lambda: optimizers.Adam(0.02, exp_decay_gradients=0.8, exp_decay_squared=0.99,
                                            epsilon=1e-6),
                    adam_rule(0.02, 0.8, 0.99, 1e-6)),
}


def assert_same_trajectory(got, expected):
    for step, (got_step, expected_step) in enumerate(zip(got, expected)):
        for (w, b), (w_ref, b_ref) in zip(got_step, expected_step):
            np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-12, err_msg=f"step {step + 1}")
            np.testing.assert_allclose(b, b_ref, rtol=1e-9, atol=1e-12, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_matches_formula(backend, name):
    make, rule = CASES[name]
    got = run_smolml(make())
    assert_same_trajectory(got, run_numpy(rule))
    # the parameters really moved
    assert not np.allclose(got[-1][0][0], W0)


@pytest.mark.parametrize("name", ["momentum", "adagrad", "adam"])
def test_state_is_per_object_and_t_is_per_step(backend, name):
    # Three objects updated per step: state must stay apart, and Adam's t must count
    # steps (1, 2, 3, ...), not update calls (1, 4, 7, ...).
    make, rule = CASES[name]
    optimizer = make()
    got = run_smolml(optimizer, n_objects=3)
    assert_same_trajectory(got, run_numpy(rule, n_objects=3))
    assert optimizer.step_count == STEPS


def test_explicit_begin_step_matches_detection(backend):
    detected = optimizers.Adam(learning_rate=0.05)
    explicit = optimizers.Adam(learning_rate=0.05)
    a, b = Params(), Params()
    for _ in range(5):
        for p, optimizer in ((a, detected), (b, explicit)):
            smolml_loss(p).backward()
            if optimizer is explicit:
                optimizer.begin_step()
            optimizer.update(p, 0)
            optimizer.update(p, 1, param_names=("biases",))
            p.weights.restart()
            p.biases.restart()
    assert detected.step_count == explicit.step_count == 5
    assert explicit.timestep == 5
    np.testing.assert_array_equal(a.weights.numpy(), b.weights.numpy())
    np.testing.assert_array_equal(a.biases.numpy(), b.biases.numpy())


def test_state_layout(backend):
    optimizer = optimizers.Adam()
    p = Params()
    smolml_loss(p).backward()
    optimizer.update(p, 0)
    assert set(optimizer.gradients_momentum) == {0}
    assert set(optimizer.gradients_momentum[0]) == {"weights", "biases"}
    assert optimizer.squared_gradients_momentum[0]["weights"].shape == (2, 3)
    assert set(optimizer.state) == {"gradients_momentum", "squared_gradients_momentum"}
    assert optimizers.SGD().state == {}
    assert set(optimizers.SGDMomentum().state) == {"velocities"}
    assert set(optimizers.AdaGrad().state) == {"squared_gradients"}


def test_update_keeps_parameters_leaves(backend):
    p = Params()
    optimizer = optimizers.SGDMomentum(learning_rate=0.1)
    for _ in range(3):
        smolml_loss(p).backward()
        optimizer.update(p, 0)
        assert p.weights.requires_grad
        p.weights.restart()
        p.biases.restart()
    # a fresh backward still reaches the (updated, same) parameter arrays
    smolml_loss(p).backward()
    expected_w, _ = numpy_grads(p.weights.numpy(), p.biases.numpy())
    np.testing.assert_allclose(p.weights.grad().numpy(), expected_w, rtol=1e-12)
    # the optimizer's state is plain data, outside any graph
    assert not optimizer.velocities[0]["weights"].requires_grad


def test_update_runs_under_no_grad_even_if_enabled(backend):
    p = Params()
    smolml_loss(p).backward()
    assert smolml.is_grad_enabled()
    optimizers.Adam().update(p, 0)
    assert smolml.is_grad_enabled()


def test_defaults():
    assert optimizers.Optimizer().learning_rate == 0.01
    adam = optimizers.Adam(0.001)
    assert (adam.learning_rate, adam.exp_decay_gradients, adam.exp_decay_squared, adam.epsilon) == \
        (0.001, 0.9, 0.999, 1e-8)
    assert optimizers.SGDMomentum().momentum_coefficient == 0.9
    assert repr(optimizers.SGD(0.5)) == "SGD(learning_rate=0.5)"
    with pytest.raises(NotImplementedError):
        optimizers.Optimizer().update(Params(), 0)
