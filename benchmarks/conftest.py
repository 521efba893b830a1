"""Benchmarks: `pytest benchmarks/ --benchmark-only --benchmark-group-by=group`.

Each workload is one benchmark group (the MLArray MLP step: one per workload and dtype)
and the implementation is a parameter, so smolml's two backends (`engine`, `pure`), the
optional peers (`micrograd`, `torch`) and, for the MLP step, a hand-written NumPy step
(`numpy`, always there) print side by side. A peer that is not installed, or a backend
that is not built, is skipped; so is the pure backend on workloads it would need minutes
for, and smolml's float32 cases when its float32 API is missing. Slow implementations
run a fixed, small number of rounds. `test_mlp_peak_rss` measures peak memory in child
processes; `test_numpy_twin.py` holds plain tests (not benchmarks) of the NumPy step.

`python benchmarks/report.py FILE.json` turns a `--benchmark-json=FILE.json` run into
the markdown table of README's "Benchmarks" section.
"""
import importlib.metadata
import os
import sys

import pytest

import smolml
from smolml import _info
from harness import PEERS, cpu_model

# The machine may be shared: the report says how busy it was when the run began and ended.
LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else None


@pytest.fixture
def impl(request):
    """The implementation's name; smolml's backends are active during the test."""
    name = request.param
    if name in smolml.BACKENDS:
        with smolml.use_backend(name):
            yield name
    else:
        yield name


@pytest.fixture
def deep_recursion():
    """micrograd's backward sorts the graph recursively: one Python frame per level."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 3_000_000))
    yield
    sys.setrecursionlimit(limit)


def blas_runtime():
    """The BLAS libraries loaded in this process as threadpoolctl sees them: a list of
    {internal_api, version, architecture, num_threads, filepath}. The kernel
    (`architecture`) is what runs, which an environment variable such as
    OPENBLAS_CORETYPE can force to an older one than the CPU allows."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:                     # threadpoolctl comes with scikit-learn
        return []
    keys = ("internal_api", "version", "architecture", "num_threads", "filepath")
    return [{key: pool.get(key) for key in keys}
            for pool in threadpool_info() if pool.get("user_api") == "blas"]


def pytest_terminal_summary(terminalreporter):
    import peak_rss

    if peak_rss.MEASURED:
        terminalreporter.section("peak RSS (the benchmark table shows these as child-process times)")
        for line in peak_rss.summary_lines(peak_rss.MEASURED):
            terminalreporter.write_line(line)


def pytest_report_header(config):
    pools = blas_runtime()
    if not pools:
        return "BLAS at run time: unknown (threadpoolctl is not installed)"
    return [f"BLAS at run time: {pool['internal_api']} {pool['version']}, "
            f"{pool['architecture']} kernel, {pool['num_threads']} threads ({pool['filepath']})"
            for pool in pools]


def pytest_benchmark_update_machine_info(config, machine_info):
    """Record what the report needs beyond pytest-benchmark's own machine info."""
    info = _info.collect()
    machine_info["smolml"] = {
        "version": info["version"],
        "engine_loaded": info["engine_loaded"],
        "numpy": info["numpy"],
        "blas": info["blas"],
    }
    machine_info["blas_runtime"] = blas_runtime()
    machine_info["cpu_model"] = cpu_model()
    machine_info["cpu_count"] = os.cpu_count()
    machine_info["load_average"] = {
        "start": LOAD_AT_START,
        "end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    machine_info["peers"] = {}
    for name in PEERS:
        try:
            machine_info["peers"][name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass                            # not installed: its benchmarks were skipped
    if "torch" in machine_info["peers"]:
        import torch

        machine_info["peers"]["torch_threads"] = torch.get_num_threads()
