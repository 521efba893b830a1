"""docs/smolml_api.md stays true: every smolml name in its table imports, and accepts
SmolML's parameters (each by name where SmolML gives it a default, and positionally in
SmolML's order); an attribute row (no parentheses) exists on an object of its class.
MLArray and Value are checked on both backends.

A parameter is checked by position only where its name is not part of the call: one
SmolML's documentation leaves unnamed (`f(arg, /)` in the table), or one smolml takes
positionally only (the operator slots of the compiled Value). A compiled operator slot
shows no signature, so it is called with SmolML's number of arguments instead."""
import ast
import importlib
import inspect
import math
import re
from pathlib import Path

import numpy as np
import pytest

import smolml
from conftest import AVAILABLE_BACKENDS
from smolml._random import rng
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.models.tree import DecisionNode, DecisionTree
from smolml.models.unsupervised import KMeans
from smolml.preprocessing import MinMaxScaler, StandardScaler
from smolml.utils import activation, losses, optimizers
from smolml.utils.memory import calculate_decision_tree_size

TABLE = Path(__file__).resolve().parent.parent / "docs" / "smolml_api.md"
ROW = re.compile(r"^\| `(?P<smolml>[^`]+)` \| `(?P<ours>[^`]+)` \| (?P<status>same|differs) \|")


@pytest.fixture(autouse=True)
def random_stream_left_alone():
    """Layers and k-means here draw from smolml's random source (`random`, or the
    generator of an earlier manual_seed); the tests after these see it as it was."""
    state = rng.getstate()
    yield
    rng.setstate(state)


def rows():
    found = [ROW.match(line) for line in TABLE.read_text(encoding="utf-8").splitlines()]
    return [(m["smolml"], m["ours"], m["status"]) for m in found if m]


def smolml_parameters(call):
    """('x', 'y', ...), the names with defaults, whether it takes *args, and the names
    before a `/`, from a call text `Name(x, y=1)`."""
    tree = ast.parse("def f(" + call[call.index("(") + 1:call.rindex(")")] + "): pass")
    arguments = tree.body[0].args
    unnamed = [a.arg for a in arguments.posonlyargs]
    names = unnamed + [a.arg for a in arguments.args]
    defaulted = names[len(names) - len(arguments.defaults):] if arguments.defaults else []
    return names, set(defaulted), arguments.vararg is not None, set(unnamed)


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
    if path.startswith("smolml.Value"):
        attribute = path[len("smolml.Value."):]
        objects = []
        for name in AVAILABLE_BACKENDS:
            with smolml.use_backend(name):
                cls = type(smolml.Value(1.0))
            if attribute:
                objects.append(getattr(cls, attribute))
            elif cls(2.5).data == 2.5:                  # Value(data)
                objects.extend(_with_signature(cls.__init__))
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
    assert len(rows()) > 120
    assert ("MLArray.unflatten(flat_list, shape)", "smolml.MLArray.unflatten", "same") in rows()
    ours = [name for _, name, _ in rows()]
    for module in ("smolml.Value", "smolml.MLArray", "smolml.core.ml_array", "smolml.models.nn",
                   "smolml.models.regression", "smolml.models.tree",
                   "smolml.models.unsupervised", "smolml.models.svm", "smolml.preprocessing",
                   "smolml.utils.activation", "smolml.utils.initializers", "smolml.utils.losses",
                   "smolml.utils.optimizers", "smolml.utils.memory"):
        assert any(name == module or name.startswith(module + ".") for name in ours), module


CALLS = [row for row in rows() if "(" in row[0]]
ATTRIBUTES = [row for row in rows() if "(" not in row[0]]


