from typing import Any

from typing_extensions import Self

from smolml._types import ArrayLike
from smolml.core.ml_array import MLArray

class _Scaler:
    n_features: int
    def __init__(self) -> None: ...
    def fit(self, X: ArrayLike) -> Self: ...
    def transform(self, X: ArrayLike) -> MLArray: ...
    def inverse_transform(self, X: ArrayLike) -> MLArray: ...
    def fit_transform(self, X: ArrayLike) -> MLArray: ...

class StandardScaler(_Scaler):
    mean: Any
    std: Any

class MinMaxScaler(_Scaler):
    max: Any
    min: Any
