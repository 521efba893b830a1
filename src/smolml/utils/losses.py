"""Loss functions: one number saying how far predictions are from the targets.

Each takes `(y_pred, y_true)` with N samples along the first axis and returns a 0-d
`MLArray` (so `loss.data.data` is a float and `loss.backward()` fills the gradient of
everything `y_pred` came from). Targets may be MLArrays, nested lists or NumPy arrays;
they are data and get no gradient, and targets that are not MLArrays take the
predictions' dtype (float32 predictions give a float32 loss).

Shapes. Predictions are never broadcast against targets (a (3, 1) prediction minus a
(3,) target would be a (3, 3) grid of every difference, a silently wrong loss):

- equal shapes pass;
- shapes equal once their axes of length 1 are dropped, such as (N,) and (N, 1), are
  aligned: the target is reshaped to the prediction's shape;
- a scalar (0-d) target broadcasts against every prediction;
- anything else is a ValueError naming both shapes and the loss.

`categorical_cross_entropy` also takes integer class indices of shape (N,) against
(N, K) probabilities, as PyTorch's cross-entropy does.
"""
import numpy as np

from smolml import _checks
from smolml.core.ml_array import MLArray

EPSILON = 1e-15
"""Probabilities are clipped to [EPSILON, 1 − EPSILON] before a log, so log(0) = −inf
never reaches the loss; inside that range the clip passes the gradient unchanged."""


def _as_array(x):
    if isinstance(x, MLArray):
        return x
    # a Value becomes a 0-d array that stays connected to it
    return MLArray(x)


def _as_target(y_pred, y_true):
    if isinstance(y_true, MLArray):
        return y_true
    return _data_like(y_pred, y_true)


def _data_like(y_pred, numbers):
    """Numbers as an MLArray that needs no gradient, of y_pred's dtype and backend."""
    with _checks.on_backend_of(y_pred):
        return MLArray(numbers, requires_grad=False, dtype=y_pred.dtype)


def _pair(y_pred, y_true, loss):
    """(predictions, targets) as MLArrays of matching shapes, by the shape policy above;
    data targets get the predictions' dtype. `loss` names the loss in errors."""
    y_pred = _as_array(y_pred)
    y_true = _as_target(y_pred, y_true)
    return y_pred, _aligned(y_pred, y_true, loss)


def _squeezed(shape):
    return tuple(n for n in shape if n != 1)


def _aligned(y_pred, y_true, loss):
    """y_true reshaped to y_pred's shape where the policy aligns them."""
    if y_true.shape == y_pred.shape:     # the usual case, checked first: it costs nothing
        return y_true
    check_shapes(y_pred.shape, y_true.shape, loss)
    if y_true.ndim == 0:
        return y_true
    return y_true.reshape(y_pred.shape)


def _is_class_index_shape(pred_shape, true_shape):
    return (len(pred_shape) >= 2 and tuple(true_shape) == tuple(pred_shape[:-1])
            and _squeezed(true_shape) != _squeezed(pred_shape))


def check_shapes(pred_shape, true_shape, loss):
    """ValueError unless targets of `true_shape` may go with predictions of
    `pred_shape` under the shape policy above; `loss` (a name or one of this module's
    functions) is named in the message."""
    loss = getattr(loss, "__name__", loss)
    pred_shape, true_shape = tuple(pred_shape), tuple(true_shape)
    hint = ""
    if loss in ("categorical_cross_entropy", "cross_entropy_from_logits"):
        if _is_class_index_shape(pred_shape, true_shape) or (
                loss == "cross_entropy_from_logits" and len(pred_shape) == 2
                and true_shape == (pred_shape[0], 1)):
            return
        if len(pred_shape) >= 2:
            hint = f", or class indices of shape {pred_shape[:-1]}"
    if (true_shape == pred_shape or true_shape == ()
            or _squeezed(true_shape) == _squeezed(pred_shape)):
        return
    raise ValueError(f"{loss}: predictions of shape {pred_shape} and targets of shape "
                     f"{true_shape} do not match; give targets of the predictions' shape"
                     f"{hint}")


