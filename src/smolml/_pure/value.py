"""The pure-Python `Value`: one float, its gradient, and the operation that made it.

Every operation lives in one table, `OPS`, keyed by its name: the forward function
that computes the result from the inputs' floats, and the backward rule that turns
the result's gradient `g` into one gradient contribution per input (chain rule:
dL/dinput = g * dout/dinput). A node stores only its parents (an ordered tuple) and
its op name; backward looks the rule up in the table. No node holds a closure, so a
graph holds no reference cycles and is freed as soon as its last user lets go.

Arithmetic follows IEEE float64, as NumPy does: 1/0 is inf, 0/0 and log(-1) are nan,
log(0) is -inf, exp(1000) is inf. Nothing here raises ZeroDivisionError,
OverflowError or a math-domain ValueError, and nothing becomes complex.

float32: the elements of a float32 MLArray are `Value32` nodes (at the end of this
file), which compute in Python floats like every Value and round the result to the
nearest float32 as they store it.
"""
import math
import operator

from smolml import _backend, _copying
from smolml._dtype import round_float32
from smolml._grad_mode import _mode as _grad_mode, is_grad_enabled, set_grad_enabled  # noqa: F401
from smolml._shapes import describe, is_number, reject_modulo

NAME = "pure"

INF = float("inf")
NAN = float("nan")


# ---------------------------------------------------------------- grad mode

# Per thread: smolml._grad_mode's flag (the engine keeps a C copy of it).
# set_grad_enabled and is_grad_enabled (imported above) are its functions.


# ---------------------------------------------------------------- IEEE float64 math
# Python's float operators raise where IEEE (and NumPy) return inf or nan; these don't.

def ieee_div(a, b):
    """a / b, with x/0 -> ±inf and 0/0 -> nan."""
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return NAN
        # the sign of a zero divisor counts: 1/-0.0 is -inf
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def _is_odd_integer(x):
    x = float(x)
    return x.is_integer() and x % 2.0 == 1.0


def ieee_pow(a, b):
    """a ** b as C's pow: 0 ** -1 -> inf, (-8) ** (1/3) -> nan, 10 ** 400 -> inf."""
    try:
        return math.pow(a, b)
    except OverflowError:
        # the exact result is too large: ±inf, negative only for a negative base
        # raised to an odd integer
        if a < 0.0 and _is_odd_integer(b):
            return -INF
        return INF
    except ValueError:
        if a == 0.0:
            # zero to a negative power; -0.0 to an odd integer power keeps its sign
            if math.copysign(1.0, a) < 0.0 and _is_odd_integer(b):
                return -INF
            return INF
        return NAN   # a negative base to a non-integer power has no real value


def ieee_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def ieee_log(x):
    if x == 0.0:
        return -INF
    if x < 0.0:
        return NAN
    return math.log(x)   # inf -> inf, nan -> nan


def ieee_log1p(x):
    """log(1 + x), exact for tiny x; -inf at -1, nan below."""
    if x == -1.0:
        return -INF
    if x < -1.0:
        return NAN
    return math.log1p(x)   # inf -> inf, nan -> nan


def ieee_sqrt(x):
    if x < 0.0:
        return NAN
    return math.sqrt(x)


def stable_sigmoid(x):
    """1 / (1 + e^-x), written so that e^(large) is never formed."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = ieee_exp(x)
    return e / (1.0 + e)


def relu(x):
    # max(x, 0) with nan propagating, as np.maximum(x, 0)
    if x > 0.0 or math.isnan(x):
        return x
    return 0.0


def sign(x):
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0


def clip(x, low, high):
    # min(max(x, low), high), as np.clip; nan stays nan
    if x < low:
        x = low
    if x > high:
        x = high
    return x


def dot(*xs):
    """Σ a_i·b_i over the first and second halves of xs, summed left to right."""
    k = len(xs) // 2
    total = 0.0
    for i in range(k):
        total += xs[i] * xs[k + i]
    return total


def total(*xs):
    result = 0.0
    for x in xs:
        result += x
    return result


# ---------------------------------------------------------------- the op table
# OPS[name] = (forward, backward)
#   forward(*inputs) -> output                      (floats)
#   backward(g, out, *inputs) -> one gradient per input: g · d(out)/d(input)

OPS = {}


def defop(name, forward, backward):
    OPS[name] = (forward, backward)


def _pow_backward(g, out, a, b):
    # d/da: b·a^(b-1), taken as 0 when b == 0 (a^0 is constant in a, even at a == 0)
    da = g * (0.0 if b == 0.0 else b * ieee_pow(a, b - 1.0))
    # d/db: a^b·log(a); log(0) = -inf makes this nan at a == 0, as IEEE says
    db = g * (out * ieee_log(a))
    return (da, db)


def first_best(xs, better):
    """The index of the first of the numbers `xs` that no later one beats; a nan wins,
    as in NumPy's argmax."""
    best = 0
    for i in range(1, len(xs)):
        if math.isnan(xs[best]):
            break
        if better(xs[i], xs[best]) or math.isnan(xs[i]):
            best = i
    return best


