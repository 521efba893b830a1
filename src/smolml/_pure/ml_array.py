"""The pure-Python `MLArray`: an N-dimensional array of `Value` nodes.

The elements are kept in one row-major list of Values (`_values`) plus a `shape`;
`.data` shows the same Value objects as nested lists, as in SmolML. Every array
operation is built from per-element Value operations (see value.OPS): `a + b` makes one
"+" node per output element, `a @ b` one "dot" node (Σ a_ik·b_kj) per output element,
`a.sum(axis)` one "sum" node per output element. So backward needs nothing array
specific: the gradient of an array op is the gradient of its element nodes, and a
broadcast operand (one Value read by many outputs) sums the gradients of all the
outputs that read it.

Shape rules and their error messages come from smolml._shapes, shared with the engine.

dtype (smolml._dtype): an array is float64 or float32. A float32 array's elements are
`Value32` nodes, which round their data to float32 whenever it is written; so every op
that makes a float32 result only has to build its element nodes with the node class of
its dtype (`_NODE[dtype]`), and the rounding happens in that one place. Python numbers
and scalar Values are "weak" operands: they take the array's dtype (NumPy 2's rule).
"""
import math
import operator
import sys

from smolml import _backend, _copying, _dtype, _memory, _random, _shapes
from smolml._dtype import float32, float64
from smolml._pure.value import (
    INF, NAME, OPS, Value, Value32, apply_op, backpropagate, first_best, is_grad_enabled)

# the class of the element nodes of an array of each dtype
_NODE = {float64: Value, float32: Value32}


def _is_ndarray(x):
    # duck typing keeps NumPy out of the import of this module
    return hasattr(x, "__array_interface__") and hasattr(x, "dtype")


def _is_element(x):
    # `type(x) is float` first: the common case, much cheaper than the numbers.Real check
    return type(x) is float or isinstance(x, Value) or _shapes.is_number(x)


def _array_items(x):
    """(shape, row-major items) for array-like x, None for anything else."""
    if isinstance(x, MLArray):
        return x.shape, x._values
    _backend.reject_other_backend(x, NAME)
    if _is_ndarray(x):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"MLArray needs a real-valued NumPy array; got dtype {x.dtype}")
        # astype copies into float64; ravel reads it in row-major order, whatever
        # the source's strides
        return tuple(int(d) for d in x.shape), x.astype("float64").ravel().tolist()
    return None


def _array_shape(x):
    """The shape of an MLArray or ndarray met in nested data; None for anything else."""
    if isinstance(x, MLArray) or _is_ndarray(x):
        return tuple(x.shape)
    return None


def _preflight(shape, what="the result"):
    """MemoryError before building an array of `shape` that would not fit."""
    _memory.check_array(shape, _memory.PURE_ELEMENT_BYTES, what)


def _source_dtype(data):
    """The dtype `MLArray(data)` keeps when none is asked for: an MLArray's own, a float32
    or float64 ndarray's (as np.asarray does), else the default dtype (NumPy scalars
    included: they are numbers)."""
    if isinstance(data, MLArray):
        return data.dtype
    if (_is_ndarray(data) and not _shapes.is_number(data)
            and data.dtype.kind == "f" and data.dtype.itemsize in (4, 8)):
        return _dtype.dtype(data.dtype)
    return _dtype.get_default_dtype()


def _element(item, requires_grad, node):
    """A new element node (of class `node`) for a number or a Value found in
    constructor data.

    A Value that tracks gradients stays connected (the element is a "copy" node whose
    parent it is); anything else gives a fresh leaf."""
    if type(item) is float:
        return node(item, requires_grad=requires_grad)
    if isinstance(item, Value):
        if requires_grad and item.requires_grad and is_grad_enabled():
            return apply_op("copy", (item,), node)
        return node(item.data, requires_grad=requires_grad)
    return node(item, requires_grad=requires_grad)


def _result(values, shape, operands, dtype):
    """The MLArray of an operation's element nodes; it tracks gradients iff grad mode
    is on and an operand does."""
    requires_grad = False
    if is_grad_enabled():
        for operand in operands:
            if operand.requires_grad:
                requires_grad = True
    return MLArray._from_values(values, shape, requires_grad, dtype)


