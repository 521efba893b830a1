"""`x @ W + b`: the engine adds the bias into the product's buffer when the product is
a temporary. Whatever the engine does, values and gradients must be those of the plain
formula (NumPy closed forms here), and a product someone holds must not change."""
import numpy as np
import pytest

import smolml
from smolml import MLArray

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
W = np.array([[0.2, -0.4], [0.6, 0.1], [-0.3, 0.8]])


@pytest.mark.parametrize("bias_shape", [(2,), (1, 2), (2, 2)])
@pytest.mark.parametrize("bias_first", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_linear_layer_values_and_gradients(backend, bias_shape, bias_first, dtype):
    bias = np.arange(1.0, 1.0 + np.prod(bias_shape)).reshape(bias_shape) / 4
    x = MLArray(X, requires_grad=False, dtype=dtype)
    w = MLArray(W, dtype=dtype)
    b = MLArray(bias, dtype=dtype)
    z = b + x @ w if bias_first else x @ w + b
    loss = (z * z).sum()
    loss.backward()
    z_expected = X @ W + bias
    g = 2.0 * z_expected
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(z.numpy(), z_expected, rtol=rtol)
    np.testing.assert_allclose(w.grad().numpy(), X.T @ g, rtol=rtol)
    np.testing.assert_allclose(b.grad().numpy(), g.sum(axis=0).reshape(bias_shape)
                               if bias_shape != (2, 2) else g, rtol=rtol)
    assert z.dtype == dtype


def test_a_held_product_is_left_alone(backend):
    x = MLArray(X, requires_grad=False)
    w = MLArray(W)
    b = MLArray([1.0, -1.0])
    product = x @ w
    z = product + b
    np.testing.assert_allclose(product.numpy(), X @ W, rtol=1e-12)
    np.testing.assert_allclose(z.numpy(), X @ W + [1.0, -1.0], rtol=1e-12)
    (z.sum() + product.sum()).backward()
    np.testing.assert_allclose(w.grad().numpy(), 2.0 * X.T @ np.ones((2, 2)), rtol=1e-12)
    np.testing.assert_allclose(b.grad().numpy(), [2.0, 2.0], rtol=1e-12)


def test_the_engine_makes_one_node(backend):
    if backend != "engine":
        pytest.skip("fusion is the engine's")
    x = MLArray(X, requires_grad=False)
    w, b = MLArray(W), MLArray([1.0, -1.0])
    z = x @ w + b
    assert z._op == "linear" and z._prev == (x, w, b)
    product = x @ w
    assert (product + b)._op == "+" and product._op == "matmul"
    with smolml.no_grad():
        assert (x @ w + b)._op == ""
    assert (x @ w + MLArray([1.0, -1.0], dtype="float32"))._op == "+"   # mixed dtypes


def test_a_bias_that_needs_no_gradient(backend):
    x = MLArray(X, requires_grad=False)
    w = MLArray(W)
    b = MLArray([1.0, -1.0], requires_grad=False)
    (x @ w + b).sum().backward()
    np.testing.assert_allclose(w.grad().numpy(), X.T @ np.ones((2, 2)), rtol=1e-12)
    np.testing.assert_array_equal(b.grad().numpy(), [0.0, 0.0])


def test_a_named_product_keeps_its_numbers_when_a_bias_is_added(backend):
    """`p = x @ W; q = p + b`: p is a named local, so the bias must go into a new buffer,
    on every interpreter (from CPython 3.14 a local can sit at reference count 1 while
    it is read, so the engine asks the interpreter whether p is a temporary)."""
    def layer(x, w, b):
        p = x @ w
        q = p + b
        r = b + p
        return p, q, r

    x = MLArray(X, requires_grad=False)
    w = MLArray(W)
    b = MLArray([1.0, -1.0])
    for _ in range(3):              # warm the specializing interpreter up
        p, q, r = layer(x, w, b)
        np.testing.assert_allclose(p.numpy(), X @ W, rtol=1e-12)
        np.testing.assert_allclose(q.numpy(), X @ W + [1.0, -1.0], rtol=1e-12)
        np.testing.assert_allclose(r.numpy(), X @ W + [1.0, -1.0], rtol=1e-12)
    if backend == "engine":
        assert p._op == "matmul"
