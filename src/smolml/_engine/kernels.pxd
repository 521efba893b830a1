# The loops of the engine: plain C over contiguous float64 or float32 buffers, no Python
# objects, so every kernel runs without the GIL. graph.pyx picks the kernel for each op code.

cdef enum:
    MAX_NDIM = 32               # deepest shape an elementwise op broadcasts over

from smolml._engine.ops cimport *     # the op codes: kernels.pyx reads OP_ADD .. OP_CLIP

cdef struct Broadcast:
    # How an output of `shape` reads its two operands: element strides per output axis,
    # 0 on an axis the operand is broadcast along.
    int ndim                            # output dimensions (0 for a scalar)
    Py_ssize_t size                     # output elements
    Py_ssize_t shape[MAX_NDIM]          # output shape
    Py_ssize_t stride_a[MAX_NDIM]       # strides of operand a, per output axis
    Py_ssize_t stride_b[MAX_NDIM]       # strides of operand b, per output axis

# The scalar ops of a Value: entry points onto the same inline math ("the math of each
# op" in kernels.pyx) that the buffer kernels below loop over. binary_partials writes
# d/da into da[0] only if want_a, d/db into db[0] only if want_b.
cdef double binary_value(int op, double a, double b) noexcept nogil
cdef void binary_partials(int op, double a, double b, double out,
                          bint want_a, bint want_b, double* da, double* db) noexcept nogil
cdef double unary_value(int op, double a, double lo, double hi) noexcept nogil
cdef double unary_partial(int op, double a, double out, double lo, double hi) noexcept nogil

# The buffer kernels below take untyped buffers and `single`: True when every buffer is
# float32, False when every one is float64 (graph.pyx converts mixed operands first).
# Arithmetic on float32 elements rounds each result to float32. exp and tanh run their
# own SIMD loops, for a scalar Value as for arrays (in float for float32; within 4 ulp
# of libm in float64, 2 ulp in float32); the other transcendental functions are
# evaluated in double and rounded once, as the pure backend does.

# out[i] = a[.] op b[.] over the broadcast; ga/gb (NULL to skip) += gout * partials.
cdef void binary_forward(int op, bint single, const void* a, const void* b, void* out,
                         const Broadcast* bc) noexcept nogil
cdef void binary_backward(int op, bint single, const void* a, const void* b,
                          const void* out, const void* gout, void* ga, void* gb,
                          const Broadcast* bc) noexcept nogil

# out[i] = f(a[i]); ga[i] += gout[i] * f'(a[i]) over n contiguous elements, or
# ga[i] = gout[i] * f'(a[i]) if overwrite (ga's old contents, zeros or not, unread).
cdef void unary_forward(int op, bint single, const void* a, void* out, Py_ssize_t n,
                        double lo, double hi) noexcept nogil
cdef void unary_backward(int op, bint single, const void* a, const void* out,
                         const void* gout, void* ga, Py_ssize_t n,
                         double lo, double hi, bint overwrite) noexcept nogil

# Reductions over the middle axis of a contiguous (outer, n, inner) view; sums
# accumulate in double.
cdef void sum_forward(bint single, const void* x, void* out, Py_ssize_t outer,
                      Py_ssize_t n, Py_ssize_t inner, double scale) noexcept nogil
cdef void sum_backward(bint single, const void* gout, void* gx, Py_ssize_t outer,
                       Py_ssize_t n, Py_ssize_t inner, double scale) noexcept nogil
cdef void argextreme_forward(bint single, const void* x, void* out, Py_ssize_t* where,
                             Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner,
                             bint want_max) noexcept nogil
cdef void argextreme_backward(bint single, const void* gout, void* gx,
                              const Py_ssize_t* where, Py_ssize_t count) noexcept nogil

# Buffer helpers. convert/add_convert read a buffer of one dtype into one of either.
cdef void add_into(bint single, void* dst, const void* src, Py_ssize_t n) noexcept nogil
cdef void fill(bint single, void* dst, double value, Py_ssize_t n) noexcept nogil
cdef void convert(bint dst_single, void* dst, bint src_single, const void* src,
                  Py_ssize_t n) noexcept nogil
cdef void add_convert(bint dst_single, void* dst, bint src_single, const void* src,
                      Py_ssize_t n) noexcept nogil

# Fused training ops. softmax_cross_entropy_forward returns Σₙₖ tₙₖ·log_softmax(zₙ)ₖ over
# `rows` rows of `cols` (in double) and fills p (softmax, float64), lse (each row's
# log Σ e^z) and t_sum (Σₖ tₙₖ per row); the backward adds scale·(p·t_sum − t) into gz
# and −scale·(z − lse) into gt (either NULL to skip). dropout: out (+)= x · (scale if
# keep else 0).
cdef double softmax_cross_entropy_forward(bint single, const void* z, const void* t,
                                          double* p, double* lse, double* t_sum,
                                          Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
cdef void softmax_cross_entropy_backward(bint single, const void* z, const double* p,
                                         const double* lse, const double* t_sum,
                                         const void* t, void* gz, void* gt, Py_ssize_t rows,
                                         Py_ssize_t cols, double scale) noexcept nogil
cdef void dropout(bint single, const void* x, const unsigned char* keep, void* out,
                  Py_ssize_t n, double scale, bint add) noexcept nogil
