# Making nodes and recording them in the graph (included by graph.pyx): what the pure
# backend's `apply_op` does (a result links to its parents only if grad mode is on and
# one of them requires a gradient), and the op table every family piece registers in.
#
#   broadcast_memo, reduced_memo         the answers of smolml._shapes, remembered
#   new_value, new_array                 a node of the right kind and shape
#   record, record_constant, record_many link a result to one, two, a number, n parents
#   array_operand, result_single, as_dtype   operands of array ops and their dtype
#   prev_of                              a node's inputs as SmolML's `_prev`
#   OP_RULES, OP_NAMES, defop            the op table: code -> backward rule, `_op` name

cdef inline tuple shape_of(Node node):
    return (<MLArray>node).shape if isinstance(node, MLArray) else ()


cdef inline Py_ssize_t numel_of(Node node) noexcept:
    return (<MLArray>node).numel if isinstance(node, MLArray) else 1


# The shape rules are smolml._shapes', shared with the pure backend. A training loop asks
# them the same few questions every step, so the engine remembers the answers (up to
# SHAPE_MEMO_MAX of each kind; then it forgets them all and starts again).
DEF SHAPE_MEMO_MAX = 4096
cdef dict broadcast_memo = {}      # (shape_a, shape_b) -> broadcast shape
cdef dict reduced_memo = {}        # (shape, axis, keepdims) -> shape of the reduction


cdef object remember(dict memo, object key, object answer):
    if len(memo) >= SHAPE_MEMO_MAX:
        memo.clear()
    memo[key] = answer
    return answer


cdef inline Value new_value(double x):
    cdef Value v = Value.__new__(Value)
    v.inline_value = x
    return v


cdef MLArray new_array(tuple shape, bint single):
    """An MLArray node of `shape` with an uninitialized value buffer (float32 if single)."""
    cdef MLArray a = MLArray.__new__(MLArray)
    cdef Py_ssize_t size = 1, dim
    for dim in shape:
        size *= dim
    a.shape = shape
    a.numel = size
    a.single = single
    a.built = True
    if len(shape) == 0:
        a.value_ptr = &a.inline_value
    else:
        a.value_array = new_buffer(shape, False, single)
        a.value_ptr = cnp.PyArray_DATA(a.value_array)
    return a


cdef inline unsigned int version_of(Node node) noexcept:
    """How many in-place changes node's numbers have had: an MLArray's count, its array's
    for an element view; 0 for a Value (its numbers are SmolML's `.data`, as PyTorch's
    `.data` is: writing them is not counted)."""
    if type(node) is MLArray:                       # the common case first: no isinstance
        return (<MLArray>node).version
    if type(node) is Value and node.op != OP_ELEMENT:
        return 0
    if node.op == OP_ELEMENT:
        node = node.parent_a
    return (<MLArray>node).version if isinstance(node, MLArray) else 0


cdef inline void bump_version(Node node) noexcept:
    """node's numbers were changed in place (`+=` under no_grad, `[...] =`, update_values)."""
    if node.op == OP_ELEMENT:
        node = node.parent_a
    if isinstance(node, MLArray):
        (<MLArray>node).version += 1


cdef inline bint counts_versions(Node node) noexcept:
    """Whether node's numbers have a version: anything but a plain Value (an MLArray, a
    handle onto one, a Python subclass of Value, which version_of answers for)."""
    return type(node) is not Value or node.op == OP_ELEMENT


cdef inline void record(Node out, int op, Node a, Node b=None) noexcept:
    """Link `out` to its inputs if grad mode is on and one of them wants a gradient;
    otherwise `out` stays a leaf that tracks nothing. The inputs' versions are kept, for
    backward to check that the numbers its rule reads are still those of the forward."""
    if (a.requires_grad or (b is not None and b.requires_grad)) and grad_enabled():
        out.requires_grad = True
        out.op = op
        out.parent_a = a
        out.parent_b = b
        if (type(out) is not Value or counts_versions(a)
                or (b is not None and counts_versions(b))):
            out.versioned = 1
            out.saved_a = version_of(a)
            if b is not None:
                out.saved_b = version_of(b)


cdef inline void record_constant(Node out, int op, Node x, double number,
                            int side) noexcept:
    """A scalar binary op with a Python number: the number is folded into c0 instead of
    becoming a node (`side` 1: it is the left operand, 2: the right one)."""
    if x.requires_grad and grad_enabled():
        out.requires_grad = True
        out.op = op
        out.constant_side = side
        out.c0 = number
        if type(out) is not Value or counts_versions(x):
            out.versioned = 1
        if side == 1:
            out.parent_b = x
            if out.versioned:
                out.saved_b = version_of(x)
        else:
            out.parent_a = x
            if out.versioned:
                out.saved_a = version_of(x)


cdef inline int record_many(Node out, int op, tuple parents) except -1:
    cdef Node p
    if grad_enabled():
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out.op = op
                out.parents_more = parents
                return 0
    return 0


cdef inline bint is_real(object x) except -1:
    cdef type t = type(x)
    if t is float or t is int:
        return True
    return _shapes.is_number(x)


