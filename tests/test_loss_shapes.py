"""The losses' shape policy: equal shapes, shapes equal up to axes of length 1
(aligned), a scalar target, integer class indices for categorical cross-entropy;
anything else a ValueError naming both shapes and the loss. Oracles: the NumPy
formulas of test_losses on targets reshaped by hand, and finite differences."""
import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers
from test_losses import np_bce, np_cce, np_huber, np_mae, np_mse

GENERATOR = np.random.default_rng(11)
COLUMN = GENERATOR.uniform(0.1, 0.9, size=(5, 1))
FLAT = GENERATOR.uniform(0.1, 0.9, size=5).round()     # 0/1 labels, good for every loss

ELEMENTWISE = {
    "mse_loss": (losses.mse_loss, np_mse),
    "mae_loss": (losses.mae_loss, np_mae),
    "huber_loss": (losses.huber_loss, np_huber),
    "binary_cross_entropy": (losses.binary_cross_entropy, np_bce),
    "categorical_cross_entropy": (losses.categorical_cross_entropy, np_cce),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("pred_shape, true_shape", [((5, 1), (5,)), ((5,), (5, 1)),
                                                    ((1, 5), (5,)), ((5, 1, 1), (5,))])
def test_shapes_equal_up_to_unit_axes_are_aligned(backend, name, pred_shape, true_shape):
    loss, oracle = ELEMENTWISE[name]
    p, t = COLUMN.reshape(pred_shape), FLAT.reshape(true_shape)
    y_pred = MLArray(p)
    result = loss(y_pred, t)
    assert result.shape == ()
    np.testing.assert_allclose(float(result), oracle(p, t.reshape(pred_shape)), rtol=1e-12)
    result.backward()
    assert y_pred.grad().shape == pred_shape


def test_the_issue_case_is_zero_not_four_thirds(backend):
    assert float(losses.mse_loss(MLArray([[1.0], [2.0], [3.0]]), MLArray([1.0, 2.0, 3.0]))) == 0.0


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_scalar_target_broadcasts(backend, name):
    loss, oracle = ELEMENTWISE[name]
    result = loss(MLArray(COLUMN), 1.0)
    np.testing.assert_allclose(float(result), oracle(COLUMN, np.ones_like(COLUMN)), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("pred_shape, true_shape", [((4,), (3,)), ((3, 1), (3, 3)),
                                                    ((2, 3), (3,)), ((4, 1), (3,)),
                                                    ((2, 3), (3, 2))])
def test_other_shapes_are_a_value_error(backend, name, pred_shape, true_shape):
    loss, _ = ELEMENTWISE[name]
    with pytest.raises(ValueError) as info:
        loss(MLArray(np.full(pred_shape, 0.5)), np.zeros(true_shape))
    message = str(info.value)
    assert name in message and str(pred_shape) in message and str(true_shape) in message


PROBABILITIES = GENERATOR.dirichlet(np.ones(4), size=6)
INDICES = np.array([0, 3, 1, 1, 2, 0])


@pytest.mark.parametrize("kind", ["list", "float", "int64", "mlarray"])
def test_class_indices_equal_one_hot(backend, kind):
    targets = {"list": INDICES.tolist(), "float": INDICES.astype(float),
               "int64": INDICES, "mlarray": MLArray(INDICES, requires_grad=False)}[kind]
    y_pred = MLArray(PROBABILITIES)
    result = losses.categorical_cross_entropy(y_pred, targets)
    one_hot = np.eye(4)[INDICES]
    np.testing.assert_allclose(float(result), np_cce(PROBABILITIES, one_hot), rtol=1e-12)
    result.backward()
    # d/dp of −(1/N)·log p[n, k] is −1/(N·p) at the target class, 0 elsewhere
    np.testing.assert_allclose(y_pred.grad().numpy(), -one_hot / (6 * PROBABILITIES),
                               rtol=1e-12)


@pytest.mark.parametrize("bad, words", [([0, 3, 1, 1, 2, 4], "class index 4 is out of range"),
                                        ([0, -1, 1, 1, 2, 0], "class index -1 is out of range"),
                                        ([0, 0.5, 1, 1, 2, 0], "whole numbers; got 0.5"),
                                        ([0, np.nan, 1, 1, 2, 0], "whole numbers; got nan")])
def test_bad_class_indices(backend, bad, words):
    with pytest.raises(ValueError, match=words):
        losses.categorical_cross_entropy(MLArray(PROBABILITIES), bad)


def test_wrong_label_shape_names_the_index_shape(backend):
    with pytest.raises(ValueError, match=r"class indices of shape \(6,\)"):
        losses.categorical_cross_entropy(MLArray(PROBABILITIES), np.zeros(5))


def regression_network(seed=0):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(1, 1)], losses.mse_loss, optimizers.SGD(0.1))


