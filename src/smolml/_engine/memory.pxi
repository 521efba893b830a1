# Memory: how nodes and their buffers are freed and reused (included by graph.pyx).
#
#   release_pending, Node.__dealloc__   freeing a long chain without deep C recursion
#   value_alloc, value_free             the region scalar Values live in
#   new_buffer, recycle                 the pool of large value and gradient buffers
#   itemsize, load, store, element_at   reading and writing one number of a buffer


# Freeing a node frees the parents it alone held. Done naively, a 1,000,000-link chain
# would recurse 1,000,000 deep in C; instead the first node freed drains a worklist and
# every node freed meanwhile only hands its parents to that list.
cdef list release_pending = []
cdef bint releasing = False


cdef inline int hand_over(object parent) except -1:
    # Two references: the field and this argument. Then the field's is the last one.
    if parent is not None and Py_REFCNT(parent) == 2:
        release_pending.append(parent)
    return 0


@cython.no_gc
cdef class Node:

    def __cinit__(self, *args, **kwargs):
        # before anything else can touch it, even Node.__new__(Node) from Python: a node
        # is a valid 0-d 0.0 from the start, so no field of it is ever read as NULL
        self.value_ptr = &self.inline_value
        self.grad_ptr = &self.inline_grad

    def __dealloc__(self):
        global releasing
        if self.parent_a is None and self.parent_b is None and self.parents_more is None:
            return
        if releasing:
            # An outer __dealloc__ is draining: hand over the parents we alone hold,
            # so that freeing them happens in its loop, not deeper in this C stack.
            hand_over(self.parent_a)
            self.parent_a = None
            hand_over(self.parent_b)
            self.parent_b = None
            hand_over(self.parents_more)
            self.parents_more = None
            return
        releasing = True
        try:
            self.parent_a = None
            self.parent_b = None
            self.parents_more = None
            while release_pending:
                release_pending.pop()
        finally:
            releasing = False


# ---------------------------------------------------------------- where Values live
#
# A micrograd-style step makes and frees tens of thousands of Values. From Python's
# small-object allocator each step's Values come from arenas that the previous step
# emptied and gave back to the OS, so every step faults that memory in again. Values
# get their own region instead: one block, reserved on first use (the OS maps its pages
# only when touched), whose slots are handed out in address order from a cursor that
# scans forward. Freed slots are reused, and a graph built again sits in memory in the
# order it is built, so backward walks it with few cache misses. Beyond VALUE_SLOTS
# live Values (or for a subclass), Python's allocator takes over.
DEF VALUE_SLOTS = 524288                    # about 63 MB of address space
cdef char* value_region = NULL
cdef unsigned char* value_used = NULL       # 1 where a slot holds a live Value
cdef Py_ssize_t value_size = 0              # bytes per Value
cdef Py_ssize_t value_high = 0              # slots ever handed out: [0, value_high)
cdef Py_ssize_t value_free_slots = 0        # free slots below value_high
cdef Py_ssize_t value_cursor = 0            # where the next scan starts
cdef TypeSlots* value_type = NULL


cdef PyObject* value_alloc(TypeSlots* t, Py_ssize_t nitems) noexcept:
    global value_high, value_free_slots, value_cursor
    cdef Py_ssize_t i
    cdef PyObject* obj
    if t != value_type or nitems != 0:
        return PyType_GenericAlloc(t, nitems)
    if value_free_slots > value_high // 16 or (value_high == VALUE_SLOTS and
                                               value_free_slots > VALUE_SLOTS // 1024):
        # enough holes that a scan is short: the first free slot from the cursor on
        i = value_cursor
        while value_used[i]:
            i += 1
            if i == value_high:
                i = 0
        value_free_slots -= 1
    elif value_high < VALUE_SLOTS:
        if value_region == NULL and not reserve_value_region():
            return PyType_GenericAlloc(t, nitems)
        i = value_high
        value_high += 1
    else:
        return PyType_GenericAlloc(t, nitems)
    value_used[i] = 1
    value_cursor = i + 1 if i + 1 < value_high else 0
    obj = <PyObject*>(value_region + i * value_size)
    memset(obj, 0, value_size)
    return PyObject_Init(obj, t)


cdef bint reserve_value_region() noexcept:
    global value_region, value_used
    # address space: the OS backs a page with memory only once a Value is put there
    value_region = <char*>malloc(VALUE_SLOTS * value_size)
    value_used = <unsigned char*>calloc(VALUE_SLOTS, 1)
    if value_region == NULL or value_used == NULL:
        free(value_region)
        free(value_used)
        value_region = NULL
        value_used = NULL
        return False
    return True


