"""Every MLArray op's gradient against central finite differences (helpers.check_grads),
over shapes that exercise broadcasting, every reduction axis, matmul variants and
indexing."""
import numpy as np
import pytest

from smolml import MLArray, Value

from helpers import array, check_grads

BROADCAST_PAIRS = [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)),
                   ((2, 3), ()), ((2, 1, 3), (4, 1)), ((1,), (3, 2))]

BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
}


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_binary_broadcast_grads(backend, op, shapes):
    positive = op == "**"
    a = array(shapes[0], low=0.5 if positive else -2.0, seed=1)
    b = array(shapes[1], low=0.5, high=2.0, seed=2)
    check_grads(BINARY[op], a, b)


@pytest.mark.parametrize("op", list(BINARY))
def test_binary_with_constants_grads(backend, op):
    x = array((2, 3), low=0.5, high=2.0, seed=3)
    f = BINARY[op]
    check_grads(lambda a: f(a, 1.5), x)
    check_grads(lambda a: f(2.5, a), x)                      # reflected
    check_grads(lambda a: f(a, np.array([0.5, 1.0, 2.0])), x)
    check_grads(lambda a: f(np.array([[0.5], [1.5]]), a), x)  # ndarray on the left
    check_grads(lambda a: f(a, [[1.5], [0.75]]), x)


def test_value_operand_grads(backend):
    x = array((2, 3), seed=4)
    v = Value(1.7)
    weights = np.arange(6.0).reshape(2, 3)
    (x * v * MLArray(weights, requires_grad=False)).sum().backward()
    assert v.grad == pytest.approx(float((x.numpy() * weights).sum()))
    assert np.allclose(x.grad().numpy(), 1.7 * weights)


UNARY = {
    "exp": (lambda a: a.exp(), {}),
    "log": (lambda a: a.log(), {"low": 0.3}),
    "log1p": (lambda a: a.log1p(), {"low": -0.7}),
    "sqrt": (lambda a: a.sqrt(), {"low": 0.3}),
    "abs": (lambda a: a.abs(), {"avoid_zero": True}),
    "abs()": (lambda a: abs(a), {"avoid_zero": True}),
    "neg": (lambda a: -a, {}),
    "tanh": (lambda a: a.tanh(), {}),
    "relu": (lambda a: a.relu(), {"avoid_zero": True}),
    "sigmoid": (lambda a: a.sigmoid(), {}),
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
def test_unary_grads(backend, name, shape):
    f, options = UNARY[name]
    check_grads(f, array(shape, seed=5, **options))


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (None, 0.5), (-0.5, None)])
def test_clip_grads(backend, low, high):
    x = MLArray([[-1.7, -0.8, -0.3], [0.2, 0.7, 1.6]])
    check_grads(lambda a: a.clip(low, high), x)


