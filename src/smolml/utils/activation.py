"""Activation functions: the non-linearities applied after a layer's linear map.

Each one takes an `MLArray` (or a scalar `Value`, where the function is elementwise)
and returns a new one of the same shape, built from a few whole-array operations, so
the autograd graph gets one node per operation and gradients flow back on their own.
Anything else array-like (numbers, nested lists, NumPy arrays) is first turned into
an `MLArray`.
"""
from smolml import _checks
from smolml._grad import no_grad
from smolml.core.ml_array import MLArray
from smolml.core.value import Value


def _as_node(x):
    if isinstance(x, (MLArray, Value)):
        return x
    return MLArray(x)


def relu(x):
    """Rectified linear unit: max(0, x), elementwise. Derivative 1 for x > 0, else 0."""
    return _as_node(x).relu()


def leaky_relu(x, alpha=0.01):
    """x for x > 0, alpha·x otherwise, written as relu(x) − alpha·relu(−x).

    Derivative 1 for x > 0 and alpha for x < 0, so negative units keep learning.
    """
    x = _as_node(x)
    return x.relu() - alpha * (-x).relu()


def elu(x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha·(eˣ − 1) otherwise.

    Written as relu(x) + alpha·(exp(−relu(−x)) − 1): for x > 0 the second term is
    exp(0) − 1 = 0, for x < 0 it is eˣ − 1. Derivative 1 for x > 0, alpha·eˣ for x < 0.
    The exponent is never positive, so large inputs cannot overflow.
    """
    x = _as_node(x)
    return x.relu() + alpha * ((-(-x).relu()).exp() - 1.0)


def sigmoid(x):
    """Logistic function 1 / (1 + e⁻ˣ), into (0, 1). Derivative σ(x)·(1 − σ(x))."""
    return _as_node(x).sigmoid()


def softmax(x, axis=-1):
    """Probabilities along `axis`: softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m).

    m = max(x) along the axis is a constant shift (softmax does not change when every
    xᵢ moves by the same amount), taken under `no_grad` so it adds nothing to the
    graph; it keeps every exponent <= 0, so no input overflows. The values along
    `axis` are >= 0 and sum to 1. A 0-d input gives 1.0.
    """
    shifted, axis = _shifted_by_max(x, axis)
    exps = shifted.exp()
    return exps / exps.sum(axis=axis, keepdims=True)


def _shifted_by_max(x, axis):
    """(x − max(x) along axis, the axis to reduce), x made an MLArray; the max is a
    constant, taken under no_grad (softmax does not change when a row moves)."""
    x = _as_node(x)
    if isinstance(x, Value):
        x = MLArray(x)
    if x.ndim == 0:
        axis = None
    with no_grad():
        shift = x.max(axis=axis, keepdims=True)
    return x - shift, axis


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably: log_softmax(x)ᵢ = zᵢ − log Σⱼ e^zⱼ,
    z = x − max(x).

    Taking the log of softmax's output would turn a probability that rounded to 0
    into −inf; here no exponent is positive and the sum is >= 1 (the max's own term
    is e⁰), so every result is finite for finite x. The derivative is
    ∂/∂xⱼ log_softmax(x)ᵢ = [i = j] − softmax(x)ⱼ. A 0-d input gives 0.0.
    (`torch.nn.functional.log_softmax`.)
    """
    shifted, axis = _shifted_by_max(x, axis)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def tanh(x):
    """Hyperbolic tangent, into (−1, 1). Derivative 1 − tanh(x)²."""
    return _as_node(x).tanh()


def linear(x):
    """Identity: f(x) = x, for outputs that should stay unbounded (regression)."""
    return x


ACTIVATIONS = {function.__name__: function
               for function in (relu, leaky_relu, elu, sigmoid, softmax, tanh, linear)}
"""smolml's activations by name: what a name given to a layer or stored in a saved
network can stand for (and nothing else of this module)."""


def resolve(function):
    """An activation given as a function (returned as is) or as a name in ACTIVATIONS.

    ValueError listing the valid names for an unknown name; TypeError for anything
    that is neither a name nor callable.
    """
    return _checks.named_function(function, ACTIVATIONS, "activation", "activations",
                                  "an activation")
