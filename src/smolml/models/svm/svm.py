"""Support vector machines: `SVM` (two classes), `SVMMulticlass` (one-vs-rest) and `SVR`
(epsilon-insensitive regression), trained by SMO over a kernel matrix computed once.

Each model solves a dual problem of the one form

    min_α  ½ αᵀQα + pᵀα   subject to  0 ≤ αₜ ≤ C,  Σₜ yₜαₜ = 0,  yₜ = ±1

- classification: Qᵢⱼ = yᵢyⱼK(xᵢ, xⱼ), p = −1; f(x) = Σᵢ αᵢyᵢK(xᵢ, x) − b.
- regression: 2n variables (α for the upper edge of the ε-tube, α* for the lower one),
  y = (1, …, −1, …), Q = [[K, −K], [−K, K]], p = (ε − z, ε + z);
  f(x) = Σᵢ (αᵢ − α*ᵢ)K(xᵢ, x) + b.

SMO (Platt, 1998) changes two multipliers at a time, along the line that keeps
Σ yₜαₜ = 0. The pair is the one LIBSVM picks (Fan, Chen and Lin, 2005): i the most
violating multiplier that can move up, j the one of the others that lowers the
objective most (second-order selection). The gradient G = Qα + p is kept up to date
with two rows of the kernel matrix per step; training stops when the largest KKT violation
max(−yG over those that can move up) − min(−yG over those that can move down) is below
`tol`, or after `max_iter` · n pair updates (SmolML's `max_iter` counts sweeps over the
n samples).

Kernels: "linear" x·x', "rbf" exp(−γ‖x − x'‖²), "poly" (γ x·x' + coef0)^degree, with
`gamma="scale"` meaning 1 / (n_features · Var(X)) (1 when X is constant), "auto"
meaning 1 / n_features, or a positive number.
"""
import numpy as np

from smolml import _checks
from smolml._data import as_float_array, as_samples
from smolml.core.ml_array import MLArray
from smolml.utils import memory

KERNELS = ("linear", "rbf", "poly")


class _KernelMachine:
    """What the three models share: hyperparameters, kernels, checks, the SMO solver."""

    title = "Support Vector Machine"

    def __init__(self, C=1.0, kernel="linear", gamma="scale", degree=3, coef0=0.0,
                 tol=1e-3, max_iter=1000):
        self.C = _checks.real_number(C, "C", low=0.0, low_open=True, high=None)
        if not isinstance(kernel, str) or kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {', '.join(map(repr, KERNELS))}; "
                             f"got {kernel!r}")
        self.kernel = kernel
        if isinstance(gamma, str) and gamma not in ("scale", "auto"):
            raise ValueError(f"gamma must be 'scale', 'auto' or a number > 0; got {gamma!r}")
        if not isinstance(gamma, str):
            _checks.real_number(gamma, "gamma (or 'scale', 'auto')", low=0.0, low_open=True,
                                high=None)
        self.gamma = gamma
        self.degree = _checks.integer(degree, "degree", minimum=1)
        self.coef0 = _checks.real_number(coef0, "coef0", high=None)
        self.tol = _checks.real_number(tol, "tol", low=0.0, low_open=True, high=None)
        self.max_iter = _checks.integer(max_iter, "max_iter", minimum=1)
        self.alphas = None
        self.b = 0.0
        self.support_vectors = None
        self.X_train = None
        self._gamma_value = None

    def _gamma_for(self, X):
        if self.gamma == "scale":
            variance = float(X.var())
            return 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        return float(self.gamma)

    def _kernel_matrix(self, A, B):
        """K[i, j] = K(A[i], B[j]), for whole blocks of rows at once."""
        dots = A @ B.T
        if self.kernel == "linear":
            return dots
        if self.kernel == "poly":
            return (self._gamma_value * dots + self.coef0) ** self.degree
        squared = (A * A).sum(axis=1)[:, None] - 2.0 * dots + (B * B).sum(axis=1)[None, :]
        return np.exp(-self._gamma_value * np.maximum(squared, 0.0))

    def _inputs(self, X):
        """Rows to evaluate: (n, n_features), or one sample as a 1-D row."""
        if self.X_train is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(X, y) first")
        X = as_samples(X, ndims=(1, 2))
        X = X[None, :] if X.ndim == 1 else X
        if X.shape[1] != self.X_train.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features; the model was fitted on "
                             f"{self.X_train.shape[1]}")
        return X

    def _training_data(self, X, y):
        X = as_samples(X)
        y = _targets(y, len(X))
        self._gamma_value = self._gamma_for(X)
        self.X_train = X
        return X, y

    def _summary(self, extra):
        gamma = self._gamma_value if self._gamma_value is not None else self.gamma
        lines = [f"{self.title}", f"  kernel={self.kernel!r}, C={self.C}, gamma={gamma}"
                 + (f", degree={self.degree}, coef0={self.coef0}" if self.kernel == "poly" else "")
                 + f", tol={self.tol}, max_iter={self.max_iter}"]
        lines += extra
        if self.support_vectors is None:
            lines.append("  not fitted")
        else:
            n = len(self.X_train)
            lines.append(f"  {len(self.support_vectors)} support vectors of {n} samples "
                         f"({100 * len(self.support_vectors) / n:.1f}%), b = {self.b:.6f}")
            lines.append(f"  memory: {memory.format_size(memory.calculate_svm_size(self)['total'])}")
        return "\n".join(lines)


