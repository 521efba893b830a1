"""Feature scalers: put every feature (column) on a comparable scale.

Gradient descent on features of very different scales zig-zags across a long, narrow
valley, and distance-based models (k-means) let the largest-valued feature decide
everything. Both scalers learn per-feature statistics with `fit` on the training data
only, then apply the same map to training and new data with `transform`.

Inputs are MLArray, nested lists or NumPy arrays, 2-D `(n_samples, n_features)` (or
1-D: one feature); results are MLArrays, as in SmolML. `transform` and
`inverse_transform` use MLArray operations, so an input array that tracks gradients
stays connected to the graph.
"""
import numpy as np

from smolml import _checks
from smolml._data import as_float_array
from smolml.core.ml_array import MLArray

_TINY = 10 * np.finfo(np.float64).eps


class _Scaler:
    """Shared checks: data conversion, the fitted test, the feature count."""

    def fit_transform(self, X):
        """`fit(X)` then `transform(X)`."""
        return self.fit(X).transform(X)

    def _fit_data(self, X):
        data = as_float_array(X)
        if data.ndim not in (1, 2):
            raise ValueError(f"X must be 1-D or 2-D (n_samples, n_features); "
                             f"got shape {data.shape}")
        if data.shape[0] == 0:
            raise ValueError("X has no samples")
        _checks.finite(data, "X")
        self.n_features = None if data.ndim == 1 else data.shape[1]
        return data

    def _as_input(self, X, fitted_with, method):
        if fitted_with is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet: "
                             f"call fit(X) before {method}(X)")
        numbers = X.numpy() if isinstance(X, MLArray) else as_float_array(X)
        if numbers.ndim and numbers.shape[0] == 0:
            raise ValueError("X has no samples")
        _checks.finite(numbers, "X")
        if not isinstance(X, MLArray):
            X = MLArray(X, requires_grad=False)
        if self.n_features is not None and (X.ndim == 0 or X.shape[-1] != self.n_features):
            got = X.shape[-1] if X.ndim else 0
            raise ValueError(f"X has {got} features but {type(self).__name__} was fitted "
                             f"on {self.n_features}")
        return X


class StandardScaler(_Scaler):
    """Standardisation (z-score): z = (x − μ) / σ, per feature.

    `fit` sets `mean` (μ) and `std` (σ, the population standard deviation), MLArrays
    of shape `(n_features,)` (0-d for 1-D data). A constant feature has σ = 0; its σ
    is stored as 1, so it maps to 0 instead of 0/0.
    `inverse_transform(z)` = z·σ + μ.
    """

    def __init__(self):
        self.mean = None
        self.std = None

    def fit(self, X):
        """Learn μ and σ of every feature from X. Returns self."""
        data = self._fit_data(X)
        mean = data.mean(axis=0)
        std = data.std(axis=0)
        # A constant column can give σ of a few ulps instead of 0 (its mean rounds).
        std = np.where(std <= _TINY * np.abs(mean), 1.0, std)
        self.mean = MLArray(mean, requires_grad=False)
        self.std = MLArray(std, requires_grad=False)
        return self

    def transform(self, X):
        """(X − μ) / σ as an MLArray of X's shape."""
        X = self._as_input(X, self.mean, "transform")
        return (X - self.mean) / self.std

    def inverse_transform(self, X):
        """X·σ + μ: undoes `transform`."""
        X = self._as_input(X, self.mean, "inverse_transform")
        return X * self.std + self.mean


class MinMaxScaler(_Scaler):
    """Min-max normalisation to [0, 1]: x' = (x − min) / (max − min), per feature.

    `fit` sets `min` and `max`, MLArrays of shape `(n_features,)`. A constant feature
    (max = min) is divided by 1 instead of 0, so it maps to 0 (SmolML divided by
    zero). New data outside the training range maps outside [0, 1].
    `inverse_transform(x')` = x'·(max − min) + min.
    """

    def __init__(self):
        self.max = None
        self.min = None

    def fit(self, X):
        """Learn the minimum and maximum of every feature from X. Returns self."""
        data = self._fit_data(X)
        low, high = data.min(axis=0), data.max(axis=0)
        self.min = MLArray(low, requires_grad=False)
        self.max = MLArray(high, requires_grad=False)
        self._range = MLArray(np.where(high > low, high - low, 1.0), requires_grad=False)
        return self

    def transform(self, X):
        """(X − min) / (max − min) as an MLArray of X's shape."""
        X = self._as_input(X, self.min, "transform")
        return (X - self.min) / self._range

    def inverse_transform(self, X):
        """X·(max − min) + min: undoes `transform`."""
        X = self._as_input(X, self.min, "inverse_transform")
        return X * self._range + self.min
