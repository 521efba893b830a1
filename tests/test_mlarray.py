"""MLArray: construction, conversions, elementwise and unary ops, matmul, movement and
reductions, all against NumPy float64."""
import math

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value

from helpers import assert_close

A23 = [[1.0, -2.0, 3.5], [0.5, 4.0, -1.5]]


# ---------------------------------------------------------------- construction

@pytest.mark.parametrize("data, shape", [
    (3.0, ()), (7, ()), (True, ()), ([1, 2, 3], (3,)), ((1, 2), (2,)),
    ([[1, 2], [3, 4], [5, 6]], (3, 2)), ([(1, 2), (3, 4)], (2, 2)),
    ([[[1], [2]], [[3], [4]]], (2, 2, 1)), ([], (0,)), ([[], []], (2, 0)), ([[]], (1, 0)),
])
def test_construct_from_python(backend, data, shape):
    arr = MLArray(data)
    expected = np.array(data, dtype=np.float64)
    assert arr.shape == shape == expected.shape
    assert arr.ndim == expected.ndim
    assert arr.size() == expected.size
    assert_close(arr, expected)
    assert arr.to_list() == expected.tolist()
    assert arr.requires_grad


@pytest.mark.parametrize("make", [
    lambda: np.arange(12, dtype=np.int64).reshape(3, 4),
    lambda: np.arange(12, dtype=np.int32).reshape(3, 4).T,              # non-contiguous
    lambda: np.arange(24, dtype=np.float64).reshape(2, 3, 4)[:, ::2, 1:],
    lambda: np.array([True, False, True]),
    lambda: np.arange(6, dtype=np.uint8),
    lambda: np.linspace(0, 1, 5, dtype=np.float32),
    lambda: np.zeros((0, 3)),
    lambda: np.zeros((2, 0, 4)),
    lambda: np.float64(2.5),
    lambda: np.array(4.0),
    lambda: np.int16(-3),
])
def test_construct_from_numpy(backend, make):
    source = make()
    arr = MLArray(source)
    expected = np.asarray(source, dtype=np.float64)
    assert arr.shape == expected.shape
    out = arr.numpy()
    # a float32 ndarray keeps its dtype (tests/test_dtype.py); everything else is float64
    assert out.dtype == (np.float32 if source.dtype == np.float32 else np.float64)
    assert_close(out, expected, rtol=0, atol=0)
    assert_close(np.asarray(arr), expected, rtol=0, atol=0)


def test_numpy_is_a_copy(backend):
    source = np.array([1.0, 2.0])
    arr = MLArray(source)
    source[0] = 9.0
    assert arr.to_list() == [1.0, 2.0]
    out = arr.numpy()
    out[1] = 9.0
    assert arr.to_list() == [1.0, 2.0]
    assert np.asarray(arr, dtype=np.float32).dtype == np.float32


def test_construct_from_values_and_arrays_stays_connected(backend):
    v1, v2 = Value(2.0), Value(3.0)
    arr = MLArray([v1, v2])
    assert arr.to_list() == [2.0, 3.0]
    (arr * arr).sum().backward()
    assert (v1.grad, v2.grad) == (4.0, 6.0)

    base = MLArray([[1.0, 2.0], [3.0, 4.0]])
    stacked = MLArray([base, base * 2])
    assert stacked.shape == (2, 2, 2)
    assert stacked.to_list() == [[[1, 2], [3, 4]], [[2, 4], [6, 8]]]
    stacked.sum().backward()
    assert base.grad().to_list() == [[3.0, 3.0], [3.0, 3.0]]

    copy = MLArray(base)
    assert copy.to_list() == base.to_list()
    base.zero_grad()
    (copy * 5).sum().backward()
    assert base.grad().to_list() == [[5.0, 5.0], [5.0, 5.0]]
    mixed = MLArray([[v1, 1.0], [2, base[0, 0]]])
    assert mixed.to_list() == [[2.0, 1.0], [2.0, 1.0]]


