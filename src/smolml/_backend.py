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

BACKENDS = ("engine", "pure")
BACKEND_API = ("Value", "MLArray", "zeros", "ones", "randn",
               "set_grad_enabled", "is_grad_enabled")
BUILD_HINT = ('build it with `pip install -e .` (or `python setup.py build_ext --inplace`) '
              'from the source tree, or install a prebuilt wheel with `pip install smolml`')

_modules = {}
_engine_error = None
_load_hooks = []    # hook(module), run as a backend is first loaded (smolml._grad's grad mode)


def _load(name):
    if name not in _modules:
        module = importlib.import_module(f"smolml._{name}")
        for hook in _load_hooks:
            hook(module)
        _modules[name] = module
    return _modules[name]


def _check_name(name):
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return name


def engine_available():
    return _try_engine() is not None


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
                f"({_engine_error}); {BUILD_HINT}")
        _load(requested)
        return requested
    if _try_engine() is not None:
        return "engine"
    warnings.warn(
        f"smolml's compiled engine is not built ({_engine_error}); using the pure-Python "
        f"backend, which is much slower. To get the engine, {BUILD_HINT}.",
        RuntimeWarning, stacklevel=3)
    _load("pure")
    return "pure"


_default = _initial_backend()
"""The process default: what a context that never chose a backend sees, as a thread
started later does (it starts with an empty context)."""
_active = contextvars.ContextVar("smolml_backend")


def get_backend():
    """Name of the active backend: 'engine' or 'pure'."""
    return _active.get(_default)


def set_backend(name):
    """Switch the active backend for the rest of the program: the process default, seen
    by threads started later, and this context's choice (inside a use_backend block, up
    to its end)."""
    global _default
    _check_name(name)
    if name == "engine" and _try_engine() is None:
        raise ImportError(f"the compiled engine is not built ({_engine_error}); {BUILD_HINT}")
    _load(name)
    _default = name
    _active.set(name)


@contextlib.contextmanager
def use_backend(name):
    """Run a block with another backend: `with smolml.use_backend("pure"): ...`."""
    _check_name(name)
    if name == "engine" and _try_engine() is None:
        raise ImportError(f"the compiled engine is not built ({_engine_error}); {BUILD_HINT}")
    _load(name)
    token = _active.set(name)
    try:
        yield name
    finally:
        _active.reset(token)


def active_module():
    return _modules[_active.get(_default)]


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
