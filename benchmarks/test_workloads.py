"""smolml's engine against its pure backend and the optional peers, one group per workload.

`pytest benchmarks/ --benchmark-only --benchmark-group-by=group`
"""
import pytest

import smolml
import workloads as w
from harness import implementations, run


# ---------------------------------------------------------------- scalar Values

@pytest.mark.benchmark(group="scalar chain: 100,000 ops, then backward")
@implementations("engine", "pure", "micrograd", "torch")
def test_scalar_chain(benchmark, impl, deep_recursion):
    length = 50_000                         # one multiplication and one addition each
    if impl == "torch":
        grad = run(benchmark, lambda: w.torch_scalar_chain(length))
    else:
        value_type = smolml.Value if impl in smolml.BACKENDS else _micrograd_value()
        grad = run(benchmark, lambda: w.scalar_chain(value_type, length),
                   rounds=3 if impl in ("pure", "micrograd") else None)
    assert grad == pytest.approx(w.CHAIN_SCALE ** length)


@pytest.mark.benchmark(group="micrograd MLP step: 2-16-16-1, 100 moons points")
@implementations("engine", "pure", "micrograd")
def test_micrograd_mlp_step(benchmark, impl):
    X, y = w.moons(100)
    if impl == "micrograd":
        value_type, model = _micrograd_value(), w.micrograd_mlp(2, [16, 16, 1])
    else:
        value_type, model = smolml.Value, w.ScalarMLP(2, [16, 16, 1])
    loss = run(benchmark, lambda: w.micrograd_step(value_type, model, X, y))
    assert loss > 0


@pytest.mark.benchmark(group="backward of a 1,000,000-deep Value chain")
@implementations("engine", "pure", "micrograd", "torch")
def test_deep_chain_backward(benchmark, impl, deep_recursion):
    depth = 1_000_000
    if impl == "torch":
        build = lambda: w.torch_deep_chain(depth)       # noqa: E731
    else:
        value_type = smolml.Value if impl in smolml.BACKENDS else _micrograd_value()
        build = lambda: w.deep_chain(value_type, depth)     # noqa: E731
    grads = []

    def backward(x, y):
        y.backward()
        grads.append(float(x.grad))

    rounds = {"engine": 5, "torch": 2}.get(impl, 1)
    run(benchmark, backward, rounds=rounds, setup=build)
    assert grads[-1] == pytest.approx(w.DEEP_SCALE ** depth)


# ---------------------------------------------------------------- MLArray networks

MLP_SIZES = {                # layer sizes, batch size, rounds on the pure backend
    "small": ([64, 32, 10], 32, None),
    "medium": ([784, 256, 10], 128, 1),     # about 25 s a step on pure
    "large": ([784, 1024, 1024, 10], 512, None),
}


def _mlp_step(benchmark, impl, size):
    sizes, batch_size, pure_rounds = MLP_SIZES[size]
    if impl == "torch":
        model, (X, Y) = w.TorchMLP(sizes), w.torch_batch(sizes[0], sizes[-1], batch_size)
    else:
        model, (X, Y) = w.ArrayMLP(sizes), w.array_batch(sizes[0], sizes[-1], batch_size)
    loss = run(benchmark, lambda: model.step(X, Y), rounds=pure_rounds if impl == "pure" else None)
    assert loss > 0


@pytest.mark.benchmark(group="MLArray MLP step: 64-32-10, batch 32")
@implementations("engine", "pure", "torch")
def test_mlp_step_small(benchmark, impl):
    _mlp_step(benchmark, impl, "small")


@pytest.mark.benchmark(group="MLArray MLP step: 784-256-10, batch 128")
@implementations("engine", "pure", "torch")
def test_mlp_step_medium(benchmark, impl):
    _mlp_step(benchmark, impl, "medium")


@pytest.mark.benchmark(group="MLArray MLP step: 784-1024-1024-10, batch 512")
@implementations("engine", "pure", "torch", too_slow=("pure",))
def test_mlp_step_large(benchmark, impl):
    _mlp_step(benchmark, impl, "large")


@pytest.mark.benchmark(group="digits: one training epoch, 64-128-10, Adam, batch 32")
@implementations("engine", "pure", "torch")
def test_digits_epoch(benchmark, impl):
    X, Y = w.digits_data()
    network = w.digits_network()
    if impl == "torch":
        model = w.TorchDigits(network)
        loss = run(benchmark, lambda: model.epoch(X, Y))
    else:
        loss = run(benchmark, lambda: w.digits_epoch(network, X, Y),
                   rounds=1 if impl == "pure" else None)
    assert loss > 0


def _micrograd_value():
    from micrograd.engine import Value

    return Value
