# cython: language_level=3, cdivision=True
"""C loops over contiguous float64 and float32 buffers: elementwise ops with
broadcasting, their derivatives, and reductions. No Python objects here, so callers
release the GIL.

Each elementwise op's value and derivative are written once, in "the math of each op"
below; a scalar Value (binary_value, unary_value, ...) and every array loop call those
same inline functions, with the op a constant the compiler folds where a loop is
specialized for it. Each buffer kernel is written once over the fused type `real`
(float or double); the functions graph.pyx calls take untyped buffers and pick the float
or double version."""
from libc.math cimport exp, log, log1p, sqrt, fabs, fabsf, pow, isnan, copysign, copysignf
from libc.string cimport memcpy, memset

ctypedef fused real:
    float
    double

include "exp_tanh.pxi"          # exp_of, tanh_of: the SIMD polynomial loops


# ---------------------------------------------------------------- the math of each op
#
#   op       value                 d/da                  d/db
#   +        a + b                 1                     1
#   -        a - b                 1                     -1
#   *        a · b                 b                     a
#   /        a / b                 1/b                   -a/b²
#   **       a^b                   b·a^(b-1), 0 if b=0   a^b·ln a
#   neg      -a                    -1
#   exp      e^a                   e^a (the output)
#   log      ln a                  1/a
#   log1p    ln(1 + a)             1/(1 + a)
#   sqrt     √a                    1/(2√a) (from the output)
#   abs      |a|                   sign(a)
#   relu     max(a, 0)             1 if a > 0 else 0
#   tanh     tanh a                1 - tanh²a (from the output)
#   sigmoid  1/(1 + e^-a)          σ(1 - σ) (from the output)
#   clip     min(max(a, lo), hi)   1 if lo <= a <= hi else 0
#
# Arithmetic is IEEE (cdivision): x/0 is ±inf, 0/0 nan; C99 pow gives nan for
# (-8)**(1/3) and inf for 0**-1; log(0) is -inf and log(<0) nan (log1p(-1), log1p(<-1)
# likewise). exp and tanh are the
# polynomial loops above for one element or many alike.

cdef inline real arithmetic(int op, real a, real b) noexcept nogil:
    """a op b for + - * / (in float for float32 buffers: exact as double, then rounded)."""
    if op == OP_ADD:
        return a + b
    if op == OP_SUB:
        return a - b
    if op == OP_MUL:
        return a * b
    return a / b                # OP_DIV


cdef inline real partial_a(int op, real a, real b, real out) noexcept nogil:
    """d(a op b)/da; `out` is the forward result."""
    if op == OP_ADD or op == OP_SUB:
        return 1.0
    if op == OP_MUL:
        return b
    if op == OP_DIV:
        return 1.0 / b
    return 0.0 if b == 0.0 else b * pow(a, b - 1.0)     # OP_POW


cdef inline real partial_b(int op, real a, real b, real out) noexcept nogil:
    """d(a op b)/db; `out` is the forward result."""
    if op == OP_ADD:
        return 1.0
    if op == OP_SUB:
        return -1.0
    if op == OP_MUL:
        return a
    if op == OP_DIV:
        return -a / (b * b)
    return out * log(a)                                 # OP_POW


cdef inline double sigmoid(double a) noexcept nogil:
    cdef double e
    if a >= 0.0:
        return 1.0 / (1.0 + exp(-a))
    e = exp(a)                  # a < 0: e^a cannot overflow
    return e / (1.0 + e)


cdef inline real relu(real a) noexcept nogil:
    return 0.0 if a <= 0.0 else a       # nan stays nan, as NumPy's maximum(x, 0)


