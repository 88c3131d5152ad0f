"""N-MNIST's original 40-bit binary event format: reader and atomic writer.

Orchard et al. 2015, "Converting Static Image Datasets to Spiking Neuromorphic
Datasets Using Saccades" (Front. Neurosci.). Each event is 5 bytes, big endian:
byte 0 = x, byte 1 = y, bit 7 of byte 2 = polarity, and the remaining 23 bits
(byte 2 bits 6..0, bytes 3 and 4) = timestamp in microseconds.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evlearn.events import EVENT_DTYPE, NMNIST_SENSOR, SensorSize
from evlearn.io import write_bytes
from evlearn.validation import validate_events

BYTES_PER_EVENT = 5
MAX_TIMESTAMP = (1 << 23) - 1
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
    data = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BYTES_PER_EVENT).astype(np.int64)
    events = np.empty(data.shape[0], dtype=EVENT_DTYPE)
    events["x"] = data[:, 0]
    events["y"] = data[:, 1]
    events["p"] = data[:, 2] >> 7
    events["t"] = ((data[:, 2] & 0x7F) << 16) | (data[:, 3] << 8) | data[:, 4]
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
    against what the format holds: x, y in 0..255, p in {0, 1}, t < 2**23 us.
    """
    ev = validate_events(events, sensor_size)
    try:
        validate_events(ev, FORMAT_LIMITS)
    except ValueError as err:
        raise ValueError(f"N-MNIST format holds x, y in 0..255 and p in {{0, 1}}: "
                         f"{str(err).removeprefix('events: ')}") from None
    if ev.size and ev["t"][-1] > MAX_TIMESTAMP:
        i = int(np.flatnonzero(ev["t"] > MAX_TIMESTAMP)[0])
        raise ValueError(f"timestamp t={ev['t'][i]} at event {i} does not fit 23 bits (max {MAX_TIMESTAMP} us)")
    out = np.empty((ev.size, BYTES_PER_EVENT), dtype=np.uint8)
    out[:, 0] = ev["x"]
    out[:, 1] = ev["y"]
    out[:, 2] = (ev["p"] << 7) | (ev["t"] >> 16)
    out[:, 3] = (ev["t"] >> 8) & 0xFF
    out[:, 4] = ev["t"] & 0xFF
    return out.tobytes()


def write_nmnist(path, events, *, sensor_size=SENSOR_SIZE) -> Path:
    """Write events to an N-MNIST ``.bin`` file atomically (temp file + rename)."""
    return write_bytes(path, encode_nmnist(events, sensor_size=sensor_size))
