"""Checks of user input shared by training, optimizers and models. Each raises an
exception that names the argument and says what was wrong with it."""
import contextlib
import math
import numbers

import numpy as np

from smolml import _backend


def integer(value, name, minimum=0, allow_none=False):
    """`value` as an int: a Python or NumPy integer (never a bool) >= `minimum`, or None
    when `allow_none` and it is None. TypeError for another type, ValueError below
    `minimum`, each naming the argument."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        expected = "an integer" + (" or None" if allow_none else "")
        raise TypeError(f"{name} must be {expected}; got {value!r} "
                        f"({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def real_number(value, name, low=None, high=None, low_open=False, high_open=True):
    """`value` as a finite float with low <= value < high (the default bounds).

    `low_open` / `high_open` exclude the bound itself (`low=0, low_open=True` means > 0);
    None leaves that side unbounded. Bools, strings, lists and NumPy arrays are a
    TypeError (a NumPy scalar is a number).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r} "
                        f"({type(value).__name__})")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {number}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        low_sign, high_sign = (">" if low_open else ">="), ("<" if high_open else "<=")
        if high is None:
            wanted = f"{low_sign} {low:g}"
        elif low is None:
            wanted = f"{high_sign} {high:g}"
        else:
            wanted = f"{low_sign} {low:g} and {high_sign} {high:g}"
        raise ValueError(f"{name} must be {wanted}; got {number}")
    return number


def finite(array, name):
    """ValueError if the ndarray `array` holds NaN or infinity, saying how many entries
    and where the first is (one NaN in the data turns every weight into NaN)."""
    bad = ~np.isfinite(array)
    count = int(np.count_nonzero(bad))
    if count:
        first = np.unravel_index(int(np.argmax(bad)), array.shape)
        at = ", ".join(str(int(i)) for i in first)
        raise ValueError(f"{name} has {count} non-finite entr{'y' if count == 1 else 'ies'} "
                         f"(NaN or infinity); the first is {array[first]} at {name}[{at}]. "
                         f"Remove or fill them before training.")
    return array


def named_function(function, registry, kind, kinds, what):
    """`function` if it is callable, or the function `registry` holds under that name
    (a str); ValueError listing the registry's names for an unknown one, TypeError
    naming `what` for anything else. `kind` / `kinds` ("loss" / "losses") say what
    the registry holds."""
    names = ", ".join(sorted(registry))
    if isinstance(function, str):
        if function not in registry:
            raise ValueError(f"unknown {kind} {function!r}; smolml's {kinds} are {names}")
        return registry[function]
    if not callable(function):
        raise TypeError(f"{what} must be a function or the name of one of smolml's {kinds} "
                        f"({names}); got {type(function).__name__}")
    return function


def on_backend_of(obj):
    """A context in which new MLArrays are made on `obj`'s backend (the active one if
    `obj` is not a smolml object), so data made to go with `obj` can be combined with it."""
    name = _backend.backend_of(obj)
    if name is None or name == _backend.get_backend():
        return contextlib.nullcontext()
    return _backend.use_backend(name)
