"""Gradient mode: `with smolml.no_grad(): ...` builds no graph.

Grad mode is per thread (`smolml._grad_mode`), as in PyTorch: a `no_grad` block in one
thread never stops another thread from recording, and every new thread starts with
recording on.
"""
import contextlib
import threading

from smolml import _grad_mode


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator under which operations build no graph.

    Results made inside are leaves that track no gradient: use it for evaluation and
    for parameter updates, which must not chain old parameters into new ones. It acts
    on the thread that enters it only.
    """

    def __init__(self):
        # Per thread, a stack, not one slot: a function decorated with one instance
        # re-enters it when it calls itself, and may run in several threads at once.
        self._saved = {}

    def __enter__(self):
        previous = _grad_mode.set_grad_enabled(False)
        self._saved.setdefault(threading.get_ident(), []).append(previous)
        return self

    def __exit__(self, *exc):
        thread = threading.get_ident()
        saved = self._saved[thread]
        _grad_mode.set_grad_enabled(saved.pop())
        if not saved:
            del self._saved[thread]
        return False


is_grad_enabled = _grad_mode.is_grad_enabled