class SVM(_KernelMachine):
    """Binary classifier: `SVM(C=1.0, kernel="linear", gamma="scale", degree=3,
    coef0=0.0, tol=1e-3, max_iter=1000)`.

    `fit(X, y)` takes X `(n_samples, n_features)` and y of exactly two distinct labels
    (any numbers; the larger is the positive class); it sets `alphas` (MLArray `(n,)`),
    `b`, `support_vectors` (indices of the samples with α > 1e-8), `classes` and returns
    self. `decision_function(X)` is f(x) = Σ αᵢyᵢK(xᵢ, x) − b, `predict(X)` the original
    labels (the positive one where f(x) ≥ 0), `score(X, y)` the accuracy.
    """

    title = "Support Vector Machine (SVM)"

    def __init__(self, C=1.0, kernel="linear", gamma="scale", degree=3, coef0=0.0,
                 tol=1e-3, max_iter=1000):
        super().__init__(C, kernel, gamma, degree, coef0, tol, max_iter)
        self.y_train = None
        self.classes = None

    def fit(self, X, y):
        X, y = self._training_data(X, y)
        self.classes = np.unique(y)
        if len(self.classes) != 2:
            raise ValueError(f"SVM needs exactly 2 classes in y; got {len(self.classes)} "
                             f"({self.classes.tolist()[:5]}); use SVMMulticlass for more")
        signs = np.where(y == self.classes[1], 1.0, -1.0)
        K = self._kernel_matrix(X, X)
        alphas, rho = _smo(K, -np.ones(len(X)), signs, self.C, self.tol,
                           self.max_iter * len(X))
        self.y_train = signs
        self._coefficients = alphas * signs
        self.alphas = MLArray(alphas, requires_grad=False)
        self.b = rho
        self.support_vectors = np.flatnonzero(alphas > 1e-8).tolist()
        return self

    def decision_function(self, X):
        X = self._inputs(X)
        return MLArray(self._kernel_matrix(X, self.X_train) @ self._coefficients - self.b,
                       requires_grad=False)

    def predict(self, X):
        scores = self.decision_function(X).numpy()
        return MLArray(np.where(scores >= 0, self.classes[1], self.classes[0]),
                       requires_grad=False)

    def score(self, X, y):
        predictions = self.predict(X).numpy()
        return float((predictions == _targets(y, len(predictions))).mean())

    def __repr__(self):
        return self._summary([] if self.classes is None
                             else [f"  classes: {self.classes.tolist()}"])


