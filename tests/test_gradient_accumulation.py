"""Gradients that reach one array along several paths add up, whatever the order the
rules run in: matmul writes straight into a gradient that is still all zeros, so these
tests mix it with every other kind of writer (a second matmul, an elementwise op, an
element handle, a previous backward call) and compare with the closed form."""
import numpy as np
import pytest

import smolml
from smolml import MLArray

X_NUMBERS = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]])
W_NUMBERS = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])


def expected_w_grad(calls):
    """d/dW of sum(X@W) + sum(2·X@W) + 3·W[0,1] + sum(W·W), `calls` backward calls."""
    once = 3.0 * X_NUMBERS.T @ np.ones((3, 3)) + 2.0 * W_NUMBERS
    once[0, 1] += 3.0
    return calls * once


def loss_of(X, W, handle_first, handle=None):
    handle = W.data[0][1] if handle is None else handle
    parts = [(X @ W).sum(), ((X @ W) * 2.0).sum(), (W * W).sum()]
    if handle_first:
        return MLArray(handle * 3.0) + parts[0] + parts[1] + parts[2]
    return parts[2] + parts[0] + parts[1] + MLArray(handle * 3.0)


@pytest.mark.parametrize("handle_first", [True, False])
@pytest.mark.parametrize("calls", [1, 2])
def test_every_path_adds_to_a_shared_weight(backend, handle_first, calls):
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    for _ in range(calls):
        loss_of(X, W, handle_first).backward()
    np.testing.assert_allclose(W.grad().numpy(), expected_w_grad(calls), rtol=1e-12)


def test_a_handle_kept_across_restarts_still_adds(backend):
    # the handle is made once and outlives restart(), as in a loop that keeps handles
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    handle = W.data[0][1]
    for handle_first in (True, False):
        W.restart()
        loss_of(X, W, handle_first, handle).backward()
        np.testing.assert_allclose(W.grad().numpy(), expected_w_grad(1), rtol=1e-12)


def test_after_restart_the_gradient_starts_from_zero(backend):
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    loss_of(X, W, True).backward()
    W.restart()
    loss_of(X, W, False).backward()
    np.testing.assert_allclose(W.grad().numpy(), expected_w_grad(1), rtol=1e-12)


def test_a_gradient_set_through_a_handle_is_kept(backend):
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    W.zero_grad()
    W.data[1][2].grad = 5.0             # written by hand before backward
    (X @ W).sum().backward()
    expected = X_NUMBERS.T @ np.ones((3, 3))
    expected[1, 2] += 5.0
    np.testing.assert_allclose(W.grad().numpy(), expected, rtol=1e-12)


def test_interior_matmul_inputs_get_fresh_gradients_each_call(backend):
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    V = MLArray(W_NUMBERS.T)
    hidden = (X @ W).tanh()
    out = (hidden @ V).sum()
    out.backward()
    out.backward()                      # leaves accumulate; the interior is recomputed
    t = np.tanh(X_NUMBERS @ W_NUMBERS)
    d_hidden = np.ones((3, 2)) @ W_NUMBERS
    expected_w = 2.0 * X_NUMBERS.T @ (d_hidden * (1.0 - t * t))
    np.testing.assert_allclose(W.grad().numpy(), expected_w, rtol=1e-12)
    np.testing.assert_allclose(hidden.grad().numpy(), d_hidden, rtol=1e-12)


# ---- a zeroed gradient reads as zeros however it is next touched

def test_after_restart_every_reader_sees_zeros(backend):
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    loss_of(X, W, True).backward()
    W.restart()
    assert np.array_equal(W.grad().numpy(), np.zeros((2, 3)))
    assert W.data[1][2].grad == 0.0
    assert float(W[0, 1].grad()) == 0.0


def test_a_partial_write_after_restart_keeps_the_rest_zero(backend):
    W = MLArray(W_NUMBERS)
    (W * W).sum().backward()                 # every element gets 2w
    W.restart()
    W[0].sum().backward()                    # only row 0 gets a gradient now
    expected = np.zeros((2, 3))
    expected[0] = 1.0
    np.testing.assert_array_equal(W.grad().numpy(), expected)


def test_an_interior_node_that_gets_nothing_reads_zero(backend):
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    hidden = (X @ W).tanh()
    used = hidden.sum()
    used.backward()                          # hidden's gradient: ones
    unused = hidden * 2.0                    # a branch the next loss does not use
    (X @ W).sum().backward()                 # a new graph: hidden is not in it
    np.testing.assert_array_equal(hidden.grad().numpy(), np.ones((3, 3)))
    assert np.array_equal(unused.grad().numpy(), np.zeros((3, 3)))


# ---- an elementwise rule writes straight into a gradient that is still all zeros

UNARY_DERIVATIVES = {
    "tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "relu": lambda x: (x > 0).astype(float),
    "sigmoid": lambda x: np.exp(-x) / (1.0 + np.exp(-x)) ** 2,
    "exp": np.exp,
}


@pytest.mark.parametrize("name", sorted(UNARY_DERIVATIVES))
@pytest.mark.parametrize("unary_first", [True, False])
def test_an_activation_and_another_path_add_up(backend, name, unary_first):
    # W feeds an activation and a product; whichever rule runs first, the sum is right,
    # in a first backward (fresh gradient), a second one (accumulating) and after restart
    W = MLArray(W_NUMBERS)
    activation = lambda: getattr(W, name)().sum()           # noqa: E731
    product = lambda: (W * 3.0).sum()                        # noqa: E731
    once = UNARY_DERIVATIVES[name](W_NUMBERS) + 3.0
    for calls, restart in ((1, False), (2, False), (1, True)):
        if restart:
            W.restart()
        parts = [activation(), product()] if unary_first else [product(), activation()]
        (parts[0] + parts[1]).backward()
        np.testing.assert_allclose(W.grad().numpy(), calls * once, rtol=1e-12)


def test_an_interior_activation_input_is_overwritten_each_call(backend):
    # (x @ W)'s gradient is recycled between calls: the tanh rule must not add the old one
    X = MLArray(X_NUMBERS, requires_grad=False)
    W = MLArray(W_NUMBERS)
    pre = X @ W
    loss = (pre.tanh() * 2.0).sum()
    for _ in range(2):
        loss.backward()
        t = np.tanh(X_NUMBERS @ W_NUMBERS)
        np.testing.assert_allclose(pre.grad().numpy(), 2.0 * (1.0 - t * t), rtol=1e-12)
