"""The NumPy/PyTorch habits of MLArray and Value: elementwise comparisons, item, tolist,
argmax/argmin, detach, clone, squeeze/unsqueeze and the __array__ protocol, each
against NumPy (and finite differences for clone's gradient)."""
import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import smolml
from smolml import MLArray, Value

from helpers import assert_close, numeric_grads, weighted_loss

A = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, np.nan]])

COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


# ---------------------------------------------------------------- comparisons

@pytest.mark.parametrize("test", COMPARISONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", [
    np.array([2.0, 2.0, 3.0]),                 # broadcast along the rows
    np.array([[5.0], [7.0]]),                  # broadcast along the columns
    np.array([[1.0, 0.0, 3.0], [8.0, 2.0, np.nan]]),
], ids=["row", "column", "same"])
def test_comparisons_match_numpy(backend, test, other):
    result = test(MLArray(A), MLArray(other))
    expected = test(A, other).astype(np.float64)
    assert isinstance(result, MLArray)
    assert result.dtype == smolml.float64
    assert_close(result, expected)
    assert not result.requires_grad


@pytest.mark.parametrize("test", COMPARISONS, ids=lambda f: f.__name__)
def test_comparisons_with_numbers_lists_and_values(backend, test):
    x = MLArray(A)
    assert_close(test(x, 3.0), test(A, 3.0))
    assert_close(test(x, [1.0, 5.0, 4.0]), test(A, np.array([1.0, 5.0, 4.0])))
    assert_close(test(x, Value(2.0)), test(A, 2.0))
    # a number on the left: Python reflects the comparison
    assert_close(test(3.0, x), test(3.0, A))
    assert_close(test(np.array([1.0, 5.0, 4.0]), x), test(np.array([1.0, 5.0, 4.0]), A))


def test_comparison_dtype_follows_the_operands(backend):
    x32 = MLArray(A, dtype=smolml.float32)
    assert (x32 > 1.0).dtype == smolml.float32
    assert (x32 > MLArray(A)).dtype == smolml.float64
    # the number is rounded to float32 first, as NumPy 2 compares a float32 array
    tenth = np.float32(0.1)
    assert_close(MLArray([0.1], dtype=smolml.float32) == 0.1,
                 np.array([tenth]) == 0.1)


def test_comparisons_make_no_graph(backend):
    x = MLArray([1.0, -2.0, 3.0])
    mask = x > 0
    y = (x * mask).sum()
    y.backward()
    assert_close(x.grad(), [1.0, 0.0, 1.0])        # the mask is a constant
    assert mask.grad() is not None and not mask.requires_grad


def test_comparison_shape_errors(backend):
    with pytest.raises(ValueError, match="broadcast"):
        MLArray([1.0, 2.0]) < MLArray([1.0, 2.0, 3.0])


def test_arrays_stay_hashable_by_identity(backend):
    a, b = MLArray([1.0]), MLArray([1.0])
    seen = {a: "a", b: "b"}
    assert seen[a] == "a" and seen[b] == "b" and len(seen) == 2
    assert hash(a) != hash(b)


def test_equality_with_unrelated_objects_is_false(backend):
    assert (MLArray([1.0]) == "x") is False
    assert (MLArray([1.0]) != None) is True      # noqa: E711


def test_zero_d_comparison_in_if(backend):
    x = MLArray(3.0)
    assert bool(x > 0) and not bool(x < 0)
    if x > 2:
        hit = True
    else:
        hit = False
    assert hit
    assert bool(MLArray([[0.5]]) == 0.5)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(MLArray([1.0, 2.0]) > 0)


@pytest.mark.parametrize("data", [0.0, 2.5, -0.0, [0.0], [[3.0]], float("nan"),
                                  [0.0, 0.0], [1.0, 1.0], [], [[0.0, 1.0]]])
def test_truth_is_numpys(backend, data):
    """bool() of a size-1 array is its number's truth; any other size is ambiguous
    (a ValueError, as NumPy's), never the truth of len()."""
    expected = np.array(data)
    if expected.size == 1:
        assert bool(MLArray(data)) is bool(expected)
        assert bool(MLArray(data, dtype="float32")) is bool(expected)
    else:
        with pytest.raises(ValueError):
            bool(expected)
        with pytest.raises(ValueError, match="ambiguous"):
            bool(MLArray(data))


