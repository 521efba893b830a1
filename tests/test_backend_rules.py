"""Rules both backends follow from one definition: SmolML's flatten(data), Values built
by hand, pow with a modulo, the constant operand in `_prev`, the list of elementwise
ops, and the integer arguments of the models. Each case runs on both backends against
an expectation written out here (SmolML's behaviour, or finite differences)."""
import math

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value, _backend
from smolml._pure import value as pure_value
from smolml.models.regression import LinearRegression, PolynomialRegression
from smolml.models.tree import DecisionTree, RandomForest
from smolml.models.unsupervised import KMeans


# ---- flatten(data): SmolML keeps the Values of nested lists and skips anything else

def test_flatten_of_nested_data_keeps_the_values_of_lists_only(backend):
    a, b, c, d = Value(1.0), Value(2.0), Value(3.0), Value(4.0)
    data = [[a, 5.0, "text"], (b, c), [[d]], 7]
    flat = MLArray([1.0]).flatten(data)
    assert len(flat) == 2 and flat[0] is a and flat[1] is d


def test_flatten_of_a_single_value_is_that_value(backend):
    a = Value(1.0)
    assert MLArray([1.0]).flatten(a) == [a] and MLArray([1.0]).flatten(3.0) == []


# ---- a Value built by hand backpropagates with the op table's rule of its _op

@pytest.mark.parametrize("op, children, data, expected", [
    ("+", (2.0, 3.0), 5.0, (1.0, 1.0)),
    ("*", (2.0, 3.0), 6.0, (3.0, 2.0)),
    ("/", (2.0, 4.0), 0.5, (0.25, -0.125)),
    ("**", (2.0, 3.0), 8.0, (12.0, 8.0 * math.log(2.0))),
    ("tanh", (0.5,), math.tanh(0.5), (1.0 - math.tanh(0.5) ** 2,)),
    ("sum", (1.0, 2.0, 3.0), 6.0, (1.0, 1.0, 1.0)),
])
def test_a_value_built_by_hand_backpropagates_with_its_ops_rule(backend, op, children,
                                                                 data, expected):
    leaves = [Value(x) for x in children]
    out = Value(data, tuple(leaves), op)
    (out * 2.0).backward()
    assert out._op == op and out._prev == tuple(leaves)
    for leaf, slope in zip(leaves, expected):
        assert leaf.grad == pytest.approx(2.0 * slope, rel=1e-12)


def test_a_value_built_by_hand_with_an_unknown_op_fails_at_backward(backend):
    out = Value(1.0, (Value(1.0),), "custom")
    with pytest.raises(NotImplementedError, match="no backward rule for the op 'custom'"):
        out.backward()


def test_the_children_of_a_value_built_by_hand_must_be_values(backend):
    with pytest.raises(TypeError):
        Value(1.0, (Value(1.0), "two"), "+")


# ---- pow with a modulo is an error, as for floats

@pytest.mark.parametrize("make, cube", [(lambda: Value(2.0), [8.0]),
                                        (lambda: MLArray([2.0, 3.0]), [8.0, 27.0])])
def test_pow_with_a_modulo_is_a_type_error(backend, make, cube):
    with pytest.raises(TypeError, match="modulo"):
        pow(make(), 3, 5)
    assert MLArray(pow(make(), 3)).numpy().ravel().tolist() == cube


# ---- a number folded into a scalar op shows in _prev as one constant Value

@pytest.mark.parametrize("build", [lambda x: x * 3.0, lambda x: 3.0 - x])
def test_the_constant_in_prev_is_the_same_object_each_time(backend, build):
    x = Value(2.0)
    y = build(x)
    first, second = y._prev, y._prev
    assert first == second                    # == of tuples compares the items by identity
    constant = next(p for p in first if p is not x)
    assert constant is next(p for p in second if p is not x)
    assert constant.data == 3.0 and not constant.requires_grad


# ---- the two backends list the same elementwise ops, in the same order

@pytest.mark.skipif(not _backend.engine_available(), reason="the compiled engine is not built")
def test_both_backends_have_the_same_elementwise_ops():
    from smolml._engine import graph as engine_graph
    assert engine_graph.ELEMENTWISE_OPS == pure_value.ELEMENTWISE_OPS
    assert set(pure_value.ELEMENTWISE_OPS) <= set(pure_value.OPS)


def test_each_unary_op_is_a_method_of_value_and_mlarray_on_both_backends(both_backends):
    methods = {"neg": "__neg__", "ReLU": "relu"}
    for name in pure_value.ELEMENTWISE_OPS:
        if name in ("+", "-", "*", "/", "**", "clip"):
            continue
        method = methods.get(name, name)
        for backend in both_backends:
            with smolml.use_backend(backend):
                assert getattr(Value(0.5), method)()._op == name
                assert callable(getattr(MLArray([0.5]), method))


# ---- integer arguments of the models: one check, one message

@pytest.mark.parametrize("make", [
    lambda n: KMeans(n_clusters=n),
    lambda n: KMeans(n_clusters=2, max_iters=n),
    lambda n: LinearRegression(input_size=n),
    lambda n: PolynomialRegression(input_size=1, degree=n),
    lambda n: DecisionTree(min_samples_leaf=n),
    lambda n: RandomForest(n_trees=n),
])
def test_integer_arguments_reject_bools_floats_and_small_values(backend, make):
    for bad in (True, 2.5, "3"):
        with pytest.raises(TypeError, match=r"must be an integer"):
            make(bad)
    with pytest.raises(ValueError, match=r"must be an integer >= \d"):
        make(0)
    make(np.int64(3))                         # NumPy integers are integers


def test_fit_checks_its_iterations_argument(backend):
    model = LinearRegression(input_size=1)
    with pytest.raises(TypeError, match="iterations must be an integer"):
        model.fit([[1.0], [2.0]], [1.0, 2.0], iterations=True, verbose=False)


def test_max_sends_a_zero_gradient_to_every_other_element(backend):
    # max of two rows' std, each std 0: the selected row gets 1, the other 0, and the
    # sqrt at 0 turns both into nan (1·inf·0 and 0·inf), as IEEE and PyTorch say. A max
    # that linked only its selected element would leave the other row's input at 0.
    x = smolml.MLArray(np.zeros((2, 1)))
    x.std(axis=1).max().backward()
    assert np.isnan(x.grad().numpy()).all()
    y = smolml.MLArray([[1.0, 5.0, 5.0], [2.0, 7.0, 3.0]])
    (y.max(axis=1).sum() + y.min()).backward()
    np.testing.assert_array_equal(y.grad().numpy(), [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
