"""`smolml.gradcheck`: compare backward's gradients with finite differences.

For a function L = fn(x₀, x₁, ...) and every element xᵢ[k] of every input, the
numeric derivative is the central difference

    ∂L/∂xᵢ[k] ≈ (L(xᵢ[k] + ε) − L(xᵢ[k] − ε)) / 2ε

(error O(ε²)), and it must match the analytic one that `L.backward()` leaves in
`xᵢ.grad()` within |analytic − numeric| <= atol + rtol·|numeric|, the rule of
NumPy's `allclose`. A non-scalar result is summed first, as backward does.
"""
import math

import numpy as np

from smolml import _backend
from smolml._grad import no_grad


class GradcheckError(AssertionError):
    """Raised by `gradcheck(..., raise_on_failure=True)`; `.result` holds the details."""

    def __init__(self, result):
        super().__init__(result.summary())
        self.result = result


class GradcheckResult:
    """What `gradcheck` found. Truthy when every element passed.

    Attributes: `passed`; `analytic` and `numeric`, one float64 ndarray per input
    (the input's shape, () for a Value); the worst element as `input_index`,
    `element_index` (a tuple), `analytic_value`, `numeric_value`, `error`
    (|analytic − numeric|) and `tolerance` (atol + rtol·|numeric| there); and the
    settings `eps`, `rtol`, `atol`.
    """

    def __init__(self, analytic, numeric, eps, rtol, atol):
        self.analytic = analytic
        self.numeric = numeric
        self.eps, self.rtol, self.atol = eps, rtol, atol
        self.elements = sum(a.size for a in analytic)
        self.input_index = self.element_index = None
        self.analytic_value = self.numeric_value = math.nan
        self.error = self.tolerance = 0.0
        worst_ratio = -1.0
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            for index in np.ndindex(a.shape):
                ratio, error, tolerance = _compare(float(a[index]), float(n[index]), rtol, atol)
                if ratio > worst_ratio:
                    worst_ratio = ratio
                    self.input_index, self.element_index = i, index
                    self.analytic_value, self.numeric_value = float(a[index]), float(n[index])
                    self.error, self.tolerance = error, tolerance
        self.passed = worst_ratio <= 1.0

    def __bool__(self):
        return self.passed

    def summary(self):
        inputs = len(self.analytic)
        head = (f"gradcheck {'passed' if self.passed else 'FAILED'}: "
                f"{self.elements} element{'s' * (self.elements != 1)} of "
                f"{inputs} input{'s' * (inputs != 1)}")
        if self.input_index is None:
            return head + " (nothing to check)"
        verdict = "<=" if self.passed else ">"
        return (f"{head}; worst at input {self.input_index}, element {self.element_index}: "
                f"analytic {self.analytic_value:.10g}, numeric {self.numeric_value:.10g}, "
                f"error {self.error:.3g} {verdict} tolerance {self.tolerance:.3g} "
                f"(eps={self.eps:g}, rtol={self.rtol:g}, atol={self.atol:g})")

    def __repr__(self):
        return f"<{self.summary()}>"

    __str__ = summary


def _compare(analytic, numeric, rtol, atol):
    """(error / tolerance, error, tolerance); a ratio > 1 fails. Equal infinities and
    nan against nan agree; any other non-finite pair fails."""
    if not (math.isfinite(analytic) and math.isfinite(numeric)):
        same = analytic == numeric or (math.isnan(analytic) and math.isnan(numeric))
        return (0.0, 0.0, 0.0) if same else (math.inf, math.inf, 0.0)
    error = abs(analytic - numeric)
    tolerance = atol + rtol * abs(numeric)
    if tolerance == 0.0:
        return (0.0 if error == 0.0 else math.inf), error, tolerance
    return error / tolerance, error, tolerance


def _is_array(x):
    return hasattr(x, "update_values")


def _scalar_of(output):
    """The number L the check differentiates: the output, summed if it is an array."""
    if _is_array(output):
        return float(output.numpy().sum())
    if _backend.backend_of(output) is not None:
        return float(output.data)
    raise TypeError(f"gradcheck: fn must return an MLArray or a Value; got {type(output).__name__}")


def _get(x):
    return x.numpy() if _is_array(x) else np.array(float(x.data))


def _set(x, numbers):
    if _is_array(x):
        x.update_values(numbers)
    else:
        x.data = float(numbers)


def _analytic(fn, inputs):
    for x in inputs:
        if _is_array(x):
            x.zero_grad()
        else:
            x.grad = 0.0
    output = fn(*inputs)
    _scalar_of(output)              # the type check, before backward
    output.backward()
    return [x.grad().numpy() if _is_array(x) else np.array(float(x.grad)) for x in inputs]


def _numeric(fn, inputs, eps):
    grads = []
    for x in inputs:
        base = _get(x)
        grad = np.zeros_like(base)
        try:
            for index in np.ndindex(base.shape):
                sides = []
                for step in (eps, -eps):
                    moved = base.copy()
                    moved[index] += step
                    _set(x, moved)
                    # the perturbed runs need no graph: only their numbers count
                    with no_grad():
                        sides.append(_scalar_of(fn(*inputs)))
                grad[index] = (sides[0] - sides[1]) / (2.0 * eps)
        finally:
            _set(x, base)
        grads.append(grad)
    return grads


def gradcheck(fn, *inputs, eps=1e-6, rtol=1e-5, atol=1e-8, raise_on_failure=False):
    """Check `fn`'s backward gradients against central finite differences.

    `fn(*inputs)` must return an MLArray or a Value (an array is summed, as backward
    does). `inputs` are MLArrays or Values of one backend that track gradients; fn
    runs with that backend active. Each element is moved by ±eps in place (and put
    back afterwards) and fn re-run under `no_grad`, so the check costs 2·N + 1 calls
    of fn for N input elements: use small inputs.

    The inputs' gradients are zeroed first; afterwards they hold the analytic
    gradient. Returns a `GradcheckResult`, truthy when every element satisfies
    `|analytic − numeric| <= atol + rtol·|numeric|`; with `raise_on_failure=True` a
    failure raises `GradcheckError` (an AssertionError) instead.

    Raises ValueError for no inputs or an input that does not require grad,
    TypeError for inputs that are not smolml objects or mix backends, and
    RuntimeError when called inside `no_grad` (backward would have no graph).
    """
    if not inputs:
        raise ValueError("gradcheck needs at least one input to differentiate with respect to")
    backends = {_backend.backend_of(x) for x in inputs}
    if None in backends:
        bad = next(x for x in inputs if _backend.backend_of(x) is None)
        raise TypeError(f"gradcheck inputs must be MLArrays or Values; got {type(bad).__name__}")
    if len(backends) > 1:
        raise TypeError("cannot mix objects of the 'engine' and 'pure' backends in one expression")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise ValueError(f"gradcheck input {i} does not require grad, so backward gives it "
                             f"no gradient; make it with requires_grad=True")
    with _backend.use_backend(backends.pop()):
        if not _backend.active_module().is_grad_enabled():
            raise RuntimeError("gradcheck was called inside smolml.no_grad(): backward needs "
                               "the graph; call it outside the block")
        analytic = _analytic(fn, inputs)
        numeric = _numeric(fn, inputs, eps)
    result = GradcheckResult(analytic, numeric, eps, rtol, atol)
    if raise_on_failure and not result:
        raise GradcheckError(result)
    return result
