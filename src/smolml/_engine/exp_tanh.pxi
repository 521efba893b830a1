# exp and tanh over buffers of float64 and float32 (included by kernels.pyx).
#
# libm's exp and tanh are one call per element; over an array that is most of a tanh
# layer's time. The loops below are straight-line arithmetic instead: a range reduction
# e^y = 2^k·e^r with |r| <= ln2/2, e^r − 1 by its Taylor polynomial, and 2^k built in
# the exponent bits. No branch, so the C compiler turns them into SIMD loops; float32
# arrays compute in float (half the polynomial, twice the lanes). They are within 4 ulp
# (float64) and 2 ulp (float32) of libm. Arguments outside the polynomial's range (and
# nan) are redone after: by libm for exp, in a second pass that only runs if the first
# saw any; as ±1 for tanh, a conditional store that vector instruction sets with masked
# stores (AVX2, AVX-512) also run as SIMD code. A scalar Value's exp and tanh run the
# same loops for one element, so a Value and an array's element agree to the bit (and
# the pure backend, which calls libm, within the ulps above).
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
