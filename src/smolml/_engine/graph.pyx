# cython: language_level=3, cdivision=True
"""The engine: smolml's autograd graph in C.

Every Value and MLArray is a Node (graph.pxd): its numbers live in contiguous float64
(or float32) buffers, and the op that made it is a small integer code. Backward is an iterative
topological sort from the output followed by each node's rule from OP_TABLE, in
reverse order, accumulating into the parents' gradient buffers.

The structure mirrors the pure backend name for name: what smolml._pure does per
element with Python floats, this module does per array with C loops.
"""
cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from libc.stdlib cimport calloc, free, malloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_REFCNT
from libc.string cimport memcpy, memset
from libc.math cimport INFINITY

cimport numpy as cnp
import numpy as np

from smolml._engine.kernels cimport (
    Broadcast, MAX_NDIM, binary_value, binary_partials, unary_value, unary_partial,
    binary_forward, binary_backward, unary_forward, unary_backward,
    sum_forward, sum_backward, argextreme_forward, argextreme_backward, add_into, fill,
    convert, add_convert)

from smolml import _dtype, _shapes
from smolml._random import rng

cnp.import_array()

cdef extern from "Python.h":
    # The two slots of a type object that the Value allocator below takes over.
    ctypedef struct TypeSlots "PyTypeObject":
        PyObject* (*tp_alloc)(TypeSlots*, Py_ssize_t) noexcept
        void (*tp_free)(void*) noexcept
        Py_ssize_t tp_basicsize
    PyObject* PyType_GenericAlloc(TypeSlots* type, Py_ssize_t nitems) noexcept
    PyObject* PyObject_Init(PyObject* op, TypeSlots* type) noexcept
    void PyObject_Free(void* p) noexcept

cdef extern from "numpy/arrayobject.h":
    # np.dot in C: BLAS for float64 and float32 operands, without a Python-level call.
    object PyArray_MatrixProduct2(object a, object b, cnp.PyArrayObject* out)

NAME = "engine"
MIX_MESSAGE = "cannot mix objects of the 'engine' and 'pure' backends in one expression"

# Above this many elements a kernel releases the GIL; below it the release costs more
# than the loop.
DEF NOGIL_MIN = 32768

cdef bint grad_enabled = True
cdef unsigned long visit_epoch = 0


def set_grad_enabled(flag):
    """Turn graph recording on or off; returns the previous setting."""
    global grad_enabled
    previous = grad_enabled
    grad_enabled = bool(flag)
    return previous


def is_grad_enabled():
    return grad_enabled


# ================================================================ the node

# Freeing a node frees the parents it alone held. Done naively, a 1,000,000-link chain
# would recurse 1,000,000 deep in C; instead the first node freed drains a worklist and
# every node freed meanwhile only hands its parents to that list.
cdef list release_pending = []
cdef bint releasing = False


cdef inline void hand_over(object parent):
    # Two references: the field and this argument. Then the field's is the last one.
    if parent is not None and Py_REFCNT(parent) == 2:
        release_pending.append(parent)


@cython.no_gc
cdef class Node:

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


cdef inline tuple shape_of(Node node):
    return () if type(node) is Value else (<MLArray>node).shape


cdef inline Py_ssize_t numel_of(Node node):
    return 1 if type(node) is Value else (<MLArray>node).numel


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


cdef inline void add_grad(Node node, double g) noexcept:
    """node.grad[0] += g for a 0-d node (the sum rounded to its dtype)."""
    store(node.grad_ptr, node.single, load(node.grad_ptr, node.single) + g)


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


cdef void recycle(object buffer, Py_ssize_t nbytes, tuple shape, bint single):
    """Keep a dead node's buffer if nothing else refers to it and the pool has room."""
    global pooled_bytes
    cdef list free
    # two references: the node's field and this argument
    if buffer is None or nbytes < POOL_MIN_BYTES or Py_REFCNT(buffer) != 2:
        return
    if pooled_bytes + nbytes > POOL_MAX_BYTES:
        return
    free = buffer_pool.get((shape, single))
    if free is None:
        buffer_pool[(shape, single)] = [buffer]
    elif len(free) < POOL_PER_SHAPE:
        free.append(buffer)
    else:
        return
    pooled_bytes += nbytes


def release_buffer_pool():
    """Drop the buffers kept for reuse; returns how many bytes that frees."""
    global pooled_bytes
    freed = pooled_bytes
    buffer_pool.clear()
    pooled_bytes = 0
    return freed


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
    if ndim > MAX_NDIM:
        kind = np.float32 if single else np.float64
        return np.zeros(shape, kind) if zeroed else np.empty(shape, kind)
    for d in range(ndim):
        dims[d] = shape[d]
    if zeroed:
        return cnp.PyArray_ZEROS(ndim, dims, typenum, 0)
    return cnp.PyArray_EMPTY(ndim, dims, typenum, 0)


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
    if len(shape) == 0:
        a.value_ptr = &a.inline_value
    else:
        a.value_array = new_buffer(shape, False, single)
        a.value_ptr = cnp.PyArray_DATA(a.value_array)
    return a


cdef inline void record(Node out, int op, Node a, Node b=None):
    """Link `out` to its inputs if grad mode is on and one of them wants a gradient;
    otherwise `out` stays a leaf that tracks nothing."""
    if grad_enabled and (a.requires_grad or (b is not None and b.requires_grad)):
        out.requires_grad = True
        out.op = op
        out.parent_a = a
        out.parent_b = b


cdef inline void record_constant(Node out, int op, Node x, double number, int side):
    """A scalar binary op with a Python number: the number is folded into c0 instead of
    becoming a node (`side` 1: it is the left operand, 2: the right one)."""
    if grad_enabled and x.requires_grad:
        out.requires_grad = True
        out.op = op
        out.constant_side = side
        out.c0 = number
        if side == 1:
            out.parent_b = x
        else:
            out.parent_a = x


cdef inline void record_many(Node out, int op, tuple parents):
    cdef Node p
    if grad_enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out.op = op
                out.parents_more = parents
                return


cdef inline bint is_real(object x):
    cdef type t = type(x)
    if t is float or t is int:
        return True
    return _shapes.is_number(x)


cdef inline object reject_other_backend(object x):
    if getattr(type(x), "_smolml_backend", None) is not None:
        raise TypeError(MIX_MESSAGE)


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


