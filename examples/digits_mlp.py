"""A multilayer perceptron on the UCI handwritten digits, with a validation curve.

A 64-32-10 network (ReLU, then softmax) trained with Adam on categorical
cross-entropy, in mini-batches; a quarter of the digits are held out, and their loss
after every epoch is the validation curve. With matplotlib installed, both curves are
saved as a PNG by `smolml.plot_history`.

    python examples/digits_mlp.py [--epochs 15] [--samples 1797] [--hidden 32] [--plot PATH] [--backend pure]
"""
import argparse
import os
import tempfile

import numpy as np

import smolml
from smolml import MLArray
from smolml.datasets import load_digits, train_test_split
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, initializers, losses, optimizers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15, help="passes over the data (default 15)")
    parser.add_argument("--samples", type=int, default=1797, help="digits used (default all 1797)")
    parser.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    parser.add_argument("--batch-size", type=int, default=32, help="rows per step (default 32)")
    parser.add_argument("--plot", default=os.path.join(tempfile.gettempdir(), "digits_loss.png"),
                        help="where to save the loss curves (default: %(default)s, in the "
                             "temporary directory)")
    parser.add_argument("--no-plot", action="store_true", help="do not save the curves")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--backend", choices=smolml.BACKENDS, default=smolml.get_backend(),
                        help="autograd backend (default: %(default)s, the active one)")
    args = parser.parse_args(argv)
    with smolml.use_backend(args.backend):
        return run(args)


def run(args):
    smolml.manual_seed(args.seed)
    X, y = load_digits()
    X, y = X[:args.samples] / 16.0, y[:args.samples]          # pixels 0..16 → 0..1
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    one_hot = np.eye(10)
    network = NeuralNetwork(
        [DenseLayer(64, args.hidden, activation.relu, initializers.HeInitialization),
         DenseLayer(args.hidden, 10, activation.softmax)],
        losses.categorical_cross_entropy,
        optimizers.Adam(learning_rate=0.005))
    print(f"Digits on the '{smolml.get_backend()}' backend: 64-{args.hidden}-10 network, "
          f"{len(X_train)} digits to train on, {len(X_test)} held out, {args.epochs} epochs")

    history = network.train(X_train, one_hot[y_train], epochs=args.epochs,
                            batch_size=args.batch_size, verbose=False,
                            validation_data=(X_test, one_hot[y_test]))
    for epoch, (train, val) in enumerate(zip(history, network.history["val_loss"]), 1):
        print(f"  epoch {epoch:3d}  training loss {train:.4f}  validation loss {val:.4f}")

    with smolml.no_grad():
        probabilities = network.forward(MLArray(X_test, requires_grad=False)).numpy()
    accuracy = float((probabilities.argmax(axis=1) == y_test).mean())
    print(f"Held-out accuracy: {accuracy:.1%}")

    plot_path = None
    if not args.no_plot:
        try:
            plot_path = smolml.plot_history(network.history, args.plot,
                                            title=f"Digits, 64-{args.hidden}-10 MLP")
            print(f"Loss curves saved to {plot_path}")
        except ImportError as error:
            print(f"No plot: {error}")
    return {"history": network.history, "accuracy": accuracy, "plot": plot_path}


if __name__ == "__main__":
    main()
