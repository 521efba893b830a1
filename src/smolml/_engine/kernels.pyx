# cython: language_level=3, cdivision=True
"""C loops over contiguous float64 buffers: elementwise ops with broadcasting, their
derivatives, and reductions. No Python objects here, so callers release the GIL."""
from libc.math cimport exp, log, sqrt, fabs, tanh, pow, isnan, copysign
from libc.string cimport memset

# ---------------------------------------------------------------- scalar math

cdef double binary_value(int op, double a, double b) noexcept nogil:
    if op == EW_ADD:
        return a + b
    if op == EW_SUB:
        return a - b
    if op == EW_MUL:
        return a * b
    if op == EW_DIV:
        return a / b            # IEEE: x/0 is ±inf, 0/0 is nan (cdivision)
    return pow(a, b)            # EW_POW; C99 pow gives nan for (-8)**(1/3), inf for 0**-1


cdef void binary_partials(int op, double a, double b, double out,
                          bint want_a, bint want_b, double* da, double* db) noexcept nogil:
    """d out/d a and d out/d b at (a, b); `out` is the forward result."""
    if op == EW_ADD:
        da[0] = 1.0
        db[0] = 1.0
    elif op == EW_SUB:
        da[0] = 1.0
        db[0] = -1.0
    elif op == EW_MUL:
        da[0] = b
        db[0] = a
    elif op == EW_DIV:
        da[0] = 1.0 / b
        db[0] = -a / (b * b)
    else:                       # EW_POW: d/da = b·a^(b-1) (0 where b == 0), d/db = a^b·ln a
        if want_a:
            da[0] = 0.0 if b == 0.0 else b * pow(a, b - 1.0)
        if want_b:
            db[0] = out * log(a)


cdef inline double fast_tanh(double a) noexcept nogil:
    """tanh in one exp where that is exact enough: for |a| >= 0.55 the result is at least
    0.5, so 1 - 2/(e^2|a| + 1) loses nothing to cancellation (within 2 ulp of libm's);
    below that, libm's tanh. About twice as fast as libm's tanh alone."""
    cdef double m = fabs(a)
    if m < 0.55 or isnan(a):
        return tanh(a)
    if m > 20.0:                # tanh(20) is 1 to the last bit
        return copysign(1.0, a)
    return copysign(1.0 - 2.0 / (exp(2.0 * m) + 1.0), a)


cdef inline double sigmoid(double a) noexcept nogil:
    cdef double e
    if a >= 0.0:
        return 1.0 / (1.0 + exp(-a))
    e = exp(a)                  # a < 0: e^a cannot overflow
    return e / (1.0 + e)


cdef double unary_value(int op, double a, double lo, double hi) noexcept nogil:
    if op == EW_NEG:
        return -a
    if op == EW_EXP:
        return exp(a)
    if op == EW_LOG:
        return log(a)           # log(0) = -inf, log(<0) = nan
    if op == EW_SQRT:
        return sqrt(a)
    if op == EW_ABS:
        return fabs(a)
    if op == EW_RELU:
        return 0.0 if a <= 0.0 else a       # nan stays nan, as NumPy's maximum(x, 0)
    if op == EW_TANH:
        return fast_tanh(a)
    if op == EW_SIGMOID:
        return sigmoid(a)
    # EW_CLIP: min(max(a, lo), hi) as NumPy's clip; bounds are ±inf when not given
    if a < lo:
        a = lo
    if a > hi:
        a = hi
    return a


cdef double unary_partial(int op, double a, double out, double lo, double hi) noexcept nogil:
    if op == EW_NEG:
        return -1.0
    if op == EW_EXP:
        return out
    if op == EW_LOG:
        return 1.0 / a
    if op == EW_SQRT:
        return 0.5 / out
    if op == EW_ABS:
        return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)
    if op == EW_RELU:
        return 1.0 if a > 0.0 else 0.0
    if op == EW_TANH:
        return 1.0 - out * out
    if op == EW_SIGMOID:
        return out * (1.0 - out)
    return 1.0 if (lo <= a and a <= hi) else 0.0     # EW_CLIP, inclusive bounds


# ---------------------------------------------------------------- binary, broadcasting

