"""Fitting support vector machines on 1,000 samples (SMO over a NumPy kernel matrix):
`SVM` on the two moons with each kernel and `SVR` on a noisy sine. Run with
`pytest benchmarks/test_svm.py --benchmark-only --benchmark-group-by=group`.
The models work on NumPy numbers, so the active backend does not matter here.
"""
import numpy as np
import pytest

from smolml.datasets import make_moons
from smolml.models.svm import SVM, SVR
from harness import run

N = 1000


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly"])
def test_svm_fit_1000(benchmark, kernel):
    benchmark.group = f"SVM fit, {N} samples"
    X, y = make_moons(N, noise=0.2)
    model = run(benchmark, lambda: SVM(kernel=kernel).fit(X, y), rounds=3)
    assert model.score(X, y) > 0.8


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_svr_fit_1000(benchmark, kernel):
    benchmark.group = f"SVR fit, {N} samples"
    generator = np.random.default_rng(0)
    X = generator.uniform(-3.0, 3.0, (N, 2))
    y = 2.0 * X[:, 0] - X[:, 1] + 0.5 * np.sin(2.0 * X[:, 0]) + generator.normal(0.0, 0.1, N)
    model = run(benchmark, lambda: SVR(kernel=kernel).fit(X, y), rounds=3)
    assert model.score(X, y) > 0.8
