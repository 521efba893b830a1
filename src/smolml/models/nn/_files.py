"""Reading a saved network with bounded memory and no trust in the file.

A network file is a NumPy `.npz` archive (a zip of `.npy` members). `read_npz` opens
only the members a network file has, in order: the small header members first, each
at most HEADER_LIMIT bytes; then each layer's `weights_i` and `biases_i`, whose size in
the zip directory must be what the header's layer sizes say before a byte of them is
decompressed, and which are then read exactly that long. Other members are never read.
A `.safetensors` network file holds the same entries (read_safetensors). Anything
unexpected is a ValueError that starts "not a smolml network file".
"""
import math
import zipfile

import numpy as np

from smolml import _safetensors

FILE_FORMAT = "smolml.NeuralNetwork"
FILE_VERSION = 1
HEADER_LIMIT = 1 << 20
"""Largest size of a header member (format, version, sizes, names), in bytes."""
NPY_HEADER_LIMIT = 4096
"""Largest `.npy` header accepted in front of a member's numbers (NumPy writes ~128)."""
PARAMETER_DTYPES = (np.dtype("<f8"), np.dtype("<f4"))
HEADER_MEMBERS = ("format", "version", "input_sizes", "output_sizes", "activations",
                  "loss_function")
OPTIONAL_MEMBERS = ("dropout_positions", "dropout_rates")
"""Header members only a network with Dropout layers has (checked by its load)."""


def not_a_network(path, why):
    return ValueError(f"not a smolml network file: {path}: {why}")


def read_npz(path):
    """{member name: ndarray} of a network file at `path`, checked: format, version,
    one entry per layer in every per-layer list, sizes that chain, and parameters of
    the shapes the sizes give."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as error:
        if isinstance(error, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise not_a_network(path, "it is not an .npz archive (a network file is the "
                                  "zip archive that NeuralNetwork.save writes)") from None
    with archive:
        present = set(archive.namelist())
        contents = {name: _read_member(archive, path, name, HEADER_LIMIT)
                    for name in HEADER_MEMBERS + OPTIONAL_MEMBERS
                    if name in HEADER_MEMBERS or name + ".npy" in present}
        for name, shape in parameter_shapes(check_header(contents, path)):
            limit = NPY_HEADER_LIMIT + math.prod(shape) * 8
            contents[name] = check_parameter(_read_member(archive, path, name, limit),
                                             name, shape, path)
    return contents


def read_safetensors(path):
    """{entry name: ndarray} of a network file saved as `.safetensors`, with the same
    checks as `read_npz`. The file is read whole, once its header has been checked
    against the file's size (smolml._safetensors), so memory is bounded by the file."""
    try:
        contents = _safetensors.read_arrays(path)
    except ValueError as error:
        raise not_a_network(path, str(error)) from None
    missing = [name for name in HEADER_MEMBERS if name not in contents]
    if missing:
        raise not_a_network(path, f"it has no {missing[0]!r} entry")
    for name, shape in parameter_shapes(check_header(contents, path)):
        if name not in contents:
            raise not_a_network(path, f"it has no {name!r} entry")
        check_parameter(contents[name], name, shape, path)
    return contents


def read_network_file(path):
    """The checked entries of the network file at `path`: `.safetensors` by its
    ending, else `.npz`."""
    return read_safetensors(path) if path.endswith(".safetensors") else read_npz(path)


def parameter_shapes(sizes):
    """(entry name, shape) of every layer's parameters, from the layers' sizes."""
    for i, (n_in, n_out) in enumerate(sizes):
        yield f"weights_{i}", (n_in, n_out)
        yield f"biases_{i}", (1, n_out)


def check_parameter(array, name, shape, path):
    if array.dtype not in PARAMETER_DTYPES:
        raise not_a_network(path, f"{name} holds {array.dtype} numbers; parameters are "
                                  f"float64 or float32")
    if array.shape != shape:
        raise not_a_network(path, f"{name} has shape {array.shape}; its layer needs {shape}")
    return array


