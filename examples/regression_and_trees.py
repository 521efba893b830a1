"""Classic models: linear and polynomial regression by gradient descent, a decision
tree and a random forest, each compared with the truth it should find.

1. LinearRegression recovers y = 3·x₁ − 2·x₂ + 0.5 from noisy samples.
2. PolynomialRegression (degree 2) fits y = x² − x + 1, which no line can.
3. A DecisionTree and a RandomForest classify the two moons, scored on held-out points.

    python examples/regression_and_trees.py [--samples 200] [--iterations 300] [--trees 20]
"""
import argparse

import numpy as np

import smolml
from smolml.datasets import make_moons, train_test_split
from smolml.models.regression import LinearRegression, PolynomialRegression
from smolml.models.tree import DecisionTree, RandomForest
from smolml.utils import optimizers


def r_squared(y, y_pred):
    """1 − SS_res / SS_tot: 1 is a perfect fit, 0 no better than the mean."""
    return 1.0 - float(((y - y_pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="points per problem (default 200)")
    parser.add_argument("--iterations", type=int, default=300,
                        help="gradient steps of each regression (default 300)")
    parser.add_argument("--trees", type=int, default=20, help="trees in the forest (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--backend", choices=smolml.BACKENDS, default=smolml.get_backend(),
                        help="autograd backend (default: %(default)s, the active one)")
    args = parser.parse_args(argv)
    with smolml.use_backend(args.backend):
        return run(args)


def run(args):
    smolml.manual_seed(args.seed)
    noise = np.random.default_rng(args.seed)
    results = {}

    print(f"1. Linear regression on {args.samples} points: y = 3·x1 − 2·x2 + 0.5 + noise")
    X = noise.uniform(-1.0, 1.0, size=(args.samples, 2))
    y = 3.0 * X[:, 0] - 2.0 * X[:, 1] + 0.5 + noise.normal(0.0, 0.1, args.samples)
    linear = LinearRegression(2, optimizer=optimizers.SGD(learning_rate=0.1))
    losses = linear.fit(X, y, iterations=args.iterations, verbose=False)
    w, b = linear.weights.to_list(), linear.bias.to_list()[0]
    print(f"   learned w = [{w[0]:.3f}, {w[1]:.3f}], b = {b:.3f}   (true [3, −2], 0.5); "
          f"MSE {losses[0]:.3f} → {losses[-1]:.4f}")
    results["linear"] = {"weights": w, "bias": b, "losses": losses}

    print("2. Polynomial regression (degree 2) on y = x² − x + 1 + noise")
    x = noise.uniform(-2.0, 2.0, size=(args.samples, 1))
    y = x[:, 0] ** 2 - x[:, 0] + 1.0 + noise.normal(0.0, 0.1, args.samples)
    poly = PolynomialRegression(1, degree=2, optimizer=optimizers.SGD(learning_rate=0.05))
    poly.fit(x, y, iterations=args.iterations, verbose=False)
    line = LinearRegression(1, optimizer=optimizers.SGD(learning_rate=0.1))
    line.fit(x, y, iterations=args.iterations, verbose=False)
    with smolml.no_grad():          # predictions only: no graph needed
        fit_poly = r_squared(y, poly.predict(x).numpy())
        fit_line = r_squared(y, line.predict(x).numpy())
    (c1, c2), c0 = poly.weights.to_list(), poly.bias.to_list()[0]
    print(f"   learned {c2:.3f}·x² {c1:+.3f}·x {c0:+.3f}   (true 1, −1, 1); "
          f"R² {fit_poly:.3f}, a straight line only reaches {fit_line:.3f}")
    results["polynomial"] = {"coefficients": [c0, c1, c2], "r2": fit_poly, "line_r2": fit_line}

    print(f"3. Trees on the two moons ({args.samples} points, a quarter held out)")
    X, y = make_moons(n_samples=args.samples, noise=0.2)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    tree = DecisionTree(max_depth=5).fit(X_train, y_train)
    forest = RandomForest(n_trees=args.trees, max_depth=5).fit(X_train, y_train)
    for name, model in (("decision tree", tree), (f"random forest of {args.trees}", forest)):
        accuracy = float((model.predict(X_test).numpy() == y_test).mean())
        results[name.split(" of")[0]] = accuracy
        print(f"   {name}: held-out accuracy {accuracy:.1%}")
    return results


if __name__ == "__main__":
    main()
