#!/usr/bin/env bash
# Type-check tests/typing/api_usage.py against smolml's stubs (src/smolml/**/*.pyi) with
# mypy, strict: an assert_type that no longer holds, or a stub that lost a name, fails.
#
# Usage: scripts/check_types.sh        (needs mypy: pip install -e ".[docs]")
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
# The installed smolml is what is checked (its py.typed and stubs); smolml's own
# unannotated sources are followed silently, not type-checked.
"$python" -m mypy --strict --follow-imports=silent --no-incremental tests/typing/api_usage.py
