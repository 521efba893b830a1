#!/usr/bin/env bash
# Build the API reference (docs/api, Sphinx autodoc over the installed smolml, the
# compiled engine included) into docs/api/_build/html with every warning an error, then
# check that it documents every public name of smolml.
#
# Usage: scripts/build_docs.sh        (needs the docs extra: pip install -e ".[docs]")
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
out=docs/api/_build

"$python" -m sphinx -E -W --keep-going -q -b html docs/api "$out/html"
"$python" scripts/check_api_coverage.py "$out/html/objects.inv"
echo "API reference: $out/html/index.html"
