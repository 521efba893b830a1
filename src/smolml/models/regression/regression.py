"""Linear and polynomial regression, trained by gradient descent through the autograd.

A model holds two trainable `MLArray`s, `weights` (shape `(input_size,)`) and `bias`
(shape `(1,)`), and predicts `ŷ = X @ weights + bias`. One training step is the same
four moves a neural network makes:

    loss = L(ŷ(X), y)              forward, building the graph
    loss.backward()                 ∂loss/∂θ for θ in (weights, bias)
    θ ← optimizer.update(θ, ∂θ)     e.g. SGD: θ ← θ − α·∂loss/∂θ
    θ.restart()                     zero the gradient, forget the graph

The closed-form least-squares solution exists for these models; they are trained by
gradient descent anyway because that is what they are here to show.
"""
import itertools
import math

from smolml import _checks, _memory
from smolml._data import as_float_array
from smolml.core.ml_array import MLArray, ones
import smolml.utils.initializers as initializers
import smolml.utils.losses as losses
import smolml.utils.optimizers as optimizers


class Regression:
    """Base class: parameters, the gradient-descent loop and the checks on X and y.

    `Regression(input_size, loss_function=None, optimizer=None, initializer=None)`:
    `loss_function(y_pred, y_true)` returns a 0-d MLArray (default `mse_loss`);
    `optimizer` has SmolML's `update(model, model_name, param_names)` (default a new
    `SGD()`); `initializer.initialize(shape)` draws the initial weights (default a new
    `XavierUniform()`); the bias starts at 1, as in SmolML. Subclasses define
    `_features(X)`, the design matrix the linear model sees.
    """

    def __init__(self, input_size, loss_function=None, optimizer=None, initializer=None):
        self.input_size = _checks.integer(input_size, "input_size", minimum=1)
        # None means "a fresh default": optimizers keep per-model state, so one shared
        # default instance would leak momentum from one model into the next.
        self.loss_function = losses.mse_loss if loss_function is None else \
            losses.resolve(loss_function)
        self.optimizer = optimizers.resolve(optimizer)
        self.initializer = initializers.XavierUniform() if initializer is None else initializer
        self.weights = self.initializer.initialize((self.input_size,))
        self.bias = ones(1)

    def fit(self, X, y, iterations=100, verbose=True, print_every=1):
        """Run `iterations` full-batch gradient-descent steps on (X, y).

        X: `(n_samples, n_features)` (or `(n_samples,)` for one feature); y: `(n_samples,)`
        or `(n_samples, 1)`. MLArray, nested lists or NumPy. Returns the list of the
        loss values (floats) before each step. Raises ValueError when X and y have
        different numbers of samples or X has the wrong number of features.
        """
        iterations = _checks.integer(iterations, "iterations")
        print_every = _checks.integer(print_every, "print_every", minimum=1)
        X = self._check_X(X)
        y = _as_targets(y, len(X))
        # The data are constants of the optimisation: arrays that track no gradient,
        # so backward() spends nothing on them and they never need restarting.
        features = self._features(MLArray(X, requires_grad=False))
        y = MLArray(y, requires_grad=False)
        history = []
        for i in range(iterations):
            y_pred = features @ self.weights + self.bias
            loss = self.loss_function(y_pred, y)
            history.append(float(loss))
            loss.backward()
            self.weights, self.bias = self.optimizer.update(
                self, self.__class__.__name__, param_names=("weights", "bias"))
            self.restart()
            if verbose and (i + 1) % print_every == 0:
                print(f"Iteration {i + 1}/{iterations}, Loss: {history[-1]}")
        return history

    def restart(self, X=None, y=None):
        """Zero the parameters' gradients and cut their graph history.

        SmolML's form `X, y = model.restart(X, y)` also restarts the given data arrays
        and returns them; without arguments only the parameters are restarted.
        """
        self.weights = self.weights.restart()
        self.bias = self.bias.restart()
        if X is None and y is None:
            return None
        return (X.restart() if X is not None else None,
                y.restart() if y is not None else None)

    def predict(self, X):
        """ŷ = features(X) @ weights + bias, an MLArray of shape `(n_samples,)`.

        An MLArray X stays connected to the graph (gradients can flow back into it);
        lists and NumPy arrays become constants. Works before `fit` too: it then uses
        the initial parameters.
        """
        if not isinstance(X, MLArray):
            X = MLArray(self._check_X(X), requires_grad=False)
        else:
            self._check_X(X)
            if X.ndim == 1:
                X = X.reshape(-1, 1)
        return self._features(X) @ self.weights + self.bias

    def _features(self, X):
        raise NotImplementedError(
            "Regression is the base class; use LinearRegression or PolynomialRegression")

    @property
    def _n_inputs(self):
        """Number of raw features X must have (before any expansion)."""
        return self.input_size

    def _check_X(self, X):
        """X as a finite float64 array of shape (n_samples, n_inputs) with at least one
        sample, or a clear error."""
        X = as_float_array(X, "X")
        if X.ndim == 1 and self._n_inputs == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}")
        if X.shape[0] == 0:
            raise ValueError("X has no samples")
        if X.shape[1] != self._n_inputs:
            raise ValueError(f"X has {X.shape[1]} features but {type(self).__name__} "
                             f"expects {self._n_inputs}")
        return _checks.finite(X, "X")

    def __repr__(self):
        import smolml.utils.memory as memory
        size = memory.calculate_regression_size(self)
        loss_name = getattr(self.loss_function, "__name__", type(self.loss_function).__name__)
        lr = getattr(self.optimizer, "learning_rate", None)
        lines = [f"{type(self).__name__} model"]
        lines += self._structure_lines()
        lines += [
            f"Loss function: {loss_name}",
            f"Optimizer: {type(self.optimizer).__name__}(learning_rate={lr})",
            f"Parameters: {self.weights.size() + self.bias.size():,}",
            f"Memory: parameters {memory.format_size(size['parameters']['total'])}, "
            f"total {memory.format_size(size['total'])}",
        ]
        return "\n".join(lines)

    def _structure_lines(self):
        return [f"Input size: {self.input_size}"]


