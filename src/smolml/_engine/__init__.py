"""The engine backend: smolml's autograd graph compiled with Cython (graph.pyx)."""
from smolml._engine.graph import (
    NAME, Value, MLArray, zeros, ones, randn, set_grad_enabled, is_grad_enabled,
    release_buffer_pool, array_from_state)

__all__ = ["NAME", "Value", "MLArray", "zeros", "ones", "randn",
           "set_grad_enabled", "is_grad_enabled"]
