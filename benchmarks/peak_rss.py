"""Peak resident memory (RSS) of N steps of the MLP step, one implementation per fresh
Python process, so each figure is that implementation's alone.

`measure(...)` (what test_workloads.py's `test_mlp_peak_rss` calls) starts this file as
a child process with the same interpreter and the same smolml as the caller:

    python benchmarks/peak_rss.py IMPL DTYPE --sizes 784,1024,1024,10 --batch 512 --steps 20

IMPL is a smolml backend (engine, pure), numpy or torch. The child prints one JSON
line: its peak RSS over its whole life (Linux's VmHWM: interpreter, imports, weights,
batch and the steps), its RSS once everything is imported and built, just before the
first step, and what it imported. The NumPy and PyTorch children never import smolml
(`mlp_peers.py` needs NumPy only), so smolml's own import does not count against them.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _status_bytes(field):
    """A `VmXXX:   1234 kB` line of /proc/self/status in bytes, or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_bytes():
    peak = _status_bytes("VmHWM")
    if peak is None:                        # no /proc: getrusage (kB on Linux, bytes on macOS)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024
    return peak


def child(impl, dtype, sizes, batch_size, steps, expect_smolml=None):
    """Build the model and batch, run `steps` steps, return the measurements."""
    import numpy as np
    import mlp_peers

    n_in, n_out = sizes[0], sizes[-1]
    extra = {}
    if impl == "numpy":
        model = mlp_peers.NumpyMLP(sizes, dtype=dtype)
        X, Y = mlp_peers.numpy_batch(n_in, n_out, batch_size, dtype)
    elif impl == "torch":
        import torch

        model = mlp_peers.TorchMLP(sizes, dtype=dtype)
        X, Y = mlp_peers.torch_batch(n_in, n_out, batch_size, dtype)
        extra["torch"] = torch.__version__
        extra["torch_threads"] = torch.get_num_threads()
    else:
        import smolml

        if expect_smolml and os.path.realpath(smolml.__file__) != os.path.realpath(expect_smolml):
            raise SystemExit(f"the child imported {smolml.__file__}, not {expect_smolml}")
        smolml.set_backend(impl)
        import workloads

        model = workloads.ArrayMLP(sizes, dtype=dtype)
        X, Y = workloads.array_batch(n_in, n_out, batch_size, dtype)
        extra["smolml"] = smolml.__file__
    rss_before = _status_bytes("VmRSS")
    peak_before = _peak_bytes()
    for _ in range(steps):
        loss = model.step(X, Y)
    return {
        "impl": impl, "dtype": dtype, "steps": steps,
        "sizes": list(sizes), "batch_size": batch_size, "final_loss": loss,
        "peak_rss": _peak_bytes(),                 # bytes, over the child's whole life
        "rss_before_steps": rss_before,            # bytes, imports and setup done
        "peak_rss_before_steps": peak_before,
        "numpy": np.__version__,
        "imported_smolml": "smolml" in sys.modules,
        "imported_torch": "torch" in sys.modules,
        **extra,
    }


def measure(impl, dtype, sizes, batch_size, steps):
    """Run `child` in a fresh process of this interpreter; return its measurements.

    The child gets this process's smolml (its directory first on PYTHONPATH, and it
    checks `smolml.__file__`), and the benchmarks directory for `mlp_peers`/`workloads`.
    """
    env = dict(os.environ)
    path = [HERE]
    command = [sys.executable, os.path.join(HERE, "peak_rss.py"), impl, dtype,
               "--sizes", ",".join(map(str, sizes)), "--batch", str(batch_size),
               "--steps", str(steps)]
    smolml = sys.modules.get("smolml")
    if smolml is not None:
        path.append(os.path.dirname(os.path.dirname(os.path.abspath(smolml.__file__))))
        if impl not in ("numpy", "torch"):
            command += ["--expect-smolml", os.path.abspath(smolml.__file__)]
    env["PYTHONPATH"] = os.pathsep.join(path + [p for p in [env.get("PYTHONPATH")] if p])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("impl", help="engine, pure, numpy or torch")
    parser.add_argument("dtype", choices=("float64", "float32"))
    parser.add_argument("--sizes", default="784,1024,1024,10", help="layer sizes, by commas")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--expect-smolml", help="the smolml/__init__.py the child must import")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(json.dumps(child(args.impl, args.dtype, sizes, args.batch, args.steps,
                           args.expect_smolml)))
    return 0


if __name__ == "__main__":
    sys.exit(main())


# (group, implementation, measure's dict) of each test_mlp_peak_rss of this run, for the
# summary that benchmarks/conftest.py prints at the end.
MEASURED = []


def summary_lines(measured):
    """Lines for the end of a benchmark run: [(group, implementation, measure's dict)] as
    MiB, because pytest-benchmark's own table can show these runs only as times (a
    whole child process each)."""
    return [f"{group}, {impl}: peak {info['peak_rss'] / 2**20:.1f} MiB, "
            f"{info['rss_before_steps'] / 2**20:.1f} MiB after imports and setup"
            for group, impl, info in measured]

