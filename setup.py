"""Build script: cythonizes every src/smolml/_engine/*.pyx into the engine backend (the
.pxi files are the pieces that graph.pyx and kernels.pyx include, and ops.pxd the op codes
both cimport).

The engine is optional, as the extensions of aio-libs' multidict and frozenlist are:
smolml has a complete pure-Python backend, so when the engine cannot be compiled (no C
compiler, no Python headers) the install goes on without it, prints one message saying
so, and leaves a marker file (ENGINE_SKIPPED_MARKER) that `python -m smolml info` and
the import-time warning read. Two environment variables steer this:

    SMOLML_NO_EXTENSIONS=1    skip the engine on purpose (install the pure backend only)
    SMOLML_REQUIRE_ENGINE=1   a failed engine build fails the install (CI sets it)
"""
import os
import re
import sys
from glob import glob
from pathlib import Path

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, ExecError, LinkError, PlatformError

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "embedsignature": True,
    "cdivision": True,          # IEEE float division: x/0.0 gives inf/nan, never ZeroDivisionError
    "initializedcheck": False,
    # boundscheck/wraparound stay on (Cython's defaults): the kernels index C pointers,
    # which Cython never checks, and no Python-level indexing is hot enough to want them off.
}

EXTRA_COMPILE_ARGS = ["/O2"] if sys.platform == "win32" else ["-O3"]

# Written next to the engine's sources when the engine was not built; its text says why.
ENGINE_SKIPPED_MARKER = "ENGINE_SKIPPED"
BUILD_ERRORS = (CCompilerError, CompileError, ExecError, LinkError, PlatformError, OSError)


def flag(name):
    return os.environ.get(name, "").strip() == "1"


def failure(error):
    """A compiler error in one line: the command that failed, not its whole argument list."""
    command = re.match(r"Command '\['([^']+)'", str(error))
    if command:
        return f"{type(error).__name__}: the C compiler {command.group(1)} failed"
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text if len(text) <= 160 else text[:157] + '...'}"


class optional_build_ext(build_ext):
    """build_ext that installs the pure backend alone when the engine cannot be compiled."""

    def run(self):
        if flag("SMOLML_NO_EXTENSIONS"):
            if flag("SMOLML_REQUIRE_ENGINE"):
                raise SystemExit("smolml: SMOLML_NO_EXTENSIONS=1 and SMOLML_REQUIRE_ENGINE=1 "
                                 "contradict each other; unset one of them")
            self.skip("skipped on purpose: SMOLML_NO_EXTENSIONS=1 was set at install")
            return
        try:
            super().run()
        except BUILD_ERRORS as error:
            if flag("SMOLML_REQUIRE_ENGINE"):
                raise
            self.skip(f"it could not be compiled ({failure(error)})")
            return
        for marker in self.marker_paths():
            marker.unlink(missing_ok=True)

    def marker_paths(self):
        """Where the marker goes: the engine package's directory in the build (src/ for an
        in-place build), and in src/ too for an editable install, which imports from there."""
        paths = {Path(self.get_ext_fullpath("smolml._engine.graph")).parent}
        if getattr(self, "editable_mode", False):
            build_py = self.get_finalized_command("build_py")
            paths.add(Path(build_py.get_package_dir("smolml._engine")))
        return [path / ENGINE_SKIPPED_MARKER for path in sorted(paths)]

    def skip(self, reason):
        for marker in self.marker_paths():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(reason + "\n", encoding="utf-8")
        bar = "=" * 78
        print(f"\n{bar}\nsmolml: the compiled engine was not built: {reason}.\n"
              "smolml installs with its pure-Python backend only (the same API, much slower).\n"
              "To get the engine, install a C compiler and the Python headers (on Debian or\n"
              "Ubuntu: apt-get install build-essential python3-dev) and run the install again;\n"
              "SMOLML_REQUIRE_ENGINE=1 makes a failed build an error instead.\n"
              f"{bar}\n", file=sys.stderr, flush=True)


sources = sorted(glob("src/smolml/_engine/*.pyx"))
extensions = [
    Extension(
        "smolml._engine." + Path(path).stem,
        [path],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=EXTRA_COMPILE_ARGS,
    )
    for path in sources
]

if not flag("SMOLML_NO_EXTENSIONS"):         # a skipped engine needs no C sources
    from Cython.Build import cythonize
    extensions = cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES)

setup(ext_modules=extensions, cmdclass={"build_ext": optional_build_ext})
