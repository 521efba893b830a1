"""`Dropout`: a layer that, while training, silences a random part of its input."""
import math

import numpy as np

from smolml._random import numpy_generator
from smolml.core.ml_array import MLArray
from smolml.core.value import Value


class Dropout:
    """Zero each element with probability `p` while training; the identity otherwise.

        training:  y = x ⊙ m / (1 − p),  mᵢ ~ Bernoulli(1 − p), a new mask per call
        otherwise: y = x

    Dividing by 1 − p keeps every unit's expected output equal to its input, so the
    network needs no change between training and prediction. The gradient is
    ∂L/∂x = ∂L/∂y ⊙ m / (1 − p): dropped elements get none. Because no unit can count
    on any other being there, the network learns redundant features instead of
    co-adapted ones, and overfits less (Srivastava et al., 2014).

    On the engine it is one graph node (`MLArray.dropout`). The mask is drawn from
    smolml's generator (`smolml.manual_seed` repeats it, the
    same on both backends). `training` follows the network: `NeuralNetwork.train`
    turns it on for its steps and off for validation; in a hand-written loop set
    `network.training = True` (a network starts with it off). A Dropout used alone
    starts in training mode, as `torch.nn.Dropout` does. No parameters; in PyTorch this
    is `torch.nn.Dropout(p)`.
    """

    def __init__(self, p=0.5):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"Dropout's p must be a number in [0, 1); got {type(p).__name__}")
        if math.isnan(p) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout's p must be in [0, 1) (the chance of zeroing an "
                             f"element); got {p!r}")
        self.p = float(p)
        self.training = True

    def forward(self, input_data):
        """x ⊙ m / (1 − p) while training, x itself otherwise (any shape)."""
        if isinstance(input_data, Value):
            input_data = MLArray(input_data)
        elif not isinstance(input_data, MLArray):
            input_data = MLArray(input_data, requires_grad=False)
        if not self.training or self.p == 0.0:
            return input_data
        kept = np.asarray(numpy_generator().random(input_data.shape) >= self.p)
        return input_data.dropout(kept, 1.0 / (1.0 - self.p))

    def update(self, optimizer, layer_idx):
        """Nothing to update: Dropout has no parameters."""

    def restart(self):
        """Nothing to restart: Dropout has no parameters."""

    def __repr__(self):
        return f"Dropout(p={self.p})"
