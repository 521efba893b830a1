"""Crash fuzzer: Hypothesis writes random programs of public smolml calls with hostile
arguments (wrong types, huge and negative sizes, the other backend's objects, NumPy arrays
of many dtypes and layouts, objects whose __float__ or __index__ call back into smolml,
crafted network files) and runs each batch in a fresh interpreter. A Python exception is
a fine answer; a segmentation fault, an abort or a hang fails the test and prints the
program that did it, ready to paste.

The normal suite runs a few batches (seconds); `SMOLML_FUZZ_SECONDS=600 pytest
tests/test_fuzz_crash.py` fuzzes for that long (see docs/engine.md, "Fuzzing").
"""
import os
import subprocess
import sys
import textwrap
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ_SECONDS = float(os.environ.get("SMOLML_FUZZ_SECONDS", "0") or 0)
BATCH_TIMEOUT = 120          # seconds for one batch: longer is a hang
PROGRAMS_PER_BATCH = 12

PRELUDE = textwrap.dedent('''
    import faulthandler, os, resource, sys, tempfile
    faulthandler.enable()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (min(hard, 6 * 1024 ** 3)
                                            if hard != resource.RLIM_INFINITY
                                            else 6 * 1024 ** 3, hard))
    import numpy as np
    import smolml
    import smolml._pure as pure
    from smolml import MLArray, Value, no_grad
    from smolml.models.nn import DenseLayer, NeuralNetwork
    from smolml.utils import activation, losses, optimizers
    smolml.set_memory_limit(256 * 1024 ** 2)
    TMP = tempfile.mkdtemp()

    class ReFloat:
        """A number whose conversion runs a whole smolml step first."""
        def __float__(self):
            w = MLArray([[1.0, 2.0]])
            (w @ w.T).sum().backward()
            return 0.5

    class ReIndex:
        """An index whose conversion builds and frees a graph first."""
        def __index__(self):
            smolml.randn(3, 2).tanh().sum().backward()
            return 1

    def crafted(kind):
        """A file `NeuralNetwork.load` must refuse or read, never crash on."""
        path = os.path.join(TMP, "net" + (".safetensors" if kind % 2 else ".npz"))
        net = NeuralNetwork([DenseLayer(2, 3), DenseLayer(3, 1)], losses.mse_loss)
        net.save(path)
        data = bytearray(open(path, "rb").read())
        if kind // 2 == 1:
            data = data[: len(data) // 2]                      # truncated
        elif kind // 2 == 2:
            for i in range(8, len(data), 7):                   # bytes flipped
                data[i] ^= 0x5A
        elif kind // 2 == 3:
            data = bytes(64)
        open(path, "wb").write(bytes(data))
        return path

    def run(steps):
        env = {name: value for name, value in globals().items()}
        env.update(a=MLArray([[1.0, 2.0], [3.0, 4.0]]), b=MLArray([0.5, -1.0]),
                   v=Value(1.5), l=DenseLayer(2, 3),
                   n=NeuralNetwork([DenseLayer(2, 3), DenseLayer(3, 1)], losses.mse_loss))
        for step in steps:
            try:
                exec(step, env)
            except Exception:
                pass
''')

