"""Shape rules shared by both backends: nested-list parsing, broadcasting, axes,
reshape, transpose, matmul and indexing.

Both backends call these functions, so an ill-shaped input gets the same exception,
with the same message, whichever backend is active. Standard library only.
"""
import math
import numbers
import operator

from smolml import _dtype

MAX_REPR_ELEMENTS = 1000    # larger arrays print their corners only, as NumPy does
REPR_EDGE_ITEMS = 3


def is_number(x):
    """True for real numbers (int, float, bool, NumPy real scalars); not for complex or str."""
    return isinstance(x, numbers.Real)


def describe(x):
    """Short text naming a value and its type, for error messages."""
    text = repr(x)
    if " at 0x" in text:                # a default repr: its address says nothing
        text = f"<{type(x).__name__} object>"
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({type(x).__name__})"


def path_text(path):
    return "".join(f"[{i}]" for i in path) or "the top level"


# ---------------------------------------------------------------- nested lists

def parse_nested(data, is_leaf, as_array):
    """Walk `data` into (shape, flat_items) in row-major order.

    is_leaf(x) says whether x is a single element (a number or the backend's Value);
    as_array(x) returns (shape, flat_items) for array-like objects (the backend's
    MLArray, NumPy arrays) or None. Lists and tuples nest.

    Raises ValueError for ragged nesting (naming the path of the offending item)
    and TypeError for an element that is neither (naming it, its type and path).
    """
    if is_leaf(data):
        return (), [data]
    array = as_array(data)
    if array is not None:
        return array
    if not isinstance(data, (list, tuple)):
        raise TypeError(
            f"MLArray elements must be numbers or Values; got {describe(data)}")
    shape, flat = _parse_list(data, [], is_leaf, as_array)
    return shape, flat


def _parse_list(items, path, is_leaf, as_array):
    flat = []
    first_shape = None
    for i, item in enumerate(items):
        here = path + [i]
        if is_leaf(item):
            item_shape, item_flat = (), [item]
        else:
            array = as_array(item)
            if array is not None:
                item_shape, item_flat = array
            elif isinstance(item, (list, tuple)):
                item_shape, item_flat = _parse_list(item, here, is_leaf, as_array)
            else:
                raise TypeError(
                    f"MLArray elements must be numbers or Values; the element at "
                    f"{path_text(here)} is {describe(item)}")
        if first_shape is None:
            first_shape = item_shape
        elif item_shape != first_shape:
            raise ValueError(
                f"ragged nested list: the item at {path_text(here)} has shape "
                f"{item_shape} but the item at {path_text(path + [0])} has shape {first_shape}")
        flat.extend(item_flat)
    if first_shape is None:
        first_shape = ()
    return (len(items),) + first_shape, flat


def nest(flat, shape):
    """Row-major flat list -> nested lists of `shape` (a 0-d shape gives the item)."""
    if not shape:
        return flat[0]
    if 0 in shape:
        return _empty_nest(shape)
    rows = list(flat)
    for dim in reversed(shape[1:]):
        rows = [rows[i:i + dim] for i in range(0, len(rows), dim)]
    return rows


def _empty_nest(shape):
    if shape[0] == 0:
        return []
    return [_empty_nest(shape[1:]) for _ in range(shape[0])]


def size_of(shape):
    return math.prod(shape)


def strides_of(shape):
    """Row-major strides, in elements."""
    strides = [1] * len(shape)
    for ax in range(len(shape) - 2, -1, -1):
        strides[ax] = strides[ax + 1] * shape[ax + 1]
    return tuple(strides)


def check_shape(shape, what="shape"):
    """Validate a user-given shape (ints >= 0); returns it as a tuple."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for dim in shape:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"{what} dimensions must be ints; got {describe(dim)}")
        if dim < 0:
            raise ValueError(f"{what} dimensions must be >= 0; got {tuple(shape)}")
        out.append(int(dim))
    return tuple(out)


def flatten_values(data, value_class):
    """SmolML's `MLArray.flatten(data)`: the `value_class` objects in nested lists, in
    row-major order. Lists nest; anything else that is not a Value is skipped."""
    flat = []
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, value_class):
            flat.append(item)
    return flat


def reject_modulo(modulo):
    """pow(x, y, m) of a Value or MLArray: a modulo has no derivative, so it is an error
    (as it is for float) rather than silently ignored."""
    if modulo is not None:
        raise TypeError("pow() with a modulo (3 arguments) is not supported for Values "
                        "and MLArrays")


# ---------------------------------------------------------------- broadcasting

def broadcast_shapes(shape_a, shape_b):
    """NumPy's rule: align on the right; each pair of dims must match or one be 1."""
    ndim = max(len(shape_a), len(shape_b))
    a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    out = []
    for da, db in zip(a, b):
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        else:
            raise ValueError(
                f"operands could not be broadcast together with shapes "
                f"{tuple(shape_a)} and {tuple(shape_b)}")
    return tuple(out)


