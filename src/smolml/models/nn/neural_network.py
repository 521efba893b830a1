"""`NeuralNetwork`: a stack of layers, a loss function and an optimizer that trains them."""
import functools
import math
import os
import signal
import threading
from collections import namedtuple
from collections.abc import Mapping

import numpy as np

from smolml import _backend, _checks, _dtype, _safetensors, _threads
from smolml._grad import no_grad
from smolml._random import rng
from smolml.core.ml_array import MLArray
from smolml.models.nn import _files
from smolml.models.nn._files import FILE_FORMAT, FILE_VERSION
from smolml.models.nn.dropout import Dropout
from smolml.models.nn.layer import DenseLayer
from smolml.utils import activation, losses, memory, optimizers
from smolml.utils.clipping import clip_grad_norm as _clip_grad_norm
from smolml.utils.initializers import WeightInitializer


def _on_own_backend(method):
    """Run `method` with the network's backend active, so the MLArrays it makes (data
    batches, optimizer state) can be combined with the network's parameters."""
    @functools.wraps(method)
    def on_backend(self, *args, **kwargs):
        own = self.backend
        if own is None or own == _backend.get_backend():
            return method(self, *args, **kwargs)
        with _backend.use_backend(own):
            return method(self, *args, **kwargs)
    return on_backend


PREDICT_BATCH_SIZE = 4096


