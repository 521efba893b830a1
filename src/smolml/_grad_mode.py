"""Grad mode, per thread, as PyTorch's: whether operations record the graph.

Each thread has its own mode and every new thread starts with recording on, so a
`no_grad` block in one thread never stops another thread from recording. (asyncio tasks
that run on one thread share its mode, as in PyTorch.) The pure backend reads the mode
here; the engine keeps a C thread-local copy that `set_grad_enabled` updates with it.
"""
import threading


class _Mode(threading.local):
    enabled = True          # a new thread starts here: recording on


_mode = _Mode()
_engine_flag = []           # the engine's setter of its thread-local copy, once loaded


def attach_engine(set_flag):
    """Called once by the engine as it loads: from now on it follows set_grad_enabled.
    The loading thread's copy starts from that thread's mode."""
    _engine_flag.append(set_flag)
    set_flag(_mode.enabled)


def set_grad_enabled(flag):
    """Turn graph recording on or off in this thread; returns the previous setting."""
    previous = _mode.enabled
    flag = bool(flag)
    _mode.enabled = flag
    for set_flag in _engine_flag:
        set_flag(flag)
    return previous


def is_grad_enabled():
    """Whether operations record the graph in this thread."""
    return _mode.enabled
