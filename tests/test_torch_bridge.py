"""NeuralNetwork.to_torch / from_torch against PyTorch itself: outputs to 1e-12 in
float64, the state_dict layout (weight = Wᵀ, bias = b[0]), activations with their
parameters, training in PyTorch and back, and the errors. Skipped without PyTorch,
except the ImportError test."""
import functools
import sys

import numpy as np
import pytest

import smolml
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

ACTIVATIONS = [
    (activation.relu, "ReLU"), (activation.tanh, "Tanh"), (activation.sigmoid, "Sigmoid"),
    (activation.leaky_relu, "LeakyReLU"), (activation.elu, "ELU"),
    (functools.partial(activation.leaky_relu, alpha=0.2), "LeakyReLU"),
    (functools.partial(activation.elu, alpha=0.5), "ELU"),
]
X = np.random.default_rng(0).normal(size=(7, 4))


def network(hidden, dtype=None, seed=0):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(4, 5, hidden, dtype=dtype),
                          DenseLayer(5, 3, activation.softmax, dtype=dtype)],
                         losses.categorical_cross_entropy)


@needs_torch
@pytest.mark.parametrize("hidden, module_name", ACTIVATIONS)
def test_to_torch_gives_the_same_outputs(backend, hidden, module_name):
    net = network(hidden)
    module = net.to_torch()
    assert [type(m).__name__ for m in module] == ["Linear", module_name, "Linear", "Softmax"]
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, net.predict(X).numpy(), rtol=1e-12, atol=1e-15)


@needs_torch
def test_to_torch_keeps_activation_parameters(backend):
    module = network(functools.partial(activation.leaky_relu, alpha=0.2)).to_torch()
    assert module[1].negative_slope == 0.2
    module = network(activation.elu).to_torch()
    assert module[1].alpha == 1.0 and module[3].dim == -1


@needs_torch
def test_state_dict_layout_is_pytorchs(backend):
    net = network(activation.relu)
    torch_state = net.to_torch().state_dict()
    assert list(torch_state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for i, name in ((0, "0"), (1, "2")):
        np.testing.assert_array_equal(torch_state[f"{name}.weight"].numpy(),
                                      net.layers[i].weights.numpy().T)
        np.testing.assert_array_equal(torch_state[f"{name}.bias"].numpy(),
                                      net.layers[i].biases.numpy()[0])
        assert torch_state[f"{name}.weight"].shape == torch.nn.Linear(
            net.layers[i].input_size, net.layers[i].output_size).weight.shape


@needs_torch
def test_to_torch_leaves_torch_rng_alone(backend):
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    network(activation.relu).to_torch()
    assert torch.equal(torch.rand(3), expected)


@needs_torch
def test_float32_networks_convert_as_float32(backend):
    net = network(activation.tanh, dtype=smolml.float32)
    module = net.to_torch()
    assert module[0].weight.dtype == torch.float32
    with torch.no_grad():
        out = module(torch.from_numpy(X.astype(np.float32))).numpy()
    np.testing.assert_allclose(out, net.predict(X).numpy(), rtol=1e-5, atol=1e-6)
    back = NeuralNetwork.from_torch(module)
    assert back.dtype == smolml.float32


@needs_torch
def test_from_torch_gives_the_same_outputs(backend):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 5, bias=False),
        torch.nn.Sequential(torch.nn.LeakyReLU(0.3)), torch.nn.Linear(5, 2),
        torch.nn.Identity()).double()
    net = NeuralNetwork.from_torch(module, loss_function=losses.mse_loss)
    assert [layer.activation_function for layer in net.layers][0] is activation.relu
    assert net.layers[1].activation_function.keywords == {"alpha": 0.3}
    assert net.layers[2].activation_function is activation.linear
    assert net.loss_function is losses.mse_loss
    with torch.no_grad():
        expected = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net.predict(X).numpy(), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(net.layers[1].biases.numpy(), np.zeros((1, 5)))


@needs_torch
def test_round_trip_after_training_in_torch(backend):
    net = network(activation.tanh)
    module = net.to_torch()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    y = torch.from_numpy(np.eye(3)[[0, 1, 2, 0, 1, 2, 0]])
    for _ in range(5):
        optimizer.zero_grad()
        out = module(torch.from_numpy(X))
        loss = -(y * out.clamp(1e-15, 1 - 1e-15).log()).sum(dim=1).mean()
        loss.backward()
        optimizer.step()
    back = NeuralNetwork.from_torch(module, losses.categorical_cross_entropy,
                                    optimizers.SGD(0.5))
    with torch.no_grad():
        expected = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(back.predict(X).numpy(), expected, rtol=1e-12, atol=1e-15)
    # and training goes on in smolml from there
    history = back.train(X, y.numpy(), epochs=3, verbose=False)
    assert history[-1] < history[0]