cdef inline void row_forward(int op, const double* a, Py_ssize_t sa, const double* b,
                             Py_ssize_t sb, double* out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if op == EW_ADD:
        for i in range(n):
            out[i] = a[i * sa] + b[i * sb]
    elif op == EW_SUB:
        for i in range(n):
            out[i] = a[i * sa] - b[i * sb]
    elif op == EW_MUL:
        for i in range(n):
            out[i] = a[i * sa] * b[i * sb]
    elif op == EW_DIV:
        for i in range(n):
            out[i] = a[i * sa] / b[i * sb]
    else:
        for i in range(n):
            out[i] = binary_value(op, a[i * sa], b[i * sb])


cdef inline void row_backward(int op, const double* a, Py_ssize_t sa, const double* b,
                              Py_ssize_t sb, const double* out, const double* gout,
                              double* ga, double* gb, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef double da = 0.0, db = 0.0, g
    cdef bint want_a = ga != NULL, want_b = gb != NULL
    if op == EW_ADD or op == EW_SUB:
        if want_a:
            for i in range(n):
                ga[i * sa] += gout[i]
        if want_b:
            if op == EW_ADD:
                for i in range(n):
                    gb[i * sb] += gout[i]
            else:
                for i in range(n):
                    gb[i * sb] -= gout[i]
    elif op == EW_MUL:
        if want_a:
            for i in range(n):
                ga[i * sa] += gout[i] * b[i * sb]
        if want_b:
            for i in range(n):
                gb[i * sb] += gout[i] * a[i * sa]
    else:
        for i in range(n):
            g = gout[i]
            binary_partials(op, a[i * sa], b[i * sb], out[i], want_a, want_b, &da, &db)
            if want_a:
                ga[i * sa] += g * da
            if want_b:
                gb[i * sb] += g * db


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


cdef void binary_forward(int op, const double* a, const double* b, double* out,
                         const Broadcast* bc) noexcept nogil:
    cdef Py_ssize_t index[MAX_NDIM]
    cdef Py_ssize_t oa = 0, ob = 0, o = 0, n
    if bc.size == 0:
        return
    if bc.ndim == 0:
        out[0] = binary_value(op, a[0], b[0])
        return
    n = bc.shape[bc.ndim - 1]
    memset(index, 0, sizeof(index))
    while True:
        row_forward(op, a + oa, bc.stride_a[bc.ndim - 1], b + ob,
                    bc.stride_b[bc.ndim - 1], out + o, n)
        o += n
        if not next_row(bc, index, &oa, &ob):
            break


cdef void binary_backward(int op, const double* a, const double* b, const double* out,
                          const double* gout, double* ga, double* gb,
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


# ---------------------------------------------------------------- unary

cdef void unary_forward(int op, const double* a, double* out, Py_ssize_t n,
                        double lo, double hi) noexcept nogil:
    cdef Py_ssize_t i
    if op == EW_RELU:
        for i in range(n):
            out[i] = 0.0 if a[i] <= 0.0 else a[i]
    elif op == EW_EXP:
        for i in range(n):
            out[i] = exp(a[i])
    elif op == EW_TANH:
        for i in range(n):
            out[i] = fast_tanh(a[i])
    else:
        for i in range(n):
            out[i] = unary_value(op, a[i], lo, hi)


cdef void unary_backward(int op, const double* a, const double* out, const double* gout,
                         double* ga, Py_ssize_t n, double lo, double hi) noexcept nogil:
    cdef Py_ssize_t i
    if op == EW_RELU:
        # multiply even by 0, as every rule does: an inf or nan gradient stays nan
        for i in range(n):
            ga[i] += gout[i] * (1.0 if a[i] > 0.0 else 0.0)
    elif op == EW_TANH:
        for i in range(n):
            ga[i] += gout[i] * (1.0 - out[i] * out[i])
    elif op == EW_SIGMOID:
        for i in range(n):
            ga[i] += gout[i] * out[i] * (1.0 - out[i])
    else:
        for i in range(n):
            ga[i] += gout[i] * unary_partial(op, a[i], out[i], lo, hi)


# ---------------------------------------------------------------- reductions

cdef void sum_forward(const double* x, double* out, Py_ssize_t outer, Py_ssize_t n,
                      Py_ssize_t inner, double scale) noexcept nogil:
    """out[o, j] = scale · Σ_i x[o, i, j]."""
    cdef Py_ssize_t o, i, j
    cdef const double* row
    cdef double* dst
    cdef double total
    if inner == 1:
        for o in range(outer):
            row = x + o * n
            total = 0.0
            for i in range(n):
                total += row[i]
            out[o] = total * scale
        return
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


cdef void sum_backward(const double* gout, double* gx, Py_ssize_t outer, Py_ssize_t n,
                       Py_ssize_t inner, double scale) noexcept nogil:
    """gx[o, i, j] += scale · gout[o, j]."""
    cdef Py_ssize_t o, i, j
    cdef double* row
    cdef const double* src
    for o in range(outer):
        src = gout + o * inner
        for i in range(n):
            row = gx + (o * n + i) * inner
            for j in range(inner):
                row[j] += scale * src[j]


cdef void argextreme_forward(const double* x, double* out, Py_ssize_t* where,
                             Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner,
                             bint want_max) noexcept nogil:
    """out[o, j] = max (or min) over i of x[o, i, j]; where[o, j] = the flat offset of
    the FIRST selected element (NumPy's argmax order; a nan wins, as in NumPy)."""
    cdef Py_ssize_t o, i, j, best_at, at
    cdef double best, v
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


cdef void argextreme_backward(const double* gout, double* gx, const Py_ssize_t* where,
                              Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(count):
        gx[where[k]] += gout[k]


# ---------------------------------------------------------------- buffers

cdef void add_into(double* dst, const double* src, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dst[i] += src[i]


cdef void fill(double* dst, double value, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dst[i] = value
