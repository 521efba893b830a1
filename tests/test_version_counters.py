"""Version counters: every in-place change of an array's numbers counts, and backward
refuses a graph whose rules would read numbers changed since the forward (PyTorch's
"modified by an inplace operation" error), instead of a silently wrong gradient.
Changes after backward (an optimizer's step) stay legal."""
import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers

STALE = "one of the arrays needed for gradient computation has been modified by an in-place"
W = np.array([[0.5, -1.0], [2.0, 0.25]])
X = np.array([[1.0, 2.0], [-0.5, 1.5]])


def in_place_add(w):
    with smolml.no_grad():
        w += 10.0


def in_place_mul(w):
    with smolml.no_grad():
        w *= 0.0


def set_item(w):
    w[0] = 100.0


def set_one_element(w):
    w[1, 1] = 100.0


def update_values(w):
    w.update_values(np.zeros_like(W))


def through_an_element_view(w):
    view = w[0, 0]
    with smolml.no_grad():
        view += 1.0


CHANGES = [in_place_add, in_place_mul, set_item, set_one_element, update_values,
           through_an_element_view]

# (a graph whose backward reads w's numbers, its op's name on the engine, on pure)
READERS = {
    "matmul": (lambda w: (MLArray(X) @ w).sum(), "matmul", "dot"),
    "linear": (lambda w: (MLArray(X) @ w + MLArray([1.0, 2.0])).sum(), "linear", "dot"),
    "mul": (lambda w: (w * w).sum(), "*", "*"),
    "relu": (lambda w: w.relu().sum(), "ReLU", "ReLU"),
    "abs": (lambda w: (w.abs() * 2.0).sum(), "abs", "abs"),
    "reduced then indexed": (lambda w: (w * w)[1].sum(), "*", "*"),
}


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_changed_saved_input_is_refused_at_backward(backend, change, reader):
    make, engine_op, pure_op = READERS[reader]
    w = MLArray(W)
    y = make(w)
    change(w)
    with pytest.raises(RuntimeError, match=STALE) as error:
        y.backward()
    op = engine_op if backend == "engine" else pure_op
    assert f": {op} input" in str(error.value)
    assert "is at version 1; expected version 0" in str(error.value)
    if backend == "engine":
        assert "of shape (2, 2)" in str(error.value)
    np.testing.assert_array_equal(w.grad().numpy(), np.zeros_like(W))   # nothing written


@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid", "sqrt"])
def test_an_intermediate_changed_in_place_is_refused(backend, op):
    """h = f(x) then `h *= 0`: f's rule reads h (its own output), and so does h · 3."""
    x = MLArray(np.abs(W) + 0.5)
    h = getattr(x * 1.0, op)()
    y = (h * 3.0).sum()
    with smolml.no_grad():
        h *= 0.0
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()
    z = getattr(x * 1.0, op)().sum()
    g = getattr(x * 1.0, op)()
    with smolml.no_grad():
        g *= 2.0
    with pytest.raises(RuntimeError, match=f"{op} output"):
        (g.sum() + z).backward()


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_a_change_no_rule_reads_is_allowed(backend, change):
    """Sums, differences, reshapes and indexing read no input numbers in backward, and a
    product reads an input only for the other input's gradient (as in PyTorch): these
    gradients stay right whatever w holds now."""
    w = MLArray(W)
    x = MLArray(X, requires_grad=False)
    y = ((w + 1.0).sum() + (w - 2.0).reshape(4).sum() + w[0].sum() + w.T.sum()
         + (x @ w).sum() + (w * 3.0).sum())
    change(w)
    y.backward()
    expected = np.full_like(W, 6.0) + X.T @ np.ones((2, 2))
    expected[0] += 1.0
    np.testing.assert_array_equal(w.grad().numpy(), expected)


def test_changes_after_backward_are_legal_and_a_new_graph_sees_them(backend):
    w = MLArray(W)
    x = MLArray(X, requires_grad=False)
    for step in range(3):
        loss = ((x @ w) * (x @ w)).sum()
        loss.backward()
        expected = 2.0 * X.T @ (X @ w.numpy())
        np.testing.assert_allclose(w.grad().numpy(), expected, rtol=1e-12)
        with smolml.no_grad():
            w -= w.grad() * 0.01
        w[0, 0] = 0.5
        w.update_values(w.numpy() * 0.9)
        w.restart()


def test_optimizers_update_in_place_after_backward(backend):
    smolml.manual_seed(0)
    for optimizer in (optimizers.SGD(0.1), optimizers.SGDMomentum(0.1), optimizers.Adam(0.05)):
        net = NeuralNetwork([DenseLayer(2, 3, activation.tanh), DenseLayer(3, 2)],
                            losses.mse_loss, optimizer)
        history = net.train(X, W, epochs=5, verbose=False)
        assert history[-1] < history[0]


def test_the_counter_is_exact_on_both_backends(both_backends):
    """Same refusals, in the same places, on both backends."""
    outcomes = []
    for name in both_backends:
        with smolml.use_backend(name):
            results = []
            for reader in sorted(READERS):
                for change in CHANGES + [lambda w: None]:
                    w = MLArray(W)
                    y = READERS[reader][0](w)
                    change(w)
                    try:
                        y.backward()
                        results.append(w.grad().numpy().round(9).tolist())
                    except RuntimeError as e:
                        results.append(str(e).split(":")[0])
            outcomes.append(results)
    assert outcomes[0] == outcomes[1]


def test_scalar_ops_on_an_element_handle_see_their_array_change(backend):
    # the graph is built from a Value handle onto the array, not from the array: the
    # handle's numbers are the array's, so an in-place change of the array is refused
    a = MLArray([1.0, 2.0])
    y = a.data[0] * a.data[0]
    with smolml.no_grad():
        a += 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    x = smolml.Value(3.0)          # a plain Value's .data is not counted, as PyTorch's
    z = x * x
    x.data = 5.0
    z.backward()
    assert x.grad == 10.0          # 2 · 5: the rule reads the number as it is now
