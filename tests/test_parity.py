"""The same program on `engine` and `pure` gives the same values and gradients.

Hypothesis builds random programs from the whole op set (elementwise with
broadcasting, unary, reductions over every axis, matmul, movement, indexing), runs
each on both backends from the same numbers, and compares every intermediate value
and every input's gradient to a relative 1e-9.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import smolml

RTOL = 1e-9

BINARY = ["add", "sub", "mul", "div", "pow"]
UNARY = ["exp", "log", "log1p", "sqrt", "abs", "tanh", "relu", "sigmoid", "neg", "clip"]
REDUCE = ["sum", "mean", "max", "min", "std"]
MOVE = ["transpose", "reshape", "flatten", "index", "slice", "T"]


def apply(op, args, a, b):
    """One step of a program; operands are MLArrays of the active backend."""
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / (b * b + 1.0)            # keep denominators away from 0
    if op == "pow":
        return (a.abs() + 0.5) ** b.tanh()  # positive base, bounded exponent
    if op == "exp":
        return a.tanh().exp()
    if op == "log":
        return (a.abs() + 0.5).log()
    if op == "log1p":
        return (a.abs() - 0.5).log1p()      # arguments above -1, some near 0
    if op == "sqrt":
        return (a.abs() + 0.5).sqrt()
    if op == "abs":
        return a.abs()
    if op == "tanh":
        return a.tanh()
    if op == "relu":
        return a.relu()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "neg":
        return -a
    if op == "clip":
        return a.clip(-0.5, 0.5)
    if op in REDUCE:
        axis, keepdims = args
        if axis is not None:
            axis = axis % a.ndim if a.ndim else None
        return getattr(a, op)(axis=axis, keepdims=keepdims)
    if op == "matmul":
        if a.ndim == 0:
            return a * b
        if a.ndim == 1:
            return a @ a
        return a @ a.transpose(*range(a.ndim - 2), a.ndim - 1, a.ndim - 2)
    if op == "transpose":
        return a.transpose()
    if op == "T":
        return a.T
    if op == "reshape":
        return a.reshape(-1, 1)
    if op == "flatten":
        return a.flatten()
    if op == "index":
        return a[0] if a.ndim else a
    if op == "slice":
        return a[::2] if a.ndim else a
    raise AssertionError(op)


@st.composite
def programs(draw):
    ndim = draw(st.integers(0, 3))
    base = tuple(draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        # Broadcast-compatible with `base`: drop some leading axes, set some to 1.
        drop = draw(st.integers(0, ndim))
        shape = tuple(1 if draw(st.booleans()) else d for d in base[drop:])
        shapes.append(shape)
    inputs = [np.array(draw(st.lists(st.floats(-2, 2, allow_nan=False, width=64),
                                     min_size=int(np.prod(s)), max_size=int(np.prod(s)))),
                       dtype=np.float64).reshape(s) for s in shapes]
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(BINARY + UNARY + REDUCE + MOVE + ["matmul"]))
        args = (draw(st.sampled_from([None, 0, 1, 2, -1])), draw(st.booleans()))
        picks = (draw(st.integers(0, 99)), draw(st.integers(0, 99)))
        steps.append((op, args, picks))
    return inputs, steps


def run(backend, inputs, steps):
    """Run a program; returns every value made and every input's gradient, as ndarrays."""
    with smolml.use_backend(backend):
        leaves = [smolml.MLArray(x) for x in inputs]
        pool = list(leaves)
        for op, args, (i, j) in steps:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            try:
                pool.append(apply(op, args, a, b))
            except (ValueError, IndexError) as error:   # shapes that don't combine: same on both
                pool.append(a)
                pool_errors.append(f"{type(error).__name__}: {error}")
        loss = pool[-1].sum() if pool[-1].ndim else pool[-1]
        loss.backward()
        values = [p.numpy() for p in pool]
        grads = [leaf.grad().numpy() for leaf in leaves]
    return values, grads


pool_errors = []


def assert_close(x, y):
    finite = np.abs(x[np.isfinite(x)])
    scale = max(1.0, float(finite.max()) if finite.size else 1.0)
    assert x.shape == y.shape
    np.testing.assert_allclose(x, y, rtol=RTOL, atol=RTOL * scale, equal_nan=True)


@st.composite
def programs_with_empty_inputs(draw):
    """A program whose first input has a zero-size dimension."""
    inputs, steps = draw(programs())
    shape = list(inputs[0].shape)
    if shape:
        shape[draw(st.integers(0, len(shape) - 1))] = 0
        inputs[0] = np.zeros(shape)
    return inputs, steps


@st.composite
def programs_with_special_values(draw):
    """A program whose first input holds a nan, ±inf, -0.0 or a huge number."""
    inputs, steps = draw(programs())
    x = inputs[0].copy().reshape(-1)
    if x.size:
        x[draw(st.integers(0, x.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 1e300]))
    inputs[0] = x.reshape(inputs[0].shape)
    return inputs, steps


