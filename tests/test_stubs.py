"""The type stubs (src/smolml/**/*.pyi) stay true to the code: every public function,
class, method, property and attribute of a stubbed module is in its stub and the other
way round, with the same parameters (names, kinds, which have defaults). `Value` and
`MLArray` are checked against both backends' classes, the compiled one included.

When a name is added to the API, these tests fail saying which stub needs which line.
"""
import ast
import importlib
import importlib.util
import inspect
import math
import sys
import textwrap
from pathlib import Path

import pytest

import smolml
from smolml import _backend

PACKAGE = Path(smolml.__file__).resolve().parent
STUB_ONLY = {"smolml._types"}                # aliases for the stubs; no module at run time
STUBS = sorted(path for path in PACKAGE.rglob("*.pyi"))
# Dunders of the backends' classes that the stubs need not list (object's, NumPy's hooks).
UNLISTED_DUNDERS = {"__repr__", "__str__", "__hash__", "__array_ufunc__", "__init_subclass__",
                    "__subclasshook__", "__reduce__", "__reduce_ex__", "__getstate__",
                    "__setstate__", "__sizeof__", "__format__", "__dir__", "__new__",
                    "__delattr__", "__setattr__", "__getattribute__", "__class__",
                    "__doc__", "__module__", "__dict__", "__weakref__", "__slots__",
                    "__init__", "__qualname__", "__annotations__", "__firstlineno__",
                    "__static_attributes__", "__pyx_vtable__", "__reduce_cython__",
                    "__setstate_cython__", "__copy__", "__deepcopy__", "__getnewargs__",
                    "__match_args__", "__slotnames__"}   # copyreg caches __slotnames__ at pickling


def module_name(stub):
    return ".".join(stub.relative_to(PACKAGE.parent).with_suffix("").parts)


STUBBED = [stub for stub in STUBS if module_name(stub) not in STUB_ONLY]


def test_the_package_is_marked_typed_and_has_stubs():
    assert (PACKAGE / "py.typed").is_file()
    names = {module_name(stub) for stub in STUBBED}
    for needed in ("smolml.core.value", "smolml.core.ml_array", "smolml.models.nn.layer",
                   "smolml.models.nn.neural_network", "smolml.utils.losses",
                   "smolml.utils.optimizers", "smolml.models.regression.regression",
                   "smolml.models.tree.decision_tree", "smolml.models.tree.random_forest",
                   "smolml.models.unsupervised.kmeans"):
        assert needed in names, f"no stub for {needed}"


# ------------------------------------------------------------------ reading the stubs

def decorators(node):
    return {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list}


def stub_parameters(node):
    """[(name, kind, has default)] of a stub function, `self`/`cls` left out."""
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = [False] * (len(positional) - len(args.defaults)) + [True] * len(args.defaults)
    params = [(a.arg, "positional", d) for a, d in zip(positional, defaults)]
    if args.vararg:
        params.append((args.vararg.arg, "*", False))
    params += [(a.arg, "keyword", d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        params.append((args.kwarg.arg, "**", False))
    if "staticmethod" not in decorators(node) and params and params[0][0] in ("self", "cls"):
        params = params[1:]
    return params


class StubClass:
    def __init__(self, node):
        self.name = node.name
        self.bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
        self.methods, self.attributes = {}, set()
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                if "property" in decorators(item):
                    self.attributes.add(item.name)
                else:
                    self.methods[item.name] = item
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                self.attributes.add(item.target.id)


def read_stub(text):
    """(functions, classes, constants) defined at the top level of a stub's text."""
    tree = ast.parse(text)
    functions, classes, constants = {}, {}, set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = StubClass(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            constants.add(node.target.id)
    return functions, classes, constants


def stub_members(stub_class, classes):
    """Methods and attributes of a stub class with those of its stub bases."""
    methods, attributes = {}, set()
    for base in stub_class.bases:
        if base in classes:
            base_methods, base_attributes = stub_members(classes[base], classes)
            methods.update(base_methods)
            attributes |= base_attributes
    methods.update(stub_class.methods)
    return methods, attributes | stub_class.attributes


# ------------------------------------------------------------------ reading the code

def runtime_parameters(function, drop_first):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None                             # a C slot without a signature
    kinds = {inspect.Parameter.POSITIONAL_ONLY: "positional",
             inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
             inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.KEYWORD_ONLY: "keyword",
             inspect.Parameter.VAR_KEYWORD: "**"}
    params = [(p.name, kinds[p.kind], p.default is not inspect.Parameter.empty)
              for p in signature.parameters.values()]
    return params[1:] if drop_first and params else params


def self_attributes(cls):
    """Names assigned as `self.NAME = ...` in the Python source of cls and its bases."""
    names = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        for node in ast.walk(ast.parse(source)):
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign))
                       else [])
            for target in targets:
                for leaf in ast.walk(target):
                    if (isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name)
                            and leaf.value.id == "self"):
                        names.add(leaf.attr)
    return names