def test_clip_gradient_is_inclusive_at_bounds(backend):
    x = MLArray([-2.0, -1.0, 0.0, 1.0, 2.0])
    x.clip(-1.0, 1.0).sum().backward()
    assert x.grad().to_list() == [0.0, 1.0, 1.0, 1.0, 0.0]


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)),
                 ((2, 3, 2), (2, 2, 1)), ((2, 3), (2, 3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_grads(backend, shapes):
    a = array(shapes[0], seed=6)
    b = array(shapes[1], seed=7)
    check_grads(lambda x, y: x @ y, a, b)


def test_matmul_grads_closed_form(backend):
    rng = np.random.default_rng(8)
    a_np, b_np = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    g = rng.normal(size=(3, 2))
    a, b = MLArray(a_np), MLArray(b_np)
    ((a @ b) * MLArray(g, requires_grad=False)).sum().backward()
    assert np.allclose(a.grad().numpy(), g @ b_np.T, rtol=1e-12)     # dA = dC Bᵀ
    assert np.allclose(b.grad().numpy(), a_np.T @ g, rtol=1e-12)     # dB = Aᵀ dC


def test_matmul_with_constant_operands_grads(backend):
    a = array((2, 3), seed=9)
    b_np = np.random.default_rng(10).normal(size=(3, 2))
    check_grads(lambda x: x @ b_np, a)
    check_grads(lambda x: b_np.T @ x.T, a)
    check_grads(lambda x: x.matmul(b_np.tolist()), a)


REDUCTIONS = ["sum", "mean", "max", "min", "std"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_grads_every_axis(backend, name, shape, keepdims):
    # distinct values so max/min have a unique winner and std is not 0
    values = np.random.default_rng(11).permutation(np.prod(shape)).reshape(shape) * 0.37 - 1.0
    x = MLArray(values)
    for axis in [None] + list(range(len(shape))) + [-1]:
        check_grads(lambda a: getattr(a, name)(axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_gradient_goes_to_first_winner(backend, name):
    x = MLArray([[3.0, 1.0, 3.0], [-2.0, -2.0, 0.0]])
    getattr(x, name)().backward()
    expected = np.zeros((2, 3))
    expected[np.unravel_index(getattr(np, "arg" + name)(x.numpy()), (2, 3))] = 1.0
    assert np.array_equal(x.grad().numpy(), expected)
    x.zero_grad()
    getattr(x, name)(axis=1).backward()
    expected = np.zeros((2, 3))
    for row, col in enumerate(getattr(np, "arg" + name)(x.numpy(), axis=1)):
        expected[row, col] = 1.0
    assert np.array_equal(x.grad().numpy(), expected)
    x.zero_grad()
    getattr(x, name)(axis=0).backward()
    expected = np.zeros((2, 3))
    for col, row in enumerate(getattr(np, "arg" + name)(x.numpy(), axis=0)):
        expected[row, col] = 1.0
    assert np.array_equal(x.grad().numpy(), expected)


def test_std_gradient_closed_form(backend):
    values = np.array([1.0, 2.0, 4.0, 7.0])
    x = MLArray(values)
    x.std().backward()
    expected = (values - values.mean()) / (values.size * values.std())
    assert np.allclose(x.grad().numpy(), expected, rtol=1e-12)


def test_std_of_constant_has_nan_gradient(backend):
    x = MLArray([2.0, 2.0, 2.0])
    s = x.std()
    assert s.to_list() == 0.0
    s.backward()
    assert np.isnan(x.grad().numpy()).all()


INDEXES = [1, -1, (0, 2), slice(1, None), (slice(None), 1), (slice(None, None, -1), slice(0, 3, 2)),
           (Ellipsis, 0), (1, Ellipsis), (slice(None), slice(1, 2))]


@pytest.mark.parametrize("index", INDEXES, ids=str)
def test_getitem_grads(backend, index):
    check_grads(lambda a: a[index], array((3, 4), seed=12))


def test_repeated_index_gradients_add_up(backend):
    x = MLArray([1.0, 2.0, 3.0])
    (x[0] * 2 + x[0] * x[2] + x[-1]).backward()
    assert x.grad().to_list() == [2.0 + 3.0, 0.0, 1.0 + 1.0]


@pytest.mark.parametrize("move", [
    lambda a: a.T, lambda a: a.transpose(1, 0, 2), lambda a: a.transpose((2, 0, 1)),
    lambda a: a.reshape(4, 3), lambda a: a.reshape(-1), lambda a: a.flatten(),
], ids=["T", "transpose102", "transpose201", "reshape", "reshape-1", "flatten"])
def test_movement_grads(backend, move):
    check_grads(move, array((2, 3, 2), seed=13))


def test_composite_network_grads(backend):
    x = array((4, 3), seed=14)
    w1 = array((3, 5), seed=15)
    b1 = array((5,), seed=16)
    w2 = array((5, 1), seed=17)

    def mlp(inputs, first, bias, second):
        hidden = (inputs @ first + bias).tanh()
        return ((hidden @ second).sigmoid() - 0.5) ** 2

    check_grads(mlp, x, w1, b1, w2)


def test_construction_from_arrays_grads(backend):
    a = array((2, 2), seed=18)
    b = array((2, 2), seed=19)
    check_grads(lambda x, y: MLArray([x, y * 2, x * y]), a, b)
