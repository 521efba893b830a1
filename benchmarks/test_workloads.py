"""smolml's engine against its pure backend and the optional peers, one group per workload
(per workload and dtype for the MLArray MLP step, which also has a hand-written NumPy peer).

`pytest benchmarks/ --benchmark-only --benchmark-group-by=group`
"""

import pytest

import smolml
import workloads as w
import peak_rss
from harness import _unavailable, fastest_in_turn, implementations, run, run_for


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


@pytest.mark.benchmark(group="scalar chain: 1,000,000 links (2,000,000 ops), then backward")
@implementations("engine", "pure", "micrograd", too_slow=("pure", "micrograd"))
def test_scalar_chain_million(benchmark, impl, deep_recursion):
    """The million-link chain, forward and backward together; pure and micrograd would
    take tens of seconds a round (their 100,000-op chain above gives the ratio)."""
    length = 1_000_000
    value_type = smolml.Value if impl in smolml.BACKENDS else _micrograd_value()
    grad = run(benchmark, lambda: w.scalar_chain(value_type, length), rounds=3)
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

MLP_SIZES = {                # layer sizes, batch size
    "small": ([64, 32, 10], 32),
    "medium": ([784, 256, 10], 128),
    "large": ([784, 1024, 1024, 10], 512),
}
PURE_ROUNDS = {"medium": 1}  # about 25 s a step on pure; pure skips the large step
LARGE_SECONDS = 2.0          # 30-100 ms a step: 20-60 rounds
LARGE_WARMUP = 8             # steps run before timing (about half a second)


def mlp_group(size, dtype):
    """The benchmark group of the MLP step of `size` in `dtype`: one per workload and
    dtype, so engine, pure, PyTorch and NumPy print (and report.py compares) side by side."""
    sizes, batch_size = MLP_SIZES[size]
    return f"MLArray MLP step: {'-'.join(map(str, sizes))}, batch {batch_size}, {dtype}"


def _mlp_step(benchmark, impl, dtype, size):
    benchmark.group = mlp_group(size, dtype)
    sizes, batch_size = MLP_SIZES[size]
    n_in, n_out = sizes[0], sizes[-1]
    if impl == "torch":
        model, (X, Y) = w.TorchMLP(sizes, dtype=dtype), w.torch_batch(n_in, n_out, batch_size, dtype)
    elif impl == "numpy":
        model, (X, Y) = w.NumpyMLP(sizes, dtype=dtype), w.numpy_batch(n_in, n_out, batch_size, dtype)
    else:
        reason = w.smolml_dtype_unavailable(dtype)
        if reason:
            pytest.skip(reason)
        if impl == "pure" and dtype != "float64" and size != "small":
            pytest.skip(f"too slow on pure for a benchmark run (pure runs the {size} step "
                        "in float64 only)")
        model, (X, Y) = w.ArrayMLP(sizes, dtype=dtype), w.array_batch(n_in, n_out, batch_size, dtype)
    step = lambda: model.step(X, Y)        # noqa: E731
    if size == "large":
        # a longer warm-up: the benchmark before this one may have left another library's
        # threads spin-waiting on the cores for a while
        loss = run_for(benchmark, step, seconds=LARGE_SECONDS, warmup_rounds=LARGE_WARMUP)
    elif impl == "pure" and size in PURE_ROUNDS:
        loss = run(benchmark, step, rounds=PURE_ROUNDS[size])
    else:
        loss = run_for(benchmark, step)
    assert loss > 0


@pytest.mark.parametrize("dtype", w.DTYPES)
@implementations("engine", "pure", "torch", "numpy")
def test_mlp_step_small(benchmark, impl, dtype):
    _mlp_step(benchmark, impl, dtype, "small")


@pytest.mark.parametrize("dtype", w.DTYPES)
@implementations("engine", "pure", "torch", "numpy")
def test_mlp_step_medium(benchmark, impl, dtype):
    _mlp_step(benchmark, impl, dtype, "medium")


