"""K-means clustering: k centroids, each the mean of the points nearest to it.

Lloyd's algorithm alternates two steps that each lower the inertia
J = Σᵢ ‖xᵢ − μ_c(i)‖² (sum of squared distances to the assigned centroid):

    assign:  c(i) ← argmin_j ‖xᵢ − μ_j‖²
    update:  μ_j ← mean of the points with c(i) = j

until the centroids move less than `tol` in total (or `max_iters` passes). J can only
go down, so it stops, but at a local minimum that depends on the starting centroids.

Initialisation is k-means++ (Arthur & Vassilvitskii, 2007), where SmolML took k
random points: the first centroid is a uniformly drawn point, each next one a point
drawn with probability ∝ D(x)², its squared distance to the nearest centroid chosen
so far. Spread-out starts make a bad local minimum much less likely.
"""
import numpy as np

from smolml import _checks
from smolml._data import as_samples
from smolml._random import rng
from smolml.core.ml_array import MLArray


class KMeans:
    """`KMeans(n_clusters, max_iters=100, tol=1e-4)`.

    `fit(X_train)` (`(n_samples, n_features)`, MLArray, nested lists or NumPy) returns
    self and sets `centroids` (MLArray `(n_clusters, n_features)`), `labels_` (MLArray
    `(n_samples,)` of cluster indices), `inertia_`, `n_iter_` and `centroid_history`
    (the centroids, as lists, after initialisation and after every update).
    `predict(X)` gives each row the index of its nearest centroid; `fit_predict(X_train)`
    is `fit(X_train).labels_`. Random draws use `smolml._random.rng`
    (`smolml.manual_seed(n)` makes them repeatable).

    A cluster that loses all its points keeps its centroid where it was.
    """

    def __init__(self, n_clusters, max_iters=100, tol=1e-4):
        self.n_clusters = _checks.integer(n_clusters, "n_clusters", minimum=1)
        self.max_iters = _checks.integer(max_iters, "max_iters", minimum=1)
        if not tol >= 0:
            raise ValueError(f"tol must be >= 0; got {tol!r}")
        self.tol = tol
        self.centroids = None
        self.labels_ = None
        self.inertia_ = None
        self.n_iter_ = 0
        self.centroid_history = []

    def fit(self, X_train):
        """Cluster the rows of X_train. Raises ValueError if n_clusters > n_samples."""
        X = _as_points(X_train)
        if self.n_clusters > len(X):
            raise ValueError(f"n_clusters={self.n_clusters} is larger than the number of "
                             f"samples ({len(X)}): every cluster needs at least one point")
        centroids = self._initialize_centroids(X)
        self.centroid_history = [centroids.tolist()]
        self.n_iter_ = 0
        for _ in range(self.max_iters):
            labels = _nearest(X, centroids)[0]
            new_centroids = self._update_centroids(X, labels, centroids)
            self.centroid_history.append(new_centroids.tolist())
            self.n_iter_ += 1
            movement = np.sqrt(((new_centroids - centroids) ** 2).sum())
            centroids = new_centroids
            if movement < self.tol:
                break
        # Labels and inertia of the final centroids, so that labels_ == predict(X).
        labels, squared = _nearest(X, centroids)
        self.centroids = MLArray(centroids, requires_grad=False)
        self.labels_ = MLArray(labels, requires_grad=False)
        self.inertia_ = float(squared.sum())
        return self

    def predict(self, X):
        """Index of the nearest centroid for each row of X: MLArray `(n_samples,)`."""
        if self.centroids is None:
            raise ValueError("this KMeans is not fitted yet: call fit(X) before predict(X)")
        centroids = self.centroids.numpy()
        X = _as_points(X)
        if X.shape[1] != centroids.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features but KMeans was fitted "
                             f"on {centroids.shape[1]}")
        return MLArray(_nearest(X, centroids)[0], requires_grad=False)

    def fit_predict(self, X_train):
        """Fit, then return the cluster index of every training row."""
        return self.fit(X_train).labels_

    def _initialize_centroids(self, X):
        """k-means++: k rows of X, each drawn with probability ∝ D(x)²."""
        n = len(X)
        chosen = [rng.randrange(n)]
        closest = ((X - X[chosen[0]]) ** 2).sum(axis=1)       # D(x)² to the chosen set
        for _ in range(1, self.n_clusters):
            total = closest.sum()
            if total > 0:
                cumulative = np.cumsum(closest)
                i = int(np.searchsorted(cumulative, rng.random() * total, side="right"))
                i = min(i, n - 1)
            else:
                # every point sits on a chosen centroid (duplicate points): any will do
                i = rng.randrange(n)
            chosen.append(i)
            closest = np.minimum(closest, ((X - X[i]) ** 2).sum(axis=1))
        return X[chosen].copy()

    def _update_centroids(self, X, labels, centroids):
        """Mean of each cluster's points; an empty cluster keeps its old centroid."""
        members = labels[:, None] == np.arange(self.n_clusters)   # (n, k) one-hot
        counts = members.sum(axis=0)
        sums = members.T.astype(np.float64) @ X
        new = centroids.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        return new


def _nearest(X, centroids):
    """(index of the nearest centroid, squared distance to it) for every row.

    ‖x − μ‖² = ‖x‖² − 2x·μ + ‖μ‖², one matrix product instead of an
    (n, k, d) array of differences; clipped at 0 against rounding.
    """
    squared = ((X * X).sum(axis=1)[:, None] - 2.0 * (X @ centroids.T)
               + (centroids * centroids).sum(axis=1)[None, :])
    np.maximum(squared, 0.0, out=squared)
    labels = np.argmin(squared, axis=1)
    return labels, squared[np.arange(len(X)), labels]


def _as_points(X):
    """X as a finite float64 (n_samples, n_features) array, or a clear error."""
    return as_samples(X)