class LinearRegression(Regression):
    """ŷ = X @ w + b: one weight per input feature and a bias.

    `LinearRegression(input_size, loss_function=None, optimizer=None, initializer=None)`.
    """

    def _features(self, X):
        return X


class PolynomialRegression(Regression):
    """Linear regression on every monomial of the inputs up to `degree`.

    For inputs (x₁, x₂) and degree 2 the features are x₁, x₂, x₁², x₁x₂, x₂²
    (combinations with replacement, by degree), so `input_size` of the underlying
    linear model is the number of monomials; `original_input_size` is the number of
    raw features X must have.

    The number of monomials of degree 1..d in n inputs is C(n + d, d) − 1, and it grows
    fast (100 inputs at degree 8 give 3.5e11); more than MAX_FEATURES of them is a
    ValueError giving the count.
    """

    MAX_FEATURES = 10_000
    """The most monomials a model may have: each is one column of the design matrix
    (n_samples numbers) and one weight."""

    def __init__(self, input_size, degree, loss_function=None, optimizer=None, initializer=None):
        self.degree = _checks.integer(degree, "degree", minimum=1)
        self.original_input_size = _checks.integer(input_size, "input_size", minimum=1)
        n_features = self._calculate_num_features(self.original_input_size, self.degree)
        if n_features > self.MAX_FEATURES:
            raise ValueError(
                f"{self.original_input_size} inputs at degree {self.degree} give {n_features:,} "
                f"polynomial features, more than PolynomialRegression.MAX_FEATURES "
                f"({self.MAX_FEATURES:,}); use a lower degree or fewer inputs")
        super().__init__(n_features, loss_function, optimizer, initializer)

    @property
    def _n_inputs(self):
        return self.original_input_size

    def generate_combinations(self, n_features, degree):
        """Index tuples of every monomial of degree 1..degree, e.g. for 2 features and
        degree 2: [(0,), (1,), (0, 0), (0, 1), (1, 1)]."""
        return [combination
                for d in range(1, degree + 1)
                for combination in itertools.combinations_with_replacement(range(n_features), d)]

    def _calculate_num_features(self, n_features, degree):
        """C(n + d, d) − 1: the monomials of degree 1..d in n variables, counted
        without listing them (stars and bars, minus the constant monomial)."""
        return math.comb(n_features + degree, degree) - 1

    def transform_features(self, X):
        """The polynomial design matrix: MLArray `(n_samples, n_monomials)`.

        Built with MLArray operations, so an X that tracks gradients stays connected.
        """
        if not isinstance(X, MLArray):
            X = MLArray(self._check_X(X), requires_grad=False)
        elif X.ndim == 1:
            X = X.reshape(-1, 1)
        return self._features(X)

    def _features(self, X):
        # every monomial column, then the stacked matrix: twice the design matrix
        _memory.check_array((X.shape[0], self.input_size), 2 * _memory.element_bytes(),
                            "the polynomial design matrix")
        columns = [X[:, j] for j in range(X.shape[1])]
        monomials = []
        for combination in self.generate_combinations(len(columns), self.degree):
            term = columns[combination[0]]
            for j in combination[1:]:
                term = term * columns[j]
            monomials.append(term)
        # MLArray of a list of (n,) arrays is (n_monomials, n); .T puts samples first.
        return MLArray(monomials).T

    def _structure_lines(self):
        return [f"Original input size: {self.original_input_size}",
                f"Polynomial degree: {self.degree}",
                f"Expanded features: {self.input_size}"]


def _as_targets(y, n_samples):
    """y as float64 of shape (n_samples,); a (n, 1) column is accepted."""
    y = as_float_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n_samples,) or (n_samples, 1); got {y.shape}")
    if len(y) != n_samples:
        raise ValueError(f"X and y have different lengths: X has {n_samples} samples, "
                         f"y has {len(y)}")
    return _checks.finite(y, "y")