def check_header(contents, path):
    """The layers' (input size, output size) pairs from the header members, or a
    ValueError saying what is wrong with them."""
    format_name, version = contents["format"], contents["version"]
    if format_name.shape != () or format_name.dtype.kind != "U" \
            or str(format_name) != FILE_FORMAT:
        raise not_a_network(path, f"its format entry is {_shown(format_name)}, not {FILE_FORMAT!r}")
    if version.shape != () or version.dtype.kind not in "iu" \
            or not 1 <= int(version) <= FILE_VERSION:
        raise not_a_network(path, f"version {_shown(version)}; this smolml reads version "
                                  f"{FILE_VERSION} (a newer smolml may have written it)")
    lists = {name: contents[name] for name in ("input_sizes", "output_sizes", "activations")}
    for name, values in lists.items():
        kind = "U" if name == "activations" else "iu"
        if values.ndim != 1 or values.dtype.kind not in kind:
            raise not_a_network(path, f"{name} must be a 1-D list; got {values.dtype} of "
                                      f"shape {values.shape}")
    lengths = {name: len(values) for name, values in lists.items()}
    if len(set(lengths.values())) != 1 or lengths["input_sizes"] == 0:
        listed = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise not_a_network(path, f"the per-layer lists must have one entry per layer "
                                  f"(at least one): {listed}")
    loss = contents["loss_function"]
    if loss.shape != () or loss.dtype.kind != "U":
        raise not_a_network(path, f"loss_function must be a name; got {_shown(loss)}")
    sizes = [(int(n_in), int(n_out))
             for n_in, n_out in zip(lists["input_sizes"], lists["output_sizes"])]
    for i, (n_in, n_out) in enumerate(sizes):
        if n_in < 1 or n_out < 1:
            raise not_a_network(path, f"layer {i + 1} has sizes ({n_in}, {n_out})")
        if i and sizes[i - 1][1] != n_in:
            raise not_a_network(path, f"layer {i} has {sizes[i - 1][1]} outputs but layer "
                                      f"{i + 1} has {n_in} inputs (the sizes must chain)")
    return sizes


def _shown(array):
    """A header entry for a message: its value when small, else its dtype and shape."""
    if array.size <= 8:
        return repr(array.tolist())
    return f"{array.dtype} numbers of shape {array.shape}"


def _read_member(archive, path, name, limit):
    """The array of member `name` (stored as `name.npy`), reading at most `limit`
    decompressed bytes: the directory's size is checked first, the `.npy` header's
    shape and dtype next, then exactly that many numbers are read."""
    try:
        info = archive.getinfo(name + ".npy")
    except KeyError:
        raise not_a_network(path, f"it has no {name!r} entry") from None
    if info.file_size > limit:
        raise not_a_network(path, f"its {name!r} entry is {info.file_size:,} bytes; at most "
                                  f"{limit:,} fit what the file's header says")
    try:
        with archive.open(info) as stream:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(
                    stream, max_header_size=NPY_HEADER_LIMIT)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(
                    stream, max_header_size=NPY_HEADER_LIMIT)
            if dtype.hasobject or dtype.kind not in "iufU" or dtype.subdtype is not None:
                raise not_a_network(path, f"its {name!r} entry holds {dtype} (a network "
                                          f"file holds only numbers and names)")
            if any(n < 0 for n in shape):
                raise not_a_network(path, f"its {name!r} entry claims shape {shape}")
            n_bytes = math.prod(shape) * dtype.itemsize
            if n_bytes > info.file_size:
                raise not_a_network(path, f"its {name!r} entry claims shape {shape} but "
                                          f"holds {info.file_size:,} bytes")
            data = stream.read(n_bytes)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        if str(error).startswith("not a smolml network file"):
            raise
        raise not_a_network(path, f"its {name!r} entry is not a valid .npy array "
                                  f"({error})") from None
    if len(data) != n_bytes:
        raise not_a_network(path, f"its {name!r} entry is cut short")
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")
