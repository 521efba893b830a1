"""float32 arrays and in-place arithmetic: the contract of notes/float32_spec.md, on every
backend.

Oracles are NumPy (float32 arithmetic, or float64 arithmetic rounded once to float32),
hand-written expected strings and closed forms, and float64 finite differences for
gradients; nothing here asks the code under test for an expected value. NumPy's own
type promotion is never relied on (it changed between NumPy 1 and 2): every oracle
names its dtypes explicitly.
"""
import math
import pickle
import sys

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value, _dtype, _shapes

from helpers import output_weights

F32 = np.float32
F64 = np.float64
X23 = [[0.1, -2.2, 3.3], [0.7, 1.9, -0.45]]         # none of these is a float32
Y23 = [[1.3, 0.6, -0.8], [2.1, -1.7, 0.35]]
# a bad dtype and how the TypeError's message names it
BAD_DTYPES = [("int32", "'int32'"), ("float16", "'float16'"), ("complex64", "'complex64'"),
              (np.int64, "int64"), (np.dtype("int8"), "int8"), (int, "int"), (3, "int"),
              (object(), "object")]


# ---------------------------------------------------------------- helpers

@pytest.fixture
def default_float32():
    """float32 as the default dtype for one test; float64 again afterwards, whatever happens."""
    previous = smolml.set_default_dtype(smolml.float32)
    try:
        yield
    finally:
        smolml.set_default_dtype(previous)


@pytest.fixture(autouse=True)
def default_is_float64_around_each_test():
    assert smolml.get_default_dtype() is smolml.float64
    yield
    smolml.set_default_dtype(smolml.float64)


def f32(x):
    """The float32 nearest each number, as a NumPy float32 array (NumPy's rounding)."""
    with np.errstate(over="ignore"):
        return np.asarray(x, dtype=F64).astype(F32)


def flat_floats(arr):
    out = arr.to_list()
    if not isinstance(out, list):
        return [out]
    pending, flat = [out], []
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        else:
            flat.append(item)
    return flat


def assert_float32_valued(arr):
    """Every number of arr (read as a Python float) is a float32 number."""
    for x in flat_floats(arr):
        assert type(x) is float
        if not math.isnan(x):
            with np.errstate(over="ignore"):
                assert float(F32(x)) == x, f"{x!r} is not a float32 number"


def assert_f32(actual, expected, rtol=2e-6, scale=0.0):
    """actual is a float32 MLArray whose numbers are float32 numbers within rtol of
    `expected` (nan matching nan); `scale` adds an absolute tolerance rtol*scale for
    results that cancel (sums, dot products)."""
    assert isinstance(actual, MLArray)
    assert actual.dtype is smolml.float32
    out = actual.numpy()
    assert out.dtype == F32
    assert_float32_valued(actual)
    expected = np.asarray(expected)
    assert out.shape == expected.shape, f"shape {out.shape} != {expected.shape}"
    np.testing.assert_allclose(out.astype(F64), expected.astype(F64), rtol=rtol,
                               atol=rtol * scale, equal_nan=True)


def assert_f64(actual, expected, rtol=1e-12):
    assert isinstance(actual, MLArray)
    assert actual.dtype is smolml.float64
    out = actual.numpy()
    assert out.dtype == F64
    np.testing.assert_allclose(out, np.asarray(expected, dtype=F64), rtol=rtol, atol=0,
                               equal_nan=True)


def elements(arr):
    """The element Values of an array (arr.data flattened)."""
    return MLArray.flatten(arr, arr.data) if arr.ndim else [arr.data]


def op_name(arr):
    """The op that made arr: the engine's array node records it, the pure backend's
    element nodes do."""
    if hasattr(arr, "_op"):
        return arr._op
    return elements(arr)[0]._op


def parents_of(arr):
    if hasattr(arr, "_prev"):
        return tuple(arr._prev)
    parents = ()
    for element in elements(arr):
        parents += tuple(element._prev)
    return parents


# ---------------------------------------------------------------- the dtype objects

def test_dtype_objects_are_exported():
    assert smolml.float32 is _dtype.float32 and smolml.float64 is _dtype.float64
    for name in ("float32", "float64", "set_default_dtype", "get_default_dtype"):
        assert name in smolml.__all__
    assert (smolml.float32.name, smolml.float32.itemsize) == ("float32", 4)
    assert (smolml.float64.name, smolml.float64.itemsize) == ("float64", 8)
    assert str(smolml.float32) == "float32" and repr(smolml.float32) == "smolml.float32"
    assert smolml.float32 != smolml.float64
    assert pickle.loads(pickle.dumps(smolml.float32)) is smolml.float32


@pytest.mark.parametrize("name, expected", [
    ("float32", "float32"), ("f4", "float32"), ("single", "float32"), (np.float32, "float32"),
    (np.dtype("float32"), "float32"), (np.dtype(">f4"), "float32"),
    ("float64", "float64"), ("f8", "float64"), ("double", "float64"), (float, "float64"),
    (np.float64, "float64"), (np.dtype("float64"), "float64"),
])
def test_dtype_names(name, expected):
    d = _dtype.dtype(name)
    assert d is getattr(smolml, expected)
    assert d == name and hash(d) == hash(expected)
    other = smolml.float64 if expected == "float32" else smolml.float32
    assert other != name


