"""Grad mode, per thread: whether operations record the graph, in one context variable
that both backends read.

A context variable is per thread (each new thread starts in an empty context, so with
grad mode on, as in PyTorch) and per asyncio task (a task starts with a copy of the
context it was created in, so a task made inside `no_grad` runs without recording).
No thread's `no_grad` can turn recording off in another thread.
"""
import contextvars

enabled = contextvars.ContextVar("smolml_grad_enabled", default=True)


def set_grad_enabled(flag):
    """Turn graph recording on or off in this thread (or task); returns the previous
    setting."""
    previous = enabled.get()
    enabled.set(bool(flag))
    return previous


def is_grad_enabled():
    """Whether operations record the graph in this thread (or task)."""
    return enabled.get()
