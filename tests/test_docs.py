"""The guides in docs/ cannot rot: every ```python block runs, in order, in one
namespace per guide, on the default backend; an ```output block right after a python
block must be exactly what that block printed."""
import contextlib
import io
import re
from pathlib import Path

import pytest

import smolml

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = ["core.md", "engine.md", "neural_networks.md", "utilities.md", "classic_models.md"]
MEASUREMENTS = ["benchmarks.md"]        # tables and how they were measured: no python to run
LANGUAGES = {"python", "output", "text", "bash"}
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def blocks(text):
    """(language, body, line number of the body's first line) of each fenced block."""
    for match in FENCE.finditer(text):
        yield match.group(1).strip(), match.group(2), text.count("\n", 0, match.start(2)) + 1


def test_every_guide_is_there():
    assert sorted(path.name for path in DOCS.glob("*.md")) == sorted(GUIDES + MEASUREMENTS)


@pytest.mark.parametrize("name", MEASUREMENTS)
def test_measurement_pages_hold_only_commands_and_tables(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    assert {language for language, _, _ in blocks(text)} <= {"bash", "text"}


@pytest.mark.parametrize("name", GUIDES)
def test_guide(name, tmp_path, monkeypatch):
    if name == "engine.md" and smolml.get_backend() != "engine":
        pytest.skip("the engine guide runs on the engine, which is not the default here")
    monkeypatch.chdir(tmp_path)             # a guide may write files (plots, images)
    path = DOCS / name
    text = path.read_text(encoding="utf-8")
    namespace = {"__name__": f"docs_{path.stem}"}
    printed = None
    ran = 0
    for language, body, line in blocks(text):
        assert language in LANGUAGES, f"{name}:{line}: a ```{language} block (use python or text)"
        if language == "python":
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(body, f"{path}:{line}", "exec"), namespace)
            printed = buffer.getvalue()
            ran += 1
        elif language == "output":
            assert printed is not None, f"{name}:{line}: an output block with no python block before it"
            assert printed == body, f"{name}:{line}: the block before printed:\n{printed}"
            printed = None
        else:
            printed = None
    assert ran > 0, f"{name} has no python block"
