"""`python -m smolml info` and smolml._info.collect(), checked against facts found
another way: package metadata, the import system, NumPy's own printout."""
import importlib.machinery
import importlib.metadata
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy
import pytest

import smolml
from smolml import _backend, _info
from smolml.__main__ import main


def test_version_is_the_installed_distribution():
    info = _info.collect()
    assert info["version"] == importlib.metadata.version("smolml") == smolml.__version__


def test_backend_is_the_active_one(backend):
    info = _info.collect()
    assert info["backend"] == backend == smolml.get_backend()


def test_smolml_and_numpy_files_are_the_imported_ones():
    info = _info.collect()
    assert Path(info["smolml_file"]) == Path(smolml.__file__)
    assert Path(info["numpy_file"]) == Path(numpy.__file__)
    assert info["numpy"] == importlib.metadata.version("numpy")


def test_engine_status_matches_the_import_system():
    info = _info.collect()
    engine_dir = Path(smolml.__file__).parent / "_engine"
    built = any((engine_dir / f"graph{suffix}").is_file()
                for suffix in importlib.machinery.EXTENSION_SUFFIXES)
    assert info["engine_loaded"] == built
    if os.environ.get("SMOLML_REQUIRE_ENGINE") == "1":
        assert info["engine_loaded"]
    if not built:
        assert info["engine_error"] and info["engine_files"] == {}
        return
    assert info["engine_error"] is None
    graph = sys.modules["smolml._engine.graph"]
    assert Path(info["engine_files"]["graph"]) == Path(graph.__file__)
    for path in info["engine_files"].values():
        assert Path(path).is_file()
        assert path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def test_blas_is_the_one_numpy_prints(capsys):
    blas = _info.numpy_blas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # NumPy suggests installing pyyaml
        numpy.show_config()
    printed = capsys.readouterr().out
    assert blas["name"] and blas["name"] in printed


def test_blas_of_numpy_without_show_config_mode(monkeypatch):
    def show_config():                      # NumPy < 1.26 takes no arguments
        print("blas_opt_info: ...")

    monkeypatch.setattr(numpy, "show_config", show_config)
    monkeypatch.setattr(numpy.__config__, "blas_ilp64_opt_info", None, raising=False)
    monkeypatch.setattr(numpy.__config__, "blas_opt_info",
                        {"libraries": ["openblas", "openblas"], "language": "c"}, raising=False)
    assert _info.numpy_blas() == {"name": "openblas", "version": None, "detail": None}


def test_an_engine_that_did_not_load_is_reported_with_why(monkeypatch, tmp_path):
    monkeypatch.setattr(_backend, "ENGINE_SKIPPED_MARKER", tmp_path / "absent")  # not skipped
    monkeypatch.setattr(_backend, "engine_available", lambda: False)
    monkeypatch.setattr(_backend, "_engine_error", ImportError("no module named graph"))
    info = _info.collect()
    assert info["engine_loaded"] is False and info["engine_files"] == {}
    assert info["engine_error"] == "ImportError: no module named graph"
    text = _info.format_info(info)
    assert "not loaded (ImportError: no module named graph)" in text
    assert _backend.BUILD_HINT in text


def test_info_command_prints_the_collected_facts(capsys):
    assert main(["info"]) == 0
    text = capsys.readouterr().out
    info = _info.collect()
    assert f"smolml: {info['version']}" in " ".join(text.split())
    assert f"backend: {info['backend']}" in " ".join(text.split())
    for path in info["engine_files"].values():
        assert path in text


def test_info_json_from_the_command_line():
    result = subprocess.run([sys.executable, "-m", "smolml", "info", "--json"],
                            capture_output=True, text=True, check=True)
    info = json.loads(result.stdout)
    assert info["version"] == smolml.__version__
    assert info["engine_loaded"] == _backend.engine_available()
    assert info["backend"] == smolml.get_backend()


@pytest.mark.parametrize("name", ["engine", "pure"])
def test_info_json_follows_smolml_backend(name):
    if name == "engine" and not _backend.engine_available():
        pytest.skip("the compiled engine is not built")
    env = dict(os.environ, SMOLML_BACKEND=name)
    result = subprocess.run([sys.executable, "-m", "smolml", "info", "--json"],
                            capture_output=True, text=True, check=True, env=env)
    info = json.loads(result.stdout)
    assert info["backend"] == name and info["backend_env"] == name