cdef void value_free(void* p) noexcept:
    global value_free_slots
    cdef char* at = <char*>p
    if value_region != NULL and value_region <= at < value_region + value_high * value_size:
        value_used[(at - value_region) // value_size] = 0
        value_free_slots += 1
    else:
        PyObject_Free(p)


def value_region_stats():
    """(live Values in the region, slots handed out so far, bytes reserved): for tests
    and for seeing what the allocator holds."""
    live = value_high - value_free_slots
    return live, value_high, VALUE_SLOTS * value_size if value_region != NULL else 0


# ---------------------------------------------------------------- reading numbers

cdef inline size_t itemsize(bint single) noexcept nogil:
    return sizeof(float) if single else sizeof(double)


cdef inline double load(const void* p, bint single) noexcept nogil:
    """The number at p, a float32 or a float64."""
    return (<const float*>p)[0] if single else (<const double*>p)[0]


cdef inline void store(void* p, bint single, double x) noexcept nogil:
    if single:
        (<float*>p)[0] = <float>x
    else:
        (<double*>p)[0] = x


cdef inline void* element_at(void* p, bint single, Py_ssize_t i) noexcept nogil:
    return <char*>p + i * itemsize(single)


cdef inline double value_of(Node node) noexcept:
    return load(node.value_ptr, node.single)


cdef inline double grad_of(Node node) noexcept:
    return load(node.grad_ptr, node.single)


# ---------------------------------------------------------------- making nodes

# Buffers of dead nodes, kept for the next node of the same shape: a training loop makes
# the same shapes every step, and a recycled buffer costs no page faults (a fresh large
# one is new memory from the OS, faulted in page by page). Only buffers of at least
# POOL_MIN_BYTES are kept, at most POOL_PER_SHAPE per shape (a deep network has a dozen
# activations and gradients of one shape) and POOL_MAX_BYTES in all.
DEF POOL_MIN_BYTES = 32768
DEF POOL_PER_SHAPE = 16
DEF POOL_MAX_BYTES = 268435456
cdef dict buffer_pool = {}
cdef Py_ssize_t pooled_bytes = 0


cdef int recycle(object buffer, Py_ssize_t nbytes, tuple shape, bint single) except -1:
    """Keep a dead node's buffer if nothing else refers to it and the pool has room."""
    global pooled_bytes
    cdef list free
    # two references: the node's field and this argument
    if buffer is None or nbytes < POOL_MIN_BYTES or Py_REFCNT(buffer) != 2:
        return 0
    if pooled_bytes + nbytes > POOL_MAX_BYTES:
        return 0
    free = buffer_pool.get((shape, single))
    if free is None:
        buffer_pool[(shape, single)] = [buffer]
    elif len(free) < POOL_PER_SHAPE:
        free.append(buffer)
    else:
        return 0
    pooled_bytes += nbytes
    return 0


def release_buffer_pool():
    """Drop the buffers kept for reuse; returns how many bytes that frees."""
    global pooled_bytes
    freed = pooled_bytes
    buffer_pool.clear()
    pooled_bytes = 0
    return freed


# Buffers above this size go through smolml._memory's preflight (its SMALL_BYTES): a
# MemoryError naming the shape, not an allocation the machine cannot back. Below it the
# check is this one compare.
DEF PREFLIGHT_MIN_BYTES = 16777216.0

cdef object new_buffer(tuple shape, bint zeroed, bint single):
    """A C-contiguous float64 (float32 if single) ndarray of `shape`: a recycled one when
    the pool has it,
    else made through NumPy's C API (a Python call to np.empty costs more than a small
    op's whole loop)."""
    global pooled_bytes
    cdef cnp.npy_intp dims[MAX_NDIM]
    cdef int ndim = len(shape), d
    cdef list free
    cdef cnp.ndarray buffer
    cdef int typenum = cnp.NPY_FLOAT if single else cnp.NPY_DOUBLE
    if buffer_pool:
        free = buffer_pool.get((shape, single))
        if free:
            buffer = free.pop()
            pooled_bytes -= cnp.PyArray_NBYTES(buffer)
            if zeroed:
                memset(cnp.PyArray_DATA(buffer), 0, cnp.PyArray_NBYTES(buffer))
            return buffer
    cdef double nbytes = 4.0 if single else 8.0     # a double: no overflow for any shape
    for dim in shape:
        nbytes *= <double>dim
    if nbytes > PREFLIGHT_MIN_BYTES:
        _memory.check_array(shape, 4 if single else 8)
    if ndim > MAX_NDIM:
        kind = np.float32 if single else np.float64
        return np.zeros(shape, kind) if zeroed else np.empty(shape, kind)
    for d in range(ndim):
        dims[d] = shape[d]
    if zeroed:
        return cnp.PyArray_ZEROS(ndim, dims, typenum, 0)
    return cnp.PyArray_EMPTY(ndim, dims, typenum, 0)


cdef int install_value_allocator() except -1:
    """Give Value its own allocator (see `value_alloc`), unless Python runs without the
    GIL: the allocator's bookkeeping relies on it."""
    global value_type, value_size
    import sys
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        return 0
    value_type = <TypeSlots*><void*>Value
    value_size = value_type.tp_basicsize
    value_type.tp_alloc = value_alloc
    value_type.tp_free = value_free
    return 0
