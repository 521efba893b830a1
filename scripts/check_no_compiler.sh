#!/usr/bin/env bash
# Check the install path of a machine with no C compiler:
#   1. hide the compiler (CC, CXX and LDSHARED point at /bin/false, and gcc, cc and the
#      target-prefixed gcc on PATH are shims that fail);
#   2. `pip install ".[test]"` from this checkout into a fresh virtual environment: the
#      engine's build fails, and the install must go on with the pure backend alone;
#   3. the installed smolml runs the pure backend and says why (`python -m smolml info`);
#   4. the test suite passes against it, the engine-only tests skipped.
# Any failing step stops the script with a non-zero exit.
#
# Usage: scripts/check_no_compiler.sh        (PYTHON=python3.12 picks another interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
python=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/smolml-no-compiler.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n== check_no_compiler [%4ds] %s\n' "$SECONDS" "$*"; }
fail() { printf 'check_no_compiler: FAILED: %s\n' "$*" >&2; exit 1; }

step "hide the C compiler"
mkdir "$work/shims"
for name in gcc cc c++ g++ clang x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc; do
    printf '#!/bin/sh\necho "%s: hidden by check_no_compiler" >&2\nexit 1\n' "$name" \
        > "$work/shims/$name"
    chmod +x "$work/shims/$name"
done
export PATH="$work/shims:$PATH" CC=/bin/false CXX=/bin/false LDSHARED=/bin/false
unset SMOLML_REQUIRE_ENGINE SMOLML_NO_EXTENSIONS SMOLML_BACKEND
if gcc --version > /dev/null 2>&1; then fail "gcc still runs"; fi

step "pip install \".[test]\" into a fresh venv (the engine's build must fail, the install not)"
"$python" -m venv "$work/venv"
venv_python="$work/venv/bin/python"
"$venv_python" -m pip install --quiet --upgrade pip
if ! "$venv_python" -m pip install -v "$repo[test]" > "$work/install.log" 2>&1; then
    tail -n 60 "$work/install.log" >&2
    fail "pip install without a compiler (the last lines of its log are above)"
fi
grep -A 6 "smolml: the compiled engine was not built" "$work/install.log" \
    || fail "the install did not say that it skipped the engine"

step "the installed smolml runs the pure backend and says why"
cd "$work"
"$venv_python" -m smolml info | tee "$work/info.txt"
grep -q "^backend: *pure" "$work/info.txt" || fail "backend is not pure"
grep -q "the install skipped it: it could not be compiled" "$work/info.txt" \
    || fail "smolml info does not say that the install skipped the engine"
if grep -q "pip install smolml" "$work/info.txt"; then fail "info recommends a release"; fi

step "the test suite on the pure backend, against the installed smolml"
# A copy of the checkout without src/, so the only smolml to import is the installed one.
mkdir "$work/run"
tar -C "$repo" -cf - --exclude=./src --exclude=./.git --exclude=./.venv --exclude=./build \
    --exclude=./dist --exclude=./wheelhouse --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=.pytest_cache --exclude=.hypothesis --exclude=.benchmarks . | tar -C "$work/run" -xf -
cd "$work/run"
"$venv_python" -m pytest -p no:cacheprovider -q -rs tests | tee "$work/pytest.txt"
grep -q "the compiled engine is not built" "$work/pytest.txt" \
    || fail "no engine-only test was reported as skipped"

step "passed: without a compiler, smolml installs and passes its tests on the pure backend"
