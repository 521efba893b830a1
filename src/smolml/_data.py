"""User data (MLArray, nested lists, NumPy) as NumPy arrays, for the models that work
on plain numbers (trees, k-means, scalers, regression inputs), with clear errors."""
import numpy as np


def as_float_array(data, name="X"):
    """`data` as a new float64 ndarray; TypeError naming `name` if it is not numeric."""
    try:
        return np.array(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a rectangular array of real numbers "
                        f"(MLArray, nested lists or NumPy); {error}") from None


def as_samples(data, name="X", ndims=(2,)):
    """`data` as a finite float64 array of shape (n_samples, n_features) (or 1-D when
    1 is in `ndims`) with at least one sample; ValueError naming what is wrong."""
    array = as_float_array(data, name)
    if array.ndim not in ndims:
        wanted = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {wanted} (n_samples, n_features); "
                         f"got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} has no samples")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array