class NeuralNetwork:
    """A feed-forward network: `forward` passes data through `layers` in order.

    `loss_function(y_pred, y_true)` returns a 0-d MLArray (a name such as "mse_loss"
    stands for that function of `utils.losses`); `optimizer` (an
    `utils.optimizers.Optimizer`; None gives a new `SGD()`, a class a new instance with
    its defaults) updates every layer's parameters after each backward pass. A
    network without a loss (None, as `from_torch` gives by default) can run `forward`
    and `predict` but not `train`.

    `training` (False at first) is the mode layers such as `Dropout` follow:
    `train` turns it on for its steps; a hand-written loop sets it.
    """

    def __init__(self, layers, loss_function, optimizer=None):
        self.layers = list(layers)
        self.loss_function = None if loss_function is None else losses.resolve(loss_function)
        self.optimizer = optimizers.resolve(optimizer)
        self.history = {"loss": [], "val_loss": []}
        self.training = False

    @property
    def dtype(self):
        """The dtype of the first layer with weights: data given as lists or NumPy
        arrays is converted to it."""
        weights = self._first_weights()
        return weights.dtype if weights is not None else _dtype.get_default_dtype()

    @property
    def backend(self):
        """'engine' or 'pure': the backend of the first layer's weights, on which plain
        data given to `forward` and `train` is made (None without such weights)."""
        return _backend.backend_of(self._first_weights())

    def _first_weights(self):
        for layer in self.layers:          # Dropout layers have no weights
            weights = getattr(layer, "weights", None)
            if isinstance(weights, MLArray):
                return weights
        return None

    @_on_own_backend
    def forward(self, input_data):
        """Output of the last layer for a batch `input_data` (MLArray, list or NumPy).

        Data that is not an MLArray yet is wrapped with requires_grad=False (inputs
        need no gradient) in the network's dtype and on its backend (so a network
        built under `use_backend("pure")` runs anywhere). Builds the graph back to
        every parameter; wrap the call in `smolml.no_grad()` to predict without one.
        A layer that cannot take its input raises a ValueError naming the layer.
        """
        if not isinstance(input_data, MLArray):
            input_data = MLArray(input_data, requires_grad=False, dtype=self.dtype)
        else:
            self._check_backend(input_data)
        for i, layer in enumerate(self.layers):
            if hasattr(layer, "training"):        # Dropout follows the network's mode
                layer.training = self.training
            try:
                input_data = layer.forward(input_data)
            except ValueError as error:
                raise ValueError(f"{_layer_label(i, len(self.layers))}{error}") from None
        return input_data

    def __call__(self, input_data):
        """`net(x)` is `net.forward(x)`, as for a PyTorch module."""
        return self.forward(input_data)

    def predict(self, X, batch_size=PREDICT_BATCH_SIZE):
        """The network's outputs for the samples X, computed under `no_grad`: an MLArray
        of the network's dtype that needs no gradient.

        X of two or more dimensions is run `batch_size` rows at a time (None: all at
        once), so a large X never holds every layer's activations for all its rows;
        a 1-D X is one sample.
        """
        X = _as_numpy(X, "X")
        n = len(X)
        batch_size = n if X.ndim < 2 else _check_batch_size(batch_size, max(n, 1))
        with no_grad():
            if n <= batch_size:
                return self.forward(X)
            parts = [self.forward(X[start:start + batch_size]).numpy()
                     for start in range(0, n, batch_size)]
        return MLArray(np.concatenate(parts), requires_grad=False, dtype=parts[0].dtype)

    def named_parameters(self):
        """[(name, parameter), ...] over every layer, in order: "layers.{i}.weights",
        "layers.{i}.biases" for a DenseLayer i. The parameters are the very MLArrays
        the optimizer updates; a layer without `named_parameters` has none."""
        named = []
        for i, layer in enumerate(self.layers):
            layer_parameters = getattr(layer, "named_parameters", None)
            for name, param in (layer_parameters() if layer_parameters else ()):
                named.append((f"layers.{i}.{name}", param))
        return named

    def parameters(self):
        """Every parameter (an MLArray), in the order of `named_parameters`."""
        return [param for _, param in self.named_parameters()]

    def zero_grad(self):
        """Zero every parameter's gradient (gradients add up over backward calls)."""
        for param in self.parameters():
            param.zero_grad()

    def state_dict(self):
        """{name: NumPy copy of the parameter}, named as by `named_parameters`."""
        return {name: param.numpy() for name, param in self.named_parameters()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of `state_dict` (name -> NumPy array, MLArray, nested lists or
        anything `np.asarray` reads) into the parameters of the same names, in each
        parameter's dtype.

        strict: every parameter must be given and every name must be a parameter;
        otherwise names on either side are skipped. A value of the wrong shape or type
        is an error either way, and nothing is written unless every value is good.
        Returns (missing_keys, unexpected_keys), as PyTorch does.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict() needs a mapping of names to arrays; got "
                            f"{type(state_dict).__name__}")
        own = dict(self.named_parameters())
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict(strict=True): missing {missing}, unexpected "
                             f"{unexpected}; this network's names are {list(own)}")
        arrays = {name: _state_array(state_dict[name], name, param.shape)
                  for name, param in own.items() if name in state_dict}
        with no_grad():
            for name, array in arrays.items():
                own[name].update_values(array)
        return IncompatibleKeys(missing, unexpected)

    def to_torch(self):
        """This network as a `torch.nn.Sequential`: for each DenseLayer a
        `torch.nn.Linear` (weight = Wᵀ, bias = b[0]) and its activation's module, in
        the layers' dtype; for each Dropout a `torch.nn.Dropout` of the same p. The
        module is in training mode if the network is (`self.training`), else in eval
        mode. Needs PyTorch (`pip install smolml[torch]`)."""
        from smolml.models.nn import torch_bridge
        return torch_bridge.to_torch(self.layers, self.training)

    @classmethod
    def from_torch(cls, module, loss_function=None, optimizer=None):
        """A network with the layers of `module`, a `torch.nn.Sequential` of
        `torch.nn.Linear` layers, each optionally followed by one activation module
        that smolml has (see `smolml.models.nn.torch_bridge`), and `torch.nn.Dropout`
        modules, which become Dropout layers of the same p. The parameters are
        copied. `loss_function` and `optimizer` as in `NeuralNetwork(...)`: pass a loss
        to train the network further in smolml."""
        from smolml.models.nn import torch_bridge
        return cls(torch_bridge.layers_from_torch(module), loss_function, optimizer)

    def _check_backend(self, array):
        own, given = self.backend, _backend.backend_of(array)
        if own is not None and given != own:
            raise TypeError(
                f"this network's parameters are on the {own!r} backend but the input is an "
                f"MLArray of the {given!r} backend; pass plain data (x.numpy()) or an MLArray "
                f"made under smolml.use_backend({own!r}), or build the network on the "
                f"{given!r} backend")

    @_on_own_backend
    def train(self, X, y, epochs, verbose=True, print_every=1, batch_size=None, shuffle=True,
              validation_data=None, scheduler=None, clip_grad_norm=None, early_stopping=None,
              threads="auto"):
        """Fit the parameters to (X, y) by gradient descent; returns the loss history.

        X, y: MLArrays, nested lists or NumPy arrays with samples along the first axis.
        Each epoch visits every sample once, in batches of `batch_size` rows (None: the
        whole set in one batch), reshuffled every epoch when `shuffle` (with
        `smolml._random.rng`, so `smolml.manual_seed` fixes the order; a single
        batch is not shuffled, its gradient does not depend on row order). One step is:
        forward, loss, `loss.backward()`, `layer.update(optimizer, idx)` for every
        layer, then `restart()` of the batch and of every parameter.

        Returns one float per epoch: the mean of that epoch's batch losses. The same
        list is `self.history["loss"]`; with `validation_data=(X_val, y_val)`, the
        loss on it after each epoch (computed under no_grad) is
        `self.history["val_loss"]`. `self.history["lr"]` holds the learning rate each
        epoch ran with.

        scheduler: a learning-rate scheduler of this network's optimizer
        (`smolml.utils.schedulers`), stepped once after every epoch.

        clip_grad_norm: a number: after each backward pass, the gradients of all the
        parameters together are scaled to a total 2-norm of at most this
        (`smolml.utils.clip_grad_norm`, PyTorch's `clip_grad_norm_`).

        early_stopping: an int n (needs `validation_data`): training stops once the
        validation loss has not improved (gone below its best so far) for n epochs in
        a row, and at the end, stopped early or not, the parameters of the epoch with
        the lowest validation loss are put back. `self.history["best_epoch"]` is that
        epoch and `self.history["stopped_epoch"]` the epoch training stopped after
        (None when every epoch ran), both counted from 1.

        `training` is on during the steps and off for the validation loss; afterwards
        it is as it was before.

        threads: how many threads the steps' matrix products run on (NumPy's BLAS).
        "auto" (the default) times a few steps at 1 thread and at the core count, runs
        on the faster, and times them again every couple of seconds, so a core taken
        by another process does not stall training and a freed one is used again
        (`smolml._threads.TrainingThreads`, docs/engine.md). An integer >= 1 fixes the
        count. Afterwards the counts are as they were before.

        verbose: a live progress bar (epoch, loss, time left) and, every `print_every`
        epochs, a line with the epoch's loss.

        Ctrl-C stops training after the step under way and returns the history so
        far (a second Ctrl-C interrupts at once, except while the layers are being
        updated: that always finishes first); a `KeyboardInterrupt` raised inside
        a step (by the loss function, say) abandons that step. Either way the
        parameters hold the last completed update, and an epoch cut short counts with
        the mean of its completed steps.

        Raises FloatingPointError, naming the epoch, when the loss is not finite;
        that step's update is not applied.

        Before the first step, the inputs are checked: X and y (and the validation
        data) must be finite and have one row per sample, y must fit the network's
        output under the loss's shape rule (see `utils.losses`), `epochs` (>= 0) and
        `batch_size` (>= 1) and an integer `threads` (>= 1) must be integers, Python or NumPy, not bools (ValueError or
        TypeError naming the argument).
        A loss that does not depend on any parameter is a RuntimeError at the first
        step; a network without a loss function is a ValueError.
        """
        if self.loss_function is None:
            raise ValueError("this network has no loss function to train with; set "
                             "net.loss_function (for example losses.mse_loss) or pass "
                             "loss_function= when building or loading it")
        epochs = _checks.integer(epochs, "epochs")
        X_data, y_data = _training_data(X, y, "X", "y")
        if len(X_data) == 0:
            raise ValueError("cannot train on an empty data set")
        self._check_data(X_data, y_data, "X", "y")
        _check_training_options(self, scheduler, clip_grad_norm, early_stopping, validation_data)
        dtype = self.dtype
        batches = _Batches(X_data, y_data, _check_batch_size(batch_size, len(X_data)), shuffle,
                           dtype)
        thread_policy = _threads.TrainingThreads(threads, workload=(
            tuple(p.shape for p in self.parameters()), batches.batch_size, self.backend))
        if validation_data is not None:
            X_val, y_val = _validation_pair(validation_data)
            X_val, y_val = _training_data(X_val, y_val, "X_val", "y_val")
            self._check_data(X_val, y_val, "X_val", "y_val")
            X_val = MLArray(X_val, requires_grad=False, dtype=dtype)
            y_val = MLArray(y_val, requires_grad=False, dtype=dtype)

        history, val_history = [], []
        self.history = {"loss": history, "val_loss": val_history, "lr": [],
                        "best_epoch": None, "stopped_epoch": None}
        best = _BestParameters(self, early_stopping)
        was_training = self.training
        progress = _progress_bar()(total=epochs * batches.steps_per_epoch, unit="step",
                                   disable=not verbose, dynamic_ncols=True)
        try:
            with _StopAfterStep(verbose) as ctrl_c, progress as bar, thread_policy:
                for epoch in range(epochs):
                    bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
                    self.training = True
                    self.history["lr"].append(getattr(self.optimizer, "learning_rate", None))
                    batch_losses, stopped = self._train_epoch(batches, epoch, bar, ctrl_c,
                                                              thread_policy, clip_grad_norm)
                    self.training = False
                    if not batch_losses:
                        self.history["lr"].pop()
                    else:
                        history.append(sum(batch_losses) / len(batch_losses))
                        line = f"Epoch {epoch + 1}/{epochs}, Loss: {history[-1]:.6f}"
                        if validation_data is not None:
                            val_history.append(self._loss_on(X_val, y_val))
                            line += f", Validation loss: {val_history[-1]:.6f}"
                        if verbose and (stopped or (print_every and
                                                    (epoch + 1) % print_every == 0)):
                            bar.write(line)
                    if stopped:
                        if verbose:
                            bar.write(f"Training stopped by the user in epoch "
                                      f"{epoch + 1}/{epochs}.")
                        break
                    if best.patience_ran_out(val_history[-1] if val_history else math.nan,
                                             epoch):
                        self.history["stopped_epoch"] = epoch + 1
                        if verbose:
                            bar.write(f"Early stopping after epoch {epoch + 1}: no better "
                                      f"validation loss for {early_stopping} epochs.")
                        break
                    if scheduler is not None:
                        scheduler.step()
        finally:
            self.training = was_training
        self.history["best_epoch"] = best.restore()
        return history

    def _check_data(self, X, y, X_name, y_name):
        """Check X against the layers' sizes and, for smolml's own losses, y against the
        last layer's output under the losses' shape rule, before any step: data that
        does not fit fails now, naming X or y. Only sizes are read (nothing runs, no
        random number is drawn); past a layer without `input_size` and `output_size`
        the first step checks."""
        if X.ndim < 2:
            raise ValueError(f"{X_name} must have a feature axis, shape (n_samples, "
                             f"n_features); got shape {X.shape}")
        shape = X.shape
        for i, layer in enumerate(self.layers):
            n_in, n_out = getattr(layer, "input_size", None), getattr(layer, "output_size", None)
            if n_in is None or n_out is None:
                return
            if shape[-1] != n_in:
                raise ValueError(f"{X_name} of shape {X.shape} does not fit the network: "
                                 f"{_layer_label(i, len(self.layers))}{layer!r} expects "
                                 f"inputs of shape (N, {n_in}); gets shape {shape}")
            shape = shape[:-1] + (n_out,)
        if self.loss_function not in losses.LOSSES.values():
            return
        try:
            losses.check_shapes(shape, y.shape, self.loss_function)
        except ValueError as error:
            raise ValueError(f"{y_name} of shape {y.shape} does not fit the network's output "
                             f"of shape {shape}: {error}") from None

    def _loss_on(self, X, y):
        with no_grad():
            return float(self.loss_function(self.forward(X), y))

    def _train_epoch(self, batches, epoch, bar, ctrl_c, thread_policy, max_norm=None):
        """Run one epoch's steps; returns (their losses, whether training must stop)."""
        batch_losses = []
        running_total = 0.0
        steps = batches.steps_per_epoch
        for step, (X, y) in enumerate(batches.epoch()):
            try:
                batch_losses.append(thread_policy.step(self._train_step, X, y, epoch, step,
                                                       steps, max_norm))
            except KeyboardInterrupt:
                self._restart(X, y)
                return batch_losses, True
            running_total += batch_losses[-1]
            # refresh=False: the bar redraws on its own clock, not on every step
            bar.set_postfix(loss=f"{running_total / len(batch_losses):.4f}", refresh=False)
            bar.update(1)
            if ctrl_c.requested:
                return batch_losses, True
        return batch_losses, False

    def _train_step(self, X, y, epoch, step, steps_per_epoch, max_norm=None):
        """One step of SmolML's loop; returns the loss as a float."""
        y_pred = self.forward(X)
        loss = self.loss_function(y_pred, y)
        _check_loss_is_trainable(loss, self.loss_function)
        loss_value = float(loss)
        if not math.isfinite(loss_value):
            self._restart(X, y)
            raise FloatingPointError(
                f"the loss became {loss_value} in epoch {epoch + 1} (step {step + 1} of "
                f"{steps_per_epoch}); training stopped before applying that step. "
                f"A smaller learning rate or scaled inputs usually help.")
        loss.backward()
        if max_norm is not None:
            _clip_grad_norm(self.parameters(), max_norm)
        with _Updating():   # a Ctrl-C from here on waits until every layer is updated
            # A new step for the optimizer only now: a step abandoned before its update
            # must not advance Adam's t.
            if hasattr(self.optimizer, "begin_step"):
                self.optimizer.begin_step()
            for idx, layer in enumerate(self.layers):
                layer.update(self.optimizer, idx)
            self._restart(X, y)
        return loss_value

    def _restart(self, X, y):
        # Zero every gradient and cut the graph, so the next step starts clean.
        X.restart()
        y.restart()
        for param in self.parameters():
            param.restart()

    def save(self, path):
        """Write the layers' sizes, activation names and parameters to a `.npz` file,
        or to a `.safetensors` file when `path` ends with ".safetensors".

        NumPy arrays only (no pickle). NumPy adds `.npz` to a path without either
        ending; the path written is returned. In a safetensors file the parameters are
        the tensors `weights_{i}` and `biases_{i}` (shapes as in the layers), and the
        names are in its metadata. The loss function's name is stored too; the
        optimizer and its state are not. An activation or loss that load could not
        find again by its name (a lambda, a functools.partial, a function that shares
        a name with one of smolml's) is a ValueError saying what to do instead.
        Dropout layers are stored by their place in `layers` and their p (entries
        `dropout_positions`, `dropout_rates`, only when there are any); the dense
        layers' entries are numbered among the dense layers.
        """
        dense = self._dense_layers()
        arrays = {
            "format": np.array(FILE_FORMAT),
            "version": np.array(FILE_VERSION),
            "input_sizes": np.array([layer.input_size for layer in dense],
                                    dtype=np.int64),
            "output_sizes": np.array([layer.output_size for layer in dense], dtype=np.int64),
            "activations": np.array([_saved_name(layer.activation_function, activation.ACTIVATIONS,
                                                 f"layer {i + 1}'s activation",
                                                 "activations={'my_function': my_function}")
                                     for i, layer in enumerate(dense)], dtype=np.str_),
            "loss_function": np.array("" if self.loss_function is None else
                                      _saved_name(self.loss_function, losses.LOSSES,
                                                  "the loss function",
                                                  "loss_function=my_function")),
        }
        dropouts = [(i, layer.p) for i, layer in enumerate(self.layers) if isinstance(layer, Dropout)]
        if dropouts:
            arrays["dropout_positions"] = np.array([i for i, _ in dropouts], dtype=np.int64)
            arrays["dropout_rates"] = np.array([p for _, p in dropouts], dtype=np.float64)
        for i, layer in enumerate(dense):
            arrays[f"weights_{i}"] = layer.weights.numpy()
            arrays[f"biases_{i}"] = layer.biases.numpy()
        path = os.fspath(path)
        if path.endswith(".safetensors"):
            return _safetensors.write_arrays(path, arrays)
        np.savez(path, **arrays)
        return path if path.endswith(".npz") else path + ".npz"

    @classmethod
    def load(cls, path, loss_function=None, optimizer=None, activations=None):
        """Rebuild a network written by `save` (`.npz` or `.safetensors`), on the
        active backend.

        Activation and loss names are looked up among smolml's own
        (`activation.ACTIVATIONS`, `losses.LOSSES`) and nowhere else; pass
        `activations={name: function}` for others and `loss_function=` to override or
        supply the loss. `optimizer` as in `NeuralNetwork(...)`. Only the entries a
        network file has are read, each checked against the file's header before it
        is decompressed; a file that is not a network `save` wrote, or whose entries
        do not agree (layer counts, sizes that do not chain, parameter shapes, an
        unknown version) is a ValueError starting "not a smolml network file".
        """
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        contents = _files.read_network_file(path)
        known = {**activation.ACTIVATIONS, **dict(activations or {})}
        layers = []
        sizes = zip(contents["input_sizes"], contents["output_sizes"], contents["activations"])
        for i, (n_in, n_out, name) in enumerate(sizes):
            n_in, n_out, name = int(n_in), int(n_out), str(name)
            function = known.get(name)
            if not callable(function):
                raise ValueError(f"layer {i + 1} of {path} uses activation {name!r}, which is "
                                 f"not one of smolml's ({', '.join(activation.ACTIVATIONS)}); "
                                 f"pass activations={{{name!r}: function}}")
            weights = _stored_parameter(contents[f"weights_{i}"])
            biases = _stored_parameter(contents[f"biases_{i}"])
            layer = DenseLayer(n_in, n_out, function, weight_initializer=_Stored(weights),
                               dtype=weights.dtype)
            layer.biases.update_values(biases)
            layers.append(layer)
        _insert_dropouts(layers, contents, path)
        if loss_function is None:
            name = str(contents["loss_function"])
            loss_function = losses.LOSSES.get(name)
            if loss_function is None and name:        # "" : saved without a loss
                raise ValueError(f"{path} was trained with loss {name!r}, which is not one of "
                                 f"smolml's ({', '.join(losses.LOSSES)}); pass loss_function=")
        return cls(layers, loss_function, optimizer)

    def _dense_layers(self):
        """The DenseLayers, in order; a TypeError for a layer save() cannot store."""
        for layer in self.layers:
            if not isinstance(layer, (DenseLayer, Dropout)):
                raise TypeError(f"save() stores DenseLayers and Dropouts only; got "
                                f"{type(layer).__name__}")
        return [layer for layer in self.layers if isinstance(layer, DenseLayer)]

    def __repr__(self):
        """SmolML's summary: layers, parameter counts, optimizer, loss and memory."""
        separator = "=" * 80
        size_info = memory.calculate_neural_network_size(self)
        layer_lines = []
        for i, (layer, layer_size) in enumerate(zip(self.layers, size_info["layers"])):
            if not hasattr(layer, "weights"):
                layer_lines.append(f"  Layer {i + 1}: {layer!r}")
                continue
            n_in, n_out = layer.weights.shape[0], layer.weights.shape[-1]
            name = getattr(layer.activation_function, "__name__", repr(layer.activation_function))
            params = layer.weights.size() + layer.biases.size()
            layer_lines += [
                f"  Layer {i + 1}: Dense(in={n_in}, out={n_out}, activation={name})",
                f"      Parameters: {params:,} ({n_in}×{n_out} weights + {n_out} biases)",
                f"      Memory: {_layer_memory(layer_size)}",
            ]
        total_params = sum(param.size() for param in self.parameters())
        optimizer_lines = [f"Optimizer: {type(self.optimizer).__name__}"
                           f"(learning_rate={self.optimizer.learning_rate})"]
        state = size_info["optimizer"]["state"]
        optimizer_lines += [f"    {key}: {memory.format_size(size)}" for key, size in state.items()]
        loss_name = getattr(self.loss_function, "__name__", repr(self.loss_function))
        memory_lines = ["Memory Usage:"]
        memory_lines += [f"  Layer {i + 1}: {_layer_memory(layer_size)}"
                         for i, layer_size in enumerate(size_info["layers"])]
        if state:
            memory_lines.append(f"  Optimizer State: {memory.format_size(sum(state.values()))}")
        memory_lines.append(f"  Base Objects: {memory.format_size(size_info['base'])}")
        memory_lines.append(f"Total Memory: {memory.format_size(size_info['total'])}")
        return "\n".join([
            "", "Neural Network Architecture", separator, "",
            "Architecture:", *layer_lines, "",
            *optimizer_lines,
            f"Loss Function: {loss_name}", "",
            f"Total Parameters: {total_params:,}", "",
            *memory_lines,
            separator, "",
        ])


