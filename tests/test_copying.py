"""copy.copy, copy.deepcopy and pickle of Value, MLArray, DenseLayer and NeuralNetwork:
a copy is a leaf of the same backend with the original's numbers, gradient, dtype and
requires_grad, sharing no memory with it; a crafted pickle is refused, never loaded
into an inconsistent array."""
import copy
import pickle

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value, _copying
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers

COPIES = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda x: pickle.loads(pickle.dumps(x)),
}

X = np.array([[0.5, -1.0, 0.3], [1.2, 0.4, -0.7], [-0.3, 0.8, 0.9]])
Y = np.array([[0.3, -0.1], [0.8, 0.5], [-0.4, 0.2]])


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_an_array_copy_has_the_numbers_grad_dtype_and_flag(backend, how, dtype):
    a = MLArray(X, dtype=dtype)
    (a * a).sum().backward()                    # grad 2·X
    frozen = MLArray(X, requires_grad=False, dtype=dtype)
    for original, grad in ((a, 2.0 * X), (frozen, np.zeros_like(X))):
        c = COPIES[how](original)
        assert c is not original and type(c) is type(original)
        assert c.dtype == dtype and c.shape == X.shape
        assert c.requires_grad == original.requires_grad
        np.testing.assert_array_equal(c.numpy(), X.astype(dtype))
        np.testing.assert_array_equal(c.grad().numpy(), grad.astype(dtype))


@pytest.mark.parametrize("how", sorted(COPIES))
def test_an_array_copy_shares_nothing(backend, how):
    a = MLArray(X)
    c = COPIES[how](a)
    c[0, 0] = 100.0
    c.update_values(c * 2)
    (c * c).sum().backward()
    np.testing.assert_array_equal(a.numpy(), X)
    np.testing.assert_array_equal(a.grad().numpy(), np.zeros_like(X))
    (a * 3).sum().backward()
    np.testing.assert_array_equal(c.grad().numpy(), 2.0 * c.numpy())


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_copy_of_a_result_is_a_detached_leaf(backend, how):
    w = MLArray(X)
    h = (w * 3.0).tanh()
    c = COPIES[how](h)
    np.testing.assert_allclose(c.numpy(), np.tanh(3.0 * X), rtol=1e-15)
    assert c.requires_grad
    (c * c).sum().backward()
    np.testing.assert_allclose(c.grad().numpy(), 2.0 * np.tanh(3.0 * X), rtol=1e-15)
    np.testing.assert_array_equal(w.grad().numpy(), np.zeros_like(X))  # not reached


@pytest.mark.parametrize("how", sorted(COPIES))
def test_copies_of_an_element_and_of_zero_d_arrays(backend, how):
    a = MLArray([[1.0, 2.0], [3.0, 4.0]])
    (a * a).sum().backward()
    element = COPIES[how](a[1, 0])
    assert element.shape == () and element.item() == 3.0 and element.grad().item() == 6.0
    element.update_values(9.0)
    assert a.to_list() == [[1.0, 2.0], [3.0, 4.0]]
    handle = COPIES[how](a.data[1][0])
    assert (handle.data, handle.grad) == (3.0, 6.0)
    handle.data = 9.0
    assert a.to_list() == [[1.0, 2.0], [3.0, 4.0]]
    empty = COPIES[how](MLArray(np.zeros((0, 3))))
    assert empty.shape == (0, 3) and empty.numpy().shape == (0, 3)


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_value_copy_is_a_leaf_with_its_number_and_grad(backend, how):
    x = Value(3.0)
    y = x * x + 1.0
    y.backward()
    for original, expected in ((x, (3.0, 6.0, True)), (y, (10.0, 1.0, True)),
                               (Value(2.0, requires_grad=False), (2.0, 0.0, False))):
        c = COPIES[how](original)
        assert c is not original and isinstance(c, Value)
        assert (c.data, c.grad, c.requires_grad) == expected
        assert c._prev == ()
    c = COPIES[how](x)
    c.data = 5.0
    assert x.data == 3.0