@pytest.mark.parametrize("bad, shown", BAD_DTYPES, ids=[s for _, s in BAD_DTYPES])
def test_bad_dtype_is_a_type_error(backend, bad, shown):
    with pytest.raises(TypeError, match="dtype") as info:
        MLArray([1.0, 2.0], dtype=bad)
    assert shown in str(info.value)
    for make in (smolml.zeros, smolml.ones, smolml.randn):
        with pytest.raises(TypeError, match="dtype"):
            make(2, dtype=bad)
    with pytest.raises(TypeError, match="dtype"):
        MLArray([1.0]).astype(bad)
    with pytest.raises(TypeError, match="dtype"):
        smolml.set_default_dtype(bad)
    assert smolml.get_default_dtype() is smolml.float64


def test_round_float32_matches_numpy():
    rng = np.random.default_rng(0)
    numbers = np.concatenate([
        rng.normal(size=2000) * 10.0 ** rng.integers(-45, 39, size=2000),
        [0.0, -0.0, 1e-46, -1e-46, 1.4e-45, 3.4028234e38, 3.4028235e38, 3.40282357e38,
         3.4028236e38, 1e39, -1e39, float("inf"), float("-inf"), 16777217.0, 0.1, 1 / 3],
    ])
    for x in numbers:
        expected = f32(x)
        got = _dtype.round_float32(float(x))
        assert type(got) is float
        assert got == float(expected) and math.copysign(1.0, got) == math.copysign(1.0, expected)
    assert math.isnan(_dtype.round_float32(float("nan")))


def test_result_dtype_table():
    f32_, f64_ = smolml.float32, smolml.float64
    assert _dtype.result_dtype(f32_, f32_) is f32_
    assert _dtype.result_dtype(f32_, f64_) is f64_ and _dtype.result_dtype(f64_, f32_) is f64_
    assert _dtype.result_dtype(f32_, None) is f32_ and _dtype.result_dtype(None, f32_) is f32_
    assert _dtype.result_dtype(None, None) is f64_


# ---------------------------------------------------------------- construction

def test_constructor_with_dtype_rounds(backend):
    arr = MLArray(X23, dtype=smolml.float32)
    assert arr.dtype is smolml.float32
    assert arr.dtype == "float32" and arr.dtype == np.float32 and arr.dtype != smolml.float64
    assert_f32(arr, f32(X23), rtol=0)
    assert arr.to_list() == f32(X23).astype(F64).tolist()
    # float64 <- float32 numbers: exact
    back = MLArray(f32(X23), dtype="float64")
    assert_f64(back, f32(X23).astype(F64), rtol=0)
    assert_f32(MLArray(np.array(X23), dtype="f4"), f32(X23), rtol=0)
    assert_f32(MLArray(0.1, dtype=np.float32), f32(0.1), rtol=0)
    assert_f32(MLArray([Value(0.1), Value(1 / 3)], dtype=smolml.float32), f32([0.1, 1 / 3]), rtol=0)


@pytest.mark.parametrize("make, numbers, expected", [
    (lambda: 0.1, 0.1, "float64"),
    (lambda: 3, 3.0, "float64"),
    (lambda: Value(0.5), 0.5, "float64"),
    (lambda: [[0.1, 0.2], [0.3, 0.4]], [[0.1, 0.2], [0.3, 0.4]], "float64"),
    (lambda: np.arange(6).reshape(2, 3), [[0, 1, 2], [3, 4, 5]], "float64"),   # int ndarray
    (lambda: np.array([True, False]), [1.0, 0.0], "float64"),
    (lambda: np.arange(4, dtype=np.int32), [0, 1, 2, 3], "float64"),
    (lambda: np.array([0.1, 0.2], dtype=np.float32), f32([0.1, 0.2]), "float32"),  # kept
    (lambda: np.array([[0.1, 0.2]], dtype=np.float32).T, f32([[0.1], [0.2]]), "float32"),
    (lambda: np.array(0.1, dtype=np.float32), f32(0.1), "float32"),           # 0-d ndarray
    (lambda: np.array([0.1, 0.2], dtype=np.float64), [0.1, 0.2], "float64"),
    (lambda: MLArray([0.1, 0.2], dtype=smolml.float32), f32([0.1, 0.2]), "float32"),
    (lambda: MLArray([0.1, 0.2], dtype=smolml.float64), [0.1, 0.2], "float64"),
    # nested lists holding MLArrays get the default dtype, as lists do
    (lambda: [MLArray([0.1], dtype=smolml.float32), MLArray([0.2], dtype=smolml.float32)],
     f32([[0.1], [0.2]]), "float64"),
    (lambda: np.float32(0.1), f32(0.1), "float64"),            # a NumPy scalar is a number
])
def test_constructor_default_dtype(backend, make, numbers, expected):
    arr = MLArray(make())
    assert arr.dtype is getattr(smolml, expected)
    assert arr.numpy().dtype == np.dtype(expected)
    np.testing.assert_array_equal(arr.numpy(), np.asarray(numbers, dtype=F64).astype(expected))


def test_constructor_from_a_float32_array_stays_connected(backend):
    x = MLArray([0.1, 0.2], dtype=smolml.float32)
    y = MLArray(x)                          # a copy of x's dtype, graph-connected
    assert y is not x and y.dtype is smolml.float32
    (y * 3.0).sum().backward()
    assert_f32(x.grad(), [3.0, 3.0], rtol=0)
    z = MLArray([0.1, 0.2])                 # float64 -> float32: rounded, still connected
    w = MLArray(z, dtype=smolml.float32)
    assert_f32(w, f32([0.1, 0.2]), rtol=0)
    (w * 2.0).sum().backward()
    assert_f64(z.grad(), [2.0, 2.0], rtol=0)