@pytest.mark.parametrize("smolml_call, ours, status", CALLS, ids=[r[0].split("(")[0] for r in CALLS])
def test_smolml_calls_are_accepted(smolml_call, ours, status):
    names, defaulted, takes_varargs, unnamed = smolml_parameters(smolml_call)
    for target in resolve(ours):
        try:
            signature = inspect.signature(target)
        except ValueError:                      # a compiled operator slot: call it
            owner = target.__objclass__
            target(owner(3.0), *[owner(2.0)] * len(names))
            continue
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
            if name in unnamed or (positional[index].kind is inspect.Parameter.POSITIONAL_ONLY
                                   and name not in defaulted):
                continue
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


def an_object_of(cls_name):
    """An object of the class the table names, fitted where the class learns."""
    X, y = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]], [0, 1, 0, 1]
    makers = {
        "Value": lambda: smolml.Value(1.0),
        "MLArray": lambda: smolml.MLArray(X),
        "DenseLayer": lambda: DenseLayer(2, 1),
        "NeuralNetwork": lambda: NeuralNetwork([DenseLayer(2, 1)], losses.mse_loss),
        "DecisionNode": lambda: DecisionNode(value=1),
        "DecisionTree": lambda: DecisionTree().fit(X, y),
        "KMeans": lambda: KMeans(2).fit(X),
        "StandardScaler": lambda: StandardScaler().fit(X),
        "MinMaxScaler": lambda: MinMaxScaler().fit(X),
    }
    if cls_name in makers:
        return makers[cls_name]()
    return getattr(optimizers, cls_name)()


@pytest.mark.parametrize("smolml_name, ours, status", ATTRIBUTES, ids=[r[0] for r in ATTRIBUTES])
def test_smolml_attributes_exist(backend, smolml_name, ours, status):
    cls_name, attribute = smolml_name.rsplit(".", 1)
    assert ours.endswith("." + smolml_name), f"{ours} is not {smolml_name}"
    module_path, _, name = ours.rsplit(".", 1)[0].rpartition(".")
    obj = an_object_of(cls_name)
    assert isinstance(obj, getattr(importlib.import_module(module_path), name))
    assert hasattr(obj, attribute), f"{cls_name} has no {attribute}"


# (SmolML-style expression of Values a and b, the same on Python floats)
VALUE_CALLS = [
    (lambda a, b: a + b, lambda a, b: a + b),
    (lambda a, b: a - b, lambda a, b: a - b),
    (lambda a, b: a * b, lambda a, b: a * b),
    (lambda a, b: a / b, lambda a, b: a / b),
    (lambda a, b: a ** 3, lambda a, b: a ** 3),
    (lambda a, b: a ** b, lambda a, b: a ** b),
    (lambda a, b: -a * b, lambda a, b: -a * b),
    (lambda a, b: 0.5 * (a.exp() - 1), lambda a, b: 0.5 * (math.exp(a) - 1)),   # SmolML's elu
    (lambda a, b: 1 / (1 + (-a).exp()), lambda a, b: 1 / (1 + math.exp(-a))),     # its sigmoid
    (lambda a, b: a.log() * b, lambda a, b: math.log(a) * b),
    (lambda a, b: a.tanh() + b.relu(), lambda a, b: math.tanh(a) + max(b, 0.0)),
]


@pytest.mark.parametrize("value_call, float_call", VALUE_CALLS)
def test_value_calls_against_python_floats(backend, value_call, float_call):
    """Forward against Python's floats; gradients against central differences."""
    a0, b0, h = 1.3, 0.7, 1e-6
    a, b = smolml.Value(a0), smolml.Value(b0)
    y = value_call(a, b)
    y.backward()
    assert y.data == pytest.approx(float_call(a0, b0), rel=1e-12)
    assert a.grad == pytest.approx((float_call(a0 + h, b0) - float_call(a0 - h, b0)) / (2 * h),
                                   rel=1e-6, abs=1e-9)
    assert b.grad == pytest.approx((float_call(a0, b0 + h) - float_call(a0, b0 - h)) / (2 * h),
                                   rel=1e-6, abs=1e-9)


