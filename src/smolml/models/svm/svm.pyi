from typing import Any

from typing_extensions import Self

from smolml._types import ArrayLike
from smolml.core.ml_array import MLArray

KERNELS: tuple[str, ...]

class SVM:
    title: str
    C: float
    kernel: str
    gamma: str | float
    degree: int
    coef0: float
    tol: float
    max_iter: int
    alphas: MLArray | None
    b: float
    support_vectors: list[int] | None
    X_train: Any
    y_train: Any
    classes: Any
    def __init__(self, C: float = ..., kernel: str = ..., gamma: str | float = ...,
                 degree: int = ..., coef0: float = ..., tol: float = ...,
                 max_iter: int = ...) -> None: ...
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self: ...
    def decision_function(self, X: ArrayLike) -> MLArray: ...
    def predict(self, X: ArrayLike) -> MLArray: ...
    def score(self, X: ArrayLike, y: ArrayLike) -> float: ...

class SVMMulticlass:
    C: float
    kernel: str
    gamma: str | float
    degree: int
    coef0: float
    tol: float
    max_iter: int
    classifiers: dict[Any, SVM]
    classes: list[Any] | None
    def __init__(self, C: float = ..., kernel: str = ..., gamma: str | float = ...,
                 degree: int = ..., coef0: float = ..., tol: float = ...,
                 max_iter: int = ...) -> None: ...
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self: ...
    def decision_function(self, X: ArrayLike) -> MLArray: ...
    def predict(self, X: ArrayLike) -> MLArray: ...
    def score(self, X: ArrayLike, y: ArrayLike) -> float: ...

class SVR:
    title: str
    C: float
    epsilon: float
    kernel: str
    gamma: str | float
    degree: int
    coef0: float
    tol: float
    max_iter: int
    alphas: MLArray | None
    alphas_star: MLArray | None
    b: float
    support_vectors: list[int] | None
    X_train: Any
    y_train: Any
    def __init__(self, C: float = ..., epsilon: float = ..., kernel: str = ...,
                 gamma: str | float = ..., degree: int = ..., coef0: float = ...,
                 tol: float = ..., max_iter: int = ...) -> None: ...
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self: ...
    def decision_function(self, X: ArrayLike) -> MLArray: ...
    def predict(self, X: ArrayLike) -> MLArray: ...
    def score(self, X: ArrayLike, y: ArrayLike) -> float: ...
    def mse(self, X: ArrayLike, y: ArrayLike) -> float: ...