def _layer_memory(layer_size):
    return (f"{memory.format_size(layer_size['total'])} "
            f"(weights: {memory.format_size(layer_size['weights_size'])}, "
            f"biases: {memory.format_size(layer_size['biases_size'])})")


def _layer_label(i, n_layers):
    return f"layer {i + 1} of {n_layers} (network.layers[{i}]): "


def _training_data(X, y, X_name, y_name):
    """(X, y) as finite float64 arrays with the same number of samples."""
    X, y = _as_numpy(X, X_name), _as_numpy(y, y_name)
    if len(y) != len(X):
        raise ValueError(f"{X_name} has {len(X)} samples but {y_name} has {len(y)}")
    return _checks.finite(X, X_name), _checks.finite(y, y_name)


def _validation_pair(validation_data):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError(f"validation_data must be a pair (X_val, y_val); got "
                        f"{type(validation_data).__name__}")
    return validation_data


def _check_loss_is_trainable(loss, loss_function):
    """A loss must be an MLArray (or Value) whose graph reaches a parameter; one that
    needs no gradient would make every step a silent no-op."""
    if _backend.backend_of(loss) is not None and loss.requires_grad:
        return
    name = getattr(loss_function, "__name__", None) or type(loss_function).__name__
    if _backend.backend_of(loss) is None:
        raise TypeError(f"the loss function {name} returned {type(loss).__name__}; it must "
                        f"return a 0-d MLArray built with MLArray operations")
    raise RuntimeError(
        f"the loss from {name} does not depend on any parameter (it needs no gradient), "
        f"so training cannot change it. Usually the graph was cut: an activation or "
        f"loss that computes with NumPy or float() and wraps the result in a new "
        f"MLArray, or a forward pass run under smolml.no_grad().")


