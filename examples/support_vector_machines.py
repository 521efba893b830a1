"""Support vector machines: a binary SVM with each kernel on the two moons, a
one-vs-rest SVM on the handwritten digits and an SVR on a noisy sine, each scored on
held-out data.

    python examples/support_vector_machines.py [--samples 400] [--C 1.0] [--digits 800]
"""
import argparse

import numpy as np

import smolml
from smolml.datasets import load_digits, make_moons, train_test_split
from smolml.models.svm import SVM, SVMMulticlass, SVR


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400, help="moons and sine points (default 400)")
    parser.add_argument("--C", type=float, default=1.0, help="regularization C (default 1.0)")
    parser.add_argument("--digits", type=int, default=800,
                        help="digit images to train and test on (default 800)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--backend", choices=smolml.BACKENDS, default=smolml.get_backend(),
                        help="autograd backend (default: %(default)s, the active one)")
    args = parser.parse_args(argv)
    with smolml.use_backend(args.backend):
        return run(args)


def run(args):
    smolml.manual_seed(args.seed)
    results = {}

    print(f"1. Two moons ({args.samples} points, a quarter held out), C = {args.C}")
    X, y = make_moons(n_samples=args.samples, noise=0.2)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    for kernel in ("linear", "poly", "rbf"):
        model = SVM(C=args.C, kernel=kernel).fit(X_train, y_train)
        results[kernel] = model.score(X_test, y_test)
        print(f"   {kernel:>6} kernel: held-out accuracy {results[kernel]:.1%}, "
              f"{len(model.support_vectors)} support vectors")

    print(f"2. Digits, one SVM per class against the rest ({args.digits} images)")
    images, digits = load_digits()
    order = np.random.default_rng(args.seed).permutation(len(images))[:args.digits]
    split = len(order) * 3 // 4
    train, test = order[:split], order[split:]
    multi = SVMMulticlass(C=args.C, kernel="rbf").fit(images[train], digits[train])
    results["digits"] = multi.score(images[test], digits[test])
    print(f"   held-out accuracy {results['digits']:.1%} on {len(test)} images")

    print("3. SVR on y = sin(x) + noise, epsilon = 0.1")
    noise = np.random.default_rng(args.seed)
    x = noise.uniform(-3.0, 3.0, (args.samples, 1))
    y = np.sin(x[:, 0]) + noise.normal(0.0, 0.1, args.samples)
    x_test = np.linspace(-3.0, 3.0, 200)[:, None]
    regression = SVR(C=args.C, epsilon=0.1, kernel="rbf").fit(x, y)
    results["svr_r2"] = regression.score(x_test, np.sin(x_test[:, 0]))
    print(f"   R² against the true sine {results['svr_r2']:.3f}, "
          f"{len(regression.support_vectors)} of {args.samples} points are support vectors")
    return results


if __name__ == "__main__":
    main()