def _to_selected(g, xs, better):
    # max and min: every element is an input, the gradient goes to the selected one and
    # 0 to the others (so a 0 · inf further back is nan, as on the engine and in PyTorch)
    grads = [0.0] * len(xs)
    grads[first_best(xs, better)] = g
    return tuple(grads)


def _dot_backward(g, out, *xs):
    k = len(xs) // 2
    a, b = xs[:k], xs[k:]
    return tuple(g * bi for bi in b) + tuple(g * ai for ai in a)


def _clip_backward(g, out, x, low, high):
    # the slope is 1 inside [low, high] (bounds included) and 0 where x was clamped
    return (g * (1.0 if low <= x <= high else 0.0), 0.0, 0.0)


#      name       forward                       backward
defop("+",       lambda a, b: a + b,           lambda g, out, a, b: (g, g))
defop("-",       lambda a, b: a - b,           lambda g, out, a, b: (g, -g))
defop("*",       lambda a, b: a * b,           lambda g, out, a, b: (g * b, g * a))
defop("/",       ieee_div,                     lambda g, out, a, b: (g * ieee_div(1.0, b),
                                                                     g * ieee_div(-a, b * b)))
defop("**",      ieee_pow,                     _pow_backward)
defop("neg",     lambda a: -a,                 lambda g, out, a: (-g,))
defop("exp",     ieee_exp,                     lambda g, out, a: (g * out,))
defop("log",     ieee_log,                     lambda g, out, a: (g * ieee_div(1.0, a),))
defop("log1p",   ieee_log1p,                   lambda g, out, a: (g * ieee_div(1.0, 1.0 + a),))
defop("sqrt",    ieee_sqrt,                    lambda g, out, a: (g * ieee_div(0.5, out),))
defop("abs",     abs,                          lambda g, out, a: (g * sign(a),))
defop("ReLU",    relu,                         lambda g, out, a: (g * (1.0 if a > 0.0 else 0.0),))
defop("tanh",    math.tanh,                    lambda g, out, a: (g * (1.0 - out * out),))
defop("sigmoid", stable_sigmoid,               lambda g, out, a: (g * (out * (1.0 - out)),))
defop("clip",    clip,                         _clip_backward)
ELEMENTWISE_OPS = tuple(OPS)    # the names above; the engine's list is the same
# ops MLArray builds its array operations from
defop("sum",     total,                        lambda g, out, *xs: (g,) * len(xs))
defop("dot",     dot,                          _dot_backward)
defop("copy",    lambda a: a,                  lambda g, out, a: (g,))
defop("astype",  lambda a: a,                  lambda g, out, a: (g,))   # rounding: the node class
defop("max",     lambda *xs: xs[first_best(xs, operator.gt)],
      lambda g, out, *xs: _to_selected(g, xs, operator.gt))
defop("min",     lambda *xs: xs[first_best(xs, operator.lt)],
      lambda g, out, *xs: _to_selected(g, xs, operator.lt))


# SAVES[name]: which numbers the backward rule of each op reads, for the gradients its
# inputs want: "input" (its input's), "output" (its own), "cross" (for each input, the
# one it was multiplied by: a * b, and the pairs of a dot), "/" and "**" (see
# check_saved). Backward refuses a node whose read numbers were changed in place after
# it was made (as PyTorch does): `_version` counts a Value's in-place changes through
# its arrays, `_saved` holds its inputs' versions from when it was made.
SAVES = {"*": "cross", "dot": "cross", "/": "/", "**": "**", "exp": "output",
         "sqrt": "output", "tanh": "output", "sigmoid": "output", "log": "input",
         "log1p": "input", "abs": "input", "ReLU": "input", "clip": "input"}


