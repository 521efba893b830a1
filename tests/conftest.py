"""One fixture runs a test on every built backend: `def test_x(backend): ...`.

Set SMOLML_REQUIRE_ENGINE=1 (CI does) to fail instead of quietly testing `pure` only
when the compiled engine is missing.
"""
import os

import pytest

import smolml
from smolml import _backend

AVAILABLE_BACKENDS = [name for name in smolml.BACKENDS
                      if name != "engine" or _backend.engine_available()]

if os.environ.get("SMOLML_REQUIRE_ENGINE") == "1" and "engine" not in AVAILABLE_BACKENDS:
    raise RuntimeError("SMOLML_REQUIRE_ENGINE=1 but smolml's compiled engine did not load")


@pytest.fixture(params=AVAILABLE_BACKENDS)
def backend(request):
    """The backend name; the test body runs with that backend active."""
    with smolml.use_backend(request.param):
        yield request.param


@pytest.fixture
def both_backends():
    """The backends to compare in parity tests (skips when only one is built)."""
    if len(AVAILABLE_BACKENDS) < 2:
        pytest.skip("parity needs both backends; the engine is not built")
    return AVAILABLE_BACKENDS
