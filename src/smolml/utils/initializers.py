"""Weight initializers: how a layer's weights start, before any training.

Each initializer draws every element independently from a distribution whose scale
depends on the layer's size: fan_in = dims[0] (inputs per unit) and fan_out = dims[-1]
(units); a 1-D shape uses fan_out = fan_in. All of a shape's numbers come from one
NumPy draw (`smolml._random.uniform` / `normal`) seeded from `smolml._random.rng`, in
row-major order, so `smolml.manual_seed(n)`, or `random.seed(n)` before any
manual_seed, gives the same weights on both backends.

`initialize(*dims, dtype=None)` takes the shape as separate ints or as one tuple:
`XavierUniform.initialize(64, 128)` == `XavierUniform.initialize((64, 128))`. The draws
are float64; a float32 result (dtype, or the default dtype) rounds them.
"""
import math

from smolml import _dtype, _memory, _random, _shapes
from smolml.core.ml_array import MLArray


class WeightInitializer:
    """Base class: a strategy with a static `initialize(*dims) -> MLArray`."""

    @staticmethod
    def initialize(*dims, dtype=None):
        raise NotImplementedError("subclasses of WeightInitializer implement initialize(*dims)")

    @staticmethod
    def _process_dims(dims):
        """(3, 4) or ((3, 4),) -> (3, 4); dims must be ints >= 1."""
        dims = _shapes.check_shape(dims, "weight")
        if not dims or min(dims) < 1:
            raise ValueError(f"weight dimensions must be >= 1; got {dims}")
        return dims

    @staticmethod
    def _fans(dims):
        fan_in = dims[0]
        fan_out = dims[-1] if len(dims) > 1 else fan_in
        return fan_in, fan_out

    @staticmethod
    def _create_array(sample, dims, dtype=None):
        """An MLArray of shape `dims` and `dtype` (None: the default) of the float64
        NumPy array sample(count) returns, row-major. A leaf of the active backend."""
        _memory.check_array(dims, 8 + _memory.element_bytes(), "weights")
        return MLArray(sample(math.prod(dims)).reshape(dims), dtype=_dtype.dtype(dtype))


class RandomUniform(WeightInitializer):
    """w ~ U(−limit, limit), limit = 1.0 unless given."""

    @staticmethod
    def initialize(*dims, limit=1.0, dtype=None):
        dims = WeightInitializer._process_dims(dims)
        return WeightInitializer._create_array(
            lambda count: _random.uniform(-limit, limit, count), dims, dtype)


class XavierUniform(WeightInitializer):
    """Glorot uniform: w ~ U(−l, l), l = √(6 / (fan_in + fan_out)).

    Keeps the variance of activations and of gradients about equal across layers;
    suits tanh and sigmoid layers. The default of `DenseLayer`.
    """

    @staticmethod
    def initialize(*dims, dtype=None):
        dims = WeightInitializer._process_dims(dims)
        fan_in, fan_out = WeightInitializer._fans(dims)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return WeightInitializer._create_array(
            lambda count: _random.uniform(-limit, limit, count), dims, dtype)


class XavierNormal(WeightInitializer):
    """Glorot normal: w ~ N(0, σ²), σ = √(2 / (fan_in + fan_out))."""

    @staticmethod
    def initialize(*dims, dtype=None):
        dims = WeightInitializer._process_dims(dims)
        fan_in, fan_out = WeightInitializer._fans(dims)
        std = math.sqrt(2.0 / (fan_in + fan_out))
        return WeightInitializer._create_array(
            lambda count: _random.normal(0.0, std, count), dims, dtype)


class HeInitialization(WeightInitializer):
    """He (Kaiming) normal: w ~ N(0, σ²), σ = √(2 / fan_in).

    ReLU zeroes about half of its inputs; the factor 2 makes up for that, so ReLU
    networks keep their activation variance from layer to layer.
    """

    @staticmethod
    def initialize(*dims, dtype=None):
        dims = WeightInitializer._process_dims(dims)
        fan_in, _ = WeightInitializer._fans(dims)
        std = math.sqrt(2.0 / fan_in)
        return WeightInitializer._create_array(
            lambda count: _random.normal(0.0, std, count), dims, dtype)
