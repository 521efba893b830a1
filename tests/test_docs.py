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
PAGES = GUIDES + ["benchmarks.md", "smolml_api.md"]   # commands, figures, tables: no python
LANGUAGES = {"python", "output", "text", "bash"}
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def blocks(text):
    """(language, body, line number of the body's first line) of each fenced block."""
    for match in FENCE.finditer(text):
        yield match.group(1).strip(), match.group(2), text.count("\n", 0, match.start(2)) + 1


def test_every_guide_is_there():
    assert sorted(path.name for path in DOCS.glob("*.md")) == sorted(PAGES)


def test_benchmarks_page_has_only_known_blocks():
    text = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    for language, _, line in blocks(text):
        assert language in LANGUAGES - {"python", "output"}, f"benchmarks.md:{line}: ```{language}"


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


README = DOCS.parent / "README.md"
README_TEXT = README.read_text(encoding="utf-8") if README.is_file() else ""
README_PYTHON = [(body, line) for language, body, line in blocks(README_TEXT)
                 if language == "python"]


@pytest.mark.skipif(not README_TEXT, reason="needs the checkout's README.md")
@pytest.mark.parametrize("body, line", README_PYTHON,
                         ids=[f"README.md:{line}" for _, line in README_PYTHON])
def test_readme_block_runs_alone(body, line, tmp_path, monkeypatch):
    """Each README block is self-contained: it runs in a fresh namespace."""
    if ".train(" in body and smolml.get_backend() != "engine":
        pytest.skip("README's training example is sized for the engine")
    monkeypatch.chdir(tmp_path)
    buffer = io.StringIO()
    dtype = smolml.get_default_dtype()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(compile(body, f"{README}:{line}", "exec"), {"__name__": "readme"})
    finally:
        smolml.set_default_dtype(dtype)        # a block may change it for what follows
    if "held-out accuracy" in body:                    # the quickstart's claim
        accuracy = float(re.search(r"held-out accuracy: ([\d.]+)%", buffer.getvalue()).group(1))
        assert accuracy >= 90.0


@pytest.mark.skipif(not README_TEXT, reason="needs the checkout's README.md")
def test_readme_blocks_are_known_languages():
    assert README_PYTHON
    for language, _, line in blocks(README_TEXT):
        assert language in {"python", "bash", "text"}, f"README.md:{line}: ```{language}"


@pytest.mark.skipif(not README_TEXT, reason="needs the checkout's README.md")
def test_readme_links_every_guide_and_example_and_each_link_resolves():
    links = set(re.findall(r"\]\(([^)#]+)\)", README_TEXT))
    for page in PAGES:
        assert f"docs/{page}" in links, f"README does not link docs/{page}"
    for example in sorted((DOCS.parent / "examples").glob("*.py")):
        assert f"examples/{example.name}" in links, f"README does not link examples/{example.name}"
    for link in links:
        if not link.startswith("http"):
            assert (DOCS.parent / link).exists(), f"README links {link}, which does not exist"