def test_default_dtype_float32(backend, default_float32):
    assert smolml.get_default_dtype() is smolml.float32
    assert MLArray([0.1, 0.2]).dtype is smolml.float32
    assert_f32(MLArray([0.1, 0.2]), f32([0.1, 0.2]), rtol=0)
    assert MLArray(0.1).dtype is smolml.float32
    assert MLArray(np.arange(3)).dtype is smolml.float32
    assert MLArray(np.zeros(3)).dtype is smolml.float64           # a float64 ndarray keeps its
    assert MLArray([0.1], dtype="float64").dtype is smolml.float64
    for make in (smolml.zeros, smolml.ones, smolml.randn):
        assert make(2, 3).dtype is smolml.float32
        assert make(2, 3, dtype=smolml.float64).dtype is smolml.float64
    # a list operand is an array of the default dtype, and the result follows it
    a64 = MLArray([1.0, 2.0], dtype="float64")
    assert (a64 + [0.1, 0.2]).dtype is smolml.float64
    assert (MLArray([1.0, 2.0]) + [0.1, 0.2]).dtype is smolml.float32


def test_set_default_dtype_returns_the_previous_one():
    try:
        assert smolml.set_default_dtype("float32") is smolml.float64
        assert smolml.get_default_dtype() is smolml.float32
        assert smolml.set_default_dtype(np.float64) is smolml.float32
        assert smolml.get_default_dtype() is smolml.float64
    finally:
        smolml.set_default_dtype(smolml.float64)


@pytest.mark.parametrize("make, number", [(smolml.zeros, 0.0), (smolml.ones, 1.0)])
def test_zeros_ones_dtype(backend, make, number):
    arr = make(2, 3, dtype=smolml.float32)
    assert_f32(arr, np.full((2, 3), number, dtype=F32), rtol=0)
    assert make((2, 3), dtype="float64").dtype is smolml.float64
    assert make(2, 3).dtype is smolml.float64
    assert arr.requires_grad


def test_randn_float32_is_the_float64_draws_rounded(backend):
    smolml.manual_seed(7)
    draws = smolml.randn(3, 4).numpy()
    smolml.manual_seed(7)
    arr = smolml.randn(3, 4, dtype=smolml.float32)
    assert_f32(arr, draws.astype(F32), rtol=0)
    smolml.manual_seed(7)
    assert_f64(smolml.randn((3, 4), dtype=None), draws, rtol=0)


# ---------------------------------------------------------------- conversions and views

def test_numpy_to_list_float_and_array(backend):
    arr = MLArray(X23, dtype=smolml.float32)
    out = arr.numpy()
    assert out.dtype == F32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, f32(X23))
    out[0, 0] = 100.0                                  # a copy
    assert arr.numpy()[0, 0] == f32(0.1)
    assert np.asarray(arr).dtype == F32
    assert np.asarray(arr, dtype=F64).dtype == F64
    assert all(type(x) is float for x in flat_floats(arr))
    assert float(arr[0, 0]) == float(f32(0.1))
    assert MLArray(X23).numpy().dtype == F64


def test_repr_float32(backend):
    arr = MLArray([[0.1, 1 / 3], [1e20, -2.5]], dtype=smolml.float32)
    assert repr(arr) == ("MLArray(shape=(2, 2), data=[[0.1, 0.33333334],\n"
                         "                            [1e+20, -2.5]], dtype=float32)")
    assert repr(MLArray(0.1, dtype="float32")) == "MLArray(shape=(), data=0.1, dtype=float32)"
    assert repr(MLArray([16777217.0, 1e-8, -0.0], dtype="float32")) == \
        "MLArray(shape=(3,), data=[16777216.0, 1e-08, -0.0], dtype=float32)"
    assert repr(MLArray([], dtype="float32")) == "MLArray(shape=(0,), data=[], dtype=float32)"
    with np.errstate(over="ignore"):
        special = MLArray([1e39, -1e39], dtype="float32") * MLArray([1.0, 0.0], dtype="float32")
        assert repr(special) == "MLArray(shape=(2,), data=[inf, nan], dtype=float32)"
    # float64 is unchanged: Python's repr of each number, no dtype
    assert repr(MLArray([0.1, 1 / 3])) == "MLArray(shape=(2,), data=[0.1, 0.3333333333333333])"
    assert repr(MLArray(0.1)) == "MLArray(shape=(), data=0.1)"
    big = repr(smolml.zeros(40, 40, dtype=smolml.float32))
    assert "..." in big and big.endswith("]], dtype=float32)")


def test_format_float32_is_numpys_shortest_form():
    """Each number of a float32 repr is the shortest text that reads back as the same
    float32, with NumPy's digits (np.format_float_scientific(unique=True))."""
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2 ** 32, size=3000, dtype=np.uint64).astype(np.uint32)
    numbers = bits.view(F32)
    numbers = numbers[np.isfinite(numbers)][:_shapes.MAX_REPR_ELEMENTS]   # not summarized
    text = _shapes.format_array((len(numbers),), [float(x) for x in numbers], smolml.float32)
    assert text.endswith(", dtype=float32)")
    body = text[len(f"MLArray(shape=({len(numbers)},), data=["):-len("], dtype=float32)")]
    parts = body.split(", ")
    assert len(parts) == len(numbers) > 900
    for part, x in zip(parts, numbers):
        assert F32(float(part)) == x
        ours = ("%.8e" % float(part)).split("e")[0].replace(".", "").lstrip("-").rstrip("0")
        numpys = np.format_float_scientific(x, unique=True).split("e")[0]
        assert ours == numpys.replace(".", "").lstrip("-").rstrip("0"), (part, numpys)


def test_format_array_float64_unchanged():
    for dtype in (None, smolml.float64, "float64"):
        assert _shapes.format_array((2,), [0.1, 1 / 3], dtype) == \
            "MLArray(shape=(2,), data=[0.1, 0.3333333333333333])"