class MLArray:
    """An N-dimensional array of Values with NumPy's broadcasting, matmul, reduction and
    indexing rules; every operation builds the autograd graph element by element.

    `MLArray(data, requires_grad=True, dtype=None)`: data is a number, a Value, an
    MLArray, nested lists/tuples of those, or a NumPy array. Ragged nesting is a
    ValueError naming the offending path; a non-numeric element a TypeError naming it
    and its type. `dtype` (float32 or float64) converts the numbers to it; None keeps
    an MLArray's or a float NumPy array's dtype and gives anything else the default
    dtype (`smolml.get_default_dtype()`).
    """
    _smolml_backend = NAME
    __array_ufunc__ = None   # `ndarray + MLArray` must call our __radd__, not loop in NumPy

    def __init__(self, data, requires_grad=True, dtype=None):
        if hasattr(self, "_values"):
            raise RuntimeError(
                f"cannot re-initialize an MLArray (shape {self.shape}): element views and the "
                f"graph may share its numbers; make a new MLArray instead")
        dtype = _dtype.dtype(dtype) if dtype is not None else _source_dtype(data)
        _preflight(_memory.declared_shape(data, _array_shape), "MLArray of nested data")
        shape, items = _shapes.parse_nested(data, _is_element, _array_items)
        requires_grad = bool(requires_grad)
        node = _NODE[dtype]
        self.shape = shape
        self.dtype = dtype
        self.requires_grad = requires_grad
        self._values = [_element(item, requires_grad, node) for item in items]
        self._nested = None
        self._viewed = None     # for an element view: the array whose element it is

    @classmethod
    def _from_values(cls, values, shape, requires_grad, dtype):
        """Wrap a row-major list of Values (no copying, no graph nodes); they must be of
        the node class of `dtype`."""
        array = cls.__new__(cls)
        array.shape = shape
        array.dtype = dtype
        array.requires_grad = requires_grad
        array._values = values
        array._nested = None
        array._viewed = None
        return array

    # ------------------------------------------------------------ views of the data

    @property
    def data(self):
        """The element Values: one Value for a 0-d array, else nested lists of them."""
        if not self.shape:
            return self._values[0]
        if self._nested is None:
            self._nested = _shapes.nest(self._values, self.shape)
        return self._nested

    @property
    def ndim(self):
        return len(self.shape)

    def size(self):
        return len(self._values)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d MLArray")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d MLArray")
        for i in range(self.shape[0]):
            yield self[i]

    def __float__(self):
        if len(self._values) != 1:
            raise TypeError(
                f"only size-1 MLArrays can be converted to float; got shape {self.shape}")
        return self._values[0].data

    def __int__(self):
        return int(float(self))

    def to_list(self):
        """Nested lists of floats (a float for a 0-d array)."""
        return _shapes.nest([v.data for v in self._values], self.shape)

    def numpy(self):
        """A new ndarray of this array's dtype holding the values."""
        import numpy
        flat = numpy.array([v.data for v in self._values], dtype=self.dtype.name)
        return flat.reshape(self.shape)

    def __array__(self, dtype=None, copy=None):
        return _dtype.array_protocol(self.numpy(), dtype, copy)

    def tolist(self):
        """Nested lists of floats, as NumPy's and PyTorch's `tolist` (= `to_list`)."""
        return self.to_list()

    def item(self):
        """The number of a size-1 array as a float; any other size is a ValueError."""
        _shapes.check_size_one(self.shape, "item()")
        return self._values[0].data

    def __bool__(self):
        """The truth of a size-1 array's number (NumPy's rule); other sizes are ambiguous."""
        _shapes.check_size_one(self.shape, "bool()")
        return bool(self._values[0].data)

    def __repr__(self):
        return _shapes.format_array(self.shape, [v.data for v in self._values], self.dtype)

    def __reduce__(self):
        """copy, deepcopy and pickle: a leaf of the same numbers, gradient, dtype and
        requires_grad, sharing nothing with self (smolml._copying)."""
        name = self.dtype.name
        return (_copying.rebuild_array,
                (NAME, self.shape, name, _copying.encode([v.data for v in self._values], name),
                 _copying.encode([v.grad for v in self._values], name), self.requires_grad))

    @property
    def nbytes(self):
        """Bytes held: each element Value with its data and grad floats, and the lists.
        (Every number is a Python float object here, whatever the dtype: a float32
        array holds as many bytes as a float64 one, unlike on the engine.)"""
        total = sys.getsizeof(self._values)
        for v in self._values:
            total += sys.getsizeof(v) + sys.getsizeof(v.data) + sys.getsizeof(v.grad)
        if self.shape:
            pending = [self.data]
            while pending:
                rows = pending.pop()
                total += sys.getsizeof(rows)
                if rows and isinstance(rows[0], list):
                    pending.extend(rows)
        return total

    # ------------------------------------------------------------ elementwise ops

    def _operand(self, other):
        """(other as an MLArray operand, the dtype of an op of self and other), or
        (NotImplemented, None).

        MLArrays count with their dtype, and so do lists and NumPy arrays (made into
        constant MLArrays by the constructor's rules). Numbers and scalar Values are weak:
        the result has self's dtype and they are converted to it first, as NumPy casts a
        Python scalar (a number becomes a constant of that dtype; a Value is read as a
        0-d array, through a graph-connected astype for float32)."""
        if isinstance(other, MLArray):
            return other, _dtype.result_dtype(self.dtype, other.dtype)
        if isinstance(other, Value):
            scalar = MLArray._from_values([other], (), other.requires_grad, float64)
            if self.dtype is not float64:
                scalar = scalar.astype(self.dtype)
            return scalar, self.dtype
        _backend.reject_other_backend(other, NAME)
        if _shapes.is_number(other):
            return MLArray(other, requires_grad=False, dtype=self.dtype), self.dtype
        if isinstance(other, (list, tuple)) or _is_ndarray(other):
            other = MLArray(other, requires_grad=False)
            return other, _dtype.result_dtype(self.dtype, other.dtype)
        return NotImplemented, None

    def _elementwise(self, op, other, reflected=False):
        """out[i] = op(a[i], b[i]) over the broadcast shape of a and b."""
        other, dtype = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        shape = _shapes.broadcast_shapes(a.shape, b.shape)
        _preflight(shape)
        a_at = _shapes.broadcast_offsets(a.shape, shape)
        b_at = _shapes.broadcast_offsets(b.shape, shape)
        node = _NODE[dtype]
        values = [apply_op(op, (a._values[i], b._values[j]), node) for i, j in zip(a_at, b_at)]
        return _result(values, shape, (a, b), dtype)

    def _in_place(self, op, other):
        """a += b and the like. With grad mode off and b broadcasting to a's shape, the
        numbers of `a op b` are written into a's own elements (rounded to a's dtype)
        and a is returned: its gradient, requires_grad and graph links stay as they
        were. Otherwise it is `a op b`, a new node, exactly as without the `=`."""
        if is_grad_enabled():
            return self._elementwise(op, other)
        operand, _ = self._operand(other)
        if operand is NotImplemented:
            return NotImplemented
        if _shapes.broadcast_shapes(self.shape, operand.shape) != self.shape:
            return self._elementwise(op, other)
        # read every operand number before writing any: b may alias a (a += a[0])
        numbers = [operand._values[j].data
                   for j in _shapes.broadcast_offsets(operand.shape, self.shape)]
        forward = OPS[op][0]
        for v, x in zip(self._values, numbers):
            v.data = forward(v.data, x)
        self._changed()
        return self

    def _changed(self):
        """The numbers were changed in place: every element's version goes up (an
        array's elements count together, as the engine's buffer does; an element view
        counts for its whole array, as an engine view shares its array's count)."""
        owner = self if self._viewed is None else self._viewed
        for v in owner._values:
            v._version += 1

    def _unary(self, op):
        node = _NODE[self.dtype]
        values = [apply_op(op, (v,), node) for v in self._values]
        return _result(values, self.shape, (self,), self.dtype)

    def __add__(self, other):
        return self._elementwise("+", other)

    def __radd__(self, other):
        return self._elementwise("+", other, reflected=True)

    def __sub__(self, other):
        return self._elementwise("-", other)

    def __rsub__(self, other):
        return self._elementwise("-", other, reflected=True)

    def __mul__(self, other):
        return self._elementwise("*", other)

    def __rmul__(self, other):
        return self._elementwise("*", other, reflected=True)

    def __truediv__(self, other):
        return self._elementwise("/", other)

    def __rtruediv__(self, other):
        return self._elementwise("/", other, reflected=True)

    def __iadd__(self, other):
        return self._in_place("+", other)

    def __isub__(self, other):
        return self._in_place("-", other)

    def __imul__(self, other):
        return self._in_place("*", other)

    def __itruediv__(self, other):
        return self._in_place("/", other)

    def __pow__(self, other, modulo=None):
        _shapes.reject_modulo(modulo)
        return self._elementwise("**", other)

    def __rpow__(self, other):
        return self._elementwise("**", other, reflected=True)

    def __neg__(self):
        return self._unary("neg")

    def __abs__(self):
        return self._unary("abs")

    def abs(self):
        return self._unary("abs")

    def exp(self):
        return self._unary("exp")

    def log(self):
        return self._unary("log")

    def log1p(self):
        return self._unary("log1p")

    def sqrt(self):
        return self._unary("sqrt")

    def tanh(self):
        return self._unary("tanh")

    def relu(self):
        return self._unary("ReLU")

    def sigmoid(self):
        return self._unary("sigmoid")

    def clip(self, min_value=None, max_value=None):
        """min(max(x, min_value), max_value) elementwise (None: no bound); the gradient
        is 1 where min_value <= x <= max_value and 0 where x was clamped."""
        node = _NODE[self.dtype]   # the bounds are weak: they take the array's dtype
        bounds = []
        for bound, missing in ((min_value, -INF), (max_value, INF)):
            if bound is None:
                bound = missing
            elif not _shapes.is_number(bound):
                raise TypeError(f"clip bounds must be numbers or None; got {_shapes.describe(bound)}")
            bounds.append(node(bound, requires_grad=False))
        low, high = bounds
        values = [apply_op("clip", (v, low, high), node) for v in self._values]
        return _result(values, self.shape, (self,), self.dtype)

    # ------------------------------------------------------------ comparisons
    # 1.0 where the comparison holds, 0.0 elsewhere, broadcast as arithmetic is; the
    # result is a constant (no graph node, no gradient). nan compares false, except !=.

    def _compare(self, test, other):
        other, dtype = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        shape = _shapes.broadcast_shapes(self.shape, other.shape)
        _preflight(shape)
        a_at = _shapes.broadcast_offsets(self.shape, shape)
        b_at = _shapes.broadcast_offsets(other.shape, shape)
        node = _NODE[dtype]
        values = [node(1.0 if test(self._values[i].data, other._values[j].data) else 0.0,
                       requires_grad=False)
                  for i, j in zip(a_at, b_at)]
        return MLArray._from_values(values, shape, False, dtype)

    def __lt__(self, other):
        return self._compare(operator.lt, other)

    def __le__(self, other):
        return self._compare(operator.le, other)

    def __gt__(self, other):
        return self._compare(operator.gt, other)

    def __ge__(self, other):
        return self._compare(operator.ge, other)

    def __eq__(self, other):
        return self._compare(operator.eq, other)

    def __ne__(self, other):
        return self._compare(operator.ne, other)

    __hash__ = object.__hash__   # hashable by identity, as PyTorch tensors are

    # ------------------------------------------------------------ matmul

    def matmul(self, other):
        """NumPy's matmul: C[..., i, j] = Σ_k A[..., i, k]·B[..., k, j], batch dims
        broadcast, a 1-D operand read as a row (left) or a column (right). Each C
        element is one "dot" node, so dA = dC @ Bᵀ and dB = Aᵀ @ dC come from its rule."""
        other, dtype = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        return _matmul(self, other, dtype)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        other, dtype = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        return _matmul(other, self, dtype)

    # ------------------------------------------------------------ movement

    def _gather(self, offsets, shape):
        """A new array whose elements are "copy" nodes of the elements at `offsets`."""
        node = _NODE[self.dtype]
        values = [apply_op("copy", (self._values[i],), node) for i in offsets]
        return _result(values, shape, (self,), self.dtype)

    def astype(self, dtype):
        """A new array of `dtype` (float32 or float64), graph-connected: each element is
        an "astype" node of the source element, rounded to the new dtype; its gradient
        passes straight through. A copy even when the dtype is the same, as in NumPy."""
        dtype = _dtype.dtype(dtype)
        node = _NODE[dtype]
        values = [apply_op("astype", (v,), node) for v in self._values]
        return _result(values, self.shape, (self,), dtype)

    def transpose(self, *axes):
        """Permute the axes (default: reverse them); a new, graph-connected array."""
        axes = _shapes.resolve_transpose(axes, self.ndim)
        shape = tuple(self.shape[ax] for ax in axes)
        return self._gather(_shapes.transposed_offsets(self.shape, axes), shape)

    @property
    def T(self):
        return self.transpose()

    def reshape(self, *shape):
        """Same elements in row-major order, new shape (one dim may be -1)."""
        shape = _shapes.resolve_reshape(shape, len(self._values))
        return self._gather(range(len(self._values)), shape)

    def flatten(self, data=None):
        """flatten() -> a 1-D MLArray; flatten(nested) -> the Values of nested lists in
        one flat list, anything else skipped (SmolML's helper form)."""
        if data is None:
            return self.reshape(-1)
        return _shapes.flatten_values(data, Value)

    def unflatten(self, flat_list, shape):
        """SmolML's helper: the items of flat_list as nested lists of `shape`, row-major."""
        return _shapes.unflatten(flat_list, shape)

    def reduce_operation(self, op, axis=None):
        """SmolML's helper: op (min, max, sum, ...) of a list of all the elements, or of
        those along `axis` for each position of the other axes (_shapes.reduce_operation)."""
        return _shapes.reduce_operation(self, op, axis)

    def __T__(self):
        return self.transpose()         # SmolML's name for .T

    def squeeze(self, axis=None):
        """The same elements without axes of length 1 (all of them, or `axis`: an int or
        a tuple of ints of length-1 axes); a new, graph-connected array."""
        return self.reshape(_shapes.squeezed_shape(self.shape, axis))

    def unsqueeze(self, axis):
        """The same elements with a new axis of length 1 at `axis`; graph-connected."""
        return self.reshape(_shapes.unsqueezed_shape(self.shape, axis))

    def clone(self):
        """A copy of the numbers that stays in the graph: gradients flow back to self."""
        return self._gather(range(len(self._values)), self.shape)

    def detach(self):
        """A new array of the same numbers and dtype with no history and no gradient
        (a copy: unlike PyTorch's detach, it shares no memory with self)."""
        node = _NODE[self.dtype]
        values = [node(v.data, requires_grad=False) for v in self._values]
        return MLArray._from_values(values, self.shape, False, self.dtype)

    def __getitem__(self, index):
        """ints, slices, '...' and tuples of them. An int on every axis gives a 0-d array
        of that very element Value (reads, writes and gradients go to this array, as in
        SmolML); anything else a new graph-connected array, not a view."""
        plan, shape = _shapes.index_plan(index, self.shape)
        offsets = _shapes.plan_offsets(plan, self.shape)
        if not shape and self.shape:
            view = MLArray._from_values([self._values[offsets[0]]], (),
                                        self.requires_grad and is_grad_enabled(), self.dtype)
            view._viewed = self
            return view
        return self._gather(offsets, shape)

    def __setitem__(self, index, value):
        """Write numbers into the selected elements in place (no graph link); a float32
        array's elements round them as they store them."""
        plan, shape = _shapes.index_plan(index, self.shape)
        offsets = _shapes.plan_offsets(plan, self.shape)
        for i, x in zip(offsets, _numbers_for(value, shape)):
            self._values[i].data = x
        self._changed()

    def update_values(self, new_data):
        """Copy numbers (broadcast to self.shape) into this array's values; returns self."""
        for v, x in zip(self._values, _numbers_for(new_data, self.shape)):
            v.data = x
        self._changed()
        return self

    # ------------------------------------------------------------ reductions

    def _groups(self, axis):
        """The elements each output of a reduction over `axis` combines, in the
        row-major order of the output."""
        if axis is None:
            return [self._values]
        dim = self.shape[axis]
        inner = _shapes.size_of(self.shape[axis + 1:])
        outer = _shapes.size_of(self.shape[:axis])
        groups = []
        for o in range(outer):
            for i in range(inner):
                start = o * dim * inner + i
                groups.append(self._values[start:start + dim * inner:inner])
        return groups

    def _reduce(self, axis, keepdims, combine, name=None):
        if axis is not None:
            axis = _shapes.normalize_axis(axis, self.ndim)
        if name is not None:
            _shapes.check_reducible(self.shape, axis, name)
        shape = _shapes.reduced_shape(self.shape, axis, keepdims)
        node = _NODE[self.dtype]
        values = [combine(group, node) for group in self._groups(axis)]
        return _result(values, shape, (self,), self.dtype)

    def sum(self, axis=None, keepdims=False):
        """Σ over `axis` (None: all elements); always an MLArray (0-d for a full sum)."""
        return self._reduce(axis, keepdims, _sum_of)

    def mean(self, axis=None, keepdims=False):
        """Σx / N over `axis`; an empty selection gives 0/0 = nan."""
        return self._reduce(axis, keepdims, _mean_of)

    def max(self, axis=None, keepdims=False):
        """Largest element over `axis`; its gradient goes to the first largest element
        only (NumPy's argmax order). An empty selection is a ValueError."""
        return self._reduce(axis, keepdims, _max_of, "max")

    def min(self, axis=None, keepdims=False):
        """Smallest element over `axis`; gradient to the first smallest element only."""
        return self._reduce(axis, keepdims, _min_of, "min")

    def _arg_reduce(self, axis, keepdims, better, name):
        """The index of the first element of each group that no later one beats (nan
        wins, as in NumPy), as a float64 array that needs no gradient; axis None counts
        in the flattened array."""
        if axis is not None:
            axis = _shapes.normalize_axis(axis, self.ndim)
        _shapes.check_reducible(self.shape, axis, name)
        shape = _shapes.reduced_shape(self.shape, axis, keepdims)
        values = [Value(_best_index(group, better), requires_grad=False)
                  for group in self._groups(axis)]
        return MLArray._from_values(values, shape, False, float64)

    def argmax(self, axis=None, keepdims=False):
        """Index of the largest element over `axis` (None: of the flattened array)."""
        return self._arg_reduce(axis, keepdims, operator.gt, "argmax")

    def argmin(self, axis=None, keepdims=False):
        """Index of the smallest element over `axis` (None: of the flattened array)."""
        return self._arg_reduce(axis, keepdims, operator.lt, "argmin")

    def std(self, axis=None, keepdims=False):
        """Population standard deviation √(mean((x - mean(x))²)); its gradient is
        (x - mean)/(N·std), which is nan where std == 0."""
        centered = self - self.mean(axis, keepdims=True)
        return (centered ** 2).mean(axis, keepdims=keepdims).sqrt()

    # ------------------------------------------------------------ fused training ops
    # The engine runs each of these as one node; here they are built from the ops above,
    # with the same numbers.

    def softmax_cross_entropy(self, targets):
        """L = −(1/N) Σₙ Σₖ tₙₖ·log_softmax(self)ₙₖ, a 0-d array, for logits `self` and
        targets of one shape (N, K). log_softmax(z) = (z − m) − log Σ e^(z − m), m the
        row's max (a constant: softmax does not change when a row moves). dL/dz is
        (softmax(z)·Σₖ tₙₖ − t)/N: softmax − target for one-hot or probability rows."""
        if not isinstance(targets, MLArray):
            backend = _backend.backend_of(targets)
            if backend is not None and backend != NAME:
                raise TypeError(MIX_MESSAGE)
            raise TypeError(f"softmax_cross_entropy: targets must be an MLArray; got "
                            f"{_shapes.describe(targets)}")
        if targets.dtype is not self.dtype:
            targets = targets.astype(self.dtype)
        _shapes.check_softmax_cross_entropy(self.shape, targets.shape)
        row_max = self.max(axis=-1, keepdims=True)
        node = _NODE[self.dtype]
        shift = MLArray._from_values([node(v.data, requires_grad=False) for v in row_max._values],
                                     row_max.shape, False, self.dtype)
        shifted = self - shift
        log_probabilities = shifted - shifted.exp().sum(axis=-1, keepdims=True).log()
        return -(targets * log_probabilities).sum(axis=-1).mean()

    def dropout(self, keep, scale):
        """self ⊙ keep · scale: `keep` (the mask Dropout drew: 1 keeps an element, 0
        drops it) has self's shape; the gradient is g ⊙ keep · scale."""
        _shapes.check_dropout(self.shape, keep, scale)
        factors = [scale if kept else 0.0 for kept in keep.reshape(-1).tolist()]
        return self * MLArray(_shapes.nest(factors, self.shape), requires_grad=False,
                              dtype=self.dtype)

    # ------------------------------------------------------------ gradients

    def backward(self):
        """Backpropagate from this array; a non-scalar array is summed first (its
        gradient seed is all ones), as in SmolML."""
        if not self.shape:
            root = self._values[0]
        else:
            # built directly (not via apply_op) so backward works in no_grad too
            root = Value(_sum_of(self._values).data, tuple(self._values), "sum")
        backpropagate(root)

    def grad(self):
        """dL/dself as a new MLArray of self's dtype (tracks no gradient). Gradients are
        accumulated as Python floats; a float32 array's are rounded here, as read."""
        node = _NODE[self.dtype]
        values = [node(v.grad, requires_grad=False) for v in self._values]
        return MLArray._from_values(values, self.shape, False, self.dtype)

    def zero_grad(self):
        for v in self._values:
            v.grad = 0.0
        return self

    def restart(self):
        """Zero the gradient and cut the history: every element becomes a leaf holding
        its current value. Returns self."""
        for v in self._values:
            v.grad = 0.0
            v._prev = ()
            v._op = ""
            v._saved = None
        return self

    # ------------------------------------------------------------ constructors

    @staticmethod
    def ensure_array(*args):
        """MLArrays pass through; a number x becomes MLArray([x]); lists and NumPy
        arrays become MLArrays. One argument gives one array, several a tuple."""
        arrays = []
        for arg in args:
            if isinstance(arg, MLArray):
                arrays.append(arg)
            elif _shapes.is_number(arg):
                arrays.append(MLArray([arg]))
            elif isinstance(arg, (list, tuple)) or _is_ndarray(arg):
                arrays.append(MLArray(arg))
            else:
                _backend.reject_other_backend(arg, NAME)
                raise TypeError(f"cannot make an MLArray from {_shapes.describe(arg)}")
        return arrays[0] if len(arrays) == 1 else tuple(arrays)

    @classmethod
    def xavier_uniform(cls, in_features, out_features, dtype=None):
        """(in, out) weights drawn from U(-l, l), l = √(6/(in + out)), as float64 and
        rounded to `dtype` (None: the default dtype)."""
        limit = math.sqrt(6.0 / (in_features + out_features))
        return _filled((in_features, out_features),
                       lambda count: _random.uniform(-limit, limit, count), dtype)

    @classmethod
    def xavier_normal(cls, in_features, out_features, dtype=None):
        """(in, out) weights drawn from N(0, σ²), σ = √(2/(in + out)), as float64 and
        rounded to `dtype` (None: the default dtype)."""
        sigma = math.sqrt(2.0 / (in_features + out_features))
        return _filled((in_features, out_features),
                       lambda count: _random.normal(0.0, sigma, count), dtype)


