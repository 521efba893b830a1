"""smolml: SmolML's educational machine-learning library, made fast.

The autograd graph runs in a compiled Cython engine (the default) or in a pure-Python
twin of the same API (`SMOLML_BACKEND=pure`, or `with smolml.use_backend("pure"):`).
"""
__version__ = "0.1.0"

from smolml._backend import get_backend, set_backend, use_backend, BACKENDS
from smolml._dtype import float32, float64, set_default_dtype, get_default_dtype
from smolml._grad import no_grad, is_grad_enabled
from smolml._gradcheck import gradcheck
from smolml._graph_drawing import draw_dot
from smolml._memory import set_memory_limit
from smolml._plotting import plot_history
from smolml._random import manual_seed
from smolml._threads import set_num_threads, get_num_threads, num_threads
from smolml.core.value import Value
from smolml.core.ml_array import MLArray, zeros, ones, randn
from smolml.models import (DenseLayer, NeuralNetwork, LinearRegression, PolynomialRegression,
                           DecisionTree, RandomForest, KMeans)
from smolml.preprocessing import StandardScaler, MinMaxScaler
from smolml.utils.memory import (format_size, calculate_value_size, calculate_mlarray_size,
                                 calculate_neural_network_size)

__all__ = [
    "__version__", "BACKENDS", "get_backend", "set_backend", "use_backend",
    "float32", "float64", "set_default_dtype", "get_default_dtype",
    "no_grad", "is_grad_enabled", "manual_seed", "set_num_threads", "get_num_threads",
    "num_threads", "set_memory_limit", "gradcheck", "draw_dot", "plot_history",
    "Value", "MLArray", "zeros", "ones", "randn",
    "DenseLayer", "NeuralNetwork", "LinearRegression", "PolynomialRegression",
    "DecisionTree", "RandomForest", "KMeans", "StandardScaler", "MinMaxScaler",
    "format_size", "calculate_value_size", "calculate_mlarray_size",
    "calculate_neural_network_size",
]
