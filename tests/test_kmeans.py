"""K-means: exact recovery of well-separated blobs, Lloyd's fixed point checked with
NumPy, k-means++ draws seeded by smolml.manual_seed."""
import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.unsupervised import KMeans

CENTERS = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])


def blobs(n_per_center=40, spread=0.5, seed=0):
    rs = np.random.RandomState(seed)
    X = np.concatenate([c + spread * rs.randn(n_per_center, 2) for c in CENTERS])
    y = np.repeat(np.arange(len(CENTERS)), n_per_center)
    order = rs.permutation(len(X))
    return X[order], y[order]


def same_partition(labels, truth):
    """True if labels equal truth up to renaming the clusters."""
    pairs = set(zip(labels.tolist(), truth.tolist()))
    return len(pairs) == len(set(truth.tolist())) == len(set(labels.tolist()))


@pytest.mark.parametrize("seed", range(8))
def test_finds_well_separated_blobs_exactly(seed):
    X, truth = blobs(seed=seed)
    smolml.manual_seed(seed)
    model = KMeans(n_clusters=4).fit(X)
    labels = model.labels_.numpy().astype(int)
    assert same_partition(labels, truth)
    # each centroid is the mean of its cluster, and sits on one of the true centres
    centroids = model.centroids.numpy()
    for k in range(4):
        np.testing.assert_allclose(centroids[k], X[labels == k].mean(axis=0))
        assert np.min(np.linalg.norm(CENTERS - centroids[k], axis=1)) < 0.5
    inertia = sum(np.sum((X[labels == k] - centroids[k]) ** 2) for k in range(4))
    assert model.inertia_ == pytest.approx(inertia)


def test_predict_assigns_to_the_nearest_centroid():
    X, _ = blobs(seed=1)
    smolml.manual_seed(1)
    model = KMeans(4).fit(X)
    centroids = model.centroids.numpy()
    rs = np.random.RandomState(2)
    X_new = rs.uniform(-2, 12, size=(100, 2))
    distances = np.linalg.norm(X_new[:, None, :] - centroids[None], axis=2)
    np.testing.assert_array_equal(model.predict(X_new).numpy(), distances.argmin(axis=1))
    np.testing.assert_array_equal(model.fit_predict(X).numpy(), model.labels_.numpy())
    np.testing.assert_array_equal(model.predict(X).numpy(), model.labels_.numpy())


def test_kmeans_plus_plus_starts_from_distinct_data_points():
    X, _ = blobs(seed=3)
    smolml.manual_seed(3)
    model = KMeans(4, max_iters=1).fit(X)
    start = np.array(model.centroid_history[0])
    assert len(model.centroid_history) == 2 and model.n_iter_ == 1
    for row in start:
        assert np.any(np.all(X == row, axis=1))
    # with blobs this far apart, D² sampling puts one starting point in each blob
    nearest = np.linalg.norm(start[:, None, :] - CENTERS[None], axis=2).argmin(axis=1)
    assert sorted(nearest.tolist()) == [0, 1, 2, 3]


def test_same_seed_same_clustering():
    rs = np.random.RandomState(4)
    X = rs.randn(100, 3)                                   # no clear clusters
    runs = []
    for _ in range(2):
        smolml.manual_seed(11)
        runs.append(KMeans(5).fit(X).centroids.numpy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_duplicate_points():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]]), 4, axis=0)
    smolml.manual_seed(0)
    labels = KMeans(3).fit_predict(X).numpy().astype(int)
    assert same_partition(labels, np.repeat(np.arange(3), 4))
    smolml.manual_seed(0)
    model = KMeans(4).fit(X)                               # more clusters than distinct points
    assert model.inertia_ == 0.0


def test_accepts_mlarray_and_lists(backend):
    X, truth = blobs(n_per_center=10, seed=5)
    for data in (MLArray(X), X.tolist()):
        smolml.manual_seed(5)
        labels = KMeans(4).fit_predict(data)
        assert isinstance(labels, MLArray)
        assert same_partition(labels.numpy().astype(int), truth)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="n_clusters=5 is larger than the number of samples"):
        KMeans(5).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="not fitted"):
        KMeans(2).predict(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(0)
    model = KMeans(2).fit(np.arange(8.0).reshape(4, 2))
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        KMeans(2).fit([1.0, 2.0, 3.0])