def broadcast_offsets(shape, out_shape):
    """For each element of `out_shape` (row-major), the flat offset of the element of
    an array of `shape` that broadcasting reads there."""
    ndim = len(out_shape)
    padded = (1,) * (ndim - len(shape)) + tuple(shape)
    strides = strides_of(padded)
    offsets = [0]
    for dim, in_dim, stride in zip(out_shape, padded, strides):
        step = stride if in_dim != 1 else 0
        offsets = [o + i * step for o in offsets for i in range(dim)]
    return offsets


# ---------------------------------------------------------------- axes and reductions

def normalize_axis(axis, ndim):
    """An int axis (negative counts from the end) -> 0..ndim-1."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be None or an int; got {describe(axis)}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"axis {axis} is out of bounds for an MLArray with {ndim} dimension(s)")
    return axis % ndim


def reduced_shape(shape, axis, keepdims):
    """Shape after reducing `axis` (None: all axes)."""
    if axis is None:
        return (1,) * len(shape) if keepdims else ()
    if keepdims:
        return shape[:axis] + (1,) + shape[axis + 1:]
    return shape[:axis] + shape[axis + 1:]


def check_size_one(shape, what):
    """item() and truth need exactly one element (NumPy's and PyTorch's rule)."""
    if size_of(shape) != 1:
        raise ValueError(f"{what} needs an MLArray of size 1, not one of shape {shape}"
                         + (" (the truth of several numbers is ambiguous: use .sum(), "
                            ".max() or .min() first)" if what == "bool()" else ""))


def check_reducible(shape, axis, op_name):
    """max/min of an empty selection has no value: NumPy raises, so do we."""
    count = size_of(shape) if axis is None else shape[axis]
    if count == 0:
        raise ValueError(
            f"{op_name}() of an empty selection: shape {shape}, axis {axis}")


# ---------------------------------------------------------------- reshape and transpose

def resolve_reshape(args, size):
    """reshape(2, 3), reshape((2, 3)) or reshape(-1, 3) -> a full shape of `size` elements."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    dims = []
    for dim in args:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"reshape dimensions must be ints; got {describe(dim)}")
        dims.append(int(dim))
    unknown = [i for i, d in enumerate(dims) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"reshape can infer only one dimension; got {tuple(dims)}")
    if any(d < -1 for d in dims):
        raise ValueError(f"reshape dimensions must be >= 0 (or one -1); got {tuple(dims)}")
    if unknown:
        known = math.prod(d for d in dims if d != -1)
        if known == 0 or size % known != 0:
            raise ValueError(
                f"cannot reshape an MLArray of size {size} into shape {tuple(dims)}")
        dims[unknown[0]] = size // known
    if math.prod(dims) != size:
        raise ValueError(
            f"cannot reshape an MLArray of size {size} into shape {tuple(dims)}")
    return tuple(dims)


def resolve_transpose(args, ndim):
    """transpose(), transpose(None), transpose((1, 0)) or transpose(1, 0) -> a permutation."""
    if len(args) == 0 or (len(args) == 1 and args[0] is None):
        return tuple(range(ndim - 1, -1, -1))
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    axes = []
    for ax in args:
        if isinstance(ax, bool) or not isinstance(ax, numbers.Integral):
            raise TypeError(f"transpose axes must be ints; got {describe(ax)}")
        axes.append(int(ax))
    normalized = [ax + ndim if ax < 0 else ax for ax in axes]
    if sorted(normalized) != list(range(ndim)):
        raise ValueError(
            f"axes {tuple(axes)} are not a permutation of the {ndim} axes of the MLArray")
    return tuple(normalized)


def squeezed_shape(shape, axis):
    """The shape without axes of length 1: all of them (axis None), or the given axis
    (an int or a tuple of ints), each of which must have length 1 (NumPy's rule)."""
    if axis is None:
        return tuple(d for d in shape if d != 1)
    axes = [normalize_axis(ax, len(shape)) for ax in (axis if isinstance(axis, tuple) else (axis,))]
    if len(set(axes)) != len(axes):
        raise ValueError(f"squeeze axes {axis} repeat an axis")
    for ax in axes:
        if shape[ax] != 1:
            raise ValueError(f"cannot squeeze axis {ax} of shape {shape}: its length is "
                             f"{shape[ax]}, not 1")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def unsqueezed_shape(shape, axis):
    """The shape with a new axis of length 1 at `axis` (-ndim-1 <= axis <= ndim, as
    PyTorch's unsqueeze and NumPy's expand_dims)."""
    axis = normalize_axis(axis, len(shape) + 1)
    return shape[:axis] + (1,) + shape[axis:]