# The same 150 programs on every run, so the suite passes or fails alike everywhere;
# SMOLML_PARITY_RANDOM=1 draws new ones each run (how maintainers hunt for
# disagreements: a found program is saved in .hypothesis/ and replayed until fixed).
SETTINGS = settings(max_examples=150, deadline=None,
                    derandomize=os.environ.get("SMOLML_PARITY_RANDOM") != "1",
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@SETTINGS
@given(programs())
def test_random_programs_agree(both_backends, program):
    check_program_agrees(program)


@SETTINGS
@given(programs_with_empty_inputs())
def test_programs_on_empty_arrays_agree(both_backends, program):
    # an input that reaches the output only through an empty array gets no gradient
    # on pure, and 0 times its partials on the engine: nan where a partial is inf
    # (sqrt at 0, in std of a constant), the case check_program_agrees describes
    check_program_agrees(program, finite_gradients_only=True)


@pytest.mark.filterwarnings("ignore:.*encountered in (matmul|dot):RuntimeWarning")  # as NumPy's @
@SETTINGS
@given(programs_with_special_values())
def test_programs_on_nan_and_inf_agree(both_backends, program):
    check_program_agrees(program, finite_gradients_only=True)


def check_program_agrees(program, finite_gradients_only=False):
    """Both backends give the same values and errors; the same gradients too, or, with
    `finite_gradients_only`, the same gradients wherever both are finite.

    That exception is for nan/inf inputs and empty arrays: an array-level rule
    multiplies a zero gradient by a nan or inf partial and gets nan (as PyTorch does),
    where the pure backend's element-level graph never visits an element that did not
    reach the output."""
    inputs, steps = program
    pool_errors.clear()
    engine_values, engine_grads = run("engine", inputs, steps)
    engine_errors = list(pool_errors)
    pool_errors.clear()
    pure_values, pure_grads = run("pure", inputs, steps)
    assert engine_errors == pool_errors
    assert len(engine_values) == len(pure_values)
    for x, y in zip(engine_values, pure_values):
        assert_close(x, y)
    for x, y in zip(engine_grads, pure_grads):
        if finite_gradients_only:
            both = np.isfinite(x) & np.isfinite(y)
            x, y = x[both], y[both]
        assert_close(x, y)


@pytest.mark.parametrize("make", [
    lambda: [[1.0, 2.0], [3.0]],                 # ragged
    lambda: [[1.0, "a"]],                        # non-numeric
])
def test_construction_errors_agree(both_backends, make):
    messages = []
    for name in both_backends:
        with smolml.use_backend(name):
            with pytest.raises((ValueError, TypeError)) as info:
                smolml.MLArray(make())
            messages.append((info.type, str(info.value)))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("action", [
    lambda a, b: a + b,                          # (2, 3) with (4,)
    lambda a, b: a @ b,
    lambda a, b: a.sum(axis=3),
    lambda a, b: a.reshape(5, 5),
    lambda a, b: a[2, 0],
    lambda a, b: a.transpose(0, 0),
    lambda a, b: len(a.sum()),
    lambda a, b: a.__setitem__(0, [1.0, 2.0]),
    lambda a, b: a.update_values(b),
    lambda a, b: float(a),
    lambda a, b: a.clip("low", None),
    lambda a, b: type(a).ensure_array(object()),
    lambda a, b: smolml.MLArray(np.array([1j])),
    lambda a, b: smolml.Value("2"),
    lambda a, b: a[1.5],
    lambda a, b: a.max(axis=0)[()] + a[0:0].max(),
])
def test_operation_errors_agree(both_backends, action):
    messages = []
    for name in both_backends:
        with smolml.use_backend(name):
            a = smolml.MLArray(np.arange(6.0).reshape(2, 3))
            b = smolml.MLArray(np.arange(4.0))
            with pytest.raises(Exception) as info:
                action(a, b)
            messages.append((info.type, str(info.value)))
    assert messages[0] == messages[1]


def test_mixing_backends_is_a_type_error(both_backends):
    with smolml.use_backend("engine"):
        e = smolml.MLArray([1.0, 2.0])
        ev = smolml.Value(1.0)
    with smolml.use_backend("pure"):
        p = smolml.MLArray([1.0, 2.0])
        pv = smolml.Value(1.0)
    for left, right in [(e, p), (p, e), (ev, pv), (pv, ev), (e, pv), (ev, p)]:
        with pytest.raises(TypeError, match="cannot mix"):
            left + right


def test_requires_grad_false_detaches_on_both(both_backends):
    grads = []
    for name in both_backends:
        with smolml.use_backend(name):
            v = smolml.Value(3.0)
            tracked = smolml.MLArray([v, 2.0])
            detached = smolml.MLArray([v, 2.0], requires_grad=False)
            (tracked.sum() * 2.0 + detached.sum()).backward()
            untracked_root = smolml.MLArray([1.0], requires_grad=False).sum()
            untracked_root.backward()
            grads.append((v.grad, detached.requires_grad, untracked_root.grad().to_list()))
    assert grads[0] == grads[1] == (2.0, False, 0.0)
