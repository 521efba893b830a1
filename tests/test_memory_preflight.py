"""Memory preflight: arrays, layers, nested data, op results and feature expansions that
would not fit in the machine's free memory (or the limit of smolml.set_memory_limit or
SMOLML_MEMORY_LIMIT) raise MemoryError naming the shape and bytes, before allocating.
The "before allocating" part is measured as peak RSS in a fresh process."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import smolml
from smolml import MLArray, _memory
from smolml.models.nn import DenseLayer

MB = 1024 ** 2


@pytest.fixture
def limit_100mb():
    previous = smolml.set_memory_limit(100 * MB)
    yield 100 * MB
    smolml.set_memory_limit(previous)


def element_bytes(backend):
    return _memory.PURE_ELEMENT_BYTES if backend == "pure" else 8


def test_an_array_over_the_limit_names_its_shape_and_bytes(backend, limit_100mb):
    needed = 5000 * 4000 * element_bytes(backend)          # > 100 MB on both backends
    for make in (smolml.zeros, smolml.ones, smolml.randn):
        with pytest.raises(MemoryError) as error:
            make(5000, 4000)
        message = str(error.value)
        assert "(5000, 4000)" in message and f"{needed:,} bytes" in message
        assert f"{100 * MB:,} bytes" in message and "set_memory_limit" in message


def test_arrays_within_the_limit_are_made(backend, limit_100mb):
    rows = 100 * MB // element_bytes(backend) // 1000 - 1
    assert smolml.zeros(rows, 1000).shape == (rows, 1000)


def test_an_op_result_over_the_limit(backend, limit_100mb):
    n = 4000                                                # n * n results > 100 MB
    column, row = smolml.zeros(n, 1), smolml.zeros(1, n)
    with pytest.raises(MemoryError, match=r"\(4000, 4000\)"):
        column + row
    with pytest.raises(MemoryError, match=r"\(4000, 4000\)"):
        column @ row


def test_nested_data_and_ndarrays_of_huge_declared_size(backend, limit_100mb):
    with pytest.raises(MemoryError, match=r"nested data of shape \(100000, 100000\)"):
        MLArray([[0.0] * 100000] * 100000)      # one row repeated: 800 kB of lists
    with pytest.raises(MemoryError, match=r"shape \(100000, 100000\)"):
        MLArray(np.broadcast_to(np.float64(1.0), (100000, 100000)))   # a 0-byte view
    with pytest.raises(MemoryError, match=r"shape \(3, 100000, 100000\)"):
        MLArray([np.broadcast_to(np.float64(1.0), (100000, 100000))] * 3)


def test_a_layer_and_a_feature_expansion_over_the_limit(backend, limit_100mb):
    with pytest.raises(MemoryError, match=r"weights of shape \(4000, 4000\)"):
        DenseLayer(4000, 4000)
    model = smolml.PolynomialRegression(40, 2)              # 860 features
    assert model.input_size == 40 + 40 * 41 // 2            # closed form, counted by hand
    with pytest.raises(MemoryError, match=r"design matrix of shape \(20000, 860\)"):
        model.transform_features(np.zeros((20000, 40)))


def test_a_refused_reinit_leaves_the_array_as_it_was(backend, limit_100mb):
    # a live array is never re-initialized (RuntimeError), and nothing is allocated first
    a = MLArray([1.0, 2.0])
    with pytest.raises(RuntimeError, match="re-initialize"):
        a.__init__(np.broadcast_to(np.float64(1.0), (100000, 100000)))
    assert a.shape == (2,)
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad().numpy(), [2.0, 4.0])


def test_set_memory_limit_checks_its_argument():
    previous = smolml.set_memory_limit("1.5G")
    try:
        assert _memory.memory_limit()[0] == int(1.5 * 1024 ** 3)
        for bad in (0, -5):
            with pytest.raises(ValueError, match="> 0"):
                smolml.set_memory_limit(bad)
        for bad in (1.5e9, True, [1]):
            with pytest.raises(TypeError, match="memory limit"):
                smolml.set_memory_limit(bad)
        with pytest.raises(ValueError, match="4G"):
            smolml.set_memory_limit("lots")
    finally:
        smolml.set_memory_limit(previous)


def test_the_environment_variable_sets_the_default(monkeypatch):
    previous = smolml.set_memory_limit(None)
    try:
        monkeypatch.setenv("SMOLML_MEMORY_LIMIT", "64M")
        assert _memory.memory_limit() == (64 * MB, "SMOLML_MEMORY_LIMIT")
        with pytest.raises(MemoryError, match="SMOLML_MEMORY_LIMIT"):
            smolml.zeros(3000, 3000)
        monkeypatch.setenv("SMOLML_MEMORY_LIMIT", "12 parsecs")
        with pytest.raises(ValueError, match="SMOLML_MEMORY_LIMIT"):
            smolml.zeros(3000, 3000)
    finally:
        smolml.set_memory_limit(previous)


def test_the_machine_limit_is_memavailable():
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    expected = int(fields["MemAvailable"].split()[0]) * 1024
    assert abs(_memory.available_memory() - expected) < 512 * MB   # read moments apart


PEAK = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    import smolml
    from smolml.models.nn import DenseLayer
    smolml.set_backend(sys.argv[1])
    cases = {
        "layer": lambda: DenseLayer(40000, 40000),
        "randn": lambda: smolml.randn(30000, 30000),
        "nested": lambda: smolml.MLArray([[0.5] * 30000] * 30000),
        "ndarray": lambda: smolml.MLArray(np.broadcast_to(np.float64(2.0), (30000, 30000))),
        "outer": lambda: smolml.zeros(30000, 1) * smolml.zeros(1, 30000),
    }
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {}
    for name, make in cases.items():
        try:
            make()
            out[name] = "made"
        except MemoryError as error:
            out[name] = str(error)
    out["growth_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps(out))
""")


@pytest.mark.parametrize("name", [n for n in smolml.BACKENDS
                                  if n == "pure" or smolml._backend.engine_available()])
def test_refused_at_once_without_allocating(name):
    # Under a 1 GB limit each case needs 7-250 GB; none may raise the peak RSS by more
    # than a few MB (a row of the repeated nested list is 240 kB).
    env = dict(os.environ, SMOLML_MEMORY_LIMIT="1G")
    run = subprocess.run([sys.executable, "-c", PEAK, name], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    for case in ("layer", "randn", "nested", "ndarray", "outer"):
        assert "30000" in out[case] or "40000" in out[case], (case, out[case])
        assert "SMOLML_MEMORY_LIMIT" in out[case]
    assert out["growth_kb"] < 16 * 1024, out
