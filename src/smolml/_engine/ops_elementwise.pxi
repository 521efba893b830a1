# Elementwise ops (included by graph.pyx): forward and backward of each, with NumPy
# broadcasting. The math of every op is one pair of functions in kernels.pyx, used by
# scalar Values and by the array loops alike:
#
#   op       value                 d/da               d/db              (pure: value.py OPS)
#   +        a + b                 1                  1
#   -        a - b                 1                  -1
#   *        a · b                 b                  a
#   /        a / b                 1/b                -a/b²
#   **       a^b                   b·a^(b-1)          a^b·ln a
#   neg      -a                    -1
#   exp      e^a                   e^a
#   log      ln a                  1/a
#   log1p    ln(1 + a)             1/(1 + a)
#   sqrt     √a                    1/(2√a)
#   abs      |a|                   sign(a)
#   ReLU     max(a, 0)             1 if a > 0 else 0
#   tanh     tanh a                1 - tanh²a
#   sigmoid  1/(1 + e^-a)          σ(a)·(1 - σ(a))
#   clip     min(max(a, lo), hi)   1 if lo <= a <= hi else 0
#
# A broadcast operand's gradient is summed over the axes it was broadcast along.
# Comparisons (< <= > >= == !=, compare_op at the end) make constants: no node, no rule.

cdef tuple broadcast_shape(tuple shape_a, tuple shape_b):
    """NumPy's broadcast of two shapes: _shapes.broadcast_shapes (the rule and its error
    message, shared with the pure backend), remembered (see shape_memo)."""
    key = (shape_a, shape_b)
    out = broadcast_memo.get(key)
    if out is None:
        out = remember(broadcast_memo, key, _shapes.broadcast_shapes(shape_a, shape_b))
    return out


cdef int setup_broadcast(Broadcast* bc, tuple out_shape, tuple shape_a, tuple shape_b) except -1:
    cdef int ndim = len(out_shape)
    cdef int d, da, db
    cdef Py_ssize_t sa = 1, sb = 1, dim
    if ndim > MAX_NDIM:
        raise ValueError(f"elementwise ops support at most {MAX_NDIM} dimensions; got {ndim}")
    bc.ndim = ndim
    bc.size = 1
    da = len(shape_a) - ndim
    db = len(shape_b) - ndim
    for d in range(ndim - 1, -1, -1):
        dim = out_shape[d]
        bc.shape[d] = dim
        bc.size *= dim
        if d + da >= 0 and <Py_ssize_t>shape_a[d + da] != 1:
            bc.stride_a[d] = sa
            sa *= <Py_ssize_t>shape_a[d + da]
        else:
            bc.stride_a[d] = 0
        if d + db >= 0 and <Py_ssize_t>shape_b[d + db] != 1:
            bc.stride_b[d] = sb
            sb *= <Py_ssize_t>shape_b[d + db]
        else:
            bc.stride_b[d] = 0
    return 0


cdef object value_binary(int op, Value self, object other, bint reflected):
    """self <op> other (other <op> self when reflected) for a Value and a Value or number."""
    cdef Value out
    cdef double x, c
    if type(other) is Value:
        if reflected:
            return binary_op(op, <Value>other, self, True)
        return binary_op(op, self, <Value>other, True)
    if is_real(other):
        x = value_of(self)
        c = float(other)
        if reflected:
            out = new_value(binary_value(op, c, x))
            record_constant(out, op, self, c, 1)
        else:
            out = new_value(binary_value(op, x, c))
            record_constant(out, op, self, c, 2)
        return out
    if isinstance(other, Value):        # a subclass of Value
        if reflected:
            return binary_op(op, <Value>other, self, True)
        return binary_op(op, self, <Value>other, True)
    if not isinstance(other, MLArray):
        reject_other_backend(other)
    return NotImplemented


