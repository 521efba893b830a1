"""The bridge to PyTorch: a stack of DenseLayers as a `torch.nn.Sequential`, and back.

A DenseLayer computes activation(x @ W + b) with W of shape (in, out) and b of shape
(1, out); `torch.nn.Linear` computes x @ weightᵀ + bias with weight of shape (out, in)
and bias of shape (out,). So

    weight = Wᵀ,   bias = b[0]          (and back: W = weightᵀ, b = bias[None, :])

and each activation function becomes the PyTorch module that computes the same
function (below), with the same parameters (`functools.partial(leaky_relu, alpha=0.2)`
is `LeakyReLU(negative_slope=0.2)`). The linear activation has no module.

PyTorch is an optional extra (`pip install smolml[torch]`): it is imported only when a
conversion runs.
"""
import functools
import inspect

import numpy as np

from smolml import _dtype
from smolml.utils import activation

INSTALL_HINT = ("this needs PyTorch, an optional extra of smolml: pip install "
                "'smolml[torch]' (PyTorch's install page shows how to get its CPU-only build)")

# smolml activation -> (PyTorch module class name, {smolml keyword: module keyword})
ACTIVATION_MODULES = {
    "relu": ("ReLU", {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "leaky_relu": ("LeakyReLU", {"alpha": "negative_slope"}),
    "elu": ("ELU", {"alpha": "alpha"}),
    "softmax": ("Softmax", {"axis": "dim"}),
}
_TORCH_DTYPES = ("float32", "float64")


def import_torch():
    """The torch module, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    return torch


def _activation_call(function):
    """(smolml activation name, its keyword arguments with smolml's defaults filled in)
    for an activation of smolml.utils.activation or a functools.partial of one; None
    when it is something else."""
    keywords = {}
    if isinstance(function, functools.partial) and not function.args:
        keywords = dict(function.keywords)
        function = function.func
    name = getattr(function, "__name__", None)
    if name not in ACTIVATION_MODULES and name != "linear":
        return None
    if getattr(activation, name) is not function:
        return None
    defaults = {param.name: param.default
                for param in list(inspect.signature(function).parameters.values())[1:]}
    if set(keywords) - set(defaults):
        return None
    return name, {**defaults, **keywords}


def _describe(function):
    return getattr(function, "__name__", None) or repr(function)


def to_torch(layers, training=False):
    """A `torch.nn.Sequential` computing what `layers` (DenseLayers and Dropout layers)
    compute, in training mode if `training` (Dropout active) and in eval mode otherwise."""
    torch = import_torch()
    from smolml.models.nn.dropout import Dropout
    from smolml.models.nn.layer import DenseLayer
    modules = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Dropout):
            modules.append(torch.nn.Dropout(layer.p))
            continue
        if not isinstance(layer, DenseLayer):
            raise ValueError(f"to_torch() converts DenseLayers and Dropout layers only; "
                             f"layer {i} is a {type(layer).__name__}")
        call = _activation_call(layer.activation_function)
        if call is None:
            raise ValueError(
                f"layer {i} uses the activation {_describe(layer.activation_function)}, which "
                f"has no PyTorch module here; supported: linear, {', '.join(ACTIVATION_MODULES)}")
        dtype = getattr(torch, layer.dtype.name)
        # skip_init: no random initialization (PyTorch's generator is left as it was)
        linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.input_size,
                                          layer.output_size, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.weights.numpy().T.copy()))
            linear.bias.copy_(torch.from_numpy(layer.biases.numpy()[0]))
        modules.append(linear)
        name, keywords = call
        if name != "linear":
            module_name, renamed = ACTIVATION_MODULES[name]
            module_keywords = {renamed[key]: value for key, value in keywords.items()}
            modules.append(getattr(torch.nn, module_name)(**module_keywords))
    return torch.nn.Sequential(*modules).train(training)


def _smolml_activation(module, torch, where):
    """The smolml activation function computing what the PyTorch `module` does."""
    for name, (module_name, renamed) in ACTIVATION_MODULES.items():
        if type(module) is not getattr(torch.nn, module_name):
            continue
        function = getattr(activation, name)
        _, defaults = _activation_call(function)
        keywords = {key: getattr(module, renamed[key]) for key in renamed}
        if name == "softmax":
            if keywords["axis"] not in (-1, 1):
                raise ValueError(f"{where}: Softmax(dim={keywords['axis']}) does not act along "
                                 f"the features of a (batch, features) output; smolml's "
                                 f"softmax needs dim=-1 or dim=1")
            keywords["axis"] = -1
        changed = {key: value for key, value in keywords.items() if value != defaults[key]}
        return functools.partial(function, **changed) if changed else function
    raise ValueError(f"{where} is a {type(module).__name__}, which smolml has no layer or "
                     f"activation for; supported: Linear, Identity, "
                     f"{', '.join(m for m, _ in ACTIVATION_MODULES.values())}")


def _modules_of(module, torch):
    """The modules of a (possibly nested) Sequential, in order; a lone Linear is one."""
    if type(module) is torch.nn.Linear:
        return [("module", module)]
    if not isinstance(module, torch.nn.Sequential):
        raise ValueError(f"from_torch() takes a torch.nn.Sequential of Linear layers and "
                         f"activations; got {type(module).__name__}")
    flat = []
    pending = [(name, child) for name, child in reversed(list(module.named_children()))]
    while pending:
        name, child = pending.pop()
        if isinstance(child, torch.nn.Sequential):
            pending.extend((f"{name}.{sub}", grandchild)
                           for sub, grandchild in reversed(list(child.named_children())))
        else:
            flat.append((name, child))
    return flat


def _linear_parameters(linear, where):
    """(W, b) of a torch.nn.Linear as NumPy arrays in smolml's layout."""
    weight = linear.weight.detach().cpu().numpy()
    if weight.dtype.name not in _TORCH_DTYPES:
        raise ValueError(f"{where} holds {weight.dtype} numbers; smolml has float32 and "
                         f"float64 (convert the module with .float() or .double() first)")
    if linear.bias is None:
        bias = np.zeros(weight.shape[0], dtype=weight.dtype)
    else:
        bias = linear.bias.detach().cpu().numpy().astype(weight.dtype, copy=False)
    return weight.T.copy(), bias.reshape(1, -1).copy()


def layers_from_torch(module):
    """DenseLayers (and Dropout layers) computing what `module` (a Sequential of Linear,
    activation and Dropout modules) computes; each Linear may be followed by one
    activation."""
    torch = import_torch()
    from smolml.models.nn.dropout import Dropout
    from smolml.models.nn.layer import DenseLayer
    from smolml.models.nn.neural_network import _Stored
    layers = []
    pending = None        # the last Linear's (W, b), waiting for its activation
    for name, child in _modules_of(module, torch):
        where = f"module {name!r}"
        if type(child) is torch.nn.Identity:
            continue
        if type(child) is torch.nn.Dropout:
            if pending is not None:
                layers.append(pending + (activation.linear,))
                pending = None
            layers.append(Dropout(child.p))
            continue
        if type(child) is torch.nn.Linear:
            if pending is not None:
                layers.append(pending + (activation.linear,))
            pending = _linear_parameters(child, where)
            continue
        function = _smolml_activation(child, torch, where)
        if pending is None:
            raise ValueError(f"{where} ({type(child).__name__}) does not follow a Linear "
                             f"layer; smolml applies an activation inside a DenseLayer")
        layers.append(pending + (function,))
        pending = None
    if pending is not None:
        layers.append(pending + (activation.linear,))
    if not any(isinstance(layer, tuple) for layer in layers):
        raise ValueError("from_torch() found no Linear layer in the module")
    dense = []
    for layer in layers:
        if isinstance(layer, Dropout):
            dense.append(layer)
            continue
        weights, biases, function = layer
        layer = DenseLayer(weights.shape[0], weights.shape[1], function,
                           weight_initializer=_Stored(weights), dtype=_dtype.dtype(weights.dtype))
        layer.biases.update_values(biases)
        dense.append(layer)
    return dense
