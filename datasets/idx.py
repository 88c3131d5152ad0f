"""IDX files (MNIST, Fashion-MNIST, EMNIST), raw or gzipped.

Format (LeCun et al.): two zero bytes, a type code, the number of dimensions,
then one big-endian uint32 per dimension, then the data in C order.
"""
from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def decode_idx(raw: bytes, *, source: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes, validating the magic number and the sizes."""
    if len(raw) < 4:
        raise ValueError(f"{source}: too short for an IDX header ({len(raw)} bytes)")
    zero, type_code, ndim = int.from_bytes(raw[0:2], "big"), raw[2], raw[3]
    if zero != 0 or type_code not in _TYPES or ndim == 0:
        raise ValueError(f"{source}: bad IDX magic number {raw[:4].hex()} (expected 0000 08..0e, ndim >= 1)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{source}: header announces {ndim} dimensions but the file ends at byte {len(raw)}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[type_code])
    expected = header + math.prod(shape) * dtype.itemsize  # exact: np.prod could overflow
    if len(raw) != expected:
        raise ValueError(f"{source}: shape {shape} needs {expected} bytes, file has {len(raw)}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path) -> np.ndarray:
    """Read an IDX file (``.gz`` is decompressed) into a native-endian array."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"{path}: corrupt gzip data ({err})") from None
    return decode_idx(raw, source=str(path))


def encode_idx(array) -> bytes:
    """Encode an array as IDX bytes (uint8, int8, int16, int32, float32, float64)."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot hold dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.dtype(_TYPES[code])).tobytes()