def test_nbytes_uses_the_itemsize(backend):
    a32 = MLArray(np.ones((20, 30)), dtype=smolml.float32)
    a64 = MLArray(np.ones((20, 30)))
    assert a32.nbytes >= a32.size() * smolml.float32.itemsize
    if backend == "engine":
        # a buffer of float32 numbers (no gradient buffer before a backward pass)
        assert a32.nbytes == a32.size() * 4 and a64.nbytes == a64.size() * 8
    else:
        # every number is a Python float object, whatever the dtype
        assert a32.nbytes >= a32.size() * sys.getsizeof(1.0)


def test_element_handles_round_on_write(backend):
    arr = MLArray([[1.0, 2.0], [3.0, 4.0]], dtype=smolml.float32)
    handle = arr.data[0][1]
    assert isinstance(handle, smolml.Value)
    handle.data = 0.1
    assert handle.data == float(f32(0.1)) and type(handle.data) is float
    assert arr.numpy()[0, 1] == f32(0.1)
    # Value arithmetic on the handle is float64: the result is not rounded
    assert (handle + 1e-9).data == float(f32(0.1)) + 1e-9
    element = arr[1, 0]                         # 0-d float32 array aliasing the element
    assert element.dtype is smolml.float32 and element.shape == ()
    element.update_values(1 / 3)
    assert arr.numpy()[1, 0] == f32(1 / 3)
    arr.update_values([[0.7, 0.7], [0.7, 0.7]])
    assert element.to_list() == float(f32(0.7)) and handle.data == float(f32(0.7))
    rows = list(MLArray([0.1, 0.2], dtype="float32"))
    assert all(r.dtype is smolml.float32 and r.shape == () for r in rows)
    rows[1].update_values(0.3)
    assert rows[1].to_list() == float(f32(0.3))


def test_update_values_and_setitem_round(backend):
    arr = smolml.zeros(2, 3, dtype=smolml.float32)
    arr.update_values(X23)
    assert_f32(arr, f32(X23), rtol=0)
    arr.update_values(np.array(Y23))
    assert_f32(arr, f32(Y23), rtol=0)
    arr.update_values(1 / 3)                    # broadcast
    assert_f32(arr, np.full((2, 3), f32(1 / 3)), rtol=0)
    arr[0, 1] = 0.1
    arr[1] = [0.2, 0.3, 0.4]
    arr[:, 2] = MLArray([1e-3, 1e39])
    expected = np.full((2, 3), f32(1 / 3))
    expected[0, 1] = f32(0.1)
    expected[1] = f32([0.2, 0.3, 0.4])
    expected[:, 2] = f32([1e-3, 1e39])
    assert_f32(arr, expected, rtol=0)
    assert arr.numpy()[1, 2] == np.inf


# ---------------------------------------------------------------- type promotion

def _a32():
    return MLArray(X23, dtype=smolml.float32)


def _a64():
    return MLArray(Y23)


@pytest.mark.parametrize("expr, expected", [
    (lambda: _a32() + _a64(), "float64"),
    (lambda: _a64() - _a32(), "float64"),
    (lambda: _a32() * _a32(), "float32"),
    (lambda: _a32() * 2.0, "float32"),
    (lambda: 2 * _a32(), "float32"),
    (lambda: 1.0 - _a32(), "float32"),
    (lambda: _a32() / 3, "float32"),
    (lambda: _a32() ** 2, "float32"),
    (lambda: 2.0 ** _a32(), "float32"),
    (lambda: _a32() * Value(2.0), "float32"),
    (lambda: Value(2.0) + _a32(), "float32"),
    (lambda: _a64() * Value(2.0), "float64"),
    (lambda: _a32() + MLArray(2.0), "float64"),                      # 0-d arrays are not weak
    (lambda: MLArray(2.0) * _a32(), "float64"),
    (lambda: _a64() + MLArray(2.0, dtype=smolml.float32), "float64"),
    (lambda: MLArray(2.0, dtype=smolml.float32) * MLArray(3.0, dtype=smolml.float32), "float32"),
    (lambda: MLArray(2.0, dtype=smolml.float32) * 3.0, "float32"),
    (lambda: MLArray(2.0, dtype=smolml.float32) + MLArray(3.0), "float64"),
    (lambda: _a32() + np.ones(3, dtype=np.float32), "float32"),
    (lambda: _a32() + np.ones(3), "float64"),
    (lambda: _a32() + [1.0, 2.0, 3.0], "float64"),                  # a list: the default dtype
    (lambda: _a32() @ _a64().T, "float64"),
    (lambda: _a32() @ _a32().T, "float32"),
    (lambda: _a64() @ _a32().T, "float64"),
    (lambda: _a32().sum(), "float32"),
    (lambda: _a32().mean(axis=0), "float32"),
    (lambda: _a32().max(axis=1, keepdims=True), "float32"),
    (lambda: _a32().std(), "float32"),
    (lambda: _a32().T.reshape(-1)[1:], "float32"),
    (lambda: _a32().clip(0.0, 1.0), "float32"),
    (lambda: _a32().astype("float64"), "float64"),
    (lambda: _a64().astype(np.float32), "float32"),
    (lambda: _a64() * _a32().data[0][0], "float64"),     # a float32 element's handle: weak
])
def test_promotion(backend, expr, expected):
    out = expr()
    assert isinstance(out, MLArray)
    assert out.dtype is getattr(smolml, expected)
    assert out.numpy().dtype == np.dtype(expected)
    if expected == "float32":
        assert_float32_valued(out)


