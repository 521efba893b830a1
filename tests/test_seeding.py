"""Seeding: `random.seed(n)` repeats a SmolML program on every run and both backends, as
SmolML's draws from the `random` module do; `smolml.manual_seed(n)` keeps its meaning.
The oracle replays the documented source: array draws come from a NumPy PCG64
generator seeded by 128 bits of the active `random` stream."""
import random
import time

import numpy as np
import pytest

import smolml
from smolml import MLArray, _backend
from smolml._random import rng
from smolml.datasets import make_moons
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.models.tree import DecisionTree, RandomForest
from smolml.models.unsupervised import KMeans
from smolml.utils import activation, initializers, losses, optimizers


@pytest.fixture
def follows_random():
    """Back to the state before any manual_seed: draws follow the `random` module."""
    before = rng.seeded
    rng.seeded = None
    yield
    rng.seeded = before


def replayed(seed):
    """An independent replay of the NumPy generator of the first array draw after
    random.seed(seed)."""
    stream = random.Random(seed)
    return np.random.Generator(np.random.PCG64(stream.getrandbits(128)))


def smolml_program():
    """Everything random a SmolML program does: weights, randn, shuffled training, a tree
    with random features, a forest, k-means."""
    X, y = make_moons(60, noise=0.1)
    X, y = X.tolist(), [[float(label)] for label in y]
    weights = initializers.XavierUniform.initialize(4, 3).numpy()
    noise = smolml.randn(2, 5).numpy()
    network = NeuralNetwork([DenseLayer(2, 8, activation.tanh), DenseLayer(8, 1, activation.sigmoid)],
                            losses.binary_cross_entropy, optimizers.SGD(learning_rate=0.5))
    history = network.train(MLArray(X), MLArray(y), epochs=3, batch_size=16, verbose=False)
    tree = DecisionTree(max_depth=3, max_features=1).fit(X, [row[0] for row in y])
    forest = RandomForest(n_trees=4, max_depth=3).fit(X, [row[0] for row in y])
    centroids = KMeans(3).fit(X).centroids
    return [weights, noise, np.array(history), np.asarray(tree.predict(X)),
            np.asarray(forest.predict(X)), np.asarray(MLArray(centroids).numpy())]


def test_random_seed_repeats_a_program_on_both_backends(follows_random):
    runs = []
    for name in [b for b in smolml.BACKENDS if b != "engine" or _backend.engine_available()]:
        for _ in range(2):
            with smolml.use_backend(name):
                random.seed(42)
                runs.append(smolml_program())
    for run in runs[1:]:
        for got, first in zip(run, runs[0]):
            np.testing.assert_allclose(got, first, rtol=1e-9, atol=1e-12)


def test_another_random_seed_gives_other_weights(backend, follows_random):
    random.seed(1)
    a = initializers.XavierNormal.initialize(5, 5).numpy()
    random.seed(2)
    b = initializers.XavierNormal.initialize(5, 5).numpy()
    assert not np.array_equal(a, b)


def test_array_draws_after_random_seed_follow_the_documented_generator(backend, follows_random):
    random.seed(7)
    weights = initializers.XavierUniform.initialize(3, 4).numpy().ravel()
    noise = smolml.randn(6).numpy()
    stream = random.Random(7)
    first = np.random.Generator(np.random.PCG64(stream.getrandbits(128)))
    second = np.random.Generator(np.random.PCG64(stream.getrandbits(128)))
    np.testing.assert_array_equal(weights, first.uniform(-(6 / 7) ** 0.5, (6 / 7) ** 0.5, 12))
    np.testing.assert_array_equal(noise, second.normal(0.0, 1.0, 6))


def test_shuffle_in_train_draws_from_the_random_module(backend, follows_random):
    X, y = make_moons(20, noise=0.1)
    network = NeuralNetwork([DenseLayer(2, 1, activation.sigmoid)], losses.mse_loss,
                            optimizers.SGD(learning_rate=0.1))
    random.seed(3)
    network.train(X, y.reshape(-1, 1).astype(float), epochs=2, batch_size=5, verbose=False)
    oracle = random.Random(3)
    for _ in range(2):
        oracle.shuffle(list(range(20)))
    assert random.getstate() == oracle.getstate()


def test_manual_seed_keeps_its_meaning(backend, follows_random):
    smolml.manual_seed(11)
    a = DenseLayer(4, 3).weights.numpy()
    random.seed(0)                              # no longer followed after manual_seed
    smolml.manual_seed(11)
    random.seed(99)
    b = DenseLayer(4, 3).weights.numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a.ravel(), replayed(11).uniform(-(6 / 7) ** 0.5,
                                                                  (6 / 7) ** 0.5, 12))


def test_manual_seed_leaves_the_random_module_alone(backend, follows_random):
    random.seed(5)
    expected = random.Random(5).random()
    smolml.manual_seed(3)
    DenseLayer(6, 6)
    assert random.random() == expected


def test_manual_seed_gives_the_same_weights_on_both_backends(both_backends):
    layers = []
    for name in both_backends:
        with smolml.use_backend(name):
            smolml.manual_seed(2026)
            layers.append((DenseLayer(7, 5).weights.numpy(), smolml.randn(3, 3).numpy(),
                           MLArray.xavier_normal(4, 2).numpy()))
    for got, first in zip(layers[1], layers[0]):
        np.testing.assert_array_equal(got, first)


@pytest.mark.skipif(not _backend.engine_available(), reason="the compiled engine is not built")
def test_a_large_layer_is_drawn_at_numpy_speed():
    # against NumPy drawing the same count on this machine now (the load varies): a list
    # of every number took about 40 times NumPy's time
    generator = np.random.default_rng(0)
    with smolml.use_backend("engine"):
        DenseLayer(4000, 4000)
        elapsed, numpy_elapsed = [], []
        for _ in range(3):
            start = time.perf_counter()
            layer = DenseLayer(4000, 4000)
            elapsed.append(time.perf_counter() - start)
            start = time.perf_counter()
            generator.uniform(-1.0, 1.0, 4000 * 4000)
            numpy_elapsed.append(time.perf_counter() - start)
    weights = layer.weights.numpy()
    assert weights.shape == (4000, 4000)
    assert abs(weights.std() - (6 / 8000) ** 0.5 / 3 ** 0.5) < 1e-3   # U(-l, l): σ = l/√3
    assert min(elapsed) < max(0.2, 4 * min(numpy_elapsed)), \
        f"DenseLayer(4000, 4000) took {min(elapsed):.3f} s, NumPy {min(numpy_elapsed):.3f} s"
