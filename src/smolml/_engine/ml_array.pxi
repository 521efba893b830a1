# The MLArray class (included by graph.pyx): an N-d node, as the pure backend's MLArray.
# Each method calls the op of its family piece (ops_*.pxi).

@cython.no_gc
cdef class MLArray(Node):
    """An N-dimensional array node of the autograd graph (engine backend).

    One node per operation: its numbers and gradient are contiguous float64 (or float32)
    buffers,
    elementwise ops and reductions are C loops, matmul goes to BLAS through NumPy.
    `.data` gives Value handles onto the buffers, as SmolML's nested lists of Values.
    """
    _smolml_backend = NAME
    __array_ufunc__ = None          # ndarray <op> MLArray defers to our reflected ops

    def __cinit__(self, *args, **kwargs):
        # Node's __cinit__ ran first: a 0-d 0.0 whose gradient buffer is absent, until
        # __init__ (or the op making it) gives it its shape and buffers
        self.shape = ()
        self.numel = 1
        self.grad_ptr = NULL

    def __dealloc__(self):
        cdef Py_ssize_t nbytes = self.numel * itemsize(self.single)
        recycle(self.value_array, nbytes, self.shape, self.single)
        recycle(self.grad_array, nbytes, self.shape, self.single)

    def __init__(self, data, requires_grad=True, dtype=None):
        """data: a number, a Value, an MLArray, nested lists/tuples of those, or an
        ndarray. dtype: float64 or float32; None keeps an MLArray's or a float ndarray's
        dtype and gives anything else the default dtype (`smolml.get_default_dtype()`)."""
        cdef bint single
        if self.built:
            raise RuntimeError(
                f"cannot re-initialize an MLArray (shape {self.shape}): element views and the "
                f"graph may share its numbers; make a new MLArray instead")
        if is_real(data):
            init_storage(self, (), want_single(dtype))
            store(self.value_ptr, self.single, float(data))
            self.requires_grad = bool(requires_grad)
        elif isinstance(data, Node):
            if dtype is None and type(data) is MLArray:
                single = (<Node>data).single
            else:
                single = want_single(dtype)
            init_storage(self, shape_of(<Node>data), single)
            convert(single, self.value_ptr, (<Node>data).single, (<Node>data).value_ptr,
                    self.numel)
            if requires_grad:       # requires_grad=False detaches: a leaf of the same numbers
                record(self, OP_COPY if single == (<Node>data).single else OP_ASTYPE,
                       <Node>data)
            if self.op == OP_LEAF:
                self.requires_grad = bool(requires_grad)
        elif hasattr(data, "__array_interface__") and not isinstance(data, (list, tuple)):
            array = np.asarray(data)
            if dtype is None and array.dtype.kind == "f" and array.dtype.itemsize in (4, 8):
                single = array.dtype.itemsize == 4      # a float ndarray keeps its dtype
            else:
                single = want_single(dtype)
            if array.dtype.kind == "O":
                fill_from_nested(self, array.tolist(), bool(requires_grad), single)
            else:
                array = numpy_numbers(array)
                init_storage(self, array.shape, single)
                copy_numbers(self, array)
                self.requires_grad = bool(requires_grad)
        else:
            reject_other_backend(data)
            fill_from_nested(self, data, bool(requires_grad), want_single(dtype))

    # ---- what it holds
    @property
    def data(self):
        """Value handles onto the elements (a Value for a 0-d array, else nested lists)."""
        if len(self.shape) == 0:
            return make_handle(self, 0)
        return _shapes.nest([make_handle(self, i) for i in range(self.numel)], self.shape)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def dtype(self):
        """smolml.float64 or smolml.float32."""
        return _dtype.float32 if self.single else _dtype.float64

    def astype(self, dtype):
        """The same numbers as a new array of `dtype` (rounded to float32 if it is that),
        graph-connected: the gradient flows back converted to this array's dtype."""
        return astype_op(self, want_single(dtype))

    @property
    def nbytes(self):
        """Bytes of the value and gradient buffers."""
        per_buffer = self.numel * itemsize(self.single)
        return per_buffer + (per_buffer if self.grad_ptr != NULL else 0)

    @property
    def _prev(self):
        return prev_of(self)

    @property
    def _op(self):
        return OP_NAMES[self.op]

    def size(self):
        return self.numel

    def __len__(self):
        if len(self.shape) == 0:
            raise TypeError("len() of a 0-d MLArray")
        return self.shape[0]

    def __iter__(self):
        if len(self.shape) == 0:
            raise TypeError("iteration over a 0-d MLArray")
        for i in range(self.shape[0]):
            yield self[i]

    def to_list(self):
        if len(self.shape) == 0:
            return value_of(self)
        return self.value_array.tolist()

    def numpy(self):
        """A new ndarray of the values, of this array's dtype."""
        return np.array(array_view(self, False))

    def __array__(self, dtype=None, copy=None):
        return _dtype.array_protocol(self.numpy(), dtype, copy)

    def __float__(self):
        if self.numel != 1:
            raise TypeError(
                f"only size-1 MLArrays can be converted to float; got shape {self.shape}")
        return value_of(self)

    def __repr__(self):
        flat = [value_of(self)] if len(self.shape) == 0 else self.value_array.ravel().tolist()
        if self.single:
            return _shapes.format_array(self.shape, flat, _dtype.float32)
        return _shapes.format_array(self.shape, flat)

    def __reduce__(self):
        """copy, deepcopy and pickle: a leaf of the same numbers, gradient, dtype and
        requires_grad, sharing nothing with self (smolml._copying)."""
        kind = "<f4" if self.single else "<f8"
        grad = None
        if self.grad_ptr != NULL:
            grad_to_read(self)
            grad = array_view(self, True).astype(kind, copy=False).tobytes()
        return (_copying.rebuild_array,
                (NAME, self.shape, "float32" if self.single else "float64",
                 array_view(self, False).astype(kind, copy=False).tobytes(), grad,
                 self.requires_grad))

    # ---- NumPy and PyTorch habits (the pure backend's names; NumPy does the work:
    #      none of these records a graph node that needs a backward rule of its own)
    def tolist(self):
        """Nested lists of floats, as NumPy's and PyTorch's `tolist` (= `to_list`)."""
        return self.to_list()

    def item(self):
        """The number of a size-1 array as a float; any other size is a ValueError."""
        _shapes.check_size_one(self.shape, "item()")
        return value_of(self)

    def __int__(self):
        return int(float(self))

    def __bool__(self):
        """The truth of a size-1 array's number (NumPy's rule); other sizes are ambiguous."""
        _shapes.check_size_one(self.shape, "bool()")
        return bool(value_of(self))

    def __lt__(self, other):
        return compare_op(self, other, np.less)

    def __le__(self, other):
        return compare_op(self, other, np.less_equal)

    def __gt__(self, other):
        return compare_op(self, other, np.greater)

    def __ge__(self, other):
        return compare_op(self, other, np.greater_equal)

    def __eq__(self, other):
        return compare_op(self, other, np.equal)

    def __ne__(self, other):
        return compare_op(self, other, np.not_equal)

    def __hash__(self):
        return id(self) >> 4            # identity, as PyTorch tensors: arrays live in dicts

    def argmax(self, axis=None, keepdims=False):
        """Index of the largest element over `axis` (None: of the flattened array)."""
        return arg_reduce_op(self, axis, keepdims, np.argmax, "argmax")

    def argmin(self, axis=None, keepdims=False):
        """Index of the smallest element over `axis` (None: of the flattened array)."""
        return arg_reduce_op(self, axis, keepdims, np.argmin, "argmin")

    def detach(self):
        """A new array of the same numbers and dtype with no history and no gradient
        (a copy: unlike PyTorch's detach, it shares no memory with self)."""
        return MLArray(self, requires_grad=False)

    def clone(self):
        """A copy of the numbers that stays in the graph: gradients flow back to self."""
        return copy_op(self, self.shape, OP_COPY)

    def squeeze(self, axis=None):
        """The same elements without axes of length 1 (all of them, or `axis`: an int or
        a tuple of ints of length-1 axes); a new, graph-connected array."""
        return copy_op(self, _shapes.squeezed_shape(self.shape, axis), OP_RESHAPE)

    def unsqueeze(self, axis):
        """The same elements with a new axis of length 1 at `axis`; graph-connected."""
        return copy_op(self, _shapes.unsqueezed_shape(self.shape, axis), OP_RESHAPE)

    # ---- elementwise binary ops (kernels.binary_forward / binary_backward)
    def __add__(self, other):
        b = array_operand(other)
        if b is None:
            return NotImplemented
        fused = add_bias(self, b)
        if fused is None and type(b) is MLArray:
            fused = add_bias(<MLArray>b, self)          # bias + x @ W
        return binary_op(OP_ADD, self, b, False) if fused is None else fused

    def __radd__(self, other):
        a = array_operand(other)
        if a is None:
            return NotImplemented
        fused = add_bias(self, a)
        return binary_op(OP_ADD, a, self, False) if fused is None else fused

    def __sub__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_SUB, self, b, False)

    def __rsub__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_SUB, a, self, False)

    def __mul__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_MUL, self, b, False)

    def __rmul__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_MUL, a, self, False)

    def __truediv__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_DIV, self, b, False)

    def __rtruediv__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_DIV, a, self, False)

    def __pow__(self, other, modulo):
        _shapes.reject_modulo(modulo)
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_POW, self, b, False)

    def __rpow__(self, other, modulo):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_POW, a, self, False)

    # ---- elementwise unary ops (kernels.unary_forward / unary_backward)
    def __neg__(self):
        return unary_array_op(OP_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return unary_array_op(OP_ABS, self)

    def abs(self):
        return unary_array_op(OP_ABS, self)

    def exp(self):
        return unary_array_op(OP_EXP, self)

    def log(self):
        return unary_array_op(OP_LOG, self)

    def log1p(self):
        return unary_array_op(OP_LOG1P, self)

    def sqrt(self):
        return unary_array_op(OP_SQRT, self)

    def relu(self):
        return unary_array_op(OP_RELU, self)

    def tanh(self):
        return unary_array_op(OP_TANH, self)

    def sigmoid(self):
        return unary_array_op(OP_SIGMOID, self)

    def clip(self, min_value=None, max_value=None):
        """Clamp into [min_value, max_value] (None: unbounded); gradient 1 inside, 0 outside."""
        for bound in (min_value, max_value):
            if bound is not None and not is_real(bound):
                raise TypeError(f"clip bounds must be numbers or None; got {_shapes.describe(bound)}")
        lo = -INFINITY if min_value is None else float(min_value)
        hi = INFINITY if max_value is None else float(max_value)
        return unary_array_op(OP_CLIP, self, lo, hi)

    # ---- matmul (BLAS through NumPy)
    def matmul(self, other):
        b = array_operand(other)
        if b is None:
            raise TypeError(f"matmul needs an MLArray-like operand; got {_shapes.describe(other)}")
        return matmul_op(self, b)

    def __matmul__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else matmul_op(self, b)

    def __rmatmul__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else matmul_op(a, self)

    # ---- reductions (kernels.sum_forward / argextreme_forward)
    def sum(self, axis=None, keepdims=False):
        return reduce_op(OP_SUM, self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return reduce_op(OP_MEAN, self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """Largest element; the gradient goes to the first largest only."""
        return reduce_op(OP_MAX, self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        """Smallest element; the gradient goes to the first smallest only."""
        return reduce_op(OP_MIN, self, axis, keepdims)

    def softmax_cross_entropy(self, targets):
        """L = −(1/N) Σₙₖ tₙₖ·log_softmax(self)ₙₖ for logits `self` and targets of one
        shape (N, K): one node, whose backward is (softmax·Σₖ tₙₖ − t)/N."""
        return softmax_cross_entropy_op(self, targets)

    def dropout(self, keep, scale):
        """self ⊙ keep · scale for a mask `keep` (a NumPy array of self's shape, 1 keeps
        an element): one node, whose backward is g ⊙ keep · scale."""
        return dropout_op(self, keep, scale)

    def std(self, axis=None, keepdims=False):
        """Population standard deviation sqrt(mean((x - mean(x))²)), differentiable."""
        deviation = self - self.mean(axis=axis, keepdims=True)
        return (deviation * deviation).mean(axis=axis, keepdims=keepdims).sqrt()

    # ---- movement
    def transpose(self, *axes):
        """Permute the axes (reverse them by default), as NumPy's transpose."""
        order = _shapes.resolve_transpose(axes, len(self.shape))
        cdef MLArray out = new_array(tuple(self.shape[ax] for ax in order), self.single)
        if len(self.shape) == 0:
            store(out.value_ptr, self.single, value_of(self))
        else:
            np.copyto(out.value_array, self.value_array.transpose(order))
        out.extra = order
        record(out, OP_TRANSPOSE, self)
        return out

    @property
    def T(self):
        return self.transpose()

    def reshape(self, *shape):
        return copy_op(self, _shapes.resolve_reshape(shape, self.numel), OP_RESHAPE)

    def flatten(self, data=None):
        """No argument: a 1-D copy of the array. With `data` (SmolML's helper form): the
        Values of that nested structure in one flat list."""
        if data is None:
            return copy_op(self, (self.numel,), OP_RESHAPE)
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

    def __getitem__(self, index):
        """Ints, slices, `...` and tuples of them. An int on every axis gives that
        element as a 0-d array that reads and writes this array's buffers (as SmolML's
        arr[i, j] shares its Value); anything else a new array, graph-connected."""
        plan, out_shape = _shapes.index_plan(index, self.shape)
        if len(out_shape) == 0 and len(self.shape) > 0:
            return element_view(self, _shapes.plan_offsets(plan, self.shape)[0])
        selection = numpy_index(plan)
        cdef MLArray out = new_array(out_shape, self.single)
        if len(self.shape) == 0:
            store(out.value_ptr, self.single, value_of(self))
        else:
            np.copyto(out.value_array, self.value_array[selection])
        out.extra = selection
        record(out, OP_INDEX, self)
        return out

    def __setitem__(self, index, value):
        """Write numbers into the selected elements (broadcast); no graph link. The
        array's version goes up: backward refuses a graph that read the old numbers."""
        plan, out_shape = _shapes.index_plan(index, self.shape)
        numbers = broadcast_numbers(value, out_shape)
        if len(self.shape) == 0:
            store(self.value_ptr, self.single, float(numbers))
        else:
            with np.errstate(over="ignore"):    # float32 overflow gives ±inf quietly
                self.value_array[numpy_index(plan)] = numbers
        bump_version(self)

    # ---- gradients
    def backward(self):
        """Backpropagate from this array (a non-scalar one is summed first, as SmolML)."""
        backpropagate(self)

    def grad(self):
        """The gradient as a new MLArray of this array's shape."""
        cdef MLArray out = new_array(self.shape, self.single)
        cdef size_t nbytes = self.numel * itemsize(self.single)
        if self.grad_ptr == NULL:
            memset(out.value_ptr, 0, nbytes)
        elif self.numel:
            memcpy(out.value_ptr, grad_to_read(self), nbytes)
        out.requires_grad = False
        return out

    def zero_grad(self):
        if self.grad_ptr != NULL:
            zero_grad(self)
        return self

    def restart(self):
        """Zero the gradient and cut the history: a leaf holding the current values."""
        self.zero_grad()
        if self.op == OP_ELEMENT:
            return self     # an element view has no history of its own: keep the alias
        cut_history(self)
        return self

    def update_values(self, new_data):
        """Copy new numbers into this array in place (broadcast to its shape); its version
        goes up, as for every in-place change."""
        if type(new_data) is MLArray and (<MLArray>new_data).shape == self.shape:
            # the optimizer's case: one memcpy (or one conversion)
            convert(self.single, self.value_ptr, (<MLArray>new_data).single,
                    (<MLArray>new_data).value_ptr, self.numel)
            bump_version(self)
            return self
        numbers = broadcast_numbers(new_data, self.shape)
        copy_numbers(self, np.ascontiguousarray(numbers))
        bump_version(self)
        return self

    # ---- SmolML's helpers
    @staticmethod
    def ensure_array(*args):
        """MLArrays pass through; numbers become 1-element arrays; lists and ndarrays convert."""
        converted = []
        for i, arg in enumerate(args):
            if isinstance(arg, MLArray):
                converted.append(arg)
            elif is_real(arg):
                converted.append(MLArray([arg]))
            elif isinstance(arg, (list, tuple)) or hasattr(arg, "__array_interface__"):
                converted.append(MLArray(arg))
            else:
                reject_other_backend(arg)
                raise TypeError(f"cannot make an MLArray from {_shapes.describe(arg)}")
        return converted[0] if len(converted) == 1 else tuple(converted)

    @classmethod
    def xavier_uniform(cls, in_features, out_features, dtype=None):
        """Weights ~ U(-l, l), l = sqrt(6 / (in + out))."""
        limit = (6.0 / (in_features + out_features)) ** 0.5
        return draw((in_features, out_features),
                    lambda count, into: _random.uniform(-limit, limit, count, into), dtype)

    @classmethod
    def xavier_normal(cls, in_features, out_features, dtype=None):
        """Weights ~ N(0, σ²), σ = sqrt(2 / (in + out))."""
        std = (2.0 / (in_features + out_features)) ** 0.5
        return draw((in_features, out_features),
                    lambda count, into: _random.normal(0.0, std, count, into), dtype)

    # ---- in place, under no_grad (otherwise a new node, as `a = a + b`)
    def __iadd__(self, other):
        return inplace_op(OP_ADD, self, other)

    def __isub__(self, other):
        return inplace_op(OP_SUB, self, other)

    def __imul__(self, other):
        return inplace_op(OP_MUL, self, other)

    def __itruediv__(self, other):
        return inplace_op(OP_DIV, self, other)
