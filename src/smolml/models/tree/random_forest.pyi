from typing import Any

from typing_extensions import Self

from smolml._types import ArrayLike
from smolml.core.ml_array import MLArray
from smolml.models.tree.decision_tree import DecisionTree

class RandomForest:
    n_trees: int
    max_features: int | None
    max_depth: int | None
    min_samples_split: int
    min_samples_leaf: int
    bootstrap: bool
    task: str
    trees: list[DecisionTree]
    classes_: Any
    def __init__(self, n_trees: int = ..., max_features: int | None = ...,
                 max_depth: int | None = ..., min_samples_split: int = ...,
                 min_samples_leaf: int = ..., bootstrap: bool = ...,
                 task: str = ...) -> None: ...
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self: ...
    def predict(self, X: ArrayLike) -> MLArray: ...
