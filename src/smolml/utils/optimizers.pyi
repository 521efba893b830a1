from collections.abc import Iterable, Sequence
from typing import Any

from smolml.core.ml_array import MLArray

HYPERPARAMETER_RANGES: dict[str, Any]

def hyperparameter(optimizer: str, value: float, name: str, kind: str) -> float: ...
def resolve(optimizer: Optimizer | str | None) -> Optimizer: ...

class Optimizer:
    state_names: tuple[str, ...]
    decoupled_weight_decay: bool
    learning_rate: float
    weight_decay: float
    step_count: int
    def __init__(self, learning_rate: float = ..., weight_decay: float = ...) -> None: ...
    def begin_step(self) -> None: ...
    def update(self, object: Any, object_idx: int,
               param_names: Sequence[str] = ...) -> Any: ...
    def step_with_decay(self, param: MLArray, idx: Any, name: str) -> None: ...
    def step(self, parameters: Iterable[MLArray]) -> None: ...
    def step_parameter(self, param: MLArray, grad: MLArray, idx: Any, name: str) -> None: ...
    def new_value(self, param: MLArray, grad: MLArray, idx: Any, name: str) -> MLArray: ...
    @property
    def state(self) -> dict[str, Any]: ...

class SGD(Optimizer): ...

class SGDMomentum(Optimizer):
    momentum_coefficient: float
    velocities: dict[Any, Any]
    def __init__(self, learning_rate: float = ..., momentum_coefficient: float = ...,
                 weight_decay: float = ...) -> None: ...

class AdaGrad(Optimizer):
    epsilon: float
    squared_gradients: dict[Any, Any]
    def __init__(self, learning_rate: float = ..., epsilon: float = ...,
                 weight_decay: float = ...) -> None: ...

class Adam(Optimizer):
    exp_decay_gradients: float
    exp_decay_squared: float
    epsilon: float
    gradients_momentum: dict[Any, Any]
    squared_gradients_momentum: dict[Any, Any]
    def __init__(self, learning_rate: float = ..., exp_decay_gradients: float = ...,
                 exp_decay_squared: float = ..., epsilon: float = ...,
                 weight_decay: float = ...) -> None: ...
    @property
    def timestep(self) -> int: ...

class AdamW(Adam): ...

class RMSprop(Optimizer):
    rho: float
    epsilon: float
    squared_gradients: dict[Any, Any]
    def __init__(self, learning_rate: float = ..., rho: float = ..., epsilon: float = ...,
                 weight_decay: float = ...) -> None: ...