def test_accuracy_with_argmax_and_equality(backend):
    probabilities = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    labels = np.array([1.0, 1.0, 1.0, 0.0])
    hits = MLArray(probabilities).argmax(axis=1) == MLArray(labels)
    assert hits.mean().item() == np.mean(probabilities.argmax(axis=1) == labels)


# ---------------------------------------------------------------- conversions

def test_item(backend):
    assert MLArray(2.5).item() == 2.5
    assert MLArray([[4.0]]).item() == 4.0
    assert isinstance(MLArray([[4.0]]).item(), float)
    assert Value(1.5).item() == 1.5
    assert MLArray([[1.0, 2.0], [3.0, 4.0]])[1][0].item() == 3.0
    with pytest.raises(ValueError, match=r"size 1, not one of shape \(2,\)"):
        MLArray([1.0, 2.0]).item()
    with pytest.raises(ValueError):
        MLArray([]).item()


def test_tolist(backend):
    assert np.array_equal(np.array(MLArray(A).tolist()), A, equal_nan=True)
    assert type(MLArray(A).tolist()[0][0]) is float
    assert MLArray(2.0).tolist() == 2.0
    assert MLArray([[1.0, 2.0]]).tolist() == np.array([[1.0, 2.0]]).tolist()


def test_int_of_a_size_one_array(backend):
    assert int(MLArray([[3.0]])) == 3
    assert int(MLArray(-2.7)) == int(np.float64(-2.7))
    with pytest.raises(TypeError):
        int(MLArray([1.0, 2.0]))


# ---------------------------------------------------------------- argmax / argmin

B = np.array([[[3.0, 1.0, 3.0], [0.0, 9.0, -1.0]],
              [[2.0, 2.0, 5.0], [np.nan, 4.0, 4.0]]])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -3])
@pytest.mark.parametrize("keepdims", [False, True])
def test_arg_reductions_match_numpy(backend, name, axis, keepdims):
    result = getattr(MLArray(B), name)(axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(B, axis=axis, keepdims=keepdims)
    assert result.shape == expected.shape
    assert result.dtype == smolml.float64
    assert not result.requires_grad
    assert_close(result, expected)


def test_arg_reductions_of_float32_and_ties(backend):
    data = np.array([[1.0, 4.0, 4.0], [2.0, 2.0, 0.0]], dtype=np.float32)
    x = MLArray(data)
    # the first of equal maxima (minima), as NumPy
    assert x.argmax(axis=1).tolist() == np.argmax(data, axis=1).tolist()
    assert x.argmin(axis=0).tolist() == np.argmin(data, axis=0).tolist()
    assert x.argmin(axis=1).dtype == smolml.float64
    assert int(x.argmax()) == 1
    assert int(MLArray(7.0).argmax()) == 0


def test_arg_reduction_errors(backend):
    with pytest.raises(ValueError, match="empty"):
        MLArray([]).argmax()
    with pytest.raises(ValueError, match="out of bounds"):
        MLArray([[1.0]]).argmin(axis=2)
    with pytest.raises(TypeError, match="axis"):
        MLArray([[1.0]]).argmax(axis=1.0)


# ---------------------------------------------------------------- detach / clone

def test_detach_keeps_numbers_drops_history(backend):
    x = MLArray([[1.0, 2.0]], dtype=smolml.float32)
    y = (x * 3.0).detach()
    assert_close(y, np.array([[3.0, 6.0]]))
    assert y.dtype == smolml.float32 and not y.requires_grad
    (x * y).sum().backward()
    assert_close(x.grad(), [[3.0, 6.0]])              # y is a constant


def test_clone_is_a_differentiable_copy(backend):
    x = MLArray([[1.0, -2.0], [0.5, 3.0]])

    def f(x):
        return x.clone() * x

    weighted_loss(f(x)).backward()
    assert_close(x.grad(), numeric_grads(f, [x])[0], rtol=1e-6, atol=1e-8)
    copy = x.clone()
    assert copy is not x and copy.shape == x.shape and copy.requires_grad
    with smolml.no_grad():
        copy[0, 0] = 100.0
    assert x.numpy()[0, 0] == 1.0                     # a copy, not a view


# ---------------------------------------------------------------- squeeze / unsqueeze

@pytest.mark.parametrize("shape, axis", [
    ((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), -1), ((1, 3, 1), (0, 2)), ((1,), None),
    ((2, 3), None), ((1, 1), (0, 1)),
])
def test_squeeze_matches_numpy(backend, shape, axis):
    data = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    result = MLArray(data).squeeze(axis)
    assert_close(result, np.squeeze(data, axis=axis))


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_unsqueeze_matches_numpy(backend, axis):
    data = np.arange(6, dtype=np.float64).reshape(2, 3)
    assert_close(MLArray(data).unsqueeze(axis), np.expand_dims(data, axis))


def test_squeeze_errors_and_gradient(backend):
    with pytest.raises(ValueError, match="squeeze axis 1"):
        MLArray(np.zeros((1, 3))).squeeze(1)
    with pytest.raises(ValueError, match="repeat"):
        MLArray(np.zeros((1, 3))).squeeze((0, -2))
    with pytest.raises(ValueError, match="out of bounds"):
        MLArray(np.zeros((2, 3))).unsqueeze(3)
    x = MLArray([[1.0, 2.0]])
    weighted_loss(x.squeeze().unsqueeze(1)).backward()
    assert_close(x.grad(), numeric_grads(lambda x: x.squeeze().unsqueeze(1), [x])[0],
                 rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- __array__

def test_array_protocol(backend):
    x = MLArray([[1.0, 2.0]], dtype=smolml.float32)
    assert np.asarray(x).dtype == np.float32
    assert np.array(x, dtype=np.float64).dtype == np.float64
    copy = np.array(x, copy=True)
    copy[0, 0] = 9.0
    assert x.numpy()[0, 0] == 1.0
    with pytest.raises(ValueError, match="copy"):
        np.array(x, copy=False)
    with pytest.raises(ValueError, match="copy"):
        x.__array__(copy=False)
    assert x.__array__(np.float64, copy=True).dtype == np.float64


# ---------------------------------------------------------------- parity

def test_new_methods_agree_across_backends(both_backends):
    results = {}
    for name in both_backends:
        with smolml.use_backend(name):
            x = MLArray(B)
            results[name] = [(x > 2.0).numpy(), (x == x).numpy(), x.argmax(axis=2).numpy(),
                             x.argmin().numpy(), x.unsqueeze(1).squeeze(1).numpy(),
                             x.detach().numpy(), x.clone().numpy()]
    for got, expected in zip(*results.values()):
        np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- random shapes and numbers

SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -1.5, 0.1, 1e39, -1e39, np.inf, -np.inf, np.nan])
NUMBER = st.one_of(st.floats(-5, 5, allow_nan=False), SPECIAL)


