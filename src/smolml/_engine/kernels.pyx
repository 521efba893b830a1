# cython: language_level=3, cdivision=True
"""C loops over contiguous float64 and float32 buffers: elementwise ops with
broadcasting, their derivatives, and reductions. No Python objects here, so callers
release the GIL.

Each buffer kernel is written once over the fused type `real` (float or double); the
functions graph.pyx calls take untyped buffers and pick the float or double version."""
from libc.math cimport exp, log, sqrt, fabs, fabsf, tanh, pow, isnan, copysign, copysignf
from libc.string cimport memcpy, memset

ctypedef fused real:
    float
    double

# ---------------------------------------------------------------- scalar math

cdef double binary_value(int op, double a, double b) noexcept nogil:
    if op == OP_ADD:
        return a + b
    if op == OP_SUB:
        return a - b
    if op == OP_MUL:
        return a * b
    if op == OP_DIV:
        return a / b            # IEEE: x/0 is ±inf, 0/0 is nan (cdivision)
    return pow(a, b)            # OP_POW; C99 pow gives nan for (-8)**(1/3), inf for 0**-1


cdef void binary_partials(int op, double a, double b, double out,
                          bint want_a, bint want_b, double* da, double* db) noexcept nogil:
    """d out/d a and d out/d b at (a, b); `out` is the forward result."""
    if op == OP_ADD:
        da[0] = 1.0
        db[0] = 1.0
    elif op == OP_SUB:
        da[0] = 1.0
        db[0] = -1.0
    elif op == OP_MUL:
        da[0] = b
        db[0] = a
    elif op == OP_DIV:
        da[0] = 1.0 / b
        db[0] = -a / (b * b)
    else:                       # OP_POW: d/da = b·a^(b-1) (0 where b == 0), d/db = a^b·ln a
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
    if op == OP_NEG:
        return -a
    if op == OP_EXP:
        return exp(a)
    if op == OP_LOG:
        return log(a)           # log(0) = -inf, log(<0) = nan
    if op == OP_SQRT:
        return sqrt(a)
    if op == OP_ABS:
        return fabs(a)
    if op == OP_RELU:
        return 0.0 if a <= 0.0 else a       # nan stays nan, as NumPy's maximum(x, 0)
    if op == OP_TANH:
        return fast_tanh(a)
    if op == OP_SIGMOID:
        return sigmoid(a)
    # OP_CLIP: min(max(a, lo), hi) as NumPy's clip; bounds are ±inf when not given
    if a < lo:
        a = lo
    if a > hi:
        a = hi
    return a


cdef double unary_partial(int op, double a, double out, double lo, double hi) noexcept nogil:
    if op == OP_NEG:
        return -1.0
    if op == OP_EXP:
        return out
    if op == OP_LOG:
        return 1.0 / a
    if op == OP_SQRT:
        return 0.5 / out
    if op == OP_ABS:
        return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)
    if op == OP_RELU:
        return 1.0 if a > 0.0 else 0.0
    if op == OP_TANH:
        return 1.0 - out * out
    if op == OP_SIGMOID:
        return out * (1.0 - out)
    return 1.0 if (lo <= a and a <= hi) else 0.0     # OP_CLIP, inclusive bounds


# ---------------------------------------------------------------- exp and tanh of arrays
#
# libm's exp and tanh are one call per element; over an array that is most of a tanh
# layer's time. The loops below are straight-line arithmetic instead: a range reduction
# e^y = 2^k·e^r with |r| <= ln2/2, e^r − 1 by its Taylor polynomial, and 2^k built in
# the exponent bits. No branch, so the C compiler turns them into SIMD loops; float32
# arrays compute in float (half the polynomial, twice the lanes). They are within 4 ulp
# (float64) and 2 ulp (float32) of libm. Arguments outside the polynomial's range (and
# nan) are redone after: by libm for exp, in a second pass that only runs if the first
# saw any; as ±1 for tanh, a conditional store that vector instruction sets with masked
# stores (AVX2, AVX-512) also run as SIMD code.
#
# They are written in C because of one thing Cython cannot say: on x86-64 Linux with
# GCC each function is also compiled for AVX-512 and for AVX2 (`target_clones`) and the
# loader picks the widest version the CPU supports, so one portable wheel still gets
# the wider vectors.