def check_saved(node):
    """RuntimeError if a number node's rule will read changed in place since node was made."""
    kind, prev = SAVES[node._op], node._prev
    if kind == "output":
        read, output = (), True
    elif kind == "input":
        read, output = (0,), False
    elif kind == "cross":
        half = len(prev) // 2
        read = [i for i in range(len(prev)) if prev[i + half if i < half else i - half].requires_grad]
        output = False
    elif kind == "/":           # d/da = 1/b, d/db = -a/b²
        read, output = ((0, 1) if prev[1].requires_grad else (1,)), False
    else:                       # "**": d/da = b·a^(b-1), d/db = out·ln a
        read = (0, 1) if prev[0].requires_grad else (0,)
        output = prev[1].requires_grad
    for i in read:
        if prev[i]._version != node._saved[i]:
            _stale(node, "input", prev[i]._version, node._saved[i])
    if output and node._version != 0:
        _stale(node, "output", node._version, 0)


def _stale(node, what, version, expected):
    raise RuntimeError(
        f"one of the arrays needed for gradient computation has been modified by an "
        f"in-place operation: {node._op} {what} (an array element) is at version "
        f"{version}; expected version {expected}")


def topological_order(root):
    """Every node `root` depends on (through nodes that require grad), each after all
    of its parents, found by an explicit depth-first stack (no recursion), parents
    visited in `_prev` order."""
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in reversed(node._prev):   # reversed: the first parent is popped first
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def backpropagate(root):
    """dL/dnode for every node L = root depends on.

    Interior nodes restart from 0 on each call; leaves accumulate across calls
    (SmolML's behaviour: clear them with zero_grad/restart)."""
    order = topological_order(root)
    for node in order:
        if node._saved is not None:
            check_saved(node)       # before any gradient is written
    for node in order:
        if node._prev:
            node.grad = 0.0
    if root.requires_grad:      # a node that tracks nothing keeps grad 0, even as the root
        root.grad += 1.0
    for node in reversed(order):
        if not node._prev:
            continue
        if node._op not in OPS:
            raise NotImplementedError(f"no backward rule for the op {node._op!r}")
        backward = OPS[node._op][1]
        grads = backward(node.grad, node.data, *[p.data for p in node._prev])
        for parent, grad in zip(node._prev, grads):
            if parent.requires_grad:
                parent.grad += grad


# ---------------------------------------------------------------- Value