def _one_hot(y_pred, indices, loss):
    """Class indices (shape y_pred.shape[:-1]) as one-hot rows of y_pred's shape."""
    numbers = indices.numpy()
    n_classes = y_pred.shape[-1]
    whole = np.isfinite(numbers) & (numbers == np.round(numbers))
    if not whole.all():
        first = numbers[~whole].ravel()[0]
        raise ValueError(f"{loss}: class-index targets must be whole numbers; "
                         f"got {float(first)!r}")
    outside = (numbers < 0) | (numbers >= n_classes)
    if outside.any():
        first = numbers[outside].ravel()[0]
        raise ValueError(f"{loss}: class index {int(first)} is out of range for "
                         f"{n_classes} classes (0 to {n_classes - 1})")
    # the one-hot rows are as large as the predictions (np.eye(K) would be K × K)
    rows = np.zeros(y_pred.shape)
    np.put_along_axis(rows, numbers.astype(np.intp)[..., None], 1.0, axis=-1)
    return _data_like(y_pred, rows)


def mse_loss(y_pred, y_true):
    """Mean squared error: L = (1/n) Σ (ŷ − y)², the mean over every element.

    dL/dŷ = 2(ŷ − y)/n. The usual loss for regression; punishes large errors most.
    """
    y_pred, y_true = _pair(y_pred, y_true, "mse_loss")
    diff = y_pred - y_true
    return (diff * diff).mean()


def mae_loss(y_pred, y_true):
    """Mean absolute error: `L = (1/n) Σ |ŷ − y|`. dL/dŷ = sign(ŷ − y)/n (0 where equal).

    Less sensitive to outliers than MSE: every error pulls with the same force.
    """
    y_pred, y_true = _pair(y_pred, y_true, "mae_loss")
    diff = y_pred - y_true
    return diff.abs().mean()


def binary_cross_entropy(y_pred, y_true):
    """L = −(1/n) Σ [y·log p + (1 − y)·log(1 − p)], p = clip(ŷ, ε, 1 − ε).

    For binary classification with probabilities ŷ in (0, 1) (a sigmoid output) and
    labels y in {0, 1}; the mean runs over every element.
    """
    y_pred, y_true = _pair(y_pred, y_true, "binary_cross_entropy")
    p = y_pred.clip(EPSILON, 1.0 - EPSILON)
    return -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log()).mean()


def categorical_cross_entropy(y_pred, y_true):
    """L = −(1/N) Σₙ Σₖ yₙₖ·log pₙₖ, p = max(ŷ, ε).

    For multi-class classification: ŷ holds a probability distribution per sample (a
    softmax output) along the last axis, y the one-hot (or soft) targets. The sum runs
    over the class axis, the mean over the N samples.

    `y_true` may instead hold integer class indices, one per sample (shape (N,) for
    (N, K) predictions, as in PyTorch's cross-entropy): index k stands for the one-hot
    row with a 1 at k. An index that is not a whole number or not in 0..K−1 is a
    ValueError.
    """
    y_pred = _as_array(y_pred)
    y_true = _as_target(y_pred, y_true)
    if _is_class_index_shape(y_pred.shape, y_true.shape):
        y_true = _one_hot(y_pred, y_true, "categorical_cross_entropy")
    y_true = _aligned(y_pred, y_true, "categorical_cross_entropy")
    p = y_pred.clip(EPSILON, None)
    return -(y_true * p.log()).sum(axis=-1).mean()


def huber_loss(y_pred, y_true, delta=1.0):
    """Quadratic near zero, linear far away; the mean over every element of::

        ½·d²              if |d| <= delta
        delta·(|d| − ½·delta)  otherwise,      d = ŷ − y.

    Written without a branch: with `q = min(|d|, delta)`, the term is `½·q² + delta·(|d| − q)`.
    dL/dŷ is d/n inside the band and delta·sign(d)/n outside it.
    """
    y_pred, y_true = _pair(y_pred, y_true, "huber_loss")
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


LOSSES = {function.__name__: function for function in
          (mse_loss, mae_loss, binary_cross_entropy, categorical_cross_entropy, huber_loss,
           cross_entropy_from_logits)}
"""smolml's losses by name: what a loss name stored in a saved network can stand for."""


def resolve(loss_function):
    """A loss given as a function (returned as is) or a name in LOSSES; ValueError
    listing the valid names for an unknown one, TypeError for anything else."""
    return _checks.named_function(loss_function, LOSSES, "loss", "losses", "loss_function")