def transposed_offsets(shape, axes):
    """For each element of the transposed array (row-major), its flat offset in the source."""
    strides = strides_of(shape)
    offsets = [0]
    for ax in axes:
        offsets = [o + i * strides[ax] for o in offsets for i in range(shape[ax])]
    return offsets


# ---------------------------------------------------------------- matmul

def matmul_shapes(shape_a, shape_b):
    """NumPy's matmul rule. Returns (batch_shape, n, k, m, out_shape): a 1-D left operand
    is a row (n = 1, dropped from the result), a 1-D right operand a column (m = 1,
    dropped); leading dims broadcast."""
    if len(shape_a) == 0 or len(shape_b) == 0:
        raise ValueError(
            f"matmul: an operand is 0-d (shapes {tuple(shape_a)} and {tuple(shape_b)}); "
            f"use * to multiply by a scalar")
    a = (1,) + tuple(shape_a) if len(shape_a) == 1 else tuple(shape_a)
    b = tuple(shape_b) + (1,) if len(shape_b) == 1 else tuple(shape_b)
    n, k = a[-2], a[-1]
    k_b, m = b[-2], b[-1]
    if k != k_b:
        raise ValueError(
            f"matmul: shapes {tuple(shape_a)} and {tuple(shape_b)} are not aligned: "
            f"{k} (last dim of the first) != {k_b} (dim -2 of the second)")
    try:
        batch = broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: the batch dimensions of shapes {tuple(shape_a)} and "
            f"{tuple(shape_b)} cannot be broadcast together") from None
    out = batch
    if len(shape_a) > 1:
        out = out + (n,)
    if len(shape_b) > 1:
        out = out + (m,)
    return batch, n, k, m, out


# ---------------------------------------------------------------- indexing

def index_plan(index, shape):
    """Normalize an index (int, slice, Ellipsis or a tuple of them) for an array of `shape`.

    Returns (plan, out_shape): plan has one entry per axis, an int (that axis is
    dropped) or a range of positions (that axis is kept, of len(range) elements).
    """
    if not isinstance(index, tuple):
        index = (index,)
    ellipses = sum(1 for item in index if item is Ellipsis)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    explicit = len(index) - ellipses
    if explicit > len(shape):
        raise IndexError(
            f"too many indices for an MLArray of {len(shape)} dimension(s): {explicit} given")
    if ellipses:
        at = next(i for i, item in enumerate(index) if item is Ellipsis)
        fill = (slice(None),) * (len(shape) - explicit)
        index = index[:at] + fill + index[at + 1:]
    index = index + (slice(None),) * (len(shape) - len(index))
    plan = []
    out_shape = []
    for axis, (item, dim) in enumerate(zip(index, shape)):
        if isinstance(item, slice):
            positions = range(*item.indices(dim))
            plan.append(positions)
            out_shape.append(len(positions))
            continue
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise TypeError(
                f"MLArray indices must be ints, slices, '...' or tuples of them; "
                f"got {describe(item)}")
        i = operator.index(item)
        if not -dim <= i < dim:
            raise IndexError(f"index {i} is out of bounds for axis {axis} with size {dim}")
        plan.append(i % dim)
    return plan, tuple(out_shape)


def plan_offsets(plan, shape):
    """Flat source offsets (row-major over the result) that an index plan selects."""
    strides = strides_of(shape)
    offsets = [0]
    for entry, stride in zip(plan, strides):
        if isinstance(entry, range):
            offsets = [o + i * stride for o in offsets for i in entry]
        else:
            offsets = [o + entry * stride for o in offsets]
    return offsets


# ---------------------------------------------------------------- repr

