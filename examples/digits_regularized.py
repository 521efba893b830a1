"""The digits again, with the training toolkit: Dropout, AdamW, a cosine learning-rate
schedule, gradient clipping, early stopping and cross-entropy on logits.

A 64-128-10 network whose last layer outputs logits (the linear activation) and whose
loss is `losses.cross_entropy_from_logits`, which applies the softmax itself, stably.
Dropout after the hidden layer and AdamW's decoupled weight decay regularize it; the
learning rate follows half a cosine from its start to 0 over the epochs; early stopping
watches the held-out loss and puts back the best epoch's parameters.

    python examples/digits_regularized.py [--epochs 30] [--samples 1797] [--hidden 128] [--dropout 0.2]
"""
import argparse

import numpy as np

import smolml
from smolml import MLArray
from smolml.datasets import load_digits, train_test_split
from smolml.models.nn import DenseLayer, Dropout, NeuralNetwork
from smolml.utils import activation, initializers, losses, optimizers, schedulers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="passes over the data (default 30)")
    parser.add_argument("--samples", type=int, default=1797, help="digits used (default all 1797)")
    parser.add_argument("--hidden", type=int, default=128, help="hidden units (default 128)")
    parser.add_argument("--dropout", type=float, default=0.2,
                        help="chance of dropping a hidden unit while training (default 0.2)")
    parser.add_argument("--batch-size", type=int, default=32, help="rows per step (default 32)")
    parser.add_argument("--patience", type=int, default=8,
                        help="epochs without a better held-out loss before stopping (default 8)")
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
    network = NeuralNetwork(
        [DenseLayer(64, args.hidden, activation.relu, initializers.HeInitialization),
         Dropout(args.dropout),
         DenseLayer(args.hidden, 10)],                         # logits: no softmax here
        losses.cross_entropy_from_logits,
        optimizers.AdamW(learning_rate=0.01, weight_decay=0.01))
    schedule = schedulers.CosineAnnealingLR(network.optimizer, T_max=args.epochs)
    print(f"Digits on the '{smolml.get_backend()}' backend: 64-{args.hidden}-10 network with "
          f"Dropout({args.dropout}), AdamW, a cosine schedule over {args.epochs} epochs; "
          f"{len(X_train)} digits to train on, {len(X_test)} held out")

    # class indices are targets as they are: no one-hot rows needed
    network.train(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                  verbose=False, validation_data=(X_test, y_test), scheduler=schedule,
                  clip_grad_norm=5.0, early_stopping=args.patience)
    history = network.history
    for epoch, (train, val, rate) in enumerate(zip(history["loss"], history["val_loss"],
                                                   history["lr"]), 1):
        print(f"  epoch {epoch:3d}  lr {rate:.5f}  training loss {train:.4f}  "
              f"validation loss {val:.4f}")
    if history["stopped_epoch"] is not None:
        print(f"Stopped early after epoch {history['stopped_epoch']}.")
    print(f"Parameters of epoch {history['best_epoch']} (lowest validation loss) kept.")

    with smolml.no_grad():            # network.training is off again: Dropout is the identity
        logits = network.forward(MLArray(X_test, requires_grad=False)).numpy()
    accuracy = float((logits.argmax(axis=1) == y_test).mean())
    print(f"Held-out accuracy: {accuracy:.1%}")
    return {"history": history, "accuracy": accuracy}


if __name__ == "__main__":
    main()
