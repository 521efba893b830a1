"""Gradient mode: `with smolml.no_grad(): ...` builds no graph."""
import contextlib

from smolml import _backend

_grad_enabled = True
"""The grad mode asked for by no_grad. Loaded backends follow it, and a backend first
loaded later starts in it (the load hook below), so a no_grad block that is the first
to use a backend still builds no graph."""


def _apply_grad_mode(module):
    module.set_grad_enabled(_grad_enabled)


_backend._load_hooks.append(_apply_grad_mode)


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator under which operations build no graph.

    Results made inside are leaves that track no gradient: use it for evaluation and
    for parameter updates, which must not chain old parameters into new ones.
    """

    def __init__(self):
        # A stack, not one slot: a function decorated with one instance re-enters it
        # when it calls itself.
        self._saved = []

    def __enter__(self):
        global _grad_enabled
        flags = [(m, m.set_grad_enabled(False)) for m in _backend.loaded_modules()]
        self._saved.append((_grad_enabled, flags))
        _grad_enabled = False
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        mode, flags = self._saved.pop()
        _grad_enabled = mode
        for module, previous in reversed(flags):
            module.set_grad_enabled(previous)
        for module in _backend.loaded_modules():
            if all(module is not m for m, _ in flags):   # first loaded inside the block
                module.set_grad_enabled(mode)
        return False


def is_grad_enabled():
    """Whether operations of the active backend record the graph now."""
    return _backend.active_module().is_grad_enabled()