cdef inline double unary_value_of(int op, double a, double lo, double hi) noexcept nogil:
    cdef double out
    if op == OP_NEG:
        return -a
    if op == OP_EXP:
        smolml_exp(&a, &out, 1)
        return out
    if op == OP_LOG:
        return log(a)
    if op == OP_LOG1P:
        return log1p(a)         # exact near 0, where log(1 + a) loses a's digits
    if op == OP_SQRT:
        return sqrt(a)
    if op == OP_ABS:
        return fabs(a)
    if op == OP_RELU:
        return relu(a)
    if op == OP_TANH:
        smolml_tanh(&a, &out, 1)
        return out
    if op == OP_SIGMOID:
        return sigmoid(a)
    if a < lo:                  # OP_CLIP, as NumPy's clip; bounds are ±inf when not given
        a = lo
    if a > hi:
        a = hi
    return a


cdef inline double relu_slope(real a) noexcept nogil:
    return 1.0 if a > 0.0 else 0.0      # 0 for nan too


cdef inline double tanh_slope(real out) noexcept nogil:
    return 1.0 - out * out


cdef inline double sigmoid_slope(real out) noexcept nogil:
    return out * (1.0 - out)


cdef inline double unary_partial_of(int op, real a, real out, double lo,
                                    double hi) noexcept nogil:
    """d f(a)/da; `out` is f(a)."""
    if op == OP_NEG:
        return -1.0
    if op == OP_EXP:
        return out
    if op == OP_LOG:
        return 1.0 / a
    if op == OP_LOG1P:
        return 1.0 / (1.0 + a)
    if op == OP_SQRT:
        return 0.5 / out
    if op == OP_ABS:
        return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)
    if op == OP_RELU:
        return relu_slope(a)
    if op == OP_TANH:
        return tanh_slope(out)
    if op == OP_SIGMOID:
        return sigmoid_slope(out)
    return 1.0 if (lo <= a and a <= hi) else 0.0     # OP_CLIP, bounds included


# The scalar entry points (kernels.pxd): what a Value's op computes.

cdef double binary_value(int op, double a, double b) noexcept nogil:
    return pow(a, b) if op == OP_POW else arithmetic(op, a, b)


cdef void binary_partials(int op, double a, double b, double out,
                          bint want_a, bint want_b, double* da, double* db) noexcept nogil:
    if want_a:
        da[0] = partial_a(op, a, b, out)
    if want_b:
        db[0] = partial_b(op, a, b, out)


cdef double unary_value(int op, double a, double lo, double hi) noexcept nogil:
    return unary_value_of(op, a, lo, hi)


cdef double unary_partial(int op, double a, double out, double lo, double hi) noexcept nogil:
    return unary_partial_of(op, a, out, lo, hi)


# ---------------------------------------------------------------- binary, broadcasting

