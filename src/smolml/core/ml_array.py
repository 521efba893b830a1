"""`MLArray`: an N-dimensional array of Values, with NumPy's broadcasting and shape rules."""
from smolml import _backend
from smolml.core._dispatch import BackendClass


class MLArray(metaclass=BackendClass):
    """An N-dimensional array whose operations build the autograd graph, of the active backend.

    `MLArray([[1.0, 2.0], [3.0, 4.0]])`; elementwise `+ - * / **` broadcast as in NumPy,
    `@` is NumPy's matmul; reductions `sum mean max min std` take `axis` and `keepdims`;
    `loss.backward()` then `w.grad()` gives dloss/dw as an MLArray of w's shape.
    `MLArray(data, dtype=smolml.float32)` holds float32 numbers (float64 is the default);
    `a += b` under `smolml.no_grad()` updates a in place.
    """


def zeros(*shape, dtype=None):
    """MLArray of zeros: `zeros(2, 3)` or `zeros((2, 3))`; `dtype` float32 or float64
    (None: `smolml.get_default_dtype()`)."""
    return _backend.active_module().zeros(*shape, dtype=dtype)


def ones(*shape, dtype=None):
    """MLArray of ones: `ones(2, 3)` or `ones((2, 3))`; `dtype` as for zeros."""
    return _backend.active_module().ones(*shape, dtype=dtype)


def randn(*shape, dtype=None):
    """MLArray of standard normal draws (seeded by `smolml.manual_seed`), drawn as
    float64 and rounded to `dtype` (as for zeros)."""
    return _backend.active_module().randn(*shape, dtype=dtype)
