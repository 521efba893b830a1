"""`Value`: a scalar that remembers how it was computed, so gradients can flow back."""
from smolml.core._dispatch import BackendClass


class Value(metaclass=BackendClass):
    """A scalar node of the autograd graph, of the active backend.

    `Value(2.0)` builds a leaf; `+ - * / **`, `exp log sqrt abs relu tanh sigmoid`
    build new nodes; `y.backward()` fills `.grad` of every node y depends on with
    dy/dnode. `.data` and `.grad` are floats; `_prev` is the ordered tuple of parents,
    `_op` the name of the operation that made the node.
    """
