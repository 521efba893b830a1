"""Drawing initial weights: `DenseLayer(n, n)`, `smolml.randn` and `XavierNormal` at sizes
where a Python list of every number used to dominate (about 3.9 s for 4000 x 4000),
next to NumPy drawing the same count (`numpy`). Run with
`pytest benchmarks/test_initializers.py --benchmark-only --benchmark-group-by=group`.
"""
import numpy as np

import smolml
from smolml.models.nn import DenseLayer
from smolml.utils import initializers
from harness import implementations, run


@implementations("engine", "pure", "numpy")
def test_dense_layer_1000(benchmark, impl):
    benchmark.group = "initializer DenseLayer(1000, 1000)"
    _dense_layer(benchmark, impl, 1000)


@implementations("engine", "pure", "numpy", too_slow=("pure",))
def test_dense_layer_4000(benchmark, impl):
    benchmark.group = "initializer DenseLayer(4000, 4000)"
    _dense_layer(benchmark, impl, 4000)


@implementations("engine", "pure", "numpy", too_slow=("pure",))
def test_randn_and_xavier_normal(benchmark, impl):
    benchmark.group = "initializer randn(2000, 2000) + XavierNormal(2000, 2000)"
    if impl == "numpy":
        generator = np.random.default_rng(0)
        run(benchmark, lambda: (generator.normal(0.0, 1.0, (2000, 2000)),
                                generator.normal(0.0, 0.0223, (2000, 2000))), rounds=3)
    else:
        run(benchmark, lambda: (smolml.randn(2000, 2000),
                                initializers.XavierNormal.initialize(2000, 2000)), rounds=3)


def _dense_layer(benchmark, impl, n):
    if impl == "numpy":
        generator = np.random.default_rng(0)
        limit = (6.0 / (2 * n)) ** 0.5
        run(benchmark, lambda: generator.uniform(-limit, limit, (n, n)), rounds=3)
    else:
        layer = run(benchmark, lambda: DenseLayer(n, n), rounds=3 if impl == "engine" else 1)
        assert layer.weights.shape == (n, n)