def _as_numpy(data, name):
    """Training data as a float64 NumPy array with samples along axis 0."""
    if isinstance(data, MLArray):
        array = data.numpy()
    else:
        array = np.asarray(data, dtype=np.float64)
    if array.ndim == 0:
        raise ValueError(f"{name} must have a sample axis; got a 0-d array")
    return array


IncompatibleKeys = namedtuple("IncompatibleKeys", "missing_keys unexpected_keys")
"""What `load_state_dict` returns: the parameter names it was not given, and the
names it was given that are not parameters."""


def _state_array(value, name, shape):
    """A state-dict entry as a real NumPy array of the parameter's `shape`."""
    try:
        array = value.numpy() if isinstance(value, MLArray) else np.asarray(value)
    except Exception as error:
        raise TypeError(f"{name}: cannot read {type(value).__name__} as an array "
                        f"({error})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if array.shape != tuple(shape):
        hint = ""
        if array.shape == tuple(shape)[::-1]:
            hint = (" (a torch.nn.Linear weight is (out, in): transpose it, or use "
                    "NeuralNetwork.from_torch)")
        raise ValueError(f"{name} has shape {array.shape} in the state dict; the "
                         f"network's parameter has {tuple(shape)}{hint}")
    return array


class _Batches:
    """The training data cut into batches: MLArrays of `dtype` that need no gradient."""

    def __init__(self, X, y, batch_size, shuffle, dtype):
        self.X, self.y = X, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.dtype = dtype
        self.steps_per_epoch = math.ceil(len(X) / batch_size)
        if self.steps_per_epoch == 1:
            # one batch: built once and reused every epoch (restart() clears it)
            self.whole = (MLArray(X, requires_grad=False, dtype=dtype),
                          MLArray(y, requires_grad=False, dtype=dtype))

    def epoch(self):
        """Yield one epoch's (X_batch, y_batch), in a new random order if shuffling."""
        if self.steps_per_epoch == 1:
            yield self.whole
            return
        order = list(range(len(self.X)))
        if self.shuffle:
            rng.shuffle(order)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            yield (MLArray(self.X[rows], requires_grad=False, dtype=self.dtype),
                   MLArray(self.y[rows], requires_grad=False, dtype=self.dtype))


def _check_batch_size(batch_size, n_samples):
    if batch_size is None:
        return n_samples
    return min(_checks.integer(batch_size, "batch_size", minimum=1), n_samples)


def _check_training_options(network, scheduler, max_norm, early_stopping, validation_data):
    """TypeError / ValueError for a bad scheduler, clip_grad_norm or early_stopping."""
    if scheduler is not None:
        if not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"scheduler must have a step() method (see "
                            f"smolml.utils.schedulers); got {type(scheduler).__name__}")
        if getattr(scheduler, "optimizer", network.optimizer) is not network.optimizer:
            raise ValueError("the scheduler was made for another optimizer than this "
                             "network's: make it with network.optimizer")
    if max_norm is not None:
        if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer,
                                                                   np.floating)):
            raise TypeError(f"clip_grad_norm must be None or a number > 0; got "
                            f"{type(max_norm).__name__}")
        if not max_norm > 0:
            raise ValueError(f"clip_grad_norm must be None or a number > 0; got {max_norm!r}")
    if early_stopping is not None:
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, (int, np.integer)) \
                or early_stopping < 1:
            raise ValueError(f"early_stopping must be None or an int >= 1 (epochs without "
                             f"improvement); got {early_stopping!r}")
        if validation_data is None:
            raise ValueError("early_stopping watches the validation loss: pass "
                             "validation_data=(X_val, y_val) too")


