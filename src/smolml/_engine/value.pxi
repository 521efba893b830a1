# The Value class (included by graph.pyx): a scalar node, as the pure backend's Value.


@cython.no_gc
cdef class Value(Node):
    """A scalar node of the autograd graph (engine backend): a 0-d Node whose number and
    gradient live inline in the object.

    `Value(2.0)` is a leaf; arithmetic and `exp log sqrt abs relu tanh sigmoid` make new
    nodes; `y.backward()` adds d(y)/d(node) to `.grad` of every node y depends on.
    """
    _smolml_backend = NAME

    def __init__(self, data, _children=(), _op="", requires_grad=True):
        if self.op == OP_ELEMENT:
            raise RuntimeError("cannot re-initialize a Value that is a handle onto an "
                               "MLArray's element; make a new Value instead")
        if not is_real(data):
            raise TypeError(f"Value needs a real number; got {_shapes.describe(data)}")
        if self.op != OP_LEAF or self.extra is not None:
            cut_history(self)           # run again on a made Value: a new leaf, as pure's
        self.inline_value = float(data)
        self.inline_grad = 0.0
        self.requires_grad = bool(requires_grad)
        if _children:
            user_node(self, tuple(_children), str(_op))

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
        return load(grad_to_read(self), self.single)

    @grad.setter
    def grad(self, x):
        store(grad_to_add(self), self.single, float(x))

    @property
    def _prev(self):
        return prev_of(self)

    @property
    def _op(self):
        if self.op == OP_USER:
            return self.extra
        return OP_NAMES[self.op]

    def backward(self):
        """Add d(self)/d(node) to `.grad` of every node this Value depends on (interior
        nodes start from 0 on each call, leaves accumulate until zeroed)."""
        backpropagate(self)

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
        _shapes.reject_modulo(modulo)
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

    def log1p(self):
        return unary_value_op(OP_LOG1P, self)

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

    def __eq__(self, other):
        if isinstance(other, Value) or is_real(other):
            return value_of(self) == compared(other)
        reject_other_backend(other)
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, Value) or is_real(other):
            return value_of(self) != compared(other)
        reject_other_backend(other)
        return NotImplemented

    def __hash__(self):
        return id(self) >> 4            # identity, as SmolML's: Values live in sets and dicts

    def __float__(self):
        return value_of(self)

    def item(self):
        """The number as a float (as a 0-d array's `item()`)."""
        return value_of(self)

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def __reduce__(self):
        # copy, deepcopy and pickle give a leaf of the same number and gradient
        # (smolml._copying); a handle onto an element copies as a plain Value
        return (_copying.rebuild_value, (NAME, self.data, self.grad, self.requires_grad))


cdef double compared(object other) except? -1.0:
    if isinstance(other, Value):
        return value_of(<Value>other)
    if is_real(other):
        return float(other)
    reject_other_backend(other)
    raise TypeError(f"cannot compare a Value with {_shapes.describe(other)}")
