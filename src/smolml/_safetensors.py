"""Reading and writing the safetensors format, with no dependency beyond NumPy.

A `.safetensors` file is

    8 bytes        N, the header's length, an unsigned little-endian 64-bit integer
    N bytes        the header: a UTF-8 JSON object (padded with spaces)
    the rest       the byte buffer: every tensor's numbers, little-endian, row-major

The header maps each tensor's name to {"dtype": "F64", "shape": [2, 3],
"data_offsets": [begin, end]}, the offsets counted from the start of the buffer; the
tensors tile the buffer with no gap and no overlap. The optional entry
"__metadata__" maps names to strings.

`write_arrays` / `read_arrays` store the same {name: ndarray} dictionaries as NumPy's
`.npz` files: numeric arrays become tensors, arrays of strings become metadata (their
JSON text), so a reader gets back exactly what was written. Reading checks every
header field before it reads a byte of the buffer and never reads more than the file
holds.
"""
import json
import os
import struct

import numpy as np

MAX_HEADER_BYTES = 100_000_000     # the format's own limit
_LENGTH = struct.Struct("<Q")
_ALIGNMENT = 8                      # the header is padded so each buffer starts aligned

# the format's dtype names and NumPy's little-endian dtype for each
DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
    "BOOL": "?",
}
_CODES = {np.dtype(numpy_dtype): code for code, numpy_dtype in DTYPES.items()}


def write_arrays(path, arrays):
    """Write {name: ndarray} to `path` as safetensors; returns the path."""
    header, metadata, buffers, offset = {}, {}, [], 0
    for name, array in arrays.items():
        array = np.asarray(array)
        if array.dtype.kind == "U":
            metadata[name] = json.dumps(array.tolist())
            continue
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        code = _CODES.get(little.dtype)
        if code is None:
            raise TypeError(f"{name}: safetensors has no dtype for {array.dtype}")
        data = np.ascontiguousarray(little).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        buffers.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(len(text) + _LENGTH.size) % _ALIGNMENT)
    path = os.fspath(path)
    with open(path, "wb") as file:
        file.write(_LENGTH.pack(len(text)))
        file.write(text)
        for data in buffers:
            file.write(data)
    return path


def read_arrays(path):
    """{name: ndarray} of a safetensors file (metadata entries as arrays of strings).

    Raises ValueError naming the problem when the file is not valid safetensors: a
    header longer than the file or than the format's limit, bad JSON, an unknown dtype,
    a shape whose size does not match its byte range, ranges that leave gaps or
    overlap or pass the end of the file.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        file_size = os.fstat(file.fileno()).st_size
        prefix = file.read(_LENGTH.size)
        if len(prefix) < _LENGTH.size:
            raise ValueError(f"{path} is not a safetensors file: it has {file_size} bytes")
        (header_size,) = _LENGTH.unpack(prefix)
        if header_size > min(MAX_HEADER_BYTES, file_size - _LENGTH.size):
            raise ValueError(f"{path} is not a safetensors file: its header claims "
                             f"{header_size} bytes of a {file_size}-byte file")
        try:
            header = json.loads(file.read(header_size).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ValueError(f"{path} is not a safetensors file: its header is not "
                             f"JSON ({error})") from None
        if not isinstance(header, dict):
            raise ValueError(f"{path} is not a safetensors file: its header is not a "
                             f"JSON object")
        arrays = _metadata_arrays(header.pop("__metadata__", {}), path)
        buffer_size = file_size - _LENGTH.size - header_size
        entries = sorted((_checked_entry(name, entry, path) for name, entry in header.items()),
                         key=lambda entry: entry[3])
        expected_begin = 0
        for name, dtype, shape, begin, end in entries:
            if begin != expected_begin:
                raise ValueError(f"{path}: tensor {name!r} starts at byte {begin} of the "
                                 f"buffer, where {expected_begin} was expected (a gap or "
                                 f"an overlap)")
            expected_begin = end
        if expected_begin != buffer_size:
            raise ValueError(f"{path}: the tensors cover {expected_begin} bytes of a "
                             f"{buffer_size}-byte buffer")
        for name, dtype, shape, begin, end in entries:
            data = file.read(end - begin)
            arrays[name] = np.frombuffer(data, dtype=dtype).reshape(shape).astype(
                dtype.newbyteorder("="))
    return arrays


def _metadata_arrays(metadata, path):
    if not isinstance(metadata, dict):
        raise ValueError(f"{path}: __metadata__ must be a JSON object")
    arrays = {}
    for name, text in metadata.items():
        if not isinstance(text, str):
            raise ValueError(f"{path}: metadata {name!r} is not a string")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        strings = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(item, str) for item in value))
        # a string or list of strings as written here; any other writer's text as is
        arrays[name] = np.array(value if strings else text, dtype=np.str_)
    return arrays


def _checked_entry(name, entry, path):
    """(name, dtype, shape, begin, end) of one header entry, every field checked."""
    where = f"{path}: tensor {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} is not described by a JSON object")
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if code not in DTYPES:
        raise ValueError(f"{where} has dtype {code!r}; smolml reads {', '.join(DTYPES)}")
    if (not isinstance(shape, list)
            or not all(type(dim) is int and dim >= 0 for dim in shape)):
        raise ValueError(f"{where} has shape {shape!r}, not a list of sizes")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(type(x) is int for x in offsets) or not 0 <= offsets[0] <= offsets[1]):
        raise ValueError(f"{where} has data_offsets {offsets!r}, not [begin, end]")
    dtype = np.dtype(DTYPES[code])
    count = 1
    for dim in shape:
        count *= dim
    if count * dtype.itemsize != offsets[1] - offsets[0]:
        raise ValueError(f"{where}: shape {shape} of {code} needs {count * dtype.itemsize} "
                         f"bytes, its data_offsets give {offsets[1] - offsets[0]}")
    return name, dtype, tuple(shape), offsets[0], offsets[1]
