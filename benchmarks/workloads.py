"""The workloads the benchmarks time: smolml's version of each, written against its public
API only, and the same workload for the optional peers (micrograd, PyTorch).

A peer's version does the same work as smolml's: the same sizes, the same initial
values, the same loss written with the same operations, the same optimizer step, in the
same dtype (float64, and float32 for the MLArray MLP step). The peers are imported inside
their functions, so this module imports without them. The MLP step's data, its
hand-written NumPy twin and its PyTorch version live in `mlp_peers.py` (no smolml there)
and are re-exported here.
"""
import math

import numpy as np

import smolml
from smolml import MLArray, Value
from mlp_peers import (DTYPES, NumpyMLP, TorchMLP, mlp_batch, mlp_weights,  # noqa: F401
                       numpy_batch, torch_batch)

# ---------------------------------------------------------------- scalar chains

CHAIN_SCALE, CHAIN_SHIFT = 1.0001, 0.001
DEEP_SCALE = 1.0 - 1e-7                # a 1,000,000-deep product stays near 1


def scalar_chain(value_type, length):
    """y = x, then y ← y·1.0001 + 0.001 `length` times (2·length ops), then backward.

    `value_type` is a scalar autograd type: smolml's Value or micrograd's.
    Returns dy/dx.
    """
    x = value_type(0.5)
    y = x
    for _ in range(length):
        y = y * CHAIN_SCALE + CHAIN_SHIFT
    y.backward()
    return x.grad


def torch_scalar_chain(length):
    """`scalar_chain` on 0-d float64 tensors."""
    import torch

    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(length):
        y = y * CHAIN_SCALE + CHAIN_SHIFT
    y.backward()
    return x.grad.item()


def deep_chain(value_type, depth):
    """x and y = x·s·s·…·s, `depth` multiplications deep; returns (x, y), not yet
    differentiated. Backward must walk all `depth` levels one after another."""
    x = value_type(0.5)
    y = x
    for _ in range(depth):
        y = y * DEEP_SCALE
    return x, y


def torch_deep_chain(depth):
    """`deep_chain` on 0-d float64 tensors."""
    import torch

    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * DEEP_SCALE
    return x, y


# ---------------------------------------------------------------- micrograd's MLP on moons

class Neuron:
    """One neuron over scalar Values, as in micrograd's nn.py."""

    def __init__(self, n_inputs, nonlinear, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(n_inputs)]
        self.b = Value(0.0)
        self.nonlinear = nonlinear

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlinear else act

    def parameters(self):
        return self.w + [self.b]


