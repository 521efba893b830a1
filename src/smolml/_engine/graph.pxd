# The engine's graph node: one node per Value or MLArray operation.
#
# A node holds its value and gradient in contiguous buffers of float64 or, for a float32
# MLArray, float32. A 0-d node (every scalar Value) keeps both inline in the object, so
# a scalar costs one allocation and no NumPy array. An N-d node keeps them in
# C-contiguous NumPy arrays, so matmul can hand them to BLAS without copying. Nodes point
# only to their parents, never back: graphs hold no reference cycles and are freed by
# reference counting.

cdef enum GradState:
    # What an MLArray's gradient buffer holds (grad_buffers.pxi).
    GRAD_ABSENT = 0             # no buffer yet (grad_ptr NULL): the gradient reads as zeros
    GRAD_ZERO                   # a buffer of zeros, nothing added since
    GRAD_STALE                  # zeros in name only: cleared when first read or added to
    GRAD_WRITTEN                # numbers that a rule or the user put there


cdef class Node:
    # Object fields first: they are what freeing a node touches.
    cdef Node parent_a          # first input, or None (a leaf; the number folded into c0)
    cdef Node parent_b          # second input of a binary op, or None
    cdef tuple parents_more     # the inputs of OP_STACK and OP_USER; OP_LINEAR's bias
    cdef object extra           # what the op's rule or `_prev` needs besides the inputs:
                                #   sum, mean: (outer, n, inner) of the reduced axis
                                #   max, min: ndarray of the selected elements' offsets
                                #   transpose: the axis order (tuple)
                                #   index: the NumPy basic index (tuple)
                                #   stack: (offset, count) of each input (list)
                                #   user: the `_op` name (str)
                                #   a number folded into c0: its Value in `_prev`, once made
    cdef void* value_ptr        # the node's numbers: &inline_value or an ndarray's data
    cdef void* grad_ptr         # d(output)/d(node), same layout; NULL until first needed
    cdef double inline_value    # storage of a 0-d node (a float32 one uses its first 4 bytes)
    cdef double inline_grad     # storage of a 0-d node's gradient
    cdef double c0              # op constant: the number folded into a scalar op,
                                # the scale of sum (1) and mean (1/n), clip's lower bound
    cdef unsigned long mark     # last topological sort that visited this node
    cdef Py_ssize_t next_parent # iterative DFS cursor
    cdef unsigned int saved_a   # parent_a's version when this node was made (version_of)
    cdef unsigned int saved_b   # parent_b's version when this node was made
    cdef readonly bint requires_grad  # gradient wanted: a tracked leaf lies upstream
    cdef unsigned char op       # an Op code (ops.pxd): selects the backward rule in the op table
    cdef unsigned char constant_side  # scalar binary op with a number operand: 1 if it is a, 2 if b
    cdef unsigned char single   # 1 if the buffers hold float32 (a float32 MLArray or its handle)
    cdef unsigned char versioned  # 1 if saved_a/saved_b or the node's own version mean
                                # something: an MLArray is involved (plain Values count no
                                # versions, so the sort skips their check)
                                # (the small fields keep a Value at 120 bytes)


cdef class Value(Node):
    # A scalar: every Node field it needs is in Node, so a Value is as small as a node gets.
    pass


cdef class MLArray(Node):
    cdef readonly tuple shape   # the shape, () for 0-d
    cdef Py_ssize_t numel       # number of elements
    cdef object value_array     # ndarray owning value_ptr (N-d arrays), else None
    cdef object grad_array      # ndarray owning grad_ptr (N-d arrays), else None
    cdef double c1              # clip's upper bound
    cdef int grad_state         # a GradState: what grad_ptr holds (grad_buffers.pxi)
    cdef unsigned int version   # in-place changes of its numbers so far (an element view
                                # counts in its array's field: views share the count)
    cdef bint built             # shape and buffers set (by __init__ or an op): they stay so,
                                # since handles and gradients point into them
