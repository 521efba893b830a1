"""`MLArray`: an N-dimensional array of Values, with NumPy's broadcasting and shape rules."""
from smolml import _backend
from smolml.core._dispatch import BackendClass


class MLArray(metaclass=BackendClass):
    """An N-dimensional array whose operations build the autograd graph, of the active backend.

    `MLArray([[1.0, 2.0], [3.0, 4.0]])`; elementwise `+ - * / **` broadcast as in NumPy,
    `@` is NumPy's matmul; reductions `sum mean max min std` take `axis` and `keepdims`;
    `loss.backward()` then `w.grad()` gives dloss/dw as an MLArray of w's shape.
    """


def zeros(*shape):
    """MLArray of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _backend.active_module().zeros(*shape)


def ones(*shape):
    """MLArray of ones: `ones(2, 3)` or `ones((2, 3))`."""
    return _backend.active_module().ones(*shape)


def randn(*shape):
    """MLArray of standard normal draws (seeded by `smolml.manual_seed`)."""
    return _backend.active_module().randn(*shape)