# ================================================================ forward ops

cdef tuple broadcast_shape(tuple shape_a, tuple shape_b):
    """NumPy's broadcast of two shapes; the error (and its message) comes from _shapes."""
    cdef Py_ssize_t na = len(shape_a), nb = len(shape_b), ndim = max(na, nb), i
    cdef Py_ssize_t da, db
    out = [None] * ndim
    for i in range(ndim):
        da = <Py_ssize_t>shape_a[na - ndim + i] if na - ndim + i >= 0 else 1
        db = <Py_ssize_t>shape_b[nb - ndim + i] if nb - ndim + i >= 0 else 1
        if da == db or db == 1:
            out[i] = da
        elif da == 1:
            out[i] = db
        else:
            return _shapes.broadcast_shapes(shape_a, shape_b)
    return tuple(out)


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


cdef inline bint result_single(Node a, Node b):
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


cdef MLArray astype_op(Node x, bint single):
    cdef MLArray out = new_array(shape_of(x), single)
    convert(single, out.value_ptr, x.single, x.value_ptr, out.numel)
    record(out, OP_ASTYPE, x)
    return out


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
    shape (the result rounded to self's dtype); otherwise self <op> other, a new node."""
    cdef Broadcast bc
    cdef Node b = array_operand(other)
    cdef Node result
    if b is None:
        return NotImplemented
    if grad_enabled:
        return binary_op(op, self, b, False)
    shape_b = shape_of(b)
    if shape_b != self.shape and broadcast_shape(self.shape, shape_b) != self.shape:
        return binary_op(op, self, b, False)
    if type(b) is MLArray and b.single != self.single and self.single:
        # float32 -= float64: computed in float64, then rounded into self (NumPy's rule)
        result = binary_op(op, self, b, False)
        convert(True, self.value_ptr, False, result.value_ptr, self.numel)
        return self
    if len(shape_b) == 0:
        b = new_value(value_of(b))      # a 0-d operand may alias one of self's elements
    b = as_dtype(b, self.single)
    setup_broadcast(&bc, self.shape, self.shape, shape_b)
    binary_forward(op, self.single, self.value_ptr, b.value_ptr, self.value_ptr, &bc)
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


cdef tuple reduction_geometry(tuple shape, object axis):
    """(outer, n, inner) of the reduced axis, or of the whole array when axis is None."""
    cdef Py_ssize_t outer = 1, inner = 1, n, i
    if axis is None:
        n = 1
        for i in range(len(shape)):
            n *= <Py_ssize_t>shape[i]
        return 1, n, 1
    for i in range(axis):
        outer *= <Py_ssize_t>shape[i]
    for i in range(axis + 1, len(shape)):
        inner *= <Py_ssize_t>shape[i]
    return outer, shape[axis], inner


cdef MLArray reduce_op(int op, MLArray a, object axis, bint keepdims):
    cdef Py_ssize_t outer, n, inner
    cdef MLArray out
    cdef cnp.ndarray where
    cdef Py_ssize_t* where_ptr
    cdef void* x = a.value_ptr
    cdef void* y
    cdef double scale
    cdef bint want_max = op == OP_MAX
    cdef bint single = a.single
    cdef int ndim = len(a.shape)
    if axis is not None:
        if type(axis) is int and -ndim <= <long>axis < ndim:
            axis = <long>axis + ndim if <long>axis < 0 else axis   # the common case, no call
        else:
            axis = _shapes.normalize_axis(axis, ndim)      # raises with the shared message
    outer, n, inner = reduction_geometry(a.shape, axis)
    if (op == OP_MAX or op == OP_MIN) and n == 0:
        _shapes.check_reducible(a.shape, axis, "max" if op == OP_MAX else "min")
    if axis is None:
        out_shape = (1,) * ndim if keepdims else ()
    elif keepdims:
        out_shape = a.shape[:axis] + (1,) + a.shape[axis + 1:]
    else:
        out_shape = a.shape[:axis] + a.shape[axis + 1:]
    out = new_array(out_shape, single)
    out.extra = (outer, n, inner)
    y = out.value_ptr
    if op == OP_SUM or op == OP_MEAN:
        out.c0 = scale = 1.0 if op == OP_SUM else 1.0 / <double>n
        if a.numel > NOGIL_MIN:
            with nogil:
                sum_forward(single, x, y, outer, n, inner, scale)
        else:
            sum_forward(single, x, y, outer, n, inner, scale)
    else:
        where = np.empty(outer * inner, dtype=np.intp)
        where_ptr = <Py_ssize_t*>cnp.PyArray_DATA(where)
        if a.numel > NOGIL_MIN:
            with nogil:
                argextreme_forward(single, x, y, where_ptr, outer, n, inner, want_max)
        else:
            argextreme_forward(single, x, y, where_ptr, outer, n, inner, want_max)
        out.extra = where
    record(out, op, a)
    return out


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
    # one reference: the interpreter's, to the temporary it passes as an operand
    if product.op != OP_MATMUL or Py_REFCNT(product) != 1 or not grad_enabled:
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


# ================================================================ backward rules

ctypedef int (*BackwardRule)(Node node) except -1

cdef int backward_elementwise_binary(Node node) except -1:
    cdef Node a = node.parent_a, b = node.parent_b
    cdef Broadcast bc
    cdef double da = 0.0, db = 0.0
    cdef void* ga = NULL
    cdef void* gb = NULL
    cdef bint single = node.single
    if node.constant_side:
        return backward_with_constant(node)
    if a.requires_grad:
        ensure_grad(a)
        ga = a.grad_ptr
    if b.requires_grad:
        ensure_grad(b)
        gb = b.grad_ptr
    if type(node) is Value:
        binary_partials(node.op, value_of(a), value_of(b), value_of(node),
                        ga != NULL, gb != NULL, &da, &db)
        if ga != NULL:
            add_grad(a, grad_of(node) * da)
        if gb != NULL:
            add_grad(b, grad_of(node) * db)
        return 0
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
    ensure_grad(x)
    binary_partials(node.op, a, b, value_of(node),
                    node.constant_side == 2, node.constant_side == 1, &da, &db)
    add_grad(x, grad_of(node) * (da if node.constant_side == 2 else db))
    return 0


cdef int backward_elementwise_unary(Node node) except -1:
    cdef Node a = node.parent_a
    cdef MLArray out
    cdef Py_ssize_t n
    cdef bint single, overwrite
    if not a.requires_grad:
        return 0
    if type(node) is Value:
        ensure_grad(a)
        add_grad(a, grad_of(node) * unary_partial(node.op, value_of(a), value_of(node),
                                                  -INFINITY, INFINITY))
        return 0
    out = <MLArray>node
    # into a gradient that is still all zeros (an activation's input, usually) the
    # products are written, not added: no clearing and no reading of the buffer
    overwrite = type(a) is MLArray and grad_is_clean(<MLArray>a)
    prepare_overwrite(<MLArray>a) if overwrite else ensure_grad(a)
    n = out.numel
    single = out.single
    if n > NOGIL_MIN:
        with nogil:
            unary_backward(out.op, single, a.value_ptr, out.value_ptr, out.grad_ptr,
                           a.grad_ptr, n, out.c0, out.c1, overwrite)
    else:
        unary_backward(out.op, single, a.value_ptr, out.value_ptr, out.grad_ptr,
                       a.grad_ptr, n, out.c0, out.c1, overwrite)
    return 0


cdef int backward_sum(Node node) except -1:
    cdef Node a = node.parent_a
    cdef Py_ssize_t outer, n, inner
    if not a.requires_grad:
        return 0
    ensure_grad(a)
    outer, n, inner = node.extra
    cdef void* g = node.grad_ptr
    cdef void* ga = a.grad_ptr
    cdef double scale = node.c0
    cdef bint single = node.single
    if outer * n * inner > NOGIL_MIN:
        with nogil:
            sum_backward(single, g, ga, outer, n, inner, scale)
    else:
        sum_backward(single, g, ga, outer, n, inner, scale)
    return 0


cdef int backward_extreme(Node node) except -1:
    cdef Node a = node.parent_a
    cdef cnp.ndarray where = node.extra
    if not a.requires_grad:
        return 0
    ensure_grad(a)
    argextreme_backward(node.single, node.grad_ptr, a.grad_ptr,
                        <Py_ssize_t*>cnp.PyArray_DATA(where),
                        numel_of(node))
    return 0


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
    cdef bint clean
    if len(a.shape) == 2 and len(b.shape) == 2:
        if a.requires_grad:
            clean = grad_is_clean(a)
            prepare_overwrite(a) if clean else ensure_grad(a)
            add_product(a, G, B.T, clean)
        if b.requires_grad:
            clean = grad_is_clean(b)
            prepare_overwrite(b) if clean else ensure_grad(b)
            add_product(b, A.T, G, clean)
        return 0
    # General case: promote 1-D operands to matrices, as matmul does, then reduce the
    # broadcast batch axes back to each operand's shape.
    A2 = A.reshape(1, -1) if A.ndim == 1 else A
    B2 = B.reshape(-1, 1) if B.ndim == 1 else B
    batch = _shapes.broadcast_shapes(A2.shape[:-2], B2.shape[:-2])
    G2 = G.reshape(batch + (A2.shape[-2], B2.shape[-1]))
    if a.requires_grad:
        ensure_grad(a)
        contribution = sum_to_shape(G2 @ np.swapaxes(B2, -1, -2), A2.shape)
        a.grad_array += contribution.reshape(A.shape)
    if b.requires_grad:
        ensure_grad(b)
        contribution = sum_to_shape(np.swapaxes(A2, -1, -2) @ G2, B2.shape)
        b.grad_array += contribution.reshape(B.shape)
    return 0


cdef int backward_linear(Node node) except -1:
    """a @ b + bias: the bias gets the gradient summed over the axes it was broadcast
    along, then the matmul rule runs with the same gradient."""
    cdef Node bias = <Node>node.parents_more[0]
    cdef Broadcast bc
    if bias.requires_grad:
        ensure_grad(bias)
        setup_broadcast(&bc, (<MLArray>node).shape, (<MLArray>node).shape, shape_of(bias))
        binary_backward(OP_ADD, node.single, node.value_ptr, bias.value_ptr, node.value_ptr,
                        node.grad_ptr, NULL, bias.grad_ptr, &bc)
    return backward_matmul(node)


cdef int add_product(MLArray target, object left, object right, bint clean) except -1:
    """target.grad += left @ right (2-D), the product made by BLAS through NumPy. Into a
    clean (all-zero) gradient the product is written directly, with no temporary."""
    if clean:
        PyArray_MatrixProduct2(left, right, <cnp.PyArrayObject*>target.grad_array)
        return 0
    product = PyArray_MatrixProduct2(left, right, NULL)
    add_into(target.single, target.grad_ptr, cnp.PyArray_DATA(product), target.numel)
    return 0


cdef int backward_transpose(Node node) except -1:
    cdef MLArray a = <MLArray>node.parent_a
    if not a.requires_grad:
        return 0
    ensure_grad(a)
    if a.value_array is None:
        add_grad(a, grad_of(node))
    else:
        a.grad_array += (<MLArray>node).grad_array.transpose(np.argsort(node.extra))
    return 0


cdef int backward_copy(Node node) except -1:
    """Reshape and copy: gradient passes through element for element."""
    cdef Node a = node.parent_a
    if not a.requires_grad:
        return 0
    ensure_grad(a)
    add_into(node.single, a.grad_ptr, node.grad_ptr, numel_of(node))
    return 0


cdef int backward_astype(Node node) except -1:
    """A cast: the gradient passes through, converted to the source's dtype."""
    cdef Node a = node.parent_a
    if not a.requires_grad:
        return 0
    ensure_grad(a)
    add_convert(a.single, a.grad_ptr, node.single, node.grad_ptr, numel_of(node))
    return 0


cdef int backward_index(Node node) except -1:
    cdef MLArray a = <MLArray>node.parent_a, out = <MLArray>node
    if not a.requires_grad:
        return 0
    ensure_grad(a)
    if a.value_array is None:
        add_grad(a, grad_of(node))
        return 0
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
            ensure_grad(p)
            add_convert(p.single, p.grad_ptr, node.single,
                        element_at(node.grad_ptr, node.single, offset), count)
    return 0


cdef int backward_nothing(Node node) except -1:
    # OP_ELEMENT: the handle's gradient IS its array's gradient buffer; nothing to move.
    return 0


cdef int backward_missing(Node node) except -1:
    raise NotImplementedError(f"no backward rule for the op {prev_op_name(node)!r}")


cdef str prev_op_name(Node node):
    return node.extra if isinstance(node.extra, str) else OP_NAMES[node.op]


# The op table: one row per op code, its name (`_op`) and its backward rule. The
# forward kernels sit beside each rule above; adding an op touches this table, its
# forward function and the Value/MLArray method that calls it.
cdef BackwardRule OP_RULES[OP_COUNT]
OP_NAMES = [""] * OP_COUNT


cdef void define_op(int op, str name, BackwardRule rule):
    OP_RULES[op] = rule
    OP_NAMES[op] = name


define_op(OP_LEAF, "", backward_missing)
define_op(OP_ADD, "+", backward_elementwise_binary)
define_op(OP_SUB, "-", backward_elementwise_binary)
define_op(OP_MUL, "*", backward_elementwise_binary)
define_op(OP_DIV, "/", backward_elementwise_binary)
define_op(OP_POW, "**", backward_elementwise_binary)
define_op(OP_NEG, "neg", backward_elementwise_unary)
define_op(OP_EXP, "exp", backward_elementwise_unary)
define_op(OP_LOG, "log", backward_elementwise_unary)
define_op(OP_SQRT, "sqrt", backward_elementwise_unary)
define_op(OP_ABS, "abs", backward_elementwise_unary)
define_op(OP_RELU, "ReLU", backward_elementwise_unary)
define_op(OP_TANH, "tanh", backward_elementwise_unary)
define_op(OP_SIGMOID, "sigmoid", backward_elementwise_unary)
define_op(OP_CLIP, "clip", backward_elementwise_unary)
define_op(OP_SUM, "sum", backward_sum)
define_op(OP_MEAN, "mean", backward_sum)
define_op(OP_MAX, "max", backward_extreme)
define_op(OP_MIN, "min", backward_extreme)
define_op(OP_MATMUL, "matmul", backward_matmul)
define_op(OP_TRANSPOSE, "transpose", backward_transpose)
define_op(OP_RESHAPE, "reshape", backward_copy)
define_op(OP_INDEX, "index", backward_index)
define_op(OP_STACK, "stack", backward_stack)
define_op(OP_COPY, "copy", backward_copy)
define_op(OP_ELEMENT, "element", backward_nothing)
define_op(OP_ASTYPE, "astype", backward_astype)
define_op(OP_LINEAR, "linear", backward_linear)


# ================================================================ backward driver

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
    holds the number of the sort that last saw it. Each interior node's gradient is
    zeroed as it is placed (backward recomputes it), while the node is in cache."""
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
                    if type(node) is Value:
                        store(node.grad_ptr, node.single, 0.0)
                    else:
                        zero_grad(node)
                elif node.op == OP_LEAF and node.parents_more is not None:
                    backward_missing(node)
                continue
            if parent is not None and parent.mark != epoch:
                parent.mark = epoch
                parent.next_parent = 0
                node_list_push(&stack, <PyObject*>parent)
    finally:
        PyMem_Free(stack.items)
    return 0


cdef int run_backward(Node root) except -1:
    """root.grad += 1 everywhere, then the chain rule through the graph.

    Interior gradients are recomputed from zero on each call; leaves accumulate across
    calls until restart() or zero_grad(), as in SmolML."""
    cdef NodeList order = NodeList(NULL, 0, 0)
    cdef Node node
    cdef Py_ssize_t i
    try:
        topological_order(root, &order)
        ensure_grad(root)
        if root.requires_grad:      # a node that tracks nothing keeps grad 0, even as the root
            seed_grad(root)
        # The rules that call NumPy (matmul, transpose, index) follow IEEE silently like
        # the C kernels: a nan or inf gradient is a result, not a warning.
        with np.errstate(all="ignore"):
            for i in range(order.size - 1, -1, -1):
                node = <Node>order.items[i]
                if node.op != OP_LEAF and node.requires_grad:
                    if type(node) is MLArray:
                        # its rule reads its gradient: zeros if no rule wrote one
                        if node.grad_ptr == NULL:
                            ensure_grad(node)
                        else:
                            materialize(<MLArray>node)
                    OP_RULES[node.op](node)
    finally:
        PyMem_Free(order.items)
    return 0


cdef tuple prev_of(Node node):
    """The node's inputs as SmolML's `_prev` tuple; a folded number shows as a Value."""
    if node.op == OP_LINEAR:
        return (node.parent_a, node.parent_b) + node.parents_more
    if node.parents_more is not None:
        return node.parents_more
    if node.constant_side == 1:
        return (constant(node.c0), node.parent_b)
    if node.constant_side == 2:
        return (node.parent_a, constant(node.c0))
    if node.parent_b is not None:
        return (node.parent_a, node.parent_b)
    if node.parent_a is not None:
        return (node.parent_a,)
    return ()


cdef Value constant(double x):
    cdef Value v = new_value(x)
    v.requires_grad = False
    return v


cdef void seed_grad(Node root) noexcept:
    """root.grad += 1 in every element."""
    cdef Py_ssize_t i
    for i in range(numel_of(root)):
        store(element_at(root.grad_ptr, root.single, i), root.single,
              load(element_at(root.grad_ptr, root.single, i), root.single) + 1.0)


# ================================================================ Value

@cython.no_gc
cdef class Value(Node):
    """A scalar node of the autograd graph (engine backend): a 0-d Node whose number and
    gradient live inline in the object.

    `Value(2.0)` is a leaf; arithmetic and `exp log sqrt abs relu tanh sigmoid` make new
    nodes; `y.backward()` fills `.grad_ptr` of every node y depends on.
    """
    _smolml_backend = NAME

    def __cinit__(self, *args, **kwargs):
        # before anything else can touch it, even Value.__new__(Value) from Python
        self.value_ptr = &self.inline_value
        self.grad_ptr = &self.inline_grad

    def __init__(self, data, _children=(), _op="", requires_grad=True):
        if not is_real(data):
            raise TypeError(f"Value needs a real number; got {_shapes.describe(data)}")
        self.inline_value = float(data)
        self.requires_grad = bool(requires_grad)
        self.op = OP_LEAF
        if _children:
            self.parents_more = tuple(_children)
            self.extra = str(_op)

    @property
    def data(self):
        return value_of(self)

    @data.setter
    def data(self, x):
        if not is_real(x):
            raise TypeError(f"Value.data needs a real number; got {_shapes.describe(x)}")
        store(self.value_ptr, self.single, float(x))

    @property
    def grad(self):
        if self.op == OP_ELEMENT:
            materialize(<MLArray>self.parent_a)
        return grad_of(self) if self.grad_ptr != NULL else 0.0

    @grad.setter
    def grad(self, x):
        ensure_grad(self)
        store(self.grad_ptr, self.single, float(x))

    @property
    def _prev(self):
        return prev_of(self)

    @property
    def _op(self):
        if self.op == OP_LEAF and self.parents_more is not None:
            return self.extra
        return OP_NAMES[self.op]

    def backward(self):
        """Fill `.grad_ptr` of every node this Value depends on with d(self)/d(node)."""
        run_backward(self)

    # ---- binary ops: forward in kernels.binary_value, derivative in binary_partials
    def __add__(self, other):
        return value_binary(OP_ADD, self, other, False)

    def __radd__(self, other):
        return value_binary(OP_ADD, self, other, True)

    def __sub__(self, other):
        return value_binary(OP_SUB, self, other, False)

    def __rsub__(self, other):
        return value_binary(OP_SUB, self, other, True)

    def __mul__(self, other):
        return value_binary(OP_MUL, self, other, False)

    def __rmul__(self, other):
        return value_binary(OP_MUL, self, other, True)

    def __truediv__(self, other):
        return value_binary(OP_DIV, self, other, False)

    def __rtruediv__(self, other):
        return value_binary(OP_DIV, self, other, True)

    def __pow__(self, other, modulo):
        return value_binary(OP_POW, self, other, False)

    def __rpow__(self, other, modulo):
        return value_binary(OP_POW, self, other, True)

    # ---- unary ops: forward in kernels.unary_value, derivative in unary_partial
    def __neg__(self):
        return unary_value_op(OP_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return unary_value_op(OP_ABS, self)

    def abs(self):
        return unary_value_op(OP_ABS, self)

    def exp(self):
        return unary_value_op(OP_EXP, self)

    def log(self):
        return unary_value_op(OP_LOG, self)

    def sqrt(self):
        return unary_value_op(OP_SQRT, self)

    def relu(self):
        return unary_value_op(OP_RELU, self)

    def tanh(self):
        return unary_value_op(OP_TANH, self)

    def sigmoid(self):
        return unary_value_op(OP_SIGMOID, self)

    # ---- comparisons look at the numbers, as SmolML's do
    def __lt__(self, other):
        return value_of(self) < compared(other)

    def __le__(self, other):
        return value_of(self) <= compared(other)

    def __gt__(self, other):
        return value_of(self) > compared(other)

    def __ge__(self, other):
        return value_of(self) >= compared(other)

    def __hash__(self):
        return id(self) >> 4            # identity, as object's: Values live in sets and dicts

    def __float__(self):
        return value_of(self)

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"


cdef double compared(object other) except? -1.0:
    if isinstance(other, Value):
        return value_of(<Value>other)
    if is_real(other):
        return float(other)
    reject_other_backend(other)
    raise TypeError(f"cannot compare a Value with {_shapes.describe(other)}")


cdef MLArray element_view(MLArray array, Py_ssize_t i):
    """A 0-d MLArray that reads and writes element i of `array`'s buffers."""
    ensure_grad(array)
    cdef MLArray view = MLArray.__new__(MLArray)
    view.shape = ()
    view.numel = 1
    view.single = array.single
    view.value_ptr = element_at(array.value_ptr, array.single, i)
    view.grad_ptr = element_at(array.grad_ptr, array.single, i)
    view.op = OP_ELEMENT
    view.parent_a = array           # keeps the buffers alive; backward orders it after view
    view.requires_grad = array.requires_grad and grad_enabled
    return view


cdef Value make_handle(MLArray array, Py_ssize_t i):
    """A Value that reads and writes element i of `array`'s buffers."""
    ensure_grad(array)
    cdef Value v = Value.__new__(Value)
    v.single = array.single
    v.value_ptr = element_at(array.value_ptr, array.single, i)
    v.grad_ptr = element_at(array.grad_ptr, array.single, i)
    v.op = OP_ELEMENT
    v.parent_a = array              # keeps the buffers alive; backward orders it after v
    v.requires_grad = array.requires_grad
    return v


# ================================================================ MLArray

cdef class Span:
    """An MLArray met inside nested data: it fills `count` consecutive elements."""
    cdef Node node
    cdef Py_ssize_t count


cdef object numpy_numbers(object data):
    """A float64 C-contiguous copy of a real-valued ndarray (TypeError for other dtypes)."""
    kind = data.dtype.kind
    if kind not in "fiub":
        raise TypeError(f"MLArray needs a real-valued NumPy array; got dtype {data.dtype}")
    return np.array(data, dtype=np.float64, order="C", copy=True)


cdef bint parse_leaf(object x):
    return is_real(x) or type(x) is Value


cdef object parse_array(object x):
    """_shapes.parse_nested's hook: what an array-like element of nested data holds."""
    cdef Span span
    if isinstance(x, MLArray):
        span = Span.__new__(Span)
        span.node = <Node>x
        span.count = (<MLArray>x).numel
        return (<MLArray>x).shape, [span]
    if hasattr(x, "__array_interface__") and not isinstance(x, (list, tuple)):
        if np.asarray(x).dtype.kind == "O":
            return _shapes.parse_nested(np.asarray(x).tolist(), parse_leaf, parse_array)
        values = numpy_numbers(np.asarray(x))
        return values.shape, values.ravel().tolist()
    reject_other_backend(x)
    return None


cdef int fill_from_nested(MLArray self, object data, bint requires_grad,
                          bint single) except -1:
    """Build self from nested lists of numbers, Values, MLArrays and ndarrays. Values and
    MLArrays inside stay connected: they become the parents of an OP_STACK node."""
    shape, flat = _shapes.parse_nested(data, parse_leaf, parse_array)
    cdef Py_ssize_t offset = 0
    cdef list parents = [], spans = []
    cdef Span span
    cdef bint only_numbers = True
    for item in flat:
        if type(item) is Value or type(item) is Span:
            only_numbers = False
            break
    init_storage(self, tuple(shape), single)
    if only_numbers:
        if self.numel:
            copy_numbers(self, np.array(flat, dtype=np.float64))
        self.requires_grad = requires_grad
        return 0
    for item in flat:
        if type(item) is Value:
            store(element_at(self.value_ptr, single, offset), single, value_of(<Value>item))
            parents.append(item)
            spans.append((offset, 1))
            offset += 1
        elif type(item) is Span:
            span = <Span>item
            convert(single, element_at(self.value_ptr, single, offset),
                    span.node.single, span.node.value_ptr, span.count)
            parents.append(span.node)
            spans.append((offset, span.count))
            offset += span.count
        else:
            store(element_at(self.value_ptr, single, offset), single, float(item))
            offset += 1
    self.extra = spans
    if requires_grad:               # requires_grad=False detaches: a leaf of the same numbers
        record_many(self, OP_STACK, tuple(parents))
    if self.op == OP_LEAF:
        self.extra = None
        self.requires_grad = requires_grad
    return 0


cdef int init_storage(MLArray a, tuple shape, bint single) except -1:
    cdef Py_ssize_t size = 1, dim
    for dim in shape:
        size *= dim
    a.shape = shape
    a.numel = size
    a.op = OP_LEAF
    a.single = single
    if len(shape) == 0:
        a.value_ptr = &a.inline_value
    else:
        a.value_array = new_buffer(shape, False, single)
        a.value_ptr = cnp.PyArray_DATA(a.value_array)
    return 0


cdef object as_numbers(object source, bint single):
    """source as a C-contiguous ndarray of float32 (single) or float64; float32 overflow
    gives ±inf quietly, as every float32 op does."""
    if single and source.dtype != np.float32:
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(source, dtype=np.float32)
    return np.ascontiguousarray(source, dtype=np.float32 if single else np.float64)


cdef int copy_numbers(MLArray a, object source) except -1:
    """Copy an ndarray of a's size into a's value buffer, converted to a's dtype."""
    cdef cnp.ndarray flat = as_numbers(source, a.single).reshape(-1)
    if flat.shape[0] != a.numel:
        raise ValueError(f"expected {a.numel} numbers, got {flat.shape[0]}")
    if a.numel:
        memcpy(a.value_ptr, cnp.PyArray_DATA(flat), a.numel * itemsize(a.single))
    return 0


cdef bint want_single(object dtype):
    """True if `dtype` (None: the default) names float32."""
    return _dtype.dtype(dtype) is _dtype.float32


cdef object numbers_of(object data):
    """The numbers of any MLArray-able data, as a float64 ndarray (no graph)."""
    if isinstance(data, Node):
        return np.array(array_view(<Node>data, False), dtype=np.float64)
    return np.asarray(MLArray(data, requires_grad=False).numpy())


cdef object broadcast_numbers(object data, tuple target):
    """data's numbers broadcast to `target` (ValueError naming both shapes otherwise)."""
    source = numbers_of(data)
    if _shapes.broadcast_shapes(source.shape, target) != target:
        raise ValueError(
            f"could not broadcast input array from shape {source.shape} into shape {target}")
    return np.broadcast_to(source, target)


@cython.no_gc
cdef class MLArray(Node):
    """An N-dimensional array node of the autograd graph (engine backend).

    One node per operation: its numbers and gradient are contiguous float64 (or float32)
    buffers,
    elementwise ops and reductions are C loops, matmul goes to BLAS through NumPy.
    `.data` gives Value handles onto the buffers, as SmolML's nested lists of Values.
    """
    _smolml_backend = NAME
    __array_ufunc__ = None          # ndarray <op> MLArray defers to our reflected ops

    def __dealloc__(self):
        cdef Py_ssize_t nbytes = self.numel * itemsize(self.single)
        recycle(self.value_array, nbytes, self.shape, self.single)
        recycle(self.grad_array, nbytes, self.shape, self.single)

    def __init__(self, data, requires_grad=True, dtype=None):
        """data: a number, a Value, an MLArray, nested lists/tuples of those, or an
        ndarray. dtype: float64 or float32; None keeps an MLArray's or a float ndarray's
        dtype and gives anything else the default dtype (`smolml.get_default_dtype()`)."""
        cdef bint single
        if is_real(data):
            init_storage(self, (), want_single(dtype))
            store(self.value_ptr, self.single, float(data))
            self.requires_grad = bool(requires_grad)
        elif isinstance(data, Node):
            if dtype is None and type(data) is MLArray:
                single = (<Node>data).single
            else:
                single = want_single(dtype)
            init_storage(self, shape_of(<Node>data), single)
            convert(single, self.value_ptr, (<Node>data).single, (<Node>data).value_ptr,
                    self.numel)
            if requires_grad:       # requires_grad=False detaches: a leaf of the same numbers
                record(self, OP_COPY if single == (<Node>data).single else OP_ASTYPE,
                       <Node>data)
            if self.op == OP_LEAF:
                self.requires_grad = bool(requires_grad)
        elif hasattr(data, "__array_interface__") and not isinstance(data, (list, tuple)):
            array = np.asarray(data)
            if dtype is None and array.dtype.kind == "f" and array.dtype.itemsize in (4, 8):
                single = array.dtype.itemsize == 4      # a float ndarray keeps its dtype
            else:
                single = want_single(dtype)
            if array.dtype.kind == "O":
                fill_from_nested(self, array.tolist(), bool(requires_grad), single)
            else:
                array = numpy_numbers(array)
                init_storage(self, array.shape, single)
                copy_numbers(self, array)
                self.requires_grad = bool(requires_grad)
        else:
            reject_other_backend(data)
            fill_from_nested(self, data, bool(requires_grad), want_single(dtype))

    # ---- what it holds
    @property
    def data(self):
        """Value handles onto the elements (a Value for a 0-d array, else nested lists)."""
        if len(self.shape) == 0:
            return make_handle(self, 0)
        return _shapes.nest([make_handle(self, i) for i in range(self.numel)], self.shape)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def dtype(self):
        """smolml.float64 or smolml.float32."""
        return _dtype.float32 if self.single else _dtype.float64

    def astype(self, dtype):
        """The same numbers as a new array of `dtype` (rounded to float32 if it is that),
        graph-connected: the gradient flows back converted to this array's dtype."""
        return astype_op(self, want_single(dtype))

    @property
    def nbytes(self):
        """Bytes of the value and gradient buffers."""
        per_buffer = self.numel * itemsize(self.single)
        return per_buffer + (per_buffer if self.grad_ptr != NULL else 0)

    @property
    def _prev(self):
        return prev_of(self)

    @property
    def _op(self):
        return OP_NAMES[self.op]

    def size(self):
        return self.numel

    def __len__(self):
        if len(self.shape) == 0:
            raise TypeError("len() of a 0-d MLArray")
        return self.shape[0]

    def __iter__(self):
        if len(self.shape) == 0:
            raise TypeError("iteration over a 0-d MLArray")
        for i in range(self.shape[0]):
            yield self[i]

    def to_list(self):
        if len(self.shape) == 0:
            return value_of(self)
        return self.value_array.tolist()

    def numpy(self):
        """A new ndarray of the values, of this array's dtype."""
        return np.array(array_view(self, False))

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def __float__(self):
        if self.numel != 1:
            raise TypeError(
                f"only size-1 MLArrays can be converted to float; got shape {self.shape}")
        return value_of(self)

    def __repr__(self):
        flat = [value_of(self)] if len(self.shape) == 0 else self.value_array.ravel().tolist()
        if self.single:
            return _shapes.format_array(self.shape, flat, _dtype.float32)
        return _shapes.format_array(self.shape, flat)

    # ---- elementwise binary ops (kernels.binary_forward / binary_backward)
    def __add__(self, other):
        b = array_operand(other)
        if b is None:
            return NotImplemented
        fused = add_bias(self, b)
        if fused is None and type(b) is MLArray:
            fused = add_bias(<MLArray>b, self)          # bias + x @ W
        return binary_op(OP_ADD, self, b, False) if fused is None else fused

    def __radd__(self, other):
        a = array_operand(other)
        if a is None:
            return NotImplemented
        fused = add_bias(self, a)
        return binary_op(OP_ADD, a, self, False) if fused is None else fused

    def __sub__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_SUB, self, b, False)

    def __rsub__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_SUB, a, self, False)

    def __mul__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_MUL, self, b, False)

    def __rmul__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_MUL, a, self, False)

    def __truediv__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_DIV, self, b, False)

    def __rtruediv__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_DIV, a, self, False)

    def __pow__(self, other, modulo):
        b = array_operand(other)
        return NotImplemented if b is None else binary_op(OP_POW, self, b, False)

    def __rpow__(self, other, modulo):
        a = array_operand(other)
        return NotImplemented if a is None else binary_op(OP_POW, a, self, False)

    # ---- elementwise unary ops (kernels.unary_forward / unary_backward)
    def __neg__(self):
        return unary_array_op(OP_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return unary_array_op(OP_ABS, self)

    def abs(self):
        return unary_array_op(OP_ABS, self)

    def exp(self):
        return unary_array_op(OP_EXP, self)

    def log(self):
        return unary_array_op(OP_LOG, self)

    def sqrt(self):
        return unary_array_op(OP_SQRT, self)

    def relu(self):
        return unary_array_op(OP_RELU, self)

    def tanh(self):
        return unary_array_op(OP_TANH, self)

    def sigmoid(self):
        return unary_array_op(OP_SIGMOID, self)

    def clip(self, min_value=None, max_value=None):
        """Clamp into [min_value, max_value] (None: unbounded); gradient 1 inside, 0 outside."""
        for bound in (min_value, max_value):
            if bound is not None and not is_real(bound):
                raise TypeError(f"clip bounds must be numbers or None; got {_shapes.describe(bound)}")
        lo = -INFINITY if min_value is None else float(min_value)
        hi = INFINITY if max_value is None else float(max_value)
        return unary_array_op(OP_CLIP, self, lo, hi)

    # ---- matmul (BLAS through NumPy)
    def matmul(self, other):
        b = array_operand(other)
        if b is None:
            raise TypeError(f"matmul needs an MLArray-like operand; got {_shapes.describe(other)}")
        return matmul_op(self, b)

    def __matmul__(self, other):
        b = array_operand(other)
        return NotImplemented if b is None else matmul_op(self, b)

    def __rmatmul__(self, other):
        a = array_operand(other)
        return NotImplemented if a is None else matmul_op(a, self)

    # ---- reductions (kernels.sum_forward / argextreme_forward)
    def sum(self, axis=None, keepdims=False):
        return reduce_op(OP_SUM, self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return reduce_op(OP_MEAN, self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """Largest element; the gradient goes to the first largest only."""
        return reduce_op(OP_MAX, self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        """Smallest element; the gradient goes to the first smallest only."""
        return reduce_op(OP_MIN, self, axis, keepdims)

    def std(self, axis=None, keepdims=False):
        """Population standard deviation sqrt(mean((x - mean(x))²)), differentiable."""
        deviation = self - self.mean(axis=axis, keepdims=True)
        return (deviation * deviation).mean(axis=axis, keepdims=keepdims).sqrt()

    # ---- movement
    def transpose(self, *axes):
        """Permute the axes (reverse them by default), as NumPy's transpose."""
        order = _shapes.resolve_transpose(axes, len(self.shape))
        cdef MLArray out = new_array(tuple(self.shape[ax] for ax in order), self.single)
        if len(self.shape) == 0:
            store(out.value_ptr, self.single, value_of(self))
        else:
            np.copyto(out.value_array, self.value_array.transpose(order))
        out.extra = order
        record(out, OP_TRANSPOSE, self)
        return out

    @property
    def T(self):
        return self.transpose()

    def reshape(self, *shape):
        return copy_op(self, _shapes.resolve_reshape(shape, self.numel), OP_RESHAPE)

    def flatten(self, data=None):
        """No argument: a 1-D copy of the array. With `data` (SmolML's helper form): the
        Values of that nested structure in one flat list."""
        if data is None:
            return copy_op(self, (self.numel,), OP_RESHAPE)
        flat, stack = [], [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, Value):
                flat.append(item)
        return flat

    def __getitem__(self, index):
        """Ints, slices, `...` and tuples of them. An int on every axis gives that
        element as a 0-d array that reads and writes this array's buffers (as SmolML's
        arr[i, j] shares its Value); anything else a new array, graph-connected."""
        plan, out_shape = _shapes.index_plan(index, self.shape)
        if len(out_shape) == 0 and len(self.shape) > 0:
            return element_view(self, _shapes.plan_offsets(plan, self.shape)[0])
        selection = numpy_index(plan)
        cdef MLArray out = new_array(out_shape, self.single)
        if len(self.shape) == 0:
            store(out.value_ptr, self.single, value_of(self))
        else:
            np.copyto(out.value_array, self.value_array[selection])
        out.extra = selection
        record(out, OP_INDEX, self)
        return out

    def __setitem__(self, index, value):
        """Write numbers into the selected elements (broadcast); no graph link."""
        plan, out_shape = _shapes.index_plan(index, self.shape)
        numbers = broadcast_numbers(value, out_shape)
        if len(self.shape) == 0:
            store(self.value_ptr, self.single, float(numbers))
        else:
            with np.errstate(over="ignore"):    # float32 overflow gives ±inf quietly
                self.value_array[numpy_index(plan)] = numbers

    # ---- gradients
    def backward(self):
        """Backpropagate from this array (a non-scalar one is summed first, as SmolML)."""
        run_backward(self)

    def grad(self):
        """The gradient as a new MLArray of this array's shape."""
        cdef MLArray out = new_array(self.shape, self.single)
        cdef size_t nbytes = self.numel * itemsize(self.single)
        materialize(self)
        if self.op == OP_ELEMENT:
            materialize(<MLArray>self.parent_a)
        if self.grad_ptr == NULL:
            memset(out.value_ptr, 0, nbytes)
        elif self.numel:
            memcpy(out.value_ptr, self.grad_ptr, nbytes)
        out.requires_grad = False
        return out

    def zero_grad(self):
        if self.grad_ptr != NULL:
            zero_grad(self)
        return self

    def restart(self):
        """Zero the gradient and cut the history: a leaf holding the current values."""
        self.zero_grad()
        if self.op == OP_ELEMENT:
            return self     # an element view has no history of its own: keep the alias
        self.parent_a = None
        self.parent_b = None
        self.parents_more = None
        self.constant_side = 0
        self.op = OP_LEAF
        self.extra = None
        return self

    def update_values(self, new_data):
        """Copy new numbers into this array in place (broadcast to its shape)."""
        if type(new_data) is MLArray and (<MLArray>new_data).shape == self.shape:
            # the optimizer's case: one memcpy (or one conversion)
            convert(self.single, self.value_ptr, (<MLArray>new_data).single,
                    (<MLArray>new_data).value_ptr, self.numel)
            return self
        numbers = broadcast_numbers(new_data, self.shape)
        copy_numbers(self, np.ascontiguousarray(numbers))
        return self

    # ---- SmolML's helpers
    @staticmethod
    def ensure_array(*args):
        """MLArrays pass through; numbers become 1-element arrays; lists and ndarrays convert."""
        converted = []
        for i, arg in enumerate(args):
            if isinstance(arg, MLArray):
                converted.append(arg)
            elif is_real(arg):
                converted.append(MLArray([arg]))
            elif isinstance(arg, (list, tuple)) or hasattr(arg, "__array_interface__"):
                converted.append(MLArray(arg))
            else:
                reject_other_backend(arg)
                raise TypeError(f"cannot make an MLArray from {_shapes.describe(arg)}")
        return converted[0] if len(converted) == 1 else tuple(converted)

    @classmethod
    def xavier_uniform(cls, in_features, out_features, dtype=None):
        """Weights ~ U(-l, l), l = sqrt(6 / (in + out))."""
        limit = (6.0 / (in_features + out_features)) ** 0.5
        return draw((in_features, out_features), lambda: rng.uniform(-limit, limit), dtype)

    @classmethod
    def xavier_normal(cls, in_features, out_features, dtype=None):
        """Weights ~ N(0, σ²), σ = sqrt(2 / (in + out))."""
        std = (2.0 / (in_features + out_features)) ** 0.5
        return draw((in_features, out_features), lambda: rng.gauss(0.0, std), dtype)

    # ---- in place, under no_grad (otherwise a new node, as `a = a + b`)
    def __iadd__(self, other):
        return inplace_op(OP_ADD, self, other)

    def __isub__(self, other):
        return inplace_op(OP_SUB, self, other)

    def __imul__(self, other):
        return inplace_op(OP_MUL, self, other)

    def __itruediv__(self, other):
        return inplace_op(OP_DIV, self, other)


cdef MLArray draw(tuple shape, object sample, object dtype):
    """A leaf of `shape` filled row-major by calling sample() (float64 draws, then
    rounded when dtype is float32, so both dtypes see the same random stream)."""
    shape = _shapes.check_shape(shape)
    cdef MLArray out = new_array(shape, want_single(dtype))
    if out.numel:
        copy_numbers(out, np.array([sample() for _ in range(out.numel)], dtype=np.float64))
    out.requires_grad = True
    return out


def zeros(*shape, dtype=None):
    cdef MLArray out = new_array(_shapes.check_shape(shape), want_single(dtype))
    memset(out.value_ptr, 0, out.numel * itemsize(out.single))
    out.requires_grad = True
    return out


def ones(*shape, dtype=None):
    cdef MLArray out = new_array(_shapes.check_shape(shape), want_single(dtype))
    fill(out.single, out.value_ptr, 1.0, out.numel)
    out.requires_grad = True
    return out


def randn(*shape, dtype=None):
    return draw(_shapes.check_shape(shape), lambda: rng.gauss(0.0, 1.0), dtype)


cdef void install_value_allocator():
    """Give Value its own allocator (see `value_alloc`), unless Python runs without the
    GIL: the allocator's bookkeeping relies on it."""
    global value_type, value_size
    import sys
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        return
    value_type = <TypeSlots*><void*>Value
    value_size = value_type.tp_basicsize
    value_type.tp_alloc = value_alloc
    value_type.tp_free = value_free


install_value_allocator()