def test_value_op_value_is_a_float64_value(backend):
    arr = MLArray([0.1, 0.2], dtype=smolml.float32)
    out = arr.data[0] + arr.data[1]
    assert isinstance(out, Value) and not isinstance(out, MLArray)
    assert out.data == float(f32(0.1)) + float(f32(0.2))      # float64 arithmetic


def test_mixed_values_follow_numpy(backend):
    a32, b64 = f32(X23), np.array(Y23)
    assert_f64(_a32() + _a64(), a32.astype(F64) + b64, rtol=0)
    assert_f64(_a64() / _a32(), b64 / a32.astype(F64), rtol=0)
    assert_f64(_a32() @ _a64().T, a32.astype(F64) @ b64.T, rtol=1e-14)
    # weak operands are converted to float32 first (NumPy 2: x32 * 0.1 == x32 * float32(0.1))
    assert_f32(_a32() * 0.1, a32 * F32(0.1))
    assert_f32(_a32() - Value(0.1), a32 - F32(0.1))
    assert_f32(0.1 / _a32(), F32(0.1) / a32)


def test_rounding_is_visible(backend):
    """Results that float64 keeps and float32 cannot."""
    one = MLArray([1.0], dtype=smolml.float32)
    assert (one + 1e-8).to_list() == [1.0]
    assert (MLArray([1.0]) + 1e-8).to_list() == [1.00000001]
    big = MLArray([16777216.0], dtype=smolml.float32)
    assert (big + 1.0).to_list() == [16777216.0]
    third = MLArray([1.0], dtype=smolml.float32) / 3.0
    assert third.to_list() == [float(F32(1.0) / F32(3.0))] != [1 / 3]
    tenth = MLArray([0.1, 0.1, 0.1], dtype=smolml.float32).sum()
    assert_f32(tenth, F32(0.1) + F32(0.1) + F32(0.1), rtol=1e-7)


def test_overflow_to_inf_in_float32(backend):
    x32 = MLArray([1e30, -1e30], dtype=smolml.float32)
    x64 = MLArray([1e30, -1e30])
    assert (x32 * 1e30).to_list() == [math.inf, -math.inf]
    assert (x32 * x32).to_list() == [math.inf, math.inf]
    assert (x64 * 1e30).to_list() == [1e30 * 1e30, -1e30 * 1e30]      # finite in float64
    big = float(F32(1e30))
    assert (x32 * MLArray([1e30, 1e30])).to_list() == [1e30 * big, -1e30 * big]
    with np.errstate(over="ignore"):          # the engine warns as NumPy's @ does
        assert (x32 @ x32).to_list() == math.inf
    assert (x32.astype("float64") @ x32.astype("float64")).to_list() == 2 * float(F32(1e30)) ** 2
    assert MLArray([100.0], dtype=smolml.float32).exp().to_list() == [math.inf]
    assert math.isfinite(MLArray([100.0]).exp().to_list()[0])
    assert MLArray([3.5e38, 1e-46], dtype=smolml.float32).to_list() == [math.inf, 0.0]
    assert MLArray([3e38], dtype=smolml.float32).astype("float64").to_list() == [float(F32(3e38))]
    assert (MLArray([3e38], dtype=smolml.float32) * 2.0).to_list() == [math.inf]
    assert (MLArray([3e38], dtype=smolml.float32).astype("float64") * 2.0).to_list() == \
        [2.0 * float(F32(3e38))]


# ---------------------------------------------------------------- float32 ops vs NumPy

POS23 = [[0.3, 1.7, 2.9], [0.05, 4.4, 1.25]]

UNARY = {
    "neg": (lambda a: -a, lambda x: -x),
    "abs": (lambda a: abs(a), np.abs),
    "abs_method": (lambda a: a.abs(), np.abs),
    "exp": (lambda a: a.exp(), np.exp),
    "tanh": (lambda a: a.tanh(), np.tanh),
    "relu": (lambda a: a.relu(), lambda x: np.maximum(x, 0.0)),
    "sigmoid": (lambda a: a.sigmoid(), lambda x: 1.0 / (1.0 + np.exp(-x))),
    "clip": (lambda a: a.clip(-0.5, 0.7), lambda x: np.clip(x, F32(-0.5), F32(0.7))),
    "clip_low": (lambda a: a.clip(min_value=0.1), lambda x: np.maximum(x, F32(0.1))),
    "square": (lambda a: a ** 2, lambda x: x ** 2),
    "scale": (lambda a: a * 0.3 - 1.1, lambda x: x * F32(0.3) - F32(1.1)),
    "rdiv": (lambda a: 1.0 / a, lambda x: F32(1.0) / x),
    "rpow": (lambda a: 2.0 ** a, lambda x: F32(2.0) ** x),
}
POSITIVE_UNARY = {
    "log": (lambda a: a.log(), np.log),
    "sqrt": (lambda a: a.sqrt(), np.sqrt),
    "pow_half": (lambda a: a ** 0.5, lambda x: x ** F32(0.5)),
    "pow_array": (lambda a: a ** a, lambda x: x ** x),
}


@pytest.mark.parametrize("name", list(UNARY) + list(POSITIVE_UNARY))
def test_unary_float32_vs_numpy(backend, name):
    ours, numpys = {**UNARY, **POSITIVE_UNARY}[name]
    data = POS23 if name in POSITIVE_UNARY else X23
    x = f32(data)
    # float64 arithmetic on the float32 inputs, rounded once: the nearest float32 to
    # the exact result (NumPy's float32 kernels may be an ulp or two away from it)
    with np.errstate(over="ignore"):
        expected = numpys(x.astype(F64)).astype(F32)
        in_float32 = numpys(x)
    out = ours(MLArray(data, dtype=smolml.float32))
    assert in_float32.dtype == F32
    assert_f32(out, expected, rtol=1e-6)
    assert_f32(out, in_float32, rtol=1e-6)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                                    ((), (2, 3)), ((2, 3), ())])
