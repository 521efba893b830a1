"""smolml.plot_history: a PNG of the loss curve, or a clear ImportError without matplotlib."""
import math
import sys

import numpy as np
import pytest

from smolml._plotting import plot_history

BLUE = np.array([0x1F, 0x77, 0xB4]) / 255     # matplotlib's first line colour (C0)
ORANGE = np.array([0xFF, 0x7F, 0x0E]) / 255   # its second (C1)


def pixels_of(colour, image):
    return int((np.abs(image[..., :3] - colour).max(axis=-1) < 0.02).sum())


def curve(n):
    return [2.0 * math.exp(-k / 4) + 0.1 for k in range(n)]


def test_without_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    # None in sys.modules makes `import matplotlib...` raise ImportError
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install smolml\[plot\]"):
        plot_history([1.0, 0.5], tmp_path / "loss.png")
    assert not (tmp_path / "loss.png").exists()


def test_empty_history_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        plot_history([], tmp_path / "loss.png")


def test_writes_a_png_with_the_training_curve(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread
    path = plot_history(curve(20), tmp_path / "loss.png", title="XOR")
    assert path == str(tmp_path / "loss.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[:2] == (400, 640)
    assert pixels_of(BLUE, image) > 200          # the training curve is drawn
    assert pixels_of(ORANGE, image) == 0         # and nothing else in colour


def test_validation_curve_from_the_history_dict(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread
    history = {"loss": curve(30), "val_loss": [x + 0.2 for x in curve(30)]}
    image = imread(plot_history(history, tmp_path / "both.png"))
    assert pixels_of(BLUE, image) > 200 and pixels_of(ORANGE, image) > 200
    # an explicit validation series takes the place of the dict's
    image = imread(plot_history(curve(10), tmp_path / "explicit.png", validation=curve(10)))
    assert pixels_of(ORANGE, image) > 100


def test_default_path_and_log_scale(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert plot_history(curve(5), log_scale=True) == "loss_history.png"
    assert (tmp_path / "loss_history.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="log_scale"):
        plot_history([1.0, 0.0], log_scale=True)
