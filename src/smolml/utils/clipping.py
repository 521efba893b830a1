"""Gradient clipping: keep one bad batch from throwing the parameters far away."""
import math

import numpy as np

from smolml._grad import is_grad_enabled
from smolml.core.ml_array import MLArray

NORM_EPSILON = 1e-6
"""Added to the norm before dividing, as PyTorch does, so a zero gradient stays zero."""


def clip_grad_norm(parameters, max_norm):
    """Scale the gradients of `parameters` together so that their total norm is at most
    `max_norm`; returns the total norm before clipping, as a float.

        N = √(Σₚ ‖∇p‖²)            over every element of every parameter
        c = max_norm / (N + 10⁻⁶)
        ∇p ← c·∇p  for every p, when c < 1

    The direction of the whole step is kept; only its length is capped. This is
    `torch.nn.utils.clip_grad_norm_(parameters, max_norm)` (2-norm). Call it between
    `loss.backward()` and the optimizer's updates. `parameters`: one MLArray or an
    iterable of them (e.g. every layer's weights and biases); arrays that track no
    gradient are skipped.

    The gradients are scaled through `backward()` itself (adding (c − 1)·∇p into ∇p),
    so it must run with grad mode on, outside `no_grad`, on parameters that are leaves
    (as an optimizer keeps them).
    """
    if isinstance(parameters, MLArray):
        parameters = [parameters]
    try:
        parameters = list(parameters)
    except TypeError:
        raise TypeError(f"parameters must be an MLArray or an iterable of MLArrays; got "
                        f"{type(parameters).__name__}") from None
    for i, param in enumerate(parameters):
        if not isinstance(param, MLArray):
            raise TypeError(f"parameters[{i}] is a {type(param).__name__}, not an MLArray")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer,
                                                               np.floating)):
        raise TypeError(f"max_norm must be a number; got {type(max_norm).__name__}")
    if not max_norm > 0 or math.isnan(max_norm):
        raise ValueError(f"max_norm must be > 0; got {max_norm!r}")
    tracked = [param for param in parameters if param.requires_grad]
    grads = [param.grad().numpy().astype(np.float64) for param in tracked]
    total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
    scale = float(max_norm) / (total + NORM_EPSILON)
    if scale < 1.0:
        if not is_grad_enabled():
            raise RuntimeError("clip_grad_norm scales gradients with backward(), which "
                               "needs grad mode: call it outside no_grad()")
        for param, grad in zip(tracked, grads):
            # ∂/∂p of Σ (c − 1)·∇p ⊙ p is (c − 1)·∇p, added to ∇p: ∇p becomes c·∇p
            shift = MLArray((scale - 1.0) * grad, requires_grad=False, dtype=param.dtype)
            (param * shift).sum().backward()
    return total
