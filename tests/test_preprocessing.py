"""Scalers against the NumPy formulas; round trips; constant features; gradients."""
import numpy as np
import pytest

from smolml import MLArray
from smolml.preprocessing import MinMaxScaler, StandardScaler

rs = np.random.RandomState(0)
TRAIN = rs.randn(20, 3) * np.array([1.0, 100.0, 0.01]) + np.array([0.0, 5.0, -3.0])
NEW = rs.randn(5, 3)


def test_standard_scaler_matches_numpy(backend):
    scaler = StandardScaler()
    scaled = scaler.fit_transform(MLArray(TRAIN))
    assert isinstance(scaled, MLArray)
    mean, std = TRAIN.mean(axis=0), TRAIN.std(axis=0)
    np.testing.assert_allclose(scaler.mean.numpy(), mean)
    np.testing.assert_allclose(scaler.std.numpy(), std)
    np.testing.assert_allclose(scaled.numpy(), (TRAIN - mean) / std, rtol=1e-12)
    np.testing.assert_allclose(scaled.numpy().mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.numpy().std(axis=0), 1.0)
    # new data uses the training statistics
    np.testing.assert_allclose(scaler.transform(NEW).numpy(), (NEW - mean) / std, rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(scaled).numpy(), TRAIN, rtol=1e-12)


def test_min_max_scaler_matches_numpy(backend):
    scaler = MinMaxScaler()
    scaled = scaler.fit_transform(TRAIN.tolist())
    assert isinstance(scaled, MLArray)
    low, high = TRAIN.min(axis=0), TRAIN.max(axis=0)
    np.testing.assert_allclose(scaler.min.numpy(), low)
    np.testing.assert_allclose(scaler.max.numpy(), high)
    np.testing.assert_allclose(scaled.numpy(), (TRAIN - low) / (high - low), rtol=1e-12)
    assert scaled.numpy().min() == 0.0 and scaled.numpy().max() == pytest.approx(1.0)
    np.testing.assert_allclose(scaler.transform(NEW).numpy(), (NEW - low) / (high - low),
                               rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(scaled).numpy(), TRAIN, rtol=1e-12)


@pytest.mark.parametrize("scaler_class", [StandardScaler, MinMaxScaler])
def test_constant_feature_is_not_divided_by_zero(backend, scaler_class):
    X = np.column_stack([np.full(6, 0.1), np.arange(6.0), np.zeros(6)])
    scaler = scaler_class().fit(X)
    scaled = scaler.transform(X).numpy()
    assert np.isfinite(scaled).all()
    np.testing.assert_allclose(scaled[:, [0, 2]], 0.0, atol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(scaled).numpy(), X, atol=1e-15)


@pytest.mark.parametrize("scaler_class", [StandardScaler, MinMaxScaler])
def test_one_dimensional_data(backend, scaler_class):
    x = np.array([1.0, 4.0, 2.0, 9.0])
    scaled = scaler_class().fit_transform(x).numpy()
    if scaler_class is StandardScaler:
        expected = (x - x.mean()) / x.std()
    else:
        expected = (x - x.min()) / (x.max() - x.min())
    np.testing.assert_allclose(scaled, expected)


def test_transform_is_differentiable(backend):
    scaler = StandardScaler().fit(TRAIN)
    X = MLArray(NEW)
    scaler.transform(X).sum().backward()
    # d((x − μ)/σ)/dx = 1/σ, per column
    expected = np.tile(1.0 / TRAIN.std(axis=0), (len(NEW), 1))
    np.testing.assert_allclose(X.grad().numpy(), expected)


@pytest.mark.parametrize("scaler_class", [StandardScaler, MinMaxScaler])
def test_bad_input_is_a_clear_error(backend, scaler_class):
    with pytest.raises(ValueError, match="not fitted"):
        scaler_class().transform(TRAIN)
    with pytest.raises(ValueError, match="not fitted"):
        scaler_class().inverse_transform(TRAIN)
    scaler = scaler_class().fit(TRAIN)
    with pytest.raises(ValueError, match="2 features but .* fitted on 3"):
        scaler.transform(TRAIN[:, :2])
    with pytest.raises(ValueError, match="no samples"):
        scaler_class().fit(np.zeros((0, 3)))
