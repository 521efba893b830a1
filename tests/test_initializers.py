"""Initializers: every draw against an independent replay of smolml's documented
source: a NumPy PCG64 generator seeded by 128 bits of a `random.Random(seed)`."""
import math
import random

import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.utils import initializers


def expected_draws(seed, count, draw):
    oracle = np.random.Generator(np.random.PCG64(random.Random(seed).getrandbits(128)))
    return draw(oracle, count)


def uniform(limit):
    return lambda g, count: g.uniform(-limit, limit, count)


def gauss(std):
    return lambda g, count: g.normal(0.0, std, count)


CASES = {
    "xavier_uniform": (initializers.XavierUniform.initialize,
                       lambda i, o: uniform(math.sqrt(6 / (i + o)))),
    "xavier_normal": (initializers.XavierNormal.initialize,
                      lambda i, o: gauss(math.sqrt(2 / (i + o)))),
    "he": (initializers.HeInitialization.initialize, lambda i, o: gauss(math.sqrt(2 / i))),
    "random_uniform": (initializers.RandomUniform.initialize, lambda i, o: uniform(1.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dims", [(3, 5), (7, 2), (2, 3, 4)])
def test_draws_follow_the_formula_row_major(backend, name, dims):
    initialize, distribution = CASES[name]
    smolml.manual_seed(123)
    weights = initialize(*dims)
    assert isinstance(weights, MLArray) and weights.shape == dims
    expected = expected_draws(123, math.prod(dims), distribution(dims[0], dims[-1]))
    np.testing.assert_array_equal(weights.numpy().ravel(), expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tuple_and_separate_ints_agree(backend, name):
    initialize, _ = CASES[name]
    smolml.manual_seed(5)
    a = initialize(4, 6).numpy()
    smolml.manual_seed(5)
    b = initialize((4, 6)).numpy()
    np.testing.assert_array_equal(a, b)


def test_one_dimensional_shape_uses_fan_in_for_fan_out(backend):
    smolml.manual_seed(9)
    weights = initializers.XavierUniform.initialize((4,))
    assert weights.shape == (4,)
    np.testing.assert_array_equal(weights.numpy(), expected_draws(9, 4, uniform(math.sqrt(6 / 8))))


def test_random_uniform_limit(backend):
    smolml.manual_seed(2)
    weights = initializers.RandomUniform.initialize(10, 10, limit=0.05)
    np.testing.assert_array_equal(weights.numpy().ravel(), expected_draws(2, 100, uniform(0.05)))
    assert np.abs(weights.numpy()).max() <= 0.05


def test_weights_are_trainable_leaves(backend):
    weights = initializers.HeInitialization.initialize(3, 2)
    assert weights.requires_grad
    (weights * weights).sum().backward()
    np.testing.assert_allclose(weights.grad().numpy(), 2 * weights.numpy())


def test_spread_matches_the_scale(backend):
    smolml.manual_seed(0)
    weights = initializers.HeInitialization.initialize(200, 100).numpy()
    assert weights.std() == pytest.approx(math.sqrt(2 / 200), rel=0.05)
    limit = math.sqrt(6 / 300)
    weights = initializers.XavierUniform.initialize(200, 100).numpy()
    assert np.abs(weights).max() <= limit and np.abs(weights).max() > 0.95 * limit


@pytest.mark.parametrize("dims, error", [((3.5, 2), TypeError), (("3", 2), TypeError),
                                         ((0, 2), ValueError), ((-1, 2), ValueError),
                                         ((), ValueError)])
def test_bad_dims(dims, error):
    with pytest.raises(error):
        initializers.XavierUniform.initialize(*dims)


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        initializers.WeightInitializer.initialize(2, 2)


def test_same_seed_same_weights_on_both_backends(both_backends):
    drawn = {}
    for name in both_backends:
        with smolml.use_backend(name):
            smolml.manual_seed(77)
            drawn[name] = [initializer.initialize(5, 4).numpy() for initializer in
                           (initializers.XavierUniform, initializers.XavierNormal,
                            initializers.HeInitialization, initializers.RandomUniform)]
    first, second = (drawn[name] for name in both_backends)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