class ScalarMLP:
    """micrograd's MLP (ReLU hidden layers, linear output) built from smolml Values."""

    def __init__(self, n_inputs, sizes, seed=0):
        rng = np.random.default_rng(seed)
        dims = [n_inputs] + sizes
        self.layers = [[Neuron(dims[i], i != len(sizes) - 1, rng) for _ in range(dims[i + 1])]
                       for i in range(len(sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]


def micrograd_mlp(n_inputs, sizes, seed=0):
    """micrograd's own nn.MLP, with its weights set to ScalarMLP's (same seed)."""
    from micrograd.nn import MLP

    model = MLP(n_inputs, sizes)
    twin = ScalarMLP(n_inputs, sizes, seed)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        p.data = q.data
    return model


def moons(n_samples, seed=0):
    """Two interleaved half circles, labels ±1 (micrograd's demo data)."""
    rng = np.random.default_rng(seed)
    half = n_samples // 2
    t = np.linspace(0, math.pi, half)
    outer = np.stack([np.cos(t), np.sin(t)], 1)
    inner = np.stack([1 - np.cos(t), 1 - np.sin(t) - 0.5], 1)
    X = np.concatenate([outer, inner]) + rng.normal(scale=0.1, size=(2 * half, 2))
    y = np.concatenate([np.ones(half), -np.ones(half)])
    return X.tolist(), y.tolist()


def micrograd_step(value_type, model, X, y, lr=0.05):
    """micrograd's moons step: SVM max-margin loss + 1e-4·L2, backward, SGD.

    Works on smolml's Value with ScalarMLP and on micrograd's Value with its MLP.
    Returns the loss.
    """
    inputs = [[value_type(a) for a in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


# ---------------------------------------------------------------- MLArray MLPs

def _dtype_keyword(dtype):
    """MLArray's dtype keyword for `dtype`: none for float64, so the float64 workload
    also runs on a smolml without the float32 API."""
    return {} if dtype == "float64" else {"dtype": dtype}


def smolml_dtype_unavailable(dtype):
    """Why the active smolml backend cannot run the MLP step in `dtype`, or None.

    float32 (`MLArray(data, dtype="float32")`, `smolml.float32`) is newer than float64;
    without it the float32 cases skip, with this reason."""
    if dtype == "float64":
        return None
    if not hasattr(smolml, dtype):
        return f"smolml has no {dtype} yet (no smolml.{dtype})"
    try:
        array = MLArray([1.0], dtype=dtype)
    except Exception as error:          # noqa: BLE001 - any failure means: not supported
        return f"MLArray([1.0], dtype={dtype!r}) fails: {type(error).__name__}: {error}"
    if getattr(array, "dtype", None) != dtype:
        return f"MLArray([1.0], dtype={dtype!r}).dtype is {getattr(array, 'dtype', None)!r}"
    return None


class ArrayMLP:
    """A dense network over MLArrays: tanh hidden layers, softmax + cross-entropy, SGD.

    One `step`: forward, L = −mean Σₖ yₖ·log clip(pₖ, 1e-15, 1), backward,
    θ ← θ − lr·∇θ, then `restart()` of every parameter. `dtype`: "float64" or "float32".
    """

    def __init__(self, sizes, seed=0, dtype="float64"):
        self.params = [MLArray(p, **_dtype_keyword(dtype)) for p in mlp_weights(sizes, seed)]

    def step(self, X, Y, lr=0.1):
        h = X
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            h = h @ self.params[2 * i] + self.params[2 * i + 1]
            if i < n_layers - 1:
                h = h.tanh()
        with smolml.no_grad():
            shift = h.max(axis=1, keepdims=True)
        e = (h - shift).exp()
        probs = e / e.sum(axis=1, keepdims=True)
        loss = -(Y * probs.clip(1e-15, 1.0).log()).sum(axis=1).mean()
        loss.backward()
        with smolml.no_grad():
            for p in self.params:
                step = p.grad()             # a fresh array: scaled in place (SGD's way),
                step *= lr                  # so one temporary, as PyTorch's lr * p.grad
                p -= step                   # in place, as PyTorch's step
        for p in self.params:
            p.restart()
        return float(loss)


def array_batch(n_in, n_out, batch_size, dtype="float64", seed=1):
    """`mlp_batch` as MLArrays of `dtype` that track no gradient (data, not parameters)."""
    X, Y = mlp_batch(n_in, n_out, batch_size, seed)
    return (MLArray(X, requires_grad=False, **_dtype_keyword(dtype)),
            MLArray(Y, requires_grad=False, **_dtype_keyword(dtype)))


# ---------------------------------------------------------------- a digits training epoch

DIGITS_HIDDEN, DIGITS_BATCH, DIGITS_LR = 128, 32, 0.005


def digits_data():
    """The 1,797 UCI digits scaled to [0, 1] and their one-hot targets."""
    from smolml.datasets import load_digits

    X, y = load_digits()
    return X / 16.0, np.eye(10)[y]


def digits_network(seed=0):
    """`python -m smolml demo`'s network: 64-128-10, ReLU, softmax, cross-entropy, Adam."""
    from smolml.models.nn import DenseLayer, NeuralNetwork
    from smolml.utils import activation, initializers, losses, optimizers

    smolml.manual_seed(seed)
    return NeuralNetwork(
        [DenseLayer(64, DIGITS_HIDDEN, activation.relu, initializers.HeInitialization),
         DenseLayer(DIGITS_HIDDEN, 10, activation.softmax)],
        losses.categorical_cross_entropy,
        optimizers.Adam(learning_rate=DIGITS_LR))


def digits_epoch(network, X, Y):
    """One epoch of `NeuralNetwork.train`: shuffled batches of 32, Adam after each."""
    return network.train(X, Y, epochs=1, batch_size=DIGITS_BATCH, verbose=False)[-1]


class TorchDigits:
    """`digits_network` and `digits_epoch` in PyTorch: the same initial weights, ops,
    loss (mean over samples of −Σ y·log max(p, 1e-15)) and Adam step."""

    def __init__(self, network):
        import torch

        self.torch = torch
        self.params = [torch.tensor(array, dtype=torch.float64, requires_grad=True)
                       for layer in network.layers
                       for array in (layer.weights.numpy(), layer.biases.numpy())]
        self.optimizer = torch.optim.Adam(self.params, lr=DIGITS_LR, betas=(0.9, 0.999),
                                          eps=1e-8)
        self.rng = np.random.default_rng(0)

    def epoch(self, X, Y):
        torch = self.torch
        W1, b1, W2, b2 = self.params
        X, Y = torch.from_numpy(X), torch.from_numpy(Y)
        order = torch.from_numpy(self.rng.permutation(len(X)))
        losses = []
        for start in range(0, len(X), DIGITS_BATCH):
            rows = order[start:start + DIGITS_BATCH]
            h = (X[rows] @ W1 + b1).relu()
            z = h @ W2 + b2
            with torch.no_grad():
                shift = z.amax(dim=1, keepdim=True)
            e = (z - shift).exp()
            probs = e / e.sum(dim=1, keepdim=True)
            loss = -(Y[rows] * probs.clamp(min=1e-15).log()).sum(dim=1).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return sum(losses) / len(losses)
