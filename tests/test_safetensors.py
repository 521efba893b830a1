"""`.safetensors` files: the bytes checked against the format's layout (an 8-byte
little-endian header length, a JSON header, raw little-endian buffers that tile the
rest), the network round trip, hostile files, and the `safetensors` package's own NumPy
loader when it is installed."""
import json
import struct

import numpy as np
import pytest

import smolml
from smolml import _safetensors
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses

X = np.random.default_rng(1).normal(size=(5, 3))


def network(dtype=None):
    smolml.manual_seed(0)
    return NeuralNetwork([DenseLayer(3, 4, activation.relu, dtype=dtype),
                          DenseLayer(4, 2, activation.softmax, dtype=dtype)],
                         losses.categorical_cross_entropy)


def parse(raw):
    """The format's layout, read by hand: (header dict, buffer bytes)."""
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    return header, raw[8 + length:]


@pytest.mark.parametrize("dtype, code, little", [(None, "F64", "<f8"),
                                                 (smolml.float32, "F32", "<f4")])
def test_bytes_follow_the_format(backend, tmp_path, dtype, code, little):
    net = network(dtype)
    path = net.save(tmp_path / "net.safetensors")
    assert path.endswith("net.safetensors")
    header, buffer = parse((tmp_path / "net.safetensors").read_bytes())
    metadata = header.pop("__metadata__")
    assert json.loads(metadata["format"]) == "smolml.NeuralNetwork"
    assert json.loads(metadata["activations"]) == ["relu", "softmax"]
    assert json.loads(metadata["loss_function"]) == "categorical_cross_entropy"
    # the tensors tile the buffer in order, with no gap
    spans = sorted(entry["data_offsets"] for entry in header.values())
    assert spans[0][0] == 0 and spans[-1][1] == len(buffer)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    for i, layer in enumerate(net.layers):
        for name, param in (("weights", layer.weights), ("biases", layer.biases)):
            entry = header[f"{name}_{i}"]
            assert entry["dtype"] == code and tuple(entry["shape"]) == param.shape
            begin, end = entry["data_offsets"]
            np.testing.assert_array_equal(
                np.frombuffer(buffer[begin:end], dtype=little).reshape(param.shape),
                param.numpy())
    assert header["input_sizes"]["dtype"] == "I64"


def test_header_is_padded_to_eight_bytes(tmp_path):
    _safetensors.write_arrays(tmp_path / "a.safetensors", {"x": np.arange(3.0)})
    (length,) = struct.unpack("<Q", (tmp_path / "a.safetensors").read_bytes()[:8])
    assert (8 + length) % 8 == 0


def test_network_round_trip(backend, tmp_path):
    for dtype in (None, smolml.float32):
        net = network(dtype)
        path = net.save(tmp_path / "net.safetensors")
        back = NeuralNetwork.load(path)
        assert back.dtype == net.dtype
        assert [layer.activation_function for layer in back.layers] == [
            activation.relu, activation.softmax]
        assert back.loss_function is losses.categorical_cross_entropy
        for a, b in zip(back.parameters(), net.parameters()):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_arrays_round_trip_every_dtype(tmp_path):
    arrays = {"f8": np.arange(6.0).reshape(2, 3), "f4": np.float32([1.5, -2.0]),
              "f2": np.float16([0.5]), "i8": np.int64([[-1, 2**40]]), "u1": np.uint8([255]),
              "b": np.array([True, False]), "empty": np.zeros((0, 3)), "scalar": np.array(2.0),
              "big_endian": np.arange(3, dtype=">f8"), "strided": np.arange(12.0).reshape(3, 4).T,
              "name": np.array("smolml"), "names": np.array(["a", "bc"]),
              "no_names": np.array([], dtype=np.str_)}
    _safetensors.write_arrays(tmp_path / "a.safetensors", arrays)
    back = _safetensors.read_arrays(tmp_path / "a.safetensors")
    assert set(back) == set(arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(back[name], array)
        assert back[name].dtype == array.dtype.newbyteorder("=")


def test_unsupported_dtype_is_refused(tmp_path):
    with pytest.raises(TypeError, match="complex"):
        _safetensors.write_arrays(tmp_path / "a.safetensors", {"c": np.zeros(2, complex)})


def write_raw(path, header, buffer=b"", length=None):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + buffer)
    return path


@pytest.mark.parametrize("header, buffer, length, message", [
    ({}, b"", 10**12, "header claims"),
    ({"x": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8, None,
     "cover 16 bytes of a 8-byte buffer"),
    ({"x": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}}, b"\0" * 16, None,
     "needs 24 bytes"),
    ({"x": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0" * 2, None,
     "dtype 'BF16'"),
    ({"x": {"dtype": "F64", "shape": [-1], "data_offsets": [0, 8]}}, b"\0" * 8, None,
     "shape"),
    ({"x": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}, b"\0" * 16, None,
     "gap or an overlap"),
    ({"x": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
      "y": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8, None,
     "gap or an overlap"),
    ({"x": {"dtype": "F64", "shape": [1], "data_offsets": [8, 0]}}, b"\0" * 8, None,
     "data_offsets"),
    ({"x": [1, 2]}, b"", None, "JSON object"),
    ([1, 2], b"", None, "not a JSON object"),
    ({"__metadata__": [1]}, b"", None, "__metadata__"),
])
def test_hostile_files_give_clear_errors(tmp_path, header, buffer, length, message):
    path = write_raw(tmp_path / "bad.safetensors", header, buffer, length)
    with pytest.raises(ValueError, match=message):
        _safetensors.read_arrays(path)


def test_not_json_and_short_files(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 4) + b"\xff\xfe{]")
    with pytest.raises(ValueError, match="not JSON"):
        _safetensors.read_arrays(path)
    deep = b"[" * 200_000 + b"]" * 200_000
    path.write_bytes(struct.pack("<Q", len(deep)) + deep)
    with pytest.raises(ValueError, match="not JSON"):
        _safetensors.read_arrays(path)
    path.write_bytes(b"abc")
    with pytest.raises(ValueError, match="3 bytes"):
        _safetensors.read_arrays(path)


def test_a_file_of_another_writer_is_not_a_network(backend, tmp_path):
    path = _safetensors.write_arrays(tmp_path / "model.safetensors", {"w": np.zeros(2)})
    with pytest.raises(ValueError, match="not a smolml network file"):
        NeuralNetwork.load(path)


def test_the_safetensors_package_reads_smolml_files(backend, tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    net = network()
    path = net.save(tmp_path / "net.safetensors")
    tensors = safetensors_numpy.load_file(path)
    for i, layer in enumerate(net.layers):
        np.testing.assert_array_equal(tensors[f"weights_{i}"], layer.weights.numpy())
        np.testing.assert_array_equal(tensors[f"biases_{i}"], layer.biases.numpy())
    # and smolml reads the package's files
    safetensors_numpy.save_file({"a": np.arange(4.0).reshape(2, 2)}, tmp_path / "p.safetensors",
                                metadata={"note": "plain text"})
    back = _safetensors.read_arrays(tmp_path / "p.safetensors")
    np.testing.assert_array_equal(back["a"], np.arange(4.0).reshape(2, 2))
    assert str(back["note"]) == "plain text"