X_LINE = np.linspace(-1.0, 1.0, 12).reshape(-1, 1)
Y_LINE = 3.0 * X_LINE[:, 0] - 0.5


def test_train_with_flat_targets_learns_like_column_targets(backend):
    flat = regression_network()
    flat_history = flat.train(X_LINE, Y_LINE, epochs=150, verbose=False)
    column = regression_network()
    column_history = column.train(X_LINE, Y_LINE.reshape(-1, 1), epochs=150, verbose=False)
    np.testing.assert_allclose(flat_history, column_history, rtol=1e-12)
    # the closed form of the least-squares line: y = 3x − 0.5
    np.testing.assert_allclose(flat.layers[0].weights.numpy(), [[3.0]], rtol=1e-4)
    np.testing.assert_allclose(flat.layers[0].biases.numpy(), [[-0.5]], rtol=1e-4)


def test_train_rejects_targets_that_do_not_fit_the_output(backend):
    network = regression_network()
    with pytest.raises(ValueError, match=r"y of shape \(12, 2\) does not fit.*\(12, 1\)"):
        network.train(X_LINE, np.c_[Y_LINE, Y_LINE], epochs=1, verbose=False)


def test_validation_targets_follow_the_policy(backend):
    network = regression_network()
    network.train(X_LINE, Y_LINE, epochs=3, verbose=False, validation_data=(X_LINE, Y_LINE))
    expected = np.mean((network.forward(X_LINE).numpy()[:, 0] - Y_LINE) ** 2)
    np.testing.assert_allclose(network.history["val_loss"][-1], expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"y_val of shape \(12, 3\)"):
        network.train(X_LINE, Y_LINE, epochs=1, verbose=False,
                      validation_data=(X_LINE, np.zeros((12, 3))))
    with pytest.raises(ValueError, match="X_val has 12 samples but y_val has 4"):
        network.train(X_LINE, Y_LINE, epochs=1, verbose=False,
                      validation_data=(X_LINE, Y_LINE[:4]))


def test_train_with_class_index_labels(backend):
    X = GENERATOR.normal(size=(30, 2))
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)     # 0, 1 or 2
    runs = []
    for targets in (labels, np.eye(3)[labels]):
        smolml.manual_seed(1)
        network = NeuralNetwork([DenseLayer(2, 3, activation.softmax)],
                                losses.categorical_cross_entropy, optimizers.SGD(0.5))
        runs.append(network.train(X, targets, epochs=20, verbose=False))
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12)
    assert runs[0][-1] < runs[0][0]


def test_label_vector_for_mse_is_an_error_not_a_broadcast(backend):
    smolml.manual_seed(0)
    network = NeuralNetwork([DenseLayer(2, 3, activation.softmax)], losses.mse_loss)
    with pytest.raises(ValueError, match=r"mse_loss: predictions of shape \(4, 3\) and "
                                         r"targets of shape \(4,\)"):
        network.train(np.zeros((4, 2)), np.array([0, 1, 2, 1]), epochs=1, verbose=False)


def test_class_indices_cost_the_predictions_size_not_classes_squared(backend):
    import tracemalloc
    n_classes = 20000
    y_pred = MLArray(np.full((2, n_classes), 1.0 / n_classes))
    tracemalloc.start()
    try:
        result = losses.categorical_cross_entropy(y_pred, [3, n_classes - 1])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(float(result), np.log(n_classes), rtol=1e-12)
    assert peak < 50 * 2 ** 20          # a (K, K) identity would be 3.2 GB
