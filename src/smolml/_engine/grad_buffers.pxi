# A node's gradient buffer (included by graph.pyx): made on first use, zeroed lazily,
# and written by backward rules either by adding into it or by overwriting it whole.

cdef inline int ensure_grad(Node node) except -1:
    """Allocate the node's gradient buffer (zeros) on first use. Every write into a
    gradient follows a call to this, so it also marks the buffer as no longer clean."""
    if type(node) is Value and node.op != OP_ELEMENT:
        return 0                # a plain Value's gradient is inline, made with it
    return ensure_array_grad(node)


cdef int ensure_array_grad(Node node) except -1:
    cdef MLArray array
    if node.op == OP_ELEMENT:
        materialize(<MLArray>node.parent_a)
        (<MLArray>node.parent_a).grad_clean = False     # a handle writes into its array
    if node.grad_ptr != NULL:
        if type(node) is MLArray:
            materialize(<MLArray>node)
            (<MLArray>node).grad_clean = False
        return 0
    if type(node) is Value or (<MLArray>node).value_array is None:
        node.inline_grad = 0.0
        node.grad_ptr = &node.inline_grad
    else:
        array = <MLArray>node
        array.grad_array = new_buffer(array.shape, True, node.single)
        node.grad_ptr = cnp.PyArray_DATA(array.grad_array)
    return 0


cdef inline bint grad_is_clean(MLArray node) noexcept:
    """True if node's gradient is all zeros (or not made yet): a rule may then write its
    contribution straight into the buffer instead of adding it."""
    return node.grad_ptr == NULL or node.grad_clean


cdef int zero_grad(Node node) except -1:
    """Make the gradient zero. An array's buffer is only marked (stale): it is cleared
    when someone first reads or adds to it, and never if a rule overwrites it whole. An
    array with no buffer yet already reads as zeros: it stays so, clean, until a rule
    writes (the interior nodes of a new graph, in the sort before backward)."""
    if node.grad_ptr == NULL:
        return 0 if type(node) is MLArray else ensure_grad(node)
    if type(node) is MLArray and (<MLArray>node).grad_array is not None:
        (<MLArray>node).grad_clean = True
        (<MLArray>node).grad_stale = True
        return 0
    memset(node.grad_ptr, 0, numel_of(node) * itemsize(node.single))
    return 0


cdef inline void materialize(MLArray node) noexcept:
    """Clear a stale gradient buffer (see zero_grad) before it is read or added to."""
    if node.grad_stale:
        memset(node.grad_ptr, 0, node.numel * itemsize(node.single))
        node.grad_stale = False


cdef int prepare_overwrite(MLArray node) except -1:
    """Ready node's all-zero gradient to be overwritten whole (by a matmul or an
    elementwise rule): no clearing needed (a new buffer is not even zeroed), and no
    longer clean afterwards."""
    if node.grad_ptr == NULL:
        if node.value_array is None:
            ensure_grad(node)           # a 0-d array's inline gradient
        else:
            node.grad_array = new_buffer(node.shape, False, node.single)
            node.grad_ptr = cnp.PyArray_DATA(node.grad_array)
    node.grad_stale = False
    node.grad_clean = False
    return 0
