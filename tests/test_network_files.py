"""NeuralNetwork.load trusts nothing in a file: it reads only the entries a network
file has, checks each against the header before decompressing it, checks format,
version, per-layer lists and chained sizes, and resolves names only among smolml's
own functions. NeuralNetwork.save refuses functions load could not find again."""
import functools
import io
import tracemalloc
import zipfile

import numpy as np
import pytest

import smolml
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses

MiB = 1 << 20


def network():
    smolml.manual_seed(0)
    return NeuralNetwork([DenseLayer(3, 4, activation.relu), DenseLayer(4, 2, activation.softmax)],
                         losses.categorical_cross_entropy)


def saved_contents(tmp_path):
    path = network().save(tmp_path / "good.npz")
    with np.load(path, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def write(tmp_path, contents, name="crafted.npz"):
    path = tmp_path / name
    np.savez(path, **contents)
    return path


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def add_member(path, name, array, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "a", compression=compression) as archive:
        archive.writestr(name, npy_bytes(array))


def peak_bytes(function):
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_unknown_members_are_never_read(backend, tmp_path):
    path = write(tmp_path, saved_contents(tmp_path))
    add_member(path, "junk.npy", np.zeros(32 * MiB // 8))       # 32 MiB, ~32 KB compressed
    assert path.stat().st_size < MiB
    expected = network()
    loaded = []
    assert peak_bytes(lambda: loaded.append(NeuralNetwork.load(path))) < 4 * MiB
    np.testing.assert_array_equal(loaded[0].layers[1].weights.numpy(),
                                  expected.layers[1].weights.numpy())


def test_a_member_larger_than_its_header_says_is_refused_before_decompressing(backend, tmp_path):
    contents = saved_contents(tmp_path)
    del contents["weights_1"]
    path = write(tmp_path, contents)
    add_member(path, "weights_1.npy", np.zeros((4, 32 * MiB // 32)))   # header says (4, 2)
    errors = []

    def load():
        with pytest.raises(ValueError) as info:
            NeuralNetwork.load(path)
        errors.append(str(info.value))

    assert peak_bytes(load) < 4 * MiB
    assert errors[0].startswith("not a smolml network file")
    assert "'weights_1' entry is 33,554,560 bytes" in errors[0]


@pytest.mark.parametrize("change, words", [
    (lambda c: c.update(input_sizes=c["input_sizes"][:1]), "one entry per layer"),
    (lambda c: c.update(output_sizes=c["output_sizes"][:1]), "one entry per layer"),
    (lambda c: c.update(activations=c["activations"][:1]), "one entry per layer"),
    (lambda c: c.update(input_sizes=np.array([], dtype=np.int64),
                        output_sizes=np.array([], dtype=np.int64),
                        activations=np.array([], dtype=np.str_)), "at least one"),
    (lambda c: c.update(input_sizes=np.array([3, 5])), "layer 1 has 4 outputs but layer 2 has 5"),
    (lambda c: c.update(input_sizes=np.array([0, 4])), "layer 1 has sizes (0, 4)"),
    (lambda c: c.update(version=np.array(99)), "version 99"),
    (lambda c: c.update(version=np.array("1")), "version"),
    (lambda c: c.pop("version"), "no 'version' entry"),
    (lambda c: c.pop("weights_1"), "no 'weights_1' entry"),
    (lambda c: c.update(format=np.array("other")), "format entry"),
    (lambda c: c.update(input_sizes=np.array([3.0, 4.0])), "input_sizes must be a 1-D list"),
    (lambda c: c.update(weights_0=np.zeros((3, 4), dtype=np.int64)), "weights_0 holds int64"),
    (lambda c: c.update(biases_1=np.zeros((2, 1))), "biases_1 has shape (2, 1)"),
])
def test_inconsistent_files_are_refused(backend, tmp_path, change, words):
    contents = saved_contents(tmp_path)
    change(contents)
    with pytest.raises(ValueError) as info:
        NeuralNetwork.load(write(tmp_path, contents))
    message = str(info.value)
    assert message.startswith("not a smolml network file") and words in message, message


def npy_with_header(shape, payload):
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + payload


@pytest.mark.parametrize("shape", ["(-4, 2)", "(4, -2)", "(10, 10)"])
def test_a_parameter_header_that_lies_is_refused(backend, tmp_path, shape):
    """A negative size would mean "read to the end" (a zip bomb); a size larger than
    the entry would read past it."""
    contents = saved_contents(tmp_path)
    del contents["weights_1"]
    path = write(tmp_path, contents)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("weights_1.npy", npy_with_header(shape, bytes(64)))
    with pytest.raises(ValueError, match="not a smolml network file.*'weights_1' entry claims"):
        NeuralNetwork.load(path)


@pytest.mark.parametrize("make", [
    lambda path: path.write_bytes(npy_bytes(np.zeros(3))),
    lambda path: path.write_text("layers: 3\n"),
    lambda path: path.write_bytes(np.random.default_rng(0).bytes(4096)),
    lambda path: path.write_bytes(b""),
])
def test_other_files_are_not_network_files(backend, tmp_path, make):
    path = tmp_path / "other.npz"
    make(path)
    with pytest.raises(ValueError) as info:
        NeuralNetwork.load(path)
    message = str(info.value)
    assert message.startswith("not a smolml network file") and "pickle" not in message


def test_a_pickled_member_is_refused(backend, tmp_path):
    contents = saved_contents(tmp_path)
    path = write(tmp_path, contents)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    np.save(buffer, np.array(["relu", "softmax"], dtype=object), allow_pickle=True)
    members["activations.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="not a smolml network file.*'activations' entry holds"):
        NeuralNetwork.load(path)


@pytest.mark.parametrize("name", ["MLArray", "no_grad", "__class__", "_as_node", "resolve",
                                  "Value"])
def test_stored_activation_names_resolve_only_to_activations(backend, tmp_path, name):
    contents = saved_contents(tmp_path)
    contents["activations"] = np.array(["relu", name])
    with pytest.raises(ValueError, match=f"uses activation '{name}', which is not one of"):
        NeuralNetwork.load(write(tmp_path, contents))
    loaded = NeuralNetwork.load(write(tmp_path, contents), activations={name: activation.tanh})
    assert loaded.layers[1].activation_function is activation.tanh


@pytest.mark.parametrize("name", ["MLArray", "_pair", "__class__", "EPSILON", "resolve",
                                  "check_shapes"])
def test_stored_loss_names_resolve_only_to_losses(backend, tmp_path, name):
    contents = saved_contents(tmp_path)
    contents["loss_function"] = np.array(name)
    with pytest.raises(ValueError, match=f"trained with loss '{name}', which is not one of"):
        NeuralNetwork.load(write(tmp_path, contents))


def test_save_refuses_a_partial_activation(backend, tmp_path):
    net = NeuralNetwork([DenseLayer(3, 2, functools.partial(activation.leaky_relu, alpha=0.2))],
                        losses.mse_loss)
    with pytest.raises(ValueError, match="layer 1's activation.*no name.*activations="):
        net.save(tmp_path / "net")
    assert not (tmp_path / "net.npz").exists()


def test_save_refuses_a_lambda_loss(backend, tmp_path):
    net = NeuralNetwork([DenseLayer(3, 2)], lambda p, t: losses.mse_loss(p, t))
    with pytest.raises(ValueError, match="the loss function.*no name.*loss_function="):
        net.save(tmp_path / "net")


def test_save_refuses_a_function_named_like_smolml_s(backend, tmp_path):
    def relu(x):
        return x.tanh()

    net = NeuralNetwork([DenseLayer(3, 2, relu)], losses.mse_loss)
    with pytest.raises(ValueError, match="named 'relu' but is not smolml's relu"):
        net.save(tmp_path / "net")


def test_a_named_custom_activation_round_trips(backend, tmp_path):
    def leaky_02(x):
        return activation.leaky_relu(x, alpha=0.2)

    smolml.manual_seed(0)
    net = NeuralNetwork([DenseLayer(3, 2, leaky_02)], losses.mse_loss)
    path = net.save(tmp_path / "net")
    loaded = NeuralNetwork.load(path, activations={"leaky_02": leaky_02})
    X = np.array([[1.0, -2.0, 0.5]])
    with smolml.no_grad():
        np.testing.assert_array_equal(loaded.forward(X).numpy(), net.forward(X).numpy())
