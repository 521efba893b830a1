"""Which backend a fresh interpreter picks: SMOLML_BACKEND, and the fallback to `pure`
(with one RuntimeWarning saying how to build) when the compiled engine is missing."""
import json
import os
import subprocess
import sys

import pytest

from smolml import _backend

# Run in a child interpreter; `hide_engine` makes `import smolml._engine` fail there, as
# in a source checkout that was never built.
PROGRAM = r"""
import json, sys, warnings
if {hide_engine}:
    sys.modules["smolml._engine"] = None
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        import smolml
        outcome = {{"backend": smolml.get_backend(),
                    "value_backend": type(smolml.Value(1.0))._smolml_backend}}
    except ImportError as error:
        outcome = {{"import_error": str(error)}}
outcome["warnings"] = [(w.category.__name__, str(w.message)) for w in caught
                       if issubclass(w.category, RuntimeWarning)]
print(json.dumps(outcome))
"""


def run(hide_engine, env_backend=None):
    env = {k: v for k, v in os.environ.items() if k != "SMOLML_BACKEND"}
    if env_backend is not None:
        env["SMOLML_BACKEND"] = env_backend
    result = subprocess.run([sys.executable, "-c", PROGRAM.format(hide_engine=hide_engine)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_missing_engine_falls_back_to_pure_with_one_warning():
    outcome = run(hide_engine=True)
    assert outcome["backend"] == "pure" and outcome["value_backend"] == "pure"
    assert len(outcome["warnings"]) == 1
    message = outcome["warnings"][0][1]
    assert "pip install ." in message and "C compiler" in message
    assert "pip install smolml" not in message     # no release to install exists


def test_requiring_a_missing_engine_is_an_import_error():
    outcome = run(hide_engine=True, env_backend="engine")
    assert "SMOLML_BACKEND=engine" in outcome["import_error"]
    assert "pip install" in outcome["import_error"]


def test_env_var_selects_pure_without_warning():
    outcome = run(hide_engine=False, env_backend="pure")
    assert outcome["backend"] == "pure" and outcome["warnings"] == []


def test_unknown_env_backend_names_the_choices():
    env = dict(os.environ, SMOLML_BACKEND="gpu")
    result = subprocess.run([sys.executable, "-c", "import smolml"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert "unknown backend 'gpu'" in result.stderr and "engine, pure" in result.stderr


@pytest.mark.skipif(not _backend.engine_available(), reason="the compiled engine is not built")
def test_built_engine_is_the_default():
    outcome = run(hide_engine=False)
    assert outcome["backend"] == "engine" and outcome["warnings"] == []
