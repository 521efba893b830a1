# The backward driver (included by graph.pyx): the pure backend's `topological_order`
# and `backpropagate`, over C arrays of node pointers.


cdef struct NodeList:
    # A growable array of borrowed node pointers: the graph itself keeps every node
    # alive while backward runs, so the sort needs no reference counting.
    PyObject** items
    Py_ssize_t size
    Py_ssize_t capacity


cdef int node_list_push(NodeList* nodes, PyObject* node) except -1:
    cdef Py_ssize_t capacity
    cdef PyObject** grown
    if nodes.size == nodes.capacity:
        capacity = 2 * nodes.capacity if nodes.capacity else 1024
        grown = <PyObject**>PyMem_Realloc(nodes.items, capacity * sizeof(PyObject*))
        if grown == NULL:
            raise MemoryError(f"cannot grow the backward worklist to {capacity} nodes")
        nodes.items = grown
        nodes.capacity = capacity
    nodes.items[nodes.size] = node
    nodes.size += 1
    return 0


cdef int topological_order(Node root, NodeList* order) except -1:
    """Fill `order` with the nodes reachable from root, parents before children: an
    iterative depth-first post-order (no recursion, so a chain of any length works),
    parents visited in `_prev` order. A node is visited once per sort: its `mark`
    holds the number of the sort that last saw it. Each interior node's saved inputs
    are checked (check_saved) and its gradient zeroed as it is placed (backward
    recomputes it), while the node is in cache: a stale input is refused before any
    gradient is written."""
    global visit_epoch
    visit_epoch += 1
    cdef unsigned long epoch = visit_epoch
    cdef NodeList stack = NodeList(NULL, 0, 0)
    cdef Node node, parent
    cdef Py_ssize_t k
    try:
        root.mark = epoch
        root.next_parent = 0
        node_list_push(&stack, <PyObject*>root)
        while stack.size:
            node = <Node>stack.items[stack.size - 1]
            k = node.next_parent
            node.next_parent = k + 1
            if k == 0:
                parent = node.parent_a
            elif k == 1:
                parent = node.parent_b
            elif node.parents_more is not None and k - 2 < len(node.parents_more):
                parent = <Node>node.parents_more[k - 2]
            else:
                stack.size -= 1
                node_list_push(order, <PyObject*>node)
                if node.op != OP_LEAF and node.op != OP_ELEMENT:
                    if node.versioned and OP_SAVES[node.op] and node.requires_grad:
                        check_saved(node)
                    if type(node) is Value:
                        store(node.grad_ptr, node.single, 0.0)
                    else:
                        zero_grad(node)
                continue
            if parent is not None and parent.mark != epoch:
                parent.mark = epoch
                parent.next_parent = 0
                node_list_push(&stack, <PyObject*>parent)
    finally:
        PyMem_Free(stack.items)
    return 0


cdef int backpropagate(Node root) except -1:
    """root.grad += 1 everywhere, then the chain rule through the graph.

    Interior gradients are recomputed from zero on each call; leaves accumulate across
    calls until restart() or zero_grad(), as in SmolML."""
    cdef NodeList order = NodeList(NULL, 0, 0)
    cdef Node node
    cdef Py_ssize_t i
    try:
        topological_order(root, &order)
        grad_to_add(root)
        if root.requires_grad:      # a node that tracks nothing keeps grad 0, even as the root
            seed_grad(root)
        # The rules that call NumPy (matmul, transpose, index) follow IEEE silently like
        # the C kernels: a nan or inf gradient is a result, not a warning.
        with np.errstate(all="ignore"):
            for i in range(order.size - 1, -1, -1):
                node = <Node>order.items[i]
                if node.op != OP_LEAF and node.requires_grad:
                    if type(node) is MLArray:
                        grad_to_read(node)      # zeros if no rule wrote one
                    OP_RULES[node.op](node)
    finally:
        PyMem_Free(order.items)
    return 0


cdef void seed_grad(Node root) noexcept:
    """root.grad += 1 in every element."""
    cdef Py_ssize_t i
    for i in range(numel_of(root)):
        store(element_at(root.grad_ptr, root.single, i), root.single,
              load(element_at(root.grad_ptr, root.single, i), root.single) + 1.0)