class SVMMulticlass:
    """One-vs-rest: one `SVM` per class (that class against all the others), with the
    arguments of `SVM`. `fit(X, y)` sets `classes` (sorted labels) and `classifiers`
    ({label: SVM}); `decision_function(X)` is `(n, n_classes)`, column k the score of
    classes[k]; `predict(X)` the label of the largest score; `score(X, y)` the accuracy.
    """

    def __init__(self, C=1.0, kernel="linear", gamma="scale", degree=3, coef0=0.0,
                 tol=1e-3, max_iter=1000):
        self._template = SVM(C, kernel, gamma, degree, coef0, tol, max_iter)   # checks them
        self.C, self.kernel, self.gamma = C, kernel, gamma
        self.degree, self.coef0, self.tol, self.max_iter = degree, coef0, tol, max_iter
        self.classifiers = {}
        self.classes = None

    def fit(self, X, y):
        X = as_samples(X)
        y = _targets(y, len(X))
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"SVMMulticlass needs at least 2 classes in y; got {len(classes)}")
        self.classifiers = {}
        for label in classes.tolist():
            machine = SVM(self.C, self.kernel, self.gamma, self.degree, self.coef0, self.tol,
                          self.max_iter)
            self.classifiers[label] = machine.fit(X, (y == label).astype(np.float64))
        self.classes = classes.tolist()
        return self

    def decision_function(self, X):
        if self.classes is None:
            raise RuntimeError("SVMMulticlass is not fitted: call fit(X, y) first")
        columns = [self.classifiers[label].decision_function(X).numpy() for label in self.classes]
        return MLArray(np.stack(columns, axis=1), requires_grad=False)

    def predict(self, X):
        scores = self.decision_function(X).numpy()
        return MLArray(np.asarray(self.classes, dtype=np.float64)[scores.argmax(axis=1)],
                       requires_grad=False)

    def score(self, X, y):
        predictions = self.predict(X).numpy()
        return float((predictions == _targets(y, len(predictions))).mean())

    def __repr__(self):
        lines = ["Multiclass SVM (one-vs-rest)",
                 f"  kernel={self.kernel!r}, C={self.C}, gamma={self.gamma}"]
        if self.classes is None:
            lines.append("  not fitted")
        else:
            lines.append(f"  {len(self.classes)} classes: {self.classes}")
            lines += [f"    class {label}: {len(machine.support_vectors)} support vectors"
                      for label, machine in self.classifiers.items()]
            lines.append(f"  memory: {memory.format_size(memory.calculate_svm_size(self)['total'])}")
        return "\n".join(lines)


class SVR(_KernelMachine):
    """Epsilon-insensitive regression: `SVR(C=1.0, epsilon=0.1, kernel="linear",
    gamma="scale", degree=3, coef0=0.0, tol=1e-3, max_iter=1000)`.

    Errors within ±epsilon cost nothing; beyond it they cost C per unit. `fit(X, y)`
    sets `alphas` and `alphas_star` (MLArrays `(n,)`), `b`, `support_vectors` (indices
    with |α − α*| > 1e-8). `predict(X)` (also `decision_function`) is
    f(x) = Σ (αᵢ − α*ᵢ)K(xᵢ, x) + b; `score(X, y)` is R², `mse(X, y)` the mean squared
    error.
    """

    title = "Support Vector Regression (SVR)"

    def __init__(self, C=1.0, epsilon=0.1, kernel="linear", gamma="scale", degree=3,
                 coef0=0.0, tol=1e-3, max_iter=1000):
        super().__init__(C, kernel, gamma, degree, coef0, tol, max_iter)
        self.epsilon = _checks.real_number(epsilon, "epsilon", low=0.0, high=None)
        self.alphas_star = None
        self.y_train = None

    def fit(self, X, y):
        X, y = self._training_data(X, y)
        n = len(X)
        K = self._kernel_matrix(X, X)
        signs = np.concatenate([np.ones(n), -np.ones(n)])
        linear = np.concatenate([self.epsilon - y, self.epsilon + y])
        both, rho = _smo(np.tile(K, (2, 2)), linear, signs, self.C, self.tol,
                         self.max_iter * n)
        self.y_train = y
        self._coefficients = both[:n] - both[n:]
        self.alphas = MLArray(both[:n], requires_grad=False)
        self.alphas_star = MLArray(both[n:], requires_grad=False)
        self.b = -rho
        self.support_vectors = np.flatnonzero(np.abs(self._coefficients) > 1e-8).tolist()
        return self

    def decision_function(self, X):
        X = self._inputs(X)
        return MLArray(self._kernel_matrix(X, self.X_train) @ self._coefficients + self.b,
                       requires_grad=False)

    def predict(self, X):
        return self.decision_function(X)

    def score(self, X, y):
        predictions = self.predict(X).numpy()
        y = _targets(y, len(predictions))
        residual = float(((y - predictions) ** 2).sum())
        total = float(((y - y.mean()) ** 2).sum())
        return 1.0 - residual / total if total > 0 else (1.0 if residual == 0 else 0.0)

    def mse(self, X, y):
        predictions = self.predict(X).numpy()
        return float(((_targets(y, len(predictions)) - predictions) ** 2).mean())

    def __repr__(self):
        return self._summary([f"  epsilon={self.epsilon}"])


