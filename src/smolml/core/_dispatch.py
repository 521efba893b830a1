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
        return isinstance(obj, _backend_classes(cls))

    def __subclasscheck__(cls, sub):
        return issubclass(sub, _backend_classes(cls))

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


_classes = {}       # public class -> (backends loaded, their classes of its name)


def _backend_classes(cls):
    """The loaded backends' classes named like `cls`, as a tuple for isinstance: built
    again only when a backend has been loaded since (a layer checks its inputs every
    step, so the lookup is on the training path)."""
    loaded = _backend.loaded_modules()
    cached = _classes.get(cls)
    if cached is None or cached[0] != loaded:
        cached = (loaded, tuple(getattr(m, cls.__name__) for m in loaded))
        _classes[cls] = cached
    return cached[1]
