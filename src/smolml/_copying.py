"""`copy.copy`, `copy.deepcopy` and `pickle` of Value and MLArray, alike on both backends.

A copy is a leaf of the same backend holding the numbers, the gradient, the dtype and
`requires_grad` of the original, and no history: a copy of a result of operations is
detached from the graph that made it (PyTorch refuses to deepcopy such a tensor; smolml
detaches it). `copy.copy` copies the numbers too, as NumPy's does: no copy shares memory
with its original. Layers and networks hold their parameters as attributes, so they
copy and pickle through these.

A pickle holds only numbers and names: the backend, the shape, the dtype, the numbers
and the gradient as little-endian bytes, `requires_grad`. Loading one checks that they
agree (a crafted pickle gives a ValueError or TypeError, never an inconsistent array).
"""
import array
import sys

from smolml import _backend, _shapes

# dtype name -> the `array` module's type code of its numbers
TYPECODES = {"float64": "d", "float32": "f"}


def encode(numbers, dtype_name):
    """The floats `numbers` as little-endian bytes of dtype `dtype_name` (pure backend)."""
    packed = array.array(TYPECODES[dtype_name], numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def decode(data, dtype_name):
    """The floats of little-endian bytes made by `encode` (pure backend)."""
    packed = array.array(TYPECODES[dtype_name])
    packed.frombytes(data)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tolist()


def rebuild_value(backend, data, grad, requires_grad):
    """A leaf Value of `backend` from a pickle (see module docstring)."""
    module = _module(backend)
    for name, x in (("data", data), ("grad", grad)):
        if not _shapes.is_number(x):
            raise TypeError(f"a pickled Value's {name} must be a number; got "
                            f"{_shapes.describe(x)}")
    value = module.Value(data, requires_grad=_flag(requires_grad))
    value.grad = float(grad)
    return value


def rebuild_array(backend, shape, dtype_name, numbers, grad, requires_grad):
    """A leaf MLArray of `backend` from a pickle: `numbers` (and `grad`, or None when the
    array had no gradient buffer) are the row-major bytes of `shape` in `dtype_name`."""
    module = _module(backend)
    if not isinstance(shape, tuple):
        raise TypeError(f"a pickled MLArray's shape must be a tuple; got "
                        f"{_shapes.describe(shape)}")
    shape = _shapes.check_shape(shape)
    if any(dim > sys.maxsize for dim in shape):
        raise ValueError(f"a pickled MLArray's shape {shape} has a dimension too large")
    if dtype_name not in TYPECODES:
        raise ValueError(f"a pickled MLArray's dtype must be one of {sorted(TYPECODES)}; "
                         f"got {dtype_name!r}")
    expected = _shapes.size_of(shape) * array.array(TYPECODES[dtype_name]).itemsize
    for name, data in (("numbers", numbers), ("gradient", grad)):
        if data is None and name == "gradient":
            continue
        if type(data) is not bytes:
            raise TypeError(f"a pickled MLArray's {name} must be bytes; got "
                            f"{_shapes.describe(data)}")
        if len(data) != expected:
            raise ValueError(f"a pickled MLArray of shape {shape} and dtype {dtype_name} "
                             f"needs {expected} bytes of {name}; got {len(data)}")
    return module.array_from_state(shape, dtype_name, numbers, grad, _flag(requires_grad))


def _module(backend):
    if backend not in _backend.BACKENDS:
        raise ValueError(f"a pickle names the unknown backend {backend!r}")
    return _backend._load(backend)


def _flag(requires_grad):
    if type(requires_grad) is not bool:
        raise TypeError(f"a pickled requires_grad must be True or False; got "
                        f"{_shapes.describe(requires_grad)}")
    return requires_grad
