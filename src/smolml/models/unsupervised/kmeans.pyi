from typing import Any

from typing_extensions import Self

from smolml._types import ArrayLike
from smolml.core.ml_array import MLArray

class KMeans:
    n_clusters: int
    max_iters: int
    tol: float
    centroids: Any
    labels_: Any
    inertia_: float | None
    n_iter_: int
    centroid_history: list[Any]
    def __init__(self, n_clusters: int, max_iters: int = ..., tol: float = ...) -> None: ...
    def fit(self, X_train: ArrayLike) -> Self: ...
    def predict(self, X: ArrayLike) -> MLArray: ...
    def fit_predict(self, X_train: ArrayLike) -> Any: ...
