"""Loss functions: one number saying how far predictions are from the targets.

Each takes `(y_pred, y_true)` of the same (or broadcastable) shape, with N samples
along the first axis, and returns a 0-d `MLArray` (so `loss.data.data` is a float and
`loss.backward()` fills the gradient of everything `y_pred` came from). Targets may
be MLArrays, nested lists or NumPy arrays; they are data and get no gradient, and
targets that are not MLArrays take the predictions' dtype (float32 predictions give a
float32 loss).
"""
import numpy as np

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


def cross_entropy_from_logits(logits, targets):
    """Softmax and cross-entropy in one: L = −(1/N) Σₙ Σₖ yₙₖ·log_softmax(zₙ)ₖ.

    `logits` z (N, K): one unnormalized score per class along the last axis (a layer
    with the linear activation; a 1-D (K,) array is one sample). `targets`: either
    class indices, integers in [0, K) of shape (N,) (or (N, 1)), or one-hot (or soft)
    probabilities of z's shape. The same number as
    `torch.nn.functional.cross_entropy(z, targets)`.

    Why not softmax, then `categorical_cross_entropy`? That loss takes the log of a
    probability, so it must clip it away from 0 (a logit 40 below the largest gives
    e⁻⁴⁰ ≈ 4e-18, and a few more give exactly 0.0): below the clip the loss is wrong
    and its gradient is 0, so a confidently wrong network stops learning. Here the
    log is taken of Σ e^(z − max z) >= 1, never of a rounded probability, so L is
    exact for any finite logits, and dL/dz = (softmax(z) − y)/N stays the full error
    signal however wrong the network is. On the engine the whole loss is one graph
    node (`MLArray.softmax_cross_entropy`) whose backward is that difference.
    """
    logits = _as_array(logits)
    if logits.ndim not in (1, 2):
        raise ValueError(f"logits must have shape (N, classes) or (classes,); got shape "
                         f"{logits.shape}")
    if logits.shape[-1] == 0:
        raise ValueError(f"logits have no classes (shape {logits.shape})")
    if not isinstance(targets, MLArray) or targets.shape != logits.shape:
        targets = _class_targets(targets, logits)
    if logits.ndim == 1:                 # one sample: a batch of one row
        logits, targets = logits.reshape(1, -1), targets.reshape(1, -1)
    return logits.softmax_cross_entropy(targets)


def _class_targets(targets, logits):
    """Targets for cross_entropy_from_logits as an MLArray of the logits' shape: one-hot
    rows for class indices, probabilities as given."""
    if isinstance(targets, MLArray):
        numbers = targets.numpy()
    else:
        try:
            numbers = np.asarray(targets, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"targets must be class indices or probabilities (an MLArray, "
                            f"list or NumPy array); got {type(targets).__name__}") from error
    shape, classes = tuple(logits.shape), logits.shape[-1]
    if numbers.shape == shape:
        return MLArray(numbers, requires_grad=False, dtype=logits.dtype)
    if numbers.shape == shape[:-1] + (1,) and classes > 1:
        numbers = numbers.reshape(shape[:-1])
    if numbers.shape != shape[:-1]:
        raise ValueError(f"targets of shape {numbers.shape} do not fit logits of shape "
                         f"{shape}: give class indices of shape {shape[:-1]} or "
                         f"probabilities of shape {shape}")
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers)) | (numbers < 0) | \
        (numbers >= classes)
    if bad.any():
        first = numbers.ravel()[np.flatnonzero(bad)[0]]
        raise ValueError(f"class indices must be integers in [0, {classes}); got {first!r} "
                         f"({int(bad.sum())} of {numbers.size} out of range)")
    one_hot = np.zeros(shape)
    np.put_along_axis(one_hot, numbers.astype(np.int64)[..., None], 1.0, axis=-1)
    return MLArray(one_hot, requires_grad=False, dtype=logits.dtype)