@pytest.mark.parametrize("dtype", w.DTYPES)
@implementations("engine", "pure", "torch", "numpy", too_slow=("pure",))
def test_mlp_step_large(benchmark, impl, dtype):
    _mlp_step(benchmark, impl, dtype, "large")


# ---------------------------------------------------------------- interleaved ratios

INTERLEAVED_SECONDS = {"small": 3.0, "medium": 6.0, "large": 15.0}
INTERLEAVED_BLOCK = {"small": 0.2, "medium": 0.25, "large": 0.5}


def _interleaved_models(size, dtype):
    """{implementation: a step function}: smolml's engine, the NumPy step and, when
    installed, PyTorch's."""
    sizes, batch_size = MLP_SIZES[size]
    n_in, n_out = sizes[0], sizes[-1]
    steps = {}
    if smolml._backend.engine_available() and not w.smolml_dtype_unavailable(dtype):
        with smolml.use_backend("engine"):
            model, (X, Y) = w.ArrayMLP(sizes, dtype=dtype), w.array_batch(n_in, n_out, batch_size, dtype)
        steps["engine"] = lambda: model.step(X, Y)                    # noqa: E731
    if not _unavailable("torch"):
        torch_model = w.TorchMLP(sizes, dtype=dtype)
        Xt, Yt = w.torch_batch(n_in, n_out, batch_size, dtype)
        steps["torch"] = lambda: torch_model.step(Xt, Yt)              # noqa: E731
    numpy_model = w.NumpyMLP(sizes, dtype=dtype)
    Xn, Yn = w.numpy_batch(n_in, n_out, batch_size, dtype)
    steps["numpy"] = lambda: numpy_model.step(Xn, Yn)                 # noqa: E731
    return steps


@pytest.mark.parametrize("dtype", w.DTYPES)
@pytest.mark.parametrize("size", list(MLP_SIZES))
def test_mlp_step_interleaved(benchmark, size, dtype):
    """The engine's, PyTorch's and NumPy's MLP step in turn, for INTERLEAVED_SECONDS: a busy
    spell on a shared machine then slows all of them, not one, so the ratios hold better
    than across separate benchmarks. Each takes a block of INTERLEAVED_BLOCK seconds of
    steps at a time, not one step: PyTorch's threads and NumPy's BLAS threads each
    spin-wait a while after their work, and would take the cores from the other at every
    switch (`harness.fastest_in_turn`); the fastest step goes into extra_info for
    report.py. Never asserted on: it is a measurement."""
    benchmark.group = f"interleaved {mlp_group(size, dtype)}"
    steps = _interleaved_models(size, dtype)
    if "engine" not in steps:
        pytest.skip("the engine (or its float32) is not available")
    best = benchmark.pedantic(fastest_in_turn, args=(steps, INTERLEAVED_SECONDS[size],
                                                     INTERLEAVED_BLOCK[size]),
                              rounds=1, iterations=1)
    benchmark.extra_info["interleaved"] = best


# ---------------------------------------------------------------- peak memory

RSS_STEPS = 20


@pytest.mark.parametrize("dtype", w.DTYPES)
@implementations("engine", "torch", "numpy")
def test_mlp_peak_rss(benchmark, impl, dtype):
    """Peak RSS of RSS_STEPS steps of the large MLP, each implementation in a fresh
    interpreter (`peak_rss.py`), recorded in extra_info for report.py. Never asserted on:
    it is a measurement. The time is the whole child process's, imports included."""
    sizes, batch_size = MLP_SIZES["large"]
    benchmark.group = (f"peak RSS: {RSS_STEPS} steps of {'-'.join(map(str, sizes))}, "
                       f"batch {batch_size}, {dtype}")
    if impl in smolml.BACKENDS:
        reason = w.smolml_dtype_unavailable(dtype)
        if reason:
            pytest.skip(reason)
    result = benchmark.pedantic(peak_rss.measure, args=(impl, dtype, sizes, batch_size, RSS_STEPS),
                                rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    peak_rss.MEASURED.append((benchmark.group, impl, result))


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
