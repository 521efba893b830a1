"""A Ctrl-C (a real SIGINT) that lands while train is updating the layers never leaves
them at different steps. Oracle: the same network trained, uninterrupted, for the
number of steps that completed."""
import os
import signal
import threading

import numpy as np
import pytest

import smolml
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers

X = np.array([[0.5, -1.0], [1.2, 0.4], [-0.3, 0.8], [0.0, -0.5], [0.9, 0.1]])
Y = np.array([[0.3], [0.8], [-0.4], [0.1], [0.5]])


def network(optimizer):
    smolml.manual_seed(0)
    return NeuralNetwork([DenseLayer(2, 4, activation.tanh), DenseLayer(4, 3, activation.tanh),
                          DenseLayer(3, 1)], losses.mse_loss, optimizer)


def parameters(net):
    return [array for layer in net.layers for array in (layer.weights.numpy(),
                                                         layer.biases.numpy())]


def send_sigint_now():
    os.kill(os.getpid(), signal.SIGINT)


def send_sigint_from_a_thread():
    main = threading.main_thread().ident
    sender = threading.Thread(target=signal.pthread_kill, args=(main, signal.SIGINT))
    sender.start()
    sender.join()


class InterruptingAdam(optimizers.Adam):
    """Adam that sends SIGINT right after writing chosen parameters at one step, and
    counts how many times each layer's weights and biases were written."""

    def __init__(self, at_step, after, send):
        super().__init__(learning_rate=0.05)
        self.at_step, self.after, self.send = at_step, after, send
        self.writes = {}

    def step_parameter(self, param, grad, idx, name):
        super().step_parameter(param, grad, idx, name)
        self.writes[idx, name] = self.writes.get((idx, name), 0) + 1
        if self.step_count == self.at_step and (idx, name) in self.after:
            self.send()


@pytest.fixture
def default_sigint():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("send", [send_sigint_now, send_sigint_from_a_thread])
@pytest.mark.parametrize("after", [
    [(0, "weights"), (1, "weights")],       # both presses in one step's updates
    [(0, "biases"), (2, "weights")],
    [(1, "weights"), (1, "biases")],
])
def test_second_ctrl_c_during_the_updates_finishes_them(backend, default_sigint, send, after):
    optimizer = InterruptingAdam(at_step=3, after=after, send=send)
    net = network(optimizer)
    history = net.train(X, Y, epochs=10, verbose=False)
    # every parameter of every layer was written at the same number of steps: three
    assert set(optimizer.writes.values()) == {3}
    assert len(history) == 3 and optimizer.step_count == 3
    reference = network(optimizers.Adam(learning_rate=0.05))
    expected_history = reference.train(X, Y, epochs=3, verbose=False)
    np.testing.assert_allclose(history, expected_history, rtol=1e-12)
    for got, expected in zip(parameters(net), parameters(reference)):
        np.testing.assert_array_equal(got, expected)


def test_second_ctrl_c_outside_the_updates_still_interrupts_at_once(backend, default_sigint):
    calls = []

    def loss(y_pred, y_true):
        calls.append(1)
        if len(calls) == 2:
            send_sigint_now()            # first press: stop after this step
            send_sigint_now()            # second press, in the loss: stop now
        return losses.mse_loss(y_pred, y_true)

    net = network(optimizers.Adam(learning_rate=0.05))
    net.loss_function = loss
    history = net.train(X, Y, epochs=10, verbose=False)
    reference = network(optimizers.Adam(learning_rate=0.05))
    reference.train(X, Y, epochs=1, verbose=False)      # step 2 was abandoned
    assert len(history) == 1
    for got, expected in zip(parameters(net), parameters(reference)):
        np.testing.assert_array_equal(got, expected)


def test_the_handler_is_restored(backend, default_sigint):
    network(optimizers.SGD(0.1)).train(X, Y, epochs=2, verbose=False)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
