"""smolml.no_grad as a context manager and as a decorator, on both backends, and for a
backend that is first loaded inside the block."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value, _backend
from smolml.utils.optimizers import SGD


def graph_parents(x):
    """The parents x records: `_prev` of a Value or engine array; for a pure array
    (whose elements are the nodes) the parents of all its elements."""
    if hasattr(x, "_prev"):
        return tuple(x._prev)
    parents = ()
    for element in MLArray.flatten(x, x.data) if x.ndim else [x.data]:
        parents += tuple(element._prev)
    return parents


def assert_no_graph(x):
    assert graph_parents(x) == ()
    assert x.requires_grad is False
    if isinstance(x, Value):
        assert x._op == ""


def build(a, v):
    return [a * 2.0 + a, (a @ a.T).tanh().sum(), a[0], v * v + 1.0, (v - 3.0).exp()]


def test_context_manager(backend):
    a = MLArray([[1.0, 2.0], [3.0, 4.0]])
    v = Value(1.5)
    with smolml.no_grad():
        assert smolml.is_grad_enabled() is False
        for result in build(a, v):
            assert_no_graph(result)
    assert smolml.is_grad_enabled() is True
    for result in build(a, v):
        assert graph_parents(result) != ()
        assert result.requires_grad is True


def test_decorator(backend):
    a = MLArray([1.0, -2.0])

    @smolml.no_grad()
    def predict(x):
        assert smolml.is_grad_enabled() is False
        return (x * 3.0).relu()

    out = predict(a)
    assert_no_graph(out)
    assert out.to_list() == [3.0, 0.0]
    assert predict.__name__ == "predict"
    assert smolml.is_grad_enabled() is True
    assert graph_parents((a * 3.0).relu()) != ()        # outside the call: recording again


def test_decorated_function_calling_itself_restores_grad_mode(backend):
    @smolml.no_grad()
    def countdown(n, x):
        assert smolml.is_grad_enabled() is False
        return x if n == 0 else countdown(n - 1, x + 1.0)

    assert_no_graph(countdown(3, Value(0.0)))
    assert smolml.is_grad_enabled() is True


def test_nested_blocks_and_exceptions(backend):
    with smolml.no_grad():
        with smolml.no_grad():
            pass
        assert smolml.is_grad_enabled() is False
    assert smolml.is_grad_enabled() is True
    with pytest.raises(ZeroDivisionError):
        with smolml.no_grad():
            1 / 0
    assert smolml.is_grad_enabled() is True


def test_covers_both_backends_at_once(both_backends):
    with smolml.no_grad():
        for name in both_backends:
            with smolml.use_backend(name):
                assert_no_graph(Value(2.0) * Value(3.0))
                assert_no_graph(MLArray([1.0, 2.0]) * 2.0)


def test_optimizer_style_update_builds_no_graph(backend):
    X = MLArray([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]], requires_grad=False)
    w = MLArray([[0.1], [-0.2]])
    (X @ w).sum().backward()
    grad = w.grad()
    np.testing.assert_allclose(grad.numpy(), [[3.5], [1.0]])   # Xᵀ·1 by hand
    with smolml.no_grad():
        new_w = w - 0.1 * grad
        assert_no_graph(new_w)
        w.update_values(new_w)
    np.testing.assert_allclose(w.numpy(), [[0.1 - 0.35], [-0.2 - 0.1]])
    assert graph_parents(w) == () and w.requires_grad   # still the same trainable leaf

    # the library's optimizers do the same: the parameter stays a leaf
    class Layer:
        pass
    layer = Layer()
    layer.weights = MLArray([[1.0, 2.0]])
    (layer.weights * layer.weights).sum().backward()
    SGD(learning_rate=0.25).update(layer, 0, param_names=("weights",))
    np.testing.assert_allclose(layer.weights.numpy(), [[1.0 - 0.5, 2.0 - 1.0]])
    assert graph_parents(layer.weights) == ()


def test_gradient_still_flows_after_the_block(backend):
    x = Value(2.0)
    with smolml.no_grad():
        frozen = x * 10.0
    y = x * x + frozen
    y.backward()
    assert x.grad == 4.0            # frozen contributes nothing
    assert frozen.grad == 0.0


def test_backend_first_loaded_inside_the_block(monkeypatch, backend):
    other = "pure" if backend == "engine" else "engine"
    if other == "engine" and not _backend.engine_available():
        pytest.skip("the engine is not built")
    # make `other` look never loaded, as in a program that has only used `backend`
    monkeypatch.delitem(_backend._modules, other)
    with smolml.no_grad():
        with smolml.use_backend(other):
            assert smolml.is_grad_enabled() is False
            assert_no_graph(Value(1.0) * 2.0)
            assert_no_graph(MLArray([1.0, 2.0]).exp())
    with smolml.use_backend(other):
        assert smolml.is_grad_enabled() is True
        assert graph_parents(Value(1.0) * 2.0) != ()


PROGRAM = """
import smolml
from smolml import _backend
loaded_before = sorted(m.NAME for m in _backend.loaded_modules())
with smolml.no_grad():
    with smolml.use_backend({other!r}):
        inside = smolml.Value(1.0) * 2.0
with smolml.use_backend({other!r}):
    after = smolml.Value(1.0) * 2.0
print(loaded_before, len(inside._prev), len(after._prev))
"""


def test_backend_first_loaded_inside_the_block_in_a_fresh_process():
    if not _backend.engine_available():
        pytest.skip("the engine is not built")
    for first, other in (("engine", "pure"), ("pure", "engine")):
        env = dict(os.environ, SMOLML_BACKEND=first)
        run = subprocess.run([sys.executable, "-c", textwrap.dedent(PROGRAM.format(other=other))],
                             env=env, capture_output=True, text=True, check=True)
        assert run.stdout.split() == [f"['{first}']", "0", "2"], run.stdout + run.stderr
