# Matrix products (included by graph.pyx), made by BLAS through NumPy.
#
#   op       value              d/da            d/db            (pure: "dot" per element)
#   matmul   C = A @ B          G @ Bᵀ          Aᵀ @ G
#   linear   C = A @ B + bias   G @ Bᵀ          Aᵀ @ G          d/dbias: G summed over
#                                                               the broadcast axes
# G is the gradient of C. Batch axes broadcast as NumPy's matmul; a 1-D operand is a
# row (left) or a column (right).

cdef MLArray matmul_op(Node a, Node b):
    # matmul_shapes rejects 0-d operands, so both are N-d MLArrays past this line
    batch, n, k, m, out_shape = _shapes.matmul_shapes(shape_of(a), shape_of(b))
    cdef bint single = result_single(a, b)
    a = as_dtype(a, single)
    b = as_dtype(b, single)
    cdef MLArray out = new_array(out_shape, single)
    A = (<MLArray>a).value_array
    B = (<MLArray>b).value_array
    if len(out_shape) == 0:
        store(out.value_ptr, single, np.dot(A, B))
    elif len(a.shape) <= 2 and len(b.shape) <= 2:
        # dot through the C API is matmul for these shapes, with less call overhead
        PyArray_MatrixProduct2(A, B, <cnp.PyArrayObject*>out.value_array)
    else:
        np.matmul(A, B, out=out.value_array)
    record(out, OP_MATMUL, a, b)
    return out


cdef object add_bias(MLArray product, Node bias):
    """product + bias, where product is a matmul result nobody else refers to (a
    temporary of `x @ W + b`): the bias is added into product's own buffer and the node
    becomes OP_LINEAR, one node instead of two (no second buffer, no second gradient).
    None when that does not apply; the caller then makes an ordinary sum."""
    cdef Broadcast bc
    # held by the interpreter alone, as the temporary it passes as an operand
    if product.op != OP_MATMUL or not is_unique_temporary(product) or not grad_enabled():
        return None
    if type(bias) is not MLArray or bias.single != product.single or product.grad_ptr != NULL:
        return None
    shape_b = (<MLArray>bias).shape
    if shape_b != product.shape and broadcast_shape(product.shape, shape_b) != product.shape:
        return None
    setup_broadcast(&bc, product.shape, product.shape, shape_b)
    binary_forward(OP_ADD, product.single, product.value_ptr, bias.value_ptr,
                   product.value_ptr, &bc)
    product.op = OP_LINEAR
    product.parents_more = (bias,)
    return product


cdef object sum_to_shape(object g, tuple shape):
    """Sum a broadcast gradient down to `shape` (leading axes, then axes of size 1)."""
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, dim in enumerate(shape) if dim == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


cdef int backward_matmul(Node node) except -1:
    cdef MLArray a = <MLArray>node.parent_a, b = <MLArray>node.parent_b
    A = a.value_array
    B = b.value_array
    G = array_view(node, True)
    if len(a.shape) == 2 and len(b.shape) == 2:
        if a.requires_grad:
            add_product(a, G, B.T)
        if b.requires_grad:
            add_product(b, A.T, G)
        return 0
    # General case: promote 1-D operands to matrices, as matmul does, then reduce the
    # broadcast batch axes back to each operand's shape.
    A2 = A.reshape(1, -1) if A.ndim == 1 else A
    B2 = B.reshape(-1, 1) if B.ndim == 1 else B
    batch = _shapes.broadcast_shapes(A2.shape[:-2], B2.shape[:-2])
    G2 = G.reshape(batch + (A2.shape[-2], B2.shape[-1]))
    if a.requires_grad:
        grad_to_add(a)
        contribution = sum_to_shape(G2 @ np.swapaxes(B2, -1, -2), A2.shape)
        a.grad_array += contribution.reshape(A.shape)
    if b.requires_grad:
        grad_to_add(b)
        contribution = sum_to_shape(np.swapaxes(A2, -1, -2) @ G2, B2.shape)
        b.grad_array += contribution.reshape(B.shape)
    return 0


cdef int backward_linear(Node node) except -1:
    """a @ b + bias: the bias gets the gradient summed over the axes it was broadcast
    along, then the matmul rule runs with the same gradient."""
    cdef Node bias = <Node>node.parents_more[0]
    cdef Broadcast bc
    if bias.requires_grad:
        setup_broadcast(&bc, (<MLArray>node).shape, (<MLArray>node).shape, shape_of(bias))
        binary_backward(OP_ADD, node.single, node.value_ptr, bias.value_ptr, node.value_ptr,
                        node.grad_ptr, NULL, grad_to_add(bias), &bc)
    return backward_matmul(node)


cdef int add_product(MLArray target, object left, object right) except -1:
    """target.grad += left @ right (2-D), the product made by BLAS through NumPy. Into a
    gradient that is still zero the product is written directly, with no temporary."""
    if grad_is_zero(target):
        grad_to_overwrite(target)
        PyArray_MatrixProduct2(left, right, <cnp.PyArrayObject*>target.grad_array)
        return 0
    product = PyArray_MatrixProduct2(left, right, NULL)
    add_into(target.single, grad_to_add(target), cnp.PyArray_DATA(product), target.numel)
    return 0


defop(OP_MATMUL, "matmul", backward_matmul, B_IF_A | A_IF_B)
defop(OP_LINEAR, "linear", backward_linear, B_IF_A | A_IF_B)
