"""The one random source of smolml, so that `smolml.manual_seed(n)` makes every draw
(initial weights, randn, shuffling, bootstrap samples) the same on both backends."""
import random

rng = random.Random()


def manual_seed(seed):
    """Seed every random draw smolml makes; same seed, same numbers on either backend."""
    rng.seed(seed)


def numpy_generator():
    """A NumPy generator seeded by one 128-bit draw from `rng`: whole arrays of random
    numbers at NumPy's speed, still repeated by `manual_seed` on both backends."""
    import numpy as np      # here, not at the top: the pure backend imports this module
    return np.random.default_rng(rng.getrandbits(128))
