"""Sphinx configuration of smolml's API reference (docs/api), built from the docstrings
by scripts/build_docs.sh with warnings as errors."""
import smolml

project = "smolml"
author = "the smolml authors"
copyright = "2026, the smolml authors"
release = version = smolml.__version__

extensions = ["sphinx.ext.autodoc"]
# Docstrings quote code in single backticks, as in markdown: show it as code.
default_role = "code"
autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
autodoc_class_signature = "separated"
autodoc_typehints = "none"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
