from typing import Any

from smolml._types import ArrayLike, Initializer, Loss
from smolml.core.ml_array import MLArray
from smolml.utils.optimizers import Optimizer

class Regression:
    input_size: int
    loss_function: Loss
    optimizer: Optimizer
    initializer: Initializer
    weights: MLArray
    bias: MLArray
    def __init__(self, input_size: int, loss_function: Loss | None = ...,
                 optimizer: Optimizer | str | None = ...,
                 initializer: Initializer | None = ...) -> None: ...
    def fit(self, X: ArrayLike, y: ArrayLike, iterations: int = ..., verbose: bool = ...,
            print_every: int = ...) -> list[float]: ...
    def restart(self, X: MLArray | None = ..., y: MLArray | None = ...) -> Any: ...
    def predict(self, X: ArrayLike) -> MLArray: ...

class LinearRegression(Regression): ...

class PolynomialRegression(Regression):
    MAX_FEATURES: int
    degree: int
    original_input_size: int
    def __init__(self, input_size: int, degree: int, loss_function: Loss | None = ...,
                 optimizer: Optimizer | str | None = ...,
                 initializer: Initializer | None = ...) -> None: ...
    def generate_combinations(self, n_features: int, degree: int) -> Any: ...
    def transform_features(self, X: ArrayLike) -> MLArray: ...
