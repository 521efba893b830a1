"""Decision trees for classification (entropy) and regression (squared error).

A tree asks one question per internal node, "is feature j <= t?", and sends a
sample left (yes) or right (no) until it reaches a leaf, whose value is the
prediction: the majority class of the training samples that reached it, or their mean.

Growing a node means finding the question with the largest gain

    classification:  gain = H(parent) − (n_L·H(L) + n_R·H(R)) / n,   H = −Σ_k p_k log₂ p_k
    regression:      gain = MSE(parent) − (n_L·MSE(L) + n_R·MSE(R)) / n

SmolML tried every (feature, threshold) pair and re-split the data for each, O(n²)
per feature. Here each feature is sorted once, at the root: a node keeps, for every
feature, its samples in that feature's order, and passes the order on to its children
by a stable partition. In sorted order, "the first i samples go left" is every possible
threshold, and cumulative class counts (or cumulative sums of y and y²) give the
children's impurities at all n − 1 cut points at once, in NumPy. Thresholds sit halfway
between neighbouring distinct values.

Trees are grown and walked with explicit stacks and loops, so depth is not limited
by Python's recursion limit.
"""
import numpy as np

from smolml import _checks
from smolml._data import as_samples
from smolml._random import rng
from smolml.core.ml_array import MLArray

TASKS = ("classification", "regression")


class DecisionNode:
    """One node of a tree: an internal node (`feature_idx`, `threshold`, `left`, `right`)
    or a leaf (`value`, the prediction; the other fields None).

    Samples with `x[feature_idx] <= threshold` go to `left`, the others to `right`.
    """

    __slots__ = ("feature_idx", "threshold", "left", "right", "value")

    def __init__(self, feature_idx=None, threshold=None, left=None, right=None, value=None):
        self.feature_idx = feature_idx
        self.threshold = threshold
        self.left = left
        self.right = right
        self.value = value

    def is_leaf(self):
        return self.value is not None

    def __repr__(self):
        if self.value is not None:
            return f"Leaf(value={self.value})"
        return f"Node(feature={self.feature_idx}, threshold={self.threshold:.4f})"


