"""Memory preflight: an array that would need more memory than the machine has free (or
than the limit set with `smolml.set_memory_limit` or the environment variable
SMOLML_MEMORY_LIMIT) is a MemoryError naming its shape and bytes, raised before
anything large is allocated, instead of minutes of swapping or the OOM killer.

Both backends call `check_array` for every array they make from a shape (`zeros`,
`ones`, `randn`, initializers, op results, nested data, feature expansions).
"""
import math
import os
import re

from smolml import _backend

LIMIT_ENV = "SMOLML_MEMORY_LIMIT"

PURE_ELEMENT_BYTES = 128
"""What one element of a pure-backend array costs: a Value object (56 bytes), its float
(24), the list slot pointing to it (8), and its gradient float once backward ran (24),
rounded up. The engine's element costs its itemsize (8 or 4 bytes)."""

LIST_ELEMENT_BYTES = 40
"""One number of a Python list of floats on its way into an array: the list slot (8),
the float (24) and its place in the float64 ndarray made from the list (8)."""

SMALL_BYTES = 16 * 1024 ** 2
"""Arrays up to this size are never checked: reading the free memory costs more than
making them, and the machine has that much."""

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024 ** 2, "mb": 1024 ** 2,
          "g": 1024 ** 3, "gb": 1024 ** 3, "t": 1024 ** 4, "tb": 1024 ** 4}
_limit = None


def _parse_limit(text, source):
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match and match.group(2).lower()
    if match is None or unit not in _UNITS:
        raise ValueError(f"{source} must be a number of bytes, optionally with a unit "
                         f"K, M, G or T (powers of 1024), e.g. 4G; got {text!r}")
    return int(float(match.group(1)) * _UNITS[unit])


def element_bytes():
    """What one float64 element of an array of the active backend costs."""
    return PURE_ELEMENT_BYTES if _backend.get_backend() == "pure" else 8


def set_memory_limit(limit):
    """Largest array smolml makes, in bytes (an int, or a string such as "4G"); None
    goes back to the default: SMOLML_MEMORY_LIMIT if set, else the memory the machine
    has available when the array is made. Returns the previous setting."""
    global _limit
    previous = _limit
    if limit is None:
        _limit = None
    elif isinstance(limit, str):
        _limit = _parse_limit(limit, "the memory limit")
    elif isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"the memory limit must be an int of bytes, a string such as '4G' "
                        f"or None; got {limit!r} ({type(limit).__name__})")
    elif limit <= 0:
        raise ValueError(f"the memory limit must be > 0 bytes; got {limit}")
    else:
        _limit = limit
    return previous


def available_memory():
    """Bytes the machine can give without swapping: MemAvailable of /proc/meminfo, else
    the free physical pages; None where neither is known."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def memory_limit():
    """(bytes, where the limit comes from) for the next array; bytes is None when no
    limit is known."""
    if _limit is not None:
        return _limit, "the limit set with smolml.set_memory_limit"
    text = os.environ.get(LIMIT_ENV, "").strip()
    if text:
        return _parse_limit(text, LIMIT_ENV), LIMIT_ENV
    return available_memory(), "the memory this machine has available"


def format_size(size_bytes):
    """A byte count as text with a binary unit: 1536 -> '1.50 KB'."""
    size = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} TB"


def check_bytes(nbytes, what):
    """MemoryError if `nbytes` exceed the limit; `what` names the request for the message
    (e.g. "an array of shape (40000, 40000)")."""
    if nbytes <= SMALL_BYTES:
        return
    limit, source = memory_limit()
    if limit is not None and nbytes > limit:
        raise MemoryError(f"{what} needs {nbytes:,} bytes ({format_size(nbytes)}), more than "
                          f"{source} ({limit:,} bytes, {format_size(limit)})")


def check_array(shape, element_bytes, what="an array"):
    """MemoryError if an array of `shape` at `element_bytes` per element would not fit;
    exact for any shape (Python ints: no overflow)."""
    check_bytes(math.prod(shape) * element_bytes, f"{what} of shape {tuple(shape)}")


def declared_shape(data, array_shape):
    """The shape nested lists claim from their first elements, without walking the rest
    (a list of one row repeated a million times claims a million rows in O(depth)).
    `array_shape(x)` is the shape of an array-like x, or None. Ragged data is found later
    by the full parse; this only bounds what the parse would build."""
    shape = []
    while isinstance(data, (list, tuple)):
        shape.append(len(data))
        if not data:
            return tuple(shape)
        data = data[0]
    inner = array_shape(data)
    return tuple(shape) + tuple(inner or ())
