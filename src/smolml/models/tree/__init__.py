"""Tree models: `DecisionTree` (with its `DecisionNode`s) and `RandomForest`."""
from smolml.models.tree.decision_tree import DecisionNode, DecisionTree
from smolml.models.tree.random_forest import RandomForest

__all__ = ["DecisionNode", "DecisionTree", "RandomForest"]