cdef Node binary_op(int op, Node a, Node b, bint as_value):
    """Elementwise a `op` b with NumPy broadcasting; a Value result when both are Values."""
    cdef Broadcast bc
    cdef Node out
    cdef bint single
    if as_value:
        out = new_value(binary_value(op, value_of(a), value_of(b)))
        record(out, op, a, b)
        return out
    single = result_single(a, b)
    a = as_dtype(a, single)
    b = as_dtype(b, single)
    cdef tuple shape_a = shape_of(a), shape_b = shape_of(b)
    out_shape = shape_a if shape_a == shape_b else broadcast_shape(shape_a, shape_b)
    out = new_array(out_shape, single)
    setup_broadcast(&bc, out_shape, shape_a, shape_b)
    if bc.size > NOGIL_MIN:
        with nogil:
            binary_forward(op, single, a.value_ptr, b.value_ptr, out.value_ptr, &bc)
    else:
        binary_forward(op, single, a.value_ptr, b.value_ptr, out.value_ptr, &bc)
    record(out, op, a, b)
    return out


cdef object inplace_op(int op, MLArray self, object other):
    """self <op>= other: in place when grad mode is off and other broadcasts to self's
    shape (the result rounded to self's dtype; self's version goes up); otherwise
    self <op> other, a new node."""
    cdef Broadcast bc
    cdef Node b = array_operand(other)
    cdef Node result
    if b is None:
        return NotImplemented
    if grad_enabled():
        return binary_op(op, self, b, False)
    shape_b = shape_of(b)
    if shape_b != self.shape and broadcast_shape(self.shape, shape_b) != self.shape:
        return binary_op(op, self, b, False)
    if type(b) is MLArray and b.single != self.single and self.single:
        # float32 -= float64: computed in float64, then rounded into self (NumPy's rule)
        result = binary_op(op, self, b, False)
        convert(True, self.value_ptr, False, result.value_ptr, self.numel)
        bump_version(self)
        return self
    if len(shape_b) == 0:
        b = new_value(value_of(b))      # a 0-d operand may alias one of self's elements
    b = as_dtype(b, self.single)
    setup_broadcast(&bc, self.shape, self.shape, shape_b)
    binary_forward(op, self.single, self.value_ptr, b.value_ptr, self.value_ptr, &bc)
    bump_version(self)
    return self


cdef Value unary_value_op(int op, Value a):
    cdef Value out = new_value(unary_value(op, value_of(a), -INFINITY, INFINITY))
    record(out, op, a)
    return out


cdef MLArray unary_array_op(int op, MLArray a, double lo=-INFINITY, double hi=INFINITY):
    cdef MLArray out = new_array(a.shape, a.single)
    cdef Py_ssize_t n = a.numel
    cdef bint single = a.single
    if n > NOGIL_MIN:
        with nogil:
            unary_forward(op, single, a.value_ptr, out.value_ptr, n, lo, hi)
    else:
        unary_forward(op, single, a.value_ptr, out.value_ptr, n, lo, hi)
    out.c0 = lo
    out.c1 = hi
    record(out, op, a)
    return out


cdef int backward_elementwise_binary(Node node) except -1:
    cdef Node a = node.parent_a, b = node.parent_b
    cdef Broadcast bc
    cdef double da = 0.0, db = 0.0
    cdef void* ga = NULL
    cdef void* gb = NULL
    cdef bint single = node.single
    if node.constant_side:
        return backward_with_constant(node)
    if type(node) is Value:
        binary_partials(node.op, value_of(a), value_of(b), value_of(node),
                        a.requires_grad, b.requires_grad, &da, &db)
        if a.requires_grad:
            add_grad(a, grad_of(node) * da)
        if b.requires_grad:
            add_grad(b, grad_of(node) * db)
        return 0
    if a.requires_grad:
        ga = grad_to_add(a)
    if b.requires_grad:
        gb = grad_to_add(b)
    setup_broadcast(&bc, (<MLArray>node).shape, shape_of(a), shape_of(b))
    if bc.size > NOGIL_MIN:
        with nogil:
            binary_backward(node.op, single, a.value_ptr, b.value_ptr, node.value_ptr,
                            node.grad_ptr, ga, gb, &bc)
    else:
        binary_backward(node.op, single, a.value_ptr, b.value_ptr, node.value_ptr,
                        node.grad_ptr, ga, gb, &bc)
    return 0