# ---------------------------------------------------------------- helpers of the ops

def _sum_of(values, node=Value):
    return apply_op("sum", tuple(values), node)


def _mean_of(values, node):
    count = Value(len(values), requires_grad=False)
    return apply_op("/", (_sum_of(values, node), count), node)


def _best_index(values, better):
    """The index of the first of the Values `values` that no later one beats."""
    return first_best([v.data for v in values], better)


def _max_of(values, node):
    return apply_op("max", tuple(values), node)


def _min_of(values, node):
    return apply_op("min", tuple(values), node)


def _matmul(a, b, dtype):
    batch, n, k, m, shape = _shapes.matmul_shapes(a.shape, b.shape)
    _preflight(shape)
    node = _NODE[dtype]
    # batch-matrix number -> the matrix of a (of b) that broadcasting reads there
    a_batch = _shapes.broadcast_offsets(a.shape[:-2], batch)
    b_batch = _shapes.broadcast_offsets(b.shape[:-2], batch)
    values = []
    for a_matrix, b_matrix in zip(a_batch, b_batch):
        a_start = a_matrix * n * k
        b_start = b_matrix * k * m
        rows = [a._values[a_start + i * k:a_start + (i + 1) * k] for i in range(n)]
        columns = [b._values[b_start + j:b_start + k * m:m] for j in range(m)]
        for row in rows:
            for column in columns:
                values.append(apply_op("dot", tuple(row) + tuple(column), node))
    return _result(values, shape, (a, b), dtype)


