"""`NeuralNetwork`: a stack of layers, a loss function and an optimizer that trains them."""
import math
import os
import signal
import threading

import numpy as np

from smolml import _dtype
from smolml._grad import no_grad
from smolml._random import rng
from smolml.core.ml_array import MLArray
from smolml.models.nn.dropout import Dropout
from smolml.models.nn.layer import DenseLayer
from smolml.utils import activation, losses, memory, optimizers
from smolml.utils.clipping import clip_grad_norm as _clip_grad_norm
from smolml.utils.initializers import WeightInitializer

FILE_FORMAT = "smolml.NeuralNetwork"
FILE_VERSION = 1


class NeuralNetwork:
    """A feed-forward network: `forward` passes data through `layers` in order.

    `loss_function(y_pred, y_true)` returns a 0-d MLArray; `optimizer` (an
    `utils.optimizers.Optimizer`; None gives a new `SGD()`) updates every layer's
    parameters after each backward pass.

    `training` (False at first) is the mode layers such as `Dropout` follow:
    `train` turns it on for its steps; a hand-written loop sets it.
    """

    def __init__(self, layers, loss_function, optimizer=None):
        self.layers = list(layers)
        self.loss_function = loss_function
        self.optimizer = optimizer if optimizer is not None else optimizers.SGD()
        self.history = {"loss": [], "val_loss": []}
        self.training = False

    @property
    def dtype(self):
        """The dtype of the first layer with weights: data given as lists or NumPy
        arrays is converted to it."""
        for param in self._parameters()[:1]:
            return param.dtype
        return _dtype.get_default_dtype()

    def forward(self, input_data):
        """Output of the last layer for a batch `input_data` (MLArray, list or NumPy).

        Data that is not an MLArray yet is wrapped with requires_grad=False (inputs
        need no gradient) in the network's dtype. Builds the graph back to every
        parameter; wrap the call in `smolml.no_grad()` to predict without one.
        """
        if not isinstance(input_data, MLArray):
            input_data = MLArray(input_data, requires_grad=False, dtype=self.dtype)
        for layer in self.layers:
            if hasattr(layer, "training"):
                layer.training = self.training
            input_data = layer.forward(input_data)
        return input_data

    def _parameters(self):
        """Every layer's weights and biases, in layer order (Dropout has none)."""
        return [getattr(layer, name) for layer in self.layers for name in ("weights", "biases")
                if isinstance(getattr(layer, name, None), MLArray)]

    def train(self, X, y, epochs, verbose=True, print_every=1, batch_size=None, shuffle=True,
              validation_data=None, scheduler=None, clip_grad_norm=None, early_stopping=None):
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

        verbose: a live progress bar (epoch, loss, time left) and, every `print_every`
        epochs, a line with the epoch's loss.

        Ctrl-C stops training after the step under way and returns the history so
        far (a second Ctrl-C interrupts at once); a `KeyboardInterrupt` raised inside
        a step (by the loss function, say) abandons that step. Either way the
        parameters hold the last completed update, and an epoch cut short counts with
        the mean of its completed steps.

        Raises FloatingPointError, naming the epoch, when the loss is not finite;
        that step's update is not applied.
        """
        X_data, y_data = _as_numpy(X, "X"), _as_numpy(y, "y")
        if len(y_data) != len(X_data):
            raise ValueError(f"X has {len(X_data)} samples but y has {len(y_data)}")
        if len(X_data) == 0:
            raise ValueError("cannot train on an empty data set")
        _check_training_options(self, scheduler, clip_grad_norm, early_stopping, validation_data)
        dtype = self.dtype
        batches = _Batches(X_data, y_data, _check_batch_size(batch_size, len(X_data)), shuffle,
                           dtype)
        if validation_data is not None:
            X_val, y_val = validation_data
            X_val = MLArray(_as_numpy(X_val, "X_val"), requires_grad=False, dtype=dtype)
            y_val = MLArray(_as_numpy(y_val, "y_val"), requires_grad=False, dtype=dtype)

        history, val_history = [], []
        self.history = {"loss": history, "val_loss": val_history, "lr": [],
                        "best_epoch": None, "stopped_epoch": None}
        best = _BestParameters(self, early_stopping)
        was_training = self.training
        progress = _progress_bar()(total=epochs * batches.steps_per_epoch, unit="step",
                                   disable=not verbose, dynamic_ncols=True)
        try:
            with _StopAfterStep(verbose) as ctrl_c, progress as bar:
                for epoch in range(epochs):
                    bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
                    self.training = True
                    self.history["lr"].append(getattr(self.optimizer, "learning_rate", None))
                    batch_losses, stopped = self._train_epoch(batches, epoch, bar, ctrl_c,
                                                              clip_grad_norm)
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

    def _loss_on(self, X, y):
        with no_grad():
            return float(self.loss_function(self.forward(X), y))

    def _train_epoch(self, batches, epoch, bar, ctrl_c, max_norm=None):
        """Run one epoch's steps; returns (their losses, whether training must stop)."""
        batch_losses = []
        running_total = 0.0
        for step, (X, y) in enumerate(batches.epoch()):
            try:
                batch_losses.append(self._train_step(X, y, epoch, step, batches.steps_per_epoch,
                                                     max_norm))
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
        loss_value = float(loss)
        if not math.isfinite(loss_value):
            self._restart(X, y)
            raise FloatingPointError(
                f"the loss became {loss_value} in epoch {epoch + 1} (step {step + 1} of "
                f"{steps_per_epoch}); training stopped before applying that step. "
                f"A smaller learning rate or scaled inputs usually help.")
        loss.backward()
        if max_norm is not None:
            _clip_grad_norm(self._parameters(), max_norm)
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
        for param in self._parameters():
            param.restart()

    def save(self, path):
        """Write the layers' sizes, activation names and parameters to a `.npz` file.

        NumPy arrays only (no pickle). NumPy adds `.npz` to a path without it; the
        path written is returned. The loss function's name is stored too; the
        optimizer and its state are not. Dropout layers are stored by their place in
        `layers` and their p (entries `dropout_positions`, `dropout_rates`, only when
        there are any); the dense layers' entries are numbered among the dense layers.
        """
        dense = self._dense_layers()
        arrays = {
            "format": np.array(FILE_FORMAT),
            "version": np.array(FILE_VERSION),
            "input_sizes": np.array([layer.input_size for layer in dense], dtype=np.int64),
            "output_sizes": np.array([layer.output_size for layer in dense], dtype=np.int64),
            "activations": np.array([layer.activation_function.__name__ for layer in dense],
                                    dtype=np.str_),
            "loss_function": np.array(getattr(self.loss_function, "__name__", "")),
        }
        dropouts = [(i, layer.p) for i, layer in enumerate(self.layers) if isinstance(layer, Dropout)]
        if dropouts:
            arrays["dropout_positions"] = np.array([i for i, _ in dropouts], dtype=np.int64)
            arrays["dropout_rates"] = np.array([p for _, p in dropouts], dtype=np.float64)
        for i, layer in enumerate(dense):
            arrays[f"weights_{i}"] = layer.weights.numpy()
            arrays[f"biases_{i}"] = layer.biases.numpy()
        path = os.fspath(path)
        np.savez(path, **arrays)
        return path if path.endswith(".npz") else path + ".npz"

    @classmethod
    def load(cls, path, loss_function=None, optimizer=None, activations=None):
        """Rebuild a network written by `save`, on the active backend.

        Activations and the loss function are found by name in `smolml.utils`;
        pass `activations={name: function}` for others and `loss_function=` to
        override or supply the loss. `optimizer` as in `NeuralNetwork(...)`.
        Raises ValueError when the file is not a smolml network or a parameter's
        shape does not match its layer's sizes.
        """
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        with np.load(path, allow_pickle=False) as stored:
            contents = {key: stored[key] for key in stored.files}
        for key in ("format", "input_sizes", "output_sizes", "activations"):
            if key not in contents:
                raise ValueError(f"{path} is not a smolml NeuralNetwork file (no {key!r} entry)")
        if str(contents["format"]) != FILE_FORMAT:
            raise ValueError(f"{path} is not a smolml NeuralNetwork file "
                             f"(format {str(contents['format'])!r})")
        known = dict(activations or {})
        layers = []
        sizes = zip(contents["input_sizes"], contents["output_sizes"], contents["activations"])
        for i, (n_in, n_out, name) in enumerate(sizes):
            n_in, n_out, name = int(n_in), int(n_out), str(name)
            function = known.get(name) or getattr(activation, name, None)
            if not callable(function):
                raise ValueError(f"layer {i + 1} of {path} uses activation {name!r}, which is "
                                 f"not in smolml.utils.activation; pass "
                                 f"activations={{{name!r}: function}}")
            weights = _stored_parameter(contents, f"weights_{i}", (n_in, n_out), path)
            biases = _stored_parameter(contents, f"biases_{i}", (1, n_out), path)
            layer = DenseLayer(n_in, n_out, function, weight_initializer=_Stored(weights),
                               dtype=weights.dtype)
            layer.biases.update_values(biases)
            layers.append(layer)
        _insert_dropouts(layers, contents, path)
        if loss_function is None:
            name = str(contents.get("loss_function", ""))
            loss_function = getattr(losses, name, None) if name else None
            if not callable(loss_function):
                raise ValueError(f"{path} was trained with loss {name!r}, which is not in "
                                 f"smolml.utils.losses; pass loss_function=")
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
        total_params = sum(param.size() for param in self._parameters())
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


