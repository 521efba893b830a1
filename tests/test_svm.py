"""Support vector machines against independent oracles: the KKT margin on separable
data, scikit-learn's SVC/SVR (same C, kernel, gamma), and clear errors on bad input."""
import random

import numpy as np
import pytest

from smolml import MLArray
from smolml.datasets import load_digits, make_moons
from smolml.models.svm import SVM, SVMMulticlass, SVR
from smolml._random import rng
from smolml.utils import memory

sklearn_svm = pytest.importorskip("sklearn.svm")


@pytest.fixture(autouse=True)
def same_data_every_run():
    """make_moons and the models draw from smolml's random source: each test starts it
    from one fixed state (whatever ran before), and leaves it as it found it."""
    state = rng.getstate()
    rng.setstate(random.Random(20261202).getstate())
    yield
    rng.setstate(state)



def iris_like(seed=0, per_class=50):
    """Three Gaussian blobs in 4-D with iris's class means and spreads."""
    generator = np.random.default_rng(seed)
    means = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    spreads = np.array([[0.35, 0.38, 0.17, 0.1], [0.52, 0.31, 0.47, 0.2], [0.64, 0.32, 0.55, 0.27]])
    X = np.concatenate([m + s * generator.standard_normal((per_class, 4))
                        for m, s in zip(means, spreads)])
    return X, np.repeat(np.arange(3), per_class)


def test_separable_data_is_all_right_and_support_vectors_sit_on_the_margin(backend):
    generator = np.random.default_rng(1)
    X = np.concatenate([generator.normal(-2.0, 0.5, (40, 2)), generator.normal(2.0, 0.5, (40, 2))])
    y = np.repeat([3.0, 7.0], 40)                       # any two labels
    model = SVM(C=1000.0, kernel="linear", tol=1e-6).fit(X, y)
    assert model.predict(X).numpy().tolist() == y.tolist()
    signs = np.where(y == 7.0, 1.0, -1.0)
    margins = signs * model.decision_function(X).numpy()
    assert margins.min() > 1 - 1e-3                     # y·f(x) ≥ 1 for every point
    on_margin = margins[model.support_vectors]
    np.testing.assert_allclose(on_margin, 1.0, atol=1e-3)
    alphas = model.alphas.numpy()
    assert abs(float(alphas @ signs)) < 1e-9            # Σ αᵢyᵢ = 0
    assert isinstance(model.alphas, MLArray) and model.score(X, y) == 1.0


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly"])
@pytest.mark.parametrize("C", [0.5, 1.0, 10.0])
def test_binary_matches_sklearn_on_moons(backend, kernel, C):
    X, y = make_moons(300, noise=0.25)
    X_test, y_test = make_moons(300, noise=0.25)
    model = SVM(C=C, kernel=kernel).fit(X, y)
    oracle = sklearn_svm.SVC(C=C, kernel=kernel, gamma="scale", degree=3, coef0=0.0).fit(X, y)
    assert abs(model.score(X_test, y_test) - oracle.score(X_test, y_test)) <= 0.03
    np.testing.assert_allclose(model.decision_function(X_test).numpy(),
                               oracle.decision_function(X_test), atol=0.05)


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_multiclass_matches_sklearn_on_iris_like_data(backend, kernel):
    X, y = iris_like(0)
    X_test, y_test = iris_like(1)
    model = SVMMulticlass(C=1.0, kernel=kernel).fit(X, y)
    oracle = sklearn_svm.SVC(C=1.0, kernel=kernel, gamma="scale").fit(X, y)
    assert abs(model.score(X_test, y_test) - oracle.score(X_test, y_test)) <= 0.03
    assert model.classes == [0, 1, 2] and set(model.classifiers) == {0, 1, 2}
    assert model.decision_function(X_test).shape == (150, 3)


