"""Linear and polynomial regression: gradient descent must land on the least-squares
solution, computed independently with np.linalg.lstsq."""
import math

import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.regression import LinearRegression, PolynomialRegression, Regression
from smolml.utils.initializers import XavierUniform
from smolml.utils.losses import mae_loss
from smolml.utils.optimizers import SGD, Adam


def least_squares(features, y):
    """(weights, bias) minimising Σ(features·w + b − y)², the closed form."""
    design = np.column_stack([features, np.ones(len(features))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1], solution[-1]


def linear_data(n=40, seed=0):
    rs = np.random.RandomState(seed)
    X = rs.randn(n, 3)
    y = X @ np.array([2.0, -1.0, 0.5]) + 0.7 + 0.01 * rs.randn(n)
    return X, y


def test_linear_regression_recovers_least_squares_coefficients(backend):
    X, y = linear_data()
    smolml.manual_seed(0)
    model = LinearRegression(3, optimizer=SGD(learning_rate=0.1))
    history = model.fit(X, y, iterations=300, verbose=False)
    weights, bias = least_squares(X, y)
    np.testing.assert_allclose(model.weights.numpy(), weights, atol=1e-4)
    np.testing.assert_allclose(model.bias.numpy(), [bias], atol=1e-4)
    # and those are the coefficients the data were made with
    np.testing.assert_allclose(weights, [2.0, -1.0, 0.5], atol=0.01)
    assert len(history) == 300 and all(isinstance(v, float) for v in history)
    assert history[-1] < history[0]
    residual = X @ weights + bias - y
    assert history[-1] == pytest.approx(np.mean(residual ** 2), rel=1e-3)


def test_polynomial_regression_fits_a_cubic(backend):
    rs = np.random.RandomState(1)
    x = rs.uniform(-1.5, 1.5, 30)
    y = 2 * x ** 3 - x ** 2 + 3 * x + 1 + 0.1 * rs.randn(30)
    smolml.manual_seed(0)
    model = PolynomialRegression(1, 3, optimizer=SGD(learning_rate=0.05))
    model.fit(x.reshape(-1, 1), y, iterations=1000, verbose=False)
    weights, bias = least_squares(np.column_stack([x, x ** 2, x ** 3]), y)
    np.testing.assert_allclose(model.weights.numpy(), weights, atol=0.02)
    assert float(model.bias.numpy()[0]) == pytest.approx(bias, abs=0.02)
    grid = np.linspace(-1.5, 1.5, 7)
    truth = 2 * grid ** 3 - grid ** 2 + 3 * grid + 1
    np.testing.assert_allclose(model.predict(grid.reshape(-1, 1)).numpy(), truth, atol=0.15)


def test_polynomial_features_are_every_monomial(backend):
    model = PolynomialRegression(2, 3)
    combos = model.generate_combinations(2, 2)
    assert combos == [(0,), (1,), (0, 0), (0, 1), (1, 1)]
    for n_features in (1, 2, 3):
        for degree in (1, 2, 3):
            # monomials of degree 1..D in n variables: C(n + D, D) − 1
            expected = math.comb(n_features + degree, degree) - 1
            assert len(model.generate_combinations(n_features, degree)) == expected
    assert model.input_size == math.comb(5, 3) - 1 and model.original_input_size == 2
    X = np.array([[1.0, 2.0], [-0.5, 3.0], [2.0, 0.0]])
    a, b = X[:, 0], X[:, 1]
    expected = np.column_stack([a, b, a * a, a * b, b * b,
                                a ** 3, a * a * b, a * b * b, b ** 3])
    np.testing.assert_allclose(model.transform_features(X).numpy(), expected)
    np.testing.assert_allclose(model.transform_features(MLArray(X)).numpy(), expected)


def test_prediction_is_differentiable_in_the_inputs(backend):
    smolml.manual_seed(3)
    model = LinearRegression(3)
    X = MLArray(np.arange(6.0).reshape(2, 3))
    model.predict(X).sum().backward()
    # d(Σᵢ xᵢ·w + b)/dxᵢⱼ = wⱼ for every row
    expected = np.tile(model.weights.numpy(), (2, 1))
    np.testing.assert_allclose(X.grad().numpy(), expected)


def test_fit_leaves_restarted_leaf_parameters(backend):
    X, y = linear_data(n=10)
    model = LinearRegression(3, optimizer=Adam(learning_rate=0.05))
    model.fit(MLArray(X), MLArray(y.reshape(-1, 1)), iterations=5, verbose=False)
    assert np.all(model.weights.grad().numpy() == 0.0)
    assert np.all(model.bias.grad().numpy() == 0.0)
    assert model.predict(X).shape == (10,)


def test_defaults_are_fresh_objects_and_arguments_are_used(backend):
    first, second = LinearRegression(2), LinearRegression(2)
    assert first.optimizer is not second.optimizer
    assert isinstance(first.optimizer, SGD) and isinstance(first.initializer, XavierUniform)
    assert first.loss_function.__name__ == "mse_loss"
    model = LinearRegression(2, loss_function=mae_loss, optimizer=Adam(learning_rate=0.2))
    assert model.loss_function is mae_loss and model.optimizer.learning_rate == 0.2
    assert model.bias.numpy().tolist() == [1.0]


def test_same_seed_gives_same_model(backend):
    X, y = linear_data(n=10)
    results = []
    for _ in range(2):
        smolml.manual_seed(7)
        model = LinearRegression(3)
        model.fit(X, y, iterations=3, verbose=False)
        results.append(model.weights.numpy())
    np.testing.assert_array_equal(results[0], results[1])


def test_verbose_prints_every_print_every_iterations(backend, capsys):
    X, y = linear_data(n=8)
    LinearRegression(3).fit(X, y, iterations=4, verbose=True, print_every=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 2/4", "Iteration 4/4"]


def test_bad_input_is_a_clear_error(backend):
    X, y = linear_data(n=10)
    model = LinearRegression(3)
    with pytest.raises(ValueError, match="different lengths"):
        model.fit(X, y[:9], iterations=1, verbose=False)
    with pytest.raises(ValueError, match="features"):
        model.fit(X[:, :2], y, iterations=1, verbose=False)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, 4)))
    with pytest.raises(ValueError, match="degree"):
        PolynomialRegression(1, 0)
    with pytest.raises(ValueError, match="input_size"):
        LinearRegression(0)
    with pytest.raises(NotImplementedError):
        Regression(2).predict(np.ones((1, 2)))


def test_repr_names_the_model(backend):
    text = repr(PolynomialRegression(2, 2))
    assert "PolynomialRegression" in text and "degree: 2" in text
