"""Build script: cythonizes every src/smolml/_engine/*.pyx into the engine backend (the
.pxi files are the pieces that graph.pyx and kernels.pyx include, and ops.pxd the op codes
both cimport)."""
import sys
from glob import glob
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "embedsignature": True,
    "cdivision": True,          # IEEE float division: x/0.0 gives inf/nan, never ZeroDivisionError
    "initializedcheck": False,
    # boundscheck/wraparound stay on (Cython's defaults): the kernels index C pointers,
    # which Cython never checks, and no Python-level indexing is hot enough to want them off.
}

EXTRA_COMPILE_ARGS = ["/O2"] if sys.platform == "win32" else ["-O3"]

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

setup(ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES))
