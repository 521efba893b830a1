"""Gradient mode: `with smolml.no_grad(): ...` builds no graph."""
import contextlib

from smolml import _backend


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator under which operations build no graph.

    Results made inside are leaves that track no gradient: use it for evaluation and
    for parameter updates, which must not chain old parameters into new ones.
    """

    def __enter__(self):
        self._previous = [(m, m.set_grad_enabled(False)) for m in _backend.loaded_modules()]
        return self

    def __exit__(self, *exc):
        for module, previous in reversed(self._previous):
            module.set_grad_enabled(previous)
        return False


def is_grad_enabled():
    """Whether operations of the active backend record the graph now."""
    return _backend.active_module().is_grad_enabled()