def network(seed=0):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(3, 4, activation.tanh), DenseLayer(4, 2)],
                         losses.mse_loss, optimizers.Adam(learning_rate=0.05))


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_network_copy_trains_as_the_original(backend, how):
    net = network()
    net.train(X, Y, epochs=3, verbose=False)
    twin = COPIES[how](net)
    for a, b in zip(net.layers, twin.layers):
        assert a.weights is not b.weights
        np.testing.assert_array_equal(a.weights.numpy(), b.weights.numpy())
    first = net.train(X, Y, epochs=4, verbose=False)
    second = twin.train(X, Y, epochs=4, verbose=False)
    assert first == second
    for a, b in zip(net.layers, twin.layers):
        np.testing.assert_array_equal(a.weights.numpy(), b.weights.numpy())
        np.testing.assert_array_equal(a.biases.numpy(), b.biases.numpy())
    layer = COPIES[how](net.layers[0])
    np.testing.assert_array_equal(layer.forward(MLArray(X)).numpy(),
                                  net.layers[0].forward(MLArray(X)).numpy())


def test_a_deepcopy_keeps_shared_arrays_shared(backend):
    w = MLArray(X)
    pair = copy.deepcopy([w, w, {"w": w}])
    assert pair[0] is pair[1] is pair[2]["w"] and pair[0] is not w


def test_copies_are_the_same_on_both_backends(both_backends):
    results = []
    for name in both_backends:
        with smolml.use_backend(name):
            a = MLArray(X)
            h = (a * a).sqrt()
            h.sum().backward()
            c = pickle.loads(pickle.dumps(h))
            (c * c * a).sum().backward()
            results.append((c.numpy(), c.grad().numpy(), a.grad().numpy(),
                            (str(c.dtype), c.requires_grad)))
    for engine_result, pure_result in zip(results[0][:3], results[1][:3]):
        np.testing.assert_allclose(engine_result, pure_result, rtol=1e-13)
    assert results[0][3] == results[1][3] == ("float64", True)


class Crafted:
    """Pickles as a call of a reconstructor with arguments of our choice."""

    def __init__(self, function, *args):
        self.call = (function, args)

    def __reduce__(self):
        return self.call


F8 = np.arange(6.0).tobytes()


@pytest.mark.parametrize("args, error, text", [
    (((2, 3), "float64", F8[:-8], None, True), ValueError, "needs 48 bytes of numbers; got 40"),
    (((2, 3), "float64", F8, F8 + b"x", True), ValueError, "bytes of gradient; got 49"),
    (((2, 3), "float32", F8, None, True), ValueError, "needs 24 bytes"),
    (((2, -3), "float64", F8, None, True), ValueError, ">= 0"),
    (([2, 3], "float64", F8, None, True), TypeError, "shape must be a tuple"),
    (((2, "3"), "float64", F8, None, True), TypeError, "must be ints"),
    (((2, 3), "int64", F8, None, True), ValueError, "dtype must be one of"),
    (((2, 3), "float64", list(range(6)), None, True), TypeError, "numbers must be bytes"),
    (((2, 3), "float64", F8, None, "yes"), TypeError, "requires_grad must be True or False"),
    (((0, 10 ** 30), "float64", b"", None, True), ValueError, "too large"),
])
def test_a_crafted_array_pickle_is_refused(backend, args, error, text):
    blob = pickle.dumps(Crafted(_copying.rebuild_array, backend, *args))
    with pytest.raises(error, match=text):
        pickle.loads(blob)


@pytest.mark.parametrize("args, error, text", [
    (("2.0", 0.0, True), TypeError, "data must be a number"),
    ((2.0, None, True), TypeError, "grad must be a number"),
    ((2.0, 0.0, 1), TypeError, "requires_grad must be True or False"),
])
def test_a_crafted_value_pickle_is_refused(backend, args, error, text):
    blob = pickle.dumps(Crafted(_copying.rebuild_value, backend, *args))
    with pytest.raises(error, match=text):
        pickle.loads(blob)


def test_a_pickle_naming_an_unknown_backend_is_refused():
    blob = pickle.dumps(Crafted(_copying.rebuild_value, "numpy", 1.0, 0.0, True))
    with pytest.raises(ValueError, match="unknown backend 'numpy'"):
        pickle.loads(blob)
