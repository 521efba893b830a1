"""The cost of the training toolkit on the engine: cross-entropy on logits against
softmax + categorical cross-entropy over a digits epoch, and Dropout in an MLP step.
Each fused engine op is timed beside the same math composed from MLArray operations
(`composed` below), so the table shows what fusing saves.

`pytest benchmarks/test_training_toolkit.py --benchmark-only --benchmark-group-by=group`
"""
import numpy as np
import pytest

import smolml
import workloads as w
from harness import run_for
from smolml import MLArray
from smolml._random import numpy_generator
from smolml.models.nn import DenseLayer, Dropout, NeuralNetwork
from smolml.utils import activation, initializers, losses, optimizers

pytestmark = pytest.mark.skipif(not smolml._backend.engine_available(),
                                reason="the fused ops are the engine's")


def composed_cross_entropy(logits, targets):
    """−mean Σ y·log_softmax(z), from max, −, exp, sum, log, * and mean nodes."""
    with smolml.no_grad():
        shift = logits.max(axis=-1, keepdims=True)
    shifted = logits - shift
    log_probabilities = shifted - shifted.exp().sum(axis=-1, keepdims=True).log()
    return -(targets * log_probabilities).sum(axis=-1).mean()


class ComposedDropout(Dropout):
    """Dropout as two steps: the mask as an MLArray, then a multiplication node."""

    def forward(self, input_data):
        if not self.training:
            return input_data
        kept = numpy_generator().random(input_data.shape) >= self.p
        return input_data * MLArray(kept / (1.0 - self.p), requires_grad=False)


LOSSES = {
    "softmax + categorical_cross_entropy": (activation.softmax, losses.categorical_cross_entropy),
    "logits, composed cross-entropy": (activation.linear, composed_cross_entropy),
    "logits, cross_entropy_from_logits": (activation.linear, losses.cross_entropy_from_logits),
}


@pytest.mark.benchmark(group="digits: one training epoch, 64-128-10, Adam, batch 32: the loss")
@pytest.mark.parametrize("loss", list(LOSSES))
def test_digits_epoch_loss(benchmark, loss):
    last_activation, loss_function = LOSSES[loss]
    X, Y = w.digits_data()
    smolml.manual_seed(0)
    network = NeuralNetwork(
        [DenseLayer(64, w.DIGITS_HIDDEN, activation.relu, initializers.HeInitialization),
         DenseLayer(w.DIGITS_HIDDEN, 10, last_activation)],
        loss_function, optimizers.Adam(learning_rate=w.DIGITS_LR))
    epoch = lambda: network.train(X, Y, epochs=1, batch_size=w.DIGITS_BATCH,  # noqa: E731
                                  verbose=False)[-1]
    assert run_for(benchmark, epoch, seconds=3.0) > 0


DROPOUTS = {"no dropout": None, "composed dropout": ComposedDropout, "Dropout": Dropout}


@pytest.mark.benchmark(group="MLP step 784-256-10, batch 128, SGD: Dropout(0.5) after the hidden layer")
@pytest.mark.parametrize("dropout", list(DROPOUTS))
def test_mlp_step_dropout(benchmark, dropout):
    generator = np.random.default_rng(0)
    X = generator.random((128, 784))
    Y = np.eye(10)[generator.integers(0, 10, size=128)]
    smolml.manual_seed(0)
    layers = [DenseLayer(784, 256, activation.relu, initializers.HeInitialization),
              DenseLayer(256, 10)]
    if DROPOUTS[dropout] is not None:
        layers.insert(1, DROPOUTS[dropout](0.5))
    network = NeuralNetwork(layers, losses.cross_entropy_from_logits, optimizers.SGD(0.01))
    step = lambda: network.train(X, Y, epochs=1, verbose=False)[-1]    # noqa: E731
    assert run_for(benchmark, step, seconds=2.0) > 0


def composed_softmax_loss(logits, targets):
    return losses.categorical_cross_entropy(activation.softmax(logits), targets)


LOSS_ALONE = {
    "softmax + categorical_cross_entropy": composed_softmax_loss,
    "composed cross-entropy": composed_cross_entropy,
    "cross_entropy_from_logits": losses.cross_entropy_from_logits,
}


def loss_alone(loss_function, rows=512, classes=1000):
    generator = np.random.default_rng(0)
    z = MLArray(generator.normal(scale=3.0, size=(rows, classes)))
    t = MLArray(np.eye(classes)[generator.integers(0, classes, size=rows)], requires_grad=False)

    def step():
        loss = loss_function(z, t)
        loss.backward()
        z.restart()
        return float(loss)
    return step


@pytest.mark.benchmark(group="loss alone: forward + backward of 512×1000 logits, one-hot targets")
@pytest.mark.parametrize("loss", list(LOSS_ALONE))
def test_loss_alone(benchmark, loss):
    assert run_for(benchmark, loss_alone(LOSS_ALONE[loss]), seconds=2.0) > 0


DROPOUT_ALONE = {"composed dropout": ComposedDropout, "Dropout": Dropout}


def dropout_alone(layer_class, shape=(512, 1024)):
    x = MLArray(np.random.default_rng(0).normal(size=shape))
    layer = layer_class(0.5)

    def step():
        out = layer.forward(x)
        out.backward()
        x.restart()
    return step


@pytest.mark.benchmark(group="Dropout(0.5) alone: forward + backward of 512×1024")
@pytest.mark.parametrize("dropout", list(DROPOUT_ALONE))
def test_dropout_alone(benchmark, dropout):
    run_for(benchmark, dropout_alone(DROPOUT_ALONE[dropout]), seconds=2.0)