def runtime_classes(module, name):
    """The classes a stub class stands for: both backends' for Value and MLArray."""
    obj = getattr(module, name)
    if isinstance(obj, smolml.core._dispatch.BackendClass):
        return [getattr(_backend._load(b), name) for b in smolml.BACKENDS
                if b != "engine" or _backend.engine_available()]
    return [obj]


def sample_instances(cls):
    """Instances to find instance attributes on (the backends' Value and MLArray only)."""
    if cls.__name__ in ("Value", "MLArray") and hasattr(cls, "_smolml_backend"):
        with smolml.use_backend(cls._smolml_backend):
            return [cls(1.0) if cls.__name__ == "Value" else cls([1.0])]
    return []


def public_members(cls):
    """{name: raw attribute or None for instance attributes} of a runtime class."""
    members = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ == "builtins":        # object's, tuple's (a NamedTuple's base)
            continue
        # Operators count where the pure backend, the reference of the API, defines them.
        python_source = not (klass.__module__ or "").startswith("smolml._engine")
        for name, value in vars(klass).items():
            dunder = name.startswith("__") and name.endswith("__")
            if (not name.startswith("_")
                    or (dunder and python_source and name not in UNLISTED_DUNDERS)):
                members[name] = value
    for name in self_attributes(cls):
        if not name.startswith("_"):
            members.setdefault(name, None)
    for instance in sample_instances(cls):
        for name in dir(instance):
            if not name.startswith("_"):
                members.setdefault(name, None)
    return members


def describe(name, raw):
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    try:
        return f"{name}{inspect.signature(raw)}"
    except (TypeError, ValueError):
        return name


# ------------------------------------------------------------------ the checks

def check_function(where, stub_node, function, drop_first, problems):
    expected = runtime_parameters(function, drop_first)
    if expected is None or expected == [("args", "*", False), ("kwargs", "**", False)]:
        return                                  # no signature to compare (a C __init__)
    found = stub_parameters(stub_node)
    if stub_node.name.startswith("__"):
        # Operators are called positionally: compare the required operands only.
        found = [kind for _, kind, default in found if not default]
        expected = [kind for _, kind, default in expected if not default]
    if found != expected:
        problems.append(f"{where}: the stub has parameters {found}, the code {expected}")


