"""The engine is optional at install: setup.py's build_ext skips it when it cannot be
compiled (or when SMOLML_NO_EXTENSIONS=1), leaves a marker saying why, and fails hard
under SMOLML_REQUIRE_ENGINE=1; the import-time messages read that marker. Each build
runs `python setup.py build_ext` into a temporary directory, away from src/."""
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smolml import _backend, _info

ROOT = Path(__file__).resolve().parent.parent

def setuptools_version():
    try:
        return tuple(int(part) for part in importlib.metadata.version("setuptools").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return (0, 0)


needs_source_tree = pytest.mark.skipif(
    not (ROOT / "setup.py").is_file() or not (ROOT / "src" / "smolml").is_dir()
    or setuptools_version() < (77, 0),
    reason="needs smolml's source tree (setup.py, src/) and setuptools >= 77, its build "
           "requirement (PEP 639 license metadata)")
needs_cython = pytest.mark.skipif(importlib.util.find_spec("Cython") is None,
                                  reason="compiling the engine needs Cython")


def build_ext(tmp_path, **env_vars):
    env = {key: value for key, value in os.environ.items()
           if key not in ("SMOLML_NO_EXTENSIONS", "SMOLML_REQUIRE_ENGINE")}
    env.update(env_vars)
    result = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--build-lib", str(tmp_path / "lib"),
         "--build-temp", str(tmp_path / "temp")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    engine_dir = tmp_path / "lib" / "smolml" / "_engine"
    marker = engine_dir / "ENGINE_SKIPPED"
    built = [path for suffix in importlib.machinery.EXTENSION_SUFFIXES
             for path in engine_dir.glob(f"*{suffix}")]
    return result, (marker.read_text() if marker.is_file() else None), built


@needs_source_tree
def test_no_extensions_skips_the_engine_and_says_why(tmp_path):
    result, marker, built = build_ext(tmp_path, SMOLML_NO_EXTENSIONS="1")
    assert result.returncode == 0, result.stderr
    assert built == []
    assert "SMOLML_NO_EXTENSIONS=1" in marker
    assert "the compiled engine was not built" in result.stderr
    assert "pure-Python backend" in result.stderr
    assert "pip install smolml" not in result.stderr


@needs_source_tree
def test_no_extensions_with_require_engine_is_a_contradiction(tmp_path):
    result, marker, built = build_ext(tmp_path, SMOLML_NO_EXTENSIONS="1",
                                      SMOLML_REQUIRE_ENGINE="1")
    assert result.returncode != 0
    assert "SMOLML_NO_EXTENSIONS=1 and SMOLML_REQUIRE_ENGINE=1" in result.stderr
    assert marker is None and built == []


@needs_source_tree
@needs_cython
def test_a_failing_compiler_installs_the_pure_backend_with_one_message(tmp_path):
    result, marker, built = build_ext(tmp_path, CC="/bin/false", LDSHARED="/bin/false")
    assert result.returncode == 0, result.stderr
    assert built == []
    assert marker.startswith("it could not be compiled")
    assert "the C compiler /bin/false failed" in marker and len(marker) < 200
    assert result.stderr.count("the compiled engine was not built") == 1
    assert "C compiler" in result.stderr and "SMOLML_REQUIRE_ENGINE=1" in result.stderr


@needs_source_tree
@needs_cython
def test_a_failing_compiler_fails_the_build_when_the_engine_is_required(tmp_path):
    result, marker, built = build_ext(tmp_path, CC="/bin/false", LDSHARED="/bin/false",
                                      SMOLML_REQUIRE_ENGINE="1")
    assert result.returncode != 0
    assert marker is None and built == []


def test_messages_name_the_skip_reason_from_the_marker(tmp_path, monkeypatch):
    marker = tmp_path / "ENGINE_SKIPPED"
    marker.write_text("skipped on purpose: SMOLML_NO_EXTENSIONS=1 was set at install\n")
    monkeypatch.setattr(_backend, "ENGINE_SKIPPED_MARKER", marker)
    monkeypatch.setattr(_backend, "engine_available", lambda: False)
    monkeypatch.setattr(_backend, "_engine_error", ImportError("No module named 'graph'"))
    assert _backend.engine_missing() == ("the install skipped it: skipped on purpose: "
                                         "SMOLML_NO_EXTENSIONS=1 was set at install")
    text = _info.format_info(_info.collect())
    assert "the install skipped it: skipped on purpose: SMOLML_NO_EXTENSIONS=1" in text


def test_without_a_marker_the_message_is_the_import_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_backend, "ENGINE_SKIPPED_MARKER", tmp_path / "absent")
    monkeypatch.setattr(_backend, "_engine_error", ImportError("No module named 'graph'"))
    assert _backend.engine_skipped_reason() is None
    assert _backend.engine_missing() == "ImportError: No module named 'graph'"


def test_no_message_recommends_a_release_that_does_not_exist():
    assert "pip install smolml" not in _backend.BUILD_HINT
    assert "C compiler" in _backend.BUILD_HINT and "pip install ." in _backend.BUILD_HINT