# Arguments, as source text: hostile ones and the program's own objects.
VALUES = [
    "0", "1", "-1", "2", "3", "-7", "2**31", "2**62", "-2**63", "10**30", "1.5", "-0.0",
    "float('nan')", "float('inf')", "True", "None", "'a'", "b'xy'", "[]", "[[]]",
    "[1, [2]]", "[[1.0, 2.0], [3.0]]", "()", "(2, -1)", "object()", "{}", "1j",
    "np.float32(2.5)", "np.int64(2)", "np.array(3.0)", "np.array([])",
    "np.arange(6.0).reshape(2, 3)", "np.arange(12.0).reshape(3, 4)[:, ::2]",
    "np.arange(6.0).reshape(2, 3).T", "np.asfortranarray(np.ones((2, 2)))",
    "np.zeros((2, 2), dtype=np.int8)", "np.ones(3, dtype=np.uint64)",
    "np.ones((2, 2), dtype=np.float16)", "np.ones(2, dtype=np.complex128)",
    "np.array(['a', 'b'])", "np.zeros((0, 3))", "np.array([1.0, None], dtype=object)",
    "np.zeros(2, dtype=bool)", "np.datetime64('2020-01-01')",
    "np.broadcast_to(np.float64(1.0), (3, 2))", "np.ones((2, 1, 1, 1, 1, 1, 1, 1, 1, 2))",
    "np.zeros((2, 2), dtype=[('x', 'f8')])", "np.frombuffer(b'\\x00' * 16)",
    "ReFloat()", "ReIndex()", "[ReFloat(), 1.0]", "[[ReFloat()], [ReIndex()]]",
    "pure.Value(1.0)", "pure.MLArray([1.0, 2.0])", "[pure.Value(2.0)]",
    "Value(2.0)", "a", "b", "v", "a.T", "a[0]", "[a, a]", "[v, v]", "l", "n",
    "smolml.float32", "smolml.float64",
]
SIZES = ["0", "1", "2", "3", "-1", "-2", "2**31", "2**62", "10**9", "1.5", "'2'", "None",
         "True", "ReIndex()", "np.int8(2)", "(2, 3)", "(2, -1)", "[3]", "(2**40, 2**40)"]
ARRAYS = ["a", "b", "v", "a.T", "a[0]", "MLArray(np.arange(6.0).reshape(2, 3))",
          "MLArray([1.0, 2.0], dtype=smolml.float32)", "smolml.zeros(0, 2)", "MLArray(2.0)"]
BINARY = ["+", "-", "*", "/", "**", "@", "<", "==", ">=", "//", "%"]
UNARY = ["tanh()", "exp()", "log()", "log1p()", "sqrt()", "relu()", "sigmoid()", "abs()",
         "clone()", "detach()", "numpy()", "tolist()", "item()", "flatten()", "squeeze()",
         "backward()", "grad()", "zero_grad()", "restart()"]
WITH_ARG = ["sum", "mean", "max", "min", "std", "argmax", "argmin", "reshape", "transpose",
            "squeeze", "unsqueeze", "astype", "clip", "update_values", "softmax_cross_entropy",
            "dropout", "matmul"]

OPTIMIZERS = ["SGD", "SGDMomentum", "AdaGrad", "Adam", "AdamW", "RMSprop"]

value = st.sampled_from(VALUES)
size = st.sampled_from(SIZES)
array = st.sampled_from(ARRAYS)


