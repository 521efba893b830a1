"""exp and tanh of arrays against libm (Python's math module), element by element,
over the whole range: tiny, moderate, saturating, overflowing and special inputs."""
import math

import numpy as np
import pytest

from smolml import MLArray, Value

RNG = np.random.default_rng(7)
INPUTS = np.concatenate(
    [RNG.standard_normal(20000) * scale for scale in (1e-12, 1e-4, 0.1, 0.5, 1.0, 5.0, 30.0)]
    + [RNG.uniform(-760.0, 760.0, 20000),
       np.array([0.0, -0.0, 0.55, -0.55, 20.0, -20.0, 19.9999, 708.0, -708.0, 709.0, 709.7,
                 -745.0, -746.0, 5e-324, 1e-310, 355.0, 800.0, np.inf, -np.inf, np.nan])])


def libm(name, x):
    try:
        return getattr(math, name)(x)
    except OverflowError:
        return math.inf


def ulp_distance(actual, expected, dtype=np.float64):
    """|actual − expected| in units of the last place of `dtype` at `expected`."""
    spacing = np.spacing(np.abs(np.asarray(expected, dtype))).astype(np.float64)
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
    with np.errstate(invalid="ignore"):     # inf − inf where both are inf: `same` says so
        gap = np.abs(actual - expected) / spacing
    return np.where(same, 0.0, gap)


@pytest.mark.parametrize("name", ["exp", "tanh"])
def test_float64_within_four_ulp_of_libm(backend, name):
    expected = np.array([libm(name, x) for x in INPUTS])
    actual = getattr(MLArray(INPUTS, requires_grad=False), name)().numpy()
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    assert np.array_equal(np.isinf(actual), np.isinf(expected))
    assert ulp_distance(actual, expected).max() <= 4


@pytest.mark.parametrize("name", ["exp", "tanh"])
def test_float32_within_two_ulp_of_libm(backend, name):
    inputs = INPUTS.astype(np.float32)
    with np.errstate(over="ignore"):
        expected = np.array([libm(name, float(x)) for x in inputs]).astype(np.float32)
    actual = getattr(MLArray(inputs, requires_grad=False), name)().numpy()
    assert actual.dtype == np.float32
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    assert ulp_distance(actual, expected, np.float32).max() <= 2


def test_tanh_keeps_the_sign_of_zero(backend):
    out = MLArray([0.0, -0.0], requires_grad=False).tanh().numpy()
    assert list(np.signbit(out)) == [False, True]


# A scalar Value and an array run the same exp and tanh (kernels.pyx), so they agree to
# the bit; both are checked against libm too.
SCALAR_INPUTS = np.concatenate([INPUTS[::40], INPUTS[-20:]])


@pytest.mark.parametrize("name", ["exp", "tanh"])
def test_a_value_is_within_four_ulp_of_libm(backend, name):
    expected = np.array([libm(name, x) for x in SCALAR_INPUTS])
    actual = np.array([getattr(Value(float(x)), name)().data for x in SCALAR_INPUTS])
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    assert np.array_equal(np.isinf(actual), np.isinf(expected))
    assert ulp_distance(actual, expected).max() <= 4


@pytest.mark.parametrize("name", ["exp", "tanh"])
def test_a_value_and_an_array_element_agree_to_the_bit(backend, name):
    from_values = np.array([getattr(Value(float(x)), name)().data for x in SCALAR_INPUTS])
    from_array = getattr(MLArray(SCALAR_INPUTS, requires_grad=False), name)().numpy()
    assert np.array_equal(from_values, from_array, equal_nan=True)
    assert np.array_equal(np.signbit(from_values), np.signbit(from_array))