cdef inline object reject_other_backend(object x):
    _backend.reject_other_backend(x, NAME)


cdef Node array_operand(object other):
    """A Node for the other operand of an MLArray op, or None if it is not array-like."""
    if isinstance(other, Node):
        return <Node>other
    if is_real(other):
        return new_value(float(other))
    reject_other_backend(other)
    if isinstance(other, (list, tuple)) or hasattr(other, "__array_interface__"):
        return MLArray(other, requires_grad=False)
    return None


cdef inline bint result_single(Node a, Node b) noexcept:
    """Type promotion: float32 only if every MLArray operand is float32. Scalar Values
    (and the numbers made into them) are weak: they take the array's dtype."""
    cdef bint strong_a = type(a) is MLArray, strong_b = type(b) is MLArray
    if strong_a and strong_b:
        return a.single and b.single
    if strong_a:
        return a.single
    if strong_b:
        return b.single
    return False


cdef Node as_dtype(Node x, bint single):
    """x itself if its buffers hold the dtype asked for, else a graph-connected cast."""
    if x.single == single:
        return x
    return astype_op(x, single)


cdef tuple prev_of(Node node):
    """The node's inputs as SmolML's `_prev` tuple. A folded number shows as a Value that
    tracks nothing, made on first access and kept in `extra`, so it is the same object
    each time (as the pure backend's constant operand is)."""
    if node.op == OP_LINEAR:
        return (node.parent_a, node.parent_b) + node.parents_more
    if node.parents_more is not None:
        return node.parents_more
    if node.constant_side and node.extra is None:
        node.extra = constant(node.c0)
    if node.constant_side == 1:
        return (node.extra, node.parent_b)
    if node.constant_side == 2:
        return (node.parent_a, node.extra)
    if node.parent_b is not None:
        return (node.parent_a, node.parent_b)
    if node.parent_a is not None:
        return (node.parent_a,)
    return ()


cdef inline void cut_history(Node node) noexcept:
    """Make node a leaf: no parents, no op (restart(), Value.__init__ run again)."""
    node.parent_a = None
    node.parent_b = None
    node.parents_more = None
    node.constant_side = 0
    node.op = OP_LEAF
    node.extra = None


cdef Value constant(double x):
    cdef Value v = new_value(x)
    v.requires_grad = False
    return v


# The op table: one row per op code (ops.pxd), its name (`_op`), its backward rule,
# which adds the node's gradient times its partials into its parents' gradients, and
# which numbers that rule reads for each input's gradient (Saves: an input's, the other
# input's, the node's own), which backward checks are unchanged since the forward
# (check_saved). Each
# family piece (ops_*.pxi) registers its rows with defop beside its forward and
# backward functions, as the pure backend registers its rows in OPS and SAVES.
ctypedef int (*BackwardRule)(Node node) except -1
cdef BackwardRule OP_RULES[OP_COUNT]
cdef unsigned char OP_SAVES[OP_COUNT]
OP_NAMES = [""] * OP_COUNT

cdef enum Saves:
    # the numbers a rule reads to make the gradient of its first input (a), of its second (b)
    A_IF_A = 1
    B_IF_A = 2
    OUT_IF_A = 4
    A_IF_B = 8
    B_IF_B = 16
    OUT_IF_B = 32


cdef int defop(int op, str name, BackwardRule rule, int saves=0) except -1:
    OP_RULES[op] = rule
    OP_NAMES[op] = name
    OP_SAVES[op] = saves
    return 0


cdef int check_saved(Node node) except -1:
    """RuntimeError, as PyTorch's, if a number that node's rule will read (for the
    gradients its inputs want) was changed in place after node was made: one integer
    compare per saved input."""
    cdef int saves = OP_SAVES[node.op]
    cdef Node a = node.parent_a, b = node.parent_b
    cdef bint wants_a = a is not None and a.requires_grad
    cdef bint wants_b = b is not None and b.requires_grad
    if a is not None and ((wants_a and saves & A_IF_A) or (wants_b and saves & A_IF_B)):
        if version_of(a) != node.saved_a:
            return stale_input(node, a, node.saved_a)
    if b is not None and ((wants_a and saves & B_IF_A) or (wants_b and saves & B_IF_B)):
        if version_of(b) != node.saved_b:
            return stale_input(node, b, node.saved_b)
    if (wants_a and saves & OUT_IF_A) or (wants_b and saves & OUT_IF_B):
        if version_of(node) != 0:
            return stale_input(node, node, 0)
    return 0


cdef int stale_input(Node node, Node changed, unsigned int expected) except -1:
    what = "output" if changed is node else "input"
    raise RuntimeError(
        f"one of the arrays needed for gradient computation has been modified by an "
        f"in-place operation: {prev_op_name(node)} {what} of shape {shape_of(changed)} is "
        f"at version {version_of(changed)}; expected version {expected}")


cdef int backward_missing(Node node) except -1:
    raise NotImplementedError(f"no backward rule for the op {prev_op_name(node)!r}")


cdef str prev_op_name(Node node):
    return node.extra if isinstance(node.extra, str) else OP_NAMES[node.op]


defop(OP_LEAF, "", backward_missing)
