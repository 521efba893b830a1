"""smolml's pure-Python backend: the readable reference implementation.

A `Value` is one scalar graph node; an `MLArray` is nested lists of Values whose
operations build the graph element by element. Standard library only.
"""
from smolml._pure.value import NAME, Value, is_grad_enabled, set_grad_enabled
from smolml._pure.ml_array import MLArray, array_from_state, ones, randn, zeros

__all__ = ["NAME", "Value", "MLArray", "zeros", "ones", "randn",
           "set_grad_enabled", "is_grad_enabled"]
