# The engine's op codes: one per op, grouped by family, in the order of the pure
# backend's op table (smolml/_pure/value.py). A node's `op` field holds one; it picks the
# backward rule (OP_RULES) and the name (`_op`, OP_NAMES) that ops_*.pxi register with
# defop, and kernels.pyx picks the elementwise math by it. Adding an op adds one line
# here, in its family: the codes are numbered by position, so nothing else is kept equal
# by hand.

cdef enum Op:
    OP_LEAF = 0         # made by the user, or history cut by restart()

    # elementwise binary (ops_elementwise.pxi; math in kernels.pyx)
    OP_ADD
    OP_SUB
    OP_MUL
    OP_DIV
    OP_POW

    # elementwise unary (ops_elementwise.pxi; math in kernels.pyx)
    OP_NEG
    OP_EXP
    OP_LOG
    OP_LOG1P
    OP_SQRT
    OP_ABS
    OP_RELU
    OP_TANH
    OP_SIGMOID
    OP_CLIP             # min(max(a, lo), hi); bounds in the node's c0 and c1

    # reductions (ops_reduce.pxi)
    OP_SUM
    OP_MEAN
    OP_MAX
    OP_MIN

    # matmul (ops_matmul.pxi)
    OP_MATMUL
    OP_LINEAR           # a @ b + bias: a matmul whose sum with a bias was fused into it

    # movement and construction (ops_movement.pxi)
    OP_TRANSPOSE
    OP_RESHAPE
    OP_INDEX
    OP_COPY             # MLArray(x) of a Value or MLArray: same numbers, new node
    OP_ASTYPE           # the same numbers in the other dtype
    OP_STACK            # an MLArray built from Values and MLArrays
    OP_ELEMENT          # a Value handle onto one element of an MLArray
    OP_USER             # Value(data, _children, _op) built by hand

    # fused training ops (ops_training.pxi)
    OP_SOFTMAX_CROSS_ENTROPY    # −mean Σ t·log_softmax(z) of logits z, targets t
    OP_DROPOUT          # x · keep · scale; the mask in extra, scale in c0

    OP_COUNT            # number of codes: the size of the op table