@st.composite
def step(draw):
    """One line of a program."""
    kind = draw(st.integers(0, 21))
    x, y, z = draw(value), draw(value), draw(value)
    s, t = draw(size), draw(size)
    arr = draw(array)
    op = draw(st.sampled_from(BINARY))
    factory = draw(st.sampled_from(["zeros", "ones", "randn"]))
    lines = [
        f"a = MLArray({x})",
        f"a = MLArray({x}, requires_grad={y}, dtype={z})",
        f"a = smolml.{factory}({s}, {t})",
        f"a = {arr} {op} {x}",
        f"a = {x} {op} {arr}",
        f"a = {arr}.{draw(st.sampled_from(UNARY))}",
        f"a = {arr}.{draw(st.sampled_from(WITH_ARG))}({x})",
        f"a = {arr}.{draw(st.sampled_from(WITH_ARG))}({s}, {t})",
        f"a = {arr}[{x}]",
        f"a[{x}] = {y}",
        f"v = Value({x}) {op} {y}",
        f"{arr}.sum().backward()",
        f"float({arr}); len({arr}); repr({arr}); bool({arr}); list({arr})",
        f"l = DenseLayer({s}, {t}, {draw(st.sampled_from(['activation.relu', 'activation.tanh', 'None', '3']))})",
        f"a = l.forward({x})",
        f"n.train({x}, {y}, epochs={draw(st.sampled_from(['0', '1', '2', '-1', 'None', '1.5']))}, "
        f"batch_size={draw(st.sampled_from(['None', '1', '0', '-1', '2**62']))}, verbose=False)",
        f"a = losses.{draw(st.sampled_from(['mse_loss', 'mae_loss', 'binary_cross_entropy', 'categorical_cross_entropy', 'huber_loss']))}({x}, {y})",
        f"n = NeuralNetwork.load(crafted({draw(st.integers(0, 7))}))",
        f"n = NeuralNetwork([DenseLayer(2, 3), DenseLayer(3, 1)], losses.mse_loss, "
        f"optimizers.{draw(st.sampled_from(OPTIMIZERS))}({x}, weight_decay={y}))",
        f"a = n.forward({x})",
        f"smolml.manual_seed({x}); a = {arr}.dropout({y})",
        f"a = {arr}[np.array({s})] if {z} else {arr}[{s}:{t}]",
    ]
    line = lines[kind]
    if draw(st.booleans()) and kind in (3, 4, 5, 6, 11, 14):
        line = f"with no_grad():\n    {line}"
    return line


programs = st.lists(st.lists(step(), min_size=1, max_size=10),
                    min_size=PROGRAMS_PER_BATCH, max_size=PROGRAMS_PER_BATCH)


def batch_source(batch, backend):
    body = "\n".join(f"run({steps!r})" for steps in batch)
    return (PRELUDE + f"smolml.set_backend({backend!r})\n" + body + "\nprint('done')\n")


def reproduce(steps, backend):
    """The one program of a batch that crashed (or the whole batch if none alone does)."""
    source = PRELUDE + f"smolml.set_backend({backend!r})\nrun({steps!r})\n"
    lines = "\n".join(steps)
    return f"# backend {backend!r}; steps:\n{lines}\n\n# full script:\n{source}"


def run_batch(batch, backend):
    source = batch_source(batch, backend)
    try:
        result = subprocess.run([sys.executable, "-c", source], capture_output=True,
                                text=True, timeout=BATCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"the batch hung for {BATCH_TIMEOUT} s", source
    if result.returncode == 0 and result.stdout.endswith("done\n"):
        return None, None
    # find the program that crashes alone, for a short reproduction
    for steps in batch:
        alone = PRELUDE + f"smolml.set_backend({backend!r})\nrun({steps!r})\n"
        try:
            single = subprocess.run([sys.executable, "-c", alone], capture_output=True,
                                    text=True, timeout=BATCH_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"a program hung for {BATCH_TIMEOUT} s", reproduce(steps, backend)
        if single.returncode != 0:
            return (f"exit status {single.returncode}\n{single.stderr[-3000:]}",
                    reproduce(steps, backend))
    return f"exit status {result.returncode}\n{result.stderr[-3000:]}", source


def backends():
    import smolml
    return [name for name in smolml.BACKENDS
            if name == "pure" or smolml._backend.engine_available()]


STARTED = time.monotonic()


# A long run asks for three batches a second (a batch takes half a second to one) and
# skips the rest once the time is up.
@settings(max_examples=int(3 * FUZZ_SECONDS) + 1 if FUZZ_SECONDS else 3, deadline=None,
          database=None, derandomize=not FUZZ_SECONDS,
          suppress_health_check=list(HealthCheck))
@given(batch=programs, backend_index=st.integers(0, 1))
def test_no_program_crashes_the_interpreter(batch, backend_index):
    if FUZZ_SECONDS and time.monotonic() - STARTED > FUZZ_SECONDS:
        return
    names = backends()
    backend = names[backend_index % len(names)]
    failure, program = run_batch(batch, backend)
    assert failure is None, f"{failure}\n\nreproducing program:\n{program}"
