import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

from typing_extensions import Self

from smolml._dtype import DType
from smolml._types import ArrayLike, Loss
from smolml.core.ml_array import MLArray
from smolml.models.nn.dropout import Dropout
from smolml.models.nn.layer import DenseLayer
from smolml.utils.optimizers import Optimizer
from smolml.utils.schedulers import LRScheduler

PREDICT_BATCH_SIZE: int

class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]

class NeuralNetwork:
    layers: list[DenseLayer | Dropout]
    loss_function: Loss
    optimizer: Optimizer
    history: dict[str, list[float]]
    training: bool
    def __init__(self, layers: Sequence[DenseLayer | Dropout], loss_function: Loss,
                 optimizer: Optimizer | str | None = ...) -> None: ...
    @property
    def dtype(self) -> DType: ...
    @property
    def backend(self) -> str: ...
    def forward(self, input_data: ArrayLike) -> MLArray: ...
    def __call__(self, input_data: ArrayLike) -> MLArray: ...
    def predict(self, X: ArrayLike, batch_size: int | None = ...) -> MLArray: ...
    def named_parameters(self) -> list[tuple[str, MLArray]]: ...
    def parameters(self) -> list[MLArray]: ...
    def zero_grad(self) -> None: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = ...) -> IncompatibleKeys: ...
    def to_torch(self) -> Any: ...
    @classmethod
    def from_torch(cls, module: Any, loss_function: Loss | None = ...,
                   optimizer: Optimizer | str | None = ...) -> Self: ...
    def train(self, X: ArrayLike, y: ArrayLike, epochs: int, verbose: bool = ...,
              print_every: int = ..., batch_size: int | None = ..., shuffle: bool = ...,
              validation_data: tuple[ArrayLike, ArrayLike] | None = ...,
              scheduler: LRScheduler | None = ..., clip_grad_norm: float | None = ...,
              early_stopping: int | None = ...,
              threads: int | Literal["auto"] = ...) -> list[float]: ...
    def save(self, path: str | os.PathLike[str]) -> None: ...
    @classmethod
    def load(cls, path: str | os.PathLike[str], loss_function: Loss | None = ...,
             optimizer: Optimizer | str | None = ...,
             activations: Mapping[str, Any] | None = ...) -> Self: ...
