"""`DenseLayer`: a fully connected layer, output = activation(input @ W + b)."""
from smolml import _backend, _dtype
from smolml.core.ml_array import MLArray, zeros
from smolml.utils import activation, initializers


class DenseLayer:
    """A fully connected layer of `output_size` units, each seeing all `input_size` inputs.

    Parameters: `weights` W of shape (input_size, output_size), drawn by
    `weight_initializer.initialize(input_size, output_size)`, and `biases` b of shape
    (1, output_size), zeros. `forward` maps a batch X of shape (N, input_size) to
    activation(X @ W + b) of shape (N, output_size); b broadcasts over the N rows.
    `dtype` (float64 or float32; None: the default dtype) is the parameters' dtype.
    `activation_function` is a function of `smolml.utils.activation` or its name
    (`"relu"`), or any function of an MLArray built from MLArray operations.
    """

    def __init__(self, input_size, output_size, activation_function=activation.linear,
                 weight_initializer=initializers.XavierUniform, dtype=None):
        dtype = _dtype.dtype(dtype)
        weights = weight_initializer.initialize(input_size, output_size)
        if weights.dtype != dtype:      # an initializer that made the default dtype
            weights = MLArray(weights.numpy(), dtype=dtype)
        self.weights = weights
        self.biases = zeros(1, output_size, dtype=dtype)
        self.activation_function = activation.resolve(activation_function)

    @property
    def dtype(self):
        return self.weights.dtype

    @property
    def input_size(self):
        return self.weights.shape[0]

    @property
    def output_size(self):
        return self.weights.shape[1]

    def forward(self, input_data):
        """activation(input_data @ W + b); builds the graph back to W and b.

        ValueError when input_data's last axis is not `input_size` long; TypeError when
        the activation returns anything but an MLArray (a NumPy result would cut the
        graph, and nothing before it would learn).
        """
        shape = getattr(input_data, "shape", None)
        if shape is not None and (len(shape) == 0 or shape[-1] != self.input_size):
            raise ValueError(f"{self!r} expects inputs of shape (N, {self.input_size}); "
                             f"got shape {tuple(shape)}")
        z = input_data @ self.weights + self.biases
        output = self.activation_function(z)
        if _backend.backend_of(output) is None:      # cheaper than isinstance(·, MLArray)
            raise TypeError(f"the activation {_name(self.activation_function)} returned "
                            f"{type(output).__name__}; an activation must compute with "
                            f"MLArray operations and return an MLArray (a NumPy array or "
                            f"a float cuts the graph, so nothing before it would learn)")
        return output

    def __call__(self, input_data):
        """`layer(x)` is `layer.forward(x)`, as for a PyTorch module."""
        return self.forward(input_data)

    def named_parameters(self):
        """[("weights", W), ("biases", b)]: the very arrays the optimizer updates."""
        return [("weights", self.weights), ("biases", self.biases)]

    def parameters(self):
        """[W, b], in the order of `named_parameters`."""
        return [param for _, param in self.named_parameters()]

    def update(self, optimizer, layer_idx):
        """Let `optimizer` update W and b from their gradients (see utils.optimizers)."""
        self.weights, self.biases = optimizer.update(self, layer_idx,
                                                     param_names=("weights", "biases"))

    def restart(self):
        """Zero W's and b's gradients and cut their history, ready for the next step."""
        self.weights.restart()
        self.biases.restart()

    def __repr__(self):
        shown = "" if self.dtype == _dtype.float64 else f", dtype={self.dtype}"
        return (f"DenseLayer(in={self.input_size}, out={self.output_size}, "
                f"activation={_name(self.activation_function)}{shown})")


def _name(function):
    return getattr(function, "__name__", None) or repr(function)
