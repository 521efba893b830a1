"""The hand-written NumPy MLP step is an oracle for smolml's: one step of each from the
same weights on the same batch gives the same loss and the same updated weights.

Plain tests, not benchmarks (`--benchmark-only` skips them); they need neither PyTorch
nor micrograd, though the PyTorch check runs when it is installed.
"""
import numpy as np
import pytest

import smolml
import workloads as w
from harness import _unavailable

SIZES = {"small": ([64, 32, 10], 32), "medium": ([784, 256, 10], 128)}
RTOL = {"float64": 1e-10, "float32": 1e-4}


def _backends():
    """engine (when built) on both sizes; pure on the small one (about 25 s a step on
    the medium one)."""
    params = []
    for backend in smolml.BACKENDS:
        reason = _unavailable(backend)
        for size in SIZES:
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            if backend == "pure" and size != "small":
                marks = [pytest.mark.skip(reason="too slow on pure for this check")]
            params.append(pytest.param(backend, size, marks=marks, id=f"{backend}-{size}"))
    return params


def _assert_same_weights(mine, reference, dtype):
    """Each updated weight and bias equal to rtol; atol only for float32, whose zero-
    started biases are small sums of rounded terms."""
    for index, (ours, theirs) in enumerate(zip(mine, reference, strict=True)):
        atol = 0.0 if dtype == "float64" else 2e-6 * float(np.abs(theirs).max())
        np.testing.assert_allclose(ours, theirs, rtol=RTOL[dtype], atol=atol,
                                   err_msg=f"parameter {index} ({'Wb'[index % 2]}{index // 2})")


def _smolml_step(sizes, batch_size, dtype, scale_output=1.0):
    model = w.ArrayMLP(sizes, dtype=dtype)
    if scale_output != 1.0:
        model.params[-2] = w.MLArray(w.mlp_weights(sizes)[-2] * scale_output,
                                     **w._dtype_keyword(dtype))
    loss = model.step(*w.array_batch(sizes[0], sizes[-1], batch_size, dtype))
    return loss, [p.numpy() for p in model.params]


def _numpy_step(sizes, batch_size, dtype, scale_output=1.0):
    model = w.NumpyMLP(sizes, dtype=dtype)
    model.params[-2] *= scale_output
    loss = model.step(*w.numpy_batch(sizes[0], sizes[-1], batch_size, dtype))
    return loss, model.params, model


@pytest.mark.parametrize("dtype", w.DTYPES)
@pytest.mark.parametrize("backend, size", _backends())
def test_numpy_step_matches_smolml(backend, size, dtype):
    sizes, batch_size = SIZES[size]
    with smolml.use_backend(backend):
        reason = w.smolml_dtype_unavailable(dtype)
        if reason:
            pytest.skip(reason)
        loss, weights = _smolml_step(sizes, batch_size, dtype)
    twin_loss, twin_weights, _ = _numpy_step(sizes, batch_size, dtype)
    assert twin_loss == pytest.approx(loss, rel=RTOL[dtype])
    _assert_same_weights(twin_weights, weights, dtype)
    for twin, ours in zip(twin_weights, weights):
        assert ours.dtype == twin.dtype == np.dtype(dtype)


@pytest.mark.parametrize("backend", [p for p in smolml.BACKENDS if not _unavailable(p)])
def test_numpy_step_matches_smolml_where_the_clip_bites(backend):
    """Output weights ×300 saturate the softmax: some target probabilities fall below
    1e-15, where clip stops the gradient. The twin's hand-derived mask must agree."""
    sizes, batch_size = SIZES["small"]
    twin_loss, twin_weights, twin = _numpy_step(sizes, batch_size, "float64",
                                                scale_output=300.0)
    assert not twin.passed.all(), "the clip should bite somewhere in this check"
    with smolml.use_backend(backend):
        loss, weights = _smolml_step(sizes, batch_size, "float64", scale_output=300.0)
    assert twin_loss == pytest.approx(loss, rel=1e-10)
    _assert_same_weights(twin_weights, weights, "float64")


@pytest.mark.parametrize("dtype", w.DTYPES)
def test_numpy_step_matches_torch(dtype):
    pytest.importorskip("torch")
    sizes, batch_size = SIZES["medium"]
    model = w.TorchMLP(sizes, dtype=dtype)
    loss = model.step(*w.torch_batch(sizes[0], sizes[-1], batch_size, dtype))
    twin_loss, twin_weights, _ = _numpy_step(sizes, batch_size, dtype)
    assert twin_loss == pytest.approx(loss, rel=RTOL[dtype])
    _assert_same_weights(twin_weights, [p.detach().numpy() for p in model.params], dtype)


def test_numpy_steps_reuse_their_arrays_and_learn():
    sizes, batch_size = SIZES["small"]
    model = w.NumpyMLP(sizes)
    X, Y = w.numpy_batch(sizes[0], sizes[-1], batch_size)
    losses = [model.step(X, Y)]
    arrays = [id(array) for array in model.params + model.grads + model.z + model.delta]
    losses += [model.step(X, Y) for _ in range(4)]
    assert [id(array) for array in model.params + model.grads + model.z + model.delta] == arrays
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
