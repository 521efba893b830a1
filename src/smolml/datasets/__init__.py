"""Small data sets to learn on: the UCI handwritten digits, shipped with smolml, and
toy 2-D problems (moons, XOR, spirals) made on the fly.

Everything random draws from `smolml._random.rng`, so `smolml.manual_seed(n)` makes
the same data and the same splits every time, on either backend. Results are NumPy
arrays: X float64 of shape (n_samples, n_features), y int of shape (n_samples,).
"""
import gzip
import math
from importlib import resources

import numpy as np

from smolml._random import rng

__all__ = ["load_digits", "make_moons", "make_xor", "make_spirals", "train_test_split"]


def load_digits():
    """The 1,797 8×8 images of handwritten digits of the UCI "Optical Recognition of
    Handwritten Digits" test set (E. Alpaydin and C. Kaynak; CC BY 4.0).

    Returns (X, y): X float64 (1797, 64), each row an image read row by row, pixel
    values 0..16; y int (1797,), the digit 0..9.
    """
    source = resources.files(__package__).joinpath("data", "digits.csv.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(np.int64)


def make_moons(n_samples=100, noise=0.0):
    """Two interleaving half circles in 2-D, a problem no straight line separates.

    Class 0: (cos t, sin t); class 1: (1 − cos t, ½ − sin t); t evenly spaced in
    [0, π], n_samples // 2 points in class 0 and the rest in class 1. Gaussian noise of
    standard deviation `noise` is added to each coordinate; the points are shuffled.
    """
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0.0, math.pi, n_outer)
    inner = np.linspace(0.0, math.pi, n_inner)
    X = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], axis=1),
                        np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1)])
    y = np.concatenate([np.zeros(n_outer, dtype=np.int64), np.ones(n_inner, dtype=np.int64)])
    return _shuffled(_noisy(X, noise), y)


def make_xor(n_samples=4, noise=0.0):
    """XOR: the corners (0,0), (0,1), (1,0), (1,1), repeated in that order to
    `n_samples` points, labelled a XOR b, plus Gaussian noise of standard deviation
    `noise`. The default is the four-row truth table."""
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    picks = np.arange(n_samples) % 4
    return _noisy(corners[picks], noise), labels[picks]


def make_spirals(n_samples=100, noise=0.0, n_classes=2):
    """Interleaved spiral arms, one per class, around the origin.

    Arm k holds n_samples // n_classes points (the first arms take any remainder) at
    radius r = s and angle 3π·s + 2πk/n_classes, s evenly spaced in [0, 1]: one and a
    half turns each. Gaussian noise of standard deviation `noise` is added to each
    coordinate; the points are shuffled.
    """
    points, labels = [], []
    for k in range(n_classes):
        count = n_samples // n_classes + (1 if k < n_samples % n_classes else 0)
        radius = np.linspace(0.0, 1.0, count)
        angle = 3.0 * math.pi * radius + 2.0 * math.pi * k / n_classes
        points.append(np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1))
        labels.append(np.full(count, k, dtype=np.int64))
    return _shuffled(_noisy(np.concatenate(points), noise), np.concatenate(labels))


def train_test_split(X, y, test_size=0.25, shuffle=True):
    """Split (X, y) into (X_train, X_test, y_train, y_test), as NumPy arrays.

    test_size: a fraction in (0, 1) (the test set gets ceil(test_size·n) rows) or a
    row count. With `shuffle` the rows are permuted first (by `smolml._random.rng`);
    without it the test set is the last rows.
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} samples but y has {len(y)}")
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, int) and not isinstance(test_size, bool) and 0 < test_size < n:
        n_test = test_size
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a count in 1..{n - 1}; "
                         f"got {test_size!r}")
    order = list(range(n))
    if shuffle:
        rng.shuffle(order)
    train, test = order[:n - n_test], order[n - n_test:]
    return X[train], X[test], y[train], y[test]


def _noisy(X, noise):
    if noise:
        X = X + np.array([rng.gauss(0.0, noise) for _ in range(X.size)]).reshape(X.shape)
    return X


def _shuffled(X, y):
    order = list(range(len(X)))
    rng.shuffle(order)
    return X[order], y[order]
