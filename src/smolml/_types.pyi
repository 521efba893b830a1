# Type aliases shared by smolml's stubs (a stub-only module: nothing imports it at run time).
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from smolml._dtype import DType
from smolml.core.ml_array import MLArray
from smolml.core.value import Value

Number = float | int
# Data a model or network takes: an MLArray, a NumPy array, or nested lists of numbers.
ArrayLike = MLArray | npt.NDArray[Any] | Sequence[Any]
DTypeLike = DType | str | type | np.dtype[Any] | None
Activation = Callable[[MLArray], MLArray] | str
Loss = Callable[[MLArray, MLArray], MLArray] | str
Initializer = Any