class Value:
    """A scalar node of the autograd graph.

    `data` is the float, `grad` is dL/d(data) after `L.backward()`, `_prev` the ordered
    tuple of the nodes it was computed from and `_op` the name of that computation
    (a key of OPS). `requires_grad` says whether gradients are tracked through it.
    """
    __slots__ = ("data", "grad", "_prev", "_op", "requires_grad", "_version", "_saved")
    _smolml_backend = NAME

    def __init__(self, data, _children=(), _op="", requires_grad=True):
        if type(data) is not float:
            if not is_number(data):
                raise TypeError(f"Value needs a real number; got {describe(data)}")
            data = float(data)
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        if self._prev:
            _backend.check_children(self._prev, Value, NAME)
        self._op = _op
        self.requires_grad = bool(requires_grad)
        self._version = 0           # in-place changes through its arrays (see SAVES)
        self._saved = None          # its inputs' versions, if its rule reads them

    def _operand(self, other):
        """other as a Value (numbers become constants), or NotImplemented."""
        if isinstance(other, Value):
            return other
        if is_number(other):
            return Value(other, requires_grad=False)
        _backend.reject_other_backend(other, NAME)
        return NotImplemented

    def _binary(self, op, other, reflected=False):
        other = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        return apply_op(op, (other, self) if reflected else (self, other))

    def __add__(self, other):
        return self._binary("+", other)

    def __radd__(self, other):
        return self._binary("+", other, reflected=True)

    def __sub__(self, other):
        return self._binary("-", other)

    def __rsub__(self, other):
        return self._binary("-", other, reflected=True)

    def __mul__(self, other):
        return self._binary("*", other)

    def __rmul__(self, other):
        return self._binary("*", other, reflected=True)

    def __truediv__(self, other):
        return self._binary("/", other)

    def __rtruediv__(self, other):
        return self._binary("/", other, reflected=True)

    def __pow__(self, other, modulo=None):
        reject_modulo(modulo)
        return self._binary("**", other)

    def __rpow__(self, other):
        return self._binary("**", other, reflected=True)

    def __neg__(self):
        return apply_op("neg", (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return apply_op("abs", (self,))

    def abs(self):
        return apply_op("abs", (self,))

    def exp(self):
        return apply_op("exp", (self,))

    def log(self):
        return apply_op("log", (self,))

    def log1p(self):
        return apply_op("log1p", (self,))

    def sqrt(self):
        return apply_op("sqrt", (self,))

    def relu(self):
        return apply_op("ReLU", (self,))

    def tanh(self):
        return apply_op("tanh", (self,))

    def sigmoid(self):
        return apply_op("sigmoid", (self,))

    def backward(self):
        """Fill `.grad` of every node this one depends on with d(self)/d(node)."""
        backpropagate(self)

    def _compare_data(self, other):
        if isinstance(other, Value):
            return other.data
        if is_number(other):
            return float(other)
        _backend.reject_other_backend(other, NAME)
        return NotImplemented

    def __lt__(self, other):
        other = self._compare_data(other)
        return NotImplemented if other is NotImplemented else self.data < other

    def __le__(self, other):
        other = self._compare_data(other)
        return NotImplemented if other is NotImplemented else self.data <= other

    def __gt__(self, other):
        other = self._compare_data(other)
        return NotImplemented if other is NotImplemented else self.data > other

    def __ge__(self, other):
        other = self._compare_data(other)
        return NotImplemented if other is NotImplemented else self.data >= other

    def __eq__(self, other):
        other = self._compare_data(other)
        return NotImplemented if other is NotImplemented else self.data == other

    def __ne__(self, other):
        other = self._compare_data(other)
        return NotImplemented if other is NotImplemented else self.data != other

    __hash__ = object.__hash__      # identity, as SmolML's: Values live in sets and dicts

    def __float__(self):
        return self.data

    def item(self):
        """The number as a float (as a 0-d array's `item()`)."""
        return self.data

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def __reduce__(self):
        # copy, deepcopy and pickle give a leaf of the same number and gradient
        # (smolml._copying); an element of a float32 array copies as a plain Value
        return (_copying.rebuild_value, (NAME, float(self.data), float(self.grad),
                                         self.requires_grad))


# ---------------------------------------------------------------- running an op

def apply_op(op, parents, node=Value):
    """Run OPS[op] forward on the parents' data; the result records its parents only
    if grad mode is on and one of them requires a gradient.

    `node` is the class of the result: Value (float64, the default) or Value32 for an
    element of a float32 array, which rounds the result as it is stored."""
    forward = OPS[op][0]
    data = forward(*[p.data for p in parents])
    if _grad_mode.enabled:
        for parent in parents:
            if parent.requires_grad:
                result = node(data, parents, op)
                if op in SAVES:
                    result._saved = tuple([p._version for p in parents])
                return result
    return node(data, requires_grad=False)


class Value32(Value):
    """An element of a float32 MLArray: a Value whose `data` is rounded to the nearest
    float32 whenever it is written (by the constructor, by an op making it, or by
    `v.data = x`), so it always holds a float32 number as a Python float.

    This setter is the one place where the pure backend rounds to float32: a float32
    array's ops build their element nodes as Value32. Arithmetic between Values stays
    float64 (its results are plain Values), and `grad` is not rounded (gradients are
    accumulated as Python floats; `MLArray.grad()` rounds them when read).
    """
    __slots__ = ()

    @property
    def data(self):
        return _DATA_SLOT.__get__(self)

    @data.setter
    def data(self, x):
        _DATA_SLOT.__set__(self, round_float32(x))


_DATA_SLOT = Value.__dict__["data"]   # the slot Value32's property reads and writes