@needs_torch
def test_unsupported_layers_and_activations(backend):
    with pytest.raises(ValueError, match="layer 0 uses the activation my_act"):
        def my_act(x):
            return x
        network(my_act).to_torch()
    with pytest.raises(ValueError, match="Conv1d"):
        NeuralNetwork.from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)))
    with pytest.raises(ValueError, match="GELU"):
        NeuralNetwork.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU()))
    with pytest.raises(ValueError, match="does not follow a Linear"):
        NeuralNetwork.from_torch(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="does not follow a Linear"):
        NeuralNetwork.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(),
                                                     torch.nn.Tanh()))
    with pytest.raises(ValueError, match="Softmax"):
        NeuralNetwork.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2),
                                                     torch.nn.Softmax(dim=0)))
    with pytest.raises(ValueError, match="float16"):
        NeuralNetwork.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2).half()))
    with pytest.raises(ValueError, match="Sequential"):
        NeuralNetwork.from_torch(torch.nn.ReLU())
    with pytest.raises(ValueError, match="no Linear"):
        NeuralNetwork.from_torch(torch.nn.Sequential())
    lone = NeuralNetwork.from_torch(torch.nn.Linear(3, 2).double())
    assert len(lone.layers) == 1

    class NotALayer:
        weights = None

    net = network(activation.relu)
    net.layers.append(NotALayer())
    with pytest.raises(ValueError, match="layer 2 is a NotALayer"):
        net.to_torch()


def test_missing_torch_says_how_to_install(backend, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)      # import torch now fails
    with pytest.raises(ImportError, match=r"pip install 'smolml\[torch\]'"):
        network(activation.relu).to_torch()
    with pytest.raises(ImportError, match="smolml"):
        NeuralNetwork.from_torch(object())


def test_a_network_without_a_loss_predicts_saves_and_says_why_it_cannot_train(backend, tmp_path):
    net = NeuralNetwork([DenseLayer(2, 1)], None)
    X = np.array([[1.0, 2.0]])
    expected = X @ net.layers[0].weights.numpy() + net.layers[0].biases.numpy()
    np.testing.assert_allclose(net.predict(X).numpy(), expected, rtol=1e-12)
    again = NeuralNetwork.load(net.save(tmp_path / "no_loss"))
    assert again.loss_function is None
    with pytest.raises(ValueError, match="no loss function"):
        net.train(X, [[1.0]], epochs=1, verbose=False)


@needs_torch
def test_dropout_layers_convert_both_ways(backend):
    from smolml.models.nn import Dropout
    smolml.manual_seed(3)
    net = NeuralNetwork([DenseLayer(4, 6, activation.relu), Dropout(0.3),
                         DenseLayer(6, 3, activation.softmax)],
                        losses.categorical_cross_entropy)
    module = net.to_torch()
    kinds = [type(m).__name__ for m in module]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "Softmax"]
    assert module[2].p == 0.3
    assert not module.training                    # the network is not training
    with torch.no_grad():
        torch_out = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net.predict(X).numpy(), torch_out, rtol=0, atol=1e-12)
    net.training = True
    assert net.to_torch().training and net.to_torch()[2].training

    # PyTorch -> smolml: Dropout after an activation and right after a Linear
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Dropout(0.25),
                              torch.nn.Linear(5, 5), torch.nn.Tanh(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(5, 2)).double().eval()
    back = NeuralNetwork.from_torch(seq)
    assert [type(layer).__name__ for layer in back.layers] == [
        "DenseLayer", "Dropout", "DenseLayer", "Dropout", "DenseLayer"]
    assert [layer.p for layer in back.layers if isinstance(layer, Dropout)] == [0.25, 0.1]
    assert back.layers[0].activation_function is activation.linear
    with torch.no_grad():
        expected = seq(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(back.predict(X).numpy(), expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="no Linear"):
        NeuralNetwork.from_torch(torch.nn.Sequential(torch.nn.Dropout(0.5)))