def test_binary_float32_vs_numpy(backend, op, shapes):
    rng = np.random.default_rng(len(op) + len(shapes[0]))
    a = f32(rng.uniform(0.2, 3.0, size=shapes[0]))
    b = f32(rng.uniform(-2.0, 2.0, size=shapes[1]))
    fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}[op]
    out = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
           "/": lambda x, y: x / y, "**": lambda x, y: x ** y}[op](
        MLArray(a, dtype="float32"), MLArray(b, dtype="float32"))
    assert_f32(out, fn(a, b), rtol=1e-6)
    # + - * / are exactly rounded in IEEE float32: the same float32 as NumPy's
    if op != "**":
        np.testing.assert_allclose(out.numpy(), fn(a, b), rtol=2 ** -23)


REDUCTIONS = {
    "sum": (lambda a, ax, kd: a.sum(axis=ax, keepdims=kd), np.sum),
    "mean": (lambda a, ax, kd: a.mean(axis=ax, keepdims=kd), np.mean),
    "max": (lambda a, ax, kd: a.max(axis=ax, keepdims=kd), np.max),
    "min": (lambda a, ax, kd: a.min(axis=ax, keepdims=kd), np.min),
    "std": (lambda a, ax, kd: a.std(axis=ax, keepdims=kd), np.std),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("axis", [None, 0, 1, -1, 2])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_float32_vs_numpy(backend, name, axis, keepdims):
    x = f32(np.random.default_rng(3).uniform(-3.0, 3.0, size=(3, 4, 5)))
    ours, numpys = REDUCTIONS[name]
    out = ours(MLArray(x, dtype="float32"), axis, keepdims)
    expected = numpys(x, axis=axis, keepdims=keepdims)
    assert expected.dtype == F32
    # sums can cancel: their tolerance is relative to the sum (mean) of the magnitudes
    magnitudes = np.abs(x.astype(F64))
    scale = {"sum": np.max(np.sum(magnitudes, axis=axis)),
             "mean": np.max(np.mean(magnitudes, axis=axis))}.get(name, 0.0)
    assert_f32(out, expected, rtol=1e-5 if name == "std" else 2e-6, scale=float(scale))


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4, 3)), ((3, 4), (4,)),
                                    ((4,), (4,)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2))])
def test_matmul_float32_vs_numpy(backend, shapes):
    rng = np.random.default_rng(5)
    a = f32(rng.normal(size=shapes[0]))
    b = f32(rng.normal(size=shapes[1]))
    out = MLArray(a, dtype="float32") @ MLArray(b, dtype="float32")
    expected = a @ b
    assert expected.dtype == F32
    scale = float(np.max(np.abs(a.astype(F64)) @ np.abs(b.astype(F64))))
    assert_f32(out, expected, rtol=2e-6, scale=scale)
    assert_f32(MLArray(a, dtype="float32").matmul(MLArray(b, dtype="float32")), expected,
               rtol=2e-6, scale=scale)


@pytest.mark.parametrize("move", [
    lambda x: x.T, lambda x: x.transpose(1, 0, 2), lambda x: x.transpose(),
    lambda x: x.reshape(6, 4), lambda x: x.reshape(-1), lambda x: x.flatten(),
    lambda x: x[1], lambda x: x[1:, ::2], lambda x: x[..., 1], lambda x: x[0, 2, 3],
    lambda x: x[-1, :, 1:3],
])
def test_movement_float32_vs_numpy(backend, move):
    x = f32(np.random.default_rng(6).normal(size=(2, 3, 4)))
    out = move(MLArray(x, dtype="float32"))
    assert_f32(out, np.asarray(move(x)), rtol=0)


# ---------------------------------------------------------------- gradients

def _fd_grads(f, arrays, eps=1e-6):
    """d/dx Σ w ⊙ f(inputs) by central differences, in float64, through NumPy copies."""
    grads = []
    for which, x in enumerate(arrays):
        base = x.numpy().astype(F64)
        grad = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            values = []
            for step in (eps, -eps):
                moved = [a.numpy().astype(F64) for a in arrays]
                moved[which][index] += step
                with smolml.no_grad():
                    out = f(*[MLArray(m, dtype="float64") for m in moved])
                    values.append(float(np.sum(output_weights(out.shape) * out.numpy())))
            grad[index] = (values[0] - values[1]) / (2 * eps)
        grads.append(grad)
    return grads


