"""smolml.gradcheck: passes correct gradients, catches wrong ones and names the worst
element. The expected derivatives are worked out by hand, not taken from backward."""
import numpy as np
import pytest

import smolml
from smolml import MLArray, Value
from smolml._gradcheck import GradcheckError, GradcheckResult, gradcheck


def detached_square(x):
    """x·c with c = x computed under no_grad: the value is x², but backward only sees
    the explicit factor, so the analytic gradient is c = x while the true one is 2x."""
    with smolml.no_grad():
        c = x * 1.0
    return x * c


def test_passes_for_matmul_tanh(backend):
    x = MLArray(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))
    w = MLArray(np.array([[0.3], [-0.2], [0.1]]))
    result = gradcheck(lambda x, w: (x @ w).tanh(), x, w)
    assert isinstance(result, GradcheckResult)
    assert result and result.passed
    assert result.elements == 9
    # the analytic gradients it reports are backward's: d Σ tanh(xw) / dw = xᵀ(1 − tanh²)
    z = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]) @ np.array([[0.3], [-0.2], [0.1]])
    expected_w = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]).T @ (1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(result.analytic[1], expected_w, rtol=1e-12)
    np.testing.assert_allclose(result.numeric[1], expected_w, rtol=1e-6)


def test_passes_with_broadcasting_and_reductions(backend):
    a = MLArray(np.linspace(0.5, 2.0, 6).reshape(2, 3))
    b = MLArray(np.array([0.3, 0.7, 1.1]))
    assert gradcheck(lambda a, b: ((a * b) / (a + 1.0)).log().mean(axis=0), a, b)
    assert gradcheck(lambda a, b: (a ** b).max(axis=1) + a.std(), a, b)


def test_non_scalar_output_is_summed(backend):
    x = MLArray([1.0, -2.0, 3.0])
    result = gradcheck(lambda x: x * x, x)
    assert result
    np.testing.assert_allclose(result.analytic[0], [2.0, -4.0, 6.0])
    np.testing.assert_allclose(result.numeric[0], [2.0, -4.0, 6.0], rtol=1e-8)


def test_value_inputs(backend):
    a, b = Value(0.8), Value(-1.3)
    result = gradcheck(lambda a, b: (a * b).sigmoid() + a.exp(), a, b)
    assert result
    s = 1 / (1 + np.exp(0.8 * 1.3))
    assert result.analytic[0].shape == ()
    assert result.analytic[0] == pytest.approx(s * (1 - s) * -1.3 + np.exp(0.8), rel=1e-12)
    assert result.analytic[1] == pytest.approx(s * (1 - s) * 0.8, rel=1e-12)


def test_catches_a_missing_gradient_term_and_names_the_worst_element(backend):
    x = MLArray(np.array([[0.5, -3.0], [1.0, 2.0]]))
    result = gradcheck(detached_square, x)
    assert not result and result.passed is False
    # analytic x, numeric 2x: the error |x| over the tolerance grows with |x|
    assert result.input_index == 0
    assert result.element_index == (0, 1)
    assert result.analytic_value == pytest.approx(-3.0)
    assert result.numeric_value == pytest.approx(-6.0, rel=1e-7)
    assert result.error == pytest.approx(3.0, rel=1e-6)
    text = repr(result)
    assert "FAILED" in text and "input 0" in text and "(0, 1)" in text


def test_names_the_input_that_is_wrong(backend):
    good = MLArray([0.5, 1.5])
    bad = MLArray([2.0, -1.0])
    result = gradcheck(lambda g, b: g.tanh().sum() + detached_square(b).sum(), good, bad)
    assert not result
    assert result.input_index == 1 and result.element_index == (0,)


def test_relu_kink_fails_at_the_kink(backend):
    # at 0 the central difference sees half the slope (0.5); backward says 0
    x = MLArray([0.0, 1.0, -1.0])
    result = gradcheck(lambda x: x.relu(), x)
    assert not result
    assert result.element_index == (0,)
    assert result.numeric_value == pytest.approx(0.5)
    assert result.analytic_value == 0.0


def test_raise_on_failure(backend):
    x = MLArray([1.0, 2.0])
    with pytest.raises(GradcheckError, match="FAILED") as caught:
        gradcheck(detached_square, x, raise_on_failure=True)
    assert isinstance(caught.value, AssertionError)
    assert caught.value.result.input_index == 0
    # a passing check does not raise
    assert gradcheck(lambda x: x.exp(), x, raise_on_failure=True)


def test_tolerances_decide(backend):
    x = MLArray([1.0, 2.0])
    # the missing term is as large as the gradient: a relative tolerance of 60% accepts it
    assert gradcheck(detached_square, x, rtol=0.6)
    assert not gradcheck(detached_square, x, rtol=0.4)


def test_inputs_are_restored_and_hold_the_analytic_gradient(backend):
    x = MLArray([[1.0, 2.0], [3.0, 4.0]])
    x.update_values([[1.0, 2.0], [3.0, 4.0]])
    x.zero_grad()
    (x * 10.0).sum().backward()          # an old gradient, to be replaced
    gradcheck(lambda x: (x * x).sum(), x)
    assert x.to_list() == [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_allclose(x.grad().numpy(), [[2.0, 4.0], [6.0, 8.0]])
    v = Value(1.5)
    gradcheck(lambda v: v * v * v, v)
    assert v.data == 1.5 and v.grad == pytest.approx(3 * 1.5 ** 2)


def test_repr_of_a_pass(backend):
    text = repr(gradcheck(lambda x: x.exp(), MLArray([0.0, 1.0])))
    assert text.startswith("<gradcheck passed: 2 elements of 1 input;")
    assert "analytic" in text and "numeric" in text and "tolerance" in text


def test_rejects_bad_inputs(backend):
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0))
    with pytest.raises(ValueError, match="input 0 does not require grad"):
        gradcheck(lambda x: x.exp(), MLArray([1.0], requires_grad=False))
    with pytest.raises(TypeError, match="MLArrays or Values"):
        gradcheck(lambda x: x, np.array([1.0]))
    with pytest.raises(TypeError, match="must return an MLArray or a Value"):
        gradcheck(lambda x: 3.0, MLArray([1.0]))
    with smolml.no_grad():
        with pytest.raises(RuntimeError, match="no_grad"):
            gradcheck(lambda x: x.exp(), MLArray([1.0]))


def test_rejects_mixed_backends(both_backends):
    with smolml.use_backend("engine"):
        a = MLArray([1.0])
    with smolml.use_backend("pure"):
        b = MLArray([1.0])
    with pytest.raises(TypeError, match="cannot mix"):
        gradcheck(lambda a, b: a, a, b)


def test_runs_fn_on_the_inputs_backend(both_backends):
    with smolml.use_backend("pure"):
        x = MLArray([0.5, 1.5])
    seen = []

    def fn(x):
        seen.append(smolml.get_backend())
        return x * MLArray([2.0, 3.0])        # a new array: must be of x's backend
    with smolml.use_backend("engine"):
        assert gradcheck(fn, x)
    assert set(seen) == {"pure"}
