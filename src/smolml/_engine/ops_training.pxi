# Fused training ops (included by graph.pyx): a whole computation of the training toolkit
# in one node, where the composed form would make a node (and a buffer) per step.
#
#   op                     value                               d/dz or d/dx                d/dt
#   softmax_cross_entropy  L = −(1/N) Σₙₖ tₙₖ·log_softmax(z)ₙₖ  (softmax(z)·Σₖ tₙₖ − t)/N   −log_softmax(z)/N
#   dropout                x · keep · scale                    keep · scale
#
# (pure: the MLArray methods of the same names, composed from the ops above.) For
# one-hot or probability rows Σₖ tₙₖ = 1, and d/dz is the familiar softmax − target.
# Inputs of another dtype are cast to z's (x's) first.

cdef MLArray softmax_cross_entropy_op(MLArray z, object targets):
    cdef MLArray t, out
    cdef Py_ssize_t rows, cols
    cdef cnp.ndarray p, lse, t_sum
    cdef double total
    if not isinstance(targets, MLArray):
        reject_other_backend(targets)
        raise TypeError(f"softmax_cross_entropy: targets must be an MLArray; got "
                        f"{_shapes.describe(targets)}")
    t = <MLArray>as_dtype(<MLArray>targets, z.single)
    _shapes.check_softmax_cross_entropy(z.shape, t.shape)
    rows, cols = z.shape
    p = np.empty((rows, cols), dtype=np.float64)
    lse = np.empty(rows, dtype=np.float64)
    t_sum = np.empty(rows, dtype=np.float64)
    cdef double* p_ptr = <double*>cnp.PyArray_DATA(p)
    cdef double* lse_ptr = <double*>cnp.PyArray_DATA(lse)
    cdef double* t_sum_ptr = <double*>cnp.PyArray_DATA(t_sum)
    cdef bint single = z.single
    cdef const void* zv = z.value_ptr
    cdef const void* tv = t.value_ptr
    if z.numel > NOGIL_MIN:
        with nogil:
            total = softmax_cross_entropy_forward(single, zv, tv, p_ptr, lse_ptr, t_sum_ptr,
                                                  rows, cols)
    else:
        total = softmax_cross_entropy_forward(single, zv, tv, p_ptr, lse_ptr, t_sum_ptr,
                                              rows, cols)
    out = new_array((), single)
    store(out.value_ptr, single, -total / <double>rows)    # 0 rows: 0/0, nan (as a mean)
    record(out, OP_SOFTMAX_CROSS_ENTROPY, z, t)
    if out.requires_grad:
        out.extra = (p, lse, t_sum)
    return out


cdef int backward_softmax_cross_entropy(Node node) except -1:
    cdef MLArray z = <MLArray>node.parent_a, t = <MLArray>node.parent_b
    cdef cnp.ndarray p, lse, t_sum
    p, lse, t_sum = node.extra
    cdef Py_ssize_t rows = z.shape[0], cols = z.shape[1]
    cdef double scale = load(grad_to_read(node), node.single) / <double>rows
    cdef void* gz = grad_to_add(z) if z.requires_grad else NULL
    cdef void* gt = grad_to_add(t) if t.requires_grad else NULL
    cdef bint single = node.single
    cdef const void* zv = z.value_ptr
    cdef const void* tv = t.value_ptr
    cdef const double* p_ptr = <const double*>cnp.PyArray_DATA(p)
    cdef const double* lse_ptr = <const double*>cnp.PyArray_DATA(lse)
    cdef const double* t_sum_ptr = <const double*>cnp.PyArray_DATA(t_sum)
    if z.numel > NOGIL_MIN:
        with nogil:
            softmax_cross_entropy_backward(single, zv, p_ptr, lse_ptr, t_sum_ptr, tv, gz, gt,
                                           rows, cols, scale)
    else:
        softmax_cross_entropy_backward(single, zv, p_ptr, lse_ptr, t_sum_ptr, tv, gz, gt,
                                       rows, cols, scale)
    return 0


cdef MLArray dropout_op(MLArray x, object keep, object scale):
    cdef MLArray out
    _shapes.check_dropout(x.shape, keep, scale)
    cdef cnp.ndarray mask = np.ascontiguousarray(keep, dtype=np.bool_)
    cdef const unsigned char* mask_ptr = <const unsigned char*>cnp.PyArray_DATA(mask)
    cdef double factor = float(scale)
    cdef bint single = x.single
    cdef Py_ssize_t n = x.numel
    out = new_array(x.shape, single)
    if n > NOGIL_MIN:
        with nogil:
            dropout(single, x.value_ptr, mask_ptr, out.value_ptr, n, factor, False)
    else:
        dropout(single, x.value_ptr, mask_ptr, out.value_ptr, n, factor, False)
    record(out, OP_DROPOUT, x)
    if out.requires_grad:
        out.c0 = factor
        out.extra = mask
    return out


cdef int backward_dropout(Node node) except -1:
    cdef Node x = node.parent_a
    cdef cnp.ndarray mask = node.extra
    if not x.requires_grad:
        return 0
    cdef bint overwrite = grad_is_zero(x)
    cdef void* gx = grad_to_overwrite(x) if overwrite else grad_to_add(x)
    cdef const void* g = grad_to_read(node)
    cdef const unsigned char* mask_ptr = <const unsigned char*>cnp.PyArray_DATA(mask)
    cdef bint single = node.single
    cdef Py_ssize_t n = numel_of(node)
    cdef double factor = node.c0
    if n > NOGIL_MIN:
        with nogil:
            dropout(single, g, mask_ptr, gx, n, factor, not overwrite)
    else:
        dropout(single, g, mask_ptr, gx, n, factor, not overwrite)
    return 0


defop(OP_SOFTMAX_CROSS_ENTROPY, "softmax_cross_entropy", backward_softmax_cross_entropy,
      B_IF_A | A_IF_B)
defop(OP_DROPOUT, "dropout", backward_dropout)
