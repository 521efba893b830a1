"""`NeuralNetwork.train` epochs of the three MLP sizes on an idle machine and next to a
competitor process this module starts and stops itself (`competitors.py`): a one-core
spinner, and NumPy's small matrix products on their own BLAS threads. Each is timed with
smolml's default (threads="auto"), threads fixed at 1 and at the core count.

    pytest benchmarks/test_contention.py --benchmark-only --benchmark-json=contention.json
    python benchmarks/report.py contention.json

The report prints each time as a ratio to the same size's idle default. The engine only;
one competitor at a time, for this module's tests of it and no longer.
"""
import numpy as np
import pytest

import smolml
from smolml import _threads
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers
import competitors

# layer sizes, batch size, batches per epoch
CONTENTION_SIZES = {
    "small": ([64, 32, 10], 32, 40),
    "medium": ([784, 256, 10], 128, 20),
    "large": ([784, 1024, 1024, 10], 512, 10),
}
EPOCHS_PER_ROUND = 2
ROUNDS = 3
THREADS = ("auto", 1, _threads.cpu_count())


def user_network(sizes, seed=0):
    """The user's path: DenseLayers, relu hidden, softmax out, cross-entropy, SGD."""
    smolml.manual_seed(seed)
    layers = [DenseLayer(n_in, n_out, activation.relu if i < len(sizes) - 2
                         else activation.softmax)
              for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]
    return NeuralNetwork(layers, losses.categorical_cross_entropy, optimizers.SGD(0.01))


def user_data(sizes, batch_size, batches, seed=1):
    rng = np.random.default_rng(seed)
    n = batch_size * batches
    return rng.random((n, sizes[0])), np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]


@pytest.fixture(scope="module", params=competitors.KINDS)
def competitor(request):
    if not smolml._backend.engine_available():
        pytest.skip("the contention benchmark times the compiled engine")
    with competitors.running(request.param):
        yield request.param


@pytest.mark.parametrize("threads", THREADS, ids=[str(t) for t in THREADS])
@pytest.mark.parametrize("size", list(CONTENTION_SIZES))
def test_train_epoch_under_contention(benchmark, competitor, size, threads):
    """Seconds per epoch of `train(epochs=EPOCHS_PER_ROUND)`; never asserted on."""
    sizes, batch_size, batches = CONTENTION_SIZES[size]
    label = "x".join(map(str, sizes))
    benchmark.group = f"contention: {label} batch {batch_size}"
    benchmark.extra_info["contention"] = {"competitor": competitor, "threads": str(threads),
                                          "epochs": EPOCHS_PER_ROUND}
    with smolml.use_backend("engine"):
        net = user_network(sizes)
        X, Y = user_data(sizes, batch_size, batches)
        net.train(X, Y, epochs=1, batch_size=batch_size, verbose=False, threads=1)  # warm-up
        benchmark.pedantic(net.train, args=(X, Y),
                           kwargs={"epochs": EPOCHS_PER_ROUND, "batch_size": batch_size,
                                   "verbose": False, "threads": threads},
                           rounds=ROUNDS, iterations=1)
