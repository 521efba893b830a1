"""Other processes that take cores while a benchmark runs, as on a learner's machine.

`running(kind)` starts one in a child interpreter and always stops it (terminate, then
kill) when the block ends; the child also ends by itself after `MAX_SECONDS`, so a
benchmark that dies cannot leave it behind. Kinds:

- "idle": nothing is started.
- "spinner": a pure-Python loop on one core.
- "numpy": small matrix products in NumPy, with its BLAS on every core (its default):
  OpenBLAS's threads spin-wait between the products, as in a second notebook or a
  training run next to this one.
"""
import contextlib
import subprocess
import sys
import time

MAX_SECONDS = 600
KINDS = ("idle", "spinner", "numpy")

_PROGRAMS = {
    "spinner": """
import time
end = time.monotonic() + {seconds}
while time.monotonic() < end:
    pass
""",
    "numpy": """
import time
import numpy as np
a = np.random.default_rng(0).random((160, 160))
end = time.monotonic() + {seconds}
while time.monotonic() < end:
    for _ in range(50):
        a @ a
    time.sleep(0.0005)
""",
}


@contextlib.contextmanager
def running(kind, seconds=MAX_SECONDS):
    """Run the competitor `kind` (one of KINDS) for the block (at most `seconds`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown competitor {kind!r}; the kinds are {', '.join(KINDS)}")
    if kind == "idle":
        yield None
        return
    child = subprocess.Popen([sys.executable, "-c", _PROGRAMS[kind].format(seconds=seconds)])
    try:
        time.sleep(0.5)                 # let it start and take its core(s)
        if child.poll() is not None:
            raise RuntimeError(f"the {kind} competitor exited at once (code {child.returncode})")
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
