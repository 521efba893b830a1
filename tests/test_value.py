"""Value: every op's result and gradient against closed forms, finite differences and
NumPy float64; IEEE special cases; comparisons; repr; deep graphs; grad tracking."""
import gc
import math

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value

from helpers import same_float, value_numeric_grad

# name, value op, float function, (d/da, d/db) closed forms
BINARY = [
    ("+", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    ("-", lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    ("*", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    ("/", lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2)),
    ("**", lambda a, b: a ** b, lambda a, b: a ** b,
     lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
]
BINARY_POINTS = [(1.5, 2.5), (0.7, -1.3), (3.0, 0.5), (2.0, 3.0)]

# name, method, float function, derivative closed form
UNARY = [
    ("neg", lambda v: -v, lambda x: -x, lambda x: -1.0),
    ("exp", lambda v: v.exp(), math.exp, math.exp),
    ("log", lambda v: v.log(), math.log, lambda x: 1 / x),
    ("log1p", lambda v: v.log1p(), math.log1p, lambda x: 1 / (1 + x)),
    ("sqrt", lambda v: v.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x)),
    ("abs", lambda v: v.abs(), abs, lambda x: math.copysign(1.0, x)),
    ("ReLU", lambda v: v.relu(), lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0),
    ("tanh", lambda v: v.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    ("sigmoid", lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x)),
     lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
]
UNARY_POINTS = [0.3, 1.7, 2.5]            # positive: valid for log and sqrt
SIGNED_POINTS = [-1.2, -0.4, 0.6, 2.2]    # for ops defined on all reals


@pytest.mark.parametrize("name, op, f, df", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("a, b", BINARY_POINTS)
def test_binary_value_and_grad(backend, name, op, f, df, a, b):
    if name == "**" and a <= 0:
        pytest.skip("log(a) undefined")
    x, y = Value(a), Value(b)
    out = op(x, y)
    assert out._op == name
    assert out._prev == (x, y)
    assert same_float(out.data, f(a, b))
    out.backward()
    da, db = df(a, b)
    assert same_float(x.grad, da, rel=1e-12)
    assert same_float(y.grad, db, rel=1e-12)
    assert x.grad == pytest.approx(value_numeric_grad(lambda t: f(t, b), a), rel=1e-6)
    assert y.grad == pytest.approx(value_numeric_grad(lambda t: f(a, t), b), rel=1e-6)


@pytest.mark.parametrize("name, op, f, df", BINARY, ids=[b[0] for b in BINARY])
def test_binary_with_numbers_both_ways(backend, name, op, f, df):
    a, b = 1.5, 2.5
    x = Value(a)
    left = op(x, b)
    assert same_float(left.data, f(a, b))
    left.backward()
    assert same_float(x.grad, df(a, b)[0])
    y = Value(b)
    right = op(a, y)
    assert same_float(right.data, f(a, b))
    right.backward()
    assert same_float(y.grad, df(a, b)[1])
    # the number is the first parent of a reflected op: order is kept
    assert right._prev[1] is y
    assert right._prev[0].data == a


@pytest.mark.parametrize("name, method, f, df", UNARY, ids=[u[0] for u in UNARY])
def test_unary_value_and_grad(backend, name, method, f, df):
    points = UNARY_POINTS if name in ("log", "log1p", "sqrt") else SIGNED_POINTS
    for a in points:
        x = Value(a)
        out = method(x)
        assert out._op == name
        assert out._prev == (x,)
        assert same_float(out.data, f(a))
        out.backward()
        assert same_float(x.grad, df(a), rel=1e-12)
        assert x.grad == pytest.approx(value_numeric_grad(f, a), rel=1e-6, abs=1e-9)


def test_unary_ops_match_numpy(backend):
    xs = [-3.0, -0.5, 0.0, 0.5, 3.0, 40.0]
    checks = [
        (lambda v: v.exp(), np.exp), (lambda v: v.tanh(), np.tanh),
        (lambda v: v.abs(), np.abs), (lambda v: abs(v), np.abs),
        (lambda v: v.relu(), lambda x: np.maximum(x, 0.0)),
        (lambda v: v.sigmoid(), lambda x: 1.0 / (1.0 + np.exp(-x))),
        (lambda v: -v, np.negative),
    ]
    for method, oracle in checks:
        for x in xs:
            assert same_float(method(Value(x)).data, oracle(np.float64(x)), rel=1e-15)


def test_pow_gradients(backend):
    a, b = Value(2.0), Value(3.0)
    (a ** b).backward()
    assert a.grad == pytest.approx(12.0)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))
    # a ** 0 does not depend on a, even at a == 0
    z = Value(0.0)
    (z ** 0).backward()
    assert z.grad == 0.0
    # a number exponent: only the base gets a gradient, a negative base is fine
    n = Value(-2.0)
    (n ** 3).backward()
    assert n.grad == pytest.approx(12.0)
    # d/db = a**b * log(a) is 0 * -inf = nan at a == 0: IEEE, on both backends
    base, exponent = Value(0.0), Value(2.0)
    (base ** exponent).backward()
    assert base.grad == 0.0
    assert math.isnan(exponent.grad)
    # 2 ** x: d/dx = 2**x * log 2
    x = Value(1.5)
    (2 ** x).backward()
    assert x.grad == pytest.approx(2 ** 1.5 * math.log(2))


def test_derivative_at_kinks(backend):
    for method in (lambda v: v.abs(), lambda v: v.relu()):
        x = Value(0.0)
        method(x).backward()
        assert x.grad == 0.0
    x = Value(-2.0)
    x.relu().backward()
    assert x.grad == 0.0


IEEE_BINARY = [
    ("/", 1.0, 0.0), ("/", -1.0, 0.0), ("/", 0.0, 0.0), ("/", 1.0, -0.0),
    ("/", float("nan"), 0.0), ("/", float("inf"), 0.0), ("/", 1e308, 1e-10),
    ("**", -8.0, 1 / 3), ("**", 0.0, -1.0), ("**", -0.0, -1.0), ("**", -0.0, -2.0),
    ("**", 0.0, -0.5), ("**", 10.0, 400.0), ("**", -10.0, 401.0), ("**", -10.0, 400.0),
    ("**", 2.0, -1080.0), ("**", 0.0, 0.0), ("**", float("inf"), -1.0), ("**", -1.0, 0.5),
    ("**", float("nan"), 0.0), ("**", 1.0, float("nan")), ("**", -2.0, float("inf")),
    ("+", 1e308, 1e308), ("+", float("inf"), float("-inf")), ("-", float("inf"), float("inf")),
    ("*", 1e200, 1e200), ("*", 0.0, float("inf")), ("*", -1e200, 1e200),
]


@pytest.mark.parametrize("op, a, b", IEEE_BINARY)
def test_ieee_binary_like_numpy(backend, op, a, b):
    ops = {"/": lambda x, y: x / y, "**": lambda x, y: x ** y, "+": lambda x, y: x + y,
           "-": lambda x, y: x - y, "*": lambda x, y: x * y}
    with np.errstate(all="ignore"):
        expected = ops[op](np.float64(a), np.float64(b))
    assert same_float(ops[op](Value(a), Value(b)).data, expected)
    assert same_float(ops[op](Value(a), b).data, expected)
    assert same_float(ops[op](a, Value(b)).data, expected)


IEEE_UNARY = [
    ("log", 0.0), ("log", -0.0), ("log", -1.0), ("log", float("inf")), ("log", float("-inf")),
    ("log", float("nan")), ("log1p", -1.0), ("log1p", -2.0), ("log1p", -0.0),
    ("log1p", 1e-300), ("log1p", float("inf")), ("log1p", float("nan")), ("sqrt", -1.0), ("sqrt", -0.0), ("sqrt", float("-inf")),
    ("sqrt", float("inf")), ("exp", 1000.0), ("exp", -1000.0), ("exp", float("inf")),
    ("exp", float("-inf")), ("exp", float("nan")), ("tanh", 1000.0), ("tanh", -1000.0),
    ("tanh", float("inf")), ("sigmoid", 1000.0), ("sigmoid", -1000.0),
    ("sigmoid", float("inf")), ("sigmoid", float("-inf")), ("sigmoid", float("nan")),
    ("abs", float("-inf")), ("relu", float("nan")), ("relu", float("-inf")),
    ("relu", float("inf")),
]
NUMPY_UNARY = {
    "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt, "exp": np.exp, "tanh": np.tanh,
    "abs": np.abs, "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
}


@pytest.mark.parametrize("op, x", IEEE_UNARY)
def test_ieee_unary_like_numpy(backend, op, x):
    with np.errstate(all="ignore"):
        expected = NUMPY_UNARY[op](np.float64(x))
    result = getattr(Value(x), op)()
    assert type(result.data) is float
    assert same_float(result.data, expected)


def test_ieee_gradients_are_not_errors(backend):
    # 1/x at 0: derivative -1/x² = -inf; log at 0: 1/x = inf; sqrt at 0: 0.5/0 = inf
    x = Value(0.0)
    (1 / x).backward()
    assert x.grad == float("-inf")
    y = Value(0.0)
    y.log().backward()
    assert y.grad == float("inf")
    z = Value(0.0)
    z.sqrt().backward()
    assert z.grad == float("inf")
    big = Value(1000.0)
    big.exp().backward()
    assert big.grad == float("inf")
    t = Value(1000.0)
    t.tanh().backward()
    assert t.grad == 0.0
    s = Value(-1000.0)
    s.sigmoid().backward()
    assert s.grad == 0.0


def test_comparisons(backend):
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert not (a > b) and not (a >= b)
    assert a < 1.5 and a <= 1 and a >= 1 and a > 0.5
    assert 1.5 > a and 0 < a and 1 <= a and 3 >= b   # reflected
    assert a <= Value(1.0) and a >= Value(1.0)
    # == compares the numbers, as SmolML's does; the hash stays identity
    c = Value(1.0)
    assert a == c and not (a != c) and a != b and not (a == b)
    assert a == 1.0 and 1 == a and a != 2 and 2.0 != a and a == np.float64(1.0)
    assert len({a, c}) == 2 and {a: 1, c: 2}[c] == 2
    assert a in [Value(5.0), Value(1.0)] and c not in {a}


def test_equality_with_other_types_is_false_not_an_error(backend):
    v = Value(1.0)
    assert v != "1.0" and not (v == None) and v != [1.0]  # noqa: E711


def test_counting_equal_predictions_as_smolml_programs_do(backend):
    predictions = [Value(float(p)) for p in (1, 0, 1, 1, 0)]
    targets = [1.0, 0.0, 0.0, 1.0, 1.0]
    expected = sum(int(p.data == t) for p, t in zip(predictions, targets))
    assert sum(p == t for p, t in zip(predictions, targets)) == expected == 3
    assert MLArray([[1.0, 6.0], [2.0, 3.0]]).max().data == 6.0


def test_repr_and_float(backend):
    v = Value(2.0)
    assert repr(v) == "Value(data=2.0, grad=0.0)"
    (v * 3).backward()
    assert repr(v) == "Value(data=2.0, grad=3.0)"
    assert float(Value(2.5)) == 2.5
    assert repr(Value(-1)) == "Value(data=-1.0, grad=0.0)"


def test_construction_and_attributes(backend):
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0 and v._prev == () and v._op == "" and v.requires_grad
    assert Value(True).data == 1.0
    assert type(Value(np.float32(1.5)).data) is float
    assert type(Value(np.int64(7)).data) is float
    assert +v is v
    v.data = 5.0
    v.grad = 2.0
    assert (v.data, v.grad) == (5.0, 2.0)


def test_seed_micro_example(backend):
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    d = a * b
    y = d + c
    assert d._op == "*" and d._prev == (a, b)
    assert y._op == "+" and y._prev == (d, c)
    y.backward()
    assert (y.data, y.grad, d.grad, c.grad, a.grad, b.grad) == (10.0, 1.0, 1.0, 1.0, 3.0, 2.0)


def test_shared_node_gradients_add_up(backend):
    x = Value(3.0)
    y = x * x + x          # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0
    u = Value(0.5)
    h = u.tanh()
    z = h * h * h          # d/du = 3 tanh² (1 - tanh²)
    z.backward()
    t = math.tanh(0.5)
    assert u.grad == pytest.approx(3 * t ** 2 * (1 - t ** 2), rel=1e-14)


def test_deep_chain_backward(backend):
    x = Value(1.0)
    y = x
    for i in range(100_000):
        y = y * 1.00001 if i % 2 else y + 0.5
    y.backward()
    assert x.grad == pytest.approx(1.00001 ** 50_000, rel=1e-9)


def test_leaves_accumulate_interiors_restart(backend):
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    d = a * b
    y = d + c
    y.backward()
    y.backward()
    assert a.grad == 6.0 and b.grad == 4.0 and c.grad == 2.0   # leaves: twice
    assert d.grad == 1.0 and y.grad == 1.0                      # interior: once
    a.grad = 0.0
    y.backward()
    assert a.grad == 3.0
    leaf = Value(3.0)           # backward from a leaf: it accumulates its own seed too
    leaf.backward()
    leaf.backward()
    assert leaf.grad == 2.0


def test_requires_grad(backend):
    a = Value(2.0, requires_grad=False)
    b = Value(3.0)
    y = a * b
    assert y.requires_grad and y._prev == (a, b)
    y.backward()
    assert a.grad == 0.0 and b.grad == 2.0
    frozen = a * Value(5.0, requires_grad=False)
    assert not frozen.requires_grad
    assert frozen._prev == () and frozen._op == ""
    assert frozen.data == 10.0


def test_no_grad(backend):
    a = Value(2.0)
    assert smolml.is_grad_enabled()
    with smolml.no_grad():
        assert not smolml.is_grad_enabled()
        y = a * a + 1
        assert y.data == 5.0
        assert y._prev == () and y._op == "" and not y.requires_grad
    assert smolml.is_grad_enabled()
    z = a * a
    assert z._prev == (a, a)

    @smolml.no_grad()
    def evaluate(v):
        return v.exp()

    assert evaluate(a)._prev == ()
    assert smolml.is_grad_enabled()


def test_no_grad_restores_after_exception(backend):
    with pytest.raises(RuntimeError):
        with smolml.no_grad():
            raise RuntimeError("boom")
    assert smolml.is_grad_enabled()
    assert (Value(1.0) + 1)._prev != ()


def test_not_implemented_for_other_types(backend):
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        None * Value(1.0)
    with pytest.raises(TypeError):
        Value(1.0) < "a"


def test_graphs_hold_no_reference_cycles(backend):
    # nodes point only to their parents: dropping the output frees the whole graph by
    # reference counting, with nothing left for the cyclic collector
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5)
        y = x
        for _ in range(1000):
            y = (y * 1.01 + x).tanh()
        y.backward()
        arr = smolml.MLArray([[1.0, 2.0], [3.0, 4.0]])
        loss = (arr @ arr.T).relu().mean()
        loss.backward()
        del x, y, arr, loss
        assert gc.collect() == 0
    finally:
        gc.enable()
