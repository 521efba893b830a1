"""`smolml.plot_history`: a loss curve saved as a PNG, drawn with matplotlib.

matplotlib is an optional dependency (`pip install smolml[plot]`). The figure is
drawn on an Agg canvas of its own, never through pyplot, so it works without a
display and leaves the user's pyplot state and backend alone.
"""
import math
import os

PLOT_HINT = "plot_history needs matplotlib: pip install smolml[plot] (or pip install matplotlib)"


def _series(values, name):
    try:
        numbers = [float(x) for x in values]
    except TypeError:
        raise TypeError(f"{name} must be a sequence of numbers; got {type(values).__name__}") from None
    return numbers


def plot_history(history, path=None, validation=None, title="Training loss", log_scale=False):
    """Plot loss per epoch and save it as an image; returns the path written.

    history: the list `NeuralNetwork.train` returns (one loss per epoch), or the
    network's `history` dict {"loss": [...], "val_loss": [...]}, whose "val_loss"
    becomes the validation curve when `validation` is not given.
    validation: an optional second curve (e.g. the loss on held-out data per epoch).
    path: where to save (format from the extension, PNG by default); None saves
    `loss_history.png` in the current directory.
    log_scale: a logarithmic loss axis, for losses that fall by orders of magnitude.

    Raises ImportError (saying how to install it) without matplotlib, ValueError
    for an empty history or, with log_scale, a loss <= 0.
    """
    if isinstance(history, dict):
        if validation is None:
            validation = history.get("val_loss") or None
        history = history.get("loss", [])
    losses = _series(history, "history")
    if not losses:
        raise ValueError("plot_history: the history is empty (no epoch was trained)")
    validation = _series(validation, "validation") if validation is not None else None
    if log_scale and any(not x > 0 for x in losses + (validation or []) if not math.isnan(x)):
        raise ValueError("plot_history: log_scale needs every loss > 0")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(PLOT_HINT) from error

    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    epochs = range(1, len(losses) + 1)
    axes.plot(epochs, losses, marker="o" if len(losses) <= 30 else None, markersize=3,
              label="training")
    if validation:
        axes.plot(range(1, len(validation) + 1), validation,
                  marker="o" if len(validation) <= 30 else None, markersize=3, label="validation")
        axes.legend()
    if log_scale:
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    # whole epochs on the x axis
    axes.xaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    path = os.fspath(path) if path is not None else "loss_history.png"
    figure.savefig(path)
    return path