cdef inline void row_forward(int op, const real* a, Py_ssize_t sa, const real* b,
                             Py_ssize_t sb, real* out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real x, y
    # The common layouts get loops with unit strides (and the op hoisted out of them by
    # the compiler), which it turns into SIMD code: same shapes, and a scalar on either side.
    # OP_ADD .. OP_DIV are the codes up to OP_DIV (ops.pxd); OP_POW computes in double.
    if op <= OP_DIV and sa == 1 and a == out:          # in place: out[i] op= b[.]
        if sb == 1:
            for i in range(n):
                out[i] = arithmetic(op, out[i], b[i])
        else:
            y = b[0]
            for i in range(n):
                out[i] = arithmetic(op, out[i], y)
    elif op <= OP_DIV and sa == 1 and sb == 1:
        for i in range(n):
            out[i] = arithmetic(op, a[i], b[i])
    elif op <= OP_DIV and sa == 1 and sb == 0:
        y = b[0]
        for i in range(n):
            out[i] = arithmetic(op, a[i], y)
    elif op <= OP_DIV and sa == 0 and sb == 1:
        x = a[0]
        for i in range(n):
            out[i] = arithmetic(op, x, b[i])
    elif op <= OP_DIV:
        for i in range(n):
            out[i] = arithmetic(op, a[i * sa], b[i * sb])
    else:
        for i in range(n):
            out[i] = <real>binary_value(op, a[i * sa], b[i * sb])


cdef inline void add_row(real* g, Py_ssize_t stride, const real* gout, Py_ssize_t n,
                         real sign) noexcept nogil:
    """g[i·stride] += sign·gout[i]: unit stride and broadcast (stride 0, a sum) get loops
    the compiler vectorizes."""
    cdef Py_ssize_t i
    cdef double total = 0.0
    if stride == 1:
        for i in range(n):
            g[i] += sign * gout[i]
    elif stride == 0:
        for i in range(n):
            total += gout[i]
        g[0] = <real>(g[0] + sign * total)
    else:
        for i in range(n):
            g[i * stride] += sign * gout[i]


cdef inline void row_backward(int op, const real* a, Py_ssize_t sa, const real* b,
                              Py_ssize_t sb, const real* out, const real* gout,
                              real* ga, real* gb, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef double g
    cdef real zero = 0.0
    cdef bint want_a = ga != NULL, want_b = gb != NULL
    if op == OP_ADD or op == OP_SUB:
        # constant partials: the gradient is added (or summed, when broadcast) with a sign
        if want_a:
            add_row(ga, sa, gout, n, partial_a(op, zero, zero, zero))
        if want_b:
            add_row(gb, sb, gout, n, partial_b(op, zero, zero, zero))
    elif op == OP_MUL:
        if want_a:
            for i in range(n):
                ga[i * sa] += gout[i] * partial_a(OP_MUL, a[i * sa], b[i * sb], out[i])
        if want_b:
            for i in range(n):
                gb[i * sb] += gout[i] * partial_b(OP_MUL, a[i * sa], b[i * sb], out[i])
    else:
        # in double, then rounded once into the gradient, as the scalar path
        for i in range(n):
            g = gout[i]
            if want_a:
                ga[i * sa] = <real>(ga[i * sa] + g * partial_a(
                    op, <double>a[i * sa], <double>b[i * sb], <double>out[i]))
            if want_b:
                gb[i * sb] = <real>(gb[i * sb] + g * partial_b(
                    op, <double>a[i * sa], <double>b[i * sb], <double>out[i]))


cdef inline bint next_row(const Broadcast* bc, Py_ssize_t* index,
                          Py_ssize_t* offset_a, Py_ssize_t* offset_b) noexcept nogil:
    """Advance the multi-index over every axis but the last; False when done."""
    cdef int d = bc.ndim - 2
    while d >= 0:
        index[d] += 1
        offset_a[0] += bc.stride_a[d]
        offset_b[0] += bc.stride_b[d]
        if index[d] < bc.shape[d]:
            return True
        offset_a[0] -= bc.stride_a[d] * bc.shape[d]
        offset_b[0] -= bc.stride_b[d] * bc.shape[d]
        index[d] = 0
        d -= 1
    return False


cdef void binary_forward_of(int op, const real* a, const real* b, real* out,
                            const Broadcast* bc) noexcept nogil:
    cdef Py_ssize_t index[MAX_NDIM]
    cdef Py_ssize_t oa = 0, ob = 0, o = 0, n
    if bc.size == 0:
        return
    if bc.ndim == 0:
        row_forward(op, a, 0, b, 0, out, 1)
        return
    n = bc.shape[bc.ndim - 1]
    memset(index, 0, sizeof(index))
    while True:
        row_forward(op, a + oa, bc.stride_a[bc.ndim - 1], b + ob,
                    bc.stride_b[bc.ndim - 1], out + o, n)
        o += n
        if not next_row(bc, index, &oa, &ob):
            break


cdef void binary_backward_of(int op, const real* a, const real* b, const real* out,
                             const real* gout, real* ga, real* gb,
                             const Broadcast* bc) noexcept nogil:
    cdef Py_ssize_t index[MAX_NDIM]
    cdef Py_ssize_t oa = 0, ob = 0, o = 0, n
    if bc.size == 0:
        return
    if bc.ndim == 0:
        row_backward(op, a, 0, b, 0, out, gout, ga, gb, 1)
        return
    n = bc.shape[bc.ndim - 1]
    memset(index, 0, sizeof(index))
    while True:
        row_backward(op, a + oa, bc.stride_a[bc.ndim - 1], b + ob, bc.stride_b[bc.ndim - 1],
                     out + o, gout + o,
                     ga + oa if ga != NULL else NULL,
                     gb + ob if gb != NULL else NULL, n)
        o += n
        if not next_row(bc, index, &oa, &ob):
            break


cdef void binary_forward(int op, bint single, const void* a, const void* b, void* out,
                         const Broadcast* bc) noexcept nogil:
    if single:
        binary_forward_of(op, <const float*>a, <const float*>b, <float*>out, bc)
    else:
        binary_forward_of(op, <const double*>a, <const double*>b, <double*>out, bc)


cdef void binary_backward(int op, bint single, const void* a, const void* b,
                          const void* out, const void* gout, void* ga, void* gb,
                          const Broadcast* bc) noexcept nogil:
    if single:
        binary_backward_of(op, <const float*>a, <const float*>b, <const float*>out,
                           <const float*>gout, <float*>ga, <float*>gb, bc)
    else:
        binary_backward_of(op, <const double*>a, <const double*>b, <const double*>out,
                           <const double*>gout, <double*>ga, <double*>gb, bc)


# ---------------------------------------------------------------- unary

cdef void unary_forward_of(int op, const real* a, real* out, Py_ssize_t n,
                           double lo, double hi) noexcept nogil:
    cdef Py_ssize_t i
    if op == OP_RELU:
        for i in range(n):
            out[i] = relu(a[i])
    elif op == OP_EXP:
        exp_of(a, out, n)
    elif op == OP_TANH:
        tanh_of(a, out, n)
    else:
        for i in range(n):
            out[i] = <real>unary_value_of(op, a[i], lo, hi)


cdef void unary_backward_of(int op, const real* a, const real* out, const real* gout,
                            real* ga, Py_ssize_t n, double lo, double hi,
                            bint overwrite) noexcept nogil:
    """ga += gout · f', or ga = gout · f' into a target that held zeros (overwrite): the
    same numbers, 0 + x being x up to the sign of a zero, without reading ga. A zero
    slope multiplies too, as every rule does: an inf or nan gradient stays nan."""
    cdef Py_ssize_t i
    if op == OP_RELU:
        relu_backward_of(a, gout, ga, n, overwrite)
    elif op == OP_TANH:
        tanh_backward_of(out, gout, ga, n, overwrite)
    elif op == OP_SIGMOID:
        sigmoid_backward_of(out, gout, ga, n, overwrite)
    elif overwrite:
        for i in range(n):
            ga[i] = <real>(gout[i] * unary_partial_of(op, a[i], out[i], lo, hi))
    else:
        for i in range(n):
            ga[i] = <real>(ga[i] + gout[i] * unary_partial_of(op, a[i], out[i], lo, hi))


# The activations get loops of their own: with the slope function inlined the compiler
# vectorizes them (through unary_partial_of's test of op per element it does not).

cdef void relu_backward_of(const real* a, const real* gout, real* ga, Py_ssize_t n,
                           bint overwrite) noexcept nogil:
    # relu_slope spelled out: through the inline function GCC turns the product into a
    # branch on the sign of a, which does not vectorize (backward 4x slower on inputs of
    # mixed sign, measured); written so, it stays a vector select.
    cdef Py_ssize_t i
    if overwrite:
        for i in range(n):
            ga[i] = gout[i] * (1.0 if a[i] > 0.0 else 0.0)
    else:
        for i in range(n):
            ga[i] += gout[i] * (1.0 if a[i] > 0.0 else 0.0)


cdef void tanh_backward_of(const real* out, const real* gout, real* ga, Py_ssize_t n,
                           bint overwrite) noexcept nogil:
    cdef Py_ssize_t i
    if overwrite:
        for i in range(n):
            ga[i] = <real>(gout[i] * tanh_slope(out[i]))
    else:
        for i in range(n):
            ga[i] = <real>(ga[i] + gout[i] * tanh_slope(out[i]))


cdef void sigmoid_backward_of(const real* out, const real* gout, real* ga, Py_ssize_t n,
                              bint overwrite) noexcept nogil:
    cdef Py_ssize_t i
    if overwrite:
        for i in range(n):
            ga[i] = <real>(gout[i] * sigmoid_slope(out[i]))
    else:
        for i in range(n):
            ga[i] = <real>(ga[i] + gout[i] * sigmoid_slope(out[i]))


cdef void unary_forward(int op, bint single, const void* a, void* out, Py_ssize_t n,
                        double lo, double hi) noexcept nogil:
    if single:
        unary_forward_of(op, <const float*>a, <float*>out, n, lo, hi)
    else:
        unary_forward_of(op, <const double*>a, <double*>out, n, lo, hi)


cdef void unary_backward(int op, bint single, const void* a, const void* out,
                         const void* gout, void* ga, Py_ssize_t n,
                         double lo, double hi, bint overwrite) noexcept nogil:
    if single:
        unary_backward_of(op, <const float*>a, <const float*>out, <const float*>gout,
                          <float*>ga, n, lo, hi, overwrite)
    else:
        unary_backward_of(op, <const double*>a, <const double*>out, <const double*>gout,
                          <double*>ga, n, lo, hi, overwrite)


# ---------------------------------------------------------------- reductions

cdef void sum_forward_of(const real* x, real* out, Py_ssize_t outer, Py_ssize_t n,
                         Py_ssize_t inner, double scale) noexcept nogil:
    """out[o, j] = scale · Σ_i x[o, i, j], summed in double."""
    cdef Py_ssize_t o, i, j
    cdef const real* row
    cdef real* dst
    cdef double total
    if inner == 1:
        for o in range(outer):
            row = x + o * n
            total = 0.0
            for i in range(n):
                total += row[i]
            out[o] = <real>(total * scale)
        return
    if real is double:
        for o in range(outer):
            dst = out + o * inner
            for j in range(inner):
                dst[j] = 0.0
            for i in range(n):
                row = x + (o * n + i) * inner
                for j in range(inner):
                    dst[j] += row[j]
            for j in range(inner):
                dst[j] *= scale
    else:
        # float32 sums down a column, one column at a time, in double
        for o in range(outer):
            for j in range(inner):
                total = 0.0
                for i in range(n):
                    total += x[(o * n + i) * inner + j]
                out[o * inner + j] = <real>(total * scale)


cdef void sum_backward_of(const real* gout, real* gx, Py_ssize_t outer, Py_ssize_t n,
                          Py_ssize_t inner, double scale) noexcept nogil:
    """gx[o, i, j] += scale · gout[o, j]."""
    cdef Py_ssize_t o, i, j
    cdef real* row
    cdef const real* src
    for o in range(outer):
        src = gout + o * inner
        for i in range(n):
            row = gx + (o * n + i) * inner
            for j in range(inner):
                row[j] = <real>(row[j] + scale * src[j])


cdef void argextreme_forward_of(const real* x, real* out, Py_ssize_t* where,
                                Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner,
                                bint want_max) noexcept nogil:
    """out[o, j] = max (or min) over i of x[o, i, j]; where[o, j] = the flat offset of
    the FIRST selected element (NumPy's argmax order; a nan wins, as in NumPy)."""
    cdef Py_ssize_t o, i, j, best_at, at
    cdef real best, v
    for o in range(outer):
        for j in range(inner):
            best_at = o * n * inner + j
            best = x[best_at]
            if not isnan(best):
                for i in range(1, n):
                    at = (o * n + i) * inner + j
                    v = x[at]
                    if isnan(v):
                        best, best_at = v, at
                        break
                    if (v > best) if want_max else (v < best):
                        best, best_at = v, at
            out[o * inner + j] = best
            where[o * inner + j] = best_at


cdef void sum_forward(bint single, const void* x, void* out, Py_ssize_t outer,
                      Py_ssize_t n, Py_ssize_t inner, double scale) noexcept nogil:
    if single:
        sum_forward_of(<const float*>x, <float*>out, outer, n, inner, scale)
    else:
        sum_forward_of(<const double*>x, <double*>out, outer, n, inner, scale)


cdef void sum_backward(bint single, const void* gout, void* gx, Py_ssize_t outer,
                       Py_ssize_t n, Py_ssize_t inner, double scale) noexcept nogil:
    if single:
        sum_backward_of(<const float*>gout, <float*>gx, outer, n, inner, scale)
    else:
        sum_backward_of(<const double*>gout, <double*>gx, outer, n, inner, scale)


cdef void argextreme_forward(bint single, const void* x, void* out, Py_ssize_t* where,
                             Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner,
                             bint want_max) noexcept nogil:
    if single:
        argextreme_forward_of(<const float*>x, <float*>out, where, outer, n, inner, want_max)
    else:
        argextreme_forward_of(<const double*>x, <double*>out, where, outer, n, inner, want_max)


cdef void argextreme_backward(bint single, const void* gout, void* gx,
                              const Py_ssize_t* where, Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t k
    if single:
        for k in range(count):
            (<float*>gx)[where[k]] += (<const float*>gout)[k]
    else:
        for k in range(count):
            (<double*>gx)[where[k]] += (<const double*>gout)[k]


# ---------------------------------------------------------------- buffers

cdef void add_into_of(real* dst, const real* src, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dst[i] += src[i]


cdef void add_into(bint single, void* dst, const void* src, Py_ssize_t n) noexcept nogil:
    if single:
        add_into_of(<float*>dst, <const float*>src, n)
    else:
        add_into_of(<double*>dst, <const double*>src, n)


cdef void fill(bint single, void* dst, double value, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef float value32 = <float>value
    if single:
        for i in range(n):
            (<float*>dst)[i] = value32
    else:
        for i in range(n):
            (<double*>dst)[i] = value


cdef void convert(bint dst_single, void* dst, bint src_single, const void* src,
                  Py_ssize_t n) noexcept nogil:
    """dst[i] = src[i], rounded to float32 when dst is float32."""
    cdef Py_ssize_t i
    if dst_single == src_single:
        memcpy(dst, src, n * (sizeof(float) if dst_single else sizeof(double)))
    elif dst_single:
        for i in range(n):
            (<float*>dst)[i] = <float>(<const double*>src)[i]
    else:
        for i in range(n):
            (<double*>dst)[i] = (<const float*>src)[i]


cdef void add_convert(bint dst_single, void* dst, bint src_single, const void* src,
                      Py_ssize_t n) noexcept nogil:
    """dst[i] += src[i] across dtypes (the sum is rounded to dst's dtype)."""
    cdef Py_ssize_t i
    if dst_single == src_single:
        add_into(dst_single, dst, src, n)
    elif dst_single:
        for i in range(n):
            (<float*>dst)[i] = <float>((<float*>dst)[i] + (<const double*>src)[i])
    else:
        for i in range(n):
            (<double*>dst)[i] += (<const float*>src)[i]


# ---------------------------------------------------------------- fused training ops

cdef double softmax_cross_entropy_forward_of(const real* z, const real* t, double* p,
                                             double* lse, double* t_sum, Py_ssize_t rows,
                                             Py_ssize_t cols) noexcept nogil:
    """Σₙ Σₖ tₙₖ·log_softmax(zₙ)ₖ over the rows of z, in double, with
    log_softmax(z)ₖ = zₖ − lse, lse = m + log Σⱼ e^(zⱼ − m), m = max z: no exponent is
    positive and the sum is >= 1, so nothing overflows or rounds to log 0. Fills p with
    each row's softmax (the SIMD exp of the array ops), lse and t_sum[n] = Σₖ tₙₖ."""
    cdef Py_ssize_t r, k
    cdef const real* zr
    cdef const real* tr
    cdef double* pr
    cdef double m, s, log_norm, dot, targets, total = 0.0
    for r in range(rows):
        zr = z + r * cols
        tr = t + r * cols
        pr = p + r * cols
        m = zr[0]
        for k in range(1, cols):
            if zr[k] > m:
                m = zr[k]
        for k in range(cols):
            pr[k] = zr[k] - m
        smolml_exp(pr, pr, cols)
        s = 0.0
        for k in range(cols):
            s += pr[k]
        log_norm = m + log(s)
        dot = 0.0
        targets = 0.0
        for k in range(cols):
            pr[k] /= s
            dot += tr[k] * (zr[k] - log_norm)
            targets += tr[k]
        total += dot
        lse[r] = log_norm
        t_sum[r] = targets
    return total


cdef void softmax_cross_entropy_backward_of(const real* z, const double* p, const double* lse,
                                            const double* t_sum, const real* t, real* gz,
                                            real* gt, Py_ssize_t rows, Py_ssize_t cols,
                                            double scale) noexcept nogil:
    """gz[n, k] += scale · (p[n, k] · t_sum[n] − t[n, k]) and gt[n, k] −= scale ·
    (z[n, k] − lse[n]), each skipped when NULL."""
    cdef Py_ssize_t r, k, i
    if gz != NULL:
        for r in range(rows):
            for k in range(cols):
                i = r * cols + k
                gz[i] = <real>(gz[i] + scale * (p[i] * t_sum[r] - t[i]))
    if gt != NULL:
        for r in range(rows):
            for k in range(cols):
                i = r * cols + k
                gt[i] = <real>(gt[i] - scale * (z[i] - lse[r]))


cdef double softmax_cross_entropy_forward(bint single, const void* z, const void* t,
                                          double* p, double* lse, double* t_sum,
                                          Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    if single:
        return softmax_cross_entropy_forward_of(<const float*>z, <const float*>t, p, lse,
                                                t_sum, rows, cols)
    return softmax_cross_entropy_forward_of(<const double*>z, <const double*>t, p, lse,
                                            t_sum, rows, cols)


cdef void softmax_cross_entropy_backward(bint single, const void* z, const double* p,
                                         const double* lse, const double* t_sum,
                                         const void* t, void* gz, void* gt, Py_ssize_t rows,
                                         Py_ssize_t cols, double scale) noexcept nogil:
    if single:
        softmax_cross_entropy_backward_of(<const float*>z, p, lse, t_sum, <const float*>t,
                                          <float*>gz, <float*>gt, rows, cols, scale)
    else:
        softmax_cross_entropy_backward_of(<const double*>z, p, lse, t_sum, <const double*>t,
                                          <double*>gz, <double*>gt, rows, cols, scale)


cdef void dropout_of(const real* x, const unsigned char* keep, real* out, Py_ssize_t n,
                     double scale, bint add) noexcept nogil:
    """out[i] (+)= x[i] · (scale if keep[i] else 0): a product, as the pure backend's
    x * mask, so inf or nan in a dropped element still gives nan."""
    cdef Py_ssize_t i
    cdef real kept = <real>scale
    cdef real dropped = 0
    if add:
        for i in range(n):
            out[i] = out[i] + x[i] * (kept if keep[i] else dropped)
    else:
        for i in range(n):
            out[i] = x[i] * (kept if keep[i] else dropped)


cdef void dropout(bint single, const void* x, const unsigned char* keep, void* out,
                  Py_ssize_t n, double scale, bint add) noexcept nogil:
    if single:
        dropout_of(<const float*>x, keep, <float*>out, n, scale, add)
    else:
        dropout_of(<const double*>x, keep, <double*>out, n, scale, add)