cdef extern from *:
    """
    #include <math.h>
    #include <stdint.h>
    #include <string.h>
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \
        && defined(__linux__) && defined(__GLIBC__)
    #define SMOLML_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define SMOLML_SIMD_CLONES
    #endif

    /* e^x is a normal number for x in (LO, HI); tanh is 1 to the last bit past SAT. */
    #define SMOLML_EXP_LO -708.0
    #define SMOLML_EXP_HI 709.0
    #define SMOLML_TANH_SAT 20.0
    #define SMOLML_EXP_LO_F -87.0f
    #define SMOLML_EXP_HI_F 88.0f
    #define SMOLML_TANH_SAT_F 10.0f

    /* e^r - 1 for |r| <= ln2/2: Taylor to r^13 (double), r^8 (float). */
    static inline double smolml_expm1_reduced(double r) {
        double p = 1.0 / 6227020800.0;
        p = p * r + 1.0 / 479001600.0;  p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;    p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;      p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;         p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        return r + r * r * p;
    }
    static inline float smolml_expm1_reduced_f(float r) {
        float p = 1.0f / 40320.0f;
        p = p * r + 1.0f / 5040.0f;  p = p * r + 1.0f / 720.0f;  p = p * r + 1.0f / 120.0f;
        p = p * r + 1.0f / 24.0f;    p = p * r + 1.0f / 6.0f;    p = p * r + 0.5f;
        return r + r * r * p;
    }

    /* y = k ln2 + r: writes 2^k to *scale, returns r. Adding 1.5*2^52 (1.5*2^23)
       rounds y/ln2 to the integer k, which then sits in the low significand bits;
       ln2 is split in a high part with trailing zero bits, so that k times it is
       exact, and a low part. */
    static inline double smolml_reduce(double y, double *scale) {
        const double rounder = 6755399441055744.0;
        double shifted = y * 1.4426950408889634074 + rounder, k = shifted - rounder;
        uint64_t bits, rounder_bits;
        memcpy(&bits, &shifted, 8);
        memcpy(&rounder_bits, &rounder, 8);
        bits = (bits - rounder_bits + 1023) << 52;
        memcpy(scale, &bits, 8);
        return (y - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    }
    static inline float smolml_reduce_f(float y, float *scale) {
        const float rounder = 12582912.0f;
        float shifted = y * 1.44269504f + rounder, k = shifted - rounder;
        uint32_t bits, rounder_bits;
        memcpy(&bits, &shifted, 4);
        memcpy(&rounder_bits, &rounder, 4);
        bits = (bits - rounder_bits + 127) << 23;
        memcpy(scale, &bits, 4);
        return (y - k * 0.693145751953125f) - k * 1.428606765330187045e-06f;
    }

    /* out = e^a. Outside (LO, HI) the result overflows, is subnormal or nan: there the
       polynomial's number is replaced by libm's, in a second pass that runs only if the
       first (which counts such arguments without a branch) found any. */
    SMOLML_SIMD_CLONES static int smolml_exp_poly(const double *a, double *out,
                                                  Py_ssize_t n) {
        int outside = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            double scale, r = smolml_reduce(a[i], &scale);
            out[i] = scale + scale * smolml_expm1_reduced(r);
            outside |= (a[i] > SMOLML_EXP_LO) + (a[i] < SMOLML_EXP_HI) != 2;
        }
        return outside;
    }
    SMOLML_SIMD_CLONES static int smolml_exp_poly_f(const float *a, float *out,
                                                    Py_ssize_t n) {
        int outside = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            float scale, r = smolml_reduce_f(a[i], &scale);
            out[i] = scale + scale * smolml_expm1_reduced_f(r);
            outside |= (a[i] > SMOLML_EXP_LO_F) + (a[i] < SMOLML_EXP_HI_F) != 2;
        }
        return outside;
    }
    static void smolml_exp(const double *a, double *out, Py_ssize_t n) {
        if (smolml_exp_poly(a, out, n))
            for (Py_ssize_t i = 0; i < n; i++)
                if (!(a[i] > SMOLML_EXP_LO && a[i] < SMOLML_EXP_HI))
                    out[i] = exp(a[i]);
    }
    static void smolml_exp_f(const float *a, float *out, Py_ssize_t n) {
        if (smolml_exp_poly_f(a, out, n))
            for (Py_ssize_t i = 0; i < n; i++)
                if (!(a[i] > SMOLML_EXP_LO_F && a[i] < SMOLML_EXP_HI_F))
                    out[i] = (float)exp(a[i]);
    }

    /* out = tanh a = e / (e + 2) with e = e^(2|a|) - 1, which loses nothing near 0.
       Past SAT it is ±1 (also for ±inf); nan stays nan. */
    SMOLML_SIMD_CLONES static void smolml_tanh(const double *a, double *out, Py_ssize_t n) {
        for (Py_ssize_t i = 0; i < n; i++) {
            double scale, r = smolml_reduce(2.0 * fabs(a[i]), &scale);
            double e = scale * smolml_expm1_reduced(r) + (scale - 1.0);
            out[i] = copysign(e / (e + 2.0), a[i]);
        }
        for (Py_ssize_t i = 0; i < n; i++)
            if (!(fabs(a[i]) <= SMOLML_TANH_SAT))
                out[i] = a[i] == a[i] ? copysign(1.0, a[i]) : a[i];
    }
    SMOLML_SIMD_CLONES static void smolml_tanh_f(const float *a, float *out, Py_ssize_t n) {
        for (Py_ssize_t i = 0; i < n; i++) {
            float scale, r = smolml_reduce_f(2.0f * fabsf(a[i]), &scale);
            float e = scale * smolml_expm1_reduced_f(r) + (scale - 1.0f);
            out[i] = copysignf(e / (e + 2.0f), a[i]);
        }
        for (Py_ssize_t i = 0; i < n; i++)
            if (!(fabsf(a[i]) <= SMOLML_TANH_SAT_F))
                out[i] = a[i] == a[i] ? copysignf(1.0f, a[i]) : a[i];
    }
    """
    void smolml_exp(const double* a, double* out, Py_ssize_t n) noexcept nogil
    void smolml_exp_f(const float* a, float* out, Py_ssize_t n) noexcept nogil
    void smolml_tanh(const double* a, double* out, Py_ssize_t n) noexcept nogil
    void smolml_tanh_f(const float* a, float* out, Py_ssize_t n) noexcept nogil


