"""The user's training step (`user_path.NetworkStep`: NeuralNetwork, DenseLayers,
categorical_cross_entropy, layer.update with SGD or Adam) beside PyTorch doing the same
(`user_path.TorchStep`) and the hand-written MLArray step (`workloads.ArrayMLP`, SGD), in
turn in one run, float64, on the engine.

    pytest benchmarks/test_user_path.py --benchmark-only --benchmark-json=user.json
    python benchmarks/report.py user.json
"""
import numpy as np
import pytest

import smolml
import workloads as w
import user_path
from harness import _unavailable, fastest_in_turn
from test_workloads import INTERLEAVED_BLOCK, INTERLEAVED_SECONDS, MLP_SIZES

OPTIMIZERS = ("sgd", "adam")


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("size", list(MLP_SIZES))
def test_user_step_matches_pytorch(size, optimizer):
    """The two sides of the benchmark compute the same losses (not a benchmark)."""
    if _unavailable("torch"):
        pytest.skip(_unavailable("torch"))
    sizes, batch_size = MLP_SIZES[size]
    ours, theirs = user_path.same_first_losses(sizes, batch_size, optimizer)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("size", list(MLP_SIZES))
def test_user_step_in_turn(benchmark, size, optimizer):
    """Fastest step of each, taking turns in blocks (`harness.fastest_in_turn`), into
    extra_info["user_path"] for report.py. Never asserted on: it is a measurement."""
    if _unavailable("engine"):
        pytest.skip(_unavailable("engine"))
    sizes, batch_size = MLP_SIZES[size]
    benchmark.group = f"user path: {'x'.join(map(str, sizes))} batch {batch_size}, {optimizer}"
    with smolml.use_backend("engine"):
        network = user_path.NetworkStep(sizes, batch_size, optimizer)
        steps = {"network": network.step}
        if optimizer == "sgd":
            array_mlp = w.ArrayMLP(sizes)
            X, Y = w.array_batch(sizes[0], sizes[-1], batch_size)
            steps["ArrayMLP"] = lambda: array_mlp.step(X, Y)          # noqa: E731
        if not _unavailable("torch"):
            steps["torch"] = user_path.TorchStep(sizes, batch_size, optimizer).step
        best = benchmark.pedantic(fastest_in_turn, args=(steps, INTERLEAVED_SECONDS[size],
                                                         INTERLEAVED_BLOCK[size]),
                                  rounds=1, iterations=1)
    benchmark.extra_info["user_path"] = best
