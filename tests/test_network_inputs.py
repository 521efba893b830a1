"""A network names the layer that cannot take its input, and runs on its own backend:
plain data is made there, an MLArray of the other backend gets a message saying how
to fix it. Oracle: the same program run entirely inside that backend."""
import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import losses, optimizers

X = np.array([[0.5, -1.0], [1.2, 0.4], [-0.3, 0.8], [0.0, -0.5]])
Y = np.array([[0.3], [0.8], [-0.4], [0.1]])


def network(optimizer=None):
    smolml.manual_seed(0)
    return NeuralNetwork([DenseLayer(2, 3, "tanh"), DenseLayer(3, 1)], losses.mse_loss,
                         optimizer or optimizers.Adam(0.05))


@pytest.mark.parametrize("width", [1, 3])
def test_wrong_input_width_names_the_layer(backend, width):
    net = network()
    data = np.ones((4, width))
    with pytest.raises(ValueError) as info:
        net.forward(data)
    message = str(info.value)
    assert "layer 1 of 2 (network.layers[0])" in message
    assert "DenseLayer(in=2, out=3" in message and "(N, 2)" in message
    assert f"got shape (4, {width})" in message
    with pytest.raises(ValueError, match=rf"X of shape \(4, {width}\) does not fit.*layer 1 of 2"):
        net.train(data, Y, epochs=1, verbose=False)


def test_layers_that_do_not_chain_name_the_second_layer(backend):
    net = NeuralNetwork([DenseLayer(2, 3), DenseLayer(4, 1)], losses.mse_loss)
    with pytest.raises(ValueError, match=r"X of shape \(4, 2\) does not fit the network: "
                                         r"layer 2 of 2 \(network.layers\[1\]\): "
                                         r"DenseLayer\(in=4, out=1.*gets shape \(4, 3\)"):
        net.train(X, Y, epochs=1, verbose=False)
    with pytest.raises(ValueError, match=r"layer 2 of 2 \(network.layers\[1\]\): "
                                         r"DenseLayer\(in=4, out=1.*got shape \(4, 3\)"):
        net.forward(X)


def test_one_dimensional_X_is_refused(backend):
    with pytest.raises(ValueError, match=r"X must have a feature axis.*\(4,\)"):
        network().train(X[:, 0], Y, epochs=1, verbose=False)


def test_a_pure_network_trains_outside_its_block(both_backends):
    with smolml.use_backend("pure"):
        inside = network()
        expected = inside.train(X, Y, epochs=4, batch_size=2, verbose=False,
                                validation_data=(X, Y))
    outside = network_made_on("pure")
    with smolml.use_backend("engine"):
        got = outside.train(X.tolist(), Y.tolist(), epochs=4, batch_size=2, verbose=False,
                            validation_data=(X, Y))
        predicted = outside.forward(X)
    assert got == expected
    assert outside.history["val_loss"] == inside.history["val_loss"]
    assert outside.backend == "pure"
    assert smolml._backend.backend_of(predicted) == "pure"


def network_made_on(name):
    with smolml.use_backend(name):
        return network()


def test_an_engine_mlarray_given_to_train_is_data(both_backends):
    outside = network_made_on("pure")
    reference = network_made_on("pure")
    with smolml.use_backend("engine"):
        X_engine, Y_engine = MLArray(X), MLArray(Y)
    assert outside.train(X_engine, Y_engine, epochs=2, verbose=False) == \
        reference.train(X, Y, epochs=2, verbose=False)


def test_an_mlarray_of_the_other_backend_says_how_to_fix_it(both_backends):
    net = network_made_on("pure")
    with smolml.use_backend("engine"):
        X_engine = MLArray(X)
    with pytest.raises(TypeError) as info:
        net.forward(X_engine)
    message = str(info.value)
    assert "'pure' backend" in message and "'engine' backend" in message
    assert "x.numpy()" in message and "use_backend('pure')" in message


def test_hand_written_loop_with_adam_outside_the_block(both_backends):
    """The optimizer's state and a loss's list targets are made on the parameters'
    backend, not the active one."""
    runs = []
    for name in ("pure", "engine"):
        net = network_made_on("pure")
        adam = optimizers.Adam(0.05)
        with smolml.use_backend(name):
            for _ in range(3):
                loss = losses.mse_loss(net.forward(X), Y.tolist())
                loss.backward()
                for idx, layer in enumerate(net.layers):
                    layer.update(adam, idx)
                    layer.restart()
        runs.append([layer.weights.numpy() for layer in net.layers])
    for inside, outside in zip(*runs):
        np.testing.assert_array_equal(inside, outside)