def _targets(y, n_samples):
    """y as a finite float64 (n,) array: shape (n,) or (n, 1), n matching X."""
    y = as_float_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n_samples:
        raise ValueError(f"y must have shape ({n_samples},) or ({n_samples}, 1) to match X; "
                         f"got {y.shape}")
    _checks.finite(y, "y")
    return y


def _smo(R, p, y, C, tol, max_steps):
    """(α, ρ) minimizing ½ αᵀQα + pᵀα over 0 ≤ α ≤ C, yᵀα = 0 (y = ±1), where
    Qᵢⱼ = yᵢyⱼRᵢⱼ, by SMO with LIBSVM's second-order working-set selection; ρ is the
    threshold of f = … − ρ. The loop keeps −yG (G = Qα + p), which moves by rows of R."""
    alpha = np.zeros(len(p))
    minus_yG = -y * p
    diagonal = np.diag(R).copy()
    positive = y > 0
    for _ in range(max_steps):
        below_c, above_0 = alpha < C, alpha > 0
        can_rise = np.where(positive, below_c, above_0)     # α + y·t stays feasible, t > 0
        can_fall = np.where(positive, above_0, below_c)     # α − y·t stays feasible
        rising = np.where(can_rise, minus_yG, -np.inf)
        i = int(rising.argmax())
        g_max = rising[i]
        if g_max - np.where(can_fall, minus_yG, np.inf).min() < tol:
            break                                           # KKT conditions hold within tol
        gain = g_max - minus_yG
        curvature = np.maximum(diagonal[i] + diagonal - 2.0 * R[i], 1e-12)
        j = int(np.where(can_fall & (gain > 0), gain * gain / curvature, -np.inf).argmax())
        # α_i moves by y_i·t and α_j by −y_j·t, so yᵀα does not change
        room_i = C - alpha[i] if positive[i] else alpha[i]
        room_j = alpha[j] if positive[j] else C - alpha[j]
        t = min(gain[j] / curvature[j], room_i, room_j)
        alpha[i] = (C if positive[i] else 0.0) if t == room_i else alpha[i] + y[i] * t
        alpha[j] = (0.0 if positive[j] else C) if t == room_j else alpha[j] - y[j] * t
        minus_yG -= t * (R[i] - R[j])
    return alpha, _threshold(alpha, -minus_yG, y, C)


def _threshold(alpha, yG, y, C):
    """ρ: the mean of yG over free multipliers (0 < α < C), where the KKT conditions
    make it exact; without any, the middle of the interval the bounded ones allow."""
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(yG[free].mean())
    at_upper, at_lower = alpha >= C, alpha <= 0
    upper_bound = (at_upper & (y < 0)) | (at_lower & (y > 0))
    lower_bound = (at_upper & (y > 0)) | (at_lower & (y < 0))
    ub = yG[upper_bound].min() if upper_bound.any() else np.inf
    lb = yG[lower_bound].max() if lower_bound.any() else -np.inf
    return float((ub + lb) / 2) if np.isfinite(ub + lb) else float(ub if np.isfinite(ub) else lb)
