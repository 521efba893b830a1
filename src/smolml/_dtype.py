"""The two floating-point types an MLArray can hold: float64 (the default) and float32.

Both backends share this module (standard library only). A dtype is named by a
`DType` object (`smolml.float32`, `smolml.float64`), a string ("float32", "f4",
"single", ...) or NumPy's names for it (np.float32, np.dtype("float32")); `dtype(x)`
turns any of these into the DType. A DType compares equal to every name of it, so
`arr.dtype == "float32"` and `arr.dtype == np.float32` both hold for a float32 array.

Type promotion, the same on both backends, follows NumPy 2: an operation on MLArrays
of float32 and float64 gives float64; Python numbers and scalar Values are "weak" and
take the array's dtype (`arr32 * 2.0` and `arr32 * Value(2.0)` stay float32). A
scalar Value is always float64, as a Python float is.
"""
import struct

_FLOAT32 = struct.Struct("<f")
_FLOAT32_MAX = 3.4028234663852886e38
# Halfway between FLT_MAX and the next float32 step above it: the smallest magnitude
# that rounds to infinity rather than to FLT_MAX.
_FLOAT32_OVERFLOW = 3.4028235677973366e38


class DType:
    """A floating-point element type: `name` ("float32" or "float64"), `itemsize`
    (bytes per element)."""

    __slots__ = ("name", "itemsize")

    def __init__(self, name, itemsize):
        self.name = name
        self.itemsize = itemsize

    def __eq__(self, other):
        if isinstance(other, DType):
            return other is self
        name = _name_of(other)
        return name is not None and _ALIASES.get(name) is self

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.name)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"smolml.{self.name}"

    def __reduce__(self):
        return (dtype, (self.name,))


float32 = DType("float32", 4)
float64 = DType("float64", 8)

_ALIASES = {
    "float32": float32, "f4": float32, "<f4": float32, "=f4": float32, "single": float32,
    "float64": float64, "f8": float64, "<f8": float64, "=f8": float64, "double": float64,
    "float": float64, "d": float64, "f": float32,
}


def _name_of(x):
    """The name x goes by as a dtype, or None: strings, NumPy dtypes (`.name`) and
    scalar types (`np.float32`, Python's float) are understood without importing NumPy."""
    if isinstance(x, str):
        return x
    if isinstance(x, type):
        return x.__name__
    name = getattr(x, "name", None)
    if isinstance(name, str) and hasattr(x, "itemsize"):
        return name
    return None


def dtype(x):
    """The DType named by x (None names the default); TypeError for anything else."""
    if x is None:
        return _default
    if isinstance(x, DType):
        return x
    name = _name_of(x)
    found = _ALIASES.get(name) if name is not None else None
    if found is None:
        shown = repr(x) if isinstance(x, str) else (name or type(x).__name__)
        raise TypeError(
            f"dtype must be float32 or float64 (a smolml dtype, a string or a NumPy "
            f"dtype); got {shown}")
    return found


_default = float64


def set_default_dtype(d):
    """Make `d` (float32 or float64) the dtype of new MLArrays made from Python data;
    returns the previous default. float64 is the default at import."""
    global _default
    previous = _default
    _default = dtype(d)
    return previous


def get_default_dtype():
    """The dtype new MLArrays get when none is asked for (float64 unless changed)."""
    return _default


def round_float32(x):
    """x rounded to the nearest float32, as a Python float (IEEE: overflow gives ±inf,
    nan stays nan). The pure backend calls it after every float32 operation."""
    if -_FLOAT32_MAX <= x <= _FLOAT32_MAX:
        return _FLOAT32.unpack(_FLOAT32.pack(x))[0]
    if x != x:
        return x
    if x >= _FLOAT32_OVERFLOW:
        return float("inf")
    if x <= -_FLOAT32_OVERFLOW:
        return float("-inf")
    return _FLOAT32_MAX if x > 0 else -_FLOAT32_MAX


def result_dtype(*dtypes):
    """The dtype of an operation on arrays of these dtypes (None entries are weak operands,
    numbers and scalar Values, and do not count); float64 when all are weak."""
    found = None
    for d in dtypes:
        if d is float64:
            return float64
        if d is float32:
            found = float32
    return found if found is not None else float64


def array_protocol(fresh, dtype=None, copy=None):
    """An MLArray's `__array__(dtype, copy)` (NumPy 2's protocol), given `fresh`, a new
    ndarray of its numbers: an MLArray's numbers never live in an ndarray, so NumPy
    always gets a copy, and `copy=False` (no copy allowed) is a ValueError, as NumPy asks.
    `dtype` converts the copy."""
    if copy is False:
        raise ValueError("an MLArray's numbers cannot be handed to NumPy without a copy "
                         "(copy=False); use copy=None or np.asarray(arr)")
    return fresh if dtype is None else fresh.astype(dtype, copy=False)