cdef int backward_with_constant(Node node) except -1:
    """Scalar binary op whose other operand is the number c0."""
    cdef Node x = node.parent_b if node.constant_side == 1 else node.parent_a
    cdef double a = node.c0 if node.constant_side == 1 else value_of(x)
    cdef double b = node.c0 if node.constant_side == 2 else value_of(x)
    cdef double da = 0.0, db = 0.0
    if not x.requires_grad:
        return 0
    binary_partials(node.op, a, b, value_of(node),
                    node.constant_side == 2, node.constant_side == 1, &da, &db)
    add_grad(x, grad_of(node) * (da if node.constant_side == 2 else db))
    return 0


cdef int backward_elementwise_unary(Node node) except -1:
    cdef Node a = node.parent_a
    cdef MLArray out
    cdef Py_ssize_t n
    cdef bint single, overwrite
    cdef void* ga
    if not a.requires_grad:
        return 0
    if type(node) is Value:
        add_grad(a, grad_of(node) * unary_partial(node.op, value_of(a), value_of(node),
                                                  -INFINITY, INFINITY))
        return 0
    out = <MLArray>node
    # into a gradient that is still all zeros (an activation's input, usually) the
    # products are written, not added: no clearing and no reading of the buffer
    overwrite = grad_is_zero(a)
    ga = grad_to_overwrite(a) if overwrite else grad_to_add(a)
    n = out.numel
    single = out.single
    if n > NOGIL_MIN:
        with nogil:
            unary_backward(out.op, single, a.value_ptr, out.value_ptr, out.grad_ptr,
                           ga, n, out.c0, out.c1, overwrite)
    else:
        unary_backward(out.op, single, a.value_ptr, out.value_ptr, out.grad_ptr,
                       ga, n, out.c0, out.c1, overwrite)
    return 0


defop(OP_ADD, "+", backward_elementwise_binary)
defop(OP_SUB, "-", backward_elementwise_binary)
defop(OP_MUL, "*", backward_elementwise_binary, B_IF_A | A_IF_B)
defop(OP_DIV, "/", backward_elementwise_binary, B_IF_A | A_IF_B | B_IF_B)
defop(OP_POW, "**", backward_elementwise_binary, A_IF_A | B_IF_A | A_IF_B | OUT_IF_B)
defop(OP_NEG, "neg", backward_elementwise_unary)
defop(OP_EXP, "exp", backward_elementwise_unary, OUT_IF_A)
defop(OP_LOG, "log", backward_elementwise_unary, A_IF_A)
defop(OP_LOG1P, "log1p", backward_elementwise_unary, A_IF_A)
defop(OP_SQRT, "sqrt", backward_elementwise_unary, OUT_IF_A)
defop(OP_ABS, "abs", backward_elementwise_unary, A_IF_A)
defop(OP_RELU, "ReLU", backward_elementwise_unary, A_IF_A)
defop(OP_TANH, "tanh", backward_elementwise_unary, OUT_IF_A)
defop(OP_SIGMOID, "sigmoid", backward_elementwise_unary, OUT_IF_A)
defop(OP_CLIP, "clip", backward_elementwise_unary, A_IF_A)


cdef tuple elementwise_op_names():
    cdef int op
    names = []
    for op in range(<int>OP_COUNT):
        if (OP_RULES[op] == backward_elementwise_binary
                or OP_RULES[op] == backward_elementwise_unary):
            names.append(OP_NAMES[op])
    return tuple(names)


# The `_op` names of the ops above, in code order: the pure backend's ELEMENTWISE_OPS
# must be the same list (a test compares them).
ELEMENTWISE_OPS = elementwise_op_names()


cdef object compare_op(MLArray a, object other, object test):
    """1.0 where test(a, other) holds, else 0.0, broadcast as arithmetic is: a constant
    (no graph node, no gradient) of the dtype arithmetic would give. The other operand
    is rounded to that dtype first, as NumPy 2 compares; nan compares false but in !=."""
    cdef Node b = array_operand(other)
    if b is None:
        return NotImplemented
    cdef bint single = result_single(a, b)
    broadcast_shape(a.shape, shape_of(b))        # arithmetic's shape error, if any
    numbers = np.float32 if single else np.float64
    with np.errstate(over="ignore"):             # 1e39 rounds to inf in float32, silently
        holds = test(array_view(a, False).astype(numbers, copy=False),
                     array_view(b, False).astype(numbers, copy=False))
    return MLArray(holds, requires_grad=False, dtype=_dtype.float32 if single else _dtype.float64)