def _as_numpy(data, name):
    """Training data as a float64 NumPy array with samples along axis 0."""
    if isinstance(data, MLArray):
        array = data.numpy()
    else:
        array = np.asarray(data, dtype=np.float64)
    if array.ndim == 0:
        raise ValueError(f"{name} must have a sample axis; got a 0-d array")
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
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be None or an int >= 1; got {batch_size!r}")
    return min(batch_size, n_samples)


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
            self.saved = [param.numpy() for param in self.network._parameters()]
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience

    def restore(self):
        """Put the best parameters back; returns their epoch (from 1), or None."""
        if self.saved is None:
            return None
        with no_grad():
            for param, values in zip(self.network._parameters(), self.saved):
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


def _stored_parameter(contents, key, shape, path):
    if key not in contents:
        raise ValueError(f"{path} has no {key!r} entry")
    array = contents[key]
    if array.shape != shape:
        raise ValueError(f"{key} in {path} has shape {array.shape}; its layer needs {shape}")
    # a network saved in float32 loads in float32; any other numbers as float64
    return array if array.dtype == np.float32 else array.astype(np.float64)


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
    done (so no layer is left half updated); a second one interrupts at once.

    Only the main thread receives signals, so elsewhere this does nothing, and a
    SIGINT handler someone else installed is left alone.
    """

    def __init__(self, verbose):
        self.verbose = verbose
        self.requested = False
        self._previous = None

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self.verbose:
            _progress_bar().write("Stopping after this step (press Ctrl-C again to stop now).")

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False
