"""Check that the API reference documents every public name of smolml.

    python scripts/check_api_coverage.py docs/api/_build/html/objects.inv

Public names: `smolml.__all__`, the `__all__` of the public subpackages, the public
functions and classes defined in each `smolml.utils` module, and the public methods of
`Value` and `MLArray` (those of the pure backend, whose API the engine shares). Exits 1
naming each one missing from the Sphinx inventory.
"""
import importlib
import inspect
import sys

from sphinx.util.inventory import InventoryFile

import smolml
from smolml._pure import ml_array as pure_ml_array, value as pure_value

PACKAGES = ["smolml.models.nn", "smolml.models.regression", "smolml.models.tree",
            "smolml.models.unsupervised", "smolml.preprocessing", "smolml.datasets"]
UTILS = ["activation", "initializers", "losses", "optimizers", "schedulers", "clipping",
         "metrics", "memory"]


def public_names():
    names = {f"smolml.{name}" for name in smolml.__all__ if name != "__version__"}
    for package in PACKAGES:
        names |= {f"{package}.{name}" for name in importlib.import_module(package).__all__}
    for short in UTILS:
        module = importlib.import_module(f"smolml.utils.{short}")
        names |= {f"{module.__name__}.{name}" for name, obj in vars(module).items()
                  if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
                  and (inspect.isfunction(obj) or inspect.isclass(obj))}
    for public, pure in (("smolml.MLArray", pure_ml_array.MLArray),
                         ("smolml.Value", pure_value.Value)):
        names |= {f"{public}.{name}" for name in vars(pure) if not name.startswith("_")}
    return names


def documented(path):
    with open(path, "rb") as file:
        inventory = InventoryFile.load(file, "", lambda base, uri: uri)
    return {name for entries in inventory.values() for name in entries}


def resolve(dotted):
    """The object a dotted name stands for, or None."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for part in parts[split:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def main(argv):
    names = documented(argv[1])
    # A re-export (smolml.DenseLayer) counts as documented where its object is
    # (smolml.models.nn.DenseLayer).
    objects = {id(obj) for obj in map(resolve, names) if obj is not None}
    missing = sorted(name for name in public_names() - names
                     if not (inspect.isclass(resolve(name)) or inspect.isfunction(resolve(name)))
                     or id(resolve(name)) not in objects)
    if missing:
        print("the API reference (docs/api) does not document:\n  " + "\n  ".join(missing),
              file=sys.stderr)
        return 1
    print(f"the API reference documents all {len(public_names())} public names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
