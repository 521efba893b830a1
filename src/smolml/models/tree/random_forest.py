"""Random forests: many decorrelated decision trees, voting (or averaging) together.

Two sources of randomness make the trees differ (Breiman, 2001):

- bagging: each tree learns from a bootstrap sample, n draws with replacement from
  the n training samples;
- feature subsampling: each node of each tree chooses its split among only
  `max_features` randomly chosen features.

A single deep tree has low bias and high variance; averaging B trees whose errors are
only partly correlated keeps the bias and divides much of the variance away.
Every draw comes from `smolml._random.rng`, so `smolml.manual_seed(n)` fixes the forest.
"""
import numpy as np

from smolml import _checks
from smolml._random import rng
from smolml.core.ml_array import MLArray
from smolml.models.tree.decision_tree import (
    TASKS, DecisionTree, check_features, check_training_data)


class RandomForest:
    """An ensemble of `DecisionTree` objects.

    `RandomForest(n_trees=100, max_features=None, max_depth=None, min_samples_split=2,
    min_samples_leaf=1, bootstrap=True, task="classification")`. `max_features=None`
    means √d features per split for classification and d/3 for regression (at least
    1). `predict` returns the majority vote of the trees (ties: smallest class) or the
    mean of their predictions, as an MLArray `(n_samples,)`. After `fit`: `trees`, and
    for classification `classes_`.
    """

    def __init__(self, n_trees=100, max_features=None, max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, bootstrap=True,
                 task="classification"):
        if task not in TASKS:
            raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}")
        _checks.integer(n_trees, "n_trees", minimum=1)
        _checks.integer(max_features, "max_features", minimum=1, allow_none=True)
        _checks.integer(max_depth, "max_depth", minimum=0, allow_none=True)
        _checks.integer(min_samples_split, "min_samples_split", minimum=2)
        _checks.integer(min_samples_leaf, "min_samples_leaf", minimum=1)
        self.n_trees = n_trees
        self.max_features = max_features
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.bootstrap = bool(bootstrap)
        self.task = task
        self.trees = []

    def _get_max_features(self, n_features):
        """Features to consider at each split."""
        if self.max_features is None:
            if self.task == "classification":
                return max(1, int(n_features ** 0.5))
            return max(1, n_features // 3)
        return min(self.max_features, n_features)

    def _bootstrap_sample(self, X, y):
        """n rows drawn with replacement (each row left out with probability ≈ 1/e)."""
        n = len(X)
        rows = np.array([rng.randrange(n) for _ in range(n)], dtype=np.intp)
        return X[rows], y[rows]

    def fit(self, X, y):
        """Grow `n_trees` trees, each on its own bootstrap sample. Returns self.

        Raises ValueError if X is not 2-D, X and y have different lengths, X is empty
        or holds NaN/inf.
        """
        X, y = check_training_data(X, y)
        if self.task == "classification":
            self.classes_ = np.unique(y)
        max_features = self._get_max_features(X.shape[1])
        self.trees = []
        for _ in range(self.n_trees):
            sample_X, sample_y = self._bootstrap_sample(X, y) if self.bootstrap else (X, y)
            tree = DecisionTree(max_depth=self.max_depth,
                                min_samples_split=self.min_samples_split,
                                min_samples_leaf=self.min_samples_leaf,
                                task=self.task, max_features=max_features)
            tree._grow(sample_X, sample_y)
            self.trees.append(tree)
        return self

    def predict(self, X):
        """Majority vote (classification) or mean (regression) of the trees:
        MLArray `(n_samples,)`."""
        if not self.trees:
            raise ValueError(f"this {type(self).__name__} is not fitted yet: "
                             f"call fit(X, y) before predict(X)")
        X = check_features(X, self.trees[0].n_features)
        votes = np.stack([tree._predict_array(X) for tree in self.trees])   # (trees, n)
        if self.task == "regression":
            return MLArray(votes.mean(axis=0), requires_grad=False)
        # Every leaf holds one of the forest's classes, so searchsorted finds it exactly.
        codes = np.searchsorted(self.classes_, votes)
        counts = np.zeros((len(X), len(self.classes_)), dtype=np.intp)
        np.add.at(counts, (np.broadcast_to(np.arange(len(X)), codes.shape), codes), 1)
        return MLArray(self.classes_[np.argmax(counts, axis=1)], requires_grad=False)

    def __repr__(self):
        import smolml.utils.memory as memory
        size = memory.calculate_random_forest_size(self)
        lines = [f"Random Forest ({self.task.title()})",
                 f"  n_trees={self.n_trees}, max_features={self.max_features or 'auto'}, "
                 f"bootstrap={self.bootstrap}, max_depth={self.max_depth}"]
        if self.trees:
            stats = size["forest_stats"]
            lines.append(f"  trees built: {len(self.trees)}, average depth: "
                         f"{stats['avg_tree_depth']:.1f}, average nodes: "
                         f"{stats['avg_tree_nodes']:.1f}")
        else:
            lines.append("  not yet trained")
        lines.append(f"  memory: {memory.format_size(size['total'])}")
        return "\n".join(lines)