GRAPHS = {
    "arith": (lambda x, y: x * y + x / y - 0.5 * x ** 2, [X23, Y23]),
    "matmul_tanh": (lambda x, y: (x @ y.T).tanh().sum(axis=0), [X23, Y23]),
    "centered": (lambda x, y: ((x - x.mean(axis=1, keepdims=True)) ** 2).mean() * y,
                 [X23, Y23]),
    "exp_log_sigmoid": (lambda x, y: x.sigmoid() * (y.exp() + 1.0).log(), [X23, Y23]),
    "std": (lambda x, y: x.std(axis=0) + y.std(), [X23, Y23]),
    "max_min": (lambda x, y: x.max(axis=1) * y.min(axis=1), [X23, Y23]),
    "movement": (lambda x, y: x[1:, ::2].T.reshape(-1) * 2.0 + y.T[0], [X23, Y23]),
    "relu_abs_clip": (lambda x, y: x.relu() * y.abs() + (x * y).clip(-0.5, 0.5), [X23, Y23]),
    "sqrt_pow": (lambda x, y: x.sqrt() * y ** 2.0 + x ** y, [POS23, Y23]),
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_float32_gradients_vs_finite_differences(backend, name):
    f, data = GRAPHS[name]
    inputs = [MLArray(d, dtype=smolml.float32) for d in data]
    out = f(*inputs)
    assert out.dtype is smolml.float32
    weights = MLArray(output_weights(out.shape), requires_grad=False, dtype=smolml.float32)
    loss = (out * weights).sum()
    assert loss.dtype is smolml.float32
    loss.backward()
    expected = _fd_grads(f, inputs)
    for x, e in zip(inputs, expected):
        g = x.grad()
        assert g.dtype is smolml.float32 and g.numpy().dtype == F32
        assert_float32_valued(g)
        np.testing.assert_allclose(g.numpy().astype(F64), e, rtol=2e-3, atol=2e-4)


def test_mixed_graph_gradients(backend):
    x32 = MLArray([0.5, -1.5, 2.0], dtype=smolml.float32)
    y64 = MLArray([0.1, 0.2, 1 / 3])
    ((x32 * y64).sum() * 2.0).backward()
    # d/dx = 2·y (float64 numbers), read back rounded to float32; d/dy = 2·x
    assert_f32(x32.grad(), f32(2.0 * np.array([0.1, 0.2, 1 / 3])), rtol=0)
    assert_f64(y64.grad(), 2.0 * f32([0.5, -1.5, 2.0]).astype(F64), rtol=0)
    v = Value(0.25)
    a = MLArray([1.0, 2.0, 4.0], dtype=smolml.float32)
    (a * v).sum().backward()
    assert math.isclose(v.grad, 7.0, rel_tol=1e-12)
    assert_f32(a.grad(), [0.25, 0.25, 0.25], rtol=0)


def test_grad_dtype(backend):
    x32 = MLArray([1.0, 2.0], dtype=smolml.float32)
    x64 = MLArray([1.0, 2.0])
    assert x32.grad().dtype is smolml.float32 and x32.grad().numpy().dtype == F32
    assert x64.grad().dtype is smolml.float64
    (x32 * x64 * 3.0).sum().backward()
    assert_f32(x32.grad(), [3.0, 6.0], rtol=0)
    assert_f64(x64.grad(), [3.0, 6.0], rtol=0)
    assert not x32.grad().requires_grad


def test_astype(backend):
    x32 = MLArray([0.1, 0.2, 0.3], dtype=smolml.float32)
    y = x32.astype(smolml.float64)
    assert y.dtype is smolml.float64 and y is not x32
    assert_f64(y, f32([0.1, 0.2, 0.3]).astype(F64), rtol=0)
    assert op_name(y) == "astype"
    (y * MLArray([0.1, 1.0, 2.0])).sum().backward()
    # the gradient comes back converted to float32
    assert_f32(x32.grad(), f32([0.1, 1.0, 2.0]), rtol=0)

    x64 = MLArray([0.1, 0.2, 0.3])
    z = x64.astype("float32")
    assert_f32(z, f32([0.1, 0.2, 0.3]), rtol=0)
    assert op_name(z) == "astype"
    (z * 3.0).sum().backward()
    assert_f64(x64.grad(), [3.0, 3.0, 3.0], rtol=0)

    same = x32.astype("float32")                 # same dtype: still a new array, a copy
    assert same is not x32 and same.dtype is smolml.float32
    assert_f32(same, f32([0.1, 0.2, 0.3]), rtol=0)
    same.update_values([5.0, 5.0, 5.0])
    assert_f32(x32, f32([0.1, 0.2, 0.3]), rtol=0)
    with smolml.no_grad():
        assert not x32.astype("float64").requires_grad
    assert not MLArray([1.0], requires_grad=False).astype("float32").requires_grad


# ---------------------------------------------------------------- in-place arithmetic

INPLACE = {
    "+=": (lambda a, b: a.__iadd__(b), np.add),
    "-=": (lambda a, b: a.__isub__(b), np.subtract),
    "*=": (lambda a, b: a.__imul__(b), np.multiply),
    "/=": (lambda a, b: a.__itruediv__(b), np.divide),
}


def _apply(op, a, b):
    """a op= b through the augmented assignment statement itself; returns the new a."""
    if op == "+=":
        a += b
    elif op == "-=":
        a -= b
    elif op == "*=":
        a *= b
    else:
        a /= b
    return a


OPERANDS = {
    # name: (make the operand for a float32 a of shape (2, 3), its numbers as NumPy)
    "array32": (lambda: MLArray(Y23, dtype="float32"), lambda: f32(Y23)),
    "array64": (lambda: MLArray(Y23), lambda: np.array(Y23)),
    "row": (lambda: MLArray([0.3, -1.1, 2.5], dtype="float32"), lambda: f32([0.3, -1.1, 2.5])),
    "number": (lambda: 0.1, lambda: F32(0.1)),               # weak: float32 first
    "value": (lambda: Value(0.1), lambda: F32(0.1)),
    "list": (lambda: [[1.5], [0.2]], lambda: np.array([[1.5], [0.2]])),
}


@pytest.mark.parametrize("op", list(INPLACE))
@pytest.mark.parametrize("operand", list(OPERANDS))
def test_in_place_under_no_grad(backend, op, operand):
    make, numbers = OPERANDS[operand]
    a = MLArray(X23, dtype=smolml.float32)
    handle = a.data[1][2]
    element = a[0, 1]
    with smolml.no_grad():
        result = _apply(op, a, make())
    assert result is a
    assert a.dtype is smolml.float32 and a.shape == (2, 3) and a.requires_grad
    # NumPy: compute in the operands' common type, store into a (rounded to float32)
    expected = INPLACE[op][1](f32(X23).astype(F64), np.asarray(numbers(), dtype=F64))
    expected = expected.astype(F32)
    assert_f32(a, expected, rtol=1e-6)
    assert handle.data == float(a.numpy()[1, 2])            # handles alias the array
    assert element.to_list() == float(a.numpy()[0, 1])


@pytest.mark.parametrize("op", list(INPLACE))
def test_in_place_float64_array(backend, op):
    a = MLArray(X23)
    with smolml.no_grad():
        result = INPLACE[op][0](a, MLArray(Y23, dtype="float32"))
    assert result is a and a.dtype is smolml.float64
    assert_f64(a, INPLACE[op][1](np.array(X23), f32(Y23).astype(F64)), rtol=0)


def test_in_place_keeps_gradient_and_graph(backend):
    x = MLArray([1.0, 2.0, 3.0], dtype=smolml.float32)
    y = x * 2.0                                     # an interior node
    (y * MLArray([1.0, 10.0, 100.0])).sum().backward()
    before = x.grad().numpy()
    np.testing.assert_array_equal(before, f32([2.0, 20.0, 200.0]))
    parents = parents_of(y)
    assert parents
    with smolml.no_grad():
        same_x = x
        x -= 0.5 * x.grad()                          # SGD step
        same_y = y
        y += 1.0
    assert x is same_x and y is same_y
    np.testing.assert_array_equal(x.numpy(),
                                  f32([1.0, 2.0, 3.0]) - F32(0.5) * f32([2.0, 20.0, 200.0]))
    np.testing.assert_array_equal(x.grad().numpy(), before)      # gradient untouched
    assert x.requires_grad and y.requires_grad
    assert parents_of(x) == ()
    assert len(parents_of(y)) == len(parents) and all(
        p is q for p, q in zip(parents_of(y), parents))
    np.testing.assert_array_equal(y.numpy(), f32([2.0, 4.0, 6.0]) + F32(1.0))
    x.zero_grad()
    y.sum().backward()                               # y still flows into x
    np.testing.assert_array_equal(x.grad().numpy(), f32([2.0, 2.0, 2.0]))


def test_in_place_with_grad_mode_on_is_out_of_place(backend):
    a = MLArray([1.0, 2.0], dtype=smolml.float32)
    original = a
    a += 0.1
    assert a is not original
    assert_f32(original, [1.0, 2.0], rtol=0)
    assert_f32(a, f32([1.0, 2.0]) + F32(0.1), rtol=0)
    a *= MLArray([3.0, 4.0])                         # float64 operand: the result is float64
    assert a.dtype is smolml.float64
    a.sum().backward()
    assert_f32(original.grad(), [3.0, 4.0], rtol=0)
    b = MLArray([1.0, 2.0], requires_grad=False)
    kept = b
    b -= 1.0                                        # grad mode on: a new array even without grad
    assert b is not kept and kept.to_list() == [1.0, 2.0] and b.to_list() == [0.0, 1.0]


@pytest.mark.parametrize("op", list(INPLACE))
def test_in_place_broadcast_to_a_bigger_shape_is_out_of_place(backend, op):
    a = MLArray([1.0, 2.0, 4.0], dtype=smolml.float32)
    b = MLArray([[1.0, 2.0, 3.0], [0.5, 0.25, 0.125]], dtype=smolml.float32)
    original = a
    with smolml.no_grad():
        a = INPLACE[op][0](a, b)
    assert a is not original and a.shape == (2, 3)
    assert_f32(original, [1.0, 2.0, 4.0], rtol=0)
    assert_f32(a, INPLACE[op][1](f32([1.0, 2.0, 4.0]), f32(b.numpy())), rtol=1e-6)
    with smolml.no_grad():
        column = MLArray([[1.0], [2.0]], dtype=smolml.float32)
        grown = _apply(op, column, MLArray([1.0, 2.0, 3.0], dtype=smolml.float32))
    assert grown is not column and grown.shape == (2, 3)


def test_in_place_shape_errors_match_out_of_place(backend):
    a = MLArray([1.0, 2.0, 3.0])
    with smolml.no_grad():
        with pytest.raises(ValueError) as in_place:
            a += MLArray([1.0, 2.0])
        with pytest.raises(ValueError) as out_of_place:
            a + MLArray([1.0, 2.0])
    assert str(in_place.value) == str(out_of_place.value)
    with pytest.raises(TypeError):
        a += "x"


def test_in_place_0d_and_aliasing(backend):
    s = MLArray(1.0, dtype=smolml.float32)
    with smolml.no_grad():
        same = s
        s += 0.1
        assert s is same
        assert s.to_list() == float(F32(1.0) + F32(0.1))
        v = MLArray([1.0, 2.0, 3.0])
        v += v[0]                       # the operand is read before anything is written
        assert v.to_list() == [2.0, 3.0, 4.0]
        w = MLArray([1.0, 2.0, 3.0])
        w *= w
        assert w.to_list() == [1.0, 4.0, 9.0]


def test_in_place_sgd_loop_matches_numpy(backend):
    x = MLArray([[0.5, -1.25], [2.0, 0.75]], dtype=smolml.float32)
    target = np.array([[1.0, 0.0], [0.0, 1.0]])
    theta = f32(x.numpy())
    lr = 0.1
    param = x
    for _ in range(5):
        x.zero_grad()
        ((x - MLArray(target, dtype="float32")) ** 2).sum().backward()
        with smolml.no_grad():
            x -= lr * x.grad()
        theta = theta - F32(lr) * (F32(2.0) * (theta - target.astype(F32)))
    assert x is param
    assert_f32(x, theta, rtol=1e-6, scale=1.0)
