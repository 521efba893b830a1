# Building arrays from Python data (included by graph.pyx): MLArray(data) of numbers,
# Values, MLArrays, nested lists and ndarrays; random and constant fills.

cdef class Span:
    """An MLArray met inside nested data: it fills `count` consecutive elements."""
    cdef Node node
    cdef Py_ssize_t count


# What one element of nested data costs while it is parsed: the flat list's pointer and
# float (32 bytes), the float64 copy and the array's buffer (16). An ndarray costs its
# float64 copy and the buffer.
DEF NESTED_ELEMENT_BYTES = 48
DEF NDARRAY_ELEMENT_BYTES = 16


cdef object numpy_numbers(object data):
    """A float64 C-contiguous copy of a real-valued ndarray (TypeError for other dtypes)."""
    kind = data.dtype.kind
    if kind not in "fiub":
        raise TypeError(f"MLArray needs a real-valued NumPy array; got dtype {data.dtype}")
    _memory.check_array(data.shape, NDARRAY_ELEMENT_BYTES, "MLArray of an ndarray")
    return np.array(data, dtype=np.float64, order="C", copy=True)


cdef bint parse_leaf(object x) except -1:
    return is_real(x) or type(x) is Value


cdef object array_shape(object x):
    """The shape of an MLArray or ndarray met in nested data; None for anything else."""
    if isinstance(x, MLArray):
        return (<MLArray>x).shape
    if hasattr(x, "__array_interface__") and not isinstance(x, (list, tuple)):
        return np.asarray(x).shape
    return None


cdef object parse_array(object x):
    """_shapes.parse_nested's hook: what an array-like element of nested data holds."""
    cdef Span span
    if isinstance(x, MLArray):
        span = Span.__new__(Span)
        span.node = <Node>x
        span.count = (<MLArray>x).numel
        return (<MLArray>x).shape, [span]
    if hasattr(x, "__array_interface__") and not isinstance(x, (list, tuple)):
        if np.asarray(x).dtype.kind == "O":
            return _shapes.parse_nested(np.asarray(x).tolist(), parse_leaf, parse_array)
        values = numpy_numbers(np.asarray(x))
        return values.shape, values.ravel().tolist()
    reject_other_backend(x)
    return None


cdef int fill_from_nested(MLArray self, object data, bint requires_grad,
                          bint single) except -1:
    """Build self from nested lists of numbers, Values, MLArrays and ndarrays. Values and
    MLArrays inside stay connected: they become the parents of an OP_STACK node."""
    _memory.check_array(_memory.declared_shape(data, array_shape), NESTED_ELEMENT_BYTES,
                        "MLArray of nested data")
    if type(data) is np.ndarray and data.dtype.kind in "fiub":
        init_storage(self, data.shape, single)      # numbers only: one vectorized copy
        copy_numbers(self, data)
        self.requires_grad = requires_grad
        return 0
    shape, flat = _shapes.parse_nested(data, parse_leaf, parse_array)
    cdef Py_ssize_t offset = 0
    cdef list parents = [], spans = []
    cdef Span span
    cdef bint only_numbers = True
    for item in flat:
        if type(item) is Value or type(item) is Span:
            only_numbers = False
            break
    init_storage(self, tuple(shape), single)
    if only_numbers:
        if self.numel:
            copy_numbers(self, np.array(flat, dtype=np.float64))
        self.requires_grad = requires_grad
        return 0
    for item in flat:
        if type(item) is Value:
            store(element_at(self.value_ptr, single, offset), single, value_of(<Value>item))
            parents.append(item)
            spans.append((offset, 1))
            offset += 1
        elif type(item) is Span:
            span = <Span>item
            convert(single, element_at(self.value_ptr, single, offset),
                    span.node.single, span.node.value_ptr, span.count)
            parents.append(span.node)
            spans.append((offset, span.count))
            offset += span.count
        else:
            store(element_at(self.value_ptr, single, offset), single, float(item))
            offset += 1
    self.extra = spans
    if requires_grad:               # requires_grad=False detaches: a leaf of the same numbers
        record_many(self, OP_STACK, tuple(parents))
    if self.op == OP_LEAF:
        self.extra = None
        self.requires_grad = requires_grad
    return 0