def format_array(shape, flat, dtype=None):
    """MLArray(shape=(2, 2), data=[[1.0, 2.0], [3.0, 4.0]]) with one row a line;
    arrays over MAX_REPR_ELEMENTS show the first and last items of each axis.

    dtype None or float64: each number as Python's repr. float32: each number in the
    shortest form that reads back as the same float32 (as NumPy prints float32), and
    `, dtype=float32` before the closing parenthesis, as in NumPy's repr."""
    single = dtype is not None and _dtype.dtype(dtype) is _dtype.float32
    format_float = _format_float32 if single else _format_float
    nested = nest([format_float(x) for x in flat], shape) if flat or not shape else nest([], shape)
    summarize = size_of(shape) > MAX_REPR_ELEMENTS
    body = _format_nested(nested, shape, indent=len("MLArray(shape=, data=") + len(str(shape)),
                          summarize=summarize)
    suffix = ", dtype=float32" if single else ""
    return f"MLArray(shape={shape}, data={body}{suffix})"


def _format_float(x):
    return repr(float(x))


def _format_float32(x):
    """The float32 nearest x in the fewest significant digits that round back to it,
    written in Python's float style: float32(0.1) -> '0.1', not '0.10000000149011612'."""
    x = _dtype.round_float32(float(x))
    if math.isfinite(x):
        # 9 significant digits always identify a float32; the first that does is the
        # shortest (and, being %g's correctly rounded digits, the closest of that length)
        for digits in range(1, 10):
            text = "%.*g" % (digits, x)
            if _dtype.round_float32(float(text)) == x:
                return repr(float(text))
    return repr(x)


def _format_nested(item, shape, indent, summarize):
    if not shape:
        return item
    if summarize and shape[0] > 2 * REPR_EDGE_ITEMS:
        parts = ([_format_nested(x, shape[1:], indent + 1, summarize) for x in item[:REPR_EDGE_ITEMS]]
                 + ["..."]
                 + [_format_nested(x, shape[1:], indent + 1, summarize) for x in item[-REPR_EDGE_ITEMS:]])
    else:
        parts = [_format_nested(x, shape[1:], indent + 1, summarize) for x in item]
    if len(shape) == 1:
        return "[" + ", ".join(parts) + "]"
    separator = "," + "\n" * (len(shape) - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def check_softmax_cross_entropy(logits_shape, targets_shape):
    """ValueError unless logits and targets share one shape (N, K) with K >= 1."""
    if len(logits_shape) != 2 or targets_shape != logits_shape or logits_shape[1] == 0:
        raise ValueError(f"softmax_cross_entropy needs logits of shape (N, K), K >= 1, and "
                         f"targets of the same shape; got {logits_shape} and {targets_shape}")


def check_dropout(shape, keep, scale):
    """TypeError / ValueError unless `keep` is a NumPy array of `shape` and `scale` a
    finite number."""
    if not is_number(scale) or not math.isfinite(scale):
        raise TypeError(f"dropout: scale must be a finite number; got {describe(scale)}")
    keep_shape = tuple(keep.shape) if hasattr(keep, "__array_interface__") else None
    if keep_shape != tuple(shape):
        raise ValueError(f"dropout: keep must be a NumPy array of the array's shape {shape}; "
                         f"got {keep_shape if keep_shape is not None else describe(keep)}")


def unflatten(flat_list, shape):
    """SmolML's `MLArray.unflatten(flat_list, shape)`: the items of `flat_list` as nested
    lists of `shape`, row-major. ValueError unless len(flat_list) == prod(shape)."""
    shape = check_shape((shape,) if isinstance(shape, numbers.Integral) else tuple(shape))
    flat_list = list(flat_list)
    if len(flat_list) != size_of(shape):
        raise ValueError(f"cannot unflatten {len(flat_list)} items into shape {shape} "
                         f"({size_of(shape)} items)")
    if not shape:
        return flat_list[0]
    nested = flat_list
    for dim in reversed(shape[1:]):          # group the innermost axis first
        nested = [nested[i:i + dim] for i in range(0, len(nested), dim)]
    return nested


def reduce_operation(array, op, axis=None):
    """SmolML's `MLArray.reduce_operation(op, axis=None)`: `op` (a function of a list,
    such as min, max or sum) of all the elements (axis None: its result as op returns
    it), or of the elements along `axis` (an MLArray of the other axes; op's result
    itself when the array is 1-D). The elements are 0-d arrays of `array`, so the result
    stays in the graph when op combines them with MLArray arithmetic or comparisons."""
    if axis is None:
        return op(list(array.flatten()))
    ndim = len(array.shape)
    axis = normalize_axis(axis, ndim)
    rest = array.shape[:axis] + array.shape[axis + 1:]
    order = tuple(i for i in range(ndim) if i != axis) + (axis,)
    rows = array.transpose(order).reshape(-1, array.shape[axis])
    results = [op(list(row)) for row in rows]
    if not rest:
        return results[0]
    return type(array)(results).reshape(rest)