def test_constructed_copy_is_not_a_view(backend):
    base = MLArray([1.0, 2.0])
    copy = MLArray(base)
    copy.update_values([5.0, 6.0])
    assert base.to_list() == [1.0, 2.0]


def test_data_yields_values(backend):
    arr = MLArray([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(arr.data, list) and isinstance(arr.data[0], list)
    element = arr.data[1][0]
    assert isinstance(element, Value) and element.data == 3.0
    arr.data[0][1].data = 5.0                  # writing an element writes the array
    assert arr.to_list() == [[1.0, 5.0], [3.0, 4.0]]
    scalar = MLArray(2.0)
    assert isinstance(scalar.data, Value) and scalar.data.data == 2.0
    loss = (arr * arr).sum()
    assert isinstance(loss.data.data, float)
    loss.backward()
    assert arr.data[0][1].grad == 10.0


def test_len_iter_float_repr(backend):
    arr = MLArray(A23)
    assert len(arr) == 2
    rows = list(arr)
    assert len(rows) == 2 and all(isinstance(r, MLArray) for r in rows)
    assert rows[1].to_list() == A23[1]
    assert float(MLArray([[2.5]])) == 2.5
    assert float(MLArray(1.5)) == 1.5
    assert repr(MLArray([[1.0, 2.0], [3.0, 4.0]])) == (
        "MLArray(shape=(2, 2), data=[[1.0, 2.0],\n"
        "                            [3.0, 4.0]])")
    assert repr(MLArray(2)) == "MLArray(shape=(), data=2.0)"
    assert repr(MLArray([])) == "MLArray(shape=(0,), data=[])"
    assert repr(MLArray([1, 2])) == "MLArray(shape=(2,), data=[1.0, 2.0])"


def test_to_list_of_0d_is_float(backend):
    assert MLArray(3).to_list() == 3.0
    assert type(MLArray(3).to_list()) is float


def test_zeros_ones_randn(backend):
    assert smolml.zeros(2, 3).to_list() == [[0.0] * 3] * 2
    assert smolml.ones((3,)).to_list() == [1.0] * 3
    assert smolml.zeros(()).shape == ()
    assert smolml.ones(0, 2).shape == (0, 2)
    r = smolml.randn(40, 50)
    values = r.numpy()
    assert r.shape == (40, 50)
    assert abs(values.mean()) < 0.1 and 0.9 < values.std() < 1.1
    assert r.requires_grad


def test_nbytes_grows_with_size(backend):
    small, large = smolml.zeros(2, 2).nbytes, smolml.zeros(20, 20).nbytes
    assert 0 < small < large
    assert large >= 400 * 8    # at least one float64 per element


# ---------------------------------------------------------------- elementwise

BINARY_OPS = {
    "+": (lambda a, b: a + b, np.add),
    "-": (lambda a, b: a - b, np.subtract),
    "*": (lambda a, b: a * b, np.multiply),
    "/": (lambda a, b: a / b, np.divide),
    "**": (lambda a, b: a ** b, np.power),
}
BROADCAST_PAIRS = [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)),
                   ((2, 1, 3), (4, 1)), ((0, 3), (1, 3))]


def _operands(shape_a, shape_b, positive=False):
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 2.0, shape_a) if positive else rng.uniform(-2, 2, shape_a)
    b = rng.uniform(0.5, 2.0, shape_b)
    return np.asarray(a), np.asarray(b)


@pytest.mark.parametrize("op", list(BINARY_OPS))
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_elementwise_vs_numpy(backend, op, shapes):
    mine, theirs = BINARY_OPS[op]
    a, b = _operands(*shapes, positive=(op == "**"))
    assert_close(mine(MLArray(a), MLArray(b)), theirs(a, b))
    assert_close(mine(MLArray(b), MLArray(a)), theirs(b, a))


