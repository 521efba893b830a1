"""Backend selection, the public classes that stand for either backend, SmolML's import
paths and seeded randomness."""
import math

import numpy as np
import pytest

import smolml
from smolml import _backend


def test_get_and_use_backend(backend):
    assert smolml.get_backend() == backend
    with smolml.use_backend("pure") as name:
        assert name == "pure" and smolml.get_backend() == "pure"
        with smolml.use_backend(backend):
            assert smolml.get_backend() == backend
        assert smolml.get_backend() == "pure"
    assert smolml.get_backend() == backend


def test_use_backend_restores_on_exception(backend):
    with pytest.raises(KeyError):
        with smolml.use_backend("pure"):
            raise KeyError("boom")
    assert smolml.get_backend() == backend


def test_objects_belong_to_the_active_backend(backend):
    x = smolml.MLArray([1.0, 2.0])
    v = smolml.Value(1.0)
    assert isinstance(x, smolml.MLArray) and not isinstance(x, smolml.Value)
    assert isinstance(v, smolml.Value) and not isinstance(v, smolml.MLArray)
    assert _backend.backend_of(x) == backend and _backend.backend_of(v) == backend
    for made in (smolml.zeros(2), smolml.ones(2), smolml.randn(2), x + 1, x.sum(),
                 smolml.MLArray.xavier_uniform(2, 3), x.grad()):
        assert isinstance(made, smolml.MLArray)
        assert _backend.backend_of(made) == backend
    assert isinstance(x.data[0], smolml.Value)
    assert isinstance((v * 2), smolml.Value)
    assert not isinstance(1.0, smolml.Value) and not isinstance([1.0], smolml.MLArray)


def test_backend_module_surface(backend):
    module = _backend.active_module()
    assert module.NAME == backend
    for name in _backend.BACKEND_API:
        assert hasattr(module, name), name
    assert module.Value._smolml_backend == backend
    assert module.MLArray._smolml_backend == backend
    previous = module.set_grad_enabled(False)
    assert previous is True and module.is_grad_enabled() is False
    assert module.set_grad_enabled(previous) is False
    assert module.is_grad_enabled() is True


def test_isinstance_across_backends(both_backends):
    made = []
    for name in both_backends:
        with smolml.use_backend(name):
            made.append((smolml.MLArray([1.0]), smolml.Value(1.0)))
    with smolml.use_backend("pure"):
        for array, value in made:
            assert isinstance(array, smolml.MLArray) and isinstance(value, smolml.Value)


def test_smolml_import_paths(backend):
    from smolml.core.value import Value
    from smolml.core.ml_array import MLArray, zeros, ones, randn
    assert Value is smolml.Value and MLArray is smolml.MLArray
    x = MLArray([[1.0, 2.0]])
    assert isinstance(x, MLArray) and x.shape == (1, 2)
    assert zeros(1, 2).to_list() == [[0.0, 0.0]]
    assert ones((2,)).to_list() == [1.0, 1.0]
    assert randn(3).shape == (3,)
    assert isinstance(Value(1.0), Value)


def test_manual_seed_reproduces_randn(backend):
    smolml.manual_seed(123)
    first = smolml.randn(3, 4).to_list()
    smolml.manual_seed(123)
    second = smolml.randn(3, 4).to_list()
    assert first == second
    assert smolml.randn(3, 4).to_list() != first
    # one NumPy draw, row-major, from a PCG64 seeded by 128 bits of Random(123)
    import random
    reference = np.random.Generator(np.random.PCG64(random.Random(123).getrandbits(128)))
    assert first == reference.normal(0.0, 1.0, (3, 4)).tolist()


def test_manual_seed_reproduces_xavier(backend):
    import random
    smolml.manual_seed(7)
    uniform = smolml.MLArray.xavier_uniform(3, 5)
    normal = smolml.MLArray.xavier_normal(3, 5)
    stream = random.Random(7)
    limit = math.sqrt(6 / 8)
    expected_uniform = np.random.Generator(np.random.PCG64(stream.getrandbits(128))).uniform(
        -limit, limit, (3, 5))
    sigma = math.sqrt(2 / 8)
    expected_normal = np.random.Generator(np.random.PCG64(stream.getrandbits(128))).normal(
        0.0, sigma, (3, 5))
    assert uniform.shape == (3, 5) and normal.shape == (3, 5)
    assert np.allclose(uniform.numpy(), expected_uniform, rtol=1e-15, atol=0)
    assert np.allclose(normal.numpy(), expected_normal, rtol=1e-15, atol=0)
    assert uniform.requires_grad and normal.requires_grad


def test_same_seed_same_numbers_on_both_backends(both_backends):
    draws = []
    for name in both_backends:
        with smolml.use_backend(name):
            smolml.manual_seed(5)
            draws.append((smolml.randn(2, 3).to_list(),
                          smolml.MLArray.xavier_uniform(2, 2).to_list()))
    assert all(d == draws[0] for d in draws)


def test_ensure_array(backend):
    x = smolml.MLArray([1.0])
    assert smolml.MLArray.ensure_array(x) is x
    single = smolml.MLArray.ensure_array(2.5)
    assert isinstance(single, smolml.MLArray) and single.to_list() == [2.5]
    a, b, c = smolml.MLArray.ensure_array([1, 2], np.array([[3.0]]), x)
    assert a.to_list() == [1.0, 2.0] and b.to_list() == [[3.0]] and c is x


@pytest.mark.parametrize("name", ["MLArray", "Value"])
def test_help_and_dir_of_the_public_classes_list_the_methods(name):
    import pydoc
    from smolml._pure import ml_array as pure_ml_array, value as pure_value
    public = getattr(smolml, name)
    pure = {"MLArray": pure_ml_array.MLArray, "Value": pure_value.Value}[name]
    methods = [attr for attr in vars(pure) if not attr.startswith("_")
               and callable(getattr(pure, attr))]
    assert methods
    listed = dir(public)
    assert [attr for attr in methods if attr not in listed] == []
    text = pydoc.render_doc(public, renderer=pydoc.plaintext)
    for attr in ("backward", "exp", "relu" if name == "Value" else "matmul"):
        assert f" {attr}(" in text, f"help({name}) does not show {attr}"
