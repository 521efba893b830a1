"""The one random source of smolml, so that `smolml.manual_seed(n)` makes every draw
(initial weights, randn, shuffling, bootstrap samples) the same on both backends."""
import random

rng = random.Random()


def manual_seed(seed):
    """Seed every random draw smolml makes; same seed, same numbers on either backend."""
    rng.seed(seed)
