"""Gradient mode: `with smolml.no_grad(): ...` builds no graph."""
import contextlib
import threading

from smolml import _backend


class _RequestedMode(threading.local):
    """The grad mode no_grad asked for in this thread (a new thread starts with recording
    on, as in PyTorch). Loaded backends follow it, and a backend first loaded later
    starts in it in the loading thread (the load hook below), so a no_grad block that is
    the first to use a backend still builds no graph."""
    enabled = True


_requested = _RequestedMode()


def _apply_grad_mode(module):
    module.set_grad_enabled(_requested.enabled)


_backend._load_hooks.append(_apply_grad_mode)
_every_backend_loaded = False


def _load_every_backend():
    """Load both backends at the first no_grad block. A backend first loaded by another
    thread starts recording in every thread but the loader, so one first loaded while
    this thread is inside a block would record in it."""
    global _every_backend_loaded
    if not _every_backend_loaded:
        _backend._load("pure")
        _backend.engine_available()
        _every_backend_loaded = True


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator under which operations build no graph.

    Results made inside are leaves that track no gradient: use it for evaluation and
    for parameter updates, which must not chain old parameters into new ones. The mode
    is per thread: a block in one thread leaves the others recording.
    """

    def __init__(self):
        # A stack, not one slot: a function decorated with one instance re-enters it
        # when it calls itself. One stack per thread: threads may share the instance.
        self._stacks = threading.local()

    def _saved(self):
        stack = getattr(self._stacks, "saved", None)
        if stack is None:
            stack = self._stacks.saved = []
        return stack

    def __enter__(self):
        _load_every_backend()
        flags = [(m, m.set_grad_enabled(False)) for m in _backend.loaded_modules()]
        self._saved().append((_requested.enabled, flags))
        _requested.enabled = False
        return self

    def __exit__(self, *exc):
        mode, flags = self._saved().pop()
        _requested.enabled = mode
        for module, previous in reversed(flags):
            module.set_grad_enabled(previous)
        for module in _backend.loaded_modules():
            if all(module is not m for m, _ in flags):   # first loaded inside the block
                module.set_grad_enabled(mode)
        return False


def is_grad_enabled():
    """Whether operations of the active backend record the graph now, in this thread."""
    return _backend.active_module().is_grad_enabled()
