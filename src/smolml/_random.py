"""The one random source of smolml: initial weights, randn, shuffling in `train`,
bootstrap samples, tree features and k-means seeds all draw from `rng`.

Until `smolml.manual_seed(n)` is called, `rng` is Python's `random` module, as SmolML's
draws are, so a program that calls `random.seed(n)` repeats its numbers. After it, `rng`
is smolml's own generator seeded with n, and the `random` module's stream is left alone.
Either way both backends get the same numbers: whole arrays are drawn by one NumPy call
(`uniform`, `normal`) from a generator seeded by 128 bits of `rng`.
"""
import random


class RandomSource:
    """`random`'s functions (shuffle, randrange, sample, uniform, gauss, getstate, ...),
    taken from the `random` module until `seed` is called, then from a seeded Random."""

    def __init__(self):
        self.seeded = None      # the random.Random of manual_seed, None: follow `random`

    def seed(self, seed):
        self.seeded = random.Random(seed)

    def __getattr__(self, name):
        return getattr(random if self.seeded is None else self.seeded, name)


rng = RandomSource()


def manual_seed(seed):
    """Seed every random draw smolml makes; same seed, same numbers on either backend.
    From then on smolml no longer follows `random.seed`."""
    rng.seed(seed)


def numpy_generator():
    """A NumPy generator seeded by one 128-bit draw from `rng`: whole arrays of random
    numbers at NumPy's speed, still repeated by `manual_seed` or `random.seed`."""
    import numpy as np      # here, not at the top: the pure backend imports this module
    return np.random.default_rng(rng.getrandbits(128))


def uniform(low, high, count, out=None):
    """`count` float64 draws from U(low, high), in one NumPy call; written into `out`
    (a float64 array of `count` numbers) when given, the same numbers either way
    (NumPy's uniform is low + (high − low)·u)."""
    if out is None:
        return numpy_generator().uniform(low, high, count)
    numpy_generator().random(out=out)
    out *= high - low
    out += low
    return out


def normal(mean, std, count, out=None):
    """`count` float64 draws from N(mean, std²), in one NumPy call; written into `out`
    when given, the same numbers either way (NumPy's normal is mean + std·z)."""
    if out is None:
        return numpy_generator().normal(mean, std, count)
    numpy_generator().standard_normal(out=out)
    out *= std
    out += mean
    return out