@pytest.mark.parametrize("op", list(BINARY_OPS))
def test_elementwise_with_other_operands(backend, op):
    mine, theirs = BINARY_OPS[op]
    a = np.array([[0.5, 1.5, 2.0], [1.0, 3.0, 0.25]])
    x = MLArray(a)
    for other in (2.0, 3, np.float64(1.5), Value(1.5)):
        number = float(other.data if isinstance(other, Value) else other)
        assert_close(mine(x, other), theirs(a, number))
        assert_close(mine(other, x), theirs(number, a))     # reflected
    row = [1.0, 2.0, 4.0]
    assert_close(mine(x, row), theirs(a, np.array(row)))
    assert_close(mine(row, x), theirs(np.array(row), a))
    nd = np.array([[2.0], [0.5]])
    result = mine(nd, x)                                     # ndarray on the left
    assert isinstance(result, MLArray)
    assert_close(result, theirs(nd, a))
    assert_close(mine(x, nd), theirs(a, nd))


def test_value_op_array_gives_array(backend):
    v = Value(2.0)
    x = MLArray([1.0, 2.0])
    out = v * x
    assert isinstance(out, MLArray) and out.to_list() == [2.0, 4.0]
    out.sum().backward()
    assert v.grad == 3.0
    assert x.grad().to_list() == [2.0, 2.0]


def test_elementwise_ieee(backend):
    a = np.array([1.0, -1.0, 0.0, 2.0, -8.0, 0.0])
    b = np.array([0.0, 0.0, 0.0, 1e4, 1 / 3, -1.0])
    with np.errstate(all="ignore"):
        assert_close(MLArray(a) / MLArray(b), a / b)
        assert_close(MLArray(a) ** MLArray(b), a ** b)
        assert_close(MLArray(a).log(), np.log(a))
        assert_close(MLArray(a).sqrt(), np.sqrt(a))
        assert_close(MLArray(a * 1000).exp(), np.exp(a * 1000))


UNARY_OPS = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt, "abs": np.abs,
    "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0), "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
}


@pytest.mark.parametrize("name", list(UNARY_OPS))
def test_unary_vs_numpy(backend, name):
    a = np.array([[-2.5, -0.5, 0.0], [0.25, 1.0, 3.0]])
    with np.errstate(all="ignore"):
        expected = UNARY_OPS[name](a)
    result = getattr(MLArray(a), name)()
    assert result.shape == a.shape
    assert_close(result, expected, rtol=1e-14)


def test_neg_abs_operators(backend):
    a = np.array([[-2.0, 0.5], [3.0, -0.0]])
    assert_close(-MLArray(a), -a)
    assert_close(abs(MLArray(a)), np.abs(a))


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (None, 0.5), (0.0, None), (None, None),
                                       (1, 2)])
def test_clip_vs_numpy(backend, low, high):
    a = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5])
    lo = -np.inf if low is None else low          # np.clip(a, None, None) raises before numpy 2.1
    hi = np.inf if high is None else high
    assert_close(MLArray(a).clip(low, high), np.minimum(np.maximum(a, lo), hi))


