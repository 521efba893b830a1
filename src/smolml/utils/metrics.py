"""Metrics: numbers that say how good predictions are, for reading (not for training).

They take MLArrays, nested lists or NumPy arrays, need no gradient, and return floats.
"""
import numpy as np

from smolml.core.ml_array import MLArray


def _as_numpy(x, name):
    array = x.numpy() if isinstance(x, MLArray) else np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    return array


def _class_labels(array, name, probabilities):
    """One class index per sample, from an (N, K) array of scores (its argmax along the
    classes, K >= 2) or from N labels of shape (N,) or (N, 1). With `probabilities`,
    N labels that are not all whole numbers are P(class 1), thresholded at 0.5."""
    if array.ndim == 2 and array.shape[1] >= 2:
        return array.argmax(axis=1), array.shape[1]
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be (N, K) scores or one-hot rows, or N class labels "
                         f"of shape (N,) or (N, 1); got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} has non-finite entries")
    if np.any(array != np.round(array)):
        if not probabilities:
            raise ValueError(f"{name} holds class labels, which must be whole numbers")
        return (array >= 0.5).astype(np.int64), None
    return array.astype(np.int64), None


def accuracy(y_pred, y_true):
    """The fraction of samples whose predicted class is the true one.

    y_pred: (N, K) class scores or probabilities (the class is the argmax of each
    row), or N predicted labels of shape (N,) or (N, 1) (values that are not all whole
    numbers are read as the probability of class 1 and thresholded at 0.5).
    y_true: (N, K) one-hot rows or N class labels. Raises ValueError when the sample
    counts or the class counts differ, or when there are no samples.
    """
    pred, n_pred_classes = _class_labels(_as_numpy(y_pred, "y_pred"), "y_pred", True)
    true, n_true_classes = _class_labels(_as_numpy(y_true, "y_true"), "y_true", False)
    if len(pred) != len(true):
        raise ValueError(f"y_pred has {len(pred)} samples but y_true has {len(true)}")
    if len(pred) == 0:
        raise ValueError("accuracy of no samples is undefined")
    if None not in (n_pred_classes, n_true_classes) and n_pred_classes != n_true_classes:
        raise ValueError(f"y_pred scores {n_pred_classes} classes but y_true is one-hot "
                         f"over {n_true_classes}")
    return float(np.mean(pred == true))
