"""Each bad input gets its own clear exception, with a message that says what is wrong."""
import numpy as np
import pytest

import smolml
from smolml import MLArray, Value

MIX_MESSAGE = "cannot mix objects of the 'engine' and 'pure' backends in one expression"


@pytest.mark.parametrize("data, path", [
    ([[1, 2], [3]], "[1]"),
    ([1, [2, 3]], "[1]"),
    ([[[1, 2], [3, 4]], [[5, 6], [7]]], "[1][1]"),
    ([[1, 2], 3], "[1]"),
])
def test_ragged_nesting_is_a_value_error_with_path(backend, data, path):
    with pytest.raises(ValueError, match="ragged") as info:
        MLArray(data)
    assert path in str(info.value)


@pytest.mark.parametrize("data, shown", [
    ([1, "a"], "'a' (str)"),
    ([[1, 2], [None, 4]], "None (NoneType)"),
    ([1, 2 + 3j], "(2+3j) (complex)"),
    ({"a": 1}, "dict"),
    ("text", "str"),
    ([[1, object()]], "object"),
])
def test_non_numeric_element_is_a_type_error_naming_it(backend, data, shown):
    with pytest.raises(TypeError) as info:
        MLArray(data)
    assert shown in str(info.value)


def test_non_numeric_numpy_dtype(backend):
    with pytest.raises(TypeError):
        MLArray(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        MLArray(np.array([1 + 2j]))


@pytest.mark.parametrize("bad", ["2", None, 1 + 1j, [1.0]])
def test_value_needs_a_real_number(backend, bad):
    with pytest.raises(TypeError, match="Value needs a real number"):
        Value(bad)


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (3, 2)), ((3,), (4,)), ((2, 3, 4), (2, 1))])
def test_incompatible_broadcast(backend, shape_a, shape_b):
    a, b = smolml.ones(shape_a), smolml.ones(shape_b)
    for op in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x ** y):
        with pytest.raises(ValueError) as info:
            op(a, b)
        assert str(shape_a) in str(info.value) and str(shape_b) in str(info.value)


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (2, 3)), ((3,), (4,)), ((2, 3), (4,)),
                                              ((2, 2, 3), (3, 3, 2))])
def test_matmul_shape_mismatch(backend, shape_a, shape_b):
    with pytest.raises(ValueError) as info:
        smolml.ones(shape_a) @ smolml.ones(shape_b)
    assert str(shape_a) in str(info.value) and str(shape_b) in str(info.value)


def test_matmul_with_0d_operand(backend):
    with pytest.raises(ValueError, match="0-d"):
        MLArray(2.0) @ smolml.ones(2)
    with pytest.raises(ValueError, match="0-d"):
        smolml.ones(2) @ Value(2.0)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "std"])
def test_bad_axis(backend, name):
    x = smolml.ones(2, 3)
    for axis in (2, -3, 5):
        with pytest.raises(ValueError, match="out of bounds"):
            getattr(x, name)(axis=axis)
    with pytest.raises(TypeError):
        getattr(x, name)(axis=1.5)
    with pytest.raises(ValueError):
        getattr(MLArray(1.0), name)(axis=0)


def test_max_min_of_empty_selection(backend):
    with pytest.raises(ValueError, match="empty"):
        smolml.zeros(0).max()
    with pytest.raises(ValueError, match="empty"):
        smolml.zeros(2, 0).min(axis=1)


@pytest.mark.parametrize("args", [(4,), (2, 2), (-1, 4), (5, -1), (-1, -1), (3, -2)])
def test_bad_reshape(backend, args):
    with pytest.raises(ValueError):
        smolml.ones(2, 3).reshape(*args)


def test_bad_transpose(backend):
    with pytest.raises(ValueError):
        smolml.ones(2, 3).transpose(0, 0)
    with pytest.raises(ValueError):
        smolml.ones(2, 3).transpose(0, 1, 2)


def test_unknown_backend():
    with pytest.raises(ValueError) as info:
        with smolml.use_backend("gpu"):
            pass
    message = str(info.value)
    assert "'gpu'" in message and "engine" in message and "pure" in message
    with pytest.raises(ValueError):
        smolml.set_backend("gpu")


@pytest.mark.parametrize("index", [3, -4, (0, 5), (1, -5), (0, 0, 0)])
def test_index_out_of_range(backend, index):
    with pytest.raises(IndexError):
        smolml.ones(3, 4)[index]
    with pytest.raises(IndexError):
        smolml.ones(3, 4)[index] = 1.0


@pytest.mark.parametrize("index", [1.5, "a", [0, 1], None])
def test_bad_index_type(backend, index):
    with pytest.raises(TypeError):
        smolml.ones(3, 4)[index]


def test_len_and_iter_of_0d(backend):
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d MLArray"):
        len(MLArray(1.0))
    with pytest.raises(TypeError):
        iter(MLArray(1.0)).__next__()


def test_float_of_many_elements(backend):
    with pytest.raises(TypeError):
        float(smolml.ones(2))


def test_setitem_and_update_values_shape_mismatch(backend):
    x = smolml.zeros(2, 3)
    with pytest.raises(ValueError):
        x[0] = [1.0, 2.0]
    with pytest.raises(ValueError):
        x.update_values([[1.0, 2.0, 3.0]] * 3)
    with pytest.raises(ValueError):
        x.update_values(smolml.ones(3, 2))


def test_bad_shapes_for_constructors(backend):
    with pytest.raises(ValueError):
        smolml.zeros(2, -1)
    with pytest.raises(TypeError):
        smolml.ones(2.5)


def test_ensure_array_rejects_other_types(backend):
    with pytest.raises(TypeError):
        MLArray.ensure_array("abc")
    with pytest.raises(TypeError):
        MLArray.ensure_array(None)


def test_unsupported_operand_types(backend):
    x = smolml.ones(2)
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        {"a": 1} * x


def test_mixing_backends(both_backends):
    with smolml.use_backend("engine"):
        engine_array, engine_value = smolml.ones(2), Value(1.0)
    with smolml.use_backend("pure"):
        pure_array, pure_value = smolml.ones(2), Value(1.0)
    pairs = [(engine_array, pure_array), (engine_value, pure_value),
             (engine_array, pure_value), (engine_value, pure_array)]
    ops = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a / b,
           lambda a, b: a ** b]
    for left, right in pairs:
        for op in ops:
            for a, b in ((left, right), (right, left)):
                with pytest.raises(TypeError, match="cannot mix"):
                    op(a, b)
    for a, b in ((engine_array, pure_array), (pure_array, engine_array)):
        with pytest.raises(TypeError, match="cannot mix"):
            a @ b
    for other, wrong in ((engine_array, pure_value), (pure_array, engine_value)):
        with pytest.raises(TypeError, match="cannot mix"):
            with smolml.use_backend(smolml._backend.backend_of(other)):
                MLArray([wrong])
    with smolml.use_backend("pure"):
        with pytest.raises(TypeError) as info:
            MLArray(engine_array)
        assert str(info.value) == MIX_MESSAGE