class _BestParameters:
    """Early stopping's memory: the lowest validation loss so far, the epoch it came
    from and a copy of the parameters then."""

    def __init__(self, network, patience):
        self.network = network
        self.patience = patience
        self.best_loss = math.inf
        self.best_epoch = None
        self.saved = None
        self.epochs_without_improvement = 0

    def patience_ran_out(self, val_loss, epoch):
        """Record epoch `epoch`'s (from 0) validation loss; True once `patience` epochs
        in a row brought nothing better (a NaN loss is never better)."""
        if self.patience is None:
            return False
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch = val_loss, epoch + 1
            self.saved = [param.numpy() for param in self.network.parameters()]
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience

    def restore(self):
        """Put the best parameters back; returns their epoch (from 1), or None."""
        if self.saved is None:
            return None
        with no_grad():
            for param, values in zip(self.network.parameters(), self.saved):
                param.update_values(values)
        return self.best_epoch


def _insert_dropouts(layers, contents, path):
    """Put the Dropout layers a file lists back at their places among `layers`."""
    positions = contents.get("dropout_positions", np.zeros(0, dtype=np.int64))
    rates = contents.get("dropout_rates", np.zeros(0))
    if positions.ndim != 1 or rates.shape != positions.shape or positions.dtype.kind not in "iu":
        raise ValueError(f"{path} has dropout entries of shapes {positions.shape} and "
                         f"{rates.shape}; they must be two lists of equal length")
    total = len(layers) + len(positions)
    if len(set(positions.tolist())) != len(positions) or \
            any(not 0 <= int(i) < total for i in positions):
        raise ValueError(f"{path} places Dropout layers at {positions.tolist()}, not distinct "
                         f"places among {total} layers")
    for position, rate in sorted(zip(positions.tolist(), rates.tolist())):
        try:
            layers.insert(position, Dropout(rate))
        except ValueError as error:
            raise ValueError(f"{path}: layer {position + 1}: {error}") from None


