"""Grad mode is per thread on both backends, as PyTorch's: no_grad in one thread leaves
the others recording, a new thread starts recording, two threads training their own
networks get the single-threaded results; set_backend sets the default later threads see,
use_backend stays local to its context."""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import smolml
from smolml import MLArray, no_grad
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers

from test_grad_mode_threads import TIMEOUT, run_in_threads as run_bodies

X_DATA = np.array([[0.5, -1.0, 0.3], [1.2, 0.4, -0.7], [-0.3, 0.8, 0.9],
                   [0.0, -0.5, 1.5], [0.9, 0.9, -0.2], [-1.1, 0.2, 0.4]])
Y_DATA = np.array([[0.3, -0.1], [0.8, 0.5], [-0.4, 0.2], [0.1, 0.9], [0.6, -0.6], [-0.9, 0.0]])


def run_in_threads(backend, *targets):
    """Run each target in its own thread under `backend`; re-raise the first error."""
    def under_backend(target):
        def body():
            with smolml.use_backend(backend):
                target()
        return body

    run_bodies(*[under_backend(target) for target in targets])


def network(seed):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(3, 8, activation.tanh), DenseLayer(8, 2)],
                         losses.mse_loss, optimizers.Adam(learning_rate=0.05))


def parameters(net):
    return [(layer.weights.numpy(), layer.biases.numpy()) for layer in net.layers]


def test_two_threads_training_their_own_networks_match_the_sequential_runs(backend):
    # The networks are built (the RNG drawn) in this thread; training without shuffling
    # draws nothing, so each run depends on its own network only.
    epochs = 150
    expected = []
    for seed in (0, 1):
        net = network(seed)
        history = net.train(X_DATA, Y_DATA, epochs=epochs, batch_size=2, shuffle=False,
                            verbose=False)
        expected.append((history, parameters(net)))

    nets = [network(0), network(1)]
    results = [None, None]
    start = threading.Barrier(2)

    def trainer(i):
        def train():
            start.wait(TIMEOUT)
            history = nets[i].train(X_DATA, Y_DATA, epochs=epochs, batch_size=2,
                                    shuffle=False, verbose=False)
            results[i] = (history, parameters(nets[i]))
        return train

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)         # switch threads often: inside each other's steps
    try:
        run_in_threads(backend, trainer(0), trainer(1))
    finally:
        sys.setswitchinterval(interval)
    for (history, params), (expected_history, expected_params) in zip(results, expected):
        assert history == expected_history
        for (w, b), (ew, eb) in zip(params, expected_params):
            np.testing.assert_array_equal(w, ew)
            np.testing.assert_array_equal(b, eb)


def test_no_grad_in_one_thread_does_not_stop_another_from_recording(backend):
    inside = threading.Event()
    done = threading.Event()
    seen = {}

    def evaluator():
        with no_grad():
            inside.set()
            assert done.wait(TIMEOUT)
            seen["evaluator"] = smolml.is_grad_enabled()

    def learner():
        assert inside.wait(TIMEOUT)
        try:
            seen["learner"] = smolml.is_grad_enabled()
            x = MLArray([[1.0, -2.0], [0.5, 3.0]])
            (x * x).sum().backward()
            seen["grad"] = x.grad().numpy()
        finally:
            done.set()

    run_in_threads(backend, evaluator, learner)
    assert seen["evaluator"] is False
    assert seen["learner"] is True
    np.testing.assert_array_equal(seen["grad"], 2 * np.array([[1.0, -2.0], [0.5, 3.0]]))


def test_overlapping_no_grad_blocks_in_two_threads_leave_grad_mode_on(backend):
    # a enters, b enters, a leaves, b leaves: with one shared flag b would restore the
    # "off" it saw on entering, for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    after = {}

    def a():
        with no_grad():
            a_in.set()
            assert b_in.wait(TIMEOUT)
        after["a"] = smolml.is_grad_enabled()
        a_out.set()

    def b():
        assert a_in.wait(TIMEOUT)
        with no_grad():
            b_in.set()
            assert a_out.wait(TIMEOUT)
        after["b"] = smolml.is_grad_enabled()

    run_in_threads(backend, a, b)
    assert after == {"a": True, "b": True}
    assert smolml.is_grad_enabled()
    x = MLArray([2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad().numpy(), [4.0, 6.0])


def test_one_no_grad_decorator_shared_by_two_threads(backend):
    # One instance, entered in two threads that leave in the other order than they came.
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    shared = no_grad()
    after = {}

    def first():
        with shared:
            first_in.set()
            assert second_in.wait(TIMEOUT)
        after["first"] = smolml.is_grad_enabled()
        first_out.set()

    def second():
        assert first_in.wait(TIMEOUT)
        with shared:
            second_in.set()
            assert first_out.wait(TIMEOUT)
            after["second inside"] = smolml.is_grad_enabled()
        after["second"] = smolml.is_grad_enabled()

    run_in_threads(backend, first, second)
    assert after == {"first": True, "second inside": False, "second": True}


def test_a_thread_started_inside_no_grad_records(backend):
    seen = []
    with no_grad():
        run_in_threads(backend, lambda: seen.append(smolml.is_grad_enabled()))
        assert not smolml.is_grad_enabled()
    assert seen == [True]


SCRIPT = textwrap.dedent("""
    import threading
    import smolml

    def backend_in_new_thread():
        seen = []
        thread = threading.Thread(target=lambda: seen.append(smolml.get_backend()))
        thread.start()
        thread.join()
        return seen[0]

    other = {"engine": "pure", "pure": "engine"}[smolml.get_backend()]
    with smolml.use_backend(other):
        print("use_backend", smolml.get_backend(), backend_in_new_thread())
    smolml.set_backend(other)
    print("set_backend", smolml.get_backend(), backend_in_new_thread())
    with smolml.use_backend(other):
        smolml.set_backend(other)
    print("after block", smolml.get_backend())
    print("start", other)
""")


def test_set_backend_is_seen_by_threads_started_later_and_use_backend_is_not():
    if len(smolml.BACKENDS) < 2 or not smolml._backend.engine_available():
        pytest.skip("needs both backends")
    env = dict(os.environ)
    env.pop("SMOLML_BACKEND", None)
    output = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=TIMEOUT, env=env, check=True).stdout.split("\n")
    other = output[3].split()[1]
    default = {"engine": "pure", "pure": "engine"}[other]
    assert output[0] == f"use_backend {other} {default}"
    assert output[1] == f"set_backend {other} {other}"
    assert output[2] == f"after block {other}"
