"""Public classes that stand for the active backend's class of the same name."""
from smolml import _backend


class BackendClass(type):
    """Metaclass: calling the class builds an object of the active backend;
    isinstance holds for objects of either backend; class attributes
    (classmethods such as MLArray.xavier_uniform) come from the active backend, and
    dir() and help() list the backends' methods."""

    def __call__(cls, *args, **kwargs):
        return getattr(_backend.active_module(), cls.__name__)(*args, **kwargs)

    def __instancecheck__(cls, obj):
        return any(isinstance(obj, getattr(m, cls.__name__)) for m in _backend.loaded_modules())

    def __subclasscheck__(cls, sub):
        return any(issubclass(sub, getattr(m, cls.__name__)) for m in _backend.loaded_modules())

    def __dir__(cls):
        # The backends' methods too, so that dir(), help() and editors list them.
        names = set(type.__dir__(cls))
        for module in _backend.loaded_modules():
            names.update(dir(getattr(module, cls.__name__)))
        return sorted(names)

    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(getattr(_backend.active_module(), cls.__name__), name)
