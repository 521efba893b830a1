# Reductions (included by graph.pyx): over one axis or all of them, with keepdims.
#
#   op     value               d/dx[i]                               (pure: "sum", "max")
#   sum    Σ x                 1
#   mean   Σ x / n             1/n
#   max    max x               1 at the first largest element, else 0
#   min    min x               1 at the first smallest element, else 0
#
# Each runs over a contiguous (outer, n, inner) view of the input, n the reduced axis.

cdef tuple reduction_geometry(tuple shape, object axis):
    """(outer, n, inner) of the reduced axis, or of the whole array when axis is None."""
    cdef Py_ssize_t outer = 1, inner = 1, n, i
    if axis is None:
        n = 1
        for i in range(len(shape)):
            n *= <Py_ssize_t>shape[i]
        return 1, n, 1
    for i in range(axis):
        outer *= <Py_ssize_t>shape[i]
    for i in range(axis + 1, len(shape)):
        inner *= <Py_ssize_t>shape[i]
    return outer, shape[axis], inner


cdef MLArray reduce_op(int op, MLArray a, object axis, bint keepdims):
    cdef Py_ssize_t outer, n, inner
    cdef MLArray out
    cdef cnp.ndarray where
    cdef Py_ssize_t* where_ptr
    cdef void* x = a.value_ptr
    cdef void* y
    cdef double scale
    cdef bint want_max = op == OP_MAX
    cdef bint single = a.single
    cdef int ndim = len(a.shape)
    if axis is not None:
        if type(axis) is int and -ndim <= <long>axis < ndim:
            axis = <long>axis + ndim if <long>axis < 0 else axis   # the common case, no call
        else:
            axis = _shapes.normalize_axis(axis, ndim)      # raises with the shared message
    outer, n, inner = reduction_geometry(a.shape, axis)
    if (op == OP_MAX or op == OP_MIN) and n == 0:
        _shapes.check_reducible(a.shape, axis, "max" if op == OP_MAX else "min")
    if axis is None:
        out_shape = (1,) * ndim if keepdims else ()
    elif keepdims:
        out_shape = a.shape[:axis] + (1,) + a.shape[axis + 1:]
    else:
        out_shape = a.shape[:axis] + a.shape[axis + 1:]
    out = new_array(out_shape, single)
    out.extra = (outer, n, inner)
    y = out.value_ptr
    if op == OP_SUM or op == OP_MEAN:
        out.c0 = scale = 1.0 if op == OP_SUM else 1.0 / <double>n
        if a.numel > NOGIL_MIN:
            with nogil:
                sum_forward(single, x, y, outer, n, inner, scale)
        else:
            sum_forward(single, x, y, outer, n, inner, scale)
    else:
        where = np.empty(outer * inner, dtype=np.intp)
        where_ptr = <Py_ssize_t*>cnp.PyArray_DATA(where)
        if a.numel > NOGIL_MIN:
            with nogil:
                argextreme_forward(single, x, y, where_ptr, outer, n, inner, want_max)
        else:
            argextreme_forward(single, x, y, where_ptr, outer, n, inner, want_max)
        out.extra = where
    record(out, op, a)
    return out


cdef int backward_sum(Node node) except -1:
    cdef Node a = node.parent_a
    cdef Py_ssize_t outer, n, inner
    if not a.requires_grad:
        return 0
    outer, n, inner = node.extra
    cdef void* g = node.grad_ptr
    cdef void* ga = grad_to_add(a)
    cdef double scale = node.c0
    cdef bint single = node.single
    if outer * n * inner > NOGIL_MIN:
        with nogil:
            sum_backward(single, g, ga, outer, n, inner, scale)
    else:
        sum_backward(single, g, ga, outer, n, inner, scale)
    return 0


cdef int backward_extreme(Node node) except -1:
    cdef Node a = node.parent_a
    cdef cnp.ndarray where = node.extra
    if not a.requires_grad:
        return 0
    argextreme_backward(node.single, node.grad_ptr, grad_to_add(a),
                        <Py_ssize_t*>cnp.PyArray_DATA(where),
                        numel_of(node))
    return 0


defop(OP_SUM, "sum", backward_sum)
defop(OP_MEAN, "mean", backward_sum)
defop(OP_MAX, "max", backward_extreme)
defop(OP_MIN, "min", backward_extreme)
