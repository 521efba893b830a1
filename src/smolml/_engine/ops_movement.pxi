# Movement and construction (included by graph.pyx): ops that move numbers without
# arithmetic, so their gradient moves back the same way.
#
#   op         value                          gradient            (pure: "copy", "astype")
#   transpose  axes permuted                  permuted back
#   reshape    same numbers, new shape        passed through
#   index      a basic-index selection        added into the selected elements
#   copy       MLArray(x): a new node         passed through
#   astype     converted to the other dtype   passed through, converted back
#   stack      MLArray of Values/MLArrays     each span to its parent
#   element    a handle on one element        none: it shares its array's buffers
#   user       Value(data, _children, _op)    the rule of the pure op table named _op

cdef MLArray astype_op(Node x, bint single):
    cdef MLArray out = new_array(shape_of(x), single)
    convert(single, out.value_ptr, x.single, x.value_ptr, out.numel)
    record(out, OP_ASTYPE, x)
    return out


cdef MLArray copy_op(Node a, tuple shape, int op):
    """Same numbers in a new node of `shape` (reshape, MLArray(x)): one memcpy."""
    cdef MLArray out = new_array(shape, a.single)
    if out.numel:
        memcpy(out.value_ptr, a.value_ptr, out.numel * itemsize(a.single))
    record(out, op, a)
    return out


cdef object array_view(Node a, bint of_grad):
    """The node's value (or grad) buffer as an ndarray of its shape; 0-d nodes copy."""
    if type(a) is MLArray and (<MLArray>a).value_array is not None:
        return (<MLArray>a).grad_array if of_grad else (<MLArray>a).value_array
    return np.array(load(a.grad_ptr if of_grad else a.value_ptr, a.single),
                    dtype=np.float32 if a.single else np.float64)


cdef tuple numpy_index(list plan):
    """An index plan of _shapes.index_plan as a NumPy basic index (ints and slices)."""
    items = []
    for entry in plan:
        if isinstance(entry, range):
            stop = entry.stop if entry.stop >= 0 else None
            items.append(slice(entry.start, stop, entry.step))
        else:
            items.append(entry)
    return tuple(items)


cdef int backward_transpose(Node node) except -1:
    cdef MLArray a = <MLArray>node.parent_a
    if not a.requires_grad:
        return 0
    if a.value_array is None:
        add_grad(a, grad_of(node))
    else:
        grad_to_add(a)
        a.grad_array += (<MLArray>node).grad_array.transpose(np.argsort(node.extra))
    return 0


cdef int backward_copy(Node node) except -1:
    """Reshape and copy: gradient passes through element for element."""
    cdef Node a = node.parent_a
    if not a.requires_grad:
        return 0
    add_into(node.single, grad_to_add(a), node.grad_ptr, numel_of(node))
    return 0


cdef int backward_astype(Node node) except -1:
    """A cast: the gradient passes through, converted to the source's dtype."""
    cdef Node a = node.parent_a
    if not a.requires_grad:
        return 0
    add_convert(a.single, grad_to_add(a), node.single, node.grad_ptr, numel_of(node))
    return 0


cdef int backward_index(Node node) except -1:
    cdef MLArray a = <MLArray>node.parent_a, out = <MLArray>node
    if not a.requires_grad:
        return 0
    if a.value_array is None:
        add_grad(a, grad_of(node))
        return 0
    grad_to_add(a)
    view = a.grad_array[node.extra]             # basic indexing: a view, no repeats
    if out.value_array is None:
        a.grad_array[node.extra] = view + grad_of(node)
    else:
        view += out.grad_array
    return 0


cdef int backward_stack(Node node) except -1:
    cdef Node p
    cdef Py_ssize_t offset, count
    for p, (offset, count) in zip(node.parents_more, node.extra):
        if p.requires_grad:
            add_convert(p.single, grad_to_add(p), node.single,
                        element_at(node.grad_ptr, node.single, offset), count)
    return 0


cdef int backward_nothing(Node node) except -1:
    # OP_ELEMENT: the handle's gradient IS its array's gradient buffer; nothing to move.
    return 0


cdef int user_node(Value node, tuple children, str op) except -1:
    """Make `node` a Value built by hand from `children` with the op named `op`, as
    SmolML's Value(data, _children, _op) allows: it backpropagates with the rule of that
    name in the pure backend's op table (value.OPS), the one table both backends
    document; a name that is not there fails at backward, on both backends alike."""
    _backend.check_children(children, Value, NAME)
    node.parents_more = children
    node.extra = op
    node.op = OP_USER
    return 0


cdef int backward_user(Node node) except -1:
    from smolml._pure.value import OPS
    cdef Node parent
    if node.extra not in OPS:
        return backward_missing(node)
    inputs = [value_of(<Node>parent) for parent in node.parents_more]
    grads = OPS[node.extra][1](grad_of(node), value_of(node), *inputs)
    for parent, grad in zip(node.parents_more, grads):
        if parent.requires_grad:
            add_grad(parent, grad)
    return 0


cdef MLArray element_view(MLArray array, Py_ssize_t i):
    """A 0-d MLArray that reads and writes element i of `array`'s buffers."""
    grad_to_add(array)
    cdef MLArray view = MLArray.__new__(MLArray)
    view.shape = ()
    view.numel = 1
    view.built = True
    view.single = array.single
    view.value_ptr = element_at(array.value_ptr, array.single, i)
    view.grad_ptr = element_at(array.grad_ptr, array.single, i)
    view.op = OP_ELEMENT
    view.grad_state = GRAD_WRITTEN  # the state that counts is the array's
    view.parent_a = array           # keeps the buffers alive; backward orders it after view
    view.requires_grad = array.requires_grad and grad_enabled()
    return view


cdef Value make_handle(MLArray array, Py_ssize_t i):
    """A Value that reads and writes element i of `array`'s buffers."""
    grad_to_add(array)
    cdef Value v = Value.__new__(Value)
    v.single = array.single
    v.value_ptr = element_at(array.value_ptr, array.single, i)
    v.grad_ptr = element_at(array.grad_ptr, array.single, i)
    v.op = OP_ELEMENT
    v.parent_a = array              # keeps the buffers alive; backward orders it after v
    v.requires_grad = array.requires_grad
    return v


defop(OP_TRANSPOSE, "transpose", backward_transpose)
defop(OP_RESHAPE, "reshape", backward_copy)
defop(OP_INDEX, "index", backward_index)
defop(OP_COPY, "copy", backward_copy)
defop(OP_ASTYPE, "astype", backward_astype)
defop(OP_STACK, "stack", backward_stack)
defop(OP_ELEMENT, "element", backward_nothing)
defop(OP_USER, "user", backward_user)