def test_multiclass_matches_sklearn_on_digits(backend):
    X, y = load_digits()
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:700], order[700:1100]
    model = SVMMulticlass(C=1.0, kernel="rbf").fit(X[train], y[train])
    oracle = sklearn_svm.SVC(C=1.0, kernel="rbf", gamma="scale").fit(X[train], y[train])
    assert abs(model.score(X[test], y[test]) - oracle.score(X[test], y[test])) <= 0.03


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly"])
def test_svr_matches_sklearn(backend, kernel):
    generator = np.random.default_rng(2)
    X = generator.uniform(-2.0, 2.0, (300, 2))
    target = lambda X: np.sin(X[:, 0]) + 0.3 * X[:, 1]           # noqa: E731
    y = target(X) + generator.normal(0.0, 0.1, 300)
    X_test = generator.uniform(-2.0, 2.0, (200, 2))
    y_test = target(X_test)
    model = SVR(C=1.0, epsilon=0.1, kernel=kernel).fit(X, y)
    oracle = sklearn_svm.SVR(C=1.0, epsilon=0.1, kernel=kernel, gamma="scale").fit(X, y)
    assert abs(model.score(X_test, y_test) - oracle.score(X_test, y_test)) <= 0.03
    np.testing.assert_allclose(model.predict(X_test).numpy(), oracle.predict(X_test), atol=0.05)
    residual = model.predict(X_test).numpy() - y_test
    assert model.mse(X_test, y_test) == pytest.approx(float((residual ** 2).mean()))
    outside = np.abs(y - model.predict(X).numpy()) > 0.1 + 1e-3  # beyond the tube: α or α* = C
    coefficients = model.alphas.numpy() - model.alphas_star.numpy()
    np.testing.assert_allclose(np.abs(coefficients[outside]), 1.0, atol=1e-6)
    assert set(np.flatnonzero(outside)) <= set(model.support_vectors)


def test_gamma_scale_is_one_over_features_times_variance(backend):
    X, y = make_moons(100, noise=0.1)
    model = SVM(kernel="rbf").fit(X, y)
    assert model._gamma_value == pytest.approx(1.0 / (2 * X.var()))
    fixed = SVM(kernel="rbf", gamma=0.7).fit(X, y)
    oracle = sklearn_svm.SVC(kernel="rbf", gamma=0.7).fit(X, y)
    np.testing.assert_allclose(fixed.decision_function(X).numpy(), oracle.decision_function(X),
                               atol=0.05)


@pytest.mark.parametrize("make, message", [
    (lambda: SVM(C=0.0), "C must be > 0"),
    (lambda: SVM(C=-1.0), "C must be > 0"),
    (lambda: SVR(epsilon=-0.1), "epsilon"),
    (lambda: SVM(gamma=0.0), "gamma"),
    (lambda: SVM(gamma="wide"), "gamma"),
    (lambda: SVMMulticlass(max_iter=0), "max_iter"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_kernel_lists_the_kernels():
    with pytest.raises(ValueError, match="'linear', 'rbf', 'poly'.*'sigmoid'"):
        SVM(kernel="sigmoid")


def test_bad_data(backend):
    X, y = make_moons(20)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        SVM().fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="at least 2 classes"):
        SVMMulticlass().fit(X, np.zeros(20))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SVM().fit(bad, y)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\)"):
        SVM().fit(X, y[:10])
    with pytest.raises(ValueError, match="2-D"):
        SVR().fit(X[:, 0], y)
    with pytest.raises(RuntimeError, match="not fitted"):
        SVM().predict(X)
    model = SVM().fit(X, y)
    with pytest.raises(ValueError, match="3 features; the model was fitted on 2"):
        model.predict(np.ones((4, 3)))


def test_repr_and_memory(backend):
    X, y = iris_like(0, per_class=10)
    model = SVMMulticlass(kernel="rbf").fit(X, y)
    assert "one-vs-rest" in repr(model) and "3 classes" in repr(model)
    sizes = memory.calculate_svm_size(model)
    parts = [memory.calculate_svm_size(machine) for machine in model.classifiers.values()]
    assert sizes["total"] > sum(part["total"] for part in parts) > 0
    regression = SVR().fit(X, X[:, 0])
    size = memory.calculate_svm_size(regression)
    assert size["training_data"] == X.nbytes
    assert size["total"] == size["base_size"] + size["alphas"] + size["training_data"]
    assert "support vectors of 30 samples" in repr(regression)
    assert "not fitted" in repr(SVR())
