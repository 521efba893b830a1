"""Gradient mode: `with smolml.no_grad(): ...` builds no graph.

Grad mode is per thread and per asyncio task (`smolml._grad_mode`): a `no_grad` block
in one thread never stops another thread from recording, and every new thread starts
with recording on, as in PyTorch.
"""
import contextlib
import threading

from smolml import _grad_mode


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator under which operations build no graph.

    Results made inside are leaves that track no gradient: use it for evaluation and
    for parameter updates, which must not chain old parameters into new ones. It acts
    on the thread (or asyncio task) that enters it only.
    """

    def __init__(self):
        # Per thread, a stack, not one slot: a function decorated with one instance
        # re-enters it when it calls itself, and may run in several threads at once.
        self._tokens = {}

    def __enter__(self):
        token = _grad_mode.enabled.set(False)
        self._tokens.setdefault(threading.get_ident(), []).append(token)
        return self

    def __exit__(self, *exc):
        thread = threading.get_ident()
        tokens = self._tokens[thread]
        _grad_mode.enabled.reset(tokens.pop())
        if not tokens:
            del self._tokens[thread]
        return False


def is_grad_enabled():
    """Whether operations record the graph now, in this thread (or task)."""
    return _grad_mode.enabled.get()
