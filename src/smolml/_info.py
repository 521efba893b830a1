"""What `python -m smolml info` reports: the active backend, whether the compiled
engine loaded (and if not, why), and the versions and BLAS that smolml runs on.

`collect()` returns the facts as a dict (tests check it); `format_info()` renders them
for people, one `name: value` line each.
"""
import os
import platform
import sys

import numpy

import smolml
from smolml import _backend, _threads


def collect():
    """The facts about this smolml installation, as a dict of plain values.

    Keys: version, backend, backend_env (SMOLML_BACKEND or None), engine_loaded,
    engine_error (why the engine did not load, or None), engine_skipped (why the install
    skipped building the engine, or None), engine_files (compiled
    module name -> file), smolml_file, python, implementation, platform, numpy,
    numpy_file, blas (see `numpy_blas`), blas_runtime (threadpoolctl's description of
    each BLAS library loaded: internal_api, version, architecture (the kernel it
    runs), num_threads, filepath), cores (`_threads.cpu_count()`).
    """
    loaded = _backend.engine_available()
    error = _backend._engine_error
    return {
        "version": smolml.__version__,
        "backend": smolml.get_backend(),
        "backend_env": os.environ.get("SMOLML_BACKEND") or None,
        "engine_loaded": loaded,
        "engine_error": None if loaded or error is None else f"{type(error).__name__}: {error}",
        "engine_skipped": None if loaded else _backend.engine_skipped_reason(),
        "engine_files": engine_files() if loaded else {},
        "smolml_file": smolml.__file__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "numpy_file": numpy.__file__,
        "blas": numpy_blas(),
        "blas_runtime": _threads.blas_info(),
        "cores": _threads.cpu_count(),
    }


def engine_files():
    """{module name: file} for the loaded compiled modules of smolml._engine."""
    prefix = "smolml._engine."
    return {name[len(prefix):]: module.__file__
            for name, module in sorted(sys.modules.items())
            if name.startswith(prefix) and getattr(module, "__file__", None)}


def numpy_blas():
    """The BLAS NumPy was built against: {"name", "version", "detail"} (None if unknown).

    NumPy >= 1.26 describes its build with `show_config(mode="dicts")`; older NumPy
    has no `mode` and lists the libraries it found as `numpy.__config__.*_info` dicts.
    """
    try:
        config = numpy.show_config(mode="dicts")
    except TypeError:
        config = None
    if config:
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return {"name": blas.get("name"), "version": blas.get("version"),
                "detail": blas.get("openblas configuration")}
    for key in ("blas_ilp64_opt_info", "blas_opt_info"):
        info = getattr(numpy.__config__, key, None)
        if info and info.get("libraries"):
            return {"name": ", ".join(dict.fromkeys(info["libraries"])), "version": None,
                    "detail": None}
    return {"name": None, "version": None, "detail": None}


def format_info(info):
    """The dict of `collect()` as the lines `python -m smolml info` prints."""
    if info["engine_loaded"]:
        engine = "loaded"
        files = list(info["engine_files"].values())
    else:
        why = (f"the install skipped it: {info['engine_skipped']}" if info["engine_skipped"]
               else info["engine_error"])
        engine = f"not loaded ({why}); {_backend.BUILD_HINT}"
        files = []
    if info["backend_env"]:
        chosen_by = f"SMOLML_BACKEND={info['backend_env']}"
    elif info["engine_loaded"]:
        chosen_by = "the default"
    else:
        chosen_by = "fallback: the compiled engine did not load"
    blas = info["blas"]
    blas_text = " ".join(part for part in (blas["name"] or "unknown", blas["version"]) if part)
    if blas["detail"]:
        blas_text += f" ({blas['detail']})"
    lines = [
        ("smolml", f"{info['version']} at {os.path.dirname(info['smolml_file'])}"),
        ("backend", f"{info['backend']} ({chosen_by})"),
        ("engine", engine),
        *(("engine file", path) for path in files),
        ("python", f"{info['python']} ({info['implementation']}) on {info['platform']}"),
        ("numpy", f"{info['numpy']} at {os.path.dirname(info['numpy_file'])}"),
        ("numpy BLAS", blas_text),
        *(("BLAS loaded", f"{pool['internal_api']} {pool['version'] or ''} kernel "
                          f"{pool.get('architecture') or 'unknown'}, "
                          f"threads {pool['num_threads']} on {info['cores']} cores "
                          f"({pool['filepath']})") for pool in info["blas_runtime"]),
    ]
    if not info["blas_runtime"]:
        lines.append(("BLAS loaded", f"none found; {info['cores']} cores"))
    width = max(len(name) for name, _ in lines) + 1
    return "\n".join(f"{name + ':':<{width}} {value}" for name, value in lines)
