"""MLArray.softmax_cross_entropy and MLArray.dropout, the ops the training toolkit
runs as one engine node: finite differences, engine against pure, dtypes, bad input."""
import math

import numpy as np
import pytest

import smolml
from helpers import check_grads
from smolml import MLArray


def logits(shape=(5, 4), seed=0, scale=3.0):
    return np.random.default_rng(seed).normal(scale=scale, size=shape)


def soft_targets(shape=(5, 4), seed=1):
    return np.random.default_rng(seed).dirichlet(np.ones(shape[1]), size=shape[0])


def test_softmax_cross_entropy_gradients_by_finite_differences(backend):
    z = MLArray(logits())
    t = MLArray(soft_targets() * 1.5)          # rows summing to 1.5: the Σₖ tₙₖ factor counts
    check_grads(lambda z, t: z.softmax_cross_entropy(t), z, t)


def test_softmax_cross_entropy_large_logits_stay_finite(backend):
    z = MLArray([[1000.0, 0.0, -1000.0], [-500.0, -500.0, 200.0]])
    t = MLArray([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], requires_grad=False)
    loss = z.softmax_cross_entropy(t)
    assert float(loss) == pytest.approx((2000.0 + 700.0) / 2, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad().numpy(), [[0.5, 0.0, -0.5], [-0.5, 0.0, 0.5]],
                               atol=1e-15)


def test_dropout_gradients_and_values(backend):
    x_np = logits((6, 7))
    keep = np.random.default_rng(2).random((6, 7)) >= 0.4
    x = MLArray(x_np)
    out = x.dropout(keep, 2.5)
    np.testing.assert_array_equal(out.numpy(), x_np * np.where(keep, 2.5, 0.0))
    check_grads(lambda x: x.dropout(keep, 2.5) * x, x)


def run_both(both_backends, program):
    results = []
    for name in both_backends:
        with smolml.use_backend(name):
            results.append(program())
    return results


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_engine_and_pure_agree(both_backends, dtype):
    rtol = 1e-9 if dtype == "float64" else 1e-5

    def program():
        z = MLArray(logits(), dtype=dtype)
        t = MLArray(soft_targets(), dtype=dtype)
        keep = np.random.default_rng(3).random((5, 4)) >= 0.5
        x = MLArray(logits(seed=4), dtype=dtype)
        loss = z.softmax_cross_entropy(t) + (x.dropout(keep, 2.0) * x).sum()
        loss.backward()
        return [float(loss), z.grad().numpy(), t.grad().numpy(), x.grad().numpy(),
                loss.dtype]

    engine, pure = run_both(both_backends, program)
    assert engine[4] == pure[4] == getattr(smolml, dtype)
    assert engine[0] == pytest.approx(pure[0], rel=rtol)
    for a, b in zip(engine[1:4], pure[1:4]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6 if dtype == "float32" else 1e-14)


def test_special_values_agree(both_backends):
    def program():
        z = MLArray([[math.inf, 0.0], [math.nan, 1.0], [2.0, 1.0]])
        loss = z.softmax_cross_entropy(MLArray([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        x = MLArray([math.inf, math.nan, 1.0])
        dropped = x.dropout(np.array([False, False, True]), 2.0)
        no_rows = MLArray(np.zeros((0, 3))).softmax_cross_entropy(MLArray(np.zeros((0, 3))))
        return math.isnan(float(loss)) and math.isnan(float(no_rows)), dropped.numpy()

    (nan_a, drop_a), (nan_b, drop_b) = run_both(both_backends, program)
    assert nan_a and nan_b                              # 0 rows: a mean of nothing
    np.testing.assert_array_equal(drop_a, drop_b)       # 0·inf and 0·nan are nan
    assert np.isnan(drop_a[:2]).all() and drop_a[2] == 2.0


def test_no_graph_under_no_grad_or_for_data(backend):
    z = MLArray(logits())
    with smolml.no_grad():
        loss = z.softmax_cross_entropy(MLArray(soft_targets()))
    assert not loss.requires_grad
    data = MLArray(logits(), requires_grad=False)
    assert not data.dropout(np.ones((5, 4), dtype=bool), 1.0).requires_grad


def test_engine_runs_each_as_one_node():
    if "engine" not in smolml.BACKENDS or not smolml._backend.engine_available():
        pytest.skip("the engine is not built")
    with smolml.use_backend("engine"):
        z = MLArray(logits())
        loss = z.softmax_cross_entropy(MLArray(soft_targets(), requires_grad=False))
        assert loss._op == "softmax_cross_entropy" and loss._prev[0] is z
        out = z.dropout(np.ones((5, 4), dtype=bool), 1.0)
        assert out._op == "dropout" and out._prev == (z,)


@pytest.mark.parametrize("z_shape, t_shape", [((5, 4), (5, 3)), ((4,), (4,)), ((2, 0), (2, 0)),
                                              ((2, 3, 4), (2, 3, 4)), ((), ())])
def test_softmax_cross_entropy_bad_shapes(backend, z_shape, t_shape):
    z = MLArray(np.zeros(z_shape))
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        z.softmax_cross_entropy(MLArray(np.zeros(t_shape)))


@pytest.mark.parametrize("targets", [[[1.0, 0.0]], np.eye(2)[:1], 1.0, None, "t"])
def test_softmax_cross_entropy_targets_must_be_arrays(backend, targets):
    with pytest.raises(TypeError, match="targets must be an MLArray"):
        MLArray([[1.0, 2.0]]).softmax_cross_entropy(targets)


def test_other_backends_targets(both_backends):
    with smolml.use_backend(both_backends[1]):
        other = MLArray([[1.0, 0.0]])
    with smolml.use_backend(both_backends[0]):
        with pytest.raises(TypeError, match="cannot mix"):
            MLArray([[1.0, 2.0]]).softmax_cross_entropy(other)


@pytest.mark.parametrize("keep, scale, error", [
    (np.ones((3, 2), dtype=bool), 1.0, ValueError),
    ([[True, False]], 1.0, ValueError),
    (None, 1.0, ValueError),
    (np.ones((2, 3), dtype=bool), math.inf, TypeError),
    (np.ones((2, 3), dtype=bool), "2", TypeError),
    (np.ones((2, 3), dtype=bool), None, TypeError),
])
def test_dropout_bad_arguments(backend, keep, scale, error):
    with pytest.raises(error, match="dropout"):
        MLArray(np.zeros((2, 3))).dropout(keep, scale)