cdef inline void exp_of(const real* a, real* out, Py_ssize_t n) noexcept nogil:
    if real is float:
        smolml_exp_f(a, out, n)
    else:
        smolml_exp(a, out, n)


cdef inline void tanh_of(const real* a, real* out, Py_ssize_t n) noexcept nogil:
    if real is float:
        smolml_tanh_f(a, out, n)
    else:
        smolml_tanh(a, out, n)


# ---------------------------------------------------------------- binary, broadcasting

cdef inline real arithmetic(int op, real x, real y) noexcept nogil:
    if op == OP_ADD:
        return x + y
    if op == OP_SUB:
        return x - y
    if op == OP_MUL:
        return x * y
    return x / y                # OP_DIV


cdef inline void row_forward(int op, const real* a, Py_ssize_t sa, const real* b,
                             Py_ssize_t sb, real* out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real x, y
    # The common layouts get loops with unit strides (and the op hoisted out of them by
    # the compiler), which it turns into SIMD code: same shapes, and a scalar on either side.
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
    elif op == OP_ADD:
        for i in range(n):
            out[i] = a[i * sa] + b[i * sb]
    elif op == OP_SUB:
        for i in range(n):
            out[i] = a[i * sa] - b[i * sb]
    elif op == OP_MUL:
        for i in range(n):
            out[i] = a[i * sa] * b[i * sb]
    elif op == OP_DIV:
        for i in range(n):
            out[i] = a[i * sa] / b[i * sb]
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
    cdef double da = 0.0, db = 0.0, g
    cdef bint want_a = ga != NULL, want_b = gb != NULL
    if op == OP_ADD or op == OP_SUB:
        if want_a:
            add_row(ga, sa, gout, n, 1.0)
        if want_b:
            add_row(gb, sb, gout, n, 1.0 if op == OP_ADD else -1.0)
    elif op == OP_MUL:
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
                ga[i * sa] = <real>(ga[i * sa] + g * da)
            if want_b:
                gb[i * sb] = <real>(gb[i * sb] + g * db)


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
            out[i] = 0.0 if a[i] <= 0.0 else a[i]
    elif op == OP_EXP:
        exp_of(a, out, n)
    elif op == OP_TANH:
        tanh_of(a, out, n)
    else:
        for i in range(n):
            out[i] = <real>unary_value(op, a[i], lo, hi)


cdef void unary_backward_of(int op, const real* a, const real* out, const real* gout,
                            real* ga, Py_ssize_t n, double lo, double hi,
                            bint overwrite) noexcept nogil:
    """ga += gout · f', or ga = gout · f' into a target that held zeros (overwrite): the
    same numbers, 0 + x being x up to the sign of a zero, without reading ga."""
    cdef Py_ssize_t i
    if op == OP_RELU:
        # multiply even by 0, as every rule does: an inf or nan gradient stays nan
        if overwrite:
            for i in range(n):
                ga[i] = gout[i] * (1.0 if a[i] > 0.0 else 0.0)
        else:
            for i in range(n):
                ga[i] += gout[i] * (1.0 if a[i] > 0.0 else 0.0)
    elif op == OP_TANH:
        if overwrite:
            for i in range(n):
                ga[i] = gout[i] * (1.0 - out[i] * out[i])
        else:
            for i in range(n):
                ga[i] += gout[i] * (1.0 - out[i] * out[i])
    elif op == OP_SIGMOID:
        if overwrite:
            for i in range(n):
                ga[i] = gout[i] * out[i] * (1.0 - out[i])
        else:
            for i in range(n):
                ga[i] += gout[i] * out[i] * (1.0 - out[i])
    elif overwrite:
        for i in range(n):
            ga[i] = <real>(gout[i] * unary_partial(op, a[i], out[i], lo, hi))
    else:
        for i in range(n):
            ga[i] = <real>(ga[i] + gout[i] * unary_partial(op, a[i], out[i], lo, hi))


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
