"""Command line: `python -m smolml COMMAND` (or `smolml COMMAND`).

Commands:
  demo   train a network on the handwritten digits and report held-out accuracy
  info   which backend is active, whether the compiled engine loaded, versions and BLAS
"""
import argparse
import sys
import time

import numpy as np

import smolml
from smolml import _backend

# On the pure backend every scalar is a Python object, so the default network there
# is narrower and trains for fewer epochs: it finishes in under a minute.
DEMO_DEFAULTS = {
    "engine": {"samples": 1797, "hidden": 128, "epochs": 20, "batch_size": 32},
    "pure": {"samples": 1797, "hidden": 32, "epochs": 10, "batch_size": 32},
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="smolml", description="smolml: SmolML's educational ML library, made fast.")
    parser.add_argument("--version", action="version", version=f"smolml {smolml.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_demo_command(commands)
    add_info_command(commands)
    return parser


def add_demo_command(commands):
    demo = commands.add_parser(
        "demo", help="train a network on the handwritten digits",
        description="Train a 64-HIDDEN-10 network (ReLU, softmax, cross-entropy, Adam) on the "
                    "UCI handwritten digits and report its accuracy on held-out digits.")
    demo.add_argument("--backend", choices=smolml.BACKENDS, default=None,
                      help="autograd backend (default: the active one: engine when built)")
    demo.add_argument("--samples", type=int, default=None,
                      help="digits to use, 25%% of them held out (default: all 1797)")
    demo.add_argument("--epochs", type=int, default=None,
                      help="passes over the training digits (default: 20 on engine, 10 on pure)")
    demo.add_argument("--hidden", type=int, default=None,
                      help="hidden units (default: 128 on engine, 32 on pure)")
    demo.add_argument("--batch-size", type=int, default=None, help="rows per step (default: 32)")
    demo.add_argument("--learning-rate", type=float, default=0.005,
                      help="Adam's α (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    demo.set_defaults(run=run_demo)


def run_demo(args):
    backend = args.backend or smolml.get_backend()
    if backend == "engine" and not _backend.engine_available():
        print(f"smolml demo: the compiled engine is not built ({_backend.engine_missing()}); "
              f"{_backend.BUILD_HINT}, "
              f"or run with --backend pure", file=sys.stderr)
        return 2
    with smolml.use_backend(backend):
        return _demo(args, backend)


def _demo(args, backend):
    from smolml.core.ml_array import MLArray
    from smolml.datasets import load_digits, train_test_split

    defaults = DEMO_DEFAULTS[backend]
    settings = {name: getattr(args, name) if getattr(args, name) is not None else value
                for name, value in defaults.items()}
    samples, hidden = min(settings["samples"], 1797), settings["hidden"]
    epochs, batch_size = settings["epochs"], settings["batch_size"]
    if min(samples, hidden, epochs, batch_size) < 1 or samples < 8:
        print("smolml demo: --samples must be >= 8 and --hidden, --epochs, --batch-size >= 1",
              file=sys.stderr)
        return 2

    smolml.manual_seed(args.seed)
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X[:samples] / 16.0, y[:samples],
                                                        test_size=0.25)
    targets = np.eye(10)[y_train]

    print(f"smolml demo on the '{backend}' backend: a 64-{hidden}-10 network learns the "
          f"handwritten digits ({len(X_train)} to train on, {len(X_test)} held out), "
          f"{epochs} epochs of batches of {batch_size}.")
    shrunk = [f"--{name} {settings[name]}" for name in ("samples", "hidden", "epochs")
              if getattr(args, name) is None and settings[name] != DEMO_DEFAULTS["engine"][name]]
    if shrunk:
        print(f"The pure-Python backend is slow, so the workload is smaller than on the engine "
              f"({', '.join(shrunk)}); pass --samples, --hidden and --epochs to change it.")

    network, history, elapsed = _train(args, hidden, X_train, targets, epochs, batch_size,
                                       verbose=not args.quiet)

    with smolml.no_grad():
        probabilities = network.forward(MLArray(X_test, requires_grad=False)).numpy()
    correct = int((probabilities.argmax(axis=1) == y_test).sum())
    print(f"Held-out accuracy: {correct / len(y_test):.1%} ({correct}/{len(y_test)} digits)")
    if not history:
        print("Training stopped before the first step.")
        return 0
    print(f"Training: {elapsed:.1f} s for {len(history)} epochs (final loss {history[-1]:.4f})")
    if backend == "pure" and _backend.engine_available():
        with smolml.use_backend("engine"):
            _, engine_history, engine_elapsed = _train(args, hidden, X_train, targets,
                                                       len(history), batch_size, verbose=False)
        print(f"The compiled engine trains the same network on the same batches in "
              f"{engine_elapsed:.3g} s (final loss {engine_history[-1]:.4f}): "
              f"{elapsed / engine_elapsed:,.0f}x faster than the pure backend.")
    return 0


def _train(args, hidden, X_train, targets, epochs, batch_size, verbose):
    """A freshly seeded 64-hidden-10 network trained on the active backend:
    (network, per-epoch losses, seconds the training took)."""
    from smolml.models.nn import DenseLayer, NeuralNetwork
    from smolml.utils import activation, initializers, losses, optimizers

    smolml.manual_seed(args.seed)
    network = NeuralNetwork(
        [DenseLayer(64, hidden, activation.relu, initializers.HeInitialization),
         DenseLayer(hidden, 10, activation.softmax)],
        losses.categorical_cross_entropy,
        optimizers.Adam(learning_rate=args.learning_rate))
    start = time.perf_counter()
    history = network.train(X_train, targets, epochs=epochs, batch_size=batch_size,
                            verbose=verbose, print_every=max(1, epochs // 10))
    return network, history, time.perf_counter() - start


def add_info_command(commands):
    info = commands.add_parser(
        "info", help="show the active backend, the engine, versions and BLAS",
        description="Show which backend is active, whether the compiled engine loaded (and "
                    "if not, why), the engine's files, and the Python, NumPy and BLAS in use.")
    info.add_argument("--json", action="store_true", help="print the facts as JSON")
    info.set_defaults(run=run_info)


def run_info(args):
    import json
    from smolml._info import collect, format_info

    info = collect()
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