def test_value_comparisons_as_smolml_uses_them(backend):
    two = smolml.Value(2.0)
    assert two > 0 and not two > 3 and two == 2.0 and two == smolml.Value(2.0)
    assert two != smolml.Value(3.0)
    assert len({smolml.Value(1.0), smolml.Value(1.0)}) == 2       # hash is identity
    assert (smolml.Value(1.0) / 0).data == math.inf
    assert math.isnan((smolml.Value(0.0) / 0).data)


def small_tree():
    """feature 0 <= 2.5 → (feature 1 <= 0.5 → class 0, else 1), else class 1."""
    tree = DecisionTree(max_depth=2)
    tree.root = DecisionNode(0, 2.5, DecisionNode(1, 0.5, DecisionNode(value=0), DecisionNode(value=1)),
                             DecisionNode(value=1))
    return tree


def test_show_tree_prints_smolml_lines(capsys):
    tree = small_tree()
    tree.show_tree(feature_names=["a", "b"])
    assert capsys.readouterr().out.splitlines() == [
        "Root: a <= 2.5000",
        "├─ Left: b <= 0.5000",
        "│  ├─ Left: Leaf → Class 0",
        "│  └─ Right: Leaf → Class 1",
        "└─ Right: Leaf → Class 1"]
    tree.show_tree(tree.root.left, "", True, False, ["a", "b"])     # SmolML's own call
    assert capsys.readouterr().out.splitlines() == [
        "├─ Left: b <= 0.5000",
        "│  ├─ Left: Leaf → Class 0",
        "│  └─ Right: Leaf → Class 1"]
    tree.show_tree(tree.root.left, prefix="   ", is_left=False, is_root=False)
    assert capsys.readouterr().out.splitlines() == [
        "   └─ Right: feature_1 <= 0.5000",
        "      ├─ Left: Leaf → Class 0",
        "      └─ Right: Leaf → Class 1"]


def test_decision_tree_size_has_the_keys_smolml_reads():
    size = calculate_decision_tree_size(small_tree())
    assert size["total"] > size["base_size"] > 0
    structure = size["tree_structure"]
    assert (structure["internal_nodes"], structure["leaf_nodes"], structure["max_depth"]) == (2, 3, 2)
    assert structure["total"] > 0


def test_kmeans_takes_smolml_arguments(backend):
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    truth = np.repeat([0, 1], 20)
    X = smolml.MLArray((centers[truth] + rng.normal(0, 0.5, (40, 2))).tolist())
    kmeans = KMeans(n_clusters=2, max_iters=100, tol=1e-4)
    assert kmeans.fit(X_train=X) is kmeans
    labels = np.array(kmeans.fit_predict(X_train=X).to_list())
    assert len(set(labels[:20])) == len(set(labels[20:])) == 1 and labels[0] != labels[20]
    assert kmeans.predict(smolml.MLArray([[9.0, 9.5]])).to_list() == [labels[20]]


def test_layer_update_as_smolml_writes_it(backend):
    """SmolML's `self.weights, self.biases = optimizer.update(self, idx, param_names=...)`
    against θ − α·∇θ computed in NumPy."""
    layer = DenseLayer(input_size=2, output_size=1, activation_function=activation.tanh)
    X = smolml.MLArray([[1.0, 2.0], [-1.0, 0.5]])
    layer.forward(X).sum().backward()
    w, gw = layer.weights.numpy().copy(), layer.weights.grad().numpy().copy()
    b, gb = layer.biases.numpy().copy(), layer.biases.grad().numpy().copy()
    optimizer = optimizers.SGD(learning_rate=0.1)
    layer.weights, layer.biases = optimizer.update(layer, 0, param_names=("weights", "biases"))
    np.testing.assert_allclose(layer.weights.numpy(), w - 0.1 * gw, rtol=1e-12)
    np.testing.assert_allclose(layer.biases.numpy(), b - 0.1 * gb, rtol=1e-12)
