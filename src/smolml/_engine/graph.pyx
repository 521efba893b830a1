# cython: language_level=3, cdivision=True
"""The engine: smolml's autograd graph in C.

Every Value and MLArray is a Node (graph.pxd): its numbers live in contiguous float64
(or float32) buffers, and the op that made it is a code of ops.pxd. Backward is an
iterative topological sort from the output followed by each node's rule from the op
table, in reverse order, accumulating into the parents' gradient buffers.

This module is one extension: the pieces below are Cython `include` files, so an
inline helper of one piece inlines into every other (separate modules would call each
other through pointers). In reading order:

    memory.pxi            Node freeing, the Value region, the buffer pool, reading numbers
    nodes.pxi             making nodes, recording them in the graph, the op table
    grad_buffers.pxi      a node's gradient buffer: its states and how rules write into it
    ops_elementwise.pxi   + - * / ** and the unary functions: forward beside backward
    ops_reduce.pxi        sum, mean, max, min
    ops_matmul.pxi        matmul and the fused a @ b + bias
    ops_movement.pxi      transpose, reshape, index, copy, astype, stack, element handles
    ops_training.pxi      fused training ops: softmax cross-entropy on logits, dropout
    backward.pxi          the topological sort and the backward driver
    construction.pxi      MLArray(data): nested lists, ndarrays; zeros, ones, randn
    value.pxi             the Value class
    ml_array.pxi          the MLArray class

docs/engine.md maps the pure backend's op table onto these pieces.
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

from smolml._engine.ops cimport *
from smolml._engine.kernels cimport (
    Broadcast, MAX_NDIM, binary_value, binary_partials, unary_value, unary_partial,
    binary_forward, binary_backward, unary_forward, unary_backward,
    sum_forward, sum_backward, argextreme_forward, argextreme_backward, add_into, fill,
    convert, add_convert, softmax_cross_entropy_forward, softmax_cross_entropy_backward,
    dropout)

from smolml import _backend, _copying, _dtype, _memory, _random, _shapes

cnp.import_array()

cdef extern from "Python.h":
    # The two slots of a type object that the Value allocator (memory.pxi) takes over.
    ctypedef struct TypeSlots "PyTypeObject":
        PyObject* (*tp_alloc)(TypeSlots*, Py_ssize_t) noexcept
        void (*tp_free)(void*) noexcept
        Py_ssize_t tp_basicsize
    PyObject* PyType_GenericAlloc(TypeSlots* type, Py_ssize_t nitems) noexcept
    PyObject* PyObject_Init(PyObject* op, TypeSlots* type) noexcept
    void PyObject_Free(void* p) noexcept

cdef extern from *:
    """
    /* A temporary the interpreter alone holds: the operand of `x @ W + b` that nobody
       named. From CPython 3.14 a named local can sit at reference count 1 while its
       value is on the stack (a borrowed load), so only the interpreter's own test is
       safe there; before 3.14 a reference count of 1 means exactly that. */
    #if PY_VERSION_HEX >= 0x030E0000
    #define smolml_is_unique_temporary(o) PyUnstable_Object_IsUniqueReferencedTemporary(o)
    #else
    #define smolml_is_unique_temporary(o) (Py_REFCNT(o) == 1)
    #endif
    """
    bint is_unique_temporary "smolml_is_unique_temporary" (object o) noexcept

cdef extern from "numpy/arrayobject.h":
    # np.dot in C: BLAS for float64 and float32 operands, without a Python-level call.
    object PyArray_MatrixProduct2(object a, object b, cnp.PyArrayObject* out)

NAME = "engine"

# Above this many elements a kernel releases the GIL; below it the release costs more
# than the loop.
DEF NOGIL_MIN = 32768

cdef unsigned long visit_epoch = 0

# Grad mode is per thread, as PyTorch's: smolml._grad_mode keeps it for Python, and the
# engine reads its own copy, one C thread-local int, as cheaply as a global. Every
# thread starts with recording on; _grad_mode.set_grad_enabled keeps both in step.
from smolml._grad_mode import set_grad_enabled, is_grad_enabled
from smolml import _grad_mode

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #define SMOLML_THREAD_LOCAL __declspec(thread)
    #else
    #define SMOLML_THREAD_LOCAL _Thread_local
    #endif
    static SMOLML_THREAD_LOCAL int smolml_grad_enabled = 1;
    """
    int grad_flag "smolml_grad_enabled"


cdef inline bint grad_enabled() noexcept:
    """Whether this thread records the graph now."""
    return grad_flag != 0


def _set_thread_grad_flag(flag):
    """The engine's copy of this thread's grad mode (called by smolml._grad_mode)."""
    global grad_flag
    grad_flag = 1 if flag else 0


_grad_mode.attach_engine(_set_thread_grad_flag)


include "memory.pxi"
include "nodes.pxi"
include "grad_buffers.pxi"
include "ops_elementwise.pxi"
include "ops_reduce.pxi"
include "ops_matmul.pxi"
include "ops_movement.pxi"
include "ops_training.pxi"
include "backward.pxi"
include "construction.pxi"
include "value.pxi"
include "ml_array.pxi"

install_value_allocator()
