"""The core guide's examples run unchanged and give the analytic gradients."""
import math

import numpy as np

from smolml.core.ml_array import MLArray
from smolml.core.value import Value


def test_guide_mlarray_example(backend):
    # Input data (a batch of 2 samples, 2 features each)
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    # Weights (a linear layer mapping 2 features to 1 output)
    w = MLArray([[0.5], [-0.5]])

    z = x @ w
    a = z.tanh()
    L = a.sum()
    L.backward()

    x_grad = x.grad()
    w_grad = w.grad()

    # L = Σ_i tanh(z_i), z = x w; dL/dz_i = 1 - tanh²(z_i)
    x_np = np.array([[1.0, 2.0], [3.0, 4.0]])
    w_np = np.array([[0.5], [-0.5]])
    z_np = x_np @ w_np
    dz = 1 - np.tanh(z_np) ** 2
    assert isinstance(x_grad, MLArray) and isinstance(w_grad, MLArray)
    assert x_grad.shape == (2, 2) and w_grad.shape == (2, 1)
    assert np.allclose(x_grad.numpy(), dz @ w_np.T, rtol=1e-12)       # dL/dx = dz wᵀ
    assert np.allclose(w_grad.numpy(), x_np.T @ dz, rtol=1e-12)       # dL/dw = xᵀ dz
    assert math.isclose(L.data.data, float(np.tanh(z_np).sum()), rel_tol=1e-12)
    assert "MLArray" in str(x_grad)


def test_guide_value_example(backend):
    a = Value(2.0)
    b = Value(3.0)
    c = Value(4.0)
    d = a * b
    y = d + c
    assert d._op == "*" and set(d._prev) == {a, b}
    assert y._op == "+" and set(y._prev) == {d, c}
    y.backward()
    assert y.data == 10.0
    assert y.grad == 1.0
    assert d.grad == 1.0 and c.grad == 1.0
    assert a.grad == 3.0 and b.grad == 2.0


def test_guide_matrix_construction(backend):
    my_matrix = MLArray([[1.0, 2.0], [3.0, 4.0]])
    assert all(isinstance(v, Value) for row in my_matrix.data for v in row)
    assert my_matrix.shape == (2, 2) and my_matrix.size() == 4
    assert my_matrix.to_list() == [[1.0, 2.0], [3.0, 4.0]]
