"""What the benchmarks share: which implementations can run here, and how to time them."""
import importlib.util
import platform
import time

import pytest

from smolml import _backend

PEERS = ("micrograd", "torch")          # optional: each joins the groups it can run when installed
# Always available: "numpy", the hand-written NumPy MLP step (mlp_peers.NumpyMLP).


def _unavailable(name):
    """Why implementation `name` cannot run here, or None when it can."""
    if name == "engine" and not _backend.engine_available():
        return "smolml's compiled engine is not built"
    if name in PEERS and importlib.util.find_spec(name) is None:
        return f"{name} is not installed (an optional peer: pip install {name})"
    return None


def implementations(*names, too_slow=()):
    """Parametrize a benchmark over the implementations `names`.

    Those in `too_slow` are listed but skipped, so the skip and its reason show.
    """
    params = []
    for name in names:
        reason = _unavailable(name)
        if name in too_slow:
            reason = f"too slow on {name} for a benchmark run"
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return pytest.mark.parametrize("impl", params, indirect=True)


def run(benchmark, fn, rounds=None, setup=None):
    """Time fn(). With `rounds`, exactly that many rounds of one call (for slow
    implementations, or when `setup` must build fresh input before every call)."""
    if rounds is None and setup is None:
        return benchmark(fn)
    if setup is not None:                   # setup() returns fn's arguments, as a tuple
        return benchmark.pedantic(fn, setup=lambda: (setup(), {}),
                                  rounds=rounds or 5, iterations=1, warmup_rounds=0)
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)


def run_for(benchmark, fn, seconds=1.0, warmup_rounds=1):
    """Time fn() in as many one-call rounds as fit in about `seconds`, judged from the
    fastest of three trial calls. (pytest-benchmark's own calibration trusts a single
    call; on a busy machine that can be a slow one, which leaves a fast benchmark only
    milliseconds of rounds, all in the same slow stretch.)"""
    trials = []
    for _ in range(3):
        start = time.perf_counter()
        fn()
        trials.append(time.perf_counter() - start)
    rounds = max(5, int(seconds / max(min(trials), 1e-7)))
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=warmup_rounds)


def fastest_in_turn(steps, seconds, block):
    """{name: fastest step in seconds} of the step functions `steps` ({name: function})
    run in turn for `seconds`, each for a block of `block` seconds of steps at a time,
    after one warm-up call each. Blocks, not single steps: PyTorch's threads and NumPy's
    BLAS threads spin-wait a while after their work and would take the cores from the
    other at every switch; the fastest step is one from inside a block."""
    best = {name: float("inf") for name in steps}
    for step in steps.values():
        step()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for name, step in steps.items():
            block_end = time.perf_counter() + block
            while True:
                start = time.perf_counter()
                step()
                end = time.perf_counter()
                best[name] = min(best[name], end - start)
                if end >= block_end:
                    break
    return best


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
