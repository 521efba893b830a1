"""Which backend builds new objects: `engine` (Cython, the default when built) or `pure`.

Each backend is a package exposing the same names (see BACKEND_API). The public
classes in smolml.core dispatch to the active one; objects remember their own backend,
so an expression never silently mixes the two.
"""
import contextlib
import contextvars
import importlib
import os
import warnings
from pathlib import Path

BACKENDS = ("engine", "pure")
BACKEND_API = ("Value", "MLArray", "zeros", "ones", "randn",
               "set_grad_enabled", "is_grad_enabled")
BUILD_HINT = ('install a C compiler and the Python headers, then run `pip install .` (or '
              '`pip install -e .`, or `python setup.py build_ext --inplace`) again in the '
              'source tree')
# setup.py writes this file beside the engine's sources when the install skipped the engine.
ENGINE_SKIPPED_MARKER = Path(__file__).parent / "_engine" / "ENGINE_SKIPPED"

_modules = {}
_engine_error = None


def _load(name):
    if name not in _modules:
        _modules[name] = importlib.import_module(f"smolml._{name}")
    return _modules[name]


def _check_name(name):
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return name


def engine_available():
    return _try_engine() is not None


def engine_skipped_reason():
    """Why the install skipped the engine (setup.py's marker file), or None if it did not."""
    try:
        return ENGINE_SKIPPED_MARKER.read_text(encoding="utf-8").strip() or "no reason recorded"
    except OSError:
        return None


def engine_missing():
    """Why the compiled engine is not loaded, for messages: the install's reason if it
    skipped the engine, else the ImportError."""
    reason = engine_skipped_reason()
    if reason is not None:
        return f"the install skipped it: {reason}"
    return f"{type(_engine_error).__name__}: {_engine_error}"


def _try_engine():
    global _engine_error
    if "engine" in _modules:
        return _modules["engine"]
    try:
        return _load("engine")
    except ImportError as error:
        _engine_error = error
        return None


def _initial_backend():
    requested = os.environ.get("SMOLML_BACKEND", "").strip().lower()
    if requested:
        _check_name(requested)
        if requested == "engine" and _try_engine() is None:
            raise ImportError(
                f"SMOLML_BACKEND=engine but the compiled engine is not built "
                f"({engine_missing()}); {BUILD_HINT}")
        _load(requested)
        return requested
    if _try_engine() is not None:
        return "engine"
    warnings.warn(
        f"smolml's compiled engine is not built ({engine_missing()}); using the pure-Python "
        f"backend, which is much slower. To get the engine, {BUILD_HINT}.",
        RuntimeWarning, stacklevel=3)
    _load("pure")
    return "pure"


_default = _initial_backend()
"""The process-wide backend: what set_backend chose, seen by every thread that has no
use_backend block of its own."""
_active = contextvars.ContextVar("smolml_backend", default=None)
"""A use_backend block's choice, for its own thread (or asyncio task) only."""


def get_backend():
    """Name of the active backend: 'engine' or 'pure'."""
    return _active.get() or _default


def set_backend(name):
    """Switch the backend for the rest of the program: every thread, those started
    later included, uses it (except inside a `use_backend` block of its own)."""
    global _default
    _check_name(name)
    if name == "engine" and _try_engine() is None:
        raise ImportError(f"the compiled engine is not built ({engine_missing()}); {BUILD_HINT}")
    _load(name)
    _default = name
    if _active.get() is not None:
        _active.set(None)           # inside a use_backend block: it takes effect at once


@contextlib.contextmanager
def use_backend(name):
    """Run a block with another backend: `with smolml.use_backend("pure"): ...`."""
    _check_name(name)
    if name == "engine" and _try_engine() is None:
        raise ImportError(f"the compiled engine is not built ({engine_missing()}); {BUILD_HINT}")
    _load(name)
    token = _active.set(name)
    try:
        yield name
    finally:
        _active.reset(token)


def active_module():
    return _modules[_active.get() or _default]


def loaded_modules():
    return tuple(_modules.values())


def backend_of(obj):
    """'engine' or 'pure' for smolml objects, None for anything else."""
    return getattr(type(obj), "_smolml_backend", None)


MIX_MESSAGE = "cannot mix objects of the 'engine' and 'pure' backends in one expression"


def reject_other_backend(obj, name):
    """TypeError (MIX_MESSAGE) if obj is a smolml object of a backend other than `name`."""
    backend = backend_of(obj)
    if backend is not None and backend != name:
        raise TypeError(MIX_MESSAGE)


def check_children(children, value_class, name):
    """The `_children` of Value(data, _children, _op) must be Values of backend `name`."""
    for child in children:
        if not isinstance(child, value_class):
            reject_other_backend(child, name)
            from smolml._shapes import describe
            raise TypeError(f"Value's _children must be Values; got {describe(child)}")