class DecisionTree:
    """A binary decision tree.

    `DecisionTree(max_depth=None, min_samples_split=2, min_samples_leaf=1,
    task="classification", max_features=None)`:

    - `max_depth`: the longest root-to-leaf path, in splits (None: no limit);
    - `min_samples_split`: a node with fewer samples becomes a leaf;
    - `min_samples_leaf`: no split may leave fewer samples than this on either side;
    - `task`: "classification" (leaves hold the majority class, splits maximise
      information gain) or "regression" (leaves hold the mean, splits maximise the
      reduction in mean squared error);
    - `max_features`: if set, each node considers only this many features, drawn at
      random (from `smolml._random.rng`) among those not constant at that node: the
      randomisation `RandomForest` uses.

    `fit(X, y)` takes X `(n_samples, n_features)` and y `(n_samples,)`, as MLArray,
    nested lists or NumPy (numeric labels); `predict(X)` returns an MLArray
    `(n_samples,)` of classes or values. After `fit`: `root` (a `DecisionNode`),
    `n_features`, and for classification `classes_` (sorted) and `n_classes`.
    """

    def __init__(self, max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 task="classification", max_features=None):
        if task not in TASKS:
            raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}")
        _checks.integer(max_depth, "max_depth", minimum=0, allow_none=True)
        _checks.integer(min_samples_split, "min_samples_split", minimum=2)
        _checks.integer(min_samples_leaf, "min_samples_leaf", minimum=1)
        _checks.integer(max_features, "max_features", minimum=1, allow_none=True)
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.task = task
        self.max_features = max_features
        self.root = None

    def fit(self, X, y):
        """Grow the tree on (X, y). Returns self.

        Raises ValueError if X is not 2-D, X and y have different lengths, X is empty
        or holds NaN/inf.
        """
        X, y = check_training_data(X, y)
        self._grow(X, y)
        return self

    def predict(self, X):
        """The leaf value reached by each row of X: MLArray `(n_samples,)`."""
        return MLArray(self._predict_array(X), requires_grad=False)

    def _predict_array(self, X):
        if self.root is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet: "
                             f"call fit(X, y) before predict(X)")
        X = check_features(X, self.n_features)
        feature, threshold, left, right, value = _flatten(self.root)
        node = np.zeros(len(X), dtype=np.intp)
        # Every sample moves one level down per pass; a pass costs O(n) in NumPy.
        while True:
            at_split = np.flatnonzero(left[node] >= 0)
            if at_split.size == 0:
                return value[node]
            here = node[at_split]
            goes_left = X[at_split, feature[here]] <= threshold[here]
            node[at_split] = np.where(goes_left, left[here], right[here])

    def _grow(self, X, y):
        """Grow the tree from float64 X (n, d) and y (n,), validated."""
        n, d = X.shape
        self.n_features = d
        if self.task == "classification":
            self.classes_, codes = np.unique(y, return_inverse=True)
            self.n_classes = len(self.classes_)
            targets = codes.reshape(-1)
            # c·log₂(c) for every count c a node can hold, 0·log₂0 = 0: entropies become
            # table look-ups: n·H = n·log₂n − Σ_k c_k·log₂c_k.
            counts = np.arange(n + 1, dtype=np.float64)
            xlogx = counts * np.log2(np.maximum(counts, 1.0))
        else:
            self.classes_, self.n_classes = None, None
            targets, xlogx = y, None
        Xt = np.ascontiguousarray(X.T)
        # order[j] lists the samples sorted by feature j: the only sort of the whole fit.
        order = np.argsort(Xt, axis=1, kind="stable")
        is_left = np.zeros(n, dtype=bool)

        self.root = DecisionNode()
        stack = [(self.root, order, 0)]
        while stack:
            node, order, depth = stack.pop()
            samples = order[0]
            if self._must_stop(targets[samples], depth):
                node.value = self._leaf_value(targets[samples])
                continue
            split = self._best_split(Xt, order, targets, xlogx)
            if split is None:
                node.value = self._leaf_value(targets[samples])
                continue
            node.feature_idx, node.threshold = split
            is_left[samples] = Xt[node.feature_idx, samples] <= node.threshold
            # A stable partition of each feature's sorted list keeps both children sorted.
            goes_left = is_left[order]
            n_left = int(goes_left[0].sum())
            left_order = order[goes_left].reshape(d, n_left)
            right_order = order[~goes_left].reshape(d, len(samples) - n_left)
            node.left, node.right = DecisionNode(), DecisionNode()
            # Right pushed first so the left subtree is grown first (depth-first, in order).
            stack.append((node.right, right_order, depth + 1))
            stack.append((node.left, left_order, depth + 1))

    def _must_stop(self, node_targets, depth):
        if self.max_depth is not None and depth >= self.max_depth:
            return True
        if len(node_targets) < self.min_samples_split:
            return True
        return node_targets.min() == node_targets.max()  # pure node

    def _leaf_value(self, node_targets):
        if self.task == "classification":
            # ties go to the smallest class
            counts = np.bincount(node_targets, minlength=self.n_classes)
            return self.classes_[np.argmax(counts)].item()
        return float(node_targets.mean())

    def _candidate_features(self, Xt, order):
        d = Xt.shape[0]
        if self.max_features is None or self.max_features >= d:
            return np.arange(d)
        first, last = order[:, 0], order[:, -1]
        varying = np.flatnonzero(Xt[np.arange(d), first] < Xt[np.arange(d), last])
        if len(varying) <= self.max_features:
            return varying
        chosen = rng.sample(range(len(varying)), self.max_features)
        return varying[np.array(sorted(chosen))]

    def _best_split(self, Xt, order, targets, xlogx):
        """(feature, threshold) of the highest-gain split of this node, or None if no
        threshold leaves min_samples_leaf samples on both sides."""
        features = self._candidate_features(Xt, order)
        if len(features) == 0:
            return None
        sorted_ids = order[features]                          # (f, m)
        xs = Xt[features[:, None], sorted_ids]                # feature values, sorted
        m = sorted_ids.shape[1]
        n_left = np.arange(1, m)                              # cut after position i
        n_right = m - n_left
        if self.task == "classification":
            gain = self._entropy_gain(targets[sorted_ids], n_left, n_right, xlogx)
        else:
            gain = self._mse_gain(targets[sorted_ids], n_left, n_right)
        valid = (xs[:, :-1] < xs[:, 1:]) \
            & (n_left >= self.min_samples_leaf) & (n_right >= self.min_samples_leaf)
        gain = np.where(valid, gain, -np.inf)
        best = int(np.argmax(gain))
        f, i = divmod(best, m - 1)
        if gain[f, i] == -np.inf:
            return None
        low, high = xs[f, i], xs[f, i + 1]
        threshold = low / 2 + high / 2
        if not low <= threshold < high:  # neighbours one float apart
            threshold = low
        return int(features[f]), float(threshold)

    def _entropy_gain(self, codes, n_left, n_right, xlogx):
        """Information gain (bits) of every cut of every candidate feature: (f, m − 1)."""
        m = codes.shape[1]
        one_hot = codes[:, :, None] == np.arange(self.n_classes)
        left = np.cumsum(one_hot, axis=1)                     # class counts left of cut
        total = left[:, -1:, :]
        left = left[:, :-1, :]
        right = total - left
        parent = xlogx[m] - xlogx[total[0, 0]].sum()          # m·H(parent)
        children = (xlogx[n_left] - xlogx[left].sum(axis=2)
                    + xlogx[n_right] - xlogx[right].sum(axis=2))
        return (parent - children) / m

    def _mse_gain(self, ys, n_left, n_right):
        """Reduction in mean squared error of every cut: (f, m − 1).

        SSE = Σy² − (Σy)²/n on each side, from cumulative sums; y is centred on the
        node mean first so the subtraction does not cancel away the digits.
        """
        m = ys.shape[1]
        ys = ys - ys[0].mean()
        sums = np.cumsum(ys, axis=1)
        squares = np.cumsum(ys * ys, axis=1)
        total, total_sq = sums[:, -1:], squares[:, -1:]
        sums, squares = sums[:, :-1], squares[:, :-1]
        sse_left = squares - sums * sums / n_left
        sse_right = (total_sq - squares) - (total - sums) ** 2 / n_right
        parent = total_sq[0, 0] - total[0, 0] ** 2 / m
        return (parent - sse_left - sse_right) / m

    def show_tree(self, node=None, prefix="", is_left=True, is_root=True, feature_names=None):
        """Print the tree, one node per line, left branch first::

            Root: feature_2 <= 2.4500
            ├─ Left: Leaf → Class 0
            └─ Right: feature_3 <= 1.7500
               ...

        `feature_names[j]` labels feature j (default `feature_j`); `node` prints the
        subtree under that node instead of the whole tree. With `is_root=False`, `node`
        is printed as the left (`is_left`) or right child, its lines indented by
        `prefix`: the lines the whole tree prints for that subtree.
        """
        if node is None:
            if self.root is None:
                print("Tree not yet trained!")
                return
            node = self.root
        # (node, prefix of its line, connector, prefix of its children) in print order.
        if is_root:
            stack = [(node, "", "Root: ", "")]
        elif is_left:
            stack = [(node, prefix, "├─ Left: ", prefix + "│  ")]
        else:
            stack = [(node, prefix, "└─ Right: ", prefix + "   ")]
        while stack:
            current, prefix, connector, child_prefix = stack.pop()
            if current.value is not None:
                if self.task == "classification":
                    print(f"{prefix}{connector}Leaf → Class {_format_label(current.value)}")
                else:
                    print(f"{prefix}{connector}Leaf → {current.value:.4f}")
                continue
            j = current.feature_idx
            name = feature_names[j] if feature_names is not None and j < len(feature_names) \
                else f"feature_{j}"
            print(f"{prefix}{connector}{name} <= {current.threshold:.4f}")
            stack.append((current.right, child_prefix, "└─ Right: ", child_prefix + "   "))
            stack.append((current.left, child_prefix, "├─ Left: ", child_prefix + "│  "))

    def __repr__(self):
        import smolml.utils.memory as memory
        size = memory.calculate_decision_tree_size(self)
        structure = size["tree_structure"]
        lines = [f"Decision Tree ({self.task.title()})",
                 f"  max_depth={self.max_depth}, min_samples_split={self.min_samples_split}, "
                 f"min_samples_leaf={self.min_samples_leaf}"]
        if self.root is None:
            lines.append("  not yet trained")
        else:
            lines.append(f"  internal nodes: {structure['internal_nodes']}, "
                         f"leaves: {structure['leaf_nodes']}, depth: {structure['max_depth']}")
        lines.append(f"  memory: {memory.format_size(size['total'])}")
        return "\n".join(lines)


