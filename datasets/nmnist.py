"""N-MNIST's original 40-bit binary event format: reader and atomic writer.

Orchard et al. 2015, "Converting Static Image Datasets to Spiking Neuromorphic
Datasets Using Saccades" (Front. Neurosci.). Each event is 5 bytes, big endian:
byte 0 = x, byte 1 = y, bit 7 of byte 2 = polarity, and the remaining 23 bits
(byte 2 bits 6..0, bytes 3 and 4) = timestamp in microseconds. Records with y = 240
are timestamp-overflow markers (as in tonic); the codec is evlearn.formats.atis, and
this module adds N-MNIST's 34 x 34 sensor check and the whole-file helpers.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evlearn.events import NMNIST_SENSOR, SensorSize
from evlearn.formats.atis import MAX_TIMESTAMP  # noqa: F401 (part of this module's API)
from evlearn.formats.atis import RECORD_BYTES as BYTES_PER_EVENT, decode_records, encode_records
from evlearn.io import write_bytes
from evlearn.validation import validate_events

SENSOR_SIZE: SensorSize = NMNIST_SENSOR
# The largest values the 40-bit records can hold: 8-bit x and y, 1-bit polarity.
FORMAT_LIMITS = SensorSize(256, 256, 2)


def decode_nmnist(raw: bytes, *, source: str = "<bytes>", sensor_size=SENSOR_SIZE) -> np.ndarray:
    """Decode 40-bit N-MNIST records into an event array, validating them."""
    if len(raw) % BYTES_PER_EVENT:
        whole = len(raw) - len(raw) % BYTES_PER_EVENT
        raise ValueError(
            f"{source}: size {len(raw)} bytes is not a multiple of {BYTES_PER_EVENT}; "
            f"truncated record at byte offset {whole}"
        )
    events, _ = decode_records(raw)
    try:
        return validate_events(events, sensor_size)
    except ValueError as err:
        raise ValueError(f"{source}: {str(err).removeprefix('events: ')}") from None


def read_nmnist(path, *, sensor_size=SENSOR_SIZE) -> np.ndarray:
    """Read one N-MNIST ``.bin`` file into an event array (x, y, t [us], p).

    Raises ValueError naming the file when its size is not a multiple of 5
    bytes, a coordinate lies outside ``sensor_size`` or time runs backwards.
    An empty file gives an empty array.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, expected an N-MNIST .bin file") from None
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot read ({err.strerror or err})") from None
    return decode_nmnist(raw, source=str(path), sensor_size=sensor_size)


def encode_nmnist(events, *, sensor_size=SENSOR_SIZE) -> bytes:
    """Encode an event array in the 40-bit N-MNIST format.

    Events are validated against ``sensor_size`` (None: no sensor check) and
    against what the format holds: x, y in 0..255, p in {0, 1}. Timestamps past
    2**23 us get overflow markers (y = 240 records), which the reader (and tonic) undo.
    """
    ev = validate_events(events, sensor_size)
    try:
        validate_events(ev, FORMAT_LIMITS)
    except ValueError as err:
        raise ValueError(f"N-MNIST format holds x, y in 0..255 and p in {{0, 1}}: "
                         f"{str(err).removeprefix('events: ')}") from None
    return encode_records(ev)[0]


def write_nmnist(path, events, *, sensor_size=SENSOR_SIZE) -> Path:
    """Write events to an N-MNIST ``.bin`` file atomically (temp file + rename)."""
    return write_bytes(path, encode_nmnist(events, sensor_size=sensor_size))