cdef int init_storage(MLArray a, tuple shape, bint single) except -1:
    # The buffer first: a MemoryError from the preflight leaves `a` as it was.
    buffer = new_buffer(shape, False, single) if len(shape) else None
    cdef Py_ssize_t size = 1, dim
    for dim in shape:
        size *= dim
    a.shape = shape
    a.numel = size
    a.op = OP_LEAF
    a.single = single
    a.built = True
    if buffer is None:
        a.value_ptr = &a.inline_value
    else:
        a.value_array = buffer
        a.value_ptr = cnp.PyArray_DATA(a.value_array)
    return 0


cdef object as_numbers(object source, bint single):
    """source as a C-contiguous ndarray of float32 (single) or float64; float32 overflow
    gives ±inf quietly, as every float32 op does."""
    if single and source.dtype != np.float32:
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(source, dtype=np.float32)
    return np.ascontiguousarray(source, dtype=np.float32 if single else np.float64)


cdef int copy_numbers(MLArray a, object source) except -1:
    """Copy an ndarray of a's size into a's value buffer, converted to a's dtype."""
    cdef cnp.ndarray flat = as_numbers(source, a.single).reshape(-1)
    if flat.shape[0] != a.numel:
        raise ValueError(f"expected {a.numel} numbers, got {flat.shape[0]}")
    if a.numel:
        memcpy(a.value_ptr, cnp.PyArray_DATA(flat), a.numel * itemsize(a.single))
    return 0


cdef bint want_single(object dtype) except -1:
    """True if `dtype` (None: the default) names float32."""
    return _dtype.dtype(dtype) is _dtype.float32


cdef object numbers_of(object data):
    """The numbers of any MLArray-able data, as a float64 ndarray (no graph)."""
    if isinstance(data, Node):
        return np.array(array_view(<Node>data, False), dtype=np.float64)
    return np.asarray(MLArray(data, requires_grad=False).numpy())


cdef object broadcast_numbers(object data, tuple target):
    """data's numbers broadcast to `target` (ValueError naming both shapes otherwise)."""
    source = numbers_of(data)
    if _shapes.broadcast_shapes(source.shape, target) != target:
        raise ValueError(
            f"could not broadcast input array from shape {source.shape} into shape {target}")
    return np.broadcast_to(source, target)


cdef MLArray draw(tuple shape, object sample, object dtype):
    """A leaf of `shape` filled row-major by sample(count, into), one vectorized float64
    draw: straight into a float64 array's buffer, else returned and rounded to float32,
    so both dtypes and both backends see the same random stream."""
    shape = _shapes.check_shape(shape)
    cdef MLArray out = new_array(shape, want_single(dtype))
    if out.numel and not out.single and out.value_array is not None:
        sample(out.numel, out.value_array.reshape(-1))
    elif out.numel:
        copy_numbers(out, sample(out.numel, None))
    out.requires_grad = True
    return out


def array_from_state(shape, dtype_name, numbers, grad, requires_grad):
    """The MLArray of a pickle, checked by smolml._copying.rebuild_array: `numbers` and
    `grad` (or None) are little-endian bytes of the right size."""
    cdef bint single = dtype_name == "float32"
    kind = "<f4" if single else "<f8"
    cdef MLArray out = new_array(shape, single)
    copy_numbers(out, np.frombuffer(numbers, dtype=kind))
    out.requires_grad = requires_grad
    if grad is not None:
        source = as_numbers(np.frombuffer(grad, dtype=kind), single)
        memcpy(grad_to_overwrite(out), cnp.PyArray_DATA(source), out.numel * itemsize(single))
    return out


def zeros(*shape, dtype=None):
    cdef MLArray out = new_array(_shapes.check_shape(shape), want_single(dtype))
    memset(out.value_ptr, 0, out.numel * itemsize(out.single))
    out.requires_grad = True
    return out


def ones(*shape, dtype=None):
    cdef MLArray out = new_array(_shapes.check_shape(shape), want_single(dtype))
    fill(out.single, out.value_ptr, 1.0, out.numel)
    out.requires_grad = True
    return out


def randn(*shape, dtype=None):
    return draw(_shapes.check_shape(shape),
                lambda count, into: _random.normal(0.0, 1.0, count, into), dtype)
