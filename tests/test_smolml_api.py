"""docs/smolml_api.md stays true: every smolml name in its table imports, and accepts
SmolML's parameters (each by name where SmolML gives it a default, and positionally in
SmolML's order). MLArray methods are checked on both backends' classes."""
import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

import smolml
from conftest import AVAILABLE_BACKENDS

TABLE = Path(__file__).resolve().parent.parent / "docs" / "smolml_api.md"
ROW = re.compile(r"^\| `(?P<smolml>[^`]+)` \| `(?P<ours>[^`]+)` \| (?P<status>same|differs) \|")


def rows():
    found = [ROW.match(line) for line in TABLE.read_text(encoding="utf-8").splitlines()]
    return [(m["smolml"], m["ours"], m["status"]) for m in found if m]


def smolml_parameters(call):
    """('x', 'y', ...) and the names with defaults, from a call text `Name(x, y=1)`."""
    tree = ast.parse("def f(" + call[call.index("(") + 1:call.rindex(")")] + "): pass")
    arguments = tree.body[0].args
    names = [a.arg for a in arguments.args]
    defaulted = names[len(names) - len(arguments.defaults):] if arguments.defaults else []
    return names, set(defaulted), arguments.vararg is not None


def resolve(path):
    """The objects `path` names: for smolml.MLArray.*, the attribute on each backend's class."""
    if path.startswith("smolml.MLArray"):
        attribute = path[len("smolml.MLArray."):]
        objects = []
        for name in AVAILABLE_BACKENDS:
            with smolml.use_backend(name):
                cls = type(smolml.MLArray([1.0]))
            if attribute:
                objects.append(getattr(cls, attribute))
            elif cls([[1.0, 2.0]]).shape == (1, 2):     # MLArray(data); a compiled
                objects.extend(_with_signature(cls.__init__))   # __init__ has no signature
        return objects
    module_path, _, attribute = path.rpartition(".")
    try:
        target = getattr(importlib.import_module(module_path), attribute)
    except ModuleNotFoundError:
        owner_path, _, owner = module_path.rpartition(".")
        target = getattr(getattr(importlib.import_module(owner_path), owner), attribute)
    return [target.__init__ if inspect.isclass(target) else target]


def _with_signature(function):
    try:
        inspect.signature(function)
        return [function]
    except ValueError:
        return []


def test_the_table_lists_names():
    assert len(rows()) > 40
    assert ("MLArray.unflatten(flat_list, shape)", "smolml.MLArray.unflatten", "same") in rows()


@pytest.mark.parametrize("smolml_call, ours, status", rows(), ids=[r[0].split("(")[0] for r in rows()])
def test_smolml_calls_are_accepted(smolml_call, ours, status):
    names, defaulted, takes_varargs = smolml_parameters(smolml_call)
    for target in resolve(ours):
        signature = inspect.signature(target)
        parameters = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
        kinds = {p.kind for p in parameters}
        if takes_varargs:
            assert inspect.Parameter.VAR_POSITIONAL in kinds, f"{ours} takes no *args"
            continue
        positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        for index, name in enumerate(names):
            if inspect.Parameter.VAR_POSITIONAL in kinds and index >= len(positional):
                continue
            assert index < len(positional), f"{ours} takes no positional argument {index} ({name})"
            assert positional[index].name == name, \
                f"{ours}: argument {index} is {positional[index].name!r}, SmolML's is {name!r}"
            if name in defaulted:
                assert positional[index].default is not inspect.Parameter.empty, \
                    f"{ours}: {name} has no default, SmolML's has one"
        required = [p.name for p in positional[len(names):] if p.default is inspect.Parameter.empty]
        assert not required, f"{ours} requires {required}, which SmolML's does not"


def test_unflatten_and_reduce_operation_against_python(backend):
    array = smolml.MLArray([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    assert array.unflatten(list(range(6)), (3, 2)) == [[0, 1], [2, 3], [4, 5]]
    assert array.unflatten([7], ()) == 7 and array.unflatten([1, 2], 2) == [1, 2]
    with pytest.raises(ValueError, match="cannot unflatten 5 items into shape"):
        array.unflatten([1, 2, 3, 4, 5], (3, 2))
    rows_ = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]
    assert float(array.reduce_operation(max)) == max(max(r) for r in rows_)
    assert array.reduce_operation(min, axis=0).to_list() == [min(c) for c in zip(*rows_)]
    assert array.reduce_operation(sum, axis=1).to_list() == [sum(r) for r in rows_]
    assert array.reduce_operation(max, axis=-1).shape == (2,)
    assert float(smolml.MLArray([3.0, 9.0, 4.0]).reduce_operation(max, axis=0)) == 9.0
    array.reduce_operation(max, axis=1).sum().backward()     # d/dx of the row maxima
    assert array.grad().to_list() == [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert array.__T__().to_list() == [list(c) for c in zip(*rows_)]
    with pytest.raises(ValueError, match="out of bounds"):
        array.reduce_operation(max, axis=2)
