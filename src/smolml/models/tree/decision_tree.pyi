from collections.abc import Sequence
from typing import Any

from typing_extensions import Self

from smolml._types import ArrayLike
from smolml.core.ml_array import MLArray

TASKS: tuple[str, ...]

class DecisionNode:
    feature_idx: int | None
    threshold: float | None
    left: DecisionNode | None
    right: DecisionNode | None
    value: Any
    def __init__(self, feature_idx: int | None = ..., threshold: float | None = ...,
                 left: DecisionNode | None = ..., right: DecisionNode | None = ...,
                 value: Any = ...) -> None: ...
    def is_leaf(self) -> bool: ...

class DecisionTree:
    max_depth: int | None
    min_samples_split: int
    min_samples_leaf: int
    task: str
    max_features: int | None
    root: DecisionNode | None
    n_features: int
    n_classes: int
    classes_: Any
    def __init__(self, max_depth: int | None = ..., min_samples_split: int = ...,
                 min_samples_leaf: int = ..., task: str = ...,
                 max_features: int | None = ...) -> None: ...
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self: ...
    def predict(self, X: ArrayLike) -> MLArray: ...
    def show_tree(self, node: DecisionNode | None = ..., prefix: str = ...,
                  is_left: bool = ..., is_root: bool = ...,
                  feature_names: Sequence[str] | None = ...) -> None: ...

def as_matrix(X: ArrayLike, name: str = ...) -> Any: ...
def check_features(X: ArrayLike, n_features: int) -> Any: ...
def check_training_data(X: ArrayLike, y: ArrayLike) -> tuple[Any, Any]: ...