@st.composite
def broadcast_pair(draw):
    """Two arrays whose shapes broadcast, of random dtypes, with ties, nan and inf."""
    shape = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    other = [draw(st.sampled_from([d, 1])) for d in shape][draw(st.integers(0, len(shape))):]
    arrays = [np.array(draw(st.lists(NUMBER, min_size=int(np.prod(s)), max_size=int(np.prod(s)))),
                       dtype=np.float64).reshape(s) for s in (shape, other)]
    dtypes = [draw(st.sampled_from([np.float64, np.float32])) for _ in arrays]
    with np.errstate(over="ignore"):
        return [array.astype(dtype) for array, dtype in zip(arrays, dtypes)]


@pytest.mark.filterwarnings("error::RuntimeWarning")   # rounding to float32 warns nowhere
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=broadcast_pair(), test=st.sampled_from(COMPARISONS))
def test_comparisons_match_numpy_on_random_arrays(backend, pair, test):
    a, b = pair
    with np.errstate(over="ignore"):
        expected = test(a, b)
    result = test(MLArray(a), MLArray(b))
    assert result.dtype == np.result_type(a, b)
    np.testing.assert_array_equal(result.numpy(), expected.astype(np.float64))
    scalar = float(b.ravel()[0]) if b.size else 0.5
    with np.errstate(over="ignore"):
        expected = test(a, scalar)         # a Python float is weak: a's dtype
    np.testing.assert_array_equal(test(MLArray(a), scalar).numpy(), expected.astype(np.float64))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=broadcast_pair(), name=st.sampled_from(["argmax", "argmin"]),
       keepdims=st.booleans(), data=st.data())
def test_arg_reductions_match_numpy_on_random_arrays(backend, pair, name, keepdims, data):
    a = pair[0]
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1))) if a.ndim else None
    expected = getattr(np, name)(a, axis=axis, keepdims=keepdims)
    result = getattr(MLArray(a), name)(axis=axis, keepdims=keepdims)
    assert result.shape == np.shape(expected)
    np.testing.assert_array_equal(result.numpy(), np.asarray(expected, dtype=np.float64))