def _stored_parameter(array):
    # a network saved in float32 loads in float32; any other numbers as float64
    return array if array.dtype == np.float32 else array.astype(np.float64)


def _saved_name(function, registry, what, on_load):
    """The name `save` stores for `function`, if load can find it again by that name:
    smolml's own function under its name, or another function with a name of its own
    (which load then needs through `on_load`)."""
    name = getattr(function, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        kind = type(function)
        shown = "a lambda" if name == "<lambda>" else f"a {kind.__module__}.{kind.__qualname__}"
        raise ValueError(
            f"cannot save {what}, {shown}: it has no name that load could find it by. "
            f"Write it as a named function (def my_function(...): ...) and give it to "
            f"NeuralNetwork.load with {on_load}")
    if name in registry and registry[name] is not function:
        raise ValueError(
            f"cannot save {what}: it is named {name!r} but is not smolml's {name}, so load "
            f"would give smolml's. Rename it and give it to NeuralNetwork.load with {on_load}")
    return name


class _Stored(WeightInitializer):
    """Initializer that hands back saved weights (so loading draws no random numbers)."""

    def __init__(self, array):
        self.array = array

    def initialize(self, *dims, dtype=None):
        return MLArray(self.array, dtype=dtype or self.array.dtype)


def _progress_bar():
    """tqdm's class for this environment (a widget in a notebook, text elsewhere),
    imported on first use: tqdm.auto pulls in asyncio, which `import smolml` need not pay
    for (time and several MB) when nothing trains."""
    from tqdm.auto import tqdm
    return tqdm


class _StopAfterStep:
    """While training, the first Ctrl-C only asks to stop once the current step is
    done (so no layer is left half updated); a second one interrupts at once, unless
    it lands while the layers are being updated (see `_Updating`): then it is held,
    the update finishes, and training stops after that step.

    Only the main thread receives signals, so elsewhere this does nothing, and a
    SIGINT handler someone else installed is left alone.
    """

    active = None
    """The instance whose handler is installed now, if any (`_Updating` marks it)."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.requested = False
        self.updating = False
        self._previous = None
        self._outer = None

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._outer, _StopAfterStep.active = _StopAfterStep.active, self
        return self

    def _handle(self, signum, frame):
        if self.requested and not self.updating:
            raise KeyboardInterrupt
        if not self.requested and self.verbose:
            _progress_bar().write("Stopping after this step (press Ctrl-C again to stop now).")
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            _StopAfterStep.active = self._outer
        return False


class _Updating:
    """`with _Updating():` around a step's parameter updates. A Ctrl-C that arrives
    inside only asks training to stop after the step, so every layer ends at the same
    step (two attribute writes: nothing a step would notice)."""

    __slots__ = ("ctrl_c",)

    def __enter__(self):
        self.ctrl_c = _StopAfterStep.active
        if self.ctrl_c is not None:
            self.ctrl_c.updating = True
        return self

    def __exit__(self, *exc):
        if self.ctrl_c is not None:
            self.ctrl_c.updating = False
        return False
