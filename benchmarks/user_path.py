"""The path users train on, one step of it: `NeuralNetwork` of DenseLayers (relu hidden,
softmax out), `categorical_cross_entropy`, `loss.backward()`, `layer.update` with SGD or
Adam, `restart()`; and the same step in PyTorch (`nn.Linear`, `ReLU`, softmax and the
same loss written the same way, `torch.optim.SGD` / `Adam`), from the same weights and
batch (`mlp_peers.mlp_weights` / `mlp_batch`), in float64.
"""
import numpy as np

import smolml
from smolml import MLArray
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers
from mlp_peers import mlp_batch, mlp_weights

LEARNING_RATE = {"sgd": 0.1, "adam": 0.001}
EPSILON = 1e-15                 # smolml.utils.losses.EPSILON: p = max(ŷ, ε)


def smolml_optimizer(name):
    if name == "sgd":
        return optimizers.SGD(learning_rate=LEARNING_RATE["sgd"])
    return optimizers.Adam(learning_rate=LEARNING_RATE["adam"])


class NetworkStep:
    """One training step of a NeuralNetwork, written as `train` runs it."""

    def __init__(self, sizes, batch_size, optimizer):
        layers = [DenseLayer(n_in, n_out, activation.relu if i < len(sizes) - 2
                             else activation.softmax)
                  for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]
        params = mlp_weights(sizes)
        for layer, weights, biases in zip(layers, params[::2], params[1::2]):
            layer.weights = MLArray(weights)
            layer.biases = MLArray(biases)
        self.net = NeuralNetwork(layers, losses.categorical_cross_entropy,
                                 smolml_optimizer(optimizer))
        X, Y = mlp_batch(sizes[0], sizes[-1], batch_size)
        self.X = MLArray(X, requires_grad=False)
        self.Y = MLArray(Y, requires_grad=False)

    def step(self):
        net = self.net
        loss = net.loss_function(net.forward(self.X), self.Y)
        loss.backward()
        if hasattr(net.optimizer, "begin_step"):
            net.optimizer.begin_step()
        for idx, layer in enumerate(net.layers):
            layer.update(net.optimizer, idx)
        self.X.restart()
        self.Y.restart()
        for param in net.parameters():
            param.restart()
        return float(loss)


class TorchStep:
    """NetworkStep in PyTorch: nn.Linear layers, ReLU, softmax, −mean Σ y·log max(p, ε)."""

    def __init__(self, sizes, batch_size, optimizer):
        import torch

        self.torch = torch
        modules = []
        params = mlp_weights(sizes)
        for i, (weights, biases) in enumerate(zip(params[::2], params[1::2])):
            linear = torch.nn.Linear(*weights.shape, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(weights.T))
                linear.bias.copy_(torch.from_numpy(biases[0]))
            modules.append(linear)
            if i < len(sizes) - 2:
                modules.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*modules)
        if optimizer == "sgd":
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE["sgd"])
        else:
            self.optimizer = torch.optim.Adam(self.model.parameters(),
                                              lr=LEARNING_RATE["adam"], eps=1e-8)
        X, Y = mlp_batch(sizes[0], sizes[-1], batch_size)
        self.X, self.Y = torch.from_numpy(X), torch.from_numpy(Y)

    def step(self):
        torch = self.torch
        z = self.model(self.X)
        with torch.no_grad():
            shift = z.amax(dim=1, keepdim=True)
        e = (z - shift).exp()
        p = e / e.sum(dim=1, keepdim=True)
        loss = -(self.Y * p.clamp(min=EPSILON).log()).sum(dim=1).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


def same_first_losses(sizes, batch_size, optimizer, steps=3):
    """The losses of `steps` steps of NetworkStep and TorchStep (they must agree)."""
    ours, theirs = NetworkStep(sizes, batch_size, optimizer), TorchStep(sizes, batch_size,
                                                                         optimizer)
    return ([ours.step() for _ in range(steps)], [theirs.step() for _ in range(steps)])