# ---------------------------------------------------------------- matmul

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 2)),
                 ((2, 3, 2), (2, 2, 1)), ((1, 4), (4, 1)), ((2, 0), (0, 3)), ((0, 3), (3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_vs_numpy(backend, shapes):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    expected = np.matmul(a, b)
    assert_close(MLArray(a) @ MLArray(b), expected)
    assert_close(MLArray(a).matmul(MLArray(b)), expected)
    assert_close(MLArray(a) @ b, expected)                 # ndarray on the right
    assert_close(a @ MLArray(b), expected)                 # ndarray on the left
    if a.size and b.size:       # (tolist() of a zero-size array loses its shape)
        assert_close(MLArray(a) @ b.tolist(), expected)         # nested lists
        assert_close(a.tolist() @ MLArray(b), expected)


def test_matmul_result_is_mlarray_of_right_shape(backend):
    out = MLArray([1.0, 2.0]) @ MLArray([3.0, 4.0])
    assert isinstance(out, MLArray) and out.shape == () and out.to_list() == 11.0


# ---------------------------------------------------------------- movement

def test_transpose_and_T(backend):
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    x = MLArray(a)
    assert_close(x.T, a.T)
    assert_close(x.transpose(), a.transpose())
    assert_close(x.transpose(None), a.transpose())
    assert_close(x.transpose((1, 0, 2)), a.transpose((1, 0, 2)))
    assert_close(x.transpose(2, 0, 1), a.transpose(2, 0, 1))
    assert_close(x.transpose(-1, 0, 1), a.transpose(-1, 0, 1))
    assert_close(MLArray([1.0, 2.0]).T, [1.0, 2.0])
    assert_close(MLArray(3.0).T, 3.0)


def test_reshape_and_flatten(backend):
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    x = MLArray(a)
    assert_close(x.reshape(2, 6), a.reshape(2, 6))
    assert_close(x.reshape((6, 2)), a.reshape((6, 2)))
    assert_close(x.reshape(-1, 3), a.reshape(-1, 3))
    assert_close(x.reshape(2, -1, 2), a.reshape(2, -1, 2))
    assert_close(x.reshape(12), a.reshape(12))
    assert_close(MLArray(5.0).reshape(1, 1), np.array(5.0).reshape(1, 1))
    assert_close(MLArray([[7.0]]).reshape(()), np.array(7.0))
    assert_close(x.flatten(), a.flatten())
    assert_close(smolml.zeros(0, 3).reshape(3, 0), np.zeros((3, 0)))
    nested = x.flatten(x.data)
    assert isinstance(nested, list) and len(nested) == 12
    assert all(isinstance(v, Value) for v in nested)
    assert [v.data for v in nested] == a.flatten().tolist()


def test_movement_results_are_new_arrays(backend):
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    for moved in (x.T, x.reshape(4), x[0], x[:, 1], x.flatten()):
        moved.update_values(0.0)
        assert x.to_list() == [[1.0, 2.0], [3.0, 4.0]]


INDEXES = [0, -1, 1, slice(None), slice(1, None), slice(None, None, -1), slice(0, 3, 2),
           (0, 1), (1, slice(None)), (slice(None), 2), (Ellipsis, 1), (0, Ellipsis),
           (slice(None), slice(1, 3), 0), (1, 2, 3), (-1, -2, -3), Ellipsis, (),
           slice(5, 10), (slice(None), slice(2, 1))]


@pytest.mark.parametrize("index", INDEXES, ids=str)
def test_getitem_vs_numpy(backend, index):
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    out = MLArray(a)[index]
    assert isinstance(out, MLArray)
    assert_close(out, a[index])


def test_setitem_vs_numpy(backend):
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    x = MLArray(a)
    for index, value in [((0, 1), 9.0), (1, [1.0, 2.0, 3.0, 4.0]), ((slice(None), 0), 7),
                         ((slice(0, 2), slice(2, 4)), np.array([[5.0], [6.0]])),
                         (2, MLArray([0.5, 0.25, 0.125, 1.0])), ((0, 0), Value(-1.0))]:
        expected = a.copy()
        expected[index] = np.asarray(value.data if isinstance(value, Value) else value)
        x[index] = value
        a = expected
        assert_close(x, a)


def test_update_values(backend):
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    assert x.update_values([[5, 6], [7, 8]]) is x
    assert x.to_list() == [[5.0, 6.0], [7.0, 8.0]]
    x.update_values(np.array([1.0, -1.0]))
    assert x.to_list() == [[1.0, -1.0], [1.0, -1.0]]
    x.update_values(MLArray(0.5))
    assert x.to_list() == [[0.5, 0.5], [0.5, 0.5]]
    x.update_values(3)
    assert x.to_list() == [[3.0, 3.0], [3.0, 3.0]]


# ---------------------------------------------------------------- reductions

REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "std": np.std,
}
REDUCTION_SHAPES = [(5,), (2, 3), (2, 3, 4), ()]


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("shape", REDUCTION_SHAPES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_vs_numpy(backend, name, shape, keepdims):
    a = np.random.default_rng(3).normal(size=shape)
    x = MLArray(a)
    oracle = REDUCTIONS[name]
    axes = [None] + list(range(len(shape))) + list(range(-len(shape), 0))
    for axis in axes:
        result = getattr(x, name)(axis=axis, keepdims=keepdims)
        assert isinstance(result, MLArray)
        assert_close(result, oracle(a, axis=axis, keepdims=keepdims), rtol=1e-12)
    assert_close(getattr(x, name)(), oracle(a))


def test_reductions_positional_axis_and_ties(backend):
    a = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, -1.0]])
    x = MLArray(a)
    assert_close(x.sum(0), a.sum(0))
    assert_close(x.max(1), a.max(1))
    assert_close(x.min(1, True), a.min(1, keepdims=True))


