# A node's gradient buffer (included by graph.pyx): made on first use, zeroed lazily,
# and written by backward rules either by adding into it or by overwriting it whole.
#
# A plain Value's gradient is inline in the object, made with it. An MLArray's is in one
# of four states (its `grad_state`, GradState in graph.pxd):
#
#   GRAD_ABSENT    no buffer yet (grad_ptr is NULL): the gradient reads as zeros
#   GRAD_ZERO      a buffer holding zeros: nothing has been added to it since it was zeroed
#   GRAD_STALE     zeros in name only: zero_grad marked it, its memory is cleared when it
#                  is first read or added to, and never if a rule overwrites it whole
#   GRAD_WRITTEN   a buffer holding numbers some rule or the user put there
#
# An element handle (OP_ELEMENT) points into its array's buffer: the array's state is
# the one that counts, and the handle's own is always GRAD_WRITTEN.
#
# Backward rules use two entry points, the `parent.grad += ...` of the pure rules:
#
#   grad_to_add(node)         a buffer holding node's gradient, to add a contribution to
#   grad_to_overwrite(node)   a buffer to write node's whole gradient into, unread; only
#                             where grad_is_zero(node) (an activation's or a matmul
#                             operand's gradient, usually: no clearing, no reading)
#
# and grad_to_read(node) gives the gradient a rule reads (node's own, zeros if unset).

cdef inline void* grad_to_add(Node node) except NULL:
    if type(node) is Value and node.op != OP_ELEMENT:
        return node.grad_ptr
    return array_grad_to_add(node)


cdef void* array_grad_to_add(Node node) except NULL:
    cdef MLArray array
    if node.op == OP_ELEMENT:
        array_grad_to_add(<MLArray>node.parent_a)   # a handle adds into its array
        return node.grad_ptr
    if not isinstance(node, MLArray):
        return node.grad_ptr                        # a Python subclass of Value
    array = <MLArray>node
    if array.grad_state == GRAD_ABSENT:
        allocate_grad(array, True)
    elif array.grad_state == GRAD_STALE:
        memset(array.grad_ptr, 0, array.numel * itemsize(array.single))
    array.grad_state = GRAD_WRITTEN
    return array.grad_ptr


cdef inline bint grad_is_zero(Node node) noexcept:
    """True if node is an MLArray whose gradient nothing has been added to since it was
    zeroed (or made): a rule may then overwrite it instead of adding."""
    return type(node) is MLArray and (<MLArray>node).grad_state != GRAD_WRITTEN


cdef void* grad_to_overwrite(Node node) except NULL:
    """The buffer of an MLArray whose gradient is zero (grad_is_zero), to be written whole:
    a new buffer is not even cleared."""
    cdef MLArray array = <MLArray>node
    if array.grad_state == GRAD_ABSENT:
        allocate_grad(array, False)
    array.grad_state = GRAD_WRITTEN
    return array.grad_ptr


cdef void* grad_to_read(Node node) except NULL:
    """node's gradient for reading: cleared first if stale, zeros if it had none."""
    cdef MLArray array
    if node.op != OP_ELEMENT and not isinstance(node, MLArray):
        return node.grad_ptr                        # a Value's is inline
    array = <MLArray>(node.parent_a if node.op == OP_ELEMENT else node)
    if array.grad_state == GRAD_ABSENT:
        allocate_grad(array, True)
        array.grad_state = GRAD_ZERO
    elif array.grad_state == GRAD_STALE:
        memset(array.grad_ptr, 0, array.numel * itemsize(array.single))
        array.grad_state = GRAD_ZERO
    return node.grad_ptr


cdef int allocate_grad(MLArray array, bint zeroed) except -1:
    if array.value_array is None:       # 0-d: inline, as a Value's
        array.inline_grad = 0.0
        array.grad_ptr = &array.inline_grad
    else:
        array.grad_array = new_buffer(array.shape, zeroed, array.single)
        array.grad_ptr = cnp.PyArray_DATA(array.grad_array)
    return 0


cdef int zero_grad(Node node) except -1:
    """Make the gradient zero. An array's buffer is only marked stale (see above); an
    array with no buffer already reads as zeros and stays so until a rule writes (the
    interior nodes of a new graph, in the sort before backward)."""
    if type(node) is MLArray and node.op != OP_ELEMENT:
        if (<MLArray>node).grad_array is not None:
            (<MLArray>node).grad_state = GRAD_STALE
            return 0
        if node.grad_ptr == NULL:
            return 0
        (<MLArray>node).grad_state = GRAD_ZERO
    memset(node.grad_ptr, 0, numel_of(node) * itemsize(node.single))
    return 0


cdef inline int add_grad(Node node, double g) except -1:
    """node.grad += g for a 0-d node (the sum rounded to its dtype)."""
    cdef void* grad = grad_to_add(node)
    store(grad, node.single, load(grad, node.single) + g)
    return 0