def check_class(path, stub_class, classes, cls, problems):
    stub_path = path.relative_to(PACKAGE.parent.parent) if PACKAGE.parent.name == "src" else path
    methods, attributes = stub_members(stub_class, classes)
    runtime = public_members(cls)
    where = f"{cls.__module__}.{cls.__qualname__}"
    for name, raw in sorted(runtime.items()):
        if name not in methods and name not in attributes:
            problems.append(f"add to {stub_path}, class {stub_class.name}: {describe(name, raw)}"
                            f" (from {where})")
    for name, node in methods.items():
        raw = inspect.getattr_static(cls, name, None)
        if raw is None:
            if name not in dir(cls):
                problems.append(f"{stub_path}: {stub_class.name}.{name} is not in {where}")
            continue
        if isinstance(raw, (staticmethod, classmethod)):
            check_function(f"{stub_path}: {stub_class.name}.{name}", node, getattr(cls, name),
                           drop_first=False, problems=problems)
        elif callable(raw):
            check_function(f"{stub_path}: {stub_class.name}.{name}", node, raw,
                           drop_first=True, problems=problems)
    if "__init__" in methods and "__init__" in vars(cls):
        check_function(f"{stub_path}: {stub_class.name}.__init__", methods["__init__"],
                       vars(cls)["__init__"], drop_first=True, problems=problems)
    for name in attributes:
        if name not in runtime and not hasattr(cls, name) and name not in self_attributes(cls):
            problems.append(f"{stub_path}: {stub_class.name}.{name} is not an attribute of {where}")


@pytest.mark.parametrize("path", STUBBED, ids=module_name)
def test_stub_matches_the_code(path):
    module = importlib.import_module(module_name(path))
    functions, classes, constants = read_stub(path.read_text(encoding="utf-8"))
    problems = []
    defined = {name: obj for name, obj in vars(module).items() if not name.startswith("_")
               and (inspect.isfunction(obj) or inspect.isclass(obj))
               and getattr(obj, "__module__", None) == module.__name__}
    for name, obj in sorted(defined.items()):
        if name not in functions and name not in classes:
            problems.append(f"add to {path.name}: {'class ' if inspect.isclass(obj) else 'def '}"
                            f"{describe(name, obj)}")
    for name, node in functions.items():
        if not hasattr(module, name):
            problems.append(f"{path.name}: {name} is not in {module.__name__}")
        else:
            check_function(f"{path.name}: {name}", node, getattr(module, name), False, problems)
    for name in constants:
        if not hasattr(module, name):
            problems.append(f"{path.name}: {name} is not in {module.__name__}")
    for name, stub_class in classes.items():
        if name.startswith("_"):
            continue            # a stub-only base: checked through the classes built on it
        if not hasattr(module, name):
            problems.append(f"{path.name}: class {name} is not in {module.__name__}")
            continue
        for cls in runtime_classes(module, name):
            check_class(path, stub_class, classes, cls, problems)
    assert not problems, "the stubs and the code differ:\n  " + "\n  ".join(problems)


def test_the_check_sees_a_missing_method():
    """The checks above can fail: a stub without MLArray.sum is reported by name."""
    stub = PACKAGE / "core" / "ml_array.pyi"
    text = stub.read_text(encoding="utf-8")
    cut = "\n".join(line for line in text.splitlines() if "def sum(" not in line)
    _, classes, _ = read_stub(cut)
    problems = []
    module = importlib.import_module("smolml.core.ml_array")
    for cls in runtime_classes(module, "MLArray"):
        check_class(stub, classes["MLArray"], classes, cls, problems)
    assert problems and all("sum(self, axis=None, keepdims=False)" in p for p in problems)



@pytest.mark.skipif(sys.version_info < (3, 11), reason="the example uses typing.assert_type")
def test_the_type_checked_example_runs():
    path = Path(__file__).resolve().parent / "typing" / "api_usage.py"
    spec = importlib.util.spec_from_file_location("api_usage", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    # the example's gradient, against the closed form: c = tanh(a·b + 1), dc/da = b·(1 − c²)
    c = math.tanh(2.0 * -3.0 + 1.0)
    assert example.scalar_graph() == pytest.approx(-3.0 * (1 - c * c), rel=1e-12)
    assert example.array_graph().shape == (2, 1)
    history = example.network()
    assert len(history) == 3 and all(math.isfinite(loss) for loss in history)
    example.classic_models()