def _numbers_for(data, shape):
    """The floats of `data` broadcast to `shape`, row-major (for in-place writes)."""
    if isinstance(data, Value):
        source = MLArray._from_values([data], (), False, float64)
    elif isinstance(data, MLArray):
        source = data
    else:
        source = MLArray(data, requires_grad=False)
    if _shapes.broadcast_shapes(source.shape, shape) != tuple(shape):
        raise ValueError(
            f"could not broadcast input array from shape {source.shape} into shape {tuple(shape)}")
    return [source._values[i].data for i in _shapes.broadcast_offsets(source.shape, shape)]


def _filled(shape, numbers, dtype):
    """A new leaf array of `shape` and `dtype` (None: the default) of the numbers
    numbers(count) returns (a list, or the float64 NumPy array of one vectorized draw,
    shared with the engine), row-major, rounded to the dtype."""
    dtype = _dtype.dtype(dtype)
    shape = _shapes.check_shape(shape)
    _preflight(shape, "an array")
    node = _NODE[dtype]
    numbers = numbers(_shapes.size_of(shape))
    values = [node(x) for x in (numbers if isinstance(numbers, list) else numbers.tolist())]
    return MLArray._from_values(values, shape, True, dtype)


def array_from_state(shape, dtype_name, numbers, grad, requires_grad):
    """The MLArray of a pickle, checked by smolml._copying.rebuild_array."""
    dtype = _dtype.dtype(dtype_name)
    node = _NODE[dtype]
    values = [node(x, requires_grad=requires_grad) for x in _copying.decode(numbers, dtype_name)]
    if grad is not None:
        for v, g in zip(values, _copying.decode(grad, dtype_name)):
            v.grad = g
    return MLArray._from_values(values, shape, requires_grad, dtype)


def zeros(*shape, dtype=None):
    """MLArray of zeros: zeros(2, 3) or zeros((2, 3)); dtype None is the default dtype."""
    return _filled(shape, lambda count: [0.0] * count, dtype)


def ones(*shape, dtype=None):
    """MLArray of ones: ones(2, 3) or ones((2, 3)); dtype None is the default dtype."""
    return _filled(shape, lambda count: [1.0] * count, dtype)


def randn(*shape, dtype=None):
    """MLArray of standard normal draws, row-major from smolml's seeded generator (drawn
    as float64, then rounded to the dtype, so both backends give the same numbers)."""
    return _filled(shape, lambda count: _random.normal(0.0, 1.0, count), dtype)