def test_empty_reductions(backend):
    x = smolml.zeros(0, 3)
    assert_close(x.sum(), 0.0)
    assert_close(x.sum(axis=0), np.zeros(3))
    assert_close(x.sum(axis=1), np.zeros(0))
    with np.errstate(all="ignore"):
        assert math.isnan(x.mean().to_list())
        assert_close(x.mean(axis=0), np.full(3, np.nan))
    assert x.max(axis=1).shape == (0,)


def test_reductions_with_nan_like_numpy(backend):
    a = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, -1.0]])
    x = MLArray(a)
    for name in ("sum", "max", "min", "mean"):
        for axis in (None, 0, 1):
            assert_close(getattr(x, name)(axis=axis), REDUCTIONS[name](a, axis=axis))


# ---------------------------------------------------------------- gradients and history

def test_backward_of_non_scalar_sums_first(backend):
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    (x * x).backward()
    assert x.grad().to_list() == [[2.0, 4.0], [6.0, 8.0]]


def test_leaf_gradients_accumulate_until_zeroed(backend):
    x = MLArray([1.0, -2.0])
    y = x * 3
    loss = y.sum()
    loss.backward()
    loss.backward()
    assert x.grad().to_list() == [6.0, 6.0]        # leaves accumulate
    assert y.grad().to_list() == [1.0, 1.0]        # interior nodes restart each time
    grad = x.grad()
    assert not grad.requires_grad
    x.zero_grad()
    assert x.grad().to_list() == [0.0, 0.0]


def test_restart_cuts_history(backend):
    w = MLArray([1.0, 2.0])
    h = w * 2                       # h depends on w
    h.sum().backward()
    assert h.grad().to_list() == [1.0, 1.0]
    assert h.restart() is h
    assert h.grad().to_list() == [0.0, 0.0]
    assert h.to_list() == [2.0, 4.0]
    w.zero_grad()
    (h * h).sum().backward()        # h is a leaf now: nothing reaches w
    assert w.grad().to_list() == [0.0, 0.0]
    assert h.grad().to_list() == [4.0, 8.0]
    (h * h).sum().backward()
    assert h.grad().to_list() == [8.0, 16.0]   # a leaf now, so it accumulates


def test_requires_grad_of_arrays(backend):
    tracked = MLArray([1.0, 2.0])
    frozen = MLArray([3.0, 4.0], requires_grad=False)
    assert tracked.requires_grad and not frozen.requires_grad
    assert (tracked * frozen).requires_grad
    assert not (frozen * frozen).requires_grad
    assert not (frozen + 1).sum().requires_grad
    (tracked * frozen).sum().backward()
    assert tracked.grad().to_list() == [3.0, 4.0]
    assert frozen.grad().to_list() == [0.0, 0.0]


def test_no_grad_for_arrays(backend):
    x = MLArray([1.0, 2.0])
    with smolml.no_grad():
        y = (x @ x.T + x).exp().sum(axis=0)
        assert not y.requires_grad
        assert not x[0].requires_grad
    assert y.to_list() == pytest.approx(float(np.exp(np.array([6.0, 7.0])).sum()))
    assert (x * 2).requires_grad
