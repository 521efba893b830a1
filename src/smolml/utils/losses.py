"""Loss functions: one number saying how far predictions are from the targets.

Each takes `(y_pred, y_true)` of the same (or broadcastable) shape, with N samples
along the first axis, and returns a 0-d `MLArray` (so `loss.data.data` is a float and
`loss.backward()` fills the gradient of everything `y_pred` came from). Targets may
be MLArrays, nested lists or NumPy arrays; they are data and get no gradient, and
targets that are not MLArrays take the predictions' dtype (float32 predictions give a
float32 loss).
"""
from smolml.core.ml_array import MLArray

EPSILON = 1e-15
"""Probabilities are clipped to [EPSILON, 1 − EPSILON] before a log, so log(0) = −inf
never reaches the loss; inside that range the clip passes the gradient unchanged."""


def _as_array(x):
    if isinstance(x, MLArray):
        return x
    # a Value becomes a 0-d array that stays connected to it
    return MLArray(x)


def _pair(y_pred, y_true):
    """(predictions, targets) as MLArrays; data targets get the predictions' dtype."""
    y_pred = _as_array(y_pred)
    if not isinstance(y_true, MLArray):
        y_true = MLArray(y_true, requires_grad=False, dtype=y_pred.dtype)
    return y_pred, y_true


def mse_loss(y_pred, y_true):
    """Mean squared error: L = (1/n) Σ (ŷ − y)², the mean over every element.

    dL/dŷ = 2(ŷ − y)/n. The usual loss for regression; punishes large errors most.
    """
    y_pred, y_true = _pair(y_pred, y_true)
    diff = y_pred - y_true
    return (diff * diff).mean()


def mae_loss(y_pred, y_true):
    """Mean absolute error: L = (1/n) Σ |ŷ − y|. dL/dŷ = sign(ŷ − y)/n (0 where equal).

    Less sensitive to outliers than MSE: every error pulls with the same force.
    """
    y_pred, y_true = _pair(y_pred, y_true)
    diff = y_pred - y_true
    return diff.abs().mean()


def binary_cross_entropy(y_pred, y_true):
    """L = −(1/n) Σ [y·log p + (1 − y)·log(1 − p)], p = clip(ŷ, ε, 1 − ε).

    For binary classification with probabilities ŷ in (0, 1) (a sigmoid output) and
    labels y in {0, 1}; the mean runs over every element.
    """
    y_pred, y_true = _pair(y_pred, y_true)
    p = y_pred.clip(EPSILON, 1.0 - EPSILON)
    return -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log()).mean()


def categorical_cross_entropy(y_pred, y_true):
    """L = −(1/N) Σₙ Σₖ yₙₖ·log pₙₖ, p = max(ŷ, ε).

    For multi-class classification: ŷ holds a probability distribution per sample (a
    softmax output) along the last axis, y the one-hot (or soft) targets. The sum runs
    over the class axis, the mean over the N samples.
    """
    y_pred, y_true = _pair(y_pred, y_true)
    p = y_pred.clip(EPSILON, None)
    return -(y_true * p.log()).sum(axis=-1).mean()


def huber_loss(y_pred, y_true, delta=1.0):
    """Quadratic near zero, linear far away; the mean over every element of

        ½·d²              if |d| <= delta
        delta·(|d| − ½·delta)  otherwise,      d = ŷ − y.

    Written without a branch: with q = min(|d|, delta), the term is ½·q² + delta·(|d| − q).
    dL/dŷ is d/n inside the band and delta·sign(d)/n outside it.
    """
    y_pred, y_true = _pair(y_pred, y_true)
    diff = y_pred - y_true
    abs_diff = diff.abs()
    quadratic = abs_diff.clip(None, delta)
    linear = abs_diff - quadratic
    return (0.5 * quadratic * quadratic + delta * linear).mean()