def _flatten(root):
    """The tree as parallel arrays indexed by node id (root = 0): feature, threshold,
    left child, right child (−1 at leaves) and leaf value, for vectorised prediction."""
    feature, threshold, left, right, value = [], [], [], [], []
    ids = {}
    stack = [root]
    order = []
    while stack:
        node = stack.pop()
        ids[id(node)] = len(order)
        order.append(node)
        if node.value is None:
            stack.append(node.right)
            stack.append(node.left)
    for node in order:
        leaf = node.value is not None
        feature.append(0 if leaf else node.feature_idx)
        threshold.append(0.0 if leaf else node.threshold)
        left.append(-1 if leaf else ids[id(node.left)])
        right.append(-1 if leaf else ids[id(node.right)])
        value.append(node.value if leaf else 0.0)
    return (np.array(feature, dtype=np.intp), np.array(threshold, dtype=np.float64),
            np.array(left, dtype=np.intp), np.array(right, dtype=np.intp),
            np.array(value, dtype=np.float64))


def _format_label(label):
    return f"{label:g}" if isinstance(label, float) else str(label)


def as_matrix(X, name="X"):
    """X (MLArray, nested lists, NumPy) as a new finite float64 (n_samples, n_features)."""
    X = as_samples(X, name)
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {X.shape})")
    return X


def check_features(X, n_features):
    X = as_matrix(X)
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features but the model was fitted "
                         f"on {n_features}")
    return X


def check_training_data(X, y):
    """(X, y) as float64 arrays (n, d) and (n,), with the checks every tree model needs."""
    X = as_matrix(X)
    try:
        y = np.array(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"y must be an array of real numbers; {error}") from None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n_samples,); got {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"X and y have different lengths: X has {len(X)} samples, "
                         f"y has {len(y)}")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity")
    return X, y
